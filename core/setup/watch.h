/* watch.h: the setup's DNS watch: the record checks (core/check/check.h)
 * run again and again, every interval, until the DNS shows every record
 * the site needs; per record it keeps where the record is seen.
 *
 * A round is one check_start() of the site (the mail host and every
 * hosted domain) on a resolver of the watch's own, then one lookup per
 * record through that resolver for its TTL: how long the resolver may
 * keep what it answered (the record, or its "no such record").  When the
 * round is done its rows replace the last round's (the rows of the first
 * round fill in as its answers arrive), and the next round starts after
 * the interval.  In zone-file mode (struct watch_opts zones) the files are
 * read again at every round, so that records written into them meanwhile
 * show, as a real DNS would show them once published; a file that does
 * not load keeps the last rows and sets the watch's error.
 *
 * Where a record is seen (enum watch_state), from the check's verdict and
 * its authoritative nameservers' views (struct check_ns_view):
 *   missing   neither the resolver nor a nameserver asked has it
 *   wrong     a record is there, not the one wanted (another SPF, a key
 *             that is not this one's)
 *   auth      the zone's authoritative nameservers have it, the resolver
 *             not yet (its cached answer has not expired)
 *   shown     the resolver shows it (the check is ok, or warn: there, but
 *             weak)
 *   unknown   the DNS could not tell (a timeout, SERVFAIL)
 * Nothing here draws; changed(arg) runs from the loop whenever a row
 * changed (the console marks itself dirty there).
 */
#ifndef NOTSPAM_WATCH_H
#define NOTSPAM_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/check/check.h"

struct loop;
struct site;
struct watch;

/* Between two rounds, unless told otherwise. */
#define WATCH_INTERVAL_MS	30000
/* The shortest interval taken (tests use a second). */
#define WATCH_INTERVAL_MIN_MS	100

enum watch_state {
	WATCH_PENDING,		/* not decided yet (first round) */
	WATCH_MISSING,
	WATCH_WRONG,
	WATCH_AUTH,
	WATCH_SHOWN,
	WATCH_UNKNOWN,
};

/* "pending", "missing", "wrong", "auth", "shown", "unknown". */
const char *watch_state_name(enum watch_state);

struct watch_row {
	char		*set;		/* the domain, or the mail host's name */
	int		 host;		/* 1: a record of the mail host's set */
	char		*id;		/* the check's id ("spf", "ptr:ADDR") */
	char		*name;		/* owner name checked */
	char		*type;		/* "TXT", "MX", ... */
	enum watch_state state;
	enum check_status status;	/* the check's own verdict */
	char		*detail;	/* the check's one line, sanitized */
	size_t		 nns;		/* authoritative nameservers asked */
	size_t		 nns_have;	/* of them, those that have it */
	long		 ttl;		/* seconds: the TTL of the resolver's
					 * answer (of the record when shown,
					 * of its absence when missing); -1
					 * unknown */
	time_t		 since;		/* when it was first shown (0: not
					 * yet) */
};

struct watch_opts {
	int		 interval_ms;	/* 0: WATCH_INTERVAL_MS */
	int		 ns_port;	/* the nameservers' port (check_opts) */
	const char	*servers;	/* the resolver ("IP[:PORT],..."), NULL:
					 * resolv.conf */
	const char *const *zones;	/* zone-file mode: files or directories
					 * (NULL-terminated), read at every
					 * round; NULL: the DNS.  Borrowed. */
	int		 timeout_ms;	/* per try; 0: 2000 */
	int		 tries;		/* 0: 2 */
	void		(*changed)(void *);
	void		*arg;
};

/*
 * Start watching the site's records on the loop; the first round starts at
 * once.  The site (and opts->zones) must outlive the watch.  Returns the
 * watch, or NULL with *cause (a resolver that cannot start, the first
 * round's zone files not loading).
 */
struct watch *watch_start(struct loop *, const struct site *,
    const struct watch_opts *, char **cause);
/* Stop what runs (no callback after this) and free. */
void watch_free(struct watch *);

/* The rows (the last finished round's, or the first one's so far), in the
 * order of the check results: the mail host's records, then each
 * domain's. */
const struct watch_row *watch_rows(const struct watch *, size_t *n);
/* How many rows are shown (WATCH_SHOWN); *total gets the number of rows. */
size_t watch_shown(const struct watch *, size_t *total);
/* Rounds finished. */
unsigned watch_rounds(const struct watch *);
/* Is a round running now? */
int watch_busy(const struct watch *);
/* Milliseconds until the next round starts (0 while one runs). */
int64_t watch_next_ms(const struct watch *);
/* Why the last round could not run (a zone file that does not load, a
 * resolver that cannot start), or NULL. */
const char *watch_error(const struct watch *);
/* Start a round now, unless one runs. */
void watch_now(struct watch *);

/* Where one checked record is seen (see above). */
enum watch_state watch_classify(const struct check_item *);

#endif
