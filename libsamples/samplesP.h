/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libsamples internals, shared by the library's sources and its unit tests.
 * Not installed, not for the daemon or the report tool: they use samples.h.
 */
#ifndef XP_SAMPLESP_H
#define XP_SAMPLESP_H

#include <stddef.h>
#include <stdint.h>

#include "libsamples/samples.h"

#define XPS_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#define XPS_LIKELY(x)		__builtin_expect(!!(x), 1)
#define XPS_UNLIKELY(x)		__builtin_expect(!!(x), 0)

/* Format versions (see doc/sample-format.md). */
#define XPS_PROFILE_MAGIC	"XPROF-S\n"
#define XPS_META_MAGIC		"XPROF-M\n"
#define XPS_MAGIC_LEN		8
#define XPS_FORMAT_VERSION	1	/* the version this library writes and reads */
#define XPS_PROFILE_HDR_SIZE	160
#define XPS_META_HDR_SIZE	24
#define XPS_IMAGE_ENT_MIN	8	/* image entry without build-id and path */
#define XPS_RECORD_SIZE		48
#define XPS_CHAIN_ENT_SIZE	4
#define XPS_FRAME_SIZE		16
#define XPS_LOSS_SIZE		16
#define XPS_CRC_SIZE		4

/* Readers refuse files larger than these before allocating anything. */
#define XPS_PROFILE_FILE_MAX	(UINT64_C(1) << 36)
#define XPS_META_FILE_MAX	(UINT64_C(1) << 20)

/* error.c: set this thread's message; errno is preserved. */
void xps_seterr(const char *fmt, ...) XPS_PRINTF(1, 2);
/* Same, with ": strerror(ERR)" appended. */
void xps_seterr_errno(int err, const char *fmt, ...) XPS_PRINTF(2, 3);

/* file.c: xps_crc32 (samples.h) */

/*
 * An output stream: bytes are encoded into buf; with fd >= 0 they are flushed
 * to fd when buf is full, otherwise buf grows (memory mode).  crc covers the
 * flushed bytes only; xps_out_crc() adds the pending ones.  The first failure
 * is kept in err (an errno value) and every later put is a no-op.
 */
struct xps_out {
	uint8_t	       *buf;	/* owned */
	size_t		len;
	size_t		cap;
	int		fd;	/* not owned */
	uint32_t	crc;
	uint64_t	total;	/* bytes put so far */
	int		err;
};

int xps_out_init(struct xps_out *o, int fd);
void xps_out_fini(struct xps_out *o);
void xps_put_bytes(struct xps_out *o, const void *p, size_t n);
void xps_put_u8(struct xps_out *o, uint8_t v);
void xps_put_u16(struct xps_out *o, uint16_t v);
void xps_put_u32(struct xps_out *o, uint32_t v);
void xps_put_u64(struct xps_out *o, uint64_t v);
void xps_put_zero(struct xps_out *o, size_t n);
uint32_t xps_out_crc(const struct xps_out *o);
int xps_out_flush(struct xps_out *o);

/*
 * An input cursor over a byte buffer.  A get past the end returns 0 and sets
 * short_read; callers check it once after a group of gets.
 */
struct xps_in {
	const uint8_t  *p;	/* not owned */
	size_t		len;
	size_t		pos;
	int		short_read;
};

uint8_t xps_get_u8(struct xps_in *in);
uint16_t xps_get_u16(struct xps_in *in);
uint32_t xps_get_u32(struct xps_in *in);
uint64_t xps_get_u64(struct xps_in *in);
/* Pointer to the next N bytes (consumed), or NULL with short_read set. */
const uint8_t *xps_get_bytes(struct xps_in *in, size_t n);

uint16_t xps_le16(const uint8_t *p);
uint32_t xps_le32(const uint8_t *p);
uint64_t xps_le64(const uint8_t *p);
void xps_st32(uint8_t *p, uint32_t v);
void xps_st64(uint8_t *p, uint64_t v);

/*
 * An atomic replacement of NAME in a directory: a temp file ".NAME.tmp.PID"
 * there (O_EXCL|O_NOFOLLOW, mode 0600) that commit fsyncs and renames over
 * NAME (renameat within the one directory fd: never through a symlink),
 * then fsyncs the directory.  abort (or a failed commit) unlinks the temp
 * file.  beginat works in DIRFD (the caller's, kept open); begin opens
 * PATH's directory once and closes it at commit or abort.  PATH names the
 * file in messages.  Not safe for two threads replacing the same NAME.
 */
struct xps_atomic {
	int	fd;
	int	dirfd;
	int	own_dir;			/* dirfd opened by begin */
	char	path[XPS_PATH_MAX];		/* for messages */
	char	name[XPS_PATH_MAX];		/* in dirfd */
	char	tmp[XPS_PATH_MAX];		/* the temp file, for messages */
	char	tmpname[XPS_PATH_MAX];		/* in dirfd */
};

/* fsync directory DIR (EINVAL/EROFS from the filesystem are not errors). */
int xps_sync_dir(const char *dir);
/* The same for an open directory DIRFD, PATH naming it in messages. */
int xps_sync_dirfd(int dirfd, const char *path);

int xps_atomic_begin(struct xps_atomic *a, const char *path);
int xps_atomic_beginat(struct xps_atomic *a, int dirfd, const char *name, const char *path);
int xps_atomic_commit(struct xps_atomic *a);
void xps_atomic_abort(struct xps_atomic *a);

/*
 * Read the regular file PATH (at most MAX bytes) into a new buffer that the
 * caller frees.  "PATH: too large" if larger than MAX.
 */
int xps_read_file(const char *path, uint64_t max, uint8_t **bufp, size_t *lenp);
/* The same for NAME relative to directory DIRFD (not following a symlink);
 * PATH names it in messages. */
int xps_read_fileat(int dirfd, const char *name, const char *path, uint64_t max,
    uint8_t **bufp, size_t *lenp);

/* session.c: the writer's generation directory in SESSDIR (samples.h). */
#define XPS_STAGE_NAME		".current.flush"
/* The largest kallsyms file a session is read with. */
#define XPS_KALLSYMS_MAX	(256ull << 20)

/* meta.c, profile-io.c: the readers, relative to a directory (session.c). */
int xps_meta_readat(struct xps_meta *m, int dirfd, const char *name, const char *path);
struct xps_profile *xps_profile_readat(int dirfd, const char *fname, const char *path);

/* Check the common prefix: magic, versions, header size, file size, CRC. */
int xps_check_envelope(const char *path, const uint8_t *buf, size_t len,
    const char *magic, const char *what, uint32_t min_hdr);

/* profile.c: internals used by the reader. */
int xps_profile_reserve(struct xps_profile *p, size_t nrecords);
/* Insert KEY with COUNT; 1 if it was new, 0 if it existed (count added), -1. */
int xps_profile_insert(struct xps_profile *p, const struct xps_key *key, uint64_t count);
/* Index of the loss counter (CPU, KIND), creating it; -1 on failure. */
int xps_profile_loss_slot(struct xps_profile *p, uint32_t cpu, uint32_t kind, int *created);
uint32_t xps_profile_nchains(const struct xps_profile *p);
uint64_t xps_profile_nframes(const struct xps_profile *p);

#endif /* XP_SAMPLESP_H */
