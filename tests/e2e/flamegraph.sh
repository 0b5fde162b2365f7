#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Pictures and processes on this machine (perf backend).  Two copies of the
# same program (the same function names, the same basename, two paths) run
# side by side with --callgraph: folded stacks start with each one's
# process frame (its path, since the basenames clash), so their functions
# never merge; --format=svg is a well-formed, self-contained flame graph
# that headless Chromium renders, where hovering names a frame, a click
# zooms and Search highlights (tests/e2e/svgcheck.py, screenshots next to
# this test's log).
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
mkdir -p "$T/a" "$T/b"
cp "$BURN_SRC" "$T/a/xp-burn"
cp "$BURN_SRC" "$T/b/xp-burn"

check "record both copies with --callgraph" ctl record --callgraph=16 --event=cpu-clock:250000 -- \
	bash -c '"$1" 1.5 alpha=100 & "$2" 1.5 beta=100 & wait' sh "$T/a/xp-burn" "$T/b/xp-burn" >/dev/null
report --format=folded >"$T/folded"
grep 'work_' "$T/folded" | sort -t' ' -k2 -n | tail -4
sum_of() { awk -v p="$1" 'index($0, p) == 1 {s += $NF} END {print s + 0}' "$T/folded"; }
a_alpha=$(grep -F "$T/a/xp-burn;" "$T/folded" | grep -c 'work_alpha' || true)
a_beta=$(grep -F "$T/a/xp-burn;" "$T/folded" | grep 'work_beta' | awk '{s += $NF} END {print s + 0}')
b_beta=$(grep -F "$T/b/xp-burn;" "$T/folded" | grep -c 'work_beta' || true)
b_alpha=$(grep -F "$T/b/xp-burn;" "$T/folded" | grep 'work_alpha' | awk '{s += $NF} END {print s + 0}')
check "copy a's stacks start with its process frame, work_alpha under it" test "$a_alpha" -gt 0
check "copy b's stacks start with its process frame, work_beta under it" test "$b_beta" -gt 0
a_all=$(grep -F "$T/a/xp-burn;" "$T/folded" | awk '{s += $NF} END {print s + 0}')
b_all=$(grep -F "$T/b/xp-burn;" "$T/folded" | awk '{s += $NF} END {print s + 0}')
# Merged, each would hold about half of the other's function; a stray frame
# from frame-pointer unwinding on a busy machine may be one sample.
grep -F "$T/a/xp-burn;" "$T/folded" | grep work_beta
grep -F "$T/b/xp-burn;" "$T/folded" | grep work_alpha
check "the two copies' functions do not merge (a: work_beta $a_beta of $a_all, b: work_alpha $b_alpha of $b_all)" \
	test "$((a_beta * 100))" -le "$a_all" -a "$((b_alpha * 100))" -le "$b_all"
check "folded frames: process, then the chain (…xp-burn;…main;work_alpha)" \
	grep -qE "^$T/a/xp-burn;([^;]*;)*main;work_alpha [0-9]+\$" "$T/folded"
total=$(report --format=json | json_query 'j["total_samples"]')
sum=$(awk '{s += $NF} END {print s}' "$T/folded")
check "folded stacks sum to the report's total ($sum == $total)" test "$sum" -eq "$total"

# The flame graph.
check "--format=svg -o FILE" report --format=svg -o "$T/flamegraph.svg"
check "the svg is well-formed XML" python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$T/flamegraph.svg"
check "the svg is self-contained (no external references)" \
	bash -c "! grep -qE '(href|src)=\"(https?:|//)|@import|url\\(' '$T/flamegraph.svg'"
python3 - "$T/flamegraph.svg" "$total" <<'PY' >"$T/svg.check"
import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
gs = [g for g in d.getElementsByTagName("g") if g.getAttribute("class") == "f"]
root = [g for g in gs if g.getAttribute("data-d") == "0"]
print("frames", len(gs), "root", root[0].getAttribute("data-w") if root else None)
fams = set(g.getAttribute("data-fam") for g in gs)
print("families", sorted(fams))
ok = len(root) == 1 and int(root[0].getAttribute("data-w")) == int(sys.argv[2]) and {"p", "u", "k"} <= fams
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$T/svg.check"
check "the svg's root frame holds every sample; process, user and kernel frames have their families" test "$rc" -eq 0
# Screenshots go next to this test's log, so they stay after the run.
SHOTS=$top_builddir/tests/e2e
python3 "$top_srcdir/tests/e2e/svgcheck.py" "$T/flamegraph.svg" "$SHOTS" work_alpha 'work_b' >"$T/browser" 2>&1
rc=$?
cat "$T/browser"
check "headless Chromium: it renders, hover, a click zooms, search (screenshots $SHOTS/flamegraph-*.png)" test "$rc" -eq 0
finish
