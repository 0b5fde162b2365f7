/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fx_elf.h - symbol ranges from ELF images (see fx_elf.c). */
#ifndef FX_ELF_H
#define FX_ELF_H

#include <stddef.h>
#include <stdint.h>

struct fx_elf_sym {
	uint64_t	value;		/* st_value */
	uint64_t	size;		/* st_size, > 0 */
	uint64_t	first_load;	/* page of the first PT_LOAD's vaddr */
	unsigned	type;		/* e_type: ET_EXEC, ET_DYN, ... */
};

/* 0, or -1 with ERR (which the caller zeroes first). */
int	fx_elf_symbol(const char *path, const char *sym, struct fx_elf_sym *out,
	    char *err, size_t errlen);
int	fx_elf_proc_bias(int pid, uint64_t first_load, uint64_t *bias,
	    char *err, size_t errlen);

#endif
