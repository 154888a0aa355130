/* fuzz_follow.c: libFuzzer target for core/mail/follow.c and the reply
 * classifier it hands the receiver's answer to (core/doctor/remote.c).
 *
 * The input's first line is the queue id followed (one of a few known
 * ones when it is not a valid id), the rest are log lines fed one by one,
 * then the whole input again as one line.  Whatever it holds: the status
 * is one of the enum's, a line that made it final leaves it final, every
 * string of the result is sanitized (no control byte) and bounded, the
 * lines kept never pass 200 and "...", and the reply's classification
 * gives a known cause (or -1) with sanitized, bounded records.
 * Seeds: tests/fuzz/seeds/follow (Postfix and OpenSMTPD lines).
 * Build: make fuzz (build/fuzz/fuzz_follow).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/doctor/logscan.h"
#include "core/doctor/remote.h"
#include "core/lib/util.h"
#include "core/mail/follow.h"
#include "core/site/site.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	((time_t)1796141400)

/* Is s NULL or free of C0 controls and DEL, and at most max bytes? */
static int
clean(const char *s, size_t max)
{
	const unsigned char *p;

	if (s == NULL)
		return 1;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return (size_t)(p - (const unsigned char *)s) <= max;
}

static void
check(const struct follow *f)
{
	const struct follow_result *r = follow_result(f);
	const size_t max = 4 * LOGSCAN_LINE_MAX;
	struct remote_verdict v;
	struct site site;
	char host[] = "mail.example.org";
	size_t i;

	if ((unsigned)r->status > FOLLOW_NOLOG || r->queue_id == NULL)
		abort();
	if (!clean(r->rcpt, max) || !clean(r->relay, max) ||
	    !clean(r->dsn, max) || !clean(r->reply, max) ||
	    !clean(r->sending_addr, 64) || !clean(r->line, max) ||
	    !clean(r->bounce_qid, 4 * 64))
		abort();
	if (r->status != FOLLOW_WAITING && r->line == NULL)
		abort();
	if (r->lines.n > 201 || (r->lines.n == 201 &&
	    strcmp(r->lines.v[200], "...") != 0))
		abort();
	for (i = 0; i < r->lines.n; i++)
		if (!clean(r->lines.v[i], max))
			abort();
	if (r->reply == NULL)
		return;
	memset(&site, 0, sizeof site);
	site.hostname = host;
	if (remote_classify(r->reply, strlen(r->reply), "example.org", &site,
	    &v) >= LOGSCAN_NCAUSES || v.code < 0 || v.code > 599 ||
	    strlen(v.enh) >= sizeof v.enh || !clean(v.sending_addr, 64))
		abort();
	if (v.cause >= 0 && (v.id == NULL || v.explain == NULL ||
	    v.fix == NULL))
		abort();
	for (i = 0; i < v.records.n; i++)
		if (!clean(v.records.v[i], 1024))
			abort();
	remote_verdict_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const known[] = { "93366A7A181", "1a2b3c4d",
	    "4ZK3mT0bq5z9sLk" };
	const char *s = (const char *)data, *end = s + len, *p, *nl;
	struct follow_opts o;
	struct follow *f;
	char *qid;
	enum follow_status before;
	int got;

	nl = memchr(s, '\n', len);
	qid = xstrndup(s, nl != NULL ? (size_t)(nl - s) : len);
	memset(&o, 0, sizeof o);
	o.queue_id = qid;
	o.rcpt = len > 0 && (data[0] & 1) ? "rcpt@example.net" : NULL;
	if ((f = follow_new(&o, NULL)) == NULL) {
		o.queue_id = known[len % 3];
		if ((f = follow_new(&o, NULL)) == NULL)
			abort();
	}
	for (p = nl != NULL ? nl + 1 : end; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		before = follow_result(f)->status;
		got = follow_feed(f, p, nl - p, NOW);
		if (got != 0 && got != 1)
			abort();
		if (got == 1 && follow_result(f)->status == FOLLOW_WAITING)
			abort();
		if (before != FOLLOW_WAITING &&
		    follow_result(f)->status == FOLLOW_WAITING)
			abort();
		if (nl == end)
			break;
	}
	check(f);
	follow_feed(f, s, len, NOW);
	check(f);
	follow_free(f);
	free(qid);
	return 0;
}
