/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * record [--session-dir=DIR] [--pid-only] [SETUP...] -- COMMAND [ARGS...]:
 * a one-shot session around a command, like operf and `perf record`.
 *
 * Starts a daemon of its own on DIR (default ./xenprof_data), samples
 * system-wide while COMMAND runs, stops, shuts the daemon down, prints a
 * short report (the top symbols) and exits with COMMAND's exit status.  The
 * samples stay in DIR/current for later reports; samples an earlier record
 * left there are saved first as session prev-YYYYmmdd-HHMMSS.
 *
 * --pid-only: record with --separate=thread and report only the processes of
 * COMMAND's tree.  The sample source is system-wide; the tree is found by
 * watching /proc every 20 ms (this process is the tree's subreaper, so
 * orphans stay in it), so a descendant that lives less than that may be
 * missed.  The session itself keeps every sample.
 *
 * Ctrl-C: the terminal sends SIGINT to the whole foreground group, the
 * command included; a SIGINT/SIGTERM/SIGHUP sent to this process alone is
 * forwarded to the command.  Either way the session is stopped and kept.
 */

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl.h"
#include "daemon/proto.h"
#include "libsamples/samples.h"

#define RECORD_DEFAULT_DIR	"xenprof_data"
#define MAX_TREE		4096

static volatile sig_atomic_t child_pid;

static void
forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* A signal from the tty already reached the command's process group. */
	if (child_pid > 0 && si != NULL && si->si_code <= 0)
		kill(child_pid, sig);
}

/* The report program: $XENPROF_REPORT, next to us (build tree, bin dir), BINDIR. */
int
ctl_find_report(char *buf, size_t len)
{
#ifdef BINDIR
	return ctl_find_program(buf, len, "XENPROF_REPORT", "report", "xenprof-report", BINDIR);
#else
	return ctl_find_program(buf, len, "XENPROF_REPORT", "report", "xenprof-report", "/usr/local/bin");
#endif
}

/* Does DIR/current hold any sample file? */
static int
current_has_samples(const char *sessdir)
{
	char path[PATH_MAX];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/current", sessdir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			found = 1;
			break;
		}
	closedir(d);
	return found;
}

/* The set of pids of the command's process tree seen so far. */
struct tree {
	pid_t	pids[MAX_TREE];
	int	n;
};

static int
tree_has(const struct tree *t, pid_t p)
{
	for (int i = 0; i < t->n; i++)
		if (t->pids[i] == p)
			return 1;
	return 0;
}

/* Add every live process whose parent is in T (until nothing changes). */
static void
tree_scan(struct tree *t)
{
	int added;

	do {
		DIR *d = opendir("/proc");
		struct dirent *e;

		added = 0;
		if (d == NULL)
			return;
		while ((e = readdir(d)) != NULL && t->n < MAX_TREE) {
			char path[64], buf[512], *p;
			pid_t pid = (pid_t)strtol(e->d_name, &p, 10), ppid;
			FILE *f;

			if (*p != '\0' || pid <= 0 || tree_has(t, pid))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
			if ((f = fopen(path, "r")) == NULL)
				continue;
			p = fgets(buf, sizeof(buf), f);
			fclose(f);
			/* pid (comm) state ppid ...; comm may hold spaces and parens */
			if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
			    sscanf(p + 1, " %*c %d", &ppid) != 1)
				continue;
			if (tree_has(t, ppid)) {
				t->pids[t->n++] = pid;
				added = 1;
			}
		}
		closedir(d);
	} while (added);
}

/* Can COMMAND be run (a path, or a name found in $PATH)? */
static int
runnable(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(n ? n : 1), n ? path : ".", cmd);
		if (access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

static int
has_separate(const struct ctl *c)
{
	for (int i = 0; i < c->nsetup; i++)
		if (strncmp(c->setup_args[i], "--separate=", 11) == 0)
			return 1;
	return 0;
}

/* "tgid:PID,PID..." of the tree's processes (malloc'd), NULL if none. */
static char *
tgid_spec(const struct tree *t)
{
	size_t len;
	char *spec;

	if (t == NULL || t->n == 0)
		return NULL;
	len = 8 + (size_t)t->n * 12;
	if ((spec = malloc(len)) == NULL)
		return NULL;
	strcpy(spec, "tgid:");
	for (int i = 0; i < t->n; i++)
		snprintf(spec + strlen(spec), len - strlen(spec), "%s%d", i ? "," : "", (int)t->pids[i]);
	return spec;
}

static int
run_report(const struct ctl *c, const struct tree *t)
{
	char report[PATH_MAX], sessarg[PATH_MAX + 20], *spec = NULL;
	char *argv[12];
	int argc = 0, status;
	pid_t pid;

	if (ctl_find_report(report, sizeof(report)) == -1) {
		warnx("cannot find xenprof-report (looked for %s); set XENPROF_REPORT=/path/to/xenprof-report",
		    report);
		return -1;
	}
	snprintf(sessarg, sizeof(sessarg), "--session-dir=%s", c->sessdir);
	argv[argc++] = "xenprof-report";
	argv[argc++] = sessarg;
	argv[argc++] = "--symbols";
	argv[argc++] = "--threshold=1";
	if (t != NULL && t->n > 0) {
		if ((spec = tgid_spec(t)) == NULL)
			return -1;
		argv[argc++] = spec;
	}
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == -1) {
		warn("fork");
		free(spec);
		return -1;
	}
	if (pid == 0) {
		execv(report, argv);
		warn("%s", report);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	free(spec);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
ctl_record_exec(struct ctl *c)
{
	static char absdir[PATH_MAX];
	static char *sep_thread = "--separate=thread";
	struct sigaction sa, old_int, old_term, old_hup, old_quit;
	struct tree *tree = NULL;
	struct setup s;
	char reply[XP_PROTO_MAX_PAYLOAD + 1];
	int status = 0, rc, r, rfd[2];
	pid_t pid;
	long dpid;

	if (c->cmd_argv == NULL || c->cmd_argv[0] == NULL) {
		warnx("record: no command given: xenprof-ctl record [SETUP...] -- COMMAND [ARGS...]");
		return 2;
	}
	if (!runnable(c->cmd_argv[0])) {
		warnx("record: %s: command not found (or not executable)", c->cmd_argv[0]);
		return 127;
	}
	if (realpath(c->sessdir, absdir) == NULL) {
		warn("session dir %s", c->sessdir);
		return 1;
	}
	c->sessdir = absdir;
	if ((dpid = ctl_daemon_pid(c)) != 0) {
		warnx("record: xenprofd (pid %ld) is already running on %s; give record a "
		    "--session-dir of its own or run --shutdown first", dpid, c->sessdir);
		return 1;
	}
	if (c->pid_only && !has_separate(c)) {
		/* tgid: selections need per-process data. */
		c->setup_args[c->nsetup++] = sep_thread;
		c->setup_args[c->nsetup] = NULL;
	}
	if (ctl_make_setup(c, &s, true) == -1)
		return 1;
	if (current_has_samples(c->sessdir)) {
		/* Keep what an earlier run left: no daemon holds the dir (checked above). */
		char name[64];
		time_t now = time(NULL);

		strftime(name, sizeof(name), "prev-%Y%m%d-%H%M%S", localtime(&now));
		if (xps_session_save(c->sessdir, name) == -1) {
			warnx("record: cannot keep the earlier samples in %s/current as session %s: %s; "
			    "move them away or use another --session-dir", c->sessdir, name, xps_errmsg());
			ctl_setup_done(c, false);
			return 1;
		}
		fprintf(stderr, "xenprof-ctl record: the samples an earlier run left in %s are kept as "
		    "session %s\n", c->sessdir, name);
	}
	if (ctl_spawn_daemon(c) == -1) {
		ctl_setup_done(c, false);
		return 1;
	}
	ctl_setup_done(c, true);
	if (pipe2(rfd, O_CLOEXEC) == -1) {
		warn("pipe");
		goto fail;
	}
	/* The command starts only once sampling has started (it waits on the pipe). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sigaction(SIGQUIT, &sa, &old_quit);
	if (c->pid_only) {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		if ((tree = calloc(1, sizeof(*tree))) == NULL) {
			warn("calloc");
			goto fail;
		}
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == -1) {
		warn("fork");
		goto fail;
	}
	if (pid == 0) {
		char go;

		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		close(rfd[1]);
		if (read(rfd[0], &go, 1) != 1)
			_exit(126);	/* sampling did not start */
		execvp(c->cmd_argv[0], c->cmd_argv);
		fprintf(stderr, "xenprof-ctl record: %s: %s\n", c->cmd_argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	close(rfd[0]);
	child_pid = pid;
	if (tree) {
		tree->pids[tree->n++] = pid;
	}
	r = ctl_request(c, XP_REQ_START, NULL, 0, reply, sizeof(reply));
	if (r != XP_REP_OK) {
		warnx("record: --start: %s", r == -1 ? "xenprofd is not running" : reply);
		close(rfd[1]);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	if (write(rfd[1], "g", 1) != 1)
		warn("record: pipe");
	close(rfd[1]);
	for (;;) {
		pid_t w = waitpid(-1, &status, tree ? WNOHANG : 0);

		if (w == pid)
			break;
		if (w == -1 && errno != EINTR) {
			warn("waitpid");
			break;
		}
		if (tree && w == 0) {
			tree_scan(tree);
			usleep(20000);
		}
		/* Other reaped pids: orphans of the tree, adopted as subreaper. */
	}
	child_pid = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = 1;
	r = ctl_request(c, XP_REQ_STOP, NULL, 0, reply, sizeof(reply));
	if (r == XP_REP_OK) {
		fprintf(stderr, "xenprof-ctl record: %s %s %d; %s\n", c->cmd_argv[0],
		    WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : rc, reply);
	} else {
		warnx("record: --stop: %s", r == -1 ? "xenprofd is not running" : reply);
		rc = rc ? rc : 1;
	}
	r = ctl_request(c, XP_REQ_SHUTDOWN, NULL, 0, reply, sizeof(reply));
	if (r != XP_REP_OK || ctl_wait_exit(c, c->timeout_s) == -1) {
		warnx("record: --shutdown: %s", r == XP_REP_OK ? "xenprofd did not exit" : reply);
		rc = rc ? rc : 1;
	}
	if (tree)
		printf("xenprof-ctl record: the top symbols of %s and its %d descendant process(es) seen; "
		    "the session in %s has every sample of the machine:\n\n", c->cmd_argv[0], tree->n - 1,
		    c->sessdir);
	else
		printf("xenprof-ctl record: the top symbols of the whole machine while %s ran:\n\n",
		    c->cmd_argv[0]);
	if (run_report(c, tree) == -1)
		rc = rc ? rc : 1;
	{
		/* The real pids: the command's (and its descendants'), ready to paste. */
		char *spec = tgid_spec(tree);

		printf("\nThe session is kept: xenprof-report --session-dir=%s --symbols%s%s\n",
		    c->sessdir, spec ? " " : "", spec ? spec : "");
		free(spec);
	}
	free(tree);
	return rc;

fail:
	free(tree);
	ctl_request(c, XP_REQ_SHUTDOWN, NULL, 0, reply, sizeof(reply));
	ctl_wait_exit(c, c->timeout_s);
	return 1;
}

const struct ctl_cmd ctl_record_cmd = {
	.name = "record",
	.usage = "record [--pid-only] [SETUP...] -- COMMAND [ARGS...]\n"
	    "                            profile while COMMAND runs, then print the top symbols\n"
	    "                            (session dir default ./xenprof_data; also --record)",
	.takes_setup = true,
	.needs_root = true,
	.writes = true,
	.exec = ctl_record_exec,
};
