/* check_int.h: the check engine's insides, shared by its four files:
 * core/check/check.c (the run: domains, items, the queue, evaluations),
 * check_cache.c (lookups and SPF evaluations cached per view),
 * check_prop.c (the zone's nameservers, propagation, authority lines) and
 * check_rules.c (what each check decides from the answers).
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
#include <stdint.h>

#include "core/check/check.h"
#include "core/check/dnsbl.h"
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
	int			 sent;		/* the query went out */
	int			 replied;	/* the server sent a message back */
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
	CHECK_K_DNSBL,		/* an address or domain on one blocklist */
};

/* The run's side of one check item. */
struct check_work {
	enum check_kind		 kind;
	size_t			 item;		/* index in the domain's items */
	const struct record	**recs;		/* the records.h records of the id */
	size_t			 nrecs;
	const char		*addr;		/* ptr: the address; dnsbl: the
						   address or domain asked
						   about */
	const struct dnsbl_list	*bl;		/* dnsbl: the list (the run's) */
	char			*bl_name;	/* dnsbl: the name asked */
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
	const struct check_q	*fault;		/* the first lookup that could
						   not tell (check_answer), or
						   NULL */
};

/* Hash buckets of the lookup and SPF caches. */
#define CHECK_BUCKETS 4096

/* An authoritative nameserver (one address) of a zone. */
struct check_srv {
	char		*zone;
	char		*host;
	char		*addr;
	struct dns	*dns;		/* made on first use, without RD */
	char		*error;		/* dns_new failed: why */
};

/* The run's side of one domain. */
struct check_dstate {
	char			*zone;		/* where the NS set is */
	size_t			*srvs;		/* indexes in run->srv */
	size_t			 nsrvs;
	int			 disc_done;
	int			 disc_queued;
	size_t			 disc_nwait;	/* results the search waits for */
	char			*disc_note;	/* why there are none */
	struct check_work	*work;		/* one per item */
	size_t			 nwork;
	size_t			 nfinal;	/* works with a verdict */
	int			 complete;
};

/* A run (check.h): what check.c, check_cache.c and check_prop.c share. */
struct check_run {
	struct loop		*loop;
	struct dns		*dns;
	const struct site	*site;
	void			(*changed)(void *);
	void			*arg;
	char			*host;		/* lower case, no final dot */
	char			*hosts_note;
	int			 ns_port;
	struct record_set	*sets;
	size_t			 nsets;
	struct check_domain	*domains;
	struct check_dstate	*ds;
	size_t			 ndomains;
	struct check_srv	*srv;
	size_t			 nsrv;
	struct dnsbl_set	 bl;		/* the blocklists asked; works
						   point in */
	struct check_keyfile	**keyfiles;	/* stable: works point in */
	size_t			 nkeyfiles;
	struct strmap		 keyfirst;	/* site key domain -> first */
	size_t			*keynext;	/* next key of the domain */
	struct check_q		*qtab[CHECK_BUCKETS];
	struct check_spf	*stab[CHECK_BUCKETS];
	struct check_hook	*deferred;	/* SPF lookups answered already */
	size_t			 ndeferred;
	uint64_t		 timer;		/* delivers the deferred */
	int			 flushing;
	struct check_waiter	*queue;		/* rules to run again */
	size_t			 nqueue;
	size_t			 queuesize;
	size_t			 ncomplete;	/* domains complete */
	size_t			 pending;	/* callbacks still to come */
	size_t			 answered;	/* resolver answers of any rcode */
	size_t			 unreached;	/* resolver timeouts and errors */
	int			 dead;		/* check_free was called */
	int			 depth;		/* inside a callback */
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

/* ---- between check.c, check_cache.c and check_prop.c ---------------- */

/* check.c: str_sanitize() with a short way for the usual text, printable
 * ASCII without a backslash, which it keeps as it is; caller frees. */
char *check_sanitize(const char *s, size_t len);
/* check.c: severity order for "the worst": ok < warn < unknown < fail
 * (pending -1). */
int check_rank(enum check_status);
/* check.c: queue a rule (work, or CHECK_DISC for the nameserver search) of
 * domain dom to run again. */
void check_enqueue(struct check_run *, size_t dom, size_t work);
/* check.c: run what is queued until nothing is; finish the domains that
 * have every verdict; call changed() if notify. */
void check_update(struct check_run *, int notify);
/* check.c: free a run whose results are gone (check_free called) once no
 * callback is pending and none is running. */
void check_release(struct check_run *);
/* check.c: an evaluation of a rule of domain dom for work through view;
 * free with check_ev_free. */
void check_ev_init(struct check_ev *, struct check_run *, size_t dom,
    size_t work, int view);
void check_ev_free(struct check_ev *);
/* check.c: the notes as one line, worst first, raw; caller frees. */
char *check_ev_detail(const struct check_ev *);
/* check.c: the fixes one per line, or NULL when there is none; caller
 * frees. */
char *check_ev_fix(const struct check_ev *);
/* check.c: put a verdict into the item (detail sanitized here); the found
 * values are taken (found is left empty), fix is taken (freed when ok). */
void check_commit(struct check_item *, enum check_status, const char *detail,
    struct strv *found, char *fix);

/* check_cache.c: deliver the SPF lookups answered from the cache (a 0-ms
 * timer's callback; check_free() calls it to deliver them cancelled). */
void check_flush(void *run);

/* check_prop.c: run item k's rule again, through the resolver and, when it
 * fails or warns, through each of the zone's nameservers; commit when it
 * has its verdict. */
void check_work_update(struct check_run *, size_t dom, size_t k);
/* check_prop.c: go on finding the zone of domain dom and its nameservers
 * (NS at the domain, else at each parent; their addresses). */
void check_disc_update(struct check_run *, size_t dom);
/* check_prop.c: free the item's nameserver views and note. */
void check_ns_free(struct check_item *);
/* check_prop.c: the authority lines of a finished domain. */
void check_authority(struct check_run *, struct check_domain *,
    struct check_dstate *);

#endif
