/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format=folded: Brendan Gregg's collapsed stacks, what flame-graph tools
 * read.  One line per distinct stack: frames root first joined by ';', a
 * space, the sample count.  The first frames are the domain (on a Xen host
 * or with several domains) and the process (stacks.c), as perf's
 * stackcollapse starts with comm; then symbol names, a location outside
 * every symbol being "[image basename]".  Invariant: the counts sum to the
 * report's total_samples (every selected record is exactly one stack; a
 * record without a call chain has the leaf as its only code frame).  ';',
 * newlines and control bytes in names become '_'.
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
put_frame(char **buf, size_t *len, size_t *cap, const char *name, int first)
{
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
	struct stk_ctx *sc = stk_new(r);
	struct stk_frame fr[STK_MAX_FRAMES];
	char *buf = NULL;
	size_t cap = 0;

	for (size_t s = 0; s < r->nstacks; s++) {
		size_t len = 0, n = stk_frames(sc, &r->stacks[s], fr);

		if (buf == NULL) {
			cap = 256;
			buf = xmalloc(cap);
		}
		buf[0] = '\0';
		for (size_t k = 0; k < n; k++)
			put_frame(&buf, &len, &cap, fr[k].name, k == 0);
		v[s].s = xstrdup(buf);
		v[s].count = r->stacks[s].count;
	}
	free(buf);
	stk_free(sc);
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
