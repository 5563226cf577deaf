#!/usr/bin/env python3
"""export_test.py - what leaves smtpscope for other tools (issue 14).

usage: export_test.py SMTPSCOPE CAPTURES_DIR

- uid: two runs on the same capture give the same uids; within a capture
  every session's uid differs; community_id and filter are present and
  --community-id-seed changes community_id (not uid).
"""
import json
import os
import subprocess
import sys
import tempfile

BIN = None
CAPS = None
FAILS = []


def fail(case, msg):
    FAILS.append("%s: %s" % (case, msg))
    print("FAIL %s: %s" % (case, msg))


def run(args):
    p = subprocess.run([BIN] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stdout, p.stderr


def sessions(args):
    """SESSION lines of --jsonl - for args (event_type smtp_session)."""
    rc, out, err = run(args + ["-a", "--jsonl", "-"])
    if rc != 0:
        raise RuntimeError("%r: exit %d: %r" % (args, rc, err))
    recs = [json.loads(l) for l in out.decode().splitlines() if l]
    return [r for r in recs if r.get("event_type", "smtp_session")
            == "smtp_session"]


def test_uid():
    case = "uid"
    cap = os.path.join(CAPS, "concurrent.pcap")
    a = sessions(["-r", cap])
    b = sessions(["-r", cap])
    ua = [s.get("uid") for s in a]
    if len(a) < 2:
        fail(case, "concurrent.pcap gave %d sessions" % len(a))
    if ua != [s.get("uid") for s in b]:
        fail(case, "uids differ between two runs: %r" % ua)
    if len(set(ua)) != len(ua) or None in ua:
        fail(case, "uids not distinct: %r" % ua)
    for s in a:
        if not s.get("community_id", "").startswith("1:"):
            fail(case, "no community_id in %r" % s.get("id"))
        want = "tcp and host %s and port %d and host %s and port %d" % (
            s["client"]["ip"], s["client"]["port"],
            s["server"]["ip"], s["server"]["port"])
        if s.get("filter") != want:
            fail(case, "filter %r, want %r" % (s.get("filter"), want))
    c = sessions(["-r", cap, "--community-id-seed", "1"])
    if [s.get("uid") for s in c] != ua:
        fail(case, "the seed changed the uid")
    if any(x.get("community_id") == y.get("community_id")
           for x, y in zip(a, c)):
        fail(case, "--community-id-seed 1 did not change community_id")


def main():
    global BIN, CAPS
    BIN, CAPS = sys.argv[1], sys.argv[2]
    test_uid()
    if FAILS:
        print("%d failures" % len(FAILS))
        return 1
    print("export_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
