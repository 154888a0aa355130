/* settings.c: read notspam.conf, validating every value. */
#include "core/conf/settings.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/netaddr.h"
#include "core/site/site.h"

/* The string-valued keys and where they land. */
static char **
settings_slot(struct settings *s, const char *key)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} slots[] = {
		{ "dmarc_rua", offsetof(struct settings, dmarc_rua) },
		{ "dmarc_policy", offsetof(struct settings, dmarc_policy) },
		{ "postfix_config_dir",
		    offsetof(struct settings, postfix_config_dir) },
		{ "opendkim_conf", offsetof(struct settings, opendkim_conf) },
		{ "opendkim_default",
		    offsetof(struct settings, opendkim_default) },
		{ "smtpd_conf", offsetof(struct settings, smtpd_conf) },
		{ "dkimproxy_conf", offsetof(struct settings, dkimproxy_conf) },
		{ "postfix_reload", offsetof(struct settings, postfix_reload) },
		{ "opendkim_reload",
		    offsetof(struct settings, opendkim_reload) },
		{ "smtpd_reload", offsetof(struct settings, smtpd_reload) },
		{ "dkimproxy_reload",
		    offsetof(struct settings, dkimproxy_reload) },
	};
	size_t i;

	for (i = 0; i < sizeof slots / sizeof slots[0]; i++)
		if (strcmp(slots[i].key, key) == 0)
			return (char **)(void *)((char *)s + slots[i].off);
	return NULL;
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

/* Apply one key = value entry. */
static int
settings_apply(struct settings *s, const char *where, const char *key,
    const char *value, char **cause)
{
	char **slot;
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
	if ((slot = settings_slot(s, key)) == NULL)
		return error_set(cause, "%s: unknown setting \"%.60s\"; known: "
		    "public_ipv4, public_ipv6, domains, dmarc_rua, dmarc_policy, "
		    "postfix_config_dir, opendkim_conf, opendkim_default, "
		    "smtpd_conf, dkimproxy_conf, postfix_reload, "
		    "opendkim_reload, smtpd_reload, dkimproxy_reload", where,
		    key);
	if (strcmp(key, "dmarc_policy") == 0 && strcmp(value, "none") != 0 &&
	    strcmp(value, "quarantine") != 0 && strcmp(value, "reject") != 0)
		return error_set(cause, "%s: dmarc_policy must be none, "
		    "quarantine or reject", where);
	if (strcmp(key, "dmarc_rua") == 0 && !str_startswith(value, "mailto:"))
		return error_set(cause, "%s: dmarc_rua must be a mailto: URI, "
		    "e.g. mailto:dmarc@example.org", where);
	if (strstr(key, "_conf") != NULL || strstr(key, "_dir") != NULL ||
	    strstr(key, "_default") != NULL) {
		if (value[0] != '/')
			return error_set(cause, "%s: %s must be an absolute "
			    "path", where, key);
	}
	for (i = 0; value[i] != '\0'; i++)
		if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
			return error_set(cause, "%s: %s holds a control "
			    "character", where, key);
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
	if (s == NULL)
		return;
	free(s->path);
	strv_free(&s->public_ipv4);
	strv_free(&s->public_ipv6);
	strv_free(&s->domains);
	free(s->dmarc_rua);
	free(s->dmarc_policy);
	free(s->postfix_config_dir);
	free(s->opendkim_conf);
	free(s->opendkim_default);
	free(s->smtpd_conf);
	free(s->dkimproxy_conf);
	free(s->postfix_reload);
	free(s->opendkim_reload);
	free(s->smtpd_reload);
	free(s->dkimproxy_reload);
	free(s);
}
