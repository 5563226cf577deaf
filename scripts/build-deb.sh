#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the Debian package of smtpscope with dpkg-dev's own tools.
#
#   sh scripts/build-deb.sh [OUTDIR]      (default build-deb/)
#
# Configures a separate build for prefix /usr with Debian's hardening
# flags (dpkg-buildflags), builds only the binary and the man page,
# installs into a staging tree (cmake --install, DESTDIR), adds what
# Debian wants beside it (stripped binary, compressed man page and
# changelog, copyright, conffiles, md5sums, postinst), and lets
# dpkg-shlibdeps compute Depends from the shared libraries the binary
# links and dpkg-gencontrol write the control file from debian/control,
# with Built-Using naming the libnids source that is linked statically
# (libnet, glib, libpcap, cJSON and OpenSSL are linked as shared
# libraries, so they are Depends). Prints the .deb's path last.
set -eu
cd "$(dirname "$0")/.."
out=${1:-build-deb}
umask 022
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage="$out/stage"
rm -rf "$stage"

# The package version's upstream part must be the project's.
version=$(dpkg-parsechangelog -l debian/changelog -SVersion)
project=$(sed -n 's/^project(smtpscope VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
if [ "${version%-*}" != "$project" ]; then
    echo "build-deb: debian/changelog has $version, CMakeLists.txt $project" >&2
    exit 1
fi
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l debian/changelog -STimestamp)
export SOURCE_DATE_EPOCH

export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
export CFLAGS LDFLAGS
cmake -S . -B "$out/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWERROR=ON \
      -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$out/build" -j "$(nproc)" --target smtpscope man >&2
DESTDIR="$stage" cmake --install "$out/build" >/dev/null

# What Debian policy asks beyond the install tree.
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
      "$stage/usr/bin/smtpscope"
gzip -9n "$stage/usr/share/man/man1/smtpscope.1"
doc="$stage/usr/share/doc/smtpscope"
install -m 0644 debian/copyright "$doc/copyright"
gzip -9nc debian/changelog > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"
install -D -m 0644 debian/lintian-overrides \
        "$stage/usr/share/lintian/overrides/smtpscope"
mkdir -p "$stage/DEBIAN"
install -m 0755 debian/postinst "$stage/DEBIAN/postinst"
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) > "$stage/DEBIAN/conffiles"
(cd "$stage" && find usr etc -type f -print0 | sort -z | xargs -0 md5sum) \
    > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

# Depends from the linked shared libraries; Built-Using for libnids.
nids=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' libnids-dev)
dpkg-shlibdeps -T"$out/substvars" -e"$stage/usr/bin/smtpscope"
dpkg-gencontrol -psmtpscope -ldebian/changelog -cdebian/control \
    -T"$out/substvars" -f"$out/files" -P"$stage" \
    -Vmisc:Depends= "-Vnids:Built-Using=$nids"

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="$out/smtpscope_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz -b "$stage" "$deb" >/dev/null
echo "$deb"
