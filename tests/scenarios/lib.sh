# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the fakexen scenarios: a simulated Xen host per test
# (tests/fakexen), xenprof-ctl run inside a domain with `fakexen exec`, and
# an exact comparison of each domain's report with the simulator's truth.

. "$(dirname "$0")/../e2e/lib.sh"
FAKEXEN=$top_builddir/tests/fakexen/fakexen
FIXTURE_SRC=$top_builddir/tests/fakexen/fx-fixture
HOST=$T/host
APP_PIDS=""

[ -x "$FAKEXEN" ] || missing "fakexen is not built (configure found no libxen-dev: apt-get install libxen-dev, or ./quickstart)"

# Guest kernels and a live dom0 application: copies with unique paths.
FIXTURE=$T/vmlinux-guest
cp "$FIXTURE_SRC" "$FIXTURE"
APP=$T/app
cp "$FIXTURE_SRC" "$APP"

scenario_cleanup() {
	for d in "$T"/s*; do
		[ -d "$d" ] || continue
		if [ -f "$d/xenprofd.pid" ]; then
			p=$(cat "$d/xenprofd.pid" 2>/dev/null || true)
			[ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
		fi
	done
	[ -n "$APP_PIDS" ] && kill $APP_PIDS 2>/dev/null || true
	"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1 || true
}
CLEANUP_HOOK=scenario_cleanup

# start_app: a live dom0 process for `work 0 user pid=$APP_PID:SYMBOL` lines.
start_app() {
	"$APP" spin &
	APP_PID=$!
	APP_PIDS="$APP_PIDS $APP_PID"
	sleep 0.2
}

fx_up() {	# fx_up CONFIG-FILE
	"$FAKEXEN" up --dir "$HOST" --config "$1"
}

# xctl DOMAIN ARGS...: xenprof-ctl inside DOMAIN, session dir $T/sDOMAIN.
xctl() {
	local dom=$1; shift
	"$FAKEXEN" exec --dir "$HOST" --domain "$dom" -- "$CTL" --session-dir="$T/s$dom" "$@"
}
# xreport DOMAIN ARGS...: the report of the session taken in DOMAIN.
xreport() {
	local dom=$1; shift
	"$REPORT" --session-dir="$T/s$dom" "$@"
}

# compare_truth DOMAIN-OF-SESSION DOMAINS [REPORT-ARGS...]: every (domain,
# symbol) the truth delivered for DOMAINS (comma list) equals the report's
# samples exactly, and so do the lost counts.  The user space of the
# domains in $PASSIVE (comma list) is compared as a whole against [user].
compare_truth() {
	local sdom=$1 doms=$2; shift 2
	"$FAKEXEN" truth --dir "$HOST" >"$T/truth.json"
	xreport "$sdom" --symbols --format=json "$@" >"$T/report.json" || { bad "report of dom$sdom"; return; }
	if python3 - "$T/truth.json" "$T/report.json" "$doms" "${PASSIVE:-}" >"$T/cmp" 2>&1 <<'PY'
import collections, json, sys
truth = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
doms = set(int(d) for d in sys.argv[3].split(","))
want, got = collections.Counter(), collections.Counter()
wlost = collections.Counter()
passive = set(int(d) for d in sys.argv[4].split(",") if d)
for b in truth["by"]:
    if b["domain"] not in doms:
        continue
    sym = b["symbol"]
    if b["mode"] == "user" and b["domain"] in passive:
        sym = "[user]"
    if b["delivered"]:
        want[(b["domain"], sym)] += b["delivered"]
    wlost[b["domain"]] += b["lost"]
for r in rep["rows"]:
    sym = "[user]" if r["image"] == "[user]" else r.get("symbol", "?")
    got[(r["domain"], sym)] += r["samples"]
ok = True
for k in sorted(set(want) | set(got)):
    if want[k] != got[k]:
        print("  %s: truth %d, report %d" % (k, want[k], got[k]))
        ok = False
# the domains the report shows are exactly those asked
shown = set(d for d, s in got)
if not shown <= doms:
    print("  the report shows domains %s, expected only %s" % (sorted(shown), sorted(doms)))
    ok = False
tl = sum(wlost[d] for d in doms)
if rep["lost_samples"] != tl:
    print("  lost: truth %d, report %d" % (tl, rep["lost_samples"]))
    ok = False
print("  %d samples in %d (domain, symbol) pairs, %d lost" % (sum(got.values()), len(got), rep["lost_samples"]))
sys.exit(0 if ok else 1)
PY
	then ok "dom$sdom's report equals the truth for domains $doms: $(tail -1 "$T/cmp")"
	else bad "dom$sdom's report differs from the truth for domains $doms:"; cat "$T/cmp"
	fi
}

# totals_add_up: the simulator's generated = delivered + lost + unprofiled.
totals_add_up() {
	"$FAKEXEN" truth --dir "$HOST" | python3 -c '
import json, sys
t = json.load(sys.stdin)
sys.exit(0 if t["generated"] == t["delivered"] + t["lost"] + t["unprofiled"] else 1)'
}
