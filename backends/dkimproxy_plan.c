/* dkimproxy_plan.c: the dkimproxy side of a plan (dkimproxy_out.conf and
 * its sender_map).
 *
 * Wanted: a listen and a relay address on the loopback (kept when set);
 * "domain" listing every domain of the pair, comma-separated; one
 * "signature dkim(c=relaxed,a=rsa-sha256)" and no DomainKeys signature
 * (a DKIM signature without a= is rsa-sha1, Mail::DKIM's default, which
 * RFC 8301 forbids); the global keyfile and selector a key that exists;
 * and when the domains use different keys, a sender_map line per domain
 * naming its a=, key=, s= and d=.  dkimproxy has no check mode: the
 * planned files are checked against its grammar here (what dkimproxy.out
 * refuses at start: an unknown option, a signature type, method or
 * algorithm it does not know).  It is an SMTP proxy: the MTA relays to
 * its listen address and takes the mail back at its relay address.
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
/* The algorithm of every signature: Mail::DKIM signs with RSA keys only
 * (no Ed25519 in 1.20230212, Debian 12's). */
#define DKP_ALG		"rsa-sha256"
#define DKP_ALG_WHY	"without a=, dkimproxy signs rsa-sha1 " \
	"(Mail::DKIM's default), which RFC 8301 forbids for signing and " \
	"verifying: receivers that follow it count the signature as invalid"

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

/* Where the option of a signature specifier, type(n=v,...), that sets
 * the algorithm starts (at its value), and its length; NULL if none. */
static const char *
dkp_alg_opt(const char *open, const char *close, size_t *n)
{
	const char *p;
	size_t len;

	for (p = open + 1; p < close; p += len + 1) {
		p += strspn(p, " \t");
		len = strcspn(p, ",)");
		if (str_startswith(p, "a=") ||
		    str_startswith(p, "algorithm=")) {
			*n = len - (size_t)(strchr(p, '=') + 1 - p);
			return strchr(p, '=') + 1;
		}
		if (p[len] != ',')
			break;
	}
	return NULL;
}

/* A dkim signature specifier with a=rsa-sha256 (added, or replacing
 * another algorithm); NULL when it has it or is no dkim specifier.
 * Caller frees. */
static char *
dkp_sha256(const char *v)
{
	const char *open, *close, *a;
	struct buf b;
	size_t n = 0;

	if (strcasecmp(v, "dkim") == 0)
		return xstrdup("dkim(a=" DKP_ALG ")");
	if (!str_casestartswith(v, "dkim(") ||
	    (close = strrchr(v, ')')) == NULL || close[1] != '\0')
		return NULL;
	open = v + 4;
	if ((a = dkp_alg_opt(open, close, &n)) != NULL &&
	    n == strlen(DKP_ALG) && strncmp(a, DKP_ALG, n) == 0)
		return NULL;
	buf_init(&b);
	if (a != NULL) {
		buf_add(&b, v, (size_t)(a - v));
		buf_adds(&b, DKP_ALG);
		buf_adds(&b, a + n);
	} else {
		buf_add(&b, v, (size_t)(close - v));
		buf_printf(&b, "%sa=" DKP_ALG ")", close > open + 1 ? "," : "");
	}
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

/* One dkim(...) signature, rsa-sha256, and none of DomainKeys. */
static void
dkp_signatures(struct dkp *o)
{
	const struct conf_entry *e;
	size_t i;
	char *v;
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
		if (!str_casestartswith(e->value, "dkim"))
			continue;
		dkim = 1;
		if ((v = dkp_sha256(e->value)) != NULL) {
			plan_set_entry(o->conf, e, v, "%s; replaces %s",
			    DKP_ALG_WHY, e->value);
			free(v);
		}
	}
	if (!dkim)
		plan_append(o->conf, "signature", "dkim(c=relaxed,a=" DKP_ALG
		    ")", "a DKIM signature, rsa-sha256, with relaxed "
		    "canonicalization, which survives relays that rewrap "
		    "headers");
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

/* ---- dkimproxy's grammar ---- */

/* Is the option value one of a space-separated list? */
static int
dkp_one_of(const char *v, const char *list)
{
	struct strv w;
	size_t i;
	int found = 0;

	strv_init(&w);
	str_split(list, " ", &w);
	for (i = 0; i < w.n && !found; i++)
		found = strcmp(v, w.v[i]) == 0;
	strv_free(&w);
	return found;
}

/* What dkimproxy.out refuses (or silently ignores) in one signature
 * specifier, type(name=value,...), as its parse_signature_options and
 * check_signature_options read it; NULL when nothing.  Caller frees. */
static char *
dkp_spec_error(const char *spec)
{
	static const char *const names[] = { "c", "method", "a", "algorithm",
	    "d", "domain", "s", "selector", "key", "keyfile", "h", "headers",
	    "i", "identity", NULL };
	char *s, *p, *opt, *next, *eq, *why = NULL;
	size_t n, j, len;
	int dkim;

	s = xstrdup(spec + strspn(spec, " \t"));
	for (len = strlen(s); len > 0 && strchr(" \t", s[len - 1]); len--)
		s[len - 1] = '\0';
	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_");
	dkim = n == 4 && strncmp(s, "dkim", 4) == 0;
	if (!dkim && (n != 10 || strncmp(s, "domainkeys", 10) != 0)) {
		why = xasprintf("signature \"%s\": the type is dkim or "
		    "domainkeys", s);
		goto out;
	}
	p = s + n;
	len = strlen(p);
	if (*p != '\0' && (*p != '(' || p[len - 1] != ')')) {
		why = xasprintf("signature \"%s\": its options go in "
		    "parentheses at its end", s);
		goto out;
	}
	if (*p != '\0')
		p[len - 1] = '\0';
	for (opt = *p != '\0' ? p + 1 : NULL; opt != NULL && why == NULL;
	    opt = next) {
		if ((next = strchr(opt, ',')) != NULL)
			*next++ = '\0';
		opt += strspn(opt, " \t");
		if (*opt == '\0')
			continue;
		if ((eq = strchr(opt, '=')) == NULL) {
			why = xasprintf("signature option \"%s\" has no "
			    "=value", opt);
			break;
		}
		*eq++ = '\0';
		for (j = 0; names[j] != NULL; j++)
			if (strcmp(opt, names[j]) == 0)
				break;
		if (names[j] == NULL)
			why = xasprintf("signature option \"%s\" is unknown: "
			    "dkimproxy ignores it", opt);
		else if ((strcmp(opt, "c") == 0 || strcmp(opt, "method") ==
		    0) && !dkp_one_of(eq, dkim ? "simple relaxed nowsp" :
		    "simple nofws"))
			why = xasprintf("signature method %s: dkimproxy takes "
			    "%s", eq, dkim ? "simple, relaxed or nowsp" :
			    "simple or nofws");
		else if ((strcmp(opt, "a") == 0 || strcmp(opt, "algorithm") ==
		    0) && !dkp_one_of(eq, "rsa-sha1 rsa-sha256"))
			why = xasprintf("signature algorithm %s: Mail::DKIM "
			    "signs rsa-sha256 or rsa-sha1", eq);
	}
out:
	free(s);
	return why;
}

/* The same for a sender map's list, specifiers separated by commas
 * outside parentheses. */
static char *
dkp_specs_error(const char *list)
{
	const char *p, *start = list;
	char *one, *why = NULL;
	int depth = 0;

	for (p = list; why == NULL; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (*p != '\0' && (*p != ',' || depth > 0))
			continue;
		one = xstrndup(start, (size_t)(p - start));
		why = dkp_spec_error(one);
		free(one);
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return why;
}

/* Each line of the sender map: the signatures dkimproxy reads in it. */
static void
dkp_map_grammar(struct plan_file *sm)
{
	const struct conf_entry *e;
	char *why;
	size_t i;

	for (i = 0; i < sm->doc->nentries; i++) {
		e = &sm->doc->entries[i];
		if (e->value == NULL || *e->value == '\0')
			why = xstrdup("a sender needs its signatures");
		else
			why = dkp_specs_error(e->value);
		if (why != NULL)
			strv_addf(&sm->warnings, "%s:%zu: %s", sm->path,
			    e->lineno, why);
		free(why);
	}
}

/* The sender_map line a domain needs. */
static char *
dkp_map_value(const struct plan_domain *d, const struct plan_key *k)
{
	return xasprintf("dkim(c=relaxed,a=" DKP_ALG ",d=%s,s=%s,key=%s)",
	    d->name, k->selector, k->path);
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
	char *path, *dir, *slash, *cause = NULL, *val, *sha;
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
		else if ((sha = dkp_sha256(e->value)) != NULL) {
			plan_set_entry(sm, e, val, "%s; replaces %s",
			    DKP_ALG_WHY, e->value);
			free(sha);
		}
		free(val);
	}
	dkp_map_grammar(sm);
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
		    (cause = dkp_spec_error(e->value)) != NULL)
			strv_addf(&f->warnings, "%s:%zu: %s", f->path,
			    e->lineno, cause);
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
