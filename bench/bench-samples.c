/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Micro-benchmark of xps_profile_add: 10M adds over ~100k distinct keys,
 * drawn uniformly (worst case: every add misses the caches) or, with the
 * argument "skewed", from a power law as real sample streams are.
 * Not built by default:
 *   cc -O2 -I. -include config.h bench/bench-samples.c libsamples/libsamples.a -lz -lm
 * Add -DNKEYS=1000 (10000, 1000000, ...) for other key set sizes.  The time
 * includes the benchmark's own random read of the key (40 bytes from an
 * NKEYS-entry array), a cache miss of its own once NKEYS is large.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "libsamples/samples.h"

#ifndef NKEYS
#define NKEYS	100000
#endif
#define NADDS	10000000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct xps_profile *p = xps_profile_new(0, "bench");
	struct xps_key *keys = malloc(NKEYS * sizeof *keys);
	uint32_t *order = malloc(NADDS * sizeof *order);
	uint64_t x = 88172645463325252ULL;
	struct xps_image img = { .path = "/bin/bench" };
	double t0, t1;
	size_t n;
	int skewed = argc > 1 && strcmp(argv[1], "skewed") == 0;

	for (int i = 0; i < 8; i++)
		xps_profile_image(p, &img), img.kind = (uint8_t)(i % 5);
	for (int i = 0; i < NKEYS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		xps_key_init(&keys[i]);
		keys[i].offset = 0x400000 + (x & 0xfffff) * 4;
		keys[i].image = (uint32_t)(x >> 40) % xps_profile_nimages(p);
		keys[i].tgid = keys[i].tid = 1000 + (uint32_t)(x >> 50) % 64;
		keys[i].cpu = (uint32_t)(x >> 58) % 8;
	}
	for (int i = 0; i < NADDS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (skewed)	/* P(index < k) ~ (k / NKEYS)^(1/4) */
			order[i] = (uint32_t)(NKEYS * pow((x >> 11) * 0x1p-53, 4));
		else
			order[i] = (uint32_t)(x % NKEYS);
	}
	t0 = now();
	for (int i = 0; i < NADDS; i++)
		if (xps_profile_add(p, &keys[order[i]], 1) < 0) {
			fprintf(stderr, "%s\n", xps_errmsg());
			return 1;
		}
	t1 = now();
	xps_profile_records(p, &n);
	printf("%s: %d adds, %zu distinct keys: %.1f ns/add (total %llu)\n",
	    skewed ? "skewed" : "uniform", NADDS, n, (t1 - t0) * 1e9 / NADDS,
	    (unsigned long long)xps_profile_total(p));
	xps_profile_free(p);
	free(keys);
	free(order);
	return 0;
}
