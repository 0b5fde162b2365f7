#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-symbol shares: profile xp-burn (work_alpha 50 %, work_beta 30 %,
# work_gamma 20 % by construction) system-wide with cpu-clock, and check
# that xenprof's shares agree within 3 points with the construction and,
# where perf is installed, with `perf record -a` run at the same time at the
# same fixed period (-c 250000: frequency mode reweighs samples under load).
# Covers: daemon attribution of user samples (procmap, file offsets), report
# symbolization of a PIE by file offset, --format=json.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events

ctl --start --event=cpu-clock:250000 >/dev/null || { bad "start"; finish; exit; }
perfdata=""
if command -v perf >/dev/null 2>&1 && perf record -o "$T/probe.data" -a -e cpu-clock -F 4000 -- true >/dev/null 2>&1; then
	perfdata=$T/perf.data
	if ! perf record -q -o "$perfdata" -a -e cpu-clock -c 250000 -- "$BURN" -j 2 3 alpha=50 beta=30 gamma=20 >/dev/null 2>"$T/perf-record.err"; then
		# perf itself failed (seen: it aborts now and then under load); the
		# comparison cannot be made this time, xenprof's own checks still are.
		echo "note: perf record failed ($(tail -1 "$T/perf-record.err")); comparison with perf skipped"
		perfdata=""
		"$BURN" -j 2 1 alpha=50 beta=30 gamma=20
	fi
else
	"$BURN" -j 2 3 alpha=50 beta=30 gamma=20
fi
check "stop" ctl --stop
report --symbols --format=json image:shares-burn >"$T/r.json" 2>"$T/r.err"
check "report --symbols --format=json image:shares-burn" test -s "$T/r.json"

shares=$(json_query '" ".join("%s=%.2f" % (s, 100.0 * sum(r["samples"] for r in j["rows"] if r.get("symbol") == "work_" + s) / max(1, sum(r["samples"] for r in j["rows"] if r.get("symbol","").startswith("work_")))) for s in ("alpha","beta","gamma"))' <"$T/r.json")
echo "xenprof shares: $shares"
images=$(json_query '" ".join(sorted(set(r["image"] for r in j["rows"])))' <"$T/r.json")
check "the image is the program's path ($images)" test "$images" = "$(readlink -f "$BURN")"
total=$(json_query 'sum(r["samples"] for r in j["rows"])' <"$T/r.json")
check "enough samples of the workload ($total)" test "$total" -gt 2000

within() {	# within VALUE EXPECTED POINTS
	python3 -c "import sys; sys.exit(0 if abs($1 - $2) <= $3 else 1)"
}
for kv in $shares; do
	s=${kv%%=*}; v=${kv#*=}
	case $s in alpha) e=50 ;; beta) e=30 ;; gamma) e=20 ;; esac
	check "work_$s: $v % vs $e % by construction (±3)" within "$v" "$e" 3
done

if [ -n "$perfdata" ]; then
	perf report -i "$perfdata" --stdio --sort dso,sym 2>"$T/perf.err" >"$T/perf.txt"
	for kv in $shares; do
		s=${kv%%=*}; v=${kv#*=}
		p=$(python3 - "$T/perf.txt" "$s" <<'PY'
import re, sys
vals = {}
for line in open(sys.argv[1]):
    m = re.match(r'\s*([\d.]+)%\s+shares-burn\s+\[\.\]\s+work_(\w+)', line)
    if m:
        vals[m.group(2)] = float(m.group(1))
tot = sum(vals.values()) or 1
print("%.2f" % (100 * vals.get(sys.argv[2], 0) / tot))
PY
)
		check "work_$s: xenprof $v % vs perf record -a $p % (±3)" within "$v" "$p" 3
	done
	grep -q 'shares-burn' "$T/perf.txt" || { echo "perf report said:"; head -30 "$T/perf.txt" "$T/perf.err"; }
else
	echo "note: perf not installed or not usable; comparison with perf record skipped"
fi
ctl --shutdown >/dev/null
finish
