/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xenprof-ctl: building and storing the session setup. */

#include <err.h>
#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "control/ctl.h"
#include "daemon/proto.h"
#include "libsamples/samples.h"

int
ctl_make_setup(const struct ctl *c, struct setup *s, bool store)
{
	char path[4200], err[SETUP_ERR_LEN];

	setup_init(s);
	snprintf(path, sizeof(path), "%s/%s", c->sessdir, XP_SETUP_NAME);
	if (setup_load(s, path, err, sizeof(err)) == -1) {
		warnx("%s", err);
		return -1;
	}
	for (int i = 0; i < c->nsetup; i++) {
		/* A new --event list replaces the stored one. */
		if (strncmp(c->setup_args[i], "--event=", 8) == 0) {
			bool first = true;

			for (int j = 0; j < i; j++)
				if (strncmp(c->setup_args[j], "--event=", 8) == 0)
					first = false;
			if (first)
				s->nevents = 0;
		}
		if (setup_apply(s, c->setup_args[i], err, sizeof(err)) != 1) {
			warnx("%s", err);
			return -1;
		}
	}
	/* What --start would refuse is refused now, before it is stored. */
	if (setup_finish(s, err, sizeof(err)) == -1 || setup_check_host(s, err, sizeof(err)) == -1) {
		warnx("%s", err);
		return -1;
	}
	if (store) {
		struct passwd *pw = getpwnam(XP_SAMPLER_USER);
		char prev[4300];
		int fd;

		/* The daemon refuses a session dir another user could replace
		 * (xenprofd(8)): so does the setup it is stored for, at once. */
		if (pw == NULL)
			pw = getpwnam("nobody");
		if ((fd = xps_sessdir_open(c->sessdir, pw ? pw->pw_uid : 0, 1)) == -1) {
			warnx("%s", xps_errmsg());
			return -1;
		}
		close(fd);
		snprintf(prev, sizeof(prev), "%s.prev", path);
		unlink(prev);
		if (link(path, prev) == -1 && errno != ENOENT) {
			warn("%s", prev);
			return -1;
		}
		if (setup_store(s, path, err, sizeof(err)) == -1) {
			warnx("%s", err);
			return -1;
		}
	}
	return 0;
}

void
ctl_setup_done(const struct ctl *c, bool ok)
{
	char path[4200], prev[4300];

	snprintf(path, sizeof(path), "%s/%s", c->sessdir, XP_SETUP_NAME);
	snprintf(prev, sizeof(prev), "%s.prev", path);
	if (ok)
		unlink(prev);
	else if (rename(prev, path) == -1 && errno == ENOENT)
		unlink(path);	/* there was no setup before this one */
}
