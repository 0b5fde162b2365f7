#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mapfiles.py: an unprivileged user's mapped files that must not make
xenprofd open a non-regular file or block (tests/faults/mapped-files.sh).

  mapfiles.py swap DIR device|fifo SECONDS   (run as the unprivileged user)
      maps DIR/KIND-prog (not an ELF file: the kernel gives no build-id, so
      the daemon must read the file itself) with PROT_EXEC, then puts in its
      place a symlink to a device of its own (a pty) or a FIFO, and watches
      that object with inotify for SECONDS: prints "opened N", the number
      of times anyone opened it.
  mapfiles.py fuse DIR SECONDS                (run as root, as fusermount)
      mounts a FUSE filesystem at DIR/fuse for nobody (allow_other), served
      by a process running as nobody that answers everything but READ, which
      it never answers (a FUSE or network file that hangs); a process of
      nobody's maps DIR/fuse/prog with PROT_EXEC.  Prints "mapped", then
      after SECONDS "reads N" (the READ requests left hanging), and ends the
      server, which releases whoever waited.
"""
import ctypes
import mmap
import os
import select
import signal
import struct
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
IN_OPEN = 0x20


def watch_opens(path, seconds):
    """Opens of PATH seen by inotify within SECONDS."""
    ifd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if ifd < 0 or libc.inotify_add_watch(ifd, path.encode(), IN_OPEN) < 0:
        print('inotify failed: %s' % os.strerror(ctypes.get_errno()), flush=True)
        sys.exit(1)
    return ifd


def count_events(ifd, seconds):
    n, end = 0, time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([ifd], [], [], max(0.0, end - time.time()))
        if not r:
            continue
        buf = os.read(ifd, 4096)
        off = 0
        while off + 16 <= len(buf):
            _, mask, _, ln = struct.unpack_from('iIII', buf, off)
            if mask & IN_OPEN:
                n += 1
            off += 16 + ln
    return n


def swap(d, kind, seconds):
    prog = os.path.join(d, kind + '-prog')
    with open(prog, 'wb') as f:
        f.write(b'\0' * 8192)
    fd = os.open(prog, os.O_RDONLY)
    m = mmap.mmap(fd, 8192, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
    # The daemon learns of the mapping from its MMAP2 record, path and all;
    # by the time it reads the file, the path is something else.
    os.rename(prog, prog + '.mapped')
    if kind == 'device':
        master, slave = os.openpty()
        target = os.ttyname(slave)
        ifd = watch_opens(target, seconds)
        os.symlink(target, prog)
    else:
        os.mkfifo(prog, 0o644)
        ifd = watch_opens(prog, seconds)
    print('planted %s' % prog, flush=True)
    print('opened %d' % count_events(ifd, seconds), flush=True)
    m.close()
    os.close(fd)


# ---- a FUSE filesystem whose reads hang (the raw protocol, /dev/fuse) ----

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_OPEN, FUSE_READ = 1, 2, 3, 14, 15
FUSE_STATFS, FUSE_RELEASE, FUSE_FLUSH, FUSE_INIT, FUSE_OPENDIR = 17, 18, 25, 26, 27
FUSE_RELEASEDIR, FUSE_INTERRUPT, FUSE_DESTROY, FUSE_BATCH_FORGET = 29, 36, 38, 42
ENOENT, ENOSYS = 2, 38
SIZE = 8192


def attr(ino, mode, size):
    # fuse_attr: ino size blocks atime mtime ctime, ns x3, mode nlink uid gid rdev blksize flags
    return struct.pack('<QQQQQQIIIIIIIIII', ino, size, (size + 511) // 512, 0, 0, 0, 0, 0, 0,
                       mode, 1, 65534, 65534, 0, 4096, 0)


def serve(dev, log):
    reads = 0
    while True:
        try:
            buf = os.read(dev, 1 << 20)
        except OSError:
            return
        ln, op, unique, nodeid = struct.unpack_from('<IIQQ', buf, 0)
        body = buf[40:ln]

        def reply(data=b'', err=0):
            os.write(dev, struct.pack('<IiQ', 16 + len(data), -err, unique) + data)
        if op == FUSE_INIT:
            major, minor = struct.unpack_from('<II', body, 0)
            # 7.22: the 24-byte init_out
            reply(struct.pack('<IIIIHHI', 7, min(minor, 22), 65536, 0, 16, 12, 65536))
        elif op == FUSE_LOOKUP:
            name = body.split(b'\0')[0]
            if nodeid == 1 and name == b'prog':
                reply(struct.pack('<QQQQII', 2, 0, 1, 1, 0, 0) + attr(2, 0o100755, SIZE))
            else:
                reply(err=ENOENT)
        elif op == FUSE_GETATTR:
            a = attr(1, 0o40755, 0) if nodeid == 1 else attr(2, 0o100755, SIZE)
            reply(struct.pack('<QII', 1, 0, 0) + a)
        elif op in (FUSE_OPEN, FUSE_OPENDIR):
            reply(struct.pack('<QII', 1, 0, 0))
        elif op == FUSE_READ:
            reads += 1		# never answered: the reader hangs here
            log.write('reads %d\n' % reads)
            log.flush()
        elif op in (FUSE_RELEASE, FUSE_FLUSH, FUSE_RELEASEDIR):
            reply()
        elif op == FUSE_STATFS:
            reply(b'\0' * 80)
        elif op in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT):
            pass
        elif op == FUSE_DESTROY:
            reply()
            return
        else:
            reply(err=ENOSYS)


def become_nobody():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def fuse(d, seconds):
    mnt = os.path.join(d, 'fuse')
    os.makedirs(mnt, exist_ok=True)
    dev = os.open('/dev/fuse', os.O_RDWR)
    opts = 'fd=%d,rootmode=40000,user_id=65534,group_id=65534,allow_other' % dev
    if libc.mount(b'xptest', mnt.encode(), b'fuse.xptest', 0, opts.encode()) != 0:
        print('mount of FUSE failed: %s' % os.strerror(ctypes.get_errno()), flush=True)
        sys.exit(1)
    logp = os.path.join(d, 'fuse.log')
    server = os.fork()
    if server == 0:
        become_nobody()
        with open(logp, 'w') as log:
            serve(dev, log)
        os._exit(0)
    os.close(dev)
    victim = os.fork()
    if victim == 0:
        become_nobody()
        fd = os.open(os.path.join(mnt, 'prog'), os.O_RDONLY)
        m = mmap.mmap(fd, SIZE, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
        print('mapped', flush=True)
        time.sleep(seconds)
        os._exit(0)
    os.waitpid(victim, 0)
    reads = 0
    try:
        for line in open(logp):
            reads = int(line.split()[1])
    except OSError:
        pass
    print('reads %d' % reads, flush=True)
    # The server's end aborts the connection: whoever waited on a READ goes.
    os.kill(server, signal.SIGKILL)
    os.waitpid(server, 0)
    libc.umount2(mnt.encode(), 2)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == 'swap':
        swap(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == 'fuse':
        fuse(sys.argv[2], float(sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
