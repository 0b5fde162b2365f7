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
python3 - "$T/r.json" "$burn" <<'PY' >"$T/res"
import json, sys
j = json.load(open(sys.argv[1]))
rows = j["rows"]
total = sum(r["samples"] for r in rows)
mine = [r for r in rows if r["image"] == sys.argv[2]]
work = sum(r["samples"] for r in mine if r.get("symbol", "").startswith("work_"))
alpha = sum(r["samples"] for r in mine if r.get("symbol") == "work_alpha")
unknown = sum(r["samples"] for r in rows if r["image"] == "[unknown]")
print(total, work, round(100.0 * alpha / max(1, work), 2), unknown)
PY
read -r total work alpha unknown <"$T/res"
echo "workload samples $total, in its work functions $work, work_alpha share $alpha %, [unknown] $unknown"
check "samples of short-lived processes are there ($work > 1000)" test "$work" -gt 1000
check ">= 99 % of the workload's samples are in its work functions ($work of $total)" \
	test $((work * 100)) -ge $((total * 99))
check "work_alpha's share $alpha % is 60 % (±3)" python3 -c "import sys; sys.exit(0 if abs($alpha - 60) <= 3 else 1)"
check "the workload's [unknown] samples are rare ($unknown of $total, <= 0.5 %)" test $((unknown * 200)) -le "$total"
finish
