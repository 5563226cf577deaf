# SPDX-License-Identifier: GPL-2.0-or-later
"""checklib.py - the ok/FAIL lines and failure list of the Python tests.

    sys.path.insert(0, <tests/>); from checklib import check, summary
"""
failures = []


def check(cond, what):
    """Print "ok   what" or "FAIL what"; remember failures; return cond."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def summary():
    """Print the outcome; the exit status: 0 all passed, 1 otherwise."""
    print("%d failure(s)" % len(failures) if failures else "all passed")
    return 1 if failures else 0
