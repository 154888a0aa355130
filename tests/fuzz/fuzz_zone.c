/* fuzz_zone.c: libFuzzer target for the zone-file parser (core/dns/zone.c).
 *
 * Parses the input as a zone file; a failed parse must leave a message
 * starting with the file name and nothing loaded.  When it parses, every
 * owner of the file is asked for every type read, and the answer must be a
 * message the wire parser (core/dns/dns_parse.c) reads.  Build: make fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dns/dns.h"
#include "core/dns/dns_parse.h"
#include "core/dns/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const int fuzz_types[] = {
	DNS_T_A, DNS_T_NS, DNS_T_CNAME, DNS_T_SOA, DNS_T_PTR, DNS_T_MX,
	DNS_T_TXT, DNS_T_AAAA, DNS_T_SPF, 39 /* DNAME */,
};

/* Ask a few names every type; the answers must parse. */
static void
fuzz_ask(const struct zone_set *zs, const char *name)
{
	struct dns_answer a;
	unsigned char *msg;
	size_t len, i;

	for (i = 0; i < sizeof fuzz_types / sizeof fuzz_types[0]; i++) {
		if (zone_set_answer(zs, name, fuzz_types[i], &msg, &len) != 0)
			continue;
		/* The CNAMEs are the one thing an answer may be refused for
		 * (a chain too long, a loop of CNAMEs or of DNAMEs that
		 * rewrite into each other, a target that is no host name):
		 * a resolver would give SERVFAIL.  The message itself must
		 * read. */
		if (dns_parse(msg, len, name, fuzz_types[i], &a) != 0 &&
		    strstr(a.error, "CNAME") == NULL)
			abort();
		dns_answer_clear(&a);
		free(msg);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct zone_set *zs = zone_set_new();
	char *cause = NULL;

	if (zone_set_parse(zs, "fuzz.zone", (const char *)data, len,
	    &cause) != 0) {
		if (cause == NULL || strncmp(cause, "fuzz.zone", 9) != 0 ||
		    zone_set_records(zs) != 0)
			abort();
		free(cause);
	} else {
		fuzz_ask(zs, "fuzz");
		fuzz_ask(zs, "www.fuzz");
		fuzz_ask(zs, "mail.fuzz.");
		fuzz_ask(zs, "a.b.fuzz");
	}
	zone_set_free(zs);
	return 0;
}
