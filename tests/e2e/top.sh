#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xenprof-ctl --top: the live view.  In a real terminal (tmux): frames with
# per-domain and per-symbol shares of the samples since the last refresh,
# q quits and the tty is restored, Ctrl-C too.  Without a tty: one plain
# frame per interval, no escape sequences.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
export XENPROF_REPORT=$REPORT

ctl --start --event=cpu-clock:250000 >/dev/null || { bad "--start"; finish; exit; }
# (a higher priority, so that it shows even on a machine busy with make -j check)
nice -n -10 "$BURN" 8 alpha=60 beta=40 >/dev/null &
BURN_PID=$!
CLEANUP_HOOK="kill $BURN_PID 2>/dev/null"

# Without a tty: -n frames, each a "xenprof top" block, plain text.
ctl --top -d 0.5 -n 3 >"$T/plain" 2>"$T/plain.err"
check "--top -n 3 without a tty exits 0" test $? -eq 0
check "three frames" test "$(grep -c '^xenprof top - ' "$T/plain")" -eq 3
check "no escape sequences without a tty" sh -c "! grep -q \$'\\033' \"$T/plain\""
check "a Domain-0 line in the domain table" grep -qE '^0 +Domain-0 ' "$T/plain"
check "the workload's functions in the symbol table" grep -qE 'work_alpha|work_beta' "$T/plain"
check "later frames show the last interval" grep -q 'samples in the last' "$T/plain"

expect_fail "--top without a daemon" 'not running' "$CTL" --session-dir="$T/none" --top -n 1
expect_fail "--top -d 0" 'seconds' "$CTL" --session-dir="$S" --top -d 0

# In a real terminal.
export TMUX_TMPDIR=$T	# a private tmux server
tm() { tmux -L xptop "$@"; }
if ! command -v tmux >/dev/null 2>&1; then
	bad "the terminal part cannot run: tmux is not installed (apt-get install tmux, or ./quickstart)"
elif ! tm new-session -d -x 100 -y 30 "bash --norc --noprofile" 2>"$T/tmux.err"; then
	bad "the terminal part cannot run: tmux cannot make a terminal here ($(cat "$T/tmux.err"))"
else
	CLEANUP_HOOK="kill $BURN_PID 2>/dev/null; tmux -L xptop kill-server 2>/dev/null"
	tm send-keys "stty -a | grep -o ' icanon\\| echo ' | tr -d ' ' | paste -sd, > $T/stty.before" Enter
	tm send-keys "XENPROF_REPORT=$REPORT $CTL --session-dir=$S --top -d 0.5; echo TOP-EXIT=\$?; stty -a | grep -o ' icanon\\| echo ' | tr -d ' ' | paste -sd, > $T/stty.after" Enter
	seen=0
	for _ in $(seq 80); do	# up to 20 s: the suite may be loading the machine
		sleep 0.25
		tm capture-pane -p >"$T/screen"
		if grep -q 'samples in the last' "$T/screen" && grep -qE 'work_alpha|work_beta' "$T/screen"; then seen=1; break; fi
	done
	cat "$T/screen"
	check "tmux: a refreshed frame with the workload's functions" test "$seen" -eq 1
	check "tmux: the domain table" grep -qE '^DOMAIN +NAME' "$T/screen"
	check "tmux: the key help line" grep -q 'q to quit' "$T/screen"
	check "tmux: the frame fits the 30-line screen" test "$(wc -l <"$T/screen")" -le 30
	tm send-keys q
	for _ in $(seq 60); do sleep 0.25; tm capture-pane -p >"$T/screen2"; grep -q 'TOP-EXIT=' "$T/screen2" && break; done
	check "tmux: q quits with status 0" grep -q 'TOP-EXIT=0' "$T/screen2"
	sleep 0.5
	check "tmux: the tty modes are restored ($(cat "$T/stty.after" 2>/dev/null))" \
		sh -c "test -s \"$T/stty.after\" && cmp -s \"$T/stty.before\" \"$T/stty.after\""
	# Ctrl-C
	tm send-keys "clear; XENPROF_REPORT=$REPORT $CTL --session-dir=$S --top -d 0.5; echo TOP2-EXIT=\$?" Enter
	# Ctrl-C once the view is up (its handler installed), not before.
	for _ in $(seq 80); do sleep 0.25; tm capture-pane -p >"$T/screen3"; grep -q 'q to quit' "$T/screen3" &&
		! grep -q 'TOP-EXIT=' "$T/screen3" && break; done	# (the first view's screen is cleared)
	tm send-keys C-c
	for _ in $(seq 60); do sleep 0.25; tm capture-pane -p >"$T/screen3"; grep -q 'TOP2-EXIT=' "$T/screen3" && break; done
	check "tmux: Ctrl-C quits with status 0" grep -q 'TOP2-EXIT=0' "$T/screen3"
	tm kill-server 2>/dev/null
fi
kill "$BURN_PID" 2>/dev/null
wait "$BURN_PID" 2>/dev/null

# Progress while waiting on the daemon (xenprof-ctl's side): a stopped
# daemon makes --status and --stop say what they wait for, once a second.
dpid=$(cat "$S/xenprofd.pid")
kill -STOP "$dpid"
XENPROF_PROGRESS=1 XENPROF_TIMEOUT=3 "$CTL" --session-dir="$S" --status >/dev/null 2>"$T/prog"
rc=$?
kill -CONT "$dpid"
cat "$T/prog"
check "--status on a stopped daemon times out (exit $rc)" test "$rc" -eq 1
check "--status says what it waits for" grep -q 'waiting for xenprofd to report its status... (1 s)' "$T/prog"
n=$(grep -c 'waiting for' "$T/prog")
check "about one progress line a second, then the error ($n lines in 3 s)" test "$n" -ge 1 -a "$n" -le 3
kill -STOP "$dpid"
( sleep 1.5; kill -CONT "$dpid" ) &
XENPROF_PROGRESS=1 "$CTL" --session-dir="$S" --stop >"$T/stop" 2>"$T/prog2"
check "--stop succeeds once the daemon answers" test $? -eq 0
check "--stop said what it waited for" grep -q 'waiting for xenprofd to stop sampling' "$T/prog2"
XENPROF_PROGRESS=0 "$CTL" --session-dir="$S" --status >/dev/null 2>"$T/prog3"
check "no progress output when the daemon answers at once" test ! -s "$T/prog3"
finish
