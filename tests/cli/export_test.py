#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""export_test.py - what leaves smtpscope for other tools (issue 14).

usage: export_test.py SMTPSCOPE CAPTURES_DIR

- uid: two runs on the same capture give the same uids; within a capture
  every session's uid differs; community_id and filter are present and
  --community-id-seed changes community_id (not uid).
- JSON lines records: every line has event_type, timestamp and sensor
  (--sensor NAME, else the host name); the last line is the final stats
  record, whose counters match the -j summary; --stats 1 adds periodic
  stats records (packet time offline) before it.
"""
import json
import os
import socket
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


def records(args):
    rc, out, err = run(args + ["--jsonl", "-"])
    if rc != 0:
        raise RuntimeError("%r: exit %d: %r" % (args, rc, err))
    return [json.loads(l) for l in out.decode().splitlines() if l]


def test_records():
    case = "jsonl records"
    cap = os.path.join(CAPS, "seed-bdat-timeout.pcap")
    recs = records(["-r", cap, "-a", "--sensor", "gw-1", "--stats", "1"])
    for r in recs:
        for k in ("event_type", "timestamp", "sensor"):
            if k not in r:
                fail(case, "record without %s: %r" % (k, r))
        if r.get("sensor") != "gw-1":
            fail(case, "sensor %r, want gw-1" % r.get("sensor"))
        if not str(r.get("timestamp")).endswith("Z"):
            fail(case, "timestamp %r" % r.get("timestamp"))
    kinds = [r["event_type"] for r in recs]
    if kinds.count("smtp_session") != 1:
        fail(case, "event types %r" % kinds)
    last = recs[-1]
    if last.get("event_type") != "stats" or last.get("final") is not True:
        fail(case, "last record is not the final stats: %r" % last)
    periodic = [r for r in recs[:-1] if r["event_type"] == "stats"]
    if not periodic or any(r.get("final") is not False for r in periodic):
        fail(case, "no periodic stats record over a 5 s capture: %r" % kinds)
    ses = [r for r in recs if r["event_type"] == "smtp_session"][0]
    if ses["timestamp"] != ses["start"]:
        fail(case, "session timestamp %r != start" % ses["timestamp"])
    rc, out, _ = run(["-r", cap, "-a", "-j", "-"])
    summ = json.loads(out)["summary"]
    for k, want in (("packets", summ["packets"]),
                    ("sessions", summ["sessions"]),
                    ("streams_lost", summ["capture"]["streams_lost"]),
                    ("gaps", summ["capture"]["gaps"]),
                    ("flags", sum(summ["by_rule"].values()))):
        if last.get(k) != want:
            fail(case, "final %s %r, summary says %r" % (k, last.get(k), want))
    for k in ("kernel_drops", "interface_drops"):
        if k in last:
            fail(case, "%s in an offline stats record" % k)
    recs = records(["-r", cap])
    if recs[-1].get("sensor") != socket.gethostname():
        fail(case, "default sensor %r, host %r" % (recs[-1].get("sensor"),
                                                  socket.gethostname()))
    if any(r["event_type"] == "stats" for r in recs[:-1]):
        fail(case, "stats records without --stats")


def main():
    global BIN, CAPS
    BIN, CAPS = sys.argv[1], sys.argv[2]
    test_uid()
    test_records()
    if FAILS:
        print("%d failures" % len(FAILS))
        return 1
    print("export_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
