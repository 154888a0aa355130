/* keystate.h: where each DKIM selector stands in its rotation.
 *
 * States, per domain and selector:
 *   generated  the key file exists (notspam made or imported it)
 *   published  the DNS shows the matching public key
 *   active     the signer's configuration uses it (site keys[])
 *   retired    no longer used by the signer, still published for a grace
 *              period (KEYSTATE_GRACE_DAYS) so mail in transit verifies
 *   revoked    withdrawn: publish "p=" empty, then delete the key file
 * The signer is switched to a new key only once it is published.
 *
 * The state file (no secrets, mode 0644, directory 0755), under --root:
 *   /var/lib/notspam/keys.state
 * One entry a line, fields separated by one space, '#' starts a comment:
 *   DOMAIN SELECTOR STATE SINCE PATH
 * SINCE is when the state was entered (seconds since the epoch); PATH is
 * the key's site path ("-" when unknown) and is the rest of the line.
 * Written atomically: a temporary file in the same directory, fsync,
 * rename, fsync of the directory.
 */
#ifndef NOTSPAM_KEYSTATE_H
#define NOTSPAM_KEYSTATE_H

#include <stddef.h>
#include <time.h>

#define KEYSTATE_PATH		"/var/lib/notspam/keys.state"
#define KEYSTATE_GRACE_DAYS	7

enum keystate_state {
	KEYSTATE_GENERATED,
	KEYSTATE_PUBLISHED,
	KEYSTATE_ACTIVE,
	KEYSTATE_RETIRED,
	KEYSTATE_REVOKED,
};

struct keystate_entry {
	char			*domain;	/* lower case */
	char			*selector;	/* lower case */
	enum keystate_state	 state;
	long long		 since;
	char			*path;		/* NULL when unknown */
};

struct keystate {
	struct keystate_entry	*v;
	size_t			 n;
};

/*
 * Read the state file under root.  A missing file is an empty state (0).
 * -1 with *cause for an unreadable file; a malformed line is skipped and
 * reported in *cause only when warn is not NULL (*warn gets "file:line:
 * problem" for the first one, caller frees).
 */
int keystate_load(const char *root, struct keystate *, char **warn,
    char **cause);

/* Write the state file atomically (creating /var/lib/notspam 0755). */
int keystate_save(const char *root, const struct keystate *, char **cause);

void keystate_free(struct keystate *);

/* The entry of domain/selector (case-insensitive) or NULL. */
struct keystate_entry *keystate_find(const struct keystate *,
    const char *domain, const char *selector);

/* Add or update an entry; path NULL keeps the known one. */
struct keystate_entry *keystate_set(struct keystate *, const char *domain,
    const char *selector, enum keystate_state, long long since,
    const char *path);

/* "generated" ... "revoked"; and back (-1 for an unknown word). */
const char *keystate_name(enum keystate_state);
int keystate_parse(const char *word, enum keystate_state *);

/*
 * Apply what was observed to one entry at time now: `configured` (the
 * signer uses it), `published` (1 the DNS shows the key, 0 it does not,
 * -1 unknown).  Rules: configured makes generated/published/retired
 * active; not configured makes active retired; generated becomes published
 * when seen in the DNS, published falls back to generated when the DNS
 * says it is gone; revoked stays.  Returns 1 if the state changed (since
 * is then now).
 */
int keystate_advance(struct keystate_entry *, int configured, int published,
    long long now);

#endif
