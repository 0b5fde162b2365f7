/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xenprofd: the sampling daemon.  One per session directory.
 *
 * Reads SESSDIR/setup, opens the sample source (hv), and runs one event loop
 * that drains the source's rings into the store (attrib), flushes the store
 * to SESSDIR/current every flush interval, and serves xenprof-ctl on
 * SESSDIR/xenprofd.sock.  SESSDIR/xenprofd.pid is held with flock for the
 * daemon's lifetime: a pid file or socket nobody holds is stale.
 */

#include <sys/file.h>
#include <sys/signalfd.h>
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
#include "daemon/control.h"
#include "daemon/domains.h"
#include "daemon/kernel.h"
#include "daemon/log.h"
#include "daemon/privdrop.h"
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
} d;

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

/* ---- side band -------------------------------------------------------- */

static void
sb_mmap(void *ctx, uint32_t pid, uint32_t tid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *bid, size_t bidlen, bool exec)
{
	if (exec)
		procmap_mmap(d.pm, pid, start, len, pgoff, path, bid, bidlen);
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
	procmap_forget(d.pm);
	procmap_scan(d.pm, "/proc");
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
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

		if (pwrite(fd, buf, (size_t)n, 0) != n)
			log_warn("%s", path);
	}
	lock_fd = fd;
	return fd;	/* kept open (and locked) until exit */
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
	lockfd = lock_session(d.sessdir);
	if (!foreground) {
		log_init(0, sess_path(path, sizeof(path), XP_LOG_NAME));
	}

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
	procmap_scan(d.pm, "/proc");
	meta_init(&d.store.meta);
	{
		struct xps_meta m = d.store.meta;

		if (store_init(&d.store, d.sessfd, d.sessdir, &m, &d.kern, err, sizeof(err)) == -1)
			startup_fail("%s", err);
	}
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
		.mmap = sb_mmap, .comm = sb_comm, .fork = sb_fork, .exit = sb_exit,
	};

	if ((ctl = control_open(sess_path(path, sizeof(path), XP_SOCKET_NAME), handle, NULL)) == NULL)
		startup_fail("control socket %s/%s: %s", d.sessdir, XP_SOCKET_NAME, strerror(errno));

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		startup_fail("signalfd: %s", strerror(errno));

	if (privdrop() == -1)
		startup_fail("cannot drop capabilities: %s", strerror(errno));
	log_info("xenprofd %s ready on %s (backend %s, cpu type %s)", PACKAGE_VERSION,
	    d.sessdir, hv_name(d.src), hv_cpu_type(d.src));
	if (!foreground) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		setsid();
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
		if (poll(fds, (nfds_t)(n + nctl), timeout) == -1 && errno != EINTR)
			fatal("poll");
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				exit_requested(si.ssi_signo);
		}
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
		control_dispatch(ctl, fds + 1 + nsrc, nctl);
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
	kernel_free(&d.kern);
	unlinkat(d.sessfd, XP_PIDFILE_NAME, 0);
	close(lockfd);
	log_info("exit");
	return rc;
}
