#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input gets one clear line on stderr and a non-zero exit, never a
# crash, and the running session is unaffected: every case below runs while
# a session samples, and the session must still be sampling and growing.
# Each error line names the problem and the fix.  (A Xen host's bad input --
# domain lists, hypervisor failures, a domU's failed --start -- needs the
# simulated host: tests/scenarios/failures.sh.)
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
# The small file systems below go, pass or fail (their daemon first).
badinput_cleanup() {
	"$CTL" --session-dir="$T/full" --shutdown >/dev/null 2>&1
	for m in "$T/ro" "$T/full"; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m"
	done
}
CLEANUP_HOOK=badinput_cleanup

ctl --start --event=cpu-clock:250000 >/dev/null || { bad "start"; finish; exit; }
"$BURN" 0.3 alpha=1
ctl --dump >/dev/null
before=$(report --format=json | json_query 'j["total_samples"]')

O=$T/other	# a second session dir for setup errors, so the running one is not touched
expect_fail "unknown event" "nosuch" "$CTL" --session-dir="$O" --setup --event=nosuch:100000
expect_fail "malformed spec (no count)" "count" "$CTL" --session-dir="$O" --setup --event=cpu-clock
expect_fail "malformed spec (bad count)" "abc" "$CTL" --session-dir="$O" --setup --event=cpu-clock:abc
expect_fail "malformed spec (bad unit mask)" "unit" "$CTL" --session-dir="$O" --setup --event=cpu-clock:100000:zz
expect_fail "count below the minimum" "minimum|at least" "$CTL" --session-dir="$O" --setup --event=cpu-clock:10
expect_fail "missing vmlinux: install the -dbg package or --no-vmlinux" \
	"No such file.*apt-get install linux-image-.*-dbg.*/usr/lib/debug/boot/vmlinux-.*--no-vmlinux" \
	"$CTL" --session-dir="$O" --setup --vmlinux=/nonexistent/vmlinux
expect_fail "missing xen-syms: install the hypervisor's -dbg package" \
	"No such file.*apt-get install xen-hypervisor-.*-dbg" "$CTL" --session-dir="$O" --setup --xen=/nonexistent/xen-syms
printf 'not an image\n' >"$T/text"
expect_fail "non-ELF vmlinux" "not an ELF" "$CTL" --session-dir="$O" --setup --vmlinux="$T/text"
head -c 3000 "$BURN" >"$T/truncated"
expect_fail "truncated vmlinux" "truncated|corrupt" "$CTL" --session-dir="$O" --setup --vmlinux="$T/truncated"
gzip -c "$BURN" >"$T/vmlinuz"
expect_fail "gzip-compressed vmlinux" "uncompressed image needed" "$CTL" --session-dir="$O" --setup --vmlinux="$T/vmlinuz"
# Images checked against what runs, when the setup is stored: a fake sysfs
# root (read by the test builds in tests/bin below $XENPROF_SYSROOT) whose
# running kernel and hypervisor are the workload's build-id, and a
# kernel-like image (static, no ELF interpreter) that is neither.
mkdir -p "$T/sysroot/sys/kernel" "$T/sysroot/sys/hypervisor/properties"
objcopy -O binary --only-section=.note.gnu.build-id "$BURN" "$T/sysroot/sys/kernel/notes"
# (Linux writes Xen's build-id as raw bytes.)
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
	"$(readelf -n "$BURN" | sed -n 's/.*Build ID: *//p')" >"$T/sysroot/sys/hypervisor/properties/buildid"
printf 'void _start(void) { for (;;) ; }\n' |
	gcc -x c -O1 -nostdlib -static -no-pie -Wl,--build-id -o "$T/vmlinux-other" - ||
	bad "cannot build a kernel-like test image (gcc)"
sys() { env XENPROF_SYSROOT="$T/sysroot" "$@"; }
check "the fake running kernel and Xen are the workload's (fixture check)" \
	sys "$CTL" --session-dir="$O" --setup --vmlinux="$BURN" --xen="$BURN"
rm -f "$O/setup"
expect_fail "--setup: a vmlinux whose build-id is not the running kernel's" \
	"vmlinux-other: build-id [0-9a-f]+ is not the running kernel's [0-9a-f]+.*give the running kernel's vmlinux.*--force-images" \
	sys "$CTL" --session-dir="$O" --setup --vmlinux="$T/vmlinux-other"
check "... and stores nothing" test ! -e "$O/setup"
expect_fail "--setup: /bin/ls as vmlinux" "/bin/ls: a program, not a kernel image; give the running kernel's vmlinux.*--no-vmlinux" \
	sys "$CTL" --session-dir="$O" --setup --vmlinux=/bin/ls
expect_fail "--setup: a xen-syms whose build-id is not the running hypervisor's" \
	"not the running hypervisor's.*xen-hypervisor-.*-dbg.*--force-images" \
	sys "$CTL" --session-dir="$O" --setup --xen="$T/vmlinux-other"
mkdir -p "$O"; echo "--vmlinux=$T/vmlinux-other" >"$O/setup"
expect_fail "--start-daemon checks a stored setup too" "not the running kernel.*--force-images" \
	sys "$CTL" --session-dir="$O" --start-daemon
rm -f "$O/setup"
check "--force-images accepts it anyway" sys "$CTL" --session-dir="$O" \
	--start-daemon --xen="$T/vmlinux-other" --force-images
"$CTL" --session-dir="$O" --shutdown >/dev/null 2>&1
rm -f "$O/setup"
# Events and domains this machine cannot have.
if [ ! -d /sys/bus/event_source/devices/cpu ] && [ ! -d /sys/bus/event_source/devices/cpu_core ]; then
	expect_fail "--setup: a PMU event on a machine without a PMU" "no hardware PMU.*use cpu-clock:N" \
		"$CTL" --session-dir="$O" --setup --event=CPU_CLK_UNHALTED:100000
	check "... and stores nothing" test ! -e "$O/setup"
else
	check "--setup: a PMU event where there is a PMU" "$CTL" --session-dir="$O" --setup --event=cycles:1000000
	rm -f "$O/setup"
fi
if [ ! -e /dev/xen/privcmd ]; then
	expect_fail "--setup: domain names off Xen" "domain lists need a Xen host.*not a Xen domain.*leave them out" \
		"$CTL" --session-dir="$O" --setup --active-domains=web01
	expect_fail "--setup: domain ids off Xen" "domain lists need a Xen host" \
		"$CTL" --session-dir="$O" --setup --passive-domains=3
	expect_fail "--setup: --backend=xenoprof off Xen" "not a Xen domain.*--backend=perf" \
		"$CTL" --session-dir="$O" --setup --backend=xenoprof
	expect_fail "--setup: a xenoprof event off Xen" "'BUS_IO_WAIT' is a xenoprof event.*not a Xen domain.*perf event" \
		"$CTL" --session-dir="$O" --setup --event=BUS_IO_WAIT:500
	check "... and stores nothing" test ! -e "$O/setup"
fi
expect_fail "unknown --separate value" "separate" "$CTL" --session-dir="$O" --setup --separate=bogus
expect_fail "unknown option" "unknown option" "$CTL" --session-dir="$O" --setup --frobnicate
expect_fail "two commands" "one command" "$CTL" --session-dir="$O" --stop --dump
expect_fail "setup options given to --stop" "no setup options" ctl --stop --event=cpu-clock:100000
expect_fail "session name with /" "name" ctl --save=a/b
expect_fail "session name .." "name" ctl --save=..
expect_fail "session name current" "name" ctl --save=current
expect_fail "changing the setup of a running daemon" "already running" ctl --start-daemon --event=cpu-clock:500000
expect_fail "unknown report spec" "spec|unknown" report bogus:thing
expect_fail "unknown report option" "option|unrecognized" report --bogus
expect_fail "report of a missing session" "nosuch|not found|no session" report session:nosuch
expect_fail "report threshold out of range" "threshold" report -t 200
expect_fail "report of an unknown format" "format" report --format=xml

# A corrupted session: a copy of the current one with its meta damaged.
mkdir -p "$S/saved"
cp -r "$S/current" "$S/saved/broken"
printf 'garbage' | dd of="$S/saved/broken/meta" bs=1 seek=10 conv=notrunc 2>/dev/null
expect_fail "corrupted session meta" "broken|meta" report session:broken
cp -r "$S/current" "$S/saved/broken2"
printf 'garbage' | dd of="$S/saved/broken2/dom0.samples" bs=1 seek=40 conv=notrunc 2>/dev/null
report session:broken2 >"$T/out" 2>"$T/err"; rc=$?
check "corrupted profile: named on stderr, no crash (exit $rc: $(head -1 "$T/err"))" \
	bash -c "[ $rc -lt 128 ] && grep -q 'dom0.samples' '$T/err'"

# A non-root caller (nobody, not the sampler's user, which owns the session dir).
need_sampler_user
if command -v runuser >/dev/null 2>&1; then
	expect_fail "non-root ctl --status" "root" runuser -u nobody -- "$CTL" --session-dir="$S" --status
	expect_fail "non-root ctl --stop" "root" runuser -u nobody -- "$CTL" --session-dir="$S" --stop
	chmod o+x "$T"
	expect_fail "non-root report: permission denied, not \"no session\"" \
		"current: permission denied.*run xenprof-report as root" \
		runuser -u nobody -- "$REPORT" --session-dir="$S"
	expect_fail "non-root report of a saved session: permission denied" "saved/broken2: permission denied" \
		runuser -u nobody -- "$REPORT" --session-dir="$S" session:broken2
else
	bad "runuser missing (util-linux): the non-root cases cannot run"
fi

# A read-only session dir: refused up front, saying what to do.
R=$T/ro
mkdir -p "$R"
if mount -t tmpfs -o size=64k,mode=0700,ro xenprof-ro "$R" 2>"$T/mount.err"; then
	expect_fail "--start on a read-only session dir" "$R is on a read-only file system; remount it read-write.*--session-dir" \
		"$CTL" --session-dir="$R" --start
	expect_fail "--setup on a read-only session dir" "read-only file system" "$CTL" --session-dir="$R" --setup
	expect_fail "--reset on a read-only session dir" "read-only file system" "$CTL" --session-dir="$R" --reset
	check "--status there still answers" bash -c "'$CTL' --session-dir='$R' --status | grep -q 'not running'"
	umount "$R"
else
	bad "cannot mount a read-only tmpfs: $(cat "$T/mount.err")"
fi

# A full disk under a running daemon: the flush error says nothing is lost.
F=$T/full
mkdir -p "$F"
if mount -t tmpfs -o size=512k,mode=0700 xenprof-full "$F" 2>"$T/mount.err"; then
	"$CTL" --session-dir="$F" --start --event=cpu-clock:250000 >/dev/null || bad "start on a small tmpfs"
	"$BURN" 0.3 alpha=1
	dd if=/dev/zero of="$F/filler" bs=4k >/dev/null 2>&1
	"$BURN" 0.3 alpha=1
	expect_fail "--dump on a full disk" \
		"No space left on device; nothing is lost: xenprofd keeps every sample in memory.*free space in $F" \
		"$CTL" --session-dir="$F" --dump
	rm -f "$F/filler"
	check "--shutdown once there is space again" "$CTL" --session-dir="$F" --shutdown
	"$CTL" --session-dir="$F" --shutdown >/dev/null 2>&1
	umount -l "$F"
else
	bad "cannot mount a tmpfs: $(cat "$T/mount.err")"
fi

# --stop, --dump and --shutdown with nothing running exit 0 (what they
# promise holds: nothing samples, the files are complete, no daemon) --
# unless the last daemon died without --shutdown, whose last samples are
# lost: then --stop and --dump exit 1 saying so (xenprof-ctl(1), EXIT STATUS).
N=$T/none
check "--stop with no daemon: exit 0" bash -c "'$CTL' --session-dir='$N' --stop | grep -q 'not running.*nothing to stop'"
check "--dump with no daemon: exit 0" bash -c "'$CTL' --session-dir='$N' --dump | grep -q 'not running.*files are complete'"
check "--shutdown with no daemon: exit 0" bash -c "'$CTL' --session-dir='$N' --shutdown | grep -q 'not running'"
"$CTL" --session-dir="$N" --start-daemon >/dev/null || bad "start a daemon to kill"
pid=$(cat "$N/xenprofd.pid")
kill -9 "$pid"; gone "$pid"
expect_fail "--stop after the daemon was killed" "pid $pid.*ended without --shutdown.*later samples are lost" \
	"$CTL" --session-dir="$N" --stop
expect_fail "--dump after the daemon was killed" "ended without --shutdown" "$CTL" --session-dir="$N" --dump
check "--status names the dead daemon" bash -c "'$CTL' --session-dir='$N' --status | grep -q '^state: not running (xenprofd pid $pid ended without --shutdown'"
"$CTL" --session-dir="$N" --shutdown >"$T/out" 2>"$T/err"; rc=$?
check "--shutdown after it: exit 0, one warning ($(cat "$T/err"))" \
	bash -c "[ $rc -eq 0 ] && [ \$(wc -l <'$T/err') -eq 1 ] && grep -q 'had ended without --shutdown' '$T/err'"
check "... and then --stop exits 0 again" "$CTL" --session-dir="$N" --stop

# The running session is unaffected.
"$BURN" 0.3 alpha=1
check "the daemon is still sampling" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'state: sampling'"
ctl --dump >/dev/null
after=$(report --format=json | json_query 'j["total_samples"]')
check "its samples kept growing ($before -> $after)" test "$after" -gt "$before"
check "--shutdown" ctl --shutdown
finish
