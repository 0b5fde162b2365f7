#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Call chains on a Xen host: with --callgraph the daemon asks Xen for
# backtraces (set_backtrace) and keeps each sample's chain from the ring's
# escape groups.  The folded export shows exactly the chains the simulator
# wrote, root first under the domain and process frames (dom0's kernel
# without a process: [kernel]), with the truth's counts, and sums to the
# report total; -c shows the callers of the leaf.
. "$(dirname "$0")/lib.sh"
need_root
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 21
xen_image $FIXTURE
domain 0 name Domain-0 vcpus 2 weight 100 kernel $FIXTURE
work 0 kernel leaf<-mid<-top 60
work 0 kernel schedule 25
work 0 xen do_softirq 15
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit; }
check "--start --callgraph=8" xctl 0 --start --xen="$FIXTURE" --vmlinux="$FIXTURE" \
	--event=CPU_CLK_UNHALTED:100000 --callgraph=8
sleep 1
check "--stop" xctl 0 --stop
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0
xreport 0 --format=folded >"$T/folded"
cat "$T/folded"
want=$("$FAKEXEN" truth --dir "$HOST" | python3 -c '
import json, sys
print(sum(b["delivered"] for b in json.load(sys.stdin)["by"] if b["symbol"] == "leaf"))')
got=$(awk '$1 == "Domain-0;[kernel];top;mid;leaf" {print $2}' "$T/folded")
check "the chain Domain-0;[kernel];top;mid;leaf has the truth's count ($got == $want)" test "${got:-0}" -eq "$want"
total=$(xreport 0 --format=json | json_query 'j["total_samples"]')
sum=$(awk '{s += $NF} END {print s}' "$T/folded")
check "folded stacks sum to the report's total ($sum == $total)" test "$sum" -eq "$total"
xreport 0 -c >"$T/cg.txt"
check "-c shows mid as leaf's caller" grep -q 'mid' "$T/cg.txt"
finish
