#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --annotate on this machine (perf backend): a workload whose time is in one
# loop (tests/workload/xp-loop) is recorded; the annotation of hot_loop
# accounts for every one of its samples instruction by instruction, lists
# first the instructions of the loop (between the backward branch and its
# target) and the loop's source lines (marked HOT), and the --source,
# --assembly and --format=json forms agree.  A kernel symbol symbolized from
# kallsyms says what to give; a symbol with no samples is refused in one
# line naming the hottest ones.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
LOOP=$T/xp-loop
cp "$top_builddir/tests/workload/xp-loop" "$LOOP"

check "record xp-loop" ctl record --event=cpu-clock:250000 -- "$LOOP" 1.5 >/dev/null
report -l --format=json image:xp-loop >"$T/rows.json"
want=$(json_query '[r["samples"] for r in j["rows"] if r.get("symbol") == "hot_loop"][0]' <"$T/rows.json")
check "hot_loop has samples ($want)" test "${want:-0}" -gt 200

report --annotate=hot_loop --format=json image:xp-loop >"$T/an.json"
check "--annotate --format=json is one JSON object" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/an.json"
python3 - "$T/an.json" "$want" <<'PY' >"$T/an.check"
import json, re, sys
j = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
syms = [s for s in j["symbols"] if s["symbol"] == "hot_loop"]
ok = True
def say(what, cond):
    global ok
    print(("ok" if cond else "FAIL") + " - " + what)
    ok = ok and cond
say("one annotated hot_loop (%d)" % len(syms), len(syms) == 1)
s = syms[0]
say("its samples equal the report's row (%d == %d)" % (s["samples"], want), s["samples"] == want)
rg = s["ranges"][0]
ins = rg["instructions"]
tot = sum(i["samples"] for i in ins)
say("every sample is on an instruction (%d == %d)" % (tot, want), tot == want)
addr = {int(i["address"], 16): i for i in ins}
# The loop: a backward conditional jump inside the function and its target.
loops = []
for i in ins:
    m = re.match(r"j\w+\s+0x([0-9a-f]+)$", i["text"])
    a = int(i["address"], 16)
    if m and not i["text"].startswith("jmp") and int(m.group(1), 16) < a:
        loops.append((int(m.group(1), 16), a + i["size"]))
say("a backward branch closes the loop: %s" % ["0x%x-0x%x" % l for l in loops], len(loops) >= 1)
lo, hi = max(loops, key=lambda l: sum(i["samples"] for a, i in addr.items() if l[0] <= a < l[1]))
inloop = sum(i["samples"] for a, i in addr.items() if lo <= a < hi)
say("the loop 0x%x-0x%x holds most samples (%d of %d)" % (lo, hi, inloop, tot), inloop * 10 >= tot * 8)
hot = [int(h, 16) for h in rg["hottest"]]
say("the hottest instructions are all the loop's: %s" % rg["hottest"], hot and all(lo <= a < hi for a in hot))
order = sorted(ins, key=lambda i: -i["samples"])
say("the hottest list starts with the hottest instruction", hot[0] == int(order[0]["address"], 16))
lines = sorted(s["ranges"][0]["lines"], key=lambda l: -l["samples"])
top = [l for l in lines if l["samples"] > 0][:3]
say("the top source lines are the loop's (%s)" % [(l["line"], l.get("text", "").strip()[:30]) for l in top],
    len(top) >= 2 and sum("HOT" in l.get("text", "") or "for (" in l.get("text", "") for l in top) == len(top))
say("the lines' samples add up too", sum(l["samples"] for l in s["ranges"][0]["lines"]) == want)
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$T/an.check"
check "the JSON annotation of hot_loop is right" test "$rc" -eq 0

# Text: the first instruction under "Hottest instructions" is the JSON's hottest.
report --annotate=hot_loop image:xp-loop >"$T/an.txt"
sed -n '1,20p' "$T/an.txt"
first=$(awk '/^Hottest instructions/ {getline; getline; print $3; exit}' "$T/an.txt")
jfirst=$(json_query 'j["symbols"][0]["ranges"][0]["hottest"][0][2:]' <"$T/an.json")
check "text: the hottest instruction comes first ($first ends with $jfirst)" \
	python3 -c "import sys; sys.exit(0 if int('$first', 16) == int('$jfirst', 16) else 1)"
check "text: the default form interleaves source lines" grep -q ': xp-loop.c:[0-9]*  .*HOT' "$T/an.txt"
check "text: percentages are of the symbol" grep -q '^percentages are of the symbol' "$T/an.txt"
report --annotate=hot_loop --source image:xp-loop >"$T/src.txt"
check "--source lists the function's lines with their samples" \
	grep -qE '^  [0-9]+ +[0-9.]+ +[0-9]+ .*HOT' "$T/src.txt"
check "--source has no disassembly" bash -c "! grep -q '^Assembly' '$T/src.txt'"
report --annotate=hot_loop --assembly image:xp-loop >"$T/asm.txt"
check "--assembly: the listing, no source lines" \
	bash -c "grep -q '^Assembly' '$T/asm.txt' && ! grep -q '^Source ' '$T/asm.txt' && ! grep -q ': xp-loop.c' '$T/asm.txt'"
report --annotate=hot_loop --assembly --asm-syntax=intel image:xp-loop >"$T/intel.txt"
check "--asm-syntax=intel" bash -c "grep -qE 'imul +r' '$T/intel.txt' && ! grep -q '%r' '$T/intel.txt'"

# Every symbol above a threshold, hottest first; kernel symbols without a vmlinux say why.
report --annotate -t 2 >"$T/all.txt"
check "--annotate without a name: hot_loop among the symbols" grep -q '^hot_loop: ' "$T/all.txt"
if grep -q '^\[kernel.kallsyms\]\|image \[kernel.kallsyms\]' "$T/all.txt"; then
	check "a kallsyms kernel symbol says to give --vmlinux" grep -q 'give --vmlinux=FILE' "$T/all.txt"
fi
expect_fail "a symbol without samples" "no such symbol with samples.*the hottest: .*hot_loop" \
	"$REPORT" --session-dir="$S" --annotate=no_such_function image:xp-loop
expect_fail "--annotate with csv" "text or json output only" \
	"$REPORT" --session-dir="$S" --annotate --format=csv
expect_fail "--asm-syntax needs att or intel" "use att or intel" \
	"$REPORT" --session-dir="$S" --annotate --asm-syntax=gas
finish
