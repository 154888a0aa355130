/* keys.h: the DKIM keys of a site, for the "keys" command and the Keys
 * screen: what the signer uses, what notspam made, their files, their
 * safety, their rotation state and whether the DNS publishes them.
 *
 * keys_list_new() is quick (reads the state file, the public half of each
 * key, stats); keys_probe() asks the DNS asynchronously on the loop and
 * calls changed() as answers arrive (it must not draw); keys_settle()
 * then moves each state (keys_advance) and writes them (keys_save).
 * A screen: keys_list_new on enter, keys_watch (a probe that settles by
 * itself once every answer is in), redraw on changed, keys_probe_stop
 * before freeing the resolver.  Nothing here blocks on the network.
 * The lifecycle (generate, rotate, switch, retire, revoke) is keylife.h.
 */
#ifndef NOTSPAM_KEYS_H
#define NOTSPAM_KEYS_H

#include <stddef.h>

#include "core/keys/dkimkey.h"
#include "core/keys/keysafe.h"
#include "core/keys/keystate.h"

struct dns;
struct site;
struct backend;
struct backend_key_ref;
struct backend_key_switch;
struct keys_probe_ctx;

enum keys_pub {
	KEYS_PUB_UNKNOWN,	/* not asked, or no answer (timeout, SERVFAIL) */
	KEYS_PUB_PENDING,	/* asked, no answer yet */
	KEYS_PUB_YES,		/* the DNS has this very key */
	KEYS_PUB_NO,		/* no record, or another key, or p= empty */
};

struct keys_entry {
	char			*domain;
	char			*selector;
	char			*path;		/* site path; NULL unknown */
	char			*signer;	/* who uses or would use it */
	char			*user;		/* the signer's user */
	char			*source;	/* configuring line, or NULL */
	int			 configured;	/* the signer uses it now */
	struct dkim_pub		 pub;		/* type NULL: key unreadable */
	char			*error;		/* why the key is unreadable */
	struct keysafe		 safe;
	enum keystate_state	 state;
	long long		 since;
	int			 tracked;	/* in the state file */
	enum keys_pub		 published;
	char			*pub_detail;	/* "NXDOMAIN", "another key" */
};

struct keys_list {
	struct keys_entry	*v;
	size_t			 n;
	struct keystate		 state;		/* as loaded, then advanced */
	char			*root;
	char			*warning;	/* state file problem, or NULL */
	/* probe bookkeeping */
	struct keys_probe_ctx	*probes;
	size_t			 pending;
	int			 settle;	/* keys_watch: settle when done */
	int			 stopped;	/* keys_probe_stop: ignore answers */
	int			 settled;	/* keys_settle ran after the probe */
	char			*save_error;	/* why it could not save, or NULL */
	void			(*changed)(void *);
	void			*arg;
};

/*
 * Build the list: every key the signer configuration names (site keys[]),
 * then every entry of the state file not among them.  Returns NULL with
 * *cause only when the state file cannot be read.  The list copies what it
 * needs from the site.
 */
struct keys_list *keys_list_new(const struct site *, char **cause);
void keys_list_free(struct keys_list *);

struct keys_entry *keys_find(const struct keys_list *, const char *domain,
    const char *selector);

/*
 * Look every selector up (TXT at <selector>._domainkey.<domain>) on dns.
 * changed(arg) runs after each answer.  The list must outlive the queries:
 * free the resolver (which cancels them) before the list.
 */
void keys_probe(struct keys_list *, struct dns *, void (*changed)(void *),
    void *arg);
int keys_probe_done(const struct keys_list *);

/*
 * keys_probe, and once the last answer is in keys_settle (states advanced
 * and saved) before the last changed(arg): l->settled is then 1 and
 * l->save_error says why the states could not be saved (or NULL).
 */
void keys_watch(struct keys_list *, struct dns *, void (*changed)(void *),
    void *arg);

/* Answers from now on (the resolver cancelling them when freed) change
 * nothing, call nothing and settle nothing.  Call before dns_free. */
void keys_probe_stop(struct keys_list *);

/* Decide published from a TXT answer's records (each the joined strings)
 * for entry e: sets e->published and e->pub_detail.  Exposed for tests. */
void keys_judge(struct keys_entry *e, const char *const *txt,
    const size_t *lens, size_t n);

/*
 * Move every entry's state by what was observed (keystate_advance), add
 * configured keys the state file did not know (as active).  Returns how
 * many entries changed.
 */
int keys_advance(struct keys_list *, long long now);
int keys_save(struct keys_list *, char **cause);

/* keys_advance, then keys_save when an entry changed: the number changed,
 * or -1 with *cause when they could not be saved. */
int keys_settle(struct keys_list *, long long now, char **cause);

/* The signer a new key of domain is for: the one already signing domain,
 * else the first detected signer program, else filter-dkimsign on an
 * OpenSMTPD site without Postfix, else the default signer
 * (backend_default_signer).  Borrowed string. */
const char *keys_site_signer(const struct site *, const char *domain);

/*
 * The exact configuration change that switches the signer of e->domain to
 * e, as e->signer's backend writes it (backend_switch_text; the default
 * signer's when e->signer names none): the files, the lines to add, what
 * to remove for the keys it replaces (same domain, same type, configured
 * now; each with its configuring line from the site), then the reload.
 * Several lines, no final newline; caller frees.
 */
char *keys_switch_text(const struct site *, const struct keys_list *,
    const struct keys_entry *e);

/* The switch to e as a backend sees it (backend.h): sw filled, its
 * replaced array returned (the caller frees it; the strings are borrowed
 * from l and the site). */
struct backend_key_ref *keys_switch_make(const struct site *,
    const struct keys_list *, const struct keys_entry *e,
    struct backend_key_switch *sw);
/* The backend of e's signer (the default signer's when it names none). */
const struct backend *keys_switch_backend(const struct keys_entry *e);

/* "<selector>._domainkey.<domain>." ; caller frees. */
char *keys_record_name(const char *domain, const char *selector);

/* "yes", "no", "unknown", "pending". */
const char *keys_pub_name(enum keys_pub);

#endif
