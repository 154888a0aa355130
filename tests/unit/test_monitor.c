/* test_monitor.c: the Nagios plugin output and the Prometheus textfile of
 * core/check/monitor, on hand-made results: states, the status line and
 * its perfdata, the long output, escaping of hostile text, label values,
 * merged series, the signing path's hops. */
#include "testutil.h"

#include "core/check/monitor.h"
#include "core/lib/util.h"
#include "core/site/path.h"

static void
item(struct check_item *it, const char *id, enum check_status st,
    const char *detail)
{
	memset(it, 0, sizeof *it);
	it->id = (char *)(uintptr_t)id;
	it->status = st;
	it->detail = (char *)(uintptr_t)detail;
}

/* The mail host and two domains: one fail, one warn, rest ok. */
struct fixture {
	struct check_item	 host[2], a[3], b[2];
	struct check_domain	 ds[3];
	struct monitor_run	 r;
};

static void
fixture(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	item(&f->host[0], "host-a", CHECK_OK, "ok");
	item(&f->host[1], "ptr:192.0.2.25", CHECK_OK, "ok");
	item(&f->a[0], "mx", CHECK_OK, "ok");
	item(&f->a[1], "spf", CHECK_WARN, "uses ptr");
	item(&f->a[2], "dmarc", CHECK_OK, "ok");
	item(&f->b[0], "mx", CHECK_OK, "ok");
	item(&f->b[1], "dmarc", CHECK_FAIL, "no record");
	f->ds[0] = (struct check_domain){ .domain = (char *)"mail.example.org",
	    .host = 1, .items = f->host, .nitems = 2 };
	f->ds[1] = (struct check_domain){ .domain = (char *)"a.example",
	    .items = f->a, .nitems = 3 };
	f->ds[2] = (struct check_domain){ .domain = (char *)"b.example",
	    .items = f->b, .nitems = 2 };
	f->r.ds = f->ds;
	f->r.n = 3;
	f->r.resolver = "192.0.2.1:53";
	f->r.finished.tv_sec = 1700000000;
	f->r.finished.tv_nsec = 5000000;
	f->r.duration_ns = 1234567890LL;
}

/* Line n (0-based) of s, in a static buffer. */
static const char *
line(const char *s, int n)
{
	static char out[4096];
	const char *e;

	while (n-- > 0) {
		if ((s = strchr(s, '\n')) == NULL)
			return "";
		s++;
	}
	e = strchr(s, '\n');
	if (e == NULL)
		e = s + strlen(s);
	snprintf(out, sizeof out, "%.*s", (int)(e - s), s);
	return out;
}

static int
nlines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

static void
test_states(void **state)
{
	struct fixture f;

	(void)state;
	fixture(&f);
	assert_int_equal(monitor_state(&f.r), MONITOR_CRITICAL);
	f.b[1].status = CHECK_OK;
	assert_int_equal(monitor_state(&f.r), MONITOR_WARNING);
	f.a[1].status = CHECK_OK;
	assert_int_equal(monitor_state(&f.r), MONITOR_OK);
	/* One answer that said nothing: a warning, not a plugin error. */
	f.a[0].status = CHECK_UNKNOWN;
	assert_int_equal(monitor_state(&f.r), MONITOR_WARNING);
	f.a[0].status = CHECK_PENDING;
	assert_int_equal(monitor_state(&f.r), MONITOR_WARNING);
	/* No answer at all: UNKNOWN, even with a failure. */
	f.b[1].status = CHECK_FAIL;
	f.r.unreachable = 1;
	assert_int_equal(monitor_state(&f.r), MONITOR_UNKNOWN);
	assert_string_equal(monitor_state_name(MONITOR_OK), "OK");
	assert_string_equal(monitor_state_name(MONITOR_WARNING), "WARNING");
	assert_string_equal(monitor_state_name(MONITOR_CRITICAL), "CRITICAL");
	assert_string_equal(monitor_state_name(MONITOR_UNKNOWN), "UNKNOWN");
}

static void
test_nagios_critical(void **state)
{
	struct fixture f;
	struct buf b;
	const char *warnings[] = { "main.cf:58: a | b", NULL };
	struct strv w = { .v = (char **)(uintptr_t)warnings, .n = 1 };

	(void)state;
	fixture(&f);
	f.r.warnings = &w;
	buf_init(&b);
	assert_int_equal(monitor_nagios(&b, &f.r), MONITOR_CRITICAL);
	assert_string_equal(line(b.data, 0), "NOTSPAM CRITICAL - 1 fail, 1 warn"
	    " in 7 checks of 2 domains; worst: b.example dmarc | ok=5;;;0;7"
	    " warn=1;0;;0;7 fail=1;;0;0;7 unknown=0;0;;0;7 domains=2;;;0"
	    " time=1.234567s;;;0");
	assert_string_equal(line(b.data, 1), "FAIL b.example dmarc: no record");
	assert_string_equal(line(b.data, 2), "WARN a.example spf: uses ptr");
	/* A '|' in the text would start perfdata: escaped. */
	assert_string_equal(line(b.data, 3), "config: main.cf:58: a \\x7c b");
	assert_int_equal(nlines(b.data), 4);
	assert_int_equal(b.data[b.len - 1], '\n');
	buf_free(&b);
}

static void
test_nagios_ok_warning(void **state)
{
	struct fixture f;
	struct buf b;

	(void)state;
	fixture(&f);
	f.a[1].status = CHECK_OK;
	f.b[1].status = CHECK_OK;
	f.ds[2].nitems = 1;
	buf_init(&b);
	assert_int_equal(monitor_nagios(&b, &f.r), MONITOR_OK);
	assert_true(str_startswith(b.data, "NOTSPAM OK - 6 checks ok for 2"
	    " domains | ok=6;;;0;6 warn=0;0;;0;6 fail=0;;0;0;6"));
	assert_int_equal(nlines(b.data), 1);
	buf_free(&b);

	/* One domain, an unknown and a warning: counted worst first. */
	f.r.ds = &f.ds[1];
	f.r.n = 1;
	f.a[0].status = CHECK_UNKNOWN;
	f.a[0].detail = NULL;
	f.a[1].status = CHECK_WARN;
	buf_init(&b);
	assert_int_equal(monitor_nagios(&b, &f.r), MONITOR_WARNING);
	assert_true(str_startswith(b.data, "NOTSPAM WARNING - 1 unknown, 1 warn"
	    " in 3 checks of 1 domain; worst: a.example mx | "));
	assert_string_equal(line(b.data, 1), "UNKNOWN a.example mx: ");
	assert_string_equal(line(b.data, 2), "WARN a.example spf: uses ptr");
	buf_free(&b);
}

static void
test_nagios_unreachable(void **state)
{
	struct fixture f;
	struct buf b;

	(void)state;
	fixture(&f);
	f.a[0].status = CHECK_UNKNOWN;
	f.a[2].status = CHECK_UNKNOWN;
	f.r.unreachable = 1;
	buf_init(&b);
	assert_int_equal(monitor_nagios(&b, &f.r), MONITOR_UNKNOWN);
	assert_true(str_startswith(b.data, "NOTSPAM UNKNOWN - the resolver"
	    " 192.0.2.1:53 did not answer: 2 of 7 checks unknown | ok=3;;;0;7"));
	assert_string_equal(line(b.data, 1), "no query got an answer from"
	    " 192.0.2.1:53: check --resolver or /etc/resolv.conf");
	/* The unknown findings stand behind the status line; the others
	 * are still listed. */
	assert_string_equal(line(b.data, 2), "FAIL b.example dmarc: no record");
	assert_string_equal(line(b.data, 3), "WARN a.example spf: uses ptr");
	assert_int_equal(nlines(b.data), 4);
	buf_free(&b);
}

/* What the DNS and the configuration may hold does not break the output:
 * no '|' anywhere, no raw control byte, no raw line break inside a line. */
static void
test_nagios_hostile(void **state)
{
	struct fixture f;
	struct buf b;
	const char *p;

	(void)state;
	fixture(&f);
	/* detail: as the core gives it, sanitized (\n already as text);
	 * the domain is raw (from a configuration file). */
	f.b[1].detail = (char *)"found \"v=spf1 | a\\\\b\\n-all\"\033[2J";
	f.ds[2].domain = (char *)"b|ex\nample\033";
	buf_init(&b);
	monitor_nagios(&b, &f.r);
	assert_true(strstr(line(b.data, 0), "worst: b\\x7cex\\nample\\x1b"
	    " dmarc | ") != NULL);
	assert_string_equal(line(b.data, 1), "FAIL b\\x7cex\\nample\\x1b dmarc:"
	    " found \"v=spf1 \\x7c a\\\\b\\n-all\"\\x1b[2J");
	for (p = b.data; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	/* One '|' only: the status line's. */
	assert_ptr_equal(strchr(b.data, '|'), strrchr(b.data, '|'));
	assert_int_equal(nlines(b.data), 3);
	buf_free(&b);
}

/* Long lines are cut on a character, many findings counted. */
static void
test_nagios_bounds(void **state)
{
	struct check_item *items;
	struct check_domain d;
	struct monitor_run r;
	struct buf b;
	char *longtext, id[32];
	char **ids;
	const char *l;
	size_t i, len, n = MONITOR_NAGIOS_LINES + 5;

	(void)state;
	longtext = xmalloc(2000);
	for (i = 0; i + 2 < 2000; i += 2)
		memcpy(longtext + i, "\xc3\xa9", 2);	/* e acute */
	longtext[i] = '\0';
	items = xcalloc(n, sizeof *items);
	ids = xcalloc(n, sizeof *ids);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "dkim:s%zu", i);
		ids[i] = xstrdup(id);
		item(&items[i], ids[i], CHECK_WARN, longtext);
	}
	memset(&d, 0, sizeof d);
	d.domain = (char *)"example.org";
	d.items = items;
	d.nitems = n;
	memset(&r, 0, sizeof r);
	r.ds = &d;
	r.n = 1;
	buf_init(&b);
	assert_int_equal(monitor_nagios(&b, &r), MONITOR_WARNING);
	assert_int_equal(nlines(b.data), 1 + MONITOR_NAGIOS_LINES + 1);
	assert_true(strlen(line(b.data, 1)) <= MONITOR_LINE_MAX);
	assert_true(strlen(line(b.data, 1)) > MONITOR_LINE_MAX - 8);
	/* Cut before a whole character, then "...". */
	assert_true(str_startswith(line(b.data, 1), "WARN example.org dkim:s0:"
	    " \xc3\xa9"));
	l = line(b.data, 1);
	len = strlen(l);
	assert_string_equal(l + len - 3, "...");
	assert_int_equal((unsigned char)l[len - 5], 0xc3);
	assert_int_equal((unsigned char)l[len - 4], 0xa9);
	assert_string_equal(line(b.data, MONITOR_NAGIOS_LINES + 1),
	    "and 5 more findings: notspam status lists them all");
	buf_free(&b);
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(items);
	free(longtext);
}

static void
test_perfdata(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	monitor_perfdata(&b, "ok", "3", NULL, NULL, NULL, NULL, NULL);
	assert_string_equal(b.data, "ok=3");
	monitor_perfdata(&b, "time", "0.5", "s", NULL, NULL, "0", NULL);
	assert_string_equal(b.data, "ok=3 time=0.5s;;;0");
	buf_free(&b);
	buf_init(&b);
	/* Quoted for a blank, '=' or a quote; a quote doubled. */
	monitor_perfdata(&b, "two words", "1", NULL, "0", NULL, NULL, NULL);
	monitor_perfdata(&b, "a=b", "1", NULL, NULL, "0", NULL, NULL);
	monitor_perfdata(&b, "it's", "1", NULL, NULL, NULL, NULL, "9");
	monitor_perfdata(&b, "", "1", NULL, NULL, NULL, NULL, NULL);
	assert_string_equal(b.data, "'two words'=1;0 'a=b'=1;;0 'it''s'=1;;;;9"
	    " ''=1");
	buf_free(&b);
}

static void
test_perfdata_quote_fix(void **state)
{
	struct buf b;

	(void)state;
	/* The whole label is quoted, not from the character on. */
	buf_init(&b);
	monitor_perfdata(&b, "a=b", "1", NULL, NULL, NULL, NULL, NULL);
	assert_string_equal(b.data, "'a=b'=1");
	buf_free(&b);
	/* A label with '|' or a line break stays on the line. */
	buf_init(&b);
	monitor_perfdata(&b, "x|y\nz", "1", NULL, NULL, NULL, NULL, NULL);
	assert_string_equal(b.data, "x\\x7cy\\nz=1");
	buf_free(&b);
}

static void
test_unknown_line(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	monitor_nagios_unknown(&b, "/etc/x|y: no\nsuch file");
	assert_string_equal(b.data, "NOTSPAM UNKNOWN - /etc/x\\x7cy: no\\nsuch"
	    " file\n");
	buf_free(&b);
	buf_init(&b);
	monitor_nagios_unknown(&b, NULL);
	assert_string_equal(b.data, "NOTSPAM UNKNOWN - unknown error\n");
	buf_free(&b);
}

static void
test_prom_label(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	monitor_prom_label(&b, "a\"b\\c\nd\033\xff\xe2\x80\xae" "\xc3\xa9");
	/* Quote and backslash escaped; the line break and ESC as the text
	 * str_shown makes (its backslash escaped again); invalid UTF-8 and
	 * the bidi override escaped; valid UTF-8 kept. */
	assert_string_equal(b.data, "a\\\"b\\\\c\\\\nd\\\\x1b\\\\xff\\\\u202e"
	    "\xc3\xa9");
	buf_free(&b);
}

/* The index of the line starting with prefix, or -1. */
static int
find_line(const char *s, const char *prefix)
{
	int n = 0;

	for (;;) {
		if (str_startswith(s, prefix))
			return n;
		if ((s = strchr(s, '\n')) == NULL)
			return -1;
		s++;
		n++;
	}
}

static void
test_prometheus(void **state)
{
	struct fixture f;
	struct path p;
	struct path_hop hops[3];
	struct buf b;
	int h, t, s;

	(void)state;
	fixture(&f);
	memset(hops, 0, sizeof hops);
	hops[0].from = (char *)"postfix smtpd";
	hops[0].address = (char *)"inet:[::1]:12345";
	hops[0].to = (char *)"opendkim";
	hops[0].kind = (char *)"milter";
	hops[0].state = PATH_MISMATCH;
	hops[1].from = (char *)"opensmtpd";
	hops[1].address = (char *)"127.0.0.1:10027";
	hops[1].to = (char *)"dkimproxy";
	hops[1].kind = (char *)"relay";
	hops[1].state = PATH_LINKED;
	hops[2].address = (char *)"inet:8891@\"x\"";	/* a listener alone */
	hops[2].to = (char *)"opendkim";
	hops[2].kind = (char *)"listen";
	hops[2].state = PATH_UNUSED;
	p.hops = hops;
	p.nhops = 3;
	f.r.path = &p;
	buf_init(&b);
	monitor_prometheus(&b, &f.r);
	assert_true(find_line(b.data, "notspam_record_status{domain=\"b.example"
	    "\",record=\"dmarc\",status=\"fail\"} 1\n") >= 0);
	assert_true(find_line(b.data, "notspam_record_status{domain=\"mail."
	    "example.org\",record=\"ptr:192.0.2.25\",status=\"ok\"} 1\n") >= 0);
	assert_true(find_line(b.data, "notspam_records{status=\"ok\"} 5\n") >= 0);
	assert_true(find_line(b.data, "notspam_records{status=\"warn\"} 1\n") >= 0);
	assert_true(find_line(b.data, "notspam_records{status=\"fail\"} 1\n") >= 0);
	assert_true(find_line(b.data, "notspam_records{status=\"unknown\"} 0\n")
	    >= 0);
	assert_int_equal(find_line(b.data, "notspam_records{status=\"pending\""),
	    -1);
	assert_true(find_line(b.data, "notspam_domains 2\n") >= 0);
	assert_true(find_line(b.data, "notspam_resolver_up 1\n") >= 0);
	assert_true(find_line(b.data, "notspam_signing_path_ok{from=\"postfix"
	    " smtpd\",address=\"inet:[::1]:12345\",to=\"opendkim\",kind=\""
	    "milter\",state=\"mismatch\"} 0\n") >= 0);
	assert_true(find_line(b.data, "notspam_signing_path_ok{from=\""
	    "opensmtpd\",address=\"127.0.0.1:10027\",to=\"dkimproxy\",kind=\""
	    "relay\",state=\"linked\"} 1\n") >= 0);
	assert_true(find_line(b.data, "notspam_signing_path_ok{from=\"\","
	    "address=\"inet:8891@\\\"x\\\"\",to=\"opendkim\",kind=\"listen\","
	    "state=\"idle\"} 0\n") >= 0);
	assert_true(find_line(b.data, "notspam_last_run_timestamp_seconds"
	    " 1700000000.005\n") >= 0);
	assert_true(find_line(b.data, "notspam_run_duration_seconds"
	    " 1.234567\n") >= 0);
	/* Every family: HELP, then TYPE gauge, then its samples. */
	h = find_line(b.data, "# HELP notspam_signing_path_ok ");
	t = find_line(b.data, "# TYPE notspam_signing_path_ok gauge\n");
	s = find_line(b.data, "notspam_signing_path_ok{");
	assert_true(h >= 0 && t == h + 1 && s == t + 1);
	h = find_line(b.data, "# HELP notspam_record_status ");
	assert_int_equal(h, 0);
	assert_int_equal(find_line(b.data, "# TYPE notspam_record_status"
	    " gauge\n"), 1);
	assert_int_equal(b.data[b.len - 1], '\n');
	buf_free(&b);
}

/* One domain named twice: one series a check, the worse status. */
static void
test_prometheus_merge(void **state)
{
	struct fixture f;
	struct buf b;
	const char *p;
	int n = 0;

	(void)state;
	fixture(&f);
	f.ds[2].domain = (char *)"A.example";	/* case aside, a.example */
	f.b[0].status = CHECK_WARN;		/* mx: ok there, warn here */
	f.r.unreachable = 1;
	buf_init(&b);
	monitor_prometheus(&b, &f.r);
	for (p = b.data; (p = strstr(p, "record=\"mx\"")) != NULL; p++)
		n++;
	assert_int_equal(n, 1);
	assert_true(find_line(b.data, "notspam_record_status{domain=\""
	    "a.example\",record=\"mx\",status=\"warn\"} 1\n") >= 0);
	/* The counts are of the checks, not the series. */
	assert_true(find_line(b.data, "notspam_records{status=\"warn\"} 2\n")
	    >= 0);
	assert_true(find_line(b.data, "notspam_resolver_up 0\n") >= 0);
	/* No path: the family is there, with no sample. */
	assert_true(find_line(b.data, "# TYPE notspam_signing_path_ok gauge\n")
	    >= 0);
	assert_int_equal(find_line(b.data, "notspam_signing_path_ok{"), -1);
	buf_free(&b);
}

static void
test_prometheus_hostile(void **state)
{
	struct fixture f;
	struct buf b;
	const char *p;

	(void)state;
	fixture(&f);
	f.ds[1].domain = (char *)"a\"b\\c\nd";
	f.a[1].id = (char *)"dkim:s\"1\033";
	buf_init(&b);
	monitor_prometheus(&b, &f.r);
	assert_true(find_line(b.data, "notspam_record_status{domain=\"a\\\"b"
	    "\\\\c\\\\nd\",record=\"dkim:s\\\"1\\\\x1b\",status=\"warn\"} 1\n")
	    >= 0);
	for (p = b.data; *p != '\0'; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	buf_free(&b);
}

/* A chain of three: the mail host's name hosted too, and named again. */
static void
test_prometheus_chain(void **state)
{
	struct check_item h[1], a[2], c[2];
	struct check_domain ds[3];
	struct monitor_run r;
	struct buf b;
	const char *p, *want[] = {
		"notspam_record_status{domain=\"x.example\",record=\"host-a\","
		    "status=\"ok\"} 1",
		"notspam_record_status{domain=\"x.example\",record=\"mx\","
		    "status=\"warn\"} 1",
		"notspam_record_status{domain=\"x.example\",record=\"spf\","
		    "status=\"fail\"} 1",
		"notspam_record_status{domain=\"x.example\",record=\"dmarc\","
		    "status=\"ok\"} 1",
	};
	size_t i;

	(void)state;
	item(&h[0], "host-a", CHECK_OK, NULL);
	item(&a[0], "mx", CHECK_OK, NULL);
	item(&a[1], "spf", CHECK_FAIL, NULL);
	item(&c[0], "mx", CHECK_WARN, NULL);
	item(&c[1], "dmarc", CHECK_OK, NULL);
	ds[0] = (struct check_domain){ .domain = (char *)"x.example",
	    .host = 1, .items = h, .nitems = 1 };
	ds[1] = (struct check_domain){ .domain = (char *)"x.example",
	    .items = a, .nitems = 2 };
	ds[2] = (struct check_domain){ .domain = (char *)"X.example",
	    .items = c, .nitems = 2 };
	memset(&r, 0, sizeof r);
	r.ds = ds;
	r.n = 3;
	buf_init(&b);
	monitor_prometheus(&b, &r);
	/* In order, right after the family's two lines, and no other. */
	for (i = 0; i < 4; i++)
		assert_string_equal(line(b.data, 2 + (int)i), want[i]);
	assert_true(str_startswith(line(b.data, 6), "# HELP notspam_records "));
	for (i = 0, p = b.data; (p = strstr(p, "notspam_record_status{")) !=
	    NULL; p++)
		i++;
	assert_int_equal(i, 4);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_nagios_critical),
		cmocka_unit_test(test_nagios_ok_warning),
		cmocka_unit_test(test_nagios_unreachable),
		cmocka_unit_test(test_nagios_hostile),
		cmocka_unit_test(test_nagios_bounds),
		cmocka_unit_test(test_perfdata),
		cmocka_unit_test(test_perfdata_quote_fix),
		cmocka_unit_test(test_unknown_line),
		cmocka_unit_test(test_prom_label),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_prometheus_merge),
		cmocka_unit_test(test_prometheus_hostile),
		cmocka_unit_test(test_prometheus_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
