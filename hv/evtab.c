/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * evtab.c: the event tables' data files (see evtab.h, hv/events/README).
 *
 * Line oriented, one pass, bounded: files up to EVTAB_MAX_FILE bytes, lines
 * up to EVTAB_MAX_LINE, names and descriptions truncated never (too long is
 * an error), counts capped by EVTAB_MAX_*.  Input bytes outside printable
 * ASCII, tab and newline are rejected, so every string handed on is
 * printable.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hv/evtab.h"
#include "hv/hvP.h"

#ifndef XP_EVENTS_DIR
#define XP_EVENTS_DIR "/usr/local/share/xenprof/events"
#endif
#ifndef XP_SRC_EVENTS_DIR
#define XP_SRC_EVENTS_DIR "hv/events"
#endif

char evtab_load_error[HV_ERR_LEN];

const char *
hv_event_tables_dir(void)
{
	return evtab_dir();
}

const char *
hv_event_tables_error(void)
{
	size_t n;

	hv_events("xenoprof", &n);	/* loads the tables, if this build has the backend */
	return evtab_load_error;
}

unsigned
evtab_distance(const char *a, const char *b)
{
	unsigned row[64], diag, up, i, j, la, lb, cost;

	la = strnlen(a, 63);
	lb = strnlen(b, 63);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			row[j] = diag + cost;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

const char *
evtab_dir(void)
{
#ifdef XP_TEST_BUILD
	/* Test builds: $XENPROF_EVENTS_DIR, else the source tree's tables. */
	const char *e = XP_TEST_ENV("XENPROF_EVENTS_DIR");

	return e != NULL && *e != '\0' ? e : XP_SRC_EVENTS_DIR;
#else
	/* The installed programs read the tables they installed, only. */
	return XP_EVENTS_DIR;
#endif
}

/* ---- lexing ------------------------------------------------------------ */

struct lex {
	const char     *p, *end;
	const char     *file;
	unsigned	lineno;
	char		line[EVTAB_MAX_LINE + 1];
};

/* The next line into L->line (without '\n'): 1, 0 at the end, -1 with ERR. */
static int
next_line(struct lex *l, char *err, size_t errlen)
{
	size_t n = 0;

	if (l->p >= l->end)
		return 0;
	l->lineno++;
	while (l->p < l->end && *l->p != '\n') {
		unsigned char c = (unsigned char)*l->p++;

		if (n == EVTAB_MAX_LINE)
			return hv_seterr(err, errlen, "%s:%u: line longer than %d bytes", l->file,
			    l->lineno, EVTAB_MAX_LINE);
		if (c == '\r' && (l->p == l->end || *l->p == '\n'))
			continue;
		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return hv_seterr(err, errlen, "%s:%u: byte 0x%02x is not printable ASCII",
			    l->file, l->lineno, c);
		l->line[n++] = (char)c;
	}
	if (l->p < l->end)
		l->p++;		/* the '\n' */
	l->line[n] = '\0';
	return 1;
}

static char *
skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The next whitespace-delimited token of *S (NUL-terminated in place), or NULL. */
static char *
token(char **s)
{
	char *t = skip_ws(*s), *e;

	if (*t == '\0')
		return NULL;
	for (e = t; *e != '\0' && *e != ' ' && *e != '\t'; e++)
		;
	if (*e != '\0')
		*e++ = '\0';
	*s = e;
	return t;
}

/* A number, 0x hex or decimal, at most MAX: 0 or -1. */
static int
number(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	unsigned base = 10, d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -1;
		if (x > (max - d) / base)
			return -1;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

/* Letters, digits, '_', '-', '.'; 1 to EVTAB_NAME_LEN-1 characters. */
static int
good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= EVTAB_NAME_LEN)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* Trailing blanks off S. */
static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static int
is_comment(const char *line)
{
	const char *s = line;

	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' || *s == '#';
}

/* ---- unit masks --------------------------------------------------------- */

static struct evtab_mask *
find_mask(const struct evtab *t, const char *name)
{
	for (uint32_t i = 0; i < t->nmasks; i++)
		if (strcmp(t->masks[i]->name, name) == 0)
			return t->masks[i];
	return NULL;
}

/* Is V allowed by M?  (Checks against the values only.) */
static int
mask_allows(const struct evtab_mask *m, uint32_t v)
{
	uint32_t all = 0;

	for (uint32_t i = 0; i < m->pub.nvalues; i++) {
		if (m->values[i].value == v)
			return 1;
		all |= m->values[i].value;
	}
	return m->pub.type == HV_UM_BITMASK && (v & ~all) == 0;
}

/* A finished mask: its default must be allowed; mandatory has one value. */
static int
mask_close(const struct lex *l, const struct evtab_mask *m, unsigned line, char *err, size_t errlen)
{
	if (m->pub.nvalues == 0)
		return hv_seterr(err, errlen, "%s:%u: unit mask '%s' has no values", l->file, line, m->name);
	if (m->pub.type == HV_UM_MANDATORY && m->pub.nvalues != 1)
		return hv_seterr(err, errlen, "%s:%u: unit mask '%s' is mandatory but has %u values "
		    "(use exclusive)", l->file, line, m->name, m->pub.nvalues);
	if (!mask_allows(m, m->pub.defval))
		return hv_seterr(err, errlen, "%s:%u: unit mask '%s': default 0x%x is not one of its "
		    "values", l->file, line, m->name, m->pub.defval);
	return 0;
}

static int
parse_masks(struct evtab *t, struct lex *l, char *err, size_t errlen)
{
	struct evtab_mask *m = NULL;
	unsigned mline = 0;
	int r;

	while ((r = next_line(l, err, errlen)) == 1) {
		char *s = l->line, *tok;

		if (is_comment(s))
			continue;
		if (s[0] == ' ' || s[0] == '\t') {
			/* A value: VALUE [name:NAME] DESCRIPTION */
			struct hv_um_value *v;
			uint64_t x;
			uint32_t i;

			if (m == NULL)
				return hv_seterr(err, errlen, "%s:%u: a value line before any 'name:' line",
				    l->file, l->lineno);
			if (m->pub.nvalues == EVTAB_MAX_VALUES)
				return hv_seterr(err, errlen, "%s:%u: unit mask '%s' has more than %d values",
				    l->file, l->lineno, m->name, EVTAB_MAX_VALUES);
			tok = token(&s);
			if (number(tok, 0xff, &x) == -1)
				return hv_seterr(err, errlen, "%s:%u: value '%.32s' is not a number 0..0xff",
				    l->file, l->lineno, tok);
			i = m->pub.nvalues;
			for (uint32_t j = 0; j < i; j++)
				if (m->values[j].value == x)
					return hv_seterr(err, errlen, "%s:%u: unit mask '%s' lists 0x%x twice",
					    l->file, l->lineno, m->name, (unsigned)x);
			s = skip_ws(s);
			if (strncmp(s, "name:", 5) == 0) {
				tok = token(&s);
				if (!good_name(tok + 5))
					return hv_seterr(err, errlen, "%s:%u: bad value name '%.32s' (letters, "
					    "digits, '_', '-', '.', at most %d)", l->file, l->lineno, tok + 5,
					    EVTAB_NAME_LEN - 1);
				for (uint32_t j = 0; j < i; j++)
					if (strcasecmp(m->vname[j], tok + 5) == 0)
						return hv_seterr(err, errlen, "%s:%u: unit mask '%s' names "
						    "'%s' twice", l->file, l->lineno, m->name, tok + 5);
				strcpy(m->vname[i], tok + 5);
			}
			s = skip_ws(s);
			rtrim(s);
			if (strlen(s) >= EVTAB_DESC_LEN)
				return hv_seterr(err, errlen, "%s:%u: description longer than %d characters",
				    l->file, l->lineno, EVTAB_DESC_LEN - 1);
			strcpy(m->vdesc[i], s);
			v = &m->values[i];
			v->value = (uint32_t)x;
			v->name = m->vname[i];
			v->desc = m->vdesc[i];
			m->pub.nvalues++;
			continue;
		}
		/* A mask: name:NAME type:mandatory|exclusive|bitmask default:VALUE */
		if (m != NULL && mask_close(l, m, mline, err, errlen) == -1)
			return -1;
		if (t->nmasks == EVTAB_MAX_MASKS)
			return hv_seterr(err, errlen, "%s:%u: more than %d unit masks", l->file, l->lineno,
			    EVTAB_MAX_MASKS);
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return hv_seterr(err, errlen, "%s:%u: out of memory", l->file, l->lineno);
		t->masks[t->nmasks++] = m;
		m->pub.name = m->name;
		m->pub.values = m->values;
		mline = l->lineno;
		{
			bool have_name = false, have_type = false, have_def = false;

			while ((tok = token(&s)) != NULL) {
				uint64_t x;

				if (strncmp(tok, "name:", 5) == 0 && !have_name) {
					if (!good_name(tok + 5))
						return hv_seterr(err, errlen, "%s:%u: bad unit mask name '%.32s'",
						    l->file, l->lineno, tok + 5);
					if (find_mask(t, tok + 5) != NULL)
						return hv_seterr(err, errlen, "%s:%u: unit mask '%s' defined twice",
						    l->file, l->lineno, tok + 5);
					strcpy(m->name, tok + 5);
					have_name = true;
				} else if (strncmp(tok, "type:", 5) == 0 && !have_type) {
					if (strcmp(tok + 5, "mandatory") == 0)
						m->pub.type = HV_UM_MANDATORY;
					else if (strcmp(tok + 5, "exclusive") == 0)
						m->pub.type = HV_UM_EXCLUSIVE;
					else if (strcmp(tok + 5, "bitmask") == 0)
						m->pub.type = HV_UM_BITMASK;
					else
						return hv_seterr(err, errlen, "%s:%u: type '%.32s' is not mandatory, "
						    "exclusive or bitmask", l->file, l->lineno, tok + 5);
					have_type = true;
				} else if (strncmp(tok, "default:", 8) == 0 && !have_def) {
					if (number(tok + 8, 0xff, &x) == -1)
						return hv_seterr(err, errlen, "%s:%u: default '%.32s' is not a number "
						    "0..0xff", l->file, l->lineno, tok + 8);
					m->pub.defval = (uint32_t)x;
					have_def = true;
				} else
					return hv_seterr(err, errlen, "%s:%u: unexpected '%.32s' (expected "
					    "name:NAME type:TYPE default:VALUE, each once)", l->file, l->lineno, tok);
			}
			if (!have_name || !have_type || !have_def)
				return hv_seterr(err, errlen, "%s:%u: a unit mask needs name:, type: and default:",
				    l->file, l->lineno);
		}
	}
	if (r == -1)
		return -1;
	if (m != NULL && mask_close(l, m, mline, err, errlen) == -1)
		return -1;
	return 0;
}

/* ---- events --------------------------------------------------------------- */

/* "0,1,2" into a bit set; "cpuid" (OProfile: any) as 0. */
static int
counters(const char *s, uint32_t *set)
{
	uint64_t x;
	char buf[EVTAB_MAX_LINE + 1], *p, *q;

	*set = 0;
	if (strcmp(s, "cpuid") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (p = buf; p != NULL; p = q) {
		if ((q = strchr(p, ',')) != NULL)
			*q++ = '\0';
		if (number(p, 31, &x) == -1)
			return -1;
		*set |= 1u << x;
	}
	return 0;
}

static int
parse_events(struct evtab *t, struct lex *l, char *err, size_t errlen)
{
	int r;

	while ((r = next_line(l, err, errlen)) == 1) {
		char *s = l->line, *tok;
		struct evtab_event *e;
		bool have_code = false, have_min = false, have_name = false;
		uint64_t x;

		if (is_comment(s))
			continue;
		if (t->nevents == EVTAB_MAX_EVENTS)
			return hv_seterr(err, errlen, "%s:%u: more than %d events", l->file, l->lineno,
			    EVTAB_MAX_EVENTS);
		e = &t->events[t->nevents];
		memset(e, 0, sizeof(*e));
		while (!have_name && (tok = token(&s)) != NULL) {
			if (strncmp(tok, "event:", 6) == 0 && !have_code) {
				if (number(tok + 6, 0xff, &x) == -1)
					return hv_seterr(err, errlen, "%s:%u: event code '%.32s' is not a number "
					    "0..0xff (xenoprof cannot program wider codes)", l->file,
					    l->lineno, tok + 6);
				e->code = (uint32_t)x;
				have_code = true;
			} else if (strncmp(tok, "minimum:", 8) == 0 && !have_min) {
				if (number(tok + 8, 0x7fffffff, &x) == -1 || x == 0)
					return hv_seterr(err, errlen, "%s:%u: minimum '%.32s' is not a number "
					    "1..2^31-1", l->file, l->lineno, tok + 8);
				e->min_count = x;
				have_min = true;
			} else if (strncmp(tok, "um:", 3) == 0 && e->um == NULL) {
				if ((e->um = find_mask(t, tok + 3)) == NULL)
					return hv_seterr(err, errlen, "%s:%u: unit mask '%.32s' is not in "
					    "unit_masks", l->file, l->lineno, tok + 3);
			} else if (strncmp(tok, "counters:", 9) == 0) {
				if (counters(tok + 9, &e->counters) == -1)
					return hv_seterr(err, errlen, "%s:%u: counters '%.32s' is not a list "
					    "of 0..31 or cpuid", l->file, l->lineno, tok + 9);
			} else if (strncmp(tok, "name:", 5) == 0) {
				if (!good_name(tok + 5))
					return hv_seterr(err, errlen, "%s:%u: bad event name '%.32s' (letters, "
					    "digits, '_', '-', '.', at most %d)", l->file, l->lineno, tok + 5,
					    EVTAB_NAME_LEN - 1);
				strcpy(e->name, tok + 5);
				have_name = true;
			} else
				return hv_seterr(err, errlen, "%s:%u: unexpected '%.32s' (expected event:, "
				    "counters:, um:, minimum:, name:)", l->file, l->lineno, tok);
		}
		if (!have_code || !have_min || !have_name)
			return hv_seterr(err, errlen, "%s:%u: an event needs event:, minimum: and name:",
			    l->file, l->lineno);
		s = skip_ws(s);
		if (*s != ':')
			return hv_seterr(err, errlen, "%s:%u: expected ': DESCRIPTION' after the name",
			    l->file, l->lineno);
		s = skip_ws(s + 1);
		rtrim(s);
		if (*s == '\0')
			return hv_seterr(err, errlen, "%s:%u: event %s has no description", l->file,
			    l->lineno, e->name);
		if (strlen(s) >= EVTAB_DESC_LEN)
			return hv_seterr(err, errlen, "%s:%u: description longer than %d characters",
			    l->file, l->lineno, EVTAB_DESC_LEN - 1);
		strcpy(e->desc, s);
		for (uint32_t i = 0; i < t->nevents; i++)
			if (strcasecmp(t->events[i].name, e->name) == 0)
				return hv_seterr(err, errlen, "%s:%u: event %s defined twice", l->file,
				    l->lineno, e->name);
		t->nevents++;
	}
	return r;
}

void
evtab_free(struct evtab *t)
{
	for (uint32_t i = 0; i < t->nmasks; i++)
		free(t->masks[i]);
	free(t->masks);
	free(t->events);
	memset(t, 0, sizeof(*t));
}

int
evtab_parse(struct evtab *t, const char *cpu_type, const char *um, size_t umlen,
    const char *file_um, const char *ev, size_t evlen, const char *file_ev,
    char *err, size_t errlen)
{
	struct lex *l;

	memset(t, 0, sizeof(*t));
	if (cpu_type == NULL || strlen(cpu_type) >= sizeof(t->cpu_type))
		return hv_seterr(err, errlen, "cpu type name too long");
	if (umlen > EVTAB_MAX_FILE || evlen > EVTAB_MAX_FILE)
		return hv_seterr(err, errlen, "%s: larger than %d bytes",
		    umlen > EVTAB_MAX_FILE ? file_um : file_ev, EVTAB_MAX_FILE);
	snprintf(t->cpu_type, sizeof(t->cpu_type), "%s", cpu_type);
	t->masks = calloc(EVTAB_MAX_MASKS, sizeof(*t->masks));
	t->events = calloc(EVTAB_MAX_EVENTS, sizeof(*t->events));
	l = calloc(1, sizeof(*l));
	if (t->masks == NULL || t->events == NULL || l == NULL) {
		free(l);
		evtab_free(t);
		return hv_seterr(err, errlen, "out of memory");
	}
	l->file = file_um;
	l->p = um != NULL ? um : "";
	l->end = l->p + (um != NULL ? umlen : 0);
	if (parse_masks(t, l, err, errlen) == -1)
		goto fail;
	memset(l, 0, sizeof(*l));
	l->file = file_ev;
	l->p = ev != NULL ? ev : "";
	l->end = l->p + (ev != NULL ? evlen : 0);
	if (parse_events(t, l, err, errlen) == -1)
		goto fail;
	free(l);
	if (t->nevents == 0) {
		hv_seterr(err, errlen, "%s: no events", file_ev);
		evtab_free(t);
		return -1;
	}
	return 0;
fail:
	free(l);
	evtab_free(t);
	return -1;
}

/* PATH's contents (at most EVTAB_MAX_FILE bytes) into a new buffer. */
static char *
slurp(const char *path, size_t *len, bool optional, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t n = 0;
	ssize_t r;

	*len = 0;
	if (fd == -1) {
		if (optional && errno == ENOENT)
			return calloc(1, 1);
		hv_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(EVTAB_MAX_FILE + 1)) == NULL) {
		close(fd);
		hv_seterr(err, errlen, "out of memory");
		return NULL;
	}
	while ((r = read(fd, buf + n, EVTAB_MAX_FILE + 1 - n)) > 0 && n + (size_t)r <= EVTAB_MAX_FILE)
		n += (size_t)r;
	close(fd);
	if (r > 0) {
		free(buf);
		hv_seterr(err, errlen, "%s: larger than %d bytes", path, EVTAB_MAX_FILE);
		return NULL;
	}
	if (r < 0) {
		hv_seterr(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int
evtab_load(struct evtab *t, const char *dir, const char *cpu_type, char *err, size_t errlen)
{
	char pum[4200], pev[4200], *um, *ev;
	size_t umlen, evlen;
	int r;

	memset(t, 0, sizeof(*t));
	if (cpu_type == NULL || strstr(cpu_type, "..") != NULL || cpu_type[0] == '/')
		return hv_seterr(err, errlen, "bad cpu type '%.64s'", cpu_type ? cpu_type : "");
	snprintf(pum, sizeof(pum), "%s/%s/unit_masks", dir, cpu_type);
	snprintf(pev, sizeof(pev), "%s/%s/events", dir, cpu_type);
	if ((um = slurp(pum, &umlen, true, err, errlen)) == NULL)
		return -1;
	if ((ev = slurp(pev, &evlen, false, err, errlen)) == NULL) {
		free(um);
		return -1;
	}
	r = evtab_parse(t, cpu_type, um, umlen, pum, ev, evlen, pev, err, errlen);
	free(um);
	free(ev);
	return r;
}

int
evtab_parse_types(const char *text, size_t len, char types[][EVTAB_NAME_LEN], int max,
    char *err, size_t errlen)
{
	struct lex l;
	int n = 0, r;

	memset(&l, 0, sizeof(l));
	l.file = "cpu_types";
	l.p = text;
	l.end = text + len;
	while ((r = next_line(&l, err, errlen)) == 1) {
		char *s = l.line, *tok;
		size_t i;

		if (is_comment(s))
			continue;
		tok = token(&s);
		if (token(&s) != NULL)
			return hv_seterr(err, errlen, "cpu_types:%u: one cpu type a line", l.lineno);
		if (strlen(tok) >= EVTAB_NAME_LEN || strstr(tok, "..") != NULL || tok[0] == '/')
			return hv_seterr(err, errlen, "cpu_types:%u: bad cpu type '%.32s'", l.lineno, tok);
		for (i = 0; tok[i] != '\0'; i++)
			if (!isalnum((unsigned char)tok[i]) && strchr("_-./", tok[i]) == NULL)
				return hv_seterr(err, errlen, "cpu_types:%u: bad cpu type '%.32s'",
				    l.lineno, tok);
		if (n == max)
			return hv_seterr(err, errlen, "cpu_types:%u: more than %d cpu types", l.lineno, max);
		for (int j = 0; j < n; j++)
			if (strcmp(types[j], tok) == 0)
				return hv_seterr(err, errlen, "cpu_types:%u: %s listed twice", l.lineno, tok);
		strcpy(types[n++], tok);
	}
	return r == -1 ? -1 : n;
}

int
evtab_mask_check(const struct evtab_mask *um, const char *event, uint32_t v, char *err,
    size_t errlen)
{
	char allowed[160];
	size_t off = 0;

	if (um == NULL) {
		if (v == 0)
			return 0;
		return hv_seterr(err, errlen, "event '%s' takes no unit mask (got 0x%x); drop it",
		    event, v);
	}
	if (v <= 0xff && mask_allows(um, v))
		return 0;
	allowed[0] = '\0';
	for (uint32_t i = 0; i < um->pub.nvalues && off + 24 < sizeof(allowed); i++)
		off += (size_t)snprintf(allowed + off, sizeof(allowed) - off, "%s0x%02x%s%s",
		    i ? ", " : "", um->values[i].value, um->vname[i][0] ? " " : "", um->vname[i]);
	return hv_seterr(err, errlen, "event '%s': unit mask 0x%x is not valid; %s of: %s "
	    "(xenprof-ctl --list-events shows them)", event, v,
	    um->pub.type == HV_UM_BITMASK ? "use any OR" : "use one", allowed);
}
