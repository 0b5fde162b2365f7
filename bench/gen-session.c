/*
 * Throwaway generator for timing xenprof-report: writes a session with N
 * distinct (image, offset) records, half in libc's text (file offsets, with
 * libc's real build-id) and half in the running kernel's text (addresses,
 * symbolized from a kallsyms copy taken from /proc/kallsyms).
 * Not wired into the build:
 *   cc -O2 -I. -o /tmp/gen-session bench/gen-session.c report/libreport.a \
 *      libsamples/libsamples.a -ldw -lelf -lz
 *   /tmp/gen-session /tmp/bench-sess 1000000
 *   time report/xenprof-report --session-dir=/tmp/bench-sess -l >/dev/null
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libsamples/samples.h"
#include "report/report.h"

#define LIBC	"/lib/x86_64-linux-gnu/libc.so.6"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/bench-sess";
	size_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	char path[4096], err[256];
	struct xps_meta m;
	struct xps_profile *p;
	struct xps_image li = { .path = LIBC, .kind = XPS_IMG_FILE };
	struct xps_image ki = { .path = "[kernel.kallsyms]", .kind = XPS_IMG_KERNEL };
	struct sym_image *im;
	const uint8_t *id;
	struct kallsyms *ks;
	uint64_t ktext = 0, ketext = 0;
	FILE *f;
	char *buf;
	size_t len;

	if (xps_session_init(dir) != 0) {
		fprintf(stderr, "%s\n", xps_errmsg());
		return 1;
	}
	memset(&m, 0, sizeof(m));
	strcpy(m.backend, "perf");
	strcpy(m.cpu_type, "bench");
	m.nevents = 1;
	strcpy(m.events[0].name, "cpu-clock");
	m.events[0].count = 1000000;
	snprintf(path, sizeof(path), "%s/current/meta", dir);
	xps_meta_write(&m, path);

	/* kallsyms copy */
	f = fopen("/proc/kallsyms", "r");
	buf = malloc(64 << 20);
	len = fread(buf, 1, 64 << 20, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/current/kallsyms", dir);
	xps_write_file(path, buf, len);
	ks = ksyms_parse(buf, len);
	for (size_t i = ks->mod_start[0]; i < ks->mod_end[0]; i++) {
		const char *nm = ks->names + ks->syms[i].name;
		if (strcmp(nm, "_stext") == 0)
			ktext = ks->syms[i].addr;
		if (strcmp(nm, "_etext") == 0)
			ketext = ks->syms[i].addr;
	}
	if (ktext == 0 || ketext <= ktext) {
		fprintf(stderr, "no _stext/_etext in /proc/kallsyms\n");
		return 1;
	}

	im = sym_open(LIBC, err, sizeof(err));
	if (im && (li.build_id_len = (uint8_t)sym_build_id(im, &id)) > 0)
		memcpy(li.build_id, id, li.build_id_len);
	p = xps_profile_new(0, "Domain-0");
	uint32_t il = xps_profile_image(p, &li), ik = xps_profile_image(p, &ki);
	for (size_t i = 0; i < n; i++) {
		struct xps_key k;
		xps_key_init(&k);
		if (i & 1) {
			k.image = ik;
			k.offset = ktext + next() % (ketext - ktext);
		} else {
			k.image = il;
			k.offset = 0x26000 + next() % 0x1550fc;	/* libc's r-x PT_LOAD */
		}
		xps_profile_add(p, &k, 1 + next() % 16);
	}
	size_t nrec;
	xps_profile_records(p, &nrec);
	xps_profile_filename(path, sizeof(path), dir, 0);
	snprintf(path, sizeof(path), "%s/current/dom0.samples", dir);
	if (xps_profile_write(p, path) != 0) {
		fprintf(stderr, "%s\n", xps_errmsg());
		return 1;
	}
	printf("%zu distinct records, %llu samples\n", nrec,
	       (unsigned long long)xps_profile_total(p));
	return 0;
}
