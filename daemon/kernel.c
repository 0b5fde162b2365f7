/* kernel: _text, module ranges and build-id of the running kernel. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/kernel.h"

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

int
kernel_load(struct kernel *k, const char *kallsyms, const char *modules, const char *notes)
{
	char line[512];
	FILE *f;
	size_t cap = 0;

	memset(k, 0, sizeof(*k));
	if ((f = fopen(kallsyms, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long long a;
			char type, name[256];

			if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 &&
			    strcmp(name, "_text") == 0) {
				k->text = a;
				break;
			}
		}
		fclose(f);
	}
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

int
kernel_copy_file(const char *src, const char *dst)
{
	char tmp[4200], buf[65536];
	int in, out, saved;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", dst, (int)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out == -1) {
		saved = errno;
		close(in);
		errno = saved;
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	saved = errno;
	close(in);
	if (n < 0 || fsync(out) == -1) {
		close(out);
		unlink(tmp);
		errno = saved ? saved : EIO;
		return -1;
	}
	if (close(out) == -1 || rename(tmp, dst) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	return 0;
}
