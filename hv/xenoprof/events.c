/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events of the cpu types xenoprof's init reports, read from the data
 * files under hv/events/ (installed to $(pkgdatadir)/events; see
 * hv/events/README and hv/evtab.h): OProfile's names, event codes, unit
 * masks and minimum counts (a count below the minimum risks an NMI storm on
 * the host).  Loaded once, on first use; a table that does not parse is
 * left out and its error kept for --list-events.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hv/evtab.h"
#include "hv/hvP.h"
#include "hv/xenoprof/xoP.h"

static struct {
	bool		loaded;
	int		ntypes;
	struct evtab	tabs[EVTAB_MAX_TYPES];
	struct xo_event_def *defs[EVTAB_MAX_TYPES];
	struct hv_event_info *infos;
	size_t		ninfos;
} xo_db;

static void
xo_db_load(void)
{
	char types[EVTAB_MAX_TYPES][EVTAB_NAME_LEN], path[4200], err[HV_ERR_LEN];
	const char *dir = evtab_dir();
	size_t total = 0;
	int n;

	if (xo_db.loaded)
		return;
	xo_db.loaded = true;
	/* The index is read as a (bounded) events-style file of its own. */
	{
		FILE *f;
		char *buf = malloc(EVTAB_MAX_FILE + 1);
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/cpu_types", dir);
		if (buf == NULL || (f = fopen(path, "re")) == NULL) {
			snprintf(evtab_load_error, HV_ERR_LEN, "no event tables: cannot read %.150s "
			    "(they are installed with xenprof: make install)", path);
			free(buf);
			return;
		}
		len = fread(buf, 1, EVTAB_MAX_FILE + 1, f);
		fclose(f);
		if (len > EVTAB_MAX_FILE) {
			snprintf(evtab_load_error, HV_ERR_LEN, "%.200s: too large", path);
			free(buf);
			return;
		}
		n = evtab_parse_types(buf, len, types, EVTAB_MAX_TYPES, err, sizeof(err));
		free(buf);
		if (n < 0) {
			snprintf(evtab_load_error, HV_ERR_LEN, "%.60s/%.180s", dir, err);
			return;
		}
	}
	for (int i = 0; i < n; i++) {
		struct evtab *t = &xo_db.tabs[xo_db.ntypes];
		struct xo_event_def *d;

		if (evtab_load(t, dir, types[i], err, sizeof(err)) == -1) {
			if (evtab_load_error[0] == '\0')
				snprintf(evtab_load_error, HV_ERR_LEN, "%.250s", err);
			continue;
		}
		if ((d = calloc(t->nevents, sizeof(*d))) == NULL) {
			evtab_free(t);
			continue;
		}
		for (uint32_t j = 0; j < t->nevents; j++) {
			const struct evtab_event *e = &t->events[j];

			d[j].name = e->name;
			d[j].code = e->code;
			d[j].unit_mask = e->um ? e->um->pub.defval : 0;
			d[j].min_count = e->min_count;
			d[j].desc = e->desc;
			d[j].um = e->um ? &e->um->pub : NULL;
			d[j].counters = e->counters;
		}
		xo_db.defs[xo_db.ntypes++] = d;
		total += t->nevents;
	}
	if ((xo_db.infos = calloc(total ? total : 1, sizeof(*xo_db.infos))) == NULL)
		return;
	for (int i = 0; i < xo_db.ntypes; i++)
		for (uint32_t j = 0; j < xo_db.tabs[i].nevents; j++) {
			struct hv_event_info *f = &xo_db.infos[xo_db.ninfos++];
			const struct xo_event_def *d = &xo_db.defs[i][j];

			f->name = d->name;
			f->desc = d->desc;
			f->min_count = d->min_count;
			f->default_count = d->min_count * 100;
			f->needs_pmu = true;
			f->cpu_type = xo_db.tabs[i].cpu_type;
			f->has_code = true;
			f->code = d->code;
			f->counters = d->counters;
			f->unit_mask = d->um;
		}
}

static int
xo_type_index(const char *cpu_type)
{
	xo_db_load();
	for (int i = 0; i < xo_db.ntypes; i++)
		if (strcmp(xo_db.tabs[i].cpu_type, cpu_type) == 0)
			return i;
	return -1;
}

const struct xo_event_def *
xo_events_for(const char *cpu_type, size_t *n)
{
	int t = xo_type_index(cpu_type);

	*n = t < 0 ? 0 : xo_db.tabs[t].nevents;
	return t < 0 ? NULL : xo_db.defs[t];
}

const struct hv_event_info *
xo_event_infos(size_t *n)
{
	xo_db_load();
	*n = xo_db.ninfos;
	return xo_db.infos;
}

static const struct xo_event_def *
find(int t, const char *name)
{
	for (uint32_t i = 0; i < xo_db.tabs[t].nevents; i++)
		if (strcasecmp(xo_db.defs[t][i].name, name) == 0)
			return &xo_db.defs[t][i];
	return NULL;
}

/* The name nearest NAME in type T (all types if T < 0), and its type. */
static const struct xo_event_def *
nearest(int t, const char *name, const char **type)
{
	const struct xo_event_def *best = NULL;
	unsigned bd = ~0u;

	for (int i = t < 0 ? 0 : t; i < (t < 0 ? xo_db.ntypes : t + 1); i++)
		for (uint32_t j = 0; j < xo_db.tabs[i].nevents; j++) {
			unsigned d = evtab_distance(name, xo_db.defs[i][j].name);

			if (d < bd) {
				bd = d;
				best = &xo_db.defs[i][j];
				*type = xo_db.tabs[i].cpu_type;
			}
		}
	return best;
}

/* Count and unit mask of EV against D of type T. */
static int
check_def(int t, const struct xo_event_def *d, const struct hv_event *ev, char *err, size_t errlen)
{
	const struct evtab_event *e = &xo_db.tabs[t].events[d - xo_db.defs[t]];

	if (ev->count < d->min_count)
		return hv_seterr(err, errlen, "event '%s': count %llu is below the minimum %llu "
		    "(%s); use %s:%llu or more", d->name, (unsigned long long)ev->count,
		    (unsigned long long)d->min_count, xo_db.tabs[t].cpu_type, d->name,
		    (unsigned long long)d->min_count);
	if (ev->count >= (1ull << 31))
		return hv_seterr(err, errlen, "event '%s': count %llu is too large for the counters "
		    "(below 2^31)", d->name, (unsigned long long)ev->count);
	if (ev->unit_mask_set && evtab_mask_check(e->um, d->name, ev->unit_mask, err, errlen) == -1)
		return -1;
	return 0;
}

int
xo_event_resolve(const char *cpu_type, const struct hv_event *ev,
    const struct xo_event_def **def, char *err, size_t errlen)
{
	const struct xo_event_def *d, *near;
	const char *ntype = "";
	char first[HV_ERR_LEN] = "";
	int t;

	xo_db_load();
	if (xo_db.ntypes == 0)
		return hv_seterr(err, errlen, "xenoprof: %s", evtab_load_error[0] ? evtab_load_error :
		    "no event tables");
	if (cpu_type[0] != '\0') {
		if ((t = xo_type_index(cpu_type)) < 0)
			return hv_seterr(err, errlen, "cpu type '%s' reported by Xen has no event table "
			    "in xenprof (under %s); use --backend=perf", cpu_type, evtab_dir());
		if ((d = find(t, ev->name)) == NULL) {
			const char *other = NULL;

			for (int i = 0; i < xo_db.ntypes && other == NULL; i++)
				if (find(i, ev->name) != NULL)
					other = xo_db.tabs[i].cpu_type;
			near = nearest(t, ev->name, &ntype);
			return hv_seterr(err, errlen, "event '%s' is not known for cpu type %s%s%s%s; "
			    "nearest is '%s' (xenprof-ctl --list-events=%s lists them)", ev->name,
			    cpu_type, other ? " (it is an event of " : "", other ? other : "",
			    other ? ")" : "", near ? near->name : "?", cpu_type);
		}
		if (check_def(t, d, ev, err, errlen) == -1)
			return -1;
		*def = d;
		return 0;
	}
	/* Any cpu type: valid if some table takes it. */
	for (t = 0; t < xo_db.ntypes; t++) {
		if ((d = find(t, ev->name)) == NULL)
			continue;
		if (check_def(t, d, ev, first[0] ? NULL : first, sizeof(first)) == 0) {
			*def = d;
			return 0;
		}
	}
	if (first[0])
		return hv_seterr(err, errlen, "%s", first);
	near = nearest(-1, ev->name, &ntype);
	return hv_seterr(err, errlen, "event '%s' is not known for any xenoprof cpu type; nearest "
	    "is '%s' (%s) (xenprof-ctl --list-events lists them)", ev->name,
	    near ? near->name : "?", ntype);
}
