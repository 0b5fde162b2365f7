#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input gets one clear line on stderr and a non-zero exit, never a
# crash, and the running session is unaffected: every case below runs while
# a session samples, and the session must still be sampling and growing.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

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
expect_fail "missing vmlinux" "No such file" "$CTL" --session-dir="$O" --setup --vmlinux=/nonexistent/vmlinux
printf 'not an image\n' >"$T/text"
expect_fail "non-ELF vmlinux" "not an ELF" "$CTL" --session-dir="$O" --setup --vmlinux="$T/text"
head -c 3000 "$BURN" >"$T/truncated"
expect_fail "truncated vmlinux" "truncated|corrupt" "$CTL" --session-dir="$O" --setup --vmlinux="$T/truncated"
gzip -c "$BURN" >"$T/vmlinuz"
expect_fail "gzip-compressed vmlinux" "uncompressed image needed" "$CTL" --session-dir="$O" --setup --vmlinux="$T/vmlinuz"
mkdir -p "$O"; echo "--vmlinux=$BURN" >"$O/setup"
expect_fail "a vmlinux whose build-id is not the running kernel's" "not the running kernel.*--force-images" \
	"$CTL" --session-dir="$O" --start-daemon
mkdir -p "$T/sysroot/sys/hypervisor/properties"
# Linux writes the raw bytes of the build-id there.
printf '\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67' \
	>"$T/sysroot/sys/hypervisor/properties/buildid"
rm -f "$O/setup"
expect_fail "a xen-syms whose build-id is not the running hypervisor's" "not the running hypervisor" \
	env XENPROF_SYSROOT="$T/sysroot" "$CTL" --session-dir="$O" --start-daemon --xen="$BURN"
check "--force-images accepts it anyway" env XENPROF_SYSROOT="$T/sysroot" "$CTL" --session-dir="$O" \
	--start-daemon --xen="$BURN" --force-images
"$CTL" --session-dir="$O" --shutdown >/dev/null 2>&1
rm -f "$O/setup"
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

# A non-root caller.
if command -v runuser >/dev/null 2>&1; then
	expect_fail "non-root ctl --status" "root" runuser -u nobody -- "$CTL" --session-dir="$S" --status
	expect_fail "non-root ctl --stop" "root" runuser -u nobody -- "$CTL" --session-dir="$S" --stop
else
	echo "note: runuser missing; non-root check skipped"
fi

# The running session is unaffected.
"$BURN" 0.3 alpha=1
check "the daemon is still sampling" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'state: sampling'"
ctl --dump >/dev/null
after=$(report --format=json | json_query 'j["total_samples"]')
check "its samples kept growing ($before -> $after)" test "$after" -gt "$before"
check "--shutdown" ctl --shutdown
finish
