/* verify.h: the authentication of a received message judged locally:
 * DKIM (core/mail/dkimverify.h), SPF for the connecting address
 * (core/dns/spf.h), DMARC alignment and policy (RFC 7489), and the
 * receiver's own Authentication-Results and ARC fields beside them.
 *
 * The connecting address is read from the Received fields, top down:
 * the first one whose "from" clause names an address ("[192.0.2.1]",
 * "[IPv6:2001:db8::1]") that is neither loopback nor one of the trusted
 * relays (the receiver's own hops, settings trusted_relays: addresses or
 * CIDR prefixes) is the hop that took the message from the sender; its
 * HELO is the first word after "from" (or an Exim "helo=").  The envelope
 * sender is the Return-Path field.  Options override all three.
 *
 * DMARC: the From field's domain (exactly one address); its record at
 * _dmarc.<domain>, else at the organizational domain's (then sp= applies
 * when given); DKIM aligned when a passing signature's d= is the From
 * domain (adkim=s) or shares its organizational domain (adkim=r, the
 * default); SPF aligned likewise with the MAIL FROM domain (the HELO's
 * for the null sender).  The organizational domain comes from the Public
 * Suffix List when VERIFY_PSL_PATH is readable, else the last two labels
 * (core/dns/dmarc.h dmarc_org_domain).
 */
#ifndef NOTSPAM_VERIFY_H
#define NOTSPAM_VERIFY_H

#include <stddef.h>
#include <time.h>

#include "core/dns/spf.h"
#include "core/lib/util.h"

#define VERIFY_PSL_PATH	"/usr/share/publicsuffix/public_suffix_list.dat"

struct dns;
struct msg;
struct dkim_set;

struct verify_opts {
	const char		*ip;		/* NULL: from Received */
	const char		*helo;		/* NULL: from Received */
	const char		*mail_from;	/* NULL: from Return-Path */
	const struct strv	*trusted;	/* trusted relays, or NULL */
	const char		*psl;		/* NULL: VERIFY_PSL_PATH; "": none */
	time_t			 now;
};

/* One Authentication-Results or ARC-Authentication-Results field. */
struct verify_ar {
	char	*name;		/* the field name as written */
	char	*value;		/* unfolded */
	char	*dkim, *spf, *dmarc, *arc;	/* its results, NULL if none */
};

struct verify {
	const struct msg *msg;		/* borrowed */
	struct dkim_set	*dkim;		/* owned */

	char		*from_domain;	/* NULL: from_error says why */
	char		*from_error;

	/* SPF */
	char		*ip, *helo, *mail_from;	/* NULL when unknown */
	char		*spf_domain;	/* the domain SPF was checked for */
	char		*hop;		/* the Received value used, or NULL */
	size_t		 hop_line;	/* its line in the message */
	const char	*spf_result;	/* "pass", ..., "none" */
	char		*spf_reason;

	/* DMARC */
	const char	*dmarc_result;	/* pass, fail, none, temperror,
					   permerror */
	char		*dmarc_reason;
	char		*dmarc_record;	/* the record text, or NULL */
	char		*dmarc_at;	/* the domain it was found at */
	char		*org_domain;	/* of the From domain */
	char		*policy;	/* none, quarantine, reject */
	int		 adkim_strict, aspf_strict;
	int		 dkim_aligned;	/* a passing signature aligned */
	int		 spf_aligned;	/* SPF passed and aligned */
	const char	*aligned_d;	/* the d= that aligned, or NULL */

	struct verify_ar *ars;		/* the receiver's fields, in order */
	size_t		 nars;

	/* private */
	struct dns	*dns;
	struct verify_opts opts;
	struct strmap	 psl;
	int		 psl_loaded;
	int		 pending;
	void		(*done)(struct verify *, void *);
	void		*arg;
};

/* A verification of m (borrowed, it must outlive v) with opts (copied;
 * its strings borrowed).  Nothing is asked yet. */
struct verify *verify_new(const struct msg *m, const struct verify_opts *);
void verify_free(struct verify *);

/* Ask DKIM keys, SPF and DMARC records on the resolver; done(v, arg) runs
 * once, from the loop, when every answer is in and the verdict made. */
void verify_start(struct verify *, struct dns *,
    void (*done)(struct verify *, void *), void *arg);

/*
 * The exit status of `notspam verify`: 0 when DMARC passes with DKIM and
 * SPF both aligned and passing, 1 when it passes on one of them only (or
 * the domain publishes no DMARC record and one aligned check passes), 2
 * when DMARC fails or nothing aligned passes.
 */
int verify_status(const struct verify *);

/* The connecting hop of a message (see above): 0 with *ip, *helo (may be
 * NULL) and *line (caller frees the strings), or -1 when no Received
 * field names an address outside the trusted relays.  For tests. */
int verify_hop(const struct msg *, const struct strv *trusted, char **ip,
    char **helo, size_t *line);

/* Is ip one of the trusted relays (addresses, CIDR prefixes)? */
int verify_trusted(const char *ip, const struct strv *trusted);

/* The organizational domain of name (caller frees), with the Public
 * Suffix List when it was loaded. */
char *verify_org_domain(struct verify *, const char *name);

#endif
