/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the archive reader (report/archive.c,
 * archive:FILE): the input is written to a file and extracted into a
 * temporary directory, which is then removed.  Every outcome but a crash, a
 * leak or a write outside the temporary directory is fine; a damaged input
 * must come back as an error (archive_extract() -1 with a message), never
 * as a silent partial extraction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	char err[1024], *dir = NULL;
	FILE *f;

	if (path[0] == '\0') {
		int fd;

		snprintf(path, sizeof(path), "/tmp/xenprof-fuzz-archive.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		report_warn_quiet(1);
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	err[0] = '\0';
	if (archive_extract(path, &dir, err, sizeof(err)) == 0) {
		archive_cleanup(dir);
		free(dir);
	} else if (dir != NULL || err[0] == '\0')
		abort();	/* a failure leaves nothing and says why */
	report_warnings_reset();
	return 0;
}
