/* SPDX-License-Identifier: GPL-2.0-or-later */
/* attrib: sample -> (domain, image, offset) -> count. */

#include <stdio.h>
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
	a->xen = "";
	a->img_mod = calloc(k->nmods ? k->nmods : 1, sizeof(*a->img_mod));
	a->pending = malloc(ATTRIB_MAX_PENDING * sizeof(*a->pending));
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

static struct attrib_domain *
domain_add(struct attrib *a, uint32_t domid)
{
	struct attrib_domain *d;

	if (a->ndomains == ATTRIB_MAX_DOMAINS)
		return NULL;
	d = &a->domains[a->ndomains++];
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	d->kernel = "";
	return d;
}

void
attrib_domain(struct attrib *a, uint32_t domid, const char *name, int self, const char *kernel)
{
	struct attrib_domain *d = NULL;

	for (uint32_t i = 0; i < a->ndomains; i++)
		if (a->domains[i].domid == domid)
			d = &a->domains[i];
	if (d == NULL && (d = domain_add(a, domid)) == NULL)
		return;
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "");
	d->self = self;
	d->kernel = kernel ? kernel : "";
	d->kbid_len = 0;
	if (d->kernel[0])
		d->kbid_len = (uint8_t)procmap_read_build_id(d->kernel, d->kbid, sizeof(d->kbid));
	else if (self && a->kern->build_id_len) {
		d->kbid_len = a->kern->build_id_len;
		memcpy(d->kbid, a->kern->build_id, d->kbid_len);
	}
	d->gen = 0;
}

/* DOMID's state with its profile, current for the store's generation. */
static struct attrib_domain *
domain_for(struct attrib *a, uint32_t domid)
{
	struct attrib_domain *d = a->last;

	if (d == NULL || d->domid != domid) {
		d = NULL;
		for (uint32_t i = 0; i < a->ndomains; i++)
			if (a->domains[i].domid == domid)
				d = &a->domains[i];
		if (d == NULL && (d = domain_add(a, domid)) == NULL)
			return NULL;
		a->last = d;
	}
	if (d->gen != a->store->gen) {
		/* The store replaced its profiles (reset, save): forget indexes. */
		d->prof = store_profile(a->store, domid, d->name);
		if (d->prof == NULL)
			return NULL;
		d->gen = a->store->gen;
		d->img_kernel = d->img_xen = d->img_unknown = d->img_user = d->img_ambiguous = -1;
		d->img_guests = -1;
	}
	if (d->self && a->img_mod_gen != a->store->gen) {
		for (size_t i = 0; i < a->kern->nmods; i++)
			a->img_mod[i] = -1;
		a->img_mod_gen = a->store->gen;
	}
	return d;
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

/* The cached index *SLOT of an image, interned on first use. */
static int32_t
cached(int32_t *slot, struct xps_profile *p, uint8_t kind, const char *path,
    const uint8_t *bid, uint8_t bidlen)
{
	if (*slot < 0)
		*slot = intern(p, kind, path, bid, bidlen);
	return *slot;
}

/* Image index of a mapped file in the self domain's profile, cached in the file. */
static int32_t
file_image(struct attrib *a, struct attrib_domain *d, struct pm_file *f)
{
	if (f->img_gen != a->store->gen) {
		int32_t idx = intern(d->prof, f->anon ? XPS_IMG_ANON : XPS_IMG_FILE, f->path,
		    f->build_id, f->build_id_len);

		if (idx < 0)
			return -1;
		f->img_idx = (uint32_t)idx;
		f->img_gen = a->store->gen;
	}
	return (int32_t)f->img_idx;
}

static int32_t
kernel_image(struct attrib *a, struct attrib_domain *d, uint64_t pc)
{
	const struct kernel_module *m;

	if (!d->self)
		return d->kernel[0] ?
		    cached(&d->img_kernel, d->prof, XPS_IMG_KERNEL, d->kernel, d->kbid, d->kbid_len) :
		    cached(&d->img_kernel, d->prof, XPS_IMG_ANON, "[kernel]", NULL, 0);
	if ((m = kernel_module_at(a->kern, pc)) != NULL) {
		size_t i = (size_t)(m - a->kern->mods);

		return cached(&a->img_mod[i], d->prof, XPS_IMG_KMOD, m->name, NULL, 0);
	}
	return cached(&d->img_kernel, d->prof, XPS_IMG_KERNEL,
	    d->kernel[0] ? d->kernel : "[kernel.kallsyms]", d->kbid, d->kbid_len);
}

/* The hypervisor's image: --xen, or [xen] without one. */
static int32_t
xen_image(struct attrib *a, struct attrib_domain *d)
{
	return a->xen[0] ?
	    cached(&d->img_xen, d->prof, XPS_IMG_XEN, a->xen, a->xen_build_id, a->xen_build_id_len) :
	    cached(&d->img_xen, d->prof, XPS_IMG_ANON, "[xen]", NULL, 0);
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
	if (q->s.nchain > ATTRIB_PENDING_CHAIN) {
		q->s.nchain = ATTRIB_PENDING_CHAIN;
		a->chain_truncated++;
	}
	if (q->s.nchain)
		memcpy(q->chain, s->chain, q->s.nchain * sizeof(q->chain[0]));
	q->s.chain = NULL;	/* set when it is retried: the entry may move */
	q->pass = a->pass;
	return 0;
}

/* The self domain's user image and offset for S; -1 to defer. */
static int32_t
user_image(struct attrib *a, struct attrib_domain *d, const struct hv_sample *s,
    int allow_defer, uint64_t *offset)
{
	const struct pm_map *m;

	if (s->pid == HV_NO_PID) {
		/* No pid (xenoprof): by address over every process. */
		int amb;

		m = procmap_lookup_any(a->pm, s->pc, &amb);
		if (amb) {
			a->ambiguous++;
			return cached(&d->img_ambiguous, d->prof, XPS_IMG_ANON, "[ambiguous]", NULL, 0);
		}
	} else {
		m = procmap_lookup(a->pm, s->pid, s->pc);
		if (m == NULL && allow_defer && defer(a, s) == 0) {
			/* Asked now, the answer is likely in by the retry. */
			if (a->ask_maps != NULL && procmap_exe(a->pm, s->pid) == NULL)
				a->ask_maps(a->maps_ctx, s->pid);
			return -2;
		}
		if (m == NULL && procmap_exe(a->pm, s->pid) == NULL) {
			/* A process the side band never showed: read it from /proc once. */
			if (a->ask_maps != NULL) {
				/* Asked when deferred; answered (or not) by now. */
			} else if (procmap_scan_pid(a->pm, "/proc", s->pid) == -1) {
				procmap_exec(a->pm, s->pid);
				procmap_exit(a->pm, s->pid);
			}
			m = procmap_lookup(a->pm, s->pid, s->pc);
		} else if (m == NULL && procmap_miss(a->pm, s->pid) == ATTRIB_RESCAN_MISSES) {
			/*
			 * A known process whose samples keep missing its maps: a
			 * record that changed them was lost.  Read them again, once
			 * per exec'd image (asked: the samples after this one gain).
			 */
			if (a->ask_maps != NULL ? a->ask_maps(a->maps_ctx, s->pid) == 0 :
			    procmap_rescan_pid(a->pm, "/proc", s->pid) == 0) {
				a->rescans++;
				log_debug("attrib: pid %u: samples outside its maps, maps read again",
				    s->pid);
			}
			m = procmap_lookup(a->pm, s->pid, s->pc);
		}
	}
	if (m == NULL)
		return -1;
	/* Its build-id is being read (bidread): counted once it is known. */
	if (allow_defer && procmap_file_waiting(m->file) && defer(a, s) == 0)
		return -2;
	*offset = m->file->anon ? s->pc - m->start : s->pc - m->start + m->pgoff;
	return file_image(a, d, m->file);
}

/*
 * Can deferred sample S be counted now?  Its mapping is known and its
 * file's build-id not awaited.  *WAIT: something it needs is on its way
 * (the maps of its process, or its file's build-id).
 */
static int
pending_ready(struct attrib *a, const struct hv_sample *s, int *wait)
{
	const struct pm_map *m;
	int amb;

	*wait = 0;
	m = s->pid == HV_NO_PID ? procmap_lookup_any(a->pm, s->pc, &amb) :
	    procmap_lookup(a->pm, s->pid, s->pc);
	if (m != NULL && procmap_file_waiting(m->file)) {
		*wait = 1;
		return 0;
	}
	if (m == NULL && s->pid != HV_NO_PID && a->asking != NULL && a->asking(a->maps_ctx, s->pid))
		*wait = 1;
	return m != NULL;
}

/*
 * The mode of a call-chain frame: perf's chains cross from the kernel into
 * user space (on x86-64 kernel addresses have the top bit set); xenoprof's
 * frames are walked in the mode of their sample.
 */
static uint8_t
frame_mode(const struct hv_sample *s, uint64_t pc)
{
	if (s->mode == HV_MODE_XEN || s->pid == HV_NO_PID)
		return s->mode;
	return (pc >> 63) ? HV_MODE_KERNEL : HV_MODE_USER;
}

/* Intern S's call chain as (image, offset) frames; 0 if it cannot be. */
static uint32_t
chain_id(struct attrib *a, struct attrib_domain *d, const struct hv_sample *s)
{
	uint32_t n = s->nchain < HV_MAX_CHAIN ? s->nchain : HV_MAX_CHAIN;

	for (uint32_t i = 0; i < n; i++) {
		struct hv_sample f = *s;
		int32_t img = -1;
		uint64_t off;

		/* Frames are return addresses: record the call site (ret - 1),
		 * which lies in the caller even when the call ends it. */
		f.pc = s->chain[i] ? s->chain[i] - 1 : 0;
		f.mode = frame_mode(s, f.pc);
		off = f.pc;
		if (f.mode == HV_MODE_USER) {
			if (d->self) {
				img = user_image(a, d, &f, 0, &off);
				if (img < 0)
					off = f.pc;
			} else
				img = cached(&d->img_user, d->prof, XPS_IMG_ANON, "[user]", NULL, 0);
		} else if (f.mode == HV_MODE_KERNEL)
			img = kernel_image(a, d, f.pc);
		else
			img = xen_image(a, d);
		if (img < 0)
			img = cached(&d->img_unknown, d->prof, XPS_IMG_ANON, "[unknown]", NULL, 0);
		if (img < 0)
			return 0;
		a->frames[i].image = (uint32_t)img;
		a->frames[i].pad = 0;
		a->frames[i].offset = off;
	}
	return xps_profile_chain(d->prof, a->frames, n);
}

/* The hypervisor's part of the x86-64 address space, reserved in every PV kernel. */
#define XEN_VIRT_START	0xffff800000000000ull
#define XEN_VIRT_END	0xffff880000000000ull

/* Count S; a user sample with no mapping is deferred when ALLOW_DEFER. */
static void
attribute(struct attrib *a, const struct hv_sample *s, int allow_defer)
{
	struct attrib_domain *d;
	struct xps_key k;
	int32_t img = -1;
	struct hv_sample xs;

	if ((d = domain_for(a, s->domid)) == NULL) {
		a->unattributed++;
		return;
	}
	if (a->xen_host && s->mode == HV_MODE_KERNEL && !s->guest &&
	    s->pc >= XEN_VIRT_START && s->pc < XEN_VIRT_END) {
		/* vPMU: an interrupt in Xen reaches dom0's perf as a kernel sample. */
		xs = *s;
		xs.mode = HV_MODE_XEN;
		s = &xs;
	}
	xps_key_init(&k);
	k.event = s->counter;
	k.mode = s->mode;
	k.offset = s->pc;
	if (s->guest) {
		img = cached(&d->img_guests, d->prof, XPS_IMG_ANON, "[guests]", NULL, 0);
	} else if (s->mode == HV_MODE_USER) {
		if (d->self) {
			img = user_image(a, d, s, allow_defer, &k.offset);
			if (img == -2)
				return;		/* deferred */
		} else
			img = cached(&d->img_user, d->prof, XPS_IMG_ANON, "[user]", NULL, 0);
	} else if (s->mode == HV_MODE_KERNEL) {
		img = kernel_image(a, d, s->pc);
	} else if (s->mode == HV_MODE_XEN) {
		img = xen_image(a, d);
	}
	if (img < 0)
		img = cached(&d->img_unknown, d->prof, XPS_IMG_ANON, "[unknown]", NULL, 0);
	if (img < 0) {
		a->unattributed++;
		return;
	}
	k.image = (uint32_t)img;
	if (s->pid != HV_NO_PID && d->self && !s->guest) {
		/* The application: for --separate=library, and for every sample with
		 * a call chain, whose stack is rooted at its process (folded, pprof,
		 * svg); the report keeps it out of the rows unless the session was
		 * recorded with --separate=library. */
		if (((a->separate & XPS_SEP_LIBRARY) &&
		    (s->mode == HV_MODE_USER || (a->separate & XPS_SEP_KERNEL))) || s->nchain) {
			struct pm_file *exe = procmap_exe(a->pm, s->pid);

			if (exe != NULL) {
				int32_t app = file_image(a, d, exe);

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
	if (s->nchain && !s->guest)
		k.chain = chain_id(a, d, s);
	if (xps_profile_add(d->prof, &k, 1) == -1) {
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

		int wait;

		q->s.chain = q->chain;
		if (pending_ready(a, &q->s, &wait) || (q->pass < a->pass && !wait))
			attribute(a, &q->s, 0);		/* found, or out of chances */
		else if (kept != i)
			a->pending[kept++] = *q;
		else
			kept++;
	}
	a->npending = kept;
	a->pass++;
}

void
attrib_flush_pending(struct attrib *a)
{
	for (uint32_t i = 0; i < a->npending; i++) {
		a->pending[i].s.chain = a->pending[i].chain;
		attribute(a, &a->pending[i].s, 0);
	}
	a->npending = 0;
}

void
attrib_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	struct attrib *a = ctx;
	struct attrib_domain *d = domain_for(a, domid);

	if (d == NULL) {
		a->unattributed += n;
		return;
	}
	xps_profile_add_lost(d->prof, cpu, kind, n);
}
