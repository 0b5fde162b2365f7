/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fx_view.h - each simulated domain's /sys/hypervisor, notes, /proc/xen (fx_view.c). */
#ifndef FX_VIEW_H
#define FX_VIEW_H

#include <stddef.h>

struct fx_config;

/* Write DIR/view/domN/... for every domain of CFG.  0, or -1 with ERR. */
int	fx_view_write(const char *dir, const struct fx_config *cfg, char *err, size_t errlen);

#endif
