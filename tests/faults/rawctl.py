#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A raw client of xenprofd's control socket (daemon/proto.h), for the fault
and security tests: sends what xenprof-ctl never would and prints what came
back: "reply TYPE LEN TEXT", or "closed" when the daemon hung up without a
reply, or "timeout".

  rawctl.py SOCK status                 a valid XP_REQ_STATUS
  rawctl.py SOCK save NAME              XP_REQ_SAVE with NAME as payload
  rawctl.py SOCK partial-header         7 bytes of a header, then hang up
  rawctl.py SOCK partial-payload        a header announcing 100 bytes, 10 sent
  rawctl.py SOCK oversize               len = 64 KiB + 1
  rawctl.py SOCK oversize-send          len = 64 KiB + 1 and 1 MiB actually sent
  rawctl.py SOCK bad-magic | bad-version | unknown-type | garbage
  rawctl.py SOCK hold N SECONDS         N idle connections held open
"""
import os, socket, struct, sys, time

MAGIC, VERSION = 0x31525058, 1

def hdr(t, ln, magic=MAGIC, ver=VERSION):
    return struct.pack("<IHHII", magic, ver, t, ln, 0)

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s

def reply(s):
    try:
        h = b""
        while len(h) < 16:
            b = s.recv(16 - len(h))
            if not b:
                return "closed"
            h += b
        magic, ver, t, ln, _ = struct.unpack("<IHHII", h)
        body = b""
        while len(body) < ln:
            b = s.recv(ln - len(body))
            if not b:
                break
            body += b
        return "reply %d %d %s" % (t, ln, body.decode(errors="replace"))
    except socket.timeout:
        return "timeout"
    except ConnectionResetError:
        return "closed"

def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "hold":
        n, secs = int(sys.argv[3]), float(sys.argv[4])
        held = []
        for _ in range(n):
            try:
                held.append(conn(path))
            except OSError as e:
                print("connect: %s" % e)
        print("holding %d" % len(held), flush=True)
        time.sleep(secs)
        return
    s = conn(path)
    try:
        if what == "status":
            s.sendall(hdr(100, 0))
        elif what == "save":
            name = sys.argv[3].encode()
            s.sendall(hdr(104, len(name)) + name)
        elif what == "partial-header":
            s.sendall(hdr(100, 0)[:7]); s.shutdown(socket.SHUT_WR)
        elif what == "partial-payload":
            s.sendall(hdr(104, 100) + b"x" * 10); s.shutdown(socket.SHUT_WR)
        elif what == "oversize":
            s.sendall(hdr(104, 65537))
        elif what == "oversize-send":
            s.sendall(hdr(104, 65537))
            try:
                s.sendall(b"y" * (1 << 20))
            except OSError:
                pass
        elif what == "bad-magic":
            s.sendall(hdr(100, 0, magic=0xdeadbeef))
        elif what == "bad-version":
            s.sendall(hdr(100, 0, ver=2))
        elif what == "unknown-type":
            s.sendall(hdr(4242, 3) + b"abc")
        elif what == "garbage":
            s.sendall(os.urandom(4096))
        else:
            sys.exit("rawctl.py: unknown request " + what)
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(reply(s))

main()
