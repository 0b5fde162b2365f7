/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control: the daemon side of the control protocol. */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/log.h"
#include "daemon/proto.h"

struct client {
	int		fd;		/* -1: slot free */
	uid_t		uid;
	uint64_t	deadline_ms;
	size_t		have;
	uint8_t		buf[sizeof(struct xp_msg_hdr) + XP_PROTO_MAX_PAYLOAD];
};

struct control {
	int		lfd;
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_handler	handler;
	void	       *ctx;
	struct client	clients[CONTROL_MAX_CLIENTS];
	/* Which client each pollfd after the listener belongs to. */
	int		map[CONTROL_MAX_CLIENTS];
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct control *
control_open(const char *path, control_handler h, void *ctx)
{
	struct sockaddr_un sun;
	struct control *c;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->handler = h;
	c->ctx = ctx;
	strcpy(c->path, path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd == -1)
		goto fail;
	/* The caller holds the session lock: a socket file here is stale. */
	if (unlink(path) == -1 && errno != ENOENT)
		goto fail;
	old = umask(0177);
	if (bind(c->lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(c->lfd, 16) == -1)
		goto fail;
	return c;
fail:
	{
		int saved = errno;

		if (c->lfd != -1)
			close(c->lfd);
		free(c);
		errno = saved;
	}
	return NULL;
}

void
control_close(struct control *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd != -1)
			close(c->clients[i].fd);
	close(c->lfd);
	unlink(c->path);
	free(c);
}

int
control_pollfds(struct control *c, struct pollfd *fds, int max)
{
	int n = 0;

	if (max < 1)
		return 0;
	fds[n].fd = c->lfd;
	fds[n].events = POLLIN;
	fds[n++].revents = 0;
	for (int i = 0; i < CONTROL_MAX_CLIENTS && n < max; i++) {
		if (c->clients[i].fd == -1)
			continue;
		c->map[n - 1] = i;
		fds[n].fd = c->clients[i].fd;
		fds[n].events = POLLIN;
		fds[n++].revents = 0;
	}
	return n;
}

static void
client_drop(struct client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->have = 0;
}

static void
client_reply(struct client *cl, uint16_t type, const char *text)
{
	struct xp_msg_hdr h;
	size_t len = text ? strlen(text) : 0;
	struct iovec iov[2];
	struct msghdr mh;

	if (len > XP_PROTO_MAX_PAYLOAD)
		len = XP_PROTO_MAX_PAYLOAD;
	h.magic = XP_PROTO_MAGIC;
	h.version = XP_PROTO_VERSION;
	h.type = type;
	h.len = (uint32_t)len;
	h.reserved = 0;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)text;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = len ? 2 : 1;
	/* Replies fit the socket buffer; a client that does not read loses its reply. */
	if (sendmsg(cl->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("control: reply not sent: %s", strerror(errno));
}

static void
client_accept(struct control *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i;

	fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd == -1)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd == -1)
			break;
	if (i == CONTROL_MAX_CLIENTS) {
		struct client busy = { .fd = fd };

		log_warnx("control: too many clients, connection refused");
		client_reply(&busy, XP_REP_ERROR, "xenprofd is busy: too many control "
		    "connections open; try again");
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		close(fd);
		return;
	}
	c->clients[i].fd = fd;
	c->clients[i].uid = cred.uid;
	c->clients[i].have = 0;
	c->clients[i].deadline_ms = mono_ms() + CONTROL_TIMEOUT_MS;
}

/* Serve a complete message in CL's buffer; returns 0 to keep the client, -1 to drop. */
static int
client_message(struct control *c, struct client *cl)
{
	struct xp_msg_hdr h;
	static char reply[XP_PROTO_MAX_PAYLOAD + 1];
	int type;

	memcpy(&h, cl->buf, sizeof(h));
	if (cl->uid != 0) {
		client_reply(cl, XP_REP_DENIED, "permission denied: only root may control xenprofd");
		return -1;
	}
	reply[0] = '\0';
	type = c->handler(c->ctx, h.type, (const char *)cl->buf + sizeof(h), h.len,
	    reply, sizeof(reply));
	client_reply(cl, (uint16_t)type, reply);
	cl->have = 0;
	cl->deadline_ms = mono_ms() + CONTROL_TIMEOUT_MS;
	return 0;
}

static void
client_read(struct control *c, struct client *cl)
{
	struct xp_msg_hdr h;
	ssize_t n;

	n = read(cl->fd, cl->buf + cl->have, sizeof(cl->buf) - cl->have);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		client_drop(cl);
		return;
	}
	if (n < 0)
		return;
	cl->have += (size_t)n;
	while (cl->have >= sizeof(h)) {
		size_t total;

		memcpy(&h, cl->buf, sizeof(h));
		if (h.magic != XP_PROTO_MAGIC || h.version != XP_PROTO_VERSION) {
			client_reply(cl, XP_REP_VERSION, NULL);
			client_drop(cl);
			return;
		}
		if (h.len > XP_PROTO_MAX_PAYLOAD) {
			client_reply(cl, XP_REP_ERROR, "request too large");
			client_drop(cl);
			return;
		}
		total = sizeof(h) + h.len;
		if (cl->have < total)
			return;
		if (client_message(c, cl) == -1) {
			client_drop(cl);
			return;
		}
		/* One request per message; anything pipelined after it is dropped with it. */
		cl->have = 0;
	}
}

void
control_dispatch(struct control *c, const struct pollfd *fds, int n)
{
	uint64_t now = mono_ms();

	for (int j = 1; j < n; j++) {
		struct client *cl = &c->clients[c->map[j - 1]];

		if (cl->fd != fds[j].fd)
			continue;
		if (fds[j].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(c, cl);
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i].fd != -1 && now > c->clients[i].deadline_ms)
			client_drop(&c->clients[i]);
	if (n > 0 && (fds[0].revents & POLLIN))
		client_accept(c);
}
