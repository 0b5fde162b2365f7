#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Call chains and comparison on this machine (perf backend): a frame-pointer
# workload profiled with --callgraph shows its real call chains in the folded
# export (main;work_alpha), the stacks sum to the report's total, and -c
# names main as the caller; then two sessions built to differ (alpha 70 %
# then 30 %) give a differential report with the right change per function.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

check "--start --callgraph=32" ctl --start --event=cpu-clock:250000 --callgraph=32
"$BURN" 1.5 alpha=70 beta=30
check "--stop" ctl --stop
check "--save=before" ctl --save=before
check "--start (same setup, fresh current)" ctl --start
"$BURN" 1.5 alpha=30 beta=70
check "--stop" ctl --stop
check "--save=after" ctl --save=after
check "--shutdown" ctl --shutdown

name=$(basename "$BURN")
report --format=folded session:before >"$T/folded"
grep "work_" "$T/folded" | sort -t' ' -k2 -n | tail -3
check "folded shows the real chain main;work_alpha" grep -qE '(^|;)main;work_alpha [0-9]+$' "$T/folded"
sum=$(awk '{s += $NF} END {print s}' "$T/folded")
total=$(report --format=json session:before | json_query 'j["total_samples"]')
check "folded stacks sum to the report's total ($sum == $total)" test "$sum" -eq "$total"
report -c session:before image:"$name" >"$T/cg"
check "-c shows main calling work_alpha" grep -qE 'main' "$T/cg"

# pprof: where Go's pprof is installed, its flat % equals the JSON report's.
if command -v go >/dev/null 2>&1; then
	report --format=pprof -o "$T/p.pb.gz" session:before image:"$name"
	go tool pprof -top "$T/p.pb.gz" 2>/dev/null >"$T/pprof.txt"
	pp=$(awk '$NF == "work_alpha" {print $2; exit}' "$T/pprof.txt" | tr -d %)
	js=$(report --symbols --format=json session:before image:"$name" |
		json_query '[r["percent"] for r in j["rows"] if r.get("symbol") == "work_alpha"][0]')
	check "go tool pprof -top: work_alpha $pp % == the report's $js %" \
		python3 -c "import sys; sys.exit(0 if abs($pp - $js) < 0.01 else 1)"
	report --format=pprof -l -g -o "$T/pg.pb.gz" session:before image:"$name"
	go tool pprof -lines -top "$T/pg.pb.gz" 2>/dev/null >"$T/pprof-lines.txt"
	check "pprof with -g carries source lines (work_alpha xp-burn.c:N)" \
		grep -qE 'work_alpha xp-burn\.c:[0-9]+' "$T/pprof-lines.txt"
else
	echo "note: go not installed; the go tool pprof check is skipped"
fi

report -l { session:before image:"$name" } { session:after image:"$name" } >"$T/diff.txt"
cat "$T/diff.txt" | head -12
report -l --format=json { session:before image:"$name" } { session:after image:"$name" } >"$T/diff.json"
python3 - "$T/diff.json" <<'PY' >"$T/diffres"
import json, sys
j = json.load(open(sys.argv[1]))
d = {r.get("symbol"): r.get("diff_percent") for r in j["rows"]}
print(round(d.get("work_alpha") or 0, 1), round(d.get("work_beta") or 0, 1))
PY
read -r da db <"$T/diffres"
echo "change: work_alpha $da, work_beta $db (percentage points or percent, as the report defines)"
check "work_alpha went down, work_beta up" python3 -c "import sys; sys.exit(0 if $da < 0 < $db else 1)"
finish
