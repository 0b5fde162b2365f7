/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Session directories: names, paths, save, reset and open (samples.h).
 * Layout: SESSDIR/current/ and SESSDIR/saved/NAME/, each holding meta,
 * dom<ID>.samples and kallsyms.  Nothing here follows a symlink when it
 * creates or removes something.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* renameat2 */
#endif
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsamples/samplesP.h"

static const char *
sessdir_or_default(const char *sessdir)
{
	return sessdir != NULL ? sessdir : XPS_SESSDIR_DEFAULT;
}

int
xps_name_valid(const char *name)
{
	size_t len;

	if (name == NULL || name[0] == '\0') {
		xps_seterr("session name is empty");
		return 0;
	}
	len = strnlen(name, XPS_NAME_MAX + 1);
	if (len > XPS_NAME_MAX) {
		xps_seterr("session name too long (more than %d characters)",
		    XPS_NAME_MAX);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
			if (c > ' ' && c < 0x7f)
				xps_seterr("session name: character '%c' not "
				    "allowed (use A-Z a-z 0-9 . _ -)", c);
			else
				xps_seterr("session name: character 0x%02x not "
				    "allowed (use A-Z a-z 0-9 . _ -)", c);
			return 0;
		}
	}
	if (name[0] == '.' || name[0] == '-') {
		/* '-': a name that reads as an option to the tools that take it. */
		xps_seterr("session name %s: may not start with '%c'", name, name[0]);
		return 0;
	}
	if (strstr(name, "..") != NULL) {
		xps_seterr("session name %s: may not contain '..'", name);
		return 0;
	}
	if (strcmp(name, "current") == 0) {
		xps_seterr("session name \"current\" is reserved");
		return 0;
	}
	return 1;
}

int
xps_session_path(char *buf, size_t len, const char *sessdir, const char *name)
{
	int n;

	sessdir = sessdir_or_default(sessdir);
	if (name != NULL && !xps_name_valid(name))
		return -1;
	if (name == NULL)
		n = snprintf(buf, len, "%s/current", sessdir);
	else
		n = snprintf(buf, len, "%s/saved/%s", sessdir, name);
	if (n < 0 || (size_t)n >= len) {
		xps_seterr("%s: session path too long", sessdir);
		return -1;
	}
	return 0;
}

int
xps_profile_filename(char *buf, size_t len, const char *dir, uint32_t domid)
{
	int n = snprintf(buf, len, "%s/dom%u.samples", dir, domid);

	if (n < 0 || (size_t)n >= len) {
		xps_seterr("%s: path too long", dir);
		return -1;
	}
	return 0;
}

/* mkdir DIR with MODE unless it exists; -1 unless it is then a real directory. */
static int
ensure_dir(const char *dir, mode_t mode)
{
	struct stat st;

	if (mkdir(dir, mode) < 0 && errno != EEXIST) {
		xps_seterr_errno(errno, "%s: mkdir", dir);
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		xps_seterr_errno(errno, "%s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		xps_seterr("%s: not a directory", dir);
		return -1;
	}
	return 0;
}

int
xps_session_init(const char *sessdir)
{
	char cur[XPS_PATH_MAX];

	sessdir = sessdir_or_default(sessdir);
	if (xps_session_path(cur, sizeof cur, sessdir, NULL) < 0 ||
	    ensure_dir(sessdir, 0755) < 0 || ensure_dir(cur, 0700) < 0)
		return -1;
	return 0;
}

int
xps_session_save(const char *sessdir, const char *name)
{
	char cur[XPS_PATH_MAX], saved[XPS_PATH_MAX], dst[XPS_PATH_MAX];
	struct stat st;
	int n;

	sessdir = sessdir_or_default(sessdir);
	if (!xps_name_valid(name) ||
	    xps_session_path(cur, sizeof cur, sessdir, NULL) < 0 ||
	    xps_session_path(dst, sizeof dst, sessdir, name) < 0)
		return -1;
	n = snprintf(saved, sizeof saved, "%s/saved", sessdir);
	if (n < 0 || (size_t)n >= sizeof saved) {
		xps_seterr("%s: session path too long", sessdir);
		return -1;
	}
	if (lstat(cur, &st) < 0) {
		if (errno == ENOENT)
			xps_seterr("%s: no current session to save", sessdir);
		else
			xps_seterr_errno(errno, "%s", cur);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		xps_seterr("%s: not a directory", cur);
		return -1;
	}
	if (ensure_dir(saved, 0700) < 0)
		return -1;
	if (renameat2(AT_FDCWD, cur, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			xps_seterr("session %s already exists (%s)", name, dst);
			return -1;
		}
		if (errno != EINVAL && errno != ENOSYS) {
			xps_seterr_errno(errno, "rename %s to %s", cur, dst);
			return -1;
		}
		/* No RENAME_NOREPLACE here: check first (racy, but rare). */
		if (lstat(dst, &st) == 0) {
			xps_seterr("session %s already exists (%s)", name, dst);
			return -1;
		}
		if (rename(cur, dst) < 0) {
			xps_seterr_errno(errno, "rename %s to %s", cur, dst);
			return -1;
		}
	}
	if (mkdir(cur, 0700) < 0) {
		xps_seterr_errno(errno, "saved as %s, but cannot create a new "
		    "%s", name, cur);
		return -1;
	}
	if (xps_sync_dir(saved) < 0 || xps_sync_dir(sessdir) < 0)
		return -1;
	return 0;
}

/* NAME is dom<ID>.samples with ID canonical decimal; *DOMID receives ID. */
static int
is_dom_name(const char *name, size_t len, uint32_t *domid)
{
	static const char suffix[] = ".samples";
	const size_t slen = sizeof suffix - 1;
	uint64_t v = 0;
	size_t i;

	if (len < 3 + 1 + slen || strncmp(name, "dom", 3) != 0 ||
	    memcmp(name + len - slen, suffix, slen) != 0)
		return 0;
	if (name[3] == '0' && len != 3 + 1 + slen)
		return 0;
	for (i = 3; i < len - slen; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(name[i] - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	*domid = (uint32_t)v;
	return 1;
}

static int
is_plain_known(const char *name, size_t len)
{
	uint32_t domid;

	return (len == 4 && memcmp(name, "meta", 4) == 0) ||
	    (len == 8 && memcmp(name, "kallsyms", 8) == 0) ||
	    is_dom_name(name, len, &domid);
}

/* A file of ours: meta, kallsyms, dom<ID>.samples, or .<one of them>.tmp.<PID>. */
static int
is_known(const char *name)
{
	size_t len = strlen(name);
	const char *t;

	if (name[0] != '.')
		return is_plain_known(name, len);
	t = strstr(name + 1, ".tmp.");
	if (t == NULL || t[5] == '\0')
		return 0;
	for (const char *d = t + 5; *d != '\0'; d++)
		if (*d < '0' || *d > '9')
			return 0;
	return is_plain_known(name + 1, (size_t)(t - name - 1));
}

/*
 * Remove the files of ours in directory PATH (ALL: every non-directory
 * entry), never following a symlink.  0, or -1 with a message; a missing
 * PATH is empty.
 */
static int
clear_dir(const char *path, int all)
{
	struct dirent *de;
	DIR *d;
	int fd, dfd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		xps_seterr_errno(errno, "%s", path);
		return -1;
	}
	dfd = dup(fd);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		xps_seterr_errno(errno, "%s: opendir", path);
		if (dfd >= 0)
			close(dfd);
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!all && !is_known(de->d_name))
			continue;
		/* Never a directory or a fifo; a symlink is removed, not followed. */
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode) ||
		    (!all && !S_ISREG(st.st_mode)))
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT && rc == 0) {
			xps_seterr_errno(errno, "%s/%s: unlink", path, de->d_name);
			rc = -1;
		}
	}
	if (errno != 0 && rc == 0) {
		xps_seterr_errno(errno, "%s: readdir", path);
		rc = -1;
	}
	closedir(d);
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS && rc == 0) {
		xps_seterr_errno(errno, "%s: fsync", path);
		rc = -1;
	}
	close(fd);
	return rc;
}

/* SESSDIR/.current.flush into BUF: the writer's next (or previous) generation. */
static int
stage_path(char *buf, size_t len, const char *sessdir)
{
	int n = snprintf(buf, len, "%s/" XPS_STAGE_NAME, sessdir);

	if (n < 0 || (size_t)n >= len) {
		xps_seterr("%s: session path too long", sessdir);
		return -1;
	}
	return 0;
}

static int remove_generation(const char *dir);

int
xps_session_reset(const char *sessdir)
{
	char cur[XPS_PATH_MAX], stage[XPS_PATH_MAX];

	sessdir = sessdir_or_default(sessdir);
	if (xps_session_path(cur, sizeof cur, sessdir, NULL) < 0 ||
	    stage_path(stage, sizeof stage, sessdir) < 0)
		return -1;
	/* The writer's previous generation goes too: its samples are discarded. */
	if (remove_generation(stage) < 0)
		return -1;
	return clear_dir(cur, 0);
}

/*
 * Remove the generation directory DIR: its meta first (a reader that still
 * finds the meta after reading everything read one whole generation), then
 * the rest, then DIR itself, so that it is never reused.
 */
static int
remove_generation(const char *dir)
{
	char meta[XPS_PATH_MAX];
	struct stat st;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : (xps_seterr_errno(errno, "%s", dir), -1);
	if (!S_ISDIR(st.st_mode)) {
		/* a file or a symlink there: removed, never written through */
		if (unlink(dir) < 0) {
			xps_seterr_errno(errno, "%s: unlink", dir);
			return -1;
		}
		return 0;
	}
	snprintf(meta, sizeof meta, "%s/meta", dir);
	if (lstat(meta, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(meta) < 0) {
		xps_seterr_errno(errno, "%s: unlink", meta);
		return -1;
	}
	if (clear_dir(dir, 1) < 0)
		return -1;
	if (rmdir(dir) < 0) {
		xps_seterr_errno(errno, "%s: rmdir (remove what is not ours in it)", dir);
		return -1;
	}
	return 0;
}

int
xps_session_stage_begin(const char *sessdir, char *dir, size_t len)
{
	sessdir = sessdir_or_default(sessdir);
	if (stage_path(dir, len, sessdir) < 0 || remove_generation(dir) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0) {
		xps_seterr_errno(errno, "%s: mkdir", dir);
		return -1;
	}
	return 0;
}

/* Where the filesystem cannot exchange: move the staged files one by one. */
static int
stage_move(const char *stage, const char *cur)
{
	static const char *const last[] = { "kallsyms", "meta" };
	char from[XPS_PATH_MAX + 300], to[XPS_PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(stage)) == NULL) {
		xps_seterr_errno(errno, "%s: opendir", stage);
		return -1;
	}
	/* Samples first, then kallsyms, the meta last. */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		uint32_t domid;

		if (!is_dom_name(de->d_name, strlen(de->d_name), &domid))
			continue;
		snprintf(from, sizeof from, "%s/%s", stage, de->d_name);
		snprintf(to, sizeof to, "%s/%s", cur, de->d_name);
		if (rename(from, to) < 0) {
			xps_seterr_errno(errno, "rename %s to %s", from, to);
			rc = -1;
		}
	}
	closedir(d);
	for (size_t i = 0; rc == 0 && i < sizeof last / sizeof last[0]; i++) {
		snprintf(from, sizeof from, "%s/%s", stage, last[i]);
		snprintf(to, sizeof to, "%s/%s", cur, last[i]);
		if (rename(from, to) < 0 && errno != ENOENT) {
			xps_seterr_errno(errno, "rename %s to %s", from, to);
			rc = -1;
		}
	}
	return rc == 0 ? xps_sync_dir(cur) : -1;
}

int
xps_session_stage_commit(const char *sessdir)
{
	char cur[XPS_PATH_MAX], stage[XPS_PATH_MAX];

	sessdir = sessdir_or_default(sessdir);
	if (xps_session_path(cur, sizeof cur, sessdir, NULL) < 0 ||
	    stage_path(stage, sizeof stage, sessdir) < 0 || xps_sync_dir(stage) < 0)
		return -1;
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, cur, RENAME_EXCHANGE) < 0) {
		if (errno != EINVAL && errno != ENOSYS) {
			xps_seterr_errno(errno, "exchange %s with %s", stage, cur);
			return -1;
		}
		return stage_move(stage, cur);
	}
	return xps_sync_dir(sessdir);
}

/* ===================================================================== */
/* Reading a session                                                      */

static int
add_bad(struct xps_session *s, const char *msg)
{
	char **nb = realloc(s->bad, (s->nbad + 1) * sizeof *nb);

	if (nb == NULL)
		return -1;
	s->bad = nb;
	s->bad[s->nbad] = strdup(msg);
	if (s->bad[s->nbad] == NULL)
		return -1;
	s->nbad++;
	return 0;
}

static int
add_profile(struct xps_session *s, struct xps_profile *p)
{
	struct xps_profile **np = realloc(s->profiles,
	    (s->nprofiles + 1) * sizeof *np);

	if (np == NULL)
		return -1;
	s->profiles = np;
	s->profiles[s->nprofiles++] = p;
	return 0;
}

static int
cmp_profile(const void *a, const void *b)
{
	uint32_t x = xps_profile_domid(*(struct xps_profile *const *)a);
	uint32_t y = xps_profile_domid(*(struct xps_profile *const *)b);

	return x < y ? -1 : x > y;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of one generation that vanished while read: a newer one replaced it. */
#define XPS_OPEN_TRIES	8

/*
 * One try at reading the session in directory DIRFD (PATH) into S.  0; 1
 * when a file listed is gone (the generation was replaced: try again); 2
 * when there is no meta (not a session, or a replaced generation being
 * removed: try again, then it is not a session); -1 with a message.
 */
static int
session_read(struct xps_session *s, int dirfd, const char *path)
{
	char fp[XPS_PATH_MAX], msg[XPS_PATH_MAX + 128];
	struct dirent *de;
	DIR *d;
	int dfd, rc = 0;

	if (snprintf(fp, sizeof fp, "%s/meta", path) >= (int)sizeof fp) {
		xps_seterr("%s: path too long", path);
		return -1;
	}
	if (xps_meta_readat(&s->meta, dirfd, "meta", fp) < 0)
		return errno == ENOENT ? 2 : -1;	/* 2: no meta (yet, or any more) */
	if ((dfd = dup(dirfd)) < 0 || (d = fdopendir(dfd)) == NULL) {
		xps_seterr_errno(errno, "%s", path);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	rewinddir(d);
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct xps_profile *p;
		struct stat st;
		uint32_t domid;

		if (!is_dom_name(de->d_name, strlen(de->d_name), &domid))
			continue;
		if (xps_profile_filename(fp, sizeof fp, path, domid) < 0) {
			rc = -1;
			break;
		}
		p = NULL;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) {
				rc = 1;
				break;
			}
			snprintf(msg, sizeof msg, "%s: %s", fp, strerror(errno));
		} else if (!S_ISREG(st.st_mode))
			snprintf(msg, sizeof msg, "%s: not a regular file", fp);
		else if ((p = xps_profile_readat(dirfd, de->d_name, fp)) == NULL) {
			if (errno == ENOENT) {
				rc = 1;
				break;
			}
			snprintf(msg, sizeof msg, "%s", xps_errmsg());
		} else if (xps_profile_domid(p) != domid) {
			snprintf(msg, sizeof msg, "%s: holds domain %u, not %u",
			    fp, xps_profile_domid(p), domid);
			xps_profile_free(p);
			p = NULL;
		}
		if (p != NULL ? add_profile(s, p) < 0 : add_bad(s, msg) < 0) {
			xps_profile_free(p);
			xps_seterr("%s: out of memory", path);
			rc = -1;
		}
	}
	if (rc == 0 && errno != 0) {
		xps_seterr_errno(errno, "%s: readdir", path);
		rc = -1;
	}
	closedir(d);
	if (rc != 0)
		return rc;
	/* kallsyms, with the rest: a later flush may replace it. */
	snprintf(fp, sizeof fp, "%s/kallsyms", path);
	if (xps_read_fileat(dirfd, "kallsyms", fp, XPS_KALLSYMS_MAX, (uint8_t **)&s->kallsyms,
	    &s->kallsyms_len) < 0) {
		s->kallsyms = NULL;
		s->kallsyms_len = 0;
		if (errno != ENOENT) {
			snprintf(msg, sizeof msg, "%s", xps_errmsg());
			if (add_bad(s, msg) < 0)
				return -1;
		}
	}
	/*
	 * A generation's directory is written before it becomes current and
	 * never again; it is removed meta first, never reused.  So every file
	 * read through DIRFD, with the meta still there after the last read,
	 * is of one generation.
	 */
	{
		struct stat st;

		if (fstatat(dirfd, "meta", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			return 1;
	}
	return 0;
}

/* Empty S for another try. */
static void
session_clear(struct xps_session *s)
{
	for (uint32_t i = 0; i < s->nprofiles; i++)
		xps_profile_free(s->profiles[i]);
	for (uint32_t i = 0; i < s->nbad; i++)
		free(s->bad[i]);
	free(s->profiles);
	free(s->bad);
	free(s->kallsyms);
	s->profiles = NULL;
	s->bad = NULL;
	s->kallsyms = NULL;
	s->nprofiles = s->nbad = 0;
	s->kallsyms_len = 0;
}

struct xps_session *
xps_session_open(const char *path)
{
	struct xps_session *s;
	int rc = 1;

	s = calloc(1, sizeof *s);
	if (s == NULL || (s->path = strdup(path)) == NULL) {
		xps_seterr("%s: out of memory", path);
		goto fail;
	}
	s->dirfd = -1;
	for (int tries = 0; rc > 0 && tries < XPS_OPEN_TRIES; tries++) {
		if (s->dirfd >= 0)
			close(s->dirfd);
		session_clear(s);
		s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->dirfd < 0) {
			xps_seterr_errno(errno, "%s", path);
			goto fail;
		}
		rc = session_read(s, s->dirfd, path);
	}
	if (rc == 1)
		xps_seterr("%s: replaced by newer generations while read, %d times; try again",
		    path, XPS_OPEN_TRIES);
	/* rc 2: the meta's own message (missing: not a session) stands. */
	if (rc != 0)
		goto fail;
	if (s->nprofiles > 1)
		qsort(s->profiles, s->nprofiles, sizeof *s->profiles, cmp_profile);
	if (s->nbad > 1)
		qsort(s->bad, s->nbad, sizeof *s->bad, cmp_str);
	return s;
fail:
	xps_session_close(s);
	return NULL;
}

void
xps_session_close(struct xps_session *s)
{
	if (s == NULL)
		return;
	session_clear(s);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->path);
	free(s);
}
