/* test_sockspec.c: every endpoint syntax, hostile input, matching and the
 * text form. */
#include "testutil.h"

#include <sys/socket.h>

#include "core/lib/sockspec.h"
#include "core/lib/util.h"

/* Parse or fail; the canonical text is compared when want is not NULL. */
static void
ok(enum sockspec_syntax syn, const char *text, struct sockspec *s,
    const char *want)
{
	char *cause = NULL, *f;

	if (sockspec_parse(syn, text, s, &cause) != 0)
		fail_msg("%s: %s", text, cause);
	if (want != NULL) {
		f = sockspec_format(s);
		assert_string_equal(f, want);
		free(f);
	}
}

/* Refused, with a message. */
static void
bad(enum sockspec_syntax syn, const char *text)
{
	struct sockspec s;
	char *cause = NULL;

	assert_int_equal(sockspec_parse(syn, text, &s, &cause), -1);
	assert_non_null(cause);
	assert_null(strchr(cause, '\n'));
	assert_int_equal(s.transport, SOCKSPEC_NONE);
	free(cause);
}

static void
test_postfix(void **state)
{
	struct sockspec s;

	(void)state;
	ok(SOCKSPEC_POSTFIX, "inet:127.0.0.1:8891", &s, "inet:127.0.0.1:8891");
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.port, 8891);
	sockspec_free(&s);
	ok(SOCKSPEC_POSTFIX, "inet:[::1]:12345", &s, "inet:[::1]:12345");
	assert_int_equal(s.family, AF_INET6);
	assert_string_equal(s.address, "::1");
	sockspec_free(&s);
	ok(SOCKSPEC_POSTFIX, "inet:localhost:8891", &s, "inet:localhost:8891");
	assert_int_equal(s.family, AF_UNSPEC);
	sockspec_free(&s);
	ok(SOCKSPEC_POSTFIX, "inet:8891", &s, "inet:localhost:8891");
	sockspec_free(&s);
	ok(SOCKSPEC_POSTFIX, "unix:opendkim/opendkim.sock", &s,
	    "unix:opendkim/opendkim.sock");
	assert_int_equal(s.family, AF_UNIX);
	assert_true(s.relative);
	sockspec_free(&s);
	ok(SOCKSPEC_POSTFIX, "/run/opendkim/opendkim.sock", &s, NULL);
	assert_int_equal(s.transport, SOCKSPEC_UNIX);
	assert_false(s.relative);
	sockspec_free(&s);
	ok(SOCKSPEC_POSTFIX, "local:/run/x.sock", &s, "local:/run/x.sock");
	sockspec_free(&s);
	bad(SOCKSPEC_POSTFIX, "tcp:127.0.0.1:8891");
	bad(SOCKSPEC_POSTFIX, "inet:[::1:8891");
	bad(SOCKSPEC_POSTFIX, "inet:[localhost]:8891");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1");
	bad(SOCKSPEC_POSTFIX, "unix:");
}

static void
test_nexthop(void **state)
{
	struct sockspec s;

	(void)state;
	ok(SOCKSPEC_NEXTHOP, "dksign:[127.0.0.1]:10027", &s,
	    "inet:127.0.0.1:10027");
	sockspec_free(&s);
	ok(SOCKSPEC_NEXTHOP, "smtp:localhost:10025", &s,
	    "inet:localhost:10025");
	sockspec_free(&s);
	bad(SOCKSPEC_NEXTHOP, "dksign");
	bad(SOCKSPEC_NEXTHOP, "scan:localhost");
}

static void
test_milter(void **state)
{
	struct sockspec s;

	(void)state;
	ok(SOCKSPEC_MILTER, "inet:8891@localhost", &s, "inet:localhost:8891");
	assert_int_equal(s.family, AF_INET);	/* inet is IPv4 only */
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "inet:8891@[127.0.0.1]", &s, "inet:127.0.0.1:8891");
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "inet:8891", &s, "inet:*:8891");
	assert_string_equal(s.address, "");
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "inet6:8892@[::1]", &s, "inet6:[::1]:8892");
	assert_int_equal(s.family, AF_INET6);
	assert_false(s.any_family);
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "inet6:8892", &s, "inet6:[::]:8892");
	assert_true(s.any_family);
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "local:/run/opendkim/opendkim.sock", &s, NULL);
	assert_int_equal(s.transport, SOCKSPEC_LOCAL);
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "unix:/var/spool/postfix/opendkim/opendkim.sock",
	    &s, NULL);
	sockspec_free(&s);
	ok(SOCKSPEC_MILTER, "/run/x.sock", &s, "unix:/run/x.sock");
	sockspec_free(&s);
	bad(SOCKSPEC_MILTER, "inet:@localhost");
	bad(SOCKSPEC_MILTER, "inet:8891@");
	bad(SOCKSPEC_MILTER, "inet:8891@[::1]");
	bad(SOCKSPEC_MILTER, "inet6:8891@127.0.0.1");
	bad(SOCKSPEC_MILTER, "tcp:8891@localhost");
}

static void
test_hostport_url(void **state)
{
	struct sockspec s;

	(void)state;
	ok(SOCKSPEC_HOSTPORT, "127.0.0.1:10027", &s, "inet:127.0.0.1:10027");
	sockspec_free(&s);
	ok(SOCKSPEC_HOSTPORT, "[::1]:10027", &s, "inet:[::1]:10027");
	sockspec_free(&s);
	ok(SOCKSPEC_HOSTPORT, "lo0:10028", &s, "inet:lo0:10028");
	sockspec_free(&s);
	ok(SOCKSPEC_HOSTPORT, "10027", &s, "inet:*:10027");
	sockspec_free(&s);
	ok(SOCKSPEC_URL, "smtp://127.0.0.1:10027", &s, "inet:127.0.0.1:10027");
	sockspec_free(&s);
	ok(SOCKSPEC_URL, "smtp+tls://relay@[::1]:587", &s, "inet:[::1]:587");
	sockspec_free(&s);
	ok(SOCKSPEC_URL, "smtp://127.0.0.1", &s, "inet:127.0.0.1");
	assert_int_equal(s.port, 0);
	sockspec_free(&s);
	bad(SOCKSPEC_HOSTPORT, "127.0.0.1");
	bad(SOCKSPEC_HOSTPORT, ":10027");
	bad(SOCKSPEC_URL, "127.0.0.1:10027");
}

/* Newlines, huge ports, empty text, overlong text. */
static void
test_hostile(void **state)
{
	char *big;

	(void)state;
	bad(SOCKSPEC_POSTFIX, "");
	bad(SOCKSPEC_MILTER, "");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1:8891\nsmtpd_milters = x");
	bad(SOCKSPEC_MILTER, "inet:8891@local\rhost");
	bad(SOCKSPEC_HOSTPORT, "127.0.0.1:\x1b[2J");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1:65536");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1:0");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1:99999999999999999999999");
	bad(SOCKSPEC_MILTER, "inet:4294967297@localhost");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1:-1");
	bad(SOCKSPEC_POSTFIX, "inet:127.0.0.1:+25");
	big = xmalloc(5000);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	memcpy(big, "unix:/", 6);
	bad(SOCKSPEC_POSTFIX, big);
	free(big);
}

static int
match(enum sockspec_syntax cs, const char *c, enum sockspec_syntax ls,
    const char *l, enum sockspec_match how)
{
	struct sockspec a, b;
	int rc;

	ok(cs, c, &a, NULL);
	ok(ls, l, &b, NULL);
	rc = sockspec_matches(&a, &b, how);
	sockspec_free(&a);
	sockspec_free(&b);
	return rc;
}

/* The demo's classic: Postfix dials ::1, OpenDKIM listens on 127.0.0.1. */
static void
test_match_demo(void **state)
{
	(void)state;
	/* The site model links them (same port) ... */
	assert_true(match(SOCKSPEC_POSTFIX, "inet:[::1]:12345",
	    SOCKSPEC_MILTER, "inet:12345@localhost", SOCKSPEC_MATCH_PORT));
	/* ... but the client does not reach the listener. */
	assert_false(match(SOCKSPEC_POSTFIX, "inet:[::1]:12345",
	    SOCKSPEC_MILTER, "inet:12345@localhost", SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "inet:127.0.0.1:12345",
	    SOCKSPEC_MILTER, "inet:12345@localhost", SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "inet:localhost:12345",
	    SOCKSPEC_MILTER, "inet:12345@localhost", SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "inet:[::1]:12345",
	    SOCKSPEC_MILTER, "inet6:12345@[::1]", SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "inet:[::1]:12345",
	    SOCKSPEC_MILTER, "inet6:12345", SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "inet:127.0.0.1:12345",
	    SOCKSPEC_MILTER, "inet6:12345", SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "inet:127.0.0.1:12345",
	    SOCKSPEC_MILTER, "inet:12345", SOCKSPEC_MATCH_REACH));
	assert_false(match(SOCKSPEC_POSTFIX, "inet:[::1]:12345",
	    SOCKSPEC_MILTER, "inet:12345", SOCKSPEC_MATCH_REACH));
	assert_false(match(SOCKSPEC_POSTFIX, "inet:127.0.0.1:12346",
	    SOCKSPEC_MILTER, "inet:12345", SOCKSPEC_MATCH_PORT));
}

static void
test_match_paths(void **state)
{
	(void)state;
	/* A chroot moves the directory: the name still links them. */
	assert_true(match(SOCKSPEC_POSTFIX, "unix:/run/opendkim/opendkim.sock",
	    SOCKSPEC_MILTER, "local:/var/spool/postfix/opendkim/opendkim.sock",
	    SOCKSPEC_MATCH_PORT));
	assert_false(match(SOCKSPEC_POSTFIX, "unix:/run/opendkim/opendkim.sock",
	    SOCKSPEC_MILTER, "local:/var/spool/postfix/opendkim/opendkim.sock",
	    SOCKSPEC_MATCH_REACH));
	assert_true(match(SOCKSPEC_POSTFIX, "unix:opendkim/opendkim.sock",
	    SOCKSPEC_MILTER, "local:/var/spool/postfix/opendkim/opendkim.sock",
	    SOCKSPEC_MATCH_REACH));
	assert_false(match(SOCKSPEC_POSTFIX, "unix:opendkim/opendkim.sock",
	    SOCKSPEC_MILTER, "inet:8891@localhost", SOCKSPEC_MATCH_PORT));
	assert_false(match(SOCKSPEC_POSTFIX, "unix:kim/opendkim.sock",
	    SOCKSPEC_MILTER, "local:/var/spool/postfix/opendkim/opendkim.sock",
	    SOCKSPEC_MATCH_REACH));
}

static void
test_equal_copy(void **state)
{
	struct sockspec a, b, c;

	(void)state;
	ok(SOCKSPEC_POSTFIX, "inet:LOCALHOST:25", &a, NULL);
	ok(SOCKSPEC_POSTFIX, "inet:25", &b, NULL);
	assert_true(sockspec_equal(&a, &b));
	sockspec_copy(&c, &a);
	assert_true(sockspec_equal(&a, &c));
	assert_ptr_not_equal(a.address, c.address);
	sockspec_free(&b);
	ok(SOCKSPEC_MILTER, "inet:25@localhost", &b, NULL);
	assert_false(sockspec_equal(&a, &b));	/* IPv4 only vs every family */
	sockspec_free(&a);
	sockspec_free(&b);
	sockspec_free(&c);
	memset(&a, 0, sizeof a);
	c.transport = SOCKSPEC_NONE;
	{
		char *f = sockspec_format(&a);
		assert_string_equal(f, "none");
		free(f);
	}
	assert_false(sockspec_matches(&a, &a, SOCKSPEC_MATCH_PORT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_nexthop),
		cmocka_unit_test(test_milter),
		cmocka_unit_test(test_hostport_url),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_match_demo),
		cmocka_unit_test(test_match_paths),
		cmocka_unit_test(test_equal_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
