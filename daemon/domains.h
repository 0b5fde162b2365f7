/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * domains: --active-domains / --passive-domains lists (ids or names) turned
 * into domain ids against the host's domain list (hv_domains), and names
 * for ids.
 */
#ifndef XP_DOMAINS_H
#define XP_DOMAINS_H

#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

#define DOMAINS_MAX	HV_MAX_DOMAINS

struct domains {
	int		nknown;		/* -1: the host's list is not available */
	struct hv_domain known[256];
	char		why[256];	/* why not, when nknown == -1 */
};

/* Read the host's domains (once, at start). */
void domains_load(struct domains *ds);
/*
 * Parse LIST (comma-separated ids or names) for option WHAT into IDS (at
 * most MAX).  Names need the host's list; ids are checked against it when it
 * is there.  Returns the number of ids or -1 with ERR.
 */
int domains_parse(const struct domains *ds, const char *list, const char *what,
    uint32_t *ids, int max, char *err, size_t errlen);
/* The name of DOMID ("" if unknown). */
const char *domains_name(const struct domains *ds, uint32_t domid);

#endif /* XP_DOMAINS_H */
