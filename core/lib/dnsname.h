/* dnsname.h: DNS names as text: put in the one form the checks compare
 * (lower case, no final dot), compared, tested against a zone.
 *
 * Names are presentation text as the program holds them ("Example.ORG.",
 * "mail.example.org"); escapes ("\\." "\\DDD") are not read.  Case is ASCII
 * case, as DNS compares names (RFC 4343).  Only the _ok functions check
 * syntax, and the wire form (names in messages, compression) is core/dns/dns_parse.c's.
 * No function keeps a pointer to its arguments.
 */
#ifndef NOTSPAM_DNSNAME_H
#define NOTSPAM_DNSNAME_H

#include <stddef.h>

/* The name in lower case without its final dot ("." stays "."); the caller
 * frees it. */
char *dnsname_norm(const char *name);

/* dnsname_norm() into buf (size bytes): buf, or NULL when the name does not
 * fit (strlen(name) >= size) and nothing was written. */
char *dnsname_norm_into(const char *name, char *buf, size_t size);

/* Are a and b the same name: case ignored, one final dot on either ignored? */
int dnsname_equal(const char *a, const char *b);

/* Is name the zone itself or a name under it ("a.b.example.org" under
 * "example.org", not "badexample.org")?  Case ignored; both without the
 * final dot. */
int dnsname_under(const char *name, const char *zone);

/*
 * Is name a host name (RFC 952, RFC 1123 2.1): labels of letters, digits
 * and hyphens, none starting or ending with a hyphen, 1 to 63 bytes each,
 * 253 in all, one final dot allowed?  What an MX, NS or PTR answer must
 * name; anything else (an escape, a control byte, "_", an empty label) is
 * not a host and is never asked.  "." (the root) is not a host name.
 */
int dnsname_host_ok(const char *name);

/*
 * Can name be asked as it is: labels of 1 to 63 bytes, 253 in all, one
 * final dot allowed, no control byte (C0, DEL) and no "\\" (which resolvers
 * read as an escape, so "\\027x" would go out as "027x")?  Looser than a
 * host name: "_dmarc", a space or UTF-8 from an SPF macro expansion ("%{l}"
 * of a quoted local part) pass.
 */
int dnsname_query_ok(const char *name);

#endif
