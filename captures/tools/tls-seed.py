#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
import subprocess, sys
# fuzz_tls seed from a capture: the TLS bytes after STARTTLS's 220 (or all, for 465),
# per direction in order, as the harness's script records
pcap, out, implicit = sys.argv[1], sys.argv[2], len(sys.argv) > 3
txt = subprocess.run(['tshark', '-r', pcap, '-q', '-z', 'follow,tcp,raw,0'], capture_output=True, text=True).stdout
steps = []
started = implicit
for line in txt.splitlines():
    if not line or line.startswith(('=', 'Follow', 'Filter', 'Node')):
        continue
    d = 1 if line.startswith('\t') else 0      # tshark indents the second node (server)
    data = bytes.fromhex(line.strip())
    if not started:
        if d == 1 and data.startswith(b'220 2.0.0'):
            started = True
        continue
    steps.append((d, data))
b = b''
for d, data in steps:
    for i in range(0, len(data), 255):
        c = data[i:i + 255]
        b += bytes([d, len(c)]) + c
open(out, 'wb').write(b)
print(out, len(b))
