#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Report latency against session size: sessions of 1e5, 1e6 and 1e7 samples
# over the machine's real images (libc, the kernel's kallsyms, a large
# binary, the real xen-syms), each with at most DISTINCT distinct addresses
# (default 200000: the report's cost grows with those, not with samples).
# Prints the wall time of `xenprof-report --symbols`, `-l -g` and
# `--format=pprof`, and, when perf is installed, `perf report` on a
# perf.data of the same number of samples recorded with perf itself
# (comparable, not identical data).
#   bench/report-scale.sh [DISTINCT]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
distinct=${1:-200000}
T=$(mktemp -d /tmp/xp-report-scale.XXXXXX)
trap 'rm -rf "$T"' EXIT
xen=$top/tests/data/xen-syms-4.17-amd64
[ -f "$xen" ] || "$top/tests/data/fetch-xen-syms.sh" >/dev/null 2>&1 || true
[ -f "$xen" ] || xen=""
big=$top/report/xenprof-report
for b in /usr/bin/perf /usr/lib/x86_64-linux-gnu/libLLVM*.so* /usr/bin/gdb; do
	[ -f "$b" ] && { big=$b; break; }
done
cc -O2 -I"$top" -o "$T/gen" "$top/bench/gen-session.c" "$top/report/libreport.a" \
	"$top/libsamples/libsamples.a" -ldw -lelf -lz -lprotobuf-c
ms() { # ms CMD...: wall milliseconds of CMD
	s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
	echo $(( (e - s) / 1000000 ))
}
printf '%-10s %-9s %-12s %-10s %-10s %-14s\n' samples distinct "--symbols" "-l -g" pprof "perf report"
for n in 100000 1000000 10000000; do
	d=$distinct; [ "$d" -gt "$n" ] && d=$n
	"$T/gen" "$T/s$n" "$n" "$d" "$big" "$xen" >/dev/null
	R="$top/report/xenprof-report --session-dir=$T/s$n"
	$R -l >/dev/null 2>&1	# warm the page cache
	t1=$(ms $R -l); t2=$(ms $R -l -g); t3=$(ms $R --format=pprof -o "$T/p.pb.gz")
	tp=n/a
	if command -v perf >/dev/null 2>&1; then
		# perf.data with about n samples: -c sets the period of cpu-clock (ns).
		if perf record -q -e cpu-clock -c 10000 -a -o "$T/perf.data" -- \
			sh -c "timeout $((n / 100000 + 1)) sh -c 'while :; do :; done'" >/dev/null 2>&1; then
			tp=$(ms perf report -i "$T/perf.data" --stdio)
		fi
	fi
	printf '%-10s %-9s %-12s %-10s %-10s %-14s\n' "$n" "$d" "${t1}ms" "${t2}ms" "${t3}ms" \
		"$( [ "$tp" = n/a ] && echo n/a || echo "${tp}ms")"
done
