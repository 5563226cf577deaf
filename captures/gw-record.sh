#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two-sided gateway captures for --other-side (captures/README.md, "Issue 20"), real
# software on both ends of tools/gwproxy.py:
#   Exim 4.96 (BDAT client, from 127.0.0.19) -> 127.0.0.20:25 gwproxy.py MODE
#       (inside from 127.0.0.21) -> lab Postfix on 127.0.0.1 / .2 / .6 (make-captures.sh)
#   swaks -> Postfix 127.0.0.24 (content_filter: relay everything by its smtp client from
#       127.0.0.19 to [127.0.0.20]:25) -> gwproxy.py faithful -> Postfix 127.0.0.1
# outside capture: host 127.0.0.20; inside capture: host 127.0.0.21 (two tcpdumps on lo).
# Needs root, the lab Postfix (make-captures.sh setup) and Exim unpacked in
# /opt/exim-unpacked; hold the MTA lock: flock /work/mta.lock captures/gw-record.sh [NAME...]
# (no NAME: all five pairs)
# master.cf is restored and Postfix left running or stopped as it was found.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
PY=/usr/bin/python3
EXIM=/opt/exim-unpacked/usr/sbin/exim4
EXIMDIR=/tmp/smtpscope-exim
WORK=$(mktemp -d)
MASTER_SAVED=$WORK/master.cf.saved
cp /etc/postfix/master.cf "$MASTER_SAVED"
WAS_RUNNING=0
postfix status >/dev/null 2>&1 && WAS_RUNNING=1

restore() {
    cp "$MASTER_SAVED" /etc/postfix/master.cf
    if [ $WAS_RUNNING = 1 ]; then postfix reload >/dev/null 2>&1 || true
    else postfix stop >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap restore EXIT

# ---- Postfix (inet_interfaces = loopback-only) counts every address configured on lo as
# its own and will not relay to one ("mail for 127.0.0.20 loops back to myself"): an
# older version of this script added 127.0.0.20 to lo; all of 127/8 is local without it
ip addr del 127.0.0.20/8 dev lo 2>/dev/null || true
# ---- Postfix: the lab config plus, for the DATA pair, a listener whose mail is relayed
# by Postfix's own smtp client (bound to 127.0.0.19) to the gateway on 127.0.0.20; that
# client calls itself relay.production.org (with the receiver's name, mx.company.com, it
# would refuse the inside's greeting as a mail loop)
cat >> /etc/postfix/master.cf <<'EOF'
127.0.0.24:smtp inet n - n - - smtpd -o content_filter=gwrelay:[127.0.0.20]:25
gwrelay unix - - n - - smtp -o smtp_bind_address=127.0.0.19 -o myhostname=relay.production.org
EOF
postfix check
if [ $WAS_RUNNING = 1 ]; then postfix reload; else postfix start; fi
sleep 2

# ---- Exim: the lab's private config, routed to the gateway from 127.0.0.19, own spool
# (a fresh retry database each run: an old failure must not hold the delivery back)
rm -rf "$EXIMDIR/gw-spool"
mkdir -p "$EXIMDIR/gw-spool" "$EXIMDIR/log"
chown -R Debian-exim: "$EXIMDIR/gw-spool" "$EXIMDIR/log"
sed -e "s|^spool_directory = .*|spool_directory = $EXIMDIR/gw-spool|" \
    -e 's|route_list = \* 127.0.0.1 byname|route_list = * 127.0.0.20 byname|' \
    -e 's|^  helo_data = .*|&\n  interface = 127.0.0.19|' \
    "$EXIMDIR/exim.conf" > "$EXIMDIR/exim-gw.conf"
grep -q 'route_list = \* 127.0.0.20' "$EXIMDIR/exim-gw.conf"
grep -qx "$EXIMDIR/exim-gw.conf" /etc/exim4/trusted_configs 2>/dev/null || \
    echo "$EXIMDIR/exim-gw.conf" >> /etc/exim4/trusted_configs

# gw_msg FILE TAG: a fixed message whose BDAT chunk, as Exim sends it (its Received:
# header added, LF made CRLF), is exactly 2728 bytes: the seed story's BDAT 2728 LAST.
# Exim always ends its Received: text with ";" CRLF TAB and the date ("Mon, 30 Nov 2026
# 04:48:35 +0000", 31 bytes, day zero-padded): 35 bytes.
gw_msg() {
    $PY - "$1" "$2" <<'PYEOF'
import sys
path, tag = sys.argv[1], sys.argv[2]
TARGET = 2728
received = "Received: from smtpscope lab by exim.production.org;\n\t" + "D" * 31 + "\n"
head = ("Date: Mon, 17 Sep 2007 12:00:00 +0000\n"
        "From: <postmaster@production.org>\n"
        "To: <manager@company.com>\n"
        f"Subject: smtpscope gateway pair {tag}\n"
        f"Message-ID: <gw-{tag}@production.org>\n\n")
body, i = "", 0
def crlf(s):
    return len(s) + s.count("\n")
while True:
    i += 1
    line = f"line {i:05d} of the fixed smtpscope gateway body, padding padding.\n"
    if crlf(received + head + body + line) > TARGET - 40:
        break
    body += line
rest = TARGET - crlf(received + head + body) - 2          # the last line and its CRLF
body += ("end of the " + tag + " message ").ljust(rest, "-") + "\n"
assert crlf(received + head + body) == TARGET
open(path, "w").write(head + body)
PYEOF
}

# pair NAME MODE SERVER SENDER: record one conversation through gwproxy.py MODE
pair() {
    local name=$1 mode=$2 server=$3 sender=$4
    tcpdump -i lo -s 0 -U -w "$WORK/out.pcap" 'tcp port 25 and host 127.0.0.20' 2>/dev/null &
    local t1=$!
    tcpdump -i lo -s 0 -U -w "$WORK/in.pcap" 'tcp port 25 and host 127.0.0.21' 2>/dev/null &
    local t2=$!
    sleep 1.5
    $PY "$TOOLS/gwproxy.py" "$mode" --server "$server" 2>>"$WORK/proxy.log" &
    local gp=$!
    sleep 0.5
    "$sender" "$name" || echo "$name: sender exited $?" >&2
    wait $gp || true
    sleep 1.5
    kill -INT $t1 $t2; wait $t1 $t2 || true
    cp "$WORK/out.pcap" "$HERE/$name-outside.pcap"
    cp "$WORK/in.pcap" "$HERE/$name-inside.pcap"
    chmod 644 "$HERE/$name-outside.pcap" "$HERE/$name-inside.pcap"
    echo "$name: done" >&2
}

# Exim delivers in the foreground (-odf); it sends BDAT, since the gateway relays
# Postfix's CHUNKING (or, bdat-to-data, offers it itself)
exim_sender() {
    local tag=${1#gw-}
    gw_msg "$WORK/$tag.txt" "$tag"
    "$EXIM" -C "$EXIMDIR/exim-gw.conf" -odf -oi -f postmaster@production.org \
        manager@company.com < "$WORK/$tag.txt"
}

# check NAME WANT: what the sender really sent (its commands, read back from the outside
# capture with tshark: one BDAT 2728 LAST from Exim; DATA from Postfix)
check() {
    local name=$1 want=$2 got
    got=$(tshark -r "$HERE/$name-outside.pcap" -Y 'tcp.dstport == 25 and tcp.len > 0' \
          -T fields -e tcp.payload 2>/dev/null | $PY -c '
import re, sys
data = b"".join(bytes.fromhex(l.strip()) for l in sys.stdin if l.strip())
print("|".join(m.decode() for m in re.findall(
    rb"(?m)^(?:EHLO|HELO|MAIL|RCPT|DATA|BDAT|QUIT)\b[^\r\n]*", data)))')
    case "|$got|" in *"|$want|"*) echo "$name: the sender sent $got" >&2 ;;
    *) echo "$name: expected '$want', the sender sent: $got" >&2; exit 1 ;; esac
}

# Postfix relays a DATA message (its smtp client never sends BDAT): swaks hands it to
# the 127.0.0.24 listener, whose content_filter sends it on to the gateway at once
postfix_sender() {
    swaks --server 127.0.0.24 --port 25 --helo client.smtpscope.test \
        --from alice@smtpscope.test --to manager@company.com --timeout 20 --data \
'Date: Mon, 17 Sep 2007 12:00:00 +0000
From: <alice@smtpscope.test>
To: <manager@company.com>
Subject: smtpscope gateway pair, relayed by Postfix over DATA
Message-ID: <gw-data-faithful@smtpscope.test>

Hello Manager,

this message goes swaks -> Postfix -> gateway -> Postfix, by DATA.
.leading dot line (dot-stuffed on every hop)
Regards,
Alice
' >"$WORK/swaks.log" 2>&1
    postqueue -f     # the relay follows swaks's QUIT; pair() waits for gwproxy.py
}

# want NAME: no argument records every pair, else only the pairs named
want() { [ ${#ARGS[@]} = 0 ] || [[ " ${ARGS[*]} " == *" $1 "* ]]; }
ARGS=("$@")
want gw-faithful && pair gw-faithful faithful 127.0.0.1 exim_sender
want gw-data-faithful && pair gw-data-faithful faithful 127.0.0.1 postfix_sender
want gw-swallow-bdat && pair gw-swallow-bdat swallow-bdat 127.0.0.1 exim_sender
want gw-bdat-to-data && pair gw-bdat-to-data bdat-to-data 127.0.0.2 exim_sender
want gw-mask-starttls && pair gw-mask-starttls mask-starttls 127.0.0.6 exim_sender
for n in gw-faithful gw-swallow-bdat gw-bdat-to-data gw-mask-starttls; do
    want $n && check $n "BDAT 2728 LAST"
done
want gw-data-faithful && check gw-data-faithful "DATA"
# the faithful pair's inside with its clock 1 h 2.5 s ahead
want gw-faithful && $PY "$TOOLS/retime.py" --shift 3602.5 "$HERE/gw-faithful-inside.pcap" \
    "$HERE/gw-faithful-inside-clock.pcap"
postqueue -f >/dev/null 2>&1 || true
