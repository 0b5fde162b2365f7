#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""run.py: boot the real Xen host under QEMU and log its console.

    run.py --xen XEN --kernel VMLINUZ --initrd INITRD --log LOG [options]

Boots Debian's Xen 4.17 with a PV dom0 under qemu-system-x86_64 (TCG,
-cpu core2duo, -smp 1), and copies the serial console, timestamped, to LOG.
While the console shows "XP-NMI on NAME" and until "XP-NMI off NAME", it
sends QMP inject-nmi at --nmi-hz, and logs "HOST nmi NAME N" (NMIs QEMU
accepted in that window) when the window closes.  The run ends when dom0
reboots (QEMU exits: -no-reboot) or at --timeout, when QEMU is killed.
Exit status: 0 when dom0 printed XP-DONE, 1 otherwise.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument('--xen', required=True)
ap.add_argument('--kernel', required=True)
ap.add_argument('--initrd', required=True)
ap.add_argument('--log', required=True)
ap.add_argument('--qemu', default='qemu-system-x86_64')
ap.add_argument('--mem', default='1024')
ap.add_argument('--dom0-mem', default='512M')
ap.add_argument('--nmi-hz', type=float, default=1000.0)
ap.add_argument('--timeout', type=float, default=600)
ap.add_argument('--append', default='', help='more dom0 kernel arguments')
a = ap.parse_args()

qmp_dir = tempfile.mkdtemp(prefix='xenprof-realxen-qmp.')
qmp_path = os.path.join(qmp_dir, 'qmp.sock')
xen_cmd = ('console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all '
           'dom0_mem=%s,max:%s dom0_max_vcpus=1' % (a.dom0_mem, a.dom0_mem))
dom0_cmd = 'console=hvc0 earlyprintk=xen rdinit=/init %s' % a.append
# tb-size: QEMU's translation cache (1 GiB by default) is sized for big guests.
cmd = [a.qemu, '-accel', 'tcg,tb-size=256', '-cpu', 'core2duo', '-smp', '1', '-m', a.mem,
       '-display', 'none', '-no-reboot', '-serial', 'stdio', '-monitor', 'none',
       '-nodefaults', '-qmp', 'unix:%s,server=on,wait=off' % qmp_path,
       '-kernel', a.xen, '-append', xen_cmd,
       '-initrd', '%s %s,%s' % (a.kernel, dom0_cmd, a.initrd)]

log = open(a.log, 'w', buffering=1)
t0 = time.time()


def note(msg):
    log.write('[%7.2f] HOST %s\n' % (time.time() - t0, msg))


note('cmd: ' + ' '.join("'%s'" % c if ' ' in c else c for c in cmd))
try:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
except OSError as e:
    print('realxen: cannot run %s: %s' % (a.qemu, e), file=sys.stderr)
    sys.exit(1)

qf = None
for _ in range(200):
    if p.poll() is not None:
        break
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(qmp_path)
        qf = s.makefile('rw')
        break
    except OSError:
        time.sleep(0.05)
if qf is None:
    note('no QMP connection')
    p.kill()
else:
    qf.readline()
    qf.write(json.dumps({'execute': 'qmp_capabilities'}) + '\n')
    qf.flush()
    qf.readline()

inject = threading.Event()
stop_all = threading.Event()
lock = threading.Lock()
window = {'name': None, 'n': 0, 'errors': 0, 't': 0.0}


def injector():
    """Send inject-nmi at the set rate while a window is open."""
    period = 1.0 / a.nmi_hz
    nxt = time.time()
    while not stop_all.is_set():
        if not inject.is_set():
            time.sleep(0.001)
            nxt = time.time()
            continue
        try:
            qf.write(json.dumps({'execute': 'inject-nmi'}) + '\n')
            qf.flush()
            while True:
                r = json.loads(qf.readline())
                if 'return' in r or 'error' in r:
                    break
        except (OSError, ValueError):
            return
        with lock:
            if 'error' in r:
                window['errors'] += 1
            else:
                window['n'] += 1
        nxt += period
        d = nxt - time.time()
        if d > 0:
            time.sleep(d)
        else:
            nxt = time.time()


if qf is not None:
    threading.Thread(target=injector, daemon=True).start()


def timeout():
    note('TIMEOUT after %.0f s: killing QEMU' % a.timeout)
    p.kill()


killer = threading.Timer(a.timeout, timeout)
killer.start()
done = False
for raw in p.stdout:
    line = raw.decode('utf-8', 'replace').rstrip('\r\n')
    t = time.time() - t0
    log.write('[%7.2f] %s\n' % (t, line))
    i = line.find('XP-NMI ')
    if i >= 0:
        w = line[i:].split()
        if len(w) >= 3 and w[1] == 'on':
            with lock:
                window.update(name=w[2], n=0, errors=0, t=time.time())
            inject.set()
        elif len(w) >= 3 and w[1] == 'off' and inject.is_set():
            inject.clear()
            time.sleep(0.01)	# let an NMI in flight be counted
            with lock:
                note('nmi %s %d in %.2f s, %d refused' % (window['name'], window['n'],
                     time.time() - window['t'], window['errors']))
    if 'XP-DONE' in line:
        done = True
        try:
            with open('/proc/%d/status' % p.pid) as f:
                hwm = [l.split()[1] for l in f if l.startswith('VmHWM')]
            note('qemu VmHWM %s kB' % hwm[0])
        except (OSError, IndexError):
            pass
stop_all.set()
killer.cancel()
rc = p.wait()
note('qemu exit %d after %.1f s' % (rc, time.time() - t0))
try:
    os.unlink(qmp_path)
    os.rmdir(qmp_dir)
except OSError:
    pass
sys.exit(0 if done else 1)
