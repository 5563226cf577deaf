#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Re-make every capture in this directory from scratch on a Debian 12 machine.
# Needs root. Installs Postfix, swaks, tshark/dumpcap, tcpdump, scapy; unpacks Exim
# (not installed as a package, Postfix holds the MTA slot) into /opt/exim-unpacked.
# Traffic stays on loopback (127.0.0.0/8, ::1) and in network namespaces made here.
# Usage: sudo ./make-captures.sh [capture-name ...]   (no name = all)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
PY=/usr/bin/python3
EXIM=/opt/exim-unpacked/usr/sbin/exim4
EXIMDIR=/tmp/smtpscope-exim
WORK=/tmp/smtpscope-captures
mkdir -p "$WORK"

log() { echo "== $*" >&2; }

# ---------------------------------------------------------------- setup
install_packages() {
    local need=0
    for b in /usr/sbin/postfix /usr/bin/swaks /usr/bin/tshark /usr/bin/dumpcap /usr/bin/editcap \
             /usr/bin/tcpdump /usr/sbin/ip /usr/bin/openssl /usr/sbin/ethtool; do
        [ -x "$b" ] || need=1
    done
    $PY -c 'import scapy' 2>/dev/null || need=1
    if [ $need = 1 ]; then
        log "installing packages"
        apt-get update -qq
        echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
        echo "postfix postfix/mailname string mx.company.com" | debconf-set-selections
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix swaks tshark tcpdump \
            python3-scapy python3-cryptography iproute2 openssl procps ethtool
    fi
    if [ ! -x "$EXIM" ]; then
        log "unpacking exim (not installed as a package)"
        local d; d=$(mktemp -d)
        (cd "$d" && apt-get download exim4-daemon-light exim4-base exim4-config)
        for f in "$d"/*.deb; do dpkg -x "$f" /opt/exim-unpacked; done
        rm -rf "$d"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q libgnutls-dane0 libgnutls30 libidn12 \
            libidn2-0 libnsl2 libdb5.3 libpcre2-8-0 libcrypt1
    fi
    # the Debian exim binary has its exim user compiled in
    id Debian-exim >/dev/null 2>&1 || useradd --system --no-create-home \
        --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
}

setup_postfix() {
    log "configuring postfix (loopback only)"
    if [ ! -f /etc/postfix/smtpscope-tls.pem ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mx.company.com \
            -keyout /etc/postfix/smtpscope-tls.key -out /etc/postfix/smtpscope-tls.pem 2>/dev/null
        chmod 600 /etc/postfix/smtpscope-tls.key
    fi
    # an expired certificate with fixed dates (2020-01-01 .. 2021-01-01) for 127.0.0.8;
    # OpenSSL 3.0's req/x509 cannot set past dates, python3-cryptography can
    if [ ! -f /etc/postfix/smtpscope-expired.pem ]; then
        $PY - <<'CERTEOF'
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired.company.com")])
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(2020)
        .not_valid_before(datetime.datetime(2020, 1, 1))
        .not_valid_after(datetime.datetime(2021, 1, 1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("expired.company.com")]), False)
        .sign(key, hashes.SHA256()))
open("/etc/postfix/smtpscope-expired.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open("/etc/postfix/smtpscope-expired.key", "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption()))
CERTEOF
        chmod 600 /etc/postfix/smtpscope-expired.key
    fi
    cat > /etc/postfix/main.cf <<'PFEOF'
# smtpscope capture lab: loopback only, written by captures/make-captures.sh
compatibility_level = 3.6
myhostname = mx.company.com
mydomain = company.com
myorigin = $mydomain
mydestination = company.com, mx.company.com, smtpscope.test, localhost
inet_interfaces = loopback-only
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
local_recipient_maps =
luser_relay = root
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
relayhost =
smtpd_banner = $myhostname ESMTP Postfix
smtpd_timeout = 5s
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = none
smtpd_client_connection_rate_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
disable_dns_lookups = yes
smtp_host_lookup = native
maillog_file = /var/log/postfix.log
mailbox_size_limit = 0
message_size_limit = 10240000
biff = no
PFEOF
    # explicit listeners, all on port 25 (the analyzer's default ports):
    #  127.0.0.1 / ::1   stock Postfix 3.7 (CHUNKING, PIPELINING, no TLS)
    #  127.0.0.2         CHUNKING not advertised
    #  127.0.0.3         PIPELINING not advertised
    #  127.0.0.4         pauses 1 s at RCPT (sleep restriction), so parallel sessions overlap
    #  127.0.0.6         STARTTLS offered
    #  127.0.0.6:465     smtps: TLS from the first byte (wrapper mode)
    #  127.0.0.7         STARTTLS, TLS 1.2 or later only
    #  127.0.0.8         STARTTLS with an expired certificate
    $PY - <<'PYEOF'
import re
p = '/etc/postfix/master.cf'
lines = open(p).read().split('\n')
out = [l for l in lines if not re.match(r'^(smtp|[0-9.]+:(smtp|465)|\[::1\]:smtp)\s+inet\s', l)
       and not l.startswith('  -o smtpscope')]
svc = [
 '127.0.0.1:smtp inet n - n - - smtpd',
 '[::1]:smtp inet n - n - - smtpd',
 '127.0.0.2:smtp inet n - n - - smtpd -o smtpd_discard_ehlo_keywords=chunking',
 '127.0.0.3:smtp inet n - n - - smtpd -o smtpd_discard_ehlo_keywords=pipelining',
 '127.0.0.4:smtp inet n - n - - smtpd -o smtpd_client_restrictions=sleep,1,permit',
 '127.0.0.6:smtp inet n - n - - smtpd -o smtpd_tls_security_level=may'
 ' -o smtpd_tls_cert_file=/etc/postfix/smtpscope-tls.pem -o smtpd_tls_key_file=/etc/postfix/smtpscope-tls.key',
 '127.0.0.6:465 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt'
 ' -o smtpd_tls_cert_file=/etc/postfix/smtpscope-tls.pem -o smtpd_tls_key_file=/etc/postfix/smtpscope-tls.key',
 '127.0.0.7:smtp inet n - n - - smtpd -o smtpd_tls_security_level=may'
 ' -o smtpd_tls_protocols=>=TLSv1.2 -o smtpd_tls_mandatory_protocols=>=TLSv1.2'
 ' -o smtpd_tls_cert_file=/etc/postfix/smtpscope-tls.pem -o smtpd_tls_key_file=/etc/postfix/smtpscope-tls.key',
 '127.0.0.8:smtp inet n - n - - smtpd -o smtpd_tls_security_level=may'
 ' -o smtpd_tls_cert_file=/etc/postfix/smtpscope-expired.pem -o smtpd_tls_key_file=/etc/postfix/smtpscope-expired.key',
]
i = next(n for n, l in enumerate(out) if l.startswith('#smtp') or 'inet' in l)
out = out[:i] + svc + out[i:]
open(p, 'w').write('\n'.join(out))
PYEOF
    newaliases
    postfix check
    if postfix status >/dev/null 2>&1; then postfix reload; else postfix start; fi
    sleep 2
    postfix status
}

setup_exim() {
    log "private exim config in $EXIMDIR"
    mkdir -p "$EXIMDIR/spool" "$EXIMDIR/log"
    chown -R Debian-exim: "$EXIMDIR/spool" "$EXIMDIR/log"
    cat > "$EXIMDIR/exim.conf" <<EXEOF
# smtpscope capture lab: send everything to Postfix on 127.0.0.1:25 (BDAT, since
# Postfix advertises CHUNKING)
primary_hostname = exim.production.org
exim_path = $EXIM
keep_environment =
spool_directory = $EXIMDIR/spool
log_file_path = $EXIMDIR/log/%slog
exim_user = Debian-exim
exim_group = Debian-exim
never_users =
trusted_users = root
qualify_domain = production.org
message_size_limit = 50M
acl_not_smtp = acl_ok
received_header_text = Received: from smtpscope lab by exim.production.org
message_id_header_domain = production.org
begin acl
acl_ok:
  accept
begin routers
to_postfix:
  driver = manualroute
  route_list = * 127.0.0.1 byname
  self = send
  transport = remote_smtp
begin transports
remote_smtp:
  driver = smtp
  port = 25
  hosts_try_chunking = *
  hosts_avoid_tls = *
  hosts_avoid_esmtp =
  helo_data = exim.production.org
begin retry
* * F,1m,1m
EXEOF
    # the same Exim, as a TLS client (GnuTLS: Debian's exim4 is built with it) to the
    # STARTTLS listener 127.0.0.6; it does not verify the self-signed certificate
    sed -e 's/route_list = \* 127.0.0.1 byname/route_list = * 127.0.0.6 byname/' \
        -e '/hosts_avoid_tls/d' -e 's/^  hosts_try_chunking = \*/  hosts_try_chunking = *\n  tls_sni = mx.company.com/' \
        "$EXIMDIR/exim.conf" > "$EXIMDIR/exim-tls.conf"
    # root may use -C only with configs listed in the compiled-in trusted list
    mkdir -p /etc/exim4
    grep -qx "$EXIMDIR/exim.conf" /etc/exim4/trusted_configs 2>/dev/null || \
        echo "$EXIMDIR/exim.conf" >> /etc/exim4/trusted_configs
    grep -qx "$EXIMDIR/exim-tls.conf" /etc/exim4/trusted_configs 2>/dev/null || \
        echo "$EXIMDIR/exim-tls.conf" >> /etc/exim4/trusted_configs
}

# exim_send FROM TO FILE : deliver FILE now, in the foreground, via BDAT
exim_send() {
    "$EXIM" -C "$EXIMDIR/exim.conf" -odf -oi -f "$1" "$2" < "$3"
}

# ---------------------------------------------------------------- recording
# record OUTFILE CMD... : tcpdump on $IFACE (default lo) while CMD runs.
# Env: IFACE, LINKTYPE (tcpdump -y), FILTER (default 'tcp port 25'), SETTLE (s after CMD)
record() {
    local out=$1; shift
    local tmp="$WORK/$(basename "$out")"
    local args=(-i "${IFACE:-lo}" -s 0 -U -w "$tmp")
    [ -n "${LINKTYPE:-}" ] && args+=(-y "$LINKTYPE")
    rm -f "$tmp"
    tcpdump "${args[@]}" "${FILTER:-tcp port 25}" 2>"$WORK/tcpdump.err" &
    local tp=$!
    sleep 1.5
    "$@" || log "note: session command exited $?"
    sleep "${SETTLE:-1.5}"
    kill -INT $tp; wait $tp || true
    chmod 644 "$tmp"
    local dest=$HERE/$out
    case $out in /*) dest=$out ;; esac
    [ "$tmp" -ef "$dest" ] || cp "$tmp" "$dest"
    log "$out: $(tshark -r "$dest" 2>/dev/null | wc -l) packets"
}

# fake MODE [fake args...] -- CMD... : run tools/fakesmtp.py on 127.0.0.5:25, then CMD
fake() {
    local mode=$1; shift
    local fargs=()
    while [ "$1" != "--" ]; do fargs+=("$1"); shift; done; shift
    $PY "$TOOLS/fakesmtp.py" "$mode" "${fargs[@]}" 2>>"$WORK/fake.log" &
    local fp=$!
    sleep 0.5
    "$@" || true
    wait $fp || true
}

client() { $PY "$TOOLS/smtpclient.py" "$@" 2>>"$WORK/client.log"; }

SWAKS_BODY='Date: Mon, 17 Sep 2007 12:00:00 +0000
From: <alice@smtpscope.test>
To: <manager@company.com>
Subject: smtpscope clean DATA test
Message-ID: <clean-data@smtpscope.test>

Hello Manager,

this is a fixed test message sent with swaks over DATA.
.leading dot line (swaks dot-stuffs it)
Regards,
Alice
'
swaks_data() {   # swaks_data SERVER [extra swaks args]
    local srv=$1; shift
    swaks --server "$srv" --port 25 --helo client.smtpscope.test \
        --from alice@smtpscope.test --to manager@company.com \
        --data "$SWAKS_BODY" --timeout 20 "$@" >>"$WORK/swaks.log" 2>&1
}

# a fixed message of about N KB for Exim (BDAT)
make_msg() {   # make_msg FILE KB TAG
    {
        echo "Date: Mon, 17 Sep 2007 12:00:00 +0000"
        echo "From: <postmaster@production.org>"
        echo "To: <manager@company.com>"
        echo "Subject: smtpscope $3"
        echo "Message-ID: <$3@production.org>"
        echo
        local i
        for i in $(seq 1 $(( $2 * 1024 / 64 ))); do
            printf 'line %05d of the fixed smtpscope test body, padding padding.\n' "$i"
        done
    } > "$1"
}

# ---------------------------------------------------------------- captures
cap_clean_data()      { record clean-data.pcap swaks_data 127.0.0.1; }
cap_clean_bdat()      { make_msg "$WORK/msg40k.txt" 40 multichunk
                        record clean-bdat-multichunk.pcap exim_send postmaster@production.org \
                            manager@company.com "$WORK/msg40k.txt"; }
cap_seed()            { SETTLE=1 record seed-bdat-timeout.pcap fake symantec-timeout --chunk-wait 5 -- \
                            client seed --host 127.0.0.5; }
cap_timeout_postfix() { record bdat-timeout-postfix.pcap client seed --host 127.0.0.1; }
cap_short()           { record bdat-short-chunk.pcap client short --host 127.0.0.1; }
cap_long()            { record bdat-long-chunk.pcap client long --host 127.0.0.1; }
cap_drop()            { record drop-after-bdat.pcap fake drop -- client bdat-cmd-only --host 127.0.0.5; }
cap_reset()           { record reset-after-bdat.pcap fake reset -- client bdat-cmd-only --host 127.0.0.5; }
cap_midstream() {
    local full="$WORK/midstream-full.pcap"
    record "$full" swaks_data 127.0.0.1
    # first frame after the server's 220 banner
    local banner; banner=$(tshark -r "$full" -Y 'smtp.response.code == 220' -T fields -e frame.number | head -1)
    editcap -r "$full" "$HERE/midstream.pcap" "$((banner + 1))-100000"
    rm -f "$full"
}
cap_ipv6()            { record ipv6-data.pcap swaks_data ::1 -6; }
cap_sll()             { IFACE=any LINKTYPE=LINUX_SLL record sll-data.pcap swaks_data 127.0.0.1; }
cap_sll2()            { IFACE=any LINKTYPE=LINUX_SLL2 record sll2-data.pcap swaks_data 127.0.0.1; }
cap_pcapng() {
    make_msg "$WORK/msg8k.txt" 8 pcapng
    rm -f "$WORK/pcapng.pcapng"
    dumpcap -q -i lo -s 0 -f 'tcp port 25' -w "$WORK/pcapng.pcapng" 2>"$WORK/dumpcap.err" &
    local dp=$!
    sleep 2
    exim_send postmaster@production.org manager@company.com "$WORK/msg8k.txt"
    sleep 1.5
    kill -INT $dp; wait $dp || true
    cp "$WORK/pcapng.pcapng" "$HERE/pcapng-bdat.pcapng"; chmod 644 "$HERE/pcapng-bdat.pcapng"
    log "pcapng-bdat.pcapng: $(tshark -r "$HERE/pcapng-bdat.pcapng" 2>/dev/null | wc -l) packets"
}
concurrent_sessions() {
    make_msg "$WORK/msg16k.txt" 16 concurrent
    local i pids=()
    for i in 1 2 3 4; do
        swaks_data 127.0.0.4 --header "X-Session: $i" & pids+=($!)
        sleep 0.2
    done
    exim_send postmaster@production.org manager@company.com "$WORK/msg16k.txt" & pids+=($!)
    swaks_data ::1 -6 & pids+=($!)
    wait "${pids[@]}"
}
cap_concurrent()      { record concurrent.pcap concurrent_sessions; }
convert_scapy() {     # DLT_RAW and DLT_NULL copies of clean-data.pcap (converted, not recorded)
    $PY "$TOOLS/relink.py" raw  "$HERE/clean-data.pcap" "$HERE/rawip-data.pcap"
    $PY "$TOOLS/relink.py" null "$HERE/clean-data.pcap" "$HERE/null-data.pcap"
    # pcapng as Wireshark writes several interfaces: Ethernet, Linux cooked and raw IP in
    # one section (mergecap), then a second section with a Linux cooked v2 interface
    mergecap -F pcapng -w "$WORK/sec1.pcapng" "$HERE/clean-bdat-multichunk.pcap" \
        "$HERE/sll-data.pcap" "$HERE/rawip-data.pcap"
    editcap -F pcapng "$HERE/sll2-data.pcap" "$WORK/sec2.pcapng"
    cat "$WORK/sec1.pcapng" "$WORK/sec2.pcapng" > "$HERE/multi-linktype.pcapng"
    # real-world timing: Postfix's 5 s test timeout stretched to 300.5 s
    $PY "$TOOLS/retime.py" 300.5 "$HERE/bdat-timeout-postfix.pcap" \
        "$HERE/bdat-timeout-postfix-300s.pcap"
}
open_session_bg()     { client open --host 127.0.0.1 & sleep 3; }
cap_capture_end()     { SETTLE=0.5 record capture-end.pcap open_session_bg; sleep 6; }

# 802.1Q: two network namespaces joined by a veth pair, VLAN 100 on top; the capture is
# taken on the parent veth, so the frames carry real 802.1Q tags. Postfix does not run in
# a namespace, so the server is tools/fakesmtp.py (plain mode); the client is swaks.
# Addresses are TEST-NET-1 (192.0.2.0/24), they exist only inside these namespaces.
cap_vlan() {
    # kernels without 802.1Q support (no 8021q module, e.g. minimal VMs) cannot make
    # VLAN interfaces: then insert the tag into the real clean-data.pcap instead.
    if ! ip link add link lo name sscope-vt type vlan id 100 2>/dev/null; then
        log "no 802.1Q in this kernel: vlan-data.pcap converted from clean-data.pcap (tag 100)"
        [ -f "$HERE/clean-data.pcap" ] || cap_clean_data
        $PY "$TOOLS/relink.py" vlan "$HERE/clean-data.pcap" "$HERE/vlan-data.pcap"
        return
    fi
    ip link del sscope-vt
    ip netns del sscope-a 2>/dev/null || true
    ip netns del sscope-b 2>/dev/null || true
    ip netns add sscope-a; ip netns add sscope-b
    ip link add sscope-va type veth peer name sscope-vb
    ip link set sscope-va netns sscope-a; ip link set sscope-vb netns sscope-b
    local ns
    for ns in a b; do
        ip -n sscope-$ns link set lo up
        ip -n sscope-$ns link set sscope-v$ns up
        ip -n sscope-$ns link add link sscope-v$ns name sscope-v$ns.100 type vlan id 100
        ip -n sscope-$ns link set sscope-v$ns.100 up
        # no offloads: full-size, correctly checksummed frames in the capture
        ip netns exec sscope-$ns ethtool -K sscope-v$ns tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
    done
    ip -n sscope-a addr add 192.0.2.1/24 dev sscope-va.100
    ip -n sscope-b addr add 192.0.2.2/24 dev sscope-vb.100
    sleep 1
    rm -f "$WORK/vlan.pcap"
    ip netns exec sscope-a tcpdump -i sscope-va -s 0 -U -w "$WORK/vlan.pcap" 'vlan 100 and tcp port 25' 2>"$WORK/tcpdump.err" &
    local tp=$!
    ip netns exec sscope-b $PY "$TOOLS/fakesmtp.py" plain --listen 192.0.2.2 2>>"$WORK/fake.log" &
    local fp=$!
    sleep 1.5
    ip netns exec sscope-a swaks --server 192.0.2.2 --port 25 --helo client.smtpscope.test \
        --from alice@smtpscope.test --to manager@company.com --data "$SWAKS_BODY" \
        --timeout 20 >>"$WORK/swaks.log" 2>&1 || true
    wait $fp || true
    sleep 1.5
    kill -INT $tp; wait $tp || true
    ip netns del sscope-a; ip netns del sscope-b
    chmod 644 "$WORK/vlan.pcap"; cp "$WORK/vlan.pcap" "$HERE/vlan-data.pcap"
    log "vlan-data.pcap: $(tshark -r "$HERE/vlan-data.pcap" 2>/dev/null | wc -l) packets"
}

# ---------------------------------------------------------------- rule-engine captures
# Postfix listeners: 127.0.0.1 stock, .2 no CHUNKING, .3 no PIPELINING, .6 STARTTLS.
# Fake servers (tools/fakesmtp.py) listen on 127.0.0.5:25.
cap_no_chunking()     { record bdat-without-chunking.pcap client bdat --host 127.0.0.2; }
cap_binarymime_data() { record binarymime-data.pcap client binarymime --host 127.0.0.1; }
cap_binarymime_nochunk() { record binarymime-no-chunking.pcap fake binarymime-only -- swaks_data 127.0.0.5; }
cap_binarymime_gw()   { record binarymime-data-gateway.pcap fake symantec-timeout -- client binarymime --host 127.0.0.5; }
cap_binarymime_bdat() { record binarymime-bdat.pcap fake symantec-timeout -- client binarymime-ok --host 127.0.0.5; }
cap_bdat_rejected()   { record bdat-rejected.pcap fake reject -- client bdat --host 127.0.0.5; }
cap_masked()          { record esmtp-masked.pcap fake masked -- swaks_data 127.0.0.5; }
cap_exchange()        { record esmtp-xkeywords.pcap fake exchange -- swaks_data 127.0.0.5; }
cap_starttls()        { record starttls-ok.pcap swaks_data 127.0.0.6 -tls; }
cap_starttls_inject() { record starttls-injection.pcap client starttls-inject --host 127.0.0.6; }
cap_starttls_rej()    { record starttls-rejected.pcap client starttls-plain --host 127.0.0.1; }
auth_sessions() {
    fake auth --count 2 -- bash -c "
        swaks --server 127.0.0.5 --helo client.smtpscope.test --from alice@smtpscope.test \
            --to manager@company.com --auth PLAIN --auth-user alice --auth-password Sup3rSecret-Pa55 \
            --data '$SWAKS_BODY' >>$WORK/swaks.log 2>&1
        sleep 0.5
        swaks --server 127.0.0.5 --helo client.smtpscope.test --from alice@smtpscope.test \
            --to manager@company.com --auth LOGIN --auth-user alice --auth-password Sup3rSecret-Pa55 \
            --data '$SWAKS_BODY' >>$WORK/swaks.log 2>&1"
}
cap_auth()            { record cleartext-auth.pcap auth_sessions; }
cap_smuggle()         { record smtp-smuggling.pcap client smuggle --host 127.0.0.1; }
cap_smuggle_ok()      { record smtp-dotstuff-ok.pcap client smuggle-ok --host 127.0.0.1; }
cap_pipe_bad()        { record pipelining-violation.pcap client pipelining --host 127.0.0.3; }
cap_pipe_ok()         { record pipelining-ok.pcap client pipelining --host 127.0.0.1; }
cap_size_over()       { record size-exceeded.pcap client size-over --host 127.0.0.1; }
cap_size_at()         { record size-at-limit.pcap client size-at --host 127.0.0.1; }
cap_bdat0()           { record bdat-zero-last.pcap client bdat0 --host 127.0.0.1; }
invalid_sessions()    { local k; for k in abc neg huge junk empty; do client invalid-$k --host 127.0.0.1; done; }
cap_invalid()         { record bdat-invalid.pcap invalid_sessions; }
cap_mixed()           { record data-bdat-mixed.pcap client mixed --host 127.0.0.1; }
cap_unanswered()      { record unanswered-command.pcap fake silent-rcpt -- client unanswered --host 127.0.0.5; }
# SMTP on an odd port (fakesmtp plain on 127.0.0.5:8025, swaks) beside an HTTP request on
# 8080 (python3 -m http.server, curl): -p any must find the first and not the second
odd_port_sessions() {
    (cd "$WORK" && exec timeout 20 $PY -m http.server 8080 --bind 127.0.0.5) >/dev/null 2>&1 &
    local hp=$!
    $PY "$TOOLS/fakesmtp.py" plain --port 8025 2>>"$WORK/fake.log" &
    local fp=$!
    sleep 0.7
    curl -s -o /dev/null http://127.0.0.5:8080/ || true
    swaks --server 127.0.0.5 --port 8025 --helo client.smtpscope.test \
        --from alice@smtpscope.test --to manager@company.com \
        --data "$SWAKS_BODY" --timeout 20 >>"$WORK/swaks.log" 2>&1 || true
    wait $fp || true
    kill $hp 2>/dev/null; wait $hp 2>/dev/null || true
}
cap_odd_port() { FILTER="tcp port 8025 or tcp port 8080" record smtp-odd-port.pcap odd_port_sessions; }
# ---------------------------------------------------------------- TLS captures (issue 13)
# openssl_smtp HOST:PORT [s_client args...] : one s_client session; stdin is closed
# after a pause, so a completed handshake ends with the client's close
openssl_smtp() {
    local hp=$1; shift
    (sleep 2; printf 'QUIT\r\n'; sleep 1) | timeout 20 openssl s_client -connect "$hp" \
        -servername mx.company.com "$@" >>"$WORK/openssl.log" 2>&1 || true
}
exim_tls_send() {
    make_msg "$WORK/msg2k.txt" 2 tls-exim
    "$EXIM" -C "$EXIMDIR/exim-tls.conf" -odf -oi -f postmaster@production.org \
        manager@company.com < "$WORK/msg2k.txt"
}
cap_tls12()       { record tls12-starttls.pcap swaks_data 127.0.0.6 -tls --tls-protocol tlsv1_2; }
cap_tls13_exim()  { record tls13-exim-gnutls.pcap exim_tls_send; }
cap_tls_465()     { FILTER='tcp port 465' record implicit-tls-465.pcap \
                        swaks_data 127.0.0.6 --port 465 --tls-on-connect; }
cap_tls10()       { record tls10-refused.pcap openssl_smtp 127.0.0.7:25 -starttls smtp \
                        -tls1 -cipher 'DEFAULT:@SECLEVEL=0'; }
cap_tls_badcert() { record tls-cert-rejected.pcap openssl_smtp 127.0.0.6:25 -starttls smtp \
                        -tls1_2 -verify_return_error -CAfile /etc/ssl/certs/ca-certificates.crt; }
cap_tls_expired() { record tls-expired-cert.pcap swaks_data 127.0.0.8 -tls --tls-protocol tlsv1_2; }
cap_tls_close()   { record tls-server-close.pcap fake starttls-close -- swaks_data 127.0.0.5 -tls; }
cap_tls_clear()   { record starttls-cleartext.pcap fake starttls-clear -- client starttls-clear --host 127.0.0.5; }
# A completed TLS 1.0 handshake with a SHA-1 signed RSA-1024 certificate: no MTA of
# Debian 12 (OpenSSL 3, security level 1) completes one, so both ends are openssl at
# @SECLEVEL=0, s_server on 127.0.0.9:465 (implicit TLS: only the handshake matters)
tls10_weak_session() {
    local d="$WORK/legacy"
    mkdir -p "$d"
    [ -f "$d/c.pem" ] || openssl req -x509 -newkey rsa:1024 -nodes -sha1 -days 3650 \
        -subj /CN=legacy.company.com -keyout "$d/k.pem" -out "$d/c.pem" 2>/dev/null
    # s_server quits at EOF on stdin: keep it open while the client runs
    sleep 8 | timeout 10 openssl s_server -accept 127.0.0.9:465 -cert "$d/c.pem" \
        -key "$d/k.pem" -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -naccept 1 \
        >>"$WORK/openssl.log" 2>&1 &
    local sp=$!
    sleep 1
    (sleep 1; printf 'EHLO client.smtpscope.test\r\n'; sleep 1) | timeout 10 openssl s_client \
        -connect 127.0.0.9:465 -tls1 -cipher 'DEFAULT:@SECLEVEL=0' >>"$WORK/openssl.log" 2>&1 || true
    wait $sp || true
}
cap_tls10_weak()  { FILTER='tcp port 465' record tls10-weak-465.pcap tls10_weak_session; }
# converted: the capture joins tls12-starttls.pcap's connection at its first encrypted
# application-data record (as a capture started during a long TLS session does)
cap_tls_midstream() {
    [ -f "$HERE/tls12-starttls.pcap" ] || cap_tls12
    local first
    first=$(tshark -r "$HERE/tls12-starttls.pcap" -Y 'tls.record.content_type == 23' \
        -T fields -e frame.number 2>/dev/null | head -1)
    editcap -r "$HERE/tls12-starttls.pcap" "$HERE/tls-midstream.pcap" "$first-100000"
}
TLS=(tls12 tls13_exim tls_465 tls10 tls_badcert tls_expired tls_close tls_clear tls10_weak
     tls_midstream)
# ---------------------------------------------------------------- HTML report (issue 16)
# Markup, script and a bidi override from both scripted peers, on an address and port
# of their own (127.0.0.66:2525) so that other recordings on lo do not catch them.
hostile_session() {
    $PY "$TOOLS/fakesmtp.py" hostile --listen 127.0.0.66 --port 2525 2>>"$WORK/fake.log" &
    local fp=$!
    sleep 0.5
    client hostile --host 127.0.0.66 --port 2525 || true
    wait $fp || true
}
cap_hostile() { FILTER='host 127.0.0.66 and tcp port 2525' record hostile-markup.pcap hostile_session; }

# The message layer's rules. 8-bit: swaks sends a UTF-8 body as is (no BODY=); Postfix's
# own client, given `sendmail -B 8BITMIME`, declares BODY=8BITMIME to fakesmtp plain
# (127.0.0.5 as an address literal, so Postfix relays there).
SWAKS_8BIT='Date: Mon, 17 Sep 2007 12:00:00 +0000
From: <alice@smtpscope.test>
To: <manager@company.com>
Subject: smtpscope 8-bit body
Message-ID: <8bit@smtpscope.test>

Grüße aus Köln: this body is UTF-8, sent without BODY=8BITMIME.
'
swaks_msg() {   # swaks_msg SERVER BODY: as swaks_data, with another message
    swaks --server "$1" --port 25 --helo client.smtpscope.test \
        --from alice@smtpscope.test --to manager@company.com \
        --data "$2" --timeout 20 >>"$WORK/swaks.log" 2>&1
}
cap_8bit()            { record 8bit-without-8bitmime.pcap swaks_msg 127.0.0.1 "$SWAKS_8BIT"; }
postfix_8bit() {
    printf 'Date: Mon, 17 Sep 2007 12:00:00 +0000\nFrom: <alice@smtpscope.test>\nTo: <bob@[127.0.0.5]>\nSubject: smtpscope 8-bit body, declared\nMessage-ID: <8bit-declared@smtpscope.test>\n\nGr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln: this body is UTF-8; Postfix declares BODY=8BITMIME.\n' |
        /usr/sbin/sendmail -B 8BITMIME -f alice@smtpscope.test 'bob@[127.0.0.5]'
    postqueue -f
}
cap_8bit_declared()   { FILTER="tcp port 25 and host 127.0.0.5" SETTLE=6 record 8bit-with-8bitmime.pcap \
                            fake plain -- postfix_8bit; }
SWAKS_NODATE='From: <alice@smtpscope.test>
To: <manager@company.com>
Subject: smtpscope message without Date and Message-ID

This message has no Date: and no Message-ID: header.
'
cap_header_missing()  { record message-header-missing.pcap swaks_msg 127.0.0.1 "$SWAKS_NODATE"; }
RULES=(no_chunking binarymime_data binarymime_gw binarymime_nochunk binarymime_bdat bdat_rejected masked exchange
       starttls starttls_inject starttls_rej auth smuggle smuggle_ok pipe_bad pipe_ok size_over
       size_at bdat0 invalid mixed unanswered odd_port 8bit 8bit_declared header_missing hostile)

# ---------------------------------------------------------------- main
# ---- issue 10 (the SMTP model) and issue 9 items 9/10: fake peers only
# (tools/fakesmtp.py, tools/smtpclient.py); SKIP_SETUP=1 skips Postfix/Exim.
FAKE_FILTER='tcp port 25 and host 127.0.0.5'
cap_starttls_auth_220()  { FILTER=$FAKE_FILTER record starttls-auth-220.pcap fake auth-tls -- client starttls-auth --host 127.0.0.5; }
cap_starttls_auth_454()  { FILTER=$FAKE_FILTER record starttls-auth-454.pcap fake auth-notls -- client starttls-auth --host 127.0.0.5; }
auth_login_full() { FILTER=$FAKE_FILTER record "$WORK/auth-login-full.pcap" fake auth -- client auth-login --host 127.0.0.5; }
cap_auth_login_lost() {   # the segment carrying AUTH LOGIN removed
    auth_login_full
    local f; f=$($PY "$TOOLS/pcapframes.py" "$WORK/auth-login-full.pcap" 'AUTH LOGIN\r\n' | head -1)
    editcap "$WORK/auth-login-full.pcap" "$HERE/auth-login-lost.pcap" "$f"
}
cap_auth_midstream() {    # the capture starts after AUTH LOGIN and its first 334
    auth_login_full
    local f; f=$($PY "$TOOLS/pcapframes.py" "$WORK/auth-login-full.pcap" 'YWxpY2U=\r\n' | head -1)
    editcap -r "$WORK/auth-login-full.pcap" "$HERE/auth-midstream.pcap" "$f-100000"
}
cap_mixed_reply()        { FILTER=$FAKE_FILTER record malformed-reply.pcap fake mixed-reply -- client data-plain --host 127.0.0.5; }
cap_pipelined_drop()     { FILTER=$FAKE_FILTER record drop-after-bdat-pipelined.pcap fake drop -- client bdat-pipelined-quit --host 127.0.0.5; }
cap_after_banner() {      # the SYN is there, the greeting's segment is not
    FILTER=$FAKE_FILTER record "$WORK/after-banner-full.pcap" fake plain -- client data-plain --host 127.0.0.5
    local f; f=$($PY "$TOOLS/pcapframes.py" "$WORK/after-banner-full.pcap" '220 mx.smtpscope.test' | head -1)
    editcap "$WORK/after-banner-full.pcap" "$HERE/after-banner.pcap" "$f"
}
MODEL=(starttls_auth_220 starttls_auth_454 auth_login_lost auth_midstream mixed_reply
       pipelined_drop after_banner)

ALL=(clean_data clean_bdat seed timeout_postfix short long drop reset midstream ipv6 vlan
     sll sll2 pcapng concurrent rawnull capture_end)
cap_rawnull() { convert_scapy; }
main() {
    [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
    if [ -z "${SKIP_SETUP:-}" ]; then
        install_packages
        setup_postfix
        setup_exim
    fi
    : > "$WORK/client.log"; : > "$WORK/fake.log"; : > "$WORK/swaks.log"
    local list=("$@")
    [ ${#list[@]} = 0 ] && list=("${ALL[@]}" "${RULES[@]}" "${TLS[@]}" "${MODEL[@]}")
    local c
    for c in "${list[@]}"; do
        log "capture: $c"
        "cap_$c"
    done
    postqueue -f >/dev/null 2>&1 || true
    log "done; sessions logged in $WORK/{client,fake,swaks}.log"
}
main "$@"
