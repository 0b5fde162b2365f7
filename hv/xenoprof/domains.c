/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domains of a Xen host: ids from libxenctrl, names from libxenstore. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define __XEN_TOOLS__ 1
#include <xenctrl.h>
#include <xenstore.h>

#include "hv/hvP.h"

struct xentoollog_logger *xo_quiet_logger(void);

int
hv_domains(struct hv_domain *out, int max, char *err, size_t errlen)
{
	xc_interface *xch;
	xc_domaininfo_t *info;
	struct xs_handle *xs;
	int n;

	if (max <= 0)
		return 0;
	xch = xc_interface_open(xo_quiet_logger(), xo_quiet_logger(), 0);
	if (xch == NULL)
		return hv_seterr(err, errlen, "cannot list Xen domains: not on Xen or no access to "
		    "/dev/xen/privcmd (%s)", strerror(errno));
	if ((info = calloc((size_t)max, sizeof(*info))) == NULL) {
		xc_interface_close(xch);
		return hv_seterr(err, errlen, "out of memory");
	}
	n = xc_domain_getinfolist(xch, 0, (unsigned)max, info);
	if (n < 0) {
		int e = errno;

		free(info);
		xc_interface_close(xch);
		return hv_seterr(err, errlen, "cannot list Xen domains (getdomaininfolist: %s)%s",
		    strerror(e), e == EPERM ? "; only dom0 can" : "");
	}
	xs = xs_open(XS_OPEN_READONLY);
	for (int i = 0; i < n; i++) {
		char path[64], *v;
		unsigned int len;

		out[i].domid = info[i].domain;
		out[i].vcpus = info[i].max_vcpu_id + 1;
		out[i].name[0] = '\0';
		if (xs == NULL)
			continue;
		snprintf(path, sizeof(path), "/local/domain/%u/name", out[i].domid);
		if ((v = xs_read(xs, XBT_NULL, path, &len)) != NULL) {
			snprintf(out[i].name, sizeof(out[i].name), "%s", v);
			free(v);
		}
	}
	if (xs)
		xs_close(xs);
	free(info);
	xc_interface_close(xch);
	return n;
}

uint32_t
hv_self_domid(void)
{
	struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
	unsigned int len;
	uint32_t id = 0;
	char *v;

	if (xs == NULL)
		return 0;
	if ((v = xs_read(xs, XBT_NULL, "domid", &len)) != NULL) {
		id = (uint32_t)strtoul(v, NULL, 10);
		free(v);
	}
	xs_close(xs);
	return id;
}
