/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CUnit tests of the daemon's modules: the process mapping table (with
 * exit-before-drain), attribution (file offsets, deferral across rings,
 * separation, domains), the session kallsyms subset, domain lists, setup.
 */

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "daemon/attrib.h"
#include "daemon/domains.h"
#include "daemon/kernel.h"
#include "daemon/procmap.h"
#include "daemon/setup.h"
#include "daemon/store.h"

static char tmpdir[] = "/tmp/xenprof-unit.XXXXXX";

/* ---- procmap ---------------------------------------------------------- */

static void
test_procmap_lookup(void)
{
	struct procmap *pm = procmap_new();
	const struct pm_map *m;

	procmap_mmap(pm, 100, 0x400000, 0x1000, 0x0, "/bin/a", (const uint8_t *)"\1\2", 2);
	procmap_mmap(pm, 100, 0x401000, 0x2000, 0x1000, "/bin/a", (const uint8_t *)"\1\2", 2);
	procmap_mmap(pm, 100, 0x7f0000, 0x1000, 0x3000, "/lib/libc.so", (const uint8_t *)"\3", 1);
	m = procmap_lookup(pm, 100, 0x401800);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->file->path, "/bin/a");
	CU_ASSERT_EQUAL(m->pgoff + (0x401800 - m->start), 0x1800);
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 100, 0x403000));
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 101, 0x401800));
	CU_ASSERT_STRING_EQUAL(procmap_exe(pm, 100)->path, "/bin/a");

	/* A new mapping over the middle of an old one splits it. */
	procmap_mmap(pm, 100, 0x401800, 0x100, 0, "/lib/new.so", NULL, 0);
	m = procmap_lookup(pm, 100, 0x401850);
	CU_ASSERT_STRING_EQUAL(m->file->path, "/lib/new.so");
	m = procmap_lookup(pm, 100, 0x401900);
	CU_ASSERT_STRING_EQUAL(m->file->path, "/bin/a");
	CU_ASSERT_EQUAL(m->pgoff + (0x401900 - m->start), 0x1900);
	m = procmap_lookup(pm, 100, 0x401700);
	CU_ASSERT_EQUAL(m->pgoff + (0x401700 - m->start), 0x1700);
	procmap_free(pm);
}

static void
test_procmap_fork_exec_exit(void)
{
	struct procmap *pm = procmap_new();
	size_t live, dead, files;

	procmap_mmap(pm, 10, 0x1000, 0x1000, 0, "/bin/parent", NULL, 0);
	procmap_fork(pm, 11, 10);
	CU_ASSERT_PTR_NOT_NULL(procmap_lookup(pm, 11, 0x1800));
	/* A thread (pid == ppid) shares the maps: no new process. */
	procmap_fork(pm, 10, 10);
	procmap_counts(pm, &live, &dead, &files);
	CU_ASSERT_EQUAL(live, 2);
	/* exec drops the old maps. */
	procmap_exec(pm, 11);
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 11, 0x1800));
	procmap_mmap(pm, 11, 0x5000, 0x1000, 0, "/bin/child", NULL, 0);
	CU_ASSERT_STRING_EQUAL(procmap_exe(pm, 11)->path, "/bin/child");

	/* Exit before drain: the maps outlive the pass that saw the exit. */
	procmap_exit(pm, 11);
	CU_ASSERT_PTR_NOT_NULL(procmap_lookup(pm, 11, 0x5800));
	procmap_end_pass(pm);		/* the pass that saw the exit */
	CU_ASSERT_PTR_NOT_NULL(procmap_lookup(pm, 11, 0x5800));
	procmap_counts(pm, &live, &dead, &files);
	CU_ASSERT_EQUAL(dead, 1);
	procmap_end_pass(pm);		/* the pass after it: reaped */
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 11, 0x5800));
	procmap_counts(pm, &live, &dead, &files);
	CU_ASSERT_EQUAL(dead, 0);
	CU_ASSERT_EQUAL(live, 1);

	/* A pid reused by a new process replaces the dead one. */
	procmap_exit(pm, 10);
	procmap_mmap(pm, 10, 0x9000, 0x1000, 0, "/bin/reused", NULL, 0);
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 10, 0x1800));
	CU_ASSERT_PTR_NOT_NULL(procmap_lookup(pm, 10, 0x9800));
	procmap_free(pm);
}

/* The child's exec and mmaps drained (from its cpu's ring) before the FORK. */
static void
test_procmap_fork_after_exec(void)
{
	struct procmap *pm = procmap_new();
	const struct pm_map *m;

	procmap_mmap(pm, 50, 0x1000, 0x1000, 0, "/bin/parent", NULL, 0);
	procmap_exec(pm, 51);
	procmap_mmap(pm, 51, 0x7000, 0x1000, 0, "/bin/child", NULL, 0);
	procmap_fork(pm, 51, 50);
	m = procmap_lookup(pm, 51, 0x7800);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->file->path, "/bin/child");
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 51, 0x1800));
	CU_ASSERT_STRING_EQUAL(procmap_exe(pm, 51)->path, "/bin/child");
	procmap_free(pm);

	/* A stale entry (its exit was lost) whose pid is reused by a fork much
	 * later: the new process gets its parent's maps, not the stale ones. */
	pm = procmap_new();
	procmap_mmap(pm, 60, 0x9000, 0x1000, 0, "/bin/stale", NULL, 0);
	procmap_mmap(pm, 50, 0x1000, 0x1000, 0, "/bin/parent", NULL, 0);
	procmap_end_pass(pm);
	procmap_end_pass(pm);
	procmap_end_pass(pm);
	procmap_fork(pm, 60, 50);
	m = procmap_lookup(pm, 60, 0x1800);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->file->path, "/bin/parent");
	CU_ASSERT_PTR_NULL(procmap_lookup(pm, 60, 0x9800));
	procmap_free(pm);
}

/* A FIFO (or device) at a mapped path is neither opened for long nor read. */
static void
test_procmap_fifo(void)
{
	char fifo[512];

	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	alarm(5);	/* a blocking open would hang here: fail loudly instead */
	CU_ASSERT_EQUAL(procmap_read_build_id(fifo, (uint8_t[64]){ 0 }, 64), 0);
	CU_ASSERT_EQUAL(procmap_read_build_id("/dev/zero", (uint8_t[64]){ 0 }, 64), 0);
	alarm(0);
	unlink(fifo);
}

static void
test_procmap_lookup_any(void)
{
	struct procmap *pm = procmap_new();
	const struct pm_map *m;
	int amb;

	procmap_mmap(pm, 1, 0x10000, 0x1000, 0, "/bin/x", NULL, 0);
	procmap_mmap(pm, 2, 0x20000, 0x1000, 0, "/bin/y", NULL, 0);
	procmap_mmap(pm, 3, 0x20000, 0x1000, 0, "/bin/y", NULL, 0);	/* same file, same offset */
	procmap_mmap(pm, 4, 0x30000, 0x1000, 0, "/bin/z", NULL, 0);
	procmap_mmap(pm, 5, 0x30000, 0x1000, 0, "/bin/w", NULL, 0);	/* a different file */
	procmap_mmap(pm, 6, 0x1000, 0x100000, 0, "/bin/big", NULL, 0);	/* spans others */
	m = procmap_lookup_any(pm, 0x150000 - 1, &amb);
	CU_ASSERT_PTR_NULL(m);
	m = procmap_lookup_any(pm, 0x500, &amb);
	CU_ASSERT_PTR_NULL(m);
	m = procmap_lookup_any(pm, 0x80000, &amb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->file->path, "/bin/big");
	CU_ASSERT_EQUAL(amb, 0);
	m = procmap_lookup_any(pm, 0x10800, &amb);
	CU_ASSERT_EQUAL(amb, 1);	/* /bin/x and /bin/big */
	procmap_free(pm);
	pm = procmap_new();
	procmap_mmap(pm, 2, 0x20000, 0x1000, 0, "/bin/y", NULL, 0);
	procmap_mmap(pm, 3, 0x20000, 0x1000, 0, "/bin/y", NULL, 0);
	m = procmap_lookup_any(pm, 0x20800, &amb);
	CU_ASSERT_PTR_NOT_NULL(m);
	CU_ASSERT_EQUAL(amb, 0);	/* two processes, same file offset: not ambiguous */
	procmap_mmap(pm, 4, 0x20000, 0x1000, 0x1000, "/bin/y", NULL, 0);
	m = procmap_lookup_any(pm, 0x20800, &amb);
	CU_ASSERT_EQUAL(amb, 1);	/* same file, other offset */
	procmap_free(pm);
}

static void
test_procmap_scan_self(void)
{
	struct procmap *pm = procmap_new();
	const struct pm_map *m;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	CU_ASSERT_FATAL(n > 0);
	exe[n] = '\0';
	CU_ASSERT_EQUAL(procmap_scan_pid(pm, "/proc", (uint32_t)getpid()), 0);
	m = procmap_lookup(pm, (uint32_t)getpid(), (uint64_t)(uintptr_t)&test_procmap_scan_self);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->file->path, exe);
	CU_ASSERT(m->file->build_id_len > 0);	/* read from the ELF note */
	procmap_free(pm);
}

/*
 * A binary upgraded during the session (a new file renamed over the path):
 * a process mapping it afterwards gets the new file's build-id, not the one
 * cached for the path; a process of the old one keeps the old.
 */
static void
test_procmap_upgraded_build_id(void)
{
	struct procmap *pm = procmap_new();
	const struct pm_map *a, *b, *c;
	char path[600], cmd[8800], exe[4096];
	uint8_t want_old[64], want_new[64];
	size_t nold, nnew;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	CU_ASSERT_FATAL(n > 0);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/upgraded-prog", tmpdir);
	/* The old and the new binary: two ELF files with different build-ids. */
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp /bin/sh %s.new", exe, path, path);
	CU_ASSERT_FATAL(system(cmd) == 0);
	nold = procmap_read_build_id(path, want_old, sizeof(want_old));
	snprintf(cmd, sizeof(cmd), "%s.new", path);
	nnew = procmap_read_build_id(cmd, want_new, sizeof(want_new));
	CU_ASSERT_FATAL(nold > 0 && nnew > 0);
	CU_ASSERT_FATAL(nold != nnew || memcmp(want_old, want_new, nold) != 0);

	procmap_mmap(pm, 100, 0x400000, 0x1000, 0, path, NULL, 0);	/* a /proc scan: no build-id */
	snprintf(cmd, sizeof(cmd), "mv %s.new %s", path, path);	/* the upgrade */
	CU_ASSERT_FATAL(system(cmd) == 0);
	procmap_mmap(pm, 101, 0x400000, 0x1000, 0, path, NULL, 0);
	procmap_mmap(pm, 102, 0x400000, 0x1000, 0, path, NULL, 0);
	a = procmap_lookup(pm, 100, 0x400010);
	b = procmap_lookup(pm, 101, 0x400010);
	c = procmap_lookup(pm, 102, 0x400010);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(a->file->build_id_len == nold && memcmp(a->file->build_id, want_old, nold) == 0);
	CU_ASSERT(b->file->build_id_len == nnew && memcmp(b->file->build_id, want_new, nnew) == 0);
	CU_ASSERT_PTR_EQUAL(b->file, c->file);		/* the new file: read once */
	CU_ASSERT_PTR_NOT_EQUAL(a->file, b->file);
	procmap_free(pm);
}

/* ---- attrib ----------------------------------------------------------- */

struct fixture {
	struct store	st;
	struct procmap *pm;
	struct kernel	k;
	struct attrib	a;
	int		sessfd;
};

static void
fixture_init(struct fixture *f, const char *name, uint32_t sep)
{
	char dir[512], err[512];
	struct xps_meta m;

	memset(f, 0, sizeof(*f));
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	memset(&m, 0, sizeof(m));
	strcpy(m.backend, "perf");
	m.separate = sep;
	m.nevents = 1;
	strcpy(m.events[0].name, "cpu-clock");
	m.events[0].count = 100000;
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	f->sessfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(f->sessfd >= 0);
	CU_ASSERT_EQUAL_FATAL(store_init(&f->st, f->sessfd, dir, &m, &f->k, err, sizeof(err)), 0);
	f->pm = procmap_new();
	attrib_init(&f->a, &f->st, f->pm, &f->k);
	f->a.separate = sep;
	attrib_domain(&f->a, 0, "Domain-0", 1, "");
}

static void
fixture_fini(struct fixture *f)
{
	attrib_fini(&f->a);
	procmap_free(f->pm);
	store_fini(&f->st);
	close(f->sessfd);
	kernel_free(&f->k);
}

static struct hv_sample
user_sample(uint32_t pid, uint64_t pc)
{
	struct hv_sample s;

	memset(&s, 0, sizeof(s));
	s.pid = s.tid = pid;
	s.pc = pc;
	s.mode = HV_MODE_USER;
	return s;
}

/* The count of (image path, offset) in domain 0's profile. */
static uint64_t
count_of(struct fixture *f, const char *path, uint64_t off)
{
	struct xps_profile *p = store_profile(&f->st, 0, NULL);
	size_t n;
	const struct xps_record *r = xps_profile_records(p, &n);
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++) {
		const struct xps_image *img = xps_profile_image_at(p, r[i].key.image);

		if (strcmp(img->path, path) == 0 && (off == UINT64_MAX || r[i].key.offset == off))
			c += r[i].count;
	}
	return c;
}

static void
test_attrib_file_offset(void)
{
	struct fixture f;
	struct hv_sample s;

	fixture_init(&f, "offset", 0);
	procmap_mmap(f.pm, 200, 0x555000, 0x2000, 0x1000, "/bin/prog", NULL, 0);
	s = user_sample(200, 0x555010);
	attrib_sample(&f.a, &s);
	attrib_sample(&f.a, &s);
	CU_ASSERT_EQUAL(count_of(&f, "/bin/prog", 0x1010), 2);
	/* A pc in no mapping of a known process waits one pass, then [unknown]. */
	s = user_sample(200, 0x999000);
	attrib_sample(&f.a, &s);
	CU_ASSERT_EQUAL(count_of(&f, "[unknown]", UINT64_MAX), 0);
	attrib_end_pass(&f.a);
	attrib_end_pass(&f.a);
	CU_ASSERT_EQUAL(count_of(&f, "[unknown]", UINT64_MAX), 1);
	fixture_fini(&f);
}

static void
test_attrib_deferred_fork(void)
{
	struct fixture f;
	struct hv_sample s;

	fixture_init(&f, "defer", 0);
	procmap_mmap(f.pm, 300, 0x400000, 0x1000, 0, "/bin/parent", NULL, 0);
	/* The child's sample is drained before the FORK (in another ring). */
	s = user_sample(301, 0x400100);
	attrib_sample(&f.a, &s);
	CU_ASSERT_EQUAL(count_of(&f, "/bin/parent", 0x100), 0);
	procmap_fork(f.pm, 301, 300);
	procmap_exit(f.pm, 301);	/* and it exited already */
	attrib_end_pass(&f.a);
	procmap_end_pass(f.pm);
	CU_ASSERT_EQUAL(count_of(&f, "/bin/parent", 0x100), 1);
	CU_ASSERT_EQUAL(count_of(&f, "[unknown]", UINT64_MAX), 0);
	fixture_fini(&f);
}

/*
 * A known process with stale maps (its exec's records were lost, or came
 * after its fork): its samples miss, and after ATTRIB_RESCAN_MISSES of them
 * its maps are read again from /proc, once, counted; the samples after that
 * are attributed.  The process is this test itself.
 */
static void
test_attrib_rescan_stale(void)
{
	struct fixture f;
	struct hv_sample s;
	uint32_t me = (uint32_t)getpid();
	uint64_t pc = (uint64_t)(uintptr_t)&test_attrib_rescan_stale;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int i;

	CU_ASSERT_FATAL(n > 0);
	exe[n] = '\0';
	fixture_init(&f, "rescan", 0);
	/* What a FORK from the pre-exec parent would have left: another image. */
	procmap_mmap(f.pm, me, 0x10000, 0x1000, 0, "/bin/stale-parent", NULL, 0);
	for (i = 0; i < ATTRIB_RESCAN_MISSES - 1; i++) {
		s = user_sample(me, pc);
		attrib_sample(&f.a, &s);
		attrib_end_pass(&f.a);
		attrib_end_pass(&f.a);
	}
	CU_ASSERT_EQUAL(f.a.rescans, 0);
	CU_ASSERT_EQUAL(count_of(&f, "[unknown]", UINT64_MAX), ATTRIB_RESCAN_MISSES - 1);
	s = user_sample(me, pc);
	attrib_sample(&f.a, &s);
	attrib_end_pass(&f.a);
	attrib_end_pass(&f.a);
	CU_ASSERT_EQUAL(f.a.rescans, 1);
	CU_ASSERT_EQUAL(count_of(&f, exe, UINT64_MAX), 1);
	CU_ASSERT_EQUAL(count_of(&f, "/bin/stale-parent", UINT64_MAX), 0);
	/* Recovered: the next samples hit at once, and nothing is read again. */
	for (i = 0; i < 5; i++) {
		s = user_sample(me, pc);
		attrib_sample(&f.a, &s);
	}
	CU_ASSERT_EQUAL(count_of(&f, exe, UINT64_MAX), 6);
	CU_ASSERT_EQUAL(f.a.rescans, 1);
	/* Once per image: more misses of the same process read nothing again. */
	for (i = 0; i < 2 * ATTRIB_RESCAN_MISSES; i++) {
		s = user_sample(me, 0x20);
		attrib_sample(&f.a, &s);
		attrib_end_pass(&f.a);
		attrib_end_pass(&f.a);
	}
	CU_ASSERT_EQUAL(f.a.rescans, 1);
	fixture_fini(&f);
}

static void
test_attrib_kernel_and_separation(void)
{
	struct fixture f;
	struct hv_sample s;
	struct xps_profile *p;
	size_t n;
	const struct xps_record *r;

	fixture_init(&f, "sep", XPS_SEP_LIBRARY | XPS_SEP_THREAD | XPS_SEP_CPU);
	procmap_mmap(f.pm, 400, 0x400000, 0x1000, 0, "/bin/app", NULL, 0);
	procmap_mmap(f.pm, 400, 0x7f0000, 0x1000, 0, "/lib/libc.so.6", NULL, 0);
	s = user_sample(400, 0x7f0040);
	s.tid = 401;
	s.cpu = 1;
	attrib_sample(&f.a, &s);
	memset(&s, 0, sizeof(s));
	s.pid = s.tid = 400;
	s.pc = 0xffffffff81000000ull;
	s.mode = HV_MODE_KERNEL;
	attrib_sample(&f.a, &s);
	p = store_profile(&f.st, 0, NULL);
	r = xps_profile_records(p, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (size_t i = 0; i < n; i++) {
		const struct xps_image *img = xps_profile_image_at(p, r[i].key.image);

		if (strcmp(img->path, "/lib/libc.so.6") == 0) {
			CU_ASSERT_STRING_EQUAL(xps_profile_image_at(p, r[i].key.app)->path, "/bin/app");
			CU_ASSERT_EQUAL(r[i].key.tgid, 400);
			CU_ASSERT_EQUAL(r[i].key.tid, 401);
			CU_ASSERT_EQUAL(r[i].key.cpu, 1);
			CU_ASSERT_EQUAL(r[i].key.offset, 0x40);
		} else {
			CU_ASSERT_STRING_EQUAL(img->path, "[kernel.kallsyms]");
			CU_ASSERT_EQUAL(img->kind, XPS_IMG_KERNEL);
			CU_ASSERT_EQUAL(r[i].key.offset, 0xffffffff81000000ull);
			/* kernel samples get an app only with --separate=kernel */
			CU_ASSERT_EQUAL(r[i].key.app, XPS_NONE);
		}
	}
	fixture_fini(&f);
}

/* A sample with a call chain records its process's executable (stacks are
 * rooted at it) even without --separate=library; one without does not. */
static void
test_attrib_stack_process(void)
{
	struct fixture f;
	struct hv_sample s;
	struct xps_profile *p;
	size_t n;
	const struct xps_record *r;
	uint64_t chain[2] = { 0x400080, 0x4000c0 };
	int with = 0, without = 0;

	fixture_init(&f, "stackproc", 0);
	procmap_mmap(f.pm, 500, 0x400000, 0x1000, 0, "/bin/app", NULL, 0);
	s = user_sample(500, 0x400040);
	attrib_sample(&f.a, &s);
	s = user_sample(500, 0x400050);
	s.chain = chain;
	s.nchain = 2;
	attrib_sample(&f.a, &s);
	memset(&s, 0, sizeof(s));
	s.pid = s.tid = 500;
	s.pc = 0xffffffff81000000ull;
	s.mode = HV_MODE_KERNEL;
	s.chain = chain;
	s.nchain = 2;
	attrib_sample(&f.a, &s);
	p = store_profile(&f.st, 0, NULL);
	r = xps_profile_records(p, &n);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (r[i].key.chain == 0) {
			CU_ASSERT_EQUAL(r[i].key.app, XPS_NONE);
			without++;
		} else {
			CU_ASSERT_STRING_EQUAL(xps_profile_image_at(p, r[i].key.app)->path, "/bin/app");
			CU_ASSERT_EQUAL(r[i].key.tgid, XPS_NONE);	/* no --separate=thread */
			with++;
		}
	}
	CU_ASSERT(with == 2 && without == 1);
	fixture_fini(&f);
}

static void
test_attrib_domains(void)
{
	struct fixture f;
	struct hv_sample s;
	struct xps_profile *p;
	size_t n;
	const struct xps_record *r;

	fixture_init(&f, "domains", 0);
	attrib_domain(&f.a, 3, "db03", 0, "/boot/vmlinux-db03");
	memset(&s, 0, sizeof(s));
	s.domid = 3;
	s.pid = s.tid = HV_NO_PID;
	s.mode = HV_MODE_USER;
	s.pc = 0x1234;
	attrib_sample(&f.a, &s);
	s.mode = HV_MODE_KERNEL;
	attrib_sample(&f.a, &s);
	attrib_lost(&f.a, 3, 1, HV_LOSS_RING, 5);
	p = store_profile(&f.st, 3, NULL);
	CU_ASSERT_STRING_EQUAL(xps_profile_name(p), "db03");
	r = xps_profile_records(p, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	for (size_t i = 0; i < n; i++) {
		const struct xps_image *img = xps_profile_image_at(p, r[i].key.image);

		CU_ASSERT_STRING_EQUAL(img->path, r[i].key.mode == XPS_MODE_USER ?
		    "[user]" : "/boot/vmlinux-db03");
	}
	CU_ASSERT_EQUAL(xps_profile_lost_total(p), 5);
	CU_ASSERT_EQUAL(xps_profile_total(store_profile(&f.st, 0, NULL)), 0);
	fixture_fini(&f);
}

static void
test_attrib_vpmu(void)
{
	struct fixture f;
	struct hv_sample s;
	struct xps_profile *p;
	size_t n;
	const struct xps_record *r;
	int xen = 0, guests_k = 0, guests_u = 0, kernel = 0;

	fixture_init(&f, "vpmu", XPS_SEP_THREAD);
	f.a.xen_host = 1;
	f.a.xen = "/boot/xen-syms";
	memset(&s, 0, sizeof(s));
	s.pid = s.tid = 1;
	s.mode = HV_MODE_KERNEL;
	s.pc = 0xffff82d040230600ull;		/* do_softirq in xen-syms 4.17 */
	attrib_sample(&f.a, &s);
	s.pc = 0xffffffff81000100ull;		/* dom0's own kernel */
	attrib_sample(&f.a, &s);
	s.guest = true;				/* a guest's kernel sample */
	s.pc = 0xffffffff81000200ull;
	attrib_sample(&f.a, &s);
	s.mode = HV_MODE_USER;			/* a guest's user sample */
	s.pc = 0x400000;
	attrib_sample(&f.a, &s);
	p = store_profile(&f.st, 0, NULL);
	r = xps_profile_records(p, &n);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (size_t i = 0; i < n; i++) {
		const struct xps_image *img = xps_profile_image_at(p, r[i].key.image);

		if (strcmp(img->path, "/boot/xen-syms") == 0) {
			xen++;
			CU_ASSERT_EQUAL(img->kind, XPS_IMG_XEN);
			CU_ASSERT_EQUAL(r[i].key.mode, XPS_MODE_XEN);
			CU_ASSERT_EQUAL(r[i].key.offset, 0xffff82d040230600ull);
		} else if (strcmp(img->path, "[guests]") == 0) {
			guests_k += r[i].key.mode == XPS_MODE_KERNEL;
			guests_u += r[i].key.mode == XPS_MODE_USER;
			CU_ASSERT_EQUAL(r[i].key.tgid, XPS_NONE);	/* dom0's task means nothing */
		} else {
			kernel++;
			CU_ASSERT_STRING_EQUAL(img->path, "[kernel.kallsyms]");
			CU_ASSERT_EQUAL(r[i].key.offset, 0xffffffff81000100ull);
		}
	}
	CU_ASSERT(xen == 1 && guests_k == 1 && guests_u == 1 && kernel == 1);
	/* Not a Xen host: the same kernel pc is the kernel's. */
	fixture_fini(&f);
}

/* ---- kernel ----------------------------------------------------------- */

static void
test_kernel_syms_subset(void)
{
	char ks[512], mods[512], out[512], line[256];
	struct kernel k;
	uint64_t addrs[] = { 0xffffffff81000123ull, 0xffffffffc0001010ull, 0xffffffff81000200ull };
	FILE *f;
	int nlines = 0, saw_foo = 0, saw_bar = 0, saw_baz = 0, saw_mod = 0, saw_next = 0;

	snprintf(ks, sizeof(ks), "%s/kallsyms", tmpdir);
	snprintf(mods, sizeof(mods), "%s/modules", tmpdir);
	snprintf(out, sizeof(out), "%s/kallsyms.out", tmpdir);
	f = fopen(ks, "w");
	fputs("ffffffff81000000 T _text\nffffffff81000100 T foo\nffffffff81000180 t bar\n"
	    "ffffffff81000180 D data_not_text\nffffffff81000300 T baz\nffffffff81000400 T qux\n"
	    "ffffffffc0001000 t modfn\t[ext4]\nffffffffc0002000 t modnext\t[ext4]\n", f);
	fclose(f);
	f = fopen(mods, "w");
	fputs("ext4 8192 1 - Live 0xffffffffc0001000\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(kernel_load(&k, ks, mods, "/nonexistent"), 0);
	CU_ASSERT_EQUAL(k.text, 0xffffffff81000000ull);
	CU_ASSERT_EQUAL(k.nmods, 1);
	CU_ASSERT_PTR_NOT_NULL(kernel_module_at(&k, 0xffffffffc0001010ull));
	CU_ASSERT_PTR_NULL(kernel_module_at(&k, 0xffffffff81000123ull));
	CU_ASSERT_EQUAL(kernel_write_syms(&k, addrs, 3, out), 0);
	f = fopen(out, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		nlines++;
		saw_foo += strstr(line, " foo") != NULL;
		saw_bar += strstr(line, " bar") != NULL;
		saw_baz += strstr(line, " baz") != NULL;
		saw_mod += strstr(line, "modfn") != NULL;
		saw_next += strstr(line, "modnext") != NULL;
	}
	fclose(f);
	/* foo (hit) with bar (its bound), bar (hit) with baz, modfn with modnext, _text. */
	CU_ASSERT_EQUAL(saw_foo, 1);
	CU_ASSERT_EQUAL(saw_bar, 1);
	CU_ASSERT_EQUAL(saw_baz, 1);
	CU_ASSERT_EQUAL(saw_mod, 1);
	CU_ASSERT_EQUAL(saw_next, 1);
	CU_ASSERT_EQUAL(nlines, 6);
	kernel_free(&k);
}

/* ---- domains and setup ------------------------------------------------ */

static void
test_domains_parse(void)
{
	struct domains ds;
	uint32_t ids[8];
	char err[512];

	memset(&ds, 0, sizeof(ds));
	ds.nknown = 3;
	ds.known[0] = (struct hv_domain){ 0, "Domain-0", 2 };
	ds.known[1] = (struct hv_domain){ 1, "web01", 1 };
	ds.known[2] = (struct hv_domain){ 3, "db03", 2 };
	CU_ASSERT_EQUAL(domains_parse(&ds, "web01,3", "--active-domains", ids, 8, err, sizeof(err)), 2);
	CU_ASSERT_EQUAL(ids[0], 1);
	CU_ASSERT_EQUAL(ids[1], 3);
	CU_ASSERT_STRING_EQUAL(domains_name(&ds, 3), "db03");
	CU_ASSERT_EQUAL(domains_parse(&ds, "nosuch", "--active-domains", ids, 8, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "web01"));	/* says what exists */
	CU_ASSERT_EQUAL(domains_parse(&ds, "7", "--passive-domains", ids, 8, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(domains_parse(&ds, "1,web01", "--passive-domains", ids, 8, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
	CU_ASSERT_EQUAL(domains_parse(&ds, "0,1,3", "x", ids, 2, err, sizeof(err)), -1);
	ds.nknown = -1;
	strcpy(ds.why, "not on Xen");
	CU_ASSERT_EQUAL(domains_parse(&ds, "5", "x", ids, 8, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(domains_parse(&ds, "web01", "x", ids, 8, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not on Xen"));
}

static void
test_setup_parse(void)
{
	static const struct {
		const char *arg;
		int want;
	} cases[] = {
		{ "--event=cpu-clock:100000", 1 }, { "--event=cpu-clock", -1 },
		{ "--separate=library,thread", 1 }, { "--separate=bogus", -1 },
		{ "--separate=", -1 }, { "--vmlinux=/x", 1 }, { "--no-vmlinux", 1 },
		{ "--backend=perf", 1 }, { "--backend=other", -1 }, { "--flush-interval=5", -1 },
		{ "--flush-interval=500", 1 }, { "--callgraph=8", 1 }, { "--callgraph=9999", -1 },
		{ "--callgraph=x", -1 }, { "--force-images", 1 }, { "--xen=", -1 },
		{ "--frob", 0 }, { "--start", 0 },
	};
	struct setup s;
	char err[SETUP_ERR_LEN], path[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup_init(&s);
		CU_ASSERT_EQUAL(setup_apply(&s, cases[i].arg, err, sizeof(err)), cases[i].want);
		if (setup_apply(&s, cases[i].arg, err, sizeof(err)) != cases[i].want)
			fprintf(stderr, "setup case %s\n", cases[i].arg);
	}
	/* Store and load give the same setup. */
	setup_init(&s);
	setup_apply(&s, "--event=cpu-clock:250000", err, sizeof(err));
	setup_apply(&s, "--event=task-clock:500000:0x0:1:0", err, sizeof(err));
	setup_apply(&s, "--separate=kernel,cpu", err, sizeof(err));
	snprintf(path, sizeof(path), "%s/setup", tmpdir);
	CU_ASSERT_EQUAL_FATAL(setup_store(&s, path, err, sizeof(err)), 0);
	{
		struct setup t;

		setup_init(&t);
		CU_ASSERT_EQUAL_FATAL(setup_load(&t, path, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(t.nevents, 2);
		CU_ASSERT_STRING_EQUAL(t.events[1].name, "task-clock");
		CU_ASSERT_EQUAL(t.events[1].user, 0);
		CU_ASSERT_EQUAL(t.separate, s.separate);
		CU_ASSERT_EQUAL(t.flush_ms, s.flush_ms);
	}
	/* Image checks: not ELF, gzip. */
	{
		char bad[512];
		FILE *f;

		snprintf(bad, sizeof(bad), "%s/notelf", tmpdir);
		f = fopen(bad, "w");
		fputs("hello", f);
		fclose(f);
		CU_ASSERT_EQUAL(setup_check_image(bad, "--vmlinux", err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an ELF"));
		f = fopen(bad, "w");
		fputs("\x1f\x8b\x08\x00", f);
		fclose(f);
		CU_ASSERT_EQUAL(setup_check_image(bad, "--vmlinux", err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "uncompressed image needed"));
		CU_ASSERT_EQUAL(setup_check_image("/proc/self/exe", "--vmlinux", err, sizeof(err)), 0);
	}
}

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("daemon", NULL, NULL);
	CU_add_test(s, "procmap lookup and overlap", test_procmap_lookup);
	CU_add_test(s, "procmap fork, exec, exit before drain", test_procmap_fork_exec_exit);
	CU_add_test(s, "procmap lookup by address (no pid)", test_procmap_lookup_any);
	CU_add_test(s, "procmap fork drained after the child's exec", test_procmap_fork_after_exec);
	CU_add_test(s, "procmap never blocks on a FIFO", test_procmap_fifo);
	CU_add_test(s, "procmap scan of /proc/self", test_procmap_scan_self);
	CU_add_test(s, "procmap: an upgraded binary's new build-id", test_procmap_upgraded_build_id);
	CU_add_test(s, "attrib file offsets and [unknown]", test_attrib_file_offset);
	CU_add_test(s, "attrib deferral across rings", test_attrib_deferred_fork);
	CU_add_test(s, "attrib: stale maps of a known process read again", test_attrib_rescan_stale);
	CU_add_test(s, "attrib kernel and separation", test_attrib_kernel_and_separation);
	CU_add_test(s, "attrib: a stack's process", test_attrib_stack_process);
	CU_add_test(s, "attrib passive domains", test_attrib_domains);
	CU_add_test(s, "attrib vPMU: Xen range and guests", test_attrib_vpmu);
	CU_add_test(s, "kernel symbol subset", test_kernel_syms_subset);
	CU_add_test(s, "domain lists", test_domains_parse);
	CU_add_test(s, "setup parse, store, load", test_setup_parse);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fails++;
	}
	return fails ? 1 : 0;
}
