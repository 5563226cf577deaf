#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fake SMTP servers / gateways for smtpscope test captures (standard library only).

Serves --count connections (default 1) on --listen/--port, then exits.
Modes:
  symantec-timeout  Symantec-like gateway (banner and EHLO list of the 2007 story);
                    after BDAT waits --chunk-wait seconds for chunk data, then
                    replies "451 Timeout waiting for client input".
  drop              same gateway; closes the connection (FIN) on BDAT, no reply.
  reset             same gateway; resets the connection (RST, SO_LINGER 0) on BDAT.
  reject            same gateway (CHUNKING advertised); reads the chunk, answers 5xx.
  binarymime-only   advertises BINARYMIME but not CHUNKING.
  masked            EHLO reply with keywords masked as by Cisco PIX/ASA ESMTP inspection.
  exchange          near miss for masked: real X-keywords (XEXCH50, X-LINK2STATE).
  plain             ordinary server (PIPELINING, CHUNKING, 8BITMIME), DATA and BDAT.
  auth              plain + AUTH PLAIN LOGIN, accepts any credentials (cleartext).
  auth-notls        auth, STARTTLS advertised too but answered 454 (no TLS here).
  auth-tls          auth, STARTTLS advertised and answered 220 (no TLS is ever
                    negotiated: the client of our leak test never starts it).
  mixed-reply       plain, but the end of DATA is answered with a multi-line reply
                    whose lines carry different codes (250- then 554).
  silent-rcpt       never answers RCPT TO (the client gives up).
  starttls-clear    plain + STARTTLS advertised; answers it 220 and goes on in cleartext
                    (what a STARTTLS-stripping proxy or a broken server does).
  hostile           plain, but its banner, EHLO reply and replies carry markup and
                    script (<script>, "><img onerror=, javascript:) and a bidi
                    override (U+202E): for the HTML report's escaping test.
  starttls-close    plain + STARTTLS advertised; answers it 220, reads the client's
                    ClientHello and closes the connection (FIN) without a byte of TLS,
                    as a middlebox that cannot pass TLS does.
"""
import argparse
import socket
import struct
import sys
import time

SYM_BANNER = b"220 mailgateway Symantec Mail Security Mon, 17 Sep 2007 12:00:00 -0000"
SYM_EHLO = [b"mailgateway Hello [%s]", b"TURN", b"SIZE 10485760", b"ETRN", b"PIPELINING",
            b"DSN", b"ENHANCEDSTATUSCODES", b"8bitmime", b"BINARYMIME", b"CHUNKING",
            b"VRFY", b"OK"]
PLAIN_EHLO = [b"mx.smtpscope.test", b"PIPELINING", b"SIZE 10240000", b"8BITMIME",
              b"ENHANCEDSTATUSCODES", b"CHUNKING"]
MASKED_BANNER = b"220 ***************************************************0*0*0****0***0"
MASKED_EHLO = [b"mail.company.com Hello [%s]", b"XXXXXXXA", b"SIZE 10485760",
               b"XXXXXXXB", b"XXXXXXXXXXXXXXXXXC", b"XXXX", b"8BITMIME", b"OK"]
# Markup a report must show as text; if run, it changes document.title.
EVIL_SCRIPT = b"<script>document.title='pwned'</script>"
EVIL_IMG = b"\"><img src=x onerror=\"document.title='pwned'\">"
RLO = "\u202e".encode()
HOSTILE_BANNER = b"220 mx.smtpscope.test ESMTP " + EVIL_SCRIPT
HOSTILE_EHLO = [b"mx.smtpscope.test " + EVIL_IMG, b"PIPELINING",
                b"X-LINK javascript:document.title='pwned'", b"8BITMIME",
                b"X-RTL " + RLO + b"exe.txt", b"CHUNKING"]
EXCH_BANNER = b"220 mail.company.com Microsoft ESMTP MAIL Service ready"
EXCH_EHLO = [b"mail.company.com Hello [%s]", b"TURN", b"SIZE 10485760", b"ETRN",
             b"PIPELINING", b"DSN", b"ENHANCEDSTATUSCODES", b"8bitmime", b"BINARYMIME",
             b"CHUNKING", b"VRFY", b"X-EXPS GSSAPI NTLM LOGIN", b"X-LINK2STATE",
             b"XEXCH50", b"OK"]


class Conn:
    def __init__(self, c, peer, mode, chunk_wait):
        self.c, self.peer, self.mode, self.chunk_wait = c, peer, mode, chunk_wait
        self.buf = b""

    def send(self, line):
        print("S:", line.decode("latin-1"), file=sys.stderr)
        self.c.sendall(line + b"\r\n")

    def multi(self, code, items):
        """A multi-line reply, written in one go as real servers do."""
        lines = []
        for i, it in enumerate(items):
            sep = b" " if i == len(items) - 1 else b"-"
            if b"%s" in it:
                it = it % self.peer.encode()
            lines.append(code + sep + it)
        self.send(b"\r\n".join(lines))

    def line(self, timeout=30):
        self.c.settimeout(timeout)
        while b"\r\n" not in self.buf:
            try:
                d = self.c.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return None
            if not d:
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        print("C:", l.decode("latin-1"), file=sys.stderr)
        return l

    def read_bytes(self, n, timeout):
        """Read n chunk bytes; return how many arrived before the timeout."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.c.settimeout(left)
            try:
                d = self.c.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            self.buf += d
        got = min(n, len(self.buf))
        self.buf = self.buf[got:]
        return got

    def read_data(self):
        while True:
            l = self.line()
            if l is None or l == b".":
                return l

    def run(self):
        m = self.mode
        gateway = m in ("symantec-timeout", "drop", "reset", "reject")
        if gateway:
            self.send(SYM_BANNER)
        elif m == "masked":
            self.send(MASKED_BANNER)
        elif m == "exchange":
            self.send(EXCH_BANNER)
        elif m == "hostile":
            self.send(HOSTILE_BANNER)
        else:
            self.send(b"220 mx.smtpscope.test ESMTP ready")
        while True:
            l = self.line()
            if l is None:
                return
            verb = l.split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                if gateway:
                    self.multi(b"250", SYM_EHLO)
                elif m == "masked":
                    self.multi(b"250", MASKED_EHLO)
                elif m == "exchange":
                    self.multi(b"250", EXCH_EHLO)
                elif m == "binarymime-only":
                    self.multi(b"250", [b"mx.smtpscope.test", b"PIPELINING", b"SIZE 10240000",
                                        b"8BITMIME", b"BINARYMIME"])
                elif m == "auth":
                    self.multi(b"250", PLAIN_EHLO + [b"AUTH PLAIN LOGIN"])
                elif m == "hostile":
                    self.multi(b"250", HOSTILE_EHLO)
                elif m in ("starttls-clear", "starttls-close"):
                    self.multi(b"250", PLAIN_EHLO + [b"STARTTLS"])
                elif m in ("auth-tls", "auth-notls"):
                    self.multi(b"250", PLAIN_EHLO + [b"STARTTLS", b"AUTH PLAIN LOGIN"])
                else:
                    self.multi(b"250", PLAIN_EHLO)
            elif verb == b"HELO":
                self.send(b"250 hello")
            elif verb == b"MAIL":
                addr = l.split(b"<", 1)[-1].split(b">", 1)[0]
                self.send(b"250 2.1.0 " + addr + b"....Sender OK")
            elif verb == b"RCPT":
                if m == "silent-rcpt":
                    continue
                addr = l.split(b"<", 1)[-1].split(b">", 1)[0]
                self.send(b"250 2.1.5 " + addr)
            elif verb == b"BDAT":
                if m == "drop":
                    self.c.shutdown(socket.SHUT_RDWR)
                    return
                if m == "reset":
                    self.c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
                    return
                try:
                    n = int(l.split()[1])
                except (IndexError, ValueError):
                    self.send(b"501 5.5.4 Invalid BDAT argument")
                    continue
                got = self.read_bytes(n, self.chunk_wait)
                if got < n:
                    self.send(b"451 Timeout waiting for client input")
                elif m == "reject":
                    self.send(b"554 5.5.1 BDAT command not supported")
                else:
                    self.send(b"250 2.0.0 %d octets received" % n)
            elif verb == b"DATA":
                self.send(b"354 Start mail input; end with <CRLF>.<CRLF>")
                if self.read_data() is None:
                    return
                if m == "mixed-reply":
                    self.send(b"250-2.6.0 Message accepted\r\n554 5.7.1 Message rejected")
                elif m == "hostile":
                    self.send(b"451 4.4.2 Timeout waiting for client input " +
                              EVIL_SCRIPT + b" " + EVIL_IMG + b" " + RLO + b"fdp.exe")
                else:
                    self.send(b"250 2.6.0 Queued mail for delivery")
            elif verb == b"STARTTLS" and m == "auth-notls":
                self.send(b"454 4.7.0 TLS not available due to local problem")
            elif verb == b"STARTTLS" and m == "auth-tls":
                self.send(b"220 2.0.0 Ready to start TLS")
                while self.line() is not None:
                    pass
                return
            elif verb == b"AUTH" and m in ("auth", "auth-tls", "auth-notls"):
                parts = l.split()
                if len(parts) >= 2 and parts[1].upper() == b"LOGIN":
                    if len(parts) == 2:
                        self.send(b"334 VXNlcm5hbWU6")
                        self.line()
                    self.send(b"334 UGFzc3dvcmQ6")
                    self.line()
                elif len(parts) == 2:
                    self.send(b"334 ")
                    self.line()
                self.send(b"235 2.7.0 Authentication successful")
            elif verb == b"STARTTLS" and m in ("starttls-clear", "starttls-close"):
                self.send(b"220 2.0.0 Ready to start TLS")
                if m == "starttls-close":
                    self.c.settimeout(10)
                    try:
                        self.c.recv(65536)      # the ClientHello
                    except socket.timeout:
                        pass
                    time.sleep(0.2)
                    self.c.shutdown(socket.SHUT_RDWR)
                    return
            elif verb == b"RSET" or verb == b"NOOP":
                self.send(b"250 2.0.0 OK")
            elif verb == b"QUIT":
                self.send(b"221 2.0.0 Service closing transmission channel")
                return
            else:
                self.send(b"500 5.3.3 Unrecognized command")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--listen", default="127.0.0.5")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--chunk-wait", type=float, default=5.0)
    a = ap.parse_args()
    fam = socket.AF_INET6 if ":" in a.listen else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.listen, a.port))
    ls.listen(8)
    print("listening", a.listen, a.port, a.mode, file=sys.stderr, flush=True)
    for _ in range(a.count):
        c, addr = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            Conn(c, addr[0], a.mode, a.chunk_wait).run()
        finally:
            c.close()
    ls.close()


if __name__ == "__main__":
    main()
