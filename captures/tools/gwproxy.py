#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small SMTP-inspecting gateway for smtpscope's two-sided captures (stdlib only).

Usage: gwproxy.py MODE --listen 127.0.0.20 --source 127.0.0.21 --server 127.0.0.1
Accepts ONE connection on LISTEN:25 (the outside), opens its own connection from
SOURCE to SERVER:25 (the inside), relays the SMTP dialogue command by command and exits.
Modes (what the gateway does to the mail):
  faithful       relays every command, reply and byte unchanged
  swallow-bdat   takes the BDAT chunk from the sender, passes only the BDAT command
                 inside (never its bytes) and answers the sender 250 itself, as the
                 seed's gateway did; it answers the sender's QUIT itself too (221,
                 close), while the inside server waits for the bytes and times out
  bdat-to-data   offers CHUNKING outside, takes the BDAT chunks and sends the message
                 inside with DATA (dot-stuffed); the inside server should lack CHUNKING
  mask-starttls  removes STARTTLS from the EHLO reply the sender sees
  drop-rcpt      answers the second and later RCPT of a transaction 250 itself and
                 never sends them inside: an accepted recipient is lost
  refuse-rcpt    refuses the second and later RCPT of a transaction itself (550),
                 never sends them inside: a command the gateway refused, no loss
  rewrite-from   rewrites MAIL FROM inside (SRS-like) and adds a Received: header
                 field to the message: changes a gateway may make, no loss
  disclaimer     adds a Received: header field and appends a disclaimer line to the
                 message body (DATA): the message reaches the inside changed
"""
import argparse
import socket
import sys

CRLF = b"\r\n"


class Conn:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def fill(self, enough, timeout):
        """Read until enough(buf); False on EOF/timeout."""
        self.s.settimeout(timeout)
        while not enough(self.buf):
            try:
                d = self.s.recv(65536)
            except (socket.timeout, OSError):
                d = b""
            if not d:
                return False
            self.buf += d
        return True

    def line(self, timeout=60):
        if not self.fill(lambda b: CRLF in b, timeout):
            return None
        ln, self.buf = self.buf.split(CRLF, 1)
        return ln + CRLF

    def exact(self, n, timeout=60):
        if not self.fill(lambda b: len(b) >= n, timeout):
            return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def reply(self, timeout=60):
        """One whole reply as a list of lines; [] on EOF/timeout."""
        lines = []
        while True:
            ln = self.line(timeout)
            if ln is None:
                return lines
            lines.append(ln)
            if len(ln) < 4 or ln[3:4] != b"-":
                return lines

    def send(self, data):
        try:
            self.s.sendall(data)
        except OSError:
            pass


def ehlo_lines(lines, mode):
    """The EHLO reply as the sender will see it."""
    body = [ln[4:] for ln in lines]
    if mode == "mask-starttls":
        body = [b for b in body if not b.upper().startswith(b"STARTTLS")]
    if mode == "bdat-to-data" and not any(b.upper().startswith(b"CHUNKING") for b in body):
        body.insert(len(body) - 1 if len(body) > 1 else 1, b"CHUNKING" + CRLF)
    code = lines[0][:3]
    return b"".join(code + (b" " if i == len(body) - 1 else b"-") + b
                    for i, b in enumerate(body))


RECEIVED = (b"Received: from sender by gwproxy.smtpscope.test with ESMTP;"
            b" Mon, 30 Nov 2026 05:00:00 +0000" + CRLF)
DISCLAIMER = b"-- scanned by gwproxy: this line was added by the gateway --" + CRLF


def relay_data(out, ins, mode):
    """DATA: the 354 comes from inside, the message lines go in unchanged
    (rewrite-from, disclaimer: a Received: field first; disclaimer: a line
    appended to the body)."""
    r = ins.reply()
    out.send(b"".join(r))
    if not r or not r[0].startswith(b"354"):
        return
    if mode in ("rewrite-from", "disclaimer"):
        ins.send(RECEIVED)
    while True:
        ln = out.line()
        if ln is None:
            return
        if ln == b"." + CRLF and mode == "disclaimer":
            ins.send(DISCLAIMER)
        ins.send(ln)
        if ln == b"." + CRLF:
            break
    out.send(b"".join(ins.reply()))


def srs(cmd):
    """MAIL FROM:<user@dom> -> MAIL FROM:<SRS0=HHHH=TT=dom=user@gwproxy.smtpscope.test>."""
    head, _, rest = cmd.partition(b"<")
    addr, _, tail = rest.partition(b">")
    user, _, dom = addr.rpartition(b"@")
    if not user:
        return cmd
    return (head + b"<SRS0=a1b2=XY=" + dom + b"=" + user +
            b"@gwproxy.smtpscope.test>" + tail)


def envelope_cmd(out, ins, verb, cmd, mode, nrcpt):
    """MAIL/RCPT under the envelope modes; True when handled here."""
    if verb == b"MAIL" and mode == "rewrite-from":
        ins.send(srs(cmd))
        out.send(b"".join(ins.reply()))
        return True
    if verb == b"RCPT" and nrcpt > 1 and mode == "drop-rcpt":
        out.send(b"250 2.1.5 Ok" + CRLF)         # never passed on
        return True
    if verb == b"RCPT" and nrcpt > 1 and mode == "refuse-rcpt":
        out.send(b"550 5.7.1 <recipient>: refused by gateway policy" + CRLF)
        return True
    return False


def bdat(out, ins, cmd, mode, held):
    """One BDAT command and its chunk; held collects chunks for bdat-to-data."""
    parts = cmd.split()
    n = int(parts[1])
    last = len(parts) > 2 and parts[2].upper() == b"LAST"
    chunk = out.exact(n)
    if chunk is None:
        return False
    if mode == "swallow-bdat":
        ins.send(cmd)                  # the command passes, its bytes never do
        out.send(b"250 2.0.0 Ok: queued by gateway" + CRLF)
        return True
    if mode == "bdat-to-data":
        held.append(chunk)
        if not last:
            out.send(b"250 2.0.0 Ok: %d bytes" % n + CRLF)
            return True
        msg = b"".join(held)
        held.clear()
        ins.send(b"DATA" + CRLF)
        r = ins.reply()
        if not r or not r[0].startswith(b"354"):
            out.send(b"".join(r) or b"451 4.3.0 inside failed" + CRLF)
            return True
        if not msg.endswith(CRLF):
            msg += CRLF
        stuffed = b"".join((b"." + ln if ln.startswith(b".") else ln)
                           for ln in msg.splitlines(keepends=True))
        ins.send(stuffed + b"." + CRLF)
        out.send(b"".join(ins.reply()))
        return True
    ins.send(cmd + chunk)
    out.send(b"".join(ins.reply()))
    return True


def run(mode, outside, inside):
    out, ins = Conn(outside), Conn(inside)
    out.send(b"".join(ins.reply()))            # banner
    held = []
    nrcpt = 0
    swallowed = False
    while True:
        cmd = out.line(timeout=60)
        if cmd is None:
            return
        verb = cmd.split(b" ", 1)[0].strip().upper()
        nrcpt = 0 if verb == b"MAIL" else nrcpt + (verb == b"RCPT")
        if envelope_cmd(out, ins, verb, cmd, mode, nrcpt):
            continue
        if verb == b"BDAT":
            if not bdat(out, ins, cmd, mode, held):
                return
            swallowed = mode == "swallow-bdat"
            continue
        if swallowed:
            # the inside still waits for the chunk's bytes: its reply (the timeout's
            # 421, then its close) comes first; the sender's QUIT is answered here
            if verb == b"QUIT":
                out.send(b"221 2.0.0 Bye" + CRLF)
                out.s.close()
                ins.reply(timeout=30)
                return
            ins.reply(timeout=30)
            swallowed = False
        ins.send(cmd)
        if verb == b"DATA":
            relay_data(out, ins, mode)
            continue
        r = ins.reply()
        if not r:                              # inside closed: say so outside
            out.send(b"421 4.4.2 gateway: inside connection lost" + CRLF)
            return
        if verb == b"EHLO":
            out.send(ehlo_lines(r, mode))
        else:
            out.send(b"".join(r))
        if verb == b"QUIT":
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["faithful", "swallow-bdat", "bdat-to-data",
                                     "mask-starttls", "drop-rcpt", "refuse-rcpt",
                                     "rewrite-from", "disclaimer"])
    ap.add_argument("--listen", default="127.0.0.20")
    ap.add_argument("--source", default="127.0.0.21")
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=25)
    a = ap.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.listen, a.port))
    ls.listen(1)
    ls.settimeout(30)
    outside, _ = ls.accept()
    inside = socket.create_connection((a.server, a.port), timeout=30,
                                      source_address=(a.source, 0))
    try:
        run(a.mode, outside, inside)
    finally:
        inside.close()
        outside.close()
        ls.close()
    print("gwproxy: done", file=sys.stderr)


if __name__ == "__main__":
    main()
