/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --save=NAME: keep the current samples as session NAME, start a fresh current. */

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "control/ctl.h"
#include "daemon/proto.h"
#include "libsamples/samples.h"

static int
ctl_save_exec(struct ctl *c)
{
	if (!xps_name_valid(c->arg)) {
		warnx("--save=%s: %s", c->arg, xps_errmsg());
		return 2;
	}
	if (ctl_daemon_pid(c))
		return ctl_simple(c, XP_REQ_SAVE, c->arg, (uint32_t)strlen(c->arg), "--save");
	if (xps_session_save(c->sessdir, c->arg) == -1) {
		warnx("--save=%s: %s", c->arg, xps_errmsg());
		return 1;
	}
	printf("saved session %s\n", c->arg);
	return 0;
}

const struct ctl_cmd ctl_save_cmd = {
	.name = "save",
	.usage = "--save=NAME               keep the current samples as session NAME, start a fresh current",
	.needs_value = true,
	.needs_root = true,
	.writes = true,
	.exec = ctl_save_exec,
};
