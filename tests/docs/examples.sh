#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The examples of the user guide run as written.  Every fenced ```sh block
# of doc/user-guide.md whose first line is "# test" (or "# test xen" for
# the simulated Xen host) is run, in order, in one bash, in a scratch
# directory:
#   - xenprof-ctl and xenprof-report are the build tree's, with
#     --session-dir=SCRATCH/sys put first (an explicit --session-dir in an
#     example wins; record keeps its ./xenprof_data), so the machine's /var/lib/xenprof is never touched;
#   - tests/ is the build tree's tests/ (fakexen, the guest image fixture,
#     the workload, xen-syms);
#   - a "# expect: REGEX" line in a block must match the block's output;
#   - any failing command fails the test (add "|| true" where a failure is
#     part of the example).
# With DOCS_SHOW=1 each block's output is printed (to refresh the guide).
. "$(dirname "$0")/../e2e/lib.sh"
need_root
need_perf_events
GUIDE=$top_srcdir/doc/user-guide.md
[ -f "$GUIDE" ] || { bad "no $GUIDE"; finish; exit; }

W=$T/work
mkdir -p "$W" "$T/bin"
ln -s "$top_builddir/tests" "$W/tests"
# The real xen-syms for the "# test xen" blocks (fetched once, as the scenarios do).
XEN_OK=1
[ -x "$top_builddir/tests/fakexen/fakexen" ] || XEN_OK=0
if [ "$XEN_OK" = 1 ] && [ ! -s "$top_builddir/tests/data/xen-syms-4.17-amd64" ]; then
	if [ -s "$top_srcdir/tests/data/xen-syms-4.17-amd64" ]; then
		mkdir -p "$top_builddir/tests/data"
		ln -sf "$top_srcdir/tests/data/xen-syms-4.17-amd64" "$top_builddir/tests/data/"
	else
		"$top_srcdir/tests/data/fetch-xen-syms.sh" "$top_builddir/tests/data" >/dev/null 2>&1 || XEN_OK=0
	fi
fi
[ "$XEN_OK" = 1 ] || bad "the '# test xen' blocks cannot run: fakexen is not built (libxen-dev) or the real xen-syms could not be fetched (tests/data/fetch-xen-syms.sh)"

# The blocks, as one script.
python3 - "$GUIDE" "$T/blocks" "$XEN_OK" <<'PY' || { bad "cannot extract the examples"; finish; exit; }
import os, re, sys
guide, out, xen_ok = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
os.makedirs(out, exist_ok=True)
lines = open(guide).read().split("\n")
n = 0
i = 0
while i < len(lines):
    if lines[i].strip() in ("```sh", "```bash") and i + 1 < len(lines) and lines[i + 1].startswith("# test"):
        tag = lines[i + 1].split()
        start = i + 1
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        body = lines[i + 2:j]
        i = j
        if "xen" in tag[2:] and not xen_ok:
            continue
        n += 1
        with open(os.path.join(out, "%03d.sh" % n), "w") as f:
            f.write("# %s:%d\n" % (os.path.basename(guide), start + 1))
            f.write("\n".join(body) + "\n")
        with open(os.path.join(out, "%03d.expect" % n), "w") as f:
            for b in body:
                m = re.match(r"\s*# expect: (.*)", b)
                if m:
                    f.write(m.group(1) + "\n")
    i += 1
print(n)
PY
nblocks=$(ls "$T/blocks"/*.sh 2>/dev/null | wc -l)
check "the guide has tested examples ($nblocks)" test "$nblocks" -ge 5

# The wrappers: the build tree's programs on a scratch session dir.
# (record keeps its own default, ./xenprof_data, in the scratch work dir)
cat >"$T/bin/xenprof-ctl" <<SH
#!/bin/sh
case "\$1" in record|--record) exec "$CTL" "\$@" ;; esac
exec "$CTL" --session-dir="$T/sys" "\$@"
SH
cat >"$T/bin/xenprof-report" <<SH
#!/bin/sh
exec "$REPORT" --session-dir="$T/sys" "\$@"
SH
chmod +x "$T/bin/xenprof-ctl" "$T/bin/xenprof-report"

{
	echo 'set -o errtrace'
	echo 'trap '\''echo "FAILED at $BLOCK: $BASH_COMMAND (exit $?)" >&3; exit 1'\'' ERR'
	for b in "$T/blocks"/*.sh; do
		o=${b%.sh}.out
		echo "BLOCK='$(head -1 "$b" | cut -c3-)'"
		echo "exec >'$o' 2>&1"
		tail -n +2 "$b"
		echo "exec >&4 2>&4"
		echo "echo \"ran \$BLOCK\" >&3"
	done
} >"$T/all.sh"

# fakexen daemons and hosts the examples start are ended on exit, pass or fail.
docs_cleanup() {
	for p in $(find "$W" -name xenprofd.pid 2>/dev/null); do
		kill -9 "$(cat "$p")" 2>/dev/null || true
	done
	for h in $(find "$W" -maxdepth 4 -name 'fakexen.pid' -printf '%h\n' 2>/dev/null); do
		"$top_builddir/tests/fakexen/fakexen" down --dir "$h" >/dev/null 2>&1 || true
	done
	"$CTL" --session-dir="$T/sys" --shutdown >/dev/null 2>&1 || true
}
CLEANUP_HOOK=docs_cleanup

(
	cd "$W" &&
	PATH=$T/bin:$top_builddir/daemon:$PATH XENPROF_REPORT=$REPORT XENPROF_RUNDIR=$T/run \
		timeout 120 bash "$T/all.sh" 3>&1 4>&1
)
rc=$?
for b in "$T/blocks"/*.sh; do
	o=${b%.sh}.out
	[ -f "$o" ] || continue
	what=$(head -1 "$b" | cut -c3-)
	if [ "${DOCS_SHOW:-0}" = 1 ]; then
		echo "----- $what"; cat "$o"
	fi
	while IFS= read -r pat; do
		[ -n "$pat" ] || continue
		if grep -qE -- "$pat" "$o"; then ok "$what: output matches /$pat/"
		else bad "$what: output does not match /$pat/:"; sed 's/^/    /' "$o" | head -40
		fi
	done <"${b%.sh}.expect"
done
check "every example ran (exit $rc)" test "$rc" -eq 0
if [ "$rc" -ne 0 ]; then
	last=$(ls "$T/blocks"/*.out 2>/dev/null | tail -1)
	[ -n "$last" ] && { echo "# output of the failing block:"; sed 's/^/    /' "$last" | tail -30; }
fi
finish
