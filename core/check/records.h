/* records.h: the DNS records a site needs: one set for the mail host,
 * then one per hosted domain.
 *
 * The host set (host set, first): A and AAAA of the mail hostname, a PTR
 * for every public address naming the HELO name, and SPF of the HELO name
 * (HELO checks).  These concern the mail host, not a domain: every hosted
 * domain's mail needs them, and they are published once, in the host's
 * zone and in the reverse zones.
 * Each domain's set: MX (when the domain receives mail here), SPF of the
 * domain authorizing every public address, one DKIM TXT per selector
 * computed from the private key, and DMARC at _dmarc.
 * Record ids are stable: "host-a", "host-aaaa", "ptr:<address>",
 * "spf-helo" (host set); "mx", "spf", "dkim:<selector>", "dmarc",
 * "dmarc-report" (domain sets).
 *
 * Choices:
 * - "host-a" / "host-aaaa" repeat, one record per public address, all with
 *   the same id: together they are one RRset ("host-a" with several values),
 *   as in DNS.  Every other id is unique within a set, except
 *   "dkim:<selector>" when one selector is configured with two different
 *   key files: the second is a record in error.
 * - The host set is named by the HELO name (site_helo(): the MTA's HELO
 *   name, else its hostname).  Without either there is no host set (the
 *   site's warnings and the MX record's error say why); without a hostname
 *   the host set has no host-a/host-aaaa.
 * - SPF (of the domain, and of the HELO name for HELO checks) lists
 *   every public address explicitly: "v=spf1 ip4:A ip6:B -all".  No DNS
 *   lookups, no dependence on MX or A records, IPv6 never forgotten.  With
 *   no known public address: "v=spf1 a:<hostname> -all".
 * - DMARC: "v=DMARC1; p=<dmarc_policy>" (default p=quarantine), plus
 *   "; rua=<dmarc_rua>" only when dmarc_rua is set (a default report address
 *   could be a mailbox that does not exist); a rua without a scheme gets
 *   "mailto:".
 * - A record whose value cannot be computed (unreadable DKIM key, unknown
 *   mail hostname) has error set and value NULL; the rest are still built.
 * - Addresses are written canonically (inet_ntop); entries of site->ipv4 /
 *   ipv6 that are not addresses are skipped.
 */
#ifndef NOTSPAM_RECORDS_H
#define NOTSPAM_RECORDS_H

#include <stddef.h>

#include "core/site/site.h"
#include "core/lib/util.h"

/* The TTL written in zone lines. */
#define RECORDS_TTL 3600

struct record {
	char		*id;
	char		*name;	/* owner, fully qualified with the final dot */
	char		*type;	/* "MX", "A", "AAAA", "PTR", "TXT" */
	char		*value;	/* presentation value; TXT: the joined text */
	struct strv	 strings; /* TXT: the character-strings (<= 255 bytes each) */
	char		*why;	/* one line: what it is for / how it was chosen */
	char		*error;	/* NULL, or why the value could not be computed
				   (e.g. an unreadable key); value is then NULL */
};

struct record_set {
	char		*domain;	/* the domain; the host set: the HELO name
					   (lower case, no final dot) */
	int		 host;		/* 1: the mail host's set */
	struct record	*records;
	size_t		 nrecords;
};

/*
 * Compute the records of the site: the host set first (when the HELO name
 * or hostname is known), then a set for every hosted domain, or only for
 * `domain` when it is not NULL (-1 with *cause when it is not a hosted
 * domain; the host set is still first: that domain's mail needs it).
 * Returns 0 and sets *out / *nout (free with records_free).
 */
int records_build(const struct site *, const char *domain,
    struct record_set **out, size_t *nout, char **cause);
void records_free(struct record_set *, size_t);

/* Split TXT text into character-strings of at most 255 bytes, cutting
 * greedily but never inside a UTF-8 sequence; "" gives one empty string.
 * The strings are appended to out. */
void records_split_txt(const char *text, struct strv *out);

/*
 * The zone-file form of a record, one line, or for TXT over one string the
 * parenthesized multi-string form over several lines:
 *   name. 3600 IN TXT ( "v=DKIM1; k=rsa; "
 *                       "p=..." )
 * Quotes and backslashes in strings are escaped.  Caller frees.
 * Exactly: "<name> 3600 IN <TYPE> <value>"; TXT in one string:
 * "<name> 3600 IN TXT \"...\""; TXT in several: "<name> 3600 IN TXT ( \"s1\""
 * then one line per further string, indented by a tab, the last ending
 * with " )"; no final newline.  Inside strings, bytes outside printable
 * ASCII (controls, DEL, and bytes >= 0x80, as dig prints them) become \DDD
 * decimal escapes.  A record with no value gives a zone-file comment
 * "; <name> <TYPE>: not computed: <error>".
 */
char *records_zone_line(const struct record *);

/* The reverse-lookup owner name of an address: "25.2.0.192.in-addr.arpa."
 * or the nibble form under "ip6.arpa.".  NULL if addr is not an address. */
char *records_reverse_name(const char *addr);

#endif
