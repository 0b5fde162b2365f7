/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --list-events[=CPUTYPE|EVENT|all] [--backend=perf|xenoprof]: the
 * successor of ophelp.  For each backend and cpu type the events with their
 * codes, unit masks (named and numeric), minimum counts and a one-line
 * description.
 *
 * Which tables: by default this host's, as ophelp does: on a Xen host the
 * xenoprof table of the cpu type Xen reports (probed as --doctor does, or
 * asked of the session's daemon when one holds xenoprof), elsewhere the perf
 * backend's.  CPUTYPE narrows it to one cpu type, by its full name
 * ("i386/core_2") or its last part ("core_2"; "timer" is the perf
 * backend's); "all" lists every table; --backend to one backend.  EVENT
 * (ophelp EVENT) prints that event's block in ophelp's layout, with its unit
 * mask's values:
 *
 *   BUS_IO_WAIT: (counter: all)
 *   	IO requests waiting in the bus queue (min count: 500)
 *   	Unit masks (default 0x40)
 *   	----------
 *   	0xc0: (name=all_cores) All cores
 *
 * from the host's table when it has the event, else from every table that
 * has it (each under its "backend B, cpu type T:" line).
 *
 * Layout (tests parse it): a header line per table, "backend B, cpu type T:"
 * then one event a line, two spaces in, columns NAME CODE MIN DEFAULT
 * COUNTERS DESCRIPTION (CODE and COUNTERS "-" where they do not apply); a
 * unit mask follows its event, six spaces in, "unit mask NAME (TYPE,
 * default 0xNN):", and one value a line, eight spaces in, "0xNN NAME
 * DESCRIPTION" (NAME "-" when the table names none).
 */

#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctl.h"
#include "daemon/proto.h"
#include "hv/hv.h"

static const char *
um_type(enum hv_um_type t)
{
	return t == HV_UM_MANDATORY ? "mandatory" : t == HV_UM_EXCLUSIVE ? "exclusive" : "bitmask";
}

static void
counters_str(uint32_t set, char *buf, size_t len)
{
	size_t off = 0;

	if (set == 0) {
		snprintf(buf, len, "any");
		return;
	}
	buf[0] = '\0';
	for (int i = 0; i < 32 && off + 4 < len; i++)
		if (set & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", i);
}

static void
print_event(const struct hv_event_info *e)
{
	char code[16], ctr[100];
	const struct hv_unit_mask *um = e->unit_mask;

	if (e->has_code)
		snprintf(code, sizeof(code), "0x%02x", e->code);
	else
		snprintf(code, sizeof(code), "-");
	if (e->has_code)
		counters_str(e->counters, ctr, sizeof(ctr));
	else
		snprintf(ctr, sizeof(ctr), "-");
	printf("  %-40s %-6s %-9llu %-10llu %-12s %s\n", e->name, code,
	    (unsigned long long)e->min_count, (unsigned long long)e->default_count, ctr, e->desc);
	if (um == NULL || (um->type == HV_UM_MANDATORY && um->nvalues == 1 &&
	    um->values[0].value == 0))
		return;
	printf("      unit mask %s (%s, default 0x%02x):\n", um->name, um_type(um->type), um->defval);
	for (uint32_t i = 0; i < um->nvalues; i++)
		printf("        0x%02x %-18s %s\n", um->values[i].value,
		    um->values[i].name[0] ? um->values[i].name : "-", um->values[i].desc);
}

/* Edit distance of A and B, case-insensitive, first 63 characters. */
static unsigned
distance(const char *a, const char *b)
{
	unsigned d[64][64];
	size_t la = strlen(a) < 63 ? strlen(a) : 63, lb = strlen(b) < 63 ? strlen(b) : 63;

	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned sub = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			unsigned del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;

			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

static const char *
type_of(const struct hv_event_info *e)
{
	return e->cpu_type ? e->cpu_type : "timer";
}

/* The last part of a cpu type ("i386/core_2" -> "core_2"). */
static const char *
short_type(const char *t)
{
	const char *s = strrchr(t, '/');

	return s ? s + 1 : t;
}

/*
 * This host's cpu type for the default listing into TYPE: the Xen host's
 * (xenoprof), or "" when xenoprof is not what this host samples with; NOTE
 * says why when it cannot be told.
 */
static void
host_cpu_type(const struct ctl *c, char *type, size_t len, char *note, size_t notelen)
{
	char ct[64], why[HV_ERR_LEN], reply[XP_PROTO_MAX_PAYLOAD + 1];
	int nev = 0, e = 0, r;
	bool primary = false;

	type[0] = note[0] = '\0';
	r = hv_xenoprof_probe(ct, &nev, &primary, &e, why, sizeof(why));
	if (r == 0) {
		snprintf(type, len, "%s", ct);
		return;
	}
	if (r < 0)
		return;		/* not a xenoprof host: perf's table */
	/* A daemon drives xenoprof: this session's daemon knows the type. */
	if (ctl_request(c, XP_REQ_STATUS, NULL, 0, reply, sizeof(reply)) == XP_REP_OK &&
	    strstr(reply, "backend: xenoprof\n") != NULL) {
		const char *p = strstr(reply, "cpu type: ");

		if (p != NULL) {
			p += 10;
			snprintf(type, len, "%.*s", (int)strcspn(p, "\n"), p);
			return;
		}
	}
	snprintf(note, notelen, "%s; every xenoprof table is listed (give --session-dir of that "
	    "daemon's session, or --list-events=CPUTYPE)", why);
	snprintf(type, len, "*");
}

/* ophelp's block for event E of table EV[0..N) ("all": every counter of its cpu type). */
static void
print_ophelp(const struct hv_event_info *e, const struct hv_event_info *ev, size_t n)
{
	const struct hv_unit_mask *um = e->unit_mask;
	uint32_t every = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(type_of(&ev[i]), type_of(e)) == 0)
			every |= ev[i].counters;
	printf("%s: (counter: ", e->name);
	if (!e->has_code || e->counters == 0 || e->counters == every) {
		printf("all");
	} else {
		int first = 1;

		for (int i = 0; i < 32; i++)
			if (e->counters & (1u << i)) {
				printf("%s%d", first ? "" : ", ", i);
				first = 0;
			}
	}
	printf(")\n\t%s (min count: %llu)\n", e->desc, (unsigned long long)e->min_count);
	if (um == NULL || (um->type == HV_UM_MANDATORY && um->nvalues == 1 && um->values[0].value == 0))
		return;
	printf("\tUnit masks (default 0x%x)\n\t----------\n", um->defval);
	for (uint32_t i = 0; i < um->nvalues; i++) {
		printf("\t0x%.2x: ", um->values[i].value);
		if (um->values[i].name[0])
			printf("(name=%s) ", um->values[i].name);
		printf("%s\n", um->values[i].desc);
	}
}

/* The events of backend B (xenoprof: also the tables' load error); NULL if none. */
static const struct hv_event_info *
backend_events(const char *b, size_t *n, const char *want_backend, int *status)
{
	const struct hv_event_info *ev = hv_events(b, n);

	if (strcmp(b, "xenoprof") == 0) {
		const char *e = hv_event_tables_error();

		if ((ev == NULL || *n == 0) && e[0] == '\0') {
			if (want_backend != NULL) {
				warnx("backend xenoprof: this build has no Xen support");
				*status = 1;
			}
			return NULL;
		}
		if (e[0] != '\0') {
			warnx("xenoprof event tables (%s): %s", hv_event_tables_dir(), e);
			*status = 1;
		}
	}
	return ev;
}

static int
ctl_list_events_exec(struct ctl *c)
{
	static const char *backends[] = { "perf", "xenoprof" };
	const char *want_backend = NULL, *want_type = c->arg;
	char host[64] = "", note[HV_ERR_LEN + 128] = "", resolved[64];
	int shown = 0, status = 0, all = 0;

	for (int i = 0; i < c->nsetup; i++) {
		if (strncmp(c->setup_args[i], "--backend=", 10) == 0) {
			want_backend = c->setup_args[i] + 10;
			if (strcmp(want_backend, "perf") != 0 && strcmp(want_backend, "xenoprof") != 0 &&
			    strcmp(want_backend, "auto") != 0) {
				warnx("--list-events: unknown backend '%s'; use perf or xenoprof", want_backend);
				return 2;
			}
			if (strcmp(want_backend, "auto") == 0)
				want_backend = NULL;
			continue;
		}
		warnx("--list-events takes only --backend= (got %s)", c->setup_args[i]);
		return 2;
	}
	if (want_type != NULL && strcmp(want_type, "all") == 0) {
		all = 1;
		want_type = NULL;
	}
	/* CPUTYPE by its full or its short name; otherwise an event name. */
	const char *event = NULL;
	if (want_type != NULL) {
		const char *exact = NULL, *byshort = NULL;
		int nshort = 0;

		for (size_t b = 0; b < 2; b++) {
			size_t n = 0;
			const struct hv_event_info *ev = hv_events(backends[b], &n);

			for (size_t i = 0; ev != NULL && i < n; i++) {
				const char *t = type_of(&ev[i]);

				if (strcmp(t, want_type) == 0)
					exact = t;
				else if (strcmp(short_type(t), want_type) == 0 &&
				    (byshort == NULL || strcmp(byshort, t) != 0))
					byshort = t, nshort++;
			}
		}
		if (exact == NULL && nshort > 1) {
			warnx("--list-events=%s: several cpu types end so; give the full name", want_type);
			return 2;
		}
		if (exact != NULL || byshort != NULL) {
			snprintf(resolved, sizeof(resolved), "%s", exact ? exact : byshort);
			want_type = resolved;
		} else {
			event = want_type;
			want_type = NULL;
		}
	}
	/* The default: this host's table. */
	if (want_type == NULL && !all) {
		host_cpu_type(c, host, sizeof(host), note, sizeof(note));
		if (event == NULL) {
			if (host[0] == '\0' && want_backend == NULL)
				want_backend = "perf";
			else if (host[0] != '\0' && strcmp(host, "*") != 0 &&
			    (want_backend == NULL || strcmp(want_backend, "xenoprof") == 0))
				want_type = host;
			if (host[0] != '\0' && want_backend == NULL)
				want_backend = "xenoprof";
		}
	}
	if (event != NULL) {
		/* ophelp EVENT: the host's table first, then every table with it. */
		const char *near = NULL;
		unsigned best = ~0u;

		for (int pass = 0; pass < 2 && shown == 0; pass++) {
			if (pass == 0 && (host[0] == '\0' || strcmp(host, "*") == 0))
				continue;
			for (size_t b = 0; b < 2; b++) {
				size_t n = 0;
				const struct hv_event_info *ev;

				if (want_backend != NULL && strcmp(want_backend, backends[b]) != 0)
					continue;
				if (pass == 0 && strcmp(backends[b], "xenoprof") != 0)
					continue;
				ev = backend_events(backends[b], &n, want_backend, &status);
				for (size_t i = 0; ev != NULL && i < n; i++) {
					unsigned d = distance(event, ev[i].name);

					if (d < best)
						best = d, near = ev[i].name;
					if (strcasecmp(ev[i].name, event) != 0 ||
					    (pass == 0 && strcmp(type_of(&ev[i]), host) != 0))
						continue;
					printf("%sbackend %s, cpu type %s:\n", shown ? "\n" : "", backends[b],
					    type_of(&ev[i]));
					print_ophelp(&ev[i], ev, n);
					shown++;
				}
			}
		}
		if (shown == 0) {
			warnx("--list-events=%s: no such cpu type or event%s%s%s; --list-events=all lists "
			    "every table", event, near ? " (nearest event '" : "", near ? near : "",
			    near ? "')" : "");
			return 1;
		}
		return status;
	}
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct hv_event_info *ev;
		const char *last = NULL;
		size_t n = 0;

		if (want_backend != NULL && strcmp(want_backend, backends[b]) != 0)
			continue;
		ev = backend_events(backends[b], &n, want_backend, &status);
		for (size_t i = 0; ev != NULL && i < n; i++) {
			const char *type = type_of(&ev[i]);

			if (want_type != NULL && strcmp(want_type, type) != 0)
				continue;
			if (last == NULL || strcmp(last, type) != 0) {
				printf("%sbackend %s, cpu type %s%s:\n", shown ? "\n" : "", backends[b], type,
				    host[0] && strcmp(host, type) == 0 ? " (this host)" : "");
				printf("  %-40s %-6s %-9s %-10s %-12s %s\n", "NAME", "CODE", "MIN", "DEFAULT",
				    "COUNTERS", "DESCRIPTION");
				last = type;
				shown++;
			}
			print_event(&ev[i]);
		}
	}
	if (shown == 0 && want_type != NULL) {
		warnx("--list-events=%s: no such cpu type%s; the types: timer (perf) and those "
		    "listed in %s/cpu_types (short names too: core_2)", want_type,
		    want_backend ? " for this backend" : "", hv_event_tables_dir());
		return 1;
	}
	if (note[0])
		printf("\nnote: %s\n", note);
	printf("\nevent spec: --event=NAME:COUNT[:UNITMASK[:KERNEL[:USER]]]; COUNT at least MIN "
	    "(ns for the clocks), UNITMASK numeric (decimal or 0x hex)\n");
	if (!all)
		printf("every table: --list-events=all; one event: --list-events=NAME\n");
	return status;
}

const struct ctl_cmd ctl_list_events_cmd = {
	.name = "list-events",
	.usage = "--list-events[=CPUTYPE|EVENT|all] [--backend=B]  this host's events (ophelp), or those named",
	.takes_setup = true,
	.optional_value = true,
	.exec = ctl_list_events_exec,
};
