#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Short-lived processes: a chain of processes that live ~10 ms each.  Their
# samples must be attributed to the program, not lost or [unknown], even
# when the exit is drained before the samples (procmap keeps the maps of an
# exited process until the drain pass after its exit), and when the
# program's exec and its first forks land in different cpus' rings.  The
# workload's processes are selected by pid (xp-burn -p, tgid:): whatever
# else runs on the machine is not counted.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

# User mode only: every sample of the workload is then in its own code.
ctl --start --event=cpu-clock:100000:0:0:1 --separate=thread >/dev/null || { bad "start"; finish; exit; }
"$BURN" -p "$T/pids" -s -j 2 2 alpha=60 beta=40
ctl --stop >/dev/null
pids=$(sort -un "$T/pids" | paste -sd, -)
echo "$(wc -l <"$T/pids") processes of the workload"
report --symbols --format=json tgid:"$pids" >"$T/r.json" 2>"$T/r.err" || { bad "report: $(cat "$T/r.err")"; finish; exit; }
burn=$(readlink -f "$BURN")
python3 "$top_srcdir/tests/e2e/workload-shares.py" "$T/r.json" "$burn" work_alpha >"$T/res"
read -r total named work unknown alpha <"$T/res"
echo "workload samples $total, in its functions $named, in its work functions $work, work_alpha share $alpha %, [unknown] $unknown"
check "samples of short-lived processes are there ($work > 1000)" test "$work" -gt 1000
check ">= 99 % of the workload's samples are in its functions ($named of $total)" \
	test $((named * 100)) -ge $((total * 99))
check ">= 90 % in the program's work functions ($work of $total)" test $((work * 100)) -ge $((total * 90))
check "work_alpha's share $alpha % is 60 % (±3)" python3 -c "import sys; sys.exit(0 if abs($alpha - 60) <= 3 else 1)"
check "the workload's [unknown] samples are rare ($unknown of $total, <= 0.5 %)" test $((unknown * 200)) -le "$total"
finish
