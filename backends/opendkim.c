/* opendkim.c: the OpenDKIM backend (opendkim.conf and its tables, read side).
 *
 * The effective socket: a "-p" in the service unit (a systemd override made
 * by Debian's opendkim.service.generate from /etc/default/opendkim, or any
 * unit that passes -p $SOCKET), or /etc/default/opendkim's SOCKET when the
 * host runs the SysV init script (no unit, /etc/init.d/opendkim present),
 * else opendkim.conf's Socket.  Debian 12's stock unit runs "opendkim -x
 * /etc/opendkim.conf" and ignores /etc/default/opendkim; a SOCKET there that
 * disagrees with the effective socket is reported.
 *
 * "Include FILE" lines are read as OpenDKIM reads them: the file's settings
 * in place of the line (recursively, loops and depth bounded), the last
 * definition of a setting winning over the whole sequence.
 *
 * Relative paths: OpenDKIM opens them from its working directory, which is
 * "/" however it is started (systemd's default WorkingDirectory, the init
 * script run by service(8) or rc, and it does not chdir elsewhere; the key
 * files and tables are read at start, before a ChangeRootDirectory chroot).
 * So a relative KeyFile, Include or table path is taken from "/", inside
 * the root, and reported.  A KeyTable's third field not starting with '/'
 * is the key data itself, not a path (OpenDKIM's own rule).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

static const char *const od_configs[] = {
	"/etc/opendkim.conf", "/etc/mail/opendkim.conf",
	"/usr/local/etc/mail/opendkim.conf", "/usr/local/etc/opendkim.conf",
	NULL
};
/* OpenDKIM's working directory (see the top). */
#define OD_CWD		"/"
/* The tables a new KeyTable setup uses. */
#define OD_KEYTABLE	"/etc/opendkim/key.table"
#define OD_SIGNINGTABLE	"/etc/opendkim/signing.table"

static const char *const od_binaries[] = {
	"/usr/sbin/opendkim", "/usr/local/sbin/opendkim", NULL
};
/* Service units, the most specific first. */
static const char *const od_units[] = {
	"/etc/systemd/system/opendkim.service.d/override.conf",
	"/etc/systemd/system/opendkim.service",
	"/lib/systemd/system/opendkim.service",
	"/usr/lib/systemd/system/opendkim.service",
	NULL
};

/* Settings shown as facts; those with a compiled-in default carry it. */
static const struct {
	const char	*name;
	const char	*def;
} od_facts[] = {
	{ "Socket", NULL },
	{ "Mode", "sv" },
	{ "UserID", NULL },
	{ "UMask", NULL },
	{ "PidFile", NULL },
	{ "InternalHosts", "127.0.0.1" },
	{ "ExternalIgnoreList", NULL },
	{ "Canonicalization", "simple/simple" },
	{ "MultipleSignatures", "no" },
	{ "KeyTable", NULL },
	{ "SigningTable", NULL },
	{ "Domain", NULL },
	{ "Selector", NULL },
	{ "KeyFile", NULL },
	{ "RequireSafeKeys", "yes" },
};

/* Kinds of OpenDKIM data set names. */
enum od_set {
	OD_LIST,	/* inline comma list (or csl:) */
	OD_FILE,	/* file:/path or /path */
	OD_REFILE,	/* refile:/path */
	OD_OTHER,	/* db:, dsn:, ldap:, lua:...: not readable here */
};

struct od {
	const struct backend_ctx *ctx;
	struct site		*site;
	const struct conf_doc	*conf;
	struct bk_ents		 ents;		/* conf, includes expanded */
	struct strv		 keynames;	/* KeyTable names */
	struct strv		 keywheres;	/* their file:line */
	struct strv		 used;		/* named by the SigningTable */
	char			*keyfile_where;	/* KeyFile file:line, single key */
};

static int
od_detect(const struct backend_ctx *ctx, struct site_program *prog)
{
	const char *over = NULL;
	const char *argv[] = { NULL, "-V", NULL };
	char *config, *binary, *version, *out, *v;

	over = bk_setting_config(ctx, &backend_opendkim);
	if ((config = bk_config_path(ctx->root, over, od_configs)) == NULL)
		return 0;
	if (!fsroot_exists(ctx->root, config)) {
		free(config);
		return 0;
	}
	binary = bk_first_existing(ctx->root, od_binaries);
	version = bk_package_version(ctx->root, "opendkim", "opendkim");
	if (version == NULL && binary != NULL) {
		argv[0] = binary;
		/* "opendkim: OpenDKIM Filter v2.11.0" */
		if ((out = bk_run_output(ctx->root, argv)) != NULL) {
			if ((v = strstr(out, " v")) != NULL) {
				v += 2;
				v[strcspn(v, " \t\r\n")] = '\0';
				if (*v != '\0' && !bk_has_control(v))
					version = xstrdup(v);
			}
			free(out);
		}
	}
	bk_fill_program(prog, &backend_opendkim, binary, version, config);
	free(binary);
	free(version);
	free(config);
	return 1;
}

/* Classify a data set name; *rest points past a type prefix. */
static enum od_set
od_dataset(const char *value, const char **rest)
{
	static const char *const other[] = { "db:", "dsn:", "ldap:", "ldaps:",
	    "ldapi:", "lua:", "memcache:", "mdb:", "erlang:", "socket:",
	    "repute:", NULL };
	size_t i;

	*rest = value;
	if (str_casestartswith(value, "file:")) {
		*rest = value + 5;
		return OD_FILE;
	}
	if (str_casestartswith(value, "refile:")) {
		*rest = value + 7;
		return OD_REFILE;
	}
	if (str_casestartswith(value, "csl:")) {
		*rest = value + 4;
		return OD_LIST;
	}
	if (*value == '/')
		return OD_FILE;
	for (i = 0; other[i] != NULL; i++)
		if (str_casestartswith(value, other[i]))
			return OD_OTHER;
	return OD_LIST;
}

/* The setting OpenDKIM uses for key (the last one, includes read), or
 * NULL. */
static const struct bk_ent *
od_find(const struct od *od, const char *key)
{
	return bk_ents_last(&od->ents, key);
}

/* An "Include" line's path. */
static const char *
od_include_path(const struct conf_entry *e)
{
	if (e->key == NULL || strcasecmp(e->key, "Include") != 0)
		return NULL;
	return e->value != NULL ? e->value : "";
}

/* A path of a setting as OpenDKIM opens it (see the top); a relative one
 * is reported at where.  Caller frees. */
static char *
od_path(struct od *od, const char *path, const char *where,
    const char *what)
{
	char *abs = bk_daemon_path(OD_CWD, path), *show;

	if (path[0] != '/') {
		show = bk_quote(path);
		site_warn(od->site, "%s: %s %s is a relative path: OpenDKIM "
		    "opens it from its working directory %s, so it is %s; "
		    "write the absolute path", where, what, show, OD_CWD, abs);
		free(show);
	}
	return abs;
}

/* The entries of a host list setting, joined with ", " (caller frees). */
static char *
od_hostlist(struct od *od, const char *name, const char *value,
    const char *where)
{
	struct strv list;
	struct buf b;
	const char *path;
	char *cause = NULL, *show, *abs;
	enum od_set kind = od_dataset(value, &path);
	size_t i;

	if (kind == OD_LIST || kind == OD_OTHER)
		return xstrdup(value);
	strv_init(&list);
	abs = od_path(od, path, where, name);
	if (bk_read_list(od->site, od->ctx->root, CONF_PEERLIST, abs, &list,
	    NULL, &cause) != 0) {
		show = bk_san(cause);
		site_fail(od->site, "%s: %s: %s; OpenDKIM will not start: "
		    "create the file or fix the path", where, name, show);
		free(show);
		free(cause);
		free(abs);
		strv_free(&list);
		return xstrdup(value);
	}
	free(abs);
	buf_init(&b);
	for (i = 0; i < list.n; i++) {
		if (i > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, list.v[i]);
	}
	strv_free(&list);
	return buf_steal(&b);
}

/* Facts for the settings of od_facts. */
static void
od_settings_facts(struct od *od)
{
	const struct bk_ent *be;
	const struct conf_entry *e;
	struct site_loc loc;
	char *where, *value;
	size_t i;

	for (i = 0; i < sizeof od_facts / sizeof od_facts[0]; i++) {
		if ((be = od_find(od, od_facts[i].name)) == NULL) {
			if (od_facts[i].def != NULL)
				bk_fact(od->site, "opendkim", od_facts[i].name,
				    od_facts[i].def, "default", NULL);
			continue;
		}
		e = be->e;
		where = bk_where(be->doc, e, &loc);
		if (strcmp(od_facts[i].name, "InternalHosts") == 0 ||
		    strcmp(od_facts[i].name, "ExternalIgnoreList") == 0)
			value = od_hostlist(od, od_facts[i].name, e->value,
			    where);
		else
			value = xstrdup(e->value);
		bk_fact(od->site, "opendkim", od_facts[i].name, value, where,
		    &loc);
		free(value);
		free(where);
	}
}

/* Add a key and its domain (receives 0) for one signing domain. */
static void
od_add(struct od *od, const char *raw, const char *selector,
    const char *keyfile, const char *where, const struct site_loc *loc,
    const char *what)
{
	char *d, *src;

	if ((d = bk_domain(od->site, raw, where, "domain")) == NULL)
		return;
	bk_key_at(od->site, od->ctx->root, d, selector, keyfile, "opendkim",
	    where, loc, od->keyfile_where);
	src = xasprintf("opendkim %s (%s)", what, where);
	site_add_domain(od->site, d, 0, src, loc);
	free(src);
	free(d);
}

/* One KeyTable line: "keyname domain:selector:/path/key". */
static void
od_keytable_entry(struct od *od, const struct conf_doc *doc,
    const struct conf_entry *e)
{
	struct site_loc loc;
	char *where = bk_where(doc, e, &loc), *spec, *sel, *file, *show;

	strv_add(&od->keynames, e->key);
	strv_add(&od->keywheres, where);
	spec = xstrdup(e->argc > 1 ? e->argv[1] : "");
	if ((sel = strchr(spec, ':')) == NULL ||
	    (file = strchr(sel + 1, ':')) == NULL) {
		show = bk_quote(e->key);
		site_warn(od->site, "%s: key \"%s\" needs \"domain:selector:"
		    "/path/to/key\"; fix the line", where, show);
		free(show);
		goto done;
	}
	*sel++ = '\0';
	*file++ = '\0';
	if (strcmp(spec, "%") == 0 || strchr(spec, '%') != NULL) {
		site_warn(od->site, "%s: domain \"%%\" means the sender's "
		    "domain, which notspam cannot list; list the domains in "
		    "notspam.conf `domains`", where);
		goto done;
	}
	if (*file == '/')
		od_add(od, spec, sel, file, where, &loc, "KeyTable");
	else
		od_add(od, spec, sel, NULL, where, &loc, "KeyTable");
done:
	free(spec);
	free(where);
}

/* Read the KeyTable; returns 0 if it could be read. */
static int
od_keytable(struct od *od, const char *value, const char *where)
{
	const struct conf_doc *doc;
	const char *path;
	char *cause = NULL, *show, *abs;
	enum od_set kind = od_dataset(value, &path);
	size_t i;

	if (kind == OD_OTHER || kind == OD_LIST) {
		show = bk_quote(value);
		site_warn(od->site, "%s: KeyTable %s is not a file notspam can "
		    "read; list the signing domains in notspam.conf `domains`",
		    where, show);
		free(show);
		return -1;
	}
	abs = od_path(od, path, where, "KeyTable");
	doc = bk_conf_load(od->site, od->ctx->root, CONF_TABLE, abs, &cause);
	free(abs);
	if (doc == NULL) {
		show = bk_san(cause);
		site_fail(od->site, "%s: KeyTable: %s; OpenDKIM will not start: "
		    "create it or fix the path", where, show);
		free(show);
		free(cause);
		return -1;
	}
	for (i = 0; i < doc->nentries; i++)
		od_keytable_entry(od, doc, &doc->entries[i]);
	return 0;
}

/* Read the SigningTable and check it against the KeyTable names. */
static void
od_signingtable(struct od *od, const char *value, const char *where)
{
	const struct conf_doc *doc;
	const char *path;
	char *cause = NULL, *show, *w;
	enum od_set kind = od_dataset(value, &path);
	size_t i;

	if (kind == OD_OTHER || kind == OD_LIST)
		return;
	w = od_path(od, path, where, "SigningTable");
	doc = bk_conf_load(od->site, od->ctx->root, CONF_TABLE, w, &cause);
	free(w);
	if (doc == NULL) {
		show = bk_san(cause);
		site_fail(od->site, "%s: SigningTable: %s; OpenDKIM will not "
		    "start: create it or fix the path", where, show);
		free(show);
		free(cause);
		return;
	}
	for (i = 0; i < doc->nentries; i++) {
		const struct conf_entry *e = &doc->entries[i];
		w = conf_where(doc, e);
		if (e->argc < 2) {
			show = bk_quote(e->key);
			site_warn(od->site, "%s: \"%s\" names no key; add the "
			    "KeyTable key name after it", w, show);
			free(show);
		} else {
			strv_add_unique(&od->used, e->argv[1]);
			if (strv_find(&od->keynames, e->argv[1]) == -1) {
				show = bk_quote(e->argv[1]);
				site_fail(od->site, "%s: key \"%s\" is not in "
				    "the KeyTable; OpenDKIM cannot sign with "
				    "it: add it there or fix the name", w,
				    show);
				free(show);
			}
		}
		if (kind == OD_FILE && strchr(e->key, '*') != NULL) {
			show = bk_quote(e->key);
			site_warn(od->site, "%s: \"%s\" is a wildcard, but "
			    "wildcards work only with SigningTable refile:%s; "
			    "change the SigningTable line to refile:", w, show,
			    path);
			free(show);
		}
		free(w);
	}
	for (i = 0; i < od->keynames.n; i++) {
		if (strv_find(&od->used, od->keynames.v[i]) != -1)
			continue;
		show = bk_quote(od->keynames.v[i]);
		site_warn(od->site, "%s: key \"%s\" is not used by the "
		    "SigningTable (%s), so OpenDKIM never signs with it; add a "
		    "line such as \"*@domain %s\" or remove the key",
		    od->keywheres.v[i], show, path, show);
		free(show);
	}
}

/* Domain + Selector + KeyFile (used when there is no KeyTable). */
static void
od_single_key(struct od *od)
{
	const struct bk_ent *kfe, *dome, *sele;
	const struct conf_entry *kf, *dom, *sel;
	struct strv domains;
	struct bk_wheres wheres;
	struct site_loc loc;
	const char *path;
	char *where, *cause = NULL, *show, *keyfile, *abs;
	size_t i;

	if ((kfe = od_find(od, "KeyFile")) == NULL)
		return;
	kf = kfe->e;
	where = conf_where(kfe->doc, kf);
	if ((dome = od_find(od, "Domain")) == NULL) {
		site_fail(od->site, "%s: KeyFile without Domain: OpenDKIM "
		    "signs nothing; add \"Domain example.org\"", where);
		free(where);
		return;
	}
	dom = dome->e;
	sele = od_find(od, "Selector");
	sel = sele != NULL ? sele->e : NULL;
	keyfile = od_path(od, kf->value, where, "KeyFile");
	od->keyfile_where = where;	/* a missing file is named there */
	where = bk_where(dome->doc, dom, &loc);
	strv_init(&domains);
	bk_wheres_init(&wheres);
	switch (od_dataset(dom->value, &path)) {
	case OD_LIST:
		str_split(path, ", \t", &domains);
		for (i = 0; i < domains.n; i++)
			bk_wheres_add(&wheres, where, &loc);
		break;
	case OD_FILE:
	case OD_REFILE:
		abs = od_path(od, path, where, "Domain");
		if (bk_read_list(od->site, od->ctx->root, CONF_PEERLIST, abs,
		    &domains, &wheres, &cause) != 0) {
			show = bk_san(cause);
			site_warn(od->site, "%s: Domain: %s; create the file or "
			    "fix the path", where, show);
			free(show);
			free(cause);
		}
		free(abs);
		break;
	case OD_OTHER:
		show = bk_quote(dom->value);
		site_warn(od->site, "%s: Domain %s cannot be listed; list the "
		    "domains in notspam.conf `domains`", where, show);
		free(show);
		break;
	}
	free(where);
	for (i = 0; i < domains.n; i++)
		od_add(od, domains.v[i], sel != NULL ? sel->value : NULL,
		    keyfile, wheres.text.v[i], &wheres.loc[i], "Domain");
	free(keyfile);
	free(od->keyfile_where);
	od->keyfile_where = NULL;
	strv_free(&domains);
	bk_wheres_free(&wheres);
}

/* Expand $VAR and ${VAR} from the shell variables defined so far. */
static char *
od_shell_expand(const struct strv *names, const struct strv *values,
    const char *s)
{
	struct buf b;
	const char *p = s;
	size_t n;
	int i, brace;

	buf_init(&b);
	while (*p != '\0') {
		if (*p != '$') {
			buf_addc(&b, *p++);
			continue;
		}
		brace = p[1] == '{';
		n = strspn(p + 1 + brace, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (n == 0 || (brace && p[1 + brace + n] != '}')) {
			buf_addc(&b, *p++);
			continue;
		}
		for (i = (int)names->n - 1; i >= 0; i--) {
			if (strlen(names->v[i]) == n &&
			    strncmp(names->v[i], p + 1 + brace, n) == 0) {
				buf_adds(&b, values->v[i]);
				break;
			}
		}
		p += 1 + brace + n + brace;
	}
	return buf_steal(&b);
}

/* /etc/default/opendkim's SOCKET, expanded; *where gets its file:line,
 * *loc its location. */
static char *
od_default_socket(struct od *od, char **where, struct site_loc *loc)
{
	const char *path;
	const struct conf_doc *doc;
	struct strv names, values;
	char *cause = NULL, *v, *sock = NULL, *show;
	size_t i;

	*where = NULL;
	*loc = site_loc_entry(NULL, NULL);
	path = settings_backend(od->ctx->settings,
	    backend_opendkim.name)->default_file;
	if (path == NULL || *path == '\0')
		path = "/etc/default/opendkim";
	if (!fsroot_exists(od->ctx->root, path))
		return NULL;
	if ((doc = bk_conf_load(od->site, od->ctx->root, CONF_SHELLVARS, path,
	    &cause)) == NULL) {
		show = bk_san(cause);
		site_warn(od->site, "%s; fix the file", show);
		free(show);
		free(cause);
		return NULL;
	}
	strv_init(&names);
	strv_init(&values);
	strv_add(&names, "NAME");	/* set by the init script */
	strv_add(&values, "opendkim");
	for (i = 0; i < doc->nentries; i++) {
		const struct conf_entry *e = &doc->entries[i];
		v = od_shell_expand(&names, &values, e->value != NULL ?
		    e->value : "");
		strv_add(&names, e->key);
		strv_add(&values, v);
		if (strcmp(e->key, "SOCKET") == 0) {
			free(sock);
			free(*where);
			sock = v;
			*where = bk_where(doc, e, loc);
		} else
			free(v);
	}
	strv_free(&names);
	strv_free(&values);
	if (sock != NULL && *sock == '\0') {
		free(sock);
		free(*where);
		*where = NULL;
		sock = NULL;
	}
	return sock;
}

/*
 * The -p argument of the service unit's ExecStart, "$SOCKET" replaced by
 * dsock; NULL if the unit passes none.  *found is set when a unit exists.
 */
static char *
od_unit_socket(struct od *od, const char *dsock, char **where,
    struct site_loc *loc, int *found)
{
	char *data, *line, *next, *sock = NULL, *p;
	struct strv words;
	size_t len, i, lineno;
	int u, exec = 0;

	*where = NULL;
	*found = 0;
	for (u = 0; od_units[u] != NULL; u++) {
		if (fsroot_read(od->ctx->root, od_units[u], 0, &data, &len,
		    NULL) != 0)
			continue;
		*found = 1;
		lineno = 0;
		for (line = data; line != NULL; line = next) {
			lineno++;
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			str_trim(line);
			if (!str_startswith(line, "ExecStart="))
				continue;
			p = line + 10;
			p += strspn(p, "-@:+!");
			if (*p == '\0')
				continue;	/* a reset */
			exec = 1;
			free(sock);
			sock = NULL;
			free(*where);
			*where = NULL;
			strv_init(&words);
			str_split(p, " \t", &words);
			for (i = 0; i + 1 < words.n; i++) {
				if (strcmp(words.v[i], "-p") != 0)
					continue;
				if (strcmp(words.v[i + 1], "$SOCKET") == 0 ||
				    strcmp(words.v[i + 1], "${SOCKET}") == 0)
					sock = dsock != NULL ?
					    xstrdup(dsock) : NULL;
				else
					sock = xstrdup(words.v[i + 1]);
				*where = xasprintf("%s:%zu", od_units[u],
				    lineno);
				*loc = site_loc_file(od->site, od_units[u],
				    lineno);
			}
			strv_free(&words);
		}
		free(data);
		if (exec)
			break;	/* the unit that runs opendkim */
	}
	return sock;
}

/* A Socket OpenDKIM cannot listen on (a placeholder such as the sample's
 * "inet:port@localhost") is named: it would not start. */
static void
od_socket_syntax(struct od *od, const char *sock, const char *where)
{
	struct sockspec ss;
	char *cause = NULL, *show;

	if (sockspec_parse(SOCKSPEC_MILTER, sock, &ss, &cause) == 0) {
		sockspec_free(&ss);
		return;
	}
	show = bk_san(cause);
	site_fail(od->site, "%s: Socket: %s; OpenDKIM does not start: write "
	    "the address it should listen on, e.g. \"Socket "
	    "inet:8891@localhost\"", where, show);
	free(show);
	free(cause);
}

/* The effective socket: facts, a listen link, and a warning on conflict. */
static void
od_socket(struct od *od)
{
	const struct bk_ent *se = od_find(od, "Socket");
	const struct conf_entry *e = se != NULL ? se->e : NULL;
	char *dsock, *dwhere, *usock, *uwhere, *sock = NULL, *where = NULL;
	struct site_loc dloc, uloc, loc = site_loc_entry(NULL, NULL);
	char *s1, *s2;
	int unit;

	dsock = od_default_socket(od, &dwhere, &dloc);
	if (dsock != NULL)
		bk_fact(od->site, "opendkim", "default SOCKET", dsock, dwhere,
		    &dloc);
	uloc = loc;
	usock = od_unit_socket(od, dsock, &uwhere, &uloc, &unit);
	if (usock != NULL) {
		sock = xstrdup(usock);
		where = xstrdup(uwhere);
		loc = uloc;
	} else if (dsock != NULL && !unit &&
	    fsroot_exists(od->ctx->root, "/etc/init.d/opendkim")) {
		sock = xstrdup(dsock);
		where = xstrdup(dwhere);
		loc = dloc;
	} else if (e != NULL && e->value != NULL && *e->value != '\0') {
		sock = xstrdup(e->value);
		where = bk_where(se->doc, e, &loc);
	}
	if (sock == NULL) {
		bk_fact(od->site, "opendkim", "socket", "unset", "default",
		    NULL);
		site_fail(od->site, "%s: Socket is not set (and no -p is "
		    "passed), so OpenDKIM does not start; add a line such as "
		    "\"Socket inet:8891@localhost\"", od->conf->path);
		goto done;
	}
	bk_fact(od->site, "opendkim", "socket", sock, where, &loc);
	bk_link(od->site, "opendkim", "opendkim", "listen", sock,
	    SOCKSPEC_MILTER, NULL, where, &loc);
	od_socket_syntax(od, sock, where);
	if (dsock != NULL && strcmp(dsock, sock) != 0) {
		s1 = bk_san(dsock);
		s2 = bk_san(sock);
		site_warn(od->site, "%s: SOCKET=%s is not the socket OpenDKIM "
		    "uses (%s, %s): Debian 12's opendkim.service ignores this "
		    "file unless /lib/opendkim/opendkim.service.generate was "
		    "run; remove SOCKET here or make the two agree", dwhere,
		    s1, s2, where);
		free(s1);
		free(s2);
	}
done:
	free(sock);
	free(where);
	free(dsock);
	free(dwhere);
	free(usock);
	free(uwhere);
}

static int
od_load(const struct backend_ctx *ctx, const struct site_program *prog,
    struct site *site, char **cause)
{
	static const struct bk_include inc = {
		.grammar = CONF_OPENDKIM,
		.path_of = od_include_path,
		.cwd = OD_CWD,
		.keyword = "Include",
		.effect = "OpenDKIM does not start",
	};
	struct od od;
	const struct bk_ent *kte, *ste, *modee;
	const struct conf_entry *kt, *st;
	char *where, *why = NULL, *show;

	(void)cause;
	memset(&od, 0, sizeof od);
	od.ctx = ctx;
	od.site = site;
	strv_init(&od.keynames);
	strv_init(&od.keywheres);
	strv_init(&od.used);
	if (prog->config == NULL)
		return 0;
	/* A broken signer config must not hide the rest of the site. */
	if ((od.conf = bk_conf_load(site, ctx->root, CONF_OPENDKIM,
	    prog->config, &why)) == NULL) {
		show = bk_san(why);
		site_fail(site, "%s; OpenDKIM will not start until it is fixed",
		    show);
		free(show);
		free(why);
		return 0;
	}
	bk_conf_flatten(site, ctx->root, od.conf, &inc, &od.ents);
	od_settings_facts(&od);
	od_socket(&od);

	kte = od_find(&od, "KeyTable");
	ste = od_find(&od, "SigningTable");
	kt = kte != NULL ? kte->e : NULL;
	st = ste != NULL ? ste->e : NULL;
	if (kt != NULL) {
		where = conf_where(kte->doc, kt);
		if (od_keytable(&od, kt->value, where) == 0) {
			if (st != NULL) {
				char *sw = conf_where(ste->doc, st);
				od_signingtable(&od, st->value, sw);
				free(sw);
			} else
				site_fail(site, "%s: KeyTable without "
				    "SigningTable: OpenDKIM signs nothing; add "
				    "\"SigningTable refile:/etc/opendkim/"
				    "signing.table\"", where);
		}
		free(where);
	} else if (od_find(&od, "KeyFile") != NULL)
		od_single_key(&od);
	else {
		modee = od_find(&od, "Mode");
		if (modee == NULL || strchr(modee->e->value, 's') != NULL)
			site_fail(site, "%s: no KeyTable and no KeyFile: "
			    "OpenDKIM signs nothing; configure a key",
			    prog->config);
	}
	if (st != NULL && kt == NULL) {
		where = conf_where(ste->doc, st);
		site_warn(site, "%s: SigningTable without KeyTable is ignored; "
		    "add a KeyTable", where);
		free(where);
	}
	bk_ents_free(&od.ents);
	strv_free(&od.keynames);
	strv_free(&od.keywheres);
	strv_free(&od.used);
	return 0;
}


/* A fact's value without a data set prefix, or NULL when unset. */
static const char *
od_fact_path(const struct site *site, const char *name, int *refile)
{
	const struct site_fact *f = site_fact(site, "opendkim", name);
	const char *v;

	if (refile != NULL)
		*refile = 0;
	if (f == NULL || f->value == NULL || strcmp(f->value, "unset") == 0)
		return NULL;
	v = f->value;
	if (strncmp(v, "refile:", 7) == 0) {
		if (refile != NULL)
			*refile = 1;
		v += 7;
	} else if (strncmp(v, "file:", 5) == 0)
		v += 5;
	return v;
}

/* The KeyTable key name on the line a location names, or NULL. */
static const char *
od_loc_keyname(const struct site_loc *loc)
{
	const struct conf_entry *e = site_loc_conf_entry(loc);

	return e != NULL && e->key != NULL && *e->key != '\0' ? e->key : NULL;
}

/* KeyTable/SigningTable lines, or Domain/Selector/KeyFile. */
static char *
od_switch_text(const struct site *site, const struct backend *b,
    const struct backend_key_switch *sw)
{
	const struct site_program *prog = site_program(site, b->name);
	const struct backend_key_ref *r;
	const char *kt, *st, *conf, *old;
	char *keyname, *reload;
	struct buf out;
	size_t i;
	int refile = 0, any = 0;

	buf_init(&out);
	conf = prog != NULL && prog->config != NULL ? prog->config :
	    od_configs[0];
	kt = od_fact_path(site, "KeyTable", NULL);
	st = od_fact_path(site, "SigningTable", &refile);
	if (kt == NULL && od_fact_path(site, "KeyFile", NULL) != NULL) {
		buf_printf(&out, "In %s, set:\n", conf);
		buf_printf(&out, "\tSelector\t%s\n\tKeyFile\t\t%s\n",
		    sw->selector, sw->path);
		buf_printf(&out, "(Selector and KeyFile apply to every Domain "
		    "listed there; with several domains use a KeyTable.)");
		return buf_steal(&out);
	}
	keyname = xasprintf("%s._domainkey.%s", sw->selector, sw->domain);
	if (kt == NULL) {
		buf_printf(&out, "In %s, add:\n\tKeyTable\t%s\n\tSigningTable"
		    "\trefile:%s\n", conf, OD_KEYTABLE, OD_SIGNINGTABLE);
		kt = OD_KEYTABLE;
		st = OD_SIGNINGTABLE;
		refile = 1;
	}
	buf_printf(&out, "In %s, add:\n\t%s %s:%s:%s\n", kt, keyname,
	    sw->domain, sw->selector, sw->path);
	for (i = 0; i < sw->nreplaced; i++) {
		r = &sw->replaced[i];
		old = NULL;
		if (r->loc != NULL && r->loc->file != NULL &&
		    r->loc->file[0] == '/' && r->loc->line > 0) {
			old = od_loc_keyname(r->loc);
			buf_printf(&out, "In %s, remove line %zu (selector %s)",
			    r->loc->file, r->loc->line, r->selector);
			if (old != NULL)
				buf_printf(&out, ": %s ...", old);
			buf_addc(&out, '\n');
		}
		if (st != NULL) {
			buf_printf(&out, "In %s, replace the key name%s%s with "
			    "%s:\n\t%s%s %s\n", st, old != NULL ? " " : "",
			    old != NULL ? old : "", keyname,
			    refile ? "*@" : "", sw->domain, keyname);
			any = 1;
		}
	}
	if (!any && st != NULL)
		buf_printf(&out, "In %s, add:\n\t%s%s %s\n", st,
		    refile ? "*@" : "", sw->domain, keyname);
	reload = backend_reload_text(b, site);
	buf_printf(&out, "Then: %s", reload);
	free(reload);
	free(keyname);
	return buf_steal(&out);
}

/* The PidFile setting when absolute, else Debian's default. */
static char *
od_pidfile(const struct site *site)
{
	const struct site_fact *f = site_fact(site, "opendkim", "PidFile");

	return xstrdup(f != NULL && f->value[0] == '/' ? f->value :
	    "/run/opendkim/opendkim.pid");
}

/* opendkim -n -x FILE */
static void
od_validate_argv(const struct backend_ctx *ctx,
    const struct site_program *prog, struct strv *argv)
{
	bk_check_argv(ctx, prog, od_binaries, "-x", argv);
}

static const char *const od_procnames[] = { "opendkim", NULL };

const struct backend backend_opendkim = {
	.name = "opendkim",
	.role = BACKEND_SIGNER,
	.conf_key = "opendkim_conf",
	.default_key = "opendkim_default",
	.reload_key = "opendkim_reload",
	.detect = od_detect,
	.load = od_load,
	.unit = "opendkim",
	.initscript = "opendkim",
	.rcname = "opendkim",
	.procnames = od_procnames,
	.proc_scan = 1,
	.pidfile = od_pidfile,
	.validate_argv = od_validate_argv,
	.plan = opendkim_plan,
	.user = "opendkim",
	.user_fact = "UserID",
	.key_dir = "/etc/dkimkeys",
	.key_suffix = ".private",
	.socket_option = "-p",
	.config_option = "-x",
	.switch_text = od_switch_text,
	.switch_plan = opendkim_switch_plan,
	.socket_fix = opendkim_socket_fix,
};
