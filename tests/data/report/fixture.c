/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixture for the report tests: three functions with known names, each
 * aligned to 256 bytes so that padding no symbol covers lies between them.
 * The tests build it at test time as a PIE executable, a shared library and
 * a non-PIE executable (see tests/unit/test-report.c, fixture_build):
 *   cc -O1 -fPIE -pie            -Wl,--build-id -o fx-pie   fixture.c
 *   cc -O1 -fPIC -shared         -Wl,--build-id -o libfx.so fixture.c
 *   cc -O1 -fno-pie -no-pie      -Wl,--build-id -o fx-exec  fixture.c
 * and read the functions' file offsets from the symbol table and program
 * headers, so nothing depends on the compiler's layout.
 */
#define FX_FN	__attribute__((noinline, used, aligned(256)))

volatile int fx_sink;

FX_FN int
fx_alpha(int x)
{
	for (int i = 0; i < x; i++)
		fx_sink += i;
	return fx_sink;
}

FX_FN int
fx_beta(int x)
{
	return fx_alpha(x) * 3 + fx_sink;
}

FX_FN int
fx_gamma(int x)
{
	return fx_beta(x) ^ fx_alpha(x + 1);
}

int
main(int argc, char **argv)
{
	(void)argv;
	return fx_gamma(argc) & 1;
}
