#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Exec here, fork there: the workload is exec'd on the last cpu, moves to
# cpu 0 and forks its job there at once, so that its COMM(exec) and MMAP2
# records sit in one cpu's ring and the FORK in another's, within a drain
# pass.  Applied in ring order (cpu 0 first), the FORK copied the parent's
# pre-exec maps (taskset's) into the child and every sample of the child
# was [unknown]; in time order (sample_id_all + PERF_SAMPLE_TIME) the child
# gets the new image.  The workload's processes are selected by pid (tgid:,
# --separate=thread): whatever else runs on the machine is not counted.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
need_cmd taskset

last=$(($(nproc) - 1))
[ "$last" -ge 1 ] || echo "# one cpu only: exec and fork share a ring, the ordering is not exercised"
# User mode only: the workload's samples are then all in its own code.
ctl --start --event=cpu-clock:100000:0:0:1 --separate=thread >/dev/null || { bad "start"; finish; exit; }
for i in 1 2 3 4 5 6; do
	taskset -c "$last" "$BURN" -c 0 -p "$T/pids" -j 1 0.3 alpha=60 beta=40 || bad "workload run $i"
done
ctl --stop >/dev/null
pids=$(sort -un "$T/pids" | paste -sd, -)
report --symbols --format=json tgid:"$pids" >"$T/r.json" 2>"$T/r.err" || { bad "report: $(cat "$T/r.err")"; finish; exit; }
burn=$(readlink -f "$BURN")
python3 "$top_srcdir/tests/e2e/workload-shares.py" "$T/r.json" "$burn" >"$T/res"
read -r total named work unknown <"$T/res"
echo "workload samples $total, in its functions $named, in its work functions $work, [unknown] $unknown"
check "the workload was sampled ($total > 500)" test "$total" -gt 500
check ">= 99 % of the workload's samples are in its functions ($named of $total)" \
	test $((named * 100)) -ge $((total * 99))
check ">= 90 % in the program's work functions, the rest its start-up ($work of $total)" \
	test $((work * 100)) -ge $((total * 90))
check "the workload's [unknown] samples are rare ($unknown of $total, <= 0.5 %)" test $((unknown * 200)) -le "$total"
finish
