/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-fxconfig.c: libFuzzer target for fakexen's scenario-file parser
 * (tests/fakexen/fx_config.c, `fakexen up --config FILE`).
 * Input: the file's bytes.  Invariants: success leaves counts within their
 * tables and every string terminated; failure leaves a one-line,
 * non-empty, terminated error.
 * Seeds: tests/fuzz/corpus/fxconfig/ (the scenarios' own configs and more).
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fx_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx_config cfg;
	char err[1024];
	int fd, rc;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz-fxconfig.%ld", (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	memset(err, 0x55, sizeof(err));
	rc = fx_config_load(path, &cfg, err, sizeof(err));
	if (rc == 0) {
		if (cfg.ndoms > FX_MAX_DOMS || cfg.nwork > FX_MAX_WORK ||
		    cfg.nfaults > FX_MAX_FAULTS || cfg.ntimed > FX_MAX_TIMED ||
		    fx_config_dom(&cfg, 0) == NULL)
			__builtin_trap();
		for (uint32_t i = 0; i < cfg.nwork; i++) {
			if (cfg.work[i].nsyms == 0 || cfg.work[i].nsyms > FX_MAX_CHAIN ||
			    fx_config_dom(&cfg, cfg.work[i].domid) == NULL)
				__builtin_trap();
			for (uint32_t j = 0; j < cfg.work[i].nsyms; j++)
				if (strnlen(cfg.work[i].syms[j], FX_SYM_LEN) == FX_SYM_LEN)
					__builtin_trap();
		}
		for (uint32_t i = 0; i < cfg.ndoms; i++)
			if (strnlen(cfg.doms[i].name, FX_NAME_LEN) == FX_NAME_LEN)
				__builtin_trap();
		fx_config_free(&cfg);
	} else {
		size_t n = strnlen(err, sizeof(err));

		if (n == 0 || n == sizeof(err) || memchr(err, '\n', n) != NULL)
			__builtin_trap();
	}
	return 0;
}
