/* setup.h: the guided first-time setup as data: its steps, what each one
 * shows and asks, and the progress kept between runs.  No curses: the
 * console's setup screens (and the tests) drive it.
 *
 * The steps, in order (UX.md "Guided setup"):
 *   detect    what runs here: the MTA and signer found (versions, config
 *             paths), or, with no signer, the choice of one with the
 *             package command for this system (never run by notspam)
 *   identity  the mail host name, the hosted domains (from the configs,
 *             plus added ones), the public IPv4 and IPv6 addresses (from
 *             the interfaces, editable behind NAT); written to notspam's
 *             settings file
 *   keys      per domain a selector (default from the date) and a type
 *             (RSA 2048, or Ed25519 plus RSA), made by the keys module
 *   configs   apply's plan, diff and transaction
 *   dns       the records to publish, exported, then watched until the
 *             DNS shows each
 *   test      send-test to an address (typically mail-tester's)
 *
 * The progress file (no secrets, mode 0644, under the site's root):
 *   /var/lib/notspam/setup.state
 * One statement a line, words separated by one space, '#' a comment:
 *   version 1
 *   step NAME                      the step shown last
 *   done NAME TIME                 a step finished (seconds since the epoch)
 *   stack MTA SIGNER               the programs chosen (backend names)
 *   hostname NAME
 *   domain NAME                    once per hosted domain set up
 *   address ADDR                   once per public address (canonical)
 *   key DOMAIN SELECTOR TYPE PATH  a key the keys step made (PATH: the
 *                                  rest of the line)
 *   test ADDRESS ROUTE             the last test's address and route
 * Written whole (fswrite: a temporary file, fsync, rename) under the lock
 * setup.state.lock; an unknown statement is kept out with a warning, never
 * a reason to lose the rest.  Before the configs step's confirmation only
 * this file, notspam's settings file and new key files are written, never
 * a file of the MTA or the signer.
 */
#ifndef NOTSPAM_SETUP_H
#define NOTSPAM_SETUP_H

#include <stddef.h>
#include <time.h>

#include "core/lib/util.h"

struct site;

#define SETUP_STATE_PATH	"/var/lib/notspam/setup.state"

enum setup_step {
	SETUP_DETECT,
	SETUP_IDENTITY,
	SETUP_KEYS,
	SETUP_CONFIGS,
	SETUP_DNS,
	SETUP_TEST,
	SETUP_NSTEPS
};

/* "detect", "identity", ... and back (-1 unknown). */
const char *setup_step_name(enum setup_step);
int setup_step_from_name(const char *);
/* "What runs here", "Identity", "Keys", "Configs", "DNS", "Test". */
const char *setup_step_title(enum setup_step);

/* A key the keys step made. */
struct setup_key {
	char	*domain;
	char	*selector;
	char	*type;		/* "rsa", "ed25519" */
	char	*path;		/* site path */
};

struct setup_state {
	enum setup_step	 step;			/* shown last */
	time_t		 done[SETUP_NSTEPS];	/* 0: not done */
	char		*mta;			/* backend names, NULL: the */
	char		*signer;		/* detected ones */
	char		*hostname;		/* NULL: the site's */
	struct strv	 domains;		/* lower case */
	int		 have_domains;		/* a domain line was read/set */
	struct strv	 addresses;		/* canonical */
	int		 have_addresses;
	struct setup_key *keys;
	size_t		 nkeys;
	char		*test_to;
	char		*test_route;
};

void setup_state_init(struct setup_state *);
void setup_state_free(struct setup_state *);
/*
 * Read the progress file under root.  A missing file is a fresh state (0).
 * -1 with *cause for an unreadable file.  A line notspam does not
 * understand is skipped and named in *warn ("setup.state:7: ..."; the
 * first one; caller frees; warn may be NULL).
 */
int setup_state_load(const char *root, struct setup_state *, char **warn,
    char **cause);
/* Write it (see above).  Creates /var/lib/notspam 0755.  0, or -1 with
 * *cause naming the path and what to do. */
int setup_state_save(const char *root, const struct setup_state *,
    char **cause);
/* The state's text, as saved (for tests and for the save). */
char *setup_state_text(const struct setup_state *);

/* A step finished now; the state shows the next one. */
void setup_done(struct setup_state *, enum setup_step, time_t now);
/* Whether a step may be opened: every step before it is done (detect and
 * a done step always may).  *why (static) says which one is missing. */
int setup_can_open(const struct setup_state *, enum setup_step,
    const char **why);
/* Is nothing configured yet: no signer has a key, and the MTA hands mail
 * to no signer (nor to one notspam does not read, such as rspamd)?  The
 * console then opens on the setup. */
int setup_first_run(const struct site *);
/* The key the state holds for domain and selector, or NULL. */
const struct setup_key *setup_key_find(const struct setup_state *,
    const char *domain, const char *selector);
/* Record a made key (replacing one of the same domain and selector). */
void setup_key_add(struct setup_state *, const char *domain,
    const char *selector, const char *type, const char *path);

/* ---- detect ------------------------------------------------------------- */

/* A stack notspam can set up. */
struct setup_choice {
	const char	*id;		/* "postfix+opendkim" */
	const char	*mta;		/* backend names */
	const char	*signer;
	const char	*title;		/* "Postfix + OpenDKIM" */
	int		 installed;	/* both programs are here */
	int		 packaged;	/* this system has a package for it */
	char		*install;	/* the command that installs what is
					 * missing ("apt-get install opendkim
					 * opendkim-tools"), NULL: nothing
					 * missing or no package here */
};

enum setup_os {
	SETUP_OS_DEBIAN,	/* Debian, Ubuntu (apt) */
	SETUP_OS_OPENBSD,	/* pkg_add, rcctl */
	SETUP_OS_OTHER,
};

struct setup_detect {
	enum setup_os		 os;
	char			*os_name;	/* "Debian GNU/Linux 12
						 * (bookworm)", "OpenBSD" */
	const char		*mta;		/* detected backend names, or */
	const char		*mta_version;	/* NULL (borrowed from the */
	const char		*mta_config;	/* site) */
	const char		*signer;
	const char		*signer_version;
	const char		*signer_config;
	struct setup_choice	*choices;	/* for this MTA (all with
						 * none), the detected stack
						 * first */
	size_t			 nchoices;
	struct strv		 notes;
};

/* What runs here, and the stacks to choose from.  The site must outlive
 * d. */
void setup_detect(const struct site *, struct setup_detect *d);
void setup_detect_free(struct setup_detect *);
/* The choice with that id, or NULL. */
const struct setup_choice *setup_choice_find(const struct setup_detect *,
    const char *id);

/* ---- identity ----------------------------------------------------------- */

struct setup_identity {
	char		*hostname;
	char		*hostname_source;	/* "main.cf:34 myhostname",
						 * "setup", "system" */
	struct strv	 domains;	/* every domain the setup covers */
	struct strv	 config_domains; /* of them, those the configs name */
	struct strv	 ipv4;
	struct strv	 ipv6;
	char		*addr_source;	/* "setup", "settings", "interfaces" */
	struct strv	 notes;		/* "10.0.0.5 on eth0 is private:
					 * behind NAT?" */
};

/* The identity as the site and the state give it (the state's answers
 * win). */
void setup_identity(const struct site *, const struct setup_state *,
    struct setup_identity *);
void setup_identity_free(struct setup_identity *);
/*
 * Check answers: a host name with at least two labels, each domain a
 * domain name, each address an IPv4 or IPv6 address.  Problems are added
 * to problems ("203.0.113.300 is not an IP address"), and an address that
 * is not public (private, documentation, loopback) to notes (it is
 * allowed: a test or a NAT); returns the number of problems.
 */
size_t setup_identity_check(const char *hostname, const struct strv *domains,
    const struct strv *addresses, struct strv *problems, struct strv *notes);
/*
 * Write the identity into notspam's settings file (path: NULL for the
 * default) under root: public_ipv4, public_ipv6 (both, so that detection
 * no longer overrides them) and domains (those the configs do not name),
 * as "key = value" lines edited in place (the other lines, comments
 * included, kept byte for byte).  The new text is read back as settings
 * before it replaces the old one; the first time, the file as it was is
 * kept as /var/lib/notspam/setup/notspam.conf.before.  0, or -1 with
 * *cause.
 */
int setup_settings_write(const char *root, const char *path,
    const struct setup_identity *, char **cause);

/*
 * The signer chosen on the detect step when none was found, as the
 * settings file's "signer" line (the one apply wires when the MTA has
 * none); NULL removes the line.  The same edit in place as
 * setup_settings_write.  0, or -1 with *cause.
 */
int setup_settings_signer(const char *root, const char *path,
    const char *signer, char **cause);

/* ---- keys --------------------------------------------------------------- */

/* One key the keys step offers. */
struct setup_keyrow {
	char	*domain;
	char	*selector;	/* the state's, the signer's, or the default */
	char	*type;		/* "rsa" or "ed25519" */
	int	 bits;		/* RSA: 2048 */
	char	*path;		/* where it is or goes (site path) */
	int	 exists;	/* the file is there */
	int	 configured;	/* the signer already uses it */
	int	 made;		/* the setup made it (state key line) */
};

/*
 * The keys of the identity's domains for signer (NULL: the default
 * signer): a key the signer already uses for a domain is kept (no new
 * key); else the state's key; else a new one with the default selector
 * of now.  ed25519 adds an Ed25519 key beside each RSA one.
 */
void setup_keyrows(const struct site *, const struct setup_state *,
    const struct setup_identity *, const char *signer, int ed25519,
    time_t now, struct setup_keyrow **rows, size_t *n);
void setup_keyrows_free(struct setup_keyrow *, size_t n);

#endif
