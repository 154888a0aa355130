/* keys.c: the site's DKIM keys with their files, states and DNS. */
#include "core/keys/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "backends/backend.h"
#include "core/dns/dkimrec.h"
#include "core/dns/dns.h"
#include "core/site/site.h"
#include "core/lib/util.h"

struct keys_probe_ctx {
	struct keys_list	*list;
	size_t			 idx;
};

const char *
keys_pub_name(enum keys_pub p)
{
	switch (p) {
	case KEYS_PUB_YES:
		return "yes";
	case KEYS_PUB_NO:
		return "no";
	case KEYS_PUB_PENDING:
		return "pending";
	case KEYS_PUB_UNKNOWN:
		break;
	}
	return "unknown";
}

char *
keys_record_name(const char *domain, const char *selector)
{
	return str_lower(xasprintf("%s._domainkey.%s.", selector, domain));
}

const char *
keys_site_signer(const struct site *site, const char *domain)
{
	size_t i;

	for (i = 0; domain != NULL && i < site->nkeys; i++)
		if (strcasecmp(site->keys[i].domain, domain) == 0 &&
		    site->keys[i].signer != NULL)
			return site->keys[i].signer;
	for (i = 0; i < site->nprograms; i++)
		if (backend_signer(site->programs[i].name) != NULL)
			return site->programs[i].name;
	for (i = 0; i < site->nkeys; i++)
		if (site->keys[i].signer != NULL)
			return site->keys[i].signer;
	/* OpenSMTPD hands no mail to milters: alone, its signer is its
	 * own filter, not the default (OpenDKIM). */
	if (site_program(site, backend_opensmtpd.name) != NULL &&
	    site_program(site, backend_postfix.name) == NULL)
		return backend_dkimsign.name;
	return backend_default_signer()->name;
}

struct keys_entry *
keys_find(const struct keys_list *l, const char *domain, const char *selector)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].domain, domain) == 0 &&
		    strcasecmp(l->v[i].selector, selector) == 0)
			return &l->v[i];
	return NULL;
}

/* Append an entry and read its key file (public half) and safety. */
static struct keys_entry *
keys_add(struct keys_list *l, const struct site *site, const char *domain,
    const char *selector, const char *path, const char *signer)
{
	struct keys_entry *e;
	char *cause = NULL;

	l->v = xgrow(l->v, l->n, sizeof *l->v);
	e = &l->v[l->n++];
	memset(e, 0, sizeof *e);
	e->domain = str_lower(xstrdup(domain));
	e->selector = str_lower(xstrdup(selector));
	e->path = path != NULL ? xstrdup(path) : NULL;
	e->signer = xstrdup(signer != NULL ? signer :
	    keys_site_signer(site, domain));
	e->user = keysafe_signer_user(site, e->signer);
	e->published = KEYS_PUB_UNKNOWN;
	if (e->path == NULL) {
		e->error = xstrdup("no key file configured");
		return e;
	}
	if (dkimkey_load(l->root, e->path, &e->pub, &cause) != 0)
		e->error = cause;
	if (keysafe_check(l->root, e->path, e->user, &e->safe, &cause) != 0) {
		free(e->error);
		e->error = cause;
	}
	return e;
}

struct keys_list *
keys_list_new(const struct site *site, char **cause)
{
	struct keys_list *l = xcalloc(1, sizeof *l);
	const struct site_key *k;
	struct keystate_entry *s;
	struct keys_entry *e;
	size_t i;

	l->root = site->root != NULL ? xstrdup(site->root) : NULL;
	if (keystate_load(l->root, &l->state, &l->warning, cause) != 0) {
		free(l->root);
		free(l);
		return NULL;
	}
	for (i = 0; i < site->nkeys; i++) {
		k = &site->keys[i];
		if ((e = keys_find(l, k->domain, k->selector)) != NULL) {
			e->configured = 1;
			continue;
		}
		e = keys_add(l, site, k->domain, k->selector, k->keyfile,
		    k->signer);
		e->configured = 1;
		e->source = k->source != NULL ? xstrdup(k->source) : NULL;
		e->state = KEYSTATE_ACTIVE;
	}
	for (i = 0; i < l->state.n; i++) {
		s = &l->state.v[i];
		if ((e = keys_find(l, s->domain, s->selector)) == NULL)
			e = keys_add(l, site, s->domain, s->selector, s->path,
			    NULL);
		e->tracked = 1;
		e->state = s->state;
		e->since = s->since;
	}
	return l;
}

void
keys_list_free(struct keys_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		struct keys_entry *e = &l->v[i];
		free(e->domain);
		free(e->selector);
		free(e->path);
		free(e->signer);
		free(e->user);
		free(e->source);
		dkimkey_free(&e->pub);
		free(e->error);
		keysafe_free(&e->safe);
		free(e->pub_detail);
	}
	free(l->v);
	keystate_free(&l->state);
	free(l->root);
	free(l->warning);
	free(l->probes);
	free(l->save_error);
	free(l);
}

void
keys_judge(struct keys_entry *e, const char *const *txt, const size_t *lens,
    size_t n)
{
	char *why = NULL;
	const char *detail;

	free(e->pub_detail);
	e->pub_detail = NULL;
	/* The verdict check gives: several records, h= without sha256, a
	 * revoked or invalid record each keep the key from being used. */
	switch (dkimrec_judge(txt, lens, n, e->pub.type, e->pub.p, &why)) {
	case DKIMREC_USABLE:
		e->published = KEYS_PUB_YES;
		free(why);
		return;
	case DKIMREC_LOCAL_UNKNOWN:
		e->published = KEYS_PUB_UNKNOWN;
		detail = "a key is published, the local key is unreadable";
		break;
	case DKIMREC_OTHER_KEY:
		e->published = KEYS_PUB_NO;
		detail = "the DNS publishes another key";
		break;
	case DKIMREC_REVOKED:
		e->published = KEYS_PUB_NO;
		detail = "revoked (p= empty)";
		break;
	case DKIMREC_INVALID:
		e->published = KEYS_PUB_NO;
		detail = "no valid DKIM record";
		break;
	case DKIMREC_MISSING:
		e->published = KEYS_PUB_NO;
		detail = "no DKIM record";
		break;
	default:	/* several records, h= without sha256: say which */
		e->published = KEYS_PUB_NO;
		detail = why != NULL ? why : "not usable";
		break;
	}
	e->pub_detail = xstrdup(detail);
	free(why);
}

/* A TXT answer for one entry. */
static void
keys_probe_cb(const struct dns_answer *a, void *arg)
{
	struct keys_probe_ctx *pc = arg;
	struct keys_list *l = pc->list;
	struct keys_entry *e = &l->v[pc->idx];
	const char **txt;
	size_t *lens, i;

	if (l->stopped)
		return;
	switch (a->status) {
	case DNS_OK:
		txt = xcalloc(a->nrrs, sizeof *txt);
		lens = xcalloc(a->nrrs, sizeof *lens);
		for (i = 0; i < a->nrrs; i++) {
			txt[i] = a->rrs[i].text;
			lens[i] = a->rrs[i].len;
		}
		keys_judge(e, txt, lens, a->nrrs);
		free(txt);
		free(lens);
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		e->published = KEYS_PUB_NO;
		free(e->pub_detail);
		e->pub_detail = xstrdup(dns_status_name(a->status));
		break;
	default:
		e->published = KEYS_PUB_UNKNOWN;
		free(e->pub_detail);
		e->pub_detail = xstrdup(a->error != NULL ? a->error :
		    dns_status_name(a->status));
		break;
	}
	if (l->pending > 0)
		l->pending--;
	if (l->pending == 0 && l->settle && !l->settled) {
		l->settled = 1;
		free(l->save_error);
		l->save_error = NULL;
		keys_settle(l, (long long)time(NULL), &l->save_error);
	}
	if (l->changed != NULL)
		l->changed(l->arg);
}

void
keys_probe(struct keys_list *l, struct dns *dns, void (*changed)(void *),
    void *arg)
{
	char *name;
	size_t i;

	l->settle = 0;
	l->stopped = 0;
	l->settled = 0;
	l->changed = changed;
	l->arg = arg;
	free(l->probes);
	l->probes = xcalloc(l->n, sizeof *l->probes);
	for (i = 0; i < l->n; i++) {
		l->probes[i].list = l;
		l->probes[i].idx = i;
		l->v[i].published = KEYS_PUB_PENDING;
		name = keys_record_name(l->v[i].domain, l->v[i].selector);
		name[strlen(name) - 1] = '\0';
		l->pending++;
		dns_query(dns, name, DNS_T_TXT, keys_probe_cb, &l->probes[i]);
		free(name);
	}
}

int
keys_probe_done(const struct keys_list *l)
{
	return l->pending == 0;
}

void
keys_watch(struct keys_list *l, struct dns *dns, void (*changed)(void *),
    void *arg)
{
	keys_probe(l, dns, changed, arg);
	l->settle = 1;
}

void
keys_probe_stop(struct keys_list *l)
{
	if (l != NULL)
		l->stopped = 1;
}

int
keys_advance(struct keys_list *l, long long now)
{
	struct keys_entry *e;
	struct keystate_entry *s;
	size_t i;
	int changed = 0, pub;

	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		pub = e->published == KEYS_PUB_YES ? 1 :
		    e->published == KEYS_PUB_NO ? 0 : -1;
		if ((s = keystate_find(&l->state, e->domain,
		    e->selector)) == NULL) {
			if (!e->configured)
				continue;
			s = keystate_set(&l->state, e->domain, e->selector,
			    KEYSTATE_ACTIVE, now, e->path);
			e->tracked = 1;
			e->state = s->state;
			e->since = s->since;
			changed++;
			continue;
		}
		if (keystate_advance(s, e->configured, pub, now)) {
			changed++;
			e->state = s->state;
			e->since = s->since;
		}
	}
	return changed;
}

int
keys_save(struct keys_list *l, char **cause)
{
	return keystate_save(l->root, &l->state, cause);
}

int
keys_settle(struct keys_list *l, long long now, char **cause)
{
	int n;

	if ((n = keys_advance(l, now)) > 0 && keys_save(l, cause) != 0)
		return -1;
	return n;
}

/* Is o a key e replaces (same domain and signer, same type, configured)? */
static int
keys_replaces(const struct keys_entry *e, const struct keys_entry *o)
{
	if (o == e || !o->configured || strcmp(o->domain, e->domain) != 0 ||
	    strcmp(o->selector, e->selector) == 0 ||
	    strcmp(o->signer, e->signer) != 0)
		return 0;
	if (o->pub.type != NULL && e->pub.type != NULL &&
	    strcmp(o->pub.type, e->pub.type) != 0)
		return 0;
	return 1;
}

struct backend_key_ref *
keys_switch_make(const struct site *site, const struct keys_list *l,
    const struct keys_entry *e, struct backend_key_switch *sw)
{
	const struct site_key *k;
	struct backend_key_ref *refs;
	size_t i;

	refs = xcalloc(l->n > 0 ? l->n : 1, sizeof *refs);
	sw->domain = e->domain;
	sw->selector = e->selector;
	sw->path = e->path;
	sw->replaced = refs;
	sw->nreplaced = 0;
	for (i = 0; i < l->n; i++) {
		if (!keys_replaces(e, &l->v[i]))
			continue;
		k = site_key_find(site, l->v[i].domain, l->v[i].selector,
		    l->v[i].signer);
		refs[sw->nreplaced].selector = l->v[i].selector;
		refs[sw->nreplaced].path = l->v[i].path;
		refs[sw->nreplaced].loc = k != NULL ? &k->loc : NULL;
		refs[sw->nreplaced].source = l->v[i].source;
		sw->nreplaced++;
	}
	return refs;
}

const struct backend *
keys_switch_backend(const struct keys_entry *e)
{
	const struct backend *b = backend_signer(e->signer);

	return b != NULL ? b : backend_default_signer();
}

char *
keys_switch_text(const struct site *site, const struct keys_list *l,
    const struct keys_entry *e)
{
	struct backend_key_switch sw;
	struct backend_key_ref *refs;
	char *t;

	refs = keys_switch_make(site, l, e, &sw);
	t = backend_switch_text(keys_switch_backend(e), site, &sw);
	free(refs);
	return t != NULL ? t : xstrdup("");
}
