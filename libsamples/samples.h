/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libsamples: sessions and sample files.
 *
 * A session directory (SESSDIR, default /var/lib/xenprof) holds:
 *   SESSDIR/current/            the live session (written by xenprofd)
 *   SESSDIR/saved/NAME/         sessions kept with --save=NAME
 * and a session holds:
 *   meta                        session metadata (struct xps_meta)
 *   dom<ID>.samples             one profile per domain (struct xps_profile)
 *   kallsyms                    the kernel symbols captured at session start
 *
 * Every file is written to a temporary name in the same directory, fsync'd
 * and renamed over the old one, so a reader (or a daemon killed at any
 * instant) sees either the previous or the new complete file, never a mix.
 * The daemon writes a whole generation of current/ (samples, kallsyms and
 * meta) into SESSDIR/.current.flush and exchanges that directory with
 * current/ in one rename (xps_session_stage_*): a reader that reads every
 * file through one open of the directory (xps_session_open) sees one
 * generation, never new samples with an old kallsyms.
 * Every file carries a magic, a format version and a CRC32 of its contents.
 * The byte format is documented in doc/sample-format.md.
 *
 * Conventions: functions return 0 (or a pointer / index >= 0) on success and
 * -1 (or NULL) on failure; the reason is then in xps_errmsg(), a per-thread
 * string that names the file and the problem.  The library never prints and
 * never exits.
 */
#ifndef XP_SAMPLES_H
#define XP_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

/* The last error of this thread, e.g. "dom0.samples: bad checksum". */
const char *xps_errmsg(void);
/* The errno behind that error (ENOSPC, EROFS...), or 0 if none was involved. */
int xps_errnum(void);

/* ===================================================================== */
/* Images                                                                */

#define XPS_NONE		0xffffffffu	/* separation key not recorded */
#define XPS_BUILD_ID_MAX	64
#define XPS_PATH_MAX		4096
#define XPS_CHAIN_MAX		256	/* frames per call chain */

enum xps_image_kind {
	XPS_IMG_FILE = 0,	/* ELF file; offsets are file offsets */
	XPS_IMG_KERNEL = 1,	/* vmlinux or [kernel.kallsyms]; offsets are addresses */
	XPS_IMG_XEN = 2,	/* xen-syms; offsets are addresses */
	XPS_IMG_KMOD = 3,	/* kernel module [name]; offsets are addresses */
	XPS_IMG_ANON = 4,	/* no file: [user], [unknown], [anon], [vdso]... */
};

/* An image as recorded in a profile. path is owned by whoever owns the struct. */
struct xps_image {
	char	       *path;
	uint8_t		kind;			/* enum xps_image_kind */
	uint8_t		build_id_len;		/* 0: none recorded */
	uint8_t		build_id[XPS_BUILD_ID_MAX];
};

/* ===================================================================== */
/* Profiles: one domain's aggregated samples                             */

enum xps_mode {
	XPS_MODE_USER = 0,
	XPS_MODE_KERNEL = 1,
	XPS_MODE_XEN = 2,
};

/*
 * The aggregation key.  Fields not separated by the session's --separate
 * setting hold XPS_NONE.  All padding must be zero (keys are hashed and
 * compared as bytes): build keys with xps_key_init().
 */
struct xps_key {
	uint64_t	offset;	/* file offset (FILE) or address (KERNEL/XEN/KMOD/ANON) */
	uint32_t	image;	/* index into the profile's image table */
	uint32_t	app;	/* application image index (--separate=library) or XPS_NONE */
	uint32_t	tgid;	/* process (--separate=thread) or XPS_NONE */
	uint32_t	tid;	/* thread (--separate=thread) or XPS_NONE */
	uint32_t	cpu;	/* cpu / vcpu (--separate=cpu) or XPS_NONE */
	uint32_t	chain;	/* call-chain id from xps_profile_chain(), 0 = none */
	uint8_t		event;	/* index into the session's event list */
	uint8_t		mode;	/* enum xps_mode */
	uint8_t		pad[6];
};

/* Zero the key, set the separation fields to XPS_NONE. */
void xps_key_init(struct xps_key *k);

struct xps_record {
	struct xps_key	key;
	uint64_t	count;
};

/*
 * One frame of a call chain: an image and the offset in it (as in xps_key).
 * xenprofd records callers' frames as call sites (return address - 1), so
 * that each lies inside its caller's symbol.
 */
struct xps_frame {
	uint32_t	image;
	uint32_t	pad;
	uint64_t	offset;
};

/* Loss counters of a profile; the kind says where the samples were lost. */
enum xps_loss_kind {
	XPS_LOSS_RING = 0,	/* source ring full (xenoprof lost_samples, PERF_RECORD_LOST) */
	XPS_LOSS_THROTTLE = 1,	/* perf throttled the event */
	XPS_LOSS_NO_MAPPING = 2,/* a pc the daemon could not attribute to any image */
	XPS_LOSS_INVALID = 3,	/* malformed ring contents (bad mode, counter, escape) */
	XPS_LOSS_OTHER = 4,
	XPS_LOSS_NKINDS
};

struct xps_loss {
	uint32_t	cpu;	/* cpu / vcpu, XPS_NONE when not per cpu */
	uint32_t	kind;	/* enum xps_loss_kind */
	uint64_t	count;
};

struct xps_profile;

/* A new empty profile for domain DOMID named NAME (NAME may be NULL). */
struct xps_profile *xps_profile_new(uint32_t domid, const char *name);
void xps_profile_free(struct xps_profile *p);

uint32_t xps_profile_domid(const struct xps_profile *p);
const char *xps_profile_name(const struct xps_profile *p);

/*
 * Intern an image (the same kind + path + build-id gives the same index).
 * The profile copies IMG.  Returns the index or -1.
 */
int xps_profile_image(struct xps_profile *p, const struct xps_image *img);
uint32_t xps_profile_nimages(const struct xps_profile *p);
/* The image at INDEX, or NULL if out of range.  Owned by the profile. */
const struct xps_image *xps_profile_image_at(const struct xps_profile *p, uint32_t index);

/* Add COUNT to KEY's count (the hot path: O(1) expected, no I/O). */
int xps_profile_add(struct xps_profile *p, const struct xps_key *key, uint64_t count);

/*
 * Intern a call chain of N frames, leaf's caller first.  Returns its id
 * (>= 1) or 0 on failure (an empty chain is also 0).
 */
uint32_t xps_profile_chain(struct xps_profile *p, const struct xps_frame *frames, uint32_t n);
/* Frames of chain ID (NULL if unknown); *N receives their number. */
const struct xps_frame *xps_profile_chain_at(const struct xps_profile *p, uint32_t id, uint32_t *n);

/* Add N lost samples of KIND on CPU. */
int xps_profile_add_lost(struct xps_profile *p, uint32_t cpu, uint32_t kind, uint64_t n);
/* All loss counters; *N receives their number.  Owned by the profile. */
const struct xps_loss *xps_profile_losses(const struct xps_profile *p, uint32_t *n);
/* Sum of all loss counters. */
uint64_t xps_profile_lost_total(const struct xps_profile *p);

/*
 * The records, in unspecified order; *N receives their number.  The array is
 * owned by the profile and valid until the next xps_profile_add().
 */
const struct xps_record *xps_profile_records(const struct xps_profile *p, size_t *n);
/* Sum of all counts. */
uint64_t xps_profile_total(const struct xps_profile *p);

/* Write the profile to PATH atomically (temp file, fsync, rename). */
int xps_profile_write(const struct xps_profile *p, const char *path);
/* The same as NAME in directory DIRFD (PATH names it in messages). */
int xps_profile_writeat(const struct xps_profile *p, int dirfd, const char *name,
    const char *path);
/* Read a profile; NULL with xps_errmsg() naming PATH on any corruption. */
struct xps_profile *xps_profile_read(const char *path);

/* ===================================================================== */
/* Session metadata                                                       */

#define XPS_MAX_EVENTS	 16
#define XPS_MAX_DOMAINS	 64
#define XPS_NAME_MAX	 64

enum xps_separate {
	XPS_SEP_LIBRARY = 1 << 0,
	XPS_SEP_KERNEL = 1 << 1,
	XPS_SEP_THREAD = 1 << 2,
	XPS_SEP_CPU = 1 << 3,
};

struct xps_event_desc {
	char		name[XPS_NAME_MAX];	/* as the user gave it, e.g. cpu-clock */
	uint64_t	count;			/* sampling period */
	uint32_t	unit_mask;
	uint8_t		kernel;			/* samples kernel mode */
	uint8_t		user;			/* samples user mode */
};

struct xps_domain_desc {
	uint32_t	domid;
	char		name[XPS_NAME_MAX];
	uint8_t		role;		/* 0 self, 1 active, 2 passive */
	char		kernel[XPS_PATH_MAX];	/* kernel image for this domain, "" if none */
};

struct xps_meta {
	char		backend[16];		/* "perf" or "xenoprof" */
	char		cpu_type[XPS_NAME_MAX];
	char		hostname[XPS_NAME_MAX];
	uint32_t	separate;		/* enum xps_separate bits */
	uint32_t	callgraph;		/* call-chain depth, 0 = none */
	uint64_t	start_time;		/* CLOCK_REALTIME ns at start, 0 = not started */
	uint64_t	stop_time;		/* at stop, 0 = still running */
	char		vmlinux[XPS_PATH_MAX];	/* --vmlinux, "" = kallsyms or none */
	char		xen[XPS_PATH_MAX];	/* --xen, "" = none */
	uint8_t		xen_build_id_len;
	uint8_t		xen_build_id[XPS_BUILD_ID_MAX];
	uint64_t	kernel_text;		/* runtime address of _text (KASLR), 0 unknown */
	uint32_t	nevents;
	struct xps_event_desc events[XPS_MAX_EVENTS];
	uint32_t	ndomains;
	struct xps_domain_desc domains[XPS_MAX_DOMAINS];
	uint32_t	flags;			/* XPS_META_* */
};

/* Meta flags. */
#define XPS_META_ON_XEN		(1u << 0)	/* taken in a Xen domain */
#define XPS_META_NO_PMU		(1u << 1)	/* timer sampling: no hardware or virtual PMU */

int xps_meta_write(const struct xps_meta *m, const char *path);
int xps_meta_writeat(const struct xps_meta *m, int dirfd, const char *name, const char *path);
int xps_meta_read(struct xps_meta *m, const char *path);

/* ===================================================================== */
/* Session directories                                                    */

/*
 * A session name is 1..64 characters of [A-Za-z0-9._-], not starting with
 * '.' or '-', and not "current".  Returns 1 if valid; 0 with xps_errmsg() if not.
 */
int xps_name_valid(const char *name);

/* PATH of session NAME (NULL: current) in SESSDIR. -1 if too long / bad name. */
int xps_session_path(char *buf, size_t len, const char *sessdir, const char *name);

/*
 * Move the current session to saved/NAME (which must not exist) and create
 * an empty current.  -1 if NAME exists or is invalid.
 */
int xps_session_save(const char *sessdir, const char *name);
/* Remove every file of the current session (the directory stays). */
int xps_session_reset(const char *sessdir);
/*
 * The same in the session directory open as SESSFD (SESSDIR names it in
 * messages): nothing is looked up by path, no symlink is followed.
 */
int xps_session_saveat(int sessfd, const char *sessdir, const char *name);
int xps_session_resetat(int sessfd, const char *sessdir);

/*
 * A session as read by the report tool: one generation of its files, all
 * read through dirfd (an open of the session's directory).
 */
struct xps_session {
	char		       *path;
	int			dirfd;		/* the directory read, owned; files of it
						 * may go once a newer generation is out */
	struct xps_meta		meta;
	uint32_t		nprofiles;
	struct xps_profile    **profiles;	/* sorted by domid */
	uint32_t		nbad;
	char		      **bad;		/* one message per unreadable file */
	char		       *kallsyms;	/* the kallsyms file's text, NULL if none */
	size_t			kallsyms_len;
};

/*
 * Read the session at PATH: meta, every dom*.samples and kallsyms, all of
 * one generation (a flush that replaced the directory while it was read
 * makes it start over).  A corrupt profile is recorded in ->bad and
 * skipped; the others are still read.  NULL if PATH is not a session (no
 * readable meta).
 */
struct xps_session *xps_session_open(const char *path);
/* The same for directory NAME in DIRFD (not followed if a symlink); PATH for messages. */
struct xps_session *xps_session_openat(int dirfd, const char *name, const char *path);
void xps_session_close(struct xps_session *s);

/*
 * The writer's side of a generation (xenprofd): stage_begin empties (or
 * makes) SESSDIR/.current.flush and puts its path into DIR; the caller
 * writes meta, dom*.samples and kallsyms there; stage_commit exchanges it
 * with SESSDIR/current in one rename (RENAME_EXCHANGE), so that the
 * previous generation is then in .current.flush until the next
 * stage_begin.  Where the filesystem cannot exchange, the files are moved
 * one by one (samples, kallsyms, meta last).  -1 with xps_errmsg().
 */
int xps_session_stage_begin(const char *sessdir, char *dir, size_t len);
int xps_session_stage_commit(const char *sessdir);
/*
 * The same in the session directory open as SESSFD (SESSDIR for messages):
 * stage_beginat returns the stage directory's fd (the caller writes there
 * with the *at calls and closes it), or -1.
 */
int xps_session_stage_beginat(int sessfd, const char *sessdir);
int xps_session_stage_commitat(int sessfd, const char *sessdir);

/* The default SESSDIR; every sessdir argument may be NULL to mean it. */
#define XPS_SESSDIR_DEFAULT	"/var/lib/xenprof"

/*
 * Create SESSDIR (mode 0755) and SESSDIR/current (mode 0700) if missing.
 * -1 if either exists but is not a directory (a symlink is refused).
 */
int xps_session_init(const char *sessdir);

/* DIR/dom<DOMID>.samples into BUF; -1 if it does not fit. */
int xps_profile_filename(char *buf, size_t len, const char *dir, uint32_t domid);

/* CRC-32 (IEEE 802.3, as zlib's crc32()) of BUF[0..LEN), continuing CRC (0 to start). */
uint32_t xps_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * Replace PATH atomically with LEN bytes of DATA (temp file, fsync, rename,
 * fsync of the directory), mode 0600, never following a symlink; for files
 * such as kallsyms that have no format of their own.
 */
int xps_write_file(const char *path, const void *data, size_t len);
/* The same as NAME in directory DIRFD (PATH names it in messages). */
int xps_write_fileat(int dirfd, const char *name, const char *path, const void *data,
    size_t len);

/*
 * Open the session directory SESSDIR for a daemon that writes in it
 * (CREATE: made, mode 0700, if missing), once: every write is then made
 * relative to the fd returned (the *at calls), so that renaming SESSDIR or
 * a parent and planting a symlink in its place changes nothing for it.
 * Refused, with xps_errmsg() naming the directory and the fix, when a
 * directory above SESSDIR is writable by a user other than root, who could
 * do just that (as sshd's StrictModes): each must be root's and not group-
 * or world-writable, or root's and sticky (/tmp) with the next directory
 * root's or OWNER's.  SESSDIR must be a directory, not a symlink, owned by
 * root or OWNER.  Returns the O_DIRECTORY fd, or -1.
 */
int xps_sessdir_open(const char *sessdir, uint32_t owner, int create);

#endif /* XP_SAMPLES_H */
