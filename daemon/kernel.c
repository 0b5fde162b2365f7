/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kernel: _text, module ranges and build-id of the running kernel. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/kernel.h"
#include "libsamples/samples.h"

static int
mod_cmp(const void *a, const void *b)
{
	const struct kernel_module *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The GNU build-id note in the raw note stream of /sys/kernel/notes. */
static void
read_notes(struct kernel *k, const char *path)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	while (n > 0 && off + 12 <= (size_t)n) {
		uint32_t namesz, descsz, type;
		size_t name_off, desc_off;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + ((namesz + 3) & ~3u);
		if (namesz > 256 || descsz > 4096 || desc_off + descsz > (size_t)n)
			break;
		if (type == 3 && namesz == 4 && memcmp(buf + name_off, "GNU", 4) == 0 &&
		    descsz <= sizeof(k->build_id)) {
			memcpy(k->build_id, buf + desc_off, descsz);
			k->build_id_len = (uint8_t)descsz;
			return;
		}
		off = desc_off + ((descsz + 3) & ~3u);
	}
}

static int
sym_cmp(const void *a, const void *b)
{
	const struct kernel_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Read the whole kallsyms text and index its lines by address. */
static void
read_kallsyms(struct kernel *k, const char *path)
{
	size_t cap = 1 << 20, len = 0, nsyms = 0, symcap = 0;
	char *buf = NULL, *line, *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return;
	for (;;) {
		if (buf == NULL || len + 65536 > cap) {
			cap = buf ? cap * 2 : cap;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > (512u << 20))		/* bound: kallsyms is a few MiB */
			break;
	}
	close(fd);
	if (buf == NULL)
		return;
	buf[len] = '\0';
	for (line = buf; line < buf + len; line = end + 1) {
		char *p;
		unsigned long long a;

		end = memchr(line, '\n', (size_t)(buf + len - line));
		if (end == NULL)
			end = buf + len;
		a = strtoull(line, &p, 16);
		if (p == line || p + 3 > end)
			continue;
		/* Text symbols only: t/T (and weak w/W) can hold a pc. */
		if (strchr("tTwW", p[1]) == NULL)
			continue;
		if (k->text == 0 && end - p >= 8 && strncmp(p + 3, "_text", 5) == 0 &&
		    (p + 8 == end || p[8] == ' ' || p[8] == '\t'))
			k->text = a;
		if (nsyms == symcap) {
			symcap = symcap ? symcap * 2 : 65536;
			k->syms = realloc(k->syms, symcap * sizeof(*k->syms));
			if (k->syms == NULL)
				abort();
		}
		k->syms[nsyms].addr = a;
		k->syms[nsyms].off = (uint32_t)(line - buf);
		k->syms[nsyms].len = (uint32_t)(end - line);
		nsyms++;
	}
	k->syms_buf = buf;
	k->nsyms = nsyms;
	qsort(k->syms, k->nsyms, sizeof(*k->syms), sym_cmp);
}

/* Write to DIRFD/NAME (DIRFD >= 0) or to PATH (DIRFD < 0); PATH names it in messages. */
static int
write_syms(const struct kernel *k, uint64_t *addrs, size_t n, int dirfd, const char *name,
    const char *path)
{
	size_t i, s = 0, next = 0;	/* next: first symbol not yet written */
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	/* Composed in memory, written as every session file is (.kallsyms.tmp.PID,
	 * fsync, rename: xps_write_file). */
	if ((f = open_memstream(&text, &len)) == NULL)
		return -1;
	if (n > 0)
		qsort(addrs, n, sizeof(*addrs), u64_cmp);
	if (k->text)
		fprintf(f, "%016llx T _text\n", (unsigned long long)k->text);
	/* addrs and syms are both sorted: one merge walk.  Each hit symbol is
	 * written with its successor, which bounds its extent. */
	for (i = 0; i < n && k->nsyms; i++) {
		size_t j, hi;

		while (s + 1 < k->nsyms && k->syms[s + 1].addr <= addrs[i])
			s++;
		if (k->syms[s].addr > addrs[i])
			continue;	/* below the first symbol */
		hi = s + 1 < k->nsyms ? s + 1 : s;
		j = (next > s) ? next : s;
		for (; j <= hi; j++)
			fprintf(f, "%.*s\n", (int)k->syms[j].len, k->syms_buf + k->syms[j].off);
		if (hi + 1 > next)
			next = hi + 1;
	}
	if (fclose(f) != 0) {
		free(text);
		errno = ENOMEM;
		return -1;
	}
	r = dirfd >= 0 ? xps_write_fileat(dirfd, name, path, text, len) :
	    xps_write_file(path, text, len);
	free(text);
	return r;
}

int
kernel_write_syms(const struct kernel *k, uint64_t *addrs, size_t n, const char *path)
{
	return write_syms(k, addrs, n, -1, NULL, path);
}

int
kernel_write_symsat(const struct kernel *k, uint64_t *addrs, size_t n, int dirfd,
    const char *name, const char *path)
{
	return write_syms(k, addrs, n, dirfd, name, path);
}

int
kernel_load(struct kernel *k, const char *kallsyms, const char *modules, const char *notes)
{
	char line[512];
	FILE *f;
	size_t cap = 0;

	memset(k, 0, sizeof(*k));
	read_kallsyms(k, kallsyms);
	if ((f = fopen(modules, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char name[64];
			unsigned long long size, addr;

			/* name size refcnt deps state address [taint] */
			if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size, &addr) != 3 || addr == 0)
				continue;
			if (k->nmods == cap) {
				cap = cap ? cap * 2 : 64;
				k->mods = realloc(k->mods, cap * sizeof(*k->mods));
				if (k->mods == NULL)
					abort();
			}
			k->mods[k->nmods].start = addr;
			k->mods[k->nmods].end = addr + size;
			snprintf(k->mods[k->nmods].name, sizeof(k->mods[0].name), "[%s]", name);
			k->nmods++;
		}
		fclose(f);
		qsort(k->mods, k->nmods, sizeof(*k->mods), mod_cmp);
	}
	read_notes(k, notes);
	return 0;
}

void
kernel_free(struct kernel *k)
{
	free(k->mods);
	k->mods = NULL;
	free(k->syms);
	free(k->syms_buf);
	k->syms = NULL;
	k->syms_buf = NULL;
	k->nsyms = 0;
	k->nmods = 0;
}

const struct kernel_module *
kernel_module_at(const struct kernel *k, uint64_t pc)
{
	size_t lo = 0, hi = k->nmods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pc < k->mods[mid].start)
			hi = mid;
		else if (pc >= k->mods[mid].end)
			lo = mid + 1;
		else
			return &k->mods[mid];
	}
	return NULL;
}
