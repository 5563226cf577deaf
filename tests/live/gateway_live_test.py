#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
gateway_live_test.py - both sides of a gateway live (issue 20):
smtpscope -i go1 --other-side gi1, one process on two interfaces.

In a network namespace of its own (gwlive-PID) with two veth pairs (go0 -
go1 the outside, gi0 - gi1 the inside, MTU 65535: the loopback recordings
carry 2.7 KB segments), tcpreplay sends the recorded gateway pairs
(captures/gw-*-outside.pcap onto go0 and the matching -inside.pcap onto
gi0, at once) while smtpscope captures go1 and gi1. Pair after pair, each
pair's two session lines must come out while the capture runs (paired
sessions do not wait for the stop), then SIGINT:

- gw-swallow-bdat: paired by envelope+time, gateway-loss (error, not
  uncertain) with the seed's evidence on the outside session, `chunk
  bytes` and `reply` differences;
- gw-faithful: paired by message_id, no difference, no gateway-loss;
- gw-bdat-to-data: a `method` difference, no gateway-loss;
- a transparent gateway: gw-data-faithful-outside.pcap sent onto BOTH
  interfaces at once (40 packets/s each: they interleave), so the two
  sides carry the same 4-tuple and sequence numbers: two sessions (one per side), each whole, paired by message_id
  - never one connection mixed from both;
- gw-faithful-outside alone, then the stop: written at the stop, its
  loss uncertain (info): the capture stopped within the window in which
  the inside could still have carried it;
- the final stats record's gateway counters.

Not timed: every wait is bounded and only guards against a hang.
Exit 0 pass, 1 fail, 77 skip (not root, or no ip/tcpreplay).

usage: gateway_live_test.py SMTPSCOPE CAPTURES_DIR
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drops_live_test import in_netns, run, start_capture, veth_up  # noqa: E402

fails = []


def check(cond, what):
    if not cond:
        fails.append(what)
        print('FAIL', what)


def records(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.endswith('\n'):
                out.append(json.loads(line))
    return out


def sessions(path):
    return [o for o in records(path) if o['event_type'] == 'smtp_session']


def wait_sessions(proc, path, want, timeout=20.0):
    """True once PATH holds WANT session lines (PROC still running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(sessions(path)) >= want:
            return True
        time.sleep(0.1)
    return False


def replay(nse, pairs, rate=('--topspeed',)):
    """tcpreplay each (interface, file) at once; wait for all (bounded)."""
    procs = [subprocess.Popen(nse + ['tcpreplay', '-q'] + list(rate) +
                              ['-i', dev, pcap],
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
             for dev, pcap in pairs]
    ok = True
    for p in procs:
        try:
            ok = p.wait(timeout=60) == 0 and ok
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
            ok = False
    return ok


def gw(s):
    return s.get('gateway') or {}


def rules(s):
    return {f['rule']: f for f in s['flags']}


def check_pair(new, name, paired_by, loss, whats):
    """The two new session lines: one per side, each the other's peer."""
    check(len(new) == 2, '%s: two sessions (got %d)' % (name, len(new)))
    if len(new) != 2:
        return None
    by_side = {gw(s).get('side'): s for s in new}
    out, ins = by_side.get('outside'), by_side.get('inside')
    check(out is not None and ins is not None, name + ': both sides')
    if out is None or ins is None:
        return None
    check(gw(out).get('peer_uid') == ins['uid'] and
          gw(ins).get('peer_uid') == out['uid'], name + ': peers')
    check(gw(out).get('paired_by') == paired_by,
          '%s: paired by %s (got %s)' % (name, paired_by,
                                         gw(out).get('paired_by')))
    got = [d['what'] for d in gw(out).get('differences', [])]
    check(got == whats, '%s: differences %s (got %s)' % (name, whats, got))
    flag = rules(out).get('gateway-loss')
    check((flag is not None) == loss, '%s: gateway-loss %s' % (name, loss))
    check('gateway-loss' not in rules(ins), name + ': nothing inside')
    return out, ins, flag


def scenario(proc, nse, cap, jsonl, name, pairs, want,
             rate=('--topspeed',)):
    """Replay, then the new session lines (bounded wait)."""
    before = len(sessions(jsonl))
    check(replay(nse, [(d, os.path.join(cap, f)) for d, f in pairs], rate),
          name + ': tcpreplay')
    check(wait_sessions(proc, jsonl, before + want),
          '%s: %d session line(s) written while capturing' % (name, want))
    return sessions(jsonl)[before:]


def run_scenarios(proc, nse, cap, jsonl):
    new = scenario(proc, nse, cap, jsonl, 'swallow',
                   [('go0', 'gw-swallow-bdat-outside.pcap'),
                    ('gi0', 'gw-swallow-bdat-inside.pcap')], 2)
    r = check_pair(new, 'swallow', 'envelope+time', True,
                   ['chunk bytes', 'reply'])
    if r is not None:
        ev, flag = r[2]['evidence'], r[2]
        check(flag['severity'] == 'error' and not flag.get('uncertain'),
              'swallow: gateway-loss is a certain error')
        check('accepted BDAT 2728 LAST (2728 bytes) from the sender' in ev
              and 'passed nothing to the receiver: inside BDAT 2728 LAST'
              in ev and '421 4.4.2' in ev, 'swallow: evidence ' + ev)
    new = scenario(proc, nse, cap, jsonl, 'faithful',
                   [('go0', 'gw-faithful-outside.pcap'),
                    ('gi0', 'gw-faithful-inside.pcap')], 2)
    check_pair(new, 'faithful', 'message_id', False, [])
    new = scenario(proc, nse, cap, jsonl, 'bdat-to-data',
                   [('go0', 'gw-bdat-to-data-outside.pcap'),
                    ('gi0', 'gw-bdat-to-data-inside.pcap')], 2)
    check_pair(new, 'bdat-to-data', 'message_id', False,
               ['extension', 'method'])
    # 40 packets/s each, started together: the two copies interleave
    same = 'gw-data-faithful-outside.pcap'
    new = scenario(proc, nse, cap, jsonl, 'transparent',
                   [('go0', same), ('gi0', same)], 2, ('--pps', '40'))
    r = check_pair(new, 'transparent', 'message_id', False, [])
    if r is not None:
        a, b = r[0], r[1]
        check(a['client'] == b['client'] and a['server'] == b['server'],
              'transparent: one 4-tuple on both sides')
        for s in (a, b):
            t = s.get('transactions', [])
            check(len(t) == 1 and t[0].get('outcome', {}).get('status') ==
                  'delivered' and s['end_state'] == 'client-quit',
                  'transparent: each side whole, not mixed: %s %s' %
                  (s['end_state'], t))
    check(replay(nse, [('go0', os.path.join(cap,
                                            'gw-faithful-outside.pcap'))]),
          'only outside: tcpreplay')
    # the inside may still carry it for GW_WINDOW: nothing written yet
    time.sleep(1.5)
    check(len(sessions(jsonl)) == 8, 'only outside: waits for its pair')


def check_stop(jsonl):
    all_s = sessions(jsonl)
    check(len(all_s) == 9, '9 sessions in all (got %d)' % len(all_s))
    last = all_s[-1] if all_s else {}
    flag = rules(last).get('gateway-loss')
    check(gw(last).get('peer_uid', 'x') is None and flag is not None and
          flag.get('uncertain') and flag['severity'] == 'info' and
          'stopped' in flag['evidence'],
          'only outside: written at the stop, loss uncertain: %s' %
          (flag and flag['evidence']))
    stats = [o for o in records(jsonl) if o['event_type'] == 'stats']
    fin = stats[-1] if stats else {}
    g = fin.get('gateway', {})
    check(fin.get('final') and g.get('messages_in') == 5 and
          g.get('messages_out') == 3 and g.get('messages_lost') == 1 and
          g.get('messages_uncertain') == 1 and
          fin.get('kernel_drops') == 0,
          'final stats: %s (drops %s)' % (g, fin.get('kernel_drops')))


def check_text(text, all_s):
    """The text report: each session's gateway lines, the gateway block
    after the servers with the counts and one line per loss."""
    lost = [s['uid'] for s in all_s if 'gateway-loss' in rules(s)]
    check(text.count('  gateway         outside side; paired with') == 4 and
          text.count('  gateway         inside side; paired with') == 4,
          'text: each paired session names its pair')
    block = text[text.find('Gateway (--other-side):'):text.find('=== summary')]
    flat = ' '.join(block.split())
    check('5 message(s) in from the sender, 3 out to the receiver, 1 lost, '
          '1 undecided' in flat, 'text: the gateway block counts: ' + flat)
    check(len(lost) == 2 and 'LOST (%s): the gateway accepted BDAT 2728 LAST'
          % lost[0] in flat and 'MAYBE LOST (%s)' % lost[1] in flat,
          'text: one LOST and one MAYBE LOST line: ' + flat)


def two_sides(ns):
    """In NS the outside (go0 - go1) and the inside (gi0 - gi1) veth
    pairs, MTU 65535 (the loopback recordings carry 2.7 KB segments)."""
    for a, b in (('go0', 'go1'), ('gi0', 'gi1')):
        veth_up(ns, a, b)
        for dev in (a, b):
            run('ip', '-n', ns, 'link', 'set', dev, 'mtu', '65535')


def live_gateway(exe, cap, ns, tmp, procs):
    """The test in namespace NS: 0 pass, 1 fail."""
    nse = ['ip', 'netns', 'exec', ns]
    two_sides(ns)
    jsonl = os.path.join(tmp, 'live.jsonl')
    # -a: the faithful pairs raise no flag
    text = os.path.join(tmp, 'text')
    argv = [exe, '-i', 'go1', '--other-side', 'gi1', '-a', '--jsonl', jsonl,
            '--stats', '1']
    proc, err_path = start_capture(nse, argv, tmp, procs, out=text)
    if proc is None:
        return 1
    run_scenarios(proc, nse, cap, jsonl)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    check(rc == 0, 'exit status %d: %s' % (rc, open(err_path).read()))
    check_stop(jsonl)
    check_text(open(text).read(), sessions(jsonl))
    return 1 if fails else 0


def main():
    exe, cap = sys.argv[1], sys.argv[2]
    return in_netns('gwlive', lambda ns, tmp, procs:
                    live_gateway(exe, cap, ns, tmp, procs))


if __name__ == '__main__':
    sys.exit(main())
