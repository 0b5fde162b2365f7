#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the real Xen host's domains (busybox).  In dom0 it drives the
# installed xenprof as a user would, on the real hypervisor; in the domU it
# started (xp_role=domu) it is the guest's side of the chapter.  Each step
# prints its command, its output and "XP-STEP NAME rc=N"; outputs the host
# checks are framed by "XP-BEGIN NAME" / "XP-END NAME"; "XP-NMI on|off NAME"
# asks the host (run.py) to inject NMIs; "XP-DONE" ends the run.
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /proc/xen /var/lib/xenprof
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mkdir -p /run/xen /run/xenstored /run/xenprof
dmesg -n 1
for m in xen-privcmd xen-evtchn xenfs xen-gntdev xen-gntalloc; do
	insmod /lib/modules/$m.ko || echo "XP-ERROR insmod $m failed"
done
mount -t xenfs xenfs /proc/xen
role=$(sed -n 's/.*xp_role=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
burn_s=$(sed -n 's/.*xp_burn=\([0-9]*\).*/\1/p' /proc/cmdline)
burn_s=${burn_s:-10}
# xp_only=domu (for working on the test): only the xenstore and domU phases.
only=$(sed -n 's/.*xp_only=\([a-z0-9]*\).*/\1/p' /proc/cmdline)

step() {	# step NAME CMD...: run CMD, show its output and status
	local name=$1
	shift
	echo "XP-RUN $name: $*"
	"$@" >/tmp/step.out 2>&1
	local rc=$?
	cat /tmp/step.out
	echo "XP-STEP $name rc=$rc"
	return $rc
}

framed() {	# framed NAME CMD...: like step, its output framed for the host
	local name=$1
	shift
	echo "XP-RUN $name: $*"
	"$@" >/tmp/step.out 2>&1
	local rc=$?
	echo "XP-BEGIN $name"
	cat /tmp/step.out
	echo "XP-END $name"
	echo "XP-STEP $name rc=$rc"
	return $rc
}

finish() {
	echo "XP-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
	sync
	if [ "$role" = domu ]; then poweroff -f; else reboot -f; fi
	sleep 60
}

if [ "$role" = domu ]; then
	# ---- the guest: passive first (it only burns), then active ----------
	xs() { xenstore-read "data/$1" 2>/dev/null; }
	wait_cmd() {	# wait_cmd WORD: until dom0 writes data/xp-cmd = WORD (at most 300 s)
		local t0=$(cut -d. -f1 /proc/uptime)
		while [ "$(xs xp-cmd)" != "$1" ]; do
			[ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt 300 ] &&
				{ echo "XP-ERROR dom0 did not say $1 in 300 s"; return 1; }
			sleep 0.2
		done
	}
	echo "XP-DOMU booted uptime=$(cut -d' ' -f1 /proc/uptime)"
	# Linux restricts privcmd in a domU (hypercalls refused with EPERM)
	# unless the module is loaded with unrestricted=1: what does xenprof say?
	framed domu-doctor-restricted xenprof-ctl --doctor
	umount /proc/xen
	rmmod xenfs xen_privcmd
	insmod /lib/modules/xen-privcmd.ko unrestricted=1
	insmod /lib/modules/xenfs.ko
	mount -t xenfs xenfs /proc/xen
	framed domu-doctor xenprof-ctl --doctor
	# Created by the guest, so that it may read what dom0 writes there.
	xenstore-write data/xp-cmd none
	xenstore-write data/xp-state booted
	xp-burn 3600 delta=1 &
	spin=$!
	wait_cmd active
	kill $spin
	wait $spin 2>/dev/null
	step domu-reset xenprof-ctl --reset
	# (a domU is not told the running Xen's build-id: no check, symbols only)
	step domu-start xenprof-ctl --start --xen=/boot/xen-syms-4.17-amd64
	xenstore-write data/xp-state started
	wait_cmd burn
	xp-burn "$burn_s" alpha=60 beta=30 gamma=10
	xenstore-write data/xp-state burnt
	wait_cmd stop
	step domu-stop xenprof-ctl --stop
	framed domu-status xenprof-ctl --status
	step domu-save xenprof-ctl --save=active
	step domu-shutdown xenprof-ctl --shutdown
	framed domu-report xenprof-report -t 1 --symbols session:active
	framed domu-json xenprof-report --symbols --format=json session:active
	xenstore-write data/xp-state done
	# Our xenstore entries go with us: stay until dom0 has read them.
	wait_cmd bye
	finish
fi

# ---- dom0 ------------------------------------------------------------------
XEN_SYMS=/boot/xen-syms-4.17-amd64
echo "XP-BOOTED uptime=$(cut -d' ' -f1 /proc/uptime)"
echo "XP-INFO hypervisor $(cat /sys/hypervisor/type) $(cat /sys/hypervisor/guest_type 2>/dev/null)" \
	"$(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)" \
	"caps $(cat /proc/xen/capabilities)"
echo "XP-INFO sysfs buildid bytes: $(od -An -tx1 /sys/hypervisor/properties/buildid | tr -d ' \n')"
echo "XP-INFO $(grep -m1 'model name' /proc/cpuinfo)"

privsep_show() {	# privsep_show SESSDIR: the daemon's two processes, while it samples
	local p pp
	p=$(cat "$1/xenprofd.pid")
	pp=$(awk '/^PPid:/ {print $2}' "/proc/$p/status")
	for who in "sampler $p" "parent $pp"; do
		set -- $who
		echo "$1 pid $2: $(grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs):' "/proc/$2/status" |
			tr -s ' \t' ' ' | tr '\n' ' ')"
		echo "$1 privcmd fds: $(ls -l "/proc/$2/fd" 2>/dev/null | grep -c privcmd)"
	done
	echo "sampler user uid: $(id -u _xenprof)"
	echo "session dir owner: $(stat -c %u /var/lib/xenprof)"
}

nmi_burn() {	# nmi_burn NAME SECONDS: the workload under injected NMIs
	echo "XP-NMI on $1"
	xp-burn "$2" alpha=60 beta=30 gamma=10
	echo "XP-NMI off $1"
}

# 1. Before xenstored runs: every xenstore call must give up in time.
echo "XP-PHASE no-xenstored"
[ "$only" = domu ] || framed doctor-noxs timeout 60 xenprof-ctl --doctor --xen=$XEN_SYMS
[ "$only" = domu ] || step start-noxs timeout 60 xenprof-ctl --start --session-dir=/tmp/s-noxs
[ "$only" = domu ] || step shutdown-noxs timeout 60 xenprof-ctl --shutdown --session-dir=/tmp/s-noxs

# 2. The real xenstore, as xencommons would start it.
echo "XP-PHASE xenstored"
step xenstored xenstored --pid-file=/run/xenstored.pid
step init-dom0 xen-init-dom0
step xenconsoled xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console

if [ "$only" != domu ]; then
# 3. What the doctor says of this dom0, and the image check.
echo "XP-PHASE doctor"
framed doctor timeout 60 xenprof-ctl --doctor --xen=$XEN_SYMS
# (an ELF with a build-id that is no program: a kernel module)
step wrong-xen timeout 60 xenprof-ctl --start-daemon --session-dir=/tmp/s-wrong --xen=/lib/modules/xen-gntalloc.ko
timeout 30 xenprof-ctl --shutdown --session-dir=/tmp/s-wrong >/dev/null 2>&1

# 4. The chapter's dom0 workflow; the workload starts after --start.
echo "XP-PHASE dom0"
step reset timeout 60 xenprof-ctl --reset
step start timeout 60 xenprof-ctl --start --xen=$XEN_SYMS --event=CPU_CLK_UNHALTED:100000
framed privsep privsep_show /var/lib/xenprof
nmi_burn dom0 "$burn_s"
step stop timeout 60 xenprof-ctl --stop
framed status timeout 60 xenprof-ctl --status
step save timeout 60 xenprof-ctl --save=realxen
step shutdown timeout 60 xenprof-ctl --shutdown
framed report timeout 120 xenprof-report -t 1 --symbols session:realxen
framed json timeout 120 xenprof-report --symbols --format=json session:realxen
framed xen-report timeout 120 xenprof-report -t 0.5 --symbols session:realxen image:xen-syms-4.17-amd64

# 5. Two counters: one entry per enabled counter per NMI.
echo "XP-PHASE two-counters"
S2=--session-dir=/tmp/s-two
step two-start timeout 60 xenprof-ctl $S2 --start --xen=$XEN_SYMS \
	--event=CPU_CLK_UNHALTED:100000 --event=INST_RETIRED.ANY_P:100000
nmi_burn two 3
step two-stop timeout 60 xenprof-ctl $S2 --stop
framed two-status timeout 60 xenprof-ctl $S2 --status
step two-shutdown timeout 60 xenprof-ctl $S2 --shutdown
framed two-json0 timeout 120 xenprof-report $S2 --format=json event:CPU_CLK_UNHALTED
framed two-json1 timeout 120 xenprof-report $S2 --format=json event:INST_RETIRED.ANY_P

# 6. kill -9 mid-session, then a new daemon on the same hypervisor.
echo "XP-PHASE kill9"
S3=--session-dir=/tmp/s-kill
step k-start timeout 60 xenprof-ctl $S3 --start --xen=$XEN_SYMS
nmi_burn kill-before 2
step k-kill kill -9 "$(cat /tmp/s-kill/xenprofd.pid)"
sleep 1
step k-restart timeout 60 xenprof-ctl $S3 --start --xen=$XEN_SYMS
step k-reset timeout 60 xenprof-ctl $S3 --reset
nmi_burn kill-after 3
step k-stop timeout 60 xenprof-ctl $S3 --stop
framed k-status timeout 60 xenprof-ctl $S3 --status
step k-shutdown timeout 60 xenprof-ctl $S3 --shutdown
framed k-json timeout 120 xenprof-report $S3 --symbols --format=json

fi

# 7. A PV domU from xl create: passive, then active with its own xenprof-ctl.
echo "XP-PHASE domu"
cat >/etc/xen/guest1.cfg <<CFG
name = "guest1"
type = "pv"
kernel = "/boot/vmlinuz"
ramdisk = "/boot/initrd-domu.cpio.gz"
extra = "console=hvc0 rdinit=/init xp_role=domu xp_burn=$burn_s"
memory = 160
vcpus = 1
on_poweroff = "destroy"
on_crash = "preserve"
CFG
domu_state() { xenstore-read "/local/domain/$domid/data/xp-state" 2>/dev/null; }
domu_wait() {	# domu_wait STATE SECONDS
	local t0=$(cut -d. -f1 /proc/uptime)
	while [ "$(domu_state)" != "$1" ]; do
		[ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt $2 ] &&
			{ echo "XP-ERROR domU did not reach $1 in $2 s"; return 1; }
		sleep 0.2
	done
	echo "XP-DOMU state $1"
}
domu_cmd() { xenstore-write "/local/domain/$domid/data/xp-cmd" "$1"; }
domu_console() {
	echo "XP-BEGIN domu-console"
	cat /var/log/xen/console/guest-guest1.log 2>/dev/null
	echo "XP-END domu-console"
}
if step xl-create timeout 120 xl create /etc/xen/guest1.cfg; then
	domid=$(xl domid guest1)
	echo "XP-INFO domU guest1 is domain $domid"
	if domu_wait booted 120; then
		echo "XP-PHASE passive"
		SP=--session-dir=/tmp/s-passive
		step p-start timeout 60 xenprof-ctl $SP --start --xen=$XEN_SYMS --passive-domains=guest1 \
			--passive-images=-
		echo "XP-NMI on passive"
		sleep 3
		echo "XP-NMI off passive"
		step p-stop timeout 60 xenprof-ctl $SP --stop
		framed p-status timeout 60 xenprof-ctl $SP --status
		step p-shutdown timeout 60 xenprof-ctl $SP --shutdown
		framed p-json timeout 120 xenprof-report $SP --symbols --format=json

		echo "XP-PHASE active"
		SA=--session-dir=/tmp/s-active
		step a-start-daemon timeout 60 xenprof-ctl $SA --start-daemon --xen=$XEN_SYMS \
			--active-domains=guest1
		domu_cmd active
		domu_wait started 120
		step a-start timeout 60 xenprof-ctl $SA --start
		echo "XP-NMI on active"
		domu_cmd burn
		domu_wait burnt 120
		echo "XP-NMI off active"
		step a-stop timeout 60 xenprof-ctl $SA --stop
		domu_cmd stop
		domu_wait done 180
		domu_cmd bye
		framed a-status timeout 60 xenprof-ctl $SA --status
		step a-shutdown timeout 60 xenprof-ctl $SA --shutdown
		framed a-json timeout 120 xenprof-report $SA --symbols --format=json
	fi
	# The guest powers off after "bye" (on_poweroff: destroy).
	t0=$(cut -d. -f1 /proc/uptime)
	while xl domid guest1 >/dev/null 2>&1 && [ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt 60 ]; do
		sleep 0.5
	done
	domu_console
	step xl-list timeout 60 xl list
else
	domu_console
fi
finish
