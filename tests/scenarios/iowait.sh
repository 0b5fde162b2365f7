#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 4 (the chapter's I/O-wait investigation): a core_2 host, the event
# BUS_IO_WAIT:500:0xc0, --save=NAME, then `report -t 1 --symbols
# session:NAME` finds the culprit function in the real xen-syms.
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/core_2
num_events 2
rate 20000
seed 9
xen_image $XEN_SYMS
domain 0 name Domain-0 vcpus 2 weight 100 kernel $FIXTURE
work 0 xen handle_pio 70
work 0 xen do_softirq 5
work 0 kernel ext4_file_write 20
work 0 user - 5
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit; }
check "--start --event=BUS_IO_WAIT:500:0xc0" \
	xctl 0 --start --xen="$XEN_SYMS" --vmlinux="$FIXTURE" --event=BUS_IO_WAIT:500:0xc0
sleep 1.5
check "--stop" xctl 0 --stop
check "--save=iowait" xctl 0 --save=iowait
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
compare_truth 0 0 session:iowait
xreport 0 -t 1 --symbols session:iowait >"$T/r.txt"
cat "$T/r.txt"
top=$(awk '/^[0-9]/ {print $NF; exit}' "$T/r.txt")
check "the top function is the culprit, handle_pio ($top)" test "$top" = handle_pio
check "the header names the event and unit mask" grep -q 'BUS_IO_WAIT.*0xc0' "$T/r.txt"
finish
