/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-perfring.c: libFuzzer target for the perf ring parser
 * (perf_ring_read), i.e. whatever the kernel, or a corrupted ring, could
 * put between data_tail and data_head; and for the time-ordered path
 * (order.c), the same range read as two rings (split in the middle of the
 * range) and delivered in two steps, a horizon at the middle time first.
 *
 * Input layout (little endian):
 *   byte 0    sample_type bits: 0 IDENTIFIER, 1 IP, 2 TID, 3 TIME, 4 ADDR,
 *             5 ID, 6 STREAM_ID, 7 CPU
 *   byte 1    bit 0 PERIOD, bit 1 CALLCHAIN, bit 2 READ, bit 3 sample_id_all,
 *             bits 4-7 number of counters (ids are 1..n)
 *   byte 2    max_chain
 *   byte 3    unused
 *   bytes 4-5 tail (a position; taken modulo the ring size by the parser)
 *   bytes 6-7 head - tail; 0xffff = the whole ring
 *   rest      the ring's bytes (its size need not be a power of 2)
 * The ring is copied into an exact-size allocation so ASan sees any read
 * outside it; the sink touches every byte it is handed.
 * Seeds: tests/fuzz/corpus/perfring/.
 */
#include "config.h"

#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv.h"
#include "hv/perf/perfP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t fuzz_sum;

static void
fz_sample(void *ctx, const struct hv_sample *s)
{
	uint16_t i;

	if (s->nchain > HV_MAX_CHAIN || (s->nchain > 0 && s->chain == NULL))
		__builtin_trap();
	for (i = 0; i < s->nchain; i++)
		fuzz_sum += s->chain[i];
	fuzz_sum += s->pc + s->pid + s->tid + s->cpu + s->mode + s->counter;
}

static void
fz_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	fuzz_sum += kind + n;
}

static void
fz_mmap(void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *build_id, size_t build_id_len,
    bool exec)
{
	size_t i;

	if (build_id_len > 20)
		__builtin_trap();
	fuzz_sum += strlen(path) + start + len + pgoff;
	for (i = 0; i < build_id_len; i++)
		fuzz_sum += build_id[i];
}

static void
fz_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	fuzz_sum += strlen(comm);
}

static void
fz_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid)
{
	fuzz_sum += pid;
}

static void
fz_exit(void *ctx, uint32_t pid, uint32_t tid)
{
	fuzz_sum += pid;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bits0[8] = {
		PERF_SAMPLE_IDENTIFIER, PERF_SAMPLE_IP, PERF_SAMPLE_TID, PERF_SAMPLE_TIME,
		PERF_SAMPLE_ADDR, PERF_SAMPLE_ID, PERF_SAMPLE_STREAM_ID, PERF_SAMPLE_CPU,
	};
	static const struct hv_sink sink = {
		.sample = fz_sample, .lost = fz_lost, .mmap = fz_mmap,
		.comm = fz_comm, .fork = fz_fork, .exit = fz_exit,
	};
	static struct perf_ring_ctx ctx;
	static uint8_t bounce[PERF_RECORD_MAX];
	struct hv_stats st;
	uint64_t tail, len, end;
	uint8_t *ring;
	size_t rsize;
	unsigned i;

	if (size < 8)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	for (i = 0; i < 8; i++)
		if (data[0] & (1u << i))
			ctx.sample_type |= bits0[i];
	if (data[1] & 1)
		ctx.sample_type |= PERF_SAMPLE_PERIOD;
	if (data[1] & 2)
		ctx.sample_type |= PERF_SAMPLE_CALLCHAIN;
	if (data[1] & 4)
		ctx.sample_type |= PERF_SAMPLE_READ;
	ctx.sample_id_all = (data[1] & 8) != 0;
	ctx.nids = data[1] >> 4;
	for (i = 0; i < HV_MAX_EVENTS; i++)
		ctx.ids[i] = i + 1;
	ctx.max_chain = data[2];
	ctx.bounce = bounce;
	ctx.cpu = 1;
	tail = (uint64_t)data[4] | (uint64_t)data[5] << 8;
	len = (uint64_t)data[6] | (uint64_t)data[7] << 8;

	rsize = size - 8;
	if (len == 0xffff)
		len = rsize;
	if ((ring = malloc(rsize ? rsize : 1)) == NULL)
		return 0;
	memcpy(ring, data + 8, rsize);
	memset(&st, 0, sizeof(st));
	end = perf_ring_read(&ctx, ring, rsize, tail, tail + len, &sink, &st);
	if (end != tail + len || st.invalid > 1)
		__builtin_trap();
#ifdef FUZZ_PERFRING_VERBOSE	/* -DFUZZ_PERFRING_VERBOSE: to check what seeds cover */
	fprintf(stderr, "records %llu samples %llu lost %llu throttles %llu invalid %llu\n",
	    (unsigned long long)st.records, (unsigned long long)st.samples,
	    (unsigned long long)st.lost, (unsigned long long)st.throttles,
	    (unsigned long long)st.invalid);
#endif
	/* The ordered path: both halves as rings of their own, then delivered. */
	{
		static struct perf_ring_ctx c2;
		struct perf_ring_ctx *rings[2] = { &ctx, &c2 };
		struct perf_order q;
		struct hv_stats st2;
		uint64_t half = len / 2;

		memset(&q, 0, sizeof(q));
		memset(&st2, 0, sizeof(st2));
		c2 = ctx;
		ctx.last_time = c2.last_time = 0;
		if (perf_order_collect(&q, &ctx, 0, ring, rsize, tail, tail + half, 1ull << 62,
		    &sink, &st2) != tail + half ||
		    perf_order_collect(&q, &c2, 1, ring, rsize, tail + half, tail + len, 0,
		    &sink, &st2) != tail + len || perf_order_pending(&q) != st2.records)
			__builtin_trap();
		perf_order_deliver(&q, rings, q.max_time / 2, &sink, &st2);
		perf_order_deliver(&q, rings, UINT64_MAX, &sink, &st2);
		/* Every record delivered once: a sample, or at most one invalid each. */
		if (perf_order_pending(&q) != 0 || st2.samples > st2.records ||
		    st2.invalid > st2.records + 2)
			__builtin_trap();
		perf_order_free(&q);
	}
	free(ring);
	return 0;
}
