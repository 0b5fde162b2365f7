/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format=folded: Brendan Gregg's collapsed stacks, what flame-graph tools
 * read.  One line per distinct stack: frames root first joined by ';', a
 * space, the sample count.  Frames are symbol names; a location outside every
 * symbol is "[image basename]".  With several domains the first frame is the
 * domain name.  Invariant: the counts sum to the report's total_samples
 * (every selected record is exactly one stack; a record without a call chain
 * is a one-frame stack).  ';', newlines and control bytes in names become '_'.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

struct fline {
	char	       *s;
	uint64_t	count;
};

static void
put_frame(char **buf, size_t *len, size_t *cap, const struct report_loc *l, int first)
{
	char tmp[512];
	const char *name = l->symbol;

	if (name == NULL || strcmp(name, SYM_UNKNOWN) == 0) {
		snprintf(tmp, sizeof(tmp), "[%s]", out_basename(l->image));
		if (l->image && l->image[0] == '[')
			snprintf(tmp, sizeof(tmp), "%s", l->image);
		name = tmp;
	}
	size_t n = strlen(name);
	if (*len + n + 2 > *cap) {
		*cap = (*len + n + 2) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	if (!first)
		(*buf)[(*len)++] = ';';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		(*buf)[(*len)++] = ch == ';' || ch < 0x20 ? '_' : (char)ch;
	}
	(*buf)[*len] = '\0';
}

static int
fline_cmp(const void *x, const void *y)
{
	return strcmp(((const struct fline *)x)->s, ((const struct fline *)y)->s);
}

static int
folded_whole(struct out_ctx *c)
{
	const struct report *r = c->r;
	struct fline *v = xcalloc(r->nstacks ? r->nstacks : 1, sizeof(*v));
	int several = r->ndoms > 1 && r->axis != COL_DOMAIN;
	char *buf = NULL;
	size_t cap = 0;

	for (size_t s = 0; s < r->nstacks; s++) {
		const struct report_stack *st = &r->stacks[s];
		size_t len = 0;
		int first = 1;

		if (buf == NULL) {
			cap = 256;
			buf = xmalloc(cap);
		}
		buf[0] = '\0';
		if (several) {
			const char *dn = NULL;
			for (size_t d = 0; d < r->ndoms; d++)
				if (r->doms[d].domid == st->domain)
					dn = r->doms[d].name;
			struct report_loc dl = { .symbol = dn ? dn : "domain", .image = "" };
			put_frame(&buf, &len, &cap, &dl, 1);
			first = 0;
		}
		if (st->chain != XPS_NONE && st->chain < r->nchains) {
			const struct report_chain *ch = &r->chains[st->chain];
			for (uint32_t k = ch->n; k-- > 0;) {
				put_frame(&buf, &len, &cap, &r->locs[r->chain_locs[ch->first + k]], first);
				first = 0;
			}
		}
		put_frame(&buf, &len, &cap, &r->locs[st->leaf], first);
		v[s].s = xstrdup(buf);
		v[s].count = st->count;
	}
	free(buf);
	qsort(v, r->nstacks, sizeof(*v), fline_cmp);
	for (size_t s = 0; s < r->nstacks;) {
		size_t t = s;
		uint64_t n = 0;
		while (t < r->nstacks && strcmp(v[t].s, v[s].s) == 0)
			n += v[t++].count;
		fprintf(c->f, "%s %" PRIu64 "\n", v[s].s, n);
		s = t;
	}
	for (size_t s = 0; s < r->nstacks; s++)
		free(v[s].s);
	free(v);
	return 0;
}

const struct output out_folded = {
	.name = "folded",
	.whole = folded_whole,
};
