#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The gateway on the text report's first screen (issue 20): on the seed-like
pair (gwproxy.py swallow-bdat) the first 24 lines say that the gateway
accepted BDAT 2728 LAST from the sender and passed nothing to the receiver,
with both sides' times; the faithful pair shows 1 in, 1 out, 0 lost and no
LOST line.
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
                r"03:18:44\.732463", s), "outside line and time")
check(re.search(r"passed nothing to the receiver: inside BDAT 2728 LAST at "
                r"03:18:44\.732492, 0 of 2728 bytes, 421 .* at 03:18:49\.749929", s),
      "inside line and times")
f = first_screen("gw-faithful")
check("1 message(s) in from the sender, 1 out to the receiver, 0 lost" in f, "faithful counts")
check("LOST" not in f, "faithful: no LOST line")
sys.exit(1 if fails else 0)
