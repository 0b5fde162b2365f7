/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * event.c: the --event syntax, NAME:COUNT[:UNITMASK[:KERNEL[:USER]]].
 * Syntax only; which names and counts a machine accepts is the backend's
 * business (hv_open).  Every error is one line naming the bad part and
 * ending with the expected form.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hv/hvP.h"

#define HV_SPEC_MAX	255	/* longest spec accepted, bytes */
#define HV_SPEC_FORM	"(expected NAME:COUNT[:UNITMASK[:KERNEL[:USER]]])"
#define HV_FIELD_MAX	5

/* Digits only (BASE 10 or 16), no sign, no space; value into *V, 0 or -1 on overflow/junk. */
static int
hv_parse_u64(const char *s, unsigned base, uint64_t *v)
{
	uint64_t x = 0;
	unsigned d;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (x > (UINT64_MAX - d) / base)
			return -1;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

/* SPEC as it may appear in a one-line message: printable, at most 64 chars. */
static void
hv_spec_shown(const char *spec, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; spec[i] != '\0' && i + 1 < outlen; i++)
		out[i] = isprint((unsigned char)spec[i]) ? spec[i] : '?';
	out[i] = '\0';
	if (spec[i] != '\0' && i >= 3)
		memcpy(out + i - 3, "...", 3);
}

static int
hv_parse_bool(const char *s, bool *b)
{
	if (strcmp(s, "0") == 0)
		*b = false;
	else if (strcmp(s, "1") == 0)
		*b = true;
	else
		return -1;
	return 0;
}

int
hv_event_parse(const char *spec, struct hv_event *ev, char *err, size_t errlen)
{
	static const char *const what[HV_FIELD_MAX] = {
		"name", "count", "unit mask", "KERNEL flag", "USER flag",
	};
	char buf[HV_SPEC_MAX + 1], *field[HV_FIELD_MAX], *p, shown[68];
	size_t len, i, nf;
	uint64_t v;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (spec == NULL || spec[0] == '\0')
		return hv_seterr(err, errlen, "event spec is empty " HV_SPEC_FORM);
	hv_spec_shown(spec, shown, sizeof(shown));
	len = strnlen(spec, HV_SPEC_MAX + 1);
	if (len > HV_SPEC_MAX)
		return hv_seterr(err, errlen, "event spec '%s' is longer than %d "
		    "characters " HV_SPEC_FORM, shown, HV_SPEC_MAX);
	/* Work on a copy whose unprintable bytes are '?', so fields echo safely. */
	for (i = 0; i <= len; i++)
		buf[i] = spec[i] == '\0' || isprint((unsigned char)spec[i]) ? spec[i] : '?';

	/* Split on ':' into at most HV_FIELD_MAX fields. */
	nf = 0;
	for (p = buf;;) {
		if (nf == HV_FIELD_MAX)
			return hv_seterr(err, errlen, "event spec '%s': more than %d "
			    "fields " HV_SPEC_FORM, shown, HV_FIELD_MAX);
		field[nf++] = p;
		if ((p = strchr(p, ':')) == NULL)
			break;
		*p++ = '\0';
	}
	for (i = 0; i < nf; i++)
		if (field[i][0] == '\0')
			return hv_seterr(err, errlen, "event spec '%s': %s is empty "
			    HV_SPEC_FORM, shown, what[i]);

	memset(ev, 0, sizeof(*ev));
	ev->kernel = ev->user = true;

	/* NAME: letters, digits, '_', '-', '.'; fits ev->name. */
	if (strlen(field[0]) >= sizeof(ev->name))
		return hv_seterr(err, errlen, "event spec '%s': name is longer than %zu "
		    "characters " HV_SPEC_FORM, shown, sizeof(ev->name) - 1);
	for (p = field[0]; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return hv_seterr(err, errlen, "event spec '%s': name '%.32s' has "
			    "character '%c' (use letters, digits, '_', '-', '.') "
			    HV_SPEC_FORM, shown, field[0], *p);
	strcpy(ev->name, field[0]);

	/* COUNT: mandatory, decimal, > 0. */
	if (nf < 2)
		return hv_seterr(err, errlen, "event spec '%s': count is missing "
		    HV_SPEC_FORM, shown);
	if (hv_parse_u64(field[1], 10, &v) < 0)
		return hv_seterr(err, errlen, "event spec '%s': count '%.32s' is not a "
		    "decimal number " HV_SPEC_FORM, shown, field[1]);
	if (v == 0)
		return hv_seterr(err, errlen, "event spec '%s': count must be greater "
		    "than 0 " HV_SPEC_FORM, shown);
	ev->count = v;

	/* UNITMASK: decimal or 0x hex, 32 bits. */
	if (nf >= 3) {
		p = field[2];
		if ((p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ?
		    hv_parse_u64(p + 2, 16, &v) : hv_parse_u64(p, 10, &v)) < 0 ||
		    v > UINT32_MAX)
			return hv_seterr(err, errlen, "event spec '%s': unit mask '%.32s' is "
			    "not a 32-bit decimal or 0x hex number " HV_SPEC_FORM,
			    shown, field[2]);
		ev->unit_mask = (uint32_t)v;
		ev->unit_mask_set = true;
	}
	if (nf >= 4 && hv_parse_bool(field[3], &ev->kernel) < 0)
		return hv_seterr(err, errlen, "event spec '%s': KERNEL '%.32s' must be 0 "
		    "or 1 " HV_SPEC_FORM, shown, field[3]);
	if (nf >= 5 && hv_parse_bool(field[4], &ev->user) < 0)
		return hv_seterr(err, errlen, "event spec '%s': USER '%.32s' must be 0 "
		    "or 1 " HV_SPEC_FORM, shown, field[4]);
	if (!ev->kernel && !ev->user)
		return hv_seterr(err, errlen, "event spec '%s': KERNEL and USER are both "
		    "0, so nothing would be sampled; set one of them to 1 " HV_SPEC_FORM,
		    shown);
	return 0;
}
