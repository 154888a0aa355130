/* check.c: the live checks: a run's domains and items, the queue of rules to
 * run again, the evaluations the rules write into, the results.  The
 * lookups and their cache are in check_cache.c, the zone's nameservers and
 * propagation in check_prop.c, the rules in check_rules.c.
 *
 * Lifetime: every dns_query/spf_check started holds the run (pending).
 * check_free() frees the results at once, but the run itself lives on until
 * the last of those callbacks has run: the resolver belongs to the caller
 * and has no way to cancel one query.
 */
#include "core/check/check.h"

#include <sys/stat.h>

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

/* A DKIM key file read for the run. */
struct check_keyfile {
	char		*path;
	struct dkim_pub	 pub;
	char		*error;
	int		 stat_rc;	/* fsroot_stat() of the file */
	unsigned	 mode;
};

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
char *
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
int
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

/* Queue a rule (or the nameserver search) to run again. */
void
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

/* Free a run whose results are gone once nothing refers to it. */
void
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
	if (ev->fault == NULL && !ev->pending)
		ev->fault = q;
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

void
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

void
check_ev_free(struct check_ev *ev)
{
	size_t i;

	for (i = 0; i < CHECK_NOTE_LEVELS; i++)
		strv_free(&ev->notes[i]);
	strv_free(&ev->found);
	strv_free(&ev->fixes);
}

/* The notes as one line, worst first; raw (not sanitized). */
char *
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
char *
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

/* Put a verdict into the item (detail made safe here, escaped once: the
 * rules already escape what they quote); the found values
 * are taken (found is left empty). */
void
check_commit(struct check_item *it, enum check_status st, const char *detail,
    struct strv *found, char *fix)
{
	it->status = st;
	free(it->detail);
	it->detail = str_shown(detail, strlen(detail));
	strv_free(&it->found);
	it->found = *found;
	strv_init(found);
	free(it->fix);
	it->fix = st == CHECK_OK ? NULL : fix;
	if (st == CHECK_OK)
		free(fix);
}

/* Run what is queued (rules whose results came in, nameserver searches)
 * until nothing is; finish the domains that have every verdict; tell the
 * caller if asked. */
void
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

/* The public addresses of the site of one family (v6), each once: those
 * the IP blocklists are asked about (the others no list lists). */
static void
check_dnsbl_addrs(const struct site *site, int v6, struct strv *out)
{
	const struct strv *in = v6 ? &site->ipv6 : &site->ipv4;
	size_t i;

	strv_init(out);
	for (i = 0; i < in->n; i++)
		if (netaddr_is_public(in->v[i]))
			strv_add_unique(out, in->v[i]);
}

/* How many blocklist items a set of the run has at most: the host's, one
 * per public address and IP list (IPv6 addresses: the lists that serve
 * IPv6), and for every set one per domain list. */
static size_t
check_dnsbl_count(const struct check_run *run, const struct record_set *set)
{
	struct strv v4, v6;
	size_t i, n = 0, ip = 0, ip6 = 0;

	for (i = 0; i < run->bl.n; i++) {
		if (run->bl.v[i].kind == DNSBL_DOMAIN)
			n++;
		else {
			ip++;
			ip6 += run->bl.v[i].ipv6 != 0;
		}
	}
	if (!set->host || ip == 0)
		return n;
	check_dnsbl_addrs(run->site, 0, &v4);
	check_dnsbl_addrs(run->site, 1, &v6);
	n += v4.n * ip + v6.n * ip6;
	strv_free(&v4);
	strv_free(&v6);
	return n;
}

/* One blocklist item: target (an address, or the domain) on list l. */
static void
check_dnsbl_add(struct check_domain *cd, struct check_dstate *d,
    const struct dnsbl_list *l, const char *target)
{
	struct check_item *it;
	struct check_work *w;
	char *name;

	if ((name = dnsbl_query_name(l, target)) == NULL)
		return;		/* not a name that can be asked */
	it = &cd->items[cd->nitems];
	w = &d->work[d->nwork++];
	if (l->kind == DNSBL_IP)
		it->id = xasprintf("dnsbl:%s:%s", l->shown, target);
	else
		it->id = xasprintf("dnsbl:%s", l->shown);
	it->name = dnsbl_shown_name(l, target);
	it->type = xstrdup("A");
	it->status = CHECK_PENDING;
	strv_init(&it->found);
	w->kind = CHECK_K_DNSBL;
	w->item = cd->nitems++;
	w->bl = l;
	w->bl_name = name;
	/* The address is the id's tail; the domain the result's. */
	w->addr = l->kind == DNSBL_IP ? it->id + strlen(it->id) -
	    strlen(target) : cd->domain;
	strv_init(&w->auth);
}

/* The blocklist items of a set: the host's public addresses on each IP
 * list, then the domain (the host's: the HELO name) on each domain list. */
static void
check_dnsbl_init(struct check_run *run, const struct record_set *set,
    struct check_domain *cd, struct check_dstate *d)
{
	const struct dnsbl_list *l;
	struct strv v4, v6;
	size_t i, k;

	strv_init(&v4);
	strv_init(&v6);
	if (set->host) {
		check_dnsbl_addrs(run->site, 0, &v4);
		check_dnsbl_addrs(run->site, 1, &v6);
	}
	for (k = 0; k < run->bl.n; k++) {
		l = &run->bl.v[k];
		if (l->kind != DNSBL_IP)
			continue;
		for (i = 0; i < v4.n; i++)
			check_dnsbl_add(cd, d, l, v4.v[i]);
		for (i = 0; l->ipv6 && i < v6.n; i++)
			check_dnsbl_add(cd, d, l, v6.v[i]);
	}
	for (k = 0; k < run->bl.n; k++)
		if (run->bl.v[k].kind == DNSBL_DOMAIN)
			check_dnsbl_add(cd, d, &run->bl.v[k], cd->domain);
	strv_free(&v4);
	strv_free(&v6);
}

/* The blocklists the run asks: the settings'; in zone-file mode only those
 * whose zones the files hold (nothing else can answer there). */
static void
check_dnsbl_lists(struct check_run *run)
{
	dnsbl_lists(run->site->settings, &run->bl);
	if (dns_zone_mode(run->dns))
		dnsbl_keep_held(&run->bl, dns_zones(run->dns));
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
	size_t i, k, nbl = check_dnsbl_count(run, set);

	cd->domain = xstrdup(set->domain);
	cd->host = set->host;
	strv_init(&cd->authority);
	cd->items = xcalloc(set->nrecords + nbl, sizeof *cd->items);
	d->work = xcalloc(set->nrecords + nbl, sizeof *d->work);
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
		w->recs = xgrow(NULL, 0, sizeof *w->recs);	/* grown by xgrow */
		w->recs[w->nrecs++] = r;
		strv_init(&w->auth);
		if (kind == CHECK_K_PTR)
			w->addr = r->id + 4;
		if (kind == CHECK_K_DKIM && !set->host) {
			w->key = check_key(run, set->domain, r->id + 5);
			check_local_key(run, w);
		}
	}
	check_dnsbl_init(run, set, cd, d);
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

/* The index of the domain set named want (never the host set), or nsets. */
static size_t
check_set_find(const struct record_set *sets, size_t nsets, const char *want)
{
	size_t k;

	for (k = 0; k < nsets; k++)
		if (!sets[k].host && sets[k].domain != NULL &&
		    strcmp(sets[k].domain, want) == 0)
			break;
	return k;
}

/* Keep the host set and only the record sets of the domains asked for; -1
 * when one is not hosted (*cause). */
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
	keep = xcalloc(count + 1, sizeof *keep);
	if (run->nsets > 0 && all[0].host) {
		keep[n++] = all[0];
		memset(&all[0], 0, sizeof all[0]);
	}
	for (i = 0; i < count; i++) {
		want = dnsname_norm(domains[i]);
		if (check_set_find(keep, n, want) < n) {
			free(want);	/* named twice */
			continue;
		}
		if ((k = check_set_find(all, run->nsets, want)) ==
		    run->nsets) {
			safe = str_sanitize(want, strlen(want));
			error_set(cause, "%s is not a hosted domain here",
			    safe);
			free(safe);
			free(want);
			records_free(keep, n);
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
    const char *const *domains, const struct check_opts *opts,
    void (*changed)(void *), void *arg, char **cause)
{
	struct check_run *run;
	size_t i, k;

	if (opts != NULL && (opts->ns_port < 0 || opts->ns_port > 65535)) {
		error_set(cause, "nameserver port %d is not a port (1-65535)",
		    opts->ns_port);
		return NULL;
	}
	run = xcalloc(1, sizeof *run);
	run->loop = loop;
	run->dns = dns;
	run->site = site;
	run->changed = changed;
	run->arg = arg;
	run->ns_port = opts != NULL && opts->ns_port != 0 ? opts->ns_port : 53;
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
	check_dnsbl_lists(run);
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

char *
check_unreachable_line(const struct check_run *run)
{
	size_t i, k, all = 0, unknown = 0;

	if (!check_unreachable(run))
		return NULL;
	for (i = 0; i < run->ndomains; i++)
		for (k = 0; k < run->domains[i].nitems; k++, all++)
			if (run->domains[i].items[k].status == CHECK_UNKNOWN)
				unknown++;
	if (unknown == all)
		return xasprintf("the resolver %s did not answer: every result"
		    " below is unknown", dns_servers(run->dns));
	return xasprintf("the resolver %s did not answer: %zu of the %zu"
	    " results below are unknown", dns_servers(run->dns), unknown, all);
}

enum check_status
check_worst(const struct check_run *run)
{
	enum check_status worst = CHECK_OK, st;
	size_t i, k;
	int pending = 0;

	for (i = 0; i < run->ndomains; i++) {
		for (k = 0; k < run->domains[i].nitems; k++) {
			st = run->domains[i].items[k].status;
			if (st == CHECK_PENDING)
				pending = 1;
			else if (check_rank(st) > check_rank(worst))
				worst = st;
		}
	}
	return pending && worst != CHECK_FAIL ? CHECK_PENDING : worst;
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
			check_ns_free(it);
		}
		for (k = 0; k < d->nwork; k++) {
			free(d->work[k].recs);
			free(d->work[k].bl_name);
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
	dnsbl_set_free(&run->bl);
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
