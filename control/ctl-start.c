/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --start [SETUP...]: start sampling (starting the daemon if needed). */

#include <err.h>
#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_start_exec(struct ctl *c)
{
	long pid = ctl_daemon_pid(c);

	if (pid && c->nsetup) {
		warnx("xenprofd (pid %ld) is already running on %s; run --shutdown first to change the setup",
		    pid, c->sessdir);
		return 1;
	}
	if (!pid) {
		struct setup s;

		if (ctl_make_setup(c, &s, true) == -1)
			return 1;
		if (ctl_spawn_daemon(c) == -1) {
			ctl_setup_done(c, false);
			return 1;
		}
		ctl_setup_done(c, true);
	}
	return ctl_simple(c, XP_REQ_START, NULL, 0, "--start");
}

const struct ctl_cmd ctl_start_cmd = {
	.name = "start",
	.usage = "--start [SETUP...]        start sampling (starts the daemon if needed)",
	.takes_setup = true,
	.needs_root = true,
	.exec = ctl_start_exec,
};
