/* listen.c: the listeners in /proc, their owners, the signers, the report. */
#include "core/doctor/listen.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/doctor/listen_int.h"
#include "core/lib/fsroot.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"
#include "core/site/site.h"

/* Largest /proc/net file read (a busy server's net/unix is a few MB). */
#define LISTEN_FILE_MAX		(32u * 1024 * 1024)
/* Fields of a tcp row at most (17 on Linux 6). */
#define LISTEN_INET_FIELDS	32
/* net/unix flag of a listening socket (__SO_ACCEPTCON). */
#define LISTEN_ACCEPTCON	0x10000u
/* TCP_LISTEN in net/tcp's st column. */
#define LISTEN_TCP_LISTEN	0x0a

const char *
listen_procdir(const char *procdir)
{
	return procdir != NULL ? procdir : "/proc";
}

/* ---- Parsing /proc/net ---- */

/* The next blank-separated field at *p (its length in *len), or NULL. */
static const char *
lt_field(const char **p, size_t *len)
{
	const char *s = *p + strspn(*p, " ");
	size_t n = strcspn(s, " ");

	if (n == 0)
		return NULL;
	*p = s + n;
	*len = n;
	return s;
}

/* n hex digits (1..16) into *v; 0, or -1. */
static int
lt_hex(const char *s, size_t n, uint64_t *v)
{
	size_t i;
	int d;

	if (n == 0 || n > 16)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return 0;
}

/* n decimal digits (1..19) into *v; 0, or -1. */
static int
lt_dec(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

/* Are the n bytes at s all hex digits (n > 0)? */
static int
lt_allhex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* Is field f (n bytes) exactly a hex digits, a ':' and b hex digits? */
static int
lt_pair(const char *f, size_t n, size_t a, size_t b)
{
	return n == a + 1 + b && f[a] == ':' && lt_allhex(f, a) &&
	    lt_allhex(f + a + 1, b);
}

/* Refuse a line the kernel does not write: too long, or a byte below
 * 0x20 or DEL (high bytes only where paths are printed: unix). */
static int
lt_line_ok(const char *line, int high_ok, char **cause)
{
	size_t i, n = strlen(line);

	if (n > LISTEN_LINE_MAX)
		return error_set(cause, "a line of %zu bytes (at most %d)", n,
		    LISTEN_LINE_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !high_ok))
			return error_set(cause, "byte 0x%02x at column %zu", c,
			    i + 1);
	}
	return 0;
}

/* The field at *p that must exist; NULL with *cause naming it. */
static const char *
lt_need(const char **p, size_t *len, const char *what, char **cause)
{
	const char *f = lt_field(p, len);

	if (f == NULL)
		error_set(cause, "no %s field", what);
	return f;
}

/* ADDR:PORT of a tcp row into out (address canonical). */
static int
lt_inet_addr(const char *f, size_t n, int family, struct listen_sock *out,
    char **cause)
{
	size_t alen = family == AF_INET ? 8 : 32, i;
	unsigned char bytes[16];
	char text[INET6_ADDRSTRLEN];
	uint64_t v, port;
	uint32_t w;

	if (!lt_pair(f, n, alen, 4))
		return error_set(cause, "local address \"%.*s\" is not %zu hex "
		    "digits, ':' and 4 hex digits", (int)(n > 48 ? 48 : n), f,
		    alen);
	for (i = 0; i < alen / 8; i++) {
		(void)lt_hex(f + 8 * i, 8, &v);
		/* The kernel prints each 32-bit word as it is in memory. */
		w = (uint32_t)v;
		memcpy(bytes + 4 * i, &w, 4);
	}
	(void)lt_hex(f + alen + 1, 4, &port);
	if (port == 0)
		return error_set(cause, "listening on port 0");
	if (inet_ntop(family, bytes, text, sizeof text) == NULL)
		return error_set(cause, "address not printable");
	out->address = xstrdup(text);
	out->port = (unsigned)port;
	return 0;
}

/* The fields after the local address, checked; the state into *st. */
static int
lt_inet_rest(const char *p, int family, unsigned *st, uint64_t *uid,
    uint64_t *inode, char **cause)
{
	size_t len, nf = 0;
	const char *f;
	uint64_t v;

	if ((f = lt_need(&p, &len, "remote address", cause)) == NULL)
		return -1;
	if (!lt_pair(f, len, family == AF_INET ? 8 : 32, 4))
		return error_set(cause, "remote address is malformed");
	if ((f = lt_need(&p, &len, "st", cause)) == NULL)
		return -1;
	if (len != 2 || lt_hex(f, 2, &v) != 0 || v == 0 || v > 0x0c)
		return error_set(cause, "state \"%.*s\" is not a TCP state",
		    (int)(len > 8 ? 8 : len), f);
	*st = (unsigned)v;
	if ((f = lt_need(&p, &len, "tx_queue:rx_queue", cause)) == NULL)
		return -1;
	if (!lt_pair(f, len, 8, 8))
		return error_set(cause, "queue field is malformed");
	if ((f = lt_need(&p, &len, "tr:tm->when", cause)) == NULL)
		return -1;
	if (!lt_pair(f, len, 2, 8))
		return error_set(cause, "timer field is malformed");
	if ((f = lt_need(&p, &len, "retrnsmt", cause)) == NULL)
		return -1;
	if (len != 8 || lt_hex(f, 8, &v) != 0)
		return error_set(cause, "retrnsmt field is malformed");
	if ((f = lt_need(&p, &len, "uid", cause)) == NULL)
		return -1;
	if (lt_dec(f, len, uid) != 0 || *uid > UINT32_MAX)
		return error_set(cause, "uid field is malformed");
	if ((f = lt_need(&p, &len, "timeout", cause)) == NULL)
		return -1;
	if (lt_dec(f, len, &v) != 0)
		return error_set(cause, "timeout field is malformed");
	if ((f = lt_need(&p, &len, "inode", cause)) == NULL)
		return -1;
	if (lt_dec(f, len, inode) != 0)
		return error_set(cause, "inode field is malformed");
	while ((f = lt_field(&p, &len)) != NULL) {
		if (++nf > LISTEN_INET_FIELDS)
			return error_set(cause, "too many fields");
		if (strspn(f, "0123456789abcdefABCDEF-") < len)
			return error_set(cause, "a trailing field is not a "
			    "number");
	}
	return 0;
}

int
listen_parse_inet(const char *line, int family, struct listen_sock *out,
    char **cause)
{
	const char *p = line, *f;
	size_t len;
	unsigned st = 0;
	uint64_t uid = 0, inode = 0;

	memset(out, 0, sizeof *out);
	out->uid = -1;
	if (family != AF_INET && family != AF_INET6)
		return error_set(cause, "not an inet family");
	if (lt_line_ok(line, 0, cause) != 0)
		return -1;
	if ((f = lt_field(&p, &len)) == NULL)
		return error_set(cause, "an empty line");
	if (len == 2 && strncmp(f, "sl", 2) == 0)
		return 0;	/* the header */
	if (len < 2 || f[len - 1] != ':' || strspn(f, "0123456789") !=
	    len - 1)
		return error_set(cause, "no row number");
	out->family = family;
	if ((f = lt_need(&p, &len, "local address", cause)) == NULL ||
	    lt_inet_addr(f, len, family, out, cause) != 0 ||
	    lt_inet_rest(p, family, &st, &uid, &inode, cause) != 0) {
		listen_sock_clear(out);
		return -1;
	}
	out->uid = (long)uid;
	out->inode = (unsigned long)inode;
	if (st != LISTEN_TCP_LISTEN) {
		listen_sock_clear(out);
		return 0;
	}
	return 1;
}

/* The path part of a unix row (after the inode), into out. */
static int
lt_unix_path(const char *p, struct listen_sock *out, char **cause)
{
	size_t n;

	if (*p == '\0')
		return 0;	/* unnamed */
	if (*p != ' ' || p[1] == '\0' || p[1] == ' ')
		return error_set(cause, "the path does not follow the inode "
		    "after one blank");
	p++;
	n = strlen(p);
	if (n > sizeof(((struct sockaddr_un *)NULL)->sun_path) + 1)
		return error_set(cause, "a path of %zu bytes", n);
	out->abstract = *p == '@';
	out->path = str_sanitize(p, n);
	return 0;
}

int
listen_parse_unix(const char *line, struct listen_sock *out, char **cause)
{
	static const char *const names[] = { "RefCount", "Protocol",
	    "Flags", "Type", "St" };
	static const size_t widths[] = { 8, 8, 8, 4, 2 };
	uint64_t v[5], inode;
	const char *p = line, *f;
	size_t len, i;

	memset(out, 0, sizeof *out);
	out->uid = -1;
	if (lt_line_ok(line, 1, cause) != 0)
		return -1;
	if ((f = lt_field(&p, &len)) == NULL)
		return error_set(cause, "an empty line");
	if (len == 3 && strncmp(f, "Num", 3) == 0)
		return 0;	/* the header */
	if (len < 2 || len > 17 || f[len - 1] != ':' ||
	    lt_hex(f, len - 1, &v[0]) != 0)
		return error_set(cause, "no socket number");
	for (i = 0; i < 5; i++) {
		if ((f = lt_need(&p, &len, names[i], cause)) == NULL)
			return -1;
		if (len != widths[i] || lt_hex(f, len, &v[i]) != 0)
			return error_set(cause, "%s \"%.*s\" is not %zu hex "
			    "digits", names[i], (int)(len > 16 ? 16 : len), f,
			    widths[i]);
	}
	if ((f = lt_need(&p, &len, "Inode", cause)) == NULL)
		return -1;
	if (lt_dec(f, len, &inode) != 0)
		return error_set(cause, "Inode is not a number");
	out->family = AF_UNIX;
	out->inode = (unsigned long)inode;
	if (lt_unix_path(p, out, cause) != 0) {
		listen_sock_clear(out);
		return -1;
	}
	/* Flags: listening; Type: SOCK_STREAM or SOCK_SEQPACKET. */
	if ((v[2] & LISTEN_ACCEPTCON) == 0 || (v[3] != 1 && v[3] != 5) ||
	    out->path == NULL) {
		listen_sock_clear(out);
		return 0;
	}
	return 1;
}

void
listen_sock_clear(struct listen_sock *s)
{
	free(s->address);
	free(s->path);
	free(s->abspath);
	free(s->comm);
	memset(s, 0, sizeof *s);
	s->uid = -1;
}

char *
listen_sock_where(const struct listen_sock *s)
{
	if (s->family == AF_UNIX)
		return xstrdup(s->abspath != NULL ? s->abspath :
		    s->path != NULL ? s->path : "(unnamed)");
	if (s->family == AF_INET6)
		return xasprintf("[%s]:%u", s->address, s->port);
	return xasprintf("%s:%u", s->address, s->port);
}

/* ---- Reading the table ---- */

/* Every row of procdir/net/NAME, parsed by family, into t. */
static int
lt_read_file(struct listen_table *t, const char *name, int family)
{
	char *path = xasprintf("%s/net/%s", t->procdir, name), *data, *line;
	char *next, *cause = NULL;
	struct listen_sock s;
	size_t len, lineno = 0;
	int rc;

	if (fsroot_read(NULL, path, LISTEN_FILE_MAX, &data, &len,
	    NULL) != 0) {
		free(path);
		return -1;
	}
	free(path);
	if (memchr(data, '\0', len) != NULL)
		len = strlen(data);	/* nothing after a NUL is a row */
	data[len] = '\0';
	for (line = data; line != NULL && line < data + len; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (*line == '\0')
			rc = error_set(&cause, "an empty line");
		else if (family == AF_UNIX)
			rc = listen_parse_unix(line, &s, &cause);
		else
			rc = listen_parse_inet(line, family, &s, &cause);
		if (rc < 0) {
			if (t->rejected++ == 0)
				t->rejected_why = xasprintf("%s/net/%s line %zu: "
				    "%s", t->procdir, name, lineno, cause);
			free(cause);
			cause = NULL;
		} else if (rc > 0) {
			t->v = xgrow(t->v, t->n, sizeof *t->v);
			t->v[t->n++] = s;
		}
	}
	free(data);
	return 0;
}

/* The target of procdir/PID/NAME, or NULL.  Caller frees. */
static char *
lt_link(const char *procdir, long pid, const char *name)
{
	char *path = xasprintf("%s/%ld/%s", procdir, pid, name);
	char buf[PATH_MAX];
	ssize_t n;

	n = readlink(path, buf, sizeof buf - 1);
	free(path);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/* procdir/PID/comm, sanitized, or NULL.  Caller frees. */
static char *
lt_comm(const char *procdir, long pid)
{
	char *path = xasprintf("%s/%ld/comm", procdir, pid), *data, *c;
	size_t len;

	if (fsroot_read(NULL, path, 4096, &data, &len, NULL) != 0) {
		free(path);
		return NULL;
	}
	free(path);
	data[strcspn(data, "\n")] = '\0';
	c = str_sanitize(data, strlen(data));
	free(data);
	return c;
}

/* The effective uid in procdir/PID/status, or -1. */
static long
lt_uid(const char *procdir, long pid)
{
	char *path = xasprintf("%s/%ld/status", procdir, pid), *data, *p;
	char *end;
	size_t len;
	long uid = -1, real;

	if (fsroot_read(NULL, path, 65536, &data, &len, NULL) != 0) {
		free(path);
		return -1;
	}
	free(path);
	for (p = data; p != NULL; p = strchr(p, '\n') != NULL ?
	    strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "Uid:", 4) != 0)
			continue;
		errno = 0;
		real = strtol(p + 4, &end, 10);
		uid = strtol(end, &end, 10);	/* the effective uid */
		if (errno != 0 || real < 0 || uid < 0 || uid > UINT32_MAX)
			uid = -1;
		break;
	}
	free(data);
	return uid;
}

/* A pid directory's name: all digits, a positive long. */
static long
lt_pid_name(const char *name)
{
	uint64_t v;

	if (lt_dec(name, strlen(name), &v) != 0 || v == 0 || v > INT_MAX)
		return 0;
	return (long)v;
}

static int
lt_inode_cmp(const void *a, const void *b)
{
	const struct listen_sock *x = *(const struct listen_sock *const *)a;
	const struct listen_sock *y = *(const struct listen_sock *const *)b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Give row s the owner pid (the lowest pid holding it wins: a parent
 * before the children it passed the socket to). */
static void
lt_own(struct listen_table *t, struct listen_sock *s, long pid)
{
	char *cwd;
	long uid;

	if (s->pid != 0 && s->pid <= pid)
		return;
	s->pid = pid;
	free(s->comm);
	s->comm = lt_comm(t->procdir, pid);
	if ((uid = lt_uid(t->procdir, pid)) >= 0 || s->family == AF_UNIX)
		s->uid = uid;
	free(s->abspath);
	s->abspath = NULL;
	if (s->family == AF_UNIX && s->path != NULL && !s->abstract &&
	    s->path[0] != '/' && (cwd = lt_link(t->procdir, pid, "cwd")) !=
	    NULL) {
		if (cwd[0] == '/')
			s->abspath = xasprintf("%s%s%s", cwd,
			    strcmp(cwd, "/") == 0 ? "" : "/", s->path);
		free(cwd);
	}
}

/* The rows pid's fd links name ("socket:[INODE]"). */
static void
lt_owner_fds(struct listen_table *t, struct listen_sock **idx, long pid)
{
	char *path = xasprintf("%s/%ld/fd", t->procdir, pid), buf[64];
	struct listen_sock key, *kp = &key, **hit;
	struct dirent *e;
	uint64_t inode;
	ssize_t n;
	DIR *d;
	size_t l;

	d = opendir(path);
	free(path);
	if (d == NULL)
		return;
	t->owners = 1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, buf, sizeof buf - 1);
		if (n <= 9 || strncmp(buf, "socket:[", 8) != 0 ||
		    buf[n - 1] != ']')
			continue;
		buf[n - 1] = '\0';
		l = (size_t)n - 9;
		if (lt_dec(buf + 8, l, &inode) != 0)
			continue;
		key.inode = (unsigned long)inode;
		hit = bsearch(&kp, idx, t->n, sizeof *idx, lt_inode_cmp);
		/* Rows sharing an inode (one socket in two files) are
		 * neighbours in idx. */
		while (hit != NULL && hit > idx && hit[-1]->inode == key.inode)
			hit--;
		for (; hit != NULL && hit < idx + t->n &&
		    (*hit)->inode == key.inode; hit++)
			lt_own(t, *hit, pid);
	}
	closedir(d);
}

/* The owner of every row, by inode. */
static void
lt_owners(struct listen_table *t)
{
	struct listen_sock **idx;
	struct dirent *e;
	size_t i;
	long pid;
	DIR *d;

	if (t->n == 0 || (d = opendir(t->procdir)) == NULL)
		return;
	idx = xreallocarray(NULL, t->n, sizeof *idx);
	for (i = 0; i < t->n; i++)
		idx[i] = &t->v[i];
	qsort(idx, t->n, sizeof *idx, lt_inode_cmp);
	while ((e = readdir(d)) != NULL)
		if ((pid = lt_pid_name(e->d_name)) != 0)
			lt_owner_fds(t, idx, pid);
	closedir(d);
	free(idx);
}

struct listen_table *
listen_table_read(const char *procdir)
{
	struct listen_table *t = xcalloc(1, sizeof *t);
	char *path, *data;
	size_t len;

	t->procdir = xstrdup(listen_procdir(procdir));
	if (lt_read_file(t, "tcp", AF_INET) == 0)
		t->proc = 1;
	if (lt_read_file(t, "tcp6", AF_INET6) == 0)
		t->proc = 1;
	if (lt_read_file(t, "unix", AF_UNIX) == 0)
		t->proc = 1;
	path = xasprintf("%s/sys/net/ipv6/bindv6only", t->procdir);
	if (fsroot_read(NULL, path, 64, &data, &len, NULL) == 0) {
		t->bindv6only = data[0] == '1';
		free(data);
	}
	free(path);
	lt_owners(t);
	return t;
}

void
listen_table_free(struct listen_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		listen_sock_clear(&t->v[i]);
	free(t->v);
	free(t->procdir);
	free(t->rejected_why);
	free(t);
}

/* ---- Processes ---- */

char *
listen_cmdline_option(const char *procdir, long pid, const char *opt)
{
	char *path, *data, *p, *end, *val = NULL;
	size_t len, ol = strlen(opt);

	path = xasprintf("%s/%ld/cmdline", listen_procdir(procdir), pid);
	if (ol < 2 || fsroot_read(NULL, path, 256 * 1024, &data, &len,
	    NULL) != 0) {
		free(path);
		return NULL;
	}
	free(path);
	end = data + len;
	/* argv[0] is the program; each argument ends with a NUL. */
	for (p = data + strnlen(data, len) + 1; p < end; p += strlen(p) + 1) {
		if (strcmp(p, "--") == 0)
			break;
		if (strncmp(p, opt, ol) != 0)
			continue;
		free(val);
		val = NULL;
		if (p[ol] != '\0')
			val = xstrdup(p + ol);
		else if (p + ol + 1 < end)
			val = xstrdup(p + ol + 1);
	}
	free(data);
	if (val != NULL && *val == '\0') {
		free(val);
		val = NULL;
	}
	return val;
}

/* Is procdir a /proc (it exists)? */
static int
lt_have_proc(const char *procdir)
{
	struct stat sb;

	return stat(listen_procdir(procdir), &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Is pid's comm, or its exe's last component, one of names? */
static int
lt_named(const char *procdir, long pid, const char *const *names)
{
	char *comm, *exe, *base;
	size_t i;
	int match = 0;

	procdir = listen_procdir(procdir);
	comm = lt_comm(procdir, pid);
	exe = lt_link(procdir, pid, "exe");
	base = exe != NULL && strrchr(exe, '/') != NULL ?
	    strrchr(exe, '/') + 1 : exe;
	for (i = 0; names[i] != NULL && !match; i++)
		match = (comm != NULL && strcmp(comm, names[i]) == 0) ||
		    (base != NULL && strcmp(base, names[i]) == 0);
	free(comm);
	free(exe);
	return match;
}

int
listen_pid_is(const char *procdir, long pid, const char *const *names)
{
	char *path;
	struct stat sb;
	int alive;

	if (pid <= 0)
		return 0;
	if (!lt_have_proc(procdir))
		return procdir == NULL && (kill((pid_t)pid, 0) == 0 ||
		    errno == EPERM);
	path = xasprintf("%s/%ld", listen_procdir(procdir), pid);
	alive = stat(path, &sb) == 0;
	free(path);
	return alive && (names == NULL || lt_named(procdir, pid, names));
}

long
listen_pid_find(const char *procdir, const char *const *names)
{
	struct dirent *e;
	long pid, best = 0;
	DIR *d;

	if (names == NULL || (d = opendir(listen_procdir(procdir))) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if ((pid = lt_pid_name(e->d_name)) == 0 ||
		    (best != 0 && pid > best))
			continue;
		if (lt_named(procdir, pid, names) &&
		    proc_same_pidns(procdir, pid))
			best = pid;
	}
	closedir(d);
	return best;
}

/* ---- Users ---- */

/* The fields of the line of colon file data whose first field is name. */
static int
lt_colon(const char *data, const char *name, struct strv *out)
{
	struct strv lines;
	char *line, *p, *f;
	size_t i, n = strlen(name);
	int found = 0;

	strv_init(&lines);
	str_split(data, "\n", &lines);
	for (i = 0; i < lines.n && !found; i++) {
		if (strncmp(lines.v[i], name, n) != 0 || lines.v[i][n] != ':')
			continue;
		found = 1;
		line = p = xstrdup(lines.v[i]);
		while ((f = strsep(&p, ":")) != NULL)
			strv_add(out, f);
		free(line);
	}
	strv_free(&lines);
	return found;
}

/* Under a root: root's /etc/passwd and /etc/group. */
static int
lt_cred_files(const char *root, const char *user, struct listen_cred *c)
{
	struct strv f, lines, m;
	char *data;
	size_t len, i, j;
	uint64_t v;
	int rc = -1;

	strv_init(&f);
	if (fsroot_read(root, "/etc/passwd", 0, &data, &len, NULL) != 0)
		return -1;
	if (lt_colon(data, user, &f) && f.n >= 4 &&
	    lt_dec(f.v[2], strlen(f.v[2]), &v) == 0 && v <= UINT32_MAX) {
		c->uid = (uid_t)v;
		if (lt_dec(f.v[3], strlen(f.v[3]), &v) == 0 && v <= UINT32_MAX)
			rc = 0;
		c->gid = (gid_t)v;
	}
	free(data);
	strv_free(&f);
	if (rc != 0)
		return -1;
	c->groups[0] = c->gid;
	c->ngroups = 1;
	if (fsroot_read(root, "/etc/group", 0, &data, &len, NULL) != 0)
		return 0;
	strv_init(&lines);
	str_split(data, "\n", &lines);
	free(data);
	for (i = 0; i < lines.n && c->ngroups < LISTEN_MAX_GROUPS; i++) {
		char *line = xstrdup(lines.v[i]), *p = line, *id;

		(void)strsep(&p, ":");
		(void)strsep(&p, ":");
		id = strsep(&p, ":");
		strv_init(&m);
		if (p != NULL && id != NULL &&
		    lt_dec(id, strlen(id), &v) == 0 && v <= UINT32_MAX)
			str_split(p, ",", &m);
		for (j = 0; j < m.n; j++)
			if (strcmp(m.v[j], user) == 0 &&
			    !listen_cred_in(c, (gid_t)v)) {
				c->groups[c->ngroups++] = (gid_t)v;
				break;
			}
		strv_free(&m);
		free(line);
	}
	strv_free(&lines);
	return 0;
}

int
listen_cred_get(const char *root, const char *user, struct listen_cred *c)
{
	struct passwd *pw;
	int n = LISTEN_MAX_GROUPS;

	memset(c, 0, sizeof *c);
	if (user == NULL || *user == '\0')
		return -1;
	if (!fsroot_is_system(root))
		return lt_cred_files(root, user, c);
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	if (getgrouplist(user, pw->pw_gid, c->groups, &n) == -1)
		n = LISTEN_MAX_GROUPS;	/* the first ones were filled */
	c->ngroups = n < 0 ? 0 : n > LISTEN_MAX_GROUPS ? LISTEN_MAX_GROUPS :
	    n;
	if (!listen_cred_in(c, c->gid) && c->ngroups < LISTEN_MAX_GROUPS)
		c->groups[c->ngroups++] = c->gid;
	return 0;
}

int
listen_cred_in(const struct listen_cred *c, gid_t gid)
{
	int i;

	if (c->gid == gid)
		return 1;
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return 1;
	return 0;
}

/* ---- Signers ---- */

/* The pid in the pid file at site path `path` under root, or 0. */
static long
lt_pidfile(const char *root, const char *path)
{
	char *data, *end;
	size_t len;
	long pid;

	if (fsroot_read(root, path, 4096, &data, &len, NULL) != 0)
		return 0;
	errno = 0;
	pid = strtol(data + strspn(data, " \t"), &end, 10);
	if (errno != 0 || end == data || pid <= 1 || pid > INT_MAX)
		pid = 0;
	free(data);
	return pid;
}

/* Does pid run with config (its config option names it, or it names
 * none: the program's default, taken to be the site's)? */
static int
lt_same_config(const char *procdir, long pid, const struct backend *b,
    const char *config)
{
	char *v;
	int same;

	if (b->config_option == NULL || config == NULL ||
	    (v = listen_cmdline_option(procdir, pid, b->config_option)) ==
	    NULL)
		return 1;
	same = strcmp(v, config) == 0;
	free(v);
	return same;
}

/* The lowest pid of b's program running with config; *other the lowest
 * one running another config file (another instance), or 0. */
static long
lt_scan(const char *procdir, const struct backend *b, const char *config,
    long *other)
{
	struct dirent *e;
	long pid, best = 0;
	DIR *d;

	*other = 0;
	if (b->procnames == NULL ||
	    (d = opendir(listen_procdir(procdir))) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if ((pid = lt_pid_name(e->d_name)) == 0 ||
		    !lt_named(procdir, pid, b->procnames))
			continue;
		if (lt_same_config(procdir, pid, b, config)) {
			if (best == 0 || pid < best)
				best = pid;
		} else if (*other == 0 || pid < *other)
			*other = pid;
	}
	closedir(d);
	return best;
}

/* "no live process behind P", and another instance when one runs. */
static char *
lt_stopped_how(const char *procdir, const struct backend *b,
    const char *pidfile, long other)
{
	char *conf, *show, *how;

	how = pidfile != NULL ? xasprintf("no live process behind %s",
	    pidfile) : xstrdup("no such process");
	if (other == 0)
		return how;
	if ((conf = listen_cmdline_option(procdir, other,
	    b->config_option)) == NULL)
		return how;	/* it just went away */
	show = str_sanitize(conf, strlen(conf));
	free(conf);
	conf = how;
	how = xasprintf("%s; another %s (pid %ld) runs with %s %s", conf,
	    b->name, other, b->config_option, show);
	free(conf);
	free(show);
	return how;
}

/* Running or not: the pid file, else a scan when the backend allows (for
 * a process with the site's config file).  Without /proc only the
 * machine's own pid file and kill(pid, 0) tell. */
static void
lt_signer_state(const struct site *site, const char *procdir,
    const struct backend *b, const char *config, struct listen_signer *sg)
{
	char *pidfile = backend_pidfile(b, site);
	int have = lt_have_proc(procdir);
	long pid = 0, other = 0;

	if (!have && procdir != NULL)
		sg->how = xasprintf("no %s to look in", procdir);
	else if (pidfile != NULL && (pid = lt_pidfile(site->root,
	    pidfile)) != 0 && listen_pid_is(procdir, pid, b->procnames)) {
		sg->state = SVC_RUNNING;
		sg->pid = pid;
		sg->how = xasprintf("pid %ld from %s", pid, pidfile);
	} else if (b->proc_scan && have &&
	    (pid = lt_scan(procdir, b, config, &other)) != 0) {
		sg->state = SVC_RUNNING;
		sg->pid = pid;
		sg->how = xasprintf("pid %ld, found by its name in %s (no "
		    "live process behind %s)", pid, listen_procdir(procdir),
		    pidfile != NULL ? pidfile : "a pid file");
	} else if (!have && pidfile == NULL)
		sg->how = xstrdup("no pid file, and no /proc to look in");
	else {
		sg->state = SVC_STOPPED;
		sg->how = lt_stopped_how(procdir, b, pidfile, other);
	}
	free(pidfile);
}

/* The socket: the command line's option beats the configuration's. */
static void
lt_signer_socket(const struct site *site, const char *procdir,
    const struct backend *b, struct listen_signer *sg)
{
	const struct site_link *l;
	char *opt = NULL, *cause = NULL;
	size_t i;

	if (sg->pid != 0 && b->socket_option != NULL &&
	    (opt = listen_cmdline_option(procdir, sg->pid,
	    b->socket_option)) != NULL) {
		sg->socket = str_sanitize(opt, strlen(opt));
		sg->socket_source = xasprintf("%s/%ld/cmdline %s",
		    listen_procdir(procdir), sg->pid, b->socket_option);
		if (sockspec_parse(SOCKSPEC_MILTER, opt, &sg->sock, &cause))
			free(cause);
		free(opt);
		return;
	}
	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (strcmp(l->kind, "listen") != 0 ||
		    strcmp(site_listen_owner(l), b->name) != 0)
			continue;
		sg->socket = str_sanitize(l->address, strlen(l->address));
		sg->socket_source = l->source != NULL ? xstrdup(l->source) :
		    NULL;
		sockspec_copy(&sg->sock, &l->sock);
		return;
	}
}

/* Every signer of the site. */
static void
lt_signers(struct listen_report *r, const struct site *site,
    const char *procdir)
{
	const struct backend *b;
	struct listen_signer *sg;
	size_t i;

	for (i = 0; i < site->nprograms; i++) {
		if ((b = backend_signer(site->programs[i].name)) == NULL)
			continue;
		r->signers = xgrow(r->signers, r->nsigners, sizeof *r->signers);
		sg = &r->signers[r->nsigners++];
		sg->program = xstrdup(b->name);
		sg->listening = -1;
		if (r->table == NULL) {
			sg->how = xstrdup(r->note);
			lt_signer_socket(site, procdir, b, sg);
			continue;
		}
		lt_signer_state(site, procdir, b, site->programs[i].config,
		    sg);
		lt_signer_socket(site, procdir, b, sg);
		listen_signer_check(r->table, sg);
	}
}

/* ---- Endpoints ---- */

/* Where the client works: a chroot (path = chroot + sock.path) or the
 * directory a relative path is taken from (path = workdir/sock.path). */
static void
lt_endpoint_dirs(struct listen_endpoint *ep)
{
	size_t pl, sl;

	if (ep->path == NULL || ep->sock.path == NULL ||
	    strcmp(ep->path, ep->sock.path) == 0)
		return;
	pl = strlen(ep->path);
	sl = strlen(ep->sock.path);
	if (pl <= sl || strcmp(ep->path + pl - sl, ep->sock.path) != 0)
		return;
	if (ep->sock.relative && ep->path[pl - sl - 1] == '/')
		ep->workdir = xstrndup(ep->path, pl - sl - 1);
	else if (!ep->sock.relative && ep->sock.path[0] == '/')
		ep->chroot = xstrndup(ep->path, pl - sl);
}

/* The program a link's from names ("postfix" of "postfix smtpd"). */
static const struct backend *
lt_client_backend(const char *from)
{
	char *name = xstrndup(from, strcspn(from, " "));
	const struct backend *b = backend_find(name);

	free(name);
	return b;
}

struct listen_endpoint *
listen_report_add(struct listen_report *r, const char *from,
    const char *kind, const char *address, enum sockspec_syntax syntax,
    char **cause)
{
	struct listen_endpoint *ep;
	struct sockspec ss;

	if (sockspec_parse(syntax, address, &ss, cause) != 0)
		return NULL;
	r->endpoints = xgrow(r->endpoints, r->nendpoints,
	    sizeof *r->endpoints);
	ep = &r->endpoints[r->nendpoints++];
	ep->from = str_sanitize(from, strlen(from));
	ep->kind = str_sanitize(kind, strlen(kind));
	ep->address = str_sanitize(address, strlen(address));
	ep->sock = ss;
	if (ss.path != NULL)
		ep->path = xstrdup(ss.path);
	ep->families = BACKEND_IPV4 | BACKEND_IPV6;
	ep->uid = -1;
	return ep;
}

/* One endpoint from a dialling link of the site. */
static void
lt_endpoint(struct listen_report *r, const struct site *site,
    const struct site_link *l)
{
	const struct backend *b = lt_client_backend(l->from);
	struct listen_endpoint *ep;
	char *src = NULL;

	r->endpoints = xgrow(r->endpoints, r->nendpoints,
	    sizeof *r->endpoints);
	ep = &r->endpoints[r->nendpoints++];
	ep->from = str_sanitize(l->from, strlen(l->from));
	if (strcmp(l->to, "?") != 0)
		ep->to = str_sanitize(l->to, strlen(l->to));
	ep->kind = str_sanitize(l->kind, strlen(l->kind));
	ep->address = str_sanitize(l->address, strlen(l->address));
	ep->source = l->source != NULL ? xstrdup(l->source) : NULL;
	sockspec_copy(&ep->sock, &l->sock);
	if (l->sock.path != NULL)
		ep->path = xstrdup(l->reach != NULL ? l->reach : l->sock.path);
	if (l->reach_why != NULL)
		ep->path_why = str_sanitize(l->reach_why,
		    strlen(l->reach_why));
	lt_endpoint_dirs(ep);
	ep->user = backend_client_user(b, site);
	ep->families = backend_client_families(b, site, &src);
	if (src != NULL) {
		ep->families_source = str_sanitize(src, strlen(src));
		free(src);
	}
	ep->uid = -1;
}

void
listen_report_match(struct listen_report *r, struct listen_endpoint *ep)
{
	free(ep->detail);
	ep->detail = NULL;
	if (r->table == NULL) {
		ep->state = ep->seen = LISTEN_UNKNOWN;
		ep->cause = LISTEN_CAUSE_NONE;
		ep->detail = xstrdup(r->note);
		return;
	}
	listen_match(r->table, r->signers, r->nsigners, r->root, ep);
}

struct listen_report *
listen_report_new(const struct site *site, const char *procdir)
{
	struct listen_report *r = xcalloc(1, sizeof *r);
	const struct site_link *l;
	size_t i;

	r->root = site->root != NULL ? xstrdup(site->root) : NULL;
	if (site->root != NULL && procdir == NULL)
		r->note = xstrdup("not probed: --root names a sandbox, not "
		    "this machine (probes run only on the real machine)");
	else {
		r->table = listen_table_read(procdir);
		r->live = procdir == NULL && site->root == NULL;
		if (!r->table->proc)
			r->note = xasprintf("no %s here: connect probes only",
			    listen_procdir(procdir));
	}
	lt_signers(r, site, procdir);
	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (strcmp(l->kind, "listen") == 0 ||
		    l->sock.transport == SOCKSPEC_NONE)
			continue;
		lt_endpoint(r, site, l);
		listen_report_match(r, &r->endpoints[r->nendpoints - 1]);
	}
	return r;
}

static void
lt_endpoint_free(struct listen_endpoint *ep)
{
	free(ep->from);
	free(ep->to);
	free(ep->kind);
	free(ep->address);
	free(ep->source);
	sockspec_free(&ep->sock);
	free(ep->path);
	free(ep->path_why);
	free(ep->chroot);
	free(ep->workdir);
	free(ep->user);
	free(ep->families_source);
	free(ep->detail);
	free(ep->comm);
	free(ep->probe);
}

void
listen_report_free(struct listen_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	listen_table_free(r->table);
	for (i = 0; i < r->nsigners; i++) {
		free(r->signers[i].program);
		free(r->signers[i].how);
		free(r->signers[i].socket);
		free(r->signers[i].socket_source);
		sockspec_free(&r->signers[i].sock);
		free(r->signers[i].detail);
	}
	free(r->signers);
	for (i = 0; i < r->nendpoints; i++)
		lt_endpoint_free(&r->endpoints[i]);
	free(r->endpoints);
	free(r->root);
	free(r->note);
	free(r);
}

/* ---- Names ---- */

const char *
listen_state_name(enum listen_state s)
{
	switch (s) {
	case LISTEN_LISTENING:
		return "listening";
	case LISTEN_REFUSED:
		return "refused";
	case LISTEN_NOFILE:
		return "no such file";
	case LISTEN_DENIED:
		return "permission denied";
	case LISTEN_NOADDR:
		return "no address";
	case LISTEN_TIMEOUT:
		return "timed out";
	case LISTEN_MILTER_OK:
		return "handshake ok";
	case LISTEN_MILTER_FAILED:
		return "handshake failed";
	default:
		return "unknown";
	}
}

const char *
listen_cause_name(enum listen_cause c)
{
	static const char *const names[] = {
		[LISTEN_CAUSE_NONE] = "none",
		[LISTEN_CAUSE_STOPPED] = "signer not running",
		[LISTEN_CAUSE_NOT_LISTENING] = "signer not listening",
		[LISTEN_CAUSE_PORT] = "port mismatch",
		[LISTEN_CAUSE_PATH] = "path mismatch",
		[LISTEN_CAUSE_TRANSPORT] = "transport mismatch",
		[LISTEN_CAUSE_FAMILY] = "address family mismatch",
		[LISTEN_CAUSE_ADDRESS] = "address mismatch",
		[LISTEN_CAUSE_PROTOCOLS] = "address family filtered",
		[LISTEN_CAUSE_CHROOT] = "chroot",
		[LISTEN_CAUSE_MODE] = "permissions",
		[LISTEN_CAUSE_STALE] = "stale socket",
		[LISTEN_CAUSE_NOT_SOCKET] = "not a socket",
		[LISTEN_CAUSE_OTHER] = "another program answers",
	};

	if ((size_t)c >= sizeof names / sizeof names[0] || names[c] == NULL)
		return "none";
	return names[c];
}

int
listen_state_ok(enum listen_state s)
{
	return s == LISTEN_LISTENING || s == LISTEN_MILTER_OK;
}
