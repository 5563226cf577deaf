#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
gateway_live_html_test.py - live --other-side with --html (issue 20): the
page written at SIGINT draws the paired sessions' three lanes.

In a network namespace of its own (gwlanes-PID) with two veth pairs, as
gateway_live_test.py: tcpreplay sends gw-swallow-bdat's outside onto go0
and its inside onto gi0 while `smtpscope -i go1 --other-side gi1 --html`
captures; after SIGINT the page must hold two three-lane ladders (one per
session of the pair), whose heads name both sides' connections (the
peer's kept by the live pairing), with the `chunk bytes` difference row
and the inside chunk's "0 of 2728 bytes". Checked in the file (the browser
tests cover the drawing): every wire string in it went through the one
escaper, as offline.
Exit 0 pass, 1 fail, 77 skip (not root, or no ip/tcpreplay).

usage: gateway_live_html_test.py SMTPSCOPE CAPTURES_DIR
"""
import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drops_live_test import in_netns, start_capture  # noqa: E402
import gateway_live_test as live  # noqa: E402


def live_html(exe, cap, ns, tmp, procs):
    """The test in namespace NS: 0 pass, 1 fail."""
    nse = ['ip', 'netns', 'exec', ns]
    live.two_sides(ns)
    jsonl, html = os.path.join(tmp, 'live.jsonl'), os.path.join(tmp, 'live.html')
    argv = [exe, '-i', 'go1', '--other-side', 'gi1', '-q', '-a',
            '--jsonl', jsonl, '--stats', '1', '--html', html]
    proc, err_path = start_capture(nse, argv, tmp, procs)
    if proc is None:
        return 1
    new = live.scenario(proc, nse, cap, jsonl, 'swallow',
                        [('go0', 'gw-swallow-bdat-outside.pcap'),
                         ('gi0', 'gw-swallow-bdat-inside.pcap')], 2)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=60)
    live.check(rc == 0, 'exit status %d: %s' % (rc, open(err_path).read()))
    page = open(html, encoding='utf-8').read() if os.path.exists(html) else ''
    live.check(page.rstrip().endswith('</html>'), 'the page was written whole')
    arts = re.findall(r'<details class="session[^"]*" id="s-([^"]+)".*?</details>',
                      page, re.S)
    live.check(sorted(arts) == sorted(s['uid'] for s in new),
               'one article per session: %s' % arts)
    for body in re.findall(r'<svg class="ladder lanes3".*?</svg>', page, re.S):
        heads = re.findall(r'<text x="\d+" y="16">([^<]*)</text>', body)
        live.check(len(heads) == 3 and all(re.search(r'\d:\d+$', h) for h in heads),
                   'lane heads with both sides\' addresses: %s' % heads)
        live.check('chunk bytes: 2728 bytes accepted' in body, 'the chunk bytes row')
        live.check('0 of 2728 bytes' in body, 'the inside chunk: 0 of 2728 bytes')
    live.check(page.count('class="ladder lanes3"') == 2,
               'two three-lane ladders (got %d)' % page.count('class="ladder lanes3"'))
    print(json.dumps([s['gateway'].get('peer_uid') for s in new]))
    return 1 if live.fails else 0


def main():
    exe, cap = sys.argv[1], sys.argv[2]
    return in_netns('gwlanes', lambda ns, tmp, procs:
                    live_html(exe, cap, ns, tmp, procs))


if __name__ == '__main__':
    sys.exit(main())
