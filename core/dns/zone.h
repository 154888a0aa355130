/* zone.h: master-format zone files (RFC 1035 section 5) read into an
 * in-memory record set, and DNS answers made from it: notspam's zone-file
 * mode (--zones), in which every lookup is answered from files instead of
 * the DNS.
 *
 * Read: $ORIGIN, $TTL, "@", relative names, an omitted owner (the previous
 * one), TTL and class in either order (IN only), parentheses over several
 * lines, quoted and multi-string TXT, comments, \c and \DDD escapes, TTLs
 * with units (1h30m).  Records of A, AAAA, MX, TXT, SPF, PTR, NS, CNAME,
 * DNAME and SOA are kept; any other type (CAA, SRV, TLSA, TYPE65, ...)
 * makes its name exist and is otherwise not read.  $INCLUDE is refused
 * (each file is given to --zones instead: nothing outside the named files
 * is ever read).
 * A file is one zone: its first record is the SOA of the zone's apex and
 * every name in it is at or under the apex.  Limits: a file of at most
 * ZONE_FILE_MAX bytes, an entry (a record over all its lines) of at most
 * ZONE_ENTRY_MAX bytes, control bytes other than tab, CR and LF refused.
 * Every error names file:line and what is wrong.
 *
 * Answers are DNS response messages, so that the resolver reads them with
 * the wire parser (core/dns/dns_parse.h) exactly as it reads the network's:
 * the same name normalization, TTLs, TXT strings kept apart.  CNAMEs are
 * followed as a recursive resolver would; a name under no loaded zone is
 * NXDOMAIN (only the given zones are known).  Wildcards answer as RFC 4592
 * says: a name that does not exist (no record at it or under it) is
 * answered from "*." and its closest encloser (its nearest ancestor that
 * exists, an empty non-terminal included) when that exists, with the
 * name as owner, else NXDOMAIN; a name that exists never matches a
 * wildcard.  A DNAME (RFC 6672)
 * above the name, the one nearest the apex, gives the DNAME and the CNAME
 * it synthesizes (YXDOMAIN when that name would be too long), and the
 * answer goes on at the new name; the DNAME's own name is answered as
 * usual, the names under it never from their own records.  Zone cuts (NS
 * below the apex) are not followed: a zone is answered as one.
 */
#ifndef NOTSPAM_ZONE_H
#define NOTSPAM_ZONE_H

#include <stddef.h>

#define ZONE_FILE_MAX	(16u * 1024 * 1024)
#define ZONE_ENTRY_MAX	(64u * 1024)

struct zone_set;

/* An empty set; zone_set_free frees it and everything loaded into it. */
struct zone_set *zone_set_new(void);
void zone_set_free(struct zone_set *);

/*
 * Load a zone file, or every "*.zone" file of a directory (in name order).
 * A file's first origin is its name without the directory and a final
 * ".zone" ("example.org.zone": example.org), until $ORIGIN changes it.
 * Returns 0, or -1 with *cause (caller frees) naming file:line; the set
 * then holds what was loaded before the failing file.
 */
int zone_set_load(struct zone_set *, const char *path, char **cause);

/* Parse zone text as if read from a file of that name (tests, fuzzer). */
int zone_set_parse(struct zone_set *, const char *file, const char *text,
    size_t len, char **cause);

/* Records and zones loaded. */
size_t zone_set_records(const struct zone_set *);
size_t zone_set_zones(const struct zone_set *);

/*
 * The response message a server holding the set would send for (name,
 * type): *msg (caller frees) of *len bytes, AA set, the SOA of the zone in
 * the authority section of a negative answer.  name is a query name as
 * dns_query takes it ("\c" stands for c).  Returns 0, or -1 when the name
 * cannot be a query name (too long, an empty label).
 */
int zone_set_answer(const struct zone_set *, const char *name, int type,
    unsigned char **msg, size_t *len);

#endif
