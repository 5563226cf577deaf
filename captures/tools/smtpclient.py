#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scripted SMTP client for smtpscope test captures (standard library only).

Each scenario is a fixed list of steps, so re-runs put the same bytes on the wire.
Usage: smtpclient.py SCENARIO [--host H] [--port P] [--wait S]
Scenarios are listed at the bottom (SCENARIOS); `smtpclient.py --list` prints them.
"""
import argparse
import socket
import struct
import sys
import time

CRLF = b"\r\n"


class Session:
    def __init__(self, host, port, wait):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.connect((host, port))
        self.buf = b""
        self.wait = wait
        self.closed = False

    def log(self, d, text):
        for line in text.decode("latin-1").splitlines():
            print(f"{d} {line}", file=sys.stderr)

    def send(self, data):
        self.log("C:", data if len(data) < 400 else data[:200] + b"...[%d bytes]" % len(data))
        self.s.sendall(data)

    def reply(self, timeout=None):
        """Read one complete (possibly multi-line) reply; None on EOF/timeout."""
        self.s.settimeout(timeout if timeout is not None else self.wait)
        lines = []
        while True:
            while CRLF not in self.buf:
                try:
                    d = self.s.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    d = b""
                if not d:
                    if lines:
                        self.log("S:", b"".join(lines))
                    self.closed = True
                    return None
                self.buf += d
            line, self.buf = self.buf.split(CRLF, 1)
            lines.append(line + CRLF)
            if len(line) < 4 or line[3:4] != b"-":
                self.log("S:", b"".join(lines))
                self.last = line
                return b"".join(lines)

    def cmd(self, line, timeout=None):
        self.send(line + CRLF)
        return self.reply(timeout)

    def wait_eof(self, timeout=10):
        self.s.settimeout(timeout)
        try:
            while self.s.recv(65536):
                pass
        except (socket.timeout, ConnectionResetError):
            pass

    def quit(self):
        if not self.closed and not getattr(self, "last", b"").startswith((b"221", b"421", b"521")):
            r = self.cmd(b"QUIT")
            if r is not None:
                self.wait_eof(2)
        self.s.close()

    def reset(self):
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()


def body(n, tag=b"smtpscope"):
    """A fixed message of exactly n bytes (headers + text, CRLF lines)."""
    head = (b"From: <postmaster@production.org>\r\nTo: <manager@company.com>\r\n"
            b"Subject: " + tag + b" test message\r\nMessage-ID: <" + tag + b"@production.org>\r\n\r\n")
    line = b"The quick brown fox jumps over the lazy dog 0123456789.\r\n"
    out = head
    while len(out) < n:
        out += line
    out = out[:n]
    if n >= 2:
        out = out[:-2] + CRLF
    return out


def envelope(s, size=None, helo=b"prodserver", frm=b"postmaster@production.org",
             rcpt=b"manager@company.com", extra=b""):
    s.reply()                          # banner
    s.cmd(b"EHLO " + helo)
    m = b"MAIL FROM:<" + frm + b">"
    if size is not None:
        m += b" SIZE=%d" % size
    s.cmd(m + extra)
    s.cmd(b"RCPT TO:<" + rcpt + b">")


def send_data(s, tag, n=300):
    """DATA, and when the server says 354, a fixed message of n bytes and the dot."""
    r = s.cmd(b"DATA")
    if r and r.startswith(b"354"):
        s.cmd(body(n, tag) + b".")


def after_reply(s, r):
    """421 means the server is closing: wait for it, else QUIT."""
    if r is None or r.startswith(b"421"):
        s.wait_eof(5)
        s.s.close()
    else:
        s.quit()


# ------------------------------------------------------------------ scenarios
def sc_seed(s):
    """The story: BDAT 2728 LAST announced, no data ever follows."""
    envelope(s, size=2728)
    r = s.cmd(b"BDAT 2728 LAST", timeout=60)
    after_reply(s, r)


def sc_short(s):
    """BDAT 500 LAST declared, only 300 bytes sent, then silence."""
    envelope(s, size=500)
    s.send(b"BDAT 500 LAST\r\n" + body(300, b"short-chunk"))
    r = s.reply(timeout=60)
    after_reply(s, r)


def sc_long(s):
    """BDAT 100 LAST declared, 150 bytes sent: 50 extra bytes read as commands."""
    envelope(s, size=100)
    extra = b"more text of the message past the declared size.\r\n"
    assert len(extra) == 50, len(extra)
    data = body(100, b"long-chunk") + extra
    s.send(b"BDAT 100 LAST\r\n" + data)
    s.reply()          # 250 for the 100-byte chunk
    s.reply()          # 5xx for the extra line, read as a command
    s.quit()


def sc_bdat0(s):
    """Near miss: BDAT 200 with its data, then BDAT 0 LAST (valid, RFC 3030)."""
    envelope(s, size=200)
    s.send(b"BDAT 200\r\n" + body(200, b"bdat-zero"))
    s.reply()
    s.cmd(b"BDAT 0 LAST")
    s.quit()


INVALID = {"abc": b"BDAT abc", "neg": b"BDAT -5", "huge": b"BDAT 99999999999999999999 LAST",
           "junk": b"BDAT 10 LAST junk", "empty": b"BDAT"}


def make_invalid(key):
    def sc(s):
        envelope(s)
        r = s.cmd(INVALID[key])
        after_reply(s, r) if r and not r.startswith(b"521") else (s.wait_eof(3), s.s.close())
    sc.__doc__ = "Invalid BDAT argument: %r (Postfix answers 521 and closes)" % INVALID[key]
    return sc


def sc_starttls_plain(s):
    """STARTTLS sent to a server that does not offer it (not answered 220)."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"STARTTLS")
    s.quit()


def sc_mixed(s):
    """DATA and BDAT in one transaction: BDAT 100 (not LAST), then DATA."""
    envelope(s)
    s.send(b"BDAT 100\r\n" + body(100, b"mixed"))
    s.reply()
    r = s.cmd(b"DATA")
    if r and r.startswith(b"354"):
        s.cmd(b"rest of the message\r\n.")
    s.cmd(b"RSET")
    s.quit()


def sc_binarymime(s):
    """MAIL ... BODY=BINARYMIME followed by DATA."""
    envelope(s, extra=b" BODY=BINARYMIME")
    r = s.cmd(b"DATA")
    if r and r.startswith(b"354"):
        s.cmd(body(300, b"binarymime-data") + b".")
    s.quit()


def sc_binarymime_ok(s):
    """Near miss: BODY=BINARYMIME followed by BDAT (the right way)."""
    envelope(s, extra=b" BODY=BINARYMIME")
    s.send(b"BDAT 300 LAST\r\n" + body(300, b"binarymime-bdat"))
    s.reply()
    s.quit()


def sc_bdat_plain(s):
    """A well-formed BDAT 300 LAST with its data (used against servers without CHUNKING
    and against gateways that drop/reset/reject BDAT)."""
    envelope(s, size=300)
    s.send(b"BDAT 300 LAST\r\n" + body(300, b"bdat"))
    r = s.reply(timeout=30)
    after_reply(s, r)


def sc_bdat_cmd_only(s):
    """BDAT 2728 LAST sent alone (data would follow the reply-less pause) against a
    gateway that drops the connection on the BDAT line."""
    envelope(s, size=2728)
    s.send(b"BDAT 2728 LAST\r\n")
    r = s.reply(timeout=10)
    after_reply(s, r)


def sc_starttls_inject(s):
    """CVE-2011-0411 style: STARTTLS and RSET in one write, before the 220."""
    s.reply()
    s.cmd(b"EHLO injector.production.org")
    s.send(b"STARTTLS\r\nRSET\r\n")
    r = s.reply()
    r2 = s.reply(timeout=3)
    # we never start TLS: give up
    s.s.close()


def sc_pipelining(s):
    """MAIL, RCPT, DATA in one write, whether or not PIPELINING was advertised."""
    s.reply()
    s.cmd(b"EHLO pipeliner.production.org")
    s.send(b"MAIL FROM:<postmaster@production.org>\r\nRCPT TO:<manager@company.com>\r\nDATA\r\n")
    s.reply()
    s.reply()
    r = s.reply()
    if r and r.startswith(b"354"):
        s.cmd(body(400, b"pipelining") + b".")
    s.quit()


def sc_size_over(s):
    """MAIL SIZE=20000000, above Postfix's advertised SIZE 10240000."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"MAIL FROM:<postmaster@production.org> SIZE=20000000")
    s.quit()


def sc_size_at(s):
    """Near miss: MAIL SIZE=10240000, exactly the advertised limit, then a small DATA."""
    envelope(s, size=10240000)
    send_data(s, b"size-at-limit")
    s.quit()


def sc_smuggle(s):
    """SMTP smuggling: <LF>.<LF> inside DATA, followed by a second, smuggled message."""
    s.reply()
    s.cmd(b"EHLO smuggler.production.org")
    s.cmd(b"MAIL FROM:<postmaster@production.org>")
    s.cmd(b"RCPT TO:<manager@company.com>")
    s.cmd(b"DATA")
    msg = (b"From: <postmaster@production.org>\r\nTo: <manager@company.com>\r\n"
           b"Subject: first\r\n\r\nfirst message\r\n"
           b"\n.\n"
           b"MAIL FROM:<ceo@company.com>\r\nRCPT TO:<manager@company.com>\r\nDATA\r\n"
           b"From: <ceo@company.com>\r\nSubject: smuggled\r\n\r\nsmuggled message\r\n"
           b"\r\n.\r\n")
    s.send(msg)
    for _ in range(5):
        if s.reply(timeout=3) is None:
            break
    s.quit()


def sc_smuggle_ok(s):
    """Near miss: DATA with dot-stuffed lines ("..") and a lone CR-LF-dot inside text."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"MAIL FROM:<postmaster@production.org>")
    s.cmd(b"RCPT TO:<manager@company.com>")
    s.cmd(b"DATA")
    msg = (b"From: <postmaster@production.org>\r\nTo: <manager@company.com>\r\n"
           b"Subject: dot stuffing\r\n\r\nA line with a single dot follows, stuffed:\r\n"
           b"..\r\n...and a line starting with dots.\r\nend.\r\n.\r\n")
    s.send(msg)
    s.reply()
    s.quit()


def sc_unanswered(s):
    """Banner, EHLO, MAIL, then RCPT that the (fake) server never answers; give up."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"MAIL FROM:<postmaster@production.org>")
    r = s.cmd(b"RCPT TO:<manager@company.com>", timeout=4)
    s.s.close()


def sc_open(s):
    """Capture-end: a transaction left open (MAIL, RCPT, DATA 354, half a message)."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"MAIL FROM:<postmaster@production.org>")
    s.cmd(b"RCPT TO:<manager@company.com>")
    s.cmd(b"DATA")
    s.send(body(400, b"capture-end"))
    time.sleep(8)     # the capture is stopped during this pause
    s.reset()


def sc_starttls_clear(s):
    """STARTTLS answered 220, then the client goes on in cleartext (hidden envelope)."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"STARTTLS")
    s.cmd(b"MAIL FROM:<hidden@production.org>")
    s.cmd(b"RCPT TO:<manager@company.com>")
    r = s.cmd(b"DATA")
    if r and r.startswith(b"354"):
        s.cmd(body(300, b"starttls-clear") + b".")
    s.quit()


def sc_auth(s):
    """AUTH PLAIN then AUTH LOGIN (fake server), cleartext, password Sup3rSecret-Pa55."""
    import base64
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.cmd(b"AUTH PLAIN " + base64.b64encode(b"\0alice\0Sup3rSecret-Pa55"))
    s.quit()


def sc_auth_login(s):
    """AUTH LOGIN in turn (user alice, password Sup3rSecret-Pa55), then a DATA message."""
    import base64
    s.reply()
    s.cmd(b"EHLO client.smtpscope.test")
    s.cmd(b"AUTH LOGIN")
    s.cmd(base64.b64encode(b"alice"))
    s.cmd(base64.b64encode(b"Sup3rSecret-Pa55"))
    s.cmd(b"MAIL FROM:<alice@smtpscope.test>")
    s.cmd(b"RCPT TO:<manager@company.com>")
    send_data(s, b"auth-login")
    s.quit()


def sc_starttls_auth(s):
    """STARTTLS and AUTH PLAIN <credential> in one write, before the reply (a leak test)."""
    import base64
    s.reply()
    s.cmd(b"EHLO client.smtpscope.test")
    s.send(b"STARTTLS\r\nAUTH PLAIN " +
           base64.b64encode(b"\0alice\0Sup3rSecret-Pa55") + b"\r\n")
    r = s.reply()
    if r is None or r.startswith(b"220"):
        s.s.close()             # we never start TLS
        return
    s.reply()                   # the AUTH, read as a command
    s.cmd(b"MAIL FROM:<alice@smtpscope.test>")
    s.quit()


def sc_bdat_pipelined_quit(s):
    """MAIL, RCPT, BDAT 300 LAST, the chunk and QUIT in one write, then a half-close (as Exim)."""
    s.reply()
    s.cmd(b"EHLO prodserver")
    s.send(b"MAIL FROM:<postmaster@production.org> SIZE=300\r\n"
           b"RCPT TO:<manager@company.com>\r\nBDAT 300 LAST\r\n" +
           body(300, b"pipelined-drop") + b"QUIT\r\n")
    s.s.shutdown(socket.SHUT_WR)
    while s.reply(timeout=5) is not None:
        pass
    s.s.close()


def sc_gw_bdat(s):
    """BDAT 2728 LAST with its data, a Message-ID, then QUIT (through gwproxy.py)."""
    envelope(s, size=2728)
    s.send(b"BDAT 2728 LAST\r\n" + body(2728, b"gateway"))
    r = s.reply(timeout=30)
    after_reply(s, r)


def sc_gw_data(s):
    """DATA with a Message-ID, then QUIT (through gwproxy.py)."""
    envelope(s, size=2728)
    send_data(s, b"gateway-data", 2728)
    s.quit()


def sc_data_plain(s):
    """One DATA message, nothing else (for servers with odd replies)."""
    envelope(s, helo=b"client.smtpscope.test")
    send_data(s, b"data-plain")
def sc_hostile(s):
    """Markup and script in the EHLO name, addresses and a command, with a bidi
    override (U+202E): what the HTML report must show as text and never run."""
    script = b"<script>document.title='pwned'</script>"
    img = b"\"><img src=x onerror=\"document.title='pwned'\">"
    rlo = "\u202e".encode()
    s.reply()
    s.cmd(b"EHLO " + script)
    s.cmd(b"MAIL FROM:<" + img + b"@evil.test>")
    s.cmd(b"RCPT TO:<javascript:document.title='pwned'@evil.test>")
    s.cmd(b"RCPT TO:<" + rlo + b"gpj.exe@evil.test>")
    s.cmd(b"VRFY <svg onload=\"document.title='pwned'\">")
    s.cmd(b"DATA")
    s.send(b"Subject: " + script + CRLF + b"From: " + img + CRLF + CRLF +
           b"</title></svg></textarea>" + script + CRLF + b"." + CRLF)
    s.reply()
    s.quit()


SCENARIOS = {
    "seed": sc_seed, "short": sc_short, "long": sc_long, "bdat0": sc_bdat0,
    "starttls-plain": sc_starttls_plain, "mixed": sc_mixed, "binarymime": sc_binarymime,
    "binarymime-ok": sc_binarymime_ok, "bdat": sc_bdat_plain, "bdat-cmd-only": sc_bdat_cmd_only,
    "starttls-inject": sc_starttls_inject, "pipelining": sc_pipelining,
    "size-over": sc_size_over, "size-at": sc_size_at, "smuggle": sc_smuggle,
    "smuggle-ok": sc_smuggle_ok, "unanswered": sc_unanswered, "open": sc_open,
    "auth": sc_auth, "starttls-clear": sc_starttls_clear,
    "auth-login": sc_auth_login, "starttls-auth": sc_starttls_auth,
    "bdat-pipelined-quit": sc_bdat_pipelined_quit, "data-plain": sc_data_plain,
    "gw-bdat": sc_gw_bdat, "gw-data": sc_gw_data,
    "hostile": sc_hostile,
}
for _k in INVALID:
    SCENARIOS["invalid-" + _k] = make_invalid(_k)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--wait", type=float, default=15.0, help="reply timeout, seconds")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list or not a.scenario:
        for k, f in SCENARIOS.items():
            print(f"{k:16} {f.__doc__.strip().splitlines()[0]}")
        return
    s = Session(a.host, a.port, a.wait)
    SCENARIOS[a.scenario](s)


if __name__ == "__main__":
    main()
