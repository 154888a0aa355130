/* check.c: the live checks: lookups and their cache, the zone's
 * authoritative nameservers, propagation; the rules are in check_rules.c.
 *
 * Lifetime: every dns_query/spf_check started holds the run (pending).
 * check_free() frees the results at once, but the run itself lives on until
 * the last of those callbacks has run: the resolver belongs to the caller
 * and has no way to cancel one query.
 */
#include "core/check/check.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check/check_int.h"
#include "core/lib/dnsname.h"
#include "core/lib/fsroot.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"

/* At most this many nameserver addresses are asked per zone. */
#define CHECK_MAX_SERVERS 8

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

/* A DKIM key file read for the run. */
struct check_keyfile {
	char		*path;
	struct dkim_pub	 pub;
	char		*error;
	int		 stat_rc;	/* fsroot_stat() of the file */
	unsigned	 mode;
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

static void check_update(struct check_run *, int);

const char *
check_status_name(enum check_status st)
{
	switch (st) {
	case CHECK_PENDING:
		return "pending";
	case CHECK_OK:
		return "ok";
	case CHECK_WARN:
		return "warn";
	case CHECK_FAIL:
		return "fail";
	case CHECK_UNKNOWN:
		return "unknown";
	}
	return "?";
}

const char *
check_type_name(int type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_NS:
		return "NS";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_SOA:
		return "SOA";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_MX:
		return "MX";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_SPF:
		return "SPF";
	}
	return "?";
}

/* str_sanitize() with a short way for the usual text, printable ASCII
 * without a backslash, which it keeps as it is. */
static char *
check_sanitize(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '\\')
			return str_sanitize(s, len);
	return xstrndup(s, len);
}

/* Severity order for "the worst": ok < warn < unknown < fail. */
static int
check_rank(enum check_status st)
{
	switch (st) {
	case CHECK_OK:
		return 0;
	case CHECK_WARN:
		return 1;
	case CHECK_UNKNOWN:
		return 2;
	case CHECK_FAIL:
		return 3;
	case CHECK_PENDING:
		break;
	}
	return -1;
}

/* The view a lookup of name really goes to: a nameserver only answers
 * for its zone, everything else goes through the resolver. */
static int
check_view_for(const struct check_run *run, int view, const char *name)
{
	if (view < 0 || (size_t)view >= run->nsrv ||
	    !dnsname_under(name, run->srv[view].zone))
		return CHECK_VIEW_RESOLVER;
	return view;
}

/* The server's resolver object, made on first use; NULL when dns_new
 * failed (srv->error says why). */
static struct dns *
check_srv_dns(struct check_run *run, struct check_srv *srv)
{
	struct dns_opts opts;
	char *servers;
	int af = AF_INET;

	if (srv->dns != NULL || srv->error != NULL)
		return srv->dns;
	free(netaddr_canon(srv->addr, &af));
	if (af == AF_INET6)
		servers = xasprintf("[%s]:%d", srv->addr, run->ns_port);
	else
		servers = xasprintf("%s:%d", srv->addr, run->ns_port);
	memset(&opts, 0, sizeof opts);
	opts.servers = servers;
	opts.timeout_ms = 2000;
	opts.tries = 1;
	opts.norecurse = 1;
	srv->dns = dns_new(run->loop, &opts, &srv->error);
	if (srv->dns == NULL && srv->error == NULL)
		srv->error = xstrdup("cannot start a resolver");
	free(servers);
	return srv->dns;
}

/* FNV-1a of a cache key, as a bucket index. */
static size_t
check_hash(int view, int type, const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	const unsigned char *p;
	uint32_t h = 2166136261u;
	size_t i;

	h = (h ^ (uint32_t)(view + 1)) * 16777619u;
	h = (h ^ (uint32_t)type) * 16777619u;
	for (i = 0; i < 3; i++) {
		for (p = (const unsigned char *)parts[i]; p != NULL && *p != '\0';
		    p++)
			h = (h ^ *p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h % CHECK_BUCKETS;
}

/* Room for one more element in an array of n that only grows until it is
 * freed: the size doubles at each power of two. */
static void *
check_grow(void *v, size_t n, size_t size)
{
	if (n == 0)
		return xreallocarray(v, 4, size);
	if (n >= 4 && (n & (n - 1)) == 0)
		return xreallocarray(v, n * 2, size);
	return v;
}

/* How many results who waits for. */
static size_t *
check_nwait(struct check_run *run, const struct check_waiter *who)
{
	struct check_dstate *d = &run->ds[who->dom];

	if (who->work == CHECK_DISC)
		return &d->disc_nwait;
	return &d->work[who->work].nwait;
}

/* Remember that who waits for a result (once). */
static void
check_wait(struct check_run *run, struct check_waiters *ws,
    const struct check_waiter *who)
{
	struct check_waiter *last;

	/*
	 * A rule runs again only when all it waited for is in, so who is
	 * only found here again in the same run, as the last entry.  Should
	 * another one come between, who is counted twice and so woken twice:
	 * no harm.
	 */
	if (ws->n > 0) {
		last = &ws->v[ws->n - 1];
		if (last->dom == who->dom && last->work == who->work)
			return;
	}
	ws->v = check_grow(ws->v, ws->n, sizeof *ws->v);
	ws->v[ws->n++] = *who;
	if (!run->dead)
		(*check_nwait(run, who))++;
}

/* Queue a rule (or the nameserver search) to run again. */
static void
check_enqueue(struct check_run *run, size_t dom, size_t work)
{
	struct check_dstate *d;

	if (run->dead || dom >= run->ndomains)
		return;
	d = &run->ds[dom];
	if (work == CHECK_DISC) {
		if (d->disc_queued || d->disc_done)
			return;
		d->disc_queued = 1;
	} else {
		if (work >= d->nwork || d->work[work].queued ||
		    d->work[work].final)
			return;
		d->work[work].queued = 1;
	}
	if (run->nqueue == run->queuesize) {
		run->queuesize = run->queuesize ? run->queuesize * 2 : 256;
		run->queue = xreallocarray(run->queue, run->queuesize,
		    sizeof *run->queue);
	}
	run->queue[run->nqueue].dom = dom;
	run->queue[run->nqueue++].work = work;
}

/* A result is in: queue whoever waited for it and has all it waited for
 * (a rule run again while something it needs is pending would only come
 * to no verdict). */
static void
check_wake(struct check_run *run, struct check_waiters *ws)
{
	size_t i, *nwait;

	for (i = 0; i < ws->n; i++) {
		if (run->dead)
			break;
		nwait = check_nwait(run, &ws->v[i]);
		if (*nwait > 0 && --*nwait > 0)
			continue;
		check_enqueue(run, ws->v[i].dom, ws->v[i].work);
	}
	free(ws->v);
	ws->v = NULL;
	ws->n = 0;
}

/* Free a run whose results are gone once nothing refers to it. */
static void
check_release(struct check_run *run)
{
	struct check_q *q;
	struct check_spf *s;
	size_t i, b;

	if (!run->dead || run->pending > 0 || run->depth > 0)
		return;
	for (b = 0; b < CHECK_BUCKETS; b++) {
		while ((q = run->qtab[b]) != NULL) {
			run->qtab[b] = q->next;
			free(q->rrs);	/* the texts are in the same block */
			free(q->name);
			free(q->error);
			free(q->waiters.v);
			free(q->hooks);
			free(q);
		}
		while ((s = run->stab[b]) != NULL) {
			run->stab[b] = s->next;
			for (i = 0; i < s->ncounts; i++)
				free(s->counts[i].domain);
			free(s->counts);
			free(s->domain);
			free(s->ip);
			free(s->sender);
			free(s->helo);
			free(s->explanation);
			free(s->matched);
			free(s->waiters.v);
			free(s);
		}
	}
	free(run->queue);
	free(run->deferred);
	for (i = 0; i < run->nsrv; i++) {
		free(run->srv[i].zone);
		free(run->srv[i].host);
		free(run->srv[i].addr);
		free(run->srv[i].error);
	}
	free(run->srv);
	free(run);
}

/* A DNS answer for a cached lookup. */
static void
check_q_done(const struct dns_answer *a, void *arg)
{
	struct check_q *q = arg;
	struct check_run *run = q->run;
	struct check_rr *rr;
	char *text;
	size_t i, j, size;

	run->pending--;
	q->done = 1;
	q->status = a->status;
	q->neg_ttl = a->neg_ttl;
	if (a->error != NULL)
		q->error = xstrdup(a->error);
	if (a->status == DNS_OK && a->nrrs > 0) {
		/* One block: the records, then their texts. */
		size = a->nrrs * sizeof *q->rrs;
		for (i = 0; i < a->nrrs; i++)
			size += a->rrs[i].len + 1;
		q->rrs = xcalloc(1, size);
		text = (char *)(q->rrs + a->nrrs);
		for (i = 0; i < a->nrrs; i++) {
			rr = &q->rrs[q->nrrs++];
			rr->ttl = a->rrs[i].ttl;
			rr->len = a->rrs[i].len;
			rr->text = text;
			text += rr->len + 1;
			memcpy(rr->text, a->rrs[i].text, rr->len);
			rr->text[rr->len] = '\0';
			rr->pref = a->rrs[i].pref;
			rr->nstrings = a->rrs[i].nstrings;
			for (j = 0; j < a->rrs[i].nstrings; j++)
				if (a->rrs[i].lens[j] > rr->longest)
					rr->longest = a->rrs[i].lens[j];
		}
	} else if (a->status == DNS_OK)
		q->status = DNS_NODATA;
	if (q->view == CHECK_VIEW_RESOLVER) {
		if (a->status == DNS_TIMEOUT || a->status == DNS_ERROR)
			run->unreached++;
		else
			run->answered++;
	}
	check_wake(run, &q->waiters);
	run->depth++;
	for (i = 0; i < q->nhooks; i++) {
		run->pending--;
		q->hooks[i].cb(a, q->hooks[i].arg);
	}
	free(q->hooks);
	q->hooks = NULL;
	q->nhooks = 0;
	if (!run->dead)
		check_update(run, 1);
	run->depth--;
	check_release(run);
}

/* dnsname_norm() into a buffer of CHECK_NAME_BUF bytes when the name fits
 * (no allocation for a lookup that is in the cache); else allocated.
 * Free with check_norm_free(). */
#define CHECK_NAME_BUF 512
static char *
check_norm_buf(const char *name, char *buf)
{
	char *n = dnsname_norm_into(name, buf, CHECK_NAME_BUF);

	return n != NULL ? n : dnsname_norm(name);
}

static void
check_norm_free(char *n, char *buf)
{
	if (n != buf)
		free(n);
}

/* The cached lookup of name (normalized) and type through view; started
 * when it is new. */
static struct check_q *
check_q_find(struct check_run *run, int view, const char *n, int type)
{
	struct check_q *q;
	struct dns *dns;
	size_t b = check_hash(view, type, n, NULL, NULL);

	for (q = run->qtab[b]; q != NULL; q = q->next)
		if (q->view == view && q->type == type &&
		    strcmp(q->name, n) == 0)
			break;
	if (q == NULL) {
		q = xcalloc(1, sizeof *q);
		q->run = run;
		q->view = view;
		q->name = xstrdup(n);
		q->type = type;
		q->next = run->qtab[b];
		run->qtab[b] = q;
		dns = view < 0 ? run->dns : check_srv_dns(run, &run->srv[view]);
		if (dns == NULL) {
			q->done = 1;
			q->status = DNS_ERROR;
			q->error = xstrdup(run->srv[view].error);
		} else {
			run->pending++;
			dns_query(dns, q->name, type, check_q_done, q);
		}
	}
	return q;
}

const struct check_q *
check_get(struct check_ev *ev, const char *name, int type)
{
	struct check_run *run = ev->run;
	char buf[CHECK_NAME_BUF], *n = check_norm_buf(name, buf);
	struct check_q *q;

	q = check_q_find(run, check_view_for(run, ev->view, n), n, type);
	check_norm_free(n, buf);
	if (!q->done) {
		check_wait(run, &q->waiters, &ev->who);
		ev->pending = 1;
		return NULL;
	}
	return q;
}

/* A cached lookup as a struct dns_answer (the records' character-strings
 * are not kept: an SPF evaluation reads the joined text). */
static void
check_q_answer(const struct check_q *q, struct dns_answer *a)
{
	struct dns_rr *rr;
	size_t i;

	memset(a, 0, sizeof *a);
	a->status = q->status;
	a->name = q->name;
	a->type = q->type;
	a->neg_ttl = q->neg_ttl;
	a->error = q->error;
	if (q->nrrs > 0)
		a->rrs = xcalloc(q->nrrs, sizeof *a->rrs);
	for (i = 0; i < q->nrrs; i++) {
		rr = &a->rrs[a->nrrs++];
		rr->type = q->type;
		rr->ttl = q->rrs[i].ttl;
		rr->text = q->rrs[i].text;
		rr->len = q->rrs[i].len;
		rr->pref = q->rrs[i].pref;
	}
}

/* Deliver the SPF lookups answered from the cache: from the loop (a
 * timer), or from check_free() as cancelled. */
static void
check_flush(void *arg)
{
	struct check_run *run = arg;
	struct check_hook *v;
	struct dns_answer a;
	size_t i, n;

	run->timer = 0;
	run->flushing = 1;
	run->depth++;
	while (run->ndeferred > 0) {
		v = run->deferred;
		n = run->ndeferred;
		run->deferred = NULL;
		run->ndeferred = 0;
		for (i = 0; i < n; i++) {
			check_q_answer(v[i].q, &a);
			if (run->dead) {
				a.status = DNS_ERROR;
				a.error = "cancelled";
			}
			run->pending--;
			v[i].cb(&a, v[i].arg);
			free(a.rrs);
		}
		free(v);
	}
	run->depth--;
	run->flushing = 0;
	check_release(run);
}

/* The query hook of the run's SPF evaluations: every lookup goes through
 * the run's cache, so one name and type is asked once per view for all the
 * evaluations and rules, and a lookup in flight is shared. */
static void
check_spf_query(void *qarg, const char *name, int type, dns_cb cb,
    void *arg)
{
	struct check_spf *s = qarg;
	struct check_run *run = s->run;
	struct check_hook *h;
	struct check_q *q;
	char buf[CHECK_NAME_BUF], *n;

	if (run->dead) {	/* the results are gone: no cache */
		dns_query(run->dns, name, type, cb, arg);
		return;
	}
	n = check_norm_buf(name, buf);
	q = check_q_find(run, check_view_for(run, s->view, n), n, type);
	check_norm_free(n, buf);
	run->pending++;
	if (!q->done) {
		q->hooks = check_grow(q->hooks, q->nhooks, sizeof *q->hooks);
		h = &q->hooks[q->nhooks++];
	} else {
		run->deferred = check_grow(run->deferred, run->ndeferred,
		    sizeof *run->deferred);
		h = &run->deferred[run->ndeferred++];
		if (run->timer == 0 && !run->flushing)
			run->timer = loop_timer_add(run->loop, 0, check_flush,
			    run);
	}
	h->q = q;
	h->cb = cb;
	h->arg = arg;
}

/* An SPF result for a cached evaluation. */
static void
check_spf_done(const struct spf_outcome *o, void *arg)
{
	struct check_spf *s = arg;
	struct check_run *run = s->run;
	size_t i;

	run->pending--;
	s->done = 1;
	s->result = o->result;
	s->explanation = o->explanation != NULL ?
	    xstrdup(o->explanation) : NULL;
	s->matched = o->matched != NULL ? xstrdup(o->matched) : NULL;
	s->lookups = o->lookups;
	s->void_lookups = o->void_lookups;
	check_wake(run, &s->waiters);
	if (o->ncounts > 0) {
		s->counts = xcalloc(o->ncounts, sizeof *s->counts);
		for (i = 0; i < o->ncounts; i++) {
			s->counts[i] = o->counts[i];
			s->counts[i].domain = xstrdup(o->counts[i].domain != NULL ?
			    o->counts[i].domain : "?");
		}
		s->ncounts = o->ncounts;
	}
	if (!run->dead) {
		run->depth++;
		check_update(run, 1);
		run->depth--;
	}
	check_release(run);
}

const struct check_spf *
check_spf(struct check_ev *ev, const char *domain, const char *ip,
    const char *sender, const char *helo)
{
	struct check_run *run = ev->run;
	struct check_spf *s;
	struct spf_request req;
	struct dns *dns;
	int view = check_view_for(run, ev->view, domain);
	size_t b = check_hash(view, 0, domain, ip, helo);

	for (s = run->stab[b]; s != NULL; s = s->next)
		if (s->view == view && strcmp(s->domain, domain) == 0 &&
		    strcmp(s->ip, ip) == 0 && strcmp(s->sender, sender) == 0 &&
		    strcmp(s->helo, helo) == 0)
			break;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->run = run;
		s->view = view;
		s->domain = xstrdup(domain);
		s->ip = xstrdup(ip);
		s->sender = xstrdup(sender);
		s->helo = xstrdup(helo);
		s->next = run->stab[b];
		run->stab[b] = s;
		dns = view < 0 ? run->dns : check_srv_dns(run, &run->srv[view]);
		if (dns == NULL) {
			s->done = 1;
			s->result = SPF_TEMPERROR;
			s->explanation = xstrdup(run->srv[view].error);
		} else {
			memset(&req, 0, sizeof req);
			req.domain = s->domain;
			req.ip = s->ip;
			req.sender = s->sender;
			req.helo = s->helo;
			req.query = check_spf_query;
			req.query_arg = s;
			run->pending++;
			spf_check(dns, &req, check_spf_done, s);
		}
	}
	if (!s->done) {
		check_wait(run, &s->waiters, &ev->who);
		ev->pending = 1;
		return NULL;
	}
	return s;
}

/* Who answered, for messages. */
static const char *
check_view_name(const struct check_ev *ev, const struct check_q *q)
{
	if (q->view < 0)
		return "the resolver";
	return ev->run->srv[q->view].host;
}

/* Keep what a verdict rests on: whether a record was missing, and how
 * long the resolver may cache the answers (for propagation messages).
 * Names outside the domain's zone do not count. */
static void
check_track(struct check_ev *ev, const struct check_q *q)
{
	size_t i;

	if (ev->zone != NULL && !dnsname_under(q->name, ev->zone))
		return;
	if (q->status == DNS_NXDOMAIN || q->status == DNS_NODATA) {
		ev->missing = 1;
		if (q->neg_ttl > ev->neg_ttl)
			ev->neg_ttl = q->neg_ttl;
	}
	for (i = 0; i < q->nrrs; i++)
		if (q->rrs[i].ttl > ev->pos_ttl)
			ev->pos_ttl = q->rrs[i].ttl;
}

int
check_answer(struct check_ev *ev, const struct check_q *q)
{
	switch (q->status) {
	case DNS_OK:
		check_track(ev, q);
		return q->nrrs > 0;
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		check_track(ev, q);
		return 0;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
	case DNS_TIMEOUT:
	case DNS_ERROR:
		break;
	}
	check_note(ev, CHECK_UNKNOWN, "could not tell: %s %s got %s from %s%s%s",
	    q->name, check_type_name(q->type), dns_status_name(q->status),
	    check_view_name(ev, q), q->error != NULL ? ": " : "",
	    q->error != NULL ? q->error : "");
	return -1;
}

void
check_note(struct check_ev *ev, enum check_status st, const char *fmt, ...)
{
	struct strv *v;
	va_list ap;
	char *s;
	size_t i;

	/* An evaluation with something pending is thrown away: no text. */
	if (ev->pending)
		return;
	if (check_rank(st) > check_rank(ev->status))
		ev->status = st;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	v = &ev->notes[CHECK_NOTE_LEVELS - 1 - check_rank(st)];
	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			break;		/* said already (another address) */
	if (i == v->n)
		strv_add(v, s);
	free(s);
}

/* Fix text made safe, zone-file style: line breaks and tabs kept (the
 * multi-string form), other control bytes, DEL and invalid UTF-8 as \DDD. */
static char *
check_fix_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	size_t n, len = strlen(s);

	buf_init(&b);
	while (*p != '\0') {
		if (*p == '\n' || *p == '\t' || (*p >= 0x20 && *p < 0x7f))
			buf_addc(&b, (char)*p);
		else if (*p >= 0x80 &&
		    (n = utf8_seqlen(p, len - (size_t)(p -
		    (const unsigned char *)s))) > 0) {
			buf_add(&b, p, n);
			p += n;
			continue;
		} else
			buf_printf(&b, "\\%03u", *p);
		p++;
	}
	return buf_steal(&b);
}

void
check_fix(struct check_ev *ev, const char *fix)
{
	char *safe;
	size_t i;

	if (ev->pending)
		return;
	safe = check_fix_safe(fix);
	for (i = 0; i < ev->fixes.n; i++) {
		if (strcmp(ev->fixes.v[i], safe) == 0) {
			free(safe);
			return;
		}
	}
	strv_add(&ev->fixes, safe);
	free(safe);
}

void
check_found(struct check_ev *ev, const char *text, size_t len)
{
	char *safe;

	if (ev->pending)
		return;
	safe = check_sanitize(text, len);
	if (strv_find(&ev->found, safe) < 0)
		strv_add(&ev->found, safe);
	free(safe);
}

static void
check_ev_init(struct check_ev *ev, struct check_run *run, size_t dom,
    size_t work, int view)
{
	struct check_dstate *d = &run->ds[dom];
	size_t i;

	memset(ev, 0, sizeof *ev);
	ev->who.dom = dom;
	ev->who.work = work;
	ev->run = run;
	ev->site = run->site;
	ev->domain = run->domains[dom].domain;
	ev->host = run->host;
	ev->hosts_note = run->hosts_note;
	ev->zone = d->zone;
	ev->view = view;
	ev->status = CHECK_OK;
	for (i = 0; i < CHECK_NOTE_LEVELS; i++)
		strv_init(&ev->notes[i]);
	strv_init(&ev->found);
	strv_init(&ev->fixes);
}

static void
check_ev_free(struct check_ev *ev)
{
	size_t i;

	for (i = 0; i < CHECK_NOTE_LEVELS; i++)
		strv_free(&ev->notes[i]);
	strv_free(&ev->found);
	strv_free(&ev->fixes);
}

/* The notes as one line, worst first; raw (not sanitized). */
static char *
check_ev_detail(const struct check_ev *ev)
{
	struct buf b;
	size_t i, k;

	buf_init(&b);
	for (i = 0; i < CHECK_NOTE_LEVELS; i++) {
		for (k = 0; k < ev->notes[i].n; k++) {
			if (b.len > 0)
				buf_add(&b, "; ", 2);
			buf_adds(&b, ev->notes[i].v[k]);
		}
	}
	if (b.len == 0)
		buf_adds(&b, "no answer to judge");
	return buf_steal(&b);
}

/* The fixes as text, one per line; NULL when there is none. */
static char *
check_ev_fix(const struct check_ev *ev)
{
	struct buf b;
	size_t i;

	if (ev->fixes.n == 0)
		return NULL;
	buf_init(&b);
	for (i = 0; i < ev->fixes.n; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_adds(&b, ev->fixes.v[i]);
	}
	return buf_steal(&b);
}

/* Put a verdict into the item (detail sanitized here); the found values
 * are taken (found is left empty). */
static void
check_commit(struct check_item *it, enum check_status st, const char *detail,
    struct strv *found, char *fix)
{
	it->status = st;
	free(it->detail);
	it->detail = check_sanitize(detail, strlen(detail));
	strv_free(&it->found);
	it->found = *found;
	strv_init(found);
	free(it->fix);
	it->fix = st == CHECK_OK ? NULL : fix;
	if (st == CHECK_OK)
		free(fix);
}

/* The word for one nameserver's view of an item in authority lines. */
static const char *
check_word(const struct check_ev *ev)
{
	if (ev->status == CHECK_FAIL && ev->missing)
		return "missing";
	return check_status_name(ev->status);
}

/* Do two nameservers' words disagree?  One that could not be asked
 * ("unknown") disagrees with nobody. */
static int
check_differ(const char *a, const char *b)
{
	if (strcmp(a, "unknown") == 0 || strcmp(b, "unknown") == 0)
		return 0;
	return strcmp(a, b) != 0;
}

/* Join what the nameservers say with the resolver's verdict r. */
static void
check_combine(struct check_run *run, struct check_dstate *d,
    struct check_work *w, struct check_item *it, struct check_ev *r,
    struct check_ev *evs)
{
	struct check_srv *srv;
	struct buf b, who;
	char *rdetail, *adetail, *fix;
	size_t s, better = 0, first = 0;
	int disagree = 0;

	buf_init(&b);
	buf_init(&who);
	strv_free(&w->auth);
	for (s = 0; s < d->nsrvs; s++) {
		strv_add(&w->auth, check_word(&evs[s]));
		if (s > 0 && check_differ(w->auth.v[s], w->auth.v[0]))
			disagree = 1;
		if (evs[s].status == CHECK_UNKNOWN ||
		    check_rank(evs[s].status) >= check_rank(r->status))
			continue;
		srv = &run->srv[d->srvs[s]];
		if (better++ == 0)
			first = s;
		buf_printf(&who, "%s%s (%s)", who.len ? ", " : "", srv->host,
		    srv->addr);
	}
	rdetail = check_ev_detail(r);
	if (better == 0) {
		buf_adds(&b, rdetail);
		if (disagree) {
			buf_adds(&b, "; the nameservers disagree:");
			for (s = 0; s < d->nsrvs; s++)
				buf_printf(&b, "%s %s %s", s ? "," : "",
				    run->srv[d->srvs[s]].host, w->auth.v[s]);
		}
		check_commit(it, r->status, b.data, &r->found,
		    check_ev_fix(r));
		goto done;
	}
	if (r->missing)
		buf_printf(&b, "published on %s, not yet visible through the"
		    " resolver: cached negative answer may last up to %u s",
		    who.data, r->neg_ttl);
	else
		buf_printf(&b, "published on %s, not yet visible through the"
		    " resolver: its cached copy may last up to %u s", who.data,
		    r->pos_ttl);
	buf_printf(&b, "; through the resolver: %s", rdetail);
	if (evs[first].status != CHECK_OK) {
		adetail = check_ev_detail(&evs[first]);
		buf_printf(&b, "; on %s: %s", run->srv[d->srvs[first]].host,
		    adetail);
		free(adetail);
	}
	if (disagree)
		buf_adds(&b, "; the nameservers disagree with each other");
	fix = xasprintf("nothing to publish: wait up to %u s for the"
	    " resolver's cache to expire, or flush it (unbound: unbound-control"
	    " flush_zone %s)", r->missing ? r->neg_ttl : r->pos_ttl,
	    d->zone);
	check_commit(it, CHECK_WARN, b.data, &r->found, fix);
done:
	free(rdetail);
	buf_free(&b);
	buf_free(&who);
}

/* May this check's failure be a stale cache?  Everything but the PTR,
 * which lives in the address owner's zone, not the domain's. */
static int
check_propagates(const struct check_work *w)
{
	return w->kind != CHECK_K_PTR;
}

/* Run one item's rule again; commit when it has its verdict. */
static void
check_work_update(struct check_run *run, size_t dom, size_t k)
{
	struct check_domain *cd = &run->domains[dom];
	struct check_dstate *d = &run->ds[dom];
	struct check_work *w = &d->work[k];
	struct check_item *it = &cd->items[w->item];
	struct check_ev r, *evs = NULL;
	char *detail;
	size_t s;
	int pending = 0;

	if (w->final)
		return;
	check_ev_init(&r, run, dom, k, CHECK_VIEW_RESOLVER);
	check_rule(&r, w);
	if (r.pending)
		goto done;
	if (!check_propagates(w) || (r.status != CHECK_FAIL &&
	    r.status != CHECK_WARN) || (d->disc_done && d->nsrvs == 0)) {
		detail = check_ev_detail(&r);
		check_commit(it, r.status, detail, &r.found, check_ev_fix(&r));
		free(detail);
		w->final = 1;
		goto done;
	}
	if (!d->disc_done)
		goto done;	/* queued again when the search ends */
	evs = xcalloc(d->nsrvs, sizeof *evs);
	for (s = 0; s < d->nsrvs; s++) {
		check_ev_init(&evs[s], run, dom, k, (int)d->srvs[s]);
		check_rule(&evs[s], w);
		pending |= evs[s].pending;
	}
	if (!pending) {
		check_combine(run, d, w, it, &r, evs);
		w->final = 1;
	}
	for (s = 0; s < d->nsrvs; s++)
		check_ev_free(&evs[s]);
	free(evs);
done:
	if (w->final)
		d->nfinal++;
	check_ev_free(&r);
}

/* Add (or find) the nameserver zone/host/addr; its index. */
static size_t
check_srv_add(struct check_run *run, const char *zone, const char *host,
    const char *addr)
{
	struct check_srv *srv;
	size_t i;

	for (i = 0; i < run->nsrv; i++)
		if (strcmp(run->srv[i].zone, zone) == 0 &&
		    strcmp(run->srv[i].addr, addr) == 0)
			return i;
	run->srv = xgrow(run->srv, run->nsrv, sizeof *run->srv);
	srv = &run->srv[run->nsrv];
	memset(srv, 0, sizeof *srv);
	srv->zone = xstrdup(zone);
	srv->host = xstrdup(host);
	srv->addr = xstrdup(addr);
	return run->nsrv++;
}

/*
 * Find the zone of the domain and its nameservers: NS at the domain, else
 * at each parent up to (not including) the top-level domain; then each
 * NS host's addresses through the resolver.
 */
static void
check_disc_update(struct check_run *run, size_t dom)
{
	struct check_domain *cd = &run->domains[dom];
	struct check_dstate *d = &run->ds[dom];
	struct check_ev ev;
	const struct check_q *q, *qa, *q6;
	const char *name = cd->domain, *dot;
	size_t i, j, idx;

	if (d->disc_done)
		return;
	check_ev_init(&ev, run, dom, CHECK_DISC, CHECK_VIEW_RESOLVER);
	for (;;) {
		if ((q = check_get(&ev, name, DNS_T_NS)) == NULL)
			goto done;
		if (q->status == DNS_OK && q->nrrs > 0)
			break;
		if (q->status != DNS_NODATA && q->status != DNS_NXDOMAIN) {
			d->disc_note = xasprintf("NS lookup of %s: %s%s%s",
			    name, dns_status_name(q->status),
			    q->error != NULL ? ": " : "",
			    q->error != NULL ? q->error : "");
			d->disc_done = 1;
			goto done;
		}
		if ((dot = strchr(name, '.')) == NULL ||
		    strchr(dot + 1, '.') == NULL) {
			d->disc_note = xasprintf("no NS record at %s or its"
			    " parent domains", cd->domain);
			d->disc_done = 1;
			goto done;
		}
		name = dot + 1;
	}
	for (i = 0; i < q->nrrs; i++) {	/* start them all */
		check_get(&ev, q->rrs[i].text, DNS_T_A);
		check_get(&ev, q->rrs[i].text, DNS_T_AAAA);
	}
	if (ev.pending)
		goto done;
	d->zone = xstrdup(q->name);
	for (i = 0; i < q->nrrs; i++) {
		qa = check_get(&ev, q->rrs[i].text, DNS_T_A);
		q6 = check_get(&ev, q->rrs[i].text, DNS_T_AAAA);
		for (j = 0; j < qa->nrrs + q6->nrrs; j++) {
			if (d->nsrvs >= CHECK_MAX_SERVERS)
				break;
			idx = check_srv_add(run, d->zone, q->rrs[i].text,
			    j < qa->nrrs ? qa->rrs[j].text :
			    q6->rrs[j - qa->nrrs].text);
			d->srvs = xgrow(d->srvs, d->nsrvs, sizeof *d->srvs);
			d->srvs[d->nsrvs++] = idx;
		}
	}
	if (d->nsrvs == 0)
		d->disc_note = xasprintf("the nameservers of %s have no"
		    " address", d->zone);
	d->disc_done = 1;
done:
	check_ev_free(&ev);
}

/* The authority lines of a finished domain. */
static void
check_authority(struct check_run *run, struct check_domain *cd,
    struct check_dstate *d)
{
	struct check_srv *srv;
	struct buf b;
	size_t s, k, t;
	int any;
	char *safe;

	strv_free(&cd->authority);
	buf_init(&b);
	if (d->nsrvs == 0)
		buf_printf(&b, "nameservers of %s: not asked (%s)", cd->domain,
		    d->disc_note != NULL ? d->disc_note : "none found");
	for (s = 0; s < d->nsrvs; s++) {
		if (b.len > 0) {
			safe = check_sanitize(b.data, b.len);
			strv_add(&cd->authority, safe);
			free(safe);
			buf_free(&b);
			buf_init(&b);
		}
		srv = &run->srv[d->srvs[s]];
		buf_printf(&b, "%s %s (zone %s):", srv->host, srv->addr,
		    srv->zone);
		any = 0;
		for (k = 0; k < d->nwork; k++) {
			if (d->work[k].auth.n <= s)
				continue;
			buf_printf(&b, "%s %s %s", any++ ? "," : "",
			    cd->items[d->work[k].item].id,
			    d->work[k].auth.v[s]);
		}
		if (!any)
			buf_adds(&b, " not asked: the resolver shows nothing"
			    " missing or wrong");
	}
	for (k = 0; k < d->nwork; k++) {
		for (t = 1; t < d->work[k].auth.n; t++) {
			if (!check_differ(d->work[k].auth.v[t],
			    d->work[k].auth.v[0]))
				continue;
			if (b.len > 0) {
				safe = check_sanitize(b.data, b.len);
				strv_add(&cd->authority, safe);
				free(safe);
				buf_free(&b);
				buf_init(&b);
			}
			buf_printf(&b, "%s and %s disagree on %s (%s, %s): a"
			    " zone transfer may be pending",
			    run->srv[d->srvs[0]].host,
			    run->srv[d->srvs[t]].host,
			    cd->items[d->work[k].item].id,
			    d->work[k].auth.v[0], d->work[k].auth.v[t]);
		}
	}
	if (b.len > 0) {
		safe = check_sanitize(b.data, b.len);
		strv_add(&cd->authority, safe);
		free(safe);
	}
	buf_free(&b);
}

/* Run what is queued (rules whose results came in, nameserver searches)
 * until nothing is; finish the domains that have every verdict; tell the
 * caller if asked. */
static void
check_update(struct check_run *run, int notify)
{
	struct check_waiter who;
	struct check_dstate *d;
	size_t k;
	int was;

	while (run->nqueue > 0) {
		who = run->queue[--run->nqueue];
		d = &run->ds[who.dom];
		if (who.work == CHECK_DISC) {
			d->disc_queued = 0;
			was = d->disc_done;
			check_disc_update(run, who.dom);
			/* Checks waiting for the nameservers go on. */
			for (k = 0; !was && d->disc_done && k < d->nwork; k++)
				check_enqueue(run, who.dom, k);
		} else {
			d->work[who.work].queued = 0;
			check_work_update(run, who.dom, who.work);
		}
		if (!d->complete && d->disc_done && d->nfinal == d->nwork) {
			check_authority(run, &run->domains[who.dom], d);
			d->complete = 1;
			run->ncomplete++;
		}
	}
	if (notify && run->changed != NULL)
		run->changed(run->arg);
}

/* The kind of a records.h id. */
static int
check_kind(const char *id, enum check_kind *kind)
{
	if (strcmp(id, "mx") == 0)
		*kind = CHECK_K_MX;
	else if (strcmp(id, "host-a") == 0)
		*kind = CHECK_K_HOST_A;
	else if (strcmp(id, "host-aaaa") == 0)
		*kind = CHECK_K_HOST_AAAA;
	else if (strncmp(id, "ptr:", 4) == 0)
		*kind = CHECK_K_PTR;
	else if (strcmp(id, "spf") == 0)
		*kind = CHECK_K_SPF;
	else if (strcmp(id, "spf-helo") == 0)
		*kind = CHECK_K_SPF_HELO;
	else if (strncmp(id, "dkim:", 5) == 0)
		*kind = CHECK_K_DKIM;
	else if (strcmp(id, "dmarc") == 0)
		*kind = CHECK_K_DMARC;
	else
		return -1;
	return 0;
}

/* Chain the site's keys by domain, in the site's order (run->keynext,
 * SIZE_MAX ends a chain), so finding a domain's key is no scan. */
static void
check_key_index(struct check_run *run)
{
	const struct site *site = run->site;
	const struct site_key *k;
	size_t i, head;

	strmap_init(&run->keyfirst);
	run->keynext = xcalloc(site->nkeys + 1, sizeof *run->keynext);
	for (i = site->nkeys; i > 0; i--) {
		k = &site->keys[i - 1];
		run->keynext[i - 1] = SIZE_MAX;
		if (k->domain == NULL || k->selector == NULL)
			continue;
		if (strmap_get(&run->keyfirst, k->domain, &head))
			run->keynext[i - 1] = head;
		strmap_put(&run->keyfirst, k->domain, i - 1);
	}
}

/* The site key behind a dkim:<selector> item of domain: the first in the
 * site's order. */
static const struct site_key *
check_key(const struct check_run *run, const char *domain,
    const char *selector)
{
	const struct site *site = run->site;
	size_t i;

	if (!strmap_get(&run->keyfirst, domain, &i))
		return NULL;
	for (; i != SIZE_MAX && i < site->nkeys; i = run->keynext[i])
		if (strcmp(site->keys[i].domain, domain) == 0 &&	/* lower */
		    strcasecmp(site->keys[i].selector, selector) == 0)
			return &site->keys[i];
	return NULL;
}

/* The local public key of a dkim work, read once per key file (many
 * domains often share one key). */
static void
check_local_key(struct check_run *run, struct check_work *w)
{
	struct check_keyfile *kf;
	struct stat st;
	size_t i;

	if (w->key == NULL || w->key->keyfile == NULL) {
		w->key_error = xstrdup("no key file is configured for this"
		    " selector");
		return;
	}
	for (i = 0; i < run->nkeyfiles; i++)
		if (strcmp(run->keyfiles[i]->path, w->key->keyfile) == 0)
			break;
	if (i == run->nkeyfiles) {
		run->keyfiles = xgrow(run->keyfiles, i, sizeof *run->keyfiles);
		kf = xcalloc(1, sizeof *kf);
		run->keyfiles[run->nkeyfiles++] = kf;
		kf->path = xstrdup(w->key->keyfile);
		if ((kf->stat_rc = fsroot_stat(run->site->root, kf->path,
		    &st)) == 0)
			kf->mode = (unsigned)st.st_mode;
		if (dkimkey_load(run->site->root, kf->path, &kf->pub,
		    &kf->error) != 0 && kf->error == NULL)
			kf->error = xstrdup("cannot read the key");
	}
	kf = run->keyfiles[i];
	w->key_stat = kf->stat_rc;
	w->key_mode = kf->mode;
	if (kf->error != NULL) {
		w->key_error = xstrdup(kf->error);
		return;
	}
	w->pub = &kf->pub;
}

/* The items of one domain from its record set. */
static void
check_domain_init(struct check_run *run, const struct record_set *set,
    struct check_domain *cd, struct check_dstate *d)
{
	const struct record *r;
	struct check_item *it;
	struct check_work *w;
	enum check_kind kind;
	size_t i, k;

	cd->domain = xstrdup(set->domain);
	strv_init(&cd->authority);
	cd->items = xcalloc(set->nrecords, sizeof *cd->items);
	d->work = xcalloc(set->nrecords, sizeof *d->work);
	for (i = 0; i < set->nrecords; i++) {
		r = &set->records[i];
		if (check_kind(r->id, &kind) != 0)
			continue;
		for (k = 0; k < cd->nitems; k++)
			if (strcmp(cd->items[k].id, r->id) == 0)
				break;
		if (k < cd->nitems) {
			/* host-a/host-aaaa: one RRset; dkim: a selector
			 * configured again (its record is in error). */
			w = &d->work[k];
			w->recs = xgrow(w->recs, w->nrecs, sizeof *w->recs);
			w->recs[w->nrecs++] = r;
			it = &cd->items[k];
			if (w->kind != CHECK_K_DKIM && r->value != NULL &&
			    it->expected != NULL) {
				char *e = xasprintf("%s, %s", it->expected,
				    r->value);
				free(it->expected);
				it->expected = e;
			}
			continue;
		}
		it = &cd->items[cd->nitems++];
		w = &d->work[d->nwork++];
		it->id = xstrdup(r->id);
		it->name = xstrdup(r->name);
		it->type = xstrdup(r->type);
		it->status = CHECK_PENDING;
		it->expected = r->value != NULL ? xstrdup(r->value) : NULL;
		strv_init(&it->found);
		w->kind = kind;
		w->item = k;
		w->recs = xcalloc(1, sizeof *w->recs);
		w->recs[w->nrecs++] = r;
		strv_init(&w->auth);
		if (kind == CHECK_K_PTR)
			w->addr = r->id + 4;
		if (kind == CHECK_K_DKIM) {
			w->key = check_key(run, set->domain, r->id + 5);
			check_local_key(run, w);
		}
	}
}

/* Does /etc/hosts map the mail hostname to a loopback address?  The note
 * names the line, or NULL. */
static char *
check_hosts_file(const struct site *site, const char *host)
{
	struct strv lines, words;
	char *data = NULL, *note = NULL;
	size_t len, i, j;

	if (host == NULL || fsroot_read(site->root, "/etc/hosts", 0, &data,
	    &len, NULL) != 0)
		return NULL;
	strv_init(&lines);
	str_split(data, "\n", &lines);
	for (i = 0; i < lines.n && note == NULL; i++) {
		lines.v[i][strcspn(lines.v[i], "#")] = '\0';
		strv_init(&words);
		str_split(lines.v[i], " \t\r", &words);
		if (words.n >= 2 && (strcmp(words.v[0], "127.0.0.1") == 0 ||
		    strcmp(words.v[0], "::1") == 0)) {
			for (j = 1; j < words.n; j++) {
				if (strcasecmp(words.v[j], host) != 0)
					continue;
				note = xasprintf("/etc/hosts maps %s to %s:"
				    " the server resolves its own name to"
				    " loopback", host, words.v[0]);
				break;
			}
		}
		strv_free(&words);
	}
	strv_free(&lines);
	free(data);
	return note;
}

/* The port nameservers are asked on: 53, or NOTSPAM_NS_PORT.  A test
 * hook: test nameservers on loopback cannot all listen on port 53. */
static int
check_ns_port(void)
{
	const char *s = getenv("NOTSPAM_NS_PORT");
	char *end;
	long p;

	if (s == NULL || *s == '\0')
		return 53;
	p = strtol(s, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return 53;
	return (int)p;
}

/* Keep only the record sets of the domains asked for; -1 when one is not
 * hosted (*cause). */
static int
check_select(struct check_run *run, const char *const *domains,
    char **cause)
{
	struct record_set *all = run->sets, *keep;
	size_t i, k, n = 0, count = 0;
	char *want, *safe;

	if (domains == NULL || domains[0] == NULL)
		return 0;
	while (domains[count] != NULL)
		count++;
	keep = xcalloc(count, sizeof *keep);
	for (i = 0; i < count; i++) {
		want = dnsname_norm(domains[i]);
		for (k = 0; k < n; k++)
			if (strcmp(keep[k].domain, want) == 0)
				break;
		if (k < n) {
			free(want);	/* named twice */
			continue;
		}
		for (k = 0; k < run->nsets; k++)
			if (all[k].domain != NULL &&
			    strcmp(all[k].domain, want) == 0)
				break;
		if (k == run->nsets) {
			safe = str_sanitize(want, strlen(want));
			error_set(cause, "%s is not a hosted domain here",
			    safe);
			free(safe);
			free(want);
			free(keep);
			return -1;
		}
		free(want);
		keep[n++] = all[k];
		memset(&all[k], 0, sizeof all[k]);
	}
	records_free(all, run->nsets);
	run->sets = keep;
	run->nsets = n;
	return 0;
}

struct check_run *
check_start(struct loop *loop, struct dns *dns, const struct site *site,
    const char *const *domains, void (*changed)(void *), void *arg,
    char **cause)
{
	struct check_run *run;
	size_t i, k;

	run = xcalloc(1, sizeof *run);
	run->loop = loop;
	run->dns = dns;
	run->site = site;
	run->changed = changed;
	run->arg = arg;
	run->ns_port = check_ns_port();
	if (records_build(site, NULL, &run->sets, &run->nsets, cause) != 0 ||
	    check_select(run, domains, cause) != 0) {
		records_free(run->sets, run->nsets);
		free(run);
		return NULL;
	}
	if (site->hostname != NULL && *site->hostname != '\0')
		run->host = dnsname_norm(site->hostname);
	run->hosts_note = check_hosts_file(site, run->host);
	run->domains = xcalloc(run->nsets, sizeof *run->domains);
	run->ds = xcalloc(run->nsets, sizeof *run->ds);
	check_key_index(run);
	for (i = 0; i < run->nsets; i++)
		check_domain_init(run, &run->sets[i], &run->domains[i],
		    &run->ds[i]);
	strmap_free(&run->keyfirst);
	free(run->keynext);
	run->keynext = NULL;
	run->ndomains = run->nsets;
	for (i = run->nsets; i-- > 0;) {
		for (k = run->ds[i].nwork; k-- > 0;)
			check_enqueue(run, i, k);
		check_enqueue(run, i, CHECK_DISC);
	}
	check_update(run, 0);
	return run;
}

int
check_done(const struct check_run *run)
{
	return run->ncomplete == run->ndomains;
}

int
check_unreachable(const struct check_run *run)
{
	return run->answered == 0 && run->unreached > 0;
}

const struct check_domain *
check_results(const struct check_run *run, size_t *n)
{
	*n = run->ndomains;
	return run->domains;
}

/* Free the results and the nameserver resolvers; the run itself goes
 * when its last callback has run. */
static void
check_free_results(struct check_run *run)
{
	struct check_domain *cd;
	struct check_dstate *d;
	struct check_item *it;
	size_t i, k;

	for (i = 0; i < run->ndomains; i++) {
		cd = &run->domains[i];
		d = &run->ds[i];
		for (k = 0; k < cd->nitems; k++) {
			it = &cd->items[k];
			free(it->id);
			free(it->name);
			free(it->type);
			free(it->expected);
			strv_free(&it->found);
			free(it->detail);
			free(it->fix);
		}
		for (k = 0; k < d->nwork; k++) {
			free(d->work[k].recs);
			free(d->work[k].key_error);
			strv_free(&d->work[k].auth);
		}
		free(cd->items);
		free(cd->domain);
		strv_free(&cd->authority);
		free(d->work);
		free(d->zone);
		free(d->srvs);
		free(d->disc_note);
	}
	free(run->domains);
	free(run->ds);
	run->domains = NULL;
	run->ds = NULL;
	run->ndomains = 0;
	run->ncomplete = 0;
	records_free(run->sets, run->nsets);
	run->sets = NULL;
	run->nsets = 0;
	free(run->host);
	free(run->hosts_note);
	run->host = run->hosts_note = NULL;
	for (i = 0; i < run->nkeyfiles; i++) {
		free(run->keyfiles[i]->path);
		dkimkey_free(&run->keyfiles[i]->pub);
		free(run->keyfiles[i]->error);
		free(run->keyfiles[i]);
	}
	free(run->keyfiles);
	run->keyfiles = NULL;
	run->nkeyfiles = 0;
}

void
check_free(struct check_run *run)
{
	size_t i;

	if (run == NULL || run->dead)
		return;
	run->dead = 1;
	check_free_results(run);
	run->depth++;
	if (run->timer != 0) {
		loop_timer_cancel(run->loop, run->timer);
		check_flush(run);
	}
	for (i = 0; i < run->nsrv; i++) {
		dns_free(run->srv[i].dns);
		run->srv[i].dns = NULL;
	}
	run->depth--;
	check_release(run);
}
