/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The consumer side of a xenoprof ring (struct xenoprof_buf): Xen owns
 * event_head and the counters, we own event_tail.  Head and tail are read
 * once per drain and checked against the ring size before use (a guest or a
 * bug can write anything there); entries with a bad mode or counter index
 * are counted as invalid, never trusted.
 */

#include <string.h>

#include "hv/xenoprof/xoP.h"

#define XO_ESCAPE	(~0ull)
#define XO_TRACE_BEGIN	1

#define OFF_HEAD	0
#define OFF_TAIL	4
#define OFF_SIZE	8
#define OFF_VCPU	12
#define OFF_XEN		16	/* xen_samples, kernel_samples, user_samples: */
#define OFF_KERNEL	24	/* one per sample Xen logged in this ring, */
#define OFF_USER	32	/* cumulative over the domain's life */
#define OFF_LOST	40

static inline uint32_t
ld32(volatile uint8_t *p)
{
	return __atomic_load_n((volatile uint32_t *)p, __ATOMIC_ACQUIRE);
}

static inline uint64_t
ld64(volatile uint8_t *p)
{
	return __atomic_load_n((volatile uint64_t *)p, __ATOMIC_RELAXED);
}

int
xo_ring_attach(struct xo_ring *r, volatile uint8_t *buf, size_t bytes, uint32_t bufsize,
    uint32_t domid)
{
	uint32_t slots;

	memset(r, 0, sizeof(*r));
	if (bufsize < XO_HEADER_SIZE + XO_ENTRY_SIZE || bytes < bufsize)
		return -1;
	slots = (bufsize - XO_HEADER_SIZE) / XO_ENTRY_SIZE;
	/* Xen's header value must agree with the stride it reported. */
	if (ld32(buf + OFF_SIZE) != slots)
		return -1;
	r->buf = buf;
	r->size = slots;
	r->domid = domid;
	r->vcpu = ld32(buf + OFF_VCPU);
	r->lost_seen = ld64(buf + OFF_LOST);
	r->logged_base = ld64(buf + OFF_XEN) + ld64(buf + OFF_KERNEL) + ld64(buf + OFF_USER);
	r->lost_base = r->lost_seen;
	return 0;
}

void
xo_ring_snapshot(struct xo_ring *r)
{
	r->snap_head = ld32(r->buf + OFF_HEAD);
	r->snapped = true;
}

void
xo_ring_logged(const struct xo_ring *r, uint64_t *logged, uint64_t *lost)
{
	*logged = ld64(r->buf + OFF_XEN) + ld64(r->buf + OFF_KERNEL) + ld64(r->buf + OFF_USER) -
	    r->logged_base;
	*lost = ld64(r->buf + OFF_LOST) - r->lost_base;
}

static void
flush_pending(struct xo_ring *r, const struct hv_sink *sink, struct hv_stats *st)
{
	if (r->trace == XO_FRAMES) {
		r->pending.chain = r->chain;
		st->samples++;
		if (sink->sample)
			sink->sample(sink->ctx, &r->pending);
	}
	r->trace = XO_NONE;
}

/* Is the sample (MODE, EVENT) one the session asked for?  -1 if malformed. */
static int
wanted(const struct xo_ring_cfg *cfg, uint8_t mode, uint8_t event)
{
	if (mode > HV_MODE_XEN || event >= cfg->nevents)
		return -1;
	return mode == HV_MODE_USER ? cfg->want_user[event] : cfg->want_kernel[event];
}

long
xo_ring_drain(struct xo_ring *r, const struct xo_ring_cfg *cfg,
    const struct hv_sink *sink, struct hv_stats *st, uint32_t *fill)
{
	uint32_t head, tail, n = 0;
	uint64_t lost;
	volatile uint8_t *log = r->buf + XO_HEADER_SIZE;

	head = r->snapped ? r->snap_head : ld32(r->buf + OFF_HEAD);
	r->snapped = false;
	tail = ld32(r->buf + OFF_TAIL);
	if (head >= r->size || tail >= r->size) {
		/* Not a state Xen produces: resynchronise, count it. */
		st->invalid++;
		if (sink->lost)
			sink->lost(sink->ctx, r->domid, r->vcpu, HV_LOSS_INVALID, 1);
		if (head < r->size)
			__atomic_store_n((volatile uint32_t *)(r->buf + OFF_TAIL), head, __ATOMIC_RELEASE);
		return 0;
	}
	*fill = head >= tail ? head - tail : r->size - tail + head;
	while (tail != head) {
		volatile uint8_t *e = log + (size_t)tail * XO_ENTRY_SIZE;
		uint64_t eip = ld64(e);
		uint8_t mode = e[8], event = e[9];
		int w;

		n++;
		if (++tail == r->size)
			tail = 0;
		if (eip == XO_ESCAPE && event == XO_TRACE_BEGIN) {
			flush_pending(r, sink, st);
			r->trace = XO_EXPECT_SAMPLE;
			continue;
		}
		if ((r->trace == XO_FRAMES || r->trace == XO_SKIP_FRAMES) && event == 0) {
			/* A return address of the group's sample. */
			if (r->trace == XO_FRAMES && r->pending.nchain < cfg->max_chain &&
			    r->pending.nchain < HV_MAX_CHAIN)
				r->chain[r->pending.nchain++] = eip;
			continue;
		}
		if (r->trace != XO_EXPECT_SAMPLE)
			flush_pending(r, sink, st);
		w = wanted(cfg, mode, event);
		if (w < 0) {
			st->invalid++;
			if (sink->lost)
				sink->lost(sink->ctx, r->domid, r->vcpu, HV_LOSS_INVALID, 1);
			r->trace = r->trace == XO_EXPECT_SAMPLE ? XO_SKIP_FRAMES : XO_NONE;
			continue;
		}
		if (w == 0) {	/* a mode the user did not ask for */
			r->trace = r->trace == XO_EXPECT_SAMPLE ? XO_SKIP_FRAMES : XO_NONE;
			continue;
		}
		memset(&r->pending, 0, sizeof(r->pending));
		r->pending.domid = r->domid;
		r->pending.cpu = r->vcpu;
		r->pending.pid = r->pending.tid = HV_NO_PID;
		r->pending.pc = eip;
		r->pending.mode = mode;
		r->pending.counter = event;
		if (r->trace == XO_EXPECT_SAMPLE) {
			r->trace = XO_FRAMES;	/* delivered when the group ends */
		} else {
			r->trace = XO_FRAMES;
			flush_pending(r, sink, st);
		}
	}
	/*
	 * Xen publishes a call-chain group an entry at a time: a group still
	 * open here may get more frames by the next drain, so it is kept (its
	 * sample is counted when the next group or sample starts).  Once
	 * sampling has stopped nothing more comes: end it.
	 */
	if (cfg->final)
		flush_pending(r, sink, st);
	__atomic_store_n((volatile uint32_t *)(r->buf + OFF_TAIL), tail, __ATOMIC_RELEASE);
	st->records += n;

	lost = ld64(r->buf + OFF_LOST);
	if (lost > r->lost_seen) {
		st->lost += lost - r->lost_seen;
		if (sink->lost)
			sink->lost(sink->ctx, r->domid, r->vcpu, HV_LOSS_RING, lost - r->lost_seen);
	}
	r->lost_seen = lost;
	return n;
}
