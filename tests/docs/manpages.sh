#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages: each renders without a warning (man --warnings, the way
# lintian runs it), has a whatis entry, names its own section in .Dt,
# refers to our pages by their right sections, and shows no nested-quote
# debris; and a package holding them passes lintian's manual-page checks
# (documentation/manual) without a warning.  Needs man-db and lintian
# (./quickstart installs both).
. "$(dirname "$0")/../e2e/lib.sh"

pages=("$top_srcdir"/doc/*.1 "$top_srcdir"/doc/*.8)
check "there are man pages (${#pages[@]})" test "${#pages[@]}" -ge 3
for tool in man:man-db lexgrog:man-db lintian:lintian dpkg-deb:dpkg; do
	command -v "${tool%%:*}" >/dev/null ||
		{ bad "${tool%%:*} is missing: apt-get install ${tool#*:}"; finish; exit; }
done

# Our pages' sections, by name, for the cross-references.
declare -A section
for p in "${pages[@]}"; do
	b=$(basename "$p")
	section[${b%.*}]=${b##*.}
done

for p in "${pages[@]}"; do
	b=$(basename "$p")
	name=${b%.*} sec=${b##*.}
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$p" >/dev/null 2>"$T/err"
	check "$b: man --warnings says nothing$( [ -s "$T/err" ] && echo ": $(head -3 "$T/err" | tr '\n' ' ')")" \
		test ! -s "$T/err"
	check "$b: a whatis entry ($(lexgrog "$p" 2>&1 | cut -d'"' -f2))" \
		bash -c "lexgrog '$p' | grep -q ': \"$name - .'"
	check "$b: .Dt names section $sec" grep -qiE "^\.Dt $name $sec$" "$p"
	while read -r ref rsec; do
		[ -n "${section[$ref]:-}" ] || continue
		check "$b: .Xr $ref $rsec is section ${section[$ref]}" test "$rsec" = "${section[$ref]}"
	done < <(sed -n 's/^\.Xr \([^ ]*\) \([0-9]\).*/\1 \2/p' "$p")
	LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$p" 2>/dev/null >"$T/text"
	check "$b: no nested quotes in the rendered text$(grep -oE "..(’’|‘‘|‘[^’]*‘).." "$T/text" | head -1 | sed 's/^/: /')" \
		bash -c "! grep -qE '’’|‘‘|‘[^’]*‘' '$T/text'"
done

# lintian's checks of manual pages, on a package that holds them as the
# real one does (gzip -9n under /usr/share/man).
D=$T/deb
mkdir -p "$D/DEBIAN"
for p in "${pages[@]}"; do
	b=$(basename "$p")
	mkdir -p "$D/usr/share/man/man${b##*.}"
	gzip -9n -c "$p" >"$D/usr/share/man/man${b##*.}/$b.gz"
done
cat >"$D/DEBIAN/control" <<CTL
Package: xenprof-manpages
Version: 0.1.0
Architecture: all
Maintainer: xenprof developers <xenprof-devel@lists.xenprof.org>
Description: the man pages of xenprof
 A package made by the man page test, for lintian.
CTL
dpkg-deb --root-owner-group -b "$D" "$T/manpages.deb" >/dev/null || bad "dpkg-deb"
lintian -C documentation/manual --fail-on error,warning "$T/manpages.deb" >"$T/lintian" 2>"$T/lintian.err"; rc=$?
check "lintian's manual-page checks: no error or warning (exit $rc)$(grep -E '^[EW]:' "$T/lintian" | head -3 | sed 's/^/; /' | tr '\n' ' ')" \
	bash -c "[ $rc -eq 0 ] && ! grep -qE '^[EW]:' '$T/lintian'"
finish
