#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Mapped files an unprivileged user (nobody) controls cannot make xenprofd
# open a non-regular file, nor block it (doc/xenprofd.8 SECURITY).  The
# files are mapped executable but are no ELF files, so the kernel gives no
# build-id and the daemon must read them; then, before it does, nobody puts
# in their place
#   - a symlink to a device of its own (a pty): it is never opened (inotify
#     on the device sees no open);
#   - a FIFO: never opened either;
# and nobody serves a FUSE file whose reads hang forever (mounted for it as
# fusermount would, allow_other): the daemon goes on sampling and answering
# xenprof-ctl, its reader is replaced, the file gets no build-id.
# The test runs in a mount namespace of its own, with nobody's files on a
# tmpfs there: another system-wide profiler running on this machine (other
# tests) sees the same MMAP2 records, and must not be the one that opens
# them.
if [ -z "${XP_MAPPED_NS:-}" ]; then
	command -v unshare >/dev/null || { echo "FAIL - cannot run $(basename "$0"): unshare (util-linux) is missing"; exit 1; }
	XP_MAPPED_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_perf_events
need_sampler_user
id nobody >/dev/null 2>&1 || missing "the user nobody does not exist"
need_cmd runuser
need_cmd python3
[ -c /dev/fuse ] || missing "/dev/fuse is missing (the FUSE case needs the fuse module: modprobe fuse)"
MF=$T/mapfiles.py
cp "$(dirname "$0")/mapfiles.py" "$MF"
chmod 0755 "$T" "$MF"
D=$T/nobody
mkdir -m 0755 "$D"
mount -t tmpfs -o mode=0755 xp-mapped "$D" || missing "cannot mount a tmpfs in the test's mount namespace"
chown nobody "$D"
CLEANUP_HOOK='umount -l "$D/fuse" 2>/dev/null; umount -l "$D" 2>/dev/null || true'

check "start" ctl --start --event=cpu-clock:1000000 --flush-interval=100
status() { timeout 3 "$CTL" --session-dir="$S" --status; }

for kind in device fifo; do
	runuser -u nobody -- python3 "$MF" swap "$D" "$kind" 3 >"$T/$kind.out" 2>&1
	check "$kind: nobody mapped a file and put a $kind in its place ($(head -1 "$T/$kind.out"))" \
		grep -q '^planted ' "$T/$kind.out"
	check "$kind: the daemon never opened it ($(tail -1 "$T/$kind.out"))" grep -q '^opened 0$' "$T/$kind.out"
	check "$kind: the daemon answers" status
done
status >"$T/status1"
check "the daemon's reader refused them as not regular files ($(grep '^files read' "$T/status1"))" \
	grep -qE '^files read .*[0-9]+ not a regular file' "$T/status1"

# A FUSE file whose reads hang.
python3 "$MF" fuse "$D" 6 >"$T/fuse.out" 2>&1 &
fusepid=$!
for _ in $(seq 50); do grep -q '^mapped' "$T/fuse.out" && break; sleep 0.1; done
check "fuse: nobody mapped a file of a FUSE filesystem it serves ($(head -1 "$T/fuse.out"))" \
	grep -q '^mapped' "$T/fuse.out"
n0=$(status | awk '/^samples:/ {print $2}')
ok_status=0
for i in 1 2 3 4; do
	sleep 1
	status >"$T/st.$i" && ok_status=$((ok_status + 1))
done
n1=$(awk '/^samples:/ {print $2}' "$T/st.4")
check "fuse: the daemon answered --status within 3 s each second while the file hung ($ok_status of 4)" \
	test "$ok_status" -eq 4
check "fuse: and kept sampling ($n0 -> $n1 samples)" test "${n1:-0}" -gt "${n0:-0}"
wait "$fusepid"
check "fuse: its reader did try to read the file, and hung ($(tail -1 "$T/fuse.out"))" \
	grep -qE '^reads [1-9]' "$T/fuse.out"
status >"$T/status2"
check "fuse: the file timed out and the reader was replaced ($(grep '^files read' "$T/status2"))" \
	grep -qE '^files read .*[0-9]+ timed out.* [1-9][0-9]* readers replaced' "$T/status2"
check "--stop" ctl --stop
check "--shutdown" ctl --shutdown
finish
