#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""msgthread_test.py - messages parsed on the worker thread give the same
output as messages parsed in the capture's thread (issue 12).

usage: msgthread_test.py SMTPSCOPE CAPTURES_DIR GEN_CAPTURE [ZEEK_DIR]

SMTPSCOPE_MSG_RING=0 parses every message in the main thread (the
synchronous path unit tests use); unset, they go to the worker through a
4 MiB ring and sessions are finalized once the worker has parsed their
messages; =4096 makes the ring as small as it gets, so the main thread
blocks on a full ring all the time and records wrap constantly.

For every capture in CAPTURES_DIR (and ZEEK_DIR's .pcap/.pcapng, when
present), and for a generated capture with many concurrent sessions and
base64 attachments (bench/gen_capture.c, 400 sessions, 150 at a time:
messages of different sessions interleave in the ring), the -a -j JSON,
the --jsonl records (with --stats 1: stats records interleave with
session records in packet time) and, for the generated capture, the -w
file must be byte-identical in all three modes. A message attached to the
wrong transaction or session, a result read before the worker wrote it,
or a session finalized out of order changes the output.
"""
import os
import subprocess
import sys
import tempfile

BIN = None
FAILS = 0
MODES = [("sync", "0"), ("default", None), ("tiny", "4096")]


def fail(msg):
    global FAILS
    FAILS += 1
    print("FAIL " + msg)


def run(capture, ring, tmp, extra):
    env = dict(os.environ)
    env.pop("SMTPSCOPE_MSG_RING", None)
    if ring is not None:
        env["SMTPSCOPE_MSG_RING"] = ring
    jl = os.path.join(tmp, "out.jsonl")
    if os.path.exists(jl):
        os.unlink(jl)
    p = subprocess.run([BIN, "-q", "-a", "-j", "-", "--jsonl", jl,
                        "--sensor", "t", "--stats", "1", "-r", capture]
                       + extra, capture_output=True, env=env, timeout=300)
    with open(jl, "rb") as f:
        lines = f.read()
    return p.returncode, p.stdout, lines, p.stderr


def compare(capture, tmp, extra=(), files=()):
    """Run capture in every mode; outputs (and files) must agree."""
    base = None
    for name, ring in MODES:
        for f in files:
            if os.path.exists(f):
                os.unlink(f)
        out = run(capture, ring, tmp, list(extra))
        got = out[:3] + tuple(open(f, "rb").read() for f in files)
        if base is None:
            base = got
            if out[0] not in (0, 1):
                fail("%s: exit %d: %s" % (capture, out[0], out[3][:200]))
            continue
        for i, what in enumerate(["exit code", "-j JSON", "--jsonl"] +
                                 list(files)):
            if got[i] != base[i]:
                fail("%s: %s differs between sync and %s" %
                     (os.path.basename(capture), what, name))
    return base


def main():
    global BIN
    BIN, caps, gen = sys.argv[1], sys.argv[2], sys.argv[3]
    dirs = [caps] + [d for d in sys.argv[4:] if os.path.isdir(d)]
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for d in dirs:
            for name in sorted(os.listdir(d)):
                if name.endswith((".pcap", ".pcapng")):
                    compare(os.path.join(d, name), tmp)
                    n += 1
        cap = os.path.join(tmp, "gen.pcap")
        subprocess.run([gen, "--sessions", "400", "--seed", "11",
                        "--concurrency", "150", "--out", cap],
                       check=True, capture_output=True, timeout=120)
        wfile = os.path.join(tmp, "out.pcap")
        base = compare(cap, tmp, ["-w", wfile], [wfile])
        if base is not None and base[1].count(b'"sha256"') < 100:
            fail("generated capture: fewer than 100 attachments hashed")
        n += 1
    print("%d captures, %d failures" % (n, FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
