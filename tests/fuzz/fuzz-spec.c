/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for xenprof-report's option and profile-spec parser.
 * Input: NUL- or newline-separated words, given to report_parse_args() as
 * argv (so both getopt_long options and PROFILE-SPEC words are exercised),
 * then each word alone to spec_add() and the matchers.  Not wired into the
 * build; with clang:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I.. \
 *     -DREPORT_NO_MAIN tests/fuzz/fuzz-spec.c report/util.c report/spec.c \
 *     report/output.c report/output-text.c report/output-json.c \
 *     report/output-csv.c -o /tmp/fuzz-spec
 *   /tmp/fuzz-spec tests/fuzz/corpus/spec
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_NO_MAIN
#include "report/xenprof-report.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[66];
	int argc = 0;
	struct report_opts o;
	char err[512];

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "xenprof-report";
	for (char *p = buf; p < buf + size && argc < 65;) {
		char *e = p + strcspn(p, "\n");
		*e = '\0';
		argv[argc++] = p;
		p = e + 1;
	}
	argv[argc] = NULL;
	report_parse_args(argc, argv, &o, err, sizeof(err));
	report_opts_free(&o);

	struct spec *s = spec_new();
	for (int i = 1; i < argc; i++)
		if (spec_add(s, argv[i], err, sizeof(err)) == 0) {
			(void)spec_image_match(s, argv[i], NULL);
			(void)spec_domain_match(s, 0, argv[i]);
			(void)spec_num_match(&s->tids, 1);
			(void)spec_event_match(s, argv[i]);
		}
	spec_free(s);
	free(buf);
	return 0;
}
