/* fuzz_dns.c: libFuzzer target for dns_parse (core/dns/dns_parse.c).
 *
 * The input is parsed twice: as a whole message, and as the sections after
 * a fixed header and question ("example.org", the type picked by the first
 * byte) so that the fuzzer reaches the records without having to guess the
 * question.  Whatever the bytes, dns_parse must not crash, and what it
 * returns must be consistent: a status, an error when it fails, TXT text
 * equal to its strings joined, every text NUL-terminated at len.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. core/lib/util.c \
 *       core/dns/dns_parse.c tests/fuzz/fuzz_dns.c -o /tmp/fuzz_dns
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dns/dns_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Check one parse result against the contract in core/dns/dns_parse.h. */
static void
fuzz_check(int rc, const struct dns_answer *a)
{
	const struct dns_rr *rr;
	size_t i, j, off;

	if (rc == -1 && (a->status != DNS_ERROR || a->error == NULL ||
	    a->nrrs != 0 || a->rrs != NULL))
		abort();
	if (rc == 0 && a->status == DNS_OK && a->nrrs == 0)
		abort();
	if (rc == 0 && a->status != DNS_OK && a->nrrs != 0)
		abort();
	for (i = 0; i < a->nrrs; i++) {
		rr = &a->rrs[i];
		if (rr->text == NULL || rr->text[rr->len] != '\0')
			abort();
		if (rr->type != DNS_T_TXT && rr->type != DNS_T_SPF)
			continue;
		for (j = 0, off = 0; j < rr->nstrings; j++) {
			if (off + rr->lens[j] > rr->len ||
			    memcmp(rr->text + off, rr->strings[j],
			    rr->lens[j]) != 0 ||
			    rr->strings[j][rr->lens[j]] != '\0')
				abort();
			off += rr->lens[j];
		}
		if (off != rr->len)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const int types[] = {
		DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_TXT, DNS_T_SPF,
		DNS_T_PTR, DNS_T_CNAME, DNS_T_NS, DNS_T_SOA, 99 + 1,
	};
	static const uint8_t question[] = {
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
	};
	struct dns_answer a;
	uint8_t *msg;
	size_t n;
	int type, rc;

	if (len < 1)
		return 0;
	type = types[data[0] % (sizeof types / sizeof types[0])];

	rc = dns_parse(data, len, "example.org", type, &a);
	fuzz_check(rc, &a);
	dns_answer_clear(&a);

	/* Header counts from the input, then the fixed question. */
	if (len < 9)
		return 0;
	n = 12 + sizeof question + 4 + (len - 9);
	if ((msg = malloc(n)) == NULL)
		return 0;
	msg[0] = 0x12;
	msg[1] = 0x34;
	msg[2] = data[1] | 0x80;
	msg[3] = data[2];
	msg[4] = 0;
	msg[5] = 1;
	memcpy(msg + 6, data + 3, 6);
	memcpy(msg + 12, question, sizeof question);
	msg[12 + sizeof question] = (uint8_t)(type >> 8);
	msg[12 + sizeof question + 1] = (uint8_t)type;
	msg[12 + sizeof question + 2] = 0;
	msg[12 + sizeof question + 3] = 1;
	memcpy(msg + 12 + sizeof question + 4, data + 9, len - 9);
	rc = dns_parse(msg, n, "Example.ORG.", type, &a);
	fuzz_check(rc, &a);
	dns_answer_clear(&a);
	free(msg);
	return 0;
}
