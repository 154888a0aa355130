/* fuzz_smtpreply.c: libFuzzer target for core/mail/smtp_parse.c.
 *
 * Parses the input as a stream of SMTP replies, as the client does.  A
 * reply that parses must take at most the input, end in CRLF, stay within
 * the RFC 5321 limits (lines, octets), have a 2xx..5xx code and an
 * enhanced code of the same class, show lines free of control bytes, and
 * parse the same from a copy of exactly its octets; every prefix of it
 * must be "not complete yet".  A refusal must say why.  The queue id of a
 * reply holds only its allowed characters.  The input is also dot-stuffed:
 * the output has no bare CR or LF, no line starting with a lone '.' but
 * the last, and ends in CRLF "." CRLF.  Build: make fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The invariants of one parsed reply of used octets at p. */
static void
reply_check(const char *p, size_t used, const struct smtp_reply *r)
{
	struct smtp_reply again;
	size_t u2, i;
	char *cause = NULL, *id;
	const char *c;

	if (used < 5 || p[used - 2] != '\r' || p[used - 1] != '\n' ||
	    r->code < 200 || r->code > 559 || r->nlines < 1 ||
	    r->nlines > SMTP_REPLY_LINES || r->shown.n != r->nlines ||
	    used > (size_t)SMTP_LINE_MAX * r->nlines)
		abort();
	if (r->enh[0] != '\0' && r->enh[0] != '0' + r->code / 100)
		abort();
	for (i = 0; i < r->shown.n; i++)
		for (c = r->shown.v[i]; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
	/* Exactly its octets, in a fresh buffer (ASan sees any overread). */
	{
		char *copy = malloc(used);

		if (copy == NULL)
			return;
		memcpy(copy, p, used);
		if (smtp_reply_parse(copy, used, &again, &u2, &cause) != 1 ||
		    u2 != used || again.code != r->code ||
		    again.textlen != r->textlen ||
		    memcmp(again.text, r->text, r->textlen) != 0)
			abort();
		smtp_reply_free(&again);
		/* A prefix is never a whole reply, nor an error. */
		if (smtp_reply_parse(copy, used - 1, &again, &u2, &cause) != 0)
			abort();
		free(copy);
	}
	if ((id = smtp_reply_queue_id(r)) != NULL) {
		if (*id == '\0' || strlen(id) > 64 ||
		    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-") != strlen(id))
			abort();
		free(id);
	}
}

static void
stuff_check(const char *data, size_t len)
{
	size_t n, i;
	char *out = smtp_dotstuff(data, len, &n);

	if (n < 3 || memcmp(out + n - 3, ".\r\n", 3) != 0 ||
	    (n > 3 && (n < 5 || memcmp(out + n - 5, "\r\n", 2) != 0)))
		abort();
	for (i = 0; i < n; i++) {
		if (out[i] == '\r' && (i + 1 >= n || out[i + 1] != '\n'))
			abort();
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			abort();
		/* A line starting with '.': doubled, unless it is the end. */
		if ((i == 0 || out[i - 1] == '\n') && out[i] == '.' &&
		    i != n - 3 && (i + 1 >= n || out[i + 1] != '.'))
			abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data;
	struct smtp_reply r;
	size_t off = 0, used;
	char *cause;
	int ret;

	while (off < len) {
		cause = NULL;
		ret = smtp_reply_parse(p + off, len - off, &r, &used, &cause);
		if (ret == 0) {
			if (cause != NULL)
				abort();
			break;
		}
		if (ret < 0) {
			if (cause == NULL || *cause == '\0')
				abort();
			free(cause);
			break;
		}
		if (used == 0 || used > len - off)
			abort();
		reply_check(p + off, used, &r);
		smtp_reply_free(&r);
		off += used;
	}
	stuff_check(p, len);
	return 0;
}
