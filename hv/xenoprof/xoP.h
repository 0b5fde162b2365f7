/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xoP.h: private to the xenoprof backend (hv/xenoprof/).
 *
 * The backend drives Xen's xenoprof_op (hypercall 31) from user space
 * through libxencall, maps the per-vCPU sample rings with
 * libxenforeignmemory, and names domains with libxenctrl and libxenstore.
 * Domain attribution is by ring: a ring belongs to one vCPU of one domain.
 */
#ifndef XP_XOP_H
#define XP_XOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

/* ---- xenoprof.c: helpers shared with probe.c ------------------------- */

struct xentoollog_logger;
typedef struct xencall_handle xencall_handle;

/* A libxen* logger that discards: failures come back as errno instead. */
struct xentoollog_logger *xo_quiet_logger(void);
/* "EPERM", "ENOSYS"... as the ABI documents them. */
const char *xo_errname(int e);
/* xenoprof_op OP with ARG copied into the hypercall buffer HBUF (NULL: none). */
int xo_hypercall(xencall_handle *xc, void *hbuf, int op, const void *arg, size_t len);
/* Undo what a dead primary left (each op fails harmlessly when there is nothing). */
void xo_recover_ops(xencall_handle *xc, void *hbuf);
/* /proc/xen/capabilities says control_d. */
bool xo_control_domain(void);
/* This domain's id: xenstore's, or 0 in dom0 without an answer; -1 with ERR. */
int xo_self(uint32_t *self, char *err, size_t errlen);
/* WHY for an init that failed with errno E. */
void xo_init_error(int e, char *why, size_t len);
/*
 * Take this domain's xenoprof lock, XO_RUNDIR/xenoprof-domN.lock (fakexen
 * gives each simulated domain a run dir of its own): the fd, -2 if a
 * daemon holds it (its pid in *HOLDER), -1 with ERR.
 */
#define XO_RUNDIR	"/run/xenprof"
int xo_lock_take(uint32_t self, long *holder, char *err, size_t errlen);

/* ---- ring.c: the consumer side of one struct xenoprof_buf ------------ */

#define XO_ENTRY_SIZE	16	/* struct event_log, native x86-64 */
#define XO_HEADER_SIZE	48	/* offsetof(struct xenoprof_buf, event_log) */

/* One vCPU ring, mapped from the hypervisor. */
struct xo_ring {
	volatile uint8_t *buf;		/* struct xenoprof_buf, in the mapping */
	uint32_t	size;		/* slots, validated against the mapping */
	uint32_t	domid;
	uint32_t	vcpu;
	uint64_t	lost_seen;	/* lost_samples already reported */
	uint64_t	logged_base;	/* xen+kernel+user_samples at attach */
	uint64_t	lost_base;	/* lost_samples at attach */
	uint32_t	snap_head;	/* head read by xo_ring_snapshot() ... */
	bool		snapped;	/* ... for the next drain to stop at */
	/* A call-chain group in progress: escape, sample, return addresses. */
	enum { XO_NONE, XO_EXPECT_SAMPLE, XO_FRAMES, XO_SKIP_FRAMES } trace;
	struct hv_sample pending;	/* the group's sample, when XO_FRAMES */
	uint64_t	chain[HV_MAX_CHAIN];
};

/* What the ring parser needs to know about the session. */
struct xo_ring_cfg {
	uint32_t	nevents;	/* valid counter indexes */
	uint32_t	max_chain;
	bool		want_kernel[HV_MAX_EVENTS];	/* deliver mode 1/2 samples */
	bool		want_user[HV_MAX_EVENTS];	/* deliver mode 0 samples */
	bool		final;		/* sampling stopped: end open groups at this drain */
};

/*
 * Attach R to the buffer at BUF (BYTES long up to the end of the mapping):
 * check the header against the geometry Xen reported.  -1 if it does not fit.
 */
int xo_ring_attach(struct xo_ring *r, volatile uint8_t *buf, size_t bytes, uint32_t bufsize,
    uint32_t domid);
/*
 * Read R's head now: the next xo_ring_drain stops there.  Taken before the
 * perf side band is read, so every process a drained sample ran in is
 * already known (xenoprof samples carry no pid and no time).
 */
void xo_ring_snapshot(struct xo_ring *r);
/* What Xen says it logged into R since attach (its header's counters). */
void xo_ring_logged(const struct xo_ring *r, uint64_t *logged, uint64_t *lost);
/* Deliver the entries between tail and head, then publish the new tail. */
long xo_ring_drain(struct xo_ring *r, const struct xo_ring_cfg *cfg,
    const struct hv_sink *sink, struct hv_stats *st, uint32_t *fill);

/* ---- events.c: event names for the cpu types Xen reports ------------- */

struct xo_event_def {
	const char     *name;
	uint32_t	code;
	uint32_t	unit_mask;	/* default */
	uint64_t	min_count;
	const char     *desc;
	/* added with the data-file tables (hv/events/): */
	const struct hv_unit_mask *um;	/* NULL: the event takes no unit mask */
	uint32_t	counters;	/* bit i: counter i can count it; 0 = any */
};

/* The events of CPU_TYPE (NULL if the type is unknown); *N their number. */
const struct xo_event_def *xo_events_for(const char *cpu_type, size_t *n);
/* All events of every known cpu type, for --list-events. */
const struct hv_event_info *xo_event_infos(size_t *n);
/* Resolve EV on CPU_TYPE ("" = check against every type). -1 with ERR. */
int xo_event_resolve(const char *cpu_type, const struct hv_event *ev,
    const struct xo_event_def **def, char *err, size_t errlen);

#endif /* XP_XOP_H */
