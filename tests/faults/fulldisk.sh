#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A full disk: the session dir is a small tmpfs, filled up while the daemon
# samples.  Flushes fail with a clear error (--dump says it, --status counts
# it), the files already on disk stay intact and readable, no temporary file
# is left behind, sampling continues with the samples kept in memory, and
# once there is space again the next flush writes all of them.  A SIGTERM
# while the disk is full does not lose them either: the daemon waits for its
# final flush (retried every second); a second SIGTERM exits without them,
# saying how many, with exit status 1.
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
xpid=$(cat "$S/xenprofd.pid")
check "... and the daemon keeps running with the samples" kill -0 "$xpid"
kill -TERM "$xpid"
sleep 1.5
check "SIGTERM on a full disk: the daemon waits for its final flush, samples kept" kill -0 "$xpid"
ctl --status >"$T/status2"
check "--status says it is exiting with samples not written: $(grep '^exiting' "$T/status2" | cut -c1-80)" \
	grep -qE '^exiting: the final flush failed; [1-9][0-9]* samples are not written' "$T/status2"
expect_fail "--start while exiting is refused" "exiting" ctl --start
rm -f "$S/filler"
check "once there is space, the final flush succeeds and the daemon exits by itself" gone "$xpid"
final=$(report_total)
check "every sample kept in memory is written ($final >= $n2)" test "${final:-0}" -ge "$n2"

# Twice SIGTERM on a full disk: the daemon (in the foreground, its stderr
# off the full disk) exits with status 1, saying what it could not write.
# (A fresh session: the 1 MB holds two generations of a small one only.)
check "--reset, no daemon" ctl --reset
check "--setup for a foreground daemon" ctl --setup --event=cpu-clock:250000 --flush-interval=200
"$XPD" -d --session-dir="$S" 2>"$T/xpd.err" &
xpid=$!
for _ in $(seq 50); do ctl --status 2>/dev/null | grep -q '^state: ready' && break; sleep 0.1; done
check "start the foreground daemon" ctl --start
sleep 0.6
dd if=/dev/zero of="$S/filler" bs=4k >/dev/null 2>&1
sleep 0.5
kill -TERM "$xpid"
sleep 1.2
check "the first SIGTERM: still there, waiting for the final flush" kill -0 "$xpid"
kill -TERM "$xpid"
wait "$xpid"; rc=$?
check "the second SIGTERM: exit status 1 (got $rc)" test "$rc" -eq 1
check "it says how many samples it could not write: $(grep -o 'exiting with [0-9]* samples not written' "$T/xpd.err")" \
	grep -qE 'exiting with [1-9][0-9]* samples not written \(the last flush failed: .*[Nn]o space left' "$T/xpd.err"
rm -f "$S/filler"
kill "$burn" 2>/dev/null
finish
