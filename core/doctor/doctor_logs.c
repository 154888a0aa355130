/* doctor_logs.c: the log's known lines (core/doctor/logscan.h) as the
 * doctor's evidence: a local milter or signer failure joins the finding
 * of the hop it names (or becomes one), a remote answer becomes a finding
 * of its own with what the receiver wants. */
#include "core/doctor/doctor.h"

#include <stdlib.h>
#include <string.h>

#include "core/doctor/logscan.h"
#include "core/lib/util.h"

/* What a remote answer means and what to do about it. */
static const struct {
	enum logscan_cause	 cause;
	const char		*explain;
	const char		*fix;
} doc_remote[] = {
	{ LOGSCAN_REMOTE_IPV6_PTR,
	  "Gmail accepts mail over IPv6 only from an address whose PTR "
	  "record names a host that resolves back to it, and only when the "
	  "mail passes SPF or DKIM for the sender's domain.",
	  "give the sending IPv6 address a PTR record (your provider's "
	  "panel) matching the HELO name, cover it in SPF, and sign; or "
	  "send over IPv4 (smtp_address_preference = ipv4, offered by "
	  "notspam apply)" },
	{ LOGSCAN_REMOTE_DMARC,
	  "The receiver applied the sender domain's DMARC policy: the mail "
	  "passed neither SPF nor DKIM aligned with the From domain.",
	  "sign with d= the From domain (notspam keys, apply) and publish "
	  "the records notspam records prints" },
	{ LOGSCAN_REMOTE_UNAUTH,
	  "Gmail (5.7.26) refuses mail that passes neither SPF nor DKIM.",
	  "publish SPF for the sending addresses and sign every domain "
	  "(notspam check shows what is missing)" },
	{ LOGSCAN_REMOTE_GMAIL_RATE,
	  "Gmail limits senders whose mail its users mark as spam or whose "
	  "authentication is weak.",
	  "make SPF, DKIM and DMARC pass (notspam check), then send less "
	  "until the reputation recovers" },
	{ LOGSCAN_REMOTE_GMAIL_BULK,
	  "Gmail's sender requirements: SPF and DKIM, DMARC for bulk "
	  "senders, a PTR record, TLS.",
	  "notspam check lists each record; notspam doctor the signing" },
	{ LOGSCAN_REMOTE_YAHOO_AUTH,
	  "Yahoo requires SPF or DKIM to pass (DMARC for bulk senders).",
	  "publish SPF and sign (notspam check)" },
	{ LOGSCAN_REMOTE_YAHOO_BLOCK,
	  "Yahoo deferred the mail for the sending address's reputation "
	  "(TSS codes).",
	  "make authentication pass, check blocklists, and retry later" },
	{ LOGSCAN_REMOTE_MS_BLOCK,
	  "Microsoft (Outlook, Hotmail) lists the sending address on its own "
	  "block list (S3150).",
	  "ask for delisting at https://sender.office.com after making "
	  "SPF, DKIM and DMARC pass" },
	{ LOGSCAN_REMOTE_MS_AUTH,
	  "Microsoft (5.7.515) requires SPF, DKIM and DMARC to pass for "
	  "high-volume senders.",
	  "publish SPF and DMARC and sign (notspam check)" },
	{ LOGSCAN_REMOTE_SPAMHAUS,
	  "The receiver refuses senders listed by Spamhaus (zen: SBL, XBL "
	  "or PBL; the PBL lists dynamic and residential ranges).",
	  "look the address up at https://check.spamhaus.org and follow "
	  "its removal steps; a PBL listing needs a relay or a static "
	  "address" },
	{ LOGSCAN_REMOTE_SPAMHAUS_RESOLVER,
	  "The receiver's own DNS resolver is refused by Spamhaus (an open "
	  "or public resolver): not a listing of this server.",
	  "nothing to fix here; the receiver must fix its resolver" },
};

/* The matches of milter connection failures. */
static int
doc_is_connect(enum logscan_cause c)
{
	return c == LOGSCAN_MILTER_REFUSED || c == LOGSCAN_MILTER_NOENT ||
	    c == LOGSCAN_MILTER_DENIED || c == LOGSCAN_MILTER_TIMEOUT ||
	    c == LOGSCAN_MILTER_NOADDR || c == LOGSCAN_MILTER_CONNECT ||
	    c == LOGSCAN_MILTER_REPLY;
}

/* The finding of a hop dialing endpoint (its title starts "FROM dials
 * ENDPOINT:"), or NULL. */
static struct doctor_finding *
doc_hop_finding(struct doctor *d, const char *endpoint)
{
	struct doctor_finding *f;
	char *needle;
	size_t i;

	if (endpoint == NULL)
		return NULL;
	needle = xasprintf(" dials %s:", endpoint);
	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		if (strncmp(f->id, "milter-", 7) == 0 &&
		    strstr(f->title, needle) != NULL) {
			free(needle);
			return f;
		}
	}
	free(needle);
	return NULL;
}

/* The match as one evidence line. */
static void
doc_log_evidence(struct doctor_finding *f, const struct logscan_match *m)
{
	char *t = logscan_match_text(m);

	doctor_evidence(f, "log %s", t);
	free(t);
}

/* A failed connect under milter_default_action = accept: the mail of
 * those lines left unsigned, so the warning becomes a failure. */
static void
doc_accepted(struct doctor *d, const struct logscan_match *m)
{
	struct doctor_finding *f = doctor_find(d, "milter-accept");

	if (f == NULL)
		return;
	f->sev = DOCTOR_FAIL;
	doctor_evidence(f, "the log: %zu message%s left unsigned after this "
	    "(%s)", m->count, m->count == 1 ? "" : "s",
	    m->endpoint != NULL ? m->endpoint : "a milter");
}

/* A local failure: evidence of the finding it explains, else its own. */
static void
doc_local(struct doctor *d, const struct logscan_match *m)
{
	struct doctor_finding *f = NULL;
	const char *id = logscan_cause_id(m->cause);

	if (doc_is_connect(m->cause))
		f = doc_hop_finding(d, m->endpoint);
	else if (m->cause == LOGSCAN_KEY_INSECURE)
		f = doctor_find(d, "key-insecure");
	if (f == NULL && m->cause == LOGSCAN_MILTER_TEMPFAIL)
		f = doctor_find(d, "milter-refused");
	if (doc_is_connect(m->cause))
		doc_accepted(d, m);
	if (f == NULL) {
		f = doctor_add(d, id, m->cause == LOGSCAN_NO_SIGNING ?
		    DOCTOR_WARN : DOCTOR_FAIL,
		    doc_is_connect(m->cause) ? "The configuration looks "
		    "right, but Postfix could not reach the milter when it "
		    "tried: the signer was down, or is listening elsewhere "
		    "than configured." : NULL,
		    doc_is_connect(m->cause) ? "start the signer and check "
		    "where it listens (notspam doctor on this machine probes "
		    "it)" : NULL, "%s%s%s", logscan_cause_title(m->cause),
		    m->endpoint != NULL ? ": " : "",
		    m->endpoint != NULL ? m->endpoint : "");
	}
	doc_log_evidence(f, m);
}

/* A remote answer: a finding per cause and sending address. */
static void
doc_remote_answer(struct doctor *d, const struct logscan_match *m)
{
	const char *explain = NULL, *fix = NULL;
	struct doctor_finding *f;
	size_t i;

	for (i = 0; i < sizeof doc_remote / sizeof doc_remote[0]; i++)
		if (doc_remote[i].cause == m->cause) {
			explain = doc_remote[i].explain;
			fix = doc_remote[i].fix;
		}
	f = doctor_add(d, logscan_cause_id(m->cause),
	    m->cause == LOGSCAN_REMOTE_SPAMHAUS_RESOLVER ? DOCTOR_NOTE :
	    DOCTOR_FAIL, explain, fix, "%s%s%s%s%s (%zu time%s)",
	    logscan_cause_title(m->cause), m->address != NULL ? ", from " : "",
	    m->address != NULL ? m->address : "", m->domain != NULL ?
	    ", to " : "", m->domain != NULL ? m->domain : "", m->count,
	    m->count == 1 ? "" : "s");
	doc_log_evidence(f, m);
}

void
doctor_logs(struct doctor *d, const struct logscan *ls)
{
	const struct logscan_match *m;
	size_t i, read = 0;

	for (i = 0; i < ls->nmatches; i++) {
		m = &ls->matches[i];
		if (m->cause >= LOGSCAN_REMOTE_IPV6_PTR)
			doc_remote_answer(d, m);
		else
			doc_local(d, m);
	}
	for (i = 0; i < ls->nsources; i++)
		read += ls->sources[i].state == LOGSCAN_READ;
	if (read == 0)
		strv_add(&d->notes, "no mail log was found to read "
		    "(/var/log/mail.log, maillog_file, the journal)");
	doctor_sort(d);
}

struct doctor *
doctor_make(const struct site *site, const struct plan *p,
    const struct listen_report *r)
{
	struct doctor *d = doctor_config(site);
	struct logscan_opts lo;
	struct logscan *ls;

	memset(&lo, 0, sizeof lo);
	lo.journal = 1;
	ls = logscan_new(&lo);
	logscan_site(ls, site);
	doctor_logs(d, ls);
	logscan_free(ls);
	if (r != NULL)
		doctor_probes(d, r);
	doctor_fixable(d, p);
	return d;
}
