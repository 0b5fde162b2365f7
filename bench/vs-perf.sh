#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): xenprof next to `perf record -a`, in the same run,
# on the same workload, at the same rate (cpu-clock, 4 kHz per cpu).
# Prints the profilers' CPU time (xenprofd's with its forked flush writers),
# the report latency on each one's data and the bytes on disk, with
# xenprof/perf ratios.
#
#   bench/vs-perf.sh [SECONDS]        (default 10; run as root from the build tree)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
CTL=$top/control/xenprof-ctl
REPORT=$top/report/xenprof-report
BURN=$top/tests/workload/xp-burn
export XENPROFD=$top/daemon/xenprofd
command -v perf >/dev/null || { echo "perf is needed: apt-get install linux-perf" >&2; exit 1; }

T=$(mktemp -d /tmp/xenprof-bench.XXXXXX)
S=$T/sessions
trap '"$CTL" --session-dir="$S" --shutdown >/dev/null 2>&1 || true; rm -rf "$T"' EXIT

cputime() {	# cputime PID: user+system seconds so far
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
# cputime_tree PID: the same plus its children that it has reaped: xenprofd's
# periodic flushes are written by forked children (not for perf record, whose
# child is the workload).  The fields after the command name, which may hold
# spaces, counted from the ")".
cputime_tree() {
	sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{print ($12 + $13 + $14 + $15) / hz}'
}
# cputime_all PID: cputime_tree of PID and of its live children (xenprofd's
# build-id reader, a flush writer still running), and theirs.
cputime_all() {
	local t c
	t=$(cputime_tree "$1")
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		t=$(echo "$t + $(cputime_all "$c")" | bc -l)
	done
	echo "$t"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
timeit() {	# timeit CMD...: wall seconds of one run
	local t0 t1
	t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

"$CTL" --session-dir="$S" --start-daemon --event=cpu-clock:250000 >/dev/null
# xenprofd is two processes (xenprofd(8), PRIVILEGE SEPARATION): the pid
# file's sampler and its privileged parent; the parent's tree counts whole.
xpid=$(cat "$S/xenprofd.pid")
xppid=$(awk '/^PPid:/ {print $2}' "/proc/$xpid/status")
x0=$(cputime_all "$xppid")
"$CTL" --session-dir="$S" --start >/dev/null
perf record -q -o "$T/perf.data" -a -e cpu-clock -c 250000 -- \
	"$BURN" -j 2 "$secs" alpha=50 beta=30 gamma=20 >/dev/null 2>"$T/perf.err" &
ppid=$!
sleep 0.5
pcpu=0
while kill -0 "$ppid" 2>/dev/null; do
	# perf record's own CPU time, sampled until it exits
	c=$(cputime "$ppid" 2>/dev/null || echo "$pcpu"); pcpu=$c; sleep 0.2
done
wait "$ppid" || true
"$CTL" --session-dir="$S" --stop >/dev/null
x1=$(cputime_all "$xppid")	# --stop waited for the last flush writer
xcpu=$(echo "$x1 - $x0" | bc -l)
"$CTL" --session-dir="$S" --shutdown >/dev/null

samples=$("$REPORT" --session-dir="$S" --format=json | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_samples"])')
psamples=$(perf report -i "$T/perf.data" --stdio --sort dso 2>/dev/null | awk '/^# Samples:/ {print $3}' | head -1)

xr=$(for i in 1 2 3 4 5; do timeit "$REPORT" --session-dir="$S" --symbols; done | median)
pr=$(for i in 1 2 3; do timeit perf report -i "$T/perf.data" --stdio --sort dso,sym; done | median)
xbytes=$(du -sb "$S/current" | cut -f1)
pbytes=$(stat -c %s "$T/perf.data")

printf '%-34s %14s %14s %10s\n' "cpu-clock 4 kHz/cpu, ${secs}s, 2 jobs" xenprof "perf record" ratio
printf '%-34s %14s %14s %10s\n' "samples" "$samples" "$psamples" ""
printf '%-34s %14.3f %14.3f %10.3f\n' "profiler CPU time (s)" "$xcpu" "$pcpu" "$(echo "$xcpu / $pcpu" | bc -l)"
printf '%-34s %14.4f %14.4f %10.3f\n' "report latency --symbols (s)" "$xr" "$pr" "$(echo "$xr / $pr" | bc -l)"
printf '%-34s %14d %14d %10.3f\n' "bytes on disk" "$xbytes" "$pbytes" "$(echo "$xbytes / $pbytes" | bc -l)"
