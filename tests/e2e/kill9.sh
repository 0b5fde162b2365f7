#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of xenprofd while it samples: the session still reports the
# samples flushed before the kill, and a new daemon starts cleanly on the
# same session dir (stale pid file and socket detected and replaced).
# Repeats the kill at several moments; counts never go backwards.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

prev=0
for round in 1 2 3; do
	ctl --start --event=cpu-clock:250000 --flush-interval=200 >/dev/null ||
		{ bad "round $round: start"; break; }
	"$BURN" -j 2 1.2 alpha=1 &
	burn=$!
	sleep "0.$((3 + round * 2))"
	pid=$(cat "$S/xenprofd.pid")
	kill -9 "$pid"
	wait "$burn"
	sleep 0.1
	check "round $round: daemon $pid is gone" gone "$pid"
	report --format=json >"$T/r.json" 2>"$T/r.err"
	check "round $round: the session still reports after kill -9" test -s "$T/r.json"
	total=$(json_query 'j["total_samples"]' <"$T/r.json" 2>/dev/null || echo 0)
	check "round $round: samples flushed before the kill are there ($total >= $prev, > 0)" \
		test "$total" -gt 0 -a "$total" -ge "$prev"
	prev=$total
	check "round $round: stale pid file left behind" test -e "$S/xenprofd.pid"
	check "round $round: status says not running" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'not running'"
done

# A new daemon on the same dir starts cleanly and keeps sampling into it.
check "a new daemon starts on the same session dir" ctl --start --event=cpu-clock:250000
"$BURN" 0.5 alpha=1
check "the new daemon answers --status" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'state: sampling'"
check "--dump" ctl --dump
total=$(report --format=json | json_query 'j["total_samples"]')
check "counts never go backwards across daemons ($total >= $prev)" test "$total" -ge "$prev"
check "--shutdown" ctl --shutdown
check "pid file removed at shutdown" test ! -e "$S/xenprofd.pid"
check "socket removed at shutdown" test ! -e "$S/xenprofd.sock"
finish
