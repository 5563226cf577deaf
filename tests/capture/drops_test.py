#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture loss never makes a verdict (issue 9, item 7), offline.

The bench generator writes a capture of real-looking SMTP sessions (some
with the gateway faults the rules exist for); this test deletes every Nth
TCP data packet from it, as a kernel dropping packets would, and analyzes
both. For every session, each warning/error/critical flag of the lossy run
must also be raised, for the same session, on the whole capture: flags
that the drops alone brought must be `uncertain` and `info`.

Usage: drops_test.py SMTPSCOPE GEN_CAPTURE
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

SESSIONS = 400
# (every Nth data packet dropped, offset): dense and sparse loss
PATTERNS = [(25, 0), (50, 0), (97, 3), (200, 7), (500, 11)]


def drop_every(src, dst, n, off):
    """Classic pcap, Ethernet/IPv4 (what the generator writes)."""
    data = open(src, 'rb').read()
    out = [data[:24]]
    pos, k, dropped = 24, 0, 0
    while pos + 16 <= len(data):
        caplen = struct.unpack('<I', data[pos + 8:pos + 12])[0]
        rec = data[pos:pos + 16 + caplen]
        pkt = rec[16:]
        pos += 16 + caplen
        if len(pkt) > 54 and pkt[12:14] == b'\x08\x00' and pkt[23] == 6:
            ihl = (pkt[14] & 15) * 4
            total = struct.unpack('>H', pkt[16:18])[0]
            thl = (pkt[14 + ihl + 12] >> 4) * 4
            if total - ihl - thl > 0:
                k += 1
                if (k + off) % n == 0:
                    dropped += 1
                    continue
        out.append(rec)
    open(dst, 'wb').write(b''.join(out))
    return dropped


def analyze(smtpscope, pcap, out):
    subprocess.run([smtpscope, '-q', '-a', '-j', out, '-r', pcap],
                   check=True, timeout=300)
    doc = json.load(open(out))
    by = {}
    for s in doc['sessions']:
        key = (s['client']['ip'], s['client']['port'])
        by.setdefault(key, []).extend(s['flags'])
    return by


def main():
    smtpscope, gen = sys.argv[1], sys.argv[2]
    failures, uncertain, gaps = [], 0, 0
    with tempfile.TemporaryDirectory(prefix='capture-drops-') as tmp:
        whole = os.path.join(tmp, 'whole.pcap')
        subprocess.run([gen, '--sessions', str(SESSIONS), '--seed', '3',
                        '--out', whole], check=True, timeout=120,
                       stdout=subprocess.DEVNULL)
        base = analyze(smtpscope, whole, os.path.join(tmp, 'whole.json'))
        for n, off in PATTERNS:
            lossy = os.path.join(tmp, 'lossy-%d.pcap' % n)
            dropped = drop_every(whole, lossy, n, off)
            got = analyze(smtpscope, lossy, lossy + '.json')
            for key, flags in got.items():
                real = {f['rule'] for f in base.get(key, [])}
                for f in flags:
                    gaps += f['rule'] == 'capture-gap'
                    if f.get('uncertain'):
                        uncertain += 1
                        if f['severity'] != 'info':
                            failures.append('%s: uncertain %s is %s' % (
                                key, f['rule'], f['severity']))
                        if 'could not decide' not in f['evidence']:
                            failures.append('%s: uncertain %s does not say '
                                            'why' % (key, f['rule']))
                        continue
                    if f['severity'] == 'info' or f['rule'] in real:
                        continue
                    failures.append('every %dth of %d dropped: %s:%d %s '
                                    '(%s): %s' % (n, dropped, key[0], key[1],
                                                  f['rule'], f['severity'],
                                                  f['evidence'][:200]))
    for f in failures:
        print('FAIL', f)
    print('%d capture-gap flags, %d uncertain flags, %d failures' %
          (gaps, uncertain, len(failures)))
    if gaps == 0 or uncertain == 0:
        print('FAIL: the drops made no gap or no uncertain flag: the test '
              'tested nothing')
        return 1
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
