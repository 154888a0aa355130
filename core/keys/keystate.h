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
 * Written with fswrite (a temporary file in the same directory, fsync,
 * rename, fsync of the directory) under the lock keys.state.lock beside it,
 * held from the read to the rename, so that concurrent notspam runs (twelve
 * keygens at once) each add their entry instead of replacing the others'.
 * Reading needs no lock: the file is always replaced whole.
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
	/* Private: the entries as last loaded or saved, so that a save
	 * writes only what this process changed. */
	struct keystate_entry	*base;
	size_t			 nbase;
};

/*
 * Read the state file under root.  A missing file is an empty state (0).
 * -1 with *cause for an unreadable file; a malformed line is skipped and
 * reported in *cause only when warn is not NULL (*warn gets "file:line:
 * problem" for the first one, caller frees).
 */
int keystate_load(const char *root, struct keystate *, char **warn,
    char **cause);

/* mkdir -p /var/lib/notspam (the state directory of notspam's files:
 * keys.state, setup.state, tests.jsonl) under root, each new directory
 * 0755.  0, or -1 with *cause naming it. */
int keystate_mkdir(const char *root, char **cause);

/*
 * Save the changes made since keystate_load() (or the last save): under the
 * lock, the file is read again, every entry added or changed here (state,
 * since or path differ from what was loaded) is set in it, and it is
 * replaced; entries other processes added or changed meanwhile are kept.
 * Creates /var/lib/notspam 0755 when missing; a new file is mode 0644, an
 * existing one keeps its owner and mode.  Returns 0, or -1 with *cause (a
 * full or read-only file system named with the path, a lock held too long).
 */
int keystate_save(const char *root, struct keystate *, char **cause);

/*
 * Read, change and replace the state file in one step under its lock: cb
 * gets the state as it is in the file now and changes it (keystate_set);
 * it returns 0 to save, 1 to leave the file alone, -1 with *cause to stop.
 * Returns 0 or -1 with *cause.
 */
typedef int (*keystate_update_cb)(struct keystate *, void *arg, char **cause);
int keystate_update(const char *root, keystate_update_cb, void *arg,
    char **cause);

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
