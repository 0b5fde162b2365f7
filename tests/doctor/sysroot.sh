#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The doctor's Xen verdicts on fake /sys and /proc trees ($XENPROF_SYSROOT,
# which only the test build, tests/bin/xenprof-ctl, reads):
# PV, PVH and HVM dom0s and domUs, the Xen versions that lost xenoprof,
# each vPMU mode and feature, lockdown, hidden kernel symbols, and the
# build-ids of the running Xen and kernel against the images given.
. "$(dirname "$0")/lib.sh"

FIX=$top_builddir/tests/fakexen/fx-fixture
[ -f "$FIX" ] || FIX=$BURN
FIXID=$(readelf -n "$FIX" 2>/dev/null | sed -n 's/.*Build ID: *//p' | head -1)
[ -n "$FIXID" ] || missing "no build-id read from $FIX (is readelf, from binutils, installed?)"

# mkroot NAME KEY=VALUE...: a fake root; keys are paths below it.
mkroot() {
	local r=$T/$1; shift
	rm -rf "$r"
	mkdir -p "$r/proc/sys/kernel"
	echo 2 >"$r/proc/sys/kernel/perf_event_paranoid"
	echo 0 >"$r/proc/sys/kernel/kptr_restrict"
	echo 0 >"$r/proc/sys/kernel/nmi_watchdog"
	# As Linux 6.1 lists them: the per-cpu symbols really are at 0.
	printf '0000000000000000 A fixed_percpu_data\nffffffff81000000 T _text\n' >"$r/proc/kallsyms"
	for kv in "$@"; do
		mkdir -p "$r/$(dirname "${kv%%=*}")"
		printf '%s\n' "${kv#*=}" >"$r/${kv%%=*}"
	done
	echo "$r"
}
xen() {	# xen NAME MAJOR MINOR GUEST_TYPE CAPS KEY=VALUE...
	local n=$1 maj=$2 min=$3 gt=$4 caps=$5; shift 5
	mkroot "$n" sys/hypervisor/type=xen sys/hypervisor/version/major="$maj" \
		sys/hypervisor/version/minor="$min" sys/hypervisor/version/extra=.1 \
		sys/hypervisor/guest_type="$gt" ${caps:+proc/xen/capabilities=$caps} "$@"
}
rawid() {	# rawid HEX: the bytes, as Linux writes /sys/hypervisor/properties/buildid
	printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"
}
doc() {	# doc ROOT ARGS...: the doctor's output into $T/out
	local r=$1; shift
	XENPROF_SYSROOT=$r "$CTL" --doctor "$@" >"$T/out" 2>&1
}

r=$(xen pvdom0 4 17 PV control_d sys/hypervisor/pmu/pmu_mode=all sys/hypervisor/pmu/pmu_features=0x9)
doc "$r"
has "$T/out" "PV dom0: Xen version" '^ok +hypervisor: Xen 4\.17\.1$'
has "$T/out" "PV dom0: dom0 type" '^ok +domain: PV dom0'
has "$T/out" "vPMU all" '^ok +vPMU: mode all \(features bts hv-stacktrace\): perf in dom0 sees dom0, Xen and every guest'
hasnt "$T/out" "4.17 keeps xenoprof" 'removed it'

r=$(xen pvhdom0 4 19 PVH control_d)
doc "$r"
has "$T/out" "PVH dom0" '^warn +domain: PVH dom0: xenoprof answers ENOSYS'
has "$T/out" "PVH dom0: dom0=pvh fix" 'fix: boot dom0 as PV'
has "$T/out" "4.19: xenoprof off by default" '^info +xenoprof: Xen 4\.19 builds it only with CONFIG_EXPERT'
has "$T/out" "no vPMU directory" '^info +vPMU: no /sys/hypervisor/pmu'

r=$(xen hvmdomu 4 17 HVM "")
doc "$r"
has "$T/out" "HVM domU: xenfs missing" '^warn +domain: /proc/xen/capabilities is missing'
r=$(xen pvdomu 4 17 PV " ")
doc "$r"
has "$T/out" "PV domU" '^info +domain: PV domU: it profiles only itself'

r=$(xen xen422 4 22 PV control_d sys/hypervisor/pmu/pmu_mode=self sys/hypervisor/pmu/pmu_features=0)
doc "$r"
has "$T/out" "4.22: xenoprof removed" '^info +xenoprof: Xen 4\.22 removed it'
has "$T/out" "vPMU self" '^warn +vPMU: mode self \(features none\): each domain profiles only itself'
has "$T/out" "vPMU self: fix" 'fix: echo all > /sys/hypervisor/pmu/pmu_mode'

r=$(xen hv 4 17 PV control_d sys/hypervisor/pmu/pmu_mode=hv sys/hypervisor/pmu/pmu_features=2)
doc "$r"
has "$T/out" "vPMU hv" '^ok +vPMU: mode hv \(features ipc-only\): perf in dom0 sees dom0 and Xen'
has "$T/out" "vPMU ipc-only" '^info +vPMU: ipc-only'
r=$(xen off 4 17 PV control_d sys/hypervisor/pmu/pmu_mode=off)
doc "$r"
has "$T/out" "vPMU off" '^warn +vPMU: mode off'

# Lockdown and hidden kernel symbols.
r=$(mkroot locked sys/kernel/security/lockdown="none integrity [confidentiality]" \
	proc/sys/kernel/kptr_restrict=2)
printf '0000000000000000 A fixed_percpu_data\n0000000000000000 T _text\n' >"$r/proc/kallsyms"
doc "$r"
has "$T/out" "not Xen" '^info +hypervisor: not running on Xen'
has "$T/out" "lockdown confidentiality" '^warn +lockdown: confidentiality'
has "$T/out" "kallsyms zeroed by kptr_restrict 2" '^fail +kernel symbols: /proc/kallsyms shows zero addresses: kptr_restrict 2 hides them from everyone'
has "$T/out" "kptr_restrict 2: the fix" 'fix: sysctl kernel.kptr_restrict=1'
# A non-root user with kptr_restrict 0: perf_event_paranoid (2) is what hides
# the addresses, and what to change (not kptr_restrict).
r=$(mkroot nonroot proc/sys/kernel/kptr_restrict=0 proc/sys/kernel/perf_event_paranoid=2)
printf '0000000000000000 T _text\n' >"$r/proc/kallsyms"
chmod o+x "$T"; chmod -R o+rX "$r"
XENPROF_SYSROOT=$r runuser -u nobody -- "$CTL" --doctor >"$T/out" 2>&1
has "$T/out" "non-root, kptr_restrict 0: blames perf_event_paranoid" \
	'^fail +kernel symbols: /proc/kallsyms shows zero addresses: with kptr_restrict 0 a non-root user sees them only while perf_event_paranoid <= 1, and it is 2$'
has "$T/out" "non-root, kptr_restrict 0: the fix is perf_event_paranoid" \
	'fix: run as root, or sysctl kernel.perf_event_paranoid=1, or give --vmlinux=FILE'
hasnt "$T/out" "non-root, kptr_restrict 0: kptr_restrict not blamed" 'kernel.kptr_restrict='
r=$(mkroot nonroot1 proc/sys/kernel/kptr_restrict=1)
printf '0000000000000000 T _text\n' >"$r/proc/kallsyms"
chmod -R o+rX "$r"
XENPROF_SYSROOT=$r runuser -u nobody -- "$CTL" --doctor >"$T/out" 2>&1
has "$T/out" "non-root, kptr_restrict 1: root only" '^fail +kernel symbols: .*kptr_restrict 1 shows them to root \(CAP_SYSLOG\) only'
r=$(mkroot integ sys/kernel/security/lockdown="none [integrity] confidentiality")
doc "$r"
has "$T/out" "lockdown integrity" '^ok +lockdown: integrity'

# Build-ids: the running Xen's from properties/buildid, the kernel's from notes.
r=$(xen ids 4 17 PV control_d)
mkdir -p "$r/sys/hypervisor/properties" "$r/sys/kernel"
rawid "$FIXID" >"$r/sys/hypervisor/properties/buildid"
objcopy -O binary --only-section=.note.gnu.build-id "$FIX" "$r/sys/kernel/notes" 2>/dev/null ||
	missing "objcopy (binutils) cannot extract the build-id note of $FIX"
doc "$r" --xen="$FIX" --vmlinux="$FIX"
has "$T/out" "--xen matches" "^ok +Xen image: .* matches the running Xen \(build-id $FIXID\)"
has "$T/out" "--vmlinux matches" "^ok +kernel image: .* matches the running kernel \(build-id $FIXID\)"
rawid 00112233445566778899aabbccddeeff00112233 >"$r/sys/hypervisor/properties/buildid"
doc "$r" --xen="$FIX"
has "$T/out" "--xen mismatch" "^fail +Xen image: .* build-id $FIXID is not the running Xen's 00112233"
doc "$r" --xen=/etc/hostname
has "$T/out" "--xen not an ELF" '^fail +Xen image: /etc/hostname has no build-id'
doc "$r"
has "$T/out" "running Xen build-id without --xen" '^info +Xen build-id: 00112233'
has "$T/out" "first kallsyms symbols at 0 for real" '^ok +kernel symbols: /proc/kallsyms has addresses'
printf '<denied>' >"$r/sys/hypervisor/properties/buildid"
doc "$r" --xen="$FIX"
has "$T/out" "a domU's <denied> build-id is unknown, not a mismatch" "^info +Xen image: .* the running Xen's is unknown"
finish
