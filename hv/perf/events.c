/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.c: the events the perf backend offers.  Software clocks work
 * everywhere; the hardware events and their OProfile names need a PMU
 * (on Xen: vpmu=on and a dom0 kernel with the Xen PMU glue).
 */
#include "config.h"

#include <linux/perf_event.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hv/evtab.h"
#include "hv/perf/perfP.h"

#define PERF_MIN_CLOCK	10000ULL	/* ns: 100 kHz per cpu */
#define PERF_MIN_HW	10000ULL	/* events */
#define PERF_DEF_CLOCK	1000000ULL	/* ns: 1 kHz per cpu */
#define PERF_DEF_HW	1000000ULL

#define SW(n, c, d)	{ n, NULL, PERF_TYPE_SOFTWARE, c, PERF_MIN_CLOCK, PERF_DEF_CLOCK, false, d }
#define HW(n, c, d)	{ n, NULL, PERF_TYPE_HARDWARE, c, PERF_MIN_HW, PERF_DEF_HW, true, d }
#define OP(n, a, c, d)	{ n, a, PERF_TYPE_HARDWARE, c, PERF_MIN_HW, PERF_DEF_HW, true, d }

static const struct perf_event_def perf_events[] = {
	SW("cpu-clock", PERF_COUNT_SW_CPU_CLOCK, "CPU time, COUNT in ns (timer; works without a PMU)"),
	SW("task-clock", PERF_COUNT_SW_TASK_CLOCK, "task time, COUNT in ns (timer; works without a PMU)"),
	HW("cycles", PERF_COUNT_HW_CPU_CYCLES, "CPU cycles (PMU)"),
	HW("instructions", PERF_COUNT_HW_INSTRUCTIONS, "instructions retired (PMU)"),
	HW("cache-references", PERF_COUNT_HW_CACHE_REFERENCES, "last-level cache references (PMU)"),
	HW("cache-misses", PERF_COUNT_HW_CACHE_MISSES, "last-level cache misses (PMU)"),
	HW("branch-instructions", PERF_COUNT_HW_BRANCH_INSTRUCTIONS, "branches retired (PMU)"),
	HW("branch-misses", PERF_COUNT_HW_BRANCH_MISSES, "mispredicted branches (PMU)"),
	OP("CPU_CLK_UNHALTED", "cycles", PERF_COUNT_HW_CPU_CYCLES, "OProfile name for cycles (PMU)"),
	OP("INST_RETIRED", "instructions", PERF_COUNT_HW_INSTRUCTIONS, "OProfile name for instructions (PMU)"),
	OP("LLC_REFS", "cache-references", PERF_COUNT_HW_CACHE_REFERENCES, "OProfile name for cache-references (PMU)"),
	OP("LLC_MISSES", "cache-misses", PERF_COUNT_HW_CACHE_MISSES, "OProfile name for cache-misses (PMU)"),
	OP("BR_INST_RETIRED", "branch-instructions", PERF_COUNT_HW_BRANCH_INSTRUCTIONS, "OProfile name for branch-instructions (PMU)"),
	OP("BR_MISS_PRED_RETIRED", "branch-misses", PERF_COUNT_HW_BRANCH_MISSES, "OProfile name for branch-misses (PMU)"),
};
#define PERF_NEVENTS (sizeof(perf_events) / sizeof(perf_events[0]))

/* rNNNN: a raw PMU event, NNNN hex as in perf(1); the unit mask goes to bits 8-15. */
static const struct perf_event_def perf_raw = {
	"rNNNN", NULL, PERF_TYPE_RAW, 0, PERF_MIN_HW, PERF_DEF_HW, true,
	"raw PMU event NNNN (hex, as perf -e rNNNN); unit mask into bits 8-15 (PMU)",
};

static struct hv_event_info perf_infos[PERF_NEVENTS + 1];

const struct hv_event_info *
perf_event_infos(size_t *n)
{
	size_t i;

	/* Built on first use from the one table; idempotent, so races are harmless. */
	for (i = 0; i < PERF_NEVENTS; i++) {
		perf_infos[i].name = perf_events[i].name;
		perf_infos[i].desc = perf_events[i].desc;
		perf_infos[i].min_count = perf_events[i].min_count;
		perf_infos[i].default_count = perf_events[i].default_count;
		perf_infos[i].needs_pmu = perf_events[i].needs_pmu;
	}
	perf_infos[i].name = perf_raw.name;
	perf_infos[i].desc = perf_raw.desc;
	perf_infos[i].min_count = perf_raw.min_count;
	perf_infos[i].default_count = perf_raw.default_count;
	perf_infos[i].needs_pmu = true;
	*n = PERF_NEVENTS + 1;
	return perf_infos;
}

/* "r" followed by 1-16 hex digits: the config into *CONFIG. */
static bool
perf_parse_raw(const char *name, uint64_t *config)
{
	uint64_t v = 0;
	const char *p;
	unsigned d;

	if (name[0] != 'r' || name[1] == '\0' || strlen(name + 1) > 16)
		return false;
	for (p = name + 1; *p != '\0'; p++) {
		if (!isxdigit((unsigned char)*p))
			return false;
		d = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		v = v << 4 | d;
	}
	*config = v;
	return true;
}

int
perf_event_resolve(const struct hv_event *ev, const struct perf_event_def **def,
    uint32_t *type, uint64_t *config, char *err, size_t errlen)
{
	const struct perf_event_def *d = NULL, *near = NULL;
	unsigned dist, best = ~0u;
	uint64_t raw;
	size_t i;

	for (i = 0; i < PERF_NEVENTS; i++) {
		if (strcasecmp(ev->name, perf_events[i].name) == 0) {
			d = &perf_events[i];
			break;
		}
		dist = evtab_distance(ev->name, perf_events[i].name);
		if (dist < best) {
			best = dist;
			near = &perf_events[i];
		}
	}
	if (d == NULL && perf_parse_raw(ev->name, &raw)) {
		d = &perf_raw;
		if (ev->unit_mask > 0xff)
			return hv_seterr(err, errlen, "event '%s': unit mask 0x%x does not fit "
			    "8 bits; put it into the raw code instead (rNNNN, bits 8-15)",
			    ev->name, ev->unit_mask);
		if (ev->unit_mask != 0)
			raw = (raw & ~0xff00ULL) | (uint64_t)ev->unit_mask << 8;
		*config = raw;
	} else if (d == NULL) {
		return hv_seterr(err, errlen, "event '%s' is not known to the perf backend; "
		    "nearest is '%s' (xenprof-ctl --list-events lists all)",
		    ev->name, near->name);
	} else {
		if (ev->unit_mask != 0)
			return hv_seterr(err, errlen, "event '%s': a unit mask (0x%x) is not "
			    "supported for this event on the perf backend; drop it, or use "
			    "a raw event rNNNN with the unit mask", ev->name, ev->unit_mask);
		*config = d->config;
	}
	if (ev->count < d->min_count)
		return hv_seterr(err, errlen, "event '%s': count %llu is below the minimum "
		    "%llu%s; use %s:%llu or more", ev->name,
		    (unsigned long long)ev->count, (unsigned long long)d->min_count,
		    d->type == PERF_TYPE_SOFTWARE ? " ns" : "", ev->name,
		    (unsigned long long)d->min_count);
	*type = d->type;
	*def = d;
	return 0;
}
