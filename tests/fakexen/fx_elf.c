/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx_elf.c - symbol ranges from ELF images (libelf), and the load bias of
 * a live process's main executable (from /proc/PID/maps).
 *
 * Used only by the simulator at start-up; nothing is cached.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fx_elf.h"

/*
 * Find SYM in PATH's .symtab (else .dynsym): its value and size, and the
 * page-aligned vaddr of the first PT_LOAD.  Functions are preferred; a
 * symbol of size 0 is refused (no range to draw PCs from).
 */
int
fx_elf_symbol(const char *path, const char *sym, struct fx_elf_sym *out,
    char *err, size_t errlen)
{
	Elf *e = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t nph;
	int fd, found = 0, have_symtab = 0, ret = -1;

	memset(out, 0, sizeof *out);
	if (errlen > 0)
		err[0] = '\0';
	elf_version(EV_CURRENT);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if ((e = elf_begin(fd, ELF_C_READ, NULL)) == NULL || elf_kind(e) != ELF_K_ELF ||
	    gelf_getehdr(e, &eh) == NULL) {
		snprintf(err, errlen, "%s is not an ELF file", path);
		goto out;
	}
	out->type = eh.e_type;
	out->first_load = UINT64_MAX;
	if (elf_getphdrnum(e, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) != NULL && ph.p_type == PT_LOAD) {
				out->first_load = ph.p_vaddr & ~(uint64_t)0xfff;
				break;
			}
		}
	}
	if (out->first_load == UINT64_MAX)
		out->first_load = 0;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) != NULL && sh.sh_type == SHT_SYMTAB)
			have_symtab = 1;
	}
	scn = NULL;
	while (!found && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (gelf_getshdr(scn, &sh) == NULL)
			continue;
		if (sh.sh_type != (have_symtab ? SHT_SYMTAB : SHT_DYNSYM) || sh.sh_entsize == 0)
			continue;
		if ((data = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;

			if (gelf_getsym(data, (int)i, &s) == NULL ||
			    s.st_shndx == SHN_UNDEF || s.st_value == 0)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name == NULL || strcmp(name, sym) != 0)
				continue;
			if (s.st_size == 0) {
				snprintf(err, errlen, "symbol %s in %s has size 0", sym, path);
				continue;
			}
			out->value = s.st_value;
			out->size = s.st_size;
			found = 1;
			if (GELF_ST_TYPE(s.st_info) == STT_FUNC)
				break;
		}
	}
	if (found)
		ret = 0;
	else if (err[0] == '\0' || strstr(err, "size 0") == NULL)
		snprintf(err, errlen, "no symbol %s in %s", sym, path);
out:
	if (e != NULL)
		elf_end(e);
	close(fd);
	return ret;
}

/*
 * Load bias of PID's main executable: start of its lowest mapping with file
 * offset 0 (matched by device and inode of /proc/PID/exe) minus the first
 * PT_LOAD's page.  EXE receives "/proc/PID/exe" for fx_elf_symbol().
 */
int
fx_elf_proc_bias(int pid, uint64_t first_load, uint64_t *bias, char *err, size_t errlen)
{
	char path[64], line[1024];
	struct stat st;
	uint64_t lo = UINT64_MAX;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "process %d: %s", pid, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "process %d: cannot read maps: %s", pid, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long long a, b, off, ino;
		unsigned maj, min;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &a, &b, &off,
		    &maj, &min, &ino) != 6)
			continue;
		if (ino != st.st_ino || off != 0)
			continue;
		if (a < lo)
			lo = a;
	}
	fclose(f);
	if (lo == UINT64_MAX) {
		snprintf(err, errlen, "process %d: its executable is not mapped", pid);
		return -1;
	}
	*bias = lo - first_load;
	return 0;
}
