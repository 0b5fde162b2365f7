/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --start [SETUP...]: start sampling (starting the daemon if needed). */

#include <err.h>
#include <signal.h>
#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

/*
 * End the daemon this --start spawned, after the start itself failed (a
 * domU whose dom0 has not listed it, a hypervisor that refused): a failed
 * --start leaves nothing running.
 */
static void
end_spawned(const struct ctl *c)
{
	char reply[XP_PROTO_MAX_PAYLOAD + 1];
	long pid = ctl_daemon_pid(c);

	if (ctl_request(c, XP_REQ_SHUTDOWN, NULL, 0, reply, sizeof(reply)) == XP_REP_OK &&
	    ctl_wait_exit(c, c->timeout_s) == 0)
		return;
	if (pid > 1 && ctl_daemon_pid(c) == pid) {
		kill((pid_t)pid, SIGTERM);
		if (ctl_wait_exit(c, c->timeout_s) == -1)
			warnx("--start: xenprofd (pid %ld), started for this --start, did not exit; "
			    "kill it", pid);
	}
}

static int
ctl_start_exec(struct ctl *c)
{
	long pid = ctl_daemon_pid(c);
	int r;

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
	r = ctl_simple(c, XP_REQ_START, NULL, 0, "--start");
	if (r != 0 && !pid)
		end_spawned(c);
	return r;
}

const struct ctl_cmd ctl_start_cmd = {
	.name = "start",
	.usage = "--start [SETUP...]        start sampling (starts the daemon if needed)",
	.takes_setup = true,
	.needs_root = true,
	.writes = true,
	.exec = ctl_start_exec,
};
