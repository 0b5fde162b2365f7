/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 * perf in a dom0 with Xen's vPMU: samples flagged as a guest's go to the
 * [guests] image (by guest kernel/user mode; perf is not told which
 * guest), and kernel-mode pcs in the range x86-64 reserves for Xen are the
 * hypervisor's, never dom0's kernel.
 */
#ifndef XP_ATTRIB_H
#define XP_ATTRIB_H

#include <stdint.h>

#include "daemon/kernel.h"
#include "daemon/procmap.h"
#include "daemon/store.h"
#include "hv/hv.h"

#define ATTRIB_MAX_PENDING	16384
#define ATTRIB_PENDING_CHAIN	32	/* frames kept with a deferred sample */
#define ATTRIB_MAX_DOMAINS	XPS_MAX_DOMAINS
/* A known process's samples missing its maps this often: its maps are read again. */
#define ATTRIB_RESCAN_MISSES	3

struct attrib_pending {
	struct hv_sample s;	/* s.chain points into chain */
	uint64_t	pass;
	uint64_t	chain[ATTRIB_PENDING_CHAIN];
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
	int32_t		img_kernel, img_xen, img_unknown, img_user, img_ambiguous, img_guests;
};

struct attrib {
	struct store   *store;
	struct procmap *pm;
	const struct kernel *kern;
	uint32_t	separate;	/* XPS_SEP_* */
	const char     *xen;		/* "" = none */
	int		xen_host;	/* perf on a Xen dom0 (vPMU): kernel pcs in Xen's range are Xen's */
	const uint8_t  *xen_build_id;
	uint8_t		xen_build_id_len;
	uint32_t	ndomains;
	struct attrib_domain domains[ATTRIB_MAX_DOMAINS];
	struct attrib_domain *last;	/* lookup cache */
	int32_t	       *img_mod;	/* self domain: per kern->mods entry, -1 = not yet */
	uint32_t	img_mod_gen;
	uint64_t	unattributed;	/* samples that could not be counted at all */
	uint64_t	chain_truncated;	/* deferred samples whose chain was cut */
	struct xps_frame frames[HV_MAX_CHAIN];	/* scratch for one chain */
	uint64_t	ambiguous;	/* user samples in several processes' mappings */
	uint64_t	rescans;	/* known processes whose maps were read again from /proc */
	/* User samples waiting for the side band of another ring. */
	uint64_t	pass;
	uint32_t	npending;
	struct attrib_pending *pending;	/* ATTRIB_MAX_PENDING entries */
	/*
	 * Reading a process's maps from /proc.  NULL: procmap_scan_pid here,
	 * at once.  Else the daemon's privileged parent reads them (the
	 * sampler may not): ask_maps asks (0, or -1 when it cannot), the
	 * answer updates the procmap later, and asking says whether one is
	 * still due for PID; a sample waiting for it stays deferred meanwhile.
	 */
	int	      (*ask_maps)(void *ctx, uint32_t pid);
	int	      (*asking)(void *ctx, uint32_t pid);
	void	       *maps_ctx;
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
