#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every failure fakexen can inject that tests/scenarios/failures.sh does not
# already cover: each xenoprof op, sysctl, domctl and xen_version failing
# once (EIO), all armed on one host (set_active and mmapbatch: xen-mapfail.sh
# and xen-unshare.sh); sessions are started
# and stopped until one gets through.  Every attempt that fails says so in
# one line and exits < 128, and leaves nothing half set up: the next attempt
# gets further, the last one works and its report equals the truth.  Then:
# an active domain destroyed mid-session (fakexen destroy), the smallest
# rings (fault ring_slots 2), and the primary killed by the hypervisor side
# (fault kill_primary) followed by a recovering start.
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
EV=--event=CPU_CLK_UNHALTED:100000
host() {	# host EXTRA-DIRECTIVES...
	"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1 || true
	rm -rf "$HOST" "$T"/s0 "$T"/s2
	{
		echo "pcpus 2"; echo "rate 20000"; echo "seed 5"; echo "xen_image $FIXTURE"
		echo "domain 0 name Domain-0 vcpus 1 weight 40 kernel $FIXTURE"
		echo "domain 1 name web01 vcpus 1 weight 30 kernel $FIXTURE"
		echo "domain 2 name db02 vcpus 1 weight 30 kernel $FIXTURE"
		echo "work 0 kernel ext4_file_write 100"
		echo "work 1 kernel schedule 100"
		echo "work 2 kernel do_page_fault 100"
		for l in "$@"; do echo "$l"; done
	} >"$T/host.conf"
	fx_up "$T/host.conf"
}
# step NAME ARGS...: run xenprof-ctl in dom0; on failure note its message.
step() {
	local name=$1; shift
	xctl 0 "$@" >"$T/out" 2>"$T/err" && return 0
	rc=$? msg=$(cat "$T/err") lines=$(wc -l <"$T/err")
	failed="$name: $msg"
	[ "$rc" -lt 128 ] && [ "$lines" -eq 1 ] && return 1
	bad "$name failed unclearly: exit $rc, $lines lines: $(head -c 400 "$T/err")"
	return 1
}
attempt() {
	failed=""
	step --start-daemon --start-daemon --backend=xenoprof --vmlinux="$FIXTURE" $EV \
		--passive-domains=web01 --passive-images="$FIXTURE" &&
	step --start --start && sleep 0.3 && step --stop --stop && step --shutdown --shutdown
}

ops="init reset_active_list reset_passive_list set_passive reserve_counters counter
setup_events enable_virq start stop disable_virq release_counters shutdown get_buffer
set_backtrace sysctl domctl xen_version"
faults=()
for op in $ops; do faults+=("fault hypercall $op EIO count 1"); done
host "${faults[@]}" || { bad "fakexen up"; finish; exit 1; }
n=0 clean=1
for i in $(seq 30); do
	if attempt; then break; fi
	n=$((n + 1))
	echo "  attempt $i: $failed"
	# What a user does next: shut the daemon down if one is left.  (A
	# daemon that failed to start empties its pid file.)
	xctl 0 --shutdown >/dev/null 2>&1
	if [ -s "$T/s0/xenprofd.pid" ] && ! gone "$(cat "$T/s0/xenprofd.pid")"; then
		kill -9 "$(cat "$T/s0/xenprofd.pid")"; clean=0
		echo "  (daemon left running after: $failed)"
	fi
done
check "$n injected failures, each one clear line; then a session works" test -z "$failed" -a "$n" -gt 0
check "no daemon was left stuck by a failure (--shutdown always ended it)" test "$clean" -eq 1
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0,1

# An active domain destroyed mid-session, from outside (fakexen destroy):
# dom0's daemon and the other domains' sessions go on.
host
check "dom0: --start-daemon with active domain db02" xctl 0 --start-daemon --backend=xenoprof \
	--vmlinux="$FIXTURE" $EV --active-domains=db02 --passive-domains=web01 --passive-images="$FIXTURE"
check "db02: --start (its own daemon)" xctl 2 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
check "dom0: --start" xctl 0 --start
sleep 0.4
check "destroy db02 while it is profiled" "$FAKEXEN" destroy --dir "$HOST" --domain 2
sleep 0.4
check "dom0's daemon still answers after an active domain died" xctl 0 --status
check "dom0: --stop" xctl 0 --stop
check "dom0: --shutdown" xctl 0 --shutdown
[ -f "$T/s2/xenprofd.pid" ] && kill -9 "$(cat "$T/s2/xenprofd.pid")" 2>/dev/null
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0,1

# The smallest rings: everything that does not fit is lost, and counted.
host "fault ring_slots 2"
check "start on 2-slot rings" xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
sleep 0.5
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0

# The primary killed at a set time (fault kill_primary): a new daemon recovers.
host "fault kill_primary after 300"
check "start" xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
pid=$(cat "$T/s0/xenprofd.pid")
sleep 0.8
check "the primary was killed" gone "$pid"
check "a new daemon recovers the hypervisor and samples" xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
sleep 0.3
check "--shutdown" xctl 0 --shutdown
finish
