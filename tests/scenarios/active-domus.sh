#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 2 (the chapter's active profiling): dom0 coordinates domUs 1 and
# 3 (given by name and by id), each running its own ctl and daemon in its
# own domain and getting its own report.  The chapter's command sequence:
# reset, start-daemon in dom0 with --active-domains; reset and start in each
# domU; start in dom0; stop; save; shutdown everywhere; `report -t 2` and
# `report -t 1 --symbols session:NAME`.  Every report equals the truth.
# web01 runs without --vmlinux: its kernel is symbolized from the kallsyms
# its own daemon captured (its domain is the session's own, role 1).
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms
need_cmd nm
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 5
xen_image $XEN_SYMS
domain 0 name Domain-0 vcpus 2 weight 40 kernel $FIXTURE
domain 1 name web01 vcpus 1 weight 30 kernel $FIXTURE
domain 3 name db03 vcpus 2 weight 20 kernel $FIXTURE
domain 4 name idle04 vcpus 1 weight 10 kernel $FIXTURE
work 0 xen do_softirq 10
work 0 kernel ext4_file_write 60
work 0 user - 30
work 1 xen evtchn_send 15
work 1 kernel schedule 70
work 1 user - 15
work 3 xen handle_pio 25
work 3 kernel copy_user_generic 75
work 4 kernel schedule 100
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit; }
# web01's /proc/kallsyms, as fakexen shows it to the domain: its kernel's
# ($FIXTURE) symbols.
check "web01's simulated kallsyms has schedule" grep -q ' schedule$' "$HOST/view/dom1/proc/kallsyms"
EV=--event=CPU_CLK_UNHALTED:100000
check "dom0: --reset" xctl 0 --reset
check "dom0: --start-daemon --active-domains=web01,3" \
	xctl 0 --start-daemon --xen="$XEN_SYMS" --vmlinux="$FIXTURE" $EV --active-domains=web01,3
check "dom1: --reset" xctl 1 --reset
check "dom1: --start (its own daemon, its kernel from its kallsyms)" xctl 1 --start --xen="$XEN_SYMS" $EV
check "dom3: --reset" xctl 3 --reset
check "dom3: --start (its own daemon)" xctl 3 --start --xen="$XEN_SYMS" --vmlinux="$FIXTURE" $EV
check "dom0: --start (every active domain is ready)" xctl 0 --start
sleep 1.5
check "dom0: --stop" xctl 0 --stop
for d in 1 3; do check "dom$d: --stop" xctl $d --stop; done
for d in 0 1 3; do check "dom$d: --save=mirrorlog" xctl $d --save=mirrorlog; done
for d in 1 3 0; do check "dom$d: --shutdown" xctl $d --shutdown; done
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0 session:mirrorlog
compare_truth 1 1 session:mirrorlog
compare_truth 3 3 session:mirrorlog
check "the simulator's truth adds up" totals_add_up
xreport 1 --symbols session:mirrorlog >"$T/r1.txt"
check "web01's report names its kernel's functions from its kallsyms ([kernel.kallsyms] schedule)" \
	grep -qE '\[kernel\.kallsyms\] +schedule$' "$T/r1.txt"
check "web01's session holds its kallsyms" test -s "$T/s1/saved/mirrorlog/kallsyms"
check "web01's report has no unsymbolized kernel samples" \
	bash -c "! grep -q 'Not symbolized:.*kernel' '$T/r1.txt'"
xreport 0 -t 2 session:mirrorlog >"$T/r0.txt"
xreport 3 -t 1 --symbols session:mirrorlog >"$T/r3.txt"
cat "$T/r3.txt"
check "dom3's report -t 1 --symbols finds handle_pio in xen-syms" \
	grep -qE 'xen-syms.*handle_pio' "$T/r3.txt"
check "idle04 (neither active nor passive) appears nowhere" \
	bash -c "! grep -q idle04 '$T/r0.txt' '$T/r3.txt'"
finish
