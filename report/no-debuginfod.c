/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Keep libdw from loading libdebuginfod.
 *
 * elfutils 0.188 (Debian 12) dlopens libdebuginfod from a constructor of
 * libdw, whether or not it is ever used, and with it libcurl, gnutls,
 * krb5, ldap...: some thirty libraries, about two thirds of a typical
 * report's run time.  The report never fetches anything over the network:
 * it symbolizes the images a session recorded, by path and build-id, and
 * on a production host a profiler must not start HTTP requests.  So this
 * executable's dlopen (which libdw's call binds to, the executable coming
 * first in symbol lookup) refuses libdebuginfod unless DEBUGINFOD_URLS asks
 * for it.
 */

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

void *dlopen(const char *file, int flags);

void *
dlopen(const char *file, int flags)
{
	static void *(*real)(const char *, int);
	const char *urls;

	if (file != NULL && strstr(file, "libdebuginfod") != NULL &&
	    ((urls = getenv("DEBUGINFOD_URLS")) == NULL || *urls == '\0'))
		return NULL;
	if (real == NULL && (real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen")) == NULL)
		return NULL;
	return real(file, flags);
}
