/* common.c: helpers shared by the backends. */
#include "backends/common.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lib/fsroot.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

/* The dpkg status file can be large; it is read once per backend. */
#define BK_DPKG_MAX	(64u * 1024 * 1024)

int
bk_root_is_system(const char *root)
{
	return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

char *
bk_first_existing(const char *root, const char *const paths[])
{
	size_t i;

	for (i = 0; paths[i] != NULL; i++)
		if (fsroot_exists(root, paths[i]))
			return xstrdup(paths[i]);
	return NULL;
}

char *
bk_config_path(const char *root, const char *override,
    const char *const defaults[])
{
	if (override != NULL && *override != '\0')
		return xstrdup(override);
	return bk_first_existing(root, defaults);
}

/* The Version of the installed stanza for package pkg in a dpkg status file. */
static char *
bk_dpkg_version(const char *root, const char *pkg)
{
	char *data, *line, *next, *version = NULL, *found = NULL;
	size_t len;
	int match = 0, installed = 0;

	if (fsroot_read(root, "/var/lib/dpkg/status", BK_DPKG_MAX, &data, &len,
	    NULL) != 0)
		return NULL;
	for (line = data; line != NULL && found == NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0') {
			/* End of a stanza. */
			if (match && installed && version != NULL)
				found = version;
			else
				free(version);
			version = NULL;
			match = installed = 0;
			continue;
		}
		if (str_casestartswith(line, "Package:"))
			match = strcmp(str_trim(line + 8), pkg) == 0;
		else if (str_casestartswith(line, "Status:")) {
			str_trim(line + 7);
			len = strlen(line + 7);
			installed = len >= 10 &&
			    strcmp(line + 7 + len - 10, " installed") == 0;
		} else if (str_casestartswith(line, "Version:")) {
			free(version);
			version = xstrdup(str_trim(line + 8));
		}
	}
	if (found == NULL && match && installed && version != NULL)
		found = version;
	else if (found == NULL)
		free(version);
	free(data);
	if (found != NULL && (*found == '\0' || bk_has_control(found))) {
		free(found);
		found = NULL;
	}
	return found;
}

/* OpenBSD: the version from a /var/db/pkg/<name>-<version> directory. */
static char *
bk_obsd_version(const char *root, const char *name)
{
	char *dir = fsroot_host(root, "/var/db/pkg", 1, NULL), *found = NULL;
	struct dirent *de;
	size_t n = strlen(name);
	DIR *d;

	if (dir == NULL)
		return NULL;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, name, n) != 0 || de->d_name[n] != '-' ||
		    !isdigit((unsigned char)de->d_name[n + 1]))
			continue;
		if (bk_has_control(de->d_name + n + 1))
			continue;
		free(found);
		found = xstrdup(de->d_name + n + 1);
	}
	closedir(d);
	free(dir);
	return found;
}

char *
bk_package_version(const char *root, const char *deb, const char *obsd)
{
	char *v = NULL;

	if (deb != NULL)
		v = bk_dpkg_version(root, deb);
	if (v == NULL && obsd != NULL)
		v = bk_obsd_version(root, obsd);
	return v;
}

char *
bk_run_output(const char *root, const char *const argv[])
{
	char *out = NULL, *cause = NULL;
	int status;

	if (!bk_root_is_system(root))
		return NULL;
	if (proc_run(argv, 2000, 4096, &out, &status, &cause) != 0) {
		free(cause);
		return NULL;
	}
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

void
bk_fill_program(struct site_program *prog, const struct backend *b,
    const char *binary, const char *version, const char *config)
{
	prog->name = xstrdup(b->name);
	prog->role = xstrdup(backend_role_name(b->role));
	prog->binary = binary != NULL ? xstrdup(binary) : NULL;
	prog->version = version != NULL ? xstrdup(version) : NULL;
	prog->config = config != NULL ? xstrdup(config) : NULL;
}

const char *
bk_setting_config(const struct backend_ctx *ctx, const struct backend *b)
{
	return settings_backend(ctx->settings, b->name)->config;
}

void
bk_wheres_init(struct bk_wheres *w)
{
	memset(w, 0, sizeof *w);
	strv_init(&w->text);
}

void
bk_wheres_add(struct bk_wheres *w, const char *text,
    const struct site_loc *loc)
{
	struct site_loc none = { NULL, 0, NULL, SITE_LOC_NOENTRY };

	strv_add(&w->text, text);
	w->loc = xgrow(w->loc, w->n, sizeof *w->loc);
	w->loc[w->n++] = loc != NULL ? *loc : none;
}

void
bk_wheres_free(struct bk_wheres *w)
{
	strv_free(&w->text);
	free(w->loc);
	memset(w, 0, sizeof *w);
}

char *
bk_where(const struct conf_doc *doc, const struct conf_entry *e,
    struct site_loc *loc)
{
	*loc = site_loc_entry(doc, e);
	return conf_where(doc, e);
}

char *
bk_mask_secrets(const char *s)
{
	struct buf b;
	const char *p = s, *scheme, *end, *at, *colon, *q;

	buf_init(&b);
	buf_add(&b, "", 0);
	while ((scheme = strstr(p, "://")) != NULL) {
		scheme += 3;
		/* The userinfo ends at the last '@' of the word. */
		end = scheme + strcspn(scheme, " \t\r\n,");
		at = NULL;
		for (q = scheme; q < end; q++)
			if (*q == '@')
				at = q;
		colon = at != NULL ? memchr(scheme, ':', (size_t)(at - scheme)) :
		    NULL;
		if (colon == NULL || colon + 1 == at) {
			buf_add(&b, p, (size_t)(scheme - p));
			p = scheme;
			continue;
		}
		buf_add(&b, p, (size_t)(colon + 1 - p));
		buf_adds(&b, "***");
		p = at;
	}
	buf_adds(&b, p);
	return buf_steal(&b);
}

char *
bk_san(const char *s)
{
	char *m, *out;

	if (s == NULL)
		return xstrdup("");
	m = bk_mask_secrets(s);
	out = str_sanitize(m, strlen(m));
	free(m);
	return out;
}

char *
bk_quote(const char *s)
{
	const unsigned char *p;
	struct buf b;
	char *m, *piece;
	size_t i, n, len;

	if (s == NULL)
		return xstrdup("");
	m = bk_mask_secrets(s);
	p = (const unsigned char *)m;
	len = strlen(m);
	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < len; i += n) {
		n = p[i] >= 0x80 ? utf8_seqlen(p + i, len - i) : 1;
		if (n == 0)
			n = 1;
		piece = str_sanitize(m + i, n);
		if (b.len + strlen(piece) > BK_QUOTE_MAX) {
			free(piece);
			buf_adds(&b, "\xe2\x80\xa6");	/* … */
			break;
		}
		buf_adds(&b, piece);
		free(piece);
	}
	free(m);
	return buf_steal(&b);
}

char *
bk_daemon_path(const char *cwd, const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	if (cwd == NULL || cwd[0] != '/' || strcmp(cwd, "/") == 0)
		return xasprintf("/%s", path);
	return xasprintf("%s%s%s", cwd, cwd[strlen(cwd) - 1] == '/' ? "" :
	    "/", path);
}

void
bk_ents_free(struct bk_ents *ents)
{
	free(ents->v);
	memset(ents, 0, sizeof *ents);
}

const struct bk_ent *
bk_ents_last(const struct bk_ents *ents, const char *key)
{
	size_t i;

	for (i = ents->n; i > 0; i--)
		if (ents->v[i - 1].e->key != NULL &&
		    strcasecmp(ents->v[i - 1].e->key, key) == 0)
			return &ents->v[i - 1];
	return NULL;
}

/* The chain of files being read, for a loop message: "a -> b -> a". */
static char *
bk_chain(const struct strv *stack, const char *again)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < stack->n; i++) {
		buf_adds(&b, stack->v[i]);
		buf_adds(&b, " -> ");
	}
	buf_adds(&b, again);
	return buf_steal(&b);
}

/* One level of bk_conf_flatten(); stack holds the resolved paths being
 * read (the outermost first). */
static void
bk_flatten(struct site *site, const char *root, const struct conf_doc *doc,
    const struct bk_include *inc, struct strv *stack, struct bk_ents *out)
{
	const struct conf_doc *sub;
	const struct conf_entry *e;
	const char *raw;
	char *path, *resolved, *where, *show, *why, *chain;
	size_t i;

	for (i = 0; i < doc->nentries; i++) {
		e = &doc->entries[i];
		if ((raw = inc->path_of(e)) == NULL) {
			out->v = xgrow(out->v, out->n, sizeof *out->v);
			out->v[out->n].doc = doc;
			out->v[out->n++].e = e;
			continue;
		}
		where = conf_where(doc, e);
		show = bk_quote(raw);
		path = bk_daemon_path(inc->cwd, raw);
		if (raw[0] != '/')
			site_warn(site, "%s: %s %s is a relative path: it is "
			    "opened from the working directory %s, so it is %s; "
			    "write the absolute path", where, inc->keyword, show,
			    inc->cwd, path);
		why = NULL;
		sub = NULL;
		if (fsroot_resolve(root, path, 1, &resolved, &why) != 0)
			resolved = NULL;
		if (resolved != NULL && strv_find(stack, resolved) != -1) {
			/* strv_find is case-insensitive; paths are not. */
			size_t k;
			int loop = 0;
			for (k = 0; k < stack->n; k++)
				loop |= strcmp(stack->v[k], resolved) == 0;
			if (loop) {
				chain = bk_chain(stack, resolved);
				site_warn(site, "%s: %s %s leads back to a file "
				    "being read (%s): an include loop; %s: "
				    "remove this line", where, inc->keyword,
				    show, chain, inc->effect);
				free(chain);
				goto next;
			}
		}
		if (stack->n >= BK_INCLUDE_DEPTH) {
			site_warn(site, "%s: %s %s is nested more than %d files "
			    "deep; notspam reads no deeper: include the file "
			    "from a shallower one", where, inc->keyword, show,
			    BK_INCLUDE_DEPTH);
			goto next;
		}
		if (why == NULL && (sub = bk_conf_load(site, root,
		    inc->grammar, path, &why)) == NULL && why == NULL)
			why = xstrdup("cannot be read");
		if (sub == NULL) {
			char *w = bk_san(why);
			site_warn(site, "%s: %s: %s; %s: create the file or fix "
			    "the path", where, inc->keyword, w, inc->effect);
			free(w);
			goto next;
		}
		strv_add(stack, resolved);
		bk_flatten(site, root, sub, inc, stack, out);
		free(stack->v[--stack->n]);
		stack->v[stack->n] = NULL;
next:
		free(why);
		free(resolved);
		free(path);
		free(show);
		free(where);
	}
}

void
bk_conf_flatten(struct site *site, const char *root,
    const struct conf_doc *doc, const struct bk_include *inc,
    struct bk_ents *out)
{
	struct strv stack;
	char *resolved = NULL;

	memset(out, 0, sizeof *out);
	strv_init(&stack);
	if (fsroot_resolve(root, doc->path, 1, &resolved, NULL) == 0)
		strv_add(&stack, resolved);
	else
		strv_add(&stack, doc->path);
	free(resolved);
	bk_flatten(site, root, doc, inc, &stack, out);
	strv_free(&stack);
}

int
bk_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* raw as a domain (trailing dot removed, lower case) if valid, else
 * NULL.  Caller frees. */
static char *
bk_domain_norm(const char *raw)
{
	char *name = xstrdup(raw);
	size_t len = strlen(name);

	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	str_lower(name);
	if (site_valid_domain(name, 0))
		return name;
	free(name);
	return NULL;
}

char *
bk_list_domain(struct site *site, struct bk_rejects *rj, const char *raw,
    const char *where, const char *what)
{
	char *name;

	if ((name = bk_domain_norm(raw)) != NULL)
		return name;
	if (++rj->n <= BK_REJECTS_QUOTED)
		return bk_domain(site, raw, where, what);
	return NULL;
}

void
bk_rejects_report(struct site *site, const struct bk_rejects *rj,
    const char *file, const char *what)
{
	if (rj->n <= BK_REJECTS_QUOTED)
		return;
	site_warn(site, "%s: %zu more lines hold no valid %s (not quoted): is "
	    "this the file the configuration means?", file,
	    rj->n - BK_REJECTS_QUOTED, what);
}

char *
bk_domain(struct site *site, const char *raw, const char *where,
    const char *what)
{
	char *name, *show;

	if ((name = bk_domain_norm(raw)) != NULL)
		return name;
	show = bk_quote(raw);
	site_warn(site, "%s: %s \"%s\" is not a valid domain name (letters, "
	    "digits and hyphens, labels of 1 to 63, at most 253 in all); "
	    "skipped: fix or remove it", where, what, show);
	free(show);
	return NULL;
}

void
bk_fact(struct site *site, const char *program, const char *name,
    const char *value, const char *source, const struct site_loc *loc)
{
	char *n = bk_san(name), *v = bk_san(value != NULL ? value : "unset");

	site_add_fact(site, program, n, v, source, loc);
	free(n);
	free(v);
}

void
bk_link(struct site *site, const char *from, const char *to,
    const char *kind, const char *address, int syntax, const char *endpoint,
    const char *source, const struct site_loc *loc)
{
	char *f = bk_san(from), *a = bk_san(address), *cause = NULL;
	struct sockspec sock;
	int parsed = 0;

	if (syntax != BK_NO_ENDPOINT && (endpoint != NULL || address != NULL))
		parsed = sockspec_parse((enum sockspec_syntax)syntax,
		    endpoint != NULL ? endpoint : address, &sock, &cause) == 0;
	free(cause);
	site_add_link(site, f, to, kind, a, parsed ? &sock : NULL, source,
	    loc);
	if (parsed)
		sockspec_free(&sock);
	free(f);
	free(a);
}

int
bk_key(struct site *site, const char *root, const char *domain,
    const char *selector, const char *keyfile, const char *signer,
    const char *where, const struct site_loc *loc)
{
	return bk_key_at(site, root, domain, selector, keyfile, signer, where,
	    loc, NULL);
}

int
bk_key_at(struct site *site, const char *root, const char *domain,
    const char *selector, const char *keyfile, const char *signer,
    const char *where, const struct site_loc *loc, const char *kwhere)
{
	char *show;
	int bad;

	if (selector == NULL || *selector == '\0') {
		site_warn(site, "%s: no selector for the %s key of %s; set one",
		    where, signer, domain);
		return 0;
	}
	if (!site_valid_domain(selector, 1)) {
		show = bk_quote(selector);
		site_warn(site, "%s: selector \"%s\" is not a valid DNS name "
		    "(letters, digits, hyphens and dots); skipped: choose "
		    "another", where, show);
		free(show);
		return 0;
	}
	if (keyfile != NULL) {
		show = str_sanitize(keyfile, strlen(keyfile));
		bad = strcmp(show, keyfile) != 0;
		free(show);
		show = bk_quote(keyfile);
		if (bad)
			site_warn(site, "%s: key file path \"%s\" holds control "
			    "characters, invalid UTF-8 or a backslash; skipped: "
			    "rename the file", where, show);
		free(show);
		if (bad)
			return 0;
	}
	if (keyfile != NULL && !fsroot_exists(root, keyfile))
		site_warn(site, "%s: key file %s does not exist; generate the "
		    "key (%s._domainkey.%s) or fix the path",
		    kwhere != NULL ? kwhere : where, keyfile,
		    selector, domain);
	site_add_key(site, domain, selector, keyfile, signer, where, loc);
	return 1;
}

const struct conf_doc *
bk_conf_load(struct site *site, const char *root, enum conf_grammar grammar,
    const char *path, char **cause)
{
	const struct conf_doc *kept;
	char *show = str_sanitize(path, strlen(path));
	int bad = strcmp(show, path) != 0;

	free(show);
	if (bad) {
		show = bk_quote(path);
		error_set(cause, "path \"%s\" holds control characters, "
		    "invalid UTF-8 or a backslash; notspam does not read it",
		    show);
		free(show);
		return NULL;
	}
	if ((kept = site_doc(site, path)) != NULL && kept->grammar == grammar)
		return kept;
	return site_keep_doc(site, conf_load(root, grammar, path, cause));
}

int
bk_read_list(struct site *site, const char *root, enum conf_grammar grammar,
    const char *path, struct strv *out, struct bk_wheres *wheres,
    char **cause)
{
	const struct conf_doc *doc;
	struct site_loc loc;
	size_t i;

	if ((doc = bk_conf_load(site, root, grammar, path, cause)) == NULL)
		return -1;
	for (i = 0; i < doc->nentries; i++) {
		const struct conf_entry *e = &doc->entries[i];
		if (e->key == NULL || *e->key == '\0')
			continue;
		strv_add(out, e->key);
		if (wheres != NULL) {
			char *w = bk_where(doc, e, &loc);
			bk_wheres_add(wheres, w, &loc);
			free(w);
		}
	}
	return 0;
}

int
bk_is_loopback(const char *host)
{
	char *h = xstrdup(host);
	size_t len = strlen(h);
	int rc;

	if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
		h[len - 1] = '\0';
		memmove(h, h + 1, len - 1);
	}
	rc = strcasecmp(h, "localhost") == 0 || strcasecmp(h, "lo") == 0 ||
	    strcasecmp(h, "lo0") == 0 || strcmp(h, "::1") == 0 ||
	    strcasecmp(h, "ipv6:::1") == 0 || str_startswith(h, "127.") ||
	    strcasecmp(h, "::ffff:127.0.0.1") == 0;
	free(h);
	return rc;
}

void
bk_unread_signer(struct site *site, const char *name, const char *what,
    const char *where)
{
	char *show;

	if (site->unread_signer != NULL)
		return;
	site_set_unread_signer(site, name, where);
	show = bk_san(what);
	site_warn(site, "%s: %s is %s, a signer notspam does not read: whether "
	    "it signs, and with which keys and selectors, is unknown here; "
	    "list the signing domains in notspam.conf `domains`, check %s's "
	    "DKIM signing settings, and publish a DMARC policy only once "
	    "sent mail carries a valid DKIM signature", where, show, name,
	    name);
	free(show);
}

int
bk_is_rspamd_milter(const char *address)
{
	size_t n = strlen(address);
	char *low;
	int rc;

	if ((n > 6 && strcmp(address + n - 6, ":11332") == 0) ||
	    (n > 5 && strcmp(address + n - 5, ":9900") == 0))
		return 1;
	low = xstrdup(address);
	str_lower(low);
	rc = strstr(low, "rspamd") != NULL;
	free(low);
	return rc;
}

void
bk_check_argv(const struct backend_ctx *ctx, const struct site_program *prog,
    const char *const binaries[], const char *flag, struct strv *argv)
{
	char *bin = bk_first_existing(ctx->root, binaries);

	strv_add(argv, prog->binary != NULL ? prog->binary : bin != NULL ?
	    bin : binaries[0]);
	strv_add(argv, "-n");
	strv_add(argv, flag);
	strv_add(argv, prog->config);
	free(bin);
}
