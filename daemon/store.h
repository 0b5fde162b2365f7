/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * store: the daemon's live session.  Owns one xps_profile per domain (the
 * in-memory aggregation) and the session metadata, and writes them to
 * SESSDIR/current through libsamples on every flush.  Counts only grow
 * between a start and a reset/save, so every flush is a superset of the
 * previous one.
 */
#ifndef XP_STORE_H
#define XP_STORE_H

#include <sys/types.h>

#include <stdint.h>

#include "daemon/kernel.h"
#include "libsamples/samples.h"

#define STORE_PATH_MAX	4096

struct store {
	int		sessfd;		/* the session dir, every write relative to it (not owned) */
	char		sessdir[STORE_PATH_MAX];	/* its path, for messages only */
	char		curdir[STORE_PATH_MAX];
	struct xps_meta	meta;
	const struct kernel *kern;	/* for the session's kallsyms file */
	uint32_t	nprof;
	struct xps_profile *prof[XPS_MAX_DOMAINS];
	/* Bumped whenever the profiles are replaced (reset, save): image
	 * indexes cached by attrib for an older generation are invalid. */
	uint32_t	gen;
	uint64_t	flushes;
	uint64_t	last_flush_ns;	/* CLOCK_REALTIME of the last good flush */
	uint64_t	written;	/* samples + losses on disk after the last good flush */
	uint64_t	bg_counted;	/* samples + losses in the background flush's snapshot */
	int		dirty;
	pid_t		bg_pid;		/* background flush child, 0 if none */
	int		bg_fd;		/* its error pipe */
};

/*
 * Make sure SESSDIR/current exists (mode 0700).  A session already there
 * (a daemon was restarted, or killed) is continued when it was taken with the
 * same backend, events, separation and boot; otherwise -1 with ERR saying to
 * save or reset it first.  KERN must outlive the store.
 */
int store_init(struct store *st, int sessfd, const char *sessdir, const struct xps_meta *meta,
    const struct kernel *kern, char *err, size_t errlen);
void store_fini(struct store *st);

/* The profile of DOMID (created with NAME if new), or NULL if too many domains. */
struct xps_profile *store_profile(struct store *st, uint32_t domid, const char *name);

/* Write every profile and the meta to SESSDIR/current (waits for a background flush first). */
int store_flush(struct store *st, char *err, size_t errlen);
/*
 * Start a flush in a forked child, so that the sampling loop never waits for
 * the disk (fsync can take tens of ms, longer than a ring takes to fill).
 * The child writes the copy-on-write snapshot of the profiles.  Returns 0
 * if started (or one is still running), -1 if fork failed.
 */
int store_flush_bg(struct store *st);
/* Wait for a background flush to end: 0, or -1 with ERR if it failed. */
int store_wait_bg(struct store *st, char *err, size_t errlen);
/*
 * Reap a finished background flush.  Returns 1 if one finished (with ERR set
 * and -1... see below), 0 if none finished; a failed one returns -1 with ERR.
 */
int store_flush_bg_poll(struct store *st, char *err, size_t errlen);
/* Discard the current samples (memory and files) and start anew. */
int store_reset(struct store *st, char *err, size_t errlen);
/* Flush, move current to saved/NAME, start anew. */
int store_save(struct store *st, const char *name, char *err, size_t errlen);

/* Sums over the profiles. */
uint64_t store_total(const struct store *st);
uint64_t store_lost(const struct store *st);
/* Samples and losses counted that no flush has written yet. */
uint64_t store_unwritten(const struct store *st);

#endif /* XP_STORE_H */
