/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session setup: what the user asked for with SETUP options
 * (--event, --vmlinux, --separate, ...).  Parsed by xenprof-ctl (to validate
 * and store it in SESSDIR/setup) and by xenprofd (to read it back), with the
 * same code, so both agree on what a setup means.
 *
 * SESSDIR/setup holds one option per line, exactly as given on the command
 * line (e.g. "--event=cpu-clock:100000").
 */
#ifndef XP_SETUP_H
#define XP_SETUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

#define SETUP_PATH_MAX	4096
#define SETUP_LIST_MAX	1024
#define SETUP_ERR_LEN	1024

struct setup {
	char		backend[16];		/* auto, perf, xenoprof */
	uint32_t	nevents;
	struct hv_event	events[HV_MAX_EVENTS];
	char		vmlinux[SETUP_PATH_MAX];	/* "" = kallsyms */
	bool		no_vmlinux;
	char		xen[SETUP_PATH_MAX];
	uint32_t	separate;		/* XPS_SEP_* bits */
	uint32_t	callgraph;
	char		active[SETUP_LIST_MAX];	/* domain ids or names, comma-separated */
	char		passive[SETUP_LIST_MAX];
	char		passive_images[SETUP_LIST_MAX];
	uint32_t	flush_ms;		/* periodic flush interval */
	bool		force_images;		/* use images whose build-id differs from what runs */
};

/* Defaults: backend auto, no events (setup_finish adds cpu-clock), flush 1 s. */
void setup_init(struct setup *s);

/*
 * Apply one option ARG (e.g. "--separate=library").  Returns 1 if ARG is a
 * setup option and was applied, 0 if ARG is not a setup option, -1 with ERR
 * set if it is one but its value is bad.
 */
int setup_apply(struct setup *s, const char *arg, char *err, size_t errlen);

/* Checks across options and defaults (a default event).  -1 with ERR. */
int setup_finish(struct setup *s, char *err, size_t errlen);

/* Load SESSDIR/setup into S (no file: S unchanged, returns 0). */
int setup_load(struct setup *s, const char *path, char *err, size_t errlen);
/* The same from NAME in directory DIRFD, PATH naming it in messages. */
int setup_loadat(struct setup *s, int dirfd, const char *name, const char *path, char *err,
    size_t errlen);
/* Store S as option lines to PATH (atomically). */
int setup_store(const struct setup *s, const char *path, char *err, size_t errlen);

/* Fill CFG for hv_open from S. */
void setup_hv_config(const struct setup *s, struct hv_config *cfg);

/*
 * Check that PATH is an uncompressed ELF image (vmlinux, xen-syms); WHAT
 * names the option in the message.  -1 with ERR naming the problem.
 */
int setup_check_image(const char *path, const char *what, char *err, size_t errlen);

/*
 * Check S against the machine we run on, as far as that can be done without
 * starting a session: that each event can be counted here (a PMU event
 * where there is no PMU fails), that --vmlinux and --xen are the running
 * kernel's and hypervisor's (build-ids, unless --force-images), and that
 * the domain lists need and name domains of this Xen host.  xenprof-ctl
 * runs it before storing a setup; -1 with ERR naming the problem and the fix.
 */
int setup_check_host(const struct setup *s, char *err, size_t errlen);

/*
 * --vmlinux and --xen against the running kernel's and hypervisor's
 * build-ids (sysfs; in test builds under $XENPROF_SYSROOT; where sysfs
 * does not say, no check).  -1 with ERR unless --force-images.
 */
int setup_check_images(const struct setup *s, char *err, size_t errlen);

struct domains;
/*
 * S's --active-domains and --passive-domains against the host's domains DS
 * into CFG's id lists, and the --passive-images of the passive domains into
 * IMAGES (CFG->npassive paths, "" for none; IMAGES may be NULL).  -1 with ERR.
 */
int setup_domains(const struct setup *s, const struct domains *ds, struct hv_config *cfg,
    char (*images)[SETUP_PATH_MAX], char *err, size_t errlen);

/* "none", "library,thread"... for SEP bits, into BUF. */
const char *setup_separate_str(uint32_t sep, char *buf, size_t len);

#endif /* XP_SETUP_H */
