/*
 * ELF images through libdwfl: one Dwfl per image, opened once by the caller
 * (aggregate.c caches the handle per image) and kept until sym_close.
 *
 * Addresses: the module is reported with dwfl_report_elf(base 0).  libdwfl
 * keeps ET_EXEC images at their link-time addresses and may place ET_DYN
 * ones elsewhere, so every lookup adds the module's bias (from
 * dwfl_module_getelf) to a link-time virtual address.  File offsets (user
 * space images, PIE or not) become link-time addresses through the PT_LOAD
 * program headers: vaddr = p_vaddr + (off - p_offset).
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include "report/report.h"

struct sym_load {
	uint64_t	off, filesz, vaddr;
};

struct sym_image {
	Dwfl	       *dwfl;
	Dwfl_Module    *mod;
	GElf_Addr	bias;
	int		etype;
	struct sym_load *load;
	size_t		nload;
};

static char *sym_debuginfo_path;	/* NULL: libdwfl's default search path */

static const Dwfl_Callbacks sym_offline_cb = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &sym_debuginfo_path,
};

/* Why PATH is not an ELF file, in words a user can act on. */
static void
sym_explain_not_elf(const char *path, char *err, size_t errlen)
{
	unsigned char hdr[0x210];
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return;
	}
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b)
		snprintf(err, errlen, "gzip-compressed, not ELF; uncompressed image needed");
	else if (n >= 0x206 && memcmp(hdr + 0x202, "HdrS", 4) == 0)
		snprintf(err, errlen, "a bzImage kernel, not ELF; uncompressed image needed "
			 "(vmlinux, e.g. from the -dbg package)");
	else if (n >= 3 && hdr[0] == 'B' && hdr[1] == 'Z' && hdr[2] == 'h')
		snprintf(err, errlen, "bzip2-compressed, not ELF; uncompressed image needed");
	else
		snprintf(err, errlen, "not an ELF file; uncompressed image needed");
}

struct sym_image *
sym_open(const char *path, char *err, size_t errlen)
{
	struct sym_image *im;
	Elf *elf;
	GElf_Ehdr eh;
	size_t phnum = 0;
	unsigned char magic[4];
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (read(fd, magic, 4) != 4 || memcmp(magic, ELFMAG, SELFMAG) != 0) {
		close(fd);
		sym_explain_not_elf(path, err, errlen);
		return NULL;
	}
	close(fd);

	im = xcalloc(1, sizeof(*im));
	im->dwfl = dwfl_begin(&sym_offline_cb);
	if (im->dwfl == NULL)
		goto fail;
	dwfl_report_begin(im->dwfl);
	/* fd -1: libdwfl opens PATH itself and owns that descriptor. */
	im->mod = dwfl_report_elf(im->dwfl, out_basename(path), path, -1, 0, false);
	if (im->mod == NULL || dwfl_report_end(im->dwfl, NULL, NULL) != 0)
		goto fail;
	elf = dwfl_module_getelf(im->mod, &im->bias);
	if (elf == NULL || gelf_getehdr(elf, &eh) == NULL)
		goto fail;
	im->etype = eh.e_type;
	if (elf_getphdrnum(elf, &phnum) != 0)
		phnum = 0;
	im->load = xcalloc(phnum ? phnum : 1, sizeof(*im->load));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) == NULL || ph.p_type != PT_LOAD)
			continue;
		im->load[im->nload].off = ph.p_offset;
		im->load[im->nload].filesz = ph.p_filesz;
		im->load[im->nload].vaddr = ph.p_vaddr;
		im->nload++;
	}
	return im;
fail:
	snprintf(err, errlen, "%s", dwfl_errmsg(-1));
	sym_close(im);
	return NULL;
}

void
sym_close(struct sym_image *im)
{
	if (im == NULL)
		return;
	if (im->dwfl != NULL)
		dwfl_end(im->dwfl);
	free(im->load);
	free(im);
}

int
sym_build_id(struct sym_image *im, const uint8_t **id)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(im->mod, &bits, &vaddr);

	if (n <= 0)
		return 0;
	*id = bits;
	return n;
}

int
sym_elf_type(struct sym_image *im)
{
	return im->etype;
}

int
sym_symbol_addr(struct sym_image *im, const char *name, uint64_t *addr)
{
	int n = dwfl_module_getsymtab(im->mod);

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *s = dwfl_module_getsym_info(im->mod, i, &sym, &a, NULL, NULL, NULL);
		if (s != NULL && strcmp(s, name) == 0) {
			*addr = a - im->bias;
			return 0;
		}
	}
	*addr = 0;
	return -1;
}

int
sym_offset_to_vaddr(struct sym_image *im, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < im->nload; i++) {
		const struct sym_load *l = &im->load[i];
		if (off >= l->off && off - l->off < l->filesz) {
			*vaddr = l->vaddr + (off - l->off);
			return 0;
		}
	}
	return -1;
}

const char *
sym_lookup(struct sym_image *im, enum sym_addr_kind kind, uint64_t v,
	   uint64_t slide, uint64_t *lo, uint64_t *hi)
{
	uint64_t vaddr;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name;

	*lo = v;
	*hi = v + 1;
	if (kind == SYM_BY_OFFSET) {
		if (sym_offset_to_vaddr(im, v, &vaddr) != 0)
			return NULL;
	} else {
		vaddr = v - slide;
	}
	name = dwfl_module_addrinfo(im->mod, vaddr + im->bias, &off, &sym,
				    NULL, NULL, NULL);
	if (name == NULL)
		return NULL;
	if (sym.st_size > 0) {
		/* libdwfl falls back to a preceding symbol; outside its size is unknown. */
		if (off >= sym.st_size)
			return NULL;
		if (v >= off) {
			*lo = v - off;
			*hi = *lo + sym.st_size;
			if (*hi < *lo)
				*hi = UINT64_MAX;
		}
	}
	return name;
}
