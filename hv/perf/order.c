/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * order.c: records of every cpu's ring delivered in time order, as perf's
 * own ordered-events queue does (tools/perf/util/ordered-events.c).
 *
 * The rings are drained one after another, so records of different cpus
 * arrive out of order: a process that execs on cpu 1 and forks on cpu 0
 * within one pass would have its FORK applied before its exec, and the
 * child would keep the pre-exec maps.  Every record carries a time
 * (PERF_SAMPLE_TIME in samples, the sample_id trailer of side-band records,
 * with sample_id_all), so a pass copies the records out of the rings into
 * this queue and delivers, sorted by time, those no later record can
 * precede: the owner gives that horizon (perf.c).
 *
 * Invariants: q[0..nq) is sorted by (time, seq) and holds what earlier
 * passes kept back; in[0..nin) is this pass's records, in runs of one ring
 * each (runs[] holds their starts), each run in ring order.  seq numbers
 * every record in arrival order, so that ties keep ring order.  Every
 * entry's bytes are in the arena at [off, off + len).
 */
#include "config.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

#include "hv/perf/perfP.h"

/* Grow *P (of *CAP elements of SZ bytes) to hold NEED; 0 or -1. */
static int
grow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t n = *cap ? *cap : 256;
	void *np;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((np = realloc(*p, n * sz)) == NULL)
		return -1;
	*p = np;
	*cap = n;
	return 0;
}

static int
ent_before(const struct perf_oq_ent *a, const struct perf_oq_ent *b)
{
	return a->time != b->time ? a->time < b->time : a->seq < b->seq;
}

/*
 * The time of record R[0..N) of ring CTX, into *T.  0, or -1 when the record
 * carries none (no PERF_SAMPLE_TIME, or a side-band record without the
 * sample_id trailer).
 */
int
perf_record_time(const struct perf_ring_ctx *ctx, const uint8_t *r, size_t n, uint64_t *t)
{
	const uint64_t type = ctx->sample_type;
	struct perf_event_header h;
	size_t pos, trailer;

	if (!(type & PERF_SAMPLE_TIME) || n < sizeof(h))
		return -1;
	memcpy(&h, r, sizeof(h));
	if (h.type == PERF_RECORD_SAMPLE) {
		pos = sizeof(h) + 8 * (!!(type & PERF_SAMPLE_IDENTIFIER) + !!(type & PERF_SAMPLE_IP) +
		    !!(type & PERF_SAMPLE_TID));
	} else {
		if (!ctx->sample_id_all)
			return -1;
		trailer = 8 * (size_t)__builtin_popcountll(type & PERF_SAMPLE_ID_BITS);
		if (n < sizeof(h) + trailer)
			return -1;
		pos = n - trailer + 8 * !!(type & PERF_SAMPLE_TID);
	}
	if (pos + 8 > n)
		return -1;
	memcpy(t, r + pos, 8);
	return 0;
}

uint64_t
perf_order_collect(struct perf_order *q, struct perf_ring_ctx *ctx, uint32_t ring,
    const uint8_t *data, uint64_t size, uint64_t tail, uint64_t head, uint64_t future,
    const struct hv_sink *sink, struct hv_stats *st)
{
	const bool pow2 = size != 0 && (size & (size - 1)) == 0;
	struct perf_event_header h;
	struct perf_oq_ent *e;
	uint64_t pos, avail, off, first, t;
	uint8_t *dst;

	if (head == tail)
		return head;
	if (size == 0 || head - tail > size)	/* also catches head behind tail */
		goto invalid;
	if (grow((void **)&q->runs, &q->caprun, q->nrun + 1, sizeof(*q->runs)) == -1)
		goto nomem;
	q->runs[q->nrun++] = q->nin;
	for (pos = tail; pos != head; pos += h.size) {
		avail = head - pos;
		off = pow2 ? pos & (size - 1) : pos % size;
		if (avail < sizeof(h))
			goto invalid;
		if (size - off >= sizeof(h))
			memcpy(&h, data + off, sizeof(h));
		else {
			first = size - off;
			memcpy(&h, data + off, first);
			memcpy((uint8_t *)&h + first, data, sizeof(h) - first);
		}
		if (h.size < sizeof(h) || h.size > avail || (h.size & 7) != 0)
			goto invalid;
		if (grow((void **)&q->arena, &q->acap, q->alen + h.size, 1) == -1 ||
		    grow((void **)&q->in, &q->capin, q->nin + 1, sizeof(*q->in)) == -1)
			goto nomem;
		dst = q->arena + q->alen;
		if (size - off >= h.size)
			memcpy(dst, data + off, h.size);
		else {
			/* wraps the end: h.size <= avail <= size, so both parts are in DATA */
			first = size - off;
			memcpy(dst, data + off, first);
			memcpy(dst + first, data, h.size - first);
		}
		st->records++;
		/* No time, or one beyond any plausible one: keep its ring neighbour's. */
		if (perf_record_time(ctx, dst, h.size, &t) == -1 || (future && t > future))
			t = ctx->last_time;
		ctx->last_time = t;
		if (t > q->max_time)
			q->max_time = t;
		e = &q->in[q->nin++];
		e->time = t;
		e->seq = q->seq++;
		e->off = q->alen;
		e->len = h.size;
		e->ring = ring;
		q->alen += h.size;
	}
	return head;

nomem:
	/* Cannot queue: what could not be copied is lost, and counted. */
	q->nomem++;
invalid:
	st->invalid++;
	if (sink->lost != NULL)
		sink->lost(sink->ctx, 0, ctx->cpu, HV_LOSS_INVALID, 1);
	return head;
}

/* Sort the nearly sorted run A[0..N) (ring order, rare inversions). */
static void
run_sort(struct perf_oq_ent *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct perf_oq_ent x = a[i];
		size_t j = i;

		while (j > 0 && ent_before(&x, &a[j - 1])) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
}

/* Merge sorted A[0..NA) and B[0..NB) into OUT. */
static void
merge(const struct perf_oq_ent *a, size_t na, const struct perf_oq_ent *b, size_t nb,
    struct perf_oq_ent *out)
{
	size_t i = 0, j = 0, k = 0;

	while (i < na && j < nb)
		out[k++] = ent_before(&b[j], &a[i]) ? b[j++] : a[i++];
	memcpy(out + k, a + i, (na - i) * sizeof(*a));
	k += na - i;
	memcpy(out + k, b + j, (nb - j) * sizeof(*b));
}

/*
 * Make q->q the sorted union of q->q and this pass's runs.  Runs are merged
 * pairwise (n log runs), the kept-back queue counting as one more run.
 */
static int
order_merge(struct perf_order *q)
{
	size_t n = q->nq + q->nin, nrun, r;
	struct perf_oq_ent *src, *dst, *t;

	if (q->nin == 0) {
		q->nrun = 0;
		return 0;
	}
	for (r = 0; r < q->nrun; r++) {
		size_t end = r + 1 < q->nrun ? q->runs[r + 1] : q->nin;

		run_sort(q->in + q->runs[r], end - q->runs[r]);
	}
	/* src: [q (one run)] [in's runs]; runs[] becomes the starts in src. */
	if (grow((void **)&q->tmp, &q->captmp, n, sizeof(*q->tmp)) == -1 ||
	    grow((void **)&q->q, &q->capq, n, sizeof(*q->q)) == -1 ||
	    grow((void **)&q->runs, &q->caprun, q->nrun + 2, sizeof(*q->runs)) == -1)
		return -1;
	memcpy(q->q + q->nq, q->in, q->nin * sizeof(*q->in));
	nrun = q->nrun;
	for (r = 0; r < nrun; r++)
		q->runs[r] += q->nq;
	if (q->nq > 0) {
		memmove(q->runs + 1, q->runs, nrun * sizeof(*q->runs));
		q->runs[0] = 0;
		nrun++;
	}
	src = q->q;
	dst = q->tmp;
	while (nrun > 1) {
		size_t out = 0;

		for (r = 0; r < nrun; r += 2) {
			size_t s0 = q->runs[r];
			size_t e0 = r + 1 < nrun ? q->runs[r + 1] : n;
			size_t e1 = r + 2 < nrun ? q->runs[r + 2] : n;

			if (r + 1 < nrun)
				merge(src + s0, e0 - s0, src + e0, e1 - e0, dst + s0);
			else
				memcpy(dst + s0, src + s0, (e0 - s0) * sizeof(*src));
			q->runs[out++] = s0;
		}
		nrun = out;
		t = src, src = dst, dst = t;
	}
	if (src != q->q) {
		/* The result is in tmp: swap the buffers. */
		size_t c = q->capq;

		q->tmp = q->q;
		q->q = src;
		q->capq = q->captmp;
		q->captmp = c;
	}
	q->nq = n;
	q->nin = 0;
	q->nrun = 0;
	return 0;
}

void
perf_order_deliver(struct perf_order *q, struct perf_ring_ctx *const *rings, uint64_t horizon,
    const struct hv_sink *sink, struct hv_stats *st)
{
	size_t i, keep, alen = 0;

	if (order_merge(q) == -1) {
		/* No memory to sort: deliver in arrival order rather than lose records. */
		q->nomem++;
		for (i = 0; i < q->nin; i++)
			perf_ring_record(rings[q->in[i].ring], q->arena + q->in[i].off, q->in[i].len,
			    sink, st);
		q->nin = 0;
		q->nrun = 0;
		horizon = UINT64_MAX;
	}
	for (i = 0; i < q->nq && q->q[i].time <= horizon; i++)
		perf_ring_record(rings[q->q[i].ring], q->arena + q->q[i].off, q->q[i].len, sink, st);
	/* Keep the rest, their bytes moved to the front of the arena. */
	keep = q->nq - i;
	if (keep > 0 && i > 0)
		memmove(q->q, q->q + i, keep * sizeof(*q->q));
	q->nq = keep;
	if (keep > 0 && grow((void **)&q->arena2, &q->acap2, q->alen, 1) == 0) {
		for (i = 0; i < keep; i++) {
			memcpy(q->arena2 + alen, q->arena + q->q[i].off, q->q[i].len);
			q->q[i].off = alen;
			alen += q->q[i].len;
		}
		{
			uint8_t *t = q->arena;
			size_t c = q->acap;

			q->arena = q->arena2;
			q->acap = q->acap2;
			q->arena2 = t;
			q->acap2 = c;
		}
		q->alen = alen;
	} else if (keep > 0) {
		/* No memory to compact: deliver the rest now, out of order. */
		q->nomem++;
		for (i = 0; i < keep; i++)
			perf_ring_record(rings[q->q[i].ring], q->arena + q->q[i].off, q->q[i].len,
			    sink, st);
		q->nq = 0;
		q->alen = 0;
	} else
		q->alen = 0;
}

size_t
perf_order_pending(const struct perf_order *q)
{
	return q->nq + q->nin;
}

void
perf_order_free(struct perf_order *q)
{
	free(q->arena);
	free(q->arena2);
	free(q->q);
	free(q->in);
	free(q->tmp);
	free(q->runs);
	memset(q, 0, sizeof(*q));
}
