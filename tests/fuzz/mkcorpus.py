#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seed corpora of fuzz-control, fuzz-xoring, fuzz-fxconfig and
fuzz-archive into corpus/{control,xoring,fxconfig,archive}/ (run from
tests/fuzz)."""
import io, os, struct, tarfile, zlib

MAGIC, VER = 0x31525058, 1
def msg(t, payload=b"", magic=MAGIC, ver=VER, ln=None, res=0):
    return struct.pack("<IHHII", magic, ver, t, len(payload) if ln is None else ln, res) + payload
def w(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

c = "corpus/control"
w(c, "status", b"\0\1" + msg(100))
for t in range(100, 107):
    w(c, "req-%d" % t, b"\0\0" + msg(t))
w(c, "save", b"\0\2" + msg(104, b"mysession"))
w(c, "save-split", b"\3\2" + msg(104, b"a/../../etc"))
w(c, "two-pipelined", b"\0\1" + msg(100) + msg(101))
w(c, "bad-magic", b"\0\0" + msg(100, magic=0x12345678))
w(c, "bad-version", b"\0\0" + msg(100, ver=9))
w(c, "too-large", b"\0\0" + msg(104, ln=65537))
w(c, "max-len-short", b"\0\0" + msg(104, ln=65536) + b"x" * 100)
w(c, "max-len-full", b"\0\xff" + msg(104, b"y" * 65536))
w(c, "truncated-hdr", b"\0\0" + msg(100)[:7])
w(c, "unknown-type", b"\1\0" + msg(999, b"zz"))
w(c, "reply-type", b"\0\0" + msg(200, b"text"))

x = "corpus/xoring"
def rnd(head, tail, lost, entries):
    b = struct.pack("<IIQB", head, tail, lost, len(entries))
    for slot, mode, ev, kind in entries:
        b += bytes([slot, mode, ev, kind])
    return b
hdr = bytes([16, 2, 8, 0xff, 0xff])
w(x, "simple", hdr + rnd(3, 0, 0, [(0, 1, 0, 1), (1, 2, 1, 1), (2, 0, 0, 1)]))
w(x, "chain", hdr + rnd(6, 0, 0, [(0, 0, 1, 0), (1, 1, 0, 1), (2, 0, 0, 1), (3, 0, 0, 1),
                                (4, 0, 1, 0), (5, 2, 1, 1)]))
w(x, "truncated-escape", hdr + rnd(1, 0, 0, [(0, 0, 1, 0)]) + rnd(3, 1, 0, [(1, 1, 0, 1), (2, 0, 0, 1)]))
w(x, "head-out-of-range", hdr + rnd(99, 0, 0, []) + rnd(0, 99, 0, []) + rnd(2, 0, 5, [(0, 1, 0, 1), (1, 1, 0, 1)]))
w(x, "bad-mode-counter", hdr + rnd(4, 0, 0, [(0, 7, 0, 1), (1, 1, 9, 1), (2, 0, 1, 0), (3, 3, 0, 1)]))
w(x, "wrap", hdr + rnd(2, 14, 3, [(14, 1, 0, 1), (15, 2, 1, 1), (0, 0, 0, 1), (1, 1, 1, 1)]) + rnd(5, 2, 1, []))
w(x, "rewritten", hdr + rnd(4, 0, 0, [(0, 0, 1, 0), (1, 1, 0, 1), (2, 0, 0, 1), (3, 0, 0, 1)])
  + rnd(8, 4, 0, [(4, 0, 0, 1), (5, 0, 1, 0), (6, 1, 0, 1), (7, 0, 0, 1)]) + rnd(8, 4, 2, [(4, 0, 1, 0)]))
w(x, "bad-header-size", bytes([0, 2, 8, 0xff, 0xff]) + rnd(1, 0, 0, []))
w(x, "one-slot", bytes([1, 1, 1, 1, 1]) + rnd(0, 0, 0, [(0, 1, 0, 1)]))

f = "corpus/fxconfig"
w(f, "minimal", b"domain 0 name Domain-0 vcpus 1 weight 1\n")
w(f, "failures", b"""pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 4
xen_image /tmp/fixture
domain 0 name Domain-0 vcpus 1 weight 50 kernel /tmp/fixture
domain 1 name web01 vcpus 1 weight 50 kernel /tmp/fixture
work 0 kernel ext4_file_write 100
work 1 kernel schedule 100
fault hypercall get_buffer EBUSY count 1
fault hypercall reserve_counters EBUSY count 1 domain 1
fault destroy 1 after 300
fault kill_primary after 500
fault ring_slots 64
""")
w(f, "chains", b"""# call chains, user work
pcpus 4
num_events 2
timeslice 1000
limit 100000
xen_image /x
domain 0 name Domain-0 vcpus 2 weight 10 kernel /k type pv memory 1024
domain 3 name g vcpus 4 weight 10 type hvm
work 0 xen do_softirq<-idle_loop 10
work 0 user pid=123:main<-__libc_start_main 5
work 3 user - 5
work 0 kernel a<-b<-c<-d<-e<-f<-g<-h 1
fault hypercall xenoprof ENOSYS
fault hypercall 99 EINVAL
""")
w(f, "errors", b"domain 0\ndomain 0\nwork 9 user x 1\nfault bogus\n" + b"x" * 5000 + b"\n")

# Archives as xenprof-report --archive writes them: ustar, a manifest last
# ("SIZE CRC32 NAME" per member after a "1 00000000 xenprof-archive" line).
a = "corpus/archive"
def archive(members, manifest=True, end=True, extra=b""):
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT)
    man = "1 00000000 xenprof-archive\n"
    for name, data in members:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
        man += "%d %08x %s\n" % (len(data), zlib.crc32(data) & 0xffffffff, name)
    if manifest:
        ti = tarfile.TarInfo("xenprof-archive.manifest")
        ti.size = len(man)
        t.addfile(ti, io.BytesIO(man.encode()))
    t.close()
    b = buf.getvalue()
    if not end:
        b = b.rstrip(b"\0")
        b += b"\0" * (-len(b) % 512)
    return b + extra
files = [("sessions/current/meta", b"XPSMETA" + bytes(64)),
         ("sessions/current/kallsyms", b"ffffffff81000000 T _text\n"),
         ("root/usr/bin/prog", b"\x7fELF" + bytes(200))]
w(a, "whole", archive(files))
w(a, "no-manifest", archive(files, manifest=False))
w(a, "no-end", archive(files, end=False))
w(a, "dir-and-link", archive([("sessions/current/", b"")] + files[:1]))
w(a, "dotdot", archive([("sessions/../../x", b"x")]))
w(a, "cut", archive(files)[:1300])
