/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_sim.h - the simulator: turns a parsed config into the shared state and
 * runs the sample generator (the "PMU + NMI handler") in a thread.
 */
#ifndef FX_SIM_H
#define FX_SIM_H

#include "fx_config.h"
#include "fx_state.h"

struct fx_sim;

/*
 * Resolve every work line against its ELF image / live process and build
 * the generator's tables.  Errors name the config line.  CFG is copied.
 */
struct fx_sim	*fx_sim_create(const struct fx_config *cfg, char *err, size_t errlen);
/* Fill a freshly created state S from the config (domains, work, faults). */
void		 fx_sim_install(struct fx_sim *, struct fx_state *s);
/* Start / stop the generator thread.  0 or -1 with errno. */
int		 fx_sim_start(struct fx_sim *);
void		 fx_sim_stop(struct fx_sim *);
void		 fx_sim_free(struct fx_sim *);

/*
 * Run NTICKS sample periods now, regardless of the wall clock (the
 * generator thread's inner loop).  Lock held.  Returns samples generated.
 */
uint64_t	 fx_sim_run_ticks(struct fx_sim *, uint64_t nticks);

#endif
