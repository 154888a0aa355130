/* sendtest.c: the test message sent by one route and followed to the
 * receiver's answer (sendtest.h).
 *
 * A test goes through the phases of sendtest.h as a small state machine
 * of its own: RESOLVING (SERVER's name, DIRECT's MX hosts and their AAAA
 * and A, on a resolver of the test's own, made like the session's, so
 * that freeing the test cancels its lookups and no answer reaches a freed
 * test), SENDING (one SMTP session per host tried, or the sendmail child),
 * FOLLOWING (the queue id in the MTA's log: core/mail/follow.h; for
 * sendmail, whose queue id Postfix does not print, first the cleanup
 * line that names the Message-ID), DONE.  The end is reported from a
 * zero-delay timer of the test's own, so on_done runs with no other
 * module's frame under it and may free the test.
 */
#include "core/mail/sendtest.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/apply/manifest.h"
#include "core/dns/dns.h"
#include "core/doctor/logscan.h"
#include "core/doctor/remote.h"
#include "core/lib/dnsname.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"
#include "core/lib/proc.h"
#include "core/mail/compose.h"
#include "core/mail/follow.h"
#include "core/mail/smtp.h"
#include "core/site/session.h"
#include "core/site/site.h"

/* The follow's limit when the options give none. */
#define ST_FOLLOW_MS	120000
/* The sendmail child's limit when the options give no SMTP timeout. */
#define ST_SENDMAIL_MS	60000
/* MX hosts tried at most (the rest are named, not tried). */
#define ST_MX_MAX	10
/* Tests the history keeps; older lines are dropped when one is added. */
#define ST_HISTORY_KEEP	1000
/* How often the logs are read for sendmail's queue id. */
#define ST_SCAN_MS	250
/* Bytes of a log read for it in one go, per file. */
#define ST_SCAN_CHUNK	(1024 * 1024)
/* A log line longer than this is skipped (follow.h's bound too). */
#define ST_SCAN_LINE	8192
/* Octets of the sendmail child's output shown. */
#define ST_PROC_SHOWN	2000

static const char *const st_route_names[SENDTEST_NROUTES] = {
	"local", "submission", "server", "sendmail", "direct"
};

static const char *const st_phase_names[] = {
	"resolving", "sending", "following", "done"
};

/* One host a session is tried with: SERVER's, or an MX host. */
struct st_host {
	char		*name;		/* NULL: the address was given */
	int		 pref;
	struct strv	 v6, v4;	/* canonical addresses */
	int		 pending;	/* lookups in flight */
	char		*why;		/* what the lookups said, when no
					 * address came */
};

/* The logs read for sendmail's queue id: each file from where it ended
 * before sendmail ran. */
struct st_scan {
	struct strv	 paths;		/* site paths */
	off_t		*off;
	uint64_t	 timer;
	int64_t		 deadline;
	int		 readable;	/* some file could be read */
};

struct sendtest {
	struct session		*s;
	struct loop		*loop;
	struct sendtest_opts	 o;		/* its strings are those below */
	char			*to, *from, *domain, *server, *user, *pass;
	char			*sendmail, *cafile, *history;
	char			*helo;
	enum sendtest_phase	 phase;
	struct sendtest_result	 res;
	struct strv		 log;
	int			 live;		/* lines go to on_line */
	struct compose		 msg;
	int64_t			 t0;

	struct dns		*dns;
	struct st_host		*hosts;
	size_t			 nhosts, hi;
	unsigned		 port;
	char			*mx_domain;	/* DIRECT: the recipient's */
	size_t			 connect_fails;

	struct smtp		*smtp;
	struct proc		*proc;
	struct follow_mark	*mark;
	struct follow		*follow;
	struct st_scan		*scan;

	uint64_t		 timer;
	int			 freeing;
	int			 finished;
};

const char *
sendtest_route_name(enum sendtest_route r)
{
	if ((unsigned)r >= SENDTEST_NROUTES)
		return "?";
	return st_route_names[r];
}

int
sendtest_route_from_name(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < SENDTEST_NROUTES; i++)
		if (strcmp(name, st_route_names[i]) == 0)
			return i;
	return -1;
}

const char *
sendtest_phase_name(enum sendtest_phase p)
{
	if ((unsigned)p > SENDTEST_DONE)
		return "?";
	return st_phase_names[p];
}

const char *
sendtest_verdict_name(enum sendtest_verdict v)
{
	switch (v) {
	case SENDTEST_ACCEPTED:
		return "accepted";
	case SENDTEST_DEFERRED:
		return "deferred";
	case SENDTEST_REJECTED:
		return "rejected";
	case SENDTEST_UNREACHABLE:
		return "unreachable";
	}
	return "?";
}

/* --- small helpers --- */

static void st_log(struct sendtest *, const char *, ...) PRINTFLIKE(2, 3);
static void st_finish(struct sendtest *, enum sendtest_verdict, const char *,
    ...) PRINTFLIKE(3, 4);
static void st_smtp_host(struct sendtest *);
static void st_follow_start(struct sendtest *, const char *qid);

/* Replace *slot with a copy of v (NULL too). */
static void
st_set(char **slot, const char *v)
{
	free(*slot);
	*slot = v != NULL ? xstrdup(v) : NULL;
}

/* Text from elsewhere made safe for a transcript line.  Caller frees. */
static char *
st_safe(const char *s)
{
	return str_shown(s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* A transcript line (text already safe), to on_line once the test runs. */
static void
st_log(struct sendtest *st, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(&st->log, line);
	if (st->live && st->o.on_line != NULL)
		st->o.on_line(line, st->o.arg);
	free(line);
}

static void
st_phase(struct sendtest *st, enum sendtest_phase p)
{
	st->phase = p;
	if (st->o.on_phase != NULL)
		st->o.on_phase(p, st->o.arg);
}

/* "127.0.0.1:25", "[::1]:25". */
static char *
st_hostport(const char *addr, unsigned port)
{
	return strchr(addr, ':') != NULL ? xasprintf("[%s]:%u", addr, port) :
	    xasprintf("%s:%u", addr, port);
}

/* --- the mail-tester address --- */

char *
sendtest_mailtester_url(const char *addr)
{
	const char *at, *dom, *p;
	size_t n;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL || at == addr ||
	    at - addr > 64)
		return NULL;
	dom = at + 1;
	n = strlen(dom);
	if (n > 0 && dom[n - 1] == '.')
		n--;
	/* mail-tester.com itself, or one srvN. label under it. */
	if (!(n == 15 && strncasecmp(dom, "mail-tester.com", 15) == 0)) {
		if (n <= 16 || strncasecmp(dom + n - 16, ".mail-tester.com",
		    16) != 0 || strncasecmp(dom, "srv", 3) != 0)
			return NULL;
		for (p = dom + 3; p < dom + n - 16; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-'))
				return NULL;
	}
	for (p = addr; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.'))
			return NULL;
	return xasprintf("https://www.mail-tester.com/%.*s", (int)(at - addr),
	    addr);
}

/* --- SERVER's HOST[:PORT] --- */

/* A port of 1..65535, digits only; 0 when it is not one. */
static unsigned
st_port(const char *s)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	return v >= 1 && v <= 65535 ? (unsigned)v : 0;
}

/*
 * "HOST", "HOST:PORT", "[v6]", "[v6]:PORT" or a bare IPv6 address into
 * *host (canonical when numeric, else a host name in lower case without
 * its final dot) and *port (def when none given).  0, or -1 with *cause.
 */
static int
st_server_parse(const char *spec, unsigned def, char **host, unsigned *port,
    char **cause)
{
	char *h = NULL, *canon, *safe;
	const char *p, *colon;
	int family = 0;

	*host = NULL;
	*port = def;
	if (spec == NULL || *spec == '\0')
		return error_set(cause, "--server needs HOST[:PORT]");
	if (spec[0] == '[') {
		if ((p = strchr(spec, ']')) == NULL)
			goto bad;
		h = xstrndup(spec + 1, (size_t)(p - spec - 1));
		if (p[1] == ':') {
			if ((*port = st_port(p + 2)) == 0)
				goto bad;
		} else if (p[1] != '\0')
			goto bad;
		if ((canon = netaddr_canon(h, &family)) == NULL ||
		    family != AF_INET6) {
			free(canon);
			goto bad;
		}
		free(h);
		*host = canon;
		return 0;
	}
	colon = strchr(spec, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		/* Two colons or more: an IPv6 address without brackets. */
		if ((*host = netaddr_canon(spec, NULL)) == NULL)
			goto bad;
		return 0;
	}
	if (colon != NULL) {
		h = xstrndup(spec, (size_t)(colon - spec));
		if ((*port = st_port(colon + 1)) == 0)
			goto bad;
	} else
		h = xstrdup(spec);
	if ((canon = netaddr_canon(h, NULL)) != NULL) {
		free(h);
		*host = canon;
		return 0;
	}
	if (!dnsname_host_ok(h))
		goto bad;
	*host = dnsname_norm(h);
	free(h);
	return 0;
bad:
	free(h);
	safe = str_sanitize(spec, strlen(spec) > 80 ? 80 : strlen(spec));
	error_set(cause, "--server \"%s\" is not HOST[:PORT] or [IPv6]:PORT "
	    "(a host name or address, a port of 1 to 65535)", safe);
	free(safe);
	return -1;
}

/* --- the end --- */

/* The test's line of the history. */
static char *
st_history_line(const struct sendtest *st)
{
	const struct sendtest_result *r = &st->res;
	struct json j;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_int(&j, "time", (long long)r->started);
	json_string(&j, "to", r->to);
	json_string(&j, "route", sendtest_route_name(r->route));
	json_string(&j, "verdict", sendtest_verdict_name(r->verdict));
	json_string(&j, "from", r->from);
	json_string(&j, "message_id", r->message_id);
	json_string(&j, "server", r->server);
	json_string(&j, "fail", r->fail);
	json_int(&j, "code", r->code);
	json_string(&j, "enh", r->enh[0] != '\0' ? r->enh : NULL);
	json_string(&j, "reply", r->reply);
	json_string(&j, "queue_id", r->queue_id);
	json_string(&j, "follow", r->follow);
	json_string(&j, "remote_reply", r->remote_reply);
	json_string(&j, "cause", r->cause_id);
	json_string(&j, "summary", r->summary);
	json_int(&j, "elapsed_ms", r->elapsed_ms);
	json_object_end(&j);
	return json_finish(&j);
}

/* fswrite_update's callback: the old lines (the last ST_HISTORY_KEEP - 1
 * of them), then the new one. */
static int
st_history_cb(const char *old, size_t oldlen, struct buf *out, void *arg,
    char **cause)
{
	const char *line = arg, *p, *start;
	size_t nl = 0;

	(void)cause;
	if (old != NULL && oldlen > 0) {
		for (p = old; p < old + oldlen; p++)
			if (*p == '\n')
				nl++;
		if (old[oldlen - 1] != '\n')
			nl++;
		start = old;
		while (nl >= ST_HISTORY_KEEP &&
		    (p = memchr(start, '\n', (size_t)(old + oldlen - start))) !=
		    NULL) {
			start = p + 1;
			nl--;
		}
		buf_add(out, start, (size_t)(old + oldlen - start));
		if (old[oldlen - 1] != '\n')
			buf_addc(out, '\n');
	}
	buf_adds(out, line);
	return 0;
}

/* The site root of the session, or NULL. */
static const char *
st_root(const struct session *s)
{
	return s->site != NULL ? s->site->root : NULL;
}

/* Append the test to its history (never the password: it is in no
 * field of the result). */
static void
st_history(struct sendtest *st)
{
	struct fswrite_opts fo;
	const char *path = st->history != NULL ? st->history :
	    SENDTEST_HISTORY;
	char *line, *dir, *slash, *cause = NULL, *safe;

	if (st->history != NULL && *st->history == '\0')
		return;
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (*path == '/' && manifest_mkdirs(st_root(st->s), dir, 0755,
		    0755, &cause) != 0)
			goto fail;
	}
	memset(&fo, 0, sizeof fo);
	fo.mode = 0644;
	line = st_history_line(st);
	if (fswrite_update(st_root(st->s), path, &fo, st_history_cb, line,
	    &cause) != 0) {
		free(line);
		goto fail;
	}
	free(line);
	free(dir);
	return;
fail:
	safe = st_safe(cause);
	st_log(st, "* the test is not kept in the history: %s", safe);
	free(safe);
	free(cause);
	free(dir);
}

static void
st_report(void *arg)
{
	struct sendtest *st = arg;

	st->timer = 0;
	if (st->o.on_done != NULL)
		st->o.on_done(st, st->o.arg);
}

/* The test's end: verdict, summary, history, then on_done from a timer. */
static void
st_finish(struct sendtest *st, enum sendtest_verdict v, const char *fmt, ...)
{
	va_list ap;
	char *sum;

	if (st->finished)
		return;
	st->finished = 1;
	va_start(ap, fmt);
	sum = xvasprintf(fmt, ap);
	va_end(ap);
	st->res.verdict = v;
	free(st->res.summary);
	st->res.summary = sum;
	st->res.elapsed_ms = loop_now_ms() - st->t0;
	st_log(st, "* %s", sum);
	st_history(st);
	st_phase(st, SENDTEST_DONE);
	loop_timer_cancel(st->loop, st->timer);
	st->timer = loop_timer_add(st->loop, 0, st_report, st);
}

/* A reply mapped to its cause and fix (core/doctor/remote.h). */
static void
st_classify(struct sendtest *st, const char *reply)
{
	struct remote_verdict v;
	size_t i;

	if (reply == NULL || *reply == '\0')
		return;
	remote_classify(reply, strlen(reply), st->domain,
	    st->s != NULL ? st->s->site : NULL, &v);
	if (v.id != NULL) {
		st_set(&st->res.cause_id, v.id);
		st_set(&st->res.cause_title, v.title);
		st_set(&st->res.explain, v.explain);
		st_set(&st->res.fix, v.fix);
		strv_free(&st->res.records);
		strv_init(&st->res.records);
		for (i = 0; i < v.records.n; i++)
			strv_add(&st->res.records, v.records.v[i]);
		st_log(st, "* the reply means: %s (%s)", v.title, v.id);
	}
	if (st->res.code == 0 && v.code != 0) {
		st->res.code = v.code;
		snprintf(st->res.enh, sizeof st->res.enh, "%s", v.enh);
	}
	remote_verdict_free(&v);
}

/* Octets of a reply kept in a summary. */
#define ST_SUMMARY_REPLY	300

/*
 * A reply of one or more lines ("550-5.7.1 text" '\n' ...) as one line
 * for a summary: the first line's code and enhanced code, then every
 * line's text after them, blanks between, cut at ST_SUMMARY_REPLY octets
 * (never inside a UTF-8 sequence) with "...".  "" for NULL.  Caller frees.
 */
/*
 * The codes of the later lines of a reply that an MTA logged on one line
 * ("550-5.7.1 a 550-5.7.1 b 550 5.7.1 c"), taken out of b, whose first
 * 3 + 1 + el octets are the first line's code and enhanced code (el 0:
 * none).
 */
static void
st_drop_codes(struct buf *b, size_t el)
{
	char code[24], *p;
	size_t n, sep;

	if (b->len < 3)
		return;
	for (sep = 0; sep < 2; sep++) {
		/* " 550-5.7.1 " and " 550 5.7.1 " (or " 550-", " 550 "). */
		if (el > 0)
			n = (size_t)snprintf(code, sizeof code, " %.3s%c%.*s ",
			    b->data, sep == 0 ? '-' : ' ', (int)el,
			    b->data + 4);
		else
			n = (size_t)snprintf(code, sizeof code, " %.3s%s",
			    b->data, sep == 0 ? "-" : " ");
		p = b->data + 3 + (el > 0 ? el + 1 : 0);
		while ((p = strstr(p, code)) != NULL) {
			memmove(p + 1, p + n, b->len - (size_t)(p + n -
			    b->data) + 1);
			b->len -= n - 1;
		}
	}
}

static char *
st_reply_line(const char *text)
{
	struct buf b;
	const char *p, *nl, *t, *end;
	size_t el = 0, cut;

	buf_init(&b);
	for (p = text; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(p, '\n');
		end = nl != NULL ? nl : p + strlen(p);
		t = p;
		if (end - p >= 4 && p[0] >= '2' && p[0] <= '5' &&
		    (p[3] == '-' || p[3] == ' ')) {
			t = p + 4;
			if (p == text) {
				/* The code, and the enhanced code the first
				 * line has ("5.7.1"), once. */
				buf_add(&b, p, 3);
				while (t + el < end && t[el] != ' ')
					el++;
				if (el >= 5 && el < 12 && t[1] == '.' &&
				    *t == *p) {
					buf_addc(&b, ' ');
					buf_add(&b, t, el);
				} else
					el = 0;
			}
			if (el > 0 && end - t >= (ptrdiff_t)el &&
			    strncmp(t, text + 4, el) == 0 &&
			    (t + el == end || t[el] == ' '))
				t += el;
			while (t < end && *t == ' ')
				t++;
		}
		if (t < end) {
			if (b.len > 0)
				buf_addc(&b, ' ');
			buf_add(&b, t, (size_t)(end - t));
		}
	}
	st_drop_codes(&b, el);
	if (b.len > ST_SUMMARY_REPLY) {
		cut = ST_SUMMARY_REPLY;
		while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
			cut--;
		b.len = cut;
		b.data[cut] = '\0';
		buf_adds(&b, "...");
	}
	return buf_steal(&b);
}

/* --- the follow --- */

static void
st_follow_line(const char *line, void *arg)
{
	struct sendtest *st = arg;

	st_log(st, "L: %s", line);
}

static void
st_follow_done(struct follow *f, const struct follow_result *fr, void *arg)
{
	struct sendtest *st = arg;
	const char *qid = st->res.queue_id != NULL ? st->res.queue_id : "?";
	const char *relay;
	enum follow_status status = fr->status;
	char *first;

	st_set(&st->res.follow, follow_status_name(status));
	st_set(&st->res.remote_reply, fr->reply);
	st_set(&st->res.relay, fr->relay);
	if (status == FOLLOW_SENT || status == FOLLOW_BOUNCED ||
	    status == FOLLOW_DEFERRED) {
		st->res.code = 0;
		st->res.enh[0] = '\0';
		if (fr->dsn != NULL)
			snprintf(st->res.enh, sizeof st->res.enh, "%s",
			    fr->dsn);
	}
	if (status == FOLLOW_BOUNCED || status == FOLLOW_DEFERRED)
		st_classify(st, fr->reply != NULL ? fr->reply : fr->line);
	first = st_reply_line(fr->reply);
	/* The follow's result is not used from here on. */
	st->follow = NULL;
	follow_free(f);
	relay = st->res.relay != NULL ? st->res.relay : "the receiver";
	switch (status) {
	case FOLLOW_SENT:
		st_finish(st, SENDTEST_ACCEPTED, "delivered: %s took %s%s%s",
		    relay, qid, *first != '\0' ? ": " : "", first);
		break;
	case FOLLOW_DEFERRED:
		st_finish(st, SENDTEST_DEFERRED, "deferred: %s%s%s (the MTA "
		    "tries again)", relay, *first != '\0' ? " said " : "",
		    first);
		break;
	case FOLLOW_BOUNCED:
		st_finish(st, SENDTEST_REJECTED, "bounced: %s%s%s", relay,
		    *first != '\0' ? " said " : " refused it", first);
		break;
	case FOLLOW_TIMEOUT:
		st_finish(st, SENDTEST_DEFERRED, "queued locally as %s; the "
		    "log showed no delivery within %d s (still in the queue? "
		    "`postqueue -p`)", qid, st->o.follow_ms / 1000);
		break;
	default:
		st_finish(st, SENDTEST_DEFERRED, "queued locally as %s; no "
		    "mail log of the site could be read to follow it", qid);
		break;
	}
	free(first);
}

/* Follow qid from the mark taken before the submission. */
static void
st_follow_start(struct sendtest *st, const char *qid)
{
	struct follow_opts fo;
	char *cause = NULL, *safe;

	st_set(&st->res.queue_id, qid);
	if (st->o.no_follow) {
		st_finish(st, SENDTEST_ACCEPTED, "queued by the local MTA as "
		    "%s (not followed)", qid);
		return;
	}
	memset(&fo, 0, sizeof fo);
	fo.queue_id = qid;
	fo.rcpt = st->to;
	fo.timeout_ms = st->o.follow_ms;
	fo.on_line = st_follow_line;
	fo.on_done = st_follow_done;
	fo.arg = st;
	if (st->s->site == NULL) {
		st_finish(st, SENDTEST_DEFERRED, "queued locally as %s; no "
		    "site read, so no log to follow it in", qid);
		return;
	}
	st_phase(st, SENDTEST_FOLLOWING);
	st_log(st, "* following %s in the mail log (at most %d s)", qid,
	    st->o.follow_ms / 1000);
	if ((st->follow = follow_start(st->loop, st->s->site, st->mark, &fo,
	    &cause)) == NULL) {
		safe = st_safe(cause);
		free(cause);
		st_finish(st, SENDTEST_DEFERRED, "queued locally as %s; not "
		    "followed: %s", qid, safe);
		free(safe);
	}
}

/* --- sendmail's queue id, by the Message-ID --- */

/* The logs and where they end now, before sendmail runs. */
static struct st_scan *
st_scan_new(const struct sendtest *st)
{
	static const char *const paths[] = { "/var/log/mail.log",
	    "/var/log/maillog", "/var/log/syslog" };
	struct st_scan *sc = xcalloc(1, sizeof *sc);
	struct stat sb;
	size_t i;

	strv_init(&sc->paths);
	/* The files the doctor and the follow read. */
	if (st->s->site != NULL)
		logscan_site_files(st->s->site, &sc->paths);
	else
		for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
			strv_add(&sc->paths, paths[i]);
	sc->off = xcalloc(sc->paths.n + 1, sizeof *sc->off);
	for (i = 0; i < sc->paths.n; i++)
		sc->off[i] = fsroot_stat(st_root(st->s), sc->paths.v[i],
		    &sb) == 0 && S_ISREG(sb.st_mode) ? sb.st_size : 0;
	return sc;
}

static void
st_scan_free(struct sendtest *st)
{
	struct st_scan *sc = st->scan;

	if (sc == NULL)
		return;
	loop_timer_cancel(st->loop, sc->timer);
	strv_free(&sc->paths);
	free(sc->off);
	free(sc);
	st->scan = NULL;
}

/*
 * The queue id of Postfix's "cleanup[PID]: QID: message-id=<ID>" line for
 * our Message-ID, or NULL.  Caller frees.
 */
static char *
st_scan_line(const char *line, size_t len, const char *mid)
{
	char *want = xasprintf(": message-id=%s", mid);
	const char *m, *c, *q;
	size_t wl = strlen(want);

	m = memmem(line, len, want, wl);
	free(want);
	/* Exactly our id: the line ends after it (or a blank follows). */
	if (m == NULL || (m + wl < line + len && m[wl] != ' ' &&
	    m[wl] != '\r'))
		return NULL;
	if ((c = memmem(line, (size_t)(m - line), "cleanup[", 8)) == NULL ||
	    (c = memmem(c, (size_t)(m - c), "]: ", 3)) == NULL)
		return NULL;
	c += 3;
	for (q = c; q < m; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		    (*q >= '0' && *q <= '9')))
			return NULL;
	if (q == c || q - c > 64)
		return NULL;
	return xstrndup(c, (size_t)(q - c));
}

/* What one file holds after its offset, read a chunk at a time; the queue
 * id found or NULL.  A file shorter than its offset (rotated, truncated)
 * is read from its start. */
static char *
st_scan_file(struct sendtest *st, size_t i)
{
	struct st_scan *sc = st->scan;
	char *host, *buf, *qid = NULL;
	const char *p, *nl, *end;
	struct stat sb;
	ssize_t got;
	int fd;

	if ((host = fsroot_host(st_root(st->s), sc->paths.v[i], 1, NULL)) ==
	    NULL)
		return NULL;
	fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	free(host);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return NULL;
	}
	sc->readable = 1;
	if (sb.st_size < sc->off[i])
		sc->off[i] = 0;
	buf = xmalloc(ST_SCAN_CHUNK);
	while (qid == NULL && sc->off[i] < sb.st_size) {
		got = pread(fd, buf, ST_SCAN_CHUNK, sc->off[i]);
		if (got <= 0)
			break;
		end = buf + got;
		for (p = buf; qid == NULL && p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				break;
			if (nl - p <= ST_SCAN_LINE)
				qid = st_scan_line(p, (size_t)(nl - p),
				    st->res.message_id);
		}
		if (p == buf && got == ST_SCAN_CHUNK)
			p = end;	/* one line over a chunk: skipped */
		sc->off[i] += p - buf;
		if (p < end)
			break;		/* an unfinished last line: later */
	}
	free(buf);
	close(fd);
	return qid;
}

/* The files read, "a, b, c", for a message.  Caller frees. */
static char *
st_scan_paths(const struct st_scan *sc)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sc->paths.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", sc->paths.v[i]);
	return buf_steal(&b);
}

static void
st_scan_tick(void *arg)
{
	struct sendtest *st = arg;
	struct st_scan *sc = st->scan;
	char *qid = NULL, *paths;
	size_t i;

	sc->timer = 0;
	for (i = 0; qid == NULL && i < sc->paths.n; i++)
		qid = st_scan_file(st, i);
	if (qid != NULL) {
		st_log(st, "* sendmail's queue id, from the cleanup line of "
		    "the log for %s: %s", st->res.message_id, qid);
		st_scan_free(st);
		st_follow_start(st, qid);
		free(qid);
		return;
	}
	if (loop_now_ms() >= sc->deadline) {
		if (!sc->readable) {
			paths = st_scan_paths(sc);
			st_finish(st, SENDTEST_DEFERRED, "handed to sendmail; "
			    "no mail log could be read to find its queue id "
			    "(%s)", paths);
			free(paths);
		}
		else
			st_finish(st, SENDTEST_DEFERRED, "handed to sendmail; "
			    "no log line named its Message-ID %s within %d s "
			    "(Postfix's cleanup logs it; is the MTA running?)",
			    st->res.message_id, st->o.follow_ms / 1000);
		st_scan_free(st);
		return;
	}
	sc->timer = loop_timer_add(st->loop, ST_SCAN_MS, st_scan_tick, st);
}

/* --- sendmail --- */

/* The program to run: the option (a relative path made absolute), else
 * the site's /usr/sbin/sendmail.  NULL with *cause. */
static char *
st_sendmail_path(struct sendtest *st, char **cause)
{
	char cwd[PATH_MAX], *p, *host;

	if (st->sendmail != NULL) {
		if (*st->sendmail == '/')
			return xstrdup(st->sendmail);
		if (strchr(st->sendmail, '/') == NULL) {
			if ((p = proc_which(st->sendmail)) == NULL)
				error_set(cause, "no program %s in PATH",
				    st->sendmail);
			return p;
		}
		if (getcwd(cwd, sizeof cwd) == NULL)
			return error_set(cause, "cannot tell the working "
			    "directory: %s", strerror(errno)), NULL;
		return xasprintf("%s/%s", cwd, st->sendmail);
	}
	if ((host = fsroot_host(st_root(st->s), "/usr/sbin/sendmail", 1,
	    cause)) == NULL)
		return NULL;
	if (access(host, X_OK) != 0) {
		free(host);
		return error_set(cause, "no /usr/sbin/sendmail%s%s to run: "
		    "give the program with --sendmail PATH",
		    st_root(st->s) != NULL ? " under " : "",
		    st_root(st->s) != NULL ? st_root(st->s) : ""), NULL;
	}
	return host;
}

static void
st_proc_done(struct proc_result *pr, void *arg)
{
	struct sendtest *st = arg;
	struct strv lines;
	char *safe;
	size_t i;

	st->proc = NULL;
	strv_init(&lines);
	str_split(pr->out, "\n", &lines);
	for (i = 0; i < lines.n && i < 20; i++) {
		safe = str_sanitize(lines.v[i], strlen(lines.v[i]) >
		    ST_PROC_SHOWN ? ST_PROC_SHOWN : strlen(lines.v[i]));
		st_log(st, "* sendmail: %s", safe);
		free(safe);
	}
	strv_free(&lines);
	if (pr->timed_out || pr->status != 0) {
		if (pr->timed_out)
			st_finish(st, SENDTEST_UNREACHABLE, "sendmail did not "
			    "finish within its time and was stopped: the "
			    "message was not handed over");
		else
			st_finish(st, SENDTEST_UNREACHABLE, "sendmail exited "
			    "with status %d: the message was not handed over "
			    "(its output is above)", pr->status);
		return;
	}
	st_log(st, "* sendmail exited 0: the message is in the local queue");
	if (st->o.no_follow) {
		st_finish(st, SENDTEST_ACCEPTED, "handed to sendmail (not "
		    "followed)");
		return;
	}
	st_phase(st, SENDTEST_FOLLOWING);
	st->scan->deadline = loop_now_ms() + st->o.follow_ms;
	st_log(st, "* looking for the queue id of %s in the mail log",
	    st->res.message_id);
	st_scan_tick(st);
}

/* The message with LF line ends, as sendmail reads its standard input,
 * in an unlinked temporary file; its descriptor at offset 0, or -1. */
static int
st_tmpfile(const struct sendtest *st, char **cause)
{
	const char *tmp = getenv("TMPDIR");
	char *path, *lf;
	size_t i, n = 0;
	int fd;

	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	path = xasprintf("%s/notspam-sendtest-XXXXXX", tmp);
	if ((fd = mkstemp(path)) == -1) {
		error_set(cause, "cannot make a temporary file in %s: %s", tmp,
		    strerror(errno));
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	lf = xmalloc(st->msg.len + 1);
	for (i = 0; i < st->msg.len; i++)
		if (!(st->msg.data[i] == '\r' && i + 1 < st->msg.len &&
		    st->msg.data[i + 1] == '\n'))
			lf[n++] = st->msg.data[i];
	if (fswrite_all(fd, lf, n) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		error_set(cause, "cannot write the temporary file: %s",
		    strerror(errno));
		free(lf);
		close(fd);
		return -1;
	}
	free(lf);
	return fd;
}

static void
st_sendmail(struct sendtest *st)
{
	struct proc_opts po;
	const char *argv[7];
	char *path, *cause = NULL, *safe;
	int fd;

	if ((path = st_sendmail_path(st, &cause)) == NULL ||
	    (fd = st_tmpfile(st, &cause)) == -1) {
		free(path);
		safe = st_safe(cause);
		free(cause);
		st_finish(st, SENDTEST_UNREACHABLE, "%s", safe);
		free(safe);
		return;
	}
	st_set(&st->res.server, "sendmail");
	argv[0] = path;
	argv[1] = "-i";
	argv[2] = "-f";
	argv[3] = st->from;
	argv[4] = "--";
	argv[5] = st->to;
	argv[6] = NULL;
	safe = st_safe(path);
	st_log(st, "* running %s -i -f %s -- %s (no shell; the message on "
	    "its standard input)", safe, st->from, st->to);
	free(safe);
	if (!st->o.no_follow)
		st->scan = st_scan_new(st);
	memset(&po, 0, sizeof po);
	po.stdin_fd = fd;
	po.timeout_ms = st->o.timeout_ms > 0 ? st->o.timeout_ms :
	    ST_SENDMAIL_MS;
	po.merge = 1;
	st_phase(st, SENDTEST_SENDING);
	st->proc = proc_start(st->loop, argv, &po, st_proc_done, st, &cause);
	/* The child has its copy: the fork is behind proc_start. */
	close(fd);
	free(path);
	if (st->proc == NULL) {
		safe = st_safe(cause);
		free(cause);
		st_finish(st, SENDTEST_UNREACHABLE, "cannot run sendmail: %s",
		    safe);
		free(safe);
	}
}

/* --- SMTP --- */

static void
st_smtp_line(const char *line, void *arg)
{
	struct sendtest *st = arg;

	st_log(st, "%s", line);
}

/* The end of an SMTP session: a verdict, the next MX host, or the
 * follow. */
static void
st_smtp_done(struct smtp *sm, const struct smtp_result *r, void *arg)
{
	struct sendtest *st = arg;
	enum smtp_fail fail = r->fail;
	char *first, *qid = NULL, *cause = NULL, *hp;
	const char *via = st->res.server != NULL ? st->res.server : "?";
	const char *name;

	if (r->peer != NULL) {
		free(st->res.server);
		hp = st_hostport(r->peer, st->port);
		name = st->hi < st->nhosts ? st->hosts[st->hi].name : NULL;
		st->res.server = name != NULL ? xasprintf("%s[%s]:%u", name,
		    r->peer, st->port) : xstrdup(hp);
		free(hp);
		via = st->res.server;
	}
	st_set(&st->res.fail, fail == SMTP_OK ? NULL : smtp_fail_name(fail));
	st->res.code = r->code;
	memcpy(st->res.enh, r->enh, sizeof st->res.enh);
	st_set(&st->res.reply, r->reply);
	if (r->queue_id != NULL)
		qid = xstrdup(r->queue_id);
	if (r->cause != NULL)
		cause = xstrdup(r->cause);
	st->connect_fails += fail == SMTP_FAIL_CONNECT;
	st->smtp = NULL;
	smtp_free(sm);

	if (fail == SMTP_FAIL_CONNECT && st->hi + 1 < st->nhosts) {
		st->hi++;
		st_smtp_host(st);
		goto done;
	}
	first = st_reply_line(st->res.reply);
	switch (fail) {
	case SMTP_OK:
		if ((st->o.route == SENDTEST_LOCAL ||
		    st->o.route == SENDTEST_SUBMISSION) && qid != NULL)
			st_follow_start(st, qid);
		else if (st->o.route == SENDTEST_LOCAL ||
		    st->o.route == SENDTEST_SUBMISSION) {
			if (st->o.no_follow)
				st_finish(st, SENDTEST_ACCEPTED, "accepted by "
				    "the local MTA at %s (not followed)", via);
			else
				st_finish(st, SENDTEST_DEFERRED, "accepted by "
				    "the local MTA at %s, which gave no queue "
				    "id to follow: %s", via, first);
		} else {
			st_set(&st->res.queue_id, qid);
			st_finish(st, SENDTEST_ACCEPTED, "accepted by %s: %s",
			    via, first);
		}
		break;
	case SMTP_FAIL_REJECTED:
		st_classify(st, st->res.reply);
		if (st->res.code / 100 == 4)
			st_finish(st, SENDTEST_DEFERRED, "deferred by %s: %s",
			    via, first);
		else
			st_finish(st, SENDTEST_REJECTED, "rejected by %s: %s",
			    via, first);
		break;
	case SMTP_FAIL_CONNECT:
		if (st->o.route == SENDTEST_DIRECT)
			st_finish(st, SENDTEST_UNREACHABLE, "no MX host of %s "
			    "took a connection on port %u: outbound port %u "
			    "looks blocked (many providers block it: ask "
			    "yours, or relay through a smarthost), or the "
			    "receivers are down", st->mx_domain, st->port,
			    st->port);
		else if (st->o.route == SENDTEST_SERVER)
			st_finish(st, SENDTEST_UNREACHABLE, "%s port %u took "
			    "no connection: %s", st->server, st->port,
			    cause != NULL ? cause : "");
		else
			st_finish(st, SENDTEST_UNREACHABLE, "nothing took a "
			    "connection on 127.0.0.1 or ::1 port %u: is the "
			    "MTA running and listening there? (`notspam "
			    "doctor`)", st->port);
		break;
	default:
		st_finish(st, SENDTEST_UNREACHABLE, "%s failure with %s: %s",
		    smtp_fail_name(fail), via, cause != NULL ? cause : "");
		break;
	}
	free(first);
done:
	free(qid);
	free(cause);
}

/* The SMTP options every route shares. */
static void
st_smtp_opts(struct sendtest *st, struct smtp_opts *so)
{
	int t = st->o.timeout_ms;

	memset(so, 0, sizeof *so);
	so->port = st->port;
	so->helo = st->helo;
	so->cafile = st->cafile;
	so->from = st->from;
	so->body = st->msg.data;
	so->bodylen = st->msg.len;
	so->timeouts.connect_ms = t;
	so->timeouts.greeting_ms = t;
	so->timeouts.command_ms = t;
	so->timeouts.tls_ms = t;
	so->timeouts.data_ms = t;
	so->timeouts.dataend_ms = t;
	so->on_line = st_smtp_line;
	so->on_done = st_smtp_done;
	so->arg = st;
}

/* One SMTP session to hosts[hi] (after the hosts before it refused the
 * connection); a host without an address is passed over. */
static void
st_smtp_host(struct sendtest *st)
{
	struct smtp_opts so;
	struct st_host *h;
	const char *addrs[64], *rcpts[1];
	char *cause = NULL, *safe;
	size_t n, i;

	for (; st->hi < st->nhosts; st->hi++) {
		h = &st->hosts[st->hi];
		if (h->v4.n + h->v6.n > 0)
			break;
		st_log(st, "* %s: no address%s%s", h->name != NULL ? h->name :
		    "?", h->why != NULL ? ": " : "", h->why != NULL ? h->why :
		    "");
	}
	if (st->hi >= st->nhosts) {
		if (st->o.route == SENDTEST_DIRECT && st->connect_fails > 0)
			st_finish(st, SENDTEST_UNREACHABLE, "no MX host of %s "
			    "took a connection on port %u: outbound port %u "
			    "looks blocked (many providers block it: ask "
			    "yours, or relay through a smarthost), or the "
			    "receivers are down", st->mx_domain, st->port,
			    st->port);
		else
			st_finish(st, SENDTEST_UNREACHABLE, "no address to "
			    "connect to: %s has none",
			    st->o.route == SENDTEST_DIRECT ? st->mx_domain :
			    st->server);
		return;
	}
	st_smtp_opts(st, &so);
	n = 0;
	/* DIRECT: IPv6 first (an MTA with IPv6 uses it, and receivers judge
	 * it more strictly); SERVER and LOCAL: IPv4 first. */
	if (st->o.route == SENDTEST_DIRECT)
		for (i = 0; i < h->v6.n && n < 64; i++)
			addrs[n++] = h->v6.v[i];
	for (i = 0; i < h->v4.n && n < 64; i++)
		addrs[n++] = h->v4.v[i];
	if (st->o.route != SENDTEST_DIRECT)
		for (i = 0; i < h->v6.n && n < 64; i++)
			addrs[n++] = h->v6.v[i];
	so.addrs = addrs;
	so.naddrs = n;
	rcpts[0] = st->to;
	so.rcpts = rcpts;
	so.nrcpts = 1;
	switch (st->o.route) {
	case SENDTEST_LOCAL:
		/* The site's own MTA on loopback: its certificate names the
		 * host, not 127.0.0.1; TLS when offered, reported only. */
		so.tls = SMTP_TLS_TRY;
		so.verify = SMTP_VERIFY_REPORT;
		break;
	case SENDTEST_SUBMISSION:
		so.tls = SMTP_TLS_REQUIRE;
		so.verify = st->o.no_verify ? SMTP_VERIFY_REPORT :
		    SMTP_VERIFY_REQUIRE;
		so.servername = st->s->site != NULL &&
		    st->s->site->hostname != NULL &&
		    dnsname_host_ok(st->s->site->hostname) ?
		    st->s->site->hostname : NULL;
		so.user = st->user;
		so.pass = st->pass;
		break;
	case SENDTEST_SERVER:
		/* STARTTLS when offered (AUTH is refused without it by the
		 * client itself); the certificate required for AUTH and on
		 * 587. */
		so.tls = SMTP_TLS_TRY;
		so.verify = !st->o.no_verify && (st->user != NULL ||
		    st->port == 587) ? SMTP_VERIFY_REQUIRE : SMTP_VERIFY_REPORT;
		so.servername = h->name;
		so.user = st->user;
		so.pass = st->pass;
		break;
	default:
		so.tls = SMTP_TLS_TRY;
		so.verify = SMTP_VERIFY_REPORT;
		so.servername = h->name;
		break;
	}
	if (h->name != NULL && st->o.route == SENDTEST_DIRECT)
		st_log(st, "* MX %d %s", h->pref, h->name);
	st_phase(st, SENDTEST_SENDING);
	if ((st->smtp = smtp_start(st->loop, &so, &cause)) == NULL) {
		safe = st_safe(cause);
		free(cause);
		st_finish(st, SENDTEST_UNREACHABLE, "cannot start the SMTP "
		    "session: %s", safe);
		free(safe);
	}
}

/* --- lookups --- */

static void
st_host_free(struct st_host *h)
{
	free(h->name);
	free(h->why);
	strv_free(&h->v4);
	strv_free(&h->v6);
}

static struct st_host *
st_host_add(struct sendtest *st, const char *name, int pref)
{
	struct st_host *h;

	st->hosts = xreallocarray(st->hosts, st->nhosts + 1,
	    sizeof *st->hosts);
	h = &st->hosts[st->nhosts++];
	memset(h, 0, sizeof *h);
	h->name = name != NULL ? xstrdup(name) : NULL;
	h->pref = pref;
	strv_init(&h->v4);
	strv_init(&h->v6);
	return h;
}

/* Are lookups still out? */
static int
st_pending(const struct sendtest *st)
{
	size_t i;

	for (i = 0; i < st->nhosts; i++)
		if (st->hosts[i].pending > 0)
			return 1;
	return 0;
}

struct st_ask {
	struct sendtest	*st;
	size_t		 host;
};

static void
st_addr_cb(const struct dns_answer *a, void *arg)
{
	struct st_ask *ask = arg;
	struct sendtest *st = ask->st;
	struct st_host *h = &st->hosts[ask->host];
	char *canon, *why;
	size_t i;

	free(ask);
	if (st->freeing || st->finished)
		return;
	h->pending--;
	for (i = 0; a->status == DNS_OK && i < a->nrrs; i++)
		if (a->rrs[i].type == a->type &&
		    (canon = netaddr_canon(a->rrs[i].text, NULL)) != NULL) {
			strv_add_unique(a->type == DNS_T_AAAA ? &h->v6 : &h->v4,
			    canon);
			free(canon);
		}
	if (a->status != DNS_OK) {
		why = xasprintf("%s%s%s %s", h->why != NULL ? h->why : "",
		    h->why != NULL ? ", " : "", a->type == DNS_T_AAAA ? "AAAA" :
		    "A", dns_status_name(a->status));
		free(h->why);
		h->why = why;
	}
	if (st_pending(st))
		return;
	for (i = 0; i < st->nhosts; i++)
		if (st->hosts[i].v4.n + st->hosts[i].v6.n > 0)
			st_log(st, "* %s has %zu IPv6 and %zu IPv4 address%s",
			    st->hosts[i].name, st->hosts[i].v6.n,
			    st->hosts[i].v4.n, st->hosts[i].v4.n +
			    st->hosts[i].v6.n == 1 ? "" : "es");
	st->hi = 0;
	st_smtp_host(st);
}

/* Ask AAAA and A of every host. */
static void
st_ask_addrs(struct sendtest *st)
{
	static const int types[2] = { DNS_T_AAAA, DNS_T_A };
	struct st_ask *ask;
	size_t i;
	int t;

	for (i = 0; i < st->nhosts; i++)
		st->hosts[i].pending = 2;
	for (i = 0; i < st->nhosts; i++)
		for (t = 0; t < 2; t++) {
			ask = xcalloc(1, sizeof *ask);
			ask->st = st;
			ask->host = i;
			dns_query(st->dns, st->hosts[i].name, types[t],
			    st_addr_cb, ask);
		}
}

/* MX records by preference, stable. */
static int
st_mx_cmp(const void *a, const void *b)
{
	const struct dns_rr *x = *(const struct dns_rr *const *)a;
	const struct dns_rr *y = *(const struct dns_rr *const *)b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
st_mx_cb(const struct dns_answer *a, void *arg)
{
	struct sendtest *st = arg;
	const struct dns_rr **v;
	char *safe;
	size_t i, n = 0;

	if (st->freeing || st->finished)
		return;
	if (a->status == DNS_NODATA) {
		st_log(st, "* %s has no MX: its own address is the receiver "
		    "(RFC 5321 5.1)", st->mx_domain);
		st_host_add(st, st->mx_domain, 0);
		st_ask_addrs(st);
		return;
	}
	if (a->status == DNS_NXDOMAIN) {
		st_finish(st, SENDTEST_REJECTED, "the domain %s does not exist "
		    "(NXDOMAIN): mail to it bounces", st->mx_domain);
		return;
	}
	if (a->status != DNS_OK) {
		safe = st_safe(a->error);
		st_finish(st, SENDTEST_UNREACHABLE, "the MX lookup of %s "
		    "failed: %s%s%s", st->mx_domain,
		    dns_status_name(a->status), *safe != '\0' ? ", " : "",
		    safe);
		free(safe);
		return;
	}
	v = xcalloc(a->nrrs, sizeof *v);
	for (i = 0; i < a->nrrs; i++)
		if (a->rrs[i].type == DNS_T_MX)
			v[n++] = &a->rrs[i];
	qsort(v, n, sizeof *v, st_mx_cmp);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->text, ".") == 0 && n == 1) {
			free(v);
			st_finish(st, SENDTEST_REJECTED, "%s publishes a null "
			    "MX (RFC 7505): it takes no mail",
			    st->mx_domain);
			return;
		}
		if (!dnsname_host_ok(v[i]->text)) {
			safe = st_safe(v[i]->text);
			st_log(st, "* MX %d \"%s\" is not a host name: passed "
			    "over", v[i]->pref, safe);
			free(safe);
			continue;
		}
		if (st->nhosts >= ST_MX_MAX) {
			st_log(st, "* MX %d %s and the rest: not tried (%d "
			    "hosts at most)", v[i]->pref, v[i]->text,
			    ST_MX_MAX);
			break;
		}
		st_host_add(st, v[i]->text, v[i]->pref);
	}
	free(v);
	if (st->nhosts == 0) {
		st_finish(st, SENDTEST_REJECTED, "no MX of %s names a host",
		    st->mx_domain);
		return;
	}
	st_log(st, "* %s: %zu MX host%s", st->mx_domain, st->nhosts,
	    st->nhosts == 1 ? "" : "s");
	st_ask_addrs(st);
}

/* The test's own resolver (see the top), or a verdict saying why not. */
static int
st_dns(struct sendtest *st)
{
	char *cause = NULL, *safe;

	if (st->dns != NULL)
		return 0;
	if ((st->dns = session_dns_new(st->s, &cause)) != NULL)
		return 0;
	safe = st_safe(cause);
	free(cause);
	st_finish(st, SENDTEST_UNREACHABLE, "the resolver cannot start: %s",
	    safe);
	free(safe);
	return -1;
}

/* --- the start --- */

static void
st_begin(void *arg)
{
	struct sendtest *st = arg;
	size_t i;

	st->timer = 0;
	st->live = 1;
	for (i = 0; st->o.on_line != NULL && i < st->log.n; i++)
		st->o.on_line(st->log.v[i], st->o.arg);
	if ((st->o.route == SENDTEST_LOCAL ||
	    st->o.route == SENDTEST_SUBMISSION ||
	    st->o.route == SENDTEST_SENDMAIL) && !st->o.no_follow &&
	    st->s->site != NULL)
		st->mark = follow_mark(st->s->site);
	switch (st->o.route) {
	case SENDTEST_SENDMAIL:
		st_sendmail(st);
		break;
	case SENDTEST_DIRECT:
		if (st_dns(st) != 0)
			return;
		st_phase(st, SENDTEST_RESOLVING);
		st_log(st, "* asking the MX of %s", st->mx_domain);
		dns_query(st->dns, st->mx_domain, DNS_T_MX, st_mx_cb, st);
		break;
	case SENDTEST_SERVER:
		if (st->hosts[0].name != NULL) {
			if (st_dns(st) != 0)
				return;
			st_phase(st, SENDTEST_RESOLVING);
			st_log(st, "* asking the addresses of %s",
			    st->hosts[0].name);
			st_ask_addrs(st);
			break;
		}
		/* FALLTHROUGH */
	default:
		st_smtp_host(st);
		break;
	}
}

/* The options' checks and the addresses; 0 or -1 with *cause. */
static int
st_check(struct sendtest *st, const struct sendtest_opts *o, char **cause)
{
	const struct site *site = st->s->site;
	struct st_host *h;
	const char *dom;
	char *host = NULL, *canon;
	unsigned port;
	int family;

	if ((unsigned)o->route >= SENDTEST_NROUTES)
		return error_set(cause, "no such route");
	if (compose_addr_check(o->to, cause) != 0)
		return -1;
	if (o->from != NULL) {
		if (compose_addr_check(o->from, cause) != 0)
			return -1;
		st->from = xstrdup(o->from);
		st->domain = o->from_domain != NULL ?
		    dnsname_norm(o->from_domain) : compose_addr_domain(o->from);
	} else {
		dom = o->from_domain != NULL ? o->from_domain :
		    site != NULL && site->ndomains > 0 ? site->domains[0].name :
		    NULL;
		if (dom == NULL)
			return error_set(cause, "the site hosts no domain to "
			    "send from: give the From address (--from "
			    "ADDRESS)");
		st->from = xasprintf("postmaster@%s", dom);
		if (compose_addr_check(st->from, cause) != 0)
			return -1;
		st->domain = dnsname_norm(dom);
	}
	if (o->user != NULL && o->route != SENDTEST_SUBMISSION &&
	    o->route != SENDTEST_SERVER)
		return error_set(cause, "AUTH is for the submission and server "
		    "routes only (%s takes no login)",
		    sendtest_route_name(o->route));
	if (o->user != NULL && o->pass == NULL)
		return error_set(cause, "AUTH needs a password");
	if (o->route == SENDTEST_SERVER) {
		if (o->server == NULL)
			return error_set(cause, "the server route needs HOST"
			    "[:PORT] (--server)");
		if (st_server_parse(o->server, o->port != 0 ? o->port : 25,
		    &host, &port, cause) != 0)
			return -1;
		st->port = port;
		st->server = host;
		if ((canon = netaddr_canon(host, &family)) != NULL) {
			free(canon);
			h = st_host_add(st, NULL, 0);
			strv_add(family == AF_INET6 ? &h->v6 : &h->v4, host);
		} else
			st_host_add(st, host, 0);
	}
	return 0;
}

struct sendtest *
sendtest_start(struct session *s, const struct sendtest_opts *o, char **cause)
{
	struct sendtest *st;
	struct compose_opts co;
	struct st_host *h;
	const struct site *site = s->site;
	const char *helo = site != NULL ? site_helo(site) : NULL;
	static const char *const how[SENDTEST_NROUTES] = {
	    "through the local MTA", "through the local MTA's submission "
	    "port", "through a given server", "through the local MTA's "
	    "sendmail", "directly to the recipient's MX" };

	st = xcalloc(1, sizeof *st);
	st->s = s;
	st->loop = s->loop;
	strv_init(&st->log);
	strv_init(&st->res.records);
	st->t0 = loop_now_ms();
	st->o = *o;
	if (st_check(st, o, cause) != 0) {
		sendtest_free(st);
		return NULL;
	}
	st->to = xstrdup(o->to);
	st->user = o->user != NULL ? xstrdup(o->user) : NULL;
	st->pass = o->pass != NULL ? xstrdup(o->pass) : NULL;
	st->sendmail = o->sendmail != NULL ? xstrdup(o->sendmail) : NULL;
	st->cafile = o->cafile != NULL ? xstrdup(o->cafile) : NULL;
	st->history = o->history != NULL ? xstrdup(o->history) : NULL;
	st->o.to = st->to;
	st->o.from = st->from;
	st->o.from_domain = st->domain;
	st->o.server = st->server;
	st->o.user = st->user;
	st->o.pass = st->pass;
	st->o.sendmail = st->sendmail;
	st->o.cafile = st->cafile;
	st->o.history = st->history;
	if (st->o.follow_ms <= 0)
		st->o.follow_ms = ST_FOLLOW_MS;
	st->helo = xstrdup(helo != NULL && dnsname_host_ok(helo) ? helo :
	    "localhost");
	switch (o->route) {
	case SENDTEST_LOCAL:
	case SENDTEST_SUBMISSION:
		st->port = o->port != 0 ? o->port :
		    o->route == SENDTEST_LOCAL ? 25 : 587;
		h = st_host_add(st, NULL, 0);
		strv_add(&h->v4, "127.0.0.1");
		strv_add(&h->v6, "::1");
		break;
	case SENDTEST_DIRECT:
		st->port = o->direct_port != 0 ? o->direct_port : 25;
		st->mx_domain = compose_addr_domain(st->to);
		break;
	default:
		break;
	}
	memset(&co, 0, sizeof co);
	co.from = st->from;
	co.to = st->to;
	co.hostname = site != NULL ? site->hostname : NULL;
	co.route = how[o->route];
	if (compose_message(&co, &st->msg, cause) != 0) {
		sendtest_free(st);
		return NULL;
	}
	st->res.route = o->route;
	st->res.started = time(NULL);
	st->res.verdict = SENDTEST_UNREACHABLE;
	st->res.from = xstrdup(st->from);
	st->res.to = xstrdup(st->to);
	st->res.message_id = xstrdup(st->msg.message_id);
	st->res.mailtester_url = sendtest_mailtester_url(st->to);
	st_log(st, "* test message %s from %s to %s, route %s",
	    st->msg.message_id, st->from, st->to, sendtest_route_name(o->route));
	if (site != NULL && site_domain(site, st->domain) == NULL)
		st_log(st, "* %s is not a domain this site hosts: the receiver "
		    "judges its records, not this server's", st->domain);
	st->phase = o->route == SENDTEST_DIRECT || (o->route ==
	    SENDTEST_SERVER && st->hosts[0].name != NULL) ?
	    SENDTEST_RESOLVING : SENDTEST_SENDING;
	st->timer = loop_timer_add(st->loop, 0, st_begin, st);
	return st;
}

void
sendtest_free(struct sendtest *st)
{
	size_t i;

	if (st == NULL)
		return;
	st->freeing = 1;
	loop_timer_cancel(st->loop, st->timer);
	if (st->smtp != NULL)
		smtp_free(st->smtp);
	if (st->proc != NULL)
		proc_cancel(st->proc);
	if (st->follow != NULL)
		follow_free(st->follow);
	st_scan_free(st);
	if (st->dns != NULL)
		dns_free(st->dns);
	if (st->mark != NULL)
		follow_mark_free(st->mark);
	for (i = 0; i < st->nhosts; i++)
		st_host_free(&st->hosts[i]);
	free(st->hosts);
	if (st->pass != NULL) {
		OPENSSL_cleanse(st->pass, strlen(st->pass));
		free(st->pass);
	}
	free(st->to);
	free(st->from);
	free(st->domain);
	free(st->server);
	free(st->user);
	free(st->sendmail);
	free(st->cafile);
	free(st->history);
	free(st->helo);
	free(st->mx_domain);
	compose_free(&st->msg);
	strv_free(&st->log);
	free(st->res.from);
	free(st->res.to);
	free(st->res.message_id);
	free(st->res.server);
	free(st->res.fail);
	free(st->res.reply);
	free(st->res.queue_id);
	free(st->res.follow);
	free(st->res.remote_reply);
	free(st->res.relay);
	free(st->res.cause_id);
	free(st->res.cause_title);
	free(st->res.explain);
	free(st->res.fix);
	strv_free(&st->res.records);
	free(st->res.mailtester_url);
	free(st->res.summary);
	free(st);
}

enum sendtest_phase
sendtest_phase(const struct sendtest *st)
{
	return st->phase;
}

const struct sendtest_result *
sendtest_result(const struct sendtest *st)
{
	return &st->res;
}

const struct strv *
sendtest_transcript(const struct sendtest *st)
{
	return &st->log;
}

void
sendtest_json(struct json *j, const struct sendtest *st)
{
	const struct sendtest_result *r = &st->res;
	size_t i;

	json_string(j, "verdict", sendtest_verdict_name(r->verdict));
	json_string(j, "route", sendtest_route_name(r->route));
	json_string(j, "phase", sendtest_phase_name(st->phase));
	json_int(j, "started", (long long)r->started);
	json_string(j, "from", r->from);
	json_string(j, "to", r->to);
	json_string(j, "message_id", r->message_id);
	json_string(j, "server", r->server);
	json_string(j, "fail", r->fail);
	json_int(j, "code", r->code);
	json_string(j, "enh", r->enh[0] != '\0' ? r->enh : NULL);
	json_string(j, "reply", r->reply);
	json_string(j, "queue_id", r->queue_id);
	json_string(j, "follow", r->follow);
	json_string(j, "remote_reply", r->remote_reply);
	json_string(j, "relay", r->relay);
	if (r->cause_id != NULL) {
		json_object_begin(j, "cause");
		json_string(j, "id", r->cause_id);
		json_string(j, "title", r->cause_title);
		json_string(j, "explain", r->explain);
		json_string(j, "fix", r->fix);
		json_array_begin(j, "records");
		for (i = 0; i < r->records.n; i++)
			json_string(j, NULL, r->records.v[i]);
		json_array_end(j);
		json_object_end(j);
	} else
		json_string(j, "cause", NULL);
	json_string(j, "mailtester_url", r->mailtester_url);
	json_string(j, "summary", r->summary);
	json_int(j, "elapsed_ms", r->elapsed_ms);
	json_array_begin(j, "transcript");
	for (i = 0; i < st->log.n; i++)
		json_string(j, NULL, st->log.v[i]);
	json_array_end(j);
}
