/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --format=svg: a flame graph in one self-contained SVG file (no external
 * script, style or font), interactive in any browser as Brendan Gregg's
 * FlameGraph is: hovering a frame shows its name, samples and percent;
 * clicking it zooms in (its callees fill the width, its callers stay below
 * at full width); "Search" highlights the frames matching a regular
 * expression and says what share of the samples they hold; "?s=REGEX" in
 * the URL searches on load.
 *
 * The frames are those of the folded format (stacks.c): the root "all",
 * the domain (on a Xen host, so a whole host is one picture), the process,
 * then the call chain down to the leaf.  Each mode has its own colour
 * family (Xen red, kernel orange, user yellow, perf's [guests] aqua; domain
 * and process frames grey-blue and grey), and within a family the shade
 * follows the name, so one function has one colour everywhere.
 *
 * Invariant: a frame's width is its samples (inclusive); the root's is the
 * report's total_samples.  Frames narrower than 0.1 pixel at full width are
 * left out (as FlameGraph does), their samples still count in their parents.
 * Names are XML-escaped; bytes that are not UTF-8 become '?'.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define SVG_WIDTH	1200
#define SVG_XPAD	10
#define SVG_FRAME_H	16
#define SVG_TOP		56	/* title, subtitle, legend */
#define SVG_BOTTOM	34	/* details line */
#define SVG_MIN_PX	0.1

struct fnode {
	const char     *name;		/* owned by the report, the stk_ctx or the tree */
	uint32_t	parent;
	uint32_t	child, next;	/* first child, next sibling (UINT32_MAX: none) */
	uint64_t	count;
	uint64_t	x;		/* samples to the left, in the layout */
	uint16_t	depth;
	uint8_t		family;		/* enum stk_family */
};

struct ftree {
	struct fnode   *n;
	size_t		nn, cap;
	uint32_t       *tab;		/* (parent, family, name) -> node + 1 */
	size_t		tabsz;
	int		maxdepth;
};

#define FNONE	UINT32_MAX

static uint64_t
fhash(uint32_t parent, int family, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)parent << 8) ^ (uint64_t)family;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h ^ (h >> 31);
}

static uint32_t
fnode_new(struct ftree *t, uint32_t parent, int family, const char *name, int depth)
{
	if (t->nn == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->n = xrealloc(t->n, t->cap * sizeof(*t->n));
	}
	t->n[t->nn] = (struct fnode){ .name = name, .parent = parent, .child = FNONE,
				      .next = FNONE, .depth = (uint16_t)depth, .family = (uint8_t)family };
	if (parent != FNONE) {
		t->n[t->nn].next = t->n[parent].child;
		t->n[parent].child = (uint32_t)t->nn;
	}
	if (depth > t->maxdepth)
		t->maxdepth = depth;
	return (uint32_t)t->nn++;
}

/* The child of PARENT named NAME in FAMILY, made if new. */
static uint32_t
fnode_child(struct ftree *t, uint32_t parent, int family, const char *name)
{
	size_t i;

	if ((t->nn + 1) * 2 >= t->tabsz) {
		size_t nsz = t->tabsz ? t->tabsz * 2 : 4096;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));
		for (size_t k = 1; k < t->nn; k++) {	/* node 0 (the root) is not in the table */
			const struct fnode *x = &t->n[k];
			for (i = fhash(x->parent, x->family, x->name) & (nsz - 1); nt[i]; i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(t->tab);
		t->tab = nt;
		t->tabsz = nsz;
	}
	for (i = fhash(parent, family, name) & (t->tabsz - 1); t->tab[i]; i = (i + 1) & (t->tabsz - 1)) {
		const struct fnode *x = &t->n[t->tab[i] - 1];
		if (x->parent == parent && x->family == family && strcmp(x->name, name) == 0)
			return t->tab[i] - 1;
	}
	uint32_t k = fnode_new(t, parent, family, name, t->n[parent].depth + 1);
	t->tab[i] = k + 1;
	return k;
}

static const struct ftree *sort_tree;	/* qsort context */

static int
child_cmp(const void *x, const void *y)
{
	const struct fnode *a = &sort_tree->n[*(const uint32_t *)x];
	const struct fnode *b = &sort_tree->n[*(const uint32_t *)y];
	int c = strcmp(a->name, b->name);

	return c ? c : a->family - b->family;
}

/* Children by name (as FlameGraph orders them), x offsets from the parent's. */
static void
layout(struct ftree *t)
{
	uint32_t *stack = xcalloc(t->nn + 1, sizeof(*stack)), *kids = NULL;
	size_t sp = 0, capk = 0;

	sort_tree = t;
	t->n[0].x = 0;
	stack[sp++] = 0;
	while (sp > 0) {
		uint32_t p = stack[--sp];
		size_t nk = 0;

		for (uint32_t c = t->n[p].child; c != FNONE; c = t->n[c].next) {
			if (nk == capk) {
				capk = capk ? capk * 2 : 64;
				kids = xrealloc(kids, capk * sizeof(*kids));
			}
			kids[nk++] = c;
		}
		qsort(kids, nk, sizeof(*kids), child_cmp);
		uint64_t x = t->n[p].x;
		for (size_t k = 0; k < nk; k++) {
			t->n[kids[k]].x = x;
			x += t->n[kids[k]].count;
			stack[sp++] = kids[k];
		}
	}
	free(kids);
	free(stack);
}

/* NAME as XML text: escaped, control bytes and non-UTF-8 as '?'. */
static void
xml_text(FILE *f, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	while (*p) {
		unsigned char c = *p;
		int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
		    (c & 0xf8) == 0xf0 ? 3 : -1;
		int ok = n >= 0 && !(n == 1 && c < 0xc2);

		for (int k = 1; ok && k <= n; k++)
			ok = (p[k] & 0xc0) == 0x80;
		if (!ok || (c < 0x20 && c != '\t')) {
			fputc('?', f);
			p++;
			continue;
		}
		if (n > 0) {
			fwrite(p, 1, (size_t)n + 1, f);
			p += n + 1;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(c, f); break;
		}
		p++;
	}
}

/* Base colour and spread per family: r, g, b, then how much the shade varies. */
static const struct { const char *key, *label; int r, g, b, dr, dg, db; } svg_fam[] = {
	[STK_DOMAIN]	= { "d", "domain",  120, 140, 200, 30, 30, 30 },
	[STK_PROCESS]	= { "p", "process", 185, 185, 195, 35, 35, 35 },
	[STK_XEN]	= { "x", "Xen",     200,  50,  50, 50, 60, 50 },
	[STK_KERNEL]	= { "k", "kernel",  225, 105,  15, 30, 40, 30 },
	[STK_USER]	= { "u", "user",    225, 195,  40, 30, 55, 50 },
	[STK_GUEST]	= { "g", "guests",   40, 180, 190, 50, 50, 50 },
	[STK_UNKNOWN]	= { "n", "unknown", 150, 150, 150, 20, 20, 20 },
};

static void
fill_of(int family, const char *name, char *buf, size_t len)
{
	uint64_t h = fhash(0, 0, name);
	double v = (double)(h % 1000) / 1000.0, w = (double)((h >> 20) % 1000) / 1000.0;

	if (family < 0 || family > STK_UNKNOWN)
		family = STK_UNKNOWN;
	snprintf(buf, len, "rgb(%d,%d,%d)", svg_fam[family].r + (int)(svg_fam[family].dr * v),
		 svg_fam[family].g + (int)(svg_fam[family].dg * w),
		 svg_fam[family].b + (int)(svg_fam[family].db * v));
}

/* The script: hover, zoom, search.  Written for this file; no dependencies. */
static const char svg_script[] =
"\"use strict\";\n"
"var frames, details, matched, unzoombtn, resetsearch, W, XPAD = " "10" ", total, zoomed = null;\n"
"var CHARW = 12 * 0.59;\n"
"function info(g) { return g.querySelector('title').textContent; }\n"
"function fname(g) { var t = info(g), i = t.lastIndexOf(' ('); return i > 0 ? t.substring(0, i) : t; }\n"
"function fit(g) {\n"
"  var r = g.querySelector('rect'), t = g.querySelector('text');\n"
"  var w = +r.getAttribute('width'), name = fname(g), n = Math.floor((w - 6) / CHARW);\n"
"  t.setAttribute('x', +r.getAttribute('x') + 3);\n"
"  if (n < 3) { t.textContent = ''; return; }\n"
"  t.textContent = name.length <= n ? name : name.substring(0, n - 2) + '..';\n"
"}\n"
"function place(g, x, w) {\n"
"  var r = g.querySelector('rect');\n"
"  r.setAttribute('x', XPAD + x);\n"
"  r.setAttribute('width', Math.max(w, 0));\n"
"  fit(g);\n"
"}\n"
"function all() { return frames.querySelectorAll('g.f'); }\n"
"function zoom(node) {\n"
"  var x0 = +node.getAttribute('data-x'), w0 = +node.getAttribute('data-w'), d0 = +node.getAttribute('data-d');\n"
"  if (!w0) return;\n"
"  var scale = W / w0, gs = all();\n"
"  zoomed = node;\n"
"  unzoombtn.classList.remove('hide');\n"
"  for (var i = 0; i < gs.length; i++) {\n"
"    var g = gs[i], x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w'), d = +g.getAttribute('data-d');\n"
"    g.classList.remove('hide'); g.classList.remove('parent');\n"
"    if (d < d0 && x <= x0 && x + w >= x0 + w0) { g.classList.add('parent'); place(g, 0, W); }\n"
"    else if (d >= d0 && x >= x0 && x + w <= x0 + w0 && w * scale >= 0.1) place(g, (x - x0) * scale, w * scale);\n"
"    else g.classList.add('hide');\n"
"  }\n"
"  if (matched.getAttribute('data-re')) search(matched.getAttribute('data-re'));\n"
"}\n"
"function unzoom() {\n"
"  var gs = all(), scale = total ? W / total : 0;\n"
"  zoomed = null;\n"
"  unzoombtn.classList.add('hide');\n"
"  for (var i = 0; i < gs.length; i++) {\n"
"    var g = gs[i];\n"
"    g.classList.remove('hide'); g.classList.remove('parent');\n"
"    place(g, +g.getAttribute('data-x') * scale, +g.getAttribute('data-w') * scale);\n"
"  }\n"
"}\n"
"function search(term) {\n"
"  var re;\n"
"  try { re = new RegExp(term); } catch (e) { matched.textContent = 'bad regular expression'; return; }\n"
"  var gs = all(), spans = [], sum = 0;\n"
"  for (var i = 0; i < gs.length; i++) {\n"
"    var g = gs[i], r = g.querySelector('rect');\n"
"    if (!r.hasAttribute('data-fill')) r.setAttribute('data-fill', r.getAttribute('fill'));\n"
"    if (re.test(fname(g))) {\n"
"      r.setAttribute('fill', 'rgb(230,0,230)');\n"
"      spans.push([+g.getAttribute('data-x'), +g.getAttribute('data-w')]);\n"
"    } else r.setAttribute('fill', r.getAttribute('data-fill'));\n"
"  }\n"
"  /* Share of the samples under a match, counted once where matches nest. */\n"
"  spans.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });\n"
"  var end = -1;\n"
"  for (var k = 0; k < spans.length; k++) {\n"
"    var s = spans[k][0], e = s + spans[k][1];\n"
"    if (e <= end) continue;\n"
"    sum += e - Math.max(s, end); end = e;\n"
"  }\n"
"  matched.setAttribute('data-re', term);\n"
"  matched.textContent = 'Matched: ' + (total ? 100 * sum / total : 0).toFixed(2) + '% (' + sum + ' samples)';\n"
"  resetsearch.classList.remove('hide');\n"
"}\n"
"function reset_search() {\n"
"  var gs = all();\n"
"  for (var i = 0; i < gs.length; i++) {\n"
"    var r = gs[i].querySelector('rect');\n"
"    if (r.hasAttribute('data-fill')) r.setAttribute('fill', r.getAttribute('data-fill'));\n"
"  }\n"
"  matched.removeAttribute('data-re');\n"
"  matched.textContent = ' ';\n"
"  resetsearch.classList.add('hide');\n"
"}\n"
"function search_prompt() {\n"
"  var term = prompt('Search for (a regular expression):', matched.getAttribute('data-re') || '');\n"
"  if (term != null && term !== '') search(term);\n"
"}\n"
"function init(evt) {\n"
"  frames = document.getElementById('frames');\n"
"  details = document.getElementById('details');\n"
"  matched = document.getElementById('matched');\n"
"  unzoombtn = document.getElementById('unzoom');\n"
"  resetsearch = document.getElementById('resetsearch');\n"
"  total = +frames.getAttribute('data-total');\n"
"  W = +document.documentElement.getAttribute('width') - 2 * XPAD;\n"
"  frames.addEventListener('click', function (e) {\n"
"    var g = e.target.closest('g.f');\n"
"    if (g) { if (+g.getAttribute('data-d') == 0) unzoom(); else zoom(g); }\n"
"  });\n"
"  frames.addEventListener('mouseover', function (e) {\n"
"    var g = e.target.closest('g.f');\n"
"    if (g) details.textContent = info(g);\n"
"  });\n"
"  frames.addEventListener('mouseout', function (e) { details.textContent = ' '; });\n"
"  var gs = all();\n"
"  for (var i = 0; i < gs.length; i++) fit(gs[i]);\n"
"  var q = new URLSearchParams(document.location.search);\n"
"  if (q.get('s')) search(q.get('s'));\n"
"}\n";

static int
svg_whole(struct out_ctx *c)
{
	const struct report *r = c->r;
	FILE *f = c->f;
	struct stk_ctx *sc = stk_new(r);
	struct stk_frame fr[STK_MAX_FRAMES];
	struct ftree t = { 0 };
	char **owned = NULL;
	size_t nowned = 0;
	char buf[64];

	t.maxdepth = 0;
	fnode_new(&t, FNONE, STK_UNKNOWN, "all", 0);
	for (size_t s = 0; s < r->nstacks; s++) {
		size_t n = stk_frames(sc, &r->stacks[s], fr);
		uint32_t at = 0;

		t.n[0].count += r->stacks[s].count;
		for (size_t k = 0; k < n; k++) {
			size_t before = t.nn;

			at = fnode_child(&t, at, fr[k].family, fr[k].name);
			if (t.nn != before) {
				/* A new node: keep its own copy of the name (stk names may be reused). */
				owned = xrealloc(owned, (nowned + 1) * sizeof(*owned));
				owned[nowned] = xstrdup(fr[k].name);
				t.n[at].name = owned[nowned++];
			}
			t.n[at].count += r->stacks[s].count;
		}
	}
	layout(&t);

	uint64_t total = t.n[0].count;
	double W = SVG_WIDTH - 2 * SVG_XPAD, scale = total ? W / (double)total : 0;
	int height = SVG_TOP + (t.maxdepth + 1) * SVG_FRAME_H + SVG_BOTTOM;
	const struct xps_meta *m = r->nsess ? &r->sess[0].s->meta : NULL;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" onload=\"init(evt)\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n", SVG_WIDTH, height, SVG_WIDTH, height);
	fputs("<!-- A flame graph made by xenprof-report (format svg); open it in a browser. -->\n", f);
	fputs("<style type=\"text/css\">\n"
	      "text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }\n"
	      "#title { text-anchor: middle; font-size: 17px; }\n"
	      "#subtitle { text-anchor: middle; fill: rgb(80,80,80); }\n"
	      "#unzoom, #search, #resetsearch { cursor: pointer; }\n"
	      "g.f { cursor: pointer; }\n"
	      "g.f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
	      "g.f text { pointer-events: none; }\n"
	      "g.parent { opacity: 0.5; }\n"
	      ".hide { display: none; }\n"
	      "</style>\n<script type=\"text/ecmascript\"><![CDATA[\n", f);
	fputs(svg_script, f);
	fputs("]]></script>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"rgb(248,248,240)\"/>\n");
	fprintf(f, "<text id=\"title\" x=\"%d\" y=\"20\">Flame graph", SVG_WIDTH / 2);
	if (m != NULL && m->hostname[0]) {
		fputs(" of ", f);
		xml_text(f, m->hostname);
	}
	fputs("</text>\n", f);
	fprintf(f, "<text id=\"subtitle\" x=\"%d\" y=\"36\">", SVG_WIDTH / 2);
	for (size_t i = 0; i < r->nsess; i++) {
		fputs(i ? ", " : "session ", f);
		xml_text(f, r->sess[i].name);
	}
	for (size_t e = 0; e < r->nevents; e++) {
		fputs(e ? ", " : "; ", f);
		xml_text(f, r->ev[e].name);
		fprintf(f, ":%" PRIu64, r->ev[e].count);
	}
	fprintf(f, "; %" PRIu64 " samples, %" PRIu64 " lost", r->total, r->lost);
	if (r->unsym_total)
		fprintf(f, ", %" PRIu64 " not symbolized (xenprof-report -l says why)", r->unsym_total);
	fputs("</text>\n", f);
	/* Legend: the colour families. */
	int lx = SVG_XPAD;
	static const int legend[] = { STK_XEN, STK_KERNEL, STK_USER, STK_GUEST, STK_DOMAIN, STK_PROCESS };
	fputs("<g id=\"legend\">\n", f);
	for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++) {
		int k = legend[i];
		fprintf(f, "<rect x=\"%d\" y=\"42\" width=\"10\" height=\"10\" fill=\"rgb(%d,%d,%d)\" "
			"data-fam=\"%s\"/><text x=\"%d\" y=\"51\">%s</text>\n", lx, svg_fam[k].r + svg_fam[k].dr / 2,
			svg_fam[k].g + svg_fam[k].dg / 2, svg_fam[k].b + svg_fam[k].db / 2, svg_fam[k].key,
			lx + 14, svg_fam[k].label);
		lx += 30 + (int)strlen(svg_fam[k].label) * 7;
	}
	fputs("</g>\n", f);
	fprintf(f, "<text id=\"unzoom\" class=\"hide\" x=\"%d\" y=\"20\" onclick=\"unzoom()\">Reset Zoom</text>\n",
		SVG_XPAD);
	fprintf(f, "<text id=\"search\" x=\"%d\" y=\"20\" onclick=\"search_prompt()\" "
		"style=\"text-anchor: end\">Search</text>\n", SVG_WIDTH - SVG_XPAD);
	fprintf(f, "<text id=\"resetsearch\" class=\"hide\" x=\"%d\" y=\"36\" onclick=\"reset_search()\" "
		"style=\"text-anchor: end\">Reset Search</text>\n", SVG_WIDTH - SVG_XPAD);
	fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"%d\" style=\"text-anchor: end\"> </text>\n",
		SVG_WIDTH - SVG_XPAD, height - 12);
	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n", SVG_XPAD, height - 12);

	fprintf(f, "<g id=\"frames\" data-total=\"%" PRIu64 "\">\n", total);
	for (size_t k = 0; k < t.nn; k++) {
		const struct fnode *x = &t.n[k];
		double px = (double)x->x * scale, pw = (double)x->count * scale;
		int y = SVG_TOP + (t.maxdepth - x->depth) * SVG_FRAME_H;

		if (pw < SVG_MIN_PX && k != 0)
			continue;
		fill_of(x->family, x->name, buf, sizeof(buf));
		fprintf(f, "<g class=\"f\" data-x=\"%" PRIu64 "\" data-w=\"%" PRIu64 "\" data-d=\"%u\" "
			"data-fam=\"%s\"><title>", x->x, x->count, x->depth,
			svg_fam[x->family <= STK_UNKNOWN ? x->family : STK_UNKNOWN].key);
		xml_text(f, x->name);
		fprintf(f, " (%" PRIu64 " samples, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
			"height=\"%d\" fill=\"%s\" rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%d\"></text></g>\n",
			x->count, out_percent(x->count, total), SVG_XPAD + px, y, pw, SVG_FRAME_H - 1, buf,
			SVG_XPAD + px + 3, y + SVG_FRAME_H - 4);
	}
	fputs("</g>\n</svg>\n", f);

	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(t.n);
	free(t.tab);
	stk_free(sc);
	return ferror(f) ? -1 : 0;
}

const struct output out_svg = {
	.name = "svg",
	.whole = svg_whole,
};
