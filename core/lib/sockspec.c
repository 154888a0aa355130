/* sockspec.c: endpoints of milters, proxies and relays, parsed once. */
#include "core/lib/sockspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/lib/netaddr.h"
#include "core/lib/util.h"

/* Longest endpoint text accepted (sun_path is 108; host names 253). */
#define SOCKSPEC_TEXT_MAX	1024

/* Refuse text that is empty, too long or holds control bytes. */
static int
ss_check_text(const char *text, char **cause)
{
	size_t i, len;
	char *show;

	if (text == NULL || *text == '\0')
		return error_set(cause, "empty endpoint: write one such as "
		    "inet:127.0.0.1:8891 or unix:/run/opendkim/opendkim.sock");
	len = strlen(text);
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			show = str_sanitize(text, len > 80 ? 80 : len);
			error_set(cause, "endpoint \"%s\" holds a control "
			    "character; rewrite it on one line", show);
			free(show);
			return -1;
		}
	if (len > SOCKSPEC_TEXT_MAX)
		return error_set(cause, "endpoint of %zu bytes is too long "
		    "(at most %d)", len, SOCKSPEC_TEXT_MAX);
	return 0;
}

/* A port of 1 to 5 digits, 1..65535. */
static int
ss_port(const char *s, size_t len, unsigned *port, char **cause)
{
	unsigned long v = 0;
	size_t i;
	char *show;

	if (len == 0 || len > 5 || strspn(s, "0123456789") < len)
		goto bad;
	for (i = 0; i < len; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (v == 0 || v > 65535)
		goto bad;
	*port = (unsigned)v;
	return 0;
bad:
	show = str_sanitize(s, len > 40 ? 40 : len);
	error_set(cause, "\"%s\" is not a port (1 to 65535)", show);
	free(show);
	return -1;
}

/* The family of a host: a literal's, else AF_UNSPEC (a name). */
static int
ss_host_family(const char *host)
{
	char *canon;
	int family = AF_UNSPEC;

	if ((canon = netaddr_canon(host, &family)) == NULL)
		return AF_UNSPEC;
	free(canon);
	return family;
}

/* Set the TCP part of out: host (brackets removed), port, family. */
static void
ss_set_tcp(struct sockspec *out, enum sockspec_transport t, const char *host,
    size_t hlen, unsigned port)
{
	out->transport = t;
	out->address = xstrndup(host, hlen);
	out->port = port;
	out->family = *out->address == '\0' ? AF_UNSPEC :
	    ss_host_family(out->address);
}

/*
 * host:port or [host]:port (Postfix splits an unbracketed form at the last
 * colon).  need_port: a missing port is an error, else port 0.
 */
static int
ss_hostport(struct sockspec *out, const char *s, int need_port, char **cause)
{
	const char *host, *close, *colon;
	size_t hlen;
	unsigned port = 0;

	if (*s == '[') {
		if ((close = strchr(s, ']')) == NULL)
			return error_set(cause, "missing \"]\" after the "
			    "address; write [address]:port");
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] != '\0' && colon == NULL)
			return error_set(cause, "text after \"]\"; write "
			    "[address]:port");
	} else {
		host = s;
		colon = strrchr(s, ':');
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0)
		return error_set(cause, "no host; write host:port");
	if (colon != NULL && ss_port(colon + 1, strlen(colon + 1), &port,
	    cause) != 0)
		return -1;
	if (colon == NULL && need_port)
		return error_set(cause, "no port; write host:port");
	ss_set_tcp(out, SOCKSPEC_INET, host, hlen, port);
	if (*s == '[' && out->family == AF_UNSPEC) {
		sockspec_free(out);
		return error_set(cause, "a bracketed host must be an address");
	}
	return 0;
}

/* A socket file. */
static int
ss_path(struct sockspec *out, enum sockspec_transport t, const char *path,
    char **cause)
{
	if (*path == '\0')
		return error_set(cause, "no socket path; write unix:/path");
	out->transport = t;
	out->family = AF_UNIX;
	out->path = xstrdup(path);
	out->relative = *path != '/';
	return 0;
}

/* Postfix milter: inet:host:port, inet:port, unix:path, local:path, /path. */
static int
ss_postfix(struct sockspec *out, const char *s, char **cause)
{
	const char *rest;

	if (*s == '/')
		return ss_path(out, SOCKSPEC_UNIX, s, cause);
	if (str_casestartswith(s, "unix:"))
		return ss_path(out, SOCKSPEC_UNIX, s + 5, cause);
	if (str_casestartswith(s, "local:"))
		return ss_path(out, SOCKSPEC_LOCAL, s + 6, cause);
	if (!str_casestartswith(s, "inet:"))
		return error_set(cause, "needs transport:endpoint with "
		    "transport inet, unix or local (not \"%.*s\")",
		    (int)strcspn(s, ":"), s);
	rest = s + 5;
	if (*rest != '\0' && strspn(rest, "0123456789") == strlen(rest)) {
		/* inet:port is localhost:port */
		unsigned port;
		if (ss_port(rest, strlen(rest), &port, cause) != 0)
			return -1;
		ss_set_tcp(out, SOCKSPEC_INET, "localhost", 9, port);
		return 0;
	}
	return ss_hostport(out, rest, 1, cause);
}

/* Postfix nexthop of transport:nexthop (content_filter). */
static int
ss_nexthop(struct sockspec *out, const char *s, char **cause)
{
	const char *p = s;

	if (*p != '[') {
		size_t n = strcspn(p, ":");
		if (p[n] != ':' || n == 0)
			return error_set(cause, "needs transport:nexthop, "
			    "e.g. smtp:[127.0.0.1]:10025");
		p += n + 1;
	}
	if (str_casestartswith(p, "unix:"))
		return ss_path(out, SOCKSPEC_UNIX, p + 5, cause);
	if (str_casestartswith(p, "inet:"))
		p += 5;
	return ss_hostport(out, p, 1, cause);
}

/* libmilter: inet:port[@host], inet6:port[@host], local:, unix:, /path. */
static int
ss_milter(struct sockspec *out, const char *s, char **cause)
{
	const char *rest, *at, *host;
	enum sockspec_transport t;
	size_t plen, hlen;
	unsigned port;
	int family;

	if (*s == '/' || strchr(s, ':') == NULL)
		return ss_path(out, SOCKSPEC_UNIX, s, cause);
	if (str_casestartswith(s, "unix:"))
		return ss_path(out, SOCKSPEC_UNIX, s + 5, cause);
	if (str_casestartswith(s, "local:"))
		return ss_path(out, SOCKSPEC_LOCAL, s + 6, cause);
	if (str_casestartswith(s, "inet6:")) {
		t = SOCKSPEC_INET6;
		family = AF_INET6;
		rest = s + 6;
	} else if (str_casestartswith(s, "inet:")) {
		t = SOCKSPEC_INET;
		family = AF_INET;
		rest = s + 5;
	} else
		return error_set(cause, "unknown socket type \"%.*s\": use "
		    "inet:port@host, inet6:port@host or local:/path",
		    (int)strcspn(s, ":"), s);
	at = strchr(rest, '@');
	plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
	if (ss_port(rest, plen, &port, cause) != 0)
		return -1;
	host = at != NULL ? at + 1 : "";
	hlen = strlen(host);
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	if (at != NULL && hlen == 0)
		return error_set(cause, "nothing after \"@\": write "
		    "inet:port@host");
	ss_set_tcp(out, t, host, hlen, port);
	if (out->family != AF_UNSPEC && out->family != family) {
		sockspec_free(out);
		return error_set(cause, "%s needs an %s address", t ==
		    SOCKSPEC_INET6 ? "inet6" : "inet", t == SOCKSPEC_INET6 ?
		    "IPv6" : "IPv4");
	}
	out->family = family;	/* libmilter binds that family only */
	out->any_family = t == SOCKSPEC_INET6 && hlen == 0;
	return 0;
}

/* OpenSMTPD relay URL: scheme://[label@]host[:port]. */
static int
ss_url(struct sockspec *out, const char *s, char **cause)
{
	const char *p, *at;

	if ((p = strstr(s, "://")) == NULL)
		return error_set(cause, "needs scheme://host[:port], e.g. "
		    "smtp://127.0.0.1:10027");
	p += 3;
	if ((at = strrchr(p, '@')) != NULL)
		p = at + 1;
	return ss_hostport(out, p, 0, cause);
}

int
sockspec_parse(enum sockspec_syntax syntax, const char *text,
    struct sockspec *out, char **cause)
{
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (ss_check_text(text, cause) != 0)
		return -1;
	switch (syntax) {
	case SOCKSPEC_POSTFIX:
		rc = ss_postfix(out, text, cause);
		break;
	case SOCKSPEC_NEXTHOP:
		rc = ss_nexthop(out, text, cause);
		break;
	case SOCKSPEC_MILTER:
		rc = ss_milter(out, text, cause);
		break;
	case SOCKSPEC_HOSTPORT:
		if (strspn(text, "0123456789") == strlen(text)) {
			/* a port alone: every address */
			unsigned port;
			if ((rc = ss_port(text, strlen(text), &port,
			    cause)) == 0)
				ss_set_tcp(out, SOCKSPEC_INET, "", 0, port);
			break;
		}
		rc = ss_hostport(out, text, 1, cause);
		break;
	case SOCKSPEC_URL:
		rc = ss_url(out, text, cause);
		break;
	}
	if (rc != 0)
		sockspec_free(out);
	return rc;
}

void
sockspec_free(struct sockspec *s)
{
	if (s == NULL)
		return;
	free(s->address);
	free(s->path);
	memset(s, 0, sizeof *s);
}

void
sockspec_copy(struct sockspec *dst, const struct sockspec *src)
{
	*dst = *src;
	dst->address = src->address != NULL ? xstrdup(src->address) : NULL;
	dst->path = src->path != NULL ? xstrdup(src->path) : NULL;
}

/* Equal optional strings; hosts without case. */
static int
ss_streq(const char *a, const char *b, int nocase)
{
	if (a == NULL || b == NULL)
		return a == b;
	return nocase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

int
sockspec_equal(const struct sockspec *a, const struct sockspec *b)
{
	return a->transport == b->transport && a->family == b->family &&
	    a->port == b->port && a->relative == b->relative &&
	    a->any_family == b->any_family &&
	    ss_streq(a->address, b->address, 1) &&
	    ss_streq(a->path, b->path, 0);
}

static int
ss_is_socket(const struct sockspec *s)
{
	return s->transport == SOCKSPEC_UNIX || s->transport == SOCKSPEC_LOCAL;
}

static int
ss_is_tcp(const struct sockspec *s)
{
	return s->transport == SOCKSPEC_INET || s->transport == SOCKSPEC_INET6;
}

/* The last path component. */
static const char *
ss_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The address a host stands for in family f ("" every, NULL none). */
static const char *
ss_addr_in(const struct sockspec *s, int f, char *buf, size_t size)
{
	char *canon;
	int family;

	if (s->family != AF_UNSPEC && s->family != f &&
	    !(s->any_family && f == AF_INET))
		return NULL;
	if (*s->address == '\0')
		return "";
	if (strcasecmp(s->address, "localhost") == 0)
		return f == AF_INET ? "127.0.0.1" : "::1";
	if ((canon = netaddr_canon(s->address, &family)) != NULL) {
		if (family != f) {
			free(canon);
			return NULL;
		}
		snprintf(buf, size, "%s", canon);
		free(canon);
		return buf;
	}
	return s->address;	/* a name: compared as text */
}

/* Does a TCP client reach a TCP listener (see the header)? */
static int
ss_reach_tcp(const struct sockspec *c, const struct sockspec *l)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char b1[64], b2[64];
	const char *ca, *la;
	size_t i;

	if (c->port == 0 || c->port != l->port)
		return 0;
	for (i = 0; i < 2; i++) {
		ca = ss_addr_in(c, families[i], b1, sizeof b1);
		la = ss_addr_in(l, families[i], b2, sizeof b2);
		if (ca == NULL || la == NULL || *ca == '\0')
			continue;
		if (*la == '\0' || strcasecmp(ca, la) == 0)
			return 1;
	}
	return 0;
}

/* Does a socket client reach a socket listener? */
static int
ss_reach_path(const struct sockspec *c, const struct sockspec *l)
{
	size_t cl = strlen(c->path), ll = strlen(l->path);

	if (strcmp(c->path, l->path) == 0)
		return 1;
	return c->relative && ll > cl && l->path[ll - cl - 1] == '/' &&
	    strcmp(l->path + ll - cl, c->path) == 0;
}

int
sockspec_matches(const struct sockspec *client,
    const struct sockspec *listener, enum sockspec_match how)
{
	if (ss_is_socket(client) && ss_is_socket(listener))
		return how == SOCKSPEC_MATCH_PORT ?
		    strcmp(ss_base(client->path), ss_base(listener->path)) ==
		    0 : ss_reach_path(client, listener);
	if (!ss_is_tcp(client) || !ss_is_tcp(listener))
		return 0;
	if (how == SOCKSPEC_MATCH_PORT)
		return client->port != 0 && client->port == listener->port;
	return ss_reach_tcp(client, listener);
}

char *
sockspec_format(const struct sockspec *s)
{
	const char *t = s->transport == SOCKSPEC_INET6 ? "inet6" : "inet";
	struct buf b;

	switch (s->transport) {
	case SOCKSPEC_NONE:
		return xstrdup("none");
	case SOCKSPEC_UNIX:
		return xasprintf("unix:%s", s->path);
	case SOCKSPEC_LOCAL:
		return xasprintf("local:%s", s->path);
	default:
		break;
	}
	buf_init(&b);
	buf_printf(&b, "%s:", t);
	if (*s->address == '\0')
		buf_adds(&b, s->transport == SOCKSPEC_INET6 ? "[::]" : "*");
	else if (strchr(s->address, ':') != NULL)
		buf_printf(&b, "[%s]", s->address);
	else
		buf_adds(&b, s->address);
	if (s->port != 0)
		buf_printf(&b, ":%u", s->port);
	return buf_steal(&b);
}
