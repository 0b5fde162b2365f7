/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * control: xenprofd's control socket (SESSDIR/xenprofd.sock, mode 0600).
 * Owns the listening socket and the client connections; decodes requests
 * (daemon/proto.h) and hands each complete, valid one to the handler.
 * Requests from any uid but 0 are answered XP_REP_DENIED (SO_PEERCRED).
 * A client that sends nothing for CONTROL_TIMEOUT_MS is dropped.
 */
#ifndef XP_CONTROL_H
#define XP_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_MAX_CLIENTS	16
#define CONTROL_TIMEOUT_MS	10000

/*
 * Handle request TYPE with PAYLOAD; write the reply text into REPLY (at most
 * REPLYLEN bytes, NUL-terminated) and return the reply type (XP_REP_OK or
 * XP_REP_ERROR).
 */
typedef int (*control_handler)(void *ctx, uint16_t type, const char *payload,
    uint32_t len, char *reply, size_t replylen);

struct control;

/* Bind and listen on PATH (a stale socket there is removed).  NULL + errno. */
struct control *control_open(const char *path, control_handler h, void *ctx);
void control_close(struct control *c);
/* Fill pollfds (listener + clients); returns their number (<= CONTROL_MAX_CLIENTS + 1). */
int control_pollfds(struct control *c, struct pollfd *fds, int max);
/* Serve whatever is ready on the fds filled by the last control_pollfds. */
void control_dispatch(struct control *c, const struct pollfd *fds, int n);

#endif /* XP_CONTROL_H */
