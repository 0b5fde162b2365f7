#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Images by their content, as perf's build-id cache has it: the report and
# archive: find an image by its build-id first (the archive's, the session
# dir's, the user's ~/.debug and the system's build-id caches, then the -p
# dirs, then the recorded path), so that a file replaced at the same path
# (an upgrade) is never used, and one that cannot be found by its build-id
# is named, with both build-ids and where it was looked for, never counted
# silently as [unknown].  Two programs run at one path in one session (an
# upgrade during it) are each symbolized from their own file.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
need_cmd python3
LOOP_SRC=$top_builddir/tests/workload/xp-loop
[ -x "$LOOP_SRC" ] || missing "$LOOP_SRC is not built (make)"
W=$T/prog
bid() { readelf -n "$1" | sed -n 's/.*Build ID: *//p' | head -1; }
# rows_of JSON IMAGE: "SYMBOL=SAMPLES ..." of IMAGE's rows
rows_of() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print(' '.join('%s=%d' % (r.get('symbol'), r['samples']) for r in j['rows'] if r['image'] == sys.argv[2]))
PY
}

# has_sym ROWS SYMBOL: SYMBOL has samples in ROWS (rows_of's output).
has_sym() { case " $1 " in *" $2="[1-9]*) return 0 ;; esac; return 1; }

# 1. The workload at $W, sampled, saved, archived; then $W replaced.
cp "$BURN" "$W"
B1=$(bid "$W")
check "start" ctl --start --event=cpu-clock:1000000
"$W" 1 alpha=70 beta=30 >/dev/null
check "--stop" ctl --stop
check "--save=before" ctl --save=before
check "--archive of it" report --archive="$T/before.tar" session:before
check "the archive holds the workload by build-id (build-id/${B1:0:2}/${B1:2})" \
	bash -c "tar tf '$T/before.tar' | grep -qx 'build-id/${B1:0:2}/${B1:2}'"
report --symbols --format=json session:before >"$T/r0.json"
rows=$(rows_of "$T/r0.json" "$W")
check "before the upgrade: the workload's functions ($rows)" has_sym "$rows" work_alpha
cp "$LOOP_SRC" "$W.new" && mv "$W.new" "$W"		# the upgrade: another program at $W
B2=$(bid "$W")
check "the file at $W has another build-id now ($B1 -> $B2)" test -n "$B2" -a "$B1" != "$B2"

# 2. The replaced file is never used; the image is named with both build-ids.
# (HOME without a ~/.debug: perf record, run on this machine, fills root's.)
HOME=$T/nohome "$REPORT" --session-dir="$S" --symbols --format=json session:before >"$T/r1.json" \
	2>"$T/r1.err"
rows=$(rows_of "$T/r1.json" "$W")
check "the new file's symbols are not used for the old samples ($rows)" \
	bash -c "$(declare -f has_sym); ! has_sym '$rows' hot_loop && ! has_sym '$rows' main"
check "the image is named, with both build-ids and where it was looked for" \
	bash -c "grep -q '$W: build-id differs from the recorded one.*recorded $B1: $W (the recorded path) has $B2.*no file of that build-id in the build-id caches' '$T/r1.err'"
check "and counted as not symbolized, with the reason" \
	bash -c "python3 -c \"import json; j=json.load(open('$T/r1.json')); u=[x for x in j['unsymbolized'] if x['image']=='$W']; assert u and 'build-id differs' in u[0]['reason'], u\""

# 3. Found by build-id in the user's cache (perf's layout), or with -p.
mkdir -p "$T/home/.debug/.build-id/${B1:0:2}" "$T/wrong" "$T/right"
cp "$BURN" "$T/home/.debug/.build-id/${B1:0:2}/${B1:2}"
HOME=$T/home "$REPORT" --session-dir="$S" --symbols --format=json session:before >"$T/r2.json" 2>"$T/r2.err"
rows=$(rows_of "$T/r2.json" "$W")
check "from ~/.debug/.build-id: the workload's own functions ($rows)" has_sym "$rows" work_alpha
check "... and no word of a mismatch" bash -c "! grep -q '$W: build-id' '$T/r2.err'"
cp "$LOOP_SRC" "$T/wrong/prog"
cp "$BURN" "$T/right/prog"
HOME=$T/nohome "$REPORT" --session-dir="$S" -p "$T/wrong" --symbols --format=json session:before \
	>"$T/r3.json" 2>"$T/r3.err"
check "a -p file of the same name and another build-id is not used either" \
	bash -c "grep -q '$T/wrong/prog (-p) has $B2' '$T/r3.err' && ! grep -q hot_loop '$T/r3.json'"
HOME=$T/nohome "$REPORT" --session-dir="$S" -p "$T/wrong,$T/right" --symbols --format=json \
	session:before >"$T/r4.json" 2>"$T/r4.err"
rows=$(rows_of "$T/r4.json" "$W")
check "the -p file of the right build-id is ($rows)" has_sym "$rows" work_alpha

# 4. archive: finds it by build-id, whatever is at the path now.
HOME=$T/nohome "$REPORT" --symbols --format=json "archive:$T/before.tar" session:before >"$T/r5.json" 2>"$T/r5.err"
rows=$(rows_of "$T/r5.json" "$W")
check "archive: the workload's functions, from the archive's build-id member ($rows $(head -c 300 "$T/r5.err"))" \
	has_sym "$rows" work_alpha

# 5. Two programs at one path in one session: each its own.
cp "$BURN" "$W.new" && mv "$W.new" "$W"
check "start (a second session)" ctl --start
"$W" 1 alpha=100 >/dev/null
cp "$LOOP_SRC" "$W.new" && mv "$W.new" "$W"
"$W" 1 >/dev/null
check "--stop" ctl --stop
check "--save=upgraded" ctl --save=upgraded
check "--archive of it" report --archive="$T/upgraded.tar" session:upgraded
check "both programs are in the archive, each by its build-id" \
	bash -c "tar tf '$T/upgraded.tar' | grep -qx 'build-id/${B1:0:2}/${B1:2}' && tar tf '$T/upgraded.tar' | grep -qx 'build-id/${B2:0:2}/${B2:2}'"
rm -f "$W"
HOME=$T/nohome "$REPORT" --symbols --format=json "archive:$T/upgraded.tar" session:upgraded >"$T/r6.json" 2>"$T/r6.err"
rows=$(rows_of "$T/r6.json" "$W")
check "from the archive, the old program's and the new one's functions, both at $W ($rows)" \
	bash -c "$(declare -f has_sym); has_sym '$rows' work_alpha && has_sym '$rows' hot_loop"
check "--shutdown" ctl --shutdown
finish
