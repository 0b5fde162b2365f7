/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_state.c - create, map and lock the shared state; print the truth.
 *
 * Used by the simulator, the CLI and the shim.  Nothing here logs or
 * exits: errors come back as NULL with a one-line reason in ERR.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fx_state.h"

/* Create (truncate) PATH, size it and initialise an empty host. */
struct fx_state *
fx_state_create(const char *path, uint32_t nwork, char *err, size_t errlen)
{
	pthread_mutexattr_t a;
	struct fx_state *s;
	struct stat st;
	uint64_t hdr, bytes;
	void *p;
	int fd;

	hdr = sizeof(struct fx_state) + (uint64_t)nwork * sizeof(struct fx_work);
	hdr = hdr < FX_HDR_MIN ? FX_HDR_MIN : (hdr + FX_HDR_MIN - 1) / FX_HDR_MIN * FX_HDR_MIN;
	bytes = hdr + FX_FRAME_BYTES;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return NULL;
	}
	if (ftruncate(fd, (off_t)bytes) == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot size %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		return NULL;
	}
	s = p;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&s->lock, &a);
	pthread_mutexattr_destroy(&a);
	s->layout = FX_LAYOUT;
	s->frame_ino = st.st_ino;
	s->hdr_bytes = hdr;
	s->file_bytes = bytes;
	s->primary = -1;
	s->primary_pid = 0;
	s->xstate = FX_XS_IDLE;
	for (int i = 0; i < MAX_OPROF_DOMAINS; i++)
		s->active[i] = s->passive[i] = -1;
	__atomic_store_n(&s->magic, FX_MAGIC, __ATOMIC_RELEASE);
	return s;
}

/* Map an existing state file; checks magic and layout. */
struct fx_state *
fx_state_map(const char *path, char *err, size_t errlen)
{
	struct fx_state *s;
	struct stat st;
	void *p;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || st.st_size < (off_t)(FX_HDR_MIN + FX_FRAME_BYTES)) {
		snprintf(err, errlen, "%s is not a fakexen state file", path);
		close(fd);
		return NULL;
	}
	/* The size is in the header; the file is at least that big. */
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		return NULL;
	}
	s = p;
	if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != FX_MAGIC ||
	    s->layout != FX_LAYOUT || s->file_bytes != (uint64_t)st.st_size) {
		snprintf(err, errlen, "%s: wrong magic or layout (stale state from "
		    "another build? run `fakexen up` again)", path);
		munmap(p, (size_t)st.st_size);
		return NULL;
	}
	return s;
}

void
fx_state_unmap(struct fx_state *s)
{
	if (s != NULL)
		munmap(s, s->file_bytes);
}

/* The lock survives a holder's death: state is then used as left. */
void
fx_lock(struct fx_state *s)
{
	if (pthread_mutex_lock(&s->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&s->lock);
}

void
fx_unlock(struct fx_state *s)
{
	pthread_mutex_unlock(&s->lock);
}

uint64_t
fx_slot_mfn(unsigned slot)
{
	return FX_MFN_BASE + (uint64_t)slot * FX_DOM_PAGES;
}

uint64_t
fx_slot_offset(const struct fx_state *s, unsigned slot)
{
	return s->hdr_bytes + (uint64_t)slot * FX_DOM_PAGES * FX_PAGE;
}

/* vCPU VCPU's ring of domain slot SLOT (the buffers are packed). */
struct xenoprof_buf *
fx_ring(struct fx_state *s, unsigned slot, unsigned vcpu)
{
	return (struct xenoprof_buf *)((char *)s + fx_slot_offset(s, slot) +
	    (size_t)vcpu * s->dom[slot].bufsize);
}

/* Slot of a live or dying domain, -1 if none. */
int
fx_slot_by_domid(const struct fx_state *s, uint32_t domid)
{
	for (unsigned i = 0; i < s->ndoms && i < FX_MAX_DOMS; i++)
		if (s->dom[i].state != FX_DOM_FREE && s->dom[i].domid == domid)
			return (int)i;
	return -1;
}

const char *
fx_mode_name(unsigned mode)
{
	switch (mode) {
	case FX_MODE_USER:	return "user";
	case FX_MODE_KERNEL:	return "kernel";
	default:		return "xen";
	}
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * Aggregate work lines by (domain, mode, symbol), in config order: several
 * lines (e.g. with and without a call chain) may name the same symbol.
 * Returns the number of groups; GROUP[i] is the first work index of group i
 * and OF[w] the group of work line w.
 */
static unsigned
truth_groups(const struct fx_state *s, unsigned *group, unsigned *of)
{
	unsigned n = 0;

	for (unsigned w = 0; w < s->nwork; w++) {
		const struct fx_work *a = &s->work[w];
		unsigned g;

		for (g = 0; g < n; g++) {
			const struct fx_work *b = &s->work[group[g]];
			if (s->dom[a->slot].domid == s->dom[b->slot].domid &&
			    a->mode == b->mode && strcmp(a->symbol, b->symbol) == 0)
				break;
		}
		if (g == n)
			group[n++] = w;
		of[w] = g;
	}
	return n;
}

/* The CONTRACT's truth JSON, one line.  Takes the lock. */
void
fx_truth_json(struct fx_state *s, FILE *f)
{
	unsigned *group, *of, n, nw = s->nwork ? s->nwork : 1;
	uint64_t *del, *lost;

	group = calloc(nw, sizeof(*group));
	of = calloc(nw, sizeof(*of));
	del = calloc(nw, sizeof(*del));
	lost = calloc(nw, sizeof(*lost));
	if (group == NULL || of == NULL || del == NULL || lost == NULL) {
		fprintf(f, "{\"error\":\"out of memory\"}\n");
		goto out;
	}
	fx_lock(s);
	n = truth_groups(s, group, of);
	for (unsigned w = 0; w < s->nwork; w++) {
		del[of[w]] += s->work[w].delivered;
		lost[of[w]] += s->work[w].lost;
	}
	fprintf(f, "{\"generated\":%llu,\"delivered\":%llu,\"lost\":%llu,"
	    "\"unprofiled\":%llu,\"by\":[",
	    (unsigned long long)s->generated, (unsigned long long)s->delivered,
	    (unsigned long long)s->lost, (unsigned long long)s->unprofiled);
	for (unsigned g = 0; g < n; g++) {
		const struct fx_work *w = &s->work[group[g]];

		fprintf(f, "%s{\"domain\":%u,\"mode\":\"%s\",\"symbol\":",
		    g ? "," : "", s->dom[w->slot].domid, fx_mode_name(w->mode));
		json_string(f, w->symbol);
		fprintf(f, ",\"delivered\":%llu,\"lost\":%llu}",
		    (unsigned long long)del[g], (unsigned long long)lost[g]);
	}
	fprintf(f, "]}\n");
	fx_unlock(s);
out:
	free(group);
	free(of);
	free(del);
	free(lost);
}

/*
 * The same truth for shell tests: a header line, then one line per group:
 *   total GENERATED DELIVERED LOST UNPROFILED
 *   DOMAIN MODE SYMBOL DELIVERED LOST UNPROFILED
 */
void
fx_truth_lines(struct fx_state *s, FILE *f)
{
	unsigned *group, *of, n, nw = s->nwork ? s->nwork : 1;
	uint64_t *del, *lost, *unp;

	group = calloc(nw, sizeof(*group));
	of = calloc(nw, sizeof(*of));
	del = calloc(nw, sizeof(*del));
	lost = calloc(nw, sizeof(*lost));
	unp = calloc(nw, sizeof(*unp));
	if (group == NULL || of == NULL || del == NULL || lost == NULL || unp == NULL) {
		fprintf(f, "error out of memory\n");
		goto out;
	}
	fx_lock(s);
	n = truth_groups(s, group, of);
	for (unsigned w = 0; w < s->nwork; w++) {
		del[of[w]] += s->work[w].delivered;
		lost[of[w]] += s->work[w].lost;
		unp[of[w]] += s->work[w].unprofiled;
	}
	fprintf(f, "total %llu %llu %llu %llu\n",
	    (unsigned long long)s->generated, (unsigned long long)s->delivered,
	    (unsigned long long)s->lost, (unsigned long long)s->unprofiled);
	for (unsigned g = 0; g < n; g++) {
		const struct fx_work *w = &s->work[group[g]];
		fprintf(f, "%u %s %s %llu %llu %llu\n", s->dom[w->slot].domid,
		    fx_mode_name(w->mode), w->symbol, (unsigned long long)del[g],
		    (unsigned long long)lost[g], (unsigned long long)unp[g]);
	}
	fx_unlock(s);
out:
	free(group);
	free(of);
	free(del);
	free(lost);
	free(unp);
}
