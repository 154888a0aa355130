/* opensmtpd.c: the OpenSMTPD backend (smtpd.conf, 6.4+ grammar, read side).
 *
 * Hosted domains are the "for domain" of matches whose action delivers
 * locally (mbox, maildir, lmtp, mda, forward-only, expand-only); relayed
 * mail is not hosted.  A relay action to a loopback host is the hand-off to
 * a signing proxy (dkimproxy), a tagged listen on a loopback interface the
 * way back.  filter-dkimsign filters give keys directly.
 *
 * 'include "FILE"' is read as smtpd's parser reads it: the file's
 * statements in place of the line (recursively, loops and depth bounded).
 * Each included file is parsed as a document of its own, so a macro it
 * uses must be defined in that file (smtpd shares macros across includes:
 * a file that needs the includer's macros is reported as not parsing).
 *
 * Relative paths (an include, a table file, filter-dkimsign's -k and -D)
 * are opened from smtpd's working directory: "/" (rc.d and systemd start
 * it there, smtpd parses its config before daemon(3), which chdir()s to
 * "/", and filters are started after that).  They are taken from "/"
 * inside the root, and reported.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

#define SM_STEPS_MAX	10000	/* filter lookups per load (chains) */
#define SM_CWD		"/"	/* smtpd's working directory (see above) */

static const char *const sm_configs[] = {
	"/etc/mail/smtpd.conf", "/etc/smtpd.conf",
	"/usr/local/etc/mail/smtpd.conf", NULL
};
static const char *const sm_binaries[] = {
	"/usr/sbin/smtpd", "/usr/local/sbin/smtpd", NULL
};
/* Actions that deliver here rather than relay. */
static const char *const sm_local_methods[] = {
	"mbox", "maildir", "lmtp", "mda", "forward-only", "expand-only", NULL
};

struct sm_table {
	char		*name;
	char		*where;
	int		 listable;
	char		*why;		/* why not listable */
	struct strv	 keys;
	struct bk_wheres wheres;
	char		*value;		/* first value of an inline
					 * { k = v } table, or NULL */
	struct site_loc	 vloc;
	char		*path;		/* a file table's file, read */
};

struct sm_action {
	char		*name;
	char		*where;
	int		 local;
	char		*signer;	/* loopback relay address, or NULL */
};

struct sm_filter {
	char		*name;
	char		*where;
	struct site_loc	 loc;
	char		*command;	/* proc-exec/proc command, or NULL */
	struct strv	 chain;		/* chain members */
	int		 dkimsign;
	int		 rspamd;	/* filter-rspamd: signs, unread */
	int		 used;
};

struct sm_proc {
	char		*name;
	char		*command;
};

/* A match statement, as far as the checks need it. */
struct sm_match {
	size_t		 index;		/* entry index, for order */
	char		*where;
	struct site_loc	 loc;
	const char	*action;	/* NULL for reject */
	const char	*domain;	/* "for domain X" or NULL */
	const char	*tag;		/* positive "tag T" or NULL */
	const char	*nottag;	/* "!tag T" or NULL */
	int		 auth;		/* "auth" or "from auth" */
};

struct sm {
	const struct backend_ctx *ctx;
	struct site		*site;
	const struct conf_doc	*doc;
	const struct conf_doc	*cur;		/* the entry's document */
	struct sm_table		*tables;
	size_t			 ntables;
	struct sm_action	*actions;
	size_t			 nactions;
	struct sm_filter	*filters;
	size_t			 nfilters;
	struct sm_proc		*procs;
	size_t			 nprocs;
	struct sm_match		*matches;
	size_t			 nmatches;
	size_t			 steps;		/* filter chain lookups */
	struct strv		 tags;		/* loopback listen tags */
	struct strv		 tagwheres;
};

static int
sm_detect(const struct backend_ctx *ctx, struct site_program *prog)
{
	const char *over = NULL;
	char *config, *binary, *version;

	over = bk_setting_config(ctx, &backend_opensmtpd);
	if ((config = bk_config_path(ctx->root, over, sm_configs)) == NULL)
		return 0;
	if (!fsroot_exists(ctx->root, config)) {
		free(config);
		return 0;
	}
	/* smtpd has no version flag; OpenBSD's is part of the base system. */
	binary = bk_first_existing(ctx->root, sm_binaries);
	version = bk_package_version(ctx->root, "opensmtpd", "opensmtpd");
	bk_fill_program(prog, &backend_opensmtpd, binary, version, config);
	free(binary);
	free(version);
	free(config);
	return 1;
}

static struct sm_table *
sm_table(struct sm *sm, const char *name)
{
	size_t i;

	for (i = 0; i < sm->ntables; i++)
		if (strcmp(sm->tables[i].name, name) == 0)
			return &sm->tables[i];
	return NULL;
}

static struct sm_action *
sm_action(struct sm *sm, const char *name)
{
	size_t i;

	for (i = 0; i < sm->nactions; i++)
		if (strcmp(sm->actions[i].name, name) == 0)
			return &sm->actions[i];
	return NULL;
}

static struct sm_filter *
sm_filter(struct sm *sm, const char *name)
{
	size_t i;

	for (i = 0; i < sm->nfilters; i++)
		if (strcmp(sm->filters[i].name, name) == 0)
			return &sm->filters[i];
	return NULL;
}

/* An 'include "FILE"' statement's path. */
static const char *
sm_include_path(const struct conf_entry *e)
{
	if (e->is_macro || e->key == NULL || strcmp(e->key, "include") != 0)
		return NULL;
	return e->argc >= 2 ? e->argv[1] : "";
}

/* A path as smtpd and its filters open it (see the top); a relative one
 * is reported at where.  Caller frees. */
static char *
sm_path(struct sm *sm, const char *path, const char *where,
    const char *what)
{
	char *abs = bk_daemon_path(SM_CWD, path), *show;

	if (path[0] != '/') {
		show = bk_quote(path);
		site_warn(sm->site, "%s: %s %s is a relative path: it is opened "
		    "from smtpd's working directory %s, so it is %s; write the "
		    "absolute path", where, what, show, SM_CWD, abs);
		free(show);
	}
	return abs;
}

/* "table NAME { a, b = c }" or "table NAME [file:|db:]/path". */
static void
sm_parse_table(struct sm *sm, const struct conf_entry *e, const char *where)
{
	struct sm_table *t;
	struct site_loc loc = site_loc_entry(sm->cur, e);
	const char *src, *path;
	char *cause = NULL, *p;
	int i, start;

	if (e->argc < 3)
		return;
	sm->tables = xgrow(sm->tables, sm->ntables, sizeof *sm->tables);
	t = &sm->tables[sm->ntables++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(e->argv[1]);
	t->where = xstrdup(where);
	strv_init(&t->keys);
	bk_wheres_init(&t->wheres);
	src = e->argv[2];
	if (strcmp(src, "{") == 0) {
		t->listable = 1;
		start = 1;
		for (i = 3; i < e->argc && strcmp(e->argv[i], "}") != 0; i++) {
			if (strcmp(e->argv[i], ",") == 0) {
				start = 1;
				continue;
			}
			if (start && strcmp(e->argv[i], "=") != 0) {
				strv_add(&t->keys, e->argv[i]);
				bk_wheres_add(&t->wheres, where, &loc);
			} else if (!start && strcmp(e->argv[i - 1], "=") == 0 &&
			    t->value == NULL) {
				t->value = xstrdup(e->argv[i]);
				t->vloc = loc;
			}
			start = 0;
		}
		return;
	}
	path = src;
	if (str_startswith(src, "file:"))
		path = src + 5;
	else if (str_startswith(src, "db:"))
		path = src + 3;
	else if (*src != '/') {
		t->why = xasprintf("table %s is a %s", e->argv[1], src);
		return;
	}
	p = sm_path(sm, path, where, "table file");
	if (str_startswith(src, "db:") && strlen(p) > 3 &&
	    strcmp(p + strlen(p) - 3, ".db") == 0)
		p[strlen(p) - 3] = '\0';	/* makemap's source file */
	if (bk_read_list(sm->site, sm->ctx->root, CONF_TABLE, p, &t->keys,
	    &t->wheres, &cause) == 0) {
		t->listable = 1;
		t->path = p;
		return;
	}
	t->why = cause;
	strv_free(&t->keys);
	bk_wheres_free(&t->wheres);
	free(p);
}

/* The first value of a table (the name a helo-src table gives its first
 * source address): an inline table's (*where NULL), or the first "key
 * value" line of its file (read inside the root, already loaded by
 * sm_parse_table) with that line in *where and *loc.  NULL when it has
 * none. */
static const char *
sm_table_value(struct sm *sm, const struct sm_table *t, char **where,
    struct site_loc *loc)
{
	const struct conf_doc *doc;
	char *cause = NULL;
	size_t i;

	*where = NULL;
	if (t->value != NULL)
		return t->value;
	if (t->path == NULL || (doc = bk_conf_load(sm->site, sm->ctx->root,
	    CONF_TABLE, t->path, &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	for (i = 0; i < doc->nentries; i++) {
		const struct conf_entry *e = &doc->entries[i];
		if (e->key == NULL || e->value == NULL || *e->value == '\0')
			continue;
		*where = bk_where(doc, e, loc);
		return e->value;
	}
	return NULL;
}

/* The host:port of a relay URL such as smtp+tls://label@host:port. */
static char *
sm_relay_address(const char *url, int *loopback)
{
	const char *p = url, *s;
	char *addr, *host, *colon;

	if ((s = strstr(p, "://")) != NULL)
		p = s + 3;
	if ((s = strrchr(p, '@')) != NULL)
		p = s + 1;
	addr = xstrdup(p);
	host = xstrdup(addr);
	if (*host == '[') {
		if ((colon = strchr(host, ']')) != NULL)
			colon[1] = '\0';
	} else if ((colon = strchr(host, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL)
		*colon = '\0';
	*loopback = bk_is_loopback(host);
	free(host);
	return addr;
}

/* The HELO name of an outbound relay action: "helo NAME", or "helo-src
 * <table>" (the name given for the first source address of an inline
 * table).  A relay to a loopback signer is a hop, not the way out. */
static void
sm_relay_helo(struct sm *sm, const struct conf_entry *e, const char *where,
    const struct site_loc *loc)
{
	const struct sm_table *t;
	const char *name = NULL, *w;
	char *tname, *show, *twhere = NULL;
	struct site_loc tloc;
	int i;

	for (i = 3; i + 1 < e->argc && name == NULL; i++) {
		w = e->argv[i];
		if (strcmp(w, "helo") == 0)
			name = e->argv[i + 1];
		else if (strcmp(w, "helo-src") == 0 &&
		    e->argv[i + 1][0] == '<' && strlen(e->argv[i + 1]) > 2) {
			tname = xstrndup(e->argv[i + 1] + 1,
			    strlen(e->argv[i + 1]) - 2);
			t = sm_table(sm, tname);
			free(tname);
			if (t == NULL ||
			    (name = sm_table_value(sm, t, &twhere, &tloc)) ==
			    NULL)
				return;	/* unreadable: said at its table */
		}
	}
	if (name == NULL)
		return;
	if (twhere != NULL) {	/* the name is written in the table file */
		where = twhere;
		loc = &tloc;
	}
	if (!site_valid_domain(name, 0)) {
		show = bk_quote(name);
		site_fail(sm->site, "%s: relay helo \"%s\" is not a fully "
		    "qualified domain name: receivers reject such a HELO; give "
		    "the mail host name", where, show);
		free(show);
	} else
		site_set_helo(sm->site, name, where, loc);
	free(twhere);
}

/* "action NAME method ..." */
static void
sm_parse_action(struct sm *sm, const struct conf_entry *e, const char *where)
{
	struct sm_action *a;
	struct site_loc loc = site_loc_entry(sm->cur, e);
	struct buf b;
	char *name;
	int i, loop = 0;

	if (e->argc < 3)
		return;
	sm->actions = xgrow(sm->actions, sm->nactions, sizeof *sm->actions);
	a = &sm->actions[sm->nactions++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(e->argv[1]);
	a->where = xstrdup(where);
	for (i = 0; sm_local_methods[i] != NULL; i++)
		if (strcmp(e->argv[2], sm_local_methods[i]) == 0)
			a->local = 1;
	buf_init(&b);
	for (i = 2; i < e->argc; i++) {
		if (i > 2)
			buf_addc(&b, ' ');
		buf_adds(&b, e->argv[i]);
		if (strcmp(e->argv[2], "relay") == 0 &&
		    strcmp(e->argv[i], "host") == 0 && i + 1 < e->argc &&
		    a->signer == NULL) {
			char *addr = sm_relay_address(e->argv[i + 1], &loop);
			if (loop)
				a->signer = addr;
			else
				free(addr);
		}
	}
	name = xasprintf("action %s", a->name);
	bk_fact(sm->site, "opensmtpd", name, b.data, where, &loc);
	free(name);
	buf_free(&b);
	if (a->signer != NULL)
		bk_link(sm->site, "opensmtpd", "?", "relay", a->signer,
		    SOCKSPEC_HOSTPORT, NULL, where, &loc);
	else if (strcmp(e->argv[2], "relay") == 0)
		sm_relay_helo(sm, e, where, &loc);
}

/* Domains, key and selector of a filter-dkimsign command line. */
static void
sm_dkimsign(struct sm *sm, struct sm_filter *f)
{
	struct strv words, domains;
	struct bk_wheres dwheres;
	const char *sel = NULL, *key = NULL, *arg;
	char *d, *src, *cause = NULL, *show, *keyabs = NULL;
	size_t i;
	char opt;

	strv_init(&words);
	strv_init(&domains);
	bk_wheres_init(&dwheres);
	str_split(f->command, " \t", &words);
	for (i = 1; i < words.n; i++) {
		if (words.v[i][0] != '-' || words.v[i][1] == '\0')
			continue;
		opt = words.v[i][1];
		if (strchr("acDdhksx", opt) == NULL)
			continue;
		if (words.v[i][2] != '\0')
			arg = words.v[i] + 2;
		else if (i + 1 < words.n)
			arg = words.v[++i];
		else
			continue;
		if (opt == 'd') {
			strv_add(&domains, arg);
			bk_wheres_add(&dwheres, f->where, &f->loc);
		} else if (opt == 'D') {
			char *abs = sm_path(sm, arg, f->where,
			    "filter-dkimsign -D");
			if (bk_read_list(sm->site, sm->ctx->root,
			    CONF_PEERLIST, abs, &domains, &dwheres,
			    &cause) != 0) {
				show = bk_san(cause);
				site_warn(sm->site, "%s: filter-dkimsign -D: %s; "
				    "create the file or fix the path",
				    f->where, show);
				free(show);
				free(cause);
				cause = NULL;
			}
			free(abs);
		} else if (opt == 's')
			sel = arg;
		else if (opt == 'k') {
			free(keyabs);
			keyabs = sm_path(sm, arg, f->where,
			    "filter-dkimsign -k");
			key = keyabs;
		}
	}
	if (domains.n == 0)
		site_fail(sm->site, "%s: filter-dkimsign has no -d domain, so it "
		    "does not start; add -d <domain>", f->where);
	if (key == NULL)
		site_fail(sm->site, "%s: filter-dkimsign has no -k key file; add "
		    "-k /etc/mail/dkim/<domain>.key", f->where);
	for (i = 0; i < domains.n; i++) {
		if ((d = bk_domain(sm->site, domains.v[i], dwheres.text.v[i],
		    "filter-dkimsign domain")) == NULL)
			continue;
		if (key != NULL)
			bk_key(sm->site, sm->ctx->root, d, sel, key,
			    backend_dkimsign.name, f->where, &f->loc);
		src = xasprintf("filter-dkimsign (%s)", dwheres.text.v[i]);
		site_add_domain(sm->site, d, 0, src, &dwheres.loc[i]);
		free(src);
		free(d);
	}
	free(keyabs);
	strv_free(&words);
	strv_free(&domains);
	bk_wheres_free(&dwheres);
}

/* Is the command's program filter-dkimsign? */
static int
sm_is_dkimsign(const char *command)
{
	size_t n = strcspn(command, " \t");
	const char *base = command, *p;

	for (p = command; p < command + n; p++)
		if (*p == '/')
			base = p + 1;
	return (size_t)(command + n - base) == 15 &&
	    strncmp(base, "filter-dkimsign", 15) == 0;
}

/* Is a filter command filter-rspamd (any directory, any arguments)? */
static int
sm_is_rspamd(const char *command)
{
	size_t n = strcspn(command, " \t");
	const char *base = command, *p;

	for (p = command; p < command + n; p++)
		if (*p == '/')
			base = p + 1;
	return (size_t)(command + n - base) >= 13 &&
	    strncmp(base, "filter-rspamd", 13) == 0;
}

/* "filter NAME proc-exec CMD", "filter NAME proc P", "filter NAME chain {}" */
static void
sm_parse_filter(struct sm *sm, const struct conf_entry *e, const char *where)
{
	struct sm_filter *f;
	int i;

	if (e->argc < 4)
		return;
	sm->filters = xgrow(sm->filters, sm->nfilters, sizeof *sm->filters);
	f = &sm->filters[sm->nfilters++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(e->argv[1]);
	f->where = xstrdup(where);
	f->loc = site_loc_entry(sm->cur, e);
	strv_init(&f->chain);
	if (strcmp(e->argv[2], "proc-exec") == 0)
		f->command = xstrdup(e->argv[3]);
	else if (strcmp(e->argv[2], "proc") == 0) {
		for (i = 0; (size_t)i < sm->nprocs; i++)
			if (strcmp(sm->procs[i].name, e->argv[3]) == 0)
				f->command = xstrdup(sm->procs[i].command);
	} else if (strcmp(e->argv[2], "chain") == 0) {
		for (i = 3; i < e->argc; i++)
			if (strcmp(e->argv[i], "{") != 0 &&
			    strcmp(e->argv[i], "}") != 0 &&
			    strcmp(e->argv[i], ",") != 0)
				strv_add(&f->chain, e->argv[i]);
	}
	if (f->command != NULL && sm_is_rspamd(f->command))
		f->rspamd = 1;
	if (f->command != NULL && sm_is_dkimsign(f->command)) {
		f->dkimsign = 1;
		sm_dkimsign(sm, f);
	}
}

/* Link the filters a listen line uses (chains resolved, depth-bounded). */
static void
sm_use_filter(struct sm *sm, const char *name, const char *where,
    const struct site_loc *loc, int depth)
{
	struct sm_filter *f;
	char *what;
	size_t i;

	if (depth > 8 || ++sm->steps > SM_STEPS_MAX ||
	    (f = sm_filter(sm, name)) == NULL)
		return;
	f->used = 1;
	for (i = 0; i < f->chain.n; i++)
		sm_use_filter(sm, f->chain.v[i], where, loc, depth + 1);
	if (f->dkimsign)
		bk_link(sm->site, "opensmtpd", backend_dkimsign.name, "filter",
		    f->name, BK_NO_ENDPOINT, NULL, where, loc);
	else if (f->rspamd) {
		bk_link(sm->site, "opensmtpd", "rspamd", "filter", f->name,
		    BK_NO_ENDPOINT, NULL, where, loc);
		what = xasprintf("the filter %s (filter-rspamd, %s)", f->name,
		    f->where);
		bk_unread_signer(sm->site, "rspamd", what, where);
		free(what);
	}
	else if (f->command != NULL)
		bk_link(sm->site, "opensmtpd", "?", "filter", f->name,
		    BK_NO_ENDPOINT, NULL, where, loc);
}

/* Add a listen fact "listen N what". */
static void
sm_listen_fact(struct sm *sm, size_t n, const char *what, const char *value,
    const char *where, const struct site_loc *loc)
{
	char *name = xasprintf("listen %zu %s", n, what);

	bk_fact(sm->site, "opensmtpd", name, value, where, loc);
	free(name);
}

/* "listen on IF [options]": facts, hostname, filters, the way back. */
static void
sm_parse_listen(struct sm *sm, const struct conf_entry *e, const char *where,
    size_t n)
{
	const char *ifname = NULL, *port = NULL, *tag = NULL, *hostname = NULL;
	const char *tls = NULL, *auth = NULL, *pki = NULL;
	struct site_loc loc = site_loc_entry(sm->cur, e);
	struct buf filters;
	char *name, *addr, *endpoint;
	int i;

	name = xasprintf("listen %zu", n);
	bk_fact(sm->site, "opensmtpd", name, e->value, where, &loc);
	free(name);
	buf_init(&filters);
	for (i = 1; i < e->argc; i++) {
		const char *w = e->argv[i], *next = i + 1 < e->argc ?
		    e->argv[i + 1] : NULL;
		if (strcmp(w, "on") == 0 && next != NULL && ifname == NULL)
			ifname = e->argv[++i];
		else if (strcmp(w, "port") == 0 && next != NULL)
			port = e->argv[++i];
		else if (strcmp(w, "tag") == 0 && next != NULL)
			tag = e->argv[++i];
		else if (strcmp(w, "hostname") == 0 && next != NULL)
			hostname = e->argv[++i];
		else if (strcmp(w, "pki") == 0 && next != NULL)
			pki = e->argv[++i];
		else if (strcmp(w, "tls") == 0 || strcmp(w, "smtps") == 0 ||
		    strcmp(w, "tls-require") == 0)
			tls = w;
		else if (strcmp(w, "auth") == 0 ||
		    strcmp(w, "auth-optional") == 0)
			auth = w;
		else if (strcmp(w, "filter") == 0 && next != NULL) {
			if (strcmp(next, "{") != 0) {
				sm_use_filter(sm, next, where, &loc, 0);
				buf_adds(&filters, next);
				i++;
				continue;
			}
			for (i += 2; i < e->argc &&
			    strcmp(e->argv[i], "}") != 0; i++) {
				if (strcmp(e->argv[i], ",") == 0)
					continue;
				sm_use_filter(sm, e->argv[i], where, &loc, 0);
				if (filters.len > 0)
					buf_addc(&filters, ' ');
				buf_adds(&filters, e->argv[i]);
			}
		}
	}
	if (port == NULL)
		port = tls != NULL && strcmp(tls, "smtps") == 0 ? "465" : "25";
	if (ifname != NULL)
		sm_listen_fact(sm, n, "interface", ifname, where, &loc);
	sm_listen_fact(sm, n, "port", port, where, &loc);
	if (tag != NULL)
		sm_listen_fact(sm, n, "tag", tag, where, &loc);
	if (filters.len > 0)
		sm_listen_fact(sm, n, "filter", filters.data, where, &loc);
	if (hostname != NULL)
		sm_listen_fact(sm, n, "hostname", hostname, where, &loc);
	if (tls != NULL)
		sm_listen_fact(sm, n, "tls", tls, where, &loc);
	if (auth != NULL)
		sm_listen_fact(sm, n, "auth", auth, where, &loc);
	if (pki != NULL)
		sm_listen_fact(sm, n, "pki", pki, where, &loc);
	buf_free(&filters);

	if (hostname != NULL && sm->site->hostname == NULL) {
		if (site_valid_domain(hostname, 0))
			site_set_hostname(sm->site, hostname, where, &loc);
		else {
			char *show = bk_quote(hostname);
			site_warn(sm->site, "%s: hostname \"%s\" is not a fully "
			    "qualified domain name; fix it", where, show);
			free(show);
		}
	}
	if (ifname != NULL && tag != NULL && bk_is_loopback(ifname)) {
		addr = xasprintf("%s:%s tag %s", ifname, port, tag);
		/* An interface (lo0) listens on each of its addresses:
		 * 127.0.0.1 and ::1, as a localhost client dials. */
		endpoint = xasprintf("%s:%s", strcasecmp(ifname, "lo") == 0 ||
		    strcasecmp(ifname, "lo0") == 0 ? "localhost" : ifname,
		    port);
		bk_link(sm->site, "?", "opensmtpd", "listen", addr,
		    SOCKSPEC_HOSTPORT, endpoint, where, &loc);
		free(endpoint);
		free(addr);
		strv_add(&sm->tags, tag);
		strv_add(&sm->tagwheres, where);
	}
}

/* "match [!]cond... action NAME | reject" */
static void
sm_parse_match(struct sm *sm, const struct conf_entry *e, const char *where,
    size_t index, size_t n)
{
	struct sm_match *m;
	struct site_loc m_loc;
	char *name;
	int i, neg = 0;

	name = xasprintf("match %zu", n);
	m_loc = site_loc_entry(sm->cur, e);
	bk_fact(sm->site, "opensmtpd", name, e->value, where, &m_loc);
	free(name);
	sm->matches = xgrow(sm->matches, sm->nmatches, sizeof *sm->matches);
	m = &sm->matches[sm->nmatches++];
	memset(m, 0, sizeof *m);
	m->index = index;
	m->where = xstrdup(where);
	m->loc = m_loc;
	for (i = 1; i < e->argc; i++) {
		const char *w = e->argv[i], *next = i + 1 < e->argc ?
		    e->argv[i + 1] : NULL;
		if (strcmp(w, "!") == 0) {
			neg = 1;
			continue;
		}
		if (strcmp(w, "action") == 0 && next != NULL)
			m->action = e->argv[++i];
		else if (strcmp(w, "tag") == 0 && next != NULL) {
			if (neg)
				m->nottag = next;
			else
				m->tag = next;
			i++;
		} else if (strcmp(w, "auth") == 0 && !neg)
			m->auth = 1;
		else if (strcmp(w, "from") == 0 && next != NULL && !neg &&
		    strcmp(next, "auth") == 0)
			m->auth = 1;
		else if (strcmp(w, "for") == 0 && next != NULL && !neg &&
		    strcmp(next, "domain") == 0 && i + 2 < e->argc &&
		    strcmp(e->argv[i + 2], "regex") != 0) {
			m->domain = e->argv[i + 2];
			i += 2;
		}
		neg = 0;
	}
}

/* Hosted domains: "for domain" of locally delivering matches. */
static void
sm_domains(struct sm *sm)
{
	struct sm_match *m;
	struct sm_action *a;
	struct sm_table *t;
	struct bk_rejects rj;
	char *d, *src, *show, *tname, *tshow;
	size_t i, j;

	for (i = 0; i < sm->nmatches; i++) {
		m = &sm->matches[i];
		if (m->action == NULL || m->domain == NULL)
			continue;
		if ((a = sm_action(sm, m->action)) == NULL || !a->local)
			continue;
		if (m->domain[0] != '<' || strlen(m->domain) < 3 ||
		    m->domain[strlen(m->domain) - 1] != '>') {
			if ((d = bk_domain(sm->site, m->domain, m->where,
			    "domain")) == NULL)
				continue;
			src = xasprintf("opensmtpd match (%s)", m->where);
			site_add_domain(sm->site, d, 1, src, &m->loc);
			free(src);
			free(d);
			continue;
		}
		tname = xstrndup(m->domain + 1, strlen(m->domain) - 2);
		if ((t = sm_table(sm, tname)) == NULL) {
			show = bk_quote(tname);
			site_fail(sm->site, "%s: table <%s> is not defined; "
			    "smtpd refuses the file: add a table line",
			    m->where, show);
			free(show);
		} else if (!t->listable) {
			show = bk_san(t->why);
			tshow = bk_san(t->name);
			site_warn(sm->site, "%s: the domains of table <%s> "
			    "cannot be listed (%s); list them in notspam.conf "
			    "`domains`", t->where, tshow, show);
			free(tshow);
			free(show);
		} else {
			memset(&rj, 0, sizeof rj);
			for (j = 0; j < t->keys.n; j++) {
				if ((d = bk_list_domain(sm->site, &rj,
				    t->keys.v[j], t->wheres.text.v[j],
				    "domain")) == NULL)
					continue;
				src = xasprintf("opensmtpd table %s (%s)",
				    t->name, t->wheres.text.v[j]);
				site_add_domain(sm->site, d, 1, src,
				    &t->wheres.loc[j]);
				free(src);
				free(d);
			}
			bk_rejects_report(sm->site, &rj, t->wheres.n > 0 ?
			    t->wheres.loc[0].file : t->where, "domain name");
		}
		free(tname);
	}
}

/* Mail coming back from a signer must not be sent to it again. */
static void
sm_check_loop(struct sm *sm)
{
	struct sm_match *m, *back;
	struct sm_action *a;
	char *s1, *s2;
	size_t i, j, k;

	for (k = 0; k < sm->tags.n; k++) {
		back = NULL;
		for (j = 0; j < sm->nmatches && back == NULL; j++)
			if (sm->matches[j].tag != NULL &&
			    strcmp(sm->matches[j].tag, sm->tags.v[k]) == 0)
				back = &sm->matches[j];
		for (i = 0; i < sm->nmatches; i++) {
			m = &sm->matches[i];
			if (back != NULL && back->index < m->index)
				break;
			if (m == back || m->action == NULL || m->auth ||
			    (m->tag != NULL && strcmp(m->tag, sm->tags.v[k])
			    != 0) || (m->nottag != NULL &&
			    strcmp(m->nottag, sm->tags.v[k]) == 0))
				continue;
			if ((a = sm_action(sm, m->action)) == NULL ||
			    a->signer == NULL)
				continue;
			s1 = bk_san(sm->tags.v[k]);
			s2 = bk_san(a->name);
			site_fail(sm->site, "%s: mail tagged %s, coming back "
			    "from the signer (%s), matches this line first and "
			    "goes to action %s again: a mail loop; put the "
			    "\"match tag %s ... action <relay>\" line before "
			    "it", m->where, s1, sm->tagwheres.v[k], s2, s1);
			free(s1);
			free(s2);
			break;
		}
	}
}

/* Without a listen hostname: /etc/mail/mailname or /etc/mailname. */
static void
sm_mailname(struct sm *sm)
{
	static const char *const files[] = { "/etc/mail/mailname",
	    "/etc/mailname", NULL };
	char *data;
	size_t len, i;

	for (i = 0; files[i] != NULL; i++) {
		if (fsroot_read(sm->ctx->root, files[i], 4096, &data, &len,
		    NULL) != 0)
			continue;
		data[strcspn(data, " \t\r\n#")] = '\0';
		if (site_valid_domain(data, 0)) {
			struct site_loc loc = site_loc_file(sm->site, files[i],
			    0);
			site_set_hostname(sm->site, data, files[i], &loc);
			free(data);
			return;
		}
		free(data);
	}
}

static void
sm_free(struct sm *sm)
{
	size_t i;

	for (i = 0; i < sm->ntables; i++) {
		free(sm->tables[i].name);
		free(sm->tables[i].where);
		free(sm->tables[i].why);
		free(sm->tables[i].value);
		free(sm->tables[i].path);
		strv_free(&sm->tables[i].keys);
		bk_wheres_free(&sm->tables[i].wheres);
	}
	free(sm->tables);
	for (i = 0; i < sm->nactions; i++) {
		free(sm->actions[i].name);
		free(sm->actions[i].where);
		free(sm->actions[i].signer);
	}
	free(sm->actions);
	for (i = 0; i < sm->nfilters; i++) {
		free(sm->filters[i].name);
		free(sm->filters[i].where);
		free(sm->filters[i].command);
		strv_free(&sm->filters[i].chain);
	}
	free(sm->filters);
	for (i = 0; i < sm->nprocs; i++) {
		free(sm->procs[i].name);
		free(sm->procs[i].command);
	}
	free(sm->procs);
	for (i = 0; i < sm->nmatches; i++)
		free(sm->matches[i].where);
	free(sm->matches);
	strv_free(&sm->tags);
	strv_free(&sm->tagwheres);
}

/* Macros named after a keyword: smtpd rejects their definition (the
 * keyword is no STRING to its grammar), so every $name after it is not
 * defined either; notspam reads on with the value, and says so. */
static void
sm_keyword_macros(struct site *site, const struct bk_ents *ents)
{
	const struct conf_entry *e;
	char *where, *name;
	size_t i;

	for (i = 0; i < ents->n; i++) {
		e = ents->v[i].e;
		if (!e->is_macro || e->key == NULL ||
		    !conf_smtpd_keyword(e->key))
			continue;
		where = conf_where(ents->v[i].doc, e);
		name = bk_san(e->key);
		site_warn(site, "%s: the macro %s is named after the smtpd.conf"
		    " keyword \"%s\": smtpd rejects this line (syntax error)"
		    " and then every $%s as not defined, so it refuses the"
		    " configuration (smtpd -n); rename the macro, e.g. my_%s,"
		    " here and where it is used", where, name, name, name,
		    name);
		free(name);
		free(where);
	}
}

static int
sm_load(const struct backend_ctx *ctx, const struct site_program *prog,
    struct site *site, char **cause)
{
	static const struct bk_include inc = {
		.grammar = CONF_SMTPD,
		.path_of = sm_include_path,
		.cwd = SM_CWD,
		.keyword = "include",
		.effect = "smtpd refuses the configuration",
	};
	struct sm sm;
	struct bk_ents ents;
	const struct conf_doc *old = NULL;
	const struct conf_entry *e;
	char *where;
	size_t i, nlisten = 0, nmatch = 0;

	memset(&sm, 0, sizeof sm);
	sm.ctx = ctx;
	sm.site = site;
	strv_init(&sm.tags);
	strv_init(&sm.tagwheres);
	if (prog->config == NULL)
		return error_set(cause, "opensmtpd: no smtpd.conf");
	if ((sm.doc = bk_conf_load(site, ctx->root, CONF_SMTPD, prog->config,
	    cause)) == NULL)
		return -1;
	if (sm.doc->old_grammar_line != 0) {
		error_set(cause, "%s:%zu: this smtpd.conf uses the grammar from "
		    "before OpenSMTPD 6.4 (accept ... deliver to), which "
		    "current smtpd rejects; rewrite it in the 6.4 grammar "
		    "(match ... action ...) - see smtpd.conf(5)",
		    prog->config, sm.doc->old_grammar_line);
		sm_free(&sm);
		return -1;
	}
	bk_conf_flatten(site, ctx->root, sm.doc, &inc, &ents);
	sm_keyword_macros(site, &ents);
	/* Definitions first: tables, procs, filters, actions. */
	for (i = 0; i < ents.n; i++) {
		e = ents.v[i].e;
		sm.cur = ents.v[i].doc;
		if (e->is_macro || e->argc < 2)
			continue;
		if (sm.cur != sm.doc && sm.cur->old_grammar_line != 0) {
			if (sm.cur != old)
				site_fail(site, "%s:%zu: this included file "
				    "uses the grammar from before OpenSMTPD 6.4, which "
				    "smtpd rejects; rewrite it (see "
				    "smtpd.conf(5))", sm.cur->path,
				    sm.cur->old_grammar_line);
			old = sm.cur;
			continue;
		}
		where = conf_where(sm.cur, e);
		if (strcmp(e->key, "table") == 0)
			sm_parse_table(&sm, e, where);
		else if (strcmp(e->key, "proc") == 0 && e->argc >= 3) {
			sm.procs = xgrow(sm.procs, sm.nprocs, sizeof *sm.procs);
			sm.procs[sm.nprocs].name = xstrdup(e->argv[1]);
			sm.procs[sm.nprocs++].command = xstrdup(e->argv[2]);
		} else if (strcmp(e->key, "filter") == 0)
			sm_parse_filter(&sm, e, where);
		else if (strcmp(e->key, "action") == 0)
			sm_parse_action(&sm, e, where);
		free(where);
	}
	for (i = 0; i < ents.n; i++) {
		e = ents.v[i].e;
		sm.cur = ents.v[i].doc;
		if (e->is_macro || (sm.cur != sm.doc &&
		    sm.cur->old_grammar_line != 0))
			continue;
		where = conf_where(sm.cur, e);
		if (strcmp(e->key, "listen") == 0)
			sm_parse_listen(&sm, e, where, ++nlisten);
		else if (strcmp(e->key, "match") == 0)
			sm_parse_match(&sm, e, where, i, ++nmatch);
		free(where);
	}
	for (i = 0; i < sm.nfilters; i++) {
		if (!sm.filters[i].dkimsign || sm.filters[i].used)
			continue;
		where = bk_san(sm.filters[i].name);
		site_fail(site, "%s: filter %s signs mail, but no listen line "
		    "uses it; add \"filter %s\" to the listen on socket and "
		    "listen on lo0 lines", sm.filters[i].where, where, where);
		free(where);
	}
	if (site->hostname == NULL)
		sm_mailname(&sm);
	sm_domains(&sm);
	sm_check_loop(&sm);
	sm_free(&sm);
	bk_ents_free(&ents);
	return 0;
}

/* The pid file smtpd writes. */
static char *
sm_pidfile(const struct site *site)
{
	(void)site;
	return xstrdup("/var/run/smtpd.pid");
}

/* smtpd -n -f FILE */
static void
sm_validate_argv(const struct backend_ctx *ctx,
    const struct site_program *prog, struct strv *argv)
{
	bk_check_argv(ctx, prog, sm_binaries, "-f", argv);
}

static const char *const sm_procnames[] = { "smtpd", NULL };

const struct backend backend_opensmtpd = {
	.name = "opensmtpd",
	.role = BACKEND_MTA,
	.conf_key = "smtpd_conf",
	.reload_key = "smtpd_reload",
	.detect = sm_detect,
	.load = sm_load,
	.unit = "opensmtpd",
	.initscript = "opensmtpd",
	.rcname = "smtpd",
	.procnames = sm_procnames,
	.proc_scan = 1,
	.restart_only = 1,	/* smtpd re-reads smtpd.conf only at start */
	.pidfile = sm_pidfile,
	.validate_argv = sm_validate_argv,
	.plan = opensmtpd_plan,
};

/* The filter-dkimsign command a "filter dkimsign proc-exec" line runs. */
static char *
ds_switch_text(const struct site *site, const struct backend *b,
    const struct backend_key_switch *sw)
{
	const struct site_program *prog = site_program(site,
	    backend_opensmtpd.name);
	struct buf out;
	char *reload;
	size_t i;

	buf_init(&out);
	buf_printf(&out, "In %s, the %s command of the \"dkimsign\" "
	    "filter:\n\t%s -d %s -s %s -k %s\n", prog != NULL &&
	    prog->config != NULL ? prog->config : sm_configs[0], b->name,
	    b->name, sw->domain, sw->selector, sw->path);
	for (i = 0; i < sw->nreplaced; i++)
		buf_printf(&out, "(replacing -s %s -k %s, %s)\n",
		    sw->replaced[i].selector, sw->replaced[i].path != NULL ?
		    sw->replaced[i].path : "?", sw->replaced[i].source != NULL ?
		    sw->replaced[i].source : "");
	/* The filter is smtpd's child: restarting smtpd restarts it. */
	reload = backend_reload_text(&backend_opensmtpd, site);
	buf_printf(&out, "Then: %s", reload);
	free(reload);
	return buf_steal(&out);
}

/*
 * filter-dkimsign, OpenBSD's signer, is a backend of its own with no
 * detection and no config file: OpenSMTPD's load finds it in smtpd.conf
 * (keys, domains, the filter link).  As a signer it answers what every
 * signer answers (user, key directory, switch text), so no caller needs
 * to know that it is not a daemon.
 */
const struct backend backend_dkimsign = {
	.name = "filter-dkimsign",
	.role = BACKEND_SIGNER,
	.user = "_dkimsign",
	.key_dir = "/etc/mail/dkim",
	.key_suffix = ".key",
	.switch_text = ds_switch_text,
	.switch_plan = dkimsign_switch_plan,
	.plan = dkimsign_plan,
};
