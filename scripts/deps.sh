#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what smtpscope needs to build and test, from Debian's packages
# only. Uses sudo when not run as root. Safe to run again.
set -eu
PKGS="build-essential cmake pkg-config libpcap-dev libnids-dev libnet1-dev
libglib2.0-dev libcjson-dev libssl-dev"
# The test suite also needs: clang + its runtimes (sanitizers, libFuzzer),
# tcpdump-free live tests on loopback (python3 for the tiny SMTP peer),
# tcpreplay for the forced-drop replay in a network namespace.
if [ "${1:-}" = "--test" ]; then
    PKGS="$PKGS clang libclang-rt-dev python3 iproute2 tcpreplay"
    # The package (scripts/build-deb.sh, tests/package/) and the man page
    # check (tests/install/: man --warnings).
    PKGS="$PKGS dpkg-dev lintian man-db"
    # The --html report is loaded in a real browser (tests/report,
    # label "browser"; in CI a skipped browser test fails).
    PKGS="$PKGS chromium"
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $SUDO apt-get -o DPkg::Lock::Timeout=300 update -q
    # Wait for dpkg's lock: on a shared machine another apt may hold it.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 \
        install -y -q $missing
fi
