/* test_zone.c: the zone-file parser (core/dns/zone.c) and zone-file mode
 * of the resolver: answers through dns_query as the network's arrive. */
#include <unistd.h>

#include "testutil.h"

#include "core/dns/dns.h"
#include "core/dns/dns_parse.h"
#include "core/dns/zone.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

static const char base[] =
"; a zone using every directive and type read\n"
"$ORIGIN example.org.\n"
"$TTL 1h\n"
"@\tIN SOA ns1 hostmaster ( 2026120101 ; serial\n"
"\t\t3600 600 2w 300 )\n"
"\tIN NS ns1\n"
"ns1 300 IN A 192.0.2.53\n"
"@ MX 10 mail\n"
"  MX 20 mail.example.net.\n"
"mail IN 120 A 192.0.2.25\n"
"mail AAAA 2001:DB8::25\n"
"@ TXT \"v=spf1 ip4:192.0.2.25 -all\"\n"
"k._domainkey TXT ( \"v=DKIM1; k=rsa; \"\n"
"\t\"p=AAAA\" )\n"
"q TXT \"a \\\"quoted\\\" \\059 semicolon\" unquoted\n"
"www CNAME mail\n"
"loop1 CNAME loop2\n"
"loop2 CNAME loop1\n"
"out CNAME nowhere.example.net.\n"
"a.b.c TXT deep\n"
"srv._tcp SRV 0 5 25 mail\n"
"$ORIGIN sub.example.org.\n"
"x TXT in-sub\n"
"ptr PTR mail.example.org.\n";

/* Parse text as file name; the cause, or NULL when it parsed. */
static char *
parse(struct zone_set *zs, const char *name, const char *text)
{
	char *cause = NULL;

	if (zone_set_parse(zs, name, text, strlen(text), &cause) == 0) {
		assert_null(cause);
		return NULL;
	}
	assert_non_null(cause);
	return cause;
}

/* Expect an error naming where and what. */
static void
expect_error(const char *text, const char *want)
{
	struct zone_set *zs = zone_set_new();
	char *cause = parse(zs, "bad.zone", text);

	if (cause == NULL)
		fail_msg("parsed, wanted an error with \"%s\"", want);
	if (strstr(cause, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", cause, want);
	assert_int_equal(zone_set_records(zs), 0);
	free(cause);
	zone_set_free(zs);
}

/* The answer to (name, type), as the resolver would read it. */
static void
ask(const struct zone_set *zs, const char *name, int type,
    struct dns_answer *a)
{
	unsigned char *msg;
	size_t len;

	assert_int_equal(zone_set_answer(zs, name, type, &msg, &len), 0);
	assert_int_equal(dns_parse(msg, len, name, type, a), 0);
	free(msg);
}

static struct zone_set *
base_set(void)
{
	struct zone_set *zs = zone_set_new();

	assert_null(parse(zs, "example.org.zone", base));
	return zs;
}

static void
test_directives(void **state)
{
	struct zone_set *zs = base_set();
	struct dns_answer a;

	(void)state;
	assert_int_equal(zone_set_zones(zs), 1);
	assert_int_equal(zone_set_records(zs), 18);
	ask(zs, "example.org", DNS_T_SOA, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.aa, 1);
	assert_string_equal(a.rrs[0].text, "ns1.example.org "
	    "hostmaster.example.org 2026120101 3600 600 1209600 300");
	assert_int_equal(a.rrs[0].ttl, 3600);
	dns_answer_clear(&a);
	ask(zs, "ns1.example.org.", DNS_T_A, &a);	/* explicit TTL */
	assert_int_equal(a.rrs[0].ttl, 300);
	dns_answer_clear(&a);
	ask(zs, "MAIL.Example.ORG", DNS_T_A, &a);	/* TTL after class */
	assert_int_equal(a.status, DNS_OK);
	assert_string_equal(a.rrs[0].text, "192.0.2.25");
	assert_int_equal(a.rrs[0].ttl, 120);
	dns_answer_clear(&a);
	zone_set_free(zs);
}

static void
test_types(void **state)
{
	struct zone_set *zs = base_set();
	struct dns_answer a;

	(void)state;
	ask(zs, "example.org", DNS_T_MX, &a);	/* second MX: owner omitted */
	assert_int_equal(a.nrrs, 2);
	assert_int_equal(a.rrs[0].pref, 10);
	assert_string_equal(a.rrs[0].text, "mail.example.org");
	assert_string_equal(a.rrs[1].text, "mail.example.net");
	dns_answer_clear(&a);
	ask(zs, "mail.example.org", DNS_T_AAAA, &a);
	assert_string_equal(a.rrs[0].text, "2001:db8::25");
	dns_answer_clear(&a);
	ask(zs, "example.org", DNS_T_NS, &a);
	assert_string_equal(a.rrs[0].text, "ns1.example.org");
	dns_answer_clear(&a);
	ask(zs, "ptr.sub.example.org", DNS_T_PTR, &a);	/* after $ORIGIN */
	assert_string_equal(a.rrs[0].text, "mail.example.org");
	dns_answer_clear(&a);
	ask(zs, "x.sub.example.org", DNS_T_TXT, &a);
	assert_string_equal(a.rrs[0].text, "in-sub");
	dns_answer_clear(&a);
	zone_set_free(zs);
}

static void
test_txt_strings(void **state)
{
	struct zone_set *zs = base_set();
	struct dns_answer a;

	(void)state;
	ask(zs, "k._domainkey.example.org", DNS_T_TXT, &a);
	assert_int_equal(a.nrrs, 1);
	assert_int_equal(a.rrs[0].nstrings, 2);	/* kept apart */
	assert_string_equal(a.rrs[0].strings[0], "v=DKIM1; k=rsa; ");
	assert_string_equal(a.rrs[0].strings[1], "p=AAAA");
	assert_string_equal(a.rrs[0].text, "v=DKIM1; k=rsa; p=AAAA");
	dns_answer_clear(&a);
	ask(zs, "q.example.org", DNS_T_TXT, &a);
	assert_int_equal(a.rrs[0].nstrings, 2);
	assert_string_equal(a.rrs[0].strings[0], "a \"quoted\" ; semicolon");
	assert_string_equal(a.rrs[0].strings[1], "unquoted");
	dns_answer_clear(&a);
	zone_set_free(zs);
}

static void
test_negative(void **state)
{
	struct zone_set *zs = base_set();
	struct dns_answer a;

	(void)state;
	ask(zs, "mail.example.org", DNS_T_TXT, &a);	/* other types */
	assert_int_equal(a.status, DNS_NODATA);
	assert_int_equal(a.neg_ttl, 300);	/* SOA minimum */
	dns_answer_clear(&a);
	ask(zs, "b.c.example.org", DNS_T_TXT, &a);	/* empty non-terminal */
	assert_int_equal(a.status, DNS_NODATA);
	dns_answer_clear(&a);
	ask(zs, "srv._tcp.example.org", DNS_T_A, &a);	/* a type not read */
	assert_int_equal(a.status, DNS_NODATA);
	dns_answer_clear(&a);
	ask(zs, "nope.example.org", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_NXDOMAIN);
	assert_int_equal(a.neg_ttl, 300);
	dns_answer_clear(&a);
	ask(zs, "example.com", DNS_T_A, &a);	/* under no loaded zone */
	assert_int_equal(a.status, DNS_NXDOMAIN);
	assert_int_equal(a.neg_ttl, 0);
	dns_answer_clear(&a);
	zone_set_free(zs);
}

static void
test_cname(void **state)
{
	struct zone_set *zs = base_set();
	struct dns_answer a;

	(void)state;
	ask(zs, "www.example.org", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_string_equal(a.rrs[0].text, "192.0.2.25");
	dns_answer_clear(&a);
	ask(zs, "www.example.org", DNS_T_CNAME, &a);
	assert_string_equal(a.rrs[0].text, "mail.example.org");
	dns_answer_clear(&a);
	ask(zs, "out.example.org", DNS_T_A, &a);	/* target not loaded */
	assert_int_equal(a.status, DNS_NXDOMAIN);
	dns_answer_clear(&a);
	/* A loop: the wire parser's bound makes it an error, as a resolver
	 * would give SERVFAIL. */
	{
		unsigned char *msg;
		size_t len;

		assert_int_equal(zone_set_answer(zs, "loop1.example.org",
		    DNS_T_A, &msg, &len), 0);
		assert_int_equal(dns_parse(msg, len, "loop1.example.org",
		    DNS_T_A, &a), -1);
		assert_int_equal(a.status, DNS_ERROR);
		assert_non_null(strstr(a.error, "CNAME loop"));
		dns_answer_clear(&a);
		free(msg);
	}
	zone_set_free(zs);
}

static void
test_origin_from_file(void **state)
{
	struct zone_set *zs = zone_set_new();
	struct dns_answer a;

	(void)state;
	assert_null(parse(zs, "dir/example.net.zone", "$TTL 60\n"
	    "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n"));
	ask(zs, "ns.example.net", DNS_T_A, &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.rrs[0].ttl, 60);
	dns_answer_clear(&a);
	zone_set_free(zs);
}

static void
test_errors(void **state)
{
	(void)state;
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\n\nx A 1.2.3\n",
	    "bad.zone:4: \"1.2.3\" is not an IPv4 address");
	expect_error("$TTL 1\n@ A 192.0.2.1\n", "bad.zone:2: the first record");
	expect_error("@ SOA a b 1 2 3 4 5\n", "bad.zone:1: no TTL");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\n@ SOA a b 1 2 3 4 5\n",
	    "bad.zone:3: a second SOA");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx FOO bar\n",
	    "bad.zone:3: unknown record type \"FOO\"");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx CH TXT a\n",
	    "only class IN");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\n@ MX 70000 a\n",
	    "bad.zone:3: the MX preference");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx. A 192.0.2.1\n",
	    "bad.zone:3: x. is outside the zone bad.");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx CNAME y\nx A 192.0.2.1\n",
	    "x.bad. has a CNAME and other records");
	expect_error("$TTL 1h30\n", "$TTL takes one TTL");
	expect_error("$GENERATE 1-2 a A 1.2.3.$\n", "unknown directive");
	expect_error("", "no records");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\n MX 10 \n",
	    "MX takes PREFERENCE HOST");
}

static void
test_include_refused(void **state)
{
	(void)state;
	expect_error("$INCLUDE /etc/shadow\n",
	    "bad.zone:1: $INCLUDE is not read");
}

static void
test_bad_names(void **state)
{
	char label[80], *text;

	(void)state;
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\na..b A 192.0.2.1\n",
	    "an empty label");
	memset(label, 'x', 64);
	label[64] = '\0';
	text = xasprintf("$TTL 1\n@ SOA a b 1 2 3 4 5\n%s A 192.0.2.1\n",
	    label);
	expect_error(text, "longer than 63");
	free(text);
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\na\\999 A 192.0.2.1\n",
	    "bad \\ escape");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\n\"q\" A 192.0.2.1\n",
	    "cannot be quoted");
	/* 5 * 63 bytes: past 255. */
	text = xasprintf("$TTL 1\n@ SOA a b 1 2 3 4 5\n"
	    "%1$.63s.%1$.63s.%1$.63s.%1$.63s.%1$.63s A 192.0.2.1\n",
	    "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
	expect_error(text, "longer than 255");
	free(text);
}

static void
test_hostile_bytes(void **state)
{
	static const char nul[] = "$TTL 1\n@ SOA a b 1 2 3 4 5\nx TXT a\0b\n";
	struct zone_set *zs = zone_set_new();
	char *cause = NULL;

	(void)state;
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx TXT \"a\033[2Jb\"\n",
	    "bad.zone:3: control byte \\027");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx TXT a ; \033\n",
	    "control byte \\027 in a comment");
	assert_int_equal(zone_set_parse(zs, "nul.zone", nul, sizeof nul - 1,
	    &cause), -1);
	assert_non_null(strstr(cause, "nul.zone:3: control byte \\000"));
	free(cause);
	zone_set_free(zs);
}

static void
test_unterminated(void **state)
{
	(void)state;
	expect_error("$TTL 1\n@ SOA a b ( 1 2 3 4 5\n", "the ( of line 2 is "
	    "never closed");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nx TXT \"abc\n",
	    "bad.zone:3: a quoted string is not closed");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5 )\n", "a ) without its (");
	expect_error("$TTL 1\n@ SOA a b (( 1 2 3 4 5 ))\n",
	    "parentheses inside parentheses");
}

static void
test_huge(void **state)
{
	size_t n = ZONE_ENTRY_MAX + 100, i;
	char *text = xmalloc(n + 64), *p;

	(void)state;
	p = text + sprintf(text, "$TTL 1\n@ SOA a b 1 2 3 4 5\nx TXT ");
	for (i = 0; i < n; i++)
		*p++ = 'a';
	*p++ = '\n';
	*p = '\0';
	expect_error(text, "bad.zone:3: an entry longer than");
	/* A string over 255 bytes, short of the entry limit. */
	p = text + sprintf(text, "$TTL 1\n@ SOA a b 1 2 3 4 5\nx TXT ");
	for (i = 0; i < 300; i++)
		*p++ = 'a';
	strcpy(p, "\n");
	expect_error(text, "string 1 of the TXT record is longer than 255");
	free(text);
}

static void
test_bad_query_names(void **state)
{
	struct zone_set *zs = base_set();
	unsigned char *msg;
	size_t len;

	(void)state;
	assert_int_equal(zone_set_answer(zs, "a..example.org", DNS_T_A, &msg,
	    &len), -1);
	zone_set_free(zs);
}

/* Zone-file mode through dns_query: answers from the loop. */
struct zq {
	int		 calls;
	enum dns_status	 status;
	char		 text[64];
};

static void
zq_cb(const struct dns_answer *a, void *arg)
{
	struct zq *z = arg;

	z->calls++;
	z->status = a->status;
	if (a->nrrs > 0)
		snprintf(z->text, sizeof z->text, "%s", a->rrs[0].text);
}

static void
test_dns_zone_mode(void **state)
{
	struct zone_set *zs = base_set();
	struct loop *loop = loop_new();
	struct dns_opts o;
	struct dns *dns, *auth;
	struct zq q1, q2, q3;
	char *cause = NULL;

	(void)state;
	memset(&o, 0, sizeof o);
	memset(&q1, 0, sizeof q1);
	memset(&q2, 0, sizeof q2);
	memset(&q3, 0, sizeof q3);
	o.zones = zs;
	o.servers = "zones:test";
	dns = dns_new(loop, &o, &cause);
	assert_non_null(dns);
	assert_int_equal(dns_zone_mode(dns), 1);
	assert_string_equal(dns_servers(dns), "zones:test");
	/* A resolver made beside it with its zones (as the checks make one
	 * for an authoritative server) answers from the same zones. */
	assert_ptr_equal(dns_zones(dns), zs);
	memset(&o, 0, sizeof o);
	o.servers = "192.0.2.53:53";
	o.norecurse = 1;
	o.zones = dns_zones(dns);
	auth = dns_new(loop, &o, &cause);
	assert_non_null(auth);
	assert_int_equal(dns_zone_mode(auth), 1);
	dns_query(dns, "mail.example.org", DNS_T_A, zq_cb, &q1);
	dns_query(dns, "nope.example.org", DNS_T_A, zq_cb, &q2);
	dns_query(auth, "example.org", DNS_T_MX, zq_cb, &q3);
	assert_int_equal(q1.calls, 0);	/* never from inside dns_query */
	assert_int_equal(dns_pending(dns), 2);
	loop_run(loop, NULL);
	assert_int_equal(q1.calls, 1);
	assert_int_equal(q1.status, DNS_OK);
	assert_string_equal(q1.text, "192.0.2.25");
	assert_int_equal(q2.status, DNS_NXDOMAIN);
	assert_string_equal(q3.text, "mail.example.org");
	dns_free(auth);
	dns_free(dns);
	/* Without zones a resolver asks the network: nothing is shared
	 * behind the caller's back. */
	o.zones = NULL;
	auth = dns_new(loop, &o, &cause);
	assert_non_null(auth);
	assert_int_equal(dns_zone_mode(auth), 0);
	dns_free(auth);
	loop_free(loop);
	zone_set_free(zs);
}

static void
test_load_dir(void **state)
{
	char dir[] = "/tmp/test_zone.XXXXXX", *path, *cause = NULL;
	struct zone_set *zs = zone_set_new();
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/example.org.zone", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(base, f);
	fclose(f);
	free(path);
	path = xasprintf("%s/README", dir);	/* not *.zone: not read */
	f = fopen(path, "w");
	fputs("not a zone\n", f);
	fclose(f);
	assert_int_equal(zone_set_load(zs, dir, &cause), 0);
	assert_int_equal(zone_set_zones(zs), 1);
	/* The same zone twice is an error naming the first file. */
	assert_int_equal(zone_set_load(zs, dir, &cause), -1);
	assert_non_null(strstr(cause, "already loaded from"));
	free(cause);
	unlink(path);
	free(path);
	path = xasprintf("%s/example.org.zone", dir);
	unlink(path);
	free(path);
	rmdir(dir);
	assert_int_equal(zone_set_load(zs, "/nonexistent/x.zone", &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent/x.zone: No such file"));
	free(cause);
	zone_set_free(zs);
}

#define WILD "tests/fixtures/zones/wild"

/* A type of the expect file. */
static int
expect_type(const char *s)
{
	static const struct {
		const char	*name;
		int		 type;
	} t[] = { { "A", DNS_T_A }, { "TXT", DNS_T_TXT }, { "MX", DNS_T_MX },
	    { "CNAME", DNS_T_CNAME } };
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].type;
	fail_msg("expect file: unknown type %s", s);
	return 0;
}

/* notspam's answer to (name, type) in the expect file's form. */
static char *
expect_answer(const struct zone_set *zs, const char *name, const char *tname)
{
	struct dns_answer a;
	struct buf b;
	const char *rcode;
	size_t i;

	ask(zs, name, expect_type(tname), &a);
	switch (a.status) {
	case DNS_OK:
	case DNS_NODATA:
		rcode = "NOERROR";
		break;
	case DNS_NXDOMAIN:
		rcode = "NXDOMAIN";
		break;
	default:
		rcode = a.error != NULL && strstr(a.error, "YXDOMAIN") != NULL ?
		    "YXDOMAIN" : dns_status_name(a.status);
		break;
	}
	buf_init(&b);
	buf_printf(&b, "%s %s %s", name, tname, rcode);
	for (i = 0; i < a.nrrs; i++)
		buf_printf(&b, " %s", a.rrs[i].text);
	dns_answer_clear(&a);
	return buf_steal(&b);
}

/*
 * Wildcards (RFC 4592) and DNAME (RFC 6672): every query of the expect
 * file (tests/fixtures/zones/wild.expect, which zones.sh also holds
 * unbound's answers to) answered as it says, from the zones of
 * tests/fixtures/zones/wild.
 */
static void
test_wildcard_dname(void **state)
{
	struct zone_set *zs = zone_set_new();
	char line[1024], qname[300], tname[16], *got, *cause = NULL;
	size_t n = 0, bad = 0;
	FILE *f;

	(void)state;
	if (zone_set_load(zs, WILD, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(zone_set_zones(zs), 2);
	assert_non_null(f = fopen(WILD ".expect", "r"));
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		assert_int_equal(sscanf(line, "%299s %15s", qname, tname), 2);
		got = expect_answer(zs, qname, tname);
		if (strcmp(got, line) != 0) {
			print_error("want %s\n got  %s\n", line, got);
			bad++;
		}
		free(got);
		n++;
	}
	fclose(f);
	zone_set_free(zs);
	assert_true(n >= 30);
	assert_int_equal(bad, 0);
}

/* A name has at most one DNAME, and no CNAME beside one (named-checkzone
 * refuses both too). */
static void
test_dname_errors(void **state)
{
	(void)state;
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nd DNAME x.\nd DNAME y.\n",
	    "d.bad. has more than one DNAME");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nd DNAME x.\nd CNAME y.\n",
	    "d.bad. has a CNAME and other records");
	expect_error("$TTL 1\n@ SOA a b 1 2 3 4 5\nd DNAME x. y.\n",
	    "bad.zone:3: DNAME takes one host name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_txt_strings),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_cname),
		cmocka_unit_test(test_origin_from_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_include_refused),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_bad_query_names),
		cmocka_unit_test(test_dns_zone_mode),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_wildcard_dname),
		cmocka_unit_test(test_dname_errors),
	};

	return cmocka_run_group_tests_name("zone", tests, NULL, NULL);
}
