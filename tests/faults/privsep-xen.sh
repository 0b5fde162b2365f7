#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Privilege separation on the xenoprof backend (a simulated Xen host,
# tests/fakexen; doc/xenprofd.8 PRIVILEGE SEPARATION): while the sampler
# samples it is the sampler user with no capabilities and holds no privcmd
# fd (privcmd passes any hypercall to whoever holds it); the hypercalls of
# --start, --stop and the teardown are the privileged parent's, and work;
# every sample the simulator delivered is counted.  The parent killed: the
# sampler flushes and ends.  The sampler killed: the parent ends, and the
# next daemon recovers the hypervisor.
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_sampler_user
EV=--event=CPU_CLK_UNHALTED:100000
cat >"$T/host.conf" <<CONF
pcpus 2
cpu_type i386/arch_perfmon
rate 20000
seed 3
xen_image $FIXTURE
domain 0 name Domain-0 vcpus 2 weight 60 kernel $FIXTURE
domain 1 name web01 vcpus 1 weight 40 kernel $FIXTURE
work 0 kernel ext4_file_write 60
work 0 xen do_softirq 40
work 1 kernel schedule 100
CONF
fx_up "$T/host.conf" || { bad "fakexen up"; finish; exit 1; }
uid=$(id -u "$SAMPLER_USER")
# privcmd_fds PID: the fds of PID on the simulated privcmd (fakexen's marker file).
privcmd_fds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c -- "-> $HOST/state.privcmd\$"; }

check "dom0: --start (xenoprof, a passive domain)" \
	xctl 0 --start --backend=xenoprof --xen="$FIXTURE" --vmlinux="$FIXTURE" $EV --passive-domains=web01 \
	--passive-images="$FIXTURE"
pid=$(cat "$T/s0/xenprofd.pid")
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
sleep 0.5
st=$(awk '/^Uid:/ {u=$2" "$3" "$4" "$5} /^CapEff:/ {e=$2} /^CapBnd:/ {b=$2} /^NoNewPrivs:/ {n=$2} END {print u, e, b, n}' "/proc/$pid/status")
check "the sampler samples as $SAMPLER_USER with no capabilities ($st)" \
	test "$st" = "$uid $uid $uid $uid 0000000000000000 0000000000000000 1"
check "the sampler holds no privcmd fd ($(privcmd_fds "$pid"))" test "$(privcmd_fds "$pid")" -eq 0
check "its parent, which made the start hypercall, holds one ($(privcmd_fds "$ppid"))" \
	test "$(privcmd_fds "$ppid")" -ge 1
check "the parent keeps CAP_SYS_PTRACE and CAP_KILL only" \
	grep -q '^CapEff:[[:space:]]*0000000000080020$' "/proc/$ppid/status"
check "dom0: --stop (the parent's stop hypercall)" xctl 0 --stop
check "dom0: --shutdown (the parent's teardown)" xctl 0 --shutdown
check "both processes are gone" bash -c "$(declare -f gone); gone $pid && gone $ppid"
"$FAKEXEN" truth --dir "$HOST" >"$T/truth.json"
PASSIVE=1 compare_truth 0 0,1

# The parent killed: the sampler flushes what it counted and ends.
check "dom0: --start again (the teardown left the hypervisor clean)" \
	xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV --flush-interval=60000
pid=$(cat "$T/s0/xenprofd.pid")
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
sleep 0.5
n=$(status_samples "xctl 0")
kill -9 "$ppid"
check "the parent killed: the sampler ends too" gone "$pid"
tot=$(report_total "xreport 0")
check "... after writing what it counted ($n counted, $tot on disk)" test "${tot:-0}" -ge "${n:-1}"

# The sampler killed: the parent ends; the next daemon recovers.
check "dom0: --start (recovering the hypervisor from the parent's death)" \
	xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
pid=$(cat "$T/s0/xenprofd.pid")
ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
kill -9 "$pid"
check "the sampler killed: the parent ends too" gone "$ppid"
check "dom0: --start after it (the hypervisor recovered)" \
	xctl 0 --start --backend=xenoprof --vmlinux="$FIXTURE" $EV
check "dom0: --shutdown" xctl 0 --shutdown
finish
