/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * evtab.h: event tables kept as data files (private to hv/).
 *
 * One directory per cpu type under the tables' root (hv/events/ in the
 * source tree, $(pkgdatadir)/events installed), named as Xen's
 * XENOPROF_init reports it ("i386/core_2"), with two files in OProfile's
 * layout; the root's file `cpu_types` lists the types, one a line.  The
 * format is described in hv/events/README.
 *
 * The parser works on a buffer (fuzz-friendly), is bounded in every
 * dimension (EVTAB_MAX_*) and never trusts the input: every error is one
 * line "FILE:LINE: what is wrong".
 */
#ifndef XP_EVTAB_H
#define XP_EVTAB_H

#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

#define EVTAB_MAX_FILE		(256 * 1024)	/* bytes per file */
#define EVTAB_MAX_LINE		512
#define EVTAB_MAX_EVENTS	512		/* per cpu type */
#define EVTAB_MAX_MASKS		256		/* per cpu type */
#define EVTAB_MAX_VALUES	64		/* per unit mask */
#define EVTAB_MAX_TYPES		64		/* lines of cpu_types */
#define EVTAB_NAME_LEN		64
#define EVTAB_DESC_LEN		128

struct evtab_mask {
	char		name[EVTAB_NAME_LEN];
	struct hv_unit_mask pub;		/* points into this struct */
	struct hv_um_value values[EVTAB_MAX_VALUES];
	char		vname[EVTAB_MAX_VALUES][EVTAB_NAME_LEN];
	char		vdesc[EVTAB_MAX_VALUES][EVTAB_DESC_LEN];
};

struct evtab_event {
	char		name[EVTAB_NAME_LEN];
	char		desc[EVTAB_DESC_LEN];
	uint32_t	code;
	uint32_t	counters;	/* bit i: counter i may count it; 0 = any */
	uint64_t	min_count;
	const struct evtab_mask *um;	/* NULL: no unit mask (0) */
};

struct evtab {
	char		cpu_type[EVTAB_NAME_LEN];
	uint32_t	nevents, nmasks;
	struct evtab_event *events;	/* nevents */
	struct evtab_mask **masks;	/* nmasks, each allocated */
};

/*
 * Parse the unit_masks text UM (UMLEN bytes, may be NULL) and then the
 * events text EV (EVLEN bytes) into T, whose cpu_type is CPU_TYPE.  Names
 * in error messages: FILE_UM and FILE_EV.  0, or -1 with ERR (T is then
 * freed and empty).
 */
int evtab_parse(struct evtab *t, const char *cpu_type, const char *um, size_t umlen,
    const char *file_um, const char *ev, size_t evlen, const char *file_ev,
    char *err, size_t errlen);
/* Read DIR/CPU_TYPE/{unit_masks,events} and parse them. */
int evtab_load(struct evtab *t, const char *dir, const char *cpu_type, char *err, size_t errlen);
void evtab_free(struct evtab *t);

/*
 * Parse the cpu_types index TEXT: up to MAX names into TYPES (each
 * EVTAB_NAME_LEN), returns their number or -1 with ERR.
 */
int evtab_parse_types(const char *text, size_t len, char types[][EVTAB_NAME_LEN], int max,
    char *err, size_t errlen);

/* The tables' root: the installed one (test builds: $XENPROF_EVENTS_DIR, the source tree's). */
const char *evtab_dir(void);

/* Is V a valid unit mask for UM (NULL: only 0)?  Otherwise -1 with ERR. */
int evtab_mask_check(const struct evtab_mask *um, const char *event, uint32_t v,
    char *err, size_t errlen);

/* The first error loading the tables ("" if none); set by the xenoprof backend. */
extern char evtab_load_error[HV_ERR_LEN];

/* Edit distance of A and B, case-insensitive, first 63 characters. */
unsigned evtab_distance(const char *a, const char *b);

#endif /* XP_EVTAB_H */
