# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the end-to-end tests: each test sources this, gets a
# private session dir under a mktemp -d, and has its daemon shut down (or
# killed) on exit, pass or fail.

set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
# The test builds (tests/Makefile.am, TESTBIN): the programs with the
# test-only hooks (XENPROF_SYSROOT, XENPROF_EVENTS_DIR, the replay backend).
CTL=$top_builddir/tests/bin/xenprof-ctl
REPORT=$top_builddir/tests/bin/xenprof-report
XPD=$top_builddir/tests/bin/xenprofd
BURN_SRC=$top_builddir/tests/workload/xp-burn
export XENPROFD=$XPD

T=$(mktemp -d /tmp/xenprof-e2e.XXXXXX)
S=$T/sessions
fails=0
checks=0

cleanup() {
	eval "${CLEANUP_HOOK:-true}"
	"$CTL" --session-dir="$S" --shutdown >/dev/null 2>&1 || true
	if [ -f "$S/xenprofd.pid" ]; then
		pid=$(cat "$S/xenprofd.pid" 2>/dev/null || true)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
# Each test runs its own copy of the workload, so that tests running at the
# same time (make -j check) never count each other's samples.
BURN=$T/$(basename "$0" .sh)-burn
cp "$BURN_SRC" "$BURN"

ctl() { "$CTL" --session-dir="$S" "$@"; }
report() { "$REPORT" --session-dir="$S" "$@"; }

# A piece the test needs is missing: that is a FAIL naming the piece (no
# test passes by skipping, so CI cannot turn green without running it).
missing() { echo "FAIL - cannot run $(basename "$0"): $*"; exit 1; }
need_root() { [ "$(id -u)" -eq 0 ] || missing "needs root (uid 0), running as uid $(id -u)"; }
# The system user the sampler runs as (configure --with-sampler-user); tests
# that take nobody for an attacker need the sampler to be someone else.
SAMPLER_USER=$(sed -n 's/^#define XP_SAMPLER_USER "\(.*\)"$/\1/p' "$top_builddir/config.h")
need_sampler_user() {
	id "${SAMPLER_USER:-_xenprof}" >/dev/null 2>&1 ||
		missing "the system user ${SAMPLER_USER:-_xenprof}, which xenprofd's sampler runs as, does not exist (./quickstart creates it, as the package does; or useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${SAMPLER_USER:-_xenprof})"
}
need_perf_events() {
	"$CTL" --session-dir="$T/probe" --start-daemon --event=cpu-clock:1000000 >/dev/null 2>"$T/probe.err" ||
		missing "perf_event is not usable here: $(cat "$T/probe.err")"
	"$CTL" --session-dir="$T/probe" --shutdown >/dev/null 2>&1
}
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing "the command $1 is not installed"; }

ok() { checks=$((checks + 1)); echo "ok - $*"; }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL - $*"; }
check() {	# check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# expect_fail DESCRIPTION PATTERN COMMAND...: non-zero exit, exactly one
# stderr line matching PATTERN, no crash (exit < 128).
expect_fail() {
	local what=$1 pat=$2 rc lines; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ "$lines" -eq 1 ] && grep -qiE "$pat" "$T/err"; then
		ok "$what: $(cat "$T/err")"
	else
		bad "$what: exit $rc, $lines stderr line(s): $(head -c 600 "$T/err")"
	fi
}

# json_query 'PYTHON EXPR over j' < report.json
json_query() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

finish() {
	echo "$((checks - fails)) passed, $fails failed"
	[ "$fails" -eq 0 ]
}

# gone PID: the process has exited (or is a zombie waiting to be reaped), within 3 s.
gone() {
	for _ in $(seq 30); do
		[ -e "/proc/$1" ] || return 0
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# need_xen_syms: XEN_SYMS is the real Xen 4.17 image from Debian
# (tests/data/fetch-xen-syms.sh fetches it into the build tree if needed).
need_xen_syms() {
	XEN_SYMS=""
	for c in "$top_builddir/tests/data/xen-syms-4.17-amd64" "$top_srcdir/tests/data/xen-syms-4.17-amd64"; do
		[ -s "$c" ] && XEN_SYMS=$c && return 0
	done
	mkdir -p "$top_builddir/tests/data"
	XEN_SYMS=$("$top_srcdir/tests/data/fetch-xen-syms.sh" "$top_builddir/tests/data" 2>/dev/null) ||
		missing "the real xen-syms is not available (tests/data/fetch-xen-syms.sh failed; see its output)"
}
