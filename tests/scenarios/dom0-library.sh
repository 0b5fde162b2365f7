#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 1 (the chapter's dom0 workflow): dom0 only, a kernel-compile-like
# mix of Xen, kernel and user time (user time in a live dom0 process, which
# xenoprof gives no pid for: attributed by address over dom0's processes),
# --separate=library, `report -t 2`.  Every (domain, symbol) of the report
# equals the simulator's truth exactly; domains 1 and 3 run but are neither
# active nor passive, and never appear.
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms
start_app
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 11
xen_image $XEN_SYMS
domain 0 name Domain-0 vcpus 2 weight 60 kernel $FIXTURE
domain 1 name web01 vcpus 1 weight 20 kernel $FIXTURE
domain 3 name db03 vcpus 1 weight 20 kernel $FIXTURE
work 0 xen do_softirq 6
work 0 xen _spin_lock 4
work 0 xen pv_hypercall 5
work 0 kernel ext4_file_write 20
work 0 kernel copy_user_generic 15
work 0 user pid=$APP_PID:main_loop 30
work 0 user pid=$APP_PID:parse_request 15
work 0 user - 5
work 1 kernel schedule 100
work 3 kernel do_page_fault 100
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit; }
check "--reset" xctl 0 --reset
check "--start-daemon with --xen, --vmlinux, --separate=library" \
	xctl 0 --start-daemon --xen="$XEN_SYMS" --vmlinux="$FIXTURE" --separate=library --event=CPU_CLK_UNHALTED:100000
check "--status says backend xenoprof" bash -c "$(declare -f xctl); FAKEXEN='$FAKEXEN' HOST='$HOST' CTL='$CTL' T='$T' xctl 0 --status | grep -q 'backend: xenoprof'"
check "--start" xctl 0 --start
sleep 1.5
check "--stop" xctl 0 --stop
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0
check "the simulator's truth adds up" totals_add_up
xreport 0 -t 2 >"$T/summary.txt"
cat "$T/summary.txt"
check "report -t 2 names xen-syms" grep -q 'xen-syms-4.17-amd64' "$T/summary.txt"
check "report -t 2 names the dom0 application" grep -q "app" "$T/summary.txt"
check "domains 1 and 3 never appear" bash -c "! grep -qE 'web01|db03' '$T/summary.txt'"
xreport 0 --symbols -t 1 >"$T/symbols.txt"
check "report --symbols names Xen functions from xen-syms" grep -q 'pv_hypercall' "$T/symbols.txt"
check "report --symbols names the user functions" grep -q 'main_loop' "$T/symbols.txt"
finish
