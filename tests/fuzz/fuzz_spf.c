/* fuzz_spf.c: libFuzzer target for the SPF record parser and the macro
 * expander of core/dns/spf.c (no DNS).
 *
 * The input is linted as a record (as is, and behind "v=spf1 "), then
 * expanded as a domain-spec and as explanation text.  A lint result must
 * come with a cause exactly when it fails; flags only on success; an
 * expanded domain is never over 253 bytes nor ends in a dot.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. core/dns/spf.c \
 *       core/dns/dns.c core/lib/loop.c core/lib/util.c tests/fuzz/fuzz_spf.c \
 *       $(pkg-config --libs libcares) -o /tmp/fuzz_spf
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/dns/spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Lint text and check the contract of spf_lint(). */
static void
fuzz_lint(const char *text, size_t len)
{
	char *cause = NULL;
	int flags = -1, rc;

	rc = spf_lint(text, len, &flags, &cause);
	if ((rc == 0) != (cause == NULL) || (rc != 0 && flags != 0) ||
	    (rc != 0 && rc != -1))
		abort();
	free(cause);
}

/* Expand text both ways with a few request shapes. */
static void
fuzz_expand(const char *text)
{
	static const char *const ips[] = {
		"192.0.2.3", "2001:db8::cb01", "::ffff:198.51.100.1",
	};
	struct spf_request req;
	char *out, *cause;
	size_t i, n;
	int expl;

	memset(&req, 0, sizeof req);
	req.domain = "email.example.com";
	req.sender = "strong-bad@email.example.com";
	req.helo = "mx.example.org";
	for (i = 0; i < sizeof ips / sizeof ips[0]; i++) {
		req.ip = ips[i];
		req.sender = i == 2 ? text : "strong-bad@email.example.com";
		for (expl = 0; expl < 2; expl++) {
			cause = NULL;
			out = spf_expand(text, &req, i == 1 ? "mx.example.org" :
			    NULL, expl, &cause);
			if ((out == NULL) == (cause == NULL))
				abort();
			if (out != NULL && !expl) {
				n = strlen(out);
				if (n > 0 && out[n - 1] == '.')
					abort();
				if (n > 253 && strchr(out, '.') != NULL)
					abort();
			}
			free(out);
			free(cause);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text, *rec;

	if (len > 4096)
		return 0;
	text = malloc(len + 1);
	rec = malloc(len + 8);
	if (text == NULL || rec == NULL)
		abort();
	memcpy(text, data, len);
	text[len] = '\0';
	fuzz_lint(text, len);
	memcpy(rec, "v=spf1 ", 7);
	memcpy(rec + 7, data, len);
	rec[len + 7] = '\0';
	fuzz_lint(rec, len + 7);
	fuzz_expand(text);
	free(rec);
	free(text);
	return 0;
}
