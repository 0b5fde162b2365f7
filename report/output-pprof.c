/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format=pprof: profile.proto (perftools.profiles), gzip-compressed, as
 * read by `go tool pprof` and by the servers that ingest pprof.  Encoding
 * through protobuf-c (code generated from report/profile.proto at build
 * time), compression through zlib.
 *
 * Mapping: sample_type is [samples/count] (period_type the first event and
 * its count); one Mapping per image (filename = image path, build_id, has_
 * functions set: the report symbolized already); one Location per distinct
 * (image, offset) (address = link-time address); one Function per (symbol,
 * image), filename = the image path, so that pprof's per-function view
 * splits the rows exactly like the report's (domain aside); one Sample per
 * selected record: leaf location first, then its callers, then the root
 * frames of stacks.c (process, then domain on a Xen host), each a Function
 * without a mapping whose filename is "[process]" or "[domain]"; value =
 * samples, labels domain (name), domid and process.  Invariant: the sample values sum to the
 * report's total_samples, so flat percentages equal the JSON report's.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report/report.h"

#ifdef HAVE_PROTOBUFC
#include <zlib.h>
#include "report/profile.pb-c.h"

typedef Perftools__Profiles__Profile PProfile;
typedef Perftools__Profiles__Sample PSample;
typedef Perftools__Profiles__Location PLocation;
typedef Perftools__Profiles__Line PLine;
typedef Perftools__Profiles__Function PFunction;
typedef Perftools__Profiles__Mapping PMapping;
typedef Perftools__Profiles__ValueType PValueType;
typedef Perftools__Profiles__Label PLabel;

/* String table with a hash index (strings are copied). */
struct stab {
	char	      **s;
	size_t		n, cap;
	uint32_t       *tab;
	size_t		tabsz;
};

static uint64_t
shash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int64_t
stab_id(struct stab *t, const char *str)
{
	size_t i;

	if (str == NULL)
		str = "";
	if (t->n * 2 >= t->tabsz) {
		size_t nsz = t->tabsz ? t->tabsz * 2 : 1024;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 0; k < t->n; k++) {
			for (i = shash(t->s[k]) & (nsz - 1); nt[i]; i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(t->tab);
		t->tab = nt;
		t->tabsz = nsz;
	}
	for (i = shash(str) & (t->tabsz - 1); t->tab[i]; i = (i + 1) & (t->tabsz - 1))
		if (strcmp(t->s[t->tab[i] - 1], str) == 0)
			return t->tab[i] - 1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->s = xrealloc(t->s, t->cap * sizeof(*t->s));
	}
	t->s[t->n] = xstrdup(str);
	t->tab[i] = (uint32_t)t->n + 1;
	return (int64_t)t->n++;
}

/* gzip LEN bytes of BUF to F. */
static int
gz_write(FILE *f, const uint8_t *buf, size_t len)
{
	z_stream z;
	uint8_t out[65536];
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;		/* profiles stay far below 4 GiB */
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR) {
			deflateEnd(&z);
			return -1;
		}
		fwrite(out, 1, sizeof(out) - z.avail_out, f);
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return ferror(f) ? -1 : 0;
}

static int
pprof_whole(struct out_ctx *c)
{
	const struct report *r = c->r;
	PProfile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	PValueType st = PERFTOOLS__PROFILES__VALUE_TYPE__INIT, pt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	PValueType *stp = &st;
	struct stab s = { 0 };
	size_t nimg = report_nimages(r);
	uint64_t *mapid = xcalloc(nimg + 1, sizeof(*mapid));
	uint64_t *locid = xcalloc(r->nlocs + 1, sizeof(*locid));
	PMapping *maps = xcalloc(nimg + 1, sizeof(*maps));
	PMapping **mapp = xcalloc(nimg + 1, sizeof(*mapp));
	/* Locations and functions: one per distinct (image, offset), plus the
	 * domain and process root frames (at most two per stack). */
	size_t maxloc = r->nlocs + 2 * r->nstacks + 1;
	PLocation *locs = xcalloc(maxloc, sizeof(*locs));
	PLocation **locp = xcalloc(maxloc, sizeof(*locp));
	PLine *lines = xcalloc(maxloc, sizeof(*lines));
	PLine **linep = xcalloc(maxloc, sizeof(*linep));
	PFunction *fns = xcalloc(maxloc, sizeof(*fns));
	PFunction **fnp = xcalloc(maxloc, sizeof(*fnp));
	PSample *smp = xcalloc(r->nstacks + 1, sizeof(*smp));
	PSample **smpp = xcalloc(r->nstacks + 1, sizeof(*smpp));
	PLabel *labels = xcalloc(3 * r->nstacks + 1, sizeof(*labels));
	PLabel **labelp = xcalloc(3 * r->nstacks + 1, sizeof(*labelp));
	struct stk_ctx *sc = stk_new(r);
	/* Root-frame location per string-table id: [0] domains, [1] processes. */
	uint64_t *rootloc[2] = { NULL, NULL };
	size_t nrootloc[2] = { 0, 0 };
	int64_t *vals = xcalloc(r->nstacks + 1, sizeof(int64_t));
	size_t nmaps = 0, nlocs = 0, nfns = 0;
	/* Function per (symbol, image): hashed on the (interned) pointers. */
	size_t ftabsz = 1024;
	while (ftabsz < r->nlocs * 2 + 2)
		ftabsz *= 2;
	uint32_t *ftab = xcalloc(ftabsz, sizeof(*ftab));	/* function index + 1 */
	struct report_loc *fkey = xcalloc(maxloc, sizeof(*fkey));
	int rc;

	stab_id(&s, "");
	st.type = stab_id(&s, "samples");
	st.unit = stab_id(&s, "count");
	pt.type = stab_id(&s, r->nevents ? r->ev[0].name : "samples");
	pt.unit = stab_id(&s, "count");
	prof.n_sample_type = 1;
	prof.sample_type = &stp;
	prof.period_type = &pt;
	prof.period = r->nevents ? (int64_t)r->ev[0].count : 0;
	int64_t k_domain = stab_id(&s, "domain"), k_domid = stab_id(&s, "domid");
	int64_t k_process = stab_id(&s, "process");
	int64_t f_domain = stab_id(&s, "[domain]"), f_process = stab_id(&s, "[process]");

	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *sk = &r->stacks[i];
		PSample *p = &smp[i];
		struct stk_frame fr[STK_MAX_FRAMES];
		size_t nf = stk_frames(sc, sk, fr);
		const char *procname = NULL;

		perftools__profiles__sample__init(p);
		p->location_id = xcalloc(nf, sizeof(uint64_t));
		for (size_t k = 0; k < nf; k++) {
			const struct stk_frame *f = &fr[nf - 1 - k];	/* leaf first */
			uint32_t li = f->loc;

			if (li == XPS_NONE) {
				/* Domain or process root frame: a function without a mapping. */
				int w = f->family == STK_PROCESS;
				int64_t sid = stab_id(&s, f->name);

				if (w)
					procname = f->name;
				if ((size_t)sid >= nrootloc[w]) {
					size_t nn = (size_t)sid * 2 + 16;
					rootloc[w] = xrealloc(rootloc[w], nn * sizeof(uint64_t));
					memset(rootloc[w] + nrootloc[w], 0, (nn - nrootloc[w]) * sizeof(uint64_t));
					nrootloc[w] = nn;
				}
				if (rootloc[w][sid] == 0) {
					PFunction *fn = &fns[nfns];
					PLocation *lo = &locs[nlocs];

					perftools__profiles__function__init(fn);
					fn->id = nfns + 1;
					fn->name = fn->system_name = sid;
					fn->filename = w ? f_process : f_domain;
					fnp[nfns++] = fn;
					perftools__profiles__location__init(lo);
					lo->id = nlocs + 1;
					perftools__profiles__line__init(&lines[nlocs]);
					lines[nlocs].function_id = fn->id;
					linep[nlocs] = &lines[nlocs];
					lo->n_line = 1;
					lo->line = &linep[nlocs];
					locp[nlocs++] = lo;
					rootloc[w][sid] = lo->id;
				}
				p->location_id[k] = rootloc[w][sid];
				continue;
			}
			const struct report_loc *l = &r->locs[li];
			if (locid[li] == 0) {
				uint32_t im = l->img;
				if (im < nimg && mapid[im] == 0) {
					PMapping *m = &maps[nmaps];
					const uint8_t *bid;
					int bl = report_image_build_id(r, im, &bid);
					char hex[2 * XPS_BUILD_ID_MAX + 1] = "";
					perftools__profiles__mapping__init(m);
					m->id = nmaps + 1;
					m->filename = stab_id(&s, report_image_name(r, im));
					for (int b = 0; b < bl && b < XPS_BUILD_ID_MAX; b++)
						sprintf(hex + 2 * b, "%02x", bid[b]);
					m->build_id = stab_id(&s, hex);
					m->has_functions = 1;
					mapp[nmaps++] = m;
					mapid[im] = m->id;
				}
				/* Function of (symbol, image). */
				char unk[600];
				const char *fname = l->symbol;
				if (strcmp(fname, SYM_UNKNOWN) == 0) {
					snprintf(unk, sizeof(unk), "[unknown] %s", out_basename(l->image));
					fname = unk;
				}
				uint64_t h = ((uintptr_t)l->symbol * 0x9e3779b97f4a7c15ULL) ^
				    ((uintptr_t)l->image * 31);
				size_t fi;
				for (fi = (h ^ (h >> 29)) & (ftabsz - 1); ftab[fi]; fi = (fi + 1) & (ftabsz - 1))
					if (fkey[ftab[fi] - 1].symbol == l->symbol &&
					    fkey[ftab[fi] - 1].image == l->image)
						break;
				if (ftab[fi] == 0) {
					PFunction *fn = &fns[nfns];
					perftools__profiles__function__init(fn);
					fn->id = nfns + 1;
					fn->name = fn->system_name = stab_id(&s, fname);
					fn->filename = stab_id(&s, l->image);
					if (r->opts->debug_info) {
						const char *src;
						int64_t ln;

						/* -g: the function's source file, as pprof means it. */
						if (report_loc_srcline(r, l, &src, &ln) == 0)
							fn->filename = stab_id(&s, src);
					}
					fkey[nfns] = *l;
					fnp[nfns++] = fn;
					ftab[fi] = (uint32_t)nfns;
				}
				PLocation *lo = &locs[nlocs];
				perftools__profiles__location__init(lo);
				lo->id = nlocs + 1;
				lo->mapping_id = im < nimg ? mapid[im] : 0;
				lo->address = l->vma;
				perftools__profiles__line__init(&lines[nlocs]);
				lines[nlocs].function_id = ftab[fi];
				if (r->opts->debug_info) {
					const char *src;
					int64_t ln;

					if (report_loc_srcline(r, l, &src, &ln) == 0)
						lines[nlocs].line = ln;
				}
				linep[nlocs] = &lines[nlocs];
				lo->n_line = 1;
				lo->line = &linep[nlocs];
				locp[nlocs++] = lo;
				locid[li] = lo->id;
			}
			p->location_id[k] = locid[li];
		}
		p->n_location_id = nf;
		vals[i] = (int64_t)sk->count;
		p->n_value = 1;
		p->value = &vals[i];
		const char *dn = NULL;
		for (size_t d = 0; d < r->ndoms; d++)
			if (r->doms[d].domid == sk->domain)
				dn = r->doms[d].name;
		perftools__profiles__label__init(&labels[3 * i]);
		labels[3 * i].key = k_domain;
		labels[3 * i].str = stab_id(&s, dn ? dn : "");
		perftools__profiles__label__init(&labels[3 * i + 1]);
		labels[3 * i + 1].key = k_domid;
		labels[3 * i + 1].num = sk->domain;
		perftools__profiles__label__init(&labels[3 * i + 2]);
		labels[3 * i + 2].key = k_process;
		labels[3 * i + 2].str = stab_id(&s, procname ? procname : "");
		for (int q = 0; q < 3; q++)
			labelp[3 * i + q] = &labels[3 * i + q];
		p->n_label = 3;
		p->label = &labelp[3 * i];
		smpp[i] = p;
	}
	prof.n_sample = r->nstacks;
	prof.sample = smpp;
	prof.n_mapping = nmaps;
	prof.mapping = mapp;
	prof.n_location = nlocs;
	prof.location = locp;
	prof.n_function = nfns;
	prof.function = fnp;
	prof.n_string_table = s.n;
	prof.string_table = s.s;

	size_t len = perftools__profiles__profile__get_packed_size(&prof);
	uint8_t *buf = xmalloc(len ? len : 1);
	perftools__profiles__profile__pack(&prof, buf);
	rc = gz_write(c->f, buf, len);
	free(buf);
	for (size_t i = 0; i < r->nstacks; i++)
		free(smp[i].location_id);
	for (size_t i = 0; i < s.n; i++)
		free(s.s[i]);
	free(s.s);
	free(s.tab);
	free(ftab);
	free(fkey);
	free(rootloc[0]);
	free(rootloc[1]);
	stk_free(sc);
	free(mapid), free(locid), free(maps), free(mapp), free(locs), free(locp);
	free(lines), free(linep), free(fns), free(fnp), free(smp), free(smpp);
	free(labels), free(labelp), free(vals);
	return rc;
}
#else
static int
pprof_whole(struct out_ctx *c)
{
	fputs(REPORT_PROG ": --format=pprof: built without protobuf-c\n", stderr);
	return -1;
}
#endif

const struct output out_pprof = {
	.name = "pprof",
	.whole = pprof_whole,
};
