/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Encoding and decoding of domN.samples files (doc/sample-format.md).
 * Every field is encoded explicitly, little-endian; nothing is fwrite'd as
 * a struct.  The reader trusts nothing: the envelope (size, CRC) is checked
 * first, then every count is bounded by the bytes actually present before
 * anything is allocated, then every index is checked against its table.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "libsamples/samplesP.h"

/* Header field offsets, as in doc/sample-format.md. */
enum {
	H_MAGIC = 0, H_WVER = 8, H_RVER = 10, H_HDRSIZE = 12, H_FILESIZE = 16,
	H_DOMID = 24, H_FLAGS = 28, H_NIMAGES = 32, H_NRECORDS = 40,
	H_NCHAINS = 48, H_NFRAMES = 56, H_NLOSSES = 64, H_TOTAL = 72,
	H_LOST = 80, H_IMGBYTES = 88, H_NAME = 96,
};

_Static_assert(H_NAME + XPS_NAME_MAX == XPS_PROFILE_HDR_SIZE, "header layout");

static uint64_t
images_bytes(const struct xps_profile *p)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < xps_profile_nimages(p); i++) {
		const struct xps_image *img = xps_profile_image_at(p, i);

		n += XPS_IMAGE_ENT_MIN + img->build_id_len + strlen(img->path);
	}
	return n;
}

/* Write P into the replacement begun in A and commit it (A is ended either way). */
static int
profile_write(const struct xps_profile *p, struct xps_atomic *ap)
{
	struct xps_atomic a = *ap;
	const char *path = ap->path;
	struct xps_out o;
	const struct xps_record *recs;
	const struct xps_loss *losses;
	uint64_t imgbytes, size, nframes = xps_profile_nframes(p);
	uint32_t nimages = xps_profile_nimages(p);
	uint32_t nchains = xps_profile_nchains(p), nlosses;
	uint8_t name[XPS_NAME_MAX] = { 0 };
	size_t nrecs;

	recs = xps_profile_records(p, &nrecs);
	losses = xps_profile_losses(p, &nlosses);
	imgbytes = images_bytes(p);
	size = XPS_PROFILE_HDR_SIZE + imgbytes + (uint64_t)nrecs * XPS_RECORD_SIZE +
	    (uint64_t)nchains * XPS_CHAIN_ENT_SIZE + nframes * XPS_FRAME_SIZE +
	    (uint64_t)nlosses * XPS_LOSS_SIZE + XPS_CRC_SIZE;
	strncpy((char *)name, xps_profile_name(p), sizeof name - 1);

	if (xps_out_init(&o, a.fd) < 0) {
		xps_seterr("%s: out of memory", path);
		xps_atomic_abort(&a);
		return -1;
	}

	xps_put_bytes(&o, XPS_PROFILE_MAGIC, XPS_MAGIC_LEN);
	xps_put_u16(&o, XPS_FORMAT_VERSION);		/* write version */
	xps_put_u16(&o, XPS_FORMAT_VERSION);		/* read version */
	xps_put_u32(&o, XPS_PROFILE_HDR_SIZE);
	xps_put_u64(&o, size);
	xps_put_u32(&o, xps_profile_domid(p));
	xps_put_u32(&o, 0);				/* flags */
	xps_put_u64(&o, nimages);
	xps_put_u64(&o, nrecs);
	xps_put_u64(&o, nchains);
	xps_put_u64(&o, nframes);
	xps_put_u64(&o, nlosses);
	xps_put_u64(&o, xps_profile_total(p));
	xps_put_u64(&o, xps_profile_lost_total(p));
	xps_put_u64(&o, imgbytes);
	xps_put_bytes(&o, name, sizeof name);

	for (uint32_t i = 0; i < nimages; i++) {
		const struct xps_image *img = xps_profile_image_at(p, i);
		size_t plen = strlen(img->path);

		xps_put_u8(&o, img->kind);
		xps_put_u8(&o, img->build_id_len);
		xps_put_u16(&o, 0);
		xps_put_u32(&o, (uint32_t)plen);
		xps_put_bytes(&o, img->build_id, img->build_id_len);
		xps_put_bytes(&o, img->path, plen);
	}

	for (size_t i = 0; i < nrecs; i++) {
		const struct xps_record *r = &recs[i];

		xps_put_u64(&o, r->key.offset);
		xps_put_u32(&o, r->key.image);
		xps_put_u32(&o, r->key.app);
		xps_put_u32(&o, r->key.tgid);
		xps_put_u32(&o, r->key.tid);
		xps_put_u32(&o, r->key.cpu);
		xps_put_u32(&o, r->key.chain);
		xps_put_u8(&o, r->key.event);
		xps_put_u8(&o, r->key.mode);
		xps_put_zero(&o, 6);
		xps_put_u64(&o, r->count);
	}

	for (uint32_t c = 1; c <= nchains; c++) {
		uint32_t n;

		xps_profile_chain_at(p, c, &n);
		xps_put_u32(&o, n);
	}
	for (uint32_t c = 1; c <= nchains; c++) {
		uint32_t n;
		const struct xps_frame *f = xps_profile_chain_at(p, c, &n);

		for (uint32_t i = 0; i < n; i++) {
			xps_put_u32(&o, f[i].image);
			xps_put_u32(&o, 0);
			xps_put_u64(&o, f[i].offset);
		}
	}

	for (uint32_t i = 0; i < nlosses; i++) {
		xps_put_u32(&o, losses[i].cpu);
		xps_put_u32(&o, losses[i].kind);
		xps_put_u64(&o, losses[i].count);
	}

	xps_put_u32(&o, xps_out_crc(&o));
	if (xps_out_flush(&o) < 0) {
		xps_seterr_errno(o.err, "%s: write", a.tmp);
		goto fail;
	}
	if (o.total != size) {
		xps_seterr("%s: internal error: wrote %" PRIu64 " bytes, "
		    "expected %" PRIu64, path, o.total, size);
		goto fail;
	}
	xps_out_fini(&o);
	return xps_atomic_commit(&a);
fail:
	xps_out_fini(&o);
	xps_atomic_abort(&a);
	return -1;
}

int
xps_profile_write(const struct xps_profile *p, const char *path)
{
	struct xps_atomic a;

	if (xps_atomic_begin(&a, path) < 0)
		return -1;
	return profile_write(p, &a);
}

int
xps_profile_writeat(const struct xps_profile *p, int dirfd, const char *name, const char *path)
{
	struct xps_atomic a;

	if (xps_atomic_beginat(&a, dirfd, name, path) < 0)
		return -1;
	return profile_write(p, &a);
}

/* ===================================================================== */
/* Reading                                                                */

/* Take N elements of SIZE bytes off *REST; -1 if they are not all there. */
static int
take(uint64_t *rest, uint64_t n, uint64_t size)
{
	if (n > *rest / size)
		return -1;
	*rest -= n * size;
	return 0;
}

static int
read_images(struct xps_profile *p, const char *path, const uint8_t *buf,
    uint64_t nimages, uint64_t nbytes)
{
	struct xps_in in = { .p = buf, .len = nbytes };
	char tmp[XPS_PATH_MAX];

	for (uint64_t i = 0; i < nimages; i++) {
		struct xps_image img;
		const uint8_t *bid, *s;
		uint32_t plen;
		uint16_t res;

		memset(&img, 0, sizeof img);
		img.kind = xps_get_u8(&in);
		img.build_id_len = xps_get_u8(&in);
		res = xps_get_u16(&in);
		plen = xps_get_u32(&in);
		if (in.short_read)
			goto overrun;
		if (img.kind > XPS_IMG_ANON || img.build_id_len > XPS_BUILD_ID_MAX ||
		    plen >= XPS_PATH_MAX || res != 0) {
			xps_seterr("%s: image %" PRIu64 ": bad entry (kind %u, "
			    "build-id %u bytes, path %u bytes)", path, i,
			    img.kind, img.build_id_len, plen);
			return -1;
		}
		bid = xps_get_bytes(&in, img.build_id_len);
		s = xps_get_bytes(&in, plen);
		if (in.short_read)
			goto overrun;
		if (memchr(s, '\0', plen) != NULL) {
			xps_seterr("%s: image %" PRIu64 ": NUL byte in path",
			    path, i);
			return -1;
		}
		memcpy(img.build_id, bid, img.build_id_len);
		memcpy(tmp, s, plen);
		tmp[plen] = '\0';
		img.path = tmp;
		int idx = xps_profile_image(p, &img);
		if (idx < 0) {
			xps_seterr("%s: out of memory", path);
			return -1;
		}
		if ((uint64_t)idx != i) {
			xps_seterr("%s: image %" PRIu64 " duplicates image %d",
			    path, i, idx);
			return -1;
		}
	}
	if (in.pos != nbytes) {
		xps_seterr("%s: image table has %zu stray bytes", path,
		    nbytes - in.pos);
		return -1;
	}
	return 0;
overrun:
	xps_seterr("%s: image table overruns its %" PRIu64 " bytes", path, nbytes);
	return -1;
}

static int
read_chains(struct xps_profile *p, const char *path, const uint8_t *lens,
    const uint8_t *frames, uint64_t nchains, uint64_t nframes)
{
	struct xps_frame f[XPS_CHAIN_MAX];
	uint64_t used = 0;

	for (uint64_t c = 0; c < nchains; c++) {
		uint32_t n = xps_le32(lens + c * XPS_CHAIN_ENT_SIZE);

		if (n == 0 || n > XPS_CHAIN_MAX || n > nframes - used) {
			xps_seterr("%s: chain %" PRIu64 ": bad length %u", path,
			    c + 1, n);
			return -1;
		}
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *e = frames + (used + i) * XPS_FRAME_SIZE;

			f[i].image = xps_le32(e);
			f[i].pad = xps_le32(e + 4);
			f[i].offset = xps_le64(e + 8);
			if (f[i].image >= xps_profile_nimages(p) || f[i].pad != 0) {
				xps_seterr("%s: chain %" PRIu64 " frame %u: bad "
				    "image %u", path, c + 1, i, f[i].image);
				return -1;
			}
		}
		used += n;
		uint32_t id = xps_profile_chain(p, f, n);
		if (id == 0) {
			xps_seterr("%s: out of memory", path);
			return -1;
		}
		if (id != c + 1) {
			xps_seterr("%s: chain %" PRIu64 " duplicates chain %u",
			    path, c + 1, id);
			return -1;
		}
	}
	if (used != nframes) {
		xps_seterr("%s: chains use %" PRIu64 " frames of %" PRIu64, path,
		    used, nframes);
		return -1;
	}
	return 0;
}

static int
read_records(struct xps_profile *p, const char *path, const uint8_t *buf,
    uint64_t nrecords)
{
	static const uint8_t zero[6];
	uint32_t nimages = xps_profile_nimages(p);
	uint32_t nchains = xps_profile_nchains(p);

	if (xps_profile_reserve(p, (size_t)nrecords) < 0) {
		xps_seterr("%s: out of memory for %" PRIu64 " records", path,
		    nrecords);
		return -1;
	}
	for (uint64_t i = 0; i < nrecords; i++) {
		const uint8_t *e = buf + i * XPS_RECORD_SIZE;
		struct xps_key k;
		int rc;

		xps_key_init(&k);
		k.offset = xps_le64(e);
		k.image = xps_le32(e + 8);
		k.app = xps_le32(e + 12);
		k.tgid = xps_le32(e + 16);
		k.tid = xps_le32(e + 20);
		k.cpu = xps_le32(e + 24);
		k.chain = xps_le32(e + 28);
		k.event = e[32];
		k.mode = e[33];
		if (k.image >= nimages || (k.app != XPS_NONE && k.app >= nimages) ||
		    k.chain > nchains || k.mode > XPS_MODE_XEN ||
		    k.event >= XPS_MAX_EVENTS || memcmp(e + 34, zero, 6) != 0) {
			xps_seterr("%s: record %" PRIu64 ": bad key (image %u, "
			    "app %u, chain %u, event %u, mode %u)", path, i,
			    k.image, k.app, k.chain, k.event, k.mode);
			return -1;
		}
		rc = xps_profile_insert(p, &k, xps_le64(e + 40));
		if (rc < 0) {
			xps_seterr("%s: out of memory", path);
			return -1;
		}
		if (rc == 0) {
			xps_seterr("%s: record %" PRIu64 ": duplicate key", path, i);
			return -1;
		}
	}
	return 0;
}

static int
read_losses(struct xps_profile *p, const char *path, const uint8_t *buf,
    uint64_t nlosses)
{
	for (uint64_t i = 0; i < nlosses; i++) {
		const uint8_t *e = buf + i * XPS_LOSS_SIZE;
		uint32_t cpu = xps_le32(e), kind = xps_le32(e + 4);
		int created;

		if (kind >= XPS_LOSS_NKINDS) {
			xps_seterr("%s: loss %" PRIu64 ": bad kind %u", path, i,
			    kind);
			return -1;
		}
		if (xps_profile_loss_slot(p, cpu, kind, &created) < 0) {
			xps_seterr("%s: out of memory", path);
			return -1;
		}
		if (!created) {
			xps_seterr("%s: loss %" PRIu64 ": duplicate (cpu %u, "
			    "kind %u)", path, i, cpu, kind);
			return -1;
		}
		if (xps_profile_add_lost(p, cpu, kind, xps_le64(e + 8)) < 0)
			return -1;
	}
	return 0;
}

struct xps_profile *
xps_profile_read(const char *path)
{
	return xps_profile_readat(AT_FDCWD, path, path);
}

struct xps_profile *
xps_profile_readat(int dirfd, const char *fname, const char *path)
{
	struct xps_profile *p = NULL;
	uint8_t *buf;
	size_t len;
	uint64_t nimages, nrecords, nchains, nframes, nlosses, imgbytes, rest;
	uint64_t off_rec, off_chain, off_frame, off_loss;
	uint32_t hdr;
	char name[XPS_NAME_MAX];

	if (xps_read_fileat(dirfd, fname, path, XPS_PROFILE_FILE_MAX, &buf, &len) < 0)
		return NULL;
	if (xps_check_envelope(path, buf, len, XPS_PROFILE_MAGIC, "sample",
	    XPS_PROFILE_HDR_SIZE) < 0)
		goto fail;

	hdr = xps_le32(buf + H_HDRSIZE);
	nimages = xps_le64(buf + H_NIMAGES);
	nrecords = xps_le64(buf + H_NRECORDS);
	nchains = xps_le64(buf + H_NCHAINS);
	nframes = xps_le64(buf + H_NFRAMES);
	nlosses = xps_le64(buf + H_NLOSSES);
	imgbytes = xps_le64(buf + H_IMGBYTES);
	if (memchr(buf + H_NAME, '\0', XPS_NAME_MAX) == NULL) {
		xps_seterr("%s: domain name not terminated", path);
		goto fail;
	}
	memcpy(name, buf + H_NAME, XPS_NAME_MAX);

	/* Every section must fit the bytes present, and nothing may be left. */
	rest = len - hdr - XPS_CRC_SIZE;
	if (take(&rest, imgbytes, 1) < 0 ||
	    nimages > imgbytes / XPS_IMAGE_ENT_MIN) {
		xps_seterr("%s: bad image table (%" PRIu64 " images in %" PRIu64
		    " bytes)", path, nimages, imgbytes);
		goto fail;
	}
	off_rec = hdr + imgbytes;
	if (take(&rest, nrecords, XPS_RECORD_SIZE) < 0 ||
	    take(&rest, nchains, XPS_CHAIN_ENT_SIZE) < 0 ||
	    take(&rest, nframes, XPS_FRAME_SIZE) < 0 ||
	    take(&rest, nlosses, XPS_LOSS_SIZE) < 0 || rest != 0) {
		xps_seterr("%s: section counts do not match the file size "
		    "(%" PRIu64 " records, %" PRIu64 " chains, %" PRIu64
		    " frames, %" PRIu64 " losses in %zu bytes)", path, nrecords,
		    nchains, nframes, nlosses, len);
		goto fail;
	}
	if (nrecords >= UINT32_MAX || nchains >= INT32_MAX ||
	    nlosses >= INT32_MAX || nimages >= INT32_MAX) {
		xps_seterr("%s: too many entries", path);
		goto fail;
	}
	off_chain = off_rec + nrecords * XPS_RECORD_SIZE;
	off_frame = off_chain + nchains * XPS_CHAIN_ENT_SIZE;
	off_loss = off_frame + nframes * XPS_FRAME_SIZE;

	p = xps_profile_new(xps_le32(buf + H_DOMID), name);
	if (p == NULL) {
		xps_seterr("%s: out of memory", path);
		goto fail;
	}
	if (read_images(p, path, buf + hdr, nimages, imgbytes) < 0 ||
	    read_chains(p, path, buf + off_chain, buf + off_frame, nchains,
	    nframes) < 0 ||
	    read_records(p, path, buf + off_rec, nrecords) < 0 ||
	    read_losses(p, path, buf + off_loss, nlosses) < 0)
		goto fail;
	if (xps_profile_total(p) != xps_le64(buf + H_TOTAL) ||
	    xps_profile_lost_total(p) != xps_le64(buf + H_LOST)) {
		xps_seterr("%s: header totals do not match the records", path);
		goto fail;
	}
	free(buf);
	return p;
fail:
	xps_profile_free(p);
	free(buf);
	return NULL;
}
