/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --archive=FILE and archive:FILE: a session packed with the images it
 * needs, so that the report can be made on another machine.
 *
 * Format: a POSIX ustar file (hand-written writer and reader, no library):
 *   sessions/current/...        or sessions/saved/NAME/...   the session files
 *   build-id/XX/REST            every image the report could symbolize with
 *                               that has a build-id, stored by it (perf's
 *                               cache layout: XX the first two hex digits),
 *                               the file found by that build-id (imagefind.c)
 *   root/ABSOLUTE/PATH          the images without a build-id, under the path
 *                               the profile recorded
 *   xenprof-archive.manifest    last: "SIZE CRC32 NAME" per member; its first
 *                               line "2 0 xenprof-archive" (version 1: every
 *                               image under root/)
 * The writer writes FILE.tmp.PID and renames it over FILE when complete.
 * Reading extracts into a fresh temporary directory (removed at exit) and
 * reports from DIR/sessions with --root=DIR/root, finding the images by
 * build-id in DIR/build-id first: two files recorded at one path (a binary
 * upgraded during the session) are both there, each found by its content.  The reader accepts only
 * regular files and directories with relative names free of "..", checks
 * every header checksum, and never follows links: a hostile archive cannot
 * write outside the temporary directory.  A truncated archive (a member cut
 * short, or no end-of-archive blocks), a member that differs from the
 * manifest, is missing from it or is not listed in it, is an error that
 * names the member.
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
/* The last member: "SIZE CRC32 NAME" per member (a first line "1 0 xenprof-archive"). */
#define ARCHIVE_MANIFEST	"xenprof-archive.manifest"
#define ARCHIVE_MANIFEST_MAX	(16u << 20)
#define STR_(x)	#x
#define STR(x)	STR_(x)

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

/*
 * The regular file SRC (relative to DIRFD) as member NAME; its size and CRC
 * into *SIZE and *CRC.  0 or -1 + ERR.
 */
static int
tar_file(FILE *f, const char *name, int dirfd, const char *src, uint64_t *size, uint32_t *crc,
	 char *err, size_t errlen)
{
	static const char zero[TBLOCK];
	char buf[65536];
	struct stat st;
	/* Session files are never followed through a symlink; images may be links. */
	int fd = openat(dirfd, src, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    (dirfd == AT_FDCWD ? 0 : O_NOFOLLOW));
	uint64_t left;
	ssize_t n;

	*crc = 0;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", src, fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (tar_header(f, name, (uint64_t)st.st_size, 0) != 0) {
		snprintf(err, errlen, "%s: the member name is too long for ustar", src);
		close(fd);
		return -1;
	}
	left = *size = (uint64_t)st.st_size;
	while (left > 0 && (n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf))) > 0) {
		*crc = xps_crc32(*crc, buf, (size_t)n);
		if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
			break;
		left -= (uint64_t)n;
	}
	close(fd);
	if (left > 0) {
		/* Shrank while read (or could not be read): the header's size is a lie. */
		snprintf(err, errlen, "%s: short read (%llu of %llu bytes): it changed while packed",
			 src, (unsigned long long)(*size - left), (unsigned long long)*size);
		return -1;
	}
	if (st.st_size % TBLOCK)
		fwrite(zero, 1, TBLOCK - st.st_size % TBLOCK, f);
	return ferror(f) ? -1 : 0;
}

/* The manifest: one "SIZE CRC32 NAME" line per member, written last. */
struct manifest {
	char	       *text;
	size_t		len, cap;
};

static void
manifest_add(struct manifest *m, const char *name, uint64_t size, uint32_t crc)
{
	char line[PATH_MAX + 64];
	int n = snprintf(line, sizeof(line), "%llu %08x %s\n", (unsigned long long)size, crc, name);

	if (m->len + (size_t)n + 1 > m->cap) {
		m->cap = (m->len + (size_t)n + 1) * 2;
		m->text = xrealloc(m->text, m->cap);
	}
	memcpy(m->text + m->len, line, (size_t)n + 1);
	m->len += (size_t)n;
}

/* Member NAME from memory.  0 or -1. */
static int
tar_mem(FILE *f, const char *name, const void *data, size_t len)
{
	static const char zero[TBLOCK];

	if (tar_header(f, name, len, 0) != 0 || fwrite(data, 1, len, f) != len)
		return -1;
	if (len % TBLOCK)
		fwrite(zero, 1, TBLOCK - len % TBLOCK, f);
	return ferror(f) ? -1 : 0;
}

/* Undo a member whose writing failed half way: cut the file back to OFF. */
static int
tar_undo(FILE *f, off_t off)
{
	return fflush(f) == 0 && ftruncate(fileno(f), off) == 0 && fseeko(f, off, SEEK_SET) == 0 ?
	    0 : -1;
}

/*
 * Written to FILE.tmp.PID in FILE's directory, synced and renamed over FILE:
 * a failed or interrupted run leaves FILE as it was.  A session file that
 * cannot be packed whole fails the run; an image that cannot is left out
 * (cut back, with a warning).
 */
int
archive_write(const struct report *r, const char *file, char *err, size_t errlen)
{
	static const char zero[2 * TBLOCK];
	char name[PATH_MAX + 64], src[PATH_MAX], tmp[PATH_MAX], why[PATH_MAX + 128];
	size_t nimg = report_nimages(r), packed = 0;
	struct manifest man = { 0 };
	uint64_t size;
	uint32_t crc;
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", file, (int)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", file);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)	/* left by a killed run of our pid */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	man.text = xstrdup("");
	manifest_add(&man, "xenprof-archive", 2, 0);	/* a format line: version 2 */
	for (size_t i = 0; i < r->nsess; i++) {
		const char *nm = r->sess[i].name;
		const struct xps_session *s = r->sess[i].s;
		DIR *d;
		struct dirent *de;
		int dfd;

		if (s->nbad > 0) {
			snprintf(err, errlen, "%s: session '%s' has an unreadable file (%s); not archived",
				 file, nm, s->bad[0]);
			goto fail;
		}
		/* The directory the report read: the files of the generation it reported. */
		if ((dfd = dup(s->dirfd)) < 0 || (d = fdopendir(dfd)) == NULL) {
			snprintf(err, errlen, "%s: session '%s': %s: %s", file, nm, s->path, strerror(errno));
			if (dfd >= 0)
				close(dfd);
			goto fail;
		}
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			struct stat st;

			if (de->d_name[0] == '.')
				continue;	/* ".", "..", and the writers' temporary files */
			if (strcmp(nm, "current") == 0)
				snprintf(name, sizeof(name), "sessions/current/%s", de->d_name);
			else
				snprintf(name, sizeof(name), "sessions/saved/%s/%s", nm, de->d_name);
			snprintf(src, sizeof(src), "%s/%s", s->path, de->d_name);
			if (fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (tar_file(f, name, s->dirfd, de->d_name, &size, &crc, why, sizeof(why)) != 0) {
				closedir(d);
				snprintf(err, errlen, "%s: cannot pack %s%s", file, why, errno == ENOENT ?
					 " (a newer flush replaced it: run again)" : "");
				goto fail;
			}
			manifest_add(&man, name, size, crc);
		}
		closedir(d);
	}
	/* Images the report could use (found, build-id checked). */
	for (size_t i = 0; i < nimg; i++) {
		const char *used = report_image_file(r, (uint32_t)i);
		const char *rec = report_image_name(r, (uint32_t)i);
		off_t at;

		const uint8_t *bid;
		int bidlen = used != NULL ? report_image_content_id(r, (uint32_t)i, &bid) : 0;

		if (used == NULL || rec == NULL || (rec[0] != '/' && bidlen <= 0))
			continue;
		int dup = 0;	/* one file, several kinds (e.g. kernel of two domains) */
		for (size_t j = 0; j < i && !dup; j++) {
			const uint8_t *b2;
			int l2;

			if (report_image_file(r, (uint32_t)j) == NULL)
				continue;
			l2 = report_image_content_id(r, (uint32_t)j, &b2);
			dup = bidlen > 0 ? l2 == bidlen && memcmp(b2, bid, (size_t)bidlen) == 0 :
			    l2 <= 0 && strcmp(report_image_name(r, (uint32_t)j), rec) == 0;
		}
		if (dup)
			continue;
		if (bidlen > 0 && bidlen <= XPS_BUILD_ID_MAX) {
			/* By content: perf's cache layout, found so by the reader. */
			int o = snprintf(name, sizeof(name), "build-id/%02x/", bid[0]);

			for (int k = 1; k < bidlen; k++)
				o += snprintf(name + o, sizeof(name) - (size_t)o, "%02x", bid[k]);
		} else
			snprintf(name, sizeof(name), "root%s", rec);
		if (fflush(f) != 0 || (at = ftello(f)) < 0)
			goto ioerr;
		if (tar_file(f, name, AT_FDCWD, used, &size, &crc, why, sizeof(why)) != 0) {
			if (tar_undo(f, at) != 0)
				goto ioerr;
			report_warn("%s: not packed into the archive: %s", used, why);
			continue;
		}
		manifest_add(&man, name, size, crc);
		packed++;
	}
	if (tar_mem(f, ARCHIVE_MANIFEST, man.text, man.len) != 0 ||
	    fwrite(zero, 1, sizeof(zero), f) != sizeof(zero) || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0)
		goto ioerr;
	if (fclose(f) != 0) {
		f = NULL;
		goto ioerr;
	}
	f = NULL;
	if (rename(tmp, file) != 0)
		goto ioerr;
	free(man.text);
	fprintf(stderr, REPORT_PROG ": %s: %zu session%s and %zu image%s packed\n", file, r->nsess,
		r->nsess == 1 ? "" : "s", packed, packed == 1 ? "" : "s");
	return 0;
ioerr:
	snprintf(err, errlen, "%s: write error: %s; %s is unchanged", tmp, strerror(errno), file);
fail:
	if (f != NULL)
		fclose(f);
	unlink(tmp);
	free(man.text);
	return -1;
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

/* One extracted member, for the manifest check. */
struct member {
	char	       *name;
	uint64_t	size;
	uint32_t	crc;
};

struct members {
	struct member  *v;
	size_t		n;
	char		last[260];	/* the last member read, for messages */
};

static void
members_free(struct members *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->v[i].name);
	free(ms->v);
}

/* "after member 'x'" / "at its start", for where a damage was found. */
static const char *
where(const struct members *ms, char *buf, size_t len)
{
	if (ms->last[0] == '\0')
		return "at its start";
	snprintf(buf, len, "after member '%s'", ms->last);
	return buf;
}

/*
 * The manifest TEXT (LEN bytes) against the members read.  0, or -1 with
 * ERR naming the first member that is missing, damaged or not listed.
 */
static int
manifest_check(const char *file, const char *text, size_t len, const struct members *ms,
	       char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	uint8_t *seen = xcalloc(ms->n ? ms->n : 1, 1);
	int nline = 0, rc = -1;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		char line[PATH_MAX + 64], nm[PATH_MAX + 1];
		unsigned long long size;
		unsigned crc;
		size_t i, l;

		if (eol == NULL || (l = (size_t)(eol - p)) >= sizeof(line)) {
			snprintf(err, errlen, "archive:%s: member '%s' is damaged (line %d)", file,
				 ARCHIVE_MANIFEST, nline + 1);
			goto out;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p = eol + 1;
		if (sscanf(line, "%llu %8x %" STR(PATH_MAX) "[^\n]", &size, &crc, nm) != 3) {
			snprintf(err, errlen, "archive:%s: member '%s' is damaged (line %d)", file,
				 ARCHIVE_MANIFEST, nline + 1);
			goto out;
		}
		if (nline++ == 0) {
			if (strcmp(nm, "xenprof-archive") != 0 || (size != 1 && size != 2)) {
				snprintf(err, errlen, "archive:%s: member '%s': not a xenprof archive "
					 "manifest of version 1 or 2 (written by a newer xenprof?)", file,
					 ARCHIVE_MANIFEST);
				goto out;
			}
			continue;
		}
		for (i = 0; i < ms->n; i++)
			if (!seen[i] && strcmp(ms->v[i].name, nm) == 0)
				break;
		if (i == ms->n) {
			snprintf(err, errlen, "archive:%s: member '%.200s' is missing (the archive is "
				 "truncated or was changed)", file, nm);
			goto out;
		}
		seen[i] = 1;
		if (ms->v[i].size != size || ms->v[i].crc != crc) {
			snprintf(err, errlen, "archive:%s: member '%.200s' is damaged: %llu bytes, CRC "
				 "%08x; written as %llu bytes, CRC %08x", file, nm,
				 (unsigned long long)ms->v[i].size, ms->v[i].crc, size, crc);
			goto out;
		}
	}
	for (size_t i = 0; i < ms->n; i++)
		if (!seen[i]) {
			snprintf(err, errlen, "archive:%s: member '%.200s' is not in the manifest (the "
				 "archive was changed)", file, ms->v[i].name);
			goto out;
		}
	if (nline == 0) {
		snprintf(err, errlen, "archive:%s: member '%s' is empty", file, ARCHIVE_MANIFEST);
		goto out;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

/* Read and drop N bytes (a skipped member's data, padded).  0, or -1 if the file ends. */
static int
skip_data(FILE *f, uint64_t n)
{
	char buf[8192];

	while (n > 0) {
		size_t k = fread(buf, 1, n < sizeof(buf) ? n : sizeof(buf), f);

		if (k == 0)
			return -1;
		n -= k;
	}
	return 0;
}

int
archive_extract(const char *file, char **dirp, char *err, size_t errlen)
{
	unsigned char h[TBLOCK];
	char tmpl[] = "/tmp/xenprof-archive.XXXXXX", wb[300];
	FILE *f = fopen(file, "rb");
	struct members ms = { 0 };
	char *man = NULL;
	size_t manlen = 0;
	int nfiles = 0, fd = -1;

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
		uint64_t size, pad;
		char *end;
		size_t got;

		got = fread(h, 1, TBLOCK, f);
		if (got != TBLOCK) {
			if (got == 0 && nfiles == 0 && ms.n == 0)
				snprintf(err, errlen, "archive:%s: empty, not a xenprof archive", file);
			else
				snprintf(err, errlen, "archive:%s: truncated %s: it ends without the "
					 "end-of-archive blocks", file, where(&ms, wb, sizeof(wb)));
			goto fail;
		}
		int zero = 1;
		for (int i = 0; i < TBLOCK; i++)
			zero &= h[i] == 0;
		if (zero)
			break;	/* the end-of-archive blocks */
		for (int i = 0; i < TBLOCK; i++)
			sum += i >= 148 && i < 156 ? ' ' : h[i];
		char ck[9] = { 0 }, sz[13] = { 0 };
		memcpy(ck, h + 148, 8);
		memcpy(sz, h + 124, 12);
		want = (unsigned)strtoul(ck, NULL, 8);
		size = strtoull(sz, &end, 8);
		if (want != sum || memcmp(h + 257, "ustar", 5) != 0) {
			if (ms.n == 0)
				snprintf(err, errlen, "archive:%s: not a xenprof archive (bad tar header)",
					 file);
			else
				snprintf(err, errlen, "archive:%s: damaged %s: a bad tar header", file,
					 where(&ms, wb, sizeof(wb)));
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
		snprintf(ms.last, sizeof(ms.last), "%s", name);
		pad = (TBLOCK - size % TBLOCK) % TBLOCK;
		snprintf(path, sizeof(path), "%s/%s", tmpl, name);
		if (h[156] == '5') {
			if (mkparents(path) != 0 || (mkdir(path, 0700) != 0 && errno != EEXIST))
				goto ioerr;
			continue;
		}
		if (h[156] != '0' && h[156] != '\0') {
			/* Links and devices are skipped, their data too. */
			if (skip_data(f, size + pad) != 0)
				goto truncated;
			continue;
		}
		if (strcmp(name, ARCHIVE_MANIFEST) == 0) {
			if (man != NULL || size > ARCHIVE_MANIFEST_MAX) {
				snprintf(err, errlen, "archive:%s: member '%s' %s", file, name,
					 man ? "appears twice" : "is too large");
				goto fail;
			}
			man = xmalloc(size + 1);
			if (fread(man, 1, size, f) != size || skip_data(f, pad) != 0)
				goto truncated;
			manlen = size;
			continue;
		}
		if (mkparents(path) != 0)
			goto ioerr;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST) {
			snprintf(err, errlen, "archive:%s: member '%.200s' appears twice", file, name);
			goto fail;
		}
		if (fd < 0)
			goto ioerr;
		uint64_t left = size;
		uint32_t crc = 0;
		char buf[65536];
		while (left > 0) {
			size_t want_n = left < sizeof(buf) ? left : sizeof(buf);
			size_t n = fread(buf, 1, want_n, f);
			if (n == 0) {
				snprintf(err, errlen, "archive:%s: member '%.200s' is truncated (%llu of "
					 "%llu bytes)", file, name, (unsigned long long)(size - left),
					 (unsigned long long)size);
				goto fail;
			}
			if (write(fd, buf, n) != (ssize_t)n)
				goto ioerr;
			crc = xps_crc32(crc, buf, n);
			left -= n;
		}
		if (close(fd) != 0) {
			fd = -1;
			goto ioerr;
		}
		fd = -1;
		if (skip_data(f, pad) != 0)
			goto truncated;
		ms.v = xrealloc(ms.v, (ms.n + 1) * sizeof(*ms.v));
		ms.v[ms.n].name = xstrdup(name);
		ms.v[ms.n].size = size;
		ms.v[ms.n].crc = crc;
		ms.n++;
		nfiles++;
	}
	fclose(f);
	f = NULL;
	if (nfiles == 0) {
		snprintf(err, errlen, "archive:%s: empty or not a tar file", file);
		goto fail;
	}
	if (man != NULL) {
		if (manifest_check(file, man, manlen, &ms, err, errlen) != 0)
			goto fail;
	} else
		report_warn("archive:%s has no manifest (written by an older xenprof): the members "
			    "were not verified", file);
	free(man);
	members_free(&ms);
	return 0;
truncated:
	snprintf(err, errlen, "archive:%s: member '%.200s' is truncated", file, ms.last);
	goto fail;
ioerr:
	snprintf(err, errlen, "archive:%s: extracting: %s", file, strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	if (f != NULL)
		fclose(f);
	free(man);
	members_free(&ms);
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
