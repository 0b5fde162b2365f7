/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprof-report internals: one header for the report program, split into
 * sections by the file that implements them.
 *
 * Data flow: options (xenprof-report.c) and profile specs (spec.c) select
 * sessions, domains, events, images, threads and cpus; aggregate.c walks the
 * selected records once, symbolizes each distinct (image, offset) pair once
 * (symbols.c for ELF files, kallsyms.c for the session's kallsyms copy) and
 * folds the counts into rows; output.c sorts, thresholds and hands the rows
 * to one output vtable (output-text.c, output-json.c, output-csv.c; the
 * stack formats output-folded.c, output-pprof.c, output-svg.c take the
 * stacks whole, framed by stacks.c).  annotate.c (--annotate) works on the
 * stacks' leaf addresses and the images' code and line tables.
 *
 * Ownership: strings in rows and images are interned in the report's string
 * pool (strpool.c) and live until report_free(); nothing else frees them.
 */
#ifndef XP_REPORT_H
#define XP_REPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libsamples/samples.h"

#define REPORT_PROG	"xenprof-report"
#define SYM_UNKNOWN	"[unknown]"

/* ===================================================================== */
/* util.c: allocation that dies, warnings               */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Warnings: printed at once to stderr as "xenprof-report: warning: ..." and
 * kept so that machine formats can carry them too.  warn_quiet() silences
 * stderr (tests).
 */
void report_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t report_nwarnings(void);
const char *report_warning(size_t i);
void report_warnings_reset(void);
void report_warn_quiet(int quiet);

/* ===================================================================== */
/* strpool.c: interned strings                                           */

/*
 * Opaque: callers hold an id or the string, never a slot of the pool's
 * tables (they move as the pool grows).  Strings never move and live until
 * strpool_free().
 */
struct strpool;

struct strpool *strpool_new(void);
void strpool_free(struct strpool *p);
/* The id of STR, interned on first use; ids are 0, 1, 2... in that order. */
uint32_t strpool_id(struct strpool *p, const char *str);
/* The string of ID (NULL if no such id). */
const char *strpool_str(const struct strpool *p, uint32_t id);
/* The pooled copy of STR, interned on first use. */
const char *strpool_intern(struct strpool *p, const char *str);
/* Strings in the pool. */
size_t strpool_count(const struct strpool *p);

/* ===================================================================== */
/* options (xenprof-report.c)                                            */

enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV, OUT_FOLDED, OUT_PPROF, OUT_SVG };

/* What the sample columns of a row are (opreport's "classes"). */
enum col_axis {
	COL_EVENT,	/* one column per selected event (default) */
	COL_DOMAIN,	/* --columns=domain: rows merged across domains */
	COL_SESSION,	/* --columns=session: one column per session */
	COL_DIFF,	/* { spec } { spec }: two columns and the change */
};

/* -s/--sort keys. */
enum sort_key {
	SORT_SAMPLES = 1, SORT_IMAGE, SORT_SYMBOL, SORT_DOMAIN, SORT_VMA, SORT_APP,
};
#define SORT_MAX	8

/* --merge= bits: separation axes folded together in the rows. */
enum merge_bits {
	MERGE_LIB = 1 << 0,
	MERGE_TID = 1 << 1,
	MERGE_TGID = 1 << 2,
	MERGE_CPU = 1 << 3,
	MERGE_ALL = 0xf,
};

struct spec;

struct report_opts {
	int		symbols;	/* -l */
	double		threshold;	/* -t, percent */
	const char     *sessdir;	/* --session-dir */
	enum out_format	format;
	const char     *vmlinux;	/* --vmlinux override, NULL = recorded */
	const char     *xen;		/* --xen override */
	char	      **image_path;	/* -p, NULL-terminated list of dirs */
	const char     *root;		/* --root */
	int		long_names;	/* -f */
	const char     *outfile;	/* -o */
	unsigned	merge;		/* enum merge_bits */
	int		no_header;	/* -n */
	int		no_demangle;	/* -D none: C++ symbols as in the image */
	int		exclude_dependent;	/* -x: drop samples in an application's dependent images */
	int		help, version;
	int		details;	/* -d (implies -l) */
	int		debug_info;	/* -g */
	int		callgraph;	/* -c (implies -l) */
	int		accumulated;	/* -a */
	int		global_percent;	/* --global-percent */
	int		show_address;	/* -w */
	int		reverse;	/* -r */
	int		columns;	/* enum col_axis; COL_EVENT by default */
	int		sort[SORT_MAX];	/* enum sort_key, nsort of them */
	int		nsort;
	char	      **incl_syms;	/* -i, NULL-terminated */
	char	      **excl_syms;	/* -e */
	const char     *archive_out;	/* --archive=FILE: write, no report */
	/* --annotate[=SYMBOLS], --source, --assembly, --asm-syntax (annotate.c) */
	int		annotate;
	int		annot_source, annot_asm;	/* neither: both, interleaved */
	int		asm_intel;
	char	      **annot_syms;	/* NULL-terminated; NULL: every symbol shown */
	struct spec    *spec;		/* owned: the whole selection */
	/* Differential form: spec plus each side's braces (owned); nsides 0 or 2. */
	struct spec    *side[2];
	int		nsides;
	char	       *archive_tmp;	/* extracted archive: removed at exit */
};

/*
 * Parse ARGV into OPTS (which it initialises).  Never prints and never exits:
 * returns 0 on success, 2 on a usage error with the message in ERR (one line,
 * no program prefix).  Specs are parsed too (spec_add).
 */
int report_parse_args(int argc, char **argv, struct report_opts *opts,
		      char *err, size_t errlen);
void report_opts_free(struct report_opts *opts);

/* ===================================================================== */
/* spec.c: profile specifications                                        */

/* A list of strings from a comma-separated spec value. */
struct strlist {
	char	      **v;
	size_t		n;
};

struct spec {
	struct strlist	sessions;	/* session: names ("current" allowed) */
	struct strlist	images;		/* image: paths, basenames, globs */
	struct strlist	events;		/* event: names */
	struct strlist	domains;	/* domain: ids or names */
	struct strlist	tids, tgids, cpus;	/* numeric, checked at parse time */
	struct strlist	sessions_x;	/* session-exclude: */
	struct strlist	images_x;	/* image-exclude: */
	struct strlist	lib_images;	/* lib-image: dependent images of an app */
	struct strlist	counts;		/* count: sampling periods (numeric) */
	struct strlist	unit_masks;	/* unit-mask: (0x.. or decimal) */
	struct strlist	archives;	/* archive: FILE (one) */
};

struct spec *spec_new(void);
void spec_free(struct spec *s);
/*
 * Add one PROFILE-SPEC word ("tag:value[,value...]"; a bare word is an
 * image:).  0 on success, -1 with a one-line message in ERR.
 */
int spec_add(struct spec *s, const char *word, char *err, size_t errlen);

/* Does recorded image PATH (or its display name SHOWN) match the image: list? */
int spec_image_match(const struct spec *s, const char *path, const char *shown);
/* Does a numeric value match LIST (empty list matches everything)? */
int spec_num_match(const struct strlist *l, uint32_t v);
/* Does domain DOMID named NAME match the domain: list? */
int spec_domain_match(const struct spec *s, uint32_t domid, const char *name);
int spec_event_match(const struct spec *s, const char *name);
/* Does an event (name, count, unit mask) pass event:, count: and unit-mask:? */
int spec_event_full_match(const struct spec *s, const char *name, uint64_t count, uint32_t um);
/* Image selection with image:, image-exclude: and lib-image: (APP may be NULL). */
int spec_image_select(const struct spec *s, const char *path, const char *shown,
		      const char *app, int is_dependent);
/* A copy of A with B's lists appended (B may be NULL). */
struct spec *spec_merge(const struct spec *a, const struct spec *b);
/* Is the spec empty (matches everything, current session)? */
int spec_empty(const struct spec *s);

/* ===================================================================== */
/* kallsyms.c: the session's copy of /proc/kallsyms                      */

struct ksym {
	uint64_t	addr;
	uint32_t	name;		/* offset into kallsyms->names */
	uint32_t	mod;		/* 0 = core kernel, else module index */
};

struct kallsyms {
	struct ksym    *syms;		/* sorted by (mod, addr) */
	size_t		nsyms;
	char	       *names;		/* NUL-separated names */
	size_t		names_len, names_cap;
	char	      **mods;		/* mods[0] = NULL (core); then module names */
	uint32_t	nmods;
	size_t	       *mod_start;	/* first index of module i in syms */
	size_t	       *mod_end;
	int		all_zero;	/* every address was 0 (kptr_restrict) */
};

/* Parse a kallsyms file; NULL with errno set if it cannot be read. */
struct kallsyms *ksyms_load(const char *path);
/* Parse kallsyms text of LEN bytes (need not be NUL-terminated). */
struct kallsyms *ksyms_parse(const char *text, size_t len);
void ksyms_free(struct kallsyms *k);
/* Module index of MOD (without brackets), 0 = core, -1 = not present. */
int ksyms_module(const struct kallsyms *k, const char *mod);
/*
 * The symbol covering ADDR in module MOD (0 = core): the last symbol at or
 * below ADDR whose extent (up to the next symbol) contains ADDR.  NULL if
 * none; *START receives the symbol's address and *END its extent's end.
 */
const char *ksyms_lookup(const struct kallsyms *k, uint32_t mod, uint64_t addr,
			 uint64_t *start, uint64_t *end);

/* ===================================================================== */
/* symbols.c: ELF images through libdwfl                                  */

struct sym_image;

enum sym_addr_kind {
	SYM_BY_OFFSET,		/* key.offset is a file offset (XPS_IMG_FILE) */
	SYM_BY_ADDRESS,		/* key.offset is a link-time address (+ slide) */
};

/*
 * Open PATH once; NULL with a one-line reason in ERR (no prefix) when it is
 * missing, not ELF ("uncompressed image needed"), or unusable.
 */
struct sym_image *sym_open(const char *path, char *err, size_t errlen);
void sym_close(struct sym_image *im);
/* The file's GNU build-id; returns its length (0: none). */
int sym_build_id(struct sym_image *im, const uint8_t **id);
/* Address of symbol NAME (e.g. "_text"), 0 with -1 if absent. */
int sym_symbol_addr(struct sym_image *im, const char *name, uint64_t *addr);
/* ELF type: ET_EXEC, ET_DYN, ... */
int sym_elf_type(struct sym_image *im);
/* Symbols usable for lookups (0: no symbol table, e.g. stripped). */
size_t sym_nsyms(struct sym_image *im);
/*
 * Symbolize V (a file offset or an address, per KIND; for addresses SLIDE is
 * subtracted first).  Returns the symbol name (owned by libdwfl, valid until
 * sym_close) or NULL for "[unknown]"; LO and HI receive the range of V values
 * that map to the same answer, so callers walking sorted values may skip
 * lookups while V < *HI.
 */
const char *sym_lookup(struct sym_image *im, enum sym_addr_kind kind,
		       uint64_t v, uint64_t slide, uint64_t *lo, uint64_t *hi);
/* File offset -> link-time virtual address via PT_LOAD; -1 if in no segment. */
int sym_offset_to_vaddr(struct sym_image *im, uint64_t off, uint64_t *vaddr);
/*
 * Source position of link-time address VADDR: "file:line" into BUF and, when
 * INL is not NULL, the inline frames at VADDR ("f1 <- f2", innermost first,
 * "" when none) into INL.  -1 (BUF = "") without line information.
 */
int sym_srcline(struct sym_image *im, uint64_t vaddr, char *buf, size_t len,
		char *inl, size_t inllen);

/*
 * annotate.c's needs.  sym_extent: the symbol covering link-time address A,
 * its extent [*START, *END) and name (NULL if none).  sym_machine: the ELF
 * e_machine.  sym_read: up to LEN code bytes at A into BUF, the number read
 * (0: no code bytes there, e.g. a debug-only file).  sym_srcpos: source file
 * (as in the line table: relative ones are under *COMP_DIR, which may be
 * NULL), owned by libdw until sym_close, and line of VADDR; -1 if none.
 */
const char *sym_extent(struct sym_image *im, uint64_t a, uint64_t *start, uint64_t *end);
int sym_machine(struct sym_image *im);
size_t sym_read(struct sym_image *im, uint64_t a, void *buf, size_t len);
int sym_srcpos(struct sym_image *im, uint64_t vaddr, const char **file, const char **comp_dir,
	       int *line);

/* ===================================================================== */
/* aggregate.c: selection, symbolization, rows                           */

struct report_row {
	uint32_t	domain;		/* XPS_NONE with --columns=domain */
	const char     *domain_name;
	const char     *image;		/* full display path */
	const char     *app;		/* application image or NULL */
	const char     *symbol;		/* NULL in the image summary */
	uint32_t	tgid, tid, cpu;	/* XPS_NONE when not separated/merged */
	uint64_t	samples;	/* sum over the columns */
	uint64_t       *col;		/* per column (r->ncols entries) */
	uint64_t	vma;		/* symbol start (or lowest sampled) address */
	const char     *src;		/* -g: "file:line" of the symbol, or NULL */
	size_t		det, ndet;	/* -d: r->det[det .. det + ndet) */
};

/* -d: one sampled address inside a symbol. */
struct report_detail {
	uint64_t	vma;
	uint64_t	samples;
	const char     *src;		/* -g: "file:line", or NULL */
	const char     *inl;		/* -g: inline frames, or NULL */
};

/* A sample column: an event, a domain, a session or a side of a diff. */
struct report_col {
	const char     *name;
	uint64_t	total;		/* samples of the column in the selection */
	uint64_t	lost;
};

/* Per-domain totals (every selected profile, also those without samples). */
struct report_cpu_loss {
	uint32_t	cpu;		/* cpu / vcpu, XPS_NONE: not per cpu */
	uint64_t	count;
};

struct report_domain {
	uint32_t	domid;
	const char     *name;
	uint64_t	samples, xen, kernel, user, lost;
	struct report_cpu_loss *lost_cpu;	/* sorted by cpu */
	size_t		nlost_cpu;
};

/* Stack formats and -c: a distinct address (location) and the samples. */
struct report_loc {
	uint64_t	offset;		/* as in xps_key */
	uint64_t	vma;		/* link-time address (file images) or offset */
	uint32_t	img;		/* index into report images (report_image_*) */
	const char     *symbol;		/* never NULL after aggregation ("[unknown]") */
	const char     *image;		/* display path */
};

struct report_stack {
	uint32_t	leaf;		/* loc index */
	uint32_t	chain;		/* index into r->chains, XPS_NONE: no callers */
	uint32_t	domain;
	uint32_t	col;
	uint64_t	count;
	/* The process the stack ran in: its executable's display path (NULL:
	 * not recorded) and its tgid (XPS_NONE: not recorded or merged). */
	const char     *proc;
	uint32_t	tgid;
};

struct report_chain {
	size_t		first;		/* into r->chain_locs: callers innermost first */
	uint32_t	n;
};

struct report_event {
	const char     *name;
	uint64_t	count;
	uint32_t	unit_mask;
	uint64_t	total;		/* samples of this event in the selection */
};

/*
 * Samples the report could not name with a function, by image and reason:
 * with symbols asked for, every sample left at "[unknown]"; without, the
 * samples of images that have no file to read symbols from.
 */
struct report_unsym {
	const char     *image;		/* display path */
	const char     *why;		/* what failed, in words */
	uint64_t	samples;
};

struct report_session {
	char		       *name;	/* "current" or the saved name */
	struct xps_session     *s;
	struct kallsyms	       *ksyms;	/* loaded on demand, NULL if none */
	int			ksyms_tried;
};

struct report {
	const struct report_opts *opts;
	struct report_session  *sess;
	size_t			nsess;
	struct report_event	ev[XPS_MAX_EVENTS];
	size_t			nevents;
	uint64_t		total;		/* before threshold */
	uint64_t		lost;
	uint64_t		lost_kind[XPS_LOSS_NKINDS];
	struct report_row      *rows;
	size_t			nrows;
	int			ndomains;	/* distinct domains in the rows */
	int			has_app, has_tid, has_tgid, has_cpu;
	uint32_t		separate;	/* union of the sessions' bits */
	enum col_axis		axis;
	struct report_col	cols[XPS_MAX_DOMAINS + XPS_MAX_EVENTS];
	size_t			ncols;
	struct report_domain   *doms;		/* sorted by domid */
	size_t			ndoms;
	struct report_detail   *det;		/* -d */
	size_t			ndet;
	struct report_loc      *locs;		/* every distinct (image, offset) */
	size_t			nlocs;
	struct report_stack    *stacks;		/* one per selected record */
	size_t			nstacks;
	struct report_chain    *chains;
	size_t			nchains;
	uint32_t	       *chain_locs;
	int			has_chains;
	struct report_unsym    *unsym;		/* most samples first */
	size_t			nunsym;
	uint64_t		unsym_total;	/* sum of unsym[].samples */
	void		       *priv;		/* aggregate.c state */
};

/* Report image IMG (loc->img): display path, file used, build-id, kind. */
const char *report_image_file(const struct report *r, uint32_t img);
int report_image_build_id(const struct report *r, uint32_t img, const uint8_t **id);
/* The build-id the file used for IMG was found by (checked against the recorded one), or 0. */
int report_image_content_id(const struct report *r, uint32_t img, const uint8_t **id);
int report_image_kind(const struct report *r, uint32_t img);
size_t report_nimages(const struct report *r);
const char *report_image_name(const struct report *r, uint32_t img);

/*
 * Open the sessions named by OPTS->spec (default current).  0, or 1 with a
 * one-line message in ERR (session missing, not a session, spec that names
 * something absent).
 */
int report_open(struct report *r, const struct report_opts *opts, char *err, size_t errlen);
/* Select, symbolize and aggregate into r->rows.  0, or 1 with ERR. */
int report_aggregate(struct report *r, char *err, size_t errlen);
void report_free(struct report *r);

/* ===================================================================== */
/* output*.c                                                              */

struct out_ctx {
	FILE		       *f;
	const struct report    *r;
	const struct report_opts *opts;
	int			multi_ev;	/* more than one sample column */
	uint64_t		cum;		/* -a: samples of the rows so far */
	void		       *priv;
};

/*
 * One output format; functions are called in order head, {group, row*}*, tail.
 * A format with whole() (folded, pprof) gets the report in one call instead
 * and returns 0 or -1.
 */
struct output {
	const char     *name;
	int	      (*whole)(struct out_ctx *);
	void	      (*head)(struct out_ctx *);
	/* Start of an application group (summary with --separate=library); text only. */
	void	      (*group)(struct out_ctx *, const struct report_row *app_total, int nested_rows);
	void	      (*row)(struct out_ctx *, const struct report_row *, int nested);
	void	      (*tail)(struct out_ctx *, size_t shown, size_t hidden);
};

extern const struct output out_text, out_json, out_csv, out_folded, out_pprof, out_svg;

const struct output *out_lookup(enum out_format f);
/* Sort, threshold and print R with O.  0, or -1 if writing failed. */
int out_report(const struct output *o, FILE *f, const struct report *r,
	       const struct report_opts *opts);
double out_percent(uint64_t n, uint64_t total);
const char *out_basename(const char *path);
/* Does ROW pass the threshold (any event column, or the total)? */
int out_row_shown(const struct report *r, const struct report_row *row, double pct);
/* Does ROW pass -i/-e? */
int out_row_selected(const struct report_opts *o, const struct report_row *row);
/* -c: print the call graph (text or JSON, per OPTS->format). */
int out_callgraph(FILE *f, const struct report *r, const struct report_opts *opts);
/* JSON string literal (output-json.c). */
void json_string(FILE *f, const char *s);
/* Diff of one row: percent change, and "+++" / "---" / NULL status. */
double out_diff(const struct report *r, const struct report_row *row, const char **status);

/* ===================================================================== */
/* annotate.c: --annotate (opannotate, perf annotate)                     */

/*
 * Print the annotation of R's symbols (OPTS->annot_syms, or every symbol
 * above the threshold) to F, in text or JSON.  0; 1 with ERR when nothing
 * can be annotated (no such symbol in the selection); -1 on a write error.
 */
int annotate_report(FILE *f, const struct report *r, const struct report_opts *opts,
		    char *err, size_t errlen);

/* ===================================================================== */
/* stacks.c: the frames of a stack, root first (folded, pprof, svg)       */

/* What a frame is; the svg gives each a colour family. */
enum stk_family {
	STK_DOMAIN,		/* the domain's root frame */
	STK_PROCESS,		/* the process's frame (or what ran, when no process) */
	STK_XEN,		/* hypervisor code */
	STK_KERNEL,		/* a kernel or module */
	STK_USER,		/* user space */
	STK_GUEST,		/* perf's [guests] bucket (guest mode under a vPMU) */
	STK_UNKNOWN,
};

struct stk_frame {
	const char     *name;		/* owned by the report or the stk_ctx */
	enum stk_family	family;
	uint32_t	loc;		/* r->locs index; XPS_NONE for domain and process */
	uint32_t	domain;
};

/* Domain, process, the chain's frames and the leaf. */
#define STK_MAX_FRAMES	(XPS_CHAIN_MAX + 3)

struct stk_ctx;

/* A context for R's stacks (process labels computed once); NULL never. */
struct stk_ctx *stk_new(const struct report *r);
void stk_free(struct stk_ctx *c);
/* Does every stack start with a domain frame (Xen host or several domains)? */
int stk_show_domain(const struct stk_ctx *c);
/* Frames of stack S, root first, into OUT (STK_MAX_FRAMES); their number. */
size_t stk_frames(struct stk_ctx *c, const struct report_stack *s, struct stk_frame *out);
/* The family of a location's frame (from its image). */
enum stk_family stk_loc_family(const struct report *r, const struct report_loc *l);

/* ===================================================================== */
/* imagefind.c: an image by its content                                  */

#define IMGFIND_MAX	16

/* The files to try for one image, in order, and how each was found. */
struct imgfind {
	size_t		n;
	char		path[IMGFIND_MAX][PATH_MAX];
	const char     *where[IMGFIND_MAX];	/* "the user's build-id cache", "-p"... */
};

/*
 * The existing regular files image PATH (recorded with build-id BID of
 * BIDLEN bytes, 0: none) may be read from, in the order to try them:
 * GIVEN (--vmlinux, --xen; NULL if none), then by build-id the archive's,
 * the session dir's, the user's (~/.debug) and the system's
 * (/usr/lib/debug) caches, then the -p dirs, then the recorded path (below
 * --root when given).  The caller uses the first whose build-id is BID.
 */
void imgfind_candidates(struct imgfind *f, const struct report_opts *opts, const char *path,
    const uint8_t *bid, int bidlen, const char *given);
/* Where imgfind_candidates looks, in words for a message, into BUF. */
const char *imgfind_looked(const struct report_opts *opts, int bidlen, char *buf, size_t len);

/* ===================================================================== */
/* archive.c: --archive=FILE (ustar) and archive:FILE                     */

/* Write the sessions of R and the images they need into FILE. 0 or -1 + ERR. */
int archive_write(const struct report *r, const char *file, char *err, size_t errlen);
/*
 * Extract FILE into a new temporary directory; *DIR receives it (malloc'd):
 * DIR/sessions is a session dir, DIR/root the images' root.  0 or -1 + ERR.
 */
int archive_extract(const char *file, char **dir, char *err, size_t errlen);
void archive_cleanup(const char *dir);

/* util.c: the demangled form of a C++ symbol NAME, or NULL (not C++, no
 * demangler).  The result is malloc'd; the caller frees it. */
char *report_demangle(const char *name);
/* aggregate.c: source file and line of location L (-g); -1 if unknown.
 * *FILE is interned: valid as long as the report. */
int report_loc_srcline(const struct report *r, const struct report_loc *l, const char **file,
    int64_t *line);

#endif /* XP_REPORT_H */
