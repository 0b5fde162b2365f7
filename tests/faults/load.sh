#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Load: a simulated Xen host (tests/fakexen) sampling at a high rate across
# four domains (dom0 and three passive guests) and NSYMS distinct
# hypervisor functions from the real xen-syms, for SECS seconds.  Every
# sample the simulator delivered is in the report under its (domain,
# function), every lost one is counted, both exactly against the
# simulator's truth; the daemon's memory stays bounded (VmRSS sampled
# through the run); its CPU cost per sample is printed.
# Short form (make check): 6 s.  Long form: bench/load-xen.sh (minutes).
#   [SECS=N] [RATE=per-pcpu] [PCPUS=N] [NSYMS=N] [RING_SLOTS=N|''] tests/faults/load.sh
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms
SECS=${SECS:-6}
RATE=${RATE:-40000}
PCPUS=${PCPUS:-8}
NSYMS=${NSYMS:-240}
RSS_LIMIT_KB=${RSS_LIMIT_KB:-131072}
RING_SLOTS=${RING_SLOTS-128}	# small rings: some loss, counted exactly; RING_SLOTS= for none

# NSYMS global functions of xen-syms with a unique name and address.
nm -S --defined-only "$XEN_SYMS" | python3 -c '
import collections, sys
rows = [l.split() for l in sys.stdin]
rows = [r for r in rows if len(r) == 4 and r[2] in "Tt" and int(r[1], 16) >= 16 and not r[3].startswith("_")]
names = collections.Counter(r[3] for r in rows)
addrs = collections.Counter(r[0] for r in rows)
for r in sorted(rows):
    if names[r[3]] == 1 and addrs[r[0]] == 1:
        print(r[3])' 2>/dev/null | head -n "$NSYMS" >"$T/syms"
nsyms=$(wc -l <"$T/syms")
[ "$nsyms" -ge 100 ] || missing "too few distinct functions in $XEN_SYMS ($nsyms; is it the real xen-syms?)"
{
	echo "pcpus $PCPUS"; echo "cpu_type i386/arch_perfmon"; echo "rate $RATE"; echo "seed 17"
	echo "timeslice 1000"; echo "xen_image $XEN_SYMS"
	[ -n "${RING_SLOTS:-}" ] && echo "fault ring_slots $RING_SLOTS"
	echo "domain 0 name Domain-0 vcpus $((PCPUS / 2)) weight 40 kernel $FIXTURE"
	echo "domain 2 name web02 vcpus 2 weight 20 kernel $FIXTURE"
	echo "domain 3 name db03 vcpus 2 weight 20 kernel $FIXTURE"
	echo "domain 4 name app04 vcpus 2 weight 20 kernel $FIXTURE"
	i=0
	for d in 0 2 3 4; do echo "work $d kernel schedule 50"; done
	echo "work 0 kernel ext4_file_write 50"
	while read -r s; do
		d=$(( (i % 4) == 0 ? 0 : (i % 4) + 1 ))
		echo "work $d xen $s $((1 + i % 7))"
		i=$((i + 1))
	done <"$T/syms"
} >"$T/host.conf"
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit 1; }
check "--start-daemon: 4 domains, $nsyms hypervisor functions, $RATE samples/s on each of $PCPUS pcpus" \
	xctl 0 --start-daemon --xen="$XEN_SYMS" --vmlinux="$FIXTURE" --event=CPU_CLK_UNHALTED:100000 \
	--passive-domains=web02,db03,app04 --passive-images="$FIXTURE,$FIXTURE,$FIXTURE"
pid=$(cat "$T/s0/xenprofd.pid")
hz=$(getconf CLK_TCK)
cputime() { awk -v hz="$hz" '{printf "%.3f", ($14 + $15) / hz}' "/proc/$1/stat"; }
c0=$(cputime "$pid")
check "--start" xctl 0 --start
: >"$T/rss"
steps=$((SECS * 4))
for i in $(seq "$steps"); do
	sleep 0.25
	rss "$pid" >>"$T/rss"
done
check "--stop" xctl 0 --stop
c1=$(cputime "$pid")
read -r hwm < <(awk '{print $2}' "$T/rss" | sort -n | tail -1)
read -r mid < <(sed -n "$((steps / 2))p" "$T/rss" | awk '{print $1}')
read -r last < <(tail -1 "$T/rss" | awk '{print $1}')
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >"$T/truth.json"
read -r gen del lost < <(json_query '"%d %d %d" % (j["generated"], j["delivered"], j["lost"])' <"$T/truth.json")
PASSIVE=2,3,4 compare_truth 0 0,2,3,4
[ -n "$RING_SLOTS" ] && check "rings of $RING_SLOTS slots lost samples ($lost), so their counting was tested" test "$lost" -gt 0
check "peak memory bounded: VmHWM $hwm kB <= $RSS_LIMIT_KB kB" test "$hwm" -le "$RSS_LIMIT_KB"
check "memory does not grow with time: VmRSS $mid kB at half time, $last kB at the end" \
	test "$last" -le $((mid + mid / 10 + 2048))
ns=$(awk -v c="$(echo "$c1 - $c0" | bc -l)" -v n="$del" 'BEGIN {printf "%.0f", c * 1e9 / (n ? n : 1)}')
echo "# figures: secs=$SECS rate=$((RATE * PCPUS))/s generated=$gen delivered=$del lost=$lost symbols=$nsyms vmhwm_kb=$hwm rss_mid_kb=$mid rss_end_kb=$last cpu_s=$(echo "$c1 - $c0" | bc -l) ns_per_sample=$ns"
finish
