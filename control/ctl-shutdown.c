/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --shutdown: stop sampling, flush, end the daemon; returns when it is gone.
 * With no daemon: exit 0, as no daemon is what it promises; a daemon that
 * died without --shutdown is reported (one warning) and forgotten.
 */

#include <err.h>
#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_shutdown_exec(struct ctl *c)
{
	long pid = ctl_daemon_pid(c);
	int r;

	if (!pid) {
		long dead = ctl_dead_daemon(c);

		if (dead) {
			warnx("--shutdown: xenprofd (pid %ld) on %s had ended without --shutdown (killed or "
			    "crashed: see %s/xenprofd.log); its samples after its last flush are lost",
			    dead, c->sessdir, c->sessdir);
			ctl_forget_dead(c);
		} else
			printf("xenprofd is not running on %s\n", c->sessdir);
		return 0;
	}
	if ((r = ctl_simple(c, XP_REQ_SHUTDOWN, NULL, 0, "--shutdown")) != 0)
		return r;
	if (ctl_wait_exit(c, c->timeout_s) == -1) {
		warnx("--shutdown: xenprofd (pid %ld) did not exit within %d s", pid, c->timeout_s);
		return 1;
	}
	return 0;
}

const struct ctl_cmd ctl_shutdown_cmd = {
	.name = "shutdown",
	.usage = "--shutdown                stop sampling and end the daemon",
	.needs_root = true,
	.exec = ctl_shutdown_exec,
};
