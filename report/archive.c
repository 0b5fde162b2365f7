/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --archive=FILE and archive:FILE: a session packed with the images it
 * needs, so that the report can be made on another machine.
 *
 * Format: a POSIX ustar file (hand-written writer and reader, no library):
 *   sessions/current/...        or sessions/saved/NAME/...   the session files
 *   root/ABSOLUTE/PATH          every image the report could symbolize with,
 *                               verified by build-id when one was recorded,
 *                               stored under the path the profile recorded
 * Reading extracts into a fresh temporary directory (removed at exit) and
 * reports from DIR/sessions with --root=DIR/root.  The reader accepts only
 * regular files and directories with relative names free of "..", checks
 * every header checksum, and never follows links: a hostile archive cannot
 * write outside the temporary directory.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"

#define TBLOCK	512

static void
oct(char *dst, size_t n, uint64_t v)
{
	snprintf(dst, n, "%0*llo", (int)n - 1, (unsigned long long)v);
}

/* One ustar header for NAME (split into prefix/name when long). */
static int
tar_header(FILE *f, const char *name, uint64_t size, int dir)
{
	unsigned char h[TBLOCK];
	size_t len = strlen(name);
	unsigned sum = 0;

	memset(h, 0, sizeof(h));
	if (len <= 100) {
		memcpy(h, name, len);
	} else {
		const char *cut = NULL;
		for (const char *p = name; *p; p++)
			if (*p == '/' && (size_t)(p - name) <= 155 && strlen(p + 1) <= 100)
				cut = p;
		if (cut == NULL)
			return -1;
		memcpy(h + 345, name, cut - name);
		memcpy(h, cut + 1, strlen(cut + 1));
	}
	oct((char *)h + 100, 8, dir ? 0755 : 0644);
	oct((char *)h + 108, 8, 0);
	oct((char *)h + 116, 8, 0);
	oct((char *)h + 124, 12, size);
	oct((char *)h + 136, 12, 0);
	memset(h + 148, ' ', 8);
	h[156] = dir ? '5' : '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < TBLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return fwrite(h, 1, TBLOCK, f) == TBLOCK ? 0 : -1;
}

static int
tar_file(FILE *f, const char *name, const char *src)
{
	static const char zero[TBLOCK];
	char buf[65536];
	struct stat st;
	FILE *in = fopen(src, "rb");
	uint64_t left;
	size_t n;

	if (in == NULL || fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
		if (in)
			fclose(in);
		return -1;
	}
	if (tar_header(f, name, (uint64_t)st.st_size, 0) != 0) {
		fclose(in);
		return -1;
	}
	left = (uint64_t)st.st_size;
	while (left > 0 && (n = fread(buf, 1, left < sizeof(buf) ? left : sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, f);
		left -= n;
	}
	fclose(in);
	if (left > 0)
		return -1;
	if (st.st_size % TBLOCK)
		fwrite(zero, 1, TBLOCK - st.st_size % TBLOCK, f);
	return ferror(f) ? -1 : 0;
}

int
archive_write(const struct report *r, const char *file, char *err, size_t errlen)
{
	static const char zero[2 * TBLOCK];
	FILE *f = fopen(file, "wb");
	char name[PATH_MAX + 64], src[PATH_MAX];
	size_t nimg = report_nimages(r), packed = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < r->nsess; i++) {
		const char *nm = r->sess[i].name;
		DIR *d = opendir(r->sess[i].s->path);
		struct dirent *de;
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (strcmp(nm, "current") == 0)
				snprintf(name, sizeof(name), "sessions/current/%s", de->d_name);
			else
				snprintf(name, sizeof(name), "sessions/saved/%s/%s", nm, de->d_name);
			snprintf(src, sizeof(src), "%s/%s", r->sess[i].s->path, de->d_name);
			struct stat st;
			if (stat(src, &st) == 0 && S_ISREG(st.st_mode) && tar_file(f, name, src) != 0) {
				closedir(d);
				fclose(f);
				snprintf(err, errlen, "%s: cannot pack %s", file, src);
				return -1;
			}
		}
		closedir(d);
	}
	/* Images the report could use (found, build-id checked). */
	for (size_t i = 0; i < nimg; i++) {
		const char *used = report_image_file(r, (uint32_t)i);
		const char *rec = report_image_name(r, (uint32_t)i);
		if (used == NULL || rec == NULL || rec[0] != '/')
			continue;
		int dup = 0;	/* one file, several kinds (e.g. kernel of two domains) */
		for (size_t j = 0; j < i && !dup; j++)
			dup = report_image_file(r, (uint32_t)j) != NULL &&
			    strcmp(report_image_name(r, (uint32_t)j), rec) == 0;
		if (dup)
			continue;
		snprintf(name, sizeof(name), "root%s", rec);
		if (tar_file(f, name, used) != 0)
			report_warn("%s: not packed into the archive (path too long or unreadable)", used);
		else
			packed++;
	}
	fwrite(zero, 1, sizeof(zero), f);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: write error: %s", file, strerror(errno));
		return -1;
	}
	fprintf(stderr, REPORT_PROG ": %s: %zu session%s and %zu image%s packed\n", file, r->nsess,
		r->nsess == 1 ? "" : "s", packed, packed == 1 ? "" : "s");
	return 0;
}

/* mkdir -p for the parents of PATH (inside the extraction dir). */
static int
mkparents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int
name_safe(const char *n)
{
	if (n[0] == '\0' || n[0] == '/')
		return 0;
	for (const char *p = n; *p; p++)
		if (p[0] == '.' && p[1] == '.' && (p == n || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return 0;
	return 1;
}

int
archive_extract(const char *file, char **dirp, char *err, size_t errlen)
{
	unsigned char h[TBLOCK];
	char tmpl[] = "/tmp/xenprof-archive.XXXXXX";
	FILE *f = fopen(file, "rb");
	int nfiles = 0;

	*dirp = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "archive:%s: %s", file, strerror(errno));
		return -1;
	}
	if (mkdtemp(tmpl) == NULL) {
		fclose(f);
		snprintf(err, errlen, "archive: cannot create a temporary directory: %s", strerror(errno));
		return -1;
	}
	*dirp = xstrdup(tmpl);
	for (;;) {
		char name[260], path[PATH_MAX];
		unsigned sum = 0, want;
		uint64_t size;
		char *end;

		if (fread(h, 1, TBLOCK, f) != TBLOCK)
			break;
		int zero = 1;
		for (int i = 0; i < TBLOCK; i++)
			zero &= h[i] == 0;
		if (zero)
			break;
		for (int i = 0; i < TBLOCK; i++)
			sum += i >= 148 && i < 156 ? ' ' : h[i];
		char ck[9] = { 0 }, sz[13] = { 0 };
		memcpy(ck, h + 148, 8);
		memcpy(sz, h + 124, 12);
		want = (unsigned)strtoul(ck, NULL, 8);
		size = strtoull(sz, &end, 8);
		if (want != sum || memcmp(h + 257, "ustar", 5) != 0) {
			snprintf(err, errlen, "archive:%s: not a xenprof archive (bad tar header)", file);
			goto fail;
		}
		char pre[156] = { 0 }, nm[101] = { 0 };
		memcpy(pre, h + 345, 155);
		memcpy(nm, h, 100);
		snprintf(name, sizeof(name), "%s%s%s", pre, pre[0] ? "/" : "", nm);
		if (!name_safe(name)) {
			snprintf(err, errlen, "archive:%s: unsafe member name '%.64s'", file, name);
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/%s", tmpl, name);
		if (h[156] == '5') {
			if (mkparents(path) != 0 || (mkdir(path, 0700) != 0 && errno != EEXIST))
				goto ioerr;
			continue;
		}
		if (h[156] != '0' && h[156] != '\0') {
			/* Links and devices are skipped, their data too. */
			if (fseeko(f, (off_t)((size + TBLOCK - 1) / TBLOCK * TBLOCK), SEEK_CUR) != 0)
				break;
			continue;
		}
		if (mkparents(path) != 0)
			goto ioerr;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST) {
			/* A duplicate member: the first copy wins. */
			if (fseeko(f, (off_t)((size + TBLOCK - 1) / TBLOCK * TBLOCK), SEEK_CUR) != 0)
				break;
			continue;
		}
		if (fd < 0)
			goto ioerr;
		uint64_t left = size;
		char buf[65536];
		while (left > 0) {
			size_t want_n = left < sizeof(buf) ? left : sizeof(buf);
			size_t n = fread(buf, 1, want_n, f);
			if (n == 0 || write(fd, buf, n) != (ssize_t)n) {
				close(fd);
				snprintf(err, errlen, "archive:%s: truncated", file);
				goto fail;
			}
			left -= n;
		}
		close(fd);
		if (size % TBLOCK && fseeko(f, (off_t)(TBLOCK - size % TBLOCK), SEEK_CUR) != 0)
			break;
		nfiles++;
	}
	fclose(f);
	if (nfiles == 0) {
		snprintf(err, errlen, "archive:%s: empty or not a tar file", file);
		archive_cleanup(*dirp);
		free(*dirp);
		*dirp = NULL;
		return -1;
	}
	return 0;
ioerr:
	snprintf(err, errlen, "archive:%s: extracting: %s", file, strerror(errno));
fail:
	fclose(f);
	archive_cleanup(*dirp);
	free(*dirp);
	*dirp = NULL;
	return -1;
}

static void
rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[PATH_MAX];

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			struct stat st;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				rm_tree(sub);
			else
				unlink(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

void
archive_cleanup(const char *dir)
{
	if (dir != NULL && strncmp(dir, "/tmp/xenprof-archive.", 21) == 0)
		rm_tree(dir);
}
