/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * JSON output (the outside contract, CONTRACT.md "xenprof-report"): one
 * object on stdout with total_samples (before threshold), lost_samples and
 * rows[] of {domain, domain_name, image, symbol (with -l), samples, percent},
 * plus events, sessions, per-event counts when several events are selected,
 * app/tgid/tid/cpu when the data was separated, unsymbolized_samples and
 * unsymbolized[] ({image, samples, percent, reason}: what could not be named
 * with a function, and why), and warnings[].
 * Images are always full paths.  Rows print one per line so that line tools
 * work too.  Strings are escaped; bytes that are not UTF-8 become U+FFFD.
 */
#include <inttypes.h>
#include <string.h>

#include "report/report.h"

/* Length of the valid UTF-8 sequence at S (max N bytes), 0 if invalid. */
static int
utf8_len(const unsigned char *s, size_t n)
{
	int len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Print S as a JSON string literal. */
void
json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);

	fputc('"', f);
	while (n > 0) {
		int l;
		switch (*p) {
		case '"':  fputs("\\\"", f); l = 1; break;
		case '\\': fputs("\\\\", f); l = 1; break;
		case '\n': fputs("\\n", f); l = 1; break;
		case '\t': fputs("\\t", f); l = 1; break;
		case '\r': fputs("\\r", f); l = 1; break;
		default:
			if (*p < 0x20) {
				fprintf(f, "\\u%04x", *p);
				l = 1;
			} else if ((l = utf8_len(p, n)) == 0) {
				fputs("\\ufffd", f);
				l = 1;
			} else {
				fwrite(p, 1, l, f);
			}
		}
		p += l;
		n -= l;
	}
	fputc('"', f);
}

static const char *const json_loss_names[XPS_LOSS_NKINDS] = {
	"ring", "throttle", "no_mapping", "invalid", "other",
};

struct json_state {
	size_t	nrows;
};

static struct json_state json_state;

static void
json_head(struct out_ctx *c)
{
	const struct report *r = c->r;
	FILE *f = c->f;
	const struct xps_meta *m = r->nsess ? &r->sess[0].s->meta : NULL;

	c->priv = &json_state;
	json_state.nrows = 0;
	fputs("{\n\"format_version\": 1,\n\"sessions\": [", f);
	for (size_t i = 0; i < r->nsess; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", f);
		json_string(f, r->sess[i].name);
		fputs(", \"path\": ", f);
		json_string(f, r->sess[i].s->path);
		fputc('}', f);
	}
	fputs("],\n\"backend\": ", f);
	json_string(f, m ? m->backend : "");
	fputs(",\n\"cpu_type\": ", f);
	json_string(f, m ? m->cpu_type : "");
	fputs(",\n\"events\": [", f);
	for (size_t e = 0; e < r->nevents; e++) {
		fputs(e ? ", {\"name\": " : "{\"name\": ", f);
		json_string(f, r->ev[e].name);
		fprintf(f, ", \"count\": %" PRIu64 ", \"unit_mask\": %u, \"samples\": %" PRIu64 "}",
			r->ev[e].count, r->ev[e].unit_mask, r->ev[e].total);
	}
	fprintf(f, "],\n\"symbols\": %s,\n\"threshold\": %g,\n", c->opts->symbols ? "true" : "false",
		c->opts->threshold);
	fprintf(f, "\"total_samples\": %" PRIu64 ",\n\"lost_samples\": %" PRIu64 ",\n\"lost_by_kind\": {",
		r->total, r->lost);
	for (int k = 0; k < XPS_LOSS_NKINDS; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", json_loss_names[k], r->lost_kind[k]);
	fprintf(f, "},\n\"unsymbolized_samples\": %" PRIu64 ",\n\"unsymbolized\": [", r->unsym_total);
	for (size_t i = 0; i < r->nunsym; i++) {
		fputs(i ? ",\n {\"image\": " : "\n {\"image\": ", f);
		json_string(f, r->unsym[i].image);
		fprintf(f, ", \"samples\": %" PRIu64 ", \"percent\": %.4f, \"reason\": ",
			r->unsym[i].samples, out_percent(r->unsym[i].samples, r->total));
		json_string(f, r->unsym[i].why);
		fputc('}', f);
	}
	fputs("],\n\"domains\": [", f);
	for (size_t i = 0; i < r->ndoms; i++) {
		const struct report_domain *d = &r->doms[i];
		fprintf(f, "%s{\"domain\": %u, \"domain_name\": ", i ? ",\n " : "\n ", d->domid);
		json_string(f, d->name);
		fprintf(f, ", \"samples\": %" PRIu64 ", \"percent\": %.4f, \"xen\": %" PRIu64
			", \"kernel\": %" PRIu64 ", \"user\": %" PRIu64 ", \"lost\": %" PRIu64
			", \"lost_by_vcpu\": [", d->samples, out_percent(d->samples, r->total),
			d->xen, d->kernel, d->user, d->lost);
		for (size_t k = 0; k < d->nlost_cpu; k++) {
			if (d->lost_cpu[k].cpu == XPS_NONE)
				fprintf(f, "%s{\"vcpu\": null, \"lost\": %" PRIu64 "}", k ? ", " : "",
					d->lost_cpu[k].count);
			else
				fprintf(f, "%s{\"vcpu\": %u, \"lost\": %" PRIu64 "}", k ? ", " : "",
					d->lost_cpu[k].cpu, d->lost_cpu[k].count);
		}
		fputs("]}", f);
	}
	static const char *const axes[] = { "event", "domain", "session", "diff" };
	fprintf(f, "],\n\"column_axis\": \"%s\",\n\"columns\": [", axes[r->axis]);
	for (size_t e = 0; e < r->ncols; e++) {
		fputs(e ? ", {\"name\": " : "{\"name\": ", f);
		json_string(f, r->cols[e].name);
		fprintf(f, ", \"samples\": %" PRIu64 ", \"lost\": %" PRIu64 "}",
			r->cols[e].total, r->cols[e].lost);
	}
	fputs("],\n\"rows\": [", f);
}

static void
json_row(struct out_ctx *c, const struct report_row *row, int nested)
{
	const struct report *r = c->r;
	FILE *f = c->f;

	fputs(json_state.nrows++ ? ",\n{" : "\n{", f);
	if (row->domain != XPS_NONE) {
		fprintf(f, "\"domain\": %u, \"domain_name\": ", row->domain);
		json_string(f, row->domain_name);
		fputs(", ", f);
	}
	fputs("\"image\": ", f);
	json_string(f, row->image);
	if (row->symbol != NULL) {
		fputs(", \"symbol\": ", f);
		json_string(f, row->symbol);
	}
	if (row->app != NULL) {
		fputs(", \"app\": ", f);
		json_string(f, row->app);
	}
	if (row->tgid != XPS_NONE)
		fprintf(f, ", \"tgid\": %u", row->tgid);
	if (row->tid != XPS_NONE)
		fprintf(f, ", \"tid\": %u", row->tid);
	if (row->cpu != XPS_NONE)
		fprintf(f, ", \"cpu\": %u", row->cpu);
	fprintf(f, ", \"samples\": %" PRIu64 ", \"percent\": %.4f", row->samples,
		out_percent(row->samples, r->total));
	if (c->opts->show_address || c->opts->details || c->opts->symbols)
		fprintf(f, ", \"vma\": \"0x%" PRIx64 "\"", row->vma);
	if (c->opts->accumulated)
		fprintf(f, ", \"cum_samples\": %" PRIu64 ", \"cum_percent\": %.4f", c->cum,
			out_percent(c->cum, r->total));
	if (row->src) {
		fputs(", \"source\": ", f);
		json_string(f, row->src);
	}
	if (r->axis == COL_EVENT && c->multi_ev) {
		fputs(", \"by_event\": {", f);
		for (size_t e = 0; e < r->ncols; e++) {
			if (e)
				fputs(", ", f);
			json_string(f, r->cols[e].name);
			fprintf(f, ": {\"samples\": %" PRIu64 ", \"percent\": %.4f}", row->col[e],
				out_percent(row->col[e], r->cols[e].total));
		}
		fputc('}', f);
	}
	if (r->axis != COL_EVENT) {
		fputs(", \"by_column\": [", f);
		for (size_t e = 0; e < r->ncols; e++)
			fprintf(f, "%s{\"samples\": %" PRIu64 ", \"percent\": %.4f}", e ? ", " : "",
				row->col[e], out_percent(row->col[e], r->cols[e].total));
		fputc(']', f);
	}
	if (r->axis == COL_DIFF) {
		const char *st;
		double d = out_diff(r, row, &st);
		fprintf(f, ", \"diff_samples\": %" PRId64, (int64_t)(row->col[1] - row->col[0]));
		if (st)
			fprintf(f, ", \"diff_status\": \"%s\"", st[0] == '+' ? "new" : "vanished");
		else
			fprintf(f, ", \"diff_percent\": %.4f", d);
	}
	if (row->ndet) {
		fputs(", \"details\": [", f);
		for (size_t k = 0; k < row->ndet; k++) {
			const struct report_detail *d = &r->det[row->det + k];
			uint64_t base = c->opts->global_percent ? r->total : row->samples;
			fprintf(f, "%s{\"vma\": \"0x%" PRIx64 "\", \"samples\": %" PRIu64
				", \"percent\": %.4f", k ? ", " : "", d->vma, d->samples,
				out_percent(d->samples, base));
			if (d->src) {
				fputs(", \"source\": ", f);
				json_string(f, d->src);
			}
			if (d->inl) {
				fputs(", \"inlined\": ", f);
				json_string(f, d->inl);
			}
			fputc('}', f);
		}
		fputc(']', f);
	}
	fputc('}', f);
}

static void
json_tail(struct out_ctx *c, size_t shown, size_t hidden)
{
	FILE *f = c->f;

	fprintf(f, "%s],\n\"hidden_rows\": %zu,\n\"warnings\": [", json_state.nrows ? "\n" : "", hidden);
	for (size_t i = 0; i < report_nwarnings(); i++) {
		if (i)
			fputs(",\n", f);
		else
			fputc('\n', f);
		json_string(f, report_warning(i));
	}
	fputs(report_nwarnings() ? "\n]\n}\n" : "]\n}\n", f);
}

const struct output out_json = {
	.name = "json",
	.head = json_head,
	.group = NULL,
	.row = json_row,
	.tail = json_tail,
};
