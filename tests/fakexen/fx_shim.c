/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_shim.c - libfakexen.so, the LD_PRELOAD side of fakexen.
 *
 * The Debian libxencall, libxenforeignmemory, libxenctrl and libxenstore
 * run unchanged; this library answers their device calls:
 *
 *   open*("/dev/xen/privcmd" | "/proc/xen/privcmd")  -> a real fd on the
 *        marker file DIR/privcmd;
 *   open*("/sys/hypervisor/...", "/sys/kernel/notes", "/proc/kallsyms",
 *        "/proc/xen/capabilities")
 *        -> the simulated domain's own, DIR/view/domN/... (fx_view.c): the
 *        host's hypervisor and the domain's kernel as the guest sees them;
 *        (fopen too: glibc's fopen does not open through the PLT);
 *   open*("/run/xenprof/...") -> DIR/view/domN/run/xenprof/... (created
 *        there as asked): each simulated domain has its own run dir, so
 *        its xenoprof lock is its own, as on a host of its own;
 *   syscall(SYS_perf_event_open) -> ENOSYS in a domain whose kernel has no
 *        perf events (`domain N ... perf none`), else the real one;
 *   every other /dev/xen and /proc/xen path -> ENOENT (so /dev/xen/hypercall
 *        is absent and libxencall falls back to locked anonymous pages, as
 *        without the buffer device);
 *   ioctl(privcmd, HYPERCALL)     -> fx_hyp_hypercall() as domain
 *        $FAKEXEN_DOMID against $FAKEXEN_STATE;
 *   mmap(privcmd)                 -> an empty PROT_NONE reservation, like
 *        the VM_PFNMAP vma privcmd creates;
 *   ioctl(privcmd, MMAPBATCH_V2)  -> the state file's frames mapped
 *        MAP_SHARED|MAP_FIXED into that reservation, page by page;
 *   munmap                        -> forgets the reservation;
 *   other privcmd ioctls (DM_OP, MMAP_RESOURCE, the UNIMPLEMENTED probe,
 *        v1 MMAPBATCH...) fail with ENOTTY as on a kernel without them;
 *        RESTRICT succeeds (and is not enforced).
 *
 * A privcmd fd is recognised by fstat() (st_dev, st_ino) of the marker, so
 * dup, fork, close and fd reuse need no bookkeeping and close() is not
 * interposed.  Everything else goes to libc untouched.
 *
 * Traps (see the findings): our constructor may run after the Xen
 * libraries', so nothing relies on it -- fx_resolve() (dlsym only) runs
 * lazily in every interposer and is re-entrant; fx_attach() (maps the state)
 * runs once, from the first open of a privcmd path, and its own open/mmap
 * calls re-enter the interposers harmlessly because the state is not yet
 * published.  Hypercall handlers run under the state's robust mutex.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fx_hyp.h"
#include <xen/sys/privcmd.h>

#define FX_EXPORT __attribute__((visibility("default")))

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static FILE *(*real_fopen)(const char *, const char *);
static long (*real_syscall)(long, ...);
static FILE *(*real_fopen64)(const char *, const char *);

static pthread_once_t fx_once = PTHREAD_ONCE_INIT;
static struct fx_state *fx_S;		/* published once attached */
static char fx_state_path[4096];
static char fx_marker[4096];
static dev_t fx_mk_dev;
static ino_t fx_mk_ino;
static uint32_t fx_domid;
static int fx_trace;

/* privcmd reservations of this process: MMAPBATCH must target one exactly */
struct fx_vma {
	uintptr_t	addr;
	size_t		len;
	int		prot;
};
static struct fx_vma *fx_vmas;
static size_t fx_nvmas, fx_vmas_cap;
static pthread_mutex_t fx_vma_lock = PTHREAD_MUTEX_INITIALIZER;

#define FX_TRACE(...) do {						\
	if (fx_trace) {							\
		fprintf(stderr, "fakexen[dom%u pid %d]: ", fx_domid, (int)getpid()); \
		fprintf(stderr, __VA_ARGS__);				\
	}								\
} while (0)

static void
fx_resolve(void)
{
	if (__atomic_load_n(&real_open, __ATOMIC_ACQUIRE) != NULL)
		return;
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	real_mmap = dlsym(RTLD_NEXT, "mmap");
	real_munmap = dlsym(RTLD_NEXT, "munmap");
	real_fopen = dlsym(RTLD_NEXT, "fopen");
	real_syscall = dlsym(RTLD_NEXT, "syscall");
	real_fopen64 = dlsym(RTLD_NEXT, "fopen64");
	__atomic_store_n(&real_open, dlsym(RTLD_NEXT, "open"), __ATOMIC_RELEASE);
}

static void
fx_attach(void)
{
	const char *st = getenv("FAKEXEN_STATE"), *dom = getenv("FAKEXEN_DOMID");
	struct fx_state *s;
	struct stat sb;
	char err[256], *end;
	unsigned long id;
	int fd;

	fx_trace = getenv("FAKEXEN_TRACE") != NULL && *getenv("FAKEXEN_TRACE") != '0';
	if (st == NULL || strlen(st) + 16 > sizeof fx_state_path) {
		fprintf(stderr, "fakexen: FAKEXEN_STATE is not set; run the "
		    "program with `fakexen exec`\n");
		return;
	}
	id = dom != NULL ? strtoul(dom, &end, 10) : 0;
	if (dom != NULL && (*dom == '\0' || *end != '\0' || id >= DOMID_FIRST_RESERVED)) {
		fprintf(stderr, "fakexen: bad FAKEXEN_DOMID '%s'\n", dom);
		return;
	}
	fx_domid = (uint32_t)id;
	snprintf(fx_state_path, sizeof fx_state_path, "%s", st);
	snprintf(fx_marker, sizeof fx_marker, "%s.privcmd", st);
	if ((s = fx_state_map(fx_state_path, err, sizeof err)) == NULL) {
		fprintf(stderr, "fakexen: %s\n", err);
		return;
	}
	fd = real_open(fx_marker, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		fprintf(stderr, "fakexen: cannot open %s: %s\n", fx_marker,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fx_state_unmap(s);
		return;
	}
	close(fd);
	fx_mk_dev = sb.st_dev;
	fx_mk_ino = sb.st_ino;
	__atomic_store_n(&fx_S, s, __ATOMIC_RELEASE);
}

static struct fx_state *
fx_state(void)
{
	return __atomic_load_n(&fx_S, __ATOMIC_ACQUIRE);
}

static int
fx_is_privcmd(int fd)
{
	struct stat sb;

	return fd >= 0 && fx_state() != NULL && fstat(fd, &sb) == 0 &&
	    sb.st_ino == fx_mk_ino && sb.st_dev == fx_mk_dev;
}

/* ------------------------------------------------------------------ */
/* open family                                                        */

static int
fx_is_xen_path(const char *p)
{
	return strncmp(p, "/dev/xen/", 9) == 0 || strcmp(p, "/dev/xen") == 0 ||
	    strncmp(p, "/proc/xen/", 10) == 0 || strcmp(p, "/proc/xen") == 0 ||
	    strncmp(p, "/sys/hypervisor", 15) == 0;
}

/* A file in the simulated domain's run dir (created as asked, not read-only). */
static int
fx_is_run_path(const char *p)
{
	return strncmp(p, "/run/xenprof/", 13) == 0;
}

/* The domain's kernel symbols: only where its view has them (a domain with a kernel image). */
static int fx_view_path(const char *p, char *buf, size_t len);

static int
fx_is_kallsyms(const char *p)
{
	char v[4096];

	return strcmp(p, "/proc/kallsyms") == 0 && fx_view_path(p, v, sizeof v) == 0 &&
	    access(v, F_OK) == 0;
}

/* A file of the simulated domain's view (fx_view.c) rather than the host's. */
static int
fx_is_view_path(const char *p)
{
	return (strncmp(p, "/sys/hypervisor", 15) == 0 && (p[15] == '\0' || p[15] == '/')) ||
	    strcmp(p, "/sys/kernel/notes") == 0 || strcmp(p, "/proc/xen/capabilities") == 0 ||
	    fx_is_run_path(p) || fx_is_kallsyms(p);
}

/* The file of the domain's view that stands for P; -1 outside `fakexen exec`. */
static int
fx_view_path(const char *p, char *buf, size_t len)
{
	const char *dir = getenv("FAKEXEN_DIR"), *dom = getenv("FAKEXEN_DOMID");

	if (dir == NULL || dom == NULL)
		return -1;
	snprintf(buf, len, "%s/view/dom%s%s", dir, dom, p);
	return 0;
}

/* Returns an fd, -1 with errno, or -2 for "not ours". */
static int
fx_open_xen(const char *p, int flags, mode_t mode)
{
	int fd;

	if (p == NULL || (!fx_is_xen_path(p) && !fx_is_view_path(p)))
		return -2;
	if (fx_is_view_path(p)) {
		char view[4096];

		if (fx_view_path(p, view, sizeof view) == -1) {
			errno = ENOENT;
			return -1;
		}
		if (fx_is_run_path(p))
			fd = real_open(view, flags, mode);
		else
			fd = real_open(view, flags & ~(O_CREAT | O_TRUNC | O_EXCL | O_TMPFILE));
		FX_TRACE("open(%s) -> %s: %d\n", p, view, fd);
		return fd;
	}
	if (strcmp(p, "/dev/xen/privcmd") == 0 || strcmp(p, "/proc/xen/privcmd") == 0) {
		pthread_once(&fx_once, fx_attach);
		if (fx_state() == NULL) {
			errno = ENOENT;
			return -1;
		}
		fd = real_open(fx_marker, (flags & ~(O_CREAT | O_TRUNC | O_EXCL |
		    O_TMPFILE | O_ACCMODE)) | O_RDONLY);
		FX_TRACE("open(%s) -> privcmd fd %d\n", p, fd);
		return fd;
	}
	FX_TRACE("open(%s) -> ENOENT\n", p);
	errno = ENOENT;
	return -1;
}

static int
fx_do_open(int dirfd, const char *p, int flags, mode_t mode)
{
	int r;

	fx_resolve();
	if ((r = fx_open_xen(p, flags, mode)) != -2)
		return r;
	if (dirfd == AT_FDCWD)
		return real_open(p, flags, mode);
	return real_openat(dirfd, p, flags, mode);
}

#define FX_MODE_ARG(flags, mode) do {					\
	if ((flags) & (O_CREAT | O_TMPFILE)) {				\
		va_list ap;						\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
} while (0)

FX_EXPORT int
open(const char *p, int flags, ...)
{
	mode_t mode = 0;
	FX_MODE_ARG(flags, mode);
	return fx_do_open(AT_FDCWD, p, flags, mode);
}

FX_EXPORT int
open64(const char *p, int flags, ...)
{
	mode_t mode = 0;
	FX_MODE_ARG(flags, mode);
	return fx_do_open(AT_FDCWD, p, flags, mode);
}

FX_EXPORT int
openat(int dirfd, const char *p, int flags, ...)
{
	mode_t mode = 0;
	FX_MODE_ARG(flags, mode);
	return fx_do_open(dirfd, p, flags, mode);
}

FX_EXPORT int
openat64(int dirfd, const char *p, int flags, ...)
{
	mode_t mode = 0;
	FX_MODE_ARG(flags, mode);
	return fx_do_open(dirfd, p, flags, mode);
}

/* glibc's fopen opens without the PLT: the view's files need their own. */
static FILE *
fx_do_fopen(FILE *(*real)(const char *, const char *), const char *p, const char *m)
{
	char view[4096];

	fx_resolve();
	if (p != NULL && fx_is_view_path(p)) {
		if (fx_view_path(p, view, sizeof view) == -1) {
			errno = ENOENT;
			return NULL;
		}
		FX_TRACE("fopen(%s) -> %s\n", p, view);
		return real(view, m);
	}
	return real(p, m);
}

FX_EXPORT FILE *
fopen(const char *p, const char *m)
{
	fx_resolve();
	return fx_do_fopen(real_fopen, p, m);
}

FX_EXPORT FILE *
fopen64(const char *p, const char *m)
{
	fx_resolve();
	return fx_do_fopen(real_fopen64 ? real_fopen64 : real_fopen, p, m);
}

FX_EXPORT int __open_2(const char *, int);
FX_EXPORT int __open64_2(const char *, int);

int
__open_2(const char *p, int flags)
{
	return fx_do_open(AT_FDCWD, p, flags, 0);
}

int
__open64_2(const char *p, int flags)
{
	return fx_do_open(AT_FDCWD, p, flags, 0);
}

/* ------------------------------------------------------------------ */
/* mmap / munmap                                                      */

static void
fx_vma_add(uintptr_t addr, size_t len, int prot)
{
	pthread_mutex_lock(&fx_vma_lock);
	if (fx_nvmas == fx_vmas_cap) {
		size_t cap = fx_vmas_cap ? fx_vmas_cap * 2 : 16;
		struct fx_vma *n = realloc(fx_vmas, cap * sizeof *n);
		if (n == NULL) {
			pthread_mutex_unlock(&fx_vma_lock);
			return;
		}
		fx_vmas = n;
		fx_vmas_cap = cap;
	}
	fx_vmas[fx_nvmas++] = (struct fx_vma){ addr, len, prot };
	pthread_mutex_unlock(&fx_vma_lock);
}

/* prot of the reservation that is exactly [addr, addr+len), or -1 */
static int
fx_vma_find(uintptr_t addr, size_t len)
{
	int prot = -1;

	pthread_mutex_lock(&fx_vma_lock);
	for (size_t i = 0; i < fx_nvmas; i++)
		if (fx_vmas[i].addr == addr && fx_vmas[i].len == len)
			prot = fx_vmas[i].prot;
	pthread_mutex_unlock(&fx_vma_lock);
	return prot;
}

FX_EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	fx_resolve();
	if ((flags & MAP_ANONYMOUS) || !fx_is_privcmd(fd))
		return real_mmap(addr, len, prot, flags, fd, off);
	if (!(flags & MAP_SHARED) || off != 0) {
		errno = EINVAL;		/* privcmd_mmap wants a shared mapping */
		return MAP_FAILED;
	}
	p = real_mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE | (flags & MAP_FIXED), -1, 0);
	if (p != MAP_FAILED) {
		madvise(p, len, MADV_DONTFORK);	/* privcmd vmas are VM_DONTCOPY */
		fx_vma_add((uintptr_t)p, len, prot);
	}
	FX_TRACE("mmap(privcmd, %zu, prot %d) -> %p\n", len, prot, p);
	return p;
}

FX_EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

FX_EXPORT int
munmap(void *addr, size_t len)
{
	uintptr_t a = (uintptr_t)addr;

	fx_resolve();
	if (fx_nvmas > 0) {
		pthread_mutex_lock(&fx_vma_lock);
		for (size_t i = 0; i < fx_nvmas; ) {
			if (fx_vmas[i].addr < a + len && a < fx_vmas[i].addr + fx_vmas[i].len)
				fx_vmas[i] = fx_vmas[--fx_nvmas];
			else
				i++;
		}
		pthread_mutex_unlock(&fx_vma_lock);
	}
	return real_munmap(addr, len);
}

/* ------------------------------------------------------------------ */
/* ioctl                                                              */

static long
fx_mmapbatch(struct fx_state *s, const struct fx_caller *c,
    privcmd_mmapbatch_v2_t *m)
{
	int prot, fd, err;

	if (m == NULL || m->num == 0 || m->num > (1u << 20) || m->arr == NULL)
		return -EINVAL;
	prot = fx_vma_find((uintptr_t)m->addr, (size_t)m->num * FX_PAGE);
	if (prot < 0)
		return -EINVAL;		/* must be exactly one privcmd vma */
	fx_lock(s);
	err = fx_hyp_fault(s, FX_FK_MMAPBATCH, c->domid);
	fx_unlock(s);
	if (err != 0)
		return -err;
	/* opened per call: a daemon may close every fd it does not know */
	if ((fd = real_open(fx_state_path, O_RDWR | O_CLOEXEC)) == -1)
		return -EIO;
	fx_lock(s);
	for (unsigned i = 0; i < m->num; i++) {
		uint64_t off;
		unsigned slot;
		int e = fx_hyp_map_frame(s, c, m->dom, m->arr[i], &slot, &off);

		if (e == 0) {
			if (real_mmap((char *)(uintptr_t)m->addr + (size_t)i * FX_PAGE,
			    FX_PAGE, prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off) == MAP_FAILED)
				e = -errno;
			else
				fx_hyp_note_map(s, c, slot);
		}
		if (m->err != NULL)
			m->err[i] = e;
	}
	fx_unlock(s);
	close(fd);
	FX_TRACE("MMAPBATCH_V2 dom %u num %u first mfn %#llx\n", m->dom, m->num,
	    (unsigned long long)m->arr[0]);
	/* per-page errors are in err[]; never -ENOENT ("paged out, retry") */
	return 0;
}

static int
fx_restricted(struct fx_state *s, uint32_t domid)
{
	int slot, r;

	fx_lock(s);
	slot = fx_slot_by_domid(s, domid);
	r = slot >= 0 && s->dom[slot].restricted;
	fx_unlock(s);
	return r;
}

/* The guest kernel of this domain has no perf events? */
static int
fx_noperf(void)
{
	struct fx_state *s;
	int slot, r = 0;

	pthread_once(&fx_once, fx_attach);
	if ((s = fx_state()) == NULL)
		return 0;
	fx_lock(s);
	slot = fx_slot_by_domid(s, fx_domid);
	r = slot >= 0 && s->dom[slot].noperf;
	fx_unlock(s);
	return r;
}

FX_EXPORT long
syscall(long n, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	fx_resolve();
	if (n == SYS_perf_event_open && fx_noperf()) {
		FX_TRACE("perf_event_open -> ENOSYS (perf none)\n");
		errno = ENOSYS;
		return -1;
	}
	return real_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

FX_EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	struct fx_caller c;
	struct fx_state *s;
	va_list ap;
	void *arg;
	long r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	fx_resolve();
	if (_IOC_TYPE(req) != 'P' || !fx_is_privcmd(fd))
		return real_ioctl(fd, req, arg);
	s = fx_state();
	c.domid = fx_domid;
	c.pid = getpid();
	switch (req) {
	case IOCTL_PRIVCMD_HYPERCALL: {
		privcmd_hypercall_t *h = arg;
		if (h == NULL) {
			r = -EFAULT;
			break;
		}
		/* Linux's privcmd in a domU, unless loaded with unrestricted=1. */
		if (fx_restricted(s, c.domid))
			r = -EPERM;
		else
			r = fx_hyp_hypercall(s, &c, h->op, (const uint64_t *)h->arg);
		FX_TRACE("hypercall %llu(%llu) -> %ld\n", (unsigned long long)h->op,
		    (unsigned long long)h->arg[0], r);
		break;
	}
	case IOCTL_PRIVCMD_MMAPBATCH_V2:
		r = fx_mmapbatch(s, &c, arg);
		break;
	case IOCTL_PRIVCMD_RESTRICT:
		r = 0;
		break;
	default:
		r = -ENOTTY;
		FX_TRACE("ioctl(privcmd, %#lx) -> ENOTTY\n", req);
		break;
	}
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}
