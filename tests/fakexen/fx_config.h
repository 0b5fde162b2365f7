/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_config.h - the scenario file of `fakexen up --config FILE`.
 *
 * Syntax only: the parser checks every directive, its arguments and the
 * cross references between lines (work lines name configured domains,
 * domain ids are unique, ...).  Symbols are looked up later by the
 * simulator (fx_sim.c), which reports failures with the work line number.
 */
#ifndef FX_CONFIG_H
#define FX_CONFIG_H

#include <limits.h>
#include <stdint.h>

#include "fx_state.h"

#define FX_MAX_CHAIN	8		/* frames in a call chain, leaf included */
#define FX_MAX_TIMED	16

struct fx_cfg_dom {
	int		line;
	uint32_t	domid, vcpus, weight, guest;
	uint32_t	restricted;		/* privcmd refuses hypercalls (a domU's Linux default) */
	uint32_t	noperf;			/* a kernel without perf events (ENOSYS) */
	uint64_t	memory_mb;
	char		name[FX_NAME_LEN];
	char		kernel[PATH_MAX];	/* "" = none */
};

struct fx_cfg_work {
	int		line;
	uint32_t	domid, mode, weight;
	int32_t		pid;			/* user pid=PID:..., 0 = none */
	int		unmapped;		/* user - */
	uint32_t	nsyms;			/* leaf first */
	char		syms[FX_MAX_CHAIN][FX_SYM_LEN];
};

enum { FX_TIMED_DESTROY = 1, FX_TIMED_KILL_PRIMARY };

/* A fault that fires after AT_MS of profiling (virtual) time. */
struct fx_cfg_timed {
	int		line;
	int		kind;
	uint32_t	domid;
	uint64_t	at_ms;
};

struct fx_config {
	char		path[PATH_MAX];
	uint32_t	pcpus, num_events, rate, timeslice_us, ring_slots;
	uint32_t	xs_silent;		/* fault xenstore silent */
	uint64_t	seed, limit;
	char		cpu_type[XENOPROF_CPU_TYPE_SIZE];
	char		xen_image[PATH_MAX];
	int		xen_image_line;
	uint32_t	ndoms, nwork, nfaults, ntimed;
	struct fx_cfg_dom doms[FX_MAX_DOMS];
	uint32_t	work_cap;
	struct fx_cfg_work *work;	/* nwork lines, as many as the file has; owned */
	struct fx_fault	faults[FX_MAX_FAULTS];
	struct fx_cfg_timed timed[FX_MAX_TIMED];
};

/* Parse PATH into CFG (caller-owned, large: allocate it; free its parts
 * with fx_config_free).  0, or -1 and "PATH:LINE: what is wrong" in ERR. */
int	fx_config_load(const char *path, struct fx_config *cfg, char *err, size_t errlen);
void	fx_config_free(struct fx_config *cfg);
const struct fx_cfg_dom *fx_config_dom(const struct fx_config *, uint32_t domid);

#endif
