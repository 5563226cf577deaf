# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal Chrome DevTools Protocol client over the Python standard library.

Starts Debian's chromium headless (no network features, a fresh profile in a
temporary directory), talks to it over its WebSocket on 127.0.0.1, and
offers what the HTML report test needs: open a page, evaluate script, collect
console errors and exceptions, take a screenshot. Nothing is downloaded.
"""
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps",
         "--remote-debugging-port=0", "--window-size=1100,1400"]


def skip_code():
    """Without chromium: None when it is installed, else the exit status
    after saying so: 77 (skipped), or 1 in CI (CI=true), where a skipped
    browser test is a failure."""
    if find_chromium() is not None:
        return None
    if os.environ.get("CI") == "true":
        print("FAIL: chromium is not installed (scripts/deps.sh --test); "
              "in CI a skipped browser test is a failure")
        return 1
    print("SKIP: chromium is not installed (scripts/deps.sh --test)")
    return 77


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class WebSocket:
    """Just enough RFC 6455 for a client: text frames, fragments, masks."""

    def __init__(self, url, timeout):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        self.sock = socket.create_connection((m.group(1), int(m.group(2))),
                                             timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
            % (m.group(3), m.group(1), m.group(2), key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("websocket handshake failed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise OSError("websocket handshake refused: %r" % head[:80])

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise OSError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        parts = []
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op in (0x9, 0xA):        # ping/pong: not for us
                continue
            if op == 0x8:
                raise OSError("websocket closed by the browser")
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()


class Browser:
    def __init__(self, timeout=60, tries=2):
        exe = find_chromium()
        if exe is None:
            raise FileNotFoundError("chromium")
        for attempt in range(tries):
            self.profile = tempfile.mkdtemp(prefix="smtpscope-chromium-")
            self.log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(
                [exe] + FLAGS + ["--user-data-dir=" + self.profile,
                                 "about:blank"],
                stdout=subprocess.DEVNULL, stderr=self.log)
            try:
                url = self._endpoint(timeout)
                break
            except OSError:
                if attempt == tries - 1:
                    raise
        self.ws = WebSocket(url, timeout)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", url="about:blank")
        self.session = self.call("Target.attachToTarget",
                                 targetId=target["targetId"],
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable", session=True)

    def _endpoint(self, timeout):
        """Chromium writes its port and path into DevToolsActivePort in
        the profile once it listens (more robust than its stderr)."""
        deadline = time.monotonic() + timeout
        path = os.path.join(self.profile, "DevToolsActivePort")
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with open(path) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip() and lines[1].strip():
                    return "ws://127.0.0.1:%s%s" % (lines[0].strip(),
                                                    lines[1].strip())
            except OSError:
                pass
            time.sleep(0.1)
        self.log.seek(0)
        err = self.log.read()[-600:].decode("utf-8", "replace")
        self.close()
        raise OSError("chromium did not start (exit %s): %s"
                      % (self.proc.poll(), err))

    def call(self, method, session=False, timeout=30, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_event(self, name, timeout=30):
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == name:
                del self.events[i]
                return ev
        while time.monotonic() < deadline:
            ev = json.loads(self.ws.recv())
            if ev.get("method") == name:
                return ev
            self.events.append(ev)
        raise TimeoutError(name)

    def open(self, url, timeout=30):
        """Navigate and wait for the load event; returns the events
        (console, exceptions, log entries) the page produced."""
        self.events = []
        self.call("Page.navigate", session=True, url=url)
        self.wait_event("Page.loadEventFired", timeout)
        # let late console messages and exceptions arrive
        self.evaluate("0")
        return self.events

    def errors(self):
        """Console errors, uncaught exceptions and error log entries
        (CSP violations among them) since the last open()."""
        out = []
        for ev in self.events:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: %s" % json.dumps(p)[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in (
                    "error", "assert"):
                out.append("console.%s: %s" % (p["type"],
                                               json.dumps(p["args"])[:300]))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append("log: %s" % p["entry"].get("text", "")[:300])
        return out

    def evaluate(self, expr):
        res = self.call("Runtime.evaluate", session=True, expression=expr,
                        returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError("evaluate: %s" % res["exceptionDetails"])
        return res["result"].get("value")

    def screenshot(self, path, full=True):
        params = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
            metrics = self.call("Page.getLayoutMetrics", session=True)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "scale": 1,
                              "width": min(size["width"], 1400),
                              "height": min(size["height"], 4000)}
        data = base64.b64decode(self.call("Page.captureScreenshot",
                                          session=True, **params)["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


def png_pixels(data):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes):
    (width, height, channels, rows of bytes)."""
    import zlib
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack("!I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack("!IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    ch = {2: 3, 6: 4}[ctype]
    assert depth == 8 and ihdr[6] == 0
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 0xFF
        rows.append(bytes(line))
        prev = line
    return w, h, ch, rows
