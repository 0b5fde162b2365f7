/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xp-loop: one function, hot_loop, whose time is almost all in its inner
 * loop, for the annotate tests (the loop's instructions and lines must come
 * first).  The loop body spans several source lines, each marked HOT; the
 * code before and after the loop runs once per call.
 *
 *   xp-loop SECONDS
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned long hot_loop(unsigned long n);

__attribute__((noinline)) unsigned long
hot_loop(unsigned long n)
{
	unsigned long x = sink, y = n;

	for (unsigned long i = 0; i < n; i++) {
		x = x * 6364136223846793005ul + i;	/* HOT */
		y ^= x >> 29;				/* HOT */
		x += y << 3;				/* HOT */
	}
	sink = x ^ y;
	return x;
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 0;

	if (seconds <= 0 || seconds > 3600) {
		fprintf(stderr, "usage: xp-loop SECONDS\n");
		return 2;
	}
	double end = now() + seconds;
	do
		hot_loop(200000);
	while (now() < end);
	return 0;
}
