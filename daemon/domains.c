/* SPDX-License-Identifier: GPL-2.0-or-later */
/* domains: domain lists by id or name. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/domains.h"

void
domains_load(struct domains *ds)
{
	ds->why[0] = '\0';
	ds->nknown = hv_domains(ds->known, (int)(sizeof(ds->known) / sizeof(ds->known[0])),
	    ds->why, sizeof(ds->why));
}

const char *
domains_name(const struct domains *ds, uint32_t domid)
{
	for (int i = 0; i < ds->nknown; i++)
		if (ds->known[i].domid == domid)
			return ds->known[i].name;
	return "";
}

/* What exists, for error messages: "0 (Domain-0), 1 (web01)". */
static void
known_str(const struct domains *ds, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < ds->nknown && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u (%s)", i ? ", " : "",
		    ds->known[i].domid, ds->known[i].name[0] ? ds->known[i].name : "no name");
}

int
domains_parse(const struct domains *ds, const char *list, const char *what,
    uint32_t *ids, int max, char *err, size_t errlen)
{
	char buf[1024], *tok, *save, known[512];
	int n = 0;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: list too long", what);
		return -1;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long id;
		int found = -1;

		while (isspace((unsigned char)*tok))
			tok++;
		if (*tok == '\0')
			continue;
		id = strtoul(tok, &end, 10);
		if (*end == '\0' && end != tok) {
			if (id >= 0x7ff0) {
				snprintf(err, errlen, "%s: %s is not a domain id (0 to 32751)", what, tok);
				return -1;
			}
			for (int i = 0; i < ds->nknown; i++)
				if (ds->known[i].domid == id)
					found = i;
			if (ds->nknown >= 0 && found < 0) {
				known_str(ds, known, sizeof(known));
				snprintf(err, errlen, "%s: no domain %lu on this host (domains: %s)", what, id, known);
				return -1;
			}
		} else {
			if (ds->nknown < 0) {
				snprintf(err, errlen, "%s: cannot resolve the name '%s': %s", what, tok, ds->why);
				return -1;
			}
			for (int i = 0; i < ds->nknown; i++)
				if (strcmp(ds->known[i].name, tok) == 0)
					found = i;
			if (found < 0) {
				known_str(ds, known, sizeof(known));
				snprintf(err, errlen, "%s: no domain named '%s' on this host (domains: %s)",
				    what, tok, known);
				return -1;
			}
			id = ds->known[found].domid;
		}
		for (int i = 0; i < n; i++)
			if (ids[i] == id) {
				snprintf(err, errlen, "%s: domain %lu is listed twice", what, id);
				return -1;
			}
		if (n == max) {
			snprintf(err, errlen, "%s: too many domains (at most %d)", what, max);
			return -1;
		}
		ids[n++] = (uint32_t)id;
	}
	return n;
}
