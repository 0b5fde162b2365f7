/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * perfP.h: private to the perf backend (hv/perf/) and its tests.
 *
 *   events.c  the event table: names, OProfile aliases, raw rNNNN, minimums
 *   ring.c    the record parser, independent of any fd so tests and
 *             fuzzers can feed it synthetic streams
 *   order.c   the queue that delivers the records of every ring in time
 *             order (perf's ordered events)
 *   perf.c    perf_event_open, the per-cpu rings, the hv ops
 */
#ifndef XP_HV_PERFP_H
#define XP_HV_PERFP_H

#include <stdint.h>

#include "hv/hvP.h"

/* ===================================================================== */
/* events.c                                                               */

struct perf_event_def {
	const char     *name;		/* as the user writes it */
	const char     *alias_of;	/* OProfile name: the perf event it maps to, else NULL */
	uint32_t	type;		/* PERF_TYPE_* */
	uint64_t	config;
	uint64_t	min_count;
	uint64_t	default_count;
	bool		needs_pmu;
	const char     *desc;
};

/*
 * Resolve EV (name, unit mask, count) to a perf attr type and config.  DEF
 * receives the table entry (for rNNNN a static "raw" entry).  -1 with ERR
 * naming the nearest known name, or the minimum count, or the unit mask.
 */
int perf_event_resolve(const struct hv_event *ev, const struct perf_event_def **def,
    uint32_t *type, uint64_t *config, char *err, size_t errlen);
/* The table as hv_event_info, for hv_events(). */
const struct hv_event_info *perf_event_infos(size_t *n);

/* ===================================================================== */
/* ring.c                                                                 */

#define PERF_RECORD_MAX	65536	/* header.size is 16 bits: no record is longer */

/* Side-band records' trailing sample_id: these sample_type bits, 8 bytes each. */
#define PERF_SAMPLE_ID_BITS (PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ID | \
	PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU | PERF_SAMPLE_IDENTIFIER)

/*
 * What the parser needs to know about one ring.  Filled by the ring's owner
 * before parsing and read-only to the parser, except the scratch buffers.
 */
struct perf_ring_ctx {
	uint64_t	sample_type;	/* PERF_SAMPLE_* of every event writing this ring */
	bool		sample_id_all;	/* side-band records carry the sample_id trailer */
	uint32_t	cpu;		/* the ring's cpu, for losses and a missing SAMPLE_CPU */
	uint32_t	nids;		/* counters writing this ring, 0 = one, counter 0 */
	uint64_t	ids[HV_MAX_EVENTS];	/* ids[i]: kernel id (IOC_ID) of counter i */
	uint16_t	max_chain;	/* longest chain delivered, <= HV_MAX_CHAIN */
	uint64_t	last_time;	/* order.c: the time of the ring's last record */
	/* Scratch, owned by the ctx's owner: */
	uint8_t	       *bounce;		/* PERF_RECORD_MAX bytes, for records that wrap */
	uint64_t	chain[HV_MAX_CHAIN];
};

/*
 * Deliver the records in ring DATA[0..SIZE) between positions TAIL and HEAD
 * (free-running byte counters as in perf_event_mmap_page; positions are
 * taken modulo SIZE, so a record may wrap the end) to SINK, counting into ST.
 * Never reads outside DATA.  A malformed header or a record whose fields do
 * not fit its size is reported once as HV_LOSS_INVALID and ends the parse
 * (the rest of the range is skipped).  Returns the new tail: always HEAD.
 */
uint64_t perf_ring_read(struct perf_ring_ctx *ctx, const uint8_t *data, uint64_t size,
    uint64_t tail, uint64_t head, const struct hv_sink *sink, struct hv_stats *st);

/* A flat record stream BUF[0..LEN), e.g. from a file or a fuzzer. */
void perf_ring_parse(struct perf_ring_ctx *ctx, const uint8_t *buf, size_t len,
    const struct hv_sink *sink, struct hv_stats *st);

/*
 * Deliver the one record R[0..N) (a complete record, N its header's size) of
 * ring CTX to SINK.  0, or -1 when malformed (reported as HV_LOSS_INVALID).
 */
int perf_ring_record(struct perf_ring_ctx *ctx, const uint8_t *r, size_t n,
    const struct hv_sink *sink, struct hv_stats *st);

/* ===================================================================== */
/* order.c                                                                */

/* A queued record: its time, arrival number, bytes in the arena, ring. */
struct perf_oq_ent {
	uint64_t	time;
	uint64_t	seq;
	uint64_t	off;
	uint32_t	len;
	uint32_t	ring;
};

/* The queue; zero-initialised is empty.  Owned by the source, one thread. */
struct perf_order {
	uint8_t	       *arena, *arena2;	/* record bytes; arena2: compaction scratch */
	size_t		alen, acap, acap2;
	struct perf_oq_ent *q;		/* kept back by earlier passes, sorted */
	size_t		nq, capq;
	struct perf_oq_ent *in;		/* this pass's records, one run per ring */
	size_t		nin, capin;
	size_t	       *runs;		/* starts of the runs in in[] */
	size_t		nrun, caprun;
	struct perf_oq_ent *tmp;	/* merge scratch */
	size_t		captmp;
	uint64_t	seq;		/* records queued so far */
	uint64_t	max_time;	/* the latest record time queued so far */
	uint64_t	nomem;		/* times memory ran out (records then unordered or lost) */
};

/* The time of record R[0..N) of ring CTX into *T: 0, or -1 if it has none. */
int perf_record_time(const struct perf_ring_ctx *ctx, const uint8_t *r, size_t n, uint64_t *t);

/*
 * Copy the records of ring DATA[0..SIZE) between TAIL and HEAD (as in
 * perf_ring_read) into Q as ring number RING, so that the ring's space can
 * be given back at once.  A record without a time, or with one after
 * FUTURE (0: no bound), takes the time of the ring's previous record.  A
 * malformed header is reported once as HV_LOSS_INVALID and ends the copy.
 * Returns the new tail: always HEAD.
 */
uint64_t perf_order_collect(struct perf_order *q, struct perf_ring_ctx *ctx, uint32_t ring,
    const uint8_t *data, uint64_t size, uint64_t tail, uint64_t head, uint64_t future,
    const struct hv_sink *sink, struct hv_stats *st);
/*
 * Deliver to SINK, in time order (ties in arrival order), every queued
 * record with a time <= HORIZON (UINT64_MAX: all); RINGS[i] is the context
 * of ring number i.  Later records are kept for a later call.
 */
void perf_order_deliver(struct perf_order *q, struct perf_ring_ctx *const *rings, uint64_t horizon,
    const struct hv_sink *sink, struct hv_stats *st);
/* Records queued and not yet delivered. */
size_t perf_order_pending(const struct perf_order *q);
void perf_order_free(struct perf_order *q);

/* ===================================================================== */
/* sideband.c: process tracking for sources without pids (xenoprof)       */

struct perf_sideband;

/* A disabled dummy event per online cpu with its ring; NULL with ERR. */
struct perf_sideband *perf_sideband_open(char *err, size_t errlen);
int perf_sideband_enable(struct perf_sideband *sb, bool on, char *err, size_t errlen);
/* Deliver the pending mmap/comm/fork/exit records to SINK; records read. */
uint64_t perf_sideband_drain(struct perf_sideband *sb, const struct hv_sink *sink);
/* Side-band records the kernel dropped (ring full) so far. */
uint64_t perf_sideband_lost(const struct perf_sideband *sb);
void perf_sideband_close(struct perf_sideband *sb);

#endif /* XP_HV_PERFP_H */
