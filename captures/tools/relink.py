#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Rewrite an Ethernet (DLT_EN10MB) pcap as DLT_RAW or DLT_NULL (standard library only).

Usage: relink.py raw|null|vlan IN.pcap OUT.pcap
raw:  linktype 101 (LINKTYPE_RAW), each frame = the IP packet.
null: linktype 0 (BSD loopback), each frame = 4-byte AF in host (little-endian) order
      + IP packet; AF_INET = 2, AF_INET6 = 24 (the BSD value most readers accept).
vlan: linktype 1 kept, an 802.1Q tag (TPID 0x8100, PCP 0, VID 100) inserted after the MACs.
Timestamps and payloads are kept; only the link header changes.
"""
import struct
import sys

mode, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
magic = data[:4]
if magic == b"\xd4\xc3\xb2\xa1":
    e = "<"
elif magic == b"\xa1\xb2\xc3\xd4":
    e = ">"
else:
    sys.exit("not a microsecond pcap: " + magic.hex())
ver_maj, ver_min, tz, sig, snap, lt = struct.unpack(e + "HHiIII", data[4:24])
assert lt == 1, "input must be Ethernet"
out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap,
                   {"raw": 101, "null": 0, "vlan": 1}[mode])]
off = 24
while off + 16 <= len(data):
    ts, tu, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    etype = struct.unpack(">H", frame[12:14])[0]
    if mode == "vlan":
        tagged = frame[:12] + struct.pack(">HH", 0x8100, 100) + frame[12:]
        out.append(struct.pack("<IIII", ts, tu, len(tagged), orig + 4))
        out.append(tagged)
        continue
    ip = frame[14:]
    if mode == "null":
        af = 2 if etype == 0x0800 else 24
        ip = struct.pack("<I", af) + ip
    out.append(struct.pack("<IIII", ts, tu, len(ip), orig - 14 + len(ip) - (incl - 14)))
    out.append(ip)
open(dst, "wb").write(b"".join(out))
