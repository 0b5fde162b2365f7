#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): how many samples per second xenprofd sustains from
# a Xen host (the simulated one, tests/fakexen) with no loss, and its CPU cost
# per sample.  The simulated host is a large one (PCPUS, default 16; dom0 and
# two passive guests with PCPUS/2 vCPUs each, so each vCPU ring holds what
# Xen gives it: 32 pages per domain); the simulator runs at increasing rates.
# The daemon is pinned to one core, the simulator to the other.
#
#   [PCPUS=N] bench/xen-rate.sh [SECONDS] [RATE-PER-PCPU...]   (root, build tree)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3}; shift || true
rates=("$@")
pcpus=${PCPUS:-16}
vcpus=$((pcpus / 2 > 0 ? pcpus / 2 : 1))
[ ${#rates[@]} -gt 0 ] || rates=(31250 62500 125000 187500 250000)
FAKEXEN=$top/tests/fakexen/fakexen
CTL=$top/tests/bin/xenprof-ctl		# the test builds read the source tree's event tables
XS=$("$top/tests/data/fetch-xen-syms.sh" "$top/tests/data")
GUEST=$top/tests/fakexen/fx-fixture
T=$(mktemp -d /tmp/xenprof-bench.XXXXXX)
export XENPROFD=$top/tests/bin/xenprofd
trap '"$FAKEXEN" exec --dir "$T/host" --domain 0 -- "$CTL" --session-dir="$T/s" --shutdown >/dev/null 2>&1 || true; "$FAKEXEN" down --dir "$T/host" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
hz=$(getconf CLK_TCK)
cputime() { awk -v hz="$hz" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

printf '%-14s %14s %12s %10s %10s %12s\n' "rate/pcpu" "total/s" "delivered" "lost" "cpu (s)" "ns/sample"
best=0
for r in "${rates[@]}"; do
	rm -rf "$T/host" "$T/s"
	cat >"$T/host.conf" <<CONF
pcpus $pcpus
cpu_type i386/arch_perfmon
rate $r
seed 1
timeslice 1000
xen_image $XS
domain 0 name Domain-0 vcpus $vcpus weight 40 kernel $GUEST
domain 2 name web02 vcpus $vcpus weight 30 kernel $GUEST
domain 3 name db03 vcpus $vcpus weight 30 kernel $GUEST
work 0 xen do_softirq 10
work 0 xen _spin_lock 10
work 0 xen pv_hypercall 10
work 0 xen memcpy 10
work 0 kernel ext4_file_write 30
work 0 kernel copy_user_generic 30
work 2 xen handle_pio 20
work 2 kernel schedule 40
work 2 kernel do_page_fault 40
work 3 xen evtchn_send 30
work 3 kernel copy_user_generic 70
CONF
	taskset -c 1 "$FAKEXEN" up --dir "$T/host" --config "$T/host.conf"
	x() { "$FAKEXEN" exec --dir "$T/host" --domain 0 -- "$CTL" --session-dir="$T/s" "$@"; }
	x --start-daemon --xen="$XS" --vmlinux="$GUEST" --event=CPU_CLK_UNHALTED:100000 \
		--passive-domains=web02,db03 --passive-images="$GUEST,$GUEST" >/dev/null
	pid=$(cat "$T/s/xenprofd.pid")
	taskset -pc 0 "$pid" >/dev/null
	c0=$(cputime "$pid")
	x --start >/dev/null
	sleep "$secs"
	x --stop >/dev/null
	c1=$(cputime "$pid")
	x --shutdown >/dev/null
	[ -n "${XP_BENCH_VERBOSE:-}" ] && "$top/report/xenprof-report" --session-dir="$T/s" --format=json | python3 -c 'import json,sys; j=json.load(sys.stdin); print({k: v for k, v in j.items() if "lost" in k})'
	read -r del lost < <("$FAKEXEN" down --dir "$T/host" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["delivered"], t["lost"])')
	cpu=$(echo "$c1 - $c0" | bc -l)
	printf '%-14s %14d %12d %10d %10.2f %12.0f\n' "$r" $((r * pcpus)) "$del" "$lost" "$cpu" \
		"$(echo "$cpu * 1000000000 / ($del + 1)" | bc -l)"
	[ "$lost" -eq 0 ] && best=$((r * pcpus))
done
echo "highest rate with no loss: $best samples/s in total ($pcpus pcpus, 3 domains of $vcpus vcpus, daemon on one core)"
