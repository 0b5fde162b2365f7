/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --doctor [--xen=FILE] [--vmlinux=FILE]: what this host can profile, and
 * why not more.  One line per finding, "STATUS TOPIC: what was found", then
 * "fix: ..." where something can be done; STATUS is ok, warn, fail or info.
 * The last line, "verdict: ...", sums up what a session here would see.
 *
 * Everything is read, never changed; sysfs and procfs through open()+read()
 * (in test builds under $XENPROF_SYSROOT, a prefix for fake /sys and /proc
 * trees; the installed xenprof-ctl reads the host's only).
 * The xenoprof probe goes through libxencall (hv_xenoprof_probe): it is
 * skipped while a xenprofd holds the hypervisor (init would reset it), and
 * otherwise leaves xenoprof idle, as a daemon start would find it.
 */

#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <linux/perf_event.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/ctl.h"
#include "hv/hv.h"

#define DOC_MAX_FILE	65536

struct doctor {
	const char     *root;		/* $XENPROF_SYSROOT or "" */
	const char     *xen_image, *vmlinux;
	/* what was found */
	bool		xen, dom0, pv, pmu, cpu_clock, xenoprof, vpmu_hv, vpmu_all, vpmu_self;
	int		xen_major, xen_minor;
	int		paranoid;		/* perf_event_paranoid; 2 if unreadable */
	bool		locked;			/* lockdown=confidentiality */
	char		guest_type[16];
	int		fails, warns;
};

/* ---- output -------------------------------------------------------------- */

static void __attribute__((format(printf, 4, 5)))
line(struct doctor *d, const char *status, const char *fix, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(status, "fail") == 0)
		d->fails++;
	else if (strcmp(status, "warn") == 0)
		d->warns++;
	printf("%-4s  ", status);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (fix != NULL && fix[0] != '\0')
		printf("      fix: %s\n", fix);
}

/* ---- reading --------------------------------------------------------------- */

/*
 * REL (an absolute path) under the sysroot into BUF (NUL-terminated, at most
 * LEN-1 bytes, trailing whitespace removed).  Bytes read, or -1 with errno.
 */
static ssize_t
readf(const struct doctor *d, const char *rel, char *buf, size_t len)
{
	char path[4200];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "%s%s", d->root, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)total + 1 < len && (n = read(fd, buf + total, len - 1 - (size_t)total)) > 0)
		total += n;
	if (total == 0 && n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	buf[total] = '\0';
	while (total > 0 && isspace((unsigned char)buf[total - 1]))
		buf[--total] = '\0';
	return total;
}

/* The GNU build-id note in the notes NOTES (LEN bytes): its length, or 0. */
static size_t
notes_build_id(const uint8_t *notes, size_t len, uint8_t *out, size_t outlen)
{
	size_t off = 0;

	while (off + 12 <= len) {
		uint32_t namesz, descsz, type;
		size_t name_off, desc_off, next;

		memcpy(&namesz, notes + off, 4);
		memcpy(&descsz, notes + off + 4, 4);
		memcpy(&type, notes + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + (((size_t)namesz + 3) & ~(size_t)3);
		next = desc_off + (((size_t)descsz + 3) & ~(size_t)3);
		if (namesz > len || descsz > len || next > len || next <= off)
			return 0;
		if (type == 3 && namesz == 4 && memcmp(notes + name_off, "GNU", 4) == 0 &&
		    descsz > 0 && descsz <= outlen) {
			memcpy(out, notes + desc_off, descsz);
			return descsz;
		}
		off = next;
	}
	return 0;
}

/* The build-id of the ELF file PATH (64-bit little-endian), or 0. */
static size_t
elf_build_id(const char *path, uint8_t *out, size_t outlen)
{
	unsigned char eh[64], sh[64];
	uint64_t shoff;
	uint16_t shentsize, shnum;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return 0;
	if (pread(fd, eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh, "\177ELF", 4) != 0 ||
	    eh[4] != 2 || eh[5] != 1)
		goto out;
	memcpy(&shoff, eh + 0x28, 8);
	memcpy(&shentsize, eh + 0x3a, 2);
	memcpy(&shnum, eh + 0x3c, 2);
	if (shentsize < 64 || shnum > 4096)
		goto out;
	for (uint16_t i = 0; i < shnum && n == 0; i++) {
		uint32_t type;
		uint64_t off, size;
		uint8_t *buf;

		if (pread(fd, sh, sizeof(sh), (off_t)(shoff + (uint64_t)i * shentsize)) != (ssize_t)sizeof(sh))
			break;
		memcpy(&type, sh + 4, 4);
		memcpy(&off, sh + 0x18, 8);
		memcpy(&size, sh + 0x20, 8);
		if (type != 7 /* SHT_NOTE */ || size == 0 || size > DOC_MAX_FILE)
			continue;
		if ((buf = malloc(size)) == NULL)
			break;
		if (pread(fd, buf, size, (off_t)off) == (ssize_t)size)
			n = notes_build_id(buf, size, out, outlen);
		free(buf);
	}
out:
	close(fd);
	return n;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* ---- the checks -------------------------------------------------------------- */

static void
check_xen(struct doctor *d)
{
	char type[64], buf[256], ver[96], extra[64];
	bool caps;

	if (readf(d, "/sys/hypervisor/type", type, sizeof(type)) <= 0)
		type[0] = '\0';
	if (strcmp(type, "xen") != 0) {
		int fd = open("/dev/xen/privcmd", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			/* privcmd without the sysfs entries: Xen, but little is known about it */
			close(fd);
			d->xen = true;
			line(d, "warn", "a dom0 kernel with CONFIG_XEN_SYS_HYPERVISOR (and sysfs mounted)",
			    "hypervisor: Xen (/dev/xen/privcmd opens), but /sys/hypervisor says nothing "
			    "(type: %s): version and domain type unknown", type[0] ? type : "none");
			return;
		}
		line(d, "info", NULL, "hypervisor: not running on Xen (/sys/hypervisor/type: %s); "
		    "perf profiles this machine, there is no hypervisor or guest to see",
		    type[0] ? type : "none");
		return;
	}
	d->xen = true;
	ver[0] = '\0';
	if (readf(d, "/sys/hypervisor/version/major", buf, sizeof(buf)) > 0)
		d->xen_major = atoi(buf);
	if (readf(d, "/sys/hypervisor/version/minor", buf, sizeof(buf)) > 0)
		d->xen_minor = atoi(buf);
	if (readf(d, "/sys/hypervisor/version/extra", extra, sizeof(extra)) < 0)
		extra[0] = '\0';
	snprintf(ver, sizeof(ver), "%d.%d%s", d->xen_major, d->xen_minor, extra);
	if (readf(d, "/sys/hypervisor/guest_type", d->guest_type, sizeof(d->guest_type)) <= 0)
		snprintf(d->guest_type, sizeof(d->guest_type), "PV");	/* kernels before 4.15 are PV-only there */
	d->pv = strcmp(d->guest_type, "PV") == 0;
	caps = readf(d, "/proc/xen/capabilities", buf, sizeof(buf)) >= 0;
	d->dom0 = caps && strstr(buf, "control_d") != NULL;
	line(d, "ok", NULL, "hypervisor: Xen %s", ver);
	if (!caps)
		line(d, "warn", "mount -t xenfs xenfs /proc/xen", "domain: /proc/xen/capabilities is missing "
		    "(xenfs not mounted), so dom0 cannot be told from a domU; %s guest assumed to be a domU",
		    d->guest_type);
	else if (d->dom0 && d->pv)
		line(d, "ok", NULL, "domain: PV dom0 (control_d): xenoprof can work here, and perf with "
		    "Xen's vPMU");
	else if (d->dom0)
		line(d, "warn", "boot dom0 as PV (no dom0=pvh on the Xen command line) for xenoprof "
		    "or vPMU in hv/all mode", "domain: %s dom0: xenoprof answers ENOSYS to PVH/HVM "
		    "callers and vPMU only lets a %s dom0 profile itself", d->guest_type, d->guest_type);
	else
		line(d, "info", NULL, "domain: %s domU: it profiles only itself (an active domain of "
		    "dom0's xenoprof session, or perf inside the guest)", d->guest_type);
	if (d->xen_major > 4 || (d->xen_major == 4 && d->xen_minor >= 22))
		line(d, "info", "use --backend=perf (with vpmu= on the Xen command line to see Xen)",
		    "xenoprof: Xen %d.%d removed it (4.22)", d->xen_major, d->xen_minor);
	else if (d->xen_major == 4 && d->xen_minor >= 18)
		line(d, "info", NULL, "xenoprof: Xen %d.%d builds it only with CONFIG_EXPERT and "
		    "CONFIG_XENOPROF (off by default since 4.18)", d->xen_major, d->xen_minor);
}

static void
check_xenoprof(struct doctor *d)
{
	char cpu_type[64], why[HV_ERR_LEN];
	int nev, e, r;
	bool primary;

	r = hv_xenoprof_probe(cpu_type, &nev, &primary, &e, why, sizeof(why));
	if (r == 1) {
		d->xenoprof = true;
		line(d, "ok", NULL, "xenoprof: %s", why);
		return;
	}
	if (r == -1 && e == 0 && !d->xen) {
		line(d, "info", NULL, "xenoprof: not available: %s", why);
		return;
	}
	if (r == -1) {
		const char *fix = "use --backend=perf";

		if (e == ENOSYS)
			fix = "use --backend=perf; to see Xen and guests boot Xen with vpmu=on watchdog=0 "
			    "and a PV dom0";
		else if (e == ENODEV)
			fix = "use --backend=perf (boot Xen with vpmu=on to see Xen: vPMU supports this CPU)";
		else if (e == EBUSY)
			fix = "boot Xen without vpmu= (or stop the other profiler), or use --backend=perf";
		else if (e == EPERM && !d->dom0)
			fix = "load xen-privcmd with unrestricted=1 (or boot the domU's kernel with "
			    "xen_privcmd.unrestricted=1)";
		else if (e == EPERM || e == EACCES)
			fix = "allow profiling in the XSM/FLASK policy for this domain, or use --backend=perf";
		line(d, "fail", fix, "xenoprof: not available: %s", why);
		return;
	}
	d->xenoprof = true;
	{
		size_t n = 0, have = 0;
		const struct hv_event_info *ev = hv_events("xenoprof", &n);

		for (size_t i = 0; ev != NULL && i < n; i++)
			if (ev[i].cpu_type != NULL && strcmp(ev[i].cpu_type, cpu_type) == 0)
				have++;
		line(d, "ok", NULL, "xenoprof: available: cpu type %s, %d counters, %s", cpu_type, nev,
		    primary ? "this domain is the primary profiler" : "this domain is not the primary "
		    "(another domain profiles, or this is a domU: an active domain)");
		if (have == 0)
			line(d, "warn", "add a table under the events directory, or use --backend=perf",
			    "events: xenprof has no event table for cpu type %s (%s)", cpu_type,
			    hv_event_tables_dir());
		else
			line(d, "ok", NULL, "events: %zu events for %s (xenprof-ctl --list-events=%s)",
			    have, cpu_type, cpu_type);
	}
}

/* In a Xen domain: does xenstore answer (bounded in time), and who are we? */
static void
check_xenstore(struct doctor *d)
{
	char name[64], why[HV_ERR_LEN];
	uint32_t id;

	if (!d->xen)
		return;
	if (hv_xenstore_self(&id, name, sizeof(name), why, sizeof(why)) == 0)
		line(d, "ok", NULL, "xenstore: answers: this is domain %u (%s)", id,
		    name[0] ? name : "no name");
	else
		line(d, "warn", d->dom0 ? "start xenstored (the xencommons service, or xenstored and "
		    "xen-init-dom0)" : "check that dom0 runs xenstored", "xenstore: %s", why);
}

static void
check_vpmu(struct doctor *d)
{
	char mode[32], feat[32];
	unsigned long f = 0;
	char fs[128] = "";

	if (!d->xen)
		return;
	if (readf(d, "/sys/hypervisor/pmu/pmu_mode", mode, sizeof(mode)) <= 0) {
		line(d, "info", d->dom0 && d->pv ? "boot Xen with vpmu=on watchdog=0 (dom0 kernel with "
		    "CONFIG_XEN_HAVE_VPMU) for perf to see Xen and guests" : NULL,
		    "vPMU: no /sys/hypervisor/pmu (Xen booted without vpmu=, a dom0 kernel without "
		    "CONFIG_XEN_HAVE_VPMU, or not the initial domain): perf in dom0 sees no PMU events "
		    "of Xen or guests");
		return;
	}
	if (readf(d, "/sys/hypervisor/pmu/pmu_features", feat, sizeof(feat)) > 0) {
		f = strtoul(feat, NULL, 0);
		snprintf(fs, sizeof(fs), "%s%s%s%s%s", f ? "features" : "features none",
		    (f & 1) ? " bts" : "", (f & 2) ? " ipc-only" : "", (f & 4) ? " arch-only" : "",
		    (f & 8) ? " hv-stacktrace" : "");
	}
	if (strcmp(mode, "off") == 0)
		line(d, "warn", "echo all > /sys/hypervisor/pmu/pmu_mode (or hv for dom0 and Xen only)",
		    "vPMU: mode off (%s): perf in dom0 has no hardware events", fs);
	else if (strcmp(mode, "self") == 0) {
		d->vpmu_self = true;
		line(d, "warn", "echo all > /sys/hypervisor/pmu/pmu_mode to see Xen and guests "
		    "(or hv for Xen)", "vPMU: mode self (%s): each domain profiles only itself; no Xen "
		    "or guest samples in dom0", fs);
	} else if (strcmp(mode, "hv") == 0) {
		d->vpmu_hv = true;
		line(d, "ok", "echo all > /sys/hypervisor/pmu/pmu_mode to see the guests too",
		    "vPMU: mode hv (%s): perf in dom0 sees dom0 and Xen", fs);
	} else if (strcmp(mode, "all") == 0) {
		d->vpmu_all = true;
		line(d, "ok", NULL, "vPMU: mode all (%s): perf in dom0 sees dom0, Xen and every guest "
		    "(guests as a [guests] bucket)", fs);
	} else
		line(d, "warn", NULL, "vPMU: unknown mode '%.16s' (%s)", mode, fs);
	if (f & 2)
		line(d, "info", NULL, "vPMU: ipc-only: only cycles, instructions and ref-cycles count");
	else if (f & 4)
		line(d, "info", NULL, "vPMU: arch-only: only Intel's architectural events count");
}

static long
perf_open(struct perf_event_attr *a, pid_t pid, int cpu)
{
	return syscall(SYS_perf_event_open, a, pid, cpu, -1, 0UL);
}

static void
check_perf(struct doctor *d)
{
	char buf[64];
	struct perf_event_attr a;
	long fd;
	int paranoid = 2;

	d->paranoid = 2;

	if (readf(d, "/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) > 0) {
		paranoid = d->paranoid = atoi(buf);
		if (geteuid() == 0 || paranoid <= -1)
			line(d, "ok", NULL, "perf_event_paranoid: %d (%s)", paranoid,
			    geteuid() == 0 ? "root is not restricted by it" : "system-wide allowed");
		else
			line(d, "fail", "run as root, or sysctl kernel.perf_event_paranoid=-1",
			    "perf_event_paranoid: %d: system-wide profiling needs root or -1", paranoid);
	} else
		line(d, "warn", "mount procfs", "perf_event_paranoid: unreadable: %s", strerror(errno));

	if (readf(d, "/sys/kernel/security/lockdown", buf, sizeof(buf)) > 0) {
		d->locked = strstr(buf, "[confidentiality]") != NULL;
		if (d->locked)
			line(d, "warn", "boot with lockdown=none (needs Secure Boot off), or give --vmlinux",
			    "lockdown: confidentiality: kernel addresses and perf's kernel data are hidden");
		else if (strstr(buf, "[integrity]") != NULL)
			line(d, "ok", NULL, "lockdown: integrity (profiling is not affected)");
		else
			line(d, "ok", NULL, "lockdown: none");
	} else
		line(d, "info", NULL, "lockdown: not reported (no securityfs or no lockdown LSM)");

	/* Hardware PMU: cycles on this process; ENOENT/EOPNOTSUPP mean none. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.disabled = 1;
	a.exclude_kernel = 1;
	fd = perf_open(&a, 0, -1);
	if (fd >= 0) {
		close((int)fd);
		d->pmu = true;
		line(d, "ok", NULL, "hardware PMU: present (cycles opens)%s", d->xen ?
		    " through Xen's vPMU" : "");
	} else {
		int e = errno;

		line(d, e == ENOENT || e == EOPNOTSUPP || e == ENODEV ? "info" : "warn",
		    d->xen && d->pv && d->dom0 ? "boot Xen with vpmu=on watchdog=0" :
		    d->xen ? NULL : "on a VM, enable the PMU passthrough/vPMU of its hypervisor",
		    "hardware PMU: none (cycles: %s): only the cpu-clock and task-clock events, and "
		    "no hardware counters", e == ENOENT ? "ENOENT" : e == EOPNOTSUPP ? "EOPNOTSUPP" :
		    strerror(e));
	}
	if (readf(d, "/proc/sys/kernel/nmi_watchdog", buf, sizeof(buf)) > 0) {
		if (atoi(buf) != 0 && d->pmu)
			line(d, "warn", "sysctl kernel.nmi_watchdog=0 while profiling",
			    "NMI watchdog: on: it holds one hardware counter");
		else
			line(d, "ok", NULL, "NMI watchdog: %s", atoi(buf) ? "on (no hardware counter to "
			    "take here)" : "off");
	}

	/* cpu-clock system-wide on cpu 0, sampling, as the daemon opens it. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.sample_period = 1000000;
	a.sample_type = PERF_SAMPLE_IP;
	a.disabled = 1;
	fd = perf_open(&a, -1, 0);
	if (fd >= 0) {
		close((int)fd);
		d->cpu_clock = true;
		line(d, "ok", NULL, "cpu-clock: system-wide sampling works (perf backend, any host)");
	} else
		line(d, "fail", errno == EACCES || errno == EPERM ? "run as root, or sysctl "
		    "kernel.perf_event_paranoid=-1" : "a kernel with CONFIG_PERF_EVENTS",
		    "cpu-clock: system-wide perf_event_open fails: %s", strerror(errno));
}

/*
 * /proc/kallsyms shows addresses (Linux's kallsyms_show_value) with
 * kptr_restrict 0 to everyone when perf_event_paranoid <= 1, else only to
 * CAP_SYSLOG (root); with 1 only to CAP_SYSLOG; with 2 to nobody.
 */
static void
check_kallsyms(struct doctor *d)
{
	char buf[16384], kr[16] = "?", why[256];
	const char *fix;
	ssize_t n;
	bool nonzero = false, root = geteuid() == 0;
	int k;

	if (readf(d, "/proc/sys/kernel/kptr_restrict", kr, sizeof(kr)) < 0)
		snprintf(kr, sizeof(kr), "?");
	if ((n = readf(d, "/proc/kallsyms", buf, sizeof(buf))) <= 0) {
		line(d, "warn", "give --vmlinux=FILE", "kernel symbols: /proc/kallsyms unreadable");
		return;
	}
	/* The first symbols may be at 0 for real (per-cpu ones: fixed_percpu_data):
	 * hidden addresses are zero on every line. */
	for (char *p = buf; *p != '\0' && !nonzero; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
		for (char *q = p; *q != '\0' && *q != ' ' && *q != '\n'; q++)
			if (*q != '0')
				nonzero = true;
	if (nonzero) {
		line(d, "ok", NULL, "kernel symbols: /proc/kallsyms has addresses (kptr_restrict %s)", kr);
		return;
	}
	k = kr[0] == '?' ? -1 : atoi(kr);
	if (k >= 2) {
		snprintf(why, sizeof(why), "kptr_restrict %d hides them from everyone, root included", k);
		fix = "sysctl kernel.kptr_restrict=1 (root then sees them), or give --vmlinux=FILE";
	} else if (k == 1 && !root) {
		snprintf(why, sizeof(why), "kptr_restrict 1 shows them to root (CAP_SYSLOG) only");
		fix = "run as root, or give --vmlinux=FILE";
	} else if (k == 0 && !root && d->paranoid > 1) {
		snprintf(why, sizeof(why), "with kptr_restrict 0 a non-root user sees them only while "
		    "perf_event_paranoid <= 1, and it is %d", d->paranoid);
		fix = "run as root, or sysctl kernel.perf_event_paranoid=1, or give --vmlinux=FILE";
	} else if (d->locked) {
		snprintf(why, sizeof(why), "kptr_restrict %s, lockdown confidentiality hides them", kr);
		fix = "boot with lockdown=none (needs Secure Boot off), or give --vmlinux=FILE";
	} else {
		snprintf(why, sizeof(why), "kptr_restrict %s; this process lacks CAP_SYSLOG", kr);
		fix = root ? "run with CAP_SYSLOG (outside a container that drops it), or give --vmlinux=FILE" :
		    "run as root, or give --vmlinux=FILE";
	}
	line(d, "fail", fix, "kernel symbols: /proc/kallsyms shows zero addresses: %s", why);
}

static void
check_build_ids(struct doctor *d)
{
	uint8_t run[64], img[64], notes[4096];
	char hr[130], hi[130], path[4200];
	size_t nrun = 0, nimg;
	ssize_t n;
	int fd;

	/* Xen: /sys/hypervisor/properties/buildid holds the raw bytes. */
	snprintf(path, sizeof(path), "%s/sys/hypervisor/properties/buildid", d->root);
	nrun = hv_sysfs_build_id(path, run, sizeof(run));
	if (nrun)
		hex(run, nrun, hr);
	if (d->xen_image != NULL) {
		nimg = elf_build_id(d->xen_image, img, sizeof(img));
		if (nimg)
			hex(img, nimg, hi);
		if (nimg == 0)
			line(d, "fail", "give the xen-syms of the running Xen (from the xen-hypervisor "
			    "debug package)", "Xen image: %s has no build-id (not an ELF xen-syms?)",
			    d->xen_image);
		else if (nrun == 0)
			line(d, "info", NULL, "Xen image: %s build-id %s; the running Xen's is unknown "
			    "(no /sys/hypervisor/properties/buildid)", d->xen_image, hi);
		else if (nimg == nrun && memcmp(img, run, nrun) == 0)
			line(d, "ok", NULL, "Xen image: %s matches the running Xen (build-id %s)",
			    d->xen_image, hr);
		else
			line(d, "fail", "give the xen-syms of the running Xen", "Xen image: %s build-id %s "
			    "is not the running Xen's %s", d->xen_image, hi, hr);
	} else if (nrun)
		line(d, "info", "give --xen=FILE to check an image", "Xen build-id: %s", hr);

	/* Kernel: /sys/kernel/notes is the raw note section. */
	nrun = 0;
	snprintf(path, sizeof(path), "%s/sys/kernel/notes", d->root);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		if ((n = read(fd, notes, sizeof(notes))) > 0)
			nrun = notes_build_id(notes, (size_t)n, run, sizeof(run));
		close(fd);
	}
	if (nrun)
		hex(run, nrun, hr);
	if (d->vmlinux != NULL) {
		nimg = elf_build_id(d->vmlinux, img, sizeof(img));
		if (nimg)
			hex(img, nimg, hi);
		if (nimg == 0)
			line(d, "fail", "give the vmlinux of the running kernel (linux-image-*-dbg)",
			    "kernel image: %s has no build-id (not an ELF vmlinux?)", d->vmlinux);
		else if (nrun == 0)
			line(d, "info", NULL, "kernel image: %s build-id %s; the running kernel's is "
			    "unknown (no /sys/kernel/notes)", d->vmlinux, hi);
		else if (nimg == nrun && memcmp(img, run, nrun) == 0)
			line(d, "ok", NULL, "kernel image: %s matches the running kernel (build-id %s)",
			    d->vmlinux, hr);
		else
			line(d, "fail", "give the vmlinux of the running kernel, or --no-vmlinux",
			    "kernel image: %s build-id %s is not the running kernel's %s", d->vmlinux, hi, hr);
	} else if (nrun)
		line(d, "info", "give --vmlinux=FILE to check an image", "kernel build-id: %s", hr);
}

static void
verdict(struct doctor *d)
{
	const char *what;

	if (d->xenoprof)
		what = "xenoprof: Xen, dom0 and the domains you list (--active-domains, "
		    "--passive-domains), attributed per domain";
	else if (d->xen && d->pmu && d->vpmu_all)
		what = "perf with vPMU: dom0, Xen (with --xen) and the guests as a [guests] bucket";
	else if (d->xen && d->pmu && d->vpmu_hv)
		what = "perf with vPMU: dom0 and Xen (with --xen); guests are not visible";
	else if (d->cpu_clock && d->xen)
		what = "perf cpu-clock: this domain only; Xen and the other guests are not visible";
	else if (d->cpu_clock)
		what = d->pmu ? "perf: this machine, with hardware events" :
		    "perf cpu-clock: this machine (no hardware PMU: timer sampling only)";
	else
		what = "nothing: no backend can sample here (see the failures above)";
	printf("verdict: %s\n", what);
}

static int
ctl_doctor_exec(struct ctl *c)
{
	struct doctor d;

	memset(&d, 0, sizeof(d));
	d.root = XP_TEST_ENV("XENPROF_SYSROOT") ? XP_TEST_ENV("XENPROF_SYSROOT") : "";
	for (int i = 0; i < c->nsetup; i++) {
		const char *a = c->setup_args[i];

		if (strncmp(a, "--xen=", 6) == 0 && a[6] != '\0')
			d.xen_image = a + 6;
		else if (strncmp(a, "--vmlinux=", 10) == 0 && a[10] != '\0')
			d.vmlinux = a + 10;
		else {
			warnx("--doctor takes only --xen=FILE and --vmlinux=FILE (got %s)", a);
			return 2;
		}
	}
	check_xen(&d);
	check_xenoprof(&d);
	check_xenstore(&d);
	check_vpmu(&d);
	check_perf(&d);
	check_kallsyms(&d);
	check_build_ids(&d);
	verdict(&d);
	return d.cpu_clock || d.xenoprof ? 0 : 1;
}

const struct ctl_cmd ctl_doctor_cmd = {
	.name = "doctor",
	.usage = "--doctor [--xen=F] [--vmlinux=F]  what this host can profile, and why not more",
	.takes_setup = true,
	.exec = ctl_doctor_exec,
};
