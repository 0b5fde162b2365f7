/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session's kallsyms copy: "ADDR TYPE NAME [MODULE]" lines.
 *
 * Invariants after parsing: syms is sorted by (mod, addr); module i's symbols
 * are syms[mod_start[i] .. mod_end[i]); a symbol's extent runs up to the next
 * higher address in the same module (the last symbol of a module gets at
 * most KSYM_LAST_EXTENT bytes).  Absolute and undefined symbols are dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define KSYM_LAST_EXTENT	0x10000

static uint32_t
ksyms_name_add(struct kallsyms *k, const char *s, size_t len)
{
	uint32_t off;

	if (k->names_len + len + 1 > k->names_cap) {
		k->names_cap = (k->names_len + len + 1) * 2 + 4096;
		k->names = xrealloc(k->names, k->names_cap);
	}
	off = (uint32_t)k->names_len;
	memcpy(k->names + off, s, len);
	k->names[off + len] = '\0';
	k->names_len += len + 1;
	return off;
}

static uint32_t
ksyms_mod_intern(struct kallsyms *k, const char *s, size_t len)
{
	/* Modules come in runs in /proc/kallsyms: check the last one first. */
	for (uint32_t i = k->nmods; i-- > 1;)
		if (strlen(k->mods[i]) == len && memcmp(k->mods[i], s, len) == 0)
			return i;
	k->mods = xrealloc(k->mods, (k->nmods + 1) * sizeof(*k->mods));
	k->mods[k->nmods] = xmalloc(len + 1);
	memcpy(k->mods[k->nmods], s, len);
	k->mods[k->nmods][len] = '\0';
	return k->nmods++;
}

static int
ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->mod != y->mod)
		return x->mod < y->mod ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Same address: keep file order (name offsets grow with it). */
	return x->name < y->name ? -1 : x->name > y->name;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

struct kallsyms *
ksyms_parse(const char *text, size_t len)
{
	struct kallsyms *k = xcalloc(1, sizeof(*k));
	size_t cap = 0;
	const char *p = text, *end = text + len;
	int any_nonzero = 0;

	k->mods = xmalloc(sizeof(*k->mods));
	k->mods[0] = NULL;
	k->nmods = 1;

	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		const char *q, *name, *ne;
		uint64_t addr = 0;
		int ndig = 0, h;
		char type;
		uint32_t mod = 0;

		if (eol == NULL)
			eol = end;
		q = p;
		while (q < eol && (h = hexval((unsigned char)*q)) >= 0 && ndig < 16) {
			addr = addr << 4 | (uint64_t)h;
			q++, ndig++;
		}
		if (ndig == 0 || q >= eol || *q != ' ')
			goto next;
		q++;
		if (q >= eol)
			goto next;
		type = *q++;
		if (q >= eol || (*q != ' ' && *q != '\t'))
			goto next;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		name = q;
		while (q < eol && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		ne = q;
		if (ne == name)
			goto next;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (q < eol && *q == '[') {
			const char *ms = q + 1, *me = memchr(ms, ']', eol - ms);
			if (me != NULL && me > ms)
				mod = ksyms_mod_intern(k, ms, me - ms);
		}
		if (type == 'a' || type == 'A' || type == 'U' || type == 'u')
			goto next;
		if (k->nsyms == cap) {
			cap = cap ? cap * 2 : 4096;
			k->syms = xrealloc(k->syms, cap * sizeof(*k->syms));
		}
		k->syms[k->nsyms].addr = addr;
		k->syms[k->nsyms].mod = mod;
		k->syms[k->nsyms].name = ksyms_name_add(k, name, ne - name);
		k->nsyms++;
		if (addr != 0)
			any_nonzero = 1;
next:
		p = eol + 1;
	}
	k->all_zero = k->nsyms > 0 && !any_nonzero;
	if (k->nsyms > 0)
		qsort(k->syms, k->nsyms, sizeof(*k->syms), ksym_cmp);
	k->mod_start = xcalloc(k->nmods, sizeof(size_t));
	k->mod_end = xcalloc(k->nmods, sizeof(size_t));
	for (size_t i = 0; i < k->nsyms; i++) {
		uint32_t m = k->syms[i].mod;
		if (i == 0 || k->syms[i - 1].mod != m)
			k->mod_start[m] = i;
		k->mod_end[m] = i + 1;
	}
	return k;
}

struct kallsyms *
ksyms_load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	struct kallsyms *k;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		free(buf);
		errno = e ? e : EIO;
		return NULL;
	}
	fclose(f);
	k = ksyms_parse(buf, len);
	free(buf);
	return k;
}

void
ksyms_free(struct kallsyms *k)
{
	if (k == NULL)
		return;
	for (uint32_t i = 1; i < k->nmods; i++)
		free(k->mods[i]);
	free(k->mods);
	free(k->mod_start);
	free(k->mod_end);
	free(k->syms);
	free(k->names);
	free(k);
}

int
ksyms_module(const struct kallsyms *k, const char *mod)
{
	if (mod == NULL || *mod == '\0')
		return 0;
	for (uint32_t i = 1; i < k->nmods; i++)
		if (strcmp(k->mods[i], mod) == 0)
			return (int)i;
	return -1;
}

const char *
ksyms_lookup(const struct kallsyms *k, uint32_t mod, uint64_t addr,
	     uint64_t *start, uint64_t *end)
{
	size_t lo, hi, first, last;
	const struct ksym *s;
	uint64_t ext;

	if (mod >= k->nmods || k->all_zero)
		return NULL;
	first = k->mod_start[mod];
	last = k->mod_end[mod];
	if (first >= last)
		return NULL;
	/* Find the last symbol with s->addr <= addr in [first, last). */
	lo = first;
	hi = last;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == first)
		return NULL;
	s = &k->syms[lo - 1];
	/* Several names at one address: take the first of them (stable for output). */
	while (s > &k->syms[first] && (s - 1)->addr == s->addr)
		s--;
	/* Extent: up to the next higher address in the module. */
	size_t j = lo;
	while (j < last && k->syms[j].addr == s->addr)
		j++;
	ext = j < last ? k->syms[j].addr : s->addr + KSYM_LAST_EXTENT;
	if (ext < s->addr)		/* wrapped at the top of the address space */
		ext = UINT64_MAX;
	if (addr >= ext)
		return NULL;
	if (start)
		*start = s->addr;
	if (end)
		*end = ext;
	return k->names + s->name;
}
