/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Profile specifications: "tag:value[,value...]" words on the command line
 * that narrow what the report reads (opreport's profile specs, plus domain:).
 *
 * spec_add only checks syntax (known tag, non-empty values, numbers where
 * numbers are due); whether a value names something that exists is decided
 * in aggregate.c once the sessions are open, where the error can list what
 * does exist.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

struct spec *
spec_new(void)
{
	return xcalloc(1, sizeof(struct spec));
}

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
spec_free(struct spec *s)
{
	if (s == NULL)
		return;
	strlist_free(&s->sessions);
	strlist_free(&s->images);
	strlist_free(&s->events);
	strlist_free(&s->domains);
	strlist_free(&s->tids);
	strlist_free(&s->tgids);
	strlist_free(&s->cpus);
	strlist_free(&s->sessions_x);
	strlist_free(&s->images_x);
	strlist_free(&s->lib_images);
	strlist_free(&s->counts);
	strlist_free(&s->unit_masks);
	strlist_free(&s->archives);
	free(s);
}

static void
strlist_push(struct strlist *l, const char *v, size_t len)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n] = xmalloc(len + 1);
	memcpy(l->v[l->n], v, len);
	l->v[l->n][len] = '\0';
	l->n++;
}

/* A decimal uint32 (XPS_NONE itself excluded: it means "not recorded"). */
static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= XPS_NONE)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

enum vcheck { V_ANY, V_NUM, V_SESSION, V_NUM64, V_MASK };

/* A decimal uint64 (count:). */
static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* A unit mask: 0xHEX or decimal, up to 32 bits. */
static int
parse_mask(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > 0xffffffffULL)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static const struct spec_tag {
	const char     *tag;
	size_t		off;		/* offsetof the strlist in struct spec */
	enum vcheck	check;
} spec_tags[] = {
	{ "session",	offsetof(struct spec, sessions),	V_SESSION },
	{ "image",	offsetof(struct spec, images),		V_ANY },
	{ "event",	offsetof(struct spec, events),		V_ANY },
	{ "domain",	offsetof(struct spec, domains),		V_ANY },
	{ "tid",	offsetof(struct spec, tids),		V_NUM },
	{ "tgid",	offsetof(struct spec, tgids),		V_NUM },
	{ "cpu",	offsetof(struct spec, cpus),		V_NUM },
	{ "session-exclude", offsetof(struct spec, sessions_x),	V_SESSION },
	{ "image-exclude", offsetof(struct spec, images_x),	V_ANY },
	{ "lib-image",	offsetof(struct spec, lib_images),	V_ANY },
	{ "count",	offsetof(struct spec, counts),		V_NUM64 },
	{ "unit-mask",	offsetof(struct spec, unit_masks),	V_MASK },
	{ "archive",	offsetof(struct spec, archives),	V_ANY },
};
#define NTAGS	(sizeof(spec_tags) / sizeof(spec_tags[0]))

/* Session names follow xps_name_valid(), plus "current". */
static int
session_name_ok(const char *v)
{
	if (strcmp(v, "current") == 0)
		return 1;
	if (*v == '\0' || *v == '.' || strlen(v) > 64)
		return 0;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return 0;
	return 1;
}

int
spec_add(struct spec *s, const char *word, char *err, size_t errlen)
{
	const char *colon = strchr(word, ':');
	const struct spec_tag *t = NULL;
	const char *val;

	if (colon == NULL) {
		/* A bare word is an image, as in opreport. */
		t = &spec_tags[1];
		val = word;
	} else {
		size_t tl = colon - word;

		for (size_t i = 0; i < NTAGS; i++)
			if (strlen(spec_tags[i].tag) == tl &&
			    strncmp(spec_tags[i].tag, word, tl) == 0)
				t = &spec_tags[i];
		if (t == NULL) {
			/* A path with a colon in it would land here: allow "/..." as image. */
			if (word[0] == '/') {
				t = &spec_tags[1];
				val = word;
				goto values;
			}
			snprintf(err, errlen, "unknown profile specification '%.*s:'; known: "
				 "session: session-exclude: image: image-exclude: lib-image: event: "
				 "count: unit-mask: domain: tid: tgid: cpu: archive:",
				 (int)(tl > 64 ? 64 : tl), word);
			return -1;
		}
		val = colon + 1;
	}
values:
	if (*val == '\0') {
		snprintf(err, errlen, "profile specification '%s:' has no value", t->tag);
		return -1;
	}
	struct strlist *l = (struct strlist *)((char *)s + t->off);
	const char *p = val;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char buf[XPS_PATH_MAX];
		uint32_t num;

		if (len == 0 || len >= sizeof(buf)) {
			snprintf(err, errlen, "profile specification '%s:%.200s': %s value",
				 t->tag, val, len == 0 ? "empty" : "too long a");
			return -1;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (t->check == V_NUM && parse_u32(buf, &num) != 0) {
			snprintf(err, errlen, "profile specification '%s:': '%.64s' is not a number",
				 t->tag, buf);
			return -1;
		}
		uint64_t n64;
		if (t->check == V_NUM64 && parse_u64(buf, &n64) != 0) {
			snprintf(err, errlen, "profile specification '%s:': '%.64s' is not a number",
				 t->tag, buf);
			return -1;
		}
		if (t->check == V_MASK && parse_mask(buf, &num) != 0) {
			snprintf(err, errlen, "profile specification '%s:': '%.64s' is not a unit "
				 "mask (0xNN or decimal)", t->tag, buf);
			return -1;
		}
		if (t->off == offsetof(struct spec, archives) && (l->n > 0 || comma != NULL)) {
			snprintf(err, errlen, "profile specification 'archive:': one archive only");
			return -1;
		}
		if (t->check == V_SESSION && !session_name_ok(buf)) {
			snprintf(err, errlen, "profile specification 'session:': '%.64s' is not "
				 "a valid session name ([A-Za-z0-9._-], not starting with '.')", buf);
			return -1;
		}
		strlist_push(l, buf, len);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

int
spec_num_match(const struct strlist *l, uint32_t v)
{
	if (l->n == 0)
		return 1;
	for (size_t i = 0; i < l->n; i++)
		if (strtoul(l->v[i], NULL, 10) == v)
			return 1;
	return 0;
}

/* One image: pattern against a path: full path, basename or glob. */
static int
image_pat_match(const char *pat, const char *path)
{
	const char *base;

	if (path == NULL)
		return 0;
	if (strcmp(pat, path) == 0)
		return 1;
	base = out_basename(path);
	if (strcmp(pat, base) == 0)
		return 1;
	if (strpbrk(pat, "*?[") != NULL) {
		if (fnmatch(pat, path, 0) == 0)
			return 1;
		if (strchr(pat, '/') == NULL && fnmatch(pat, base, 0) == 0)
			return 1;
	}
	return 0;
}

int
spec_image_match(const struct spec *s, const char *path, const char *shown)
{
	if (s->images.n == 0)
		return 1;
	for (size_t i = 0; i < s->images.n; i++)
		if (image_pat_match(s->images.v[i], path) ||
		    (shown != NULL && image_pat_match(s->images.v[i], shown)))
			return 1;
	return 0;
}

int
spec_domain_match(const struct spec *s, uint32_t domid, const char *name)
{
	uint32_t id;

	if (s->domains.n == 0)
		return 1;
	for (size_t i = 0; i < s->domains.n; i++) {
		const char *d = s->domains.v[i];
		if (parse_u32(d, &id) == 0 ? id == domid :
		    (name != NULL && strcmp(d, name) == 0))
			return 1;
	}
	return 0;
}

int
spec_event_match(const struct spec *s, const char *name)
{
	if (s->events.n == 0)
		return 1;
	for (size_t i = 0; i < s->events.n; i++)
		if (strcmp(s->events.v[i], name) == 0)
			return 1;
	return 0;
}

int
spec_event_full_match(const struct spec *s, const char *name, uint64_t count, uint32_t um)
{
	int ok = spec_event_match(s, name);

	if (ok && s->counts.n) {
		ok = 0;
		for (size_t i = 0; i < s->counts.n; i++)
			ok |= strtoull(s->counts.v[i], NULL, 10) == count;
	}
	if (ok && s->unit_masks.n) {
		ok = 0;
		for (size_t i = 0; i < s->unit_masks.n; i++)
			ok |= (uint32_t)strtoull(s->unit_masks.v[i], NULL, 0) == um;
	}
	return ok;
}

static int
list_match(const struct strlist *l, const char *path, const char *shown)
{
	for (size_t i = 0; i < l->n; i++)
		if (image_pat_match(l->v[i], path) ||
		    (shown != NULL && image_pat_match(l->v[i], shown)))
			return 1;
	return 0;
}

/*
 * opreport's semantics: image: names applications (an image matches itself,
 * and a dependent image matches through its application); lib-image: names
 * the dependent images themselves; image-exclude: removes images.
 */
int
spec_image_select(const struct spec *s, const char *path, const char *shown,
		  const char *app, int is_dependent)
{
	if (s->images_x.n && list_match(&s->images_x, path, shown))
		return 0;
	if (s->lib_images.n) {
		if (!is_dependent || !list_match(&s->lib_images, path, shown))
			return 0;
		return s->images.n == 0 || list_match(&s->images, app, NULL);
	}
	if (s->images.n == 0)
		return 1;
	return list_match(&s->images, path, shown) ||
	    (is_dependent && app != NULL && list_match(&s->images, app, NULL));
}

static void
strlist_copy(struct strlist *dst, const struct strlist *src)
{
	for (size_t i = 0; src && i < src->n; i++)
		strlist_push(dst, src->v[i], strlen(src->v[i]));
}

struct spec *
spec_merge(const struct spec *a, const struct spec *b)
{
	struct spec *m = spec_new();

	for (size_t t = 0; t < NTAGS; t++) {
		struct strlist *d = (struct strlist *)((char *)m + spec_tags[t].off);
		strlist_copy(d, (const struct strlist *)((const char *)a + spec_tags[t].off));
		if (b != NULL)
			strlist_copy(d, (const struct strlist *)((const char *)b + spec_tags[t].off));
	}
	return m;
}

int
spec_empty(const struct spec *s)
{
	for (size_t t = 0; t < NTAGS; t++)
		if (((const struct strlist *)((const char *)s + spec_tags[t].off))->n)
			return 0;
	return 1;
}
