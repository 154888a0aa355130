/* dnsbl.h: DNS blocklists (DNSBLs, RFC 5782): which lists a check run
 * asks, the names it asks them, and what their answers mean.
 *
 * IP lists are asked for every public address of the server (the
 * address's octets reversed, IPv6 as 32 reversed nibbles, before the
 * list's zone: "25.2.0.192.zen.spamhaus.org"); domain lists for every
 * hosted domain and the HELO name ("example.org.dbl.spamhaus.org").  Only
 * lists that serve IPv6 are asked for IPv6 addresses: of the defaults only
 * Spamhaus ZEN (its documentation describes nibble queries); Barracuda and
 * SpamCop document IPv4 queries only.  A list named in the settings with
 * "+ipv6" after it is asked for IPv6 addresses too.
 *
 * An answer is a listing only when every address in it is inside
 * 127.0.0.0/8 and none is an error code: Spamhaus's 127.255.255.0/24
 * (typing error in the zone, public/open resolver, over the free limit,
 * a refused DQS key), DBL's 127.0.1.255 (an address asked of a domain
 * list), and 127.0.0.1, which RFC 5782 §5 says no list contains.  An
 * address outside 127/8 is a resolver rewriting answers or a list whose
 * domain lapsed (SpamCop's did in 2021): not a listing.  NXDOMAIN and
 * NODATA are "not listed"; a timeout, SERVFAIL or REFUSED, "unknown".
 * The rule (core/check/check_rules.c) also asks each list's test entry
 * (RFC 5782 §5: 127.0.0.2 for IP lists; dbltest.com for Spamhaus DBL,
 * "test" for other domain lists), which must be listed: when it is not,
 * the resolver does not pass the list's answers (many public and hosting
 * resolvers answer NXDOMAIN for every Spamhaus query) and "not listed"
 * means nothing.  A listing is only believed when the entry the list must
 * not hold (127.0.0.1, "invalid") is not listed: a list that lists
 * everything (one shut down that way) tells nothing either.
 *
 * Spamhaus DQS zones ("<key>.zen.dq.spamhaus.net") are known lists whose
 * key is never shown: shown names and ids use the zone without the key.
 */
#ifndef NOTSPAM_DNSBL_H
#define NOTSPAM_DNSBL_H

#include <stddef.h>

#include "core/dns/dns.h"
#include "core/lib/util.h"

struct settings;
struct zone_set;

enum dnsbl_kind {
	DNSBL_IP,	/* lists addresses */
	DNSBL_DOMAIN,	/* lists domain names */
};

/* At most this many lists in one setting. */
#define DNSBL_MAX_LISTS	16
/* The longest zone name: an IPv6 query (72 bytes of nibbles) must fit. */
#define DNSBL_ZONE_MAX	180

/* The defaults of the settings blocklists and domain_blocklists. */
#define DNSBL_DEFAULT_IP	"zen.spamhaus.org b.barracudacentral.org" \
				" bl.spamcop.net"
#define DNSBL_DEFAULT_DOMAIN	"dbl.spamhaus.org"

struct dnsbl_known;

/* One list to ask.  Strings owned by the list. */
struct dnsbl_list {
	char			*zone;		/* asked: lower case, no final
						   dot */
	char			*shown;		/* in messages and ids: the
						   zone, a DQS key left out */
	char			*label;		/* "Spamhaus ZEN
						   (zen.spamhaus.org)", or the
						   shown zone */
	enum dnsbl_kind		 kind;
	int			 ipv6;		/* asked for IPv6 addresses */
	int			 secret;	/* the zone holds a key: only
						   shown is ever printed */
	char			*test;		/* the name of the entry it must
						   list ("2.0.0.127.<zone>") */
	char			*untest;	/* the name of one it must not */
	const char		*test_entry;	/* "127.0.0.2", "dbltest.com" */
	const char		*untest_entry;	/* "127.0.0.1", "invalid" */
	const struct dnsbl_known *known;	/* NULL: a list notspam knows
						   nothing of */
};

struct dnsbl_set {
	struct dnsbl_list	*v;		/* IP lists first, then domain
						   lists, each in settings
						   order */
	size_t			 n;
};

/*
 * Check one word of the setting blocklists (kind DNSBL_IP) or
 * domain_blocklists (DNSBL_DOMAIN): a zone name (letters, digits, hyphens;
 * two labels at least; at most DNSBL_ZONE_MAX bytes; one final dot
 * allowed), for IP lists optionally followed by "+ipv6".  A known list of
 * the other kind is refused ("dbl.spamhaus.org lists domains: name it in
 * domain_blocklists").  Returns 0 and *out (caller frees) in the one form
 * kept, lower case without the final dot ("bl.example.net+ipv6"), or -1
 * with *cause (caller frees; the word escaped, at most 60 bytes of it).
 */
int dnsbl_entry_check(enum dnsbl_kind, const char *word, char **out,
    char **cause);

/*
 * The lists of the settings: their blocklists and domain_blocklists, each
 * a list of words dnsbl_entry_check() kept, or the defaults above for a
 * setting the file does not set (settings NULL: both defaults); a word
 * that does not check is skipped.  Free with dnsbl_set_free().
 */
void dnsbl_lists(const struct settings *, struct dnsbl_set *);
void dnsbl_set_free(struct dnsbl_set *);

/*
 * The name to ask list l about target: an address (IPv4: the octets
 * reversed; IPv6: 32 nibbles reversed) for an IP list, a domain name
 * for a domain list, followed by the zone.  NULL when target is not an
 * address (IP list) or the name could not be asked (too long, not a
 * name).  dnsbl_shown_name() is the same name with the shown zone (the
 * key of a DQS zone left out), for messages.  Caller frees.
 */
char *dnsbl_query_name(const struct dnsbl_list *l, const char *target);
char *dnsbl_shown_name(const struct dnsbl_list *l, const char *target);

enum dnsbl_verdict {
	DNSBL_NOT_LISTED,	/* NXDOMAIN, NODATA */
	DNSBL_LISTED,		/* listing codes only */
	DNSBL_UNKNOWN,		/* an error code, an address outside 127/8,
				   no answer */
};

/*
 * Judge the A answer of list l: its status and the addresses it holds
 * (canonical text, in any order: the text takes them sorted).  *text (when text is not NULL; caller frees): for a
 * listing, each code with what it means ("127.0.0.4 XBL: ...; 127.0.0.10
 * PBL: ..."); for unknown, why ("127.255.255.254: the query came through
 * a public or open resolver, which Spamhaus does not answer"); NULL when
 * not listed.  The text holds no DNS data but the addresses, which are
 * canonical; an address that is not one is named as "an address that is
 * not IPv4".
 */
enum dnsbl_verdict dnsbl_judge(const struct dnsbl_list *l,
    enum dns_status status, const char *const *addrs, size_t naddrs,
    char **text);

/* Sort addresses (text) in numeric order, those that are not IPv4
 * addresses last: listings and their codes read the same in every run,
 * whatever order the answer came in. */
void dnsbl_sort(const char **addrs, size_t n);

/* Where to ask for removal from list l ("https://check.spamhaus.org/"),
 * or NULL for a list notspam does not know. */
const char *dnsbl_delist(const struct dnsbl_list *l);

/* What to do about a listing on l, one sentence for the fix line: the
 * list's own way out (SpamCop: wait; the others: fix, then ask). */
const char *dnsbl_howto(const struct dnsbl_list *l);

/* Why l's test entry may not answer through a resolver, beyond the
 * usual (Barracuda: only registered resolvers are answered), or NULL. */
const char *dnsbl_refusal_hint(const struct dnsbl_list *l);

/* Zone-file mode: does a zone of the set hold name (the name is at or
 * under a loaded zone's apex)? */
int dnsbl_zone_holds(const struct zone_set *, const char *name);
/* Keep only the lists whose test entry a zone of the set holds (in
 * zone-file mode nothing else can answer: the others are not asked). */
void dnsbl_keep_held(struct dnsbl_set *, const struct zone_set *);

#endif
