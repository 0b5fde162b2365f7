/* SPDX-License-Identifier: GPL-2.0-or-later */
/* store: the daemon's live session, flushed through libsamples. */

#include <sys/stat.h>

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/kernel.h"
#include "daemon/store.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
drop_profiles(struct store *st)
{
	for (uint32_t i = 0; i < st->nprof; i++)
		xps_profile_free(st->prof[i]);
	st->nprof = 0;
	st->gen++;
	st->written = 0;	/* saved away or discarded: nothing of the new ones is written */
}

/* current/ is made if missing, and must be a directory, not a symlink to
 * one: the daemon never writes through a symlink in the session dir. */
static int
make_curdir(struct store *st, char *err, size_t errlen)
{
	struct stat sb;

	if (mkdirat(st->sessfd, "current", 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", st->curdir, strerror(errno));
		return -1;
	}
	if (fstatat(st->sessfd, "current", &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(err, errlen, "%s: %s", st->curdir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a directory (%s); move it away", st->curdir,
		    S_ISLNK(sb.st_mode) ? "a symbolic link" : "another kind of file");
		return -1;
	}
	return 0;
}

/* A fresh session: the directory and an empty meta. */
static int
begin(struct store *st, char *err, size_t errlen)
{
	if (make_curdir(st, err, errlen) == -1)
		return -1;
	st->dirty = 1;
	return store_flush(st, err, errlen);
}

/* Same events, backend, separation and boot: samples can be added up. */
static int
compatible(const struct xps_meta *a, const struct xps_meta *b, char *why, size_t len)
{
	if (strcmp(a->backend, b->backend) != 0)
		snprintf(why, len, "backend %s, now %s", a->backend, b->backend);
	else if (a->separate != b->separate)
		snprintf(why, len, "another --separate setting");
	else if (a->kernel_text != b->kernel_text)
		snprintf(why, len, "another boot of the kernel (its addresses moved)");
	else if (a->nevents != b->nevents)
		snprintf(why, len, "%u event(s), now %u", a->nevents, b->nevents);
	else {
		for (uint32_t i = 0; i < a->nevents; i++) {
			const struct xps_event_desc *x = &a->events[i], *y = &b->events[i];

			if (strcmp(x->name, y->name) != 0 || x->count != y->count ||
			    x->unit_mask != y->unit_mask || x->kernel != y->kernel || x->user != y->user) {
				snprintf(why, len, "event %s:%llu, now %s:%llu", x->name,
				    (unsigned long long)x->count, y->name, (unsigned long long)y->count);
				return 0;
			}
		}
		return 1;
	}
	return 0;
}

/* Continue the session left in curdir by an earlier daemon, if any. */
static int
adopt(struct store *st, char *err, size_t errlen)
{
	struct xps_session *old;
	char why[256];
	struct stat sb;

	if (fstatat(st->sessfd, "current/meta", &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if ((old = xps_session_openat(st->sessfd, "current", st->curdir)) == NULL) {
		snprintf(err, errlen, "the current session in %s is unreadable (%s); "
		    "move it away or run xenprof-ctl --reset", st->curdir, xps_errmsg());
		return -1;
	}
	if (old->nprofiles == 0) {
		xps_session_close(old);
		return 0;
	}
	if (!compatible(&old->meta, &st->meta, why, sizeof(why))) {
		snprintf(err, errlen, "the current session in %s was taken with %s; "
		    "keep it with --save=NAME or discard it with --reset first", st->sessdir, why);
		xps_session_close(old);
		return -1;
	}
	if (old->nbad) {
		snprintf(err, errlen, "the current session in %s has an unreadable file (%s); "
		    "keep it with --save=NAME or discard it with --reset first", st->sessdir, old->bad[0]);
		xps_session_close(old);
		return -1;
	}
	/* Take the profiles over: the session object gives up ownership. */
	for (uint32_t i = 0; i < old->nprofiles && st->nprof < XPS_MAX_DOMAINS; i++) {
		st->prof[st->nprof++] = old->profiles[i];
		old->profiles[i] = NULL;
	}
	old->nprofiles = 0;
	st->meta.start_time = old->meta.start_time;
	xps_session_close(old);
	return 0;
}

int
store_init(struct store *st, int sessfd, const char *sessdir, const struct xps_meta *meta,
    const struct kernel *kern, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->sessfd = sessfd;
	st->gen = 1;
	st->meta = *meta;
	st->kern = kern;
	if (snprintf(st->sessdir, sizeof(st->sessdir), "%s", sessdir) >= (int)sizeof(st->sessdir) ||
	    xps_session_path(st->curdir, sizeof(st->curdir), sessdir, NULL) == -1) {
		snprintf(err, errlen, "%s: session directory path too long", sessdir);
		return -1;
	}
	if (make_curdir(st, err, errlen) == -1)
		return -1;
	if (adopt(st, err, errlen) == -1)
		return -1;
	return begin(st, err, errlen);
}

static void flush_error(const struct store *st, char *err, size_t errlen);

/* The kallsyms lines of the kernel addresses in the profiles, into DIRFD/kallsyms (DIR). */
static int
write_kallsyms(struct store *st, int dirfd, const char *dir, char *err, size_t errlen)
{
	char path[STORE_PATH_MAX + 64];
	uint64_t *addrs = NULL;
	size_t n = 0, cap = 0;
	int r;

	if (st->kern == NULL || st->kern->nsyms == 0)
		return 0;
	for (uint32_t i = 0; i < st->nprof; i++) {
		size_t nrec;
		const struct xps_record *rec;

		/* Only this domain's kernel is the one /proc/kallsyms describes. */
		if (st->meta.ndomains && xps_profile_domid(st->prof[i]) != st->meta.domains[0].domid)
			continue;
		rec = xps_profile_records(st->prof[i], &nrec);

		for (size_t j = 0; j < nrec; j++) {
			uint32_t nf = 0;
			const struct xps_frame *fr = rec[j].key.chain ?
			    xps_profile_chain_at(st->prof[i], rec[j].key.chain, &nf) : NULL;

			/* The sample's address, then its call chain's frames. */
			for (uint32_t f = 0; f <= nf; f++) {
				uint32_t image = f == 0 ? rec[j].key.image : fr[f - 1].image;
				const struct xps_image *img = xps_profile_image_at(st->prof[i], image);

				if (img == NULL || (img->kind != XPS_IMG_KERNEL && img->kind != XPS_IMG_KMOD))
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 4096;
					addrs = realloc(addrs, cap * sizeof(*addrs));
					if (addrs == NULL) {
						snprintf(err, errlen, "flush: out of memory");
						return -1;
					}
				}
				addrs[n++] = f == 0 ? rec[j].key.offset : fr[f - 1].offset;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/kallsyms", dir);
	r = kernel_write_symsat(st->kern, addrs, n, dirfd, "kallsyms", path);
	if (r == -1 && errno == ENOMEM)
		snprintf(err, errlen, "flush: out of memory");
	else if (r == -1)
		flush_error(st, err, errlen);
	free(addrs);
	return r;
}

void
store_fini(struct store *st)
{
	char e[512];

	store_wait_bg(st, e, sizeof(e));
	drop_profiles(st);
}

struct xps_profile *
store_profile(struct store *st, uint32_t domid, const char *name)
{
	struct xps_profile *p;

	for (uint32_t i = 0; i < st->nprof; i++)
		if (xps_profile_domid(st->prof[i]) == domid)
			return st->prof[i];
	if (st->nprof == XPS_MAX_DOMAINS)
		return NULL;
	p = xps_profile_new(domid, name);
	if (p == NULL)
		return NULL;
	st->prof[st->nprof++] = p;
	return p;
}

static int store_write(struct store *st, char *err, size_t errlen);

/*
 * A flush failed in libsamples: its message into ERR, with what to do when
 * the disk is the cause.  The samples stay in memory and sampling goes on
 * (the daemon keeps what it could not write until a flush succeeds).
 */
static void
flush_error(const struct store *st, char *err, size_t errlen)
{
	int e = xps_errnum();

	if (e == ENOSPC || e == EDQUOT)
		snprintf(err, errlen, "flush: %s; nothing is lost: xenprofd keeps every sample in "
		    "memory and keeps sampling; free space in %s and repeat the command",
		    xps_errmsg(), st->sessdir);
	else if (e == EROFS)
		snprintf(err, errlen, "flush: %s; nothing is lost: xenprofd keeps every sample in "
		    "memory; remount %s read-write and repeat the command",
		    xps_errmsg(), st->sessdir);
	else
		snprintf(err, errlen, "flush: %s", xps_errmsg());
}

int
store_wait_bg(struct store *st, char *err, size_t errlen)
{
	int r = 0;

	while (st->bg_pid > 0) {
		int p = store_flush_bg_poll(st, err, errlen);

		if (p == 0)
			usleep(1000);
		else if (p == -1)
			r = -1;
	}
	return r;
}

int
store_flush(struct store *st, char *err, size_t errlen)
{
	char e[512];

	/* A background flush still writing would rename its files over ours;
	 * its error does not matter: this flush writes everything again. */
	store_wait_bg(st, e, sizeof(e));
	return store_write(st, err, errlen);
}

int
store_flush_bg(struct store *st)
{
	int p[2];
	pid_t pid;

	if (st->bg_pid > 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char err[512];

		/* A writer outliving a killed daemon could rename a stale snapshot
		 * over what the next daemon wrote: die with the parent. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		close(p[0]);
		if (store_write(st, err, sizeof(err)) == -1) {
			(void)!write(p[1], err, strlen(err));
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	st->bg_pid = pid;
	st->bg_fd = p[0];
	st->bg_counted = store_total(st) + store_lost(st);
	/* What the child writes is a snapshot: samples from now on are new. */
	st->dirty = 0;
	return 0;
}

int
store_flush_bg_poll(struct store *st, char *err, size_t errlen)
{
	int status;
	pid_t r;

	if (st->bg_pid <= 0)
		return 0;
	r = waitpid(st->bg_pid, &status, WNOHANG);
	if (r == 0 || (r == -1 && errno == EINTR))
		return 0;
	st->bg_pid = 0;
	if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		close(st->bg_fd);
		st->flushes++;
		st->last_flush_ns = now_ns();
		st->written = st->bg_counted;
		return 1;
	}
	{
		ssize_t n = read(st->bg_fd, err, errlen - 1);

		err[n > 0 ? n : 0] = '\0';
		if (n <= 0)
			snprintf(err, errlen, "flush: the writer process failed");
	}
	close(st->bg_fd);
	st->dirty = 1;
	return -1;
}

/*
 * One generation of current/: every profile, the kallsyms and the meta,
 * written into the stage directory and then exchanged with current/ in one
 * rename, so that a reader sees them all of this flush or all of the last.
 * A failure leaves current/ as it was.
 */
static int
store_write(struct store *st, char *err, size_t errlen)
{
	char dir[STORE_PATH_MAX + 32], path[STORE_PATH_MAX + 64], name[32];
	int sfd, rc;

	/* Everything relative to the session dir's fd: a path renamed and
	 * replaced by a symlink meanwhile is never written through. */
	snprintf(dir, sizeof(dir), "%s/.current.flush", st->sessdir);
	if ((sfd = xps_session_stage_beginat(st->sessfd, st->sessdir)) == -1) {
		flush_error(st, err, errlen);
		return -1;
	}
	for (uint32_t i = 0; i < st->nprof; i++) {
		snprintf(name, sizeof(name), "dom%u.samples", xps_profile_domid(st->prof[i]));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (xps_profile_writeat(st->prof[i], sfd, name, path) == -1) {
			flush_error(st, err, errlen);
			close(sfd);
			return -1;
		}
	}
	if (write_kallsyms(st, sfd, dir, err, errlen) == -1) {
		close(sfd);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/meta", dir);
	rc = xps_meta_writeat(&st->meta, sfd, "meta", path);
	close(sfd);
	if (rc == -1 || xps_session_stage_commitat(st->sessfd, st->sessdir) == -1) {
		flush_error(st, err, errlen);
		return -1;
	}
	st->flushes++;
	st->last_flush_ns = now_ns();
	st->written = store_total(st) + store_lost(st);
	st->dirty = 0;
	return 0;
}

int
store_reset(struct store *st, char *err, size_t errlen)
{
	char e[512];

	/* A background flush renaming its pre-reset files into the emptied
	 * current/ would bring the discarded samples back. */
	store_wait_bg(st, e, sizeof(e));
	drop_profiles(st);
	if (xps_session_resetat(st->sessfd, st->sessdir) == -1) {
		snprintf(err, errlen, "reset: %s", xps_errmsg());
		return -1;
	}
	if (st->meta.start_time && !st->meta.stop_time)
		st->meta.start_time = now_ns();		/* still sampling: from now on */
	else
		st->meta.start_time = st->meta.stop_time = 0;
	return begin(st, err, errlen);
}

int
store_save(struct store *st, const char *name, char *err, size_t errlen)
{
	int running = st->meta.start_time && !st->meta.stop_time;

	if (!xps_name_valid(name)) {
		snprintf(err, errlen, "--save=%s: %s", name, xps_errmsg());
		return -1;
	}
	if (running)
		st->meta.stop_time = now_ns();
	if (store_flush(st, err, errlen) == -1) {
		if (running)
			st->meta.stop_time = 0;
		return -1;
	}
	if (xps_session_saveat(st->sessfd, st->sessdir, name) == -1) {
		snprintf(err, errlen, "save: %s", xps_errmsg());
		if (running)
			st->meta.stop_time = 0;
		return -1;
	}
	drop_profiles(st);
	if (running) {
		st->meta.start_time = now_ns();
		st->meta.stop_time = 0;
	} else {
		st->meta.start_time = 0;
		st->meta.stop_time = 0;
	}
	return begin(st, err, errlen);
}

uint64_t
store_total(const struct store *st)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < st->nprof; i++)
		n += xps_profile_total(st->prof[i]);
	return n;
}

uint64_t
store_unwritten(const struct store *st)
{
	uint64_t n = store_total(st) + store_lost(st);

	return n > st->written ? n - st->written : 0;
}

uint64_t
store_lost(const struct store *st)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < st->nprof; i++)
		n += xps_profile_lost_total(st->prof[i]);
	return n;
}
