/* opendkim_plan.c: the OpenDKIM side of a plan (opendkim.conf, its
 * KeyTable and SigningTable, Debian's /etc/default/opendkim).
 *
 * Wanted: every domain of the pair signed with its own key and d= (one
 * KeyTable line and one SigningTable line per domain; a SigningTable line
 * goes before any wildcard that would catch the domain first, since the
 * first match wins); one socket both sides agree on (one that works is
 * kept; else TCP on 127.0.0.1, or with milter_socket = unix a socket
 * Postfix can reach: under its queue directory when smtpd is chrooted);
 * InternalHosts covering 127.0.0.1, ::1 and Postfix's mynetworks;
 * relaxed header canonicalization; UMask 007 for a unix socket; the
 * SOCKET of /etc/default/opendkim agreeing.  OpenDKIM is a milter: only
 * Postfix hands mail to it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

/* The tables a new KeyTable setup uses. */
#define ODP_KEYTABLE	"/etc/opendkim/key.table"
#define ODP_SIGNING	"/etc/opendkim/signing.table"
/* The TCP port a new socket gets (opendkim.conf's own examples). */
#define ODP_PORT	8891
/* A unix socket under Postfix's queue directory, and outside it. */
#define ODP_SPOOL_SOCK	"opendkim/opendkim.sock"
#define ODP_RUN_SOCK	"/run/opendkim/opendkim.sock"

struct odp {
	struct plan_ctx		*pc;
	const struct site	*site;
	struct plan_want	*w;
	struct plan_file	*conf;
	const char		*qdir;		/* Postfix's queue_directory */
	int			 chroot;	/* smtpd or cleanup chrooted */
	const char		*chroot_src;
};

/* The value of a setting of opendkim.conf as planned, or NULL. */
static const char *
odp_get(const struct odp *o, const char *key)
{
	return conf_get(o->conf->doc, key);
}

/* A data set's path: without "file:" or "refile:", made absolute from
 * OpenDKIM's working directory "/".  *refile says which.  Caller frees. */
static char *
odp_set_path(const char *value, int *refile)
{
	const char *p = value;

	*refile = 0;
	if (str_casestartswith(p, "refile:")) {
		*refile = 1;
		p += 7;
	} else if (str_casestartswith(p, "file:"))
		p += 5;
	return p[0] == '/' ? xstrdup(p) : xasprintf("/%s", p);
}

/* Is value a data set notspam cannot edit (a database, a directory)? */
static int
odp_foreign_set(const char *value)
{
	static const char *const other[] = { "db:", "dsn:", "ldap:", "ldaps:",
	    "ldapi:", "lua:", "memcache:", "mdb:", "erlang:", "socket:",
	    "repute:", "mysql:", "pgsql:", "sqlite", "csl:", NULL };
	size_t i;

	for (i = 0; other[i] != NULL; i++)
		if (str_casestartswith(value, other[i]))
			return 1;
	return 0;
}

/* ---- Keys ---- */

/* Case-insensitive glob with '*' only (refile: patterns). */
static int
odp_glob(const char *pat, const char *s)
{
	if (*pat == '\0')
		return *s == '\0';
	if (*pat == '*')
		return odp_glob(pat + 1, s) || (*s != '\0' &&
		    odp_glob(pat, s + 1));
	return *s != '\0' && tolower((unsigned char)*pat) ==
	    tolower((unsigned char)*s) && odp_glob(pat + 1, s + 1);
}

/* Does SigningTable key k catch every sender of domain d?  refile: a
 * wildcard matching any address of d; a plain table: d itself, a
 * ".parent" of it, or "*". */
static int
odp_catches(const char *k, const char *d, int refile)
{
	char *addr;
	const char *dot;
	int rc;

	if (refile) {
		if (strchr(k, '*') == NULL)
			return 0;
		addr = xasprintf("notspam-probe@%s", d);
		rc = odp_glob(k, addr);
		free(addr);
		return rc;
	}
	if (strcasecmp(k, d) == 0 || strcmp(k, "*") == 0)
		return 1;
	for (dot = strchr(d, '.'); dot != NULL; dot = strchr(dot + 1, '.'))
		if (strcasecmp(k, dot) == 0)
			return 1;
	return 0;
}

/* The KeyTable entry named name, or NULL. */
static const struct conf_entry *
odp_key_entry(const struct plan_file *kt, const char *name)
{
	return conf_find(kt->doc, name);
}

/* The signing domain of a KeyTable entry ("%" for the sender's), or
 * NULL; caller frees. */
static char *
odp_key_domain(const struct conf_entry *e)
{
	const char *v = e->argc > 1 ? e->argv[1] : "";
	const char *c = strchr(v, ':');

	return c != NULL ? xstrndup(v, (size_t)(c - v)) : NULL;
}

/* The KeyTable line for d with key k: an existing one with that domain,
 * selector and file, else a new one named selector._domainkey.domain.
 * Returns its name (caller frees), or NULL when it could not be planned. */
static char *
odp_keytable_line(struct odp *o, struct plan_file *kt,
    const struct plan_domain *d, const struct plan_key *k)
{
	const struct conf_entry *e;
	char *spec, *name;
	size_t i;

	spec = xasprintf("%s:%s:%s", d->name, k->selector, k->path);
	for (i = 0; i < kt->doc->nentries; i++) {
		e = &kt->doc->entries[i];
		if (e->argc > 1 && strcasecmp(e->argv[1], spec) == 0) {
			free(spec);
			return xstrdup(e->key);
		}
	}
	name = xasprintf("%s._domainkey.%s", k->selector, d->name);
	if ((e = odp_key_entry(kt, name)) != NULL) {
		if (plan_set_entry(kt, e, spec, "the key %s is %s's own: d=%s, "
		    "selector %s, key file %s; replaces %s", name, d->name,
		    d->name, k->selector, k->path, e->argc > 1 ? e->argv[1] :
		    "an empty line") != 0)
			goto fail;
	} else if (plan_append(kt, name, spec, "%s is signed with its own "
	    "key: d=%s, selector %s, key file %s%s", d->name, d->name,
	    k->selector, k->path, k->published ? "" :
	    " (publish its record first: notspam records)") != 0)
		goto fail;
	(void)o;
	free(spec);
	return name;
fail:
	free(spec);
	free(name);
	return NULL;
}

/* The SigningTable line for d naming key `name`: the first line that
 * catches d must name a key of d (or of "%"). */
static void
odp_signing_line(struct odp *o, struct plan_file *kt, struct plan_file *st,
    int refile, const struct plan_domain *d, const char *name)
{
	const struct conf_entry *e, *first = NULL, *exact = NULL, *ke;
	char *pat, *kd = NULL, *old = NULL, *text;
	size_t i;

	pat = refile ? xasprintf("*@%s", d->name) : xstrdup(d->name);
	for (i = 0; i < st->doc->nentries; i++) {
		e = &st->doc->entries[i];
		if (strcasecmp(e->key, pat) == 0 && exact == NULL)
			exact = e;
		if (first == NULL && odp_catches(e->key, d->name, refile))
			first = e;
	}
	if (first != NULL && first->argc > 1 &&
	    (ke = odp_key_entry(kt, first->argv[1])) != NULL &&
	    (kd = odp_key_domain(ke)) != NULL &&
	    (strcasecmp(kd, d->name) == 0 || strcmp(kd, "%") == 0))
		goto done;	/* d is signed with a key of its own */
	if (first != NULL && first->argc > 1)
		old = xasprintf("; it replaces %s, which signed %s's mail with "
		    "%s%s", first->argv[1], d->name, kd != NULL ? "d=" :
		    "no key", kd != NULL ? kd : "");
	text = refile ? xasprintf("*@%s %s", d->name, name) :
	    xasprintf("%s %s", d->name, name);
	if (exact != NULL && exact == first)
		plan_set_entry(st, exact, name, "%s's mail is signed with "
		    "%s, its own key%s", d->name, name, old != NULL ? old : "");
	else if (first != NULL)
		plan_insert(st, first, 1, text, "%s's mail is signed with %s, "
		    "its own key (before line %zu, which would catch it "
		    "first)%s", d->name, name, first->lineno,
		    old != NULL ? old : "");
	else
		plan_insert(st, NULL, 0, text, "%s's mail is signed with %s, "
		    "its own key (d=%s)", d->name, name, d->name);
	free(text);
done:
	(void)o;
	free(pat);
	free(kd);
	free(old);
}

/* Domain, Selector and KeyFile go once a KeyTable takes over. */
static void
odp_drop_single(struct odp *o)
{
	static const char *const keys[] = { "Domain", "Selector", "KeyFile",
	    NULL };
	const struct conf_entry *e;
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		while ((e = conf_find(o->conf->doc, keys[i])) != NULL)
			if (plan_comment_out(o->conf, e, "%s is replaced by the "
			    "KeyTable: one key and d= per domain", keys[i]) != 0)
				break;
}

/* Is the single-key setup (Domain, Selector, KeyFile) already the whole
 * wanted state: one domain, its key? */
static int
odp_single_ok(const struct odp *o)
{
	const struct plan_domain *d;
	const struct plan_key *k;
	const char *dom = odp_get(o, "Domain"), *kf = odp_get(o, "KeyFile");
	const char *sel = odp_get(o, "Selector");

	if (o->w->ndomains != 1 || dom == NULL || kf == NULL || sel == NULL)
		return 0;
	d = &o->w->domains[0];
	k = plan_domain_key(d);
	return k != NULL && k->configured && strcasecmp(dom, d->name) == 0 &&
	    strcmp(sel, k->selector) == 0;
}

/* Keys in a database: no plan (-1, said why). */
static int
odp_refused(struct odp *o)
{
	const char *kt_v = odp_get(o, "KeyTable");
	const char *st_v = odp_get(o, "SigningTable");
	char *show;

	if ((kt_v == NULL || !odp_foreign_set(kt_v)) &&
	    (st_v == NULL || !odp_foreign_set(st_v)))
		return 0;
	show = bk_quote(kt_v != NULL && odp_foreign_set(kt_v) ? kt_v : st_v);
	plan_none(o->pc->plan, "opendkim: the keys are in a database (%s in "
	    "%s): notspam does not edit it, so nothing of this pair is "
	    "planned; add the domains' keys there", show, o->conf->path);
	free(show);
	return -1;
}

/* KeyTable and SigningTable: one line per domain.  -1: no plan. */
static int
odp_keys(struct odp *o)
{
	const char *kt_v = odp_get(o, "KeyTable"), *st_v;
	struct plan_file *kt, *st;
	const struct plan_key *k;
	char *ktp, *stp, *cause = NULL, *name, *show;
	size_t i;
	int refile = 1, dummy;

	st_v = odp_get(o, "SigningTable");
	if (kt_v == NULL && odp_single_ok(o))
		return 0;
	for (i = 0; i < o->w->ndomains; i++) {
		k = plan_domain_key(&o->w->domains[i]);
		if (k != NULL && k->path != NULL && k->type != NULL)
			break;
	}
	if (kt_v == NULL && i == o->w->ndomains) {
		/* No key to wire: the key setup stays as it is. */
		for (i = 0; i < o->w->ndomains; i++)
			plan_note(o->pc->plan, "%s has no DKIM key for OpenDKIM: "
			    "make one (notspam keygen %s) and plan again",
			    o->w->domains[i].name, o->w->domains[i].name);
		return 0;
	}
	ktp = kt_v != NULL ? odp_set_path(kt_v, &dummy) : xstrdup(ODP_KEYTABLE);
	stp = st_v != NULL ? odp_set_path(st_v, &refile) :
	    xstrdup(ODP_SIGNING);
	if (kt_v == NULL)
		plan_set(o->conf, "KeyTable", ktp, "a KeyTable names each "
		    "domain's own key, so every domain is signed with its own "
		    "d=");
	if (st_v == NULL) {
		refile = 1;
		name = xasprintf("refile:%s", stp);
		plan_set(o->conf, "SigningTable", name, "the SigningTable "
		    "picks each sender domain's key (refile: wildcards such as "
		    "*@example.org)");
		free(name);
	}
	if (kt_v == NULL)
		odp_drop_single(o);
	kt = plan_file(o->pc, &backend_opendkim, CONF_TABLE, ktp, 0644, &cause);
	st = kt == NULL ? NULL : plan_file(o->pc, &backend_opendkim,
	    CONF_TABLE, stp, 0644, &cause);
	if (kt == NULL || st == NULL) {
		show = bk_san(cause);
		plan_none(o->pc->plan, "opendkim: %s; fix the table first",
		    show);
		free(show);
		free(cause);
		free(ktp);
		free(stp);
		return -1;
	}
	for (i = 0; i < o->w->ndomains; i++) {
		k = plan_domain_key(&o->w->domains[i]);
		if (k == NULL || k->path == NULL) {
			plan_note(o->pc->plan, "%s has no DKIM key for OpenDKIM: "
			    "make one (notspam keygen %s) and plan again",
			    o->w->domains[i].name, o->w->domains[i].name);
			continue;
		}
		if ((name = odp_keytable_line(o, kt, &o->w->domains[i],
		    k)) == NULL)
			continue;
		odp_signing_line(o, kt, st, refile, &o->w->domains[i], name);
		free(name);
	}
	free(ktp);
	free(stp);
	return 0;
}

/* ---- The socket ---- */

/* Postfix's facts the socket depends on. */
static void
odp_postfix_facts(struct odp *o)
{
	static const char *const svcs[] = { "master.cf smtp/inet chroot",
	    "master.cf cleanup/unix chroot", NULL };
	const struct site_fact *f;
	size_t i;

	o->qdir = plan_fact(o->site, "postfix", "queue_directory", 0);
	if (o->qdir == NULL || o->qdir[0] != '/')
		o->qdir = "/var/spool/postfix";
	for (i = 0; svcs[i] != NULL; i++) {
		f = site_fact(o->site, "postfix", svcs[i]);
		if (f != NULL && strcmp(f->value, "y") == 0 && !o->chroot) {
			o->chroot = 1;
			o->chroot_src = f->source;
		}
	}
}

/* Is path under Postfix's queue directory?  Its part after it, or NULL. */
static const char *
odp_in_spool(const struct odp *o, const char *path)
{
	size_t n = strlen(o->qdir);

	while (n > 1 && o->qdir[n - 1] == '/')
		n--;
	if (strncmp(path, o->qdir, n) == 0 && path[n] == '/')
		return path + n + 1;
	return NULL;
}

/* The Postfix side of a listener: the address smtpd dials. */
static char *
odp_client(const struct odp *o, const struct sockspec *l)
{
	const char *rel;

	if (l->transport == SOCKSPEC_UNIX || l->transport == SOCKSPEC_LOCAL) {
		if ((rel = odp_in_spool(o, l->path)) != NULL)
			return xasprintf("unix:%s", rel);
		return xasprintf("unix:%s", l->path);
	}
	if (l->family == AF_INET6 && (l->address == NULL ||
	    *l->address == '\0' || strcmp(l->address, "::1") == 0 ||
	    strcmp(l->address, "::") == 0))
		return xasprintf("inet:[::1]:%u", l->port);
	if (l->address == NULL || *l->address == '\0' ||
	    bk_is_loopback(l->address))
		return xasprintf("inet:127.0.0.1:%u", l->port);
	if (strchr(l->address, ':') != NULL)
		return xasprintf("inet:[%s]:%u", l->address, l->port);
	return xasprintf("inet:%s:%u", l->address, l->port);
}

/*
 * The socket OpenDKIM should listen on, and why it changes (NULL: it does
 * not).  Caller frees both.
 */
static char *
odp_wanted_socket(struct odp *o, const char *cur, char **why)
{
	struct sockspec ss;
	char *cause = NULL, *want = NULL;
	int ok, unix_sock = 0, tcp = 0;

	*why = NULL;
	ok = cur != NULL && sockspec_parse(SOCKSPEC_MILTER, cur, &ss,
	    &cause) == 0;
	free(cause);
	if (ok) {
		unix_sock = ss.transport == SOCKSPEC_UNIX ||
		    ss.transport == SOCKSPEC_LOCAL;
		tcp = !unix_sock;
	}
	if (o->w->unix_socket == 1) {
		if (unix_sock && (!o->chroot || odp_in_spool(o, ss.path)))
			want = xstrdup(cur);
		else if (o->chroot) {
			want = xasprintf("local:%s/%s", o->qdir, ODP_SPOOL_SOCK);
			*why = xasprintf("milter_socket = unix asks for a socket "
			    "file, and Postfix's smtpd runs chrooted in %s (%s): "
			    "the socket goes under it", o->qdir,
			    o->chroot_src != NULL ? o->chroot_src : "master.cf");
		} else {
			want = xstrdup("local:" ODP_RUN_SOCK);
			*why = xstrdup("milter_socket = unix asks for a socket "
			    "file");
		}
	} else if (tcp || (unix_sock && o->w->unix_socket == -1 &&
	    (!o->chroot || odp_in_spool(o, ss.path) != NULL)))
		want = xstrdup(cur);	/* one that works is kept */
	else {
		want = xasprintf("inet:%u@127.0.0.1", ODP_PORT);
		if (o->w->unix_socket == 0)
			*why = xstrdup("milter_socket = inet asks for a TCP "
			    "socket on 127.0.0.1");
		else if (unix_sock)
			*why = xasprintf("Postfix's smtpd runs chrooted in %s "
			    "(%s), where %s cannot be reached: a TCP socket on "
			    "127.0.0.1 both sides agree on", o->qdir,
			    o->chroot_src != NULL ? o->chroot_src : "master.cf",
			    ss.path);
		else
			*why = xstrdup("OpenDKIM has no socket it can listen "
			    "on: a TCP socket on 127.0.0.1 both sides agree "
			    "on");
	}
	if (ok)
		sockspec_free(&ss);
	if (*why == NULL && cur != NULL && strcmp(want, cur) != 0)
		*why = xstrdup("the socket both sides agree on");
	return want;
}

/* /etc/default/opendkim's SOCKET agrees with the socket. */
static void
odp_default_file(struct odp *o, const char *sock)
{
	const struct site_fact *f = site_fact(o->site, "opendkim",
	    "default SOCKET");
	struct plan_file *df;
	char *cause = NULL;

	if (f == NULL || f->loc.file == NULL || strcmp(f->value, sock) == 0)
		return;
	df = plan_file(o->pc, &backend_opendkim, CONF_SHELLVARS, f->loc.file,
	    0644, &cause);
	if (df == NULL) {
		plan_note(o->pc->plan, "%s: %s", f->loc.file, cause);
		free(cause);
		return;
	}
	plan_set(df, "SOCKET", sock, "kept in agreement with Socket in %s "
	    "(the init script, and opendkim.service.generate, pass it as -p); "
	    "replaces %s", o->conf->path, f->value);
}

/* Postfix's user in the socket's group, the socket's directory. */
static void
odp_unix_steps(struct odp *o, const struct sockspec *ss)
{
	const char *uid = plan_fact(o->site, "opendkim", "UserID", 0);
	struct stat sb;
	const char *pf = plan_fact(o->site, "postfix", "mail_owner", 0);
	char *user, *group, *dir, *slash;
	const char *c;

	user = xstrdup(uid != NULL ? uid : "opendkim");
	user[strcspn(user, ":")] = '\0';
	c = uid != NULL ? strchr(uid, ':') : NULL;
	group = xstrdup(c != NULL ? c + 1 : user);
	if (pf == NULL)
		pf = "postfix";
	if (o->w != NULL) {
		free(o->w->socket_group);
		o->w->socket_group = xstrdup(group);
	}
	if (plan_user_in_group(o->site, pf, group) != 1) {
		struct strv argv;

		strv_init(&argv);
		backend_group_add_argv(o->pc->bctx, pf, group, &argv);
		plan_step(o->pc->plan, &backend_postfix,
		    (const char *const *)argv.v, "Postfix (user %s) connects "
		    "to the socket as a member of group %s (UMask 007: the "
		    "group may write); Postfix is restarted to take the group",
		    pf, group);
		strv_free(&argv);
		plan_reload(o->pc, &backend_postfix, 1);
	}
	dir = xstrdup(ss->path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	if (fsroot_stat(o->site->root, dir, &sb) != 0) {
		const char *argv[] = { "install", "-d", "-o", user, "-g", group,
		    "-m", "0750", dir, NULL };
		plan_step(o->pc->plan, &backend_opendkim, argv, "the socket's "
		    "directory, %s's own, searchable by group %s", user, group);
	} else if ((sb.st_mode & 0010) == 0) {
		const char *argv[] = { "chmod", "g+x", dir, NULL };
		plan_step(o->pc->plan, &backend_opendkim, argv, "Postfix reaches "
		    "the socket through its group: the directory (mode %04o) "
		    "must be searchable by the group", (unsigned)(sb.st_mode &
		    07777));
	}
	free(dir);
	free(user);
	free(group);
}

/* UMask lets the socket's group write to it; OpenDKIM makes its socket
 * at start only, so a new umask needs a restart. */
static void
odp_umask(struct odp *o)
{
	const char *um = odp_get(o, "UMask");
	unsigned long mask = um != NULL ? strtoul(um, NULL, 8) : 022;

	if (um != NULL && (mask & 060) == 0)
		return;
	if (plan_set(o->conf, "UMask", "007", "the socket is made under this "
	    "umask: 007 lets its group (Postfix) write to it%s%s",
	    um != NULL ? "; replaces " : "", um != NULL ? um : "") == 0)
		plan_reload(o->pc, &backend_opendkim, 1);
}

/* The socket, its umask and the Debian defaults file; the hand-over. */
static void
odp_socket(struct odp *o)
{
	const char *cur = plan_fact(o->site, "opendkim", "socket", 0);
	const struct site_fact *sf = site_fact(o->site, "opendkim", "socket");
	const char *conf_sock = odp_get(o, "Socket");
	char *want, *why, *cause = NULL;
	struct sockspec ss;

	want = odp_wanted_socket(o, cur, &why);
	if (conf_sock == NULL || strcmp(conf_sock, want) != 0)
		plan_set(o->conf, "Socket", want, "%s%s%s", why != NULL ? why :
		    "the socket Postfix dials", cur != NULL &&
		    strcmp(cur, want) != 0 ? "; replaces " : "",
		    cur != NULL && strcmp(cur, want) != 0 ? cur : "");
	if (sf != NULL && sf->loc.file != NULL &&
	    str_startswith(sf->loc.file, "/etc/systemd/") &&
	    strcmp(sf->value, want) != 0)
		plan_note(o->pc->plan, "%s passes -p %s to opendkim, which wins "
		    "over Socket: change it there to %s (or remove it)",
		    sf->source != NULL ? sf->source : sf->loc.file, sf->value,
		    want);
	odp_default_file(o, want);
	if (cur == NULL || strcmp(cur, want) != 0)
		plan_reload(o->pc, &backend_opendkim, 1);
	if (sockspec_parse(SOCKSPEC_MILTER, want, &ss, &cause) != 0) {
		plan_note(o->pc->plan, "opendkim: %s", cause);
		free(cause);
		free(want);
		free(why);
		return;
	}
	if (ss.transport == SOCKSPEC_UNIX || ss.transport == SOCKSPEC_LOCAL) {
		odp_umask(o);
		odp_unix_steps(o, &ss);
	}
	o->w->hook = PLAN_HOOK_MILTER;
	free(o->w->milter);
	o->w->milter = odp_client(o, &ss);
	sockspec_free(&o->w->listener);
	o->w->listener = ss;
	free(want);
	free(why);
}

/* ---- InternalHosts ---- */

/* An address or network "addr[/len]" (Postfix brackets allowed). */
struct odp_net {
	int		family;
	unsigned char	a[16];
	unsigned	len;
};

static int
odp_net_parse(const char *s, struct odp_net *n)
{
	char *t = xstrdup(s), *slash, *p = t, *end;
	unsigned max;
	int rc = -1;

	if (*p == '[') {
		p++;
		if ((end = strchr(p, ']')) != NULL)
			memmove(end, end + 1, strlen(end + 1) + 1);
	}
	if ((slash = strchr(p, '/')) != NULL)
		*slash++ = '\0';
	memset(n, 0, sizeof *n);
	if (inet_pton(AF_INET, p, n->a) == 1)
		n->family = AF_INET;
	else if (inet_pton(AF_INET6, p, n->a) == 1)
		n->family = AF_INET6;
	else
		goto done;
	max = n->family == AF_INET ? 32 : 128;
	n->len = max;
	if (slash != NULL) {
		n->len = (unsigned)strtoul(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || n->len > max)
			goto done;
	}
	rc = 0;
done:
	free(t);
	return rc;
}

/* Does network outer hold all of inner? */
static int
odp_net_covers(const struct odp_net *outer, const struct odp_net *inner)
{
	unsigned i, bits;

	if (outer->family != inner->family || outer->len > inner->len)
		return 0;
	for (i = 0; i < outer->len; i += 8) {
		bits = outer->len - i >= 8 ? 8 : outer->len - i;
		if (((outer->a[i / 8] ^ inner->a[i / 8]) &
		    (0xff << (8 - bits)) & 0xff) != 0)
			return 0;
	}
	return 1;
}

/* Is entry covered by one of the list's entries? */
static int
odp_covered(const struct strv *list, const char *entry)
{
	struct odp_net a, b;
	size_t i;

	if (odp_net_parse(entry, &a) != 0)
		return strv_find(list, entry) != -1;
	for (i = 0; i < list->n; i++)
		if (list->v[i][0] != '!' && odp_net_parse(list->v[i], &b) == 0 &&
		    odp_net_covers(&b, &a))
			return 1;
	return 0;
}

/* A Postfix network as OpenDKIM writes it ("[::1]/128" -> "::1/128"), or
 * NULL for what is no literal network (a map, a file). */
static char *
odp_peer(const char *pf)
{
	struct odp_net n;
	char *t, *p;

	if (odp_net_parse(pf, &n) != 0)
		return NULL;
	t = xstrdup(pf);
	if ((p = strchr(t, '[')) != NULL)
		memmove(p, p + 1, strlen(p + 1) + 1);
	if ((p = strchr(t, ']')) != NULL)
		memmove(p, p + 1, strlen(p + 1) + 1);
	return t;
}

/* The entries InternalHosts needs that it lacks: mynetworks, 127.0.0.1
 * and ::1, none covered by another. */
static void
odp_hosts_missing(struct odp *o, const struct strv *have, struct strv *add,
    struct strv *skipped)
{
	const char *mn = plan_fact(o->site, "postfix", "mynetworks", 0);
	struct strv words, all;
	char *peer;
	size_t i;

	strv_init(&words);
	strv_init(&all);
	if (mn != NULL)
		str_split(mn, " \t,", &words);
	for (i = 0; i < have->n; i++)
		strv_add(&all, have->v[i]);
	for (i = 0; i < words.n; i++) {
		if ((peer = odp_peer(words.v[i])) == NULL) {
			strv_add(skipped, words.v[i]);
			continue;
		}
		if (!odp_covered(&all, peer)) {
			strv_add(add, peer);
			strv_add(&all, peer);
		}
		free(peer);
	}
	if (!odp_covered(&all, "127.0.0.1")) {
		strv_add(add, "127.0.0.1");
		strv_add(&all, "127.0.0.1");
	}
	if (!odp_covered(&all, "::1"))
		strv_add(add, "::1");
	strv_free(&words);
	strv_free(&all);
}

static void
odp_hosts(struct odp *o)
{
	const char *v = odp_get(o, "InternalHosts");
	const struct site_fact *mf = site_fact(o->site, "postfix",
	    "mynetworks");
	struct strv have, add, skipped;
	struct plan_file *pl;
	struct buf b;
	const char *src;
	char *path, *cause = NULL, *why;
	size_t i;
	int refile;

	strv_init(&have);
	strv_init(&add);
	strv_init(&skipped);
	if (v != NULL && odp_foreign_set(v) && !str_casestartswith(v, "csl:")) {
		plan_note(o->pc->plan, "%s: InternalHosts is a database: make "
		    "sure it holds 127.0.0.1, ::1 and Postfix's mynetworks",
		    o->conf->path);
		goto done;
	}
	if (v != NULL) {
		const struct site_fact *f = site_fact(o->site, "opendkim",
		    "InternalHosts");
		str_split(f != NULL ? f->value : v, ", \t", &have);
	}
	odp_hosts_missing(o, &have, &add, &skipped);
	if (skipped.n > 0)
		plan_note(o->pc->plan, "Postfix's mynetworks has entries that "
		    "are no address (%s...): add what they stand for to "
		    "OpenDKIM's InternalHosts yourself", skipped.v[0]);
	if (add.n == 0)
		goto done;
	src = mf != NULL && mf->source != NULL &&
	    strcmp(mf->source, "default") != 0 ? mf->source : NULL;
	why = xasprintf("OpenDKIM signs only the mail of InternalHosts (by "
	    "default 127.0.0.1 alone); Postfix's mynetworks%s%s%s and ::1 "
	    "submit mail too, which would be verified instead of signed",
	    src != NULL ? " (" : "", src != NULL ? src : "",
	    src != NULL ? ")" : "");
	if (v != NULL && (v[0] == '/' || str_casestartswith(v, "file:") ||
	    str_casestartswith(v, "refile:"))) {
		path = odp_set_path(v, &refile);
		pl = plan_file(o->pc, &backend_opendkim, CONF_PEERLIST, path,
		    0644, &cause);
		if (pl == NULL) {
			plan_note(o->pc->plan, "%s", cause);
			free(cause);
		}
		for (i = 0; pl != NULL && i < add.n; i++)
			plan_append(pl, add.v[i], NULL, "%s", why);
		free(path);
	} else {
		buf_init(&b);
		if (v != NULL)
			buf_adds(&b, v);
		for (i = 0; i < add.n; i++)
			buf_printf(&b, "%s%s", b.len > 0 ? ", " : "", add.v[i]);
		plan_set(o->conf, "InternalHosts", b.data, "%s", why);
		buf_free(&b);
	}
	free(why);
done:
	strv_free(&have);
	strv_free(&add);
	strv_free(&skipped);
}

/* ---- The rest of opendkim.conf ---- */

static void
odp_canon(struct odp *o)
{
	const char *v = odp_get(o, "Canonicalization"), *slash;
	char *want;

	if (v == NULL) {
		plan_set(o->conf, "Canonicalization", "relaxed/simple",
		    "relaxed header canonicalization survives relays that "
		    "rewrap or recase headers (the default simple/simple "
		    "breaks on them)");
		return;
	}
	if (!str_casestartswith(v, "simple"))
		return;
	slash = strchr(v, '/');
	want = xasprintf("relaxed/%s", slash != NULL ? slash + 1 : "simple");
	plan_set(o->conf, "Canonicalization", want, "relaxed header "
	    "canonicalization survives relays that rewrap or recase headers; "
	    "replaces %s", v);
	free(want);
}

static void
odp_mode(struct odp *o)
{
	const char *v = odp_get(o, "Mode");

	if (v != NULL && strchr(v, 's') == NULL)
		plan_set(o->conf, "Mode", "sv", "OpenDKIM must sign (s) as well "
		    "as verify; replaces %s", v);
}

/* opendkim -n on the planned files (it reads paths outside them: not
 * under --root). */
static void
odp_check(struct plan_ctx *pc, const struct site_program *prog)
{
	struct strv argv;

	strv_init(&argv);
	backend_validate_argv(&backend_opendkim, pc->bctx, prog, &argv);
	if (argv.n > 0)
		plan_check(pc->plan, &backend_opendkim,
		    (const char *const *)argv.v, argv.n - 1, 0, 1);
	strv_free(&argv);
}

/* Could OpenDKIM serve the MTA: installed, and the MTA speaks milter? */
static int
odp_probe(struct plan_ctx *pc)
{
	return site_program(pc->site, backend_opendkim.name) != NULL &&
	    pc->want->mta == &backend_postfix ? 0 : -1;
}

int
opendkim_plan(struct plan_ctx *pc)
{
	const struct site_program *prog;
	struct odp o;
	char *cause = NULL;

	if (pc->probe)
		return odp_probe(pc);
	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.site = pc->site;
	o.w = pc->want;
	prog = site_program(pc->site, backend_opendkim.name);
	if (pc->want->mta != &backend_postfix) {
		plan_none(pc->plan, "%s + opendkim: OpenDKIM is a milter, and "
		    "only Postfix hands mail to milters; use filter-dkimsign or "
		    "dkimproxy", pc->want->mta->name);
		return -1;
	}
	if (prog == NULL || prog->config == NULL) {
		plan_none(pc->plan, "opendkim: not installed here (no "
		    "opendkim.conf): install it (apt install opendkim), then "
		    "plan again");
		return -1;
	}
	o.conf = plan_file(pc, &backend_opendkim, CONF_OPENDKIM, prog->config,
	    0644, &cause);
	if (o.conf == NULL) {
		plan_none(pc->plan, "opendkim: %s; fix it first", cause);
		free(cause);
		return -1;
	}
	odp_postfix_facts(&o);
	if (odp_refused(&o) != 0 || plan_need_domains(pc) != 0 ||
	    odp_keys(&o) != 0)
		return -1;
	odp_mode(&o);
	odp_socket(&o);
	odp_hosts(&o);
	odp_canon(&o);
	odp_check(pc, prog);
	return 0;
}

/* ---- keys switch ---- */

/* The selector of a KeyTable entry ("domain:selector:path"), or NULL;
 * caller frees. */
static char *
odp_key_selector(const struct conf_entry *e)
{
	const char *v = e->argc > 1 ? e->argv[1] : "";
	const char *a = strchr(v, ':'), *b;

	if (a == NULL || (b = strchr(a + 1, ':')) == NULL)
		return NULL;
	return xstrndup(a + 1, (size_t)(b - a - 1));
}

/* The name of the KeyTable entry of domain's key with selector sel, or
 * NULL; caller frees. */
static char *
odp_key_named(const struct plan_file *kt, const char *domain, const char *sel)
{
	const struct conf_entry *e;
	char *d, *s;
	size_t i;
	int hit;

	for (i = 0; i < kt->doc->nentries; i++) {
		e = &kt->doc->entries[i];
		if (e->key == NULL || *e->key == '\0')
			continue;
		d = odp_key_domain(e);
		s = odp_key_selector(e);
		hit = d != NULL && s != NULL && strcasecmp(d, domain) == 0 &&
		    strcasecmp(s, sel) == 0;	/* DNS labels */
		free(d);
		free(s);
		if (hit)
			return xstrdup(e->key);
	}
	return NULL;
}

/* Does a SigningTable line name key `name`? */
static int
odp_names_key(const struct plan_file *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->doc->nentries; i++)
		if (st->doc->entries[i].argc > 1 &&
		    strcasecmp(st->doc->entries[i].argv[1], name) == 0)
			return 1;
	return 0;
}

/* The replaced key old: the SigningTable lines that give domain's mail
 * to it name the new key instead; its KeyTable line goes once no line
 * names it.  The number of SigningTable lines changed. */
static size_t
odp_switch_replace(struct odp *o, struct plan_file *kt, struct plan_file *st,
    int refile, const struct backend_key_switch *sw, const char *old,
    const char *name)
{
	const struct conf_entry *e;
	size_t i, n = 0;

	for (i = 0; i < st->doc->nentries; i++) {
		e = &st->doc->entries[i];
		if (e->argc < 2 || strcasecmp(e->argv[1], old) != 0 ||
		    !odp_catches(e->key, sw->domain, refile))
			continue;
		if (plan_set_entry(st, e, name, "%s's mail is signed with the "
		    "new key %s; replaces %s", sw->domain, name, old) == 0)
			n++;
	}
	if (!odp_names_key(st, old) && (e = odp_key_entry(kt, old)) != NULL)
		plan_delete(kt, e, "the key %s is replaced by %s and no "
		    "SigningTable line names it any more", old, name);
	(void)o;
	return n;
}

/* No KeyTable: Selector and KeyFile name the new key. */
static int
odp_switch_single(struct odp *o, const struct backend_key_switch *sw)
{
	const char *dom = odp_get(o, "Domain");

	plan_set(o->conf, "Selector", sw->selector, "OpenDKIM signs with the "
	    "new key's selector %s", sw->selector);
	plan_set(o->conf, "KeyFile", sw->path, "the new key of %s (selector "
	    "%s)", sw->domain, sw->selector);
	if (dom != NULL && strcasecmp(dom, sw->domain) != 0)
		plan_note(o->pc->plan, "opendkim: Selector and KeyFile sign "
		    "every domain of Domain (%s) with this key: publish its "
		    "record under each, or let notspam apply make a KeyTable",
		    dom);
	return 0;
}

/* The KeyTable and SigningTable of a switch. */
static int
odp_switch_tables(struct odp *o, const struct backend_key_switch *sw)
{
	const char *kt_v = odp_get(o, "KeyTable"), *st_v;
	const struct conf_entry *e;
	struct plan_file *kt, *st;
	struct plan_domain d;
	char *ktp, *stp, *name, *spec, *old, *cause = NULL;
	size_t i, moved = 0;
	int refile = 0, dummy, rc = -1;

	if ((st_v = odp_get(o, "SigningTable")) == NULL) {
		plan_none(o->pc->plan, "opendkim: a KeyTable and no "
		    "SigningTable: notspam apply plans the tables; switch after");
		return -1;
	}
	ktp = odp_set_path(kt_v, &dummy);
	stp = odp_set_path(st_v, &refile);
	kt = plan_file(o->pc, &backend_opendkim, CONF_TABLE, ktp, 0644, &cause);
	st = kt == NULL ? NULL : plan_file(o->pc, &backend_opendkim,
	    CONF_TABLE, stp, 0644, &cause);
	if (kt == NULL || st == NULL) {
		plan_none(o->pc->plan, "opendkim: %s; fix the table first",
		    cause);
		free(cause);
		goto out;
	}
	name = xasprintf("%s._domainkey.%s", sw->selector, sw->domain);
	spec = xasprintf("%s:%s:%s", sw->domain, sw->selector, sw->path);
	if ((e = odp_key_entry(kt, name)) == NULL)
		plan_append(kt, name, spec, "the new key of %s: d=%s, selector "
		    "%s, key file %s", sw->domain, sw->domain, sw->selector,
		    sw->path);
	else if (e->argc < 2 || strcmp(e->argv[1], spec) != 0)
		plan_set_entry(kt, e, spec, "the new key of %s: d=%s, selector "
		    "%s, key file %s; replaces %s", sw->domain, sw->domain,
		    sw->selector, sw->path, e->argc > 1 ? e->argv[1] : "");
	for (i = 0; i < sw->nreplaced; i++) {
		old = odp_key_named(kt, sw->domain, sw->replaced[i].selector);
		if (old != NULL && strcasecmp(old, name) != 0)
			moved += odp_switch_replace(o, kt, st, refile, sw, old,
			    name);
		free(old);
	}
	if (moved == 0 && !odp_names_key(st, name)) {
		memset(&d, 0, sizeof d);
		d.name = (char *)sw->domain;
		odp_signing_line(o, kt, st, refile, &d, name);
	}
	free(name);
	free(spec);
	rc = 0;
out:
	free(ktp);
	free(stp);
	return rc;
}

int
opendkim_switch_plan(struct plan_ctx *pc, const struct backend_key_switch *sw)
{
	const struct site_program *prog;
	struct odp o;
	char *cause = NULL;
	int rc;

	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.site = pc->site;
	prog = site_program(pc->site, backend_opendkim.name);
	if (prog == NULL || prog->config == NULL) {
		plan_none(pc->plan, "opendkim: not installed here (no "
		    "opendkim.conf)");
		return -1;
	}
	if ((o.conf = plan_file(pc, &backend_opendkim, CONF_OPENDKIM,
	    prog->config, 0644, &cause)) == NULL) {
		plan_none(pc->plan, "opendkim: %s; fix it first", cause);
		free(cause);
		return -1;
	}
	if (odp_refused(&o) != 0)
		return -1;
	if (odp_get(&o, "KeyTable") != NULL)
		rc = odp_switch_tables(&o, sw);
	else if (odp_get(&o, "KeyFile") != NULL)
		rc = odp_switch_single(&o, sw);
	else {
		plan_none(pc->plan, "opendkim: neither a KeyTable nor a KeyFile "
		    "(%s): notspam apply plans the key setup", prog->config);
		return -1;
	}
	if (rc != 0)
		return -1;
	odp_check(pc, prog);
	return 0;
}

/* ---- doctor --fix milter-permission ---- */

int
opendkim_socket_fix(struct plan_ctx *pc, const struct backend *mta,
    const char *path)
{
	const struct site_program *prog;
	struct sockspec ss;
	struct odp o;
	char *cause = NULL;

	if (mta != &backend_postfix) {
		plan_none(pc->plan, "%s + opendkim: OpenDKIM is a milter, and "
		    "only Postfix hands mail to milters", mta->name);
		return -1;
	}
	prog = site_program(pc->site, backend_opendkim.name);
	if (prog == NULL || prog->config == NULL) {
		plan_none(pc->plan, "opendkim: not installed here (no "
		    "opendkim.conf)");
		return -1;
	}
	if (sockspec_parse(SOCKSPEC_MILTER, path, &ss, &cause) != 0 ||
	    ss.family != AF_UNIX) {
		plan_none(pc->plan, "opendkim: %s is not a socket file%s%s",
		    path, cause != NULL ? ": " : "",
		    cause != NULL ? cause : "");
		free(cause);
		sockspec_free(&ss);
		return -1;
	}
	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.site = pc->site;
	if ((o.conf = plan_file(pc, &backend_opendkim, CONF_OPENDKIM,
	    prog->config, 0644, &cause)) == NULL) {
		plan_none(pc->plan, "opendkim: %s; fix it first", cause);
		free(cause);
		sockspec_free(&ss);
		return -1;
	}
	odp_umask(&o);
	/* The socket is made again (under the umask) only at start; the
	 * signer first, then the MTA that takes the group. */
	plan_reload(pc, &backend_opendkim, 1);
	odp_unix_steps(&o, &ss);
	sockspec_free(&ss);
	odp_check(pc, prog);
	return 0;
}
