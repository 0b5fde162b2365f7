#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of xenprofd on a simulated Xen host (tests/fakexen), xenoprof
# backend, three domains at a high rate, KILLS times (short form 5): the
# dead daemon leaves the hypervisor profiling; every next start recovers it
# (the recovery sequence before init) and continues the session; the session
# is readable after every kill, never goes backwards, holds what was counted
# before the last two flushes the daemon completed, and never more than the
# simulator delivered (its truth).
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
KILLS=${KILLS:-5}
FI=200
EV=--event=CPU_CLK_UNHALTED:100000
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 50000
seed 11
timeslice 1000
xen_image $FIXTURE
domain 0 name Domain-0 vcpus 2 weight 40 kernel $FIXTURE
domain 1 name web01 vcpus 2 weight 30 kernel $FIXTURE
domain 2 name db02 vcpus 1 weight 30 kernel $FIXTURE
work 0 kernel ext4_file_write 50
work 0 xen do_softirq 20
work 1 kernel schedule 60
work 2 kernel do_page_fault 60
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit 1; }
start() {
	xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV --flush-interval=$FI \
		--passive-domains=web01,db02 --passive-images="$FIXTURE,$FIXTURE"
}
prev=0 survived=0
for round in $(seq "$KILLS"); do
	if ! start >"$T/start.out" 2>&1; then
		bad "round $round: start after kill -9 (hypervisor left profiling) failed: $(cat "$T/start.out")"
		break
	fi
	pid=$(cat "$T/s0/xenprofd.pid")
	sleep "$(rand_s 50 500)"
	lower=0
	if [ $((round % 2)) -eq 1 ]; then
		f0=$(status_flushes "xctl 0")
		lower=$(status_samples "xctl 0")
		two_flushes_after "${f0:-0}" "xctl 0" || { bad "round $round: no two flushes in 20 s"; break; }
		sleep "$(rand_s 0 "$FI")"
	fi
	kill -9 "$pid"
	gone "$pid" || { bad "round $round: daemon $pid survived kill -9"; break; }
	total=$(report_total "xreport 0")
	[ -n "$total" ] || { bad "round $round: unreadable after kill -9: $(head -c 300 "$T/report.err")"; break; }
	[ "$total" -ge "$prev" ] || { bad "round $round: the count went backwards ($prev -> $total)"; break; }
	[ "${lower:-0}" -le "$total" ] || { bad "round $round: $total on disk, $lower counted before the last 2 flushes"; break; }
	prev=$total survived=$((survived + 1))
done
check "$survived of $KILLS kill -9 survived on xenoprof: hypervisor recovered each time, readable, never backwards ($prev samples)" \
	test "$survived" -eq "$KILLS"
check "after the last kill, a new daemon recovers and samples" start
sleep 0.5
check "--stop" xctl 0 --stop
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >"$T/truth.json"
delivered=$(json_query 'j["delivered"]' <"$T/truth.json")
total=$(report_total "xreport 0")
check "the session ($total) never holds more than the simulator delivered ($delivered), and at least what it had ($prev)" \
	test "${total:-0}" -le "$delivered" -a "${total:-0}" -gt "$prev"
echo "# figures: kills=$survived samples=$total delivered=$delivered"
finish
