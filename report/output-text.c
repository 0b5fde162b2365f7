/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text output, opreport style: a header (backend, cpu, one line per event,
 * totals and losses, a per-domain block with several domains and a line per
 * domain that lost samples), then "samples  %  [domain] image name  [symbol
 * name]" columns.  Image names are basenames unless -f.  With several
 * columns (events, --columns=domain|session, or a { } { } diff) each column
 * gets its own samples/% pair; a diff adds "diff %".  Optional columns, in
 * order: vma (-w), the sample columns, cum. samples/cum. % (-a), diff %,
 * domain, tgid, tid, cpu, linenr info (-g), image name, app name, symbol.
 */
#include <inttypes.h>
#include <string.h>

#include "report/report.h"

struct text_state {
	uint64_t	group_total;	/* samples of the current app group */
	uint64_t	group_ev[XPS_MAX_DOMAINS + XPS_MAX_EVENTS];
};

static struct text_state text_state;

static const char *
text_name(const struct out_ctx *c, const char *path)
{
	return c->opts->long_names ? path : out_basename(path);
}

static const char *const loss_names[XPS_LOSS_NKINDS] = {
	"ring full", "throttled", "no mapping", "invalid", "other",
};

/* "Domain-0: 7 lost (vcpu0 5, vcpu1 2)" for every domain with losses. */
static void
text_domain_losses(FILE *f, const struct report *r)
{
	for (size_t i = 0; i < r->ndoms; i++) {
		const struct report_domain *d = &r->doms[i];
		if (d->lost == 0)
			continue;
		fprintf(f, "Lost in domain %u (%s): %" PRIu64, d->domid, d->name ? d->name : "",
			d->lost);
		for (size_t k = 0; k < d->nlost_cpu; k++) {
			fputs(k ? ", " : " (", f);
			if (d->lost_cpu[k].cpu == XPS_NONE)
				fprintf(f, "not per vcpu %" PRIu64, d->lost_cpu[k].count);
			else
				fprintf(f, "vcpu%u %" PRIu64, d->lost_cpu[k].cpu, d->lost_cpu[k].count);
		}
		fputs(d->nlost_cpu ? ")\n" : "\n", f);
	}
}

/*
 * "Not symbolized: 120 samples (1.20%): [unknown] 100 (why); /usr/bin/x 20
 * (why)", the largest first, at most eight images named.
 */
static void
text_unsym(const struct out_ctx *c, FILE *f, const struct report *r)
{
	size_t k;

	if (r->unsym_total == 0)
		return;
	fprintf(f, "Not symbolized: %" PRIu64 " samples (%.2f%%):", r->unsym_total,
		out_percent(r->unsym_total, r->total));
	for (k = 0; k < r->nunsym && k < 8; k++)
		fprintf(f, "%s %s %" PRIu64 " (%s)", k ? ";" : "", text_name(c, r->unsym[k].image),
			r->unsym[k].samples, r->unsym[k].why);
	if (k < r->nunsym)
		fprintf(f, "; and %zu more images (--format=json lists them)", r->nunsym - k);
	fputc('\n', f);
}

/* Per-domain totals split Xen / kernel / user. */
static void
text_domain_block(FILE *f, const struct report *r)
{
	fprintf(f, "%-6s %-16s %-10s %-8s %-10s %-10s %-10s %s\n", "domid", "domain", "samples",
		"%", "xen", "kernel", "user", "lost");
	for (size_t i = 0; i < r->ndoms; i++) {
		const struct report_domain *d = &r->doms[i];
		fprintf(f, "%-6u %-16s %-10" PRIu64 " %-8.4f %-10" PRIu64 " %-10" PRIu64 " %-10"
			PRIu64 " %" PRIu64 "\n", d->domid, d->name ? d->name : "", d->samples,
			out_percent(d->samples, r->total), d->xen, d->kernel, d->user, d->lost);
	}
}

static void
text_head(struct out_ctx *c)
{
	const struct report *r = c->r;
	const struct report_opts *o = c->opts;
	FILE *f = c->f;

	c->priv = &text_state;
	memset(&text_state, 0, sizeof(text_state));
	if (!o->no_header && r->nsess > 0) {
		const struct xps_meta *m = &r->sess[0].s->meta;

		fprintf(f, "Backend: %.16s, CPU: %.64s, session%s: ",
			m->backend[0] ? m->backend : "?", m->cpu_type[0] ? m->cpu_type : "?",
			r->nsess > 1 ? "s" : "");
		for (size_t i = 0; i < r->nsess; i++)
			fprintf(f, "%s%s", i ? "," : "", r->sess[i].name);
		fputc('\n', f);
		if ((m->flags & XPS_META_ON_XEN) && (m->flags & XPS_META_NO_PMU) &&
		    strcmp(m->backend, "xenoprof") != 0)
			fprintf(f, "Note: the hypervisor and the other domains are not visible: this "
				"domain has no PMU (no vPMU), so cpu-clock samples only its own code; "
				"boot Xen with vpmu=on (or use the xenoprof backend) to see them\n");
		for (size_t e = 0; e < r->nevents; e++)
			fprintf(f, "Counted %s events with a unit mask of 0x%02x count %" PRIu64 "\n",
				r->ev[e].name, r->ev[e].unit_mask, r->ev[e].count);
		fprintf(f, "Samples: %" PRIu64 " in the selection, %" PRIu64 " lost (%.2f%%)",
			r->total, r->lost, out_percent(r->lost, r->total + r->lost));
		if (r->lost) {
			const char *sep = " [";
			for (int k = 0; k < XPS_LOSS_NKINDS; k++)
				if (r->lost_kind[k]) {
					fprintf(f, "%s%s %" PRIu64, sep, loss_names[k], r->lost_kind[k]);
					sep = ", ";
				}
			fputc(']', f);
		}
		fputc('\n', f);
		text_unsym(c, f, r);
		if (r->ndoms > 1)
			text_domain_block(f, r);
		text_domain_losses(f, r);
		if (r->axis == COL_DIFF)
			fprintf(f, "Differential: first { } then second { }; diff %% is the change of "
				"each row's share, +++ new, --- vanished\n");
	} else if (!o->no_header) {
		text_domain_losses(f, r);
	}
	if (c->multi_ev) {
		if (o->show_address)
			fprintf(f, "%-17s ", "");
		for (size_t e = 0; e < r->ncols; e++)
			fprintf(f, "%-18.17s", r->cols[e].name);
		fputc('\n', f);
	}
	if (o->show_address)
		fprintf(f, "%-17s ", "vma");
	for (size_t e = 0; e < (c->multi_ev ? r->ncols : 1); e++)
		fputs("samples  %        ", f);
	if (o->accumulated)
		fputs("cum. samples  cum. %     ", f);
	if (r->axis == COL_DIFF)
		fprintf(f, "%-10s ", "diff %");
	if (r->ndomains > 1)
		fprintf(f, "%-12s ", "domain");
	if (r->has_tgid)
		fprintf(f, "%-7s ", "tgid");
	if (r->has_tid)
		fprintf(f, "%-7s ", "tid");
	if (r->has_cpu)
		fprintf(f, "%-4s ", "cpu");
	if (o->debug_info && o->symbols)
		fprintf(f, "%-28s ", "linenr info");
	if (o->symbols) {
		fprintf(f, "%-24s ", "image name");
		if (r->has_app)
			fprintf(f, "%-24s ", "app name");
		fputs("symbol name\n", f);
	} else {
		fputs(r->has_app ? "app name / image name\n" : "image name\n", f);
	}
}

static void
text_counts(struct out_ctx *c, const struct report_row *row, const uint64_t *tot_ev,
	    uint64_t tot)
{
	const struct report *r = c->r;

	if (c->multi_ev) {
		for (size_t e = 0; e < r->ncols; e++)
			fprintf(c->f, "%-8" PRIu64 " %-8.4f ", row->col[e], out_percent(row->col[e], tot_ev[e]));
	} else {
		fprintf(c->f, "%-8" PRIu64 " %-8.4f ", row->samples, out_percent(row->samples, tot));
	}
}

static void
text_keys(struct out_ctx *c, const struct report_row *row)
{
	const struct report *r = c->r;

	if (r->ndomains > 1)
		fprintf(c->f, "%-12s ", row->domain_name);
	if (r->has_tgid) {
		if (row->tgid == XPS_NONE)
			fprintf(c->f, "%-7s ", "-");
		else
			fprintf(c->f, "%-7u ", row->tgid);
	}
	if (r->has_tid) {
		if (row->tid == XPS_NONE)
			fprintf(c->f, "%-7s ", "-");
		else
			fprintf(c->f, "%-7u ", row->tid);
	}
	if (r->has_cpu) {
		if (row->cpu == XPS_NONE)
			fprintf(c->f, "%-4s ", "-");
		else
			fprintf(c->f, "%-4u ", row->cpu);
	}
}

static void
text_group(struct out_ctx *c, const struct report_row *g, int nested)
{
	const struct report *r = c->r;
	uint64_t tot_ev[XPS_MAX_DOMAINS + XPS_MAX_EVENTS];

	for (size_t e = 0; e < r->ncols; e++)
		tot_ev[e] = r->cols[e].total;
	text_counts(c, g, tot_ev, r->total);
	text_keys(c, g);
	fprintf(c->f, "%s\n", text_name(c, g->image));
	text_state.group_total = g->samples;
	for (size_t e = 0; e < r->ncols; e++)
		text_state.group_ev[e] = g->col[e];
}

static void
text_row(struct out_ctx *c, const struct report_row *row, int nested)
{
	const struct report *r = c->r;
	const struct report_opts *o = c->opts;
	uint64_t tot_ev[XPS_MAX_DOMAINS + XPS_MAX_EVENTS];

	if (nested) {
		/* Dependent images: percent of their application. */
		fputs("  ", c->f);
		text_counts(c, row, text_state.group_ev, text_state.group_total);
		fprintf(c->f, "  %s\n", text_name(c, row->image));
		return;
	}
	for (size_t e = 0; e < r->ncols; e++)
		tot_ev[e] = r->cols[e].total;
	if (o->show_address)
		fprintf(c->f, "%016" PRIx64 "  ", row->vma);
	text_counts(c, row, tot_ev, r->total);
	if (o->accumulated)
		fprintf(c->f, "%-13" PRIu64 " %-10.4f ", c->cum, out_percent(c->cum, r->total));
	if (r->axis == COL_DIFF) {
		const char *st;
		double d = out_diff(r, row, &st);
		if (st)
			fprintf(c->f, "%-10s ", st);
		else
			fprintf(c->f, "%+-10.4f ", d);
	}
	text_keys(c, row);
	if (o->debug_info && o->symbols)
		fprintf(c->f, "%-28s ", row->src ? row->src : "(no location information)");
	if (o->symbols) {
		fprintf(c->f, "%-24s ", text_name(c, row->image));
		if (r->has_app)
			fprintf(c->f, "%-24s ", row->app ? text_name(c, row->app) : "-");
		fprintf(c->f, "%s\n", row->symbol ? row->symbol : SYM_UNKNOWN);
	} else {
		fprintf(c->f, "%s\n", text_name(c, row->image));
	}
	/* -d: one line per sampled address, percent of the symbol (or global). */
	for (size_t k = 0; k < row->ndet; k++) {
		const struct report_detail *d = &r->det[row->det + k];
		uint64_t base = o->global_percent ? r->total : row->samples;
		fprintf(c->f, "  %016" PRIx64 "  %-8" PRIu64 " %-8.4f", d->vma, d->samples,
			out_percent(d->samples, base));
		if (d->src)
			fprintf(c->f, " %s", d->src);
		if (d->inl)
			fprintf(c->f, " (inlined: %s)", d->inl);
		fputc('\n', c->f);
	}
}

static void
text_tail(struct out_ctx *c, size_t shown, size_t hidden)
{
	if (hidden > 0)
		fprintf(c->f, "(%zu more row%s below the %.4g%% threshold)\n",
			hidden, hidden == 1 ? "" : "s", c->opts->threshold);
	if (c->r->total == 0)
		fputs("(no samples in the selection)\n", c->f);
	if (c->opts->no_header || c->r->nsess == 0)
		text_unsym(c, c->f, c->r);	/* the header did not say it */
}

const struct output out_text = {
	.name = "text",
	.head = text_head,
	.group = text_group,
	.row = text_row,
	.tail = text_tail,
};
