/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --reset: discard the current samples. */

#include <err.h>
#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"
#include "libsamples/samples.h"

static int
ctl_reset_exec(struct ctl *c)
{
	if (ctl_daemon_pid(c))
		return ctl_simple(c, XP_REQ_RESET, NULL, 0, "--reset");
	if (xps_session_reset(c->sessdir) == -1) {
		warnx("--reset: %s", xps_errmsg());
		return 1;
	}
	printf("current session reset\n");
	return 0;
}

const struct ctl_cmd ctl_reset_cmd = {
	.name = "reset",
	.usage = "--reset                   discard the current samples",
	.needs_root = true,
	.writes = true,
	.exec = ctl_reset_exec,
};
