#!/usr/bin/env python3
"""cli_test.py - the real binary on bad input, bad usage and secrets.

usage: cli_test.py SMTPSCOPE CAPTURES_DIR

Bad files are made on the fly in a temporary directory from
captures/clean-data.pcap (a tiny pcap reader/writer below): each case
states the exit status, that stderr is exactly one "smtpscope: ..." line
matching a pattern, and, on failure, that -j OUT / --jsonl OUT2 leave no
file and no temporary file behind. A file that breaks off after valid
packets is analyzed (exit 0, sessions end as capture-end, one warning).
Then every capture in CAPTURES_DIR is run with -v -a -j --jsonl and every
output is searched for cleartext-auth.pcap's credentials (README:
user alice, password Sup3rSecret-Pa55) in clear and in base64.
"""
import base64
import json
import os
import re
import stat
import struct
import subprocess
import sys
import tempfile

BIN = None
FAILS = []


def fail(case, msg):
    FAILS.append("%s: %s" % (case, msg))
    print("FAIL %s: %s" % (case, msg))


# ---- a tiny pcap (classic, little or big endian) reader/writer ----------

def read_pcap(path):
    """(header bytes, endian, [(rec header bytes, data bytes)])."""
    d = open(path, "rb").read()
    magic = d[:4]
    e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    recs, off = [], 24
    while off + 16 <= len(d):
        caplen = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        recs.append((d[off:off + 16], d[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return d[:24], e, recs


def snaplen_cut(hdr, e, recs, snap):
    """The capture as tcpdump -s SNAP would have written it."""
    out = bytearray(hdr[:16] + struct.pack(e + "I", snap) + hdr[20:24])
    for rh, data in recs:
        n = min(len(data), snap)
        orig = struct.unpack(e + "I", rh[12:16])[0]
        out += rh[:8] + struct.pack(e + "II", n, orig) + data[:n]
    return bytes(out)


def joined(hdr, recs):
    return hdr + b"".join(rh + data for rh, data in recs)


# ---- running the binary ------------------------------------------------

def run(args, stdin=None):
    p = subprocess.run([BIN] + args, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line(case, err, pattern):
    text = err.decode("utf-8", "replace")
    lines = text.splitlines()
    if len(lines) != 1 or not text.endswith("\n"):
        fail(case, "stderr is not exactly one line: %r" % text)
        return
    if not lines[0].startswith("smtpscope: "):
        fail(case, "stderr line lacks the 'smtpscope: ' prefix: %r"
             % lines[0])
    if not re.search(pattern, lines[0]):
        fail(case, "stderr %r does not match /%s/" % (lines[0], pattern))


def bad_file(tmp, case, content, pattern):
    """A file nothing can be analyzed from: exit 2, one line, no output."""
    d = os.path.join(tmp, case)
    os.mkdir(d)
    path = os.path.join(d, "input.pcap")
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
    out, out2 = os.path.join(d, "out.json"), os.path.join(d, "out.jsonl")
    rc, so, se = run(["-r", path, "-j", out, "--jsonl", out2])
    if rc != 2:
        fail(case, "exit %d, expected 2" % rc)
    one_line(case, se, pattern)
    left = sorted(set(os.listdir(d)) - {"input.pcap"})
    if left:
        fail(case, "left behind: %s" % left)


def broken_off(tmp, case, content, pattern, expect_sessions):
    """A file that breaks off after valid packets: exit 0, the sessions
    read (ending as capture-end), one warning line."""
    d = os.path.join(tmp, case)
    os.mkdir(d)
    path = os.path.join(d, "input.pcap")
    with open(path, "wb") as f:
        f.write(content)
    out = os.path.join(d, "out.json")
    rc, so, se = run(["-q", "-a", "-r", path, "-j", out])
    if rc != 0:
        fail(case, "exit %d, expected 0" % rc)
    one_line(case, se, r"^smtpscope: warning: .*" + pattern)
    try:
        doc = json.load(open(out))
    except (OSError, ValueError) as ex:
        fail(case, "no valid JSON report: %s" % ex)
        return None
    sessions = doc.get("sessions", [])
    if len(sessions) != expect_sessions:
        fail(case, "%d sessions, expected %d" % (len(sessions),
                                                 expect_sessions))
    left = sorted(set(os.listdir(d)) - {"input.pcap", "out.json"})
    if left:
        fail(case, "left behind: %s" % left)
    return doc


def bad_files(tmp, captures):
    clean = os.path.join(captures, "clean-data.pcap")
    raw = open(clean, "rb").read()
    hdr, e, recs = read_pcap(clean)
    assert len(recs) > 12, "clean-data.pcap changed?"

    bad_file(tmp, "missing", None,
             r"cannot read capture '.*input\.pcap': No such file")
    bad_file(tmp, "empty", b"", r"cannot read capture .*: empty file")
    bad_file(tmp, "text", b"HELO this is not a capture\r\n" * 4,
             r"cannot read capture .*: unknown file format")
    bad_file(tmp, "wrong-magic", b"\xde\xad\xbe\xef" + raw[4:],
             r"cannot read capture .*: unknown file format")
    bad_file(tmp, "header-truncated", raw[:10],
             r"cannot read capture .*: truncated dump file")
    first_rh, first = recs[0]
    bad_file(tmp, "first-packet-truncated",
             hdr + first_rh + first[:len(first) // 2],
             r"cannot read capture .*: it breaks off in its first packet")
    bad_file(tmp, "linktype-user0",
             raw[:20] + struct.pack(e + "I", 147) + raw[24:],
             r"unsupported link type (USER0 \()?147")
    # Ethernet + IPv4 + TCP (32 bytes with timestamps) do not fit in 54.
    bad_file(tmp, "snaplen-headers-only", snaplen_cut(hdr, e, recs, 54),
             r"cannot analyze capture .*: all \d+ packets are cut by the "
             r"snaplen \(54 bytes\)")

    # Break off after 10 valid packets (mid-session, after the DATA
    # command): in the 11th packet's data, then in its record header.
    valid = joined(hdr, recs[:10])
    rh, data = recs[10]
    for case, content in (("cut-mid-packet", valid + rh + data[:len(data) // 2]),
                          ("cut-mid-record-header", valid + rh[:7])):
        doc = broken_off(tmp, case, content,
                         r"breaks off after 10 packets.*analyzed what was "
                         r"read", 1)
        if doc is not None:
            ends = [s.get("end_state") for s in doc["sessions"]]
            if ends != ["capture-end"]:
                fail(case, "end states %s, expected capture-end" % ends)
            cap = doc.get("summary", {}).get("capture", {})
            if cap.get("file_truncated") is not True:
                fail(case, "summary.capture.file_truncated is not true")

    # Snaplen 96: headers kept, payload cut: analyzed, gaps flagged.
    doc = broken_off(tmp, "snaplen-96", snaplen_cut(hdr, e, recs, 96),
                     r"\d+ of \d+ packets cut by the snaplen \(96 bytes\)", 1)
    if doc is not None:
        rules = [f["rule"] for s in doc["sessions"] for f in s["flags"]]
        if "capture-gap" not in rules:
            fail("snaplen-96", "no capture-gap flag: %s" % rules)

    # Empty standard input.
    rc, so, se = run(["-q", "-r", "-"], stdin=subprocess.DEVNULL)
    if rc != 2:
        fail("stdin-empty", "exit %d, expected 2" % rc)
    one_line("stdin-empty", se, r"cannot read capture '\(stdin\)'")


def bad_usage(tmp, captures):
    clean = os.path.join(captures, "clean-data.pcap")
    cases = [
        ("unknown-long-option", ["--bogus"], r"unknown option '--bogus'"),
        ("unknown-short-option", ["-x"], r"unknown option '-x'"),
        ("port-range", ["-p", "70000", "-r", clean], r"-p: '70000'"),
        ("port-junk", ["-p", "25,x", "-r", clean], r"-p: '25,x'"),
        ("rule-off-unknown", ["--rule-off", "nosuch", "-r", clean],
         r"unknown rule 'nosuch'"),
        ("fail-on-bogus", ["--fail-on", "bogus", "-r", clean],
         r"--fail-on: 'bogus'"),
        ("missing-argument", ["-r"], r"option '-r' needs an argument"),
        ("extra-argument", ["-r", clean, "extra"],
         r"unexpected argument 'extra'"),
        ("r-and-i", ["-r", clean, "-i", "lo"], r"-r and -i"),
        ("j-unwritable", ["-q", "-r", clean, "-j",
                          os.path.join(tmp, "no", "such", "dir", "o.json")],
         r"cannot write .*o\.json"),
    ]
    for case, args, pattern in cases:
        rc, so, se = run(args)
        if rc != 2:
            fail(case, "exit %d, expected 2" % rc)
        one_line(case, se, pattern)


def special_outputs(tmp, captures):
    """-j onto something not a regular file (/dev/null, a FIFO) writes
    into it; the temporary-file-and-rename would replace it (as root,
    /dev/null itself). Tested with a FIFO, never with /dev/null."""
    case = "j-fifo"
    fifo = os.path.join(tmp, "report.fifo")
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)   # a reader is there
    rc, so, se = run(["-q", "-a", "-r",
                      os.path.join(captures, "clean-data.pcap"), "-j", fifo])
    data = b""
    try:
        while True:
            chunk = os.read(rfd, 65536)
            if not chunk:
                break
            data += chunk
    except BlockingIOError:
        pass
    os.close(rfd)
    if rc != 0 or se:
        fail(case, "exit %d, stderr %r" % (rc, se))
    if not stat.S_ISFIFO(os.lstat(fifo).st_mode):
        fail(case, "the FIFO was replaced by a regular file")
    elif not data.startswith(b"{") or b'"sessions"' not in data:
        fail(case, "no JSON came through the FIFO: %r" % data[:80])
    left = sorted(set(os.listdir(tmp)) - {"report.fifo"})
    left = [n for n in left if n.startswith(".report.fifo")]
    if left:
        fail(case, "left behind: %s" % left)


def secrets(tmp, captures):
    user, password = b"alice", b"Sup3rSecret-Pa55"
    plain = base64.b64encode(b"\0" + user + b"\0" + password)
    login_user = base64.b64encode(user)
    login_pass = base64.b64encode(password)
    # the README's forms, so a change of the capture is noticed here
    assert plain == b"AGFsaWNlAFN1cDNyU2VjcmV0LVBhNTU="
    assert login_pass == b"U3VwM3JTZWNyZXQtUGE1NQ=="
    needles = [password, plain, login_pass, login_user,
               plain[:12], login_pass[:12],       # a capped copy too
               base64.b64encode(user + b"\0" + user + b"\0" + password)]
    names = sorted(n for n in os.listdir(captures)
                   if n.endswith((".pcap", ".pcapng")))
    if "cleartext-auth.pcap" not in names:
        fail("secrets", "captures/cleartext-auth.pcap is missing")
    for name in names:
        d = os.path.join(tmp, "secrets-" + name)
        os.mkdir(d)
        j, jl = os.path.join(d, "r.json"), os.path.join(d, "r.jsonl")
        rc, so, se = run(["-v", "-a", "-r", os.path.join(captures, name),
                          "-j", j, "--jsonl", jl])
        if rc not in (0, 1):
            fail("secrets " + name, "exit %d" % rc)
        outputs = {"stdout": so, "stderr": se}
        for label, path in (("-j", j), ("--jsonl", jl)):
            outputs[label] = open(path, "rb").read() \
                if os.path.exists(path) else b""
        # and the JSON of stdout (-j -), which skips the text report
        rc, so2, se2 = run(["-a", "-r", os.path.join(captures, name),
                            "-j", "-"])
        outputs["-j -"] = so2 + se2
        for label, blob in outputs.items():
            for n in needles:
                if n in blob:
                    fail("secrets " + name, "%s holds %r" % (label, n))
        if name == "cleartext-auth.pcap":
            # the check above must not pass because nothing was written:
            # the transcript shows the AUTH line redacted, the JSON the flag
            if outputs["stdout"].count(b"[redacted]") < 3:
                fail("secrets " + name,
                     "the transcript lacks its [redacted] AUTH lines")
            for label in ("-j", "--jsonl", "-j -"):
                if len(re.findall(rb'"rule":\s*"cleartext-auth"',
                                  outputs[label])) != 2:
                    fail("secrets " + name,
                         "%s lacks the two cleartext-auth flags" % label)


def main():
    global BIN
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    BIN = os.path.abspath(sys.argv[1])
    captures = os.path.abspath(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="smtpscope-cli.") as tmp:
        bad_files(tmp, captures)
        bad_usage(tmp, captures)
        special_outputs(tmp, captures)
        secrets(tmp, captures)
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("all CLI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
