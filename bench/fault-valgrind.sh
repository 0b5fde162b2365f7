#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xenprofd under valgrind (memcheck) through a fakexen scenario: dom0 and two
# passive guests on the xenoprof backend, a --dump, a --save, a --reset and
# kill-free shutdown.  Prints valgrind's summary for the daemon and each
# process it forked (background flushes); exits 1 on any error or
# definite leak.  Root, in the build tree.   bench/fault-valgrind.sh [SECS]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3}
FAKEXEN=$top/tests/fakexen/fakexen
CTL=$top/tests/bin/xenprof-ctl		# the test builds read the source tree's event tables
GUEST=$top/tests/fakexen/fx-fixture
T=$(mktemp -d /tmp/xenprof-vg.XXXXXX)
trap '"$FAKEXEN" down --dir "$T/host" >/dev/null 2>&1; rm -rf "$T"' EXIT
cp "$GUEST" "$T/vmlinux"
cat >"$T/xenprofd" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \\
	--child-silent-after-fork=no --log-file=$T/vg.%p "$top/tests/bin/xenprofd" "\$@"
WRAP
chmod +x "$T/xenprofd"
export XENPROFD=$T/xenprofd XENPROF_TIMEOUT=60
cat >"$T/host.conf" <<CONF
pcpus 2
rate 5000
xen_image $T/vmlinux
domain 0 name Domain-0 vcpus 1 weight 40 kernel $T/vmlinux
domain 1 name web01 vcpus 1 weight 30 kernel $T/vmlinux
domain 2 name db02 vcpus 1 weight 30 kernel $T/vmlinux
work 0 kernel ext4_file_write 50
work 0 xen do_softirq 20
work 1 kernel schedule 60
work 1 user - 40
work 2 kernel do_page_fault 60
CONF
"$FAKEXEN" up --dir "$T/host" --config "$T/host.conf" || exit 1
x() { "$FAKEXEN" exec --dir "$T/host" --domain 0 -- "$CTL" --session-dir="$T/s" "$@"; }
rc=0
x --start --backend=xenoprof --vmlinux="$T/vmlinux" --event=CPU_CLK_UNHALTED:100000 --flush-interval=200 \
	--passive-domains=web01,db02 --passive-images="$T/vmlinux,$T/vmlinux" || rc=1
sleep "$secs"; x --dump || rc=1
sleep 1; x --save=vg || rc=1
sleep 1; x --reset || rc=1
sleep 1; x --stop || rc=1
x --shutdown || rc=1
sleep 1
"$top/report/xenprof-report" --session-dir="$T/s" session:vg | head -8
n=0 bad=0
for f in "$T"/vg.*; do
	n=$((n + 1))
	if [ -s "$f" ]; then bad=$((bad + 1)); echo "--- $f"; head -60 "$f"; fi
done
echo "valgrind: $n processes (the daemon and its flush children), $bad with errors or definite leaks"
[ "$bad" -eq 0 ] && [ "$rc" -eq 0 ]
