/*
 * probe.c: is xenoprof usable here?  (hv_xenoprof_probe, for --doctor)
 *
 * XENOPROF_init by the primary forces the hypervisor's xenoprof state back
 * to INITIALIZED even while counters run, so the probe never runs beside a
 * xenprofd: it takes the same per-domain lock the xenoprof backend holds
 * (XENPROF_RUNDIR, default /run/xenprof, file xenoprof-domN.lock) and
 * reports "in use" when a daemon has it.  Holding the lock it does what a
 * daemon start does and undoes it: the crash-recovery ops (each a harmless
 * EPERM when there is nothing to undo), init, get_buffer (as large as the
 * daemon asks, since a domain's buffer size is fixed at its first
 * allocation), then disable_virq (unshares the pages) and shutdown.  A
 * hypervisor without xenoprof answers ENOSYS to any op.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/hvP.h"

#ifdef HAVE_XEN
#define __XEN_TOOLS__ 1
#include <xentoollog.h>
#include <xencall.h>
#include <xen/xen.h>
#include <xen/xenoprof.h>

static void
pr_nolog(struct xentoollog_logger *l, xentoollog_level level, int errnoval,
    const char *context, const char *format, va_list al)
{
}

static void
pr_nodestroy(struct xentoollog_logger *l)
{
}

static struct xentoollog_logger pr_logger = {
	.vmessage = pr_nolog, .progress = NULL, .destroy = pr_nodestroy,
};

static const char *
pr_errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case ENOMEM: return "ENOMEM";
	default: return strerror(e);
	}
}

static int
pr_op(xencall_handle *xc, void *hbuf, int op, const void *in, size_t len)
{
	if (in != NULL)
		memcpy(hbuf, in, len);
	return xencall2(xc, __HYPERVISOR_xenoprof_op, (uint64_t)op,
	    in != NULL || len ? (uint64_t)(uintptr_t)hbuf : 0);
}

/* The daemon's lock: -2 held by a daemon (pid into *PID), else an fd or -1. */
static int
pr_lock(uint32_t self, long *pid)
{
	const char *dir = getenv("XENPROF_RUNDIR");
	char path[512], buf[32];
	ssize_t n;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/run/xenprof";
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/xenoprof-dom%u.lock", dir, self);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*pid = strtol(buf, NULL, 10);
		close(fd);
		return -2;
	}
	return fd;
}

int
hv_xenoprof_probe(char *cpu_type, int *num_events, bool *primary, int *errnum,
    char *why, size_t len)
{
	struct xenoprof_init init;
	struct xenoprof_get_buffer gb;
	xencall_handle *xc;
	void *hbuf;
	uint32_t self;
	long pid = 0;
	int lockfd, e, ret = -1;

	cpu_type[0] = '\0';
	*num_events = 0;
	*primary = false;
	*errnum = 0;
	if ((xc = xencall_open(&pr_logger, 0)) == NULL) {
		e = *errnum = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			hv_seterr(why, len, "not running on Xen (no /dev/xen/privcmd)");
		else if (e == EACCES || e == EPERM)
			hv_seterr(why, len, "cannot open /dev/xen/privcmd (%s): run as root in dom0",
			    strerror(e));
		else
			hv_seterr(why, len, "cannot open /dev/xen/privcmd: %s", strerror(e));
		*errnum = 0;
		return -1;
	}
	if ((hbuf = xencall_alloc_buffer(xc, 4096)) == NULL) {
		hv_seterr(why, len, "cannot allocate a hypercall buffer: %s", strerror(errno));
		xencall_close(xc);
		return -1;
	}
	self = hv_self_domid();
	if ((lockfd = pr_lock(self, &pid)) == -2) {
		hv_seterr(why, len, "in use: xenprofd (pid %ld) drives xenoprof in this domain; not "
		    "probed, since init would reset its session", pid);
		xencall_free_buffer(xc, hbuf);
		xencall_close(xc);
		return 1;
	}
	if (self == 0) {
		pr_op(xc, hbuf, XENOPROF_stop, NULL, 0);
		pr_op(xc, hbuf, XENOPROF_disable_virq, NULL, 0);
		pr_op(xc, hbuf, XENOPROF_release_counters, NULL, 0);
		pr_op(xc, hbuf, XENOPROF_reset_passive_list, NULL, 0);
		pr_op(xc, hbuf, XENOPROF_reset_active_list, NULL, 0);
		pr_op(xc, hbuf, XENOPROF_shutdown, NULL, 0);
	}
	memset(&init, 0, sizeof(init));
	if (pr_op(xc, hbuf, XENOPROF_init, &init, sizeof(init)) < 0) {
		e = *errnum = errno;
		if (e == ENOSYS)
			hv_seterr(why, len, "init: ENOSYS: this Xen has no xenoprof (Xen 4.22 or later, "
			    "4.18+ built without CONFIG_XENOPROF, or a PVH/HVM dom0)");
		else if (e == ENODEV)
			hv_seterr(why, len, "init: ENODEV: xenoprof does not support this CPU (e.g. AMD "
			    "family 17h and later, Hygon)");
		else if (e == EPERM || e == EACCES)
			hv_seterr(why, len, "init: %s: the XSM policy does not allow profiling from "
			    "this domain", pr_errname(e));
		else
			hv_seterr(why, len, "init: %s", pr_errname(e));
		goto out;
	}
	memcpy(&init, hbuf, sizeof(init));
	init.cpu_type[sizeof(init.cpu_type) - 1] = '\0';
	snprintf(cpu_type, XENOPROF_CPU_TYPE_SIZE, "%s", init.cpu_type);
	*num_events = init.num_events;
	*primary = init.is_primary != 0;
	if (!*primary) {
		/* An active domain's buffers belong to dom0's session: do not touch them. */
		ret = 0;
		goto out;
	}
	memset(&gb, 0, sizeof(gb));
	gb.max_samples = 0x7fffffff;
	if (pr_op(xc, hbuf, XENOPROF_get_buffer, &gb, sizeof(gb)) < 0) {
		e = *errnum = errno;
		hv_seterr(why, len, e == EBUSY ? "get_buffer: EBUSY: a vPMU owns the PMU, or "
		    "another profiler still maps the buffers" : "get_buffer: %s", pr_errname(e));
	} else {
		domid_t id = (domid_t)self;

		ret = 0;
		/* disable_virq unshares the pages only for a domain on the active list. */
		pr_op(xc, hbuf, XENOPROF_set_active, &id, sizeof(id));
		pr_op(xc, hbuf, XENOPROF_disable_virq, NULL, 0);
		pr_op(xc, hbuf, XENOPROF_reset_active_list, NULL, 0);
	}
	pr_op(xc, hbuf, XENOPROF_shutdown, NULL, 0);
out:
	if (lockfd >= 0)
		close(lockfd);
	xencall_free_buffer(xc, hbuf);
	xencall_close(xc);
	return ret;
}

#else /* !HAVE_XEN */

int
hv_xenoprof_probe(char *cpu_type, int *num_events, bool *primary, int *errnum,
    char *why, size_t len)
{
	cpu_type[0] = '\0';
	*num_events = 0;
	*primary = false;
	*errnum = 0;
	return hv_seterr(why, len, "this build of xenprof has no Xen support (configure found "
	    "no libxen-dev)");
}

#endif
