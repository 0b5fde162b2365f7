/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CUnit tests of report/: profile specs, the kallsyms parser, symbolization
 * of fixture ELF files built at test time (PIE, shared library, non-PIE),
 * and end to end: a session written with the libsamples API, reported by
 * the real report/xenprof-report binary in JSON.
 *
 * Fixtures: tests/data/report/fixture.c, compiled into a temporary
 * directory by fixture_build(); function offsets come from the ELF symbol
 * table and program headers (libelf), not from the code under test.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <zlib.h>

#include "report/profile.pb-c.h"

/* The option parser lives next to main(): take it without main. */
#define REPORT_NO_MAIN
#include "report/xenprof-report.c"

#ifndef REPORT_TESTDATA
#define REPORT_TESTDATA "data/report"
#endif
#ifndef REPORT_BIN
#define REPORT_BIN "../report/xenprof-report"
#endif

static char tmpdir[256];
static int have_fixtures;

/* ===================================================================== */
/* Fixtures                                                               */

struct fx_fn {
	const char     *name;
	uint64_t	vaddr, size, off;	/* link-time address, size, file offset */
};

static const char *const fx_names[] = { "fx_alpha", "fx_beta", "fx_gamma" };

static int
run(const char *cmd)
{
	int st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static int
fixture_build(void)
{
	char cmd[2048];
	const char *src = REPORT_TESTDATA "/fixture.c";
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";

	snprintf(cmd, sizeof(cmd),
		 "cd %s && %s -O1 -fPIE -pie -Wl,--build-id -o fx-pie %s && "
		 "%s -O1 -fPIC -shared -Wl,--build-id -o libfx.so %s && "
		 "%s -O1 -fno-pie -no-pie -Wl,--build-id -o fx-exec %s && "
		 "%s -O1 -fno-pie -no-pie -Wl,--build-id -DFX_OTHER=1 -o fx-exec2 %s && "
		 "%s -O1 -g -fPIE -pie -Wl,--build-id -o fx-dbg %s",
		 tmpdir, cc, src, cc, src, cc, src, cc, src, cc, src);
	return run(cmd);
}

/* Find NAME's address and size in FILE's .symtab; file offset from PT_LOAD. */
static int
fixture_fn(const char *file, const char *name, struct fx_fn *out)
{
	int fd = open(file, O_RDONLY), ok = -1;
	Elf *e;
	Elf_Scn *scn = NULL;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			gelf_getsym(d, (int)i, &s);
			if (strcmp(elf_strptr(e, sh.sh_link, s.st_name), name) == 0) {
				out->name = name;
				out->vaddr = s.st_value;
				out->size = s.st_size;
				ok = 0;
			}
		}
	}
	if (ok == 0) {
		size_t n;
		ok = -1;
		elf_getphdrnum(e, &n);
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			gelf_getphdr(e, (int)i, &ph);
			if (ph.p_type == PT_LOAD && out->vaddr >= ph.p_vaddr &&
			    out->vaddr < ph.p_vaddr + ph.p_filesz) {
				out->off = out->vaddr - ph.p_vaddr + ph.p_offset;
				ok = 0;
			}
		}
	}
	elf_end(e);
	close(fd);
	return ok;
}

static char *
tpath(const char *name)
{
	static char buf[8][512];
	static int k;
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
	return buf[k];
}

/* ===================================================================== */
/* Specs and options                                                      */

static void
test_spec_table(void)
{
	static const struct {
		const char     *word;
		int		ok;
	} t[] = {
		{ "session:a,b", 1 }, { "session:current", 1 }, { "session:.hidden", 0 },
		{ "session:", 0 }, { "session:a,,b", 0 }, { "image:/usr/bin/*", 1 },
		{ "image:libc.so.6,vmlinux", 1 }, { "event:cpu-clock", 1 },
		{ "domain:0,web01", 1 }, { "tid:12,13", 1 }, { "tid:x", 0 },
		{ "tgid:-1", 0 }, { "cpu:4294967295", 0 }, { "cpu:3", 1 },
		{ "bogus:1", 0 }, { "fx-pie", 1 }, { "/opt/a:b/c", 1 }, { ":x", 0 },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spec *s = spec_new();
		int rc = spec_add(s, t[i].word, err, sizeof(err));
		if ((rc == 0) != t[i].ok)
			fprintf(stderr, "spec '%s': rc %d (%s)\n", t[i].word, rc, rc ? err : "");
		CU_ASSERT_EQUAL(rc == 0, t[i].ok);
		spec_free(s);
	}
}

static void
test_spec_match(void)
{
	struct spec *s = spec_new();
	char err[256];

	CU_ASSERT_EQUAL(spec_add(s, "image:/usr/bin/*,libc.so.6", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_add(s, "domain:1,Domain-0", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(spec_add(s, "cpu:2", err, sizeof(err)), 0);
	CU_ASSERT(spec_image_match(s, "/usr/bin/bash", NULL));
	CU_ASSERT(spec_image_match(s, "/lib/x86_64-linux-gnu/libc.so.6", NULL));
	CU_ASSERT(!spec_image_match(s, "/lib/libm.so.6", NULL));
	CU_ASSERT(spec_domain_match(s, 1, "web01"));
	CU_ASSERT(spec_domain_match(s, 0, "Domain-0"));
	CU_ASSERT(!spec_domain_match(s, 2, "db"));
	CU_ASSERT(spec_num_match(&s->cpus, 2));
	CU_ASSERT(!spec_num_match(&s->cpus, 3));
	CU_ASSERT(spec_num_match(&s->tids, 77));	/* empty list: everything */
	CU_ASSERT(spec_event_match(s, "anything"));
	spec_free(s);
	s = spec_new();
	CU_ASSERT_EQUAL(spec_add(s, "image:*libfx*", err, sizeof(err)), 0);
	CU_ASSERT(spec_image_match(s, "/tmp/x/libfx.so", NULL));
	spec_free(s);
}

static int
parse(const char *line, struct report_opts *o, char *err)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	argv[argc++] = "xenprof-report";
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return report_parse_args(argc, argv, o, err, 512);
}

static void
test_options(void)
{
	struct report_opts o;
	char err[512];

	CU_ASSERT_EQUAL(parse("-l -t 2.5 --format=json -p /a,/b:/c -m tid,cpu session:x", &o, err), 0);
	CU_ASSERT(o.symbols);
	CU_ASSERT_DOUBLE_EQUAL(o.threshold, 2.5, 1e-9);
	CU_ASSERT_EQUAL(o.format, OUT_JSON);
	CU_ASSERT_STRING_EQUAL(o.image_path[2], "/c");
	CU_ASSERT_PTR_NULL(o.image_path[3]);
	CU_ASSERT_EQUAL(o.merge, MERGE_TID | MERGE_CPU);
	CU_ASSERT_EQUAL(o.spec->sessions.n, 1);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("-t 101", &o, err), 2);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("-t abc", &o, err), 2);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--format=xml", &o, err), 2);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--bogus", &o, err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--bogus"));
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("-t", &o, err), 2);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("nosuchtag:3", &o, err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "known:"));
	report_opts_free(&o);
	/* --annotate and its forms; --format=svg. */
	CU_ASSERT_EQUAL(parse("--annotate=main,work_*", &o, err), 0);
	CU_ASSERT(o.annotate && o.symbols && !o.annot_source && !o.annot_asm);
	CU_ASSERT_STRING_EQUAL(o.annot_syms[1], "work_*");
	CU_ASSERT_PTR_NULL(o.annot_syms[2]);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--source --asm-syntax=intel", &o, err), 0);
	CU_ASSERT(o.annotate && o.annot_source && o.asm_intel && o.annot_syms == NULL);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--annotate --format=svg", &o, err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "text or json"));
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--assembly -c", &o, err), 2);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--annotate=", &o, err), 2);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--format=svg", &o, err), 0);
	CU_ASSERT_EQUAL(o.format, OUT_SVG);
	report_opts_free(&o);
	CU_ASSERT_EQUAL(parse("--format=svg -d", &o, err), 2);
	report_opts_free(&o);
}

/* ===================================================================== */
/* kallsyms                                                               */

static const char ksyms_text[] =
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81001000 T do_one\n"
	"ffffffff81001100 t do_two\n"
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81002000 T _etext\n"
	"ffffffffc0001000 t ext4_a\t[ext4]\n"
	"ffffffffc0001200 T ext4_b\t[ext4]\n"
	"ffffffffc0100000 t xfs_a\t[xfs]\n"
	"garbage line\n"
	"ffffffff81001080 T do_one_half";	/* no final newline, out of order */

static void
test_kallsyms(void)
{
	struct kallsyms *k = ksyms_parse(ksyms_text, strlen(ksyms_text));
	uint64_t lo, hi;
	const char *n;

	CU_ASSERT_FATAL(k != NULL);
	CU_ASSERT_EQUAL(k->nsyms, 9);
	CU_ASSERT(!k->all_zero);
	n = ksyms_lookup(k, 0, 0xffffffff81001010, &lo, &hi);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_STRING_EQUAL(n, "do_one");
	CU_ASSERT_EQUAL(lo, 0xffffffff81001000);
	CU_ASSERT_EQUAL(hi, 0xffffffff81001080);
	CU_ASSERT_STRING_EQUAL(ksyms_lookup(k, 0, 0xffffffff81001090, NULL, NULL), "do_one_half");
	CU_ASSERT_STRING_EQUAL(ksyms_lookup(k, 0, 0xffffffff81000000, NULL, NULL), "_text");
	CU_ASSERT_PTR_NULL(ksyms_lookup(k, 0, 0xffffffff80000000, NULL, NULL));
	CU_ASSERT_EQUAL(ksyms_module(k, "ext4"), 1);
	CU_ASSERT_EQUAL(ksyms_module(k, "nope"), -1);
	CU_ASSERT_STRING_EQUAL(ksyms_lookup(k, 1, 0xffffffffc0001100, NULL, NULL), "ext4_a");
	CU_ASSERT_STRING_EQUAL(ksyms_lookup(k, 1, 0xffffffffc0001300, NULL, NULL), "ext4_b");
	/* Module lookups stay inside the module. */
	CU_ASSERT_PTR_NULL(ksyms_lookup(k, 1, 0xffffffffc0100010, NULL, NULL));
	CU_ASSERT_STRING_EQUAL(ksyms_lookup(k, 2, 0xffffffffc0100010, NULL, NULL), "xfs_a");
	/* Last symbol of a module: bounded extent. */
	CU_ASSERT_PTR_NULL(ksyms_lookup(k, 2, 0xffffffffc0900000, NULL, NULL));
	ksyms_free(k);

	k = ksyms_parse("0000000000000000 T a\n0000000000000000 T b\n", 42);
	CU_ASSERT(k->all_zero);
	CU_ASSERT_PTR_NULL(ksyms_lookup(k, 0, 0, NULL, NULL));
	ksyms_free(k);
	k = ksyms_parse("", 0);
	CU_ASSERT_PTR_NULL(ksyms_lookup(k, 0, 5, NULL, NULL));
	ksyms_free(k);
}

/* ===================================================================== */
/* Symbolization                                                          */

static void
check_image(const char *file, int by_addr_too)
{
	char err[256];
	struct sym_image *im;
	uint64_t lo, hi;

	if (!have_fixtures) {
		CU_FAIL("fixtures were not built");
		return;
	}
	im = sym_open(file, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(im);
	for (size_t i = 0; i < 3; i++) {
		struct fx_fn fn;
		const char *n;

		CU_ASSERT_EQUAL_FATAL(fixture_fn(file, fx_names[i], &fn), 0);
		n = sym_lookup(im, SYM_BY_OFFSET, fn.off, 0, &lo, &hi);
		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_STRING_EQUAL(n, fx_names[i]);
		n = sym_lookup(im, SYM_BY_OFFSET, fn.off + fn.size - 1, 0, &lo, &hi);
		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_STRING_EQUAL(n, fx_names[i]);
		CU_ASSERT_EQUAL(lo, fn.off);
		CU_ASSERT_EQUAL(hi, fn.off + fn.size);
		/* The padding up to the next aligned function belongs to no symbol
		 * (fx_gamma is followed by main, which is not aligned). */
		if (i < 2)
			CU_ASSERT_PTR_NULL(sym_lookup(im, SYM_BY_OFFSET, fn.off + fn.size + 8, 0, &lo, &hi));
		if (by_addr_too) {
			n = sym_lookup(im, SYM_BY_ADDRESS, fn.vaddr + 1, 0, &lo, &hi);
			CU_ASSERT(n != NULL && strcmp(n, fx_names[i]) == 0);
			/* With a slide (KASLR-like): runtime = link + slide. */
			n = sym_lookup(im, SYM_BY_ADDRESS, fn.vaddr + 0x200000 + 2, 0x200000, &lo, &hi);
			CU_ASSERT(n != NULL && strcmp(n, fx_names[i]) == 0);
		}
	}
	/* Outside every PT_LOAD. */
	CU_ASSERT_PTR_NULL(sym_lookup(im, SYM_BY_OFFSET, 0x7fffffff, 0, &lo, &hi));
	const uint8_t *id;
	CU_ASSERT(sym_build_id(im, &id) >= 16);
	sym_close(im);
}

static void test_sym_pie(void) { check_image(tpath("fx-pie"), 0); }
static void test_sym_shlib(void) { check_image(tpath("libfx.so"), 0); }
static void test_sym_exec(void) { check_image(tpath("fx-exec"), 1); }

static void
test_sym_errors(void)
{
	char err[256];
	FILE *f;

	CU_ASSERT_PTR_NULL(sym_open(tpath("does-not-exist"), err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
	f = fopen(tpath("vmlinuz"), "w");
	fwrite("\x1f\x8b\x08\x00\x00\x00", 1, 6, f);
	fclose(f);
	CU_ASSERT_PTR_NULL(sym_open(tpath("vmlinuz"), err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "uncompressed image needed"));
	f = fopen(tpath("notelf"), "w");
	fputs("hello world, not an ELF file\n", f);
	fclose(f);
	CU_ASSERT_PTR_NULL(sym_open(tpath("notelf"), err, sizeof(err)));
	/* Truncated ELF: magic only. */
	f = fopen(tpath("trunc"), "w");
	fwrite("\x7f" "ELF\x02\x01\x01", 1, 7, f);
	fclose(f);
	CU_ASSERT_PTR_NULL(sym_open(tpath("trunc"), err, sizeof(err)));
}

/* ===================================================================== */
/* End to end                                                             */

static uint32_t
add_image(struct xps_profile *p, const char *path, int kind, const char *bid_from,
	  int corrupt_bid)
{
	struct xps_image img = { .path = (char *)path, .kind = (uint8_t)kind };

	if (bid_from != NULL) {
		char err[256];
		const uint8_t *id;
		struct sym_image *im = sym_open(bid_from, err, sizeof(err));
		int n = im ? sym_build_id(im, &id) : 0;
		if (n > 0 && n <= XPS_BUILD_ID_MAX) {
			memcpy(img.build_id, id, n);
			img.build_id_len = (uint8_t)n;
			if (corrupt_bid)
				img.build_id[0] ^= 0xff;
		}
		sym_close(im);
	}
	return (uint32_t)xps_profile_image(p, &img);
}

static void
add_rec(struct xps_profile *p, uint32_t image, uint64_t off, uint64_t count)
{
	struct xps_key k;

	xps_key_init(&k);
	k.image = image;
	k.offset = off;
	xps_profile_add(p, &k, count);
}

static char sessdir[512];

/*
 * The session, in samples (total 1000, lost 7 = 5 ring + 2 throttle):
 *   dom0 fx-pie   fx_alpha 400 (two offsets 300 + 100), fx_beta 100, padding 10
 *   dom0 libfx.so fx_gamma 200
 *   dom0 [kernel.kallsyms] do_one 150, ext4 module [ext4] ext4_b 20
 *   dom0 /nonexistent/ghost 30 (image not found)
 *   dom0 fx-exec recorded with another build-id: 40 (mismatch)
 *   dom1 "web01" [user] 50
 */
static int
session_build(void)
{
	struct xps_meta m;
	struct xps_profile *p0, *p1;
	struct fx_fn a, b, g, ga;
	char path[1024];
	int rc = 0;

	snprintf(sessdir, sizeof(sessdir), "%s/sess", tmpdir);
	if (xps_session_init(sessdir) != 0)
		return -1;
	memset(&m, 0, sizeof(m));
	snprintf(m.backend, sizeof(m.backend), "perf");
	snprintf(m.cpu_type, sizeof(m.cpu_type), "timer");
	m.nevents = 1;
	snprintf(m.events[0].name, sizeof(m.events[0].name), "cpu-clock");
	m.events[0].count = 100000;
	m.ndomains = 2;
	m.domains[0].domid = 0;
	snprintf(m.domains[0].name, sizeof(m.domains[0].name), "Domain-0");
	m.domains[0].role = 0;
	m.domains[1].domid = 1;
	snprintf(m.domains[1].name, sizeof(m.domains[1].name), "web01");
	m.domains[1].role = 2;
	snprintf(path, sizeof(path), "%s/current/meta", sessdir);
	rc |= xps_meta_write(&m, path);
	snprintf(path, sizeof(path), "%s/current/kallsyms", sessdir);
	rc |= xps_write_file(path, ksyms_text, strlen(ksyms_text));

	if (fixture_fn(tpath("fx-pie"), "fx_alpha", &a) || fixture_fn(tpath("fx-pie"), "fx_beta", &b) ||
	    fixture_fn(tpath("libfx.so"), "fx_gamma", &g) ||
	    fixture_fn(tpath("fx-exec"), "fx_alpha", &ga))
		return -1;
	p0 = xps_profile_new(0, "Domain-0");
	uint32_t ipie = add_image(p0, tpath("fx-pie"), XPS_IMG_FILE, tpath("fx-pie"), 0);
	uint32_t iso = add_image(p0, tpath("libfx.so"), XPS_IMG_FILE, tpath("libfx.so"), 0);
	uint32_t ik = add_image(p0, "[kernel.kallsyms]", XPS_IMG_KERNEL, NULL, 0);
	uint32_t im = add_image(p0, "[ext4]", XPS_IMG_KMOD, NULL, 0);
	uint32_t ig = add_image(p0, "/nonexistent/ghost", XPS_IMG_FILE, NULL, 0);
	uint32_t ix = add_image(p0, tpath("fx-exec"), XPS_IMG_FILE, tpath("fx-exec"), 1);
	add_rec(p0, ipie, a.off, 300);
	add_rec(p0, ipie, a.off + 4, 100);
	add_rec(p0, ipie, b.off + 1, 100);
	add_rec(p0, ipie, b.off + b.size + 16, 10);
	add_rec(p0, iso, g.off + 2, 200);
	add_rec(p0, ik, 0xffffffff81001004, 150);
	add_rec(p0, im, 0xffffffffc0001204, 20);
	add_rec(p0, ig, 0x1234, 30);
	add_rec(p0, ix, ga.off, 40);
	xps_profile_add_lost(p0, 0, XPS_LOSS_RING, 5);
	xps_profile_add_lost(p0, 1, XPS_LOSS_THROTTLE, 2);
	xps_profile_filename(path, sizeof(path), tpath("sess/current"), 0);
	rc |= xps_profile_write(p0, path);
	xps_profile_free(p0);

	p1 = xps_profile_new(1, "web01");
	add_rec(p1, add_image(p1, "[user]", XPS_IMG_ANON, NULL, 0), 0x400123, 50);
	xps_profile_filename(path, sizeof(path), tpath("sess/current"), 1);
	rc |= xps_profile_write(p1, path);
	xps_profile_free(p1);
	return rc;
}

/* Run the report with ARGS; stdout into OUT (malloc'd), stderr into ERR. */
static int
report_run(const char *args, char **out, char **err)
{
	char cmd[2048], ef[600], of[600];
	FILE *f;
	long n;
	int st;

	snprintf(of, sizeof(of), "%s/out.txt", tmpdir);
	snprintf(ef, sizeof(ef), "%s/err.txt", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s --session-dir=%s %s >%s 2>%s", REPORT_BIN, sessdir, args, of, ef);
	st = run(cmd);
	for (int i = 0; i < 2; i++) {
		char **dst = i ? err : out;
		f = fopen(i ? ef : of, "r");
		*dst = NULL;
		if (f == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		*dst = calloc(1, n + 1);
		if (fread(*dst, 1, n, f) != (size_t)n)
			n = 0;
		fclose(f);
	}
	return st;
}

/* samples of the JSON row (one per line) containing all of NEEDLES; -1 if none. */
static long long
row_samples(const char *json, const char *n1, const char *n2, double *pct)
{
	const char *line = json;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char *l = strndup(line, len);
		long long v = -1;
		/* rows only: they begin a line with '{' (domains, unsymbolized: with " {") */
		if (l[0] == '{' && strstr(l, "\"samples\"") && strstr(l, n1) && (!n2 || strstr(l, n2))) {
			sscanf(strstr(l, "\"samples\": ") + 11, "%lld", &v);
			if (pct)
				sscanf(strstr(l, "\"percent\": ") + 11, "%lf", pct);
		}
		free(l);
		if (v >= 0)
			return v;
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

static long long
json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;
	long long v = -1;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(json, pat);
	if (p)
		sscanf(p + strlen(pat), "%lld", &v);
	return v;
}

static void
test_e2e_json(void)
{
	char *out, *err;
	double pct = 0;
	int st;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	CU_ASSERT_EQUAL_FATAL(session_build(), 0);
	st = report_run("--format=json --symbols", &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 1000);
	CU_ASSERT_EQUAL(json_num(out, "lost_samples"), 7);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", "fx-pie\"", &pct), 400);
	CU_ASSERT_DOUBLE_EQUAL(pct, 40.0, 1e-3);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_beta\"", "fx-pie\"", NULL), 100);
	CU_ASSERT_EQUAL(row_samples(out, "\"[unknown]\"", "fx-pie\"", NULL), 10);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_gamma\"", "libfx.so\"", NULL), 200);
	CU_ASSERT_EQUAL(row_samples(out, "\"do_one\"", "[kernel.kallsyms]", NULL), 150);
	CU_ASSERT_EQUAL(row_samples(out, "\"ext4_b\"", "[ext4]", NULL), 20);
	CU_ASSERT_EQUAL(row_samples(out, "\"[unknown]\"", "/nonexistent/ghost", NULL), 30);
	CU_ASSERT_EQUAL(row_samples(out, "\"[unknown]\"", "fx-exec\"", NULL), 40);
	CU_ASSERT_EQUAL(row_samples(out, "\"web01\"", "[user]", NULL), 50);
	CU_ASSERT_EQUAL(row_samples(out, "\"domain\": 1,", "\"[unknown]\"", NULL), 50);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/ghost: image not found, 30 samples not symbolized"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "build-id differs from the recorded one"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "40 samples not symbolized"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"warnings\": ["));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "image not found"));
	/* What could not be symbolized, by image and reason. */
	CU_ASSERT_EQUAL(json_num(out, "unsymbolized_samples"), 130);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"image\": \"[user]\", \"samples\": 50, \"percent\": 5.0000, "
	    "\"reason\": \"user space of a passive domain, opaque to dom0\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"samples\": 40, \"percent\": 4.0000, \"reason\": "
	    "\"build-id differs from the recorded one: the file changed\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"image\": \"/nonexistent/ghost\", \"samples\": 30, "
	    "\"percent\": 3.0000, \"reason\": \"image not found: use --image-path or --root\"}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"samples\": 10, \"percent\": 1.0000, \"reason\": "
	    "\"no symbol of the image covers the address\"}"));
	free(out);
	free(err);
	/* The image summary opens no image: only those with no file count. */
	st = report_run("--format=json", &out, &err);
	CU_ASSERT_EQUAL(json_num(out, "unsymbolized_samples"), 50);
	free(out);
	free(err);

	/* Threshold: rows below 5 % go, the total stays. */
	st = report_run("--format=json -l -t 5", &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 1000);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", NULL, NULL), 400);
	CU_ASSERT_EQUAL(row_samples(out, "\"ext4_b\"", NULL, NULL), -1);	/* 2 % */
	CU_ASSERT_EQUAL(row_samples(out, "ghost", NULL, NULL), -1);		/* 3 % */
	CU_ASSERT_EQUAL(row_samples(out, "[user]", NULL, NULL), 50);		/* 5 %: kept */
	CU_ASSERT_EQUAL(json_num(out, "hidden_rows"), 4);
	free(out);
	free(err);

	/* Image summary, a domain spec, an image spec. */
	st = report_run("--format=json domain:Domain-0", &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 950);
	CU_ASSERT_EQUAL(row_samples(out, "fx-pie\"", NULL, NULL), 510);
	CU_ASSERT_PTR_NULL(strstr(out, "\"symbol\""));
	free(out);
	free(err);
	st = report_run("--format=json -l image:fx-pie,lib*", &out, &err);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 710);
	free(out);
	free(err);

	/* --image-path finds a moved image by basename. */
	char cmd[1200], args[1200];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/moved && cp %s %s/moved/ghost", tmpdir,
		 tpath("fx-pie"), tmpdir);
	CU_ASSERT_EQUAL(run(cmd), 0);
	snprintf(args, sizeof(args), "--format=json -l -p /nonexistent,%s/moved", tmpdir);
	st = report_run(args, &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NULL(strstr(err, "ghost: image not found"));
	CU_ASSERT_EQUAL(row_samples(out, "/nonexistent/ghost", NULL, NULL), 30);
	free(out);
	free(err);

	/* Text and CSV render the same selection. */
	st = report_run("-l", &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Counted cpu-clock events"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "1000 in the selection, 7 lost"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "fx_alpha"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Not symbolized: 130 samples (13.00%): [user] 50 (user "
	    "space of a passive domain, opaque to dom0); fx-exec 40 (build-id differs"));
	free(out);
	free(err);
	/* Without the header (-n) the line comes last. */
	st = report_run("-l -n", &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "Not symbolized: 130 samples"));
	free(out);
	free(err);
	st = report_run("--format=csv -l", &out, &err);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "domain,domain_name,image,symbol,samples,percent\r\n"));
	free(out);
	free(err);
}

static void
test_e2e_errors(void)
{
	char *out, *err;
	char path[1024];
	FILE *f;

	CU_ASSERT_EQUAL(report_run("session:nope", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "session 'nope' not found"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("color:red", &out, &err), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown profile specification"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("tid:5", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--separate=thread"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("cpu:0", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--separate=cpu"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("domain:db", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1 (web01)"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("event:cycles", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cpu-clock"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("image:nothing-like-it", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fx-pie"));
	free(out), free(err);
	/* A corrupt profile: a warning, the other domain still reported. */
	xps_profile_filename(path, sizeof(path), tpath("sess/current"), 1);
	f = fopen(path, "r+");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 40, SEEK_SET);
	fputs("garbage", f);
	fclose(f);
	CU_ASSERT_EQUAL(report_run("--format=json", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "warning"));
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 950);
	free(out), free(err);
	/* No session at all. */
	char keep[sizeof(sessdir)];
	memcpy(keep, sessdir, sizeof(keep));
	snprintf(sessdir, sizeof(sessdir), "%s/empty", tmpdir);
	mkdir(sessdir, 0700);
	CU_ASSERT_EQUAL(report_run("", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no current session"));
	free(out), free(err);
	memcpy(sessdir, keep, sizeof(keep));
}

/* A saved session separated by library and thread: nesting, tid: specs, --merge. */
static void
test_e2e_separated(void)
{
	struct xps_meta m;
	struct xps_profile *p;
	struct fx_fn a, g;
	struct xps_key k;
	char path[1024];
	char *out, *err;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("fx-pie"), "fx_alpha", &a), 0);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("libfx.so"), "fx_gamma", &g), 0);
	snprintf(path, sizeof(path), "mkdir -p %s/saved/sep", sessdir);
	run(path);
	memset(&m, 0, sizeof(m));
	snprintf(m.backend, sizeof(m.backend), "xenoprof");
	m.separate = XPS_SEP_LIBRARY | XPS_SEP_THREAD;
	m.nevents = 2;
	snprintf(m.events[0].name, sizeof(m.events[0].name), "CPU_CLK_UNHALTED");
	snprintf(m.events[1].name, sizeof(m.events[1].name), "INST_RETIRED");
	snprintf(path, sizeof(path), "%s/saved/sep/meta", sessdir);
	CU_ASSERT_EQUAL(xps_meta_write(&m, path), 0);
	p = xps_profile_new(0, NULL);
	uint32_t ipie = add_image(p, tpath("fx-pie"), XPS_IMG_FILE, NULL, 0);
	uint32_t iso = add_image(p, tpath("libfx.so"), XPS_IMG_FILE, NULL, 0);
	xps_key_init(&k);
	k.app = ipie, k.tgid = 100, k.tid = 100;
	k.image = ipie, k.offset = a.off;
	xps_profile_add(p, &k, 60);
	k.image = iso, k.offset = g.off;
	xps_profile_add(p, &k, 30);
	k.tid = 101;
	xps_profile_add(p, &k, 10);
	k.event = 1;
	xps_profile_add(p, &k, 5);
	snprintf(path, sizeof(path), "%s/saved/sep/dom0.samples", sessdir);
	CU_ASSERT_EQUAL(xps_profile_write(p, path), 0);
	xps_profile_free(p);

	CU_ASSERT_EQUAL(report_run("session:sep -m tid", &out, &err), 0);
	/* App line, then its images nested (percent of the app). */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "fx-pie\n  60 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Counted INST_RETIRED events"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:sep --format=json -l tid:101", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 15);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"tid\": 101"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"app\": "));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"by_event\""));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:sep,sep --format=json event:INST_RETIRED", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 5);
	free(out), free(err);
}


/*
 * Processes told apart (stacks.c): two copies of one program, same function
 * names and basename ("twin"), in two directories, recorded with chains (the
 * daemon records each stack's executable); one stack with --separate=thread's
 * tgid.  Folded, svg and annotate keep them apart; rows stay unsplit.
 */
static void
test_e2e_processes(void)
{
	struct xps_meta m;
	struct xps_profile *p;
	struct fx_fn a, mn, g, b;
	struct xps_key k;
	char path[4096], want[1200];
	char *out, *err;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	snprintf(path, sizeof(path), "mkdir -p %s/a %s/b %s/saved/twins && cp %s %s/a/twin && "
		 "cp %s %s/b/twin", tmpdir, tmpdir, sessdir, tpath("fx-pie"), tmpdir, tpath("fx-pie"),
		 tmpdir);
	CU_ASSERT_EQUAL_FATAL(run(path), 0);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("fx-pie"), "fx_alpha", &a), 0);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("fx-pie"), "fx_beta", &b), 0);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("fx-pie"), "main", &mn), 0);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("libfx.so"), "fx_gamma", &g), 0);
	memset(&m, 0, sizeof(m));
	snprintf(m.backend, sizeof(m.backend), "perf");
	m.callgraph = 8;
	m.nevents = 1;
	snprintf(m.events[0].name, sizeof(m.events[0].name), "cpu-clock");
	snprintf(path, sizeof(path), "%s/saved/twins/meta", sessdir);
	CU_ASSERT_EQUAL(xps_meta_write(&m, path), 0);
	p = xps_profile_new(0, NULL);
	uint32_t ia = add_image(p, tpath("a/twin"), XPS_IMG_FILE, NULL, 0);
	uint32_t ib = add_image(p, tpath("b/twin"), XPS_IMG_FILE, NULL, 0);
	uint32_t iso = add_image(p, tpath("libfx.so"), XPS_IMG_FILE, NULL, 0);
	struct xps_frame fa = { ia, 0, mn.off + 4 }, fb = { ib, 0, mn.off + 4 };
	xps_key_init(&k);
	k.app = ia, k.image = ia, k.offset = a.off, k.chain = xps_profile_chain(p, &fa, 1);
	xps_profile_add(p, &k, 60);
	k.image = iso, k.offset = g.off;	/* a library, in a's stack */
	xps_profile_add(p, &k, 10);
	k.image = ia, k.offset = b.off, k.tgid = 4711;
	xps_profile_add(p, &k, 5);
	xps_key_init(&k);
	k.app = ib, k.image = ib, k.offset = a.off, k.chain = xps_profile_chain(p, &fb, 1);
	xps_profile_add(p, &k, 40);
	snprintf(path, sizeof(path), "%s/saved/twins/dom0.samples", sessdir);
	CU_ASSERT_EQUAL(xps_profile_write(p, path), 0);
	xps_profile_free(p);

	CU_ASSERT_EQUAL(report_run("session:twins --format=folded", &out, &err), 0);
	snprintf(want, sizeof(want), "%s;main;fx_alpha 60\n", tpath("a/twin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	snprintf(want, sizeof(want), "%s;main;fx_alpha 40\n", tpath("b/twin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	snprintf(want, sizeof(want), "%s;main;fx_gamma 10\n", tpath("a/twin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	snprintf(want, sizeof(want), "%s [4711];main;fx_beta 5\n", tpath("a/twin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	CU_ASSERT_PTR_NULL(strstr(out, "\ntwin;"));	/* basenames clash: full paths */
	free(out), free(err);
	/* One of them only: its basename is enough. */
	snprintf(path, sizeof(path), "session:twins --format=folded image:%s", tpath("b/twin"));
	CU_ASSERT_EQUAL(report_run(path, &out, &err), 0);
	CU_ASSERT_STRING_EQUAL(out, "twin;main;fx_alpha 40\n");
	free(out), free(err);
	/* The rows are not split by the recorded executable (no --separate=library). */
	CU_ASSERT_EQUAL(report_run("session:twins --format=json -l", &out, &err), 0);
	CU_ASSERT_PTR_NULL(strstr(out, "\"app\""));
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_gamma\"", "libfx.so", NULL), 10);
	free(out), free(err);
	/* svg: the two process frames, each with its own samples. */
	CU_ASSERT_EQUAL(report_run("session:twins --format=svg", &out, &err), 0);
	snprintf(want, sizeof(want), "data-fam=\"p\"><title>%s (70 samples", tpath("a/twin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	snprintf(want, sizeof(want), "data-fam=\"p\"><title>%s (40 samples", tpath("b/twin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-d=\"0\" data-fam=\"n\"><title>all (115 samples"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "</svg>\n"));
	free(out), free(err);
	/* annotate: one fx_alpha per binary, each with its own samples on instructions. */
	CU_ASSERT_EQUAL(report_run("session:twins --format=json --annotate=fx_alpha", &out, &err), 0);
	const char *s1 = strstr(out, "\"symbol\": \"fx_alpha\", \"samples\": 60");
	const char *s2 = strstr(out, "\"symbol\": \"fx_alpha\", \"samples\": 40");
	CU_ASSERT(s1 != NULL && s2 != NULL && s1 < s2);	/* hottest first */
	CU_ASSERT(s1 && strstr(s1, "\"instructions\": [{\"address\": "));
	CU_ASSERT(s1 && strstr(s1, "\"samples\": 60, \"percent\": 100.0000"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:twins --annotate=nothing_like_it", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the hottest: fx_alpha"));
	free(out), free(err);
}

/* ===================================================================== */
/* Xen sessions: domains, losses, columns, call chains, exports, diff     */

/*
 * Saved session "xen" (total 275, lost 9):
 *   dom0 Domain-0 (self): fx-dbg fx_alpha 100 (+8, chain fx_beta <- fx_gamma <- main)
 *                         fx-dbg fx_alpha 50 (+16, no chain)
 *                         xen (fx-exec as xen-syms) fx_gamma 25, mode xen
 *                         lost: vcpu0 3, vcpu1 2
 *   dom1 web01 (active):  kernel (fx-exec) fx_beta 40, [user] 10; lost vcpu0 4
 *   dom2 db (passive):    xen fx_gamma 20, [user] 30
 * Saved session "xen2": dom0 fx_alpha 300 (+8), fx_gamma 50 (+8); dom1 [user] 10.
 */
static int
xen_session_build(void)
{
	struct xps_meta m;
	struct fx_fn a, b, g, mn, xg, xb;
	char path[1024];
	int rc = 0;

	if (fixture_fn(tpath("fx-dbg"), "fx_alpha", &a) || fixture_fn(tpath("fx-dbg"), "fx_beta", &b) ||
	    fixture_fn(tpath("fx-dbg"), "fx_gamma", &g) || fixture_fn(tpath("fx-dbg"), "main", &mn) ||
	    fixture_fn(tpath("fx-exec"), "fx_gamma", &xg) || fixture_fn(tpath("fx-exec"), "fx_beta", &xb))
		return -1;
	for (int si = 0; si < 2; si++) {
		const char *nm = si ? "xen2" : "xen";
		snprintf(path, sizeof(path), "mkdir -p %s/saved/%s", sessdir, nm);
		run(path);
		memset(&m, 0, sizeof(m));
		snprintf(m.backend, sizeof(m.backend), "xenoprof");
		snprintf(m.cpu_type, sizeof(m.cpu_type), "i386/arch_perfmon");
		m.nevents = 1;
		snprintf(m.events[0].name, sizeof(m.events[0].name), "CPU_CLK_UNHALTED");
		m.events[0].count = 100000;
		m.ndomains = 3;
		const char *dn[3] = { "Domain-0", "web01", "db" };
		for (int d = 0; d < 3; d++) {
			m.domains[d].domid = d;
			m.domains[d].role = d;
			snprintf(m.domains[d].name, sizeof(m.domains[d].name), "%s", dn[d]);
		}
		snprintf(path, sizeof(path), "%s/saved/%s/meta", sessdir, nm);
		rc |= xps_meta_write(&m, path);
		struct xps_profile *p0 = xps_profile_new(0, "Domain-0");
		struct xps_profile *p1 = xps_profile_new(1, "web01");
		struct xps_profile *p2 = xps_profile_new(2, "db");
		uint32_t idbg = add_image(p0, tpath("fx-dbg"), XPS_IMG_FILE, tpath("fx-dbg"), 0);
		uint32_t ix0 = add_image(p0, tpath("fx-exec"), XPS_IMG_XEN, NULL, 0);
		struct xps_key k;
		xps_key_init(&k);
		if (si == 0) {
			struct xps_frame fr[3] = { { idbg, 0, b.off + 4 }, { idbg, 0, g.off + 4 },
						   { idbg, 0, mn.off + 4 } };
			/* A stack: the daemon records its process's executable (app). */
			k.image = idbg, k.offset = a.off + 8, k.chain = xps_profile_chain(p0, fr, 3);
			k.app = idbg;
			rc |= xps_profile_add(p0, &k, 100);
			k.chain = 0, k.offset = a.off + 16, k.app = XPS_NONE;
			rc |= xps_profile_add(p0, &k, 50);
			k.image = ix0, k.offset = xg.vaddr + 4, k.mode = XPS_MODE_XEN;
			rc |= xps_profile_add(p0, &k, 25);
			xps_profile_add_lost(p0, 0, XPS_LOSS_RING, 3);
			xps_profile_add_lost(p0, 1, XPS_LOSS_RING, 2);
			xps_key_init(&k);
			k.image = add_image(p1, tpath("fx-exec"), XPS_IMG_KERNEL, NULL, 0);
			k.offset = xb.vaddr + 2, k.mode = XPS_MODE_KERNEL;
			rc |= xps_profile_add(p1, &k, 40);
			k.image = add_image(p1, "[user]", XPS_IMG_ANON, NULL, 0);
			k.offset = 0x400000, k.mode = XPS_MODE_USER;
			rc |= xps_profile_add(p1, &k, 10);
			xps_profile_add_lost(p1, 0, XPS_LOSS_RING, 4);
			xps_key_init(&k);
			k.image = add_image(p2, tpath("fx-exec"), XPS_IMG_XEN, NULL, 0);
			k.offset = xg.vaddr + 8, k.mode = XPS_MODE_XEN;
			rc |= xps_profile_add(p2, &k, 20);
			k.image = add_image(p2, "[user]", XPS_IMG_ANON, NULL, 0);
			k.offset = 0x1000, k.mode = XPS_MODE_USER;
			rc |= xps_profile_add(p2, &k, 30);
		} else {
			k.image = idbg, k.offset = a.off + 8;
			rc |= xps_profile_add(p0, &k, 300);
			k.offset = g.off + 8;
			rc |= xps_profile_add(p0, &k, 50);
			k.image = add_image(p1, "[user]", XPS_IMG_ANON, NULL, 0);
			k.offset = 0x400000;
			rc |= xps_profile_add(p1, &k, 10);
		}
		struct xps_profile *ps[3] = { p0, p1, p2 };
		for (int d = 0; d < (si ? 2 : 3); d++) {
			snprintf(path, sizeof(path), "%s/saved/%s/dom%d.samples", sessdir, nm, d);
			rc |= xps_profile_write(ps[d], path);
		}
		for (int d = 0; d < 3; d++)
			xps_profile_free(ps[d]);
	}
	return rc;
}

/* The JSON object line of domain D in "domains": [...]. */
static char *
dom_line(const char *json, int d)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "{\"domain\": %d, \"domain_name\"", d);
	p = strstr(json, "\"domains\": [");
	p = p ? strstr(p, pat) : NULL;
	return p ? strndup(p, strcspn(p, "\n")) : NULL;
}

static void
test_e2e_domains(void)
{
	char *out, *err, *l;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	CU_ASSERT_EQUAL_FATAL(xen_session_build(), 0);
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 275);
	CU_ASSERT_EQUAL(json_num(out, "lost_samples"), 9);
	l = dom_line(out, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"samples\": 175"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"xen\": 25, \"kernel\": 0, \"user\": 150, \"lost\": 5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "[{\"vcpu\": 0, \"lost\": 3}, {\"vcpu\": 1, \"lost\": 2}]"));
	free(l);
	l = dom_line(out, 1);
	CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\"xen\": 0, \"kernel\": 40, \"user\": 10, \"lost\": 4"));
	free(l);
	l = dom_line(out, 2);
	CU_ASSERT_PTR_NOT_NULL(l && strstr(l, "\"xen\": 20, \"kernel\": 0, \"user\": 30, \"lost\": 0"));
	free(l);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", "fx-dbg", NULL), 150);
	CU_ASSERT_EQUAL(row_samples(out, "\"domain\": 1,", "\"fx_beta\"", NULL), 40);
	CU_ASSERT_EQUAL(row_samples(out, "\"domain\": 2,", "\"fx_gamma\"", NULL), 20);
	free(out), free(err);

	/* Text: per-domain block and a loss line per domain that lost samples. */
	CU_ASSERT_EQUAL(report_run("session:xen -l", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Lost in domain 0 (Domain-0): 5 (vcpu0 3, vcpu1 2)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Lost in domain 1 (web01): 4 (vcpu0 4)"));
	CU_ASSERT_PTR_NULL(strstr(out, "Lost in domain 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "domid  domain"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "samples  %        domain"));
	free(out), free(err);

	/* -s domain: domain 0 rows first, then 1, then 2. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l -s domain,samples", &out, &err), 0);
	const char *p0 = strstr(out, "\"rows\""), *d1 = strstr(p0, "\"domain\": 1,"),
	    *d2 = strstr(p0, "\"domain\": 2,"), *d0 = strstr(p0, "\"domain\": 0,");
	CU_ASSERT(d0 && d1 && d2 && d0 < d1 && d1 < d2);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l -s domain -r", &out, &err), 0);
	p0 = strstr(out, "\"rows\"");
	d2 = strstr(p0, "\"domain\": 2,"), d0 = strstr(p0, "\"domain\": 0,");
	CU_ASSERT(d0 && d2 && d2 < d0);
	free(out), free(err);

	/* --columns=domain: one column per domain, rows merged across domains. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l --columns=domain", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"column_axis\": \"domain\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"name\": \"Domain-0\", \"samples\": 175, \"lost\": 5}"));
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_gamma\"", "fx-exec", NULL), 45);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"by_column\": [{\"samples\": 25, \"percent\": 14.2857}, "
				      "{\"samples\": 0, \"percent\": 0.0000}, {\"samples\": 20, "
				      "\"percent\": 40.0000}]"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen -l --columns=domain", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Domain-0          web01             db"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "samples  %        samples  %        samples  %        image name"));
	free(out), free(err);
	/* --columns=session. */
	CU_ASSERT_EQUAL(report_run("session:xen,xen2 --format=json -l --columns=session", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 275 + 360);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"name\": \"xen2\", \"samples\": 360, \"lost\": 0}"));
	free(out), free(err);
}

static void
test_e2e_callgraph(void)
{
	char *out, *err;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	/* Folded: domain and process root frames, then the chain root first;
	 * where the process is unknown, what ran; counts sum to the total. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=folded", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Domain-0;fx-dbg;main;fx_gamma;fx_beta;fx_alpha 100\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Domain-0;[fx-dbg];fx_alpha 50\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "Domain-0;[xen];fx_gamma 25\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "web01;[kernel];fx_beta 40\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "db;[user];[user] 30\n"));
	long long sum = 0;
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char *line = strndup(p, strcspn(p, "\n"));
		const char *sp = line ? strrchr(line, ' ') : NULL;
		if (sp)
			sum += atoll(sp + 1);
		free(line);
	}
	CU_ASSERT_EQUAL(sum, 275);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen --format=folded domain:0", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\nfx-dbg;main;fx_gamma;fx_beta;fx_alpha 100\n") ||
			       strncmp(out, "fx-dbg;main;fx_gamma;fx_beta;fx_alpha 100\n", 42) == 0);
	free(out), free(err);

	/* -c: self and inclusive counts, callers and callees. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -c domain:0", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"symbol\": \"fx_alpha\", \"self\": 150, \"self_percent\": "
				      "85.7143, \"inclusive\": 150"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"symbol\": \"fx_beta\", \"self\": 0, \"self_percent\": "
				      "0.0000, \"inclusive\": 100"));
	const char *beta = strstr(out, "\"symbol\": \"fx_beta\", \"self\"");
	CU_ASSERT(beta && strstr(beta, "\"callers\": [{\"image\": ") &&
		  strstr(beta, "\"symbol\": \"fx_gamma\", \"samples\": 100"));
	CU_ASSERT(beta && strstr(beta, "\"callees\": [{\"image\": "));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen -c", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "fx_alpha [self]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "inclusive"));
	free(out), free(err);
}

/* Decode a gzipped pprof file with protobuf-c's generated unpack. */
static Perftools__Profiles__Profile *
pprof_read(const char *file)
{
	gzFile gz = gzopen(file, "rb");
	size_t cap = 1 << 20, len = 0;
	uint8_t *buf = malloc(cap);
	int n;

	if (gz == NULL)
		return NULL;
	while ((n = gzread(gz, buf + len, (unsigned)(cap - len))) > 0) {
		len += (size_t)n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(gz);
	Perftools__Profiles__Profile *p = perftools__profiles__profile__unpack(NULL, len, buf);
	free(buf);
	return p;
}

static void
test_e2e_pprof(void)
{
	char *out, *err, args[1024];
	double pct = 0;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	snprintf(args, sizeof(args), "session:xen --format=pprof -o %s/p.pb.gz", tmpdir);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 0);
	free(out), free(err);
	Perftools__Profiles__Profile *p = pprof_read(tpath("p.pb.gz"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(p->n_string_table > 0 && strcmp(p->string_table[0], "") == 0);
	CU_ASSERT_EQUAL(p->n_sample_type, 1);
	/* Flat (leaf) samples per function name, as pprof -top computes them. */
	int64_t total = 0, alpha = 0;
	size_t maxdepth = 0;
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		total += s->value[0];
		if (s->n_location_id > maxdepth)
			maxdepth = s->n_location_id;
		const Perftools__Profiles__Location *lo = p->location[s->location_id[0] - 1];
		CU_ASSERT_EQUAL(lo->id, s->location_id[0]);
		const Perftools__Profiles__Function *fn = p->function[lo->line[0]->function_id - 1];
		if (strcmp(p->string_table[fn->name], "fx_alpha") == 0)
			alpha += s->value[0];
	}
	CU_ASSERT_EQUAL(total, 275);
	CU_ASSERT_EQUAL(alpha, 150);
	/* The chain's 4 frames under the process and domain root frames. */
	CU_ASSERT_EQUAL(maxdepth, 6);
	int roots = 0;
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		if (s->n_location_id != 6)
			continue;
		const Perftools__Profiles__Location *lp = p->location[s->location_id[4] - 1];
		const Perftools__Profiles__Location *ld = p->location[s->location_id[5] - 1];
		const Perftools__Profiles__Function *fp = p->function[lp->line[0]->function_id - 1];
		const Perftools__Profiles__Function *fd = p->function[ld->line[0]->function_id - 1];
		CU_ASSERT_STRING_EQUAL(p->string_table[fp->name], "fx-dbg");
		CU_ASSERT_STRING_EQUAL(p->string_table[fp->filename], "[process]");
		CU_ASSERT_STRING_EQUAL(p->string_table[fd->name], "Domain-0");
		CU_ASSERT_STRING_EQUAL(p->string_table[fd->filename], "[domain]");
		CU_ASSERT_EQUAL(lp->mapping_id, 0);
		roots++;
	}
	CU_ASSERT_EQUAL(roots, 1);
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l", &out, &err), 0);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", "fx-dbg", &pct), 150);
	CU_ASSERT_DOUBLE_EQUAL(pct, 100.0 * alpha / total, 1e-3);
	free(out), free(err);
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void
test_e2e_diff(void)
{
	char *out, *err;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	CU_ASSERT_EQUAL(report_run("--format=json -l { session:xen } { session:xen2 }", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"column_axis\": \"diff\""));
	/* fx_alpha: 150/275 = 54.5455 % -> 300/360 = 83.3333 %: +52.7778 % */
	const char *l = strstr(out, "\"symbol\": \"fx_alpha\"");
	CU_ASSERT(l && strstr(l, "\"diff_samples\": 150, \"diff_percent\": 52.7778"));
	l = strstr(out, "\"image\": \"");
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"diff_status\": \"new\""));	/* fx_gamma in fx-dbg */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"diff_status\": \"vanished\""));	/* db, fx_beta */
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("-l domain:0 { session:xen } { session:xen2 }", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "diff %"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "+++"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "---"));
	free(out), free(err);
}

static void
test_e2e_selection(void)
{
	char *out, *err;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	/* -d: per address inside the symbol; -g: source lines. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -d -g domain:0", &out, &err), 0);
	const char *l = strstr(out, "\"symbol\": \"fx_alpha\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"source\": \"fixture.c:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"details\": [{\"vma\": "));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"samples\": 100, \"percent\": 66.6667"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l, "\"samples\": 50, \"percent\": 33.3333"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen -d -w -g domain:0", &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "vma"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "linenr info"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, " fixture.c:"));
	free(out), free(err);
	/* -i / -e, -a. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l -i fx_alpha", &out, &err), 0);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", NULL, NULL), 150);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_gamma\"", NULL, NULL), -1);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 275);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen --format=json -l -e fx_alpha -a", &out, &err), 0);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", NULL, NULL), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"cum_samples\": 125"));
	free(out), free(err);
	/* Specs: count:, unit-mask:, image-exclude:, session-exclude:, lib-image:. */
	CU_ASSERT_EQUAL(report_run("session:xen --format=json count:100000 unit-mask:0", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 275);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen count:5000", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "count:5000 matches no event"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "CPU_CLK_UNHALTED:100000:0x00"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen unit-mask:0xc0", &out, &err), 1);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen --format=json image-exclude:fx-dbg", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 125);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen,xen2 session-exclude:xen2 --format=json", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 275);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:xen lib-image:libc.so.6", &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--separate=library"));
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:sep --format=json lib-image:libfx.so", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 45);
	free(out), free(err);
	CU_ASSERT_EQUAL(report_run("session:sep --format=json image:fx-pie", &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 105);	/* the app and its libraries */
	free(out), free(err);

	/* Combinations that cannot go together: one line, exit 2. */
	static const char *const bad[] = {
		"-d -c", "-c { session:xen } { session:xen2 }", "-w", "-g", "-a", "--global-percent",
		"--format=folded -c", "--format=csv -d", "--columns=domain -c", "-i x",
		"--columns=nope", "-s nope", "{ session:xen }", "{session:xen} {session:xen2}",
		"-c -s image",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char a[256];
		snprintf(a, sizeof(a), "session:xen %s", bad[i]);
		int st = report_run(a, &out, &err);
		if (st != 2)
			fprintf(stderr, "'%s': exit %d\n", a, st);
		CU_ASSERT_EQUAL(st, 2);
		CU_ASSERT(err && strchr(err, '\n') == err + strlen(err) - 1);
		free(out), free(err);
	}
}

static void
test_e2e_archive(void)
{
	char *out, *err, args[1200], cmd[1200];

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	snprintf(args, sizeof(args), "session:xen --archive=%s/x.tar", tmpdir);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 0);
	free(out), free(err);
	/* Move the images away: the report must read them from the archive. */
	snprintf(cmd, sizeof(cmd), "mv %s %s.away && mv %s %s.away", tpath("fx-dbg"), tpath("fx-dbg"),
		 tpath("fx-exec"), tpath("fx-exec"));
	CU_ASSERT_EQUAL(run(cmd), 0);
	snprintf(args, sizeof(args), "--format=json -l archive:%s/x.tar session:xen", tmpdir);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 0);
	CU_ASSERT_EQUAL(json_num(out, "total_samples"), 275);
	CU_ASSERT_EQUAL(row_samples(out, "\"fx_alpha\"", "fx-dbg", NULL), 150);
	CU_ASSERT_EQUAL(row_samples(out, "\"domain\": 2,", "\"fx_gamma\"", NULL), 20);
	free(out), free(err);
	snprintf(cmd, sizeof(cmd), "mv %s.away %s && mv %s.away %s", tpath("fx-dbg"), tpath("fx-dbg"),
		 tpath("fx-exec"), tpath("fx-exec"));
	CU_ASSERT_EQUAL(run(cmd), 0);
	/* Not an archive: one line, exit 1. */
	snprintf(args, sizeof(args), "archive:%s", tpath("fx-dbg"));
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "archive:"));
	free(out), free(err);
}

/* The end (data and padding) of member K (0 = first) of ustar FILE, its name into NAME; -1 if none. */
static long
tar_member_end(const char *file, int k, char *name, size_t len)
{
	FILE *f = fopen(file, "rb");
	unsigned char h[512];
	long pos = 0;

	if (f == NULL)
		return -1;
	for (int i = 0; fread(h, 1, 512, f) == 512 && h[0] != 0; i++) {
		char sz[13] = { 0 };
		unsigned long long size;

		memcpy(sz, h + 124, 12);
		size = strtoull(sz, NULL, 8);
		pos += 512 + (long)((size + 511) / 512 * 512);
		if (i == k) {
			snprintf(name, len, "%.100s", (char *)h);
			fclose(f);
			return pos;
		}
		fseek(f, pos, SEEK_SET);
	}
	fclose(f);
	return -1;
}

/* Copy SRC to DST cut to LEN bytes, with byte FLIP (if >= 0) inverted. */
static int
copy_cut(const char *src, const char *dst, long len, long flip)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "head -c %ld %s >%s", len, src, dst);
	if (run(cmd) != 0)
		return -1;
	if (flip >= 0) {
		FILE *f = fopen(dst, "r+b");
		int c;

		if (f == NULL || fseek(f, flip, SEEK_SET) != 0 || (c = fgetc(f)) == EOF) {
			if (f)
				fclose(f);
			return -1;
		}
		fseek(f, flip, SEEK_SET);
		fputc(c ^ 0xff, f);
		fclose(f);
	}
	return 0;
}

/*
 * Archives that are not whole are errors naming the member: cut at a member
 * boundary, cut inside a member, a byte changed in an image; an archive
 * written over an older one replaces it only when complete; an image cut
 * short is refused with "truncated", never shown as silent [unknown].
 */
static void
test_e2e_archive_damage(void)
{
	char *out, *err, args[1400], a[600], b[600], name[200], cmd[4096];
	long end0, size;
	struct stat st;
	int k;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	snprintf(a, sizeof(a), "%s/d.tar", tmpdir);
	snprintf(b, sizeof(b), "%s/d2.tar", tmpdir);
	snprintf(args, sizeof(args), "session:xen --archive=%s", a);
	CU_ASSERT_EQUAL_FATAL(report_run(args, &out, &err), 0);
	free(out), free(err);
	CU_ASSERT_EQUAL_FATAL(stat(a, &st), 0);
	size = (long)st.st_size;

	/* Cut right after the first member: no end-of-archive blocks. */
	end0 = tar_member_end(a, 0, name, sizeof(name));
	CU_ASSERT_FATAL(end0 > 0 && end0 < size);
	CU_ASSERT_EQUAL(copy_cut(a, b, end0, -1), 0);
	snprintf(args, sizeof(args), "-l archive:%s session:xen", b);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "truncated after member"));
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, name));
	free(out), free(err);

	/* Cut inside the second member's data. */
	CU_ASSERT_FATAL(tar_member_end(a, 1, name, sizeof(name)) > end0 + 512 + 8);
	CU_ASSERT_EQUAL(copy_cut(a, b, end0 + 512 + 8, -1), 0);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "is truncated"));
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, name));
	free(out), free(err);

	/* A byte changed inside an image (root/... or build-id/...): damaged, named. */
	for (k = 0; tar_member_end(a, k, name, sizeof(name)) > 0 && strncmp(name, "root/", 5) != 0 &&
	    strncmp(name, "build-id/", 9) != 0; k++)
		;
	CU_ASSERT_FATAL(strncmp(name, "root/", 5) == 0 || strncmp(name, "build-id/", 9) == 0);
	end0 = tar_member_end(a, k, name, sizeof(name));
	CU_ASSERT_EQUAL(copy_cut(a, b, size, end0 - 600), 0);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "is damaged"));
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, name));
	free(out), free(err);

	/* The whole archive still reads, with no warning about it. */
	snprintf(args, sizeof(args), "-l archive:%s session:xen", a);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NULL(err && strstr(err, "archive"));
	free(out), free(err);

	/* A run that fails leaves the older archive as it was, and no temporary file. */
	snprintf(cmd, sizeof(cmd), "cp %s %s.keep && mkdir -p %s/saved/xenbad && cp %s/saved/xen/* "
	    "%s/saved/xenbad/ && printf garbage | dd of=%s/saved/xenbad/dom0.samples bs=1 seek=40 "
	    "conv=notrunc 2>/dev/null", a, a, sessdir, sessdir, sessdir, sessdir);
	CU_ASSERT_EQUAL_FATAL(run(cmd), 0);
	snprintf(args, sizeof(args), "session:xenbad --archive=%s", a);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "unreadable") && strstr(err, "not archived"));
	free(out), free(err);
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s.keep && ! ls %s.tmp.* 2>/dev/null", a, a, a);
	CU_ASSERT_EQUAL(run(cmd), 0);

	/* An image cut short keeps its build-id note, but not its symbols: refused, said. */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/cut && head -c 9000 %s >%s/cut/fx-dbg", tmpdir,
	    tpath("fx-dbg"), tmpdir);
	CU_ASSERT_EQUAL_FATAL(run(cmd), 0);
	snprintf(args, sizeof(args), "--format=json -l session:xen --root=%s/cut -p %s/cut", tmpdir, tmpdir);
	CU_ASSERT_EQUAL(report_run(args, &out, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(err && strstr(err, "truncated: the file is 9000 bytes"));
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "\"reason\": \"truncated: the file is 9000 bytes"));
	free(out), free(err);
}

/*
 * The pool's strings stay valid while it grows (ids and strings, never a
 * slot of its tables): 5000 strings, every earlier string checked.
 */
static void
test_strpool(void)
{
	struct strpool *p = strpool_new();
	const char *s[5000];
	char buf[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		s[i] = strpool_intern(p, buf);
		CU_ASSERT_EQUAL(strpool_id(p, buf), (uint32_t)i);
		CU_ASSERT_PTR_EQUAL(strpool_str(p, (uint32_t)i), s[i]);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		CU_ASSERT_STRING_EQUAL(s[i], buf);
		CU_ASSERT_PTR_EQUAL(strpool_intern(p, buf), s[i]);
	}
	CU_ASSERT_EQUAL(strpool_count(p), 5000);
	CU_ASSERT_PTR_NULL(strpool_str(p, 5000));
	strpool_free(p);
}

/*
 * The SIGSEGV class: a session with so many images that the string pool
 * grows while --root and -p paths are interned (the old code read the
 * pool's array before the call that reallocated it).  With MALLOC_PERTURB_
 * freed memory is garbage, so a stale pointer crashes at once.
 */
static void
test_e2e_pool_growth(void)
{
	enum { N = 1500 };
	struct xps_meta m;
	struct xps_profile *p;
	struct fx_fn a;
	char path[1024], cmd[2048], args[1200], *out, *err;
	int rc = 0;

	CU_ASSERT_EQUAL_FATAL(have_fixtures, 1);
	CU_ASSERT_EQUAL_FATAL(fixture_fn(tpath("fx-pie"), "fx_alpha", &a), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir -p many/current root/many pdir && "
	    "for i in $(seq 1 %d); do ln -s ../../fx-pie root/many/f$i && ln -s ../fx-pie pdir/f$i; done",
	    tmpdir, N);
	CU_ASSERT_EQUAL_FATAL(run(cmd), 0);
	memset(&m, 0, sizeof(m));
	snprintf(m.backend, sizeof(m.backend), "perf");
	m.nevents = 1;
	snprintf(m.events[0].name, sizeof(m.events[0].name), "cpu-clock");
	m.events[0].count = 100000;
	snprintf(path, sizeof(path), "%s/many/current/meta", tmpdir);
	rc |= xps_meta_write(&m, path);
	p = xps_profile_new(0, "Domain-0");
	for (int i = 1; i <= N; i++) {
		snprintf(path, sizeof(path), "/many/f%d", i);
		add_rec(p, add_image(p, path, XPS_IMG_FILE, tpath("fx-pie"), 0), a.off, 1);
	}
	xps_profile_filename(path, sizeof(path), tpath("many/current"), 0);
	rc |= xps_profile_write(p, path);
	xps_profile_free(p);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	for (int v = 0; v < 2; v++) {
		snprintf(args, sizeof(args), "--session-dir=%s/many --format=json -l %s%s/%s", tmpdir,
		    v ? "-p " : "--root=", tmpdir, v ? "pdir" : "root");
		snprintf(cmd, sizeof(cmd), "MALLOC_PERTURB_=165 %s %s >%s/pool.json 2>%s/pool.err",
		    REPORT_BIN, args, tmpdir, tmpdir);
		CU_ASSERT_EQUAL(run(cmd), 0);
		snprintf(cmd, sizeof(cmd), "grep -q '\"total_samples\": %d,' %s/pool.json && "
		    "test \"$(grep -c '\"symbol\": \"fx_alpha\"' %s/pool.json)\" -eq %d", N, tmpdir,
		    tmpdir, N);
		CU_ASSERT_EQUAL(run(cmd), 0);
	}
	(void)out, (void)err;
}

/* ===================================================================== */

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/xp-report-test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	have_fixtures = fixture_build() == 0;
	report_warn_quiet(1);
	return 0;
}

static int
suite_clean(void)
{
	char cmd[300];

	if (getenv("XP_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		run(cmd);
	}
	return 0;
}

static void
test_demangle(void)
{
	char *d = report_demangle("_ZN6fuzzer10MallocHookEPVKvm");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);	/* libstdc++ is on every Debian system */
	CU_ASSERT_STRING_EQUAL(d, "fuzzer::MallocHook(void const volatile*, unsigned long)");
	free(d);
	CU_ASSERT_PTR_NULL(report_demangle("work_alpha"));	/* C: as it is */
	CU_ASSERT_PTR_NULL(report_demangle("_Zbogus"));		/* not a valid mangling */
	CU_ASSERT_PTR_NULL(report_demangle(NULL));
}

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("report", suite_init, suite_clean);
	CU_add_test(s, "spec table", test_spec_table);
	CU_add_test(s, "spec match", test_spec_match);
	CU_add_test(s, "options", test_options);
	CU_add_test(s, "C++ demangling", test_demangle);
	CU_add_test(s, "kallsyms", test_kallsyms);
	CU_add_test(s, "symbols: PIE", test_sym_pie);
	CU_add_test(s, "symbols: shared library", test_sym_shlib);
	CU_add_test(s, "symbols: non-PIE", test_sym_exec);
	CU_add_test(s, "symbols: errors", test_sym_errors);
	CU_add_test(s, "e2e: json", test_e2e_json);
	CU_add_test(s, "e2e: separated", test_e2e_separated);
	CU_add_test(s, "e2e: processes told apart", test_e2e_processes);
	CU_add_test(s, "e2e: domains and columns", test_e2e_domains);
	CU_add_test(s, "e2e: call graph and folded", test_e2e_callgraph);
	CU_add_test(s, "e2e: pprof", test_e2e_pprof);
	CU_add_test(s, "e2e: differential", test_e2e_diff);
	CU_add_test(s, "e2e: selection and layout", test_e2e_selection);
	CU_add_test(s, "e2e: archive", test_e2e_archive);
	CU_add_test(s, "e2e: damaged archives and images", test_e2e_archive_damage);
	CU_add_test(s, "string pool", test_strpool);
	CU_add_test(s, "e2e: the string pool grows under --root and -p", test_e2e_pool_growth);
	CU_add_test(s, "e2e: errors", test_e2e_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
