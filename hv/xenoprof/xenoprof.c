/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xenoprof backend: Xen's xenoprof_op driven from user space.
 *
 * Primary (dom0): crash recovery, init, get_buffer + map, active list (self
 * plus --active-domains), passive list (each ring mapped), set_backtrace,
 * reserve_counters, a counter for every index, setup_events, enable_virq;
 * start waits (bounded) for every active domain; stop; teardown in the
 * strict order stop, disable_virq, release_counters, unmap, reset lists,
 * shutdown — also when open fails half way, so nothing is left set up.
 * Secondary (an active domU): init, get_buffer + map, enable_virq at start.
 *
 * Rings are polled (VIRQ_XENOPROF is only a hint); the poll interval adapts
 * to how full the rings were at the last drain.
 *
 * After open, the hypercalls of start, stop and teardown are the only ones
 * (xo_hyp): a daemon that gives up its privileges closes privcmd
 * (xo_unprivileged) and has them made by the process that kept them
 * (hv_privop_run, with a handle of its own), through x->privop.
 */

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define __XEN_TOOLS__ 1
#include <xencall.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenstore.h>
#include <xen/xen.h>
#include <xen/xenoprof.h>

#include "hv/hvP.h"
#include "hv/perf/perfP.h"
#include "hv/xenoprof/xoP.h"

#define XO_MAX_MAPS	(1 + HV_MAX_DOMAINS)
#define XO_MAX_PASSIVE	25	/* MAX_OPROF_DOMAINS */
#define XO_MAX_ACTIVE	25

struct xo_map {
	uint32_t	domid;
	void	       *base;
	size_t		npages;
	uint32_t	nbuf, bufsize;
};

struct xo {
	xencall_handle *xc;
	xenforeignmemory_handle *fm;
	void	       *hbuf;		/* one page of hypercall buffer */
	bool		primary;
	uint32_t	self;		/* our domain id */
	char		cpu_type[XENOPROF_CPU_TYPE_SIZE];
	int		num_events;
	struct xo_ring_cfg rcfg;
	uint32_t	callgraph;
	struct xo_map	maps[XO_MAX_MAPS];
	uint32_t	nmaps;
	struct xo_ring *rings;
	uint32_t	nrings;
	uint32_t	nactive;
	uint32_t	active[HV_MAX_DOMAINS];	/* other active domains */
	bool		reserved, virq, profiling, initialized, got_buffer, listed;
	int		interval_ms;
	uint64_t	last_drain_us;
	int		start_timeout_ms;
	int		lockfd;
	struct hv_stats	st;
	struct perf_sideband *sb;	/* process tracking, NULL when none */
	char		tracking[2 * HV_ERR_LEN];	/* hv_tracking() */
	hv_privop_fn	privop;		/* NULL: this process makes the calls itself */
	void	       *privop_ctx;
};

/* libxen* print through a logger: ours discards, errors come back as errno. */
static void
xo_nolog(struct xentoollog_logger *l, xentoollog_level level, int errnoval,
    const char *context, const char *format, va_list al)
{
}

static void
xo_nodestroy(struct xentoollog_logger *l)
{
}

static struct xentoollog_logger xo_logger = {
	.vmessage = xo_nolog, .progress = NULL, .destroy = xo_nodestroy,
};

struct xentoollog_logger *
xo_quiet_logger(void)
{
	return &xo_logger;
}

int
xo_hypercall(xencall_handle *xc, void *hbuf, int op, const void *in, size_t len)
{
	if (in != NULL)
		memcpy(hbuf, in, len);
	return xencall2(xc, __HYPERVISOR_xenoprof_op, (uint64_t)op,
	    in != NULL || len ? (uint64_t)(uintptr_t)hbuf : 0);
}

static int
xo_op(struct xo *x, int op, const void *in, size_t len)
{
	return xo_hypercall(x->xc, x->hbuf, op, in, len);
}

const char *
xo_errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	default: return strerror(e);
	}
}

/* ---- mappings --------------------------------------------------------- */

static int
xo_map(struct xo *x, uint32_t domid, uint32_t nbuf, uint32_t bufsize, uint64_t gmaddr,
    char *err, size_t errlen)
{
	struct xo_map *m;
	xen_pfn_t *pfns;
	int *errs;
	size_t npages, bytes;

	if (x->nmaps == XO_MAX_MAPS)
		return hv_seterr(err, errlen, "too many sample buffers to map");
	if (nbuf == 0 || nbuf > 4096 || bufsize < XO_HEADER_SIZE + XO_ENTRY_SIZE ||
	    (uint64_t)nbuf * bufsize > 32 * 4096 || (gmaddr & 4095))
		return hv_seterr(err, errlen, "domain %u: the hypervisor reported an impossible "
		    "buffer geometry (%u buffers of %u bytes at 0x%llx)", domid, nbuf, bufsize,
		    (unsigned long long)gmaddr);
	bytes = (size_t)nbuf * bufsize;
	npages = (bytes + 4095) / 4096;
	pfns = calloc(npages, sizeof(*pfns));
	errs = calloc(npages, sizeof(*errs));
	if (pfns == NULL || errs == NULL) {
		free(pfns);
		free(errs);
		return hv_seterr(err, errlen, "out of memory");
	}
	for (size_t i = 0; i < npages; i++)
		pfns[i] = (xen_pfn_t)((gmaddr >> 12) + i);
	m = &x->maps[x->nmaps];
	m->base = xenforeignmemory_map(x->fm, DOMID_SELF, PROT_READ | PROT_WRITE, npages, pfns, errs);
	if (m->base != NULL)
		for (size_t i = 0; i < npages; i++)
			if (errs[i] != 0) {
				xenforeignmemory_unmap(x->fm, m->base, npages);
				m->base = NULL;
				errno = -errs[i];
				break;
			}
	free(pfns);
	free(errs);
	if (m->base == NULL)
		return hv_seterr(err, errlen, "domain %u: cannot map its sample buffers: %s",
		    domid, strerror(errno));
	m->domid = domid;
	m->npages = npages;
	m->nbuf = nbuf;
	m->bufsize = bufsize;
	x->nmaps++;

	/* One ring per vCPU buffer, packed at BUFSIZE strides. */
	{
		struct xo_ring *r = realloc(x->rings, (x->nrings + nbuf) * sizeof(*r));

		if (r == NULL)
			return hv_seterr(err, errlen, "out of memory");
		x->rings = r;
		for (uint32_t v = 0; v < nbuf; v++) {
			volatile uint8_t *b = (volatile uint8_t *)m->base + (size_t)v * bufsize;

			if (xo_ring_attach(&x->rings[x->nrings], b, bytes - (size_t)v * bufsize,
			    bufsize, domid) == -1)
				return hv_seterr(err, errlen, "domain %u vcpu %u: the ring header does not "
				    "match the geometry the hypervisor reported", domid, v);
			x->nrings++;
		}
	}
	return 0;
}

static void
xo_unmap_all(struct xo *x)
{
	for (uint32_t i = 0; i < x->nmaps; i++) {
		if (x->fm != NULL)
			xenforeignmemory_unmap(x->fm, x->maps[i].base, x->maps[i].npages);
		else	/* privcmd closed (xo_unprivileged): what the library's unmap does */
			munmap(x->maps[i].base, x->maps[i].npages * 4096);
	}
	x->nmaps = 0;
	free(x->rings);
	x->rings = NULL;
	x->nrings = 0;
}

/* ---- the sequence ----------------------------------------------------- */

/*
 * Undo whatever a previous daemon left in the hypervisor.  init must not be
 * first: by the primary it forces the state back to INITIALIZED even while
 * counters run.  Each op fails harmlessly (EPERM) if there is nothing to undo.
 */
void
xo_recover_ops(xencall_handle *xc, void *hbuf)
{
	xo_hypercall(xc, hbuf, XENOPROF_stop, NULL, 0);
	xo_hypercall(xc, hbuf, XENOPROF_disable_virq, NULL, 0);
	xo_hypercall(xc, hbuf, XENOPROF_release_counters, NULL, 0);
	xo_hypercall(xc, hbuf, XENOPROF_reset_passive_list, NULL, 0);
	xo_hypercall(xc, hbuf, XENOPROF_reset_active_list, NULL, 0);
	xo_hypercall(xc, hbuf, XENOPROF_shutdown, NULL, 0);
}

/* Small sysfs/procfs file PATH into BUF; bytes read or -1. */
static ssize_t
xo_readf(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Is this the control domain (/proc/xen/capabilities says control_d)? */
bool
xo_control_domain(void)
{
	char buf[128];

	return xo_readf("/proc/xen/capabilities", buf, sizeof(buf)) > 0 &&
	    strstr(buf, "control_d") != NULL;
}

int
xo_self(uint32_t *self, char *err, size_t errlen)
{
	char why[HV_ERR_LEN];

	if (hv_xenstore_self(self, NULL, 0, why, sizeof(why)) == 0)
		return 0;
	if (xo_control_domain()) {
		*self = 0;	/* dom0 without a xenstore answer */
		return 0;
	}
	return hv_seterr(err, errlen, "xenoprof: cannot tell this domain's id: %s", why);
}

void
xo_init_error(int e, char *why, size_t len)
{
	if (e == ENOSYS)
		hv_seterr(why, len, "xenoprof unavailable (init: ENOSYS): Xen 4.22 or later, a PVH or "
		    "HVM dom0, or a hypervisor built without CONFIG_XENOPROF; use --backend=perf "
		    "(boot Xen with vpmu= to see the hypervisor from perf)");
	else if (e == ENODEV)
		hv_seterr(why, len, "xenoprof does not support this CPU (init: ENODEV, e.g. AMD "
		    "family 17h and later, Hygon); use --backend=perf");
	else if (e == EPERM && !xo_control_domain())
		hv_seterr(why, len, "xenoprof refused (init: EPERM): in a domU Linux's privcmd passes "
		    "no hypercalls unless loaded with unrestricted=1 (modprobe xen-privcmd "
		    "unrestricted=1, or xen_privcmd.unrestricted=1 on the kernel command line); "
		    "else an XSM policy refuses profiling");
	else if (e == EPERM || e == EACCES)
		hv_seterr(why, len, "xenoprof refused (init: %s): the XSM policy does not allow "
		    "profiling from this domain", xo_errname(e));
	else
		hv_seterr(why, len, "xenoprof init failed: %s", xo_errname(e));
}

static void
xo_msleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * The hypercalls of start, stop and the teardown's two halves, with handle
 * XC and buffer HBUF: made by the source itself, or for it by the process
 * that kept the privileges (hv_privop_run).  0, or -1 with ERR.
 */
static int
xo_hyp(xencall_handle *xc, void *hbuf, const struct hv_privop_args *a, char *err, size_t errlen)
{
	domid_t id = (domid_t)a->self;
	int waited = 0;

	switch (a->op) {
	case HV_PRIVOP_START:
		if (!a->primary) {
			/* An active domain joins the primary's session. */
			if (xo_hypercall(xc, hbuf, XENOPROF_enable_virq, NULL, 0) == 0)
				return 0;
			if (errno == EPERM)
				return hv_seterr(err, errlen, "domain %u is not in dom0's active list: run "
				    "xenprof-ctl --start-daemon --active-domains=%u in dom0 first",
				    a->self, a->self);
			return hv_seterr(err, errlen, "xenoprof enable_virq failed: %s", xo_errname(errno));
		}
		/* start is refused until every active domain did enable_virq. */
		while (xo_hypercall(xc, hbuf, XENOPROF_start, NULL, 0) < 0) {
			char list[256] = "";
			size_t o = 0;

			if (errno != EPERM || waited >= a->start_timeout_ms) {
				for (uint32_t i = 0; i < a->nactive && i < HV_MAX_DOMAINS && o < sizeof(list); i++)
					o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%u", i ? "," : "",
					    a->active[i]);
				if (errno == EPERM && a->nactive)
					return hv_seterr(err, errlen, "start: not every active domain is ready "
					    "after %d ms (active domains %s): run xenprof-ctl --start in each "
					    "of them", waited, list);
				return hv_seterr(err, errlen, "xenoprof start failed: %s", xo_errname(errno));
			}
			xo_msleep_ms(10);
			waited += 10;
		}
		return 0;
	case HV_PRIVOP_STOP:
		if (a->primary && xo_hypercall(xc, hbuf, XENOPROF_stop, NULL, 0) < 0)
			return hv_seterr(err, errlen, "xenoprof stop failed: %s", xo_errname(errno));
		return 0;
	case HV_PRIVOP_RELEASE:
		if (a->profiling && a->primary)
			xo_hypercall(xc, hbuf, XENOPROF_stop, NULL, 0);
		/* disable_virq also unshares our buffer pages: without it the next
		 * get_buffer finds them referenced (EBUSY), even if virq was never
		 * on.  It does so only for a domain on the active list. */
		if (a->virq) {
			if (a->primary && !a->listed)
				xo_hypercall(xc, hbuf, XENOPROF_set_active, &id, sizeof(id));
			xo_hypercall(xc, hbuf, XENOPROF_disable_virq, NULL, 0);
		}
		if (a->reserved)
			xo_hypercall(xc, hbuf, XENOPROF_release_counters, NULL, 0);
		return 0;
	case HV_PRIVOP_SHUTDOWN:
		if (a->primary && a->initialized) {
			xo_hypercall(xc, hbuf, XENOPROF_reset_passive_list, NULL, 0);
			xo_hypercall(xc, hbuf, XENOPROF_reset_active_list, NULL, 0);
			xo_hypercall(xc, hbuf, XENOPROF_shutdown, NULL, 0);
		}
		return 0;
	}
	return hv_seterr(err, errlen, "xenoprof: unknown privileged call %u", a->op);
}

/* Make OP for X: itself while it holds privcmd, else through x->privop. */
static int
xo_privop(struct xo *x, uint32_t op, char *err, size_t errlen)
{
	struct hv_privop_args a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.self = x->self;
	a.primary = x->primary;
	a.listed = x->listed;
	a.virq = x->virq || x->got_buffer;
	a.reserved = x->reserved;
	a.initialized = x->initialized;
	a.profiling = x->profiling;
	a.start_timeout_ms = x->start_timeout_ms;
	a.nactive = x->nactive;
	memcpy(a.active, x->active, sizeof(a.active));
	if (x->xc != NULL)
		return xo_hyp(x->xc, x->hbuf, &a, err, errlen);
	if (x->privop != NULL)
		return x->privop(x->privop_ctx, &a, err, errlen);
	return hv_seterr(err, errlen, "xenoprof: no hypervisor handle for the privileged calls");
}

/* Leave the hypervisor as we found it. */
static void
xo_teardown(struct xo *x)
{
	char err[HV_ERR_LEN];

	if (x->profiling || x->virq || x->got_buffer || x->reserved)
		xo_privop(x, HV_PRIVOP_RELEASE, err, sizeof(err));
	x->profiling = false;
	x->virq = false;
	x->got_buffer = false;
	x->reserved = false;
	xo_unmap_all(x);
	if (x->primary && x->initialized)
		xo_privop(x, HV_PRIVOP_SHUTDOWN, err, sizeof(err));
	x->initialized = false;
}

static void
xo_set_privop(void *be, hv_privop_fn fn, void *ctx)
{
	struct xo *x = be;

	x->privop = fn;
	x->privop_ctx = ctx;
}

/*
 * Close privcmd: whoever holds it can make any hypercall.  The rings stay
 * mapped (a mapping keeps its own reference) and are unmapped with munmap.
 */
static int
xo_unprivileged(void *be, char *err, size_t errlen)
{
	struct xo *x = be;

	if (x->privop == NULL)
		return hv_seterr(err, errlen, "xenoprof: no privileged process to make the "
		    "hypercalls (hv_set_privop first)");
	if (x->hbuf != NULL)
		xencall_free_buffer(x->xc, x->hbuf);
	x->hbuf = NULL;
	if (x->xc != NULL)
		xencall_close(x->xc);
	x->xc = NULL;
	if (x->fm != NULL)
		xenforeignmemory_close(x->fm);
	x->fm = NULL;
	return 0;
}

/* The privileged side's own handle (hv_privop_run). */
static xencall_handle *xo_priv_xc;
static void *xo_priv_hbuf;

int
hv_privop_run(const struct hv_privop_args *a, char *err, size_t errlen)
{
	if (xo_priv_xc == NULL) {
		if ((xo_priv_xc = xencall_open(&xo_logger, 0)) == NULL)
			return hv_seterr(err, errlen, "xenoprof: cannot open /dev/xen/privcmd: %s",
			    strerror(errno));
		if ((xo_priv_hbuf = xencall_alloc_buffer(xo_priv_xc, 4096)) == NULL) {
			int e = errno;

			xencall_close(xo_priv_xc);
			xo_priv_xc = NULL;
			return hv_seterr(err, errlen, "xenoprof: cannot allocate a hypercall buffer: %s",
			    strerror(e));
		}
	}
	return xo_hyp(xo_priv_xc, xo_priv_hbuf, a, err, errlen);
}

void
hv_privop_close(void)
{
	if (xo_priv_hbuf != NULL)
		xencall_free_buffer(xo_priv_xc, xo_priv_hbuf);
	if (xo_priv_xc != NULL)
		xencall_close(xo_priv_xc);
	xo_priv_xc = NULL;
	xo_priv_hbuf = NULL;
}

/* One lock per host domain: two primaries would tear down each other's session. */
int
xo_lock_take(uint32_t self, long *holder, char *err, size_t errlen)
{
	const char *dir = XO_RUNDIR;
	char path[512], buf[32];
	ssize_t n;
	int fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return hv_seterr(err, errlen, "%s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/xenoprof-dom%u.lock", dir, self);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return hv_seterr(err, errlen, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
		*holder = strtol(buf, NULL, 10);
		return -2;
	}
	return fd;
}

static int
xo_lock(struct xo *x, char *err, size_t errlen)
{
	char buf[32];
	long holder = 0;

	x->lockfd = xo_lock_take(x->self, &holder, err, errlen);
	if (x->lockfd == -2) {
		x->lockfd = -1;
		return hv_seterr(err, errlen, "another xenprofd (pid %ld) already drives xenoprof in this "
		    "domain; shut it down first (xenprof-ctl --shutdown in its session dir)", holder);
	}
	if (x->lockfd == -1)
		return -1;
	if (ftruncate(x->lockfd, 0) == 0) {
		int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

		/* The pid is informational: a failed write is not an error. */
		(void)!pwrite(x->lockfd, buf, (size_t)len, 0);
	}
	return 0;
}

static void *
xo_fail(struct xo *x)
{
	perf_sideband_close(x->sb);
	xo_teardown(x);
	if (x->hbuf)
		xencall_free_buffer(x->xc, x->hbuf);
	if (x->fm)
		xenforeignmemory_close(x->fm);
	if (x->xc)
		xencall_close(x->xc);
	if (x->lockfd != -1)
		close(x->lockfd);
	free(x);
	return NULL;
}

static void *
xo_open(const struct hv_config *cfg, char *err, size_t errlen)
{
	struct xo *x = calloc(1, sizeof(*x));
	struct xenoprof_init init;
	struct xenoprof_get_buffer gb;
	const struct xo_event_def *defs[HV_MAX_EVENTS];

	if (x == NULL) {
		hv_seterr(err, errlen, "out of memory");
		return NULL;
	}
	x->lockfd = -1;
	x->interval_ms = 20;
	x->start_timeout_ms = 10000;
	x->xc = xencall_open(&xo_logger, 0);
	if (x->xc == NULL) {
		hv_seterr(err, errlen, "xenoprof: not running on Xen (cannot open /dev/xen/privcmd: %s); "
		    "use --backend=perf", strerror(errno));
		return xo_fail(x);
	}
	x->fm = xenforeignmemory_open(&xo_logger, 0);
	x->hbuf = xencall_alloc_buffer(x->xc, 4096);
	if (x->fm == NULL || x->hbuf == NULL) {
		hv_seterr(err, errlen, "xenoprof: cannot set up the Xen interfaces: %s", strerror(errno));
		return xo_fail(x);
	}
	if (xo_self(&x->self, err, errlen) == -1)
		return xo_fail(x);
	if (xo_lock(x, err, errlen) == -1)
		return xo_fail(x);

	if (x->self == 0)
		xo_recover_ops(x->xc, x->hbuf);
	memset(&init, 0, sizeof(init));
	if (xo_op(x, XENOPROF_init, &init, sizeof(init)) < 0) {
		xo_init_error(errno, err, errlen);
		return xo_fail(x);
	}
	memcpy(&init, x->hbuf, sizeof(init));
	x->initialized = true;
	x->primary = init.is_primary != 0;
	init.cpu_type[sizeof(init.cpu_type) - 1] = '\0';
	snprintf(x->cpu_type, sizeof(x->cpu_type), "%s", init.cpu_type);
	x->num_events = init.num_events;
	if (x->self == 0 && !x->primary) {
		hv_seterr(err, errlen, "xenoprof: this dom0 is not the primary profiler (another "
		    "domain holds xenoprof, or this is not the hardware domain)");
		return xo_fail(x);
	}
	if (!x->primary && (cfg->nactive || cfg->npassive)) {
		hv_seterr(err, errlen, "--active-domains and --passive-domains are set in dom0; "
		    "domain %u is an active domain and takes them from dom0's session", x->self);
		return xo_fail(x);
	}

	/* Events: names for the cpu type Xen reports, at most num_events. */
	if (cfg->nevents > (uint32_t)x->num_events || cfg->nevents > 8) {
		hv_seterr(err, errlen, "%u events given but this cpu (%s) has %d counters",
		    cfg->nevents, x->cpu_type, x->num_events);
		return xo_fail(x);
	}
	for (uint32_t i = 0; i < cfg->nevents; i++) {
		if (xo_event_resolve(x->cpu_type, &cfg->events[i], &defs[i], err, errlen) == -1)
			return xo_fail(x);
		x->rcfg.want_kernel[i] = cfg->events[i].kernel;
		x->rcfg.want_user[i] = cfg->events[i].user;
	}
	x->rcfg.nevents = cfg->nevents;
	x->rcfg.max_chain = cfg->callgraph < HV_MAX_CHAIN ? cfg->callgraph : HV_MAX_CHAIN;
	x->callgraph = cfg->callgraph;

	if (x->primary) {
		/*
		 * A daemon that died between get_buffer and set_active left our
		 * buffer shared (disable_virq unshares only a listed domain), and
		 * get_buffer would say EBUSY until reboot: unshare it first.
		 */
		domid_t id = (domid_t)x->self;

		xo_op(x, XENOPROF_reset_active_list, NULL, 0);
		xo_op(x, XENOPROF_set_active, &id, sizeof(id));
		xo_op(x, XENOPROF_disable_virq, NULL, 0);
		xo_op(x, XENOPROF_reset_active_list, NULL, 0);
	}

	/* Our own buffers: ask for the most; Xen clamps to 32 pages per domain. */
	memset(&gb, 0, sizeof(gb));
	gb.max_samples = 0x7fffffff;
	if (xo_op(x, XENOPROF_get_buffer, &gb, sizeof(gb)) < 0) {
		int e = errno;

		hv_seterr(err, errlen, e == EBUSY ?
		    "xenoprof busy (get_buffer: EBUSY): the buffers are still mapped by another "
		    "profiler, or a vPMU owns the PMU (boot Xen without vpmu=, or use --backend=perf)" :
		    "xenoprof get_buffer failed: %s", xo_errname(e));
		return xo_fail(x);
	}
	memcpy(&gb, x->hbuf, sizeof(gb));
	x->got_buffer = true;
	if (xo_map(x, x->self, (uint32_t)gb.nbuf, (uint32_t)gb.bufsize, gb.buf_gmaddr, err, errlen) == -1)
		return xo_fail(x);

	if (x->primary) {
		domid_t id;

		if (cfg->nactive > XO_MAX_ACTIVE - 1 || cfg->npassive > XO_MAX_PASSIVE) {
			hv_seterr(err, errlen, "too many domains: xenoprof profiles at most %d active "
			    "and %d passive domains", XO_MAX_ACTIVE, XO_MAX_PASSIVE);
			return xo_fail(x);
		}
		xo_op(x, XENOPROF_reset_active_list, NULL, 0);
		id = (domid_t)x->self;
		if (xo_op(x, XENOPROF_set_active, &id, sizeof(id)) < 0) {
			hv_seterr(err, errlen, "xenoprof set_active(%u) failed: %s", x->self, xo_errname(errno));
			return xo_fail(x);
		}
		x->listed = true;
		for (uint32_t i = 0; i < cfg->nactive; i++) {
			if (cfg->active[i] == x->self)
				continue;	/* listing a domain twice would block start */
			id = (domid_t)cfg->active[i];
			if (xo_op(x, XENOPROF_set_active, &id, sizeof(id)) < 0) {
				hv_seterr(err, errlen, "active domain %u: %s", cfg->active[i],
				    errno == EINVAL ? "no such domain" : xo_errname(errno));
				return xo_fail(x);
			}
			x->active[x->nactive++] = cfg->active[i];
		}
		xo_op(x, XENOPROF_reset_passive_list, NULL, 0);
		for (uint32_t i = 0; i < cfg->npassive; i++) {
			struct xenoprof_passive p;

			memset(&p, 0, sizeof(p));
			p.domain_id = (domid_t)cfg->passive[i];
			p.max_samples = 0x7fffffff;
			if (xo_op(x, XENOPROF_set_passive, &p, sizeof(p)) < 0) {
				int e = errno;

				hv_seterr(err, errlen, "passive domain %u: %s", cfg->passive[i],
				    e == EINVAL ? "no such domain" : e == EBUSY ?
				    "its buffers are still mapped (EBUSY)" : xo_errname(e));
				return xo_fail(x);
			}
			memcpy(&p, x->hbuf, sizeof(p));
			if (xo_map(x, cfg->passive[i], (uint32_t)p.nbuf, (uint32_t)p.bufsize,
			    p.buf_gmaddr, err, errlen) == -1)
				return xo_fail(x);
		}
		if (cfg->callgraph) {
			unsigned long depth = cfg->callgraph;

			if (xo_op(x, XENOPROF_set_backtrace, &depth, sizeof(depth)) < 0) {
				hv_seterr(err, errlen, "xenoprof set_backtrace(%u) failed: %s",
				    cfg->callgraph, xo_errname(errno));
				return xo_fail(x);
			}
		}
		if (xo_op(x, XENOPROF_reserve_counters, NULL, 0) < 0) {
			hv_seterr(err, errlen, errno == EBUSY ?
			    "xenoprof cannot reserve the counters (EBUSY): the local APIC NMI is held by "
			    "another user" : "xenoprof reserve_counters failed: %s", xo_errname(errno));
			return xo_fail(x);
		}
		x->reserved = true;
		/* Every index: the counter table is global and outlives sessions. */
		for (int i = 0; i < x->num_events && i < 8; i++) {
			struct xenoprof_counter c;

			memset(&c, 0, sizeof(c));
			c.ind = (uint32_t)i;
			if ((uint32_t)i < cfg->nevents) {
				const struct hv_event *ev = &cfg->events[i];

				c.count = ev->count;
				c.enabled = 1;
				c.event = defs[i]->code;
				c.unit_mask = ev->unit_mask_set ? ev->unit_mask : defs[i]->unit_mask;
				/* 64-bit PV kernels run in ring 3: count both rings, keep
				 * what was asked for when the samples are read. */
				c.kernel = 1;
				c.user = 1;
			}
			if (xo_op(x, XENOPROF_counter, &c, sizeof(c)) < 0) {
				hv_seterr(err, errlen, "xenoprof counter %d failed: %s", i, xo_errname(errno));
				return xo_fail(x);
			}
		}
		if (xo_op(x, XENOPROF_setup_events, NULL, 0) < 0) {
			hv_seterr(err, errlen, "xenoprof setup_events failed: %s", xo_errname(errno));
			return xo_fail(x);
		}
		if (xo_op(x, XENOPROF_enable_virq, NULL, 0) < 0) {
			hv_seterr(err, errlen, "xenoprof enable_virq failed: %s", xo_errname(errno));
			return xo_fail(x);
		}
		x->virq = true;
	}
	/*
	 * xenoprof samples carry no pid: this domain's user samples are
	 * matched by address over the processes the daemon knows.  The perf
	 * side band (a software event, so a kernel without a PMU driver has
	 * it) tells of every exec and mmap while sampling.
	 */
	{
		char why[HV_ERR_LEN];

		x->sb = perf_sideband_open(why, sizeof(why));
		if (x->sb != NULL)
			snprintf(x->tracking, sizeof(x->tracking), "perf side band (mmap, comm, task "
			    "records of a software event on every cpu)");
		else
			snprintf(x->tracking, sizeof(x->tracking), "none: %s; processes started "
			    "after --start are not attributed (their samples go to [unknown])", why);
	}
	return x;
}

static const char *
xo_tracking(const void *be)
{
	return ((const struct xo *)be)->tracking;
}

static const char *
xo_cpu_type(const void *be)
{
	return ((const struct xo *)be)->cpu_type;
}

static uint64_t
xo_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Side band on at start, off at stop (what it holds then is still drained). */
static int
xo_sideband(struct xo *x, bool on, char *err, size_t errlen)
{
	if (x->sb == NULL || perf_sideband_enable(x->sb, on, err, errlen) == 0)
		return 0;
	perf_sideband_close(x->sb);
	x->sb = NULL;
	snprintf(x->tracking, sizeof(x->tracking), "none: %s", err);
	return on ? 0 : -1;
}

static int
xo_start(void *be, char *err, size_t errlen)
{
	struct xo *x = be;

	if (!x->primary) {
		/* An active domain joins the primary's session. */
		if (x->virq)
			return 0;
		if (xo_privop(x, HV_PRIVOP_START, err, errlen) == -1)
			return -1;
		x->virq = true;
		x->profiling = true;
		x->rcfg.final = false;
		return xo_sideband(x, true, err, errlen);
	}
	if (xo_privop(x, HV_PRIVOP_START, err, errlen) == -1)
		return -1;
	x->profiling = true;
	x->rcfg.final = false;
	x->last_drain_us = xo_now_us();
	x->interval_ms = 1;
	return xo_sideband(x, true, err, errlen);
}

static int
xo_stop(void *be, char *err, size_t errlen)
{
	struct xo *x = be;

	if (!x->profiling)
		return 0;
	/* Still profiling if stop fails: the teardown tries again. */
	if (xo_privop(x, HV_PRIVOP_STOP, err, errlen) == -1)
		return -1;
	x->profiling = false;
	x->rcfg.final = true;	/* the next drain ends the open call-chain groups */
	xo_sideband(x, false, err, errlen);
	return 0;
}

static int
xo_pollfds(void *be, struct pollfd *fds, int max)
{
	return 0;	/* polled on a timer */
}

static int
xo_poll_interval_ms(const void *be)
{
	return ((const struct xo *)be)->interval_ms;
}

/*
 * Drain every ring, then set the next interval so that the fastest-filling
 * ring would be at most a quarter full by then: the drain period, not the
 * per-sample cost, decides whether samples are lost.
 */
static long
xo_drain(void *be, const struct hv_sink *sink)
{
	struct xo *x = be;
	uint64_t now = xo_now_us(), dt = now - x->last_drain_us;
	uint64_t worst_us = 50000;	/* the longest interval */
	long n = 0;

	/*
	 * Heads first, then the side band, then the rings up to those heads:
	 * every process a drained sample ran in has been told of by then.
	 */
	for (uint32_t i = 0; i < x->nrings; i++)
		xo_ring_snapshot(&x->rings[i]);
	if (x->sb != NULL)
		x->st.sb_records += perf_sideband_drain(x->sb, sink);
	for (uint32_t i = 0; i < x->nrings; i++) {
		uint32_t fill = 0;

		n += xo_ring_drain(&x->rings[i], &x->rcfg, sink, &x->st, &fill);
		if (fill > 0 && dt > 0) {
			/* time for this ring to fill a quarter at the rate just seen */
			uint64_t t = dt * (x->rings[i].size / 4) / fill;

			if (t < worst_us)
				worst_us = t;
		}
	}
	x->last_drain_us = now;
	/* Shorten at once; lengthen at most twice per drain (a drain soon after
	 * the last one sees too little to judge a ring by). */
	{
		int want = worst_us < 1000 ? 1 : (int)(worst_us / 1000);

		x->interval_ms = want < x->interval_ms * 2 ? want : x->interval_ms * 2;
	}
	return n;
}

static void
xo_stats(const void *be, struct hv_stats *st)
{
	const struct xo *x = be;

	*st = x->st;
	st->hv_logged = st->hv_lost = 0;
	for (uint32_t i = 0; i < x->nrings; i++) {
		uint64_t logged, lost;

		xo_ring_logged(&x->rings[i], &logged, &lost);
		st->hv_logged += logged;
		st->hv_lost += lost;
	}
	st->sb_lost = x->sb != NULL ? perf_sideband_lost(x->sb) : 0;
}

static void
xo_close(void *be)
{
	xo_fail(be);
}

static const struct hv_event_info *
xo_events(size_t *n)
{
	return xo_event_infos(n);
}

static int
xo_check(const struct hv_event *ev, char *err, size_t errlen)
{
	const struct xo_event_def *d;

	return xo_event_resolve("", ev, &d, err, errlen);
}

const struct hv_backend_ops hv_xenoprof_ops = {
	.name = "xenoprof",
	.open = xo_open,
	.cpu_type = xo_cpu_type,
	.start = xo_start,
	.stop = xo_stop,
	.pollfds = xo_pollfds,
	.poll_interval_ms = xo_poll_interval_ms,
	.drain = xo_drain,
	.stats = xo_stats,
	.close = xo_close,
	.events = xo_events,
	.check = xo_check,
	.default_event = "CPU_CLK_UNHALTED:100000",
	.tracking = xo_tracking,
	.set_privop = xo_set_privop,
	.unprivileged = xo_unprivileged,
};
