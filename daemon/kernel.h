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

struct kernel {
	uint64_t	text;		/* runtime address of _text (0 unknown) */
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
/* Copy the file SRC to DST atomically (used for the session's kallsyms). */
int kernel_copy_file(const char *src, const char *dst);

#endif /* XP_KERNEL_H */
