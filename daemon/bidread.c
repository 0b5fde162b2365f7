/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bidread: build-ids read by an unprivileged worker process (bidread.h). */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/bidread.h"

#define BR_WINDOW	32		/* requests in flight at once */
#define BR_PATH_MAX	4096

/* A request on the wire: this, then PATHLEN bytes of path and a NUL. */
struct br_req {
	uint32_t	id;
	uint32_t	pathlen;
	uint64_t	dev, ino;
};

struct br_item {
	uint32_t	id;
	uint64_t	dev, ino;
	char	       *path;
};

struct bidread {
	struct privsep_user user;
	int		sock;
	pid_t		pid;
	/* q[0..inflight): sent, in order (the worker answers in order); then queued. */
	struct br_item *q;
	size_t		n, cap, inflight;
	uint64_t	head_ms;	/* since when q[0] is the worker's to answer */
	uint64_t	counts[BR_NSTATUS];
	uint64_t	restarts;
	pid_t		dead[8];	/* killed workers not reaped yet (stuck in the kernel) */
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
bidread_strstatus(int status)
{
	static const char *const s[BR_NSTATUS] = {
		"read", "gone", "not a regular file", "another file than mapped",
		"not readable by the sampler user", "not an ELF file", "timed out",
	};

	return status >= 0 && status < BR_NSTATUS ? s[status] : "?";
}

/* ---- reading one file -------------------------------------------------- */

int
bidread_file(int fd, uint8_t *out, size_t outlen)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	int got = 0;

	elf_version(EV_CURRENT);
	/* ELF_C_READ: read with pread, no mapping a truncated file could fault on. */
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e == NULL || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return -1;
	}
	while (got == 0 && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
			continue;
		if ((d = elf_getdata(scn, NULL)) == NULL)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    memcmp((char *)d->d_buf + noff, "GNU", 4) == 0 &&
			    nh.n_descsz > 0 && nh.n_descsz <= outlen) {
				memcpy(out, (char *)d->d_buf + doff, nh.n_descsz);
				got = (int)nh.n_descsz;
				break;
			}
		}
	}
	elf_end(e);
	return got;
}

int
bidread_open(const char *path, int nofollow, uint64_t dev, uint64_t ino, int *status,
    struct bidread_answer *a)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	char self[64];
	struct stat st;
	int fd, rfd;

	/* O_PATH: no open of the file itself (no device driver, no FIFO, no
	 * lease broken); a symlink anywhere in PATH refused when NOFOLLOW. */
	if (nofollow)
		how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd == -1 && errno == ENOSYS)	/* before Linux 5.6: the last name only */
		fd = open(path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd == -1) {
		*status = errno == ELOOP ? BR_NOT_REGULAR : errno == EACCES || errno == EPERM ?
		    BR_UNREADABLE : BR_GONE;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*status = errno == EACCES ? BR_UNREADABLE : BR_NOT_REGULAR;
		close(fd);
		return -1;
	}
	if ((dev != 0 || ino != 0) && ((uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino)) {
		*status = BR_REPLACED;
		close(fd);
		return -1;
	}
	if (a != NULL) {
		a->dev = (uint64_t)st.st_dev;
		a->ino = (uint64_t)st.st_ino;
		a->size = (uint64_t)st.st_size;
		a->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	/* That very inode, opened for reading with our own rights. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	rfd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(fd);
	if (rfd == -1) {
		*status = BR_UNREADABLE;
		return -1;
	}
	*status = BR_OK;
	return rfd;
}

/* ---- the worker -------------------------------------------------------- */

static void __attribute__((noreturn))
worker_main(int sock)
{
	static uint8_t buf[sizeof(struct br_req) + BR_PATH_MAX + 1];

	for (;;) {
		struct bidread_answer a;
		struct br_req r;
		ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
		int fd, st;

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);	/* the sampler is gone */
		if ((size_t)n < sizeof(r))
			_exit(1);
		memcpy(&r, buf, sizeof(r));
		if (r.pathlen != (size_t)n - sizeof(r) || r.pathlen == 0)
			_exit(1);
		buf[n] = '\0';
		memset(&a, 0, sizeof(a));
		a.id = r.id;
		fd = bidread_open((const char *)buf + sizeof(r), 1, r.dev, r.ino, &st, &a);
		if (fd != -1) {
			int got = bidread_file(fd, a.build_id, sizeof(a.build_id));

			close(fd);
			st = got < 0 ? BR_NOT_ELF : BR_OK;
			a.build_id_len = got > 0 ? (uint8_t)got : 0;
		}
		a.status = st;
		if (send(sock, &a, sizeof(a), MSG_NOSIGNAL) != (ssize_t)sizeof(a))
			_exit(0);
	}
}

/* Fork a worker on a new socketpair; 0, or -1 with ERR. */
static int
worker_start(struct bidread *br, char *err, size_t errlen)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "build-id reader: socketpair: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "build-id reader: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		char e[256];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Nothing but the socket: no perf fd, no log, no session dir. */
		if (dup2(sv[1], 3) == -1)
			_exit(1);
		if (syscall(SYS_close_range, 4, ~0u, 0) == -1)
			for (int fd = 4; fd < 4096; fd++)
				close(fd);
		for (int fd = 0; fd < 3; fd++) {
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

			if (nul != -1 && nul != fd) {
				dup2(nul, fd);
				close(nul);
			}
		}
		signal(SIGPIPE, SIG_IGN);
		/* A root caller's worker becomes the sampler user at once. */
		if (geteuid() == 0 && privsep_drop(&br->user, e, sizeof(e)) == -1)
			_exit(1);
		worker_main(3);
	}
	close(sv[1]);
	br->sock = sv[0];
	br->pid = pid;
	return 0;
}

/* End the worker; the in-flight requests go back to the queue. */
static void
worker_end(struct bidread *br)
{
	if (br->pid > 0) {
		kill(br->pid, SIGKILL);
		/* Reaped now if it died; a process stuck in the kernel later. */
		if (waitpid(br->pid, NULL, WNOHANG) == 0)
			for (size_t i = 0; i < sizeof(br->dead) / sizeof(br->dead[0]); i++)
				if (br->dead[i] == 0) {
					br->dead[i] = br->pid;
					break;
				}
	}
	if (br->sock != -1)
		close(br->sock);
	br->sock = -1;
	br->pid = 0;
	br->inflight = 0;
}

struct bidread *
bidread_start(const struct privsep_user *u, char *err, size_t errlen)
{
	struct bidread *br = calloc(1, sizeof(*br));

	if (br == NULL) {
		snprintf(err, errlen, "build-id reader: out of memory");
		return NULL;
	}
	br->user = *u;
	br->sock = -1;
	if (worker_start(br, err, errlen) == -1) {
		free(br);
		return NULL;
	}
	return br;
}

void
bidread_stop(struct bidread *br)
{
	if (br == NULL)
		return;
	worker_end(br);
	for (size_t i = 0; i < br->n; i++)
		free(br->q[i].path);
	free(br->q);
	free(br);
}

int
bidread_ask(struct bidread *br, uint32_t id, const char *path, uint64_t dev, uint64_t ino)
{
	struct br_item *it;

	if (strlen(path) == 0 || strlen(path) > BR_PATH_MAX)
		return -1;
	if (br->n == br->cap) {
		size_t cap = br->cap ? br->cap * 2 : 256;
		struct br_item *q = realloc(br->q, cap * sizeof(*q));

		if (q == NULL)
			return -1;
		br->q = q;
		br->cap = cap;
	}
	it = &br->q[br->n];
	if ((it->path = strdup(path)) == NULL)
		return -1;
	it->id = id;
	it->dev = dev;
	it->ino = ino;
	br->n++;
	return 0;
}

int
bidread_fd(const struct bidread *br)
{
	return br->sock;
}

size_t
bidread_pending(const struct bidread *br)
{
	return br->n;
}

void
bidread_counts(const struct bidread *br, uint64_t counts[BR_NSTATUS], uint64_t *restarts)
{
	memcpy(counts, br->counts, sizeof(br->counts));
	*restarts = br->restarts;
}

/* Send what the window allows. */
static void
send_queued(struct bidread *br)
{
	static uint8_t buf[sizeof(struct br_req) + BR_PATH_MAX];

	while (br->sock != -1 && br->inflight < br->n && br->inflight < BR_WINDOW) {
		struct br_item *it = &br->q[br->inflight];
		struct br_req r = { .id = it->id, .pathlen = (uint32_t)strlen(it->path),
		    .dev = it->dev, .ino = it->ino };

		memcpy(buf, &r, sizeof(r));
		memcpy(buf + sizeof(r), it->path, r.pathlen);
		if (send(br->sock, buf, sizeof(r) + r.pathlen, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
			return;		/* full, or the worker is gone: dispatch finds out */
		if (br->inflight++ == 0)
			br->head_ms = mono_ms();
	}
}

/* The head request is answered (A): hand it to CB, drop it. */
static void
answered(struct bidread *br, struct bidread_answer *a,
    void (*cb)(void *ctx, const struct bidread_answer *a), void *ctx)
{
	free(br->q[0].path);
	memmove(br->q, br->q + 1, (br->n - 1) * sizeof(*br->q));
	br->n--;
	br->inflight--;
	br->head_ms = mono_ms();
	if (a->status >= 0 && a->status < BR_NSTATUS)
		br->counts[a->status]++;
	cb(ctx, a);
}

void
bidread_dispatch(struct bidread *br, int wait_ms,
    void (*cb)(void *ctx, const struct bidread_answer *a), void *ctx)
{
	char err[256];

	send_queued(br);
	for (;;) {
		struct pollfd p = { .fd = br->sock, .events = POLLIN };
		struct bidread_answer a;
		ssize_t n;

		if (br->inflight == 0 || poll(&p, 1, wait_ms) <= 0)
			break;
		wait_ms = 0;
		n = recv(br->sock, &a, sizeof(a), MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n != (ssize_t)sizeof(a) || a.id != br->q[0].id) {
			/* The worker died on the head file (or spoke nonsense): that file
			 * gets no build-id, the others go to a new worker. */
			memset(&a, 0, sizeof(a));
			a.id = br->q[0].id;
			a.status = BR_NOT_ELF;
			answered(br, &a, cb, ctx);
			worker_end(br);
			br->restarts++;
			if (worker_start(br, err, sizeof(err)) == -1)
				break;
			send_queued(br);
			continue;
		}
		answered(br, &a, cb, ctx);
		send_queued(br);
	}
	/* A worker stuck on the head file (a blocking FUSE or NFS file). */
	if (br->inflight > 0 && mono_ms() - br->head_ms > BIDREAD_TIMEOUT_MS) {
		struct bidread_answer a;

		memset(&a, 0, sizeof(a));
		a.id = br->q[0].id;
		a.status = BR_TIMEOUT;
		worker_end(br);
		br->inflight = 1;	/* the head only: answered now */
		answered(br, &a, cb, ctx);
		br->restarts++;
		if (worker_start(br, err, sizeof(err)) == 0)
			send_queued(br);
	}
	/* Only our own children: the store's flush writer is reaped by the store. */
	for (size_t i = 0; i < sizeof(br->dead) / sizeof(br->dead[0]); i++)
		if (br->dead[i] > 0 && waitpid(br->dead[i], NULL, WNOHANG) != 0)
			br->dead[i] = 0;
}
