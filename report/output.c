/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Output driver: sorts and thresholds the rows once, then calls one format's
 * vtable (struct output) in order head, {group, row*}*, tail.  The formats
 * never sort or filter; they only print what they are handed.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

const struct output *
out_lookup(enum out_format f)
{
	switch (f) {
	case OUT_JSON:
		return &out_json;
	case OUT_CSV:
		return &out_csv;
	case OUT_FOLDED:
		return &out_folded;
	case OUT_PPROF:
		return &out_pprof;
	case OUT_SVG:
		return &out_svg;
	case OUT_TEXT:
	default:
		return &out_text;
	}
}

double
out_percent(uint64_t n, uint64_t total)
{
	return total ? (double)n * 100.0 / (double)total : 0.0;
}

const char *
out_basename(const char *path)
{
	const char *s;

	if (path == NULL)
		return "";
	if (path[0] == '[')
		return path;
	s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

int
out_row_shown(const struct report *r, const struct report_row *row, double pct)
{
	if (pct <= 0.0)
		return 1;
	if (out_percent(row->samples, r->total) >= pct)
		return 1;
	for (size_t e = 0; r->ncols > 1 && e < r->ncols; e++)
		if (out_percent(row->col[e], r->cols[e].total) >= pct)
			return 1;
	return 0;
}

static int
name_in(char **list, const char *name)
{
	for (size_t i = 0; list && list[i]; i++)
		if (name && strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

int
out_row_selected(const struct report_opts *o, const struct report_row *row)
{
	if (o->incl_syms && !name_in(o->incl_syms, row->symbol))
		return 0;
	if (o->excl_syms && name_in(o->excl_syms, row->symbol))
		return 0;
	return 1;
}

/*
 * opreport's diff %: the change of the row's share of its column,
 * relative to the first share; +++ when new, --- when vanished.
 */
double
out_diff(const struct report *r, const struct report_row *row, const char **status)
{
	double p0 = out_percent(row->col[0], r->cols[0].total);
	double p1 = out_percent(row->col[1], r->cols[1].total);

	*status = NULL;
	if (row->col[0] == 0) {
		*status = "+++";
		return 0.0;
	}
	if (row->col[1] == 0) {
		*status = "---";
		return -100.0;
	}
	return (p1 - p0) / p0 * 100.0;
}

static int
strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static const struct report_opts *sort_opts;	/* qsort context */

static int
key_cmp(int key, const struct report_row *a, const struct report_row *b)
{
	switch (key) {
	case SORT_SAMPLES:
		return a->samples != b->samples ? (a->samples > b->samples ? -1 : 1) : 0;
	case SORT_IMAGE:
		return strcmp0(out_basename(a->image), out_basename(b->image));
	case SORT_SYMBOL:
		return strcmp0(a->symbol, b->symbol);
	case SORT_DOMAIN:
		return a->domain != b->domain ? (a->domain < b->domain ? -1 : 1) : 0;
	case SORT_VMA:
		return a->vma != b->vma ? (a->vma < b->vma ? -1 : 1) : 0;
	case SORT_APP:
		return strcmp0(a->app, b->app);
	}
	return 0;
}

/*
 * The -s keys in order, then samples descending, then names, so equal
 * counts print in a stable order; -r reverses the whole order.
 */
static int
row_cmp_base(const struct report_row *a, const struct report_row *b);

static int
row_cmp(const void *x, const void *y)
{
	const struct report_row *a = *(const struct report_row *const *)x;
	const struct report_row *b = *(const struct report_row *const *)y;
	int c = 0;

	for (int i = 0; sort_opts && i < sort_opts->nsort && c == 0; i++)
		c = key_cmp(sort_opts->sort[i], a, b);
	if (c == 0)
		c = row_cmp_base(a, b);
	return sort_opts && sort_opts->reverse ? -c : c;
}

static int
row_cmp_base(const struct report_row *a, const struct report_row *b)
{
	int c;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if ((c = strcmp0(a->image, b->image)) != 0)
		return c;
	if ((c = strcmp0(a->symbol, b->symbol)) != 0)
		return c;
	if ((c = strcmp0(a->app, b->app)) != 0)
		return c;
	if (a->tgid != b->tgid)
		return a->tgid < b->tgid ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return 0;
}

/* An application group of the nested image summary. */
struct out_group {
	struct report_row	total;	/* image = the app, samples = group sum */
	const struct report_row **rows;
	size_t			n;
};

static int
group_cmp(const void *x, const void *y)
{
	const struct report_row *a = &((const struct out_group *)x)->total;
	const struct report_row *b = &((const struct out_group *)y)->total;
	return row_cmp(&a, &b);
}

/* Group key: domain, app (the image itself when no app), tgid, tid, cpu. */
static int
same_group(const struct report_row *g, const struct report_row *row)
{
	const char *app = row->app ? row->app : row->image;

	return g->domain == row->domain && strcmp(g->image, app) == 0 &&
	    g->tgid == row->tgid && g->tid == row->tid && g->cpu == row->cpu;
}

static void
print_grouped(const struct output *o, struct out_ctx *c, const struct report_row **sorted,
	      size_t n, size_t *shown, size_t *hidden)
{
	const struct report *r = c->r;
	struct out_group *g = NULL;
	size_t ng = 0;

	/* Quadratic in groups only: groups are apps, a few hundred at most. */
	for (size_t i = 0; i < n; i++) {
		const struct report_row *row = sorted[i];
		size_t k;

		for (k = 0; k < ng; k++)
			if (same_group(&g[k].total, row))
				break;
		if (k == ng) {
			g = xrealloc(g, (ng + 1) * sizeof(*g));
			memset(&g[ng], 0, sizeof(*g));
			g[ng].total = *row;
			g[ng].total.image = row->app ? row->app : row->image;
			g[ng].total.app = NULL;
			g[ng].total.samples = 0;
			g[ng].total.col = xcalloc(r->ncols ? r->ncols : 1, sizeof(uint64_t));
			g[ng].rows = xcalloc(n, sizeof(*g[ng].rows));
			ng++;
		}
		g[k].rows[g[k].n++] = row;
		g[k].total.samples += row->samples;
		for (size_t e = 0; e < r->ncols; e++)
			g[k].total.col[e] += row->col[e];
	}
	qsort(g, ng, sizeof(*g), group_cmp);
	for (size_t k = 0; k < ng; k++) {
		if (out_row_shown(r, &g[k].total, c->opts->threshold)) {
			o->group(c, &g[k].total, (int)g[k].n);
			for (size_t i = 0; i < g[k].n; i++)
				o->row(c, g[k].rows[i], 1);
			(*shown)++;
		} else {
			(*hidden)++;
		}
		free(g[k].total.col);
		free(g[k].rows);
	}
	free(g);
}

int
out_report(const struct output *o, FILE *f, const struct report *r,
	   const struct report_opts *opts)
{
	struct out_ctx c = { .f = f, .r = r, .opts = opts,
			     .multi_ev = r->ncols > 1 || r->axis != COL_EVENT };
	const struct report_row **sorted;
	size_t shown = 0, hidden = 0, n = 0;

	if (o->whole != NULL) {
		int rc = o->whole(&c);
		fflush(f);
		return rc != 0 || ferror(f) ? -1 : 0;
	}
	if (opts->callgraph) {
		int rc = out_callgraph(f, r, opts);
		fflush(f);
		return rc != 0 || ferror(f) ? -1 : 0;
	}
	sorted = xcalloc(r->nrows ? r->nrows : 1, sizeof(*sorted));
	for (size_t i = 0; i < r->nrows; i++)
		if (out_row_selected(opts, &r->rows[i]))
			sorted[n++] = &r->rows[i];
	/* Rows left out by -i/-e are not counted as below the threshold. */
	sort_opts = opts;
	qsort(sorted, n, sizeof(*sorted), row_cmp);
	o->head(&c);
	if (o->group != NULL && !opts->symbols && r->has_app) {
		print_grouped(o, &c, sorted, n, &shown, &hidden);
	} else {
		for (size_t i = 0; i < n; i++) {
			c.cum += sorted[i]->samples;
			if (out_row_shown(r, sorted[i], opts->threshold)) {
				o->row(&c, sorted[i], 0);
				shown++;
			} else {
				hidden++;
			}
		}
	}
	o->tail(&c, shown, hidden);
	free(sorted);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
