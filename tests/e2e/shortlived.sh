#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Short-lived processes: a chain of processes that live ~10 ms each.  Their
# samples must be attributed to the program, not lost or [unknown], even
# when the exit is drained before the samples (procmap keeps the maps of an
# exited process until the drain pass after its exit).
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

ctl --start --event=cpu-clock:100000 >/dev/null || { bad "start"; finish; exit; }
"$BURN" -s -j 2 2 alpha=60 beta=40
ctl --stop >/dev/null
report --symbols --format=json >"$T/r.json"
burn=$(readlink -f "$BURN")
python3 - "$T/r.json" "$burn" <<'PY' >"$T/res"
import json, sys
j = json.load(open(sys.argv[1]))
# Other tests may run their own copies of the workload at the same time:
# count the work_* symbols of ours, and check none of ours fell elsewhere.
mine = [r for r in j["rows"] if r["image"] == sys.argv[2]]
work = sum(r["samples"] for r in mine if r.get("symbol", "").startswith("work_"))
in_burn = sum(r["samples"] for r in mine)
alpha = sum(r["samples"] for r in mine if r.get("symbol") == "work_alpha")
print(work, in_burn, round(100.0 * alpha / max(1, work), 2))
PY
read -r work in_burn alpha <"$T/res"
echo "work samples $work, in the program's image $in_burn, work_alpha share $alpha %"
check "samples of short-lived processes are there ($work > 1000)" test "$work" -gt 1000
check "the program's samples are all in its work functions ($work of $in_burn, >= 99 %)" test $((work * 100)) -ge $((in_burn * 99))
check "work_alpha's share $alpha % is 60 % (±3)" python3 -c "import sys; sys.exit(0 if abs($alpha - 60) <= 3 else 1)"
unknown=$(python3 -c "import json; j=json.load(open('$T/r.json')); print(sum(r['samples'] for r in j['rows'] if r['image']=='[unknown]'))")
total=$(python3 -c "import json; j=json.load(open('$T/r.json')); print(j['total_samples'])")
check "[unknown] user samples are rare ($unknown of $total, < 5 % with whatever else runs)" test $((unknown * 20)) -lt "$total"
finish
