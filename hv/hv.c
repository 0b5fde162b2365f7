/*
 * hv.c: the generic part of hv.h.  Picks a backend from the ops tables and
 * forwards every call to it.  The source struct owns the backend's private
 * state from hv_open() until hv_close().
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hvP.h"

struct hv_source {
	const struct hv_backend_ops *ops;	/* never NULL */
	void			    *be;	/* the backend's state, owned */
};

/*
 * Backends in the order "auto" tries them.  xenoprof goes first once it
 * exists: it is the only one that attributes samples to domains.
 */
static const struct hv_backend_ops *const hv_backends[] = {
	&hv_perf_ops,
};
#define HV_NBACKENDS (sizeof(hv_backends) / sizeof(hv_backends[0]))

int
hv_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The ops of backend NAME, or NULL with ERR set. "auto" is not handled here. */
static const struct hv_backend_ops *
hv_find_backend(const char *name, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < HV_NBACKENDS; i++)
		if (strcmp(hv_backends[i]->name, name) == 0)
			return hv_backends[i];
	if (strcmp(name, "xenoprof") == 0)
		hv_seterr(err, errlen, "backend 'xenoprof': the xenoprof backend is not "
		    "available in this build yet; use --backend=perf (or auto)");
	else
		hv_seterr(err, errlen, "unknown backend '%.32s'; use auto, perf or xenoprof",
		    name);
	return NULL;
}

struct hv_source *
hv_open(const struct hv_config *cfg, char *err, size_t errlen)
{
	const struct hv_backend_ops *ops = NULL;
	struct hv_source *src;
	const char *name;
	void *be = NULL;
	size_t i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL) {
		hv_seterr(err, errlen, "hv_open: no configuration given");
		return NULL;
	}
	name = cfg->backend != NULL && cfg->backend[0] != '\0' ? cfg->backend : "auto";
	if (strcmp(name, "auto") == 0) {
		/*
		 * Try each backend in turn; the error left is the last one's
		 * (perf's, the backend of last resort).
		 */
		for (i = 0; i < HV_NBACKENDS && be == NULL; i++) {
			ops = hv_backends[i];
			be = ops->open(cfg, err, errlen);
		}
	} else {
		if ((ops = hv_find_backend(name, err, errlen)) == NULL)
			return NULL;
		be = ops->open(cfg, err, errlen);
	}
	if (be == NULL)
		return NULL;
	if ((src = calloc(1, sizeof(*src))) == NULL) {
		ops->close(be);
		hv_seterr(err, errlen, "hv_open: out of memory");
		return NULL;
	}
	src->ops = ops;
	src->be = be;
	return src;
}

const char *
hv_name(const struct hv_source *src)
{
	return src->ops->name;
}

const char *
hv_cpu_type(const struct hv_source *src)
{
	return src->ops->cpu_type(src->be);
}

int
hv_start(struct hv_source *src, char *err, size_t errlen)
{
	return src->ops->start(src->be, err, errlen);
}

int
hv_stop(struct hv_source *src, char *err, size_t errlen)
{
	return src->ops->stop(src->be, err, errlen);
}

int
hv_pollfds(struct hv_source *src, struct pollfd *fds, int max)
{
	return src->ops->pollfds(src->be, fds, max);
}

int
hv_poll_interval_ms(const struct hv_source *src)
{
	return src->ops->poll_interval_ms(src->be);
}

long
hv_drain(struct hv_source *src, const struct hv_sink *sink)
{
	return src->ops->drain(src->be, sink);
}

void
hv_stats(const struct hv_source *src, struct hv_stats *st)
{
	memset(st, 0, sizeof(*st));
	src->ops->stats(src->be, st);
}

void
hv_close(struct hv_source *src)
{
	if (src == NULL)
		return;
	src->ops->close(src->be);
	free(src);
}

const struct hv_event_info *
hv_events(const char *backend, size_t *n)
{
	size_t i;

	*n = 0;
	if (backend == NULL || strcmp(backend, "auto") == 0)
		return hv_backends[0]->events(n);	/* what auto picks first */
	for (i = 0; i < HV_NBACKENDS; i++)
		if (strcmp(hv_backends[i]->name, backend) == 0)
			return hv_backends[i]->events(n);
	return NULL;
}

int
hv_event_check(const char *backend, const struct hv_event *ev, char *err, size_t errlen)
{
	const struct hv_backend_ops *ops;

	if (backend == NULL || strcmp(backend, "auto") == 0)
		ops = hv_backends[0];	/* what auto picks first */
	else if ((ops = hv_find_backend(backend, err, errlen)) == NULL)
		return -1;
	return ops->check(ev, err, errlen);
}
