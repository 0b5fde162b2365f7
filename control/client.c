/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xenprof-ctl's side of the control protocol (daemon/proto.h). */

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl.h"
#include "daemon/proto.h"

long
ctl_daemon_pid(const struct ctl *c)
{
	char path[4200], buf[32];
	ssize_t n;
	long pid = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", c->sessdir, XP_PIDFILE_NAME);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	/* A lock we can take means nobody holds the session: the file is stale. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		return 0;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	close(fd);
	return pid > 0 ? pid : 1;
}

long
ctl_dead_daemon(const struct ctl *c)
{
	char path[4200], buf[32];
	ssize_t n;
	long pid = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", c->sessdir, XP_PIDFILE_NAME);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 && (n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	close(fd);
	return pid > 0 ? pid : 0;
}

void
ctl_forget_dead(const struct ctl *c)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", c->sessdir, XP_PIDFILE_NAME);
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	/* Under the lock, and emptied rather than removed: a daemon starting
	 * now either holds the lock (we leave it alone) or writes its pid later. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		(void)!ftruncate(fd, 0);
	close(fd);
}

/* 0: no progress output, 1: a self-updating line (tty), 2: one line per report. */
static int
progress_mode(void)
{
	const char *e = getenv("XENPROF_PROGRESS");

	if (e && strcmp(e, "0") == 0)
		return 0;
	if (e && strcmp(e, "1") == 0)
		return isatty(2) ? 1 : 2;
	return isatty(2) ? 1 : 0;
}

static int progress_shown;

void
ctl_progress(int elapsed_s, const char *fmt, ...)
{
	int mode = progress_mode();
	va_list ap;

	if (mode == 0 || elapsed_s < 1)
		return;
	fprintf(stderr, mode == 1 ? "\rxenprof-ctl: " : "xenprof-ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, mode == 1 ? "... (%d s)\033[K" : "... (%d s)\n", elapsed_s);
	fflush(stderr);
	progress_shown = mode;
}

void
ctl_progress_done(void)
{
	if (progress_shown == 1) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	progress_shown = 0;
}

void
ctl_waiting_for(const struct ctl *c, uint16_t type, char *buf, size_t len)
{
	struct setup s;
	char path[4200], err[SETUP_ERR_LEN];

	switch (type) {
	case XP_REQ_START:
		setup_init(&s);
		snprintf(path, sizeof(path), "%s/%s", c->sessdir, XP_SETUP_NAME);
		if (setup_load(&s, path, err, sizeof(err)) == 0 && s.active[0])
			snprintf(buf, len, "waiting for the active domains %s to start sampling", s.active);
		else
			snprintf(buf, len, "waiting for xenprofd to start sampling");
		break;
	case XP_REQ_STOP:
		snprintf(buf, len, "waiting for xenprofd to stop sampling and write every sample to the files");
		break;
	case XP_REQ_DUMP:
		snprintf(buf, len, "waiting for xenprofd to write the samples taken so far to the files");
		break;
	case XP_REQ_SAVE:
		snprintf(buf, len, "waiting for xenprofd to write the samples and save the session");
		break;
	case XP_REQ_RESET:
		snprintf(buf, len, "waiting for xenprofd to discard the current samples");
		break;
	case XP_REQ_SHUTDOWN:
		snprintf(buf, len, "waiting for xenprofd to stop sampling and flush before it exits");
		break;
	case XP_REQ_STATUS:
		snprintf(buf, len, "waiting for xenprofd to report its status");
		break;
	default:
		snprintf(buf, len, "waiting for xenprofd to answer");
		break;
	}
}

int
ctl_wait_exit(const struct ctl *c, int timeout_s)
{
	long pid = ctl_daemon_pid(c);

	for (int i = 0; i < timeout_s * 20; i++) {
		if (ctl_daemon_pid(c) == 0) {
			ctl_progress_done();
			return 0;
		}
		if (i % 20 == 0)
			ctl_progress(i / 20, "waiting for xenprofd (pid %ld) to exit", pid);
		usleep(50000);
	}
	ctl_progress_done();
	return -1;
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

int
ctl_request(const struct ctl *c, uint16_t type, const void *p, uint32_t len,
    char *reply, size_t replylen)
{
	struct sockaddr_un sun;
	struct xp_msg_hdr h;
	struct timeval tv = { .tv_sec = c->timeout_s, .tv_usec = 0 };
	int fd, sent, timedout = 0;

	reply[0] = '\0';
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", c->sessdir,
	    XP_SOCKET_NAME) >= sizeof(sun.sun_path)) {
		snprintf(reply, replylen, "session dir path too long for a socket");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(reply, replylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(reply, replylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	h.magic = XP_PROTO_MAGIC;
	h.version = XP_PROTO_VERSION;
	h.type = type;
	h.len = len;
	h.reserved = 0;
	sent = send(fd, &h, sizeof(h), MSG_NOSIGNAL) == sizeof(h) &&
	    (!len || send(fd, p, len, MSG_NOSIGNAL) == (ssize_t)len);
	if (sent) {
		/* Wait for the reply a second at a time, saying what we wait for. */
		char what[SETUP_LIST_MAX + 100];
		int waited = 0;

		what[0] = '\0';
		for (;;) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			int r = poll(&pf, 1, 1000);

			if (r > 0 || (r == -1 && errno != EINTR))
				break;
			if (r == 0 && ++waited >= c->timeout_s) {
				timedout = 1;
				break;
			}
			if (r == 0) {
				if (what[0] == '\0')
					ctl_waiting_for(c, type, what, sizeof(what));
				ctl_progress(waited, "%s", what);
			}
		}
		ctl_progress_done();
		if (timedout)
			errno = EAGAIN;
	}
	if (!sent || timedout || read_full(fd, &h, sizeof(h)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			snprintf(reply, replylen, "xenprofd did not answer within %d s; it may be hung: "
			    "kill it and run xenprof-ctl --start-daemon again", c->timeout_s);
		else
			snprintf(reply, replylen, "lost the connection to xenprofd: %s", strerror(errno));
		close(fd);
		return -2;
	}
	if (h.magic != XP_PROTO_MAGIC || h.version != XP_PROTO_VERSION || h.type == XP_REP_VERSION) {
		snprintf(reply, replylen, "xenprofd speaks another protocol version; "
		    "use the xenprof-ctl of the same release as the running xenprofd");
		close(fd);
		return -2;
	}
	if (h.len > XP_PROTO_MAX_PAYLOAD) {
		snprintf(reply, replylen, "xenprofd sent an oversized reply");
		close(fd);
		return -2;
	}
	{
		char *buf = malloc(h.len + 1);

		if (buf == NULL || read_full(fd, buf, h.len) == -1) {
			snprintf(reply, replylen, "lost the connection to xenprofd: %s", strerror(errno));
			free(buf);
			close(fd);
			return -2;
		}
		buf[h.len] = '\0';
		snprintf(reply, replylen, "%s", buf);
		free(buf);
	}
	close(fd);
	return h.type;
}

int
ctl_simple(const struct ctl *c, uint16_t type, const void *p, uint32_t len, const char *what)
{
	char reply[XP_PROTO_MAX_PAYLOAD + 1];
	int r = ctl_request(c, type, p, len, reply, sizeof(reply));

	if (r == -1) {
		warnx("%s: xenprofd is not running on %s (start it with --start-daemon or --start)",
		    what, c->sessdir);
		return 1;
	}
	if (r == -2) {
		warnx("%s: %s", what, reply);
		return 1;
	}
	if (r != XP_REP_OK) {
		warnx("%s: %s", what, reply);
		return 1;
	}
	if (reply[0])
		printf("%s\n", reply);
	return 0;
}
