/* summary.h: what the dashboard and "notspam status" show, from check
 * results: a status per record kind for the mail host (its line above the
 * domain table) and per domain (the table's columns), and the findings
 * sorted by severity.  No terminal code here: the console and the text
 * command both call it. */
#ifndef NOTSPAM_SUMMARY_H
#define NOTSPAM_SUMMARY_H

#include <stddef.h>

#include "core/check/check.h"

/* Record kinds.  A domain's (the domain table's columns) come first, then
 * the mail host's, from SUM_HOST_FIRST on (the host line's). */
enum summary_kind {
	SUM_MX,		/* mx */
	SUM_SPF,	/* spf */
	SUM_DKIM,	/* dkim:* */
	SUM_DMARC,	/* dmarc */
	SUM_BL,		/* dnsbl:<zone>: the domain on domain lists */
	SUM_HOST4,	/* host-a, ptr:<IPv4> */
	SUM_HOST6,	/* host-aaaa, ptr:<IPv6> */
	SUM_HELO,	/* spf-helo */
	SUM_HOST_BL,	/* the host's dnsbl:*: each public address on each IP
			   list, the HELO name on domain lists */
	SUM_NKINDS
};
#define SUM_HOST_FIRST SUM_HOST4

/* The column label: "MX", "SPF", "DKIM", "DMARC", "Blocklists",
 * "IPv4 A+PTR", "IPv6 AAAA+PTR", "HELO SPF", "Blocklists". */
const char *summary_kind_name(enum summary_kind);
/* The JSON member name: "mx", "spf", "dkim", "dmarc", "blocklists",
 * "ipv4_a_ptr", "ipv6_aaaa_ptr", "helo_spf", "blocklists" (a domain's
 * and the host's blocklists are members of different objects). */
const char *summary_kind_key(enum summary_kind);

/*
 * The status of one kind for a domain (or the host): the worst of its
 * items, where
 * fail > unknown > warn > pending > ok.  CHECK_OK with *count 0 means no
 * item of that kind exists (e.g. no IPv6 address): shown as "-".
 */
enum check_status summary_kind_status(const struct check_domain *,
    enum summary_kind, size_t *count);

struct finding {
	enum check_status	 status;	/* warn, fail or unknown */
	const char		*domain;	/* borrowed from the results: the
						   domain, or the host's name */
	int			 host;		/* an item of the mail host's */
	const struct check_item	*item;		/* borrowed */
	size_t			 seq;		/* position in result order */
};

/* Every item that is not ok or pending, worst first (fail, unknown, warn),
 * then in result order (the host's, then each domain's).  Caller frees *out (not the items). */
void summary_findings(const struct check_domain *, size_t ndomains,
    struct finding **out, size_t *n);

/* Severity rank for sorting and "worst of": higher is worse. */
int summary_rank(enum check_status);

#endif
