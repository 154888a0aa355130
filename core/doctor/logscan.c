/* logscan.c: reading the mail logs, bounded, and grouping what they say.
 *
 * A file is read in two bounded steps (see logscan.h): a binary search over
 * its last max_bytes for the first line of the time window, each probe a
 * 4 KiB read (more, up to LOGSCAN_PROBE_MAX, while no timestamp shows),
 * then one forward pass from there in 64 KiB reads with a line buffer of
 * LOGSCAN_LINE_MAX bytes.  Memory does not grow with the file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/conf/conf.h"
#include "core/doctor/logscan.h"
#include "core/doctor/logscan_int.h"
#include "core/lib/fsroot.h"
#include "core/lib/json.h"
#include "core/lib/util.h"
#include "core/site/site.h"

#define LOGSCAN_CHUNK		(64u * 1024)
#define LOGSCAN_PROBE		4096u
#define LOGSCAN_PROBE_MAX	(128u * 1024)

struct logscan_int {
	struct strmap	 groups;	/* group key -> index in matches */
	struct strmap	 seen;		/* program bases of earlier sources */
	struct strv	 seen_now;	/* of the source being read */
	struct strmap	 files;		/* "dev:ino" of files read */
	char		*source;	/* name of the source being read */
	size_t		 src;		/* its index in sources */
	char		 line[LOGSCAN_LINE_MAX];
	size_t		 len;		/* bytes in line */
	int		 cut;		/* the line went past LOGSCAN_LINE_MAX */
};

struct logscan *
logscan_new(const struct logscan_opts *opts)
{
	struct logscan *ls = xcalloc(1, sizeof *ls);

	if (opts != NULL)
		ls->opts = *opts;
	if (ls->opts.now == 0)
		ls->opts.now = time(NULL);
	if (ls->opts.window == 0)
		ls->opts.window = LOGSCAN_WINDOW;
	if (ls->opts.max_bytes == 0)
		ls->opts.max_bytes = LOGSCAN_MAX_BYTES;
	if (ls->opts.timeout_ms == 0)
		ls->opts.timeout_ms = 10000;
	if (ls->opts.window > 0)
		ls->since = ls->opts.now - ls->opts.window;
	ls->in = xcalloc(1, sizeof *ls->in);
	strmap_init(&ls->in->groups);
	strmap_init(&ls->in->seen);
	strv_init(&ls->in->seen_now);
	strmap_init(&ls->in->files);
	return ls;
}

void
logscan_free(struct logscan *ls)
{
	struct logscan_match *m;
	size_t i;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->nmatches; i++) {
		m = &ls->matches[i];
		free(m->program);
		free(m->endpoint);
		free(m->address);
		free(m->domain);
		free(m->detail);
		free(m->line);
		free(m->source);
	}
	free(ls->matches);
	for (i = 0; i < ls->nsources; i++) {
		free(ls->sources[i].name);
		free(ls->sources[i].why);
	}
	free(ls->sources);
	strmap_free(&ls->in->groups);
	strmap_free(&ls->in->seen);
	strv_free(&ls->in->seen_now);
	strmap_free(&ls->in->files);
	free(ls->in->source);
	free(ls->in);
	free(ls);
}

/* --- timestamps and the parts of a line --- */

/* Two digits at p as a number, or -1. */
static int
num2(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* "hh:mm:ss" at p into tm; 0 or -1. */
static int
parse_hms(const char *p, struct tm *tm)
{
	tm->tm_hour = num2(p);
	tm->tm_min = num2(p + 3);
	tm->tm_sec = num2(p + 6);
	if (p[2] != ':' || p[5] != ':' || tm->tm_hour < 0 ||
	    tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
	    tm->tm_sec < 0 || tm->tm_sec > 60)
		return -1;
	return 0;
}

/* Skip ".digits" at p (a fraction of a second). */
static const char *
skip_frac(const char *p, const char *end)
{
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			;
	return p;
}

/* The time of local date tm in year y (tm_year form), or -1. */
static time_t
local_time(const struct tm *in, int y)
{
	struct tm tm = *in;

	tm.tm_year = y;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* RFC 3164 "Mmm dd hh:mm:ss[.frac] " (dd: " 1", "01" or "1 "... as
 * written); the year is now's, or the year before for a date more than a
 * day ahead of now. */
static const char *
parse_3164(const char *p, const char *end, time_t now, time_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm, nowtm;
	const char *m;
	int day;

	if (end - p < 15 || p[3] != ' ' || p[6] != ' ')
		return NULL;
	memset(&tm, 0, sizeof tm);
	for (m = months; *m != '\0'; m += 3)
		if (memcmp(p, m, 3) == 0)
			break;
	if (*m == '\0')
		return NULL;
	tm.tm_mon = (m - months) / 3;
	if (p[4] == ' ' && p[5] >= '1' && p[5] <= '9')
		day = p[5] - '0';
	else
		day = num2(p + 4);
	if (day < 1 || day > 31 || parse_hms(p + 7, &tm) != 0)
		return NULL;
	tm.tm_mday = day;
	p = skip_frac(p + 15, end);
	if (p >= end || *p != ' ')
		return NULL;
	localtime_r(&now, &nowtm);
	*t = local_time(&tm, nowtm.tm_year);
	if (*t != (time_t)-1 && *t > now + 86400)
		*t = local_time(&tm, nowtm.tm_year - 1);
	if (*t == (time_t)-1)
		return NULL;
	return p + 1;
}

/* ISO 8601 / RFC 3339 "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|+hhmm|) ". */
static const char *
parse_iso(const char *p, const char *end, time_t *t)
{
	struct tm tm;
	int y1, y2, off = 0, sign, zh, zm;

	if (end - p < 20 || p[4] != '-' || p[7] != '-' ||
	    (p[10] != 'T' && p[10] != ' '))
		return NULL;
	memset(&tm, 0, sizeof tm);
	y1 = num2(p);
	y2 = num2(p + 2);
	tm.tm_mon = num2(p + 5) - 1;
	tm.tm_mday = num2(p + 8);
	if (y1 < 0 || y2 < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || parse_hms(p + 11, &tm) != 0)
		return NULL;
	tm.tm_year = y1 * 100 + y2 - 1900;
	p = skip_frac(p + 19, end);
	if (p < end && *p == 'Z')
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		if (end - p < 5 || (zh = num2(p + 1)) < 0 || zh > 23)
			return NULL;
		p += 3;
		if (*p == ':')
			p++;
		if (end - p < 2 || (zm = num2(p)) < 0 || zm > 59)
			return NULL;
		p += 2;
		off = sign * (zh * 3600 + zm * 60);
	} else {
		if (p >= end || *p != ' ')
			return NULL;
		tm.tm_isdst = -1;
		*t = mktime(&tm);
		return *t == (time_t)-1 ? NULL : p + 1;
	}
	if (p >= end || *p != ' ')
		return NULL;
	*t = timegm(&tm) - off;
	return p + 1;
}

/* A syslog tag "prog[pid]:" or "prog:" at p (followed by a blank or the
 * end); fills out and returns the start of the message, or NULL. */
static const char *
parse_tag(const char *p, const char *end, struct logscan_line *out)
{
	const char *q = p;
	long pid = 0;

	while (q < end && q - p < 128 && *q != '[' && *q != ':' &&
	    *q != ' ')
		q++;
	if (q == p || q >= end || *q == ' ')
		return NULL;
	out->prog = p;
	out->proglen = q - p;
	if (*q == '[') {
		for (q++; q < end && *q >= '0' && *q <= '9' && pid < 1000000000;
		    q++)
			pid = pid * 10 + (*q - '0');
		if (q >= end || *q != ']')
			return NULL;
		q++;
	}
	if (q >= end || *q != ':')
		return NULL;
	q++;
	if (q < end && *q != ' ')
		return NULL;
	out->pid = pid;
	return q < end ? q + 1 : q;
}

int
logscan_parse_line(const char *line, size_t len, time_t now,
    struct logscan_line *out)
{
	const char *end, *p, *h, *m;

	if (len > LOGSCAN_LINE_MAX)
		len = LOGSCAN_LINE_MAX;
	end = line + len;
	memset(out, 0, sizeof *out);
	out->msg = line;
	out->msglen = len;
	if ((p = parse_3164(line, end, now, &out->t)) == NULL &&
	    (p = parse_iso(line, end, &out->t)) == NULL) {
		out->t = 0;
		return -1;
	}
	out->msg = p;
	out->msglen = end - p;
	if ((m = parse_tag(p, end, out)) == NULL) {
		/* A host name first. */
		for (h = p; h < end && *h != ' '; h++)
			;
		if (h < end && (m = parse_tag(h + 1, end, out)) == NULL)
			m = h + 1;
		else if (h >= end)
			m = p;
	}
	out->msg = m;
	out->msglen = end - m;
	return 0;
}

/* --- matches --- */

/* A sanitized copy of [p, p + n) when n > 0, else NULL. */
static char *
safe_span(const char *p, size_t n)
{
	return n == 0 ? NULL : str_sanitize(p, n);
}

static char *
safe_str(const char *s)
{
	return s == NULL ? NULL : str_sanitize(s, strlen(s));
}

/* The latest line of a group: sanitized, at most LOGSCAN_LINE_SHOWN
 * bytes (cut on a UTF-8 boundary), "..." when cut. */
static char *
shown_line(const char *p, size_t n)
{
	char *s, *r;
	size_t k = n;

	if (k <= LOGSCAN_LINE_SHOWN)
		return str_sanitize(p, k);
	k = LOGSCAN_LINE_SHOWN;
	while (k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80)
		k--;
	s = str_sanitize(p, k);
	r = xasprintf("%s...", s);
	free(s);
	return r;
}

/* Record hit h of line l (raw text p, n) in its group. */
static void
logscan_add(struct logscan *ls, const struct logscan_line *l,
    const char *p, size_t n, struct logscan_hit *h)
{
	struct logscan_match *m;
	char *prog, *key;
	size_t i;

	prog = l->proglen > 0 ? xstrndup(l->prog, l->proglen) : xstrdup("");
	key = xasprintf("%d\n%s\n%s\n%s\n%s", (int)h->cause, prog,
	    h->endpoint != NULL ? h->endpoint : "",
	    h->address != NULL ? h->address : "",
	    h->domain != NULL ? h->domain : "");
	ls->stats.matched++;
	if (ls->nsources > 0)
		ls->sources[ls->in->src].matched++;
	if (!strmap_get(&ls->in->groups, key, &i)) {
		if (ls->nmatches >= LOGSCAN_MAX_GROUPS) {
			ls->stats.overflow++;
			goto done;
		}
		i = ls->nmatches;
		ls->matches = xgrow(ls->matches, ls->nmatches++,
		    sizeof *ls->matches);
		m = &ls->matches[i];
		m->cause = h->cause;
		m->first = l->t;
		m->program = l->proglen > 0 ? safe_span(l->prog, l->proglen) :
		    NULL;
		m->endpoint = safe_str(h->endpoint);
		m->address = safe_str(h->address);
		m->domain = safe_str(h->domain);
		m->source = safe_str(ls->in->source);
		strmap_put(&ls->in->groups, key, i);
	}
	m = &ls->matches[i];
	m->count++;
	if (l->t != 0 && (m->first == 0 || l->t < m->first))
		m->first = l->t;
	if (l->t >= m->last) {
		m->last = l->t;
		m->pid = l->pid;
		free(m->detail);
		m->detail = safe_str(h->detail);
		free(m->line);
		m->line = shown_line(p, n);
	}
done:
	free(key);
	free(prog);
}

/* Has the program of l been read from an earlier source?  Notes it for
 * this one otherwise. */
static int
logscan_dup(struct logscan *ls, const struct logscan_line *l)
{
	char base[129];
	size_t n, v;

	for (n = 0; n < l->proglen && n < sizeof base - 1 &&
	    l->prog[n] != '/'; n++)
		base[n] = l->prog[n];
	base[n] = '\0';
	if (n == 0)
		return 0;
	if (strmap_get(&ls->in->seen, base, &v))
		return 1;
	strv_add_unique(&ls->in->seen_now, base);
	return 0;
}

/* One parsed line: window, duplicates, rules. */
static void
logscan_line_parsed(struct logscan *ls, const struct logscan_line *l,
    const char *p, size_t n)
{
	struct logscan_hit h;

	if (ls->since != 0 && l->t != 0 && l->t < ls->since)
		return;
	ls->stats.in_window++;
	if (ls->nsources > 0)
		ls->sources[ls->in->src].lines++;
	if (logscan_dup(ls, l)) {
		ls->stats.duplicates++;
		return;
	}
	if (logscan_rules_match(l->msg, l->msglen, &h)) {
		logscan_add(ls, l, p, n, &h);
		logscan_hit_free(&h);
	}
}

/* One raw syslog line (no newline). */
static void
logscan_line(struct logscan *ls, const char *p, size_t n)
{
	struct logscan_line l;

	ls->stats.lines++;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return;
	logscan_parse_line(p, n, ls->opts.now, &l);
	logscan_line_parsed(ls, &l, p, n);
}

/* --- sources --- */

static struct logscan_source *
source_begin(struct logscan *ls, const char *name)
{
	struct logscan_source *s;

	ls->sources = xgrow(ls->sources, ls->nsources, sizeof *ls->sources);
	ls->in->src = ls->nsources;
	s = &ls->sources[ls->nsources++];
	s->name = xstrdup(name);
	s->state = LOGSCAN_READ;
	free(ls->in->source);
	ls->in->source = xstrdup(name);
	strv_free(&ls->in->seen_now);
	strv_init(&ls->in->seen_now);
	ls->in->len = 0;
	ls->in->cut = 0;
	return s;
}

/* The programs of the source just read count as seen from now on. */
static void
source_end(struct logscan *ls)
{
	size_t i;

	for (i = 0; i < ls->in->seen_now.n; i++)
		strmap_put(&ls->in->seen, ls->in->seen_now.v[i], 1);
	strv_free(&ls->in->seen_now);
	strv_init(&ls->in->seen_now);
}

static void
source_fail(struct logscan_source *s, enum logscan_state state,
    const char *why)
{
	s->state = state;
	free(s->why);
	s->why = xstrdup(why);
}

/* Feed bytes of a stream of lines; a line past LOGSCAN_LINE_MAX keeps its
 * first bytes only. */
static void
logscan_feed(struct logscan *ls, const char *p, size_t n)
{
	struct logscan_int *in = ls->in;
	const char *nl;
	size_t k, room;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		room = sizeof in->line - in->len;
		if (k > room) {
			if (!in->cut)
				ls->stats.cut++;
			in->cut = 1;
		}
		memcpy(in->line + in->len, p, k < room ? k : room);
		in->len += k < room ? k : room;
		if (nl == NULL)
			return;
		logscan_line(ls, in->line, in->len);
		in->len = 0;
		in->cut = 0;
		p = nl + 1;
		n -= k + 1;
	}
}

/* The last line of a stream without its newline. */
static void
logscan_flush(struct logscan *ls)
{
	if (ls->in->len > 0)
		logscan_line(ls, ls->in->line, ls->in->len);
	ls->in->len = 0;
	ls->in->cut = 0;
}

void
logscan_text(struct logscan *ls, const char *name, const char *text,
    size_t len)
{
	struct logscan_source *s = source_begin(ls, name);

	s->size = s->bytes = len;
	logscan_feed(ls, text, len);
	logscan_flush(ls);
	source_end(ls);
}

/* pread that counts what it read. */
static ssize_t
logscan_pread(struct logscan *ls, int fd, char *buf, size_t n, off_t off)
{
	ssize_t got;

	do
		got = pread(fd, buf, n, off);
	while (got == -1 && errno == EINTR);
	if (got > 0) {
		ls->stats.bytes_read += got;
		ls->sources[ls->in->src].bytes += got;
	}
	return got;
}

/*
 * The time of the first line that starts after offset off (or at it, for
 * the start of the file), read in probe steps up to LOGSCAN_PROBE_MAX.
 * Returns 0 with *t, or -1 when none shows (or at the end of the file).
 */
static int
logscan_probe(struct logscan *ls, int fd, off_t off, off_t lim, time_t *t)
{
	char buf[LOGSCAN_PROBE + 1];
	struct logscan_line l;
	const char *p, *e, *nl;
	off_t done = 0;
	ssize_t got;
	int first = off != 0;

	while (done < (off_t)LOGSCAN_PROBE_MAX && off + done < lim) {
		got = logscan_pread(ls, fd, buf, LOGSCAN_PROBE, off + done);
		if (got <= 0)
			return -1;
		p = buf;
		e = buf + got;
		if (first) {
			if ((nl = memchr(p, '\n', e - p)) == NULL) {
				done += got;
				continue;
			}
			p = nl + 1;
			first = 0;
		}
		while (p < e && (nl = memchr(p, '\n', e - p)) != NULL) {
			if (logscan_parse_line(p, nl - p, ls->opts.now, &l) == 0) {
				*t = l.t;
				return 0;
			}
			p = nl + 1;
		}
		/* Step on from the last line start seen. */
		done += p > buf ? p - buf : got;
	}
	return -1;
}

/* The offset to read from: the window's first line found by bisection
 * within [lo, size), each step one probe (about log2(size - lo) / 4 KiB
 * of them); none when the line at lo is inside the window already. */
static off_t
logscan_window_start(struct logscan *ls, int fd, off_t lo, off_t size)
{
	off_t hi = size, mid;
	time_t t;

	if (ls->since == 0)
		return lo;
	/* The whole bounded part inside the window: no search. */
	if (logscan_probe(ls, fd, lo, hi, &t) == 0 && t >= ls->since)
		return lo;
	while (hi - lo > (off_t)LOGSCAN_PROBE) {
		mid = lo + (hi - lo) / 2;
		if (logscan_probe(ls, fd, mid, hi, &t) != 0)
			break;
		if (t < ls->since)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Read [from, size) of fd, skipping a partial first line unless from is
 * the start of the file. */
static void
logscan_read(struct logscan *ls, int fd, off_t from, off_t size)
{
	char *buf = xmalloc(LOGSCAN_CHUNK);
	const char *p, *nl;
	int skip = from != 0;
	ssize_t got;

	while (from < size) {
		got = logscan_pread(ls, fd, buf, LOGSCAN_CHUNK, from);
		if (got <= 0)
			break;
		from += got;
		p = buf;
		if (skip) {
			if ((nl = memchr(buf, '\n', got)) == NULL)
				continue;
			skip = 0;
			p = nl + 1;
		}
		logscan_feed(ls, p, got - (p - buf));
	}
	logscan_flush(ls);
	free(buf);
}

int
logscan_file(struct logscan *ls, const char *root, const char *path,
    char **cause)
{
	struct logscan_source *s = source_begin(ls, path);
	struct stat sb;
	char *host, *why = NULL, *key;
	off_t lo;
	size_t v;
	int fd, rc = -1, err = 0;

	if ((host = fsroot_host(root, path, 1, &why)) == NULL) {
		err = errno;
		source_fail(s, err == ENOENT ? LOGSCAN_MISSING :
		    LOGSCAN_FAILED, why);
		error_set(cause, "%s", why);
		free(why);
		errno = err;
		return -1;
	}
	fd = open(host, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
	    (fsroot_is_system(root) ? 0 : O_NOFOLLOW));
	if (fd == -1 || fstat(fd, &sb) != 0) {
		err = errno;
		why = xasprintf("%s: %s", path, strerror(err));
		source_fail(s, err == ENOENT ? LOGSCAN_MISSING :
		    LOGSCAN_FAILED, why);
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		why = xasprintf("%s: not a regular file", path);
		source_fail(s, LOGSCAN_FAILED, why);
		err = EINVAL;
		goto out;
	}
	key = xasprintf("%llu:%llu", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino);
	if (strmap_get(&ls->in->files, key, &v)) {
		why = xasprintf("the same file as %s", ls->sources[v].name);
		source_fail(s, LOGSCAN_SKIPPED, why);
		free(key);
		free(why);
		why = NULL;
		rc = 0;
		goto out;
	}
	strmap_put(&ls->in->files, key, ls->in->src);
	free(key);
	s->size = sb.st_size;
	lo = (uint64_t)sb.st_size > ls->opts.max_bytes ?
	    sb.st_size - (off_t)ls->opts.max_bytes : 0;
	lo = logscan_window_start(ls, fd, lo, sb.st_size);
	logscan_read(ls, fd, lo, sb.st_size);
	source_end(ls);
	rc = 0;
out:
	if (rc != 0 && why != NULL)
		error_set(cause, "%s", why);
	free(why);
	if (fd != -1)
		close(fd);
	free(host);
	if (rc != 0)
		errno = err;
	return rc;
}

/* Postfix's maillog_file, when main.cf sets one to an absolute path
 * without parameters to expand; borrowed from the kept document. */
static const char *
logscan_maillog_file(const struct site *site)
{
	const struct site_program *pf = site_program(site, "postfix");
	const struct site_fact *f = site_fact(site, "postfix",
	    "maillog_file");
	const struct conf_doc *doc;
	const char *v = f != NULL ? f->value : NULL;

	if (v == NULL && pf != NULL && pf->config != NULL &&
	    (doc = site_doc(site, pf->config)) != NULL)
		v = conf_get(doc, "maillog_file");
	if (v == NULL || *v != '/' || strchr(v, '$') != NULL)
		return NULL;
	return v;
}

/* Was the last source read (not skipped as a file read before)? */
static int
logscan_last_read(const struct logscan *ls)
{
	return ls->nsources > 0 &&
	    ls->sources[ls->nsources - 1].state == LOGSCAN_READ;
}

void
logscan_site_files(const struct site *site, struct strv *paths)
{
	static const char *const std[] = { "/var/log/mail.log",
	    "/var/log/maillog", "/var/log/syslog", NULL };
	const char *mf = logscan_maillog_file(site);
	int i;

	if (mf != NULL)
		strv_add(paths, mf);
	for (i = 0; std[i] != NULL; i++)
		if (mf == NULL || strcmp(mf, std[i]) != 0)
			strv_add(paths, std[i]);
}

int
logscan_site(struct logscan *ls, const struct site *site)
{
	struct strv paths;
	size_t i;
	int n = 0;

	strv_init(&paths);
	logscan_site_files(site, &paths);
	for (i = 0; i < paths.n; i++)
		if (logscan_file(ls, site->root, paths.v[i], NULL) == 0)
			n += logscan_last_read(ls);
	strv_free(&paths);
	if (ls->opts.journal && fsroot_is_system(site->root) &&
	    logscan_journal(ls, NULL) == 0)
		n++;
	return n;
}

/* --- output --- */

/* "YYYY-MM-DD hh:mm:ss" (local time) of t into buf, or "?". */
static void
logscan_when(time_t t, char *buf, size_t len, int date)
{
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(buf, len, date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
}

char *
logscan_match_text(const struct logscan_match *m)
{
	struct buf b;
	char last[32], first[32];

	buf_init(&b);
	logscan_when(m->last, last, sizeof last, 1);
	buf_printf(&b, "%s %s %s", last,
	    m->program != NULL ? m->program : "-", logscan_cause_id(m->cause));
	if (m->endpoint != NULL)
		buf_printf(&b, " %s", m->endpoint);
	if (m->address != NULL)
		buf_printf(&b, " address %s", m->address);
	if (m->domain != NULL)
		buf_printf(&b, " domain %s", m->domain);
	if (m->count > 1) {
		logscan_when(m->first, first, sizeof first,
		    m->last - m->first >= 86400);
		buf_printf(&b, " (x%zu since %s)", m->count, first);
	}
	buf_printf(&b, ": %s", m->line != NULL ? m->line : "");
	return buf_steal(&b);
}

/* t as ISO 8601 UTC, or null. */
static void
json_time(struct json *j, const char *key, time_t t)
{
	struct tm tm;
	char buf[32];

	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		json_string(j, key, NULL);
		return;
	}
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_string(j, key, buf);
}

static const char *
logscan_state_name(enum logscan_state s)
{
	switch (s) {
	case LOGSCAN_READ:
		return "read";
	case LOGSCAN_MISSING:
		return "missing";
	case LOGSCAN_FAILED:
		return "failed";
	case LOGSCAN_SKIPPED:
		return "skipped";
	}
	return "unknown";
}

static void
logscan_json_match(struct json *j, const struct logscan_match *m)
{
	json_object_begin(j, NULL);
	json_string(j, "cause", logscan_cause_id(m->cause));
	json_string(j, "title", logscan_cause_title(m->cause));
	json_int(j, "count", (long long)m->count);
	json_time(j, "first", m->first);
	json_time(j, "last", m->last);
	json_string(j, "program", m->program);
	if (m->pid != 0)
		json_int(j, "pid", m->pid);
	else
		json_string(j, "pid", NULL);
	json_string(j, "endpoint", m->endpoint);
	json_string(j, "address", m->address);
	json_string(j, "domain", m->domain);
	json_string(j, "detail", m->detail);
	json_string(j, "line", m->line);
	json_string(j, "source", m->source);
	json_object_end(j);
}

void
logscan_json(struct json *j, const char *key, const struct logscan *ls)
{
	const struct logscan_source *s;
	size_t i;

	json_object_begin(j, key);
	json_object_begin(j, "window");
	json_time(j, "since", ls->since);
	json_time(j, "until", ls->opts.now);
	json_object_end(j);
	json_int(j, "max_bytes", (long long)ls->opts.max_bytes);
	json_array_begin(j, "sources");
	for (i = 0; i < ls->nsources; i++) {
		s = &ls->sources[i];
		json_object_begin(j, NULL);
		json_string(j, "name", s->name);
		json_string(j, "state", logscan_state_name(s->state));
		json_string(j, "why", s->why);
		json_int(j, "size", (long long)s->size);
		json_int(j, "bytes", (long long)s->bytes);
		json_int(j, "lines", (long long)s->lines);
		json_int(j, "matched", (long long)s->matched);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "matches");
	for (i = 0; i < ls->nmatches; i++)
		logscan_json_match(j, &ls->matches[i]);
	json_array_end(j);
	json_object_begin(j, "stats");
	json_int(j, "bytes_read", (long long)ls->stats.bytes_read);
	json_int(j, "lines", (long long)ls->stats.lines);
	json_int(j, "in_window", (long long)ls->stats.in_window);
	json_int(j, "matched", (long long)ls->stats.matched);
	json_int(j, "cut", (long long)ls->stats.cut);
	json_int(j, "duplicates", (long long)ls->stats.duplicates);
	json_int(j, "overflow", (long long)ls->stats.overflow);
	json_object_end(j);
	json_object_end(j);
}

void
logscan_journal_line(struct logscan *ls, const struct logscan_line *l,
    const char *p, size_t n)
{
	ls->stats.lines++;
	logscan_line_parsed(ls, l, p, n);
}

struct logscan_source *
logscan_journal_begin(struct logscan *ls)
{
	return source_begin(ls, "journal");
}

void
logscan_journal_end(struct logscan *ls)
{
	source_end(ls);
}
