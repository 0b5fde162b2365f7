/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprof-ctl: the control tool (the successor of opcontrol).  One file per
 * command (ctl-<name>.c), each exporting a struct ctl_cmd; ctl_cmds[] in
 * xenprof-ctl.c lists them.  Commands print errors with warnx and return the
 * exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef XP_CTL_H
#define XP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/setup.h"

struct ctl {
	const char     *sessdir;
	const char     *arg;		/* the command's value (--save=NAME) or NULL */
	int		nsetup;		/* SETUP options given on the command line */
	char	      **setup_args;
	int		timeout_s;	/* how long to wait for the daemon */
	bool		sessdir_given;	/* --session-dir= was on the command line */
	/* record: the command to run (NULL-terminated) and --pid-only */
	char	      **cmd_argv;
	bool		pid_only;
	/* --top: -d SECONDS between frames, -n COUNT frames (0: until q) */
	double		delay_s;
	int		iterations;
};

struct ctl_cmd {
	const char     *name;		/* the option, without "--" */
	const char     *usage;
	bool		takes_setup;	/* accepts SETUP options */
	bool		needs_value;	/* --name=VALUE */
	bool		optional_value;	/* --name or --name=VALUE */
	bool		needs_root;
	bool		writes;		/* writes to the session dir: refused up front if read-only */
	int		(*exec)(struct ctl *);
};

extern const struct ctl_cmd ctl_setup_cmd, ctl_start_daemon_cmd, ctl_start_cmd,
    ctl_stop_cmd, ctl_dump_cmd, ctl_save_cmd, ctl_reset_cmd, ctl_shutdown_cmd,
    ctl_status_cmd, ctl_list_events_cmd, ctl_record_cmd, ctl_top_cmd;
extern const struct ctl_cmd ctl_doctor_cmd;

/* client.c: talking to xenprofd */

/*
 * Send request TYPE (payload P of LEN bytes) to the daemon of C->sessdir and
 * wait for the reply.  Returns the reply type and puts its text in REPLY;
 * -1 if no daemon answers (ERRNO-style reason in REPLY).
 * *RUNNING is set to whether a daemon holds the session.
 */
int ctl_request(const struct ctl *c, uint16_t type, const void *p, uint32_t len,
    char *reply, size_t replylen);
/* The pid of the daemon holding C->sessdir's lock, or 0 if none. */
long ctl_daemon_pid(const struct ctl *c);
/*
 * The pid of a daemon that ended without --shutdown (killed, crashed): its
 * pid file is left with its pid and nobody holds the lock; 0 otherwise.  A
 * daemon that exits in order, or fails to start, leaves no pid behind.
 */
long ctl_dead_daemon(const struct ctl *c);
/* The dead daemon has been reported: empty its pid file (under the lock). */
void ctl_forget_dead(const struct ctl *c);
/*
 * Hold C->sessdir's session lock (the daemon's, on its pid file) while
 * changing the session without a daemon (--save, --reset), so that no
 * daemon starts meanwhile (it waits for the lock).  The lock's fd, closed
 * by the caller when done; CTL_LOCK_DAEMON if a daemon holds it (ask the
 * daemon); CTL_LOCK_NONE if there is no session dir (nothing to guard);
 * -1 with errno.
 */
#define CTL_LOCK_DAEMON	(-2)
#define CTL_LOCK_NONE	(-3)
int ctl_session_lock(const struct ctl *c);
/* Wait up to TIMEOUT_S for the daemon's lock to be released; 0 when gone. */
int ctl_wait_exit(const struct ctl *c, int timeout_s);
/*
 * Progress while waiting on the daemon: after a second, say on stderr what
 * we are waiting for (a self-updating line on a tty; with XENPROF_PROGRESS=1
 * one line per second anywhere; nothing otherwise, XENPROF_PROGRESS=0 never).
 * ELAPSED_S is how long we have waited so far.
 */
void ctl_progress(int elapsed_s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The wait is over: clear the progress line, if one was shown. */
void ctl_progress_done(void);
/* What a request of TYPE waits for, for the progress line. */
void ctl_waiting_for(const struct ctl *c, uint16_t type, char *buf, size_t len);
/* Run a request and print its reply; the exit status for the command. */
int ctl_simple(const struct ctl *c, uint16_t type, const void *p, uint32_t len,
    const char *what);

/*
 * setup.c of ctl: load SESSDIR/setup, apply the command line, validate, and
 * with STORE write it, keeping the previous file as setup.prev until
 * ctl_setup_done() says whether the daemon accepted it.
 */
int ctl_make_setup(const struct ctl *c, struct setup *s, bool store);
/* OK: drop setup.prev; not OK: put the previous setup back. */
void ctl_setup_done(const struct ctl *c, bool ok);
/* ctl-record.c: the path of xenprof-report ($XENPROF_REPORT, next to us, BINDIR); -1 if none. */
int ctl_find_report(char *buf, size_t len);
int ctl_find_program(char *buf, size_t len, const char *envvar, const char *subdir,
    const char *name, const char *installdir);
/*
 * shortopts.c: rewrite opcontrol's short options (-e X, -s, ...) and its
 * "--option value" form in *ARGV to the long options; 0, or 2 after a
 * one-line warnx.  The new vector lives until exit.
 */
int ctl_expand_opts(int *argc, char ***argv);
/* ctl-start-daemon.c: spawn xenprofd for C and wait until it is ready. */
int ctl_spawn_daemon(const struct ctl *c);

#endif /* XP_CTL_H */
