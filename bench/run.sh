#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# smtpscope benchmark: bench/run.sh [SESSIONS...]   (default: 5000)
#
# For each session count: generate bench/out/smtp-N-seedS.pcap (skipped when
# present with the same parameters and generator source), then time, on the
# same file and in the same run:
#   smtpscope -q -j /dev/null -r FILE                       (Release build)
#   tcpdump -r FILE -w /dev/null                            (raw libpcap read)
#   tshark -r FILE -Y smtp.req -T fields -e smtp.req.command -e smtp.req.parameter
# each RUNS times (best wall time kept, largest peak RSS kept), and print a
# table with MB/s, peak RSS and the targets.  A benchmark: it prints numbers
# and exits 0 whatever they are (non-zero only if it cannot run at all).
#
# Environment: SEED (1), RUNS (2), CONCURRENCY (150), BODY_SCALE (1.0),
#              TSHARK=0 to leave tshark out (it takes minutes on big files),
#              SMTPSCOPE=path to use an existing binary instead of building,
#              SC_ARGS="-p any" (or any options) added to the smtpscope run,
#              GEN_ONLY=1 to stop after generating the captures.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
BUILD=$ROOT/build-bench
SEED=${SEED:-1}
RUNS=${RUNS:-2}
CONCURRENCY=${CONCURRENCY:-150}
BODY_SCALE=${BODY_SCALE:-1.0}
TSHARK=${TSHARK:-1}
[ $# -eq 0 ] && set -- 5000

mkdir -p "$OUT" || exit 2
say() { printf '%s\n' "run.sh: $*" >&2; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }  # calc FORMAT EXPR (no bc needed)
holds() { awk "BEGIN { exit !($1) }"; }       # holds EXPR: numeric test

# --- /usr/bin/time -v -------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    say "installing package 'time' for /usr/bin/time -v"
    if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get install -y time >/dev/null 2>&1 ||
        { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y time >/dev/null 2>&1; }
    [ -x /usr/bin/time ] || { say "cannot install /usr/bin/time"; exit 2; }
fi

# --- generator ----------------------------------------------------------------
GEN=$OUT/gen_capture
if [ ! -x "$GEN" ] || [ "$ROOT/bench/gen_capture.c" -nt "$GEN" ]; then
    say "building the generator"
    cc -std=c11 -O2 -Wall -Wextra -Werror -o "$GEN" "$ROOT/bench/gen_capture.c" -lm ||
        { say "generator does not compile"; exit 2; }
fi
GENSUM=$(cksum < "$ROOT/bench/gen_capture.c" | cut -d' ' -f1)

for N in "$@"; do
    case $N in '' | *[!0-9]*) say "not a session count: $N"; exit 2 ;; esac
    F=$OUT/smtp-$N-seed$SEED.pcap
    P="sessions=$N seed=$SEED concurrency=$CONCURRENCY body-scale=$BODY_SCALE gen=$GENSUM"
    if [ -f "$F" ] && [ -f "$F.params" ] && [ "$(cat "$F.params")" = "$P" ]; then
        say "$F: present, same parameters, not regenerated"
        continue
    fi
    say "generating $F"
    rm -f "$F" "$F.params"
    t0=$(date +%s.%N)
    "$GEN" --sessions "$N" --seed "$SEED" --concurrency "$CONCURRENCY" \
        --body-scale "$BODY_SCALE" --out "$F.tmp" 2>"$F.summary" || { cat "$F.summary" >&2; exit 2; }
    t1=$(date +%s.%N)
    mv "$F.tmp" "$F" && echo "$P" >"$F.params"
    sed -i "s#$F.tmp#$F#" "$F.summary"
    cat "$F.summary" >&2
    say "generated in $(calc "%.2f" "$t1 - $t0") s"
done

[ "${GEN_ONLY:-0}" != 0 ] && exit 0

# --- smtpscope, Release -------------------------------------------------------
SC=${SMTPSCOPE:-}
if [ -z "$SC" ]; then
    say "building smtpscope (Release) in $BUILD"
    if cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
        cmake --build "$BUILD" -j2 --target smtpscope >>"$OUT/build.log" 2>&1; then
        SC=$BUILD/src/smtpscope
    else
        say "*** smtpscope DOES NOT BUILD (the tree is probably mid-change); see $OUT/build.log:"
        grep -E 'error|Error|cannot' "$OUT/build.log" | head -8 >&2
        say "*** continuing with the raw read and tshark only"
        SC=
    fi
fi
[ -n "$SC" ] && [ ! -x "$SC" ] && { say "no binary at $SC"; SC=; }

# --- measuring ------------------------------------------------------------------
# measure NAME OUTFILE CMD...: runs CMD RUNS times under /usr/bin/time -v, stdout
# to OUTFILE; sets BEST (seconds), RSS (MB), RC (exit status of the last run).
measure() {
    name=$1 outf=$2
    shift 2
    BEST= RSS=0 RC=0
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        i=$((i + 1))
        t0=$(date +%s.%N)
        /usr/bin/time -v -o "$OUT/time.txt" "$@" >"$outf" 2>"$OUT/$name.err"
        RC=$?
        t1=$(date +%s.%N)
        s=$(calc "%.3f" "$t1 - $t0") # wall clock; time -v only has 10 ms steps
        r=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$OUT/time.txt")
        if [ -z "$BEST" ] || holds "$s < $BEST"; then BEST=$s; fi
        if holds "$r > $RSS"; then RSS=$r; fi
    done
    holds "$BEST < 0.001" && BEST=0.001
}

mbps() { calc "%.1f" "$1 / $2"; }
ratio() { calc "%.2f" "$1 / $2"; }
ok() { if holds "$1"; then echo yes; else echo NO; fi; }

TABLE=$OUT/results.txt
: >"$TABLE"
for N in "$@"; do
    F=$OUT/smtp-$N-seed$SEED.pcap
    BYTES=$(wc -c <"$F")
    MB=$(calc "%.1f" "$BYTES / 1000000")
    say "$F ($MB MB): warming the page cache"
    cat "$F" >/dev/null

    say "  raw read: tcpdump -r FILE -w /dev/null"
    measure tcpdump /dev/null tcpdump -r "$F" -w /dev/null
    RAW_S=$BEST RAW_R=$RSS

    SC_S= SC_R= SC_NOTE=
    if [ -n "$SC" ]; then
        say "  smtpscope ${SC_ARGS:-}${SC_ARGS:+ }-q -j /dev/null -r FILE"
        # shellcheck disable=SC2086  # SC_ARGS is a word list on purpose
        measure smtpscope /dev/null "$SC" ${SC_ARGS:-} -q -j /dev/null -r "$F"
        SC_S=$BEST SC_R=$RSS
        [ "$RC" -gt 1 ] && SC_NOTE=" (exit status $RC, see $OUT/smtpscope.err)"
    fi

    TS_S= TS_R= TS_LINES=
    if [ "$TSHARK" != 0 ]; then
        say "  tshark -Y smtp.req -T fields (slow)"
        measure tshark "$OUT/tshark-$N.txt" tshark -r "$F" -Y smtp.req -T fields \
            -e smtp.req.command -e smtp.req.parameter
        TS_S=$BEST TS_R=$RSS TS_LINES=$(wc -l <"$OUT/tshark-$N.txt")
    fi

    {
        echo
        echo "== $(basename "$F"): $MB MB, $N SMTP sessions, $(grep -o '[0-9]* packets' "$F.summary" | head -1), best of $RUNS runs, page cache warm"
        printf '%-10s %9s %9s %10s\n' tool seconds MB/s "peak RSS"
        printf '%-10s %9s %9s %7s MB\n' raw-read "$RAW_S" "$(mbps "$MB" "$RAW_S")" "$RAW_R"
        [ -n "$SC_S" ] && printf '%-10s %9s %9s %7s MB%s\n' smtpscope "$SC_S" "$(mbps "$MB" "$SC_S")" "$SC_R" "$SC_NOTE"
        [ -n "$TS_S" ] && printf '%-10s %9s %9s %7s MB  (%s request lines)\n' tshark "$TS_S" "$(mbps "$MB" "$TS_S")" "$TS_R" "$TS_LINES"
        if [ -n "$SC_S" ]; then
            RR=$(ratio "$RAW_S" "$SC_S")
            echo "smtpscope/raw-read throughput: $RR   (target >= 0.5: $(ok "$RR >= 0.5"))"
            if [ -n "$TS_S" ]; then
                TR=$(ratio "$TS_S" "$SC_S")
                echo "smtpscope/tshark throughput:   $TR   (target >= 20: $(ok "$TR >= 20"))"
            fi
            echo "smtpscope peak RSS:            $SC_R MB   (target <= 64 MB: $(ok "$SC_R <= 64"))"
        else
            echo "smtpscope: not measured (no binary: the build failed, see $OUT/build.log)"
        fi
    } | tee -a "$TABLE"
done
echo
echo "(table also in $TABLE)"
exit 0
