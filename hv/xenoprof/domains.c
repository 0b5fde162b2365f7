/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domains of a Xen host: ids from libxenctrl, names from libxenstore.
 *
 * libxenstore has no timeout: xs_open falls back to /dev/xen/xenbus when no
 * xenstored socket exists, and a read there blocks until a xenstored
 * answers, forever in a dom0 where none runs.  So every xenstore query runs
 * in a child process that writes its answers into a pipe; the parent waits
 * at most XS_TIMEOUT_MS and kills it.  After one query got no answer the
 * others give up at once (xs_note says why), so a caller pays the wait once.
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define __XEN_TOOLS__ 1
#include <xenctrl.h>
#include <xenstore.h>

#include "hv/hvP.h"

#define XS_TIMEOUT_MS	2000
#define XS_NAME_LEN	64

struct xentoollog_logger *xo_quiet_logger(void);

static char xs_note[HV_ERR_LEN];	/* "" while xenstore answers */

const char *
hv_xenstore_note(void)
{
	return xs_note;
}

/* In the child: one answer line per query, "-" for a missing key. */
static void
xs_child(int fd, bool self, const uint32_t *ids, int nids)
{
	struct xs_handle *xs = xs_open(XS_OPEN_READONLY);
	FILE *f = fdopen(fd, "w");
	unsigned int len;
	char path[64], *v;

	if (f == NULL)
		_exit(1);
	if (xs == NULL) {
		fprintf(f, "E %d\n", errno);
		fclose(f);
		_exit(0);
	}
	if (self) {
		v = xs_read(xs, XBT_NULL, "domid", &len);
		fprintf(f, "S %s\n", v != NULL ? v : "-");
		free(v);
		v = xs_read(xs, XBT_NULL, "name", &len);
		fprintf(f, "N %s\n", v != NULL ? v : "");
		free(v);
	}
	for (int i = 0; i < nids; i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/name", ids[i]);
		v = xs_read(xs, XBT_NULL, path, &len);
		/* names with a newline are cut there: the protocol is one line each */
		if (v != NULL)
			v[strcspn(v, "\n")] = '\0';
		fprintf(f, "N %s\n", v != NULL ? v : "");
		free(v);
	}
	fclose(f);
	xs_close(xs);
	_exit(0);
}

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Ask xenstore, bounded in time: with SELF this domain's id (*SELF_ID,
 * HV_NO_PID when the key is missing) and name (NAMES[0]), then the names
 * of IDS (NAMES[SELF ? 1 : 0 ...]).  0, or -1 with xs_note set.
 */
static int
xs_query(bool self, uint32_t *self_id, const uint32_t *ids, int nids, char (*names)[XS_NAME_LEN])
{
	char buf[8192], *line, *save;
	size_t got = 0;
	long deadline;
	pid_t pid;
	int p[2], status, k = 0;

	if (xs_note[0])
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(xs_note, sizeof(xs_note), "xenstore not asked: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		snprintf(xs_note, sizeof(xs_note), "xenstore not asked: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		xs_child(p[1], self, ids, nids);
	}
	close(p[1]);
	deadline = mono_ms() + XS_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			snprintf(xs_note, sizeof(xs_note), "xenstore does not answer within %d s: no "
			    "xenstored runs (start it: xencommons, or xenstored and xen-init-dom0); "
			    "domain names are unknown", XS_TIMEOUT_MS / 1000);
			break;
		}
		n = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (xs_note[0])
		return -1;
	buf[got] = '\0';
	if (strncmp(buf, "E ", 2) == 0) {
		snprintf(xs_note, sizeof(xs_note), "xenstore unavailable (xs_open: %s): no xenstored "
		    "socket and no /dev/xen/xenbus; domain names are unknown",
		    strerror(atoi(buf + 2)));
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == 'S' && self_id != NULL)
			*self_id = strcmp(line + 2, "-") == 0 ? HV_NO_PID :
			    (uint32_t)strtoul(line + 2, NULL, 10);
		else if (line[0] == 'N' && k < nids + (self ? 1 : 0))
			snprintf(names[k++], XS_NAME_LEN, "%s", line[1] ? line + 2 : "");
	}
	if (k < nids + (self ? 1 : 0)) {
		snprintf(xs_note, sizeof(xs_note), "xenstore: the query ended early (%d of %d "
		    "answers)", k, nids + (self ? 1 : 0));
		return -1;
	}
	return 0;
}

int
hv_domains(struct hv_domain *out, int max, char *err, size_t errlen)
{
	xc_interface *xch;
	xc_domaininfo_t *info;
	uint32_t *ids;
	char (*names)[XS_NAME_LEN];
	int n;

	if (max <= 0)
		return 0;
	xch = xc_interface_open(xo_quiet_logger(), xo_quiet_logger(), 0);
	if (xch == NULL)
		return hv_seterr(err, errlen, "cannot list Xen domains: not on Xen or no access to "
		    "/dev/xen/privcmd (%s)", strerror(errno));
	if ((info = calloc((size_t)max, sizeof(*info))) == NULL) {
		xc_interface_close(xch);
		return hv_seterr(err, errlen, "out of memory");
	}
	n = xc_domain_getinfolist(xch, 0, (unsigned)max, info);
	xc_interface_close(xch);
	if (n < 0) {
		int e = errno;

		free(info);
		return hv_seterr(err, errlen, "cannot list Xen domains (getdomaininfolist: %s)%s",
		    strerror(e), e == EPERM ? "; only dom0 can" : "");
	}
	ids = calloc((size_t)n + 1, sizeof(*ids));
	names = calloc((size_t)n + 1, sizeof(*names));
	if (ids == NULL || names == NULL) {
		free(ids);
		free(names);
		free(info);
		return hv_seterr(err, errlen, "out of memory");
	}
	for (int i = 0; i < n; i++)
		ids[i] = info[i].domain;
	/* Without an answer the domains keep their ids, with no names. */
	if (xs_query(false, NULL, ids, n, names) == -1)
		memset(names, 0, ((size_t)n + 1) * sizeof(*names));
	for (int i = 0; i < n; i++) {
		out[i].domid = info[i].domain;
		out[i].vcpus = info[i].max_vcpu_id + 1;
		snprintf(out[i].name, sizeof(out[i].name), "%s", names[i]);
	}
	free(ids);
	free(names);
	free(info);
	return n;
}

int
hv_xenstore_self(uint32_t *domid, char *name, size_t namelen, char *why, size_t whylen)
{
	char names[1][XS_NAME_LEN];
	uint32_t id = HV_NO_PID;

	*domid = 0;
	if (name != NULL && namelen > 0)
		name[0] = '\0';
	if (xs_query(true, &id, NULL, 0, names) == -1)
		return hv_seterr(why, whylen, "%s", xs_note);
	if (id == HV_NO_PID)
		return hv_seterr(why, whylen, "xenstore has no \"domid\" for this domain (dom0: run "
		    "xen-init-dom0, as xencommons does)");
	*domid = id;
	if (name != NULL && namelen > 0)
		snprintf(name, namelen, "%s", names[0]);
	return 0;
}

uint32_t
hv_self_domid(void)
{
	uint32_t id;

	return hv_xenstore_self(&id, NULL, 0, NULL, 0) == 0 ? id : 0;
}
