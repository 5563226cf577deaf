#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Second command of the README (and what CI runs): the whole test suite,
# in the normal build; the Debian package built, linted, installed, run
# and removed; the suite again under AddressSanitizer + UBSan; then a
# short smoke run of each fuzz harness.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh --test
jobs="$(nproc)"

echo "== normal build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== Debian package: build, lintian, install, run, remove"
deb=$(sh scripts/build-deb.sh build-deb)
sh tests/package/deb_test.sh "$deb"

echo "== sanitizer build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON -DWERROR=ON \
      -DCMAKE_C_COMPILER=clang
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"

if [ -f tests/fuzz/CMakeLists.txt ]; then
    echo "== fuzz smoke runs"
    cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DFUZZ=ON -DWERROR=ON \
          -DCMAKE_C_COMPILER=clang
    cmake --build build-fuzz -j "$jobs"
    ctest --test-dir build-fuzz --output-on-failure -L fuzz
fi
