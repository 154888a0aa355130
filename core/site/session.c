/* session.c: the site, the loop and the resolver every command starts from. */
#include <stdlib.h>
#include <string.h>

#include "core/dns/dns.h"
#include "core/dns/zone.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/site/session.h"
#include "core/site/site.h"

/* Load every zone path; the set, or NULL with *cause.  *name is what
 * the resolver calls itself: "zones:" and the first path's last part. */
static struct zone_set *
session_zones(const char *const *paths, char **name, char **cause)
{
	struct zone_set *zs = zone_set_new();
	const char *base;
	size_t i, n;
	char *safe;

	for (i = 0; paths[i] != NULL; i++) {
		if (zone_set_load(zs, paths[i], cause) != 0) {
			zone_set_free(zs);
			return NULL;
		}
	}
	if (i == 0) {
		zone_set_free(zs);
		error_set(cause, "--zones needs a zone file or directory");
		return NULL;
	}
	n = strlen(paths[0]);
	while (n > 1 && paths[0][n - 1] == '/')
		n--;
	for (base = paths[0] + n; base > paths[0] && base[-1] != '/'; base--)
		;
	safe = str_sanitize(base, (size_t)(paths[0] + n - base));
	*name = i > 1 ? xasprintf("zones:%s+%zu", safe, i - 1) :
	    xasprintf("zones:%s", safe);
	free(safe);
	return zs;
}

struct session *
session_open(const struct session_opts *o, char **cause)
{
	struct session *s;
	struct site *site = NULL;
	struct zone_set *zs = NULL;
	char *zname = NULL;

	if (o->zones != NULL &&
	    (zs = session_zones(o->zones, &zname, cause)) == NULL)
		return NULL;
	if (!o->no_site &&
	    (site = site_load(o->root, o->config, cause)) == NULL) {
		zone_set_free(zs);
		free(zname);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->site = site;
	s->loop = loop_new();
	if (o->resolver != NULL)
		s->resolver = xstrdup(o->resolver);
	s->zones = zs;
	s->zones_name = zname;
	return s;
}

/* The options of every resolver of the session. */
static void
session_dns_opts(const struct session *s, struct dns_opts *o)
{
	memset(o, 0, sizeof *o);
	o->servers = s->zones != NULL ? s->zones_name : s->resolver;
	o->zones = s->zones;
	o->timeout_ms = SESSION_DNS_TIMEOUT_MS;
	o->tries = SESSION_DNS_TRIES;
}

struct dns *
session_dns(struct session *s, int *bad_option)
{
	struct dns_opts o;

	if (bad_option != NULL)
		*bad_option = 0;
	if (s->dns != NULL)
		return s->dns;
	free(s->dns_error);
	s->dns_error = NULL;
	session_dns_opts(s, &o);
	if ((s->dns = dns_new(s->loop, &o, &s->dns_error)) == NULL &&
	    bad_option != NULL)
		*bad_option = s->resolver != NULL;
	return s->dns;
}

struct dns *
session_dns_new(struct session *s, char **cause)
{
	struct dns_opts o;

	session_dns_opts(s, &o);
	return dns_new(s->loop, &o, cause);
}

void
session_close(struct session *s)
{
	if (s == NULL)
		return;
	dns_free(s->dns);
	loop_free(s->loop);
	site_free(s->site);
	free(s->dns_error);
	free(s->resolver);
	zone_set_free(s->zones);
	free(s->zones_name);
	free(s);
}
