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

/* A sanitized copy of s for messages and facts (never NULL). */
char	*bk_san(const char *s);

/*
 * A domain read from a config: trailing dot removed, lower case, checked
 * with site_valid_domain().  On a bad name, warn naming where and what
 * (e.g. "domain") and return NULL.  Caller frees.
 */
char	*bk_domain(struct site *site, const char *raw, const char *where,
	    const char *what);

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

/* Add a key after checking its selector and that the key file exists
 * under root (warnings name where).  Returns 1 if added. */
int	 bk_key(struct site *site, const char *root, const char *domain,
	    const char *selector, const char *keyfile, const char *signer,
	    const char *where, const struct site_loc *loc);

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

/* Is host (a name or address, brackets allowed) a loopback one? */
int	 bk_is_loopback(const char *host);

#endif
