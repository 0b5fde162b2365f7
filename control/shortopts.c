/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opcontrol's spellings, as people type them from memory: its short options
 * and its "--option value" form, rewritten to xenprof-ctl's long options
 * before the command line is parsed.
 *
 *   -s --start   -t --stop   -d --dump   -l --list-events   -? --help
 *   -e X --event=X   -c N --callgraph=N   -p L --separate=L   (also -e=X)
 *   --event X, --vmlinux F, ... (every SETUP option that takes a value)
 *
 * Where they would clash they are left alone: opcontrol's -h (--shutdown)
 * stays --help, and after --top (or top) -d and -n stay its delay and frame
 * count.  opcontrol's -i (--image) has no counterpart: image selection is
 * made at report time, and the error says so.  Rewriting stops at "--" and,
 * for record, at the command to run, whose own options are never touched.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctl.h"

static const struct { char c; const char *opt; int value; } ctl_short[] = {
	{ 's', "--start", 0 }, { 't', "--stop", 0 }, { 'd', "--dump", 0 },
	{ 'l', "--list-events", 0 }, { '?', "--help", 0 },
	{ 'e', "--event", 1 }, { 'c', "--callgraph", 1 }, { 'p', "--separate", 1 },
};

/* SETUP options with a value (as is_setup_opt knows them), for "--opt value". */
static const char *const ctl_valued[] = { "--event", "--vmlinux", "--xen", "--separate",
	"--active-domains", "--passive-domains", "--passive-images", "--callgraph", "--backend",
	"--flush-interval", "--session-dir" };

static char *
joined(const char *opt, const char *val)
{
	size_t n = strlen(opt) + strlen(val) + 2;
	char *s = malloc(n);

	if (s == NULL)
		err(1, "malloc");
	snprintf(s, n, "%s=%s", opt, val);
	return s;
}

int
ctl_expand_opts(int *argcp, char ***argvp)
{
	int argc = *argcp, n = 1, top = 0, record = 0, stop = 0;
	char **argv = *argvp, **out = calloc((size_t)argc + 1, sizeof(*out));

	if (out == NULL)
		err(1, "calloc");
	out[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;

		if (stop || strcmp(a, "--") == 0 || (record && a[0] != '-')) {
			stop = 1;
			out[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--top") == 0 || strcmp(a, "top") == 0)
			top = 1;
		if (strcmp(a, "--record") == 0 || strcmp(a, "record") == 0) {
			record = 1;
			out[n++] = argv[i];
			continue;
		}
		if (a[0] == '-' && a[1] != '-' && a[1] != '\0' && (a[2] == '\0' || a[2] == '=')) {
			if (a[1] == 'i') {
				warnx("%s: opcontrol's --image has no counterpart: select images when "
				    "reporting (xenprof-report image:LIST)", a);
				free(out);
				return 2;
			}
			for (k = 0; k < sizeof(ctl_short) / sizeof(ctl_short[0]); k++)
				if (ctl_short[k].c == a[1])
					break;
			if (k < sizeof(ctl_short) / sizeof(ctl_short[0]) &&
			    !(top && (a[1] == 'd' || a[1] == 'n'))) {
				if (!ctl_short[k].value) {
					if (a[2] == '=') {
						warnx("%s: %s takes no value", a, ctl_short[k].opt);
						free(out);
						return 2;
					}
					out[n++] = (char *)ctl_short[k].opt;
				} else if (a[2] == '=') {
					out[n++] = joined(ctl_short[k].opt, a + 3);
				} else if (i + 1 < argc) {
					out[n++] = joined(ctl_short[k].opt, argv[++i]);
				} else {
					warnx("%s (%s) needs a value", a, ctl_short[k].opt);
					free(out);
					return 2;
				}
				continue;
			}
		}
		/* "--event X": opcontrol's spelling of --event=X. */
		for (k = 0; k < sizeof(ctl_valued) / sizeof(ctl_valued[0]); k++)
			if (strcmp(a, ctl_valued[k]) == 0)
				break;
		if (k < sizeof(ctl_valued) / sizeof(ctl_valued[0]) && i + 1 < argc &&
		    argv[i + 1][0] != '-') {
			out[n++] = joined(a, argv[++i]);
			continue;
		}
		out[n++] = argv[i];
	}
	out[n] = NULL;
	*argcp = n;
	*argvp = out;	/* lives until exit, like the strings it points to */
	return 0;
}
