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
# Then, in the same bash, the other examples: every .Bd -literal block of
# the man pages' EXAMPLES sections (xenprof-ctl(1) first, whose sessions
# xenprof-report(1)'s use; a leading "# " or "$ " prompt dropped) and the
# README's short tour.  Their workload, `make -j4`, is a `make` first in
# PATH that runs the workload for a second as `cc1`; a block that reports
# must show it (its functions, with --symbols).  (The README's Xen block needs a real dom0's
# images: the guide's "# test xen" blocks run that workflow on fakexen.)
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

# The man pages' and the README's examples, numbered after the guide's.
python3 - "$T/blocks" "$nblocks" "$T" "$top_srcdir/doc/xenprof-ctl.1" "$top_srcdir/doc/xenprof-report.1" \
	"$top_srcdir/doc/xenprofd.8" "$top_srcdir/README.md" <<'PY' || bad "cannot extract the man pages' and README's examples"
import os, re, sys
out, n, tmp, files = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
def emit(src, line, body):
    global n
    n += 1
    # The man pages share a session dir of their own, the README another.
    sess = os.path.join(tmp, "readme" if src.endswith(".md") else "man")
    with open(os.path.join(out, "%03d.sh" % n), "w") as f:
        f.write("# %s:%d\n" % (os.path.basename(src), line))
        f.write("export DOCS_SESSION_DIR=%s\n" % sess)
        f.write("\n".join(body) + "\n")
    with open(os.path.join(out, "%03d.expect" % n), "w") as f:
        # A report shows the workload: its functions, or at least its image.
        if any(b.startswith("xenprof-report") and "--symbols" in b for b in body):
            f.write("work_alpha\n")
        elif any(b.startswith("xenprof-report") for b in body):
            f.write("cc1\n")
for src in files:
    lines = open(src).read().split("\n")
    if src.endswith(".md"):
        for i, l in enumerate(lines):
            if l.startswith("## A short tour"):
                j = i + 2
                body = []
                while j < len(lines) and lines[j].startswith("    "):
                    body.append(lines[j][4:])
                    j += 1
                emit(src, i + 3, body)
        continue
    inex = False
    for i, l in enumerate(lines):
        if l.startswith(".Sh "):
            inex = l.strip() == ".Sh EXAMPLES"
        elif inex and l.startswith(".Bd -literal"):
            j, body = i + 1, []
            while lines[j] != ".Ed":
                b = re.sub(r"^[#$] ", "", lines[j]).replace("\\-", "-").replace("\\e", "\\")
                body.append(b)
                j += 1
            emit(src, i + 2, body)
PY
nmore=$(( $(ls "$T/blocks"/*.sh 2>/dev/null | wc -l) - nblocks ))
check "the man pages and the README have tested examples ($nmore)" test "$nmore" -ge 5

# The wrappers: the build tree's programs on a scratch session dir.
# (record keeps its own default, ./xenprof_data, in the scratch work dir)
cat >"$T/bin/xenprof-ctl" <<SH
#!/bin/sh
case "\$1" in record|--record) exec "$CTL" "\$@" ;; esac
exec "$CTL" --session-dir="\${DOCS_SESSION_DIR:-$T/sys}" "\$@"
SH
cat >"$T/bin/xenprof-report" <<SH
#!/bin/sh
exec "$REPORT" --session-dir="\${DOCS_SESSION_DIR:-$T/sys}" "\$@"
SH
# The man pages' workload: `make -j4` runs the workload as cc1 for a second.
cp "$BURN" "$T/bin/cc1"
cat >"$T/bin/make" <<SH
#!/bin/sh
exec "$T/bin/cc1" 1 alpha=50 beta=30 gamma=20
SH
chmod +x "$T/bin/xenprof-ctl" "$T/bin/xenprof-report" "$T/bin/make"

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
	for s in "$T/sys" "$T/man" "$T/readme"; do
		"$CTL" --session-dir="$s" --shutdown >/dev/null 2>&1 || true
	done
}
CLEANUP_HOOK=docs_cleanup

(
	cd "$W" &&
	PATH=$T/bin:$top_builddir/tests/bin:$PATH XENPROF_REPORT=$REPORT \
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
