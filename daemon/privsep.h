/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privsep: xenprofd as two processes, as OpenBSD's bgpd and chrony split
 * theirs (xenprofd(8), PRIVILEGE SEPARATION).
 *
 *   the parent   stays root, with CAP_SYS_PTRACE and CAP_KILL only, and
 *                does what needs privilege, on request: the xenoprof
 *                hypercalls of start, stop and teardown (hv_privop_run),
 *                and reading other users' /proc/PID/maps (in a short-lived
 *                child per request, killed past its deadline, so that a
 *                stuck read never holds the parent).  It holds the session
 *                lock and ends when the sampler does.
 *   the sampler  its child: does the privileged set-up as root (perf fds,
 *                privcmd, ring mappings, the first /proc scan, kallsyms,
 *                the control socket), closes privcmd, then becomes the
 *                sampler user with no capabilities, no_new_privs and not
 *                dumpable, and drains, attributes, aggregates, writes the
 *                session and serves xenprof-ctl.
 *
 * They talk over a SOCK_SEQPACKET socketpair: one message per datagram, a
 * struct priv_hdr and its payload, every field checked before use.  Bump
 * PRIV_VERSION when any of this changes (both sides are one program, so a
 * mismatch means memory corruption or a foreign peer: it ends the parent).
 *
 * Ownership: the session dir is the sampler user's (privsep_own_sessdir),
 * mode 0700; its parents are root's (xps_sessdir_open).  Root's tools
 * (xenprof-ctl, xenprof-report) read and write there as root, never
 * following a symlink.
 */
#ifndef XP_PRIVSEP_H
#define XP_PRIVSEP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

#define PRIV_VERSION		1
#define PRIV_MAX_PAYLOAD	(60 * 1024)	/* fits a SEQPACKET datagram */

enum priv_type {
	/* sampler -> parent */
	PRIV_HELLO = 1,		/* struct priv_hello: set up and unprivileged, serving */
	PRIV_PROC_MAPS = 10,	/* u32 pid: that process's maps (R_MAPS or R_GONE) */
	PRIV_PROC_ALL = 11,	/* every process's maps: R_MAPS each, then R_END */
	PRIV_XENOPROF = 20,	/* struct hv_privop_args: a hypercall (R_OK or R_ERROR) */
	/* parent -> sampler, seq of the request */
	PRIV_R_OK = 100,
	PRIV_R_ERROR = 101,	/* followed by the message (not NUL-terminated) */
	PRIV_R_MAPS = 110,	/* struct priv_maps, then the exe path, then the maps lines */
	PRIV_R_GONE = 111,	/* u32 pid: no such process (or not readable) */
	PRIV_R_END = 112,	/* u32 number of R_MAPS sent before it */
};

struct priv_hdr {
	uint16_t	version;	/* PRIV_VERSION */
	uint16_t	type;		/* enum priv_type */
	uint32_t	seq;		/* the request's, echoed in its replies */
	uint32_t	len;		/* payload bytes after the header */
	uint32_t	pad;
};

struct priv_hello {
	int32_t		pid;		/* the sampler's */
	uint32_t	uid, gid;	/* what it runs as */
};

struct priv_maps {
	uint32_t	pid;
	uint32_t	exe_len;	/* bytes of the exe path that follow */
	uint32_t	maps_len;	/* bytes of /proc/PID/maps lines (executable ones) after it */
	uint32_t	truncated;	/* 1: more executable maps than fit */
};

/* ---- the sampler's user ------------------------------------------------ */

struct privsep_user {
	char	name[64];
	uid_t	uid;
	gid_t	gid;
	char	note[256];	/* "" or why another user than configured is used */
};

/*
 * The user the sampler runs as: WANT (XP_SAMPLER_USER, configure
 * --with-sampler-user, default _xenprof; test builds: $XENPROF_SAMPLER_USER),
 * else nobody, with NOTE saying so and how to create the user.  -1 with ERR
 * when neither exists (or the one found is root).
 */
int privsep_user(struct privsep_user *u, const char *want, char *err, size_t errlen);

/*
 * Give the session dir SESSFD (SESSDIR for messages) to user U: the
 * directory, its current/, .current.flush/ and saved/ directories and the
 * session files in the first two.  A root-owned directory is given away
 * only when it holds nothing but a session's names (a mistyped
 * --session-dir=/root is refused, never chowned).  0, or -1 with ERR.
 */
int privsep_own_sessdir(int sessfd, const char *sessdir, const struct privsep_user *u,
    char *err, size_t errlen);

/*
 * The sampler's drop: every capability out of every set (bounding and
 * ambient included), supplementary groups cleared, uid and gid U's (real,
 * effective, saved), no_new_privs, not dumpable; then checked.  0, or -1
 * with ERR.
 */
int privsep_drop(const struct privsep_user *u, char *err, size_t errlen);

/* ---- the parent ------------------------------------------------------- */

/*
 * Serve the sampler SAMPLER on SOCK until it exits; READY_FD (or -1) gets
 * a one-line error if the sampler dies before it says hello, and is closed
 * when it does.  SIGTERM, SIGINT and SIGHUP are passed on to the sampler.
 * Returns the exit status for the daemon: the sampler's, or 1 if it was
 * killed.  *KILLED is set when it died of a signal.
 */
int privsep_parent(int sock, pid_t sampler, int ready_fd, int *killed);

/* ---- the sampler's side ------------------------------------------------ */

/* A reply handed to the sampler (see privsep_recv). */
struct priv_msg {
	struct priv_hdr	hdr;
	uint8_t		payload[PRIV_MAX_PAYLOAD];
};

/* Send TYPE with SEQ and LEN bytes of PAYLOAD: 0, or -1 with errno. */
int priv_send(int sock, uint16_t type, uint32_t seq, const void *payload, size_t len);
/*
 * Receive one message into M, waiting up to TIMEOUT_MS (-1: forever, 0: not
 * at all): 1, 0 when none came, -1 when the peer is gone or sent something
 * malformed (errno EPROTO), with errno.
 */
int priv_recv(int sock, struct priv_msg *m, int timeout_ms);

#endif /* XP_PRIVSEP_H */
