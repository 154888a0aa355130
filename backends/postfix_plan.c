/* postfix_plan.c: the Postfix side of a plan (main.cf and master.cf).
 *
 * With a milter (OpenDKIM): smtpd_milters and non_smtpd_milters name the
 * signer's socket (an element that reaches it is kept; the signer's
 * element that does not is replaced in place, through a "$name" it is
 * written in; else the socket is added); the submission services' own
 * -o smtpd_milters too; milter_protocol 6; milter_default_action never
 * left at accept.  With a proxy (dkimproxy): the submission services and
 * pickup get -o content_filter=dksign:[host]:port, master.cf the dksign
 * transport and the re-injection listener.  Then the HELO name the PTR
 * records give, and the IPv6 fallback (offered unless the settings ask).
 * main.cf is edited the way "postconf -e" edits it (conf_set).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

/* "$name" references followed inside a milter list. */
#define PFP_DEPTH	5
/* The transport a new dkimproxy hand-over uses. */
#define PFP_DKSIGN	"dksign"

struct pfp {
	struct plan_ctx		*pc;
	const struct site	*site;
	struct plan_want	*w;
	struct plan_file	*main;
	struct plan_file	*master;
	const char		*qdir;
	int			 chroot;
};

/* One element of a milter list: where it is written. */
struct pfp_leaf {
	char	*param;		/* the parameter whose value holds it */
	size_t	 start;		/* byte offset in that value */
	size_t	 len;
	char	*text;
};

struct pfp_leaves {
	struct pfp_leaf	*v;
	size_t		 n;
};

static void
pfp_leaves_free(struct pfp_leaves *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].param);
		free(l->v[i].text);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* The parameter name of a whole-element "$name" or "${name}", or NULL;
 * caller frees. */
static char *
pfp_ref(const char *t, size_t len)
{
	size_t n;

	if (len < 2 || t[0] != '$')
		return NULL;
	if (t[1] == '{' && t[len - 1] == '}') {
		t += 2;
		len -= 3;
	} else {
		t += 1;
		len -= 1;
	}
	for (n = 0; n < len; n++)
		if (!isalnum((unsigned char)t[n]) && t[n] != '_')
			return NULL;
	return n > 0 ? xstrndup(t, len) : NULL;
}

/* The elements of param's planned value, "$name" elements followed into
 * the parameters main.cf defines (a default one, empty, adds none). */
static void
pfp_leaves_of(const struct pfp *o, const char *param, int depth,
    struct pfp_leaves *out)
{
	const char *v = conf_get(o->main->doc, param), *p, *s;
	struct pfp_leaf *lf;
	char *ref;
	int brace;

	if (v == NULL || depth > PFP_DEPTH)
		return;
	for (p = v;;) {
		p += strspn(p, " \t\r\n,");
		if (*p == '\0')
			return;
		s = p;
		for (brace = 0; *p != '\0' && (brace > 0 ||
		    strchr(" \t\r\n,", *p) == NULL); p++)
			brace += *p == '{' ? 1 : *p == '}' ? -1 : 0;
		if ((ref = pfp_ref(s, (size_t)(p - s))) != NULL) {
			pfp_leaves_of(o, ref, depth + 1, out);
			free(ref);
			continue;
		}
		out->v = xgrow(out->v, out->n, sizeof *out->v);
		lf = &out->v[out->n++];
		lf->param = xstrdup(param);
		lf->start = (size_t)(s - v);
		lf->len = (size_t)(p - s);
		lf->text = xstrndup(s, lf->len);
	}
}

/* Does milter address text (Postfix syntax) reach the signer's planned
 * listener, the chroot and queue directory taken into account? */
static int
pfp_reaches(const struct pfp *o, const char *text)
{
	const struct sockspec *l = &o->w->listener;
	struct sockspec c;
	char *cause = NULL, *path;
	int rc;

	if (text[0] == '{')
		return 0;	/* a group: its first word is not parsed here */
	if (sockspec_parse(SOCKSPEC_POSTFIX, text, &c, &cause) != 0) {
		free(cause);
		return 0;
	}
	if (c.transport == SOCKSPEC_UNIX || c.transport == SOCKSPEC_LOCAL) {
		if (c.relative)
			path = xasprintf("%s/%s", o->qdir, c.path);
		else if (o->chroot)
			path = xasprintf("%s%s", o->qdir, c.path);
		else
			path = xstrdup(c.path);
		rc = l->path != NULL && strcmp(path, l->path) == 0;
		free(path);
	} else
		rc = sockspec_matches(&c, l, SOCKSPEC_MATCH_REACH);
	sockspec_free(&c);
	return rc;
}

/* Is the element the signer's (the site linked it to the signer, or it
 * names the planned listener's port or socket name)? *problem gets the
 * site's word on it. */
static int
pfp_signer_leaf(const struct pfp *o, const char *from, const char *text,
    const char **problem)
{
	struct sockspec c;
	char *cause = NULL;
	size_t i;
	int rc = 0;

	*problem = NULL;
	for (i = 0; i < o->site->nlinks; i++) {
		const struct site_link *l = &o->site->links[i];
		if (strcmp(l->kind, "milter") == 0 &&
		    str_startswith(l->from, "postfix") &&
		    strcmp(l->address, text) == 0 &&
		    strcmp(l->to, o->w->signer->name) == 0 &&
		    (*problem == NULL || strcmp(l->from, from) == 0)) {
			*problem = l->problem;
			rc = 1;
		}
	}
	if (rc)
		return 1;
	if (sockspec_parse(SOCKSPEC_POSTFIX, text, &c, &cause) != 0) {
		free(cause);
		return 0;
	}
	rc = sockspec_matches(&c, &o->w->listener, SOCKSPEC_MATCH_PORT);
	sockspec_free(&c);
	return rc;
}

/* Is the milter address one no listener of the site answers (every link
 * with it unresolved)? */
static int
pfp_unheard(const struct pfp *o, const char *text)
{
	size_t i;
	int seen = 0;

	if (text[0] == '{')
		return 0;
	for (i = 0; i < o->site->nlinks; i++) {
		const struct site_link *l = &o->site->links[i];
		if (strcmp(l->kind, "milter") != 0 ||
		    strcmp(l->address, text) != 0)
			continue;
		if (strcmp(l->to, "?") != 0)
			return 0;
		seen = 1;
	}
	return seen;
}

/* The value of param with [start, start+len) replaced by what. */
static char *
pfp_splice(const char *v, size_t start, size_t len, const char *what)
{
	return xasprintf("%.*s%s%s", (int)start, v, what, v + start + len);
}

/* smtpd_milters or non_smtpd_milters: the signer's socket in it. */
static void
pfp_milter_param(struct pfp *o, const char *param, const char *who)
{
	struct pfp_leaves lv = { NULL, 0 };
	const char *problem = NULL, *v;
	char *nv = NULL;
	size_t i;

	pfp_leaves_of(o, param, 0, &lv);
	for (i = 0; i < lv.n; i++)
		if (pfp_reaches(o, lv.v[i].text))
			goto done;	/* it reaches the signer now */
	for (i = 0; i < lv.n; i++)
		if (pfp_signer_leaf(o, param[0] == 'n' ? "postfix cleanup" :
		    "postfix smtpd", lv.v[i].text, &problem))
			break;
	/* A lone milter nothing is known to listen on: the signer's, with
	 * a wrong address. */
	if (i == lv.n && lv.n == 1 && pfp_unheard(o, lv.v[0].text)) {
		i = 0;
		problem = "nothing is known to listen there";
	}
	if (i < lv.n) {
		v = conf_get(o->main->doc, lv.v[i].param);
		nv = pfp_splice(v, lv.v[i].start, lv.v[i].len, o->w->milter);
		plan_set(o->main, lv.v[i].param, nv, "%s hands %s to %s at %s, "
		    "where it listens; replaces %s%s%s", who, param[0] == 'n' ?
		    "local mail (sendmail, cron, web apps)" : "SMTP mail",
		    o->w->signer->name, o->w->milter, lv.v[i].text,
		    problem != NULL ? ": " : "", problem != NULL ? problem : "");
		goto done;
	}
	v = conf_get(o->main->doc, param);
	if (param[0] == 'n' && (v == NULL || *v == '\0'))
		nv = xstrdup("$smtpd_milters");
	else if (v == NULL || *v == '\0')
		nv = xstrdup(o->w->milter);
	else
		nv = xasprintf("%s, %s", v, o->w->milter);
	if (param[0] == 'n')
		plan_set(o->main, param, nv, "mail submitted with sendmail "
		    "(local mail, cron, web apps) goes through cleanup, not "
		    "smtpd: without the milter here it leaves unsigned");
	else
		plan_set(o->main, param, nv, "Postfix's smtpd hands each "
		    "message to %s at %s, where it listens", o->w->signer->name,
		    o->w->milter);
done:
	free(nv);
	pfp_leaves_free(&lv);
}

/* Is the master.cf service one clients submit outbound mail through? */
static int
pfp_submission(const struct conf_entry *e)
{
	static const char *const names[] = { "submission/inet",
	    "submissions/inet", "smtps/inet", "587/inet", "465/inet", NULL };
	const char *colon;
	size_t i;

	if (e->key == NULL)
		return 0;
	for (i = 0; names[i] != NULL; i++)
		if (strcmp(e->key, names[i]) == 0)
			return 1;
	/* "127.0.0.1:submission inet" */
	colon = strrchr(e->key, ':');
	return colon != NULL && (strcmp(colon + 1, "submission/inet") == 0 ||
	    strcmp(colon + 1, "submissions/inet") == 0 ||
	    strcmp(colon + 1, "587/inet") == 0);
}

/* A submission service's own -o smtpd_milters must name the signer. */
static void
pfp_master_milters(struct pfp *o)
{
	const struct conf_entry *e;
	const char *opt;
	struct strv words;
	char *nv, *key;
	size_t i, j, n = o->master->doc->nentries;
	int found;

	for (i = 0; i < n; i++) {
		e = &o->master->doc->entries[i];
		if (!pfp_submission(e) || conf_find(o->master->doc, e->key) !=
		    e || (opt = conf_master_option(e, "smtpd_milters")) == NULL)
			continue;
		if (opt[0] == '$')
			continue;	/* a parameter: main.cf's own care */
		strv_init(&words);
		str_split(opt, ", \t", &words);
		for (found = 0, j = 0; j < words.n; j++)
			found |= pfp_reaches(o, words.v[j]);
		strv_free(&words);
		if (found)
			continue;
		nv = *opt == '\0' ? xstrdup(o->w->milter) :
		    xasprintf("%s,%s", opt, o->w->milter);
		key = xstrdup(e->key);
		plan_master_option(o->master, e, "smtpd_milters", nv, "mail "
		    "submitted through %s is signed too: its own smtpd_milters "
		    "override names the signer at %s", key, o->w->milter);
		free(key);
		free(nv);
		n = o->master->doc->nentries;
	}
}

/* milter_protocol 6 and a milter_default_action that is never accept
 * unless asked for. */
static void
pfp_milter_settings(struct pfp *o)
{
	const char *proto = plan_fact(o->site, "postfix", "milter_protocol", 0);
	const char *act = plan_fact(o->site, "postfix",
	    "milter_default_action", 0);
	const char *want = o->w->default_action;

	if (proto != NULL && strcmp(proto, "6") != 0)
		plan_set(o->main, "milter_protocol", "6", "OpenDKIM speaks "
		    "milter protocol 6; replaces %s, with which the option "
		    "negotiation fails", proto);
	if (want == NULL && act != NULL && strcmp(act, "accept") == 0)
		want = "tempfail";
	if (want != NULL && (act == NULL || strcmp(act, want) != 0)) {
		if (o->w->default_action != NULL)
			plan_set(o->main, "milter_default_action", want,
			    "milter_default_action = %s in notspam.conf%s%s",
			    want, act != NULL ? "; replaces " : "",
			    act != NULL ? act : "");
		else
			plan_set(o->main, "milter_default_action", want,
			    "replaces accept, with which a milter that does "
			    "not answer lets mail leave unsigned with only a "
			    "log warning: tempfail defers it (4xx) until the "
			    "signer answers");
	}
}

/* ---- dkimproxy ---- */

/* The transport name of an existing dksign-like content filter for the
 * proxy, or the default. */
static const char *
pfp_dksign_name(const struct pfp *o, char *buf, size_t len)
{
	size_t i, n;

	for (i = 0; i < o->site->nlinks; i++) {
		const struct site_link *l = &o->site->links[i];
		if (strcmp(l->kind, "content_filter") == 0 &&
		    strcmp(l->to, o->w->signer->name) == 0 &&
		    (n = strcspn(l->address, ":")) > 0 && n < len &&
		    l->address[n] == ':') {
			memcpy(buf, l->address, n);
			buf[n] = '\0';
			return buf;
		}
	}
	return PFP_DKSIGN;
}

/* host:port as a Postfix next hop "[host]:port". */
static char *
pfp_nexthop(const char *hostport)
{
	const char *c = strrchr(hostport, ':');

	if (c == NULL)
		return xasprintf("[127.0.0.1]:%s", hostport);
	if (hostport[0] == '[')
		return xstrdup(hostport);
	return xasprintf("[%.*s]:%s", (int)(c - hostport), hostport, c + 1);
}

/* The services that take outbound mail hand it to the proxy. */
static void
pfp_proxy_filters(struct pfp *o, const char *filter)
{
	const struct conf_entry *e;
	const char *opt;
	char *key;
	size_t i, n = o->master->doc->nentries;
	int submission = 0;

	for (i = 0; i < n; i++) {
		e = &o->master->doc->entries[i];
		if (e->key == NULL || conf_find(o->master->doc, e->key) != e ||
		    (!pfp_submission(e) && strcmp(e->key, "pickup/unix") != 0))
			continue;
		submission |= pfp_submission(e);
		opt = conf_master_option(e, "content_filter");
		if (opt != NULL && strcmp(opt, filter) == 0)
			continue;
		key = xstrdup(e->key);
		if (opt != NULL && *opt != '\0' && strchr(opt, ':') != NULL &&
		    !str_startswith(opt, PFP_DKSIGN)) {
			plan_note(o->pc->plan, "master.cf %s hands mail to the "
			    "content filter %s: dkimproxy is not put in its "
			    "place; chain them yourself", key, opt);
			free(key);
			continue;
		}
		plan_master_option(o->master, e, "content_filter", filter,
		    "%s", strcmp(key, "pickup/unix") == 0 ? "local mail "
		    "(sendmail, cron, web apps) is handed to dkimproxy to be "
		    "signed" : "mail clients submit here is handed to "
		    "dkimproxy to be signed");
		free(key);
		n = o->master->doc->nentries;
	}
	if (!submission)
		plan_note(o->pc->plan, "master.cf has no submission service: "
		    "only local mail (sendmail) goes through dkimproxy; mail "
		    "clients submit over SMTP is signed once a submission "
		    "service (port 587) is enabled");
}

/* dksign, and the listener dkimproxy hands the signed mail back to. */
static void
pfp_proxy_services(struct pfp *o, const char *dksign)
{
	char *key, *text;

	key = xasprintf("%s/unix", dksign);
	if (conf_find(o->master->doc, key) == NULL) {
		text = xasprintf("%-9s unix  -       -       n       -       10"
		    "      smtp\n    -o smtp_send_xforward_command=yes\n"
		    "    -o smtp_discard_ehlo_keywords=8bitmime,starttls",
		    dksign);
		plan_master_service(o->master, text, "the transport that hands "
		    "mail to dkimproxy at %s (XFORWARD keeps the client's "
		    "name in the logs)", o->w->proxy_listen);
		free(text);
	}
	free(key);
	key = xasprintf("%s/inet", o->w->proxy_relay);
	if (conf_find(o->master->doc, key) == NULL) {
		text = xasprintf("%s inet  n       -       n       -       10  "
		    "    smtpd\n    -o content_filter=\n    -o receive_override_"
		    "options=no_unknown_recipient_checks,no_header_body_checks\n"
		    "    -o smtpd_helo_restrictions=\n    -o smtpd_client_"
		    "restrictions=\n    -o smtpd_sender_restrictions=\n    -o "
		    "smtpd_recipient_restrictions=permit_mynetworks,reject\n    "
		    "-o mynetworks=127.0.0.0/8\n    -o smtpd_authorized_xforward_"
		    "hosts=127.0.0.0/8", o->w->proxy_relay);
		plan_master_service(o->master, text, "dkimproxy hands the "
		    "signed mail back here (its relay %s); no content filter, "
		    "so it is not signed twice", o->w->proxy_relay);
		free(text);
	}
	free(key);
}

static void
pfp_proxy(struct pfp *o)
{
	char name[64], *hop, *filter;
	const char *dksign = pfp_dksign_name(o, name, sizeof name);

	hop = pfp_nexthop(o->w->proxy_listen);
	filter = xasprintf("%s:%s", dksign, hop);
	pfp_proxy_filters(o, filter);
	pfp_proxy_services(o, dksign);
	free(filter);
	free(hop);
}

/* ---- HELO and IPv6 ---- */

static void
pfp_helo(struct pfp *o)
{
	const char *now = site_helo(o->site);

	if (o->w->helo == NULL || (now != NULL &&
	    strcasecmp(now, o->w->helo) == 0))
		return;
	plan_set(o->main, "smtp_helo_name", o->w->helo, "receivers compare "
	    "the HELO name with the PTR name of the sending address: the PTR "
	    "of %s names %s%s%s", o->w->helo_why, o->w->helo,
	    now != NULL ? "; replaces " : "", now != NULL ? now : "");
}

static void
pfp_ipv6(struct pfp *o)
{
	const char *pref = plan_fact(o->site, "postfix",
	    "smtp_address_preference", 1);
	const char *bind = plan_fact(o->site, "postfix", "smtp_bind_address6",
	    1);
	char *what, *why;

	if (!o->w->v6_offer || (pref != NULL && strcmp(pref, "ipv4") == 0) ||
	    bind != NULL)
		return;
	why = xasprintf("%s has no PTR record, and Gmail refuses mail over "
	    "IPv6 from an address without one (550-5.7.1 ... IPv6 sending "
	    "guidelines); until the provider sets the PTR", o->w->v6_why);
	if (o->w->v6 == PLAN_V6_IPV4)
		plan_set(o->main, "smtp_address_preference", "ipv4", "%s, "
		    "Postfix prefers IPv4 (ipv6_fallback = ipv4 in "
		    "notspam.conf)", why);
	else if (o->w->v6 == PLAN_V6_BIND && o->w->bind6 != NULL)
		plan_set(o->main, "smtp_bind_address6", o->w->bind6, "%s, "
		    "Postfix sends from %s, which has one (ipv6_fallback = "
		    "bind in notspam.conf)", why, o->w->bind6);
	else {
		if (o->w->v6 == PLAN_V6_BIND)
			plan_note(o->pc->plan, "ipv6_fallback = bind: no IPv6 "
			    "address has a PTR record to bind to");
		plan_offer(o->pc->plan, &backend_postfix,
		    "smtp_address_preference = ipv4",
		    "ipv6_fallback = ipv4", "%s, Postfix can prefer IPv4", why);
		if (o->w->bind6 != NULL) {
			what = xasprintf("smtp_bind_address6 = %s", o->w->bind6);
			plan_offer(o->pc->plan, &backend_postfix, what,
			    "ipv6_fallback = bind", "%s, Postfix can send from "
			    "%s, which has one", why, o->w->bind6);
			free(what);
		}
	}
	free(why);
}

/* ---- The operation ---- */

/* Facts the milter reach depends on. */
static void
pfp_facts(struct pfp *o)
{
	static const char *const svcs[] = { "master.cf smtp/inet chroot",
	    "master.cf cleanup/unix chroot", NULL };
	const struct site_fact *f;
	size_t i;

	o->qdir = plan_fact(o->site, "postfix", "queue_directory", 0);
	if (o->qdir == NULL || o->qdir[0] != '/')
		o->qdir = "/var/spool/postfix";
	for (i = 0; svcs[i] != NULL; i++)
		if ((f = site_fact(o->site, "postfix", svcs[i])) != NULL &&
		    strcmp(f->value, "y") == 0)
			o->chroot = 1;
}

/* postconf -c DIR -n (its warnings), and postfix -c DIR check (which
 * makes the queue directory: not under --root). */
static void
pfp_checks(struct pfp *o, const struct site_program *prog, const char *dir)
{
	const char *postconf[] = { "/usr/sbin/postconf", "-c", dir, "-n",
	    NULL };
	struct strv argv;

	plan_check(o->pc->plan, &backend_postfix, postconf, 2, 1, 0);
	strv_init(&argv);
	backend_validate_argv(&backend_postfix, o->pc->bctx, prog, &argv);
	if (argv.n > 2)
		plan_check(o->pc->plan, &backend_postfix,
		    (const char *const *)argv.v, 2, 1, 1);
	strv_free(&argv);
}

/* Open main.cf and master.cf; -1 after plan_none. */
static int
pfp_open(struct pfp *o, const struct site_program *prog, char **dirp)
{
	char *dir, *slash, *mpath, *cause = NULL;

	dir = xstrdup(prog->config);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	mpath = xasprintf("%s/master.cf", *dir != '\0' ? dir : "");
	o->main = plan_file(o->pc, &backend_postfix, CONF_POSTFIX_MAIN,
	    prog->config, 0644, &cause);
	if (o->main != NULL)
		o->master = plan_file(o->pc, &backend_postfix,
		    CONF_POSTFIX_MASTER, mpath, 0644, &cause);
	free(mpath);
	if (o->main == NULL || o->master == NULL) {
		plan_none(o->pc->plan, "postfix: %s; fix it first", cause);
		free(cause);
		free(dir);
		return -1;
	}
	*dirp = dir;
	return 0;
}

int
postfix_plan(struct plan_ctx *pc)
{
	const struct site_program *prog = site_program(pc->site, "postfix");
	struct pfp o;
	char *dir = NULL;

	if (pc->probe || prog == NULL || prog->config == NULL)
		return -1;
	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.site = pc->site;
	o.w = pc->want;
	if (o.w->hook == PLAN_HOOK_FILTER) {
		plan_none(pc->plan, "postfix + %s: it is an OpenSMTPD filter, "
		    "Postfix cannot run it; use OpenDKIM or dkimproxy",
		    o.w->signer->name);
		return -1;
	}
	if (pfp_open(&o, prog, &dir) != 0)
		return -1;
	pfp_facts(&o);
	if (o.w->hook == PLAN_HOOK_MILTER) {
		pfp_milter_param(&o, "smtpd_milters", "Postfix's smtpd");
		pfp_milter_param(&o, "non_smtpd_milters", "Postfix's cleanup");
		pfp_master_milters(&o);
		pfp_milter_settings(&o);
	} else if (o.w->hook == PLAN_HOOK_PROXY)
		pfp_proxy(&o);
	pfp_helo(&o);
	pfp_ipv6(&o);
	pfp_checks(&o, prog, dir);
	free(dir);
	return 0;
}
