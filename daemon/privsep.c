/* SPDX-License-Identifier: GPL-2.0-or-later */
/* privsep: the privileged parent, the sampler's user and drop (privsep.h). */

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/privsep.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

#define PRIV_MAX_WORKERS	16
#define PRIV_MAPS_DEADLINE_MS	3000	/* one process's maps */
#define PRIV_ALL_DEADLINE_MS	20000	/* every process's */
#define PRIV_MAPS_FILE_MAX	(8u << 20)	/* /proc/PID/maps read at most */

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the sampler's user ------------------------------------------------ */

int
privsep_user(struct privsep_user *u, const char *want, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	if ((pw = getpwnam(want)) == NULL) {
		if ((pw = getpwnam("nobody")) == NULL) {
			snprintf(err, errlen, "the sampler's system user %s does not exist, nor nobody; "
			    "create it: useradd --system --no-create-home --home-dir /nonexistent "
			    "--shell /usr/sbin/nologin %s (the xenprof package does)", want, want);
			return -1;
		}
		snprintf(u->note, sizeof(u->note), "the system user %s does not exist: the sampler "
		    "runs as nobody, whom other daemons may share; create %s (useradd --system "
		    "--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin %s, as the "
		    "xenprof package does)", want, want, want);
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "the sampler's user %s is root (uid 0): give it a uid of its own",
		    pw->pw_name);
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

/* ---- the session dir --------------------------------------------------- */

/* A name xenprof keeps in a session dir (control/, daemon/proto.h, libsamples/). */
static int
session_name(const char *n)
{
	static const char *const names[] = {
		"current", "saved", ".current.flush", "setup", "lost+found",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(n, names[i]) == 0)
			return 1;
	/* setup.prev and the temporary names of xenprof-ctl --setup; xenprofd.pid,
	 * .sock, .log */
	return strncmp(n, "setup.", 6) == 0 || strncmp(n, ".setup.", 7) == 0 ||
	    strncmp(n, "xenprofd.", 9) == 0;
}

/* Give the regular files in directory NAME of SESSFD to U. */
static int
own_files(int sessfd, const char *sessdir, const char *name, const struct privsep_user *u,
    char *err, size_t errlen)
{
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = openat(sessfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "%s/%s: %s", sessdir, name, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat st;

		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (fchownat(fd, de->d_name, u->uid, u->gid, AT_SYMLINK_NOFOLLOW) == -1) {
			snprintf(err, errlen, "%s/%s/%s: chown: %s", sessdir, name, de->d_name,
			    strerror(errno));
			closedir(dir);
			return -1;
		}
	}
	closedir(dir);
	return 0;
}

int
privsep_own_sessdir(int sessfd, const char *sessdir, const struct privsep_user *u,
    char *err, size_t errlen)
{
	static const char *const dirs[] = { "current", ".current.flush", "saved" };
	struct stat st;

	if (fstat(sessfd, &st) == -1) {
		snprintf(err, errlen, "session dir %s: %s", sessdir, strerror(errno));
		return -1;
	}
	if (st.st_uid != u->uid) {
		/* Root's until now: given away only if it is a session dir. */
		struct dirent *de;
		DIR *dir;
		int fd = dup(sessfd);

		if (fd == -1 || (dir = fdopendir(fd)) == NULL) {
			snprintf(err, errlen, "session dir %s: %s", sessdir, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		rewinddir(dir);
		while ((de = readdir(dir)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			    session_name(de->d_name))
				continue;
			snprintf(err, errlen, "session dir %s holds %.100s, which is not a session's: give "
			    "xenprof a directory of its own (a new one is made)", sessdir, de->d_name);
			closedir(dir);
			return -1;
		}
		closedir(dir);
	}
	if (fchown(sessfd, u->uid, u->gid) == -1 || fchmod(sessfd, 0700) == -1) {
		snprintf(err, errlen, "session dir %s: cannot give it to %s: %s", sessdir, u->name,
		    strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (fstatat(sessfd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
			continue;	/* missing, or not ours to touch (the store refuses it) */
		if (fchownat(sessfd, dirs[i], u->uid, u->gid, AT_SYMLINK_NOFOLLOW) == -1) {
			snprintf(err, errlen, "%s/%s: chown: %s", sessdir, dirs[i], strerror(errno));
			return -1;
		}
		if (i < 2 && own_files(sessfd, sessdir, dirs[i], u, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* ---- capabilities ------------------------------------------------------ */

static int
cap_last(void)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), n = -1;

	if (fd != -1) {
		ssize_t r = read(fd, buf, sizeof(buf) - 1);

		if (r > 0) {
			buf[r] = '\0';
			n = atoi(buf);
		}
		close(fd);
	}
	return n > 0 && n < 64 ? n : CAP_LAST_CAP;
}

/* Cut the bounding set (and the ambient set) to the N capabilities KEEP. */
static int
bounding_keep(const int *keep, size_t n)
{
	int last = cap_last();

	for (int c = 0; c <= last; c++) {
		int k = 0;

		for (size_t i = 0; i < n; i++)
			k |= keep[i] == c;
		if (!k && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 && errno != EINVAL)
			return -1;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL)
		return -1;
	return 0;
}

/*
 * Keep only the N capabilities KEEP (effective and permitted; none
 * inheritable or ambient; the bounding set cut to them), no_new_privs.
 */
static int
caps_keep(const int *keep, size_t n)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	/* The bounding set first: it needs CAP_SETPCAP, which goes next. */
	if (bounding_keep(keep, n) == -1)
		return -1;
	memset(data, 0, sizeof(data));
	for (size_t i = 0; i < n; i++) {
		data[keep[i] / 32].effective |= 1u << (keep[i] % 32);
		data[keep[i] / 32].permitted |= 1u << (keep[i] % 32);
	}
	if (syscall(SYS_capset, &hdr, data) == -1)
		return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int
privsep_drop(const struct privsep_user *u, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uid_t r, e, s;

	/* The bounding set while CAP_SETPCAP is there; the uid change then
	 * clears the permitted and effective sets (no SECBIT_KEEP_CAPS). */
	if (bounding_keep(NULL, 0) == -1) {
		snprintf(err, errlen, "cannot drop the capabilities: %s", strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) == -1 || setresgid(u->gid, u->gid, u->gid) == -1 ||
	    setresuid(u->uid, u->uid, u->uid) == -1) {
		snprintf(err, errlen, "cannot become %s (uid %u gid %u): %s", u->name,
		    (unsigned)u->uid, (unsigned)u->gid, strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "prctl: %s", strerror(errno));
		return -1;
	}
	/* Checked, not assumed: nothing left, and no way back. */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1 || data[0].effective || data[0].permitted ||
	    data[0].inheritable || data[1].effective || data[1].permitted || data[1].inheritable ||
	    getresuid(&r, &e, &s) == -1 || r != u->uid || e != u->uid || s != u->uid ||
	    setuid(0) == 0) {
		snprintf(err, errlen, "the privileges were not all given up (uid %u, capabilities "
		    "%08x%08x)", (unsigned)geteuid(), data[1].effective, data[0].effective);
		return -1;
	}
	return 0;
}

/* ---- messages ---------------------------------------------------------- */

int
priv_send(int sock, uint16_t type, uint32_t seq, const void *payload, size_t len)
{
	struct priv_hdr h = { .version = PRIV_VERSION, .type = type, .seq = seq, .len = (uint32_t)len };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (len > PRIV_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

int
priv_recv(int sock, struct priv_msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	ssize_t n;
	int r;

	while ((r = poll(&p, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (r <= 0)
		return r;
	do
		n = recv(sock, m, sizeof(*m), MSG_TRUNC);
	while (n == -1 && errno == EINTR);
	if (n == 0) {
		errno = ECONNRESET;	/* the peer is gone */
		return -1;
	}
	if (n == -1)
		return -1;
	if ((size_t)n < sizeof(m->hdr) || (size_t)n > sizeof(*m) || m->hdr.version != PRIV_VERSION ||
	    m->hdr.len != (size_t)n - sizeof(m->hdr)) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

/* ---- the parent's /proc readers ---------------------------------------- */

/*
 * Read /proc/PID (exe and the executable lines of maps) into one R_MAPS,
 * or say R_GONE.  Runs in a worker child: blocking here holds no one.
 */
static void
send_maps(int sock, uint32_t seq, uint32_t pid, unsigned *sent)
{
	static uint8_t buf[PRIV_MAX_PAYLOAD];
	struct priv_maps *pm = (struct priv_maps *)buf;
	char path[64], *text = NULL, *line, *end;
	size_t len = 0, cap = 0, off = sizeof(*pm);
	ssize_t n;
	int fd;

	memset(pm, 0, sizeof(*pm));
	pm->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, (char *)buf + off, 4096);
	pm->exe_len = n > 0 ? (uint32_t)n : 0;
	off += pm->exe_len;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		priv_send(sock, PRIV_R_GONE, seq, &pid, sizeof(pid));
		return;
	}
	for (;;) {
		if (len + 65536 > cap) {
			char *t;

			if (cap >= PRIV_MAPS_FILE_MAX || (t = realloc(text, cap = cap ? cap * 2 : 65536)) == NULL)
				break;
			text = t;
		}
		if ((n = read(fd, text + len, cap - len - 1)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (text == NULL || len == 0) {
		free(text);
		priv_send(sock, PRIV_R_GONE, seq, &pid, sizeof(pid));
		return;
	}
	text[len] = '\0';
	/* Executable mappings only: "start-end perms offset dev inode path". */
	for (line = text; line < text + len; line = end + 1) {
		char *sp;
		size_t l;

		if ((end = memchr(line, '\n', (size_t)(text + len - line))) == NULL)
			end = text + len;
		l = (size_t)(end - line);
		if ((sp = memchr(line, ' ', l)) == NULL || sp + 4 > end || sp[3] != 'x')
			continue;
		if (off + l + 1 > sizeof(buf)) {
			pm->truncated = 1;
			break;
		}
		memcpy(buf + off, line, l);
		buf[off + l] = '\n';
		off += l + 1;
		pm->maps_len += (uint32_t)(l + 1);
	}
	free(text);
	if (priv_send(sock, PRIV_R_MAPS, seq, buf, off) == 0 && sent != NULL)
		(*sent)++;
}

struct worker {
	pid_t		pid;
	uint32_t	seq;
	uint64_t	deadline_ms;
};

/* A child that reads /proc for request SEQ (PID, or every process when 0). */
static int
spawn_worker(struct worker *w, int sock, int sfd, uint32_t seq, uint32_t pid, int all)
{
	pid_t c = fork();

	if (c == -1)
		return -1;
	if (c == 0) {
		sigset_t none;

		close(sfd);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (all) {
			unsigned sent = 0;
			DIR *d = opendir("/proc");
			struct dirent *de;

			while (d != NULL && (de = readdir(d)) != NULL) {
				char *e;
				unsigned long p = strtoul(de->d_name, &e, 10);

				if (*e == '\0' && e != de->d_name && p > 0 && p <= 0xfffffffful)
					send_maps(sock, seq, (uint32_t)p, &sent);
			}
			if (d != NULL)
				closedir(d);
			priv_send(sock, PRIV_R_END, seq, &sent, sizeof(sent));
		} else
			send_maps(sock, seq, pid, NULL);
		_exit(0);
	}
	w->pid = c;
	w->seq = seq;
	w->deadline_ms = mono_ms() + (all ? PRIV_ALL_DEADLINE_MS : PRIV_MAPS_DEADLINE_MS);
	return 0;
}

static void
reply_error(int sock, uint32_t seq, const char *msg)
{
	priv_send(sock, PRIV_R_ERROR, seq, msg, strlen(msg));
}

/* ---- the parent -------------------------------------------------------- */

int
privsep_parent(int sock, pid_t sampler, int ready_fd, int *killed)
{
	static const int keep[] = { CAP_SYS_PTRACE, CAP_KILL };
	struct worker workers[PRIV_MAX_WORKERS];
	static struct priv_msg m;
	sigset_t mask;
	int sfd, nworkers = 0, status = 0, reaped = 0, sock_open = 1;

	*killed = 0;
	/* What the parent needs from now on: /proc of other users' processes
	 * (CAP_SYS_PTRACE) and signals to the sampler, another uid (CAP_KILL);
	 * privcmd and the session dir it opens as the root user it stays. */
	if (caps_keep(keep, sizeof(keep) / sizeof(keep[0])) == -1)
		log_warn("privsep: cannot narrow the parent's capabilities");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		fatal("privsep: signalfd");

	while (!reaped) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
		uint64_t now = mono_ms();
		int timeout = -1;

		for (int i = 0; i < nworkers; i++) {
			int left = workers[i].deadline_ms > now ? (int)(workers[i].deadline_ms - now) : 0;

			if (timeout == -1 || left < timeout)
				timeout = left;
		}
		if (poll(p, sock_open ? 2 : 1, timeout) == -1 && errno != EINTR)
			fatal("privsep: poll");
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo != SIGCHLD) {
					kill(sampler, (int)si.ssi_signo);	/* it decides */
					continue;
				}
				for (;;) {
					int st;
					pid_t c = waitpid(-1, &st, WNOHANG);

					if (c <= 0)
						break;
					if (c == sampler) {
						status = st;
						reaped = 1;
						continue;
					}
					for (int i = 0; i < nworkers; i++)
						if (workers[i].pid == c) {
							workers[i] = workers[--nworkers];
							break;
						}
				}
			}
		}
		/* A reader past its deadline: stuck on a process's mmap lock, or
		 * on a huge /proc.  Killed; the request fails. */
		now = mono_ms();
		for (int i = 0; i < nworkers; i++)
			if (workers[i].deadline_ms <= now) {
				kill(workers[i].pid, SIGKILL);
				reply_error(sock, workers[i].seq, "reading /proc took too long (a process "
				    "stuck in the kernel?); its maps are not known");
				workers[i].deadline_ms = UINT64_MAX;	/* reaped at its SIGCHLD */
			}
		if (!sock_open || !(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		switch (priv_recv(sock, &m, 0)) {
		case 0:
			continue;
		case -1:
			if (errno == EPROTO) {
				/* One program on both ends: a malformed message is no sampler of ours. */
				log_warnx("privsep: a malformed message from the sampler: ending it");
				kill(sampler, SIGKILL);
			}
			sock_open = 0;	/* the sampler is exiting; its SIGCHLD ends us */
			continue;
		}
		switch (m.hdr.type) {
		case PRIV_HELLO: {
			struct priv_hello h;

			if (m.hdr.len != sizeof(h))
				break;
			memcpy(&h, m.payload, sizeof(h));
			log_debug("privsep: the sampler (pid %d) runs as uid %u gid %u", (int)h.pid,
			    h.uid, h.gid);
			if (ready_fd != -1)
				close(ready_fd);
			ready_fd = -1;
			continue;
		}
		case PRIV_PROC_MAPS:
		case PRIV_PROC_ALL: {
			uint32_t pid = 0;
			int all = m.hdr.type == PRIV_PROC_ALL;

			if (m.hdr.len != (all ? 0 : sizeof(pid)))
				break;
			if (!all)
				memcpy(&pid, m.payload, sizeof(pid));
			if (nworkers == PRIV_MAX_WORKERS)
				reply_error(sock, m.hdr.seq, "too many /proc reads at once");
			else if (spawn_worker(&workers[nworkers], sock, sfd, m.hdr.seq, pid, all) == -1)
				reply_error(sock, m.hdr.seq, strerror(errno));
			else
				nworkers++;
			continue;
		}
		case PRIV_XENOPROF: {
			struct hv_privop_args a;
			char err[HV_ERR_LEN];

			if (m.hdr.len != sizeof(a))
				break;
			memcpy(&a, m.payload, sizeof(a));
			if (a.nactive > HV_MAX_DOMAINS)
				break;
			if (hv_privop_run(&a, err, sizeof(err)) == 0)
				priv_send(sock, PRIV_R_OK, m.hdr.seq, NULL, 0);
			else
				reply_error(sock, m.hdr.seq, err);
			continue;
		}
		}
		reply_error(sock, m.hdr.seq, "not a request of this protocol version");
		log_warnx("privsep: request type %u (%u bytes) refused", m.hdr.type, m.hdr.len);
	}
	for (int i = 0; i < nworkers; i++)
		kill(workers[i].pid, SIGKILL);
	hv_privop_close();
	close(sfd);
	if (WIFSIGNALED(status)) {
		*killed = 1;
		log_warnx("the sampler was killed by signal %d", WTERMSIG(status));
		if (ready_fd != -1)
			dprintf(ready_fd, "xenprofd: the sampler died during set-up (signal %d)\n",
			    WTERMSIG(status));
		return 1;
	}
	if (ready_fd != -1)
		close(ready_fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
