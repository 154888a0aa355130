/* plan.h: the wanted state of the MTA's and the signer's configuration,
 * and the edits that reach it, before anything is written.
 *
 * plan_make() pairs each MTA of the site with its DKIM signer (the one its
 * links reach, else the one the settings name, else one installed that
 * fits it) and asks the two backends, the signer first, to plan: the
 * signer says where it takes mail (a milter socket, a proxy's ports, a
 * filter command: struct plan_want's hand-over part) and edits its own
 * files; the MTA then points at it and edits its own.  Every edit goes
 * through the document model (core/conf/conf.h: Postfix files as
 * "postconf -e" edits them) and is recorded with its file, the lines as
 * read, the lines as planned and a one-line reason.  What cannot be
 * planned (a signer notspam does not manage, keys in SQL) is a "no plan"
 * reason instead, and nothing of that pair is edited.
 *
 * A transaction (core/apply/txn.h) takes from a plan, per file, its site
 * path, the bytes as read (to refuse a file changed since), the planned
 * bytes and the mode; per backend the checker commands to run on copies
 * of the planned files, and the reload or restart that makes the program
 * read them; and the steps that are not file edits (a group membership,
 * a socket directory).
 *
 * Everything is owned by the plan and freed by plan_free(); the site
 * must outlive the plan (backends, locations and facts are borrowed).
 */
#ifndef NOTSPAM_PLAN_H
#define NOTSPAM_PLAN_H

#include <stddef.h>
#include <sys/types.h>

#include "core/conf/conf.h"
#include "core/lib/sockspec.h"
#include "core/lib/util.h"

struct site;
struct backend;
struct backend_ctx;
struct dns;

/* What the PTR lookups of the site's public addresses said. */
enum plan_ptr_status {
	PLAN_PTR_UNKNOWN,	/* not asked, or no answer (timeout, SERVFAIL) */
	PLAN_PTR_NAME,		/* a PTR record: name */
	PLAN_PTR_NONE,		/* NXDOMAIN or no PTR record */
};

struct plan_ptr {
	char			*addr;		/* canonical */
	int			 family;	/* AF_INET, AF_INET6 */
	enum plan_ptr_status	 status;
	char			*name;		/* PLAN_PTR_NAME: lower case,
						 * no final dot */
};

/* The PTR answers for the site's public addresses, filled by
 * plan_ptrs_lookup() (or by a test). */
struct plan_ptrs {
	struct plan_ptr	*v;
	size_t		 n;
	size_t		 pending;	/* queries not answered yet */
};

/* One change, as a person reads it. */
struct plan_edit {
	size_t	 line;		/* first line of before in the file as read;
				 * for an addition, the line it comes before
				 * (one past the last line: at the end) */
	size_t	 new_line;	/* first line of after in the planned file
				 * (for a removal, the line that follows) */
	char	*before;	/* the lines as read, without terminators,
				 * "\n" between them; NULL: an addition */
	char	*after;		/* the lines as planned; NULL: a removal */
	char	*reason;	/* one line */
};

/* One file the plan edits or creates. */
struct plan_file {
	char			*path;		/* site path */
	const struct backend	*backend;	/* whose file */
	int			 exists;	/* 0: a new file */
	struct conf_doc		*doc;		/* as planned */
	char			*old;		/* the bytes as read ("" for a
						 * new file) */
	size_t			 oldlen;
	mode_t			 mode;		/* the file's (kept), or the new
						 * file's */
	char			*owner;		/* a new file's owner and group */
	char			*group;		/* (names), NULL: root */
	struct plan_edit	*edits;
	size_t			 nedits;
	struct strv		 warnings;	/* "managed by Ansible: ..." */
	size_t			*origin;	/* private: line of each planned
						 * line in the file as read, 0
						 * for a new line */
	size_t			*by;		/* private: the edit (1-based)
						 * that wrote it, or 0 */
	size_t			 norigin;
};

/* A change that is not a file edit: a command with its reason. */
struct plan_step {
	const struct backend	*backend;
	struct strv		 argv;		/* site paths */
	char			*reason;
};

/* A checker to run on the planned files: argv with the word at path_arg
 * (the config file, or its directory when dir is set) to be replaced by
 * the temporary copy's.  outside: it reads or creates paths outside the
 * files checked (postfix check makes the queue directory), so a run
 * under --root skips it. */
struct plan_check {
	const struct backend	*backend;
	struct strv		 argv;
	size_t			 path_arg;
	int			 dir;
	int			 outside;
};

/* How a program takes the planned files. */
struct plan_reload {
	const struct backend	*backend;
	struct strv		 argv;		/* empty when none was found */
	int			 restart;	/* a restart, not a reload (a new
						 * socket, a group membership, a
						 * program that only re-reads its
						 * files when restarted) */
	char			*why;		/* no command found: why */
	char			*pidfile;	/* its PID file, or NULL: a
						 * restart waits for the PID
						 * in it to go */
	int			 start;		/* it does not run: argv starts
						 * it (backend_start_argv) */
};

/* A change offered, never made unless the settings ask for it. */
struct plan_offer {
	const struct backend	*backend;
	char			*what;		/* "smtp_address_preference = ipv4" */
	char			*setting;	/* the notspam.conf line that
						 * makes apply do it */
	char			*reason;
};

struct plan {
	const struct site	*site;
	struct plan_file	*files;
	size_t			 nfiles;
	struct plan_step	*steps;
	size_t			 nsteps;
	struct plan_check	*checks;
	size_t			 nchecks;
	struct plan_reload	*reloads;
	size_t			 nreloads;
	struct plan_offer	*offers;
	size_t			 noffers;
	struct strv		 none;		/* "no plan for X: why" */
	struct strv		 notes;		/* what a person must know */
	char			*only;		/* --only, or NULL */
	struct plan_probe	*probes;	/* the signing paths planned */
	size_t			 nprobes;
	size_t			 nfixes;	/* plan_fix_add calls that added
						 * their change: the steps and
						 * reloads are then changes of
						 * their own, run (and shown)
						 * even when no file changes */
};

/* A key the plan wires for a domain. */
struct plan_key {
	char	*selector;
	char	*path;		/* site path */
	char	*type;		/* "rsa", "ed25519", NULL: unknown */
	int	 configured;	/* the signer uses it now */
	int	 published;	/* the DNS or the state file says published */
};

struct plan_domain {
	char		*name;
	struct plan_key	*keys;		/* configured ones first */
	size_t		 nkeys;
	struct plan_key	*fresh;		/* the key to wire when none is
					 * configured (a state-file key not
					 * in use), or NULL */
};

/* How the signer takes mail from the MTA. */
enum plan_hook {
	PLAN_HOOK_NONE,
	PLAN_HOOK_MILTER,	/* a milter socket (OpenDKIM) */
	PLAN_HOOK_PROXY,	/* an SMTP proxy: listen and relay (dkimproxy) */
	PLAN_HOOK_FILTER,	/* a filter the MTA starts (filter-dkimsign) */
};

/*
 * A signing path to re-check once the programs re-read their files: for a
 * milter, the signer's listener (its host path for a unix socket), which
 * must answer a milter negotiation; for a proxy, the proxy's listener and
 * the MTA's re-injection listener, which must accept a connection.  A
 * filter the MTA starts itself (filter-dkimsign) has nothing to probe.
 */
struct plan_probe {
	const struct backend	*mta;
	const struct backend	*signer;
	enum plan_hook		 hook;
	char			*endpoint;	/* as configured, for messages */
	struct sockspec		 listener;	/* MILTER, PROXY: the
						 * signer's; FILTER: the MTA's,
						 * which runs the filter */
	struct sockspec		 relay;		/* PROXY: the MTA's re-injection
						 * listener (transport NONE:
						 * unknown) */
};

/* Settings of the outbound IPv6 fallback. */
enum plan_v6 {
	PLAN_V6_OFF,		/* offered only */
	PLAN_V6_IPV4,		/* prefer (Postfix) or bind (OpenSMTPD) IPv4 */
	PLAN_V6_BIND,		/* bind to the IPv6 address that has a PTR */
};

/*
 * The wanted state of one MTA + signer pair.  plan.c fills the first part
 * from the site and the settings; the signer's plan fills the hand-over
 * part; the MTA's plan reads it.
 */
struct plan_want {
	const struct backend	*mta;
	const struct backend	*signer;
	struct plan_domain	*domains;	/* the pair's domains, sorted */
	size_t			 ndomains;
	const char		*default_action; /* milter_default_action the
						 * settings ask for, or NULL */
	int			 unix_socket;	/* settings milter_socket: -1
						 * unset, 0 inet, 1 unix */
	const char		*helo;		/* the name the PTR records give
						 * every public address, or NULL */
	char			*helo_why;	/* "the PTR of 192.0.2.25" */
	enum plan_v6		 v6;		/* settings ipv6_fallback */
	int			 v6_offer;	/* an IPv6 address has no PTR */
	char			*v6_why;	/* which, for the reason */
	const char		*bind6;		/* an IPv6 address with a PTR,
						 * or NULL */
	const struct plan_ptrs	*ptrs;

	/* The hand-over, set by the signer's plan. */
	enum plan_hook		 hook;
	char			*milter;	/* MILTER: the MTA-side address
						 * ("inet:127.0.0.1:8891") */
	struct sockspec		 listener;	/* MILTER: where the signer
						 * listens (planned); FILTER:
						 * where the MTA running it
						 * takes outbound mail */
	char			*socket_group;	/* a unix socket: the group the
						 * MTA's user must be in */
	char			*proxy_listen;	/* PROXY: "127.0.0.1:10027" */
	char			*proxy_relay;	/* PROXY: "127.0.0.1:10028" */
	char			*filter_name;	/* FILTER: "dkimsign" */
	char			*filter_text;	/* FILTER: the statement after
						 * "filter NAME " */
};

/* What a backend's plan operation gets. */
struct plan_ctx {
	const struct backend_ctx *bctx;
	const struct site	*site;
	struct plan		*plan;
	struct plan_want	*want;
	/* 1: only say whether this signer can serve want->mta here (it is
	 * installed and speaks to it): return 0 if so, -1 if not, edit
	 * nothing. */
	int			 probe;
};

struct plan_opts {
	const char		*only;		/* a backend name, or NULL */
	const struct plan_ptrs	*ptrs;		/* NULL: PTR names unknown */
};

/*
 * The plan for the site: every pair planned, "no plan" reasons for the
 * others.  Returns NULL with *cause only on a bad --only name (a usage
 * error); a plan with nothing to do is a plan.
 */
struct plan *plan_make(const struct site *, const struct plan_opts *,
    char **cause);
/*
 * The plan of "keys switch": the edits that make e's signer sign e's
 * domain with e's key instead of the keys it replaces (keys.h,
 * keys_switch_make), in the signer's files only (for filter-dkimsign,
 * OpenSMTPD's filter line), with their checker and reload; nothing else
 * the site may need is planned.  A switch the signer cannot plan is a
 * "no plan" reason.  NULL with *cause when the signer has no switch plan
 * or e has no key file.
 */
struct keys_list;
struct keys_entry;
struct plan *plan_key_switch(const struct site *, const struct keys_list *,
    const struct keys_entry *e, char **cause);
/*
 * The changed file of the plan whose edits fix what a warning or finding
 * says of line `line` of site path `path`: an edit replaces that line, or
 * sets a setting that text (the warning, or NULL) or the line itself names
 * as a whole word (main.cf:59 "non_smtpd_milters = $smtpd_milters" is
 * fixed by the edit of smtpd_milters).  NULL when none does.
 */
const struct plan_file *plan_fixing(const struct plan *, const char *path,
    size_t line, const char *text);
/* Keep only the files whose site paths are in paths (and the unchanged
 * files of their programs, which their checkers read), and the steps,
 * checkers and reloads of those programs (offers go: they are not
 * fixes).  For "doctor --fix": the edits that fix one finding. */
void plan_keep_files(struct plan *, const struct strv *paths);
/*
 * What "doctor --fix" asks beyond the edits of plan_make, for a finding
 * no configuration line causes:
 *   PLAN_FIX_START   the signer does not run: start it (its reload entry
 *                    a restart with start set: backend_start_argv);
 *   PLAN_FIX_KEY     its key file others may read or replace: chown to
 *                    the signer's user and its group, chmod 0600
 *                    (plan_key_owner), then restart the signer;
 *   PLAN_FIX_SOCKET  its unix socket the MTA's user may not use: the
 *                    signer backend's socket_fix (OpenDKIM: UMask 007,
 *                    the MTA's user in the socket's group), the signer
 *                    and the MTA restarted.
 * listener (transport NONE: none) is where the signer listens: the
 * signing path probed after the restart (a milter negotiation when milter
 * is set, else a connect).  The strings are copied; plan_fix_free.
 */
enum plan_fix_kind {
	PLAN_FIX_START,
	PLAN_FIX_KEY,
	PLAN_FIX_SOCKET,
};

struct plan_fix {
	enum plan_fix_kind	 kind;
	char			*signer;	/* its backend's name */
	char			*mta;		/* the MTA handing it mail, or
						 * NULL: the site's first */
	char			*path;		/* KEY: the key file; SOCKET:
						 * the socket (site paths) */
	struct sockspec		 listener;
	int			 milter;
};

struct plan_fix *plan_fix_new(enum plan_fix_kind, const char *signer,
    const char *mta, const char *path, const struct sockspec *listener,
    int milter);
void plan_fix_free(struct plan_fix *);
/*
 * Add fx's edits (through the document model, as plan_make's), steps,
 * checker, restarts and probe to p, commands found (plan_reload's
 * backend_*_argv) and p->nfixes counted.  0, or -1 with *cause and
 * nothing added: no such signer, a fix it has none of, no command that
 * starts or restarts it (the settings' NAME.restart names one).
 */
int plan_fix_add(struct plan *, const struct plan_fix *fx, char **cause);
/* A step's or a reload's argv as one line, its words separated by
 * blanks (for messages; raw bytes: sanitize before showing).  Caller
 * frees. */
char *plan_words(const struct strv *argv);
/* The commands a commit of p runs of their own (steps, then reloads):
 * their count when p->nfixes is set, else 0 (apply's steps and reloads
 * only go with the files they serve). */
size_t plan_commands(const struct plan *);
/*
 * The steps that leave the key file at site path `path` owned by owner
 * ("user:group") with mode ("0600", "0400"), read by its signer only:
 * chown, then chmod, each with reason (printf format).
 */
void plan_key_owner(struct plan *, const struct backend *,
    const char *owner, const char *mode, const char *path,
    const char *fmt, ...) PRINTFLIKE(6, 7);

/* An empty plan for the site (plan_make's start; tests, other planners). */
struct plan *plan_new(const struct site *);
void plan_free(struct plan *);

/* The program name of a plan's backend ("postfix"), for the front end
 * (which does not include backend.h). */
const char *plan_backend_name(const struct backend *);

/* Files whose planned bytes differ from the bytes as read. */
size_t plan_changed_files(const struct plan *);
/* Edits in all. */
size_t plan_nedits(const struct plan *);
/* Are the planned bytes of f not the bytes as read? */
int plan_file_changed(const struct plan_file *f);

/* What a managed file the plan leaves alone is now: PLAN_FILE_SYNC (read
 * and parsed, or read), PLAN_FILE_UNREADABLE (*detail: why), or
 * PLAN_FILE_INVALID (no document of it was kept and one of the site's
 * warnings names it: *detail, that warning).  *detail is NULL or the
 * caller's to free. */
enum plan_file_state {
	PLAN_FILE_SYNC,
	PLAN_FILE_UNREADABLE,
	PLAN_FILE_INVALID,
};
enum plan_file_state plan_file_state(const struct site *, const char *path,
    char **detail);
/* The planned bytes of f; caller frees; *len their count. */
char *plan_file_text(const struct plan_file *f, size_t *len);
/* The unified diff of f ("--- /dev/null" for a new file); caller frees;
 * "" when unchanged. */
char *plan_file_diff(const struct plan_file *f);

/* PTR lookups of every public address of the site on dns; the answers
 * arrive from the loop: run it until ptrs->pending is 0.  plan_ptrs_free
 * after the resolver is freed or idle. */
void plan_ptrs_lookup(struct plan_ptrs *, struct dns *, const struct site *);
void plan_ptrs_free(struct plan_ptrs *);

/*
 * For the backends' plan operations.
 *
 * plan_file() opens the file at site path `path` for planning (the
 * document the site kept, else read under the root; a missing file is a
 * new, empty one with mode `mode`), once: a second call with the same path
 * returns the same file.  NULL with *cause when it exists but cannot be
 * read or parsed.
 */
struct plan_file *plan_file(struct plan_ctx *, const struct backend *,
    enum conf_grammar, const char *path, mode_t mode, char **cause);

/*
 * Edits that record themselves: each calls the conf.h function of the
 * same name on f->doc (an entry argument points into f->doc->entries and
 * is invalid afterwards) and, when the bytes changed, records one
 * plan_edit with reason (printf format).  On failure nothing changes and
 * the cause goes to the plan's notes, naming the file; -1 is returned.
 */
int plan_set(struct plan_file *, const char *key, const char *value,
    const char *fmt, ...) PRINTFLIKE(4, 5);
int plan_set_entry(struct plan_file *, const struct conf_entry *,
    const char *value, const char *fmt, ...) PRINTFLIKE(4, 5);
int plan_append(struct plan_file *, const char *key, const char *value,
    const char *fmt, ...) PRINTFLIKE(4, 5);
int plan_insert(struct plan_file *, const struct conf_entry *at, int before,
    const char *text, const char *fmt, ...) PRINTFLIKE(5, 6);
int plan_delete(struct plan_file *, const struct conf_entry *,
    const char *fmt, ...) PRINTFLIKE(3, 4);
int plan_comment_out(struct plan_file *, const struct conf_entry *,
    const char *fmt, ...) PRINTFLIKE(3, 4);
int plan_master_service(struct plan_file *, const char *text,
    const char *fmt, ...) PRINTFLIKE(3, 4);
int plan_master_option(struct plan_file *, const struct conf_entry *,
    const char *name, const char *value, const char *fmt, ...)
    PRINTFLIKE(5, 6);

/* A "no plan" reason, a note, a step (argv NULL-terminated), an offer. */
void plan_none(struct plan *, const char *fmt, ...) PRINTFLIKE(2, 3);
void plan_note(struct plan *, const char *fmt, ...) PRINTFLIKE(2, 3);
void plan_step(struct plan *, const struct backend *,
    const char *const *argv, const char *fmt, ...) PRINTFLIKE(4, 5);
void plan_offer(struct plan *, const struct backend *, const char *what,
    const char *setting, const char *fmt, ...) PRINTFLIKE(5, 6);
/* A checker of b (see struct plan_check); argv NULL-terminated. */
void plan_check(struct plan *, const struct backend *,
    const char *const *argv, size_t path_arg, int dir, int outside);
/* b must re-read its files; restart when a reload is not enough (the
 * strongest wish wins).  The command comes from backend_reload_argv. */
void plan_reload(struct plan_ctx *, const struct backend *, int restart);

/* A fact's value, or NULL when it is unset ("unset") or unknown; with
 * explicit set, also NULL when it is only the program's default. */
const char *plan_fact(const struct site *, const char *program,
    const char *name, int explicit);
/* Is user a member of group in the root's /etc/group (its primary group
 * in /etc/passwd counts)?  1 yes, 0 no, -1 unknown (no such file). */
int plan_user_in_group(const struct site *, const char *user,
    const char *group);

/* A signer's plan calls it once it has said what refuses a plan: -1
 * after plan_none when the pair has no domain, else 0. */
int plan_need_domains(struct plan_ctx *);

/* Does the pair's domain list hold name? */
const struct plan_domain *plan_want_domain(const struct plan_want *,
    const char *name);
/* The key to wire for d: its first configured key whose file exists,
 * else its fresh key, else NULL. */
const struct plan_key *plan_domain_key(const struct plan_domain *d);

#endif
