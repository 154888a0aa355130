/* listen_probe.c: connect probes, each in a child, on the loop.
 *
 * A child per endpoint keeps the caller's loop free (a connect, a name
 * lookup and a negotiation each wait up to the time limit) and lets a unix
 * socket be dialled exactly as its client dials it: chrooted and as the
 * client's user.  The child prints one line, "STATE<TAB>TEXT", and exits;
 * the parent reads it from the captured stdout (core/lib/proc.h).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/apply/probe.h"
#include "core/doctor/listen.h"
#include "core/doctor/listen_int.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

/* Addresses a probe dials at most (a name may resolve to more). */
#define LP_MAX_ADDRS	8
/* Bytes of the child's answer kept. */
#define LP_MAX_OUT	4096

struct lp_run {
	struct listen_report	*r;
	struct loop		*loop;
	int			 timeout_ms;
	size_t			 pending;
	listen_probe_cb		 cb;
	void			*arg;
};

struct lp_job {
	struct lp_run		*run;
	size_t			 i;
};

/* What a child saw. */
struct lp_out {
	enum listen_state	 state;
	struct buf		 text;
};

/* The state a failed connect's errno stands for. */
static enum listen_state
lp_errno_state(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return LISTEN_NOFILE;
	case EACCES:
	case EPERM:
		return LISTEN_DENIED;
	case ETIMEDOUT:
	case EAGAIN:
		return LISTEN_TIMEOUT;
	case EADDRNOTAVAIL:
	case ENETUNREACH:
	case EAFNOSUPPORT:
		return LISTEN_NOADDR;
	default:
		return LISTEN_REFUSED;
	}
}

/* Milliseconds left before the deadline (at least 1). */
static int
lp_left(int64_t deadline)
{
	int64_t left = deadline - loop_now_ms();

	return left > 0 ? (int)left : 1;
}

/* On connected fd: the negotiation for a milter, else the connect was the
 * answer. */
static void
lp_answered(const struct listen_endpoint *ep, int fd, const char *name,
    int64_t deadline, struct lp_out *o)
{
	char *cause = NULL;

	if (strcmp(ep->kind, "milter") != 0) {
		o->state = LISTEN_LISTENING;
		buf_printf(&o->text, "%s accepted a connection", name);
	} else if (probe_negotiate(fd, name, lp_left(deadline), &cause) == 0) {
		o->state = LISTEN_MILTER_OK;
		buf_printf(&o->text, "a milter answered SMFIC_OPTNEG (protocol "
		    "6) at %s", name);
	} else {
		o->state = LISTEN_MILTER_FAILED;
		buf_adds(&o->text, cause);
		free(cause);
	}
	close(fd);
}

/* The addresses of a TCP endpoint: literal, localhost, or resolved (in
 * the child, so the lookup blocks no one).  The count. */
static int
lp_addrs(const struct listen_endpoint *ep, struct sockaddr_storage *sa,
    socklen_t *len, struct lp_out *o)
{
	const char *a = ep->sock.address != NULL ? ep->sock.address : "";
	struct addrinfo hints, *res, *ai;
	char port[8];
	int n = 0, rc;

	if (*a == '\0' || strcasecmp(a, "localhost") == 0)
		a = NULL;	/* getaddrinfo: the loopback of each family */
	snprintf(port, sizeof port, "%u", ep->sock.port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(a, port, &hints, &res)) != 0) {
		o->state = LISTEN_NOADDR;
		buf_printf(&o->text, "host or service %s not found: %s",
		    ep->sock.address, gai_strerror(rc));
		return 0;
	}
	for (ai = res; ai != NULL && n < LP_MAX_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof *sa)
			continue;
		if ((ep->sock.family == AF_INET ||
		    ep->sock.family == AF_INET6) &&
		    ai->ai_family != ep->sock.family)
			continue;
		if (!(ep->families & (ai->ai_family == AF_INET ?
		    BACKEND_IPV4 : BACKEND_IPV6)))
			continue;
		memcpy(&sa[n], ai->ai_addr, ai->ai_addrlen);
		len[n++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (n == 0) {
		o->state = LISTEN_NOADDR;
		buf_printf(&o->text, "no address of %s to dial%s%s",
		    ep->address, ep->families_source != NULL ? " with " : "",
		    ep->families_source != NULL ? ep->families_source : "");
	}
	return n;
}

/* "[::1]:12345" of a socket address. */
static void
lp_name(const struct sockaddr_storage *sa, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
		snprintf(buf, size, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
		snprintf(buf, size, "%s:%u", a, ntohs(in->sin_port));
	}
}

/* Every address the client would try, until one answers. */
static void
lp_tcp(const struct listen_endpoint *ep, int64_t deadline, struct lp_out *o)
{
	struct sockaddr_storage sa[LP_MAX_ADDRS];
	socklen_t len[LP_MAX_ADDRS];
	enum listen_state st, worst = LISTEN_REFUSED;
	char name[96];
	int n, i, fd;

	if ((n = lp_addrs(ep, sa, len, o)) == 0)
		return;
	for (i = 0; i < n; i++) {
		lp_name(&sa[i], name, sizeof name);
		fd = probe_dial_once((struct sockaddr *)&sa[i], len[i],
		    lp_left(deadline));
		if (fd != -1) {
			buf_free(&o->text);
			buf_init(&o->text);
			lp_answered(ep, fd, name, deadline, o);
			return;
		}
		st = lp_errno_state(errno);
		if (st != LISTEN_REFUSED)
			worst = st;
		buf_printf(&o->text, "%sconnect to %s: %s", i > 0 ? "; " : "",
		    name, strerror(errno));
	}
	o->state = worst;
}

/* Become user (groups, gid, uid), as Postfix's daemons do after their
 * chroot; the lookup happens before the chroot (c filled by the caller). */
static int
lp_drop(const struct listen_cred *c, struct lp_out *o, const char *user)
{
	if (setgroups((size_t)c->ngroups, c->groups) != 0 ||
	    setgid(c->gid) != 0 || setuid(c->uid) != 0) {
		o->state = LISTEN_UNKNOWN;
		buf_printf(&o->text, "could not become %s: %s", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Where the child goes before it connects, and the path it dials. */
static const char *
lp_enter(const struct listen_endpoint *ep, int root, struct lp_out *o)
{
	if (root && ep->chroot != NULL) {
		if (chroot(ep->chroot) != 0 || chdir("/") != 0) {
			o->state = LISTEN_UNKNOWN;
			buf_printf(&o->text, "chroot %s: %s", ep->chroot,
			    strerror(errno));
			return NULL;
		}
		return ep->sock.path;
	}
	if (ep->workdir != NULL && ep->sock.relative) {
		if (chdir(ep->workdir) != 0) {
			o->state = lp_errno_state(errno);
			buf_printf(&o->text, "chdir %s: %s", ep->workdir,
			    strerror(errno));
			return NULL;
		}
		return ep->sock.path;
	}
	return ep->path;
}

/* A unix socket as its client opens it. */
static void
lp_unix(const struct listen_endpoint *ep, int64_t deadline, struct lp_out *o)
{
	struct sockaddr_un un;
	struct listen_cred c;
	const char *path;
	int root = geteuid() == 0, as_user = 0, fd;

	if (ep->path == NULL) {
		buf_adds(&o->text, "no socket path");
		return;
	}
	if (root && ep->user != NULL && listen_cred_get(NULL, ep->user,
	    &c) == 0)
		as_user = 1;	/* looked up before the chroot */
	if ((path = lp_enter(ep, root, o)) == NULL)
		return;
	if (as_user && lp_drop(&c, o, ep->user) != 0)
		return;
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof un.sun_path) {
		buf_printf(&o->text, "%s is longer than a socket path may be",
		    path);
		return;
	}
	memcpy(un.sun_path, path, strlen(path));
	fd = probe_dial_once((struct sockaddr *)&un, sizeof un,
	    lp_left(deadline));
	if (fd == -1) {
		o->state = lp_errno_state(errno);
		buf_printf(&o->text, "connect to unix:%s%s%s: %s", path,
		    ep->chroot != NULL && root ? " in the chroot " : "",
		    ep->chroot != NULL && root ? ep->chroot : "",
		    strerror(errno));
	} else
		lp_answered(ep, fd, path, deadline, o);
	if (!as_user)
		buf_printf(&o->text, " (as uid %ld%s)", (long)geteuid(),
		    !root ? ", not root: neither chrooted nor as the client's "
		    "user" : ep->user != NULL ? ": the client's user is "
		    "unknown" : "");
	else
		buf_printf(&o->text, " (as %s%s)", ep->user, ep->chroot !=
		    NULL ? ", chrooted" : "");
}

/* The child: one probe, one line on stdout. */
static int
lp_child(void *arg)
{
	struct lp_job *job = arg;
	const struct listen_endpoint *ep = &job->run->r->endpoints[job->i];
	int64_t deadline = loop_now_ms() + job->run->timeout_ms;
	struct lp_out o;

	o.state = LISTEN_UNKNOWN;
	buf_init(&o.text);
	if (ep->sock.family == AF_UNIX)
		lp_unix(ep, deadline, &o);
	else if (ep->sock.transport == SOCKSPEC_INET ||
	    ep->sock.transport == SOCKSPEC_INET6)
		lp_tcp(ep, deadline, &o);
	else
		buf_adds(&o.text, "not an endpoint");
	dprintf(STDOUT_FILENO, "%d\t%s\n", (int)o.state, o.text.data);
	buf_free(&o.text);
	return 0;
}

/* The cause a probe's failure stands for, when /proc saw no failure. */
static enum listen_cause
lp_cause(const struct listen_endpoint *ep, enum listen_state st)
{
	switch (st) {
	case LISTEN_DENIED:
		return LISTEN_CAUSE_MODE;
	case LISTEN_MILTER_FAILED:
		return LISTEN_CAUSE_OTHER;
	case LISTEN_NOFILE:
		return ep->chroot != NULL ? LISTEN_CAUSE_CHROOT :
		    LISTEN_CAUSE_NONE;
	default:
		return LISTEN_CAUSE_NONE;
	}
}

/* The probe's answer into the endpoint. */
static void
lp_apply(struct listen_endpoint *ep, enum listen_state st, const char *text)
{
	char *old = ep->detail;
	enum listen_cause c;

	ep->probed = 1;
	free(ep->probe);
	ep->probe = str_sanitize(text, strlen(text));
	if (listen_state_ok(st)) {
		if (ep->cause != LISTEN_CAUSE_OTHER)
			ep->cause = LISTEN_CAUSE_NONE;
	} else if ((c = lp_cause(ep, st)) != LISTEN_CAUSE_NONE ||
	    listen_state_ok(ep->seen))
		ep->cause = c;
	if (st != ep->seen && !(st == LISTEN_MILTER_OK &&
	    ep->seen == LISTEN_LISTENING)) {
		ep->detail = old != NULL ? xasprintf("%s; before the probe: "
		    "%s", ep->probe, old) : xstrdup(ep->probe);
		free(old);
	}
	ep->state = st;
}

/* One child reaped: read its line. */
static void
lp_done(struct proc_result *res, void *arg)
{
	struct lp_job *job = arg;
	struct lp_run *run = job->run;
	struct listen_endpoint *ep = &run->r->endpoints[job->i];
	char *end, *tab;
	long st;

	tab = strchr(res->out, '\t');
	st = strtol(res->out, &end, 10);
	if (res->timed_out)
		lp_apply(ep, LISTEN_TIMEOUT, "the probe did not finish in "
		    "time");
	else if (tab == NULL || end != tab || st < 0 ||
	    st > LISTEN_MILTER_FAILED)
		lp_apply(ep, LISTEN_UNKNOWN, "the probe gave no answer");
	else {
		tab[strcspn(tab, "\n")] = '\0';
		lp_apply(ep, (enum listen_state)st, tab + 1);
	}
	free(job);
	if (--run->pending == 0) {
		run->r->probed = 1;
		run->cb(run->r, run->arg);
		free(run);
	}
}

/* No endpoint: the callback still comes from the loop. */
static void
lp_none(void *arg)
{
	struct lp_run *run = arg;

	run->r->probed = 1;
	run->cb(run->r, run->arg);
	free(run);
}

int
listen_probe_start(struct loop *loop, struct listen_report *r,
    int timeout_s, listen_probe_cb cb, void *arg, char **cause)
{
	struct proc_opts opts;
	struct lp_run *run;
	struct lp_job *job;
	char *why = NULL;
	size_t i;

	if (!r->live)
		return error_set(cause, "%s", r->note != NULL ? r->note :
		    "probes run only on the real machine");
	run = xcalloc(1, sizeof *run);
	run->r = r;
	run->loop = loop;
	run->timeout_ms = (timeout_s > 0 ? timeout_s : LISTEN_TIMEOUT_S) *
	    1000;
	run->cb = cb;
	run->arg = arg;
	r->probe_uid = geteuid() == 0;
	memset(&opts, 0, sizeof opts);
	opts.timeout_ms = run->timeout_ms + 2000;
	opts.grace_ms = -1;
	opts.max_out = LP_MAX_OUT;
	/* Children are reaped from the loop, after this returns. */
	run->pending = r->nendpoints;
	for (i = 0; i < r->nendpoints; i++) {
		job = xcalloc(1, sizeof *job);
		job->run = run;
		job->i = i;
		if (proc_start_fn(loop, "probe", lp_child, job, &opts, lp_done,
		    job, &why) != NULL)
			continue;
		lp_apply(&r->endpoints[i], LISTEN_UNKNOWN, why);
		free(why);
		why = NULL;
		free(job);
		run->pending--;
	}
	if (run->pending == 0)
		loop_timer_add(loop, 0, lp_none, run);
	return 0;
}

/* listen_probe's callback: the loop may stop. */
static void
lp_sync_done(struct listen_report *r, void *arg)
{
	int *done = arg;

	(void)r;
	*done = 1;
}

int
listen_probe(struct listen_report *r, int timeout_s, char **cause)
{
	struct loop *loop;
	int done = 0, rc;

	loop = loop_new();
	if ((rc = listen_probe_start(loop, r, timeout_s, lp_sync_done, &done,
	    cause)) == 0)
		loop_run(loop, &done);
	loop_free(loop);
	return rc;
}
