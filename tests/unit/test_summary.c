/* test_summary.c: the dashboard's columns and findings from check results
 * (core/summary), on hand-made results. */
#include "testutil.h"

#include "core/check/summary.h"
#include "core/lib/util.h"

static void
item(struct check_item *it, const char *id, enum check_status st)
{
	memset(it, 0, sizeof *it);
	it->id = (char *)(uintptr_t)id;
	it->status = st;
}

static void
test_kind_status(void **state)
{
	struct check_item items[8];
	struct check_domain d = { (char *)"example.org", items, 8,
	    { NULL, 0, 0 } };
	size_t n;

	(void)state;
	item(&items[0], "mx", CHECK_OK);
	item(&items[1], "host-a", CHECK_OK);
	item(&items[2], "ptr:192.0.2.25", CHECK_WARN);
	item(&items[3], "ptr:2001:db8::25", CHECK_FAIL);
	item(&items[4], "spf", CHECK_OK);
	item(&items[5], "spf-helo", CHECK_UNKNOWN);
	item(&items[6], "dkim:a", CHECK_PENDING);
	item(&items[7], "dkim:b", CHECK_OK);
	assert_int_equal(summary_kind_status(&d, SUM_MX, &n), CHECK_OK);
	assert_int_equal(n, 1);
	/* IPv4 PTR and host-a together: the worst is warn. */
	assert_int_equal(summary_kind_status(&d, SUM_PTR4, &n), CHECK_WARN);
	assert_int_equal(n, 2);
	/* An IPv6 PTR id has colons after "ptr:". */
	assert_int_equal(summary_kind_status(&d, SUM_PTR6, &n), CHECK_FAIL);
	assert_int_equal(n, 1);
	/* unknown outranks ok and warn; pending outranks ok only. */
	assert_int_equal(summary_kind_status(&d, SUM_SPF, NULL), CHECK_UNKNOWN);
	assert_int_equal(summary_kind_status(&d, SUM_DKIM, NULL),
	    CHECK_PENDING);
	/* No DMARC item at all: ok with a count of 0, drawn as "-". */
	assert_int_equal(summary_kind_status(&d, SUM_DMARC, &n), CHECK_OK);
	assert_int_equal(n, 0);
	assert_string_equal(summary_kind_name(SUM_PTR6), "PTR6");
}

static void
test_findings_order(void **state)
{
	struct check_item a[3], b[3];
	struct check_domain d[2] = {
		{ (char *)"a.example", a, 3, { NULL, 0, 0 } },
		{ (char *)"b.example", b, 3, { NULL, 0, 0 } },
	};
	struct finding *f;
	size_t n;

	(void)state;
	item(&a[0], "mx", CHECK_WARN);
	item(&a[1], "spf", CHECK_OK);
	item(&a[2], "dmarc", CHECK_FAIL);
	item(&b[0], "mx", CHECK_UNKNOWN);
	item(&b[1], "spf", CHECK_FAIL);
	item(&b[2], "dmarc", CHECK_PENDING);
	summary_findings(d, 2, &f, &n);
	/* ok and pending are not findings; fail, unknown, warn; within one
	 * severity the results' order. */
	assert_int_equal(n, 4);
	assert_string_equal(f[0].domain, "a.example");
	assert_string_equal(f[0].item->id, "dmarc");
	assert_string_equal(f[1].domain, "b.example");
	assert_string_equal(f[1].item->id, "spf");
	assert_int_equal(f[2].status, CHECK_UNKNOWN);
	assert_int_equal(f[3].status, CHECK_WARN);
	assert_string_equal(f[3].item->id, "mx");
	free(f);
	summary_findings(d, 0, &f, &n);
	assert_int_equal(n, 0);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_status),
		cmocka_unit_test(test_findings_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
