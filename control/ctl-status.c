/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --status: state, backend, cpu type, events, domains, samples and losses so far. */

#include <stdio.h>

#include "control/ctl.h"
#include "daemon/proto.h"

static int
ctl_status_exec(struct ctl *c)
{
	if (!ctl_daemon_pid(c)) {
		long dead = ctl_dead_daemon(c);

		if (dead)
			printf("state: not running (xenprofd pid %ld ended without --shutdown: killed or "
			    "crashed, see %s/xenprofd.log)\n", dead, c->sessdir);
		else
			printf("state: not running\n");
		printf("session dir: %s\n", c->sessdir);
		return 0;
	}
	return ctl_simple(c, XP_REQ_STATUS, NULL, 0, "--status");
}

const struct ctl_cmd ctl_status_cmd = {
	.name = "status",
	.usage = "--status                  state, backend, cpu type, events, domains, samples and losses",
	.needs_root = true,
	.exec = ctl_status_exec,
};
