/* settings.c: read notspam.conf, validating every value. */
#include "core/conf/settings.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "backends/backend.h"
#include "core/check/dnsbl.h"
#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/netaddr.h"
#include "core/site/site.h"

/* The backend section fields a key can set. */
enum settings_field {
	SF_CONFIG,
	SF_DEFAULT,
	SF_RELOAD,
	SF_RESTART,
};

static const char *const settings_field_names[] = {
	"config", "default", "reload", "restart"
};

/* The section of backend b, added if new. */
static struct settings_backend *
settings_section(struct settings *s, const struct backend *b)
{
	size_t i;

	for (i = 0; i < s->nbackends; i++)
		if (strcmp(s->backends[i].name, b->name) == 0)
			return &s->backends[i];
	s->backends = xgrow(s->backends, s->nbackends, sizeof *s->backends);
	s->backends[s->nbackends].name = xstrdup(b->name);
	strv_init(&s->backends[s->nbackends].reload);
	strv_init(&s->backends[s->nbackends].restart);
	return &s->backends[s->nbackends++];
}

/*
 * Which backend and field a key names: "NAME.field", or a backend's legacy
 * key (opendkim_conf ...).  Returns the backend or NULL.
 */
static const struct backend *
settings_backend_key(const char *key, enum settings_field *field)
{
	const char *dot = strchr(key, '.');
	const struct backend *b;
	char *name;
	size_t i;

	if (dot != NULL) {
		name = xstrndup(key, (size_t)(dot - key));
		b = backend_find(name);
		free(name);
		for (i = 0; b != NULL && i < 4; i++)
			if (strcmp(dot + 1, settings_field_names[i]) == 0) {
				*field = (enum settings_field)i;
				return b;
			}
		return NULL;
	}
	for (i = 0; backends[i] != NULL; i++) {
		b = backends[i];
		*field = SF_CONFIG;
		if (b->conf_key != NULL && strcmp(b->conf_key, key) == 0)
			return b;
		*field = SF_DEFAULT;
		if (b->default_key != NULL && strcmp(b->default_key, key) == 0)
			return b;
		*field = SF_RELOAD;
		if (b->reload_key != NULL && strcmp(b->reload_key, key) == 0)
			return b;
	}
	return NULL;
}

/* The known keys, for the unknown-key message; caller frees. */
static char *
settings_known(void)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_adds(&b, "public_ipv4, public_ipv6, domains, dmarc_rua, "
	    "dmarc_policy, signer, milter_socket, milter_default_action, "
	    "ipv6_fallback, trusted_relays, blocklists, domain_blocklists");
	for (i = 0; backends[i] != NULL; i++) {
		if (backends[i]->conf_key != NULL)
			buf_printf(&b, ", %s", backends[i]->conf_key);
		if (backends[i]->default_key != NULL)
			buf_printf(&b, ", %s", backends[i]->default_key);
	}
	for (i = 0; backends[i] != NULL; i++)
		if (backends[i]->reload_key != NULL)
			buf_printf(&b, ", %s", backends[i]->reload_key);
	buf_adds(&b, "; or NAME.config, NAME.default, NAME.reload, "
	    "NAME.restart with NAME one of ");
	for (i = 0; backends[i] != NULL; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", backends[i]->name);
	return buf_steal(&b);
}

/* Set one field of a backend's section. */
static int
settings_apply_backend(struct settings *s, const char *where,
    const char *key, const struct backend *b, enum settings_field field,
    const char *value, char **cause)
{
	struct settings_backend *sb;
	struct strv *argv;

	if ((field == SF_CONFIG || field == SF_DEFAULT) && value[0] != '/')
		return error_set(cause, "%s: %s must be an absolute path",
		    where, key);
	sb = settings_section(s, b);
	switch (field) {
	case SF_CONFIG:
		free(sb->config);
		sb->config = xstrdup(value);
		break;
	case SF_DEFAULT:
		free(sb->default_file);
		sb->default_file = xstrdup(value);
		break;
	case SF_RELOAD:
	case SF_RESTART:
		argv = field == SF_RELOAD ? &sb->reload : &sb->restart;
		strv_free(argv);
		strv_init(argv);
		str_split(value, " \t", argv);
		break;
	}
	return 0;
}

const struct settings_backend *
settings_backend(const struct settings *s, const char *name)
{
	static const struct settings_backend empty;
	size_t i;

	for (i = 0; s != NULL && name != NULL && i < s->nbackends; i++)
		if (strcmp(s->backends[i].name, name) == 0)
			return &s->backends[i];
	return &empty;
}

/* public_ipv4 / public_ipv6: a blank- or comma-separated address list. */
static int
settings_addrs(const char *where, const char *key, const char *value,
    int want, struct strv *out, char **cause)
{
	struct strv words;
	char *canon;
	size_t i;
	int family, rc = 0;

	strv_init(&words);
	str_split(value, " \t,", &words);
	for (i = 0; i < words.n && rc == 0; i++) {
		canon = netaddr_canon(words.v[i], &family);
		if (canon == NULL || family != want) {
			char *safe = str_sanitize(words.v[i],
			    strlen(words.v[i]));
			rc = error_set(cause, "%s: %s: \"%.60s\" is not an %s "
			    "address; write addresses like %s", where, key,
			    safe, want == AF_INET ? "IPv4" : "IPv6",
			    want == AF_INET ? "192.0.2.25" : "2001:db8::25");
			free(safe);
		} else
			strv_add_unique(out, canon);
		free(canon);
	}
	strv_free(&words);
	return rc;
}

/* trusted_relays: addresses or CIDR prefixes, blank- or comma-separated. */
static int
settings_relays(struct settings *s, const char *where, const char *value,
    char **cause)
{
	struct strv words;
	char *addr, *canon, *end, *safe;
	const char *slash;
	size_t i;
	long len;
	int family, rc = 0;

	strv_free(&s->trusted_relays);
	strv_init(&words);
	str_split(value, " \t,", &words);
	for (i = 0; i < words.n && rc == 0; i++) {
		slash = strchr(words.v[i], '/');
		addr = xstrndup(words.v[i], slash != NULL ?
		    (size_t)(slash - words.v[i]) : strlen(words.v[i]));
		canon = netaddr_canon(addr, &family);
		len = slash != NULL ? strtol(slash + 1, &end, 10) : 0;
		if (canon == NULL || (slash != NULL && (slash[1] == '\0' ||
		    *end != '\0' || len < 0 ||
		    len > (family == AF_INET ? 32 : 128)))) {
			safe = str_sanitize(words.v[i], strlen(words.v[i]));
			rc = error_set(cause, "%s: trusted_relays: \"%.60s\" "
			    "is not an address or a prefix; write them like "
			    "192.0.2.25 or 2001:db8::/32", where, safe);
			free(safe);
		} else if (slash != NULL)
			strv_addf(&s->trusted_relays, "%s/%ld", canon, len);
		else
			strv_add_unique(&s->trusted_relays, canon);
		free(canon);
		free(addr);
	}
	strv_free(&words);
	return rc;
}

/* blocklists / domain_blocklists: zone names, blank- or comma-separated,
 * or none. */
static int
settings_blocklists(const char *where, enum dnsbl_kind kind,
    const char *value, struct strv *out, char **cause)
{
	struct strv words;
	char *entry, *why = NULL;
	size_t i;
	int rc = 0;

	strv_free(out);
	strv_init(&words);
	str_split(value, " \t,", &words);
	if (words.n == 1 && strcmp(words.v[0], "none") == 0) {
		strv_free(&words);	/* no list at all */
		strv_init(&words);
	}
	for (i = 0; i < words.n && rc == 0; i++) {
		if (dnsbl_entry_check(kind, words.v[i], &entry, &why) != 0) {
			rc = error_set(cause, "%s: %s", where, why);
			free(why);
		} else if (out->n >= DNSBL_MAX_LISTS) {
			rc = error_set(cause, "%s: %s: more than %d lists",
			    where, kind == DNSBL_IP ? "blocklists" :
			    "domain_blocklists", DNSBL_MAX_LISTS);
			free(entry);
		} else {
			strv_add_unique(out, entry);
			free(entry);
		}
	}
	strv_free(&words);
	return rc;
}

/* The settings of apply (see settings.h): 1 if key is one, 0 if not,
 * -1 with *cause on a bad value. */
static int
settings_apply_plan(struct settings *s, const char *where, const char *key,
    const char *value, char **cause)
{
	static const char *const actions[] = { "accept", "reject", "tempfail",
	    "quarantine", "shutdown", NULL };
	size_t i;

	if (strcmp(key, "signer") == 0) {
		if (backend_signer(value) == NULL) {
			char *names = backend_signer_names();
			int rc = error_set(cause, "%s: signer must be %s", where,
			    names);
			free(names);
			return rc;
		}
		free(s->signer);
		s->signer = xstrdup(value);
		return 1;
	}
	if (strcmp(key, "milter_socket") == 0) {
		if (strcmp(value, "inet") != 0 && strcmp(value, "unix") != 0)
			return error_set(cause, "%s: milter_socket must be inet "
			    "or unix", where);
		s->milter_socket = strcmp(value, "inet") == 0 ? 1 : 2;
		return 1;
	}
	if (strcmp(key, "milter_default_action") == 0) {
		for (i = 0; actions[i] != NULL; i++)
			if (strcmp(value, actions[i]) == 0)
				break;
		if (actions[i] == NULL)
			return error_set(cause, "%s: milter_default_action must "
			    "be tempfail, reject, shutdown, quarantine or "
			    "accept", where);
		free(s->milter_default_action);
		s->milter_default_action = xstrdup(value);
		return 1;
	}
	if (strcmp(key, "ipv6_fallback") == 0) {
		if (strcmp(value, "ipv4") != 0 && strcmp(value, "bind") != 0)
			return error_set(cause, "%s: ipv6_fallback must be ipv4 "
			    "or bind", where);
		free(s->ipv6_fallback);
		s->ipv6_fallback = xstrdup(value);
		return 1;
	}
	return 0;
}

/* Apply one key = value entry. */
static int
settings_apply(struct settings *s, const char *where, const char *key,
    const char *value, char **cause)
{
	const struct backend *b = NULL;
	enum settings_field field = SF_CONFIG;
	char **slot, *known;
	struct strv words;
	size_t i;
	int rc = 0;

	if (strcmp(key, "public_ipv4") == 0) {
		s->have_ipv4 = 1;
		strv_free(&s->public_ipv4);
		return settings_addrs(where, key, value, AF_INET,
		    &s->public_ipv4, cause);
	}
	if (strcmp(key, "public_ipv6") == 0) {
		s->have_ipv6 = 1;
		strv_free(&s->public_ipv6);
		return settings_addrs(where, key, value, AF_INET6,
		    &s->public_ipv6, cause);
	}
	if (strcmp(key, "domains") == 0) {
		strv_free(&s->domains);
		strv_init(&words);
		str_split(value, " \t,", &words);
		for (i = 0; i < words.n && rc == 0; i++) {
			str_lower(words.v[i]);
			if (!site_valid_domain(words.v[i], 0)) {
				char *safe = str_sanitize(words.v[i],
				    strlen(words.v[i]));
				rc = error_set(cause, "%s: domains: \"%.60s\" "
				    "is not a domain name; list domains like "
				    "example.org, separated by blanks", where,
				    safe);
				free(safe);
			} else
				strv_add_unique(&s->domains, words.v[i]);
		}
		strv_free(&words);
		return rc;
	}
	if (strcmp(key, "trusted_relays") == 0)
		return settings_relays(s, where, value, cause);
	if (strcmp(key, "blocklists") == 0) {
		s->have_blocklists = 1;
		return settings_blocklists(where, DNSBL_IP, value,
		    &s->blocklists, cause);
	}
	if (strcmp(key, "domain_blocklists") == 0) {
		s->have_domain_blocklists = 1;
		return settings_blocklists(where, DNSBL_DOMAIN, value,
		    &s->domain_blocklists, cause);
	}
	if ((rc = settings_apply_plan(s, where, key, value, cause)) != 0)
		return rc < 0 ? -1 : 0;
	if (strcmp(key, "dmarc_policy") != 0 && strcmp(key, "dmarc_rua") != 0 &&
	    (b = settings_backend_key(key, &field)) == NULL) {
		known = settings_known();
		rc = error_set(cause, "%s: unknown setting \"%.60s\"; known: "
		    "%s", where, key, known);
		free(known);
		return rc;
	}
	if (strcmp(key, "dmarc_policy") == 0 && strcmp(value, "none") != 0 &&
	    strcmp(value, "quarantine") != 0 && strcmp(value, "reject") != 0)
		return error_set(cause, "%s: dmarc_policy must be none, "
		    "quarantine or reject", where);
	if (strcmp(key, "dmarc_rua") == 0 && !str_startswith(value, "mailto:"))
		return error_set(cause, "%s: dmarc_rua must be a mailto: URI, "
		    "e.g. mailto:dmarc@example.org", where);
	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return error_set(cause, "%s: %s holds a control "
			    "character", where, key);
	if (b != NULL)
		return settings_apply_backend(s, where, key, b, field, value,
		    cause);
	slot = strcmp(key, "dmarc_rua") == 0 ? &s->dmarc_rua :
	    &s->dmarc_policy;
	free(*slot);
	*slot = xstrdup(value);
	return 0;
}

struct settings *
settings_load(const char *root, const char *path, int explicit, char **cause)
{
	struct settings *s = xcalloc(1, sizeof *s);
	struct conf_doc *doc = NULL;
	size_t i;
	char *where;
	int rc;

	if (path == NULL)
		path = SETTINGS_DEFAULT_PATH;
	if (!explicit && !fsroot_exists(root, path))
		return s;
	if ((doc = conf_load(root, CONF_SETTINGS, path, cause)) == NULL) {
		settings_free(s);
		return NULL;
	}
	s->path = xstrdup(path);
	for (i = 0; i < doc->nentries; i++) {
		where = conf_where(doc, &doc->entries[i]);
		rc = settings_apply(s, where, doc->entries[i].key,
		    doc->entries[i].value, cause);
		free(where);
		if (rc != 0) {
			conf_free(doc);
			settings_free(s);
			return NULL;
		}
	}
	conf_free(doc);
	return s;
}

void
settings_free(struct settings *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->path);
	strv_free(&s->public_ipv4);
	strv_free(&s->public_ipv6);
	strv_free(&s->domains);
	free(s->dmarc_rua);
	free(s->dmarc_policy);
	free(s->signer);
	free(s->milter_default_action);
	free(s->ipv6_fallback);
	strv_free(&s->trusted_relays);
	strv_free(&s->blocklists);
	strv_free(&s->domain_blocklists);
	for (i = 0; i < s->nbackends; i++) {
		free(s->backends[i].name);
		free(s->backends[i].config);
		free(s->backends[i].default_file);
		strv_free(&s->backends[i].reload);
		strv_free(&s->backends[i].restart);
	}
	free(s->backends);
	free(s);
}
