#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A rotation set (-r repeated, -r DIR) read as one capture.

The bench generator's capture (60 sessions, about 10 open at once) is
split by packet count into three files, as tcpdump -C splits by size, so
that sessions cross each boundary (checked). The set, given in any order
or as a directory, must report every session exactly as the whole file
does (same records, same flags). A bad file in the set is a one-line
error and exit 2 with no output written; an output naming any file of
the set is refused.

usage: rotation_test.py SMTPSCOPE GEN_CAPTURE
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

SMTPSCOPE, GEN = sys.argv[1], sys.argv[2]
FAILED = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILED.append(what)


def read_pcap(path):
    """Global header and (record header, data) pairs of a classic pcap."""
    with open(path, "rb") as f:
        blob = f.read()
    head, off, recs = blob[:24], 24, []
    while off + 16 <= len(blob):
        incl = struct.unpack_from("<I", blob, off + 8)[0]
        recs.append((blob[off:off + 16], blob[off + 16:off + 16 + incl]))
        off += 16 + incl
    return head, recs


def flow_key(data):
    """Ethernet/IPv4/TCP 4-tuple, both directions alike, or None."""
    if len(data) < 54 or data[12:14] != b"\x08\x00" or data[23] != 6:
        return None
    ihl = (data[14] & 15) * 4
    src, dst = data[26:30], data[30:34]
    sp, dp = struct.unpack_from(">HH", data, 14 + ihl)
    return tuple(sorted([(src, sp), (dst, dp)]))


def run(args):
    return subprocess.run([SMTPSCOPE] + args, capture_output=True,
                          timeout=120)


def sessions(args):
    """The session records of -a --jsonl -, keyed by uid, without what
    names the input (source) or the run."""
    p = run(["-q", "-a", "--jsonl", "-"] + args)
    if p.returncode != 0:
        print(p.stderr.decode(errors="replace"))
        return None
    out = {}
    for line in p.stdout.decode().splitlines():
        o = json.loads(line)
        if o.get("event_type") == "smtp_session":
            o.pop("timestamp", None)
            out[o["uid"]] = o
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="rotation-")
    whole = os.path.join(tmp, "whole.pcap")
    subprocess.run([GEN, "--out", whole, "--sessions", "60",
                    "--concurrency", "10"], check=True, capture_output=True)
    head, recs = read_pcap(whole)
    cut = [0, len(recs) // 3, 2 * len(recs) // 3, len(recs)]
    setdir = os.path.join(tmp, "set")
    os.mkdir(setdir)
    parts = []
    for i in range(3):
        # tcpdump -C names: trace, trace1, trace2
        name = os.path.join(setdir, "trace" + (str(i) if i else ""))
        with open(name, "wb") as f:
            f.write(head)
            for h, d in recs[cut[i]:cut[i + 1]]:
                f.write(h + d)
        parts.append(name)
    flows = [set(flow_key(d) for _, d in recs[cut[i]:cut[i + 1]]) - {None}
             for i in range(3)]
    check(len(flows[0] & flows[1]) > 0 and len(flows[1] & flows[2]) > 0,
          "sessions cross each boundary (%d and %d connections)"
          % (len(flows[0] & flows[1]), len(flows[1] & flows[2])))

    ref = sessions(["-r", whole])
    check(ref is not None and len(ref) == 60, "the whole capture: 60 sessions")
    for label, args in [
            ("-r in order", ["-r", parts[0], "-r", parts[1], "-r", parts[2]]),
            ("-r in reverse order",
             ["-r", parts[2], "-r", parts[1], "-r", parts[0]]),
            ("-r DIR", ["-r", setdir])]:
        got = sessions(args)
        check(got == ref, label + ": every session as in the whole capture")
    one = sessions(["-r", parts[1]])
    check(one is not None and one != ref,
          "control: the middle file alone differs from the whole")

    # A bad file in the set: exit 2, one line, nothing written.
    bad = os.path.join(tmp, "bad.pcap")
    with open(bad, "wb") as f:
        f.write(b"not a capture at all, just text\n")
    out = os.path.join(tmp, "out.json")
    p = run(["-q", "-j", out, "-r", parts[0], "-r", bad, "-r", parts[2]])
    err = p.stderr.decode().strip().splitlines()
    check(p.returncode == 2 and len(err) == 1 and "bad.pcap" in err[0],
          "a bad file in the set: exit 2, one line naming it (%r)" % err)
    check(not os.path.exists(out), "a bad file in the set: no -j written")
    os.symlink(bad, os.path.join(setdir, "trace3"))
    p = run(["-q", "-r", setdir])
    check(p.returncode == 2 and len(p.stderr.splitlines()) == 1,
          "a bad file in -r DIR: exit 2, one line")
    os.unlink(os.path.join(setdir, "trace3"))

    # No output may overwrite any file of the set.
    before = open(parts[2], "rb").read()
    p = run(["-q", "-j", parts[2], "-r", parts[0], "-r", parts[2]])
    check(p.returncode == 2 and b"refusing" in p.stderr and
          open(parts[2], "rb").read() == before,
          "-j naming the set's last file: refused, file intact")
    p = run(["-q", "--jsonl", parts[1], "-r", setdir])
    check(p.returncode == 2 and b"refusing" in p.stderr,
          "--jsonl naming a file inside -r DIR: refused")
    p = run(["-q", "-r", parts[0], "-r", "-"])
    check(p.returncode == 2 and b"standard input" in p.stderr,
          "-r - in a set: refused")

    subprocess.run(["rm", "-rf", tmp])
    if FAILED:
        print("%d check(s) failed" % len(FAILED))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
