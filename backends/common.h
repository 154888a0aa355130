/* common.h: helpers shared by the backends (not part of the contract).
 *
 * Package versions, first-existing-path lookups, checked domain names and
 * sanitized facts: everything the four backends do alike.  Nothing here
 * knows a program by name; the callers pass paths and package names.
 */
#ifndef NOTSPAM_BACKENDS_COMMON_H
#define NOTSPAM_BACKENDS_COMMON_H

#include <stddef.h>

#include "core/conf/conf.h"
#include "backends/backend.h"

/* Is the root the running system ("/", "" or NULL)? */
int	 bk_root_is_system(const char *root);

/* The first of the NULL-terminated site paths that exists under root, as
 * a copy, or NULL. */
char	*bk_first_existing(const char *root, const char *const paths[]);

/* A daemon's own config check as argv: its binary (the detected one, else
 * the first of binaries found, else binaries[0]), "-n", flag, the config
 * ("opendkim -n -x FILE", "smtpd -n -f FILE"). */
void	 bk_check_argv(const struct backend_ctx *,
	    const struct site_program *, const char *const binaries[],
	    const char *flag, struct strv *argv);

/* The config path: override (from the settings) if set, else the first
 * existing default, else NULL.  Caller frees. */
char	*bk_config_path(const char *root, const char *override,
	    const char *const defaults[]);

/*
 * The installed version of a package: the dpkg status file's "Version:" of
 * the installed stanza for deb, else the /var/db/pkg/<obsd>-<version>
 * directory for obsd (either may be NULL).  NULL when unknown.
 */
char	*bk_package_version(const char *root, const char *deb,
	    const char *obsd);

/*
 * Run argv (argv[0] a site path) on the running system only (root "/"),
 * two seconds at most; the output on success, else NULL.
 */
char	*bk_run_output(const char *root, const char *const argv[]);

/* Fill prog with copies for backend b (the helper takes ownership of
 * nothing). */
void	 bk_fill_program(struct site_program *prog, const struct backend *b,
	    const char *binary, const char *version, const char *config);

/* The config path of b's settings section, or NULL. */
const char *bk_setting_config(const struct backend_ctx *,
	    const struct backend *);

/* Where items of a list were read: their text for messages and their
 * locations, in parallel (n each). */
struct bk_wheres {
	struct strv	 text;
	struct site_loc	*loc;
	size_t		 n;
};
void	 bk_wheres_init(struct bk_wheres *);
void	 bk_wheres_add(struct bk_wheres *, const char *text,
	    const struct site_loc *loc);
void	 bk_wheres_free(struct bk_wheres *);

/* The "path:line" text and location of an entry of a kept document;
 * caller frees the text. */
char	*bk_where(const struct conf_doc *, const struct conf_entry *,
	    struct site_loc *loc);

/* A sanitized copy of s for messages and facts (never NULL), with the
 * password of any "scheme://user:password@host" in it (OpenDKIM's dsn:,
 * an LDAP or SQL URL) masked as "***". */
char	*bk_san(const char *s);

/* Longest quote of a rejected value in a message, in bytes. */
#define BK_QUOTE_MAX	60

/*
 * A rejected value for a message: bk_san()'s escaping and masking, cut
 * after at most BK_QUOTE_MAX bytes (never inside an escape or a UTF-8
 * sequence) with "…" after a cut, so a file that is not what the config
 * says (a symlink to a password file) never shows more than a prefix of a
 * line.  Caller frees.
 */
char	*bk_quote(const char *s);

/* s with URL passwords masked (see bk_san), not escaped; caller frees. */
char	*bk_mask_secrets(const char *s);

/*
 * A path from a config as its daemon opens it: an absolute path as it is;
 * a relative one taken from the daemon's working directory cwd (an
 * absolute site path; every daemon here is started in "/" by systemd, the
 * init scripts and rc.d), never from notspam's.  Caller frees.
 */
char	*bk_daemon_path(const char *cwd, const char *path);

/*
 * Included files.  A document with include statements is read as the
 * program reads it: each included file's entries in place of the
 * statement, recursively.  The included files are kept by the site
 * (bk_conf_load) so locations point into them.
 */
#define BK_INCLUDE_DEPTH	10

/* An entry and the document it is in. */
struct bk_ent {
	const struct conf_doc	*doc;
	const struct conf_entry	*e;
};
struct bk_ents {
	struct bk_ent	*v;
	size_t		 n;
};

/* How a grammar writes an include: the path (borrowed from e) when e is
 * an include statement, else NULL. */
typedef const char *(*bk_include_fn)(const struct conf_entry *e);

struct bk_include {
	enum conf_grammar	 grammar;
	bk_include_fn		 path_of;
	const char		*cwd;	/* the daemon's, for relative paths */
	const char		*keyword; /* as messages name it: "Include" */
	const char		*effect; /* "OpenDKIM does not start" */
};

/*
 * The entries of doc with its includes expanded, in the program's order,
 * into out (bk_ents_free).  An include that cannot be read, one that
 * leads back to a file being read (a loop, symlinks resolved), or one
 * nested deeper than BK_INCLUDE_DEPTH is warned about at the including
 * line and skipped; the include statements themselves are not in out.
 */
void	 bk_conf_flatten(struct site *site, const char *root,
	    const struct conf_doc *doc, const struct bk_include *inc,
	    struct bk_ents *out);
void	 bk_ents_free(struct bk_ents *);
/* The last entry with key (case-insensitive: the OpenDKIM rule), or
 * NULL. */
const struct bk_ent *bk_ents_last(const struct bk_ents *, const char *key);

/*
 * A domain read from a config: trailing dot removed, lower case, checked
 * with site_valid_domain().  On a bad name, warn naming where and what
 * (e.g. "domain") and return NULL.  Caller frees.
 */
char	*bk_domain(struct site *site, const char *raw, const char *where,
	    const char *what);

/*
 * The domains of one list file (a map source, a table file): like
 * bk_domain(), but only the first BK_REJECTS_QUOTED bad lines are warned
 * about one by one; the others are only counted in rj (zeroed by the
 * caller), and bk_rejects_report() then says how many, without quoting
 * them: a file that is not a domain list (a symlink to a password file)
 * shows no more than a few bounded prefixes.
 */
#define BK_REJECTS_QUOTED	5
struct bk_rejects {
	size_t	n;
};
char	*bk_list_domain(struct site *site, struct bk_rejects *rj,
	    const char *raw, const char *where, const char *what);
void	 bk_rejects_report(struct site *site, const struct bk_rejects *rj,
	    const char *file, const char *what);

/* site_add_fact with name and value sanitized (value NULL: "unset"). */
void	 bk_fact(struct site *site, const char *program, const char *name,
	    const char *value, const char *source, const struct site_loc *loc);

/* Not an endpoint: the link's address is a name (a filter). */
#define BK_NO_ENDPOINT	(-1)

/*
 * site_add_link with the address sanitized; endpoint (the address when
 * NULL) is parsed in syntax (an enum sockspec_syntax, or BK_NO_ENDPOINT).
 */
void	 bk_link(struct site *site, const char *from, const char *to,
	    const char *kind, const char *address, int syntax,
	    const char *endpoint, const char *source,
	    const struct site_loc *loc);

/* A signer notspam does not read (rspamd) takes the mail at where, through
 * what ("the milter inet:rspamd:9900"): warned once per site, and the site
 * flag set that holds DMARC advice back (site_set_unread_signer). */
void	 bk_unread_signer(struct site *site, const char *name,
	    const char *what, const char *where);

/* Is a Postfix milter address rspamd's (its proxy worker 11332, mailcow's
 * 9900, or a host named rspamd)? */
int	 bk_is_rspamd_milter(const char *address);

/* Add a key after checking its selector and that the key file exists
 * under root (warnings name where).  Returns 1 if added. */
int	 bk_key(struct site *site, const char *root, const char *domain,
	    const char *selector, const char *keyfile, const char *signer,
	    const char *where, const struct site_loc *loc);
/* The same, a missing key file reported at kwhere (the line that names the
 * file, e.g. OpenDKIM's KeyFile) instead of where (NULL: where). */
int	 bk_key_at(struct site *site, const char *root, const char *domain,
	    const char *selector, const char *keyfile, const char *signer,
	    const char *where, const struct site_loc *loc, const char *kwhere);

/* Does s hold a byte below 0x20 or DEL? */
int	 bk_has_control(const char *s);

/*
 * conf_load(), refusing a path that would not print as itself in messages
 * (control bytes, invalid UTF-8, backslashes): paths found inside config
 * files end up in every "file:line" the site model holds.  The document
 * is kept by the site (site_keep_doc: never conf_free it); a file already
 * read with the same grammar is not read again.
 */
const struct conf_doc *bk_conf_load(struct site *site, const char *root,
	    enum conf_grammar grammar, const char *path, char **cause);

/*
 * Read a list of entries (one a line, '#' comments) from site path `path`
 * under root with grammar g (CONF_TABLE: the first field of each line), into
 * out and, if wheres is not NULL, their "path:line" and locations into
 * wheres.  Returns -1 with *cause if the file cannot be read or parsed.
 */
int	 bk_read_list(struct site *site, const char *root,
	    enum conf_grammar grammar, const char *path,
	    struct strv *out, struct bk_wheres *wheres, char **cause);

/* The plan operations (core/apply/plan.h), each in its <name>_plan.c. */
int	 postfix_plan(struct plan_ctx *);
int	 opendkim_plan(struct plan_ctx *);
int	 opensmtpd_plan(struct plan_ctx *);
int	 dkimproxy_plan(struct plan_ctx *);
int	 dkimsign_plan(struct plan_ctx *);
/* The switch plans (backend.h switch_plan): opendkim's in
 * opendkim_plan.c, the others in keyswitch_plan.c. */
int	 opendkim_switch_plan(struct plan_ctx *,
	    const struct backend_key_switch *);
int	 dkimproxy_switch_plan(struct plan_ctx *,
	    const struct backend_key_switch *);
int	 dkimsign_switch_plan(struct plan_ctx *,
	    const struct backend_key_switch *);
/* OpenDKIM's socket_fix (backend.h), in opendkim_plan.c. */
int	 opendkim_socket_fix(struct plan_ctx *, const struct backend *,
	    const char *);
/*
 * dkimproxy as installed under the root (dkimproxy.c), configured or not
 * (pkg_add dkimproxy before dkimproxy_out.conf is written): its program,
 * the configuration its start-up reads (the settings' dkimproxy.conf, the
 * OpenBSD rc.d script's --conf_file=, else the layout's default), the user
 * and group that script starts it as (--user=, --group=; NULL when none
 * says), and on OpenBSD whether rcctl enabled it (rc.conf.local's
 * pkg_scripts names dkimproxy_out; -1: not OpenBSD, or not installed),
 * and the package's example configuration when it is there (the file
 * pkg_add copies to /etc/dkimproxy_out.conf as a sample).  0 when
 * dkimproxy.out is not installed (only enabled set); the strings are freed
 * by dkimproxy_install_free.
 */
struct dkimproxy_install {
	char	*binary;
	char	*config;
	char	*user;
	char	*group;
	int	 enabled;
	char	*example;
};
int	 dkimproxy_installed(const struct backend_ctx *,
	    struct dkimproxy_install *inst);
void	 dkimproxy_install_free(struct dkimproxy_install *);
/* The smtpd.conf filter statement whose proc-exec command runs
 * filter-dkimsign (argv[3] the command), or NULL (dkimsign_plan.c). */
struct conf_doc;
struct conf_entry;
const struct conf_entry *dkimsign_filter_find(const struct conf_doc *);

/* Is host (a name or address, brackets allowed) a loopback one? */
int	 bk_is_loopback(const char *host);

#endif
