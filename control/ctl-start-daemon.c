/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --start-daemon [SETUP...]: start xenprofd with the counters programmed,
 * not yet sampling.  xenprofd reports on an inherited pipe whether it came
 * up ("ok") or why not (one line), so failures reach the user here.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/ctl.h"
#include "daemon/proto.h"
#include "hv/hv.h"

#ifndef SBINDIR
#define SBINDIR "/usr/local/sbin"
#endif

/*
 * A sibling program of xenprof-ctl: $ENVVAR, then the build tree's
 * ../SUBDIR/NAME, the installed ../sbin or ../bin, next to us, then
 * INSTALLDIR/NAME.  0 with its path in BUF, or -1 (BUF: the last path tried).
 */
int
ctl_find_program(char *buf, size_t len, const char *envvar, const char *subdir,
    const char *name, const char *installdir)
{
	const char *env = getenv(envvar);
	char self[PATH_MAX], dir[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		const char *where[] = { subdir, "sbin", "bin" };

		self[n] = '\0';
		snprintf(dir, sizeof(dir), "%s", dirname(self));
		for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
			snprintf(buf, len, "%s/../%s/%s", dir, where[i], name);
			if (access(buf, X_OK) == 0)
				return 0;
		}
		snprintf(buf, len, "%s/%s", dir, name);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	snprintf(buf, len, "%s/%s", installdir, name);
	return access(buf, X_OK);
}

/*
 * On Xen, a daemon that fell back to perf says why xenoprof was not used
 * (--status's note): print it, as the user expected xenoprof here.
 */
static void
backend_note(const struct ctl *c)
{
	char reply[XP_PROTO_MAX_PAYLOAD + 1], *note, *end;

	if (!hv_on_xen() || ctl_request(c, XP_REQ_STATUS, NULL, 0, reply, sizeof(reply)) != XP_REP_OK)
		return;
	if ((note = strstr(reply, "note: xenoprof not used: ")) == NULL)
		return;
	if ((end = strchr(note, '\n')) != NULL)
		*end = '\0';
	printf("%s; sampling with perf\n", note);
}

int
ctl_spawn_daemon(const struct ctl *c)
{
	char daemon[PATH_MAX], sessarg[4200], msg[1024];
	int pfd[2], status;
	size_t got = 0;
	pid_t pid;

	if (ctl_find_program(daemon, sizeof(daemon), "XENPROFD", "daemon", "xenprofd", SBINDIR) == -1) {
		warnx("cannot find xenprofd (looked for %s); set XENPROFD=/path/to/xenprofd", daemon);
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		warn("pipe");
		return -1;
	}
	snprintf(sessarg, sizeof(sessarg), "--session-dir=%s", c->sessdir);
	pid = fork();
	if (pid == -1) {
		warn("fork");
		return -1;
	}
	if (pid == 0) {
		/* The daemon reports readiness on fd 3 (which the pipe may already
		 * be, when we were started with stdin closed: then dup2 is a no-op
		 * that would leave close-on-exec set). */
		if (pfd[1] == 3 ? fcntl(3, F_SETFD, 0) == -1 : dup2(pfd[1], 3) == -1)
			_exit(127);
		execl(daemon, "xenprofd", sessarg, "--ready-fd=3", (char *)NULL);
		dprintf(3, "cannot run %s: %s\n", daemon, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (int waited = 0;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;
		int r = poll(&p, 1, 1000);

		if (r == 0 && ++waited < c->timeout_s) {
			/* Say what the daemon is doing instead of going quiet. */
			ctl_progress(waited, "waiting for xenprofd (pid %ld) to open the sample source "
			    "and program the counters", (long)pid);
			continue;
		}
		ctl_progress_done();
		if (r <= 0) {
			snprintf(msg, sizeof(msg), "xenprofd did not report ready within %d s (see %s/xenprofd.log)",
			    c->timeout_s, c->sessdir);
			got = strlen(msg);
			/* The caller puts the previous setup back: a daemon coming up
			 * later with this one must not run behind its back.  Nor is it
			 * one that died while running (--stop would say so). */
			kill(pid, SIGTERM);
			if (ctl_wait_exit(c, 5) == 0)
				ctl_forget_dead(c);
			break;
		}
		n = read(pfd[0], msg + got, sizeof(msg) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1)
			break;
	}
	close(pfd[0]);
	msg[got] = '\0';
	if (got && msg[got - 1] == '\n')
		msg[--got] = '\0';
	if (strcmp(msg, "ok") == 0) {
		backend_note(c);
		return 0;
	}
	/* Reap a daemon that failed at start-up. */
	waitpid(pid, &status, WNOHANG);
	warnx("xenprofd: %s", got ? msg : "exited during start-up (see the log in the session dir)");
	return -1;
}

static int
ctl_start_daemon_exec(struct ctl *c)
{
	struct setup s;
	long pid = ctl_daemon_pid(c);

	if (pid) {
		if (c->nsetup) {
			warnx("xenprofd (pid %ld) is already running on %s; run --shutdown first to change the setup",
			    pid, c->sessdir);
			return 1;
		}
		printf("xenprofd (pid %ld) is already running on %s\n", pid, c->sessdir);
		return 0;
	}
	if (ctl_make_setup(c, &s, true) == -1)
		return 1;
	if (ctl_spawn_daemon(c) == -1) {
		ctl_setup_done(c, false);
		return 1;
	}
	ctl_setup_done(c, true);
	printf("xenprofd (pid %ld) started on %s, not yet sampling\n", ctl_daemon_pid(c), c->sessdir);
	return 0;
}

const struct ctl_cmd ctl_start_daemon_cmd = {
	.name = "start-daemon",
	.usage = "--start-daemon [SETUP...] start xenprofd with counters programmed, not yet sampling",
	.takes_setup = true,
	.needs_root = true,
	.writes = true,
	.exec = ctl_start_daemon_exec,
};
