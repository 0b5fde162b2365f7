/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control protocol between xenprof-ctl and xenprofd, over the unix
 * socket SESSDIR/xenprofd.sock.  This header is the whole wire format.
 *
 * Every message is a fixed 16-byte header followed by LEN payload bytes.
 * All fields are little-endian fixed-width (ctl and daemon may come from
 * different builds).  A request gets exactly one reply.  A peer whose magic
 * or version differs gets XP_REP_VERSION and the connection is closed.
 *
 * Version history:
 *   1  first version: status, start, stop, dump, save, reset, shutdown.
 *
 * Bump XP_PROTO_VERSION if anything below changes!
 */
#ifndef XP_PROTO_H
#define XP_PROTO_H

#include <stdint.h>

#define XP_PROTO_MAGIC		0x31525058u	/* "XPR1" */
#define XP_PROTO_VERSION	1
#define XP_PROTO_MAX_PAYLOAD	65536
#define XP_SOCKET_NAME		"xenprofd.sock"
#define XP_PIDFILE_NAME		"xenprofd.pid"
#define XP_SETUP_NAME		"setup"
#define XP_LOG_NAME		"xenprofd.log"

enum xp_msg_type {
	/* Requests, ctl -> daemon. */
	XP_REQ_STATUS = 100,	/* no payload */
	XP_REQ_START = 101,	/* no payload: start sampling */
	XP_REQ_STOP = 102,	/* no payload: stop sampling, drain, flush */
	XP_REQ_DUMP = 103,	/* no payload: drain, flush */
	XP_REQ_SAVE = 104,	/* payload: session name, not NUL-terminated */
	XP_REQ_RESET = 105,	/* no payload: discard current samples */
	XP_REQ_SHUTDOWN = 106,	/* no payload: stop, flush, exit after replying */

	/* Replies, daemon -> ctl. */
	XP_REP_OK = 200,	/* payload: text for the user (may be empty) */
	XP_REP_ERROR = 201,	/* payload: one-line error message */
	XP_REP_VERSION = 202,	/* no payload: magic/version mismatch */
	XP_REP_DENIED = 203,	/* payload: message; caller is not root */
};

struct xp_msg_hdr {
	uint32_t	magic;		/* XP_PROTO_MAGIC */
	uint16_t	version;	/* XP_PROTO_VERSION */
	uint16_t	type;		/* enum xp_msg_type */
	uint32_t	len;		/* payload bytes, <= XP_PROTO_MAX_PAYLOAD */
	uint32_t	reserved;	/* 0 */
};
/* followed by LEN bytes of payload */

#endif /* XP_PROTO_H */
