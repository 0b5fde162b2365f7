/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procmap: process executable mappings, from /proc and the perf side band. */

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/bidread.h"
#include "daemon/procmap.h"

struct pm_proc {
	uint32_t	pid;
	uint32_t	nmaps, cap;
	struct pm_map  *maps;		/* sorted by start, non-overlapping */
	struct pm_file *exe;
	uint64_t	dead_pass;	/* 0: alive; else the pass that saw its exit */
	uint64_t	new_pass;	/* the pass that created it or saw its exec */
	uint32_t	misses;		/* samples in none of its maps since then */
	struct pm_proc *next;		/* hash chain */
};

#define PM_PROC_BUCKETS	4096		/* power of 2 */
#define PM_FILE_BUCKETS	1024

struct pm_file_ent {
	struct pm_file	f;
	struct pm_file_ent *next;
};

struct procmap {
	struct pm_proc *procs[PM_PROC_BUCKETS];
	struct pm_file_ent *files[PM_FILE_BUCKETS];
	uint64_t	pass;		/* current drain pass, starts at 1 */
	size_t		nlive, ndead, nfiles;
	/* One-entry lookup cache: most consecutive samples hit the same map. */
	uint32_t	cache_pid;
	struct pm_proc *cache_proc;
	/* Every process's maps sorted by start, for procmap_lookup_any; rebuilt
	 * when a map changed (index_dirty). maxend[i] = max end of [0..i]. */
	int		index_dirty;
	size_t		nindex;
	const struct pm_map **index;
	uint64_t       *maxend;
	/* The build-id reader (procmap_set_reader); files by id for its answers. */
	int	      (*ask)(void *ctx, uint32_t id, const char *path, uint64_t dev, uint64_t ino);
	void	       *ask_ctx;
	struct pm_file **byid;		/* [id - 1] */
	uint32_t	nbyid, capbyid;
	size_t		nwaiting;	/* files asked about and not answered */
};

static void *
xcalloc(size_t n, size_t s)
{
	void *p = calloc(n, s);

	if (p == NULL)
		abort();	/* the daemon's memory is bounded by the host's processes */
	return p;
}

struct procmap *
procmap_new(void)
{
	struct procmap *pm = xcalloc(1, sizeof(*pm));

	pm->pass = 1;
	pm->cache_pid = PM_NONE;
	return pm;
}

static void
proc_free(struct pm_proc *p)
{
	free(p->maps);
	free(p);
}

void
procmap_free(struct procmap *pm)
{
	if (pm == NULL)
		return;
	for (size_t i = 0; i < PM_PROC_BUCKETS; i++)
		for (struct pm_proc *p = pm->procs[i], *n; p; p = n) {
			n = p->next;
			proc_free(p);
		}
	free(pm->index);
	free(pm->maxend);
	free(pm->byid);
	for (size_t i = 0; i < PM_FILE_BUCKETS; i++)
		for (struct pm_file_ent *f = pm->files[i], *n; f; f = n) {
			n = f->next;
			free(f->f.path);
			free(f);
		}
	free(pm);
}

static uint32_t
str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

size_t
procmap_read_build_id(const char *path, uint8_t *buf, size_t len)
{
	int fd, st, n;

	/* A regular file only: O_PATH and fstat first, so that a FIFO or a
	 * device planted there is never opened (bidread_open). */
	if ((fd = bidread_open(path, 0, 0, 0, &st, NULL)) == -1)
		return 0;
	n = bidread_file(fd, buf, len);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static bool
path_is_anon(const char *path)
{
	return path[0] != '/' || strncmp(path, "//anon", 6) == 0 ||
	    strncmp(path, "/memfd:", 7) == 0 || strstr(path, " (deleted)") != NULL;
}

/* Does the file now at PATH (stat ST) look like the one F's build-id was read from? */
static bool
file_same(const struct pm_file *f, const struct stat *st)
{
	return f->ino != 0 && f->dev == (uint64_t)st->st_dev && f->ino == (uint64_t)st->st_ino &&
	    f->size == (uint64_t)st->st_size &&
	    f->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A new file entry for PATH in bucket H. */
static struct pm_file_ent *
file_new(struct procmap *pm, uint32_t h, const char *path)
{
	struct pm_file_ent *fe = xcalloc(1, sizeof(*fe));

	fe->f.path = strdup(path);
	if (fe->f.path == NULL)
		abort();
	fe->f.anon = path_is_anon(path);
	fe->next = pm->files[h];
	pm->files[h] = fe;
	pm->nfiles++;
	return fe;
}

/*
 * Intern (path, build-id).  With a reader (procmap_set_reader), a missing
 * build-id (a /proc scan, a kernel before 5.12) is asked of it: the entry
 * is the file of device DEV and inode INO (as /proc or MMAP2 said) and
 * waits for its answer; a file replaced under the same path (an upgrade)
 * is another inode, another entry.  Nothing is opened or stat'ed here.
 */
static struct pm_file *
file_get_id(struct procmap *pm, const char *path, const uint8_t *bid, size_t bidlen,
    uint64_t dev, uint64_t ino)
{
	uint32_t h = str_hash(path) & (PM_FILE_BUCKETS - 1);
	struct pm_file_ent *fe;

	if (bidlen > sizeof(fe->f.build_id))
		bidlen = 0;
	for (fe = pm->files[h]; fe; fe = fe->next) {
		if (strcmp(fe->f.path, path) != 0)
			continue;
		if (bidlen > 0) {
			if (fe->f.build_id_len == bidlen && memcmp(fe->f.build_id, bid, bidlen) == 0)
				return &fe->f;
			continue;
		}
		/* Path only (an MMAP record, an anonymous mapping): the newest by path. */
		if (fe->f.anon || (!dev && !ino))
			return &fe->f;
		if (fe->f.dev == dev && fe->f.ino == ino)
			return &fe->f;
	}
	fe = file_new(pm, h, path);
	fe->f.dev = dev;
	fe->f.ino = ino;
	fe->f.build_id_len = (uint8_t)bidlen;
	if (bidlen) {
		memcpy(fe->f.build_id, bid, bidlen);
		fe->f.bid_state = PM_BID_KNOWN;
	} else if (fe->f.anon)
		fe->f.bid_state = PM_BID_NONE;
	else {
		if (pm->nbyid == pm->capbyid) {
			pm->capbyid = pm->capbyid ? pm->capbyid * 2 : 256;
			pm->byid = realloc(pm->byid, pm->capbyid * sizeof(*pm->byid));
			if (pm->byid == NULL)
				abort();
		}
		pm->byid[pm->nbyid++] = &fe->f;
		fe->f.id = pm->nbyid;
		fe->f.bid_state = PM_BID_NONE;
		if (pm->ask(pm->ask_ctx, fe->f.id, path, dev, ino) == 0) {
			fe->f.bid_state = PM_BID_WAITING;
			fe->f.asked_ms = mono_ms();
			pm->nwaiting++;
		}
	}
	return &fe->f;
}

/*
 * Intern (path, build-id) without a reader (the unit tests): a missing
 * build-id is read here, and the entry remembers which file that was: when
 * another file is at PATH since (same path, other inode, size or mtime: an
 * upgrade), its build-id is read anew, never taken from the cache by path.
 */
static struct pm_file *
file_get(struct procmap *pm, const char *path, const uint8_t *bid, size_t bidlen)
{
	uint32_t h = str_hash(path) & (PM_FILE_BUCKETS - 1);
	struct pm_file_ent *fe, *by_path = NULL;
	struct stat st;
	bool have_st = false;
	uint8_t buf[64];

	if (pm->ask != NULL)
		return file_get_id(pm, path, bid, bidlen, 0, 0);
	if (bidlen > sizeof(buf))
		bidlen = 0;
	if (bidlen == 0 && !path_is_anon(path))
		have_st = stat(path, &st) == 0;
	for (fe = pm->files[h]; fe; fe = fe->next) {
		if (strcmp(fe->f.path, path) != 0)
			continue;
		if (bidlen > 0) {
			if (fe->f.build_id_len == bidlen && memcmp(fe->f.build_id, bid, bidlen) == 0)
				return &fe->f;
			continue;
		}
		if (!have_st || fe->f.anon || file_same(&fe->f, &st))
			return &fe->f;
		if (by_path == NULL)
			by_path = fe;
	}
	if (bidlen == 0 && !path_is_anon(path)) {
		bidlen = procmap_read_build_id(path, buf, sizeof(buf));
		bid = buf;
		/* The same file under another identity record (touched): reuse it. */
		for (fe = by_path; fe; fe = fe->next)
			if (strcmp(fe->f.path, path) == 0 && fe->f.build_id_len == bidlen &&
			    memcmp(fe->f.build_id, bid, bidlen) == 0 && bidlen > 0)
				goto found;
	}
	fe = file_new(pm, h, path);
	fe->f.build_id_len = (uint8_t)bidlen;
	fe->f.bid_state = bidlen ? PM_BID_KNOWN : PM_BID_NONE;
	if (bidlen)
		memcpy(fe->f.build_id, bid, bidlen);
found:
	if (have_st) {
		fe->f.dev = (uint64_t)st.st_dev;
		fe->f.ino = (uint64_t)st.st_ino;
		fe->f.size = (uint64_t)st.st_size;
		fe->f.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	return &fe->f;
}

static struct pm_proc *
proc_find(struct procmap *pm, uint32_t pid)
{
	struct pm_proc *p;

	if (pm->cache_pid == pid)
		return pm->cache_proc;
	for (p = pm->procs[pid & (PM_PROC_BUCKETS - 1)]; p; p = p->next)
		if (p->pid == pid)
			break;
	if (p) {
		pm->cache_pid = pid;
		pm->cache_proc = p;
	}
	return p;
}

static void
proc_unlink(struct procmap *pm, struct pm_proc *victim)
{
	struct pm_proc **pp = &pm->procs[victim->pid & (PM_PROC_BUCKETS - 1)];

	while (*pp != victim)
		pp = &(*pp)->next;
	*pp = victim->next;
	if (pm->cache_proc == victim) {
		pm->cache_pid = PM_NONE;
		pm->cache_proc = NULL;
	}
	pm->index_dirty = 1;
	if (victim->dead_pass)
		pm->ndead--;
	else
		pm->nlive--;
	proc_free(victim);
}

/* The live entry for PID, created if needed (a dead one with that pid is replaced). */
static struct pm_proc *
proc_get(struct procmap *pm, uint32_t pid)
{
	struct pm_proc *p = proc_find(pm, pid);

	if (p && p->dead_pass) {
		proc_unlink(pm, p);
		p = NULL;
	}
	if (p == NULL) {
		uint32_t h = pid & (PM_PROC_BUCKETS - 1);

		p = xcalloc(1, sizeof(*p));
		p->pid = pid;
		p->new_pass = pm->pass;
		p->next = pm->procs[h];
		pm->procs[h] = p;
		pm->nlive++;
		pm->cache_pid = PM_NONE;
	}
	return p;
}

/* Insert [start, end) into P's sorted map array, cutting what it overlaps. */
static void
proc_insert(struct pm_proc *p, uint64_t start, uint64_t end, uint64_t pgoff, struct pm_file *f)
{
	struct pm_map nm = { start, end, pgoff, f };
	uint32_t i, j, out = 0;
	struct pm_map *maps;

	/* Room for the new map plus a split of one old map in two. */
	if (p->nmaps + 2 > p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->maps = realloc(p->maps, p->cap * sizeof(*p->maps));
		if (p->maps == NULL)
			abort();
	}
	maps = p->maps;
	/* Rebuild in place: maps before, the trimmed overlaps, the new one, maps after. */
	{
		struct pm_map *tmp = malloc((p->nmaps + 2) * sizeof(*tmp));

		if (tmp == NULL)
			abort();

		for (i = 0; i < p->nmaps; i++) {
			struct pm_map m = maps[i];

			if (m.end <= start || m.start >= end) {
				tmp[out++] = m;
				continue;
			}
			if (m.start < start) {
				struct pm_map l = m;

				l.end = start;
				tmp[out++] = l;
			}
			if (m.end > end) {
				struct pm_map r = m;

				r.pgoff += end - m.start;
				r.start = end;
				tmp[out++] = r;
			}
		}
		/* Find the insertion point in tmp (sorted by start). */
		for (j = 0; j < out && tmp[j].start < start; j++)
			;
		memmove(&tmp[j + 1], &tmp[j], (out - j) * sizeof(tmp[0]));
		tmp[j] = nm;
		out++;
		memcpy(maps, tmp, out * sizeof(tmp[0]));
		free(tmp);
	}
	p->nmaps = out;
}

void
procmap_mmap(struct procmap *pm, uint32_t pid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *build_id, size_t build_id_len)
{
	procmap_mmap_id(pm, pid, start, len, pgoff, path, build_id, build_id_len, 0, 0);
}

void
procmap_mmap_id(struct procmap *pm, uint32_t pid, uint64_t start, uint64_t len,
    uint64_t pgoff, const char *path, const uint8_t *build_id, size_t build_id_len,
    uint64_t dev, uint64_t ino)
{
	struct pm_proc *p;
	struct pm_file *f;

	if (len == 0 || start + len < start || path == NULL)
		return;
	p = proc_get(pm, pid);
	f = pm->ask != NULL ? file_get_id(pm, path, build_id, build_id_len, dev, ino) :
	    file_get(pm, path, build_id, build_id_len);
	proc_insert(p, start, start + len, pgoff, f);
	pm->index_dirty = 1;
	if (p->exe == NULL && !f->anon)
		p->exe = f;
}

void
procmap_exec(struct procmap *pm, uint32_t pid)
{
	struct pm_proc *p = proc_get(pm, pid);

	p->nmaps = 0;
	p->exe = NULL;
	p->new_pass = pm->pass;
	p->misses = 0;
	pm->index_dirty = 1;
}

void
procmap_fork(struct procmap *pm, uint32_t pid, uint32_t ppid)
{
	struct pm_proc *parent, *child;

	if (pid == ppid)
		return;		/* a new thread shares its process's maps */
	/*
	 * The child's own exec and mmaps, drained from another cpu's ring in
	 * this pass or the last one, came after the fork: they win.  An older
	 * entry with this pid is a process whose exit we missed: replaced.
	 */
	child = proc_find(pm, pid);
	if (child != NULL && !child->dead_pass && (child->nmaps > 0 || child->exe != NULL) &&
	    child->new_pass + 1 >= pm->pass)
		return;
	child = proc_get(pm, pid);
	parent = proc_find(pm, ppid);	/* proc_get may have reset the cache */
	if (parent == NULL || parent == child)
		return;
	if (child->cap < parent->nmaps + 2) {
		free(child->maps);
		child->cap = parent->nmaps + 2;
		child->maps = malloc(child->cap * sizeof(*child->maps));
		if (child->maps == NULL)
			abort();
	}
	if (parent->nmaps > 0)
		memcpy(child->maps, parent->maps, parent->nmaps * sizeof(*parent->maps));
	child->nmaps = parent->nmaps;
	pm->index_dirty = 1;
	child->exe = parent->exe;
	child->misses = 0;
}

void
procmap_exit(struct procmap *pm, uint32_t pid)
{
	struct pm_proc *p = proc_find(pm, pid);

	if (p && !p->dead_pass) {
		p->dead_pass = pm->pass;
		pm->nlive--;
		pm->ndead++;
	}
}

void
procmap_forget(struct procmap *pm)
{
	for (size_t i = 0; i < PM_PROC_BUCKETS; i++)
		for (struct pm_proc *p = pm->procs[i]; p; p = p->next)
			if (!p->dead_pass) {
				p->dead_pass = pm->pass;
				pm->nlive--;
				pm->ndead++;
			}
}

void
procmap_end_pass(struct procmap *pm)
{
	if (pm->ndead) {
		for (size_t i = 0; i < PM_PROC_BUCKETS; i++) {
			struct pm_proc *p = pm->procs[i], *n;

			for (; p; p = n) {
				n = p->next;
				if (p->dead_pass && p->dead_pass < pm->pass)
					proc_unlink(pm, p);
			}
		}
	}
	pm->pass++;
}

const struct pm_map *
procmap_lookup(struct procmap *pm, uint32_t pid, uint64_t pc)
{
	struct pm_proc *p = proc_find(pm, pid);
	uint32_t lo = 0, hi;

	if (p == NULL)
		return NULL;
	hi = p->nmaps;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct pm_map *m = &p->maps[mid];

		if (pc < m->start)
			hi = mid;
		else if (pc >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

static int
index_cmp(const void *a, const void *b)
{
	const struct pm_map *x = *(const struct pm_map *const *)a, *y = *(const struct pm_map *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void
index_build(struct procmap *pm)
{
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < PM_PROC_BUCKETS; i++)
		for (struct pm_proc *p = pm->procs[i]; p; p = p->next)
			cap += p->nmaps;
	free(pm->index);
	free(pm->maxend);
	pm->index = malloc((cap ? cap : 1) * sizeof(*pm->index));
	pm->maxend = malloc((cap ? cap : 1) * sizeof(*pm->maxend));
	if (pm->index == NULL || pm->maxend == NULL)
		abort();
	for (size_t i = 0; i < PM_PROC_BUCKETS; i++)
		for (struct pm_proc *p = pm->procs[i]; p; p = p->next)
			for (uint32_t j = 0; j < p->nmaps; j++)
				pm->index[n++] = &p->maps[j];
	qsort(pm->index, n, sizeof(*pm->index), index_cmp);
	for (size_t i = 0; i < n; i++)
		pm->maxend[i] = i && pm->maxend[i - 1] > pm->index[i]->end ?
		    pm->maxend[i - 1] : pm->index[i]->end;
	pm->nindex = n;
	pm->index_dirty = 0;
}

const struct pm_map *
procmap_lookup_any(struct procmap *pm, uint64_t pc, int *ambiguous)
{
	const struct pm_map *found = NULL;
	size_t lo = 0, hi;

	*ambiguous = 0;
	if (pm->index_dirty || pm->index == NULL)
		index_build(pm);
	/* The last map starting at or below pc, then back while one may still cover it. */
	hi = pm->nindex;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->index[mid]->start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && pm->maxend[i] > pc;) {
		const struct pm_map *m = pm->index[i];

		if (pc >= m->end)
			continue;
		if (found == NULL)
			found = m;
		else if (m->file != found->file ||
		    m->pgoff + (pc - m->start) != found->pgoff + (pc - found->start)) {
			*ambiguous = 1;
			break;
		}
	}
	return found;
}

struct pm_file *
procmap_exe(struct procmap *pm, uint32_t pid)
{
	struct pm_proc *p = proc_find(pm, pid);

	return p ? p->exe : NULL;
}

void
procmap_counts(const struct procmap *pm, size_t *live, size_t *dead, size_t *files)
{
	*live = pm->nlive;
	*dead = pm->ndead;
	*files = pm->nfiles;
}

/* PID's maps lines from F (EXE: its executable's path, "" unknown). */
static void
scan_stream(struct procmap *pm, uint32_t pid, const char *exe, FILE *f)
{
	char line[4096 + 256];
	struct pm_proc *p = proc_get(pm, pid);

	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char perms[8];
		int pathpos = 0;
		char *file;
		size_t len;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj,
		    &min, &ino, &pathpos) < 7)
			continue;
		if (perms[2] != 'x' || pathpos == 0)
			continue;
		file = line + pathpos;
		len = strlen(file);
		if (len && file[len - 1] == '\n')
			file[--len] = '\0';
		if (len == 0)
			file = "//anon";
		/* The file is that device and inode: its build-id is read from it only. */
		procmap_mmap_id(pm, pid, start, end - start, off, file, NULL, 0,
		    ino ? makedev(maj, min) : 0, ino);
		if (exe[0] && strcmp(file, exe) == 0)
			p->exe = file_get(pm, exe, NULL, 0);
	}
}

int
procmap_scan_pid(struct procmap *pm, const char *procdir, uint32_t pid)
{
	char path[256], exe[4096];
	FILE *f;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/exe", procdir, pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/%u/maps", procdir, pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	scan_stream(pm, pid, exe, f);
	fclose(f);
	return 0;
}

int
procmap_scan_text(struct procmap *pm, uint32_t pid, const char *exe, const char *maps,
    size_t len)
{
	struct pm_proc *p;
	FILE *f;

	if ((p = proc_find(pm, pid)) != NULL && !p->dead_pass) {
		p->nmaps = 0;
		p->exe = NULL;
		pm->index_dirty = 1;
	}
	if (len == 0) {
		proc_get(pm, pid);
		return 0;
	}
	if ((f = fmemopen((void *)maps, len, "r")) == NULL)
		return -1;
	scan_stream(pm, pid, exe, f);
	fclose(f);
	return 0;
}

int
procmap_rescan_pid(struct procmap *pm, const char *procdir, uint32_t pid)
{
	char path[256];
	struct pm_proc *p;

	snprintf(path, sizeof(path), "%s/%u/maps", procdir, pid);
	if (access(path, R_OK) == -1)
		return -1;
	if ((p = proc_find(pm, pid)) != NULL && !p->dead_pass) {
		p->nmaps = 0;
		p->exe = NULL;
		pm->index_dirty = 1;
	}
	return procmap_scan_pid(pm, procdir, pid);
}

uint32_t
procmap_miss(struct procmap *pm, uint32_t pid)
{
	struct pm_proc *p = proc_find(pm, pid);

	return p != NULL ? ++p->misses : 0;
}

int
procmap_scan(struct procmap *pm, const char *procdir)
{
	DIR *d = opendir(procdir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || end == de->d_name || pid == 0 || pid > 0xfffffffful)
			continue;
		if (procmap_scan_pid(pm, procdir, (uint32_t)pid) == 0)
			n++;
	}
	closedir(d);
	return n;
}

void
procmap_set_reader(struct procmap *pm, int (*ask)(void *ctx, uint32_t id, const char *path,
    uint64_t dev, uint64_t ino), void *ctx)
{
	pm->ask = ask;
	pm->ask_ctx = ctx;
}

void
procmap_answer(struct procmap *pm, uint32_t id, int ok, const uint8_t *bid, size_t bidlen,
    uint64_t dev, uint64_t ino, uint64_t size, int64_t mtime_ns)
{
	struct pm_file *f;

	if (id == 0 || id > pm->nbyid || (f = pm->byid[id - 1]) == NULL)
		return;		/* not a file we asked about */
	if (f->bid_state == PM_BID_WAITING && pm->nwaiting > 0)
		pm->nwaiting--;
	if (!ok || bidlen == 0 || bidlen > sizeof(f->build_id)) {
		f->bid_state = PM_BID_NONE;
		return;
	}
	memcpy(f->build_id, bid, bidlen);
	f->build_id_len = (uint8_t)bidlen;
	f->bid_state = PM_BID_KNOWN;
	f->dev = dev;
	f->ino = ino;
	f->size = size;
	f->mtime_ns = mtime_ns;
	f->img_gen = 0;		/* interned again, with its build-id */
}

bool
procmap_file_waiting(const struct pm_file *f)
{
	return f->bid_state == PM_BID_WAITING && mono_ms() - f->asked_ms < PM_WAIT_MS;
}

size_t
procmap_waiting(const struct procmap *pm)
{
	return pm->nwaiting;
}
