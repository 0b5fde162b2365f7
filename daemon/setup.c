/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The session setup, shared by xenprof-ctl and xenprofd. */

#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/domains.h"
#include "daemon/setup.h"
#include "libsamples/samples.h"

void
setup_init(struct setup *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->backend, "auto");
	s->flush_ms = 1000;
}

/* If ARG is "--NAME=VALUE" (or "--NAME" when VALUE may be absent), return VALUE. */
static const char *
opt_value(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, name, n) != 0)
		return NULL;
	if (arg[2 + n] == '=')
		return arg + 3 + n;
	return NULL;
}

static int
copy_value(char *dst, size_t len, const char *v, const char *opt, char *err, size_t errlen)
{
	if (*v == '\0') {
		snprintf(err, errlen, "%s needs a value", opt);
		return -1;
	}
	if (strlen(v) >= len) {
		snprintf(err, errlen, "%s: value too long (at most %zu characters)", opt, len - 1);
		return -1;
	}
	strcpy(dst, v);
	return 1;
}

static const struct {
	const char     *name;
	uint32_t	bits;
} separate_names[] = {
	{ "none", 0 },
	{ "library", XPS_SEP_LIBRARY },
	{ "kernel", XPS_SEP_KERNEL | XPS_SEP_LIBRARY },
	{ "thread", XPS_SEP_THREAD },
	{ "cpu", XPS_SEP_CPU },
	{ "all", XPS_SEP_LIBRARY | XPS_SEP_KERNEL | XPS_SEP_THREAD | XPS_SEP_CPU },
};

static int
parse_separate(const char *v, uint32_t *out, char *err, size_t errlen)
{
	char buf[256], *tok, *save;
	uint32_t bits = 0;

	if (*v == '\0' || strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "--separate needs a value: none, library, kernel, thread, cpu or all");
		return -1;
	}
	strcpy(buf, v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(separate_names) / sizeof(separate_names[0]); i++)
			if (strcmp(tok, separate_names[i].name) == 0)
				break;
		if (i == sizeof(separate_names) / sizeof(separate_names[0])) {
			snprintf(err, errlen, "--separate: unknown value '%s' (use none, library, kernel, thread, cpu or all)", tok);
			return -1;
		}
		bits |= separate_names[i].bits;
	}
	*out = bits;
	return 0;
}

const char *
setup_separate_str(uint32_t sep, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sep == 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (sep & XPS_SEP_KERNEL)
		strncat(buf, "kernel,", len - strlen(buf) - 1);
	else if (sep & XPS_SEP_LIBRARY)
		strncat(buf, "library,", len - strlen(buf) - 1);
	if (sep & XPS_SEP_THREAD)
		strncat(buf, "thread,", len - strlen(buf) - 1);
	if (sep & XPS_SEP_CPU)
		strncat(buf, "cpu,", len - strlen(buf) - 1);
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

/*
 * Where the image WHAT (--vmlinux, --xen, --passive-images) comes from on
 * Debian, as a noun phrase for messages, into BUF.
 */
static const char *
image_source(const char *what, char *buf, size_t len)
{
	struct utsname un;
	const char *rel = uname(&un) == 0 ? un.release : "RELEASE";
	const char *root = XP_TEST_ENV("XENPROF_SYSROOT");
	char path[4200], major[16] = "", minor[16] = "", ver[40];
	FILE *f;

	if (strcmp(what, "--vmlinux") == 0) {
		snprintf(buf, len, "the running kernel's vmlinux (apt-get install linux-image-%s-dbg; "
		    "it is /usr/lib/debug/boot/vmlinux-%s)", rel, rel);
	} else if (strcmp(what, "--xen") == 0) {
		snprintf(path, sizeof(path), "%s/sys/hypervisor/version/major", root ? root : "");
		if ((f = fopen(path, "re")) != NULL) {
			if (fscanf(f, "%15s", major) != 1)
				major[0] = '\0';
			fclose(f);
		}
		snprintf(path, sizeof(path), "%s/sys/hypervisor/version/minor", root ? root : "");
		if ((f = fopen(path, "re")) != NULL) {
			if (fscanf(f, "%15s", minor) != 1)
				minor[0] = '\0';
			fclose(f);
		}
		if (major[0] && minor[0])
			snprintf(ver, sizeof(ver), "%s.%s", major, minor);
		else
			snprintf(ver, sizeof(ver), "VERSION");
		snprintf(buf, len, "the running Xen's xen-syms (apt-get install xen-hypervisor-%s-amd64-dbg; "
		    "it is /usr/lib/debug/boot/xen-syms-%s-amd64)", ver, ver);
	} else
		snprintf(buf, len, "each passive domain's uncompressed vmlinux (from its kernel's -dbg "
		    "package), or - for a domain without one");
	return buf;
}

int
setup_check_image(const char *path, const char *what, char *err, size_t errlen)
{
	unsigned char magic[0x206];
	Elf *e;
	GElf_Ehdr eh;
	ssize_t n;
	int fd, ret = -1;
	size_t shnum;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		char src[400];

		snprintf(err, errlen, "%s=%s: %s; %s %s%s", what, path, strerror(errno),
		    strcmp(what, "--passive-images") == 0 ? "give" : "install",
		    image_source(what, src, sizeof(src)),
		    strcmp(what, "--vmlinux") == 0 ? ", or use --no-vmlinux" : "");
		return -1;
	}
	if (fd == -1) {
		snprintf(err, errlen, "%s=%s: %s", what, path, strerror(errno));
		return -1;
	}
	n = pread(fd, magic, sizeof(magic), 0);
	if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		snprintf(err, errlen, "%s=%s: gzip-compressed image; an uncompressed image needed (e.g. the vmlinux or xen-syms from the -dbg package)", what, path);
		goto out;
	}
	if (n >= 0x206 && memcmp(magic + 0x202, "HdrS", 4) == 0) {
		snprintf(err, errlen, "%s=%s: a compressed boot image (bzImage); an uncompressed image needed (vmlinux or xen-syms)", what, path);
		goto out;
	}
	if (n < 4 || memcmp(magic, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errlen, "%s=%s: not an ELF file; an uncompressed image needed (vmlinux or xen-syms)", what, path);
		goto out;
	}
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e == NULL || elf_kind(e) != ELF_K_ELF || gelf_getehdr(e, &eh) == NULL ||
	    elf_getshdrnum(e, &shnum) != 0) {
		snprintf(err, errlen, "%s=%s: truncated or corrupt ELF file (%s); an uncompressed, complete image needed",
		    what, path, elf_errmsg(-1));
		if (e)
			elf_end(e);
		goto out;
	}
	{
		struct stat st;
		GElf_Shdr sh;
		Elf_Scn *scn = NULL;
		int syms = 0;

		if (fstat(fd, &st) == 0 && (uint64_t)eh.e_shoff + (uint64_t)shnum * eh.e_shentsize > (uint64_t)st.st_size) {
			snprintf(err, errlen, "%s=%s: truncated ELF file (section headers past the end); an uncompressed, complete image needed", what, path);
			elf_end(e);
			goto out;
		}
		while ((scn = elf_nextscn(e, scn)) != NULL)
			if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
				syms = 1;
		if (!syms) {
			snprintf(err, errlen, "%s=%s: the image has no symbol table; use an unstripped image (vmlinux or xen-syms)", what, path);
			elf_end(e);
			goto out;
		}
	}
	elf_end(e);
	ret = 0;
out:
	close(fd);
	return ret;
}

int
setup_apply(struct setup *s, const char *arg, char *err, size_t errlen)
{
	const char *v;

	if ((v = opt_value(arg, "event")) != NULL) {
		if (s->nevents >= HV_MAX_EVENTS) {
			snprintf(err, errlen, "too many --event options (at most %d)", HV_MAX_EVENTS);
			return -1;
		}
		if (hv_event_parse(v, &s->events[s->nevents], err, errlen) == -1)
			return -1;
		s->nevents++;
		return 1;
	}
	if ((v = opt_value(arg, "vmlinux")) != NULL) {
		if (copy_value(s->vmlinux, sizeof(s->vmlinux), v, "--vmlinux", err, errlen) == -1)
			return -1;
		s->no_vmlinux = false;
		return 1;
	}
	if (strcmp(arg, "--force-images") == 0) {
		s->force_images = true;
		return 1;
	}
	if (strcmp(arg, "--no-vmlinux") == 0) {
		s->vmlinux[0] = '\0';
		s->no_vmlinux = true;
		return 1;
	}
	if ((v = opt_value(arg, "xen")) != NULL)
		return copy_value(s->xen, sizeof(s->xen), v, "--xen", err, errlen);
	if ((v = opt_value(arg, "separate")) != NULL)
		return parse_separate(v, &s->separate, err, errlen) == -1 ? -1 : 1;
	if ((v = opt_value(arg, "backend")) != NULL) {
		if (strcmp(v, "auto") != 0 && strcmp(v, "perf") != 0 && strcmp(v, "xenoprof") != 0
#ifdef XP_TEST_BUILD
		    && strcmp(v, "replay") != 0	/* test builds: the record stream of $XENPROF_REPLAY */
#endif
		    ) {
			snprintf(err, errlen, "--backend: unknown backend '%s' (use auto, perf or xenoprof)", v);
			return -1;
		}
		strcpy(s->backend, v);
		return 1;
	}
	if ((v = opt_value(arg, "callgraph")) != NULL) {
		char *end;
		unsigned long depth;

		errno = 0;
		depth = strtoul(v, &end, 10);
		if (errno || *end || end == v || depth > HV_MAX_CHAIN) {
			snprintf(err, errlen, "--callgraph=%s: expected a call-chain depth from 0 to %d",
			    v, HV_MAX_CHAIN);
			return -1;
		}
		s->callgraph = (uint32_t)depth;
		return 1;
	}
	if ((v = opt_value(arg, "active-domains")) != NULL)
		return copy_value(s->active, sizeof(s->active), v, "--active-domains", err, errlen);
	if ((v = opt_value(arg, "passive-domains")) != NULL)
		return copy_value(s->passive, sizeof(s->passive), v, "--passive-domains", err, errlen);
	if ((v = opt_value(arg, "passive-images")) != NULL)
		return copy_value(s->passive_images, sizeof(s->passive_images), v, "--passive-images", err, errlen);
	if ((v = opt_value(arg, "flush-interval")) != NULL) {
		char *end;
		unsigned long ms;

		errno = 0;
		ms = strtoul(v, &end, 10);
		if (errno || *end || end == v || ms < 10 || ms > 60000) {
			snprintf(err, errlen, "--flush-interval=%s: expected milliseconds between 10 and 60000", v);
			return -1;
		}
		s->flush_ms = (uint32_t)ms;
		return 1;
	}
	return 0;
}

int
setup_finish(struct setup *s, char *err, size_t errlen)
{
	/* No event: the backend's default (cpu-clock:1000000 on perf). */
	for (uint32_t i = 0; i < s->nevents; i++)
		if (hv_event_check(s->backend, &s->events[i], err, errlen) == -1)
			return -1;
	for (uint32_t i = 0; i < s->nevents; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(s->events[i].name, s->events[j].name) == 0 &&
			    s->events[i].unit_mask == s->events[j].unit_mask) {
				snprintf(err, errlen, "event '%s' given twice; give each event once", s->events[i].name);
				return -1;
			}
	if (strcmp(s->backend, "perf") == 0 && (s->active[0] || s->passive[0])) {
		snprintf(err, errlen, "--active-domains and --passive-domains need the xenoprof backend (--backend=xenoprof or auto on a Xen dom0)");
		return -1;
	}
	if (s->passive_images[0] && !s->passive[0]) {
		snprintf(err, errlen, "--passive-images given without --passive-domains");
		return -1;
	}
	if (s->passive_images[0]) {
		char buf[SETUP_LIST_MAX], *tok, *save;

		snprintf(buf, sizeof(buf), "%s", s->passive_images);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "-") != 0 &&
			    setup_check_image(tok, "--passive-images", err, errlen) == -1)
				return -1;
	}
	if (s->vmlinux[0] && setup_check_image(s->vmlinux, "--vmlinux", err, errlen) == -1)
		return -1;
	if (s->xen[0] && setup_check_image(s->xen, "--xen", err, errlen) == -1)
		return -1;
	return 0;
}

/* The raw ELF notes NOTES (LEN bytes): the GNU build-id into OUT, its length or 0. */
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
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(notes + name_off, "GNU", 4) == 0 &&
		    descsz > 0 && descsz <= outlen) {
			memcpy(out, notes + desc_off, descsz);
			return descsz;
		}
		off = next;
	}
	return 0;
}

/*
 * The GNU build-id of the ELF file PATH into OUT: its length, 0 if none.
 * *PROGRAM: the file has an ELF interpreter (a user-space program, which no
 * kernel or hypervisor image has).
 */
static size_t
image_build_id(const char *path, uint8_t *out, size_t outlen, bool *program)
{
	Elf_Scn *scn = NULL;
	size_t n = 0, phnum;
	Elf *e;
	int fd;

	*program = false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	elf_version(EV_CURRENT);
	if ((e = elf_begin(fd, ELF_C_READ, NULL)) == NULL || elf_kind(e) != ELF_K_ELF)
		goto out;
	if (elf_getphdrnum(e, &phnum) == 0)
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) != NULL && ph.p_type == PT_INTERP)
				*program = true;
		}
	while (n == 0 && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE ||
		    (data = elf_getdata(scn, NULL)) == NULL)
			continue;
		n = notes_build_id(data->d_buf, data->d_size, out, outlen);
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return n;
}

/* The first LEN bytes of file PATH into BUF; bytes read, 0 on any error. */
static size_t
read_file(const char *path, void *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return 0;
	n = read(fd, buf, len);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/*
 * The running hypervisor's build-id from sysfs file PATH into OUT: Linux
 * writes the raw bytes; hex text is taken too, and Xen's "<denied>" (to a
 * domU) is no build-id.  Its length, or 0.
 */
static size_t
sysfs_build_id(const char *path, uint8_t *out, size_t outlen)
{
	uint8_t raw[130];
	size_t got = read_file(path, raw, sizeof(raw)), hexlen, n = 0;

	for (hexlen = 0; hexlen < got && isxdigit(raw[hexlen]); hexlen++)
		;
	if (hexlen >= 32 && hexlen % 2 == 0 && (hexlen == got || (hexlen + 1 == got && raw[hexlen] == '\n'))) {
		for (size_t i = 0; i + 1 < hexlen && n < outlen; i += 2) {
			char h[3] = { (char)raw[i], (char)raw[i + 1], '\0' };

			out[n++] = (uint8_t)strtoul(h, NULL, 16);
		}
		return n;
	}
	if (got == 0 || got > outlen || (got >= 8 && memcmp(raw, "<denied>", 8) == 0))
		return 0;
	memcpy(out, raw, got);
	return got;
}

static char *
hexstr(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
	return out;
}

/*
 * IMAGE (for option WHAT, a KIND image) against the running one's build-id
 * RUN (NRUN bytes, from SYSFILE).  0 if they match or RUN is unknown.
 */
static int
check_running(const char *image, const char *what, const char *kind, const uint8_t *run,
    size_t nrun, const char *sysfile, char *err, size_t errlen)
{
	char have[130], want[130], src[400];
	uint8_t img[64];
	size_t nimg;
	bool program;

	if (nrun == 0)
		return 0;
	nimg = image_build_id(image, img, sizeof(img), &program);
	if (nimg == nrun && memcmp(run, img, nrun) == 0)
		return 0;
	image_source(what, src, sizeof(src));
	if (program)
		snprintf(err, errlen, "%s=%.200s: a program, not a %s image; give %s%s", what, image,
		    kind, src, strcmp(what, "--vmlinux") == 0 ? ", or --no-vmlinux" : "");
	else
		snprintf(err, errlen, "%s=%.200s: build-id %s is not the running %s's %s (%.100s); "
		    "give %s, or --force-images", what, image, nimg ? hexstr(img, nimg, want) : "(none)",
		    kind, hexstr(run, nrun, have), sysfile, src);
	return -1;
}

int
setup_check_images(const struct setup *s, char *err, size_t errlen)
{
	const char *root = XP_TEST_ENV("XENPROF_SYSROOT");
	char path[4200];
	uint8_t run[64], notes[4096];
	size_t n;

	if (s->force_images)
		return 0;
	if (root == NULL)
		root = "";
	if (s->xen[0]) {
		snprintf(path, sizeof(path), "%s/sys/hypervisor/properties/buildid", root);
		n = sysfs_build_id(path, run, sizeof(run));
		if (check_running(s->xen, "--xen", "hypervisor", run, n, path, err, errlen) == -1)
			return -1;
	}
	if (s->vmlinux[0]) {
		snprintf(path, sizeof(path), "%s/sys/kernel/notes", root);
		n = read_file(path, notes, sizeof(notes));
		n = notes_build_id(notes, n, run, sizeof(run));
		if (check_running(s->vmlinux, "--vmlinux", "kernel", run, n, path, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
setup_domains(const struct setup *s, const struct domains *ds, struct hv_config *cfg,
    char (*images)[SETUP_PATH_MAX], char *err, size_t errlen)
{
	int n;

	cfg->nactive = cfg->npassive = 0;
	if (s->active[0]) {
		if ((n = domains_parse(ds, s->active, "--active-domains", cfg->active,
		    HV_MAX_DOMAINS, err, errlen)) == -1)
			return -1;
		cfg->nactive = (uint32_t)n;
	}
	if (s->passive[0]) {
		if ((n = domains_parse(ds, s->passive, "--passive-domains", cfg->passive,
		    HV_MAX_DOMAINS, err, errlen)) == -1)
			return -1;
		if (n > 25) {
			snprintf(err, errlen, "--passive-domains: %d domains; xenoprof profiles at most 25 "
			    "passive domains", n);
			return -1;
		}
		cfg->npassive = (uint32_t)n;
		for (uint32_t i = 0; i < cfg->nactive; i++)
			for (uint32_t j = 0; j < cfg->npassive; j++)
				if (cfg->active[i] == cfg->passive[j]) {
					snprintf(err, errlen, "domain %u is both active and passive; list it once",
					    cfg->active[i]);
					return -1;
				}
	}
	if (images != NULL)
		for (uint32_t i = 0; i < cfg->npassive; i++)
			images[i][0] = '\0';
	if (s->passive_images[0]) {
		char buf[SETUP_LIST_MAX], *tok, *save;
		uint32_t i = 0;

		snprintf(buf, sizeof(buf), "%s", s->passive_images);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
			if (i == cfg->npassive) {
				snprintf(err, errlen, "--passive-images: more images than --passive-domains (%u)",
				    cfg->npassive);
				return -1;
			}
			if (strcmp(tok, "-") == 0)
				continue;	/* no image for this domain */
			if (setup_check_image(tok, "--passive-images", err, errlen) == -1)
				return -1;
			if (images != NULL)
				snprintf(images[i], SETUP_PATH_MAX, "%s", tok);
		}
	}
	return 0;
}

int
setup_check_host(const struct setup *s, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < s->nevents; i++)
		if (hv_event_probe(s->backend, &s->events[i], err, errlen) == -1)
			return -1;
	if (strcmp(s->backend, "xenoprof") == 0 && !hv_on_xen()) {
		snprintf(err, errlen, "--backend=xenoprof: this machine is not a Xen domain (no "
		    "/dev/xen/privcmd); use --backend=perf (or auto) to profile it");
		return -1;
	}
	if (s->active[0] || s->passive[0]) {
		struct domains *ds;
		struct hv_config *cfg;
		int r = -1;

		if (!hv_on_xen()) {
			snprintf(err, errlen, "--%s-domains=%.200s: domain lists need a Xen host (xenoprof "
			    "in dom0), and this machine is not a Xen domain (no /dev/xen/privcmd); leave "
			    "them out to profile this machine with perf", s->active[0] ? "active" : "passive",
			    s->active[0] ? s->active : s->passive);
			return -1;
		}
		ds = malloc(sizeof(*ds));
		cfg = calloc(1, sizeof(*cfg));
		if (ds != NULL && cfg != NULL) {
			domains_load(ds);
			r = setup_domains(s, ds, cfg, NULL, err, errlen);
		} else
			snprintf(err, errlen, "out of memory");
		free(ds);
		free(cfg);
		if (r == -1)
			return -1;
	}
	return setup_check_images(s, err, errlen);
}

int
setup_load(struct setup *s, const char *path, char *err, size_t errlen)
{
	return setup_loadat(s, AT_FDCWD, path, path, err, errlen);
}

int
setup_loadat(struct setup *s, int dirfd, const char *name, const char *path, char *err,
    size_t errlen)
{
	char line[SETUP_PATH_MAX + 64];
	struct stat st;
	FILE *f;
	int fd, lineno = 0;

	/* A regular file, never through a symlink, never a FIFO to block on. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: not a regular file; remove it and run xenprof-ctl --setup "
		    "again", path);
		close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		char e2[SETUP_ERR_LEN];
		int r;

		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		r = setup_apply(s, line, e2, sizeof(e2));
		if (r != 1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno,
			    r == 0 ? "not a setup option (remove the file or run xenprof-ctl --setup again)" : e2);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int
setup_store(const struct setup *s, const char *path, char *err, size_t errlen)
{
	char tmp[SETUP_PATH_MAX + 32], sep[64];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(f, "# xenprof session setup, written by xenprof-ctl\n");
	fprintf(f, "--backend=%s\n", s->backend);
	for (uint32_t i = 0; i < s->nevents; i++) {
		const struct hv_event *e = &s->events[i];

		if (!e->unit_mask_set && e->kernel && e->user)
			fprintf(f, "--event=%s:%llu\n", e->name, (unsigned long long)e->count);
		else
			fprintf(f, "--event=%s:%llu:0x%x:%d:%d\n", e->name, (unsigned long long)e->count,
			    e->unit_mask, e->kernel, e->user);
	}
	if (s->no_vmlinux)
		fprintf(f, "--no-vmlinux\n");
	else if (s->vmlinux[0])
		fprintf(f, "--vmlinux=%s\n", s->vmlinux);
	if (s->xen[0])
		fprintf(f, "--xen=%s\n", s->xen);
	fprintf(f, "--separate=%s\n", setup_separate_str(s->separate, sep, sizeof(sep)));
	if (s->active[0])
		fprintf(f, "--active-domains=%s\n", s->active);
	if (s->passive[0])
		fprintf(f, "--passive-domains=%s\n", s->passive);
	if (s->passive_images[0])
		fprintf(f, "--passive-images=%s\n", s->passive_images);
	if (s->callgraph)
		fprintf(f, "--callgraph=%u\n", s->callgraph);
	if (s->force_images)
		fprintf(f, "--force-images\n");
	fprintf(f, "--flush-interval=%u\n", s->flush_ms);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
setup_hv_config(const struct setup *s, struct hv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = s->backend;
	cfg->nevents = s->nevents;
	memcpy(cfg->events, s->events, sizeof(s->events[0]) * s->nevents);
	cfg->callgraph = s->callgraph;
}
