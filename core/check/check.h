/* check.h: the live checks, every record the mail host and each domain
 * need compared with what the DNS answers now, semantically (never by
 * string comparison).
 *
 * The results follow the record sets of core/check/records.h: the mail
 * host's first (host set; checked once, whatever the domains), then
 * one per domain.  The host's propagation is its own zone's (the NS found
 * from the HELO name up); its PTRs, in the address owner's reverse zone,
 * have none.
 *
 * A run starts every lookup of every domain at once on the resolver (which
 * bounds the queries in flight); results fill in as answers arrive, so the
 * console can draw a run in progress.  Ids are those of core/check/records.h
 * ("mx", "host-a", "host-aaaa", "ptr:<address>", "spf", "spf-helo",
 * "dkim:<selector>", "dmarc"), then the blocklists' (core/check/dnsbl.h):
 * "dnsbl:<zone>:<address>" for each public address of the host on each IP
 * list, "dnsbl:<zone>" for the domain (the host's: the HELO name) on each
 * domain list; their name is the name asked (a DQS key left out), type
 * "A", expected NULL.  Blocklists are never asked of the nameservers.
 *
 * Statuses from the DNS: a timeout, SERVFAIL, REFUSED, FORMERR, NOTIMP, a
 * malformed answer or a CNAME loop makes a check "unknown", never "fail";
 * NXDOMAIN and NODATA mean missing.  A name in an answer that is not a
 * host name (an MX or PTR target holding an escape) fails its check and is
 * never looked up.
 * Propagation: when the resolver shows a record missing or wrong, the
 * zone's authoritative nameservers (NS at the domain or its parents) are
 * asked directly, without recursion, on port 53 (struct check_opts ns_port
 * changes the port: a testing option for nameservers on loopback).  A
 * record they publish that the resolver does not show yet is "warn" (a
 * cache), not "fail".  A nameserver that sends no reply is "unreachable",
 * one that replies SERVFAIL or REFUSED an error, with the reason: neither
 * differs from anyone (struct check_ns_view).  Every string from the DNS
 * in found, detail, ns and authority is sanitized (core/lib/util.h str_sanitize); fix is zone-file
 * text with control bytes as \DDD.
 */
#ifndef NOTSPAM_CHECK_H
#define NOTSPAM_CHECK_H

#include <stddef.h>

#include "core/lib/util.h"

struct loop;
struct dns;
struct site;

enum check_status {
	CHECK_PENDING,	/* answers not all in yet */
	CHECK_OK,	/* what receivers want */
	CHECK_WARN,	/* works, but weak or risky */
	CHECK_FAIL,	/* receivers will reject or junk */
	CHECK_UNKNOWN,	/* could not tell: timeout, SERVFAIL */
};

/* What one authoritative nameserver says of one check (propagation). */
enum check_ns_state {
	CHECK_NS_SAME,		/* answered: the resolver's verdict */
	CHECK_NS_DIFFERS,	/* answered: another verdict (found: what it
				   has) */
	CHECK_NS_UNREACHABLE,	/* no reply: a timeout, connection refused */
	CHECK_NS_ERROR,		/* replied without an answer: SERVFAIL,
				   REFUSED, FORMERR, a malformed packet */
};

struct check_ns_view {
	char		*host;		/* the nameserver's name */
	char		*addr;		/* the address asked */
	enum check_ns_state state;
	enum check_status status;	/* its verdict (unknown when it could
					   not be asked) */
	int		 missing;	/* it has no such record */
	char		*reason;	/* unreachable, error: "timeout",
					   "REFUSED", "connection refused by
					   ..."; else NULL */
	struct strv	 found;		/* what it publishes */
};

struct check_item {
	char		*id;
	char		*name;		/* owner name checked */
	char		*type;		/* "MX", "TXT", ... */
	enum check_status status;
	char		*expected;	/* the value wanted (records.h), or NULL */
	struct strv	 found;		/* what the DNS has, sanitized for display */
	char		*detail;	/* one line: what is right or wrong, why */
	char		*fix;		/* the exact fix, or NULL when ok */
	/* Propagation: each authoritative nameserver's view of this check
	 * when they were asked (the resolver showed it missing or wrong),
	 * else none and ns_note says why not ("the resolver shows it
	 * right", "no NS record at ..."); NULL while pending. */
	struct check_ns_view *ns;
	size_t		 nns;
	char		*ns_note;
};

struct check_domain {
	char			*domain;	/* the host: its HELO name */
	int			 host;		/* 1: the mail host's checks */
	struct check_item	*items;
	size_t			 nitems;
	/* Propagation: each authoritative nameserver's view, one line each
	 * ("ns1.example.org 192.0.2.53 (zone example.org): spf ok,
	 * dkim:mail missing", "... : unreachable (timeout), asked for spf"),
	 * and whether they disagree with each other: the items' ns views as
	 * text, for the command line. */
	struct strv		 authority;
};

struct check_run;

/* How a run asks; check_start(..., NULL, ...) takes the defaults (all 0). */
struct check_opts {
	/* The port the zone's authoritative nameservers are asked on; 0: 53.
	 * A testing option: nameservers on loopback cannot all listen on 53. */
	int	ns_port;
};

/*
 * Start checking the mail host and every hosted domain of the site (or the
 * mail host and only the domains named in domains, NULL-terminated; unknown
 * names are reported through *cause and NULL is returned).  opts: NULL for the defaults; it is read
 * here only (an ns_port outside 0-65535 is reported through *cause, NULL
 * returned).  changed(arg) is called from the loop each time a result
 * changes (the console marks itself dirty there; it must not draw).  The
 * site must outlive the run.
 */
struct check_run *check_start(struct loop *, struct dns *, const struct site *,
    const char *const *domains, const struct check_opts *opts,
    void (*changed)(void *), void *arg, char **cause);

/* Is every check decided? */
int check_done(const struct check_run *);

/* The results so far (items may still be CHECK_PENDING). */
const struct check_domain *check_results(const struct check_run *,
    size_t *n);

/* Could the resolver not be reached at all: no query got any reply (each
 * one timed out or failed, e.g. connection refused)?  A reply of any kind
 * counts, FORMERR, NOTIMP, a malformed packet or a CNAME loop included
 * (those checks are unknown, with the rcode or the fault named).  For exit
 * status 75. */
int check_unreachable(const struct check_run *);

/* When check_unreachable(): the one line that stands for every check it
 * left unknown ("the resolver 192.0.2.1:53 did not answer: every result
 * below is unknown", or "... 30 of the 37 results below are unknown"), for
 * the top of the dashboard and of `status`; else NULL.  Caller frees. */
char *check_unreachable_line(const struct check_run *);

/* The worst status of the results so far, by check_rank() (fail worst,
 * then unknown, warn, ok), except that an item still pending makes it
 * CHECK_PENDING unless one failed; CHECK_OK for no item.  What `status`
 * takes its exit status from, as `check` does. */
enum check_status check_worst(const struct check_run *);

/* Cancel what is pending and free. */
void check_free(struct check_run *);

const char *check_status_name(enum check_status); /* "ok", "warn", ... */

#endif
