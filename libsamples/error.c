/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-thread error message.  Every failing libsamples function sets it
 * before returning -1/NULL; it names the file (or object) and the problem.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libsamples/samplesP.h"

/* Room for a full path plus the longest message we format. */
static __thread char xps_errbuf[XPS_PATH_MAX + 512];
static __thread int xps_errno_last;

const char *
xps_errmsg(void)
{
	return xps_errbuf[0] != '\0' ? xps_errbuf : "no error";
}

int
xps_errnum(void)
{
	return xps_errno_last;
}

void
xps_seterr(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(xps_errbuf, sizeof xps_errbuf, fmt, ap);
	va_end(ap);
	xps_errno_last = 0;
	errno = saved;
}

void
xps_seterr_errno(int err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(xps_errbuf, sizeof xps_errbuf, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof xps_errbuf)
		snprintf(xps_errbuf + n, sizeof xps_errbuf - n, ": %s", strerror(err));
	xps_errno_last = err;
	errno = saved;
}
