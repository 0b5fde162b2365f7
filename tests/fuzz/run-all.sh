#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run every fuzz target for N seconds (default 60) on a fresh copy of its
# seed corpus; crashes land in $OUT (default /tmp/xenprof-fuzz).
# Usage: tests/fuzz/run-all.sh [SECONDS]   (from the build dir of
#        ./configure CC=clang --enable-fuzzing, after `make fuzz`)
set -u
T=${1:-60}
OUT=${OUT:-/tmp/xenprof-fuzz}
B=$(dirname "$0")
S=${top_srcdir:-$B/../..}/tests/fuzz
rc=0
for t in samples eventspec perfring spec control xoring fxconfig archive; do
	[ -x "$B/fuzz-$t" ] || { echo "fuzz-$t: not built"; continue; }
	rm -rf "$OUT/$t" && mkdir -p "$OUT/$t/corpus" "$OUT/$t/crash"
	cp "$S/corpus/$t"/* "$OUT/$t/corpus/"
	"$B/fuzz-$t" -max_total_time="$T" -artifact_prefix="$OUT/$t/crash/" \
		-print_final_stats=1 "$OUT/$t/corpus" >"$OUT/$t/log" 2>&1
	r=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t/log")
	echo "fuzz-$t: exit $r, ${execs:-?} execs, $(ls "$OUT/$t/crash" | wc -l) crash files"
	[ $r -eq 0 ] || rc=1
done
exit $rc
