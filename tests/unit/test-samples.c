/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CUnit tests of libsamples: aggregation, interning, file round trips,
 * corruption and truncation of every region, crash safety and sessions.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "libsamples/samples.h"
#include "libsamples/samplesP.h"

static char tmpdir[256];

/* ===================================================================== */
/* Helpers                                                                */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test-samples.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
suite_fini(void)
{
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	uint8_t *buf;

	CU_ASSERT_FATAL(xps_read_file(path, UINT64_C(1) << 30, &buf, len) == 0);
	return buf;
}

static void
spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

static uint64_t
rng_state = 0x123456789abcdefULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int
image(struct xps_profile *p, uint8_t kind, const char *path, int bidlen)
{
	struct xps_image img;

	memset(&img, 0, sizeof img);
	img.path = (char *)path;
	img.kind = kind;
	img.build_id_len = (uint8_t)bidlen;
	for (int i = 0; i < bidlen && i < XPS_BUILD_ID_MAX; i++)
		img.build_id[i] = (uint8_t)(i * 7 + strlen(path));
	return xps_profile_image(p, &img);
}

static int
count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A small profile touching every section. */
static struct xps_profile *
small_profile(uint32_t domid)
{
	struct xps_profile *p = xps_profile_new(domid, "Domain-small");
	struct xps_frame f[3] = { { 0, 0, 0x10 }, { 1, 0, 0x20 }, { 0, 0, 0x30 } };
	struct xps_key k;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(image(p, XPS_IMG_FILE, "/usr/bin/app", 20) == 0);
	CU_ASSERT(image(p, XPS_IMG_KERNEL, "[kernel.kallsyms]", 0) == 1);
	CU_ASSERT(image(p, XPS_IMG_XEN, "/boot/xen-syms", 8) == 2);
	CU_ASSERT(xps_profile_chain(p, f, 3) == 1);
	CU_ASSERT(xps_profile_chain(p, f + 1, 2) == 2);
	for (int i = 0; i < 5; i++) {
		xps_key_init(&k);
		k.offset = 0x1000 + i;
		k.image = i % 3;
		k.app = i == 2 ? 0 : XPS_NONE;
		k.tgid = 100;
		k.tid = 101;
		k.cpu = i;
		k.chain = i % 3;
		k.event = 1;
		k.mode = i % 3;
		CU_ASSERT(xps_profile_add(p, &k, 10 + i) == 0);
	}
	CU_ASSERT(xps_profile_add_lost(p, 0, XPS_LOSS_RING, 7) == 0);
	CU_ASSERT(xps_profile_add_lost(p, XPS_NONE, XPS_LOSS_NO_MAPPING, 3) == 0);
	return p;
}

static void
fill_meta(struct xps_meta *m)
{
	memset(m, 0, sizeof *m);
	strcpy(m->backend, "xenoprof");
	strcpy(m->cpu_type, "i386/arch_perfmon");
	strcpy(m->hostname, "host.example");
	m->separate = XPS_SEP_LIBRARY | XPS_SEP_CPU;
	m->callgraph = 16;
	m->start_time = 1700000000123456789ULL;
	m->stop_time = 1700000100123456789ULL;
	strcpy(m->vmlinux, "/usr/lib/debug/boot/vmlinux-6.1");
	memset(m->xen, 'x', XPS_PATH_MAX - 1);	/* longest path */
	m->xen[0] = '/';
	m->xen_build_id_len = 20;
	for (int i = 0; i < 20; i++)
		m->xen_build_id[i] = (uint8_t)(0xa0 + i);
	m->kernel_text = 0xffffffff81000000ULL;
	m->nevents = XPS_MAX_EVENTS;
	for (int i = 0; i < XPS_MAX_EVENTS; i++) {
		snprintf(m->events[i].name, XPS_NAME_MAX, "event-%d", i);
		m->events[i].count = 100000 + i;
		m->events[i].unit_mask = i;
		m->events[i].kernel = i & 1;
		m->events[i].user = !(i & 1);
	}
	m->ndomains = 3;
	for (int i = 0; i < 3; i++) {
		m->domains[i].domid = i * 5;
		snprintf(m->domains[i].name, XPS_NAME_MAX, "dom-%d", i);
		m->domains[i].role = i;
		snprintf(m->domains[i].kernel, XPS_PATH_MAX, "/boot/vmlinuz-%d", i);
	}
}

/* ===================================================================== */
/* In-memory profile                                                      */

static void
test_key_init(void)
{
	struct xps_key k;
	static const uint8_t zero[6];

	memset(&k, 0xa5, sizeof k);
	xps_key_init(&k);
	CU_ASSERT(k.offset == 0);
	CU_ASSERT(k.image == 0);
	CU_ASSERT(k.app == XPS_NONE);
	CU_ASSERT(k.tgid == XPS_NONE);
	CU_ASSERT(k.tid == XPS_NONE);
	CU_ASSERT(k.cpu == XPS_NONE);
	CU_ASSERT(k.chain == 0);
	CU_ASSERT(k.event == 0);
	CU_ASSERT(k.mode == 0);
	CU_ASSERT(memcmp(k.pad, zero, 6) == 0);
}

static void
test_add_aggregate(void)
{
	struct xps_profile *p = xps_profile_new(3, "web01");
	const struct xps_record *r;
	struct xps_key k;
	size_t n;

	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(xps_profile_domid(p) == 3);
	CU_ASSERT_STRING_EQUAL(xps_profile_name(p), "web01");
	CU_ASSERT(image(p, XPS_IMG_FILE, "/bin/ls", 0) == 0);

	xps_key_init(&k);
	k.offset = 0x42;
	CU_ASSERT(xps_profile_add(p, &k, 1) == 0);
	CU_ASSERT(xps_profile_add(p, &k, 2) == 0);
	k.pad[3] = 0x77;		/* garbage padding still aggregates */
	CU_ASSERT(xps_profile_add(p, &k, 3) == 0);
	r = xps_profile_records(p, &n);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(r[0].count == 6);
	CU_ASSERT(r[0].key.offset == 0x42);
	CU_ASSERT(r[0].key.pad[3] == 0);

	xps_key_init(&k);
	k.offset = 0x42;
	k.cpu = 1;
	CU_ASSERT(xps_profile_add(p, &k, 4) == 0);
	r = xps_profile_records(p, &n);
	CU_ASSERT(n == 2);
	CU_ASSERT(xps_profile_total(p) == 10);

	/* Invalid keys are refused with a message. */
	k.image = 1;
	CU_ASSERT(xps_profile_add(p, &k, 1) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "image") != NULL);
	k.image = 0;
	k.chain = 1;
	CU_ASSERT(xps_profile_add(p, &k, 1) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "chain") != NULL);
	k.chain = 0;
	k.mode = 3;
	CU_ASSERT(xps_profile_add(p, &k, 1) == -1);
	k.mode = 0;
	k.app = 5;
	CU_ASSERT(xps_profile_add(p, &k, 1) == -1);
	k.app = XPS_NONE;
	k.event = XPS_MAX_EVENTS;
	CU_ASSERT(xps_profile_add(p, &k, 1) == -1);
	CU_ASSERT(xps_profile_total(p) == 10);

	/* Growth: many distinct keys, each found again afterwards. */
	for (int round = 0; round < 2; round++)
		for (uint64_t i = 0; i < 50000; i++) {
			xps_key_init(&k);
			k.offset = i * 4096;
			k.tid = (uint32_t)(i % 7);
			CU_ASSERT_FATAL(xps_profile_add(p, &k, 1) == 0);
		}
	r = xps_profile_records(p, &n);
	CU_ASSERT(n == 2 + 50000);
	CU_ASSERT(xps_profile_total(p) == 10 + 100000);
	xps_profile_free(p);

	p = xps_profile_new(0, NULL);
	CU_ASSERT_STRING_EQUAL(xps_profile_name(p), "");
	xps_profile_free(p);
	xps_profile_free(NULL);
}

static void
test_images(void)
{
	struct xps_profile *p = xps_profile_new(0, "Domain-0");
	struct xps_image img;
	char *longpath;
	char name[64];

	CU_ASSERT(image(p, XPS_IMG_FILE, "/lib/libc.so.6", 20) == 0);
	CU_ASSERT(image(p, XPS_IMG_FILE, "/lib/libc.so.6", 20) == 0);
	CU_ASSERT(image(p, XPS_IMG_FILE, "/lib/libc.so.6", 0) == 1);
	CU_ASSERT(image(p, XPS_IMG_KMOD, "/lib/libc.so.6", 20) == 2);
	CU_ASSERT(image(p, XPS_IMG_ANON, "[user]", 0) == 3);
	CU_ASSERT(image(p, XPS_IMG_ANON, "", 0) == 4);
	CU_ASSERT(xps_profile_nimages(p) == 5);
	CU_ASSERT(xps_profile_image_at(p, 5) == NULL);
	CU_ASSERT_STRING_EQUAL(xps_profile_image_at(p, 3)->path, "[user]");
	CU_ASSERT(xps_profile_image_at(p, 0)->build_id_len == 20);
	CU_ASSERT(xps_profile_image_at(p, 0)->build_id[1] == 7 + 14);

	/* Bad images. */
	CU_ASSERT(image(p, 5, "/x", 0) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "kind") != NULL);
	CU_ASSERT(image(p, XPS_IMG_FILE, "/x", XPS_BUILD_ID_MAX + 1) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "build-id") != NULL);
	longpath = malloc(XPS_PATH_MAX + 1);
	memset(longpath, 'a', XPS_PATH_MAX);
	longpath[XPS_PATH_MAX] = '\0';
	CU_ASSERT(image(p, XPS_IMG_FILE, longpath, 0) == -1);
	longpath[XPS_PATH_MAX - 1] = '\0';
	CU_ASSERT(image(p, XPS_IMG_FILE, longpath, 0) == 5);
	free(longpath);
	memset(&img, 0, sizeof img);
	CU_ASSERT(xps_profile_image(p, &img) == -1);
	CU_ASSERT(xps_profile_nimages(p) == 6);

	/* Many images, interned again after the table grew. */
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "/usr/lib/lib%d.so", i);
		CU_ASSERT_FATAL(image(p, XPS_IMG_FILE, name, i % 21) == 6 + i);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "/usr/lib/lib%d.so", i);
		CU_ASSERT(image(p, XPS_IMG_FILE, name, i % 21) == 6 + i);
	}
	CU_ASSERT(xps_profile_nimages(p) == 2006);
	xps_profile_free(p);
}

static void
test_chains(void)
{
	struct xps_profile *p = xps_profile_new(0, NULL);
	struct xps_frame f[XPS_CHAIN_MAX + 1];
	const struct xps_frame *g;
	uint32_t n;

	image(p, XPS_IMG_FILE, "/a", 0);
	image(p, XPS_IMG_FILE, "/b", 0);
	for (int i = 0; i <= XPS_CHAIN_MAX; i++) {
		f[i].image = i & 1;
		f[i].pad = 0xdead;	/* ignored */
		f[i].offset = 0x1000 + i;
	}
	CU_ASSERT(xps_profile_chain(p, f, 0) == 0);
	CU_ASSERT(xps_profile_chain(p, f, 3) == 1);
	CU_ASSERT(xps_profile_chain(p, f, 3) == 1);
	CU_ASSERT(xps_profile_chain(p, f, 2) == 2);
	CU_ASSERT(xps_profile_chain(p, f + 1, 3) == 3);
	CU_ASSERT(xps_profile_chain(p, f, XPS_CHAIN_MAX) == 4);
	CU_ASSERT(xps_profile_chain(p, f, XPS_CHAIN_MAX + 1) == 0);
	CU_ASSERT(strstr(xps_errmsg(), "chain") != NULL);
	g = xps_profile_chain_at(p, 1, &n);
	CU_ASSERT_FATAL(g != NULL);
	CU_ASSERT(n == 3);
	CU_ASSERT(g[2].offset == 0x1002 && g[2].image == 0 && g[2].pad == 0);
	g = xps_profile_chain_at(p, 3, &n);
	CU_ASSERT(n == 3 && g[0].offset == 0x1001);
	CU_ASSERT(xps_profile_chain_at(p, 0, &n) == NULL && n == 0);
	CU_ASSERT(xps_profile_chain_at(p, 5, &n) == NULL && n == 0);
	f[0].image = 2;
	CU_ASSERT(xps_profile_chain(p, f, 1) == 0);
	f[0].image = 0;

	/* Many chains; interned again after the table grew. */
	for (uint32_t i = 0; i < 5000; i++) {
		f[0].offset = 0x100000 + i;
		CU_ASSERT_FATAL(xps_profile_chain(p, f, 1 + i % 5) == 5 + i);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		f[0].offset = 0x100000 + i;
		CU_ASSERT(xps_profile_chain(p, f, 1 + i % 5) == 5 + i);
	}
	g = xps_profile_chain_at(p, 5 + 4999, &n);
	CU_ASSERT(n == 5 && g[0].offset == 0x100000 + 4999);
	xps_profile_free(p);
}

static void
test_losses(void)
{
	struct xps_profile *p = xps_profile_new(0, NULL);
	const struct xps_loss *l;
	uint32_t n;

	l = xps_profile_losses(p, &n);
	CU_ASSERT(n == 0);
	CU_ASSERT(xps_profile_add_lost(p, 0, XPS_LOSS_RING, 5) == 0);
	CU_ASSERT(xps_profile_add_lost(p, 1, XPS_LOSS_RING, 6) == 0);
	CU_ASSERT(xps_profile_add_lost(p, 0, XPS_LOSS_RING, 7) == 0);
	CU_ASSERT(xps_profile_add_lost(p, 0, XPS_LOSS_THROTTLE, 1) == 0);
	CU_ASSERT(xps_profile_add_lost(p, XPS_NONE, XPS_LOSS_OTHER, 2) == 0);
	CU_ASSERT(xps_profile_add_lost(p, 0, XPS_LOSS_NKINDS, 2) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "kind") != NULL);
	l = xps_profile_losses(p, &n);
	CU_ASSERT_FATAL(n == 4);
	CU_ASSERT(l[0].cpu == 0 && l[0].kind == XPS_LOSS_RING && l[0].count == 12);
	CU_ASSERT(l[1].cpu == 1 && l[1].count == 6);
	CU_ASSERT(l[3].cpu == XPS_NONE && l[3].kind == XPS_LOSS_OTHER);
	CU_ASSERT(xps_profile_lost_total(p) == 21);
	CU_ASSERT(xps_profile_total(p) == 0);
	xps_profile_free(p);
}

/* ===================================================================== */
/* Files                                                                  */

static void
compare_profiles(const struct xps_profile *a, const struct xps_profile *b)
{
	const struct xps_record *ra, *rb;
	const struct xps_loss *la, *lb;
	size_t na, nb;
	uint32_t ma, mb;

	CU_ASSERT(xps_profile_domid(a) == xps_profile_domid(b));
	CU_ASSERT_STRING_EQUAL(xps_profile_name(a), xps_profile_name(b));
	CU_ASSERT_FATAL(xps_profile_nimages(a) == xps_profile_nimages(b));
	for (uint32_t i = 0; i < xps_profile_nimages(a); i++) {
		const struct xps_image *x = xps_profile_image_at(a, i);
		const struct xps_image *y = xps_profile_image_at(b, i);

		CU_ASSERT(x->kind == y->kind);
		CU_ASSERT(x->build_id_len == y->build_id_len);
		CU_ASSERT(memcmp(x->build_id, y->build_id, XPS_BUILD_ID_MAX) == 0);
		CU_ASSERT_STRING_EQUAL(x->path, y->path);
	}
	for (uint32_t c = 1;; c++) {
		const struct xps_frame *fa = xps_profile_chain_at(a, c, &ma);
		const struct xps_frame *fb = xps_profile_chain_at(b, c, &mb);

		CU_ASSERT_FATAL(ma == mb);
		if (fa == NULL || fb == NULL) {
			CU_ASSERT(fa == fb);
			break;
		}
		CU_ASSERT(memcmp(fa, fb, ma * sizeof *fa) == 0);
	}
	ra = xps_profile_records(a, &na);
	rb = xps_profile_records(b, &nb);
	CU_ASSERT_FATAL(na == nb);
	for (size_t i = 0; i < na; i++)
		if (memcmp(&ra[i], &rb[i], sizeof *ra) != 0) {
			CU_FAIL("record differs");
			break;
		}
	la = xps_profile_losses(a, &ma);
	lb = xps_profile_losses(b, &mb);
	CU_ASSERT_FATAL(ma == mb);
	CU_ASSERT(ma == 0 || memcmp(la, lb, ma * sizeof *la) == 0);
	CU_ASSERT(xps_profile_total(a) == xps_profile_total(b));
	CU_ASSERT(xps_profile_lost_total(a) == xps_profile_lost_total(b));
}

static void
test_roundtrip(void)
{
	struct xps_profile *p = xps_profile_new(7, "roundtrip-domain"), *q;
	struct xps_frame f[XPS_CHAIN_MAX];
	struct xps_key k;
	struct stat st;
	char path[512], name[64];
	size_t n;

	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "/opt/img%d", i);
		CU_ASSERT(image(p, (uint8_t)(i % 5), name, i % 65) == i);
	}
	for (uint32_t c = 0; c < 100; c++) {
		uint32_t len = 1 + (uint32_t)(rnd() % XPS_CHAIN_MAX);

		for (uint32_t i = 0; i < len; i++) {
			f[i].image = (uint32_t)(rnd() % 50);
			f[i].offset = rnd();
		}
		CU_ASSERT(xps_profile_chain(p, f, len) == c + 1);
	}
	while (xps_profile_records(p, &n), n < 100000) {
		xps_key_init(&k);
		k.offset = rnd();
		k.image = (uint32_t)(rnd() % 50);
		k.app = rnd() & 1 ? XPS_NONE : (uint32_t)(rnd() % 50);
		k.tgid = (uint32_t)rnd();
		k.tid = (uint32_t)rnd();
		k.cpu = (uint32_t)(rnd() % 64);
		k.chain = (uint32_t)(rnd() % 101);
		k.event = (uint8_t)(rnd() % XPS_MAX_EVENTS);
		k.mode = (uint8_t)(rnd() % 3);
		CU_ASSERT_FATAL(xps_profile_add(p, &k, rnd() >> 40) == 0);
	}
	for (int i = 0; i < 64; i++)
		xps_profile_add_lost(p, (uint32_t)i, (uint32_t)(i % XPS_LOSS_NKINDS),
		    rnd() >> 20);

	tpath(path, sizeof path, "dom7.samples");
	CU_ASSERT_FATAL(xps_profile_write(p, path) == 0);
	CU_ASSERT(lstat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	q = xps_profile_read(path);
	CU_ASSERT_FATAL(q != NULL);
	compare_profiles(p, q);
	/* The read profile's table works: re-adding finds every key. */
	{
		const struct xps_record *r = xps_profile_records(p, &n);
		size_t m;

		for (size_t i = 0; i < n; i += 97)
			CU_ASSERT(xps_profile_add(q, &r[i].key, 1) == 0);
		xps_profile_records(q, &m);
		CU_ASSERT(m == n);
	}
	xps_profile_free(q);

	/* Overwrite: replaces, leaves no temp file behind. */
	CU_ASSERT(xps_profile_write(p, path) == 0);
	CU_ASSERT(count_dir(tmpdir) == 1);
	unlink(path);

	/* An empty profile round-trips too. */
	xps_profile_free(p);
	p = xps_profile_new(0, NULL);
	CU_ASSERT(xps_profile_write(p, path) == 0);
	q = xps_profile_read(path);
	CU_ASSERT_FATAL(q != NULL);
	compare_profiles(p, q);
	xps_profile_free(q);
	xps_profile_free(p);
	unlink(path);
}

static void
test_meta_roundtrip(void)
{
	struct xps_meta *m = malloc(sizeof *m), *r = malloc(sizeof *r);
	char path[512];

	tpath(path, sizeof path, "meta");
	fill_meta(m);
	CU_ASSERT_FATAL(xps_meta_write(m, path) == 0);
	CU_ASSERT_FATAL(xps_meta_read(r, path) == 0);
	CU_ASSERT(memcmp(m, r, sizeof *m) == 0);

	/* Empty meta. */
	memset(m, 0, sizeof *m);
	CU_ASSERT(xps_meta_write(m, path) == 0);
	CU_ASSERT(xps_meta_read(r, path) == 0);
	CU_ASSERT(memcmp(m, r, sizeof *m) == 0);

	/* Invalid meta is refused on write. */
	fill_meta(m);
	memset(m->hostname, 'h', sizeof m->hostname);
	CU_ASSERT(xps_meta_write(m, path) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "hostname") != NULL);
	fill_meta(m);
	m->ndomains = XPS_MAX_DOMAINS + 1;
	CU_ASSERT(xps_meta_write(m, path) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "meta") != NULL);
	free(m);
	free(r);
	unlink(path);
}

/* Read PATH as a profile (or meta): must fail naming the file. */
static int
read_fails(const char *path, int meta)
{
	static struct xps_meta m;
	int failed;

	if (meta)
		failed = xps_meta_read(&m, path) < 0;
	else {
		struct xps_profile *p = xps_profile_read(path);

		failed = p == NULL;
		xps_profile_free(p);
	}
	return failed && strstr(xps_errmsg(), path) != NULL;
}

/* Flip every byte, truncate at every length: every read fails cleanly. */
static void
corrupt_all(const char *path, int meta)
{
	char bad[512];
	uint8_t *buf;
	size_t len;
	int flips = 0, truncs = 0;

	buf = slurp(path, &len);
	snprintf(bad, sizeof bad, "%s.bad", path);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x5a;
		spit(bad, buf, len);
		flips += read_fails(bad, meta);
		buf[i] ^= 0x5a;
	}
	CU_ASSERT(flips == (int)len);
	for (size_t l = 0; l < len; l++) {
		spit(bad, buf, l);
		truncs += read_fails(bad, meta);
	}
	CU_ASSERT(truncs == (int)len);

	/* Hostile but checksummed: flip, fix size and CRC; must not crash. */
	for (size_t i = 0; i + XPS_CRC_SIZE < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			buf[i] ^= (uint8_t)(1 << bit);
			xps_st32(buf + len - 4, xps_crc32(0, buf, len - 4));
			spit(bad, buf, len);
			if (meta) {
				static struct xps_meta m;

				(void)xps_meta_read(&m, bad);
			} else
				xps_profile_free(xps_profile_read(bad));
			buf[i] ^= (uint8_t)(1 << bit);
		}
	}
	free(buf);
	unlink(bad);
}

static void
test_corruption(void)
{
	struct xps_profile *p = small_profile(4);
	struct xps_meta *m = malloc(sizeof *m);
	char path[512], mpath[512];
	uint8_t *buf;
	size_t len;

	tpath(path, sizeof path, "dom4.samples");
	CU_ASSERT_FATAL(xps_profile_write(p, path) == 0);
	corrupt_all(path, 0);

	/* Specific messages. */
	buf = slurp(path, &len);
	spit(path, buf, 100);
	CU_ASSERT(!xps_profile_read(path));
	CU_ASSERT(strstr(xps_errmsg(), "truncated (expected") != NULL);
	CU_ASSERT(strstr(xps_errmsg(), "found 100)") != NULL);
	buf[0] = 'Y';
	spit(path, buf, len);
	CU_ASSERT(!xps_profile_read(path));
	CU_ASSERT(strstr(xps_errmsg(), "bad magic") != NULL);
	buf[0] = 'X';
	buf[10] = 2;
	buf[8] = 2;
	spit(path, buf, len);
	CU_ASSERT(!xps_profile_read(path));
	CU_ASSERT(strstr(xps_errmsg(), "newer") != NULL);
	buf[10] = 1;
	buf[8] = 1;
	buf[XPS_PROFILE_HDR_SIZE + 3] ^= 1;
	spit(path, buf, len);
	CU_ASSERT(!xps_profile_read(path));
	CU_ASSERT(strstr(xps_errmsg(), "bad checksum") != NULL);
	buf[XPS_PROFILE_HDR_SIZE + 3] ^= 1;
	spit(path, buf, len);
	free(buf);
	{
		struct xps_profile *q = xps_profile_read(path);

		CU_ASSERT_FATAL(q != NULL);
		compare_profiles(p, q);
		xps_profile_free(q);
	}
	/* A meta file is not a sample file and vice versa. */
	tpath(mpath, sizeof mpath, "meta");
	fill_meta(m);
	CU_ASSERT_FATAL(xps_meta_write(m, mpath) == 0);
	CU_ASSERT(!xps_profile_read(mpath));
	CU_ASSERT(strstr(xps_errmsg(), "bad magic") != NULL);
	CU_ASSERT(xps_meta_read(m, path) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "bad magic") != NULL);
	/* Missing file, directory. */
	CU_ASSERT(!xps_profile_read("/nonexistent/dom0.samples"));
	CU_ASSERT(strstr(xps_errmsg(), "/nonexistent/dom0.samples") != NULL);
	CU_ASSERT(!xps_profile_read(tmpdir));
	CU_ASSERT(strstr(xps_errmsg(), "not a regular file") != NULL);

	/* Meta: shrink it first so flipping every byte stays quick. */
	memset(m, 0, sizeof *m);
	strcpy(m->backend, "perf");
	m->nevents = 2;
	strcpy(m->events[0].name, "cpu-clock");
	m->ndomains = 2;
	strcpy(m->domains[1].name, "web");
	m->xen_build_id_len = 4;
	CU_ASSERT_FATAL(xps_meta_write(m, mpath) == 0);
	corrupt_all(mpath, 1);

	free(m);
	xps_profile_free(p);
	unlink(path);
	unlink(mpath);
}

/* A writer killed at any instant leaves the old or the new file, complete. */
static void
test_crash_safety(void)
{
	struct xps_profile *a = small_profile(1), *b = xps_profile_new(1, "big");
	char path[512], tmp[600];
	struct xps_key k;
	int ok = 0;

	image(b, XPS_IMG_FILE, "/bin/big", 0);
	for (int i = 0; i < 20000; i++) {
		xps_key_init(&k);
		k.offset = (uint64_t)i;
		xps_profile_add(b, &k, 1);
	}
	tpath(path, sizeof path, "dom1.samples");
	CU_ASSERT_FATAL(xps_profile_write(a, path) == 0);
	for (int round = 0; round < 10; round++) {
		pid_t pid = fork();
		struct timespec ts = { 0, (long)(rnd() % 20000000) };
		struct xps_profile *q;

		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0) {
			for (;;) {
				xps_profile_write(b, path);
				xps_profile_write(a, path);
			}
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		q = xps_profile_read(path);
		ok += q != NULL;
		xps_profile_free(q);
		/* The killed writer's temp file may remain; a new writer copes. */
		snprintf(tmp, sizeof tmp, "%s/.dom1.samples.tmp.%d", tmpdir, (int)pid);
		unlink(tmp);
	}
	CU_ASSERT(ok == 10);

	/* A stale temp with our own pid does not block a write. */
	snprintf(tmp, sizeof tmp, "%s/.dom1.samples.tmp.%d", tmpdir, (int)getpid());
	spit(tmp, "junk", 4);
	CU_ASSERT(xps_profile_write(a, path) == 0);
	CU_ASSERT(access(tmp, F_OK) == -1);
	xps_profile_free(a);
	xps_profile_free(b);
	unlink(path);
}

static void
test_no_symlink_follow(void)
{
	char path[512], target[512];
	struct stat st;
	uint8_t *buf;
	size_t len;

	tpath(target, sizeof target, "target");
	tpath(path, sizeof path, "kallsyms");
	spit(target, "precious", 8);
	CU_ASSERT(symlink(target, path) == 0);
	CU_ASSERT(xps_write_file(path, "ffffffff81000000 T _text\n", 25) == 0);
	buf = slurp(target, &len);
	CU_ASSERT(len == 8 && memcmp(buf, "precious", 8) == 0);
	free(buf);
	CU_ASSERT(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CU_ASSERT((st.st_mode & 0777) == 0600);
	buf = slurp(path, &len);
	CU_ASSERT(len == 25);
	free(buf);
	/* A symlink planted at the temp name is not followed either. */
	snprintf(path, sizeof path, "%s/.kallsyms.tmp.%d", tmpdir, (int)getpid());
	CU_ASSERT(symlink(target, path) == 0);
	tpath(path, sizeof path, "kallsyms");
	CU_ASSERT(xps_write_file(path, "x", 1) == 0);
	buf = slurp(target, &len);
	CU_ASSERT(len == 8);
	free(buf);
	CU_ASSERT(xps_write_file("/nonexistent/dir/kallsyms", "x", 1) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "/nonexistent/dir") != NULL);
	unlink(path);
	unlink(target);
}

/* ===================================================================== */
/* Sessions                                                               */

static void
test_names(void)
{
	static const struct {
		const char *name;
		int valid;
	} t[] = {
		{ "run1", 1 }, { "A-b_c.9", 1 }, { "x", 1 }, { "a.b", 1 },
		{ "current2", 1 }, { "Current", 1 }, { "saved", 1 },
		{ "", 0 }, { ".", 0 }, { "..", 0 }, { ".hidden", 0 },
		{ "a/b", 0 }, { "/abs", 0 }, { "a..b", 0 }, { "../x", 0 },
		{ "current", 0 }, { "with space", 0 }, { "tab\t", 0 },
		{ "uml\xc3\xa4ut", 0 }, { "a*", 0 }, { "a:b", 0 },
		{ "1234567890123456789012345678901234567890123456789012345678901234", 1 },
		{ "12345678901234567890123456789012345678901234567890123456789012345", 0 },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int v = xps_name_valid(t[i].name);

		if (v != t[i].valid)
			fprintf(stderr, "\nname \"%s\": got %d\n", t[i].name, v);
		CU_ASSERT(v == t[i].valid);
		if (!v)
			CU_ASSERT(strstr(xps_errmsg(), "session name") != NULL);
	}
	CU_ASSERT(xps_name_valid(NULL) == 0);

	CU_ASSERT(xps_session_path(buf, sizeof buf, "/s", NULL) == 0);
	CU_ASSERT_STRING_EQUAL(buf, "/s/current");
	CU_ASSERT(xps_session_path(buf, sizeof buf, "/s", "run1") == 0);
	CU_ASSERT_STRING_EQUAL(buf, "/s/saved/run1");
	CU_ASSERT(xps_session_path(buf, sizeof buf, NULL, NULL) == 0);
	CU_ASSERT_STRING_EQUAL(buf, XPS_SESSDIR_DEFAULT "/current");
	CU_ASSERT(xps_session_path(buf, sizeof buf, "/s", "../x") == -1);
	CU_ASSERT(xps_session_path(buf, 8, "/s", "run1") == -1);
	CU_ASSERT(strstr(xps_errmsg(), "too long") != NULL);
	CU_ASSERT(xps_profile_filename(buf, sizeof buf, "/s/current", 12) == 0);
	CU_ASSERT_STRING_EQUAL(buf, "/s/current/dom12.samples");
}

static void
test_sessions(void)
{
	char sd[512], cur[600], p[700], p2[700];
	struct xps_meta *m = malloc(sizeof *m);
	struct xps_session *s;
	struct stat st;
	uint32_t doms[] = { 12, 0, 3, 1 };

	tpath(sd, sizeof sd, "sessdir");
	CU_ASSERT_FATAL(xps_session_init(sd) == 0);
	CU_ASSERT(xps_session_init(sd) == 0);
	CU_ASSERT_FATAL(xps_session_path(cur, sizeof cur, sd, NULL) == 0);
	CU_ASSERT(lstat(cur, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700);

	/* No meta: not a session. */
	CU_ASSERT(xps_session_open(cur) == NULL);
	CU_ASSERT(strstr(xps_errmsg(), "meta") != NULL);

	fill_meta(m);
	snprintf(p, sizeof p, "%s/meta", cur);
	CU_ASSERT_FATAL(xps_meta_write(m, p) == 0);
	for (size_t i = 0; i < 4; i++) {
		struct xps_profile *q = small_profile(doms[i]);

		xps_profile_filename(p, sizeof p, cur, doms[i]);
		CU_ASSERT_FATAL(xps_profile_write(q, p) == 0);
		xps_profile_free(q);
	}
	/* dom3 is corrupt, dom5 a symlink, dom7 holds another domain. */
	xps_profile_filename(p, sizeof p, cur, 3);
	truncate(p, 50);
	xps_profile_filename(p2, sizeof p2, cur, 5);
	CU_ASSERT(symlink(p, p2) == 0);
	{
		struct xps_profile *q = small_profile(8);

		xps_profile_filename(p, sizeof p, cur, 7);
		CU_ASSERT(xps_profile_write(q, p) == 0);
		xps_profile_free(q);
	}
	snprintf(p, sizeof p, "%s/kallsyms", cur);
	CU_ASSERT(xps_write_file(p, "0 T _text\n", 10) == 0);
	snprintf(p, sizeof p, "%s/notes.txt", cur);
	spit(p, "keep", 4);
	snprintf(p, sizeof p, "%s/.dom0.samples.tmp.123", cur);
	spit(p, "partial", 7);
	snprintf(p, sizeof p, "%s/dom01.samples", cur);	/* not canonical: ignored */
	spit(p, "x", 1);

	s = xps_session_open(cur);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s->path, cur);
	CU_ASSERT(memcmp(&s->meta, m, sizeof *m) == 0);
	CU_ASSERT_FATAL(s->nprofiles == 3);
	CU_ASSERT(xps_profile_domid(s->profiles[0]) == 0);
	CU_ASSERT(xps_profile_domid(s->profiles[1]) == 1);
	CU_ASSERT(xps_profile_domid(s->profiles[2]) == 12);
	CU_ASSERT(xps_profile_total(s->profiles[2]) == 60);
	CU_ASSERT_FATAL(s->nbad == 3);
	CU_ASSERT(strstr(s->bad[0], "dom3.samples: truncated") != NULL);
	CU_ASSERT(strstr(s->bad[1], "dom5.samples: not a regular file") != NULL);
	CU_ASSERT(strstr(s->bad[2], "dom7.samples: holds domain 8") != NULL);
	xps_session_close(s);

	/* Save. */
	CU_ASSERT(xps_session_save(sd, "bad/name") == -1);
	CU_ASSERT(xps_session_save(sd, "run1") == 0);
	CU_ASSERT(count_dir(cur) == 0);
	CU_ASSERT(lstat(cur, &st) == 0 && (st.st_mode & 0777) == 0700);
	snprintf(p, sizeof p, "%s/saved", sd);
	CU_ASSERT(lstat(p, &st) == 0 && (st.st_mode & 0777) == 0700);
	CU_ASSERT(xps_session_path(p, sizeof p, sd, "run1") == 0);
	s = xps_session_open(p);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT(s->nprofiles == 3 && s->nbad == 3);
	xps_session_close(s);
	CU_ASSERT(xps_session_save(sd, "run1") == -1);
	CU_ASSERT(strstr(xps_errmsg(), "already exists") != NULL);
	CU_ASSERT(count_dir(cur) == 0);		/* current untouched */

	/* Reset removes our regular files only. */
	snprintf(p, sizeof p, "%s/meta", cur);
	CU_ASSERT(xps_meta_write(m, p) == 0);
	xps_profile_filename(p, sizeof p, cur, 2);
	spit(p, "x", 1);
	snprintf(p, sizeof p, "%s/kallsyms", cur);
	spit(p, "x", 1);
	snprintf(p, sizeof p, "%s/.meta.tmp.999", cur);
	spit(p, "x", 1);
	snprintf(p, sizeof p, "%s/keep.txt", cur);
	spit(p, "x", 1);
	snprintf(p, sizeof p, "%s/.meta.tmp.x9", cur);	/* not our pattern */
	spit(p, "x", 1);
	snprintf(p2, sizeof p2, "%s/precious", sd);
	spit(p2, "x", 1);
	snprintf(p, sizeof p, "%s/dom9.samples", cur);	/* symlink: left */
	CU_ASSERT(symlink(p2, p) == 0);
	snprintf(p, sizeof p, "%s/dom8.samples", cur);	/* directory: left */
	CU_ASSERT(mkdir(p, 0700) == 0);
	CU_ASSERT(xps_session_reset(sd) == 0);
	CU_ASSERT(count_dir(cur) == 4);
	CU_ASSERT(access(p2, F_OK) == 0);
	snprintf(p, sizeof p, "%s/keep.txt", cur);
	CU_ASSERT(access(p, F_OK) == 0);
	snprintf(p, sizeof p, "%s/meta", cur);
	CU_ASSERT(access(p, F_OK) == -1);

	/* Save with no current; reset with no current. */
	snprintf(p, sizeof p, "%s/other", tmpdir);
	CU_ASSERT(xps_session_save(p, "x") == -1);
	CU_ASSERT(strstr(xps_errmsg(), "no current session") != NULL);
	CU_ASSERT(xps_session_reset(p) == 0);
	free(m);
}

/* Write generation G of SESSDIR/current the way xenprofd does (stage, exchange). */
static int
write_generation(const char *sd, uint64_t g, struct xps_meta *m)
{
	char dir[600], p[700], ks[64];
	struct xps_key k;
	int rc = 0;

	if (xps_session_stage_begin(sd, dir, sizeof dir) < 0)
		return -1;
	for (uint32_t d = 0; d < 2; d++) {
		struct xps_profile *q = xps_profile_new(d, "d");

		xps_key_init(&k);
		k.image = (uint32_t)image(q, XPS_IMG_FILE, "/usr/bin/app", 0);
		k.offset = 0x1000;
		rc |= xps_profile_add(q, &k, g);
		xps_profile_filename(p, sizeof p, dir, d);
		rc |= xps_profile_write(q, p);
		xps_profile_free(q);
	}
	snprintf(ks, sizeof ks, "ffffffff81000000 T gen%llu\n", (unsigned long long)g);
	snprintf(p, sizeof p, "%s/kallsyms", dir);
	rc |= xps_write_file(p, ks, strlen(ks));
	m->start_time = g;
	snprintf(p, sizeof p, "%s/meta", dir);
	rc |= xps_meta_write(m, p);
	return rc ? -1 : xps_session_stage_commit(sd);
}

/*
 * One generation for every reader: a writer replaces current/ as fast as it
 * can (samples, kallsyms, meta of generation G all say G) while this process
 * opens the session again and again; every open must see one G throughout.
 */
static void
test_generations(void)
{
	char sd[512], cur[600], want[700];
	struct xps_meta *m = malloc(sizeof *m);
	struct timespec t0, t1;
	int opens = 0, mixed = 0, status;
	uint64_t last = 0;
	pid_t pid;

	tpath(sd, sizeof sd, "gens");
	CU_ASSERT_FATAL(xps_session_init(sd) == 0);
	CU_ASSERT_FATAL(xps_session_path(cur, sizeof cur, sd, NULL) == 0);
	fill_meta(m);
	CU_ASSERT_FATAL(write_generation(sd, 1, m) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		for (uint64_t g = 2;; g++)
			if (write_generation(sd, g, m) < 0)
				_exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct xps_session *s = xps_session_open(cur);

		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (s == NULL) {
			fprintf(stderr, "\n  open: %s\n", xps_errmsg());
			mixed++;
			continue;
		}
		opens++;
		snprintf(want, sizeof want, " T gen%llu\n", (unsigned long long)s->meta.start_time);
		if (s->nprofiles != 2 || s->nbad != 0 ||
		    xps_profile_total(s->profiles[0]) != s->meta.start_time ||
		    xps_profile_total(s->profiles[1]) != s->meta.start_time ||
		    s->kallsyms == NULL || s->kallsyms_len != strlen(want) + 16 ||
		    memcmp(s->kallsyms + 16, want, strlen(want)) != 0)
			mixed++;
		if (s->meta.start_time < last)
			mixed++;	/* never an older generation after a newer one */
		last = s->meta.start_time;
		xps_session_close(s);
	} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1500);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("\n  %d opens while the writer wrote %llu generations, %d mixed\n", opens,
	    (unsigned long long)last, mixed);
	CU_ASSERT(opens > 20);
	CU_ASSERT(last > 20);
	CU_ASSERT_EQUAL(mixed, 0);
	/* A writer killed at any point left one whole generation in current/. */
	{
		struct xps_session *s = xps_session_open(cur);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->nprofiles, 2);
		CU_ASSERT_EQUAL(xps_profile_total(s->profiles[0]), s->meta.start_time);
		xps_session_close(s);
	}
	/* Reset discards the writer's previous generation too. */
	CU_ASSERT(xps_session_reset(sd) == 0);
	snprintf(want, sizeof want, "%s/.current.flush", sd);
	CU_ASSERT(access(want, F_OK) == -1);
	free(m);
}

/*
 * xps_sessdir_open: StrictModes on the parents, the directory itself, and
 * writes relative to the fd it returns once the path has been swapped.
 * Needs root (chown to other users).
 */
static void
test_sessdir_open(void)
{
	char top[512], sd[600], p[700], moved[600];
	struct stat st;
	int fd;

	if (geteuid() != 0) {
		CU_FAIL("test_sessdir_open needs root (run make check as root)");
		return;
	}
	tpath(top, sizeof top, "sd");
	CU_ASSERT_FATAL(mkdir(top, 0755) == 0);
	snprintf(sd, sizeof sd, "%s/s", top);

	/* A safe path: made, mode 0700, root's; opened again. */
	fd = xps_sessdir_open(sd, 4242, 1);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	close(fd);
	CU_ASSERT((fd = xps_sessdir_open(sd, 4242, 0)) >= 0);
	close(fd);

	/* A parent another user owns, or writable by others: refused, named, with the fix. */
	CU_ASSERT(chown(top, 65534, 65534) == 0);
	CU_ASSERT(xps_sessdir_open(sd, 4242, 0) == -1);
	CU_ASSERT(strstr(xps_errmsg(), top) != NULL && strstr(xps_errmsg(), "not owned by root") &&
	    strstr(xps_errmsg(), "chown root"));
	CU_ASSERT(chown(top, 0, 0) == 0 && chmod(top, 0777) == 0);
	CU_ASSERT(xps_sessdir_open(sd, 4242, 0) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "writable by others than root") != NULL);
	/* Sticky (as /tmp): fine while the entry is root's or the owner's, not another's. */
	CU_ASSERT(chmod(top, 01777) == 0);
	CU_ASSERT((fd = xps_sessdir_open(sd, 4242, 0)) >= 0);
	close(fd);
	CU_ASSERT(chown(sd, 4242, 4242) == 0);
	CU_ASSERT((fd = xps_sessdir_open(sd, 4242, 0)) >= 0);
	close(fd);
	CU_ASSERT(chown(sd, 4343, 4343) == 0);
	CU_ASSERT(xps_sessdir_open(sd, 4242, 0) == -1);
	CU_ASSERT(chmod(top, 0755) == 0);
	CU_ASSERT(xps_sessdir_open(sd, 4242, 0) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "owned by uid 4343") != NULL);
	CU_ASSERT(chown(sd, 0, 0) == 0);

	/* SESSDIR a symlink to a directory: refused, not followed. */
	snprintf(p, sizeof p, "%s/link", top);
	CU_ASSERT(symlink(sd, p) == 0);
	CU_ASSERT(xps_sessdir_open(p, 4242, 0) == -1);
	CU_ASSERT(strstr(xps_errmsg(), "symlink") != NULL);
	/* A symlink above it is resolved and its target checked. */
	snprintf(p, sizeof p, "%s/toplink", tmpdir);
	CU_ASSERT(symlink(top, p) == 0);
	snprintf(p, sizeof p, "%s/toplink/s", tmpdir);
	CU_ASSERT((fd = xps_sessdir_open(p, 4242, 0)) >= 0);
	close(fd);

	/* Opened once: renaming it away and planting a symlink changes nothing for the fd. */
	CU_ASSERT_FATAL((fd = xps_sessdir_open(sd, 4242, 0)) >= 0);
	snprintf(moved, sizeof moved, "%s/moved", top);
	CU_ASSERT(rename(sd, moved) == 0);
	snprintf(p, sizeof p, "%s/elsewhere", top);
	CU_ASSERT(mkdir(p, 0777) == 0);
	CU_ASSERT(symlink(p, sd) == 0);
	CU_ASSERT(xps_write_fileat(fd, "f", "f", "x", 1) == 0);
	CU_ASSERT(mkdirat(fd, "current", 0700) == 0);
	{
		int sfd = xps_session_stage_beginat(fd, sd);

		CU_ASSERT(sfd >= 0 && xps_write_fileat(sfd, "meta", "meta", "m", 1) == 0);
		if (sfd >= 0)
			close(sfd);
	}
	CU_ASSERT(xps_session_stage_commitat(fd, sd) == 0);
	snprintf(p, sizeof p, "%s/current/meta", moved);
	CU_ASSERT(access(p, F_OK) == 0);
	snprintf(p, sizeof p, "%s/f", moved);
	CU_ASSERT(access(p, F_OK) == 0);
	snprintf(p, sizeof p, "%s/elsewhere/f", top);
	CU_ASSERT(access(p, F_OK) == -1);
	snprintf(p, sizeof p, "%s/elsewhere/current", top);
	CU_ASSERT(access(p, F_OK) == -1);
	close(fd);
}

int
main(void)
{
	CU_pSuite s;
	unsigned failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("samples", suite_init, suite_fini);
	if (s == NULL ||
	    !CU_add_test(s, "key init", test_key_init) ||
	    !CU_add_test(s, "add/aggregate", test_add_aggregate) ||
	    !CU_add_test(s, "image interning", test_images) ||
	    !CU_add_test(s, "chains", test_chains) ||
	    !CU_add_test(s, "losses", test_losses) ||
	    !CU_add_test(s, "profile round trip", test_roundtrip) ||
	    !CU_add_test(s, "meta round trip", test_meta_roundtrip) ||
	    !CU_add_test(s, "corruption and truncation", test_corruption) ||
	    !CU_add_test(s, "crash safety", test_crash_safety) ||
	    !CU_add_test(s, "no symlink following", test_no_symlink_follow) ||
	    !CU_add_test(s, "session names", test_names) ||
	    !CU_add_test(s, "sessions", test_sessions) ||
	    !CU_add_test(s, "one generation for every reader", test_generations) ||
	    !CU_add_test(s, "session dir opened once, parents checked", test_sessdir_open)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed != 0 || CU_get_error() != CUE_SUCCESS;
}
