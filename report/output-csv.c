/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CSV output (RFC 4180): a header line, then one line per row.  Columns:
 * domain,domain_name,image[,app][,tgid][,tid][,cpu][,symbol],samples,percent
 * and, with several events, EVENT samples,EVENT percent per event.  Images
 * are full paths.  Totals and warnings are not in the CSV (stderr has the
 * warnings; use --format=json for totals).
 */
#include <inttypes.h>
#include <string.h>

#include "report/report.h"

static void
csv_field(FILE *f, const char *s)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
csv_head(struct out_ctx *c)
{
	const struct report *r = c->r;
	FILE *f = c->f;

	fputs("domain,domain_name,image", f);
	if (r->has_app)
		fputs(",app", f);
	if (r->has_tgid)
		fputs(",tgid", f);
	if (r->has_tid)
		fputs(",tid", f);
	if (r->has_cpu)
		fputs(",cpu", f);
	if (c->opts->symbols)
		fputs(",symbol", f);
	fputs(",samples,percent", f);
	for (size_t e = 0; c->multi_ev && e < r->ncols; e++) {
		char buf[XPS_NAME_MAX + 16];
		snprintf(buf, sizeof(buf), "%s samples", r->cols[e].name);
		fputc(',', f);
		csv_field(f, buf);
		snprintf(buf, sizeof(buf), "%s percent", r->cols[e].name);
		fputc(',', f);
		csv_field(f, buf);
	}
	fputs("\r\n", f);
}

static void
csv_num(FILE *f, uint32_t v)
{
	if (v == XPS_NONE)
		fputs(",", f);
	else
		fprintf(f, ",%u", v);
}

static void
csv_row(struct out_ctx *c, const struct report_row *row, int nested)
{
	const struct report *r = c->r;
	FILE *f = c->f;

	if (row->domain == XPS_NONE)
		fputc(',', f);
	else
		fprintf(f, "%u,", row->domain);
	csv_field(f, row->domain_name);
	fputc(',', f);
	csv_field(f, row->image);
	if (r->has_app) {
		fputc(',', f);
		csv_field(f, row->app);
	}
	if (r->has_tgid)
		csv_num(f, row->tgid);
	if (r->has_tid)
		csv_num(f, row->tid);
	if (r->has_cpu)
		csv_num(f, row->cpu);
	if (c->opts->symbols) {
		fputc(',', f);
		csv_field(f, row->symbol);
	}
	fprintf(f, ",%" PRIu64 ",%.4f", row->samples, out_percent(row->samples, r->total));
	for (size_t e = 0; c->multi_ev && e < r->ncols; e++)
		fprintf(f, ",%" PRIu64 ",%.4f", row->col[e], out_percent(row->col[e], r->cols[e].total));
	fputs("\r\n", f);
}

static void
csv_tail(struct out_ctx *c, size_t shown, size_t hidden)
{
}

const struct output out_csv = {
	.name = "csv",
	.head = csv_head,
	.group = NULL,
	.row = csv_row,
	.tail = csv_tail,
};
