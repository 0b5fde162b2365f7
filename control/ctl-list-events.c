/* --list-events: the events this backend offers, with minimum counts. */

#include <stdio.h>
#include <string.h>

#include "control/ctl.h"
#include "hv/hv.h"

static int
ctl_list_events_exec(struct ctl *c)
{
	static const char *backends[] = { "perf", "xenoprof" };

	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		size_t n = 0;
		const struct hv_event_info *ev = hv_events(backends[b], &n);

		if (ev == NULL || n == 0)
			continue;
		printf("backend %s:\n", backends[b]);
		printf("  %-24s %-12s %-12s %s\n", "name", "min count", "default", "description");
		for (size_t i = 0; i < n; i++)
			printf("  %-24s %-12llu %-12llu %s%s\n", ev[i].name,
			    (unsigned long long)ev[i].min_count,
			    (unsigned long long)ev[i].default_count, ev[i].desc,
			    ev[i].needs_pmu ? " (needs a hardware PMU)" : "");
	}
	printf("event spec: --event=NAME:COUNT[:UNITMASK[:KERNEL[:USER]]]\n");
	return 0;
}

const struct ctl_cmd ctl_list_events_cmd = {
	.name = "list-events",
	.usage = "--list-events             the events this machine offers, with minimum counts",
	.exec = ctl_list_events_exec,
};
