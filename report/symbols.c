/* SPDX-License-Identifier: GPL-2.0-or-later */
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
 *
 * Lookups: libdwfl 0.188's dwfl_module_addrinfo scans the whole symbol table
 * per call, too slow for a million distinct addresses.  So the symbols are
 * read once through libdwfl (dwfl_module_getsym_info, which applies the
 * same address adjustments addrinfo does) into a sorted array, and each
 * lookup is a binary search that also returns the range of addresses with
 * the same answer (a symbol's extent, or the gap between two symbols), so
 * a caller walking sorted addresses looks up once per symbol or gap.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "report/report.h"

struct sym_load {
	uint64_t	off, filesz, vaddr;
};

/* One symbol of the lookup table; name owned by libdwfl. */
struct sym_ent {
	uint64_t	addr;		/* link-time address (bias removed) */
	uint64_t	size;		/* 0: sizeless, extends to the next symbol */
	const char     *name;
	int		rank;		/* preference among symbols at one address */
};

struct sym_image {
	struct sym_ent *syms;		/* sorted by addr, one entry per address */
	size_t		nsyms;
	int		syms_loaded;
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

/*
 * A file cut short (a copy that stopped, an archive member truncated) keeps
 * its headers and build-id note, and loses its symbol table at the end: every
 * sample would be "[unknown]" without a word.  Check that every part the ELF
 * headers describe lies inside the file.  0, or -1 with ERR.
 */
static int
sym_check_size(const char *path, Elf *elf, const GElf_Ehdr *eh, char *err, size_t errlen)
{
	struct stat st;
	uint64_t need = 0, end;
	const char *what = "";
	size_t n = 0;
	Elf_Scn *scn = NULL;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;	/* not a plain file: nothing to compare with */
#define NEED(e, w) do { end = (e); if (end > need) { need = end; what = (w); } } while (0)
	if (eh->e_shoff != 0)
		NEED(eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize, "the section headers");
	if (eh->e_phoff != 0)
		NEED(eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize, "the program headers");
	if (elf_getphdrnum(elf, &n) == 0)
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) != NULL && ph.p_type == PT_LOAD)
				NEED(ph.p_offset + ph.p_filesz, "a loadable segment");
		}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) != NULL && sh.sh_type != SHT_NOBITS)
			NEED(sh.sh_offset + sh.sh_size, sh.sh_type == SHT_SYMTAB ? "the symbol table" :
			    "a section");
	}
#undef NEED
	if (need > (uint64_t)st.st_size) {
		snprintf(err, errlen, "truncated: the file is %lld bytes, %s end%s at byte %llu "
		    "(an incomplete copy?)", (long long)st.st_size, what,
		    strcmp(what, "the section headers") == 0 || strcmp(what, "the program headers") == 0 ?
		    "" : "s", (unsigned long long)need);
		return -1;
	}
	return 0;
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
	if (sym_check_size(path, elf, &eh, err, errlen) != 0) {
		sym_close(im);
		return NULL;
	}
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
	free(im->syms);
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

/* The PT_LOAD segment holding file offset OFF, or NULL. */
static const struct sym_load *
sym_segment(struct sym_image *im, uint64_t off)
{
	for (size_t i = 0; i < im->nload; i++) {
		const struct sym_load *l = &im->load[i];
		if (off >= l->off && off - l->off < l->filesz)
			return l;
	}
	return NULL;
}

int
sym_offset_to_vaddr(struct sym_image *im, uint64_t off, uint64_t *vaddr)
{
	const struct sym_load *l = sym_segment(im, off);

	if (l == NULL)
		return -1;
	*vaddr = l->vaddr + (off - l->off);
	return 0;
}

static int
sym_ent_cmp(const void *x, const void *y)
{
	const struct sym_ent *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	/* Best first: higher rank, then larger size, then name for stability. */
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* Read the symbol table once: code-like symbols, sorted, one per address. */
static void
sym_load_table(struct sym_image *im)
{
	int n = dwfl_module_getsymtab(im->mod);
	size_t k = 0;

	im->syms_loaded = 1;
	if (n <= 1)
		return;
	im->syms = xcalloc((size_t)n, sizeof(*im->syms));
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(im->mod, i, &sym, &addr, &shndx,
							   NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);

		if (name == NULL || *name == '\0' || sym.st_shndx == SHN_UNDEF ||
		    sym.st_shndx == SHN_ABS)
			continue;
		if (type != STT_FUNC && type != STT_NOTYPE && type != STT_GNU_IFUNC &&
		    type != STT_OBJECT)
			continue;
		if (addr < im->bias)
			continue;
		im->syms[k].addr = addr - im->bias;
		im->syms[k].size = sym.st_size;
		im->syms[k].name = name;
		im->syms[k].rank = (type == STT_FUNC || type == STT_GNU_IFUNC) * 4 +
		    (bind == STB_GLOBAL) * 2 + (bind == STB_WEAK);
		k++;
	}
	qsort(im->syms, k, sizeof(*im->syms), sym_ent_cmp);
	/* Keep the best symbol per address. */
	size_t w = 0;
	for (size_t i = 0; i < k; i++)
		if (w == 0 || im->syms[w - 1].addr != im->syms[i].addr)
			im->syms[w++] = im->syms[i];
	im->nsyms = w;
}

size_t
sym_nsyms(struct sym_image *im)
{
	if (!im->syms_loaded)
		sym_load_table(im);
	return im->nsyms;
}

/*
 * Symbol covering link-time address A; [*LO, *HI) receives the range of
 * addresses with the same answer (never empty: contains A).
 */
static const char *
sym_find(struct sym_image *im, uint64_t a, uint64_t *lo, uint64_t *hi)
{
	size_t l = 0, h;

	if (!im->syms_loaded)
		sym_load_table(im);
	h = im->nsyms;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (im->syms[mid].addr <= a)
			l = mid + 1;
		else
			h = mid;
	}
	/* syms[l - 1] is the last symbol at or below A; syms[l] the next one. */
	uint64_t next = l < im->nsyms ? im->syms[l].addr : UINT64_MAX;
	if (l == 0) {
		*lo = 0;
		*hi = next;
		return NULL;
	}
	const struct sym_ent *s = &im->syms[l - 1];
	uint64_t end = s->size ? s->addr + s->size : next;
	if (end < s->addr || end > next)
		end = next;		/* overlaps the next symbol: stop there */
	if (a < end) {
		*lo = s->addr;
		*hi = end;
		return s->name;
	}
	/* Past S: a sized symbol starting a little earlier may still cover A. */
	for (size_t back = 2; back <= 8 && back <= l; back++) {
		const struct sym_ent *t = &im->syms[l - back];
		if (t->size && a - t->addr < t->size) {
			*lo = a;
			*hi = a + 1;
			return t->name;
		}
	}
	*lo = end;
	*hi = next;
	return NULL;
}

const char *
sym_lookup(struct sym_image *im, enum sym_addr_kind kind, uint64_t v,
	   uint64_t slide, uint64_t *lo, uint64_t *hi)
{
	uint64_t a, alo, ahi, vlo, vhi;
	const char *name;

	*lo = v;
	*hi = v + 1;
	if (kind == SYM_BY_OFFSET) {
		const struct sym_load *seg = sym_segment(im, v);
		if (seg == NULL)
			return NULL;
		a = seg->vaddr + (v - seg->off);
		name = sym_find(im, a, &alo, &ahi);
		/* Back to file offsets, inside this segment only. */
		vlo = alo > seg->vaddr ? seg->off + (alo - seg->vaddr) : seg->off;
		vhi = ahi - seg->vaddr < seg->filesz ? seg->off + (ahi - seg->vaddr) :
		    seg->off + seg->filesz;
		if (ahi < seg->vaddr)
			vhi = v + 1;
	} else {
		a = v - slide;
		name = sym_find(im, a, &alo, &ahi);
		vlo = alo + slide;
		vhi = ahi + slide;
		if (vhi < vlo)		/* wrapped */
			vhi = UINT64_MAX;
	}
	if (vlo <= v && v < vhi) {
		*lo = vlo;
		*hi = vhi;
	}
	return name;
}

/*
 * Source line through libdw: the line table gives "file:line" of VADDR; the
 * DIE scopes at VADDR give the inlined subroutines (innermost first).
 */
int
sym_srcline(struct sym_image *im, uint64_t vaddr, char *buf, size_t len,
	    char *inl, size_t inllen)
{
	Dwarf_Addr a = vaddr + im->bias, bias = 0;
	Dwfl_Line *line;
	const char *file;
	int lineno = 0;

	buf[0] = '\0';
	if (inl != NULL && inllen > 0)
		inl[0] = '\0';
	line = dwfl_module_getsrc(im->mod, a);
	if (line == NULL)
		return -1;
	file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (file == NULL)
		return -1;
	snprintf(buf, len, "%s:%d", out_basename(file), lineno);
	if (inl == NULL || inllen == 0)
		return 0;
	Dwarf_Die *cu = dwfl_module_addrdie(im->mod, a, &bias);
	Dwarf_Die *scopes = NULL;
	int n = cu ? dwarf_getscopes(cu, a - bias, &scopes) : 0;
	size_t used = 0;
	for (int i = 0; i < n; i++) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		Dwarf_Attribute at;
		const char *nm = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_name, &at));
		int w = snprintf(inl + used, inllen - used, "%s%s", used ? " <- " : "",
				 nm ? nm : "?");
		if (w < 0 || (size_t)w >= inllen - used)
			break;
		used += (size_t)w;
	}
	free(scopes);
	return 0;
}

/* ===================================================================== */
/* For annotate.c: a symbol's extent, its code bytes, its source lines    */

const char *
sym_extent(struct sym_image *im, uint64_t a, uint64_t *start, uint64_t *end)
{
	size_t l = 0, h;

	if (!im->syms_loaded)
		sym_load_table(im);
	h = im->nsyms;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (im->syms[mid].addr <= a)
			l = mid + 1;
		else
			h = mid;
	}
	/* The nearest symbol at or below A that covers it (sized ones a few back too). */
	for (size_t back = 1; back <= 8 && back <= l; back++) {
		const struct sym_ent *s = &im->syms[l - back];
		uint64_t next = l - back + 1 < im->nsyms ? im->syms[l - back + 1].addr : UINT64_MAX;
		uint64_t e = s->size ? s->addr + s->size : next;

		if (back == 1 && s->size == 0 && a < e) {
			*start = s->addr;
			*end = e;
			return s->name;
		}
		if (s->size && a - s->addr < s->size) {
			*start = s->addr;
			*end = e;
			return s->name;
		}
	}
	return NULL;
}

int
sym_machine(struct sym_image *im)
{
	GElf_Addr bias;
	GElf_Ehdr eh;
	Elf *elf = dwfl_module_getelf(im->mod, &bias);

	return elf && gelf_getehdr(elf, &eh) ? eh.e_machine : EM_NONE;
}

size_t
sym_read(struct sym_image *im, uint64_t a, void *buf, size_t len)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(im->mod, &bias);
	Elf_Scn *scn = NULL;

	if (elf == NULL)
		return 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (gelf_getshdr(scn, &sh) == NULL || !(sh.sh_flags & SHF_ALLOC) ||
		    a < sh.sh_addr || a - sh.sh_addr >= sh.sh_size)
			continue;
		if (sh.sh_type == SHT_NOBITS)
			return 0;	/* a debug-only file: no code here */
		d = elf_getdata(scn, NULL);
		uint64_t off = a - sh.sh_addr;
		if (d == NULL || d->d_buf == NULL || off >= d->d_size)
			return 0;
		size_t n = d->d_size - off < len ? (size_t)(d->d_size - off) : len;
		memcpy(buf, (const char *)d->d_buf + off, n);
		return n;
	}
	return 0;
}

int
sym_srcpos(struct sym_image *im, uint64_t vaddr, const char **file, const char **comp_dir,
	   int *line)
{
	Dwfl_Line *l = dwfl_module_getsrc(im->mod, vaddr + im->bias);
	Dwarf_Addr la = 0;
	const char *f;

	*file = *comp_dir = NULL;
	*line = 0;
	if (l == NULL || (f = dwfl_lineinfo(l, &la, line, NULL, NULL, NULL)) == NULL)
		return -1;
	*file = f;
	*comp_dir = dwfl_line_comp_dir(l);
	return 0;
}
