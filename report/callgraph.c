/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -c/--callgraph, opreport -c style: for every function, its callers above
 * (indented), the function itself, and its callees below (indented, with a
 * "[self]" line).  Numbers are samples where that arc was on the stack, not
 * call counts.  A function's identity is (domain, image, symbol).
 *
 * Invariants: self(F) = samples whose leaf is F; inclusive(F) = samples with
 * F anywhere on the stack, counted once per sample however often F recurs;
 * an arc (caller -> callee) is counted once per sample.  Summed self over
 * all functions equals the report's total.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

struct cg_node {
	uint32_t	domain;
	const char     *image, *symbol;
	uint64_t	self, incl;
	uint32_t	stamp;		/* last stack that counted incl */
};

struct cg_arc {
	uint32_t	from, to;	/* caller, callee node */
	uint64_t	count;
	uint32_t	stamp;
};

struct cg {
	struct cg_node *n;
	size_t		nn;
	uint32_t       *ntab;
	size_t		ntabsz;
	struct cg_arc  *a;
	size_t		na;
	uint32_t       *atab;
	size_t		atabsz;
};

static uint64_t
mix(uint64_t h)
{
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

/* Node of (DOMAIN, IMAGE, SYMBOL); strings are pool-interned: compare pointers. */
static uint32_t
cg_node(struct cg *g, uint32_t domain, const char *image, const char *symbol)
{
	size_t i;

	if (g->nn * 2 >= g->ntabsz) {
		size_t nsz = g->ntabsz ? g->ntabsz * 2 : 1024;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 0; k < g->nn; k++) {
			uint64_t h = mix(domain ^ (uintptr_t)g->n[k].image * 31 ^ (uintptr_t)g->n[k].symbol);
			h = mix(g->n[k].domain ^ (uintptr_t)g->n[k].image * 31 ^ (uintptr_t)g->n[k].symbol);
			for (i = h & (nsz - 1); nt[i]; i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(g->ntab);
		g->ntab = nt;
		g->ntabsz = nsz;
	}
	uint64_t h = mix(domain ^ (uintptr_t)image * 31 ^ (uintptr_t)symbol);
	for (i = h & (g->ntabsz - 1); g->ntab[i]; i = (i + 1) & (g->ntabsz - 1)) {
		struct cg_node *x = &g->n[g->ntab[i] - 1];
		if (x->domain == domain && x->image == image && x->symbol == symbol)
			return g->ntab[i] - 1;
	}
	g->n = xrealloc(g->n, (g->nn + 1) * sizeof(*g->n));
	g->n[g->nn] = (struct cg_node){ .domain = domain, .image = image, .symbol = symbol,
					.stamp = UINT32_MAX };
	g->ntab[i] = (uint32_t)g->nn + 1;
	return (uint32_t)g->nn++;
}

static struct cg_arc *
cg_arc(struct cg *g, uint32_t from, uint32_t to)
{
	size_t i;

	if (g->na * 2 >= g->atabsz) {
		size_t nsz = g->atabsz ? g->atabsz * 2 : 1024;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 0; k < g->na; k++) {
			for (i = mix((uint64_t)g->a[k].from << 32 | g->a[k].to) & (nsz - 1); nt[i];
			     i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(g->atab);
		g->atab = nt;
		g->atabsz = nsz;
	}
	for (i = mix((uint64_t)from << 32 | to) & (g->atabsz - 1); g->atab[i];
	     i = (i + 1) & (g->atabsz - 1))
		if (g->a[g->atab[i] - 1].from == from && g->a[g->atab[i] - 1].to == to)
			return &g->a[g->atab[i] - 1];
	g->a = xrealloc(g->a, (g->na + 1) * sizeof(*g->a));
	g->a[g->na] = (struct cg_arc){ .from = from, .to = to, .stamp = UINT32_MAX };
	g->atab[i] = (uint32_t)g->na + 1;
	return &g->a[g->na++];
}

static void
cg_build(struct cg *g, const struct report *r)
{
	uint32_t fr[XPS_CHAIN_MAX + 1];

	for (size_t s = 0; s < r->nstacks; s++) {
		const struct report_stack *st = &r->stacks[s];
		uint32_t dom = r->axis == COL_DOMAIN ? XPS_NONE : st->domain;
		size_t n = 0;
		const struct report_loc *l = &r->locs[st->leaf];

		fr[n++] = cg_node(g, dom, l->image, l->symbol);
		if (st->chain != XPS_NONE && st->chain < r->nchains) {
			const struct report_chain *c = &r->chains[st->chain];
			for (uint32_t k = 0; k < c->n && n < XPS_CHAIN_MAX + 1; k++) {
				l = &r->locs[r->chain_locs[c->first + k]];
				fr[n++] = cg_node(g, dom, l->image, l->symbol);
			}
		}
		g->n[fr[0]].self += st->count;
		for (size_t k = 0; k < n; k++) {
			struct cg_node *x = &g->n[fr[k]];
			if (x->stamp != (uint32_t)s) {
				x->stamp = (uint32_t)s;
				x->incl += st->count;
			}
			if (k + 1 < n) {
				struct cg_arc *a = cg_arc(g, fr[k + 1], fr[k]);
				if (a->stamp != (uint32_t)s) {
					a->stamp = (uint32_t)s;
					a->count += st->count;
				}
			}
		}
	}
}

static const struct cg *cmp_g;

static int
node_cmp(const void *x, const void *y)
{
	const struct cg_node *a = &cmp_g->n[*(const uint32_t *)x], *b = &cmp_g->n[*(const uint32_t *)y];

	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	if (a->incl != b->incl)
		return a->incl > b->incl ? -1 : 1;
	int c = strcmp(a->symbol, b->symbol);
	return c ? c : strcmp(a->image, b->image);
}

static int
arc_cmp(const void *x, const void *y)
{
	const struct cg_arc *a = *(const struct cg_arc *const *)x, *b = *(const struct cg_arc *const *)y;
	return a->count != b->count ? (a->count > b->count ? -1 : 1) : 0;
}

static const char *
cg_name(const struct report_opts *o, const char *p)
{
	return o->long_names ? p : out_basename(p);
}

int
out_callgraph(FILE *f, const struct report *r, const struct report_opts *o)
{
	struct cg g = { 0 };
	uint32_t *ord;
	struct cg_arc **in, **out;
	int json = o->format == OUT_JSON, first = 1;
	size_t hidden = 0;

	cg_build(&g, r);
	ord = xcalloc(g.nn ? g.nn : 1, sizeof(*ord));
	for (size_t i = 0; i < g.nn; i++)
		ord[i] = (uint32_t)i;
	cmp_g = &g;
	qsort(ord, g.nn, sizeof(*ord), node_cmp);
	in = xcalloc(g.na ? g.na : 1, sizeof(*in));
	out = xcalloc(g.na ? g.na : 1, sizeof(*out));
	/* Arcs bucketed by callee and by caller (counting sort): linear, not nodes x arcs. */
	size_t *istart = xcalloc(g.nn + 2, sizeof(size_t)), *ostart = xcalloc(g.nn + 2, sizeof(size_t));
	struct cg_arc **iv = xcalloc(g.na ? g.na : 1, sizeof(*iv)), **ov = xcalloc(g.na ? g.na : 1, sizeof(*ov));
	for (size_t k = 0; k < g.na; k++)
		istart[g.a[k].to + 2]++, ostart[g.a[k].from + 2]++;
	for (size_t k = 2; k < g.nn + 2; k++)
		istart[k] += istart[k - 1], ostart[k] += ostart[k - 1];
	for (size_t k = 0; k < g.na; k++) {
		iv[istart[g.a[k].to + 1]++] = &g.a[k];
		ov[ostart[g.a[k].from + 1]++] = &g.a[k];
	}

	if (json) {
		fprintf(f, "{\n\"format_version\": 1,\n\"callgraph\": true,\n\"total_samples\": %" PRIu64
			",\n\"lost_samples\": %" PRIu64 ",\n\"functions\": [", r->total, r->lost);
	} else {
		if (!o->no_header)
			fprintf(f, "Call graph: %" PRIu64 " samples, %" PRIu64 " lost%s.  Callers above "
				"each function, callees below; self = samples in the function, "
				"inclusive = samples with it on the stack.\n", r->total, r->lost,
				r->has_chains ? "" : " (no call chains recorded: only self samples)");
		fprintf(f, "self     %%        inclusive %%        %s%-24s symbol name\n",
			r->ndomains > 1 ? "domain       " : "", "image name");
	}
	for (size_t oi = 0; oi < g.nn; oi++) {
		const struct cg_node *x = &g.n[ord[oi]];
		size_t nin = 0, nout = 0;
		uint64_t base = o->global_percent ? r->total : x->incl;

		if (!(out_percent(x->incl, r->total) >= o->threshold) ||
		    (o->incl_syms || o->excl_syms ?
		     !out_row_selected(o, &(struct report_row){ .symbol = x->symbol }) : 0)) {
			hidden++;
			continue;
		}
		for (size_t k = istart[ord[oi]]; k < istart[ord[oi] + 1]; k++)
			in[nin++] = iv[k];
		for (size_t k = ostart[ord[oi]]; k < ostart[ord[oi] + 1]; k++)
			out[nout++] = ov[k];
		qsort(in, nin, sizeof(*in), arc_cmp);
		qsort(out, nout, sizeof(*out), arc_cmp);
		if (json) {
			fputs(first ? "\n{" : ",\n{", f);
			first = 0;
			if (x->domain != XPS_NONE)
				fprintf(f, "\"domain\": %u, ", x->domain);
			fputs("\"image\": ", f);
			json_string(f, x->image);
			fputs(", \"symbol\": ", f);
			json_string(f, x->symbol);
			fprintf(f, ", \"self\": %" PRIu64 ", \"self_percent\": %.4f, \"inclusive\": %"
				PRIu64 ", \"inclusive_percent\": %.4f", x->self,
				out_percent(x->self, r->total), x->incl, out_percent(x->incl, r->total));
			for (int side = 0; side < 2; side++) {
				struct cg_arc **v = side ? out : in;
				size_t nv = side ? nout : nin;
				fputs(side ? ", \"callees\": [" : ", \"callers\": [", f);
				for (size_t k = 0; k < nv; k++) {
					const struct cg_node *y = &g.n[side ? v[k]->to : v[k]->from];
					fputs(k ? ", {\"image\": " : "{\"image\": ", f);
					json_string(f, y->image);
					fputs(", \"symbol\": ", f);
					json_string(f, y->symbol);
					fprintf(f, ", \"samples\": %" PRIu64 ", \"percent\": %.4f}",
						v[k]->count, out_percent(v[k]->count, base));
				}
				fputc(']', f);
			}
			fputc('}', f);
			continue;
		}
		fputs("-------------------------------------------------------------------------------\n", f);
		for (size_t k = 0; k < nin; k++) {
			const struct cg_node *y = &g.n[in[k]->from];
			fprintf(f, "  %-8" PRIu64 " %-8.4f %-18s %s%-24s %s\n", in[k]->count,
				out_percent(in[k]->count, base), "",
				r->ndomains > 1 ? "             " : "", cg_name(o, y->image), y->symbol);
		}
		char dn[16] = "";
		if (r->ndomains > 1)
			snprintf(dn, sizeof(dn), "%-12u ", x->domain);
		fprintf(f, "%-8" PRIu64 " %-8.4f %-9" PRIu64 " %-8.4f %s%-24s %s\n", x->self,
			out_percent(x->self, r->total), x->incl, out_percent(x->incl, r->total), dn,
			cg_name(o, x->image), x->symbol);
		if (x->self)
			fprintf(f, "  %-8" PRIu64 " %-8.4f %-18s %s%-24s %s [self]\n", x->self,
				out_percent(x->self, base), "", r->ndomains > 1 ? "             " : "",
				cg_name(o, x->image), x->symbol);
		for (size_t k = 0; k < nout; k++) {
			const struct cg_node *y = &g.n[out[k]->to];
			fprintf(f, "  %-8" PRIu64 " %-8.4f %-18s %s%-24s %s\n", out[k]->count,
				out_percent(out[k]->count, base), "",
				r->ndomains > 1 ? "             " : "", cg_name(o, y->image), y->symbol);
		}
	}
	if (json) {
		fprintf(f, "%s],\n\"hidden_functions\": %zu\n}\n", first ? "" : "\n", hidden);
	} else {
		fputs("-------------------------------------------------------------------------------\n", f);
		if (hidden)
			fprintf(f, "(%zu more function%s below the %.4g%% threshold or left out)\n",
				hidden, hidden == 1 ? "" : "s", o->threshold);
	}
	free(istart);
	free(ostart);
	free(iv);
	free(ov);
	free(ord);
	free(in);
	free(out);
	free(g.n);
	free(g.ntab);
	free(g.a);
	free(g.atab);
	return 0;
}
