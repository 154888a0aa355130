/* test_follow.c: one queue id followed through the MTA's log
 * (core/mail/follow.c).
 *
 * The Postfix lines are tests/fixtures/logs/real-postfix.log (Postfix
 * 3.7.11's maillog_file, recorded by record.sh: a bounce with Gmail's
 * multi-line IPv6 reply, the bounce's own delivery, a deferral) and
 * tests/fixtures/logs/follow-postfix.log (Postfix 3.7.11 through syslog,
 * recorded by tests/shell/follow_real.sh: sent, deferred, bounced after
 * DATA and at RCPT, one never answered, each against
 * tests/stack/rejectrx.py); the OpenSMTPD ones
 * tests/fixtures/logs/follow-smtpd.log (6.8.0p2 through syslog, recorded
 * by record-smtpd.sh against the same receivers).  More OpenSMTPD lines are
 * written from the format strings of OpenSMTPD's smtp_session.c, mta.c,
 * mda.c and queue.c (6.x / 7.x, and 5.x before the 2016 log change), with
 * the continuation lines of a reply joined as mta_session.c joins them.
 * The loop cases write a log under a temporary root and follow it there:
 * lines before the mark, rotation, truncation, the time limit, no log.
 */
#include "testutil.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "core/doctor/logscan.h"
#include "core/doctor/remote.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/mail/follow.h"
#include "core/site/site.h"

#define NOW	((time_t)1796141400)	/* 2026-12-01 16:10:00 UTC */

static int
setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static struct follow *
new_follow(const char *qid, const char *rcpt)
{
	struct follow_opts o;
	struct follow *f;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.queue_id = qid;
	o.rcpt = rcpt;
	f = follow_new(&o, &cause);
	assert_non_null(f);
	assert_null(cause);
	return f;
}

/* Feed every line of text; returns how many made the result final. */
static int
feed_text(struct follow *f, const char *text)
{
	const char *p = text, *nl;
	int n = 0;

	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		n += follow_feed(f, p, nl - p, NOW);
		if (*nl == '\0')
			break;
	}
	return n;
}

static void
feed_file(struct follow *f, const char *path)
{
	char *text = test_read_file(path, NULL);

	feed_text(f, text);
	free(text);
}

/* Does some line of r hold needle? */
static int
lines_have(const struct follow_result *r, const char *needle)
{
	size_t i;

	for (i = 0; i < r->lines.n; i++)
		if (strstr(r->lines.v[i], needle) != NULL)
			return 1;
	return 0;
}

/* The bounce with Gmail's IPv6 reply, among every other line of the
 * recording (other queue ids, the bounce's own delivery, milter lines). */
static void
test_bounced_gmail(void **state)
{
	const struct follow_result *r;
	struct remote_verdict v;
	struct follow *f;
	size_t i;

	(void)state;
	f = new_follow("93366A7A181", NULL);
	assert_int_equal(follow_result(f)->status, FOLLOW_WAITING);
	feed_file(f, "tests/fixtures/logs/real-postfix.log");
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_BOUNCED);
	assert_string_equal(follow_status_name(r->status), "bounced");
	assert_string_equal(r->queue_id, "93366A7A181");
	assert_string_equal(r->rcpt, "rcpt@example.net");
	assert_string_equal(r->relay, "127.0.0.1[127.0.0.1]:2526");
	assert_string_equal(r->dsn, "5.7.1");
	assert_true(str_startswith(r->reply, "550-5.7.1 [2001:db8::25] Our "
	    "system has detected that this message does 550-5.7.1 not meet "
	    "IPv6 sending guidelines"));
	assert_true(strlen(r->reply) > 10 &&
	    strcmp(r->reply + strlen(r->reply) - 7, "- gsmtp") == 0);
	assert_string_equal(r->sending_addr, "2001:db8::25");
	assert_string_equal(r->bounce_qid, "AF3D0A7A273");
	assert_non_null(strstr(r->line, "status=bounced"));
	assert_int_equal(r->when, (time_t)1796141025);	/* 16:03:45 */
	/* pickup, cleanup, qmgr, smtp, bounce, removed: no other id's. */
	assert_int_equal(r->lines.n, 6);
	for (i = 0; i < r->lines.n; i++)
		assert_non_null(strstr(r->lines.v[i], " 93366A7A181: "));
	assert_true(lines_have(r, "93366A7A181: removed"));
	/* The reply is what remote.c maps to its cause. */
	assert_int_equal(remote_classify(r->reply, strlen(r->reply),
	    "example.com", NULL, &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_string_equal(v.sending_addr, "2001:db8::25");
	remote_verdict_free(&v);
	follow_free(f);
}

/* The bounce's own queue id: its local delivery, nothing of the
 * original message. */
static void
test_bounce_own_qid(void **state)
{
	const struct follow_result *r;
	struct follow *f;

	(void)state;
	f = new_follow("AF3D0A7A273", NULL);
	feed_file(f, "tests/fixtures/logs/real-postfix.log");
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_BOUNCED);
	assert_string_equal(r->rcpt, "user@example.com");
	assert_string_equal(r->relay, "local");
	assert_string_equal(r->dsn, "5.1.1");
	assert_string_equal(r->reply, "unknown user: \"user\"");
	assert_null(r->sending_addr);
	assert_null(r->bounce_qid);
	assert_false(lines_have(r, "93366A7A181"));
	assert_int_equal(r->lines.n, 4);	/* cleanup, qmgr, local, removed */
	follow_free(f);
}

/* A deferral (Gmail's 4.7.29 over a non-TLS connection). */
static void
test_deferred(void **state)
{
	const struct follow_result *r;
	struct remote_verdict v;
	struct follow *f;

	(void)state;
	f = new_follow("69083A7A2F4", NULL);
	feed_file(f, "tests/fixtures/logs/real-postfix.log");
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_DEFERRED);
	assert_string_equal(r->dsn, "4.7.29");
	assert_string_equal(r->rcpt, "user@other.example");
	assert_true(str_startswith(r->reply, "421-4.7.29 Your email has been "
	    "rate limited"));
	assert_int_equal(remote_classify(r->reply, strlen(r->reply), NULL,
	    NULL, &v), LOGSCAN_REMOTE_GMAIL_BULK);
	remote_verdict_free(&v);
	follow_free(f);
}

/* One case of a recorded log: "# qid TAG QID" names its queue id. */
struct rec_case {
	const char		*tag;
	enum follow_status	 st;
	const char		*dsn;
	const char		*reply;		/* its start */
	const char		*rcpt;
	const char		*relay;
	size_t			 lines;
	int			 bounce_qid;	/* Postfix names the bounce */
	int			 cause;		/* remote_classify, or -1 */
};

static void
check_recorded(const char *path, const struct rec_case *want, size_t nwant)
{
	const struct follow_result *r;
	struct remote_verdict v;
	struct follow *f;
	char *text, *p, *qid, *needle;
	size_t i, n;

	text = test_read_file(path, NULL);
	for (i = 0; i < nwant; i++) {
		needle = xasprintf("# qid %s ", want[i].tag);
		p = strstr(text, needle);
		assert_non_null(p);
		p += strlen(needle);
		n = strcspn(p, "\n");
		qid = xstrndup(p, n);
		f = new_follow(qid, NULL);
		feed_text(f, text);
		r = follow_result(f);
		print_message("# %s %s: %s (%s) %s\n", want[i].tag, qid,
		    follow_status_name(r->status), r->dsn ? r->dsn : "-",
		    r->relay ? r->relay : "-");
		assert_int_equal(r->status, want[i].st);
		assert_int_equal(r->lines.n, want[i].lines);
		if (want[i].st == FOLLOW_WAITING) {
			assert_null(r->reply);
			assert_null(r->line);
		} else {
			assert_string_equal(r->dsn, want[i].dsn);
			assert_true(str_startswith(r->reply, want[i].reply));
			assert_string_equal(r->rcpt, want[i].rcpt);
			assert_string_equal(r->relay, want[i].relay);
			assert_int_equal(remote_classify(r->reply,
			    strlen(r->reply), "example.com", NULL, &v),
			    want[i].cause);
			remote_verdict_free(&v);
		}
		if (want[i].bounce_qid)
			assert_non_null(r->bounce_qid);
		else
			assert_null(r->bounce_qid);
		follow_free(f);
		free(qid);
		free(needle);
	}
	free(text);
}

/* The lines follow_real.sh recorded from the real Postfix: sent, deferred
 * (451 at RCPT), bounced (Gmail's IPv6 reply after DATA, its 5.7.26 at
 * RCPT), and one never answered (still waiting). */
static void
test_recorded(void **state)
{
	static const struct rec_case want[] = {
		{ "sent", FOLLOW_SENT, "2.0.0", "250 2.0.0 Ok: accepted",
		  "rcpt@ok.example", "::1[::1]:2604", 5, 0, -1 },
		{ "deferred", FOLLOW_DEFERRED, "4.7.1", "451 4.7.1 Greylisted",
		  "rcpt@defer.example", "127.0.0.1[127.0.0.1]:2603", 4, 0, -1 },
		{ "bounced", FOLLOW_BOUNCED, "5.7.1", "550-5.7.1 [2001:db8::25] "
		  "Gmail has detected that this message does not meet IPv6 "
		  "550-5.7.1 sending guidelines", "rcpt@v6data.example",
		  "::1[::1]:2601", 6, 1, LOGSCAN_REMOTE_IPV6_PTR },
		{ "rcpt", FOLLOW_BOUNCED, "5.7.26", "550-5.7.26 This mail is "
		  "unauthenticated", "rcpt@rcpt.example",
		  "127.0.0.1[127.0.0.1]:2602", 6, 1, LOGSCAN_REMOTE_UNAUTH },
		{ "silent", FOLLOW_WAITING, NULL, NULL, NULL, NULL, 3, 0, -1 },
	};

	(void)state;
	check_recorded("tests/fixtures/logs/follow-postfix.log", want,
	    sizeof want / sizeof want[0]);
}

/* The lines record-smtpd.sh recorded from the real OpenSMTPD 6.8: the
 * msgid of the SMTP reply, then its envelope's "mta delivery" line. */
static void
test_recorded_smtpd(void **state)
{
	static const struct rec_case want[] = {
		{ "sent", FOLLOW_SENT, "2.0.0", "250 2.0.0 Ok: accepted",
		  "rcpt@ok.example", "[::1] (localhost)", 3, 0, -1 },
		{ "deferred", FOLLOW_DEFERRED, "4.7.1", "451 4.7.1 Greylisted",
		  "rcpt@defer.example", "127.0.0.1 (localhost)", 3, 0, -1 },
		{ "bounced", FOLLOW_BOUNCED, "5.7.1", "550-5.7.1 [2001:db8::25] "
		  "Gmail has detected that this message does not meet IPv6 "
		  "sending guidelines", "rcpt@v6data.example",
		  "[::1] (localhost)", 3, 0, LOGSCAN_REMOTE_IPV6_PTR },
		{ "rcpt", FOLLOW_BOUNCED, "5.7.26", "550-5.7.26 This mail is "
		  "unauthenticated, which poses a security risk to the5.7.26 "
		  "sender", "rcpt@rcpt.example", "127.0.0.1 (localhost)", 3, 0,
		  LOGSCAN_REMOTE_UNAUTH },
	};

	(void)state;
	check_recorded("tests/fixtures/logs/follow-smtpd.log", want,
	    sizeof want / sizeof want[0]);
}

/* Several recipients: the one asked for, or the first fate. */
static void
test_rcpt(void **state)
{
	static const char lines[] =
	    "Dec 01 16:05:00 mail postfix/qmgr[534]: 4ZK3mT0bq5z9sLk: "
	    "from=<a@example.org>, size=900, nrcpt=2 (queue active)\n"
	    "Dec 01 16:05:01 mail postfix/smtp[540]: 4ZK3mT0bq5z9sLk: "
	    "to=<one@example.net>, relay=mx.example.net[192.0.2.7]:25, "
	    "delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 "
	    "Ok: queued as 99)\n"
	    "Dec 01 16:05:01 mail postfix/smtp[541]: 4ZK3mT0bq5z9sLk: "
	    "to=<Two@Example.NET>, orig_to=<two@alias.example>, relay="
	    "mx.example.net[192.0.2.7]:25, delay=1, delays=0/0/0.5/0.5, "
	    "dsn=5.7.1, status=bounced (host mx.example.net[192.0.2.7] said: "
	    "550 5.7.1 no (in reply to RCPT TO command))\n";
	struct follow *f;

	(void)state;
	f = new_follow("4ZK3mT0bq5z9sLk", "two@example.net");
	assert_int_equal(feed_text(f, lines), 1);
	assert_int_equal(follow_result(f)->status, FOLLOW_BOUNCED);
	assert_string_equal(follow_result(f)->rcpt, "Two@Example.NET");
	assert_string_equal(follow_result(f)->reply, "550 5.7.1 no");
	assert_int_equal(follow_result(f)->lines.n, 3);
	follow_free(f);
	f = new_follow("4ZK3mT0bq5z9sLk", NULL);
	assert_int_equal(feed_text(f, lines), 2);
	/* The latest fate wins. */
	assert_int_equal(follow_result(f)->status, FOLLOW_BOUNCED);
	follow_free(f);
	f = new_follow("4ZK3mT0bq5z9sLk", "one@example.net");
	feed_text(f, lines);
	assert_int_equal(follow_result(f)->status, FOLLOW_SENT);
	assert_string_equal(follow_result(f)->reply,
	    "250 2.0.0 Ok: queued as 99");
	assert_string_equal(follow_result(f)->relay,
	    "mx.example.net[192.0.2.7]:25");
	follow_free(f);
}

/* A queue id inside another, or another's prefix, takes none of its
 * lines; a line that only quotes the id elsewhere is not the message's. */
static void
test_substring(void **state)
{
	static const char lines[] =
	    "Dec 01 16:05:01 mail postfix/smtp[540]: 4ZK3mT0bq5z9sLk: "
	    "to=<a@example.net>, relay=none, delay=1, dsn=4.4.1, "
	    "status=deferred (connect to x[192.0.2.1]:25: Connection "
	    "refused)\n"
	    "Dec 01 16:05:01 mail postfix/smtp[540]: X4ZK3mT0bq5: "
	    "to=<a@example.net>, relay=none, dsn=5.0.0, status=bounced (x)\n"
	    "Dec 01 16:05:01 mail postfix/smtp[540]: 1234: to=<a@example.net>,"
	    " relay=none, dsn=5.0.0, status=bounced (4ZK3mT0bq5: x)\n"
	    "Dec 01 16:05:01 mail postfix/smtp[540]: 4ZK3mT0bq5:to=<a@b>, "
	    "status=bounced (x)\n"
	    "Dec 01 16:05:01 mail smtpd[9]: 0123456789abcdef mta delivery "
	    "evpid=4ZK3mT0bq5 result=\"PermFail\" stat=\"550 no\"\n";
	struct follow *f;

	(void)state;
	f = new_follow("4ZK3mT0bq5", NULL);
	assert_int_equal(feed_text(f, lines), 0);
	assert_int_equal(follow_result(f)->status, FOLLOW_WAITING);
	assert_int_equal(follow_result(f)->lines.n, 0);
	follow_free(f);
	f = new_follow("4ZK3mT0bq5z9sLk", NULL);
	assert_int_equal(feed_text(f, lines), 1);
	assert_int_equal(follow_result(f)->status, FOLLOW_DEFERRED);
	assert_string_equal(follow_result(f)->dsn, "4.4.1");
	assert_string_equal(follow_result(f)->reply,
	    "connect to x[192.0.2.1]:25: Connection refused");
	assert_null(follow_result(f)->sending_addr);
	assert_string_equal(follow_result(f)->relay, "none");
	follow_free(f);
}

/* OpenSMTPD 6.x/7.x: the msgid of the SMTP reply, then its envelopes. */
static const char smtpd_lines[] =
    "Dec  1 16:10:01 mail smtpd[901]: 7f3a1c2b4d5e6f70 smtp connected "
    "address=127.0.0.1 host=localhost\n"
    "Dec  1 16:10:01 mail smtpd[901]: 7f3a1c2b4d5e6f70 smtp message "
    "msgid=1a2b3c4d size=412 nrcpt=2 proto=ESMTP\n"
    "Dec  1 16:10:01 mail smtpd[901]: 7f3a1c2b4d5e6f70 smtp envelope "
    "evpid=1a2b3c4d9e8f7a6b from=<user@example.org> to=<rcpt@gmail.com>\n"
    "Dec  1 16:10:01 mail smtpd[901]: 7f3a1c2b4d5e6f70 smtp envelope "
    "evpid=1a2b3c4d00000001 from=<user@example.org> to=<me@example.org>\n"
    "Dec  1 16:10:01 mail smtpd[901]: 7f3a1c2b4d5e6f70 smtp message "
    "msgid=1a2b3c4e size=412 nrcpt=1 proto=ESMTP\n"
    "Dec  1 16:10:01 mail smtpd[901]: 7f3a1c2b4d5e6f70 smtp envelope "
    "evpid=1a2b3c4e9e8f7a6b from=<user@example.org> to=<rcpt@gmail.com>\n"
    "Dec  1 16:10:02 mail smtpd[903]: 2b3c4d5e6f708192 mta connected\n"
    "Dec  1 16:10:02 mail smtpd[904]: 3c4d5e6f70819203 mda delivery "
    "evpid=1a2b3c4d00000001 from=<user@example.org> to=<me@example.org> "
    "user=me delay=0s result=Ok stat=Delivered\n"
    "Dec  1 16:10:02 mail smtpd[903]: 2b3c4d5e6f708192 mta delivery "
    "evpid=1a2b3c4e9e8f7a6b from=<user@example.org> to=<rcpt@gmail.com> "
    "rcpt=<-> source=\"192.0.2.25\" relay=\"142.250.27.27 "
    "(gmail-smtp-in.l.google.com)\" delay=1s result=\"Ok\" stat=\"250 "
    "2.0.0 OK  1733068202 a640c23a62f3a-aa5si1 - gsmtp\"\n"
    "Dec  1 16:10:02 mail smtpd[903]: 2b3c4d5e6f708192 mta delivery "
    "evpid=1a2b3c4d9e8f7a6b from=<user@example.org> to=<rcpt@gmail.com> "
    "rcpt=<-> source=\"2001:db8::25\" relay=\"2a00:1450:400c:c09::1a "
    "(gmail-smtp-in.l.google.com)\" delay=1s result=\"PermFail\" "
    "stat=\"550-5.7.1 [2001:db8::25] Our system has detected that this "
    "message does not meet IPv6 sending guidelines regarding PTR records "
    "and authentication. Please review  https://support.google.com/mail/"
    "?p=IPv6AuthError for more information . v5si749738wrb.38 - gsmtp\"\n"
    "Dec  1 16:10:02 mail smtpd[903]: 2b3c4d5e6f708192 mta disconnected "
    "reason=quit messages=2\n";

static void
test_smtpd(void **state)
{
	const struct follow_result *r;
	struct remote_verdict v;
	struct follow *f;

	(void)state;
	/* Both envelopes of 1a2b3c4d: the local one is delivered, the
	 * remote one bounced; asked for the remote recipient. */
	f = new_follow("1a2b3c4d", "rcpt@gmail.com");
	assert_int_equal(feed_text(f, smtpd_lines), 1);
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_BOUNCED);
	assert_string_equal(r->rcpt, "rcpt@gmail.com");
	assert_string_equal(r->relay,
	    "2a00:1450:400c:c09::1a (gmail-smtp-in.l.google.com)");
	assert_string_equal(r->dsn, "5.7.1");
	assert_true(str_startswith(r->reply, "550-5.7.1 [2001:db8::25] Our "));
	assert_true(strcmp(r->reply + strlen(r->reply) - 7, "- gsmtp") == 0);
	assert_string_equal(r->sending_addr, "2001:db8::25");
	/* message, two envelopes, the mda and mta deliveries */
	assert_int_equal(r->lines.n, 5);
	assert_false(lines_have(r, "1a2b3c4e"));
	assert_false(lines_have(r, "smtp connected"));
	assert_int_equal(remote_classify(r->reply, strlen(r->reply),
	    "example.org", NULL, &v), LOGSCAN_REMOTE_IPV6_PTR);
	remote_verdict_free(&v);
	follow_free(f);
	/* The local recipient. */
	f = new_follow("1a2b3c4d", "me@example.org");
	feed_text(f, smtpd_lines);
	assert_int_equal(follow_result(f)->status, FOLLOW_SENT);
	assert_string_equal(follow_result(f)->reply, "Delivered");
	assert_null(follow_result(f)->relay);
	follow_free(f);
	/* The next message (one hex digit apart): sent. */
	f = new_follow("1a2b3c4e", NULL);
	feed_text(f, smtpd_lines);
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_SENT);
	assert_string_equal(r->dsn, "2.0.0");
	assert_int_equal(r->lines.n, 3);
	follow_free(f);
	/* An envelope id followed by hand. */
	f = new_follow("1a2b3c4d00000001", NULL);
	feed_text(f, smtpd_lines);
	assert_int_equal(follow_result(f)->status, FOLLOW_SENT);
	assert_int_equal(follow_result(f)->lines.n, 2);
	follow_free(f);
	/* Not an id of it: a 7-digit prefix. */
	f = new_follow("1a2b3c4", NULL);
	assert_int_equal(feed_text(f, smtpd_lines), 0);
	assert_int_equal(follow_result(f)->lines.n, 0);
	follow_free(f);
}

/* OpenSMTPD 6.x TempFail, queue.c's Expire, and the 5.x format. */
static void
test_smtpd_other(void **state)
{
	static const char tempfail[] =
	    "Dec  1 16:10:02 mail smtpd[903]: 2b3c4d5e6f708192 mta delivery "
	    "evpid=0badcafe00000002 from=<u@example.org> to=<r@example.net> "
	    "rcpt=<-> source=\"192.0.2.25\" relay=\"198.51.100.7 "
	    "(mx.example.net)\" delay=2s result=\"TempFail\" stat=\"451 4.7.1 "
	    "Greylisted, \"try\" again\"\n";
	static const char expire[] =
	    "Dec  5 16:10:02 mail smtpd[902]: relay: Expire for "
	    "0badcafe00000002: from=<u@example.org>, to=<r@example.net>, "
	    "rcpt=<->, delay=4d, stat=Envelope expired\n";
	static const char old[] =
	    "Dec  1 16:10:01 mail smtpd[901]: smtp-in: Accepted message "
	    "0badcafe on session 7f3a1c2b4d5e6f70: from=<u@example.org>, "
	    "to=<r@example.net>, size=412, ndest=1, proto=ESMTP\n"
	    "Dec  1 16:10:05 mail smtpd[903]: relay: TempFail for "
	    "0badcafe00000002: session=2b3c4d5e6f708192, from=<u@example.org>,"
	    " to=<r@example.net>, rcpt=<->, source=192.0.2.25, relay="
	    "198.51.100.7 (mx.example.net), delay=3s, stat=421 4.7.0 Try "
	    "again later\n"
	    "Dec  1 16:20:05 mail smtpd[903]: delivery: Ok for "
	    "0badcafe00000003: from=<u@example.org>, to=<me@example.org>, "
	    "user=me, method=mbox, delay=3s, stat=Delivered\n";
	struct follow *f;

	(void)state;
	f = new_follow("0badcafe", NULL);
	assert_int_equal(feed_text(f, tempfail), 1);
	assert_int_equal(follow_result(f)->status, FOLLOW_DEFERRED);
	assert_string_equal(follow_result(f)->reply,
	    "451 4.7.1 Greylisted, \"try\" again");
	assert_string_equal(follow_result(f)->dsn, "4.7.1");
	assert_int_equal(feed_text(f, expire), 1);
	assert_int_equal(follow_result(f)->status, FOLLOW_BOUNCED);
	assert_string_equal(follow_result(f)->reply, "Envelope expired");
	assert_string_equal(follow_result(f)->rcpt, "r@example.net");
	follow_free(f);
	f = new_follow("0badcafe", "r@example.net");
	assert_int_equal(feed_text(f, old), 1);
	assert_int_equal(follow_result(f)->status, FOLLOW_DEFERRED);
	assert_string_equal(follow_result(f)->relay,
	    "198.51.100.7 (mx.example.net)");
	assert_string_equal(follow_result(f)->reply,
	    "421 4.7.0 Try again later");
	/* The other envelope's delivery is a line of the message too. */
	assert_int_equal(follow_result(f)->lines.n, 3);
	follow_free(f);
	f = new_follow("0badcafe", NULL);
	feed_text(f, old);
	assert_int_equal(follow_result(f)->status, FOLLOW_SENT);
	assert_int_equal(follow_result(f)->lines.n, 3);
	follow_free(f);
}

/* qmgr's "status=expired, returned to sender": a bounce. */
static void
test_expired(void **state)
{
	static const char line[] =
	    "Dec 06 16:05:00 mail postfix/qmgr[534]: 4ZK3mT0bq5z9sLk: "
	    "from=<a@example.org>, status=expired, returned to sender";
	struct follow *f;

	(void)state;
	f = new_follow("4ZK3mT0bq5z9sLk", "x@example.net");
	assert_int_equal(follow_feed(f, line, strlen(line), NOW), 1);
	assert_int_equal(follow_result(f)->status, FOLLOW_BOUNCED);
	assert_null(follow_result(f)->rcpt);
	assert_null(follow_result(f)->reply);
	follow_free(f);
}

/* The same line in mail.log and syslog (another timestamp and host
 * form) counts once. */
static void
test_duplicate(void **state)
{
	static const char a[] = "Dec 01 16:05:01 mail postfix/qmgr[534]: "
	    "ABCDEF123: removed";
	static const char b[] = "Dec  1 16:05:01 mail.example.org "
	    "postfix/qmgr[534]: ABCDEF123: removed";
	static const char c[] = "2026-12-01T16:05:01.123456+00:00 mail "
	    "postfix/qmgr[534]: ABCDEF123: removed";
	static const char d[] = "Dec 01 16:05:01 mail postfix/qmgr[535]: "
	    "ABCDEF123: removed";
	struct follow *f;

	(void)state;
	f = new_follow("ABCDEF123", NULL);
	follow_feed(f, a, strlen(a), NOW);
	follow_feed(f, b, strlen(b), NOW);
	follow_feed(f, c, strlen(c), NOW);
	assert_int_equal(follow_result(f)->lines.n, 1);
	follow_feed(f, d, strlen(d), NOW);	/* another pid */
	assert_int_equal(follow_result(f)->lines.n, 2);
	follow_free(f);
}

/* Hostile lines: a megabyte, controls and escapes, NULs, 300 lines. */
static void
test_hostile(void **state)
{
	static const char head[] = "Dec 01 16:05:01 mail postfix/smtp[1]: "
	    "ABCDEF123: to=<a@b>, relay=r, dsn=5.0.0, status=bounced (host "
	    "h[192.0.2.1] said: 550 5.7.1 \x1b[2J\x07\x9b";
	const struct follow_result *r;
	struct follow *f;
	char *big, *line;
	size_t n = 1024 * 1024, i, j;

	(void)state;
	f = new_follow("ABCDEF123", NULL);
	big = xmalloc(n);
	memset(big, 'x', n);
	memcpy(big, head, strlen(head));
	assert_int_equal(follow_feed(f, big, n, NOW), 1);
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_BOUNCED);
	assert_int_equal(r->lines.n, 1);
	/* Cut at LOGSCAN_LINE_MAX, escaped: no control byte left. */
	assert_true(strlen(r->line) <= 4 * LOGSCAN_LINE_MAX);
	assert_true(strlen(r->line) >= LOGSCAN_LINE_MAX);
	for (i = 0; r->line[i] != '\0'; i++)
		assert_true((unsigned char)r->line[i] >= 0x20 &&
		    r->line[i] != 0x7f);
	assert_true(str_startswith(r->reply, "550 5.7.1 \\x1b[2J\\x07\\x9b"));
	for (i = 0; r->reply[i] != '\0'; i++)
		assert_true((unsigned char)r->reply[i] >= 0x20);
	assert_null(strchr(r->lines.v[0], '\x1b'));
	follow_free(f);
	/* NULs and newlines inside a fed line, a bare id, an empty line. */
	f = new_follow("ABCDEF123", NULL);
	memcpy(big, "ABCDEF123: to=<a\0b>, status=sent (\n\r\0)", 39);
	follow_feed(f, big, 39, NOW);
	follow_feed(f, "ABCDEF123:", 10, NOW);
	follow_feed(f, "", 0, NOW);
	follow_feed(f, "\r", 1, NOW);
	r = follow_result(f);
	assert_int_equal(r->status, FOLLOW_SENT);
	assert_string_equal(r->rcpt, "a\\x00b");
	assert_null(strchr(r->reply, '\n'));
	follow_free(f);
	/* 300 lines of the message: 200 kept, then "...". */
	f = new_follow("ABCDEF123", NULL);
	for (j = 0; j < 300; j++) {
		line = xasprintf("Dec 01 16:05:01 mail postfix/cleanup[%zu]: "
		    "ABCDEF123: message-id=<%zu@x>", j, j);
		follow_feed(f, line, strlen(line), NOW);
		free(line);
	}
	r = follow_result(f);
	assert_int_equal(r->lines.n, 201);
	assert_string_equal(r->lines.v[200], "...");
	follow_free(f);
	free(big);
}

/* Queue ids follow_new refuses. */
static void
test_bad_qid(void **state)
{
	static const char *const bad[] = { "", "AB CD", "AB;CD", "a/b",
	    "\x1b[2J", "0123456789012345678901234567890123456789012345678901"
	    "234567890123456789", NULL };
	struct follow_opts o;
	char *cause = NULL;
	size_t i;

	(void)state;
	memset(&o, 0, sizeof o);
	for (i = 0; bad[i] != NULL; i++) {
		o.queue_id = bad[i];
		assert_null(follow_new(&o, &cause));
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	o.queue_id = NULL;
	assert_null(follow_new(&o, &cause));
	free(cause);
	cause = NULL;
	assert_null(follow_new(NULL, &cause));
	free(cause);
	cause = NULL;
	o.queue_id = "ok";
	o.rcpt = "a>b";
	assert_null(follow_new(&o, &cause));
	free(cause);
	assert_string_equal(follow_status_name(FOLLOW_NOLOG), "no log");
	assert_string_equal(follow_status_name(FOLLOW_TIMEOUT), "timeout");
}

/* --- on the loop, under a temporary root --- */

struct run {
	int				 done;
	int				 calls;
	enum follow_status		 status;
	size_t				 lines;
	int64_t				 at;
};

static void
on_done(struct follow *f, const struct follow_result *r, void *arg)
{
	struct run *run = arg;

	(void)f;
	run->done = 1;
	run->calls++;
	run->status = r->status;
	run->at = loop_now_ms();
}

static void
on_line(const char *line, void *arg)
{
	struct run *run = arg;

	(void)line;
	run->lines++;
}

static char *
make_root(void)
{
	char tmpl[] = "/tmp/notspam-follow.XXXXXX", *d, *p;

	d = mkdtemp(tmpl);
	assert_non_null(d);
	p = xasprintf("%s/var", d);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	p = xasprintf("%s/var/log", d);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	return xstrdup(d);
}

static void
rm_root(char *root)
{
	char *cmd = xasprintf("rm -rf '%s'", root);

	free(test_run(cmd));
	free(cmd);
	free(root);
}

/* Append text to root/path (O_APPEND, created when missing). */
static void
append(const char *root, const char *path, const char *text)
{
	char *p = xasprintf("%s%s", root, path);
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(p);
}

static const char l_pickup[] = "Dec 01 16:05:00 mail postfix/pickup[1]: "
    "A1B2C3: uid=0 from=<u@example.org>\n";
static const char l_qmgr[] = "Dec 01 16:05:00 mail postfix/qmgr[2]: "
    "A1B2C3: from=<u@example.org>, size=300, nrcpt=1 (queue active)\n";
static const char l_deferred[] = "Dec 01 16:05:01 mail postfix/smtp[3]: "
    "A1B2C3: to=<r@example.net>, relay=none, delay=1, dsn=4.4.1, "
    "status=deferred (connect to x[192.0.2.1]:25: Connection refused)\n";
static const char l_bounced[] = "Dec 01 16:05:02 mail postfix/smtp[3]: "
    "A1B2C3: to=<r@example.net>, relay=x[192.0.2.1]:25, delay=1, "
    "dsn=5.7.1, status=bounced (host x[192.0.2.1] said: 550 5.7.1 no (in "
    "reply to RCPT TO command))\n";
static const char l_ndn[] = "Dec 01 16:05:02 mail postfix/bounce[4]: "
    "A1B2C3: sender non-delivery notification: D4E5F6\n";

/* Run the loop until the follow ends or ms pass; returns whether it
 * ended.  step (may be NULL) is called before each round with its
 * number. */
static int
run_loop(struct loop *l, struct run *run, int ms,
    void (*step)(int, void *), void *arg)
{
	int64_t end = loop_now_ms() + ms;
	int i = 0;

	while (!run->done && loop_now_ms() < end) {
		if (step != NULL)
			step(i++, arg);
		loop_once(l, 20);
	}
	return run->done;
}

static struct follow *
start(struct loop *l, struct site *site, struct follow_mark *mark,
    struct run *run, int timeout_ms)
{
	struct follow_opts o;
	struct follow *f;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.queue_id = "A1B2C3";
	o.timeout_ms = timeout_ms;
	o.poll_ms = 10;
	o.on_done = on_done;
	o.on_line = on_line;
	o.arg = run;
	f = follow_start(l, site, mark, &o, &cause);
	assert_non_null(f);
	assert_null(cause);
	return f;
}

/* Lines before the mark are not read; a bounce waits for its notice. */
static void
test_loop_mark(void **state)
{
	struct site site;
	struct run run;
	struct loop *l = loop_new();
	struct follow_mark *m;
	struct follow *f;
	char *root = make_root();

	(void)state;
	memset(&site, 0, sizeof site);
	memset(&run, 0, sizeof run);
	site.root = root;
	append(root, "/var/log/mail.log", l_deferred);	/* before: not read */
	m = follow_mark(&site);
	append(root, "/var/log/mail.log", l_pickup);
	f = start(l, &site, m, &run, 5000);
	assert_int_equal(run.calls, 0);		/* never from follow_start */
	loop_once(l, 50);
	loop_once(l, 50);
	assert_false(run.done);
	assert_int_equal(run.lines, 1);
	append(root, "/var/log/mail.log", l_qmgr);
	append(root, "/var/log/mail.log", l_bounced);
	loop_once(l, 50);
	loop_once(l, 50);
	assert_false(run.done);		/* waiting for the notification */
	append(root, "/var/log/mail.log", l_ndn);
	assert_true(run_loop(l, &run, 2000, NULL, NULL));
	assert_int_equal(run.calls, 1);
	assert_int_equal(run.status, FOLLOW_BOUNCED);
	assert_string_equal(follow_result(f)->bounce_qid, "D4E5F6");
	assert_int_equal(follow_result(f)->lines.n, 4);
	assert_int_equal(run.lines, 4);
	assert_false(loop_busy(l));
	follow_free(f);
	follow_mark_free(m);
	/* No notification: the bounce ends after the grace. */
	memset(&run, 0, sizeof run);
	m = follow_mark(&site);
	f = start(l, &site, m, &run, 10000);
	append(root, "/var/log/mail.log", l_bounced);
	assert_true(run_loop(l, &run, 4000, NULL, NULL));
	assert_int_equal(run.status, FOLLOW_BOUNCED);
	assert_null(follow_result(f)->bounce_qid);
	follow_free(f);
	follow_mark_free(m);
	loop_free(l);
	rm_root(root);
}

struct rot {
	const char	*root;
	int		 mode;		/* 0 rename, 1 truncate */
};

/* A rotation (rename, then a new file) or a truncation mid-follow. */
static void
rot_step(int i, void *arg)
{
	struct rot *r = arg;
	char *a, *b;
	int fd;

	if (i == 1)
		append(r->root, "/var/log/mail.log", l_pickup);
	if (i != 4)
		return;
	a = xasprintf("%s/var/log/mail.log", r->root);
	if (r->mode == 0) {
		b = xasprintf("%s/var/log/mail.log.1", r->root);
		assert_int_equal(rename(a, b), 0);
		/* The writer's last line to the old file, after the rename. */
		append(r->root, "/var/log/mail.log.1", l_qmgr);
		free(b);
		append(r->root, "/var/log/mail.log", l_deferred);
	} else {
		fd = open(a, O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		close(fd);
		append(r->root, "/var/log/mail.log", l_deferred);
	}
	free(a);
}

static void
test_loop_rotate(void **state)
{
	struct site site;
	struct run run;
	struct rot rot;
	struct loop *l = loop_new();
	struct follow_mark *m;
	struct follow *f;
	char *root = make_root(), *cmd;
	int mode;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		memset(&site, 0, sizeof site);
		memset(&run, 0, sizeof run);
		site.root = root;
		/* A long file, so a truncation makes it shorter. */
		append(root, "/var/log/mail.log", "Dec 01 16:04:00 mail postfix/master[1]: reload -- version "
		    "3.7.11, configuration /etc/postfix, with a long line to "
		    "make the file longer than what follows\n");
		m = follow_mark(&site);
		rot.root = root;
		rot.mode = mode;
		f = start(l, &site, m, &run, 5000);
		assert_true(run_loop(l, &run, 4000, rot_step, &rot));
		assert_int_equal(run.status, FOLLOW_DEFERRED);
		assert_true(follow_result(f)->lines.n == (mode == 0 ? 3u : 2u));
		assert_string_equal(follow_result(f)->dsn, "4.4.1");
		follow_free(f);
		follow_mark_free(m);
		cmd = xasprintf("rm -f '%s'/var/log/*", root);
		free(test_run(cmd));
		free(cmd);
	}
	loop_free(l);
	rm_root(root);
}

/* The time limit, and no log at all. */
static void
test_loop_timeout_nolog(void **state)
{
	struct site site;
	struct run run;
	struct loop *l = loop_new();
	struct follow_mark *m;
	struct follow *f;
	char *root = make_root();
	int64_t t0;

	(void)state;
	memset(&site, 0, sizeof site);
	memset(&run, 0, sizeof run);
	site.root = root;
	/* No file at all: "no log", at once, with why. */
	m = follow_mark(&site);
	f = start(l, &site, m, &run, 5000);
	t0 = loop_now_ms();
	assert_true(run_loop(l, &run, 1000, NULL, NULL));
	assert_int_equal(run.status, FOLLOW_NOLOG);
	assert_true(run.at - t0 < 500);
	assert_non_null(strstr(follow_result(f)->why, "/var/log/mail.log"));
	follow_free(f);
	follow_mark_free(m);
	/* A log with nothing of the message: timeout within its limit. */
	append(root, "/var/log/syslog", "Dec 01 16:05:00 mail kernel: x\n");
	memset(&run, 0, sizeof run);
	m = follow_mark(&site);
	f = start(l, &site, m, &run, 300);
	t0 = loop_now_ms();
	append(root, "/var/log/syslog", l_pickup);
	assert_true(run_loop(l, &run, 3000, NULL, NULL));
	assert_int_equal(run.status, FOLLOW_TIMEOUT);
	assert_true(run.at - t0 >= 250 && run.at - t0 < 1000);
	assert_int_equal(follow_result(f)->lines.n, 1);
	follow_free(f);
	follow_mark_free(m);
	/* Freed while running: no callback after. */
	memset(&run, 0, sizeof run);
	f = start(l, &site, NULL, &run, 300);
	follow_free(f);
	loop_once(l, 50);
	assert_int_equal(run.calls, 0);
	assert_false(loop_busy(l));
	loop_free(l);
	rm_root(root);
}

/* No mark (a queue id given by hand): the last FOLLOW_BACK bytes, from
 * the first whole line; the same line in mail.log and syslog once. */
static void
test_loop_back(void **state)
{
	struct site site;
	struct run run;
	struct loop *l = loop_new();
	struct follow *f;
	char *root = make_root(), *fill;
	size_t n = FOLLOW_BACK + 4096;

	(void)state;
	memset(&site, 0, sizeof site);
	memset(&run, 0, sizeof run);
	site.root = root;
	append(root, "/var/log/mail.log", l_pickup);	/* too far back */
	fill = xmalloc(n + 1);
	memset(fill, 'y', n);
	fill[n - 1] = '\n';
	fill[n] = '\0';
	fill[n - 300] = '\n';
	/* A line of the message cut by the window's start: skipped. */
	memcpy(fill + n - FOLLOW_BACK - 10, "A1B2C3: removed", 15);
	append(root, "/var/log/mail.log", fill);
	append(root, "/var/log/mail.log", l_qmgr);
	append(root, "/var/log/mail.log", l_deferred);
	append(root, "/var/log/syslog", l_deferred);
	f = start(l, &site, NULL, &run, 2000);
	assert_true(run_loop(l, &run, 3000, NULL, NULL));
	assert_int_equal(run.status, FOLLOW_DEFERRED);
	assert_int_equal(follow_result(f)->lines.n, 2);
	follow_free(f);
	free(fill);
	loop_free(l);
	rm_root(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounced_gmail),
		cmocka_unit_test(test_bounce_own_qid),
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_recorded_smtpd),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_substring),
		cmocka_unit_test(test_smtpd),
		cmocka_unit_test(test_smtpd_other),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bad_qid),
		cmocka_unit_test(test_loop_mark),
		cmocka_unit_test(test_loop_rotate),
		cmocka_unit_test(test_loop_timeout_nolog),
		cmocka_unit_test(test_loop_back),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
