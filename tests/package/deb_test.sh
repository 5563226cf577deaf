#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, as a user gets it: lintian finds no error in it;
# dpkg -i installs it; the installed /usr/bin/smtpscope analyzes its demo
# capture (from /usr/share/smtpscope, with no arguments), lists its rules
# and prints its version; dpkg --purge removes it without a trace.
#
#   sh tests/package/deb_test.sh PATH/smtpscope_VERSION_ARCH.deb
#
# Installing needs root (sudo is used otherwise). The machine may be
# shared: the whole install-run-remove holds /tmp/smtpscope-deb-test.lock,
# dpkg's own lock is waited for, and a smtpscope package that was
# installed before is left installed (upgraded to this one).
set -eu
deb=$1
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
fail() {
    echo "deb_test: FAIL: $*" >&2
    exit 1
}

echo "== lintian $(basename "$deb")"
# --fail-on error: warnings and infos are printed, only errors fail.
lintian --fail-on error "$deb" || fail "lintian reports errors"

# dpkg -i when dpkg is free (another apt/dpkg may hold its lock a while).
dpkg_retry() {
    n=0
    until $SUDO dpkg "$@"; do
        n=$((n + 1))
        [ "$n" -lt 30 ] || return 1
        echo "deb_test: dpkg busy, retrying in 2 s" >&2
        sleep 2
    done
}

run_installed() {
    had=$(dpkg-query -W -f='${Status}' smtpscope 2>/dev/null || true)
    dpkg_retry -i "$deb" || fail "dpkg -i"
    # Removed again on any exit, unless it was installed before.
    case $had in
    *"install ok installed"*) ;;
    *) trap 'dpkg_retry --purge smtpscope >/dev/null || true' EXIT ;;
    esac
    tmp=$(mktemp -d)
    (cd "$tmp" && /usr/bin/smtpscope > out.txt 2> err.txt) ||
        fail "smtpscope on its demo capture: exit $?: $(cat "$tmp/err.txt")"
    grep -q "/usr/share/smtpscope/seed-bdat-timeout.pcap" "$tmp/err.txt" ||
        fail "not the installed demo capture: $(cat "$tmp/err.txt")"
    grep -q "bdat-no-payload" "$tmp/out.txt" ||
        fail "the demo capture's flag is missing"
    n=$(/usr/bin/smtpscope --list-rules | grep -c .)
    [ "$n" -ge 10 ] || fail "--list-rules lists $n rules"
    /usr/bin/smtpscope --version | grep -q "libnids" || fail "--version"
    rm -rf "$tmp"
    case $had in
    *"install ok installed"*) return 0 ;;
    esac
    dpkg_retry --purge smtpscope >/dev/null || fail "dpkg --purge"
    trap - EXIT
    [ ! -e /usr/bin/smtpscope ] && [ ! -e /etc/default/smtpscope ] ||
        fail "files left after dpkg --purge"
}

echo "== dpkg -i, run, dpkg --purge"
exec 9> /tmp/smtpscope-deb-test.lock
flock 9
run_installed
echo "deb_test: the package installs, runs and goes away cleanly"
