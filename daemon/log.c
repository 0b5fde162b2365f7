/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xenprofd's log. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"

static FILE *log_fp;
static int log_verbose;
static int log_syslog;		/* warnings also to syslog (a log file may be on a full disk) */

void
log_init(int foreground, const char *path)
{
	if (foreground || path == NULL) {
		log_fp = stderr;
		return;
	}
	openlog("xenprofd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
	{
		/* Never through a symlink planted in the session dir. */
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

		log_fp = fd == -1 ? NULL : fdopen(fd, "a");
		if (log_fp == NULL) {
			if (fd != -1)
				close(fd);
			log_fp = stderr;
			return;
		}
	}
	setvbuf(log_fp, NULL, _IOLBF, 0);
}

int
log_is_stderr(void)
{
	return log_fp == NULL || log_fp == stderr;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

static void
vlog(const char *level, int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;
	char ts[32], msg[2048];
	time_t t = time(NULL);
	struct tm tm;

	if (log_fp == NULL)
		log_fp = stderr;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
	fprintf(log_fp, "%s xenprofd[%d]: %s%s%s%s\n", ts, (int)getpid(), level, msg,
	    with_errno ? ": " : "", with_errno ? strerror(saved) : "");
	fflush(log_fp);
	/* Warnings and fatal errors also to syslog: the log file may be on a full disk. */
	if (log_syslog && (strcmp(level, "warning: ") == 0 || strcmp(level, "fatal: ") == 0))
		syslog(level[0] == 'f' ? LOG_ERR : LOG_WARNING, "%s%s%s", msg,
		    with_errno ? ": " : "", with_errno ? strerror(saved) : "");
	errno = saved;
}

#define LOG_FN(fn, level, with_errno)			\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	vlog(level, with_errno, fmt, ap);		\
	va_end(ap);					\
}

LOG_FN(log_warn, "warning: ", 1)
LOG_FN(log_warnx, "warning: ", 0)
LOG_FN(log_info, "", 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog("debug: ", 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
