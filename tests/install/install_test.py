#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""install_test.py - cmake --install into a scratch DESTDIR, then use it.

usage: install_test.py BUILD_DIR SOURCE_DIR PREFIX

- every file lands where GNUInstallDirs says: binary, man page, bash
  completion, systemd unit, env, sysusers and logrotate files, docs, the
  demo capture;
- the unit's ExecStart, EnvironmentFile and Documentation name paths of
  the configured PREFIX that exist in the install, and no @VAR@ is left;
- the installed binary run with no arguments (from a directory far from
  the source) analyzes the installed demo capture; the binary holds no
  path into the source tree's captures/;
- `man --warnings -l` on the installed page says nothing, and the page
  lists every option of --help and every rule id of --list-rules;
- the installed bash completion completes options, rule ids after
  --rule-off and interfaces after -i.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from checklib import check, failures, summary  # noqa: E402



def files(root, prefix):
    p = root + prefix
    etc = "/etc" if prefix == "/usr" else prefix + "/etc"
    return {
        "bin": p + "/bin/smtpscope",
        "man": p + "/share/man/man1/smtpscope.1",
        "completion": p + "/share/bash-completion/completions/smtpscope",
        "unit": p + "/lib/systemd/system/smtpscope.service",
        "sysusers": p + "/lib/sysusers.d/smtpscope.conf",
        "env": root + etc + "/default/smtpscope",
        "logrotate": root + etc + "/logrotate.d/smtpscope",
        "readme": p + "/share/doc/smtpscope/README.md",
        "usage": p + "/share/doc/smtpscope/USAGE.md",
        "live": p + "/share/doc/smtpscope/LIVE.md",
        "demo": p + "/share/smtpscope/seed-bdat-timeout.pcap",
    }


def check_unit(unit, root, prefix):
    text = open(unit).read()
    check(not re.search(r"@[A-Za-z_]+@", text), "the unit has no @VAR@ left")
    check("SystemCallFilter=@system-service" in text,
          "the unit's @system-service survived substitution")
    m = re.search(r"^ExecStart=(\S+)", text, re.M)
    check(m and m.group(1) == prefix + "/bin/smtpscope" and
          os.access(root + m.group(1), os.X_OK),
          "ExecStart names the installed binary: %s" % (m and m.group(1)))
    m = re.search(r"^EnvironmentFile=-(\S+)", text, re.M)
    check(m and os.path.isfile(root + m.group(1)),
          "EnvironmentFile names the installed env file: %s"
          % (m and m.group(1)))
    m = re.search(r"^Documentation=.*file://(\S+)", text, re.M)
    check(m and os.path.isfile(root + m.group(1)),
          "Documentation names an installed file: %s" % (m and m.group(1)))


def check_binary(binary, source, tmp):
    p = subprocess.run([binary], cwd=tmp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    demo = os.path.join(os.path.dirname(binary), "..", "share",
                        "smtpscope", "seed-bdat-timeout.pcap")
    check(p.returncode == 0 and b"bdat-no-payload" in p.stdout,
          "the installed binary analyzes the demo capture (exit %d, %r)"
          % (p.returncode, p.stderr))
    check(os.path.realpath(demo).encode() in p.stderr or
          demo.encode() in p.stderr,
          "it names the installed demo capture: %r" % p.stderr)
    blob = open(binary, "rb").read()
    check((source.rstrip("/") + "/captures").encode() not in blob,
          "the binary holds no path into the source tree's captures/")


def man_text(page):
    env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    check(p.returncode == 0 and not p.stderr,
          "man --warnings -l is silent: %r" % p.stderr[:300])
    return p.stdout.decode("utf-8", "replace").replace("\u2010", "-")


def check_man(page, binary):
    if shutil.which("man") is None:
        print("skip man page checks: no man(1)")
        return
    text = man_text(page)
    helptext = subprocess.run([binary, "--help"], stdout=subprocess.PIPE,
                              timeout=30).stdout.decode()
    opts = set(re.findall(r"^  (-[A-Za-z0-9])\b", helptext, re.M))
    opts |= set(re.findall(r"(?:^  |, )(--[a-z0-9-]+)", helptext, re.M))
    missing = sorted(o for o in opts if not re.search(
        r"(^|[\s,])" + re.escape(o) + r"\b", text, re.M))
    check(len(opts) > 10 and not missing,
          "the man page lists all %d options of --help (missing %s)"
          % (len(opts), missing))
    rules = subprocess.run([binary, "--list-rules"], stdout=subprocess.PIPE,
                           timeout=30).stdout.decode().split("\n")
    ids = [ln.split()[0] for ln in rules if ln.strip()]
    missing = [r for r in ids if not re.search(
        r"^\s+" + re.escape(r) + r" \(", text, re.M)]
    check(len(ids) > 10 and not missing,
          "the man page lists all %d rule ids (missing %s)"
          % (len(ids), missing))
    for section in ("EXIT STATUS", "EXAMPLES", "FILES"):
        check(re.search(r"^" + section + "$", text, re.M),
              "the man page has %s" % section)


def complete(script, bindir, words):
    prog = ('source "$1"; shift; COMP_WORDS=("$@"); '
            'COMP_CWORD=$(($# - 1)); _smtpscope; '
            'printf "%s\\n" "${COMPREPLY[@]}"')
    env = dict(os.environ, PATH=bindir + ":" + os.environ.get("PATH", ""))
    p = subprocess.run(["bash", "-c", prog, "bash", script] + words,
                       stdout=subprocess.PIPE, env=env, timeout=30)
    return p.stdout.decode().split()


def check_completion(script, binary):
    if shutil.which("bash") is None:
        print("skip completion checks: no bash")
        return
    bindir = os.path.dirname(binary)
    got = complete(script, bindir, ["smtpscope", "--js"])
    check(got == ["--jsonl"], "completes --js to --jsonl: %s" % got)
    rules = subprocess.run([binary, "--list-rules"], stdout=subprocess.PIPE,
                           timeout=30).stdout.decode().split("\n")
    ids = sorted(ln.split()[0] for ln in rules if ln.strip())
    got = complete(script, bindir, ["smtpscope", "--rule-off", ""])
    check(sorted(got) == ids, "--rule-off completes every rule id")
    got = complete(script, bindir, ["smtpscope", "-i", ""])
    check("lo" in got and "any" in got, "-i completes interfaces: %s" % got)


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    build, source, prefix = sys.argv[1:]
    source = os.path.realpath(source)
    with tempfile.TemporaryDirectory(prefix="smtpscope-install.") as tmp:
        root = os.path.join(tmp, "root")
        env = dict(os.environ, DESTDIR=root)
        p = subprocess.run(["cmake", "--install", build], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        if not check(p.returncode == 0, "cmake --install"):
            print(p.stdout.decode())
            return 1
        f = files(root, prefix)
        for what, path in sorted(f.items()):
            check(os.path.isfile(path), "%s installed: %s"
                  % (what, path[len(root):]))
        if failures:
            return 1
        check_unit(f["unit"], root, prefix)
        check_binary(f["bin"], source, tmp)
        check_man(f["man"], f["bin"])
        check_completion(f["completion"], f["bin"])
    return summary()


if __name__ == "__main__":
    sys.exit(main())
