/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In-memory profile: the aggregation the daemon does for every sample.
 *
 * Records live twice: in a dense array (recs, what xps_profile_records()
 * returns and what the writer walks) and in an open-addressing table (tab,
 * linear probing) whose entries are records themselves, so that adding to an
 * existing key touches one place in memory instead of a slot and then a
 * record.  A table entry's key padding, zero in every key outside the table,
 * holds ENT_USED (0 = empty entry), ENT_DIRTY and the record's index in recs.
 *
 * A new key is written to both.  Adding to an existing key updates only the
 * table's count; the first such update since the last sync sets ENT_DIRTY and
 * appends the entry to the dirty list.  sync_counts() copies the dirty counts
 * into recs: xps_profile_records() calls it (so the dense array is exact when
 * returned, at a cost proportional to the keys touched since the previous
 * call) and so does growth, which rebuilds the table from recs.
 *
 * The table has a power-of-two size and is kept below 70% full, so
 * xps_profile_add() is O(1) expected and allocates only when it grows.
 * Records are never removed.
 *
 * Images and chains are interned the same way with smaller tables of
 * (index + 1).  Losses are few (cpus x kinds) and searched linearly.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libsamples/samplesP.h"

_Static_assert(sizeof(struct xps_key) == 40, "xps_key must be 40 bytes");
_Static_assert(sizeof(struct xps_record) == 48, "xps_record must be 48 bytes");
_Static_assert(sizeof(struct xps_frame) == 16, "xps_frame must be 16 bytes");

#define REC_SLOTS_MIN	1024
#define HUGE_SIZE	((size_t)2 << 20)	/* x86-64 / arm64 huge page */
#define ITAB_MIN	64
#define MAX_RECORDS	(UINT32_MAX - 1)	/* index + 1 must fit 32 bits */
#define MAX_INTERNED	(INT32_MAX - 1)		/* image index is returned as int */

/* An interning table: slots hold index + 1, 0 = empty. */
struct itab {
	uint32_t       *slots;	/* owned */
	uint32_t	mask;
	uint32_t	used;
};

/* Flags in a table entry's key.pad[ENT_FLAGS]; its index is at pad[ENT_IDX]. */
#define ENT_FLAGS	0
#define ENT_IDX		2
#define ENT_USED	1
#define ENT_DIRTY	2

struct xps_profile {
	uint32_t		domid;
	char		       *name;		/* owned, never NULL */

	struct xps_record      *recs;		/* owned, dense, nrecs valid; counts
						   of dirty entries are stale */
	size_t			nrecs;
	size_t			caprecs;
	struct xps_record      *tab;		/* owned, mask + 1 entries */
	size_t			mask;
	size_t			grow_at;	/* grow tab when nrecs reaches it */
	uint32_t	       *dirty;		/* owned, grow_at entries: indices
						   in tab of the ENT_DIRTY entries */
	size_t			ndirty;
	uint64_t		total;

	struct xps_image       *images;		/* owned, each path owned */
	uint32_t		nimages;
	uint32_t		capimages;
	struct itab		img_tab;

	struct xps_frame       *frames;		/* owned, all chains back to back */
	uint64_t		nframes;
	uint64_t		capframes;
	uint64_t	       *chain_start;	/* owned, first frame of chain id-1 */
	uint32_t	       *chain_len;	/* owned */
	uint32_t		nchains;
	uint32_t		capchains;
	struct itab		chain_tab;

	struct xps_loss	       *losses;		/* owned */
	uint32_t		nlosses;
	uint32_t		caplosses;
	uint64_t		lost_total;
};

/* ===================================================================== */
/* Hashing                                                                */

static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 32;
	h *= UINT64_C(0xd6e8feb86659fd93);
	h ^= h >> 32;
	h *= UINT64_C(0xd6e8feb86659fd93);
	h ^= h >> 32;
	return h;
}

/* The key as five words; the multiplies are independent and pipeline. */
static inline uint64_t
words_hash(const uint64_t w[5])
{
	return mix64(w[0] * UINT64_C(0x9e3779b97f4a7c15) +
	    w[1] * UINT64_C(0xc2b2ae3d27d4eb4f) +
	    w[2] * UINT64_C(0x165667b19e3779f9) +
	    w[3] * UINT64_C(0x27d4eb2f165667c5) +
	    w[4] * UINT64_C(0xff51afd7ed558ccd));
}

static inline uint64_t
key_hash(const struct xps_key *k)
{
	uint64_t w[5];

	memcpy(w, k, sizeof w);
	return words_hash(w);
}

/*
 * A key's last word: event, mode and pad.  The bits of it that hold
 * event and mode, and the bit that holds ENT_USED (byte order neutral;
 * constants once inlined).
 */
static inline uint64_t
w4_bits(uint8_t event, uint8_t mode, uint8_t flags)
{
	struct xps_key m;
	uint64_t w;

	memset(&m, 0, sizeof m);
	m.event = event;
	m.mode = mode;
	m.pad[ENT_FLAGS] = flags;
	memcpy(&w, (const char *)&m + 32, sizeof w);
	return w;
}

#define W4_KEY		w4_bits(0xff, 0xff, 0)
#define W4_USED		w4_bits(0, 0, ENT_USED)

static inline uint32_t
ent_index(const struct xps_record *e)
{
	uint32_t i;

	memcpy(&i, &e->key.pad[ENT_IDX], sizeof i);
	return i;
}

/* Fill table entry E with record R, which is recs[I]. */
static inline void
ent_set(struct xps_record *e, const struct xps_record *r, uint32_t i)
{
	*e = *r;
	e->key.pad[ENT_FLAGS] = ENT_USED;
	memcpy(&e->key.pad[ENT_IDX], &i, sizeof i);
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#define FNV_INIT	UINT64_C(0xcbf29ce484222325)

static uint64_t
image_hash(const struct xps_image *img)
{
	uint64_t h = FNV_INIT;

	h = fnv(h, &img->kind, 1);
	h = fnv(h, &img->build_id_len, 1);
	h = fnv(h, img->build_id, img->build_id_len);
	h = fnv(h, img->path, strlen(img->path));
	return mix64(h);
}

static uint64_t
frames_hash(const struct xps_frame *f, uint32_t n)
{
	uint64_t h = FNV_INIT;

	for (uint32_t i = 0; i < n; i++)
		h = mix64(h ^ (f[i].offset + ((uint64_t)f[i].image << 48 |
		    f[i].image)) ^ i);
	return mix64(h + n);
}

/* ===================================================================== */
/* Interning tables                                                       */

static int
itab_init(struct itab *t)
{
	t->slots = calloc(ITAB_MIN, sizeof *t->slots);
	t->mask = ITAB_MIN - 1;
	t->used = 0;
	return t->slots != NULL ? 0 : -1;
}

/* Rebuild T twice as large; HASHF(ctx, index) gives each entry's hash. */
static int
itab_grow(struct itab *t, uint64_t (*hashf)(const struct xps_profile *, uint32_t),
    const struct xps_profile *p)
{
	uint32_t nmask = t->mask * 2 + 1;
	uint32_t *ns;

	if (t->mask >= UINT32_MAX / 2)
		return -1;
	ns = calloc((size_t)nmask + 1, sizeof *ns);
	if (ns == NULL)
		return -1;
	for (uint32_t i = 0; i < t->used; i++) {
		uint32_t j = (uint32_t)hashf(p, i) & nmask;

		while (ns[j] != 0)
			j = (j + 1) & nmask;
		ns[j] = i + 1;
	}
	free(t->slots);
	t->slots = ns;
	t->mask = nmask;
	return 0;
}

static uint64_t
image_hash_at(const struct xps_profile *p, uint32_t i)
{
	return image_hash(&p->images[i]);
}

static uint64_t
chain_hash_at(const struct xps_profile *p, uint32_t i)
{
	return frames_hash(p->frames + p->chain_start[i], p->chain_len[i]);
}

/*
 * Ask for transparent huge pages on a large table: with 4 KiB pages a random
 * probe into a table of several MiB costs a TLB miss on top of a cache miss.
 * Advisory only; failure is ignored.
 */
static void
advise_huge(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = HUGE_SIZE;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t e = ((uintptr_t)p + len) & ~(huge - 1);

	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#endif
}

/* ===================================================================== */
/* Life cycle                                                             */

/* Copy the counts of the dirty table entries into recs. */
static void
sync_counts(struct xps_profile *p)
{
	for (size_t d = 0; d < p->ndirty; d++) {
		struct xps_record *e = &p->tab[p->dirty[d]];

		p->recs[ent_index(e)].count = e->count;
		e->key.pad[ENT_FLAGS] = ENT_USED;
	}
	p->ndirty = 0;
}

/* Replace the table by one of NSLOTS entries built from recs. */
static int
rec_table_alloc(struct xps_profile *p, size_t nslots)
{
	size_t bytes = nslots * sizeof(struct xps_record);
	size_t grow_at = nslots / 10 * 7;
	struct xps_record *nt;
	uint32_t *nd;

	/* Entry indices are 32 bits (in the dirty list). */
	if (nslots - 1 > UINT32_MAX || bytes / sizeof *nt != nslots)
		return -1;
	/* Large tables are 2 MiB aligned so all of them can be huge pages. */
	if (bytes >= HUGE_SIZE) {
		size_t abytes = (bytes + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);

		nt = aligned_alloc(HUGE_SIZE, abytes);
		if (nt != NULL) {
			advise_huge(nt, abytes);
			memset(nt, 0, bytes);
		}
	} else
		nt = calloc(nslots, sizeof *nt);
	nd = malloc((grow_at != 0 ? grow_at : 1) * sizeof *nd);
	if (nt == NULL || nd == NULL) {
		free(nt);
		free(nd);
		return -1;
	}
	sync_counts(p);
	free(p->tab);
	free(p->dirty);
	p->tab = nt;
	p->dirty = nd;
	p->mask = nslots - 1;
	p->grow_at = grow_at;
	for (size_t i = 0; i < p->nrecs; i++) {
		size_t j = key_hash(&p->recs[i].key) & p->mask;

		while (nt[j].key.pad[ENT_FLAGS] != 0)
			j = (j + 1) & p->mask;
		ent_set(&nt[j], &p->recs[i], (uint32_t)i);
	}
	return 0;
}

struct xps_profile *
xps_profile_new(uint32_t domid, const char *name)
{
	struct xps_profile *p = calloc(1, sizeof *p);

	if (p == NULL)
		goto nomem;
	p->domid = domid;
	/* Names are display names; the file holds at most XPS_NAME_MAX - 1 bytes. */
	p->name = strndup(name != NULL ? name : "", XPS_NAME_MAX - 1);
	if (p->name == NULL || rec_table_alloc(p, REC_SLOTS_MIN) < 0 ||
	    itab_init(&p->img_tab) < 0 || itab_init(&p->chain_tab) < 0)
		goto nomem;
	return p;
nomem:
	xps_profile_free(p);
	xps_seterr("dom%u: out of memory", domid);
	return NULL;
}

void
xps_profile_free(struct xps_profile *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->nimages; i++)
		free(p->images[i].path);
	free(p->images);
	free(p->img_tab.slots);
	free(p->recs);
	free(p->tab);
	free(p->dirty);
	free(p->frames);
	free(p->chain_start);
	free(p->chain_len);
	free(p->chain_tab.slots);
	free(p->losses);
	free(p->name);
	free(p);
}

uint32_t
xps_profile_domid(const struct xps_profile *p)
{
	return p->domid;
}

const char *
xps_profile_name(const struct xps_profile *p)
{
	return p->name;
}

/* Grow *ARR (of SIZE-byte elements, capacity *CAP) to hold at least NEED. */
static int
grow_array(void **arr, size_t size, uint64_t *cap, uint64_t need)
{
	uint64_t ncap = *cap != 0 ? *cap : 16;
	void *na;

	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return -1;
	na = realloc(*arr, ncap * size);
	if (na == NULL)
		return -1;
	*arr = na;
	*cap = ncap;
	return 0;
}

/* ===================================================================== */
/* Images                                                                 */

static int
image_eq(const struct xps_image *a, const struct xps_image *b)
{
	return a->kind == b->kind && a->build_id_len == b->build_id_len &&
	    memcmp(a->build_id, b->build_id, a->build_id_len) == 0 &&
	    strcmp(a->path, b->path) == 0;
}

int
xps_profile_image(struct xps_profile *p, const struct xps_image *img)
{
	struct xps_image *ni;
	uint64_t h, cap;
	uint32_t j;

	if (img == NULL || img->path == NULL) {
		xps_seterr("dom%u: image without a path", p->domid);
		return -1;
	}
	if (img->kind > XPS_IMG_ANON) {
		xps_seterr("dom%u: %s: bad image kind %u", p->domid, img->path,
		    img->kind);
		return -1;
	}
	if (img->build_id_len > XPS_BUILD_ID_MAX) {
		xps_seterr("dom%u: %s: build-id too long (%u bytes)", p->domid,
		    img->path, img->build_id_len);
		return -1;
	}
	if (strnlen(img->path, XPS_PATH_MAX) >= XPS_PATH_MAX) {
		xps_seterr("dom%u: image path too long (%d bytes or more)",
		    p->domid, XPS_PATH_MAX);
		return -1;
	}
	h = image_hash(img);
	for (j = (uint32_t)h & p->img_tab.mask; p->img_tab.slots[j] != 0;
	    j = (j + 1) & p->img_tab.mask) {
		uint32_t idx = p->img_tab.slots[j] - 1;

		if (image_eq(&p->images[idx], img))
			return (int)idx;
	}
	if (p->nimages >= MAX_INTERNED) {
		xps_seterr("dom%u: too many images", p->domid);
		return -1;
	}
	cap = p->capimages;
	if (p->nimages == cap) {
		if (grow_array((void **)&p->images, sizeof *p->images, &cap,
		    (uint64_t)p->nimages + 1) < 0)
			goto nomem;
		p->capimages = (uint32_t)cap;
	}
	ni = &p->images[p->nimages];
	memset(ni, 0, sizeof *ni);
	ni->path = strdup(img->path);
	if (ni->path == NULL)
		goto nomem;
	ni->kind = img->kind;
	ni->build_id_len = img->build_id_len;
	memcpy(ni->build_id, img->build_id, img->build_id_len);
	p->img_tab.slots[j] = ++p->nimages;
	p->img_tab.used = p->nimages;
	if ((uint64_t)p->nimages * 10 >= (uint64_t)(p->img_tab.mask + 1) * 7 &&
	    itab_grow(&p->img_tab, image_hash_at, p) < 0) {
		/* Keep the table consistent: undo the insertion. */
		p->img_tab.slots[j] = 0;
		p->img_tab.used = --p->nimages;
		free(ni->path);
		goto nomem;
	}
	return (int)(p->nimages - 1);
nomem:
	xps_seterr("dom%u: out of memory interning image %s", p->domid, img->path);
	return -1;
}

uint32_t
xps_profile_nimages(const struct xps_profile *p)
{
	return p->nimages;
}

const struct xps_image *
xps_profile_image_at(const struct xps_profile *p, uint32_t index)
{
	return index < p->nimages ? &p->images[index] : NULL;
}

/* ===================================================================== */
/* Records                                                                */

int
xps_profile_reserve(struct xps_profile *p, size_t n)
{
	size_t nslots = p->mask + 1;
	uint64_t cap = p->caprecs;

	if (n > MAX_RECORDS) {
		xps_seterr("dom%u: too many records (%zu)", p->domid, n);
		return -1;
	}
	if (n > cap) {
		if (grow_array((void **)&p->recs, sizeof *p->recs, &cap, n) < 0)
			goto nomem;
		p->caprecs = cap;
		advise_huge(p->recs, cap * sizeof *p->recs);
	}
	while (nslots / 10 * 7 <= n)
		nslots *= 2;
	if (nslots != p->mask + 1 && rec_table_alloc(p, nslots) < 0)
		goto nomem;
	return 0;
nomem:
	xps_seterr("dom%u: out of memory (%zu records)", p->domid, n);
	return -1;
}

/* Slow path of an insertion: grow, then place KEY at a fresh entry. */
static int
insert_new(struct xps_profile *p, const struct xps_key *k, uint64_t h,
    size_t j, uint64_t count)
{
	struct xps_record *r;

	if (p->nrecs >= p->grow_at || p->nrecs == p->caprecs) {
		if (xps_profile_reserve(p, p->nrecs + 1) < 0)
			return -1;
		for (j = h & p->mask; p->tab[j].key.pad[ENT_FLAGS] != 0;
		    j = (j + 1) & p->mask)
			;
	}
	r = &p->recs[p->nrecs];
	r->key = *k;
	r->count = count;
	ent_set(&p->tab[j], r, (uint32_t)p->nrecs);
	p->nrecs++;
	p->total += count;
	return 1;
}

/*
 * The key is handled as five words in registers: copying it into a struct and
 * zeroing its pad bytes in memory would make the word loads that follow
 * wait for store forwarding to fail.
 */
int
xps_profile_insert(struct xps_profile *p, const struct xps_key *key, uint64_t count)
{
	struct xps_key k;
	uint64_t w[5], h, q4;
	size_t j;

	memcpy(w, key, sizeof w);
	w[4] &= W4_KEY;			/* padding is not part of the key */
	h = words_hash(w);
	q4 = w[4] | W4_USED;		/* an empty entry never matches */
	for (j = h & p->mask;; j = (j + 1) & p->mask) {
		struct xps_record *e = &p->tab[j];
		uint64_t x[5];

		memcpy(x, &e->key, sizeof x);
		if (XPS_LIKELY(((x[0] ^ w[0]) | (x[1] ^ w[1]) | (x[2] ^ w[2]) |
		    (x[3] ^ w[3]) | ((x[4] & (W4_KEY | W4_USED)) ^ q4)) == 0)) {
			e->count += count;
			p->total += count;
			if (!(e->key.pad[ENT_FLAGS] & ENT_DIRTY)) {
				e->key.pad[ENT_FLAGS] |= ENT_DIRTY;
				p->dirty[p->ndirty++] = (uint32_t)j;
			}
			return 0;
		}
		if ((x[4] & W4_USED) == 0)
			break;
	}
	memcpy(&k, w, sizeof k);
	return insert_new(p, &k, h, j, count);
}

static int
bad_key(const struct xps_profile *p, const struct xps_key *k)
{
	if (k->image >= p->nimages)
		xps_seterr("dom%u: key image %u not in the image table (%u)",
		    p->domid, k->image, p->nimages);
	else if (k->app != XPS_NONE && k->app >= p->nimages)
		xps_seterr("dom%u: key app %u not in the image table (%u)",
		    p->domid, k->app, p->nimages);
	else if (k->chain > p->nchains)
		xps_seterr("dom%u: key chain %u unknown (%u chains)", p->domid,
		    k->chain, p->nchains);
	else if (k->mode > XPS_MODE_XEN)
		xps_seterr("dom%u: key mode %u invalid", p->domid, k->mode);
	else
		xps_seterr("dom%u: key event %u >= %d", p->domid, k->event,
		    XPS_MAX_EVENTS);
	return -1;
}

int
xps_profile_add(struct xps_profile *p, const struct xps_key *key, uint64_t count)
{
	if (XPS_UNLIKELY(key->image >= p->nimages ||
	    (key->app != XPS_NONE && key->app >= p->nimages) ||
	    key->chain > p->nchains || key->mode > XPS_MODE_XEN ||
	    key->event >= XPS_MAX_EVENTS))
		return bad_key(p, key);
	return xps_profile_insert(p, key, count) < 0 ? -1 : 0;
}

void
xps_key_init(struct xps_key *k)
{
	memset(k, 0, sizeof *k);
	k->app = XPS_NONE;
	k->tgid = XPS_NONE;
	k->tid = XPS_NONE;
	k->cpu = XPS_NONE;
}

const struct xps_record *
xps_profile_records(const struct xps_profile *p, size_t *n)
{
	/*
	 * The profile is never const itself (profiles are only made by
	 * xps_profile_new); syncing changes no observable state.
	 */
	sync_counts((struct xps_profile *)p);
	*n = p->nrecs;
	return p->recs;
}

uint64_t
xps_profile_total(const struct xps_profile *p)
{
	return p->total;
}

/* ===================================================================== */
/* Chains                                                                 */

uint32_t
xps_profile_chain(struct xps_profile *p, const struct xps_frame *frames, uint32_t n)
{
	uint64_t h, cap;
	uint32_t j, id;

	if (n == 0)
		return 0;
	if (frames == NULL || n > XPS_CHAIN_MAX) {
		xps_seterr("dom%u: bad call chain (%u frames, at most %d)",
		    p->domid, n, XPS_CHAIN_MAX);
		return 0;
	}
	for (uint32_t i = 0; i < n; i++)
		if (frames[i].image >= p->nimages) {
			xps_seterr("dom%u: chain frame %u: image %u not in the "
			    "image table (%u)", p->domid, i, frames[i].image,
			    p->nimages);
			return 0;
		}
	h = frames_hash(frames, n);
	for (j = (uint32_t)h & p->chain_tab.mask; p->chain_tab.slots[j] != 0;
	    j = (j + 1) & p->chain_tab.mask) {
		uint32_t c = p->chain_tab.slots[j] - 1;
		const struct xps_frame *f = p->frames + p->chain_start[c];
		uint32_t i;

		if (p->chain_len[c] != n)
			continue;
		for (i = 0; i < n; i++)
			if (f[i].image != frames[i].image ||
			    f[i].offset != frames[i].offset)
				break;
		if (i == n)
			return c + 1;
	}
	if (p->nchains >= MAX_INTERNED)
		goto toomany;
	if (p->nchains == p->capchains) {
		uint64_t c1 = p->capchains, c2 = p->capchains;

		if (grow_array((void **)&p->chain_start, sizeof *p->chain_start,
		    &c1, (uint64_t)p->nchains + 1) < 0 ||
		    grow_array((void **)&p->chain_len, sizeof *p->chain_len,
		    &c2, (uint64_t)p->nchains + 1) < 0)
			goto nomem;
		p->capchains = (uint32_t)(c1 < c2 ? c1 : c2);
	}
	cap = p->capframes;
	if (p->nframes + n > cap) {
		if (grow_array((void **)&p->frames, sizeof *p->frames, &cap,
		    p->nframes + n) < 0)
			goto nomem;
		p->capframes = cap;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct xps_frame *f = &p->frames[p->nframes + i];

		f->image = frames[i].image;
		f->pad = 0;
		f->offset = frames[i].offset;
	}
	p->chain_start[p->nchains] = p->nframes;
	p->chain_len[p->nchains] = n;
	p->nframes += n;
	id = ++p->nchains;
	p->chain_tab.slots[j] = id;
	p->chain_tab.used = p->nchains;
	if ((uint64_t)p->nchains * 10 >= (uint64_t)(p->chain_tab.mask + 1) * 7 &&
	    itab_grow(&p->chain_tab, chain_hash_at, p) < 0) {
		p->chain_tab.slots[j] = 0;
		p->chain_tab.used = --p->nchains;
		p->nframes -= n;
		goto nomem;
	}
	return id;
toomany:
	xps_seterr("dom%u: too many call chains", p->domid);
	return 0;
nomem:
	xps_seterr("dom%u: out of memory interning a call chain", p->domid);
	return 0;
}

const struct xps_frame *
xps_profile_chain_at(const struct xps_profile *p, uint32_t id, uint32_t *n)
{
	if (id == 0 || id > p->nchains) {
		*n = 0;
		return NULL;
	}
	*n = p->chain_len[id - 1];
	return p->frames + p->chain_start[id - 1];
}

uint32_t
xps_profile_nchains(const struct xps_profile *p)
{
	return p->nchains;
}

uint64_t
xps_profile_nframes(const struct xps_profile *p)
{
	return p->nframes;
}

/* ===================================================================== */
/* Losses                                                                 */

int
xps_profile_loss_slot(struct xps_profile *p, uint32_t cpu, uint32_t kind, int *created)
{
	uint64_t cap = p->caplosses;

	*created = 0;
	if (kind >= XPS_LOSS_NKINDS) {
		xps_seterr("dom%u: bad loss kind %u", p->domid, kind);
		return -1;
	}
	for (uint32_t i = 0; i < p->nlosses; i++)
		if (p->losses[i].cpu == cpu && p->losses[i].kind == kind)
			return (int)i;
	if (p->nlosses >= MAX_INTERNED) {
		xps_seterr("dom%u: too many loss counters", p->domid);
		return -1;
	}
	if (p->nlosses == cap) {
		if (grow_array((void **)&p->losses, sizeof *p->losses, &cap,
		    (uint64_t)p->nlosses + 1) < 0) {
			xps_seterr("dom%u: out of memory", p->domid);
			return -1;
		}
		p->caplosses = (uint32_t)cap;
	}
	p->losses[p->nlosses].cpu = cpu;
	p->losses[p->nlosses].kind = kind;
	p->losses[p->nlosses].count = 0;
	*created = 1;
	return (int)p->nlosses++;
}

int
xps_profile_add_lost(struct xps_profile *p, uint32_t cpu, uint32_t kind, uint64_t n)
{
	int created;
	int i = xps_profile_loss_slot(p, cpu, kind, &created);

	if (i < 0)
		return -1;
	p->losses[i].count += n;
	p->lost_total += n;
	return 0;
}

const struct xps_loss *
xps_profile_losses(const struct xps_profile *p, uint32_t *n)
{
	*n = p->nlosses;
	return p->losses;
}

uint64_t
xps_profile_lost_total(const struct xps_profile *p)
{
	return p->lost_total;
}
