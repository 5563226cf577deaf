#!/usr/bin/env python3
"""text_first_test.py - the text report of a capture file opens with what
an admin reads first: the header, the servers worst first and the
messages by outcome, before the sessions and within one screen (24 lines).

usage: text_first_test.py SMTPSCOPE CAPTURES_DIR
"""
import os
import subprocess
import sys

FAILS = []


def check(case, cond, msg):
    if not cond:
        FAILS.append("%s: %s" % (case, msg))
        print("FAIL %s: %s" % (case, msg))


def report(binary, capture):
    p = subprocess.run([binary, "-r", capture], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, check=False)
    return p.returncode, p.stdout.splitlines()


def top_block(lines):
    """The lines before the first session (a block, or the one line of a
    clean session)."""
    for i, line in enumerate(lines):
        if line.startswith(("=== session ", "--- session ")):
            return lines[:i]
    return lines


def main():
    binary, captures = sys.argv[1], sys.argv[2]

    # The seed story: the Symantec gateway, its one message deferred (the
    # 451 to BDAT LAST decides), and its flags, before the session.
    rc, lines = report(binary, os.path.join(captures, "seed-bdat-timeout.pcap"))
    top = top_block(lines)
    text = "\n".join(top)
    check("seed", rc == 0, "exit %d" % rc)
    check("seed", lines and lines[0].startswith("=== smtpscope "),
          "first line %r" % (lines[:1],))
    check("seed", len(lines) > 1 and lines[1] == "=== servers, worst first",
          "second line %r" % (lines[1:2],))
    check("seed", "127.0.0.5" in text and "Symantec Mail Security" in text,
          "the gateway is not named first:\n" + text)
    check("seed", "1 session, 1 message: 1 deferred" in text,
          "its message is not counted deferred:\n" + text)
    check("seed", "bdat-no-payload 1, timeout-reply 1" in text,
          "its flags are missing:\n" + text)
    check("seed", "0 delivered, 1 deferred, 0 rejected, 0 lost, 0 unknown"
          in text, "the outcome counts are missing:\n" + text)
    check("seed", "  all messages    0 delivered, 1 deferred, 0 rejected, "
          "0 lost, 0 unknown" in top,
          "the totals are not labelled as all messages:\n" + text)
    check("seed", len(top) <= 24, "%d lines before the sessions" % len(top))
    check("seed", any(l.startswith("=== session 1") for l in lines),
          "no session block after the summary")
    check("seed", "    outcome       deferred: 451 Timeout waiting for "
          "client input" in lines, "no outcome line in the transaction")

    # Several servers: worst first (the lost message's server on top).
    rc, lines = report(binary, os.path.join(captures, "concurrent.pcap"))
    top = top_block(lines)
    check("concurrent", rc == 0 and 0 < len(top) <= 24,
          "exit %d, %d lines before the sessions" % (rc, len(top)))
    check("concurrent", "6 delivered" in "\n".join(top),
          "six delivered messages:\n" + "\n".join(top))

    if FAILS:
        print("%d failure(s)" % len(FAILS))
        return 1
    print("text report opens with the servers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
