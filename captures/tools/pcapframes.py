#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Frame numbers (1-based, as editcap counts) of the frames of a classic pcap
file whose bytes contain TEXT (standard library only; tshark is not needed).

usage: pcapframes.py FILE TEXT      prints one number per line
"""
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        n = 0
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(end + "IIII", rec)[2]
            n += 1
            yield n, f.read(incl)


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    needle = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
    for n, data in frames(sys.argv[1]):
        if needle in data:
            print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
