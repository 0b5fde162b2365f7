/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_hyp.h - the simulated hypervisor: hypercall handlers and the NMI-side
 * sample logger, run against the shared state (fx_state.h).
 *
 * The hypercall side runs inside client processes (called from the shim),
 * so guest handles are plain pointers of the calling process.  Every entry
 * point below takes the state lock itself unless it says "lock held".
 */
#ifndef FX_HYP_H
#define FX_HYP_H

#include "fx_state.h"

/* The calling "vCPU": which domain a client process is, and its pid. */
struct fx_caller {
	uint32_t	domid;
	pid_t		pid;
};

/* Outcome of one sample handed to fx_hyp_log(). */
enum {
	FX_LOG_DELIVERED = 0,	/* main entry is in the ring */
	FX_LOG_LOST,		/* ring full: counted in lost_samples */
	FX_LOG_UNPROFILED,	/* domain neither active nor passive */
	FX_LOG_DROPPED,		/* corrupt head/tail or no buffer (Xen-internal) */
};

/* One IOCTL_PRIVCMD_HYPERCALL: returns >= 0 or -errno (Xen's value). */
long	fx_hyp_hypercall(struct fx_state *, const struct fx_caller *,
	    uint64_t op, const uint64_t arg[5]);

/*
 * One frame of an MMAPBATCH for caller C with foreign domain DOM.  Returns
 * 0 and the frame's file offset in *OFF (and its slot in *SLOT), or the
 * per-page -errno Xen/privcmd would report.  Lock held.
 */
int	fx_hyp_map_frame(struct fx_state *, const struct fx_caller *,
	    uint32_t dom, uint64_t mfn, unsigned *slot, uint64_t *off);
/* Remember that C maps frames of SLOT (for the -EBUSY rule).  Lock held. */
void	fx_hyp_note_map(struct fx_state *, const struct fx_caller *, unsigned slot);
/* Injected failure for KEY by DOMID: positive errno or 0.  Lock held. */
int	fx_hyp_fault(struct fx_state *, unsigned key, uint32_t domid);

/*
 * xenoprof_log_event(): one NMI sample of SLOT's vCPU VCPU.  FRAMES are the
 * return addresses (leaf's caller first), written after the sample when the
 * backtrace depth is set.  Lock held.  Returns FX_LOG_*.
 */
int	fx_hyp_log(struct fx_state *, unsigned slot, unsigned vcpu, uint64_t pc,
	    unsigned mode, unsigned event, const uint64_t *frames, unsigned nframes);

/* Destroy domain SLOT (it lingers as dying while lists hold it).  Lock held. */
void	fx_hyp_destroy(struct fx_state *, unsigned slot);

/* Names of the xenoprof ops, NULL outside 0..XENOPROF_last_op. */
const char *fx_hyp_op_name(unsigned op);

#endif
