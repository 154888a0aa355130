/* check_cache.c: a run's lookups, each name and type asked once per view
 * (the resolver, or one of the zone's nameservers) and kept for the run,
 * shared by the rules and the SPF evaluations of every domain; the SPF
 * evaluations cached the same way; who waits for which result.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/check/check_int.h"
#include "core/lib/dnsname.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"

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
	/* Zone-file mode: the files are the nameservers' data too. */
	opts.zones = dns_zones(run->dns);
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
	q->sent = a->sent;
	q->replied = a->replied || (a->status != DNS_TIMEOUT &&
	    a->status != DNS_ERROR);
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
	/* A reply of any kind (FORMERR, a malformed packet) shows the
	 * resolver is there; a name refused here says nothing either way. */
	if (q->view == CHECK_VIEW_RESOLVER) {
		if (q->replied)
			run->answered++;
		else if (a->sent)
			run->unreached++;
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
void
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
