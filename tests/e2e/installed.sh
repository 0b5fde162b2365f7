#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What `make install` installs honours none of the test-only hooks: the
# variables XENPROF_SYSROOT, XENPROF_RUNDIR, XENPROF_EVENTS_DIR,
# XENPROF_REPLAY, XENPROF_START_TIMEOUT_MS (and XENPROF_SAMPLER_USER, the
# test builds' choice of the sampler's user) are not even named in the
# installed programs (strings), nor the build tree's event tables, nor the
# replay backend; the test builds the other tests run (tests/bin) do have
# them, so the check can fail.  Then the installed xenprof-ctl, given those
# variables, behaves as without them: it reads the host's sysfs, the
# installed event tables, and has no replay backend.
. "$(dirname "$0")/lib.sh"
need_root
command -v strings >/dev/null || missing "strings (binutils) is not installed"
D=$T/dest
make -s -C "$top_builddir" install DESTDIR="$D" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; bad "make install DESTDIR=$D"; finish; exit; }
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
IXPD=$D$prefix/sbin/xenprofd ICTL=$D$prefix/bin/xenprof-ctl IREP=$D$prefix/bin/xenprof-report
for p in "$IXPD" "$ICTL" "$IREP"; do
	check "installed: $p" test -x "$p"
done

hooks='XENPROF_SYSROOT|XENPROF_RUNDIR|XENPROF_EVENTS_DIR|XENPROF_REPLAY|XENPROF_START_TIMEOUT_MS|XENPROF_SAMPLER_USER|XPREPLAY'
srcev=$(cd "$top_srcdir" && pwd)/hv/events
for p in "$IXPD" "$ICTL" "$IREP"; do
	found=$(strings -a "$p" | grep -E "$hooks" | sort -u | tr '\n' ' ')
	check "$(basename "$p") as installed names no test hook (${found:-none})" test -z "$found"
	found=$(strings -a "$p" | grep -F "$srcev" | head -3 | tr '\n' ' ')
	check "$(basename "$p") as installed has no build-tree event tables path (${found:-none})" test -z "$found"
done
# The test builds do have them: the check above can fail.
check "the test daemon has the hooks (XENPROF_SYSROOT, XENPROF_REPLAY)" \
	bash -c "strings -a '$XPD' | grep -q XENPROF_SYSROOT && strings -a '$XPD' | grep -q XENPROF_REPLAY"
check "the test ctl has the hooks (XENPROF_SYSROOT, XENPROF_EVENTS_DIR, the source tree's tables)" \
	bash -c "strings -a '$CTL' | grep -q XENPROF_SYSROOT && strings -a '$CTL' | grep -q XENPROF_EVENTS_DIR && strings -a '$CTL' | grep -qF '$srcev'"

# Behaviour: a fake sysfs root saying "Xen 4.17 PV dom0" is the test build's
# host, not the installed one's.
R=$T/root
mkdir -p "$R/sys/hypervisor/version" "$R/proc/xen"
echo xen >"$R/sys/hypervisor/type"
echo PV >"$R/sys/hypervisor/guest_type"
echo 4 >"$R/sys/hypervisor/version/major"
echo 17 >"$R/sys/hypervisor/version/minor"
echo .1 >"$R/sys/hypervisor/version/extra"
echo control_d >"$R/proc/xen/capabilities"
XENPROF_SYSROOT=$R "$CTL" --doctor >"$T/doc-test" 2>&1
check "the test build's doctor reads the fake root (Xen 4.17)" grep -q 'Xen 4\.17\.1' "$T/doc-test"
XENPROF_SYSROOT=$R "$ICTL" --doctor >"$T/doc-inst" 2>&1
check "the installed doctor ignores XENPROF_SYSROOT (reads this host: $(grep -m1 hypervisor "$T/doc-inst"))" \
	bash -c "! grep -q 'Xen 4\.17\.1' '$T/doc-inst'"
# The event tables: the installed ones (or none), never those the variable names.
mkdir -p "$T/ev"
printf 'i386/fake_cpu\n' >"$T/ev/cpu_types"
XENPROF_EVENTS_DIR=$T/ev "$ICTL" --list-events --backend=xenoprof >"$T/ev.out" 2>&1
check "the installed ctl ignores XENPROF_EVENTS_DIR ($(head -c 200 "$T/ev.out"))" \
	bash -c "! grep -q '$T/ev\|fake_cpu' '$T/ev.out'"
XENPROF_EVENTS_DIR=$T/ev "$CTL" --list-events --backend=xenoprof >"$T/ev.test" 2>&1
check "the test ctl reads XENPROF_EVENTS_DIR" grep -q "$T/ev\|fake_cpu" "$T/ev.test"
# No replay backend in what is installed.
printf 'XPREPLAY' >"$T/stream"
expect_fail "the installed ctl has no replay backend" "unknown backend 'replay'" \
	env XENPROF_REPLAY="$T/stream" "$ICTL" --session-dir="$T/s-inst" --setup --backend=replay
finish
