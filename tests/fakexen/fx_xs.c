/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_xs.c - a small read-only xenstored for fakexen.
 *
 * One listening unix socket per configured domain, DIR/xs-domN.sock:
 * `fakexen exec --domain N` points XENSTORED_PATH at domain N's socket, so
 * the server knows who asks (like xenstored knows a ring's domain), resolves
 * relative paths against /local/domain/N and applies permissions.
 *
 * Served (the xsd_sockmsg protocol of <xen/io/xs_wire.h>):
 *   READ       /local/domain/D/name, /local/domain/D/domid, and the
 *              intermediate nodes (empty values)
 *   DIRECTORY  /, /local, /local/domain (the live domains), /local/domain/D
 *   GET_DOMAIN_PATH, TRANSACTION_START/END, WATCH/UNWATCH (an initial event;
 *   @releaseDomain and @introduceDomain fire when the domain set changes),
 *   RESET_WATCHES, GET_PERMS.
 * Writes (WRITE, MKDIR, RM, SET_PERMS) fail with EACCES; anything else
 * with EINVAL.  A domU may read only its own subtree (EACCES otherwise,
 * also for listing /local/domain), dom0 reads everything.  The tree is
 * derived from the state's domain table on every request: a destroyed
 * domain disappears at once.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "fx_xs.h"

#define FX_XS_MAX_CONN	64
#define FX_XS_MAX_WATCH	16
#define FX_XS_HDR	sizeof(struct xsd_sockmsg)

struct fx_xs_watch {
	char		path[128];
	char		token[128];
};

struct fx_xs_conn {
	int		fd;
	uint32_t	domid;
	size_t		have;
	char		buf[FX_XS_HDR + XENSTORE_PAYLOAD_MAX + 1];
	unsigned	nwatch;
	struct fx_xs_watch watch[FX_XS_MAX_WATCH];
};

struct fx_xs {
	struct fx_state	*s;
	unsigned	nlisten;
	int		listen_fd[FX_MAX_DOMS];
	uint32_t	listen_dom[FX_MAX_DOMS];
	char		listen_path[FX_MAX_DOMS][108];
	struct fx_xs_conn *conn[FX_XS_MAX_CONN];
	uint64_t	live_sig;	/* to notice domains coming and going */
	pthread_t	thread;
	int		started;
	volatile int	stop;
};

int
fx_xs_path(const char *dir, uint32_t domid, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/xs-dom%u.sock", dir, domid);

	return n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path)
	    ? -1 : 0;
}

struct fx_xs *
fx_xs_create(struct fx_state *s, const char *dir, const uint32_t *domids,
    unsigned n, char *err, size_t errlen)
{
	struct fx_xs *xs = calloc(1, sizeof *xs);

	if (xs == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	xs->s = s;
	for (unsigned i = 0; i < n; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd;

		if (fx_xs_path(dir, domids[i], xs->listen_path[i], sizeof xs->listen_path[i]) < 0) {
			snprintf(err, errlen, "directory path %s is too long for a "
			    "unix socket; use a shorter --dir", dir);
			goto fail;
		}
		strcpy(sa.sun_path, xs->listen_path[i]);
		unlink(sa.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
		    listen(fd, 16) == -1) {
			snprintf(err, errlen, "xenstored socket %s: %s", sa.sun_path,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			goto fail;
		}
		xs->listen_fd[xs->nlisten] = fd;
		xs->listen_dom[xs->nlisten] = domids[i];
		xs->nlisten++;
	}
	return xs;
fail:
	fx_xs_free(xs);
	return NULL;
}

/* ------------------------------------------------------------------ */

static void
fx_xs_send(struct fx_xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
    const void *body, size_t len)
{
	struct xsd_sockmsg h = { type, req_id, tx_id, (uint32_t)len };
	char out[FX_XS_HDR + XENSTORE_PAYLOAD_MAX];
	size_t off = 0, total = FX_XS_HDR + len;

	if (len > XENSTORE_PAYLOAD_MAX)
		return;
	memcpy(out, &h, FX_XS_HDR);
	memcpy(out + FX_XS_HDR, body, len);
	while (off < total) {
		ssize_t w = send(c->fd, out + off, total - off, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			struct pollfd pf = { c->fd, POLLOUT, 0 };
			poll(&pf, 1, 100);
			continue;
		}
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void
fx_xs_error(struct fx_xs_conn *c, const struct xsd_sockmsg *h, const char *e)
{
	fx_xs_send(c, XS_ERROR, h->req_id, h->tx_id, e, strlen(e) + 1);
}

/* Normalise PATH (relative -> /local/domain/CALLER/...) into OUT. */
static int
fx_xs_abs(uint32_t caller, const char *path, char *out, size_t len)
{
	int n;

	if (path[0] == '@')
		n = snprintf(out, len, "%s", path);
	else if (path[0] == '/')
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "/local/domain/%u/%s", caller, path);
	if (n < 0 || (size_t)n >= len)
		return -1;
	/* drop trailing slashes except the root */
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

/*
 * Look PATH up in the derived tree.  Returns 0 with the node's value (VAL)
 * and NUL-separated children (KIDS), or a positive errno.  Lock held.
 */
static int
fx_xs_lookup(struct fx_state *s, uint32_t caller, const char *path,
    char *val, size_t vlen, char *kids, size_t klen, size_t *kused)
{
	const char *p;
	char *end;
	unsigned long id;
	int slot;

	*val = '\0';
	*kused = 0;
	if (strcmp(path, "/") == 0) {
		*kused = (size_t)snprintf(kids, klen, "local") + 1;
		return 0;
	}
	if (strcmp(path, "/local") == 0) {
		*kused = (size_t)snprintf(kids, klen, "domain") + 1;
		return 0;
	}
	if (strcmp(path, "/local/domain") == 0) {
		if (caller != 0)
			return EACCES;
		for (unsigned i = 0; i < s->ndoms; i++) {
			int n;
			if (s->dom[i].state != FX_DOM_LIVE)
				continue;
			n = snprintf(kids + *kused, klen - *kused, "%u", s->dom[i].domid);
			if (n < 0 || *kused + (size_t)n + 1 >= klen)
				return E2BIG;
			*kused += (size_t)n + 1;
		}
		return 0;
	}
	if (strncmp(path, "/local/domain/", 14) != 0)
		return ENOENT;
	p = path + 14;
	id = strtoul(p, &end, 10);
	if (end == p || (*end != '\0' && *end != '/') || id >= DOMID_FIRST_RESERVED)
		return ENOENT;
	slot = fx_slot_by_domid(s, (uint32_t)id);
	if (slot < 0 || s->dom[slot].state != FX_DOM_LIVE)
		return ENOENT;
	if (caller != 0 && caller != id)
		return EACCES;
	if (*end == '\0') {
		memcpy(kids, "name\0domid", 11);
		*kused = 11;
		return 0;
	}
	if (strcmp(end, "/name") == 0) {
		snprintf(val, vlen, "%s", s->dom[slot].name);
		return 0;
	}
	if (strcmp(end, "/domid") == 0) {
		snprintf(val, vlen, "%lu", id);
		return 0;
	}
	return ENOENT;
}

static const char *
fx_xs_errname(int e)
{
	switch (e) {
	case EACCES:	return "EACCES";
	case ENOENT:	return "ENOENT";
	case E2BIG:	return "E2BIG";
	case ENOSPC:	return "ENOSPC";
	default:	return "EINVAL";
	}
}

static void
fx_xs_watch_event(struct fx_xs_conn *c, const struct fx_xs_watch *w)
{
	char body[300];
	size_t pl = strlen(w->path) + 1, tl = strlen(w->token) + 1;

	memcpy(body, w->path, pl);
	memcpy(body + pl, w->token, tl);
	fx_xs_send(c, XS_WATCH_EVENT, 0, 0, body, pl + tl);
}

/* Handle one complete message in C->buf. */
static void
fx_xs_handle(struct fx_xs *xs, struct fx_xs_conn *c)
{
	struct xsd_sockmsg h;
	char *body = c->buf + FX_XS_HDR, path[XENSTORE_ABS_PATH_MAX + 1];
	char val[256], kids[XENSTORE_PAYLOAD_MAX];
	size_t kused;
	int e;

	memcpy(&h, c->buf, FX_XS_HDR);
	body[h.len] = '\0';
	switch (h.type) {
	case XS_READ:
	case XS_DIRECTORY:
	case XS_GET_PERMS:
		if (fx_xs_abs(c->domid, body, path, sizeof path) < 0) {
			fx_xs_error(c, &h, "EINVAL");
			return;
		}
		fx_lock(xs->s);
		e = fx_xs_lookup(xs->s, c->domid, path, val, sizeof val, kids,
		    sizeof kids, &kused);
		fx_unlock(xs->s);
		if (e != 0) {
			fx_xs_error(c, &h, fx_xs_errname(e));
			return;
		}
		if (h.type == XS_READ)
			fx_xs_send(c, h.type, h.req_id, h.tx_id, val, strlen(val));
		else if (h.type == XS_DIRECTORY)
			fx_xs_send(c, h.type, h.req_id, h.tx_id, kids, kused);
		else
			fx_xs_send(c, h.type, h.req_id, h.tx_id, "n0", 3);
		return;
	case XS_GET_DOMAIN_PATH: {
		char *end;
		unsigned long id = strtoul(body, &end, 10);
		int n;

		if (end == body || *end != '\0') {
			fx_xs_error(c, &h, "EINVAL");
			return;
		}
		n = snprintf(path, sizeof path, "/local/domain/%lu", id);
		fx_xs_send(c, h.type, h.req_id, h.tx_id, path, (size_t)n + 1);
		return;
	}
	case XS_TRANSACTION_START:
		fx_xs_send(c, h.type, h.req_id, h.tx_id, "1", 2);
		return;
	case XS_TRANSACTION_END:
	case XS_RESET_WATCHES:
		if (h.type == XS_RESET_WATCHES)
			c->nwatch = 0;
		fx_xs_send(c, h.type, h.req_id, h.tx_id, "OK", 3);
		return;
	case XS_WATCH:
	case XS_UNWATCH: {
		size_t pl = strnlen(body, h.len);
		const char *token = pl < h.len ? body + pl + 1 : "";
		struct fx_xs_watch w;

		if (fx_xs_abs(c->domid, body, w.path, sizeof w.path) < 0 ||
		    strlen(token) >= sizeof w.token) {
			fx_xs_error(c, &h, "EINVAL");
			return;
		}
		snprintf(w.token, sizeof w.token, "%s", token);
		if (h.type == XS_UNWATCH) {
			for (unsigned i = 0; i < c->nwatch; i++)
				if (strcmp(c->watch[i].path, w.path) == 0 &&
				    strcmp(c->watch[i].token, w.token) == 0) {
					c->watch[i] = c->watch[--c->nwatch];
					fx_xs_send(c, h.type, h.req_id, h.tx_id, "OK", 3);
					return;
				}
			fx_xs_error(c, &h, "ENOENT");
			return;
		}
		if (c->nwatch == FX_XS_MAX_WATCH) {
			fx_xs_error(c, &h, "E2BIG");
			return;
		}
		c->watch[c->nwatch++] = w;
		fx_xs_send(c, h.type, h.req_id, h.tx_id, "OK", 3);
		fx_xs_watch_event(c, &w);	/* xenstored fires once at once */
		return;
	}
	case XS_WRITE:
	case XS_MKDIR:
	case XS_RM:
	case XS_SET_PERMS:
		fx_xs_error(c, &h, "EACCES");
		return;
	default:
		fx_xs_error(c, &h, "EINVAL");
		return;
	}
}

static void
fx_xs_close(struct fx_xs *xs, unsigned i)
{
	close(xs->conn[i]->fd);
	free(xs->conn[i]);
	xs->conn[i] = NULL;
}

/* Read what is there; handle every complete message.  -1: drop the conn. */
static int
fx_xs_read(struct fx_xs *xs, struct fx_xs_conn *c)
{
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have, 0);
		struct xsd_sockmsg h;

		if (r == 0)
			return -1;
		if (r == -1)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->have += (size_t)r;
		if (__atomic_load_n(&xs->s->xs_silent, __ATOMIC_RELAXED)) {
			/* A dom0 with no xenstored: requests go unanswered. */
			c->have = 0;
			continue;
		}
		while (c->have >= FX_XS_HDR) {
			size_t need;

			memcpy(&h, c->buf, FX_XS_HDR);
			if (h.len > XENSTORE_PAYLOAD_MAX)
				return -1;	/* as xenstored: protocol error */
			need = FX_XS_HDR + h.len;
			if (c->have < need)
				break;
			fx_xs_handle(xs, c);
			memmove(c->buf, c->buf + need, c->have - need);
			c->have -= need;
		}
	}
}

/* Fire @releaseDomain / @introduceDomain when the live set changes. */
static void
fx_xs_check_domains(struct fx_xs *xs)
{
	uint64_t sig = 0;

	fx_lock(xs->s);
	for (unsigned i = 0; i < xs->s->ndoms; i++)
		if (xs->s->dom[i].state == FX_DOM_LIVE)
			sig |= 1ull << i;
	fx_unlock(xs->s);
	if (sig == xs->live_sig)
		return;
	for (unsigned i = 0; i < FX_XS_MAX_CONN; i++) {
		struct fx_xs_conn *c = xs->conn[i];
		if (c == NULL)
			continue;
		for (unsigned w = 0; w < c->nwatch; w++)
			if (((sig & ~xs->live_sig) && strcmp(c->watch[w].path, "@introduceDomain") == 0) ||
			    ((xs->live_sig & ~sig) && strcmp(c->watch[w].path, "@releaseDomain") == 0))
				fx_xs_watch_event(c, &c->watch[w]);
	}
	xs->live_sig = sig;
}

static void *
fx_xs_main(void *arg)
{
	struct fx_xs *xs = arg;

	fx_lock(xs->s);
	for (unsigned i = 0; i < xs->s->ndoms; i++)
		if (xs->s->dom[i].state == FX_DOM_LIVE)
			xs->live_sig |= 1ull << i;
	fx_unlock(xs->s);
	while (!xs->stop) {
		struct pollfd pf[FX_MAX_DOMS + FX_XS_MAX_CONN];
		unsigned map[FX_XS_MAX_CONN], n = 0, nc = 0;

		for (unsigned i = 0; i < xs->nlisten; i++)
			pf[n++] = (struct pollfd){ xs->listen_fd[i], POLLIN, 0 };
		for (unsigned i = 0; i < FX_XS_MAX_CONN; i++)
			if (xs->conn[i] != NULL) {
				map[nc++] = i;
				pf[n++] = (struct pollfd){ xs->conn[i]->fd, POLLIN, 0 };
			}
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; i < xs->nlisten; i++) {
			int fd;
			unsigned k;

			if (!(pf[i].revents & POLLIN))
				continue;
			while ((fd = accept4(xs->listen_fd[i], NULL, NULL,
			    SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1) {
				for (k = 0; k < FX_XS_MAX_CONN && xs->conn[k] != NULL; k++)
					;
				if (k == FX_XS_MAX_CONN ||
				    (xs->conn[k] = calloc(1, sizeof *xs->conn[k])) == NULL) {
					close(fd);
					continue;
				}
				xs->conn[k]->fd = fd;
				xs->conn[k]->domid = xs->listen_dom[i];
			}
		}
		for (unsigned j = 0; j < nc; j++) {
			unsigned i = map[j];

			if (pf[xs->nlisten + j].revents & (POLLIN | POLLHUP | POLLERR))
				if (fx_xs_read(xs, xs->conn[i]) < 0)
					fx_xs_close(xs, i);
		}
		fx_xs_check_domains(xs);
	}
	return NULL;
}

int
fx_xs_start(struct fx_xs *xs)
{
	int e = pthread_create(&xs->thread, NULL, fx_xs_main, xs);

	if (e != 0) {
		errno = e;
		return -1;
	}
	xs->started = 1;
	return 0;
}

void
fx_xs_free(struct fx_xs *xs)
{
	if (xs == NULL)
		return;
	if (xs->started) {
		xs->stop = 1;
		pthread_join(xs->thread, NULL);
	}
	for (unsigned i = 0; i < FX_XS_MAX_CONN; i++)
		if (xs->conn[i] != NULL)
			fx_xs_close(xs, i);
	for (unsigned i = 0; i < xs->nlisten; i++) {
		close(xs->listen_fd[i]);
		unlink(xs->listen_path[i]);
	}
	free(xs);
}
