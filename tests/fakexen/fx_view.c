/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_view.c - what a simulated domain sees of its host, as files.
 *
 * `fakexen up` writes, for every configured domain N, the files a Linux PV
 * (or PVH/HVM) guest of Xen 4.17 shows, under DIR/view/domN:
 *   sys/hypervisor/{type,guest_type,uuid}, version/{major,minor,extra},
 *   properties/{buildid,capabilities,changeset,pagesize}   (sys-hypervisor.c)
 *   sys/kernel/notes      the .note sections of the domain's kernel image
 *   proc/kallsyms         its text symbols, as nm lists them (t T w W), by address
 *   proc/xen/capabilities "control_d" in dom0, empty in a domU  (xenfs)
 *   run/xenprof/          the domain's run dir (its xenoprof lock)
 * buildid holds the raw bytes of xen_image's GNU build-id, as Linux writes
 * what XENVER_build_id returns; a domU gets "<denied>", as Xen 4.17 answers
 * an unprivileged domain (seen on the real host).  The shim opens these
 * instead of the real paths (fx_shim.c), so the product checks its images
 * against the simulated host, unchanged.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fx_config.h"
#include "fx_view.h"

/* The SHT_NOTE sections of PATH, concatenated as the kernel's .notes is. */
static int
fx_notes(const char *path, unsigned char **out, size_t *len, char *err, size_t errlen)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	int fd;

	*out = NULL;
	*len = 0;
	elf_version(EV_CURRENT);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((e = elf_begin(fd, ELF_C_READ, NULL)) == NULL || elf_kind(e) != ELF_K_ELF) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		unsigned char *n;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
			continue;
		if ((d = elf_rawdata(scn, NULL)) == NULL || d->d_size == 0)
			continue;
		if ((n = realloc(*out, *len + d->d_size)) == NULL)
			break;
		memcpy(n + *len, d->d_buf, d->d_size);
		*out = n;
		*len += d->d_size;
	}
	elf_end(e);
	close(fd);
	return 0;
}

/* The GNU build-id in a note stream: its length (into ID), or 0. */
static size_t
fx_build_id(const unsigned char *notes, size_t len, unsigned char *id, size_t idlen)
{
	size_t off = 0;

	while (off + 12 <= len) {
		uint32_t namesz, descsz, type;
		size_t name, desc, next;

		memcpy(&namesz, notes + off, 4);
		memcpy(&descsz, notes + off + 4, 4);
		memcpy(&type, notes + off + 8, 4);
		name = off + 12;
		desc = name + ((namesz + 3u) & ~3u);
		next = desc + ((descsz + 3u) & ~3u);
		if (namesz > len || descsz > len || next > len)
			return 0;
		if (type == 3 && namesz == 4 && memcmp(notes + name, "GNU", 4) == 0 &&
		    descsz <= idlen) {
			memcpy(id, notes + desc, descsz);
			return descsz;
		}
		off = next;
	}
	return 0;
}

struct fx_sym {
	uint64_t	addr;
	char		type;
	const char     *name;
};

static int
fx_sym_cmp(const void *a, const void *b)
{
	const struct fx_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* PATH's text symbols as /proc/kallsyms lines, into a new buffer *OUT. */
static int
fx_kallsyms(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	struct fx_sym *syms = NULL;
	size_t n = 0, cap = 0;
	Elf_Scn *scn = NULL;
	FILE *f;
	Elf *e;
	int fd;

	*out = NULL;
	*len = 0;
	elf_version(EV_CURRENT);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((e = elf_begin(fd, ELF_C_READ, NULL)) == NULL || elf_kind(e) != ELF_K_ELF) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_SYMTAB ||
		    (d = elf_getdata(scn, NULL)) == NULL || sh.sh_entsize == 0)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			GElf_Shdr ts;
			Elf_Scn *tscn;
			const char *name;
			int bind;

			if (gelf_getsym(d, (int)i, &sym) == NULL || sym.st_shndx == SHN_UNDEF ||
			    sym.st_shndx >= SHN_LORESERVE || (tscn = elf_getscn(e, sym.st_shndx)) == NULL ||
			    gelf_getshdr(tscn, &ts) == NULL || !(ts.sh_flags & SHF_EXECINSTR) ||
			    GELF_ST_TYPE(sym.st_info) == STT_SECTION || GELF_ST_TYPE(sym.st_info) == STT_FILE ||
			    (name = elf_strptr(e, sh.sh_link, sym.st_name)) == NULL || name[0] == '\0')
				continue;
			if (n == cap) {
				struct fx_sym *ns = realloc(syms, (cap = cap ? cap * 2 : 256) * sizeof(*ns));

				if (ns == NULL)
					break;
				syms = ns;
			}
			bind = GELF_ST_BIND(sym.st_info);
			syms[n].addr = sym.st_value;
			syms[n].type = bind == STB_WEAK ? 'W' : bind == STB_LOCAL ? 't' : 'T';
			syms[n++].name = name;
		}
	}
	qsort(syms, n, sizeof(*syms), fx_sym_cmp);
	if ((f = open_memstream(out, len)) != NULL) {
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%016llx %c %s\n", (unsigned long long)syms[i].addr, syms[i].type,
			    syms[i].name);
		fclose(f);
	}
	free(syms);
	elf_end(e);
	close(fd);
	return *out != NULL ? 0 : (snprintf(err, errlen, "%s: out of memory", path), -1);
}

/* mkdir -p for the directory part of PATH. */
static int
fx_mkdirs(char *path)
{
	for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int
fx_put(const char *root, const char *rel, const void *data, size_t len, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (fx_mkdirs(path) == -1 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (len && write(fd, data, len) != (ssize_t)len) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
fx_puts(const char *root, const char *rel, const char *s, char *err, size_t errlen)
{
	return fx_put(root, rel, s, strlen(s), err, errlen);
}

int
fx_view_write(const char *dir, const struct fx_config *cfg, char *err, size_t errlen)
{
	static const char *types[] = { "PV\n", "HVM\n", "PVH\n" };
	unsigned char *xnotes = NULL, xid[64];
	size_t xlen = 0, xidlen = 0;

	if (cfg->xen_image[0]) {
		if (fx_notes(cfg->xen_image, &xnotes, &xlen, err, errlen) == -1)
			return -1;
		xidlen = fx_build_id(xnotes, xlen, xid, sizeof xid);
		free(xnotes);
	}
	for (unsigned i = 0; i < cfg->ndoms; i++) {
		const struct fx_cfg_dom *d = &cfg->doms[i];
		char root[PATH_MAX], uuid[64];
		unsigned char *notes = NULL;
		size_t nlen = 0;
		int rc = 0;

		snprintf(root, sizeof root, "%s/view/dom%u", dir, d->domid);
		snprintf(uuid, sizeof uuid, "00000000-0000-0000-0000-%012x\n", d->domid);
		rc |= fx_puts(root, "sys/hypervisor/type", "xen\n", err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/guest_type", types[d->guest < 3 ? d->guest : 0],
		    err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/uuid", uuid, err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/version/major", "4\n", err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/version/minor", "17\n", err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/version/extra", ".7-fakexen\n", err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/properties/capabilities",
		    "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64\n", err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/properties/changeset", "fakexen\n", err, errlen);
		rc |= fx_puts(root, "sys/hypervisor/properties/pagesize", "1000\n", err, errlen);
		if (d->domid != 0)
			rc |= fx_put(root, "sys/hypervisor/properties/buildid", "<denied>", 8, err,
			    errlen);
		else if (xidlen)
			rc |= fx_put(root, "sys/hypervisor/properties/buildid", xid, xidlen, err,
			    errlen);
		rc |= fx_puts(root, "proc/xen/capabilities", d->domid == 0 ? "control_d\n" : "",
		    err, errlen);
		if (rc)
			return -1;
		{
			char run[PATH_MAX + 32];

			snprintf(run, sizeof run, "%s/run/xenprof/", root);
			if (fx_mkdirs(run) == -1) {
				snprintf(err, errlen, "%s: %s", run, strerror(errno));
				return -1;
			}
			chmod(run, 0700);
		}
		if (d->kernel[0]) {
			if (fx_notes(d->kernel, &notes, &nlen, err, errlen) == -1)
				return -1;
			rc = fx_put(root, "sys/kernel/notes", notes, nlen, err, errlen);
			free(notes);
			if (rc)
				return -1;
			if (fx_kallsyms(d->kernel, (char **)&notes, &nlen, err, errlen) == -1)
				return -1;
			rc = fx_put(root, "proc/kallsyms", notes, nlen, err, errlen);
			free(notes);
			if (rc)
				return -1;
		}
	}
	return 0;
}
