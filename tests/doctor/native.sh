#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The doctor on this machine: no Xen, and (where the kernel shows no CPU PMU)
# no hardware PMU, but cpu-clock sampling works system-wide.
. "$(dirname "$0")/lib.sh"
need_root

"$CTL" --doctor >"$T/out" 2>"$T/err"; rc=$?
check "--doctor exits 0 where cpu-clock works" [ "$rc" -eq 0 ]
check "--doctor writes nothing to stderr" [ ! -s "$T/err" ]
if [ -r /sys/hypervisor/type ] && [ "$(cat /sys/hypervisor/type)" = xen ]; then
	# The native verdicts do not apply on Xen: the doctor must say it is Xen.
	has "$T/out" "on Xen, the doctor says so" '^[a-z]+ +hypervisor: Xen'
	finish
	exit
fi
has "$T/out" "not on Xen" '^info +hypervisor: not running on Xen'
has "$T/out" "xenoprof: not on Xen" '^info +xenoprof: not available: not running on Xen'
hasnt "$T/out" "no vPMU line off Xen" '^[a-z]+ +vPMU:'
if [ ! -d /sys/bus/event_source/devices/cpu ] && [ ! -d /sys/bus/event_source/devices/cpu_core ]; then
	has "$T/out" "no hardware PMU (ENOENT)" '^info +hardware PMU: none \(cycles: ENOENT\)'
	has "$T/out" "verdict: timer sampling only" '^verdict: perf cpu-clock: this machine \(no hardware PMU'
else
	has "$T/out" "hardware PMU present" '^ok +hardware PMU: present'
fi
has "$T/out" "cpu-clock works" '^ok +cpu-clock: system-wide sampling works'
has "$T/out" "paranoid: root" '^ok +perf_event_paranoid: -?[0-9]+ \(root'
has "$T/out" "kallsyms readable as root" '^ok +kernel symbols: /proc/kallsyms has addresses'
if [ -r /sys/kernel/notes ]; then
	has "$T/out" "kernel build-id shown" '^info +kernel build-id: [0-9a-f]{40}'
fi
hasnt "$T/out" "no failures" '^fail'
# Every finding line has a known status; fixes follow their finding.
check "only ok/warn/fail/info lines, fixes and the verdict" \
	bash -c "! grep -vE '^(ok|warn|fail|info)  |^      fix: |^verdict: ' '$T/out'"
check "exactly one verdict" [ "$(grep -c '^verdict:' "$T/out")" -eq 1 ]

# An image that is not the running kernel is named as such.
FIX=$top_builddir/tests/fakexen/fx-fixture
"$CTL" --doctor --vmlinux="$FIX" >"$T/out" 2>&1
if [ -r /sys/kernel/notes ] && [ -f "$FIX" ]; then
	has "$T/out" "a wrong --vmlinux is flagged" '^fail +kernel image: .*fx-fixture build-id [0-9a-f]+ is not the running kernel'
fi
expect_fail "--doctor refuses other options" "takes only --xen" "$CTL" --doctor --event=cpu-clock:100000
expect_fail "--doctor takes no value" "takes no value" "$CTL" --doctor=x
finish
