/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fx_xs.h - fakexen's read-only xenstored (see fx_xs.c). */
#ifndef FX_XS_H
#define FX_XS_H

#include "fx_state.h"

struct fx_xs;

/* DIR/xs-domN.sock into BUF; -1 if it does not fit a sun_path. */
int		 fx_xs_path(const char *dir, uint32_t domid, char *buf, size_t len);
/* Bind one socket per domain in DOMIDS (done before daemonizing). */
struct fx_xs	*fx_xs_create(struct fx_state *, const char *dir,
		    const uint32_t *domids, unsigned n, char *err, size_t errlen);
int		 fx_xs_start(struct fx_xs *);
/* Stops the thread, closes and unlinks the sockets. */
void		 fx_xs_free(struct fx_xs *);

#endif
