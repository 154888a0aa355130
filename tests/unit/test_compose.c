/* test_compose.c: the test message (core/mail/compose): parsed back with
 * msg_parse, every header there once, the line limits, the Date form,
 * quoted-printable that decodes to the text, hostile addresses refused;
 * and the parts of core/mail/sendtest that need no network: the
 * mail-tester result page of an address, the history read back. */
#include "testutil.h"

#include <sys/stat.h>

#include <unistd.h>

#include "core/lib/util.h"
#include "core/mail/compose.h"
#include "core/mail/msg.h"
#include "core/mail/sendtest.h"
#include "core/site/session.h"

static struct compose
make_ok(const char *from, const char *to, const char *host)
{
	struct compose_opts o;
	struct compose c;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.from = from;
	o.to = to;
	o.hostname = host;
	o.route = "through the local MTA";
	o.date = 1796200000;
	if (compose_message(&o, &c, &cause) != 0)
		fail_msg("compose: %s", cause);
	return c;
}

/* Every line ends in CRLF, no CR or LF alone, none over max octets. */
static void
assert_lines(const struct compose *c, size_t max)
{
	size_t i, start = 0;

	for (i = 0; i < c->len; i++) {
		if (c->data[i] == '\r') {
			assert_true(i + 1 < c->len && c->data[i + 1] == '\n');
			if (i - start > max)
				fail_msg("line of %zu octets: %.*s", i - start,
				    (int)(i - start), c->data + start);
			start = i + 2;
			i++;
		} else
			assert_true(c->data[i] != '\n');
	}
	assert_int_equal(start, c->len);	/* ends with CRLF */
}

/* The body, quoted-printable decoded (soft breaks joined). */
static char *
qp_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), hex[3] = { 0, 0, 0 };
	size_t i, o = 0;

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (s[i] == '=' && i + 2 < n) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static void
test_message(void **state)
{
	static const char *const once[] = { "From", "To", "Subject", "Date",
	    "Message-ID", "MIME-Version", "Content-Type",
	    "Content-Transfer-Encoding" };
	struct compose c, d;
	struct msg *m;
	const struct msg_field *f;
	char *cause = NULL, *body;
	size_t i = 0, k;

	(void)state;
	c = make_ok("postmaster@example.org", "test-abc@srv1.mail-tester.com",
	    "mail.example.org");
	assert_lines(&c, COMPOSE_FOLD_AT);
	m = msg_parse(c.data, c.len, &cause);
	assert_non_null(m);
	assert_true(m->has_body);
	assert_false(m->bare_lf);
	for (k = 0; k < sizeof once / sizeof once[0]; k++)
		assert_int_equal(msg_count(m, once[k]), 1);
	i = 0;
	assert_string_equal(msg_next(m, "From", &i)->value,
	    "postmaster@example.org");
	i = 0;
	assert_string_equal(msg_next(m, "To", &i)->value,
	    "test-abc@srv1.mail-tester.com");
	i = 0;
	assert_string_equal(msg_next(m, "MIME-Version", &i)->value, "1.0");
	i = 0;
	assert_string_equal(msg_next(m, "Content-Type", &i)->value,
	    "text/plain; charset=UTF-8");
	i = 0;
	f = msg_next(m, "Message-ID", &i);
	assert_string_equal(f->value, c.message_id);
	assert_int_equal(strlen(c.message_id), 1 + 32 + 1 +
	    strlen("mail.example.org") + 1);
	assert_true(strspn(c.message_id + 1, "0123456789abcdef") == 32);
	assert_string_equal(c.message_id + 33, "@mail.example.org>");
	i = 0;
	assert_string_equal(msg_next(m, "Date", &i)->value, c.date);
	i = 0;
	assert_non_null(strstr(msg_next(m, "Subject", &i)->value,
	    "example.org"));
	/* The body: honest, no link, decodes to what it says. */
	body = qp_decode(m->body, m->bodylen);
	assert_non_null(strstr(body, "test message from notspam"));
	assert_non_null(strstr(body, "mail.example.org"));
	assert_non_null(strstr(body, c.date));
	assert_null(strstr(body, "http"));
	assert_null(strstr(body, "://"));
	free(body);
	msg_free(m);
	/* Another message, another id. */
	d = make_ok("postmaster@example.org", "a@example.net", NULL);
	assert_string_not_equal(c.message_id, d.message_id);
	/* No host name given: the From domain. */
	assert_non_null(strstr(d.message_id, "@example.org>"));
	compose_free(&d);
	d = make_ok("postmaster@example.org", "a@example.net", "bad host\r\n");
	assert_non_null(strstr(d.message_id, "@example.org>"));
	compose_free(&d);
	compose_free(&c);
}

static void
test_date(void **state)
{
	char b[64];
	const char *tz = getenv("TZ");
	char *saved = tz != NULL ? strdup(tz) : NULL;

	(void)state;
	setenv("TZ", "UTC0", 1);
	tzset();
	compose_date(1796200000, b, sizeof b);
	assert_string_equal(b, "Wed, 2 Dec 2026 08:26:40 +0000");
	setenv("TZ", "XYZ-1", 1);	/* UTC+1 */
	tzset();
	compose_date(1796200000, b, sizeof b);
	assert_string_equal(b, "Wed, 2 Dec 2026 09:26:40 +0100");
	setenv("TZ", "ABC+5:30", 1);	/* UTC-5:30 */
	tzset();
	compose_date(1796200000, b, sizeof b);
	assert_string_equal(b, "Wed, 2 Dec 2026 02:56:40 -0530");
	if (saved != NULL)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
}

/* The longest addresses and host: every line within the limits, the
 * header lines folded where they can be, the body's within 76. */
static void
test_limits(void **state)
{
	char local[65], dom[254], to[COMPOSE_ADDR_MAX + 64], from[260];
	struct compose c;
	struct msg *m;
	const struct msg_field *f;
	char *cause = NULL;
	const char *p, *nl;
	size_t i;

	(void)state;
	memset(local, 'l', 64);
	local[64] = '\0';
	/* 63 + 1 + 63 + 1 + 63 + 1 + 57 = 249 octets of domain. */
	snprintf(dom, sizeof dom, "%.63s.%.63s.%.63s.%.57s",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	snprintf(to, sizeof to, "%.4s@%s", local, dom);
	assert_int_equal(compose_addr_check(to, NULL), 0);
	snprintf(from, sizeof from, "p@%s", dom);
	c = make_ok(from, to, dom);
	assert_lines(&c, COMPOSE_LINE_MAX);
	m = msg_parse(c.data, c.len, &cause);
	assert_non_null(m);
	/* Folded at the blank before the long domain, read back whole. */
	i = 0;
	f = msg_next(m, "Subject", &i);
	assert_non_null(strstr(f->raw, "from\r\n aaaa"));
	assert_int_equal(msg_count(m, "Subject"), 1);
	snprintf(to, sizeof to, "notspam test message from %s", dom);
	assert_string_equal(f->value, to);
	i = 0;
	assert_non_null(strstr(msg_next(m, "To", &i)->raw, "To: llll@"));
	msg_free(m);
	/* The body's lines: quoted-printable, at most 76. */
	p = strstr(c.data, "\r\n\r\n") + 4;
	for (; *p != '\0'; p = nl + 2) {
		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		assert_true(nl - p <= 76);
	}
	compose_free(&c);
	/* A 64-octet local part is one; 65 is not; 255 octets in all is
	 * not. */
	snprintf(to, sizeof to, "%s@example.org", local);
	assert_int_equal(compose_addr_check(to, NULL), 0);
	c = make_ok(to, "a@example.net", NULL);
	assert_lines(&c, COMPOSE_LINE_MAX);
	compose_free(&c);
	{
		char l65[80], big[400];

		snprintf(l65, sizeof l65, "%sl@example.org", local);
		assert_int_equal(compose_addr_check(l65, NULL), -1);
		memset(big, 'a', sizeof big);
		big[0] = 'x';
		big[1] = '@';
		for (i = 2; i + 10 < 300; i += 10)
			big[i + 9] = '.';
		snprintf(big + 300, 100, ".org");
		assert_int_equal(compose_addr_check(big, &cause), -1);
		free(cause);
	}
}

static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"a@example.org\r\nBcc: victim@example.net",
		"a@example.org\n",
		"a\r@example.org",
		"a\x1b[2J@example.org",
		"a@exa\x07mple.org",
		"a b@example.org",
		"<a@example.org>",
		"a@example.org>",
		"\"a\"@example.org",
		"a,b@example.org",
		"a(b)@example.org",
		"a\\b@example.org",
		"a@@example.org",
		"a@b@example.org",
		"@example.org",
		"a@",
		"a",
		".a@example.org",
		"a.@example.org",
		"a..b@example.org",
		"a@example",
		"a@example.org.",
		"a@exa_mple.org",
		"a@-example.org",
		"a@[192.0.2.1]",
		"\xc3\xa9t\xc3\xa9@example.org",
		"a@\xe4\xbe\x8b.org",
		"",
	};
	struct compose_opts o;
	struct compose c;
	char *cause;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (compose_addr_check(bad[i], &cause) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		/* The reason quotes it escaped: no control reaches it. */
		for (k = 0; cause[k] != '\0'; k++)
			assert_true((unsigned char)cause[k] >= 0x20 &&
			    cause[k] != 0x7f);
		free(cause);
		/* Nor is a message made with it, as From or as To. */
		memset(&o, 0, sizeof o);
		o.from = bad[i];
		o.to = "a@example.net";
		cause = NULL;
		assert_int_equal(compose_message(&o, &c, &cause), -1);
		assert_null(c.data);
		free(cause);
		o.from = "a@example.net";
		o.to = bad[i];
		cause = NULL;
		assert_int_equal(compose_message(&o, &c, &cause), -1);
		free(cause);
	}
	assert_int_equal(compose_addr_check(NULL, NULL), -1);
	/* These are addresses. */
	assert_int_equal(compose_addr_check("test-abc_1.x+y@srv1.mail-tester."
	    "com", NULL), 0);
	assert_int_equal(compose_addr_check("o'brien@example.org", NULL), 0);
	cause = compose_addr_domain("A@Example.ORG");
	assert_string_equal(cause, "example.org");
	free(cause);
}

static void
test_mailtester(void **state)
{
	static const struct {
		const char *addr, *url;
	} cases[] = {
		{ "test-abc123@srv1.mail-tester.com",
		    "https://www.mail-tester.com/test-abc123" },
		{ "web-Xy9_z@mail-tester.com",
		    "https://www.mail-tester.com/web-Xy9_z" },
		{ "abc@SRV12.Mail-Tester.COM",
		    "https://www.mail-tester.com/abc" },
		{ "abc@srv3.mail-tester.com.",
		    "https://www.mail-tester.com/abc" },
		{ "abc@example.org", NULL },
		{ "abc@mail-tester.com.evil.example", NULL },
		{ "abc@evilmail-tester.com", NULL },
		{ "abc@www.mail-tester.com", NULL },
		{ "abc@a.srv1.mail-tester.com", NULL },
		{ "a/b@srv1.mail-tester.com", NULL },
		{ "a?b=c@srv1.mail-tester.com", NULL },
		{ "@srv1.mail-tester.com", NULL },
		{ "mail-tester.com", NULL },
	};
	char *u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		u = sendtest_mailtester_url(cases[i].addr);
		if (cases[i].url == NULL) {
			if (u != NULL)
				fail_msg("%s gave %s", cases[i].addr, u);
		} else {
			if (u == NULL)
				fail_msg("%s gave nothing", cases[i].addr);
			assert_string_equal(u, cases[i].url);
		}
		free(u);
	}
	assert_null(sendtest_mailtester_url(NULL));
}

static void
test_names(void **state)
{
	int r;

	(void)state;
	for (r = 0; r < SENDTEST_NROUTES; r++)
		assert_int_equal(sendtest_route_from_name(
		    sendtest_route_name((enum sendtest_route)r)), r);
	assert_int_equal(sendtest_route_from_name("smtp"), -1);
	assert_string_equal(sendtest_verdict_name(SENDTEST_REJECTED),
	    "rejected");
	assert_string_equal(sendtest_verdict_name(SENDTEST_UNREACHABLE),
	    "unreachable");
	assert_int_equal(SENDTEST_UNREACHABLE, 75);
	assert_string_equal(sendtest_phase_name(SENDTEST_FOLLOWING),
	    "following");
}

/* The history read back: tests kept in order, lines that are not tests
 * skipped, escapes decoded and controls escaped again, the last N. */
static void
test_history(void **state)
{
	char dir[] = "/tmp/notspam-compose-XXXXXX", *path, *cause = NULL;
	struct session_opts so;
	struct session *s;
	struct sendtest_hist *v;
	size_t n;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&so, 0, sizeof so);
	so.root = dir;
	s = session_open(&so, &cause);
	if (s == NULL)
		fail_msg("session: %s", cause);
	/* None kept yet: not an error. */
	assert_int_equal(sendtest_history(s, 0, &v, &n, &cause), 0);
	assert_int_equal(n, 0);
	path = xasprintf("%s/var", dir);
	mkdir(path, 0755);
	free(path);
	path = xasprintf("%s/var/lib", dir);
	mkdir(path, 0755);
	free(path);
	path = xasprintf("%s/var/lib/notspam", dir);
	mkdir(path, 0755);
	free(path);
	path = xasprintf("%s%s", dir, SENDTEST_HISTORY);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"time\":1796200000,\"to\":\"a@example.net\",\"route\":"
	    "\"server\",\"verdict\":\"accepted\",\"code\":250,\"fail\":null,"
	    "\"queue_id\":\"1\",\"summary\":\"accepted by x\"}\n", f);
	fputs("not json\n{\"time\":1}\n{\"to\":\"x\",\"verdict\":\"y\"}\n", f);
	fputs("{\"time\":1796200001,\"to\":\"b@example.net\",\"verdict\":"
	    "\"rejected\",\"remote_reply\":\"550 \\u001b[2J\\\"q\\\" "
	    "\\u00e9\\ud83d\\ude00\",\"summary\":\"x\"}\n", f);
	fputs("{\"time\":1796200002,\"to\":\"c@example.net\",\"verdict\":"
	    "\"deferred\",\"extra\":[1,2]}\n", f);
	fputs("{\"time\":1796200003,\"to\":\"d@example.net\",\"verdict\":"
	    "\"deferred\"", f);	/* cut short, no newline */
	fclose(f);
	assert_int_equal(sendtest_history(s, 0, &v, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].time, 1796200000);
	assert_string_equal(v[0].to, "a@example.net");
	assert_string_equal(v[0].route, "server");
	assert_string_equal(v[0].verdict, "accepted");
	assert_string_equal(v[0].queue_id, "1");
	assert_null(v[0].remote_reply);
	assert_string_equal(v[1].to, "b@example.net");
	assert_null(v[1].route);
	assert_string_equal(v[1].remote_reply,
	    "550 \\x1b[2J\"q\" \xc3\xa9\xf0\x9f\x98\x80");
	sendtest_hist_free(v, n);
	assert_int_equal(sendtest_history(s, 1, &v, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].to, "b@example.net");
	sendtest_hist_free(v, n);
	unlink(path);
	free(path);
	session_close(s);
	path = xasprintf("rm -rf %s", dir);
	free(test_run(path));
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_mailtester),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
