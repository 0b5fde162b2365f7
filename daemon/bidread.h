/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bidread: the GNU build-ids of the files processes map, where the kernel
 * did not give them (a /proc scan, a kernel before 5.12, a file whose note
 * it could not read), read by a worker process of the sampler, never by the
 * drain loop and never with privilege.
 *
 * The worker is the sampler's child: the sampler user, no capabilities,
 * no_new_privs, not dumpable, holding only its socket.  For each request
 * it opens the path with O_PATH, refusing a symlink anywhere in it (the
 * kernel names mapped files by their real path: a symlink there means the
 * path was changed since), checks with fstat that it is a regular file
 * and, when the kernel said which, the same device and inode as mapped,
 * and only then opens it for reading (through /proc/self/fd, as the
 * sampler user: a file that user cannot read gets no build-id) and reads
 * its notes with libelf.  A symlink to a device, a FIFO or a socket is
 * never opened, only stat'ed; a file whose reading blocks (FUSE, a hung
 * network filesystem) costs the worker, which is killed past
 * BIDREAD_TIMEOUT_MS and started again, the file answered as timed out.
 *
 * Ownership: struct bidread owns the socket and the worker; requests are
 * queued here and sent a few at a time, answers handed to a callback.
 */
#ifndef XP_BIDREAD_H
#define XP_BIDREAD_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/privsep.h"

#define BIDREAD_TIMEOUT_MS	1000

/* Why a file got no build-id (bidread_answer.status). */
enum bidread_status {
	BR_OK = 0,		/* read; build_id_len 0 when the file has no note */
	BR_GONE,		/* no such file any more */
	BR_NOT_REGULAR,		/* a device, FIFO, socket, directory or symlink */
	BR_REPLACED,		/* another file than was mapped (device or inode differ) */
	BR_UNREADABLE,		/* not readable by the sampler user */
	BR_NOT_ELF,		/* not an ELF file, or a corrupt one */
	BR_TIMEOUT,		/* reading it did not end in time (FUSE, NFS...) */
	BR_NSTATUS
};

/* One answer, as the worker sends it. */
struct bidread_answer {
	uint32_t	id;		/* the request's */
	int32_t		status;		/* enum bidread_status */
	uint64_t	dev, ino, size;	/* the file read (BR_OK) */
	int64_t		mtime_ns;
	uint8_t		build_id_len;
	uint8_t		build_id[64];
};

struct bidread;

/*
 * Start the worker, as user U (the caller may still be root: the worker
 * drops to U at once; an unprivileged caller's worker stays what it is).
 * NULL with ERR.
 */
struct bidread *bidread_start(const struct privsep_user *u, char *err, size_t errlen);
void bidread_stop(struct bidread *br);

/* Ask for the build-id of PATH (DEV, INO: the file it must be, 0 0 unknown). 0, or -1. */
int bidread_ask(struct bidread *br, uint32_t id, const char *path, uint64_t dev, uint64_t ino);
/* The fd to poll for answers (POLLIN). */
int bidread_fd(const struct bidread *br);
/* Requests not answered yet. */
size_t bidread_pending(const struct bidread *br);
/*
 * Hand every answer that is in to CB, send what is queued, and end a worker
 * stuck past BIDREAD_TIMEOUT_MS (its file answered BR_TIMEOUT, the others
 * asked again of a new worker).  WAIT_MS: how long to wait for the first
 * answer (0: not at all).
 */
void bidread_dispatch(struct bidread *br, int wait_ms,
    void (*cb)(void *ctx, const struct bidread_answer *a), void *ctx);
/* Counts for --status: answers by status, workers restarted. */
void bidread_counts(const struct bidread *br, uint64_t counts[BR_NSTATUS], uint64_t *restarts);
/* A status as a few words ("not a regular file"). */
const char *bidread_strstatus(int status);

/*
 * The build-id of the open regular file FD (its ELF notes) into OUT: its
 * length, 0 if none, -1 if not an ELF file.  Used by the worker, and for
 * the images the setup names (read during the privileged set-up).
 */
int bidread_file(int fd, uint8_t *out, size_t outlen);
/*
 * PATH opened as the worker does, O_PATH first, fstat'ed, refused unless a
 * regular file, then opened for reading: the fd, or -1 with *STATUS set.
 * NOFOLLOW: a symlink anywhere in PATH is refused.
 */
int bidread_open(const char *path, int nofollow, uint64_t dev, uint64_t ino, int *status,
    struct bidread_answer *a);

#endif /* XP_BIDREAD_H */
