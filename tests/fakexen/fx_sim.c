/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_sim.c - the simulator's sample generator.
 *
 * Model.  Time is counted in ticks: one tick is one sampling period on
 * every pCPU (each pCPU's counter overflows `rate` times per second).  The
 * wall clock only decides how many ticks are due; which domain, vCPU, work
 * line, PC and counter each sample gets depends on the seed and the tick
 * number alone, so a scenario with a `limit` produces the same samples on
 * every run.
 *
 *   scheduler  every `timeslice` (in ticks) each pCPU, in order, picks a
 *              vCPU not already running elsewhere: a domain with a free
 *              vCPU is chosen with probability proportional to
 *              weight * free_vcpus / vcpus, then its next free vCPU in
 *              round-robin order.  A pCPU with nothing left to run is idle
 *              and takes no samples (Xen's idle domain is never profiled).
 *              Domains without work lines or with weight 0 never run.
 *   NMI        on each tick, each busy pCPU picks a work line of the running
 *              domain by weight (a 1024-entry table), a PC inside the line's
 *              symbol (a 64-entry table per frame drawn at start-up), a
 *              counter among those setup_events armed, and hands the sample
 *              to fx_hyp_log() -- the port of xenoprof_log_event().
 *
 * Samples are taken only while the counters run and the primary's NMI
 * callback is installed (start .. stop, after enable_virq), as on Xen:
 * note that a primary re-`init` does not stop them.
 *
 * Truth.  Each sample's outcome goes into its work line's counters and the
 * totals in the state, under the state lock, so generated == delivered +
 * lost + unprofiled at every instant (corrupt-index drops count as lost).
 */
#include <sys/types.h>
#include <errno.h>
#include <gelf.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fx_elf.h"
#include "fx_hyp.h"
#include "fx_sim.h"

#define FX_NPCS		64	/* PCs drawn per frame (power of 2) */
#define FX_PICK		1024	/* work-selection table per domain, at least (power of 2) */
#define FX_CHUNK	65536	/* samples per lock hold */

struct fx_gwork {
	unsigned	state_idx;	/* index in fx_state.work */
	unsigned	slot, mode, weight, nlevels;
	uint64_t	pcs[FX_MAX_CHAIN][FX_NPCS];
};

struct fx_gdom {
	unsigned	nwork;
	uint32_t	weight, nvcpus;
	unsigned	rr;		/* next vCPU to hand out */
	uint32_t	npick;		/* power of 2, >= 4 entries per work line */
	uint32_t       *pick;		/* index into fx_sim.work; owned */
};

struct fx_sim {
	struct fx_config cfg;
	struct fx_state	*s;
	struct fx_gwork	*work;
	unsigned	nwork;
	struct fx_gdom	dom[FX_MAX_DOMS];
	uint64_t	quantum;	/* ticks per timeslice */
	uint64_t	quantum_ns;
	int		run_slot[FX_MAX_PCPUS];
	unsigned	run_vcpu[FX_MAX_PCPUS];
	uint64_t	rng;
	int		timed_done[FX_MAX_TIMED];
	pid_t		kill_pending;
	pthread_t	thread;
	int		started;
	volatile int	stop;
};

/* ------------------------------------------------------------------ */

static uint64_t
fx_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* xorshift64*: the per-sample generator (never 0 state). */
static inline uint64_t
fx_rand(struct fx_sim *sim)
{
	uint64_t x = sim->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sim->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static int
fx_resolve_work(struct fx_sim *sim, const struct fx_cfg_work *cw, struct fx_gwork *gw,
    uint64_t *seed, char *err, size_t errlen)
{
	const struct fx_config *cfg = &sim->cfg;
	char image[PATH_MAX], why[512];
	uint64_t bias = 0;

	gw->nlevels = cw->nsyms;
	if (cw->unmapped) {
		/* below mmap_min_addr: no process ever maps it */
		for (unsigned k = 0; k < FX_NPCS; k++)
			gw->pcs[0][k] = 0x1000 + fx_splitmix(seed) % 0xf000;
		return 0;
	}
	if (cw->mode == FX_MODE_XEN)
		snprintf(image, sizeof image, "%s", cfg->xen_image);
	else if (cw->mode == FX_MODE_KERNEL)
		snprintf(image, sizeof image, "%s", fx_config_dom(cfg, cw->domid)->kernel);
	else
		snprintf(image, sizeof image, "/proc/%d/exe", (int)cw->pid);
	for (unsigned l = 0; l < cw->nsyms; l++) {
		struct fx_elf_sym es;

		if (fx_elf_symbol(image, cw->syms[l], &es, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: work: %s", cfg->path, cw->line, why);
			return -1;
		}
		if (cw->mode == FX_MODE_USER && l == 0 &&
		    fx_elf_proc_bias(cw->pid, es.first_load, &bias, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: work: %s", cfg->path, cw->line, why);
			return -1;
		}
		/* A caller's frame is a return address: past the call, never at
		 * the symbol's first byte (ret - 1 lies in the symbol). */
		for (unsigned k = 0; k < FX_NPCS; k++)
			gw->pcs[l][k] = l == 0 || es.size < 2 ?
			    bias + es.value + fx_splitmix(seed) % es.size :
			    bias + es.value + 1 + fx_splitmix(seed) % (es.size - 1);
	}
	return 0;
}

struct fx_sim *
fx_sim_create(const struct fx_config *cfg, char *err, size_t errlen)
{
	struct fx_sim *sim;
	uint64_t seed;

	if ((sim = calloc(1, sizeof *sim)) == NULL ||
	    (sim->work = calloc(cfg->nwork ? cfg->nwork : 1, sizeof *sim->work)) == NULL) {
		free(sim);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sim->cfg = *cfg;
	cfg = &sim->cfg;
	seed = cfg->seed;
	sim->nwork = cfg->nwork;
	for (unsigned w = 0; w < cfg->nwork; w++) {
		const struct fx_cfg_work *cw = &cfg->work[w];
		struct fx_gwork *gw = &sim->work[w];

		gw->state_idx = w;
		gw->mode = cw->mode;
		gw->weight = cw->weight;
		for (unsigned d = 0; d < cfg->ndoms; d++)
			if (cfg->doms[d].domid == cw->domid)
				gw->slot = d;
		if (fx_resolve_work(sim, cw, gw, &seed, err, errlen) < 0) {
			fx_sim_free(sim);
			return NULL;
		}
	}
	/* per-domain work tables: largest-remainder apportionment of FX_PICK */
	for (unsigned d = 0; d < cfg->ndoms; d++) {
		struct fx_gdom *gd = &sim->dom[d];
		uint64_t total = 0;
		unsigned filled = 0;

		gd->weight = cfg->doms[d].weight;
		gd->nvcpus = cfg->doms[d].vcpus;
		for (unsigned w = 0; w < sim->nwork; w++)
			if (sim->work[w].slot == d) {
				total += sim->work[w].weight;
				gd->nwork++;
			}
		if (gd->nwork == 0)
			continue;
		for (gd->npick = FX_PICK; gd->npick < 4 * gd->nwork; gd->npick *= 2)
			;
		if ((gd->pick = calloc(gd->npick, sizeof(*gd->pick))) == NULL) {
			snprintf(err, errlen, "out of memory");
			fx_sim_free(sim);
			return NULL;
		}
		for (unsigned w = 0; w < sim->nwork; w++) {
			uint64_t n;

			if (sim->work[w].slot != d)
				continue;
			n = (uint64_t)sim->work[w].weight * gd->npick / total;
			if (n == 0)
				n = 1;
			for (; n > 0 && filled < gd->npick; n--)
				gd->pick[filled++] = w;
		}
		/* rounding leftovers: deal them out in config order */
		for (unsigned w = 0; filled < gd->npick; w = (w + 1) % sim->nwork)
			if (sim->work[w].slot == d)
				gd->pick[filled++] = w;
		/* shuffle so consecutive random indexes are independent of order */
		for (unsigned i = gd->npick - 1; i > 0; i--) {
			unsigned j = (unsigned)(fx_splitmix(&seed) % (i + 1));
			uint32_t t = gd->pick[i];
			gd->pick[i] = gd->pick[j];
			gd->pick[j] = t;
		}
	}
	sim->quantum = cfg->rate ? (uint64_t)cfg->rate * cfg->timeslice_us / 1000000 : 1;
	if (sim->quantum == 0)
		sim->quantum = 1;
	sim->quantum_ns = cfg->rate ? sim->quantum * 1000000000ull / cfg->rate : 0;
	sim->rng = fx_splitmix(&seed) | 1;
	for (unsigned p = 0; p < FX_MAX_PCPUS; p++)
		sim->run_slot[p] = -1;
	return sim;
}

void
fx_sim_install(struct fx_sim *sim, struct fx_state *s)
{
	const struct fx_config *cfg = &sim->cfg;

	sim->s = s;
	fx_lock(s);
	s->pcpus = cfg->pcpus;
	s->num_events = cfg->num_events;
	snprintf(s->cpu_type, sizeof s->cpu_type, "%s", cfg->cpu_type);
	s->ring_slots = cfg->ring_slots;
	s->xs_silent = cfg->xs_silent;
	s->ndoms = cfg->ndoms;
	for (unsigned d = 0; d < cfg->ndoms; d++) {
		const struct fx_cfg_dom *cd = &cfg->doms[d];
		struct fx_dom *dom = &s->dom[d];

		memset(dom, 0, sizeof *dom);
		dom->state = FX_DOM_LIVE;
		dom->domid = cd->domid;
		dom->nvcpus = cd->vcpus;
		dom->weight = cd->weight;
		dom->guest = cd->guest;
		dom->restricted = cd->restricted;
		dom->noperf = cd->noperf;
		dom->tot_pages = cd->memory_mb * 256;
		dom->xp_shared_with = -1;
		snprintf(dom->name, sizeof dom->name, "%s", cd->name);
	}
	s->nwork = sim->nwork;
	for (unsigned w = 0; w < sim->nwork; w++) {
		struct fx_work *sw = &s->work[w];

		memset(sw, 0, sizeof *sw);
		sw->slot = sim->work[w].slot;
		sw->mode = sim->work[w].mode;
		sw->weight = sim->work[w].weight;
		sw->chain_len = cfg->work[w].nsyms - 1;
		snprintf(sw->symbol, sizeof sw->symbol, "%s", cfg->work[w].syms[0]);
	}
	s->nfaults = cfg->nfaults;
	memcpy(s->faults, cfg->faults, sizeof cfg->faults[0] * cfg->nfaults);
	fx_unlock(s);
}

/* ------------------------------------------------------------------ */

static int
fx_runnable(const struct fx_sim *sim, unsigned slot)
{
	const struct fx_dom *d = &sim->s->dom[slot];

	return d->state == FX_DOM_LIVE && sim->dom[slot].nwork > 0 &&
	    sim->dom[slot].weight > 0;
}

/* One scheduling round: every pCPU picks a free vCPU (see the model). */
static void
fx_schedule(struct fx_sim *sim)
{
	struct fx_state *s = sim->s;
	unsigned used[FX_MAX_DOMS] = { 0 };

	for (unsigned p = 0; p < s->pcpus; p++) {
		uint64_t w[FX_MAX_DOMS], total = 0, r;
		unsigned d;

		for (d = 0; d < s->ndoms; d++) {
			w[d] = 0;
			if (fx_runnable(sim, d) && used[d] < sim->dom[d].nvcpus)
				w[d] = (uint64_t)sim->dom[d].weight *
				    (sim->dom[d].nvcpus - used[d]) * 1000000 / sim->dom[d].nvcpus;
			total += w[d];
		}
		if (total == 0) {
			sim->run_slot[p] = -1;
			continue;
		}
		r = fx_rand(sim) % total;
		for (d = 0; d < s->ndoms; d++) {
			if (r < w[d])
				break;
			r -= w[d];
		}
		sim->run_slot[p] = (int)d;
		sim->run_vcpu[p] = sim->dom[d].rr;
		sim->dom[d].rr = (sim->dom[d].rr + 1) % sim->dom[d].nvcpus;
		used[d]++;
		s->dom[d].cpu_time_ns += sim->quantum_ns;
	}
}

/* Timed faults due at the current tick.  Lock held. */
static void
fx_timed(struct fx_sim *sim)
{
	struct fx_state *s = sim->s;

	for (unsigned i = 0; i < sim->cfg.ntimed; i++) {
		const struct fx_cfg_timed *t = &sim->cfg.timed[i];
		int slot;

		if (sim->timed_done[i] ||
		    s->ticks < t->at_ms * sim->cfg.rate / 1000)
			continue;
		sim->timed_done[i] = 1;
		if (t->kind == FX_TIMED_DESTROY) {
			if ((slot = fx_slot_by_domid(s, t->domid)) >= 0)
				fx_hyp_destroy(s, (unsigned)slot);
			fprintf(stderr, "fakexen: fault: destroyed domain %u at tick %llu\n",
			    t->domid, (unsigned long long)s->ticks);
		} else if (s->primary_pid > 0) {
			sim->kill_pending = s->primary_pid;
		}
	}
}

static inline void
fx_sample(struct fx_sim *sim, unsigned p, const unsigned *armed, unsigned narmed)
{
	struct fx_state *s = sim->s;
	int slot = sim->run_slot[p];
	const struct fx_gwork *gw;
	struct fx_work *tw;
	uint64_t frames[FX_MAX_CHAIN], r;
	unsigned ev;
	int out;

	if (slot < 0 || s->dom[slot].state != FX_DOM_LIVE)
		return;			/* idle pCPU, or its domain just died */
	gw = &sim->work[sim->dom[slot].pick[fx_rand(sim) & (sim->dom[slot].npick - 1)]];
	r = fx_rand(sim);
	for (unsigned l = 1; l < gw->nlevels; l++)
		frames[l - 1] = gw->pcs[l][(r >> (6 * l)) & (FX_NPCS - 1)];
	ev = narmed == 1 ? armed[0] : armed[(r >> 58) % narmed];
	out = fx_hyp_log(s, (unsigned)slot, sim->run_vcpu[p], gw->pcs[0][r & (FX_NPCS - 1)],
	    gw->mode, ev, frames, gw->nlevels - 1);
	tw = &s->work[gw->state_idx];
	s->generated++;
	switch (out) {
	case FX_LOG_DELIVERED:
		s->delivered++;
		tw->delivered++;
		break;
	case FX_LOG_UNPROFILED:
		s->unprofiled++;
		tw->unprofiled++;
		break;
	default:
		s->lost++;
		tw->lost++;
		break;
	}
}

/* Samples may be taken: counters running, NMI callback, a counter armed. */
static int
fx_sampling(const struct fx_sim *sim)
{
	const struct fx_state *s = sim->s;

	return sim->cfg.rate > 0 && s->counters_running && s->nmi_callback &&
	    s->armed_mask != 0 && (sim->cfg.limit == 0 || s->generated < sim->cfg.limit);
}

uint64_t
fx_sim_run_ticks(struct fx_sim *sim, uint64_t nticks)
{
	struct fx_state *s = sim->s;
	unsigned armed[FX_NCOUNTERS], narmed = 0;
	uint64_t before = s->generated;

	for (unsigned i = 0; i < FX_NCOUNTERS; i++)
		if (s->armed_mask & (1u << i))
			armed[narmed++] = i;
	if (narmed == 0)
		return 0;
	for (uint64_t t = 0; t < nticks; t++) {
		if (sim->cfg.ntimed > 0)
			fx_timed(sim);
		if (s->ticks % sim->quantum == 0)
			fx_schedule(sim);
		for (unsigned p = 0; p < s->pcpus; p++) {
			if (sim->cfg.limit != 0 && s->generated >= sim->cfg.limit)
				return s->generated - before;
			fx_sample(sim, p, armed, narmed);
		}
		s->ticks++;
	}
	return s->generated - before;
}

static uint64_t
fx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *
fx_sim_main(void *arg)
{
	struct fx_sim *sim = arg;
	struct fx_state *s = sim->s;
	const struct timespec tick = { 0, 1000000 };	/* 1 ms */
	uint64_t base_ns = 0, base_ticks = 0, chunk_ticks;
	int was_on = 0;

	chunk_ticks = FX_CHUNK / (s->pcpus ? s->pcpus : 1);
	if (chunk_ticks == 0)
		chunk_ticks = 1;
	while (!sim->stop) {
		pid_t victim;

		nanosleep(&tick, NULL);
		for (;;) {
			uint64_t now = fx_now_ns(), due, n;

			fx_lock(s);
			if (!fx_sampling(sim)) {
				was_on = 0;
				fx_unlock(s);
				break;
			}
			if (!was_on) {
				was_on = 1;
				base_ns = now;
				base_ticks = s->ticks;
			}
			due = base_ticks + (uint64_t)((unsigned __int128)(now - base_ns) *
			    sim->cfg.rate / 1000000000u);
			if (due > s->ticks + sim->cfg.rate / 5 + chunk_ticks) {
				/* > 200 ms behind: cannot keep up, drop the backlog */
				base_ns = now;
				base_ticks = s->ticks;
				due = s->ticks + chunk_ticks;
			}
			n = due > s->ticks ? due - s->ticks : 0;
			if (n > chunk_ticks)
				n = chunk_ticks;
			fx_sim_run_ticks(sim, n);
			victim = sim->kill_pending;
			sim->kill_pending = 0;
			fx_unlock(s);
			if (victim > 0) {
				fprintf(stderr, "fakexen: fault: killing the primary's "
				    "process %d\n", (int)victim);
				kill(victim, SIGKILL);
			}
			if (n < chunk_ticks || sim->stop)
				break;
		}
	}
	return NULL;
}

int
fx_sim_start(struct fx_sim *sim)
{
	int e = pthread_create(&sim->thread, NULL, fx_sim_main, sim);

	if (e != 0) {
		errno = e;
		return -1;
	}
	sim->started = 1;
	return 0;
}

void
fx_sim_stop(struct fx_sim *sim)
{
	if (!sim->started)
		return;
	sim->stop = 1;
	pthread_join(sim->thread, NULL);
	sim->started = 0;
}

void
fx_sim_free(struct fx_sim *sim)
{
	if (sim == NULL)
		return;
	fx_sim_stop(sim);
	for (unsigned d = 0; d < FX_MAX_DOMS; d++)
		free(sim->dom[d].pick);
	free(sim->work);
	free(sim);
}
