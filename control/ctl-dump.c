/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --dump: flush the samples to the files; synchronous.  With no daemon: exit
 * 0 (the files are complete), unless the last daemon died without
 * --shutdown: then 1, as its last samples are lost (as --stop).
 */

#include <err.h>
#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_dump_exec(struct ctl *c)
{
	if (!ctl_daemon_pid(c)) {
		long dead = ctl_dead_daemon(c);

		if (dead) {
			warnx("--dump: xenprofd (pid %ld) on %s ended without --shutdown (killed or crashed: "
			    "see %s/xenprofd.log); the files hold its last flush, later samples are lost; "
			    "--start begins anew", dead, c->sessdir, c->sessdir);
			return 1;
		}
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
