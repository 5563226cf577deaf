#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
iface_gone_test.py - the interface disappears during a live capture.

In a network namespace of its own (install-gone-PID) with a veth pair,
smtpscope captures one end (-i, -a -j, --jsonl, text report on stdout,
--stats 1). The first 12 frames of captures/clean-data.pcap (a session up
to its message data, not ended) are sent into the other end from a packet
socket; once a --stats line counts them, the captured end is deleted.
Before the fix smtpscope exited 2 and wrote neither the -j report nor
the text summary. Now: exit 2 with one line naming the failure, the -j
report complete with the open session (end_state capture-end, its bytes),
the text report with its summary, the --jsonl line.

Needs root (namespaces, packet sockets); exits 77 (skipped) without it.
Every wait is bounded; the namespace is deleted in a finally block.

usage: iface_gone_test.py SMTPSCOPE CAPTURES_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from checklib import check, summary  # noqa: E402
import time

SKIP = 77
FRAMES = 12             # clean-data.pcap up to the message data
WAIT = 15.0             # every wait, seconds

SENDER = r"""
import socket, struct, sys
d = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[2], 0))
off, n = 24, 0
while off + 16 <= len(d) and n < int(sys.argv[3]):
    caplen = struct.unpack("<I", d[off + 8:off + 12])[0]
    s.send(d[off + 16:off + 16 + caplen])
    off += 16 + caplen
    n += 1
"""



def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, timeout=WAIT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_packets(proc, want):
    """Read --stats lines from stderr until one counts want packets;
    returns every stderr line read."""
    lines, deadline = [], time.monotonic() + WAIT
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        m = re.match(rb"smtpscope: (\d+) packets", line)
        if m and int(m.group(1)) >= want:
            return lines, True
    return lines, False


def run(binary, captures, tmp, ns):
    capture = os.path.join(captures, "clean-data.pcap")
    out_j = os.path.join(tmp, "report.json")
    out_jl = os.path.join(tmp, "sessions.jsonl")
    ip("netns", "add", ns)
    ip("-n", ns, "link", "add", "install-ga", "type", "veth", "peer",
       "name", "install-gb")
    ip("-n", ns, "link", "set", "install-ga", "up")
    ip("-n", ns, "link", "set", "install-gb", "up")
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns, binary, "-i", "install-ga", "-a",
         "-j", out_j, "--jsonl", out_jl, "--stats", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, ready = wait_packets(proc, 0)
        if not check(ready, "smtpscope is capturing (a --stats line)"):
            return
        subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                        SENDER, capture, "install-gb", str(FRAMES)],
                       check=True, timeout=WAIT)
        _, seen = wait_packets(proc, FRAMES)
        check(seen, "the %d frames were captured" % FRAMES)
        ip("-n", ns, "link", "del", "install-ga")
        so, se = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check(proc.returncode == 2, "exit 2 (got %s)" % proc.returncode)
    errs = [ln for ln in se.decode().splitlines()
            if not re.match(r"smtpscope: \d+ packets, \d+ sessions open", ln)]
    check(len(errs) == 1 and re.search(
        r"^smtpscope: capture on 'install-ga' failed: .*(disappeared|went "
        r"down|No such device).*; wrote what was captured$", errs[0]),
        "one stderr line says the capture failed: %r" % errs)
    check(b"=== summary" in so, "the text report has its summary")
    try:
        doc = json.load(open(out_j))
    except (OSError, ValueError) as ex:
        check(False, "the -j report is there and parses (%s)" % ex)
        return
    sessions = doc.get("sessions", [])
    check(len(sessions) == 1 and
          sessions[0].get("end_state") == "capture-end" and
          sessions[0]["transactions"][0]["mail_from"] ==
          "alice@smtpscope.test",
          "-j holds the open session, ended as capture-end")
    check(doc.get("summary", {}).get("packets") == FRAMES,
          "-j summary counts the %d packets" % FRAMES)
    records = [json.loads(ln) for ln in open(out_jl, "rb").read().splitlines()]
    sessions = [r for r in records if r.get("event_type", "smtp_session") ==
                "smtp_session"]
    check(len(sessions) == 1 and sessions[0].get("id") == 1,
          "--jsonl holds the session's line")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("skip: needs root and ip(8)")
        return SKIP
    ns = "install-gone-%d" % os.getpid()
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="smtpscope-gone.") as tmp:
        try:
            run(binary, os.path.abspath(sys.argv[2]), tmp, ns)
        except subprocess.CalledProcessError as ex:
            if b"Operation not permitted" in (ex.stderr or b""):
                print("skip: cannot create a network namespace")
                return SKIP
            raise
        finally:
            subprocess.run(["ip", "netns", "del", ns], timeout=WAIT,
                           stderr=subprocess.DEVNULL)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
