#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every event table entry is reachable from --list-events=all and accepted by
# --event: each event at its minimum count, and with each of its unit mask
# values; one below the minimum and a misspelt name are refused, the latter
# with the nearest name.  --list-events narrows by cpu type (full or short
# name) and backend, defaults to this host's table (here: perf's, not on
# Xen), looks up one event in ophelp's layout; opcontrol's short options
# (-e, -c, -p, -l) are accepted.  (The Xen host's default: doctor/fakexen.sh.)
. "$(dirname "$0")/lib.sh"
need_root
mkdir -p "$S"

"$CTL" --list-events=all >"$T/all" 2>"$T/err"
check "--list-events=all exits 0" [ $? -eq 0 ]
check "--list-events=all: no warnings" [ ! -s "$T/err" ]
has "$T/all" "perf table" '^backend perf, cpu type timer:'
has "$T/all" "perf: cpu-clock described" '^  cpu-clock +- +10000 .*CPU time'
has "$T/all" "perf: raw events described" '^  rNNNN .*raw PMU event'
for t in i386/arch_perfmon i386/core_2 x86-64/hammer x86-64/family10 x86-64/family11h \
	x86-64/family12h x86-64/family14h x86-64/family15h; do
	if grep -q '^backend xenoprof' "$T/all"; then
		has "$T/all" "table $t listed" "^backend xenoprof, cpu type $t:\$"
	fi
done
has "$T/all" "named and numeric unit masks" '^        0xc0 all_cores +every core'

# Walk the listing: "backend B, cpu type T:" headers, event lines, unit mask values.
awk '
/^backend / { b = $2; sub(",", "", b); next }
/^  NAME / { next }
/^  [^ ]/ { name = $1; min = $3; if (name == "rNNNN") name = "r00c0"; print b, name, min, ""; next }
/^        0x/ { print b, name, min, $1 }
' "$T/all" >"$T/specs"
n=$(wc -l <"$T/specs")
check "the listing has events ($n specs)" [ "$n" -gt 200 ]
bad=0 host=0
while read -r b name min um; do
	spec=$name:$min${um:+:$um}
	if ! "$CTL" --session-dir="$S" --setup --backend="$b" --event="$spec" >/dev/null 2>"$T/e1"; then
		# --setup checks the tables first, then whether this machine can
		# count the event (a PMU; Xen for xenoprof): a refusal of that
		# kind means the tables took it.
		if grep -qE "this machine has no hardware PMU|this machine is not a Xen domain" "$T/e1"; then
			host=$((host + 1)); continue
		fi
		bad=$((bad + 1)); echo "refused: --backend=$b --event=$spec: $(cat "$T/e1")"
	fi
done <"$T/specs"
check "every listed event and unit mask value is accepted by --event ($n specs; $host of them then refused by this machine)" [ "$bad" -eq 0 ]
# One below the minimum is refused (a sample of each table's first event).
# (an event name several cpu types share is valid down to the smallest of their minimums)
awk '$4 == "" { k = $1 " " $2; if (!(k in m) || $3 < m[k]) m[k] = $3 }
END { for (k in m) if (m[k] > 1) print k, m[k] }' "$T/specs" | sort | head -60 | while read -r b name min; do
	"$CTL" --session-dir="$S" --setup --backend="$b" --event="$name:$((min - 1))" >/dev/null 2>&1 &&
		echo "accepted below minimum: $b $name:$((min - 1))"
done >"$T/below"
check "counts below the minimum are refused" [ ! -s "$T/below" ]

if grep -q '^backend xenoprof' "$T/all"; then
	expect_fail "a misspelt xenoprof event names the nearest" "nearest is 'BUS_IO_WAIT'" \
		"$CTL" --session-dir="$S" --setup --backend=xenoprof --event=BUS_IO_WAITT:500
	expect_fail "a unit mask outside the table is refused" "0xc0 all_cores, 0x40 this_core" \
		"$CTL" --session-dir="$S" --setup --backend=xenoprof --event=BUS_IO_WAIT:500:0x41
	"$CTL" --list-events=i386/core_2 >"$T/one"
	has "$T/one" "--list-events=CPUTYPE shows that type" '^backend xenoprof, cpu type i386/core_2:'
	check "--list-events=CPUTYPE shows only that type" [ "$(grep -c '^backend' "$T/one")" -eq 1 ]
	"$CTL" --list-events --backend=xenoprof >"$T/xo"
	hasnt "$T/xo" "--backend=xenoprof leaves perf out" '^backend perf'
	XENPROF_EVENTS_DIR=$T/none "$CTL" --list-events --backend=xenoprof >/dev/null 2>"$T/err"
	check "missing tables: non-zero exit" [ $? -ne 0 ]
	has "$T/err" "missing tables are named" "cannot read $T/none/cpu_types"
fi
# The default: this host's table only (not on Xen here: perf's).
"$CTL" --list-events >"$T/default" 2>"$T/err"
check "--list-events exits 0" [ $? -eq 0 ]
check "--list-events on a host without Xen: the perf table only" \
	[ "$(grep -c '^backend' "$T/default")" -eq 1 -a "$(grep -c '^backend perf, cpu type timer:' "$T/default")" -eq 1 ]
has "$T/default" "it says how to list every table" 'every table: --list-events=all'
if grep -q '^backend xenoprof' "$T/all"; then
	"$CTL" --list-events=core_2 >"$T/short"
	check "a short cpu type name (core_2)" \
		[ "$(grep -c '^backend xenoprof, cpu type i386/core_2:' "$T/short")" -eq 1 -a "$(grep -c '^backend' "$T/short")" -eq 1 ]
	"$CTL" --list-events=BUS_IO_WAIT >"$T/ev"
	cat "$T/ev"
	has "$T/ev" "one event, ophelp's first line" '^BUS_IO_WAIT: \(counter: all\)$'
	has "$T/ev" "its description and minimum" $'^\t.*bus queue \\(min count: 500\\)$'
	has "$T/ev" "its unit masks' default" $'^\tUnit masks \\(default 0x40\\)$'
	has "$T/ev" "the unit mask's values, named" $'^\t0xc0: \\(name=all_cores\\) '
	has "$T/ev" "under its table's line" '^backend xenoprof, cpu type i386/core_2:$'
	expect_fail "a misspelt event names the nearest" "nearest event 'BUS_IO_WAIT'" "$CTL" --list-events=BUS_IO_WAT
fi
"$CTL" --list-events=cpu-clock >"$T/cc"
has "$T/cc" "a perf event by name" '^cpu-clock: \(counter: all\)$'
# opcontrol's short options.
"$CTL" -l >"$T/l"
check "-l is --list-events" cmp -s "$T/l" "$T/default"
mkdir -p "$T/so"
check "-e EVENT -c DEPTH -p SEPARATE (opcontrol's short options)" \
	"$CTL" --session-dir="$T/so" --setup -e cpu-clock:200000 -c 8 -p library
check "... stored as --event, --callgraph, --separate" \
	bash -c "grep -qx -- '--event=cpu-clock:200000' '$T/so/setup' && grep -qx -- '--callgraph=8' '$T/so/setup' && grep -qx -- '--separate=library' '$T/so/setup'"
check "--event VALUE (opcontrol's spelling of --event=VALUE)" \
	bash -c "'$CTL' --session-dir='$T/so' --setup --event cpu-clock:300000 >/dev/null && grep -qx -- '--event=cpu-clock:300000' '$T/so/setup'"
expect_fail "-i (opcontrol's --image) says where image selection is" "at report time|image:LIST" "$CTL" -i /bin/ls
expect_fail "a misspelt perf event names the nearest" "nearest is 'cpu-clock'" \
	"$CTL" --session-dir="$S" --setup --backend=perf --event=cpu-clok:100000
"$CTL" --list-events=timer --backend=perf >"$T/p"
check "--list-events=timer --backend=perf: perf only" [ "$(grep -c '^backend' "$T/p")" -eq 1 ]
expect_fail "unknown cpu type" "no such cpu type" "$CTL" --list-events=x86-64/family99h
expect_fail "--list-events takes only --backend" "takes only --backend" "$CTL" --list-events --event=cpu-clock:100000
finish
