#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Live capture benchmark (issue 11): bench/live.sh [RATE_MBPS...]
#
# In a network namespace of its own (live-bench-PID) with a veth pair
# (lb0 -> lb1), the bench capture (bench/gen_capture.c, SESSIONS sessions)
# rewritten to 127.0.0.0/8 (tcprewrite --pnat) is replayed into lb0 with
#   tcpreplay --mbps R --loop LOOPS --unique-ip
# while smtpscope -i lb1 -q -a --jsonl FILE SC_ARGS captures lb1. For each
# rate it prints: the rate tcpreplay reached, kernel drops, sessions
# reported against the offline count x LOOPS, CPU per packet (user+system
# of smtpscope from wait4 / packets read) against the offline run on the
# same packets, peak RSS, and the line latency (wall time a session's
# line arrived minus its last packet's time; sessions that end with the
# capture are left out).
#
# A benchmark: it prints figures and exits 0 whatever they are (non-zero
# only when it cannot run: not root, no ip/tcpreplay/tcprewrite). Every
# step is bounded in time; nothing leaves the namespace, which is removed
# at the end. Needs a built smtpscope (SMTPSCOPE=path, default
# build/src/smtpscope) and cc for the generator.
#
# Environment: SESSIONS (5000), LOOPS (5), SEED (1), SC_ARGS ("", e.g.
#   "--workers 2" or "-B 128"), SMTPSCOPE (build/src/smtpscope),
#   REPLAY_TIMEOUT (seconds per replay, 900).
# Examples:
#   sudo bench/live.sh 1000                          # 1 Gbit/s, 5 loops
#   sudo SC_ARGS="--workers 2" bench/live.sh 1000 1500
#   sudo LOOPS=1 bench/live.sh 100                   # a quick check
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
SESSIONS=${SESSIONS:-5000}
LOOPS=${LOOPS:-5}
SEED=${SEED:-1}
SC_ARGS=${SC_ARGS:-}
SMTPSCOPE=${SMTPSCOPE:-$ROOT/build/src/smtpscope}
REPLAY_TIMEOUT=${REPLAY_TIMEOUT:-900}
[ $# -eq 0 ] && set -- 1000

if [ "$(id -u)" != 0 ]; then
    echo "bench/live.sh: needs root (network namespace, packet capture)" >&2
    exit 2
fi
for t in ip tcpreplay tcprewrite python3 cc; do
    command -v $t >/dev/null 2>&1 || {
        echo "bench/live.sh: needs $t (apt-get install tcpreplay iproute2)" >&2
        exit 2
    }
done
[ -x "$SMTPSCOPE" ] || {
    echo "bench/live.sh: no smtpscope at $SMTPSCOPE (build first)" >&2
    exit 2
}

mkdir -p "$OUT"
GEN=$OUT/gen_capture
[ "$GEN" -nt "$ROOT/bench/gen_capture.c" ] ||
    cc -O2 -o "$GEN" "$ROOT/bench/gen_capture.c" -lm || exit 2
PCAP=$OUT/smtp-$SESSIONS-seed$SEED.pcap
LO=$OUT/smtp-$SESSIONS-seed$SEED-127.pcap
[ -s "$PCAP" ] || "$GEN" --sessions "$SESSIONS" --seed "$SEED" \
    --out "$PCAP" >/dev/null || exit 2
# the generator's 10.0.0.0/8 hosts moved to loopback-range addresses
[ "$LO" -nt "$PCAP" ] ||
    tcprewrite --pnat=10.0.0.0/8:127.0.0.0/8 --fixcsum \
        --infile="$PCAP" --outfile="$LO" || exit 2

exec python3 - "$SMTPSCOPE" "$LO" "$LOOPS" "$REPLAY_TIMEOUT" "$SC_ARGS" \
    "$@" <<'EOF'
import datetime, json, os, re, resource, shlex, signal, subprocess, sys
import threading, time

exe, pcap, loops, replay_timeout, sc_args = sys.argv[1:6]
rates = sys.argv[6:]
loops, replay_timeout = int(loops), int(replay_timeout)
ns = 'live-bench-%d' % os.getpid()
nse = ['ip', 'netns', 'exec', ns]


def sh(*argv, timeout=60):
    return subprocess.run(list(argv), check=True, timeout=timeout,
                          capture_output=True, text=True)


def run_rusage(argv, timeout, **kw):
    """Run argv; its exit status and rusage (wait4), output captured."""
    p = subprocess.Popen(argv, **kw)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p, ru
        if time.monotonic() > deadline:
            p.kill()
        time.sleep(0.05)


def iso_to_epoch(s):
    return datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').replace(
        tzinfo=datetime.timezone.utc).timestamp()


def reader(path, out, done):
    """Tails the --jsonl file: each line's (arrival wall time, record),
    to within the 5 ms poll. A file, not a pipe: with --workers a line
    longer than PIPE_BUF could mix with another worker's on a pipe."""
    while not os.path.exists(path) and not done.is_set():
        time.sleep(0.005)
    with open(path) as f:
        part = ''
        while True:
            chunk = f.readline()
            if chunk:
                part += chunk
                if part.endswith('\n'):
                    t = time.time()
                    try:
                        out.append((t, json.loads(part)))
                    except ValueError:
                        pass
                    part = ''
                continue
            if done.is_set():
                return
            time.sleep(0.005)


def one_rate(rate, off_sessions, off_us):
    err_path = '/tmp/%s-stderr' % ns
    jsonl = '/tmp/%s-%s.jsonl' % (ns, rate)
    with open(err_path, 'w') as err:
        argv = nse + [exe, '-i', 'lb1', '-q', '-a', '--jsonl', jsonl,
                      '--stats', '1'] + shlex.split(sc_args)
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
    lines = []
    done = threading.Event()
    th = threading.Thread(target=reader, args=(jsonl, lines, done),
                          daemon=True)
    th.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and 'packets' not in open(
            err_path).read() and p.poll() is None:
        time.sleep(0.1)
    rp = subprocess.run(nse + ['tcpreplay', '--mbps', str(rate), '--loop',
                               str(loops), '--unique-ip', '-i', 'lb0',
                               pcap], capture_output=True, text=True,
                        timeout=replay_timeout)
    time.sleep(2)                   # the last blocks' timeout, the lines
    p.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 60
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
        time.sleep(0.05)
    time.sleep(0.1)
    done.set()
    th.join(30)
    err = open(err_path).read()
    os.unlink(err_path)
    os.unlink(jsonl)
    m = re.search(r'(\d+) packets, (\d+) sessions, (\d+) flagged; received '
                  r'(\d+), dropped (\d+) by the kernel', err)
    packets = int(m.group(1)) if m else 0
    drops = m.group(5) if m else '?'
    reached = re.search(r'Rated: [\d.]+ Bps, ([\d.]+) Mbps', rp.stdout)
    sess = [o for _, o in lines if o.get('event_type') == 'smtp_session']
    lat = sorted(t - iso_to_epoch(o['end']) for t, o in lines
                 if o.get('event_type') == 'smtp_session' and o.get('end')
                 and o.get('end_state') not in ('capture-end',
                                                'idle-timeout'))
    cpu = ru.ru_utime + ru.ru_stime
    us = cpu / packets * 1e6 if packets else float('nan')
    print('rate %s Mbit/s (reached %s), %d loops, smtpscope %s' % (
        rate, reached.group(1) if reached else '?', loops,
        sc_args or '(defaults)'))
    print('  kernel drops      %s' % drops)
    print('  sessions          %d (offline %d x %d = %d)' % (
        len(sess), off_sessions, loops, off_sessions * loops))
    print('  CPU per packet    %.2f us (user %.1f s + system %.1f s, %d '
          'packets); offline %.2f us; ratio %.2f' % (
              us, ru.ru_utime, ru.ru_stime, packets, off_us,
              us / off_us if off_us else float('nan')))
    print('  peak RSS          %.1f MB' % (ru.ru_maxrss / 1024))
    if lat:
        print('  line latency      median %.3f s, 99%% %.3f s, max %.3f s '
              '(%d lines)' % (lat[len(lat) // 2],
                              lat[min(len(lat) - 1, len(lat) * 99 // 100)],
                              lat[-1], len(lat)))
    if rp.returncode != 0:
        print('  tcpreplay exit %d: %s' % (rp.returncode,
                                          rp.stderr.strip()[:200]))
    sys.stdout.flush()


def main():
    out_path = '/tmp/%s-offline' % ns
    with open(out_path, 'wb') as out:
        # the live kernel filter's packets only, so that the per-packet
        # figures are of the same packets
        p, ru = run_rusage([exe, '-q', '-a', '--jsonl', '-', '-r', pcap,
                            '-f', 'tcp and (port 25 or port 587 or port '
                            '2525 or port 465)'],
                           600, stdout=out, stderr=subprocess.DEVNULL)
    off_sessions = off_packets = 0
    with open(out_path) as f:
        for line in f:
            o = json.loads(line)
            if o.get('event_type') == 'smtp_session':
                off_sessions += 1
            elif o.get('event_type') == 'stats' and o.get('final'):
                off_packets = o.get('packets', 0)
    os.unlink(out_path)
    off_us = (ru.ru_utime + ru.ru_stime) / off_packets * 1e6 \
        if off_packets else 0
    print('offline: %d sessions, %d packets, %.2f us CPU per packet, peak '
          'RSS %.1f MB' % (off_sessions, off_packets, off_us,
                           ru.ru_maxrss / 1024))
    try:
        sh('ip', 'netns', 'add', ns)
        sh('ip', '-n', ns, 'link', 'add', 'lb0', 'type', 'veth', 'peer',
           'name', 'lb1')
        for dev in ('lo', 'lb0', 'lb1'):
            sh('ip', '-n', ns, 'link', 'set', dev, 'up')
        for rate in rates:
            one_rate(rate, off_sessions, off_us)
    finally:
        subprocess.run(['ip', 'netns', 'del', ns], timeout=30)


main()
EOF
