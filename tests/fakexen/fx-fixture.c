/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx-fixture.c - the ELF image fakexen's tests draw symbols from.
 *
 * Built with -O0 -fno-inline so every function below keeps its own symbol
 * and size.  The scenarios use this one file as xen_image, as each domain's
 * kernel and, run as `fx-fixture spin`, as the live process of
 * `work D user pid=PID:SYMBOL` lines.  The names are arbitrary.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile unsigned long fx_sink;

/* "Xen" */
void do_softirq(void) { for (int i = 0; i < 16; i++) fx_sink += (unsigned long)i; }
void do_page_fault(void) { for (int i = 0; i < 32; i++) fx_sink ^= (unsigned long)i; }
void pit_read_counter(void) { for (int i = 0; i < 8; i++) fx_sink += fx_sink >> 1; }
/* "kernel" */
void ext4_file_write(void) { for (int i = 0; i < 24; i++) fx_sink += (unsigned long)i * 3; }
void schedule(void) { for (int i = 0; i < 12; i++) fx_sink -= (unsigned long)i; }
void copy_user_generic(void) { for (int i = 0; i < 40; i++) fx_sink += (unsigned long)i << 1; }
/* call chains */
void leaf(void) { for (int i = 0; i < 10; i++) fx_sink += 7; }
void mid(void) { leaf(); fx_sink++; }
void top(void) { mid(); fx_sink++; }
/* "user" */
void main_loop(void) { for (int i = 0; i < 64; i++) fx_sink += (unsigned long)i; }
void parse_request(void) { for (int i = 0; i < 20; i++) fx_sink ^= (unsigned long)i * 5; }

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "spin") == 0) {
		/* a live process for pid= work lines: idle until killed */
		for (;;) {
			main_loop();
			parse_request();
			top();
			sleep(1);
		}
	}
	do_softirq(); do_page_fault(); pit_read_counter();
	ext4_file_write(); schedule(); copy_user_generic();
	top(); main_loop(); parse_request();
	printf("%lu\n", fx_sink);
	return 0;
}
