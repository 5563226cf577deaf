#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Rewrite eth.pcap / ipv6.pcap under other link types (no scapy needed).

raw.pcap   LINKTYPE_RAW (101)    IP packets, no link header
null.pcap  DLT_NULL (0)          4-byte AF_INET (2), little-endian
loop.pcap  DLT_LOOP (108)        4-byte AF_INET (2), network order
null6.pcap DLT_NULL (0)          AF_INET6 = 30 (macOS), from ipv6.pcap
"""
import struct


def read_pcap(name):
    d = open(name, 'rb').read()
    assert struct.unpack('<I', d[:4])[0] == 0xa1b2c3d4
    off, out = 24, []
    while off < len(d):
        s, u, cl, ol = struct.unpack('<IIII', d[off:off + 16])
        out.append((s, u, d[off + 16:off + 16 + cl]))
        off += 16 + cl
    return out


def write_pcap(name, linktype, pkts, prefix):
    with open(name, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144,
                            linktype))
        for s, u, data in pkts:
            body = prefix + data[14:]           # drop the Ethernet header
            f.write(struct.pack('<IIII', s, u, len(body), len(body)) + body)


eth, v6 = read_pcap('eth.pcap'), read_pcap('ipv6.pcap')
write_pcap('raw.pcap', 101, eth, b'')
write_pcap('null.pcap', 0, eth, struct.pack('<I', 2))
write_pcap('loop.pcap', 108, eth, struct.pack('>I', 2))
write_pcap('null6.pcap', 0, v6, struct.pack('<I', 30))
