/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Byte-level I/O shared by the profile and meta formats: little-endian
 * encoding, CRC32, buffered output, bounded whole-file input, the common
 * envelope check and atomic replacement of a file.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "libsamples/samplesP.h"

#define XPS_OUT_CHUNK	65536

/* ===================================================================== */
/* CRC32 (IEEE 802.3, as zlib's crc32()).                                */

#ifdef HAVE_ZLIB
uint32_t
xps_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}
#else
#include <pthread.h>

static uint32_t crc_table[256];

static void
crc_table_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t
xps_crc32(uint32_t crc, const void *buf, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *p = buf;

	pthread_once(&once, crc_table_init);
	crc = ~crc;
	while (len-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
#endif

/* ===================================================================== */
/* Little-endian helpers                                                  */

uint16_t
xps_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t
xps_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
xps_le64(const uint8_t *p)
{
	return (uint64_t)xps_le32(p) | (uint64_t)xps_le32(p + 4) << 32;
}

void
xps_st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
xps_st64(uint8_t *p, uint64_t v)
{
	xps_st32(p, (uint32_t)v);
	xps_st32(p + 4, (uint32_t)(v >> 32));
}

/* ===================================================================== */
/* Output stream                                                          */

int
xps_out_init(struct xps_out *o, int fd)
{
	memset(o, 0, sizeof *o);
	o->fd = fd;
	o->cap = fd >= 0 ? XPS_OUT_CHUNK : 4096;
	o->buf = malloc(o->cap);
	if (o->buf == NULL) {
		o->err = ENOMEM;
		return -1;
	}
	return 0;
}

void
xps_out_fini(struct xps_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

int
xps_out_flush(struct xps_out *o)
{
	size_t done = 0;

	if (o->err != 0)
		return -1;
	if (o->fd < 0)
		return 0;
	o->crc = xps_crc32(o->crc, o->buf, o->len);
	while (done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->err = errno;
			return -1;
		}
		done += (size_t)n;
	}
	o->len = 0;
	return 0;
}

/* Make room for N more bytes; 0 or -1 (o->err set). */
static int
out_room(struct xps_out *o, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (o->err != 0)
		return -1;
	if (o->cap - o->len >= n)
		return 0;
	if (o->fd >= 0) {
		if (xps_out_flush(o) < 0)
			return -1;
		if (o->cap >= n)
			return 0;
	}
	cap = o->cap;
	while (cap - o->len < n) {
		if (cap > SIZE_MAX / 2) {
			o->err = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	nb = realloc(o->buf, cap);
	if (nb == NULL) {
		o->err = ENOMEM;
		return -1;
	}
	o->buf = nb;
	o->cap = cap;
	return 0;
}

void
xps_put_bytes(struct xps_out *o, const void *p, size_t n)
{
	const uint8_t *s = p;

	/* Chunked so a large put does not grow a file-backed buffer. */
	while (n > 0) {
		size_t k = n > XPS_OUT_CHUNK ? XPS_OUT_CHUNK : n;

		if (out_room(o, k) < 0)
			return;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		o->total += k;
		s += k;
		n -= k;
	}
}

void
xps_put_zero(struct xps_out *o, size_t n)
{
	static const uint8_t zero[64];

	while (n > 0) {
		size_t k = n > sizeof zero ? sizeof zero : n;

		xps_put_bytes(o, zero, k);
		n -= k;
	}
}

void
xps_put_u8(struct xps_out *o, uint8_t v)
{
	if (out_room(o, 1) < 0)
		return;
	o->buf[o->len++] = v;
	o->total++;
}

void
xps_put_u16(struct xps_out *o, uint16_t v)
{
	if (out_room(o, 2) < 0)
		return;
	o->buf[o->len] = (uint8_t)v;
	o->buf[o->len + 1] = (uint8_t)(v >> 8);
	o->len += 2;
	o->total += 2;
}

void
xps_put_u32(struct xps_out *o, uint32_t v)
{
	if (out_room(o, 4) < 0)
		return;
	xps_st32(o->buf + o->len, v);
	o->len += 4;
	o->total += 4;
}

void
xps_put_u64(struct xps_out *o, uint64_t v)
{
	if (out_room(o, 8) < 0)
		return;
	xps_st64(o->buf + o->len, v);
	o->len += 8;
	o->total += 8;
}

uint32_t
xps_out_crc(const struct xps_out *o)
{
	return xps_crc32(o->crc, o->buf, o->len);
}

/* ===================================================================== */
/* Input cursor                                                           */

const uint8_t *
xps_get_bytes(struct xps_in *in, size_t n)
{
	const uint8_t *p;

	if (in->short_read || in->len - in->pos < n) {
		in->short_read = 1;
		return NULL;
	}
	p = in->p + in->pos;
	in->pos += n;
	return p;
}

uint8_t
xps_get_u8(struct xps_in *in)
{
	const uint8_t *p = xps_get_bytes(in, 1);

	return p != NULL ? p[0] : 0;
}

uint16_t
xps_get_u16(struct xps_in *in)
{
	const uint8_t *p = xps_get_bytes(in, 2);

	return p != NULL ? xps_le16(p) : 0;
}

uint32_t
xps_get_u32(struct xps_in *in)
{
	const uint8_t *p = xps_get_bytes(in, 4);

	return p != NULL ? xps_le32(p) : 0;
}

uint64_t
xps_get_u64(struct xps_in *in)
{
	const uint8_t *p = xps_get_bytes(in, 8);

	return p != NULL ? xps_le64(p) : 0;
}

/* ===================================================================== */
/* Whole-file input                                                       */

int
xps_read_file(const char *path, uint64_t max, uint8_t **bufp, size_t *lenp)
{
	return xps_read_fileat(AT_FDCWD, path, path, max, bufp, lenp);
}

int
xps_read_fileat(int dirfd, const char *name, const char *path, uint64_t max, uint8_t **bufp,
    size_t *lenp)
{
	struct stat st;
	uint8_t *buf;
	size_t size, done = 0;
	int fd;

	*bufp = NULL;
	*lenp = 0;
	/* O_NONBLOCK: a FIFO planted under a sample-file name must not hang us. */
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    (dirfd == AT_FDCWD ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		xps_seterr_errno(errno, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		xps_seterr_errno(errno, "%s: fstat", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		xps_seterr("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX) {
		xps_seterr("%s: too large (%llu bytes, at most %llu)", path,
		    (unsigned long long)st.st_size, (unsigned long long)max);
		close(fd);
		return -1;
	}
	size = (size_t)st.st_size;
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL) {
		xps_seterr("%s: out of memory (%zu bytes)", path, size);
		close(fd);
		return -1;
	}
	while (done < size) {
		ssize_t n = read(fd, buf + done, size - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			xps_seterr_errno(errno, "%s: read", path);
			goto fail;
		}
		if (n == 0) {
			xps_seterr("%s: truncated while reading (expected %zu bytes, "
			    "found %zu)", path, size, done);
			goto fail;
		}
		done += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = size;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/*
 * The envelope common to both formats (doc/sample-format.md, "Envelope"):
 * magic[8], write version u16, read version u16, header size u32, file size
 * u64, ..., CRC32 u32 of all preceding bytes at the very end.
 */
int
xps_check_envelope(const char *path, const uint8_t *buf, size_t len,
    const char *magic, const char *what, uint32_t min_hdr)
{
	uint16_t wver, rver;
	uint32_t hdr, stored, crc;
	uint64_t fsize;

	if (len == 0) {
		xps_seterr("%s: empty file", path);
		return -1;
	}
	if (len < XPS_MAGIC_LEN || memcmp(buf, magic, XPS_MAGIC_LEN) != 0) {
		xps_seterr("%s: bad magic (not a xenprof %s file)", path, what);
		return -1;
	}
	if (len < 24) {
		xps_seterr("%s: truncated (expected at least %u bytes, found %zu)",
		    path, min_hdr + XPS_CRC_SIZE, len);
		return -1;
	}
	wver = xps_le16(buf + 8);
	rver = xps_le16(buf + 10);
	hdr = xps_le32(buf + 12);
	fsize = xps_le64(buf + 16);
	if (rver == 0 || wver < rver) {
		xps_seterr("%s: bad format version (write %u, read %u)", path,
		    wver, rver);
		return -1;
	}
	if (rver > XPS_FORMAT_VERSION) {
		xps_seterr("%s: format version %u is newer than this xenprof "
		    "reads (%u)", path, rver, XPS_FORMAT_VERSION);
		return -1;
	}
	if (fsize != len) {
		if (fsize > len)
			xps_seterr("%s: truncated (expected %llu bytes, found %zu)",
			    path, (unsigned long long)fsize, len);
		else
			xps_seterr("%s: size mismatch (header says %llu bytes, "
			    "found %zu)", path, (unsigned long long)fsize, len);
		return -1;
	}
	if (hdr < min_hdr || (uint64_t)hdr > fsize - XPS_CRC_SIZE) {
		xps_seterr("%s: bad header size %u", path, hdr);
		return -1;
	}
	stored = xps_le32(buf + len - XPS_CRC_SIZE);
	crc = xps_crc32(0, buf, len - XPS_CRC_SIZE);
	if (stored != crc) {
		xps_seterr("%s: bad checksum (stored 0x%08x, computed 0x%08x)",
		    path, stored, crc);
		return -1;
	}
	return 0;
}

/* ===================================================================== */
/* Atomic replacement                                                     */

/* Split PATH into directory (DIR, "." if none) and base name; -1 if no base. */
static int
split_path(const char *path, char *dir, size_t dirlen, const char **basep)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		snprintf(dir, dirlen, ".");
		*basep = path;
	} else if (slash == path) {
		snprintf(dir, dirlen, "/");
		*basep = slash + 1;
	} else {
		if ((size_t)(slash - path) >= dirlen)
			return -1;
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
		*basep = slash + 1;
	}
	return **basep != '\0' ? 0 : -1;
}

/* fsync the directory DIRFD (PATH names it in messages); -1 on a real error. */
int
xps_sync_dirfd(int dirfd, const char *path)
{
	/* Some filesystems cannot fsync a directory; that is not a failure. */
	if (fsync(dirfd) < 0 && errno != EINVAL && errno != EROFS) {
		xps_seterr_errno(errno, "%s: fsync directory", path);
		return -1;
	}
	return 0;
}

/* fsync directory DIR; -1 with a message on a real error. */
int
xps_sync_dir(const char *dir)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		xps_seterr_errno(errno, "%s: open directory", dir);
		return -1;
	}
	rc = xps_sync_dirfd(fd, dir);
	close(fd);
	return rc;
}

int
xps_atomic_beginat(struct xps_atomic *a, int dirfd, const char *name, const char *path)
{
	size_t plen = strlen(path), nlen = strlen(name);
	int n;

	a->fd = -1;
	a->dirfd = dirfd;
	a->own_dir = 0;
	a->tmp[0] = a->tmpname[0] = '\0';
	if (plen >= sizeof a->path || nlen >= sizeof a->name || nlen == 0 ||
	    strchr(name, '/') != NULL) {
		xps_seterr("%s: bad or too long path", path);
		return -1;
	}
	snprintf(a->path, sizeof a->path, "%s", path);
	snprintf(a->name, sizeof a->name, "%s", name);
	n = snprintf(a->tmpname, sizeof a->tmpname, ".%s.tmp.%ld", name, (long)getpid());
	/* For messages: PATH with its last NAME replaced by the temporary name. */
	if (n < 0 || (size_t)n >= sizeof a->tmpname ||
	    snprintf(a->tmp, sizeof a->tmp, "%.*s%s", (int)(plen >= nlen ? plen - nlen : 0), path,
	    a->tmpname) >= (int)sizeof a->tmp) {
		xps_seterr("%s: path too long", path);
		a->tmp[0] = a->tmpname[0] = '\0';
		return -1;
	}
	for (int tries = 0; tries < 2; tries++) {
		a->fd = openat(dirfd, a->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (a->fd >= 0)
			return 0;
		/* Left by a dead process that had our pid: remove and retry. */
		if (errno != EEXIST || tries > 0 || unlinkat(dirfd, a->tmpname, 0) < 0)
			break;
	}
	xps_seterr_errno(errno, "%s: create", a->tmp);
	a->tmp[0] = a->tmpname[0] = '\0';
	return -1;
}

int
xps_atomic_begin(struct xps_atomic *a, const char *path)
{
	char dir[XPS_PATH_MAX];
	const char *base;
	int dirfd;

	a->fd = a->dirfd = -1;
	a->own_dir = 0;
	a->tmp[0] = a->tmpname[0] = '\0';
	if (strlen(path) >= sizeof a->path || split_path(path, dir, sizeof dir, &base) < 0) {
		xps_seterr("%s: bad or too long path", path);
		return -1;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		xps_seterr_errno(errno, "%s: open directory", dir);
		return -1;
	}
	if (xps_atomic_beginat(a, dirfd, base, path) < 0) {
		close(dirfd);
		return -1;
	}
	a->own_dir = 1;
	return 0;
}

static void
atomic_release_dir(struct xps_atomic *a)
{
	if (a->own_dir && a->dirfd >= 0)
		close(a->dirfd);
	a->dirfd = -1;
	a->own_dir = 0;
}

void
xps_atomic_abort(struct xps_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmpname[0] != '\0' && a->dirfd >= 0)
		unlinkat(a->dirfd, a->tmpname, 0);
	a->tmp[0] = a->tmpname[0] = '\0';
	atomic_release_dir(a);
}

int
xps_atomic_commit(struct xps_atomic *a)
{
	int rc;

	if (fsync(a->fd) < 0) {
		xps_seterr_errno(errno, "%s: fsync", a->tmp);
		goto fail;
	}
	if (close(a->fd) < 0) {
		a->fd = -1;
		xps_seterr_errno(errno, "%s: close", a->tmp);
		goto fail;
	}
	a->fd = -1;
	/* Within one directory fd: a symlink planted at NAME is replaced, never followed. */
	if (renameat(a->dirfd, a->tmpname, a->dirfd, a->name) < 0) {
		xps_seterr_errno(errno, "%s: rename to %s", a->tmp, a->path);
		goto fail;
	}
	a->tmp[0] = a->tmpname[0] = '\0';
	rc = xps_sync_dirfd(a->dirfd, a->path);
	atomic_release_dir(a);
	return rc;
fail:
	xps_atomic_abort(a);
	return -1;
}

/* Write LEN bytes of DATA to the replacement begun in A, and commit it. */
static int
atomic_write_all(struct xps_atomic *a, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(a->fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			xps_seterr_errno(errno, "%s: write", a->tmp);
			xps_atomic_abort(a);
			return -1;
		}
		done += (size_t)n;
	}
	return xps_atomic_commit(a);
}

int
xps_write_file(const char *path, const void *data, size_t len)
{
	struct xps_atomic a;

	if (xps_atomic_begin(&a, path) < 0)
		return -1;
	return atomic_write_all(&a, data, len);
}

int
xps_write_fileat(int dirfd, const char *name, const char *path, const void *data, size_t len)
{
	struct xps_atomic a;

	if (xps_atomic_beginat(&a, dirfd, name, path) < 0)
		return -1;
	return atomic_write_all(&a, data, len);
}
