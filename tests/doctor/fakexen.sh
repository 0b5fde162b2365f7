#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The doctor on a simulated Xen host (fakexen): its xenoprof probe goes
# through the real libxencall, and each failure the simulator injects is
# named: ENOSYS (no xenoprof), ENODEV (unsupported CPU), EBUSY (vPMU owns
# the PMU), EPERM (XSM), a PVH dom0.  Beside a running xenprofd it does not
# probe; after it, a xenoprof session starts normally.
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/match.sh"
need_root

host() {	# host EXTRA-DIRECTIVES...
	"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1 || true
	rm -rf "$HOST"
	{
		echo "pcpus 1"; echo "rate 2000"; echo "seed 3"
		echo "xen_image $FIXTURE"
		echo "domain 0 name Domain-0 vcpus 1 kernel $FIXTURE"
		echo "work 0 kernel ext4_file_write 100"
		for l in "$@"; do echo "$l"; done
	} >"$T/host.conf"
	fx_up "$T/host.conf" || bad "fakexen up: $*"
}
doc() { xctl 0 --doctor >"$T/out" 2>&1; }

host "cpu_type i386/core_2" "num_events 2"
# --list-events: this host's table by default (ophelp's cpu type), and one event.
xctl 0 --list-events >"$T/le" 2>&1
check "--list-events on the Xen host: its cpu type only" \
	[ "$(grep -c '^backend' "$T/le")" -eq 1 -a "$(grep -c '^backend xenoprof, cpu type i386/core_2 (this host):' "$T/le")" -eq 1 ]
xctl 0 --list-events=BUS_IO_WAIT >"$T/le1" 2>&1
has "$T/le1" "--list-events=BUS_IO_WAIT on the host" '^BUS_IO_WAIT: \(counter: all\)$'
doc
has "$T/out" "xenoprof available, cpu type and counters" '^ok +xenoprof: available: cpu type i386/core_2, 2 counters, this domain is the primary'
has "$T/out" "the cpu type has a table" '^ok +events: [0-9]+ events for i386/core_2'
has "$T/out" "verdict: xenoprof" '^verdict: xenoprof'
# The simulated host as the guest sees it: /sys/hypervisor, xenstore, notes.
has "$T/out" "the simulated host's /sys/hypervisor" '^ok +hypervisor: Xen 4\.17\.7-fakexen$'
has "$T/out" "a PV dom0 (/proc/xen/capabilities)" '^ok +domain: PV dom0 \(control_d\)'
has "$T/out" "named by xenstore" '^ok +xenstore: answers: this is domain 0 \(Domain-0\)'
xctl 0 --doctor --xen="$FIXTURE" --vmlinux="$FIXTURE" >"$T/out" 2>&1
has "$T/out" "xen_image is the running Xen" '^ok +Xen image: .* matches the running Xen'
has "$T/out" "the domain's kernel is the running kernel" '^ok +kernel image: .* matches the running kernel'
xctl 0 --doctor --xen="$CTL" >"$T/out" 2>&1
has "$T/out" "another image is not" '^fail +Xen image: .* is not the running Xen'
check "after --doctor, a xenoprof session starts" \
	bash -c "'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --start-daemon --backend=xenoprof --event=CPU_CLK_UNHALTED:100000 >/dev/null"
doc
has "$T/out" "beside a running xenprofd: not probed" '^ok +xenoprof: in use: xenprofd \(pid [0-9]+\)'
xctl 0 --list-events >"$T/le2" 2>&1
check "--list-events beside the session's daemon: its cpu type (asked of the daemon)" \
	[ "$(grep -c '^backend' "$T/le2")" -eq 1 -a "$(grep -c '^backend xenoprof, cpu type i386/core_2 (this host):' "$T/le2")" -eq 1 ]
check "the session survives --doctor" bash -c "
	'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --start >/dev/null &&
	sleep 0.3 && '$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --stop >/dev/null"
xctl 0 --shutdown >/dev/null 2>&1

host "fault hypercall init ENOSYS"
doc
has "$T/out" "init ENOSYS" '^fail +xenoprof: not available: xenoprof unavailable \(init: ENOSYS\)'
has "$T/out" "ENOSYS fix" 'fix: use --backend=perf; to see Xen and guests boot Xen with vpmu=on'

host "fault hypercall init ENODEV"
doc
has "$T/out" "init ENODEV" '^fail +xenoprof: not available: xenoprof does not support this CPU \(init: ENODEV'

host "fault hypercall get_buffer EBUSY count 1"
doc
has "$T/out" "get_buffer EBUSY" '^fail +xenoprof: not available: get_buffer: EBUSY: a vPMU owns the PMU'
check "the next session after EBUSY works" \
	bash -c "'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --start-daemon --backend=xenoprof --event=CPU_CLK_UNHALTED:100000 >/dev/null"
xctl 0 --shutdown >/dev/null 2>&1

# A domU whose Linux restricts privcmd (the default since 2023, seen on the
# real host): every hypercall is refused, and the fix is named.
host "domain 1 name web01 vcpus 1 kernel $FIXTURE privcmd restricted" "work 1 kernel schedule 10"
xctl 1 --doctor >"$T/out" 2>&1
has "$T/out" "domU: restricted privcmd" '^fail +xenoprof: not available: xenoprof refused \(init: EPERM\): in a domU Linux'"'"'s privcmd'
has "$T/out" "domU: the unrestricted=1 fix" 'fix: load xen-privcmd with unrestricted=1'
has "$T/out" "domU: named by its own xenstore entry" '^ok +xenstore: answers: this is domain 1 \(web01\)'

host "fault hypercall init EPERM"
doc
has "$T/out" "init EPERM" '^fail +xenoprof: not available: xenoprof refused \(init: EPERM\): the XSM policy'

"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1; rm -rf "$HOST"
{
	echo "xen_image $FIXTURE"
	echo "domain 0 name Domain-0 vcpus 1 type pvh kernel $FIXTURE"
	echo "work 0 kernel ext4_file_write 100"
} >"$T/pvh.conf"
fx_up "$T/pvh.conf"
doc
has "$T/out" "PVH dom0: ENOSYS" '^fail +xenoprof: not available: xenoprof unavailable \(init: ENOSYS\)'

# No xenstored answering (as in a dom0 before xencommons): every xenstore
# call gives up in time, and says what is missing.
host "fault xenstore silent" "domain 1 name web01 vcpus 1 kernel $FIXTURE" "work 1 kernel schedule 10"
t0=$(date +%s)
doc
has "$T/out" "silent xenstore: named" '^warn +xenstore: xenstore does not answer within 2 s: no xenstored runs'
has "$T/out" "silent xenstore: xenoprof still probed in dom0" '^ok +xenoprof: available'
check "silent xenstore: a dom0 session starts anyway" \
	bash -c "'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --start --backend=xenoprof >/dev/null"
xctl 0 --status >"$T/out" 2>&1
has "$T/out" "silent xenstore: --status says so" '^xenstore: xenstore does not answer within 2 s'
xctl 0 --shutdown >/dev/null 2>&1
xctl 1 --start-daemon --backend=xenoprof --session-dir="$T/s1" >"$T/out" 2>&1
has "$T/out" "silent xenstore: a domU cannot tell its id, and says why" "cannot tell this domain's id: xenstore does not answer"
[ $(( $(date +%s) - t0 )) -lt 40 ] || bad "silent xenstore: the calls took $(( $(date +%s) - t0 )) s"

# A dom0 kernel without perf events: no process tracking, and it is said,
# never silent (the samples of a process started later go to [unknown]).
"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1; rm -rf "$HOST"
{
	echo "xen_image $FIXTURE"
	echo "domain 0 name Domain-0 vcpus 1 kernel $FIXTURE perf none"
	echo "work 0 kernel ext4_file_write 100"
} >"$T/noperf.conf"
fx_up "$T/noperf.conf"
xctl 0 --start --backend=xenoprof >"$T/out" 2>&1 || bad "no perf events: --start failed: $(cat "$T/out")"
has "$T/out" "no perf events: --start warns" '^sampling started; warning: process tracking: none: perf_event_open of a software event on cpu 0: Function not implemented \(a kernel without CONFIG_PERF_EVENTS\)'
xctl 0 --status >"$T/out" 2>&1
has "$T/out" "no perf events: --status says so" '^process tracking: none: .*processes started after --start are not attributed'
xctl 0 --shutdown >/dev/null 2>&1

host "cpu_type x86-64/family17h"
doc
has "$T/out" "a cpu type without a table" '^warn +events: xenprof has no event table for cpu type x86-64/family17h'
"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1
finish
