/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * imagefind: the files an image may be read from, by its content first, as
 * perf's build-id cache has it (report.h, imgfind_candidates).  An image
 * recorded with a build-id is looked for by that build-id, in order:
 *   1. the session-local caches: an archive's build-id/ (archive:), the
 *      session dir's .build-id/ (--session-dir, default /var/lib/xenprof);
 *   2. the user's cache, perf's: $HOME/.debug/.build-id/ (as perf
 *      buildid-cache --add lays it out), and the system's debug files,
 *      /usr/lib/debug/.build-id/ (the -dbg and -dbgsym packages);
 *   3. the -p dirs, by the image's base name;
 *   4. the recorded path (below --root, an archive's root/, when given).
 * Each cache is laid out as perf's: XX/REST, where XX are the first two
 * hex digits of the build-id and REST the others; XX/REST is the file, a
 * symlink to it, or a directory holding it as "elf"; the system's has
 * XX/REST.debug.  The caller reads each candidate's build-id and takes the
 * first that matches: a file replaced at the recorded path is never used.
 * An image recorded without a build-id has no cache entry: the -p dirs and
 * the recorded path, as before.
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static void
add(struct imgfind *f, const char *path, const char *where)
{
	struct stat st;

	if (f->n == IMGFIND_MAX || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->path[i], path) == 0)
			return;		/* the same file by two ways */
	snprintf(f->path[f->n], sizeof(f->path[0]), "%s", path);
	f->where[f->n++] = where;
}

/* The entries of BID in the cache at DIR (perf's layout). */
static void
add_cache(struct imgfind *f, const char *dir, const char *hex, const char *suffix,
    const char *where)
{
	char p[PATH_MAX];

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(p, sizeof(p), "%s/%.2s/%s%s", dir, hex, hex + 2, suffix);
	add(f, p, where);
	if (suffix[0] == '\0') {
		snprintf(p, sizeof(p), "%s/%.2s/%s/elf", dir, hex, hex + 2);
		add(f, p, where);
	}
}

/* PATH's base name in the -p dirs. */
static void
add_dirs(struct imgfind *f, const struct report_opts *opts, const char *path)
{
	char p[PATH_MAX];

	for (char **d = opts->image_path; d && *d; d++) {
		snprintf(p, sizeof(p), "%s/%s", *d, out_basename(path));
		add(f, p, "-p");
	}
}

void
imgfind_candidates(struct imgfind *f, const struct report_opts *opts, const char *path,
    const uint8_t *bid, int bidlen, const char *given)
{
	char hex[2 * XPS_BUILD_ID_MAX + 1], p[PATH_MAX];
	const char *home = getenv("HOME");

	f->n = 0;
	/* What the user named (--vmlinux, --xen) comes first; checked like the rest. */
	if (given != NULL)
		add(f, given, "as given");
	if (bidlen > 0 && bidlen <= XPS_BUILD_ID_MAX) {
		for (int i = 0; i < bidlen; i++)
			sprintf(hex + 2 * i, "%02x", bid[i]);
		if (opts->archive_tmp != NULL) {
			snprintf(p, sizeof(p), "%s/build-id", opts->archive_tmp);
			add_cache(f, p, hex, "", "the archive's build-id cache");
		}
		snprintf(p, sizeof(p), "%s/.build-id", opts->sessdir ? opts->sessdir :
		    XPS_SESSDIR_DEFAULT);
		add_cache(f, p, hex, "", "the session dir's build-id cache");
		if (home != NULL && home[0] == '/') {
			snprintf(p, sizeof(p), "%s/.debug/.build-id", home);
			add_cache(f, p, hex, "", "the user's build-id cache");
		}
		add_cache(f, "/usr/lib/debug/.build-id", hex, ".debug", "the system's debug files");
	}
	/* By content, the -p dirs before the recorded path; without a build-id
	 * to check, the recorded path first, as it always was.  Below --root
	 * (an archive's root/) the recorded path is never this machine's. */
	if (bidlen > 0)
		add_dirs(f, opts, path);
	if (path[0] == '/' && opts->root != NULL) {
		snprintf(p, sizeof(p), "%s%s", opts->root, path);
		add(f, p, "--root");
	} else
		add(f, path, "the recorded path");
	if (bidlen <= 0)
		add_dirs(f, opts, path);
}

const char *
imgfind_looked(const struct report_opts *opts, int bidlen, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", bidlen > 0 ? "the build-id caches (" : "",
	    bidlen > 0 ? (opts->archive_tmp ? "the archive's, " : "") : "",
	    bidlen > 0 ? "the session dir's .build-id, ~/.debug/.build-id, "
	    "/usr/lib/debug/.build-id), " : "",
	    opts->image_path ? "the -p dirs, the recorded path" : "the recorded path");
	return buf;
}
