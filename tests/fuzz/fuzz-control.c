/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-control.c: libFuzzer target for the daemon's side of the control
 * protocol (daemon/control.c: framing, header checks, size limits, the
 * handler call, replies), driven exactly as xenprofd drives it: a real
 * listening socket from control_open(), control_pollfds() + poll() +
 * control_dispatch(), a stub handler.
 *
 * Input layout:
 *   byte 0    chunk size for the writes (0 = everything at once), so the
 *             daemon sees messages split at arbitrary points
 *   byte 1    reply length the stub handler produces (x 257, capped)
 *   rest      the bytes the client sends, then it half-closes
 * Invariants: the handler only sees complete messages with a known-good
 * header and len <= XP_PROTO_MAX_PAYLOAD; every reply frame is well formed;
 * the daemon always ends the connection (no hang, no leak of a slot).
 * Seeds: tests/fuzz/corpus/control/.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/log.h"
#include "daemon/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct control *ctl;
static char sockpath[108];
static size_t reply_len;
static volatile uint64_t fuzz_sum;
static unsigned handled;

static int
stub_handler(void *ctx, uint16_t type, const char *payload, uint32_t len,
    char *reply, size_t replylen)
{
	size_t n;

	if (len > XP_PROTO_MAX_PAYLOAD || (len > 0 && payload == NULL) ||
	    replylen < XP_PROTO_MAX_PAYLOAD + 1)
		__builtin_trap();
	for (uint32_t i = 0; i < len; i++)	/* ASan: all of it is readable */
		fuzz_sum += (uint8_t)payload[i];
	handled++;
	n = reply_len < replylen ? reply_len : replylen - 1;
	memset(reply, 'r', n);
	reply[n] = '\0';
	return type == XP_REQ_SAVE ? XP_REP_ERROR : XP_REP_OK;
}

static void
cleanup(void)
{
	control_close(ctl);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(1, NULL);
	snprintf(sockpath, sizeof(sockpath), "/tmp/fuzz-control.%ld.sock", (long)getpid());
	if ((ctl = control_open(sockpath, stub_handler, NULL)) == NULL) {
		perror(sockpath);
		abort();
	}
	atexit(cleanup);
	return 0;
}

/* Check the reply frames in BUF[0..*have), consuming whole ones. */
static void
check_replies(uint8_t *buf, size_t *have)
{
	struct xp_msg_hdr h;

	while (*have >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		if (h.magic != XP_PROTO_MAGIC || h.version != XP_PROTO_VERSION ||
		    h.type < XP_REP_OK || h.type > XP_REP_DENIED ||
		    h.len > XP_PROTO_MAX_PAYLOAD || h.reserved != 0)
			__builtin_trap();
		if (*have < sizeof(h) + h.len)
			return;
		memmove(buf, buf + sizeof(h) + h.len, *have - sizeof(h) - h.len);
		*have -= sizeof(h) + h.len;
	}
}

static void
serve(int timeout_ms)
{
	struct pollfd fds[CONTROL_MAX_CLIENTS + 1];
	int n = control_pollfds(ctl, fds, CONTROL_MAX_CLIENTS + 1);

	if (poll(fds, (nfds_t)n, timeout_ms) >= 0)
		control_dispatch(ctl, fds, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t rbuf[2 * (sizeof(struct xp_msg_hdr) + XP_PROTO_MAX_PAYLOAD)];
	struct sockaddr_un sun;
	size_t off = 0, chunk, rhave = 0;
	int fd, done = 0, closed_wr = 0;

	if (size < 2 || size > 4 * XP_PROTO_MAX_PAYLOAD)
		return 0;
	chunk = data[0] ? data[0] : size;
	reply_len = (size_t)data[1] * 257;
	data += 2;
	size -= 2;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		abort();
	serve(1000);	/* accept */
	for (int iter = 0; !done; iter++) {
		ssize_t k;

		if (iter > 100000)
			__builtin_trap();	/* the daemon never ended the connection */
		if (off < size) {
			size_t want = size - off < chunk ? size - off : chunk;

			k = send(fd, data + off, want, MSG_NOSIGNAL);
			if (k > 0)
				off += (size_t)k;
			else if (k == -1 && errno != EAGAIN)
				off = size;	/* the daemon hung up */
		}
		if (off == size && !closed_wr) {
			shutdown(fd, SHUT_WR);
			closed_wr = 1;
		}
		serve(closed_wr ? 100 : 0);
		for (;;) {
			k = recv(fd, rbuf + rhave, sizeof(rbuf) - rhave, 0);
			if (k > 0) {
				rhave += (size_t)k;
				check_replies(rbuf, &rhave);
				continue;
			}
			if (k == 0 || (k == -1 && errno != EAGAIN))
				done = 1;
			break;
		}
	}
	close(fd);
	return 0;
}
