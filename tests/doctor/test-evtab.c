/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-evtab: the event tables' parser (hv/evtab.c) on good and bad input,
 * and every entry of every shipped table resolved for its own cpu type:
 * the minimum count is accepted and one less refused, every listed unit mask
 * value is accepted, a value outside the mask refused.  Plain C, prints
 * "ok"/"FAIL" lines, exit status 1 on any failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/evtab.h"
#include "hv/hv.h"
#ifdef HAVE_XEN
#include "hv/xenoprof/xoP.h"
#endif

static int fails, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		fails++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static int
parse(const char *um, const char *ev, char *err, size_t errlen)
{
	struct evtab t;
	int r = evtab_parse(&t, "test/type", um, um ? strlen(um) : 0, "um", ev, strlen(ev), "ev",
	    err, errlen);

	if (r == 0)
		evtab_free(&t);
	return r;
}

static void
test_parser(void)
{
	static const char *um =
	    "# comment\n"
	    "name:zero type:mandatory default:0x0\n"
	    "\t0x0 no unit mask\n"
	    "name:core type:exclusive default:0x40\n"
	    "\t0xc0 name:all_cores all cores\n"
	    "\t0x40 name:this_core this core\n"
	    "name:bits type:bitmask default:0x3\n"
	    "\t0x01 one\n"
	    "\t0x02 two\n";
	static const char *ev =
	    "event:0x7f counters:0,1 um:core minimum:500 name:BUS_IO_WAIT : waiting\n"
	    "\n"
	    "event:0x3c counters:cpuid minimum:6000 name:CPU_CLK :clocks \r\n"
	    "event:0x10 um:bits minimum:1 name:X.Y-z : x\n";
	struct evtab t;
	char err[HV_ERR_LEN];
	struct {
		const char *um, *ev, *want;
	} bad[] = {
		{ NULL, "", "no events" },
		{ NULL, "event:0x100 minimum:1 name:A : a\n", "0..0xff" },
		{ NULL, "event:0x10 minimum:0 name:A : a\n", "minimum" },
		{ NULL, "event:0x10 minimum:1 name:A\n", "DESCRIPTION" },
		{ NULL, "event:0x10 minimum:1 name:A :\n", "no description" },
		{ NULL, "event:0x10 name:A : a\n", "needs event:, minimum: and name:" },
		{ NULL, "event:0x10 minimum:1 um:nope name:A : a\n", "not in unit_masks" },
		{ NULL, "event:0x10 minimum:1 name:A/B : a\n", "bad event name" },
		{ NULL, "event:0x10 minimum:1 name:A : a\nevent:0x11 minimum:1 name:a : b\n", "twice" },
		{ NULL, "event:0x10 bogus:1 minimum:1 name:A : a\n", "unexpected" },
		{ NULL, "event:0x10 counters:0,99 minimum:1 name:A : a\n", "counters" },
		{ NULL, "event:0x10 minimum:1 name:A : a\001\n", "printable" },
		{ "\t0x1 x\n", "event:0x10 minimum:1 name:A : a\n", "before any" },
		{ "name:m type:mandatory default:0x1\n\t0x1 a\n\t0x2 b\n", "event:0x10 minimum:1 name:A : a\n", "mandatory" },
		{ "name:m type:exclusive default:0x4\n\t0x1 a\n\t0x2 b\n", "event:0x10 minimum:1 name:A : a\n", "default" },
		{ "name:m type:bitmask default:0x3\n", "event:0x10 minimum:1 name:A : a\n", "no values" },
		{ "name:m type:weird default:0x3\n\t0x1 a\n", "event:0x10 minimum:1 name:A : a\n", "type" },
		{ "name:m type:bitmask\n\t0x1 a\n", "event:0x10 minimum:1 name:A : a\n", "needs name:" },
		{ "name:m type:bitmask default:0x1\n\t0x1 a\n\t0x1 b\n", "event:0x10 minimum:1 name:A : a\n", "twice" },
		{ "name:m type:bitmask default:0x1\n\t0x100 a\n", "event:0x10 minimum:1 name:A : a\n", "0..0xff" },
		{ "name:m type:bitmask default:0x1\n\t0x1 a\nname:m type:bitmask default:0x1\n\t0x1 a\n",
		  "event:0x10 minimum:1 name:A : a\n", "defined twice" },
	};
	char longline[1000];

	CHECK(evtab_parse(&t, "test/type", um, strlen(um), "um", ev, strlen(ev), "ev", err,
	    sizeof(err)) == 0, "good tables: %s", err);
	CHECK(t.nevents == 3 && t.nmasks == 3, "counts %u %u", t.nevents, t.nmasks);
	CHECK(strcmp(t.events[1].desc, "clocks") == 0, "desc '%s'", t.events[1].desc);
	CHECK(t.events[0].counters == 3 && t.events[1].counters == 0, "counters");
	CHECK(t.events[0].um != NULL && t.events[0].um->pub.defval == 0x40, "um");
	CHECK(strcmp(t.events[0].um->values[0].name, "all_cores") == 0, "value name");
	CHECK(evtab_mask_check(t.events[0].um, "E", 0xc0, err, sizeof(err)) == 0, "exclusive ok");
	CHECK(evtab_mask_check(t.events[0].um, "E", 0x80, err, sizeof(err)) == -1 &&
	    strstr(err, "0xc0 all_cores") != NULL, "exclusive bad: %s", err);
	CHECK(evtab_mask_check(t.events[2].um, "E", 0x3, err, sizeof(err)) == 0, "bitmask OR ok");
	CHECK(evtab_mask_check(t.events[2].um, "E", 0x4, err, sizeof(err)) == -1, "bitmask bad");
	CHECK(evtab_mask_check(NULL, "E", 0, err, sizeof(err)) == 0, "no mask, 0");
	CHECK(evtab_mask_check(NULL, "E", 1, err, sizeof(err)) == -1, "no mask, 1");
	evtab_free(&t);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(parse(bad[i].um, bad[i].ev, err, sizeof(err)) == -1 && strstr(err, bad[i].want),
		    "bad input %zu: want '%s', got '%s'", i, bad[i].want, err);
		CHECK(strchr(err, '\n') == NULL, "one line: %s", err);
	}
	memset(longline, 'A', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CHECK(parse(NULL, longline, err, sizeof(err)) == -1 && strstr(err, "longer"), "long line: %s", err);
	/* Every prefix of the good input: parses or fails cleanly, never crashes. */
	for (size_t n = 0; n <= strlen(ev); n++) {
		struct evtab tt;

		if (evtab_parse(&tt, "t", um, strlen(um), "um", ev, n, "ev", err, sizeof(err)) == 0)
			evtab_free(&tt);
	}
	for (size_t n = 0; n <= strlen(um); n++) {
		struct evtab tt;

		if (evtab_parse(&tt, "t", um, n, "um", ev, strlen(ev), "ev", err, sizeof(err)) == 0)
			evtab_free(&tt);
	}
	{
		char types[4][EVTAB_NAME_LEN];
		const char *idx = "# c\ni386/core_2\n\nx86-64/hammer\n";

		CHECK(evtab_parse_types(idx, strlen(idx), types, 4, err, sizeof(err)) == 2 &&
		    strcmp(types[1], "x86-64/hammer") == 0, "types: %s", err);
		CHECK(evtab_parse_types("../x\n", 5, types, 4, err, sizeof(err)) == -1, "types ..");
		CHECK(evtab_parse_types("a b\n", 4, types, 4, err, sizeof(err)) == -1, "types two");
		CHECK(evtab_parse_types("a\na\n", 4, types, 4, err, sizeof(err)) == -1, "types dup");
	}
	CHECK(evtab_distance("BUS_IO_WAITT", "BUS_IO_WAIT") == 1, "distance");
}

/* Every shipped table loads, and each entry resolves for its cpu type. */
static void
test_tables(void)
{
	static const char *types[] = { "i386/arch_perfmon", "i386/core_2", "x86-64/hammer",
		"x86-64/family10", "x86-64/family11h", "x86-64/family12h", "x86-64/family14h",
		"x86-64/family15h" };
	char err[HV_ERR_LEN];
	size_t n = 0, total = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct evtab t;

		CHECK(evtab_load(&t, evtab_dir(), types[i], err, sizeof(err)) == 0, "%s: %s", types[i], err);
		if (t.nevents == 0)
			continue;
		total += t.nevents;
#ifdef HAVE_XEN
		for (uint32_t j = 0; j < t.nevents; j++) {
			const struct evtab_event *e = &t.events[j];
			const struct xo_event_def *d;
			struct hv_event ev;

			memset(&ev, 0, sizeof(ev));
			snprintf(ev.name, sizeof(ev.name), "%s", e->name);
			ev.kernel = ev.user = true;
			ev.count = e->min_count;
			CHECK(xo_event_resolve(types[i], &ev, &d, err, sizeof(err)) == 0 &&
			    d->code == e->code && d->unit_mask == (e->um ? e->um->pub.defval : 0),
			    "%s %s:%llu: %s", types[i], e->name, (unsigned long long)ev.count, err);
			ev.count = e->min_count - 1;
			if (ev.count > 0)
				CHECK(xo_event_resolve(types[i], &ev, &d, err, sizeof(err)) == -1 &&
				    strstr(err, "minimum"), "%s %s below min", types[i], e->name);
			ev.count = e->min_count;
			ev.unit_mask_set = true;
			for (uint32_t k = 0; e->um != NULL && k < e->um->pub.nvalues; k++) {
				ev.unit_mask = e->um->values[k].value;
				CHECK(xo_event_resolve(types[i], &ev, &d, err, sizeof(err)) == 0,
				    "%s %s um 0x%x: %s", types[i], e->name, ev.unit_mask, err);
			}
			ev.unit_mask = 0x100;
			CHECK(xo_event_resolve(types[i], &ev, &d, err, sizeof(err)) == -1,
			    "%s %s um 0x100 refused", types[i], e->name);
			/* and through the public check, as --event does */
			ev.unit_mask_set = false;
			CHECK(hv_event_check("xenoprof", &ev, err, sizeof(err)) == 0, "%s check: %s",
			    e->name, err);
		}
#endif
		evtab_free(&t);
	}
#ifdef HAVE_XEN
	{
		const struct hv_event_info *info = hv_events("xenoprof", &n);

		CHECK(info != NULL && n == total, "hv_events(xenoprof) lists %zu of %zu", n, total);
		for (size_t i = 0; info != NULL && i < n; i++)
			CHECK(info[i].cpu_type != NULL && info[i].has_code && info[i].desc[0] != '\0',
			    "info %zu", i);
	}
	{
		struct hv_event ev;
		const struct xo_event_def *d;

		memset(&ev, 0, sizeof(ev));
		snprintf(ev.name, sizeof(ev.name), "RETIRED_INSNS");
		ev.count = 100000;
		CHECK(xo_event_resolve("i386/arch_perfmon", &ev, &d, err, sizeof(err)) == -1 &&
		    strstr(err, "not known for cpu type i386/arch_perfmon") &&
		    strstr(err, "x86-64/hammer"), "other type: %s", err);
		snprintf(ev.name, sizeof(ev.name), "CPU_CLK_UNHALTD");
		CHECK(xo_event_resolve("i386/core_2", &ev, &d, err, sizeof(err)) == -1 &&
		    strstr(err, "nearest is 'CPU_CLK_UNHALTED'"), "nearest: %s", err);
		CHECK(xo_event_resolve("x86-64/family17h", &ev, &d, err, sizeof(err)) == -1 &&
		    strstr(err, "no event table"), "unknown type: %s", err);
	}
#endif
	(void)n;
}

int
main(void)
{
	test_parser();
	test_tables();
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
