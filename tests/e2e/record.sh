#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xenprof-ctl record: a one-shot session around a command -- its own daemon,
# the command's exit status, a short report, the session kept, the
# --pid-only selection, and Ctrl-C (SIGINT) still saving the session.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
export XENPROF_REPORT=$REPORT

# 1. system-wide, the command's exit status, the top symbols on stdout
"$CTL" record --session-dir="$S" --event=cpu-clock:250000 -- \
	sh -c "\"$BURN\" 1 alpha=70 beta=30; exit 3" >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out" "$T/err"
check "record exits with the command's status (3, got $rc)" test "$rc" -eq 3
check "the report lists work_alpha" grep -q 'work_alpha' "$T/out"
check "stderr says how the command ended" grep -q 'exited with status 3' "$T/err"
check "the daemon is gone" test -z "$("$CTL" --session-dir="$S" --status | grep -v 'not running' | grep state)"
report --symbols --format=json image:"$BURN" >"$T/j" 2>/dev/null
a=$(json_query 'sum(r["samples"] for r in j["rows"] if r.get("symbol")=="work_alpha")' <"$T/j")
b=$(json_query 'sum(r["samples"] for r in j["rows"] if r.get("symbol")=="work_beta")' <"$T/j")
check "the session is kept for later reports (alpha $a > beta $b > 0)" test "$a" -gt "$b" -a "$b" -gt 0

# 1b. a forking workload (sh, then xp-burn's two jobs), selected by its pids:
# >= 99 % of its samples (user mode) in its functions
"$CTL" record --session-dir="$T/f" --event=cpu-clock:100000:0:0:1 --separate=thread -- \
	sh -c "\"$BURN\" -p \"$T/fpids\" -j 2 1 alpha=70 beta=30" >"$T/outf" 2>"$T/errf"
check "record of a forking workload exits 0" test $? -eq 0
fpids=$(sort -un "$T/fpids" | paste -sd, -)
"$REPORT" --session-dir="$T/f" --symbols --format=json tgid:"$fpids" >"$T/jf" 2>/dev/null
python3 "$top_srcdir/tests/e2e/workload-shares.py" "$T/jf" "$(readlink -f "$BURN")" >"$T/fres"
read -r tot named work unknown <"$T/fres"
echo "forking workload: $tot samples, $named in its functions, $work in its work functions"
check "the forking workload was sampled ($tot > 500)" test "${tot:-0}" -gt 500
check ">= 99 % of the forking workload's samples are in its functions ($named of $tot)" \
	test $((${named:-0} * 100)) -ge $((${tot:-0} * 99))
check ">= 90 % in the program's work functions ($work of $tot)" \
	test $((${work:-0} * 100)) -ge $((${tot:-0} * 90))

# 2. a second record keeps the first as a saved session
"$CTL" record --session-dir="$S" -- true >"$T/out2" 2>"$T/err2"
check "record of true exits 0" test $? -eq 0
check "the earlier samples are kept as session prev-*" grep -q 'kept as session prev-' "$T/err2"
prev=$(ls "$S/saved" | head -1)
check "session:$prev still has work_alpha" sh -c "\"$REPORT\" --session-dir=\"$S\" --symbols session:$prev | grep -q work_alpha"

# 3. --pid-only: only the command's process tree
"$CTL" record --session-dir="$T/p" --pid-only --event=cpu-clock:250000 -- \
	sh -c "\"$BURN\" 1 gamma=100 & wait" >"$T/out3" 2>"$T/err3"
check "--pid-only record exits 0" test $? -eq 0
cat "$T/out3"
check "--pid-only reports the child's work_gamma" grep -q 'work_gamma' "$T/out3"
check "--pid-only shows per-process columns" grep -q 'tgid' "$T/out3"
check "--pid-only leaves out other processes (no xenprofd rows)" sh -c "! grep -q xenprofd \"$T/out3\""
# The footer names the real pids: pasted, it reports the command's work.
foot=$(grep '^The session is kept: ' "$T/out3" | sed 's/^The session is kept: xenprof-report //')
check "the footer names real pids, not a placeholder ($foot)" sh -c "echo '$foot' | grep -qE 'tgid:[0-9]+(,[0-9]+)*\$'"
# shellcheck disable=SC2086
"$REPORT" $foot >"$T/foot.out" 2>&1
check "the footer's command reports the command's work_gamma" grep -q 'work_gamma' "$T/foot.out"

# 4. Ctrl-C (SIGINT to the foreground process group, as a tty sends it):
# the command ends, the session is still stopped and kept.  set -m: a
# process group of its own, with SIGINT not ignored as in a background job.
set -m
"$CTL" record --session-dir="$T/i" --event=cpu-clock:1000000 -- sleep 30 >"$T/out4" 2>"$T/err4" &
rp=$!
set +m
# Once the command runs (a loaded machine may take a while to start the daemon).
for _ in $(seq 150); do
	for st in /proc/[0-9]*/stat; do
		read -r _ comm _ ppid _ <"$st" 2>/dev/null || continue
		[ "$comm" = "(sleep)" ] && [ "$ppid" = "$rp" ] && break 2
	done
	sleep 0.1
done
kill -INT -- "-$rp"
wait "$rp"; rc=$?
check "SIGINT: record exits 130 (got $rc)" test "$rc" -eq 130
check "SIGINT: the command was killed by signal 2" grep -q 'killed by signal 2' "$T/err4"
check "SIGINT: the session is kept" test -s "$T/i/current/meta"
check "SIGINT: no daemon left" test "$("$CTL" --session-dir="$T/i" --status | head -1)" = "state: not running"

# 5. usage and failures
expect_fail "record without a command" 'no command' "$CTL" record --session-dir="$T/u"
expect_fail "record of a missing program" 'no-such-program' "$CTL" record --session-dir="$T/u" -- no-such-program-xp
finish
