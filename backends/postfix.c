/* postfix.c: the Postfix backend (main.cf and master.cf, read side).
 *
 * Parameter values are expanded the way "postconf -x" shows them: $name,
 * ${name}, $(name), $$, ${name?value}, ${name:value} and the 3.0 forms
 * ${name?{v1}:{v2}}, from main.cf and the built-in defaults below.  Facts
 * hold expanded values; their source is "file:line" or "default".
 *
 * myhostname, when main.cf does not set it, is the system's host name
 * (/etc/hostname or /etc/myname under the root, gethostname() on the live
 * system) with ".$mydomain" (or ".localdomain") appended when it has no
 * dot, as Postfix's check_myhostname() does.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

/*
 * Expansion limits are about recursion (a parameter that refers to itself,
 * directly or not, or a "billion laughs" of references), not about long
 * values: a main.cf line of 90,000 domains is legitimate.  The size cap is
 * only a backstop, far above any real configuration.
 */
#define PF_DEPTH_MAX	20
#define PF_STEPS_MAX	20000		/* $name lookups per value */
#define PF_OUT_MAX	(16u * 1024 * 1024)	/* bytes of one value */

struct pf {
	const struct backend_ctx *ctx;
	struct site		*site;
	const struct conf_doc	*main;
	char			*hostname;	/* default myhostname, or NULL */
	char			*hostsource;
	struct site_loc		 hostloc;	/* of the host name file */
	const struct conf_doc	*master;	/* master.cf, or NULL */
	const char		*service;	/* $service_name in master.cf */
	int			 compat;	/* major compatibility level */
	int			 loop;		/* expansion went too deep */
	size_t			 steps;		/* $name lookups so far */
};

/* Built-in defaults of the parameters notspam reads (Postfix 3.x). */
static const struct {
	const char	*name;
	const char	*value;
} pf_defaults[] = {
	{ "queue_directory", "/var/spool/postfix" },
	{ "mail_owner", "postfix" },
	{ "inet_protocols", "all" },
	{ "inet_interfaces", "all" },
	{ "milter_default_action", "tempfail" },
	{ "milter_protocol", "6" },
	{ "mydestination", "$myhostname, localhost.$mydomain, localhost" },
	{ "myorigin", "$myhostname" },
	{ "default_transport", "smtp" },
	{ "compatibility_level", "0" },
	{ "smtpd_milters", "" },
	{ "non_smtpd_milters", "" },
	{ "content_filter", "" },
	{ "virtual_mailbox_domains", "$virtual_mailbox_maps" },
	{ "virtual_mailbox_maps", "" },
	{ "virtual_alias_domains", "$virtual_alias_maps" },
	{ "virtual_alias_maps", "$virtual_maps" },
	{ "virtual_maps", "" },
	{ "relay_domains", NULL },	/* depends on compatibility_level */
	{ "myhostname", NULL },		/* from the system */
	{ "mydomain", NULL },		/* from myhostname */
};

/* The parameters shown as facts, in this order. */
static const char *const pf_fact_names[] = {
	"myhostname", "mydomain", "myorigin", "mydestination",
	"virtual_mailbox_domains", "virtual_alias_domains", "relay_domains",
	"inet_protocols", "inet_interfaces", "smtpd_milters",
	"non_smtpd_milters", "milter_default_action", "milter_protocol",
	"queue_directory", "mail_owner", "content_filter",
	"compatibility_level", "mynetworks", "smtp_address_preference",
	"smtp_bind_address6", NULL
};

/* The parameters whose elements are hosted domains. */
static const char *const pf_domain_params[] = {
	"mydestination", "virtual_mailbox_domains", "virtual_alias_domains",
	"relay_domains", NULL
};

/* Map types whose source is a text file notspam can list. */
static const char *const pf_text_maps[] = {
	"hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash", NULL
};

static const char *const pf_dirs[] = {
	"/etc/postfix", "/usr/local/etc/postfix", NULL
};
static const char *const pf_binaries[] = {
	"/usr/sbin/postconf", "/usr/sbin/postfix", "/usr/local/sbin/postconf",
	NULL
};

static char	*pf_expand(struct pf *, const char *, int);

/* The config directory: the settings' postfix_config_dir or a default. */
static char *
pf_config_dir(const struct backend_ctx *ctx)
{
	const char *over = NULL;
	char *path;
	size_t i;

	over = bk_setting_config(ctx, &backend_postfix);
	if (over != NULL && *over != '\0')
		return xstrdup(over);
	for (i = 0; pf_dirs[i] != NULL; i++) {
		path = xasprintf("%s/main.cf", pf_dirs[i]);
		if (fsroot_exists(ctx->root, path)) {
			free(path);
			return xstrdup(pf_dirs[i]);
		}
		free(path);
	}
	return NULL;
}

static int
pf_detect(const struct backend_ctx *ctx, struct site_program *prog)
{
	char *dir, *config, *binary, *version, *out;
	const char *argv[] = { NULL, "-d", "-h", "mail_version", NULL };

	if ((dir = pf_config_dir(ctx)) == NULL)
		return 0;
	config = xasprintf("%s/main.cf", dir);
	free(dir);
	if (!fsroot_exists(ctx->root, config)) {
		free(config);
		return 0;
	}
	binary = bk_first_existing(ctx->root, pf_binaries);
	version = bk_package_version(ctx->root, "postfix", "postfix");
	if (version == NULL && binary != NULL &&
	    strstr(binary, "/postconf") != NULL) {
		argv[0] = binary;
		if ((out = bk_run_output(ctx->root, argv)) != NULL) {
			str_trim(out);
			if (*out != '\0' && !bk_has_control(out))
				version = xstrdup(out);
			free(out);
		}
	}
	bk_fill_program(prog, &backend_postfix, binary, version, config);
	free(binary);
	free(version);
	free(config);
	return 1;
}

/* The default value of a parameter, or NULL if notspam does not know it. */
static char *
pf_default(struct pf *pf, const char *name)
{
	char *host, *dot;
	size_t i;

	if (strcmp(name, "myhostname") == 0)
		return xstrdup(pf->hostname != NULL ? pf->hostname : "");
	if (strcmp(name, "mydomain") == 0) {
		host = pf_expand(pf, "$myhostname", 1);
		dot = strchr(host, '.');
		if (dot != NULL && dot[1] != '\0')
			memmove(host, dot + 1, strlen(dot + 1) + 1);
		else {
			free(host);
			host = xstrdup("localdomain");
		}
		return host;
	}
	if (strcmp(name, "relay_domains") == 0)
		return xstrdup(pf->compat < 2 ? "$mydestination" : "");
	if (strcmp(name, "service_name") == 0 && pf->service != NULL)
		return xstrdup(pf->service);
	for (i = 0; i < sizeof pf_defaults / sizeof pf_defaults[0]; i++)
		if (strcmp(pf_defaults[i].name, name) == 0 &&
		    pf_defaults[i].value != NULL)
			return xstrdup(pf_defaults[i].value);
	return NULL;
}

/* The unexpanded value of a parameter; *where gets "file:line" or NULL
 * (a default), *loc (if not NULL) its location.  Unknown parameters are
 * empty, as in Postfix. */
static char *
pf_raw(struct pf *pf, const char *name, char **where, struct site_loc *loc)
{
	const struct conf_entry *e;
	char *v;

	if (where != NULL)
		*where = NULL;
	if (loc != NULL)
		*loc = site_loc_entry(NULL, NULL);
	if ((e = conf_find(pf->main, name)) != NULL) {
		if (where != NULL)
			*where = conf_where(pf->main, e);
		if (loc != NULL)
			*loc = site_loc_entry(pf->main, e);
		return xstrdup(e->value != NULL ? e->value : "");
	}
	if ((v = pf_default(pf, name)) != NULL)
		return v;
	return xstrdup("");
}

/* Length of a parameter name at s. */
static size_t
pf_namelen(const char *s)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* Index of the bracket closing the one opened just before s, or -1. */
static long
pf_close(const char *s, char open, char close)
{
	long i;
	int depth = 1;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == open)
			depth++;
		else if (s[i] == close && --depth == 0)
			return i;
	}
	return -1;
}

/* Expand one ${...} or $(...) body (without brackets) into out. */
static void
pf_expand_body(struct pf *pf, const char *body, struct buf *out, int depth)
{
	size_t n = pf_namelen(body);
	char *name = xstrndup(body, n), *raw, *val, *alt = NULL, *pick = NULL;
	const char *rest = body + n;
	long c;
	int empty;

	pf->steps++;
	raw = pf_raw(pf, name, NULL, NULL);
	val = pf_expand(pf, raw, depth + 1);
	free(raw);
	empty = *val == '\0';
	if (*rest == '\0')
		buf_adds(out, val);
	else if ((*rest == '?' || *rest == ':') && rest[1] == '{' &&
	    (c = pf_close(rest + 2, '{', '}')) >= 0) {
		/* ${name?{v1}:{v2}} and ${name:{v2}} (Postfix 3.0). */
		char *v1 = xstrndup(rest + 2, (size_t)c);
		const char *after = rest + 2 + c + 1;
		long c2;

		if (*rest == ':') {
			alt = v1;
			v1 = NULL;
		} else if (after[0] == ':' && after[1] == '{' &&
		    (c2 = pf_close(after + 2, '{', '}')) >= 0)
			alt = xstrndup(after + 2, (size_t)c2);
		pick = empty ? alt : v1;
		if (pick != NULL) {
			char *t = pf_expand(pf, str_trim(pick), depth + 1);
			buf_adds(out, t);
			free(t);
		}
		free(v1);
		free(alt);
	} else if (*rest == '?' || *rest == ':') {
		if ((*rest == '?') != empty) {
			char *t = pf_expand(pf, rest + 1, depth + 1);
			buf_adds(out, t);
			free(t);
		}
	}
	/* Other forms (comparisons) expand to nothing. */
	free(val);
	free(name);
}

/* Expand $name references in s; caller frees. */
static char *
pf_expand(struct pf *pf, const char *s, int depth)
{
	struct buf out;
	const char *p = s;
	size_t n;
	long c;

	buf_init(&out);
	if (depth == 0)
		pf->steps = 0;	/* a new top-level value */
	if (depth > PF_DEPTH_MAX || pf->steps > PF_STEPS_MAX) {
		pf->loop = 1;
		return buf_steal(&out);
	}
	while (*p != '\0') {
		if (out.len > PF_OUT_MAX) {
			pf->loop = 1;
			break;
		}
		if (*p != '$') {
			buf_addc(&out, *p++);
			continue;
		}
		p++;
		if (*p == '$') {
			buf_addc(&out, '$');
			p++;
		} else if ((*p == '{' || *p == '(') &&
		    (c = pf_close(p + 1, *p, *p == '{' ? '}' : ')')) >= 0) {
			char *body = xstrndup(p + 1, (size_t)c);
			pf_expand_body(pf, body, &out, depth);
			free(body);
			p += c + 2;
		} else if ((n = pf_namelen(p)) > 0) {
			char *name = xstrndup(p, n), *raw, *val;
			pf->steps++;
			raw = pf_raw(pf, name, NULL, NULL);
			val = pf_expand(pf, raw, depth + 1);
			buf_adds(&out, val);
			free(val);
			free(raw);
			free(name);
			p += n;
		} else
			buf_addc(&out, '$');
	}
	return buf_steal(&out);
}

/* Expanded value of a parameter, *where and *loc as for pf_raw(). */
static char *
pf_get(struct pf *pf, const char *name, char **where, struct site_loc *loc)
{
	char *raw = pf_raw(pf, name, where, loc), *v;

	v = pf_expand(pf, raw, 0);
	free(raw);
	return v;
}

/*
 * Split a Postfix list on blanks and commas, keeping "{ ... }" groups and
 * "type:{ ... }" inline maps whole.  Returns -1 on an unclosed brace.
 */
static int
pf_split(const char *s, struct strv *out)
{
	const char *p = s, *start;
	long c;

	for (;;) {
		p += strspn(p, " \t\r\n,");
		if (*p == '\0')
			return 0;
		start = p;
		while (*p != '\0' && strchr(" \t\r\n,", *p) == NULL) {
			if (*p == '{') {
				if ((c = pf_close(p + 1, '{', '}')) < 0)
					return -1;
				p += c + 2;
			} else
				p++;
		}
		{
			char *w = xstrndup(start, (size_t)(p - start));
			strv_add(out, w);
			free(w);
		}
	}
}

/* The system's host name for the myhostname default (see the top). */
static void
pf_system_hostname(struct pf *pf)
{
	static const char *const files[] = { "/etc/hostname", "/etc/myname",
	    NULL };
	char *data = NULL, name[256], *dom;
	const char *src = NULL;
	size_t len, i;

	for (i = 0; files[i] != NULL && src == NULL; i++) {
		if (fsroot_read(pf->ctx->root, files[i], 4096, &data, &len,
		    NULL) != 0)
			continue;
		data[strcspn(data, " \t\r\n#")] = '\0';
		if (site_valid_domain(data, 1))
			src = files[i];
		else {
			free(data);
			data = NULL;
		}
	}
	if (src == NULL && bk_root_is_system(pf->ctx->root) &&
	    gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = '\0';
		if (site_valid_domain(name, 1)) {
			data = xstrdup(name);
			src = "gethostname()";
		}
	}
	if (src == NULL)
		return;
	pf->hostloc = site_loc_file(pf->site, src[0] == '/' ? src : NULL, 0);
	if (strchr(data, '.') == NULL) {
		/* Postfix: main.cf's mydomain, else "localdomain". */
		dom = NULL;
		if (conf_find(pf->main, "mydomain") != NULL)
			dom = pf_get(pf, "mydomain", NULL, NULL);
		if (dom == NULL || !site_valid_domain(dom, 1)) {
			free(dom);
			dom = xstrdup("localdomain");
		}
		pf->hostname = xasprintf("%s.%s", data, dom);
		pf->hostsource = xasprintf("default (%s + .%s)", src, dom);
		free(dom);
	} else {
		pf->hostname = xstrdup(data);
		pf->hostsource = xasprintf("default (%s)", src);
	}
	free(data);
}

/* The major number of compatibility_level ("3.6" -> 3). */
static int
pf_compat(struct pf *pf)
{
	char *v = pf_get(pf, "compatibility_level", NULL, NULL);
	int level = 0;

	if (isdigit((unsigned char)*v))
		level = atoi(v);
	free(v);
	return level;
}

/* Add the domains listed in the source file of a map. */
static void
pf_map_domains(struct pf *pf, const char *param, const char *path,
    const char *spec, const char *where)
{
	struct strv keys;
	struct bk_wheres wheres;
	struct bk_rejects rj = { 0 };
	char *cause = NULL, *src, *d, *myhost;
	size_t i;

	strv_init(&keys);
	bk_wheres_init(&wheres);
	if (bk_read_list(pf->site, pf->ctx->root, CONF_TABLE, path, &keys,
	    &wheres, &cause) != 0) {
		char *s1 = bk_san(spec), *s2 = bk_san(cause);
		if (where != NULL)
			site_warn(pf->site, "%s: %s uses %s, but its source "
			    "file cannot be read (%s); restore it or list the "
			    "domains in notspam.conf `domains`", where, param,
			    s1, s2);
		free(s1);
		free(s2);
		free(cause);
		goto done;
	}
	myhost = pf_get(pf, "myhostname", NULL, NULL);
	for (i = 0; i < keys.n; i++) {
		/* Domain lookups never match user@domain or .domain keys. */
		if (strchr(keys.v[i], '@') != NULL || keys.v[i][0] == '.')
			continue;
		if (site_is_localhost(keys.v[i]) ||
		    strcasecmp(keys.v[i], myhost) == 0)
			continue;
		if ((d = bk_list_domain(pf->site, &rj, keys.v[i],
		    wheres.text.v[i], param)) == NULL)
			continue;
		src = xasprintf("postfix %s (%s)", param, wheres.text.v[i]);
		site_add_domain(pf->site, d, 1, src, &wheres.loc[i]);
		free(src);
		free(d);
	}
	bk_rejects_report(pf->site, &rj, path, "domain name");
	free(myhost);
done:
	strv_free(&keys);
	bk_wheres_free(&wheres);
}

/* Add the domains of an inline:{ a, b=c } map. */
static void
pf_inline_domains(struct pf *pf, const char *param, const char *body,
    const char *where, const struct site_loc *loc)
{
	struct strv words;
	char *d, *src, *eq;
	size_t i;

	strv_init(&words);
	str_split(body, " \t,", &words);
	for (i = 0; i < words.n; i++) {
		if ((eq = strchr(words.v[i], '=')) != NULL)
			*eq = '\0';
		if (*words.v[i] == '\0' || strchr(words.v[i], '@') != NULL ||
		    site_is_localhost(words.v[i]))
			continue;
		if ((d = bk_domain(pf->site, words.v[i], where != NULL ? where :
		    "default", param)) == NULL)
			continue;
		src = xasprintf("postfix %s (%s)", param, where != NULL ?
		    where : "default");
		site_add_domain(pf->site, d, 1, src, loc);
		free(src);
		free(d);
	}
	strv_free(&words);
}

/* One element of a domain list: a domain, a /file or a type:table. */
static void
pf_domain_element(struct pf *pf, const char *param, const char *elem,
    const char *where, const struct site_loc *loc, const char *myhost)
{
	const char *colon, *table;
	char *type, *d, *src, *show;
	size_t i, tlen;
	int text = 0;

	if (*elem == '/') {
		pf_map_domains(pf, param, elem, elem, where);
		return;
	}
	colon = strchr(elem, ':');
	tlen = colon != NULL ? (size_t)(colon - elem) : 0;
	if (colon != NULL && tlen > 0 && pf_namelen(elem) == tlen) {
		type = xstrndup(elem, tlen);
		table = colon + 1;
		if (strcmp(type, "proxy") == 0) {
			/* proxy:hash:/x reads the same source as hash:/x. */
			free(type);
			pf_domain_element(pf, param, table, where, loc,
			    myhost);
			return;
		}
		for (i = 0; pf_text_maps[i] != NULL; i++)
			if (strcmp(type, pf_text_maps[i]) == 0)
				text = 1;
		if (text && *table == '/')
			pf_map_domains(pf, param, table, elem, where);
		else if (strcmp(type, "inline") == 0 && *table == '{' &&
		    table[strlen(table) - 1] == '}') {
			char *body = xstrndup(table + 1, strlen(table) - 2);
			pf_inline_domains(pf, param, body, where, loc);
			free(body);
		} else if (where != NULL) {
			show = bk_quote(elem);
			site_warn(pf->site, "%s: %s uses %s, whose domains "
			    "notspam cannot list; list them in notspam.conf "
			    "`domains`", where, param, show);
			free(show);
		}
		free(type);
		return;
	}
	if (site_is_localhost(elem) || strcasecmp(elem, myhost) == 0 ||
	    *elem == '.')
		return;
	if ((d = bk_domain(pf->site, elem, where != NULL ? where : "default",
	    param)) == NULL)
		return;
	src = xasprintf("postfix %s (%s)", param, where != NULL ? where :
	    "default");
	site_add_domain(pf->site, d, 1, src, loc);
	free(src);
	free(d);
}

/* The hosted domains of every domain-list parameter. */
static void
pf_domains(struct pf *pf)
{
	struct site_loc loc;
	struct strv elems;
	char *where, *value, *myhost;
	size_t i, j;

	myhost = pf_get(pf, "myhostname", NULL, NULL);
	for (i = 0; pf_domain_params[i] != NULL; i++) {
		value = pf_get(pf, pf_domain_params[i], &where, &loc);
		if (where == NULL &&
		    strcmp(pf_domain_params[i], "relay_domains") == 0) {
			/* Its default only repeats $mydestination. */
			free(value);
			continue;
		}
		strv_init(&elems);
		if (pf_split(value, &elems) != 0)
			site_warn(pf->site, "%s: %s has a \"{\" without its "
			    "\"}\"; fix the list", where != NULL ? where :
			    "main.cf", pf_domain_params[i]);
		for (j = 0; j < elems.n; j++)
			pf_domain_element(pf, pf_domain_params[i], elems.v[j],
			    where, &loc, myhost);
		strv_free(&elems);
		free(value);
		free(where);
	}
	free(myhost);
}

/* Links for a milter list: each element, or the first word of a group. */
static void
pf_milter_links(struct pf *pf, const char *from, const char *kind,
    const char *value, const char *where, const struct site_loc *loc)
{
	struct strv elems, words;
	char *what;
	size_t i;

	strv_init(&elems);
	if (pf_split(value, &elems) != 0) {
		char *show = bk_quote(value);
		site_fail(pf->site, "%s: milter list \"%s\" has a \"{\" "
		    "without its \"}\"; Postfix rejects it: close the group",
		    where != NULL ? where : "default", show);
		free(show);
	}
	for (i = 0; i < elems.n; i++) {
		strv_init(&words);
		if (elems.v[i][0] == '{')
			str_split(elems.v[i] + 1, " \t\r\n,{}", &words);
		else
			strv_add(&words, elems.v[i]);
		if (words.n > 0 && strchr(words.v[0], '=') == NULL &&
		    bk_is_rspamd_milter(words.v[0])) {
			bk_link(pf->site, from, "rspamd", kind, words.v[0],
			    SOCKSPEC_POSTFIX, NULL, where != NULL ? where :
			    "default", loc);
			what = xasprintf("the milter %s", words.v[0]);
			bk_unread_signer(pf->site, "rspamd", what,
			    where != NULL ? where : "default");
			free(what);
		} else if (words.n > 0 && strchr(words.v[0], '=') == NULL)
			bk_link(pf->site, from, "?", kind, words.v[0],
			    SOCKSPEC_POSTFIX, NULL, where != NULL ? where :
			    "default", loc);
		strv_free(&words);
	}
	strv_free(&elems);
}

/*
 * The master.cf service mail to other domains leaves by: the transport of
 * default_transport (its default smtp; a ":nexthop" after it is dropped)
 * when master.cf has it as a unix service running smtp(8), else NULL.
 */
static const struct conf_entry *
pf_out_service(struct pf *pf)
{
	const struct conf_entry *e;
	const char *cmd, *slash;
	char *tr, *key;

	if (pf->master == NULL)
		return NULL;
	tr = pf_get(pf, "default_transport", NULL, NULL);
	tr[strcspn(tr, ":")] = '\0';
	key = xasprintf("%s/unix", *tr != '\0' ? tr : "smtp");
	e = conf_find(pf->master, key);
	free(key);
	free(tr);
	if (e == NULL || e->argc < 8)
		return NULL;
	cmd = (slash = strrchr(e->argv[7], '/')) != NULL ? slash + 1 :
	    e->argv[7];
	return strcmp(cmd, "smtp") == 0 ? e : NULL;
}

/*
 * The name the smtp client gives in HELO, so the one PTR and HELO SPF
 * need: "-o smtp_helo_name=NAME" on the service mail leaves by (it
 * overrides main.cf for that service), else main.cf's smtp_helo_name when
 * set (its default is $myhostname, the hostname).
 */
static void
pf_helo(struct pf *pf)
{
	const struct conf_entry *e = pf_out_service(pf);
	const char *opt = NULL;
	struct site_loc loc;
	char *where, *value, *show, *name;

	if (e != NULL && (opt = conf_master_option(e, "smtp_helo_name")) !=
	    NULL) {
		pf->service = e->argv[0];
		value = pf_expand(pf, opt, 0);
		pf->service = NULL;
		where = bk_where(pf->master, e, &loc);
		name = xasprintf("master.cf %s -o smtp_helo_name", e->key);
	} else {
		value = pf_get(pf, "smtp_helo_name", &where, &loc);
		name = xstrdup("smtp_helo_name");
	}
	if (where == NULL || *value == '\0')
		;	/* $myhostname */
	else if (!site_valid_domain(value, 0)) {
		show = bk_quote(value);
		site_fail(pf->site, "%s: smtp_helo_name \"%s\" is not a fully "
		    "qualified domain name: receivers reject such a HELO; set "
		    "smtp_helo_name to the mail host name in %s", where, show,
		    opt != NULL ? "master.cf" : "main.cf");
		free(show);
	} else {
		bk_fact(pf->site, "postfix", name, value, where, &loc);
		site_set_helo(pf->site, value, where, &loc);
	}
	free(name);
	free(value);
	free(where);
}

/* The facts of main.cf, the hostname and the global signing links. */
static void
pf_main_facts(struct pf *pf)
{
	struct site_loc loc;
	char *where, *value;
	size_t i;

	for (i = 0; pf_fact_names[i] != NULL; i++) {
		value = pf_get(pf, pf_fact_names[i], &where, &loc);
		if (strcmp(pf_fact_names[i], "myhostname") == 0 &&
		    where == NULL && pf->hostsource != NULL)
			bk_fact(pf->site, "postfix", pf_fact_names[i], value,
			    pf->hostsource, &pf->hostloc);
		else
			bk_fact(pf->site, "postfix", pf_fact_names[i], value,
			    where != NULL ? where : "default", &loc);
		free(value);
		free(where);
	}

	value = pf_get(pf, "myhostname", &where, &loc);
	if (*value == '\0')
		;	/* Left to the site's own fallback. */
	else if (!site_valid_domain(value, 0)) {
		char *show = bk_quote(value);
		site_warn(pf->site, "%s: myhostname \"%s\" is not a fully "
		    "qualified domain name; set myhostname in main.cf",
		    where != NULL ? where : "default", show);
		free(show);
	} else if (pf->site->hostname == NULL)
		site_set_hostname(pf->site, value, where != NULL ? where :
		    pf->hostsource, where != NULL ? &loc : &pf->hostloc);
	if (where == NULL && *value != '\0' &&
	    strlen(value) > 12 &&
	    strcmp(value + strlen(value) - 12, ".localdomain") == 0)
		site_warn(pf->site, "%s: myhostname is not set and the "
		    "system's host name has no domain, so Postfix calls itself "
		    "%s; set myhostname = <mail host name> in main.cf",
		    pf->main->path, value);
	free(value);
	free(where);

	value = pf_get(pf, "smtpd_milters", &where, &loc);
	pf_milter_links(pf, "postfix smtpd", "milter", value, where, &loc);
	free(value);
	free(where);
	value = pf_get(pf, "non_smtpd_milters", &where, &loc);
	pf_milter_links(pf, "postfix cleanup", "milter", value, where,
	    &loc);
	free(value);
	free(where);
	value = pf_get(pf, "content_filter", &where, &loc);
	if (*value != '\0')
		bk_link(pf->site, "postfix", "?", "content_filter", value,
		    SOCKSPEC_NEXTHOP, NULL, where != NULL ? where : "default",
		    &loc);
	free(value);
	free(where);
}

/* Is the master.cf entry one whose settings matter for signing? */
static int
pf_master_relevant(const struct conf_entry *e)
{
	const char *cmd = e->argv[7], *slash;

	if ((slash = strrchr(cmd, '/')) != NULL)
		cmd = slash + 1;
	return strcmp(e->argv[1], "inet") == 0 || strcmp(cmd, "smtpd") == 0 ||
	    strcmp(cmd, "cleanup") == 0;
}

/* An inet service named host:port (the way back from a content filter
 * such as dkimproxy: "127.0.0.1:10028 inet ... smtpd") listens there. */
static void
pf_listen_link(struct pf *pf, const struct conf_entry *e, const char *where,
    const struct site_loc *loc)
{
	struct sockspec ss;
	char *owner, *cause = NULL;

	if (sockspec_parse(SOCKSPEC_HOSTPORT, e->argv[0], &ss, &cause) != 0) {
		free(cause);	/* a template's placeholder, not an address */
		return;
	}
	sockspec_free(&ss);
	owner = xasprintf("postfix %s", e->key);
	bk_link(pf->site, "?", owner, "listen", e->argv[0], SOCKSPEC_HOSTPORT,
	    NULL, where, loc);
	free(owner);
}

/* Facts and links of one master.cf service. */
static void
pf_master_entry(struct pf *pf, const struct conf_doc *doc,
    const struct conf_entry *e)
{
	struct buf cmd;
	struct site_loc loc;
	char *where = bk_where(doc, e, &loc), *name, *from, *value, *eq;
	const char *chroot = e->argv[4], *opt;
	int i;

	if (strcmp(chroot, "-") == 0)
		chroot = pf->compat >= 1 ? "n" : "y";
	name = xasprintf("master.cf %s chroot", e->key);
	bk_fact(pf->site, "postfix", name, chroot, where, &loc);
	free(name);

	buf_init(&cmd);
	buf_adds(&cmd, e->argv[7]);
	pf->service = e->argv[0];
	for (i = 8; i < e->argc; i++) {
		if (strcmp(e->argv[i], "-o") == 0 && i + 1 < e->argc) {
			i++;
			if ((eq = strchr(e->argv[i], '=')) == NULL)
				continue;
			name = xasprintf("master.cf %s -o %.*s", e->key,
			    (int)(eq - e->argv[i]), e->argv[i]);
			value = pf_expand(pf, eq + 1, 0);
			bk_fact(pf->site, "postfix", name, value, where, &loc);
			free(value);
			free(name);
			continue;
		}
		buf_addc(&cmd, ' ');
		buf_adds(&cmd, e->argv[i]);
	}
	name = xasprintf("master.cf %s command", e->key);
	bk_fact(pf->site, "postfix", name, cmd.data, where, &loc);
	free(name);
	buf_free(&cmd);

	if (strcmp(e->argv[1], "inet") == 0 && strchr(e->argv[0], ':') != NULL)
		pf_listen_link(pf, e, where, &loc);

	from = xasprintf("postfix %s", e->key);
	if ((opt = conf_master_option(e, "smtpd_milters")) != NULL) {
		value = pf_expand(pf, opt, 0);
		pf_milter_links(pf, from, "milter", value, where, &loc);
		free(value);
	}
	if ((opt = conf_master_option(e, "content_filter")) != NULL) {
		value = pf_expand(pf, opt, 0);
		if (*value != '\0')
			bk_link(pf->site, from, "?", "content_filter", value,
			    SOCKSPEC_NEXTHOP, NULL, where, &loc);
		free(value);
	}
	pf->service = NULL;
	free(from);
	free(where);
}

/* master.cf: chroot, command and -o overrides of the relevant services. */
static int
pf_master(struct pf *pf, const char *dir, char **cause)
{
	const struct conf_doc *doc;
	char *path = xasprintf("%s/master.cf", dir), *why = NULL;
	size_t i;

	if (!fsroot_exists(pf->ctx->root, path)) {
		site_fail(pf->site, "%s: missing; Postfix cannot start without "
		    "it: reinstall the package's master.cf", path);
		free(path);
		return 0;
	}
	if ((doc = bk_conf_load(pf->site, pf->ctx->root, CONF_POSTFIX_MASTER,
	    path, &why)) == NULL) {
		error_set(cause, "%s", why);
		free(why);
		free(path);
		return -1;
	}
	pf->master = doc;
	for (i = 0; i < doc->nentries; i++) {
		const struct conf_entry *e = &doc->entries[i];
		if (e->argc < 8 || e->key == NULL ||
		    conf_find(doc, e->key) != e)
			continue;	/* short, or overridden by a later line */
		if (pf_master_relevant(e))
			pf_master_entry(pf, doc, e);
	}
	free(path);
	return 0;
}

/* The master.cf service whose chroot column decides for a link from
 * "postfix X": smtpd_milters of main.cf are dialled by smtp/inet, non_smtpd
 * ones by cleanup/unix, a -o override by its own service. */
static const char *
pf_link_service(const char *from)
{
	const char *s = from + strlen("postfix ");

	if (strcmp(s, "smtpd") == 0)
		return "smtp/inet";
	if (strcmp(s, "cleanup") == 0)
		return "cleanup/unix";
	return s;
}

/*
 * The socket file each unix milter really is: every Postfix daemon works in
 * queue_directory, and a chrooted one (master.cf column 5) also chroots
 * there, so "unix:opendkim/x.sock" is always queue_directory/opendkim/x.sock
 * and a chrooted "unix:/run/opendkim/x.sock" is
 * queue_directory/run/opendkim/x.sock (see site_link_reach).
 */
static void
pf_socket_reach(struct pf *pf)
{
	const struct site_fact *qf, *cf;
	struct site_link *l;
	const char *qdir, *svc;
	char *name, *path, *why;
	size_t i, ql;
	int chrooted;

	qf = site_fact(pf->site, "postfix", "queue_directory");
	qdir = qf != NULL && qf->value[0] == '/' ? qf->value :
	    "/var/spool/postfix";
	ql = strlen(qdir);
	while (ql > 1 && qdir[ql - 1] == '/')
		ql--;
	for (i = 0; i < pf->site->nlinks; i++) {
		l = &pf->site->links[i];
		if (!str_startswith(l->from, "postfix ") ||
		    strcmp(l->kind, "milter") != 0 || l->sock.path == NULL ||
		    (l->sock.transport != SOCKSPEC_UNIX &&
		    l->sock.transport != SOCKSPEC_LOCAL))
			continue;
		svc = pf_link_service(l->from);
		name = xasprintf("master.cf %s chroot", svc);
		cf = site_fact(pf->site, "postfix", name);
		free(name);
		chrooted = cf != NULL ? strcmp(cf->value, "y") == 0 :
		    pf->compat < 1;
		if (l->sock.relative) {
			path = xasprintf("%.*s/%s", (int)ql, qdir, l->sock.path);
			why = xasprintf("a relative path is taken from "
			    "queue_directory %.*s", (int)ql, qdir);
		} else if (chrooted) {
			path = xasprintf("%.*s%s", (int)ql, qdir, l->sock.path);
			why = xasprintf("%s runs chrooted in %.*s, %s column 5",
			    svc, (int)ql, qdir, cf != NULL && cf->source != NULL ?
			    cf->source : "master.cf default");
		} else
			continue;
		site_link_reach(l, path, why);
		free(path);
		free(why);
	}
}

static int
pf_load(const struct backend_ctx *ctx, const struct site_program *prog,
    struct site *site, char **cause)
{
	struct pf pf;
	char *dir = NULL, *slash;
	int rc = -1;

	memset(&pf, 0, sizeof pf);
	pf.hostloc = site_loc_entry(NULL, NULL);
	pf.ctx = ctx;
	pf.site = site;
	if (prog->config == NULL)
		return error_set(cause, "postfix: no main.cf");
	if ((pf.main = bk_conf_load(site, ctx->root, CONF_POSTFIX_MAIN,
	    prog->config, cause)) == NULL)
		return -1;
	dir = xstrdup(prog->config);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (conf_find(pf.main, "myhostname") == NULL)
		pf_system_hostname(&pf);
	pf.compat = pf_compat(&pf);

	pf_main_facts(&pf);
	pf_domains(&pf);
	if (pf_master(&pf, *dir != '\0' ? dir : "/", cause) != 0)
		goto done;
	pf_helo(&pf);
	pf_socket_reach(&pf);
	if (pf.loop)
		site_warn(site, "%s: parameter expansion goes deeper than %d "
		    "levels or grows too large (a parameter refers to "
		    "itself?); fix the $name references", prog->config,
		    PF_DEPTH_MAX);
	rc = 0;
done:
	free(dir);
	free(pf.hostname);
	free(pf.hostsource);
	return rc;
}

/* master.pid under queue_directory (the fact, or Postfix's default). */
static char *
pf_pidfile(const struct site *site)
{
	const struct site_fact *f = site_fact(site, "postfix",
	    "queue_directory");

	return xasprintf("%s/pid/master.pid", f != NULL &&
	    f->value[0] == '/' ? f->value : "/var/spool/postfix");
}

/* postfix -c DIR check */
static void
pf_validate_argv(const struct backend_ctx *ctx,
    const struct site_program *prog, struct strv *argv)
{
	static const char *const bins[] = { "/usr/sbin/postfix",
	    "/usr/local/sbin/postfix", NULL };
	char *bin = bk_first_existing(ctx->root, bins), *dir, *slash;

	dir = xstrdup(prog->config);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	strv_add(argv, bin != NULL ? bin : bins[0]);
	strv_add(argv, "-c");
	strv_add(argv, *dir != '\0' ? dir : "/");
	strv_add(argv, "check");
	free(dir);
	free(bin);
}

/*
 * inet_protocols: "all" (the default), or a list of ipv4 and ipv6; the
 * families every client of Postfix (smtpd, cleanup dialling milters) may
 * use.  "all" leaves both (the kernel may still lack IPv6).
 */
static int
pf_client_families(const struct site *site, char **source)
{
	const struct site_fact *f = site_fact(site, "postfix",
	    "inet_protocols");
	struct strv w;
	size_t i;
	int fam = 0;

	if (f == NULL || f->value == NULL)
		return BACKEND_IPV4 | BACKEND_IPV6;
	*source = xasprintf("inet_protocols = %s (%s)", f->value,
	    f->source != NULL ? f->source : "default");
	strv_init(&w);
	str_split(f->value, ", \t", &w);
	for (i = 0; i < w.n; i++) {
		if (strcasecmp(w.v[i], "all") == 0)
			fam |= BACKEND_IPV4 | BACKEND_IPV6;
		else if (strcasecmp(w.v[i], "ipv4") == 0)
			fam |= BACKEND_IPV4;
		else if (strcasecmp(w.v[i], "ipv6") == 0)
			fam |= BACKEND_IPV6;
	}
	strv_free(&w);
	return fam != 0 ? fam : BACKEND_IPV4 | BACKEND_IPV6;
}

static const char *const pf_procnames[] = { "master", NULL };
static const char *const pf_native_reload[] = { "/usr/sbin/postfix",
    "reload", NULL };

const struct backend backend_postfix = {
	.name = "postfix",
	.role = BACKEND_MTA,
	.conf_key = "postfix_config_dir",
	.reload_key = "postfix_reload",
	.detect = pf_detect,
	.load = pf_load,
	.unit = "postfix",
	.initscript = "postfix",
	.rcname = "postfix",
	.procnames = pf_procnames,
	.proc_scan = 0,		/* "master" is too common a name */
	.native_reload = pf_native_reload,
	.pidfile = pf_pidfile,
	.validate_argv = pf_validate_argv,
	.plan = postfix_plan,
	.client_user = "postfix",
	.client_user_fact = "mail_owner",
	.client_families = pf_client_families,
};
