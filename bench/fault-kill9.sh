#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Long form of the kill -9 fault tests (tests/faults/kill9-*.sh): kill
# xenprofd at random moments under load, many times, on the perf backend
# and on a simulated Xen host (xenoprof).  Root, in the build tree.
#   bench/fault-kill9.sh [PERF-KILLS (200)] [XEN-KILLS (100)]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export top_builddir=${top_builddir:-$top} top_srcdir=${top_srcdir:-$top}
rc=0
KILLS=${1:-200} bash "$top_srcdir/tests/faults/kill9-perf.sh" | grep -E '^(FAIL|# figures)|passed' || rc=1
KILLS=${2:-100} bash "$top_srcdir/tests/faults/kill9-xen.sh" | grep -E '^(FAIL|# figures)|passed' || rc=1
exit $rc
