#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""extract_test.py - --extract DIR on real captures (issue 12).

usage: extract_test.py SMTPSCOPE CAPTURES_DIR

- DIR missing: created 0700; each file 0600, named UID-N.eml with the
  session's uid (from the JSON of the same run) and transaction number.
- DATA (clean-data.pcap, swaks -> Postfix): the file is the message as
  Postfix received it: the swaks body with the dot-stuffed line unstuffed,
  CRLF line ends, no terminating "." (as long as the transaction's bytes).
- BDAT (clean-bdat-multichunk.pcap, Exim -> Postfix, two chunks): the
  file is both chunks joined: its length is the sum of the declared chunk
  sizes and it parses (Python's email package) to the same Subject.
- A message cut short (capture-end.pcap: the capture stops inside DATA)
  is UID-1.eml.partial.
- Never overwrites: a second run into the same DIR leaves every file as it
  was (same bytes, same inode), exits 0 and says so on stderr.
- A symlink planted where a .partial file would go is not followed.
- DIR that cannot be made (a regular file there): exit 2, one line.
"""
import email
import json
import os
import stat
import subprocess
import sys
import tempfile

BIN = None
CAPS = None
FAILS = 0


def fail(msg):
    global FAILS
    FAILS += 1
    print("FAIL " + msg)


def run(capture, outdir, *extra):
    p = subprocess.run([BIN, "-q", "-a", "-j", "-", "-r",
                        os.path.join(CAPS, capture), "--extract", outdir]
                       + list(extra), capture_output=True, timeout=120)
    return p


def uids(doc):
    return [s["uid"] for s in doc["sessions"]]


def check_modes(d):
    st = os.stat(d)
    if stat.S_IMODE(st.st_mode) != 0o700:
        fail("%s mode %o, want 0700" % (d, stat.S_IMODE(st.st_mode)))
    for f in os.listdir(d):
        m = stat.S_IMODE(os.lstat(os.path.join(d, f)).st_mode)
        if m != 0o600:
            fail("%s mode %o, want 0600" % (f, m))


def test_data(tmp):
    d = os.path.join(tmp, "data")
    p = run("clean-data.pcap", d)
    if p.returncode != 0:
        fail("clean-data exit %d: %s" % (p.returncode, p.stderr))
        return
    doc = json.loads(p.stdout)
    uid = uids(doc)[0]
    name = os.path.join(d, uid + "-1.eml")
    if not os.path.exists(name):
        fail("no %s (have %s)" % (name, os.listdir(d)))
        return
    data = open(name, "rb").read()
    if len(data) != doc["sessions"][0]["transactions"][0]["bytes"]:
        fail("file %d bytes, transaction bytes %d" % (
            len(data), doc["sessions"][0]["transactions"][0]["bytes"]))
    want = (b"Date: Mon, 17 Sep 2007 12:00:00 +0000\r\n"
            b"From: <alice@smtpscope.test>\r\n"
            b"To: <manager@company.com>\r\n"
            b"Subject: smtpscope clean DATA test\r\n"
            b"Message-ID: <clean-data@smtpscope.test>\r\n\r\n"
            b"Hello Manager,\r\n\r\n"
            b"this is a fixed test message sent with swaks over DATA.\r\n"
            b".leading dot line (swaks dot-stuffs it)\r\n"
            b"Regards,\r\nAlice\r\n\r\n")   # swaks ends it "\r\n\r\n.\r\n"
    if data != want:
        fail("clean-data message differs:\n%r\nwant\n%r" % (data, want))
    check_modes(d)
    # a second run: nothing overwritten, said so, exit 0
    before = os.stat(name)
    p2 = run("clean-data.pcap", d)
    after = os.stat(name)
    if p2.returncode != 0 or b"--extract" not in p2.stderr:
        fail("second run: exit %d, stderr %r" % (p2.returncode, p2.stderr))
    if (before.st_ino, before.st_mtime_ns, before.st_size) != \
            (after.st_ino, after.st_mtime_ns, after.st_size):
        fail("second run changed %s" % name)
    if open(name, "rb").read() != want:
        fail("second run changed the bytes of %s" % name)
    print("ok DATA message, modes, no overwrite")


def test_bdat(tmp):
    d = os.path.join(tmp, "bdat")
    p = run("clean-bdat-multichunk.pcap", d)
    doc = json.loads(p.stdout)
    t = doc["sessions"][0]["transactions"][0]
    name = os.path.join(d, uids(doc)[0] + "-1.eml")
    if not os.path.exists(name):
        fail("no BDAT file (have %s)" % os.listdir(d))
        return
    data = open(name, "rb").read()
    declared = sum(c["declared"] for c in t["chunks"])
    if len(t["chunks"]) < 2 or len(data) != declared:
        fail("BDAT file %d bytes, chunks %s" % (len(data), t["chunks"]))
    msg = email.message_from_bytes(data)
    if msg["Subject"] != "smtpscope multichunk" or \
            t["message"]["subject"] != "smtpscope multichunk":
        fail("BDAT subject %r / %r" % (msg["Subject"], t["message"]["subject"]))
    print("ok BDAT chunks joined (%d bytes)" % len(data))


def test_partial(tmp):
    d = os.path.join(tmp, "partial")
    p = run("capture-end.pcap", d)
    uid = uids(json.loads(p.stdout))[0]
    files = sorted(os.listdir(d))
    if files != [uid + "-1.eml.partial"]:
        fail("capture-end files %s, want %s-1.eml.partial" % (files, uid))
    else:
        print("ok cut message kept as .partial")


def test_symlink(tmp):
    d = os.path.join(tmp, "link")
    p = run("clean-data.pcap", os.path.join(tmp, "probe"))
    uid = uids(json.loads(p.stdout))[0]
    os.mkdir(d, 0o700)
    target = os.path.join(tmp, "target")
    open(target, "w").write("untouched")
    os.symlink(target, os.path.join(d, uid + "-1.eml.partial"))
    p = run("clean-data.pcap", d)
    if open(target).read() != "untouched":
        fail("the symlink was followed")
    if p.returncode != 0:
        fail("symlink case exit %d" % p.returncode)
    print("ok a planted symlink is not followed")


def test_bad_dir(tmp):
    f = os.path.join(tmp, "plainfile")
    open(f, "w").write("x")
    p = run("clean-data.pcap", f)
    err = p.stderr.decode(errors="replace").strip()
    if p.returncode != 2 or "--extract" not in err or "\n" in err:
        fail("--extract on a file: exit %d, stderr %r" % (p.returncode, err))
    else:
        print("ok unusable DIR: exit 2, one line")


def main():
    global BIN, CAPS
    BIN, CAPS = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="extract_test.") as tmp:
        test_data(tmp)
        test_bdat(tmp)
        test_partial(tmp)
        test_symlink(tmp)
        test_bad_dir(tmp)
    if FAILS:
        print("%d failure(s)" % FAILS)
        return 1
    print("all extract checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
