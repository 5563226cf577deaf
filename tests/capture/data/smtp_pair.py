#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A tiny SMTP-ish server and client on loopback, to record test captures.

usage: smtp_pair.py HOST PORT [SESSIONS]
Runs the server, then SESSIONS clients in parallel (default 1). Each
client sends the same conversation; the message body goes out in four
200-byte writes a little apart, so it is four TCP segments (one can be
dropped from the capture to make a hole).
"""
import socket, sys, threading, time

HOST, PORT = sys.argv[1], int(sys.argv[2])
SESSIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 1
FAM = socket.AF_INET6 if ':' in HOST else socket.AF_INET


def serve_one(c):
    f = c.makefile('rb')
    c.sendall(b'220 test.example ESMTP\r\n')
    while True:
        line = f.readline()
        if not line:
            break
        cmd = line[:4].upper()
        if cmd == b'EHLO':
            c.sendall(b'250-test.example\r\n250 CHUNKING\r\n')
        elif cmd == b'DATA':
            c.sendall(b'354 go ahead\r\n')
            while f.readline() not in (b'.\r\n', b''):
                pass
            c.sendall(b'250 queued\r\n')
        elif cmd == b'QUIT':
            c.sendall(b'221 bye\r\n')
            break
        else:
            c.sendall(b'250 ok\r\n')
    c.close()


def server(ls):
    for _ in range(SESSIONS):
        c, _ = ls.accept()
        threading.Thread(target=serve_one, args=(c,)).start()


def client(i):
    s = socket.socket(FAM, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((HOST, PORT))
    f = s.makefile('rb')
    f.readline()
    for cmd in (b'EHLO client%d.example\r\n' % i,
                b'MAIL FROM:<a@example.org>\r\n',
                b'RCPT TO:<b@example.com>\r\n'):
        s.sendall(cmd)
        line = f.readline()
        while line[3:4] == b'-':
            line = f.readline()
    s.sendall(b'DATA\r\n')
    f.readline()
    for k in range(4):
        s.sendall((b'%c' % (ord('A') + k)) * 198 + b'\r\n')
        time.sleep(0.05)
    s.sendall(b'.\r\n')
    f.readline()
    s.sendall(b'QUIT\r\n')
    f.readline()
    time.sleep(0.05)
    s.close()


ls = socket.socket(FAM, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((HOST, PORT))
ls.listen(16)
threading.Thread(target=server, args=(ls,), daemon=True).start()
ts = [threading.Thread(target=client, args=(i,)) for i in range(SESSIONS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
time.sleep(0.2)
