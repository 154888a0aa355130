/* listen_match.c: a configured endpoint against what really listens. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/backend.h"
#include "core/doctor/listen.h"
#include "core/doctor/listen_int.h"
#include "core/lib/fsroot.h"
#include "core/lib/netaddr.h"
#include "core/lib/util.h"

/* An address a client dials. */
struct lm_cand {
	int	 family;
	char	 addr[64];
	int	 filtered;	/* its family is not one the client uses */
};

/* Permission bits asked for. */
#define LM_X	1
#define LM_W	2

static const char *
lm_fam(int family)
{
	return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" :
	    "unix";
}

/* "127.0.0.1:12345", "[::1]:12345". */
static void
lm_hostport(char *buf, size_t size, int family, const char *a, unsigned p)
{
	snprintf(buf, size, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, p);
}

/* Who owns row s: "opendkim (pid 23, uid 104)", "uid 104", "a process
 * notspam cannot name (not root?)".  Caller frees. */
static char *
lm_who(const struct listen_sock *s)
{
	if (s->pid != 0 && s->uid >= 0)
		return xasprintf("%s (pid %ld, uid %ld)", s->comm != NULL ?
		    s->comm : "?", s->pid, s->uid);
	if (s->pid != 0)
		return xasprintf("%s (pid %ld)", s->comm != NULL ? s->comm :
		    "?", s->pid);
	if (s->uid >= 0)
		return xasprintf("a process of uid %ld", s->uid);
	return xstrdup("a process notspam cannot name (are its fds "
	    "readable?)");
}

static void
lm_set(struct listen_endpoint *ep, enum listen_state st,
    enum listen_cause c, char *detail)
{
	ep->state = ep->seen = st;
	ep->cause = c;
	free(ep->detail);
	ep->detail = detail;
}

/* The listener's owner into ep. */
static void
lm_owner(struct listen_endpoint *ep, const struct listen_sock *s)
{
	ep->pid = s->pid;
	free(ep->comm);
	ep->comm = s->comm != NULL ? xstrdup(s->comm) : NULL;
	ep->uid = s->uid;
}

static int
lm_is_any(const struct listen_sock *s)
{
	return strcmp(s->address, "0.0.0.0") == 0 ||
	    strcmp(s->address, "::") == 0;
}

/* Does TCP row s accept a connection to a (family f) port p? */
static int
lm_takes(const struct listen_table *t, const struct listen_sock *s, int f,
    const char *a, unsigned p)
{
	char mapped[80];

	if (s->family == AF_UNIX || s->port != p)
		return 0;
	if (s->family == f)
		return strcmp(s->address, a) == 0 || lm_is_any(s);
	if (f != AF_INET || s->family != AF_INET6)
		return 0;
	if (strcmp(s->address, "::") == 0 && !t->bindv6only)
		return 1;	/* a dual-stack socket */
	snprintf(mapped, sizeof mapped, "::ffff:%s", a);
	return strcmp(s->address, mapped) == 0;
}

/* The addresses the client dials: a literal, or localhost (and "") as
 * 127.0.0.1 and ::1; the transport's family and the client's families
 * applied.  The count, or -1 for a host name (not resolved here). */
static int
lm_cands(const struct listen_endpoint *ep, struct lm_cand *c)
{
	const char *a = ep->sock.address != NULL ? ep->sock.address : "";
	char *canon;
	int n = 0, f, i;

	if (*a == '\0' || strcasecmp(a, "localhost") == 0) {
		c[n].family = AF_INET;
		snprintf(c[n++].addr, sizeof c->addr, "127.0.0.1");
		c[n].family = AF_INET6;
		snprintf(c[n++].addr, sizeof c->addr, "::1");
	} else if ((canon = netaddr_canon(a, &f)) != NULL) {
		c[n].family = f;
		snprintf(c[n++].addr, sizeof c->addr, "%s", canon);
		free(canon);
	} else
		return -1;
	for (i = 0; i < n; i++) {
		if ((ep->sock.family == AF_INET || ep->sock.family == AF_INET6)
		    && c[i].family != ep->sock.family)
			c[i].filtered = 2;	/* the transport's own family */
		else if (!(ep->families & (c[i].family == AF_INET ?
		    BACKEND_IPV4 : BACKEND_IPV6)))
			c[i].filtered = 1;
	}
	return n;
}

/* "[::1]:12345", "127.0.0.1:12345 or [::1]:12345": the usable ones. */
static char *
lm_cands_text(const struct lm_cand *c, int n, unsigned port)
{
	struct buf b;
	char hp[96];
	int i, k = 0;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		if (c[i].filtered)
			continue;
		lm_hostport(hp, sizeof hp, c[i].family, c[i].addr, port);
		buf_printf(&b, "%s%s", k++ > 0 ? " or " : "", hp);
	}
	return buf_steal(&b);
}

/* Is signer sg one the endpoint is meant for? */
static int
lm_meant(const struct listen_endpoint *ep, const struct listen_signer *sg)
{
	return ep->to == NULL || strcmp(ep->to, sg->program) == 0;
}

/* Does TCP or unix row s stand for listener spec l? */
static int
lm_row_is(const struct listen_sock *s, const struct sockspec *l)
{
	const char *a = l->address;
	char *canon;
	int f, match;

	if (l->transport == SOCKSPEC_UNIX || l->transport == SOCKSPEC_LOCAL)
		return s->family == AF_UNIX && l->path != NULL &&
		    ((s->path != NULL && strcmp(s->path, l->path) == 0) ||
		    (s->abspath != NULL && strcmp(s->abspath, l->path) == 0));
	if (s->family == AF_UNIX || s->port != l->port || a == NULL)
		return 0;
	if (l->family != AF_UNSPEC && s->family != l->family)
		return 0;
	if (*a == '\0')
		return lm_is_any(s);
	if (strcasecmp(a, "localhost") == 0)
		return strcmp(s->address, s->family == AF_INET ? "127.0.0.1" :
		    "::1") == 0;
	if ((canon = netaddr_canon(a, &f)) == NULL)
		return 1;	/* a name: the port is all there is */
	match = strcmp(canon, s->address) == 0;
	free(canon);
	return match;
}

void
listen_signer_check(const struct listen_table *t, struct listen_signer *sg)
{
	const struct listen_sock *s, *mine = NULL, *any = NULL;
	char *who, *where;
	size_t i;

	free(sg->detail);
	sg->detail = NULL;
	sg->listening = -1;
	if (sg->sock.transport == SOCKSPEC_NONE || !t->proc)
		return;
	for (i = 0; i < t->n && mine == NULL; i++) {
		s = &t->v[i];
		if (!lm_row_is(s, &sg->sock))
			continue;
		if (sg->pid != 0 && s->pid == sg->pid)
			mine = s;
		else if (any == NULL)
			any = s;
	}
	if (mine == NULL && any != NULL && (any->pid == 0 || sg->pid == 0))
		mine = any;	/* the owner is not known: take it */
	if (mine != NULL) {
		sg->listening = 1;
		where = listen_sock_where(mine);
		sg->detail = xasprintf("listens on %s (%s)", where,
		    sg->socket);
		free(where);
	} else if (any != NULL) {
		sg->listening = 0;
		who = lm_who(any);
		sg->detail = xasprintf("%s holds %s, not %s (pid %ld)", who,
		    sg->socket, sg->program, sg->pid);
		free(who);
	} else if (sg->state == SVC_RUNNING) {
		sg->listening = 0;
		sg->detail = xasprintf("runs (pid %ld) but nothing listens on "
		    "%s: its log says why (\"Unable to bind to port\", "
		    "\"smfi_opensocket() failed\")", sg->pid, sg->socket);
	} else
		sg->listening = 0;
}

/* A row of the signer's own that is not where the client dials: the
 * cause and the words, or LISTEN_CAUSE_NONE. */
static enum listen_cause
lm_signer_row(const struct listen_table *t, const struct listen_signer *sg,
    const struct listen_endpoint *ep, char **detail)
{
	const struct listen_sock *s;
	int unix_ep = ep->sock.family == AF_UNIX;
	char *where;
	size_t i;

	for (i = 0; i < t->n; i++) {
		s = &t->v[i];
		if (sg->pid == 0 || s->pid != sg->pid)
			continue;
		where = listen_sock_where(s);
		if (unix_ep != (s->family == AF_UNIX)) {
			*detail = xasprintf("%s (pid %ld) listens on %s %s, "
			    "not on %s", sg->program, sg->pid, s->family ==
			    AF_UNIX ? "the socket file" : "TCP", where, unix_ep ?
			    "a socket file" : "TCP");
			free(where);
			return LISTEN_CAUSE_TRANSPORT;
		}
		if (unix_ep) {
			*detail = xasprintf("%s (pid %ld) listens on %s "
			    "instead", sg->program, sg->pid, where);
			free(where);
			return LISTEN_CAUSE_PATH;
		}
		if (s->port != ep->sock.port) {
			*detail = xasprintf("%s (pid %ld) listens on %s, not "
			    "on port %u", sg->program, sg->pid, where,
			    ep->sock.port);
			free(where);
			return LISTEN_CAUSE_PORT;
		}
		free(where);
	}
	return LISTEN_CAUSE_NONE;
}

/* What the signers do instead, when nothing takes the connection. */
static enum listen_cause
lm_signer_cause(const struct listen_table *t, const struct listen_signer *sg,
    size_t nsg, const struct listen_endpoint *ep, char **detail)
{
	enum listen_cause c;
	size_t i;

	for (i = 0; i < nsg; i++) {
		if (!lm_meant(ep, &sg[i]))
			continue;
		if (sg[i].state == SVC_STOPPED) {
			*detail = xasprintf("%s is not running (%s)",
			    sg[i].program, sg[i].how);
			return LISTEN_CAUSE_STOPPED;
		}
		if ((c = lm_signer_row(t, &sg[i], ep, detail)) !=
		    LISTEN_CAUSE_NONE)
			return c;
		if (sg[i].state == SVC_RUNNING && sg[i].listening == 0) {
			*detail = xasprintf("%s %s", sg[i].program,
			    sg[i].detail != NULL ? sg[i].detail :
			    "listens nowhere");
			return LISTEN_CAUSE_NOT_LISTENING;
		}
	}
	return LISTEN_CAUSE_NONE;
}

/* Is the listener the program the endpoint is meant for?  1 yes or not
 * known, 0 another program. */
static int
lm_right_owner(const struct listen_endpoint *ep, const struct listen_sock *s)
{
	const struct backend *b;
	size_t i;

	if (ep->to == NULL || s->comm == NULL ||
	    (b = backend_find(ep->to)) == NULL || b->procnames == NULL)
		return 1;
	for (i = 0; b->procnames[i] != NULL; i++)
		if (strcmp(b->procnames[i], s->comm) == 0)
			return 1;
	return 0;
}

/* Something takes the connection: state listening, its owner named. */
static void
lm_listening(struct listen_endpoint *ep, const struct listen_sock *s,
    const char *dialled)
{
	char *who = lm_who(s), *where = listen_sock_where(s);

	lm_owner(ep, s);
	if (!lm_right_owner(ep, s))
		lm_set(ep, LISTEN_LISTENING, LISTEN_CAUSE_OTHER,
		    xasprintf("%s, not %s, listens on %s", who, ep->to,
		    where));
	else if (strcmp(where, dialled) != 0)
		lm_set(ep, LISTEN_LISTENING, LISTEN_CAUSE_NONE,
		    xasprintf("%s listens on %s (taking %s)", who, where,
		    dialled));
	else
		lm_set(ep, LISTEN_LISTENING, LISTEN_CAUSE_NONE,
		    xasprintf("%s listens on %s", who, where));
	free(who);
	free(where);
}

/* A row on the port the client dials, in another family or address. */
static int
lm_tcp_near(const struct listen_table *t, struct listen_endpoint *ep,
    const struct lm_cand *c, int n, const char *dialled)
{
	const struct listen_sock *s;
	char *who, *where;
	size_t i;
	int k, fam_hit = 0;

	for (i = 0; i < t->n; i++) {
		s = &t->v[i];
		if (s->family == AF_UNIX || s->port != ep->sock.port)
			continue;
		for (k = 0; k < n; k++)
			if (!c[k].filtered && c[k].family == s->family)
				fam_hit = 1;
		who = lm_who(s);
		where = listen_sock_where(s);
		lm_owner(ep, s);
		lm_set(ep, LISTEN_REFUSED, fam_hit ? LISTEN_CAUSE_ADDRESS :
		    LISTEN_CAUSE_FAMILY, xasprintf("nothing listens on %s; %s "
		    "listens on %s only (%s)", dialled, who, where,
		    lm_fam(s->family)));
		free(who);
		free(where);
		return 1;
	}
	return 0;
}

/* A listener the client's families filter out (inet_protocols). */
static int
lm_tcp_filtered(const struct listen_table *t, struct listen_endpoint *ep,
    const struct lm_cand *c, int n, int usable)
{
	char *who, *where;
	size_t i;
	int k;

	for (k = 0; k < n; k++) {
		if (c[k].filtered != 1)
			continue;
		for (i = 0; i < t->n; i++) {
			if (!lm_takes(t, &t->v[i], c[k].family, c[k].addr,
			    ep->sock.port))
				continue;
			who = lm_who(&t->v[i]);
			where = listen_sock_where(&t->v[i]);
			lm_set(ep, usable ? LISTEN_REFUSED : LISTEN_NOADDR,
			    LISTEN_CAUSE_PROTOCOLS, xasprintf("%s listens on "
			    "%s, but %s leaves %s out", who, where,
			    ep->families_source != NULL ? ep->families_source :
			    "the client's settings", lm_fam(c[k].family)));
			free(who);
			free(where);
			return 1;
		}
	}
	return 0;
}

/* A TCP endpoint against the table. */
static void
lm_tcp(const struct listen_table *t, const struct listen_signer *sg,
    size_t nsg, struct listen_endpoint *ep)
{
	struct lm_cand c[2];
	char *dialled, *why = NULL;
	enum listen_cause cause;
	size_t i;
	int n, k, usable = 0;

	memset(c, 0, sizeof c);
	if ((n = lm_cands(ep, c)) < 0) {
		lm_set(ep, LISTEN_UNKNOWN, LISTEN_CAUSE_NONE, xasprintf("%s is "
		    "a host name, not resolved here (a probe resolves it)",
		    ep->sock.address));
		return;
	}
	for (k = 0; k < n; k++)
		usable += !c[k].filtered;
	dialled = lm_cands_text(c, n, ep->sock.port);
	for (k = 0; k < n; k++)
		for (i = 0; !c[k].filtered && i < t->n; i++)
			if (lm_takes(t, &t->v[i], c[k].family, c[k].addr,
			    ep->sock.port)) {
				lm_listening(ep, &t->v[i], dialled);
				goto done;
			}
	if (lm_tcp_filtered(t, ep, c, n, usable))
		goto done;
	if (usable == 0) {
		lm_set(ep, LISTEN_NOADDR, LISTEN_CAUSE_PROTOCOLS, xasprintf(
		    "%s leaves no address of %s to dial",
		    ep->families_source != NULL ? ep->families_source :
		    "the client's settings", ep->address));
		goto done;
	}
	if (lm_tcp_near(t, ep, c, n, dialled))
		goto done;
	if ((cause = lm_signer_cause(t, sg, nsg, ep, &why)) !=
	    LISTEN_CAUSE_NONE) {
		lm_set(ep, LISTEN_REFUSED, cause, xasprintf("nothing listens "
		    "on %s; %s", dialled, why));
		free(why);
	} else
		lm_set(ep, LISTEN_REFUSED, LISTEN_CAUSE_NONE, xasprintf(
		    "nothing listens on %s", dialled));
done:
	free(dialled);
}

/* ---- Socket files ---- */

/* "drwxr-x--- opendkim:opendkim" (names from the system's databases on
 * "/", ids under a root). */
static char *
lm_mode(const char *root, const struct stat *sb)
{
	static const char rwx[] = "rwxrwxrwx";
	char m[11], u[32], g[32];
	struct passwd *pw;
	struct group *gr;
	int i;

	m[0] = S_ISDIR(sb->st_mode) ? 'd' : S_ISSOCK(sb->st_mode) ? 's' :
	    S_ISLNK(sb->st_mode) ? 'l' : '-';
	for (i = 0; i < 9; i++)
		m[i + 1] = sb->st_mode & (1u << (8 - i)) ? rwx[i] : '-';
	m[10] = '\0';
	snprintf(u, sizeof u, "%lu", (unsigned long)sb->st_uid);
	snprintf(g, sizeof g, "%lu", (unsigned long)sb->st_gid);
	if (fsroot_is_system(root) && (pw = getpwuid(sb->st_uid)) != NULL)
		snprintf(u, sizeof u, "%s", pw->pw_name);
	if (fsroot_is_system(root) && (gr = getgrgid(sb->st_gid)) != NULL)
		snprintf(g, sizeof g, "%s", gr->gr_name);
	return xasprintf("%s %s:%s", m, u, g);
}

/* May cred do want (LM_X, LM_W) on sb, as the kernel decides?  Why not
 * into *why ("not in group opendkim", "others have no x"). */
static int
lm_may(const struct listen_cred *c, const struct stat *sb, int want,
    const char **why)
{
	unsigned bits;

	if (c->uid == 0)
		return 1;
	if (c->uid == sb->st_uid) {
		bits = (sb->st_mode >> 6) & 7;
		*why = "the owner's bits";
	} else if (listen_cred_in(c, sb->st_gid)) {
		bits = (sb->st_mode >> 3) & 7;
		*why = "the group's bits";
	} else {
		bits = sb->st_mode & 7;
		*why = ((sb->st_mode >> 3) & want) == (unsigned)want ?
		    "not in its group" : "the others' bits";
	}
	return (bits & (unsigned)want) == (unsigned)want;
}

/* Search bit of each directory from the client's base down; 0, or -1
 * with the verdict set (denied, or no such directory). */
static int
lm_walk(const char *root, const struct listen_cred *c, const char *base,
    const char *path, struct listen_endpoint *ep)
{
	struct stat sb;
	const char *why, *p;
	char *dir, *mode;
	size_t bl = strlen(base);
	int rc;

	for (p = path + (strcmp(base, "/") == 0 ? 0 : bl); p != NULL;
	    p = strchr(p + 1, '/')) {
		dir = xstrndup(path, p == path ? 1 : (size_t)(p - path));
		if ((rc = fsroot_stat(root, dir, &sb)) != 0 ||
		    !S_ISDIR(sb.st_mode)) {
			lm_set(ep, LISTEN_NOFILE, LISTEN_CAUSE_NONE, xasprintf(
			    "%s %s", dir, rc == 0 || errno == ENOTDIR ?
			    "is not a directory" : errno == ENOENT ?
			    "does not exist" : strerror(errno)));
			free(dir);
			return -1;
		}
		if (c != NULL && !lm_may(c, &sb, LM_X, &why)) {
			mode = lm_mode(root, &sb);
			lm_set(ep, LISTEN_DENIED, LISTEN_CAUSE_MODE, xasprintf(
			    "%s cannot search %s (%s; %s)", ep->user, dir,
			    mode, why));
			free(mode);
			free(dir);
			return -1;
		}
		free(dir);
	}
	return 0;
}

/* A listening row at path (by name, or the same file). */
static const struct listen_sock *
lm_unix_row(const struct listen_table *t, const char *root, const char *path,
    const struct stat *psb)
{
	const struct listen_sock *s;
	const char *rp, *base = strrchr(path, '/');
	struct stat sb;
	size_t i;

	for (i = 0; i < t->n; i++) {
		s = &t->v[i];
		if (s->family == AF_UNIX && ((s->path != NULL &&
		    strcmp(s->path, path) == 0) || (s->abspath != NULL &&
		    strcmp(s->abspath, path) == 0)))
			return s;
	}
	/* A bind mount or a link: the same socket file by another name. */
	for (i = 0; psb != NULL && base != NULL && i < t->n; i++) {
		s = &t->v[i];
		rp = s->abspath != NULL ? s->abspath : s->path;
		if (s->family != AF_UNIX || rp == NULL || rp[0] != '/' ||
		    strrchr(rp, '/') == NULL ||
		    strcmp(strrchr(rp, '/'), base) != 0)
			continue;
		if (fsroot_stat(root, rp, &sb) == 0 && sb.st_dev ==
		    psb->st_dev && sb.st_ino == psb->st_ino)
			return s;
	}
	return NULL;
}

/* Why the path the client opens is missing: the chroot, another path,
 * the signer; the verdict stays "no such file". */
static void
lm_nofile_cause(const struct listen_table *t, const struct listen_signer *sg,
    size_t nsg, const char *root, struct listen_endpoint *ep)
{
	const struct listen_sock *s;
	enum listen_cause c;
	struct stat sb;
	char *missing = ep->detail, *who, *why = NULL;

	ep->detail = NULL;
	if (ep->chroot != NULL && (((s = lm_unix_row(t, root, ep->sock.path,
	    NULL)) != NULL) || (fsroot_stat(root, ep->sock.path, &sb) == 0 &&
	    S_ISSOCK(sb.st_mode)))) {
		who = s != NULL ? lm_who(s) : xstrdup("a socket");
		if (s != NULL)
			lm_owner(ep, s);
		lm_set(ep, LISTEN_NOFILE, LISTEN_CAUSE_CHROOT, xasprintf("%s; "
		    "%s runs chrooted in %s and opens %s there, while %s "
		    "listens on %s outside the chroot", missing, ep->from,
		    ep->chroot, ep->path, who, ep->sock.path));
		free(who);
	} else if ((c = lm_signer_cause(t, sg, nsg, ep, &why)) !=
	    LISTEN_CAUSE_NONE) {
		lm_set(ep, LISTEN_NOFILE, c, xasprintf("%s; %s", missing,
		    why));
		free(why);
	} else
		lm_set(ep, LISTEN_NOFILE, LISTEN_CAUSE_NONE, xstrdup(missing));
	free(missing);
}

/* The socket file exists: type, write bit, then who listens on it. */
static void
lm_unix_file(const struct listen_table *t, const struct listen_signer *sg,
    size_t nsg, const char *root, const struct listen_cred *c,
    const struct stat *sb, struct listen_endpoint *ep)
{
	const struct listen_sock *s;
	enum listen_cause cause;
	const char *why;
	char *mode = lm_mode(root, sb), *how = NULL, *who;

	if (!S_ISSOCK(sb->st_mode))
		lm_set(ep, LISTEN_REFUSED, LISTEN_CAUSE_NOT_SOCKET, xasprintf(
		    "%s is not a socket (%s)", ep->path, mode));
	else if (c != NULL && !lm_may(c, sb, LM_W, &why))
		lm_set(ep, LISTEN_DENIED, LISTEN_CAUSE_MODE, xasprintf("%s may "
		    "not write the socket %s (%s; %s)", ep->user, ep->path,
		    mode, why));
	else if (!t->proc)
		lm_set(ep, LISTEN_UNKNOWN, LISTEN_CAUSE_NONE, xasprintf("the "
		    "socket %s exists (%s); no /proc here: only a probe tells "
		    "whether anything listens", ep->path, mode));
	else if ((s = lm_unix_row(t, root, ep->path, sb)) != NULL) {
		lm_listening(ep, s, ep->path);
		if (c == NULL && ep->cause == LISTEN_CAUSE_NONE) {
			who = ep->detail;
			ep->detail = xasprintf("%s (%s; modes not checked: %s "
			    "is not a known user)", who, mode, ep->user != NULL ?
			    ep->user : "the client");
			free(who);
		}
	} else {
		cause = lm_signer_cause(t, sg, nsg, ep, &how);
		lm_set(ep, LISTEN_REFUSED, cause == LISTEN_CAUSE_STOPPED ?
		    cause : LISTEN_CAUSE_STALE, xasprintf("%s is a socket "
		    "file nobody listens on (%s)%s%s", ep->path, mode,
		    how != NULL ? "; " : "", how != NULL ? how : ""));
		free(how);
	}
	free(mode);
}

/* A unix endpoint: the client's path, walked and stat'ed. */
static void
lm_unix(const struct listen_table *t, const struct listen_signer *sg,
    size_t nsg, const char *root, struct listen_endpoint *ep)
{
	struct listen_cred cred, *c = NULL;
	const char *base;
	struct stat sb;

	if (ep->path == NULL || ep->path[0] != '/') {
		lm_set(ep, LISTEN_UNKNOWN, LISTEN_CAUSE_NONE, xasprintf("%s is "
		    "relative and the directory %s works in is not known",
		    ep->sock.path, ep->from));
		return;
	}
	if (ep->user != NULL && listen_cred_get(root, ep->user, &cred) == 0)
		c = &cred;
	base = ep->chroot != NULL ? ep->chroot : ep->workdir != NULL ?
	    ep->workdir : "/";
	if (!str_startswith(ep->path, base))
		base = "/";
	if (lm_walk(root, c, base, ep->path, ep) != 0) {
		if (ep->state == LISTEN_NOFILE)
			lm_nofile_cause(t, sg, nsg, root, ep);
		return;
	}
	if (fsroot_stat(root, ep->path, &sb) != 0) {
		lm_set(ep, errno == ENOENT || errno == ENOTDIR ?
		    LISTEN_NOFILE : LISTEN_UNKNOWN, LISTEN_CAUSE_NONE,
		    errno == ENOENT ? xasprintf("%s does not exist",
		    ep->path) : xasprintf("%s: %s", ep->path,
		    strerror(errno)));
		if (ep->state == LISTEN_NOFILE)
			lm_nofile_cause(t, sg, nsg, root, ep);
		return;
	}
	lm_unix_file(t, sg, nsg, root, c, &sb, ep);
}

void
listen_match(const struct listen_table *t, const struct listen_signer *sg,
    size_t nsg, const char *root, struct listen_endpoint *ep)
{
	ep->pid = 0;
	ep->uid = -1;
	free(ep->comm);
	ep->comm = NULL;
	if (ep->sock.family == AF_UNIX) {
		lm_unix(t, sg, nsg, root, ep);
		return;
	}
	if (ep->sock.transport != SOCKSPEC_INET &&
	    ep->sock.transport != SOCKSPEC_INET6) {
		lm_set(ep, LISTEN_UNKNOWN, LISTEN_CAUSE_NONE,
		    xstrdup("not an endpoint"));
		return;
	}
	if (!t->proc) {
		lm_set(ep, LISTEN_UNKNOWN, LISTEN_CAUSE_NONE, xasprintf("no %s "
		    "here: only a connect probe tells whether anything "
		    "listens", t->procdir));
		return;
	}
	lm_tcp(t, sg, nsg, ep);
}
