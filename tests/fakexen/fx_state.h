/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_state.h - the simulated hypervisor's memory: one MAP_SHARED file.
 *
 * Everything fakexen knows lives in the state file DIR/state: the domain
 * table, the global xenoprof state (a port of the statics of Xen 4.17's
 * xen/common/xenoprof.c), the fault table, the ground-truth counters and,
 * after fx_state.hdr_bytes, the "machine frames" that hold the xenoprof rings.
 *
 * Who maps it:
 *   - the simulator process (`fakexen up`) creates it, generates samples;
 *   - libfakexen.so (the LD_PRELOAD shim), once per client process, runs
 *     the hypercall handlers against it (fx_hyp.c) and maps its frames into
 *     the client when libxenforeignmemory asks for them;
 *   - `fakexen truth|destroy` read or change it.
 *
 * Invariant: every field outside the frames is read or written only with
 * fx_state.lock held (a robust, process-shared mutex: a client that dies
 * holding it is recovered with EOWNERDEAD).  The frames follow the xenoprof
 * ring discipline instead (producer owns event_head, consumer event_tail).
 *
 * The shim, the simulator and the CLI come from one build; the layout
 * version still guards against a stale state file.  Bump FX_LAYOUT when
 * anything below changes.
 */
#ifndef FX_STATE_H
#define FX_STATE_H

#define __XEN_TOOLS__ 1
#include <sys/types.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/xenoprof.h>

#define FX_MAGIC	0x314e45584b414646ull	/* "FFAKXEN1" */
#define FX_LAYOUT	4

#define FX_PAGE		4096u
#define FX_MAX_DOMS	256		/* domain slots (frames are sparse in the file) */
#define FX_MAX_VCPUS	128		/* per domain */
#define FX_MAX_PCPUS	256
#define FX_MAX_WORK	(1u << 20)	/* work lines: sized by the config, up to this */
#define FX_MAX_FAULTS	256
#define FX_MAX_MAPS	4096		/* (pid, slot) mappings tracked for EBUSY */
#define FX_NAME_LEN	64
#define FX_SYM_LEN	128
#define FX_NCOUNTERS	8		/* OP_MAX_COUNTER in Xen */
#define FX_DOM_PAGES	32		/* MAX_OPROF_SHARED_PAGES in Xen */
#define FX_MFN_BASE	0x80000ull	/* machine frame of slot 0, page 0 */
#define FX_HDR_MIN	(1u << 20)	/* frames start at fx_state.hdr_bytes, at least this */
#define FX_FRAME_BYTES	((uint64_t)FX_MAX_DOMS * FX_DOM_PAGES * FX_PAGE)

/* fx_dom.state */
enum { FX_DOM_FREE = 0, FX_DOM_LIVE, FX_DOM_DYING };
/* fx_dom.guest: only PV callers reach xenoprof_op (Xen's hypercall table) */
enum { FX_GUEST_PV = 0, FX_GUEST_HVM, FX_GUEST_PVH };
/* fx_dom.xp_type: XENOPROF_DOMAIN_* in Xen */
enum { FX_XP_IGNORED = 0, FX_XP_ACTIVE, FX_XP_PASSIVE };
/* fx_state.xstate: xenoprof_state in Xen */
enum { FX_XS_IDLE = 0, FX_XS_INITIALIZED, FX_XS_RESERVED, FX_XS_READY,
       FX_XS_PROFILING };
/* sample modes, as in the ring */
enum { FX_MODE_USER = 0, FX_MODE_KERNEL = 1, FX_MODE_XEN = 2 };

/*
 * Fault keys: which hypercall a `fault hypercall` directive hits.  0..17
 * are the xenoprof ops themselves.
 */
enum {
	FX_FK_XENOPROF_ALL = 100,	/* every xenoprof op */
	FX_FK_SYSCTL,			/* every sysctl */
	FX_FK_DOMCTL,			/* every domctl */
	FX_FK_XEN_VERSION,
	FX_FK_MMAPBATCH,		/* IOCTL_PRIVCMD_MMAPBATCH_V2 */
};

struct fx_dom {
	uint32_t	state;		/* FX_DOM_* */
	uint32_t	domid;
	uint32_t	nvcpus;
	uint32_t	weight;
	uint32_t	guest;		/* FX_GUEST_* */
	uint32_t	refs;		/* active + passive list references */
	uint32_t	restricted;	/* the guest kernel's privcmd refuses hypercalls (EPERM) */
	uint32_t	noperf;		/* the guest kernel has no perf_event_open (ENOSYS) */
	char		name[FX_NAME_LEN];
	uint64_t	tot_pages;
	uint64_t	cpu_time_ns;
	/* d->xenoprof: allocated once (first get_buffer/set_passive) */
	uint32_t	xp_alloc;
	int32_t		xp_type;	/* FX_XP_* */
	uint32_t	xp_ready;
	int32_t		xp_shared_with;	/* domid the pages are shared with, -1 */
	uint32_t	nbuf, bufsize, npages, event_size;
};

/* One work line of the config plus its ground truth. */
struct fx_work {
	uint32_t	slot;		/* domain slot */
	uint32_t	mode;		/* FX_MODE_* */
	uint32_t	weight;
	uint32_t	chain_len;	/* frames after the leaf, 0 = no chain */
	char		symbol[FX_SYM_LEN];	/* leaf name, "[unknown]" for - */
	uint64_t	delivered, lost, unprofiled;
};

struct fx_fault {
	uint32_t	key;		/* xenoprof op or FX_FK_* */
	int32_t		err;		/* positive errno */
	int32_t		domid;		/* -1 = any caller */
	int64_t		remaining;	/* -1 = unlimited */
};

struct fx_map {
	int32_t		pid;		/* 0 = free entry */
	uint32_t	slot;
};

struct fx_counter {
	uint64_t	count;
	uint32_t	enabled, event, kernel, user;
	uint64_t	unit_mask;
};

struct fx_state {
	uint64_t	magic;
	uint32_t	layout;
	uint32_t	ready;		/* set by the simulator once serving */
	pthread_mutex_t	lock;

	/* host */
	uint32_t	pcpus;
	uint32_t	num_events;
	char		cpu_type[XENOPROF_CPU_TYPE_SIZE];
	uint32_t	ring_slots;	/* fault: clamp max_samples, 0 = off */
	uint32_t	xs_silent;	/* fault: xenstore accepts but never answers */
	int32_t		sim_pid;
	uint64_t	frame_ino;	/* st_ino of the state file */
	uint64_t	hdr_bytes;	/* the frames' file offset: header + work lines */
	uint64_t	file_bytes;	/* hdr_bytes + FX_FRAME_BYTES */

	uint32_t	ndoms;		/* slots in use (some may be FREE) */
	struct fx_dom	dom[FX_MAX_DOMS];

	/* xenoprof globals (xen/common/xenoprof.c) */
	int32_t		primary;	/* slot of the primary profiler, -1 */
	int32_t		primary_pid;	/* last process that made a primary op */
	uint32_t	xstate;
	uint32_t	adomains, activated, pdomains;
	int32_t		active[MAX_OPROF_DOMAINS];	/* slot or -1 (NULL) */
	int32_t		active_ready[MAX_OPROF_DOMAINS];
	int32_t		passive[MAX_OPROF_DOMAINS];
	uint64_t	backtrace_depth;
	struct fx_counter counter[FX_NCOUNTERS];
	uint32_t	armed_mask;	/* counters programmed by setup_events */
	/* arch (nmi_int.c): LAPIC NMI reserved, counters running, callback */
	uint32_t	nmi_reserved, counters_running, nmi_callback;
	/* Xen's internal statistics (not visible to guests) */
	uint64_t	st_total, st_others, st_lost, st_corrupted, st_invalid;

	/* ground truth, written by the generator */
	uint64_t	generated, delivered, lost, unprofiled;
	uint64_t	ticks;		/* virtual time: sample periods elapsed */
	uint32_t	nfaults;
	struct fx_fault	faults[FX_MAX_FAULTS];
	struct fx_map	maps[FX_MAX_MAPS];

	uint32_t	nwork;		/* as many as the config has */
	struct fx_work	work[];
};

_Static_assert(sizeof(struct fx_state) <= FX_HDR_MIN, "state header too big");

/* fx_state.c */
/* Create (truncate) PATH for a host of NWORK work lines. */
struct fx_state *fx_state_create(const char *path, uint32_t nwork, char *err, size_t errlen);
struct fx_state *fx_state_map(const char *path, char *err, size_t errlen);
void		 fx_state_unmap(struct fx_state *);
void		 fx_lock(struct fx_state *);
void		 fx_unlock(struct fx_state *);
uint64_t	 fx_slot_mfn(unsigned slot);
uint64_t	 fx_slot_offset(const struct fx_state *, unsigned slot);
struct xenoprof_buf *fx_ring(struct fx_state *, unsigned slot, unsigned vcpu);
int		 fx_slot_by_domid(const struct fx_state *, uint32_t domid);
const char	*fx_mode_name(unsigned mode);
void		 fx_truth_json(struct fx_state *, FILE *);
void		 fx_truth_lines(struct fx_state *, FILE *);

#endif
