/* logscan_rules.c: the table of known log lines and what each means.
 *
 * The texts are those the programs print (Postfix 3.x milter8.c and
 * smtpd/cleanup "milter-reject", OpenDKIM 2.11 and its libmilter, as
 * recorded in tests/fixtures/logs/real-*.log) and the replies big
 * receivers give (public reports named in tests/fixtures/logs/).  Each
 * rule is anchored where the program puts its text (the start of the
 * message, or right after a queue id), so a remote reply quoted later in a
 * line cannot pass for a local error; every test is a substring search,
 * linear in the line.  A remote reply's cause is remote.c's (the one table
 * the doctor, send-test and the queue follow share).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/doctor/logscan.h"
#include "core/doctor/logscan_int.h"
#include "core/doctor/remote.h"
#include "core/lib/util.h"

static const struct {
	const char	*id;
	const char	*title;
} logscan_causes[LOGSCAN_NCAUSES] = {
	[LOGSCAN_MILTER_REFUSED] = { "milter-refused",
	    "Postfix's connection to the milter was refused" },
	[LOGSCAN_MILTER_NOENT] = { "milter-no-socket",
	    "Postfix found no milter socket at that path" },
	[LOGSCAN_MILTER_DENIED] = { "milter-denied",
	    "Postfix may not open the milter socket" },
	[LOGSCAN_MILTER_TIMEOUT] = { "milter-timeout",
	    "Postfix's connection to the milter timed out" },
	[LOGSCAN_MILTER_NOADDR] = { "milter-no-address",
	    "Postfix cannot use the milter's address family" },
	[LOGSCAN_MILTER_CONNECT] = { "milter-connect",
	    "Postfix could not connect to the milter" },
	[LOGSCAN_MILTER_TEMPFAIL] = { "milter-tempfail",
	    "mail refused for now because the milter failed" },
	[LOGSCAN_MILTER_REJECT] = { "milter-reject",
	    "a milter rejected mail" },
	[LOGSCAN_MILTER_REPLY] = { "milter-no-reply",
	    "the milter did not answer Postfix" },
	[LOGSCAN_KEY_INSECURE] = { "key-insecure",
	    "OpenDKIM refuses a key others can read" },
	[LOGSCAN_KEY_LOAD] = { "key-load-error",
	    "OpenDKIM could not load a signing key" },
	[LOGSCAN_NO_SIGNING] = { "no-signing-match",
	    "OpenDKIM's signing table names no key for a sender" },
	[LOGSCAN_SIGNER_BIND] = { "signer-bind",
	    "the signer could not listen on its socket" },
	[LOGSCAN_SIGNER_SOCKET] = { "signer-socket",
	    "the signer did not start its listener" },
	[LOGSCAN_REMOTE_IPV6_PTR] = { "remote-gmail-ipv6",
	    "Gmail refused mail sent over IPv6 (PTR and authentication)" },
	[LOGSCAN_REMOTE_DMARC] = { "remote-dmarc-policy",
	    "a receiver refused mail under the sender domain's DMARC policy" },
	[LOGSCAN_REMOTE_UNAUTH] = { "remote-unauthenticated",
	    "a receiver refused mail as unauthenticated (no SPF or DKIM pass)" },
	[LOGSCAN_REMOTE_GMAIL_RATE] = { "remote-gmail-unsolicited",
	    "Gmail blocked the sending address for unsolicited mail" },
	[LOGSCAN_REMOTE_GMAIL_BULK] = { "remote-gmail-requirements",
	    "Gmail refused mail under its bulk-sender requirements" },
	[LOGSCAN_REMOTE_YAHOO_AUTH] = { "remote-yahoo-requirements",
	    "Yahoo refused mail under its sender requirements" },
	[LOGSCAN_REMOTE_YAHOO_BLOCK] = { "remote-yahoo-blocked",
	    "Yahoo deferred or blocked mail from the sending address" },
	[LOGSCAN_REMOTE_MS_BLOCK] = { "remote-microsoft-blocklist",
	    "Microsoft's block list holds the sending address" },
	[LOGSCAN_REMOTE_MS_AUTH] = { "remote-microsoft-auth",
	    "Microsoft refused mail below its authentication level" },
	[LOGSCAN_REMOTE_SPAMHAUS] = { "remote-spamhaus-listed",
	    "a receiver found the sending address on Spamhaus" },
	[LOGSCAN_REMOTE_SPAMHAUS_RESOLVER] = { "remote-spamhaus-resolver",
	    "a receiver's Spamhaus lookup failed (its resolver, not a listing)" },
};

const char *
logscan_cause_id(enum logscan_cause c)
{
	if ((unsigned)c >= LOGSCAN_NCAUSES)
		return "unknown";
	return logscan_causes[c].id;
}

int
logscan_cause_from_id(const char *id)
{
	int i;

	for (i = 0; i < LOGSCAN_NCAUSES; i++)
		if (strcmp(logscan_causes[i].id, id) == 0)
			return i;
	return -1;
}

const char *
logscan_cause_title(enum logscan_cause c)
{
	if ((unsigned)c >= LOGSCAN_NCAUSES)
		return "unknown";
	return logscan_causes[c].title;
}

const char *
logscan_find(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle));
}

void
logscan_hit_free(struct logscan_hit *h)
{
	free(h->endpoint);
	free(h->address);
	free(h->domain);
	free(h->detail);
	memset(h, 0, sizeof *h);
}

/* Does [p, end) start with prefix? */
static int
has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* The message past a Postfix queue id ("NOQUEUE: ", "94CC8A7C423: ") or
 * past an OpenDKIM job id, or the message itself when it has none. */
static const char *
skip_qid(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && q - p < 32 && isalnum((unsigned char)*q))
		q++;
	if (q > p && q + 1 < end && q[0] == ':' && q[1] == ' ')
		return q + 2;
	return p;
}

/* The length of [p, end) up to the first stop (or all of it). */
static size_t
span_until(const char *p, const char *end, const char *stop)
{
	const char *s = logscan_find(p, end - p, stop);

	return s == NULL ? (size_t)(end - p) : (size_t)(s - p);
}

/* A copy of [p, p + n), NULL when empty. */
static char *
dup_span(const char *p, size_t n)
{
	return n == 0 ? NULL : xstrndup(p, n);
}

/* The domain of an address "local@domain" (or of a bare domain), lower
 * case, when it is made of host-name characters only; else NULL. */
static char *
domain_of(const char *p, size_t n)
{
	const char *at = NULL, *q;
	char *d;
	size_t i;

	for (q = p; q < p + n; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		n -= at + 1 - p;
		p = at + 1;
	}
	if (n == 0 || n > 253)
		return NULL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '.' &&
		    p[i] != '-' && p[i] != '_')
			return NULL;
	d = xstrndup(p, n);
	return str_lower(d);
}

/* Postfix: "warning: connect to Milter service NAME: ERROR". */
static int
rule_milter_connect(const char *p, const char *end, struct logscan_hit *h)
{
	static const struct {
		const char		*text;
		enum logscan_cause	 cause;
	} errs[] = {
		{ "Connection refused", LOGSCAN_MILTER_REFUSED },
		{ "No such file or directory", LOGSCAN_MILTER_NOENT },
		{ "Permission denied", LOGSCAN_MILTER_DENIED },
		{ "Connection timed out", LOGSCAN_MILTER_TIMEOUT },
		{ "Cannot assign requested address", LOGSCAN_MILTER_NOADDR },
	};
	const char *e;
	size_t n, i;

	if (!has_prefix(p, end, "warning: connect to Milter service "))
		return 0;
	p += strlen("warning: connect to Milter service ");
	n = span_until(p, end, ": ");
	if (p + n == end)
		return 0;
	e = p + n + 2;
	h->cause = LOGSCAN_MILTER_CONNECT;
	for (i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (has_prefix(e, end, errs[i].text))
			h->cause = errs[i].cause;
	h->endpoint = dup_span(p, n);
	h->detail = dup_span(e, end - e);
	return 1;
}

/* Postfix smtpd/cleanup: "QID: milter-reject: STAGE from CLIENT: REPLY;
 * from=<sender> ...". */
static int
rule_milter_reject(const char *p, const char *end, struct logscan_hit *h)
{
	const char *stage, *reply, *f;
	size_t sn, rn;

	p = skip_qid(p, end);
	if (!has_prefix(p, end, "milter-reject: "))
		return 0;
	stage = p + strlen("milter-reject: ");
	sn = span_until(stage, end, " ");
	f = logscan_find(stage, end - stage, ": ");
	if (f == NULL)
		return 0;
	reply = f + 2;
	rn = span_until(reply, end, ";");
	h->cause = logscan_find(reply, rn,
	    "Service unavailable - try again later") != NULL ?
	    LOGSCAN_MILTER_TEMPFAIL : LOGSCAN_MILTER_REJECT;
	h->detail = xasprintf("%.*s: %.*s", (int)sn, stage, (int)rn, reply);
	if ((f = logscan_find(reply, end - reply, "from=<")) != NULL) {
		f += strlen("from=<");
		h->domain = domain_of(f, span_until(f, end, ">"));
	}
	return 1;
}

/* Postfix: "warning: milter NAME: can't read SMFIC_X reply packet header:
 * ERROR". */
static int
rule_milter_reply(const char *p, const char *end, struct logscan_hit *h)
{
	const char *r, *e;
	size_t n;

	if (!has_prefix(p, end, "warning: milter "))
		return 0;
	p += strlen("warning: milter ");
	n = span_until(p, end, ": can't read ");
	if (p + n == end)
		return 0;
	r = p + n + strlen(": can't read ");
	e = logscan_find(r, end - r, " reply packet header");
	if (e == NULL)
		return 0;
	h->cause = LOGSCAN_MILTER_REPLY;
	h->endpoint = dup_span(p, n);
	r = e;
	e += strlen(" reply packet header");
	if (has_prefix(e, end, ": "))
		e += 2;
	h->detail = xasprintf("%.*s: %.*s",
	    (int)(r - (p + n + strlen(": can't read "))),
	    p + n + strlen(": can't read "), (int)(end - e), e);
	return 1;
}

/* The domain of an OpenDKIM key name "selector._domainkey.domain", or of
 * the KeyTable's name itself when it is not of that form. */
static char *
key_domain(const char *p, size_t n)
{
	const char *d = logscan_find(p, n, "._domainkey.");

	if (d == NULL)
		return NULL;
	d += strlen("._domainkey.");
	return domain_of(d, n - (d - p));
}

/* OpenDKIM: "KEY: key data is not secure: WHY". */
static int
rule_key_insecure(const char *p, const char *end, struct logscan_hit *h)
{
	static const char needle[] = ": key data is not secure: ";
	size_t n = span_until(p, end, ": ");
	const char *w;

	if (p + n == end || !has_prefix(p + n, end, needle) ||
	    memchr(p, ' ', n) != NULL)
		return 0;
	w = p + n + strlen(needle);
	h->cause = LOGSCAN_KEY_INSECURE;
	h->endpoint = dup_span(p, n);
	h->domain = key_domain(p, n);
	h->detail = dup_span(w, end - w);
	return 1;
}

/* OpenDKIM: "QID: error loading key 'KEY'". */
static int
rule_key_load(const char *p, const char *end, struct logscan_hit *h)
{
	size_t n;

	p = skip_qid(p, end);
	if (!has_prefix(p, end, "error loading key '"))
		return 0;
	p += strlen("error loading key '");
	n = span_until(p, end, "'");
	h->cause = LOGSCAN_KEY_LOAD;
	h->endpoint = dup_span(p, n);
	h->domain = key_domain(p, n);
	return 1;
}

/* OpenDKIM (LogWhy): "QID: no signing table match for 'ADDR'". */
static int
rule_no_signing(const char *p, const char *end, struct logscan_hit *h)
{
	size_t n;

	p = skip_qid(p, end);
	if (!has_prefix(p, end, "no signing table match for '"))
		return 0;
	p += strlen("no signing table match for '");
	n = span_until(p, end, "'");
	h->cause = LOGSCAN_NO_SIGNING;
	h->domain = domain_of(p, n);
	h->detail = dup_span(p, n);
	return 1;
}

/* libmilter, prefixed by the filter's name ("OpenDKIM Filter: "): the
 * start of the text after that prefix, or NULL when the line has none. */
static const char *
milter_text(const char *p, const char *end, const char *needle)
{
	const char *c;

	if (has_prefix(p, end, needle))
		return p + strlen(needle);
	if ((c = logscan_find(p, end - p, ": ")) == NULL || c - p > 64)
		return NULL;
	c += 2;
	return has_prefix(c, end, needle) ? c + strlen(needle) : NULL;
}

/* libmilter: "Unable to bind to port SPEC: ERROR", "Unable to create
 * listening socket on conn SPEC", "smfi_opensocket() failed". */
static int
rule_signer(const char *p, const char *end, struct logscan_hit *h)
{
	const char *s;
	size_t n;

	if ((s = milter_text(p, end, "Unable to bind to port ")) != NULL) {
		n = span_until(s, end, ": ");
		h->cause = LOGSCAN_SIGNER_BIND;
		h->endpoint = dup_span(s, n);
		if (s + n < end)
			h->detail = dup_span(s + n + 2, end - s - n - 2);
		return 1;
	}
	if ((s = milter_text(p, end,
	    "Unable to create listening socket on conn ")) != NULL) {
		h->cause = LOGSCAN_SIGNER_SOCKET;
		h->endpoint = dup_span(s, end - s);
		return 1;
	}
	if (milter_text(p, end, "smfi_opensocket() failed") != NULL) {
		h->cause = LOGSCAN_SIGNER_SOCKET;
		h->detail = xstrdup("smfi_opensocket() failed");
		return 1;
	}
	return 0;
}

/*
 * Postfix smtp: "QID: to=<rcpt>, relay=HOST[ADDR]:PORT, ..., dsn=X.Y.Z,
 * status=bounced (host HOST[ADDR] said: REPLY (in reply to ...))", also
 * "status=deferred" and "refused to talk to me: REPLY".
 */
static int
rule_remote(const char *p, const char *end, struct logscan_hit *h)
{
	struct remote_verdict v;
	const char *st, *f;

	p = skip_qid(p, end);
	if (!has_prefix(p, end, "to=<"))
		return 0;
	if ((st = logscan_find(p, end - p, ", status=bounced (")) == NULL &&
	    (st = logscan_find(p, end - p, ", status=deferred (")) == NULL)
		return 0;
	if (logscan_find(st, end - st, " said: ") == NULL &&
	    logscan_find(st, end - st, " refused to talk to me: ") == NULL)
		return 0;
	/* The status text: remote.c takes the reply out of it. */
	if (remote_classify(st, end - st, NULL, NULL, &v) < 0) {
		remote_verdict_free(&v);
		return 0;
	}
	h->cause = v.cause;
	h->address = v.sending_addr;
	v.sending_addr = NULL;
	h->domain = domain_of(p + 4, span_until(p + 4, st, ">"));
	if ((f = logscan_find(p, st - p, ", relay=")) != NULL) {
		f += strlen(", relay=");
		h->endpoint = dup_span(f, span_until(f, st, ","));
	}
	if (v.code != 0)
		h->detail = v.enh[0] != '\0' ? xasprintf("%d %s", v.code,
		    v.enh) : xasprintf("%d", v.code);
	remote_verdict_free(&v);
	return 1;
}

typedef int (*logscan_rule_fn)(const char *, const char *,
    struct logscan_hit *);

/* Tried in order; the first that matches wins.  Each looks at most at a
 * fixed prefix and then scans the line once. */
static const logscan_rule_fn logscan_rules[] = {
	rule_milter_connect,
	rule_milter_reject,
	rule_milter_reply,
	rule_remote,
	rule_key_insecure,
	rule_key_load,
	rule_no_signing,
	rule_signer,
};

int
logscan_rules_match(const char *msg, size_t len, struct logscan_hit *hit)
{
	size_t i;

	memset(hit, 0, sizeof *hit);
	for (i = 0; i < sizeof logscan_rules / sizeof logscan_rules[0]; i++) {
		if (logscan_rules[i](msg, msg + len, hit))
			return 1;
		logscan_hit_free(hit);
	}
	return 0;
}
