/*
 * attrib: turns a source's sample (domain, mode, pc, pid) into an aggregation
 * key (image, offset, separation keys) and counts it in the store.
 *
 *   mode xen     -> the --xen image, by address
 *   mode kernel  -> the --vmlinux image, a module [name], or
 *                   [kernel.kallsyms], by address
 *   mode user    -> the mapped file and the file offset of pc, from procmap;
 *                   special mappings go to [vdso], [anon]...; a pc in no
 *                   mapping goes to [unknown]
 */
#ifndef XP_ATTRIB_H
#define XP_ATTRIB_H

#include <stdint.h>

#include "daemon/kernel.h"
#include "daemon/procmap.h"
#include "daemon/store.h"
#include "hv/hv.h"

#define ATTRIB_MAX_PENDING	65536

struct attrib_pending {
	struct hv_sample s;	/* without its chain */
	uint64_t	pass;
};

struct attrib {
	struct store   *store;
	struct procmap *pm;
	const struct kernel *kern;
	uint32_t	separate;	/* XPS_SEP_* */
	const char     *vmlinux;	/* "" = [kernel.kallsyms] */
	const char     *xen;		/* "" = none */
	const uint8_t  *xen_build_id;
	uint8_t		xen_build_id_len;
	const uint8_t  *vmlinux_build_id;
	uint8_t		vmlinux_build_id_len;
	/* Image indexes in the domain-0 profile, valid for generation gen. */
	uint32_t	gen;
	struct xps_profile *prof0;
	int32_t		img_kernel, img_xen, img_unknown;
	int32_t	       *img_mod;	/* per kern->mods entry, -1 = not yet */
	uint64_t	unattributed;	/* samples that could not be counted at all */
	/* User samples waiting for the side band of another ring. */
	uint64_t	pass;
	uint32_t	npending;
	struct attrib_pending *pending;	/* ATTRIB_MAX_PENDING entries */
};

void attrib_init(struct attrib *a, struct store *st, struct procmap *pm, const struct kernel *k);
void attrib_fini(struct attrib *a);
/* The hv sink callback for samples; CTX is a struct attrib. */
void attrib_sample(void *ctx, const struct hv_sample *s);
/* A drain pass over every ring is done: retry the deferred samples. */
void attrib_end_pass(struct attrib *a);
/* Count every deferred sample now (before a flush that must be complete). */
void attrib_flush_pending(struct attrib *a);
/* The hv sink callback for losses. */
void attrib_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n);

#endif /* XP_ATTRIB_H */
