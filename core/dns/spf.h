/* spf.h: RFC 7208 check_host(), complete and asynchronous.
 *
 * All mechanisms (all, include, a, mx, ptr, ip4, ip6, exists) with CIDR
 * lengths, modifiers (redirect, exp), macros with transformers and
 * delimiters, the 10 DNS-lookup limit, the 2 void-lookup limit, the 10
 * MX/PTR name limits, and every result.  DNS goes through core/dns; many
 * evaluations can run at once on one resolver.
 */
#ifndef NOTSPAM_SPF_H
#define NOTSPAM_SPF_H

#include <stddef.h>

#include "core/dns/dns.h"

enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

/* DNS lookups counted per record evaluated (for display, also on failure). */
struct spf_count {
	char	*domain;	/* the domain whose record this is */
	int	 depth;		/* 0 for the top record, 1 for its includes... */
	int	 lookups;	/* DNS-querying terms in this record itself */
	int	 total;		/* this record and everything below it */
};

struct spf_outcome {
	enum spf_result	 result;
	char		*explanation;	/* fail: the exp= text (expanded) or a
					   default; others: why this result */
	char		*record;	/* the top-level record, or NULL */
	char		*matched;	/* the term that decided, or NULL */
	int		 lookups;	/* DNS-querying terms evaluated */
	int		 void_lookups;
	struct spf_count *counts;
	size_t		 ncounts;
};

struct spf_request {
	const char	*domain;	/* <domain> of check_host() */
	const char	*ip;		/* <ip>, IPv4 or IPv6 text */
	const char	*sender;	/* <sender>; NULL: postmaster@domain */
	const char	*helo;		/* HELO/EHLO name for %{h}; NULL: domain */
	const char	*receiver;	/* %{r}; NULL: "unknown" */
	/*
	 * Optional: where the evaluation's lookups go instead of dns_query()
	 * on the resolver given to spf_check() (e.g. a cache shared by many
	 * evaluations).  Same contract as dns_query(): cb runs exactly once,
	 * later, from the loop, never from inside the call.
	 */
	void		(*query)(void *query_arg, const char *name, int type,
			    dns_cb cb, void *arg);
	void		*query_arg;
};

/* The outcome is valid only during the callback. */
typedef void (*spf_cb)(const struct spf_outcome *, void *arg);

/* Start an evaluation; cb runs once, later, from the loop. */
void spf_check(struct dns *, const struct spf_request *, spf_cb, void *arg);

const char *spf_result_name(enum spf_result);	/* "pass", "fail", ... */

/*
 * Syntax of one record (for the checks that look at the record text rather
 * than an evaluation): 0 when it parses as SPF, else -1 with *cause
 * ("unknown mechanism 'ipv4:' at term 3").  Also reports, through the
 * flags, what the checks warn about.
 */
#define SPF_HAS_PTR		0x01	/* uses the ptr mechanism */
#define SPF_ALL_PASS		0x02	/* +all */
#define SPF_ALL_NEUTRAL		0x04	/* ?all */
#define SPF_NO_ALL		0x08	/* neither all nor redirect */
#define SPF_TERMS_AFTER_ALL	0x10
#define SPF_HAS_REDIRECT	0x20
int spf_lint(const char *text, size_t len, int *flags, char **cause);

/*
 * Expand one macro-string as check_host() does (RFC 7208 section 7), without
 * DNS: for tests, fuzzing and showing what a record asks.  req gives <ip>,
 * <sender>, HELO and %{r}; %{d} is req->domain; %{p} is validated (NULL:
 * "unknown").  expl: explanation text (spaces and %{c} %{r} %{t} allowed,
 * kept as is); otherwise a domain-spec: no final dot, cut to 253 bytes by
 * dropping labels from the left.  Returns the expansion (caller frees), or
 * NULL with *cause on a syntax error.
 */
char *spf_expand(const char *text, const struct spf_request *req,
    const char *validated, int expl, char **cause);

/*
 * Notes on struct spf_outcome as filled by spf_check(): lookups and counts
 * are those of this evaluation, which stops at the first matching term (a
 * record can need more lookups for another address).  counts[0] is the top
 * record; includes and redirects follow in the order met, one level deeper
 * than the record naming them.  matched is the innermost term that matched
 * (e.g. "ip4:192.0.2.0/24" inside an include), NULL for none, errors and
 * the neutral default.  explanation is never NULL.  A dns_free() before
 * the end delivers temperror ("cancelled") from inside dns_free().
 */

#endif
