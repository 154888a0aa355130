/* site.c: the site model and its loading from every detected backend. */
#include "core/site/site.h"

#include <sys/socket.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/netaddr.h"

/* Grow an array of n elements of size sz by one zeroed element. */
static void *
site_grow(void *v, size_t *n, size_t sz)
{
	v = xgrow(v, *n, sz);
	memset((char *)v + *n * sz, 0, sz);
	(*n)++;
	return v;
}

static char *
opt_strdup(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

/* A copy of a location (NULL: none). */
static struct site_loc
site_loc_copy(const struct site_loc *loc)
{
	struct site_loc none = { NULL, 0, NULL, SITE_LOC_NOENTRY };

	return loc != NULL ? *loc : none;
}

void
site_set_hostname(struct site *site, const char *name, const char *source,
    const struct site_loc *loc)
{
	free(site->hostname);
	free(site->hostname_source);
	site->hostname = xstrdup(name);
	str_lower(site->hostname);
	site->hostname_source = opt_strdup(source);
	site->hostname_loc = site_loc_copy(loc);
}

void
site_set_helo(struct site *site, const char *name, const char *source,
    const struct site_loc *loc)
{
	if (site->helo != NULL)
		return;
	site->helo = xstrdup(name);
	str_lower(site->helo);
	site->helo_source = opt_strdup(source);
	site->helo_loc = site_loc_copy(loc);
}

const char *
site_helo(const struct site *site)
{
	return site->helo != NULL ? site->helo : site->hostname;
}

/* Add source to d once (case-insensitively), in O(1): a file can name one
 * domain on every line. */
static void
site_domain_source(struct site *site, struct site_domain *d,
    const char *source)
{
	char *key = xasprintf("%s\n%s", d->name, source);

	if (!strmap_get(&site->dsrc_idx, key, NULL)) {
		strmap_put(&site->dsrc_idx, key, 0);
		strv_add(&d->sources, source);
	}
	free(key);
}

struct site_domain *
site_add_domain(struct site *site, const char *name, int receives,
    const char *source, const struct site_loc *loc)
{
	struct site_domain *d;
	size_t i;

	if (strmap_get(&site->domain_idx, name, &i)) {
		d = &site->domains[i];
		d->receives |= receives;
		if (source != NULL)
			site_domain_source(site, d, source);
		return d;
	}
	site->domains = site_grow(site->domains, &site->ndomains,
	    sizeof *site->domains);
	d = &site->domains[site->ndomains - 1];
	d->name = str_lower(xstrdup(name));
	strmap_put(&site->domain_idx, d->name, site->ndomains - 1);
	d->receives = receives;
	d->loc = site_loc_copy(loc);
	if (source != NULL)
		site_domain_source(site, d, source);
	return d;
}

void
site_add_key(struct site *site, const char *domain, const char *selector,
    const char *keyfile, const char *signer, const char *source,
    const struct site_loc *loc)
{
	struct site_key *k;
	char *id = xasprintf("%s/%s/%s", domain, selector, signer);

	if (strmap_get(&site->key_idx, id, NULL)) {
		free(id);
		return;
	}
	strmap_put(&site->key_idx, id, site->nkeys);
	free(id);
	site->keys = site_grow(site->keys, &site->nkeys, sizeof *site->keys);
	k = &site->keys[site->nkeys - 1];
	k->domain = str_lower(xstrdup(domain));
	k->selector = xstrdup(selector);
	k->keyfile = opt_strdup(keyfile);
	k->signer = xstrdup(signer);
	k->source = opt_strdup(source);
	k->loc = site_loc_copy(loc);
}

void
site_add_link(struct site *site, const char *from, const char *to,
    const char *kind, const char *address, const struct sockspec *sock,
    const char *source, const struct site_loc *loc)
{
	struct site_link *l;

	site->links = site_grow(site->links, &site->nlinks,
	    sizeof *site->links);
	l = &site->links[site->nlinks - 1];
	l->from = xstrdup(from);
	l->to = xstrdup(to != NULL ? to : "?");
	l->kind = xstrdup(kind);
	l->address = opt_strdup(address);
	if (sock != NULL)
		sockspec_copy(&l->sock, sock);
	l->source = opt_strdup(source);
	l->loc = site_loc_copy(loc);
	l->listener = SITE_NOLINK;
}

void
site_link_reach(struct site_link *l, const char *path, const char *why)
{
	free(l->reach);
	free(l->reach_why);
	l->reach = xstrdup(path);
	l->reach_why = opt_strdup(why);
}

void
site_set_unread_signer(struct site *site, const char *name,
    const char *source)
{
	if (site->unread_signer != NULL)
		return;
	site->unread_signer = xstrdup(name);
	site->unread_signer_source = opt_strdup(source);
}

struct site_program *
site_add_program(struct site *site, const char *name, const char *role,
    const char *binary, const char *version, const char *config)
{
	struct site_program *p;

	site->programs = site_grow(site->programs, &site->nprograms,
	    sizeof *site->programs);
	p = &site->programs[site->nprograms - 1];
	p->name = xstrdup(name);
	p->role = xstrdup(role);
	p->binary = opt_strdup(binary);
	p->version = opt_strdup(version);
	p->config = opt_strdup(config);
	return p;
}

void
site_add_fact(struct site *site, const char *program, const char *name,
    const char *value, const char *source, const struct site_loc *loc)
{
	struct site_fact *f;

	site->facts = site_grow(site->facts, &site->nfacts,
	    sizeof *site->facts);
	f = &site->facts[site->nfacts - 1];
	f->program = xstrdup(program);
	f->name = xstrdup(name);
	f->value = xstrdup(value != NULL ? value : "");
	f->source = opt_strdup(source);
	f->loc = site_loc_copy(loc);
}

/* Add a warning of severity sev; unique (case-insensitively), the index
 * keeping that O(1); said again as a failure, it becomes one. */
static void site_warn_add(struct site *, enum site_severity, const char *,
    va_list) PRINTFLIKE(3, 0);

static void
site_warn_add(struct site *site, enum site_severity sev, const char *fmt,
    va_list ap)
{
	char *s;
	size_t i;

	s = xvasprintf(fmt, ap);
	if (strmap_get(&site->warn_idx, s, &i)) {
		if (sev > site->warn_sev[i])
			site->warn_sev[i] = sev;
	} else {
		strmap_put(&site->warn_idx, s, site->warnings.n);
		site->warn_sev = xreallocarray(site->warn_sev,
		    site->warnings.n + 1, sizeof *site->warn_sev);
		site->warn_sev[site->warnings.n] = sev;
		strv_add(&site->warnings, s);
	}
	free(s);
}

void
site_warn(struct site *site, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	site_warn_add(site, SITE_SEV_WARN, fmt, ap);
	va_end(ap);
}

void
site_fail(struct site *site, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	site_warn_add(site, SITE_SEV_FAIL, fmt, ap);
	va_end(ap);
}

enum site_severity
site_warning_severity(const struct site *site, size_t i)
{
	return i < site->warnings.n ? site->warn_sev[i] : SITE_SEV_WARN;
}

const char *
site_severity_name(enum site_severity sev)
{
	return sev == SITE_SEV_FAIL ? "fail" : "warn";
}

/* Does the text before a warning's first ": " name where it was read: a
 * path (with a line number or not) or "default"? */
static int
site_warning_where(const char *s, size_t len)
{
	size_t i;

	if (len == 7 && strncmp(s, "default", 7) == 0)
		return 1;
	if (len == 0 || s[0] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == ' ')
			return 0;
	return 1;
}

void
site_warning_parts(const char *text, char **where, char **problem,
    char **fix)
{
	const char *colon, *semi, *p, *start = text, *end;

	*where = *fix = NULL;
	colon = strstr(text, ": ");
	if (colon != NULL && site_warning_where(text, (size_t)(colon - text))) {
		*where = xstrndup(text, (size_t)(colon - text));
		start = colon + 2;
	}
	semi = NULL;
	for (p = start; (p = strstr(p, "; ")) != NULL; p += 2)
		semi = p;
	end = semi != NULL ? semi : start + strlen(start);
	if (semi != NULL)
		*fix = xstrdup(semi + 2);
	*problem = xstrndup(start, (size_t)(end - start));
}

struct conf_doc *
site_keep_doc(struct site *site, struct conf_doc *doc)
{
	if (doc == NULL)
		return NULL;
	site->docs = xgrow(site->docs, site->ndocs, sizeof *site->docs);
	site->docs[site->ndocs] = doc;
	if (doc->path != NULL && !strmap_get(&site->doc_idx, doc->path, NULL))
		strmap_put(&site->doc_idx, doc->path, site->ndocs);
	site->ndocs++;
	return doc;
}

const struct conf_doc *
site_doc(const struct site *site, const char *path)
{
	size_t i;

	if (path == NULL || !strmap_get(&site->doc_idx, path, &i))
		return NULL;
	/* The index is case-insensitive; paths are not. */
	if (strcmp(site->docs[i]->path, path) == 0)
		return site->docs[i];
	for (i = 0; i < site->ndocs; i++)
		if (strcmp(site->docs[i]->path, path) == 0)
			return site->docs[i];
	return NULL;
}

struct site_loc
site_loc_entry(const struct conf_doc *doc, const struct conf_entry *e)
{
	struct site_loc loc = { NULL, 0, NULL, SITE_LOC_NOENTRY };

	if (doc == NULL)
		return loc;
	loc.file = doc->path;
	loc.doc = doc;
	if (e != NULL && e >= doc->entries && e < doc->entries +
	    doc->nentries) {
		loc.line = e->lineno;
		loc.entry = (size_t)(e - doc->entries);
	}
	return loc;
}

struct site_loc
site_loc_file(struct site *site, const char *path, size_t line)
{
	struct site_loc loc = { NULL, 0, NULL, SITE_LOC_NOENTRY };
	const struct conf_doc *doc;
	size_t i;

	if (path == NULL)
		return loc;
	loc.line = line;
	if ((doc = site_doc(site, path)) != NULL) {
		loc.file = doc->path;
		return loc;
	}
	if (strmap_get(&site->path_idx, path, &i) &&
	    strcmp(site->paths.v[i], path) == 0) {
		loc.file = site->paths.v[i];
		return loc;
	}
	strv_add(&site->paths, path);
	strmap_put(&site->path_idx, path, site->paths.n - 1);
	loc.file = site->paths.v[site->paths.n - 1];
	return loc;
}

const struct conf_entry *
site_loc_conf_entry(const struct site_loc *loc)
{
	if (loc == NULL || loc->doc == NULL || loc->entry == SITE_LOC_NOENTRY ||
	    loc->entry >= loc->doc->nentries)
		return NULL;
	return &loc->doc->entries[loc->entry];
}

char *
site_loc_format(const struct site_loc *loc)
{
	if (loc == NULL || loc->file == NULL)
		return xstrdup("default");
	if (loc->line == 0)
		return xstrdup(loc->file);
	return xasprintf("%s:%zu", loc->file, loc->line);
}

/* The last fact of that name wins (later lines override earlier ones). */
const struct site_fact *
site_fact(const struct site *site, const char *program, const char *name)
{
	size_t i;

	for (i = site->nfacts; i > 0; i--) {
		const struct site_fact *f = &site->facts[i - 1];
		if (strcmp(f->program, program) == 0 &&
		    strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

const struct site_domain *
site_domain(const struct site *site, const char *name)
{
	size_t i;

	if (!strmap_get(&site->domain_idx, name, &i))
		return NULL;
	return &site->domains[i];
}

const struct site_key *
site_key_find(const struct site *site, const char *domain,
    const char *selector, const char *signer)
{
	char *id;
	size_t i;
	int found;

	if (domain == NULL || selector == NULL || signer == NULL)
		return NULL;
	id = xasprintf("%s/%s/%s", domain, selector, signer);
	found = strmap_get(&site->key_idx, id, &i);
	free(id);
	return found ? &site->keys[i] : NULL;
}

const struct site_program *
site_program(const struct site *site, const char *name)
{
	size_t i;

	for (i = 0; i < site->nprograms; i++)
		if (strcmp(site->programs[i].name, name) == 0)
			return &site->programs[i];
	return NULL;
}

int
site_is_localhost(const char *name)
{
	return strcasecmp(name, "localhost") == 0 ||
	    str_casestartswith(name, "localhost.") ||
	    strcasecmp(name, "localdomain") == 0 ||
	    strcasecmp(name, "localhost.localdomain") == 0;
}

int
site_valid_domain(const char *name, int single_label_ok)
{
	size_t len = strlen(name), label = 0, labels = 1, i;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	if (label == 0 || name[len - 1] == '-')
		return 0;
	return single_label_ok || labels > 1;
}

/* The system's own host name: /etc/hostname (OpenBSD /etc/myname) under
 * the root, or gethostname() for the live system. */
static void
site_system_hostname(struct site *site)
{
	static const char *const files[] = { "/etc/hostname", "/etc/myname" };
	struct site_loc loc;
	char *data, name[256];
	size_t len, i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (fsroot_read(site->root, files[i], 4096, &data, &len,
		    NULL) != 0)
			continue;
		data[strcspn(data, " \t\r\n#")] = '\0';
		if (site_valid_domain(data, 1)) {
			loc = site_loc_file(site, files[i], 0);
			site_set_hostname(site, data, files[i], &loc);
			free(data);
			return;
		}
		free(data);
	}
	if (site->root == NULL && gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = '\0';
		if (site_valid_domain(name, 1))
			site_set_hostname(site, name, "gethostname()", NULL);
	}
}

/* Public addresses: settings first, per family, else the interfaces. */
static void
site_addresses(struct site *site)
{
	const struct settings *s = site->settings;
	struct strv v4, v6;
	char *cause = NULL;
	size_t i;

	strv_init(&v4);
	strv_init(&v6);
	if (site->root == NULL &&
	    netaddr_detect(&v4, &v6, &site->addr_notes, &cause) != 0) {
		strv_add(&site->addr_notes, cause);
		free(cause);
	}
	if (s->have_ipv4 || s->have_ipv6)
		site->addr_source = xstrdup(s->path);
	else
		site->addr_source = xstrdup(site->root == NULL ?
		    "network interfaces" : "none");
	for (i = 0; i < (s->have_ipv4 ? s->public_ipv4.n : v4.n); i++)
		strv_add(&site->ipv4, s->have_ipv4 ? s->public_ipv4.v[i] :
		    v4.v[i]);
	for (i = 0; i < (s->have_ipv6 ? s->public_ipv6.n : v6.n); i++)
		strv_add(&site->ipv6, s->have_ipv6 ? s->public_ipv6.v[i] :
		    v6.v[i]);
	if (site->root != NULL && !s->have_ipv4 && !s->have_ipv6)
		strv_add(&site->addr_notes, "with --root, the interfaces of "
		    "this machine are not the site's: set public_ipv4 and "
		    "public_ipv6 in the settings file");
	if (site->ipv4.n == 0 && !s->have_ipv4)
		strv_add(&site->addr_notes, "no public IPv4 address found: "
		    "if the server is behind NAT, set public_ipv4 in the "
		    "settings file");
	if (site->ipv6.n == 0 && !s->have_ipv6)
		strv_add(&site->addr_notes, "no public IPv6 address found: "
		    "if the server sends over IPv6, set public_ipv6 in the "
		    "settings file (receivers such as Gmail check its PTR "
		    "and SPF)");
	strv_free(&v4);
	strv_free(&v6);
}

/* The program a link's end names: "postfix" of "postfix submission/inet". */
static const struct site_program *
site_link_program(const struct site *site, const char *end)
{
	size_t n = strcspn(end, " ");
	size_t i;

	for (i = 0; i < site->nprograms; i++)
		if (strlen(site->programs[i].name) == n &&
		    strncmp(site->programs[i].name, end, n) == 0)
			return &site->programs[i];
	return NULL;
}

const char *
site_listen_owner(const struct site_link *m)
{
	return strcmp(m->from, "?") != 0 ? m->from : m->to;
}

/* Does l's client reach listener m, whole socket paths compared (through
 * l->reach when a chroot moves the file)? */
static int
site_link_reaches(const struct site_link *l, const struct site_link *m)
{
	struct sockspec c;
	int rc;

	if (l->reach == NULL)
		return sockspec_matches(&l->sock, &m->sock,
		    SOCKSPEC_MATCH_REACH);
	sockspec_copy(&c, &l->sock);
	free(c.path);
	c.path = xstrdup(l->reach);
	c.relative = 0;
	rc = sockspec_matches(&c, &m->sock, SOCKSPEC_MATCH_REACH);
	sockspec_free(&c);
	return rc;
}

/* Where listener m takes connections, as a person compares it with what a
 * client dials: "127.0.0.1:12345" (libmilter's inet@localhost is IPv4),
 * "[::1]:12345", "*:25", a socket file.  Caller frees. */
static char *
site_listen_where(const struct sockspec *m)
{
	const char *a = m->address;

	if (m->transport == SOCKSPEC_UNIX || m->transport == SOCKSPEC_LOCAL)
		return xstrdup(m->path);
	if (a == NULL || *a == '\0')
		return xasprintf("%s:%u", m->family == AF_INET6 ? "[::]" : "*",
		    m->port);
	if (strcasecmp(a, "localhost") == 0 && m->family == AF_INET)
		a = "127.0.0.1";
	else if (strcasecmp(a, "localhost") == 0 && m->family == AF_INET6)
		a = "::1";
	return xasprintf(strchr(a, ':') != NULL ? "[%s]:%u" : "%s:%u", a,
	    m->port);
}

/* "opendkim listens on 127.0.0.1:12345 (IPv4 only)": where the owner of
 * listener m listens, with the family it is bound to when that is what
 * the client misses (see site_link). */
static char *
site_listen_phrase(const struct site_link *m, const char *owner,
    int family, const char *end)
{
	char *w = site_listen_where(&m->sock), *s;
	const char *fam = !family ? "" : m->sock.family == AF_INET ?
	    " (IPv4 only)" : m->sock.family == AF_INET6 &&
	    !m->sock.any_family ? " (IPv6 only)" : "";

	s = xasprintf("%s listens on %s%s%s", owner, w, fam, end);
	free(w);
	return s;
}

/* A hop that names a listener but does not reach it: l->problem and a
 * warning at the client's line. */
static void
site_link_broken(struct site *site, struct site_link *l,
    const struct site_link *m, const char *owner)
{
	char *c = sockspec_format(&l->sock), *s = sockspec_format(&m->sock);
	const char *fam;

	if (l->reach != NULL) {
		l->problem = xasprintf("it opens %s; %s listens on %s",
		    l->reach, owner, m->sock.path);
		site_fail(site, "%s: %s hands mail to %s, which is the file %s "
		    "(%s); %s listens on %s (%s): the %s never reaches it and "
		    "mail leaves unsigned; make both name one file (a socket "
		    "inside the chroot, e.g. under the queue directory, or a "
		    "TCP socket)", l->source != NULL ? l->source : "default",
		    l->from, c, l->reach, l->reach_why != NULL ?
		    l->reach_why : "as opened", owner, m->sock.path,
		    m->source != NULL ? m->source : "default", l->kind);
	} else {
		fam = m->sock.family == AF_INET ? ", IPv4 only" :
		    m->sock.family == AF_INET6 && !m->sock.any_family ?
		    ", IPv6 only" : "";
		l->problem = site_listen_phrase(m, owner, 1, "");
		site_fail(site, "%s: %s dials %s, but %s listens on %s (%s%s): "
		    "the same port on another address or family, so the %s "
		    "never reaches it and mail is not handed over; make the "
		    "two agree (dial an address the listener accepts, or make "
		    "it listen where %s dials)", l->source != NULL ? l->source :
		    "default", l->from, c, owner, m->address != NULL ?
		    m->address : s, m->source != NULL ? m->source : "default",
		    fam, l->kind, l->from);
	}
	free(c);
	free(s);
}

/* Is listener m one that a client from l->from could have meant: a signer's
 * for an MTA's client, an MTA's for a signer's? */
static int
site_link_partner(const struct site *site, const struct site_link *l,
    const struct site_link *m)
{
	const struct site_program *a = site_link_program(site, l->from);
	const struct site_program *b = site_link_program(site,
	    site_listen_owner(m));

	return a != NULL && b != NULL && a != b &&
	    strcmp(a->role, b->role) != 0;
}

/* Is some hand-over link resolved to listener m's owner? */
static int
site_listener_used(const struct site *site, const char *owner)
{
	size_t i;

	for (i = 0; i < site->nlinks; i++)
		if (strcmp(site->links[i].kind, "listen") != 0 &&
		    strcmp(site->links[i].to, owner) == 0)
			return 1;
	return 0;
}

/* A hand-over that names no listener while a partner listens elsewhere
 * (another port or socket): say where. */
static void
site_link_unmatched(struct site *site, struct site_link *l)
{
	const struct site_link *m;
	const char *owner;
	char *c, *s;
	size_t j;

	for (j = 0; j < site->nlinks; j++) {
		m = &site->links[j];
		owner = site_listen_owner(m);
		if (strcmp(m->kind, "listen") != 0 ||
		    m->sock.transport == SOCKSPEC_NONE ||
		    strcmp(owner, "?") == 0 || !site_link_partner(site, l, m) ||
		    site_listener_used(site, owner))
			continue;
		c = sockspec_format(&l->sock);
		s = sockspec_format(&m->sock);
		l->problem = site_listen_phrase(m, owner, 0, " instead");
		site_fail(site, "%s: %s hands mail to %s, where nothing "
		    "listens; %s listens on %s (%s): mail is not handed to it; "
		    "make the two name one address", l->source != NULL ?
		    l->source : "default", l->from, c, owner,
		    m->address != NULL ? m->address : s,
		    m->source != NULL ? m->source : "default");
		free(c);
		free(s);
		return;
	}
}

/* Fill in the "?" ends of the signing path by matching each hand-over
 * endpoint with the endpoint some program listens on (same port, or same
 * socket name: see SOCKSPEC_MATCH_PORT); a hop so named that does not reach
 * its listener (another address or family, a socket file moved by a
 * chroot: whole paths compared) gets a problem and a warning. */
static void
site_resolve_links(struct site *site)
{
	size_t i, j;
	const char *owner;

	for (i = 0; i < site->nlinks; i++) {
		struct site_link *l = &site->links[i];
		if (strcmp(l->kind, "listen") == 0 || strcmp(l->to, "?") != 0 ||
		    l->sock.transport == SOCKSPEC_NONE)
			continue;
		for (j = 0; j < site->nlinks; j++) {
			const struct site_link *m = &site->links[j];
			if (strcmp(m->kind, "listen") != 0)
				continue;
			owner = site_listen_owner(m);
			if (strcmp(owner, "?") == 0 ||
			    str_startswith(l->from, owner) ||
			    (site_link_program(site, l->from) != NULL &&
			    site_link_program(site, l->from) ==
			    site_link_program(site, owner)))
				continue;
			if (sockspec_matches(&l->sock, &m->sock,
			    SOCKSPEC_MATCH_PORT)) {
				free(l->to);
				l->to = xstrdup(owner);
				l->listener = j;
				if (!site_link_reaches(l, m))
					site_link_broken(site, l, m, owner);
				break;
			}
		}
	}
	for (i = 0; i < site->nlinks; i++) {
		struct site_link *l = &site->links[i];
		if (strcmp(l->kind, "listen") != 0 && strcmp(l->to, "?") == 0 &&
		    l->sock.transport != SOCKSPEC_NONE)
			site_link_unmatched(site, l);
	}
}

/* A signer configured with keys that no MTA hands mail to signs nothing. */
static void
site_idle_signers(struct site *site)
{
	const struct site_program *p;
	const struct site_link *m;
	const char *listen = NULL, *lsrc = NULL;
	size_t i, j, nkeys;

	for (i = 0; i < site->nprograms; i++) {
		p = &site->programs[i];
		if (strcmp(p->role, "signer") != 0 ||
		    site_listener_used(site, p->name))
			continue;
		for (nkeys = 0, j = 0; j < site->nkeys; j++)
			if (strcmp(site->keys[j].signer, p->name) == 0)
				nkeys++;
		if (nkeys == 0)
			continue;
		for (j = 0; j < site->nlinks && listen == NULL; j++) {
			m = &site->links[j];
			if (strcmp(m->kind, "listen") == 0 &&
			    strcmp(site_listen_owner(m), p->name) == 0) {
				listen = m->address;
				lsrc = m->source;
			}
		}
		if (listen != NULL)
			site_fail(site, "%s: %s has %zu key%s but no MTA hands "
			    "it mail, so no message gets signed; point the MTA "
			    "at its listener %s (%s): Postfix smtpd_milters or "
			    "content_filter, smtpd.conf relay host or filter",
			    p->config != NULL ? p->config : p->name, p->name,
			    nkeys, nkeys == 1 ? "" : "s", listen,
			    lsrc != NULL ? lsrc : "default");
		else
			site_fail(site, "%s: %s has %zu key%s but no MTA hands "
			    "it mail, so no message gets signed; give it a "
			    "listener and point the MTA at it", p->config != NULL ?
			    p->config : p->name, p->name, nkeys,
			    nkeys == 1 ? "" : "s");
		listen = NULL;
	}
}

struct site *
site_load(const char *root, const char *settings_path, char **cause)
{
	struct site *site = xcalloc(1, sizeof *site);
	struct backend_ctx ctx;
	struct site_program found;
	const struct site_program *prog;
	size_t i;
	char *why = NULL;

	if (root != NULL && (*root == '\0' || strcmp(root, "/") == 0))
		root = NULL;
	site->root = opt_strdup(root);
	site->settings = settings_load(site->root, settings_path,
	    settings_path != NULL, cause);
	if (site->settings == NULL)
		goto fail;
	ctx.root = site->root;
	ctx.settings = site->settings;
	for (i = 0; backends[i] != NULL; i++) {
		if (backends[i]->detect == NULL)
			continue;
		memset(&found, 0, sizeof found);
		if (backends[i]->detect(&ctx, &found) != 1)
			continue;
		prog = site_add_program(site, backends[i]->name,
		    backend_role_name(backends[i]->role), found.binary,
		    found.version, found.config);
		free(found.name);
		free(found.role);
		free(found.binary);
		free(found.version);
		free(found.config);
		if (backends[i]->load(&ctx, prog, site, &why) != 0) {
			error_set(cause, "%s", why);
			free(why);
			goto fail;
		}
	}
	site_resolve_links(site);
	site_idle_signers(site);
	if (site->hostname == NULL)
		site_system_hostname(site);
	if (site->hostname != NULL && strchr(site->hostname, '.') == NULL)
		site_fail(site, "%s: the mail host name \"%s\" is not fully "
		    "qualified: receivers reject a HELO name without a domain "
		    "and nobody can publish its A or PTR; set myhostname in "
		    "Postfix's main.cf (or the listen hostname in smtpd.conf)",
		    site->hostname_source ? site->hostname_source : "host name",
		    site->hostname);
	for (i = 0; i < site->settings->domains.n; i++)
		site_add_domain(site, site->settings->domains.v[i], 1,
		    "notspam.conf domains", NULL);
	site_addresses(site);
	return site;
fail:
	site_free(site);
	return NULL;
}

void
site_free(struct site *site)
{
	size_t i;

	if (site == NULL)
		return;
	settings_free(site->settings);
	free(site->root);
	free(site->hostname);
	free(site->hostname_source);
	free(site->helo);
	free(site->helo_source);
	for (i = 0; i < site->ndomains; i++) {
		free(site->domains[i].name);
		strv_free(&site->domains[i].sources);
	}
	free(site->domains);
	for (i = 0; i < site->nkeys; i++) {
		free(site->keys[i].domain);
		free(site->keys[i].selector);
		free(site->keys[i].keyfile);
		free(site->keys[i].signer);
		free(site->keys[i].source);
	}
	free(site->keys);
	strv_free(&site->ipv4);
	strv_free(&site->ipv6);
	free(site->addr_source);
	free(site->unread_signer);
	free(site->unread_signer_source);
	strv_free(&site->addr_notes);
	for (i = 0; i < site->nlinks; i++) {
		free(site->links[i].from);
		free(site->links[i].to);
		free(site->links[i].kind);
		free(site->links[i].address);
		sockspec_free(&site->links[i].sock);
		free(site->links[i].source);
		free(site->links[i].reach);
		free(site->links[i].reach_why);
		free(site->links[i].problem);
	}
	free(site->links);
	for (i = 0; i < site->nprograms; i++) {
		free(site->programs[i].name);
		free(site->programs[i].role);
		free(site->programs[i].binary);
		free(site->programs[i].version);
		free(site->programs[i].config);
	}
	free(site->programs);
	for (i = 0; i < site->nfacts; i++) {
		free(site->facts[i].program);
		free(site->facts[i].name);
		free(site->facts[i].value);
		free(site->facts[i].source);
	}
	free(site->facts);
	strv_free(&site->warnings);
	free(site->warn_sev);
	strmap_free(&site->domain_idx);
	strmap_free(&site->key_idx);
	strmap_free(&site->warn_idx);
	strmap_free(&site->dsrc_idx);
	for (i = 0; i < site->ndocs; i++)
		conf_free(site->docs[i]);
	free(site->docs);
	strmap_free(&site->doc_idx);
	strv_free(&site->paths);
	strmap_free(&site->path_idx);
	free(site);
}
