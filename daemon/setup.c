/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The session setup, shared by xenprof-ctl and xenprofd. */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		if (strcmp(v, "auto") != 0 && strcmp(v, "perf") != 0 && strcmp(v, "xenoprof") != 0 &&
		    strcmp(v, "replay") != 0) {
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

int
setup_load(struct setup *s, const char *path, char *err, size_t errlen)
{
	char line[SETUP_PATH_MAX + 64];
	FILE *f;
	int lineno = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
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
