/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprofd's log: to stderr in the foreground, else appended to
 * SESSDIR/xenprofd.log.  log_warn appends strerror(errno); log_warnx does
 * not.  fatal/fatalx log and exit(1).  Every function preserves errno.
 */
#ifndef XP_LOG_H
#define XP_LOG_H

#include <stdarg.h>

void log_init(int foreground, const char *path);
void log_setverbose(int v);
/* 1 if the log goes to stderr. */
int log_is_stderr(void);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* XP_LOG_H */
