# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the fault, load and security tests (tests/faults/).
# Each script has a short form for `make check` and a long form selected by
# environment variables (KILLS=, SECS=, ...), run by bench/fault-*.sh and
# bench/load-*.sh.  Sourced after ../e2e/lib.sh or ../scenarios/lib.sh.

# status_samples [CTL-FUNCTION]: the samples the running daemon has counted.
status_samples() { ${1:-ctl} --status 2>/dev/null | awk '/^samples:/ {print $2; exit}'; }
# status_flushes [CTL-FUNCTION]: the flushes the running daemon has completed.
status_flushes() { ${1:-ctl} --status 2>/dev/null | awk '/^flushes:/ {print $2; exit}'; }
# two_flushes_after N [CTL-FUNCTION]: wait (up to 20 s) until two more flushes
# than N have completed: one of them began after the moment N was read, so
# what was counted then is on disk, however loaded the machine is.
two_flushes_after() {
	local f
	for _ in $(seq 200); do
		f=$(status_flushes "${2:-ctl}")
		[ "${f:-0}" -ge $(($1 + 2)) ] && return 0
		sleep 0.1
	done
	return 1
}
# report_total [REPORT-FUNCTION]: total samples on disk, "" if unreadable.
report_total() {
	${1:-report} --format=json 2>"$T/report.err" | json_query 'j["total_samples"]' 2>/dev/null
}
# rand_ms LO HI: a random number of milliseconds, as seconds for sleep.
rand_s() { awk -v lo="$1" -v hi="$2" -v r="$RANDOM" 'BEGIN {printf "%.3f", (lo + (hi - lo) * r / 32767) / 1000}'; }
# rss PID: "VmRSS VmHWM" in kB.
rss() { awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {print r+0, h+0}' "/proc/$1/status" 2>/dev/null; }
