/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv.c: the generic part of hv.h.  Picks a backend from the ops tables and
 * forwards every call to it.  The source struct owns the backend's private
 * state from hv_open() until hv_close().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/hvP.h"

struct hv_source {
	const struct hv_backend_ops *ops;	/* never NULL */
	void			    *be;	/* the backend's state, owned */
	uint32_t		     nevents;	/* what was programmed */
	struct hv_event		     events[HV_MAX_EVENTS];
	char			     note[HV_ERR_LEN];	/* why auto did not pick xenoprof */
};

/*
 * Backends in the order "auto" tries them: xenoprof first, as the only one
 * that attributes samples to domains; perf where xenoprof does not work.
 */
static const struct hv_backend_ops *const hv_backends[] = {
#ifdef HAVE_XEN
	&hv_xenoprof_ops,
#endif
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
#ifdef XP_TEST_BUILD
	/* Test builds only, never picked by auto: a synthetic record stream. */
	if (strcmp(name, "replay") == 0)
		return &hv_replay_ops;
#endif
	if (strcmp(name, "xenoprof") == 0)
		hv_seterr(err, errlen, "backend 'xenoprof': this build has no Xen support "
		    "(configure found no libxen-dev); use --backend=perf (or auto)");
	else
		hv_seterr(err, errlen, "unknown backend '%.32s'; use auto, perf or xenoprof",
		    name);
	return NULL;
}

/* Open OPS with CFG, or with OPS's default event when CFG names none. */
static void *
hv_try(const struct hv_backend_ops *ops, const struct hv_config *cfg, struct hv_config *used,
    char *err, size_t errlen)
{
	*used = *cfg;
	if (used->nevents == 0) {
		if (hv_event_parse(ops->default_event, &used->events[0], err, errlen) == -1)
			return NULL;
		used->nevents = 1;
	}
	return ops->open(used, err, errlen);
}

struct hv_source *
hv_open(const struct hv_config *cfg, char *err, size_t errlen)
{
	const struct hv_backend_ops *ops = NULL;
	struct hv_config *used;
	struct hv_source *src;
	const char *name;
	char first[1024] = "";	/* why the first backend failed: xenoprof's reasons run long */
	void *be = NULL;
	size_t i;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (cfg == NULL) {
		hv_seterr(err, errlen, "hv_open: no configuration given");
		return NULL;
	}
	if ((used = malloc(sizeof(*used))) == NULL || (src = calloc(1, sizeof(*src))) == NULL) {
		free(used);
		hv_seterr(err, errlen, "hv_open: out of memory");
		return NULL;
	}
	name = cfg->backend != NULL && cfg->backend[0] != '\0' ? cfg->backend : "auto";
	if (strcmp(name, "auto") == 0) {
		/*
		 * Try each backend in turn.  Domain lists make sense only for
		 * xenoprof: then its error stands.  Otherwise the reason the
		 * first backend failed is kept as a note.
		 */
		for (i = 0; i < HV_NBACKENDS && be == NULL; i++) {
			ops = hv_backends[i];
			be = hv_try(ops, cfg, used, err, errlen);
			if (be == NULL && i == 0 && HV_NBACKENDS > 1) {
				snprintf(first, sizeof(first), "%s", err != NULL ? err : "");
				if (cfg->nactive || cfg->npassive)
					break;
			}
		}
		if (be != NULL && ops != hv_backends[0])
			snprintf(src->note, sizeof(src->note), "%s", first);
	} else if ((ops = hv_find_backend(name, err, errlen)) != NULL)
		be = hv_try(ops, cfg, used, err, errlen);
	if (be == NULL) {
		if (first[0] && (cfg->nactive || cfg->npassive))
			hv_seterr(err, errlen, "%s", first);
		else if (first[0] && hv_on_xen()) {
			/* On Xen the user expected xenoprof: say why it was not
			 * used before what perf, the fallback, could not do. */
			char last[1024];

			snprintf(last, sizeof(last), "%s", err != NULL ? err : "");
			hv_seterr(err, errlen, "--backend=auto: xenoprof is not usable here: %s; "
			    "and perf, the fallback, cannot sample: %s", first, last);
		}
		free(used);
		free(src);
		return NULL;
	}
	src->ops = ops;
	src->be = be;
	src->nevents = used->nevents;
	memcpy(src->events, used->events, sizeof(used->events[0]) * used->nevents);
	free(used);
	return src;
}

const struct hv_event *
hv_source_events(const struct hv_source *src, uint32_t *n)
{
	*n = src->nevents;
	return src->events;
}

const char *
hv_note(const struct hv_source *src)
{
	return src->note;
}

const char *
hv_tracking(const struct hv_source *src)
{
	return src->ops->tracking != NULL ? src->ops->tracking(src->be) : "";
}

size_t
hv_sysfs_build_id(const char *path, uint8_t *out, size_t outlen)
{
	uint8_t raw[130];
	size_t n = 0, hexlen;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return 0;
	got = read(fd, raw, sizeof(raw));
	close(fd);
	if (got <= 0)
		return 0;
	/* Hex text ("0123...ef\n"), as some trees and older tools write it? */
	for (hexlen = 0; hexlen < (size_t)got && isxdigit(raw[hexlen]); hexlen++)
		;
	if (hexlen >= 32 && hexlen % 2 == 0 && (hexlen == (size_t)got ||
	    (hexlen + 1 == (size_t)got && raw[hexlen] == '\n'))) {
		for (size_t i = 0; i + 1 < hexlen && n < outlen; i += 2) {
			char h[3] = { (char)raw[i], (char)raw[i + 1], '\0' };

			out[n++] = (uint8_t)strtoul(h, NULL, 16);
		}
		return n;
	}
	/* What Xen answers a domU that may not know it. */
	if ((size_t)got >= 8 && memcmp(raw, "<denied>", 8) == 0)
		return 0;
	/* The raw bytes, as Linux's sys-hypervisor.c writes them. */
	if ((size_t)got > outlen)
		return 0;
	memcpy(out, raw, (size_t)got);
	return (size_t)got;
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

long
hv_drain_all(struct hv_source *src, const struct hv_sink *sink)
{
	return src->ops->drain_all != NULL ? src->ops->drain_all(src->be, sink) :
	    src->ops->drain(src->be, sink);
}

void
hv_stats(const struct hv_source *src, struct hv_stats *st)
{
	memset(st, 0, sizeof(*st));
	src->ops->stats(src->be, st);
}

void
hv_set_privop(struct hv_source *src, hv_privop_fn fn, void *ctx)
{
	if (src->ops->set_privop != NULL)
		src->ops->set_privop(src->be, fn, ctx);
}

int
hv_unprivileged(struct hv_source *src, char *err, size_t errlen)
{
	return src->ops->unprivileged != NULL ? src->ops->unprivileged(src->be, err, errlen) : 0;
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
		backend = "perf";	/* the backend every Linux machine has */
	for (i = 0; i < HV_NBACKENDS; i++)
		if (strcmp(hv_backends[i]->name, backend) == 0)
			return hv_backends[i]->events(n);
	return NULL;
}

int
hv_event_check(const char *backend, const struct hv_event *ev, char *err, size_t errlen)
{
	const struct hv_backend_ops *ops;

	if (backend == NULL || strcmp(backend, "auto") == 0) {
		/* Valid if some backend takes it; perf's message otherwise. */
		for (size_t i = 0; i < HV_NBACKENDS; i++)
			if (hv_backends[i]->check(ev, NULL, 0) == 0)
				return 0;
		ops = &hv_perf_ops;
	} else if ((ops = hv_find_backend(backend, err, errlen)) == NULL)
		return -1;
	return ops->check(ev, err, errlen);
}

int
hv_event_probe(const char *backend, const struct hv_event *ev, char *err, size_t errlen)
{
	const struct hv_backend_ops *ops;

	if (backend == NULL || strcmp(backend, "auto") == 0) {
		if (hv_on_xen())
			return hv_event_check(backend, ev, err, errlen);
		ops = &hv_perf_ops;
		if (ops->check(ev, NULL, 0) == -1 && hv_event_check("auto", ev, NULL, 0) == 0)
			return hv_seterr(err, errlen, "event '%s' is a xenoprof event, and this machine "
			    "is not a Xen domain (auto means perf here); use a perf event "
			    "(xenprof-ctl --list-events --backend=perf)", ev->name);
	} else if ((ops = hv_find_backend(backend, err, errlen)) == NULL)
		return -1;
	if (ops->check(ev, err, errlen) == -1)
		return -1;
	return ops->probe != NULL ? ops->probe(ev, err, errlen) : 0;
}

bool
hv_on_xen(void)
{
	char type[8] = "";
	int fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (errno != ENOENT && errno != ENODEV && errno != ENXIO)
		return true;	/* there, but not ours (EACCES, EBUSY...) */
	if ((fd = open("/sys/hypervisor/type", O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t n = read(fd, type, sizeof(type) - 1);

		close(fd);
		if (n >= 3 && strncmp(type, "xen", 3) == 0)
			return true;
	}
	return false;
}

#ifndef HAVE_XEN
int
hv_privop_run(const struct hv_privop_args *a, char *err, size_t errlen)
{
	return hv_seterr(err, errlen, "this build of xenprof has no Xen support");
}

void
hv_privop_close(void)
{
}

int
hv_domains(struct hv_domain *out, int max, char *err, size_t errlen)
{
	return hv_seterr(err, errlen, "this build of xenprof has no Xen support (configure found no libxen-dev)");
}

uint32_t
hv_self_domid(void)
{
	return 0;
}

const char *
hv_xenstore_note(void)
{
	return "";
}

int
hv_xenstore_self(uint32_t *domid, char *name, size_t namelen, char *why, size_t whylen)
{
	*domid = 0;
	return hv_seterr(why, whylen, "this build of xenprof has no Xen support");
}

int
hv_xenoprof_probe(char *cpu_type, int *num_events, bool *primary, int *errnum,
    char *why, size_t len)
{
	cpu_type[0] = '\0';
	*num_events = 0;
	*primary = false;
	*errnum = 0;
	return hv_seterr(why, len, "this build of xenprof has no Xen support (configure found "
	    "no libxen-dev)");
}
#endif
