/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-hv.c: CUnit tests of hv/: the event syntax, the perf event table,
 * backend selection, the perf ring parser on synthetic records, and a live
 * system-wide cpu-clock run (skipped with a note where perf_event_open is
 * not permitted).  Also prints the parser's cost per record.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/perf_event.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#if defined(__has_include)
# if __has_include(<valgrind/valgrind.h>)
#  include <valgrind/valgrind.h>
# endif
#endif
#ifndef RUNNING_ON_VALGRIND
# define RUNNING_ON_VALGRIND 0
#endif

#include "hv/hv.h"
#include "hv/evtab.h"
#include "hv/perf/perfP.h"

/* ===================================================================== */
/* A sink that remembers what it got                                      */

#define REC_MAX_MMAPS	64

struct rec_mmap {
	uint32_t	pid, tid;
	uint64_t	start, len, pgoff;
	char		path[PATH_MAX];
	uint8_t		build_id[20];
	size_t		build_id_len;
	bool		exec;
};

struct rec {
	uint64_t	samples, lost[4], lost_calls[4], mmaps, comms, forks, exits;
	struct hv_sample last;
	uint64_t	last_chain[HV_MAX_CHAIN];
	char		last_comm[64];
	bool		last_comm_exec;
	uint32_t	fork_ids[4], exit_ids[2];
	uint32_t	nmm;
	struct rec_mmap	mm[REC_MAX_MMAPS];
	/* live test */
	pid_t		self;
	uintptr_t	burn_lo, burn_hi;
	uint64_t	self_samples, burn_samples, user_samples, kernel_samples, bad_chain;
	uint64_t	by_counter[HV_MAX_EVENTS];
	/* order tests: samples whose pid is below the previous one's */
	uint32_t	order_last;
	uint64_t	out_of_order;
};

static void
rec_sample(void *ctx, const struct hv_sample *s)
{
	struct rec *r = ctx;
	uint16_t i;

	r->samples++;
	if (s->pid < r->order_last)
		r->out_of_order++;
	r->order_last = s->pid;
	r->last = *s;
	if (s->nchain > 0)
		memcpy(r->last_chain, s->chain, s->nchain * sizeof(uint64_t));
	r->last.chain = r->last_chain;
	if (s->counter < HV_MAX_EVENTS)
		r->by_counter[s->counter]++;
	for (i = 0; i < s->nchain; i++)
		if (s->chain[i] >= (uint64_t)PERF_CONTEXT_MAX)
			r->bad_chain++;
	if (s->mode == HV_MODE_USER)
		r->user_samples++;
	else if (s->mode == HV_MODE_KERNEL)
		r->kernel_samples++;
	if (r->self != 0 && s->pid == (uint32_t)r->self) {
		r->self_samples++;
		if (s->mode == HV_MODE_USER && s->pc >= r->burn_lo && s->pc < r->burn_hi)
			r->burn_samples++;
	}
}

static void
rec_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	struct rec *r = ctx;

	if (kind < 4) {
		r->lost[kind] += n;
		r->lost_calls[kind]++;
	}
}

static void
rec_mmap(void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *build_id, size_t build_id_len,
    bool exec)
{
	struct rec *r = ctx;
	struct rec_mmap *m;

	r->mmaps++;
	if (r->self != 0 && pid != (uint32_t)r->self)
		return;
	if (r->nmm == REC_MAX_MMAPS)
		return;
	m = &r->mm[r->nmm++];
	m->pid = pid;
	m->tid = tid;
	m->start = start;
	m->len = len;
	m->pgoff = pgoff;
	snprintf(m->path, sizeof(m->path), "%s", path);
	m->build_id_len = build_id_len <= 20 ? build_id_len : 20;
	if (build_id != NULL)
		memcpy(m->build_id, build_id, m->build_id_len);
	m->exec = exec;
}

static void
rec_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	struct rec *r = ctx;

	r->comms++;
	snprintf(r->last_comm, sizeof(r->last_comm), "%s", comm);
	r->last_comm_exec = exec;
}

static void
rec_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid)
{
	struct rec *r = ctx;

	r->forks++;
	r->fork_ids[0] = pid;
	r->fork_ids[1] = ppid;
	r->fork_ids[2] = tid;
	r->fork_ids[3] = ptid;
}

static void
rec_exit(void *ctx, uint32_t pid, uint32_t tid)
{
	struct rec *r = ctx;

	r->exits++;
	r->exit_ids[0] = pid;
	r->exit_ids[1] = tid;
}

static void
rec_sink(struct rec *r, struct hv_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->ctx = r;
	sink->sample = rec_sample;
	sink->lost = rec_lost;
	sink->mmap = rec_mmap;
	sink->comm = rec_comm;
	sink->fork = rec_fork;
	sink->exit = rec_exit;
}

/* ===================================================================== */
/* hv_event_parse                                                          */

static void
test_event_parse_valid(void)
{
	static const struct {
		const char *spec, *name;
		uint64_t count;
		uint32_t um;
		bool k, u;
	} t[] = {
		{ "cpu-clock:100000", "cpu-clock", 100000, 0, true, true },
		{ "CPU_CLK_UNHALTED:100000:0", "CPU_CLK_UNHALTED", 100000, 0, true, true },
		{ "cycles:50000:0x1f", "cycles", 50000, 0x1f, true, true },
		{ "cycles:50000:0XFF:1:0", "cycles", 50000, 0xff, true, false },
		{ "r00c0:20000:12:0:1", "r00c0", 20000, 12, false, true },
		{ "x:18446744073709551615", "x", UINT64_MAX, 0, true, true },
		{ "a.b_c-d:1:4294967295", "a.b_c-d", 1, UINT32_MAX, true, true },
	};
	struct hv_event ev;
	char err[HV_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&ev, 0xa5, sizeof(ev));
		if (hv_event_parse(t[i].spec, &ev, err, sizeof(err)) != 0) {
			fprintf(stderr, "\n  '%s' rejected: %s\n", t[i].spec, err);
			CU_FAIL("valid spec rejected");
			continue;
		}
		CU_ASSERT_STRING_EQUAL(ev.name, t[i].name);
		CU_ASSERT_EQUAL(ev.count, t[i].count);
		CU_ASSERT_EQUAL(ev.unit_mask, t[i].um);
		CU_ASSERT_EQUAL(ev.kernel, t[i].k);
		CU_ASSERT_EQUAL(ev.user, t[i].u);
	}
}

static void
test_event_parse_invalid(void)
{
	static const struct {
		const char *spec, *want;
	} t[] = {
		{ "", "empty" },
		{ "cpu-clock", "count is missing" },
		{ "cpu-clock:", "count is empty" },
		{ "cpu-clock:0", "greater than 0" },
		{ "cpu-clock:abc", "count 'abc' is not a" },
		{ "cpu-clock:-5", "count '-5'" },
		{ "cpu-clock:+5", "count '+5'" },
		{ "cpu-clock: 5", "count ' 5'" },
		{ "cpu-clock:18446744073709551616", "is not a" },
		{ "cpu-clock:1000:zz", "unit mask 'zz'" },
		{ "cpu-clock:1000:0x", "unit mask '0x'" },
		{ "cpu-clock:1000:0x100000000", "unit mask" },
		{ "cpu-clock:1000:4294967296", "unit mask" },
		{ "cpu-clock:1000:0:2", "KERNEL '2' must be 0 or 1" },
		{ "cpu-clock:1000:0:1:yes", "USER 'yes' must be 0 or 1" },
		{ "cpu-clock:1000:0:0:0", "both" },
		{ "cpu-clock:1000:0:1:1:9", "more than 5 fields" },
		{ ":1000", "name is empty" },
		{ "cpu clock:1000", "character ' '" },
		{ "cpu\nclock:1000", "character '?'" },
		{ "cpu-clock::0", "count is empty" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1",
		  "name is longer than 63" },
	};
	struct hv_event ev;
	char err[HV_ERR_LEN], longspec[1024];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(hv_event_parse(t[i].spec, &ev, err, sizeof(err)), -1);
		if (strstr(err, t[i].want) == NULL) {
			fprintf(stderr, "\n  '%s': got \"%s\", want \"%s\"\n", t[i].spec,
			    err, t[i].want);
			CU_FAIL("wrong error message");
		}
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "expected NAME:COUNT"));
	}
	/* Too long as a whole; the message stays one short line. */
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	CU_ASSERT_EQUAL(hv_event_parse(longspec, &ev, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 255"));
	CU_ASSERT(strlen(err) < 200);
	/* NULL spec, tiny and absent error buffers. */
	CU_ASSERT_EQUAL(hv_event_parse(NULL, &ev, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(hv_event_parse("x", &ev, err, 1), -1);
	CU_ASSERT_EQUAL(err[0], '\0');
	CU_ASSERT_EQUAL(hv_event_parse("x", &ev, NULL, 0), -1);
}

/* ===================================================================== */
/* The perf event table                                                   */

static int
resolve(const char *spec, uint32_t *type, uint64_t *config, char *err, size_t errlen)
{
	const struct perf_event_def *def;
	struct hv_event ev;

	if (hv_event_parse(spec, &ev, err, errlen) < 0)
		return -2;
	return perf_event_resolve(&ev, &def, type, config, err, errlen);
}

static void
test_event_names(void)
{
	static const struct {
		const char *spec;
		uint32_t type;
		uint64_t config;
	} t[] = {
		{ "cpu-clock:10000", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
		{ "task-clock:10000", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
		{ "cycles:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
		{ "CPU_CLK_UNHALTED:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
		{ "cpu_clk_unhalted:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
		{ "INST_RETIRED:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
		{ "LLC_MISSES:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
		{ "LLC_REFS:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
		{ "BR_MISS_PRED_RETIRED:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
		{ "BR_INST_RETIRED:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
		{ "instructions:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
		{ "cache-misses:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
		{ "cache-references:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
		{ "branch-misses:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
		{ "branch-instructions:10000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
		{ "r00c0:10000", PERF_TYPE_RAW, 0xc0 },
		{ "r01c2:10000:0x20", PERF_TYPE_RAW, 0x20c2 },
	};
	char err[HV_ERR_LEN];
	uint64_t config;
	uint32_t type;
	size_t i, n;
	const struct hv_event_info *info;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (resolve(t[i].spec, &type, &config, err, sizeof(err)) != 0) {
			fprintf(stderr, "\n  '%s': %s\n", t[i].spec, err);
			CU_FAIL("name not resolved");
			continue;
		}
		CU_ASSERT_EQUAL(type, t[i].type);
		CU_ASSERT_EQUAL(config, t[i].config);
	}
	/* Unknown names name the nearest. */
	CU_ASSERT_EQUAL(resolve("cycels:10000", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nearest is 'cycles'"));
	CU_ASSERT_EQUAL(resolve("cpu-clok:10000", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nearest is 'cpu-clock'"));
	CU_ASSERT_EQUAL(resolve("INST_RETIRD:10000", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nearest is 'INST_RETIRED'"));
	/* Unit masks only for raw events, and only 8 bits. */
	CU_ASSERT_EQUAL(resolve("cycles:10000:1", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unit mask"));
	CU_ASSERT_EQUAL(resolve("r00c0:10000:0x100", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(evtab_distance("cycles", "CYCLES"), 0);
	CU_ASSERT_EQUAL(evtab_distance("kitten", "sitting"), 3);
	CU_ASSERT_EQUAL(evtab_distance("", "abc"), 3);

	info = hv_events("perf", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(info);
	CU_ASSERT(n >= 15);
	CU_ASSERT_STRING_EQUAL(info[0].name, "cpu-clock");
	CU_ASSERT_FALSE(info[0].needs_pmu);
	for (i = 0; i < n; i++)
		CU_ASSERT(info[i].min_count > 0 && info[i].default_count >= info[i].min_count);
	CU_ASSERT_PTR_NOT_NULL(hv_events("auto", &n));
	CU_ASSERT_PTR_NULL(hv_events("nope", &n));
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_min_count(void)
{
	char err[HV_ERR_LEN];
	uint64_t config;
	uint32_t type;

	CU_ASSERT_EQUAL(resolve("cpu-clock:9999", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "below the minimum 10000 ns"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "use cpu-clock:10000"));
	CU_ASSERT_EQUAL(resolve("cpu-clock:10000", &type, &config, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(resolve("CPU_CLK_UNHALTED:500", &type, &config, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "below the minimum 10000"));
	CU_ASSERT_EQUAL(resolve("r00c0:1", &type, &config, err, sizeof(err)), -1);
}

/* ===================================================================== */
/* Backend selection                                                      */

static void
test_backend_select(void)
{
	struct hv_config cfg;
	char err[HV_ERR_LEN];

	memset(&cfg, 0, sizeof(cfg));
	cfg.nevents = 1;
	CU_ASSERT_EQUAL_FATAL(hv_event_parse("cpu-clock:1000000", &cfg.events[0], err,
	    sizeof(err)), 0);

	/* Not on Xen: xenoprof says so in one line and names the way out. */
	cfg.backend = "xenoprof";
	CU_ASSERT_PTR_NULL(hv_open(&cfg, err, sizeof(err)));
#ifdef HAVE_XEN
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--backend=perf"));
#else
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no Xen support"));
#endif
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));

	cfg.backend = "oprofile";
	CU_ASSERT_PTR_NULL(hv_open(&cfg, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown backend 'oprofile'"));

	/* Errors the perf backend finds before touching the kernel. */
	cfg.backend = "auto";
	cfg.events[0].count = 10;
	CU_ASSERT_PTR_NULL(hv_open(&cfg, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "below the minimum"));
	cfg.events[0].count = 1000000;
	cfg.ring_pages = 100;
	CU_ASSERT_PTR_NULL(hv_open(&cfg, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "power of 2"));
	cfg.ring_pages = 0;
	CU_ASSERT_PTR_NULL(hv_open(NULL, err, sizeof(err)));
}

/* ===================================================================== */
/* Ring parser on synthetic records                                       */

#define ST_TEST (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | \
	PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_CALLCHAIN)
#define TRAILER 32	/* TID, TIME, CPU, IDENTIFIER */

struct buf {
	uint8_t	b[8192];
	size_t	n;
};

static size_t
put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
	return b->n;
}

static void put64(struct buf *b, uint64_t v) { put(b, &v, 8); }
static void put32(struct buf *b, uint32_t v) { put(b, &v, 4); }

/* Begin a record; returns its start, finished by end_rec(). */
static size_t
begin_rec(struct buf *b, uint32_t type, uint16_t misc)
{
	struct perf_event_header h = { .type = type, .misc = misc, .size = 0 };
	size_t at = b->n;

	put(b, &h, sizeof(h));
	return at;
}

/* Finish the record begun at AT; TRAILER: with the sample_id trailer, timed TIME. */
static void
end_rec_t(struct buf *b, size_t at, bool trailer, uint64_t time)
{
	uint16_t size;

	if (trailer) {
		put64(b, 0x11111111);	/* pid, tid */
		put64(b, time);		/* time */
		put64(b, 1);		/* cpu */
		put64(b, 0x77);		/* identifier */
	}
	size = (uint16_t)(b->n - at);
	memcpy(b->b + at + offsetof(struct perf_event_header, size), &size, 2);
}

static void
end_rec(struct buf *b, size_t at, bool trailer)
{
	end_rec_t(b, at, trailer, 12345);
}

static void
put_str(struct buf *b, const char *s)
{
	size_t n = strlen(s) + 1;
	static const uint8_t zero[8];

	put(b, s, n);
	if (n % 8)
		put(b, zero, 8 - n % 8);
}

static void
put_sample_t(struct buf *b, uint16_t misc, uint64_t id, uint64_t ip, uint32_t pid,
    uint32_t tid, uint32_t cpu, const uint64_t *chain, uint64_t nr, uint64_t time)
{
	size_t at = begin_rec(b, PERF_RECORD_SAMPLE, misc), i;

	put64(b, id);
	put64(b, ip);
	put32(b, pid);
	put32(b, tid);
	put64(b, time);
	put32(b, cpu);
	put32(b, 0);
	put64(b, nr);
	for (i = 0; i < nr; i++)
		put64(b, chain[i]);
	end_rec(b, at, false);
}

static void
put_sample(struct buf *b, uint16_t misc, uint64_t id, uint64_t ip, uint32_t pid,
    uint32_t tid, uint32_t cpu, const uint64_t *chain, uint64_t nr)
{
	put_sample_t(b, misc, id, ip, pid, tid, cpu, chain, nr, 999);
}

static uint8_t test_bounce[PERF_RECORD_MAX];

static void
ring_ctx(struct perf_ring_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->sample_type = ST_TEST;
	ctx->sample_id_all = true;
	ctx->cpu = 3;
	ctx->nids = 2;
	ctx->ids[0] = 0x77;
	ctx->ids[1] = 0x88;
	ctx->max_chain = 16;
	ctx->bounce = test_bounce;
}

static void
test_ring_records(void)
{
	static const uint64_t chain[] = {
		(uint64_t)PERF_CONTEXT_KERNEL, 0xffffffff81000010ULL /* = pc */,
		0xffffffff81000020ULL, (uint64_t)PERF_CONTEXT_USER, 0x401000, 0x401100,
	};
	struct perf_ring_ctx ctx;
	struct hv_stats st;
	struct hv_sink sink;
	struct buf b;
	struct rec r;
	size_t at;
	uint64_t id2 = 0x88;

	memset(&r, 0, sizeof(r));
	memset(&st, 0, sizeof(st));
	memset(&b, 0, sizeof(b));
	rec_sink(&r, &sink);
	ring_ctx(&ctx);

	/* SAMPLE, kernel, with a chain: callers only, markers dropped. */
	put_sample(&b, PERF_RECORD_MISC_KERNEL, 0x77, 0xffffffff81000010ULL, 10, 11, 1,
	    chain, 6);
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(r.samples, 1);
	CU_ASSERT_EQUAL(r.last.pc, 0xffffffff81000010ULL);
	CU_ASSERT_EQUAL(r.last.pid, 10);
	CU_ASSERT_EQUAL(r.last.tid, 11);
	CU_ASSERT_EQUAL(r.last.cpu, 1);
	CU_ASSERT_EQUAL(r.last.domid, 0);
	CU_ASSERT_EQUAL(r.last.mode, HV_MODE_KERNEL);
	CU_ASSERT_FALSE(r.last.guest);
	CU_ASSERT_EQUAL(r.last.counter, 0);
	CU_ASSERT_EQUAL_FATAL(r.last.nchain, 3);
	CU_ASSERT_EQUAL(r.last_chain[0], 0xffffffff81000020ULL);
	CU_ASSERT_EQUAL(r.last_chain[1], 0x401000);
	CU_ASSERT_EQUAL(r.last_chain[2], 0x401100);

	/* Counter by id; modes user, hypervisor, guest kernel/user. */
	b.n = 0;
	put_sample(&b, PERF_RECORD_MISC_USER, id2, 0x400000, 1, 1, 0, NULL, 0);
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(r.last.counter, 1);
	CU_ASSERT_EQUAL(r.last.mode, HV_MODE_USER);
	CU_ASSERT_EQUAL(r.last.nchain, 0);
	b.n = 0;
	put_sample(&b, PERF_RECORD_MISC_HYPERVISOR, 0x77, 0xffff82d040200000ULL, 0, 0, 0, NULL, 0);
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(r.last.mode, HV_MODE_XEN);
	b.n = 0;
	put_sample(&b, PERF_RECORD_MISC_GUEST_KERNEL, 0x77, 0xffffffff81000000ULL, 0, 0, 0, NULL, 0);
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(r.last.mode, HV_MODE_KERNEL);
	CU_ASSERT_TRUE(r.last.guest);
	b.n = 0;
	put_sample(&b, PERF_RECORD_MISC_GUEST_USER, 0x77, 0x1000, 0, 0, 0, NULL, 0);
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(r.last.mode, HV_MODE_USER);
	CU_ASSERT_TRUE(r.last.guest);
	CU_ASSERT_EQUAL(r.samples, 5);
	CU_ASSERT_EQUAL(st.samples, 5);

	/* MMAP (data flag -> not exec), MMAP2 with build id, COMM exec, FORK, EXIT. */
	b.n = 0;
	at = begin_rec(&b, PERF_RECORD_MMAP, PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_DATA);
	put32(&b, 100); put32(&b, 101); put64(&b, 0x7000); put64(&b, 0x2000); put64(&b, 0x1000);
	put_str(&b, "/lib/data.bin");
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_BUILD_ID);
	put32(&b, 200); put32(&b, 201); put64(&b, 0x400000); put64(&b, 0x1000); put64(&b, 0);
	{
		uint8_t bid[24] = { 20, 0, 0, 0 };
		int i;

		for (i = 0; i < 20; i++)
			bid[4 + i] = (uint8_t)(0xa0 + i);
		put(&b, bid, sizeof(bid));
	}
	put32(&b, PROT_READ | PROT_EXEC); put32(&b, MAP_PRIVATE);
	put_str(&b, "/usr/bin/prog");
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
	put32(&b, 300); put32(&b, 301);
	put_str(&b, "newname");
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_FORK, 0);
	put32(&b, 400); put32(&b, 401); put32(&b, 402); put32(&b, 403); put64(&b, 5);
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_EXIT, 0);
	put32(&b, 500); put32(&b, 501); put32(&b, 502); put32(&b, 503); put64(&b, 6);
	end_rec(&b, at, true);
	/* LOST 7, THROTTLE twice, UNTHROTTLE and an unknown type: ignored. */
	at = begin_rec(&b, PERF_RECORD_LOST, 0);
	put64(&b, 0x77); put64(&b, 7);
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_THROTTLE, 0);
	put64(&b, 1); put64(&b, 0x77); put64(&b, 0x77);
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_THROTTLE, 0);
	put64(&b, 2); put64(&b, 0x77); put64(&b, 0x77);
	end_rec(&b, at, true);
	at = begin_rec(&b, PERF_RECORD_UNTHROTTLE, 0);
	put64(&b, 3); put64(&b, 0x77); put64(&b, 0x77);
	end_rec(&b, at, true);
	at = begin_rec(&b, 200, 0);
	put64(&b, 0);
	end_rec(&b, at, false);

	memset(&st, 0, sizeof(st));
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(st.records, 10);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT_EQUAL_FATAL(r.nmm, 2);
	CU_ASSERT_EQUAL(r.mm[0].pid, 100);
	CU_ASSERT_EQUAL(r.mm[0].tid, 101);
	CU_ASSERT_EQUAL(r.mm[0].start, 0x7000);
	CU_ASSERT_EQUAL(r.mm[0].len, 0x2000);
	CU_ASSERT_EQUAL(r.mm[0].pgoff, 0x1000);
	CU_ASSERT_STRING_EQUAL(r.mm[0].path, "/lib/data.bin");
	CU_ASSERT_FALSE(r.mm[0].exec);
	CU_ASSERT_EQUAL(r.mm[0].build_id_len, 0);
	CU_ASSERT_EQUAL(r.mm[1].pid, 200);
	CU_ASSERT_EQUAL(r.mm[1].start, 0x400000);
	CU_ASSERT_STRING_EQUAL(r.mm[1].path, "/usr/bin/prog");
	CU_ASSERT_TRUE(r.mm[1].exec);
	CU_ASSERT_EQUAL(r.mm[1].build_id_len, 20);
	CU_ASSERT_EQUAL(r.mm[1].build_id[0], 0xa0);
	CU_ASSERT_EQUAL(r.mm[1].build_id[19], 0xa0 + 19);
	CU_ASSERT_EQUAL(r.comms, 1);
	CU_ASSERT_STRING_EQUAL(r.last_comm, "newname");
	CU_ASSERT_TRUE(r.last_comm_exec);
	CU_ASSERT_EQUAL(r.forks, 1);
	CU_ASSERT_EQUAL(r.fork_ids[0], 400);
	CU_ASSERT_EQUAL(r.fork_ids[1], 401);
	CU_ASSERT_EQUAL(r.fork_ids[2], 402);
	CU_ASSERT_EQUAL(r.fork_ids[3], 403);
	CU_ASSERT_EQUAL(r.exits, 1);
	CU_ASSERT_EQUAL(r.exit_ids[0], 500);
	CU_ASSERT_EQUAL(r.exit_ids[1], 502);
	CU_ASSERT_EQUAL(r.lost[HV_LOSS_RING], 7);
	CU_ASSERT_EQUAL(st.lost, 7);
	CU_ASSERT_EQUAL(r.lost[HV_LOSS_THROTTLE], 2);
	CU_ASSERT_EQUAL(st.throttles, 2);
	CU_ASSERT_EQUAL(r.lost[HV_LOSS_INVALID], 0);

	/* A NULL callback is skipped, not called. */
	memset(&sink, 0, sizeof(sink));
	perf_ring_parse(&ctx, b.b, b.n, &sink, &st);
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void
test_ring_wrap(void)
{
	uint8_t ring[256];
	struct perf_ring_ctx ctx;
	struct hv_stats st;
	struct hv_sink sink;
	struct buf b;
	struct rec r;
	uint64_t chain[8] = { 0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000 };
	uint64_t start, tail, i, k;
	size_t n1;

	ring_ctx(&ctx);
	rec_sink(&r, &sink);
	/* Two samples (56 + 64 + 8 * 8 bytes) placed at every start offset. */
	memset(&b, 0, sizeof(b));
	put_sample(&b, PERF_RECORD_MISC_USER, 0x77, 0x1000, 42, 43, 1, chain, 8);
	n1 = b.n;
	put_sample(&b, PERF_RECORD_MISC_USER, 0x88, 0x999, 44, 45, 0, chain, 4);
	for (k = 0; k < 64; k++) {
		start = 1000 * 256 + 200 + k * 8 - 256;	/* free-running position */
		memset(ring, 0xee, sizeof(ring));
		for (i = 0; i < b.n; i++)
			ring[(start + i) % sizeof(ring)] = b.b[i];
		memset(&r, 0, sizeof(r));
		memset(&st, 0, sizeof(st));
		tail = perf_ring_read(&ctx, ring, sizeof(ring), start, start + b.n, &sink, &st);
		CU_ASSERT_EQUAL(tail, start + b.n);
		CU_ASSERT_EQUAL(st.invalid, 0);
		CU_ASSERT_EQUAL(r.samples, 2);
		CU_ASSERT_EQUAL(r.last.pid, 44);
		CU_ASSERT_EQUAL(r.last.counter, 1);
		CU_ASSERT_EQUAL(r.last.nchain, 4);
		CU_ASSERT_EQUAL(r.last_chain[3], 0x4000);
		CU_ASSERT_EQUAL(r.by_counter[0], 1);
		/* First alone: its chain of 7 callers (0x1000 is the pc itself). */
		memset(&r, 0, sizeof(r));
		perf_ring_read(&ctx, ring, sizeof(ring), start, start + n1, &sink, &st);
		CU_ASSERT_EQUAL(r.last.nchain, 7);
		CU_ASSERT_EQUAL(r.last_chain[0], 0x2000);
		CU_ASSERT_EQUAL(r.last_chain[6], 0x8000);
	}
	/* max_chain truncates. */
	ctx.max_chain = 2;
	memset(&r, 0, sizeof(r));
	perf_ring_parse(&ctx, b.b, n1, &sink, &st);
	CU_ASSERT_EQUAL(r.last.nchain, 2);
	/* A wrapped record without a bounce buffer: invalid, not a crash. */
	ctx.bounce = NULL;
	memset(&st, 0, sizeof(st));
	perf_ring_read(&ctx, ring, sizeof(ring), 250, 250 + b.n, &sink, &st);
	CU_ASSERT_EQUAL(st.invalid, 1);
}

static void
test_ring_malformed(void)
{
	struct perf_ring_ctx ctx;
	struct hv_stats st;
	struct hv_sink sink;
	struct buf b;
	struct rec r;
	struct perf_event_header h;
	size_t at;
	uint16_t sz;

	ring_ctx(&ctx);
	rec_sink(&r, &sink);
#define RUN(buf, len) do { memset(&r, 0, sizeof(r)); memset(&st, 0, sizeof(st)); \
	perf_ring_parse(&ctx, (buf), (len), &sink, &st); } while (0)

	/* A good sample, then a header claiming more than is there. */
	memset(&b, 0, sizeof(b));
	put_sample(&b, PERF_RECORD_MISC_USER, 0x77, 0x1000, 1, 1, 0, NULL, 0);
	at = begin_rec(&b, PERF_RECORD_SAMPLE, 0);
	put64(&b, 0);
	sz = 4096;
	memcpy(b.b + at + 6, &sz, 2);
	put_sample(&b, PERF_RECORD_MISC_USER, 0x77, 0x1000, 1, 1, 0, NULL, 0);
	RUN(b.b, b.n);
	CU_ASSERT_EQUAL(r.samples, 1);		/* the rest of the ring is skipped */
	CU_ASSERT_EQUAL(st.invalid, 1);
	CU_ASSERT_EQUAL(r.lost[HV_LOSS_INVALID], 1);
	CU_ASSERT_EQUAL(r.lost_calls[HV_LOSS_INVALID], 1);

	/* Size 0 (would loop forever), below the header, not a multiple of 8. */
	{
		static const uint16_t sizes[] = { 0, 4, 12 };
		size_t i;

		for (i = 0; i < 3; i++) {
			memset(&b, 0, sizeof(b));
			h.type = PERF_RECORD_SAMPLE;
			h.misc = 0;
			h.size = sizes[i];
			put(&b, &h, sizeof(h));
			put64(&b, 0);
			put64(&b, 0);
			RUN(b.b, b.n);
			CU_ASSERT_EQUAL(st.invalid, 1);
			CU_ASSERT_EQUAL(r.samples, 0);
		}
	}
	/* A trailing partial header. */
	memset(&b, 0, sizeof(b));
	put_sample(&b, PERF_RECORD_MISC_USER, 0x77, 0x1000, 1, 1, 0, NULL, 0);
	RUN(b.b, b.n + 4);
	CU_ASSERT_EQUAL(r.samples, 1);
	CU_ASSERT_EQUAL(st.invalid, 1);

	/* Sample: fields missing; callchain nr beyond the record. */
	memset(&b, 0, sizeof(b));
	at = begin_rec(&b, PERF_RECORD_SAMPLE, 0);
	put64(&b, 0x77);
	put64(&b, 0x1000);
	end_rec(&b, at, false);
	RUN(b.b, b.n);
	CU_ASSERT_EQUAL(st.invalid, 1);
	CU_ASSERT_EQUAL(r.samples, 0);
	memset(&b, 0, sizeof(b));
	at = begin_rec(&b, PERF_RECORD_SAMPLE, 0);
	put64(&b, 0x77); put64(&b, 0x1000); put64(&b, 0); put64(&b, 0); put64(&b, 0);
	put64(&b, UINT64_MAX / 4);	/* nr */
	put64(&b, 0x2000);
	end_rec(&b, at, false);
	RUN(b.b, b.n);
	CU_ASSERT_EQUAL(st.invalid, 1);
	CU_ASSERT_EQUAL(r.samples, 0);
	/* Unknown id with several counters. */
	memset(&b, 0, sizeof(b));
	put_sample(&b, PERF_RECORD_MISC_USER, 0x99, 0x1000, 1, 1, 0, NULL, 0);
	RUN(b.b, b.n);
	CU_ASSERT_EQUAL(st.invalid, 1);

	/* MMAP2 whose filename is not terminated inside the record. */
	memset(&b, 0, sizeof(b));
	at = begin_rec(&b, PERF_RECORD_MMAP2, 0);
	put32(&b, 1); put32(&b, 1); put64(&b, 0); put64(&b, 0); put64(&b, 0);
	put64(&b, 0); put64(&b, 0); put64(&b, 0); put32(&b, 0); put32(&b, 0);
	put(&b, "abcdefgh", 8);
	end_rec(&b, at, true);
	RUN(b.b, b.n);
	CU_ASSERT_EQUAL(r.mmaps, 0);
	CU_ASSERT_EQUAL(st.invalid, 1);
	/* MMAP2 with an impossible build id size; short MMAP, COMM, FORK, LOST. */
	memset(&b, 0, sizeof(b));
	at = begin_rec(&b, PERF_RECORD_MMAP2, PERF_RECORD_MISC_MMAP_BUILD_ID);
	put32(&b, 1); put32(&b, 1); put64(&b, 0); put64(&b, 0); put64(&b, 0);
	put64(&b, 200); put64(&b, 0); put64(&b, 0); put32(&b, 0); put32(&b, 0);
	put_str(&b, "/x");
	end_rec(&b, at, true);
	RUN(b.b, b.n);
	CU_ASSERT_EQUAL(r.mmaps, 0);
	CU_ASSERT_EQUAL(st.invalid, 1);
	{
		static const uint32_t types[] = { PERF_RECORD_MMAP, PERF_RECORD_COMM,
		    PERF_RECORD_FORK, PERF_RECORD_EXIT, PERF_RECORD_LOST, PERF_RECORD_THROTTLE };
		size_t i;

		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			memset(&b, 0, sizeof(b));
			at = begin_rec(&b, types[i], 0);
			put64(&b, 0x4141414141414141ULL);
			end_rec(&b, at, false);
			RUN(b.b, b.n);
			CU_ASSERT_EQUAL(st.invalid, 1);
			CU_ASSERT_EQUAL(r.mmaps + r.comms + r.forks + r.exits, 0);
		}
	}
	/* head - tail larger than the ring, head behind tail, empty range. */
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(perf_ring_read(&ctx, b.b, 64, 0, 128, &sink, &st), 128);
	CU_ASSERT_EQUAL(st.invalid, 1);
	CU_ASSERT_EQUAL(perf_ring_read(&ctx, b.b, 64, 100, 50, &sink, &st), 50);
	CU_ASSERT_EQUAL(st.invalid, 2);
	CU_ASSERT_EQUAL(perf_ring_read(&ctx, b.b, 64, 7, 7, &sink, &st), 7);
	CU_ASSERT_EQUAL(st.invalid, 2);
	CU_ASSERT_EQUAL(perf_ring_read(&ctx, b.b, 0, 0, 8, &sink, &st), 8);
	CU_ASSERT_EQUAL(st.invalid, 3);
#undef RUN
}

/* Per-record cost of the parser: samples without and with a chain. */
static void
count_sample(void *ctx, const struct hv_sample *s)
{
	(*(uint64_t *)ctx) += s->pc;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The order records reached the sink in: "C300 M300 F301<300 S301 X301 L". */
struct olog {
	char	s[512];
};

static void
olog_add(struct olog *o, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(o->s);

	if (n)
		o->s[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(o->s + n, sizeof(o->s) - n, fmt, ap);
	va_end(ap);
}

static void
olog_sample(void *ctx, const struct hv_sample *s)
{
	olog_add(ctx, "S%u", s->pid);
}

static void
olog_mmap(void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *bid, size_t bidlen, bool exec)
{
	olog_add(ctx, "M%u", pid);
}

static void
olog_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	olog_add(ctx, "C%u", pid);
}

static void
olog_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid)
{
	olog_add(ctx, "F%u<%u", pid, ppid);
}

static void
olog_exit(void *ctx, uint32_t pid, uint32_t tid)
{
	olog_add(ctx, "X%u", pid);
}

static void
olog_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	olog_add(ctx, kind == HV_LOSS_INVALID ? "I" : "L");
}

static void
olog_sink(struct olog *o, struct hv_sink *sink)
{
	memset(o, 0, sizeof(*o));
	memset(sink, 0, sizeof(*sink));
	sink->ctx = o;
	sink->sample = olog_sample;
	sink->mmap = olog_mmap;
	sink->comm = olog_comm;
	sink->fork = olog_fork;
	sink->exit = olog_exit;
	sink->lost = olog_lost;
}

static void
put_comm_exec(struct buf *b, uint32_t pid, uint64_t t)
{
	size_t at = begin_rec(b, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);

	put32(b, pid); put32(b, pid);
	put_str(b, "xp-burn");
	end_rec_t(b, at, true, t);
}

static void
put_mmap2(struct buf *b, uint32_t pid, uint64_t start, const char *path, uint64_t t)
{
	size_t at = begin_rec(b, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER);
	uint8_t zero[24] = { 0 };

	put32(b, pid); put32(b, pid); put64(b, start); put64(b, 0x1000); put64(b, 0);
	put(b, zero, sizeof(zero));
	put32(b, PROT_READ | PROT_EXEC); put32(b, MAP_PRIVATE);
	put_str(b, path);
	end_rec_t(b, at, true, t);
}

static void
put_task(struct buf *b, uint32_t type, uint32_t pid, uint32_t ppid, uint64_t t)
{
	size_t at = begin_rec(b, type, 0);

	put32(b, pid); put32(b, ppid); put32(b, pid); put32(b, ppid); put64(b, t);
	end_rec_t(b, at, true, t);
}

/*
 * Exec on cpu 1, fork on cpu 0, within one drain: cpu 0's ring is read
 * first, yet the exec (t 10) and its mmap (t 20) reach the sink before the
 * fork (t 30), and the child's sample (t 40) after it.  Before the ordered
 * queue the sink saw "F301<300 C300 M300 S301".
 */
static void
test_order_exec_fork(void)
{
	struct perf_ring_ctx c0, c1, *rings[2] = { &c0, &c1 };
	struct perf_order q;
	struct hv_stats st;
	struct hv_sink sink;
	struct olog o;
	struct buf b0, b1;

	memset(&q, 0, sizeof(q));
	memset(&st, 0, sizeof(st));
	memset(&b0, 0, sizeof(b0));
	memset(&b1, 0, sizeof(b1));
	olog_sink(&o, &sink);
	ring_ctx(&c0);
	ring_ctx(&c1);
	c0.cpu = 0;
	c1.cpu = 1;
	put_task(&b0, PERF_RECORD_FORK, 301, 300, 30);
	put_comm_exec(&b1, 300, 10);
	put_mmap2(&b1, 300, 0x560000000000, "/usr/bin/xp-burn", 20);
	put_sample_t(&b1, PERF_RECORD_MISC_USER, 0x77, 0x560000000100, 301, 301, 1, NULL, 0, 40);
	CU_ASSERT_EQUAL(perf_order_collect(&q, &c0, 0, b0.b, sizeof(b0.b), 0, b0.n, 0, &sink, &st), b0.n);
	CU_ASSERT_EQUAL(perf_order_collect(&q, &c1, 1, b1.b, sizeof(b1.b), 0, b1.n, 0, &sink, &st), b1.n);
	CU_ASSERT_EQUAL(st.records, 4);
	CU_ASSERT_STRING_EQUAL(o.s, "");	/* nothing before the deliver */
	perf_order_deliver(&q, rings, UINT64_MAX, &sink, &st);
	CU_ASSERT_STRING_EQUAL(o.s, "C300 M300 F301<300 S301");
	CU_ASSERT_EQUAL(perf_order_pending(&q), 0);
	CU_ASSERT_EQUAL(st.samples, 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
	perf_order_free(&q);
}

/*
 * The horizon: records timed after it wait for a later drain, and merge in
 * order with what that drain reads; ties keep ring order; a record without
 * a time keeps its place after its ring's previous record; a time beyond
 * FUTURE is not believed.  Records that wrap the ring end are copied whole.
 */
static void
test_order_horizon(void)
{
	struct perf_ring_ctx c0, c1, *rings[2] = { &c0, &c1 };
	struct perf_order q;
	struct hv_stats st;
	struct hv_sink sink;
	struct olog o;
	struct buf b0, b1, w;
	uint64_t size = 256, tail;

	memset(&q, 0, sizeof(q));
	memset(&st, 0, sizeof(st));
	memset(&b0, 0, sizeof(b0));
	memset(&b1, 0, sizeof(b1));
	olog_sink(&o, &sink);
	ring_ctx(&c0);
	ring_ctx(&c1);
	/* Pass 1: cpu 0 has t 5 and t 50, cpu 1 t 7 and t 60. */
	put_task(&b0, PERF_RECORD_FORK, 10, 1, 5);
	put_sample_t(&b0, PERF_RECORD_MISC_USER, 0x77, 0x1000, 10, 10, 0, NULL, 0, 50);
	put_task(&b1, PERF_RECORD_FORK, 11, 1, 7);
	put_sample_t(&b1, PERF_RECORD_MISC_USER, 0x77, 0x1000, 11, 11, 1, NULL, 0, 60);
	perf_order_collect(&q, &c0, 0, b0.b, sizeof(b0.b), 0, b0.n, 0, &sink, &st);
	perf_order_collect(&q, &c1, 1, b1.b, sizeof(b1.b), 0, b1.n, 0, &sink, &st);
	perf_order_deliver(&q, rings, 40, &sink, &st);
	CU_ASSERT_STRING_EQUAL(o.s, "F10<1 F11<1");
	CU_ASSERT_EQUAL(perf_order_pending(&q), 2);
	/* Pass 2: cpu 1 has t 55 (between the two kept back) and t 60 (a tie). */
	o.s[0] = '\0';
	b1.n = 0;
	put_task(&b1, PERF_RECORD_EXIT, 12, 1, 55);
	put_sample_t(&b1, PERF_RECORD_MISC_USER, 0x77, 0x1000, 12, 12, 1, NULL, 0, 60);
	perf_order_collect(&q, &c1, 1, b1.b, sizeof(b1.b), 0, b1.n, 0, &sink, &st);
	perf_order_deliver(&q, rings, UINT64_MAX, &sink, &st);
	CU_ASSERT_STRING_EQUAL(o.s, "S10 X12 S11 S12");
	CU_ASSERT_EQUAL(perf_order_pending(&q), 0);

	/* No time (a side-band record without the trailer), a time in the future. */
	o.s[0] = '\0';
	b0.n = b1.n = 0;
	put_task(&b0, PERF_RECORD_FORK, 20, 1, 100);
	{
		size_t at = begin_rec(&b0, PERF_RECORD_EXIT, 0);

		put32(&b0, 20); put32(&b0, 1); put32(&b0, 20); put32(&b0, 1); put64(&b0, 0);
		end_rec(&b0, at, false);	/* too short for a trailer: no time */
	}
	put_task(&b1, PERF_RECORD_FORK, 21, 1, 150);
	put_task(&b1, PERF_RECORD_EXIT, 21, 1, 1ull << 62);	/* beyond FUTURE: takes 150 */
	perf_order_collect(&q, &c0, 0, b0.b, sizeof(b0.b), 0, b0.n, 1000, &sink, &st);
	perf_order_collect(&q, &c1, 1, b1.b, sizeof(b1.b), 0, b1.n, 1000, &sink, &st);
	perf_order_deliver(&q, rings, 150, &sink, &st);
	CU_ASSERT_STRING_EQUAL(o.s, "F20<1 X20 F21<1 X21");
	CU_ASSERT_EQUAL(perf_order_pending(&q), 0);

	/* A record that wraps the end of a 256-byte ring. */
	o.s[0] = '\0';
	memset(&w, 0, sizeof(w));
	put_sample_t(&w, PERF_RECORD_MISC_USER, 0x77, 0x1000, 30, 30, 0, NULL, 0, 200);
	{
		uint8_t ring[256];
		size_t n = w.n, first = 256 - 220;

		CU_ASSERT_FATAL(n > first);
		memset(ring, 0, sizeof(ring));
		memcpy(ring + 220, w.b, first);
		memcpy(ring, w.b + first, n - first);
		tail = perf_order_collect(&q, &c0, 0, ring, size, 220, 220 + n, 0, &sink, &st);
		CU_ASSERT_EQUAL(tail, 220 + n);
	}
	perf_order_deliver(&q, rings, UINT64_MAX, &sink, &st);
	CU_ASSERT_STRING_EQUAL(o.s, "S30");
	CU_ASSERT_EQUAL(st.invalid, 0);

	/* A malformed header ends the copy of that ring, reported once. */
	o.s[0] = '\0';
	b0.n = 0;
	put_task(&b0, PERF_RECORD_FORK, 40, 1, 300);
	put64(&b0, 3);	/* a header of size 0 */
	perf_order_collect(&q, &c0, 0, b0.b, sizeof(b0.b), 0, b0.n, 0, &sink, &st);
	perf_order_deliver(&q, rings, UINT64_MAX, &sink, &st);
	CU_ASSERT_STRING_EQUAL(o.s, "I F40<1");
	CU_ASSERT_EQUAL(st.invalid, 1);
	perf_order_free(&q);
}

/* Many records over several rings and drains: delivered sorted, none lost. */
static void
test_order_many(void)
{
	enum { NR = 4, PASSES = 20, PER = 100 };
	struct perf_ring_ctx c[NR], *rings[NR];
	struct perf_order q;
	struct hv_stats st;
	struct hv_sink sink;
	struct rec r;
	static struct buf b;
	uint64_t t, horizon, delivered = 0;
	unsigned seed = 7;

	memset(&q, 0, sizeof(q));
	memset(&st, 0, sizeof(st));
	memset(&r, 0, sizeof(r));
	rec_sink(&r, &sink);
	for (int i = 0; i < NR; i++) {
		ring_ctx(&c[i]);
		rings[i] = &c[i];
	}
	for (int p = 0; p < PASSES; p++) {
		for (int i = 0; i < NR; i++) {
			b.n = 0;
			t = (uint64_t)p * 1000;
			for (int k = 0; k < PER && b.n + 64 < sizeof(b.b); k++) {
				t += (uint64_t)(rand_r(&seed) % 20);
				/* the sample's pid is its time: the sink checks the order */
				put_sample_t(&b, PERF_RECORD_MISC_USER, 0x77, 0x1000, (uint32_t)t,
				    (uint32_t)i, (uint32_t)i, NULL, 0, t);
			}
			perf_order_collect(&q, &c[i], (uint32_t)i, b.b, sizeof(b.b), 0, b.n, 0,
			    &sink, &st);
		}
		horizon = (uint64_t)p * 1000 + 500;
		perf_order_deliver(&q, rings, p + 1 < PASSES ? horizon : UINT64_MAX, &sink, &st);
		CU_ASSERT(r.samples >= delivered);
		delivered = r.samples;
	}
	CU_ASSERT_EQUAL(r.samples, st.samples);
	CU_ASSERT_EQUAL(st.records, st.samples);
	CU_ASSERT_EQUAL(r.out_of_order, 0);
	CU_ASSERT_EQUAL(perf_order_pending(&q), 0);
	perf_order_free(&q);
}

static void
test_ring_cost(void)
{
	static const uint64_t chain[] = {
		(uint64_t)PERF_CONTEXT_USER, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000,
		0x6000, 0x7000, 0x8000, 0x9000,
	};
	const size_t nrec = 100000;
	struct perf_ring_ctx ctx;
	struct hv_stats st;
	struct hv_sink sink;
	struct buf one;
	uint8_t *big;
	uint64_t sum = 0;
	size_t i, pass;
	double t0, ns[2], ons[2];

	ring_ctx(&ctx);
	memset(&sink, 0, sizeof(sink));
	sink.ctx = &sum;
	sink.sample = count_sample;
	for (pass = 0; pass < 2; pass++) {
		memset(&one, 0, sizeof(one));
		put_sample(&one, PERF_RECORD_MISC_USER, 0x88, 0x1000, 1, 1, 0,
		    chain, pass ? 10 : 0);
		if ((big = malloc(one.n * nrec)) == NULL) {
			CU_FAIL("malloc");
			return;
		}
		for (i = 0; i < nrec; i++)
			memcpy(big + i * one.n, one.b, one.n);
		memset(&st, 0, sizeof(st));
		t0 = now_ns();
		perf_ring_parse(&ctx, big, one.n * nrec, &sink, &st);
		ns[pass] = (now_ns() - t0) / nrec;
		CU_ASSERT_EQUAL(st.samples, nrec);
		CU_ASSERT_EQUAL(st.invalid, 0);
		/* The time-ordered path: the same records as two rings of one drain,
		 * timed in two interleaved runs, copied, merged and delivered. */
		{
			struct perf_ring_ctx c2 = ctx, *rings[2] = { &ctx, &c2 };
			struct perf_order q;
			size_t half = nrec / 2 * one.n;

			for (i = 0; i < nrec; i++) {
				uint64_t t = 1000 + 2 * (i % (nrec / 2)) + (i >= nrec / 2);

				memcpy(big + i * one.n + 32, &t, 8);	/* header, id, ip, tid: time */
			}
			memset(&q, 0, sizeof(q));
			/* The second drain is timed: the queue's buffers are grown by then,
			 * as in a daemon that has been sampling a while. */
			for (int run = 0; run < 2; run++) {
				memset(&st, 0, sizeof(st));
				t0 = now_ns();
				perf_order_collect(&q, &ctx, 0, big, half, 0, half, 0, &sink, &st);
				perf_order_collect(&q, &c2, 1, big + half, one.n * nrec - half, 0,
				    one.n * nrec - half, 0, &sink, &st);
				perf_order_deliver(&q, rings, UINT64_MAX, &sink, &st);
				ons[pass] = (now_ns() - t0) / nrec;
				CU_ASSERT_EQUAL(st.samples, nrec);
			}
			perf_order_free(&q);
		}
		free(big);
	}
	printf("\n  ring parser: %.1f ns/sample record (no chain), %.1f ns (9-frame chain)%s\n",
	    ns[0], ns[1], RUNNING_ON_VALGRIND ? " [valgrind]" : "");
	printf("  time-ordered, two rings: %.1f ns/sample record (no chain), %.1f ns (9-frame chain)\n",
	    ons[0], ons[1]);
}

/* ===================================================================== */
/* Live: system-wide cpu-clock                                            */

/* The burn function sits alone in section xp_burn, so its pc range is known. */
extern const char __start_xp_burn[], __stop_xp_burn[];

__attribute__((noinline, section("xp_burn"))) static uint64_t
burn_spin(uint64_t x, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

static volatile uint64_t burn_sink;

static void
burn(double ms)
{
	double end = now_ns() + ms * 1e6;

	do
		burn_sink = burn_spin(burn_sink, 200000);
	while (now_ns() < end);
}

/* This executable's GNU build id, from its program headers. */
struct self_bid {
	uint8_t	id[20];
	size_t	len;
};

static int
self_bid_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct self_bid *b = arg;
	const uint8_t *p, *end;
	const ElfW(Nhdr) *nh;
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_NOTE)
			continue;
		p = (const uint8_t *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		end = p + info->dlpi_phdr[i].p_memsz;
		while (p + sizeof(*nh) <= end) {
			nh = (const ElfW(Nhdr) *)p;
			p += sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    nh->n_descsz <= 20 && p + nh->n_descsz <= end) {
				memcpy(b->id, p, nh->n_descsz);
				b->len = nh->n_descsz;
				return 1;
			}
			p += (nh->n_descsz + 3) & ~3u;
		}
	}
	return 1;	/* the first object is the executable: stop there */
}

static void
test_live_cpu_clock(void)
{
	static struct rec r;
	struct hv_config cfg;
	struct hv_source *src;
	struct hv_sink sink;
	struct hv_stats st;
	struct self_bid bid;
	struct pollfd pfd[256];
	char err[HV_ERR_LEN], exe[PATH_MAX];
	ssize_t n;
	uint32_t i;
	void *map;
	int fd, npfd, k, found = 0, found_bid = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.backend = "auto";
	cfg.nevents = 2;
	cfg.callgraph = 8;
	CU_ASSERT_EQUAL_FATAL(hv_event_parse("cpu-clock:100000", &cfg.events[0], err,
	    sizeof(err)), 0);
	/* A second counter, user mode only, to exercise SET_OUTPUT and ids. */
	CU_ASSERT_EQUAL_FATAL(hv_event_parse("cpu-clock:1000000:0:0:1", &cfg.events[1],
	    err, sizeof(err)), 0);
	if ((src = hv_open(&cfg, err, sizeof(err))) == NULL) {
		/* Not permitted is a failure too: this test needs root and perf_event. */
		fprintf(stderr, "\n  hv_open: %s\n", err);
		CU_FAIL_FATAL("hv_open failed");
	}
	CU_ASSERT_STRING_EQUAL(hv_name(src), "perf");
	CU_ASSERT_STRING_EQUAL(hv_cpu_type(src), "timer");
	npfd = hv_pollfds(src, pfd, 256);
	CU_ASSERT(npfd >= 1);
	CU_ASSERT(npfd == sysconf(_SC_NPROCESSORS_ONLN));
	k = hv_poll_interval_ms(src);
	CU_ASSERT(k >= 10 && k <= 200);

	memset(&r, 0, sizeof(r));
	r.self = getpid();
	r.burn_lo = (uintptr_t)__start_xp_burn;
	r.burn_hi = (uintptr_t)__stop_xp_burn;
	rec_sink(&r, &sink);
	/* Nothing before start. */
	CU_ASSERT_EQUAL(hv_drain(src, &sink), 0);
	CU_ASSERT_EQUAL_FATAL(hv_start(src, err, sizeof(err)), 0);

	/* A new executable mapping of ourselves: the side band reports it. */
	map = MAP_FAILED;
	if ((fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) >= 0) {
		map = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		close(fd);
	}
	CU_ASSERT(map != MAP_FAILED);
	for (k = 0; k < 6; k++) {
		burn(50);
		CU_ASSERT(hv_drain(src, &sink) >= 0);
	}
	CU_ASSERT_EQUAL(hv_stop(src, err, sizeof(err)), 0);
	CU_ASSERT(hv_drain(src, &sink) >= 0);
	hv_stats(src, &st);
	hv_close(src);
	if (map != MAP_FAILED)
		munmap(map, 4096);

	printf("\n  live: %llu samples (%llu ours, %llu in burn_spin, %llu user, %llu kernel, "
	    "counter1 %llu), %llu mmaps, %llu comms, %llu forks, %llu exits, lost %llu, "
	    "throttles %llu, invalid %llu\n",
	    (unsigned long long)r.samples, (unsigned long long)r.self_samples,
	    (unsigned long long)r.burn_samples, (unsigned long long)r.user_samples,
	    (unsigned long long)r.kernel_samples, (unsigned long long)r.by_counter[1],
	    (unsigned long long)r.mmaps, (unsigned long long)r.comms,
	    (unsigned long long)r.forks, (unsigned long long)r.exits,
	    (unsigned long long)st.lost, (unsigned long long)st.throttles,
	    (unsigned long long)st.invalid);
	CU_ASSERT(r.samples > 0);
	CU_ASSERT_EQUAL(st.samples, r.samples);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT(r.self_samples > 0);
	CU_ASSERT(r.by_counter[1] > 0);
	CU_ASSERT_EQUAL(r.bad_chain, 0);
	if (RUNNING_ON_VALGRIND)
		printf("  NOTE: under valgrind, user pcs are in its translation cache: "
		    "burn_spin check skipped\n");
	else
		CU_ASSERT(r.burn_samples > 0);

	/* The mapping of our own executable, with its build id where the kernel gives one. */
	memset(&bid, 0, sizeof(bid));
	dl_iterate_phdr(self_bid_cb, &bid);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CU_ASSERT_FATAL(n > 0);
	exe[n] = '\0';
	for (i = 0; i < r.nmm; i++) {
		if (strcmp(r.mm[i].path, exe) != 0 || r.mm[i].start != (uintptr_t)map)
			continue;
		found++;
		CU_ASSERT_TRUE(r.mm[i].exec);
		CU_ASSERT_EQUAL(r.mm[i].pgoff, 0);
		if (r.mm[i].build_id_len > 0) {
			CU_ASSERT_EQUAL(r.mm[i].build_id_len, bid.len);
			CU_ASSERT(memcmp(r.mm[i].build_id, bid.id, bid.len) == 0);
			found_bid++;
		}
	}
	CU_ASSERT(found == 1);
	printf("  live: mmap of %s %s (own build id %zu bytes)\n", exe,
	    found == 0 ? "NOT seen" : found_bid ? "seen with matching build id" :
	    "seen, without build id (kernel gave none)", bid.len);
}

/* /sys/hypervisor/properties/buildid: raw bytes (Linux), hex text, <denied>. */
static void
test_sysfs_build_id(void)
{
	static const uint8_t raw[20] = { 0x15, 0x1b, 0x37, 0x3f, 0xd6, 0x4b, 0x32, 0x15, 0x93,
	    0xbf, 0x98, 0x7f, 0xd9, 0x23, 0xcd, 0x10, 0xda, 0xba, 0xda, 0xc4 };
	char path[] = "/tmp/xenprof-test-bid.XXXXXX";
	uint8_t out[64];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(write(fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw));
	CU_ASSERT_EQUAL(hv_sysfs_build_id(path, out, sizeof(out)), 20);
	CU_ASSERT(memcmp(out, raw, 20) == 0);
	CU_ASSERT(ftruncate(fd, 0) == 0);
	CU_ASSERT(pwrite(fd, "151b373fd64b321593bf987fd923cd10dabadac4\n", 41, 0) == 41);
	CU_ASSERT_EQUAL(hv_sysfs_build_id(path, out, sizeof(out)), 20);
	CU_ASSERT(memcmp(out, raw, 20) == 0);
	CU_ASSERT(ftruncate(fd, 0) == 0);
	CU_ASSERT(pwrite(fd, "<denied>", 8, 0) == 8);
	CU_ASSERT_EQUAL(hv_sysfs_build_id(path, out, sizeof(out)), 0);
	CU_ASSERT(ftruncate(fd, 0) == 0);
	CU_ASSERT_EQUAL(hv_sysfs_build_id(path, out, sizeof(out)), 0);
	close(fd);
	unlink(path);
	CU_ASSERT_EQUAL(hv_sysfs_build_id(path, out, sizeof(out)), 0);
}

struct sb_seen {
	pid_t	child;
	int	exec_comm, exec_mmap;
};

static void
sb_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	struct sb_seen *w = ctx;

	if ((pid_t)pid == w->child && exec)
		w->exec_comm = 1;
}

static void
sb_mmap(void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len, uint64_t pgoff,
    const char *path, const uint8_t *bid, size_t bidlen, bool exec)
{
	struct sb_seen *w = ctx;

	if ((pid_t)pid == w->child && exec && strstr(path, "true") != NULL)
		w->exec_mmap = 1;
}

/*
 * The process-tracking side band of the xenoprof backend (a software
 * dummy event: a kernel without a PMU driver has it): a process started
 * while it is on is told of by its exec's COMM and MMAP2 records.
 */
static void
test_live_sideband(void)
{
	struct perf_sideband *sb;
	struct sb_seen w = { 0 };
	struct hv_sink sink = { .ctx = &w, .comm = sb_comm, .mmap = sb_mmap };
	char err[HV_ERR_LEN];
	int status;

	if ((sb = perf_sideband_open(err, sizeof(err))) == NULL) {
		fprintf(stderr, "\n  perf_sideband_open: %s\n", err);
		CU_FAIL_FATAL("the side band does not open (run as root)");
	}
	CU_ASSERT_EQUAL_FATAL(perf_sideband_enable(sb, true, err, sizeof(err)), 0);
	if ((w.child = fork()) == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_FATAL(w.child > 0);
	waitpid(w.child, &status, 0);
	CU_ASSERT(perf_sideband_drain(sb, &sink) > 0);
	CU_ASSERT(w.exec_comm);
	CU_ASSERT(w.exec_mmap);
	CU_ASSERT_EQUAL(perf_sideband_lost(sb), 0);
	CU_ASSERT_EQUAL(perf_sideband_enable(sb, false, err, sizeof(err)), 0);
	perf_sideband_close(sb);
}

/* ===================================================================== */

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("hv", NULL, NULL);
	if (s == NULL ||
	    CU_add_test(s, "event parse: valid", test_event_parse_valid) == NULL ||
	    CU_add_test(s, "event parse: invalid", test_event_parse_invalid) == NULL ||
	    CU_add_test(s, "perf event names", test_event_names) == NULL ||
	    CU_add_test(s, "perf minimum counts", test_min_count) == NULL ||
	    CU_add_test(s, "backend selection", test_backend_select) == NULL ||
	    CU_add_test(s, "ring: every record type", test_ring_records) == NULL ||
	    CU_add_test(s, "ring: wrap-around", test_ring_wrap) == NULL ||
	    CU_add_test(s, "ring: malformed input", test_ring_malformed) == NULL ||
	    CU_add_test(s, "ring: cost per record", test_ring_cost) == NULL ||
	    CU_add_test(s, "order: exec on cpu 1, fork on cpu 0", test_order_exec_fork) == NULL ||
	    CU_add_test(s, "order: horizon, ties, no time, wrap", test_order_horizon) == NULL ||
	    CU_add_test(s, "order: many records, rings and drains", test_order_many) == NULL ||
	    CU_add_test(s, "live: system-wide cpu-clock", test_live_cpu_clock) == NULL ||
	    CU_add_test(s, "sysfs build-id: raw, hex, <denied>", test_sysfs_build_id) == NULL ||
	    CU_add_test(s, "live: process-tracking side band", test_live_sideband) == NULL) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
