/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procmap: the executable mappings of every process, built from /proc at
 * start and kept current from the perf side band (MMAP2, COMM, FORK, EXIT).
 *
 * A process that exits stays in the table until the end of the drain pass
 * after the one that saw its EXIT (procmap_end_pass), so samples it left in
 * other cpus' rings are still attributed.
 */
#ifndef XP_PROCMAP_H
#define XP_PROCMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PM_NONE	0xffffffffu
/* A file asked about longer than this is taken to have no build-id. */
#define PM_WAIT_MS	3000

enum pm_bid_state {
	PM_BID_NONE = 0,	/* none: an anonymous mapping, or the file had none to read */
	PM_BID_KNOWN = 1,	/* from the kernel, or read */
	PM_BID_WAITING = 2,	/* asked of the reader, no answer yet */
};

/*
 * A mapped file (or special mapping), shared by every process mapping it.
 * One per (path, build-id): a file replaced under the same path (a package
 * upgrade) is another entry, with its own build-id.
 */
struct pm_file {
	char	       *path;		/* owned */
	bool		anon;		/* [vdso], //anon, [heap]...: no file to read */
	uint8_t		build_id_len;
	uint8_t		build_id[64];
	/* The file: its device and inode as /proc or MMAP2 named it, and the
	 * size and mtime when its build-id was read; 0 when unknown. */
	uint64_t	dev, ino, size;
	int64_t		mtime_ns;
	uint8_t		bid_state;	/* enum pm_bid_state */
	uint32_t	id;		/* for the reader's answer, 0 if never asked */
	uint64_t	asked_ms;	/* CLOCK_MONOTONIC of the question */
	uint32_t	img_idx;	/* attrib's cache: image index in a profile ... */
	uint32_t	img_gen;	/* ... valid while it equals the profile generation */
};

struct pm_map {
	uint64_t	start, end;	/* [start, end) */
	uint64_t	pgoff;		/* file offset of start */
	struct pm_file *file;
};

struct procmap;

struct procmap *procmap_new(void);
void procmap_free(struct procmap *pm);

/*
 * Read every process's executable mappings from PROCDIR (normally "/proc").
 * Build-ids come from the files' ELF notes.  Returns the number of processes.
 */
int procmap_scan(struct procmap *pm, const char *procdir);
/* Read one process from PROCDIR/PID (used on a miss for an unknown pid). */
int procmap_scan_pid(struct procmap *pm, const char *procdir, uint32_t pid);
/*
 * PID's maps as read from /proc elsewhere (the privileged parent): MAPS,
 * LEN bytes of /proc/PID/maps lines, and EXE, its executable's path ("" if
 * unknown).  What was known of PID's maps is replaced.  0, or -1.
 */
int procmap_scan_text(struct procmap *pm, uint32_t pid, const char *exe, const char *maps,
    size_t len);
/*
 * Replace what is known of PID's mappings by PROCDIR/PID/maps (a known
 * process whose samples keep missing its maps: a side-band record was lost
 * or came out of order).  -1, the old maps kept, when PID is gone.
 */
int procmap_rescan_pid(struct procmap *pm, const char *procdir, uint32_t pid);
/*
 * A sample of PID fell in none of its maps: the misses since PID's maps
 * last changed by exec or fork, this one included (0 for an unknown pid).
 */
uint32_t procmap_miss(struct procmap *pm, uint32_t pid);

/* An executable mapping appeared (build_id may be NULL: read from the file). */
void procmap_mmap(struct procmap *pm, uint32_t pid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *build_id, size_t build_id_len);
/* The same, naming the file by device and inode too (0 0: unknown). */
void procmap_mmap_id(struct procmap *pm, uint32_t pid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *build_id, size_t build_id_len,
    uint64_t dev, uint64_t ino);

/*
 * Build-ids the kernel did not give are asked of ASK (the daemon's reader,
 * daemon/bidread.h): ID identifies the file in the answer, DEV and INO say
 * which file PATH must be (0 0 unknown).  ASK returns 0 when asked.  With
 * no reader set (the unit tests) they are read here, at once.
 */
void procmap_set_reader(struct procmap *pm, int (*ask)(void *ctx, uint32_t id, const char *path,
    uint64_t dev, uint64_t ino), void *ctx);
/* The reader's answer about file ID: OK with its build-id, or none. */
void procmap_answer(struct procmap *pm, uint32_t id, int ok, const uint8_t *bid, size_t bidlen,
    uint64_t dev, uint64_t ino, uint64_t size, int64_t mtime_ns);
/* Is F's build-id still awaited (asked less than PM_WAIT_MS ago)? */
bool procmap_file_waiting(const struct pm_file *f);
/* Files whose build-id is awaited. */
size_t procmap_waiting(const struct procmap *pm);
/* PID called exec: its old mappings are gone. */
void procmap_exec(struct procmap *pm, uint32_t pid);
/* PID was forked from PPID (a new process when pid != ppid). */
void procmap_fork(struct procmap *pm, uint32_t pid, uint32_t ppid);
/* Process PID exited (kept until the end of the next drain pass). */
void procmap_exit(struct procmap *pm, uint32_t pid);
/*
 * Treat every process as exited (reaped after the next pass): before a
 * rescan of /proc when the side band was off, so that processes that died
 * meanwhile go and reused pids get fresh maps.
 */
void procmap_forget(struct procmap *pm);
/* A drain pass over every ring is complete: reap processes exited before it. */
void procmap_end_pass(struct procmap *pm);

/* The mapping of PID containing PC, or NULL. */
const struct pm_map *procmap_lookup(struct procmap *pm, uint32_t pid, uint64_t pc);
/*
 * The mapping of any live process containing PC, for sources that give no
 * pid (xenoprof).  With ASLR an address almost always lies in one mapping;
 * when it lies in several that disagree on (file, offset), *AMBIGUOUS is
 * set and the first is returned.  NULL if none.
 */
const struct pm_map *procmap_lookup_any(struct procmap *pm, uint64_t pc, int *ambiguous);

/* The executable of PID (first file mapping seen after exec), or NULL. */
struct pm_file *procmap_exe(struct procmap *pm, uint32_t pid);

/* Numbers for --status: live and exited-but-kept processes, files. */
void procmap_counts(const struct procmap *pm, size_t *live, size_t *dead, size_t *files);

/* Read the GNU build-id note of the ELF file PATH; returns its length or 0. */
size_t procmap_read_build_id(const char *path, uint8_t *buf, size_t len);

#endif /* XP_PROCMAP_H */
