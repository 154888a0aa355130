/* keylife.h: the DKIM key lifecycle, one code path for the command line
 * ("keygen", "keys rotate|switch|retire|revoke") and the Keys screen.
 *
 *   generate  keys_gen_prepare (every check, the selector, the path, the
 *             signer's user) -> keys_generate (blocking) or
 *             keys_generate_start (on the loop) -> keys_gen_done (safety
 *             check, the state "generated" with the key's path, saved)
 *   rotate    keys_rotate_opts: a new key like the one in use
 *   switch    keys_switch_verdict: only once the DNS shows the key
 *   retire    keys_retire: refused for the key the signer uses
 *   revoke    keys_revoke: the same refusal; the p= empty record
 *   selector  keys_selector_taken / keys_free_selector
 *
 * Nothing here prints: results are data (the structs below) and errors a
 * status with *cause, which the caller frees.  States are written with
 * keystate_save (merged under the state file's lock).
 */
#ifndef NOTSPAM_KEYLIFE_H
#define NOTSPAM_KEYLIFE_H

#include <time.h>

#include "core/keys/keygen.h"
#include "core/keys/keys.h"
#include "core/keys/keysafe.h"
#include "core/keys/keystate.h"
#include "core/lib/util.h"

struct loop;
struct site;

/* What went wrong; the caller maps it to an exit status or a notice. */
enum keys_err {
	KEYS_OK = 0,
	KEYS_EUSAGE,	/* a bad selector, type, size, signer or key path */
	KEYS_ESTATE,	/* the state file cannot be read */
	KEYS_ETAKEN,	/* the selector names another key already */
	KEYS_EMAKE,	/* the key could not be made or stored */
	KEYS_ENOKEY,	/* no such key */
	KEYS_EREFUSED,	/* not for this key: the signer still uses it */
	KEYS_ESAVE,	/* done, but the state file could not be written */
};

/* The request of a new key: keygen's and keys rotate's options, the
 * console's n and E.  Strings are borrowed until keys_gen_prepare. */
struct keys_gen_opts {
	const char	*domain;	/* valid, lower case (keygen_check_domain) */
	const char	*selector;	/* NULL: keys_free_selector */
	const char	*type;		/* NULL: "rsa" */
	int		 bits;		/* 0: the type's default */
	int		 weak;		/* accept RSA 1024 */
	const char	*signer;	/* NULL: keys_site_signer */
	const char	*keyfile;	/* NULL: keygen_default_path */
	const char	*import;	/* host path of a PEM key, or NULL */
};

/*
 * One key from its request to its state entry.  keys_gen_prepare fills the
 * first part, keys_gen_done the second; keys_gen_free frees both (the
 * struct owns every string in it).
 */
struct keys_gen {
	char			*root;		/* the site's root, or NULL */
	char			*domain;
	char			*selector;	/* lower case */
	char			*type;
	char			*signer;
	char			*path;		/* site path of the key file */
	char			*user;		/* the signer's user */
	char			*import;
	int			 bits;
	int			 weak;
	struct keystate		 state;		/* as loaded by prepare */
	struct strv		 notes;		/* for the user, in order */
	/* After keys_gen_done: */
	int			 made;		/* the key exists */
	struct keygen_result	 res;		/* path, public key, mode */
	struct keysafe		 safe;		/* the file's safety */
	char			*save_error;	/* state not saved: why */
	/* keys_generate_start's callback. */
	void			(*cb)(struct keys_gen *, const char *, void *);
	void			*arg;
};

/*
 * Decide everything about a new key and check it before any work: the
 * state file (its first malformed line becomes a note), the signer (a
 * signer backend: backend_signer), the type and size, the
 * selector (given: valid; not given: keys_free_selector at now), that it
 * is not taken, the key path (given: absolute, nothing a signer config
 * could not name), a note when the domain is not hosted yet.  Returns
 * KEYS_OK, or KEYS_ESTATE, KEYS_EUSAGE or KEYS_ETAKEN with *cause; *g is
 * to be freed with keys_gen_free in every case.
 */
enum keys_err keys_gen_prepare(const struct site *, const struct keys_gen_opts *,
    time_t now, struct keys_gen *g, char **cause);

/* The keygen request of a prepared key (pointing into *g). */
void keys_gen_req(const struct keys_gen *g, struct keygen_req *req);

/*
 * A key was made (res, whose contents *g takes over): its notes join
 * g->notes, its file's safety is checked (g->safe), and its state
 * "generated" since now with its path is saved.  Returns KEYS_OK, or
 * KEYS_ESAVE with g->save_error and a warning note when the state file
 * could not be written (the key exists all the same).  The one function
 * the command line and the console record a new key with.
 */
enum keys_err keys_gen_done(struct keys_gen *g, struct keygen_result *res,
    time_t now);

/* Make the prepared key now (keygen_run), then keys_gen_done.  KEYS_OK or
 * KEYS_ESAVE (see keys_gen_done), or KEYS_EMAKE with *cause. */
enum keys_err keys_generate(struct keys_gen *g, char **cause);

/*
 * Make the prepared key in a child on the loop (keygen_start).  When it is
 * done, keys_gen_done has run (on success) and cb(g, cause, arg) runs
 * once: cause NULL when the key was made (g->made, g->save_error), else
 * why not (valid during the call).  Returns the job (keygen_cancel stops
 * it, and cb is then never called), or NULL with *cause.  *g must outlive
 * the job.
 */
struct keygen_job *keys_generate_start(struct loop *, struct keys_gen *g,
    void (*cb)(struct keys_gen *, const char *cause, void *), void *arg,
    char **cause);

void keys_gen_free(struct keys_gen *);

/*
 * Where selector is in use for domain already: "notspam's key state file",
 * the configuring line of the signer ("file:line"), or "the signer
 * configuration"; NULL when it is free.  Borrowed string.
 */
const char *keys_selector_taken(const struct site *, const struct keystate *,
    const char *domain, const char *selector);

/*
 * The default selector of a new key made at now: keygen_default_selector,
 * then with b, c, ... z appended while it is taken (keys_selector_taken)
 * or a file is at the signer's default path for it.  Caller frees.
 */
char *keys_free_selector(const struct site *, const struct keystate *,
    const char *domain, const char *type, const char *signer, time_t now);

/*
 * Fill the unset options of a rotation of o->domain from the key its
 * signer uses now (of o->type when given; RSA preferred): the same type,
 * RSA at least KEYGEN_RSA_DEFAULT bits, the same signer.  Returns that key
 * (borrowed from the list, which must outlive *o), or NULL when the domain
 * has none: the rotation makes its first key.
 */
const struct keys_entry *keys_rotate_opts(const struct keys_list *,
    struct keys_gen_opts *o);

/* The key of domain/selector, or NULL with *cause (KEYS_ENOKEY). */
struct keys_entry *keys_lookup(const struct keys_list *, const char *domain,
    const char *selector, char **cause);

/* May the signer be switched to a key? */
enum keys_switch {
	KEYS_SWITCH_GO,		/* the DNS shows it: keys_switch_text */
	KEYS_SWITCH_ALREADY,	/* the signer uses it already */
	KEYS_SWITCH_UNREADABLE,	/* its file is unreadable (e->error) */
	KEYS_SWITCH_UNPUBLISHED, /* the DNS does not publish it: refused */
	KEYS_SWITCH_UNKNOWN,	/* not asked (keys_probe first) or no answer:
				   refused */
};
enum keys_switch keys_switch_verdict(const struct keys_entry *);

/*
 * Retire e (its state retired since now, with its path), and save.
 * KEYS_EREFUSED with *cause while the signer uses it; KEYS_ESAVE with
 * *cause when the state file could not be written; else KEYS_OK.
 */
enum keys_err keys_retire(struct keys_list *, struct keys_entry *e,
    long long now, char **cause);

/* What a revocation leaves to do. */
struct keys_revoked {
	char		*record;	/* TXT value to publish instead:
					   "v=DKIM1; k=<type>; p=" */
	int		 early;		/* retired less than the grace period
					   ago: mail in transit may fail */
};

/*
 * Revoke e (state revoked since now, with its path), and save; *out says
 * what to publish (free with keys_revoked_free; filled whenever the
 * state was changed, even when KEYS_ESAVE).  Refusals and errors as
 * keys_retire.
 */
enum keys_err keys_revoke(struct keys_list *, struct keys_entry *e,
    long long now, struct keys_revoked *out, char **cause);
void keys_revoked_free(struct keys_revoked *);

#endif
