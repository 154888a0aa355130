/* remote.h: what a receiving server's answer means, and the fix.
 *
 * One table for every place a remote reply shows up: the doctor's log
 * findings (status=bounced / deferred lines, core/doctor/doctor_logs.c),
 * send-test's own SMTP session with --direct (the reply in the
 * transcript), and the queue follow after a local submission
 * (core/mail/follow.h).  The causes are logscan's remote ones
 * (LOGSCAN_REMOTE_IPV6_PTR ... in core/doctor/logscan.h), matched by the
 * same plain substring scans.
 */
#ifndef NOTSPAM_REMOTE_H
#define NOTSPAM_REMOTE_H

#include <stddef.h>

#include "core/lib/util.h"

struct site;

struct remote_verdict {
	int		 cause;		/* enum logscan_cause, or -1: a reply
					 * notspam does not know */
	const char	*id;		/* "remote-gmail-ipv6", NULL: unknown */
	const char	*title;		/* static */
	const char	*explain;	/* static: why the receiver says so */
	const char	*fix;		/* static: what to do, in words */
	int		 code;		/* 550, 0: none found */
	char		 enh[12];	/* "5.7.1" or "" */
	char		*sending_addr;	/* the address the reply names as
					 * the sender's, canonical, or NULL */
	struct strv	 records;	/* the records to publish or check,
					 * one a line, for this site:
					 * "PTR  5.2.0.0....ip6.arpa. ->
					 * mail.example.org." and
					 * "SPF  example.org must allow
					 * ip6:2001:db8::25" */
};

/*
 * Classify the reply text (one or more lines, codes included, as an SMTP
 * session or a log line gives it; any bytes).  from_domain (NULL: none)
 * is the domain the message was sent from, site (NULL: none) gives the
 * host name the PTR should name; with both, records lists what the
 * receiver asks for.  Returns v->cause (-1 for an unknown reply, with
 * code and enh still filled).  Free with remote_verdict_free.
 */
int remote_classify(const char *reply, size_t len, const char *from_domain,
    const struct site *site, struct remote_verdict *v);
void remote_verdict_free(struct remote_verdict *);

/*
 * Where the receiver's own reply is inside text: past " said: " or
 * " refused to talk to me: " and before " (in reply to ...)" in a Postfix
 * status text or log line ("host H[A] said: 550-5.7.1 ... (in reply to
 * end of DATA command)"); else the whole text.  Sets *off and *n.
 * remote_classify looks only there.
 */
void remote_reply_span(const char *text, size_t len, size_t *off,
    size_t *n);

/* The explanation and fix of a remote cause (enum logscan_cause), or NULL
 * for a cause that is not remote. */
const char *remote_explain(int cause);
const char *remote_fix(int cause);

#endif
