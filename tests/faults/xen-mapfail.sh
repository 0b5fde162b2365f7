#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A start-up step between get_buffer and set_active(self) fails once:
# mapping the sample buffers (fault hypercall mmapbatch EIO) or set_active
# itself.  The daemon must not leave its buffer shared in the hypervisor:
# Xen's disable_virq, which unshares it, is refused (EPERM) while dom0 is
# not on the active list, so a teardown that does not put dom0 there first
# makes every later get_buffer EBUSY until the host reboots.  (Found by this
# test, fixed in hv/xenoprof/xenoprof.c.)
. "$(dirname "$0")/../scenarios/lib.sh"
need_root
EV=--event=CPU_CLK_UNHALTED:100000
# set_active runs twice before the session's own: once to undo what a dead
# daemon may have left shared, then for real; count 2 makes the real one fail.
for op in mmapbatch:1 set_active:2; do
	n=${op#*:}; op=${op%:*}
	"$FAKEXEN" down --dir "$HOST" >/dev/null 2>&1; rm -rf "$HOST" "$T/s0"
	cat >"$T/host.conf" <<CONF
pcpus 1
rate 20000
domain 0 name Domain-0 vcpus 1 weight 100 kernel $FIXTURE
work 0 kernel schedule 100
fault hypercall $op EIO count $n
CONF
	fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit 1; }
	expect_fail "$op fails once at start-up: one clear line" "input/output error" \
		xctl 0 --start-daemon --backend=xenoprof --vmlinux="$FIXTURE" $EV
	sleep 0.3
	check "after $op failed, the next session works (nothing left shared in the hypervisor)" \
		xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
	xctl 0 --shutdown >/dev/null 2>&1
done
finish
