/*
 * Selection, symbolization and aggregation.
 *
 * 1. report_open: open the selected sessions, merge their event lists by
 *    name, and check every spec value against what the sessions hold.
 * 2. report_aggregate: one pass over the selected records produces one
 *    "hit" per record (image, offset, row-key parts, count).  Hits are then
 *    sorted by (image, offset) and each image is walked once: its file is
 *    opened once, and each distinct offset is symbolized once (offsets that
 *    fall inside the previous symbol's extent reuse its name), so the cost
 *    grows with distinct addresses, not with samples.  Hits then fold into
 *    rows keyed by (domain, image, app, symbol, tgid, tid, cpu).
 *
 * Every selected sample ends in exactly one row: samples that cannot be
 * symbolized are kept under "[unknown]" and a warning says how many.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define NONE	XPS_NONE

/* ===================================================================== */
/* String pool: interned, NUL-terminated, id = index                     */

struct strpool {
	char	      **s;
	size_t		n, cap;
	uint32_t       *tab;		/* open addressing: id + 1, 0 = empty */
	size_t		tabsz;
};

static uint64_t
hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define HASH_INIT	0xcbf29ce484222325ULL

static uint32_t
pool_intern(struct strpool *p, const char *str)
{
	uint64_t h;
	size_t i;

	if (p->n * 2 >= p->tabsz) {
		size_t nsz = p->tabsz ? p->tabsz * 2 : 1024;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 0; k < p->n; k++) {
			h = hash_bytes(p->s[k], strlen(p->s[k]), HASH_INIT);
			for (i = h & (nsz - 1); nt[i]; i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(p->tab);
		p->tab = nt;
		p->tabsz = nsz;
	}
	h = hash_bytes(str, strlen(str), HASH_INIT);
	for (i = h & (p->tabsz - 1); p->tab[i]; i = (i + 1) & (p->tabsz - 1))
		if (strcmp(p->s[p->tab[i] - 1], str) == 0)
			return p->tab[i] - 1;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->s = xrealloc(p->s, p->cap * sizeof(*p->s));
	}
	p->s[p->n] = xstrdup(str);
	p->tab[i] = (uint32_t)p->n + 1;
	return (uint32_t)p->n++;
}

static void
pool_free(struct strpool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i]);
	free(p->s);
	free(p->tab);
}

/* ===================================================================== */
/* Images of the whole report (across sessions and domains)               */

enum sym_method {
	M_NONE,		/* no symbols: everything is [unknown] */
	M_ELF,		/* an ELF file through symbols.c */
	M_KSYMS,	/* the session's kallsyms copy */
};

struct gimg {
	uint8_t		kind;
	uint32_t	path;		/* recorded path (pool id) */
	uint32_t	shown;		/* display path (pool id) */
	uint8_t		bidlen;
	uint8_t		bid[XPS_BUILD_ID_MAX];
	uint32_t	sess;		/* session index (kernel images only) */
	int		self;		/* kernel image of the dom0/self domain */
	/* Filled when the image is prepared for symbolization. */
	enum sym_method	method;
	struct sym_image *im;
	enum sym_addr_kind addr_kind;
	uint64_t	slide;
	uint32_t	kmod;		/* kallsyms module index */
	const char     *file;		/* the file actually used (pool string) */
};

/* One selected record. */
struct hit {
	uint64_t	offset;
	uint64_t	count;
	uint32_t	gimg;
	uint32_t	domain;
	uint32_t	app;		/* pool id of the app's display path, NONE */
	uint32_t	tgid, tid, cpu;
	uint32_t	sym;		/* pool id, filled by the walk */
	uint8_t		event;		/* global event index */
};

struct rowkey {
	uint32_t	domain, image, app, sym, tgid, tid, cpu;
};

struct agg {
	struct strpool	pool;
	struct gimg    *img;
	size_t		nimg, capimg;
	uint32_t       *imgtab;		/* hash of gimg keys: index + 1 */
	size_t		imgtabsz;
	struct hit     *hits;
	size_t		nhits, caphits;
	uint32_t	sym_unknown;
	/* Domain names by id, first seen wins. */
	uint32_t	ndom;
	uint32_t	domid[256];
	uint32_t	domname[256];
};

static struct agg *
agg_of(struct report *r)
{
	if (r->priv == NULL) {
		struct agg *a = xcalloc(1, sizeof(*a));
		a->sym_unknown = pool_intern(&a->pool, SYM_UNKNOWN);
		r->priv = a;
	}
	return r->priv;
}

static uint64_t
gimg_hash(const struct gimg *g)
{
	uint64_t h = HASH_INIT;

	h = hash_bytes(&g->kind, 1, h);
	h = hash_bytes(&g->path, 4, h);
	h = hash_bytes(&g->shown, 4, h);
	h = hash_bytes(&g->bidlen, 1, h);
	h = hash_bytes(g->bid, g->bidlen, h);
	h = hash_bytes(&g->sess, 4, h);
	return hash_bytes(&g->self, sizeof(g->self), h);
}

static int
gimg_eq(const struct gimg *a, const struct gimg *b)
{
	return a->kind == b->kind && a->path == b->path && a->shown == b->shown &&
	    a->bidlen == b->bidlen && memcmp(a->bid, b->bid, a->bidlen) == 0 &&
	    a->sess == b->sess && a->self == b->self;
}

static uint32_t
gimg_intern(struct agg *a, const struct gimg *g)
{
	size_t i;

	if (a->nimg * 2 >= a->imgtabsz) {
		size_t nsz = a->imgtabsz ? a->imgtabsz * 2 : 256;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 0; k < a->nimg; k++) {
			for (i = gimg_hash(&a->img[k]) & (nsz - 1); nt[i]; i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(a->imgtab);
		a->imgtab = nt;
		a->imgtabsz = nsz;
	}
	for (i = gimg_hash(g) & (a->imgtabsz - 1); a->imgtab[i]; i = (i + 1) & (a->imgtabsz - 1))
		if (gimg_eq(&a->img[a->imgtab[i] - 1], g))
			return a->imgtab[i] - 1;
	if (a->nimg == a->capimg) {
		a->capimg = a->capimg ? a->capimg * 2 : 64;
		a->img = xrealloc(a->img, a->capimg * sizeof(*a->img));
	}
	a->img[a->nimg] = *g;
	a->imgtab[i] = (uint32_t)a->nimg + 1;
	return (uint32_t)a->nimg++;
}

/* ===================================================================== */
/* Sessions                                                               */

static void
list_saved(const char *sessdir, char *buf, size_t len)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t used = 0;
	int n = 0;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/saved", sessdir);
	d = opendir(path);
	if (d == NULL) {
		snprintf(buf, len, "none");
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", de->d_name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += w;
		n++;
	}
	closedir(d);
	if (n == 0)
		snprintf(buf, len, "none");
}

/* Is DOMID the domain whose kernel the session's kallsyms / vmlinux describe? */
static int
domain_is_self(const struct xps_meta *m, uint32_t domid)
{
	if (m->ndomains == 0)
		return 1;
	for (uint32_t i = 0; i < m->ndomains && i < XPS_MAX_DOMAINS; i++)
		if (m->domains[i].domid == domid)
			return m->domains[i].role == 0;
	return domid == 0;
}

static const char *
domain_name_of(const struct xps_session *s, const struct xps_profile *p, char *buf, size_t len)
{
	const char *n = xps_profile_name(p);
	uint32_t id = xps_profile_domid(p);

	if (n != NULL && *n != '\0')
		return n;
	for (uint32_t i = 0; i < s->meta.ndomains && i < XPS_MAX_DOMAINS; i++)
		if (s->meta.domains[i].domid == id && s->meta.domains[i].name[0] != '\0') {
			snprintf(buf, len, "%.*s", XPS_NAME_MAX, s->meta.domains[i].name);
			return buf;
		}
	if (id == 0)
		return "Domain-0";
	snprintf(buf, len, "dom%u", id);
	return buf;
}

static int
event_global(struct report *r, const struct xps_event_desc *e, const char *fallback)
{
	char name[XPS_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%.*s", XPS_NAME_MAX, e ? e->name : fallback);
	for (size_t i = 0; i < r->nevents; i++)
		if (strcmp(r->ev[i].name, name) == 0)
			return (int)i;
	if (r->nevents == XPS_MAX_EVENTS)
		return -1;
	struct agg *a = agg_of(r);
	r->ev[r->nevents].name = a->pool.s[pool_intern(&a->pool, name)];
	r->ev[r->nevents].count = e ? e->count : 0;
	r->ev[r->nevents].unit_mask = e ? e->unit_mask : 0;
	return (int)r->nevents++;
}

static const char *
sep_names(uint32_t sep, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sep == 0)
		return "none";
	snprintf(buf, len, "%s%s%s%s",
		 sep & XPS_SEP_LIBRARY ? "library," : "",
		 sep & XPS_SEP_KERNEL ? "kernel," : "",
		 sep & XPS_SEP_THREAD ? "thread," : "",
		 sep & XPS_SEP_CPU ? "cpu," : "");
	if (buf[0] != '\0')
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

int
report_open(struct report *r, const struct report_opts *opts, char *err, size_t errlen)
{
	const struct spec *sp = opts->spec;
	const char *sessdir = opts->sessdir ? opts->sessdir : "/var/lib/xenprof";
	static char *const current[] = { "current" };
	char *const *names = sp->sessions.n ? sp->sessions.v : current;
	size_t nnames = sp->sessions.n ? sp->sessions.n : 1;
	char path[XPS_PATH_MAX], list[1024], sepbuf[64];
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->opts = opts;
	agg_of(r);
	r->sess = xcalloc(nnames, sizeof(*r->sess));
	for (size_t i = 0; i < nnames; i++) {
		const char *nm = names[i];
		int cur = strcmp(nm, "current") == 0, dup = 0;
		struct xps_session *s;

		for (size_t j = 0; j < r->nsess; j++)
			if (strcmp(r->sess[j].name, nm) == 0)
				dup = 1;
		if (dup)
			continue;
		if (xps_session_path(path, sizeof(path), sessdir, cur ? NULL : nm) != 0) {
			snprintf(err, errlen, "session '%s': %s", nm, xps_errmsg());
			return 1;
		}
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			if (cur) {
				snprintf(err, errlen, "no current session in %s (nothing profiled yet? "
					 "start with xenprof-ctl --start, or name a saved session with "
					 "session:NAME)", sessdir);
			} else {
				list_saved(sessdir, list, sizeof(list));
				snprintf(err, errlen, "session '%s' not found in %s/saved; saved "
					 "sessions: %s", nm, sessdir, list);
			}
			return 1;
		}
		s = xps_session_open(path);
		if (s == NULL) {
			snprintf(err, errlen, "%s: not a readable session: %s", path, xps_errmsg());
			return 1;
		}
		r->sess[r->nsess].name = xstrdup(nm);
		r->sess[r->nsess].s = s;
		r->nsess++;
		for (uint32_t b = 0; b < s->nbad; b++)
			report_warn("%s; its samples are not in this report",
				    s->bad[b] ? s->bad[b] : "unreadable profile");
		r->separate |= s->meta.separate;
		for (uint32_t e = 0; e < s->meta.nevents && e < XPS_MAX_EVENTS; e++)
			event_global(r, &s->meta.events[e], NULL);
	}

	/* Specs naming what the data cannot have. */
	for (size_t i = 0; i < r->nsess; i++) {
		const struct xps_meta *m = &r->sess[i].s->meta;
		const char *need = NULL, *tag = NULL;

		if ((sp->tids.n || sp->tgids.n) && !(m->separate & XPS_SEP_THREAD))
			need = "thread", tag = sp->tids.n ? "tid:" : "tgid:";
		else if (sp->cpus.n && !(m->separate & XPS_SEP_CPU))
			need = "cpu", tag = "cpu:";
		if (need != NULL) {
			snprintf(err, errlen, "%s needs a session recorded with --separate=%s "
				 "(or all); session '%s' was recorded with --separate=%s",
				 tag, need, r->sess[i].name, sep_names(m->separate, sepbuf, sizeof(sepbuf)));
			return 1;
		}
	}
	for (size_t i = 0; i < sp->events.n; i++) {
		int found = 0;
		for (size_t e = 0; e < r->nevents; e++)
			found |= strcmp(r->ev[e].name, sp->events.v[i]) == 0;
		if (!found) {
			size_t used = 0;
			list[0] = '\0';
			for (size_t e = 0; e < r->nevents && used < sizeof(list); e++) {
				int w = snprintf(list + used, sizeof(list) - used, "%s%s",
						 e ? ", " : "", r->ev[e].name);
				if (w > 0)
					used += w;
			}
			snprintf(err, errlen, "event:%s matches no event; the session%s recorded: %s",
				 sp->events.v[i], r->nsess > 1 ? "s" : "",
				 r->nevents ? list : "none");
			return 1;
		}
	}
	for (size_t i = 0; i < sp->domains.n; i++) {
		int found = 0;
		size_t used = 0;
		char nb[80];

		list[0] = '\0';
		for (size_t k = 0; k < r->nsess; k++) {
			const struct xps_session *s = r->sess[k].s;
			for (uint32_t p = 0; p < s->nprofiles; p++) {
				uint32_t id = xps_profile_domid(s->profiles[p]);
				const char *dn = domain_name_of(s, s->profiles[p], nb, sizeof(nb));
				struct spec one = { .domains = { &sp->domains.v[i], 1 } };
				if (spec_domain_match(&one, id, dn))
					found = 1;
				if (used < sizeof(list)) {
					int w = snprintf(list + used, sizeof(list) - used, "%s%u (%s)",
							 used ? ", " : "", id, dn);
					if (w > 0)
						used += w;
				}
			}
			for (uint32_t d = 0; d < s->meta.ndomains && d < XPS_MAX_DOMAINS; d++) {
				struct spec one = { .domains = { &sp->domains.v[i], 1 } };
				char dn2[XPS_NAME_MAX + 1];
				snprintf(dn2, sizeof(dn2), "%.*s", XPS_NAME_MAX, s->meta.domains[d].name);
				if (spec_domain_match(&one, s->meta.domains[d].domid, dn2))
					found = 1;
			}
		}
		if (!found) {
			snprintf(err, errlen, "domain:%s matches no domain; domains with samples: %s",
				 sp->domains.v[i], used ? list : "none");
			return 1;
		}
	}
	return 0;
}

/* ===================================================================== */
/* Preparing an image for symbolization                                   */

/* Locate a user-space file: --root, the recorded path, then -p dirs by basename. */
static const char *
find_file(struct agg *a, const struct report_opts *opts, const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	if (opts->root != NULL && path[0] == '/') {
		snprintf(buf, sizeof(buf), "%s%s", opts->root, path);
		if (stat(buf, &st) == 0)
			return a->pool.s[pool_intern(&a->pool, buf)];
	} else if (stat(path, &st) == 0) {
		return path;
	}
	for (char **d = opts->image_path; d && *d; d++) {
		snprintf(buf, sizeof(buf), "%s/%s", *d, out_basename(path));
		if (stat(buf, &st) == 0)
			return a->pool.s[pool_intern(&a->pool, buf)];
	}
	return NULL;
}

static int
ensure_ksyms(struct report_session *rs)
{
	char path[XPS_PATH_MAX];

	if (!rs->ksyms_tried) {
		rs->ksyms_tried = 1;
		snprintf(path, sizeof(path), "%s/kallsyms", rs->s->path);
		rs->ksyms = ksyms_load(path);
	}
	return rs->ksyms != NULL && !rs->ksyms->all_zero;
}

static void
hexid(const uint8_t *id, int n, char *buf)
{
	for (int i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", id[i]);
	buf[2 * n] = '\0';
}

/*
 * Decide how image G is symbolized; NSAMP is its sample count in the
 * selection (for warnings).  Never fails: the fallback is M_NONE.
 */
static void
prepare_image(struct report *r, struct gimg *g, uint64_t nsamp)
{
	struct agg *a = r->priv;
	const struct report_opts *opts = r->opts;
	const char *path = a->pool.s[g->path];
	const char *shown = a->pool.s[g->shown];
	struct report_session *rs = g->sess < r->nsess ? &r->sess[g->sess] : NULL;
	const struct xps_meta *m = rs ? &rs->s->meta : NULL;
	const char *file = NULL;
	char why[512];
	const uint8_t *want = g->bid;
	int wantlen = g->bidlen;

	g->method = M_NONE;
	switch (g->kind) {
	case XPS_IMG_ANON:
		return;
	case XPS_IMG_KMOD: {
		char mod[XPS_NAME_MAX + 1];
		size_t l = strlen(path);
		int mi;

		if (l >= 2 && path[0] == '[' && path[l - 1] == ']')
			snprintf(mod, sizeof(mod), "%.*s", (int)(l - 2), path + 1);
		else
			snprintf(mod, sizeof(mod), "%s", out_basename(path));
		if (rs == NULL || !ensure_ksyms(rs)) {
			report_warn("%s: no kallsyms in the session, %llu samples not symbolized",
				    shown, (unsigned long long)nsamp);
			return;
		}
		mi = ksyms_module(rs->ksyms, mod);
		if (mi <= 0) {
			report_warn("%s: module not in the session's kallsyms, %llu samples not "
				    "symbolized", shown, (unsigned long long)nsamp);
			return;
		}
		g->kmod = (uint32_t)mi;
		g->method = M_KSYMS;
		return;
	}
	case XPS_IMG_XEN:
		file = opts->xen ? opts->xen : path;
		if (!opts->xen && g->bidlen == 0 && m && m->xen_build_id_len &&
		    m->xen_build_id_len <= XPS_BUILD_ID_MAX) {
			want = m->xen_build_id;
			wantlen = m->xen_build_id_len;
		}
		g->addr_kind = SYM_BY_ADDRESS;
		break;
	case XPS_IMG_KERNEL:
		g->addr_kind = SYM_BY_ADDRESS;
		if (g->self && opts->vmlinux)
			file = opts->vmlinux;
		else if (path[0] != '[')
			file = path;
		if (file == NULL) {
			/* [kernel.kallsyms] */
			if (g->self && rs != NULL && ensure_ksyms(rs)) {
				g->method = M_KSYMS;
				g->kmod = 0;
			} else if (!g->self) {
				report_warn("%s: kernel of a domain other than the profiling one has "
					    "no image, %llu samples not symbolized; record its vmlinux",
					    shown, (unsigned long long)nsamp);
			} else {
				report_warn("%s: the session has no usable kallsyms copy%s, %llu "
					    "samples not symbolized; use --vmlinux",
					    shown, rs && rs->ksyms && rs->ksyms->all_zero ?
					    " (all addresses 0: kptr_restrict)" : "",
					    (unsigned long long)nsamp);
			}
			return;
		}
		break;
	case XPS_IMG_FILE:
	default:
		g->addr_kind = SYM_BY_OFFSET;
		file = path;
		break;
	}

	/* ELF file */
	const char *found = g->kind == XPS_IMG_FILE ? find_file(a, opts, file) : file;
	if (found == NULL) {
		report_warn("%s: image not found, %llu samples not symbolized; use "
			    "--image-path or --root", file, (unsigned long long)nsamp);
		return;
	}
	g->im = sym_open(found, why, sizeof(why));
	if (g->im == NULL) {
		int missing = strstr(why, "No such file") != NULL;
		if (missing && g->kind == XPS_IMG_KERNEL && g->self && rs && ensure_ksyms(rs)) {
			report_warn("%s: image not found; %llu samples symbolized from the "
				    "session's kallsyms instead", found, (unsigned long long)nsamp);
			g->method = M_KSYMS;
			g->kmod = 0;
			return;
		}
		if (missing)
			report_warn("%s: image not found, %llu samples not symbolized; use %s",
				    found, (unsigned long long)nsamp,
				    g->kind == XPS_IMG_XEN ? "--xen" :
				    g->kind == XPS_IMG_KERNEL ? "--vmlinux" : "--image-path or --root");
		else
			report_warn("%s: %s, %llu samples not symbolized", found, why,
				    (unsigned long long)nsamp);
		return;
	}
	if (wantlen > 0) {
		const uint8_t *have;
		int havelen = sym_build_id(g->im, &have);
		if (havelen != wantlen || memcmp(have, want, wantlen) != 0) {
			char hw[2 * XPS_BUILD_ID_MAX + 1], hh[2 * XPS_BUILD_ID_MAX + 1];
			hexid(want, wantlen, hw);
			hexid(have, havelen > XPS_BUILD_ID_MAX ? 0 : havelen, hh);
			report_warn("%s: build-id differs from the recorded one (the file changed "
				    "since the session; recorded %s, file %s), %llu samples not "
				    "symbolized", found, hw, havelen ? hh : "none",
				    (unsigned long long)nsamp);
			sym_close(g->im);
			g->im = NULL;
			return;
		}
	}
	g->slide = 0;
	if (g->kind == XPS_IMG_KERNEL && g->self && m && m->kernel_text != 0) {
		uint64_t text;
		if (sym_symbol_addr(g->im, "_text", &text) == 0)
			g->slide = m->kernel_text - text;
		else
			report_warn("%s: no _text symbol; KASLR offset not applied", found);
	}
	g->file = found;
	g->method = M_ELF;
}

/* ===================================================================== */
/* Aggregation                                                            */

static void
hit_push(struct agg *a, const struct hit *h)
{
	if (a->nhits == a->caphits) {
		a->caphits = a->caphits ? a->caphits * 2 : 4096;
		a->hits = xrealloc(a->hits, a->caphits * sizeof(*a->hits));
	}
	a->hits[a->nhits++] = *h;
}

static int
hit_cmp(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;

	if (a->gimg != b->gimg)
		return a->gimg < b->gimg ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

/* Symbolize every hit: one pass per image over its sorted offsets. */
static void
symbolize_hits(struct report *r)
{
	struct agg *a = r->priv;
	size_t i = 0;

	qsort(a->hits, a->nhits, sizeof(*a->hits), hit_cmp);
	while (i < a->nhits) {
		size_t j = i;
		uint64_t nsamp = 0;
		struct gimg *g = &a->img[a->hits[i].gimg];

		while (j < a->nhits && a->hits[j].gimg == a->hits[i].gimg)
			nsamp += a->hits[j++].count;
		if (!r->opts->symbols) {
			for (size_t k = i; k < j; k++)
				a->hits[k].sym = NONE;
			i = j;
			continue;
		}
		prepare_image(r, g, nsamp);

		uint64_t lo = 1, hi = 0;	/* empty range */
		uint32_t cur = a->sym_unknown;
		for (size_t k = i; k < j; k++) {
			struct hit *h = &a->hits[k];
			const char *name = NULL;

			if (h->offset >= lo && h->offset < hi) {
				h->sym = cur;
				continue;
			}
			switch (g->method) {
			case M_ELF:
				name = sym_lookup(g->im, g->addr_kind, h->offset, g->slide, &lo, &hi);
				break;
			case M_KSYMS: {
				const struct kallsyms *ks = r->sess[g->sess].ksyms;
				name = ksyms_lookup(ks, g->kmod, h->offset, &lo, &hi);
				if (name == NULL)
					lo = h->offset, hi = h->offset + 1;
				break;
			}
			case M_NONE:
				lo = 0, hi = UINT64_MAX;
				break;
			}
			cur = name ? pool_intern(&a->pool, name) : a->sym_unknown;
			h->sym = cur;
		}
		i = j;
	}
}

/* Row hash: open addressing on rowkey -> row index + 1. */
struct rowtab {
	uint32_t       *tab;
	size_t		sz;
	struct rowkey  *keys;
};

static uint64_t
rowkey_hash(const struct rowkey *k)
{
	return hash_bytes(k, sizeof(*k), HASH_INIT);
}

int
report_aggregate(struct report *r, char *err, size_t errlen)
{
	struct agg *a = agg_of(r);
	const struct report_opts *opts = r->opts;
	const struct spec *sp = opts->spec;
	int any_image_match = 0;
	unsigned merge = opts->merge;

	/* 1. Select records into hits. */
	for (size_t si = 0; si < r->nsess; si++) {
		struct xps_session *s = r->sess[si].s;
		int evmap[256];

		for (int e = 0; e < 256; e++) {
			if (e < (int)s->meta.nevents && e < XPS_MAX_EVENTS) {
				evmap[e] = event_global(r, &s->meta.events[e], NULL);
				if (evmap[e] >= 0 && !spec_event_match(sp, r->ev[evmap[e]].name))
					evmap[e] = -2;	/* not selected */
			} else {
				evmap[e] = -3;		/* resolved on first use */
			}
		}
		for (uint32_t pi = 0; pi < s->nprofiles; pi++) {
			struct xps_profile *p = s->profiles[pi];
			uint32_t domid = xps_profile_domid(p);
			char nb[80];
			const char *dn = domain_name_of(s, p, nb, sizeof(nb));
			uint32_t nimg = xps_profile_nimages(p);
			uint32_t *map, *shown;
			uint8_t *sel;
			const struct xps_record *rec;
			size_t nrec;
			int self = domain_is_self(&s->meta, domid);

			if (!spec_domain_match(sp, domid, dn))
				continue;
			/* Domain name table (first seen wins). */
			uint32_t d;
			for (d = 0; d < a->ndom; d++)
				if (a->domid[d] == domid)
					break;
			if (d == a->ndom && d < 256) {
				a->domid[d] = domid;
				a->domname[d] = pool_intern(&a->pool, dn);
				a->ndom++;
			}
			/* Losses of the selected profile. */
			uint32_t nl = 0;
			const struct xps_loss *ls = xps_profile_losses(p, &nl);
			for (uint32_t l = 0; ls && l < nl; l++) {
				if (sp->cpus.n && ls[l].cpu != NONE && !spec_num_match(&sp->cpus, ls[l].cpu))
					continue;
				r->lost += ls[l].count;
				r->lost_kind[ls[l].kind < XPS_LOSS_NKINDS ? ls[l].kind : XPS_LOSS_OTHER] +=
					ls[l].count;
			}
			/* Per-profile image table -> report images. */
			map = xcalloc(nimg ? nimg : 1, sizeof(*map));
			shown = xcalloc(nimg ? nimg : 1, sizeof(*shown));
			sel = xcalloc(nimg ? nimg : 1, 1);
			for (uint32_t ii = 0; ii < nimg; ii++) {
				const struct xps_image *xi = xps_profile_image_at(p, ii);
				struct gimg g = { 0 };
				const char *ip = xi && xi->path ? xi->path : SYM_UNKNOWN;
				const char *sh = ip;

				g.kind = xi ? xi->kind : XPS_IMG_ANON;
				if (g.kind > XPS_IMG_ANON)
					g.kind = XPS_IMG_ANON;
				if (g.kind == XPS_IMG_KERNEL && self && opts->vmlinux)
					sh = opts->vmlinux;
				else if (g.kind == XPS_IMG_XEN && opts->xen)
					sh = opts->xen;
				g.path = pool_intern(&a->pool, ip);
				g.shown = pool_intern(&a->pool, sh);
				if (xi && xi->build_id_len <= XPS_BUILD_ID_MAX) {
					g.bidlen = xi->build_id_len;
					memcpy(g.bid, xi->build_id, g.bidlen);
				}
				if (g.kind == XPS_IMG_KERNEL || g.kind == XPS_IMG_KMOD) {
					g.sess = (uint32_t)si;
					g.self = self;
				} else {
					g.sess = NONE;
				}
				map[ii] = gimg_intern(a, &g);
				shown[ii] = g.shown;
				sel[ii] = spec_image_match(sp, ip, sh);
				any_image_match |= sel[ii];
			}
			rec = xps_profile_records(p, &nrec);
			for (size_t k = 0; rec && k < nrec; k++) {
				const struct xps_key *key = &rec[k].key;
				struct hit h;
				int ev;

				if (rec[k].count == 0)
					continue;
				ev = evmap[key->event];
				if (ev == -3) {
					char fb[32];
					snprintf(fb, sizeof(fb), "event#%u", key->event);
					ev = evmap[key->event] = event_global(r, NULL, fb);
					if (ev >= 0 && !spec_event_match(sp, r->ev[ev].name))
						ev = evmap[key->event] = -2;
				}
				if (ev < 0)
					continue;
				if (!spec_num_match(&sp->tids, key->tid) ||
				    !spec_num_match(&sp->tgids, key->tgid) ||
				    !spec_num_match(&sp->cpus, key->cpu))
					continue;
				memset(&h, 0, sizeof(h));
				if (key->image >= nimg) {
					/* A record naming no image: keep it, as [unknown]. */
					struct gimg g = { .kind = XPS_IMG_ANON, .sess = NONE };
					g.path = g.shown = pool_intern(&a->pool, SYM_UNKNOWN);
					if (!spec_image_match(sp, SYM_UNKNOWN, NULL))
						continue;
					h.gimg = gimg_intern(a, &g);
				} else {
					if (!sel[key->image])
						continue;
					h.gimg = map[key->image];
				}
				h.offset = key->offset;
				h.count = rec[k].count;
				h.domain = domid;
				h.app = NONE;
				if (!(merge & MERGE_LIB) && key->app != NONE && key->app < nimg)
					h.app = shown[key->app];
				h.tgid = merge & MERGE_TGID ? NONE : key->tgid;
				h.tid = merge & (MERGE_TID | MERGE_TGID) ? NONE : key->tid;
				h.cpu = merge & MERGE_CPU ? NONE : key->cpu;
				h.event = (uint8_t)ev;
				hit_push(a, &h);
				r->ev[ev].total += h.count;
				r->total += h.count;
			}
			free(map);
			free(shown);
			free(sel);
		}
	}
	if (sp->images.n > 0 && !any_image_match) {
		char list[1024];
		size_t used = 0;
		list[0] = '\0';
		for (size_t i = 0; i < a->nimg && used < sizeof(list) - 1; i++) {
			const char *b = out_basename(a->pool.s[a->img[i].path]);
			int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", b);
			if (w > 0)
				used += (size_t)w < sizeof(list) - used ? (size_t)w : sizeof(list) - used - 1;
		}
		snprintf(err, errlen, "image:%s%s matches no image; images in the selection: %s",
			 sp->images.v[0], sp->images.n > 1 ? ",..." : "", used ? list : "none");
		return 1;
	}
	if (a->nhits == 0 && (sp->tids.n || sp->tgids.n || sp->cpus.n)) {
		snprintf(err, errlen, "the tid:/tgid:/cpu: specification matches no samples");
		return 1;
	}

	/* 2. Symbolize distinct (image, offset) pairs. */
	symbolize_hits(r);

	/* 3. Fold hits into rows. */
	struct rowtab rt = { 0 };
	size_t cap = 0;
	rt.sz = 1024;
	while (rt.sz < a->nhits * 2)
		rt.sz *= 2;
	rt.tab = xcalloc(rt.sz, sizeof(*rt.tab));
	for (size_t k = 0; k < a->nhits; k++) {
		const struct hit *h = &a->hits[k];
		const struct gimg *g = &a->img[h->gimg];
		struct rowkey key = {
			.domain = h->domain, .image = g->shown, .app = h->app,
			.sym = opts->symbols ? h->sym : NONE,
			.tgid = h->tgid, .tid = h->tid, .cpu = h->cpu,
		};
		size_t i;

		for (i = rowkey_hash(&key) & (rt.sz - 1); rt.tab[i]; i = (i + 1) & (rt.sz - 1))
			if (memcmp(&rt.keys[rt.tab[i] - 1], &key, sizeof(key)) == 0)
				break;
		if (rt.tab[i] == 0) {
			if (r->nrows == cap) {
				cap = cap ? cap * 2 : 256;
				r->rows = xrealloc(r->rows, cap * sizeof(*r->rows));
				rt.keys = xrealloc(rt.keys, cap * sizeof(*rt.keys));
			}
			struct report_row *row = &r->rows[r->nrows];
			memset(row, 0, sizeof(*row));
			row->domain = h->domain;
			row->domain_name = "";
			for (uint32_t d = 0; d < a->ndom; d++)
				if (a->domid[d] == h->domain)
					row->domain_name = a->pool.s[a->domname[d]];
			row->image = a->pool.s[g->shown];
			row->app = h->app != NONE ? a->pool.s[h->app] : NULL;
			row->symbol = key.sym != NONE ? a->pool.s[key.sym] : NULL;
			row->tgid = h->tgid;
			row->tid = h->tid;
			row->cpu = h->cpu;
			row->ev = xcalloc(r->nevents ? r->nevents : 1, sizeof(uint64_t));
			rt.keys[r->nrows] = key;
			rt.tab[i] = (uint32_t)++r->nrows;
			r->has_app |= row->app != NULL;
			r->has_tid |= row->tid != NONE;
			r->has_tgid |= row->tgid != NONE;
			r->has_cpu |= row->cpu != NONE;
		}
		struct report_row *row = &r->rows[rt.tab[i] - 1];
		row->samples += h->count;
		row->ev[h->event] += h->count;
	}
	free(rt.tab);
	free(rt.keys);
	/* Row strings point into the pool: its strings never move until report_free. */
	{
		uint32_t seen[256];
		int n = 0;
		for (size_t i = 0; i < r->nrows; i++) {
			int found = 0;
			for (int d = 0; d < n; d++)
				found |= seen[d] == r->rows[i].domain;
			if (!found && n < 256)
				seen[n++] = r->rows[i].domain;
		}
		r->ndomains = n;
	}
	free(a->hits);
	a->hits = NULL;
	a->nhits = a->caphits = 0;
	return 0;
}

void
report_free(struct report *r)
{
	struct agg *a = r->priv;

	for (size_t i = 0; i < r->nrows; i++)
		free(r->rows[i].ev);
	free(r->rows);
	for (size_t i = 0; i < r->nsess; i++) {
		xps_session_close(r->sess[i].s);
		ksyms_free(r->sess[i].ksyms);
		free(r->sess[i].name);
	}
	free(r->sess);
	if (a != NULL) {
		for (size_t i = 0; i < a->nimg; i++)
			sym_close(a->img[i].im);
		free(a->img);
		free(a->imgtab);
		free(a->hits);
		pool_free(&a->pool);
		free(a);
	}
	memset(r, 0, sizeof(*r));
}
