/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * probe.c: is xenoprof usable here?  (hv_xenoprof_probe, for --doctor)
 *
 * XENOPROF_init by the primary forces the hypervisor's xenoprof state back
 * to INITIALIZED even while counters run, so the probe never runs beside a
 * xenprofd: it takes the same per-domain lock the xenoprof backend holds
 * (/run/xenprof/xenoprof-domN.lock) and
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

#define __XEN_TOOLS__ 1
#include <xencall.h>
#include <xen/xen.h>
#include <xen/xenoprof.h>

#include "hv/xenoprof/xoP.h"

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
	if ((xc = xencall_open(xo_quiet_logger(), 0)) == NULL) {
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
	if (xo_self(&self, why, len) == -1) {
		xencall_free_buffer(xc, hbuf);
		xencall_close(xc);
		return -1;
	}
	if ((lockfd = xo_lock_take(self, &pid, NULL, 0)) == -2) {
		hv_seterr(why, len, "in use: xenprofd (pid %ld) drives xenoprof in this domain; not "
		    "probed, since init would reset its session", pid);
		xencall_free_buffer(xc, hbuf);
		xencall_close(xc);
		return 1;
	}
	if (self == 0)
		xo_recover_ops(xc, hbuf);
	memset(&init, 0, sizeof(init));
	if (xo_hypercall(xc, hbuf, XENOPROF_init, &init, sizeof(init)) < 0) {
		xo_init_error(*errnum = errno, why, len);
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
	if (xo_hypercall(xc, hbuf, XENOPROF_get_buffer, &gb, sizeof(gb)) < 0) {
		e = *errnum = errno;
		hv_seterr(why, len, e == EBUSY ? "get_buffer: EBUSY: a vPMU owns the PMU, or "
		    "another profiler still maps the buffers" : "get_buffer: %s", xo_errname(e));
	} else {
		domid_t id = (domid_t)self;

		ret = 0;
		/* disable_virq unshares the pages only for a domain on the active list. */
		xo_hypercall(xc, hbuf, XENOPROF_set_active, &id, sizeof(id));
		xo_hypercall(xc, hbuf, XENOPROF_disable_virq, NULL, 0);
		xo_hypercall(xc, hbuf, XENOPROF_reset_active_list, NULL, 0);
	}
	xo_hypercall(xc, hbuf, XENOPROF_shutdown, NULL, 0);
out:
	if (lockfd >= 0)
		close(lockfd);
	xencall_free_buffer(xc, hbuf);
	xencall_close(xc);
	return ret;
}
