#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Profile smtpscope on the generated capture: bench/profile.sh [SESSIONS] (5000)
#
# Builds smtpscope RelWithDebInfo with frame pointers in bench/out/build-prof,
# then `perf record -g` on `smtpscope -q -j /dev/null -r FILE` and prints the
# top of `perf report --stdio` (self time, then the call graph of the top
# entries).  Where perf cannot record (no perf_event access, e.g. some
# containers), falls back to valgrind --tool=callgrind on a 200-session file.
# The full reports stay in bench/out/ (perf.data, perf-report.txt, callgrind.*).
# SMTPSCOPE=path profiles an existing binary instead of building.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
N=${1:-5000}
SEED=${SEED:-1}
say() { printf '%s\n' "profile.sh: $*" >&2; }

BUILD=$OUT/build-prof
SC=${SMTPSCOPE:-}
if [ -n "$SC" ]; then :; else
say "building smtpscope (RelWithDebInfo, -fno-omit-frame-pointer) in $BUILD"
if ! { cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_FLAGS=-fno-omit-frame-pointer >"$OUT/build-prof.log" 2>&1 &&
       cmake --build "$BUILD" -j2 --target smtpscope >>"$OUT/build-prof.log" 2>&1; }; then
    say "*** smtpscope DOES NOT BUILD (the tree is probably mid-change); see $OUT/build-prof.log"
    grep -E 'error|Error|cannot' "$OUT/build-prof.log" | head -8 >&2
    exit 1
fi
SC=$BUILD/src/smtpscope
fi

if command -v perf >/dev/null 2>&1 &&
   perf record -o "$OUT/perf-probe.data" -- true >/dev/null 2>&1; then
    rm -f "$OUT/perf-probe.data"
    GEN_ONLY=1 "$ROOT/bench/run.sh" "$N" || exit 1
    F=$OUT/smtp-$N-seed$SEED.pcap
    cat "$F" >/dev/null
    say "perf record on $F"
    perf record -F 1999 -g -o "$OUT/perf.data" -- "$SC" -q -j /dev/null -r "$F" 2>"$OUT/perf-record.err" ||
        { tail -5 "$OUT/perf-record.err" >&2; exit 1; }
    perf report -i "$OUT/perf.data" --stdio --no-children --sort dso,symbol \
        --percent-limit 0.5 -g none 2>/dev/null >"$OUT/perf-report.txt"
    perf report -i "$OUT/perf.data" --stdio --children --sort symbol \
        --percent-limit 2 -g caller,0.5,callee 2>/dev/null >"$OUT/perf-callgraph.txt"
    grep -v '^$' "$OUT/perf-report.txt" | head -60
    echo
    echo "(self-time report: $OUT/perf-report.txt; call graph: $OUT/perf-callgraph.txt)"
else
    command -v valgrind >/dev/null 2>&1 || { say "neither perf nor valgrind works"; exit 1; }
    say "perf cannot record here; valgrind --tool=callgrind on a 200-session capture"
    GEN_ONLY=1 "$ROOT/bench/run.sh" 200 || exit 1
    F=$OUT/smtp-200-seed$SEED.pcap
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
        "$SC" -q -j /dev/null -r "$F" 2>"$OUT/callgrind.err" || { tail -5 "$OUT/callgrind.err" >&2; exit 1; }
    callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | head -60
    echo
    echo "(full output: $OUT/callgrind.out, callgrind_annotate --inclusive=yes for totals)"
fi
