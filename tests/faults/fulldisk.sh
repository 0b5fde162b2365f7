#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A full disk: the session dir is a small tmpfs, filled up while the daemon
# samples.  Flushes fail with a clear error (--dump says it, --status counts
# it), the files already on disk stay intact and readable, no temporary file
# is left behind, sampling continues with the samples kept in memory, and
# once there is space again the next flush writes all of them.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
mkdir -p "$S"
mount -t tmpfs -o size=1m,mode=0700 xenprof-full "$S" 2>"$T/mount.err" ||
	missing "a tmpfs cannot be mounted: $(cat "$T/mount.err")"
unmount() {
	"$CTL" --session-dir="$S" --shutdown >/dev/null 2>&1
	[ -f "$S/xenprofd.pid" ] && kill -9 "$(cat "$S/xenprofd.pid")" 2>/dev/null
	sleep 0.1; umount -l "$S" 2>/dev/null || true
}
CLEANUP_HOOK=unmount

"$BURN" -j 2 8 alpha=1 beta=1 >/dev/null 2>&1 &
burn=$!
check "start on a 1 MB tmpfs" ctl --start --event=cpu-clock:250000 --flush-interval=200
sleep 0.8
check "--dump while there is space" ctl --dump
# Fill the file system; a flush in progress finishes or fails in 0.5 s.
dd if=/dev/zero of="$S/filler" bs=4k >/dev/null 2>&1
check "the disk is full" test "$(df --output=avail -k "$S" | tail -1 | tr -d ' ')" -eq 0
sleep 0.5
before=$(report_total)
cp -a "$S/current" "$T/before"
sleep 0.5
expect_fail "--dump on a full disk: one clear line" "no space left on device" ctl --dump
ctl --status >"$T/status"
check "--status counts the failed flushes and names the error: $(grep 'flush errors' "$T/status")" \
	grep -qi "flush errors: [1-9].*no space left" "$T/status"
check "--status: still sampling" grep -q "state: sampling" "$T/status"
n1=$(awk '/^samples:/ {print $2}' "$T/status")
sleep 0.5
n2=$(status_samples)
check "sampling continues on a full disk ($n1 -> $n2 samples in memory)" test "$n2" -gt "$n1"
check "the files on disk are intact (byte for byte as when the disk filled)" diff -r "$T/before" "$S/current"
after=$(report_total)
check "and readable: $after samples, as when the disk filled ($before)" test "$after" = "$before"
check "no temporary file left behind" test -z "$(find "$S" -name '.*.tmp.*')"
expect_fail "--shutdown on a full disk: refused with the flush error, so nothing is lost" \
	"no space left on device" ctl --shutdown
check "... and the daemon keeps running with the samples" kill -0 "$(cat "$S/xenprofd.pid")"
rm -f "$S/filler"
check "--dump once there is space again" ctl --dump
final=$(report_total)
check "every sample kept in memory is written ($final >= $n2)" test "${final:-0}" -ge "$n2"
check "--shutdown" ctl --shutdown
kill "$burn" 2>/dev/null
finish
