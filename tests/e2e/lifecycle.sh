#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ctl commands of a session's life, as an OProfile user runs them:
# --setup, --start-daemon, --start, --status, --dump (synchronous), --stop,
# --save=NAME, --reset, --shutdown; one daemon per session dir.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

check "--setup stores the setup" ctl --setup --event=cpu-clock:250000 --separate=library
check "the setup file holds the event" grep -q 'cpu-clock:250000' "$S/setup"
check "--status without a daemon says not running" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'not running'"
check "--start-daemon" ctl --start-daemon
check "--status: ready, not sampling" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'state: ready'"
check "--start-daemon again is harmless" ctl --start-daemon
# A second daemon on the same session dir is refused by the daemon itself.
"$XPD" --session-dir="$S" >"$T/out" 2>"$T/err"; rc=$?
check "a second xenprofd on the same dir is refused ($(cat "$T/err"))" \
	bash -c "[ $rc -ne 0 ] && grep -q 'another xenprofd' '$T/err'"
check "--start" ctl --start
"$BURN" 0.5 alpha=1
check "--status: sampling, with the event and samples" \
	bash -c "'$CTL' --session-dir='$S' --status | tee '$T/status' | grep -q 'state: sampling' && grep -q 'cpu-clock' '$T/status'"

# --dump is synchronous: the files hold at least what status counted before it.
n_status=$(ctl --status | awk '/^samples:/ {print $2}')
ctl --dump >/dev/null
n_files=$(report --format=json | json_query 'j["total_samples"]')
check "--dump is synchronous (files $n_files >= status $n_status)" test "$n_files" -ge "$n_status"
check "--separate=library nests images under the app" \
	bash -c "'$REPORT' --session-dir='$S' --format=json | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if any(r.get(\"app\") for r in j[\"rows\"]) else 1)'"

check "-x keeps only the applications' own images" \
	bash -c "'$REPORT' --session-dir='$S' -x --format=json | python3 -c 'import json,sys; j=json.load(sys.stdin); a=[r for r in j[\"rows\"] if r.get(\"app\")]; sys.exit(0 if a and all(r[\"image\"] == r[\"app\"] for r in a) else 1)'"
check "--stop" ctl --stop
n_stop=$(ctl --status | awk '/^samples:/ {print $2}')
n_files=$(report --format=json | json_query 'j["total_samples"]')
check "after --stop the files hold every sample ($n_files == $n_stop)" test "$n_files" -eq "$n_stop"
sleep 0.3
n_later=$(ctl --status | awk '/^samples:/ {print $2}')
check "no samples after --stop ($n_later == $n_stop)" test "$n_later" -eq "$n_stop"

check "--save=run1" ctl --save=run1
check "saved/run1 exists" test -f "$S/saved/run1/meta"
n_saved=$(report --format=json session:run1 | json_query 'j["total_samples"]')
check "the saved session holds the samples ($n_saved == $n_stop)" test "$n_saved" -eq "$n_stop"
n_cur=$(report --format=json | json_query 'j["total_samples"]')
check "current is fresh after --save ($n_cur == 0)" test "$n_cur" -eq 0
expect_fail "--save to an existing name" "exists" ctl --save=run1

check "--start again" ctl --start
"$BURN" 0.3 alpha=1
check "--reset while sampling" ctl --reset
ctl --dump >/dev/null
n_reset=$(report --format=json | json_query 'j["total_samples"]')
check "after --reset current restarts from few samples ($n_reset < $n_saved)" test "$n_reset" -lt "$n_saved"
check "--shutdown" ctl --shutdown
check "no daemon after --shutdown" bash -c "'$CTL' --session-dir='$S' --status | grep -q 'not running'"
check "--save without a daemon" ctl --save=run2
check "--reset without a daemon" ctl --reset
check "--list-events shows cpu-clock" bash -c "'$CTL' --list-events | grep -q cpu-clock"
check "modes: session dir is private (0700)" test "$(stat -c %a "$S")" = 700
finish
