/* path.c: the site's links as hops a person reads (see path.h). */
#include "core/site/path.h"

#include <stdlib.h>
#include <string.h>

#include "core/lib/util.h"
#include "core/site/site.h"

static const char *const path_state_names[] = {
	[PATH_LINKED] = "linked",
	[PATH_MISMATCH] = "mismatch",
	[PATH_NO_LISTENER] = "no listener named",
	[PATH_UNUSED] = "idle",
	[PATH_UNKNOWN] = "unknown",
};

const char *
path_state_name(enum path_state st)
{
	return path_state_names[st];
}

static char *
opt_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Is listen link i the listener some hand-over was resolved to? */
static int
path_listener_used(const struct site *site, size_t i)
{
	size_t j;

	for (j = 0; j < site->nlinks; j++)
		if (site->links[j].listener == i)
			return 1;
	return 0;
}

/* The name of listener m's owner with what names the listener beyond its
 * endpoint (smtpd.conf's "lo0:10028 tag DKIM": "opensmtpd (tag DKIM)"). */
static char *
path_listener_name(const struct site_link *m)
{
	const char *owner = site_listen_owner(m), *rest = NULL;

	if (m->address != NULL && (rest = strchr(m->address, ' ')) != NULL)
		rest += strspn(rest, " ");
	if (rest == NULL || *rest == '\0')
		return xstrdup(owner);
	return xasprintf("%s (%s)", owner, rest);
}

/* A hand-over resolved to listener m: linked, or why not. */
static void
path_hop_resolved(const struct site *site, const struct site_link *l,
    struct path_hop *h)
{
	const struct site_link *m = &site->links[l->listener];

	h->to = path_listener_name(m);
	h->listen = opt_dup(m->address);
	if (l->problem != NULL) {
		h->state = PATH_MISMATCH;
		h->detail = xstrdup(l->problem);
	} else {
		h->state = PATH_LINKED;
		if (l->reach != NULL)
			h->detail = xasprintf("unix socket %s (%s)", l->reach,
			    l->reach_why != NULL ? l->reach_why : "as opened");
	}
}

/* A hand-over no listener was resolved to. */
static void
path_hop_unresolved(const struct site *site, const struct site_link *l,
    struct path_hop *h)
{
	int named = strcmp(l->to, "?") != 0;

	if (named && site->unread_signer != NULL &&
	    strcmp(l->to, site->unread_signer) == 0) {
		h->to = xstrdup(l->to);
		h->state = PATH_UNKNOWN;
		h->detail = xasprintf("notspam does not read %s's "
		    "configuration", l->to);
	} else if (named && !h->endpoint) {
		/* A filter the MTA starts itself (smtpd.conf proc-exec). */
		h->to = xstrdup(l->to);
		h->state = PATH_LINKED;
		h->detail = xasprintf("%s runs it", l->from);
	} else if (named) {
		h->to = xstrdup(l->to);
		h->state = PATH_NO_LISTENER;
		h->detail = xasprintf("%s's configuration names no listener "
		    "there", l->to);
	} else if (!h->endpoint) {
		h->state = PATH_UNKNOWN;
		h->detail = xstrdup(strcmp(l->kind, "filter") == 0 ?
		    "not a signer notspam reads" :
		    "not an address notspam can read");
	} else {
		h->state = PATH_NO_LISTENER;
		h->detail = opt_dup(l->problem);
	}
}

/* The hop of link l, a hand-over or a listener nothing dials. */
static void
path_hop_make(const struct site *site, const struct site_link *l,
    struct path_hop *h)
{
	memset(h, 0, sizeof *h);
	h->address = opt_dup(l->address);
	h->kind = xstrdup(l->kind);
	h->endpoint = l->sock.transport != SOCKSPEC_NONE;
	h->source = opt_dup(l->source);
	if (strcmp(l->kind, "listen") == 0) {
		h->to = strcmp(site_listen_owner(l), "?") != 0 ?
		    xstrdup(site_listen_owner(l)) : NULL;
		h->listen = opt_dup(l->address);
		h->state = PATH_UNUSED;
		h->detail = xstrdup("nothing hands it mail");
		return;
	}
	h->from = xstrdup(l->from);
	if (l->listener != SITE_NOLINK)
		path_hop_resolved(site, l, h);
	else
		path_hop_unresolved(site, l, h);
}

static void
path_hop_free(struct path_hop *h)
{
	free(h->from);
	free(h->address);
	free(h->to);
	free(h->kind);
	free(h->detail);
	free(h->listen);
	free(h->source);
	free(h->probe);
}

/* Equal strings, NULL equal to NULL only. */
static int
path_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Does p already hold a hop a person would read as h? */
static int
path_has(const struct path *p, const struct path_hop *h)
{
	const struct path_hop *o;
	size_t i;

	for (i = 0; i < p->nhops; i++) {
		o = &p->hops[i];
		if (path_same(o->from, h->from) &&
		    path_same(o->address, h->address) &&
		    path_same(o->to, h->to) && path_same(o->kind, h->kind) &&
		    o->state == h->state && path_same(o->detail, h->detail))
			return 1;
	}
	return 0;
}

struct path *
path_build(const struct site *site)
{
	struct path *p = xcalloc(1, sizeof *p);
	struct path_hop h;
	size_t i;

	for (i = 0; i < site->nlinks; i++) {
		if (strcmp(site->links[i].kind, "listen") == 0 &&
		    path_listener_used(site, i))
			continue;	/* merged into the hop that dials it */
		path_hop_make(site, &site->links[i], &h);
		if (path_has(p, &h)) {
			path_hop_free(&h);
			continue;
		}
		p->hops = xgrow(p->hops, p->nhops, sizeof *p->hops);
		p->hops[p->nhops++] = h;
	}
	return p;
}

void
path_free(struct path *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nhops; i++)
		path_hop_free(&p->hops[i]);
	free(p->hops);
	free(p);
}

char *
path_hop_route(const struct path_hop *h)
{
	struct buf b;

	buf_init(&b);
	if (h->from == NULL) {
		buf_printf(&b, "%s listens on %s", h->to != NULL ? h->to :
		    "a program", h->address != NULL ? h->address : "an "
		    "address notspam cannot read");
		return buf_steal(&b);
	}
	buf_printf(&b, "%s -> ", h->from);
	if (h->address == NULL)
		buf_adds(&b, h->kind);
	else if (!h->endpoint)
		buf_printf(&b, "%s %s", h->kind, h->address);
	else
		buf_adds(&b, h->address);
	if (h->to != NULL)
		buf_printf(&b, " -> %s", h->to);
	return buf_steal(&b);
}

char *
path_hop_state(const struct path_hop *h)
{
	if (h->detail == NULL)
		return xstrdup(path_state_name(h->state));
	return xasprintf("%s: %s", path_state_name(h->state), h->detail);
}
