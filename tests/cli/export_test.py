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
- --format tsv: for every capture in CAPTURES_DIR, and for a capture made
  here whose wire text holds tabs, a bare CR, commas and a lone "-", every
  line after the Zeek header has exactly the #fields column count, one
  line per transaction (a session without one: one line); uids match the
  JSON's.
- text report: flagged sessions in full ("=== session"), clean ones one
  "--- session" line each; -a and -v show every session in full.
"""
import json
import os
import shutil
import socket
import stat
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
    # the packets as read hold what the reports redact (a cleartext
    # AUTH's password): the file is the owner's only, whatever the umask
    if os.stat(out).st_mode & 0o077:
        fail(case, "-w file mode %o, want 0600"
             % (os.stat(out).st_mode & 0o777))
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
    # -p any: a session found by its first bytes keeps its handshake in
    # -w, so the file read again with -p any gives it back whole
    src = os.path.join(CAPS, "smtp-odd-port.pcap")
    want = digest(sessions(["-r", src, "-p", "any"]))
    rc, _, err = run(["-r", src, "-p", "any", "-q", "-a", "-w", out])
    got = digest(sessions(["-r", out, "-p", "any"])) if rc == 0 else None
    if not want or got != want:
        fail(case, "-p any -a -w gives %r, want %r" % (got, want))
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

    # pcapng mixing link types: a pcap file has one; the others' packets are
    # not written, with a warning; what is written re-analyzes the same
    src = os.path.join(CAPS, "multi-linktype.pcapng")
    if os.path.exists(src):
        want = digest(sessions(["-r", src]))
        rc, _, err = run(["-r", src, "-q", "-a", "-w", out])
        got = digest(sessions(["-r", out]))
        if rc != 0 or b"not written" not in err or not got or \
                any(want.get(u) != d for u, d in got.items()):
            fail(case, "multi-linktype: exit %d %r; %d of %d sessions, "
                 "some differ" % (rc, err, len(got), len(want)))

    # -w onto a FIFO (as onto /dev/null) writes into it: the FIFO stays a
    # FIFO, not replaced by a renamed regular file
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE)
    rc, _, err = run(["-r", os.path.join(CAPS, "seed-bdat-timeout.pcap"),
                      "-q", "-w", fifo])
    still = stat.S_ISFIFO(os.lstat(fifo).st_mode)
    if not still:
        reader.kill()               # it waits for a writer that never came
    got = reader.communicate(timeout=60)[0]
    if rc != 0 or not still or \
            got[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        fail(case, "-w FIFO: exit %d %r, still a FIFO: %s, %d bytes read"
             % (rc, err, still, len(got)))

    # a run that fails (the input is not a capture) leaves nothing
    bad = os.path.join(tmp, "bad.pcap")
    open(bad, "wb").write(b"not a capture at all")
    gone = os.path.join(tmp, "gone.pcap")
    rc, _, _ = run(["-r", bad, "-w", gone])
    left = [f for f in os.listdir(tmp) if "gone" in f]
    if rc != 2 or left:
        fail(case, "failed run: exit %d, left %r" % (rc, left))


# ---- a capture made here: one SMTP conversation over IPv4/TCP ---------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6,
                     0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def write_conversation(path, turns):
    """turns: [(from_client, bytes)]; handshake, the turns, FIN both ways."""
    cli, srv = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 9])
    cp, sp = 50000, 25
    cseq, sseq = 1000, 5000
    pkts = [(True, 0x02, b""), (False, 0x12, b""), (True, 0x10, b"")]
    pkts += [(c, 0x18, d) for c, d in turns]
    pkts += [(True, 0x11, b""), (False, 0x11, b""), (True, 0x10, b"")]
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    t = 1700000000.0
    cack = sack = 0
    for i, (from_client, flags, data) in enumerate(pkts):
        if from_client:
            p = tcp_packet(cli, srv, cp, sp, cseq, sack, flags, data)
            cseq += len(data) + (1 if flags & 0x03 else 0)
            cack = cseq
        else:
            if flags & 0x02:
                sack = cseq
            p = tcp_packet(srv, cli, sp, cp, sseq, cack, flags, data)
            sseq += len(data) + (1 if flags & 0x03 else 0)
            sack = sseq
        if i == 1:
            cack = cseq
        ts = t + i * 0.001
        out += struct.pack("<IIII", int(ts), int(ts % 1 * 1e6), len(p),
                           len(p)) + p
    open(path, "wb").write(out)


HOSTILE = [
    (False, b"220 mx\tbanner\r\n"),
    (True, b"EHLO host\tname,with\rbits\r\n"),
    (False, b"250-mx\r\n250 PIPELINING\r\n"),
    (True, b"MAIL FROM:<a\tb@example.org>\r\n"),
    (False, b"250 ok\r\n"),
    (True, b"RCPT TO:<c,d@example.org>\r\n"),
    (False, b"250 ok\r\n"),
    (True, b"RCPT TO:<->\r\n"),
    (False, b"250 ok\r\n"),
    (True, b"DATA\r\n"),
    (False, b"354 go\r\n"),
    (True, b"From: <a@example.org>\r\nDate: Mon, 17 Sep 2007 12:00:00 "
           b"+0000\r\nMessage-ID: <1@example.org>\r\nSubject: x\r\n\r\n"
           b"body\r\n.\r\n"),
    (False, b"250 queued\tas\rX1 -\r\n"),
    (True, b"MAIL FROM:<->\r\n"),
    (False, b"250 ok\r\n"),
    (True, b"QUIT\r\n"),
    (False, b"221 bye\r\n"),
]


def tsv_check(case, cap):
    """The TSV of cap: fixed column count, one line per transaction."""
    rc, out, err = run(["-r", cap, "--format", "tsv"])
    if rc != 0:
        fail(case, "exit %d: %r" % (rc, err))
        return []
    lines = out.decode("utf-8").split("\n")
    if lines[-1] != "":
        fail(case, "output does not end in a newline")
    lines = lines[:-1]
    fields = [l for l in lines if l.startswith("#fields\t")]
    if len(fields) != 1 or not lines[0].startswith("#separator"):
        fail(case, "no single Zeek header: %r" % lines[:7])
        return []
    names = fields[0].split("\t")[1:]
    rows = []
    for l in lines:
        if l.startswith("#"):
            continue
        cols = l.split("\t")
        if len(cols) != len(names):
            fail(case, "%d columns, header has %d: %r" % (len(cols),
                                                          len(names), l))
        rows.append(dict(zip(names, cols)))
    js = sessions(["-r", cap])
    want = sum(max(1, len(s["transactions"])) for s in js)
    if len(rows) != want:
        fail(case, "%d lines, want %d (one per transaction)"
             % (len(rows), want))
    # max_severity is the flags' as raised (an uncertain flag is info),
    # not the rules' defaults
    order = ["info", "warning", "error", "critical"]
    worst = {}
    for s in js:
        sev = [order.index(f["severity"]) for f in s["flags"]]
        worst[s["uid"]] = order[max(sev)] if sev else "-"
    for r in rows:
        if r.get("uid") in worst and r["max_severity"] != worst[r["uid"]]:
            fail(case, "max_severity %s, the JSON's flags say %s"
                 % (r["max_severity"], worst[r["uid"]]))
    return rows


def test_tsv(tmp):
    for name in sorted(os.listdir(CAPS)):
        if name.endswith((".pcap", ".pcapng")):
            tsv_check("tsv " + name, os.path.join(CAPS, name))
    # Zeek's BDAT capture with a gap: its data-bdat-mixed is uncertain
    zeek = os.path.join(CAPS, "..", "..", "shared", "captures-public",
                        "zeek", "smtp-bdat-gap.pcap")
    if os.path.exists(zeek):
        tsv_check("tsv zeek smtp-bdat-gap", zeek)
    cap = os.path.join(tmp, "hostile.pcap")
    write_conversation(cap, HOSTILE)
    rows = tsv_check("tsv hostile", cap)
    if len(rows) != 2:
        fail("tsv hostile", "%d rows, want 2 transactions" % len(rows))
        return
    r = rows[0]
    want = {"helo": "host",         # the name is the EHLO's first word
            "mail_from": "a\\x09b@example.org",
            "rcpt_to": "c\\x2cd@example.org,\\x2d",
            "reply_msg": "queued\\x09as\\x0dX1 -", "method": "DATA",
            "reply_code": "250", "flags": "(empty)",
            "outcome": "delivered"}
    for k, v in want.items():
        if r.get(k) != v:
            fail("tsv hostile", "%s is %r, want %r" % (k, r.get(k), v))
    if rows[1].get("mail_from") != "\\x2d" or rows[1].get("rcpt_to") != \
            "(empty)" or rows[1].get("reply_code") != "-":
        fail("tsv hostile", "second transaction %r" % rows[1])
    js = sessions(["-r", cap])
    if [s["uid"] for s in js] != [rows[0]["uid"]]:
        fail("tsv hostile", "uid differs from the JSON's")


def test_text():
    case = "text report"
    cap = os.path.join(CAPS, "seed-bdat-timeout.pcap")
    clean = os.path.join(CAPS, "concurrent.pcap")
    for c, nfull, nline in ((cap, 1, 0), (clean, 0, 6)):
        rc, out, _ = run(["-r", c])
        text = out.decode()
        full = text.count("\n=== session ") + text.startswith("=== session ")
        line = len([l for l in text.splitlines()
                    if l.startswith("--- session ")])
        if (full, line) != (nfull, nline):
            fail(case, "%s: %d blocks, %d lines; want %d, %d"
                 % (c, full, line, nfull, nline))
        for opt in ("-a", "-v"):
            rc, out, _ = run(["-r", c, opt])
            text = out.decode()
            if "--- session" in text or text.count("=== session ") != \
                    nfull + nline:
                fail(case, "%s %s: not every session in full" % (c, opt))
        if "=== summary" not in text:
            fail(case, "no summary")


def main():
    global BIN, CAPS, GEN
    BIN, CAPS, GEN = sys.argv[1], sys.argv[2], sys.argv[3]
    test_uid()
    test_records()
    tmp = tempfile.mkdtemp(prefix="export_test.")
    try:
        test_write(tmp)
        test_tsv(tmp)
        test_text()
    finally:
        shutil.rmtree(tmp)
    if FAILS:
        print("%d failures" % len(FAILS))
        return 1
    print("export_test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
