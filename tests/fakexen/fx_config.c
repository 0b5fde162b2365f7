/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_config.c - parse and validate a fakexen scenario file.
 *
 * One directive per line, '#' starts a comment, fields separated by blanks.
 * Every error is one line: "FILE:LINE: what is wrong".  See doc/fakexen.md
 * for the directives.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx_config.h"
#include "fx_hyp.h"

#define FX_MAX_TOK	32

struct fx_parse {
	struct fx_config *cfg;
	int		line;
	char		*err;
	size_t		errlen;
};

static int
fx_perr(struct fx_parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->cfg->path, p->line, msg);
	return -1;
}

/* Unsigned decimal in [MIN, MAX]. */
static int
fx_num(struct fx_parse *p, const char *what, const char *s, uint64_t min,
    uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s == NULL)
		return fx_perr(p, "%s: missing value", what);
	if (*s == '-' || *s == '+')
		return fx_perr(p, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
		    what, s, min, max);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
		return fx_perr(p, "%s: '%s' is not a number from %" PRIu64 " to %" PRIu64,
		    what, s, min, max);
	*out = v;
	return 0;
}

static int
fx_num32(struct fx_parse *p, const char *what, const char *s, uint64_t min,
    uint64_t max, uint32_t *out)
{
	uint64_t v;

	if (fx_num(p, what, s, min, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
fx_copy(struct fx_parse *p, const char *what, char *dst, size_t len, const char *s)
{
	if (s == NULL || *s == '\0')
		return fx_perr(p, "%s: missing value", what);
	if (strlen(s) >= len)
		return fx_perr(p, "%s: '%s' is too long (at most %zu characters)",
		    what, s, len - 1);
	strcpy(dst, s);
	return 0;
}

static const struct { const char *name; int err; } fx_errnos[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "ESRCH", ESRCH },
	{ "EINTR", EINTR }, { "EIO", EIO }, { "ENXIO", ENXIO },
	{ "E2BIG", E2BIG }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM },
	{ "EACCES", EACCES }, { "EFAULT", EFAULT }, { "EBUSY", EBUSY },
	{ "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL },
	{ "ENOTTY", ENOTTY }, { "ENOSPC", ENOSPC }, { "ENOSYS", ENOSYS },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "ETIMEDOUT", ETIMEDOUT },
};

static int
fx_errno(struct fx_parse *p, const char *s, int32_t *out)
{
	uint64_t v;

	if (s == NULL)
		return fx_perr(p, "fault hypercall: missing errno (e.g. ENOSYS)");
	for (size_t i = 0; i < sizeof fx_errnos / sizeof fx_errnos[0]; i++)
		if (strcmp(s, fx_errnos[i].name) == 0) {
			*out = fx_errnos[i].err;
			return 0;
		}
	if (fx_num(p, "fault hypercall errno", s, 1, 4095, &v) < 0)
		return fx_perr(p, "fault hypercall: unknown errno '%s' (use a name "
		    "such as ENOSYS, ENODEV, EBUSY, EPERM, or a number)", s);
	*out = (int32_t)v;
	return 0;
}

static struct fx_cfg_dom *
fx_find_dom(struct fx_config *cfg, uint32_t domid)
{
	for (uint32_t i = 0; i < cfg->ndoms; i++)
		if (cfg->doms[i].domid == domid)
			return &cfg->doms[i];
	return NULL;
}

static int fx_config_parse(const char *path, struct fx_config *cfg, char *err, size_t errlen);

int
fx_config_load(const char *path, struct fx_config *cfg, char *err, size_t errlen)
{
	if (fx_config_parse(path, cfg, err, errlen) == 0)
		return 0;
	fx_config_free(cfg);
	return -1;
}

void
fx_config_free(struct fx_config *cfg)
{
	free(cfg->work);
	cfg->work = NULL;
	cfg->nwork = cfg->work_cap = 0;
}

const struct fx_cfg_dom *
fx_config_dom(const struct fx_config *cfg, uint32_t domid)
{
	return fx_find_dom((struct fx_config *)cfg, domid);
}

/* domain ID [name N] [vcpus N] [weight W] [kernel PATH] [type pv|hvm|pvh] [memory MB]
 *           [privcmd restricted|unrestricted] [perf none] */
static int
fx_dir_domain(struct fx_parse *p, char **t, int n)
{
	struct fx_config *cfg = p->cfg;
	struct fx_cfg_dom *d;
	uint32_t id;

	if (n < 2)
		return fx_perr(p, "domain: usage: domain ID name NAME vcpus N weight W [kernel PATH] [type pv|hvm|pvh]");
	if (fx_num32(p, "domain id", t[1], 0, DOMID_FIRST_RESERVED - 1, &id) < 0)
		return -1;
	if (fx_find_dom(cfg, id) != NULL)
		return fx_perr(p, "domain %u is configured twice", id);
	if (cfg->ndoms == FX_MAX_DOMS)
		return fx_perr(p, "too many domains (at most %d)", FX_MAX_DOMS);
	d = &cfg->doms[cfg->ndoms];
	memset(d, 0, sizeof *d);
	d->line = p->line;
	d->domid = id;
	d->vcpus = 1;
	d->weight = 256;
	d->memory_mb = 1024;
	d->guest = FX_GUEST_PV;
	if (id == 0)
		strcpy(d->name, "Domain-0");
	else
		snprintf(d->name, sizeof d->name, "domain-%u", id);
	for (int i = 2; i < n; i += 2) {
		const char *k = t[i], *v = i + 1 < n ? t[i + 1] : NULL;

		if (v == NULL)
			return fx_perr(p, "domain: '%s' needs a value", k);
		if (strcmp(k, "name") == 0) {
			if (fx_copy(p, "domain name", d->name, sizeof d->name, v) < 0)
				return -1;
		} else if (strcmp(k, "vcpus") == 0) {
			if (fx_num32(p, "domain vcpus", v, 1, FX_MAX_VCPUS, &d->vcpus) < 0)
				return -1;
		} else if (strcmp(k, "weight") == 0) {
			if (fx_num32(p, "domain weight", v, 0, 65535, &d->weight) < 0)
				return -1;
		} else if (strcmp(k, "kernel") == 0) {
			if (fx_copy(p, "domain kernel", d->kernel, sizeof d->kernel, v) < 0)
				return -1;
		} else if (strcmp(k, "memory") == 0) {
			if (fx_num(p, "domain memory", v, 1, 1u << 24, &d->memory_mb) < 0)
				return -1;
		} else if (strcmp(k, "type") == 0) {
			if (strcmp(v, "pv") == 0)
				d->guest = FX_GUEST_PV;
			else if (strcmp(v, "hvm") == 0)
				d->guest = FX_GUEST_HVM;
			else if (strcmp(v, "pvh") == 0)
				d->guest = FX_GUEST_PVH;
			else
				return fx_perr(p, "domain type: '%s' is not pv, hvm or pvh", v);
		} else if (strcmp(k, "perf") == 0) {
			if (strcmp(v, "none") != 0)
				return fx_perr(p, "domain perf: '%s' is not none", v);
			d->noperf = 1;
		} else if (strcmp(k, "privcmd") == 0) {
			if (strcmp(v, "restricted") == 0)
				d->restricted = 1;
			else if (strcmp(v, "unrestricted") == 0)
				d->restricted = 0;
			else
				return fx_perr(p, "domain privcmd: '%s' is not restricted or "
				    "unrestricted", v);
			if (d->restricted && id == 0)
				return fx_perr(p, "domain 0: Linux restricts privcmd only in a domU");
		} else
			return fx_perr(p, "domain: unknown attribute '%s' (name, vcpus, "
			    "weight, kernel, type, memory, privcmd, perf)", k);
	}
	cfg->ndoms++;
	return 0;
}

/* Split "a<-b<-c" into W->syms. */
static int
fx_chain(struct fx_parse *p, struct fx_cfg_work *w, const char *s)
{
	const char *q = s;

	w->nsyms = 0;
	for (;;) {
		const char *e = strstr(q, "<-");
		size_t len = e != NULL ? (size_t)(e - q) : strlen(q);

		if (len == 0)
			return fx_perr(p, "work: empty symbol in '%s'", s);
		if (len >= FX_SYM_LEN)
			return fx_perr(p, "work: symbol too long in '%s'", s);
		if (w->nsyms == FX_MAX_CHAIN)
			return fx_perr(p, "work: call chain '%s' is longer than %d frames",
			    s, FX_MAX_CHAIN);
		memcpy(w->syms[w->nsyms], q, len);
		w->syms[w->nsyms][len] = '\0';
		w->nsyms++;
		if (e == NULL)
			return 0;
		q = e + 2;
	}
}

/* work DOMAIN MODE TARGET WEIGHT */
static int
fx_dir_work(struct fx_parse *p, char **t, int n)
{
	struct fx_config *cfg = p->cfg;
	struct fx_cfg_work *w;
	const char *target;

	if (n != 5)
		return fx_perr(p, "work: usage: work DOMAIN xen|kernel|user TARGET WEIGHT");
	if (cfg->nwork == cfg->work_cap) {
		uint32_t cap = cfg->work_cap ? 2 * cfg->work_cap : 64;
		struct fx_cfg_work *nw;

		if (cap > FX_MAX_WORK || (nw = realloc(cfg->work, cap * sizeof(*nw))) == NULL)
			return fx_perr(p, "too many work lines (at most %d)", FX_MAX_WORK);
		cfg->work = nw;
		cfg->work_cap = cap;
	}
	w = &cfg->work[cfg->nwork];
	memset(w, 0, sizeof *w);
	w->line = p->line;
	if (fx_num32(p, "work domain", t[1], 0, DOMID_FIRST_RESERVED - 1, &w->domid) < 0)
		return -1;
	if (fx_find_dom(cfg, w->domid) == NULL)
		return fx_perr(p, "work: domain %u is not configured (add a "
		    "`domain %u ...` line before it)", w->domid, w->domid);
	if (strcmp(t[2], "xen") == 0)
		w->mode = FX_MODE_XEN;
	else if (strcmp(t[2], "kernel") == 0)
		w->mode = FX_MODE_KERNEL;
	else if (strcmp(t[2], "user") == 0)
		w->mode = FX_MODE_USER;
	else
		return fx_perr(p, "work: mode '%s' is not xen, kernel or user", t[2]);
	if (fx_num32(p, "work weight", t[4], 1, 1000000, &w->weight) < 0)
		return -1;
	target = t[3];
	if (w->mode == FX_MODE_USER) {
		if (strcmp(target, "-") == 0) {
			w->unmapped = 1;
			w->nsyms = 1;
			strcpy(w->syms[0], "[unknown]");
		} else {
			const char *colon = strchr(target, ':');
			char num[32];
			uint64_t pid;
			size_t len;

			if (strncmp(target, "pid=", 4) != 0 || colon == NULL)
				return fx_perr(p, "work: user target '%s' is not - or "
				    "pid=PID:SYMBOL", target);
			len = (size_t)(colon - target - 4);
			if (len == 0 || len >= sizeof num)
				return fx_perr(p, "work: bad pid in '%s'", target);
			memcpy(num, target + 4, len);
			num[len] = '\0';
			if (fx_num(p, "work pid", num, 1, INT32_MAX, &pid) < 0)
				return -1;
			w->pid = (int32_t)pid;
			if (fx_chain(p, w, colon + 1) < 0)
				return -1;
		}
	} else {
		if (strcmp(target, "-") == 0)
			return fx_perr(p, "work: '-' is only valid for user mode");
		if (fx_chain(p, w, target) < 0)
			return -1;
		if (w->mode == FX_MODE_KERNEL && fx_find_dom(cfg, w->domid)->kernel[0] == '\0')
			return fx_perr(p, "work: kernel mode needs `kernel PATH` on "
			    "domain %u's line", w->domid);
	}
	cfg->nwork++;
	return 0;
}

static int
fx_fault_key(struct fx_parse *p, const char *s, uint32_t *key)
{
	for (unsigned op = 0; op <= XENOPROF_last_op; op++)
		if (strcmp(s, fx_hyp_op_name(op)) == 0) {
			*key = op;
			return 0;
		}
	if (strcmp(s, "xenoprof") == 0)
		*key = FX_FK_XENOPROF_ALL;
	else if (strcmp(s, "sysctl") == 0)
		*key = FX_FK_SYSCTL;
	else if (strcmp(s, "domctl") == 0)
		*key = FX_FK_DOMCTL;
	else if (strcmp(s, "xen_version") == 0)
		*key = FX_FK_XEN_VERSION;
	else if (strcmp(s, "mmapbatch") == 0)
		*key = FX_FK_MMAPBATCH;
	else
		return fx_perr(p, "fault hypercall: unknown operation '%s' (a xenoprof "
		    "op such as init or get_buffer, or xenoprof, sysctl, domctl, "
		    "xen_version, mmapbatch)", s);
	return 0;
}

/*
 * fault ring_slots N
 * fault hypercall OP ERRNO [count N] [domain D]
 * fault destroy DOMAIN after MS
 * fault kill_primary after MS
 */
static int
fx_dir_fault(struct fx_parse *p, char **t, int n)
{
	struct fx_config *cfg = p->cfg;

	if (n < 2)
		return fx_perr(p, "fault: usage: fault ring_slots|hypercall|destroy|kill_primary|xenstore ...");
	if (strcmp(t[1], "ring_slots") == 0) {
		if (n != 3)
			return fx_perr(p, "fault ring_slots: usage: fault ring_slots N");
		return fx_num32(p, "fault ring_slots", t[2], 2, 1u << 20, &cfg->ring_slots);
	}
	if (strcmp(t[1], "hypercall") == 0) {
		struct fx_fault *f;

		if (n < 4 || (n - 4) % 2 != 0)
			return fx_perr(p, "fault hypercall: usage: fault hypercall OP "
			    "ERRNO [count N] [domain D]");
		if (cfg->nfaults == FX_MAX_FAULTS)
			return fx_perr(p, "too many hypercall faults (at most %d)", FX_MAX_FAULTS);
		f = &cfg->faults[cfg->nfaults];
		f->domid = -1;
		f->remaining = -1;
		if (fx_fault_key(p, t[2], &f->key) < 0 || fx_errno(p, t[3], &f->err) < 0)
			return -1;
		for (int i = 4; i < n; i += 2) {
			uint64_t v;
			if (strcmp(t[i], "count") == 0) {
				if (fx_num(p, "fault count", t[i + 1], 1, INT32_MAX, &v) < 0)
					return -1;
				f->remaining = (int64_t)v;
			} else if (strcmp(t[i], "domain") == 0) {
				if (fx_num(p, "fault domain", t[i + 1], 0,
				    DOMID_FIRST_RESERVED - 1, &v) < 0)
					return -1;
				f->domid = (int32_t)v;
			} else
				return fx_perr(p, "fault hypercall: unknown option '%s' "
				    "(count, domain)", t[i]);
		}
		cfg->nfaults++;
		return 0;
	}
	if (strcmp(t[1], "destroy") == 0 || strcmp(t[1], "kill_primary") == 0) {
		int destroy = t[1][0] == 'd';
		struct fx_cfg_timed *e;
		int at = destroy ? 3 : 2;

		if (n != at + 2 || strcmp(t[at], "after") != 0)
			return fx_perr(p, destroy ? "fault destroy: usage: fault destroy DOMAIN after MS"
			    : "fault kill_primary: usage: fault kill_primary after MS");
		if (cfg->ntimed == FX_MAX_TIMED)
			return fx_perr(p, "too many timed faults (at most %d)", FX_MAX_TIMED);
		e = &cfg->timed[cfg->ntimed];
		memset(e, 0, sizeof *e);
		e->line = p->line;
		e->kind = destroy ? FX_TIMED_DESTROY : FX_TIMED_KILL_PRIMARY;
		if (destroy) {
			if (fx_num32(p, "fault destroy domain", t[2], 1,
			    DOMID_FIRST_RESERVED - 1, &e->domid) < 0)
				return -1;
			if (fx_find_dom(cfg, e->domid) == NULL)
				return fx_perr(p, "fault destroy: domain %u is not configured",
				    e->domid);
		}
		if (fx_num(p, "fault after (ms)", t[at + 1], 0, UINT32_MAX, &e->at_ms) < 0)
			return -1;
		cfg->ntimed++;
		return 0;
	}
	if (strcmp(t[1], "xenstore") == 0) {
		if (n != 3 || strcmp(t[2], "silent") != 0)
			return fx_perr(p, "fault xenstore: usage: fault xenstore silent");
		cfg->xs_silent = 1;
		return 0;
	}
	return fx_perr(p, "fault: unknown kind '%s' (ring_slots, hypercall, destroy, "
	    "kill_primary, xenstore)", t[1]);
}

static int
fx_directive(struct fx_parse *p, char **t, int n)
{
	struct fx_config *cfg = p->cfg;
	const char *k = t[0];

	if (strcmp(k, "domain") == 0)
		return fx_dir_domain(p, t, n);
	if (strcmp(k, "work") == 0)
		return fx_dir_work(p, t, n);
	if (strcmp(k, "fault") == 0)
		return fx_dir_fault(p, t, n);
	if (n != 2)
		return fx_perr(p, "%s: expects exactly one value", k);
	if (strcmp(k, "pcpus") == 0)
		return fx_num32(p, "pcpus", t[1], 1, FX_MAX_PCPUS, &cfg->pcpus);
	if (strcmp(k, "num_events") == 0)
		return fx_num32(p, "num_events", t[1], 1, FX_NCOUNTERS, &cfg->num_events);
	if (strcmp(k, "rate") == 0)
		return fx_num32(p, "rate", t[1], 0, 100000000, &cfg->rate);
	if (strcmp(k, "seed") == 0)
		return fx_num(p, "seed", t[1], 0, UINT64_MAX, &cfg->seed);
	if (strcmp(k, "timeslice") == 0)
		return fx_num32(p, "timeslice (us)", t[1], 1, 10000000, &cfg->timeslice_us);
	if (strcmp(k, "limit") == 0)
		return fx_num(p, "limit", t[1], 0, UINT64_MAX, &cfg->limit);
	if (strcmp(k, "cpu_type") == 0)
		return fx_copy(p, "cpu_type", cfg->cpu_type, sizeof cfg->cpu_type, t[1]);
	if (strcmp(k, "xen_image") == 0) {
		cfg->xen_image_line = p->line;
		return fx_copy(p, "xen_image", cfg->xen_image, sizeof cfg->xen_image, t[1]);
	}
	return fx_perr(p, "unknown directive '%s'", k);
}

static int
fx_config_parse(const char *path, struct fx_config *cfg, char *err, size_t errlen)
{
	struct fx_parse p = { cfg, 0, err, errlen };
	char buf[4096];
	FILE *f;

	memset(cfg, 0, sizeof *cfg);
	snprintf(cfg->path, sizeof cfg->path, "%s", path);
	cfg->pcpus = 1;
	cfg->num_events = 4;
	cfg->rate = 1000;
	cfg->seed = 1;
	cfg->timeslice_us = 10000;
	strcpy(cfg->cpu_type, "i386/arch_perfmon");
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof buf, f) != NULL) {
		char *t[FX_MAX_TOK], *save = NULL, *tok, *hash;
		int n = 0;

		p.line++;
		if (strchr(buf, '\n') == NULL && !feof(f)) {
			fclose(f);
			return fx_perr(&p, "line too long");
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		for (tok = strtok_r(buf, " \t\r\n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == FX_MAX_TOK) {
				fclose(f);
				return fx_perr(&p, "too many fields");
			}
			t[n++] = tok;
		}
		if (n == 0)
			continue;
		if (fx_directive(&p, t, n) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	p.line = 0;
	if (cfg->nwork == 0 && (cfg->work = calloc(1, sizeof(*cfg->work))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (fx_find_dom(cfg, 0) == NULL) {
		snprintf(err, errlen, "%s: no `domain 0 ...` line (every Xen host "
		    "has a dom0)", path);
		return -1;
	}
	for (uint32_t i = 0; i < cfg->nwork; i++)
		if (cfg->work[i].mode == FX_MODE_XEN && cfg->xen_image[0] == '\0') {
			snprintf(err, errlen, "%s:%d: work: xen mode needs a "
			    "`xen_image PATH` line", path, cfg->work[i].line);
			return -1;
		}
	return 0;
}
