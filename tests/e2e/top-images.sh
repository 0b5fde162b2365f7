#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --top tells apart two images that share a name: two copies of the workload
# with the same basename in two directories show as a/xp-burn and
# b/xp-burn (the shortest tails of their paths that differ), not as two
# identical "xp-burn" rows, once both are in the session.
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
export XENPROF_REPORT=$REPORT
mkdir -p "$T/a" "$T/b"
cp "$BURN_SRC" "$T/a/xp-burn"
cp "$BURN_SRC" "$T/b/xp-burn"

ctl --start --event=cpu-clock:250000 >/dev/null || { bad "--start"; finish; exit; }
nice -n -10 "$T/a/xp-burn" 6 alpha=100 >/dev/null &
A=$!
nice -n -10 "$T/b/xp-burn" 6 beta=100 >/dev/null &
B=$!
CLEANUP_HOOK="kill $A $B 2>/dev/null"
ctl --top -d 1 -n 3 >"$T/plain" 2>"$T/err"
check "--top -n 3 exits 0" test $? -eq 0
# The last frame (in the first, one copy may not have run yet).
awk '/^xenprof top - / {n++} n == 3' "$T/plain" >"$T/last"
sed -n '/SAMPLES  /,$p' "$T/last" | head -12
check "copy a shows as a/xp-burn" grep -qE ' a/xp-burn +work_alpha' "$T/last"
check "copy b shows as b/xp-burn" grep -qE ' b/xp-burn +work_beta' "$T/last"
check "no row names a bare xp-burn" bash -c "! grep -qE '  xp-burn +work_' '$T/last'"
kill "$A" "$B" 2>/dev/null
wait "$A" "$B" 2>/dev/null
finish
