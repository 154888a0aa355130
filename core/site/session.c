/* session.c: the site, the loop and the resolver every command starts from. */
#include <stdlib.h>
#include <string.h>

#include "core/dns/dns.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/site/session.h"
#include "core/site/site.h"

struct session *
session_open(const struct session_opts *o, char **cause)
{
	struct session *s;
	struct site *site = NULL;

	if (!o->no_site &&
	    (site = site_load(o->root, o->config, cause)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->site = site;
	s->loop = loop_new();
	if (o->resolver != NULL)
		s->resolver = xstrdup(o->resolver);
	return s;
}

/* The options of every resolver of the session. */
static void
session_dns_opts(const struct session *s, struct dns_opts *o)
{
	memset(o, 0, sizeof *o);
	o->servers = s->resolver;
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
	free(s);
}
