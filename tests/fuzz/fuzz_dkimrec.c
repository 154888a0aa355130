/* fuzz_dkimrec.c: libFuzzer target for core/dns/dkimrec.c.
 *
 * Parses the input as a DKIM key record; a record that parses must hold a
 * known key type and a p= without blanks, and its key is then decoded and
 * compared with fixed local keys (RSA and Ed25519).  The input also goes
 * through the base64 decoder.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. core/lib/util.c \
 *       core/dns/dkimrec.c tests/fuzz/fuzz_dkimrec.c -lcrypto -o /tmp/fuzz_dkimrec
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dns/dkimrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A 1024-bit RSA SubjectPublicKeyInfo and a raw Ed25519 key (public keys
 * only, made for this target). */
static const char rsa_p[] =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDUjqxKDF2JoQVV6HSrMeWCStBu"
    "hvmJR2yl6zAoAHI3pPV/+eUU54MYROrMvZXz8/YNhAKMUGywiK8yJdt1yepKq//+"
    "cgYquwhMt3ISQWOW3F10kuajWC5rSprHbJuEHkpvrYdZkQHJekngnwzNsipCySKY"
    "HY9B89K6+Txfk/NoiwIDAQAB";
static const char ed_p[] = "jdBtJ1Ua1J0bvJxdBLkuDs+12RccTsk4ps+yX9ST6G0=";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dkimrec rec;
	unsigned char *raw;
	char *cause = NULL;
	size_t n;
	int bits, m;

	if ((raw = dkimrec_base64((const char *)data, len, &n)) != NULL) {
		if (n > len)
			abort();
		free(raw);
	}
	if (dkimrec_parse((const char *)data, len, &rec, &cause) != 0) {
		if (cause == NULL || rec.p != NULL || rec.k != NULL)
			abort();
		free(cause);
		return 0;
	}
	if (cause != NULL || rec.p == NULL || rec.k == NULL ||
	    (strcmp(rec.k, "rsa") != 0 && strcmp(rec.k, "ed25519") != 0) ||
	    strpbrk(rec.p, " \t\r\n") != NULL)
		abort();
	if (dkimrec_key_bits(rec.k, rec.p, &bits, &cause) == 0) {
		if (bits <= 0 || cause != NULL)
			abort();
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;
	m = dkimrec_key_match(rec.k, rec.p, "rsa", rsa_p, &cause);
	if (m < -1 || m > 1 || (m == -1) != (cause != NULL))
		abort();
	free(cause);
	cause = NULL;
	m = dkimrec_key_match(rec.k, rec.p, "ed25519", ed_p, &cause);
	if (m < -1 || m > 1 || (m == -1) != (cause != NULL))
		abort();
	free(cause);
	dkimrec_free(&rec);
	return 0;
}
