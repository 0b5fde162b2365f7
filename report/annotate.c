/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --annotate[=SYMBOLS] [--source] [--assembly]: opannotate and perf annotate.
 * For each symbol of the selection (those named, or every one above the
 * threshold), hottest first: the hottest instructions and source lines (so a
 * hot loop is at the top), then the disassembly with each instruction's
 * samples (--assembly), the source lines with theirs (--source), or, by
 * default, the disassembly with the source lines interleaved where they
 * change.  Percentages are of the symbol's samples.  Works the same for user
 * binaries, vmlinux and xen-syms: addresses are link-time ones (aggregate.c
 * removed file offsets and the KASLR slide), read from the file the report
 * symbolized with.
 *
 * Disassembly is Capstone's (libcapstone, packaged by Debian), not parsed
 * objdump output: it decodes the bytes we already located (no subprocess,
 * no dependence on binutils' text format, locale or version, no address
 * ranges to pass through a command line for each symbol), gives each
 * instruction's address and size as numbers, and handles x86, ARM and
 * others from one API.  Source lines come from libdw's line tables; source
 * files are read from their recorded path, under --root, or by basename in
 * the --image-path directories.
 *
 * Samples are leaf samples (where the pc was); a sample is counted in the
 * instruction whose bytes contain its address.  Every sample of a symbol
 * is in its totals; those outside the decoded range are said to be.
 */
#include <elf.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <capstone/capstone.h>

#include "report/report.h"

#define AN_MAX_BYTES	(256 * 1024)	/* largest extent disassembled whole */
#define AN_HOT_SHARE	90.0		/* the hottest list covers this much ... */
#define AN_HOT_MAX	20		/* ... in at most this many lines */

struct an_entry {
	uint32_t	domain;
	uint32_t	img;
	const char     *image, *symbol;	/* pool strings */
	uint64_t	vma, count;
};

struct an_target {
	uint32_t	domain, img;
	const char     *image, *symbol;
	uint64_t	samples;
	struct an_entry *e;		/* sorted by vma, one per vma */
	size_t		ne;
};

struct an_insn {
	uint64_t	addr;
	uint16_t	size;
	char		text[208];
	uint64_t	samples;
	const char     *file;		/* libdw's, NULL: no line information */
	int		line;
};

/* A source file read once: its lines. */
struct an_src {
	char	       *path;		/* as in the line table */
	char	       *data;		/* NULL: not found */
	char	      **line;		/* line[i] = start of line i + 1 */
	size_t		nlines;
};

struct an_file {
	const char     *path;
	struct sym_image *im;
	char		why[256];
};

struct an_ctx {
	FILE		       *f;
	const struct report    *r;
	const struct report_opts *o;
	int			json, first;
	struct an_file	       *files;
	size_t			nfiles;
	struct an_src	       *srcs;
	size_t			nsrcs;
	char		      **paths;		/* source paths made absolute here */
	size_t			npaths;
};

/* FILE of a line table, absolute when COMP_DIR is known; owned by C or libdw. */
static const char *
an_path(struct an_ctx *c, const char *file, const char *comp_dir)
{
	char buf[PATH_MAX];

	if (file == NULL || file[0] == '/' || comp_dir == NULL || *comp_dir == '\0')
		return file;
	snprintf(buf, sizeof(buf), "%s/%s", comp_dir, file);
	for (size_t i = c->npaths; i-- > 0;)
		if (strcmp(c->paths[i], buf) == 0)
			return c->paths[i];
	c->paths = xrealloc(c->paths, (c->npaths + 1) * sizeof(*c->paths));
	return c->paths[c->npaths++] = xstrdup(buf);
}

static int
entry_cmp(const void *x, const void *y)
{
	const struct an_entry *a = x, *b = y;
	int c;

	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if ((c = strcmp(a->image, b->image)) != 0)
		return c;
	if ((c = strcmp(a->symbol, b->symbol)) != 0)
		return c;
	if (a->vma != b->vma)
		return a->vma < b->vma ? -1 : 1;
	return 0;
}

static int
target_cmp(const void *x, const void *y)
{
	const struct an_target *a = x, *b = y;
	int c;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if ((c = strcmp(a->symbol, b->symbol)) != 0)
		return c;
	return strcmp(a->image, b->image);
}

static int
wanted(const struct report_opts *o, const char *sym)
{
	if (o->annot_syms == NULL)
		return 1;
	for (char **p = o->annot_syms; *p; p++)
		if (strcmp(*p, sym) == 0 || fnmatch(*p, sym, 0) == 0)
			return 1;
	return 0;
}

/* The symbol's image, opened once per file. */
static struct an_file *
an_open(struct an_ctx *c, const char *path)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return &c->files[i];
	c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(*c->files));
	struct an_file *fl = &c->files[c->nfiles++];
	memset(fl, 0, sizeof(*fl));
	fl->path = path;
	fl->im = sym_open(path, fl->why, sizeof(fl->why));
	return fl;
}

/* A source file by its line-table path: as recorded, under --root, by basename in -p. */
static struct an_src *
an_source(struct an_ctx *c, const char *path)
{
	const char *try[2 + 16];
	size_t ntry = 0;
	FILE *f = NULL;

	for (size_t i = 0; i < c->nsrcs; i++)
		if (strcmp(c->srcs[i].path, path) == 0)
			return &c->srcs[i];
	c->srcs = xrealloc(c->srcs, (c->nsrcs + 1) * sizeof(*c->srcs));
	struct an_src *s = &c->srcs[c->nsrcs++];
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	char *rooted = c->o->root && path[0] == '/' ? xasprintf("%s%s", c->o->root, path) : NULL;
	if (rooted)
		try[ntry++] = rooted;
	try[ntry++] = path;
	char *dirs[16] = { NULL };
	for (size_t i = 0; c->o->image_path && c->o->image_path[i] && i < 16; i++) {
		dirs[i] = xasprintf("%s/%s", c->o->image_path[i], out_basename(path));
		try[ntry++] = dirs[i];
	}
	for (size_t i = 0; i < ntry && f == NULL; i++) {
		struct stat st;
		if (stat(try[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 64 * 1024 * 1024)
			f = fopen(try[i], "r");
	}
	free(rooted);
	for (size_t i = 0; i < 16; i++)
		free(dirs[i]);
	if (f == NULL)
		return s;
	size_t cap = 65536, len = 0, n;
	s->data = xmalloc(cap + 1);
	while ((n = fread(s->data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			s->data = xrealloc(s->data, (cap *= 2) + 1);
	}
	fclose(f);
	s->data[len] = '\0';
	size_t capl = 1024;
	s->line = xmalloc(capl * sizeof(*s->line));
	for (char *p = s->data; p < s->data + len;) {
		char *nl = strchr(p, '\n');
		if (s->nlines == capl)
			s->line = xrealloc(s->line, (capl *= 2) * sizeof(*s->line));
		s->line[s->nlines++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	for (size_t i = 0; i < s->nlines; i++) {	/* control bytes (not tabs): a space */
		for (char *q = s->line[i]; *q; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				*q = ' ';
	}
	return s;
}

/* Source text TX (NULL: none) with its tabs expanded to 8 columns, then a newline. */
static void
src_put(FILE *f, const char *tx)
{
	int col = 0;

	for (; tx && *tx; tx++) {
		if (*tx == '\t') {
			do
				fputc(' ', f);
			while (++col % 8);
		} else {
			fputc(*tx, f);
			col++;
		}
	}
	fputc('\n', f);
}

static const char *
src_text(struct an_ctx *c, const char *file, int line)
{
	struct an_src *s;

	if (file == NULL || line <= 0)
		return NULL;
	s = an_source(c, file);
	return s->data && (size_t)line <= s->nlines ? s->line[line - 1] : NULL;
}

/* Capstone's architecture for an ELF machine; -1 if it has none. */
static int
cs_arch_of(int machine, cs_arch *arch, cs_mode *mode)
{
	switch (machine) {
	case EM_X86_64:
		*arch = CS_ARCH_X86, *mode = CS_MODE_64;
		return 0;
	case EM_386:
		*arch = CS_ARCH_X86, *mode = CS_MODE_32;
		return 0;
	case EM_AARCH64:
		*arch = CS_ARCH_ARM64, *mode = CS_MODE_ARM;
		return 0;
	case EM_ARM:
		*arch = CS_ARCH_ARM, *mode = CS_MODE_ARM;
		return 0;
	case EM_PPC64:
		*arch = CS_ARCH_PPC, *mode = CS_MODE_64 | CS_MODE_LITTLE_ENDIAN;
		return 0;
	case EM_S390:
		*arch = CS_ARCH_SYSZ, *mode = CS_MODE_BIG_ENDIAN;
		return 0;
	default:
		return -1;
	}
}

/*
 * Disassemble [START, END) of IM into *OUT; the number of instructions, or
 * -1 with WHY.  Bytes Capstone cannot decode become one "(bad)" line each.
 */
static long
disassemble(struct an_ctx *c, struct sym_image *im, uint64_t start, uint64_t end,
	    struct an_insn **out, char *why, size_t whylen)
{
	cs_arch arch;
	cs_mode mode;
	csh h;
	size_t len = end - start, n, cap = 256, ni = 0;
	uint8_t *buf;

	*out = NULL;
	if (cs_arch_of(sym_machine(im), &arch, &mode) != 0) {
		snprintf(why, whylen, "no disassembler for ELF machine %d", sym_machine(im));
		return -1;
	}
	buf = xmalloc(len ? len : 1);
	n = sym_read(im, start, buf, len);
	if (n == 0) {
		snprintf(why, whylen, "no code bytes at 0x%" PRIx64 " in the file (a debug-only "
			 "file? give the image itself)", start);
		free(buf);
		return -1;
	}
	if (cs_open(arch, mode, &h) != CS_ERR_OK) {
		snprintf(why, whylen, "capstone: cannot open its disassembler for this machine");
		free(buf);
		return -1;
	}
	if (arch == CS_ARCH_X86)
		cs_option(h, CS_OPT_SYNTAX, c->o->asm_intel ? CS_OPT_SYNTAX_INTEL : CS_OPT_SYNTAX_ATT);
	cs_insn *insn = cs_malloc(h);
	const uint8_t *code = buf;
	size_t size = n;
	uint64_t addr = start;
	struct an_insn *v = xcalloc(cap, sizeof(*v));
	while (size > 0) {
		if (ni == cap)
			v = xrealloc(v, (cap *= 2) * sizeof(*v));
		struct an_insn *d = &v[ni];
		memset(d, 0, sizeof(*d));
		d->addr = addr;
		if (cs_disasm_iter(h, &code, &size, &addr, insn)) {
			d->size = insn->size;
			snprintf(d->text, sizeof(d->text), "%-7.31s %.160s", insn->mnemonic, insn->op_str);
			size_t tl = strlen(d->text);
			while (tl > 0 && d->text[tl - 1] == ' ')
				d->text[--tl] = '\0';
		} else {
			d->size = 1;
			snprintf(d->text, sizeof(d->text), "(bad)   .byte 0x%02x", *code);
			code++, size--, addr++;
		}
		const char *sf, *dir;
		if (sym_srcpos(im, d->addr, &sf, &dir, &d->line) == 0)
			d->file = an_path(c, sf, dir);
		ni++;
	}
	cs_free(insn, 1);
	cs_close(&h);
	free(buf);
	*out = v;
	return (long)ni;
}

static void
jstr(struct an_ctx *c, const char *key, const char *v)
{
	fprintf(c->f, ", \"%s\": ", key);
	json_string(c->f, v ? v : "");
}

static int
hot_cmp(const void *x, const void *y)
{
	const struct an_insn *a = *(const struct an_insn *const *)x, *b = *(const struct an_insn *const *)y;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

/* Source lines with samples, and the lines around them, for one range. */
struct an_line {
	const char     *file;
	int		line;
	uint64_t	samples;
};

static int
line_cmp(const void *x, const void *y)
{
	const struct an_line *a = x, *b = y;
	int c = strcmp(a->file, b->file);

	return c ? c : a->line - b->line;
}

static int
line_hot_cmp(const void *x, const void *y)
{
	const struct an_line *a = x, *b = y;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return line_cmp(x, y);
}

static void
pct_cols(struct an_ctx *c, uint64_t n, uint64_t total)
{
	if (n)
		fprintf(c->f, "  %-8" PRIu64 " %-9.4f", n, out_percent(n, total));
	else
		fprintf(c->f, "  %-8s %-9s", "", "");
}

/* Annotate one extent [START, END) of target T (its samples in E[0..NE)). */
static void
annotate_range(struct an_ctx *c, const struct an_target *t, struct sym_image *im,
	       uint64_t start, uint64_t end, const struct an_entry *e, size_t ne, int first_range)
{
	const struct report_opts *o = c->o;
	int want_asm = o->annot_asm || !o->annot_source, want_src = o->annot_source || !o->annot_asm;
	int mixed = !o->annot_source && !o->annot_asm;
	char why[512] = "", note[160] = "";
	struct an_insn *v = NULL;
	long ni;
	uint64_t inside = 0, range_samples = 0;

	for (size_t k = 0; k < ne; k++)
		range_samples += e[k].count;
	if (end - start > AN_MAX_BYTES) {
		/* A sizeless symbol reaching far: from the first sampled address on. */
		snprintf(note, sizeof(note), "extent 0x%" PRIx64 "-0x%" PRIx64 " too large; shown from "
			 "the first sampled address", start, end);
		start = e[0].vma;
		if (end - start > AN_MAX_BYTES)
			end = start + AN_MAX_BYTES;
	}
	ni = disassemble(c, im, start, end, &v, why, sizeof(why));
	/* Samples per instruction: both sorted by address. */
	for (long i = 0, k = 0; i < ni; i++) {
		while ((size_t)k < ne && e[k].vma < v[i].addr)
			k++;
		while ((size_t)k < ne && e[k].vma < v[i].addr + v[i].size) {
			v[i].samples += e[k].count;
			inside += e[k].count;
			k++;
		}
	}
	/* Source lines: every instruction's line; samples where they fell. */
	struct an_line *ln = xcalloc(ni > 0 ? (size_t)ni : 1, sizeof(*ln));
	size_t nln = 0;
	for (long i = 0; i < ni; i++)
		if (v[i].file != NULL)
			ln[nln++] = (struct an_line){ v[i].file, v[i].line, v[i].samples };
	qsort(ln, nln, sizeof(*ln), line_cmp);
	size_t w = 0;
	for (size_t i = 0; i < nln; i++) {
		if (w > 0 && strcmp(ln[w - 1].file, ln[i].file) == 0 && ln[w - 1].line == ln[i].line)
			ln[w - 1].samples += ln[i].samples;
		else
			ln[w++] = ln[i];
	}
	nln = w;
	/* The hottest instructions. */
	struct an_insn **hot = xcalloc(ni > 0 ? (size_t)ni : 1, sizeof(*hot));
	size_t nhot = 0;
	for (long i = 0; i < ni; i++)
		if (v[i].samples)
			hot[nhot++] = &v[i];
	qsort(hot, nhot, sizeof(*hot), hot_cmp);
	{
		uint64_t cum = 0;
		size_t k;
		for (k = 0; k < nhot && k < AN_HOT_MAX; k++) {
			cum += hot[k]->samples;
			if (out_percent(cum, t->samples) >= AN_HOT_SHARE) {
				k++;
				break;
			}
		}
		nhot = k;
	}
	struct an_line *hl = xcalloc(nln ? nln : 1, sizeof(*hl));
	size_t nhl = 0;
	for (size_t i = 0; i < nln; i++)
		if (ln[i].samples)
			hl[nhl++] = ln[i];
	qsort(hl, nhl, sizeof(*hl), line_hot_cmp);
	if (nhl > AN_HOT_MAX)
		nhl = AN_HOT_MAX;

	if (c->json) {
		fprintf(c->f, "%s{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64 "\", \"samples\": %"
			PRIu64 ", \"samples_decoded\": %" PRIu64, first_range ? "" : ", ", start, end,
			range_samples, inside);
		if (ni < 0)
			jstr(c, "error", why);
		if (note[0])
			jstr(c, "note", note);
		fputs(", \"hottest\": [", c->f);
		for (size_t k = 0; k < nhot; k++)
			fprintf(c->f, "%s\"0x%" PRIx64 "\"", k ? ", " : "", hot[k]->addr);
		fputs("]", c->f);
		if (want_asm) {
			fputs(", \"instructions\": [", c->f);
			for (long i = 0; i < ni; i++) {
				fprintf(c->f, "%s{\"address\": \"0x%" PRIx64 "\", \"size\": %u, \"samples\": %"
					PRIu64 ", \"percent\": %.4f", i ? ", " : "", v[i].addr, v[i].size,
					v[i].samples, out_percent(v[i].samples, t->samples));
				jstr(c, "text", v[i].text);
				if (v[i].file) {
					char sl[PATH_MAX + 16];
					snprintf(sl, sizeof(sl), "%s:%d", out_basename(v[i].file), v[i].line);
					jstr(c, "source", sl);
				}
				fputc('}', c->f);
			}
			fputc(']', c->f);
		}
		if (want_src) {
			fputs(", \"lines\": [", c->f);
			for (size_t i = 0; i < nln; i++) {
				fprintf(c->f, "%s{\"file\": ", i ? ", " : "");
				json_string(c->f, ln[i].file);
				fprintf(c->f, ", \"line\": %d, \"samples\": %" PRIu64 ", \"percent\": %.4f",
					ln[i].line, ln[i].samples, out_percent(ln[i].samples, t->samples));
				const char *tx = src_text(c, ln[i].file, ln[i].line);
				if (tx)
					jstr(c, "text", tx);
				fputc('}', c->f);
			}
			fputc(']', c->f);
		}
		fputc('}', c->f);
		goto out;
	}

	FILE *f = c->f;
	if (ni < 0) {
		fprintf(f, "Not annotated: %s.\n", why);
		goto out;
	}
	if (note[0])
		fprintf(f, "Note: %s.\n", note);
	if (inside < range_samples)
		fprintf(f, "Note: %" PRIu64 " of the symbol's samples lie outside the disassembled "
			"bytes.\n", range_samples - inside);
	if (nhot > 0) {
		uint64_t cum = 0;
		for (size_t k = 0; k < nhot; k++)
			cum += hot[k]->samples;
		fprintf(f, "Hottest instructions (%.1f %% of the symbol's samples):\n",
			out_percent(cum, t->samples));
		fprintf(f, "  %-8s %-9s %-18s %-40s %s\n", "samples", "%", "address", "instruction",
			"source");
		for (size_t k = 0; k < nhot; k++) {
			pct_cols(c, hot[k]->samples, t->samples);
			if (hot[k]->file)
				fprintf(f, " %016" PRIx64 "   %-40s %s:%d\n", hot[k]->addr, hot[k]->text,
					out_basename(hot[k]->file), hot[k]->line);
			else
				fprintf(f, " %016" PRIx64 "   %s\n", hot[k]->addr, hot[k]->text);
		}
	}
	if (want_src && nhl > 0) {
		fprintf(f, "Hottest source lines:\n  %-8s %-9s %-24s %s\n", "samples", "%", "line", "source");
		for (size_t k = 0; k < nhl; k++) {
			char pos[PATH_MAX + 16];
			const char *tx = src_text(c, hl[k].file, hl[k].line);
			snprintf(pos, sizeof(pos), "%s:%d", out_basename(hl[k].file), hl[k].line);
			pct_cols(c, hl[k].samples, t->samples);
			fprintf(f, " %-24s ", pos);
			src_put(f, tx);
		}
	}
	if (want_asm) {
		fprintf(f, "Assembly, 0x%" PRIx64 "-0x%" PRIx64 " (%ld instructions):\n", start, end, ni);
		fprintf(f, "  %-8s %-9s %-18s %s\n", "samples", "%", "address", "instruction");
		const char *lastf = NULL;
		int lastl = -1;
		for (long i = 0; i < ni; i++) {
			if (mixed && v[i].file && (lastf == NULL || strcmp(v[i].file, lastf) != 0 ||
					      v[i].line != lastl)) {
				const char *tx = src_text(c, v[i].file, v[i].line);
				fprintf(f, "  %-18s : %s:%d  ", "", out_basename(v[i].file), v[i].line);
				src_put(f, tx);
				lastf = v[i].file;
				lastl = v[i].line;
			}
			pct_cols(c, v[i].samples, t->samples);
			fprintf(f, " %016" PRIx64 "   %s\n", v[i].addr, v[i].text);
		}
	}
	if (want_src && !mixed) {
		if (nln == 0)
			fputs("Source: no line information in the image (built without -g, or "
			      "stripped; install its debug info).\n", f);
		for (size_t i = 0; i < nln;) {
			size_t j = i;
			while (j < nln && strcmp(ln[j].file, ln[i].file) == 0)
				j++;
			struct an_src *s = an_source(c, ln[i].file);
			int lo = ln[i].line, hi = ln[j - 1].line;
			if (s->data == NULL) {
				fprintf(f, "Source %s: not found (use --root or -p DIR); lines with samples:\n",
					ln[i].file);
				for (size_t k = i; k < j; k++)
					if (ln[k].samples) {
						pct_cols(c, ln[k].samples, t->samples);
						fprintf(f, " %d\n", ln[k].line);
					}
				i = j;
				continue;
			}
			fprintf(f, "Source %s, lines %d-%d:\n  %-8s %-9s %-6s %s\n", ln[i].file, lo, hi,
				"samples", "%", "line", "source");
			size_t k = i;
			for (int l = lo; l <= hi; l++) {
				uint64_t n = 0;
				while (k < j && ln[k].line < l)
					k++;
				if (k < j && ln[k].line == l)
					n = ln[k].samples;
				pct_cols(c, n, t->samples);
				fprintf(f, " %-6d ", l);
				src_put(f, (size_t)l <= s->nlines ? s->line[l - 1] : NULL);
			}
			i = j;
		}
	} else if (want_src && nln == 0) {
		fputs("Source: no line information in the image (built without -g, or stripped; "
		      "install its debug info).\n", f);
	}
out:
	free(hl);
	free(hot);
	free(ln);
	free(v);
}

static void
annotate_target(struct an_ctx *c, const struct an_target *t)
{
	const struct report *r = c->r;
	const char *file = report_image_file(r, t->img);
	const char *dname = "";
	char why[600] = "";
	struct an_file *fl = NULL;

	for (size_t d = 0; d < r->ndoms; d++)
		if (r->doms[d].domid == t->domain)
			dname = r->doms[d].name ? r->doms[d].name : "";
	if (file == NULL) {
		int kind = report_image_kind(r, t->img);
		snprintf(why, sizeof(why), "%s", kind == XPS_IMG_KERNEL || kind == XPS_IMG_KMOD ?
			 "symbolized from the session's kallsyms, no code to read: give --vmlinux=FILE" :
			 kind == XPS_IMG_XEN ? "no hypervisor image: give --xen=FILE (xen-syms)" :
			 "the image file was not available (see the warnings; -p, --root)");
	} else {
		fl = an_open(c, file);
		if (fl->im == NULL)
			snprintf(why, sizeof(why), "%s: %s", file, fl->why);
	}
	if (c->json) {
		fprintf(c->f, "%s\n{\"domain\": %u", c->first ? "" : ",", t->domain);
		c->first = 0;
		jstr(c, "domain_name", dname);
		jstr(c, "image", t->image);
		jstr(c, "file", file);
		jstr(c, "symbol", t->symbol);
		fprintf(c->f, ", \"samples\": %" PRIu64 ", \"percent\": %.4f", t->samples,
			out_percent(t->samples, r->total));
		if (why[0])
			jstr(c, "error", why);
		fputs(", \"ranges\": [", c->f);
	} else {
		fprintf(c->f, "==============================================================================="
			"=\n%s: %" PRIu64 " samples, %.4f %% of the selection\n  image %s", t->symbol,
			t->samples, out_percent(t->samples, r->total), t->image);
		if (file && strcmp(file, t->image) != 0)
			fprintf(c->f, " (file %s)", file);
		fprintf(c->f, ", domain %u (%s)\n", t->domain, dname);
		if (why[0])
			fprintf(c->f, "Not annotated: %s.\n", why);
	}
	if (!why[0]) {
		/* One range per distinct extent (two static functions may share a name). */
		int first = 1;
		for (size_t k = 0; k < t->ne;) {
			uint64_t start, end;
			if (sym_extent(fl->im, t->e[k].vma, &start, &end) == NULL)
				start = t->e[k].vma, end = t->e[k].vma + 1;
			size_t j = k;
			while (j < t->ne && t->e[j].vma >= start && t->e[j].vma < end)
				j++;
			if (j == k)	/* cannot happen: the extent holds its address */
				j = k + 1;
			if (!c->json && !first)
				fprintf(c->f, "-- another %s in the same image:\n", t->symbol);
			annotate_range(c, t, fl->im, start, end, &t->e[k], j - k, first);
			first = 0;
			k = j;
		}
	}
	if (c->json)
		fputs("]}", c->f);
}

int
annotate_report(FILE *f, const struct report *r, const struct report_opts *o, char *err,
		size_t errlen)
{
	struct an_ctx c = { .f = f, .r = r, .o = o, .json = o->format == OUT_JSON, .first = 1 };
	struct an_entry *e = xcalloc(r->nstacks ? r->nstacks : 1, sizeof(*e));
	struct an_target *t = NULL;
	size_t ne = 0, nt = 0, hidden = 0;

	for (size_t s = 0; s < r->nstacks; s++) {
		const struct report_loc *l = &r->locs[r->stacks[s].leaf];
		e[ne++] = (struct an_entry){ .domain = r->stacks[s].domain, .img = l->img,
			.image = l->image, .symbol = l->symbol, .vma = l->vma, .count = r->stacks[s].count };
	}
	qsort(e, ne, sizeof(*e), entry_cmp);
	/* Merge equal addresses, then cut into targets (domain, image, symbol). */
	size_t w = 0;
	for (size_t i = 0; i < ne; i++) {
		if (w > 0 && entry_cmp(&e[w - 1], &e[i]) == 0)
			e[w - 1].count += e[i].count;
		else
			e[w++] = e[i];
	}
	ne = w;
	for (size_t i = 0; i < ne;) {
		size_t j = i;
		uint64_t n = 0;
		while (j < ne && e[j].domain == e[i].domain && strcmp(e[j].image, e[i].image) == 0 &&
		       strcmp(e[j].symbol, e[i].symbol) == 0)
			n += e[j++].count;
		struct report_row row = { .symbol = e[i].symbol };
		if (strcmp(e[i].symbol, SYM_UNKNOWN) != 0 && wanted(o, e[i].symbol) &&
		    out_row_selected(o, &row)) {
			if (out_percent(n, r->total) >= o->threshold) {
				t = xrealloc(t, (nt + 1) * sizeof(*t));
				t[nt++] = (struct an_target){ .domain = e[i].domain, .img = e[i].img,
					.image = e[i].image, .symbol = e[i].symbol, .samples = n,
					.e = &e[i], .ne = j - i };
			} else {
				hidden++;
			}
		}
		i = j;
	}
	if (nt == 0 && o->annot_syms != NULL) {
		/* Say what there is: the hottest symbols of the selection. */
		struct an_target *all = xcalloc(ne ? ne : 1, sizeof(*all));
		size_t na = 0, used = 0;
		char list[512] = "";
		for (size_t i = 0; i < ne;) {
			size_t j = i;
			uint64_t n = 0;
			while (j < ne && e[j].domain == e[i].domain && strcmp(e[j].image, e[i].image) == 0 &&
			       strcmp(e[j].symbol, e[i].symbol) == 0)
				n += e[j++].count;
			if (strcmp(e[i].symbol, SYM_UNKNOWN) != 0)
				all[na++] = (struct an_target){ .symbol = e[i].symbol, .image = e[i].image,
								.samples = n };
			i = j;
		}
		qsort(all, na, sizeof(*all), target_cmp);
		for (size_t k = 0; k < na && k < 5; k++) {
			int n = snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", all[k].symbol);
			if (n < 0 || (size_t)n >= sizeof(list) - used)
				break;
			used += (size_t)n;
		}
		snprintf(err, errlen, "--annotate=%s%s: no such symbol with samples in the selection%s%s%s",
			 o->annot_syms[0], o->annot_syms[1] ? ",..." : "",
			 hidden ? " above the threshold" : "", na ? "; the hottest: " : "", list);
		free(all);
		free(t);
		free(e);
		return 1;
	}
	qsort(t, nt, sizeof(*t), target_cmp);

	if (c.json) {
		fprintf(f, "{\n\"format_version\": 1,\n\"annotate\": true,\n\"total_samples\": %" PRIu64
			",\n\"lost_samples\": %" PRIu64 ",\n\"unsymbolized_samples\": %" PRIu64
			",\n\"mode\": \"%s\",\n\"symbols\": [", r->total, r->lost, r->unsym_total,
			o->annot_source && !o->annot_asm ? "source" :
			o->annot_asm && !o->annot_source ? "assembly" : "mixed");
	} else if (!o->no_header) {
		fprintf(f, "Annotation of session%s ", r->nsess > 1 ? "s" : "");
		for (size_t i = 0; i < r->nsess; i++)
			fprintf(f, "%s%s", i ? "," : "", r->sess[i].name);
		for (size_t i = 0; i < r->nevents; i++)
			fprintf(f, "%s%s:%" PRIu64, i ? ", " : "; event ", r->ev[i].name, r->ev[i].count);
		fprintf(f, "; %" PRIu64 " samples in the selection, %" PRIu64 " lost.\n", r->total,
			r->lost);
		if (r->unsym_total)
			fprintf(f, "Not symbolized: %" PRIu64 " samples (%.2f%%; xenprof-report -l says "
				"why, by image).\n", r->unsym_total, out_percent(r->unsym_total, r->total));
		fprintf(f, "Each symbol, hottest first: its hottest instructions and source lines, then "
			"the listing;\npercentages are of the symbol's samples.\n");
	}
	for (size_t i = 0; i < nt; i++)
		annotate_target(&c, &t[i]);
	if (c.json)
		fprintf(f, "%s],\n\"hidden_symbols\": %zu\n}\n", nt ? "\n" : "", hidden);
	else if (hidden)
		fprintf(f, "(%zu more symbol%s below the %.4g%% threshold)\n", hidden,
			hidden == 1 ? "" : "s", o->threshold);

	for (size_t i = 0; i < c.nfiles; i++)
		sym_close(c.files[i].im);
	free(c.files);
	for (size_t i = 0; i < c.nsrcs; i++) {
		free(c.srcs[i].path);
		free(c.srcs[i].data);
		free(c.srcs[i].line);
	}
	free(c.srcs);
	for (size_t i = 0; i < c.npaths; i++)
		free(c.paths[i]);
	free(c.paths);
	free(t);
	free(e);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
