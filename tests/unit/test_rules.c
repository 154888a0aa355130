/* test_rules.c: the check rules (core/check/check_rules.c), one table row
 * per rule of ../shared/reference/dns-checks.md that the code has.
 *
 * The seam is the DNS answers.  A rule asks for its lookups through
 * check_get()/check_spf(), which live in core/check/check_cache.c on the
 * run's private cache, so the rules are driven as the program drives them: the
 * whole engine (check_start) on a real loop and resolver, pointed at a DNS
 * server inside this process (a UDP socket on the same loop) that answers
 * from the table.  No daemon, no fixed port, a few milliseconds a case.
 *
 * Every case starts from a zone where all is right (the records
 * records_build() computes for the domain checked) and states only what
 * differs: rows that replace the answer for one name and type (several rows
 * for one name and type make one RRset; data NULL removes the RRset).  Then
 * the check id, the status wanted and a piece of the detail (and of the fix)
 * that says why.  A name not in the zone is NXDOMAIN.
 */
#include "testutil.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <unistd.h>

#include "core/check/check.h"
#include "core/check/records.h"
#include "core/dns/dns.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/site/site.h"

static char root[] = "/tmp/notspam-rules-XXXXXX";

/* Separates the character-strings of one TXT record in a row's data; a TXT
 * without it is cut in strings of 255 bytes. */
#define S "\036"
/* Replaced in a row's data by the p= of the domain's own key, or of a key
 * the site does not use. */
#define OWN_P "%P"
#define OTHER_P "%O"
/* The domain's own p= with a blank every 50 characters (zone files and DNS
 * web forms break long values so). */
#define OWN_P_BLANKS "%B"
/* Answers that are not records. */
#define SERVFAIL "!SERVFAIL"
#define REFUSED "!REFUSED"
#define FORMERR "!FORMERR"
#define NOTIMP "!NOTIMP"
/* The name does not exist at all (NXDOMAIN for every type). */
#define NXDOMAIN "!NXDOMAIN"
/* A CNAME to loop.<name>, whose CNAME points back to the name. */
#define CNAMELOOP "!CNAMELOOP"
/* A row of this type is no record: its name is a piece of text that no
 * name asked of either server may hold (a name that must never be looked
 * up). */
#define NEVER_ASKED (-1)
/* ESC [ 2 J: clears a terminal; here the first label of a host name. */
#define EVIL "\033[2J.evil007.org"

#define V4 "192.0.2.25"
#define V6 "2001:db8::25"
#define HOST "mail.case.test"
#define GOOD_SPF "v=spf1 ip4:" V4 " ip6:" V6 " -all"

struct row {
	const char	*name;		/* no final dot */
	int		 type;
	const char	*data;		/* presentation form, or NULL: none */
};

#define MAXROWS 16

struct rule_case {
	const char	*what;		/* the rule, as dns-checks.md says it */
	const char	*domain;
	const char	*id;		/* NULL: every check of the domain */
	enum check_status want;
	const char	*detail;	/* in the detail, or NULL */
	const char	*fix;		/* in the fix, or NULL */
	struct row	 rows[MAXROWS];	/* the resolver's answers that differ */
	int		 ns;		/* the zone has nameserver ns.<domain>
					   (127.0.0.2), answering auth[] */
	struct row	 auth[4];	/* its answers that differ */
	const char	*hosts;		/* /etc/hosts of the site, or NULL */
};

/* A case run with a signer notspam does not read in the site, or not. */
struct signer_case {
	const char	*unread;	/* the site's unread signer, or NULL */
	const char	*nofix;		/* in neither detail nor fix, or NULL */
	struct rule_case c;
};

/* The unread signer of the DMARC cases, and where the site names it. */
#define UNREAD_SRC "/etc/postfix/main.cf:7"
#define UNREAD_WHY "whether mail is signed is unknown because rspamd (" \
	UNREAD_SRC ") signs"

/* ---- the table --------------------------------------------------------- */

static const struct rule_case cases[] = {
	/* A domain where all is right: the base every row changes. */
	{ "every check ok when the DNS has every record", "case.test", NULL,
	  CHECK_OK, NULL, NULL, { { NULL, 0, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },

	/* ---- MX ---- */
	{ "MX: missing is fail", "case.test", "mx", CHECK_FAIL,
	  "no MX record at case.test", "case.test. 3600 IN MX 10 " HOST ".",
	  { { "case.test", DNS_T_MX, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "MX: a domain that does not exist is said so, not \"no MX\"",
	  "case.test", "mx", CHECK_FAIL,
	  "case.test does not exist in the DNS (NXDOMAIN)",
	  "case.test. 3600 IN MX 10 " HOST ".",
	  { { "case.test", DNS_T_MX, NXDOMAIN } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "MX: null MX on a receiving domain is fail", "case.test", "mx",
	  CHECK_FAIL, "null MX (0 .)", "replace the null MX",
	  { { "case.test", DNS_T_MX, "0 ." } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "MX: a host without A/AAAA is fail", "case.test", "mx", CHECK_FAIL,
	  "MX host mx.elsewhere.test has no A or AAAA record",
	  "point the MX at this server",
	  { { "case.test", DNS_T_MX, "10 mx.elsewhere.test" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "MX: addresses that are not this server's are fail", "case.test",
	  "mx", CHECK_FAIL, "none is this server (" V4 ", " V6 ")", NULL,
	  { { "case.test", DNS_T_MX, "10 mx.elsewhere.test" },
	    { "mx.elsewhere.test", DNS_T_A, "198.51.100.7" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "MX: a host holding ESC [ 2 J is fail, and never looked up",
	  "case.test", "mx", CHECK_FAIL, "MX host \\027[2j.evil007.org is"
	  " not a valid host name", "point the MX at this server",
	  { { "case.test", DNS_T_MX, "10 " HOST },
	    { "case.test", DNS_T_MX, "20 " EVIL },
	    { "027[2j.evil007.org", DNS_T_A, V4 },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "MX: the only host holding escapes is fail, no address asked",
	  "case.test", "mx", CHECK_FAIL, "not a valid host name", NULL,
	  { { "case.test", DNS_T_MX, "10 " EVIL },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "MX: one of several hosts is this server: ok", "case.test", "mx",
	  CHECK_OK, "reaches this server", NULL,
	  { { "case.test", DNS_T_MX, "10 " HOST },
	    { "case.test", DNS_T_MX, "20 mx.elsewhere.test" },
	    { "mx.elsewhere.test", DNS_T_A, "198.51.100.7" } }, 0,
	  { { NULL, 0, NULL } }, NULL },

	/* ---- A/AAAA of the mail host ---- */
	{ "A of the mail host: missing is fail", "case.test", "host-a",
	  CHECK_FAIL, "no A record for " HOST, HOST ". 3600 IN A " V4,
	  { { HOST, DNS_T_A, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "A of the mail host: without our address is fail", "case.test",
	  "host-a", CHECK_FAIL, HOST " A lacks " V4, NULL,
	  { { HOST, DNS_T_A, "198.51.100.7" } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "AAAA of the mail host: missing is fail", "case.test", "host-aaaa",
	  CHECK_FAIL, "no AAAA record for " HOST, HOST ". 3600 IN AAAA " V6,
	  { { HOST, DNS_T_AAAA, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "AAAA of the mail host: an extra address is noted, still ok",
	  "case.test", "host-aaaa", CHECK_OK, "also 2001:db8::99", NULL,
	  { { HOST, DNS_T_AAAA, V6 }, { HOST, DNS_T_AAAA, "2001:db8::99" } },
	  0, { { NULL, 0, NULL } }, NULL },

	/* ---- PTR, forward-confirmed, IPv4 and IPv6 ---- */
	{ "PTR IPv4: missing is fail", "case.test", "ptr:" V4, CHECK_FAIL,
	  "no PTR record for " V4, "25.2.0.192.in-addr.arpa. 3600 IN PTR",
	  { { "25.2.0.192.in-addr.arpa", DNS_T_PTR, NULL } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "PTR IPv4: a name other than the EHLO name is fail", "case.test",
	  "ptr:" V4, CHECK_FAIL, "names other.case.test, not " HOST, NULL,
	  { { "25.2.0.192.in-addr.arpa", DNS_T_PTR, "other.case.test" },
	    { "other.case.test", DNS_T_A, V4 } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "PTR IPv4: not forward-confirmed is fail", "case.test", "ptr:" V4,
	  CHECK_FAIL, "not forward-confirmed", HOST ". 3600 IN A " V4,
	  { { HOST, DNS_T_A, "198.51.100.7" } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "PTR IPv6 (nibble form): missing is fail", "case.test",
	  "ptr:" V6, CHECK_FAIL, "no PTR record for " V6, "ip6.arpa. 3600 IN"
	  " PTR", { { "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0"
	  ".1.0.0.2.ip6.arpa", DNS_T_PTR, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "PTR IPv6: not forward-confirmed is fail", "case.test", "ptr:" V6,
	  CHECK_FAIL, HOST " has no AAAA record, not " V6, NULL,
	  { { HOST, DNS_T_AAAA, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "PTR IPv6: forward-confirmed is ok", "case.test", "ptr:" V6,
	  CHECK_OK, V6 " -> " HOST " -> " V6 ": forward-confirmed", NULL,
	  { { NULL, 0, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "PTR: a name holding ESC [ 2 J is fail, and never looked up",
	  "case.test", "ptr:" V4, CHECK_FAIL, "names \\027[2j.evil007.org,"
	  " not a valid host name", "25.2.0.192.in-addr.arpa. 3600 IN PTR",
	  { { "25.2.0.192.in-addr.arpa", DNS_T_PTR, EVIL },
	    { "027[2j.evil007.org", DNS_T_A, V4 },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "NS: a nameserver name holding escapes is never looked up",
	  "case.test", NULL, CHECK_OK, NULL, NULL,
	  { { "case.test", DNS_T_NS, EVIL },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "the mail host on 127.0.0.1 in /etc/hosts is fail", "case.test",
	  "ptr:" V4, CHECK_FAIL, "/etc/hosts maps " HOST " to 127.0.0.1",
	  "edit /etc/hosts", { { NULL, 0, NULL } }, 0, { { NULL, 0, NULL } },
	  "127.0.0.1\tlocalhost " HOST "\n" },

	/* ---- SPF ---- */
	{ "SPF: missing is fail", "case.test", "spf", CHECK_FAIL,
	  "no SPF record (v=spf1 TXT) at case.test", GOOD_SPF,
	  { { "case.test", DNS_T_TXT, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "SPF: v=spf1 must be followed by a space (v=spf10 is none)",
	  "case.test", "spf", CHECK_FAIL, "no SPF record",
	  NULL, { { "case.test", DNS_T_TXT, "v=spf10 ip4:" V4 " -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: two v=spf1 records are fail (permerror)", "case.test", "spf",
	  CHECK_FAIL, "2 SPF records at case.test", "keep one v=spf1",
	  { { "case.test", DNS_T_TXT, GOOD_SPF },
	    { "case.test", DNS_T_TXT, "v=spf1 a -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: another TXT beside the one SPF record is fine", "case.test",
	  "spf", CHECK_OK, V4 ": pass", NULL,
	  { { "case.test", DNS_T_TXT, GOOD_SPF },
	    { "case.test", DNS_T_TXT, "google-site-verification=abc" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: split strings are joined with nothing between", "case.test",
	  "spf", CHECK_OK, V6 ": pass", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 " S "ip4:" V4 " " S "ip6:" V6
	  S " -all" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "SPF: no IPv6 coverage is fail (the Gmail IPv6 bounce)",
	  "case.test", "spf", CHECK_FAIL, V6 ": fail", "ip6:" V6,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4 " -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: the IPv6 failure names Gmail", "case.test", "spf", CHECK_FAIL,
	  "Gmail bounces mail over IPv6",
	  NULL, { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4 " -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: IPv4 not covered is fail", "case.test", "spf", CHECK_FAIL,
	  V4 ": fail", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip6:" V6 " -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: a record authorizing more hosts is ok (no string compare)",
	  "case.test", "spf", CHECK_OK, V4 ": pass",
	  NULL, { { "case.test", DNS_T_TXT, "v=spf1 ip4:192.0.2.0/24"
	  " ip6:2001:db8::/32 -all" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "SPF: IPv6 written non-canonically still passes", "case.test",
	  "spf", CHECK_OK, V6 ": pass", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4
	  " ip6:2001:0DB8:0:0:0:0:0:0025 -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: redirect= is fine when our addresses pass", "case.test",
	  "spf", CHECK_OK, V4 ": pass", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 redirect=_spf.case.test" },
	    { "_spf.case.test", DNS_T_TXT, GOOD_SPF } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: more than 10 DNS lookups is fail, counts shown", "case.test",
	  "spf", CHECK_FAIL, "11 DNS lookups, over the limit of 10: case.test 1"
	  " (11 in all), > i1.case.test 1 (10 in all)",
	  NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 include:i1.case.test ip4:" V4
	    " ip6:" V6 " -all" },
	    { "i1.case.test", DNS_T_TXT, "v=spf1 include:i2.case.test -all" },
	    { "i2.case.test", DNS_T_TXT, "v=spf1 include:i3.case.test -all" },
	    { "i3.case.test", DNS_T_TXT, "v=spf1 include:i4.case.test -all" },
	    { "i4.case.test", DNS_T_TXT, "v=spf1 include:i5.case.test -all" },
	    { "i5.case.test", DNS_T_TXT, "v=spf1 include:i6.case.test -all" },
	    { "i6.case.test", DNS_T_TXT, "v=spf1 include:i7.case.test -all" },
	    { "i7.case.test", DNS_T_TXT, "v=spf1 include:i8.case.test -all" },
	    { "i8.case.test", DNS_T_TXT, "v=spf1 include:i9.case.test -all" },
	    { "i9.case.test", DNS_T_TXT, "v=spf1 include:i10.case.test -all" },
	    { "i10.case.test", DNS_T_TXT, "v=spf1 include:i11.case.test"
	    " -all" },
	    { "i11.case.test", DNS_T_TXT, "v=spf1 -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: 10 lookups or fewer: the count is shown, ok", "case.test",
	  "spf", CHECK_OK, "DNS lookups: case.test 1", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 include:i1.case.test -all" },
	    { "i1.case.test", DNS_T_TXT, GOOD_SPF } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: more than 2 void lookups is fail", "case.test", "spf",
	  CHECK_FAIL, "3 void lookups, over the limit of 2", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 a:n1.case.test a:n2.case.test"
	  " a:n3.case.test ip4:" V4 " ip6:" V6 " -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: an include loop is fail (caught by the 10-lookup limit)",
	  "case.test", "spf", CHECK_FAIL, "over the limit of 10: case.test 1"
	  " (11 in all), > loop.case.test 1 (10 in all)", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 include:loop.case.test -all" },
	    { "loop.case.test", DNS_T_TXT, "v=spf1 include:loop.case.test"
	    " -all" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "SPF: an mx mechanism over 10 hosts is fail", "case.test", "spf",
	  CHECK_FAIL, "many.case.test has 11 MX records, more than 10", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 mx:many.case.test -all" },
	    { "many.case.test", DNS_T_MX, "1 m1.case.test" },
	    { "many.case.test", DNS_T_MX, "2 m2.case.test" },
	    { "many.case.test", DNS_T_MX, "3 m3.case.test" },
	    { "many.case.test", DNS_T_MX, "4 m4.case.test" },
	    { "many.case.test", DNS_T_MX, "5 m5.case.test" },
	    { "many.case.test", DNS_T_MX, "6 m6.case.test" },
	    { "many.case.test", DNS_T_MX, "7 m7.case.test" },
	    { "many.case.test", DNS_T_MX, "8 m8.case.test" },
	    { "many.case.test", DNS_T_MX, "9 m9.case.test" },
	    { "many.case.test", DNS_T_MX, "10 m10.case.test" },
	    { "many.case.test", DNS_T_MX, "11 " HOST } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: the ptr mechanism is warn", "case.test", "spf", CHECK_WARN,
	  "uses the ptr mechanism", GOOD_SPF,
	  { { "case.test", DNS_T_TXT, "v=spf1 ptr ip4:" V4 " ip6:" V6
	  " -all" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "SPF: +all is warn", "case.test", "spf", CHECK_WARN,
	  "+all authorizes every host", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4 " +all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: ?all is warn", "case.test", "spf", CHECK_WARN,
	  "?all says nothing", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4 " ip6:" V6 " ?all" } },
	  0, { { NULL, 0, NULL } }, NULL },
	{ "SPF: no all and no redirect is warn", "case.test", "spf",
	  CHECK_WARN, "no all and no redirect", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4 " ip6:" V6 } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: terms after all are warn", "case.test", "spf", CHECK_WARN,
	  "terms after all are never evaluated", NULL,
	  { { "case.test", DNS_T_TXT, GOOD_SPF " ip4:198.51.100.7" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: a type-99 SPF record is warn", "case.test", "spf", CHECK_WARN,
	  "a type-99 SPF record is published", NULL,
	  { { "case.test", DNS_T_SPF, GOOD_SPF } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "SPF: syntax error is fail", "case.test", "spf", CHECK_FAIL,
	  "syntax: '192.0.2.300' is not an IPv4 address", GOOD_SPF,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:192.0.2.300 -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: a record over 512 bytes is warn", "case.test", "spf",
	  CHECK_WARN, "over 512: answers may be truncated", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:198.51.100.1"
	  " ip4:198.51.100.2 ip4:198.51.100.3 ip4:198.51.100.4 ip4:198.51.100.5"
	  " ip4:198.51.100.6 ip4:198.51.100.7 ip4:198.51.100.8 ip4:198.51.100.9"
	  " ip4:198.51.100.10 ip4:198.51.100.11 ip4:198.51.100.12"
	  " ip4:198.51.100.13 ip4:198.51.100.14 ip4:198.51.100.15"
	  " ip4:198.51.100.16 ip4:198.51.100.17 ip4:198.51.100.18"
	  " ip4:198.51.100.19 ip4:198.51.100.20 ip4:198.51.100.21"
	  " ip4:198.51.100.22 ip4:198.51.100.23 ip4:198.51.100.24"
	  " ip4:198.51.100.25 ip4:198.51.100.26 ip4:198.51.100.27"
	  " ip4:198.51.100.28 ip4:" V4 " ip6:" V6 " -all" } }, 0, /* 538 */
	  { { NULL, 0, NULL } }, NULL },
	{ "SPF: a record over 450 bytes is only info, ok", "case.test",
	  "spf", CHECK_OK, "over 450, still fine", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:198.51.100.1"
	  " ip4:198.51.100.2 ip4:198.51.100.3 ip4:198.51.100.4 ip4:198.51.100.5"
	  " ip4:198.51.100.6 ip4:198.51.100.7 ip4:198.51.100.8 ip4:198.51.100.9"
	  " ip4:198.51.100.10 ip4:198.51.100.11 ip4:198.51.100.12"
	  " ip4:198.51.100.13 ip4:198.51.100.14 ip4:198.51.100.15"
	  " ip4:198.51.100.16 ip4:198.51.100.17 ip4:198.51.100.18"
	  " ip4:198.51.100.19 ip4:198.51.100.20 ip4:198.51.100.21"
	  " ip4:198.51.100.22 ip4:198.51.100.23 ip4:198.51.100.24"
	  " ip4:198.51.100.25 ip4:" V4 " ip6:" V6 " -all" } },	/* 484 bytes */
	  0, { { NULL, 0, NULL } }, NULL },
	{ "SPF: a DNS error is unknown, never fail", "case.test", "spf",
	  CHECK_UNKNOWN, "SERVFAIL", NULL,
	  { { "case.test", DNS_T_TXT, SERVFAIL } }, 0, { { NULL, 0, NULL } },
	  NULL },

	{ "SPF: an include target holding ESC [ 2 J is fail, never asked",
	  "case.test", "spf", CHECK_FAIL, "syntax: ", GOOD_SPF,
	  { { "case.test", DNS_T_TXT, "v=spf1 include:" EVIL " ip4:" V4
	  " ip6:" V6 " -all" },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "SPF: an include target holding a backslash is not rewritten",
	  "case.test", "spf", CHECK_FAIL, "permerror", GOOD_SPF,
	  { { "case.test", DNS_T_TXT, "v=spf1 include:x\\027y.evil007.org"
	  " -all" },
	    { "x027y.evil007.org", DNS_T_TXT, GOOD_SPF },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "SPF: an mx host holding ESC [ 2 J is no match, never asked",
	  "case.test", "spf", CHECK_FAIL, V4 ": fail", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 mx:mx.case.test -all" },
	    { "mx.case.test", DNS_T_MX, "10 " EVIL },
	    { "027[2j.evil007.org", DNS_T_A, V4 },
	    { "evil007", NEVER_ASKED, NULL } }, 0, { { NULL, 0, NULL } },
	  NULL },
	{ "SPF: a ptr name holding ESC [ 2 J is not validated, never asked",
	  "case.test", "spf", CHECK_FAIL, V4 ": fail", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ptr:evil007.org -all" },
	    { "25.2.0.192.in-addr.arpa", DNS_T_PTR, EVIL },
	    { "027[2j.evil007.org", DNS_T_A, V4 },
	    { "027[2j.evil007.org", NEVER_ASKED, NULL } }, 0,
	  { { NULL, 0, NULL } }, NULL },

	/* ---- SPF of the HELO name ---- */
	{ "HELO SPF: missing is fail", "case.test", "spf-helo", CHECK_FAIL,
	  "no SPF record at " HOST, HOST ". 3600 IN TXT",
	  { { HOST, DNS_T_TXT, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "HELO SPF: an address not covered is fail", "case.test", "spf-helo",
	  CHECK_FAIL, V6 ": fail for HELO " HOST, NULL,
	  { { HOST, DNS_T_TXT, "v=spf1 ip4:" V4 " -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "HELO SPF: every address passes: ok, the record shown as found",
	  "case.test", "spf-helo",
	  CHECK_OK, V4 ": pass for HELO " HOST, NULL, { { NULL, 0, NULL } },
	  0, { { NULL, 0, NULL } }, NULL },

	/* ---- DKIM ---- */
	{ "DKIM: missing is fail", "case.test", "dkim:sel", CHECK_FAIL,
	  "no DKIM record at sel._domainkey.case.test",
	  "sel._domainkey.case.test. 3600 IN TXT ( \"v=DKIM1; k=rsa; ",
	  { { "sel._domainkey.case.test", DNS_T_TXT, NULL } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DKIM: more than one TXT at the selector is fail", "case.test",
	  "dkim:sel", CHECK_FAIL, "2 TXT records at sel._domainkey.case.test",
	  NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa; p="
	  OWN_P }, { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa;"
	  " p=" OTHER_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: p= of another key than the local one is fail", "case.test",
	  "dkim:sel", CHECK_FAIL, "different key than /etc/dkimkeys/"
	  "shared.private", "publish the key of the file",
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa; p="
	  OTHER_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: split strings joined, blanks in p= ignored: the key matches",
	  "case.test", "dkim:sel", CHECK_OK, "the key matches /etc/dkimkeys/"
	  "shared.private (rsa, 2048 bits)", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; " S "k=rsa; "
	  S "p=" OWN_P_BLANKS } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: Ed25519 compared as key material", "ed.test", "dkim:ed",
	  CHECK_OK, "the key matches /etc/dkimkeys/ed.private (ed25519", NULL,
	  { { NULL, 0, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: RSA 1024 bits (under 2048) is warn", "weak.test", "dkim:sel",
	  CHECK_WARN, "an RSA key of 1024 bits: 2048 is the norm",
	  "make a 2048-bit key", { { NULL, 0, NULL } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DKIM: RSA under 1024 bits is fail (RFC 8301)", "tiny.test",
	  "dkim:sel", CHECK_FAIL, "an RSA key of 512 bits: verifiers ignore",
	  NULL, { { NULL, 0, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: empty p= (revoked) is fail", "case.test", "dkim:sel",
	  CHECK_FAIL, "p= is empty: the key is revoked", "publish the current"
	  " key", { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa;"
	  " p=" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: t=y is warn", "case.test", "dkim:sel", CHECK_WARN,
	  "t=y: testing mode", "drop t=y",
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa; t=y; p="
	  OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: bad v= is fail", "case.test", "dkim:sel", CHECK_FAIL,
	  "bad version v=DKIM2", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM2; k=rsa; p="
	  OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: unknown k= is fail", "case.test", "dkim:sel", CHECK_FAIL,
	  "unknown key type k=dsa", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=dsa; p="
	  OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: s= other than email or * is fail", "case.test", "dkim:sel",
	  CHECK_FAIL, "service type s=voice excludes email", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa; s=voice;"
	  " p=" OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: h= naming no known hash is fail", "case.test", "dkim:sel",
	  CHECK_FAIL, "h=md5 names no known hash", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa; h=md5;"
	  " p=" OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: h=sha1 only is fail (RFC 8301: rsa-sha256 fails)",
	  "case.test", "dkim:sel", CHECK_FAIL, "h=sha1 excludes sha256",
	  "drop h= or list sha256 in it",
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa; h=sha1;"
	  " p=" OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: h=sha1:sha256 is ok", "case.test", "dkim:sel", CHECK_OK,
	  "the key matches", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, "v=DKIM1; k=rsa;"
	  " h=sha1:sha256; p=" OWN_P } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: private key readable by group is warn", "grp.test",
	  "dkim:sel", CHECK_WARN, "/etc/dkimkeys/grp.private is readable by"
	  " group or others (mode 0640)", "chmod 600 /etc/dkimkeys/grp.private",
	  { { NULL, 0, NULL } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DKIM: the local key cannot be read: fail, with why", "nokey.test",
	  "dkim:sel", CHECK_FAIL, "cannot compare with the local key:"
	  " /etc/dkimkeys/none.private: no such file", NULL,
	  { { "sel._domainkey.nokey.test", DNS_T_TXT, "v=DKIM1; k=rsa; p="
	  OTHER_P } }, 0, { { NULL, 0, NULL } }, NULL },

	/* ---- DMARC ---- */
	{ "DMARC: missing is fail", "case.test", "dmarc", CHECK_FAIL,
	  "no DMARC record at _dmarc.case.test", "_dmarc.case.test. 3600 IN"
	  " TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc@case.test\"",
	  { { "_dmarc.case.test", DNS_T_TXT, NULL } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DMARC: more than one record is fail", "case.test", "dmarc",
	  CHECK_FAIL, "2 DMARC records at _dmarc.case.test", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject;"
	  " rua=mailto:dmarc@case.test" }, { "_dmarc.case.test", DNS_T_TXT,
	  "v=DMARC1; p=none" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: an SPF record at _dmarc is fail", "case.test", "dmarc",
	  CHECK_FAIL, "an SPF record at _dmarc.case.test", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=spf1 -all" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DMARC: a record at the domain root is warn", "case.test", "dmarc",
	  CHECK_WARN, "a DMARC record at case.test itself", NULL,
	  { { "case.test", DNS_T_TXT, GOOD_SPF }, { "case.test", DNS_T_TXT,
	  "v=DMARC1; p=reject" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: absent at a subdomain, the organizational domain's applies",
	  "sub.case.test", "dmarc", CHECK_OK, "the one of the organizational"
	  " domain case.test applies", NULL,
	  { { "_dmarc.sub.case.test", DNS_T_TXT, NULL }, { "_dmarc.case.test",
	  DNS_T_TXT, "v=DMARC1; p=reject; rua=mailto:dmarc@case.test" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DMARC: p=none is warn, the fix keeps rua", "case.test", "dmarc",
	  CHECK_WARN, "p=none: monitoring only", "\"v=DMARC1; p=quarantine;"
	  " rua=mailto:dmarc@case.test\"",
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=none;"
	  " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: sp=none is warn", "case.test", "dmarc", CHECK_WARN,
	  "sp=none: subdomains are monitored only", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject; sp=none;"
	  " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: no rua is warn, the fix adds the one of the settings",
	  "case.test", "dmarc", CHECK_WARN, "no rua=: no aggregate reports",
	  "rua=mailto:dmarc@case.test",
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DMARC: more than 2 rua is warn", "case.test", "dmarc", CHECK_WARN,
	  "3 rua addresses", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject;"
	  " rua=mailto:a@case.test,mailto:b@case.test,mailto:c@case.test" } },
	  0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: external rua without its report record is fail",
	  "case.test", "dmarc", CHECK_FAIL, "reports to"
	  " r@elsewhere.test are not authorized",
	  "case.test._report._dmarc.elsewhere.test. 3600 IN TXT \"v=DMARC1\"",
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject;"
	  " rua=mailto:r@elsewhere.test" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: external rua with its report record is ok", "case.test",
	  "dmarc", CHECK_OK, "elsewhere.test accepts reports for case.test",
	  NULL, { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject;"
	  " rua=mailto:r@elsewhere.test" }, {
	  "case.test._report._dmarc.elsewhere.test", DNS_T_TXT, "v=DMARC1" } },
	  0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: a duplicate tag is fail", "case.test", "dmarc", CHECK_FAIL,
	  "appears twice", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject; p=none;"
	  " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL },
	{ "DMARC: pct=, rf=, ri= are warn (dropped by the newer spec)",
	  "case.test", "dmarc", CHECK_WARN, "pct= rf= ri= : dropped by the"
	  " newer DMARC specification", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=reject; pct=50;"
	  " rf=afrf; ri=3600; rua=mailto:dmarc@case.test" } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "DMARC: a syntax error (bad p=) is fail", "case.test", "dmarc",
	  CHECK_FAIL, "the DMARC record at _dmarc.case.test is invalid:"
	  " p=maybe", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=maybe;"
	  " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL },

	/* ---- propagation and caches ---- */
	{ "propagation: published on the nameserver, not yet through the"
	  " resolver, is warn", "case.test", "dkim:sel", CHECK_WARN,
	  "published on ns.case.test (127.0.0.2), not yet visible through the"
	  " resolver: cached negative answer may last up to 300 s", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, NULL } }, 1,
	  { { NULL, 0, NULL } }, NULL },
	{ "propagation: missing on the nameserver too is fail", "case.test",
	  "dkim:sel", CHECK_FAIL, "no DKIM record", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, NULL } }, 1,
	  { { "sel._domainkey.case.test", DNS_T_TXT, NULL } }, NULL },
	{ "propagation: a changed SPF seen on the nameserver is warn",
	  "case.test", "spf", CHECK_WARN, "published on ns.case.test", NULL,
	  { { "case.test", DNS_T_TXT, "v=spf1 ip4:" V4 " -all" } }, 1,
	  { { NULL, 0, NULL } }, NULL },
	{ "propagation: the mail host's A is its own zone's (case.test): its"
	  " nameserver shows it, warn", "case.test", "host-a", CHECK_WARN,
	  "published on ns.case.test (127.0.0.2), not yet visible through the"
	  " resolver", NULL, { { HOST, DNS_T_A, NULL } }, 1,
	  { { NULL, 0, NULL } }, NULL },
	{ "propagation: another domain's nameserver is never asked about"
	  " the mail host's A (not its zone): fail", "other.test", "host-a",
	  CHECK_FAIL, "no A record for " HOST, HOST ". 3600 IN A " V4,
	  { { HOST, DNS_T_A, NULL },
	    { "other.test", DNS_T_TXT, "v=spf1 ip4:" V4 " -all" } }, 1,
	  { { NULL, 0, NULL } }, NULL },
	{ "FORMERR is unknown, naming it", "case.test", "dkim:sel",
	  CHECK_UNKNOWN, "answered FORMERR", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, FORMERR } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "NOTIMP is unknown, naming it", "case.test", "mx", CHECK_UNKNOWN,
	  "answered NOTIMP", NULL, { { "case.test", DNS_T_MX, NOTIMP } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "a CNAME loop is unknown, naming where", "case.test", "dmarc",
	  CHECK_UNKNOWN, "CNAME loop at _dmarc.case.test", NULL,
	  { { "_dmarc.case.test", DNS_T_TXT, CNAMELOOP } }, 0,
	  { { NULL, 0, NULL } }, NULL },
	{ "a resolver error is unknown, not missing", "case.test", "dkim:sel",
	  CHECK_UNKNOWN, "sel._domainkey.case.test TXT got REFUSED", NULL,
	  { { "sel._domainkey.case.test", DNS_T_TXT, REFUSED } }, 0,
	  { { NULL, 0, NULL } }, NULL },
};

/* A signer notspam does not read (rspamd) takes the mail of rspamd.test,
 * a domain notspam knows no key of: the advice to tighten p= waits until
 * signing is confirmed.  The same records without it, or with a key
 * notspam reads, get the advice. */
static const struct signer_case signer_cases[] = {
	{ "rspamd", "change the record to",
	  { "DMARC: p=none, rspamd signing unseen: warn, p=none kept until"
	    " DKIM passes", "rspamd.test", "dmarc", CHECK_WARN, UNREAD_WHY,
	    "keep p=none until mail from rspamd.test carries a valid DKIM"
	    " signature", { { "_dmarc.rspamd.test", DNS_T_TXT, "v=DMARC1;"
	    " p=none; rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } },
	    NULL } },
	{ NULL, "keep p=none",
	  { "DMARC: p=none, no unread signer: the fix tightens p=",
	    "rspamd.test", "dmarc", CHECK_WARN, "p=none: monitoring only",
	    "\"v=DMARC1; p=quarantine; rua=mailto:dmarc@case.test\"",
	    { { "_dmarc.rspamd.test", DNS_T_TXT, "v=DMARC1; p=none;"
	    " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL } },
	{ "rspamd", "signed is unknown",
	  { "DMARC: p=none, rspamd in the path but a key notspam reads: the fix"
	    " tightens p=", "case.test", "dmarc", CHECK_WARN,
	    "p=none: monitoring only", "\"v=DMARC1; p=quarantine;"
	    " rua=mailto:dmarc@case.test\"",
	    { { "_dmarc.case.test", DNS_T_TXT, "v=DMARC1; p=none;"
	    " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL } },
	{ "rspamd", "p=quarantine;",
	  { "DMARC: missing, rspamd signing unseen: fail, publish p=none for a"
	    " start", "rspamd.test", "dmarc", CHECK_FAIL, "no DMARC record at"
	    " _dmarc.rspamd.test; publish p=none for a start: " UNREAD_WHY,
	    "_dmarc.rspamd.test. 3600 IN TXT \"v=DMARC1; p=none;"
	    " rua=mailto:dmarc@case.test\"",
	    { { "_dmarc.rspamd.test", DNS_T_TXT, NULL } }, 0,
	    { { NULL, 0, NULL } }, NULL } },
	{ NULL, "p=none",
	  { "DMARC: missing, no unread signer: publish p=quarantine",
	    "rspamd.test", "dmarc", CHECK_FAIL, "no DMARC record at"
	    " _dmarc.rspamd.test", "\"v=DMARC1; p=quarantine;"
	    " rua=mailto:dmarc@case.test\"",
	    { { "_dmarc.rspamd.test", DNS_T_TXT, NULL } }, 0,
	    { { NULL, 0, NULL } }, NULL } },
	{ "rspamd", NULL,
	  { "DMARC: p=reject, rspamd signing unseen: ok, the dependence said",
	    "rspamd.test", "dmarc", CHECK_OK, "p=reject counts on DKIM"
	    " signatures for forwarded mail: " UNREAD_WHY, NULL,
	    { { "_dmarc.rspamd.test", DNS_T_TXT, "v=DMARC1; p=reject;"
	    " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL } },
	{ "rspamd", "change the record to",
	  { "DMARC: sp=none, rspamd signing unseen: warn, sp= kept",
	    "rspamd.test", "dmarc", CHECK_WARN, "sp=none is the right start for"
	    " now: " UNREAD_WHY, "keep sp=none until",
	    { { "_dmarc.rspamd.test", DNS_T_TXT, "v=DMARC1; p=reject; sp=none;"
	    " rua=mailto:dmarc@case.test" } }, 0, { { NULL, 0, NULL } }, NULL } },
};

#define NSIGNER (sizeof signer_cases / sizeof signer_cases[0])

#define NCASES (sizeof cases / sizeof cases[0])

/* ---- the site ----------------------------------------------------------- */

static struct site *site;
static char *other_p;		/* p= of a key the site does not use */

/* Run a command in the root; 0 if it worked. */
static int
sh(const char *cmd)
{
	char buf[8192], *out;
	int rc;

	snprintf(buf, sizeof buf, "cd '%s' && umask 077 && (%s) >/dev/null"
	    " 2>&1 && echo OK", root, cmd);
	out = test_run(buf);
	rc = strcmp(out, "OK\n") == 0 ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "setup command failed: %s\n", buf);
	free(out);
	return rc;
}

static void
add_domain(struct site *s, const char *name)
{
	struct site_domain *d;

	s->domains = xreallocarray(s->domains, s->ndomains + 1,
	    sizeof *s->domains);
	d = &s->domains[s->ndomains++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->receives = 1;
}

static void
add_key(struct site *s, const char *domain, const char *selector,
    const char *keyfile)
{
	struct site_key *k;

	s->keys = xreallocarray(s->keys, s->nkeys + 1, sizeof *s->keys);
	k = &s->keys[s->nkeys++];
	memset(k, 0, sizeof *k);
	k->domain = xstrdup(domain);
	k->selector = xstrdup(selector);
	k->keyfile = xstrdup(keyfile);
	k->signer = xstrdup("opendkim");
}

static void
free_site(struct site *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ndomains; i++) {
		free(s->domains[i].name);
		strv_free(&s->domains[i].sources);
	}
	free(s->domains);
	for (i = 0; i < s->nkeys; i++) {
		free(s->keys[i].domain);
		free(s->keys[i].selector);
		free(s->keys[i].keyfile);
		free(s->keys[i].signer);
	}
	free(s->keys);
	free(s->settings->dmarc_rua);
	free(s->settings);
	strv_free(&s->ipv4);
	strv_free(&s->ipv6);
	free(s->hostname);
	free(s->root);
	free(s);
}

/* The p= of the first DKIM record of domain's records; caller frees. */
static char *
record_p(const char *domain)
{
	struct record_set *sets;
	char *cause = NULL, *p = NULL;
	size_t n, i;

	if (records_build(site, domain, &sets, &n, &cause) != 0)
		fail_msg("records_build %s: %s", domain, cause);
	assert_int_equal(n, 2);		/* the mail host's, the domain's */
	for (i = 0; i < sets[1].nrecords && p == NULL; i++)
		if (strncmp(sets[1].records[i].id, "dkim:", 5) == 0 &&
		    sets[1].records[i].value != NULL &&
		    strstr(sets[1].records[i].value, "p=") != NULL)
			p = xstrdup(strstr(sets[1].records[i].value, "p=") + 2);
	records_free(sets, n);
	assert_non_null(p);
	return p;
}

/* mail.case.test, one address of each family, every domain receiving:
 * case.test (and sub.case.test) with a 2048-bit key, the other domains one
 * for each DKIM case that needs a key of its own. */
static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	if (sh("mkdir -p etc/dkimkeys") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
	    " -out etc/dkimkeys/shared.private") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
	    " -out etc/dkimkeys/other.private") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024"
	    " -out etc/dkimkeys/weak.private") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512"
	    " -out etc/dkimkeys/tiny.private") ||
	    sh("openssl genpkey -algorithm ed25519"
	    " -out etc/dkimkeys/ed.private") ||
	    sh("cp etc/dkimkeys/shared.private etc/dkimkeys/grp.private &&"
	    " chmod 640 etc/dkimkeys/grp.private"))
		return -1;
	site = xcalloc(1, sizeof *site);
	site->root = xstrdup(root);
	site->settings = xcalloc(1, sizeof *site->settings);
	site->settings->dmarc_rua = xstrdup("mailto:dmarc@case.test");
	/* No domain blocklist (tests/unit/test_dnsbl.c, tests/shell/dnsbl.sh
	 * have them); the addresses are documentation ones: no IP list. */
	site->settings->have_domain_blocklists = 1;
	site->hostname = xstrdup(HOST);
	strv_add(&site->ipv4, V4);
	strv_add(&site->ipv6, V6);
	add_domain(site, "case.test");
	add_key(site, "case.test", "sel", "/etc/dkimkeys/shared.private");
	add_domain(site, "sub.case.test");
	add_key(site, "sub.case.test", "sel", "/etc/dkimkeys/shared.private");
	add_domain(site, "other.test");
	add_key(site, "other.test", "sel", "/etc/dkimkeys/other.private");
	add_domain(site, "weak.test");
	add_key(site, "weak.test", "sel", "/etc/dkimkeys/weak.private");
	add_domain(site, "tiny.test");
	add_key(site, "tiny.test", "sel", "/etc/dkimkeys/tiny.private");
	add_domain(site, "ed.test");
	add_key(site, "ed.test", "ed", "/etc/dkimkeys/ed.private");
	add_domain(site, "grp.test");
	add_key(site, "grp.test", "sel", "/etc/dkimkeys/grp.private");
	add_domain(site, "rspamd.test");	/* no key notspam reads */
	add_domain(site, "nokey.test");
	add_key(site, "nokey.test", "sel", "/etc/dkimkeys/none.private");
	other_p = record_p("other.test");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[4096], *out;

	(void)state;
	free_site(site);
	free(other_p);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	out = test_run(cmd);
	free(out);
	return 0;
}

/* ---- the DNS server ----------------------------------------------------- */

/* One answer row with its data as the server sends it. */
struct zrow {
	char	*name;
	int	 type;
	char	*data;		/* NULL: the RRset is removed */
};

struct zone {
	struct zrow	*v;
	size_t		 n;
};

/* One UDP server: the resolver's view or the nameserver's. */
struct server {
	int		 fd;
	int		 port;
	int		 auth;		/* sets AA */
	struct zone	 over;		/* the case's rows, searched first */
	const struct zone *base;
	size_t		 queries;
	struct strv	 asked;		/* every name asked, lower case */
};

static void
zone_add(struct zone *z, const char *name, int type, const char *data,
    const char *own_p)
{
	struct zrow *r;
	struct buf b;
	const char *s;
	size_t i;

	if (type == NEVER_ASKED)
		return;
	z->v = xreallocarray(z->v, z->n + 1, sizeof *z->v);
	r = &z->v[z->n++];
	r->name = str_lower(xstrdup(name));
	r->type = type;
	r->data = NULL;
	if (data == NULL)
		return;
	buf_init(&b);
	for (s = data; *s != '\0'; s++) {
		if (strncmp(s, OWN_P, 2) == 0) {
			buf_adds(&b, own_p != NULL ? own_p : "");
			s++;
		} else if (strncmp(s, OWN_P_BLANKS, 2) == 0) {
			for (i = 0; own_p != NULL && own_p[i] != '\0'; i++) {
				if (i > 0 && i % 50 == 0)
					buf_addc(&b, ' ');
				buf_addc(&b, own_p[i]);
			}
			s++;
		} else if (strncmp(s, OTHER_P, 2) == 0) {
			buf_adds(&b, other_p);
			s++;
		} else
			buf_addc(&b, *s);
	}
	r->data = buf_steal(&b);
}

static void
zone_free(struct zone *z)
{
	size_t i;

	for (i = 0; i < z->n; i++) {
		free(z->v[i].name);
		free(z->v[i].data);
	}
	free(z->v);
	z->v = NULL;
	z->n = 0;
}

static int
type_of(const char *t)
{
	if (strcmp(t, "A") == 0)
		return DNS_T_A;
	if (strcmp(t, "AAAA") == 0)
		return DNS_T_AAAA;
	if (strcmp(t, "MX") == 0)
		return DNS_T_MX;
	if (strcmp(t, "PTR") == 0)
		return DNS_T_PTR;
	if (strcmp(t, "TXT") == 0)
		return DNS_T_TXT;
	fail_msg("record type %s", t);
	return 0;
}

/* The zone where all is right for domain: its records and the mail
 * host's as computed, TXT in their character-strings.  *own_p: its DKIM
 * key's p= (caller frees). */
static void
base_zone(const char *domain, struct zone *z, char **own_p)
{
	struct record_set *sets;
	const struct record *r;
	char *cause = NULL, *name, *data, *p;
	struct buf b;
	size_t n, i, j, k;

	*own_p = NULL;
	if (records_build(site, domain, &sets, &n, &cause) != 0)
		fail_msg("records_build %s: %s", domain, cause);
	assert_int_equal(n, 2);
	assert_true(sets[0].host && !sets[1].host);
	for (k = 0; k < n; k++) {
		for (i = 0; i < sets[k].nrecords; i++) {
			r = &sets[k].records[i];
			if (r->value == NULL)
				continue;
			name = xstrndup(r->name, strlen(r->name) - 1);
			if (strcmp(r->type, "TXT") == 0) {
				buf_init(&b);
				for (j = 0; j < r->strings.n; j++)
					buf_printf(&b, "%s%s", j ? S : "",
					    r->strings.v[j]);
				data = buf_steal(&b);
			} else
				data = xstrdup(r->value);
			if (*own_p == NULL && strncmp(r->id, "dkim:", 5) == 0 &&
			    (p = strstr(r->value, "p=")) != NULL)
				*own_p = xstrdup(p + 2);
			zone_add(z, name, type_of(r->type), data, NULL);
			free(name);
			free(data);
		}
	}
	records_free(sets, n);
}

struct msg {
	unsigned char	 b[4096];
	size_t		 len;
};

static void
put8(struct msg *m, unsigned v)
{
	assert_true(m->len < sizeof m->b);
	m->b[m->len++] = (unsigned char)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* A host name in wire form ("." or "" is the root). */
static void
put_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;
	size_t n;

	while (*p != '\0' && strcmp(p, ".") != 0) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		assert_true(n > 0 && n < 64);
		put8(m, (unsigned)n);
		memcpy(m->b + m->len, p, n);
		m->len += n;
		p += n;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
}

/* The rdata of one row, after its RR header (rdlength patched). */
static void
put_rdata(struct msg *m, const struct zrow *r)
{
	size_t at = m->len, n;
	unsigned char addr[16];
	const char *s, *end;
	char *host;
	unsigned long pref;

	put16(m, 0);
	switch (r->type) {
	case DNS_T_A:
		assert_int_equal(inet_pton(AF_INET, r->data, addr), 1);
		memcpy(m->b + m->len, addr, 4);
		m->len += 4;
		break;
	case DNS_T_AAAA:
		assert_int_equal(inet_pton(AF_INET6, r->data, addr), 1);
		memcpy(m->b + m->len, addr, 16);
		m->len += 16;
		break;
	case DNS_T_MX:
		pref = strtoul(r->data, &host, 10);
		put16(m, (unsigned)pref);
		put_name(m, host + strspn(host, " "));
		break;
	case DNS_T_PTR:
	case DNS_T_NS:
		put_name(m, r->data);
		break;
	case DNS_T_TXT:
	case DNS_T_SPF:
		s = r->data;
		do {
			end = strchr(s, S[0]);
			n = end != NULL ? (size_t)(end - s) : strlen(s);
			if (n > 255)
				n = 255;
			put8(m, (unsigned)n);
			memcpy(m->b + m->len, s, n);
			m->len += n;
			s += n;
			if (*s == S[0])
				s++;
		} while (*s != '\0');
		break;
	default:
		fail_msg("no rdata for type %d", r->type);
	}
	n = m->len - at - 2;
	m->b[at] = (unsigned char)(n >> 8);
	m->b[at + 1] = (unsigned char)(n & 0xff);
}

/* The rows answering name/type from z (NULL: z says nothing about it). */
static int
zone_match(const struct zone *z, const char *name, int type, size_t *idx,
    size_t max)
{
	size_t i, n = 0;
	int said = 0;

	for (i = 0; i < z->n; i++) {
		if (z->v[i].type != type || strcmp(z->v[i].name, name) != 0)
			continue;
		said = 1;
		if (z->v[i].data != NULL && n < max)
			idx[n++] = i;
	}
	return said ? (int)n : -1;
}

/* Does the name exist in z (a row with data, any type)? */
static int
zone_has(const struct zone *z, const char *name)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		if (z->v[i].data != NULL && strcmp(z->v[i].name, name) == 0)
			return 1;
	return 0;
}

/* Answer one query from the server's view. */
static void
serve(int fd, short revents, void *arg)
{
	struct server *srv = arg;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof from;
	unsigned char q[1500];
	char name[256];
	struct msg m;
	const struct zone *z;
	size_t idx[32], qend, pos, k, i, nans = 0;
	ssize_t got;
	unsigned rcode = 0, qtype, lab;
	int n, loop = 0, said;

	(void)revents;
	got = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fromlen);
	if (got < 12)
		return;
	srv->queries++;
	/* The question: labels to a lower-case name without the final dot. */
	k = 0;
	for (pos = 12; pos < (size_t)got && q[pos] != 0; pos += lab + 1) {
		lab = q[pos];
		if (pos + 1 + lab > (size_t)got || k + lab + 2 > sizeof name)
			return;
		if (k > 0)
			name[k++] = '.';
		for (i = 0; i < lab; i++)
			name[k++] = (char)tolower(q[pos + 1 + i]);
	}
	name[k] = '\0';
	strv_add(&srv->asked, name);
	qend = pos + 5;
	if (qend > (size_t)got)
		return;
	qtype = (unsigned)q[pos + 1] << 8 | q[pos + 2];

	z = &srv->over;
	if ((n = zone_match(z, name, (int)qtype, idx, 32)) < 0) {
		z = srv->base;
		n = zone_match(z, name, (int)qtype, idx, 32);
	}
	if (n == 1 && strcmp(z->v[idx[0]].data, SERVFAIL) == 0)
		rcode = 2, n = 0;
	else if (n == 1 && strcmp(z->v[idx[0]].data, REFUSED) == 0)
		rcode = 5, n = 0;
	else if (n == 1 && strcmp(z->v[idx[0]].data, FORMERR) == 0)
		rcode = 1, n = 0;
	else if (n == 1 && strcmp(z->v[idx[0]].data, NOTIMP) == 0)
		rcode = 4, n = 0;
	else if (n == 1 && strcmp(z->v[idx[0]].data, NXDOMAIN) == 0)
		rcode = 3, n = 0;
	else if (n == 1 && strcmp(z->v[idx[0]].data, CNAMELOOP) == 0)
		loop = 1, n = 0;
	else if (n <= 0 && !zone_has(&srv->over, name) &&
	    !zone_has(srv->base, name))
		rcode = 3;	/* NXDOMAIN */
	if (n > 0)
		nans = (size_t)n;
	said = rcode != 0 || nans > 0 || loop;	/* no SOA */

	m.len = 0;
	put16(&m, (unsigned)q[0] << 8 | q[1]);		/* id */
	put16(&m, 0x8000 | (srv->auth ? 0x0400 : 0x0080) |
	    (q[2] & 0x01) << 8 | rcode);		/* QR, AA or RA, RD */
	put16(&m, 1);
	put16(&m, loop ? 2 : (unsigned)nans);
	put16(&m, !said || rcode == 3 ? 1 : 0);
	put16(&m, 0);
	memcpy(m.b + m.len, q + 12, qend - 12);		/* the question */
	m.len += qend - 12;
	if (loop) {
		/* name CNAME loop.name; loop.name CNAME name */
		put16(&m, 0xc00c);
		put16(&m, DNS_T_CNAME);
		put16(&m, 1);
		put32(&m, 300);
		k = m.len;
		put16(&m, 0);
		pos = m.len;
		put8(&m, 4);
		memcpy(m.b + m.len, "loop", 4);
		m.len += 4;
		put16(&m, 0xc00c);
		m.b[k + 1] = (unsigned char)(m.len - k - 2);
		put16(&m, 0xc000 | (unsigned)pos);
		put16(&m, DNS_T_CNAME);
		put16(&m, 1);
		put32(&m, 300);
		put16(&m, 2);
		put16(&m, 0xc00c);
	}
	for (i = 0; i < nans; i++) {
		put16(&m, 0xc00c);		/* the question's name */
		put16(&m, qtype);
		put16(&m, 1);
		put32(&m, 300);
		put_rdata(&m, &z->v[idx[i]]);
	}
	if (!said || rcode == 3) {
		/* SOA in the authority section: negative TTL 300 (RFC 2308). */
		put16(&m, 0xc00c);
		put16(&m, DNS_T_SOA);
		put16(&m, 1);
		put32(&m, 300);
		k = m.len;
		put16(&m, 0);
		put_name(&m, "ns.test");
		put_name(&m, "hostmaster.test");
		put32(&m, 1);
		put32(&m, 3600);
		put32(&m, 600);
		put32(&m, 86400);
		put32(&m, 300);
		m.b[k] = (unsigned char)((m.len - k - 2) >> 8);
		m.b[k + 1] = (unsigned char)((m.len - k - 2) & 0xff);
	}
	sendto(fd, m.b, m.len, 0, (struct sockaddr *)&from, fromlen);
}

/* A UDP socket on addr, any free port. */
static void
server_open(struct server *srv, const char *addr)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	srv->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(srv->fd >= 0);
	assert_int_equal(bind(srv->fd, (struct sockaddr *)&sin, sizeof sin),
	    0);
	assert_int_equal(getsockname(srv->fd, (struct sockaddr *)&sin, &len),
	    0);
	srv->port = ntohs(sin.sin_port);
}

/* ---- one case ----------------------------------------------------------- */

/* The item id of d, or NULL. */
static const struct check_item *
find_item(const struct check_domain *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->nitems; i++)
		if (strcmp(d->items[i].id, id) == 0)
			return &d->items[i];
	return NULL;
}

/* Why the item's verdict is not what the case wants, into why (empty when
 * it is); nofix, when not NULL, must be in neither detail nor fix. */
static void
judge(const struct rule_case *c, const char *nofix,
    const struct check_item *it, char *why, size_t size)
{
	const char *detail = it->detail != NULL ? it->detail : "(none)";
	const char *fix = it->fix != NULL ? it->fix : "(none)";

	if (it->status != c->want)
		snprintf(why, size, "%s: %s is %s, want %s; detail: %s",
		    c->domain, it->id, check_status_name(it->status),
		    check_status_name(c->want), detail);
	else if (c->detail != NULL && strstr(detail, c->detail) == NULL)
		snprintf(why, size, "%s: %s detail lacks \"%s\": %s",
		    c->domain, it->id, c->detail, detail);
	else if (c->fix != NULL && strstr(fix, c->fix) == NULL)
		snprintf(why, size, "%s: %s fix lacks \"%s\": %s", c->domain,
		    it->id, c->fix, fix);
	else if (nofix != NULL && (strstr(fix, nofix) != NULL ||
	    strstr(detail, nofix) != NULL))
		snprintf(why, size, "%s: %s says \"%s\": %s; fix: %s",
		    c->domain, it->id, nofix, detail, fix);
	else if (it->status == CHECK_OK && it->found.n == 0)
		/* ok means the record is there: show it (the console's
		 * "live:" line, check's "found"). */
		snprintf(why, size, "%s: %s is ok with nothing found",
		    c->domain, it->id);
	else if (c->want == CHECK_OK && it->fix != NULL)
		snprintf(why, size, "%s: %s is ok with a fix: %s", c->domain,
		    it->id, fix);
}

/* Was either server asked a name holding a NEVER_ASKED row's text?  Says
 * which into why. */
static int
asked_any(const struct rule_case *c, const struct server *rs,
    const struct server *ns, char *why, size_t size)
{
	const struct server *srv[2] = { rs, ns };
	size_t i, j, k;

	for (i = 0; i < MAXROWS && c->rows[i].name != NULL; i++) {
		if (c->rows[i].type != NEVER_ASKED)
			continue;
		for (k = 0; k < 2; k++)
			for (j = 0; j < srv[k]->asked.n; j++)
				if (strstr(srv[k]->asked.v[j],
				    c->rows[i].name) != NULL) {
					snprintf(why, size, "the %s was asked"
					    " for \"%s\"", k ? "nameserver" :
					    "resolver", srv[k]->asked.v[j]);
					return 1;
				}
	}
	return 0;
}

/* Run the check of the case's domain against the servers; the verdict
 * judged into why (empty: as wanted). */
static void
run_check(const struct rule_case *c, const char *nofix, struct server *rs,
    struct server *ns, char *why, size_t size)
{
	const char *domains[2] = { c->domain, NULL };
	const struct check_domain *res;
	const struct check_item *it;
	struct dns_opts opts;
	struct check_opts copts;
	struct loop *loop;
	struct dns *dns;
	struct check_run *run = NULL;
	char *cause = NULL, servers[64];
	int64_t deadline;
	size_t i, k, n;

	loop = loop_new();
	loop_fd_set(loop, rs->fd, POLLIN, serve, rs);
	loop_fd_set(loop, ns->fd, POLLIN, serve, ns);
	snprintf(servers, sizeof servers, "127.0.0.1:%d", rs->port);
	memset(&opts, 0, sizeof opts);
	opts.servers = servers;
	opts.timeout_ms = 1000;
	opts.tries = 1;
	if ((dns = dns_new(loop, &opts, &cause)) == NULL) {
		snprintf(why, size, "dns_new: %s", cause);
		goto done;
	}
	memset(&copts, 0, sizeof copts);
	copts.ns_port = ns->port;	/* the nameserver on 127.0.0.2 */
	if ((run = check_start(loop, dns, site, domains, &copts, NULL, NULL,
	    &cause)) == NULL) {
		snprintf(why, size, "check_start: %s", cause);
		goto done;
	}
	deadline = loop_now_ms() + 10000;
	while (!check_done(run) && loop_now_ms() < deadline)
		loop_once(loop, 100);
	res = check_results(run, &n);
	if (!check_done(run))
		snprintf(why, size, "the check did not end within 10 s");
	else if (rs->queries == 0 || (c->ns && ns->queries == 0))
		snprintf(why, size, "a server was never asked (resolver %zu,"
		    " nameserver %zu queries)", rs->queries, ns->queries);
	else if (asked_any(c, rs, ns, why, size))
		;	/* a name that must not be asked was */
	else if (n != 2 || !res[0].host || strcmp(res[0].domain, HOST) != 0 ||
	    res[1].host || strcmp(res[1].domain, c->domain) != 0)
		snprintf(why, size, "%zu results, want the host's and %s's", n,
		    c->domain);
	else if (c->id != NULL) {
		if ((it = find_item(&res[1], c->id)) == NULL &&
		    (it = find_item(&res[0], c->id)) == NULL)
			snprintf(why, size, "%s: no check %s", c->domain,
			    c->id);
		else
			judge(c, nofix, it, why, size);
	} else if (res[0].nitems != 5 || res[1].nitems != 4)
		/* host-a, host-aaaa, 2 ptr, spf-helo; mx, spf, dkim, dmarc */
		snprintf(why, size, "%zu and %zu checks, want 5 and 4",
		    res[0].nitems, res[1].nitems);
	else
		for (k = 0; k < 2; k++)
			for (i = 0; i < res[k].nitems && *why == '\0'; i++)
				judge(c, nofix, &res[k].items[i], why, size);
done:
	free(cause);
	check_free(run);
	dns_free(dns);
	loop_fd_set(loop, rs->fd, 0, NULL, NULL);
	loop_fd_set(loop, ns->fd, 0, NULL, NULL);
	loop_free(loop);
}

/* Run one case, with unread as the site's unread signer (or none). */
static void
run_case(const struct rule_case *c, const char *unread, const char *nofix)
{
	struct server rs, ns;
	struct zone base = { NULL, 0 };
	char *own_p, *ns_name, *path, why[4096] = "";
	size_t i;
	FILE *f;

	path = xasprintf("%s/etc/hosts", root);
	if (c->hosts != NULL) {
		assert_non_null(f = fopen(path, "w"));
		fputs(c->hosts, f);
		fclose(f);
	}
	base_zone(c->domain, &base, &own_p);
	memset(&rs, 0, sizeof rs);
	memset(&ns, 0, sizeof ns);
	rs.base = ns.base = &base;
	ns.auth = 1;
	for (i = 0; i < MAXROWS && c->rows[i].name != NULL; i++)
		zone_add(&rs.over, c->rows[i].name, c->rows[i].type,
		    c->rows[i].data, own_p);
	for (i = 0; i < 4 && c->auth[i].name != NULL; i++)
		zone_add(&ns.over, c->auth[i].name, c->auth[i].type,
		    c->auth[i].data, own_p);
	if (c->ns) {
		ns_name = xasprintf("ns.%s", c->domain);
		zone_add(&base, c->domain, DNS_T_NS, ns_name, NULL);
		zone_add(&base, ns_name, DNS_T_A, "127.0.0.2", NULL);
		free(ns_name);
	}
	server_open(&rs, "127.0.0.1");
	server_open(&ns, "127.0.0.2");
	if (unread != NULL)
		site_set_unread_signer(site, unread, UNREAD_SRC);
	run_check(c, nofix, &rs, &ns, why, sizeof why);
	free(site->unread_signer);
	free(site->unread_signer_source);
	site->unread_signer = site->unread_signer_source = NULL;

	close(rs.fd);
	close(ns.fd);
	strv_free(&rs.asked);
	strv_free(&ns.asked);
	zone_free(&rs.over);
	zone_free(&ns.over);
	zone_free(&base);
	free(own_p);
	if (c->hosts != NULL)
		unlink(path);
	free(path);
	if (*why != '\0')
		fail_msg("%s", why);
}

static void
test_case(void **state)
{
	run_case(*state, NULL, NULL);
}

static void
test_signer_case(void **state)
{
	const struct signer_case *sc = *state;

	run_case(&sc->c, sc->unread, sc->nofix);
}

int
main(void)
{
	struct CMUnitTest tests[NCASES + NSIGNER];
	size_t i;

	for (i = 0; i < NCASES; i++) {
		memset(&tests[i], 0, sizeof tests[i]);
		tests[i].name = cases[i].what;
		tests[i].test_func = test_case;
		tests[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	for (i = 0; i < NSIGNER; i++) {
		memset(&tests[NCASES + i], 0, sizeof tests[0]);
		tests[NCASES + i].name = signer_cases[i].c.what;
		tests[NCASES + i].test_func = test_signer_case;
		tests[NCASES + i].initial_state =
		    (void *)(uintptr_t)&signer_cases[i];
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
