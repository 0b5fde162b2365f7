# SPDX-License-Identifier: GPL-2.0-or-later
# fx-lib.sh - shared helpers for fakexen's shell tests (sourced).
#
# Every test gets a private directory ($FX_DIR, from mktemp -d) and a trap
# that stops the simulator, kills the processes the test started (recorded
# with fx_bg) and removes the directory, on success and on failure alike.

set -u

FX_BUILDDIR=${FX_BUILDDIR:-$(cd "$(dirname "$0")" && pwd)}
FAKEXEN=$FX_BUILDDIR/fakexen
XOCLIENT=$FX_BUILDDIR/xoclient
FIXTURE=$FX_BUILDDIR/fx-fixture
FX_PIDS=
FX_NAME=$(basename "$0" .test)

FX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fx.XXXXXX") || exit 99

fx_cleanup() {
	for p in $FX_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	"$FAKEXEN" down --dir "$FX_DIR" >/dev/null 2>&1
	rm -rf "$FX_DIR"
}
trap fx_cleanup EXIT
trap 'exit 1' INT TERM HUP

for f in "$FAKEXEN" "$XOCLIENT" "$FIXTURE" "$FX_BUILDDIR/libfakexen.so"; do
	if [ ! -x "$f" ] && [ ! -r "$f" ]; then
		echo "$FX_NAME: missing $f (run make check)" >&2
		exit 99
	fi
done

fx_fail() {
	echo "FAIL $FX_NAME: $*" >&2
	if [ -r "$FX_DIR/fakexen.log" ]; then
		echo "--- fakexen.log" >&2
		tail -20 "$FX_DIR/fakexen.log" >&2
	fi
	exit 1
}

fx_ok() {
	echo "ok $FX_NAME: $*"
}

# fx_up: start the simulator on the config read from stdin.
fx_up() {
	cat > "$FX_DIR/config" || fx_fail "cannot write config"
	"$FAKEXEN" up --dir "$FX_DIR" --config "$FX_DIR/config" ||
		fx_fail "fakexen up failed"
}

fx_down() {
	"$FAKEXEN" down --dir "$FX_DIR" >/dev/null || fx_fail "fakexen down failed"
}

# fx_client DOMAIN OUTFILE STEP...: run xoclient as DOMAIN (fails the test
# if xoclient does).  Uses $FX_DIR/syms when it exists.
fx_client() {
	_dom=$1 _out=$2
	shift 2
	if [ -r "$FX_DIR/syms" ]; then
		set -- -s "$FX_DIR/syms" "$@"
	fi
	timeout 60 "$FAKEXEN" exec --dir "$FX_DIR" --domain "$_dom" -- \
		"$XOCLIENT" "$@" > "$_out" 2> "$_out.err" ||
		{ cat "$_out" "$_out.err" >&2; fx_fail "xoclient as dom$_dom failed"; }
}

# fx_bg PID: remember a background process for cleanup.
fx_bg() {
	FX_PIDS="$FX_PIDS $1"
}

# fx_truth_field NAME: a top-level number of the truth JSON.
fx_truth_field() {
	case $1 in
	generated) _f=2 ;; delivered) _f=3 ;; lost) _f=4 ;; unprofiled) _f=5 ;;
	esac
	"$FAKEXEN" truth --dir "$FX_DIR" --lines | awk -v f=$_f '$1 == "total" { print $f }'
}

# fx_wait_generated N: until the truth has generated N samples (limit N).
fx_wait_generated() {
	_i=0
	while [ "$(fx_truth_field generated)" != "$1" ]; do
		_i=$((_i + 1))
		[ $_i -gt 2000 ] && fx_fail "generated never reached $1 (at $(fx_truth_field generated))"
		sleep 0.01
	done
}

# fx_syms DOMAIN MODE [PID]: add the fixture's functions to $FX_DIR/syms for
# DOMAIN/MODE, at their runtime addresses in process PID when given.
fx_syms() {
	_bias=0
	if [ $# -ge 3 ]; then
		_start=$(awk -v exe="$FIXTURE" '$6 == exe && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' "/proc/$3/maps")
		[ -n "$_start" ] || fx_fail "cannot find fx-fixture in /proc/$3/maps"
		_bias=$((0x$_start))
	fi
	nm -S --defined-only "$FIXTURE" | while read -r _lo _size _type _name; do
		case $_type in T|t) ;; *) continue ;; esac
		[ -n "$_name" ] || continue
		printf '%s %s %x %x %s\n' "$1" "$2" $((_bias + 0x$_lo)) \
			$((_bias + 0x$_lo + 0x$_size)) "$_name"
	done >> "$FX_DIR/syms"
}

# fx_compare CLIENT_OUT...: the samples the clients read, per (domain, mode,
# symbol), must equal what the truth says was delivered.
fx_compare() {
	"$FAKEXEN" truth --dir "$FX_DIR" --lines |
		awk '$1 != "total" && $4 > 0 { print $1, $2, $3, $4 }' | sort > "$FX_DIR/want"
	cat "$@" | awk '$1 == "sample" { print $2, $3, $4, $5 }' | sort > "$FX_DIR/got"
	diff "$FX_DIR/want" "$FX_DIR/got" >&2 ||
		fx_fail "samples read differ from the truth (< truth, > read)"
}

# fx_totals_add_up: generated == delivered + lost + unprofiled
fx_totals_add_up() {
	set -- $("$FAKEXEN" truth --dir "$FX_DIR" --lines | awk '$1 == "total" { print $2, $3, $4, $5 }')
	[ "$1" -eq $(($2 + $3 + $4)) ] ||
		fx_fail "truth does not add up: generated $1 != $2 + $3 + $4"
}

# fx_expect FILE PATTERN: FILE has a line matching the grep pattern.
fx_expect() {
	grep -q -- "$2" "$1" || { cat "$1" >&2; fx_fail "no line matching '$2' in $(basename "$1")"; }
}

# The host most tests use: the fixture as Xen and as every kernel.
fx_std_config() {
	cat <<EOF
pcpus 2
cpu_type i386/arch_perfmon
rate ${FX_RATE:-50000}
seed ${FX_SEED:-7}
limit ${FX_LIMIT:-0}
timeslice 200
xen_image $FIXTURE
domain 0 name Domain-0 vcpus 2 weight 50 kernel $FIXTURE
domain 1 name web01 vcpus 1 weight 30 kernel $FIXTURE
domain 3 name db03 vcpus 2 weight 20 kernel $FIXTURE
work 0 xen do_softirq 10
work 0 kernel ext4_file_write 30
work 0 user - 60
work 1 xen do_page_fault 20
work 1 kernel schedule 80
work 3 kernel copy_user_generic 100
EOF
}

# The primary's steps up to sampling (dom0 active, PASSIVE passive).
fx_primary_setup() {
	echo init get_buffer map reset_active set_active:0 reset_passive
	for _p in "$@"; do
		echo "set_passive:$_p map_passive:$_p"
	done
	echo reserve counters setup enable_virq
}

fx_primary_teardown="disable_virq release unmap shutdown"
