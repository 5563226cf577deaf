#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How long a large --html page takes to open in chromium (issue 16: 5,000
sessions in under 3 s). A timing benchmark: run it on an idle machine.

  bench/html_open.py SMTPSCOPE GEN_CAPTURE [SESSIONS] [RUNS]

Generates a capture of SESSIONS (default 5000) sessions with gen_capture,
writes `smtpscope -r CAP -a -q --html PAGE`, then opens PAGE RUNS times
(default 3), each in a fresh headless chromium, and prints the file size
and, per run, the navigation timing's load event end (ms after the start
of navigation: reading, parsing, the page's script, first layout), then
the best run.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "report"))
import cdp  # noqa: E402


def main():
    binary, gen = sys.argv[1], sys.argv[2]
    sessions = sys.argv[3] if len(sys.argv) > 3 else "5000"
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    with tempfile.TemporaryDirectory(prefix="smtpscope-html-bench-") as tmp:
        cap, page = os.path.join(tmp, "cap.pcap"), os.path.join(tmp, "r.html")
        subprocess.run([gen, "--sessions", sessions, "--seed", "1", "--out",
                        cap], check=True, capture_output=True)
        subprocess.run([binary, "-r", cap, "-a", "-q", "--html", page],
                       check=True)
        print("%s sessions: %d bytes" % (sessions, os.path.getsize(page)))
        best = None
        for _ in range(runs):
            b = cdp.Browser()
            try:
                b.open("file://" + page, timeout=300)
                nav = json.loads(b.evaluate(
                    "JSON.stringify(performance.getEntriesByType("
                    "'navigation')[0])"))
                n = b.evaluate("document.querySelectorAll('[data-session]')"
                               ".length")
                errs = b.errors()
            finally:
                b.close()
            t = nav["loadEventEnd"]
            best = t if best is None else min(best, t)
            print("load %.0f ms (response end %.0f, DOM interactive %.0f), "
                  "%d sessions, %d errors" % (t, nav["responseEnd"],
                                              nav["domInteractive"], n,
                                              len(errs)))
        print("best %.0f ms" % best)


if __name__ == "__main__":
    main()
