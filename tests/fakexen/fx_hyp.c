/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_hyp.c - the hypervisor side of fakexen, ported from the semantics of
 * Xen 4.17: xen/common/xenoprof.c (do_xenoprof_op and helpers,
 * xenoprof_log_event), xen/arch/x86/oprofile/nmi_int.c (reserve/start/stop
 * as flags), xen/common/sysctl.c (getdomaininfolist, physinfo),
 * xen/common/domctl.c (getdomaininfo) and xen/common/kernel.c (xen_version).
 * Comments name the Xen function each piece mirrors.
 *
 * Ownership: the state belongs to the caller; guest pointers belong to the
 * calling process and are checked with fx_guest_ok() before use (-EFAULT).
 */
#include <sys/mman.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fx_hyp.h"

#include <xen/domctl.h>
#include <xen/sysctl.h>
#include <xen/version.h>

static const char *const fx_op_names[XENOPROF_last_op + 1] = {
	"init", "reset_active_list", "reset_passive_list", "set_active",
	"set_passive", "reserve_counters", "counter", "setup_events",
	"enable_virq", "start", "stop", "disable_virq", "release_counters",
	"shutdown", "get_buffer", "set_backtrace", "get_ibs_caps", "ibs_counter",
};

const char *
fx_hyp_op_name(unsigned op)
{
	return op <= XENOPROF_last_op ? fx_op_names[op] : NULL;
}

/*
 * copy_from_guest/copy_to_guest stand-in: is [P, P+LEN) mapped in this
 * process?  mincore() fails with ENOMEM on an unmapped page.
 */
static int
fx_guest_ok(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, start, end;
	unsigned char vec[64];

	if (a < FX_PAGE || a + len < a)
		return 0;
	start = a & ~(uintptr_t)(FX_PAGE - 1);
	end = (a + len + FX_PAGE - 1) & ~(uintptr_t)(FX_PAGE - 1);
	while (start < end) {
		size_t n = (end - start) / FX_PAGE;
		if (n > sizeof vec)
			n = sizeof vec;
		if (mincore((void *)start, n * FX_PAGE, vec) == -1)
			return 0;
		start += n * FX_PAGE;
	}
	return 1;
}

int
fx_hyp_fault(struct fx_state *s, unsigned key, uint32_t domid)
{
	for (unsigned i = 0; i < s->nfaults && i < FX_MAX_FAULTS; i++) {
		struct fx_fault *f = &s->faults[i];

		if (f->key != key && !(f->key == FX_FK_XENOPROF_ALL &&
		    key <= XENOPROF_last_op))
			continue;
		if (f->domid >= 0 && (uint32_t)f->domid != domid)
			continue;
		if (f->remaining == 0)
			continue;
		if (f->remaining > 0)
			f->remaining--;
		return f->err;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Page sharing (share_xenoprof_page_with_guest and friends)          */

/*
 * Does any process still map frames of SLOT?  Mappings are remembered per
 * (pid, slot) at MMAPBATCH time and confirmed against /proc/PID/maps (the
 * state file's inode at an offset inside the slot), so exit, exec and
 * munmap all release the "page reference" as they would on Xen.
 */
static int
fx_pages_busy(struct fx_state *s, unsigned slot)
{
	uint64_t lo = fx_slot_offset(s, slot), hi = lo + FX_DOM_PAGES * FX_PAGE;
	int busy = 0;

	for (unsigned i = 0; i < FX_MAX_MAPS; i++) {
		struct fx_map *m = &s->maps[i];
		char path[64], line[512];
		int found = 0;
		FILE *f;

		if (m->pid == 0 || m->slot != slot)
			continue;
		snprintf(path, sizeof path, "/proc/%d/maps", (int)m->pid);
		if ((f = fopen(path, "re")) != NULL) {
			while (!found && fgets(line, sizeof line, f) != NULL) {
				unsigned long long a, b, off, ino;
				if (sscanf(line, "%llx-%llx %*s %llx %*s %llu",
				    &a, &b, &off, &ino) != 4 || ino != s->frame_ino)
					continue;
				if (off == 0)
					continue;	/* a shim's whole-state mapping */
				if (off < hi && off + (b - a) > lo)
					found = 1;
			}
			fclose(f);
		}
		if (found)
			busy = 1;
		else
			m->pid = 0;	/* gone: forget it */
	}
	return busy;
}

void
fx_hyp_note_map(struct fx_state *s, const struct fx_caller *c, unsigned slot)
{
	struct fx_map *free_ent = NULL;

	for (unsigned i = 0; i < FX_MAX_MAPS; i++) {
		struct fx_map *m = &s->maps[i];
		if (m->pid == c->pid && m->slot == slot)
			return;
		if (m->pid == 0 && free_ent == NULL)
			free_ent = m;
	}
	if (free_ent != NULL) {
		free_ent->pid = c->pid;
		free_ent->slot = slot;
	}
}

/* share_xenoprof_page_with_guest(): -EBUSY while still allocated/mapped. */
static int
fx_share(struct fx_state *s, unsigned slot, uint32_t with)
{
	struct fx_dom *d = &s->dom[slot];

	if (d->xp_shared_with >= 0 || fx_pages_busy(s, slot))
		return -EBUSY;
	d->xp_shared_with = (int32_t)with;
	return 0;
}

/* unshare_xenoprof_page_with_guest(): drop the allocation reference. */
static void
fx_unshare(struct fx_state *s, unsigned slot)
{
	s->dom[slot].xp_shared_with = -1;
}

/* alloc_xenoprof_struct(): geometry as in Xen, plus the ring_slots fault. */
static int
fx_alloc(struct fx_state *s, unsigned slot, int32_t max_samples)
{
	struct fx_dom *d = &s->dom[slot];
	uint32_t hdr = sizeof(struct xenoprof_buf), es = sizeof(struct event_log);
	uint32_t max_bufsize, max_max;
	uint32_t bufsize, npages;

	if (d->nvcpus == 0)
		return -EINVAL;
	if (s->ring_slots != 0 && (uint32_t)max_samples > s->ring_slots)
		max_samples = (int32_t)s->ring_slots;
	max_bufsize = FX_DOM_PAGES * FX_PAGE / d->nvcpus;
	max_max = (max_bufsize - hdr) / es + 1;
	if ((uint32_t)max_samples > max_max)
		max_samples = (int32_t)max_max;
	bufsize = hdr + (uint32_t)(max_samples - 1) * es;
	npages = (d->nvcpus * bufsize - 1) / FX_PAGE + 1;

	memset((char *)s + fx_slot_offset(s, slot), 0, FX_DOM_PAGES * FX_PAGE);
	d->npages = npages;
	d->nbuf = d->nvcpus;
	d->bufsize = bufsize;
	d->event_size = (uint32_t)max_samples;
	d->xp_ready = 0;
	d->xp_type = FX_XP_IGNORED;
	d->xp_shared_with = -1;
	d->xp_alloc = 1;
	for (unsigned v = 0; v < d->nvcpus; v++) {
		struct xenoprof_buf *b = fx_ring(s, slot, v);
		b->event_size = (uint32_t)max_samples;
		b->vcpu_id = v;
	}
	return 0;
}

/* xenoprof_reset_buf() */
static void
fx_reset_buf(struct fx_state *s, unsigned slot)
{
	struct fx_dom *d = &s->dom[slot];

	if (!d->xp_alloc)
		return;
	for (unsigned v = 0; v < d->nbuf; v++) {
		struct xenoprof_buf *b = fx_ring(s, slot, v);
		__atomic_store_n(&b->event_head, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->event_tail, 0, __ATOMIC_RELEASE);
	}
}

/* ------------------------------------------------------------------ */
/* Domain references (get_domain/put_domain for the lists)            */

static void
fx_free_dom(struct fx_state *s, unsigned slot)
{
	struct fx_dom *d = &s->dom[slot];

	d->state = FX_DOM_FREE;
	d->xp_alloc = 0;
	d->xp_type = FX_XP_IGNORED;
	d->xp_shared_with = -1;
}

static void
fx_put_dom(struct fx_state *s, int slot)
{
	struct fx_dom *d;

	if (slot < 0)
		return;
	d = &s->dom[slot];
	if (d->refs > 0)
		d->refs--;
	if (d->refs == 0 && d->state == FX_DOM_DYING)
		fx_free_dom(s, (unsigned)slot);
}

/* get_domain_by_id(): live domains only. */
static int
fx_get_dom(struct fx_state *s, uint32_t domid)
{
	int slot = fx_slot_by_domid(s, domid);

	if (slot < 0 || s->dom[slot].state != FX_DOM_LIVE)
		return -1;
	s->dom[slot].refs++;
	return slot;
}

void
fx_hyp_destroy(struct fx_state *s, unsigned slot)
{
	struct fx_dom *d = &s->dom[slot];

	if (d->state != FX_DOM_LIVE)
		return;
	if (d->refs > 0)
		d->state = FX_DOM_DYING;	/* zombie until the lists let go */
	else
		fx_free_dom(s, slot);
}

/* ------------------------------------------------------------------ */
/* The lists (add_active_list, set_active, reset_active, ...)         */

static int
fx_active_index(struct fx_state *s, int slot)
{
	for (unsigned i = 0; i < s->adomains; i++)
		if (s->active[i] == slot)
			return (int)i;
	return -1;
}

static int
fx_set_active(struct fx_state *s, int slot)
{
	int ind = fx_active_index(s, slot);

	if (ind < 0 || !s->dom[slot].xp_alloc)
		return -EPERM;
	s->dom[slot].xp_ready = 1;
	s->dom[slot].xp_type = FX_XP_ACTIVE;
	s->active_ready[ind] = 1;
	s->activated++;
	return 0;
}

static int
fx_reset_active(struct fx_state *s, int slot)
{
	int ind = fx_active_index(s, slot);

	if (ind < 0 || !s->dom[slot].xp_alloc)
		return -EPERM;
	s->dom[slot].xp_ready = 0;
	s->dom[slot].xp_type = FX_XP_IGNORED;
	s->active_ready[ind] = 0;
	s->active[ind] = -1;
	s->activated--;
	fx_put_dom(s, slot);
	if (s->activated == 0)	/* unsigned in Xen: a wrapped count keeps the list */
		s->adomains = 0;
	return 0;
}

static void
fx_reset_active_list(struct fx_state *s)
{
	for (unsigned i = 0; i < s->adomains; i++)
		if (s->active_ready[i])
			fx_reset_active(s, s->active[i]);
	s->adomains = 0;
	s->activated = 0;
}

static void
fx_reset_passive_list(struct fx_state *s)
{
	for (unsigned i = 0; i < s->pdomains; i++) {
		int slot = s->passive[i];

		if (slot >= 0 && s->dom[slot].xp_alloc) {
			fx_unshare(s, (unsigned)slot);
			s->dom[slot].xp_type = FX_XP_IGNORED;
		}
		fx_put_dom(s, slot);
		s->passive[i] = -1;
	}
	s->pdomains = 0;
}

static int
fx_add_active_list(struct fx_state *s, uint32_t domid)
{
	int slot;

	if (s->adomains >= MAX_OPROF_DOMAINS)
		return -E2BIG;
	if ((slot = fx_get_dom(s, domid)) < 0)
		return -EINVAL;
	s->active[s->adomains] = slot;
	s->active_ready[s->adomains] = 0;
	s->adomains++;
	return 0;
}

/* add_passive_list() */
static int
fx_add_passive_list(struct fx_state *s, const struct fx_caller *c,
    struct xenoprof_passive *p)
{
	int slot, ret;

	if (s->pdomains >= MAX_OPROF_DOMAINS)
		return -E2BIG;
	if (!fx_guest_ok(p, sizeof *p))
		return -EFAULT;
	if ((slot = fx_get_dom(s, p->domain_id)) < 0)
		return -EINVAL;
	if (!s->dom[slot].xp_alloc && fx_alloc(s, (unsigned)slot, p->max_samples) < 0) {
		fx_put_dom(s, slot);
		return -ENOMEM;
	}
	if ((ret = fx_share(s, (unsigned)slot, c->domid)) < 0) {
		fx_put_dom(s, slot);
		return ret;
	}
	s->dom[slot].xp_type = FX_XP_PASSIVE;
	p->nbuf = (int32_t)s->dom[slot].nbuf;
	p->bufsize = (int32_t)s->dom[slot].bufsize;
	p->buf_gmaddr = fx_slot_mfn((unsigned)slot) * FX_PAGE;	/* PV: machine address */
	s->passive[s->pdomains++] = slot;
	return 0;
}

/* xenoprof_op_get_buffer() */
static int
fx_get_buffer(struct fx_state *s, const struct fx_caller *c, int slot,
    struct xenoprof_get_buffer *gb)
{
	struct fx_dom *d = &s->dom[slot];
	int ret;

	if (!fx_guest_ok(gb, sizeof *gb))
		return -EFAULT;
	if (!d->xp_alloc && (ret = fx_alloc(s, (unsigned)slot, gb->max_samples)) < 0)
		return ret;
	if ((ret = fx_share(s, (unsigned)slot, c->domid)) < 0)
		return ret;
	fx_reset_buf(s, (unsigned)slot);
	d->xp_type = FX_XP_IGNORED;
	d->xp_ready = 0;
	gb->nbuf = (int32_t)d->nbuf;
	gb->bufsize = (int32_t)d->bufsize;
	gb->buf_gmaddr = fx_slot_mfn((unsigned)slot) * FX_PAGE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* do_xenoprof_op()                                                   */

static long
fx_xenoprof_op(struct fx_state *s, const struct fx_caller *c, int slot,
    uint64_t op, void *arg)
{
	struct fx_dom *me = &s->dom[slot];
	int nonpriv, ret = 0;

	if (me->guest != FX_GUEST_PV)
		return -ENOSYS;		/* not in the HVM/PVH hypercall table */
	if (op > XENOPROF_last_op)
		return -EINVAL;
	nonpriv = op == XENOPROF_init || op == XENOPROF_enable_virq ||
	    op == XENOPROF_disable_virq || op == XENOPROF_get_buffer;
	if (!nonpriv && s->primary != slot)
		return -EPERM;
	if (s->primary == slot)
		s->primary_pid = c->pid;

	switch (op) {
	case XENOPROF_init: {
		struct xenoprof_init *in = arg;

		if (!fx_guest_ok(in, sizeof *in)) {
			ret = -EFAULT;
			break;
		}
		in->num_events = (int32_t)s->num_events;
		memset(in->cpu_type, 0, sizeof in->cpu_type);
		memcpy(in->cpu_type, s->cpu_type, strnlen(s->cpu_type, sizeof in->cpu_type - 1));
		in->is_primary = s->primary == slot ||
		    (s->primary < 0 && me->domid == 0);
		if (in->is_primary) {
			s->primary = slot;
			s->primary_pid = c->pid;
			/* even mid-session: Xen forces INITIALIZED */
			s->xstate = FX_XS_INITIALIZED;
		}
		break;
	}
	case XENOPROF_get_buffer:
		/* acquire_pmu_ownership(): no vPMU here, always granted */
		ret = fx_get_buffer(s, c, slot, arg);
		break;
	case XENOPROF_reset_active_list:
		fx_reset_active_list(s);
		break;
	case XENOPROF_reset_passive_list:
		fx_reset_passive_list(s);
		break;
	case XENOPROF_set_active:
		if (s->xstate != FX_XS_INITIALIZED)
			ret = -EPERM;
		else if (!fx_guest_ok(arg, sizeof(domid_t)))
			ret = -EFAULT;
		else
			ret = fx_add_active_list(s, *(domid_t *)arg);
		break;
	case XENOPROF_set_passive:
		if (s->xstate != FX_XS_INITIALIZED)
			ret = -EPERM;
		else
			ret = fx_add_passive_list(s, c, arg);
		break;
	case XENOPROF_reserve_counters:
		if (s->xstate != FX_XS_INITIALIZED)
			ret = -EPERM;
		else if (s->nmi_reserved)
			ret = -EBUSY;	/* reserve_lapic_nmi() already taken */
		else {
			s->nmi_reserved = 1;
			s->xstate = FX_XS_RESERVED;
		}
		break;
	case XENOPROF_counter: {
		struct xenoprof_counter *ct = arg;

		if (s->xstate != FX_XS_RESERVED || s->adomains == 0)
			ret = -EPERM;
		else if (!fx_guest_ok(ct, sizeof *ct))
			ret = -EFAULT;
		else if (ct->ind >= FX_NCOUNTERS)
			ret = -E2BIG;
		else {
			struct fx_counter *k = &s->counter[ct->ind];
			k->count = ct->count;
			k->enabled = ct->enabled;
			k->event = ct->event;
			k->kernel = ct->kernel;
			k->user = ct->user;
			k->unit_mask = ct->unit_mask;
		}
		break;
	}
	case XENOPROF_ibs_counter:
		if (s->xstate != FX_XS_RESERVED || s->adomains == 0)
			ret = -EPERM;
		else if (!fx_guest_ok(arg, sizeof(struct xenoprof_ibs_counter)))
			ret = -EFAULT;
		break;
	case XENOPROF_setup_events:
		if (s->xstate != FX_XS_RESERVED) {
			ret = -EPERM;
			break;
		}
		/* nmi_setup_events(): program the counters below num_events */
		s->armed_mask = 0;
		for (unsigned i = 0; i < s->num_events && i < FX_NCOUNTERS; i++)
			if (s->counter[i].enabled)
				s->armed_mask |= 1u << i;
		s->xstate = FX_XS_READY;
		break;
	case XENOPROF_enable_virq:
		if (s->primary == slot) {
			if (s->xstate != FX_XS_READY) {
				ret = -EPERM;
				break;
			}
			s->nmi_callback = 1;
			s->st_total = s->st_others = s->st_lost = 0;
			s->st_corrupted = s->st_invalid = 0;
			for (unsigned i = 0; i < s->pdomains; i++)
				if (s->passive[i] >= 0)
					fx_reset_buf(s, (unsigned)s->passive[i]);
		}
		fx_reset_buf(s, (unsigned)slot);
		ret = fx_set_active(s, slot);
		break;
	case XENOPROF_start:
		ret = -EPERM;
		if (s->xstate == FX_XS_READY && s->activated == s->adomains) {
			s->counters_running = 1;
			s->xstate = FX_XS_PROFILING;
			ret = 0;
		}
		break;
	case XENOPROF_stop:
		if (s->xstate != FX_XS_PROFILING) {
			ret = -EPERM;
			break;
		}
		s->counters_running = 0;	/* VIRQ flush: nothing to send */
		s->xstate = FX_XS_READY;
		break;
	case XENOPROF_disable_virq:
		if (s->xstate == FX_XS_PROFILING && me->xp_alloc &&
		    me->xp_type == FX_XP_ACTIVE) {
			ret = -EPERM;
			break;
		}
		if ((ret = fx_reset_active(s, slot)) != 0)
			break;
		fx_unshare(s, (unsigned)slot);
		break;
	case XENOPROF_release_counters:
		ret = -EPERM;
		if (s->xstate == FX_XS_RESERVED || s->xstate == FX_XS_READY) {
			s->xstate = FX_XS_INITIALIZED;
			s->nmi_reserved = 0;
			s->nmi_callback = 0;
			s->counters_running = 0;
			fx_reset_passive_list(s);
			ret = 0;
		}
		break;
	case XENOPROF_shutdown:
		ret = -EPERM;
		if (s->xstate == FX_XS_INITIALIZED) {
			s->activated = s->adomains = 0;
			s->primary = -1;
			s->backtrace_depth = 0;
			ret = 0;
		}
		break;
	case XENOPROF_set_backtrace:
		/* x86 always supports backtraces; arg is a native unsigned long */
		if (!fx_guest_ok(arg, sizeof(uint64_t)))
			ret = -EFAULT;
		else
			s->backtrace_depth = *(uint64_t *)arg;
		break;
	case XENOPROF_get_ibs_caps:
		ret = 0;		/* no IBS: not an AMD family 10h */
		break;
	default:
		ret = -ENOSYS;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* sysctl, domctl, xen_version                                        */

/* getdomaininfo() */
static void
fx_domaininfo(struct fx_state *s, unsigned slot, xen_domctl_getdomaininfo_t *o)
{
	struct fx_dom *d = &s->dom[slot];

	memset(o, 0, sizeof *o);
	o->domain = (domid_t)d->domid;
	o->flags = d->state == FX_DOM_DYING ? XEN_DOMINF_dying : XEN_DOMINF_running;
	if (d->guest != FX_GUEST_PV)
		o->flags |= XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
	o->tot_pages = o->max_pages = d->tot_pages;
	o->cpu_time = d->cpu_time_ns;
	o->nr_online_vcpus = d->nvcpus;
	o->max_vcpu_id = d->nvcpus - 1;
	o->ssidref = 0;
	o->handle[14] = (uint8_t)(d->domid >> 8);
	o->handle[15] = (uint8_t)d->domid;
	o->cpupool = 0;
	o->gpaddr_bits = 52;
}

/* Domain slots ordered by domid, as for_each_domain walks them. */
static unsigned
fx_sorted_slots(struct fx_state *s, unsigned *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->ndoms; i++) {
		unsigned j;

		if (s->dom[i].state == FX_DOM_FREE)
			continue;
		for (j = n; j > 0 && s->dom[out[j - 1]].domid > s->dom[i].domid; j--)
			out[j] = out[j - 1];
		out[j] = i;
		n++;
	}
	return n;
}

static long
fx_sysctl(struct fx_state *s, const struct fx_caller *c, struct xen_sysctl *sc)
{
	unsigned order[FX_MAX_DOMS], n;

	if (!fx_guest_ok(sc, sizeof *sc))
		return -EFAULT;
	if (sc->interface_version != XEN_SYSCTL_INTERFACE_VERSION)
		return -EACCES;
	if (c->domid != 0)
		return -EPERM;		/* xsm_sysctl(XSM_PRIV) */
	switch (sc->cmd) {
	case XEN_SYSCTL_getdomaininfolist: {
		struct xen_sysctl_getdomaininfolist *g = &sc->u.getdomaininfolist;
		uint32_t num = 0;

		n = fx_sorted_slots(s, order);
		for (unsigned i = 0; i < n; i++) {
			xen_domctl_getdomaininfo_t *o;

			if (s->dom[order[i]].domid < g->first_domain)
				continue;
			if (num == g->max_domains)
				break;
			o = g->buffer.p + num;
			if (!fx_guest_ok(o, sizeof *o))
				return -EFAULT;
			fx_domaininfo(s, order[i], o);
			num++;
		}
		g->num_domains = num;
		return 0;
	}
	case XEN_SYSCTL_physinfo: {
		struct xen_sysctl_physinfo *p = &sc->u.physinfo;

		memset(p, 0, sizeof *p);
		p->threads_per_core = 1;
		p->cores_per_socket = s->pcpus;
		p->nr_cpus = s->pcpus;
		p->max_cpu_id = s->pcpus - 1;
		p->nr_nodes = 1;
		p->cpu_khz = 2000000;
		p->capabilities = XEN_SYSCTL_PHYSCAP_pv | XEN_SYSCTL_PHYSCAP_hvm;
		p->total_pages = 1u << 22;
		p->free_pages = 1u << 20;
		p->max_mfn = (1u << 22) - 1;
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

static long
fx_domctl(struct fx_state *s, const struct fx_caller *c, struct xen_domctl *dc)
{
	unsigned order[FX_MAX_DOMS], n;

	if (!fx_guest_ok(dc, sizeof *dc))
		return -EFAULT;
	if (dc->interface_version != XEN_DOMCTL_INTERFACE_VERSION)
		return -EACCES;
	if (dc->cmd != XEN_DOMCTL_getdomaininfo)
		return c->domid != 0 ? -EPERM : -ENOSYS;
	if (c->domid != 0)
		return -EPERM;		/* xsm_domctl: XSM_XS_PRIV */
	if (dc->domain >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	n = fx_sorted_slots(s, order);
	for (unsigned i = 0; i < n; i++) {
		if (s->dom[order[i]].domid >= dc->domain) {
			fx_domaininfo(s, order[i], &dc->u.getdomaininfo);
			dc->domain = dc->u.getdomaininfo.domain;
			return 0;
		}
	}
	return -ESRCH;
}

static long
fx_xen_version(uint64_t cmd, void *arg)
{
	switch (cmd) {
	case XENVER_version:
		return (4 << 16) | 17;
	case XENVER_extraversion:
		if (!fx_guest_ok(arg, sizeof(xen_extraversion_t)))
			return -EFAULT;
		memset(arg, 0, sizeof(xen_extraversion_t));
		strcpy(arg, ".7-fakexen");
		return 0;
	case XENVER_capabilities:
		if (!fx_guest_ok(arg, sizeof(xen_capabilities_info_t)))
			return -EFAULT;
		memset(arg, 0, sizeof(xen_capabilities_info_t));
		strcpy(arg, "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64");
		return 0;
	case XENVER_changeset:
		if (!fx_guest_ok(arg, sizeof(xen_changeset_info_t)))
			return -EFAULT;
		memset(arg, 0, sizeof(xen_changeset_info_t));
		strcpy(arg, "fakexen");
		return 0;
	case XENVER_get_features: {
		xen_feature_info_t *fi = arg;
		if (!fx_guest_ok(fi, sizeof *fi))
			return -EFAULT;
		fi->submap = 0;
		return 0;
	}
	case XENVER_pagesize:
		return FX_PAGE;
	default:
		return -ENOSYS;
	}
}

long
fx_hyp_hypercall(struct fx_state *s, const struct fx_caller *c, uint64_t op,
    const uint64_t arg[5])
{
	unsigned key;
	long ret;
	int slot, err;

	switch (op) {
	case __HYPERVISOR_xenoprof_op:
		key = arg[0] <= XENOPROF_last_op ? (unsigned)arg[0] : FX_FK_XENOPROF_ALL;
		break;
	case __HYPERVISOR_sysctl:	key = FX_FK_SYSCTL; break;
	case __HYPERVISOR_domctl:	key = FX_FK_DOMCTL; break;
	case __HYPERVISOR_xen_version:	key = FX_FK_XEN_VERSION; break;
	default:
		return -ENOSYS;
	}
	fx_lock(s);
	slot = fx_slot_by_domid(s, c->domid);
	if (slot < 0 || s->dom[slot].state != FX_DOM_LIVE) {
		ret = -ESRCH;		/* the calling domain no longer runs */
	} else if ((err = fx_hyp_fault(s, key, c->domid)) != 0) {
		ret = -err;
	} else {
		switch (op) {
		case __HYPERVISOR_xenoprof_op:
			ret = fx_xenoprof_op(s, c, slot, arg[0],
			    (void *)(uintptr_t)arg[1]);
			break;
		case __HYPERVISOR_sysctl:
			ret = fx_sysctl(s, c, (void *)(uintptr_t)arg[0]);
			break;
		case __HYPERVISOR_domctl:
			ret = fx_domctl(s, c, (void *)(uintptr_t)arg[0]);
			break;
		default:
			ret = fx_xen_version(arg[0], (void *)(uintptr_t)arg[1]);
			break;
		}
	}
	fx_unlock(s);
	return ret;
}

/* ------------------------------------------------------------------ */
/* MMAPBATCH: which frames a caller may map                           */

int
fx_hyp_map_frame(struct fx_state *s, const struct fx_caller *c, uint32_t dom,
    uint64_t mfn, unsigned *slotp, uint64_t *off)
{
	uint32_t owner;
	unsigned slot, page;
	struct fx_dom *d;

	/* get_pg_owner(): DOMID_SELF is the caller; its own id is refused */
	if (dom == DOMID_SELF)
		owner = c->domid;
	else if (dom == c->domid)
		return -ESRCH;
	else
		owner = dom;
	if (mfn < FX_MFN_BASE || mfn >= FX_MFN_BASE + (uint64_t)FX_MAX_DOMS * FX_DOM_PAGES)
		return -EINVAL;
	slot = (unsigned)((mfn - FX_MFN_BASE) / FX_DOM_PAGES);
	page = (unsigned)((mfn - FX_MFN_BASE) % FX_DOM_PAGES);
	d = &s->dom[slot];
	if (slot >= s->ndoms || d->state == FX_DOM_FREE || !d->xp_alloc ||
	    page >= d->npages)
		return -EINVAL;
	/* the page must be owned by (shared with) the caller itself */
	if (d->xp_shared_with < 0 || (uint32_t)d->xp_shared_with != owner ||
	    owner != c->domid)
		return -EPERM;
	*slotp = slot;
	*off = fx_slot_offset(s, slot) + (uint64_t)page * FX_PAGE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The NMI side: xenoprof_add_sample() / xenoprof_log_event()         */

static unsigned
fx_space(uint32_t head, uint32_t tail, uint32_t size)
{
	return (unsigned)(((tail > head) ? 0 : size) + tail - head - 1);
}

/* 1 written, 0 ring full (counted lost), -1 corrupt indexes. */
static int
fx_add_sample(struct fx_state *s, struct xenoprof_buf *b, uint32_t size,
    uint64_t eip, unsigned mode, unsigned event)
{
	uint32_t head = __atomic_load_n(&b->event_head, __ATOMIC_RELAXED);
	uint32_t tail = __atomic_load_n(&b->event_tail, __ATOMIC_ACQUIRE);

	if ((int32_t)head < 0 || head >= size || (int32_t)tail < 0 || tail >= size) {
		s->st_corrupted++;
		return -1;
	}
	if (fx_space(head, tail, size) == 0) {
		b->lost_samples++;
		s->st_lost++;
		return 0;
	}
	b->event_log[head].eip = eip;
	b->event_log[head].mode = (uint8_t)mode;
	b->event_log[head].event = (uint8_t)event;
	if (++head >= size)
		head = 0;
	__atomic_store_n(&b->event_head, head, __ATOMIC_RELEASE);
	return 1;
}

int
fx_hyp_log(struct fx_state *s, unsigned slot, unsigned vcpu, uint64_t pc,
    unsigned mode, unsigned event, const uint64_t *frames, unsigned nframes)
{
	struct fx_dom *d = &s->dom[slot];
	struct xenoprof_buf *b;
	uint32_t size;
	int r;

	s->st_total++;
	if (!d->xp_alloc || (d->xp_type != FX_XP_ACTIVE && d->xp_type != FX_XP_PASSIVE)) {
		s->st_others++;
		return FX_LOG_UNPROFILED;
	}
	if (vcpu >= d->nbuf) {
		s->st_invalid++;
		return FX_LOG_DROPPED;
	}
	b = fx_ring(s, slot, vcpu);
	size = d->event_size;		/* Xen's private copy, not the header's */
	if (s->backtrace_depth > 0) {
		uint32_t head = __atomic_load_n(&b->event_head, __ATOMIC_RELAXED);
		uint32_t tail = __atomic_load_n(&b->event_tail, __ATOMIC_ACQUIRE);

		if ((head < size && tail < size && fx_space(head, tail, size) < 2) ||
		    fx_add_sample(s, b, size, XENOPROF_ESCAPE_CODE, mode,
		    XENOPROF_TRACE_BEGIN) != 1) {
			b->lost_samples++;
			s->st_lost++;
			return FX_LOG_LOST;
		}
	}
	r = fx_add_sample(s, b, size, pc, mode, event);
	if (r == 1) {
		if (mode == FX_MODE_USER)
			b->user_samples++;
		else if (mode == FX_MODE_KERNEL)
			b->kernel_samples++;
		else
			b->xen_samples++;
	}
	if (s->backtrace_depth > 0) {
		/* xenoprof_backtrace(): each failed frame counts as lost */
		for (unsigned i = 0; i < nframes && i < s->backtrace_depth; i++) {
			if (frames[i] == XENOPROF_ESCAPE_CODE) {
				s->st_invalid++;
				continue;
			}
			fx_add_sample(s, b, size, frames[i], mode, 0);
		}
	}
	return r == 1 ? FX_LOG_DELIVERED : r == 0 ? FX_LOG_LOST : FX_LOG_DROPPED;
}
