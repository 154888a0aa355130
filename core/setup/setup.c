/* setup.c: the guided setup's steps, answers and progress file (setup.h). */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/conf/conf.h"
#include "core/conf/settings.h"
#include "core/keys/keygen.h"
#include "core/keys/keystate.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/netaddr.h"
#include "core/lib/util.h"
#include "core/setup/setup.h"
#include "core/site/site.h"

#define SETUP_DIR	"/var/lib/notspam"
#define SETUP_BEFORE	"/var/lib/notspam/setup/notspam.conf.before"
#define SETUP_MAX	(1024 * 1024)	/* a progress file is a few lines */

static const struct {
	const char	*name;
	const char	*title;
} setup_steps[SETUP_NSTEPS] = {
	{ "detect",	"What runs here" },
	{ "identity",	"Identity" },
	{ "keys",	"Keys" },
	{ "configs",	"Configs" },
	{ "dns",	"DNS" },
	{ "test",	"Test" },
};

const char *
setup_step_name(enum setup_step s)
{
	return (unsigned)s < SETUP_NSTEPS ? setup_steps[s].name : "?";
}

const char *
setup_step_title(enum setup_step s)
{
	return (unsigned)s < SETUP_NSTEPS ? setup_steps[s].title : "?";
}

int
setup_step_from_name(const char *name)
{
	int i;

	for (i = 0; i < SETUP_NSTEPS; i++)
		if (strcmp(setup_steps[i].name, name) == 0)
			return i;
	return -1;
}

/* ---- the progress file ---------------------------------------------------- */

void
setup_state_init(struct setup_state *st)
{
	memset(st, 0, sizeof *st);
	strv_init(&st->domains);
	strv_init(&st->addresses);
}

static void
setup_key_clear(struct setup_key *k)
{
	free(k->domain);
	free(k->selector);
	free(k->type);
	free(k->path);
}

void
setup_state_free(struct setup_state *st)
{
	size_t i;

	free(st->mta);
	free(st->signer);
	free(st->hostname);
	strv_free(&st->domains);
	strv_free(&st->addresses);
	for (i = 0; i < st->nkeys; i++)
		setup_key_clear(&st->keys[i]);
	free(st->keys);
	free(st->test_to);
	free(st->test_route);
	setup_state_init(st);
}

const struct setup_key *
setup_key_find(const struct setup_state *st, const char *domain,
    const char *selector)
{
	size_t i;

	for (i = 0; i < st->nkeys; i++)
		if (strcasecmp(st->keys[i].domain, domain) == 0 &&
		    strcasecmp(st->keys[i].selector, selector) == 0)
			return &st->keys[i];
	return NULL;
}

void
setup_key_add(struct setup_state *st, const char *domain,
    const char *selector, const char *type, const char *path)
{
	struct setup_key *k = (struct setup_key *)setup_key_find(st, domain,
	    selector);

	if (k == NULL) {
		st->keys = xreallocarray(st->keys, st->nkeys + 1,
		    sizeof *st->keys);
		k = &st->keys[st->nkeys++];
		memset(k, 0, sizeof *k);
	} else
		setup_key_clear(k);
	k->domain = str_lower(xstrdup(domain));
	k->selector = str_lower(xstrdup(selector));
	k->type = xstrdup(type);
	k->path = xstrdup(path);
}

/* A word of the file: printable ASCII, no blank (paths may hold blanks:
 * they are the rest of a line, checked by line_ok). */
static int
word_ok(const char *w)
{
	if (*w == '\0')
		return 0;
	for (; *w != '\0'; w++)
		if ((unsigned char)*w <= ' ' || (unsigned char)*w >= 0x7f)
			return 0;
	return 1;
}

static int
line_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/* One statement; 0, or -1 with *why (static) for a line not understood. */
static int
state_line(struct setup_state *st, char *line, const char **why)
{
	struct strv w;
	char *rest = NULL;
	long long t;
	char *end;
	int step, rc = 0;
	size_t i, skip;

	strv_init(&w);
	str_split(line, " ", &w);
	if (w.n == 0)
		goto out;
	if (strcmp(w.v[0], "version") == 0) {
		if (w.n != 2 || strcmp(w.v[1], "1") != 0)
			rc = -1, *why = "a version notspam does not know";
	} else if (strcmp(w.v[0], "step") == 0) {
		if (w.n != 2 || (step = setup_step_from_name(w.v[1])) < 0)
			rc = -1, *why = "not a step";
		else
			st->step = (enum setup_step)step;
	} else if (strcmp(w.v[0], "done") == 0) {
		errno = 0;
		t = w.n == 3 ? strtoll(w.v[2], &end, 10) : -1;
		if (w.n != 3 || (step = setup_step_from_name(w.v[1])) < 0 ||
		    errno != 0 || *end != '\0' || t <= 0)
			rc = -1, *why = "expected \"done STEP TIME\"";
		else
			st->done[step] = (time_t)t;
	} else if (strcmp(w.v[0], "stack") == 0) {
		if (w.n != 3)
			rc = -1, *why = "expected \"stack MTA SIGNER\"";
		else {
			free(st->mta);
			free(st->signer);
			st->mta = xstrdup(w.v[1]);
			st->signer = xstrdup(w.v[2]);
		}
	} else if (strcmp(w.v[0], "hostname") == 0) {
		if (w.n != 2 || !site_valid_domain(w.v[1], 0))
			rc = -1, *why = "not a host name";
		else {
			free(st->hostname);
			st->hostname = str_lower(xstrdup(w.v[1]));
		}
	} else if (strcmp(w.v[0], "domain") == 0) {
		if (w.n != 2 || !site_valid_domain(w.v[1], 0))
			rc = -1, *why = "not a domain name";
		else {
			st->have_domains = 1;
			strv_add_unique(&st->domains, str_lower(w.v[1]));
		}
	} else if (strcmp(w.v[0], "address") == 0) {
		int fam;

		if (w.n != 2 || (rest = netaddr_canon(w.v[1], &fam)) == NULL)
			rc = -1, *why = "not an IP address";
		else {
			st->have_addresses = 1;
			strv_add_unique(&st->addresses, rest);
		}
	} else if (strcmp(w.v[0], "key") == 0) {
		/* The path is the rest of the line after four words. */
		for (i = 0, skip = 0; i < 4 && w.n >= 5; i++)
			skip += strlen(w.v[i]) + 1;
		if (w.n < 5 || !site_valid_domain(w.v[1], 0) ||
		    keygen_check_selector(w.v[2], &rest) != 0 ||
		    (strcmp(w.v[3], "rsa") != 0 &&
		    strcmp(w.v[3], "ed25519") != 0) || line[skip] != '/')
			rc = -1, *why = "expected \"key DOMAIN SELECTOR rsa|"
			    "ed25519 /PATH\"";
		else
			setup_key_add(st, w.v[1], w.v[2], w.v[3], line + skip);
	} else if (strcmp(w.v[0], "test") == 0) {
		if (w.n != 3)
			rc = -1, *why = "expected \"test ADDRESS ROUTE\"";
		else {
			free(st->test_to);
			free(st->test_route);
			st->test_to = xstrdup(w.v[1]);
			st->test_route = xstrdup(w.v[2]);
		}
	} else
		rc = -1, *why = "not a statement of setup.state";
out:
	free(rest);
	strv_free(&w);
	return rc;
}

/* The text of a progress file into st (fresh); the first bad line into
 * *warn.  A line starting with '#' is a comment (a key's path may hold
 * '#': no comment after a statement). */
static void
setup_state_parse(struct setup_state *st, const char *data, size_t len,
    char **warn)
{
	const char *p = data, *end = data + len, *nl, *why;
	char *line;
	size_t lineno = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		line = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
		str_trim(line);
		if (line[0] == '#')
			*line = '\0';
		why = NULL;
		if (*line != '\0' && (!line_ok(line) ||
		    state_line(st, line, &why) != 0) && warn != NULL &&
		    *warn == NULL)
			*warn = xasprintf("%s:%zu: %s; the line is ignored",
			    SETUP_STATE_PATH, lineno, why != NULL ? why :
			    "a control character");
		free(line);
	}
}

int
setup_state_load(const char *root, struct setup_state *st, char **warn,
    char **cause)
{
	char *data = NULL;
	size_t len = 0;

	setup_state_init(st);
	if (warn != NULL)
		*warn = NULL;
	if (!fsroot_exists(root, SETUP_STATE_PATH))
		return 0;
	if (fsroot_read(root, SETUP_STATE_PATH, SETUP_MAX, &data, &len,
	    cause) != 0)
		return -1;
	setup_state_parse(st, data, len, warn);
	free(data);
	return 0;
}

char *
setup_state_text(const struct setup_state *st)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_adds(&b, "# notspam guided setup: its progress (no secrets); "
	    "written by notspam\nversion 1\n");
	buf_printf(&b, "step %s\n", setup_step_name(st->step));
	for (i = 0; i < SETUP_NSTEPS; i++)
		if (st->done[i] > 0)
			buf_printf(&b, "done %s %lld\n",
			    setup_step_name((enum setup_step)i),
			    (long long)st->done[i]);
	if (st->mta != NULL && st->signer != NULL &&
	    word_ok(st->mta) && word_ok(st->signer))
		buf_printf(&b, "stack %s %s\n", st->mta, st->signer);
	if (st->hostname != NULL && word_ok(st->hostname))
		buf_printf(&b, "hostname %s\n", st->hostname);
	for (i = 0; i < st->domains.n; i++)
		if (word_ok(st->domains.v[i]))
			buf_printf(&b, "domain %s\n", st->domains.v[i]);
	for (i = 0; i < st->addresses.n; i++)
		if (word_ok(st->addresses.v[i]))
			buf_printf(&b, "address %s\n", st->addresses.v[i]);
	for (i = 0; i < st->nkeys; i++)
		if (word_ok(st->keys[i].domain) &&
		    word_ok(st->keys[i].selector) &&
		    word_ok(st->keys[i].type) && line_ok(st->keys[i].path))
			buf_printf(&b, "key %s %s %s %s\n", st->keys[i].domain,
			    st->keys[i].selector, st->keys[i].type,
			    st->keys[i].path);
	if (st->test_to != NULL && st->test_route != NULL &&
	    word_ok(st->test_to) && word_ok(st->test_route))
		buf_printf(&b, "test %s %s\n", st->test_to, st->test_route);
	return buf_steal(&b);
}

static int
state_replace(const char *old, size_t oldlen, struct buf *out, void *arg,
    char **cause)
{
	char *text = setup_state_text(arg);

	(void)cause;
	if (old != NULL && strlen(text) == oldlen &&
	    memcmp(old, text, oldlen) == 0) {
		free(text);
		return 1;
	}
	buf_adds(out, text);
	free(text);
	return 0;
}

int
setup_state_save(const char *root, const struct setup_state *st,
    char **cause)
{
	struct fswrite_opts o;

	if (keystate_mkdir(root, cause) != 0)
		return -1;
	memset(&o, 0, sizeof o);
	o.mode = 0644;
	return fswrite_update(root, SETUP_STATE_PATH, &o, state_replace,
	    (void *)st, cause);
}

void
setup_done(struct setup_state *st, enum setup_step s, time_t now)
{
	if ((unsigned)s >= SETUP_NSTEPS)
		return;
	st->done[s] = now > 0 ? now : 1;
	st->step = s + 1 < SETUP_NSTEPS ? s + 1 : s;
}

int
setup_can_open(const struct setup_state *st, enum setup_step s,
    const char **why)
{
	int i;

	*why = NULL;
	if ((unsigned)s >= SETUP_NSTEPS)
		return 0;
	if (s == SETUP_DETECT || st->done[s] > 0)
		return 1;
	for (i = 0; i < (int)s; i++)
		if (st->done[i] == 0) {
			static char msg[80];

			snprintf(msg, sizeof msg, "finish \"%s\" first",
			    setup_steps[i].title);
			*why = msg;
			return 0;
		}
	return 1;
}

int
setup_first_run(const struct site *site)
{
	size_t i;

	if (site->nkeys > 0 || site->unread_signer != NULL)
		return 0;
	/* A hop from the MTA to a signer or anything else (a milter, a
	 * content filter, a relay to a proxy): someone set up a path. */
	for (i = 0; i < site->nlinks; i++)
		if (strcmp(site->links[i].kind, "listen") != 0)
			return 0;
	return 1;
}

/* ---- detect --------------------------------------------------------------- */

/* The stacks notspam sets up, with the packages of each system.  Debian 12
 * has no dkimproxy package. */
static const struct {
	const char	*id, *mta, *signer, *title;
	const char	*mta_bin[3], *signer_bin[3];
	const char	*deb_pkgs;	/* NULL: not packaged */
	const char	*deb_mta_pkg;
	const char	*obsd_pkgs;
} stacks[] = {
	{ "postfix+opendkim", "postfix", "opendkim", "Postfix + OpenDKIM",
	    { "/usr/sbin/postfix", "/usr/local/sbin/postfix" },
	    { "/usr/sbin/opendkim", "/usr/local/sbin/opendkim" },
	    "opendkim opendkim-tools", "postfix", "opendkim" },
	{ "opensmtpd+filter-dkimsign", "opensmtpd", "filter-dkimsign",
	    "OpenSMTPD + filter-dkimsign",
	    { "/usr/sbin/smtpd", "/usr/local/sbin/smtpd" },
	    { "/usr/libexec/opensmtpd/filter-dkimsign",
	      "/usr/local/libexec/smtpd/filter-dkimsign" },
	    "opensmtpd-filter-dkimsign", "opensmtpd",
	    "opensmtpd-filter-dkimsign" },
	{ "opensmtpd+dkimproxy", "opensmtpd", "dkimproxy",
	    "OpenSMTPD + dkimproxy",
	    { "/usr/sbin/smtpd", "/usr/local/sbin/smtpd" },
	    { "/usr/local/bin/dkimproxy.out", "/usr/sbin/dkimproxy.out" },
	    NULL, "opensmtpd", "dkimproxy" },
};
#define NSTACKS (sizeof stacks / sizeof stacks[0])

static int
any_exists(const char *root, const char *const *paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (paths[i] != NULL && fsroot_exists(root, paths[i]))
			return 1;
	return 0;
}

/* The value of KEY= in an os-release text, unquoted; caller frees. */
static char *
os_release_get(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text, *nl;
	char *v;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if ((size_t)(nl - p) > n && strncmp(p, key, n) == 0 &&
		    p[n] == '=') {
			p += n + 1;
			if (nl > p && (*p == '"' || *p == '\'') &&
			    nl[-1] == *p && nl - p >= 2)
				v = xstrndup(p + 1, (size_t)(nl - p - 2));
			else
				v = xstrndup(p, (size_t)(nl - p));
			return v;
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	return NULL;
}

static void
detect_os(const char *root, struct setup_detect *d)
{
	char *text = NULL, *id, *like, *pretty, *safe;
	size_t len;

	d->os = SETUP_OS_OTHER;
	if (fsroot_exists(root, "/usr/sbin/rcctl") ||
	    fsroot_exists(root, "/bsd")) {
		d->os = SETUP_OS_OPENBSD;
		d->os_name = xstrdup("OpenBSD");
		return;
	}
	if (fsroot_read(root, "/etc/os-release", 64 * 1024, &text, &len,
	    NULL) != 0 && fsroot_read(root, "/usr/lib/os-release", 64 * 1024,
	    &text, &len, NULL) != 0) {
		d->os_name = xstrdup("unknown system");
		return;
	}
	id = os_release_get(text, "ID");
	like = os_release_get(text, "ID_LIKE");
	pretty = os_release_get(text, "PRETTY_NAME");
	if ((id != NULL && (strcmp(id, "debian") == 0 ||
	    strcmp(id, "ubuntu") == 0)) ||
	    (like != NULL && strstr(like, "debian") != NULL))
		d->os = SETUP_OS_DEBIAN;
	safe = pretty != NULL ? str_sanitize(pretty, strlen(pretty)) :
	    id != NULL ? str_sanitize(id, strlen(id)) : xstrdup("Linux");
	d->os_name = safe;
	free(id);
	free(like);
	free(pretty);
	free(text);
}

void
setup_detect(const struct site *site, struct setup_detect *d)
{
	const struct site_program *p;
	struct setup_choice *c;
	size_t i, first = 0;
	int mta_here, signer_here;
	struct buf b;

	memset(d, 0, sizeof *d);
	strv_init(&d->notes);
	detect_os(site->root, d);
	for (i = 0; i < site->nprograms; i++) {
		p = &site->programs[i];
		if (p->role == NULL)
			continue;
		if (strcmp(p->role, "mta") == 0 && d->mta == NULL) {
			d->mta = p->name;
			d->mta_version = p->version;
			d->mta_config = p->config;
		} else if (strcmp(p->role, "signer") == 0 &&
		    d->signer == NULL) {
			d->signer = p->name;
			d->signer_version = p->version;
			d->signer_config = p->config;
		}
	}
	d->choices = xcalloc(NSTACKS, sizeof *d->choices);
	for (i = 0; i < NSTACKS; i++) {
		if (d->mta != NULL && strcmp(d->mta, stacks[i].mta) != 0)
			continue;
		c = &d->choices[d->nchoices++];
		c->id = stacks[i].id;
		c->mta = stacks[i].mta;
		c->signer = stacks[i].signer;
		c->title = stacks[i].title;
		mta_here = d->mta != NULL || any_exists(site->root,
		    stacks[i].mta_bin, 3);
		/* A signer whose configuration was read is installed
		 * (its package ships it), wherever its program is. */
		signer_here = (d->signer != NULL &&
		    strcmp(d->signer, stacks[i].signer) == 0) ||
		    any_exists(site->root, stacks[i].signer_bin, 3);
		c->installed = mta_here && signer_here;
		c->packaged = d->os == SETUP_OS_DEBIAN ?
		    stacks[i].deb_pkgs != NULL : d->os == SETUP_OS_OPENBSD;
		if (c->installed || !c->packaged)
			continue;
		buf_init(&b);
		if (d->os == SETUP_OS_DEBIAN) {
			buf_adds(&b, "apt-get install");
			if (!mta_here)
				buf_printf(&b, " %s", stacks[i].deb_mta_pkg);
			if (!signer_here)
				buf_printf(&b, " %s", stacks[i].deb_pkgs);
		} else {
			buf_adds(&b, "pkg_add");
			if (!mta_here && strcmp(stacks[i].mta, "postfix") == 0)
				buf_adds(&b, " postfix");
			if (!signer_here)
				buf_printf(&b, " %s", stacks[i].obsd_pkgs);
		}
		c->install = buf_steal(&b);
		if (d->signer != NULL && strcmp(d->signer, c->signer) == 0)
			first = d->nchoices - 1;
	}
	/* The stack already here first. */
	if (d->signer != NULL) {
		for (i = 0; i < d->nchoices; i++)
			if (strcmp(d->choices[i].signer, d->signer) == 0)
				first = i;
		if (first > 0) {
			struct setup_choice t = d->choices[first];

			memmove(&d->choices[1], &d->choices[0],
			    first * sizeof *d->choices);
			d->choices[0] = t;
		}
	}
	if (d->mta == NULL)
		strv_add(&d->notes, "no mail server found: install Postfix "
		    "(or OpenSMTPD) first; notspam sets up signing on the "
		    "server you run, it does not install one");
	if (d->os == SETUP_OS_DEBIAN)
		for (i = 0; i < d->nchoices; i++)
			if (strcmp(d->choices[i].signer, "dkimproxy") == 0)
				strv_add(&d->notes, "dkimproxy is not "
				    "packaged in Debian 12: on Debian, "
				    "filter-dkimsign or OpenDKIM");
}

void
setup_detect_free(struct setup_detect *d)
{
	size_t i;

	for (i = 0; i < d->nchoices; i++)
		free(d->choices[i].install);
	free(d->choices);
	free(d->os_name);
	strv_free(&d->notes);
	memset(d, 0, sizeof *d);
}

const struct setup_choice *
setup_choice_find(const struct setup_detect *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->nchoices; i++)
		if (strcmp(d->choices[i].id, id) == 0)
			return &d->choices[i];
	return NULL;
}

/* ---- identity ------------------------------------------------------------- */

/* Does a site domain come from the MTA's files?  Not from notspam.conf,
 * nor from the signer's alone: a domain the setup added is named by the
 * signer's tables once apply wrote them, and must stay in the settings
 * file (the MTA does not receive for it otherwise). */
static int
from_configs(const struct site *site, const struct site_domain *dom)
{
	const char *src;
	size_t i, j, n;

	for (i = 0; i < dom->sources.n; i++) {
		src = dom->sources.v[i];
		n = strcspn(src, " ");
		for (j = 0; j < site->nprograms; j++)
			if (site->programs[j].role != NULL &&
			    strcmp(site->programs[j].role, "mta") == 0 &&
			    strlen(site->programs[j].name) == n &&
			    strncmp(site->programs[j].name, src, n) == 0)
				return 1;
	}
	return 0;
}

void
setup_identity(const struct site *site, const struct setup_state *st,
    struct setup_identity *id)
{
	size_t i;
	int fam;

	memset(id, 0, sizeof *id);
	strv_init(&id->domains);
	strv_init(&id->config_domains);
	strv_init(&id->ipv4);
	strv_init(&id->ipv6);
	strv_init(&id->notes);
	if (st->hostname != NULL) {
		id->hostname = xstrdup(st->hostname);
		id->hostname_source = xstrdup("setup");
	} else if (site->hostname != NULL) {
		id->hostname = xstrdup(site->hostname);
		id->hostname_source = xstrdup(site->hostname_source != NULL ?
		    site->hostname_source : "system");
	}
	for (i = 0; i < site->ndomains; i++)
		if (from_configs(site, &site->domains[i]))
			strv_add_unique(&id->config_domains,
			    site->domains[i].name);
	if (st->have_domains) {
		for (i = 0; i < st->domains.n; i++)
			strv_add_unique(&id->domains, st->domains.v[i]);
	} else
		for (i = 0; i < site->ndomains; i++)
			strv_add_unique(&id->domains, site->domains[i].name);
	if (st->have_addresses) {
		id->addr_source = xstrdup("setup");
		for (i = 0; i < st->addresses.n; i++) {
			char *c = netaddr_canon(st->addresses.v[i], &fam);

			if (c != NULL)
				strv_add_unique(fam == AF_INET ?
				    &id->ipv4 : &id->ipv6, c);
			free(c);
		}
	} else {
		id->addr_source = xstrdup(site->addr_source != NULL ?
		    site->addr_source : "none");
		for (i = 0; i < site->ipv4.n; i++)
			strv_add_unique(&id->ipv4, site->ipv4.v[i]);
		for (i = 0; i < site->ipv6.n; i++)
			strv_add_unique(&id->ipv6, site->ipv6.v[i]);
		for (i = 0; i < site->addr_notes.n; i++)
			strv_add(&id->notes, site->addr_notes.v[i]);
	}
}

void
setup_identity_free(struct setup_identity *id)
{
	free(id->hostname);
	free(id->hostname_source);
	free(id->addr_source);
	strv_free(&id->domains);
	strv_free(&id->config_domains);
	strv_free(&id->ipv4);
	strv_free(&id->ipv6);
	strv_free(&id->notes);
	memset(id, 0, sizeof *id);
}

size_t
setup_identity_check(const char *hostname, const struct strv *domains,
    const struct strv *addresses, struct strv *problems, struct strv *notes)
{
	size_t i, n = 0;
	char *safe, *c;
	int fam;

	if (hostname == NULL || !site_valid_domain(hostname, 0)) {
		safe = hostname != NULL ? str_sanitize(hostname,
		    strlen(hostname)) : xstrdup("");
		strv_addf(problems, "host name \"%.80s\": a fully qualified "
		    "name is needed (mail.example.org): receivers check it "
		    "and its PTR", safe);
		free(safe);
		n++;
	}
	if (domains->n == 0) {
		strv_add(problems, "no domain: add the domain your mail is "
		    "sent from (example.org)");
		n++;
	}
	for (i = 0; i < domains->n; i++)
		if (!site_valid_domain(domains->v[i], 0)) {
			safe = str_sanitize(domains->v[i],
			    strlen(domains->v[i]));
			strv_addf(problems, "\"%.80s\" is not a domain name "
			    "(example.org)", safe);
			free(safe);
			n++;
		}
	for (i = 0; i < addresses->n; i++) {
		if ((c = netaddr_canon(addresses->v[i], &fam)) == NULL) {
			safe = str_sanitize(addresses->v[i],
			    strlen(addresses->v[i]));
			strv_addf(problems, "\"%.80s\" is not an IP address "
			    "(192.0.2.25, 2001:db8::25)", safe);
			free(safe);
			n++;
			continue;
		}
		if (notes != NULL && !netaddr_is_public(c))
			strv_addf(notes, "%s is not a public address: "
			    "receivers see another one (NAT?) unless this is "
			    "a test", c);
		free(c);
	}
	return n;
}

/* A list as one settings value. */
static char *
join(const struct strv *v)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < v->n; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", v->v[i]);
	buf_addc(&b, '\0');
	return buf_steal(&b);
}

/* The settings lines one edit sets ("key", "value"; value NULL: the line
 * goes). */
struct settings_edit {
	const char	*key;
	const char	*value;
};

/*
 * Edit notspam's settings file in place (the other lines kept byte for
 * byte): the new text read back as settings before it replaces the old
 * one, the first time the file as it was kept as SETUP_BEFORE, a first
 * file made with its directories.  0, or -1 with *cause.
 */
static int
settings_edit(const char *root, const char *path,
    const struct settings_edit *e, size_t n, char **cause)
{
	struct conf_doc *doc, *back;
	struct settings *s;
	struct fswrite_opts o;
	struct stat sb;
	char *text = NULL, *dir;
	size_t len, i;
	int exists, rc = -1;

	if (path == NULL)
		path = SETTINGS_DEFAULT_PATH;
	exists = fsroot_exists(root, path);
	if (exists)
		doc = conf_load(root, CONF_SETTINGS, path, cause);
	else
		doc = conf_parse(CONF_SETTINGS, path, "", 0, cause);
	if (doc == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (e[i].value == NULL)
			conf_unset(doc, e[i].key);
		else if (conf_set(doc, e[i].key, e[i].value, cause) != 0)
			goto out;
	text = conf_text(doc, &len);
	/* Read back as settings before it replaces anything. */
	if ((back = conf_parse(CONF_SETTINGS, path, text, len,
	    cause)) == NULL)
		goto out;
	conf_free(back);
	memset(&o, 0, sizeof o);
	o.mode = 0644;
	if (exists && fsroot_stat(root, path, &sb) == 0)
		o.mode = sb.st_mode & 07777;
	if (exists && !fsroot_exists(root, SETUP_BEFORE)) {
		if (keystate_mkdir(root, cause) != 0)
			goto out;
		dir = fsroot_path(root, SETUP_DIR "/setup");
		(void)mkdir(dir, 0700);
		free(dir);
		o.backup = SETUP_BEFORE;
	} else if (!exists) {
		/* A first settings file: its directories (mkdir -p). */
		char *d = fsroot_path(root, path), *slash;
		size_t skip = root != NULL ? strlen(d) - strlen(path) : 0;

		for (slash = strchr(d + skip + 1, '/'); slash != NULL;
		    slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			(void)mkdir(d, 0755);
			*slash = '/';
		}
		free(d);
	}
	rc = fswrite_file(root, path, text, len, &o, cause);
	if (rc == 0) {
		/* What the program reads must read. */
		if ((s = settings_load(root, path, 1, cause)) == NULL)
			rc = -1;
		settings_free(s);
	}
out:
	free(text);
	conf_free(doc);
	return rc;
}

int
setup_settings_write(const char *root, const char *path,
    const struct setup_identity *id, char **cause)
{
	struct settings_edit e[3];
	struct strv extra, problems, all;
	char *v4, *v6, *dom;
	size_t i;
	int rc;

	/* Nothing that would not read back as settings is written. */
	strv_init(&problems);
	strv_init(&all);
	for (i = 0; i < id->ipv4.n; i++)
		strv_add(&all, id->ipv4.v[i]);
	for (i = 0; i < id->ipv6.n; i++)
		strv_add(&all, id->ipv6.v[i]);
	rc = setup_identity_check(id->hostname, &id->domains, &all, &problems,
	    NULL) > 0 ? error_set(cause, "%s", problems.v[0]) : 0;
	strv_free(&problems);
	strv_free(&all);
	if (rc != 0)
		return -1;
	strv_init(&extra);
	for (i = 0; i < id->domains.n; i++)
		if (strv_find(&id->config_domains, id->domains.v[i]) < 0)
			strv_add(&extra, id->domains.v[i]);
	v4 = join(&id->ipv4);
	v6 = join(&id->ipv6);
	dom = join(&extra);
	e[0].key = "public_ipv4";
	e[0].value = v4;
	e[1].key = "public_ipv6";
	e[1].value = v6;
	e[2].key = "domains";
	e[2].value = extra.n > 0 ? dom : NULL;
	rc = settings_edit(root, path, e, 3, cause);
	free(v4);
	free(v6);
	free(dom);
	strv_free(&extra);
	return rc;
}

int
setup_settings_signer(const char *root, const char *path, const char *signer,
    char **cause)
{
	struct settings_edit e;
	char *names, *safe;

	if (signer != NULL && backend_signer(signer) == NULL) {
		names = backend_signer_names();
		safe = str_sanitize(signer, strlen(signer));
		error_set(cause, "\"%.40s\" is not a signer notspam sets up "
		    "(%s)", safe, names);
		free(safe);
		free(names);
		return -1;
	}
	e.key = "signer";
	e.value = signer;
	return settings_edit(root, path, &e, 1, cause);
}

/* ---- keys ----------------------------------------------------------------- */

static void
keyrow_add(struct setup_keyrow **rows, size_t *n, const char *domain,
    const char *selector, const char *type, const char *path,
    const char *root)
{
	struct setup_keyrow *r;

	*rows = xreallocarray(*rows, *n + 1, sizeof **rows);
	r = &(*rows)[(*n)++];
	memset(r, 0, sizeof *r);
	r->domain = xstrdup(domain);
	r->selector = xstrdup(selector);
	r->type = xstrdup(type);
	r->bits = strcmp(type, "rsa") == 0 ? 2048 : 0;
	r->path = xstrdup(path);
	r->exists = fsroot_exists(root, path);
}

void
setup_keyrows(const struct site *site, const struct setup_state *st,
    const struct setup_identity *id, const char *signer, int ed25519,
    time_t now, struct setup_keyrow **rows, size_t *n)
{
	const struct site_key *k;
	const struct setup_key *sk;
	size_t i, j, t;
	char *sel, *path;
	const char *types[2] = { "rsa", "ed25519" };

	*rows = NULL;
	*n = 0;
	for (i = 0; i < id->domains.n; i++) {
		const char *dom = id->domains.v[i];

		/* A key the signer already uses stays. */
		for (j = 0, k = NULL; j < site->nkeys; j++)
			if (strcasecmp(site->keys[j].domain, dom) == 0 &&
			    (signer == NULL ||
			    strcmp(site->keys[j].signer, signer) == 0)) {
				k = &site->keys[j];
				break;
			}
		if (k != NULL && k->keyfile != NULL) {
			keyrow_add(rows, n, dom, k->selector, "rsa",
			    k->keyfile, site->root);
			(*rows)[*n - 1].configured = 1;
			continue;
		}
		for (t = 0; t < (ed25519 ? 2u : 1u); t++) {
			/* The setup's own key of this type, if it made one. */
			for (j = 0, sk = NULL; j < st->nkeys; j++)
				if (strcasecmp(st->keys[j].domain, dom) == 0 &&
				    strcmp(st->keys[j].type, types[t]) == 0)
					sk = &st->keys[j];
			if (sk != NULL) {
				keyrow_add(rows, n, dom, sk->selector,
				    sk->type, sk->path, site->root);
				(*rows)[*n - 1].made = 1;
				continue;
			}
			sel = keygen_default_selector(now, types[t]);
			path = keygen_default_path(signer, dom, sel);
			keyrow_add(rows, n, dom, sel, types[t], path,
			    site->root);
			free(sel);
			free(path);
		}
	}
}

void
setup_keyrows_free(struct setup_keyrow *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].domain);
		free(rows[i].selector);
		free(rows[i].type);
		free(rows[i].path);
	}
	free(rows);
}
