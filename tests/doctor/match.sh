# SPDX-License-Identifier: GPL-2.0-or-later
# Line matching on the doctor's output (needs e2e/lib.sh's ok and bad).
# has FILE DESCRIPTION PATTERN: some line of FILE matches PATTERN (grep -E).
has() {
	if grep -qE -- "$3" "$1"; then ok "$2"; else bad "$2: no line matching '$3' in: $(cat "$1")"; fi
}
# hasnt FILE DESCRIPTION PATTERN: no line of FILE matches PATTERN.
hasnt() {
	if grep -qE -- "$3" "$1"; then bad "$2: unexpected '$(grep -E -- "$3" "$1" | head -1)'"; else ok "$2"; fi
}
