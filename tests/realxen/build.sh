#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh PIECES DESTDIR OUT PROGRAM...: the initramfs of the real Xen host.
#
#   PIECES   the unpacked Debian packages (fetch.sh's directory)
#   DESTDIR  the product, installed there with `make install DESTDIR=`
#   OUT      receives initrd-domu.cpio.gz and initrd-dom0.cpio.gz
#   PROGRAM  more programs for both (the workload), by path
#
# Both carry busybox, the kernel's Xen drivers, xenstore-utils, xen-syms,
# the product's installed tree and the given programs, each ELF with its ldd
# closure at the same paths, and init.sh as /init.  dom0's also carries
# xenstored, xen-init-dom0, xenconsoled, xl, the kernel and the domU's
# initramfs, so that it can start a guest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pieces=$(cd "$1" && pwd) dest=$(cd "$2" && pwd) out=$3
shift 3
x=$pieces/x
fail() { echo "realxen: $*" >&2; exit 1; }
kver=$(ls "$x/lib/modules" | head -1)
[ -n "$kver" ] || fail "no kernel modules in $x/lib/modules"
kmod=$x/lib/modules/$kver/kernel/drivers/xen
xbin=$x/usr/lib/xen-4.17/bin

# Copy ELF $2 (a path on this host) to $1/$3 (default: the same path) with
# every library ldd finds for it.
add_elf() {
	local root=$1 src=$2 to=${3:-$2} lib
	mkdir -p "$root$(dirname "$to")"
	cp -L "$src" "$root$to"
	if ldd "$src" 2>&1 | grep -q 'not found'; then
		fail "$src: libraries not found: $(ldd "$src" | grep 'not found' | tr -s ' \t' ' ' | tr '\n' ';')"
	fi
	for lib in $(ldd "$src" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# The parts both domains have.
common() {
	local root=$1 f
	shift
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,var/lib,var/log,etc,lib/modules,root}
	ln -s ../run "$root/var/run"
	cp "$x/bin/busybox" "$root/bin/busybox"
	for m in xen-privcmd.ko xen-evtchn.ko xenfs/xenfs.ko xen-gntdev.ko xen-gntalloc.ko; do
		[ -f "$kmod/$m" ] || fail "the kernel package has no drivers/xen/$m"
		cp "$kmod/$m" "$root/lib/modules/"
	done
	for f in xenstore-read xenstore-write xenstore-ls; do
		add_elf "$root" "$x/usr/bin/$f" "/usr/bin/$f"
	done
	# The product as `make install` laid it out, its programs with their libraries.
	cp -a "$dest/." "$root/"
	while IFS= read -r f; do
		[ "$(head -c4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && add_elf "$root" "$f" "${f#"$dest"}"
	done < <(find "$dest" -type f -perm -u+x)
	# Installed elsewhere than /usr/local (make distcheck's prefix): on the PATH too.
	mkdir -p "$root/usr/local/bin"
	while IFS= read -r f; do
		[ -e "$root/usr/local/bin/$(basename "$f")" ] ||
			ln -s "${f#"$dest"}" "$root/usr/local/bin/$(basename "$f")"
	done < <(find "$dest" -type f -perm -u+x \( -path '*/bin/*' -o -path '*/sbin/*' \))
	for f in "$@"; do
		add_elf "$root" "$f" "/usr/local/bin/$(basename "$f")"
	done
	mkdir -p "$root/boot"
	cp "$pieces/xen-syms-4.17-amd64" "$root/boot/xen-syms-4.17-amd64"
	cp "$here/init.sh" "$root/init"
	chmod 755 "$root/init"
	# root, and the system user xenprofd's sampler runs as, as the package's
	# postinst (or systemd-sysusers with dist/xenprof.sysusers) makes it.
	printf 'root:x:0:0:root:/root:/bin/sh\n_xenprof:x:999:999:xenprof sampler:/nonexistent:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\n_xenprof:x:999:\n' >"$root/etc/group"
	printf 'passwd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"
}

cpio_gz() {
	(cd "$1" && find . | LC_ALL=C sort | "$x/bin/busybox" cpio -o -H newc 2>/dev/null | gzip -1) >"$2"
}

mkdir -p "$out"
common "$out/root-domu" "$@"
cpio_gz "$out/root-domu" "$out/initrd-domu.cpio.gz"

common "$out/root-dom0" "$@"
r=$out/root-dom0
for f in xenstored xen-init-dom0 xenconsoled xl; do
	[ -x "$xbin/$f" ] || fail "xen-utils-4.17 has no $f"
	add_elf "$r" "$xbin/$f" "/usr/sbin/$f"
done
# dlopen()ed by glibc for pthread_cancel (xl).
gcc_s=$(ldconfig -p | sed -n 's/.*libgcc_s.so.1 (libc6,x86-64) => //p' | head -1)
[ -n "$gcc_s" ] || fail "libgcc_s.so.1 is missing on this host"
mkdir -p "$r$(dirname "$gcc_s")"
cp -L "$gcc_s" "$r$gcc_s"
mkdir -p "$r/boot" "$r/var/lib/xen" "$r/var/lib/xenstored" "$r/var/log/xen/console" "$r/etc/xen"
cp "$x/boot/vmlinuz-$kver" "$r/boot/vmlinuz"
cp "$out/initrd-domu.cpio.gz" "$r/boot/initrd-domu.cpio.gz"
cpio_gz "$r" "$out/initrd-dom0.cpio.gz"
rm -rf "$out/root-domu" "$out/root-dom0"
cp "$x/boot/vmlinuz-$kver" "$out/vmlinuz"
ls -la "$out"
