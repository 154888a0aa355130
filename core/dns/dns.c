/* dns.c: asynchronous lookups on c-ares 1.18; answers are read by
 * core/dns/dns_parse.c. */
#include "core/dns/dns.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ares.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dns/dns_parse.h"
#include "core/dns/zone.h"
#include "core/lib/dnsname.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

#define DNS_EDNS_SIZE	1232	/* the DNS flag day 2020 UDP size */

/* One lookup: in the FIFO until the window has room, then owned by
 * c-ares (its callback argument) until dns_answered. */
struct dns_q {
	struct dns	*dns;
	char		*name;
	int		 type;
	dns_cb		 cb;
	void		*arg;
	struct dns_q	*next;
};

/* A socket c-ares told us about. */
struct dns_sock {
	int		 fd;
	int		 tcp;
};

struct dns {
	struct loop	*loop;
	ares_channel	 ch;
	char		*servers;	/* "127.0.0.1:5353,[::1]:53" */
	int		 window;
	int		 timeout_ms;
	int		 tries;

	struct dns_q	*qhead;		/* FIFO of queued lookups */
	struct dns_q	*qtail;
	size_t		 nqueued;
	size_t		 nflight;	/* handed to c-ares */

	struct dns_sock	*socks;
	size_t		 nsocks;
	size_t		 socksize;

	uint64_t	 pump_timer;	/* 0-ms timer sending queued lookups */
	uint64_t	 ares_timer;	/* follows ares_timeout() */
	int		 cur_tcp;	/* the fd being served is TCP */
	int		 depth;		/* inside c-ares or our dispatch */
	int		 dying;		/* dns_free was called */

	const struct zone_set *zones;	/* zone-file mode, or NULL */
};

static void dns_answered(void *, int, int, unsigned char *, int);
static void dns_destroy(struct dns *);
static void dns_timer_cb(void *);

const char *
dns_status_name(enum dns_status status)
{
	switch (status) {
	case DNS_OK:
		return "OK";
	case DNS_NODATA:
		return "NODATA";
	case DNS_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_SERVFAIL:
		return "SERVFAIL";
	case DNS_REFUSED:
		return "REFUSED";
	case DNS_TIMEOUT:
		return "timeout";
	case DNS_ERROR:
		return "error";
	}
	return "unknown";
}

/* ---- servers ------------------------------------------------------- */

/* Parse one "IP[:PORT]" or "[IPv6][:PORT]" into node; 0 or -1. */
static int
server_parse(const char *s, struct ares_addr_port_node *node)
{
	char host[INET6_ADDRSTRLEN + 2], *end;
	const char *port = NULL, *sep;
	size_t n;
	long p = 53;
	int bracket = 0;

	if (*s == '[') {
		if ((sep = strchr(s, ']')) == NULL)
			return -1;
		bracket = 1;
		s++;
		n = (size_t)(sep - s);
		if (sep[1] == ':')
			port = sep + 2;
		else if (sep[1] != '\0')
			return -1;
	} else if ((sep = strchr(s, ':')) != NULL &&
	    strchr(sep + 1, ':') == NULL) {
		n = (size_t)(sep - s);	/* IPv4:PORT */
		port = sep + 1;
	} else
		n = strlen(s);		/* IPv4, or a bare IPv6 address */
	if (n == 0 || n >= sizeof host)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port != NULL) {
		if (*port < '0' || *port > '9')
			return -1;
		errno = 0;
		p = strtol(port, &end, 10);
		if (errno != 0 || *end != '\0' || p < 1 || p > 65535)
			return -1;
	}
	memset(node, 0, sizeof *node);
	node->udp_port = node->tcp_port = (int)p;
	if (!bracket && inet_pton(AF_INET, host, &node->addr.addr4) == 1)
		node->family = AF_INET;
	else if ((bracket || port == NULL) &&
	    inet_pton(AF_INET6, host, &node->addr.addr6) == 1)
		node->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* Append "IP:PORT" or "[IP]:PORT" for one c-ares server node. */
static void
server_text(struct buf *b, const struct ares_addr_port_node *node)
{
	char addr[INET6_ADDRSTRLEN];
	int port = node->udp_port ? node->udp_port : 53;

	if (b->len > 0)
		buf_addc(b, ',');
	if (node->family == AF_INET) {
		inet_ntop(AF_INET, &node->addr.addr4, addr, sizeof addr);
		buf_printf(b, "%s:%d", addr, port);
	} else {
		inet_ntop(AF_INET6, &node->addr.addr6, addr, sizeof addr);
		buf_printf(b, "[%s]:%d", addr, port);
	}
}

/* Parse the "IP[:PORT][,...]" list into c-ares nodes; 0 or -1. */
static int
servers_set(struct dns *dns, const char *list, char **cause)
{
	struct ares_addr_port_node *nodes = NULL;
	struct strv items;
	struct buf b;
	size_t i;
	int rc = -1, r;
	char *item, *safe = NULL;

	strv_init(&items);
	buf_init(&b);
	str_split(list, ",", &items);
	if (items.n == 0) {
		safe = str_sanitize(list, strlen(list));
		error_set(cause, "--resolver: \"%s\" is not IP[:PORT]", safe);
		goto done;
	}
	nodes = xcalloc(items.n, sizeof *nodes);
	for (i = 0; i < items.n; i++) {
		item = str_trim(items.v[i]);
		if (server_parse(item, &nodes[i]) != 0) {
			safe = str_sanitize(item, strlen(item));
			error_set(cause, "--resolver: \"%s\" is not IP[:PORT]",
			    safe);
			goto done;
		}
		nodes[i].next = i + 1 < items.n ? &nodes[i + 1] : NULL;
		server_text(&b, &nodes[i]);
	}
	if ((r = ares_set_servers_ports(dns->ch, nodes)) != ARES_SUCCESS) {
		error_set(cause, "--resolver: %s: %s", b.data,
		    ares_strerror(r));
		goto done;
	}
	dns->servers = buf_steal(&b);
	rc = 0;
done:
	free(safe);
	free(nodes);
	buf_free(&b);
	strv_free(&items);
	return rc;
}

/* The servers c-ares took from /etc/resolv.conf, as text. */
static void
servers_get(struct dns *dns)
{
	struct ares_addr_port_node *nodes = NULL, *n;
	struct buf b;

	buf_init(&b);
	if (ares_get_servers_ports(dns->ch, &nodes) == ARES_SUCCESS) {
		for (n = nodes; n != NULL; n = n->next)
			server_text(&b, n);
		ares_free_data(nodes);
	}
	if (b.len == 0)
		buf_adds(&b, "(no server)");
	dns->servers = buf_steal(&b);
}

/* ---- the loop side ------------------------------------------------- */

static struct dns_sock *
dns_sock_find(struct dns *dns, int fd)
{
	size_t i;

	for (i = 0; i < dns->nsocks; i++)
		if (dns->socks[i].fd == fd)
			return &dns->socks[i];
	return NULL;
}

/* After work inside c-ares: finish a dns_free deferred by a callback.
 * The caller must not touch dns afterwards. */
static void
dns_leave(struct dns *dns)
{
	if (--dns->depth == 0 && dns->dying)
		dns_destroy(dns);
}

/* ---- zone-file mode ------------------------------------------------ */

/* Answer q from the zones, through the wire parser as c-ares answers. */
static void
dns_zone_answer(struct dns *dns, struct dns_q *q)
{
	unsigned char *msg;
	size_t len;

	if (zone_set_answer(dns->zones, q->name, q->type, &msg, &len) != 0) {
		dns_answered(q, ARES_EBADNAME, 0, NULL, 0);
		return;
	}
	dns_answered(q, ARES_SUCCESS, 0, msg, (int)len);
	free(msg);
}

/* Hand queued lookups to c-ares while the window has room. */
static void
dns_pump(struct dns *dns)
{
	struct dns_q *q;

	while (!dns->dying && dns->qhead != NULL &&
	    dns->nflight < (size_t)dns->window) {
		q = dns->qhead;
		if ((dns->qhead = q->next) == NULL)
			dns->qtail = NULL;
		dns->nqueued--;
		q->next = NULL;
		dns->nflight++;
		/* c-ares reads "\\027" as "027": such a name is not asked. */
		if (!dnsname_query_ok(q->name)) {
			dns_answered(q, ARES_EBADNAME, 0, NULL, 0);
			continue;
		}
		if (dns->zones != NULL) {
			dns_zone_answer(dns, q);
			continue;
		}
		/* May call dns_answered at once (a bad name, no memory). */
		ares_query(dns->ch, q->name, 1 /* IN */, q->type,
		    dns_answered, q);
	}
}

/* After a step inside c-ares: set the timer to what c-ares waits for. */
static void
dns_rearm(struct dns *dns)
{
	struct timeval tv, *tp;
	int64_t ms;

	loop_timer_cancel(dns->loop, dns->ares_timer);
	dns->ares_timer = 0;
	if (dns->dying || dns->nflight == 0)
		return;
	if ((tp = ares_timeout(dns->ch, NULL, &tv)) == NULL)
		return;
	ms = (int64_t)tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000;
	if (ms > INT_MAX)
		ms = INT_MAX;
	dns->ares_timer = loop_timer_add(dns->loop, (int)ms, dns_timer_cb,
	    dns);
}

/* The loop's timer: let c-ares expire tries, then send what waits. */
static void
dns_timer_cb(void *arg)
{
	struct dns *dns = arg;

	dns->ares_timer = 0;
	dns->depth++;
	ares_process_fd(dns->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_pump(dns);
	dns_rearm(dns);
	dns_leave(dns);
}

/* The 0-ms timer dns_query sets: send what the window allows. */
static void
dns_pump_cb(void *arg)
{
	struct dns *dns = arg;

	dns->pump_timer = 0;
	dns->depth++;
	dns_pump(dns);
	dns_rearm(dns);
	dns_leave(dns);
}

/* A c-ares socket is ready: serve it.  cur_tcp lets dns_answered tell an
 * answer that came over TCP (c-ares reads one socket per call). */
static void
dns_fd_cb(int fd, short revents, void *arg)
{
	struct dns *dns = arg;
	struct dns_sock *s = dns_sock_find(dns, fd);
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
		rfd = fd;
	if (revents & POLLOUT)
		wfd = fd;
	dns->depth++;
	dns->cur_tcp = s != NULL && s->tcp;
	ares_process_fd(dns->ch, rfd, wfd);
	dns->cur_tcp = 0;
	dns_pump(dns);
	dns_rearm(dns);
	dns_leave(dns);
}

/* ARES_OPT_SOCK_STATE_CB: c-ares opens, closes or wants to write. */
static void
dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *dns = data;
	struct dns_sock *s = dns_sock_find(dns, fd);
	socklen_t tlen = sizeof(int);
	int type = 0;

	if (!readable && !writable) {
		if (s != NULL)
			*s = dns->socks[--dns->nsocks];
		loop_fd_set(dns->loop, fd, 0, NULL, NULL);
		return;
	}
	if (s == NULL) {
		if (dns->nsocks == dns->socksize) {
			dns->socksize = dns->socksize ? dns->socksize * 2 : 4;
			dns->socks = xreallocarray(dns->socks, dns->socksize,
			    sizeof *dns->socks);
		}
		s = &dns->socks[dns->nsocks++];
		s->fd = fd;
		s->tcp = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
		    &tlen) == 0 && type == SOCK_STREAM;
	}
	loop_fd_set(dns->loop, fd, (short)((readable ? POLLIN : 0) |
	    (writable ? POLLOUT : 0)), dns_fd_cb, dns);
}

/* A readable cause for an answer that is not DNS_OK (caller frees). */
static char *
dns_cause(struct dns *dns, const struct dns_answer *a)
{
	switch (a->status) {
	case DNS_OK:
		return NULL;
	case DNS_NODATA:
		return xstrdup("no record of this type");
	case DNS_NXDOMAIN:
		return xstrdup("the name does not exist");
	case DNS_SERVFAIL:
		return xasprintf("%s answered SERVFAIL (server failure)",
		    dns->servers);
	case DNS_REFUSED:
		return xasprintf("%s answered REFUSED", dns->servers);
	case DNS_TIMEOUT:
		return xasprintf("no answer from %s after %d tries",
		    dns->servers, dns->tries);
	case DNS_ERROR:
		break;
	}
	if (a->error == NULL)
		return xasprintf("error from %s", dns->servers);
	if (str_startswith(a->error, "the server answered "))
		return xasprintf("%s answered %s", dns->servers,
		    a->error + strlen("the server answered "));
	return xasprintf("%s (from %s)", a->error, dns->servers);
}

/* The answer for a c-ares status that came without a message. */
static char *
dns_status_error(struct dns *dns, const char *name, int status,
    struct dns_answer *a)
{
	char *safe, *error;

	a->status = DNS_ERROR;
	switch (status) {
	case ARES_ETIMEOUT:
		a->status = DNS_TIMEOUT;
		break;
	case ARES_ESERVFAIL:
		a->status = DNS_SERVFAIL;
		break;
	case ARES_EREFUSED:
		a->status = DNS_REFUSED;
		break;
	case ARES_ENOTFOUND:
		a->status = DNS_NXDOMAIN;
		break;
	case ARES_ENODATA:
		a->status = DNS_NODATA;
		break;
	case ARES_ECONNREFUSED:
		return xasprintf("connection refused by %s", dns->servers);
	case ARES_EBADNAME:
		safe = str_sanitize(name, strlen(name));
		error = xasprintf("\"%s\" is not a valid domain name", safe);
		free(safe);
		return error;
	default:
		return xasprintf("%s (asking %s)", ares_strerror(status),
		    dns->servers);
	}
	return dns_cause(dns, a);
}

/* The c-ares callback: build the answer, call the caller, free. */
static void
dns_answered(void *arg, int status, int timeouts, unsigned char *abuf,
    int alen)
{
	struct dns_q *q = arg;
	struct dns *dns = q->dns;
	struct dns_answer a;
	char *error = NULL;

	(void)timeouts;
	dns->nflight--;

	memset(&a, 0, sizeof a);
	a.name = q->name;
	a.type = q->type;
	if (dns->dying || status == ARES_ECANCELLED ||
	    status == ARES_EDESTRUCTION) {
		a.status = DNS_ERROR;
		a.error = "cancelled";
	} else if (abuf != NULL && alen > 0) {
		dns_parse(abuf, (size_t)alen, q->name, q->type, &a);
		a.sent = a.replied = 1;
		a.tcp = dns->cur_tcp;
		error = dns_cause(dns, &a);
		a.error = error;
	} else {
		error = dns_status_error(dns, q->name, status, &a);
		a.error = error;
		a.sent = status != ARES_EBADNAME;
	}
	q->cb(&a, q->arg);
	dns_answer_clear(&a);
	free(error);
	free(q->name);
	free(q);
}

/* ---- the resolver -------------------------------------------------- */

struct dns *
dns_new(struct loop *loop, const struct dns_opts *opts, char **cause)
{
	struct dns_opts none;
	struct ares_options o;
	struct dns *dns;
	int mask, r;

	if (opts == NULL) {
		memset(&none, 0, sizeof none);
		opts = &none;
	}
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		error_set(cause, "cannot start the resolver: %s",
		    ares_strerror(r));
		return NULL;
	}
	dns = xcalloc(1, sizeof *dns);
	dns->loop = loop;
	dns->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 2000;
	dns->tries = opts->tries > 0 ? opts->tries : 2;
	dns->window = opts->window > 0 ? opts->window : 100;

	memset(&o, 0, sizeof o);
	/*
	 * NOCHECKRESP: c-ares 1.18 retries a SERVFAIL or REFUSED answer and,
	 * once out of tries, reports ARES_ECONNREFUSED; letting the answer
	 * through is the only way to tell them apart.
	 */
	o.flags = ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
	if (opts->norecurse)
		o.flags |= ARES_FLAG_NORECURSE;
	o.timeout = dns->timeout_ms;
	o.tries = dns->tries;
	o.ednspsz = DNS_EDNS_SIZE;
	o.sock_state_cb = dns_sock_state;
	o.sock_state_cb_data = dns;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_EDNSPSZ | ARES_OPT_SOCK_STATE_CB;
	if ((r = ares_init_options(&dns->ch, &o, mask)) != ARES_SUCCESS) {
		error_set(cause, "cannot start the resolver: %s",
		    ares_strerror(r));
		goto fail;
	}
	if ((dns->zones = opts->zones) != NULL)
		dns->servers = xstrdup(opts->servers != NULL ? opts->servers :
		    "zone files");
	else if (opts->servers == NULL)
		servers_get(dns);
	else if (servers_set(dns, opts->servers, cause) != 0) {
		ares_destroy(dns->ch);
		goto fail;
	}
	return dns;
fail:
	ares_library_cleanup();
	free(dns->socks);
	free(dns);
	return NULL;
}

/* Cancel everything, then free; callbacks may queue more (cancelled too). */
static void
dns_destroy(struct dns *dns)
{
	struct dns_answer a;
	struct dns_q *q;
	size_t i;

	dns->depth++;
	loop_timer_cancel(dns->loop, dns->pump_timer);
	loop_timer_cancel(dns->loop, dns->ares_timer);
	ares_cancel(dns->ch);
	while ((q = dns->qhead) != NULL) {
		if ((dns->qhead = q->next) == NULL)
			dns->qtail = NULL;
		dns->nqueued--;
		memset(&a, 0, sizeof a);
		a.name = q->name;
		a.type = q->type;
		a.status = DNS_ERROR;
		a.error = "cancelled";
		q->cb(&a, q->arg);
		free(q->name);
		free(q);
	}
	ares_destroy(dns->ch);
	for (i = 0; i < dns->nsocks; i++)
		loop_fd_set(dns->loop, dns->socks[i].fd, 0, NULL, NULL);
	ares_library_cleanup();
	free(dns->socks);
	free(dns->servers);
	free(dns);
}

void
dns_free(struct dns *dns)
{
	if (dns == NULL || dns->dying)
		return;
	dns->dying = 1;
	if (dns->depth == 0)
		dns_destroy(dns);
}

void
dns_query(struct dns *dns, const char *name, int type, dns_cb cb, void *arg)
{
	struct dns_q *q = xcalloc(1, sizeof *q);

	q->dns = dns;
	q->name = xstrdup(name);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	if (dns->qtail != NULL)
		dns->qtail->next = q;
	else
		dns->qhead = q;
	dns->qtail = q;
	dns->nqueued++;
	if (dns->pump_timer == 0 && !dns->dying)
		dns->pump_timer = loop_timer_add(dns->loop, 0, dns_pump_cb,
		    dns);
}

size_t
dns_pending(const struct dns *dns)
{
	return dns->nqueued + dns->nflight;
}

const char *
dns_servers(const struct dns *dns)
{
	return dns->servers;
}

int
dns_zone_mode(const struct dns *dns)
{
	return dns->zones != NULL;
}

const struct zone_set *
dns_zones(const struct dns *dns)
{
	return dns->zones;
}

/* ---- checking a server list before any resolver starts ------------- */

/* The longest prefix of a rejected value quoted in a message. */
#define SERVERS_QUOTE_MAX	40

/* Why item (not IP[:PORT]) is wrong, in words. */
static const char *
servers_why(const char *item)
{
	const char *port = NULL, *close;

	if (*item == '\0')
		return "an empty entry (a comma too many?)";
	if (*item == '[') {
		if ((close = strchr(item, ']')) == NULL)
			return "no closing ] after the IPv6 address";
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "only :PORT may follow ]";
	} else if ((close = strchr(item, ':')) != NULL &&
	    strchr(close + 1, ':') == NULL)
		port = close + 1;
	else if (close != NULL && strchr(item, '.') == NULL)
		return "not an address (an IPv6 address with a port goes in "
		    "brackets)";
	if (port != NULL && (*port == '\0' || strspn(port, "0123456789") !=
	    strlen(port) || strlen(port) > 5 || atoi(port) < 1 ||
	    atoi(port) > 65535))
		return "the port is not a number from 1 to 65535";
	return "not an IPv4 or IPv6 address";
}

int
dns_servers_check(const char *list, char **cause)
{
	static const char fix[] = "give IP[:PORT][,...], e.g. --resolver "
	    "192.0.2.1 or --resolver [2001:db8::53]:53";
	struct ares_addr_port_node node;
	const char *p, *end, *quote;
	char *item, *safe;
	size_t n;
	int rc = 0;

	if (list == NULL || *list == '\0')
		return error_set(cause, "--resolver needs a value: %s", fix);
	for (p = list; rc == 0; p = end + 1) {
		end = p + strcspn(p, ",");
		item = str_trim(xstrndup(p, (size_t)(end - p)));
		if (server_parse(item, &node) != 0) {
			/* An empty entry is shown in the list it is in. */
			quote = *item != '\0' ? item : list;
			n = strlen(quote);
			safe = str_sanitize(quote, n > SERVERS_QUOTE_MAX ?
			    SERVERS_QUOTE_MAX : n);
			rc = error_set(cause, "--resolver \"%s\"%s: %s; %s",
			    safe, n > SERVERS_QUOTE_MAX ? "..." : "",
			    servers_why(item), fix);
			free(safe);
		}
		free(item);
		if (*end == '\0')
			break;
	}
	return rc;
}
