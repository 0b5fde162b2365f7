#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Long form of the load test (tests/faults/load.sh): a simulated Xen host at
# RATE samples/s on each of PCPUS pcpus (default 40000 x 8 = 320000/s),
# four domains, NSYMS (240) hypervisor functions, for SECS seconds (180),
# once with Xen's ring size (no loss expected) and once with 128-slot rings
# (loss, counted exactly).  Prints peak memory and ns per sample.
#   [RATE=N] [PCPUS=N] [NSYMS=N] bench/load-xen.sh [SECS]   (root, build tree)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export top_builddir=${top_builddir:-$top} top_srcdir=${top_srcdir:-$top}
export SECS=${1:-180}
rc=0
for slots in "" 128; do
	echo "== rings: ${slots:-as Xen sizes them}"
	RING_SLOTS=$slots bash "$top_srcdir/tests/faults/load.sh" | grep -E '^(FAIL|ok - dom0|# figures)|passed' || rc=1
done
exit $rc
