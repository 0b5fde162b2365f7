/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 * symbolized are kept under "[unknown]", and r->unsym says how many, in
 * which image and why (every output carries it; warnings too).
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define NONE	XPS_NONE

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
	int		by_content;	/* FILE's build-id checked against the recorded one */
	uint32_t	why;		/* pool id: why it cannot be symbolized, NONE */
};

/* One selected record (a stack: its leaf location and its callers). */
struct hit {
	uint64_t	count;
	uint32_t	loc;		/* leaf location */
	uint32_t	chain;		/* global chain index, NONE */
	uint32_t	domain;
	uint32_t	app;		/* pool id of the app's display path, NONE */
	uint32_t	proc;		/* pool id of the process's executable, NONE */
	uint32_t	tgid, tid, cpu;
	uint32_t	col;		/* column */
	uint32_t	row;		/* filled by the fold */
};

/* A distinct (image, offset): symbolized once. */
struct aloc {
	uint64_t	offset;
	uint64_t	vma;		/* link-time address */
	uint64_t	symvma;		/* start of its symbol (or its own vma) */
	uint32_t	gimg;
	uint32_t	sym;		/* pool id, NONE until symbolized */
};

struct rowkey {
	uint32_t	domain, image, app, sym, tgid, tid, cpu;
};

struct agg {
	struct strpool *pool;		/* every string of the report */
	struct gimg    *img;
	size_t		nimg, capimg;
	uint32_t       *imgtab;		/* hash of gimg keys: index + 1 */
	size_t		imgtabsz;
	uint64_t       *img_samples;	/* leaf samples per gimg (warnings) */
	struct hit     *hits;
	size_t		nhits, caphits;
	struct aloc    *locs;
	size_t		nlocs, caplocs;
	uint32_t       *loctab;		/* hash of (gimg, offset): index + 1 */
	size_t		loctabsz;
	uint32_t       *chain_locs;
	size_t		nchain_locs, capchain_locs;
	struct report_chain *chains;
	size_t		nchains, capchains;
	uint32_t	sym_unknown;
	/* Domain names by id, first seen wins. */
	uint32_t	ndom;
	uint32_t	domid[256];
	uint32_t	domname[256];
	/* Sessions of each side: indices into r->sess. */
	uint32_t       *side_sess[2];
	size_t		nside_sess[2];
};

static struct agg *
agg_of(struct report *r)
{
	if (r->priv == NULL) {
		struct agg *a = xcalloc(1, sizeof(*a));
		a->pool = strpool_new();
		a->sym_unknown = strpool_id(a->pool, SYM_UNKNOWN);
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

/*
 * Is DOMID the domain whose kernel the session's kallsyms / vmlinux describe,
 * the one that took the session?  The daemon lists it first: role 0 (dom0,
 * or no Xen), or 1 when it is an active domU profiling itself.  A role 1
 * further down is another active domain, seen from dom0.
 */
static int
domain_is_self(const struct xps_meta *m, uint32_t domid)
{
	if (m->ndomains == 0)
		return 1;
	for (uint32_t i = 0; i < m->ndomains && i < XPS_MAX_DOMAINS; i++)
		if (m->domains[i].domid == domid)
			return m->domains[i].role == 0 || (i == 0 && m->domains[i].role == 1);
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
	r->ev[r->nevents].name = strpool_intern(a->pool, name);
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

/* Open session NM (dedupe); its index, or -1 with ERR. */
static int
open_session(struct report *r, const char *sessdir, const char *nm, char *err, size_t errlen)
{
	char path[XPS_PATH_MAX], list[1024];
	struct stat st;
	int cur = strcmp(nm, "current") == 0;
	struct xps_session *s;

	for (size_t j = 0; j < r->nsess; j++)
		if (strcmp(r->sess[j].name, nm) == 0)
			return (int)j;
	if (xps_session_path(path, sizeof(path), sessdir, cur ? NULL : nm) != 0) {
		snprintf(err, errlen, "session '%s': %s", nm, xps_errmsg());
		return -1;
	}
	if (stat(path, &st) != 0 && (errno == EACCES || errno == EPERM)) {
		/* Not "no session": one is there, or may be, and is not ours to read. */
		snprintf(err, errlen, "%s: permission denied (xenprofd keeps sessions readable by "
			 "root only, mode 0700); run xenprof-report as root (or let root pack the "
			 "session with --archive=FILE, for you to read as archive:FILE)", path);
		return -1;
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
		return -1;
	}
	s = xps_session_open(path);
	if (s == NULL) {
		snprintf(err, errlen, "%s: not a readable session: %s", path, xps_errmsg());
		return -1;
	}
	if (r->opts->archive_tmp != NULL && s->nbad > 0) {
		/* An archive is checked whole: a damaged member is an error, naming it. */
		const char *b = s->bad[0], *tmp = r->opts->archive_tmp;
		size_t tl = strlen(tmp);

		if (strncmp(b, tmp, tl) == 0 && b[tl] == '/')
			b += tl + 1;
		snprintf(err, errlen, "archive member %s", b);
		xps_session_close(s);
		return -1;
	}
	r->sess = xrealloc(r->sess, (r->nsess + 1) * sizeof(*r->sess));
	memset(&r->sess[r->nsess], 0, sizeof(r->sess[0]));
	r->sess[r->nsess].name = xstrdup(nm);
	r->sess[r->nsess].s = s;
	for (uint32_t b = 0; b < s->nbad; b++)
		report_warn("%s; its samples are not in this report",
			    s->bad[b] ? s->bad[b] : "unreadable profile");
	r->separate |= s->meta.separate;
	for (uint32_t e = 0; e < s->meta.nevents && e < XPS_MAX_EVENTS; e++)
		event_global(r, &s->meta.events[e], NULL);
	return (int)r->nsess++;
}

static int
strlist_has(const struct strlist *l, const char *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

/* The session names of spec SP: session: minus session-exclude:. */
static void
session_names(const struct spec *sp, const char *sessdir, struct strlist *out)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;

	memset(out, 0, sizeof(*out));
	if (sp->sessions.n) {
		for (size_t i = 0; i < sp->sessions.n; i++)
			if (!strlist_has(&sp->sessions_x, sp->sessions.v[i]) &&
			    !strlist_has(out, sp->sessions.v[i])) {
				out->v = xrealloc(out->v, (out->n + 1) * sizeof(char *));
				out->v[out->n++] = xstrdup(sp->sessions.v[i]);
			}
		return;
	}
	if (sp->sessions_x.n == 0) {
		out->v = xmalloc(sizeof(char *));
		out->v[out->n++] = xstrdup("current");
		return;
	}
	/* Only session-exclude: every session (current and saved) but those. */
	snprintf(path, sizeof(path), "%s/current/meta", sessdir);
	if (access(path, F_OK) == 0 && !strlist_has(&sp->sessions_x, "current")) {
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(char *));
		out->v[out->n++] = xstrdup("current");
	}
	snprintf(path, sizeof(path), "%s/saved", sessdir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlist_has(&sp->sessions_x, de->d_name))
			continue;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(char *));
		out->v[out->n++] = xstrdup(de->d_name);
	}
	closedir(d);
}

static const struct spec *
side_spec(const struct report_opts *o, int side)
{
	return o->nsides ? o->side[side] : o->spec;
}

/* Check one side's spec against the opened sessions; 0 or 1 with ERR. */
static int
check_spec(struct report *r, const struct spec *sp, int side, char *err, size_t errlen)
{
	struct agg *a = r->priv;
	char list[1024], sepbuf[64];

	for (size_t k = 0; k < a->nside_sess[side]; k++) {
		size_t i = a->side_sess[side][k];
		const struct xps_meta *m = &r->sess[i].s->meta;
		const char *need = NULL, *tag = NULL;

		if ((sp->tids.n || sp->tgids.n) && !(m->separate & XPS_SEP_THREAD))
			need = "thread", tag = sp->tids.n ? "tid:" : "tgid:";
		else if (sp->cpus.n && !(m->separate & XPS_SEP_CPU))
			need = "cpu", tag = "cpu:";
		else if (sp->lib_images.n && !(m->separate & XPS_SEP_LIBRARY))
			need = "library", tag = "lib-image:";
		else if (r->opts->exclude_dependent && !(m->separate & XPS_SEP_LIBRARY))
			need = "library", tag = "-x";
		if (need != NULL) {
			snprintf(err, errlen, "%s needs a session recorded with --separate=%s "
				 "(or all); session '%s' was recorded with --separate=%s",
				 tag, need, r->sess[i].name, sep_names(m->separate, sepbuf, sizeof(sepbuf)));
			return 1;
		}
	}
	/* event:, count:, unit-mask: must each match a recorded event. */
	const struct strlist *evl[3] = { &sp->events, &sp->counts, &sp->unit_masks };
	static const char *const evtag[3] = { "event", "count", "unit-mask" };
	for (int t = 0; t < 3; t++) {
		for (size_t i = 0; i < evl[t]->n; i++) {
			int found = 0;
			size_t used = 0;
			list[0] = '\0';
			for (size_t e = 0; e < r->nevents; e++) {
				struct spec one = { 0 };
				struct strlist *dst = t == 0 ? &one.events : t == 1 ? &one.counts : &one.unit_masks;
				*dst = (struct strlist){ &evl[t]->v[i], 1 };
				found |= spec_event_full_match(&one, r->ev[e].name, r->ev[e].count,
							       r->ev[e].unit_mask);
				if (used < sizeof(list)) {
					int w = snprintf(list + used, sizeof(list) - used,
							 "%s%s:%" PRIu64 ":0x%02x", e ? ", " : "",
							 r->ev[e].name, r->ev[e].count, r->ev[e].unit_mask);
					if (w > 0)
						used += w;
				}
			}
			if (!found) {
				snprintf(err, errlen, "%s:%s matches no event; the session%s recorded "
					 "(name:count:unit mask): %s", evtag[t], evl[t]->v[i],
					 r->nsess > 1 ? "s" : "", r->nevents ? list : "none");
				return 1;
			}
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

int
report_open(struct report *r, const struct report_opts *opts, char *err, size_t errlen)
{
	const char *sessdir = opts->sessdir ? opts->sessdir : "/var/lib/xenprof";
	int nsides = opts->nsides ? 2 : 1;
	struct agg *a;

	memset(r, 0, sizeof(*r));
	r->opts = opts;
	a = agg_of(r);
	r->axis = opts->nsides ? COL_DIFF : (enum col_axis)opts->columns;
	for (int side = 0; side < nsides; side++) {
		const struct spec *sp = side_spec(opts, side);
		struct strlist names;

		session_names(sp, sessdir, &names);
		if (names.n == 0) {
			char list[1024];
			list_saved(sessdir, list, sizeof(list));
			snprintf(err, errlen, "the session specification selects no session; "
				 "sessions in %s: current (if profiled), saved: %s", sessdir, list);
			for (size_t i = 0; i < names.n; i++)
				free(names.v[i]);
			free(names.v);
			return 1;
		}
		a->side_sess[side] = xcalloc(names.n, sizeof(uint32_t));
		for (size_t i = 0; i < names.n; i++) {
			int k = open_session(r, sessdir, names.v[i], err, errlen);
			if (k < 0) {
				for (size_t j = 0; j < names.n; j++)
					free(names.v[j]);
				free(names.v);
				return 1;
			}
			a->side_sess[side][a->nside_sess[side]++] = (uint32_t)k;
		}
		for (size_t i = 0; i < names.n; i++)
			free(names.v[i]);
		free(names.v);
	}
	if (r->axis == COL_SESSION && r->nsess > XPS_MAX_DOMAINS) {
		snprintf(err, errlen, "--columns=session: at most %d sessions", XPS_MAX_DOMAINS);
		return 1;
	}
	for (int side = 0; side < nsides; side++)
		if (check_spec(r, side_spec(opts, side), side, err, errlen) != 0)
			return 1;
	return 0;
}

/* ===================================================================== */
/* Preparing an image for symbolization                                   */

/* The session's kallsyms, read with its samples (one generation). */
static int
ensure_ksyms(struct report_session *rs)
{
	if (!rs->ksyms_tried) {
		rs->ksyms_tried = 1;
		if (rs->s->kallsyms != NULL)
			rs->ksyms = ksyms_parse(rs->s->kallsyms, rs->s->kallsyms_len);
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

/* Why the samples of image G, which has no file ([unknown], [user]...), have no symbol. */
static const char *
anon_why(const char *path)
{
	if (strcmp(path, SYM_UNKNOWN) == 0)
		return "the daemon found the address in no mapping of its process";
	if (strcmp(path, "[user]") == 0)
		return "user space of a passive domain, opaque to dom0";
	if (strcmp(path, "[guests]") == 0)
		return "a guest's samples: perf does not say which guest";
	if (strcmp(path, "[ambiguous]") == 0)
		return "the address is mapped by several processes and the source gave no pid";
	if (strcmp(path, "[kernel]") == 0)
		return "the kernel of a passive domain without an image: use --passive-images";
	if (strcmp(path, "[xen]") == 0)
		return "no hypervisor image: use --xen";
	return "no file to read symbols from: an anonymous or special mapping";
}

/*
 * Decide how image G is symbolized; NSAMP is its sample count in the
 * selection (for warnings).  Never fails: the fallback is M_NONE, with
 * G->why saying why.
 */
static void
prepare_image(struct report *r, struct gimg *g, uint64_t nsamp)
{
	struct agg *a = r->priv;
	const struct report_opts *opts = r->opts;
	const char *path = strpool_str(a->pool, g->path);
	const char *shown = strpool_str(a->pool, g->shown);
	struct report_session *rs = g->sess < r->nsess ? &r->sess[g->sess] : NULL;
	const struct xps_meta *m = rs ? &rs->s->meta : NULL;
	const char *file = NULL;
	char why[512];
	const uint8_t *want = g->bid;
	int wantlen = g->bidlen;

	/* Images used only as callers (no leaf samples) are not warned about. */
#define PWARN(...) do { if (nsamp) report_warn(__VA_ARGS__); } while (0)
#define WHY(s) (g->why = strpool_id(a->pool, (s)))
	g->method = M_NONE;
	g->why = NONE;
	switch (g->kind) {
	case XPS_IMG_ANON:
		WHY(anon_why(path));
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
			PWARN("%s: no kallsyms in the session, %llu samples not symbolized",
				    shown, (unsigned long long)nsamp);
			WHY("no kallsyms in the session");
			return;
		}
		mi = ksyms_module(rs->ksyms, mod);
		if (mi <= 0) {
			PWARN("%s: module not in the session's kallsyms, %llu samples not "
				    "symbolized", shown, (unsigned long long)nsamp);
			WHY("module not in the session's kallsyms");
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
				PWARN("%s: kernel of a domain other than the profiling one has "
					    "no image, %llu samples not symbolized; record its vmlinux",
					    shown, (unsigned long long)nsamp);
				WHY("the kernel of another domain, with no image: record its vmlinux");
			} else {
				PWARN("%s: the session has no usable kallsyms copy%s, %llu "
					    "samples not symbolized; use --vmlinux",
					    shown, rs && rs->ksyms && rs->ksyms->all_zero ?
					    " (all addresses 0: kptr_restrict)" : "",
					    (unsigned long long)nsamp);
				WHY(rs && rs->ksyms && rs->ksyms->all_zero ?
				    "the session's kallsyms has no addresses (kptr_restrict); use --vmlinux" :
				    "no kallsyms in the session; use --vmlinux");
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

	/*
	 * The ELF file, by its content first (imagefind.c): the first
	 * candidate whose build-id is the recorded one; one that differs (a
	 * file replaced at the same path) is never used.
	 */
	const char *found = NULL;
	{
		const char *given = g->kind == XPS_IMG_XEN ? opts->xen :
		    g->kind == XPS_IMG_KERNEL && g->self ? opts->vmlinux : NULL;
		const char *rec = g->kind == XPS_IMG_FILE || path[0] != '[' ? path : "";
		struct imgfind *c = xcalloc(1, sizeof(*c));
		char mism[1024] = "", first[PATH_MAX + 600] = "", looked[512];
		size_t mo = 0;

		imgfind_candidates(c, opts, rec, want, wantlen, given);
		for (size_t i = 0; i < c->n && found == NULL; i++) {
			struct sym_image *im = sym_open(c->path[i], why, sizeof(why));
			const uint8_t *have;
			int havelen;

			if (im == NULL) {
				if (first[0] == '\0')
					snprintf(first, sizeof(first), "%s: %s", c->path[i], why);
				continue;
			}
			havelen = sym_build_id(im, &have);
			if (wantlen > 0 && (havelen != wantlen || memcmp(have, want, wantlen) != 0)) {
				char hh[2 * XPS_BUILD_ID_MAX + 1];

				hexid(have, havelen > 0 && havelen <= XPS_BUILD_ID_MAX ? havelen : 0, hh);
				if (mo < sizeof(mism))
					mo += (size_t)snprintf(mism + mo, sizeof(mism) - mo, "%s%s (%s) has %s",
					    mo ? "; " : "", c->path[i], c->where[i],
					    havelen > 0 ? hh : "none");
				sym_close(im);
				continue;
			}
			g->im = im;
			g->by_content = wantlen > 0;
			found = strpool_intern(a->pool, c->path[i]);
		}
		free(c);
		if (found == NULL && mism[0]) {
			char hw[2 * XPS_BUILD_ID_MAX + 1];

			hexid(want, wantlen, hw);
			PWARN("%s: build-id differs from the recorded one (the file changed since the "
			    "session; recorded %s: %s), and no file of that build-id in %s; give it with "
			    "-p DIR, or add it to ~/.debug/.build-id (perf buildid-cache --add FILE); "
			    "%llu samples not symbolized", shown, hw, mism,
			    imgfind_looked(opts, wantlen, looked, sizeof(looked)),
			    (unsigned long long)nsamp);
			WHY("build-id differs from the recorded one: the file changed");
			return;
		}
		if (found == NULL && first[0]) {
			PWARN("%s, %llu samples not symbolized", first, (unsigned long long)nsamp);
			WHY(strchr(first, ':') ? strchr(first, ':') + 2 : first);
			return;
		}
		if (found == NULL) {
			if (g->kind == XPS_IMG_KERNEL && g->self && rs && ensure_ksyms(rs)) {
				PWARN("%s: image not found; %llu samples symbolized from the "
				    "session's kallsyms instead", file, (unsigned long long)nsamp);
				g->method = M_KSYMS;
				g->kmod = 0;
				return;
			}
			PWARN("%s: image not found, %llu samples not symbolized; looked in %s; use %s",
			    file, (unsigned long long)nsamp,
			    imgfind_looked(opts, wantlen, looked, sizeof(looked)),
			    g->kind == XPS_IMG_XEN ? "--xen" :
			    g->kind == XPS_IMG_KERNEL ? "--vmlinux" : "--image-path or --root");
			WHY(g->kind == XPS_IMG_XEN ? "image not found: use --xen" :
			    g->kind == XPS_IMG_KERNEL ? "image not found: use --vmlinux" :
			    "image not found: use --image-path or --root");
			return;
		}
	}
	g->slide = 0;
	if (g->kind == XPS_IMG_KERNEL && g->self && m && m->kernel_text != 0) {
		uint64_t text;
		if (sym_symbol_addr(g->im, "_text", &text) == 0)
			g->slide = m->kernel_text - text;
		else
			PWARN("%s: no _text symbol; KASLR offset not applied", found);
	}
	g->file = found;
	g->method = M_ELF;
#undef WHY
#undef PWARN
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

static uint64_t
loc_hash(uint32_t gimg, uint64_t off)
{
	uint64_t h = (off ^ ((uint64_t)gimg << 40) ^ gimg) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* The location of (GIMG, OFF), interned. */
static uint32_t
loc_intern(struct agg *a, uint32_t gimg, uint64_t off)
{
	size_t i;

	if (a->nlocs * 2 >= a->loctabsz) {
		size_t nsz = a->loctabsz ? a->loctabsz * 2 : 4096;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 0; k < a->nlocs; k++) {
			for (i = loc_hash(a->locs[k].gimg, a->locs[k].offset) & (nsz - 1); nt[i];
			     i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(a->loctab);
		a->loctab = nt;
		a->loctabsz = nsz;
	}
	for (i = loc_hash(gimg, off) & (a->loctabsz - 1); a->loctab[i];
	     i = (i + 1) & (a->loctabsz - 1)) {
		const struct aloc *l = &a->locs[a->loctab[i] - 1];
		if (l->gimg == gimg && l->offset == off)
			return a->loctab[i] - 1;
	}
	if (a->nlocs == a->caplocs) {
		a->caplocs = a->caplocs ? a->caplocs * 2 : 4096;
		a->locs = xrealloc(a->locs, a->caplocs * sizeof(*a->locs));
	}
	a->locs[a->nlocs] = (struct aloc){ .offset = off, .vma = off, .symvma = off,
					   .gimg = gimg, .sym = NONE };
	a->loctab[i] = (uint32_t)a->nlocs + 1;
	return (uint32_t)a->nlocs++;
}

static struct agg *cmp_agg;	/* qsort context (single-threaded) */

static int
loc_cmp(const void *x, const void *y)
{
	const struct aloc *a = &cmp_agg->locs[*(const uint32_t *)x];
	const struct aloc *b = &cmp_agg->locs[*(const uint32_t *)y];

	if (a->gimg != b->gimg)
		return a->gimg < b->gimg ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

/*
 * Symbolize every location: one pass per image over its sorted offsets, one
 * lookup per symbol or gap (lookups return the range with the same answer).
 */
static void
symbolize_locs(struct report *r, int want_syms)
{
	struct agg *a = r->priv;
	uint32_t *ord = xcalloc(a->nlocs ? a->nlocs : 1, sizeof(*ord));
	size_t i = 0;

	for (size_t k = 0; k < a->nlocs; k++)
		ord[k] = (uint32_t)k;
	cmp_agg = a;
	qsort(ord, a->nlocs, sizeof(*ord), loc_cmp);
	while (i < a->nlocs) {
		size_t j = i;
		uint32_t gi = a->locs[ord[i]].gimg;
		struct gimg *g = &a->img[gi];

		while (j < a->nlocs && a->locs[ord[j]].gimg == gi)
			j++;
		if (!want_syms) {
			for (size_t k = i; k < j; k++)
				a->locs[ord[k]].sym = NONE;
			i = j;
			continue;
		}
		prepare_image(r, g, gi < a->nimg ? a->img_samples[gi] : 0);

		uint64_t lo = 1, hi = 0, clo = 0;	/* empty range */
		uint32_t cur = a->sym_unknown;
		int known = 0;
		for (size_t k = i; k < j; k++) {
			struct aloc *l = &a->locs[ord[k]];
			const char *name = NULL;

			if (!(l->offset >= lo && l->offset < hi)) {
				switch (g->method) {
				case M_ELF:
					name = sym_lookup(g->im, g->addr_kind, l->offset, g->slide, &lo, &hi);
					break;
				case M_KSYMS: {
					const struct kallsyms *ks = r->sess[g->sess].ksyms;
					name = ksyms_lookup(ks, g->kmod, l->offset, &lo, &hi);
					if (name == NULL)
						lo = l->offset, hi = l->offset + 1;
					break;
				}
				case M_NONE:
					lo = 0, hi = UINT64_MAX;
					break;
				}
				if (name != NULL && !r->opts->no_demangle) {
					char *dm = report_demangle(name);

					cur = strpool_id(a->pool, dm ? dm : name);
					free(dm);
				} else
					cur = name ? strpool_id(a->pool, name) : a->sym_unknown;
				known = name != NULL;
				clo = lo;
			}
			l->sym = cur;
			/* Link-time addresses: file offsets through PT_LOAD, kernels minus KASLR. */
			if (g->method == M_ELF && g->addr_kind == SYM_BY_OFFSET) {
				uint64_t v;
				if (sym_offset_to_vaddr(g->im, l->offset, &v) == 0)
					l->vma = v;
				l->symvma = l->vma;
				if (known && sym_offset_to_vaddr(g->im, clo, &v) == 0)
					l->symvma = v;
			} else {
				l->vma = l->offset - (g->method == M_ELF ? g->slide : 0);
				l->symvma = known ? clo - (g->method == M_ELF ? g->slide : 0) : l->vma;
			}
		}
		i = j;
	}
	free(ord);
}

static int
unsym_cmp(const void *x, const void *y)
{
	const struct report_unsym *a = x, *b = y;
	int c;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if ((c = strcmp(a->image, b->image)) != 0)
		return c;
	return strcmp(a->why, b->why);
}

/*
 * r->unsym from the hits: the leaf samples left without a symbol, summed by
 * (display image, reason).  Without symbols (WANT_SYMS 0) images are not
 * opened: only those with no file count.
 */
static void
unsym_collect(struct report *r, int want_syms)
{
	struct agg *a = r->priv;
	uint64_t *per = xcalloc(a->nimg ? a->nimg : 1, sizeof(*per));
	const char *why;
	size_t n = 0;

	for (size_t k = 0; k < a->nhits; k++) {
		const struct aloc *l = &a->locs[a->hits[k].loc];

		if (want_syms ? l->sym == a->sym_unknown : a->img[l->gimg].kind == XPS_IMG_ANON)
			per[l->gimg] += a->hits[k].count;
	}
	for (size_t i = 0; i < a->nimg; i++)
		n += per[i] != 0;
	r->unsym = xcalloc(n ? n : 1, sizeof(*r->unsym));
	r->nunsym = 0;
	r->unsym_total = 0;
	for (size_t i = 0; i < a->nimg; i++) {
		const struct gimg *g = &a->img[i];
		size_t j;

		if (per[i] == 0)
			continue;
		if (g->kind == XPS_IMG_ANON)
			why = anon_why(strpool_str(a->pool, g->path));
		else if (g->why != NONE)
			why = strpool_str(a->pool, g->why);
		else if (g->method == M_ELF && g->im != NULL && sym_nsyms(g->im) == 0)
			why = "no symbol table: stripped, and no debug file found";
		else if (g->method == M_KSYMS)
			why = "no symbol of the session's kallsyms covers the address";
		else
			why = "no symbol of the image covers the address";
		for (j = 0; j < r->nunsym; j++)
			if (strcmp(r->unsym[j].image, strpool_str(a->pool, g->shown)) == 0 &&
			    strcmp(r->unsym[j].why, why) == 0)
				break;
		if (j == r->nunsym) {
			r->unsym[j].image = strpool_str(a->pool, g->shown);
			r->unsym[j].why = strpool_intern(a->pool, why);
			r->nunsym++;
		}
		r->unsym[j].samples += per[i];
		r->unsym_total += per[i];
	}
	free(per);
	if (r->nunsym > 1)
		qsort(r->unsym, r->nunsym, sizeof(*r->unsym), unsym_cmp);
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

/* Chain id -> global chain index, per profile (open addressing). */
struct chainmap {
	uint32_t       *id, *idx;
	size_t		sz, n;
};

static uint32_t
chain_global(struct agg *a, struct chainmap *cm, const struct xps_profile *p, uint32_t id,
	     const uint32_t *map, uint32_t nimg)
{
	size_t i;

	if (cm->n * 2 >= cm->sz) {
		size_t nsz = cm->sz ? cm->sz * 2 : 256;
		uint32_t *nid = xcalloc(nsz, sizeof(*nid)), *nix = xcalloc(nsz, sizeof(*nix));
		for (size_t k = 0; k < cm->sz; k++) {
			if (cm->id[k] == 0)
				continue;
			for (i = (cm->id[k] * 2654435761u) & (nsz - 1); nid[i]; i = (i + 1) & (nsz - 1))
				;
			nid[i] = cm->id[k];
			nix[i] = cm->idx[k];
		}
		free(cm->id);
		free(cm->idx);
		cm->id = nid, cm->idx = nix, cm->sz = nsz;
	}
	for (i = (id * 2654435761u) & (cm->sz - 1); cm->id[i]; i = (i + 1) & (cm->sz - 1))
		if (cm->id[i] == id)
			return cm->idx[i];
	uint32_t n = 0;
	const struct xps_frame *fr = xps_profile_chain_at(p, id, &n);
	uint32_t gidx = NONE;
	if (fr != NULL && n > 0) {
		if (n > XPS_CHAIN_MAX)
			n = XPS_CHAIN_MAX;
		if (a->nchains == a->capchains) {
			a->capchains = a->capchains ? a->capchains * 2 : 256;
			a->chains = xrealloc(a->chains, a->capchains * sizeof(*a->chains));
		}
		if (a->nchain_locs + n > a->capchain_locs) {
			a->capchain_locs = (a->nchain_locs + n) * 2;
			a->chain_locs = xrealloc(a->chain_locs, a->capchain_locs * sizeof(uint32_t));
		}
		a->chains[a->nchains].first = a->nchain_locs;
		a->chains[a->nchains].n = n;
		for (uint32_t f = 0; f < n; f++) {
			uint32_t gi;
			if (fr[f].image < nimg) {
				gi = map[fr[f].image];
			} else {
				struct gimg g = { .kind = XPS_IMG_ANON, .sess = NONE, .why = NONE };
				g.path = g.shown = strpool_id(a->pool, SYM_UNKNOWN);
				gi = gimg_intern(a, &g);
			}
			a->chain_locs[a->nchain_locs++] = loc_intern(a, gi, fr[f].offset);
		}
		gidx = (uint32_t)a->nchains++;
	}
	cm->id[i] = id;
	cm->idx[i] = gidx;
	cm->n++;
	return gidx;
}

static struct report_domain *
dom_get(struct report *r, uint32_t domid, const char *name)
{
	for (size_t i = 0; i < r->ndoms; i++)
		if (r->doms[i].domid == domid)
			return &r->doms[i];
	r->doms = xrealloc(r->doms, (r->ndoms + 1) * sizeof(*r->doms));
	memset(&r->doms[r->ndoms], 0, sizeof(r->doms[0]));
	r->doms[r->ndoms].domid = domid;
	r->doms[r->ndoms].name = name;
	return &r->doms[r->ndoms++];
}

static void
dom_add_loss(struct report_domain *d, uint32_t cpu, uint64_t n)
{
	size_t i;

	d->lost += n;
	for (i = 0; i < d->nlost_cpu; i++)
		if (d->lost_cpu[i].cpu == cpu)
			break;
	if (i == d->nlost_cpu) {
		d->lost_cpu = xrealloc(d->lost_cpu, (i + 1) * sizeof(*d->lost_cpu));
		d->lost_cpu[i].cpu = cpu;
		d->lost_cpu[i].count = 0;
		d->nlost_cpu++;
	}
	d->lost_cpu[i].count += n;
}

static int
u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static int
dom_cmp(const void *x, const void *y)
{
	return u32_cmp(&((const struct report_domain *)x)->domid,
		       &((const struct report_domain *)y)->domid);
}

/* Column of a record; -1 if the column table is full. */
static int
col_of(struct report *r, int side, uint32_t si, uint32_t domid, int ev, const char *dname)
{
	struct agg *a = r->priv;

	switch (r->axis) {
	case COL_DIFF:
		return side;
	case COL_SESSION:
		return (int)si;
	case COL_DOMAIN:
		for (size_t c = 0; c < r->ncols; c++)
			if (r->cols[c].lost == domid)	/* domid parked in .lost until the end */
				return (int)c;
		if (r->ncols == sizeof(r->cols) / sizeof(r->cols[0]))
			return -1;
		r->cols[r->ncols].name = strpool_intern(a->pool, dname);
		r->cols[r->ncols].lost = domid;
		return (int)r->ncols++;
	case COL_EVENT:
	default:
		return ev;
	}
}

/*
 * Does KEY's application belong in the rows?  Only in sessions recorded with
 * --separate=library (kernel samples: =kernel too), as the daemon records it;
 * the daemon also records it for every sample with a call chain, whose stack
 * is rooted at its process (report_stack.proc).
 */
static int
app_in_rows(const struct xps_meta *m, const struct xps_key *k)
{
	return (m->separate & XPS_SEP_LIBRARY) &&
	    (k->mode == XPS_MODE_USER || (m->separate & XPS_SEP_KERNEL));
}

/* Select the records of one profile into hits. */
static void
select_profile(struct report *r, const struct spec *sp, int side, uint32_t si,
	       struct xps_profile *p, int *evmap, int *any_image_match)
{
	struct agg *a = r->priv;
	const struct report_opts *opts = r->opts;
	struct xps_session *s = r->sess[si].s;
	unsigned merge = opts->merge;
	uint32_t domid = xps_profile_domid(p);
	char nb[80];
	const char *dn = domain_name_of(s, p, nb, sizeof(nb));
	uint32_t nimg = xps_profile_nimages(p);
	uint32_t *map, *shown;
	uint8_t *sel, *kind;
	const struct xps_record *rec;
	size_t nrec;
	int self = domain_is_self(&s->meta, domid);
	struct chainmap cm = { 0 };
	struct report_domain *dom;
	int lostcol;

	if (!spec_domain_match(sp, domid, dn))
		return;
	uint32_t d;
	for (d = 0; d < a->ndom; d++)
		if (a->domid[d] == domid)
			break;
	if (d == a->ndom && d < 256) {
		a->domid[d] = domid;
		a->domname[d] = strpool_id(a->pool, dn);
		a->ndom++;
	}
	dom = dom_get(r, domid, strpool_intern(a->pool, dn));
	lostcol = r->axis == COL_DIFF ? side : r->axis == COL_SESSION ? (int)si : -1;
	if (r->axis == COL_DOMAIN)
		lostcol = col_of(r, side, si, domid, 0, dn);
	/* Losses of the selected profile, per cpu. */
	uint32_t nl = 0;
	const struct xps_loss *ls = xps_profile_losses(p, &nl);
	for (uint32_t l = 0; ls && l < nl; l++) {
		if (sp->cpus.n && ls[l].cpu != NONE && !spec_num_match(&sp->cpus, ls[l].cpu))
			continue;
		r->lost += ls[l].count;
		r->lost_kind[ls[l].kind < XPS_LOSS_NKINDS ? ls[l].kind : XPS_LOSS_OTHER] += ls[l].count;
		dom_add_loss(dom, ls[l].cpu, ls[l].count);
		if (lostcol >= 0 && r->axis != COL_DOMAIN)
			r->cols[lostcol].lost += ls[l].count;
	}
	/* Per-profile image table -> report images. */
	map = xcalloc(nimg ? nimg : 1, sizeof(*map));
	shown = xcalloc(nimg ? nimg : 1, sizeof(*shown));
	sel = xcalloc(nimg ? nimg : 1, 1);
	kind = xcalloc(nimg ? nimg : 1, 1);
	for (uint32_t ii = 0; ii < nimg; ii++) {
		const struct xps_image *xi = xps_profile_image_at(p, ii);
		struct gimg g = { .why = NONE };
		const char *ip = xi && xi->path ? xi->path : SYM_UNKNOWN;
		const char *sh = ip;

		g.kind = xi ? xi->kind : XPS_IMG_ANON;
		if (g.kind > XPS_IMG_ANON)
			g.kind = XPS_IMG_ANON;
		if (g.kind == XPS_IMG_KERNEL && self && opts->vmlinux)
			sh = opts->vmlinux;
		else if (g.kind == XPS_IMG_XEN && opts->xen)
			sh = opts->xen;
		g.path = strpool_id(a->pool, ip);
		g.shown = strpool_id(a->pool, sh);
		if (xi && xi->build_id_len <= XPS_BUILD_ID_MAX) {
			g.bidlen = xi->build_id_len;
			memcpy(g.bid, xi->build_id, g.bidlen);
		}
		if (g.kind == XPS_IMG_KERNEL || g.kind == XPS_IMG_KMOD) {
			g.sess = si;
			g.self = self;
		} else {
			g.sess = NONE;
		}
		map[ii] = gimg_intern(a, &g);
		shown[ii] = g.shown;
		kind[ii] = g.kind;
		/* Without lib-image:, an image also matches through image: alone. */
		sel[ii] = spec_image_select(sp, ip, sh, NULL, 0);
	}
	rec = xps_profile_records(p, &nrec);
	for (size_t k = 0; rec && k < nrec; k++) {
		const struct xps_key *key = &rec[k].key;
		struct hit h;
		int ev, col;
		uint8_t kd;

		if (rec[k].count == 0)
			continue;
		ev = evmap[key->event];
		if (ev == -3) {
			char fb[32];
			snprintf(fb, sizeof(fb), "event#%u", key->event);
			ev = evmap[key->event] = event_global(r, NULL, fb);
			if (ev >= 0 && !spec_event_full_match(sp, r->ev[ev].name, 0, 0))
				ev = evmap[key->event] = -2;
		}
		if (ev < 0)
			continue;
		if (!spec_num_match(&sp->tids, key->tid) ||
		    !spec_num_match(&sp->tgids, key->tgid) ||
		    !spec_num_match(&sp->cpus, key->cpu))
			continue;
		memset(&h, 0, sizeof(h));
		uint32_t gi;
		if (key->image >= nimg) {
			/* A record naming no image: keep it, as [unknown]. */
			struct gimg g = { .kind = XPS_IMG_ANON, .sess = NONE, .why = NONE };
			g.path = g.shown = strpool_id(a->pool, SYM_UNKNOWN);
			if (!spec_image_select(sp, SYM_UNKNOWN, NULL, NULL, 0))
				continue;
			gi = gimg_intern(a, &g);
			kd = XPS_IMG_ANON;
		} else {
			int app_ok = key->app != NONE && key->app < nimg && app_in_rows(&s->meta, key);
			/* -x: only the applications' own code, not what they ran in
			 * libraries, modules or the kernel. */
			if (r->opts->exclude_dependent && app_ok && key->app != key->image)
				continue;
			if (sp->lib_images.n || (app_ok && key->app != key->image && sp->images.n)) {
				const char *ip = strpool_str(a->pool, a->img[map[key->image]].path);
				const char *app = app_ok ? strpool_str(a->pool, a->img[map[key->app]].path) : NULL;
				if (!spec_image_select(sp, ip, strpool_str(a->pool, shown[key->image]), app,
						       app_ok && key->app != key->image))
					continue;
			} else if (!sel[key->image]) {
				continue;
			}
			gi = map[key->image];
			kd = kind[key->image];
		}
		col = col_of(r, side, si, domid, ev, dn);
		if (col < 0)
			continue;
		*any_image_match = 1;
		h.loc = loc_intern(a, gi, key->offset);
		h.chain = key->chain ? chain_global(a, &cm, p, key->chain, map, nimg) : NONE;
		h.count = rec[k].count;
		h.domain = domid;
		h.app = NONE;
		if (!(merge & MERGE_LIB) && key->app != NONE && key->app < nimg &&
		    app_in_rows(&s->meta, key))
			h.app = shown[key->app];
		h.proc = key->app != NONE && key->app < nimg ? shown[key->app] : NONE;
		h.tgid = merge & MERGE_TGID ? NONE : key->tgid;
		h.tid = merge & (MERGE_TID | MERGE_TGID) ? NONE : key->tid;
		h.cpu = merge & MERGE_CPU ? NONE : key->cpu;
		h.col = (uint32_t)col;
		hit_push(a, &h);
		r->ev[ev].total += h.count;
		r->total += h.count;
		dom->samples += h.count;
		if (kd == XPS_IMG_XEN || (kd == XPS_IMG_ANON && key->mode == XPS_MODE_XEN))
			dom->xen += h.count;
		else if (kd == XPS_IMG_KERNEL || kd == XPS_IMG_KMOD ||
			 (kd == XPS_IMG_ANON && key->mode == XPS_MODE_KERNEL))
			dom->kernel += h.count;
		else
			dom->user += h.count;
	}
	free(cm.id);
	free(cm.idx);
	free(map);
	free(shown);
	free(sel);
	free(kind);
}

struct dkey {
	uint32_t	row;
	uint32_t	loc;
	uint64_t	count;
};

static int
dkey_cmp(const void *x, const void *y)
{
	const struct dkey *a = x, *b = y;

	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	uint64_t va = cmp_agg->locs[a->loc].vma, vb = cmp_agg->locs[b->loc].vma;
	if (va != vb)
		return va < vb ? -1 : 1;
	return a->loc < b->loc ? -1 : a->loc > b->loc;
}

/* Source line of link-time VMA in image G, interned; NULL if none. */
static const char *
srcline_of(struct agg *a, const struct gimg *g, uint64_t vma, const char **inl)
{
	char buf[PATH_MAX + 32], ib[1024];

	if (inl)
		*inl = NULL;
	if (g->method != M_ELF || g->im == NULL)
		return NULL;
	if (sym_srcline(g->im, vma, buf, sizeof(buf), inl ? ib : NULL, sizeof(ib)) != 0)
		return NULL;
	if (inl && ib[0] != '\0')
		*inl = strpool_intern(a->pool, ib);
	return strpool_intern(a->pool, buf);
}

int
report_aggregate(struct report *r, char *err, size_t errlen)
{
	struct agg *a = agg_of(r);
	const struct report_opts *opts = r->opts;
	int any_image_match = 0, nsides = opts->nsides ? 2 : 1;
	int want_syms = opts->symbols || opts->callgraph || opts->details ||
	    opts->format == OUT_FOLDED || opts->format == OUT_PPROF || opts->format == OUT_SVG ||
	    opts->archive_out;

	/* 1. Select records into hits. */
	for (int side = 0; side < nsides; side++) {
		const struct spec *sp = side_spec(opts, side);

		for (size_t k = 0; k < a->nside_sess[side]; k++) {
			uint32_t si = a->side_sess[side][k];
			struct xps_session *s = r->sess[si].s;
			int evmap[256];

			for (int e = 0; e < 256; e++) {
				evmap[e] = -3;		/* not in the meta: resolved on first use */
				if (e >= (int)s->meta.nevents || e >= XPS_MAX_EVENTS)
					continue;
				const struct xps_event_desc *ed = &s->meta.events[e];
				int g = event_global(r, ed, NULL);
				evmap[e] = g >= 0 && spec_event_full_match(sp, r->ev[g].name, ed->count,
									   ed->unit_mask) ? g : -2;
			}
			for (uint32_t pi = 0; pi < s->nprofiles; pi++)
				select_profile(r, sp, side, si, s->profiles[pi], evmap,
					       &any_image_match);
		}
	}
	/* Leaf samples per image (for symbolization warnings). */
	a->img_samples = xrealloc(a->img_samples, (a->nimg ? a->nimg : 1) * sizeof(uint64_t));
	memset(a->img_samples, 0, (a->nimg ? a->nimg : 1) * sizeof(uint64_t));
	for (size_t k = 0; k < a->nhits; k++)
		a->img_samples[a->locs[a->hits[k].loc].gimg] += a->hits[k].count;

	for (int side = 0; side < nsides; side++) {
		const struct spec *sp = side_spec(opts, side);
		if ((sp->images.n > 0 || sp->lib_images.n > 0 || sp->images_x.n > 0) &&
		    !any_image_match) {
			char list[1024];
			size_t used = 0;
			list[0] = '\0';
			for (size_t i = 0; i < a->nimg && used < sizeof(list) - 1; i++) {
				const char *b = out_basename(strpool_str(a->pool, a->img[i].path));
				int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", b);
				if (w > 0)
					used += (size_t)w < sizeof(list) - used ? (size_t)w : sizeof(list) - used - 1;
			}
			const char *tag = sp->images.n ? "image" : sp->lib_images.n ? "lib-image" :
			    "image-exclude";
			const struct strlist *l = sp->images.n ? &sp->images :
			    sp->lib_images.n ? &sp->lib_images : &sp->images_x;
			snprintf(err, errlen, "%s:%s%s matches no image; images in the selection: %s",
				 tag, l->v[0], l->n > 1 ? ",..." : "", used ? list : "none");
			return 1;
		}
		if (a->nhits == 0 && (sp->tids.n || sp->tgids.n || sp->cpus.n)) {
			snprintf(err, errlen, "the tid:/tgid:/cpu: specification matches no samples");
			return 1;
		}
	}

	/* Columns. */
	switch (r->axis) {
	case COL_EVENT:
		r->ncols = r->nevents;
		for (size_t e = 0; e < r->nevents; e++)
			r->cols[e].name = r->ev[e].name, r->cols[e].total = 0;
		break;
	case COL_SESSION:
		r->ncols = r->nsess;
		for (size_t i = 0; i < r->nsess; i++)
			r->cols[i].name = r->sess[i].name;
		break;
	case COL_DIFF:
		r->ncols = 2;
		r->cols[0].name = "first";
		r->cols[1].name = "second";
		break;
	case COL_DOMAIN: {
		/* Columns in domid order; remap the hits. */
		uint32_t perm[sizeof(r->cols) / sizeof(r->cols[0])];
		struct report_col tmp[sizeof(r->cols) / sizeof(r->cols[0])];
		for (size_t c = 0; c < r->ncols; c++)
			perm[c] = (uint32_t)c;
		for (size_t c = 1; c < r->ncols; c++)	/* insertion sort by domid */
			for (size_t d = c; d > 0 && r->cols[perm[d - 1]].lost > r->cols[perm[d]].lost; d--) {
				uint32_t t = perm[d]; perm[d] = perm[d - 1]; perm[d - 1] = t;
			}
		uint32_t inv[sizeof(r->cols) / sizeof(r->cols[0])];
		for (size_t c = 0; c < r->ncols; c++) {
			tmp[c] = r->cols[perm[c]];
			inv[perm[c]] = (uint32_t)c;
		}
		for (size_t c = 0; c < r->ncols; c++) {
			r->cols[c] = tmp[c];
			struct report_domain *dm = dom_get(r, (uint32_t)r->cols[c].lost, NULL);
			r->cols[c].lost = dm->lost;
		}
		for (size_t k = 0; k < a->nhits; k++)
			a->hits[k].col = inv[a->hits[k].col];
		break;
	}
	}
	for (size_t c = 0; c < r->ncols; c++)
		r->cols[c].total = 0;
	for (size_t k = 0; k < a->nhits; k++)
		r->cols[a->hits[k].col].total += a->hits[k].count;
	if (r->axis == COL_EVENT && r->ncols == 0) {
		r->ncols = 1;
		r->cols[0].name = "samples";
	}

	/* 2. Symbolize distinct (image, offset) pairs. */
	symbolize_locs(r, want_syms);

	/* What could not be symbolized, and why. */
	unsym_collect(r, want_syms);

	/* 3. Fold hits into rows. */
	struct rowtab rt = { 0 };
	size_t cap = 0;
	int rowsyms = opts->symbols || opts->details;
	rt.sz = 1024;
	while (rt.sz < a->nhits * 2)
		rt.sz *= 2;
	rt.tab = xcalloc(rt.sz, sizeof(*rt.tab));
	for (size_t k = 0; k < a->nhits; k++) {
		struct hit *h = &a->hits[k];
		const struct aloc *l = &a->locs[h->loc];
		const struct gimg *g = &a->img[l->gimg];
		struct rowkey key = {
			.domain = r->axis == COL_DOMAIN ? NONE : h->domain, .image = g->shown,
			.app = h->app, .sym = rowsyms ? l->sym : NONE,
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
			row->domain = key.domain;
			row->domain_name = "";
			for (uint32_t d = 0; d < a->ndom; d++)
				if (a->domid[d] == key.domain)
					row->domain_name = strpool_str(a->pool, a->domname[d]);
			row->image = strpool_str(a->pool, g->shown);
			row->app = h->app != NONE ? strpool_str(a->pool, h->app) : NULL;
			row->symbol = key.sym != NONE ? strpool_str(a->pool, key.sym) : NULL;
			row->tgid = h->tgid;
			row->tid = h->tid;
			row->cpu = h->cpu;
			row->col = xcalloc(r->ncols ? r->ncols : 1, sizeof(uint64_t));
			row->vma = l->sym != a->sym_unknown ? l->symvma : l->vma;
			if (opts->debug_info && row->symbol != NULL && l->sym != a->sym_unknown)
				row->src = srcline_of(a, g, l->symvma, NULL);
			rt.keys[r->nrows] = key;
			rt.tab[i] = (uint32_t)++r->nrows;
			r->has_app |= row->app != NULL;
			r->has_tid |= row->tid != NONE;
			r->has_tgid |= row->tgid != NONE;
			r->has_cpu |= row->cpu != NONE;
		}
		struct report_row *row = &r->rows[rt.tab[i] - 1];
		h->row = rt.tab[i] - 1;
		row->samples += h->count;
		row->col[h->col] += h->count;
		if (l->sym == a->sym_unknown && l->vma < row->vma)
			row->vma = l->vma;
	}
	free(rt.tab);
	free(rt.keys);
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
		r->ndomains = r->axis == COL_DOMAIN ? 1 : n;
	}
	if (r->ndoms > 0)
		qsort(r->doms, r->ndoms, sizeof(*r->doms), dom_cmp);
	for (size_t i = 0; i < r->ndoms; i++) {
		struct report_domain *d = &r->doms[i];
		for (size_t x = 1; x < d->nlost_cpu; x++)	/* by cpu */
			for (size_t y = x; y > 0 && d->lost_cpu[y - 1].cpu > d->lost_cpu[y].cpu; y--) {
				struct report_cpu_loss t = d->lost_cpu[y];
				d->lost_cpu[y] = d->lost_cpu[y - 1];
				d->lost_cpu[y - 1] = t;
			}
	}

	/* 4. -d: per address inside each symbol row. */
	if (opts->details && a->nhits > 0) {
		struct dkey *dk = xcalloc(a->nhits, sizeof(*dk));
		for (size_t k = 0; k < a->nhits; k++)
			dk[k] = (struct dkey){ a->hits[k].row, a->hits[k].loc, a->hits[k].count };
		cmp_agg = a;
		qsort(dk, a->nhits, sizeof(*dk), dkey_cmp);
		r->det = xcalloc(a->nhits, sizeof(*r->det));
		for (size_t k = 0; k < a->nhits; k++) {
			struct report_row *row = &r->rows[dk[k].row];
			const struct aloc *l = &a->locs[dk[k].loc];
			if (row->ndet == 0)
				row->det = r->ndet;
			else if (r->det[r->ndet - 1].vma == l->vma) {
				r->det[r->ndet - 1].samples += dk[k].count;
				continue;
			}
			struct report_detail *d = &r->det[r->ndet++];
			d->vma = l->vma;
			d->samples = dk[k].count;
			if (opts->debug_info)
				d->src = srcline_of(a, &a->img[l->gimg], l->vma, &d->inl);
			row->ndet++;
		}
		free(dk);
	}

	/* 5. Stacks and locations for -c, folded and pprof. */
	r->nlocs = a->nlocs;
	r->locs = xcalloc(a->nlocs ? a->nlocs : 1, sizeof(*r->locs));
	for (size_t k = 0; k < a->nlocs; k++) {
		const struct aloc *l = &a->locs[k];
		r->locs[k].offset = l->offset;
		r->locs[k].vma = l->vma;
		r->locs[k].img = l->gimg;
		r->locs[k].symbol = strpool_str(a->pool, l->sym != NONE ? l->sym : a->sym_unknown);
		r->locs[k].image = strpool_str(a->pool, a->img[l->gimg].shown);
	}
	r->nstacks = a->nhits;
	r->stacks = xcalloc(a->nhits ? a->nhits : 1, sizeof(*r->stacks));
	for (size_t k = 0; k < a->nhits; k++) {
		const struct hit *h = &a->hits[k];
		r->stacks[k] = (struct report_stack){ .leaf = h->loc, .chain = h->chain,
			.domain = h->domain, .col = h->col, .count = h->count, .tgid = h->tgid,
			.proc = h->proc != NONE ? strpool_str(a->pool, h->proc) : NULL };
		r->has_chains |= h->chain != NONE;
	}
	r->chains = a->chains;
	r->nchains = a->nchains;
	r->chain_locs = a->chain_locs;
	free(a->hits);
	a->hits = NULL;
	a->nhits = a->caphits = 0;
	return 0;
}

int
report_loc_srcline(const struct report *r, const struct report_loc *l, const char **file,
    int64_t *line)
{
	struct agg *a = r->priv;
	const char *sl, *colon;

	if (l->img >= a->nimg || (sl = srcline_of(a, &a->img[l->img], l->vma, NULL)) == NULL ||
	    (colon = strrchr(sl, ':')) == NULL || colon == sl)
		return -1;
	*line = strtoll(colon + 1, NULL, 10);
	{
		char buf[PATH_MAX + 32];
		size_t n = (size_t)(colon - sl) < sizeof(buf) - 1 ? (size_t)(colon - sl) : sizeof(buf) - 1;

		memcpy(buf, sl, n);
		buf[n] = '\0';
		*file = strpool_intern(a->pool, buf);
	}
	return 0;
}

const char *
report_image_name(const struct report *r, uint32_t img)
{
	const struct agg *a = r->priv;
	return img < a->nimg ? strpool_str(a->pool, a->img[img].shown) : SYM_UNKNOWN;
}

const char *
report_image_file(const struct report *r, uint32_t img)
{
	const struct agg *a = r->priv;
	return img < a->nimg && a->img[img].method == M_ELF ? a->img[img].file : NULL;
}

int
report_image_content_id(const struct report *r, uint32_t img, const uint8_t **id)
{
	const struct agg *a = r->priv;

	if (img >= a->nimg || a->img[img].im == NULL || !a->img[img].by_content)
		return 0;
	return sym_build_id(a->img[img].im, id);
}

int
report_image_build_id(const struct report *r, uint32_t img, const uint8_t **id)
{
	const struct agg *a = r->priv;

	if (img >= a->nimg)
		return 0;
	if (a->img[img].im != NULL)
		return sym_build_id(a->img[img].im, id);
	*id = a->img[img].bid;
	return a->img[img].bidlen;
}

int
report_image_kind(const struct report *r, uint32_t img)
{
	const struct agg *a = r->priv;
	return img < a->nimg ? a->img[img].kind : XPS_IMG_ANON;
}

size_t
report_nimages(const struct report *r)
{
	const struct agg *a = r->priv;
	return a ? a->nimg : 0;
}

void
report_free(struct report *r)
{
	struct agg *a = r->priv;

	for (size_t i = 0; i < r->nrows; i++)
		free(r->rows[i].col);
	free(r->rows);
	for (size_t i = 0; i < r->nsess; i++) {
		xps_session_close(r->sess[i].s);
		ksyms_free(r->sess[i].ksyms);
		free(r->sess[i].name);
	}
	free(r->sess);
	for (size_t i = 0; i < r->ndoms; i++)
		free(r->doms[i].lost_cpu);
	free(r->doms);
	free(r->det);
	free(r->locs);
	free(r->stacks);
	free(r->unsym);
	if (a != NULL) {
		for (size_t i = 0; i < a->nimg; i++)
			sym_close(a->img[i].im);
		free(a->img);
		free(a->imgtab);
		free(a->img_samples);
		free(a->hits);
		free(a->locs);
		free(a->loctab);
		free(a->chains);
		free(a->chain_locs);
		free(a->side_sess[0]);
		free(a->side_sess[1]);
		strpool_free(a->pool);
		free(a);
	}
	memset(r, 0, sizeof(*r));
}
