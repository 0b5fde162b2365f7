/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-xoring.c: libFuzzer target for the xenoprof ring consumer
 * (hv/xenoprof/ring.c: xo_ring_attach, xo_ring_drain), i.e. whatever Xen, a
 * guest or a bug could leave in a struct xenoprof_buf: head/tail out of
 * range, bad mode or counter index, truncated escape sequences, lost
 * counters going backwards, and a ring rewritten under the reader between
 * drains (the consumer carries a call-chain group across drains).
 *
 * Input layout:
 *   byte 0    slots in the ring (1..64; 0 = header claims a wrong size)
 *   byte 1    nevents (0..HV_MAX_EVENTS) of the session
 *   byte 2    max_chain
 *   byte 3    want_kernel bits for counters 0-7 (8-15: same)
 *   byte 4    want_user bits
 *   then rounds, each:
 *     u32 head, u32 tail (raw: may be out of range), u64 lost_samples,
 *     u8 count of entries to write, then count x { u8 slot, u8 mode,
 *     u8 event, u8 kind } where kind 0 = escape (eip ~0), 1 = eip from
 *     the slot number, 2 = eip 0; the entry is written at slot % slots.
 * The buffer is an exact-size allocation so ASan sees any read outside it.
 * Invariants: delivered samples are sane (mode, counter, chain length);
 * a drain never returns more than the ring holds; the published tail is
 * always in range.
 * Seeds: tests/fuzz/corpus/xoring/.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv.h"
#include "hv/xenoprof/xoP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t fuzz_sum;
static const struct xo_ring_cfg *cur_cfg;

static void
fz_sample(void *ctx, const struct hv_sample *s)
{
	if (s->mode > HV_MODE_XEN || s->counter >= cur_cfg->nevents ||
	    s->nchain > HV_MAX_CHAIN || s->nchain > cur_cfg->max_chain ||
	    (s->nchain > 0 && s->chain == NULL))
		__builtin_trap();
	for (uint16_t i = 0; i < s->nchain; i++)
		fuzz_sum += s->chain[i];
	fuzz_sum += s->pc + s->cpu + s->domid;
}

static void
fz_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n)
{
	fuzz_sum += kind + n;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hv_sink sink = { .sample = fz_sample, .lost = fz_lost };
	static struct xo_ring ring;
	struct xo_ring_cfg cfg;
	struct hv_stats st;
	uint32_t slots, bufsize, fill;
	uint8_t *buf;
	size_t off = 5;

	if (size < 5)
		return 0;
	slots = data[0] % 65;
	memset(&cfg, 0, sizeof(cfg));
	cfg.nevents = data[1] % (HV_MAX_EVENTS + 1);
	cfg.max_chain = data[2];
	for (int i = 0; i < HV_MAX_EVENTS; i++) {
		cfg.want_kernel[i] = (data[3] >> (i % 8)) & 1;
		cfg.want_user[i] = (data[4] >> (i % 8)) & 1;
	}
	cur_cfg = &cfg;
	bufsize = XO_HEADER_SIZE + (slots ? slots : 4) * XO_ENTRY_SIZE;
	if ((buf = calloc(1, bufsize)) == NULL)
		return 0;
	/* The header's size field; 0 slots: a header that disagrees. */
	{
		uint32_t hs = slots ? slots : 5;

		memcpy(buf + 8, &hs, 4);
	}
	if (xo_ring_attach(&ring, buf, bufsize, bufsize, 7) < 0) {
		if (slots != 0)
			__builtin_trap();
		free(buf);
		return 0;
	}
	if (slots == 0)
		__builtin_trap();
	memset(&st, 0, sizeof(st));
	while (off + 17 <= size) {
		uint8_t count;
		uint32_t tail;
		long n;

		memcpy(buf + 0, data + off, 4);		/* head */
		memcpy(buf + 4, data + off + 4, 4);	/* tail */
		memcpy(buf + 40, data + off + 8, 8);	/* lost_samples */
		count = data[off + 16];
		off += 17;
		for (unsigned i = 0; i < count && off + 4 <= size; i++, off += 4) {
			uint8_t *e = buf + XO_HEADER_SIZE + (size_t)(data[off] % slots) * XO_ENTRY_SIZE;
			uint64_t eip = data[off + 3] % 3 == 0 ? ~0ull :
			    data[off + 3] % 3 == 1 ? 0xffff800000000000ull + data[off] : 0;

			memcpy(e, &eip, 8);
			e[8] = data[off + 1];
			e[9] = data[off + 2];
		}
		fill = 0;
		n = xo_ring_drain(&ring, &cfg, &sink, &st, &fill);
		if (n < 0 || n >= (long)slots || fill >= slots)
			__builtin_trap();
		tail = rd32(buf + 4);
		if (tail >= slots && rd32(buf + 0) < slots)
			__builtin_trap();
	}
	free(buf);
	return 0;
}
