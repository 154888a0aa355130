/* test_dnsname.c: DNS names as text (core/lib/dnsname): the one form the
 * checks compare, equality, and names under a zone. */
#include "testutil.h"

#include "core/lib/dnsname.h"

/* dnsname_norm and dnsname_norm_into give the same text for name. */
static void
norm_is(const char *name, const char *want)
{
	char buf[64], *n = dnsname_norm(name);

	assert_string_equal(n, want);
	free(n);
	assert_ptr_equal(dnsname_norm_into(name, buf, sizeof buf), buf);
	assert_string_equal(buf, want);
}

static void
test_norm(void **state)
{
	(void)state;
	norm_is("Mail.Example.ORG.", "mail.example.org");
	norm_is("example.org", "example.org");
	norm_is(".", ".");		/* the root stays the root */
	norm_is("", "");
	norm_is("a..", "a.");		/* one final dot only */
	norm_is("_DMARC.x.test", "_dmarc.x.test");
	norm_is("\xc3\x89.test", "\xc3\x89.test");	/* ASCII case only */
}

static void
test_norm_into_size(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof buf);
	/* 7 bytes and the NUL fit in 8; 8 bytes do not, and buf is untouched. */
	assert_ptr_equal(dnsname_norm_into("ABC.DEF", buf, sizeof buf), buf);
	assert_string_equal(buf, "abc.def");
	memset(buf, 'x', sizeof buf);
	assert_null(dnsname_norm_into("ABCD.EFG", buf, sizeof buf));
	assert_int_equal(buf[0], 'x');
	/* The final dot counts toward the size before it is dropped. */
	assert_null(dnsname_norm_into("abc.def.", buf, sizeof buf));
	assert_null(dnsname_norm_into("", buf, 0));
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(dnsname_equal("mail.example.org", "MAIL.example.ORG."));
	assert_true(dnsname_equal("mail.example.org.", "mail.example.org"));
	assert_true(dnsname_equal(".", "."));
	assert_false(dnsname_equal("mail.example.org", "mail.example.or"));
	assert_false(dnsname_equal("mail.example.org", "mail.example.org.."));
	assert_false(dnsname_equal("mail.example.org", "ail.example.org"));
	assert_false(dnsname_equal("", "."));
}

static void
test_under(void **state)
{
	(void)state;
	assert_true(dnsname_under("example.org", "example.org"));
	assert_true(dnsname_under("Example.ORG", "example.org"));
	assert_true(dnsname_under("a.b.example.org", "example.org"));
	assert_true(dnsname_under("_dmarc.EXAMPLE.org", "Example.org"));
	assert_false(dnsname_under("badexample.org", "example.org"));
	assert_false(dnsname_under("example.org", "a.example.org"));
	assert_false(dnsname_under("org", "example.org"));
	assert_false(dnsname_under("example.net", "example.org"));
	assert_false(dnsname_under(".example.org", "x.example.org"));
}

/* Host names: what an MX, NS or PTR answer must name. */
static void
test_host_ok(void **state)
{
	char label63[64], long_name[300];
	size_t i;

	(void)state;
	assert_true(dnsname_host_ok("mail.example.org"));
	assert_true(dnsname_host_ok("Mail-1.Example.ORG."));
	assert_true(dnsname_host_ok("a"));
	assert_true(dnsname_host_ok("1.2.3.example"));
	assert_false(dnsname_host_ok(""));
	assert_false(dnsname_host_ok("."));
	assert_false(dnsname_host_ok("\033[2J.evil007.org"));
	assert_false(dnsname_host_ok("\\027[2j.evil007.org"));	/* escaped */
	assert_false(dnsname_host_ok("a\\.b.example.org"));
	assert_false(dnsname_host_ok("_dmarc.example.org"));
	assert_false(dnsname_host_ok("a b.example.org"));
	assert_false(dnsname_host_ok("-a.example.org"));
	assert_false(dnsname_host_ok("a-.example.org"));
	assert_false(dnsname_host_ok("a..example.org"));
	assert_false(dnsname_host_ok("example.org.."));
	assert_false(dnsname_host_ok("caf\xc3\xa9.example.org"));
	memset(label63, 'a', 63);
	label63[63] = '\0';
	assert_true(dnsname_host_ok(label63));
	snprintf(long_name, sizeof long_name, "%sa.org", label63);
	assert_false(dnsname_host_ok(long_name));	/* a label of 64 */
	for (i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = '\0';
	assert_true(dnsname_host_ok(long_name));	/* 253 bytes */
	long_name[253] = 'a';
	long_name[254] = '\0';
	assert_false(dnsname_host_ok(long_name));
}

/* Names that can be asked as they are: nothing a resolver would rewrite. */
static void
test_query_ok(void **state)
{
	(void)state;
	assert_true(dnsname_query_ok("_dmarc.example.org"));
	assert_true(dnsname_query_ok("foo:bar/baz.example.com."));
	assert_true(dnsname_query_ok("JUMPIN%27%20JUPITER.example.com"));
	assert_true(dnsname_query_ok("a b.example.org"));
	assert_false(dnsname_query_ok("\\027[2j.evil007.org"));
	assert_false(dnsname_query_ok("x\\.y.example.org"));
	assert_false(dnsname_query_ok("\033[2J.evil007.org"));
	assert_false(dnsname_query_ok("a\x7f.example.org"));
	assert_false(dnsname_query_ok("a..example.org"));
	assert_false(dnsname_query_ok("example.org.."));
	assert_false(dnsname_query_ok(""));
	assert_false(dnsname_query_ok("."));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm),
		cmocka_unit_test(test_norm_into_size),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_under),
		cmocka_unit_test(test_host_ok),
		cmocka_unit_test(test_query_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
