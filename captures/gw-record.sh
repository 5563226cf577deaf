#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two-sided gateway captures for --other-side (captures/README.md, "Issue 20"): real mail
# software on both ends of tools/gwproxy.py, in three network namespaces made here:
#
#   gwexim-out                  gwexim-gw                         gwexim-in
#   sender 198.51.100.10 --veth-- 198.51.100.20  gwproxy.py  203.0.113.21 --veth-- receiver
#   Exim 4.96 (BDAT), or          (outside)      MODE        (inside)      Postfix 3.7:
#   Postfix (DATA, relayhost)    tcpdump -i gwexim-go   tcpdump -i gwexim-gi   .1 stock,
#                                                                  .2 no CHUNKING, .6 STARTTLS
# The two Postfix instances are private ones (postfix -c DIR, own queue directories),
# started inside their namespaces and removed after: the system Postfix is not touched.
# Exim is the unpacked one of make-captures.sh (/opt/exim-unpacked, its private config).
# Needs root; hold the MTA lock (Exim's lab config is shared):
#   flock /work/mta.lock captures/gw-record.sh [NAME...]      (no NAME: all five pairs)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
PY=/usr/bin/python3
EXIM=/opt/exim-unpacked/usr/sbin/exim4
EXIMDIR=/tmp/smtpscope-exim
LAB=/tmp/gwexim-lab                     # the private Postfix configs and logs
WORK=$(mktemp -d)
NS="gwexim-out gwexim-gw gwexim-in"
PF_IN=$LAB/postfix-in PF_OUT=$LAB/postfix-out
SENDER=198.51.100.10 GW_OUT=198.51.100.20 GW_IN=203.0.113.21

cleanup() {
    ip netns exec gwexim-in postfix -c "$PF_IN" stop >/dev/null 2>&1 || true
    ip netns exec gwexim-out postfix -c "$PF_OUT" stop >/dev/null 2>&1 || true
    sleep 1
    local n
    for n in $NS; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$WORK" /var/spool/postfix-gwexim-in /var/spool/postfix-gwexim-out \
        /var/lib/postfix-gwexim-in /var/lib/postfix-gwexim-out
}
trap cleanup EXIT

# ---- the network: sender | gateway | receiver, joined by two veth pairs
net() {
    local n
    for n in $NS; do ip netns del "$n" 2>/dev/null || true; ip netns add "$n"; done
    ip link add gwexim-s type veth peer name gwexim-go     # sender <-> gateway outside
    ip link add gwexim-r type veth peer name gwexim-gi     # receiver <-> gateway inside
    ip link set gwexim-s netns gwexim-out; ip link set gwexim-go netns gwexim-gw
    ip link set gwexim-gi netns gwexim-gw; ip link set gwexim-r netns gwexim-in
    ip -n gwexim-out addr add $SENDER/24 dev gwexim-s
    ip -n gwexim-gw addr add $GW_OUT/24 dev gwexim-go
    ip -n gwexim-gw addr add $GW_IN/24 dev gwexim-gi
    for a in 1 2 6; do ip -n gwexim-in addr add 203.0.113.$a/24 dev gwexim-r; done
    local dev
    for dev in gwexim-out:gwexim-s gwexim-gw:gwexim-go gwexim-gw:gwexim-gi gwexim-in:gwexim-r; do
        ip -n "${dev%%:*}" link set lo up
        ip -n "${dev%%:*}" link set "${dev#*:}" up
        # no offloads: frames as a wire carries them (MTU-sized, checksums filled in)
        ip netns exec "${dev%%:*}" ethtool -K "${dev#*:}" tso off gso off gro off tx off \
            rx off >/dev/null 2>&1 || true
    done
    sleep 2      # IPv6 DAD and link up; the captures filter tcp port 25 anyway
}

# ---- a private Postfix instance: postfix_instance DIR NAME (main.cf lines on stdin)
postfix_instance() {
    local dir=$1 name=$2
    mkdir -p "$dir" "/var/spool/postfix-$name" "/var/lib/postfix-$name"
    chown postfix: "/var/lib/postfix-$name"
    {
        echo "# smtpscope gateway lab ($name), written by captures/gw-record.sh"
        echo "compatibility_level = 3.6"
        echo "queue_directory = /var/spool/postfix-$name"
        echo "data_directory = /var/lib/postfix-$name"
        echo "maillog_file_prefixes = $LAB"
        echo "maillog_file = $LAB/$name.log"
        echo "inet_protocols = ipv4"
        echo "alias_maps ="
        echo "alias_database ="
        echo "disable_dns_lookups = yes"
        echo "smtp_host_lookup = native"
        echo "biff = no"
        cat
    } > "$dir/main.cf"
    # the system's service table without its listeners; each instance adds its own
    $PY - /etc/postfix/master.cf "$dir/master.cf" <<'PYEOF'
import re, sys
out, skip = [], False
for l in open(sys.argv[1]).read().split("\n"):
    if re.match(r"^\S+\s+inet\s", l):
        skip = True
        continue
    if skip and l[:1] in (" ", "\t"):
        continue
    skip = False
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out))
PYEOF
}

lab() {
    rm -rf "$LAB"; mkdir -p "$LAB"
    # the receiver: as the lab Postfix of make-captures.sh (mx.company.com, smtpd_timeout
    # 5s), delivering to the discard transport
    postfix_instance "$PF_IN" gwexim-in <<'EOF'
myhostname = mx.company.com
mydomain = company.com
mydestination = company.com
inet_interfaces = 203.0.113.1, 203.0.113.2, 203.0.113.6
mynetworks = 203.0.113.0/24
local_recipient_maps =
local_transport = discard:delivered in the gateway lab
smtpd_banner = $myhostname ESMTP Postfix
smtpd_timeout = 5s
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = none
smtpd_error_sleep_time = 0
message_size_limit = 10240000
EOF
    local tls="-o smtpd_tls_security_level=may -o smtpd_tls_cert_file=$LAB/tls.pem -o smtpd_tls_key_file=$LAB/tls.key"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mx.company.com \
        -keyout "$LAB/tls.key" -out "$LAB/tls.pem" 2>/dev/null
    chmod 600 "$LAB/tls.key"
    cat >> "$PF_IN/master.cf" <<EOF
203.0.113.1:smtp inet n - n - - smtpd
203.0.113.2:smtp inet n - n - - smtpd -o smtpd_discard_ehlo_keywords=chunking
203.0.113.6:smtp inet n - n - - smtpd $tls
EOF
    # the relaying sender: everything to the gateway, by Postfix's smtp client (DATA)
    postfix_instance "$PF_OUT" gwexim-out <<EOF
myhostname = relay.production.org
mydomain = production.org
myorigin = production.org
mydestination =
inet_interfaces = loopback-only
mynetworks = 127.0.0.0/8
relayhost = [$GW_OUT]:25
EOF
    # (inside its namespace: Postfix checks that inet_interfaces exist)
    ip netns exec gwexim-in postfix -c "$PF_IN" check
    ip netns exec gwexim-out postfix -c "$PF_OUT" check
    ip netns exec gwexim-in postfix -c "$PF_IN" start
    ip netns exec gwexim-out postfix -c "$PF_OUT" start

    # Exim: the lab's private config, routed to the gateway, its own spool (a fresh
    # retry database each run: an old failure must not hold the delivery back)
    rm -rf "$EXIMDIR/gw-spool"
    mkdir -p "$EXIMDIR/gw-spool" "$EXIMDIR/log"
    chown -R Debian-exim: "$EXIMDIR/gw-spool" "$EXIMDIR/log"
    sed -e "s|^spool_directory = .*|spool_directory = $EXIMDIR/gw-spool|" \
        -e "s|route_list = \* 127.0.0.1 byname|route_list = * $GW_OUT byname|" \
        "$EXIMDIR/exim.conf" > "$EXIMDIR/exim-gw.conf"
    grep -q "route_list = \* $GW_OUT" "$EXIMDIR/exim-gw.conf"
    grep -qx "$EXIMDIR/exim-gw.conf" /etc/exim4/trusted_configs 2>/dev/null || \
        echo "$EXIMDIR/exim-gw.conf" >> /etc/exim4/trusted_configs
}

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
    ip netns exec gwexim-gw tcpdump -i gwexim-go -s 0 -U -w "$WORK/out.pcap" 'tcp port 25' \
        2>/dev/null &
    local t1=$!
    ip netns exec gwexim-gw tcpdump -i gwexim-gi -s 0 -U -w "$WORK/in.pcap" 'tcp port 25' \
        2>/dev/null &
    local t2=$!
    sleep 1.5
    ip netns exec gwexim-gw $PY "$TOOLS/gwproxy.py" "$mode" --listen $GW_OUT --source $GW_IN \
        --server "$server" 2>>"$WORK/proxy.log" &
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
    ip netns exec gwexim-out "$EXIM" -C "$EXIMDIR/exim-gw.conf" -odf -oi \
        -f postmaster@production.org manager@company.com < "$WORK/$tag.txt"
}

# Postfix relays a DATA message (its smtp client never sends BDAT): handed to the
# sender instance by its sendmail, sent on at once to the relayhost, the gateway
postfix_sender() {
    printf '%s\n' 'Date: Mon, 17 Sep 2007 12:00:00 +0000' 'From: <alice@production.org>' \
        'To: <manager@company.com>' \
        'Subject: smtpscope gateway pair, relayed by Postfix over DATA' \
        'Message-ID: <gw-data-faithful@production.org>' '' 'Hello Manager,' '' \
        'this message goes Postfix -> gateway -> Postfix, by DATA.' \
        '.leading dot line (dot-stuffed on every hop)' 'Regards,' 'Alice' |
        ip netns exec gwexim-out sendmail -C "$PF_OUT" -f alice@production.org \
            manager@company.com
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

# want NAME: no argument records every pair, else only the pairs named
want() { [ ${#ARGS[@]} = 0 ] || [[ " ${ARGS[*]} " == *" $1 "* ]]; }
ARGS=("$@")
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
net
lab
want gw-faithful && pair gw-faithful faithful 203.0.113.1 exim_sender
want gw-data-faithful && pair gw-data-faithful faithful 203.0.113.1 postfix_sender
want gw-swallow-bdat && pair gw-swallow-bdat swallow-bdat 203.0.113.1 exim_sender
want gw-bdat-to-data && pair gw-bdat-to-data bdat-to-data 203.0.113.2 exim_sender
want gw-mask-starttls && pair gw-mask-starttls mask-starttls 203.0.113.6 exim_sender
for n in gw-faithful gw-swallow-bdat gw-bdat-to-data gw-mask-starttls; do
    want $n && check $n "BDAT 2728 LAST"
done
want gw-data-faithful && check gw-data-faithful "DATA"
# the faithful pair's inside with its clock 1 h 2.5 s ahead
want gw-faithful && $PY "$TOOLS/retime.py" --shift 3602.5 "$HERE/gw-faithful-inside.pcap" \
    "$HERE/gw-faithful-inside-clock.pcap"
# an inside capture that runs from 10 s before to 130 s after the other
# pairs: the DATA pair's inside twice (-10 s and +130 s), so a message
# seen only outside had its whole window inside
if want gw-data-faithful; then
    $PY "$TOOLS/retime.py" --shift -10 "$HERE/gw-data-faithful-inside.pcap" "$WORK/early.pcap" &&
    $PY "$TOOLS/retime.py" --shift 130 "$HERE/gw-data-faithful-inside.pcap" "$WORK/late.pcap" &&
    mergecap -F pcap -w "$HERE/gw-data-faithful-inside-long.pcap" "$WORK/early.pcap" "$WORK/late.pcap"
fi
exit 0
