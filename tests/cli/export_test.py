#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""export_test.py - what leaves smtpscope for other tools (issue 14).

usage: export_test.py SMTPSCOPE CAPTURES_DIR GEN_CAPTURE

- uid: two runs on the same capture give the same uids; within a capture
  every session's uid differs; community_id and filter are present and
  --community-id-seed changes community_id (not uid).
- JSON lines records: every line has event_type, timestamp and sensor
  (--sensor NAME, else the host name); the last line is the final stats
  record, whose counters match the -j summary; --stats 1 adds periodic
  stats records (packet time offline) before it.
- -w: on a generated capture (bench/gen_capture.c, 300 sessions, some
  faulty) the file written holds exactly the flagged sessions: analyzed
  again it gives the same uids with the same flags, end states and
  transactions; with -a, every session. The file keeps the input's link
  type and snap length, and for captures of other link types (SLL, raw IP,
  VLAN, IPv6, pcapng in) -a -w gives back the same sessions. Sessions
  whose packets exceed the hold cap (bodies of megabytes) are marked
  pcap_over_cap, counted in the summary, and are in the file. A failed run
  leaves no file behind.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

BIN = None
CAPS = None
GEN = None
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


def digest(recs):
    """uid -> what re-analysis must reproduce."""
    out = {}
    for s in recs:
        out[s["uid"]] = (sorted(f["rule"] for f in s["flags"]),
                         s["end_state"], len(s["transactions"]),
                         s["bytes"]["client"], s["bytes"]["server"])
    return out


def pcap_header(path):
    d = open(path, "rb").read(24)
    e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    return struct.unpack(e + "I", d[16:20])[0], struct.unpack(e + "I",
                                                              d[20:24])[0]


def test_write(tmp):
    case = "-w"
    cap = os.path.join(tmp, "gen.pcap")
    subprocess.run([GEN, "--sessions", "300", "--seed", "7", "--out", cap],
                   check=True, stdout=subprocess.DEVNULL)
    every = digest(sessions(["-r", cap]))
    flagged = {u: d for u, d in every.items() if d[0]}
    if not flagged or len(flagged) == len(every):
        fail(case, "need flagged and clean sessions: %d of %d flagged"
             % (len(flagged), len(every)))
    out = os.path.join(tmp, "flagged.pcap")
    rc, _, err = run(["-r", cap, "-q", "-w", out])
    if rc != 0:
        fail(case, "exit %d: %r" % (rc, err))
        return
    again = digest(sessions(["-r", out]))
    if again != flagged:
        fail(case, "re-analysis of -w differs: %d sessions, want %d; "
             "%r" % (len(again), len(flagged),
                     set(again.items()) ^ set(flagged.items())))
    if pcap_header(out) != pcap_header(cap):
        fail(case, "snaplen/link type %r, input %r"
             % (pcap_header(out), pcap_header(cap)))
    rc, _, err = run(["-r", cap, "-q", "-a", "-w", out])
    again = digest(sessions(["-r", out]))
    if rc != 0 or again != every:
        fail(case, "-a -w: %d sessions again, want %d" % (len(again),
                                                          len(every)))
    for name in ("sll-data.pcap", "sll2-data.pcap", "rawip-data.pcap",
                 "vlan-data.pcap", "ipv6-data.pcap", "pcapng-bdat.pcapng",
                 "concurrent.pcap", "midstream.pcap"):
        src = os.path.join(CAPS, name)
        want = digest(sessions(["-r", src]))
        rc, _, err = run(["-r", src, "-q", "-a", "-w", out])
        got = digest(sessions(["-r", out])) if rc == 0 else None
        if got != want:
            fail(case, "%s: -a -w gives %r, want %r" % (name, got, want))
    # sessions over the hold cap: written whatever their verdict, and said
    big = os.path.join(tmp, "bigbody.pcap")
    subprocess.run([GEN, "--sessions", "40", "--seed", "3", "--body-scale",
                    "60", "--out", big], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    every = sessions(["-r", big, "-w", out])
    over = {s["uid"] for s in every if s.get("pcap_over_cap")}
    flagged = {s["uid"] for s in every if s["flags"]}
    rc, doc, _ = run(["-r", big, "-q", "-w", out, "-j", "-"])
    summ = json.loads(doc)["summary"] if rc == 0 else {}
    again = {s["uid"] for s in sessions(["-r", out])}
    if not over or summ.get("pcap_over_cap") != len(over) or \
            again != over | flagged:
        fail(case, "over the cap: %d sessions marked, summary %r, file "
             "holds %d sessions, want %d" % (len(over),
                                             summ.get("pcap_over_cap"),
                                             len(again),
                                             len(over | flagged)))

    # a run that fails (the input is not a capture) leaves nothing
    bad = os.path.join(tmp, "bad.pcap")
    open(bad, "wb").write(b"not a capture at all")
    gone = os.path.join(tmp, "gone.pcap")
    rc, _, _ = run(["-r", bad, "-w", gone])
    left = [f for f in os.listdir(tmp) if "gone" in f]
    if rc != 2 or left:
        fail(case, "failed run: exit %d, left %r" % (rc, left))


def main():
    global BIN, CAPS, GEN
    BIN, CAPS, GEN = sys.argv[1], sys.argv[2], sys.argv[3]
    test_uid()
    test_records()
    tmp = tempfile.mkdtemp(prefix="export_test.")
    try:
        test_write(tmp)
    finally:
        shutil.rmtree(tmp)
    if FAILS:
        print("%d failures" % len(FAILS))
        return 1
    print("export_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
