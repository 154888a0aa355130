/* listen.h: what really listens, and what each configured endpoint reaches.
 *
 * The doctor's probing half.  Four layers, each usable alone:
 *
 * 1. The listeners of the machine, from a /proc directory (the machine's
 *    own, or a fixture copy in tests): net/tcp and net/tcp6 rows in state
 *    LISTEN (0A), net/unix rows flagged listening (__SO_ACCEPTCON,
 *    00010000), each with its socket inode, and each inode's owner found
 *    through the PID/fd links "socket:[INODE]": pid, comm, effective uid.
 *    A row that is not what the kernel writes (bad hex, a port or state
 *    out of range, fields missing or left over, an overlong line, a NUL)
 *    is skipped and counted, never guessed at.  The kernel writes a unix
 *    path unescaped, so a path holding a newline can fake a row: such a
 *    row names no owner, or the real owner of its inode.
 *
 * 2. The signers of the site: running or not (the pid file and the
 *    process alive: its /proc entry with the program's name, or kill(pid,
 *    0) without /proc; else, where the backend allows it, a /proc scan for
 *    the program's names), and the effective socket: the backend's socket
 *    option in /proc/PID/cmdline (opendkim -p) beats what the
 *    configuration resolves to (the site's listen link: the backend read
 *    the generated unit, /etc/default and Socket in that order).
 *
 * 3. The endpoints: every hand-over the site's programs dial (milters,
 *    content filters, relays: the site's links that are not "listen"),
 *    matched against the listeners the way the client dials: the
 *    addresses it tries (a literal; localhost as 127.0.0.1 and ::1), each
 *    family filtered by the client's families (Postfix inet_protocols); a
 *    [::] listener takes IPv4 too unless net.ipv6.bindv6only is set; a
 *    unix socket at the path the client opens (queue_directory and its
 *    chroot applied), stat'ed with every parent directory's search bit and
 *    the socket's write bit checked for the client's user (mail_owner) and
 *    its groups, from the chroot or working directory down.  The verdict
 *    comes with the cause when the endpoint does not connect: a family or
 *    address only half matching (the seed's inet:[::1]:12345 against
 *    inet:12345@localhost), another port, path or transport of the signer,
 *    inet_protocols, the chroot, the modes, a stale socket file, the
 *    signer not running.
 *
 * 4. Active probes on the real machine: one child process per endpoint
 *    (proc_start_fn on the loop, so the caller's loop never blocks): a
 *    non-blocking connect to each address the client dials with a time
 *    limit, and on a unix socket the client's own view: the child chroots
 *    into the client's chroot (or works in its directory) and drops to the
 *    client's user (setgroups, setgid, setuid) before connecting, so
 *    ENOENT and EACCES come out exactly as the client gets them; on a
 *    milter, the SMFIC_OPTNEG negotiation (protocol 6) proving that what
 *    answers is a milter.  Host names other than localhost are resolved in
 *    the child.  Without /proc (OpenBSD) only these connect probes say
 *    anything, and the report says so.
 *
 * Under --root (site->root set) the machine's /proc is not the site's: a
 * report made without an explicit proc directory reads nothing and every
 * verdict is unknown, saying why; probes refuse to run.  A report made
 * with a proc directory (tests) reads it, and stats socket files and reads
 * /etc/passwd and /etc/group under the root.
 *
 * Everything a report holds is copied (it outlives the site) and owned by
 * it.  Texts from /proc (paths, comm) are sanitized before they are
 * stored; endpoint paths stay as configured (sockspec refused control
 * bytes) for the probes.  Nothing here prints: show texts through
 * str_shown.
 */
#ifndef NOTSPAM_LISTEN_H
#define NOTSPAM_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include "core/lib/sockspec.h"
#include "core/site/services.h"

struct loop;
struct site;

/* Longest /proc/net line accepted (tcp6 rows are about 150 bytes, a unix
 * row 40 plus a path of at most 108). */
#define LISTEN_LINE_MAX		512
/* Time limit of a probe when 0 is given, in seconds. */
#define LISTEN_TIMEOUT_S	5

/* ---- 1. Listeners ---- */

struct listen_sock {
	int		 family;	/* AF_INET, AF_INET6, AF_UNIX */
	char		*address;	/* canonical ("127.0.0.1", "::1", "::",
					 * "::ffff:127.0.0.1"); NULL for unix */
	unsigned	 port;		/* 1..65535; 0 for unix */
	char		*path;		/* unix: as bound, sanitized (relative
					 * as Postfix binds "private/smtp");
					 * an abstract name as "@name"; NULL
					 * for an unnamed socket and TCP */
	char		*abspath;	/* unix: path made absolute with the
					 * owner's working directory, or NULL */
	int		 abstract;
	unsigned long	 inode;
	long		 uid;		/* TCP: the row's uid column; then the
					 * owner's; -1 unknown */
	long		 pid;		/* owner; 0 unknown */
	char		*comm;		/* owner's name, sanitized, or NULL */
};

struct listen_table {
	struct listen_sock	*v;
	size_t			 n;
	int			 proc;		/* net/tcp, tcp6 or unix read */
	int			 owners;	/* some PID/fd directory read */
	size_t			 rejected;	/* malformed rows skipped */
	char			*rejected_why;	/* the first: "/proc/net/tcp line
						 * 4: no inode field", or NULL */
	int			 bindv6only;	/* sys/net/ipv6/bindv6only */
	char			*procdir;	/* the directory read */
};

/*
 * One row of net/tcp (family AF_INET) or net/tcp6 (AF_INET6): 1 and *out
 * filled for a LISTEN row, 0 for another state or the header line, -1 with
 * *cause (sanitized) for a line the kernel does not write.  *out is zeroed
 * first; free its strings with listen_sock_clear.
 */
int listen_parse_inet(const char *line, int family, struct listen_sock *out,
    char **cause);
/* One row of net/unix: 1 for a listening stream socket, 0 for another
 * socket or the header, -1 with *cause as above. */
int listen_parse_unix(const char *line, struct listen_sock *out,
    char **cause);
void listen_sock_clear(struct listen_sock *);

/*
 * Read the listeners of procdir (NULL: "/proc") and their owners.  Never
 * NULL: a missing /proc gives proc 0 and no rows.  Free with
 * listen_table_free.
 */
struct listen_table *listen_table_read(const char *procdir);
void listen_table_free(struct listen_table *);

/* "127.0.0.1:12345", "[::1]:12345", "/run/x.sock", "@name".  Caller
 * frees. */
char *listen_sock_where(const struct listen_sock *);

/* ---- 2. Processes and signers ---- */

/* The value of option opt ("-p") in the command line of pid under
 * procdir, as "-p VALUE" or "-pVALUE", before any "--"; NULL when absent
 * or unreadable.  Caller frees. */
char *listen_cmdline_option(const char *procdir, long pid, const char *opt);

/* Is pid a live process named one of names (NULL-terminated; its comm, or
 * the last component of its exe link; NULL: any name)?  procdir/PID must
 * exist; with procdir NULL and no /proc on the machine (OpenBSD),
 * kill(pid, 0) decides and names are not compared. */
int listen_pid_is(const char *procdir, long pid, const char *const *names);

/* The lowest pid under procdir named one of names, or 0 (also without
 * /proc).  Another instance of the program counts: callers try the pid
 * file first. */
long listen_pid_find(const char *procdir, const char *const *names);

struct listen_signer {
	char		*program;	/* "opendkim" */
	enum svc_state	 state;		/* running, stopped, unknown */
	long		 pid;		/* 0 when not known */
	char		*how;		/* "pid 23 from /run/opendkim/opendkim.pid",
					 * "no live process behind ..." */
	char		*socket;	/* effective socket as written, or NULL */
	char		*socket_source;	/* "/proc/23/cmdline -p", a config's
					 * "file:line" */
	struct sockspec	 sock;		/* socket parsed (SOCKSPEC_MILTER);
					 * transport NONE if none or unreadable */
	int		 listening;	/* 1 a row of its own matches the
					 * socket, 0 none, -1 unknown */
	char		*detail;	/* one line on the socket's state, or
					 * NULL */
};

/* ---- 3. Endpoints ---- */

enum listen_state {
	LISTEN_UNKNOWN,		/* nothing known: no /proc and no probe,
				 * --root, a host name not resolved */
	LISTEN_LISTENING,	/* something listens where the client dials */
	LISTEN_REFUSED,		/* nothing listens there (TCP), or a socket
				 * file nobody listens on, or not a socket */
	LISTEN_NOFILE,		/* the socket path does not exist as the
				 * client sees it (ENOENT, ENOTDIR) */
	LISTEN_DENIED,		/* the client's user may not connect (EACCES) */
	LISTEN_NOADDR,		/* the client dials no address: its families
				 * filter every one out (EADDRNOTAVAIL) */
	LISTEN_TIMEOUT,		/* the connect did not finish in time */
	LISTEN_MILTER_OK,	/* a milter answered SMFIC_OPTNEG */
	LISTEN_MILTER_FAILED,	/* it connected, but no milter answered */
};

enum listen_cause {
	LISTEN_CAUSE_NONE,
	LISTEN_CAUSE_STOPPED,	/* A: the signer does not run */
	LISTEN_CAUSE_NOT_LISTENING,	/* A: it runs, but not on its socket */
	LISTEN_CAUSE_PORT,	/* B: the signer listens on another port */
	LISTEN_CAUSE_PATH,	/* B: on another socket file */
	LISTEN_CAUSE_TRANSPORT,	/* B: TCP against a socket file, or back */
	LISTEN_CAUSE_FAMILY,	/* C: same port, the other address family */
	LISTEN_CAUSE_ADDRESS,	/* same port and family, another address */
	LISTEN_CAUSE_PROTOCOLS,	/* C: the client's families (inet_protocols)
				 * filter out the family that listens */
	LISTEN_CAUSE_CHROOT,	/* D: the client's chroot moves the path */
	LISTEN_CAUSE_MODE,	/* E: socket mode, group or a directory's x */
	LISTEN_CAUSE_STALE,	/* a socket file nobody listens on */
	LISTEN_CAUSE_NOT_SOCKET,	/* the path is a file of another type */
	LISTEN_CAUSE_OTHER,	/* something else answers (not the signer,
				 * not a milter) */
};

struct listen_endpoint {
	/* What the client dials, from the site's link (copied). */
	char		*from;		/* "postfix smtpd" */
	char		*to;		/* "opendkim", or NULL */
	char		*kind;		/* "milter", "content_filter", ... */
	char		*address;	/* as configured, sanitized */
	char		*source;	/* "file:line", or NULL */
	struct sockspec	 sock;
	char		*path;		/* unix: the path the client opens,
					 * chroot or queue_directory applied
					 * (site path); NULL for TCP */
	char		*path_why;	/* why path is not sock.path, or NULL */
	char		*chroot;	/* the client chroots here first (path
					 * is chroot + sock.path), or NULL */
	char		*workdir;	/* a relative sock.path is taken from
					 * here (queue_directory), or NULL */
	char		*user;		/* the client's user, or NULL unknown */
	int		 families;	/* BACKEND_IPV4 | BACKEND_IPV6 */
	char		*families_source;	/* "main.cf:12", or NULL */

	/* The verdict. */
	enum listen_state state;
	enum listen_cause cause;
	char		*detail;	/* one line: what was seen, and why */
	long		 pid;		/* who listens, 0 unknown */
	char		*comm;		/* its name, or NULL */
	long		 uid;		/* its uid, -1 unknown */
	enum listen_state seen;		/* from /proc and stat alone */
	int		 probed;	/* an active probe ran */
	char		*probe;		/* what it saw: "connect to [::1]:12345:
					 * Connection refused", or NULL */
};

struct listen_report {
	struct listen_table	*table;
	struct listen_signer	*signers;
	size_t			 nsigners;
	struct listen_endpoint	*endpoints;
	size_t			 nendpoints;
	char			*root;		/* the site's root, or NULL */
	int			 live;		/* the machine's own /proc: probes
						 * may run */
	char			*note;		/* "no /proc here: connect probes
						 * only", or NULL */
	int			 probed;	/* listen_probe ran */
	int			 probe_uid;	/* probes ran as the client's user
						 * (1), or as notspam's (0) */
};

/*
 * The report of site: listeners from procdir (NULL: "/proc" when the site
 * is this machine; nothing under --root), signers, every endpoint with its
 * verdict from what was read.  Pid files, socket files, /etc/passwd and
 * /etc/group are read under site->root.  live is set only for procdir NULL
 * and no root.  Never NULL; free with listen_report_free.
 */
struct listen_report *listen_report_new(const struct site *,
    const char *procdir);
void listen_report_free(struct listen_report *);

/*
 * Match one endpoint (its sock, path, families and user set) against
 * table: fills state, cause, detail, the listener's pid, comm and uid, and
 * seen.  signers (may be NULL) name what the signer does instead when
 * nothing listens; root is where socket files are stat'ed (NULL: "/").
 * Exposed for tests; listen_report_new calls it for each endpoint.
 */
void listen_match(const struct listen_table *, const struct listen_signer *,
    size_t nsigners, const char *root, struct listen_endpoint *);

/*
 * An endpoint the site does not hold (a test's, a driver's): address
 * parsed in syntax, path = sock.path, both families, no user, no chroot.
 * The caller may set user, families, chroot, workdir and path (allocated:
 * the report frees them), then calls listen_report_match.  Returns the
 * endpoint (valid until the next add), or NULL with *cause when the
 * address does not parse.
 */
struct listen_endpoint *listen_report_add(struct listen_report *,
    const char *from, const char *kind, const char *address,
    enum sockspec_syntax, char **cause);
/* The verdict of ep from the report's table and signers (unknown, with
 * the report's note, when it has no table). */
void listen_report_match(struct listen_report *, struct listen_endpoint *);

/* ---- 4. Active probes ---- */

typedef void (*listen_probe_cb)(struct listen_report *, void *arg);

/*
 * Probe every endpoint of a live report on loop, each in a child process,
 * at most timeout_s seconds each (0: LISTEN_TIMEOUT_S); the verdicts are
 * replaced by what the probes saw (state, detail, probe) and cb is called
 * once when all are done.  Returns 0, or -1 with *cause (the report is not
 * live: --root or a fixture; a child could not start) and no callback.
 */
int listen_probe_start(struct loop *, struct listen_report *, int timeout_s,
    listen_probe_cb, void *arg, char **cause);
/* The same, blocking (a private loop), for code that runs none. */
int listen_probe(struct listen_report *, int timeout_s, char **cause);

/* "listening", "refused", "no such file", "permission denied", "no
 * address", "timed out", "handshake ok", "handshake failed", "unknown".
 * Static. */
const char *listen_state_name(enum listen_state);
/* "none", "signer not running", "signer not listening", "port mismatch",
 * "path mismatch", "transport mismatch", "address family mismatch",
 * "address mismatch", "address family filtered", "chroot", "permissions",
 * "stale socket", "not a socket", "another program answers".  Static. */
const char *listen_cause_name(enum listen_cause);
/* Does the endpoint take connections (listening, handshake ok)? */
int listen_state_ok(enum listen_state);

#endif
