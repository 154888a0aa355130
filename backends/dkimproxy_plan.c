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
 *
 * Installed with no dkimproxy_out.conf yet (OpenBSD's pkg_add dkimproxy
 * before the administrator writes one): the same wanted state makes the
 * first file, where its start-up reads it (dkimproxy_installed), in the
 * order of dkimproxy's example (listen, relay, domain, signature, keyfile,
 * selector), and dkimproxy is started rather than restarted.  The
 * package's example copied as is (pkg_add's @sample) has a placeholder
 * domain, replaced rather than kept.  On OpenBSD, rcctl enable when
 * rc.conf.local does not start it; the keys go to the user its rc.d
 * script starts it as.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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
	const char		*kdom;		/* the domain whose key that is,
						 * when it replaces another */
	int			 fresh;		/* no dkimproxy_out.conf yet: the
						 * plan writes it */
	int			 sample;	/* it is the package's example,
						 * copied as is (pkg_add's
						 * @sample): its domain is the
						 * example's */
	struct dkimproxy_install inst;		/* how it is installed */
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
 * else the first domain's (written by dkp_global_write, once the domains
 * are: a new file then reads as dkimproxy's example does). */
static void
dkp_global_key(struct dkp *o)
{
	const char *kf = conf_get(o->conf->doc, "keyfile");
	const char *sel = conf_get(o->conf->doc, "selector");
	const struct plan_key *k = NULL;
	const char *kdom = NULL;
	char *abs;
	size_t i;

	abs = kf != NULL ? bk_daemon_path("/", kf) : NULL;
	if (abs != NULL && sel != NULL && kf[0] == '/' &&
	    dkp_key_of(o->w, abs, sel) != NULL) {
		o->gkey = xstrdup(kf);
		o->gsel = xstrdup(sel);
		free(abs);
		return;
	}
	free(abs);
	for (i = 0; i < o->w->ndomains && k == NULL; i++) {
		k = dkp_domain_key(o, &o->w->domains[i]);
		kdom = o->w->domains[i].name;
	}
	if (k == NULL) {
		plan_note(o->pc->plan, "dkimproxy: no domain has a key: make one "
		    "(notspam keygen DOMAIN --signer dkimproxy) and plan again");
		return;
	}
	o->gkey = xstrdup(k->path);
	o->gsel = xstrdup(k->selector);
	o->kdom = kdom;
}

/* keyfile and selector as dkp_global_key chose them. */
static void
dkp_global_write(struct dkp *o)
{
	const char *kf = conf_get(o->conf->doc, "keyfile");
	const char *sel = conf_get(o->conf->doc, "selector");
	char *okf, *osel;

	if (o->gkey == NULL || o->kdom == NULL)
		return;		/* kept, or none */
	okf = kf != NULL ? xstrdup(kf) : NULL;
	osel = sel != NULL ? xstrdup(sel) : NULL;
	if (okf == NULL || strcmp(okf, o->gkey) != 0)
		plan_set(o->conf, "keyfile", o->gkey, "the key dkimproxy signs "
		    "with by default (%s's, selector %s)%s%s%s", o->kdom,
		    o->gsel, okf != NULL ? "; replaces " : "",
		    okf != NULL ? okf : "", okf != NULL && okf[0] != '/' ?
		    ", a relative path dkimproxy opens from /" : "");
	if (osel == NULL || strcmp(osel, o->gsel) != 0)
		plan_set(o->conf, "selector", o->gsel, "the selector of that "
		    "key%s%s", osel != NULL ? "; replaces " : "",
		    osel != NULL ? osel : "");
	free(okf);
	free(osel);
}

/* Does only the package's example name domain `name` (its placeholder
 * "domain example.org", copied by pkg_add): not a domain of the site? */
static int
dkp_example_only(const struct dkp *o, const char *name)
{
	const struct site_domain *sd;
	size_t i;

	if (!o->sample || (sd = site_domain(o->pc->site, name)) == NULL)
		return 0;
	for (i = 0; i < sd->sources.n; i++)
		if (!str_startswith(sd->sources.v[i], "dkimproxy "))
			return 0;
	return 1;
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
	if (v != NULL && !o->sample)
		str_split(v, ", \t", &have);
	buf_init(&b);
	buf_adds(&b, v != NULL && !o->sample ? v : "");
	for (i = 0; i < o->w->ndomains; i++) {
		d = &o->w->domains[i];
		if (strv_find(&have, d->name) != -1 ||
		    dkp_example_only(o, d->name))
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
		    "sender domains listed here: every domain of the site%s%s%s",
		    o->sample && v != NULL ? "; replaces " : "", o->sample &&
		    v != NULL ? v : "", o->sample && v != NULL ? ", the "
		    "package example's" : "");
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

/* Is the file as read the package's example, byte for byte (pkg_add
 * copies it to /etc/dkimproxy_out.conf: "domain example.org" there is a
 * placeholder, not a domain to keep)? */
static int
dkp_is_example(const struct dkp *o)
{
	char *data = NULL;
	size_t len;
	int same;

	if (o->inst.example == NULL || fsroot_read(o->pc->site->root,
	    o->inst.example, 64 * 1024, &data, &len, NULL) != 0)
		return 0;
	same = len == o->conf->oldlen && memcmp(data, o->conf->old, len) == 0;
	free(data);
	return same;
}

/* ---- The service ---- */

/* Does the key file at site path `path` need its owner and mode: not yet
 * in use, or readable by others? */
static int
dkp_key_loose(const struct dkp *o, const struct plan_key *k)
{
	struct stat sb;

	return !k->configured || fsroot_stat(o->pc->site->root, k->path,
	    &sb) != 0 || (sb.st_mode & 077) != 0;
}

/*
 * The keys readable by the user dkimproxy.out signs as: it loads the key
 * of each message in its children, after dropping root for --user (the
 * rc.d script's, or the file's "user"), so a key only root reads leaves
 * every message unsigned ("signing error", the mail relayed as it came).
 * Nothing when no user is known (it runs as root).
 */
static void
dkp_key_owners(struct dkp *o)
{
	const char *u = conf_get(o->conf->doc, "user");
	const char *g = conf_get(o->conf->doc, "group");
	const struct plan_key *k;
	struct strv done;
	char *owner;
	size_t i;

	if (u == NULL)
		u = o->inst.user;
	if (g == NULL)
		g = o->inst.group != NULL ? o->inst.group : u;
	if (u == NULL || bk_has_control(u) || bk_has_control(g))
		return;
	owner = xasprintf("%s:%s", u, g);
	strv_init(&done);
	for (i = 0; i < o->w->ndomains; i++) {
		if ((k = dkp_domain_key(o, &o->w->domains[i])) == NULL ||
		    strv_find(&done, k->path) != -1)
			continue;
		strv_add(&done, k->path);
		if (!dkp_key_loose(o, k))
			continue;
		plan_key_owner(o->pc->plan, &backend_dkimproxy, owner, "0600",
		    k->path, "dkimproxy.out reads the key as %s when it signs "
		    "(it drops root for --user first), and nobody else may",
		    u);
	}
	strv_free(&done);
	free(owner);
}

/* The start: on OpenBSD rcctl enable (rc.d starts no package daemon
 * pkg_scripts does not name), and a file new here means dkimproxy.out
 * cannot be running: it is started, not restarted. */
static void
dkp_service(struct dkp *o)
{
	struct plan *p = o->pc->plan;
	const char *enable[] = { "/usr/sbin/rcctl", "enable",
	    backend_dkimproxy.rcname, NULL };
	size_t i;

	if (o->inst.enabled == 0)
		plan_step(p, &backend_dkimproxy, enable, "dkimproxy_out starts "
		    "at boot (rcctl adds it to pkg_scripts in /etc/rc.conf.local"
		    "), and rc.d starts it only then");
	if (!o->fresh)
		return;
	plan_reload(o->pc, &backend_dkimproxy, 1);
	for (i = 0; i < p->nreloads; i++)
		if (p->reloads[i].backend == &backend_dkimproxy)
			p->reloads[i].start = 1;
	if (o->inst.enabled == -1)
		plan_note(p, "dkimproxy: %s is new: have dkimproxy.out start at "
		    "boot too (its service or init script)", o->conf->path);
}

int
dkimproxy_plan(struct plan_ctx *pc)
{
	const struct site_program *prog = site_program(pc->site,
	    backend_dkimproxy.name);
	struct dkp o;
	char *cause = NULL;
	const char *config;
	int rc = -1;

	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.w = pc->want;
	/* Installed with no dkimproxy_out.conf yet (pkg_add dkimproxy, the
	 * example not copied): the plan writes the first one. */
	if (!dkimproxy_installed(pc->bctx, &o.inst) &&
	    (prog == NULL || prog->config == NULL)) {
		if (!pc->probe)
			plan_none(pc->plan, "dkimproxy: not installed here (no "
			    "dkimproxy.out, no dkimproxy_out.conf)");
		goto out;
	}
	o.fresh = prog == NULL || prog->config == NULL;
	config = o.fresh ? o.inst.config : prog->config;
	if (pc->probe) {
		rc = 0;
		goto out;
	}
	if (plan_need_domains(pc) != 0)
		goto out;
	o.conf = plan_file(pc, &backend_dkimproxy, CONF_DKIMPROXY, config,
	    0644, &cause);
	if (o.conf == NULL) {
		plan_none(pc->plan, "dkimproxy: %s; fix it first", cause);
		free(cause);
		goto out;
	}
	o.sample = !o.fresh && dkp_is_example(&o);
	dkp_addresses(&o);
	dkp_global_key(&o);
	dkp_domains(&o);
	dkp_signatures(&o);
	dkp_global_write(&o);
	dkp_sender_map(&o);
	dkp_grammar(o.conf);
	dkp_key_owners(&o);
	dkp_service(&o);
	o.w->hook = PLAN_HOOK_PROXY;
	rc = 0;
out:
	free(o.gkey);
	free(o.gsel);
	dkimproxy_install_free(&o.inst);
	return rc;
}
