/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprof-ctl: manage xenprof sessions (the successor of opcontrol).
 *
 *   xenprof-ctl [--session-dir=DIR] COMMAND [SETUP...]
 *
 * Exactly one command per run; see ctl_cmds[] and xenprof-ctl(1).
 */

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control/ctl.h"

static const struct ctl_cmd *ctl_cmds[] = {
	&ctl_setup_cmd,
	&ctl_start_daemon_cmd,
	&ctl_start_cmd,
	&ctl_stop_cmd,
	&ctl_dump_cmd,
	&ctl_save_cmd,
	&ctl_reset_cmd,
	&ctl_shutdown_cmd,
	&ctl_status_cmd,
	&ctl_list_events_cmd,
	&ctl_doctor_cmd,
	&ctl_record_cmd,
	&ctl_top_cmd,
};
#define NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: xenprof-ctl [--session-dir=DIR] COMMAND [SETUP...]\n"
	    "       xenprof-ctl record [--session-dir=DIR] [--pid-only] [SETUP...] -- COMMAND [ARGS...]\n"
	    "       xenprof-ctl --top [--session-dir=DIR] [-d SECONDS] [-n FRAMES]\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", ctl_cmds[i]->usage);
	fprintf(f, "\nSETUP: --event=NAME:COUNT[:UNITMASK[:KERNEL[:USER]]] (repeatable)\n"
	    "       --vmlinux=FILE | --no-vmlinux      --xen=FILE\n"
	    "       --separate=none|library|kernel|thread|cpu|all\n"
	    "       --active-domains=LIST  --passive-domains=LIST  --passive-images=LIST\n"
	    "       --callgraph=DEPTH      --backend=auto|xenoprof|perf\n"
	    "       --flush-interval=MS    --force-images\n"
	    "\nopcontrol's short options work too: -e EVENT, -c DEPTH, -p SEPARATE, -s (start),\n"
	    "-t (stop), -d (dump), -l (list events); -h is --help (not opcontrol's shutdown).\n"
	    "\nThe session dir defaults to /var/lib/xenprof.  See xenprof-ctl(1).\n");
}

/* The command ARG names ("--stop", "--save=x"), or NULL. */
static const struct ctl_cmd *
find_cmd(const char *arg, const char **value)
{
	*value = NULL;
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	for (size_t i = 0; i < NCMDS; i++) {
		size_t n = strlen(ctl_cmds[i]->name);

		if (strncmp(arg + 2, ctl_cmds[i]->name, n) != 0)
			continue;
		if (arg[2 + n] == '\0')
			return ctl_cmds[i];
		if (arg[2 + n] == '=') {
			*value = arg + 3 + n;
			return ctl_cmds[i];
		}
	}
	return NULL;
}

/* Is ARG a SETUP option (syntax only; values are checked later)? */
static int
is_setup_opt(const char *arg)
{
	static const char *names[] = { "event=", "vmlinux=", "no-vmlinux", "xen=", "separate=",
		"active-domains=", "passive-domains=", "passive-images=", "callgraph=",
		"backend=", "flush-interval=", "force-images" };

	if (strncmp(arg, "--", 2) != 0)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);

		if (strncmp(arg + 2, names[i], n) == 0 &&
		    (names[i][n - 1] == '=' || arg[2 + n] == '\0'))
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl c = { .sessdir = "/var/lib/xenprof", .timeout_s = 30, .delay_s = 2 };
	const struct ctl_cmd *cmd = NULL;
	/* static: lives until exit, as its strings go into the setup file */
	static char **setup;

	if (ctl_expand_opts(&argc, &argv) != 0)
		return 2;
	setup = calloc((size_t)argc + 1, sizeof(*setup));
	if (setup == NULL)
		err(1, "calloc");
	if (getenv("XENPROF_TIMEOUT"))
		c.timeout_s = atoi(getenv("XENPROF_TIMEOUT")) > 0 ? atoi(getenv("XENPROF_TIMEOUT")) : 30;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *value;
		const struct ctl_cmd *k;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "-?") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
			printf("xenprof-ctl %s\n", PACKAGE_VERSION);
			return 0;
		}
		if (strncmp(a, "--session-dir=", 14) == 0) {
			c.sessdir = a + 14;
			c.sessdir_given = true;
			if (*c.sessdir == '\0') {
				warnx("--session-dir needs a directory");
				return 2;
			}
			continue;
		}
		if (cmd == &ctl_record_cmd && strcmp(a, "--pid-only") == 0) {
			c.pid_only = true;
			continue;
		}
		if (cmd == &ctl_record_cmd && (strcmp(a, "--") == 0 || a[0] != '-')) {
			/* The rest is the command to profile. */
			c.cmd_argv = argv + i + (strcmp(a, "--") == 0);
			break;
		}
		if (cmd == &ctl_top_cmd && (strcmp(a, "-d") == 0 || strncmp(a, "--delay=", 8) == 0 ||
		    strcmp(a, "-n") == 0 || strncmp(a, "--iterations=", 13) == 0)) {
			int isd = a[1] == 'd' || a[2] == 'd';
			const char *v = strchr(a, '=') ? strchr(a, '=') + 1 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			double x = v ? strtod(v, &end) : 0;

			if (v == NULL || *v == '\0' || *end != '\0' || x < (isd ? 0.1 : 1) || x > 1e6) {
				warnx("--top: %s needs %s", a, isd ? "a number of seconds >= 0.1 (-d 2)" :
				    "a number of frames >= 1 (-n 5)");
				return 2;
			}
			if (isd)
				c.delay_s = x;
			else
				c.iterations = (int)x;
			continue;
		}
		if (cmd == NULL && (strcmp(a, "record") == 0 || strcmp(a, "top") == 0)) {
			/* perf-style spelling of --record / --top */
			cmd = a[0] == 'r' ? &ctl_record_cmd : &ctl_top_cmd;
			continue;
		}
		if ((k = find_cmd(a, &value)) != NULL) {
			if (cmd != NULL) {
				warnx("%s: one command at a time (already have --%s)", a, cmd->name);
				return 2;
			}
			if (k->needs_value && (value == NULL || *value == '\0')) {
				warnx("--%s needs a value: --%s=NAME", k->name, k->name);
				return 2;
			}
			if (!k->needs_value && !k->optional_value && value != NULL) {
				warnx("--%s takes no value", k->name);
				return 2;
			}
			cmd = k;
			c.arg = value;
			continue;
		}
		if (is_setup_opt(a)) {
			setup[c.nsetup++] = argv[i];
			continue;
		}
		warnx("unknown option '%s' (see xenprof-ctl --help)", a);
		return 2;
	}
	if (cmd == NULL) {
		usage(stderr);
		return 2;
	}
	if (c.nsetup && !cmd->takes_setup) {
		warnx("--%s takes no setup options (got %s); give them to --setup, --start-daemon or --start",
		    cmd->name, setup[0]);
		return 2;
	}
	c.setup_args = setup;
	if (cmd == &ctl_record_cmd && !c.sessdir_given)
		c.sessdir = "xenprof_data";	/* like operf's oprofile_data */
	if (cmd->needs_root) {
		if (geteuid() != 0) {
			warnx("--%s: must be run as root (uid 0)", cmd->name);
			return 1;
		}
		int e = 0;

		if (mkdir(c.sessdir, 0700) == -1 && errno != EEXIST)
			e = errno;
		else if (cmd->writes && access(c.sessdir, W_OK) == -1)
			e = errno;
		if (e == EROFS && cmd->writes) {
			warnx("--%s: session dir %s is on a read-only file system; remount it "
			    "read-write (mount -o remount,rw) or give --session-dir=DIR on a "
			    "writable one", cmd->name, c.sessdir);
			return 1;
		}
		if (e != 0 && e != EROFS) {
			errno = e;
			warn("session dir %s", c.sessdir);
			return 1;
		}
	}
	return cmd->exec(&c);
}
