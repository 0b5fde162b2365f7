/*
 * attrib: turns a source's sample (domain, mode, pc, pid) into an aggregation
 * key (image, offset, separation keys) and counts it in the store.
 *
 * The self domain (dom0, or the active domU this daemon runs in) has
 * processes and a kernel we can see:
 *   mode xen     -> the --xen image (xen-syms), by address; [xen] without one
 *   mode kernel  -> the --vmlinux image, a module [name], or
 *                   [kernel.kallsyms], by address
 *   mode user    -> the mapped file and the file offset of pc, from procmap
 *                   (by pid when the source gives one, else by address over
 *                   every process: [ambiguous] when that is not unique);
 *                   special mappings go to [vdso], [anon]...; a pc in no
 *                   mapping goes to [unknown]
 * A passive domain: xen as above, kernel -> its --passive-images entry (or
 * [kernel]), user -> [user] (its user space is opaque to dom0).
 */
#ifndef XP_ATTRIB_H
#define XP_ATTRIB_H

#include <stdint.h>

#include "daemon/kernel.h"
#include "daemon/procmap.h"
#include "daemon/store.h"
#include "hv/hv.h"

#define ATTRIB_MAX_PENDING	65536
#define ATTRIB_MAX_DOMAINS	XPS_MAX_DOMAINS

struct attrib_pending {
	struct hv_sample s;	/* without its chain */
	uint64_t	pass;
};

/* What attrib knows of one domain; image indexes valid for generation gen. */
struct attrib_domain {
	uint32_t	domid;
	char		name[XPS_NAME_MAX];
	int		self;		/* processes and kernel of this machine */
	const char     *kernel;		/* kernel image path, "" = kallsyms (self) / [kernel] */
	uint8_t		kbid_len;
	uint8_t		kbid[64];
	uint32_t	gen;
	struct xps_profile *prof;
	int32_t		img_kernel, img_xen, img_unknown, img_user, img_ambiguous;
};

struct attrib {
	struct store   *store;
	struct procmap *pm;
	const struct kernel *kern;
	uint32_t	separate;	/* XPS_SEP_* */
	const char     *xen;		/* "" = none */
	const uint8_t  *xen_build_id;
	uint8_t		xen_build_id_len;
	uint32_t	ndomains;
	struct attrib_domain domains[ATTRIB_MAX_DOMAINS];
	struct attrib_domain *last;	/* lookup cache */
	int32_t	       *img_mod;	/* self domain: per kern->mods entry, -1 = not yet */
	uint32_t	img_mod_gen;
	uint64_t	unattributed;	/* samples that could not be counted at all */
	uint64_t	ambiguous;	/* user samples in several processes' mappings */
	/* User samples waiting for the side band of another ring. */
	uint64_t	pass;
	uint32_t	npending;
	struct attrib_pending *pending;	/* ATTRIB_MAX_PENDING entries */
};

void attrib_init(struct attrib *a, struct store *st, struct procmap *pm, const struct kernel *k);
void attrib_fini(struct attrib *a);
/*
 * Declare domain DOMID (NAME may be ""); SELF for the domain whose processes
 * and kernel this machine shows; KERNEL its kernel image ("" = kallsyms for
 * self, [kernel] otherwise).  Samples of undeclared domains are counted in a
 * profile of their own with no kernel image.
 */
void attrib_domain(struct attrib *a, uint32_t domid, const char *name, int self, const char *kernel);
/* The hv sink callback for samples; CTX is a struct attrib. */
void attrib_sample(void *ctx, const struct hv_sample *s);
/* A drain pass over every ring is done: retry the deferred samples. */
void attrib_end_pass(struct attrib *a);
/* Count every deferred sample now (before a flush that must be complete). */
void attrib_flush_pending(struct attrib *a);
/* The hv sink callback for losses. */
void attrib_lost(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n);

#endif /* XP_ATTRIB_H */
