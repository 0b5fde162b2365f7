/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * perfP.h: private to the perf backend (hv/perf/) and its tests.
 *
 *   events.c  the event table: names, OProfile aliases, raw rNNNN, minimums
 *   ring.c    the record parser, independent of any fd so tests and
 *             fuzzers can feed it synthetic streams
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
