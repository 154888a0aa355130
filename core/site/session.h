/* session.h: what every command and the console start from.
 *
 * A session is the site read under the options' root with their settings
 * file, one poll loop, and (when asked for) one resolver on that loop with
 * the program's standard patience.  Commands and the console open one
 * instead of each setting these up with its own constants.  The session
 * owns everything in it; session_close() frees it all.
 */
#ifndef NOTSPAM_SESSION_H
#define NOTSPAM_SESSION_H

struct site;
struct loop;
struct dns;
struct zone_set;

/* The resolver's patience everywhere: per try, and tries. */
#define SESSION_DNS_TIMEOUT_MS	2000
#define SESSION_DNS_TRIES	2

struct session_opts {
	const char	*root;		/* NULL for "/" */
	const char	*config;	/* settings file; NULL: the default */
	const char	*resolver;	/* "IP[:PORT][,...]"; NULL: resolv.conf */
	/* Zone-file mode: zone files or directories of *.zone files
	 * (NULL-terminated; NULL: the DNS), every lookup answered from them
	 * (core/dns/zone.h).  Not with resolver. */
	const char *const *zones;
	int		 no_site;	/* only the loop and the resolver: a
					   command that reads no site (spf) */
};

struct session {
	struct site	*site;		/* NULL with no_site */
	struct loop	*loop;
	struct dns	*dns;		/* NULL until session_dns() succeeded */
	char		*dns_error;	/* why the resolver could not start */
	char		*resolver;	/* copy of the option, or NULL */
	struct zone_set	*zones;		/* zone-file mode, or NULL */
	char		*zones_name;	/* "zones:demo-zones", what dns_servers
					   says in zone mode */
};

/*
 * Read the site (unless no_site) and the zone files, and make the loop.
 * Returns NULL with *cause when the site cannot be read at all (see
 * site_load) or a zone file is bad (file:line); the caller frees *cause.
 */
struct session *session_open(const struct session_opts *, char **cause);

/*
 * Start the resolver on the session's loop (once; later calls return the
 * same one).  Returns NULL when it cannot start: s->dns_error says why, and
 * *bad_option is set to 1 when the --resolver value itself was rejected
 * (a usage error), 0 otherwise.
 */
struct dns *session_dns(struct session *, int *bad_option);

/*
 * Another resolver on the session's loop with the same servers and
 * patience, owned by the caller (dns_free): for a part that cancels its
 * own queries by freeing its resolver (the Keys screen) without cancelling
 * the session's.  NULL with *cause when it cannot start.
 */
struct dns *session_dns_new(struct session *, char **cause);

void session_close(struct session *);

#endif
