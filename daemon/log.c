/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xenprofd's log. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"

static FILE *log_fp;
static int log_verbose;

void
log_init(int foreground, const char *path)
{
	if (foreground || path == NULL) {
		log_fp = stderr;
		return;
	}
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
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	if (log_fp == NULL)
		log_fp = stderr;
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
	fprintf(log_fp, "%s xenprofd[%d]: %s", ts, (int)getpid(), level);
	vfprintf(log_fp, fmt, ap);
	if (with_errno)
		fprintf(log_fp, ": %s", strerror(saved));
	fputc('\n', log_fp);
	fflush(log_fp);
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
