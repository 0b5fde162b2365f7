/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --stop: stop sampling; on return every sample taken is in the files. */

#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_stop_exec(struct ctl *c)
{
	if (!ctl_daemon_pid(c)) {
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
