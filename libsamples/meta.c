/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Encoding and decoding of the session meta file (doc/sample-format.md,
 * "Meta file").  The body is a fixed sequence of fields; strings are a u16
 * length and that many bytes, no NUL, shorter than their struct field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "libsamples/samplesP.h"

/* Put the NUL-terminated string in FIELD (of SIZE bytes); -1 if unterminated. */
static int
put_str(struct xps_out *o, const char *field, size_t size)
{
	size_t n = strnlen(field, size);

	if (n >= size)
		return -1;
	xps_put_u16(o, (uint16_t)n);
	xps_put_bytes(o, field, n);
	return 0;
}

/* Read a string into FIELD of SIZE bytes; -1 if too long, short or has NUL. */
static int
get_str(struct xps_in *in, char *field, size_t size)
{
	uint16_t n = xps_get_u16(in);
	const uint8_t *s;

	if (in->short_read || n >= size)
		return -1;
	s = xps_get_bytes(in, n);
	if (s == NULL || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(field, s, n);
	field[n] = '\0';
	return 0;
}

#define PUT_STR(o, f, what)						\
	do {								\
		if (put_str((o), (f), sizeof(f)) < 0) {			\
			bad = (what);					\
			goto invalid;					\
		}							\
	} while (0)

/* The encoded meta into O (initialised here); -1 with a message naming PATH. */
static int
meta_encode(const struct xps_meta *m, const char *path, struct xps_out *op)
{
	struct xps_out o;
	const char *bad = NULL;

	if (m->nevents > XPS_MAX_EVENTS || m->ndomains > XPS_MAX_DOMAINS ||
	    m->xen_build_id_len > XPS_BUILD_ID_MAX) {
		xps_seterr("%s: bad meta (%u events, %u domains, xen build-id "
		    "%u bytes)", path, m->nevents, m->ndomains,
		    m->xen_build_id_len);
		return -1;
	}
	if (xps_out_init(&o, -1) < 0) {
		xps_seterr("%s: out of memory", path);
		return -1;
	}
	xps_put_bytes(&o, XPS_META_MAGIC, XPS_MAGIC_LEN);
	xps_put_u16(&o, XPS_FORMAT_VERSION);
	xps_put_u16(&o, XPS_FORMAT_VERSION);
	xps_put_u32(&o, XPS_META_HDR_SIZE);
	xps_put_u64(&o, 0);			/* file size, patched below */

	PUT_STR(&o, m->backend, "backend");
	PUT_STR(&o, m->cpu_type, "cpu_type");
	PUT_STR(&o, m->hostname, "hostname");
	xps_put_u32(&o, m->separate);
	xps_put_u32(&o, m->callgraph);
	xps_put_u64(&o, m->start_time);
	xps_put_u64(&o, m->stop_time);
	PUT_STR(&o, m->vmlinux, "vmlinux");
	PUT_STR(&o, m->xen, "xen");
	xps_put_u8(&o, m->xen_build_id_len);
	xps_put_bytes(&o, m->xen_build_id, m->xen_build_id_len);
	xps_put_u64(&o, m->kernel_text);
	xps_put_u32(&o, m->nevents);
	for (uint32_t i = 0; i < m->nevents; i++) {
		const struct xps_event_desc *e = &m->events[i];

		PUT_STR(&o, e->name, "event name");
		xps_put_u64(&o, e->count);
		xps_put_u32(&o, e->unit_mask);
		xps_put_u8(&o, e->kernel);
		xps_put_u8(&o, e->user);
	}
	xps_put_u32(&o, m->ndomains);
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct xps_domain_desc *d = &m->domains[i];

		xps_put_u32(&o, d->domid);
		PUT_STR(&o, d->name, "domain name");
		xps_put_u8(&o, d->role);
		PUT_STR(&o, d->kernel, "domain kernel");
	}
	xps_put_u32(&o, m->flags);
	if (o.err != 0) {
		xps_seterr("%s: out of memory", path);
		xps_out_fini(&o);
		return -1;
	}
	xps_st64(o.buf + 16, o.total + XPS_CRC_SIZE);
	xps_put_u32(&o, xps_out_crc(&o));
	if (o.err != 0) {
		xps_seterr("%s: out of memory", path);
		xps_out_fini(&o);
		return -1;
	}
	*op = o;
	return 0;
invalid:
	xps_seterr("%s: %s field not NUL-terminated", path, bad);
	xps_out_fini(&o);
	return -1;
}

int
xps_meta_write(const struct xps_meta *m, const char *path)
{
	struct xps_out o;
	int rc;

	if (meta_encode(m, path, &o) < 0)
		return -1;
	rc = xps_write_file(path, o.buf, o.len);
	xps_out_fini(&o);
	return rc;
}

int
xps_meta_writeat(const struct xps_meta *m, int dirfd, const char *name, const char *path)
{
	struct xps_out o;
	int rc;

	if (meta_encode(m, path, &o) < 0)
		return -1;
	rc = xps_write_fileat(dirfd, name, path, o.buf, o.len);
	xps_out_fini(&o);
	return rc;
}

#define GET_STR(in, f, what)						\
	do {								\
		if (get_str((in), (f), sizeof(f)) < 0) {		\
			bad = (what);					\
			goto invalid;					\
		}							\
	} while (0)

int
xps_meta_read(struct xps_meta *m, const char *path)
{
	return xps_meta_readat(m, AT_FDCWD, path, path);
}

int
xps_meta_readat(struct xps_meta *m, int dirfd, const char *name, const char *path)
{
	struct xps_in in;
	const char *bad = NULL;
	const uint8_t *bid;
	uint8_t *buf;
	size_t len;
	uint32_t hdr;

	memset(m, 0, sizeof *m);
	if (xps_read_fileat(dirfd, name, path, XPS_META_FILE_MAX, &buf, &len) < 0)
		return -1;
	if (xps_check_envelope(path, buf, len, XPS_META_MAGIC, "meta",
	    XPS_META_HDR_SIZE) < 0)
		goto fail;
	hdr = xps_le32(buf + 12);
	in.p = buf;
	in.len = len - XPS_CRC_SIZE;
	in.pos = hdr;
	in.short_read = 0;

	GET_STR(&in, m->backend, "backend");
	GET_STR(&in, m->cpu_type, "cpu_type");
	GET_STR(&in, m->hostname, "hostname");
	m->separate = xps_get_u32(&in);
	m->callgraph = xps_get_u32(&in);
	m->start_time = xps_get_u64(&in);
	m->stop_time = xps_get_u64(&in);
	GET_STR(&in, m->vmlinux, "vmlinux");
	GET_STR(&in, m->xen, "xen");
	m->xen_build_id_len = xps_get_u8(&in);
	if (m->xen_build_id_len > XPS_BUILD_ID_MAX) {
		bad = "xen build-id";
		goto invalid;
	}
	bid = xps_get_bytes(&in, m->xen_build_id_len);
	if (bid != NULL)
		memcpy(m->xen_build_id, bid, m->xen_build_id_len);
	m->kernel_text = xps_get_u64(&in);
	m->nevents = xps_get_u32(&in);
	if (in.short_read || m->nevents > XPS_MAX_EVENTS) {
		bad = "event count";
		goto invalid;
	}
	for (uint32_t i = 0; i < m->nevents; i++) {
		struct xps_event_desc *e = &m->events[i];

		GET_STR(&in, e->name, "event name");
		e->count = xps_get_u64(&in);
		e->unit_mask = xps_get_u32(&in);
		e->kernel = xps_get_u8(&in);
		e->user = xps_get_u8(&in);
	}
	m->ndomains = xps_get_u32(&in);
	if (in.short_read || m->ndomains > XPS_MAX_DOMAINS) {
		bad = "domain count";
		goto invalid;
	}
	for (uint32_t i = 0; i < m->ndomains; i++) {
		struct xps_domain_desc *d = &m->domains[i];

		d->domid = xps_get_u32(&in);
		GET_STR(&in, d->name, "domain name");
		d->role = xps_get_u8(&in);
		GET_STR(&in, d->kernel, "domain kernel");
	}
	/* Optional trailing fields: older writers stop here. */
	if (!in.short_read && in.pos < in.len)
		m->flags = xps_get_u32(&in);
	if (in.short_read) {
		bad = "body (truncated)";
		goto invalid;
	}
	if (in.pos != in.len) {
		xps_seterr("%s: %zu stray bytes after the meta fields", path,
		    in.len - in.pos);
		goto fail;
	}
	free(buf);
	return 0;
invalid:
	xps_seterr("%s: bad %s at byte %zu", path, bad, in.pos);
fail:
	memset(m, 0, sizeof *m);
	free(buf);
	return -1;
}
