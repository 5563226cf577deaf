#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two-sided gateway captures for --other-side (see captures/README.md, "Gateway pairs").
# sender: tools/smtpclient.py -> 127.0.0.20:25 tools/gwproxy.py MODE
#         (inside from 127.0.0.21) -> Postfix on 127.0.0.1 / .2 / .6 (make-captures.sh)
# outside capture: host 127.0.0.20; inside capture: host 127.0.0.21. Run as root,
# holding /work/mta.lock when the MTA is shared: flock /work/mta.lock captures/gw-record.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# pair NAME MODE SERVER SCENARIO
pair() {
    local name=$1 mode=$2 server=$3 scen=$4
    tcpdump -i lo -s 0 -U -w "$WORK/out.pcap" 'tcp port 25 and host 127.0.0.20' 2>/dev/null &
    local t1=$!
    tcpdump -i lo -s 0 -U -w "$WORK/in.pcap" 'tcp port 25 and host 127.0.0.21' 2>/dev/null &
    local t2=$!
    sleep 1.5
    python3 "$TOOLS/gwproxy.py" "$mode" --server "$server" &
    local gp=$!
    sleep 0.5
    python3 "$TOOLS/smtpclient.py" "$scen" --host 127.0.0.20 --wait 30 2>>"$WORK/client.log" || true
    wait $gp || true
    sleep 1.5
    kill -INT $t1 $t2; wait $t1 $t2 || true
    cp "$WORK/out.pcap" "$HERE/$name-outside.pcap"
    cp "$WORK/in.pcap" "$HERE/$name-inside.pcap"
    chmod 644 "$HERE/$name-outside.pcap" "$HERE/$name-inside.pcap"
    echo "$name: done"
}

ip addr add 127.0.0.20/8 dev lo 2>/dev/null || true   # all of 127/8 is local anyway
pair gw-faithful faithful 127.0.0.1 gw-bdat
pair gw-data-faithful faithful 127.0.0.1 gw-data
pair gw-swallow-bdat swallow-bdat 127.0.0.1 gw-bdat
pair gw-bdat-to-data bdat-to-data 127.0.0.2 gw-bdat
pair gw-mask-starttls mask-starttls 127.0.0.6 gw-data
# the faithful pair's inside with its clock 1 h 2.5 s ahead
python3 "$TOOLS/retime.py" --shift 3602.5 "$HERE/gw-faithful-inside.pcap" \
    "$HERE/gw-faithful-inside-clock.pcap"
