/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sideband.c: process tracking for sources whose samples carry no pid
 * (xenoprof).  One software "dummy" perf event per online cpu, system-wide,
 * that counts nothing and samples nothing but writes the side band (MMAP2,
 * COMM, FORK, EXIT) into its ring.  A kernel with perf_event but no PMU
 * driver (a PV dom0: "no PMU driver, software events only") has it too.
 *
 * A drain reads every cpu's ring and delivers all it read sorted by time
 * (order.c): an exec on one cpu and a fork on another within one drain reach
 * the sink in the order they happened.  Nothing is held back: the samples
 * drained after the side band must find every process they ran in.
 *
 * Ownership: struct perf_sideband owns its fds, mappings, bounce buffer and
 * order queue.
 * Records lost in its rings are side band lost, not samples: they are
 * counted in the sideband's own numbers, never passed to the sink as losses.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/perf/perfP.h"

#define SB_PAGES	64		/* data pages per cpu: 256 KiB */
#define SB_MAX_CPUS	8192

struct sb_cpu {
	int		fd;
	struct perf_event_mmap_page *meta;
	uint8_t	       *data;
	struct perf_ring_ctx ring;
};

struct perf_sideband {
	uint32_t	ncpus;
	struct sb_cpu  *cpus;
	size_t		map_len;
	uint64_t	data_size;
	uint8_t	       *bounce;
	struct perf_ring_ctx **rings;	/* ncpus: &cpus[i].ring, for order.c */
	struct perf_order order;
	uint64_t	lost;		/* side-band records the kernel dropped */
	const struct hv_sink *sink;	/* during a drain */
};

static long
sb_perf_event_open(struct perf_event_attr *attr, int cpu)
{
	return syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

/* The online cpus ("0-3,5") into CPUS (at most MAX); their number or -1. */
static int
sb_online_cpus(int *cpus, int max)
{
	char buf[4096], *p, *end;
	ssize_t n;
	long a, b;
	int fd, k = 0;

	if ((fd = open("/sys/devices/system/cpu/online", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; *p != '\0' && *p != '\n';) {
		a = strtol(p, &end, 10);
		if (end == p || a < 0)
			return -1;
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b && k < max; a++)
			cpus[k++] = (int)a;
		p = *end == ',' ? end + 1 : end;
	}
	return k > 0 ? k : -1;
}

void
perf_sideband_close(struct perf_sideband *sb)
{
	if (sb == NULL)
		return;
	for (uint32_t i = 0; sb->cpus != NULL && i < sb->ncpus; i++) {
		if (sb->cpus[i].meta != NULL)
			munmap(sb->cpus[i].meta, sb->map_len);
		if (sb->cpus[i].fd >= 0)
			close(sb->cpus[i].fd);
	}
	free(sb->cpus);
	free(sb->rings);
	free(sb->bounce);
	perf_order_free(&sb->order);
	free(sb);
}

struct perf_sideband *
perf_sideband_open(char *err, size_t errlen)
{
	struct perf_sideband *sb;
	struct perf_event_attr attr;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int *cpus, n;
	bool no_build_id = false;

	if ((cpus = malloc(SB_MAX_CPUS * sizeof(*cpus))) == NULL) {
		hv_seterr(err, errlen, "out of memory");
		return NULL;
	}
	if ((n = sb_online_cpus(cpus, SB_MAX_CPUS)) < 0) {
		free(cpus);
		hv_seterr(err, errlen, "cannot read /sys/devices/system/cpu/online (is sysfs mounted?)");
		return NULL;
	}
	if ((sb = calloc(1, sizeof(*sb))) == NULL ||
	    (sb->cpus = calloc((size_t)n, sizeof(*sb->cpus))) == NULL ||
	    (sb->rings = calloc((size_t)n, sizeof(*sb->rings))) == NULL ||
	    (sb->bounce = malloc(PERF_RECORD_MAX)) == NULL) {
		free(cpus);
		perf_sideband_close(sb);
		hv_seterr(err, errlen, "out of memory");
		return NULL;
	}
	sb->ncpus = (uint32_t)n;
	sb->data_size = (uint64_t)SB_PAGES * page;
	sb->map_len = page + sb->data_size;
	for (int i = 0; i < n; i++) {
		sb->cpus[i].fd = -1;
		sb->rings[i] = &sb->cpus[i].ring;
	}
	for (int i = 0; i < n; i++) {
		struct sb_cpu *c = &sb->cpus[i];
		long fd;
		void *m;

		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_DUMMY;
		attr.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
		    PERF_SAMPLE_CPU;
		attr.sample_id_all = 1;
		attr.disabled = 1;
		attr.mmap = 1;
		attr.mmap2 = 1;
		attr.comm = 1;
		attr.comm_exec = 1;
		attr.task = 1;
		attr.build_id = !no_build_id;
		attr.watermark = 1;
		attr.wakeup_watermark = (uint32_t)(sb->data_size / 4);
		fd = sb_perf_event_open(&attr, cpus[i]);
		if (fd < 0 && errno == EINVAL && attr.build_id) {
			/* Before Linux 5.12: no build-id in MMAP2; procmap reads the file. */
			no_build_id = true;
			attr.build_id = 0;
			fd = sb_perf_event_open(&attr, cpus[i]);
		}
		if (fd < 0) {
			int e = errno;

			hv_seterr(err, errlen, "perf_event_open of a software event on cpu %d: %s%s",
			    cpus[i], strerror(e), e == EACCES || e == EPERM ? " (needs root or "
			    "CAP_PERFMON)" : e == ENOSYS || e == ENOENT ? " (a kernel without "
			    "CONFIG_PERF_EVENTS)" : "");
			free(cpus);
			perf_sideband_close(sb);
			return NULL;
		}
		c->fd = (int)fd;
		m = mmap(NULL, sb->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (m == MAP_FAILED) {
			hv_seterr(err, errlen, "cpu %d: cannot map the side-band ring: %s",
			    cpus[i], strerror(errno));
			free(cpus);
			perf_sideband_close(sb);
			return NULL;
		}
		c->meta = m;
		c->data = (uint8_t *)m + page;
		c->ring.sample_type = attr.sample_type;
		c->ring.sample_id_all = true;
		c->ring.cpu = (uint32_t)cpus[i];
		c->ring.bounce = sb->bounce;
	}
	free(cpus);
	return sb;
}

int
perf_sideband_enable(struct perf_sideband *sb, bool on, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < sb->ncpus; i++)
		if (ioctl(sb->cpus[i].fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0) < 0)
			return hv_seterr(err, errlen, "side band: %s: %s", on ? "enable" : "disable",
			    strerror(errno));
	return 0;
}

/* Losses in a side-band ring are records, not samples: keep them here. */
static void
sb_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	struct perf_sideband *sb = ctx;

	sb->lost += n;
}

#define SB_FWD(name, params, args) \
	static void sb_##name params { struct perf_sideband *sb = ctx; \
	if (sb->sink->name != NULL) sb->sink->name args; }
SB_FWD(mmap, (void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *bid, size_t bidlen, bool exec),
    (sb->sink->ctx, pid, tid, start, len, pgoff, path, bid, bidlen, exec))
SB_FWD(comm, (void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec),
    (sb->sink->ctx, pid, tid, comm, exec))
SB_FWD(fork, (void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid),
    (sb->sink->ctx, pid, ppid, tid, ptid))
SB_FWD(exit, (void *ctx, uint32_t pid, uint32_t tid), (sb->sink->ctx, pid, tid))
SB_FWD(mmap_file, (void *ctx, const struct hv_mmap *m), (sb->sink->ctx, m))
#undef SB_FWD

uint64_t
perf_sideband_drain(struct perf_sideband *sb, const struct hv_sink *sink)
{
	struct hv_sink fwd = {
		.ctx = sb, .lost = sb_lost, .mmap = sb_mmap, .comm = sb_comm,
		.fork = sb_fork, .exit = sb_exit, .mmap_file = sink->mmap_file ? sb_mmap_file : NULL,
	};
	struct hv_stats st;

	memset(&st, 0, sizeof(st));
	sb->sink = sink;
	for (uint32_t i = 0; i < sb->ncpus; i++) {
		struct sb_cpu *c = &sb->cpus[i];
		uint64_t head = __atomic_load_n(&c->meta->data_head, __ATOMIC_ACQUIRE);
		uint64_t tail = c->meta->data_tail;

		tail = perf_order_collect(&sb->order, &c->ring, i, c->data, sb->data_size, tail, head,
		    0, &fwd, &st);
		__atomic_store_n(&c->meta->data_tail, tail, __ATOMIC_RELEASE);
	}
	perf_order_deliver(&sb->order, sb->rings, UINT64_MAX, &fwd, &st);
	sb->sink = NULL;
	return st.records;
}

uint64_t
perf_sideband_lost(const struct perf_sideband *sb)
{
	return sb->lost;
}
