/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --stop: stop sampling; on return every sample taken is in the files.
 * With no daemon: exit 0 (nothing samples, the files are complete), unless
 * the last daemon died without --shutdown: then its last samples are lost,
 * and --stop says so and exits 1 (see xenprof-ctl(1), EXIT STATUS).
 */

#include <err.h>
#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_stop_exec(struct ctl *c)
{
	if (!ctl_daemon_pid(c)) {
		long dead = ctl_dead_daemon(c);

		if (dead) {
			warnx("--stop: xenprofd (pid %ld) on %s ended without --shutdown (killed or crashed: "
			    "see %s/xenprofd.log); the files hold its last flush, later samples are lost; "
			    "--start begins anew", dead, c->sessdir, c->sessdir);
			return 1;
		}
		printf("xenprofd is not running on %s; nothing to stop\n", c->sessdir);
		return 0;
	}
	return ctl_simple(c, XP_REQ_STOP, NULL, 0, "--stop");
}

const struct ctl_cmd ctl_stop_cmd = {
	.name = "stop",
	.usage = "--stop                    stop sampling; all samples taken are in files on return",
	.needs_root = true,
	.exec = ctl_stop_exec,
};
