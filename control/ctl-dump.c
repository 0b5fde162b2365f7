/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --dump: flush the samples to the files; synchronous. */

#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_dump_exec(struct ctl *c)
{
	if (!ctl_daemon_pid(c)) {
		printf("xenprofd is not running on %s; the files are complete\n", c->sessdir);
		return 0;
	}
	return ctl_simple(c, XP_REQ_DUMP, NULL, 0, "--dump");
}

const struct ctl_cmd ctl_dump_cmd = {
	.name = "dump",
	.usage = "--dump                    flush samples to files; on return, files are complete",
	.needs_root = true,
	.exec = ctl_dump_exec,
};
