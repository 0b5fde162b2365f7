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
	OPT_NOTIMPL,
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
	/* In the contract, not implemented yet: a clear usage error. */
	{ "details",		no_argument,		NULL, 'd' },
	{ "debug-info",		no_argument,		NULL, 'g' },
	{ "callgraph",		no_argument,		NULL, 'c' },
	{ "include-symbols",	required_argument,	NULL, 'i' },
	{ "exclude-symbols",	required_argument,	NULL, 'e' },
	{ "sort",		required_argument,	NULL, 's' },
	{ NULL, 0, NULL, 0 },
};
static const char short_opts[] = ":lt:p:R:fo:m:nhvdgci:e:s:";

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
			else if (strcmp(optarg, "folded") == 0 || strcmp(optarg, "pprof") == 0) {
				snprintf(err, errlen, "--format=%s is not implemented yet; "
					 "use text, json or csv", optarg);
				return 2;
			} else {
				snprintf(err, errlen, "--format: unknown format '%.64s'; "
					 "use text, json or csv", optarg);
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
		case 'h':
			o->help = 1;
			break;
		case 'v':
			o->version = 1;
			break;
		case 'd': case 'g': case 'c': case 'i': case 'e': case 's':
			snprintf(err, errlen, "option '%s' is not implemented yet",
				 argv[optind - 1] ? argv[optind - 1] : "?");
			return 2;
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
	for (int i = optind; i < argc; i++)
		if (spec_add(o->spec, argv[i], err, errlen) != 0)
			return 2;
	return 0;
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
	      "      --format=FMT         text (default), json or csv\n"
	      "      --vmlinux=FILE       uncompressed kernel image to symbolize with\n"
	      "      --xen=FILE           uncompressed hypervisor image (xen-syms)\n"
	      "  -p, --image-path=DIRS    look for missing images by name in DIRS (, or :)\n"
	      "  -R, --root=DIR           images are under DIR (e.g. another machine's /)\n"
	      "  -f, --long-filenames     full image paths in text output\n"
	      "  -m, --merge=LIST         fold separated data: lib,tid,tgid,cpu,all\n"
	      "  -n, --no-header          no header in text output\n"
	      "  -o, --output-file=FILE   write the report to FILE\n"
	      "  -h, --help               this help\n"
	      "  -v, --version            version\n"
	      "\n"
	      "PROFILE-SPEC: session:NAME[,NAME]  domain:ID|NAME[,...]  image:PATH|NAME|GLOB[,...]\n"
	      "              event:NAME  tid:LIST  tgid:LIST  cpu:LIST  (a bare word is an image)\n"
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
	if (report_open(&rep, &opts, err, sizeof(err)) != 0 ||
	    report_aggregate(&rep, err, sizeof(err)) != 0) {
		fprintf(stderr, REPORT_PROG ": %s\n", err);
		report_free(&rep);
		report_opts_free(&opts);
		return 1;
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
	rc = out_report(out, f, &rep, &opts);
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
