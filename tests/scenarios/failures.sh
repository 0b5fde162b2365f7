#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failures on a Xen host: bad domain lists and images, and every failure the
# simulator injects (xenoprof compiled out, an unsupported CPU, busy buffers,
# busy counters, a domain destroyed mid-session, a primary killed).  Each
# gets one clear line and a non-zero exit, and leaves nothing half set up in
# the hypervisor: the next session on the same host works and is exact.
. "$(dirname "$0")/lib.sh"
need_root

EV=--event=CPU_CLK_UNHALTED:100000
host() {	# host EXTRA-DIRECTIVES...: a fresh simulated host
	"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1 || true
	rm -rf "$HOST" "$T"/s0 "$T"/s1
	{
		echo "pcpus 2"; echo "cpu_type i386/arch_perfmon"; echo "rate 20000"; echo "seed 4"
		echo "xen_image $FIXTURE"
		echo "domain 0 name Domain-0 vcpus 1 weight 50 kernel $FIXTURE"
		echo "domain 1 name web01 vcpus 1 weight 50 kernel $FIXTURE"
		echo "work 0 kernel ext4_file_write 100"
		echo "work 1 kernel schedule 100"
		for l in "$@"; do echo "$l"; done
	} >"$T/host.conf"
	fx_up "$T/host.conf"
}
# works: a session on the current host starts, samples and equals the truth.
works() {
	xctl 0 --start-daemon --backend=xenoprof --vmlinux="$FIXTURE" $EV --passive-domains=web01 --passive-images="$FIXTURE" >/dev/null &&
	xctl 0 --start >/dev/null && sleep 0.5 && xctl 0 --stop >/dev/null && xctl 0 --shutdown >/dev/null
}

host
expect_fail "unknown domain name" "no domain named 'nosuch'.*web01" \
	xctl 0 --start-daemon --backend=xenoprof $EV --active-domains=nosuch
expect_fail "--setup checks the names too, before storing them" "no domain named 'nosuch'.*web01" \
	xctl 0 --setup $EV --passive-domains=nosuch
check "... and stores nothing" test ! -e "$T/s0/setup"
expect_fail "unknown domain id" "no domain 7" xctl 0 --start-daemon --backend=xenoprof $EV --passive-domains=7
expect_fail "a missing passive image" "/nonexistent/vmlinux" \
	xctl 0 --start-daemon --backend=xenoprof $EV --passive-domains=web01 --passive-images=/nonexistent/vmlinux
expect_fail "more passive images than domains" "more images" \
	xctl 0 --start-daemon --backend=xenoprof $EV --passive-domains=web01 --passive-images="$FIXTURE,$FIXTURE"
expect_fail "an event of another cpu type" "not known for cpu type i386/arch_perfmon" \
	xctl 0 --start-daemon --backend=xenoprof --event=RETIRED_INSNS:100000
expect_fail "a count below the event's minimum" "minimum" \
	xctl 0 --start-daemon --backend=xenoprof --event=CPU_CLK_UNHALTED:100
check "after all that, a session works and is exact" works
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0,1

# An active domU's --start while dom0 has not listed it: refused, and the
# daemon that --start started is gone with it.  (On a host of its own: the
# domU's buffers stay shared after its daemon is gone, so web01 could not be
# made passive on that host afterwards.)
host
expect_fail "a domU --start that dom0 has not listed" "not in dom0's active list.*--active-domains" \
	xctl 1 --start $EV
check "... leaves no daemon behind (no pid file)" test ! -s "$T/s1/xenprofd.pid"
check "... and says so" bash -c "'$FAKEXEN' exec --dir '$HOST' --domain 1 -- '$CTL' --session-dir='$T/s1' --status | grep -qx 'state: not running'"

# Too many passive domains: 26 of them.
doms=()
for i in $(seq 1 26); do doms+=("domain $((i + 1)) name g$i vcpus 1 weight 1 kernel $FIXTURE"); done
host "${doms[@]}"
list=$(seq -s, 2 27)
expect_fail "too many passive domains (26)" "at most 25" \
	xctl 0 --start-daemon --backend=xenoprof $EV --passive-domains="$list"

# Injected hypervisor failures.
host "fault hypercall init ENOSYS"
expect_fail "xenoprof compiled out (init ENOSYS)" "ENOSYS.*--backend=perf" \
	xctl 0 --start-daemon --backend=xenoprof $EV
check "auto falls back to perf and says why" bash -c "
	'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --start-daemon >/dev/null &&
	'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --status | tee '$T/st' | grep -q 'backend: perf' &&
	grep -q 'xenoprof not used.*ENOSYS' '$T/st'"
xctl 0 --shutdown >/dev/null 2>&1
xctl 0 --start-daemon --event=cpu-clock:1000000 >"$T/out" 2>&1
check "--start-daemon says on the spot why xenoprof was not used" \
	grep -q '^note: xenoprof not used: .*ENOSYS.*; sampling with perf$' "$T/out"
xctl 0 --shutdown >/dev/null 2>&1
if [ ! -d /sys/bus/event_source/devices/cpu ] && [ ! -d /sys/bus/event_source/devices/cpu_core ]; then
	# perf, the fallback, has no PMU for CPU_CLK_UNHALTED here: both reasons, xenoprof's first.
	expect_fail "auto with a PMU event, xenoprof out and no PMU: why xenoprof was not used, then perf" \
		"xenoprof is not usable here: .*ENOSYS.*and perf, the fallback, cannot sample: .*no hardware PMU" \
		xctl 0 --start-daemon $EV
fi
host "fault hypercall init ENODEV"
expect_fail "an unsupported CPU (init ENODEV)" "ENODEV" xctl 0 --start-daemon --backend=xenoprof $EV
host "fault hypercall get_buffer EBUSY count 1"
expect_fail "buffers busy (get_buffer EBUSY)" "EBUSY" xctl 0 --start-daemon --backend=xenoprof $EV
check "the next session on that host works" works
host "fault hypercall reserve_counters EBUSY count 1"
expect_fail "counters busy (reserve_counters EBUSY)" "EBUSY" \
	xctl 0 --start-daemon --backend=xenoprof $EV --passive-domains=web01
check "nothing was left half set up: the next session works" works
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0,1

# A passive domain destroyed mid-session: sampling goes on, counts stay exact.
host "fault destroy 1 after 300"
check "start with a passive domain" xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV --passive-domains=web01 --passive-images="$FIXTURE"
sleep 1
check "the daemon still answers after the domain died" xctl 0 --status
check "--stop" xctl 0 --stop
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0,1

# The primary killed mid-session: the next daemon recovers the hypervisor.
host
check "start" xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
sleep 0.3
kill -9 "$(cat "$T/s0/xenprofd.pid")"
sleep 0.2
check "a new daemon recovers the hypervisor and samples" bash -c "
	'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --reset >/dev/null &&
	'$FAKEXEN' exec --dir '$HOST' --domain 0 -- '$CTL' --session-dir='$T/s0' --start >/dev/null"
sleep 0.5
check "--stop" xctl 0 --stop
n=$(xreport 0 --format=json | json_query 'j["total_samples"]')
check "the new session has samples ($n)" test "$n" -gt 0
check "--shutdown" xctl 0 --shutdown
finish
