/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sessdir.c: a session directory opened once for a daemon that writes in
 * it (xps_sessdir_open, samples.h).  The path is checked as sshd's
 * StrictModes checks a user's files: a directory above SESSDIR that a user
 * other than root can write lets that user rename SESSDIR away and put a
 * symlink in its place, so that a writer going by path writes where they
 * chose.  The caller then writes only relative to the fd returned.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsamples/samplesP.h"

/*
 * May a user other than root replace CHILD (stat CST) in directory DIR
 * (stat DST)?  Only root's directory, writable by no group or other, is
 * safe, or root's sticky directory (/tmp) when CHILD is root's or OWNER's:
 * there only they can rename or remove it.
 */
static int
dir_safe(const struct stat *dst, const struct stat *cst, uint32_t owner)
{
	if (dst->st_uid != 0)
		return 0;
	if ((dst->st_mode & 022) == 0)
		return 1;
	return (dst->st_mode & S_ISVTX) && (cst->st_uid == 0 || cst->st_uid == owner);
}

static void
unsafe_error(const char *sessdir, const char *dir, const struct stat *dst)
{
	xps_seterr("session dir %s: %s is %s (owner uid %u, mode %04o), so another user could "
	    "replace %s; use a session dir whose every parent is root's and not group- or "
	    "world-writable (chown root %s; chmod go-w %s), or another session dir",
	    sessdir, dir, dst->st_uid != 0 ? "not owned by root" : "writable by others than root",
	    (unsigned)dst->st_uid, (unsigned)(dst->st_mode & 07777), sessdir, dir, dir);
}

int
xps_sessdir_open(const char *sessdir, uint32_t owner, int create)
{
	char buf[XPS_PATH_MAX], real[PATH_MAX], at[PATH_MAX], *base, *slash;
	struct stat dst, cst;
	int fd, next;
	size_t n;

	/* SESSDIR's parent (which must exist) resolved, and its last name. */
	n = strlen(sessdir);
	if (n == 0 || n >= sizeof buf) {
		xps_seterr("session dir '%s': empty or too long", sessdir);
		return -1;
	}
	memcpy(buf, sessdir, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	slash = strrchr(buf, '/');
	base = slash ? slash + 1 : buf;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		xps_seterr("session dir %s: give it by name, not as / . or ..", sessdir);
		return -1;
	}
	if (slash == buf)
		snprintf(real, sizeof real, "/");
	else if (realpath(slash ? (*slash = '\0', buf) : ".", real) == NULL) {
		xps_seterr_errno(errno, "session dir %s: its parent directory", sessdir);
		return -1;
	}
	/* Walk down from / without following a symlink, checking each step. */
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &dst) < 0) {
		xps_seterr_errno(errno, "/");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(at, sizeof at, "/");
	for (char *c = real + 1, *e; *c != '\0'; c = e) {
		if ((e = strchr(c, '/')) != NULL)
			*e++ = '\0';
		else
			e = c + strlen(c);
		errno = 0;
		if (fstatat(fd, c, &cst, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(cst.st_mode)) {
			xps_seterr("session dir %s: %s%s%s changed while it was checked (%s)", sessdir,
			    at, strcmp(at, "/") ? "/" : "", c, errno ? strerror(errno) : "not a directory");
			close(fd);
			return -1;
		}
		if (!dir_safe(&dst, &cst, owner)) {
			unsafe_error(sessdir, at, &dst);
			close(fd);
			return -1;
		}
		next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0 || fstat(next, &dst) < 0 || dst.st_dev != cst.st_dev ||
		    dst.st_ino != cst.st_ino) {
			xps_seterr("session dir %s: %s changed while it was checked", sessdir, c);
			if (next >= 0)
				close(next);
			return -1;
		}
		fd = next;
		snprintf(at + strlen(at), sizeof at - strlen(at), "%s%s", strcmp(at, "/") ? "/" : "", c);
	}
	/* SESSDIR itself: made if asked, a real directory, root's or OWNER's. */
	if (create && mkdirat(fd, base, 0700) < 0 && errno != EEXIST) {
		xps_seterr_errno(errno, "session dir %s: mkdir", sessdir);
		close(fd);
		return -1;
	}
	errno = 0;
	if (fstatat(fd, base, &cst, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(cst.st_mode)) {
		if (errno)
			xps_seterr_errno(errno, "session dir %s", sessdir);
		else
			xps_seterr("session dir %s is not a directory (%s is not accepted)", sessdir,
			    S_ISLNK(cst.st_mode) ? "a symlink" : "a file");
		close(fd);
		return -1;
	}
	if (!dir_safe(&dst, &cst, owner)) {
		unsafe_error(sessdir, at, &dst);
		close(fd);
		return -1;
	}
	if (cst.st_uid != 0 && cst.st_uid != owner) {
		xps_seterr("session dir %s is owned by uid %u; use a directory owned by root (chown -R "
		    "root %s, if it is one of xenprof's that a sampler of another user left)",
		    sessdir, (unsigned)cst.st_uid, sessdir);
		close(fd);
		return -1;
	}
	next = openat(fd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(fd);
	if (next < 0 || fstat(next, &dst) < 0 || dst.st_dev != cst.st_dev ||
	    dst.st_ino != cst.st_ino) {
		xps_seterr("session dir %s changed while it was checked", sessdir);
		if (next >= 0)
			close(next);
		return -1;
	}
	return next;
}
