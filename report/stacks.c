/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The frames of a stack, root first, as the stack formats show them
 * (folded, pprof, svg): a frame for the domain (on a Xen host, or with
 * several domains), a frame for the process, then the call chain from its
 * outermost caller down to the leaf.
 *
 * The process frame is what perf's stackcollapse calls comm: the basename
 * of the process's executable (its full path when two executables in the
 * report share a basename), with " [TGID]" when the session was recorded
 * with --separate=thread.  The daemon records the executable for every
 * sample with a call chain (and with --separate=library); where it is not
 * known the frame says what the sample was instead: "[xen]", "[kernel]",
 * "[guests]", or the leaf's image in brackets ("[libc.so.6]"), so that two
 * binaries with the same function names never share a frame.
 *
 * Ownership: names point into the report's pool or into the context, and
 * live until stk_free().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

struct stk_proc {
	const char     *path;		/* report pool string: compared by pointer */
	const char     *label;		/* basename, or the path when basenames clash */
};

struct stk_ctx {
	const struct report *r;
	int		show_domain;
	struct stk_proc *procs;
	size_t		nprocs;
	char	      **owned;		/* strings made here */
	size_t		nowned;
};

static const char *
stk_keep(struct stk_ctx *c, char *s)
{
	c->owned = xrealloc(c->owned, (c->nowned + 1) * sizeof(*c->owned));
	c->owned[c->nowned++] = s;
	return s;
}

static int
proc_cmp(const void *x, const void *y)
{
	const struct stk_proc *a = x, *b = y;

	uintptr_t pa = (uintptr_t)a->path, pb = (uintptr_t)b->path;

	return pa < pb ? -1 : pa > pb;
}

struct stk_ctx *
stk_new(const struct report *r)
{
	struct stk_ctx *c = xcalloc(1, sizeof(*c));

	c->r = r;
	c->show_domain = r->axis != COL_DOMAIN && r->ndoms > 1;
	for (size_t i = 0; i < r->nsess; i++)
		if (r->sess[i].s->meta.flags & XPS_META_ON_XEN)
			c->show_domain = r->axis != COL_DOMAIN;
	/* Distinct executables (pool strings: one pointer per path). */
	c->procs = xcalloc(r->nstacks ? r->nstacks : 1, sizeof(*c->procs));
	for (size_t s = 0; s < r->nstacks; s++)
		if (r->stacks[s].proc != NULL)
			c->procs[c->nprocs++].path = r->stacks[s].proc;
	qsort(c->procs, c->nprocs, sizeof(*c->procs), proc_cmp);
	size_t w = 0;
	for (size_t k = 0; k < c->nprocs; k++)
		if (w == 0 || c->procs[w - 1].path != c->procs[k].path)
			c->procs[w++] = c->procs[k];
	c->nprocs = w;
	/* Labels: quadratic in distinct executables only (tens, a few thousand at most). */
	for (size_t k = 0; k < c->nprocs; k++) {
		const char *b = out_basename(c->procs[k].path);
		int clash = 0;

		for (size_t j = 0; j < c->nprocs && !clash; j++)
			clash = j != k && strcmp(out_basename(c->procs[j].path), b) == 0;
		c->procs[k].label = clash ? c->procs[k].path : b;
	}
	return c;
}

void
stk_free(struct stk_ctx *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->procs);
	free(c);
}

int
stk_show_domain(const struct stk_ctx *c)
{
	return c->show_domain;
}

enum stk_family
stk_loc_family(const struct report *r, const struct report_loc *l)
{
	const char *im = l->image ? l->image : "";

	switch (report_image_kind(r, l->img)) {
	case XPS_IMG_XEN:
		return STK_XEN;
	case XPS_IMG_KERNEL:
	case XPS_IMG_KMOD:
		return STK_KERNEL;
	case XPS_IMG_FILE:
		return STK_USER;
	default:
		break;
	}
	if (strcmp(im, "[xen]") == 0)
		return STK_XEN;
	if (strcmp(im, "[guests]") == 0)
		return STK_GUEST;
	if (strncmp(im, "[kernel", 7) == 0)
		return STK_KERNEL;
	if (strcmp(im, SYM_UNKNOWN) == 0)
		return STK_UNKNOWN;
	return STK_USER;	/* [user], [vdso], [anon], [ambiguous] */
}

/* The name of location L: its symbol, or its image in brackets. */
static const char *
loc_name(struct stk_ctx *c, const struct report_loc *l)
{
	if (l->symbol != NULL && strcmp(l->symbol, SYM_UNKNOWN) != 0)
		return l->symbol;
	if (l->image != NULL && l->image[0] == '[')
		return l->image;
	return stk_keep(c, xasprintf("[%s]", out_basename(l->image)));
}

static const char *
proc_label(struct stk_ctx *c, const struct report_stack *s)
{
	const struct report_loc *leaf = &c->r->locs[s->leaf];
	const char *base = NULL;

	if (s->proc != NULL) {
		struct stk_proc key = { .path = s->proc }, *p;

		p = bsearch(&key, c->procs, c->nprocs, sizeof(*c->procs), proc_cmp);
		base = p ? p->label : out_basename(s->proc);
	}
	if (s->tgid != XPS_NONE)
		return stk_keep(c, base ? xasprintf("%s [%u]", base, s->tgid) :
				xasprintf("[pid %u]", s->tgid));
	if (base != NULL)
		return base;
	switch (stk_loc_family(c->r, leaf)) {
	case STK_XEN:
		return "[xen]";
	case STK_KERNEL:
		return "[kernel]";
	case STK_GUEST:
		return "[guests]";
	case STK_UNKNOWN:
		return SYM_UNKNOWN;
	default:
		if (leaf->image != NULL && leaf->image[0] == '[')
			return leaf->image;
		return stk_keep(c, xasprintf("[%s]", out_basename(leaf->image)));
	}
}

size_t
stk_frames(struct stk_ctx *c, const struct report_stack *s, struct stk_frame *out)
{
	const struct report *r = c->r;
	size_t n = 0;

	if (c->show_domain) {
		const char *dn = NULL;

		for (size_t d = 0; d < r->ndoms; d++)
			if (r->doms[d].domid == s->domain)
				dn = r->doms[d].name;
		if (dn == NULL || *dn == '\0')
			dn = stk_keep(c, xasprintf("dom%u", s->domain));
		out[n++] = (struct stk_frame){ .name = dn, .family = STK_DOMAIN, .loc = XPS_NONE,
					       .domain = s->domain };
	}
	out[n++] = (struct stk_frame){ .name = proc_label(c, s), .family = STK_PROCESS,
				       .loc = XPS_NONE, .domain = s->domain };
	if (s->chain != XPS_NONE && s->chain < r->nchains) {
		const struct report_chain *ch = &r->chains[s->chain];

		for (uint32_t k = ch->n; k-- > 0 && n < STK_MAX_FRAMES - 1;) {
			uint32_t li = r->chain_locs[ch->first + k];

			out[n++] = (struct stk_frame){ .name = loc_name(c, &r->locs[li]),
				.family = stk_loc_family(r, &r->locs[li]), .loc = li, .domain = s->domain };
		}
	}
	out[n++] = (struct stk_frame){ .name = loc_name(c, &r->locs[s->leaf]),
		.family = stk_loc_family(r, &r->locs[s->leaf]), .loc = s->leaf, .domain = s->domain };
	return n;
}
