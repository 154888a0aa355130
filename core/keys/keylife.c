/* keylife.c: a DKIM key's life: made, switched to, retired, revoked. */
#include "core/keys/keylife.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "backends/backend.h"
#include "core/lib/fsroot.h"
#include "core/site/site.h"

const char *
keys_selector_taken(const struct site *site, const struct keystate *ks,
    const char *domain, const char *selector)
{
	size_t i;

	if (keystate_find(ks, domain, selector) != NULL)
		return "notspam's key state file";
	for (i = 0; i < site->nkeys; i++)
		if (strcasecmp(site->keys[i].domain, domain) == 0 &&
		    strcasecmp(site->keys[i].selector, selector) == 0)
			return site->keys[i].source != NULL ?
			    site->keys[i].source : "the signer configuration";
	return NULL;
}

char *
keys_free_selector(const struct site *site, const struct keystate *ks,
    const char *domain, const char *type, const char *signer, time_t now)
{
	char *base = keygen_default_selector(now, type), *sel, *path;
	struct stat sb;
	char c;

	sel = xstrdup(base);
	for (c = 'b'; c <= 'z'; c++) {
		path = keygen_default_path(signer, domain, sel);
		if (keys_selector_taken(site, ks, domain, sel) == NULL &&
		    fsroot_lstat(site->root, path, &sb) != 0) {
			free(path);
			break;
		}
		free(path);
		free(sel);
		sel = xasprintf("%s%c", base, c);
	}
	free(base);
	return sel;
}

/* Check a --keyfile path: 0, or -1 with *cause. */
static int
keys_check_keyfile(const char *keyfile, char **cause)
{
	char *path = str_sanitize(keyfile, strlen(keyfile));
	int bad = strcmp(path, keyfile) != 0 || strpbrk(path, " \t") != NULL;

	free(path);
	if (bad) {
		*cause = xstrdup("--keyfile: the path holds blanks, control "
		    "characters or invalid UTF-8; signer configs cannot name "
		    "it");
		return -1;
	}
	if (keyfile[0] != '/') {
		*cause = xstrdup("--keyfile: give an absolute path");
		return -1;
	}
	return 0;
}

enum keys_err
keys_gen_prepare(const struct site *site, const struct keys_gen_opts *o,
    time_t now, struct keys_gen *g, char **cause)
{
	const char *taken;
	char *warn = NULL, *names;

	memset(g, 0, sizeof *g);
	strv_init(&g->notes);
	g->root = site->root != NULL ? xstrdup(site->root) : NULL;
	g->domain = xstrdup(o->domain);
	if (keystate_load(g->root, &g->state, &warn, cause) != 0)
		return KEYS_ESTATE;
	if (warn != NULL) {
		strv_add(&g->notes, warn);
		free(warn);
	}
	g->signer = xstrdup(o->signer != NULL ? o->signer :
	    keys_site_signer(site, o->domain));
	if (backend_signer(g->signer) == NULL) {
		names = backend_signer_names();
		*cause = xasprintf("--signer: choose %s", names);
		free(names);
		return KEYS_EUSAGE;
	}
	g->type = xstrdup(o->type != NULL ? o->type : "rsa");
	g->bits = o->bits;
	g->weak = o->weak;
	g->import = o->import != NULL ? xstrdup(o->import) : NULL;
	if (g->import == NULL && keygen_check_size(g->type, g->bits, g->weak,
	    &g->notes, cause) != 0)
		return KEYS_EUSAGE;
	if (o->selector == NULL)
		g->selector = keys_free_selector(site, &g->state, g->domain,
		    g->import != NULL ? "rsa" : g->type, g->signer, now);
	else {
		g->selector = str_lower(xstrdup(o->selector));
		if (keygen_check_selector(g->selector, cause) != 0)
			return KEYS_EUSAGE;
	}
	if ((taken = keys_selector_taken(site, &g->state, g->domain,
	    g->selector)) != NULL) {
		*cause = xasprintf("selector %s of %s is already in use (%s); "
		    "a selector names one key for good: choose another "
		    "--selector", g->selector, g->domain, taken);
		return KEYS_ETAKEN;
	}
	if (o->keyfile != NULL) {
		if (keys_check_keyfile(o->keyfile, cause) != 0)
			return KEYS_EUSAGE;
		g->path = xstrdup(o->keyfile);
	} else
		g->path = keygen_default_path(g->signer, g->domain,
		    g->selector);
	if (site_domain(site, g->domain) == NULL)
		strv_addf(&g->notes, "%s is not a hosted domain of this site "
		    "yet: the signer must also be told to sign for it",
		    g->domain);
	g->user = keysafe_signer_user(site, g->signer);
	return KEYS_OK;
}

void
keys_gen_req(const struct keys_gen *g, struct keygen_req *req)
{
	memset(req, 0, sizeof *req);
	req->root = g->root;
	req->path = g->path;
	req->type = g->type;
	req->bits = g->bits;
	req->allow_weak = g->weak;
	req->user = g->user;
	req->import = g->import;
}

enum keys_err
keys_gen_done(struct keys_gen *g, struct keygen_result *res, time_t now)
{
	size_t i;

	g->res = *res;
	memset(res, 0, sizeof *res);
	g->made = 1;
	for (i = 0; i < g->res.notes.n; i++)
		strv_add(&g->notes, g->res.notes.v[i]);
	keysafe_check(g->root, g->path, g->user, &g->safe, NULL);
	keystate_set(&g->state, g->domain, g->selector, KEYSTATE_GENERATED,
	    (long long)now, g->path);
	if (keystate_save(g->root, &g->state, &g->save_error) != 0) {
		strv_addf(&g->notes, "warning: the key state was not saved: "
		    "%s", g->save_error);
		return KEYS_ESAVE;
	}
	return KEYS_OK;
}

enum keys_err
keys_generate(struct keys_gen *g, char **cause)
{
	struct keygen_req req;
	struct keygen_result res;

	keys_gen_req(g, &req);
	memset(&res, 0, sizeof res);
	if (keygen_run(&req, &res, cause) != 0)
		return KEYS_EMAKE;
	return keys_gen_done(g, &res, time(NULL));
}

/* keygen_start's callback: record the key, then tell the caller. */
static void
keys_generate_cb(struct keygen_result *res, const char *cause, void *arg)
{
	struct keys_gen *g = arg;

	if (res != NULL)
		keys_gen_done(g, res, time(NULL));
	g->cb(g, cause, g->arg);
}

struct keygen_job *
keys_generate_start(struct loop *loop, struct keys_gen *g,
    void (*cb)(struct keys_gen *, const char *, void *), void *arg,
    char **cause)
{
	struct keygen_req req;

	g->cb = cb;
	g->arg = arg;
	keys_gen_req(g, &req);
	return keygen_start(loop, &req, keys_generate_cb, g, cause);
}

void
keys_gen_free(struct keys_gen *g)
{
	if (g == NULL)
		return;
	free(g->root);
	free(g->domain);
	free(g->selector);
	free(g->type);
	free(g->signer);
	free(g->path);
	free(g->user);
	free(g->import);
	keystate_free(&g->state);
	strv_free(&g->notes);
	keygen_result_free(&g->res);
	keysafe_free(&g->safe);
	free(g->save_error);
	memset(g, 0, sizeof *g);
}

const struct keys_entry *
keys_rotate_opts(const struct keys_list *l, struct keys_gen_opts *o)
{
	const struct keys_entry *cur = NULL, *e;
	size_t i;

	/* Same type (and size) as the key in use, unless told otherwise. */
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (strcmp(e->domain, o->domain) != 0 || !e->configured ||
		    e->pub.type == NULL)
			continue;
		if (o->type != NULL && strcmp(o->type, e->pub.type) != 0)
			continue;
		if (cur == NULL || strcmp(e->pub.type, "rsa") == 0)
			cur = e;
	}
	if (cur == NULL)
		return NULL;
	if (o->type == NULL)
		o->type = cur->pub.type;
	if (o->bits == 0 && strcmp(cur->pub.type, "rsa") == 0)
		o->bits = cur->pub.bits < KEYGEN_RSA_DEFAULT ?
		    KEYGEN_RSA_DEFAULT : cur->pub.bits;
	if (o->signer == NULL)
		o->signer = cur->signer;
	return cur;
}

struct keys_entry *
keys_lookup(const struct keys_list *l, const char *domain,
    const char *selector, char **cause)
{
	struct keys_entry *e;

	if ((e = keys_find(l, domain, selector)) == NULL)
		*cause = xasprintf("no key %s for %s: the signer does not name "
		    "it and notspam did not make it (notspam keys lists them)",
		    selector, domain);
	return e;
}

enum keys_switch
keys_switch_verdict(const struct keys_entry *e)
{
	if (e->configured)
		return KEYS_SWITCH_ALREADY;
	if (e->error != NULL)
		return KEYS_SWITCH_UNREADABLE;
	switch (e->published) {
	case KEYS_PUB_YES:
		return KEYS_SWITCH_GO;
	case KEYS_PUB_NO:
		return KEYS_SWITCH_UNPUBLISHED;
	case KEYS_PUB_UNKNOWN:
	case KEYS_PUB_PENDING:
		break;
	}
	return KEYS_SWITCH_UNKNOWN;
}

/* Refuse to take e out of service while its signer uses it. */
static enum keys_err
keys_in_use(const struct keys_entry *e, char **cause)
{
	if (!e->configured)
		return KEYS_OK;
	*cause = xasprintf("%s._domainkey.%s is still used by %s (%s): switch "
	    "to another key first", e->selector, e->domain, e->signer,
	    e->source != NULL ? e->source : "config");
	return KEYS_EREFUSED;
}

/* Set e's state with its path and save the list's states. */
static enum keys_err
keys_move(struct keys_list *l, struct keys_entry *e, enum keystate_state to,
    long long now, char **cause)
{
	keystate_set(&l->state, e->domain, e->selector, to, now, e->path);
	if (keys_save(l, cause) != 0)
		return KEYS_ESAVE;
	e->state = to;
	e->since = now;
	e->tracked = 1;
	return KEYS_OK;
}

enum keys_err
keys_retire(struct keys_list *l, struct keys_entry *e, long long now,
    char **cause)
{
	enum keys_err rc;

	if ((rc = keys_in_use(e, cause)) != KEYS_OK)
		return rc;
	return keys_move(l, e, KEYSTATE_RETIRED, now, cause);
}

enum keys_err
keys_revoke(struct keys_list *l, struct keys_entry *e, long long now,
    struct keys_revoked *out, char **cause)
{
	enum keys_err rc;

	memset(out, 0, sizeof *out);
	if ((rc = keys_in_use(e, cause)) != KEYS_OK)
		return rc;
	out->early = e->state == KEYSTATE_RETIRED &&
	    now - e->since < KEYSTATE_GRACE_DAYS * 86400LL;
	out->record = xasprintf("v=DKIM1; k=%s; p=", e->pub.type != NULL ?
	    e->pub.type : "rsa");
	return keys_move(l, e, KEYSTATE_REVOKED, now, cause);
}

void
keys_revoked_free(struct keys_revoked *r)
{
	free(r->record);
	memset(r, 0, sizeof *r);
}
