#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# fetch.sh CACHE: the Debian 12 pieces of the real Xen host, downloaded with
# apt-get download (never installed) and unpacked with dpkg -x into
# CACHE/VERSION/x: Xen 4.17 and its xen-syms, Debian's 6.1 kernel, busybox,
# xen-utils (xenstored, xl, xenconsoled) and xenstore-utils.  Kept while the versions the
# archive offers stay the same.  Prints the directory; on failure one line
# naming the piece that could not be had, exit 1.
set -euo pipefail
cache=${1:?usage: fetch.sh CACHE}
fail() { echo "realxen: $*" >&2; exit 1; }
mkdir -p "$cache" && cache=$(cd "$cache" && pwd) || fail "cannot create $cache"
command -v apt-cache >/dev/null || fail "apt-cache is missing: a Debian host is needed"
ver() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)'; }
xver=$(ver xen-hypervisor-4.17-amd64 || true)
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/.*Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -1)
if [ -z "$xver" ] || [ -z "$kpkg" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	xver=$(ver xen-hypervisor-4.17-amd64 || true)
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-6\.1[^ ]*-amd64\)$/\1/p' | head -1)
fi
[ -n "$xver" ] || fail "the Debian archive offers no xen-hypervisor-4.17-amd64 (apt-get update?)"
[ -n "$kpkg" ] || fail "the Debian archive offers no linux-image-6.1 kernel (linux-image-amd64)"
kver=$(ver "$kpkg")
dir=$cache/xen-$xver-$kpkg-$kver
if [ -f "$dir/done" ]; then echo "$dir"; exit 0; fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/debs"
# apt-get download runs as _apt where it can: let it write here.
chmod 777 "$dir.tmp/debs"
cd "$dir.tmp/debs"
# The hypervisor and its debug image from one build: xen-syms must match.
pkgs=("xen-hypervisor-4.17-amd64=$xver" "xen-hypervisor-4.17-amd64-dbg=$xver"
	"xen-utils-4.17=$xver" "xenstore-utils=$xver" "$kpkg=$kver" busybox-static)
for p in "${pkgs[@]}"; do
	apt-get download -q "$p" >/dev/null 2>&1 ||
		fail "cannot download ${p%%=*} ($p) from the Debian archive"
done
for f in *.deb; do dpkg -x "$f" ../x || fail "dpkg -x $f failed"; done
cd ..
rm -rf debs
# Of the kernel's modules only the Xen drivers go into dom0.
for m in x/lib/modules/*/kernel/*; do
	[ "$m" = "${m%/drivers}" ] && rm -rf "$m"
done
for m in x/lib/modules/*/kernel/drivers/*; do
	[ "$m" = "${m%/xen}" ] && rm -rf "$m"
done
[ -s x/boot/xen-4.17-amd64.gz ] || fail "xen-hypervisor-4.17-amd64 has no boot/xen-4.17-amd64.gz"
grep -q '^CONFIG_XENOPROF=y' x/boot/xen-4.17-amd64.config ||
	fail "Debian's Xen $xver is built without CONFIG_XENOPROF"
gunzip -c x/boot/xen-4.17-amd64.gz >xen-4.17-amd64
cp x/usr/lib/debug/boot/xen-syms-4.17-amd64 xen-syms-4.17-amd64 ||
	fail "xen-hypervisor-4.17-amd64-dbg has no xen-syms-4.17-amd64"
touch done
cd ..
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
