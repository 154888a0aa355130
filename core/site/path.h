/* path.h: the signing path as a person reads it.
 *
 * The site model (site.h) keeps what each program's configuration says as
 * links: one per hand-over a program dials ("postfix smtpd", milter,
 * inet:[::1]:12345) and one per place a program listens, resolved to each
 * other by site_load() (site_link.listener, site_link.problem).
 * path_build() turns them into hops: a dialing hop "FROM -> ADDRESS -> TO"
 * with the listener it reaches merged into it, and a listener nothing
 * dials on its own ("opendkim listens on inet:8891@localhost"), each with
 * a state and the words that explain it.  No name is ever "?": a hop that
 * names no listener has no TO and says so in its state.
 *
 * Pure: no I/O; everything is copied, so a path outlives its site.
 */
#ifndef NOTSPAM_PATH_H
#define NOTSPAM_PATH_H

#include <stddef.h>

struct site;

enum path_state {
	PATH_LINKED,		/* a listener of TO takes what FROM hands it
				 * (or FROM runs TO itself: a filter) */
	PATH_MISMATCH,		/* TO listens on that port or socket name,
				 * but where FROM does not reach it */
	PATH_NO_LISTENER,	/* nothing configured listens there */
	PATH_UNUSED,		/* a listener nothing hands mail to ("idle:
				 * nothing hands it mail") */
	PATH_UNKNOWN,		/* TO is a program notspam does not read
				 * (rspamd), or the address is no address */
};

struct path_hop {
	char		*from;		/* "postfix smtpd"; NULL for a
					 * listener nothing dials */
	char		*address;	/* as configured: "inet:[::1]:12345",
					 * a filter's name; NULL when none */
	char		*to;		/* who takes the mail, with what names
					 * its listener: "opendkim",
					 * "opensmtpd (tag DKIM)"; NULL when no
					 * listener is named */
	char		*kind;		/* the link's: "milter", "relay",
					 * "filter", "listen", ... */
	int		 endpoint;	/* address is an endpoint (parsed);
					 * 0 for a filter's name or an address
					 * that could not be read */
	enum path_state	 state;
	char		*detail;	/* the words after the state, or NULL:
					 * "opendkim listens on 127.0.0.1:12345
					 * (IPv4 only)" */
	char		*listen;	/* the merged listener's address as
					 * configured ("inet:12345@localhost"),
					 * or NULL */
	char		*source;	/* "file:line" of the hop's line, or
					 * NULL */
	char		*probe;		/* what a probe of the running
					 * programs saw ("handshake ok",
					 * "refused"), or NULL: not probed
					 * (doctor_path_probes sets it) */
	int		 probe_ok;	/* that endpoint takes connections */
};

struct path {
	struct path_hop	*hops;
	size_t		 nhops;
};

/* The hops of site's signing path, in the order of its links, a hop
 * identical to an earlier one (two listen lines naming one filter) left
 * out.  Never NULL; free with path_free(). */
struct path *path_build(const struct site *);
void path_free(struct path *);

/* The state as one word or phrase: "linked", "mismatch", "no listener
 * named", "idle", "unknown".  Static. */
const char *path_state_name(enum path_state);

/* The hop without its state: "postfix smtpd -> inet:[::1]:12345 ->
 * opendkim", "opensmtpd -> filter dkimsign -> filter-dkimsign",
 * "postfix smtpd -> inet:127.0.0.1:8893" (no listener named), "opendkim
 * listens on inet:8891@localhost" (nothing dials it).  Caller frees. */
char *path_hop_route(const struct path_hop *);

/* The state and its detail: "linked", "mismatch: opendkim listens on
 * 127.0.0.1:12345 (IPv4 only)".  Caller frees. */
char *path_hop_state(const struct path_hop *);

#endif
