#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The product on a real Xen 4.17 host: Debian's hypervisor and 6.1 kernel
# booted under QEMU (TCG), xenprof installed into dom0's initramfs with
# `make install DESTDIR=`, driven there as a user would (init.sh), NMIs
# injected from here (run.py), every verdict from the console (check.py).
#
#   realxen.sh [--demo]     (--demo: print the reports of the run, not the checks)
#
# The Debian packages are fetched once into $REALXEN_CACHE (default
# tests/data/realxen in the build tree).  A missing piece fails with one line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
demo=0
[ "${1:-}" = --demo ] && demo=1
fail() { echo "FAIL realxen: $*"; exit 1; }

command -v qemu-system-x86_64 >/dev/null ||
	fail "qemu-system-x86_64 is missing (./quickstart installs qemu-system-x86)"
command -v python3 >/dev/null || fail "python3 is missing (./quickstart installs it)"
command -v flock >/dev/null || fail "flock is missing (util-linux)"
burn=$top_builddir/tests/workload/xp-burn
[ -x "$burn" ] || fail "$burn is not built (make)"

T=$(mktemp -d /tmp/xenprof-realxen.XXXXXX)
trap 'rm -rf "$T"' EXIT
cache=${REALXEN_CACHE:-$top_builddir/tests/data/realxen}
pieces=$("$here/fetch.sh" "$cache") || fail "the Debian packages of the Xen host could not be had (see above)"

# The product as a user installs it.
make -s -C "$top_builddir" install DESTDIR="$T/dest" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install DESTDIR=$T/dest failed"; }
"$here/build.sh" "$pieces" "$T/dest" "$T/out" "$burn" >"$T/build.log" 2>&1 ||
	{ cat "$T/build.log"; fail "the initramfs could not be built"; }

# One QEMU at a time on this machine (it takes a whole core).
lock=/tmp/xenprof-realxen.lock
exec 9>"$lock"
flock -w 900 9 || fail "another real-Xen run held $lock for 15 minutes"
start=$(date +%s)
rc=0
# Niced: the other tests of a parallel `make check` keep their timing.
timeout 600 nice -n 10 python3 "$here/run.py" --xen "$pieces/xen-4.17-amd64" --kernel "$T/out/vmlinuz" \
	--initrd "$T/out/initrd-dom0.cpio.gz" --log "$T/console.log" --timeout 480 || rc=$?
exec 9>&-
wall=$(( $(date +%s) - start ))
if [ $demo = 1 ]; then
	# The user's view: the reports dom0 printed.
	python3 - "$T/console.log" <<'PY'
import re, sys
show = ('doctor', 'report', 'xen-report', 'domu-report')
on, where = None, 'dom0'
for raw in open(sys.argv[1], errors='replace'):
    m = re.match(r'^\[ *[0-9.]+\] (.*)$', raw.rstrip('\n'))
    if not m:
        continue
    t = m.group(1)
    if t == 'XP-BEGIN domu-console':
        where = 'guest1'
        continue
    if t == 'XP-END domu-console':
        where = 'dom0'
        continue
    if t.startswith('XP-RUN '):
        cmd = re.sub(r'^timeout [0-9]+ ', '', t.split(': ', 1)[1])
        print('%s# %s' % (where, cmd))
    elif t.startswith('XP-NMI on '):
        print('      (the host injects NMIs through QMP)')
    elif t.startswith('XP-BEGIN ') and t[9:] in show:
        on = t[9:]
    elif on and t == 'XP-END ' + on:
        on = None
        print()
    elif on:
        print('    ' + t)
PY
	[ $rc = 0 ] || { tail -40 "$T/console.log"; fail "the Xen host run did not finish (QEMU rc $rc)"; }
	check=0
	python3 "$here/check.py" "$T/console.log" >"$T/verdicts" || check=$?
	echo "checks: $(grep -c '^ok ' "$T/verdicts") ok, $(grep -c '^FAIL ' "$T/verdicts") failed"
	grep '^FAIL ' "$T/verdicts" || true
	tail -1 "$T/verdicts"
	exit $check
fi
echo "== the Xen host's console (QEMU serial: Xen, dom0 and, at the end, the domU)"
cat "$T/console.log"
echo "== verdicts"
[ $rc = 0 ] || echo "FAIL run: dom0 did not finish (run.py rc $rc)"
check=0
python3 "$here/check.py" "$T/console.log" || check=$?
echo "realxen: wall time of the QEMU run ${wall} s"
[ $rc = 0 ] && [ $check = 0 ] || exit 1
