/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --top [-d SECONDS] [-n FRAMES]: a live view of a running daemon, like
 * `perf top` and xentop.  Every SECONDS (default 2) it asks the daemon for
 * --dump, runs `xenprof-report --format=json --symbols` on the current
 * session and shows the per-domain and per-symbol shares of the samples
 * taken since the previous frame.
 *
 * On a terminal: ANSI clear and plain text (works over ssh; no curses, no
 * mouse), the tty in non-canonical no-echo mode until exit; q or Ctrl-C
 * quits and restores the tty.  Not on a terminal: one frame per interval,
 * each starting with a "xenprof top" line, no escape sequences.
 */

#include <sys/ioctl.h>
#include <sys/wait.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl.h"
#include "daemon/proto.h"

/* ---- a small JSON reader: enough for the report's output ---- */

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jt		t;
	double		num;
	char	       *str;
	int		n;
	char	      **keys;		/* J_OBJ */
	struct jv      *kids;		/* J_ARR, J_OBJ */
};

struct jp {
	const char     *p, *end;
	int		depth;
};

static void
jv_free(struct jv *v)
{
	for (int i = 0; i < v->n; i++) {
		jv_free(&v->kids[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->kids);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static void
ws(struct jp *j)
{
	while (j->p < j->end && isspace((unsigned char)*j->p))
		j->p++;
}

static int
jstr(struct jp *j, char **out)
{
	size_t cap = 32, n = 0;
	char *s = malloc(cap);

	if (s == NULL || j->p >= j->end || *j->p != '"')
		goto bad;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		char ch = *j->p++;

		if (ch == '\\') {
			if (j->p >= j->end)
				goto bad;
			ch = *j->p++;
			switch (ch) {
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'r': ch = '\r'; break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'u':
				/* Non-ASCII in a symbol name: shown as '?'. */
				if (j->end - j->p < 4)
					goto bad;
				{
					unsigned v = (unsigned)strtoul((char[5]){ j->p[0], j->p[1], j->p[2], j->p[3], 0 },
					    NULL, 16);
					ch = v < 0x80 && v >= 0x20 ? (char)v : '?';
				}
				j->p += 4;
				break;
			default: break;	/* \" \\ \/ */
			}
		}
		if (n + 2 > cap) {
			char *t = realloc(s, cap *= 2);

			if (t == NULL)
				goto bad;
			s = t;
		}
		s[n++] = ch;
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	s[n] = '\0';
	*out = s;
	return 0;
bad:
	free(s);
	return -1;
}

static int jval(struct jp *j, struct jv *v);

static int
jadd(struct jv *v, char *key, struct jp *j)
{
	struct jv *k = realloc(v->kids, sizeof(*k) * (size_t)(v->n + 1));

	if (k == NULL)
		return -1;
	v->kids = k;
	memset(&k[v->n], 0, sizeof(*k));
	if (v->t == J_OBJ) {
		char **ks = realloc(v->keys, sizeof(*ks) * (size_t)(v->n + 1));

		if (ks == NULL)
			return -1;
		v->keys = ks;
		ks[v->n] = key;
	}
	v->n++;
	return jval(j, &k[v->n - 1]);
}

static int
jval(struct jp *j, struct jv *v)
{
	ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return -1;
	memset(v, 0, sizeof(*v));
	switch (*j->p) {
	case '{':
	case '[': {
		char close = *j->p == '{' ? '}' : ']';

		v->t = *j->p == '{' ? J_OBJ : J_ARR;
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			break;
		}
		for (;;) {
			char *key = NULL;

			ws(j);
			if (v->t == J_OBJ) {
				if (jstr(j, &key) == -1)
					return -1;
				ws(j);
				if (j->p >= j->end || *j->p++ != ':') {
					free(key);
					return -1;
				}
			}
			if (jadd(v, key, j) == -1)
				return -1;
			ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == close) {
				j->p++;
				break;
			}
			return -1;
		}
		break;
	}
	case '"':
		v->t = J_STR;
		if (jstr(j, &v->str) == -1)
			return -1;
		break;
	case 't': case 'f': case 'n':
		v->t = *j->p == 'n' ? J_NULL : J_BOOL;
		v->num = *j->p == 't';
		while (j->p < j->end && isalpha((unsigned char)*j->p))
			j->p++;
		break;
	default: {
		char *e;

		v->t = J_NUM;
		v->num = strtod(j->p, &e);
		if (e == j->p)
			return -1;
		j->p = e;
	}
	}
	j->depth--;
	return 0;
}

static const struct jv *
jget(const struct jv *o, const char *key)
{
	if (o == NULL || o->t != J_OBJ)
		return NULL;
	for (int i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->kids[i];
	return NULL;
}

static double
jnum(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v && v->t == J_NUM ? v->num : 0;
}

static const char *
jtext(const struct jv *o, const char *key, const char *dflt)
{
	const struct jv *v = jget(o, key);

	return v && v->t == J_STR ? v->str : dflt;
}

/* ---- one snapshot of the session: rows keyed by domain, image, symbol ---- */

struct row {
	char	       *key;		/* "DOMAIN\x1fIMAGE\x1fSYMBOL\x1fTGID" */
	int		domain;
	long		tgid;		/* -1: not recorded (no --separate=thread) */
	const char     *name, *image, *symbol;	/* into key / the JSON */
	double		samples, delta;
};

struct snap {
	struct jv	doc;
	struct row     *rows;
	int		n;
	double		total, lost;
};

static void
snap_free(struct snap *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->rows[i].key);
	free(s->rows);
	jv_free(&s->doc);
	memset(s, 0, sizeof(*s));
}

static int
row_cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

static int
row_cmp_delta(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Run xenprof-report and parse its JSON into S; -1 with ERR set on failure. */
static int
snap_take(const struct ctl *c, const char *report, struct snap *s, char *err, size_t errlen)
{
	char sessarg[PATH_MAX + 20], *buf = NULL;
	size_t len = 0, cap = 0;
	int pfd[2], efd[2], status;
	struct jp j;
	const struct jv *rows;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	snprintf(sessarg, sizeof(sessarg), "--session-dir=%s", c->sessdir);
	if (pipe2(pfd, O_CLOEXEC) == -1 || pipe2(efd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(efd[1], 2);
		execl(report, "xenprof-report", sessarg, "--format=json", "--symbols", (char *)NULL);
		fprintf(stderr, "cannot run %s: %s", report, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	close(efd[1]);
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *t = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (t == NULL)
				break;
			buf = t;
		}
		n = read(pfd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	{
		ssize_t n = read(efd[0], err, errlen - 1);

		err[n > 0 ? n : 0] = '\0';
		if (n > 0 && err[n - 1] == '\n')
			err[n - 1] = '\0';
	}
	close(efd[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || buf == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "xenprof-report failed");
		free(buf);
		return -1;
	}
	j.p = buf;
	j.end = buf + len;
	j.depth = 0;
	if (jval(&j, &s->doc) == -1 || s->doc.t != J_OBJ) {
		snprintf(err, errlen, "cannot parse the output of %.200s --format=json", report);
		free(buf);
		jv_free(&s->doc);
		return -1;
	}
	free(buf);
	s->total = jnum(&s->doc, "total_samples");
	s->lost = jnum(&s->doc, "lost_samples");
	rows = jget(&s->doc, "rows");
	if (rows && rows->t == J_ARR && rows->n > 0) {
		s->rows = calloc((size_t)rows->n, sizeof(*s->rows));
		if (s->rows == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (int i = 0; i < rows->n; i++) {
			const struct jv *r = &rows->kids[i];
			struct row *w = &s->rows[s->n];

			w->domain = (int)jnum(r, "domain");
			w->name = jtext(r, "domain_name", "?");
			w->image = jtext(r, "image", "?");
			w->symbol = jtext(r, "symbol", "[unknown]");
			w->samples = jnum(r, "samples");
			w->tgid = jget(r, "tgid") ? (long)jnum(r, "tgid") : -1;
			if (asprintf(&w->key, "%d\x1f%s\x1f%s\x1f%ld", w->domain, w->image, w->symbol,
			    w->tgid) == -1)
				continue;
			s->n++;
		}
		qsort(s->rows, (size_t)s->n, sizeof(*s->rows), row_cmp_key);
	}
	return 0;
}

/* Samples of each row since PREV (everything when PREV is empty). */
static double
snap_delta(struct snap *cur, const struct snap *prev)
{
	double sum = 0;

	for (int i = 0; i < cur->n; i++) {
		struct row *r = &cur->rows[i];
		const struct row *p = prev->n ? bsearch(r, prev->rows, (size_t)prev->n, sizeof(*r),
		    row_cmp_key) : NULL;

		r->delta = r->samples - (p ? p->samples : 0);
		if (r->delta < 0)	/* the session was reset or saved */
			r->delta = r->samples;
		sum += r->delta;
	}
	return sum;
}

/* ---- the terminal ---- */

static volatile sig_atomic_t quit_sig, winch;
static struct termios saved_tty;
static int tty_raw, scr;	/* the tty is in our mode; stdout is a terminal */

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		winch = 1;
	else
		quit_sig = sig;
}

static void
tty_restore(void)
{
	if (tty_raw) {
		tcsetattr(0, TCSAFLUSH, &saved_tty);
		tty_raw = 0;
		fputs("\033[?25h", stdout);	/* cursor back on */
		fflush(stdout);
	}
}

static void
tty_setup(void)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &saved_tty) == -1)
		return;
	t = saved_tty;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSAFLUSH, &t) == 0) {
		tty_raw = 1;
		atexit(tty_restore);
		fputs("\033[?25l", stdout);	/* no cursor while drawing */
	}
}

static void
screen_size(int *rows, int *cols)
{
	struct winsize w;

	*rows = 24;
	*cols = 80;
	if (ioctl(1, TIOCGWINSZ, &w) == 0 && w.ws_row > 0 && w.ws_col > 0) {
		*rows = w.ws_row;
		*cols = w.ws_col;
	}
}

/* Print a line cut to COLS columns. */
static void
line(int cols, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line(int cols, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cols > 0 && cols < (int)sizeof(buf))
		buf[cols] = '\0';
	fputs(buf, stdout);
	fputs(scr ? "\033[K\n" : "\n", stdout);
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return path[0] == '[' || s == NULL ? path : s + 1;
}

/*
 * The image column of row R: the basename, or, when another image of the
 * frame shares it, the shortest tail of its path that tells them apart; with
 * --separate=thread its process too ("xp-burn [1234]").  Cut on the left to
 * fit WIDTH.
 */
static const char *
image_label(const struct snap *s, const struct row *r, char *buf, size_t len, int width)
{
	const char *b = base(r->image), *tail = b;
	int clash = 0;
	size_t n;

	for (int i = 0; i < s->n && !clash; i++)
		clash = strcmp(s->rows[i].image, r->image) != 0 && strcmp(base(s->rows[i].image), b) == 0;
	if (clash) {
		/* Longer tails until no other clashing path ends the same way. */
		for (const char *p = b; p > r->image;) {
			int same = 0;

			for (p--; p > r->image && p[-1] != '/'; p--)
				;
			tail = p;
			n = strlen(tail);
			for (int i = 0; i < s->n && !same; i++) {
				const char *o = s->rows[i].image;
				size_t on = strlen(o);

				same = strcmp(o, r->image) != 0 && strcmp(base(o), b) == 0 && on >= n &&
				    strcmp(o + on - n, tail) == 0 && (on == n || o[on - n - 1] == '/');
			}
			if (!same)
				break;
		}
	}
	if (r->tgid >= 0)
		snprintf(buf, len, "%s [%ld]", tail, r->tgid);
	else
		snprintf(buf, len, "%s", tail);
	n = strlen(buf);
	if ((int)n > width && width > 3) {
		memmove(buf + 3, buf + n - (size_t)(width - 3), (size_t)(width - 3) + 1);
		memcpy(buf, "...", 3);
	}
	return buf;
}

struct dom {
	int		id;
	const char     *name;
	double		delta, total;
};

static void
render(const struct ctl *c, struct snap *s, double sum, double lostd, const char *state,
    int frame, double interval, const char *msg)
{
	struct dom doms[64];
	int ndom = 0, rows, cols, used, screen = scr;
	char when[32];
	time_t now = time(NULL);

	screen_size(&rows, &cols);
	if (!isatty(1))
		cols = 0;	/* a log: no cutting */
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	if (screen)
		fputs("\033[H", stdout);
	line(cols, "xenprof top - %s - %s - %s", when, c->sessdir, state);
	if (frame == 0)
		line(cols, "samples since the session began: %.0f (lost %.0f); total %.0f",
		    sum, lostd, s->total);
	else
		line(cols, "samples in the last %.1f s: %.0f (lost %.0f); session total %.0f",
		    interval, sum, lostd, s->total);
	used = 2;
	if (msg) {
		line(cols, "%s", msg);
		used++;
	}
	for (int i = 0; i < s->n; i++) {
		int k;

		for (k = 0; k < ndom && doms[k].id != s->rows[i].domain; k++)
			;
		if (k == ndom) {
			if (ndom == 64)
				continue;
			doms[ndom++] = (struct dom){ s->rows[i].domain, s->rows[i].name, 0, 0 };
		}
		doms[k].delta += s->rows[i].delta;
		doms[k].total += s->rows[i].samples;
	}
	line(cols, "%s", "");
	line(cols, "%-6s %-16s %10s %7s %12s", "DOMAIN", "NAME", "SAMPLES", "%", "TOTAL");
	used += 2;
	for (int k = 0; k < ndom; k++) {
		line(cols, "%-6d %-16.16s %10.0f %6.2f%% %12.0f", doms[k].id, doms[k].name, doms[k].delta,
		    sum > 0 ? 100.0 * doms[k].delta / sum : 0.0, doms[k].total);
		used++;
	}
	qsort(s->rows, (size_t)s->n, sizeof(*s->rows), row_cmp_delta);
	line(cols, "%s", "");
	line(cols, "%10s %7s  %-10.10s %-20.20s %s", "SAMPLES", "%", "DOMAIN", "IMAGE", "SYMBOL");
	used += 2;
	{
		int room = screen ? rows - used - 2 : 20;

		for (int i = 0; i < s->n && i < room && s->rows[i].delta > 0; i++) {
			char ib[PATH_MAX + 32];

			line(cols, "%10.0f %6.2f%%  %-10.10s %-20.20s %s", s->rows[i].delta,
			    sum > 0 ? 100.0 * s->rows[i].delta / sum : 0.0, s->rows[i].name,
			    image_label(s, &s->rows[i], ib, sizeof(ib), 20), s->rows[i].symbol);
		}
	}
	qsort(s->rows, (size_t)s->n, sizeof(*s->rows), row_cmp_key);
	if (screen) {
		fputs("\033[J", stdout);	/* clear the rest of the screen */
		if (tty_raw)
			printf("\033[%d;1H(q to quit, refresh every %.1f s)\033[K", rows, c->delay_s);
	} else {
		line(cols, "%s", "");
	}
	fflush(stdout);
}

/* The first line of the daemon's --status ("state: sampling" -> "sampling"). */
static void
daemon_state(const struct ctl *c, char *out, size_t len)
{
	char reply[XP_PROTO_MAX_PAYLOAD + 1], *nl;
	int r = ctl_request(c, XP_REQ_STATUS, NULL, 0, reply, sizeof(reply));

	if (r != XP_REP_OK) {
		snprintf(out, len, "xenprofd not answering");
		return;
	}
	if ((nl = strchr(reply, '\n')) != NULL)
		*nl = '\0';
	snprintf(out, len, "%.100s", strncmp(reply, "state: ", 7) == 0 ? reply + 7 : reply);
}

/* Wait up to SECONDS for a key; 1 if the user asked to quit. */
static int
wait_keys(double seconds)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		double left;
		int r;

		if (quit_sig)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = seconds - (double)(t.tv_sec - t0.tv_sec) - (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
		if (left <= 0 || winch)
			return 0;
		r = poll(&p, tty_raw ? 1 : 0, (int)(left * 1000) + 1);
		if (r > 0) {
			char ch;
			ssize_t n = read(0, &ch, 1);

			if (n == 1 && (ch == 'q' || ch == 'Q' || ch == 3 || ch == 4))
				return 1;
			if (n == 1 && (ch == ' ' || ch == '\n'))
				return 0;	/* refresh now */
			if (n == 0)	/* tty gone */
				return 1;
		}
	}
}

static int
ctl_top_exec(struct ctl *c)
{
	char report[PATH_MAX], err[1024], state[128];
	struct snap prev = { 0 }, cur;
	struct sigaction sa;
	struct timespec last, now;
	int rc = 0;

	if (ctl_find_report(report, sizeof(report)) == -1) {
		warnx("--top: cannot find xenprof-report (looked for %s); set XENPROF_REPORT=/path/to/xenprof-report",
		    report);
		return 1;
	}
	if (!ctl_daemon_pid(c)) {
		warnx("--top: xenprofd is not running on %s (start it with --start)", c->sessdir);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((scr = isatty(1))) {
		tty_setup();
		fputs("\033[H\033[2J", stdout);
	}
	clock_gettime(CLOCK_MONOTONIC, &last);
	for (int frame = 0; !quit_sig; frame++) {
		char reply[XP_PROTO_MAX_PAYLOAD + 1];
		const char *msg = NULL;
		double sum, interval;
		int r;

		r = ctl_request(c, XP_REQ_DUMP, NULL, 0, reply, sizeof(reply));
		if (r == -1) {
			tty_restore();
			if (isatty(1))
				printf("\n");
			warnx("--top: xenprofd on %s has gone away", c->sessdir);
			rc = 1;
			break;
		}
		if (r != XP_REP_OK)
			msg = reply;
		daemon_state(c, state, sizeof(state));
		clock_gettime(CLOCK_MONOTONIC, &now);
		interval = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
		last = now;
		if (snap_take(c, report, &cur, err, sizeof(err)) == -1) {
			/* No samples yet (no current session): an empty frame. */
			memset(&cur, 0, sizeof(cur));
			msg = msg ? msg : err;
		}
		sum = snap_delta(&cur, &prev);
		render(c, &cur, sum, frame ? cur.lost - prev.lost : cur.lost, state, frame, interval, msg);
		snap_free(&prev);
		prev = cur;
		if (c->iterations && frame + 1 >= c->iterations)
			break;
		winch = 0;
		if (wait_keys(c->delay_s))
			break;
	}
	snap_free(&prev);
	if (tty_raw) {
		int rows, cols;

		screen_size(&rows, &cols);
		printf("\033[%d;1H\033[K", rows);
		tty_restore();
	}
	return rc;
}

const struct ctl_cmd ctl_top_cmd = {
	.name = "top",
	.usage = "--top [-d SECONDS] [-n FRAMES]\n"
	    "                            live per-domain and per-symbol shares of a running daemon",
	.needs_root = true,
	.exec = ctl_top_exec,
};
