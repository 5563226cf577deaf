#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The gateway on the text report's first screen (issue 20): on the seed-like
pair (Exim -> gwproxy.py swallow-bdat -> Postfix, captures/gw-record.sh) the
first 24 lines say that the gateway accepted BDAT 2728 LAST from the sender and
passed nothing to the receiver, with both sides' times; the faithful pair shows
1 in, 1 out, 0 lost and no LOST line.
Usage: gateway_text_test.py SMTPSCOPE CAPTURES"""
import re
import subprocess
import sys

BIN, CAP = sys.argv[1], sys.argv[2]


def first_screen(name):
    r = subprocess.run([BIN, "-r", f"{CAP}/{name}-outside.pcap", "--other-side",
                        f"{CAP}/{name}-inside.pcap"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()[:24]
    block = lines[lines.index(next(ln for ln in lines if ln.startswith("Gateway"))):]
    block = block[:block.index("")] if "" in block else block
    assert all(len(ln) <= 79 for ln in block), "a gateway line wider than 79"
    return " ".join(ln.strip() for ln in lines)


fails = 0


def check(cond, what):
    global fails
    if not cond:
        fails += 1
        print("FAIL", what)


s = first_screen("gw-swallow-bdat")
check("1 message(s) in from the sender, 0 out to the receiver, 1 lost" in s, "counts")
check(re.search(r"accepted BDAT 2728 LAST \(2728 bytes\) from the sender at "
                r"05:00:14\.412184 \(250 2\.0\.0 Ok: queued by gateway at "
                r"05:00:14\.412622\)", s), "outside line and time")
check(re.search(r"passed nothing to the receiver: inside BDAT 2728 LAST at "
                r"05:00:14\.412604, 0 of 2728 bytes, 421 4\.4\.2 mx\.company\.com Error: "
                r"timeout exceeded at 05:00:19\.416492", s),
      "inside line and times")
f = first_screen("gw-faithful")
check("1 message(s) in from the sender, 1 out to the receiver, 0 lost" in f, "faithful counts")
check("LOST" not in f, "faithful: no LOST line")

# -r as a rotation set (two files): the inside is still the one --other-side file
import os
import shutil
import struct
import tempfile

tmp = tempfile.mkdtemp()
try:
    data = open(f"{CAP}/gw-swallow-bdat-outside.pcap", "rb").read()
    pk, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack("<IIII", data[off:off + 16])[2]
        pk.append(data[off:off + 16 + incl])
        off += 16 + incl
    half = len(pk) // 2
    for name, part in (("a.pcap", pk[:half]), ("b.pcap", pk[half:])):
        open(os.path.join(tmp, name), "wb").write(data[:24] + b"".join(part))
    r = subprocess.run([BIN, "-r", tmp, "--other-side", f"{CAP}/gw-swallow-bdat-inside.pcap"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == 0 and b"0 out to the receiver" in r.stdout and
          b"passed nothing to the receiver" in r.stdout, "rotation set outside")
    # an output naming the other side's capture is refused, the capture kept
    inside = os.path.join(tmp, "inside.pcap")
    shutil.copy(f"{CAP}/gw-swallow-bdat-inside.pcap", inside)
    before = open(inside, "rb").read()
    for opt in ("-j", "--jsonl", "-w", "--html"):
        r = subprocess.run([BIN, "-q", "-r", f"{CAP}/gw-swallow-bdat-outside.pcap",
                            "--other-side", inside, opt, inside],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        check(r.returncode == 2 and r.stderr.count(b"\n") == 1, "refused " + opt)
        check(open(inside, "rb").read() == before, "inside kept with " + opt)
    # live: what cannot work is refused before any capture starts (one
    # line, exit 2); the live mode itself: tests/live/gateway_live_test.py
    for args, why in ((["-i", "lo", "--other-side", "lo"], b"two different"),
                      (["-i", "any", "--other-side", "lo"], b"'any'"),
                      (["-i", "lo", "--other-side", "eth1", "-w", "x.pcap"],
                       b"-w: not with --other-side live"),
                      (["-i", "lo", "--other-side", "eth1", "--workers", "2",
                        "-q", "--jsonl", os.path.join(tmp, "w.jsonl")],
                       b"--workers: not with --other-side")):
        r = subprocess.run([BIN] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        check(r.returncode == 2 and why in r.stderr and
              r.stderr.count(b"\n") == 1, "-i refused: " + " ".join(args))
    r = subprocess.run([BIN, "-r", f"{CAP}/gw-faithful-outside.pcap", "--other-side",
                        os.path.join(tmp, "missing.pcap")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == 2 and r.stderr.count(b"\n") == 1, "missing inside")
finally:
    shutil.rmtree(tmp)
sys.exit(1 if fails else 0)
