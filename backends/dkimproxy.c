/* dkimproxy.c: the dkimproxy backend (dkimproxy_out.conf, read side).
 *
 * Detected when its configuration exists; dkimproxy_installed (common.h)
 * also finds it installed without one (pkg_add dkimproxy), for the plan
 * that writes the first.
 *
 * Keys: every signing domain (the "domain" list, or a file of domains when
 * it starts with '/') with the global keyfile and selector, which the first
 * "signature dkim(key=...,s=...)" may override; plus the sender_map lines,
 * whose dkim(key=,s=,d=) options override those per sender or domain.
 *
 * Relative paths (dkimproxy's own example has "keyfile private.key"):
 * dkimproxy.out opens them from its working directory.  Its init scripts
 * (the upstream sample, Debian's, NetBSD's rc.d) and systemd start it in
 * "/" and it does not chdir elsewhere, so a relative keyfile, key= or
 * sender_map is taken from "/" inside the root (or from WorkingDirectory=
 * when the site's dkimproxy unit sets one), and reported.  Never from
 * notspam's own working directory.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

static const char *const dp_configs[] = {
	"/etc/dkimproxy_out.conf", "/etc/dkimproxy/dkimproxy_out.conf",
	"/usr/local/etc/dkimproxy_out.conf", NULL
};
static const char *const dp_binaries[] = {
	"/usr/local/bin/dkimproxy.out", "/usr/sbin/dkimproxy.out",
	"/usr/bin/dkimproxy.out", NULL
};
static const char *const dp_facts[] = {
	"listen", "relay", "domain", "selector", "keyfile", "method",
	"sender_map", "user", "group", "pidfile", "reject_error", NULL
};

/* Options of one dkim(...) signature that name a key. */
struct dp_sig {
	char	*key;
	char	*selector;
	char	*domain;
};

struct dp {
	const struct backend_ctx *ctx;
	struct site		*site;
	const struct conf_doc	*conf;
	char			*cwd;		/* its working directory */
};

/* Units that may set dkimproxy's WorkingDirectory=, the most specific
 * first. */
static const char *const dp_units[] = {
	"/etc/systemd/system/dkimproxy.service.d/override.conf",
	"/etc/systemd/system/dkimproxy.service",
	"/lib/systemd/system/dkimproxy.service",
	"/usr/lib/systemd/system/dkimproxy.service",
	NULL
};

/* dkimproxy's working directory: a unit's absolute WorkingDirectory=,
 * else "/".  Caller frees. */
static char *
dp_workdir(const struct backend_ctx *ctx)
{
	char *data, *line, *next, *found = NULL;
	size_t len, i;

	for (i = 0; dp_units[i] != NULL && found == NULL; i++) {
		if (fsroot_read(ctx->root, dp_units[i], 0, &data, &len,
		    NULL) != 0)
			continue;
		for (line = data; line != NULL; line = next) {
			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			str_trim(line);
			if (!str_startswith(line, "WorkingDirectory="))
				continue;
			line += 17;
			line += *line == '-';	/* "-": ignore if missing */
			free(found);
			found = line[0] == '/' && !bk_has_control(line) ?
			    xstrdup(line) : NULL;
		}
		free(data);
	}
	return found != NULL ? found : xstrdup("/");
}

/* A path as dkimproxy opens it (see the top); a relative one is reported
 * at where.  Caller frees. */
static char *
dp_path(struct dp *dp, const char *path, const char *where,
    const char *what)
{
	char *abs = bk_daemon_path(dp->cwd, path), *show;

	if (path[0] != '/') {
		show = bk_quote(path);
		site_warn(dp->site, "%s: %s %s is a relative path: dkimproxy "
		    "opens it from its working directory %s, so it is %s (not "
		    "a file beside the config); write the absolute path", where,
		    what, show, dp->cwd, abs);
		free(show);
	}
	return abs;
}

static int
dp_detect(const struct backend_ctx *ctx, struct site_program *prog)
{
	const char *over = NULL;
	char *config, *binary, *version;

	over = bk_setting_config(ctx, &backend_dkimproxy);
	if ((config = bk_config_path(ctx->root, over, dp_configs)) == NULL)
		return 0;
	if (!fsroot_exists(ctx->root, config)) {
		free(config);
		return 0;
	}
	binary = bk_first_existing(ctx->root, dp_binaries);
	version = bk_package_version(ctx->root, "dkimproxy", "dkimproxy");
	bk_fill_program(prog, &backend_dkimproxy, binary, version, config);
	free(binary);
	free(version);
	free(config);
	return 1;
}

/* ---- Installed, configured or not ---- */

/* OpenBSD's rc.d script of the package (pkg/dkimproxy_out.rc: daemon_flags
 * "--conf_file=/etc/dkimproxy_out.conf --user=_dkimproxy
 * --group=_dkimproxy"), and the file rcctl enable writes. */
#define DP_RCSCRIPT	"/etc/rc.d/dkimproxy_out"
#define DP_RCCONF	"/etc/rc.conf.local"
#define DP_RCCTL	"/usr/sbin/rcctl"
/* Where the packages put the example (OpenBSD's FAKE_FLAGS sysconfdir;
 * a source install's prefix). */
static const char *const dp_examples[] = {
	"/usr/local/share/examples/dkimproxy/dkimproxy_out.conf.example",
	"/usr/local/etc/dkimproxy_out.conf.example",
	"/usr/share/doc/dkimproxy/examples/dkimproxy_out.conf.example",
	NULL
};

/* The value of option "--NAME=" in a script's text, up to a blank or a
 * quote, when it is a plain word (a path, or a user name); NULL if none.
 * Caller frees. */
static char *
dp_rc_option(const char *text, const char *name)
{
	const char *p;
	char *v;
	size_t n;

	if ((p = strstr(text, name)) == NULL)
		return NULL;
	p += strlen(name);
	n = strcspn(p, " \t\n\"'");
	if (n == 0 || n > 255)
		return NULL;
	v = xstrndup(p, n);
	if (bk_has_control(v)) {
		free(v);
		return NULL;
	}
	return v;
}

/* Does rc.conf.local start dkimproxy_out at boot: pkg_scripts names it and
 * its flags are not NO (rcctl enable writes both)? */
static int
dp_rc_enabled(const char *root)
{
	char *data = NULL, *line, *next;
	size_t len;
	struct strv w;
	int listed = 0, off = 0;

	if (fsroot_read(root, DP_RCCONF, 64 * 1024, &data, &len, NULL) != 0)
		return 0;
	for (line = data; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		str_trim(line);
		if (str_startswith(line, "dkimproxy_out_flags=NO"))
			off = 1;
		if (!str_startswith(line, "pkg_scripts="))
			continue;
		strv_init(&w);
		str_split(line + 12, " \t\"'", &w);
		listed = strv_find(&w, "dkimproxy_out") != -1;
		strv_free(&w);
	}
	free(data);
	return listed && !off;
}

int
dkimproxy_installed(const struct backend_ctx *ctx,
    struct dkimproxy_install *inst)
{
	const char *over;
	char *rc = NULL, *conf = NULL;
	size_t len;
	int openbsd;

	memset(inst, 0, sizeof *inst);
	inst->enabled = -1;
	if ((inst->binary = bk_first_existing(ctx->root, dp_binaries)) == NULL)
		return 0;
	openbsd = fsroot_exists(ctx->root, DP_RCCTL);
	inst->enabled = openbsd ? dp_rc_enabled(ctx->root) : -1;
	if (fsroot_read(ctx->root, DP_RCSCRIPT, 64 * 1024, &rc, &len,
	    NULL) == 0) {
		conf = dp_rc_option(rc, "--conf_file=");
		inst->user = dp_rc_option(rc, "--user=");
		inst->group = dp_rc_option(rc, "--group=");
		free(rc);
	}
	if (conf != NULL && conf[0] != '/') {
		free(conf);
		conf = NULL;
	}
	over = bk_setting_config(ctx, &backend_dkimproxy);
	if (over != NULL) {
		free(conf);
		conf = xstrdup(over);
	}
	/* OpenBSD's package reads /etc (its SYSCONFDIR); a source install
	 * under /usr/local its prefix's etc; a distribution's package
	 * /etc/dkimproxy. */
	if (conf == NULL)
		conf = xstrdup(openbsd ? dp_configs[0] :
		    str_startswith(inst->binary, "/usr/local/") ? dp_configs[2] :
		    dp_configs[1]);
	inst->config = conf;
	inst->example = bk_first_existing(ctx->root, dp_examples);
	return 1;
}

void
dkimproxy_install_free(struct dkimproxy_install *inst)
{
	free(inst->binary);
	free(inst->config);
	free(inst->user);
	free(inst->group);
	free(inst->example);
	memset(inst, 0, sizeof *inst);
}

static void
dp_sig_free(struct dp_sig *sig)
{
	free(sig->key);
	free(sig->selector);
	free(sig->domain);
	memset(sig, 0, sizeof *sig);
}

/*
 * Find the first "dkim(...)" in s and read its key=, s= and d= options.
 * Returns 1 if there was one.  *domainkeys is set if s has a
 * domainkeys(...) signature.
 */
static int
dp_parse_sig(const char *s, struct dp_sig *sig, int *domainkeys)
{
	const char *p, *end;
	struct strv opts;
	char *body;
	size_t i;

	memset(sig, 0, sizeof *sig);
	if (domainkeys != NULL)
		*domainkeys = strstr(s, "domainkeys") != NULL;
	for (p = s; (p = strstr(p, "dkim")) != NULL; p += 4) {
		if (p > s && p[-1] != ' ' && p[-1] != '\t' && p[-1] != ',')
			continue;
		break;
	}
	if (p == NULL)
		return 0;
	p += 4;
	if (*p != '(')
		return 1;	/* "dkim" without options */
	if ((end = strchr(p, ')')) == NULL)
		end = p + strlen(p);
	body = xstrndup(p + 1, (size_t)(end - p - 1));
	strv_init(&opts);
	str_split(body, ",", &opts);
	for (i = 0; i < opts.n; i++) {
		str_trim(opts.v[i]);
		if (str_startswith(opts.v[i], "key=")) {
			free(sig->key);
			sig->key = xstrdup(opts.v[i] + 4);
		} else if (str_startswith(opts.v[i], "s=")) {
			free(sig->selector);
			sig->selector = xstrdup(opts.v[i] + 2);
		} else if (str_startswith(opts.v[i], "d=")) {
			free(sig->domain);
			sig->domain = xstrdup(opts.v[i] + 2);
		}
	}
	strv_free(&opts);
	free(body);
	return 1;
}

/* Add a signing domain with its key (domain receives 0). */
static void
dp_add(struct dp *dp, const char *raw, const char *selector,
    const char *keyfile, const char *where, const struct site_loc *loc,
    const char *what)
{
	char *d, *src, *abs;

	if ((d = bk_domain(dp->site, raw, where, "domain")) == NULL)
		return;
	if (keyfile != NULL) {
		abs = bk_daemon_path(dp->cwd, keyfile);
		bk_key(dp->site, dp->ctx->root, d, selector, abs,
		    "dkimproxy", where, loc);
		free(abs);
	}
	src = xasprintf("dkimproxy %s (%s)", what, where);
	site_add_domain(dp->site, d, 0, src, loc);
	free(src);
	free(d);
}

/* The sender_map file, or NULL (the failure said). */
static const struct conf_doc *
dp_map_load(struct dp *dp, const char *path, const char *where)
{
	const struct conf_doc *doc;
	char *cause = NULL, *show, *abs;

	abs = dp_path(dp, path, where, "sender_map");
	doc = bk_conf_load(dp->site, dp->ctx->root, CONF_DKIMPROXY, abs,
	    &cause);
	free(abs);
	if (doc == NULL) {
		show = bk_san(cause);
		site_fail(dp->site, "%s: sender_map: %s; dkimproxy does not "
		    "start: create it or fix the path", where, show);
		free(show);
		free(cause);
	}
	return doc;
}

/* Does the sender map decide for every sender of domain d: an entry for
 * d, for a parent domain of it, or "." (dkimproxy.out looks the sender
 * up there first and, found, never signs with the global key)? */
static int
dp_map_covers(const struct conf_doc *map, const char *d)
{
	const char *p;
	size_t i;

	for (i = 0; map != NULL && i < map->nentries; i++) {
		if (strcmp(map->entries[i].key, ".") == 0)
			return 1;
		for (p = d; p != NULL; p = (p = strchr(p, '.')) != NULL ?
		    p + 1 : NULL)
			if (strcasecmp(map->entries[i].key, p) == 0)
				return 1;
	}
	return 0;
}

/* The sender_map file: "sender-or-domain dkim(key=...,s=...)". */
static void
dp_sender_map(struct dp *dp, const struct conf_doc *doc,
    const char *selector, const char *keyfile)
{
	struct dp_sig sig;
	struct site_loc loc;
	const char *dom, *at;
	char *w;
	size_t i;

	for (i = 0; doc != NULL && i < doc->nentries; i++) {
		const struct conf_entry *e = &doc->entries[i];
		w = bk_where(doc, e, &loc);
		if (!dp_parse_sig(e->value != NULL ? e->value : "", &sig,
		    NULL)) {
			free(w);
			continue;	/* no DKIM signature for this sender */
		}
		dom = e->key;
		if ((at = strrchr(dom, '@')) != NULL)
			dom = at + 1;
		if (sig.domain != NULL)
			dom = sig.domain;
		if (sig.key != NULL && sig.key[0] != '/')
			free(dp_path(dp, sig.key, w, "key="));
		dp_add(dp, dom, sig.selector != NULL ? sig.selector : selector,
		    sig.key != NULL ? sig.key : keyfile, w, &loc, "sender_map");
		dp_sig_free(&sig);
		free(w);
	}
}

/* The signing domains, the global key and the sender_map keys. */
static void
dp_keys(struct dp *dp)
{
	const struct conf_entry *dom, *sm, *e;
	const struct conf_doc *map;
	struct strv domains;
	struct bk_wheres wheres;
	struct site_loc loc;
	struct dp_sig sig, other;
	const char *selector, *keyfile;
	char *where, *cause = NULL, *show;
	size_t i;
	int have = 0, dk = 0;

	memset(&sig, 0, sizeof sig);
	for (i = 0; i < dp->conf->nentries; i++) {
		e = &dp->conf->entries[i];
		if (strcasecmp(e->key, "signature") != 0)
			continue;
		if (!have)
			have = dp_parse_sig(e->value, &sig, &dk);
		else {
			dp_parse_sig(e->value, &other, &dk);
			dp_sig_free(&other);
		}
		if (dk) {
			where = conf_where(dp->conf, e);
			site_warn(dp->site, "%s: DomainKeys signatures are "
			    "obsolete (RFC 4870 is historic) and only add "
			    "bytes; remove this signature line", where);
			free(where);
		}
	}
	selector = sig.selector != NULL ? sig.selector :
	    conf_get(dp->conf, "selector");
	keyfile = sig.key != NULL ? sig.key : conf_get(dp->conf, "keyfile");
	if (keyfile != NULL && keyfile[0] != '/') {
		e = sig.key != NULL ? NULL : conf_find(dp->conf, "keyfile");
		where = e != NULL ? conf_where(dp->conf, e) :
		    xstrdup(dp->conf->path);
		free(dp_path(dp, keyfile, where, sig.key != NULL ? "key=" :
		    "keyfile"));
		free(where);
	}

	strv_init(&domains);
	bk_wheres_init(&wheres);
	if ((dom = conf_find(dp->conf, "domain")) != NULL) {
		where = bk_where(dp->conf, dom, &loc);
		if (dom->value[0] == '/') {
			if (bk_read_list(dp->site, dp->ctx->root, CONF_PEERLIST,
			    dom->value, &domains, &wheres, &cause) != 0) {
				show = bk_san(cause);
				site_warn(dp->site, "%s: domain: %s; create the "
				    "file or fix the path", where, show);
				free(show);
				free(cause);
			}
		} else {
			str_split(dom->value, ", \t", &domains);
			for (i = 0; i < domains.n; i++)
				bk_wheres_add(&wheres, where, &loc);
		}
		free(where);
	}
	if (domains.n > 0 && keyfile == NULL) {
		where = conf_where(dp->conf, dom);
		site_fail(dp->site, "%s: no keyfile: dkimproxy.out does not "
		    "start; add \"keyfile /path/to/private.key\"", where);
		free(where);
	}
	map = NULL;
	if ((sm = conf_find(dp->conf, "sender_map")) != NULL) {
		where = conf_where(dp->conf, sm);
		map = dp_map_load(dp, sm->value, where);
		free(where);
	}
	for (i = 0; i < domains.n; i++)
		if (!dp_map_covers(map, domains.v[i]))
			dp_add(dp, sig.domain != NULL && domains.n == 1 ?
			    sig.domain : domains.v[i], selector, keyfile,
			    wheres.text.v[i], &wheres.loc[i], "domain");
	dp_sender_map(dp, map, selector, keyfile);
	strv_free(&domains);
	bk_wheres_free(&wheres);
	dp_sig_free(&sig);
}

static int
dp_load(const struct backend_ctx *ctx, const struct site_program *prog,
    struct site *site, char **cause)
{
	struct dp dp;
	const struct conf_entry *e;
	struct site_loc loc;
	char *where, *why = NULL, *show;
	size_t i;

	(void)cause;
	memset(&dp, 0, sizeof dp);
	dp.ctx = ctx;
	dp.site = site;
	if (prog->config == NULL)
		return 0;
	dp.cwd = dp_workdir(ctx);
	/* A broken signer config must not hide the rest of the site. */
	if ((dp.conf = bk_conf_load(site, ctx->root, CONF_DKIMPROXY,
	    prog->config, &why)) == NULL) {
		show = bk_san(why);
		site_fail(site, "%s; dkimproxy will not start until it is "
		    "fixed", show);
		free(show);
		free(why);
		free(dp.cwd);
		return 0;
	}
	for (i = 0; dp_facts[i] != NULL; i++) {
		if ((e = conf_find(dp.conf, dp_facts[i])) == NULL)
			continue;
		where = bk_where(dp.conf, e, &loc);
		bk_fact(site, "dkimproxy", dp_facts[i], e->value, where, &loc);
		if (strcmp(dp_facts[i], "listen") == 0 ||
		    strcmp(dp_facts[i], "relay") == 0)
			bk_link(site, "dkimproxy", "?", dp_facts[i], e->value,
			    SOCKSPEC_HOSTPORT, NULL, where, &loc);
		free(where);
	}
	for (i = 0; i < dp.conf->nentries; i++) {
		e = &dp.conf->entries[i];
		if (strcasecmp(e->key, "signature") != 0)
			continue;
		where = bk_where(dp.conf, e, &loc);
		bk_fact(site, "dkimproxy", "signature", e->value, where, &loc);
		free(where);
	}
	if (conf_find(dp.conf, "listen") == NULL)
		site_warn(site, "%s: no listen address; add \"listen "
		    "127.0.0.1:10027\"", prog->config);
	if (conf_find(dp.conf, "relay") == NULL)
		site_warn(site, "%s: no relay address; add \"relay "
		    "127.0.0.1:10028\"", prog->config);
	dp_keys(&dp);
	free(dp.cwd);
	return 0;
}

/* The pidfile setting when absolute; dkimproxy has no default. */
static char *
dp_pidfile(const struct site *site)
{
	const struct site_fact *f = site_fact(site, "dkimproxy", "pidfile");

	return f != NULL && f->value[0] == '/' ? xstrdup(f->value) : NULL;
}

/* selector and keyfile of dkimproxy_out.conf. */
static char *
dp_switch_text(const struct site *site, const struct backend *b,
    const struct backend_key_switch *sw)
{
	const struct site_program *prog = site_program(site, b->name);
	struct buf out;
	char *reload;

	buf_init(&out);
	buf_printf(&out, "In %s, set:\n\tselector\t%s\n\tkeyfile\t%s\n",
	    prog != NULL && prog->config != NULL ? prog->config :
	    "/etc/dkimproxy/dkimproxy_out.conf", sw->selector, sw->path);
	reload = backend_reload_text(b, site);
	buf_printf(&out, "(a sender_map or signature line with s= or key= "
	    "overrides them: change those too)\nThen: %s", reload);
	free(reload);
	return buf_steal(&out);
}

static const char *const dp_procnames[] = { "dkimproxy.out", "perl", NULL };

const struct backend backend_dkimproxy = {
	.name = "dkimproxy",
	.role = BACKEND_SIGNER,
	.conf_key = "dkimproxy_conf",
	.reload_key = "dkimproxy_reload",
	.detect = dp_detect,
	.load = dp_load,
	.unit = "dkimproxy",
	.initscript = "dkimproxy",
	.rcname = "dkimproxy_out",
	.procnames = dp_procnames,
	.proc_scan = 1,
	.restart_only = 1,	/* no reload: a restart re-reads the file */
	.pidfile = dp_pidfile,
	.plan = dkimproxy_plan,
	/* No check mode: errors show at start. */
	.user = "_dkimproxy",
	.user_fact = "user",
	.key_dir = "/etc/mail/dkim",
	.key_suffix = ".key",
	.switch_text = dp_switch_text,
	.switch_plan = dkimproxy_switch_plan,
};
