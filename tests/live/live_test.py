#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
live_test.py - smtpscope -i on the loopback interface, end to end.

A tiny threaded ESMTP server of our own listens on 127.0.0.1 (and ::1 when
the host has it) on free high ports; smtpscope captures `lo` (and `any`)
while this script drives real SMTP sessions through the kernel and checks
the --jsonl lines:

  a  DATA session ending with QUIT: its line within 1 s of the QUIT
  b  BDAT session: chunks declared/received, exact byte counts (+ IPv6)
  c  session silent after EHLO: written as idle-timeout at --idle-timeout
  d  session open mid-DATA at SIGINT (sent just before it): written as
     capture-end with every byte, exit 0, summary with libpcap's
     received/dropped counters
  e  SIGHUP after renaming the file: the next session lands in a new file
  f  every line of every file is one JSON object ending in a newline, and
     each session is written exactly once
  g  --stats 1: periodic status lines on stderr
  h  no capture right (user nobody): exit 2, one stderr line naming
     CAP_NET_RAW/root, no file left behind; -Z nobody keeps capturing
     after dropping privileges (with -i any, -f, --jsonl -, -q, SIGTERM):
     counters on stderr, the port BPF keeps UDP noise out
  i  -p any: the session on the server's odd port found by its first bytes

Python 3 standard library only. Every wait is bounded; smtpscope is
killed in a finally block. Exit 0 pass, 1 fail, 77 skip (no CAP_NET_RAW).

usage: live_test.py /path/to/smtpscope
"""
import json
import os
import pwd
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
IDLE = 2.0              # --idle-timeout given to smtpscope
END_WITHIN = 1.0        # a session that ends is written within this
EXIT_WITHIN = 10.0      # smtpscope exits this long after SIGINT/SIGTERM
IO_TIMEOUT = 5.0        # every socket operation of client and server

failures = []


def log(msg):
    print(msg, flush=True)


def check(cond, what):
    if cond:
        log("ok   " + what)
    else:
        log("FAIL " + what)
        failures.append(what)
    return cond


# ---------------------------------------------------------------------------
# privileges

def has_cap_net_raw():
    """CAP_NET_RAW (bit 13) in the effective set of this process."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 13))
    except OSError:
        pass
    return os.geteuid() == 0


def can_packet_socket():
    try:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        s.close()
        return True
    except (OSError, AttributeError):
        return False


# ---------------------------------------------------------------------------
# the SMTP server

class SMTPHandler(socketserver.StreamRequestHandler):
    """Enough ESMTP: banner, EHLO/HELO, MAIL, RCPT, DATA, BDAT n [LAST],
    RSET, NOOP, QUIT. BDAT reads exactly n bytes."""

    timeout = 30        # the idle session must outlive smtpscope's timeout

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        try:
            self.session()
        except (OSError, ValueError):
            pass

    def session(self):
        self.reply("220 live.test ESMTP smtpscope-live-test")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode("latin-1")
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-live.test\r\n250-PIPELINING\r\n"
                           "250-SIZE 10485760\r\n250-8BITMIME\r\n"
                           "250 CHUNKING")
            elif verb == "HELO":
                self.reply("250 live.test")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 2.1.0 Ok")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                n = 0
                while True:
                    body = self.rfile.readline(65536)
                    if not body:
                        return
                    if body == b".\r\n":
                        break
                    n += len(body)
                self.reply("250 2.0.0 Ok: queued as DATA%d" % n)
            elif verb == "BDAT":
                args = cmd.split()
                try:
                    size = int(args[1])
                except (IndexError, ValueError):
                    self.reply("501 5.5.4 Syntax: BDAT size [LAST]")
                    continue
                got = self.rfile.read(size)
                if len(got) != size:
                    return
                last = len(args) > 2 and args[2].upper() == "LAST"
                self.reply("250 2.0.0 Ok: %d octets%s" %
                           (size, " queued" if last else ""))
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Error: command not recognized")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server6(Server):
    address_family = socket.AF_INET6


def start_server(cls, host):
    srv = cls((host, 0), SMTPHandler)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True)
    t.start()
    return srv


# ---------------------------------------------------------------------------
# the SMTP client

class Client:
    def __init__(self, host, port):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(IO_TIMEOUT)
        self.s.connect((host, port))
        self.f = self.s.makefile("rb")
        self.port = self.s.getsockname()[1]
        self.expect(220)

    def read_reply(self):
        lines = []
        while True:
            line = self.f.readline(4096)
            if not line:
                raise OSError("server closed the connection")
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(lines[-1][:3]), lines

    def expect(self, code):
        got, lines = self.read_reply()
        if got != code:
            raise OSError("expected %d, got %r" % (code, lines))
        return lines

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, line, code):
        self.send(line + "\r\n")
        return self.expect(code)

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


def quit_session(host, port):
    """Banner, QUIT: the probe used to see that a capture is running."""
    c = Client(host, port)
    c.cmd("QUIT", 221)
    c.close()
    return c.port


def data_session(host, port):
    c = Client(host, port)
    c.cmd("EHLO client.live.test", 250)
    c.cmd("MAIL FROM:<alice@example.org> SIZE=120", 250)
    c.cmd("RCPT TO:<bob@example.com>", 250)
    c.cmd("RCPT TO:<carol@example.com>", 250)
    c.cmd("DATA", 354)
    c.send("Subject: live test\r\n\r\nHello over loopback.\r\n.\r\n")
    c.expect(250)
    c.send("QUIT\r\n")
    t_quit = time.monotonic()
    c.expect(221)
    c.close()
    return c.port, t_quit


def bdat_session(host, port, chunk1=b"0123456789", chunk2=b"abcde"):
    c = Client(host, port)
    c.cmd("EHLO bdat.live.test", 250)
    c.cmd("MAIL FROM:<bdat@example.org> BODY=8BITMIME", 250)
    c.cmd("RCPT TO:<dave@example.com>", 250)
    c.send(b"BDAT %d\r\n" % len(chunk1) + chunk1)
    c.expect(250)
    c.send(b"BDAT %d LAST\r\n" % len(chunk2) + chunk2)
    c.expect(250)
    c.send("QUIT\r\n")
    t_quit = time.monotonic()
    c.expect(221)
    c.close()
    return c.port, t_quit


# ---------------------------------------------------------------------------
# smtpscope and its outputs

class Proc:
    """smtpscope with its stdout and stderr collected by threads."""

    def __init__(self, argv, **kw):
        self.argv = argv
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, **kw)
        self.out, self.err = [], []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.pump, args=(self.p.stdout, self.out),
                             daemon=True),
            threading.Thread(target=self.pump, args=(self.p.stderr, self.err),
                             daemon=True)]
        for t in self.threads:
            t.start()

    def pump(self, f, into):
        for raw in iter(f.readline, b""):
            with self.lock:
                into.append((time.monotonic(), raw))

    def stdout_raw(self):
        with self.lock:
            return [r for _, r in self.out]

    def stderr_text(self):
        with self.lock:
            return b"".join(r for _, r in self.err).decode("utf-8", "replace")

    def stdout_text(self):
        return b"".join(self.stdout_raw()).decode("utf-8", "replace")

    def stop(self, sig=signal.SIGINT, within=EXIT_WITHIN):
        """Signal, wait bounded; returns the exit status or None."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return None
        for t in self.threads:
            t.join(timeout=2)
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def file_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().splitlines(keepends=True)
    except FileNotFoundError:
        return []


def parse_lines(raw_lines):
    """Complete lines only (a reader may race the writer's last line)."""
    out = []
    for raw in raw_lines:
        if raw.endswith(b"\n"):
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def find_session(objs, client_port):
    for o in objs:
        if o.get("client", {}).get("port") == client_port:
            return o
    return None


def wait_session(source, client_port, timeout):
    """Poll source() (raw lines) until the session of client_port is
    there; returns (obj, monotonic time seen) or (None, None)."""
    deadline = time.monotonic() + timeout
    while True:
        o = find_session(parse_lines(source()), client_port)
        if o is not None:
            return o, time.monotonic()
        if time.monotonic() >= deadline:
            return None, None
        time.sleep(0.02)


def wait_capturing(proc, source, host, port, timeout=10.0):
    """Probe sessions until one is written: smtpscope is capturing."""
    deadline = time.monotonic() + timeout
    probes = []
    while time.monotonic() < deadline:
        if proc.p.poll() is not None:
            break
        probes.append(quit_session(host, port))
        o, _ = wait_session(source, probes[-1], 0.5)
        if o is not None:
            return probes
    return None


# ---------------------------------------------------------------------------
# the scenarios

def run_main(exe, work, port, port6):
    """Scenarios a-g with one smtpscope on lo."""
    path = os.path.join(work, "sessions.jsonl")
    rotated = path + ".1"
    ports = str(port) + ("," + str(port6) if port6 else "")
    html = os.path.join(work, "live.html")
    argv = [exe, "-i", "lo", "-p", ports, "--jsonl", path, "-a",
            "--idle-timeout", str(IDLE), "--stats", "1", "-B", "16",
            "--html", html]
    log("run: " + " ".join(argv))
    proc = Proc(argv)
    cur = lambda: file_lines(path)
    expected = []           # client ports each written exactly once
    try:
        probes = wait_capturing(proc, cur, "127.0.0.1", port)
        if not check(probes is not None, "smtpscope -i lo captures a probe "
                     "session within 10 s"):
            log(proc.stderr_text())
            return
        expected.append(probes[-1])     # earlier probes may predate it

        # (a) DATA + QUIT: written within a second of the QUIT
        cport, t_quit = data_session("127.0.0.1", port)
        expected.append(cport)
        o, seen = wait_session(cur, cport, 3.0)
        if check(o is not None, "(a) DATA session written"):
            check(seen - t_quit <= END_WITHIN,
                  "(a) written %.3f s after QUIT (<= %.1f s)"
                  % (seen - t_quit, END_WITHIN))
            check(o.get("end_state") == "client-quit",
                  "(a) end_state client-quit (%r)" % o.get("end_state"))
            check(o["client"]["ip"] == "127.0.0.1" and
                  o["server"]["port"] == port, "(a) endpoints")
            check(o.get("helo") == {"verb": "EHLO",
                                    "name": "client.live.test"}, "(a) helo")
            check("CHUNKING" in o.get("extensions", []) and
                  "PIPELINING" in o.get("extensions", []),
                  "(a) extensions PIPELINING, CHUNKING")
            tr = o.get("transactions") or [{}]
            check(tr[0].get("method") == "DATA", "(a) method DATA")
            check(tr[0].get("mail_from") == "alice@example.org",
                  "(a) mail_from (%r)" % tr[0].get("mail_from"))
            check(tr[0].get("rcpt_to") == ["bob@example.com",
                                           "carol@example.com"],
                  "(a) rcpt_to (%r)" % tr[0].get("rcpt_to"))
            check((tr[0].get("reply") or {}).get("code") == 250,
                  "(a) final reply 250")

        # (b) BDAT: chunk sizes declared and received
        cport, t_quit = bdat_session("127.0.0.1", port)
        expected.append(cport)
        o, seen = wait_session(cur, cport, 3.0)
        if check(o is not None, "(b) BDAT session written"):
            check(seen - t_quit <= END_WITHIN,
                  "(b) written %.3f s after QUIT" % (seen - t_quit))
            check(o.get("end_state") == "client-quit", "(b) client-quit")
            tr = o.get("transactions") or [{}]
            check(tr[0].get("method") == "BDAT", "(b) method BDAT")
            chunks = [{k: c.get(k) for k in ("declared", "received", "last")}
                      for c in tr[0].get("chunks", [])]
            check(chunks == [
                {"declared": 10, "received": 10, "last": False},
                {"declared": 5, "received": 5, "last": True}],
                "(b) chunks declared/received/last %r" % chunks)
            check(tr[0].get("bytes") == 15, "(b) bytes 15")
            check(o.get("flags") == [], "(b) no flags (%r)" % o.get("flags"))
        if port6:
            cport, t_quit = bdat_session("::1", port6, b"x" * 3000, b"yz")
            expected.append(cport)
            o, seen = wait_session(cur, cport, 3.0)
            if check(o is not None, "(b) BDAT session over ::1 written"):
                check(o["client"]["ip"] == "::1", "(b) IPv6 client ::1")
                tr = o.get("transactions") or [{}]
                check([c.get("received") for c in tr[0].get("chunks", [])]
                      == [3000, 2], "(b) IPv6 chunks received 3000, 2")

        # (e) rotation: rename, SIGHUP, the next session in a new file
        os.rename(path, rotated)
        proc.p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        cport, t_quit = data_session("127.0.0.1", port)
        expected.append(cport)
        o, seen = wait_session(cur, cport, 3.0)
        check(o is not None, "(e) after SIGHUP the session is in a new %s"
              % os.path.basename(path))
        check(find_session(parse_lines(file_lines(rotated)), cport) is None,
              "(e) and not in the rotated file")
        check(len(parse_lines(file_lines(rotated))) >= 3,
              "(e) the rotated file kept the earlier sessions")

        # (c) silent after EHLO: written at the idle timeout
        idle = Client("127.0.0.1", port)
        idle.cmd("EHLO idle.live.test", 250)
        t_last = time.monotonic()
        expected.append(idle.port)
        o, seen = wait_session(cur, idle.port, IDLE + 4.0)
        if check(o is not None, "(c) idle session written"):
            check(IDLE - 0.5 <= seen - t_last <= IDLE + 2.0,
                  "(c) written %.2f s after its last packet (timeout %.1f)"
                  % (seen - t_last, IDLE))
            check(o.get("end_state") == "idle-timeout",
                  "(c) end_state idle-timeout (%r)" % o.get("end_state"))
            check(o.get("helo", {}).get("name") == "idle.live.test",
                  "(c) helo idle.live.test")
            # the connection talks again: its second part names the first
            idle.cmd("QUIT", 221)
            idle.close()
            deadline = time.monotonic() + IDLE + 4.0
            second = None
            while second is None and time.monotonic() < deadline:
                second = next((x for x in parse_lines(cur())
                               if x.get("client", {}).get("port") ==
                               idle.port and x.get("continues")), None)
                time.sleep(0.05)
            if check(second is not None, "(c) second part written"):
                check(second.get("continues") == o.get("uid") and
                      o.get("uid"), "(c) second part continues %r (%r)"
                      % (o.get("uid"), second.get("continues")))
                check(second.get("end_state") == "client-quit",
                      "(c) second part ends client-quit (%r)"
                      % second.get("end_state"))

        # (g) --stats 1: status lines by now (more than 3 s have passed)
        stats = re.findall(r"smtpscope: \d+ packets, \d+ sessions open, "
                           r"\d+ closed, \d+ flags, \d+ dropped by the "
                           r"kernel", proc.stderr_text())
        check(len(stats) >= 2, "(g) --stats 1 printed %d status lines"
              % len(stats))

        # (d) open mid-DATA when SIGINT arrives
        d = Client("127.0.0.1", port)
        d.cmd("EHLO open.live.test", 250)
        d.cmd("MAIL FROM:<open@example.org>", 250)
        d.cmd("RCPT TO:<erin@example.com>", 250)
        d.cmd("DATA", 354)
        body = "Subject: never finished\r\n\r\nfirst line\r\n"
        d.send(body)
        expected.append(d.port)
        # at once: the segment just sent must not be lost at shutdown
        t_int = time.monotonic()
        rc = proc.stop(signal.SIGINT)
        check(rc == 0, "(d) exit status 0 after SIGINT (%r) in %.2f s"
              % (rc, time.monotonic() - t_int))
        o = find_session(parse_lines(cur()), d.port)
        if check(o is not None, "(d) open session written at SIGINT"):
            check(o.get("end_state") == "capture-end",
                  "(d) end_state capture-end (%r)" % o.get("end_state"))
            tr = o.get("transactions") or [{}]
            check(tr[0].get("mail_from") == "open@example.org" and
                  tr[0].get("method") == "DATA",
                  "(d) the open DATA transaction is there")
            check(tr[0].get("bytes") == len(body),
                  "(d) with the %d bytes sent just before SIGINT (%r)"
                  % (len(body), tr[0].get("bytes")))
        d.close()
        idle.close()

        # (h) --html live: written when the capture stops, every session
        # of the run in it (the open one too), with its ladder
        if check(os.path.exists(html), "(h) --html written at SIGINT"):
            with open(html, encoding="utf-8") as f:
                page = f.read()
            uids = [o2["uid"] for o2 in
                    parse_lines(file_lines(rotated) + file_lines(path))
                    if o2.get("event_type") == "smtp_session"]
            missing = [u for u in uids
                       if 'data-session="%s"' % u not in page]
            check(uids and not missing, "(h) --html holds every session "
                  "(%d, missing %s)" % (len(uids), missing))
            check("data-step=" in page and page.rstrip().endswith("</html>"),
                  "(h) --html complete, with ladder steps")

        out = proc.stdout_text() + proc.stderr_text()
        m = re.search(r"received (\d+), dropped (\d+)", out)
        check(m is not None and int(m.group(1)) > 0,
              "(d) summary with libpcap counters: %r"
              % (m.group(0) if m else None))

        # (f) every line complete JSON; each session exactly once
        allraw = file_lines(rotated) + file_lines(path)
        check(len(allraw) > 0 and all(r.endswith(b"\n") for r in allraw),
              "(f) every line ends with a newline")
        ok = True
        objs, stats = [], []
        for r in allraw:
            try:
                obj = json.loads(r)
                ok = ok and isinstance(obj, dict)
                if obj.get("event_type") == "smtp_session":
                    objs.append(obj)
                else:
                    stats.append(obj)
            except ValueError:
                ok = False
        check(ok, "(f) all %d lines parse as JSON objects" % len(allraw))
        # the last line is the final stats record, with the kernel counters
        check(len(stats) > 0 and stats[-1].get("event_type") == "stats" and
              stats[-1].get("final") is True and
              "kernel_drops" in stats[-1] and
              "interface_drops" in stats[-1],
              "(f) a final stats record with kernel_drops: %r"
              % (stats[-1] if stats else None))
        seen_ports = [o["client"]["port"] for o in objs
                      if not o.get("continues")]
        missing = [p for p in expected if p not in seen_ports]
        dups = sorted({p for p in seen_ports if seen_ports.count(p) > 1})
        check(not missing, "(f) every session written (missing %r)" % missing)
        check(not dups, "(f) no session written twice (%r)" % dups)
        ids = [o["id"] for o in objs]
        check(len(ids) == len(set(ids)), "(f) session ids unique")
    finally:
        proc.kill()


def run_drop(exe, port):
    """-Z nobody with -i any and --jsonl -: still capturing after the
    drop; SIGTERM ends it cleanly."""
    argv = [exe, "-i", "any", "-p", str(port), "-f", "tcp", "--jsonl", "-",
            "-a", "-q", "-Z", "nobody"]
    log("run: " + " ".join(argv))
    proc = Proc(argv)
    try:
        probes = wait_capturing(proc, proc.stdout_raw, "127.0.0.1", port)
        if not check(probes is not None, "(h) -Z nobody -i any captures, "
                     "--jsonl - streams to stdout"):
            log(proc.stderr_text())
            return
        uid = None
        with open("/proc/%d/status" % proc.p.pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    uid = [int(x) for x in line.split()[1:]]
        nobody = pwd.getpwnam("nobody").pw_uid
        check(uid is not None and set(uid) == {nobody},
              "(h) -Z: every uid is nobody's (%r)" % uid)
        cport, t_quit = data_session("127.0.0.1", port)
        o, seen = wait_session(proc.stdout_raw, cport, 3.0)
        check(o is not None and seen - t_quit <= END_WITHIN,
              "(h) a session after the drop is written within %.1f s"
              % END_WITHIN)
        # the default BPF (-p ports, ANDed with -f) keeps other traffic
        # out of the kernel buffer: 300 UDP datagrams on lo are not received
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(300):
            u.sendto(b"not smtp", ("127.0.0.1", port))
        u.close()
        time.sleep(0.3)
        rc = proc.stop(signal.SIGTERM)
        check(rc == 0, "(h) exit 0 after SIGTERM (%r)" % rc)
        m = re.search(r"received (\d+)", proc.stderr_text())
        check(m is not None and 0 < int(m.group(1)) < 150,
              "(h) port filter in the kernel: received %s packets, not the "
              "300 UDP ones" % (m.group(1) if m else None))
        check(all(r.endswith(b"\n") for r in proc.stdout_raw()) and
              len(parse_lines(proc.stdout_raw())) == len(proc.stdout_raw()),
              "(h) stdout holds only complete JSON lines")
        check(re.search(r"received \d+, dropped \d+", proc.stderr_text())
              is not None,
              "(h) with -q the capture counters still reach stderr: %r"
              % proc.stderr_text().strip()[-200:])
    finally:
        proc.kill()


def run_unprivileged(exe, work, port):
    """No capture right: exit 2, one clear line, nothing left behind."""
    pw = pwd.getpwnam("nobody")
    if shutil.which("setpriv"):
        pre = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
               "--clear-groups", "--inh-caps=-all"]
    elif shutil.which("runuser"):
        pre = ["runuser", "-u", "nobody", "--"]
    else:
        log("skip (h) unprivileged: neither setpriv nor runuser")
        return
    outdir = os.path.join(work, "nobody")
    os.mkdir(outdir)
    os.chmod(outdir, 0o777)
    jl = os.path.join(outdir, "x.jsonl")
    argv = pre + [exe, "-i", "lo", "-p", str(port), "--jsonl", jl]
    log("run: " + " ".join(argv))
    try:
        r = subprocess.run(argv, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        check(False, "(h) unprivileged run ends by itself")
        return
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 2, "(h) unprivileged: exit status 2 (%d)"
          % r.returncode)
    check(len(err.splitlines()) == 1 and err.endswith("\n"),
          "(h) exactly one stderr line: %r" % err)
    check(re.search(r"CAP_NET_RAW|root", err) is not None,
          "(h) it names CAP_NET_RAW or root")
    check(not os.path.exists(jl), "(h) no --jsonl file left behind")

    r = subprocess.run([exe, "-i", "lo", "-Z", "no-such-user-smtpscope"],
                       capture_output=True, timeout=10)
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 2 and len(err.splitlines()) == 1 and
          "no-such-user-smtpscope" in err,
          "(h) -Z unknown user: exit 2, one line: %r" % err)


def run_any(exe, port):
    """(i) -p any: the kernel filter lets every TCP port through and the
    session on the test server's odd port is told from its first bytes."""
    argv = [exe, "-i", "lo", "-p", "any", "--jsonl", "-", "-a", "-q"]
    log("run: " + " ".join(argv))
    proc = Proc(argv)
    try:
        probes = wait_capturing(proc, proc.stdout_raw, "127.0.0.1", port)
        if not check(probes is not None, "(i) -p any finds SMTP on port %d "
                     "by its first bytes" % port):
            log(proc.stderr_text())
            return
        cport, _ = data_session("127.0.0.1", port)
        o, _ = wait_session(proc.stdout_raw, cport, 3.0)
        if check(o is not None, "(i) -p any: a DATA session written"):
            check(o.get("partial") is False and
                  (o.get("banner") or "").startswith("220"),
                  "(i) -p any: whole session, banner %r" % o.get("banner"))
        check(proc.stop(signal.SIGINT) == 0, "(i) exit 0 after SIGINT")
    finally:
        proc.kill()


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    exe = os.path.abspath(sys.argv[1])
    if not has_cap_net_raw() or not can_packet_socket():
        log("skip: live capture needs root or CAP_NET_RAW")
        return SKIP
    if not os.path.exists("/sys/class/net/lo"):
        log("skip: no loopback interface")
        return SKIP
    srv = start_server(Server, "127.0.0.1")
    port = srv.server_address[1]
    srv6 = None
    try:
        srv6 = start_server(Server6, "::1")
    except OSError:
        log("note: no ::1, IPv6 session skipped")
    port6 = srv6.server_address[1] if srv6 else 0
    work = tempfile.mkdtemp(prefix="smtpscope-live-")
    os.chmod(work, 0o755)
    try:
        run_main(exe, work, port, port6)
        run_any(exe, port)
        if os.geteuid() == 0:
            run_drop(exe, port)
            run_unprivileged(exe, work, port)
        else:
            log("skip (h): -Z and the unprivileged run need root")
    finally:
        srv.shutdown()
        srv.server_close()
        if srv6:
            srv6.shutdown()
            srv6.server_close()
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        log("%d check(s) failed:" % len(failures))
        for f in failures:
            log("  - " + f)
        return 1
    log("all live checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
