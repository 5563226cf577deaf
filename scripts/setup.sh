#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# First command of the README: install, build, analyze the bundled capture.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
./build/src/smtpscope -r captures/seed-bdat-timeout.pcap
