/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strpool.c: the report's interned strings.
 *
 * The pool is opaque: callers hold ids (stable) or the strings themselves
 * (each is its own allocation, never moved, valid until strpool_free), and
 * never a pointer into the pool's tables, which move when the pool grows.
 * Reading a table slot around a call that interns (the old
 * "pool.s[pool_intern(...)]", whose array could be reallocated by the call
 * after it was read) cannot be written against this API.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

struct strpool {
	char	      **s;		/* s[id], each malloc'd */
	size_t		n, cap;
	uint32_t       *tab;		/* open addressing: id + 1, 0 = empty */
	size_t		tabsz;		/* power of 2, > 2 n */
};

static uint64_t
strpool_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

struct strpool *
strpool_new(void)
{
	return xcalloc(1, sizeof(struct strpool));
}

void
strpool_free(struct strpool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i]);
	free(p->s);
	free(p->tab);
	free(p);
}

uint32_t
strpool_id(struct strpool *p, const char *str)
{
	size_t i;

	if (p->n * 2 >= p->tabsz) {
		size_t nsz = p->tabsz ? p->tabsz * 2 : 1024;
		uint32_t *nt = xcalloc(nsz, sizeof(*nt));

		for (size_t k = 0; k < p->n; k++) {
			for (i = strpool_hash(p->s[k]) & (nsz - 1); nt[i]; i = (i + 1) & (nsz - 1))
				;
			nt[i] = (uint32_t)k + 1;
		}
		free(p->tab);
		p->tab = nt;
		p->tabsz = nsz;
	}
	for (i = strpool_hash(str) & (p->tabsz - 1); p->tab[i]; i = (i + 1) & (p->tabsz - 1))
		if (strcmp(p->s[p->tab[i] - 1], str) == 0)
			return p->tab[i] - 1;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->s = xrealloc(p->s, p->cap * sizeof(*p->s));
	}
	p->s[p->n] = xstrdup(str);
	p->tab[i] = (uint32_t)p->n + 1;
	return (uint32_t)p->n++;
}

const char *
strpool_str(const struct strpool *p, uint32_t id)
{
	return id < p->n ? p->s[id] : NULL;
}

const char *
strpool_intern(struct strpool *p, const char *str)
{
	uint32_t id = strpool_id(p, str);

	return p->s[id];
}

size_t
strpool_count(const struct strpool *p)
{
	return p->n;
}
