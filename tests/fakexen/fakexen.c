/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fakexen - a simulated Xen 4.17 host for tests.
 *
 *   fakexen up      --dir DIR --config FILE   start the simulator; returns when ready
 *   fakexen exec    --dir DIR --domain N -- CMD [ARG...]   run CMD as domain N
 *   fakexen truth   --dir DIR [--lines]       ground truth so far
 *   fakexen down    --dir DIR                 stop; print the final truth
 *   fakexen destroy --dir DIR --domain N      destroy a domain now
 *
 * Files in DIR: state (the shared state, see fx_state.h), state.privcmd
 * (the marker the shim opens for /dev/xen/privcmd), xs-domN.sock (one
 * xenstored socket per domain), fakexen.pid, fakexen.log (the simulator's
 * stderr).  Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fx_config.h"
#include "fx_hyp.h"
#include "fx_sim.h"
#include "fx_view.h"
#include "fx_state.h"
#include "fx_xs.h"

struct fx_opts {
	const char	*dir;
	const char	*config;
	long		domain;		/* -1 = not given */
	int		lines;
	char		**cmd;		/* after "--" */
};

struct fx_cmd {
	const char	*name;
	const char	*usage;
	int		(*exec)(struct fx_opts *);
};

static const struct fx_cmd *fx_cur;

static int
fx_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "fakexen %s: %s\n", fx_cur->name, why);
	fprintf(stderr, "usage: fakexen %s %s\n", fx_cur->name, fx_cur->usage);
	return 2;
}

static void
fx_path(char *buf, size_t len, const char *dir, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
}

/* pid of the simulator serving DIR, 0 if none is alive */
static pid_t
fx_running(const char *dir)
{
	char path[PATH_MAX], buf[32], stat[64];
	long pid;
	FILE *f;

	fx_path(path, sizeof path, dir, "fakexen.pid");
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	pid = fgets(buf, sizeof buf, f) != NULL ? strtol(buf, NULL, 10) : 0;
	fclose(f);
	if (pid <= 0 || kill((pid_t)pid, 0) == -1)
		return 0;
	/* a zombie nobody reaped yet counts as gone */
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((f = fopen(path, "re")) != NULL) {
		char state = 0;
		if (fgets(stat, sizeof stat, f) != NULL) {
			char *rp = strrchr(stat, ')');
			if (rp != NULL && rp[1] == ' ')
				state = rp[2];
		}
		fclose(f);
		if (state == 'Z')
			return 0;
	}
	return (pid_t)pid;
}

static struct fx_state *
fx_open_state(const char *dir)
{
	char path[PATH_MAX], err[512];
	struct fx_state *s;

	fx_path(path, sizeof path, dir, "state");
	if ((s = fx_state_map(path, err, sizeof err)) == NULL)
		fprintf(stderr, "fakexen: %s (was `fakexen up --dir %s` run?)\n", err, dir);
	return s;
}

/* ------------------------------------------------------------------ */
/* up                                                                 */

static volatile sig_atomic_t fx_sig;

/* The daemonized simulator: serve until SIGTERM/SIGINT. */
static void
fx_serve(const char *dir, struct fx_state *s, struct fx_sim *sim, struct fx_xs *xs,
    int ready_fd)
{
	char pidpath[PATH_MAX], tmp[PATH_MAX], log[PATH_MAX];
	sigset_t set;
	FILE *f;
	int fd, sig;

	setsid();
	fx_path(log, sizeof log, dir, "fakexen.log");
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* threads inherit it */
	signal(SIGPIPE, SIG_IGN);
	if (fx_xs_start(xs) == -1 || fx_sim_start(sim) == -1) {
		fprintf(stderr, "fakexen: cannot start threads: %s\n", strerror(errno));
		_exit(1);
	}
	fx_path(pidpath, sizeof pidpath, dir, "fakexen.pid");
	fx_path(tmp, sizeof tmp, dir, "fakexen.pid.tmp");
	if ((f = fopen(tmp, "we")) == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 ||
	    fclose(f) != 0 || rename(tmp, pidpath) == -1) {
		fprintf(stderr, "fakexen: cannot write %s: %s\n", pidpath, strerror(errno));
		_exit(1);
	}
	fx_lock(s);
	s->sim_pid = getpid();
	s->ready = 1;
	fx_unlock(s);
	fprintf(stderr, "fakexen: up, pid %d\n", (int)getpid());
	if (write(ready_fd, "1", 1) != 1)
		_exit(1);
	close(ready_fd);
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT && sig != SIGHUP);
	fx_sim_stop(sim);
	fx_xs_free(xs);
	fx_lock(s);
	s->ready = 0;
	fx_unlock(s);
	fprintf(stderr, "fakexen: down (signal %d)\n", sig);
	unlink(pidpath);
	_exit(0);
}

static int
fx_cmd_up(struct fx_opts *o)
{
	char path[PATH_MAX], err[1024];
	struct fx_config *cfg;
	struct fx_state *s;
	struct fx_sim *sim;
	struct fx_xs *xs;
	uint32_t domids[FX_MAX_DOMS];
	int pfd[2], fd;
	pid_t pid;
	char c;

	if (o->dir == NULL || o->config == NULL)
		return fx_usage("--dir and --config are required");
	if (mkdir(o->dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "fakexen: cannot create %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	if ((pid = fx_running(o->dir)) != 0) {
		fprintf(stderr, "fakexen: already running in %s (pid %d); run "
		    "`fakexen down --dir %s` first\n", o->dir, (int)pid, o->dir);
		return 1;
	}
	if ((cfg = malloc(sizeof *cfg)) == NULL) {
		fprintf(stderr, "fakexen: out of memory\n");
		return 1;
	}
	if (fx_config_load(o->config, cfg, err, sizeof err) < 0 ||
	    (sim = fx_sim_create(cfg, err, sizeof err)) == NULL) {
		fprintf(stderr, "fakexen: %s\n", err);
		free(cfg);
		return 1;
	}
	if (fx_view_write(o->dir, cfg, err, sizeof err) == -1) {
		fprintf(stderr, "fakexen: %s\n", err);
		return 1;
	}
	fx_path(path, sizeof path, o->dir, "state");
	if ((s = fx_state_create(path, cfg->nwork, err, sizeof err)) == NULL) {
		fprintf(stderr, "fakexen: %s\n", err);
		return 1;
	}
	fx_sim_install(sim, s);
	fx_path(path, sizeof path, o->dir, "state.privcmd");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "fakexen: cannot create %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	for (unsigned i = 0; i < cfg->ndoms; i++)
		domids[i] = cfg->doms[i].domid;
	if ((xs = fx_xs_create(s, o->dir, domids, cfg->ndoms, err, sizeof err)) == NULL) {
		fprintf(stderr, "fakexen: %s\n", err);
		return 1;
	}
	if (pipe2(pfd, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "fakexen: cannot start the simulator: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(pfd[0]);
		fx_serve(o->dir, s, sim, xs, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1) {
		fprintf(stderr, "fakexen: the simulator failed to start; see %s/fakexen.log\n",
		    o->dir);
		return 1;
	}
	return 0;
}

/* LeakSanitizer (--enable-sanitizers): the parent of `fakexen up` exits
 * and leaves the tables it built to the simulator process it forked. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:fx_cmd_up\n";
}

/* ------------------------------------------------------------------ */
/* exec                                                               */

static int
fx_cmd_exec(struct fx_opts *o)
{
	char dir[PATH_MAX], self[PATH_MAX], shim[PATH_MAX + 32], xs[PATH_MAX];
	char state[PATH_MAX + 16], num[16], *preload, *slash;
	const char *old, *env_shim;
	struct fx_state *s;
	ssize_t n;
	int slot;

	if (o->dir == NULL || o->domain < 0 || o->cmd == NULL || o->cmd[0] == NULL)
		return fx_usage("--dir, --domain and a command after -- are required");
	if (realpath(o->dir, dir) == NULL) {
		fprintf(stderr, "fakexen: %s: %s\n", o->dir, strerror(errno));
		return 1;
	}
	if (fx_running(dir) == 0) {
		fprintf(stderr, "fakexen: no simulator is running in %s; run "
		    "`fakexen up --dir %s --config FILE` first\n", o->dir, o->dir);
		return 1;
	}
	if ((s = fx_open_state(dir)) == NULL)
		return 1;
	fx_lock(s);
	slot = fx_slot_by_domid(s, (uint32_t)o->domain);
	slot = slot >= 0 && s->dom[slot].state == FX_DOM_LIVE ? slot : -1;
	fx_unlock(s);
	fx_state_unmap(s);
	if (slot < 0) {
		fprintf(stderr, "fakexen: domain %ld does not exist in %s (see its "
		    "`domain` lines)\n", o->domain, o->dir);
		return 1;
	}
	/* the shim sits next to this program in the build tree */
	if ((env_shim = getenv("FAKEXEN_SHIM")) != NULL && *env_shim != '\0') {
		snprintf(shim, sizeof shim, "%s", env_shim);
	} else {
		if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0) {
			fprintf(stderr, "fakexen: cannot find myself: %s\n", strerror(errno));
			return 1;
		}
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		snprintf(shim, sizeof shim, "%s/libfakexen.so", self);
	}
	if (access(shim, R_OK) == -1) {
		fprintf(stderr, "fakexen: preload library %s: %s (run make in "
		    "tests/fakexen)\n", shim, strerror(errno));
		return 1;
	}
	old = getenv("LD_PRELOAD");
	if (old != NULL && *old != '\0') {
		size_t len = strlen(shim) + strlen(old) + 2;
		if ((preload = malloc(len)) == NULL)
			return 1;
		snprintf(preload, len, "%s:%s", shim, old);
	} else
		preload = shim;
	if (fx_xs_path(dir, (uint32_t)o->domain, xs, sizeof xs) < 0) {
		fprintf(stderr, "fakexen: %s is too long for a socket path\n", dir);
		return 1;
	}
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(num, sizeof num, "%ld", o->domain);
	if (setenv("LD_PRELOAD", preload, 1) == -1 || setenv("FAKEXEN_STATE", state, 1) == -1 ||
	    setenv("FAKEXEN_DOMID", num, 1) == -1 || setenv("FAKEXEN_DIR", dir, 1) == -1 ||
	    setenv("XENSTORED_PATH", xs, 1) == -1) {
		fprintf(stderr, "fakexen: setenv: %s\n", strerror(errno));
		return 1;
	}
	/* A program built with ASan refuses a preload library ahead of its
	 * runtime unless told not to check (./configure --enable-sanitizers). */
	if ((old = getenv("ASAN_OPTIONS")) == NULL || strstr(old, "verify_asan_link_order") == NULL) {
		char opts[1024];

		snprintf(opts, sizeof opts, "%s%sverify_asan_link_order=0",
		    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "");
		setenv("ASAN_OPTIONS", opts, 1);
	}
	execvp(o->cmd[0], o->cmd);
	fprintf(stderr, "fakexen: cannot run %s: %s\n", o->cmd[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ------------------------------------------------------------------ */
/* truth, down, destroy                                               */

static int
fx_cmd_truth(struct fx_opts *o)
{
	struct fx_state *s;

	if (o->dir == NULL)
		return fx_usage("--dir is required");
	if ((s = fx_open_state(o->dir)) == NULL)
		return 1;
	if (o->lines)
		fx_truth_lines(s, stdout);
	else
		fx_truth_json(s, stdout);
	fx_state_unmap(s);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
fx_cmd_down(struct fx_opts *o)
{
	const struct timespec ms10 = { 0, 10000000 };
	pid_t pid;
	int i;

	if (o->dir == NULL)
		return fx_usage("--dir is required");
	if ((pid = fx_running(o->dir)) == 0) {
		fprintf(stderr, "fakexen: no simulator is running in %s\n", o->dir);
		return 1;
	}
	kill(pid, SIGTERM);
	for (i = 0; i < 1000 && fx_running(o->dir) == pid; i++)
		nanosleep(&ms10, NULL);
	if (i == 1000) {
		fprintf(stderr, "fakexen: simulator %d did not stop; killing it\n", (int)pid);
		kill(pid, SIGKILL);
	}
	return fx_cmd_truth(o);
}

static int
fx_cmd_destroy(struct fx_opts *o)
{
	struct fx_state *s;
	int slot, ret = 0;

	if (o->dir == NULL || o->domain < 0)
		return fx_usage("--dir and --domain are required");
	if ((s = fx_open_state(o->dir)) == NULL)
		return 1;
	fx_lock(s);
	slot = fx_slot_by_domid(s, (uint32_t)o->domain);
	if (o->domain == 0) {
		fprintf(stderr, "fakexen: domain 0 cannot be destroyed\n");
		ret = 1;
	} else if (slot < 0 || s->dom[slot].state != FX_DOM_LIVE) {
		fprintf(stderr, "fakexen: domain %ld does not exist\n", o->domain);
		ret = 1;
	} else
		fx_hyp_destroy(s, (unsigned)slot);
	fx_unlock(s);
	fx_state_unmap(s);
	return ret;
}

/* ------------------------------------------------------------------ */

static const struct fx_cmd fx_cmds[] = {
	{ "up", "--dir DIR --config FILE", fx_cmd_up },
	{ "exec", "--dir DIR --domain N -- CMD [ARG...]", fx_cmd_exec },
	{ "truth", "--dir DIR [--lines]", fx_cmd_truth },
	{ "down", "--dir DIR", fx_cmd_down },
	{ "destroy", "--dir DIR --domain N", fx_cmd_destroy },
};

/* --opt VALUE or --opt=VALUE; returns the value and advances *I. */
static const char *
fx_optval(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, len) != 0)
		return NULL;
	if (a[len] == '=')
		return a + len + 1;
	if (a[len] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int
main(int argc, char **argv)
{
	struct fx_opts o = { NULL, NULL, -1, 0, NULL };
	size_t ncmds = sizeof fx_cmds / sizeof fx_cmds[0];

	if (argc < 2) {
		fprintf(stderr, "usage: fakexen up|exec|truth|down|destroy --dir DIR ...\n");
		return 2;
	}
	for (size_t i = 0; i < ncmds; i++)
		if (strcmp(argv[1], fx_cmds[i].name) == 0)
			fx_cur = &fx_cmds[i];
	if (fx_cur == NULL) {
		fprintf(stderr, "fakexen: unknown command '%s' (up, exec, truth, down, "
		    "destroy)\n", argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *v;

		if (strcmp(argv[i], "--") == 0) {
			o.cmd = argv + i + 1;
			break;
		} else if ((v = fx_optval(argc, argv, &i, "--dir")) != NULL) {
			o.dir = v;
		} else if ((v = fx_optval(argc, argv, &i, "--config")) != NULL) {
			o.config = v;
		} else if ((v = fx_optval(argc, argv, &i, "--domain")) != NULL) {
			char *end;
			o.domain = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0' || o.domain < 0 ||
			    o.domain >= DOMID_FIRST_RESERVED)
				return fx_usage("--domain needs a domain id");
		} else if (strcmp(argv[i], "--lines") == 0) {
			o.lines = 1;
		} else {
			char why[256];
			snprintf(why, sizeof why, "unknown argument '%s'", argv[i]);
			return fx_usage(why);
		}
	}
	return fx_cur->exec(&o);
}
