/* dns_parse.h: the DNS wire parser: a response message read into the
 * struct dns_answer of core/dns/dns.h.
 *
 * The resolver (core/dns/dns.c) hands it every message c-ares receives;
 * tests and the fuzzer call it on bytes of their own.  It never reads past
 * len, follows only compression pointers that point back (no loops), and
 * bounds CNAME hops and records per section.  Names in the answer are in
 * presentation form: lower case, no final dot ("." for the root), and '.',
 * '\\' and bytes outside 0x21-0x7e inside a label escaped as \c or \DDD.
 */
#ifndef NOTSPAM_DNS_PARSE_H
#define NOTSPAM_DNS_PARSE_H

#include <stddef.h>

#include "core/dns/dns.h"

/*
 * Parse a DNS response message for the question name/type.  Fills *a (free
 * with dns_answer_clear whatever the result; a->name points at name, which
 * must outlive *a);
 * returns 0, or -1 with a->status DNS_ERROR and a->error (a static string)
 * set when the message is malformed.  An rcode other than NOERROR,
 * NXDOMAIN, SERVFAIL and REFUSED is 0 with DNS_ERROR and its a->error.
 */
int dns_parse(const unsigned char *msg, size_t len, const char *name,
    int type, struct dns_answer *a);

/* Free the records of an answer dns_parse filled (not a itself); *a can be
 * filled again. */
void dns_answer_clear(struct dns_answer *);

#endif
