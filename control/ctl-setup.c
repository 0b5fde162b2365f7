/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --setup [SETUP...]: store the setup; no daemon, no sampling. */

#include <stdio.h>

#include "control/ctl.h"

static int
ctl_setup_exec(struct ctl *c)
{
	struct setup s;
	char sep[64];

	if (ctl_make_setup(c, &s, true) == -1)
		return 1;
	printf("setup stored in %s/setup: %u event(s), separate=%s, kernel image %s\n",
	    c->sessdir, s.nevents, setup_separate_str(s.separate, sep, sizeof(sep)),
	    s.vmlinux[0] ? s.vmlinux : (s.no_vmlinux ? "none" : "[kernel.kallsyms]"));
	if (ctl_daemon_pid(c))
		printf("note: the running xenprofd keeps its setup until --shutdown\n");
	return 0;
}

const struct ctl_cmd ctl_setup_cmd = {
	.name = "setup",
	.usage = "--setup [SETUP...]        store the setup; no daemon, no sampling",
	.takes_setup = true,
	.needs_root = true,
	.writes = true,
	.exec = ctl_setup_exec,
};
