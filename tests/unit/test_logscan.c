/* test_logscan.c: the mail logs read back and mapped to causes.
 *
 * Fixtures (tests/fixtures/logs/, each names its source): real-postfix.log
 * and real-opendkim.log, recorded from Debian 12's Postfix 3.7.11 and
 * OpenDKIM 2.11.0 by record.sh (one scenario per cause, remote replies from
 * public reports replayed through the real smtp client), and
 * public-postfix.log, Postfix lines as published in public issues.  The
 * ISO 8601 and journal inputs below are written here in the formats
 * rsyslog (RSYSLOG_FileFormat) and journalctl -o json produce.  The clock
 * is fixed (2026-12-01 16:10:00 UTC, TZ=UTC), so the year of the RFC 3164
 * lines is inferred the same way on every run.
 *
 * The bound test writes a 1 GiB sparse log (a line every 64 KiB, times
 * spread over 30 days) and checks with the scanner's own counter and with
 * /proc/self/io that only the bound is read.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/doctor/logscan.h"
#include "core/lib/json.h"
#include "core/lib/util.h"
#include "core/site/site.h"

#define NOW	((time_t)1796141400)	/* 2026-12-01 16:10:00 UTC */
#define FIX	"tests/fixtures/logs/"

static int
setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static struct logscan *
scan_new(long window, size_t max)
{
	struct logscan_opts o;

	memset(&o, 0, sizeof o);
	o.now = NOW;
	o.window = window;
	o.max_bytes = max;
	return logscan_new(&o);
}

/* The group of cause c from program prog (NULL: any) with endpoint ep
 * (NULL: any) and domain dom (NULL: any), or NULL. */
static const struct logscan_match *
find(const struct logscan *ls, enum logscan_cause c, const char *prog,
    const char *ep, const char *dom)
{
	size_t i;
	const struct logscan_match *m;

	for (i = 0; i < ls->nmatches; i++) {
		m = &ls->matches[i];
		if (m->cause != c)
			continue;
		if (prog != NULL && (m->program == NULL ||
		    strcmp(m->program, prog) != 0))
			continue;
		if (ep != NULL && (m->endpoint == NULL ||
		    strcmp(m->endpoint, ep) != 0))
			continue;
		if (dom != NULL && (m->domain == NULL ||
		    strcmp(m->domain, dom) != 0))
			continue;
		return m;
	}
	return NULL;
}

static size_t
count_cause(const struct logscan *ls, enum logscan_cause c)
{
	size_t i, n = 0;

	for (i = 0; i < ls->nmatches; i++)
		if (ls->matches[i].cause == c)
			n++;
	return n;
}

static void
scan_file(struct logscan *ls, const char *path)
{
	char *cause = NULL;

	if (logscan_file(ls, NULL, path, &cause) != 0)
		fail_msg("%s: %s", path, cause);
}

static void
test_parse(void **state)
{
	struct logscan_line l;
	const char *s;
	struct tm tm;

	(void)state;
	/* RFC 3164 as rsyslog writes it, space-padded day. */
	s = "Dec  1 15:56:13 mx postfix/submission/smtpd[123]: warning: x";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_int_equal(l.t, NOW - 13 * 60 - 47);
	assert_int_equal(l.proglen, strlen("postfix/submission/smtpd"));
	assert_memory_equal(l.prog, "postfix/submission/smtpd", l.proglen);
	assert_int_equal(l.pid, 123);
	assert_int_equal(l.msglen, strlen("warning: x"));
	assert_memory_equal(l.msg, "warning: x", l.msglen);
	/* Postfix's maillog_file: zero-padded day. */
	s = "Dec 01 15:56:13 mail postfix/smtpd[9]: hello";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_int_equal(l.t, NOW - 13 * 60 - 47);
	/* A /dev/log datagram: no host name. */
	s = "Dec  1 16:02:10 opendkim[590]: x: key data is not secure: y";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_memory_equal(l.prog, "opendkim", l.proglen);
	assert_int_equal(l.pid, 590);
	assert_memory_equal(l.msg, "x: key", 6);
	/* A tag without a pid. */
	s = "Dec  1 16:02:10 host kernel: boom";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_memory_equal(l.prog, "kernel", l.proglen);
	assert_int_equal(l.pid, 0);
	assert_memory_equal(l.msg, "boom", 4);
	/* Year inference: on Jan 2, "Dec 31" is last year's. */
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 127, tm.tm_mon = 0, tm.tm_mday = 2, tm.tm_hour = 12;
	s = "Dec 31 23:00:00 h p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), timegm(&tm), &l), 0);
	tm.tm_year = 126, tm.tm_mon = 11, tm.tm_mday = 31, tm.tm_hour = 23;
	assert_int_equal(l.t, timegm(&tm));
	/* rsyslog's high-precision format (RFC 3339). */
	s = "2026-12-01T15:56:13.123456+00:00 mx opendkim[45]: hello";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_int_equal(l.t, NOW - 13 * 60 - 47);
	assert_memory_equal(l.prog, "opendkim", l.proglen);
	s = "2026-12-01T16:56:13+01:00 mx p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_int_equal(l.t, NOW - 13 * 60 - 47);
	s = "2026-12-01T14:56:13-0100 mx p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_int_equal(l.t, NOW - 13 * 60 - 47);
	s = "2026-12-01T15:56:13Z mx p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), 0);
	assert_int_equal(l.t, NOW - 13 * 60 - 47);
	/* No time stamp: the whole line is the message. */
	s = "warning: connect to Milter service x: Connection refused";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), -1);
	assert_int_equal(l.t, 0);
	assert_int_equal(l.msglen, strlen(s));
	s = "Dex  1 15:56:13 h p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), -1);
	s = "Dec 32 15:56:13 h p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), -1);
	s = "2026-13-01T15:56:13Z h p[1]: m";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), -1);
	s = "Dec  1 15:56";
	assert_int_equal(logscan_parse_line(s, strlen(s), NOW, &l), -1);
}

/* Postfix's real lines, one scenario per milter failure. */
static void
test_real_postfix(void **state)
{
	struct logscan *ls = scan_new(0, 0);
	const struct logscan_match *m;

	(void)state;
	scan_file(ls, FIX "real-postfix.log");
	m = find(ls, LOGSCAN_MILTER_REFUSED, "postfix/smtpd",
	    "inet:[::1]:12345", NULL);
	assert_non_null(m);
	assert_int_equal(m->count, 1);
	assert_string_equal(m->detail, "Connection refused");
	assert_int_equal(m->pid, 193);
	assert_string_equal(m->source, FIX "real-postfix.log");
	assert_non_null(strstr(m->line, "postfix/smtpd[193]: warning: "
	    "connect to Milter service inet:[::1]:12345: Connection refused"));
	/* cleanup dials for non_smtpd_milters: a group of its own. */
	m = find(ls, LOGSCAN_MILTER_REFUSED, "postfix/cleanup",
	    "inet:[::1]:12345", NULL);
	assert_non_null(m);
	assert_int_equal(m->count, 2);
	assert_true(m->last - m->first == 45);	/* 16:02:57 .. 16:03:42 */
	assert_non_null(find(ls, LOGSCAN_MILTER_NOENT, "postfix/smtpd",
	    "unix:/run/none/opendkim.sock", NULL));
	assert_non_null(find(ls, LOGSCAN_MILTER_DENIED, "postfix/smtpd",
	    "unix:/run/opendkim/opendkim.sock", NULL));
	assert_non_null(find(ls, LOGSCAN_MILTER_TIMEOUT, "postfix/cleanup",
	    "inet:127.0.0.1:12399", NULL));
	assert_non_null(find(ls, LOGSCAN_MILTER_NOADDR, "postfix/smtpd",
	    "inet:[::1]:12345", NULL));
	m = find(ls, LOGSCAN_MILTER_REPLY, "postfix/cleanup",
	    "inet:127.0.0.1:12401", NULL);
	assert_non_null(m);
	assert_string_equal(m->detail, "SMFIC_OPTNEG: Connection reset by peer");
	m = find(ls, LOGSCAN_MILTER_REPLY, "postfix/smtpd",
	    "inet:127.0.0.1:12402", NULL);
	assert_non_null(m);
	assert_string_equal(m->detail, "SMFIC_OPTNEG: Connection timed out");
	m = find(ls, LOGSCAN_MILTER_TEMPFAIL, "postfix/smtpd", NULL,
	    "example.com");
	assert_non_null(m);
	assert_string_equal(m->detail,
	    "MAIL: 451 4.7.1 Service unavailable - try again later");
	assert_int_equal(m->count, 7);
	m = find(ls, LOGSCAN_MILTER_TEMPFAIL, "postfix/cleanup", NULL,
	    "example.com");
	assert_non_null(m);
	assert_int_equal(m->count, 9);
	assert_int_equal(count_cause(ls, LOGSCAN_MILTER_CONNECT), 0);
	assert_int_equal(count_cause(ls, LOGSCAN_MILTER_REJECT), 0);
	assert_int_equal(ls->stats.lines, 276);
	assert_int_equal(ls->nsources, 1);
	assert_int_equal(ls->sources[0].state, LOGSCAN_READ);
	logscan_free(ls);
}

/* The remote answers, replayed through the real Postfix smtp client. */
static void
test_real_remote(void **state)
{
	static const struct {
		enum logscan_cause	 cause;
		const char		*domain;
		const char		*address;
		const char		*detail;
	} want[] = {
		{ LOGSCAN_REMOTE_IPV6_PTR, "example.net", "2001:db8::25",
		    "550 5.7.1" },
		{ LOGSCAN_REMOTE_UNAUTH, "example.net", "192.0.2.25",
		    "550 5.7.26" },
		{ LOGSCAN_REMOTE_DMARC, "example.net", NULL, "550 5.7.26" },
		{ LOGSCAN_REMOTE_GMAIL_BULK, "other.example", NULL,
		    "421 4.7.29" },
		{ LOGSCAN_REMOTE_GMAIL_RATE, "gmail.com", "192.0.2.25",
		    "550 5.7.1" },
		{ LOGSCAN_REMOTE_YAHOO_AUTH, "gmail.com", "192.0.2.25",
		    "550 5.7.9" },
		{ LOGSCAN_REMOTE_YAHOO_BLOCK, "gmail.com", "192.0.2.25",
		    "553 5.7.2" },
		{ LOGSCAN_REMOTE_MS_BLOCK, "gmail.com", "192.0.2.25",
		    "550 5.7.1" },
		{ LOGSCAN_REMOTE_MS_AUTH, "gmail.com", NULL, "550 5.7.515" },
		{ LOGSCAN_REMOTE_SPAMHAUS, "yahoo.com", "192.0.2.25",
		    "554 5.7.1" },
		{ LOGSCAN_REMOTE_SPAMHAUS_RESOLVER, "yahoo.com", "192.0.2.25",
		    "554 5.7.1" },
	};
	struct logscan *ls = scan_new(0, 0);
	const struct logscan_match *m;
	size_t i;

	(void)state;
	scan_file(ls, FIX "real-postfix.log");
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		m = find(ls, want[i].cause, "postfix/smtp",
		    "127.0.0.1[127.0.0.1]:2526", want[i].domain);
		if (m == NULL)
			fail_msg("no %s for %s", logscan_cause_id(want[i].cause),
			    want[i].domain);
		if (want[i].address == NULL)
			assert_null(m->address);
		else
			assert_string_equal(m->address, want[i].address);
		assert_string_equal(m->detail, want[i].detail);
	}
	/* Bounces of other kinds ("unknown user") are not causes. */
	assert_int_equal(count_cause(ls, LOGSCAN_REMOTE_IPV6_PTR) +
	    count_cause(ls, LOGSCAN_REMOTE_UNAUTH) +
	    count_cause(ls, LOGSCAN_REMOTE_DMARC) +
	    count_cause(ls, LOGSCAN_REMOTE_GMAIL_BULK), 8);
	logscan_free(ls);
}

static void
test_real_opendkim(void **state)
{
	struct logscan *ls = scan_new(0, 0);
	const struct logscan_match *m;

	(void)state;
	scan_file(ls, FIX "real-opendkim.log");
	m = find(ls, LOGSCAN_KEY_INSECURE, "opendkim",
	    "mail._domainkey.example.com", "example.com");
	assert_non_null(m);
	assert_non_null(strstr(m->detail, "/etc/dkimkeys/example.com.private "
	    "is in group 108 which has multiple users"));
	assert_non_null(find(ls, LOGSCAN_KEY_LOAD, "opendkim",
	    "mail._domainkey.example.com", "example.com"));
	m = find(ls, LOGSCAN_NO_SIGNING, "opendkim", NULL, "other.example");
	assert_non_null(m);
	assert_string_equal(m->detail, "user@other.example");
	m = find(ls, LOGSCAN_SIGNER_BIND, "opendkim",
	    "local:/run/opendkim-missing/opendkim.sock", NULL);
	assert_non_null(m);
	assert_string_equal(m->detail, "No such file or directory");
	m = find(ls, LOGSCAN_SIGNER_BIND, "opendkim", "inet:2526@127.0.0.1",
	    NULL);
	assert_non_null(m);
	assert_string_equal(m->detail, "Address already in use");
	assert_non_null(find(ls, LOGSCAN_SIGNER_SOCKET, "opendkim",
	    "inet:2526@127.0.0.1", NULL));
	m = find(ls, LOGSCAN_SIGNER_SOCKET, "opendkim", NULL, NULL);
	assert_non_null(m);
	/* "usermod" and "DKIM-Signature field added" lines are no cause. */
	assert_int_equal(ls->nmatches, 8);
	logscan_free(ls);
}

/* Postfix lines from public reports, without a window (no year). */
static void
test_public(void **state)
{
	struct logscan *ls = scan_new(-1, 0);
	const struct logscan_match *m;

	(void)state;
	assert_int_equal(ls->since, 0);
	scan_file(ls, FIX "public-postfix.log");
	m = find(ls, LOGSCAN_REMOTE_UNAUTH, "postfix/smtp",
	    "gmail-smtp-in.l.google.com[2a00:1450:4013:c06::1b]:25",
	    "gmail.com");
	assert_non_null(m);
	assert_string_equal(m->address, "2a03:3b40:fe:81::1");
	assert_string_equal(m->detail, "550 5.7.26");
	m = find(ls, LOGSCAN_REMOTE_UNAUTH, "postfix/smtp",
	    "gmail-smtp-in.l.google.com[142.250.27.27]:25", "gmail.com");
	assert_non_null(m);
	assert_string_equal(m->address, "199.203.204.1");
	m = find(ls, LOGSCAN_REMOTE_GMAIL_RATE, NULL, NULL, "gmail.com");
	assert_non_null(m);
	assert_string_equal(m->address, "104.248.27.183");
	m = find(ls, LOGSCAN_REMOTE_UNAUTH, NULL, NULL, "dmitriid.com");
	assert_non_null(m);
	assert_null(m->address);
	/* This server's own smtpd refusing a client is no remote answer. */
	assert_int_equal(count_cause(ls, LOGSCAN_REMOTE_SPAMHAUS), 0);
	assert_int_equal(count_cause(ls, LOGSCAN_REMOTE_SPAMHAUS_RESOLVER), 0);
	assert_int_equal(ls->nmatches, 4);
	logscan_free(ls);
}

/* Repeats group; different subjects do not; lines out of the window are
 * dropped; a line without a time stamp is kept. */
static void
test_group_window(void **state)
{
	static const char text[] =
	    "Nov 29 10:00:00 mx postfix/smtpd[1]: warning: connect to Milter "
	    "service inet:[::1]:12345: Connection refused\n"
	    "Dec  1 09:00:00 mx postfix/smtpd[2]: warning: connect to Milter "
	    "service inet:[::1]:12345: Connection refused\n"
	    "Dec  1 10:00:00 mx postfix/smtpd[3]: warning: connect to Milter "
	    "service inet:[::1]:12345: Connection refused\r\n"
	    "Dec  1 10:30:00 mx postfix/smtpd[4]: warning: connect to Milter "
	    "service inet:127.0.0.1:8891: Connection refused\n"
	    "warning: connect to Milter service unix:/x: Permission denied\n"
	    "\n"
	    "Dec  1 11:00:00 mx postfix/smtpd[5]: warning: connect to Milter "
	    "service inet:[::1]:12345: Connection refused";
	struct logscan *ls = scan_new(0, 0);
	const struct logscan_match *m;
	char *t;

	(void)state;
	logscan_text(ls, "test", text, strlen(text));
	m = find(ls, LOGSCAN_MILTER_REFUSED, NULL, "inet:[::1]:12345", NULL);
	assert_non_null(m);
	assert_int_equal(m->count, 3);	/* Nov 29 is out of the window */
	assert_int_equal(m->last - m->first, 2 * 3600);
	assert_int_equal(m->pid, 5);
	t = logscan_match_text(m);
	assert_string_equal(t, "2026-12-01 11:00:00 postfix/smtpd "
	    "milter-refused inet:[::1]:12345 (x3 since 09:00:00): Dec  1 "
	    "11:00:00 mx postfix/smtpd[5]: warning: connect to Milter service "
	    "inet:[::1]:12345: Connection refused");
	free(t);
	assert_non_null(find(ls, LOGSCAN_MILTER_REFUSED, NULL,
	    "inet:127.0.0.1:8891", NULL));
	m = find(ls, LOGSCAN_MILTER_DENIED, NULL, "unix:/x", NULL);
	assert_non_null(m);
	assert_null(m->program);
	assert_int_equal(m->first, 0);
	assert_int_equal(ls->nmatches, 3);
	assert_int_equal(ls->stats.lines, 7);
	assert_int_equal(ls->stats.in_window, 5);
	logscan_free(ls);

	/* No window: Nov 29 counts too. */
	ls = scan_new(-1, 0);
	logscan_text(ls, "test", text, strlen(text));
	m = find(ls, LOGSCAN_MILTER_REFUSED, NULL, "inet:[::1]:12345", NULL);
	assert_int_equal(m->count, 4);
	logscan_free(ls);
}

/* Lines are untrusted: escapes never come out raw, long lines are cut. */
static void
test_hostile(void **state)
{
	struct logscan *ls = scan_new(-1, 0);
	const struct logscan_match *m;
	struct buf b;
	struct json j;
	char *doc;
	size_t i;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "Dec  1 10:00:00 mx postfix/smtpd[1]: warning: connect "
	    "to Milter service inet:\x1b[31m\xe2\x80\xae:1: Connection refused "
	    "\x07\x9b\xff\n");
	buf_adds(&b, "Dec  1 10:00:01 mx opendkim[2]: ");
	buf_adds(&b, "k: key data is not secure: ");
	for (i = 0; i < LOGSCAN_LINE_MAX; i++)
		buf_addc(&b, "abc\x1b"[i % 4]);
	buf_adds(&b, " END\n");
	logscan_text(ls, "t", b.data, b.len);
	m = find(ls, LOGSCAN_MILTER_REFUSED, NULL, NULL, NULL);
	assert_non_null(m);
	assert_null(strchr(m->endpoint, '\x1b'));
	assert_null(strchr(m->line, '\x1b'));
	assert_null(strchr(m->line, '\x07'));
	assert_null(strstr(m->line, "\xe2\x80\xae"));
	assert_null(strstr(m->line, "\xff"));
	assert_non_null(strstr(m->endpoint, "\\x1b[31m"));
	m = find(ls, LOGSCAN_KEY_INSECURE, NULL, "k", NULL);
	assert_non_null(m);
	assert_int_equal(ls->stats.cut, 1);
	assert_null(strchr(m->line, '\x1b'));
	assert_null(strstr(m->detail, "END"));	/* past LOGSCAN_LINE_MAX */
	assert_true(strlen(m->line) <= 4 * LOGSCAN_LINE_SHOWN + 3);
	assert_non_null(strstr(m->line, "..."));
	json_init(&j);
	logscan_json(&j, NULL, ls);
	doc = json_finish(&j);
	assert_null(strchr(doc, '\x1b'));
	assert_non_null(strstr(doc, "\"cause\":\"milter-refused\""));
	assert_non_null(strstr(doc, "\"stats\":{\"bytes_read\":0,"));
	free(doc);
	buf_free(&b);
	logscan_free(ls);
}

/* A remote text that quotes a local error is not taken for one. */
static void
test_anchored(void **state)
{
	static const char text[] =
	    "Dec  1 10:00:00 mx postfix/smtp[1]: AB12: to=<a@b.example>, "
	    "relay=r[192.0.2.1]:25, dsn=5.0.0, status=bounced (host r said: "
	    "550 warning: connect to Milter service x: Connection refused "
	    "(in reply to RCPT TO command))\n"
	    "Dec  1 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
	    "x[192.0.2.9]: 554 5.7.1 Service unavailable; Client host "
	    "[192.0.2.9] blocked using zen.spamhaus.org; from=<a@b> to=<c@d>\n"
	    "Dec  1 10:00:00 mx opendkim[2]: AB12: a key data is not secure: "
	    "x\n";
	struct logscan *ls = scan_new(-1, 0);

	(void)state;
	logscan_text(ls, "t", text, strlen(text));
	assert_int_equal(ls->nmatches, 0);
	assert_int_equal(ls->stats.lines, 3);
	logscan_free(ls);
}

/* The journal's records, and one program counted from one source only. */
static void
test_journal(void **state)
{
	static const char file[] =
	    "Dec  1 10:00:00 mx postfix/smtpd[7]: warning: connect to Milter "
	    "service inet:[::1]:12345: Connection refused\n";
	static const char journal[] =
	    "{\"__REALTIME_TIMESTAMP\":\"1796119200000000\","
	    "\"SYSLOG_IDENTIFIER\":\"postfix/smtpd\",\"SYSLOG_PID\":\"7\","
	    "\"MESSAGE\":\"warning: connect to Milter service "
	    "inet:[::1]:12345: Connection refused\",\"PRIORITY\":4}\n"
	    "{\"__REALTIME_TIMESTAMP\":\"1796119300000000\",\"_PID\":\"45\","
	    "\"_COMM\":\"opendkim\",\"MESSAGE\":[65,66,58,32,101,114,114,111,"
	    "114,32,108,111,97,100,105,110,103,32,107,101,121,32,39,115,46,95,"
	    "100,111,109,97,105,110,107,101,121,46,101,120,46,111,114,103,39],"
	    "\"_BOOT_ID\":\"x\"}\n"
	    "not json at all\n"
	    "{\"MESSAGE\":\"no-signing: \\u001b[2J\",\"SYSLOG_IDENTIFIER\":"
	    "\"opendkim\",\"__REALTIME_TIMESTAMP\":\"1796119400000000\"}\n"
	    "{\"MESSAGE\":\"ID1: no signing table match for "
	    "'u@\\u00e9x.example'\",\"SYSLOG_IDENTIFIER\":[\"opendkim\","
	    "\"other\"],\"__REALTIME_TIMESTAMP\":\"1796119500000000\"}\n"
	    "{\"MESSAGE\":\"ID2: no signing table match for 'u@ok.example'\","
	    "\"SYSLOG_IDENTIFIER\":\"opendkim\",\"__REALTIME_TIMESTAMP\":"
	    "\"1796000000000000\"}\n"
	    "{\"MESSAGE\":\"broken\",";
	struct logscan *ls = scan_new(0, 0);
	const struct logscan_match *m;
	struct strv argv;

	(void)state;
	logscan_text(ls, "/var/log/mail.log", file, strlen(file));
	logscan_journal_text(ls, journal, strlen(journal));
	assert_int_equal(ls->nsources, 2);
	assert_string_equal(ls->sources[1].name, "journal");
	/* postfix came from mail.log already: its journal copy is skipped. */
	m = find(ls, LOGSCAN_MILTER_REFUSED, "postfix/smtpd", NULL, NULL);
	assert_non_null(m);
	assert_int_equal(m->count, 1);
	assert_string_equal(m->source, "/var/log/mail.log");
	assert_int_equal(ls->stats.duplicates, 1);
	/* A MESSAGE given as bytes; the program from _COMM. */
	m = find(ls, LOGSCAN_KEY_LOAD, "opendkim", "s._domainkey.ex.org",
	    "ex.org");
	assert_non_null(m);
	assert_int_equal(m->pid, 45);
	assert_int_equal(m->last, 1796119300);
	assert_string_equal(m->source, "journal");
	assert_non_null(strstr(m->line, "opendkim[45]: AB: error loading key"));
	/* The first of a repeated field; a domain with non-host characters
	 * is not kept; a record out of the window is dropped. */
	m = find(ls, LOGSCAN_NO_SIGNING, "opendkim", NULL, NULL);
	assert_non_null(m);
	assert_null(m->domain);
	assert_int_equal(m->count, 1);
	assert_string_equal(m->detail, "u@\xc3\xa9x.example");
	assert_int_equal(ls->nmatches, 3);
	logscan_journal_argv(ls, &argv);
	assert_int_equal(argv.n, 9);
	assert_string_equal(argv.v[0], "journalctl");
	assert_string_equal(argv.v[7], "--since");
	assert_string_equal(argv.v[8], "@1796055000");
	strv_free(&argv);
	logscan_free(ls);
}

/* Without systemd the journal is recorded as missing, not an error of the
 * scan; with it, journalctl runs and its source is read or failed. */
static void
test_journal_run(void **state)
{
	struct logscan *ls = scan_new(0, 0);
	struct stat sb;
	char *cause = NULL;
	int rc;

	(void)state;
	rc = logscan_journal(ls, &cause);
	assert_int_equal(ls->nsources, 1);
	assert_string_equal(ls->sources[0].name, "journal");
	if (stat("/run/systemd/system", &sb) != 0) {
		assert_int_equal(rc, -1);
		assert_int_equal(ls->sources[0].state, LOGSCAN_MISSING);
		assert_string_equal(cause, "no systemd journal here");
	} else
		assert_true(rc == 0 ? ls->sources[0].state == LOGSCAN_READ :
		    ls->sources[0].state != LOGSCAN_READ);
	free(cause);
	logscan_free(ls);
}

struct big {
	char	 dir[64];
	char	*path;
	size_t	 lines;
};

#define BIG_SIZE	(1024LL * 1024 * 1024)
#define BIG_STEP	(64 * 1024)
#define BIG_SPAN	(30LL * 86400)

/* Time of island k of the big file. */
static time_t
big_time(long long k)
{
	return NOW - BIG_SPAN + k * BIG_SPAN / (BIG_SIZE / BIG_STEP);
}

/* A 1 GiB sparse log: at every 64 KiB one line, its time rising from 30
 * days ago to now. */
static int
big_setup(void **state)
{
	struct big *b = xcalloc(1, sizeof *b);
	char line[256], when[32];
	struct tm tm;
	long long k;
	time_t t;
	int fd, n;

	setup_tz(NULL);
	strcpy(b->dir, "/tmp/notspam-logscan.XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	b->path = xasprintf("%s/mail.log", b->dir);
	fd = open(b->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd != -1);
	assert_int_equal(ftruncate(fd, BIG_SIZE), 0);
	for (k = 0; k < BIG_SIZE / BIG_STEP; k++) {
		t = big_time(k);
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%b %e %H:%M:%S", &tm);
		n = snprintf(line, sizeof line, "\n%s mx postfix/smtpd[%lld]: "
		    "warning: connect to Milter service inet:[::1]:12345: "
		    "Connection refused\n", when, k);
		assert_int_equal(pwrite(fd, line, n, k * BIG_STEP), n);
	}
	close(fd);
	*state = b;
	return 0;
}

static int
big_teardown(void **state)
{
	struct big *b = *state;

	unlink(b->path);
	rmdir(b->dir);
	free(b->path);
	free(b);
	return 0;
}

/* The islands whose time is at or after since. */
static size_t
big_expected(time_t since)
{
	long long k;
	size_t n = 0;

	for (k = 0; k < BIG_SIZE / BIG_STEP; k++)
		if (big_time(k) >= since)
			n++;
	return n;
}

/* rchar of /proc/self/io, or -1 where there is none. */
static long long
rchar(void)
{
	char *io, *p;
	long long v = -1;
	FILE *f = fopen("/proc/self/io", "r");
	char buf[512];
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	io = buf;
	if ((p = strstr(io, "rchar: ")) != NULL)
		v = atoll(p + 7);
	return v;
}

static void
test_big_window(void **state)
{
	struct big *b = *state;
	struct logscan *ls;
	const struct logscan_match *m;
	long long r0, r1;

	/* One hour, no byte bound worth the name: the bisection finds the
	 * last hour; a few probes and the tail are read. */
	ls = scan_new(3600, (size_t)4 * BIG_SIZE);
	r0 = rchar();
	scan_file(ls, b->path);
	r1 = rchar();
	m = find(ls, LOGSCAN_MILTER_REFUSED, "postfix/smtpd", NULL, NULL);
	assert_non_null(m);
	assert_int_equal(m->count, big_expected(NOW - 3600));
	assert_true(m->count >= 20);
	assert_int_equal(ls->sources[0].size, BIG_SIZE);
	print_message("# 1 GiB, 1 h window: %llu bytes read, %zu lines\n",
	    (unsigned long long)ls->stats.bytes_read, m->count);
	assert_true(ls->stats.bytes_read < 4 * 1024 * 1024);
	if (r0 >= 0 && r1 >= 0)
		assert_true(r1 - r0 < 5 * 1024 * 1024);
	logscan_free(ls);
}

static void
test_big_bound(void **state)
{
	struct big *b = *state;
	struct logscan *ls;
	const struct logscan_match *m;
	long long r0, r1;
	size_t max = 8 * 1024 * 1024;

	/* No window: the last 8 MiB, not a byte more. */
	ls = scan_new(-1, max);
	r0 = rchar();
	scan_file(ls, b->path);
	r1 = rchar();
	m = find(ls, LOGSCAN_MILTER_REFUSED, "postfix/smtpd", NULL, NULL);
	assert_non_null(m);
	assert_int_equal(m->count, max / BIG_STEP);
	print_message("# 1 GiB, no window, 8 MiB bound: %llu bytes read\n",
	    (unsigned long long)ls->stats.bytes_read);
	assert_true(ls->stats.bytes_read <= max);
	assert_int_equal(ls->sources[0].bytes, ls->stats.bytes_read);
	if (r0 >= 0 && r1 >= 0)
		assert_true(r1 - r0 <= (long long)max + 64 * 1024);
	logscan_free(ls);

	/* The defaults (24 h, 16 MiB): the last day holds 34 MiB of this
	 * log, so the byte bound wins. */
	ls = scan_new(0, 0);
	scan_file(ls, b->path);
	m = find(ls, LOGSCAN_MILTER_REFUSED, "postfix/smtpd", NULL, NULL);
	assert_non_null(m);
	assert_true(big_expected(NOW - LOGSCAN_WINDOW) >
	    LOGSCAN_MAX_BYTES / BIG_STEP);
	assert_int_equal(m->count, LOGSCAN_MAX_BYTES / BIG_STEP);
	print_message("# 1 GiB, defaults: %llu bytes read\n",
	    (unsigned long long)ls->stats.bytes_read);
	assert_true(ls->stats.bytes_read <= LOGSCAN_MAX_BYTES + 4096);
	logscan_free(ls);
}

/* Write text to root + rel, making the directories. */
static void
put(const char *root, const char *rel, const char *text)
{
	char *p = xasprintf("%s%s", root, rel), *s;
	int fd;

	for (s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	free(p);
}

/* Under --root: maillog_file from main.cf, then the usual paths. */
static void
test_site(void **state)
{
	char dir[] = "/tmp/notspam-logscan-root.XXXXXX";
	struct logscan *ls;
	struct site *site;
	char *cause = NULL, *cmd;
	const struct logscan_match *m;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "/etc/postfix/main.cf", "myhostname = mail.example.com\n"
	    "mydestination = example.com\n"
	    "maillog_file = /var/log/postfix.log\n"
	    "smtpd_milters = inet:[::1]:12345\n");
	put(dir, "/var/log/postfix.log", "Dec 01 10:00:00 mail "
	    "postfix/smtpd[1]: warning: connect to Milter service "
	    "inet:[::1]:12345: Connection refused\n");
	put(dir, "/var/log/mail.log", "Dec  1 10:00:01 mail "
	    "postfix/smtpd[1]: warning: connect to Milter service "
	    "inet:[::1]:12345: Connection refused\n"
	    "Dec  1 10:00:02 mail opendkim[3]: OpenDKIM Filter: Unable to "
	    "bind to port inet:12345@localhost: Address already in use\n");
	site = site_load(dir, NULL, &cause);
	if (site == NULL)
		fail_msg("site_load: %s", cause);
	ls = scan_new(0, 0);
	assert_int_equal(logscan_site(ls, site), 2);
	assert_int_equal(ls->nsources, 4);
	assert_string_equal(ls->sources[0].name, "/var/log/postfix.log");
	assert_int_equal(ls->sources[0].state, LOGSCAN_READ);
	assert_string_equal(ls->sources[1].name, "/var/log/mail.log");
	assert_int_equal(ls->sources[2].state, LOGSCAN_MISSING);
	assert_string_equal(ls->sources[3].name, "/var/log/syslog");
	m = find(ls, LOGSCAN_MILTER_REFUSED, NULL, NULL, NULL);
	assert_non_null(m);
	assert_int_equal(m->count, 1);
	assert_string_equal(m->source, "/var/log/postfix.log");
	assert_non_null(find(ls, LOGSCAN_SIGNER_BIND, "opendkim",
	    "inet:12345@localhost", NULL));
	logscan_free(ls);
	site_free(site);

	/* The same file twice is read once. */
	ls = scan_new(0, 0);
	cmd = xasprintf("%s/var/log/mail.log", dir);
	assert_int_equal(logscan_file(ls, NULL, cmd, NULL), 0);
	assert_int_equal(logscan_file(ls, NULL, cmd, NULL), 0);
	assert_int_equal(ls->sources[1].state, LOGSCAN_SKIPPED);
	assert_int_equal(ls->stats.matched, 2);
	errno = 0;
	assert_int_equal(logscan_file(ls, dir, "/var/log/none", &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(ls->sources[2].state, LOGSCAN_MISSING);
	free(cause);
	free(cmd);
	logscan_free(ls);
	cmd = xasprintf("rm -rf '%s'", dir);
	free(test_run(cmd));
	free(cmd);
}

static void
test_ids(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < LOGSCAN_NCAUSES; i++) {
		assert_int_equal(logscan_cause_from_id(logscan_cause_id(i)), i);
		assert_true(strlen(logscan_cause_title(i)) > 10);
		for (j = 0; j < i; j++)
			assert_string_not_equal(logscan_cause_id(i),
			    logscan_cause_id(j));
	}
	assert_int_equal(logscan_cause_from_id("nope"), -1);
	assert_string_equal(logscan_cause_id(LOGSCAN_MILTER_REFUSED),
	    "milter-refused");
	assert_string_equal(logscan_cause_id(LOGSCAN_REMOTE_IPV6_PTR),
	    "remote-gmail-ipv6");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_real_postfix),
		cmocka_unit_test(test_real_remote),
		cmocka_unit_test(test_real_opendkim),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_group_window),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_anchored),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_journal_run),
		cmocka_unit_test(test_site),
		cmocka_unit_test_setup_teardown(test_big_window, big_setup,
		    big_teardown),
		cmocka_unit_test_setup_teardown(test_big_bound, big_setup,
		    big_teardown),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
