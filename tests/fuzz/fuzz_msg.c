/* fuzz_msg.c: libFuzzer target for core/mail/msg.c and the parts of
 * core/mail/dkimverify.c and core/mail/verify.c that read a message
 * without DNS.
 *
 * Parses the input as a message: every field must have a non-empty name
 * without ':' and a raw text ending in CRLF, the body must be
 * NUL-terminated at bodylen; then every DKIM-Signature is read, each
 * still pending one is decided against a fixed (wrong) Ed25519 key record
 * (canonicalization, h= selection and the b= removal all run), and the
 * connecting hop and the From domain are looked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail/dkimverify.h"
#include "core/mail/msg.h"
#include "core/mail/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char key[] = "v=DKIM1; k=ed25519; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

static void
msg_check(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->nfields; i++) {
		const struct msg_field *f = &m->fields[i];
		if (*f->name == '\0' || strchr(f->name, ':') != NULL ||
		    f->rawlen < 2 || f->raw[f->rawlen - 2] != '\r' ||
		    f->raw[f->rawlen - 1] != '\n')
			abort();
	}
	if (m->body[m->bodylen] != '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_set *set;
	struct msg *m;
	char *cause = NULL, *ip = NULL, *helo = NULL, *d;
	size_t i, line;

	if ((m = msg_parse((const char *)data, size, &cause)) == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	msg_check(m);
	set = dkim_set_new(m, 1700000000);
	for (i = 0; i < set->nsigs; i++) {
		dkim_sig_record(set, &set->sigs[i], key, strlen(key));
		if (set->sigs[i].result == DKIM_PENDING ||
		    set->sigs[i].reason == NULL)
			abort();
	}
	dkim_set_free(set);
	if (verify_hop(m, NULL, &ip, &helo, &line) == 0 && ip == NULL)
		abort();
	free(ip);
	free(helo);
	for (i = 0; i < m->nfields; i++) {
		if ((d = msg_from_domain(m->fields[i].value, &cause)) != NULL)
			free(d);
		else
			free(cause);
		cause = NULL;
		free(msg_return_path(m->fields[i].value));
	}
	msg_free(m);
	return 0;
}
