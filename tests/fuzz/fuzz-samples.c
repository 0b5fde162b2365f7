/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the sample-file and meta-file readers.  Each input is
 * read twice: as given, and "fixed up" (file-size field and CRC made valid)
 * so the fuzzer also reaches the section parsers behind the checksum.
 * Seeds: tests/fuzz/corpus/samples/ (made by tests/fuzz/mkcorpus-samples.c).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libsamples/samples.h"
#include "libsamples/samplesP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
put(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static void
read_both(void)
{
	static struct xps_meta m;

	xps_profile_free(xps_profile_read(path));
	(void)xps_meta_read(&m, path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *fixed;

	if (path[0] == '\0')
		snprintf(path, sizeof path, "/tmp/fuzz-samples.%ld", (long)getpid());
	put(data, size);
	read_both();
	if (size >= 24 + 4) {
		fixed = malloc(size);
		if (fixed == NULL)
			return 0;
		memcpy(fixed, data, size);
		xps_st64(fixed + 16, size);
		xps_st32(fixed + size - 4, xps_crc32(0, fixed, size - 4));
		put(fixed, size);
		read_both();
		free(fixed);
	}
	unlink(path);
	return 0;
}
