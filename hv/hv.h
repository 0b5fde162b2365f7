/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hv: sample sources.  One interface for every backend:
 *   perf      Linux perf_event_open, system-wide, one ring per cpu (hv/perf/)
 *   xenoprof  Xen's xenoprof_op through libxencall (hv/xenoprof/)
 *
 * The daemon opens one source, polls its fds, and calls hv_drain() which
 * hands every record to the daemon's sink callbacks.  A source never prints
 * and never exits: failures return -1 with a one-line reason in the caller's
 * error buffer that names the problem and the fix.
 */
#ifndef XP_HV_H
#define XP_HV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_ERR_LEN	256
#define HV_MAX_EVENTS	16
#define HV_MAX_DOMAINS	64
#define HV_MAX_CHAIN	256
#define HV_NO_PID	0xffffffffu

enum hv_mode {
	HV_MODE_USER = 0,
	HV_MODE_KERNEL = 1,
	HV_MODE_XEN = 2,
};

/* ===================================================================== */
/* Events                                                                 */

/* A parsed event spec NAME:COUNT[:UNITMASK[:KERNEL[:USER]]]. */
struct hv_event {
	char		name[64];
	uint64_t	count;		/* sampling period (ns for cpu-clock) */
	uint32_t	unit_mask;
	bool		kernel;		/* sample kernel mode (default true) */
	bool		user;		/* sample user mode (default true) */
	bool		unit_mask_set;	/* the spec gave a unit mask (else the event's default) */
};

/*
 * Parse SPEC into EV (syntax only: the backend checks the name and minimum
 * count when it opens).  Returns 0, or -1 with ERR set.
 */
int hv_event_parse(const char *spec, struct hv_event *ev, char *err, size_t errlen);

/* A unit mask's value and its name, from the event tables (added by hv/). */
struct hv_um_value {
	uint32_t	value;
	const char     *name;		/* "" when the table names none */
	const char     *desc;
};

/* OProfile's kinds: one fixed value, one of the values, or any OR of them. */
enum hv_um_type {
	HV_UM_MANDATORY = 0,
	HV_UM_EXCLUSIVE = 1,
	HV_UM_BITMASK = 2,
};

struct hv_unit_mask {
	const char     *name;		/* the table's name for the mask ("core") */
	enum hv_um_type	type;
	uint32_t	defval;		/* used when the spec gives none */
	uint32_t	nvalues;
	const struct hv_um_value *values;
};

/* An event a backend offers, for --list-events and validation. */
struct hv_event_info {
	const char     *name;
	const char     *desc;
	uint64_t	min_count;
	uint64_t	default_count;
	bool		needs_pmu;
	/* added by hv/ for the xenoprof tables (NULL / false / 0 on perf): */
	const char     *cpu_type;	/* the cpu type whose table holds it */
	bool		has_code;
	uint32_t	code;		/* the event select */
	uint32_t	counters;	/* bit i: counter i can count it; 0 = any */
	const struct hv_unit_mask *unit_mask;	/* NULL: no unit mask */
};

/* ===================================================================== */
/* Configuration                                                          */

struct hv_config {
	const char     *backend;	/* "auto", "perf", "xenoprof" */
	uint32_t	nevents;
	struct hv_event	events[HV_MAX_EVENTS];
	uint32_t	callgraph;	/* call-chain depth, 0 = none */
	/* perf */
	uint32_t	ring_pages;	/* data pages per cpu ring (power of 2), 0 = default */
	/* xenoprof */
	uint32_t	nactive;
	uint32_t	active[HV_MAX_DOMAINS];
	uint32_t	npassive;
	uint32_t	passive[HV_MAX_DOMAINS];
};

/* ===================================================================== */
/* What a source delivers                                                 */

struct hv_sample {
	uint32_t	domid;		/* 0 on perf; the ring's owner on xenoprof */
	uint32_t	cpu;		/* cpu (perf) or vcpu (xenoprof) */
	uint32_t	pid, tid;	/* HV_NO_PID when the source gives none */
	uint64_t	pc;
	uint8_t		mode;		/* enum hv_mode */
	uint8_t		counter;	/* index into hv_config.events */
	uint16_t	nchain;		/* call-chain frames (callers, innermost first) */
	const uint64_t *chain;		/* valid during the callback only */
	bool		guest;		/* perf: a guest's sample (PERF_RECORD_MISC_GUEST_*);
					 * mode is then the guest's kernel/user.  false
					 * elsewhere.  (added by hv/) */
};

enum hv_loss_kind {
	HV_LOSS_RING = 0,	/* ring full: PERF_RECORD_LOST, xenoprof lost_samples */
	HV_LOSS_THROTTLE = 1,	/* PERF_RECORD_THROTTLE: carries no count, so n = 1 per
				 * throttle record (an interval of dropped samples,
				 * not a number of samples) */
	HV_LOSS_INVALID = 3,	/* malformed record */
};

/*
 * A mapping, as an MMAP or MMAP2 record tells of it (hv_sink.mmap_file).
 * The file is named by its path and, where the kernel gave them, its GNU
 * build-id (Linux >= 5.12, attr.build_id) or else its device and inode:
 * who reads the file later can check it is still the one mapped.  (added
 * by hv/)
 */
struct hv_mmap {
	uint32_t	pid, tid;
	uint64_t	start, len, pgoff;
	const char     *path;
	const uint8_t  *build_id;	/* NULL when none given */
	size_t		build_id_len;
	uint64_t	dev;		/* makedev(maj, min); with ino 0 when unknown */
	uint64_t	ino;
	bool		exec;
};

/*
 * The daemon's callbacks.  Side-band callbacks (mmap, comm, fork, exit) come
 * only from backends that know processes (perf).  perf delivers samples and
 * side band of all its rings in time order; xenoprof ring by ring.
 */
struct hv_sink {
	void	*ctx;
	void	(*sample)(void *ctx, const struct hv_sample *s);
	void	(*lost)(void *ctx, uint32_t domid, uint32_t cpu, uint32_t kind, uint64_t n);
	void	(*mmap)(void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len,
			uint64_t pgoff, const char *path, const uint8_t *build_id,
			size_t build_id_len, bool exec);
	void	(*comm)(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec);
	void	(*fork)(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid);
	void	(*exit)(void *ctx, uint32_t pid, uint32_t tid);
	/* When set, called for MMAP and MMAP2 records instead of mmap. (added by hv/) */
	void	(*mmap_file)(void *ctx, const struct hv_mmap *m);
};

/* Counters a source keeps about itself (for --status and the session meta). */
struct hv_stats {
	uint64_t	samples;	/* samples delivered to the sink */
	uint64_t	lost;		/* samples reported lost */
	uint64_t	records;	/* all records read */
	/* added by hv/: */
	uint64_t	throttles;	/* HV_LOSS_THROTTLE reports (not in lost) */
	uint64_t	invalid;	/* HV_LOSS_INVALID reports (not in lost) */
	/* added by hv/ for xenoprof (0 elsewhere): */
	uint64_t	hv_logged;	/* samples the rings' headers say Xen logged since
					 * they were mapped (xen+kernel+user_samples) */
	uint64_t	hv_lost;	/* the headers' lost_samples since then */
	uint64_t	sb_records;	/* process-tracking side band records read */
	uint64_t	sb_lost;	/* side band records the kernel dropped */
};

/* ===================================================================== */
/* Sources                                                                */

struct hv_source;

/*
 * Open the backend CFG->backend ("auto" picks xenoprof where it works, perf
 * otherwise) and program the events, without starting.  NULL with ERR set.
 */
struct hv_source *hv_open(const struct hv_config *cfg, char *err, size_t errlen);
/* The events programmed (the setup's, or the backend's default). */
const struct hv_event *hv_source_events(const struct hv_source *src, uint32_t *n);
/* Why "auto" did not pick xenoprof ("" if it did, or was not asked to choose). */
const char *hv_note(const struct hv_source *src);
/*
 * How the samples of this domain's processes find their process, for a
 * source whose samples carry no pid (xenoprof): "" when the source gives
 * pids itself (perf); else "perf side band ..." when it tracks processes,
 * or "none: WHY" when it cannot (then a process started after --start is
 * never attributed).  (added by hv/)
 */
const char *hv_tracking(const struct hv_source *src);

/* A domain of this Xen host. */
struct hv_domain {
	uint32_t	domid;
	char		name[64];	/* from xenstore; "" if it has none */
	uint32_t	vcpus;
};

/*
 * The domains of this Xen host (libxenctrl) with their names (libxenstore):
 * up to MAX into OUT, returns their number, or -1 with ERR (not on Xen, not
 * permitted, or built without Xen support).
 */
int hv_domains(struct hv_domain *out, int max, char *err, size_t errlen);
/* This domain's id (0 when not on Xen), from xenstore. */
uint32_t hv_self_domid(void);
/*
 * Every xenstore call is bounded in time (xs_open falls back to
 * /dev/xen/xenbus, where a read blocks until a xenstored answers, forever
 * when none runs): after the first call that got no answer within 2 s, the
 * others give up at once.  "" while xenstore answers, else why not and what
 * to start.  (added by hv/)
 */
const char *hv_xenstore_note(void);
/*
 * This domain's id and name from xenstore, bounded in time: 0, or -1 with
 * WHY (xenstore missing or not answering).  (added by hv/)
 */
int hv_xenstore_self(uint32_t *domid, char *name, size_t namelen, char *why, size_t whylen);
/*
 * The running hypervisor's build-id from sysfs file PATH
 * (/sys/hypervisor/properties/buildid): Linux writes the raw bytes (hex
 * text is accepted too).  Its length, or 0.  (added by hv/)
 */
size_t hv_sysfs_build_id(const char *path, uint8_t *out, size_t outlen);

/* Backend name ("perf", "xenoprof") and cpu type ("timer", "i386/core_2"...). */
const char *hv_name(const struct hv_source *src);
const char *hv_cpu_type(const struct hv_source *src);
int hv_start(struct hv_source *src, char *err, size_t errlen);
int hv_stop(struct hv_source *src, char *err, size_t errlen);
/* Fill up to MAX pollfds the daemon should wait on; returns their number. */
int hv_pollfds(struct hv_source *src, struct pollfd *fds, int max);
/* Suggested longest wait between drains, in ms (ring fill time / 4). */
int hv_poll_interval_ms(const struct hv_source *src);
/*
 * Deliver pending records to SINK.  Returns records read, or -1.  perf
 * delivers the records of all its rings in time order, and so keeps back
 * the few timed within the last moments (a record of another ring may
 * still precede them) for the next drain.
 */
long hv_drain(struct hv_source *src, const struct hv_sink *sink);
/* As hv_drain, holding nothing back: before a flush that must be complete. */
long hv_drain_all(struct hv_source *src, const struct hv_sink *sink);
void hv_stats(const struct hv_source *src, struct hv_stats *st);
/* Stop, release everything the backend holds (also in the hypervisor). */
void hv_close(struct hv_source *src);

/* ===================================================================== */
/* Privilege separation (added by hv/)                                    */

/*
 * After hv_open a source needs privilege only for the hypercalls of a
 * xenoprof source: start, stop, and the two halves of its teardown (before
 * and after it unmaps the rings).  A daemon that gives up its privileges
 * hands them to a process that kept them: hv_set_privop(), then
 * hv_unprivileged(), after which the source holds no privileged handle
 * (privcmd passes any hypercall to whoever holds it: it is closed) and
 * makes those calls through FN.  The privileged process runs them with
 * hv_privop_run().  Everything a call needs travels in the fixed-size
 * struct hv_privop_args (both sides are the same program).  Sources
 * without such calls (perf) make none.
 */
enum hv_privop {
	HV_PRIVOP_START = 1,	/* primary: XENOPROF_start (waits for the active domains); else enable_virq */
	HV_PRIVOP_STOP = 2,	/* primary: XENOPROF_stop */
	HV_PRIVOP_RELEASE = 3,	/* stop, disable_virq, release_counters: before the rings are unmapped */
	HV_PRIVOP_SHUTDOWN = 4,	/* reset the passive and active lists, shutdown: after */
};

struct hv_privop_args {
	uint32_t	op;		/* enum hv_privop */
	uint32_t	self;		/* this domain's id */
	uint8_t		primary;	/* this domain is the primary profiler */
	uint8_t		listed;		/* it is on the active list */
	uint8_t		virq;		/* virq enabled, or the buffer got: disable_virq due */
	uint8_t		reserved;	/* counters reserved */
	uint8_t		initialized;	/* init done: shutdown due */
	uint8_t		profiling;	/* started */
	uint8_t		pad[2];
	int32_t		start_timeout_ms;
	uint32_t	nactive;	/* the other active domains, for messages */
	uint32_t	active[HV_MAX_DOMAINS];
};

/* FN runs A as hv_privop_run would, elsewhere: 0, or -1 with ERR. */
typedef int (*hv_privop_fn)(void *ctx, const struct hv_privop_args *a, char *err, size_t errlen);
void hv_set_privop(struct hv_source *src, hv_privop_fn fn, void *ctx);
/*
 * Close every privileged handle the source holds (privcmd); its privileged
 * calls go to the function given to hv_set_privop from now on.  0, or -1
 * with ERR (then nothing was closed).
 */
int hv_unprivileged(struct hv_source *src, char *err, size_t errlen);
/*
 * The privileged side: run A in this process, with a hypervisor handle of
 * its own (opened at the first call, closed by hv_privop_close).  0, or -1
 * with ERR naming what failed and the fix, as the source itself would.
 */
int hv_privop_run(const struct hv_privop_args *a, char *err, size_t errlen);
void hv_privop_close(void);

/*
 * Check EV against backend NAME's event table (name, minimum count, unit
 * mask) without opening anything ("auto": the backend auto would pick on
 * this host).  0, or -1 with ERR naming the problem and the nearest name.
 */
int hv_event_check(const char *backend, const struct hv_event *ev, char *err, size_t errlen);

/*
 * Can EV be counted on this machine with backend NAME?  perf opens it,
 * disabled, on the calling process (a PMU event fails where there is no
 * PMU); "auto" probes perf only where this is not a Xen domain (on Xen,
 * xenoprof may take the event: hv_open decides).  Backends that cannot be
 * probed without their session (xenoprof) accept.  0, or -1 with ERR
 * naming the problem and the fix.
 */
int hv_event_probe(const char *backend, const struct hv_event *ev, char *err, size_t errlen);

/*
 * Is this a Xen domain?  /dev/xen/privcmd opens (or exists but is not
 * ours to open), or /sys/hypervisor/type says xen.
 */
bool hv_on_xen(void);

/* The events backend NAME offers; *N receives their number. */
const struct hv_event_info *hv_events(const char *backend, size_t *n);

/*
 * Where the xenoprof event tables are read from: $(pkgdatadir)/events (in
 * test builds $XENPROF_EVENTS_DIR, else the source tree's hv/events).
 * hv_events("xenoprof") is empty when they cannot be read; then
 * hv_event_tables_error() says why ("" otherwise).  (added by hv/)
 */
const char *hv_event_tables_dir(void);
const char *hv_event_tables_error(void);

/*
 * Probe xenoprof without disturbing a session: refuses (returns 1 with WHY)
 * when a xenprofd holds the hypervisor lock of this domain, since XENOPROF_init
 * by the primary resets the hypervisor's state.  Otherwise calls
 * XENOPROF_init through libxencall and, when it worked, shuts xenoprof down
 * again.  0: available, CPU_TYPE (XENOPROF_CPU_TYPE_SIZE = 64 bytes) and
 * *NUM_EVENTS filled, *PRIMARY whether this domain is the primary;
 * -1: not available, *ERRNUM the errno init gave (0 if it was not reached)
 * and WHY a one-line reason with the fix.  (added by hv/, hv/probe.c)
 */
int hv_xenoprof_probe(char *cpu_type, int *num_events, bool *primary, int *errnum,
    char *why, size_t len);

#endif /* XP_HV_H */
