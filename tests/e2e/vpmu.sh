#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vPMU attribution end to end, without a vPMU: a synthetic stream of perf
# records as dom0's perf would get them on a Xen host with vpmu=all (the
# replay backend delivers it to the real daemon), then the real report.
# Hypervisor samples arrive as kernel samples at Xen's addresses: they must
# be xen-syms' functions; samples flagged as a guest's go to [guests] by
# mode; dom0's own kernel and user samples stay dom0's.  Exact counts.
. "$(dirname "$0")/lib.sh"
need_root
need_xen_syms

# Addresses: do_softirq and handle_pio in xen-syms, a function of the running
# kernel, work_alpha in our workload copy (mapped by an MMAP2 record).
xs_softirq=$(nm "$XEN_SYMS" | awk '$3 == "do_softirq" {print $1}')
xs_pio=$(nm "$XEN_SYMS" | awk '$3 == "handle_pio" {print $1}')
k_sched=$(awk '$3 == "schedule" {print $1; exit}' /proc/kallsyms)
alpha=$(nm "$BURN" | awk '$3 == "work_alpha" {print $1}')
python3 - "$T/stream" "$xs_softirq" "$xs_pio" "$k_sched" "$alpha" "$BURN" <<'PY'
import struct, sys
out, softirq, pio, sched, alpha, burn = sys.argv[1], *(int(x, 16) for x in sys.argv[2:6]), sys.argv[6]
IP, TID, TIME, CPU = 1 << 0, 1 << 1, 1 << 2, 1 << 7
st = IP | TID | TIME | CPU
KERNEL, USER, GUEST_KERNEL, GUEST_USER = 1, 2, 4, 5
recs = []
def sample(misc, pc, pid=1, cpu=0):
    body = struct.pack("<QIIQII", pc, pid, pid, 0, cpu, 0)
    recs.append(struct.pack("<IHH", 9, misc, 8 + len(body)) + body)
def mmap2(pid, start, length, pgoff, path):
    name = path.encode() + b"\0"
    name += b"\0" * (-len(name) % 8)
    body = struct.pack("<IIQQQIIQQII", pid, pid, start, length, pgoff, 0, 0, 0, 0, 5, 2) + name
    recs.append(struct.pack("<IHH", 10, 2, 8 + len(body)) + body)
base = 0x555555554000
mmap2(100, base, 0x100000, 0, burn)       # the whole file at base (PIE: offset = pc - base)
for _ in range(7): sample(KERNEL, softirq + 4)         # in Xen: to xen-syms
for _ in range(3): sample(KERNEL, pio + 8, cpu=1)      # in Xen, another cpu
for _ in range(5): sample(KERNEL, sched + 2)            # dom0's own kernel
for _ in range(3): sample(GUEST_KERNEL, 0xffffffff81001234)
for _ in range(2): sample(GUEST_USER, 0x400123)
for _ in range(4): sample(USER, base + alpha + 1, pid=100)   # dom0 user space
with open(out, "wb") as f:
    f.write(b"XPREPLAY" + struct.pack("<QII", st, 0, 0) + b"".join(recs))
PY
export XENPROF_REPLAY=$T/stream
check "a daemon on the replayed stream, with the real xen-syms" \
	ctl --start --backend=replay --xen="$XEN_SYMS"
sleep 0.3
check "--stop" ctl --stop
check "--shutdown" ctl --shutdown
report --symbols --format=json >"$T/r.json"
report --symbols
python3 - "$T/r.json" "$(basename "$XEN_SYMS")" "$(basename "$BURN")" <<'PY' >"$T/cmp"
import collections, json, os, sys
j = json.load(open(sys.argv[1]))
got = collections.Counter()
for r in j["rows"]:
    got[(os.path.basename(r["image"]), r.get("symbol"))] += r["samples"]
want = {(sys.argv[2], "do_softirq"): 7, (sys.argv[2], "handle_pio"): 3,
        ("[kernel.kallsyms]", "schedule"): 5, ("[guests]", "[unknown]"): 5,
        (sys.argv[3], "work_alpha"): 4}
bad = [(k, want.get(k, 0), got.get(k, 0)) for k in set(want) | set(got) if want.get(k, 0) != got.get(k, 0)]
print(bad)
sys.exit(1 if bad else 0)
PY
check "Xen-range pcs are xen-syms functions, guests go to [guests], dom0 stays dom0 ($(cat "$T/cmp"))" \
	test "$(cat "$T/cmp")" = "[]"
finish
