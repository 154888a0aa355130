/* follow.c: one queue id followed through the MTA's log to its fate.
 *
 * The logs are logscan's (logscan_site_files), each line split by
 * logscan_parse_line, so the syslog formats are understood in one place.
 * Each file is read from where the mark left it, on the loop's timer, in
 * bounded steps (FOLLOW_READ_MAX bytes a file a tick, a line buffer of
 * LOGSCAN_LINE_MAX), so a large backlog never holds the loop.
 *
 * The lines of the message:
 *   Postfix     "QID: ..." (smtpd, cleanup, qmgr, smtp, local, bounce;
 *               OpenDKIM's "QID: DKIM-Signature field added" too), the fate
 *               in "QID: to=<R>, relay=H, ..., dsn=X.Y.Z, status=S (TEXT)",
 *               qmgr's "QID: from=<S>, status=expired, returned to sender",
 *               the bounce in "QID: sender non-delivery notification: B",
 *               and "QID: removed".
 *   OpenSMTPD   (smtp_session.c, mta.c, mda.c, queue.c of 6.x / 7.x, as
 *               6.8.0p2 writes them: tests/fixtures/logs/follow-smtpd.log)
 *               "SID smtp message msgid=M ...", "SID smtp envelope
 *               evpid=E ...", "SID mta delivery evpid=E from=<..> to=<..>
 *               rcpt=<..> source="A" relay="H" delay=D result="Ok"
 *               stat="REPLY"", "SID mda delivery evpid=E ... result=Ok
 *               stat=Delivered", "relay: Expire for E: ..."; and before 6.0
 *               "smtp-in: Accepted message M on session ...", "relay: Ok
 *               for E: ...", "delivery: PermFail for E: ..., stat=...".
 *               The queue id its SMTP reply gives is the msgid M (8 hex
 *               digits), the first 8 of each envelope id E (16).
 * A queue id matches as a whole token: "4ZK3mT0bq5" never takes the lines
 * of "4ZK3mT0bq5z9sLk".  rsyslog writes one message to mail.log and
 * syslog both: a line of the same program, pid and text seen in an
 * earlier file is skipped (the key is a hash; FOLLOW_KEYS of them kept).
 */
#include "core/mail/follow.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/doctor/logscan.h"
#include "core/doctor/remote.h"
#include "core/lib/fsroot.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/site/site.h"

#define FOLLOW_LINES	200		/* lines of the message kept */
#define FOLLOW_KEYS	4096		/* line hashes kept for duplicates */
#define FOLLOW_READ_MAX	(1024 * 1024)	/* bytes of one file a tick */
#define FOLLOW_CHUNK	(64 * 1024)
#define FOLLOW_GRACE_MS	1500		/* after a bounce, for its notice */
#define FOLLOW_QID_MAX	64

/* One file as the mark saw it. */
struct follow_mark_file {
	char	*path;		/* site path */
	int	 exists;
	dev_t	 dev;
	ino_t	 ino;
	off_t	 size;
};

struct follow_mark {
	struct follow_mark_file	*v;
	size_t			 n;
};

/* One log being read. */
struct follow_src {
	char	*path;		/* site path */
	int	 fd;		/* -1: not open */
	dev_t	 dev;
	ino_t	 ino;
	off_t	 off;		/* the next byte to read */
	int	 skip;		/* drop bytes up to the next newline (a
				 * read begun inside a line) */
	char	*why;		/* why it cannot be read, or NULL */
	char	 line[LOGSCAN_LINE_MAX];
	size_t	 len;
	int	 cut;		/* the line went past LOGSCAN_LINE_MAX */
};

struct follow {
	struct loop		*loop;		/* NULL: follow_new */
	char			*root;
	struct follow_src	*src;
	size_t			 nsrc;
	char			*qid;
	size_t			 qidlen;
	char			*rcpt;
	int			 timeout_ms;
	int			 poll_ms;
	int64_t			 started;
	int64_t			 final_at;	/* when the fate was seen */
	uint64_t		 timer;
	follow_line_cb		 on_line;
	follow_done_cb		 on_done;
	void			*arg;
	struct follow_result	 res;
	struct strmap		 keys;		/* hashes of lines seen */
	int			 removed;	/* Postfix's "QID: removed" */
	int			 ticks;		/* timer calls so far */
	int			 done;
};

const char *
follow_status_name(enum follow_status s)
{
	static const char *const names[] = { "waiting", "sent", "deferred",
	    "bounced", "timeout", "no log" };

	if ((unsigned)s >= sizeof names / sizeof names[0])
		return "?";
	return names[s];
}

/* --- the mark --- */

struct follow_mark *
follow_mark(const struct site *site)
{
	struct follow_mark *m = xcalloc(1, sizeof *m);
	struct follow_mark_file *f;
	struct strv paths;
	struct stat sb;
	size_t i;

	strv_init(&paths);
	logscan_site_files(site, &paths);
	m->v = xcalloc(paths.n > 0 ? paths.n : 1, sizeof *m->v);
	for (i = 0; i < paths.n; i++) {
		f = &m->v[m->n++];
		f->path = xstrdup(paths.v[i]);
		if (fsroot_stat(site->root, f->path, &sb) == 0 &&
		    S_ISREG(sb.st_mode)) {
			f->exists = 1;
			f->dev = sb.st_dev;
			f->ino = sb.st_ino;
			f->size = sb.st_size;
		}
	}
	strv_free(&paths);
	return m;
}

void
follow_mark_free(struct follow_mark *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	free(m);
}

/* --- the result --- */

static void
set_str(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/* A sanitized copy of [p, p + n), NULL when empty. */
static char *
safe_span(const char *p, size_t n)
{
	return n == 0 ? NULL : str_sanitize(p, n);
}

static void
result_free(struct follow_result *r)
{
	free(r->queue_id);
	free(r->rcpt);
	free(r->relay);
	free(r->dsn);
	free(r->reply);
	free(r->sending_addr);
	free(r->line);
	free(r->bounce_qid);
	free(r->why);
	strv_free(&r->lines);
}

/* --- matching --- */

/* memmem for a NUL-terminated needle. */
static const char *
find(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle));
}

/* Does [p, end) start with prefix? */
static int
has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* The length of the run of hex digits at [p, end). */
static size_t
hex_run(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && isxdigit((unsigned char)*q))
		q++;
	return q - p;
}

/* Is the OpenSMTPD id [p, p + n) the followed one: the msgid itself, or
 * an envelope id (16 hex digits) of that msgid? */
static int
smtpd_id_is(const struct follow *f, const char *p, size_t n)
{
	if (n == f->qidlen && memcmp(p, f->qid, n) == 0)
		return 1;
	return f->qidlen == 8 && n == 16 && strncasecmp(p, f->qid, 8) == 0;
}

/* Is the hex id at q (up to a blank, ':', ',' or the end) the message's? */
static int
smtpd_id_at(const struct follow *f, const char *q, const char *end)
{
	size_t n = hex_run(q, end);

	return (q + n == end || q[n] == ' ' || q[n] == ':' || q[n] == ',') &&
	    smtpd_id_is(f, q, n);
}

/*
 * Does an OpenSMTPD line name the message: 6.x "SID smtp message msgid=M"
 * and "SID ... evpid=E" (SID 16 hex digits), queue.c's and 5.x's
 * "relay: R for E:" / "delivery: R for E:", 5.x's "smtp-in: Accepted
 * message M on session ..."?
 */
static int
smtpd_names(const struct follow *f, const char *p, const char *end)
{
	static const char *const ids[] = { " msgid=", " evpid=", NULL };
	const char *q;
	size_t i;

	if (hex_run(p, end) == 16 && p + 16 < end && p[16] == ' ') {
		for (i = 0; ids[i] != NULL; i++)
			for (q = p; (q = find(q, end - q, ids[i])) != NULL;) {
				q += strlen(ids[i]);
				if (smtpd_id_at(f, q, end))
					return 1;
			}
		return 0;
	}
	if (has_prefix(p, end, "smtp-in: Accepted message "))
		return smtpd_id_at(f, p + strlen("smtp-in: Accepted message "),
		    end);
	if ((has_prefix(p, end, "relay: ") || has_prefix(p, end,
	    "delivery: ")) && (q = find(p, end - p, " for ")) != NULL &&
	    q - p < 32)
		return smtpd_id_at(f, q + strlen(" for "), end);
	return 0;
}

/* The value of field name ("to=<", " relay=") in [p, end), up to stop;
 * sets *n, NULL when absent. */
static const char *
field(const char *p, const char *end, const char *name, const char *stop,
    size_t *n)
{
	const char *v = find(p, end - p, name), *e;

	if (v == NULL)
		return NULL;
	v += strlen(name);
	e = find(v, end - v, stop);
	*n = e != NULL ? (size_t)(e - v) : (size_t)(end - v);
	return v;
}

/* Is the address [p, p + n) the recipient followed (any when none)? */
static int
rcpt_is(const struct follow *f, const char *p, size_t n)
{
	return f->rcpt == NULL || (p != NULL && strlen(f->rcpt) == n &&
	    strncasecmp(p, f->rcpt, n) == 0);
}

/* The receiver's reply in status text [p, p + n): its code, enhanced
 * status and the address it names. */
static void
set_reply(struct follow *f, const char *p, size_t n, int dsn_given)
{
	struct remote_verdict v;
	size_t off, rn;

	remote_reply_span(p, n, &off, &rn);
	set_str(&f->res.reply, safe_span(p + off, rn));
	remote_classify(p + off, rn, NULL, NULL, &v);
	set_str(&f->res.sending_addr, v.sending_addr);
	v.sending_addr = NULL;
	if (!dsn_given)
		set_str(&f->res.dsn, v.enh[0] != '\0' ? xstrdup(v.enh) : NULL);
	remote_verdict_free(&v);
}

/* The fate a line gives: the status and its fields into the result. */
static void
set_final(struct follow *f, enum follow_status st, const char *rcpt,
    size_t rn, const char *relay, size_t ln, const char *raw, size_t len,
    time_t t)
{
	f->res.status = st;
	set_str(&f->res.rcpt, rcpt != NULL ? safe_span(rcpt, rn) : NULL);
	set_str(&f->res.relay, relay != NULL ? safe_span(relay, ln) : NULL);
	set_str(&f->res.line, safe_span(raw, len));
	f->res.when = t;
	f->final_at = loop_now_ms();
}

/* The words that tell a fate: Postfix's status= and OpenSMTPD's result=
 * (queue.c's "Expire" and "Remove" too). */
static const struct {
	const char		*word;
	enum follow_status	 st;
} fate_words[] = {
	{ "sent", FOLLOW_SENT },
	{ "deferred", FOLLOW_DEFERRED },
	{ "bounced", FOLLOW_BOUNCED },
	{ "expired", FOLLOW_BOUNCED },
	{ "undeliverable", FOLLOW_BOUNCED },
	{ "Ok", FOLLOW_SENT },
	{ "TempFail", FOLLOW_DEFERRED },
	{ "PermFail", FOLLOW_BOUNCED },
	{ "Expire", FOLLOW_BOUNCED },
	{ "Remove", FOLLOW_BOUNCED },
};

/* The fate of word [w, w + n), or WAITING for a word that tells none. */
static enum follow_status
fate_of(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof fate_words / sizeof fate_words[0]; i++)
		if (strlen(fate_words[i].word) == n &&
		    memcmp(w, fate_words[i].word, n) == 0)
			return fate_words[i].st;
	return FOLLOW_WAITING;
}

/* Postfix, the text after "QID: ".  1 when it gave the fate. */
static int
postfix_line(struct follow *f, const char *p, const char *end,
    const char *raw, size_t len, time_t t)
{
	static const char ndn[] = "sender non-delivery notification: ";
	const char *st, *w, *rc = NULL, *rl, *ds, *tx, *gt;
	size_t wn, rn = 0, ln = 0, dn = 0;
	enum follow_status s;

	if (has_prefix(p, end, ndn)) {
		w = p + strlen(ndn);
		for (wn = 0; w + wn < end && wn < FOLLOW_QID_MAX &&
		    (isalnum((unsigned char)w[wn]) || w[wn] == '.' ||
		    w[wn] == '_' || w[wn] == '-'); wn++)
			;
		set_str(&f->res.bounce_qid, safe_span(w, wn));
		return 0;
	}
	if (end - p == 7 && memcmp(p, "removed", 7) == 0) {
		f->removed = 1;
		return 0;
	}
	if ((st = find(p, end - p, ", status=")) == NULL)
		return 0;
	if (has_prefix(p, end, "to=<")) {
		rc = p + 4;
		gt = memchr(rc, '>', st - rc);
		rn = (gt != NULL ? gt : st) - rc;
	} else if (!has_prefix(p, end, "from=<"))
		return 0;
	w = st + strlen(", status=");
	for (wn = 0; w + wn < end && w[wn] != ' ' && w[wn] != ','; wn++)
		;
	if ((s = fate_of(w, wn)) == FOLLOW_WAITING ||
	    (rc != NULL && !rcpt_is(f, rc, rn)) ||
	    (rc == NULL && s != FOLLOW_BOUNCED))
		return 0;
	rl = field(p, st, ", relay=", ",", &ln);
	set_final(f, s, rc, rn, rl, ln, raw, len, t);
	ds = field(p, st, ", dsn=", ",", &dn);
	set_str(&f->res.dsn, ds != NULL ? safe_span(ds, dn) : NULL);
	tx = w + wn;
	if (has_prefix(tx, end, " (")) {
		tx += 2;
		set_reply(f, tx, end > tx && end[-1] == ')' ? end - tx - 1 :
		    end - tx, ds != NULL);
	} else if (has_prefix(tx, end, ", ")) {
		/* qmgr: "status=expired, returned to sender" */
		set_str(&f->res.reply, NULL);
		set_str(&f->res.sending_addr, NULL);
	}
	return 1;
}

/* A value after name: quoted ("...", to the next quote, or for the last
 * field to the line's last quote) or bare (up to stop, or for the last
 * field to the end). */
static const char *
smtpd_value(const char *p, const char *end, const char *name, int last,
    const char *stop, size_t *n)
{
	const char *v = find(p, end - p, name), *e;

	if (v == NULL)
		return NULL;
	v += strlen(name);
	if (v < end && *v == '"') {
		v++;
		if (last && end > v && end[-1] == '"')
			e = end - 1;
		else if ((e = memchr(v, '"', end - v)) == NULL)
			e = end;
	} else if (last || (e = find(v, end - v, stop)) == NULL)
		e = end;
	*n = e - v;
	return v;
}

/* OpenSMTPD, a line that names the message.  1 when it gave the fate. */
static int
smtpd_line(struct follow *f, const char *p, const char *end,
    const char *raw, size_t len, time_t t)
{
	const char *w, *rc, *rl, *stat, *q, *stop = " ";
	size_t wn = 0, rn = 0, ln = 0, sn = 0;
	enum follow_status s;

	if ((q = find(p, end - p, " delivery evpid=")) != NULL &&
	    (w = smtpd_value(q, end, " result=", 0, " ", &wn)) != NULL) {
		/* 6.x: "SID mta delivery evpid=E ... result=R stat=S" */
	} else if ((has_prefix(p, end, "relay: ") ||
	    has_prefix(p, end, "delivery: ")) &&
	    (q = find(p, end - p, " for ")) != NULL) {
		/* queue.c, and before 6.0: "relay: R for E: ..." */
		w = (const char *)memchr(p, ' ', end - p) + 1;
		wn = q - w;
		stop = ", ";
	} else
		return 0;
	if ((s = fate_of(w, wn)) == FOLLOW_WAITING)
		return 0;
	rc = smtpd_value(p, end, " to=<", 0, ">", &rn);
	if (rc != NULL && (q = memchr(rc, '>', rn)) != NULL)
		rn = q - rc;
	if (rc != NULL && !rcpt_is(f, rc, rn))
		return 0;
	rl = smtpd_value(p, end, " relay=", 0, stop, &ln);
	set_final(f, s, rc, rn, rl, ln, raw, len, t);
	if ((stat = smtpd_value(p, end, " stat=", 1, stop, &sn)) != NULL)
		set_reply(f, stat, sn, 0);
	else {
		set_str(&f->res.reply, NULL);
		set_str(&f->res.dsn, NULL);
	}
	return 1;
}

/* 64-bit FNV-1a of the line's program, pid and text: the same message
 * in two logs (timestamps and host names written differently). */
static char *
line_key(const struct logscan_line *l)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < l->proglen; i++)
		h = (h ^ (unsigned char)l->prog[i]) * 1099511628211ull;
	h = (h ^ (uint64_t)l->pid) * 1099511628211ull;
	for (i = 0; i < l->msglen; i++)
		h = (h ^ (unsigned char)l->msg[i]) * 1099511628211ull;
	return xasprintf("%016llx", (unsigned long long)h);
}

/* Seen before (in another log)?  Remembers it otherwise. */
static int
seen_before(struct follow *f, const struct logscan_line *l)
{
	char *key = line_key(l);
	size_t v;
	int seen = strmap_get(&f->keys, key, &v);

	if (!seen && f->keys.n < FOLLOW_KEYS)
		strmap_put(&f->keys, key, 1);
	free(key);
	return seen;
}

/* Keep a line of the message (sanitized) and tell the caller. */
static void
keep_line(struct follow *f, const char *p, size_t n)
{
	char *s;

	if (f->res.lines.n > FOLLOW_LINES)
		return;
	if (f->res.lines.n == FOLLOW_LINES) {
		strv_add(&f->res.lines, "...");
		return;
	}
	s = str_sanitize(p, n);
	strv_add(&f->res.lines, s);
	if (f->on_line != NULL)
		f->on_line(s, f->arg);
	free(s);
}

int
follow_feed(struct follow *f, const char *line, size_t len, time_t now)
{
	struct logscan_line l;
	const char *p, *end;
	int postfix;

	if (len > LOGSCAN_LINE_MAX)
		len = LOGSCAN_LINE_MAX;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0 || f->res.status == FOLLOW_TIMEOUT ||
	    f->res.status == FOLLOW_NOLOG)
		return 0;
	logscan_parse_line(line, len, now, &l);
	p = l.msg;
	end = l.msg + l.msglen;
	postfix = (size_t)(end - p) > f->qidlen + 1 &&
	    memcmp(p, f->qid, f->qidlen) == 0 && p[f->qidlen] == ':' &&
	    (p + f->qidlen + 1 == end || p[f->qidlen + 1] == ' ');
	if (!postfix && !smtpd_names(f, p, end))
		return 0;
	if (seen_before(f, &l))
		return 0;
	keep_line(f, line, len);
	if (postfix) {
		p += f->qidlen + 1;
		if (p < end)
			p++;
		return postfix_line(f, p, end, line, len, l.t);
	}
	return smtpd_line(f, p, end, line, len, l.t);
}

/* --- the follow --- */

/* Is the queue id one smtp.h gives: letters, digits, . _ -? */
static int
qid_ok(const char *q)
{
	size_t i;

	if (q == NULL || *q == '\0' || strlen(q) > FOLLOW_QID_MAX)
		return 0;
	for (i = 0; q[i] != '\0'; i++)
		if (!isalnum((unsigned char)q[i]) && q[i] != '.' &&
		    q[i] != '_' && q[i] != '-')
			return 0;
	return 1;
}

struct follow *
follow_new(const struct follow_opts *o, char **cause)
{
	struct follow *f;

	if (o == NULL || !qid_ok(o->queue_id)) {
		error_set(cause, "not a queue id: %s (letters, digits and "
		    ". _ - only, at most %d)", o != NULL && o->queue_id !=
		    NULL ? o->queue_id : "(none)", FOLLOW_QID_MAX);
		return NULL;
	}
	if (o->rcpt != NULL && (strchr(o->rcpt, '>') != NULL ||
	    strlen(o->rcpt) > 512)) {
		error_set(cause, "not a recipient address: %s", o->rcpt);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->qid = xstrdup(o->queue_id);
	f->qidlen = strlen(f->qid);
	f->rcpt = o->rcpt != NULL ? xstrdup(o->rcpt) : NULL;
	f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 120000;
	f->poll_ms = o->poll_ms > 0 ? o->poll_ms : 250;
	f->on_line = o->on_line;
	f->on_done = o->on_done;
	f->arg = o->arg;
	f->res.status = FOLLOW_WAITING;
	f->res.queue_id = xstrdup(f->qid);
	strv_init(&f->res.lines);
	strmap_init(&f->keys);
	f->started = loop_now_ms();
	return f;
}

/* Feed bytes of file s, line by line. */
static void
src_feed(struct follow *f, struct follow_src *s, const char *p, size_t n)
{
	const char *nl;
	size_t k, room;

	while (n > 0 && !f->done) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (!s->skip) {
			room = sizeof s->line - s->len;
			if (k > room)
				s->cut = 1;
			memcpy(s->line + s->len, p, k < room ? k : room);
			s->len += k < room ? k : room;
		}
		if (nl == NULL)
			return;
		if (!s->skip)
			follow_feed(f, s->line, s->len, time(NULL));
		s->len = 0;
		s->cut = 0;
		s->skip = 0;
		p = nl + 1;
		n -= k + 1;
	}
}

/* Open s: the initial open (from follow_start) where the mark saw the
 * file (the same file, not shorter), or FOLLOW_BACK before its end
 * without a mark; a later one (a file that appeared, or came after a
 * rotation) at 0.  0, or -1 with s->why. */
static int
src_open(struct follow *f, struct follow_src *s, int initial,
    const struct follow_mark *mark)
{
	struct stat sb;
	char *host, *why = NULL;
	size_t i;
	int fd;

	if ((host = fsroot_host(f->root, s->path, 1, &why)) == NULL) {
		set_str(&s->why, why);
		return -1;
	}
	fd = open(host, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
	    (fsroot_is_system(f->root) ? 0 : O_NOFOLLOW));
	free(host);
	if (fd == -1 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		set_str(&s->why, xasprintf("%s: %s", s->path, fd == -1 ?
		    strerror(errno) : "not a regular file"));
		if (fd != -1)
			close(fd);
		return -1;
	}
	set_str(&s->why, NULL);
	s->fd = fd;
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	s->len = 0;
	s->cut = s->skip = 0;
	s->off = 0;
	if (initial && mark == NULL && sb.st_size > FOLLOW_BACK) {
		s->off = sb.st_size - FOLLOW_BACK;
		s->skip = 1;
	}
	for (i = 0; initial && mark != NULL && i < mark->n; i++)
		if (strcmp(mark->v[i].path, s->path) == 0 &&
		    mark->v[i].exists && mark->v[i].dev == sb.st_dev &&
		    mark->v[i].ino == sb.st_ino && mark->v[i].size <=
		    sb.st_size)
			s->off = mark->v[i].size;
	return 0;
}

static void
src_close(struct follow_src *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}

/* Read what s has gained (at most FOLLOW_READ_MAX); a file rotated away
 * is read to its end, then the new one from its start; a truncated one
 * again from its start. */
static void
src_poll(struct follow *f, struct follow_src *s)
{
	struct stat sb, now;
	char *buf;
	ssize_t got;
	size_t total = 0;
	int rotated;

	if (s->fd == -1 && src_open(f, s, 0, NULL) != 0)
		return;
	if (fstat(s->fd, &sb) != 0)
		return;
	if (sb.st_size < s->off) {
		s->off = 0;
		s->len = 0;
		s->cut = s->skip = 0;
	}
	buf = xmalloc(FOLLOW_CHUNK);
	while (total < FOLLOW_READ_MAX && !f->done) {
		got = pread(s->fd, buf, FOLLOW_CHUNK, s->off);
		if (got <= 0)
			break;
		s->off += got;
		total += got;
		src_feed(f, s, buf, (size_t)got);
	}
	free(buf);
	if (f->done || total >= FOLLOW_READ_MAX)
		return;
	/* At the end of the open file: is the path another file now? */
	rotated = fsroot_stat(f->root, s->path, &now) != 0 ||
	    now.st_dev != s->dev || now.st_ino != s->ino;
	if (rotated) {
		if (s->len > 0 && !s->skip)
			follow_feed(f, s->line, s->len, time(NULL));
		src_close(s);
		s->len = 0;
	}
}

/* The end: the callback, which may free f. */
static void
follow_finish(struct follow *f)
{
	size_t i;

	f->done = 1;
	if (f->loop != NULL)
		loop_timer_cancel(f->loop, f->timer);
	f->timer = 0;
	for (i = 0; i < f->nsrc; i++)
		src_close(&f->src[i]);
	if (f->on_done != NULL)
		f->on_done(f, &f->res, f->arg);
}

/* The reasons no log could be read, one per file. */
static void
follow_nolog(struct follow *f)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < f->nsrc; i++)
		if (f->src[i].why != NULL)
			buf_printf(&b, "%s%s", b.len > 0 ? "; " : "",
			    f->src[i].why);
	if (f->nsrc == 0)
		buf_adds(&b, "no log file is known for this site");
	f->res.why = buf_steal(&b);
	f->res.status = FOLLOW_NOLOG;
}

static void
follow_tick(void *arg)
{
	struct follow *f = arg;
	int64_t now, left;
	size_t i, open = 0;

	f->timer = 0;
	for (i = 0; i < f->nsrc && !f->done; i++) {
		src_poll(f, &f->src[i]);
		open += f->src[i].fd != -1 || f->src[i].why == NULL;
	}
	now = loop_now_ms();
	/* No log at all at the start: nothing will tell the fate. */
	if (f->ticks++ == 0 && f->res.status == FOLLOW_WAITING && open == 0) {
		follow_nolog(f);
		follow_finish(f);
		return;
	}
	left = f->started + f->timeout_ms - now;
	if (f->res.status != FOLLOW_WAITING) {
		/* A bounce: its notification follows within moments. */
		if (f->res.status != FOLLOW_BOUNCED || f->res.bounce_qid !=
		    NULL || f->removed || now - f->final_at >=
		    FOLLOW_GRACE_MS || left <= 0) {
			follow_finish(f);
			return;
		}
	} else if (left <= 0) {
		f->res.status = FOLLOW_TIMEOUT;
		follow_finish(f);
		return;
	}
	if (left > f->poll_ms || left <= 0)
		left = f->poll_ms;
	f->timer = loop_timer_add(f->loop, (int)left, follow_tick, f);
}

struct follow *
follow_start(struct loop *loop, const struct site *site,
    const struct follow_mark *mark, const struct follow_opts *o,
    char **cause)
{
	struct follow *f;
	struct strv paths;
	size_t i;

	if ((f = follow_new(o, cause)) == NULL)
		return NULL;
	f->loop = loop;
	f->root = site->root != NULL ? xstrdup(site->root) : NULL;
	strv_init(&paths);
	if (mark != NULL)
		for (i = 0; i < mark->n; i++)
			strv_add(&paths, mark->v[i].path);
	else
		logscan_site_files(site, &paths);
	f->src = xcalloc(paths.n > 0 ? paths.n : 1, sizeof *f->src);
	for (i = 0; i < paths.n; i++) {
		f->src[i].path = xstrdup(paths.v[i]);
		f->src[i].fd = -1;
		src_open(f, &f->src[f->nsrc], 1, mark);
		f->nsrc++;
	}
	strv_free(&paths);
	f->timer = loop_timer_add(loop, 0, follow_tick, f);
	return f;
}

void
follow_free(struct follow *f)
{
	size_t i;

	if (f == NULL)
		return;
	if (f->loop != NULL && f->timer != 0)
		loop_timer_cancel(f->loop, f->timer);
	for (i = 0; i < f->nsrc; i++) {
		src_close(&f->src[i]);
		free(f->src[i].path);
		free(f->src[i].why);
	}
	free(f->src);
	free(f->root);
	free(f->qid);
	free(f->rcpt);
	strmap_free(&f->keys);
	result_free(&f->res);
	free(f);
}

const struct follow_result *
follow_result(const struct follow *f)
{
	return &f->res;
}
