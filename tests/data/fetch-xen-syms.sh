#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetch the real xen-syms of Debian's Xen 4.17 (xen-hypervisor-4.17-amd64-dbg)
# into DIR (default: the directory of this script), without installing the
# package: apt-get download + dpkg -x.  Prints the path of xen-syms.
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")" && pwd)}
out=$dir/xen-syms-4.17-amd64
if [ -s "$out" ]; then echo "$out"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# _apt cannot write to a root-only mktemp dir: let it.
chmod 755 "$tmp"
apt-get download -q xen-hypervisor-4.17-amd64-dbg >/dev/null 2>&1 ||
	{ apt-get update -qq >/dev/null 2>&1 && apt-get download -q xen-hypervisor-4.17-amd64-dbg >/dev/null 2>&1; } ||
	{ echo "fetch-xen-syms: cannot download xen-hypervisor-4.17-amd64-dbg from the Debian archive" >&2; exit 1; }
dpkg -x ./*.deb x
mkdir -p "$dir"
cp x/usr/lib/debug/boot/xen-syms-4.17-amd64 "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
