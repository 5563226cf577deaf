#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
drops_live_test.py - kernel drops never make a verdict (issue 9, item 7).

In a network namespace of its own (capture-drops-PID) with a veth pair,
tcpreplay sends the bench generator's capture at top speed into one end
while smtpscope captures the other with a tiny kernel buffer (-B 1), so
the kernel drops packets. Then the same capture is analyzed offline,
whole. Every warning, error or critical flag of the live run must also be
raised, for the same session, offline: what the drops alone brought must
be `uncertain` and `info`.

How many packets the kernel drops depends on the machine's load; the test
asserts nothing about it (it prints it), and is not timed: every wait is
bounded and only guards against a hang. Nothing leaves the namespace.
Exit 0 pass, 1 fail, 77 skip (not root, or no ip/tcpreplay).

usage: drops_live_test.py SMTPSCOPE GEN_CAPTURE
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
SESSIONS = 600


def run(*argv, timeout=60, check=True):
    return subprocess.run(list(argv), check=check, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def flags_by_session(doc):
    by = {}
    for s in doc['sessions']:
        by.setdefault((s['client']['ip'], s['client']['port']),
                      []).extend(s['flags'])
    return by


def live_only(live, whole):
    """LIVE and WHOLE: session key -> flags. (failures, uncertain count):
    an uncertain flag above info, or a certain one above info that WHOLE
    (the offline analysis, nothing lost) did not raise for that session."""
    failures, uncertain = [], 0
    for key, flags in live.items():
        real = {f['rule'] for f in whole.get(key, [])}
        for f in flags:
            if f.get('uncertain'):
                uncertain += 1
                if f['severity'] != 'info':
                    failures.append('%s: uncertain %s is %s' %
                                    (key, f['rule'], f['severity']))
            elif f['severity'] != 'info' and f['rule'] not in real:
                failures.append('%s %s (%s) live only: %s' % (
                    key, f['rule'], f['severity'], f['evidence'][:300]))
    return failures, uncertain


def wait_stats_line(proc, path, want=1, timeout=15.0):
    """--stats 1 prints a line once a capture loop runs (one per worker):
    True once WANT such lines are in PATH, False if PROC ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with open(path) as f:
            if f.read().count('packets,') >= want:
                return True
        time.sleep(0.1)
    return False


def veth_up(ns, a, b):
    """A veth pair A <-> B inside network namespace NS, both ends and lo up."""
    run('ip', '-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    for dev in ('lo', a, b):
        run('ip', '-n', ns, 'link', 'set', dev, 'up')


@contextlib.contextmanager
def netns(prefix):
    """A network namespace PREFIX-PID and a temporary directory: yields
    (ns, tmp, procs), ns None when the namespace cannot be made. At the
    end every process appended to procs is killed if still running, the
    namespace and the directory are removed."""
    ns = '%s-%d' % (prefix, os.getpid())
    tmp = tempfile.mkdtemp(prefix=prefix + '-')
    procs = []
    try:
        made = run('ip', 'netns', 'add', ns, check=False).returncode == 0
        yield (ns if made else None), tmp, procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        run('ip', 'netns', 'del', ns, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def in_netns(prefix, body, tools=('ip', 'tcpreplay')):
    """body(ns, tmp, procs) in a network namespace of its own (netns):
    its result; SKIP when not root, a tool is missing or the namespace
    cannot be made."""
    if os.geteuid() != 0 or not all(shutil.which(t) for t in tools):
        print('skip: needs root and %s' % ', '.join(tools))
        return SKIP
    with netns(prefix) as (ns, tmp, procs):
        if ns is None:
            print('skip: cannot create a network namespace')
            return SKIP
        return body(ns, tmp, procs)


def start_capture(nse, argv, tmp, procs, want=1, out=None):
    """ARGV (smtpscope ... --stats 1) in the namespace, its stderr in
    TMP/stderr (its stdout in file OUT if given): (proc, err_path) once
    WANT capture loops run, proc None (the reason printed) when they do
    not."""
    err_path = os.path.join(tmp, 'stderr')
    with open(err_path, 'w') as err, \
            open(out or os.devnull, 'w') as stdout:
        proc = subprocess.Popen(nse + argv, stdout=stdout, stderr=err)
    procs.append(proc)
    if not wait_stats_line(proc, err_path, want):
        print('FAIL smtpscope did not start capturing:',
              open(err_path).read())
        return None, err_path
    return proc, err_path


def main():
    exe, gen = sys.argv[1], sys.argv[2]
    return in_netns('capture-drops', lambda ns, tmp, procs:
                    replay_drops(exe, gen, ns, tmp, procs))


def replay_drops(exe, gen, ns, tmp, procs):
    """The test in namespace NS: 0 pass, 1 fail."""
    nse = ['ip', 'netns', 'exec', ns]
    veth_up(ns, 'cap0', 'cap1')
    pcap = os.path.join(tmp, 'bench.pcap')
    run(gen, '--sessions', str(SESSIONS), '--seed', '7', '--out', pcap)
    live_json = os.path.join(tmp, 'live.json')
    proc, _ = start_capture(nse, [exe, '-i', 'cap1', '-B', '1', '-q',
                                  '-a', '-j', live_json, '--stats', '1'],
                            tmp, procs)
    if proc is None:
        return 1
    run(*nse, 'tcpreplay', '-q', '--topspeed', '-i', 'cap0', pcap,
        timeout=300)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    live = json.load(open(live_json))
    off_json = os.path.join(tmp, 'offline.json')
    run(exe, '-q', '-a', '-j', off_json, '-r', pcap, timeout=300)
    whole = flags_by_session(json.load(open(off_json)))
    cap = live['summary'].get('capture', {})
    failures, uncertain = live_only(flags_by_session(live), whole)
    for f in failures:
        print('FAIL', f)
    print('kernel drops %s, live sessions %d (offline %d), capture '
          'gaps %s, uncertain flags %d, failures %d' % (
              cap.get('dropped'), len(live['sessions']), len(whole),
              cap.get('gaps'), uncertain, len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
