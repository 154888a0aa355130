/* check_int.h: what core/check/check.c (the run: lookups and their cache, the
 * zone's nameservers, propagation) shares with core/check/check_rules.c (what
 * each check decides from the answers).
 *
 * A rule is a function of the answers: it asks for each lookup it needs
 * with check_get()/check_spf(), which return the cached result or NULL
 * (the lookup is then started and ev->pending set), and records notes,
 * found values and fixes.  The run calls the rules again each time an
 * answer arrives, until one gives a verdict without anything pending; the
 * same rule runs through the resolver and, for propagation, through each
 * authoritative nameserver (the "view").
 */
#ifndef NOTSPAM_CHECK_INT_H
#define NOTSPAM_CHECK_INT_H

#include <stddef.h>

#include "core/check/check.h"
#include "core/keys/dkimkey.h"
#include "core/dns/dns.h"
#include "core/check/records.h"
#include "core/site/site.h"
#include "core/dns/spf.h"
#include "core/lib/util.h"

#define CHECK_VIEW_RESOLVER	(-1)

/* One record of a cached answer (a copy of struct dns_rr). */
struct check_rr {
	unsigned	 ttl;
	char		*text;		/* NUL-terminated; may hold NUL: use len */
	size_t		 len;
	int		 pref;
	size_t		 nstrings;
	size_t		 longest;	/* bytes of the longest string */
};

/* Who waits for a lookup: a check of a domain, or (work CHECK_DISC) the
 * search for the domain's nameservers. */
#define CHECK_DISC ((size_t)-1)
struct check_waiter {
	size_t	dom;
	size_t	work;
};

/* Waiters of one pending result. */
struct check_waiters {
	struct check_waiter	*v;
	size_t			 n;
};

/* An SPF evaluation's lookup answered from a cached one (struct
 * spf_request query hook). */
struct check_hook {
	struct check_q		*q;
	dns_cb			 cb;
	void			*arg;
};

/* A lookup through one view, cached for the run; shared by the rules and
 * the SPF evaluations of every domain. */
struct check_q {
	struct check_run	*run;
	int			 view;
	char			*name;		/* lower case, no final dot */
	int			 type;
	int			 done;
	enum dns_status		 status;
	char			*error;		/* readable cause, or NULL */
	unsigned		 neg_ttl;
	struct check_rr		*rrs;
	size_t			 nrrs;
	struct check_waiters	 waiters;
	struct check_hook	*hooks;		/* SPF lookups waiting */
	size_t			 nhooks;
	struct check_q		*next;		/* hash chain */
};

/* An SPF evaluation (check_host()), cached for the run. */
struct check_spf {
	struct check_run	*run;
	int			 view;
	char			*domain;
	char			*ip;
	char			*sender;
	char			*helo;
	int			 done;
	enum spf_result		 result;
	char			*explanation;
	char			*matched;
	int			 lookups;
	int			 void_lookups;
	struct spf_count	*counts;
	size_t			 ncounts;
	struct check_waiters	 waiters;
	struct check_spf	*next;		/* hash chain */
};

enum check_kind {
	CHECK_K_MX,
	CHECK_K_HOST_A,
	CHECK_K_HOST_AAAA,
	CHECK_K_PTR,
	CHECK_K_SPF,
	CHECK_K_SPF_HELO,
	CHECK_K_DKIM,
	CHECK_K_DMARC,
};

/* The run's side of one check item. */
struct check_work {
	enum check_kind		 kind;
	size_t			 item;		/* index in the domain's items */
	const struct record	**recs;		/* the records.h records of the id */
	size_t			 nrecs;
	const char		*addr;		/* ptr: the address */
	const struct site_key	*key;		/* dkim: the key */
	const struct dkim_pub	*pub;		/* dkim: the local key (shared
						   by the run), or NULL */
	char			*key_error;	/* dkim: why pub is not there */
	int			 key_stat;	/* dkim: fsroot_stat() of the key
						   file, read with it */
	unsigned		 key_mode;	/* dkim: its st_mode */
	int			 final;
	int			 queued;	/* in the run's queue */
	size_t			 nwait;		/* results waited for */
	struct strv		 auth;		/* per nameserver: its word, or "" */
};

/* Detail notes are kept by severity so failures read first. */
#define CHECK_NOTE_LEVELS 4

/* One evaluation of a rule through one view. */
struct check_ev {
	struct check_run	*run;
	const struct site	*site;
	const char		*domain;	/* the domain checked */
	const char		*host;		/* mail hostname, no final dot */
	const char		*hosts_note;	/* /etc/hosts maps host to loopback */
	const char		*zone;		/* the domain's zone, or NULL */
	struct check_waiter	 who;		/* what this evaluation is for */
	int			 view;
	int			 pending;	/* a needed result is not in yet */
	enum check_status	 status;	/* the worst note so far */
	struct strv		 notes[CHECK_NOTE_LEVELS];	/* each once */
	struct strv		 found;
	struct strv		 fixes;
	int			 missing;	/* a lookup answered no record */
	unsigned		 neg_ttl;	/* the longest negative TTL seen */
	unsigned		 pos_ttl;	/* the longest record TTL seen */
};

/* The cached answer of name/type through the evaluation's view, or NULL
 * (lookup started, ev->pending set). */
const struct check_q *check_get(struct check_ev *, const char *name,
    int type);

/* The cached SPF evaluation, or NULL (started, ev->pending set). */
const struct check_spf *check_spf(struct check_ev *, const char *domain,
    const char *ip, const char *sender, const char *helo);

/* 1 when q has records, 0 when it says there are none (NXDOMAIN, NODATA),
 * -1 when it could not tell (the note "unknown" is added).  Rules judge
 * their answers through it: it also notes, for propagation, that a record
 * was missing and the TTLs the resolver may cache. */
int check_answer(struct check_ev *, const struct check_q *);

/* Add a detail note with its status (the item takes the worst). */
void check_note(struct check_ev *, enum check_status, const char *, ...)
    PRINTFLIKE(3, 4);
/* Add a fix line (zone-file text or the change to make); once each. */
void check_fix(struct check_ev *, const char *);
/* Add what the DNS has (sanitized here); once each. */
void check_found(struct check_ev *, const char *text, size_t len);

/* The DNS name of a record type ("TXT"). */
const char *check_type_name(int type);

/* Rules, one per kind (core/check/check_rules.c). */
void check_rule(struct check_ev *, struct check_work *);

#endif
