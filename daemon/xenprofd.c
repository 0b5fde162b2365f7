/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprofd: the sampling daemon.  One per session directory.
 *
 * Two processes (daemon/privsep.h): the privileged parent, and the sampler
 * it forks, which reads SESSDIR/setup, opens the sample source (hv) as root,
 * gives up its privileges, and runs one event loop that drains the source's
 * rings into the store (attrib), flushes the store to SESSDIR/current every
 * flush interval, and serves xenprof-ctl on SESSDIR/xenprofd.sock.
 * SESSDIR/xenprofd.pid (the sampler's pid) is held with flock for the
 * daemon's lifetime: a pid file or socket nobody holds is stale.
 */

#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon/attrib.h"
#include "daemon/bidread.h"
#include "daemon/control.h"
#include "daemon/domains.h"
#include "daemon/kernel.h"
#include "daemon/log.h"
#include "daemon/privsep.h"
#include "daemon/procmap.h"
#include "daemon/proto.h"
#include "daemon/setup.h"
#include "daemon/store.h"
#include "hv/hv.h"

#define MAX_POLLFDS	1024

enum daemon_state { ST_READY, ST_SAMPLING, ST_STOPPED };

static struct {
	const char     *sessdir;		/* as given, for messages */
	int		sessfd;			/* the session dir, opened once: every write is
					 * relative to it (xps_sessdir_open) */
	struct setup	setup;
	struct hv_source *src;
	struct store	store;
	struct procmap *pm;
	struct kernel	kern;
	struct attrib	attrib;
	struct hv_sink	sink;
	enum daemon_state state;
	int		quit;
	int		exiting;		/* a signal asked us to exit: flush, then quit */
	int		force_quit;		/* a second signal: quit even with samples unwritten */
	uint64_t	next_exit_try_ms;	/* exiting: when to retry the final flush */
	uint64_t	next_flush_ms;
	uint64_t	flush_errors;
	char		last_flush_error[512];
	uint32_t	self;			/* our domain id */
	uint32_t	npassive;
	uint32_t	passive[HV_MAX_DOMAINS];
	char		passive_image[HV_MAX_DOMAINS][SETUP_PATH_MAX];
	struct domains	doms;
	uint32_t	nevents;		/* as programmed by the source */
	const struct hv_event *events;
	/* privilege separation (the sampler's side) */
	struct privsep_user user;		/* what the sampler runs as */
	pid_t		parent;			/* the privileged parent */
	int		psock;			/* to it; -1 once it is gone */
	uint32_t	seq;			/* of the last request sent */
	uint64_t	maps_asked;		/* processes' maps asked of the parent */
	uint64_t	maps_failed;		/* requests it could not answer */
	struct bidread *br;			/* the unprivileged build-id reader */
} d;

/*
 * Processes whose maps the sampler asked the parent for, until the answer
 * (or the time to wait for one) is in: samples of theirs stay deferred.
 */
#define ASK_MAX		256
#define ASK_WAIT_MS	4000	/* the parent's reader gives up after 3 s */
static struct ask {
	uint32_t	pid, seq;
	uint64_t	t_ms;		/* 0: free */
} asks[ASK_MAX];

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the privileged parent, from the sampler ------------------------- */

static void
ask_done(uint32_t seq)
{
	for (int i = 0; i < ASK_MAX; i++)
		if (asks[i].t_ms && asks[i].seq == seq)
			asks[i].t_ms = 0;
}

/*
 * A reply from the parent: maps go into the procmap, whoever asked; the
 * request it answers, if it ends one, is finished.  Returns the request
 * ended (its seq), or 0.
 */
static uint32_t
priv_reply(const struct priv_msg *m, int *status, char *msg, size_t msglen)
{
	switch (m->hdr.type) {
	case PRIV_R_MAPS: {
		struct priv_maps pm;

		if (m->hdr.len < sizeof(pm))
			break;
		memcpy(&pm, m->payload, sizeof(pm));
		if ((uint64_t)sizeof(pm) + pm.exe_len + pm.maps_len != m->hdr.len || pm.exe_len >= 4096)
			break;
		{
			char exe[4096];

			memcpy(exe, m->payload + sizeof(pm), pm.exe_len);
			exe[pm.exe_len] = '\0';
			procmap_scan_text(d.pm, pm.pid, exe,
			    (const char *)m->payload + sizeof(pm) + pm.exe_len, pm.maps_len);
		}
		for (int i = 0; i < ASK_MAX; i++)
			if (asks[i].t_ms && asks[i].seq == m->hdr.seq)
				asks[i].t_ms = 0;
		return 0;	/* an R_END ends PROC_ALL; PROC_MAPS is done now */
	}
	case PRIV_R_GONE: {
		uint32_t pid;

		if (m->hdr.len != sizeof(pid))
			break;
		memcpy(&pid, m->payload, sizeof(pid));
		/* Known as exited: not asked about again. */
		procmap_exec(d.pm, pid);
		procmap_exit(d.pm, pid);
		ask_done(m->hdr.seq);
		return 0;	/* ends a PROC_MAPS, which nobody waits for; not PROC_ALL */
	}
	case PRIV_R_END:
	case PRIV_R_OK:
		ask_done(m->hdr.seq);
		*status = 0;
		return m->hdr.seq;
	case PRIV_R_ERROR:
		if (msg != NULL)
			snprintf(msg, msglen, "%.*s", (int)m->hdr.len, (const char *)m->payload);
		ask_done(m->hdr.seq);
		d.maps_failed++;
		*status = -1;
		return m->hdr.seq;
	}
	log_warnx("privsep: a malformed reply (type %u, %u bytes) ignored", m->hdr.type, m->hdr.len);
	return 0;
}

/* The parent is gone (killed, or a protocol error): no more privileged calls. */
static void
priv_lost(void)
{
	if (d.psock == -1)
		return;
	log_warnx("the privileged parent is gone (%s): no more /proc reads or hypercalls; "
	    "shutting down", strerror(errno));
	close(d.psock);
	d.psock = -1;
	for (int i = 0; i < ASK_MAX; i++)
		asks[i].t_ms = 0;
	kill(getpid(), SIGTERM);
}

/* Every reply that is in, without waiting. */
static void
priv_dispatch(void)
{
	static struct priv_msg m;
	int st, r;

	while (d.psock != -1 && (r = priv_recv(d.psock, &m, 0)) != 0) {
		if (r == -1) {
			priv_lost();
			return;
		}
		priv_reply(&m, &st, NULL, 0);
	}
}

/*
 * Send request TYPE and wait up to TIMEOUT_MS for the reply that ends it,
 * handling the others as they come: 0, or -1 with ERR.
 */
static int
priv_call(uint16_t type, const void *payload, size_t len, int timeout_ms, char *err, size_t errlen)
{
	static struct priv_msg m;
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
	uint32_t seq = ++d.seq;
	int st = -1;

	snprintf(err, errlen, "the privileged parent did not answer in %d s", timeout_ms / 1000);
	if (d.psock == -1 || priv_send(d.psock, type, seq, payload, len) == -1) {
		snprintf(err, errlen, "the privileged parent is gone; restart xenprofd");
		return -1;
	}
	for (;;) {
		uint64_t now = mono_ms();
		int r;

		if (now >= deadline)
			return -1;
		if ((r = priv_recv(d.psock, &m, (int)(deadline - now))) == -1) {
			priv_lost();
			snprintf(err, errlen, "the privileged parent is gone; restart xenprofd");
			return -1;
		}
		if (r == 1 && priv_reply(&m, &st, err, errlen) == seq)
			return st;
	}
}

/* The source's privileged calls (hv_set_privop): made by the parent. */
static int
priv_xenoprof(void *ctx, const struct hv_privop_args *a, char *err, size_t errlen)
{
	/* start may wait 10 s for the active domains */
	return priv_call(PRIV_XENOPROF, a, sizeof(*a), a->start_timeout_ms + 20000, err, errlen);
}

/* Every process's maps afresh (at --start: the side band was off). */
static void
priv_scan_all(void)
{
	char err[256];

	procmap_forget(d.pm);
	if (priv_call(PRIV_PROC_ALL, NULL, 0, 25000, err, sizeof(err)) == -1)
		log_warnx("reading the processes' maps: %s", err);
}

static int
priv_asking(void *ctx, uint32_t pid)
{
	uint64_t now = mono_ms();

	for (int i = 0; i < ASK_MAX; i++)
		if (asks[i].t_ms && asks[i].pid == pid) {
			if (now - asks[i].t_ms < ASK_WAIT_MS)
				return 1;
			asks[i].t_ms = 0;
		}
	return 0;
}

/* Ask the parent for PID's maps (attrib's ask_maps): 0, or -1 when it cannot be asked. */
static int
priv_ask_maps(void *ctx, uint32_t pid)
{
	uint64_t now = mono_ms();
	int fr = -1;

	if (d.psock == -1)
		return -1;
	if (priv_asking(ctx, pid))
		return 0;
	for (int i = 0; i < ASK_MAX && fr == -1; i++)
		if (!asks[i].t_ms || now - asks[i].t_ms >= ASK_WAIT_MS)
			fr = i;
	if (fr == -1)
		return -1;	/* a storm of unknown processes: these go [unknown] */
	if (priv_send(d.psock, PRIV_PROC_MAPS, ++d.seq, &pid, sizeof(pid)) == -1) {
		priv_lost();
		return -1;
	}
	asks[fr] = (struct ask){ .pid = pid, .seq = d.seq, .t_ms = now ? now : 1 };
	d.maps_asked++;
	return 0;
}

/* Until every answer asked for is in (at most ASK_WAIT_MS): before a complete flush. */
static void
priv_wait_asks(void)
{
	static struct priv_msg m;
	uint64_t deadline = mono_ms() + ASK_WAIT_MS;
	int st;

	for (;;) {
		int busy = 0;
		uint64_t now = mono_ms();

		for (int i = 0; i < ASK_MAX; i++)
			busy |= asks[i].t_ms && now - asks[i].t_ms < ASK_WAIT_MS;
		if (!busy || now >= deadline || d.psock == -1)
			return;
		switch (priv_recv(d.psock, &m, (int)(deadline - now))) {
		case -1:
			priv_lost();
			return;
		case 1:
			priv_reply(&m, &st, NULL, 0);
		}
	}
}

/* ---- build-ids the kernel did not give (daemon/bidread.h) ------------- */

static int
br_ask(void *ctx, uint32_t id, const char *path, uint64_t dev, uint64_t ino)
{
	return bidread_ask(d.br, id, path, dev, ino);
}

static void
br_answer(void *ctx, const struct bidread_answer *a)
{
	procmap_answer(d.pm, a->id, a->status == BR_OK, a->build_id, a->build_id_len, a->dev,
	    a->ino, a->size, a->mtime_ns);
}

/* The answers awaited, for at most MS: before a complete flush, at start. */
static void
br_wait(int ms)
{
	uint64_t deadline = mono_ms() + (uint64_t)ms;

	while (procmap_waiting(d.pm) > 0 && mono_ms() < deadline)
		bidread_dispatch(d.br, 50, br_answer, NULL);
}

/* ---- side band -------------------------------------------------------- */

static void
sb_mmap(void *ctx, const struct hv_mmap *m)
{
	if (m->exec)
		procmap_mmap_id(d.pm, m->pid, m->start, m->len, m->pgoff, m->path, m->build_id,
		    m->build_id_len, m->dev, m->ino);
}

static void
sb_comm(void *ctx, uint32_t pid, uint32_t tid, const char *comm, bool exec)
{
	if (exec && pid == tid)
		procmap_exec(d.pm, pid);
}

static void
sb_fork(void *ctx, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid)
{
	if (pid == tid)
		procmap_fork(d.pm, pid, ppid);
}

static void
sb_exit(void *ctx, uint32_t pid, uint32_t tid)
{
	if (pid == tid)
		procmap_exit(d.pm, pid);
}

/* ---- sampling --------------------------------------------------------- */

/* Deliver the rings' records; ALL: also what the source holds back to order them. */
static void
drain_mode(int all)
{
	uint64_t counted;

	if (d.state != ST_SAMPLING)
		return;
	/* Records read now may be counted at a later drain, and the other way round. */
	counted = store_total(&d.store) + store_lost(&d.store);
	if ((all ? hv_drain_all(d.src, &d.sink) : hv_drain(d.src, &d.sink)) > 0 ||
	    store_total(&d.store) + store_lost(&d.store) != counted)
		d.store.dirty = 1;
	attrib_end_pass(&d.attrib);
	procmap_end_pass(d.pm);
}

static void
drain(void)
{
	drain_mode(0);
}

/* Everything sampled so far, counted: before a flush that must be complete. */
static void
drain_complete(void)
{
	drain_mode(1);
	/* The processes whose maps are being read, the files whose build-ids
	 * are: their samples wait for them. */
	priv_wait_asks();
	br_wait(BIDREAD_TIMEOUT_MS + 500);
	attrib_end_pass(&d.attrib);
	attrib_flush_pending(&d.attrib);
}

/* A flush failed: keep sampling (the samples stay in memory), say so. */
static void
flush_failed(const char *e)
{
	/* The same error again and again (a full disk): logged once a minute. */
	if (strcmp(e, d.last_flush_error) != 0 || d.flush_errors % 60 == 0)
		log_warnx("%s", e);
	d.flush_errors++;
	snprintf(d.last_flush_error, sizeof(d.last_flush_error), "%s", e);
}

static int
flush(char *err, size_t errlen)
{
	char e[512];

	if (store_flush(&d.store, e, sizeof(e)) == -1) {
		flush_failed(e);
		if (err)
			snprintf(err, errlen, "%s", e);
		return -1;
	}
	d.next_flush_ms = mono_ms() + d.setup.flush_ms;
	return 0;
}

static int
do_start(char *reply, size_t len)
{
	char err[HV_ERR_LEN];

	if (d.state == ST_SAMPLING) {
		snprintf(reply, len, "already sampling");
		return XP_REP_OK;
	}
	if (d.exiting) {
		snprintf(reply, len, "xenprofd is exiting (a signal asked it to): it waits for its final "
		    "flush; start again once it is gone");
		return XP_REP_ERROR;
	}
	/* Processes came and went while the side band was off: start over. */
	priv_scan_all();
	if (hv_start(d.src, err, sizeof(err)) == -1) {
		snprintf(reply, len, "%s", err);
		return XP_REP_ERROR;
	}
	if (d.store.meta.start_time == 0)
		d.store.meta.start_time = real_ns();
	d.store.meta.stop_time = 0;
	d.state = ST_SAMPLING;
	log_info("sampling started");
	if (strncmp(hv_tracking(d.src), "none", 4) == 0)
		snprintf(reply, len, "sampling started; warning: process tracking: %s",
		    hv_tracking(d.src));
	else
		snprintf(reply, len, "sampling started");
	return XP_REP_OK;
}

static int
do_stop(char *reply, size_t len)
{
	char err[HV_ERR_LEN];

	if (d.state != ST_SAMPLING) {
		snprintf(reply, len, "not sampling");
		return flush(reply, len) == 0 ? XP_REP_OK : XP_REP_ERROR;
	}
	if (hv_stop(d.src, err, sizeof(err)) == -1)
		log_warnx("stop: %s", err);
	drain();	/* what the rings still hold */
	drain();	/* and the side band that explains the last of it */
	attrib_flush_pending(&d.attrib);
	d.state = ST_STOPPED;
	d.store.meta.stop_time = real_ns();
	if (flush(reply, len) == -1)
		return XP_REP_ERROR;
	log_info("sampling stopped");
	snprintf(reply, len, "sampling stopped; %llu samples, %llu lost",
	    (unsigned long long)store_total(&d.store), (unsigned long long)store_lost(&d.store));
	return XP_REP_OK;
}

static void
status_text(char *out, size_t len)
{
	static const char *names[] = { "ready (not sampling)", "sampling", "stopped" };
	struct hv_stats hs;
	size_t live, dead, files, o = 0;
	char sep[64];

	hv_stats(d.src, &hs);
	procmap_counts(d.pm, &live, &dead, &files);
#define OUT(...) do { if (o < len) o += (size_t)snprintf(out + o, len - o, __VA_ARGS__); } while (0)
	OUT("state: %s\n", names[d.state]);
	OUT("daemon pid: %d\n", (int)getpid());
	OUT("sampler: pid %d, user %s (uid %u), no capabilities; privileged parent: pid %d\n",
	    (int)getpid(), d.user.name, (unsigned)d.user.uid, (int)d.parent);
	if (d.user.note[0])
		OUT("warning: %s\n", d.user.note);
	OUT("session dir: %s\n", d.sessdir);
	OUT("backend: %s\n", hv_name(d.src));
	OUT("cpu type: %s\n", hv_cpu_type(d.src));
	if (hv_note(d.src)[0])
		OUT("note: xenoprof not used: %s\n", hv_note(d.src));
	for (uint32_t i = 0; i < d.nevents; i++) {
		const struct hv_event *e = &d.events[i];

		OUT("event %u: %s count %llu unit mask 0x%x%s%s\n", i, e->name,
		    (unsigned long long)e->count, e->unit_mask,
		    e->kernel ? " kernel" : "", e->user ? " user" : "");
	}
	OUT("separate: %s\n", setup_separate_str(d.setup.separate, sep, sizeof(sep)));
	OUT("kernel image: %s\n", d.setup.vmlinux[0] ? d.setup.vmlinux : "[kernel.kallsyms]");
	if (d.setup.xen[0])
		OUT("xen image: %s\n", d.setup.xen);
	OUT("samples: %llu\n", (unsigned long long)store_total(&d.store));
	OUT("lost: %llu\n", (unsigned long long)store_lost(&d.store));
	for (uint32_t i = 0; i < d.store.nprof; i++) {
		struct xps_profile *p = d.store.prof[i];
		const char *name = xps_profile_name(p);

		OUT("domain %u (%s): %llu samples, %llu lost\n", xps_profile_domid(p),
		    name && name[0] ? name : "?",
		    (unsigned long long)xps_profile_total(p),
		    (unsigned long long)xps_profile_lost_total(p));
	}
	if (d.attrib.unattributed)
		OUT("unattributed: %llu\n", (unsigned long long)d.attrib.unattributed);
	if (d.attrib.ambiguous)
		OUT("ambiguous user samples: %llu\n", (unsigned long long)d.attrib.ambiguous);
	if (d.attrib.rescans)
		OUT("process maps read again (samples kept missing them): %llu\n",
		    (unsigned long long)d.attrib.rescans);
	{
		uint64_t bc[BR_NSTATUS], restarts, without = 0;
		char why[512] = "";
		size_t w = 0;

		bidread_counts(d.br, bc, &restarts);
		for (int i = 1; i < BR_NSTATUS; i++)
			if (bc[i]) {
				without += bc[i];
				w += (size_t)snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0,
				    "%s%llu %s", w ? ", " : "", (unsigned long long)bc[i],
				    bidread_strstatus(i));
			}
		if (bc[BR_OK] || without)
			OUT("files read for their build-id (unprivileged): %llu read, %llu not%s%s%s; "
			    "%llu readers replaced\n", (unsigned long long)bc[BR_OK],
			    (unsigned long long)without, w ? " (" : "", why, w ? ")" : "",
			    (unsigned long long)restarts);
	}
	if (d.maps_asked || d.maps_failed)
		OUT("processes' maps read by the privileged parent: %llu asked, %llu requests failed\n",
		    (unsigned long long)d.maps_asked, (unsigned long long)d.maps_failed);
	OUT("source records: %llu\n", (unsigned long long)hs.records);
	if (strcmp(hv_name(d.src), "xenoprof") == 0)
		OUT("hypervisor logged: %llu samples, %llu lost (the rings' headers, since this "
		    "daemon mapped them)\n", (unsigned long long)hs.hv_logged,
		    (unsigned long long)hs.hv_lost);
	if (hv_tracking(d.src)[0])
		OUT("process tracking: %s; %llu side-band records, %llu lost\n", hv_tracking(d.src),
		    (unsigned long long)hs.sb_records, (unsigned long long)hs.sb_lost);
	if (hv_xenstore_note()[0])
		OUT("xenstore: %s\n", hv_xenstore_note());
	OUT("processes tracked: %zu live, %zu exited awaiting drain, %zu files\n", live, dead, files);
	OUT("flushes: %llu (every %u ms)\n", (unsigned long long)d.store.flushes, d.setup.flush_ms);
	if (d.flush_errors)
		OUT("flush errors: %llu, last: %s\n", (unsigned long long)d.flush_errors, d.last_flush_error);
	if (d.exiting)
		OUT("exiting: the final flush failed; %llu samples are not written yet and are kept "
		    "until a flush succeeds (retried every second; SIGTERM again exits without them)\n",
		    (unsigned long long)store_unwritten(&d.store));
#undef OUT
	if (o >= len && len > 0)
		out[len - 1] = '\0';
	else if (o > 0 && out[o - 1] == '\n')
		out[o - 1] = '\0';
}

/* The control protocol's request handler (see daemon/proto.h). */
static int
handle(void *ctx, uint16_t type, const char *payload, uint32_t len, char *reply, size_t rlen)
{
	char name[XPS_NAME_MAX + 2];

	switch (type) {
	case XP_REQ_STATUS:
		drain();
		status_text(reply, rlen);
		return XP_REP_OK;
	case XP_REQ_START:
		return do_start(reply, rlen);
	case XP_REQ_STOP:
		return do_stop(reply, rlen);
	case XP_REQ_DUMP:
		drain_complete();
		if (flush(reply, rlen) == -1)
			return XP_REP_ERROR;
		snprintf(reply, rlen, "dumped %llu samples, %llu lost",
		    (unsigned long long)store_total(&d.store), (unsigned long long)store_lost(&d.store));
		return XP_REP_OK;
	case XP_REQ_SAVE:
		if (len == 0 || len > XPS_NAME_MAX) {
			snprintf(reply, rlen, "--save: a session name of 1 to %d characters is needed", XPS_NAME_MAX);
			return XP_REP_ERROR;
		}
		memcpy(name, payload, len);
		name[len] = '\0';
		if (memchr(payload, '\0', len) != NULL) {
			snprintf(reply, rlen, "--save: the session name contains a NUL byte");
			return XP_REP_ERROR;
		}
		drain_complete();
		if (store_save(&d.store, name, reply, rlen) == -1)
			return XP_REP_ERROR;
		log_info("session saved as %s", name);
		snprintf(reply, rlen, "saved session %s", name);
		return XP_REP_OK;
	case XP_REQ_RESET:
		drain_complete();
		if (store_reset(&d.store, reply, rlen) == -1)
			return XP_REP_ERROR;
		log_info("session reset");
		snprintf(reply, rlen, "current session reset");
		return XP_REP_OK;
	case XP_REQ_SHUTDOWN:
		if (do_stop(reply, rlen) != XP_REP_OK)
			return XP_REP_ERROR;
		d.quit = 1;
		log_info("shutting down");
		snprintf(reply, rlen, "xenprofd shut down; %llu samples, %llu lost",
		    (unsigned long long)store_total(&d.store), (unsigned long long)store_lost(&d.store));
		return XP_REP_OK;
	default:
		snprintf(reply, rlen, "unknown request type %u", type);
		return XP_REP_ERROR;
	}
}

/*
 * What exiting needs: sampling stopped and every sample written.  0 when
 * done, -1 (the samples still in memory) when the flush failed.
 */
static int
final_flush(void)
{
	char reply[512];

	if (d.state == ST_SAMPLING)
		return do_stop(reply, sizeof(reply)) == XP_REP_OK ? 0 : -1;
	if (d.store.dirty || store_unwritten(&d.store) > 0)
		return flush(NULL, 0);
	return 0;
}

/*
 * A signal asked us to exit.  The first one: exit once the final flush
 * succeeds; until then keep the samples, serve --status, and retry every
 * second (a full disk frees up).  A second one: exit anyway, saying what is
 * lost.
 */
static void
exit_requested(uint32_t signo)
{
	if (d.exiting) {
		log_warnx("signal %u again: exiting without waiting for a flush to succeed", signo);
		d.force_quit = 1;
		d.quit = 1;
		return;
	}
	log_info("signal %u: shutting down", signo);
	d.exiting = 1;
	d.next_exit_try_ms = 0;
}

static void
exit_try(void)
{
	if (!d.exiting || d.quit || mono_ms() < d.next_exit_try_ms)
		return;
	if (final_flush() == 0) {
		d.quit = 1;
		return;
	}
	if (d.next_exit_try_ms == 0)
		log_warnx("the final flush failed (%s): %llu samples are not written; they are kept "
		    "in memory and written as soon as a flush succeeds (retried every second; free "
		    "space). SIGTERM again exits without them", d.last_flush_error,
		    (unsigned long long)store_unwritten(&d.store));
	d.next_exit_try_ms = mono_ms() + 1000;
}

/* ---- start-up --------------------------------------------------------- */

static int ready_fd = -1;
static int lock_fd = -1;	/* the pid file, once we hold its lock */
static uint32_t sampler_uid;	/* besides root, who may own the session dir */

/* Tell xenprof-ctl (waiting on READY_FD) that we failed, and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
startup_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A daemon that never came up leaves no pid behind (xenprof-ctl takes
	 * a pid in an unlocked pid file for one that died while running). */
	if (lock_fd != -1)
		(void)!ftruncate(lock_fd, 0);
	if (ready_fd != -1) {
		/* xenprof-ctl prints it; only the log file needs a copy. */
		dprintf(ready_fd, "%s\n", msg);
		close(ready_fd);
		if (log_is_stderr())
			exit(1);
	}
	fatalx("%s", msg);
}

/*
 * NAME in the session dir as a path through our fd of it, for the calls
 * that take no directory fd (bind, and the shared setup and log code): it
 * resolves to the directory opened at start, wherever its path now leads.
 */
static const char *
sess_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s", d.sessfd, name);
	return buf;
}

/*
 * Open the session dir once (refused when a user other than root could
 * replace it: xps_sessdir_open), make it private, and lock its pid file.
 */
static int
lock_session(const char *sessdir)
{
	char path[4200], buf[32];
	struct stat st;
	int fd;

	if ((d.sessfd = xps_sessdir_open(sessdir, sampler_uid, 1)) == -1)
		startup_fail("%s", xps_errmsg());
	if (fstat(d.sessfd, &st) == -1)
		startup_fail("session dir %s: %s", sessdir, strerror(errno));
	if ((st.st_mode & 077) != 0 && fchmod(d.sessfd, 0700) == -1)
		startup_fail("session dir %s: chmod: %s", sessdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", sessdir, XP_PIDFILE_NAME);
	fd = openat(d.sessfd, XP_PIDFILE_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		startup_fail("%s: %s", path, strerror(errno));
	/* xenprof-ctl --save/--reset without a daemon hold the lock for a moment:
	 * wait for them (up to 2 s); a daemon holds it for good. */
	for (int i = 0; i < 40 && flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK; i++)
		usleep(50000);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		startup_fail("another xenprofd (pid %ld) is running on %s; stop it with xenprof-ctl --shutdown",
		    strtol(buf, NULL, 10), sessdir);
	}
	/* We hold the lock: whatever was in the pid file was stale. */
	(void)!ftruncate(fd, 0);
	lock_fd = fd;
	return fd;	/* kept open (and locked) until exit, by both processes */
}

/* The pid file says the sampler's pid: the process xenprof-ctl talks to. */
static void
write_pidfile(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

	if (ftruncate(lock_fd, 0) == -1 || pwrite(lock_fd, buf, (size_t)n, 0) != n)
		log_warn("%s/%s", d.sessdir, XP_PIDFILE_NAME);
}

/* Does sysfs (in test builds under $XENPROF_SYSROOT) say we run on Xen? */
static int
on_xen(void)
{
	const char *root = XP_TEST_ENV("XENPROF_SYSROOT");
	char path[4200], buf[16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sys/hypervisor/type", root ? root : "");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n >= 3 && strncmp(buf, "xen", 3) == 0;
}

static void
meta_init(struct xps_meta *m)
{
	struct utsname un;

	memset(m, 0, sizeof(*m));
	snprintf(m->backend, sizeof(m->backend), "%s", hv_name(d.src));
	snprintf(m->cpu_type, sizeof(m->cpu_type), "%s", hv_cpu_type(d.src));
	if (uname(&un) == 0)
		snprintf(m->hostname, sizeof(m->hostname), "%.63s", un.nodename);
	m->separate = d.setup.separate;
	m->callgraph = d.setup.callgraph;
	snprintf(m->vmlinux, sizeof(m->vmlinux), "%s", d.setup.vmlinux);
	snprintf(m->xen, sizeof(m->xen), "%s", d.setup.xen);
	/* Xen PV kernels are not randomized: vmlinux addresses are the runtime
	 * ones.  On perf, the running kernel's _text gives the KASLR slide. */
	m->kernel_text = strcmp(m->backend, "xenoprof") == 0 ? 0 : d.kern.text;
	m->nevents = d.nevents;
	for (uint32_t i = 0; i < d.nevents && i < XPS_MAX_EVENTS; i++) {
		const struct hv_event *e = &d.events[i];

		snprintf(m->events[i].name, sizeof(m->events[i].name), "%s", e->name);
		m->events[i].count = e->count;
		m->events[i].unit_mask = e->unit_mask;
		m->events[i].kernel = e->kernel;
		m->events[i].user = e->user;
	}
	m->ndomains = 0;
	{
		struct xps_domain_desc *dd = &m->domains[m->ndomains++];
		const char *name = domains_name(&d.doms, d.self);
		char own[64];
		uint32_t id;

		/* A domU cannot list the domains: its own name is in xenstore. */
		if (!name[0] && d.self != 0 && hv_xenstore_self(&id, own, sizeof(own), NULL, 0) == 0)
			name = own;
		dd->domid = d.self;
		snprintf(dd->name, sizeof(dd->name), "%s", name[0] ? name : d.self == 0 ? "Domain-0" : "");
		dd->role = 0;	/* self: its kernel is the kallsyms or --vmlinux this daemon read */
		snprintf(dd->kernel, sizeof(dd->kernel), "%s",
		    d.setup.vmlinux[0] ? d.setup.vmlinux : "[kernel.kallsyms]");
	}
	for (uint32_t i = 0; i < d.npassive && m->ndomains < XPS_MAX_DOMAINS; i++) {
		struct xps_domain_desc *dd = &m->domains[m->ndomains++];

		dd->domid = d.passive[i];
		snprintf(dd->name, sizeof(dd->name), "%s", domains_name(&d.doms, d.passive[i]));
		dd->role = 2;
		snprintf(dd->kernel, sizeof(dd->kernel), "%s", d.passive_image[i]);
	}
	if (on_xen() || strcmp(m->backend, "xenoprof") == 0)
		m->flags |= XPS_META_ON_XEN;
	if (strcmp(m->cpu_type, "timer") == 0)
		m->flags |= XPS_META_NO_PMU;
	if (d.setup.xen[0]) {
		m->xen_build_id_len = (uint8_t)procmap_read_build_id(d.setup.xen, m->xen_build_id,
		    sizeof(m->xen_build_id));
	}
}

/* --active-domains / --passive-domains / --passive-images into CFG and d. */
static int
resolve_domains(struct hv_config *cfg, char *err, size_t errlen)
{
	if (setup_domains(&d.setup, &d.doms, cfg, d.passive_image, err, errlen) == -1)
		return -1;
	d.npassive = cfg->npassive;
	memcpy(d.passive, cfg->passive, sizeof(cfg->passive[0]) * cfg->npassive);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: xenprofd [-dv] [--session-dir=DIR] [--ready-fd=FD]\n"
	    "xenprofd is normally started by xenprof-ctl --start-daemon; see xenprofd(8).\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session-dir", required_argument, NULL, 's' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "foreground", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char path[4200], err[SETUP_ERR_LEN];
	struct hv_config cfg;
	struct control *ctl;
	struct pollfd fds[MAX_POLLFDS];
	sigset_t mask;
	int c, foreground = 0, sfd, lockfd, nsrc, nctl, rc = 0;

	/* fds 0-2 open, so that no file we open later lands on them (the
	 * daemon points them at /dev/null once ready). */
	{
		int fd;

		while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1 && fd <= 2)
			fcntl(fd, F_SETFD, 0);
		if (fd > 2)
			close(fd);
	}
	d.sessdir = "/var/lib/xenprof";
	d.sessfd = d.psock = -1;
	while ((c = getopt_long(argc, argv, "dvh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			d.sessdir = optarg;
			break;
		case 'r':
			ready_fd = atoi(optarg);
			if (ready_fd <= 2 || fcntl(ready_fd, F_GETFD) == -1)
				ready_fd = -1;	/* not an fd we were given */
			break;
		case 'd':
			foreground = 1;
			break;
		case 'v':
			log_setverbose(1);
			break;
		case 'V':
			printf("xenprofd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (geteuid() != 0) {
		fprintf(stderr, "xenprofd: must run as root (uid 0)\n");
		return 1;
	}
	umask(077);
	log_init(1, NULL);
	{
		/* Test builds: the user named by $XENPROF_SAMPLER_USER (a missing one, root). */
		const char *want = XP_TEST_ENV("XENPROF_SAMPLER_USER");

		if (privsep_user(&d.user, want && *want ? want : XP_SAMPLER_USER, err, sizeof(err)) == -1)
			startup_fail("%s", err);
	}
	sampler_uid = d.user.uid;
	lockfd = lock_session(d.sessdir);
	/* The sampler writes the session: the directory becomes its user's. */
	if (privsep_own_sessdir(d.sessfd, d.sessdir, &d.user, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	if (!foreground) {
		log_init(0, sess_path(path, sizeof(path), XP_LOG_NAME));
		setsid();
	}
	if (d.user.note[0])
		log_warnx("%s", d.user.note);
	signal(SIGPIPE, SIG_IGN);

	/* The privileged parent and the sampler (daemon/privsep.h). */
	{
		int sv[2];
		pid_t pid;

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
			startup_fail("socketpair: %s", strerror(errno));
		d.parent = getpid();
		if ((pid = fork()) == -1)
			startup_fail("fork: %s", strerror(errno));
		if (pid > 0) {
			int killed;

			close(sv[1]);
			if (!foreground) {
				/* It logs to the log file: the caller's stdio is let go
				 * (a $(xenprof-ctl --start) must see its end). */
				int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

				if (nul != -1) {
					dup2(nul, 0);
					dup2(nul, 1);
					dup2(nul, 2);
					close(nul);
				}
			}
			rc = privsep_parent(sv[0], pid, ready_fd, &killed);
			/* A sampler that exited has removed the pid file; one that
			 * was killed leaves its pid, unlocked from now on. */
			return rc;
		}
		close(sv[0]);
		d.psock = sv[1];
		/* Without the parent no hypercall can be made: end as on SIGTERM. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != d.parent)
			_exit(1);
		write_pidfile();
	}
	/* The build-id reader first, while nothing of the set-up is in memory:
	 * it becomes the sampler user at once. */
	if ((d.br = bidread_start(&d.user, err, sizeof(err))) == NULL)
		startup_fail("%s", err);

	setup_init(&d.setup);
	snprintf(path, sizeof(path), "%s/%s", d.sessdir, XP_SETUP_NAME);
	if (setup_loadat(&d.setup, d.sessfd, XP_SETUP_NAME, path, err, sizeof(err)) == -1 ||
	    setup_finish(&d.setup, err, sizeof(err)) == -1)
		startup_fail("%s", err);

	setup_hv_config(&d.setup, &cfg);
	if (d.setup.active[0] || d.setup.passive[0] || strcmp(d.setup.backend, "perf") != 0)
		domains_load(&d.doms);
	else
		d.doms.nknown = -1;
	if (resolve_domains(&cfg, err, sizeof(err)) == -1 ||
	    setup_check_images(&d.setup, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	d.src = hv_open(&cfg, err, sizeof(err));
	if (d.src == NULL)
		startup_fail("%s", err);
	d.events = hv_source_events(d.src, &d.nevents);
	d.self = strcmp(hv_name(d.src), "xenoprof") == 0 ? hv_self_domid() : 0;
	if (hv_note(d.src)[0])
		log_info("xenoprof not used: %s", hv_note(d.src));
	if (strncmp(hv_tracking(d.src), "none", 4) == 0)
		log_warnx("process tracking: %s", hv_tracking(d.src));
	if (hv_xenstore_note()[0])
		log_warnx("%s", hv_xenstore_note());

	{
		/* The running kernel's symbols, modules and build-id (test
		 * builds: below $XENPROF_SYSROOT when set). */
		const char *root = XP_TEST_ENV("XENPROF_SYSROOT");
		char ks[4200], mods[4200], notes[4200];

		root = root ? root : "";
		snprintf(ks, sizeof(ks), "%s/proc/kallsyms", root);
		snprintf(mods, sizeof(mods), "%s/proc/modules", root);
		snprintf(notes, sizeof(notes), "%s/sys/kernel/notes", root);
		kernel_load(&d.kern, ks, mods, notes);
	}
	d.pm = procmap_new();
	procmap_set_reader(d.pm, br_ask, NULL);
	procmap_scan(d.pm, "/proc");
	meta_init(&d.store.meta);
	attrib_init(&d.attrib, &d.store, d.pm, &d.kern);
	d.attrib.separate = d.setup.separate;
	d.attrib.xen = d.setup.xen;
	/* perf-like sources (perf, replay) in a dom0 with vPMU. */
	d.attrib.xen_host = strcmp(hv_name(d.src), "xenoprof") != 0 && (d.setup.xen[0] || on_xen());
	d.attrib.xen_build_id = d.store.meta.xen_build_id;
	d.attrib.xen_build_id_len = d.store.meta.xen_build_id_len;
	for (uint32_t i = 0; i < d.store.meta.ndomains; i++) {
		const struct xps_domain_desc *dd = &d.store.meta.domains[i];

		attrib_domain(&d.attrib, dd->domid, dd->name, dd->domid == d.self,
		    dd->domid == d.self ? d.setup.vmlinux : dd->kernel);
	}
	d.sink = (struct hv_sink){
		.ctx = &d.attrib, .sample = attrib_sample, .lost = attrib_lost,
		.mmap_file = sb_mmap, .comm = sb_comm, .fork = sb_fork, .exit = sb_exit,
	};

	if ((ctl = control_open(sess_path(path, sizeof(path), XP_SOCKET_NAME), handle, NULL)) == NULL)
		startup_fail("control socket %s/%s: %s", d.sessdir, XP_SOCKET_NAME, strerror(errno));

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		startup_fail("signalfd: %s", strerror(errno));

	/*
	 * The privileged set-up is done: close privcmd (it passes any
	 * hypercall), hand the rest to the parent, and become the sampler
	 * user with no capabilities.  The store is opened, and its session
	 * continued or begun, as that user: the files are its own.
	 */
	hv_set_privop(d.src, priv_xenoprof, NULL);
	if (hv_unprivileged(d.src, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	if (privsep_drop(&d.user, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	{
		struct xps_meta m = d.store.meta;

		if (store_init(&d.store, d.sessfd, d.sessdir, &m, &d.kern, err, sizeof(err)) == -1)
			startup_fail("%s", err);
	}
	d.attrib.ask_maps = priv_ask_maps;
	d.attrib.asking = priv_asking;
	/* The build-ids of the files the first scan found, before samples come. */
	br_wait(5000);
	{
		struct priv_hello h = { .pid = (int32_t)getpid(), .uid = (uint32_t)d.user.uid,
		    .gid = (uint32_t)d.user.gid };

		if (priv_send(d.psock, PRIV_HELLO, ++d.seq, &h, sizeof(h)) == -1)
			startup_fail("the privileged parent is gone: %s", strerror(errno));
	}
	log_info("xenprofd %s ready on %s (backend %s, cpu type %s; sampling as %s, uid %u)",
	    PACKAGE_VERSION, d.sessdir, hv_name(d.src), hv_cpu_type(d.src), d.user.name,
	    (unsigned)d.user.uid);
	if (!foreground) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul != -1) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			close(nul);
		}
	}
	if (ready_fd != -1) {
		dprintf(ready_fd, "ok\n");
		close(ready_fd);
		ready_fd = -1;
	}
	d.state = ST_READY;
	d.next_flush_ms = mono_ms() + d.setup.flush_ms;

	while (!d.quit) {
		int n = 0, timeout;
		uint64_t now;

		fds[n].fd = sfd;
		fds[n++].events = POLLIN;
		fds[n].fd = d.psock;	/* -1 (ignored by poll) once the parent is gone */
		fds[n++].events = POLLIN;
		fds[n].fd = bidread_fd(d.br);	/* a new one after a stuck worker was replaced */
		fds[n++].events = POLLIN;
		nsrc = d.state == ST_SAMPLING ? hv_pollfds(d.src, fds + n, MAX_POLLFDS / 2) : 0;
		n += nsrc;
		nctl = control_pollfds(ctl, fds + n, MAX_POLLFDS - n);
		now = mono_ms();
		if (d.state == ST_SAMPLING) {
			timeout = hv_poll_interval_ms(d.src);
			if (d.next_flush_ms <= now)
				timeout = 0;
			else if (d.next_flush_ms - now < (uint64_t)timeout)
				timeout = (int)(d.next_flush_ms - now);
		} else
			timeout = 1000;
		if (d.exiting && timeout > 1000)
			timeout = 1000;
		if (bidread_pending(d.br) > 0 && timeout > 100)
			timeout = 100;	/* a stuck reader is noticed in time */
		if (poll(fds, (nfds_t)(n + nctl), timeout) == -1 && errno != EINTR)
			fatal("poll");
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				exit_requested(si.ssi_signo);
		}
		if (fds[1].revents)
			priv_dispatch();	/* maps the parent read for us */
		if (bidread_pending(d.br) > 0)
			bidread_dispatch(d.br, 0, br_answer, NULL);
		drain();
		if (d.state == ST_SAMPLING && d.store.dirty && mono_ms() >= d.next_flush_ms) {
			/* Periodic flushes are written by a child: the rings keep draining. */
			if (store_flush_bg(&d.store) == -1)
				flush(NULL, 0);
			d.next_flush_ms = mono_ms() + d.setup.flush_ms;
		}
		{
			char e[512];

			if (store_flush_bg_poll(&d.store, e, sizeof(e)) == -1)
				flush_failed(e);
		}
		control_dispatch(ctl, fds + 3 + nsrc, nctl);
		exit_try();
	}

	/* --shutdown stopped and flushed; a forced exit tries once more. */
	if (final_flush() == -1) {
		log_warnx("exiting with %llu samples not written (the last flush failed: %s): "
		    "they are lost; the session on disk has those of the last flush that succeeded",
		    (unsigned long long)store_unwritten(&d.store), d.last_flush_error);
		rc = 1;
	}
	control_close(ctl);
	hv_close(d.src);
	attrib_fini(&d.attrib);
	store_fini(&d.store);
	procmap_free(d.pm);
	bidread_stop(d.br);
	kernel_free(&d.kern);
	unlinkat(d.sessfd, XP_PIDFILE_NAME, 0);
	close(lockfd);
	log_info("exit");
	return rc;
}
