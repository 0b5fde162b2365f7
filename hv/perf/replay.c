/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The replay backend: a recorded or synthetic stream of perf records,
 * delivered as if a perf ring held them.  It exists for tests of what needs
 * hardware this machine lacks (Xen's vPMU: hypervisor and guest samples in
 * dom0's perf), and to re-attribute a captured stream.
 *
 * Test builds only (tests/bin): the installed programs have no replay
 * backend.  The stream is the file named by $XENPROF_REPLAY:
 *   offset 0   8 bytes  magic "XPREPLAY"
 *          8   u64      perf_event_attr.sample_type of the records
 *         16   u32      1 if side-band records carry the sample_id trailer
 *         20   u32      the cpu of records without PERF_SAMPLE_CPU
 *         24   ...      perf records (struct perf_event_header + body), little-endian
 * Everything is delivered at the first drain after start.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/hvP.h"
#include "hv/perf/perfP.h"

#define REPLAY_MAX	(256u << 20)	/* a stream larger than this is refused */

struct replay {
	uint8_t	       *buf;
	size_t		len;
	struct perf_ring_ctx ctx;
	struct hv_stats	st;
	int		started, done;
};

static void *
replay_open(const struct hv_config *cfg, char *err, size_t errlen)
{
	const char *path = XP_TEST_ENV("XENPROF_REPLAY");
	struct replay *r;
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	uint64_t st;
	uint32_t idall, cpu;
	int fd;

	if (path == NULL || *path == '\0') {
		hv_seterr(err, errlen, "backend 'replay': set XENPROF_REPLAY to a record stream file");
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &sb) == -1) {
		hv_seterr(err, errlen, "backend 'replay': %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (sb.st_size < 24 || (uint64_t)sb.st_size > REPLAY_MAX) {
		close(fd);
		hv_seterr(err, errlen, "backend 'replay': %s: not a record stream (size %lld)", path,
		    (long long)sb.st_size);
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->buf = malloc((size_t)sb.st_size)) == NULL ||
	    (r->ctx.bounce = malloc(PERF_RECORD_MAX)) == NULL) {
		close(fd);
		if (r)
			free(r->buf);
		free(r);
		hv_seterr(err, errlen, "backend 'replay': out of memory");
		return NULL;
	}
	while (got < (size_t)sb.st_size && (n = read(fd, r->buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != (size_t)sb.st_size || memcmp(r->buf, "XPREPLAY", 8) != 0) {
		free(r->ctx.bounce);
		free(r->buf);
		free(r);
		hv_seterr(err, errlen, "backend 'replay': %s: bad magic (expected XPREPLAY)", path);
		return NULL;
	}
	memcpy(&st, r->buf + 8, 8);
	memcpy(&idall, r->buf + 16, 4);
	memcpy(&cpu, r->buf + 20, 4);
	r->len = got;
	r->ctx.sample_type = st;
	r->ctx.sample_id_all = idall != 0;
	r->ctx.cpu = cpu;
	r->ctx.max_chain = (uint16_t)(cfg->callgraph < HV_MAX_CHAIN ? cfg->callgraph : HV_MAX_CHAIN);
	return r;
}

static const char *
replay_cpu_type(const void *be)
{
	return "replay";
}

static int
replay_start(void *be, char *err, size_t errlen)
{
	((struct replay *)be)->started = 1;
	return 0;
}

static int
replay_stop(void *be, char *err, size_t errlen)
{
	return 0;
}

static int
replay_pollfds(void *be, struct pollfd *fds, int max)
{
	return 0;
}

static int
replay_poll_interval_ms(const void *be)
{
	return 10;
}

static long
replay_drain(void *be, const struct hv_sink *sink)
{
	struct replay *r = be;
	uint64_t before = r->st.records;

	if (!r->started || r->done)
		return 0;
	r->done = 1;
	perf_ring_parse(&r->ctx, r->buf + 24, r->len - 24, sink, &r->st);
	return (long)(r->st.records - before);
}

static void
replay_stats(const void *be, struct hv_stats *st)
{
	*st = ((const struct replay *)be)->st;
}

static void
replay_close(void *be)
{
	struct replay *r = be;

	free(r->ctx.bounce);
	free(r->buf);
	free(r);
}

static const struct hv_event_info *
replay_events(size_t *n)
{
	*n = 0;
	return NULL;
}

static int
replay_check(const struct hv_event *ev, char *err, size_t errlen)
{
	return 0;	/* the stream decides what was counted */
}

const struct hv_backend_ops hv_replay_ops = {
	.name = "replay",
	.open = replay_open,
	.cpu_type = replay_cpu_type,
	.start = replay_start,
	.stop = replay_stop,
	.pollfds = replay_pollfds,
	.poll_interval_ms = replay_poll_interval_ms,
	.drain = replay_drain,
	.stats = replay_stats,
	.close = replay_close,
	.events = replay_events,
	.check = replay_check,
	.default_event = "cpu-clock:1000000",
};
