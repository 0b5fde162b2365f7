/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvP.h: private to hv/.  The backend ops table behind hv.h; every backend
 * exports one const struct hv_backend_ops and hv.c dispatches to it.
 */
#ifndef XP_HVP_H
#define XP_HVP_H

#include "hv/hv.h"

/*
 * A backend.  open() returns the backend's private state (owned by the
 * backend until close()), or NULL with ERR set.  The other calls get that
 * pointer back.  No call prints or exits.
 */
struct hv_backend_ops {
	const char *name;
	void	*(*open)(const struct hv_config *cfg, char *err, size_t errlen);
	const char *(*cpu_type)(const void *be);
	int	(*start)(void *be, char *err, size_t errlen);
	int	(*stop)(void *be, char *err, size_t errlen);
	int	(*pollfds)(void *be, struct pollfd *fds, int max);
	int	(*poll_interval_ms)(const void *be);
	long	(*drain)(void *be, const struct hv_sink *sink);
	void	(*stats)(const void *be, struct hv_stats *st);
	void	(*close)(void *be);
	const struct hv_event_info *(*events)(size_t *n);
	/* Is EV an event of this backend with a valid count and unit mask? */
	int	(*check)(const struct hv_event *ev, char *err, size_t errlen);
	/* Can EV be counted here (see hv_event_probe)?  NULL: not without a session. */
	int	(*probe)(const struct hv_event *ev, char *err, size_t errlen);
	const char *default_event;	/* the spec used when the setup names none */
	/* As drain, and also what the backend holds back to order records
	 * (perf); NULL: drain does it all. */
	long	(*drain_all)(void *be, const struct hv_sink *sink);
	/* NULL, or how samples without pid find their process (hv_tracking) */
	const char *(*tracking)(const void *be);
	/* NULL when the source needs no privilege after open (hv_set_privop) */
	void	(*set_privop)(void *be, hv_privop_fn fn, void *ctx);
	int	(*unprivileged)(void *be, char *err, size_t errlen);
};

/* perf/perf.c */
extern const struct hv_backend_ops hv_perf_ops;
#ifdef XP_TEST_BUILD
/* perf/replay.c: perf records from a file ($XENPROF_REPLAY), test builds only */
extern const struct hv_backend_ops hv_replay_ops;
#endif
/* xenoprof/xenoprof.c */
extern const struct hv_backend_ops hv_xenoprof_ops;

/* hv.c: snprintf into ERR (NULL or 0-length ERR is fine); always returns -1. */
int hv_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* XP_HVP_H */
