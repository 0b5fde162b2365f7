/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-eventspec.c: libFuzzer target for hv_event_parse() and the perf
 * backend's name/count resolution (perf_event_resolve, edit distance).
 * Input: the spec bytes (NUL-terminated copy; embedded NULs end it).
 * Invariants checked: on success the event is sane; on failure the error
 * is non-empty, one line, and fits the buffer, also for tiny buffers.
 * Seeds: tests/fuzz/corpus/eventspec/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv.h"
#include "hv/perf/perfP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_err(const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen || (errlen > 1 && n == 0) || memchr(err, '\n', n) != NULL)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct perf_event_def *def;
	struct hv_event ev;
	char *spec, err[HV_ERR_LEN], small[8];
	uint64_t config;
	uint32_t type;
	int rc;

	if ((spec = malloc(size + 1)) == NULL)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';

	rc = hv_event_parse(spec, &ev, err, sizeof(err));
	if (rc == 0) {
		if (ev.count == 0 || (!ev.kernel && !ev.user) || ev.name[0] == '\0' ||
		    strnlen(ev.name, sizeof(ev.name)) == sizeof(ev.name))
			__builtin_trap();
		if (perf_event_resolve(&ev, &def, &type, &config, err, sizeof(err)) < 0)
			check_err(err, sizeof(err));
		else if (def == NULL || ev.count < def->min_count)
			__builtin_trap();
	} else
		check_err(err, sizeof(err));
	/* The same with a tiny and with no error buffer: same verdict. */
	if (hv_event_parse(spec, &ev, small, sizeof(small)) != rc ||
	    hv_event_parse(spec, &ev, NULL, 0) != rc)
		__builtin_trap();
	if (rc < 0)
		check_err(small, sizeof(small));
	free(spec);
	return 0;
}
