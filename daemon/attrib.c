/* attrib: sample -> (image, offset) -> count. */

#include <stdlib.h>
#include <string.h>

#include "daemon/attrib.h"
#include "daemon/log.h"

void
attrib_init(struct attrib *a, struct store *st, struct procmap *pm, const struct kernel *k)
{
	memset(a, 0, sizeof(*a));
	a->store = st;
	a->pm = pm;
	a->kern = k;
	a->vmlinux = "";
	a->xen = "";
	a->img_mod = calloc(k->nmods ? k->nmods : 1, sizeof(*a->img_mod));
	a->pending = calloc(ATTRIB_MAX_PENDING, sizeof(*a->pending));
	if (a->img_mod == NULL || a->pending == NULL)
		abort();
	a->pass = 1;
}

void
attrib_fini(struct attrib *a)
{
	free(a->img_mod);
	free(a->pending);
	a->img_mod = NULL;
	a->pending = NULL;
}

/* Forget cached image indexes when the store replaced its profiles. */
static void
check_gen(struct attrib *a)
{
	if (a->gen == a->store->gen)
		return;
	a->gen = a->store->gen;
	a->prof0 = NULL;
	a->img_kernel = a->img_xen = a->img_unknown = -1;
	for (size_t i = 0; i < a->kern->nmods; i++)
		a->img_mod[i] = -1;
}

static int32_t
intern(struct xps_profile *p, uint8_t kind, const char *path, const uint8_t *bid, uint8_t bidlen)
{
	struct xps_image img;

	memset(&img, 0, sizeof(img));
	img.kind = kind;
	img.path = (char *)path;
	if (bidlen > sizeof(img.build_id))
		bidlen = 0;
	img.build_id_len = bidlen;
	if (bidlen)
		memcpy(img.build_id, bid, bidlen);
	return xps_profile_image(p, &img);
}

static struct xps_profile *
profile_for(struct attrib *a, uint32_t domid)
{
	if (domid == 0) {
		if (a->prof0 == NULL)
			a->prof0 = store_profile(a->store, 0, "Domain-0");
		return a->prof0;
	}
	return store_profile(a->store, domid, NULL);
}

/* Image index of a mapped file in profile P, cached in the file. */
static int32_t
file_image(struct attrib *a, struct xps_profile *p, struct pm_file *f)
{
	if (f->img_gen != a->gen) {
		int32_t idx = intern(p, f->anon ? XPS_IMG_ANON : XPS_IMG_FILE, f->path,
		    f->build_id, f->build_id_len);

		if (idx < 0)
			return -1;
		f->img_idx = (uint32_t)idx;
		f->img_gen = a->gen;
	}
	return (int32_t)f->img_idx;
}

static int32_t
unknown_image(struct attrib *a, struct xps_profile *p)
{
	if (a->img_unknown < 0)
		a->img_unknown = intern(p, XPS_IMG_ANON, "[unknown]", NULL, 0);
	return a->img_unknown;
}

static int32_t
kernel_image(struct attrib *a, struct xps_profile *p, uint64_t pc)
{
	const struct kernel_module *m;

	if ((m = kernel_module_at(a->kern, pc)) != NULL) {
		size_t i = (size_t)(m - a->kern->mods);

		if (a->img_mod[i] < 0)
			a->img_mod[i] = intern(p, XPS_IMG_KMOD, m->name, NULL, 0);
		return a->img_mod[i];
	}
	if (a->img_kernel < 0) {
		if (a->vmlinux[0])
			a->img_kernel = intern(p, XPS_IMG_KERNEL, a->vmlinux,
			    a->vmlinux_build_id, a->vmlinux_build_id_len);
		else
			a->img_kernel = intern(p, XPS_IMG_KERNEL, "[kernel.kallsyms]",
			    a->kern->build_id, a->kern->build_id_len);
	}
	return a->img_kernel;
}

/*
 * A user sample whose pc is in no known mapping of its process.  Rings are
 * drained one after another, so the FORK, COMM or MMAP2 record that explains
 * it may sit in another cpu's ring not drained yet: park it and retry at the
 * end of this pass and the next (attrib_end_pass).
 */
static int
defer(struct attrib *a, const struct hv_sample *s)
{
	struct attrib_pending *q;

	if (a->npending == ATTRIB_MAX_PENDING)
		return -1;
	q = &a->pending[a->npending++];
	q->s = *s;
	q->s.nchain = 0;
	q->s.chain = NULL;
	q->pass = a->pass;
	return 0;
}

/* Count S; a user sample with no mapping is deferred when ALLOW_DEFER. */
static void
attribute(struct attrib *a, const struct hv_sample *s, int allow_defer)
{
	struct xps_profile *p;
	struct xps_key k;
	int32_t img = -1;
	struct pm_file *exe = NULL;

	check_gen(a);
	if ((p = profile_for(a, s->domid)) == NULL) {
		a->unattributed++;
		return;
	}
	xps_key_init(&k);
	k.event = s->counter;
	k.mode = s->mode;
	k.offset = s->pc;
	if (s->mode == HV_MODE_USER && s->pid != HV_NO_PID) {
		const struct pm_map *m = procmap_lookup(a->pm, s->pid, s->pc);

		if (m == NULL && allow_defer && defer(a, s) == 0)
			return;
		if (m == NULL && procmap_exe(a->pm, s->pid) == NULL) {
			/* A process the side band never showed: read it from /proc once. */
			if (procmap_scan_pid(a->pm, "/proc", s->pid) == -1) {
				procmap_exec(a->pm, s->pid);
				procmap_exit(a->pm, s->pid);
			}
			m = procmap_lookup(a->pm, s->pid, s->pc);
		}
		if (m != NULL) {
			img = file_image(a, p, m->file);
			k.offset = m->file->anon ? s->pc - m->start : s->pc - m->start + m->pgoff;
		}
	} else if (s->mode == HV_MODE_KERNEL) {
		img = kernel_image(a, p, s->pc);
	} else if (s->mode == HV_MODE_XEN) {
		if (a->img_xen < 0)
			a->img_xen = a->xen[0] ?
			    intern(p, XPS_IMG_XEN, a->xen, a->xen_build_id, a->xen_build_id_len) :
			    intern(p, XPS_IMG_ANON, "[xen]", NULL, 0);
		img = a->img_xen;
	}
	if (img < 0)
		img = unknown_image(a, p);
	if (img < 0) {
		a->unattributed++;
		return;
	}
	k.image = (uint32_t)img;
	if (s->pid != HV_NO_PID) {
		if ((a->separate & XPS_SEP_LIBRARY) &&
		    (s->mode == HV_MODE_USER || (a->separate & XPS_SEP_KERNEL))) {
			exe = procmap_exe(a->pm, s->pid);
			if (exe != NULL) {
				int32_t app = file_image(a, p, exe);

				if (app >= 0)
					k.app = (uint32_t)app;
			}
		}
		if (a->separate & XPS_SEP_THREAD) {
			k.tgid = s->pid;
			k.tid = s->tid;
		}
	}
	if (a->separate & XPS_SEP_CPU)
		k.cpu = s->cpu;
	if (xps_profile_add(p, &k, 1) == -1) {
		a->unattributed++;
		log_debug("attrib: %s", xps_errmsg());
	}
}

void
attrib_sample(void *ctx, const struct hv_sample *s)
{
	attribute(ctx, s, 1);
}

void
attrib_end_pass(struct attrib *a)
{
	uint32_t i, kept = 0;

	for (i = 0; i < a->npending; i++) {
		struct attrib_pending *q = &a->pending[i];

		if (procmap_lookup(a->pm, q->s.pid, q->s.pc) != NULL || q->pass < a->pass)
			attribute(a, &q->s, 0);		/* found, or out of chances */
		else
			a->pending[kept++] = *q;
	}
	a->npending = kept;
	a->pass++;
}

void
attrib_flush_pending(struct attrib *a)
{
	for (uint32_t i = 0; i < a->npending; i++)
		attribute(a, &a->pending[i].s, 0);
	a->npending = 0;
}

void
attrib_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	struct attrib *a = ctx;
	struct xps_profile *p;

	check_gen(a);
	if ((p = profile_for(a, domid)) == NULL) {
		a->unattributed += n;
		return;
	}
	xps_profile_add_lost(p, cpu, kind, n);
}
