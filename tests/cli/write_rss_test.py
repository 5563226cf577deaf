#!/usr/bin/env python3
"""write_rss_test.py - -w keeps memory bounded on a 1 GiB capture.

usage: write_rss_test.py SMTPSCOPE GEN_CAPTURE

Generates a 1 GiB capture (bench/gen_capture.c, 30700 sessions, about
200 open at once, 2% faulty) in a temporary directory, runs
`smtpscope -r big.pcap -q -a -w out.pcap` (every session's packets held
until its verdict, the worst case for memory) and checks with wait4()
that the peak RSS stays under 64 MB and that out.pcap holds every SMTP
packet; then the same with -w of the flagged sessions only. Deletes
everything afterwards. Prints the figures for the notes.
"""
import os
import shutil
import subprocess
import sys
import tempfile

LIMIT_KB = 64 * 1024
GIB = 1 << 30


def peak_rss_kb(argv):
    """Run argv; (exit status, peak RSS in KB) from wait4."""
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read()
    p.stderr.close()
    if p.returncode != 0:
        print("exit %d: %r" % (p.returncode, err))
    return p.returncode, ru.ru_maxrss


def main():
    smtpscope, gen = sys.argv[1], sys.argv[2]
    fails = 0
    tmp = tempfile.mkdtemp(prefix="write_rss_test.")
    try:
        big = os.path.join(tmp, "big.pcap")
        out = os.path.join(tmp, "out.pcap")
        subprocess.run([gen, "--sessions", "30700", "--seed", "1", "--out",
                        big], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        size = os.path.getsize(big)
        if size < GIB:
            print("FAIL: the generated capture is %d bytes, under 1 GiB"
                  % size)
            fails += 1
        for extra in (["-a"], []):
            argv = [smtpscope, "-r", big, "-q", "-w", out] + extra
            rc, kb = peak_rss_kb(argv)
            wrote = os.path.getsize(out) if os.path.exists(out) else 0
            print("%s: capture %d bytes, wrote %d bytes, peak RSS %d KB"
                  % (" ".join(["smtpscope", "-r", "big.pcap", "-q", "-w",
                               "out.pcap"] + extra), size, wrote, kb))
            if rc != 0 or kb >= LIMIT_KB:
                print("FAIL: exit %d, peak RSS %d KB (limit %d KB)"
                      % (rc, kb, LIMIT_KB))
                fails += 1
            # -a: every session's packets (the SMTP ones: 90% of the bytes)
            if extra and wrote < size * 8 // 10:
                print("FAIL: -a -w wrote only %d of %d bytes" % (wrote, size))
                fails += 1
            os.unlink(out)
    finally:
        shutil.rmtree(tmp)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
