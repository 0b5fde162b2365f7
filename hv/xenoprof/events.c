/*
 * Events of the cpu types xenoprof's init reports, with OProfile's names,
 * event codes, default unit masks and minimum counts (a count below the
 * minimum risks an NMI storm on the host).
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hv/xenoprof/xoP.h"

static const struct xo_event_def arch_perfmon[] = {
	{ "CPU_CLK_UNHALTED", 0x3c, 0x00, 6000, "clock cycles when not halted" },
	{ "INST_RETIRED", 0xc0, 0x00, 6000, "instructions retired" },
	{ "LLC_MISSES", 0x2e, 0x41, 6000, "last level cache demand requests that missed" },
	{ "LLC_REFS", 0x2e, 0x4f, 6000, "last level cache demand requests" },
	{ "BR_INST_RETIRED", 0xc4, 0x00, 500, "branch instructions retired" },
	{ "BR_MISS_PRED_RETIRED", 0xc5, 0x00, 500, "mispredicted branches retired" },
};

static const struct xo_event_def core_2[] = {
	{ "CPU_CLK_UNHALTED", 0x3c, 0x00, 6000, "clock cycles when not halted" },
	{ "INST_RETIRED_ANY_P", 0xc0, 0x00, 6000, "instructions retired" },
	{ "LLC_MISSES", 0x2e, 0x41, 6000, "last level cache demand requests that missed" },
	{ "LLC_REFS", 0x2e, 0x4f, 6000, "last level cache demand requests" },
	{ "L2_RQSTS", 0x2e, 0xff, 500, "L2 cache requests" },
	{ "BR_INST_RETIRED", 0xc4, 0x00, 500, "branch instructions retired" },
	{ "BR_MISSP_EXEC", 0x89, 0x00, 500, "mispredicted branches executed" },
	{ "BUS_IO_WAIT", 0x7f, 0x40, 500, "IO requests waiting in the bus queue" },
	{ "BUS_TRANS_ANY", 0x70, 0x40, 500, "all bus transactions" },
	{ "RESOURCE_STALLS", 0xdc, 0x1f, 500, "cycles during which resource stalls occur" },
};

static const struct xo_event_def hammer[] = {
	{ "CPU_CLK_UNHALTED", 0x76, 0x00, 3000, "cycles outside of halt state" },
	{ "RETIRED_INSNS", 0xc0, 0x00, 3000, "retired instructions" },
	{ "DATA_CACHE_ACCESSES", 0x40, 0x00, 500, "data cache accesses" },
	{ "DATA_CACHE_MISSES", 0x41, 0x00, 500, "data cache misses" },
	{ "L2_CACHE_MISS", 0x7e, 0x07, 500, "L2 cache misses" },
	{ "RETIRED_BRANCHES", 0xc2, 0x00, 500, "retired branches" },
	{ "RETIRED_MISPREDICTED_BRANCHES", 0xc3, 0x00, 500, "retired mispredicted branches" },
};

static const struct xo_event_def family10[] = {
	{ "CPU_CLK_UNHALTED", 0x76, 0x00, 3000, "cycles outside of halt state" },
	{ "RETIRED_INSTRUCTIONS", 0xc0, 0x00, 3000, "retired instructions" },
	{ "DATA_CACHE_ACCESSES", 0x40, 0x00, 500, "data cache accesses" },
	{ "DATA_CACHE_MISSES", 0x41, 0x00, 500, "data cache misses" },
	{ "L2_CACHE_MISS", 0x7e, 0x0f, 500, "L2 cache misses" },
	{ "RETIRED_BRANCH_INSTRUCTIONS", 0xc2, 0x00, 500, "retired branches" },
	{ "RETIRED_MISPREDICTED_BRANCH_INSTRUCTIONS", 0xc3, 0x00, 500, "retired mispredicted branches" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *cpu_type;
	const struct xo_event_def *ev;
	size_t n;
} xo_tables[] = {
	{ "i386/arch_perfmon", arch_perfmon, N(arch_perfmon) },
	{ "i386/core_2", core_2, N(core_2) },
	{ "x86-64/hammer", hammer, N(hammer) },
	{ "x86-64/family10", family10, N(family10) },
};

const struct xo_event_def *
xo_events_for(const char *cpu_type, size_t *n)
{
	for (size_t i = 0; i < N(xo_tables); i++)
		if (strcmp(xo_tables[i].cpu_type, cpu_type) == 0) {
			*n = xo_tables[i].n;
			return xo_tables[i].ev;
		}
	*n = 0;
	return NULL;
}

const struct hv_event_info *
xo_event_infos(size_t *n)
{
	static struct hv_event_info infos[64];
	static char descs[64][128];
	static size_t count;

	if (count == 0) {
		for (size_t t = 0; t < N(xo_tables); t++)
			for (size_t i = 0; i < xo_tables[t].n && count < N(infos); i++) {
				const struct xo_event_def *d = &xo_tables[t].ev[i];

				snprintf(descs[count], sizeof(descs[0]), "%s: %s (code 0x%02x, unit mask 0x%02x)",
				    xo_tables[t].cpu_type, d->desc, d->code, d->unit_mask);
				infos[count].name = d->name;
				infos[count].desc = descs[count];
				infos[count].min_count = d->min_count;
				infos[count].default_count = d->min_count * 100;
				infos[count].needs_pmu = true;
				count++;
			}
	}
	*n = count;
	return infos;
}

static const struct xo_event_def *
find(const struct xo_event_def *ev, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(ev[i].name, name) == 0)
			return &ev[i];
	return NULL;
}

int
xo_event_resolve(const char *cpu_type, const struct hv_event *ev,
    const struct xo_event_def **def, char *err, size_t errlen)
{
	const struct xo_event_def *d = NULL;
	size_t t;

	for (t = 0; t < N(xo_tables) && d == NULL; t++)
		if (cpu_type[0] == '\0' || strcmp(cpu_type, xo_tables[t].cpu_type) == 0)
			d = find(xo_tables[t].ev, xo_tables[t].n, ev->name);
	if (d == NULL) {
		size_t n;

		if (cpu_type[0] && xo_events_for(cpu_type, &n) == NULL)
			snprintf(err, errlen, "cpu type '%s' reported by Xen has no event table in xenprof; "
			    "use --backend=perf", cpu_type);
		else
			snprintf(err, errlen, "event '%s' is not known for cpu type %s "
			    "(xenprof-ctl --list-events lists them)", ev->name,
			    cpu_type[0] ? cpu_type : "any xenoprof cpu type");
		return -1;
	}
	if (ev->count < d->min_count) {
		snprintf(err, errlen, "event '%s': count %llu is below the minimum %llu; use %s:%llu or more",
		    d->name, (unsigned long long)ev->count, (unsigned long long)d->min_count,
		    d->name, (unsigned long long)d->min_count);
		return -1;
	}
	if (ev->count >= (1ull << 31)) {
		snprintf(err, errlen, "event '%s': count %llu is too large for the counters (below 2^31)",
		    d->name, (unsigned long long)ev->count);
		return -1;
	}
	if (ev->unit_mask > 0xff) {
		snprintf(err, errlen, "event '%s': unit mask 0x%x does not fit 8 bits", d->name, ev->unit_mask);
		return -1;
	}
	*def = d;
	return 0;
}
