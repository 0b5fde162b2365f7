/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring.c: the perf record parser.  Knows the record layouts, nothing about
 * fds or mmap: perf.c hands it a ring and a tail..head range, tests and
 * fuzzers hand it synthetic streams.
 *
 * Invariants: every read is bounds-checked against the record, and every
 * record against the range; no allocation and no syscall per record.  The
 * only copy is of a record that wraps the ring end (into ctx->bounce).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <linux/perf_event.h>
#include <string.h>

#include "hv/perf/perfP.h"

static inline uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
perf_invalid(const struct perf_ring_ctx *ctx, const struct hv_sink *sink,
    struct hv_stats *st)
{
	st->invalid++;
	if (sink->lost != NULL)
		sink->lost(sink->ctx, 0, ctx->cpu, HV_LOSS_INVALID, 1);
}

/* Counter index of kernel event id ID, or -1 when no counter of this ring has it. */
static int
perf_counter_of(const struct perf_ring_ctx *ctx, uint64_t id)
{
	uint32_t i;

	for (i = 0; i < ctx->nids && i < HV_MAX_EVENTS; i++)
		if (ctx->ids[i] == id)
			return (int)i;
	return -1;
}

/*
 * PERF_RECORD_SAMPLE, R[0..N).  Field order as in linux/perf_event.h; the
 * fields after CALLCHAIN are not read.  PERF_SAMPLE_READ (variable layout)
 * is not supported: with it set, the chain is not read.
 */
static int
perf_sample(struct perf_ring_ctx *ctx, const uint8_t *r, size_t n, uint16_t misc,
    const struct hv_sink *sink, struct hv_stats *st)
{
	const uint64_t type = ctx->sample_type;
	struct hv_sample s;
	uint64_t id = 0, nr, i, ip;
	size_t pos = sizeof(struct perf_event_header);
	bool have_id = false, first = true;
	int c;

#define NEED(k) do { if ((k) > n - pos) return -1; } while (0)
	memset(&s, 0, sizeof(s));
	s.cpu = ctx->cpu;
	s.pid = s.tid = HV_NO_PID;
	if (type & PERF_SAMPLE_IDENTIFIER) {
		NEED(8); id = rd64(r + pos); pos += 8; have_id = true;
	}
	if (type & PERF_SAMPLE_IP) {
		NEED(8); s.pc = rd64(r + pos); pos += 8;
	}
	if (type & PERF_SAMPLE_TID) {
		NEED(8); s.pid = rd32(r + pos); s.tid = rd32(r + pos + 4); pos += 8;
	}
	if (type & PERF_SAMPLE_TIME) {
		NEED(8); pos += 8;
	}
	if (type & PERF_SAMPLE_ADDR) {
		NEED(8); pos += 8;
	}
	if (type & PERF_SAMPLE_ID) {
		NEED(8);
		if (!have_id)
			id = rd64(r + pos);
		have_id = true;
		pos += 8;
	}
	if (type & PERF_SAMPLE_STREAM_ID) {
		NEED(8); pos += 8;
	}
	if (type & PERF_SAMPLE_CPU) {
		NEED(8); s.cpu = rd32(r + pos); pos += 8;
	}
	if (type & PERF_SAMPLE_PERIOD) {
		NEED(8); pos += 8;
	}
	if ((type & PERF_SAMPLE_CALLCHAIN) && !(type & PERF_SAMPLE_READ)) {
		NEED(8); nr = rd64(r + pos); pos += 8;
		if (nr > (n - pos) / 8)
			return -1;
		/*
		 * The kernel's chain: context markers (PERF_CONTEXT_*, all >=
		 * PERF_CONTEXT_MAX as u64) and addresses, innermost first,
		 * starting with the sample's own pc.  Keep the callers only.
		 */
		for (i = 0; i < nr; i++, pos += 8) {
			ip = rd64(r + pos);
			if (ip >= (uint64_t)PERF_CONTEXT_MAX)
				continue;
			if (first && ip == s.pc) {
				first = false;
				continue;
			}
			first = false;
			if (s.nchain < ctx->max_chain && s.nchain < HV_MAX_CHAIN)
				ctx->chain[s.nchain++] = ip;
		}
		s.chain = ctx->chain;
	}
#undef NEED

	switch (misc & PERF_RECORD_MISC_CPUMODE_MASK) {
	case PERF_RECORD_MISC_KERNEL:		s.mode = HV_MODE_KERNEL; break;
	case PERF_RECORD_MISC_USER:		s.mode = HV_MODE_USER; break;
	case PERF_RECORD_MISC_HYPERVISOR:	s.mode = HV_MODE_XEN; break;
	case PERF_RECORD_MISC_GUEST_KERNEL:	s.mode = HV_MODE_KERNEL; s.guest = true; break;
	case PERF_RECORD_MISC_GUEST_USER:	s.mode = HV_MODE_USER; s.guest = true; break;
	default:	/* unknown: the upper half is the kernel's on every 64-bit arch we run on */
		s.mode = (s.pc >> 63) ? HV_MODE_KERNEL : HV_MODE_USER;
		break;
	}
	if (ctx->nids > 1) {
		if (!have_id || (c = perf_counter_of(ctx, id)) < 0)
			return -1;
		s.counter = (uint8_t)c;
	}
	st->samples++;
	if (sink->sample != NULL)
		sink->sample(sink->ctx, &s);
	return 0;
}

/* A NUL-terminated string at R[OFF..END), or NULL when it is not terminated there. */
static const char *
perf_str(const uint8_t *r, size_t off, size_t end)
{
	if (off >= end || memchr(r + off, '\0', end - off) == NULL)
		return NULL;
	return (const char *)(r + off);
}

/* One record R[0..N), N >= header size and a multiple of 8.  0, or -1 if malformed. */
static int
perf_record(struct perf_ring_ctx *ctx, const uint8_t *r, size_t n, size_t trailer,
    const struct hv_sink *sink, struct hv_stats *st)
{
	struct perf_event_header h;
	const char *str;
	size_t end;
	uint64_t lost;
	uint32_t prot;
	uint8_t bidlen;

	memcpy(&h, r, sizeof(h));
	end = n >= trailer ? n - trailer : 0;	/* where the sample_id trailer begins */
	switch (h.type) {
	case PERF_RECORD_SAMPLE:
		return perf_sample(ctx, r, n, h.misc, sink, st);

	case PERF_RECORD_MMAP:
		/* hdr, pid, tid, addr, len, pgoff, filename[] */
		if ((str = perf_str(r, 40, end)) == NULL)
			return -1;
		if (sink->mmap_file != NULL) {
			struct hv_mmap m = { .pid = rd32(r + 8), .tid = rd32(r + 12), .start = rd64(r + 16),
			    .len = rd64(r + 24), .pgoff = rd64(r + 32), .path = str,
			    .exec = !(h.misc & PERF_RECORD_MISC_MMAP_DATA) };

			sink->mmap_file(sink->ctx, &m);
		} else if (sink->mmap != NULL)
			sink->mmap(sink->ctx, rd32(r + 8), rd32(r + 12), rd64(r + 16),
			    rd64(r + 24), rd64(r + 32), str, NULL, 0,
			    !(h.misc & PERF_RECORD_MISC_MMAP_DATA));
		return 0;

	case PERF_RECORD_MMAP2:
		/* hdr, pid, tid, addr, len, pgoff, {maj,min,ino,ino_gen | bid}, prot, flags, filename[] */
		if ((str = perf_str(r, 72, end)) == NULL)
			return -1;
		prot = rd32(r + 64);
		bidlen = 0;
		if (h.misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
			bidlen = r[40];
			if (bidlen > 20)
				return -1;
		}
		if (sink->mmap_file != NULL) {
			struct hv_mmap m = { .pid = rd32(r + 8), .tid = rd32(r + 12), .start = rd64(r + 16),
			    .len = rd64(r + 24), .pgoff = rd64(r + 32), .path = str,
			    .build_id = bidlen ? r + 44 : NULL, .build_id_len = bidlen,
			    .exec = (prot & PROT_EXEC) != 0 };

			if (!bidlen) {
				m.dev = makedev(rd32(r + 40), rd32(r + 44));
				m.ino = rd64(r + 48);
			}
			sink->mmap_file(sink->ctx, &m);
		} else if (sink->mmap != NULL)
			sink->mmap(sink->ctx, rd32(r + 8), rd32(r + 12), rd64(r + 16),
			    rd64(r + 24), rd64(r + 32), str, bidlen ? r + 44 : NULL,
			    bidlen, (prot & PROT_EXEC) != 0);
		return 0;

	case PERF_RECORD_COMM:
		/* hdr, pid, tid, comm[] */
		if ((str = perf_str(r, 16, end)) == NULL)
			return -1;
		if (sink->comm != NULL)
			sink->comm(sink->ctx, rd32(r + 8), rd32(r + 12), str,
			    (h.misc & PERF_RECORD_MISC_COMM_EXEC) != 0);
		return 0;

	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		/* hdr, pid, ppid, tid, ptid, time */
		if (n < 32)
			return -1;
		if (h.type == PERF_RECORD_FORK) {
			if (sink->fork != NULL)
				sink->fork(sink->ctx, rd32(r + 8), rd32(r + 12),
				    rd32(r + 16), rd32(r + 20));
		} else if (sink->exit != NULL)
			sink->exit(sink->ctx, rd32(r + 8), rd32(r + 16));
		return 0;

	case PERF_RECORD_LOST:
		/* hdr, id, lost */
		if (n < 24)
			return -1;
		lost = rd64(r + 16);
		st->lost += lost;
		if (sink->lost != NULL)
			sink->lost(sink->ctx, 0, ctx->cpu, HV_LOSS_RING, lost);
		return 0;

	case PERF_RECORD_THROTTLE:
		/* hdr, time, id, stream_id: no count, so one report per record */
		if (n < 32)
			return -1;
		st->throttles++;
		if (sink->lost != NULL)
			sink->lost(sink->ctx, 0, ctx->cpu, HV_LOSS_THROTTLE, 1);
		return 0;

	default:	/* UNTHROTTLE and record types we did not ask for */
		return 0;
	}
}

uint64_t
perf_ring_read(struct perf_ring_ctx *ctx, const uint8_t *data, uint64_t size,
    uint64_t tail, uint64_t head, const struct hv_sink *sink, struct hv_stats *st)
{
	const bool pow2 = size != 0 && (size & (size - 1)) == 0;
	struct perf_event_header h;
	uint64_t pos, avail, off, first;
	size_t trailer = 0;
	const uint8_t *rec;

	if (head == tail)
		return head;
	if (size == 0 || head - tail > size)	/* also catches head behind tail */
		goto invalid;
	if (ctx->sample_id_all)
		trailer = 8 * (size_t)__builtin_popcountll(ctx->sample_type &
		    PERF_SAMPLE_ID_BITS);

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
		if (size - off >= h.size)
			rec = data + off;
		else {
			/* wraps the end: h.size <= avail <= size, so both parts are in DATA */
			if (ctx->bounce == NULL)
				goto invalid;
			first = size - off;
			memcpy(ctx->bounce, data + off, first);
			memcpy(ctx->bounce + first, data, h.size - first);
			rec = ctx->bounce;
		}
		st->records++;
		if (perf_record(ctx, rec, h.size, trailer, sink, st) < 0)
			goto invalid;
	}
	return head;

invalid:
	perf_invalid(ctx, sink, st);
	return head;
}

int
perf_ring_record(struct perf_ring_ctx *ctx, const uint8_t *r, size_t n,
    const struct hv_sink *sink, struct hv_stats *st)
{
	size_t trailer = 0;

	if (ctx->sample_id_all)
		trailer = 8 * (size_t)__builtin_popcountll(ctx->sample_type & PERF_SAMPLE_ID_BITS);
	if (n < sizeof(struct perf_event_header) || perf_record(ctx, r, n, trailer, sink, st) < 0) {
		perf_invalid(ctx, sink, st);
		return -1;
	}
	return 0;
}

void
perf_ring_parse(struct perf_ring_ctx *ctx, const uint8_t *buf, size_t len,
    const struct hv_sink *sink, struct hv_stats *st)
{
	perf_ring_read(ctx, buf, len, 0, len, sink, st);
}
