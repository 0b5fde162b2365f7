#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of xenprofd (perf backend) at random moments under load, KILLS
# times (short form 6; bench/fault-kill9.sh runs hundreds): after every kill
# the session is readable, its count never goes backwards, it holds at least
# what the daemon had counted before the last two flushes it completed (so
# at most what came after the last flush is missing, however loaded the
# machine is), and the next start continues it.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
KILLS=${KILLS:-6}
FI=200	# flush interval, ms

"$BURN" -j 2 $((KILLS * 3 + 10)) alpha=1 beta=1 >/dev/null 2>&1 &
burn=$!
stop_burn() { kill "$burn" 2>/dev/null || true; }
CLEANUP_HOOK=stop_burn
prev=0 survived=0 bounded=0
for round in $(seq "$KILLS"); do
	if ! ctl --start --event=cpu-clock:250000 --flush-interval=$FI >"$T/start.out" 2>&1; then
		bad "round $round: the next start after kill -9 failed: $(cat "$T/start.out")"
		break
	fi
	pid=$(cat "$S/xenprofd.pid")
	sleep "$(rand_s 50 600)"
	lower=0
	if [ $((round % 2)) -eq 1 ]; then
		# What the daemon counted now must be on disk after 2 more flushes.
		f0=$(status_flushes)
		lower=$(status_samples)
		two_flushes_after "${f0:-0}" || { bad "round $round: no two flushes in 20 s"; break; }
		sleep "$(rand_s 0 "$FI")"
	fi
	kill -9 "$pid"
	gone "$pid" || { bad "round $round: daemon $pid survived kill -9"; break; }
	total=$(report_total)
	if [ -z "$total" ]; then
		bad "round $round: the session is unreadable after kill -9: $(head -c 300 "$T/report.err")"
		break
	fi
	if [ "$total" -lt "$prev" ]; then
		bad "round $round: the count went backwards ($prev -> $total)"
		break
	fi
	if [ "${lower:-0}" -gt "$total" ]; then
		bad "round $round: $total on disk, but $lower were counted before the last 2 flushes"
		break
	fi
	[ "${lower:-0}" -gt 0 ] && bounded=$((bounded + 1))
	prev=$total survived=$((survived + 1))
done
check "$survived of $KILLS kill -9 survived: readable, never backwards ($prev samples at the end; $bounded rounds checked against the count before the last 2 flushes)" \
	test "$survived" -eq "$KILLS"
check "a new daemon continues the session" ctl --start --event=cpu-clock:250000 --flush-interval=$FI
sleep 0.3
check "--dump" ctl --dump
total=$(report_total)
check "counts never go backwards across daemons (${total:-unreadable} >= $prev)" test "${total:-0}" -ge "$prev"
check "--shutdown" ctl --shutdown
kill "$burn" 2>/dev/null
echo "# figures: kills=$survived samples=$prev"
finish
