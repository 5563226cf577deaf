#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crafted TCP/IP captures for issue 9 ("TCP truth"), made with scapy.

Usage: tcpcases.py OUTDIR [NAME...]     (default: every case)

Real stacks do not send what these cases need (a RST far outside the
window, two different copies of the same bytes, overlapping IP fragments,
a lost window update), so each conversation is written packet by packet.
Every case is one SMTP session between 10.9.0.1 (client) and 10.9.0.2:25
(server) unless said otherwise; times start at 2026-01-01 00:00:00 UTC and
advance 10 ms a packet; sequence numbers are fixed, so the output is the
same on every run. captures/README.md lists what each file must give.
"""
import sys

from scapy.all import (IP, IPv6, IPv6ExtHdrFragment, TCP, Ether, Raw,
                       fragment, wrpcap)

T0 = 1767225600.0
CLI, SRV = "10.9.0.1", "10.9.0.2"
CLI6, SRV6 = "2001:db8::1", "2001:db8::2"
# the headers RFC 5322 requires, and a Message-ID (no message-header-missing)
HDRS = (b"From: a@x.example\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
        b"Message-ID: <1@x.example>\r\n")


class Conn:
    """One TCP connection; keeps both sides' next sequence numbers."""

    def __init__(self, sport=40001, cisn=1000, sisn=5000, v6=False,
                 t=T0, win=65535):
        self.sport, self.v6, self.t, self.win = sport, v6, t, win
        self.seq = {"c": cisn, "s": sisn}
        self.pkts = []

    def ip(self, side):
        if self.v6:
            src, dst = (CLI6, SRV6) if side == "c" else (SRV6, CLI6)
            return IPv6(src=src, dst=dst)
        src, dst = (CLI, SRV) if side == "c" else (SRV, CLI)
        return IP(src=src, dst=dst, id=len(self.pkts) + 1)

    def tcp(self, side, flags, seq=None, ack=None, win=None, opts=None):
        other = "s" if side == "c" else "c"
        sport, dport = (self.sport, 25) if side == "c" else (25, self.sport)
        return TCP(sport=sport, dport=dport, flags=flags,
                   seq=self.seq[side] if seq is None else seq,
                   ack=self.seq[other] if ack is None else ack,
                   window=self.win if win is None else win,
                   options=opts or [])

    def add(self, pkt, gap=0.01):
        self.t += gap
        pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / pkt
        pkt.time = self.t
        self.pkts.append(pkt)
        return pkt

    def handshake(self, syn_data=b"", synack_acks_data=True):
        syn = self.tcp("c", "S", ack=0)
        if syn_data:
            self.add(self.ip("c") / syn / Raw(syn_data))
        else:
            self.add(self.ip("c") / syn)
        self.seq["c"] += 1
        if synack_acks_data:
            self.seq["c"] += len(syn_data)
        self.add(self.ip("s") / self.tcp("s", "SA"))
        self.seq["s"] += 1
        self.add(self.ip("c") / self.tcp("c", "A"))

    def send(self, side, data, flags="PA", advance=True, **kw):
        pkt = self.ip(side) / self.tcp(side, flags, **kw) / Raw(data)
        if advance:
            self.seq[side] += len(data)
        return pkt

    def say(self, side, data, **kw):
        """Data then the peer's pure ACK."""
        self.add(self.send(side, data, **kw))
        self.ack("s" if side == "c" else "c")

    def ack(self, side, win=None):
        self.add(self.ip(side) / self.tcp(side, "A", win=win))

    def close(self):
        self.add(self.ip("c") / self.tcp("c", "FA"))
        self.seq["c"] += 1
        self.add(self.ip("s") / self.tcp("s", "FA"))
        self.seq["s"] += 1
        self.ack("c")


def smtp_open(c, helo=True):
    c.say("s", b"220 mx.example ESMTP\r\n")
    if helo:
        c.say("c", b"EHLO client.example\r\n")
        c.say("s", b"250-mx.example\r\n250 PIPELINING\r\n")


def smtp_mail(c, sender=b"a@x.example", rcpt=b"b@y.example"):
    c.say("c", b"MAIL FROM:<" + sender + b">\r\n")
    c.say("s", b"250 2.1.0 Ok\r\n")
    c.say("c", b"RCPT TO:<" + rcpt + b">\r\n")
    c.say("s", b"250 2.1.5 Ok\r\n")
    c.say("c", b"DATA\r\n")
    c.say("s", b"354 End data with <CR><LF>.<CR><LF>\r\n")
    c.say("c", HDRS + b"Subject: t\r\n\r\nhello\r\n.\r\n")
    c.say("s", b"250 2.0.0 Ok: queued as 4AB\r\n")


def smtp_quit(c):
    c.say("c", b"QUIT\r\n")
    c.say("s", b"221 2.0.0 Bye\r\n")
    c.close()


def whole(c, **kw):
    smtp_open(c)
    smtp_mail(c, **kw)
    smtp_quit(c)


# ---- item 1: RST/FIN outside the receive window ----

def rst_out_of_window():
    """A RST 100000 past the server's window (65535, no scaling) after
    EHLO, and a client FIN 100000 past it before MAIL: a receiver ignores
    both; the whole session (MAIL, RCPT, DATA, QUIT) follows."""
    c = Conn()
    c.handshake()
    smtp_open(c)
    c.add(c.ip("c") / c.tcp("c", "R", seq=c.seq["c"] + 100000, ack=0))
    c.add(c.ip("c") / c.tcp("c", "FA", seq=c.seq["c"] + 100000))
    c.add(c.ip("s") / c.tcp("s", "R", seq=c.seq["s"] + 3000000, ack=0))
    smtp_mail(c)
    smtp_quit(c)
    return c.pkts


def rst_lossy():
    """A lossy capture: after MAIL, the client's next 100000 bytes and
    the server's ACKs of them were not captured; then the client's RST
    (at its true next byte, beyond the last window the capture saw) ends
    the connection, and nothing follows. The RST was real: end `reset`,
    the lost bytes a gap, no tcp-inconsistent."""
    c = Conn()
    c.handshake()
    smtp_open(c)
    c.say("c", b"MAIL FROM:<a@x.example>\r\n")
    c.say("s", b"250 2.1.0 Ok\r\n")
    c.add(c.ip("c") / c.tcp("c", "R", seq=c.seq["c"] + 100000, ack=0))
    return c.pkts


def rst_flood():
    """50 sessions of 7 packets, each hit by a RST at 2^30 - 100 past the
    client's next byte (the case that cost seconds of CPU in filler)."""
    pkts = []
    for i in range(50):
        c = Conn(sport=41000 + i, t=T0 + i)
        c.handshake()
        c.say("s", b"220 mx.example ESMTP\r\n")
        c.add(c.ip("c") / c.tcp("c", "R", seq=c.seq["c"] + (1 << 30) - 100,
                                ack=0))
        c.add(c.send("c", b"QUIT\r\n"))
        pkts += c.pkts
    return pkts


# ---- item 2: port reuse without a captured SYN ----

def port_reuse():
    """Session 1 closes with FINs; 10 s later the same 4-tuple carries a
    new connection whose SYN was not captured (first packet: the
    banner). Both are sessions; the second is partial."""
    c = Conn()
    c.handshake()
    whole(c)
    d = Conn(cisn=900000000, sisn=3000000000, t=c.t + 10)
    smtp_open(d)
    smtp_mail(d, sender=b"second@x.example")
    smtp_quit(d)
    return c.pkts + d.pkts


# ---- item 3: IP fragments ----

def frag_session(v6):
    """MAIL FROM and the end of DATA travel in IP fragments (16 / 24
    bytes of payload each); one retransmitted RCPT arrives as two
    overlapping fragments that must be rejected (RFC 5722), then again
    whole."""
    c = Conn(v6=v6)
    c.handshake()
    smtp_open(c)
    out = list(c.pkts)
    c.pkts = []

    def fragmented(pkt, size):
        if v6:
            pkt = pkt[IPv6]
            base = IPv6(src=pkt.src, dst=pkt.dst)
            payload = bytes(pkt.payload)
            nh = 6
            frags = []
            off = 0
            ident = 0x1234 + len(out)
            while off < len(payload):
                part = payload[off:off + size]
                more = off + size < len(payload)
                frags.append(base / IPv6ExtHdrFragment(
                    nh=nh, offset=off // 8, m=int(more), id=ident) /
                    Raw(part))
                off += size
            return frags
        return fragment(pkt[IP], fragsize=size)

    def add_frags(pkt, size):
        for f in fragmented(pkt, size):
            c.add(f, gap=0.001)

    add_frags(c.send("c", b"MAIL FROM:<frag@x.example>\r\n"), 16)
    c.ack("s")
    c.say("s", b"250 2.1.0 Ok\r\n")
    rcpt = c.send("c", b"RCPT TO:<b@y.example>\r\n", advance=False)
    frags = fragmented(rcpt, 16)
    # two fragments of one datagram whose ranges overlap with other bytes
    if v6:
        raw = bytes(rcpt[IPv6].payload)
        ident = 0x7777
        base = IPv6(src=CLI6, dst=SRV6)
        c.add(base / IPv6ExtHdrFragment(nh=6, offset=0, m=1, id=ident) /
              Raw(raw[:24]), gap=0.001)
        c.add(base / IPv6ExtHdrFragment(nh=6, offset=2, m=0, id=ident) /
              Raw(b"X" * (len(raw) - 16)), gap=0.001)
    else:
        raw = bytes(rcpt[IP].payload)
        c.add(IP(src=CLI, dst=SRV, id=0x7777, flags="MF", frag=0, proto=6) /
              Raw(raw[:24]), gap=0.001)
        c.add(IP(src=CLI, dst=SRV, id=0x7777, frag=2, proto=6) /
              Raw(b"X" * (len(raw) - 16)), gap=0.001)
    del frags
    c.say("c", b"RCPT TO:<b@y.example>\r\n")
    c.say("s", b"250 2.1.5 Ok\r\n")
    c.say("c", b"DATA\r\n")
    c.say("s", b"354 go ahead\r\n")
    add_frags(c.send("c", HDRS + b"Subject: f\r\n\r\nfragmented body\r\n.\r\n"),
              24)
    c.ack("s")
    c.say("s", b"250 2.0.0 Ok: queued\r\n")
    smtp_quit(c)
    return out + c.pkts


def frag_ipv4():
    return frag_session(False)


def frag_ipv6():
    return frag_session(True)


# ---- item 4: retransmission / overlap with different bytes ----

def data_quit(c):
    """DATA, a short message, QUIT."""
    c.say("c", b"DATA\r\n")
    c.say("s", b"354 go ahead\r\n")
    c.say("c", HDRS + b"Subject: o\r\n\r\nbody\r\n.\r\n")
    c.say("s", b"250 2.0.0 Ok: queued\r\n")
    smtp_quit(c)


def overlap_different():
    """MAIL FROM:<good@y.example> and then, at the same sequence number,
    MAIL FROM:<evil@y.example>; later RCPT TO:<goo followed by a segment
    overlapping its last three bytes with "evil@...": a naive reassembler
    reads "gool". Both are tcp-inconsistent; the report keeps the first
    copy, as the server's stack did."""
    c = Conn()
    c.handshake()
    smtp_open(c)
    seq = c.seq["c"]
    c.add(c.send("c", b"MAIL FROM:<good@y.example>\r\n"))
    c.add(c.send("c", b"MAIL FROM:<evil@y.example>\r\n", seq=seq,
                 advance=False))
    c.ack("s")
    c.say("s", b"250 2.1.0 Ok\r\n")
    seq = c.seq["c"]
    c.add(c.send("c", b"RCPT TO:<goo"))
    c.seq["c"] = seq + len(b"RCPT TO:<")
    c.add(c.send("c", b"evil@y.example>\r\n"))
    c.ack("s")
    c.say("s", b"250 2.1.5 Ok\r\n")
    data_quit(c)
    return c.pkts


def overlap_queued():
    """Behind a hole: "MAIL FROM:<" is late; "good@y.example>" and then,
    at the same sequence number, "evil@y.example>" wait queued; then
    "MAIL FROM:<" comes. Both a receiver and the report take the copy
    queued first (good); tcp-inconsistent names both."""
    c = Conn()
    c.handshake()
    smtp_open(c)
    seq = c.seq["c"]
    head = b"MAIL FROM:<"
    c.add(c.send("c", b"good@y.example>\r\n", seq=seq + len(head),
                 advance=False))
    c.add(c.send("c", b"evil@y.example>\r\n", seq=seq + len(head),
                 advance=False))
    c.add(c.send("c", head))
    c.seq["c"] += len(b"good@y.example>\r\n")
    c.ack("s")
    c.say("s", b"250 2.1.0 Ok\r\n")
    c.say("c", b"RCPT TO:<b@y.example>\r\n")
    c.say("s", b"250 2.1.5 Ok\r\n")
    data_quit(c)
    return c.pkts


# ---- item 5: TCP Fast Open ----

def fastopen():
    """The client's SYN carries EHLO (TFO); the SYN-ACK acknowledges it.
    Then banner, the EHLO reply, a whole transaction."""
    c = Conn()
    c.handshake(syn_data=b"EHLO client.example\r\n")
    c.say("s", b"220 mx.example ESMTP\r\n")
    c.say("s", b"250-mx.example\r\n250 PIPELINING\r\n")
    smtp_mail(c)
    smtp_quit(c)
    return c.pkts


def fastopen_refused():
    """TFO data on the SYN that the SYN-ACK does not acknowledge: the
    client sends it again after the handshake; it counts once."""
    c = Conn()
    c.handshake(syn_data=b"EHLO client.example\r\n", synack_acks_data=False)
    c.say("c", b"EHLO client.example\r\n")
    c.say("s", b"220 mx.example ESMTP\r\n")
    c.say("s", b"250-mx.example\r\n250 PIPELINING\r\n")
    smtp_mail(c)
    smtp_quit(c)
    return c.pkts


# ---- item 6: zero window, data after FIN ----

def zero_window():
    """The server closes its window (0) after EHLO; its window update was
    not captured; the client's MAIL then follows and the server ACKs and
    answers it: no gap."""
    c = Conn()
    c.handshake()
    smtp_open(c)
    c.ack("s", win=0)
    smtp_mail(c)
    smtp_quit(c)
    return c.pkts


def fin_then_data():
    """The client sends QUIT with FIN, then (hostile or broken) 20 more
    bytes after its FIN; the server (which ignores them, RFC 793: its ACKs
    stay at the FIN) answers 221 and closes. No 1-byte gap, no extra
    command."""
    c = Conn()
    c.handshake()
    smtp_open(c)
    smtp_mail(c)
    c.add(c.send("c", b"QUIT\r\n", flags="FPA"))
    c.seq["c"] += 1
    c.ack("s")
    c.add(c.send("c", b"MAIL FROM:<late@x>\r\n", advance=False))
    c.say("s", b"221 2.0.0 Bye\r\n")
    c.add(c.ip("s") / c.tcp("s", "FA"))
    c.seq["s"] += 1
    c.ack("c")
    return c.pkts


CASES = {
    "tcp-rst-out-of-window": rst_out_of_window,
    "tcp-rst-flood": rst_flood,
    "tcp-rst-lossy": rst_lossy,
    "tcp-port-reuse": port_reuse,
    "tcp-frag-ipv4": frag_ipv4,
    "tcp-frag-ipv6": frag_ipv6,
    "tcp-overlap-different": overlap_different,
    "tcp-overlap-queued": overlap_queued,
    "tcp-fastopen": fastopen,
    "tcp-fastopen-refused": fastopen_refused,
    "tcp-zero-window": zero_window,
    "tcp-fin-then-data": fin_then_data,
}


def main():
    outdir = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    for name in names:
        wrpcap("%s/%s.pcap" % (outdir, name), CASES[name]())


if __name__ == "__main__":
    main()
