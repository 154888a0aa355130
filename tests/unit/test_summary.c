/* test_summary.c: the dashboard's host line, its domain columns and the
 * findings from check results (core/summary), on hand-made results. */
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
	struct check_item items[5];
	struct check_domain d = { .domain = (char *)"example.org",
	    .items = items, .nitems = 5 };
	size_t n;

	(void)state;
	item(&items[0], "mx", CHECK_OK);
	item(&items[1], "spf", CHECK_OK);
	item(&items[2], "dkim:a", CHECK_PENDING);
	item(&items[3], "dkim:b", CHECK_OK);
	item(&items[4], "spf-helo", CHECK_FAIL);	/* a host kind */
	assert_int_equal(summary_kind_status(&d, SUM_MX, &n), CHECK_OK);
	assert_int_equal(n, 1);
	/* The HELO name's SPF is not the domain's SPF column. */
	assert_int_equal(summary_kind_status(&d, SUM_SPF, &n), CHECK_OK);
	assert_int_equal(n, 1);
	/* pending outranks ok only. */
	assert_int_equal(summary_kind_status(&d, SUM_DKIM, NULL),
	    CHECK_PENDING);
	/* No DMARC item at all: ok with a count of 0, drawn as "-". */
	assert_int_equal(summary_kind_status(&d, SUM_DMARC, &n), CHECK_OK);
	assert_int_equal(n, 0);
}

/* The mail host's kinds: A and the IPv4 PTRs, AAAA and the IPv6 PTRs,
 * HELO SPF; labels that say what they hold. */
static void
test_host_kinds(void **state)
{
	struct check_item items[6];
	struct check_domain d = { .domain = (char *)"mail.example.org",
	    .host = 1, .items = items, .nitems = 6 };
	size_t n;
	int k;

	(void)state;
	item(&items[0], "host-a", CHECK_OK);
	item(&items[1], "host-aaaa", CHECK_OK);
	item(&items[2], "ptr:192.0.2.25", CHECK_WARN);
	item(&items[3], "ptr:2001:db8::25", CHECK_FAIL);
	item(&items[4], "ptr:198.51.100.7", CHECK_OK);
	item(&items[5], "spf-helo", CHECK_UNKNOWN);
	/* IPv4 PTRs and host-a together: the worst is warn. */
	assert_int_equal(summary_kind_status(&d, SUM_HOST4, &n), CHECK_WARN);
	assert_int_equal(n, 3);
	/* An IPv6 PTR id has colons after "ptr:". */
	assert_int_equal(summary_kind_status(&d, SUM_HOST6, &n), CHECK_FAIL);
	assert_int_equal(n, 2);
	assert_int_equal(summary_kind_status(&d, SUM_HELO, &n), CHECK_UNKNOWN);
	assert_int_equal(n, 1);
	/* Nothing of a domain's kinds in the host's results. */
	for (k = 0; k < SUM_HOST_FIRST; k++) {
		assert_int_equal(summary_kind_status(&d, k, &n), CHECK_OK);
		assert_int_equal(n, 0);
	}
	assert_string_equal(summary_kind_name(SUM_HOST4), "IPv4 A+PTR");
	assert_string_equal(summary_kind_name(SUM_HOST6), "IPv6 AAAA+PTR");
	assert_string_equal(summary_kind_name(SUM_HELO), "HELO SPF");
	assert_string_equal(summary_kind_key(SUM_HOST6), "ipv6_aaaa_ptr");
	assert_string_equal(summary_kind_key(SUM_DMARC), "dmarc");
	assert_int_equal(SUM_HOST_FIRST, SUM_BL + 1);
}

/* Blocklist items: the domain's on domain lists are its Blocklists
 * column; the host's (each address on each IP list, the HELO name on the
 * domain lists) the host line's. */
static void
test_blocklist_kinds(void **state)
{
	struct check_item h[3], a[2];
	struct check_domain host = { .domain = (char *)"mail.example.org",
	    .host = 1, .items = h, .nitems = 3 };
	struct check_domain dom = { .domain = (char *)"example.org",
	    .items = a, .nitems = 2 };
	size_t n;

	(void)state;
	item(&h[0], "host-a", CHECK_OK);
	item(&h[1], "dnsbl:zen.spamhaus.org:192.0.2.25", CHECK_FAIL);
	item(&h[2], "dnsbl:dbl.spamhaus.org", CHECK_UNKNOWN);
	item(&a[0], "mx", CHECK_OK);
	item(&a[1], "dnsbl:dbl.spamhaus.org", CHECK_OK);
	assert_int_equal(summary_kind_status(&host, SUM_HOST_BL, &n),
	    CHECK_FAIL);
	assert_int_equal(n, 2);
	assert_int_equal(summary_kind_status(&host, SUM_BL, &n), CHECK_OK);
	assert_int_equal(n, 0);
	assert_int_equal(summary_kind_status(&host, SUM_HOST4, &n), CHECK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(summary_kind_status(&dom, SUM_BL, &n), CHECK_OK);
	assert_int_equal(n, 1);
	assert_int_equal(summary_kind_status(&dom, SUM_HOST_BL, &n), CHECK_OK);
	assert_int_equal(n, 0);
	assert_string_equal(summary_kind_name(SUM_BL), "Blocklists");
	assert_string_equal(summary_kind_name(SUM_HOST_BL), "Blocklists");
	assert_string_equal(summary_kind_key(SUM_BL), "blocklists");
	assert_string_equal(summary_kind_key(SUM_HOST_BL), "blocklists");
	assert_int_equal(SUM_HOST_BL, SUM_NKINDS - 1);
}

static void
test_findings_order(void **state)
{
	struct check_item h[2], a[3], b[3];
	struct check_domain d[3] = {
		{ .domain = (char *)"mail.example", .host = 1, .items = h,
		    .nitems = 2 },
		{ .domain = (char *)"a.example", .items = a, .nitems = 3 },
		{ .domain = (char *)"b.example", .items = b, .nitems = 3 },
	};
	struct finding *f;
	size_t n;

	(void)state;
	item(&h[0], "host-a", CHECK_OK);
	item(&h[1], "ptr:2001:db8::25", CHECK_FAIL);
	item(&a[0], "mx", CHECK_WARN);
	item(&a[1], "spf", CHECK_OK);
	item(&a[2], "dmarc", CHECK_FAIL);
	item(&b[0], "mx", CHECK_UNKNOWN);
	item(&b[1], "spf", CHECK_FAIL);
	item(&b[2], "dmarc", CHECK_PENDING);
	summary_findings(d, 3, &f, &n);
	/* ok and pending are not findings; fail, unknown, warn; within one
	 * severity the results' order: the host's first, named by it. */
	assert_int_equal(n, 5);
	assert_string_equal(f[0].domain, "mail.example");
	assert_int_equal(f[0].host, 1);
	assert_string_equal(f[0].item->id, "ptr:2001:db8::25");
	assert_string_equal(f[1].domain, "a.example");
	assert_int_equal(f[1].host, 0);
	assert_string_equal(f[1].item->id, "dmarc");
	assert_string_equal(f[2].domain, "b.example");
	assert_string_equal(f[2].item->id, "spf");
	assert_int_equal(f[3].status, CHECK_UNKNOWN);
	assert_int_equal(f[4].status, CHECK_WARN);
	assert_string_equal(f[4].item->id, "mx");
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
		cmocka_unit_test(test_host_kinds),
		cmocka_unit_test(test_blocklist_kinds),
		cmocka_unit_test(test_findings_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
