/* test_spf.c: SPF macros, record syntax and check_host() over real DNS.
 *
 * The evaluations ask tests/spf/suite_server.py, started here on a loopback
 * port with a zone written below (the same server the RFC 7208 suite uses),
 * and killed by PID at the end.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/dns/dns.h"
#include "core/lib/loop.h"
#include "core/dns/spf.h"
#include "core/lib/util.h"

static char dir[] = "/tmp/notspam-spf-XXXXXX";
static pid_t server = -1;
static char servers[64];

/* ---- macros (RFC 7208 7.4) ---------------------------------------- */

static char *
expand(const char *text, const char *ip, const char *validated, int expl)
{
	struct spf_request req;
	char *out, *cause = NULL;

	memset(&req, 0, sizeof req);
	req.domain = "email.example.com";
	req.ip = ip;
	req.sender = "strong-bad@email.example.com";
	req.helo = "mx.example.org";
	req.receiver = "example.net";
	out = spf_expand(text, &req, validated, expl, &cause);
	if (out == NULL) {
		print_message("%s: %s\n", text, cause);
		free(cause);
	}
	return out;
}

static void
check_expand(const char *text, const char *ip, const char *want)
{
	char *got = expand(text, ip, "mx.example.org", 0);

	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("%s expands to \"%s\", want \"%s\"", text, got, want);
	free(got);
}

static void
test_macro_rfc_examples(void **state)
{
	static const struct {
		const char	*macro;
		const char	*want;
	} t[] = {
		{ "%{s}", "strong-bad@email.example.com" },
		{ "%{o}", "email.example.com" },
		{ "%{d}", "email.example.com" },
		{ "%{d4}", "email.example.com" },
		{ "%{d3}", "email.example.com" },
		{ "%{d2}", "example.com" },
		{ "%{d1}", "com" },
		{ "%{dr}", "com.example.email" },
		{ "%{d2r}", "example.email" },
		{ "%{l}", "strong-bad" },
		{ "%{l-}", "strong.bad" },
		{ "%{lr}", "strong-bad" },
		{ "%{lr-}", "bad.strong" },
		{ "%{l1r-}", "strong" },
		{ "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
		{ "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
		{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
		    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
		{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
		    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
		{ "%{d2}.trusted-domains.example.net",
		    "example.com.trusted-domains.example.net" },
		{ "%{p}", "mx.example.org" },
		{ "%{p2}", "example.org" },
		{ "%{h}", "mx.example.org" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		check_expand(t[i].macro, "192.0.2.3", t[i].want);
}

static void
test_macro_ipv6(void **state)
{
	char *got;

	(void)state;
	check_expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01",
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	    ".ip6._spf.example.com");
	check_expand("%{i}", "2001:DB8::CB01",
	    "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
	/* An IPv4-mapped address is IPv4 (section 5). */
	check_expand("%{i}.%{v}", "::ffff:192.0.2.3", "192.0.2.3.in-addr");
	got = expand("%{c} %{i}", "2001:DB8::CB01", NULL, 1);
	assert_string_equal(got, "2001:db8::cb01 "
	    "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
	free(got);
}

static void
test_macro_escapes(void **state)
{
	struct spf_request req;
	char *got, *cause = NULL, *long_spec;
	size_t i;

	(void)state;
	check_expand("a%%b%_c%-d.example.com", "192.0.2.3",
	    "a%b c%20d.example.com");
	/* No validated name: "unknown". */
	got = expand("%{p}", "192.0.2.3", NULL, 0);
	assert_string_equal(got, "unknown");
	free(got);
	/* Explanation text: c, r, t allowed, spaces kept, dots kept. */
	got = expand("%{c} via %{r}, %{h}.", "192.0.2.3", NULL, 1);
	assert_string_equal(got, "192.0.2.3 via example.net, "
	    "mx.example.org.");
	free(got);
	got = expand("%{t}", "192.0.2.3", NULL, 1);
	assert_true(strtoll(got, NULL, 10) > 1600000000LL);
	free(got);
	/* Trailing dots go from domains. */
	check_expand("%{d}.", "192.0.2.3", "email.example.com");
	/* Uppercase: URL-escaped after expansion (the suite's upper-macro). */
	memset(&req, 0, sizeof req);
	req.domain = "e8.example.com";
	req.ip = "192.0.2.3";
	req.sender = "~jack&jill=up-a_b3.c@e8.example.com";
	got = spf_expand("http://example.com/why.html?l=%{L}", &req, NULL, 1,
	    &cause);
	assert_non_null(got);
	assert_string_equal(got,
	    "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
	free(got);
	/* Multiple delimiters and a count. */
	req.sender = "foo-bar+zip+quux@e12.example.com";
	got = spf_expand("%{l2r+-}.user.%{d2}", &req, NULL, 0, &cause);
	assert_string_equal(got, "bar.foo.user.example.com");
	free(got);
	/* Sender without a local-part: postmaster. */
	req.sender = "@e12.example.com";
	got = spf_expand("%{l}@%{o}", &req, NULL, 0, &cause);
	assert_string_equal(got, "postmaster@e12.example.com");
	free(got);
	/* Over 253 bytes: labels go from the left. */
	long_spec = xstrdup("%{d}");
	for (i = 0; i < 9; i++) {
		char *p = xasprintf("%s.%s", long_spec, "%{d}");
		free(long_spec);
		long_spec = p;
	}
	req.domain = "somewhat.long.exp.example.com";
	got = spf_expand(long_spec, &req, NULL, 0, &cause);
	assert_non_null(got);
	/* 10 x 29 bytes + 9 dots = 299: 8 labels go, 251 are left. */
	assert_int_equal(strlen(got), 251);
	assert_true(strncmp(got, "example.com.somewhat.long.", 26) == 0);
	assert_string_equal(got + 251 - 29, "somewhat.long.exp.example.com");
	free(got);
	free(long_spec);
}

static void
test_macro_errors(void **state)
{
	static const char *const bad[] = {
		"%{x}", "%(ir).example.com", "foo%.example.com", "%",
		"%{d0}", "%{d", "%{c}.example.com", "%{r}", "%{t}", "a b",
	};
	struct spf_request req;
	char *cause;
	size_t i;

	(void)state;
	memset(&req, 0, sizeof req);
	req.domain = "example.com";
	req.ip = "192.0.2.3";
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		if (spf_expand(bad[i], &req, NULL, 0, &cause) != NULL)
			fail_msg("\"%s\" should not expand", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
	cause = NULL;
	req.ip = "192.0.2.x";
	assert_null(spf_expand("%{d}", &req, NULL, 0, &cause));
	free(cause);
}

/* ---- record syntax -------------------------------------------------- */

static int
lint(const char *rec, int *flags)
{
	char *cause = NULL;
	int rc;

	rc = spf_lint(rec, strlen(rec), flags, &cause);
	if (rc != 0) {
		assert_non_null(cause);
		free(cause);
	} else
		assert_null(cause);
	return rc;
}

static void
test_lint_flags(void **state)
{
	static const struct {
		const char	*rec;
		int		 flags;
	} t[] = {
		{ "v=spf1 mx -all", 0 },
		{ "v=spf1 ptr -all", SPF_HAS_PTR },
		{ "v=spf1 ptr:example.com ~all", SPF_HAS_PTR },
		{ "v=spf1 +all", SPF_ALL_PASS },
		{ "v=spf1 all", SPF_ALL_PASS },
		{ "v=spf1 ?all", SPF_ALL_NEUTRAL },
		{ "v=spf1 mx", SPF_NO_ALL },
		{ "v=spf1", SPF_NO_ALL },
		{ "v=spf1 redirect=_spf.example.com", SPF_HAS_REDIRECT },
		{ "v=spf1 -all mx", SPF_TERMS_AFTER_ALL },
		{ "v=spf1 -all redirect=x.example.com",
		    SPF_TERMS_AFTER_ALL | SPF_HAS_REDIRECT },
		{ "v=spf1 -all exp=why.example.com", 0 },
		{ "V=SPF1 A/24//64 MX:Example.COM//48 -ALL", 0 },
		{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all  ", 0 },
		{ "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 0 },
		{ "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", 0 },
		{ "v=spf1 a:foo:bar/baz.example.com -all", 0 },
		{ "v=spf1 a:foo.example.xn--zckzah -all", 0 },
		{ "v=spf1 default=+ ?all", SPF_ALL_NEUTRAL },
	};
	size_t i;
	int flags;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (lint(t[i].rec, &flags) != 0)
			fail_msg("\"%s\" should parse", t[i].rec);
		if (flags != t[i].flags)
			fail_msg("\"%s\": flags 0x%x, want 0x%x", t[i].rec,
			    flags, t[i].flags);
	}
}

static void
test_lint_errors(void **state)
{
	static const char *const bad[] = {
		"v=spf10", "spf1 -all", "v=spf1 ipv4:192.0.2.1 -all",
		"v=spf1 -all.", "v=spf1 -all:foo", "v=spf1 -all/8",
		"v=spf1 ptr/0 -all", "v=spf1 ptr:", "v=spf1 a:", "v=spf1 a/33",
		"v=spf1 a//129", "v=spf1 a/24/64", "v=spf1 a:example.com:8080",
		"v=spf1 a:111.222.33.44", "v=spf1 a:abc.123", "v=spf1 a:museum",
		"v=spf1 a:museum.", "v=spf1 a:example.-com", "v=spf1 a:foo-bar",
		"v=spf1 include", "v=spf1 include:", "v=spf1 include:x.com/24",
		"v=spf1 exists", "v=spf1 exists:", "v=spf1 ip4",
		"v=spf1 ip4:1.2.3", "v=spf1 ip4:1.2.3.4/33",
		"v=spf1 ip4:1.2.3.4/032", "v=spf1 ip4:1.2.3.4//32",
		"v=spf1 ip4:1.2.3.4:8080", "v=spf1 ip6", "v=spf1 ip6::CAFE::BABE",
		"v=spf1 ip6:::1/129", "v=spf1 ip6:::1//33",
		"v=spf1 redirect:x.example.com", "v=spf1 redirect=",
		"v=spf1 redirect=-all", "v=spf1 exp=", "v=spf1 exp=-all",
		"v=spf1 exp=a.example.com exp=b.example.com",
		"v=spf1 redirect=a.example.com redirect=b.example.com",
		"v=spf1 1up=foo", "v=spf1 =all", "v=spf1 foo=%abc",
		"v=spf1 a:%{a}.example.com", "v=spf1 exists:%(ir).example.com",
		"v=spf1 exp=%{r}.example.com", "v=spf1 moo.cow/x=y -all",
		"v=spf1 a:ctrl.example.com\rptr -all", "v=spf1 \200a -all",
		"v=spf1 ip4:192.0.2.5\n include:x.example.com",
	};
	size_t i;
	int flags;
	char *cause = NULL;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (lint(bad[i], &flags) == 0)
			fail_msg("\"%s\" should not parse", bad[i]);
	/* NUL inside the record, and the cause names the term. */
	assert_int_equal(spf_lint("v=spf1 a:x.com\0", 15, &flags, &cause),
	    -1);
	free(cause);
	cause = NULL;
	assert_int_equal(spf_lint("v=spf1 mx ipv4:192.0.2.1 -all", 29, &flags,
	    &cause), -1);
	assert_non_null(strstr(cause, "unknown mechanism 'ipv4:' at term 2"));
	free(cause);
}

/* ---- check_host() against a DNS server ----------------------------- */

static const char zone[] =
"zonedata:\n"
"  example.org:\n"
"    - TXT: \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 include:_spf.example.net -all\"\n"
"    - TXT: \"google-site-verification=abc\"\n"
"    - MX: [10, mx.example.org]\n"
"  mx.example.org:\n"
"    - A: 198.51.100.25\n"
"  _spf.example.net:\n"
"    - TXT: [\"v=spf1 a:out.example.net mx:example.org \", \"~all\"]\n"
"  out.example.net:\n"
"    - A: 203.0.113.7\n"
"    - AAAA: 2001:db8:ffff::7\n"
"  soft.example:\n"
"    - TXT: \"v=spf1 a:nothing1.example a:nothing2.example ~all\"\n"
"  void.example:\n"
"    - TXT: \"v=spf1 a:n1.example a:n2.example a:n3.example -all\"\n"
"  two.example:\n"
"    - TXT: \"v=spf1 -all\"\n"
"    - TXT: \"v=spf1 +all\"\n"
"  broken.example:\n"
"    - RCODE: 2\n"
"  inc-broken.example:\n"
"    - TXT: \"v=spf1 include:broken.example -all\"\n"
"  syntax.example:\n"
"    - TXT: \"v=spf1 ip4:192.0.2.1 mx:example.org:25 -all\"\n"
"  exp.example:\n"
"    - TXT: \"v=spf1 -all exp=why.exp.example\"\n"
"  why.exp.example:\n"
"    - TXT: \"%{i} is not a mail server of %{d} (%{l})\"\n"
"  many.example:\n"
"    - TXT: \"v=spf1 include:l1.example include:l1.example ip4:192.0.2.9 -all\"\n"
"  l1.example:\n"
"    - TXT: \"v=spf1 a:out.example.net a:out.example.net a:out.example.net a:out.example.net a:out.example.net ?all\"\n"
"  redir.example:\n"
"    - TXT: \"v=spf1 redirect=example.org\"\n"
"  nospf.example:\n"
"    - TXT: \"hello\"\n"
"  inc-none.example:\n"
"    - TXT: \"v=spf1 include:nospf.example -all\"\n"
"  4.3.2.1.in-addr.arpa:\n"
"    - PTR: ptr.example\n"
"  ptr.example:\n"
"    - TXT: \"v=spf1 ptr -all\"\n"
"    - A: 1.2.3.4\n";

struct result {
	int		 done;
	enum spf_result	 result;
	char		*explanation;
	char		*matched;
	char		*record;
	int		 lookups;
	int		 void_lookups;
	size_t		 ncounts;
	struct spf_count counts[16];
};

static void
result_cb(const struct spf_outcome *o, void *arg)
{
	struct result *r = arg;
	size_t i;

	assert_false(r->done);
	r->done = 1;
	r->result = o->result;
	assert_non_null(o->explanation);
	r->explanation = xstrdup(o->explanation);
	r->matched = o->matched != NULL ? xstrdup(o->matched) : NULL;
	r->record = o->record != NULL ? xstrdup(o->record) : NULL;
	r->lookups = o->lookups;
	r->void_lookups = o->void_lookups;
	r->ncounts = o->ncounts;
	for (i = 0; i < o->ncounts && i < 16; i++) {
		r->counts[i] = o->counts[i];
		r->counts[i].domain = xstrdup(o->counts[i].domain);
	}
}

static void
result_clear(struct result *r)
{
	size_t i;

	free(r->explanation);
	free(r->matched);
	free(r->record);
	for (i = 0; i < r->ncounts && i < 16; i++)
		free(r->counts[i].domain);
	memset(r, 0, sizeof *r);
}

/* Run n evaluations at once on one resolver. */
static void
evaluate(const struct spf_request *req, struct result *r, size_t n)
{
	struct dns_opts opts;
	struct loop *loop = loop_new();
	struct dns *dns;
	char *cause = NULL;
	size_t i;
	int done = 0;

	memset(&opts, 0, sizeof opts);
	opts.servers = servers;
	opts.timeout_ms = 1000;
	dns = dns_new(loop, &opts, &cause);
	if (dns == NULL)
		fail_msg("dns_new: %s", cause);
	for (i = 0; i < n; i++) {
		memset(&r[i], 0, sizeof r[i]);
		spf_check(dns, &req[i], result_cb, &r[i]);
		/* Never from inside spf_check. */
		assert_false(r[i].done);
	}
	while (!done) {
		done = 1;
		for (i = 0; i < n; i++)
			if (!r[i].done)
				done = 0;
		if (!done && loop_once(loop, 5000) <= 0 && !loop_busy(loop))
			break;
	}
	dns_free(dns);
	while (loop_busy(loop) && loop_once(loop, 0) > 0)
		;
	loop_free(loop);
	for (i = 0; i < n; i++)
		assert_true(r[i].done);
}

static void
eval1(const char *domain, const char *ip, const char *sender,
    struct result *r)
{
	struct spf_request req;

	memset(&req, 0, sizeof req);
	req.domain = domain;
	req.ip = ip;
	req.sender = sender;
	evaluate(&req, r, 1);
}

static void
test_eval_pass_and_counts(void **state)
{
	struct result r;

	(void)state;
	eval1("example.org", "192.0.2.77", NULL, &r);
	assert_int_equal(r.result, SPF_PASS);
	assert_string_equal(r.matched, "ip4:192.0.2.0/24");
	assert_string_equal(r.explanation, "matched ip4:192.0.2.0/24");
	assert_non_null(strstr(r.record, "include:_spf.example.net"));
	assert_int_equal(r.lookups, 0);
	result_clear(&r);

	/* Through the include, with strings joined without a space. */
	eval1("example.org", "2001:db8:ffff::7", "a@example.org", &r);
	assert_int_equal(r.result, SPF_PASS);
	assert_string_equal(r.matched, "a:out.example.net");
	assert_non_null(strstr(r.explanation, "in _spf.example.net (via "
	    "include:_spf.example.net)"));
	assert_int_equal(r.lookups, 2);
	assert_int_equal(r.ncounts, 2);
	assert_string_equal(r.counts[0].domain, "example.org");
	assert_int_equal(r.counts[0].depth, 0);
	assert_int_equal(r.counts[0].lookups, 1);
	assert_int_equal(r.counts[0].total, 2);
	assert_string_equal(r.counts[1].domain, "_spf.example.net");
	assert_int_equal(r.counts[1].depth, 1);
	assert_int_equal(r.counts[1].lookups, 1);
	assert_int_equal(r.counts[1].total, 1);
	result_clear(&r);

	/* mx: inside the include, the MX host's address. */
	eval1("example.org", "198.51.100.25", NULL, &r);
	assert_int_equal(r.result, SPF_PASS);
	assert_string_equal(r.matched, "mx:example.org");
	result_clear(&r);

	/* The include gives softfail: no match there, -all here. */
	eval1("example.org", "203.0.113.99", NULL, &r);
	assert_int_equal(r.result, SPF_FAIL);
	assert_string_equal(r.matched, "-all");
	assert_int_equal(r.lookups, 3);
	assert_non_null(strstr(r.explanation, "203.0.113.99 is not allowed "
	    "to send mail for example.org"));
	result_clear(&r);

	/* IPv4-mapped IPv6 is IPv4. */
	eval1("example.org", "::ffff:192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PASS);
	result_clear(&r);

	/* redirect= takes the target's result. */
	eval1("redir.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PASS);
	assert_int_equal(r.lookups, 1);
	assert_int_equal(r.ncounts, 2);
	assert_int_equal(r.counts[1].depth, 1);
	result_clear(&r);
}

static void
test_eval_errors(void **state)
{
	struct result r;

	(void)state;
	eval1("two.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PERMERROR);
	assert_non_null(strstr(r.explanation, "2 SPF records"));
	assert_null(r.record);
	result_clear(&r);

	eval1("broken.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_TEMPERROR);
	assert_non_null(strstr(r.explanation, "SERVFAIL"));
	result_clear(&r);

	eval1("inc-broken.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_TEMPERROR);
	assert_int_equal(r.ncounts, 2);
	result_clear(&r);

	eval1("syntax.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PERMERROR);
	assert_non_null(strstr(r.explanation, "at term 2"));
	assert_null(r.matched);
	result_clear(&r);

	eval1("void.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PERMERROR);
	assert_int_equal(r.void_lookups, 3);
	assert_non_null(strstr(r.explanation, "void lookups"));
	result_clear(&r);

	eval1("soft.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_SOFTFAIL);
	assert_int_equal(r.void_lookups, 2);
	result_clear(&r);

	/* include (1 + 5 a), include (1 + the 4th a is the 11th): the
	 * counts are there on failure too. */
	eval1("many.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PERMERROR);
	assert_int_equal(r.lookups, 11);
	assert_non_null(strstr(r.explanation, "more than 10 DNS lookups"));
	assert_int_equal(r.ncounts, 3);
	assert_int_equal(r.counts[0].total, 11);
	assert_int_equal(r.counts[0].lookups, 2);
	assert_int_equal(r.counts[1].total, 5);
	assert_int_equal(r.counts[2].lookups, 4);
	assert_int_equal(r.counts[2].total, 4);
	result_clear(&r);

	eval1("nospf.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_NONE);
	assert_string_equal(r.explanation, "no SPF record at nospf.example");
	result_clear(&r);

	eval1("nxdomain.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_NONE);
	result_clear(&r);

	eval1("inc-none.example", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_PERMERROR);
	result_clear(&r);

	eval1("singlelabel", "192.0.2.1", NULL, &r);
	assert_int_equal(r.result, SPF_NONE);
	result_clear(&r);
}

static void
test_eval_exp_ptr(void **state)
{
	struct result r;

	(void)state;
	eval1("exp.example", "192.0.2.1", "jo@exp.example", &r);
	assert_int_equal(r.result, SPF_FAIL);
	assert_string_equal(r.explanation,
	    "192.0.2.1 is not a mail server of exp.example (jo)");
	result_clear(&r);

	eval1("ptr.example", "1.2.3.4", NULL, &r);
	assert_int_equal(r.result, SPF_PASS);
	assert_string_equal(r.matched, "ptr");
	assert_int_equal(r.lookups, 1);
	result_clear(&r);

	eval1("ptr.example", "1.2.3.5", NULL, &r);
	assert_int_equal(r.result, SPF_FAIL);
	result_clear(&r);
}

/* Many evaluations at once on one resolver keep their state apart. */
static void
test_eval_concurrent(void **state)
{
	static const struct {
		const char	*domain;
		const char	*ip;
		enum spf_result	 want;
	} t[] = {
		{ "example.org", "192.0.2.1", SPF_PASS },
		{ "example.org", "2001:db8:ffff::7", SPF_PASS },
		{ "example.org", "203.0.113.99", SPF_FAIL },
		{ "void.example", "192.0.2.1", SPF_PERMERROR },
		{ "broken.example", "192.0.2.1", SPF_TEMPERROR },
		{ "many.example", "192.0.2.1", SPF_PERMERROR },
		{ "exp.example", "192.0.2.1", SPF_FAIL },
		{ "ptr.example", "1.2.3.4", SPF_PASS },
		{ "nospf.example", "192.0.2.1", SPF_NONE },
		{ "soft.example", "192.0.2.1", SPF_SOFTFAIL },
	};
	enum { N = sizeof t / sizeof t[0], COPIES = 4 };
	struct spf_request req[N * COPIES];
	struct result r[N * COPIES];
	size_t i;

	(void)state;
	memset(req, 0, sizeof req);
	for (i = 0; i < N * COPIES; i++) {
		req[i].domain = t[i % N].domain;
		req[i].ip = t[i % N].ip;
	}
	evaluate(req, r, N * COPIES);
	for (i = 0; i < N * COPIES; i++) {
		if (r[i].result != t[i % N].want)
			fail_msg("%s %s: %s, want %s", t[i % N].domain,
			    t[i % N].ip, spf_result_name(r[i].result),
			    spf_result_name(t[i % N].want));
		result_clear(&r[i]);
	}
}

/* The resolver is freed inside the callback while queries are pending. */
static struct dns *free_me;

static void
free_cb(const struct spf_outcome *o, void *arg)
{
	int *done = arg;

	(void)o;
	*done += 1;
	dns_free(free_me);
	free_me = NULL;
}

static void
test_eval_free_in_callback(void **state)
{
	struct dns_opts opts;
	struct spf_request req;
	struct loop *loop = loop_new();
	int done = 0;

	(void)state;
	memset(&opts, 0, sizeof opts);
	opts.servers = servers;
	free_me = dns_new(loop, &opts, NULL);
	assert_non_null(free_me);
	memset(&req, 0, sizeof req);
	req.domain = "two.example";
	req.ip = "192.0.2.1";
	spf_check(free_me, &req, free_cb, &done);
	req.domain = "example.org";
	req.ip = "203.0.113.99";
	spf_check(free_me, &req, free_cb, &done);
	loop_run(loop, &done);
	assert_int_equal(done, 2);
	while (loop_busy(loop) && loop_once(loop, 0) > 0)
		;
	loop_free(loop);
}

/* dns_free() before the end: each evaluation still calls back, once. */
static void
test_eval_cancel(void **state)
{
	struct dns_opts opts;
	struct spf_request req;
	struct result r[2];
	struct loop *loop = loop_new();
	struct dns *dns;

	(void)state;
	memset(&opts, 0, sizeof opts);
	opts.servers = servers;
	dns = dns_new(loop, &opts, NULL);
	assert_non_null(dns);
	memset(&req, 0, sizeof req);
	memset(r, 0, sizeof r);
	req.domain = "example.org";
	req.ip = "203.0.113.99";
	spf_check(dns, &req, result_cb, &r[0]);
	req.domain = "ptr.example";
	req.ip = "1.2.3.4";
	spf_check(dns, &req, result_cb, &r[1]);
	/* The queries are queued, not answered: pull the resolver away. */
	dns_free(dns);
	assert_true(r[0].done);
	assert_true(r[1].done);
	assert_int_equal(r[0].result, SPF_TEMPERROR);
	assert_int_equal(r[1].result, SPF_TEMPERROR);
	assert_non_null(strstr(r[1].explanation, "cancelled"));
	while (loop_busy(loop) && loop_once(loop, 0) > 0)
		;
	loop_free(loop);
	result_clear(&r[0]);
	result_clear(&r[1]);
}

static int
setup(void **state)
{
	char path[256], ports[256], *text;
	FILE *f;
	int i;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/zone.yml", dir);
	snprintf(ports, sizeof ports, "%s/ports", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(zone, f);
	fclose(f);
	if ((server = fork()) == -1)
		return -1;
	if (server == 0) {
		execl("/usr/bin/python3", "python3",
		    "tests/spf/suite_server.py", "serve", path, ports,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		if (access(ports, R_OK) == 0)
			break;
		usleep(100000);
	}
	if (access(ports, R_OK) != 0)
		return -1;
	f = fopen(ports, "r");
	if (f == NULL || fscanf(f, "%*d %63s", servers) != 1)
		return -1;
	fclose(f);
	text = xasprintf("127.0.0.1:%s", servers);
	snprintf(servers, sizeof servers, "%s", text);
	free(text);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300], *out;

	(void)state;
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	out = test_run(cmd);
	free(out);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macro_rfc_examples),
		cmocka_unit_test(test_macro_ipv6),
		cmocka_unit_test(test_macro_escapes),
		cmocka_unit_test(test_macro_errors),
		cmocka_unit_test(test_lint_flags),
		cmocka_unit_test(test_lint_errors),
		cmocka_unit_test(test_eval_pass_and_counts),
		cmocka_unit_test(test_eval_errors),
		cmocka_unit_test(test_eval_exp_ptr),
		cmocka_unit_test(test_eval_concurrent),
		cmocka_unit_test(test_eval_free_in_callback),
		cmocka_unit_test(test_eval_cancel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
