/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kernel: what the daemon knows about the running kernel for attribution,
 * captured once at session start (kallsyms changes at each boot and with
 * module loads; a report must use what was true when the samples were taken).
 */
#ifndef XP_KERNEL_H
#define XP_KERNEL_H

#include <stddef.h>
#include <stdint.h>

struct kernel_module {
	uint64_t	start, end;
	char		name[64 + 2];	/* "[ext4]" */
};

/* One line of /proc/kallsyms: its address and where the line is in the copy. */
struct kernel_sym {
	uint64_t	addr;
	uint32_t	off;		/* offset of the line in kernel.syms_buf */
	uint32_t	len;		/* line length without the newline */
};

struct kernel {
	uint64_t	text;		/* runtime address of _text (0 unknown) */
	char	       *syms_buf;	/* the kallsyms text read at start (owned) */
	size_t		nsyms;
	struct kernel_sym *syms;	/* sorted by address */
	uint8_t		build_id_len;
	uint8_t		build_id[64];
	size_t		nmods;
	struct kernel_module *mods;	/* sorted by start */
};

/* Read _text from KALLSYMS, modules from MODULES, build-id from NOTES. */
int kernel_load(struct kernel *k, const char *kallsyms, const char *modules, const char *notes);
void kernel_free(struct kernel *k);
/* The module containing PC, or NULL. */
const struct kernel_module *kernel_module_at(const struct kernel *k, uint64_t pc);
/*
 * Write to PATH (atomically) the kallsyms lines of the symbols containing
 * the N addresses ADDRS, each with the line of the symbol after it (which
 * bounds its extent), plus _text.  A report reading this file resolves every
 * one of those addresses exactly as with the full /proc/kallsyms of the
 * session's boot, at a fraction of the size.  ADDRS is sorted in place.
 */
int kernel_write_syms(const struct kernel *k, uint64_t *addrs, size_t n, const char *path);
/* The same as NAME in directory DIRFD (PATH names it in messages). */
int kernel_write_symsat(const struct kernel *k, uint64_t *addrs, size_t n, int dirfd,
    const char *name, const char *path);

#endif /* XP_KERNEL_H */
