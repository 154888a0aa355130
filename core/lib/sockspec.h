/* sockspec.h: milter and socket endpoints, parsed once.
 *
 * Every program writes its endpoints its own way; sockspec_parse() reads
 * each syntax into one struct so that readers, the link resolution of the
 * site model and (later) the doctor's probes compare like with like:
 *
 *   SOCKSPEC_POSTFIX   Postfix milters: inet:host:port, inet:[addr]:port
 *                      (IPv6 always bracketed), inet:port (= localhost),
 *                      unix:path, local:path (= unix), /path.  A relative
 *                      unix path is relative to queue_directory.
 *   SOCKSPEC_NEXTHOP   Postfix content_filter transport:nexthop, the
 *                      nexthop being [host]:port, host:port, or unix:path.
 *   SOCKSPEC_MILTER    libmilter (OpenDKIM Socket, -p): inet:port[@host],
 *                      inet6:port[@host], literal hosts bracketed or not,
 *                      local:/path, unix:/path, /path.  inet is IPv4 only;
 *                      no host means every address of the family.
 *   SOCKSPEC_HOSTPORT  dkimproxy listen/relay: host:port, [addr]:port, or
 *                      a port alone (every address); an OpenSMTPD
 *                      interface:port.
 *   SOCKSPEC_URL       OpenSMTPD relay host: smtp://host:port,
 *                      smtp+tls://label@host:port, smtps://, lmtp://.
 *
 * Text with control bytes, an empty text, a port that is not 1..65535 or a
 * missing part is refused with a message; nothing here resolves names.
 */
#ifndef NOTSPAM_SOCKSPEC_H
#define NOTSPAM_SOCKSPEC_H

#include <stddef.h>

enum sockspec_syntax {
	SOCKSPEC_POSTFIX,
	SOCKSPEC_NEXTHOP,
	SOCKSPEC_MILTER,
	SOCKSPEC_HOSTPORT,
	SOCKSPEC_URL,
};

enum sockspec_transport {
	SOCKSPEC_NONE,		/* not parsed, or not an endpoint */
	SOCKSPEC_INET,		/* TCP; family says which */
	SOCKSPEC_INET6,		/* libmilter inet6: TCP over IPv6 */
	SOCKSPEC_UNIX,		/* unix: */
	SOCKSPEC_LOCAL,		/* local: (a unix socket) */
};

struct sockspec {
	enum sockspec_transport	 transport;
	/*
	 * AF_INET or AF_INET6 for a literal address or a transport bound to
	 * one family (libmilter inet / inet6), AF_UNSPEC for a host name
	 * (every family it resolves to), AF_UNIX for a socket file; 0 when
	 * transport is SOCKSPEC_NONE.
	 */
	int			 family;
	char			*address;	/* host or address, no brackets;
						 * "" = every address; NULL for
						 * a socket file */
	unsigned		 port;		/* 1..65535; 0 for a socket */
	char			*path;		/* socket file as written */
	int			 relative;	/* Postfix: path relative to
						 * queue_directory (the chroot) */
	int			 any_family;	/* libmilter inet6 without host:
						 * [::] (IPv4 too unless
						 * bindv6only) */
};

/*
 * Parse text (as configured) in the given syntax into *out (zeroed first).
 * Returns 0, or -1 with *cause (text sanitized, what to write instead) and
 * *out left with transport SOCKSPEC_NONE.
 */
int	 sockspec_parse(enum sockspec_syntax, const char *text,
	    struct sockspec *out, char **cause);
void	 sockspec_free(struct sockspec *);
void	 sockspec_copy(struct sockspec *dst, const struct sockspec *src);

/* The same endpoint, field by field (host names compared without case). */
int	 sockspec_equal(const struct sockspec *, const struct sockspec *);

enum sockspec_match {
	/*
	 * The site model's link resolution: TCP endpoints with the same port,
	 * or socket files with the same last path component (a chroot moves
	 * the directory, not the name).  Families and hosts are not compared.
	 */
	SOCKSPEC_MATCH_PORT,
	/*
	 * Would a client dialling `client` reach `listener`?  Same port and a
	 * family both use with the same address (a name such as localhost
	 * dials every family: 127.0.0.1 and ::1; a listener without host
	 * accepts every address of its family; libmilter inet6 without host
	 * also IPv4).  Socket files: the same path, or a relative client path
	 * that ends the listener's.  Names other than localhost are compared
	 * as text: nothing is resolved.
	 */
	SOCKSPEC_MATCH_REACH,
};

int	 sockspec_matches(const struct sockspec *client,
	    const struct sockspec *listener, enum sockspec_match);

/*
 * One canonical text for messages: "inet:127.0.0.1:8891",
 * "inet:[::1]:12345", "inet:localhost:25", "inet:*:8891",
 * "inet6:[::]:8891", "unix:/run/opendkim/opendkim.sock", "none".
 * Caller frees.
 */
char	*sockspec_format(const struct sockspec *);

#endif
