#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
workers_live_test.py - --workers 2 reports every session exactly once,
with the same end and flags as the offline analysis (issue 11).

In a network namespace of its own (live-workers-PID) with a veth pair,
the bench generator's capture (600 sessions), rewritten to 127.0.0.0/8
(tcprewrite --pnat), is replayed at a modest rate (50 Mbit/s) into one
end while smtpscope --workers 2 -a --jsonl captures the other. Every
session of the offline analysis of the same file must appear exactly
once, with the same end_state and flag rules; both workers must have
taken sessions (their final stats records), the kernel must not have
dropped (else the comparison says nothing: skipped, not failed), and the
exit summary adds up both workers. Not timed: waits only bound hangs.
Exit 0 pass, 1 fail, 77 skip (not root, no ip/tcpreplay/tcprewrite).

usage: workers_live_test.py SMTPSCOPE GEN_CAPTURE
"""
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drops_live_test import in_netns, run, start_capture, veth_up  # noqa: E402

SKIP = 77
SESSIONS = 600


def sessions(lines):
    """(client ip, port) -> [(end_state, sorted flag rules)] per record."""
    by = {}
    for line in lines:
        o = json.loads(line)
        if o.get('event_type') != 'smtp_session':
            continue
        key = (o['client']['ip'], o['client']['port'])
        by.setdefault(key, []).append(
            (o['end_state'], sorted(f['rule'] for f in o['flags'])))
    return by


def main():
    exe, gen = sys.argv[1], sys.argv[2]
    return in_netns('live-workers', lambda ns, tmp, procs:
                    replay_workers(exe, gen, ns, tmp, procs),
                    ('ip', 'tcpreplay', 'tcprewrite'))


def replay_workers(exe, gen, ns, tmp, procs):
    """The test in namespace NS: 0 pass, 1 fail, 77 skip."""
    failed = []
    nse = ['ip', 'netns', 'exec', ns]
    veth_up(ns, 'lw0', 'lw1')
    raw = os.path.join(tmp, 'gen.pcap')
    pcap = os.path.join(tmp, 'gen-127.pcap')
    run(gen, '--sessions', str(SESSIONS), '--seed', '7', '--out', raw)
    run('tcprewrite', '--pnat=10.0.0.0/8:127.0.0.0/8', '--fixcsum',
        '--infile=' + raw, '--outfile=' + pcap)
    jsonl = os.path.join(tmp, 'live.jsonl')
    proc, err_path = start_capture(nse, [exe, '-i', 'lw1', '--workers',
                                         '2', '-q', '-a', '--jsonl',
                                         jsonl, '--stats', '1'],
                                   tmp, procs, 2)
    if proc is None:
        return 1
    run(*nse, 'tcpreplay', '-q', '--mbps', '50', '-i', 'lw0', pcap,
        timeout=300)
    time.sleep(1.5)             # the last block's timeout
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    err = open(err_path).read()
    m = re.search(r'(\d+) sessions, \d+ flagged; received \d+, dropped '
                  r'(\d+) by the kernel', err)
    if m and int(m.group(2)) > 0:
        print('skip: the kernel dropped %s packets (machine busy)' %
              m.group(2))
        return SKIP
    lines = open(jsonl).read().splitlines()
    live = sessions(lines)
    off = sessions(run(exe, '-q', '-a', '--jsonl', '-', '-r',
                       pcap).stdout.decode().splitlines())
    finals = [json.loads(l) for l in lines
              if '"event_type":"stats"' in l and '"final":true' in l]
    checks = [
        (rc == 0, 'exit 0 (%d)' % rc),
        (len(off) == SESSIONS, 'offline: %d sessions' % len(off)),
        (all(len(v) == 1 for v in live.values()),
         'every live session reported once'),
        (set(live) == set(off), 'the same sessions live and offline '
         '(%d live only, %d offline only)' % (len(set(live) - set(off)),
                                               len(set(off) - set(live)))),
        (all(live[k] == off[k] for k in set(live) & set(off)),
         'the same end_state and flags per session'),
        (len(finals) == 2 and all(f.get('sessions', 0) > 0
                                  for f in finals),
         'both workers took sessions: %s' % [f.get('sessions')
                                              for f in finals]),
        (m is not None and int(m.group(1)) == SESSIONS,
         'the exit summary adds up the workers: %s' %
         (m.group(0) if m else err.strip()[-200:])),
    ]
    pipe = run(*nse, exe, '-i', 'lw1', '--workers', '2', '-q', '-a',
               '--jsonl', '-', check=False, timeout=30)
    checks.append((pipe.returncode == 2 and b'pipe' in pipe.stderr,
                   '--jsonl - on a pipe refused (long lines could mix)'))
    for ok, what in checks:
        print(('ok   ' if ok else 'FAIL ') + what)
        if not ok:
            failed.append(what)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
