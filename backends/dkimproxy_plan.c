/* dkimproxy_plan.c: the dkimproxy side of a plan (dkimproxy_out.conf and
 * its sender_map).
 *
 * Wanted: a listen and a relay address on the loopback (kept when set);
 * "domain" listing every domain of the pair, comma-separated; one
 * "signature dkim(c=relaxed)" and no DomainKeys signature; the global
 * keyfile and selector a key that exists; and when the domains use
 * different keys, a sender_map line per domain naming its key=, s= and
 * d=.  dkimproxy has no check mode: the planned file is checked against
 * its grammar here.  It is an SMTP proxy: the MTA relays to its listen
 * address and takes the mail back at its relay address.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

#define DKP_LISTEN	"127.0.0.1:10027"
#define DKP_RELAY	"127.0.0.1:10028"

/* Options dkimproxy.out takes (its --help and dkimproxy_out.conf(5)). */
static const char *const dkp_options[] = {
	"listen", "relay", "domain", "signature", "keyfile", "selector",
	"method", "reject_error", "sender_map", "user", "group", "pidfile",
	"daemonize", "min_servers", "max_servers", "min_spare_servers",
	"max_spare_servers", "max_requests", "conf_file", "algorithm",
	"relay_timeout", "client_timeout", NULL
};

struct dkp {
	struct plan_ctx		*pc;
	struct plan_want	*w;
	struct plan_file	*conf;
	char			*gsel;		/* the global selector, planned */
	char			*gkey;		/* and key file */
};

/* A loopback host:port, or NULL. */
static int
dkp_loopback(const char *v)
{
	struct sockspec ss;
	char *cause = NULL;
	int rc;

	if (v == NULL || sockspec_parse(SOCKSPEC_HOSTPORT, v, &ss, &cause) != 0) {
		free(cause);
		return 0;
	}
	rc = ss.address != NULL && bk_is_loopback(ss.address);
	sockspec_free(&ss);
	return rc;
}

/* listen and relay on the loopback. */
static void
dkp_addresses(struct dkp *o)
{
	const char *l = conf_get(o->conf->doc, "listen");
	const char *r = conf_get(o->conf->doc, "relay");

	if (!dkp_loopback(l))
		plan_set(o->conf, "listen", DKP_LISTEN, "the MTA hands mail to "
		    "dkimproxy here, on the loopback only%s%s",
		    l != NULL ? "; replaces " : "", l != NULL ? l : "");
	if (!dkp_loopback(r))
		plan_set(o->conf, "relay", DKP_RELAY, "dkimproxy hands the "
		    "signed mail back to the MTA here%s%s",
		    r != NULL ? "; replaces " : "", r != NULL ? r : "");
	o->w->proxy_listen = xstrdup(conf_get(o->conf->doc, "listen"));
	o->w->proxy_relay = xstrdup(conf_get(o->conf->doc, "relay"));
}

/* One dkim(...) signature and none of DomainKeys. */
static void
dkp_signatures(struct dkp *o)
{
	const struct conf_entry *e;
	size_t i;
	int dkim = 0;

	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (strcasecmp(e->key, "signature") != 0)
			continue;
		if (str_casestartswith(e->value, "domainkeys")) {
			plan_delete(o->conf, e, "DomainKeys signatures are "
			    "obsolete (RFC 4870 is historic): receivers ignore "
			    "them, they only add bytes");
			i--;
			continue;
		}
		dkim |= str_casestartswith(e->value, "dkim");
	}
	if (!dkim)
		plan_append(o->conf, "signature", "dkim(c=relaxed)", "a DKIM "
		    "signature with relaxed canonicalization, which survives "
		    "relays that rewrap headers");
}

/* Does a key exist as a site key with a readable file? */
static const struct plan_key *
dkp_key_of(const struct plan_want *w, const char *path, const char *sel)
{
	const struct plan_key *k;
	size_t i, j;

	for (i = 0; i < w->ndomains; i++)
		for (j = 0; j < w->domains[i].nkeys; j++) {
			k = &w->domains[i].keys[j];
			if (k->path != NULL && k->type != NULL &&
			    strcmp(k->path, path) == 0 &&
			    strcmp(k->selector, sel) == 0)
				return k;
		}
	return NULL;
}

/* The key dkimproxy signs d with: its own (configured or fresh), else the
 * global one. */
static const struct plan_key *
dkp_domain_key(const struct dkp *o, const struct plan_domain *d)
{
	const struct plan_key *k = plan_domain_key(d);

	(void)o;
	if (k != NULL && k->type != NULL)
		return k;
	return NULL;
}

/* The global keyfile and selector: kept when they are a working key,
 * else the first domain's key. */
static void
dkp_global_key(struct dkp *o)
{
	const char *v;
	const struct plan_key *k = NULL;
	const char *kdom = NULL;
	char *kf, *sel, *abs;
	size_t i;

	v = conf_get(o->conf->doc, "keyfile");
	kf = v != NULL ? xstrdup(v) : NULL;
	v = conf_get(o->conf->doc, "selector");
	sel = v != NULL ? xstrdup(v) : NULL;
	abs = kf != NULL ? bk_daemon_path("/", kf) : NULL;
	if (abs != NULL && sel != NULL && kf[0] == '/' &&
	    dkp_key_of(o->w, abs, sel) != NULL) {
		o->gkey = kf;
		o->gsel = sel;
		free(abs);
		return;
	}
	for (i = 0; i < o->w->ndomains && k == NULL; i++) {
		k = dkp_domain_key(o, &o->w->domains[i]);
		kdom = o->w->domains[i].name;
	}
	if (k == NULL) {
		plan_note(o->pc->plan, "dkimproxy: no domain has a key: make one "
		    "(notspam keygen DOMAIN --signer dkimproxy) and plan again");
		goto done;
	}
	if (kf == NULL || strcmp(kf, k->path) != 0)
		plan_set(o->conf, "keyfile", k->path, "the key dkimproxy signs "
		    "with by default (%s's, selector %s)%s%s%s", kdom,
		    k->selector, kf != NULL ? "; replaces " : "",
		    kf != NULL ? kf : "", kf != NULL && kf[0] != '/' ? ", a "
		    "relative path dkimproxy opens from /" : "");
	if (sel == NULL || strcmp(sel, k->selector) != 0)
		plan_set(o->conf, "selector", k->selector, "the selector of "
		    "that key%s%s", sel != NULL ? "; replaces " : "",
		    sel != NULL ? sel : "");
	o->gkey = xstrdup(k->path);
	o->gsel = xstrdup(k->selector);
done:
	free(abs);
	free(kf);
	free(sel);
}

/* "domain": every domain of the pair that has a key, or the global one
 * (said so: its record must be published under the domain too). */
static void
dkp_domains(struct dkp *o)
{
	const char *v = conf_get(o->conf->doc, "domain");
	struct strv have;
	struct buf b;
	const struct plan_domain *d;
	size_t i, added = 0;

	if (v != NULL && v[0] == '/') {
		plan_note(o->pc->plan, "dkimproxy: domain names the file %s: "
		    "make sure it lists every domain", v);
		return;
	}
	strv_init(&have);
	if (v != NULL)
		str_split(v, ", \t", &have);
	buf_init(&b);
	buf_adds(&b, v != NULL ? v : "");
	for (i = 0; i < o->w->ndomains; i++) {
		d = &o->w->domains[i];
		if (strv_find(&have, d->name) != -1)
			continue;
		if (dkp_domain_key(o, d) == NULL) {
			if (o->gkey == NULL)
				continue;
			plan_note(o->pc->plan, "%s has no key of its own: "
			    "dkimproxy signs it with the selector %s key (%s): "
			    "publish that record under %s too (notspam records "
			    "%s)", d->name, o->gsel, o->gkey, d->name, d->name);
		}
		buf_printf(&b, "%s%s", b.len > 0 ? "," : "", d->name);
		added++;
	}
	if (added > 0)
		plan_set(o->conf, "domain", b.data, "dkimproxy signs only the "
		    "sender domains listed here: every domain of the site");
	buf_free(&b);
	strv_free(&have);
}

/* The sender_map line a domain needs. */
static char *
dkp_map_value(const struct plan_domain *d, const struct plan_key *k)
{
	return xasprintf("dkim(c=relaxed,d=%s,s=%s,key=%s)", d->name,
	    k->selector, k->path);
}

/* Do the domains use keys other than the global one? */
static int
dkp_keys_differ(const struct dkp *o)
{
	const struct plan_key *k;
	size_t i;

	for (i = 0; i < o->w->ndomains; i++) {
		k = dkp_domain_key(o, &o->w->domains[i]);
		if (k != NULL && o->gkey != NULL &&
		    (strcmp(k->path, o->gkey) != 0 ||
		    strcmp(k->selector, o->gsel) != 0))
			return 1;
	}
	return 0;
}

/* sender_map: a line per domain whose key is not the global one. */
static void
dkp_sender_map(struct dkp *o)
{
	const char *v = conf_get(o->conf->doc, "sender_map");
	const struct plan_domain *d;
	const struct plan_key *k;
	const struct conf_entry *e;
	struct plan_file *sm;
	char *path, *dir, *slash, *cause = NULL, *val;
	size_t i;

	if (!dkp_keys_differ(o))
		return;
	if (v != NULL)
		path = bk_daemon_path("/", v);
	else {
		dir = xstrdup(o->conf->path);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		path = xasprintf("%s/dkimproxy_sender_map", dir);
		free(dir);
		plan_set(o->conf, "sender_map", path, "the domains use keys of "
		    "their own: the sender map names each domain's key");
	}
	/* Its keys are addresses and domains: the table grammar. */
	if ((sm = plan_file(o->pc, &backend_dkimproxy, CONF_TABLE, path,
	    0644, &cause)) == NULL) {
		plan_note(o->pc->plan, "dkimproxy: %s", cause);
		free(cause);
		free(path);
		return;
	}
	for (i = 0; i < o->w->ndomains; i++) {
		d = &o->w->domains[i];
		if ((k = dkp_domain_key(o, d)) == NULL ||
		    (strcmp(k->path, o->gkey) == 0 &&
		    strcmp(k->selector, o->gsel) == 0))
			continue;
		val = dkp_map_value(d, k);
		e = conf_find(sm->doc, d->name);
		if (e == NULL)
			plan_append(sm, d->name, val, "%s is signed with its own "
			    "key: d=%s, selector %s, %s", d->name, d->name,
			    k->selector, k->path);
		else if (strstr(e->value, k->path) == NULL ||
		    strstr(e->value, k->selector) == NULL)
			plan_set_entry(sm, e, val, "%s is signed with its own "
			    "key (selector %s, %s); replaces %s", d->name,
			    k->selector, k->path, e->value);
		free(val);
	}
	free(path);
}

/* Check the planned file against dkimproxy's grammar; what is wrong goes
 * to the file's warnings (dkimproxy would not start). */
static void
dkp_grammar(struct plan_file *f)
{
	const struct conf_entry *e;
	struct sockspec ss;
	char *cause;
	size_t i, j;

	for (i = 0; i < f->doc->nentries; i++) {
		e = &f->doc->entries[i];
		for (j = 0; dkp_options[j] != NULL; j++)
			if (strcasecmp(e->key, dkp_options[j]) == 0)
				break;
		cause = NULL;
		if (dkp_options[j] == NULL)
			strv_addf(&f->warnings, "%s:%zu: dkimproxy has no option "
			    "\"%s\"", f->path, e->lineno, e->key);
		else if (e->value == NULL || *e->value == '\0')
			strv_addf(&f->warnings, "%s:%zu: %s needs a value",
			    f->path, e->lineno, e->key);
		else if ((strcasecmp(e->key, "listen") == 0 ||
		    strcasecmp(e->key, "relay") == 0)) {
			if (sockspec_parse(SOCKSPEC_HOSTPORT, e->value, &ss,
			    &cause) == 0)
				sockspec_free(&ss);
			else
				strv_addf(&f->warnings, "%s:%zu: %s", f->path,
				    e->lineno, cause);
		} else if (strcasecmp(e->key, "domain") == 0 &&
		    strpbrk(e->value, " \t") != NULL)
			strv_addf(&f->warnings, "%s:%zu: domain is comma-"
			    "separated without blanks", f->path, e->lineno);
		else if (strcasecmp(e->key, "signature") == 0 &&
		    (strchr(e->value, '(') == NULL) !=
		    (strchr(e->value, ')') == NULL))
			strv_addf(&f->warnings, "%s:%zu: signature has an "
			    "unbalanced parenthesis", f->path, e->lineno);
		free(cause);
	}
}

int
dkimproxy_plan(struct plan_ctx *pc)
{
	const struct site_program *prog = site_program(pc->site,
	    backend_dkimproxy.name);
	struct dkp o;
	char *cause = NULL;

	if (pc->probe)
		return prog != NULL ? 0 : -1;
	if (prog == NULL || prog->config == NULL) {
		plan_none(pc->plan, "dkimproxy: not installed here (no "
		    "dkimproxy_out.conf)");
		return -1;
	}
	if (plan_need_domains(pc) != 0)
		return -1;
	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.w = pc->want;
	o.conf = plan_file(pc, &backend_dkimproxy, CONF_DKIMPROXY,
	    prog->config, 0644, &cause);
	if (o.conf == NULL) {
		plan_none(pc->plan, "dkimproxy: %s; fix it first", cause);
		free(cause);
		return -1;
	}
	dkp_addresses(&o);
	dkp_signatures(&o);
	dkp_global_key(&o);
	dkp_domains(&o);
	dkp_sender_map(&o);
	dkp_grammar(o.conf);
	o.w->hook = PLAN_HOOK_PROXY;
	free(o.gkey);
	free(o.gsel);
	return 0;
}
