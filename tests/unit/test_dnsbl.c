/* test_dnsbl.c: the blocklists (core/check/dnsbl.h): the settings' words,
 * the lists a run asks (defaults, IPv6, DQS keys kept out of sight), the
 * names asked (reversed octets, 32 nibbles, domains), the answers told
 * apart (listings with their meaning, error codes, answers outside 127/8,
 * no answer), and which lists zone-file mode can ask. */
#include "testutil.h"

#include <unistd.h>

#include "core/check/dnsbl.h"
#include "core/conf/settings.h"
#include "core/dns/zone.h"
#include "core/lib/util.h"

/* A root holding /notspam.conf with text; the caller removes it. */
static char *
mkroot(const char *text)
{
	char *dir = xstrdup("/tmp/notspam-bl.XXXXXX"), *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/notspam.conf", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
	return dir;
}

static void
rmroot(char *dir)
{
	char *p = xasprintf("rm -rf %s", dir);

	free(test_run(p));
	free(p);
	free(dir);
}

/* The settings of text, or NULL with *cause. */
static struct settings *
load(const char *text, char **cause)
{
	char *root = mkroot(text);
	struct settings *s;

	*cause = NULL;
	s = settings_load(root, "/notspam.conf", 1, cause);
	rmroot(root);
	return s;
}

/* The list of set whose zone is zone, or fail. */
static const struct dnsbl_list *
find(const struct dnsbl_set *set, const char *zone)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].zone, zone) == 0)
			return &set->v[i];
	fail_msg("no list %s", zone);
	return NULL;
}

static void
test_entry_check(void **state)
{
	char *out, *cause;

	(void)state;
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "ZEN.Spamhaus.ORG.",
	    &out, &cause), 0);
	assert_string_equal(out, "zen.spamhaus.org");
	free(out);
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "bl.example.net+IPv6",
	    &out, &cause), 0);
	assert_string_equal(out, "bl.example.net+ipv6");
	free(out);
	/* +ipv6 is for IP lists; other suffixes, single labels, bad bytes,
	 * names too long for an IPv6 query under them are refused. */
	assert_int_equal(dnsbl_entry_check(DNSBL_DOMAIN, "dbl.example+ipv6",
	    &out, &cause), -1);
	assert_non_null(strstr(cause, "domain_blocklists"));
	free(cause);
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "bl.example+ipv4",
	    &out, &cause), -1);
	free(cause);
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "localhost", &out,
	    &cause), -1);
	assert_non_null(strstr(cause, "\"localhost\" is not a blocklist"
	    " zone"));
	free(cause);
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "a\x1b[2J.example", &out,
	    &cause), -1);
	assert_non_null(strstr(cause, "\\x1b[2J"));
	assert_null(strchr(cause, '\x1b'));
	free(cause);
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "bl_x.example", &out,
	    &cause), -1);
	free(cause);
	{
		char name[DNSBL_ZONE_MAX + 10];

		memset(name, 'a', sizeof name - 1);
		name[sizeof name - 1] = '\0';
		for (size_t i = 50; i < sizeof name - 1; i += 50)
			name[i] = '.';
		assert_int_equal(dnsbl_entry_check(DNSBL_IP, name, &out,
		    &cause), -1);
		free(cause);
	}
	/* A known list of the other kind. */
	assert_int_equal(dnsbl_entry_check(DNSBL_IP, "dbl.spamhaus.org", &out,
	    &cause), -1);
	assert_string_equal(cause, "blocklists: dbl.spamhaus.org lists"
	    " domains: name it in domain_blocklists");
	free(cause);
	assert_int_equal(dnsbl_entry_check(DNSBL_DOMAIN, "zen.spamhaus.org",
	    &out, &cause), -1);
	assert_non_null(strstr(cause, "name it in blocklists"));
	free(cause);
}

/* Unset: the defaults; ZEN the only default asked for IPv6. */
static void
test_defaults(void **state)
{
	struct dnsbl_set set;
	const struct dnsbl_list *l;

	(void)state;
	dnsbl_lists(NULL, &set);
	assert_int_equal(set.n, 4);
	assert_string_equal(set.v[0].zone, "zen.spamhaus.org");
	assert_string_equal(set.v[1].zone, "b.barracudacentral.org");
	assert_string_equal(set.v[2].zone, "bl.spamcop.net");
	assert_string_equal(set.v[3].zone, "dbl.spamhaus.org");
	assert_int_equal(set.v[0].ipv6, 1);
	assert_int_equal(set.v[1].ipv6, 0);
	assert_int_equal(set.v[2].ipv6, 0);
	assert_int_equal(set.v[3].kind, DNSBL_DOMAIN);
	l = &set.v[0];
	assert_string_equal(l->label, "Spamhaus ZEN (zen.spamhaus.org)");
	assert_string_equal(l->test, "2.0.0.127.zen.spamhaus.org");
	assert_string_equal(l->untest, "1.0.0.127.zen.spamhaus.org");
	assert_string_equal(dnsbl_delist(l), "https://check.spamhaus.org/");
	assert_non_null(dnsbl_refusal_hint(l));
	l = &set.v[3];
	assert_string_equal(l->test, "dbltest.com.dbl.spamhaus.org");
	assert_string_equal(l->untest, "invalid.dbl.spamhaus.org");
	assert_non_null(strstr(dnsbl_delist(&set.v[1]), "barracudacentral"));
	assert_non_null(strstr(dnsbl_howto(&set.v[2]), "24 hours"));
	assert_non_null(strstr(dnsbl_refusal_hint(&set.v[1]), "registered"));
	dnsbl_set_free(&set);
}

/* The settings: their own lists, none, +ipv6, duplicates once, the
 * limits; a DQS key never in what is shown. */
static void
test_settings(void **state)
{
	struct settings *s;
	struct dnsbl_set set;
	const struct dnsbl_list *l;
	char *cause;

	(void)state;
	s = load("blocklists = bl.example.net+ipv6, zen.spamhaus.org"
	    " zen.spamhaus.org abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net\n"
	    "domain_blocklists = none\n", &cause);
	assert_non_null(s);
	assert_int_equal(s->have_blocklists, 1);
	assert_int_equal(s->blocklists.n, 3);
	assert_int_equal(s->have_domain_blocklists, 1);
	assert_int_equal(s->domain_blocklists.n, 0);
	dnsbl_lists(s, &set);
	assert_int_equal(set.n, 3);
	l = find(&set, "bl.example.net");
	assert_int_equal(l->ipv6, 1);
	assert_null(l->known);
	assert_string_equal(l->label, "bl.example.net");
	assert_null(dnsbl_delist(l));
	l = find(&set, "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net");
	assert_int_equal(l->secret, 1);
	assert_int_equal(l->ipv6, 1);
	assert_string_equal(l->shown, "zen.dq.spamhaus.net");
	assert_null(strstr(l->label, "abcdef"));
	assert_string_equal(l->test, "2.0.0.127.abcdefghijklmnopqrstuvwxyz."
	    "zen.dq.spamhaus.net");
	dnsbl_set_free(&set);
	settings_free(s);

	/* Only one setting given: the other keeps its default. */
	s = load("blocklists = none\n", &cause);
	assert_non_null(s);
	dnsbl_lists(s, &set);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].zone, "dbl.spamhaus.org");
	dnsbl_set_free(&set);
	settings_free(s);
	s = load("blocklists =\n", &cause);
	assert_non_null(s);
	assert_int_equal(s->have_blocklists, 1);
	assert_int_equal(s->blocklists.n, 0);
	settings_free(s);

	assert_null(load("blocklists = dbl.spamhaus.org\n", &cause));
	assert_non_null(strstr(cause, "notspam.conf:1: blocklists:"
	    " dbl.spamhaus.org lists domains"));
	free(cause);
	assert_null(load("\ndomain_blocklists = none dbl.spamhaus.org\n",
	    &cause));
	assert_non_null(strstr(cause, ":2: domain_blocklists: \"none\""));
	free(cause);
	assert_null(load("blocklists = a1.x a2.x a3.x a4.x a5.x a6.x a7.x a8.x"
	    " a9.x a10.x a11.x a12.x a13.x a14.x a15.x a16.x a17.x\n",
	    &cause));
	assert_non_null(strstr(cause, "more than 16 lists"));
	free(cause);
}

/* Reversed octets; 32 nibbles of the full IPv6 address, whatever its
 * text form; a domain as it is, lower case. */
static void
test_names(void **state)
{
	struct dnsbl_set set;
	struct settings *s;
	const struct dnsbl_list *zen, *dbl, *dqs;
	char *n, *cause;

	(void)state;
	s = load("blocklists = zen.spamhaus.org"
	    " abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net\n", &cause);
	assert_non_null(s);
	dnsbl_lists(s, &set);
	zen = find(&set, "zen.spamhaus.org");
	dbl = find(&set, "dbl.spamhaus.org");
	dqs = find(&set, "abcdefghijklmnopqrstuvwxyz.zen.dq.spamhaus.net");
	n = dnsbl_query_name(zen, "192.0.2.25");
	assert_string_equal(n, "25.2.0.192.zen.spamhaus.org");
	free(n);
	n = dnsbl_query_name(zen, "2001:db8::25");
	assert_string_equal(n, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org");
	free(n);
	n = dnsbl_query_name(zen, "2001:DB8:0:0:0:0:0:25");
	assert_string_equal(n, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org");
	free(n);
	n = dnsbl_query_name(zen, "2a0b:4e07:1::abcd");
	assert_string_equal(n, "d.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.1.0.0.0.7.0.e.4.b.0.a.2.zen.spamhaus.org");
	/* 32 labels of nibbles, then the zone's three. */
	{
		size_t dots = 0;
		const char *p;

		for (p = n; *p != '\0'; p++)
			dots += *p == '.';
		assert_int_equal(dots, 32 + 2);
	}
	free(n);
	assert_null(dnsbl_query_name(zen, "not-an-address"));
	assert_null(dnsbl_query_name(zen, "192.0.2.256"));
	n = dnsbl_query_name(dbl, "Example.ORG.");
	assert_string_equal(n, "example.org.dbl.spamhaus.org");
	free(n);
	/* Too long with the zone: not asked. */
	{
		char big[260];

		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		for (size_t i = 60; i < sizeof big - 1; i += 60)
			big[i] = '.';
		assert_null(dnsbl_query_name(dbl, big));
	}
	assert_null(dnsbl_query_name(dbl, "a\\027b.example"));
	/* The DQS key is asked, never shown. */
	n = dnsbl_query_name(dqs, "192.0.2.25");
	assert_string_equal(n, "25.2.0.192.abcdefghijklmnopqrstuvwxyz.zen."
	    "dq.spamhaus.net");
	free(n);
	n = dnsbl_shown_name(dqs, "192.0.2.25");
	assert_string_equal(n, "25.2.0.192.zen.dq.spamhaus.net");
	free(n);
	dnsbl_set_free(&set);
	settings_free(s);
}

/* The verdict of one answer, and its text (freed here). */
static enum dnsbl_verdict
judge(const struct dnsbl_list *l, enum dns_status st, const char *a1,
    const char *a2, char **text)
{
	const char *v[2] = { a1, a2 };
	size_t n = a1 == NULL ? 0 : a2 == NULL ? 1 : 2;

	return dnsbl_judge(l, st, v, n, text);
}

static void
test_judge_zen(void **state)
{
	struct dnsbl_set set;
	const struct dnsbl_list *zen;
	char *t;

	(void)state;
	dnsbl_lists(NULL, &set);
	zen = find(&set, "zen.spamhaus.org");
	/* Not listed: NXDOMAIN, NODATA, NOERROR without records. */
	assert_int_equal(judge(zen, DNS_NXDOMAIN, NULL, NULL, &t),
	    DNSBL_NOT_LISTED);
	assert_null(t);
	assert_int_equal(judge(zen, DNS_NODATA, NULL, NULL, &t),
	    DNSBL_NOT_LISTED);
	assert_int_equal(judge(zen, DNS_OK, NULL, NULL, &t), DNSBL_NOT_LISTED);
	/* Each documented code, with its sub-list. */
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.2", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.2 SBL: "));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.3", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.3 CSS: "));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.4", "127.0.0.10", &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.4 XBL: "));
	assert_non_null(strstr(t, "; 127.0.0.10 PBL: "));
	free(t);
	/* In whatever order the answer came: the codes in numeric order. */
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.10", "127.0.0.4", &t),
	    DNSBL_LISTED);
	assert_true(strncmp(t, "127.0.0.4 XBL: ", 15) == 0);
	assert_non_null(strstr(t, "; 127.0.0.10 PBL: "));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.7", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.7 XBL"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.9", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.9 DROP"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.11", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.11 PBL: Spamhaus"));
	free(t);
	/* A code in 127/8 the list does not document: still a listing. */
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.8", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.0.8 (a code the list does not"
	    " document)"));
	free(t);
	/* Spamhaus's errors: never listed, whatever comes with them. */
	assert_int_equal(judge(zen, DNS_OK, "127.255.255.254", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "127.255.255.254: the query came through a"
	    " public or open resolver"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.255.255.255", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "free-use limit"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.255.255.252", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "typing error"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.255.255.250", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "DQS key"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.255.255.1", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "127.255.255.0/24"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.2", "127.255.255.254",
	    &t), DNSBL_UNKNOWN);
	free(t);
	/* Outside 127/8: a resolver rewriting answers, not a listing. */
	assert_int_equal(judge(zen, DNS_OK, "198.51.100.7", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "198.51.100.7: an answer outside"
	    " 127.0.0.0/8"));
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.2", "10.0.0.1", &t),
	    DNSBL_UNKNOWN);
	free(t);
	assert_int_equal(judge(zen, DNS_OK, "\x1b[2J", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_null(strchr(t, '\x1b'));
	assert_non_null(strstr(t, "the answer: an answer that is not"));
	free(t);
	/* 127.0.0.1: no list lists it. */
	assert_int_equal(judge(zen, DNS_OK, "127.0.0.1", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "RFC 5782"));
	free(t);
	/* No answer: unknown, the reason named. */
	assert_int_equal(judge(zen, DNS_TIMEOUT, NULL, NULL, &t),
	    DNSBL_UNKNOWN);
	assert_string_equal(t, "no answer: timeout");
	free(t);
	assert_int_equal(judge(zen, DNS_SERVFAIL, NULL, NULL, &t),
	    DNSBL_UNKNOWN);
	assert_string_equal(t, "no answer: SERVFAIL");
	free(t);
	assert_int_equal(judge(zen, DNS_REFUSED, NULL, NULL, NULL),
	    DNSBL_UNKNOWN);
	assert_int_equal(judge(zen, DNS_ERROR, NULL, NULL, NULL),
	    DNSBL_UNKNOWN);
	dnsbl_set_free(&set);
}

static void
test_judge_others(void **state)
{
	struct dnsbl_set set;
	struct settings *s;
	const struct dnsbl_list *dbl, *brbl, *scbl, *other;
	char *t, *cause;

	(void)state;
	s = load("blocklists = b.barracudacentral.org bl.spamcop.net"
	    " bl.example.net\n", &cause);
	assert_non_null(s);
	dnsbl_lists(s, &set);
	dbl = find(&set, "dbl.spamhaus.org");
	brbl = find(&set, "b.barracudacentral.org");
	scbl = find(&set, "bl.spamcop.net");
	other = find(&set, "bl.example.net");
	/* DBL's codes. */
	assert_int_equal(judge(dbl, DNS_OK, "127.0.1.2", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "127.0.1.2 DBL: a low-reputation domain"));
	free(t);
	assert_int_equal(judge(dbl, DNS_OK, "127.0.1.4", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "phishing"));
	free(t);
	assert_int_equal(judge(dbl, DNS_OK, "127.0.1.5", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "malware"));
	free(t);
	assert_int_equal(judge(dbl, DNS_OK, "127.0.1.6", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "botnet"));
	free(t);
	for (int c = 102; c <= 106; c++) {
		char a[32];

		snprintf(a, sizeof a, "127.0.1.%d", c);
		assert_int_equal(judge(dbl, DNS_OK, a, NULL, &t), DNSBL_LISTED);
		assert_non_null(strstr(t, "abused legitimate domain"));
		free(t);
	}
	assert_int_equal(judge(dbl, DNS_OK, "127.0.1.255", NULL, &t),
	    DNSBL_UNKNOWN);
	assert_non_null(strstr(t, "an address was asked of a domain list"));
	free(t);
	assert_int_equal(judge(dbl, DNS_OK, "127.255.255.254", NULL, &t),
	    DNSBL_UNKNOWN);
	free(t);
	/* Barracuda and SpamCop: 127.0.0.2; Spamhaus's range means nothing
	 * special there. */
	assert_int_equal(judge(brbl, DNS_OK, "127.0.0.2", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "Barracuda Reputation System"));
	free(t);
	assert_int_equal(judge(scbl, DNS_OK, "127.0.0.2", NULL, &t),
	    DNSBL_LISTED);
	assert_non_null(strstr(t, "SpamCop users"));
	free(t);
	assert_int_equal(judge(scbl, DNS_OK, "127.255.255.254", NULL, &t),
	    DNSBL_LISTED);
	free(t);
	/* A list notspam does not know: any 127/8 code but 127.0.0.1. */
	assert_int_equal(judge(other, DNS_OK, "127.0.0.5", NULL, &t),
	    DNSBL_LISTED);
	assert_string_equal(t, "127.0.0.5");
	free(t);
	assert_int_equal(judge(other, DNS_OK, "127.0.0.1", NULL, NULL),
	    DNSBL_UNKNOWN);
	assert_int_equal(judge(other, DNS_OK, "192.0.2.1", NULL, NULL),
	    DNSBL_UNKNOWN);
	dnsbl_set_free(&set);
	settings_free(s);
}

/* Zone-file mode asks only the lists a loaded zone holds. */
static void
test_zone_holds(void **state)
{
	static const char zen[] = "$ORIGIN zen.spamhaus.org.\n"
	    "@ 60 IN SOA ns h 1 60 60 60 60\n"
	    "2.0.0.127 60 IN A 127.0.0.2\n";
	struct zone_set *zs = zone_set_new();
	struct dnsbl_set set;
	char *cause = NULL;

	(void)state;
	assert_int_equal(zone_set_parse(zs, "zen.spamhaus.org.zone", zen,
	    sizeof zen - 1, &cause), 0);
	assert_int_equal(dnsbl_zone_holds(zs, "2.0.0.127.zen.spamhaus.org"),
	    1);
	/* NXDOMAIN inside the zone still holds: the SOA says so. */
	assert_int_equal(dnsbl_zone_holds(zs, "1.0.0.127.zen.spamhaus.org"),
	    1);
	assert_int_equal(dnsbl_zone_holds(zs, "2.0.0.127.bl.spamcop.net"), 0);
	assert_int_equal(dnsbl_zone_holds(NULL, "2.0.0.127.bl.spamcop.net"),
	    0);
	dnsbl_lists(NULL, &set);
	dnsbl_keep_held(&set, zs);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].zone, "zen.spamhaus.org");
	dnsbl_set_free(&set);
	zone_set_free(zs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_check),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_judge_zen),
		cmocka_unit_test(test_judge_others),
		cmocka_unit_test(test_zone_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
