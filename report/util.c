/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small helpers of the report program: allocation that dies on failure
 * (the report cannot do anything useful without memory) and the warning
 * list (printed to stderr at once, kept for machine-readable outputs).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

/* ===================================================================== */
/* Allocation                                                             */

static void
die_nomem(void)
{
	fputs(REPORT_PROG ": out of memory\n", stderr);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		die_nomem();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (p == NULL)
		die_nomem();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		die_nomem();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);
	if (p == NULL)
		die_nomem();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die_nomem();
	va_end(ap);
	return s;
}

static char **warnings;
static size_t nwarnings;
static int warn_quiet;

void
report_warn(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die_nomem();
	va_end(ap);
	if (!warn_quiet)
		fprintf(stderr, REPORT_PROG ": warning: %s\n", s);
	warnings = xrealloc(warnings, (nwarnings + 1) * sizeof(*warnings));
	warnings[nwarnings++] = s;
}

size_t
report_nwarnings(void)
{
	return nwarnings;
}

const char *
report_warning(size_t i)
{
	return i < nwarnings ? warnings[i] : NULL;
}

void
report_warnings_reset(void)
{
	for (size_t i = 0; i < nwarnings; i++)
		free(warnings[i]);
	free(warnings);
	warnings = NULL;
	nwarnings = 0;
}

void
report_warn_quiet(int quiet)
{
	warn_quiet = quiet;
}


/*
 * C++ names are demangled with libstdc++'s __cxa_demangle, loaded at run
 * time: the report stays C and needs no C++ toolchain to build, and a host
 * without libstdc++ simply shows mangled names.
 */
char *
report_demangle(const char *name)
{
	typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);
	static demangle_fn fn;
	static int tried;
	int status = 0;
	char *out;

	if (name == NULL || strncmp(name, "_Z", 2) != 0)
		return NULL;
	if (!tried) {
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

		tried = 1;
		if (h != NULL)
			fn = (demangle_fn)dlsym(h, "__cxa_demangle");
	}
	if (fn == NULL)
		return NULL;
	out = fn(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}
