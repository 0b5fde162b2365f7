/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --list-events[=CPUTYPE] [--backend=perf|xenoprof]: the successor of
 * ophelp.  For each backend and cpu type the events with their codes, unit
 * masks (named and numeric), minimum counts and a one-line description.
 * CPUTYPE narrows it to one cpu type ("timer" is the perf backend's), the
 * --backend option to one backend.
 *
 * Layout (tests parse it): a header line per table, "backend B, cpu type T:"
 * then one event a line, two spaces in, columns NAME CODE MIN DEFAULT
 * COUNTERS DESCRIPTION (CODE and COUNTERS "-" where they do not apply); a
 * unit mask follows its event, six spaces in, "unit mask NAME (TYPE,
 * default 0xNN):", and one value a line, eight spaces in, "0xNN NAME
 * DESCRIPTION" (NAME "-" when the table names none).
 */

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "control/ctl.h"
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

static int
ctl_list_events_exec(struct ctl *c)
{
	static const char *backends[] = { "perf", "xenoprof" };
	const char *want_backend = NULL, *want_type = c->arg;
	int shown = 0, status = 0;

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
	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		const struct hv_event_info *ev;
		const char *last = NULL;
		size_t n = 0;

		if (want_backend != NULL && strcmp(want_backend, backends[b]) != 0)
			continue;
		ev = hv_events(backends[b], &n);
		if (strcmp(backends[b], "xenoprof") == 0) {
			const char *e = hv_event_tables_error();

			if ((ev == NULL || n == 0) && e[0] == '\0') {
				if (want_backend != NULL) {
					warnx("backend xenoprof: this build has no Xen support");
					status = 1;
				}
				continue;
			}
			if (e[0] != '\0') {
				warnx("xenoprof event tables (%s): %s", hv_event_tables_dir(), e);
				status = 1;
			}
		}
		for (size_t i = 0; ev != NULL && i < n; i++) {
			const char *type = ev[i].cpu_type ? ev[i].cpu_type : "timer";

			if (want_type != NULL && strcmp(want_type, type) != 0)
				continue;
			if (last == NULL || strcmp(last, type) != 0) {
				printf("%sbackend %s, cpu type %s:\n", shown ? "\n" : "", backends[b], type);
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
		    "listed in %s/cpu_types", want_type, want_backend ? " for this backend" : "",
		    hv_event_tables_dir());
		return 1;
	}
	printf("\nevent spec: --event=NAME:COUNT[:UNITMASK[:KERNEL[:USER]]]; COUNT at least MIN "
	    "(ns for the clocks), UNITMASK numeric (decimal or 0x hex)\n");
	return status;
}

const struct ctl_cmd ctl_list_events_cmd = {
	.name = "list-events",
	.usage = "--list-events[=CPUTYPE] [--backend=B]  events, codes, unit masks, minimum counts",
	.takes_setup = true,
	.optional_value = true,
	.exec = ctl_list_events_exec,
};
