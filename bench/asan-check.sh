#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite built with ASan+UBSan (./configure --enable-sanitizers)
# in a copy of the tree, since ./quickstart configures the source dir in place.
#   bench/asan-check.sh        (root, after ./quickstart; ~5 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
asan=$(mktemp -d /tmp/xenprof-asan.XXXXXX)
trap 'rm -rf "$asan"' EXIT
cp -a . "$asan/src"
cd "$asan/src"
make -s distclean >/dev/null
./configure -q --enable-sanitizers
make -s -j"$(nproc)"
make -s -j"$(nproc)" check
