/* test_remote.c: the receivers' answers mapped to their cause, fix and
 * records (core/doctor/remote.c), from each of the forms they arrive in:
 * an SMTP session's reply (lines apart, '\n' between them, as smtp.h's
 * result->reply), a Postfix log line quoting it (lines joined by blanks),
 * and the status text alone.
 *
 * The replies are tests/fixtures/logs/replies.txt (public reports, named
 * there) and the log lines tests/fixtures/logs/real-postfix.log (the real
 * Postfix 3.7 smtp client logging those replies) and public-postfix.log.
 */
#include "testutil.h"

#include "core/doctor/logscan.h"
#include "core/doctor/remote.h"
#include "core/lib/util.h"
#include "core/site/site.h"

/* The reverse name of 2001:db8::25. */
#define REV_25 "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2" \
	".ip6.arpa."

/* The Gmail IPv6 bounce as a session gives it (replies.txt, line 1). */
static const char gmail_v6[] =
    "550-5.7.1 [2001:db8::25] Our system has detected that this message does\n"
    "550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and\n"
    "550-5.7.1 authentication. Please review\n"
    "550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more "
    "information\n"
    "550 5.7.1 . v5si749738wrb.38 - gsmtp";

/* A site with a host name and one key, enough for the records. */
static struct site *
test_site(void)
{
	static char domain[] = "example.org", selector[] = "202612";
	static char host[] = "mail.example.org";
	static struct site_key key;
	static struct site s;

	key.domain = domain;
	key.selector = selector;
	memset(&s, 0, sizeof s);
	s.hostname = host;
	s.keys = &key;
	s.nkeys = 1;
	return &s;
}

/* Does v's records hold exactly the line want? */
static int
has_record(const struct remote_verdict *v, const char *want)
{
	size_t i;

	for (i = 0; i < v->records.n; i++)
		if (strcmp(v->records.v[i], want) == 0)
			return 1;
	return 0;
}

/* Does v's records hold a line starting with prefix? */
static int
has_record_prefix(const struct remote_verdict *v, const char *prefix)
{
	size_t i;

	for (i = 0; i < v->records.n; i++)
		if (strncmp(v->records.v[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static void
print_records(const struct remote_verdict *v)
{
	size_t i;

	for (i = 0; i < v->records.n; i++)
		print_message("#   %s\n", v->records.v[i]);
}

/* The session's Gmail IPv6 bounce names the PTR and SPF of the address. */
static void
test_gmail_v6_session(void **state)
{
	struct remote_verdict v;

	(void)state;
	assert_int_equal(remote_classify(gmail_v6, strlen(gmail_v6),
	    "example.org", test_site(), &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_string_equal(v.id, "remote-gmail-ipv6");
	assert_int_equal(v.code, 550);
	assert_string_equal(v.enh, "5.7.1");
	assert_string_equal(v.sending_addr, "2001:db8::25");
	assert_non_null(v.title);
	assert_non_null(strstr(v.explain, "PTR"));
	assert_non_null(strstr(v.fix, "PTR record"));
	print_records(&v);
	assert_true(has_record(&v, "PTR  " REV_25 " -> mail.example.org."));
	assert_true(has_record(&v,
	    "SPF  example.org must allow ip6:2001:db8::25"));
	assert_true(has_record_prefix(&v, "DKIM 202612._domainkey.example.org"));
	remote_verdict_free(&v);
	/* CRLF line ends, as a raw capture has them, change nothing. */
	{
		struct buf b;
		const char *p;

		buf_init(&b);
		for (p = gmail_v6; *p != '\0'; p++) {
			if (*p == '\n')
				buf_addc(&b, '\r');
			buf_addc(&b, *p);
		}
		assert_int_equal(remote_classify(b.data, b.len, "example.org",
		    test_site(), &v), LOGSCAN_REMOTE_IPV6_PTR);
		assert_string_equal(v.sending_addr, "2001:db8::25");
		assert_string_equal(v.enh, "5.7.1");
		remote_verdict_free(&v);
		buf_free(&b);
	}
}

/* The text the issue quotes, with "Gmail has detected" and the address
 * a real server would have. */
static void
test_gmail_v6_issue_text(void **state)
{
	static const char r[] =
	    "550-5.7.1 [2a01:4f8:c17:1b2::25] Gmail has detected that this "
	    "message does not meet\n"
	    "550-5.7.1 IPv6 sending guidelines regarding PTR records and "
	    "authentication.\n"
	    "550-5.7.1 For more information, go to\n"
	    "550 5.7.1  https://support.google.com/mail/?p=IPv6AuthError "
	    "a640c23a62f3a-a9a0f3e2a1bsi1.1 - gsmtp";
	struct remote_verdict v;

	(void)state;
	assert_int_equal(remote_classify(r, strlen(r), "example.org",
	    test_site(), &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_string_equal(v.sending_addr, "2a01:4f8:c17:1b2::25");
	assert_true(has_record(&v, "PTR  "
	    "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.b.1.0.7.1.c.0.8.f.4.0.1.0.a.2"
	    ".ip6.arpa. -> mail.example.org."));
	assert_true(has_record(&v,
	    "SPF  example.org must allow ip6:2a01:4f8:c17:1b2::25"));
	remote_verdict_free(&v);
}

/* The same bounce as the real Postfix logged it: the relay's address in
 * "host 127.0.0.1[127.0.0.1] said:" is not taken for the sender's. */
static void
test_gmail_v6_log(void **state)
{
	char *text, *line, *nl;
	struct remote_verdict v;

	(void)state;
	text = test_read_file("tests/fixtures/logs/real-postfix.log", NULL);
	line = strstr(text, "93366A7A181: to=<rcpt@example.net>");
	assert_non_null(line);
	nl = strchr(line, '\n');
	assert_non_null(nl);
	assert_int_equal(remote_classify(line, nl - line, "example.org",
	    test_site(), &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_int_equal(v.code, 550);
	assert_string_equal(v.enh, "5.7.1");
	assert_string_equal(v.sending_addr, "2001:db8::25");
	assert_true(has_record(&v, "PTR  " REV_25 " -> mail.example.org."));
	remote_verdict_free(&v);
	/* A log line whose reply names no address: none, not the relay. */
	line = strstr(text, "5D27BA7A2E1: to=<rcpt@example.net>");
	assert_non_null(line);
	nl = strchr(line, '\n');
	assert_int_equal(remote_classify(line, nl - line, "example.com",
	    NULL, &v), LOGSCAN_REMOTE_DMARC);
	assert_null(v.sending_addr);
	assert_string_equal(v.enh, "5.7.26");
	assert_true(has_record_prefix(&v, "DMARC _dmarc.example.com TXT"));
	assert_true(has_record(&v,
	    "SPF  example.com must allow the sending address"));
	remote_verdict_free(&v);
	free(text);
}

/* OpenSMTPD's log of a multi-line reply (mta_session.c): the later lines'
 * "550-" cut, a status of one digit a part cut too, a longer one glued to
 * the word before.  Recorded by tests/fixtures/logs/record-smtpd.sh. */
static void
test_smtpd_joined(void **state)
{
	static const char r[] = "550-5.7.26 This mail is unauthenticated, "
	    "which poses a security risk to the5.7.26 sender and Gmail users, "
	    "and has been blocked. The sender must5.7.26 authenticate with at "
	    "least one of SPF or DKIM. For this message,5.7.26 DKIM checks did "
	    "not pass and SPF check for [example.com] did not5.7.26 pass with "
	    "ip: [192.0.2.25]. The sender should visit5.7.26  https://support."
	    "google.com/mail/answer/81126#authentication for5.7.26 "
	    "instructions on setting up authentication.  - gsmtp";
	static const char dmarc[] = "550-5.7.26 Unauthenticated email from "
	    "example.com is not accepted due to domain's DMARC5.7.26 policy.";
	struct remote_verdict v;

	(void)state;
	assert_int_equal(remote_classify(r, strlen(r), "example.org",
	    test_site(), &v), LOGSCAN_REMOTE_UNAUTH);
	assert_string_equal(v.enh, "5.7.26");
	assert_string_equal(v.sending_addr, "192.0.2.25");
	remote_verdict_free(&v);
	/* A phrase cut by the glued status still matches. */
	assert_int_equal(remote_classify(dmarc, strlen(dmarc), NULL, NULL,
	    &v), LOGSCAN_REMOTE_DMARC);
	remote_verdict_free(&v);
}

/* Every reply of replies.txt, as a session gives it, and its cause. */
static void
test_replies(void **state)
{
	static const struct {
		int		 cause;
		int		 code;
		const char	*enh;
		const char	*addr;
		const char	*record;	/* a records line that must
						 * start so, or NULL */
	} want[] = {
		{ LOGSCAN_REMOTE_IPV6_PTR, 550, "5.7.1", "2001:db8::25",
		  "PTR  " REV_25 },
		{ LOGSCAN_REMOTE_UNAUTH, 550, "5.7.26", "192.0.2.25",
		  "SPF  example.org must allow ip4:192.0.2.25" },
		{ LOGSCAN_REMOTE_DMARC, 550, "5.7.26", NULL,
		  "DMARC _dmarc.example.org" },
		{ LOGSCAN_REMOTE_GMAIL_BULK, 421, "4.7.29", NULL,
		  "DMARC _dmarc.example.org" },
		{ LOGSCAN_REMOTE_GMAIL_RATE, 550, "5.7.1", "192.0.2.25",
		  "DKIM 202612._domainkey.example.org" },
		{ LOGSCAN_REMOTE_YAHOO_AUTH, 550, "5.7.9", "192.0.2.25",
		  "SEE  https://senders.yahooinc.com" },
		{ LOGSCAN_REMOTE_YAHOO_BLOCK, 553, "5.7.2", "192.0.2.25",
		  "SPF  example.org must allow ip4:192.0.2.25" },
		{ LOGSCAN_REMOTE_MS_BLOCK, 550, "5.7.1", "192.0.2.25",
		  "DELIST 192.0.2.25 at https://sender.office.com" },
		{ LOGSCAN_REMOTE_MS_AUTH, 550, "5.7.515", NULL,
		  "DMARC _dmarc.example.org" },
		{ LOGSCAN_REMOTE_SPAMHAUS, 554, "5.7.1", "192.0.2.25",
		  "DELIST 192.0.2.25 at https://check.spamhaus.org" },
		{ LOGSCAN_REMOTE_SPAMHAUS_RESOLVER, 554, "5.7.1", "192.0.2.25",
		  NULL },
	};
	char *text, *p, *nl, *reply, *q;
	struct remote_verdict v;
	size_t n = 0;

	(void)state;
	text = test_read_file("tests/fixtures/logs/replies.txt", NULL);
	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		assert_true(n < sizeof want / sizeof want[0]);
		reply = xstrdup(strchr(p, ' ') + 1);
		while ((q = strstr(reply, " | ")) != NULL) {
			*q = '\n';
			memmove(q + 1, q + 3, strlen(q + 3) + 1);
		}
		assert_int_equal(remote_classify(reply, strlen(reply),
		    "example.org", test_site(), &v), want[n].cause);
		assert_string_equal(v.id, logscan_cause_id(want[n].cause));
		assert_int_equal(v.code, want[n].code);
		assert_string_equal(v.enh, want[n].enh);
		if (want[n].addr == NULL)
			assert_null(v.sending_addr);
		else
			assert_string_equal(v.sending_addr, want[n].addr);
		assert_non_null(v.explain);
		assert_non_null(v.fix);
		print_records(&v);
		if (want[n].record != NULL)
			assert_true(has_record_prefix(&v, want[n].record));
		else
			assert_int_equal(v.records.n, 0);
		remote_verdict_free(&v);
		free(reply);
		n++;
	}
	assert_int_equal(n, sizeof want / sizeof want[0]);
	free(text);
}

/* The public Postfix lines: each the cause logscan gives it. */
static void
test_public_lines(void **state)
{
	static const struct {
		const char	*qid;
		int		 cause;
		const char	*addr;
	} want[] = {
		{ "251A3372458", LOGSCAN_REMOTE_UNAUTH, NULL },
		{ "91FE61053F6", LOGSCAN_REMOTE_UNAUTH, NULL },
		{ "4424441E46", LOGSCAN_REMOTE_GMAIL_RATE, "104.248.27.183" },
		{ "2B03AE20BC", LOGSCAN_REMOTE_UNAUTH, NULL },
	};
	char *text, *line, *nl, *needle;
	struct remote_verdict v;
	size_t i;

	(void)state;
	text = test_read_file("tests/fixtures/logs/public-postfix.log", NULL);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		needle = xasprintf("%s: to=<", want[i].qid);
		line = strstr(text, needle);
		assert_non_null(line);
		nl = strchr(line, '\n');
		assert_int_equal(remote_classify(line, nl - line, NULL, NULL,
		    &v), want[i].cause);
		if (want[i].addr != NULL)
			assert_string_equal(v.sending_addr, want[i].addr);
		/* No domain, no site: no SPF or DKIM line to name. */
		assert_false(has_record_prefix(&v, "SPF"));
		remote_verdict_free(&v);
		free(needle);
	}
	free(text);
}

/* Without a site the PTR line still names the reverse name. */
static void
test_no_site(void **state)
{
	struct remote_verdict v;

	(void)state;
	assert_int_equal(remote_classify(gmail_v6, strlen(gmail_v6), NULL,
	    NULL, &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_int_equal(v.records.n, 1);
	assert_true(has_record_prefix(&v, "PTR  " REV_25 " -> this server's"));
	remote_verdict_free(&v);
	/* A site without a key for the domain says so. */
	assert_int_equal(remote_classify(gmail_v6, strlen(gmail_v6),
	    "example.net", test_site(), &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_true(has_record_prefix(&v, "DKIM the mail signed d=example.net "
	    "(no key"));
	remote_verdict_free(&v);
}

/* A reply notspam does not know: -1, its code kept, nothing named. */
static void
test_unknown(void **state)
{
	static const char r1[] = "550 5.1.1 <nobody@example.net>: Recipient "
	    "address rejected: User unknown";
	static const char r2[] = "554-mx.example.net\n554 no thanks";
	static const char r3[] = "250 2.0.0 Ok: queued as 4ZK3mT0bq5z9sLk";
	struct remote_verdict v;

	(void)state;
	assert_int_equal(remote_classify(r1, strlen(r1), "example.org",
	    test_site(), &v), -1);
	assert_int_equal(v.cause, -1);
	assert_null(v.id);
	assert_null(v.explain);
	assert_int_equal(v.code, 550);
	assert_string_equal(v.enh, "5.1.1");
	assert_int_equal(v.records.n, 0);
	remote_verdict_free(&v);
	assert_int_equal(remote_classify(r2, strlen(r2), NULL, NULL, &v), -1);
	assert_int_equal(v.code, 554);
	assert_string_equal(v.enh, "");
	remote_verdict_free(&v);
	assert_int_equal(remote_classify(r3, strlen(r3), NULL, NULL, &v), -1);
	assert_int_equal(v.code, 250);
	assert_string_equal(v.enh, "2.0.0");
	remote_verdict_free(&v);
	/* Empty, NULL, no code at all. */
	assert_int_equal(remote_classify("", 0, NULL, NULL, &v), -1);
	assert_int_equal(v.code, 0);
	remote_verdict_free(&v);
	assert_int_equal(remote_classify(NULL, 0, NULL, NULL, &v), -1);
	remote_verdict_free(&v);
	assert_int_equal(remote_classify("hello [10.0.0.1]", 16, NULL, NULL,
	    &v), -1);
	assert_null(v.sending_addr);
	remote_verdict_free(&v);
}

/* Hostile bytes: a megabyte, controls, NULs, brackets without end. */
static void
test_hostile(void **state)
{
	static const char longaddr[] = "550 5.7.1 [2001:db8:0:0:0:0:0:0:0:0:0:"
	    "0:0:0:0:0:0:0:0:0:0:0:25] ipv6 sending guidelines";
	struct remote_verdict v;
	char *big;
	size_t n = 1024 * 1024, i;

	(void)state;
	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = "[550-5.7.1 \n\x1b\0]:"[i % 16];
	(void)remote_classify(big, n, "example.org", test_site(), &v);
	remote_verdict_free(&v);
	memset(big, '[', n);
	(void)remote_classify(big, n, NULL, NULL, &v);
	assert_null(v.sending_addr);
	remote_verdict_free(&v);
	/* The phrase past the part looked at is not seen. */
	memset(big, 'a', n);
	memcpy(big, "550 5.7.1 ", 10);
	memcpy(big + n - 30, " ipv6 sending guidelines x", 26);
	assert_int_equal(remote_classify(big, n, NULL, NULL, &v), -1);
	assert_int_equal(v.code, 550);
	remote_verdict_free(&v);
	free(big);
	/* A long bracketed address-like run is refused, not copied. */
	assert_int_equal(remote_classify(longaddr, strlen(longaddr), NULL,
	    NULL, &v), LOGSCAN_REMOTE_IPV6_PTR);
	assert_null(v.sending_addr);
	remote_verdict_free(&v);
}

/* The table: every remote cause explained with a fix, a local one not. */
static void
test_table(void **state)
{
	int c;

	(void)state;
	for (c = LOGSCAN_REMOTE_IPV6_PTR; c < LOGSCAN_NCAUSES; c++) {
		assert_non_null(remote_explain(c));
		assert_non_null(remote_fix(c));
	}
	assert_null(remote_explain(LOGSCAN_MILTER_REFUSED));
	assert_null(remote_fix(LOGSCAN_KEY_LOAD));
	assert_null(remote_explain(-1));
	assert_null(remote_fix(LOGSCAN_NCAUSES));
	remote_verdict_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gmail_v6_session),
		cmocka_unit_test(test_gmail_v6_issue_text),
		cmocka_unit_test(test_gmail_v6_log),
		cmocka_unit_test(test_smtpd_joined),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_public_lines),
		cmocka_unit_test(test_no_site),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
