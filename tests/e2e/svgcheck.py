#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Open a flame graph (xenprof-report --format=svg) in headless Chromium and
drive it as a user would, through the DevTools protocol (CDP):

  svgcheck.py SVG OUTDIR FRAME SEARCH

- it renders: frames are drawn, FRAME (a function name) is one of them, and
  no script error is thrown;
- hovering FRAME shows its name, samples and percent in the details line;
- a mouse click on FRAME zooms: FRAME then spans the whole width, frames
  outside it are hidden, "Reset Zoom" appears;
- clicking "Search" and typing SEARCH into the prompt highlights the
  matching frames and says what share they hold;
- OUTDIR/NAME-before.png and NAME-after.png are screenshots before and after
  the click.

Prints one line per check ("ok - ..." / "FAIL - ...") and exits non-zero if
any failed.  Python's standard library only: the WebSocket client below is
the minimum CDP needs (text frames, masking, fragments, ping).
"""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

TIMEOUT = 90  # seconds for anything the browser does, on a busy machine


class WS:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key))
        self.s.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(4096)
            if not chunk:
                raise RuntimeError("websocket: connection closed during the handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket: handshake refused: %r" % head[:200])

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("websocket: connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text, opcode=1):
        data = text.encode() if isinstance(text, str) else text
        n = len(data)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            if b1 & 0x80:
                mask = self._read(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(n)))
            else:
                data = self._read(n)
            op = b0 & 0x0F
            if op == 9:
                self.send(data, opcode=10)
                continue
            if op == 8:
                raise RuntimeError("websocket: closed by the browser")
            msg += data
            if b0 & 0x80:
                return msg.decode()


class CDP:
    def __init__(self, ws):
        self.ws, self.n, self.events = ws, 0, []

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.n:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)
        raise RuntimeError("%s: no answer in %d s" % (method, TIMEOUT))

    def wait_event(self, name):
        for i, e in enumerate(self.events):
            if e.get("method") == name:
                return self.events.pop(i)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            m = json.loads(self.ws.recv())
            if m.get("method") == name:
                return m
            self.events.append(m)
        raise RuntimeError("no %s event in %d s" % (name, TIMEOUT))

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("script error: %s" % r["exceptionDetails"].get("text"))
        return r["result"].get("value")

    def mouse(self, kind, x, y):
        extra = {"button": "left", "clickCount": 1} if kind != "mouseMoved" else {}
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x, y):
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y)

    def screenshot(self, path):
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        with open(path, "wb") as f:
            f.write(data)
        return len(data)


fails = 0


def check(what, cond, detail=""):
    global fails
    if cond:
        print("ok - %s%s" % (what, (": " + detail) if detail else ""))
    else:
        fails += 1
        print("FAIL - %s%s" % (what, (": " + detail) if detail else ""))


def frame_box(cdp, name):
    """Centre and width (CSS px) of the widest visible frame called NAME, or None."""
    return cdp.js("""(function () {
      var best = null;
      document.querySelectorAll('g.f').forEach(function (g) {
        if (fname(g) !== %s || g.classList.contains('hide')) return;
        var b = g.querySelector('rect').getBoundingClientRect();
        if (!best || b.width > best.w) best = {x: b.x + b.width / 2, y: b.y + b.height / 2, w: b.width};
      });
      return best;
    })()""" % json.dumps(name))


def main():
    svg, outdir, name, term = sys.argv[1:5]
    os.makedirs(outdir, exist_ok=True)
    stem = os.path.join(outdir, os.path.splitext(os.path.basename(svg))[0])
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("FAIL - chromium is not installed (Debian package chromium; ./quickstart installs it)")
        return 1
    prof = tempfile.mkdtemp(prefix="xenprof-chromium.")
    url = "file://" + os.path.abspath(svg)
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--user-data-dir=" + prof, "--remote-debugging-port=0", "--window-size=1200,900", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        portfile = os.path.join(prof, "DevToolsActivePort")
        deadline = time.time() + TIMEOUT
        while not (os.path.exists(portfile) and os.path.getsize(portfile) > 0):
            if proc.poll() is not None or time.time() > deadline:
                print("FAIL - chromium did not start (exit %s)" % proc.poll())
                return 1
            time.sleep(0.2)
        port = int(open(portfile).read().split()[0])
        page = None
        while page is None and time.time() < deadline:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=TIMEOUT) as r:
                for t in json.load(r):
                    if t.get("type") == "page" and t.get("url") == url:
                        page = t
            if page is None:
                time.sleep(0.2)
        if page is None:
            print("FAIL - the page %s did not open" % url)
            return 1
        cdp = CDP(WS(page["webSocketDebuggerUrl"]))
        cdp.call("Runtime.enable")
        cdp.call("Page.enable")
        # The page may still be replacing the first document: retry until the
        # flame graph's own script answers.
        while True:
            try:
                if cdp.js("""new Promise(function (ok) {
                  (function wait() { if (document.readyState === 'complete' && typeof zoom === 'function')
                    ok(true); else setTimeout(wait, 50); })(); })"""):
                    break
            except RuntimeError as e:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        errors = [e for e in cdp.events if e.get("method") == "Runtime.exceptionThrown"]
        check("the flame graph loads without script errors", not errors,
              "; ".join(e["params"]["exceptionDetails"].get("text", "") for e in errors))
        n = cdp.js("document.querySelectorAll('g.f').length")
        drawn = cdp.js("""Array.prototype.filter.call(document.querySelectorAll('g.f rect'),
                          function (r) { return r.getBoundingClientRect().width > 0; }).length""")
        check("it renders (%s frames, %s drawn)" % (n, drawn), (drawn or 0) > 3)
        labels = cdp.js("""Array.prototype.filter.call(document.querySelectorAll('g.f text'),
                           function (t) { return t.textContent.length > 0; }).length""")
        check("frame names are drawn in the wide frames (%s)" % labels, (labels or 0) > 0)
        width = cdp.js("+document.documentElement.getAttribute('width') - 20")
        box = frame_box(cdp, name)
        check("%s is a frame (%s)" % (name, box), box is not None)
        if box is None:
            return 1
        size = cdp.screenshot(stem + "-before.png")
        print("screenshot before the click: %s-before.png (%d bytes)" % (stem, size))
        cdp.mouse("mouseMoved", box["x"], box["y"])
        details = cdp.js("document.getElementById('details').textContent")
        check("hovering %s shows its name, samples and percent" % name,
              details.startswith(name + " (") and "samples" in details and "%" in details, repr(details))
        cdp.click(box["x"], box["y"])
        after = frame_box(cdp, name)
        hidden = cdp.js("document.querySelectorAll('g.f.hide').length")
        unzoom = cdp.js("!document.getElementById('unzoom').classList.contains('hide')")
        check("a click on %s zooms it to the whole width (%.0f px -> %.0f px of %d)" %
              (name, box["w"], after["w"] if after else 0, width),
              after is not None and after["w"] >= 0.97 * width and after["w"] > box["w"])
        check("frames outside %s are hidden after the click (%s)" % (name, hidden), hidden > 0)
        check("Reset Zoom is offered", unzoom)
        size = cdp.screenshot(stem + "-after.png")
        print("screenshot after the click: %s-after.png (%d bytes)" % (stem, size))
        # Search: click the button, answer the prompt.
        sb = cdp.js("""(function () { var b = document.getElementById('search').getBoundingClientRect();
                       return {x: b.x + b.width / 2, y: b.y + b.height / 2}; })()""")
        cdp.mouse("mouseMoved", sb["x"], sb["y"])
        cdp.mouse("mousePressed", sb["x"], sb["y"])
        # The prompt blocks the click's completion: answer it, then finish the click.
        cdp.ws.send(json.dumps({"id": 999999, "method": "Input.dispatchMouseEvent", "params": {
            "type": "mouseReleased", "x": sb["x"], "y": sb["y"], "button": "left", "clickCount": 1}}))
        cdp.wait_event("Page.javascriptDialogOpening")
        cdp.call("Page.handleJavaScriptDialog", accept=True, promptText=term)
        matched = cdp.js("document.getElementById('matched').textContent")
        hl = cdp.js("""document.querySelectorAll('g.f rect[fill="rgb(230,0,230)"]').length""")
        check("Search %r highlights %s frame(s): %s" % (term, hl, matched),
              matched.startswith("Matched: ") and hl > 0 and not matched.startswith("Matched: 0.00%"))
        cdp.click(5, 5)  # nothing there: no error
        errors = [e for e in cdp.events if e.get("method") == "Runtime.exceptionThrown"]
        check("no script error while zooming and searching", not errors)
        return 0 if fails == 0 else 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its renderer and helper processes
        except ProcessLookupError:
            pass
        shutil.rmtree(prof, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
