/* records.h: the DNS records a site needs, per hosted domain.
 *
 * For each domain: MX (when the domain receives mail here), A and AAAA of
 * the mail hostname, a PTR for every public address naming the mail host,
 * SPF of the domain authorizing every public address, SPF of the mail
 * hostname (HELO checks), one DKIM TXT per selector computed from the private
 * key, and DMARC at _dmarc.  Record ids are stable: "mx", "host-a",
 * "host-aaaa", "ptr:<address>", "spf", "spf-helo", "dkim:<selector>",
 * "dmarc".
 *
 * Choices:
 * - "host-a" / "host-aaaa" repeat, one record per public address, all with
 *   the same id: together they are one RRset ("host-a" with several values),
 *   as in DNS.  Every other id is unique within a domain's set, except
 *   "dkim:<selector>" when one selector is configured with two different
 *   key files: the second is a record in error.  The host,
 *   PTR and spf-helo records concern the mail host, not the domain, so every
 *   domain's set carries the same ones.
 * - SPF (of the domain, and of the mail hostname for HELO checks) lists
 *   every public address explicitly: "v=spf1 ip4:A ip6:B -all".  No DNS
 *   lookups, no dependence on MX or A records, IPv6 never forgotten.  With
 *   no known public address: "v=spf1 a:<hostname> -all".
 * - DMARC: "v=DMARC1; p=<dmarc_policy>" (default p=quarantine), plus
 *   "; rua=<dmarc_rua>" only when dmarc_rua is set (a default report address
 *   could be a mailbox that does not exist); a rua without a scheme gets
 *   "mailto:".
 * - A record whose value cannot be computed (unreadable DKIM key, unknown
 *   mail hostname) has error set and value NULL; the rest are still built.
 *   Without a mail hostname, host-a/host-aaaa/spf-helo are left out.
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
	char		*domain;
	struct record	*records;
	size_t		 nrecords;
};

/*
 * Compute the records for every hosted domain of the site, or only `domain`
 * when it is not NULL (-1 with *cause when it is not a hosted domain).
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
