#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stretch the silences of a capture to real-world length (standard library only).

Usage: retime.py SECONDS IN.pcap OUT.pcap
Every pause between two consecutive packets longer than 1 s becomes SECONDS long (the
packets after it move later by the difference); packets and their order are kept. Used to
turn a recording made with a short server timeout (a test Postfix with smtpd_timeout = 5s)
into what a production server does (smtpd_timeout = 300s) without waiting 5 minutes.
Classic microsecond pcap, either byte order.

Usage: retime.py --shift SECONDS IN.pcap OUT.pcap
moves every packet by SECONDS instead (like editcap -t): the two sides of a gateway
recorded with different clocks (--other-side's clock offset).
"""
import struct
import sys

whole = sys.argv[1] == "--shift"
if whole:
    del sys.argv[1]
secs, src, dst = float(sys.argv[1]), sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
e = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(data[:4])
if e is None:
    sys.exit("not a microsecond pcap: " + data[:4].hex())
out = [data[:24]]
off, prev, shift = 24, None, int(round(secs * 1000000)) if whole else 0
while off + 16 <= len(data):
    ts, tu, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
    t = ts * 1000000 + tu
    if not whole and prev is not None and t - prev > 1000000:
        shift += int(secs * 1000000) - (t - prev)
    prev = t
    t += shift
    out.append(struct.pack(e + "IIII", t // 1000000, t % 1000000, incl, orig))
    out.append(data[off + 16:off + 16 + incl])
    off += 16 + incl
open(dst, "wb").write(b"".join(out))
