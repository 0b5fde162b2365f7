/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprof-report: per-image and per-symbol reports of xenprof sessions (the
 * successor of opreport).  main() parses the options, opens the sessions,
 * aggregates, and prints through one output vtable.
 *
 * Exit status: 0 success, 1 error (session missing or unreadable, a spec
 * that names nothing, write error), 2 usage error.  Errors are one line on
 * stderr prefixed "xenprof-report: "; warnings (missing images, build-id
 * mismatches, corrupt profile files) never stop the report.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report/report.h"

/* ===================================================================== */
/* Options                                                                */

enum {
	OPT_SESSION_DIR = 256,
	OPT_FORMAT,
	OPT_VMLINUX,
	OPT_XEN,
	OPT_GLOBAL_PERCENT,
	OPT_COLUMNS,
	OPT_ARCHIVE,
	OPT_ANNOTATE,
	OPT_SOURCE,
	OPT_ASSEMBLY,
	OPT_ASM_SYNTAX,
};

static const struct option long_opts[] = {
	{ "symbols",		no_argument,		NULL, 'l' },
	{ "threshold",		required_argument,	NULL, 't' },
	{ "session-dir",	required_argument,	NULL, OPT_SESSION_DIR },
	{ "format",		required_argument,	NULL, OPT_FORMAT },
	{ "vmlinux",		required_argument,	NULL, OPT_VMLINUX },
	{ "xen",		required_argument,	NULL, OPT_XEN },
	{ "image-path",		required_argument,	NULL, 'p' },
	{ "root",		required_argument,	NULL, 'R' },
	{ "long-filenames",	no_argument,		NULL, 'f' },
	{ "output-file",	required_argument,	NULL, 'o' },
	{ "merge",		required_argument,	NULL, 'm' },
	{ "no-header",		no_argument,		NULL, 'n' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, 'v' },
	{ "details",		no_argument,		NULL, 'd' },
	{ "debug-info",		no_argument,		NULL, 'g' },
	{ "callgraph",		no_argument,		NULL, 'c' },
	{ "include-symbols",	required_argument,	NULL, 'i' },
	{ "exclude-symbols",	required_argument,	NULL, 'e' },
	{ "sort",		required_argument,	NULL, 's' },
	{ "reverse-sort",	no_argument,		NULL, 'r' },
	{ "show-address",	no_argument,		NULL, 'w' },
	{ "accumulated",	no_argument,		NULL, 'a' },
	{ "global-percent",	no_argument,		NULL, OPT_GLOBAL_PERCENT },
	{ "columns",		required_argument,	NULL, OPT_COLUMNS },
	{ "archive",		required_argument,	NULL, OPT_ARCHIVE },
	{ "demangle",		required_argument,	NULL, 'D' },
	{ "exclude-dependent",	no_argument,		NULL, 'x' },
	{ "annotate",		optional_argument,	NULL, OPT_ANNOTATE },
	{ "source",		no_argument,		NULL, OPT_SOURCE },
	{ "assembly",		no_argument,		NULL, OPT_ASSEMBLY },
	{ "asm-syntax",		required_argument,	NULL, OPT_ASM_SYNTAX },
	{ NULL, 0, NULL, 0 },
};
static const char short_opts[] = ":lt:p:R:fo:m:nhvdgci:e:s:rwaD:x";

static void
name_list_add(char ***list, const char *arg)
{
	size_t n = 0;
	const char *p = arg;

	while (*list && (*list)[n])
		n++;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			*list = xrealloc(*list, (n + 2) * sizeof(char *));
			(*list)[n] = xmalloc(len + 1);
			memcpy((*list)[n], p, len);
			(*list)[n][len] = '\0';
			(*list)[++n] = NULL;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
}

static int
parse_sort(const char *arg, struct report_opts *o)
{
	static const struct { const char *n; int key; } tab[] = {
		{ "samples", SORT_SAMPLES }, { "sample", SORT_SAMPLES }, { "image", SORT_IMAGE },
		{ "symbol", SORT_SYMBOL }, { "domain", SORT_DOMAIN }, { "vma", SORT_VMA },
		{ "app-name", SORT_APP }, { "app", SORT_APP },
	};
	const char *p = arg;

	o->nsort = 0;
	for (;;) {
		size_t len = strcspn(p, ","), i;
		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (strlen(tab[i].n) == len && strncmp(tab[i].n, p, len) == 0)
				break;
		if (i == sizeof(tab) / sizeof(tab[0]) || o->nsort == SORT_MAX)
			return -1;
		o->sort[o->nsort++] = tab[i].key;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

static int
has_sort(const struct report_opts *o, int key)
{
	for (int i = 0; i < o->nsort; i++)
		if (o->sort[i] == key)
			return 1;
	return 0;
}

/* Options that cannot go together: one line naming both. 0 or 2. */
static int
check_combinations(struct report_opts *o, char *err, size_t errlen)
{
	int stackfmt = o->format == OUT_FOLDED || o->format == OUT_PPROF || o->format == OUT_SVG;
	const char *bad = NULL;

	if (o->annotate && (o->callgraph || o->details || o->nsides || o->columns != COL_EVENT ||
			    o->accumulated || o->archive_out ||
			    (o->format != OUT_TEXT && o->format != OUT_JSON)))
		bad = "--annotate (--source, --assembly) goes with text or json output only, not with "
		    "-c, -d, -a, --columns, --archive or a { } { } diff";
	else if (o->details && o->callgraph)
		bad = "-d/--details cannot go with -c/--callgraph";
	else if (o->nsides && o->callgraph)
		bad = "a differential report { } { } cannot go with -c/--callgraph";
	else if (o->nsides && o->details)
		bad = "a differential report { } { } cannot go with -d/--details";
	else if (o->nsides && o->columns != COL_EVENT)
		bad = "a differential report { } { } cannot go with --columns";
	else if (o->columns != COL_EVENT && o->callgraph)
		bad = "--columns cannot go with -c/--callgraph";
	else if (stackfmt && (o->callgraph || o->details || o->nsides || o->columns != COL_EVENT ||
			      o->accumulated))
		bad = "--format=folded/pprof/svg cannot go with -c, -d, -a, --columns or a { } { } diff";
	else if (o->format == OUT_CSV && (o->callgraph || o->details))
		bad = "--format=csv cannot go with -c or -d (use text or json)";
	else if (o->accumulated && o->callgraph)
		bad = "-a/--accumulated cannot go with -c/--callgraph";
	else if (o->global_percent && !o->details && !o->callgraph)
		bad = "--global-percent needs -d/--details or -c/--callgraph";
	else if (o->archive_out && (o->callgraph || o->details || o->nsides || stackfmt))
		bad = "--archive writes an archive, not a report: give only profile specs";
	if (bad == NULL && !o->symbols) {
		if (o->debug_info)
			bad = "-g/--debug-info needs -l/--symbols";
		else if (o->show_address)
			bad = "-w/--show-address needs -l/--symbols";
		else if (o->accumulated)
			bad = "-a/--accumulated needs -l/--symbols";
		else if (o->incl_syms || o->excl_syms)
			bad = "-i/-e need -l/--symbols";
		else if (has_sort(o, SORT_VMA) || has_sort(o, SORT_SYMBOL))
			bad = "--sort=vma and --sort=symbol need -l/--symbols";
	}
	if (bad == NULL && o->callgraph && o->nsort)
		bad = "-s/--sort cannot go with -c/--callgraph (functions sort by self samples)";
	if (bad != NULL) {
		snprintf(err, errlen, "%s", bad);
		return 2;
	}
	return 0;
}

static void
path_list_add(struct report_opts *o, const char *arg)
{
	size_t n = 0;
	const char *p = arg;

	while (o->image_path && o->image_path[n])
		n++;
	for (;;) {
		size_t len = strcspn(p, ",:");
		if (len > 0) {
			o->image_path = xrealloc(o->image_path, (n + 2) * sizeof(char *));
			o->image_path[n] = xmalloc(len + 1);
			memcpy(o->image_path[n], p, len);
			o->image_path[n][len] = '\0';
			o->image_path[++n] = NULL;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
}

static int
parse_merge(const char *arg, unsigned *out)
{
	static const struct { const char *n; unsigned bits; } tab[] = {
		{ "lib", MERGE_LIB }, { "library", MERGE_LIB }, { "tid", MERGE_TID },
		{ "tgid", MERGE_TGID | MERGE_TID }, { "cpu", MERGE_CPU }, { "all", MERGE_ALL },
		{ "unitmask", 0 },
	};
	const char *p = arg;

	*out = 0;
	for (;;) {
		size_t len = strcspn(p, ","), i;
		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (strlen(tab[i].n) == len && strncmp(tab[i].n, p, len) == 0)
				break;
		if (i == sizeof(tab) / sizeof(tab[0]))
			return -1;
		*out |= tab[i].bits;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

void
report_opts_free(struct report_opts *o)
{
	for (size_t i = 0; o->image_path && o->image_path[i]; i++)
		free(o->image_path[i]);
	free(o->image_path);
	spec_free(o->spec);
	spec_free(o->side[0]);
	spec_free(o->side[1]);
	for (size_t i = 0; o->incl_syms && o->incl_syms[i]; i++)
		free(o->incl_syms[i]);
	free(o->incl_syms);
	for (size_t i = 0; o->excl_syms && o->excl_syms[i]; i++)
		free(o->excl_syms[i]);
	free(o->excl_syms);
	for (size_t i = 0; o->annot_syms && o->annot_syms[i]; i++)
		free(o->annot_syms[i]);
	free(o->annot_syms);
	if (o->archive_tmp) {
		archive_cleanup(o->archive_tmp);
		free(o->archive_tmp);
	}
	memset(o, 0, sizeof(*o));
}

int
report_parse_args(int argc, char **argv, struct report_opts *o, char *err, size_t errlen)
{
	int c;
	char *end;

	memset(o, 0, sizeof(*o));
	o->spec = spec_new();
	o->format = OUT_TEXT;
	optind = 0;		/* full reset of getopt's state (glibc) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o->symbols = 1;
			break;
		case 't':
			errno = 0;
			o->threshold = strtod(optarg, &end);
			if (errno || end == optarg || *end != '\0' || !(o->threshold >= 0.0) ||
			    o->threshold > 100.0) {
				snprintf(err, errlen, "--threshold: '%.64s' is not a percentage "
					 "between 0 and 100", optarg);
				return 2;
			}
			break;
		case OPT_SESSION_DIR:
			o->sessdir = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->format = OUT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->format = OUT_JSON;
			else if (strcmp(optarg, "csv") == 0)
				o->format = OUT_CSV;
			else if (strcmp(optarg, "folded") == 0)
				o->format = OUT_FOLDED;
			else if (strcmp(optarg, "pprof") == 0)
				o->format = OUT_PPROF;
			else if (strcmp(optarg, "svg") == 0)
				o->format = OUT_SVG;
			else {
				snprintf(err, errlen, "--format: unknown format '%.64s'; "
					 "use text, json, csv, folded, pprof or svg", optarg);
				return 2;
			}
			break;
		case OPT_VMLINUX:
			o->vmlinux = optarg;
			break;
		case OPT_XEN:
			o->xen = optarg;
			break;
		case 'p':
			path_list_add(o, optarg);
			break;
		case 'R':
			o->root = optarg;
			break;
		case 'f':
			o->long_names = 1;
			break;
		case 'o':
			o->outfile = optarg;
			break;
		case 'm':
			if (parse_merge(optarg, &o->merge) != 0) {
				snprintf(err, errlen, "--merge: '%.64s': use a comma list of "
					 "lib, tid, tgid, cpu, unitmask, all", optarg);
				return 2;
			}
			break;
		case 'n':
			o->no_header = 1;
			break;
		case 'x':
			o->exclude_dependent = 1;
			break;
		case 'D':
			if (strcmp(optarg, "none") == 0)
				o->no_demangle = 1;
			else if (strcmp(optarg, "normal") == 0 || strcmp(optarg, "smart") == 0)
				o->no_demangle = 0;
			else {
				snprintf(err, errlen, "--demangle: '%.64s': use none or normal", optarg);
				return 2;
			}
			break;
		case 'h':
			o->help = 1;
			break;
		case 'v':
			o->version = 1;
			break;
		case 'd':
			o->details = o->symbols = 1;
			break;
		case 'g':
			o->debug_info = 1;
			break;
		case 'c':
			o->callgraph = o->symbols = 1;
			break;
		case 'i':
			name_list_add(&o->incl_syms, optarg);
			break;
		case 'e':
			name_list_add(&o->excl_syms, optarg);
			break;
		case 's':
			if (parse_sort(optarg, o) != 0) {
				snprintf(err, errlen, "--sort: '%.64s': use a comma list of samples, "
					 "image, symbol, domain, vma, app-name", optarg);
				return 2;
			}
			break;
		case 'r':
			o->reverse = 1;
			break;
		case 'w':
			o->show_address = 1;
			break;
		case 'a':
			o->accumulated = 1;
			break;
		case OPT_GLOBAL_PERCENT:
			o->global_percent = 1;
			break;
		case OPT_COLUMNS:
			if (strcmp(optarg, "domain") == 0)
				o->columns = COL_DOMAIN;
			else if (strcmp(optarg, "session") == 0)
				o->columns = COL_SESSION;
			else if (strcmp(optarg, "event") == 0)
				o->columns = COL_EVENT;
			else {
				snprintf(err, errlen, "--columns: '%.64s': use domain, session or event",
					 optarg);
				return 2;
			}
			break;
		case OPT_ARCHIVE:
			o->archive_out = optarg;
			break;
		case OPT_ANNOTATE:	/* annotate.c; --annotate=SYMBOLS */
			o->annotate = o->symbols = 1;
			if (optarg != NULL) {
				if (*optarg == '\0') {
					snprintf(err, errlen, "--annotate=: give symbol names, or none "
						 "for every symbol");
					return 2;
				}
				name_list_add(&o->annot_syms, optarg);
			}
			break;
		case OPT_SOURCE:
			o->annotate = o->symbols = o->annot_source = 1;
			break;
		case OPT_ASSEMBLY:
			o->annotate = o->symbols = o->annot_asm = 1;
			break;
		case OPT_ASM_SYNTAX:
			if (strcmp(optarg, "intel") == 0 || strcmp(optarg, "att") == 0) {
				o->asm_intel = optarg[0] == 'i';
			} else {
				snprintf(err, errlen, "--asm-syntax: '%.64s': use att or intel", optarg);
				return 2;
			}
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value",
				 optopt ? (char[]){ '-', (char)optopt, '\0' } :
				 (argv[optind - 1] ? argv[optind - 1] : "?"));
			return 2;
		case '?':
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%.64s'",
					 argv[optind - 1] ? argv[optind - 1] : "?");
			return 2;
		}
	}
	/* Profile specs; "{ spec } { spec }" is the differential form. */
	struct spec *sides[2] = { NULL, NULL }, *cur = o->spec;
	int nsides = 0, open = 0;
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "{") == 0) {
			if (open || nsides == 2) {
				snprintf(err, errlen, "differential form: use exactly "
					 "'{ SPEC... } { SPEC... }' (braces are separate words)");
				goto bad;
			}
			open = 1;
			cur = sides[nsides] = spec_new();
			continue;
		}
		if (strcmp(argv[i], "}") == 0) {
			if (!open) {
				snprintf(err, errlen, "differential form: '}' without '{'");
				goto bad;
			}
			open = 0;
			nsides++;
			cur = o->spec;
			continue;
		}
		if (argv[i][0] == '{' || (argv[i][0] && argv[i][strlen(argv[i]) - 1] == '}')) {
			snprintf(err, errlen, "differential form: '%.64s': put spaces around the "
				 "braces, as in '{ session:a } { session:b }'", argv[i]);
			goto bad;
		}
		if (spec_add(cur, argv[i], err, errlen) != 0)
			goto bad;
	}
	if (open || nsides == 1) {
		snprintf(err, errlen, "differential form: use exactly '{ SPEC... } { SPEC... }'");
		goto bad;
	}
	if (nsides == 2) {
		for (int k = 0; k < 2; k++) {
			o->side[k] = spec_merge(o->spec, sides[k]);
			spec_free(sides[k]);
		}
		o->nsides = 2;
		if (o->side[0]->archives.n != o->spec->archives.n ||
		    o->side[1]->archives.n != o->spec->archives.n) {
			snprintf(err, errlen, "archive: goes outside the braces (both sides read it)");
			return 2;
		}
	}
	return check_combinations(o, err, errlen);
bad:
	spec_free(sides[0]);
	spec_free(sides[1]);
	return 2;
}

#ifndef REPORT_NO_MAIN
static void
usage(FILE *f)
{
	fputs("Usage: xenprof-report [OPTIONS] [PROFILE-SPEC...]\n"
	      "Per-image (default) or per-symbol report of a xenprof session.\n"
	      "\n"
	      "  -l, --symbols            one row per symbol instead of per image\n"
	      "  -t, --threshold=PCT      hide rows below PCT percent\n"
	      "      --session-dir=DIR    sessions live in DIR (default /var/lib/xenprof)\n"
	      "      --format=FMT         text (default), json, csv, folded (flame graph stacks),\n"
	      "                           pprof (gzipped profile.proto; with -o FILE) or\n"
	      "                           svg (an interactive flame graph)\n"
	      "  -d, --details            per-address lines inside each symbol (implies -l)\n"
	      "  -g, --debug-info         source file:line (and inline frames with -d)\n"
	      "  -c, --callgraph          callers and callees per function (implies -l)\n"
	      "  -i, --include-symbols=L  only these symbols;  -e, --exclude-symbols=L\n"
	      "  -s, --sort=KEYS          samples,image,symbol,domain,vma,app-name\n"
	      "  -r, --reverse-sort       reverse the order\n"
	      "  -w, --show-address       vma column\n"
	      "  -a, --accumulated        cumulative samples and percent columns\n"
	      "      --global-percent     -d/-c percentages of the whole selection\n"
	      "      --columns=AXIS       domain or session: side-by-side sample columns\n"
	      "      --archive=FILE       pack the sessions and their images into FILE\n"
	      "      --annotate[=SYMS]    per-instruction and per-source-line samples of each\n"
	      "                           symbol (opannotate), hottest first\n"
	      "      --source, --assembly only the source lines / only the disassembly\n"
	      "      --asm-syntax=S       att (default) or intel\n"
	      "      --vmlinux=FILE       uncompressed kernel image to symbolize with\n"
	      "      --xen=FILE           uncompressed hypervisor image (xen-syms)\n"
	      "  -p, --image-path=DIRS    look for missing images by name in DIRS (, or :)\n"
	      "  -R, --root=DIR           images are under DIR (e.g. another machine's /)\n"
	      "  -f, --long-filenames     full image paths in text output\n"
	      "  -m, --merge=LIST         fold separated data: lib,tid,tgid,cpu,all\n"
	      "  -n, --no-header          no header in text output\n"
	      "  -D, --demangle=MODE      C++ names: normal (default) or none\n"
	      "  -x, --exclude-dependent  applications' own code only (--separate=library sessions)\n"
	      "  -o, --output-file=FILE   write the report to FILE\n"
	      "  -h, --help               this help\n"
	      "  -v, --version            version\n"
	      "\n"
	      "PROFILE-SPEC: session:NAME[,NAME]  domain:ID|NAME[,...]  image:PATH|NAME|GLOB[,...]\n"
	      "              event:NAME  tid:LIST  tgid:LIST  cpu:LIST  (a bare word is an image)\n"
	      "              session-exclude:  image-exclude:  lib-image:  count:  unit-mask:\n"
	      "              archive:FILE      differential: { SPEC... } { SPEC... }\n"
	      "Exit status: 0 ok, 1 error, 2 usage error.  See xenprof-report(1).\n", f);
}

int
main(int argc, char **argv)
{
	struct report_opts opts;
	struct report rep;
	char err[2048];
	const struct output *out;
	FILE *f = stdout;
	int rc;

	err[0] = '\0';
	rc = report_parse_args(argc, argv, &opts, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, REPORT_PROG ": %s (see --help)\n", err);
		report_opts_free(&opts);
		return rc;
	}
	if (opts.help) {
		usage(stdout);
		report_opts_free(&opts);
		return 0;
	}
	if (opts.version) {
		printf("xenprof-report (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		report_opts_free(&opts);
		return 0;
	}
	out = out_lookup(opts.format);
	if (opts.format == OUT_PPROF && (opts.outfile == NULL || strcmp(opts.outfile, "-") == 0) &&
	    isatty(STDOUT_FILENO)) {
		fprintf(stderr, REPORT_PROG ": --format=pprof writes gzipped binary: use -o FILE "
			"(see --help)\n");
		report_opts_free(&opts);
		return 2;
	}
	/* archive:FILE: extract, then report from it as from a session dir and --root. */
	static char sessbuf[PATH_MAX], rootbuf[PATH_MAX];
	if (opts.spec->archives.n) {
		if (archive_extract(opts.spec->archives.v[0], &opts.archive_tmp, err, sizeof(err)) != 0) {
			fprintf(stderr, REPORT_PROG ": %s\n", err);
			report_opts_free(&opts);
			return 1;
		}
		snprintf(sessbuf, sizeof(sessbuf), "%s/sessions", opts.archive_tmp);
		opts.sessdir = sessbuf;
		if (opts.root == NULL) {
			snprintf(rootbuf, sizeof(rootbuf), "%s/root", opts.archive_tmp);
			opts.root = rootbuf;
		}
	}
	if (report_open(&rep, &opts, err, sizeof(err)) != 0 ||
	    report_aggregate(&rep, err, sizeof(err)) != 0) {
		fprintf(stderr, REPORT_PROG ": %s\n", err);
		report_free(&rep);
		report_opts_free(&opts);
		return 1;
	}
	if (opts.archive_out != NULL) {
		rc = archive_write(&rep, opts.archive_out, err, sizeof(err));
		if (rc != 0)
			fprintf(stderr, REPORT_PROG ": %s\n", err);
		report_free(&rep);
		report_opts_free(&opts);
		report_warnings_reset();
		return rc != 0 ? 1 : 0;
	}
	if (opts.outfile != NULL && strcmp(opts.outfile, "-") != 0) {
		f = fopen(opts.outfile, "w");
		if (f == NULL) {
			fprintf(stderr, REPORT_PROG ": %s: %s\n", opts.outfile, strerror(errno));
			report_free(&rep);
			report_opts_free(&opts);
			return 1;
		}
	}
	if (opts.annotate) {
		rc = annotate_report(f, &rep, &opts, err, sizeof(err));
		if (rc == 1) {
			fprintf(stderr, REPORT_PROG ": %s\n", err);
			if (f != stdout)
				fclose(f);
			report_free(&rep);
			report_opts_free(&opts);
			return 1;
		}
	} else {
		rc = out_report(out, f, &rep, &opts);
	}
	if (f != stdout && fclose(f) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, REPORT_PROG ": %s: write error: %s\n",
			opts.outfile ? opts.outfile : "stdout", strerror(errno));
	}
	report_free(&rep);
	report_opts_free(&opts);
	report_warnings_reset();
	return rc != 0 ? 1 : 0;
}
#endif
