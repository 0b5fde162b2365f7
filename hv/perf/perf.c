/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * perf.c: the Linux perf_event backend.  System-wide: one event per
 * (online cpu, configured event), opened with pid = -1.  Per cpu, the first
 * event's fd owns the one mmap ring and carries the side-band (mmap, comm,
 * task) records; the cpu's other events write into it through
 * PERF_EVENT_IOC_SET_OUTPUT, and samples find their counter by event id.
 *
 * Ownership: struct perf_source owns every fd, every mapping and the bounce
 * buffer; perf_close() releases them all.  Not thread-safe: one thread
 * drives a source.
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

#define PERF_DEFAULT_PAGES	128		/* data pages per cpu: 512 KiB */
#define PERF_MAX_PAGES		(1u << 16)	/* 256 MiB per cpu, a sanity bound */
#define PERF_MAX_CPUS		8192
#define PERF_MIN_INTERVAL_MS	10
#define PERF_MAX_INTERVAL_MS	200

struct perf_cpu {
	int		cpu;
	int		fds[HV_MAX_EVENTS];	/* -1 when not open; fds[0] owns the ring */
	struct perf_event_mmap_page *meta;	/* mapping of fds[0], NULL when none */
	uint8_t	       *data;			/* meta + one page */
	struct perf_ring_ctx ring;
};

struct perf_source {
	uint32_t	nevents;
	struct hv_event	events[HV_MAX_EVENTS];
	bool		is_clock[HV_MAX_EVENTS];	/* count in ns, not in events */
	uint32_t	ncpus;
	struct perf_cpu *cpus;			/* ncpus, owned */
	size_t		page_size;
	uint64_t	data_size;		/* bytes of ring data per cpu */
	size_t		map_len;		/* page_size + data_size */
	uint8_t	       *bounce;			/* PERF_RECORD_MAX, shared by the rings */
	bool		all_software;
	bool		no_build_id;		/* kernel rejected attr.build_id */
	int		interval_ms;
	struct hv_stats	stats;
	char		cpu_type[64];
};

static long
perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group, unsigned long flags)
{
	return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

/* Read a small text file into BUF (NUL-terminated, trailing newline dropped). */
static int
perf_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static long
perf_read_long(const char *path, long dflt)
{
	char buf[32], *end;
	long v;

	if (perf_read_file(path, buf, sizeof(buf)) < 0)
		return dflt;
	v = strtol(buf, &end, 10);
	return end == buf ? dflt : v;
}

/*
 * The online cpus from a sysfs list such as "0-3,5,7-8" into a new array
 * (*CPUS, caller frees).  Their number, or -1 with ERR set.
 */
static int
perf_online_cpus(int **cpus, char *err, size_t errlen)
{
	static const char path[] = "/sys/devices/system/cpu/online";
	char buf[4096], *p, *end;
	long a, b, c;
	int *v, n = 0;

	if (perf_read_file(path, buf, sizeof(buf)) < 0)
		return hv_seterr(err, errlen, "cannot read %s: %s; is sysfs mounted?",
		    path, strerror(errno));
	if ((v = malloc(PERF_MAX_CPUS * sizeof(*v))) == NULL)
		return hv_seterr(err, errlen, "perf: out of memory");
	for (p = buf; *p != '\0';) {
		a = strtol(p, &end, 10);
		if (end == p || a < 0 || a >= PERF_MAX_CPUS)
			goto bad;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= PERF_MAX_CPUS)
				goto bad;
		}
		for (c = a; c <= b && n < PERF_MAX_CPUS; c++)
			v[n++] = (int)c;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			goto bad;
		p = end;
	}
	if (n == 0)
		goto bad;
	*cpus = v;
	return n;
bad:
	free(v);
	return hv_seterr(err, errlen, "cannot parse %s ('%.32s'); expected a cpu list "
	    "such as 0-3,6", path, buf);
}

/* Fill ATTR for event EV on the ring of its cpu; LEADER carries the side band. */
static void
perf_fill_attr(const struct perf_source *ps, const struct hv_event *ev, uint32_t type,
    uint64_t config, uint16_t depth, bool leader, struct perf_event_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = type;
	attr->config = config;
	attr->sample_period = ev->count;
	attr->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
	    PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
	if (depth > 0) {
		attr->sample_type |= PERF_SAMPLE_CALLCHAIN;
		attr->sample_max_stack = depth;
	}
	attr->disabled = 1;
	attr->exclude_kernel = !ev->kernel;
	attr->exclude_user = !ev->user;
	/*
	 * Hypervisor samples are what a Xen host is about (vPMU): keep them,
	 * unless kernel mode is excluded: the hypervisor is more privileged
	 * than the kernel, so KERNEL=0 means "user only".
	 */
	attr->exclude_hv = !ev->kernel;
	attr->sample_id_all = 1;
	attr->watermark = 1;
	attr->wakeup_watermark = (uint32_t)(ps->data_size / 4);
	if (leader) {
		/* Side band once per cpu, not once per event sharing the ring. */
		attr->mmap = 1;
		attr->mmap2 = 1;
		attr->comm = 1;
		attr->comm_exec = 1;
		attr->task = 1;
		attr->build_id = !ps->no_build_id;
	}
}

/* The one-line reason perf_event_open failed with ERRNO_ for event EV on CPU. */
static int
perf_open_error(int errno_, const struct hv_event *ev, const struct perf_event_def *def,
    int cpu, char *err, size_t errlen)
{
	switch (errno_) {
	case EACCES:
	case EPERM:
		return hv_seterr(err, errlen, "event '%s': perf_event_open not permitted "
		    "(%s); system-wide sampling needs root (CAP_PERFMON) or "
		    "/proc/sys/kernel/perf_event_paranoid <= 0 (now %ld)", ev->name,
		    strerror(errno_), perf_read_long("/proc/sys/kernel/perf_event_paranoid", 99));
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		if (def->needs_pmu)
			return hv_seterr(err, errlen, "event '%s': this machine has no "
			    "hardware PMU (perf_event_open: %s); use cpu-clock:N instead",
			    ev->name, strerror(errno_));
		break;
	case EMFILE:
	case ENFILE:
		return hv_seterr(err, errlen, "event '%s' on cpu %d: out of file "
		    "descriptors (%s); raise the limit (ulimit -n)", ev->name, cpu,
		    strerror(errno_));
	case EOVERFLOW:
		return hv_seterr(err, errlen, "event '%s': call-chain depth too large "
		    "(%s); lower --callgraph or raise /proc/sys/kernel/perf_event_max_stack",
		    ev->name, strerror(errno_));
	case EINVAL:
		if (def->type == PERF_TYPE_RAW)
			return hv_seterr(err, errlen, "event '%s': the PMU rejected this raw "
			    "code (%s); check the event code for this cpu model",
			    ev->name, strerror(errno_));
		break;
	case EBUSY:
		return hv_seterr(err, errlen, "event '%s': the PMU is busy (%s); another "
		    "tool owns the counters, stop it and retry", ev->name, strerror(errno_));
	}
	return hv_seterr(err, errlen, "event '%s' on cpu %d: perf_event_open: %s",
	    ev->name, cpu, strerror(errno_));
}

static void perf_close(void *be);

/* Open every event on cpu slot PC and set up its ring.  0, or -1 with ERR set. */
static int
perf_open_cpu(struct perf_source *ps, struct perf_cpu *pc,
    const struct perf_event_def *const *defs, const uint32_t *types,
    const uint64_t *configs, uint16_t depth, char *err, size_t errlen)
{
	struct perf_event_attr attr;
	uint64_t id;
	uint32_t e;
	long fd;
	void *m;

	for (e = 0; e < ps->nevents; e++) {
		perf_fill_attr(ps, &ps->events[e], types[e], configs[e], depth, e == 0, &attr);
		fd = perf_event_open(&attr, -1, pc->cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0 && errno == EINVAL && attr.build_id) {
			/* Before Linux 5.12: no build id in MMAP2; the reader finds it. */
			ps->no_build_id = true;
			attr.build_id = 0;
			fd = perf_event_open(&attr, -1, pc->cpu, -1, PERF_FLAG_FD_CLOEXEC);
		}
		if (fd < 0)
			return perf_open_error(errno, &ps->events[e], defs[e], pc->cpu, err, errlen);
		pc->fds[e] = (int)fd;

		if (e == 0) {
			m = mmap(NULL, ps->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, pc->fds[0], 0);
			if (m == MAP_FAILED)
				return hv_seterr(err, errlen, "cpu %d: cannot map the %llu KiB "
				    "sample ring (%s); use fewer ring pages, or raise "
				    "/proc/sys/kernel/perf_event_mlock_kb", pc->cpu,
				    (unsigned long long)(ps->data_size >> 10), strerror(errno));
			pc->meta = m;
			pc->data = (uint8_t *)m + ps->page_size;
		} else if (ioctl(pc->fds[e], PERF_EVENT_IOC_SET_OUTPUT, pc->fds[0]) < 0)
			return hv_seterr(err, errlen, "event '%s' on cpu %d: cannot share the "
			    "cpu's ring (PERF_EVENT_IOC_SET_OUTPUT: %s)", ps->events[e].name,
			    pc->cpu, strerror(errno));
		if (ioctl(pc->fds[e], PERF_EVENT_IOC_ID, &id) < 0)
			return hv_seterr(err, errlen, "event '%s' on cpu %d: "
			    "PERF_EVENT_IOC_ID: %s", ps->events[e].name, pc->cpu, strerror(errno));
		pc->ring.ids[e] = id;
	}
	pc->ring.sample_type = attr.sample_type;
	pc->ring.sample_id_all = true;
	pc->ring.cpu = (uint32_t)pc->cpu;
	pc->ring.nids = ps->nevents;
	pc->ring.max_chain = depth;
	pc->ring.bounce = ps->bounce;
	return 0;
}

/*
 * A quarter of the time a busy cpu takes to fill its ring: bytes per sample
 * (header, identifier, ip, tid, time, cpu, and the chain) times the highest
 * sample rate (clocks: 1e9 ns/s over the period; PMU events: a busy 4 GHz
 * core counting one event per cycle), clamped to 10..200 ms.
 */
static int
perf_interval(const struct perf_source *ps, uint16_t depth)
{
	double rate = 0, bytes, ms;
	uint32_t e;

	bytes = 48 + (depth > 0 ? 8 + 8.0 * (depth + 2) : 0);
	for (e = 0; e < ps->nevents; e++)
		rate += (ps->is_clock[e] ? 1e9 : 4e9) / (double)ps->events[e].count;
	ms = (double)ps->data_size / (rate * bytes) * 1000.0 / 4;
	if (ms < PERF_MIN_INTERVAL_MS)
		return PERF_MIN_INTERVAL_MS;
	if (ms > PERF_MAX_INTERVAL_MS)
		return PERF_MAX_INTERVAL_MS;
	return (int)ms;
}

static void *
perf_open(const struct hv_config *cfg, char *err, size_t errlen)
{
	const struct perf_event_def *defs[HV_MAX_EVENTS];
	uint32_t types[HV_MAX_EVENTS], pages, e, i;
	uint64_t configs[HV_MAX_EVENTS];
	struct perf_source *ps;
	char pmu[48];
	int *cpus = NULL, ncpus;
	long maxstack;
	uint16_t depth;

	if (cfg->nevents == 0 || cfg->nevents > HV_MAX_EVENTS) {
		hv_seterr(err, errlen, "perf: %u events configured; give 1 to %d "
		    "(--event=NAME:COUNT)", cfg->nevents, HV_MAX_EVENTS);
		return NULL;
	}
	pages = cfg->ring_pages ? cfg->ring_pages : PERF_DEFAULT_PAGES;
	if ((pages & (pages - 1)) != 0 || pages > PERF_MAX_PAGES) {
		hv_seterr(err, errlen, "perf: ring of %u pages per cpu; use a power of 2 "
		    "up to %u (default %u)", pages, PERF_MAX_PAGES, PERF_DEFAULT_PAGES);
		return NULL;
	}
	for (e = 0; e < cfg->nevents; e++)
		if (perf_event_resolve(&cfg->events[e], &defs[e], &types[e], &configs[e],
		    err, errlen) < 0)
			return NULL;
	depth = 0;
	if (cfg->callgraph > 0) {
		maxstack = perf_read_long("/proc/sys/kernel/perf_event_max_stack", 127);
		depth = (uint16_t)(cfg->callgraph < HV_MAX_CHAIN ? cfg->callgraph : HV_MAX_CHAIN);
		if (maxstack > 0 && depth > maxstack)
			depth = (uint16_t)maxstack;
	}
	if ((ncpus = perf_online_cpus(&cpus, err, errlen)) < 0)
		return NULL;

	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->cpus = calloc((size_t)ncpus, sizeof(*ps->cpus))) == NULL ||
	    (ps->bounce = malloc(PERF_RECORD_MAX)) == NULL) {
		hv_seterr(err, errlen, "perf: out of memory");
		free(cpus);
		perf_close(ps);
		return NULL;
	}
	ps->nevents = cfg->nevents;
	memcpy(ps->events, cfg->events, sizeof(ps->events));
	ps->ncpus = (uint32_t)ncpus;
	ps->page_size = (size_t)sysconf(_SC_PAGESIZE);
	ps->data_size = (uint64_t)pages * ps->page_size;
	ps->map_len = ps->page_size + ps->data_size;
	for (i = 0; i < ps->ncpus; i++) {
		ps->cpus[i].cpu = cpus[i];
		for (e = 0; e < HV_MAX_EVENTS; e++)
			ps->cpus[i].fds[e] = -1;
	}
	free(cpus);

	ps->all_software = true;
	for (e = 0; e < ps->nevents; e++) {
		ps->is_clock[e] = types[e] == PERF_TYPE_SOFTWARE;
		if (defs[e]->needs_pmu)
			ps->all_software = false;
	}
	if (ps->all_software)
		snprintf(ps->cpu_type, sizeof(ps->cpu_type), "timer");
	else if (perf_read_file("/sys/bus/event_source/devices/cpu/caps/pmu_name",
	    pmu, sizeof(pmu)) == 0 && pmu[0] != '\0')
		snprintf(ps->cpu_type, sizeof(ps->cpu_type), "perf/%s", pmu);
	else
		snprintf(ps->cpu_type, sizeof(ps->cpu_type), "perf/pmu");

	for (i = 0; i < ps->ncpus; i++)
		if (perf_open_cpu(ps, &ps->cpus[i], defs, types, configs, depth, err, errlen) < 0) {
			perf_close(ps);
			return NULL;
		}
	ps->interval_ms = perf_interval(ps, depth);
	return ps;
}

static const char *
perf_cpu_type(const void *be)
{
	return ((const struct perf_source *)be)->cpu_type;
}

/* ENABLE or DISABLE every event.  0, or -1 with ERR set (the rest still tried). */
static int
perf_ioctl_all(struct perf_source *ps, unsigned long req, const char *what,
    char *err, size_t errlen)
{
	uint32_t i, e;
	int rc = 0;

	for (i = 0; i < ps->ncpus; i++)
		for (e = 0; e < ps->nevents; e++)
			if (ps->cpus[i].fds[e] >= 0 &&
			    ioctl(ps->cpus[i].fds[e], req, 0) < 0 && rc == 0)
				rc = hv_seterr(err, errlen, "event '%s' on cpu %d: %s: %s",
				    ps->events[e].name, ps->cpus[i].cpu, what, strerror(errno));
	return rc;
}

static int
perf_start(void *be, char *err, size_t errlen)
{
	return perf_ioctl_all(be, PERF_EVENT_IOC_ENABLE, "PERF_EVENT_IOC_ENABLE", err, errlen);
}

static int
perf_stop(void *be, char *err, size_t errlen)
{
	return perf_ioctl_all(be, PERF_EVENT_IOC_DISABLE, "PERF_EVENT_IOC_DISABLE", err, errlen);
}

static int
perf_pollfds(void *be, struct pollfd *fds, int max)
{
	struct perf_source *ps = be;
	int i;

	for (i = 0; i < max && (uint32_t)i < ps->ncpus; i++) {
		fds[i].fd = ps->cpus[i].fds[0];
		fds[i].events = POLLIN;
		fds[i].revents = 0;
	}
	return i;
}

static int
perf_poll_interval_ms(const void *be)
{
	return ((const struct perf_source *)be)->interval_ms;
}

static long
perf_drain(void *be, const struct hv_sink *sink)
{
	static const struct hv_sink none;
	struct perf_source *ps = be;
	struct perf_cpu *pc;
	uint64_t before = ps->stats.records, head, tail;
	uint32_t i;

	if (sink == NULL)
		sink = &none;
	for (i = 0; i < ps->ncpus; i++) {
		pc = &ps->cpus[i];
		if (pc->meta == NULL)
			continue;
		/* The kernel writes head, we write tail: acquire/release pair. */
		head = __atomic_load_n(&pc->meta->data_head, __ATOMIC_ACQUIRE);
		tail = pc->meta->data_tail;
		tail = perf_ring_read(&pc->ring, pc->data, ps->data_size, tail, head,
		    sink, &ps->stats);
		__atomic_store_n(&pc->meta->data_tail, tail, __ATOMIC_RELEASE);
	}
	return (long)(ps->stats.records - before);
}

static void
perf_stats(const void *be, struct hv_stats *st)
{
	*st = ((const struct perf_source *)be)->stats;
}

static void
perf_close(void *be)
{
	struct perf_source *ps = be;
	struct perf_cpu *pc;
	uint32_t i, e;

	if (ps == NULL)
		return;
	for (i = 0; ps->cpus != NULL && i < ps->ncpus; i++) {
		pc = &ps->cpus[i];
		for (e = 0; e < HV_MAX_EVENTS; e++)
			if (pc->fds[e] >= 0)
				ioctl(pc->fds[e], PERF_EVENT_IOC_DISABLE, 0);
		if (pc->meta != NULL)
			munmap(pc->meta, ps->map_len);
		for (e = 0; e < HV_MAX_EVENTS; e++)
			if (pc->fds[e] >= 0)
				close(pc->fds[e]);
	}
	free(ps->cpus);
	free(ps->bounce);
	free(ps);
}

static const struct hv_event_info *
perf_events(size_t *n)
{
	return perf_event_infos(n);
}

static int
perf_check(const struct hv_event *ev, char *err, size_t errlen)
{
	const struct perf_event_def *def;
	uint32_t type;
	uint64_t config;

	return perf_event_resolve(ev, &def, &type, &config, err, errlen);
}

/*
 * Open EV, disabled, system-wide on the first online cpu, as the daemon
 * would (without the ring), and close it again: no PMU, no permission or a
 * raw code the PMU rejects fail here with the message perf_open gives.
 */
static int
perf_probe(const struct hv_event *ev, char *err, size_t errlen)
{
	const struct perf_event_def *def;
	struct perf_event_attr attr;
	uint32_t type;
	uint64_t config;
	int *cpus = NULL, ncpus, cpu;
	long fd;

	if (perf_event_resolve(ev, &def, &type, &config, err, errlen) < 0)
		return -1;
	if ((ncpus = perf_online_cpus(&cpus, err, errlen)) < 0)
		return -1;
	cpu = ncpus > 0 ? cpus[0] : 0;
	free(cpus);
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = config;
	attr.sample_period = ev->count;
	attr.sample_type = PERF_SAMPLE_IP;
	attr.disabled = 1;
	attr.exclude_kernel = !ev->kernel;
	attr.exclude_user = !ev->user;
	attr.exclude_hv = !ev->kernel;
	fd = perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return perf_open_error(errno, ev, def, cpu, err, errlen);
	close((int)fd);
	return 0;
}

const struct hv_backend_ops hv_perf_ops = {
	.name = "perf",
	.open = perf_open,
	.cpu_type = perf_cpu_type,
	.start = perf_start,
	.stop = perf_stop,
	.pollfds = perf_pollfds,
	.poll_interval_ms = perf_poll_interval_ms,
	.drain = perf_drain,
	.stats = perf_stats,
	.close = perf_close,
	.events = perf_events,
	.check = perf_check,
	.probe = perf_probe,
	.default_event = "cpu-clock:1000000",
};
