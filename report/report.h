/*
 * xenprof-report internals: one header for the report program, split into
 * sections by the file that implements them.
 *
 * Data flow: options (xenprof-report.c) and profile specs (spec.c) select
 * sessions, domains, events, images, threads and cpus; aggregate.c walks the
 * selected records once, symbolizes each distinct (image, offset) pair once
 * (symbols.c for ELF files, kallsyms.c for the session's kallsyms copy) and
 * folds the counts into rows; output.c sorts, thresholds and hands the rows
 * to one output vtable (output-text.c, output-json.c, output-csv.c).
 *
 * Ownership: strings in rows and images are interned in the report's string
 * pool (struct strpool) and live until report_free(); nothing else frees them.
 */
#ifndef XP_REPORT_H
#define XP_REPORT_H

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
/* options (xenprof-report.c)                                            */

enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV };

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
	int		help, version;
	struct spec    *spec;		/* owned */
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

/* ===================================================================== */
/* aggregate.c: selection, symbolization, rows                           */

struct report_row {
	uint32_t	domain;
	const char     *domain_name;
	const char     *image;		/* full display path */
	const char     *app;		/* application image or NULL */
	const char     *symbol;		/* NULL in the image summary */
	uint32_t	tgid, tid, cpu;	/* XPS_NONE when not separated/merged */
	uint64_t	samples;	/* sum over the selected events */
	uint64_t       *ev;		/* per selected event (nevents entries) */
};

struct report_event {
	const char     *name;
	uint64_t	count;
	uint32_t	unit_mask;
	uint64_t	total;		/* samples of this event in the selection */
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
	void		       *priv;		/* aggregate.c state */
};

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
	int			multi_ev;	/* more than one event column */
	void		       *priv;
};

/* One output format; functions are called in order head, {group, row*}*, tail. */
struct output {
	const char     *name;
	void	      (*head)(struct out_ctx *);
	/* Start of an application group (summary with --separate=library); text only. */
	void	      (*group)(struct out_ctx *, const struct report_row *app_total, int nested_rows);
	void	      (*row)(struct out_ctx *, const struct report_row *, int nested);
	void	      (*tail)(struct out_ctx *, size_t shown, size_t hidden);
};

extern const struct output out_text, out_json, out_csv;

const struct output *out_lookup(enum out_format f);
/* Sort, threshold and print R with O.  0, or -1 if writing failed. */
int out_report(const struct output *o, FILE *f, const struct report *r,
	       const struct report_opts *opts);
double out_percent(uint64_t n, uint64_t total);
const char *out_basename(const char *path);
/* Does ROW pass the threshold (any event column, or the total)? */
int out_row_shown(const struct report *r, const struct report_row *row, double pct);

#endif /* XP_REPORT_H */
