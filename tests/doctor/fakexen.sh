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
has "$T/out" "Xen without sysfs entries" '^warn +hypervisor: Xen \(/dev/xen/privcmd opens\)'
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

host "cpu_type x86-64/family17h"
doc
has "$T/out" "a cpu type without a table" '^warn +events: xenprof has no event table for cpu type x86-64/family17h'
"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1
finish
