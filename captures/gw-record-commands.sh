#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Gateway pairs for command differences and a message that reaches the inside changed
# (issue 20; captures/README.md, "Issue 20", second table). Sender: swaks (DATA, two
# recipients, a fixed Message-ID) -> 127.0.0.20:25 tools/gwproxy.py MODE (inside from
# 127.0.0.21) -> the lab Postfix on 127.0.0.1 (make-captures.sh). Outside capture: host
# 127.0.0.20; inside: host 127.0.0.21. As root, holding the MTA lock:
#   flock /work/mta.lock captures/gw-record-commands.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

message() {   # message TAG: a fixed message with Message-ID <gw-TAG@production.org>
    printf '%s\r\n' "From: Postmaster <postmaster@production.org>" \
        "To: manager@company.com, sales@company.com" \
        "Subject: gateway $1" "Date: Mon, 30 Nov 2026 05:00:00 +0000" \
        "Message-ID: <gw-$1@production.org>" "" \
        "Hello Manager, hello Sales," "" \
        "this message passes a gateway in mode $1." "Regards," "Postmaster"
}

record_pair() {   # record_pair NAME MODE
    local name=$1 mode=$2 dump_out dump_in proxy
    tcpdump -i lo -s 0 -U -w "$TMP/o.pcap" 'tcp port 25 and host 127.0.0.20' 2>/dev/null &
    dump_out=$!
    tcpdump -i lo -s 0 -U -w "$TMP/i.pcap" 'tcp port 25 and host 127.0.0.21' 2>/dev/null &
    dump_in=$!
    sleep 1.5
    python3 "$HERE/tools/gwproxy.py" "$mode" --server 127.0.0.1 &
    proxy=$!
    sleep 0.5
    swaks --server 127.0.0.20 --port 25 --helo prodserver.production.org \
        --from postmaster@production.org --to manager@company.com,sales@company.com \
        --data "$(message "$mode")" --timeout 20 >>"$TMP/swaks.log" 2>&1 || true
    wait "$proxy" || true
    sleep 1.5
    kill -INT "$dump_out" "$dump_in"
    wait "$dump_out" "$dump_in" || true
    install -m 644 "$TMP/o.pcap" "$HERE/$name-outside.pcap"
    install -m 644 "$TMP/i.pcap" "$HERE/$name-inside.pcap"
    echo "$name: recorded"
}

record_pair gw-drop-rcpt drop-rcpt
record_pair gw-refuse-rcpt refuse-rcpt
record_pair gw-rewrite-from rewrite-from
record_pair gw-disclaimer disclaimer
