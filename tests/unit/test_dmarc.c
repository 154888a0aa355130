/* test_dmarc.c: DMARC policy record parsing and the organizational
 * domain. */
#include "testutil.h"

#include "core/dns/dmarc.h"
#include "core/lib/util.h"

/* Parse text and expect success. */
static void
parse_ok(const char *text, struct dmarc_rec *rec)
{
	char *cause = NULL;

	if (dmarc_parse(text, strlen(text), rec, &cause) != 0)
		fail_msg("\"%s\": %s", text, cause);
	assert_null(cause);
}

/* Parse text and expect failure with a message containing want. */
static void
parse_fail(const char *text, const char *want)
{
	struct dmarc_rec rec;
	char *cause = NULL;

	if (dmarc_parse(text, strlen(text), &rec, &cause) == 0)
		fail_msg("\"%s\" parsed; expected: %s", text, want);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\": got \"%s\", expected \"%s\"", text, cause,
		    want);
	assert_null(rec.p);
	assert_null(rec.rua);
	assert_int_equal(rec.nrua, 0);
	free(cause);
}

static void
test_is_record(void **state)
{
	(void)state;
	assert_true(dmarc_is_record("v=DMARC1", 8));
	assert_true(dmarc_is_record("v=DMARC1;", 9));
	assert_true(dmarc_is_record("v=DMARC1; p=none", 16));
	assert_true(dmarc_is_record("v = DMARC1 ;p=none", 18));
	assert_true(dmarc_is_record("v=DMARC1 ", 9));
	assert_false(dmarc_is_record("v=DMARC10", 9));
	assert_false(dmarc_is_record("v=dmarc1", 8));
	assert_false(dmarc_is_record("V=DMARC1", 8));
	assert_false(dmarc_is_record("p=none; v=DMARC1", 16));
	assert_false(dmarc_is_record("v=spf1 -all", 11));
	assert_false(dmarc_is_record("v=DMARC", 7));
	assert_false(dmarc_is_record("", 0));
}

static void
test_full(void **state)
{
	struct dmarc_rec rec;

	(void)state;
	parse_ok("v=DMARC1; p=Reject; sp=quarantine; np=none; adkim=s;"
	    " aspf=R; fo=0:1:d:s; rf=afrf; pct=50; ri=3600;"
	    " rua=mailto:agg@Example.ORG!10m, mailto:other@x.example;"
	    " ruf=mailto:f@example.org; psd=n; t=y; future=ignored", &rec);
	assert_string_equal(rec.p, "reject");
	assert_string_equal(rec.sp, "quarantine");
	assert_string_equal(rec.np, "none");
	assert_string_equal(rec.adkim, "s");
	assert_string_equal(rec.aspf, "r");
	assert_string_equal(rec.fo, "0:1:d:s");
	assert_string_equal(rec.rf, "afrf");
	assert_int_equal(rec.pct, 50);
	assert_int_equal(rec.ri, 3600);
	assert_int_equal(rec.nrua, 2);
	assert_string_equal(rec.rua[0].uri, "mailto:agg@Example.ORG");
	assert_string_equal(rec.rua[0].scheme, "mailto");
	assert_string_equal(rec.rua[0].address, "agg@Example.ORG");
	assert_string_equal(rec.rua[0].domain, "example.org");
	assert_int_equal(rec.rua[0].limit, 10ULL * 1024 * 1024);
	assert_string_equal(rec.rua[1].domain, "x.example");
	assert_int_equal(rec.rua[1].limit, 0);
	assert_int_equal(rec.nruf, 1);
	dmarc_free(&rec);
	assert_null(rec.p);
	dmarc_free(&rec);	/* twice is harmless */
}

static void
test_minimal(void **state)
{
	struct dmarc_rec rec;

	(void)state;
	parse_ok("v=DMARC1; p=none", &rec);
	assert_string_equal(rec.p, "none");
	assert_null(rec.sp);
	assert_int_equal(rec.pct, -1);
	assert_int_equal(rec.ri, -1);
	assert_null(rec.rf);
	assert_int_equal(rec.nrua, 0);
	dmarc_free(&rec);
	parse_ok("v=DMARC1;p=quarantine;", &rec);
	assert_string_equal(rec.p, "quarantine");
	dmarc_free(&rec);
	parse_ok("v = DMARC1 ;\tP = REJECT ; ; ", &rec);
	assert_string_equal(rec.p, "reject");
	dmarc_free(&rec);
	/* No p= but a valid rua: taken as p=none (RFC 7489 §6.6.3). */
	parse_ok("v=DMARC1; rua=mailto:a@example.org", &rec);
	assert_null(rec.p);
	assert_int_equal(rec.nrua, 1);
	dmarc_free(&rec);
}

static void
test_rua(void **state)
{
	struct dmarc_rec rec;

	(void)state;
	parse_ok("v=DMARC1; p=none; rua=mailto:a%2Cb@Reports.Example.NET.!5k,"
	    "https://example.org/r!1G , mailto:x@y.example?subject=dmarc!2t",
	    &rec);
	assert_int_equal(rec.nrua, 3);
	assert_string_equal(rec.rua[0].address, "a,b@Reports.Example.NET.");
	assert_string_equal(rec.rua[0].domain, "reports.example.net");
	assert_int_equal(rec.rua[0].limit, 5 * 1024);
	assert_string_equal(rec.rua[1].scheme, "https");
	assert_null(rec.rua[1].domain);
	assert_int_equal(rec.rua[1].limit, 1024ULL * 1024 * 1024);
	assert_string_equal(rec.rua[2].domain, "y.example");
	assert_int_equal(rec.rua[2].limit, 2ULL << 40);
	dmarc_free(&rec);
	parse_ok("v=DMARC1; p=none; rua=mailto:a@b.example!100", &rec);
	assert_int_equal(rec.rua[0].limit, 100);
	dmarc_free(&rec);
}

static void
test_errors(void **state)
{
	(void)state;
	parse_fail("v=DMARC1; p=none; p=reject", "tag p= appears twice");
	parse_fail("v=DMARC1; p=none; P=none", "tag p= appears twice");
	parse_fail("v=DMARC1; p=none; rua=mailto:a@b.example; rua=mailto:"
	    "c@d.example", "tag rua= appears twice");
	parse_fail("v=DMARC1; v=DMARC1; p=none", "tag v= appears twice");
	parse_fail("p=none; v=DMARC1", "does not start with v=DMARC1");
	parse_fail("v=DMARC2; p=none", "does not start with v=DMARC1");
	parse_fail("", "does not start with v=DMARC1");
	parse_fail("v=DMARC1 p=none", "must be followed by");
	parse_fail("v=DMARC1; p=maybe", "p=maybe is not none");
	parse_fail("v=DMARC1; p=none; sp=all", "sp=all");
	parse_fail("v=DMARC1; p=none; adkim=x", "adkim=x is not r or s");
	parse_fail("v=DMARC1; p=none; pct=101", "pct=101");
	parse_fail("v=DMARC1; p=none; pct=-1", "pct=-1");
	parse_fail("v=DMARC1; p=none; pct=", "pct=");
	parse_fail("v=DMARC1; p=none; ri=1h", "ri=1h");
	parse_fail("v=DMARC1; p=none; ri=99999999999", "ri=");
	parse_fail("v=DMARC1; p=none; fo=2", "fo=2");
	parse_fail("v=DMARC1; p=none; rf=xml", "rf=xml");
	parse_fail("v=DMARC1; p=none; rua=", "rua= is empty");
	parse_fail("v=DMARC1; p=none; rua=a@b.example", "is not a URI");
	parse_fail("v=DMARC1; p=none; rua=mailto:nobody", "not a mailto:");
	parse_fail("v=DMARC1; p=none; rua=mailto:@b.example", "not a mailto:");
	parse_fail("v=DMARC1; p=none; rua=mailto:a@", "not a mailto:");
	parse_fail("v=DMARC1; p=none; rua=mailto:a%0@b.example",
	    "not a mailto:");
	parse_fail("v=DMARC1; p=none; rua=mailto:a%00@b.example",
	    "not a mailto:");
	parse_fail("v=DMARC1; p=none; rua=mailto:a@b.example!10x",
	    "bad size limit");
	parse_fail("v=DMARC1; p=none; rua=mailto:a@b.example!", "bad size");
	parse_fail("v=DMARC1; p=none; ruf=1:a@b", "is not a URI");
	parse_fail("v=DMARC1; junk", "not a tag=value pair");
	parse_fail("v=DMARC1; p=none; 9x=1", "bad tag name");
	parse_fail("v=DMARC1; sp=none", "no p= tag");
	parse_fail("v=DMARC1", "no p= tag");
}

static void
test_nul_and_escapes(void **state)
{
	struct dmarc_rec rec;
	char *cause = NULL;

	(void)state;
	assert_int_equal(dmarc_parse("v=DMARC1; p=none\0", 17, &rec, &cause),
	    -1);
	assert_non_null(strstr(cause, "NUL"));
	free(cause);
	cause = NULL;
	assert_int_equal(dmarc_parse("v=DMARC1; p=\x1b[2Jreject", 22, &rec,
	    &cause), -1);
	assert_null(strchr(cause, '\x1b'));
	assert_non_null(strstr(cause, "\\x1b[2Jreject"));
	free(cause);
}

static void
test_org_domain(void **state)
{
	char *s;

	(void)state;
	s = dmarc_org_domain("mail.Example.ORG.");
	assert_string_equal(s, "example.org");
	free(s);
	s = dmarc_org_domain("a.b.c.example.net");
	assert_string_equal(s, "example.net");
	free(s);
	s = dmarc_org_domain("example.com");
	assert_string_equal(s, "example.com");
	free(s);
	s = dmarc_org_domain("localhost");
	assert_string_equal(s, "localhost");
	free(s);
	s = dmarc_org_domain("");
	assert_string_equal(s, "");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_record),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_rua),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_and_escapes),
		cmocka_unit_test(test_org_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
