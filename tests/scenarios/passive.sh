#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 3: passive domains with their kernel images.  dom0 reads their
# rings; their kernel samples are symbolized against --passive-images (in
# the order of --passive-domains), their user space goes to [user], and the
# report shows them side by side with dom0 (a domain column).
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms
cp "$FIXTURE_SRC" "$T/vmlinux-db03"
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 3
xen_image $XEN_SYMS
domain 0 name Domain-0 vcpus 1 weight 30 kernel $FIXTURE
domain 2 name web02 vcpus 2 weight 30 kernel $FIXTURE
domain 3 name db03 vcpus 1 weight 30 kernel $T/vmlinux-db03
domain 5 name other05 vcpus 1 weight 10 kernel $FIXTURE
work 0 kernel ext4_file_write 100
work 2 xen do_page_fault 10
work 2 kernel schedule 50
work 2 user - 40
work 3 kernel copy_user_generic 70
work 3 user - 30
work 5 kernel schedule 100
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit; }
check "--start-daemon --passive-domains=web02,db03 --passive-images=..." \
	xctl 0 --start-daemon --xen="$XEN_SYMS" --vmlinux="$FIXTURE" --event=CPU_CLK_UNHALTED:100000 \
	--passive-domains=web02,db03 --passive-images="$FIXTURE,$T/vmlinux-db03"
check "--start" xctl 0 --start
sleep 1.5
check "--stop" xctl 0 --stop
check "--shutdown" xctl 0 --shutdown
"$FAKEXEN" down --dir "$HOST" >/dev/null
PASSIVE=2,3 compare_truth 0 0,2,3
PASSIVE=2,3 compare_truth 0 3 domain:db03
check "the simulator's truth adds up" totals_add_up
xreport 0 --symbols >"$T/r.txt"
cat "$T/r.txt"
check "passive user space is [user]" grep -qE 'web02 +\[user\]' "$T/r.txt"
check "db03's kernel is symbolized from its own image" grep -qE 'db03 +vmlinux-db03 +copy_user_generic' "$T/r.txt"
check "other05 (not profiled) never appears" bash -c "! grep -q other05 '$T/r.txt'"
finish
