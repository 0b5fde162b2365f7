#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The control path under faults: xenprof-ctl killed mid-command, clients
# that hang up mid-message, many ctl commands at once, more clients than
# the daemon serves, and a daemon that stops answering (SIGSTOP): ctl
# times out after XENPROF_TIMEOUT seconds with one clear line.  Without a
# daemon, --save and --reset hold the session lock: a daemon starting
# meanwhile waits for them, and one holding it is asked instead.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
RAW="python3 $(dirname "$0")/rawctl.py $S/xenprofd.sock"

check "start" ctl --start --event=cpu-clock:1000000 --flush-interval=200
pid=$(cat "$S/xenprofd.pid")

# ctl killed at random moments of --dump, --status and --save.
for i in $(seq 12); do
	case $((i % 3)) in
	0) ctl --dump >/dev/null 2>&1 & ;;
	1) ctl --status >/dev/null 2>&1 & ;;
	2) ctl --save="k$i" >/dev/null 2>&1 & ;;
	esac
	c=$!
	sleep "$(rand_s 0 40)"
	kill -9 "$c" 2>/dev/null
	wait "$c" 2>/dev/null
done
check "12 ctl commands killed mid-command: the daemon still answers" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'state: sampling'"
for r in partial-header partial-payload; do
	out=$($RAW $r)
	check "a client that hangs up mid-message ($r) is dropped without a reply ($out)" test "$out" = closed
done
check "the daemon still answers" ctl --status

# Many commands at once.
for i in $(seq 8); do
	( for j in 1 2 3; do ctl --status >/dev/null && ctl --dump >/dev/null || exit 1; done ) &
	pids="${pids:-} $!"
done
ok_all=1
for p in $pids; do wait "$p" || ok_all=0; done
check "8 ctl loops of --status and --dump at once: all succeed" test "$ok_all" -eq 1
ctl --save=twin-a >"$T/a.out" 2>&1 & a=$!
ctl --save=twin-b >"$T/b.out" 2>&1 & b=$!
wait $a; ra=$?; wait $b; rb=$?
check "two --save at once both succeed ($ra, $rb)" test "$ra" -eq 0 -a "$rb" -eq 0
check "and both saved sessions are readable" bash -c "'$REPORT' --session-dir='$S' session:twin-a >/dev/null && '$REPORT' --session-dir='$S' session:twin-b >/dev/null"
ctl --save=twin-a >/dev/null 2>"$T/dup.err"
check "saving over an existing name is refused: $(cat "$T/dup.err")" test -s "$T/dup.err"

# More clients than the daemon serves (16): the extra ones are refused,
# and once the idle ones go, everything works again.
$RAW hold 20 3 >"$T/hold.out" &
holder=$!
sleep 1
XENPROF_TIMEOUT=2 "$CTL" --session-dir="$S" --status >/dev/null 2>"$T/busy.err"; rc=$?
check "with 20 idle connections held, ctl fails with one clear line (exit $rc): $(cat "$T/busy.err")" \
	test "$rc" -ne 0 -a "$(wc -l <"$T/busy.err")" -eq 1
wait "$holder"
check "once they are gone, ctl works" ctl --status

# A daemon that stops answering.
kill -STOP "$pid"
t0=$(date +%s%N)
XENPROF_TIMEOUT=2 expect_fail "a stopped daemon: ctl times out with a clear message" \
	"did not answer within 2 s" "$CTL" --session-dir="$S" --status
el=$((($(date +%s%N) - t0) / 1000000))
check "... after about XENPROF_TIMEOUT=2 s (${el} ms)" test "$el" -ge 1900 -a "$el" -lt 6000
kill -CONT "$pid"
check "SIGCONT: it answers again" ctl --status
check "--shutdown" ctl --shutdown
check "the daemon exited" gone "$pid"

# --save and --reset without a daemon take the session lock.
need_cmd flock
L=$T/lock
ctl_l() { "$CTL" --session-dir="$L" "$@"; }
check "a session to play with" ctl_l --start --event=cpu-clock:1000000
sleep 0.3
check "stopped and shut down" ctl_l --shutdown
check "current has samples" test -s "$L/current/dom0.samples"
# Someone (here flock(1), as a daemon would) holds the lock: --reset must not
# touch the files behind its back; it asks the holder, which does not answer.
flock "$L/xenprofd.pid" sleep 5 &
fl=$!
sleep 0.3
XENPROF_TIMEOUT=1 "$CTL" --session-dir="$L" --reset >/dev/null 2>"$T/lk.err"; rc=$?
check "--reset while the lock is held fails (exit $rc): $(cat "$T/lk.err")" test "$rc" -ne 0
check "... and leaves the files alone" test -s "$L/current/dom0.samples"
wait "$fl"
# A daemon starting while --save/--reset holds the lock waits for it.
flock "$L/xenprofd.pid" sleep 1 &
fl=$!
sleep 0.3
t0=$(date +%s%N)
check "a daemon started while the lock is held for 1 s waits and starts" \
	ctl_l --start-daemon --event=cpu-clock:1000000
el=$((($(date +%s%N) - t0) / 1000000))
check "... once the lock is free (after ${el} ms)" test "$el" -ge 400
wait "$fl"
check "--shutdown" ctl_l --shutdown
check "--reset without a daemon, the lock free" ctl_l --reset
check "... discards the samples" test ! -e "$L/current/dom0.samples"
finish
