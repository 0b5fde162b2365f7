#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A daemon that dies, or fails, between get_buffer and putting dom0 on the
# active list leaves dom0's buffer shared in the hypervisor; only
# disable_virq unshares it, and Xen refuses that (EPERM) for a domain not on
# the active list.  Here mmapbatch and the teardown's set_active each fail
# once (a kill -9 in that window is the same): the next daemon must undo the
# leftover share (reset_active_list, set_active(self), disable_virq before
# its get_buffer) instead of meeting EBUSY until the host reboots.
. "$(dirname "$0")/../scenarios/lib.sh"
need_root
EV=--event=CPU_CLK_UNHALTED:100000
cat >"$T/host.conf" <<CONF
pcpus 1
rate 20000
domain 0 name Domain-0 vcpus 1 weight 100 kernel $FIXTURE
work 0 kernel schedule 100
fault hypercall mmapbatch EIO count 1
fault hypercall set_active EIO count 1
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit 1; }
expect_fail "the buffers cannot be mapped, and the teardown's set_active fails" "cannot map" \
	xctl 0 --start-daemon --backend=xenoprof --vmlinux="$FIXTURE" $EV
sleep 0.3
check "the next session works (the leftover share is undone)" \
	xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
xctl 0 --shutdown >/dev/null 2>&1
finish
