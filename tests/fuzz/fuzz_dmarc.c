/* fuzz_dmarc.c: libFuzzer target for core/dns/dmarc.c.
 *
 * Parses the input as a DMARC record: a record that parses must start like
 * one, hold only known policy words and a pct within 0..100, and every
 * mailto: report URI must have a lower-case domain.  The organizational
 * domain of the input (as a string) must be a suffix of it.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. core/lib/util.c \
 *       core/dns/dmarc.c tests/fuzz/fuzz_dmarc.c -o /tmp/fuzz_dmarc
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dns/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Is s NULL or one of the policy words? */
static int
policy_ok(const char *s)
{
	return s == NULL || strcmp(s, "none") == 0 ||
	    strcmp(s, "quarantine") == 0 || strcmp(s, "reject") == 0;
}

static void
uris_check(const struct dmarc_uri *u, size_t n)
{
	const char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (u[i].uri == NULL || u[i].scheme == NULL)
			abort();
		if (strcmp(u[i].scheme, "mailto") != 0)
			continue;
		if (u[i].address == NULL || u[i].domain == NULL ||
		    *u[i].domain == '\0')
			abort();
		for (p = u[i].domain; *p != '\0'; p++)
			if (isupper((unsigned char)*p))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct dmarc_rec rec;
	char *cause = NULL, *s, *org;

	if (dmarc_parse((const char *)data, len, &rec, &cause) != 0) {
		if (cause == NULL || rec.p != NULL || rec.nrua != 0)
			abort();
		free(cause);
	} else {
		if (cause != NULL || !dmarc_is_record((const char *)data, len) ||
		    !policy_ok(rec.p) || !policy_ok(rec.sp) ||
		    !policy_ok(rec.np) || rec.pct < -1 || rec.pct > 100 ||
		    (rec.p == NULL && rec.nrua == 0))
			abort();
		uris_check(rec.rua, rec.nrua);
		uris_check(rec.ruf, rec.nruf);
		dmarc_free(&rec);
	}
	s = malloc(len + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';
	org = dmarc_org_domain(s);
	if (strlen(org) > strlen(s))
		abort();
	free(org);
	free(s);
	return 0;
}
