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

/* Path DIR/NAME into BUF for messages (cut to fit: only ever displayed). */
static const char *
join(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

/*
 * mkdir NAME in DIRFD (LABEL names DIRFD) with MODE unless it exists; -1
 * unless it is then a real directory (a symlink is refused).
 */
static int
ensure_dirat(int dirfd, const char *label, const char *name, mode_t mode)
{
	char p[XPS_PATH_MAX];
	struct stat st;

	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST) {
		xps_seterr_errno(errno, "%s: mkdir", join(p, sizeof p, label, name));
		return -1;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		xps_seterr_errno(errno, "%s", join(p, sizeof p, label, name));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		xps_seterr("%s: not a directory (%s)", join(p, sizeof p, label, name),
		    S_ISLNK(st.st_mode) ? "a symbolic link" : "another kind of file");
		return -1;
	}
	return 0;
}

/* The directory NAME in DIRFD, opened without following a symlink; -1 with a message. */
static int
open_dirat(int dirfd, const char *label, const char *name)
{
	char p[XPS_PATH_MAX];
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		xps_seterr_errno(errno, "%s%s", join(p, sizeof p, label, name),
		    errno == ELOOP || errno == ENOTDIR ? " (not a directory: a symlink or file is "
		    "not followed)" : "");
	return fd;
}

/* SESSDIR itself, for the path-based calls: -1 with a message. */
static int
open_sessdir(const char *sessdir)
{
	int fd = open(sessdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = errno;

	if (fd < 0) {
		xps_seterr_errno(e, "%s", sessdir);
		errno = e;
	}
	return fd;
}

int
xps_session_init(const char *sessdir)
{
	int fd, rc;

	sessdir = sessdir_or_default(sessdir);
	if (mkdir(sessdir, 0755) < 0 && errno != EEXIST) {
		xps_seterr_errno(errno, "%s: mkdir", sessdir);
		return -1;
	}
	if ((fd = open(sessdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		xps_seterr_errno(errno, "%s%s", sessdir, errno == ELOOP || errno == ENOTDIR ?
		    " (not a directory: a symlink or file is not followed)" : "");
		return -1;
	}
	rc = ensure_dirat(fd, sessdir, "current", 0700);
	close(fd);
	return rc;
}

int
xps_session_saveat(int sessfd, const char *sessdir, const char *name)
{
	char p[XPS_PATH_MAX];
	struct stat st;
	int savedfd, rc = 0;

	if (!xps_name_valid(name))
		return -1;
	if (fstatat(sessfd, "current", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			xps_seterr("%s: no current session to save", sessdir);
		else
			xps_seterr_errno(errno, "%s", join(p, sizeof p, sessdir, "current"));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		xps_seterr("%s: not a directory", join(p, sizeof p, sessdir, "current"));
		return -1;
	}
	if (ensure_dirat(sessfd, sessdir, "saved", 0700) < 0 ||
	    (savedfd = open_dirat(sessfd, sessdir, "saved")) < 0)
		return -1;
	snprintf(p, sizeof p, "%s/saved/%s", sessdir, name);
	if (renameat2(sessfd, "current", savedfd, name, RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST) {
			xps_seterr("session %s already exists (%s)", name, p);
			rc = -1;
		} else if (errno != EINVAL && errno != ENOSYS) {
			xps_seterr_errno(errno, "rename %s/current to %s", sessdir, p);
			rc = -1;
		} else if (fstatat(savedfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			/* No RENAME_NOREPLACE here: check first (racy, but rare). */
			xps_seterr("session %s already exists (%s)", name, p);
			rc = -1;
		} else if (renameat(sessfd, "current", savedfd, name) < 0) {
			xps_seterr_errno(errno, "rename %s/current to %s", sessdir, p);
			rc = -1;
		}
	}
	if (rc == 0 && mkdirat(sessfd, "current", 0700) < 0) {
		xps_seterr_errno(errno, "saved as %s, but cannot create a new %s/current", name,
		    sessdir);
		rc = -1;
	}
	if (rc == 0 && (xps_sync_dirfd(savedfd, p) < 0 || xps_sync_dirfd(sessfd, sessdir) < 0))
		rc = -1;
	close(savedfd);
	return rc;
}

int
xps_session_save(const char *sessdir, const char *name)
{
	int fd, rc;

	sessdir = sessdir_or_default(sessdir);
	if (!xps_name_valid(name))
		return -1;
	if ((fd = open_sessdir(sessdir)) < 0) {
		if (errno == ENOENT)
			xps_seterr("%s: no current session to save", sessdir);
		return -1;
	}
	rc = xps_session_saveat(fd, sessdir, name);
	close(fd);
	return rc;
}

/*
 * Remove the files of ours in the open directory FD (PATH names it; ALL:
 * every non-directory entry), never following a symlink.  0, or -1 with a
 * message.
 */
static int
clear_dirfd(int fd, const char *path, int all)
{
	struct dirent *de;
	DIR *d;
	int dfd, rc = 0;

	dfd = dup(fd);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		xps_seterr_errno(errno, "%s: opendir", path);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	rewinddir(d);
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
	return rc;
}

/*
 * Remove the generation directory NAME in SESSFD: its meta first (a reader
 * that still finds the meta after reading everything read one whole
 * generation), then the rest, then the directory itself, so that it is
 * never reused.  A file or symlink there is removed, never written through.
 */
static int
remove_generationat(int sessfd, const char *sessdir, const char *name)
{
	char p[XPS_PATH_MAX];
	struct stat st;
	int fd, rc;

	join(p, sizeof p, sessdir, name);
	if (fstatat(sessfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : (xps_seterr_errno(errno, "%s", p), -1);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(sessfd, name, 0) < 0) {
			xps_seterr_errno(errno, "%s: unlink", p);
			return -1;
		}
		return 0;
	}
	if ((fd = open_dirat(sessfd, sessdir, name)) < 0)
		return -1;
	if (fstatat(fd, "meta", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    unlinkat(fd, "meta", 0) < 0) {
		xps_seterr_errno(errno, "%s/meta: unlink", p);
		close(fd);
		return -1;
	}
	rc = clear_dirfd(fd, p, 1);
	close(fd);
	if (rc < 0)
		return -1;
	if (unlinkat(sessfd, name, AT_REMOVEDIR) < 0) {
		xps_seterr_errno(errno, "%s: rmdir (remove what is not ours in it)", p);
		return -1;
	}
	return 0;
}

int
xps_session_resetat(int sessfd, const char *sessdir)
{
	char p[XPS_PATH_MAX];
	int fd, rc;

	/* The writer's previous generation goes too: its samples are discarded. */
	if (remove_generationat(sessfd, sessdir, XPS_STAGE_NAME) < 0)
		return -1;
	fd = openat(sessfd, "current", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		xps_seterr_errno(errno, "%s", join(p, sizeof p, sessdir, "current"));
		return -1;
	}
	rc = clear_dirfd(fd, join(p, sizeof p, sessdir, "current"), 0);
	close(fd);
	return rc;
}

int
xps_session_reset(const char *sessdir)
{
	int fd, rc;

	sessdir = sessdir_or_default(sessdir);
	if ((fd = open_sessdir(sessdir)) < 0)
		return errno == ENOENT ? 0 : -1;
	rc = xps_session_resetat(fd, sessdir);
	close(fd);
	return rc;
}

int
xps_session_stage_beginat(int sessfd, const char *sessdir)
{
	char p[XPS_PATH_MAX];

	if (remove_generationat(sessfd, sessdir, XPS_STAGE_NAME) < 0)
		return -1;
	if (mkdirat(sessfd, XPS_STAGE_NAME, 0700) < 0) {
		xps_seterr_errno(errno, "%s: mkdir", join(p, sizeof p, sessdir, XPS_STAGE_NAME));
		return -1;
	}
	return open_dirat(sessfd, sessdir, XPS_STAGE_NAME);
}

int
xps_session_stage_begin(const char *sessdir, char *dir, size_t len)
{
	int fd, sfd;

	sessdir = sessdir_or_default(sessdir);
	if (snprintf(dir, len, "%s/" XPS_STAGE_NAME, sessdir) >= (int)len) {
		xps_seterr("%s: session path too long", sessdir);
		return -1;
	}
	if ((fd = open_sessdir(sessdir)) < 0)
		return -1;
	sfd = xps_session_stage_beginat(fd, sessdir);
	close(fd);
	if (sfd < 0)
		return -1;
	close(sfd);
	return 0;
}

/* Where the filesystem cannot exchange: move the staged files one by one. */
static int
stage_moveat(int sessfd, const char *sessdir)
{
	static const char *const last[] = { "kallsyms", "meta" };
	char p[XPS_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int sfd, cfd, rc = 0;

	if ((sfd = open_dirat(sessfd, sessdir, XPS_STAGE_NAME)) < 0)
		return -1;
	if ((cfd = open_dirat(sessfd, sessdir, "current")) < 0) {
		close(sfd);
		return -1;
	}
	if ((d = fdopendir(sfd)) == NULL) {
		xps_seterr_errno(errno, "%s: opendir", join(p, sizeof p, sessdir, XPS_STAGE_NAME));
		close(sfd);
		close(cfd);
		return -1;
	}
	/* Samples first, then kallsyms, the meta last. */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		uint32_t domid;

		if (!is_dom_name(de->d_name, strlen(de->d_name), &domid))
			continue;
		if (renameat(dirfd(d), de->d_name, cfd, de->d_name) < 0) {
			xps_seterr_errno(errno, "rename %s/%s/%s to %s/current", sessdir,
			    XPS_STAGE_NAME, de->d_name, sessdir);
			rc = -1;
		}
	}
	for (size_t i = 0; rc == 0 && i < sizeof last / sizeof last[0]; i++) {
		if (renameat(dirfd(d), last[i], cfd, last[i]) < 0 && errno != ENOENT) {
			xps_seterr_errno(errno, "rename %s/%s/%s to %s/current", sessdir,
			    XPS_STAGE_NAME, last[i], sessdir);
			rc = -1;
		}
	}
	closedir(d);
	if (rc == 0)
		rc = xps_sync_dirfd(cfd, join(p, sizeof p, sessdir, "current"));
	close(cfd);
	return rc;
}

int
xps_session_stage_commitat(int sessfd, const char *sessdir)
{
	char p[XPS_PATH_MAX];
	int sfd, rc;

	if ((sfd = open_dirat(sessfd, sessdir, XPS_STAGE_NAME)) < 0)
		return -1;
	rc = xps_sync_dirfd(sfd, join(p, sizeof p, sessdir, XPS_STAGE_NAME));
	close(sfd);
	if (rc < 0)
		return -1;
	if (renameat2(sessfd, XPS_STAGE_NAME, sessfd, "current", RENAME_EXCHANGE) < 0) {
		if (errno != EINVAL && errno != ENOSYS) {
			xps_seterr_errno(errno, "exchange %s/%s with %s/current", sessdir,
			    XPS_STAGE_NAME, sessdir);
			return -1;
		}
		return stage_moveat(sessfd, sessdir);
	}
	return xps_sync_dirfd(sessfd, sessdir);
}

int
xps_session_stage_commit(const char *sessdir)
{
	int fd, rc;

	sessdir = sessdir_or_default(sessdir);
	if ((fd = open_sessdir(sessdir)) < 0)
		return -1;
	rc = xps_session_stage_commitat(fd, sessdir);
	close(fd);
	return rc;
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

/* The session in PATH, or in NAME relative to DIRFD when DIRFD is not AT_FDCWD. */
static struct xps_session *
session_open(int at, const char *name, const char *path)
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
		s->dirfd = at == AT_FDCWD ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
		    openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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

struct xps_session *
xps_session_open(const char *path)
{
	return session_open(AT_FDCWD, path, path);
}

struct xps_session *
xps_session_openat(int dirfd, const char *name, const char *path)
{
	return session_open(dirfd, name, path);
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
