/* summary.h: what the dashboard and "notspam status" show, from check
 * results: a status per record kind per domain, and the findings sorted by
 * severity.  No terminal code here: the console and the text command both
 * call it. */
#ifndef NOTSPAM_SUMMARY_H
#define NOTSPAM_SUMMARY_H

#include <stddef.h>

#include "core/check/check.h"

/* Record kinds, the dashboard's columns. */
enum summary_kind {
	SUM_MX,		/* mx */
	SUM_SPF,	/* spf, spf-helo */
	SUM_DKIM,	/* dkim:* */
	SUM_DMARC,	/* dmarc */
	SUM_PTR4,	/* ptr:<IPv4>, host-a */
	SUM_PTR6,	/* ptr:<IPv6>, host-aaaa */
	SUM_NKINDS
};

const char *summary_kind_name(enum summary_kind);	/* "MX", "SPF", ... */

/*
 * The status of one kind for a domain: the worst of its items, where
 * fail > unknown > warn > pending > ok.  CHECK_OK with *count 0 means no
 * item of that kind exists (e.g. no IPv6 address): shown as "-".
 */
enum check_status summary_kind_status(const struct check_domain *,
    enum summary_kind, size_t *count);

struct finding {
	enum check_status	 status;	/* warn, fail or unknown */
	const char		*domain;	/* borrowed from the results */
	const struct check_item	*item;		/* borrowed */
	size_t			 seq;		/* position in result order */
};

/* Every item that is not ok or pending, worst first (fail, unknown, warn),
 * then in domain and item order.  Caller frees *out (not the items). */
void summary_findings(const struct check_domain *, size_t ndomains,
    struct finding **out, size_t *n);

/* Severity rank for sorting and "worst of": higher is worse. */
int summary_rank(enum check_status);

#endif
