#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""gen_stress.py - captures that test smtpscope's memory bounds.

    gen_stress.py halfopen OUT [--conns N] [--synack-every K] [--established]
    gen_stress.py bigdata  OUT [--mb M]
    gen_stress.py bigbdat  OUT [--mb M]

halfopen: N connections to port 25 (default 100000) from distinct
  client address/port pairs within 10 s of packet time: a SYN each, a
  SYN-ACK for every K-th (default 3); never completed, never closed.
  With --established each gets the whole handshake and the server's 220
  banner (a dissector session is open for each). Then three normal
  sessions (EHLO, MAIL, RCPT, DATA, QUIT) that must still be reported.
bigdata: one session whose DATA message is M MiB (default 1024), sent in
  1460-byte segments, ACKed every 16 segments, ended by <CRLF>.<CRLF>, 250.
bigbdat: the same message as one BDAT chunk of M MiB ("BDAT n LAST").
bigattach: one DATA message: a header, then a multipart/mixed body with a
  text part and one base64 attachment that decodes to M MiB (the message
  parser's decode-and-hash path at full length).
manyparts: one DATA message of N parts (default 100000), each a small
  base64 attachment with its own name (the parser's per-part work and
  its caps on kept attachments).

Classic pcap, Ethernet, microsecond timestamps, valid IPv4 checksums
(TCP checksums zero). Written as a stream: the generator's memory does
not grow with the capture. Deterministic: same arguments, same bytes.
"""
import argparse
import base64
import struct
import sys

MSS = 1460
T0 = 1700000000  # 2023-11-14T22:13:20Z
SERVER = bytes([10, 0, 0, 25])


def ip_checksum(h):
    s = sum(struct.unpack("!10H", h))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0,
                                 262144, 1))
        self.usec = 0
        self.ipid = 0

    def packet(self, src, dst, sport, dport, seq, ack, flags, payload=b"",
               step=20):
        self.usec += step
        self.ipid = (self.ipid + 1) & 0xFFFF
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                          ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, total,
                                   self.ipid, 0x4000, 64, 6, 0, src, dst))
        struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
        eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
        n = 14 + total
        sec, us = divmod(self.usec, 1000000)
        self.f.write(struct.pack("<IIII", T0 + sec, us, n, n))
        self.f.write(eth)
        self.f.write(ip)
        self.f.write(tcp)
        self.f.write(payload)

    def close(self):
        self.f.close()


SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


class Conn:
    """One client->server:25 connection with exact sequence numbers."""

    def __init__(self, w, client, cport):
        self.w, self.client, self.cport = w, client, cport
        self.cseq, self.sseq = 1000, 5000

    def c(self, flags, payload=b"", step=20):
        self.w.packet(self.client, SERVER, self.cport, 25, self.cseq,
                      self.sseq, flags, payload, step)
        self.cseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def s(self, flags, payload=b"", step=20):
        self.w.packet(SERVER, self.client, 25, self.cport, self.sseq,
                      self.cseq, flags, payload, step)
        self.sseq += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake(self):
        self.c(SYN)
        self.s(SYN | ACK)
        self.c(ACK)

    def cmd(self, line, reply):
        self.c(PSH | ACK, line)
        self.s(PSH | ACK, reply, step=200)

    def quit(self):
        self.cmd(b"QUIT\r\n", b"221 2.0.0 Bye\r\n")
        self.s(FIN | ACK)
        self.c(FIN | ACK)
        self.s(ACK)

    def send(self, blocks, step=5):
        """the byte blocks of an iterator, as one stream cut into MSS
        segments, an ACK from the server every 16 segments."""
        buf, k = b"", 0
        for b in blocks:
            buf += b
            while len(buf) >= MSS:
                self.c(ACK, buf[:MSS], step)
                buf = buf[MSS:]
                k += 1
                if k % 16 == 0:
                    self.s(ACK, step=step)
        if buf:
            self.c(ACK, buf, step)

    def stream(self, total, step=5):
        """total bytes of message text (no line starts with '.'), in MSS
        segments, an ACK from the server every 16 segments."""
        line = (b"Lorem ipsum dolor sit amet, consectetur adipiscing elit"
                b" sed do eiusmod tempor incididunt ut labore 0123456789\r\n")
        block = line * (MSS * 4 // len(line) + 2)
        sent, k, off = 0, 0, 0
        while sent < total:
            n = min(MSS, total - sent)
            if off + n > len(block) - MSS:
                off = (off + n) % len(line)
            self.c(ACK, block[off:off + n], step)
            off += n
            sent += n
            k += 1
            if k % 16 == 0:
                self.s(ACK, step=step)


def ehlo(conn, chunking=False):
    conn.handshake()
    conn.s(PSH | ACK, b"220 mx.example ESMTP\r\n")
    ext = b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 0\r\n" + \
        (b"250-CHUNKING\r\n" if chunking else b"") + b"250 8BITMIME\r\n"
    conn.cmd(b"EHLO client.example\r\n", ext)
    conn.cmd(b"MAIL FROM:<a@client.example>\r\n", b"250 2.1.0 Ok\r\n")
    conn.cmd(b"RCPT TO:<b@mx.example>\r\n", b"250 2.1.5 Ok\r\n")


def normal_session(w, i):
    conn = Conn(w, bytes([10, 9, 0, 1 + i]), 40000 + i)
    ehlo(conn)
    conn.cmd(b"DATA\r\n", b"354 End data with <CR><LF>.<CR><LF>\r\n")
    conn.c(PSH | ACK, b"Subject: normal %d\r\n\r\nhello\r\n.\r\n" % i)
    conn.s(PSH | ACK, b"250 2.0.0 Ok: queued\r\n", step=300)
    conn.quit()


def halfopen(w, n, every, established):
    step = max(1, 10000000 // max(n, 1))    # all within 10 s
    for i in range(n):
        client = bytes([172, 16 + (i >> 16) % 16, (i >> 8) & 0xFF, i & 0xFF])
        conn = Conn(w, client, 1024 + (i * 7919) % 60000)
        if established:
            conn.c(SYN, step=step)
            conn.s(SYN | ACK, step=1)
            conn.c(ACK, step=1)
            conn.s(PSH | ACK, b"220 mx.example ESMTP\r\n", step=1)
        else:
            conn.c(SYN, step=step)
            if every > 0 and i % every == 0:
                conn.s(SYN | ACK, step=1)
    for i in range(3):
        normal_session(w, i)


def bigdata(w, size):
    conn = Conn(w, bytes([10, 9, 1, 1]), 50000)
    ehlo(conn)
    conn.cmd(b"DATA\r\n", b"354 End data with <CR><LF>.<CR><LF>\r\n")
    conn.stream(size)
    conn.c(PSH | ACK, b"\r\n.\r\n")   # the text may end mid-line
    conn.s(PSH | ACK, b"250 2.0.0 Ok: queued\r\n", step=1000)
    conn.quit()


def bigbdat(w, size):
    conn = Conn(w, bytes([10, 9, 1, 2]), 50001)
    ehlo(conn, chunking=True)
    conn.c(PSH | ACK, b"BDAT %d LAST\r\n" % size)
    conn.stream(size)
    conn.s(PSH | ACK, b"250 2.0.0 Ok: queued\r\n", step=1000)
    conn.quit()


MIME_HEAD = (b"From: Stress <stress@client.example>\r\n"
             b"To: <b@mx.example>\r\n"
             b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
             b"Message-ID: <stress@client.example>\r\n"
             b"Subject: %s\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n")


def attach_blocks(size):
    """a multipart body: a text part, then a base64 attachment of size
    bytes (76-column lines; the decoded bytes repeat 0..255)."""
    yield MIME_HEAD % b"big attachment"
    yield (b"--=_b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
           b"--=_b\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Disposition: attachment; filename=\"big.bin\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n")
    raw = bytes(range(256)) * 3 * 19         # 14592 bytes, a multiple of 57
    lines = b"".join(base64.b64encode(raw[i:i + 57]) + b"\r\n"
                     for i in range(0, len(raw), 57))
    full, rest = divmod(size, len(raw))
    for _ in range(full):
        yield lines
    tail = raw[:rest]
    yield b"".join(base64.b64encode(tail[i:i + 57]) + b"\r\n"
                   for i in range(0, len(tail), 57))
    yield b"--=_b--\r\n"


def parts_blocks(n):
    yield MIME_HEAD % (b"%d parts" % n)
    for i in range(n):
        yield (b"--=_b\r\nContent-Type: text/plain; name=\"part%d.txt\"\r\n"
               b"Content-Disposition: attachment; filename=\"part%d.txt\"\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n"
               b"aGVsbG8gd29ybGQK\r\n" % (i, i))
    yield b"--=_b--\r\n"


def mime_session(w, blocks):
    conn = Conn(w, bytes([10, 9, 1, 3]), 50002)
    ehlo(conn)
    conn.cmd(b"DATA\r\n", b"354 End data with <CR><LF>.<CR><LF>\r\n")
    conn.send(blocks)
    conn.c(PSH | ACK, b".\r\n")
    conn.s(PSH | ACK, b"250 2.0.0 Ok: queued\r\n", step=1000)
    conn.quit()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["halfopen", "bigdata", "bigbdat",
                                     "bigattach", "manyparts"])
    ap.add_argument("--parts", type=int, default=100000)
    ap.add_argument("out")
    ap.add_argument("--conns", type=int, default=100000)
    ap.add_argument("--synack-every", type=int, default=3)
    ap.add_argument("--established", action="store_true")
    ap.add_argument("--mb", type=int, default=1024)
    a = ap.parse_args()
    w = Writer(a.out)
    if a.mode == "halfopen":
        halfopen(w, a.conns, a.synack_every, a.established)
    elif a.mode == "bigdata":
        bigdata(w, a.mb << 20)
    elif a.mode == "bigattach":
        mime_session(w, attach_blocks(a.mb << 20))
    elif a.mode == "manyparts":
        mime_session(w, parts_blocks(a.parts))
    else:
        bigbdat(w, a.mb << 20)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
