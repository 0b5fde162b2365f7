/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session generator for bench/report-scale.sh: writes a session of SAMPLES
 * samples over the machine's real images, spread over at most DISTINCT
 * distinct (image, offset) records (the report's cost driver):
 *   libc (file offsets in its r-x segment, real build-id),
 *   the running kernel (addresses between _stext and _etext, symbolized from
 *   the kallsyms copy taken here), a large binary (BIG, file offsets in its
 *   first executable segment), and xen-syms (XEN, addresses in .text) for a
 *   passive domain 1; one record in 8 carries a 3-frame call chain.
 *   cc -O2 -I. -o /tmp/gen-session bench/gen-session.c report/libreport.a \
 *      libsamples/libsamples.a -ldw -lelf -lz -lprotobuf-c
 *   /tmp/gen-session DIR SAMPLES [DISTINCT [BIG [XEN]]]
 */
#include <gelf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* First executable PT_LOAD of FILE: [*lo, *hi) as file offsets or addresses. */
static int
exec_segment(const char *file, int addresses, uint64_t *lo, uint64_t *hi)
{
	int fd = open(file, O_RDONLY), ok = -1;
	size_t n;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_getphdrnum(e, &n) == 0)
		for (size_t i = 0; i < n && ok; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
			    ph.p_filesz > 0x1000) {
				*lo = addresses ? ph.p_vaddr : ph.p_offset;
				*hi = *lo + ph.p_filesz;
				ok = 0;
			}
		}
	if (e)
		elf_end(e);
	close(fd);
	return ok;
}

static void
image_bid(struct xps_image *img)
{
	char err[256];
	const uint8_t *id;
	struct sym_image *im = sym_open(img->path, err, sizeof(err));
	int n = im ? sym_build_id(im, &id) : 0;

	if (n > 0 && n <= XPS_BUILD_ID_MAX) {
		memcpy(img->build_id, id, n);
		img->build_id_len = (uint8_t)n;
	}
	sym_close(im);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/bench-sess";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
	uint64_t distinct = argc > 3 ? strtoull(argv[3], NULL, 0) : 200000;
	const char *big = argc > 4 ? argv[4] : NULL;
	const char *xen = argc > 5 ? argv[5] : NULL;
	char path[4096];
	struct xps_meta m;
	struct xps_profile *p, *p1 = NULL;
	struct xps_image li = { .path = LIBC, .kind = XPS_IMG_FILE };
	struct xps_image ki = { .path = "[kernel.kallsyms]", .kind = XPS_IMG_KERNEL };
	struct xps_image bi = { .path = (char *)big, .kind = XPS_IMG_FILE };
	struct xps_image xi = { .path = (char *)xen, .kind = XPS_IMG_XEN };
	struct kallsyms *ks;
	uint64_t ktext = 0, ketext = 0, llo, lhi, blo = 0, bhi = 0, xlo = 0, xhi = 0;
	FILE *f;
	char *buf;
	size_t len;

	if (distinct > n)
		distinct = n;
	if (distinct == 0)
		distinct = 1;
	if (xps_session_init(dir) != 0) {
		fprintf(stderr, "%s\n", xps_errmsg());
		return 1;
	}
	memset(&m, 0, sizeof(m));
	strcpy(m.backend, "xenoprof");
	strcpy(m.cpu_type, "bench");
	m.nevents = 1;
	strcpy(m.events[0].name, "CPU_CLK_UNHALTED");
	m.events[0].count = 100000;
	m.callgraph = 4;
	m.ndomains = xen ? 2 : 1;
	strcpy(m.domains[0].name, "Domain-0");
	m.domains[1].domid = 1;
	m.domains[1].role = 2;
	strcpy(m.domains[1].name, "passive1");
	snprintf(path, sizeof(path), "%s/current/meta", dir);
	xps_meta_write(&m, path);

	f = fopen("/proc/kallsyms", "r");
	buf = malloc(64 << 20);
	len = f ? fread(buf, 1, 64 << 20, f) : 0;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/current/kallsyms", dir);
	xps_write_file(path, buf, len);
	ks = ksyms_parse(buf, len);
	for (size_t i = ks->nmods ? ks->mod_start[0] : 0; ks->nmods && i < ks->mod_end[0]; i++) {
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
	if (exec_segment(LIBC, 0, &llo, &lhi) != 0) {
		fprintf(stderr, "%s: no executable segment\n", LIBC);
		return 1;
	}
	image_bid(&li);
	if (big && exec_segment(big, 0, &blo, &bhi) == 0)
		image_bid(&bi);
	else
		big = NULL;
	if (xen && exec_segment(xen, 1, &xlo, &xhi) == 0)
		image_bid(&xi);
	else
		xen = NULL;
	p = xps_profile_new(0, "Domain-0");
	uint32_t il = xps_profile_image(p, &li), ik = xps_profile_image(p, &ki);
	uint32_t ib = big ? (uint32_t)xps_profile_image(p, &bi) : 0;
	uint32_t ix1 = 0, iu1 = 0;
	if (xen) {
		struct xps_image ui = { .path = "[user]", .kind = XPS_IMG_ANON };
		p1 = xps_profile_new(1, "passive1");
		ix1 = (uint32_t)xps_profile_image(p1, &xi);
		iu1 = (uint32_t)xps_profile_image(p1, &ui);
	}
	uint64_t left = n;
	for (uint64_t i = 0; i < distinct; i++) {
		struct xps_key k;
		struct xps_profile *pp = p;
		uint64_t c = left / (distinct - i);
		xps_key_init(&k);
		switch (i % (xen ? 4 : big ? 3 : 2)) {
		case 0:
			k.image = il, k.offset = llo + next() % (lhi - llo), k.mode = XPS_MODE_USER;
			break;
		case 1:
			k.image = ik, k.offset = ktext + next() % (ketext - ktext), k.mode = XPS_MODE_KERNEL;
			break;
		case 2:
			k.image = ib, k.offset = blo + next() % (bhi - blo), k.mode = XPS_MODE_USER;
			if (big)
				break;
			/* fall through */
		default:
			pp = p1;
			if (next() & 1)
				k.image = ix1, k.offset = xlo + next() % (xhi - xlo), k.mode = XPS_MODE_XEN;
			else
				k.image = iu1, k.offset = next() & 0xffffff, k.mode = XPS_MODE_USER;
			break;
		}
		if (pp == p && (i & 7) == 0) {
			struct xps_frame fr[3];
			for (int j = 0; j < 3; j++)
				fr[j] = (struct xps_frame){ il, 0, llo + next() % (lhi - llo) };
			k.chain = xps_profile_chain(p, fr, 3);
		}
		xps_profile_add(pp, &k, c);
		left -= c;
	}
	snprintf(path, sizeof(path), "%s/current/dom0.samples", dir);
	if (xps_profile_write(p, path) != 0) {
		fprintf(stderr, "%s\n", xps_errmsg());
		return 1;
	}
	if (p1) {
		snprintf(path, sizeof(path), "%s/current/dom1.samples", dir);
		xps_profile_write(p1, path);
	}
	size_t nrec;
	xps_profile_records(p, &nrec);
	printf("%llu samples in %llu distinct records\n", (unsigned long long)n,
	       (unsigned long long)distinct);
	return 0;
}
