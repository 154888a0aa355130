/* doctor_logs.c: the log's known lines (core/doctor/logscan.h) as the
 * doctor's evidence: a local milter or signer failure joins the finding
 * of the hop it names (or becomes one), a remote answer becomes a finding
 * of its own with what the receiver wants. */
#include "core/doctor/doctor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/doctor/listen.h"
#include "core/doctor/logscan.h"
#include "core/doctor/remote.h"
#include "core/lib/util.h"

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

/* Which finding took a connect failure of which process: a milter-reject
 * of the same process joins it. */
struct doc_pid {
	const char	*program;	/* the match's, borrowed */
	long		 pid;
	size_t		 finding;	/* index in d->v */
};

/* One pass over a scan's matches. */
struct doc_pids {
	struct doc_pid			*v;
	size_t				 n;
	const struct listen_report	*r;	/* the probes, or NULL */
};

/* Was the match's latest line logged before the site's files last
 * changed?  Lines carry whole seconds: one logged in the second of the
 * change counts as after it (a failure is not hidden on a guess). */
static int
doc_history(const struct doctor *d, const struct logscan_match *m)
{
	return d->changed != 0 && m->last != 0 && m->last < d->changed;
}

/* Does every probe of the endpoint a failed connect names answer now? */
static int
doc_answers_now(const struct listen_report *r, const struct logscan_match *m)
{
	const struct listen_endpoint *ep;
	size_t i;
	int seen = 0;

	if (r == NULL || !r->probed || m->endpoint == NULL ||
	    !doc_is_connect(m->cause))
		return 0;
	for (i = 0; i < r->nendpoints; i++) {
		ep = &r->endpoints[i];
		if (ep->address == NULL || strcmp(ep->address, m->endpoint) != 0)
			continue;
		if (!listen_state_ok(ep->state))
			return 0;
		seen = 1;
	}
	return seen;
}

/* A failed connect under milter_default_action = accept: the mail of
 * those lines left unsigned, so the warning becomes a failure (not for
 * lines from before the configuration changed, nor when the milter
 * answers the probe now). */
static void
doc_accepted(struct doctor *d, const struct logscan_match *m,
    const struct listen_report *r)
{
	struct doctor_finding *f = doctor_find(d, "milter-accept");

	if (f == NULL)
		return;
	if (!doc_history(d, m) && !doc_answers_now(r, m))
		f->sev = DOCTOR_FAIL;
	doctor_evidence(f, "the log: %zu message%s left unsigned after this "
	    "(%s)", m->count, m->count == 1 ? "" : "s",
	    m->endpoint != NULL ? m->endpoint : "a milter");
}

/* The finding a milter-reject belongs to: the one that took a connect
 * failure of the same process, else of the same program, else a key's
 * (OpenDKIM answers tempfail for a key it cannot load), else
 * milter-refused's; NULL: none. */
static struct doctor_finding *
doc_reject_finding(struct doctor *d, const struct logscan_match *m,
    const struct doc_pids *pids)
{
	struct doctor_finding *f;
	size_t i;
	int pass;

	for (pass = 0; pass < 2 && m->program != NULL; pass++)
		for (i = pids->n; i-- > 0;)
			if (strcmp(pids->v[i].program, m->program) == 0 &&
			    (pass == 1 || pids->v[i].pid == m->pid))
				return &d->v[pids->v[i].finding];
	if ((f = doctor_find(d, "key-insecure")) != NULL ||
	    (f = doctor_find(d, "key-load-error")) != NULL)
		return f;
	return doctor_find(d, "milter-refused");
}

/* The finding a local line explains, or NULL. */
static struct doctor_finding *
doc_local_finding(struct doctor *d, const struct logscan_match *m,
    const struct doc_pids *pids)
{
	struct doctor_finding *f;

	if (doc_is_connect(m->cause)) {
		if ((f = doc_hop_finding(d, m->endpoint)) != NULL ||
		    (m->cause != LOGSCAN_MILTER_REFUSED &&
		    m->cause != LOGSCAN_MILTER_NOENT))
			return f;
		/* Nothing listens: a signer the probes found down. */
		if ((f = doctor_find(d, "signer-not-running")) == NULL)
			f = doctor_find(d, "signer-not-listening");
		return f;
	}
	switch (m->cause) {
	case LOGSCAN_KEY_INSECURE:
	case LOGSCAN_KEY_LOAD:
		return doctor_find(d, "key-insecure");
	case LOGSCAN_MILTER_TEMPFAIL:
	case LOGSCAN_MILTER_REJECT:
		return doc_reject_finding(d, m, pids);
	default:
		return NULL;
	}
}

/* What a failed connect means, by its error, when the configuration
 * looks right. */
static const struct {
	enum logscan_cause	 cause;
	const char		*explain;
	const char		*fix;
} doc_connect[] = {
	{ LOGSCAN_MILTER_REFUSED,
	  "The configuration looks right, but Postfix could not reach the "
	  "milter when it tried: the signer was down, or is listening "
	  "elsewhere than configured.",
	  "start the signer and check where it listens (notspam doctor on "
	  "this machine probes it)" },
	{ LOGSCAN_MILTER_NOENT,
	  "No socket file was where Postfix looked: the signer was not "
	  "running, or creates its socket elsewhere (a chrooted smtpd or "
	  "cleanup looks under the queue directory).",
	  "start the signer, and make Postfix dial the path it creates as "
	  "Postfix sees it, or use a TCP socket on 127.0.0.1" },
	{ LOGSCAN_MILTER_DENIED,
	  "Postfix's processes (mail_owner) may not open the socket: it is "
	  "not writable for them (its mode, owner and group), a directory "
	  "above it lacks search (x) permission for them, or SELinux or "
	  "AppArmor forbids it.",
	  "let Postfix in: UMask 007 in opendkim.conf and postfix in the "
	  "socket's group (usermod -aG opendkim postfix, then restart "
	  "Postfix), or use a TCP socket on 127.0.0.1" },
	{ LOGSCAN_MILTER_TIMEOUT,
	  "The milter took no connection within milter_connect_timeout: it "
	  "hangs, is overloaded, or a firewall drops the connection.",
	  "look at the signer's own log and load, or the firewall in between" },
	{ LOGSCAN_MILTER_NOADDR,
	  "Postfix cannot use that address here: inet_protocols leaves its "
	  "family out, or IPv6 is disabled in the kernel.",
	  "dial an address of a family Postfix uses (inet:127.0.0.1:PORT)" },
	{ LOGSCAN_MILTER_REPLY,
	  "Postfix reached the milter, but it did not answer in time or "
	  "closed the connection (a milter that crashes or hangs).",
	  "look at the signer's own log; raise milter_command_timeout if it "
	  "is only slow" },
	{ LOGSCAN_MILTER_CONNECT,
	  "Postfix could not connect to the milter.",
	  "look at the error in the line, and where the signer listens" },
};

static const char *const doc_explain_history =
    "These lines were logged before the configuration or a key last "
    "changed: they may show what that change fixed.";

static const char *const doc_explain_answers =
    "Postfix could not reach the milter when it logged this, but the probe "
    "reaches it now: the signer was down or restarting then.";

/* The finding an old failure makes: a note. */
static struct doctor_finding *
doc_history_own(struct doctor *d, const char *id, const char *title)
{
	struct tm tm;
	char when[32];

	if (localtime_r(&d->changed, &tm) == NULL ||
	    strftime(when, sizeof when, "%H:%M:%S", &tm) == 0)
		snprintf(when, sizeof when, "?");
	return doctor_add(d, id, DOCTOR_NOTE, doc_explain_history,
	    "send a test message: if it fails again, this is a failure again",
	    "%s (logged before %s changed at %s)", title,
	    d->changed_file != NULL ? d->changed_file : "a file", when);
}

/* A local line no finding explains: a finding of its own (a note when
 * the line is history, or the milter it names answers the probe now). */
static struct doctor_finding *
doc_local_own(struct doctor *d, const struct logscan_match *m,
    const struct listen_report *r)
{
	const char *id = logscan_cause_id(m->cause), *explain = NULL;
	const char *fix = NULL;
	struct doctor_finding *f;
	char *title;
	size_t i;

	title = xasprintf("%s%s%s", logscan_cause_title(m->cause),
	    m->endpoint != NULL ? ": " : "",
	    m->endpoint != NULL ? m->endpoint : "");
	for (i = 0; i < sizeof doc_connect / sizeof doc_connect[0]; i++)
		if (doc_connect[i].cause == m->cause) {
			explain = doc_connect[i].explain;
			fix = doc_connect[i].fix;
		}
	if (doc_history(d, m))
		f = doc_history_own(d, id, title);
	else if (doc_answers_now(r, m))
		f = doctor_add(d, id, DOCTOR_NOTE, doc_explain_answers,
		    "none now; if it comes back, read the signer's log of "
		    "that time", "%s (it answers the probe now)", title);
	else
		f = doctor_add(d, id, m->cause == LOGSCAN_NO_SIGNING ?
		    DOCTOR_WARN : DOCTOR_FAIL, explain, fix, "%s", title);
	free(title);
	return f;
}

/* A local failure: evidence of the finding it explains, else its own. */
static void
doc_local(struct doctor *d, const struct logscan_match *m,
    struct doc_pids *pids)
{
	struct doctor_finding *f = doc_local_finding(d, m, pids);
	struct doc_pid *p;

	if (doc_is_connect(m->cause))
		doc_accepted(d, m, pids->r);
	if (f == NULL)
		f = doc_local_own(d, m, pids->r);
	doc_log_evidence(f, m);
	if (doc_is_connect(m->cause) && m->program != NULL) {
		pids->v = xgrow(pids->v, pids->n, sizeof *pids->v);
		p = &pids->v[pids->n++];
		p->program = m->program;
		p->pid = m->pid;
		p->finding = (size_t)(f - d->v);
	}
}

/* A remote answer: a finding per cause and sending address, explained by
 * remote.c's table. */
static void
doc_remote_answer(struct doctor *d, const struct logscan_match *m)
{
	struct doctor_finding *f;

	f = doctor_add(d, logscan_cause_id(m->cause),
	    m->cause == LOGSCAN_REMOTE_SPAMHAUS_RESOLVER ? DOCTOR_NOTE :
	    DOCTOR_FAIL, remote_explain(m->cause), remote_fix(m->cause),
	    "%s%s%s%s%s (%zu time%s)",
	    logscan_cause_title(m->cause), m->address != NULL ? ", from " : "",
	    m->address != NULL ? m->address : "", m->domain != NULL ?
	    ", to " : "", m->domain != NULL ? m->domain : "", m->count,
	    m->count == 1 ? "" : "s");
	doc_log_evidence(f, m);
}

void
doctor_logs(struct doctor *d, const struct logscan *ls,
    const struct listen_report *r)
{
	const struct logscan_match *m;
	struct doc_pids pids;
	size_t i, read = 0;

	memset(&pids, 0, sizeof pids);
	pids.r = r;
	for (i = 0; i < ls->nmatches; i++) {
		m = &ls->matches[i];
		if (m->cause >= LOGSCAN_REMOTE_IPV6_PTR)
			doc_remote_answer(d, m);
		else
			doc_local(d, m, &pids);
	}
	free(pids.v);
	for (i = 0; i < ls->nsources; i++)
		read += ls->sources[i].state == LOGSCAN_READ;
	if (read == 0)
		strv_add(&d->notes, "no mail log was found to read "
		    "(/var/log/mail.log, maillog_file, the journal)");
	doctor_sort(d);
}

struct doctor *
doctor_make(const struct site *site, const struct plan *p,
    const struct listen_report *r, int journal)
{
	struct doctor *d = doctor_config(site);
	struct logscan_opts lo;
	struct logscan *ls;

	doctor_changed(d, site);
	/* The probes first: a log line joins the finding they make. */
	if (r != NULL)
		doctor_probes(d, r);
	memset(&lo, 0, sizeof lo);
	lo.journal = journal;
	ls = logscan_new(&lo);
	logscan_site(ls, site);
	doctor_logs(d, ls, r);
	logscan_free(ls);
	doctor_fixable(d, p);
	return d;
}
