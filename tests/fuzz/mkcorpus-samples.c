/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the seed corpus of fuzz-samples into DIR: small valid profiles and
 * meta files covering every section.  Not built by default:
 *   cc -I. -include config.h tests/fuzz/mkcorpus-samples.c libsamples/libsamples.a -lz
 *   ./a.out tests/fuzz/corpus/samples
 */
#include <stdio.h>
#include <string.h>

#include "libsamples/samples.h"

static void
add_image(struct xps_profile *p, uint8_t kind, const char *path, uint8_t bidlen)
{
	struct xps_image img;

	memset(&img, 0, sizeof img);
	img.path = (char *)path;
	img.kind = kind;
	img.build_id_len = bidlen;
	for (int i = 0; i < bidlen; i++)
		img.build_id[i] = (uint8_t)(0x10 + i);
	xps_profile_image(p, &img);
}

int
main(int argc, char **argv)
{
	char path[4096];
	struct xps_profile *p;
	struct xps_frame f[3] = { { 0, 0, 0x400 }, { 1, 0, 0x10 }, { 0, 0, 0x500 } };
	static struct xps_meta m;
	struct xps_key k;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	/* Empty profile. */
	p = xps_profile_new(0, NULL);
	snprintf(path, sizeof path, "%s/empty.samples", argv[1]);
	if (xps_profile_write(p, path) < 0)
		goto fail;
	xps_profile_free(p);

	/* Every section. */
	p = xps_profile_new(1, "web01");
	add_image(p, XPS_IMG_FILE, "/usr/sbin/nginx", 20);
	add_image(p, XPS_IMG_KERNEL, "[kernel.kallsyms]", 0);
	add_image(p, XPS_IMG_XEN, "/boot/xen-syms", 4);
	xps_profile_chain(p, f, 3);
	xps_profile_chain(p, f + 1, 1);
	for (int i = 0; i < 6; i++) {
		xps_key_init(&k);
		k.offset = 0x400 + 16 * i;
		k.image = i % 3;
		k.app = i & 1 ? 0 : XPS_NONE;
		k.tgid = i & 2 ? 1234 : XPS_NONE;
		k.tid = k.tgid;
		k.cpu = i % 2;
		k.chain = i % 3;
		k.event = i % 2;
		k.mode = i % 3;
		xps_profile_add(p, &k, 1 + i);
	}
	xps_profile_add_lost(p, 0, XPS_LOSS_RING, 3);
	xps_profile_add_lost(p, XPS_NONE, XPS_LOSS_NO_MAPPING, 1);
	snprintf(path, sizeof path, "%s/dom1.samples", argv[1]);
	if (xps_profile_write(p, path) < 0)
		goto fail;
	xps_profile_free(p);

	/* Meta. */
	strcpy(m.backend, "perf");
	strcpy(m.cpu_type, "x86-64/generic");
	strcpy(m.hostname, "host");
	m.separate = XPS_SEP_LIBRARY;
	m.callgraph = 8;
	m.start_time = 1;
	strcpy(m.vmlinux, "/boot/vmlinux");
	strcpy(m.xen, "/boot/xen-syms");
	m.xen_build_id_len = 4;
	m.nevents = 1;
	strcpy(m.events[0].name, "cpu-clock");
	m.events[0].count = 100000;
	m.events[0].kernel = m.events[0].user = 1;
	m.ndomains = 2;
	strcpy(m.domains[0].name, "Domain-0");
	m.domains[1].domid = 1;
	strcpy(m.domains[1].name, "web01");
	m.domains[1].role = 1;
	snprintf(path, sizeof path, "%s/meta", argv[1]);
	if (xps_meta_write(&m, path) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "%s\n", xps_errmsg());
	return 1;
}
