/* store: the daemon's live session, flushed through libsamples. */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/kernel.h"
#include "daemon/store.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
drop_profiles(struct store *st)
{
	for (uint32_t i = 0; i < st->nprof; i++)
		xps_profile_free(st->prof[i]);
	st->nprof = 0;
	st->gen++;
}

/* Files that belong to a fresh session: the kallsyms copy and the meta. */
static int
begin(struct store *st, char *err, size_t errlen)
{
	char path[STORE_PATH_MAX + 32];

	if (mkdir(st->curdir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", st->curdir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/kallsyms", st->curdir);
	if (kernel_copy_file("/proc/kallsyms", path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	st->dirty = 1;
	return store_flush(st, err, errlen);
}

int
store_init(struct store *st, const char *sessdir, const struct xps_meta *meta,
    char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->gen = 1;
	st->meta = *meta;
	if (snprintf(st->sessdir, sizeof(st->sessdir), "%s", sessdir) >= (int)sizeof(st->sessdir) ||
	    xps_session_path(st->curdir, sizeof(st->curdir), sessdir, NULL) == -1) {
		snprintf(err, errlen, "%s: session directory path too long", sessdir);
		return -1;
	}
	return begin(st, err, errlen);
}

void
store_fini(struct store *st)
{
	drop_profiles(st);
}

struct xps_profile *
store_profile(struct store *st, uint32_t domid, const char *name)
{
	struct xps_profile *p;

	for (uint32_t i = 0; i < st->nprof; i++)
		if (xps_profile_domid(st->prof[i]) == domid)
			return st->prof[i];
	if (st->nprof == XPS_MAX_DOMAINS)
		return NULL;
	p = xps_profile_new(domid, name);
	if (p == NULL)
		return NULL;
	st->prof[st->nprof++] = p;
	return p;
}

int
store_flush(struct store *st, char *err, size_t errlen)
{
	char path[STORE_PATH_MAX + 32];

	for (uint32_t i = 0; i < st->nprof; i++) {
		snprintf(path, sizeof(path), "%s/dom%u.samples", st->curdir,
		    xps_profile_domid(st->prof[i]));
		if (xps_profile_write(st->prof[i], path) == -1) {
			snprintf(err, errlen, "flush: %s", xps_errmsg());
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/meta", st->curdir);
	if (xps_meta_write(&st->meta, path) == -1) {
		snprintf(err, errlen, "flush: %s", xps_errmsg());
		return -1;
	}
	st->flushes++;
	st->last_flush_ns = now_ns();
	st->dirty = 0;
	return 0;
}

int
store_reset(struct store *st, char *err, size_t errlen)
{
	drop_profiles(st);
	if (xps_session_reset(st->sessdir) == -1) {
		snprintf(err, errlen, "reset: %s", xps_errmsg());
		return -1;
	}
	if (st->meta.start_time) {
		st->meta.start_time = now_ns();
		st->meta.stop_time = 0;
	}
	return begin(st, err, errlen);
}

int
store_save(struct store *st, const char *name, char *err, size_t errlen)
{
	int running = st->meta.start_time && !st->meta.stop_time;

	if (!xps_name_valid(name)) {
		snprintf(err, errlen, "--save=%s: %s", name, xps_errmsg());
		return -1;
	}
	if (running)
		st->meta.stop_time = now_ns();
	if (store_flush(st, err, errlen) == -1)
		return -1;
	if (xps_session_save(st->sessdir, name) == -1) {
		snprintf(err, errlen, "save: %s", xps_errmsg());
		if (running)
			st->meta.stop_time = 0;
		return -1;
	}
	drop_profiles(st);
	if (running) {
		st->meta.start_time = now_ns();
		st->meta.stop_time = 0;
	} else {
		st->meta.start_time = 0;
		st->meta.stop_time = 0;
	}
	return begin(st, err, errlen);
}

uint64_t
store_total(const struct store *st)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < st->nprof; i++)
		n += xps_profile_total(st->prof[i]);
	return n;
}

uint64_t
store_lost(const struct store *st)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < st->nprof; i++)
		n += xps_profile_lost_total(st->prof[i]);
	return n;
}
