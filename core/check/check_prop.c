/* check_prop.c: propagation: the zone of each domain and its
 * authoritative nameservers, each item's rule run again through them when
 * the resolver shows a record missing or wrong (a record they publish that
 * the resolver does not show yet is a cache, "warn"), and the authority
 * lines saying what each nameserver shows.
 */
#include <stdlib.h>
#include <string.h>

#include "core/check/check_int.h"
#include "core/lib/dnsname.h"

/* At most this many nameserver addresses are asked per zone. */
#define CHECK_MAX_SERVERS 8

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

/* The first nameserver whose word is not "unknown": the one the others
 * are compared with (0 when none answered). */
static size_t
check_ref(const struct strv *auth)
{
	size_t s;

	for (s = 0; s < auth->n; s++)
		if (strcmp(auth->v[s], "unknown") != 0)
			return s;
	return 0;
}

/* Why a nameserver's evaluation could not tell, and *state: unreachable
 * when its lookup went out and nothing came back, else an error reply (or
 * a cause on this side).  Caller frees. */
static char *
check_ns_reason(const struct check_ev *ev, enum check_ns_state *state)
{
	const struct check_q *q = ev->fault;
	char *detail, *safe;

	*state = CHECK_NS_ERROR;
	if (q == NULL) {		/* e.g. an SPF evaluation's temperror */
		detail = check_ev_detail(ev);
		safe = check_sanitize(detail, strlen(detail));
		free(detail);
		return safe;
	}
	if (q->sent && !q->replied)
		*state = CHECK_NS_UNREACHABLE;
	switch (q->status) {
	case DNS_TIMEOUT:
	case DNS_SERVFAIL:
	case DNS_REFUSED:
		return xstrdup(dns_status_name(q->status));
	default:
		break;
	}
	if (q->error == NULL)
		return xstrdup(dns_status_name(q->status));
	if (str_startswith(q->error, "connection refused"))
		return xstrdup("connection refused");	/* the address is
							   beside it */
	return check_sanitize(q->error, strlen(q->error));
}

/* Each nameserver's view of the item, from its evaluation evs[s] beside
 * the resolver's r; the views replace the item's. */
static void
check_views(struct check_run *run, struct check_dstate *d,
    struct check_item *it, const struct check_ev *r,
    const struct check_ev *evs)
{
	struct check_ns_view *v;
	const struct check_srv *srv;
	size_t s, i;

	check_ns_free(it);
	it->ns = xcalloc(d->nsrvs, sizeof *it->ns);
	it->nns = d->nsrvs;
	for (s = 0; s < d->nsrvs; s++) {
		v = &it->ns[s];
		srv = &run->srv[d->srvs[s]];
		v->host = check_sanitize(srv->host, strlen(srv->host));
		v->addr = xstrdup(srv->addr);
		v->status = evs[s].status;
		v->missing = evs[s].status == CHECK_FAIL && evs[s].missing;
		strv_init(&v->found);
		for (i = 0; i < evs[s].found.n; i++)
			strv_add(&v->found, evs[s].found.v[i]);
		if (evs[s].status == CHECK_UNKNOWN)
			v->reason = check_ns_reason(&evs[s], &v->state);
		else
			v->state = strcmp(check_word(&evs[s]),
			    check_word(r)) == 0 ? CHECK_NS_SAME :
			    CHECK_NS_DIFFERS;
	}
}

/* The nameservers that could not be asked, for the item's detail:
 * "; ns3.example.org (192.0.2.4) did not answer: timeout". */
static void
check_views_detail(struct buf *b, const struct check_item *it)
{
	const struct check_ns_view *v;
	size_t s;

	for (s = 0; s < it->nns; s++) {
		v = &it->ns[s];
		if (v->state == CHECK_NS_UNREACHABLE)
			buf_printf(b, "; %s (%s) did not answer: %s", v->host,
			    v->addr, v->reason);
		else if (v->state == CHECK_NS_ERROR)
			buf_printf(b, "; %s (%s) could not tell: %s", v->host,
			    v->addr, v->reason);
	}
}

void
check_ns_free(struct check_item *it)
{
	size_t s;

	for (s = 0; s < it->nns; s++) {
		free(it->ns[s].host);
		free(it->ns[s].addr);
		free(it->ns[s].reason);
		strv_free(&it->ns[s].found);
	}
	free(it->ns);
	it->ns = NULL;
	it->nns = 0;
	free(it->ns_note);
	it->ns_note = NULL;
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
	check_views(run, d, it, r, evs);
	for (s = 0; s < d->nsrvs; s++)
		strv_add(&w->auth, check_word(&evs[s]));
	for (s = 0; s < d->nsrvs; s++) {
		if (check_differ(w->auth.v[s], w->auth.v[check_ref(&w->auth)]))
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
		check_views_detail(&b, it);
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
	check_views_detail(&b, it);
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
 * which lives in the address owner's zone, not the domain's, and a
 * blocklist's answer, which is the list's. */
static int
check_propagates(const struct check_work *w)
{
	return w->kind != CHECK_K_PTR && w->kind != CHECK_K_DNSBL;
}

/* prefix and text, sanitized; caller frees. */
static char *
check_sanitize_note(const char *prefix, const char *text)
{
	char *s = xasprintf("%s%s", prefix, text), *safe;

	safe = check_sanitize(s, strlen(s));
	free(s);
	return safe;
}

/* Why the nameservers were not asked for a check the resolver judged r;
 * caller frees. */
static char *
check_ns_note(const struct check_work *w, const struct check_ev *r,
    const struct check_dstate *d)
{
	if (w->kind == CHECK_K_DNSBL)
		return xstrdup("not asked: a blocklist answers from its own"
		    " zone, not the domain's");
	if (!check_propagates(w))
		return xstrdup("not asked: a PTR record is in the zone of the"
		    " address's owner, not the domain's");
	if (r->status == CHECK_OK)
		return xstrdup("not asked: the resolver shows it right");
	if (r->status == CHECK_UNKNOWN)
		return xstrdup("not asked: the resolver could not tell");
	if (d->disc_note == NULL)
		return xstrdup("not asked: no nameserver found");
	return check_sanitize_note("not asked: ", d->disc_note);
}

/* Run one item's rule again; commit when it has its verdict. */
void
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
		check_ns_free(it);
		it->ns_note = check_ns_note(w, &r, d);
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
void
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
		if (!dnsname_host_ok(q->rrs[i].text))
			continue;	/* not a host: never asked */
		check_get(&ev, q->rrs[i].text, DNS_T_A);
		check_get(&ev, q->rrs[i].text, DNS_T_AAAA);
	}
	if (ev.pending)
		goto done;
	d->zone = xstrdup(q->name);
	for (i = 0; i < q->nrrs; i++) {
		if (!dnsname_host_ok(q->rrs[i].text))
			continue;
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

/* A view's word in authority lines: "ok", "missing", "unreachable
 * (timeout)", "unknown (REFUSED)". */
static void
check_view_word(struct buf *b, const struct check_ns_view *v)
{
	if (v->state == CHECK_NS_UNREACHABLE)
		buf_printf(b, "unreachable (%s)", v->reason);
	else if (v->state == CHECK_NS_ERROR)
		buf_printf(b, "unknown (%s)", v->reason);
	else
		buf_adds(b, v->missing ? "missing" :
		    check_status_name(v->status));
}

/* Is nameserver s unreachable in every check it was asked for, for one
 * reason?  That reason then, else NULL. */
static const char *
check_srv_down(const struct check_domain *cd, size_t s)
{
	const char *why = NULL;
	size_t k;

	for (k = 0; k < cd->nitems; k++) {
		if (cd->items[k].nns <= s)
			continue;
		if (cd->items[k].ns[s].state != CHECK_NS_UNREACHABLE ||
		    (why != NULL && strcmp(why, cd->items[k].ns[s].reason)))
			return NULL;
		why = cd->items[k].ns[s].reason;
	}
	return why;
}

/* Nameserver s's authority line: what it says of each check asked. */
static void
check_srv_line(struct check_run *run, struct check_domain *cd,
    struct check_dstate *d, size_t s, struct buf *b)
{
	const struct check_srv *srv = &run->srv[d->srvs[s]];
	const char *down = check_srv_down(cd, s);
	size_t k;
	int any = 0;

	buf_printf(b, "%s %s (zone %s):", srv->host, srv->addr, srv->zone);
	if (down != NULL)
		buf_printf(b, " unreachable (%s), asked for", down);
	for (k = 0; k < cd->nitems; k++) {
		if (cd->items[k].nns <= s)
			continue;
		buf_printf(b, "%s %s", any++ ? "," : "", cd->items[k].id);
		if (down == NULL) {
			buf_addc(b, ' ');
			check_view_word(b, &cd->items[k].ns[s]);
		}
	}
	if (!any)
		buf_adds(b, " not asked: the resolver shows nothing missing or"
		    " wrong");
}

/* Add the line in b, sanitized, to the authority lines; empty b. */
static void
check_authority_add(struct check_domain *cd, struct buf *b)
{
	char *safe;

	if (b->len == 0)
		return;
	safe = check_sanitize(b->data, b->len);
	strv_add(&cd->authority, safe);
	free(safe);
	buf_free(b);
	buf_init(b);
}

/* The authority lines of a finished domain, from the items' views. */
void
check_authority(struct check_run *run, struct check_domain *cd,
    struct check_dstate *d)
{
	struct buf b;
	size_t s, k, t, r;

	strv_free(&cd->authority);
	buf_init(&b);
	if (d->nsrvs == 0)
		buf_printf(&b, "nameservers of %s: not asked (%s)", cd->domain,
		    d->disc_note != NULL ? d->disc_note : "none found");
	for (s = 0; s < d->nsrvs; s++) {
		check_authority_add(cd, &b);
		check_srv_line(run, cd, d, s, &b);
	}
	for (k = 0; k < d->nwork; k++) {
		r = check_ref(&d->work[k].auth);
		for (t = r + 1; t < d->work[k].auth.n; t++) {
			if (!check_differ(d->work[k].auth.v[t],
			    d->work[k].auth.v[r]))
				continue;
			check_authority_add(cd, &b);
			buf_printf(&b, "%s and %s disagree on %s (%s, %s): a"
			    " zone transfer may be pending",
			    run->srv[d->srvs[r]].host,
			    run->srv[d->srvs[t]].host,
			    cd->items[d->work[k].item].id,
			    d->work[k].auth.v[r], d->work[k].auth.v[t]);
		}
	}
	check_authority_add(cd, &b);
	buf_free(&b);
}
