/* backend.h: one module per mail program, all behind one table.
 *
 * A backend knows everything about its program: where it keeps its files
 * (Debian/Ubuntu and OpenBSD layouts, or the paths of its settings
 * section), whether it is present under the root, how to read its
 * configuration into the site model, its pid file and process names, how
 * to reload and restart it, the command that validates its configuration,
 * and, for a signer, the user it runs as, where its keys go and the exact
 * change that makes it sign with another key.  Nothing outside backends/
 * compares a program's name or holds its paths, users or commands: callers
 * find a backend (backend_find, backend_signer) and ask it.
 *
 * Every instance is written with designated initializers; operations left
 * NULL mean "this program has none" and the backend_* wrappers below say
 * what that gives.
 */
#ifndef NOTSPAM_BACKEND_H
#define NOTSPAM_BACKEND_H

#include <stddef.h>

#include "core/site/site.h"

struct plan_ctx;

struct backend_ctx {
	const char		*root;		/* NULL for "/" */
	const struct settings	*settings;
};

enum backend_role {
	BACKEND_MTA,
	BACKEND_SIGNER,
};

/* A key that a switch replaces (same domain and type, configured now). */
struct backend_key_ref {
	const char		*selector;
	const char		*path;		/* NULL when unknown */
	const struct site_loc	*loc;		/* configuring line, or NULL */
	const char		*source;	/* its text, or NULL */
};

/* The key a signer should sign a domain with, and what it replaces. */
struct backend_key_switch {
	const char			*domain;
	const char			*selector;
	const char			*path;
	const struct backend_key_ref	*replaced;
	size_t				 nreplaced;
};

struct backend {
	const char		*name;	/* "postfix", "opendkim", ... */
	enum backend_role	 role;

	/* Legacy notspam.conf keys of this program's settings section
	 * (config path, default file, reload command), or NULL. */
	const char		*conf_key;
	const char		*default_key;
	const char		*reload_key;

	/*
	 * Is the program installed or configured under the root?  On 1, *prog
	 * is filled (strings allocated, freed by the caller via site_free once
	 * added): binary path or NULL, version or NULL, main config path.
	 * NULL: never detected on its own (found by another backend's load).
	 */
	int	(*detect)(const struct backend_ctx *, struct site_program *prog);
	/*
	 * Read the program's configuration into the site.  Returns -1 with
	 * *cause when the main config exists but cannot be read or parsed;
	 * lesser problems (a dangling table path, a missing key file) go to
	 * site_warn() naming file and line.  Documents read are handed to the
	 * site (site_keep_doc) so that locations stay valid.
	 */
	int	(*load)(const struct backend_ctx *, const struct site_program *,
		    struct site *, char **cause);

	/* Service facts. */
	const char		*unit;		/* systemd unit, without .service */
	const char		*initscript;	/* /etc/init.d/ script name */
	const char		*rcname;	/* OpenBSD rc.d name */
	const char *const	*procnames;	/* /proc/<pid>/comm values */
	int			 proc_scan;	/* may /proc be scanned for them
						 * (not for a generic "master") */
	int			 restart_only;	/* re-reads its config only when
						 * restarted (no reload) */
	/* Own reload command when no service manager is found, or NULL. */
	const char *const	*native_reload;
	/* The site path of the pid file, from the site's facts; caller
	 * frees; NULL when the program has none known. */
	char	*(*pidfile)(const struct site *);
	/* The argv (site paths) that checks the configuration of prog into
	 * argv; none added when the program has no check mode. */
	void	(*validate_argv)(const struct backend_ctx *,
		    const struct site_program *prog, struct strv *argv);

	/*
	 * Plan the edits of the wanted state (core/apply/plan.h): a signer's
	 * first (it fills the hand-over of ctx->want), then its MTA's.
	 * Returns 0, or -1 after plan_none() said why (nothing edited).
	 */
	int	(*plan)(struct plan_ctx *);

	/*
	 * MTA facts (role BACKEND_MTA): how its daemons dial a milter or a
	 * filter.  The user they run as (its default, and the fact naming
	 * it), and the address families they may dial (BACKEND_IPV4 |
	 * BACKEND_IPV6; *source, when the site sets them, gets the setting
	 * for messages, "inet_protocols = ipv4 (main.cf:12)", caller frees);
	 * NULL: both.
	 */
	const char		*client_user;
	const char		*client_user_fact;
	int	(*client_families)(const struct site *, char **source);

	/* Signer facts (role BACKEND_SIGNER). */
	const char		*user;		/* default user it runs as */
	const char		*user_fact;	/* fact naming the user, or NULL */
	const char		*key_dir;	/* where new keys go */
	const char		*key_suffix;	/* ".private", ".key" */
	/* The command-line options that override its configured socket
	 * ("-p": opendkim -p SOCKET) and name its config file ("-x"), or
	 * NULL. */
	const char		*socket_option;
	const char		*config_option;
	/* The configuration change that makes it sign with sw's key (files
	 * named, the lines to add and remove, then the reload); several
	 * lines, no final newline; caller frees. */
	char	*(*switch_text)(const struct site *, const struct backend *,
		    const struct backend_key_switch *sw);
	/* The same change as plan edits (core/apply/plan.h): the signer's
	 * files only, their checker; 0, or -1 after plan_none() said why. */
	int	(*switch_plan)(struct plan_ctx *,
		    const struct backend_key_switch *sw);
	/* The edits and steps that let the MTA mta's user connect to the
	 * signer's unix socket at site path `path` (doctor --fix
	 * milter-permission: the umask the socket is made under, the user
	 * in the socket's group, the directory searchable), with the
	 * restarts that make them count; 0, or -1 after plan_none() said
	 * why.  NULL: the signer has no unix socket notspam can fix. */
	int	(*socket_fix)(struct plan_ctx *, const struct backend *mta,
		    const char *path);
};

extern const struct backend backend_postfix;
extern const struct backend backend_opensmtpd;
extern const struct backend backend_opendkim;
extern const struct backend backend_dkimproxy;
extern const struct backend backend_dkimsign;

/* NULL-terminated, MTAs first, then signers (the default signer first). */
extern const struct backend *const backends[];

const struct backend *backend_find(const char *name);

/* "mta" or "signer". */
const char *backend_role_name(enum backend_role);

/* The signer backend of that name, or NULL (MTAs are not signers). */
const struct backend *backend_signer(const char *name);
/* The signer new keys are for when nothing else says (OpenDKIM). */
const struct backend *backend_default_signer(void);
/* The signer names for a message: "opendkim, dkimproxy or
 * filter-dkimsign".  Caller frees. */
char *backend_signer_names(void);

/*
 * The argv that makes the program re-read its configuration (reload, or
 * restart for a restart_only program), into argv:
 *   1. the reload command of its settings section (the *_reload keys);
 *   2. systemctl reload UNIT when /run/systemd/system exists under root;
 *   3. rcctl reload NAME on OpenBSD (/usr/sbin/rcctl under root);
 *   4. /etc/init.d/NAME reload when that script exists under root;
 *   5. the program's own command (postfix reload).
 * Returns 0, or -1 with *cause when none applies.
 */
int backend_reload_argv(const struct backend *, const struct backend_ctx *,
    struct strv *argv, char **cause);
/* The same for a restart (settings restart command first). */
int backend_restart_argv(const struct backend *, const struct backend_ctx *,
    struct strv *argv, char **cause);
/* The argv that starts the program when it does not run: the restart
 * command of its settings section (a restart of a stopped program starts
 * it), else the service manager's start (systemctl start UNIT, rcctl
 * start NAME, /etc/init.d/NAME start).  0, or -1 with *cause. */
int backend_start_argv(const struct backend *, const struct backend_ctx *,
    struct strv *argv, char **cause);
/* The argv that adds user to group's members, into argv: usermod -a -G
 * GROUP USER, or on OpenBSD (rcctl under the root) usermod -G GROUP USER,
 * which adds there. */
void backend_group_add_argv(const struct backend_ctx *, const char *user,
    const char *group, struct strv *argv);
/* The command that validates prog's configuration; 0 words when the
 * program has no check mode (dkimproxy). */
void backend_validate_argv(const struct backend *, const struct backend_ctx *,
    const struct site_program *prog, struct strv *argv);

/* Address families, for client_families. */
#define BACKEND_IPV4	1
#define BACKEND_IPV6	2

/* The user an MTA's daemons dial milters and filters as: its fact if the
 * config names one, else the default; NULL for a signer, no backend or
 * none known.  Caller frees. */
char *backend_client_user(const struct backend *, const struct site *);
/* The families they may dial (BACKEND_IPV4 | BACKEND_IPV6); *source (if
 * not NULL) the setting that says so (caller frees), or NULL when no
 * setting restricts them. */
int backend_client_families(const struct backend *, const struct site *,
    char **source);

/* The pid file of the program (site path), or NULL; caller frees. */
char *backend_pidfile(const struct backend *, const struct site *);
/* The user the signer runs as: its fact if the config names one, else
 * the default; NULL for an MTA or no backend.  Caller frees. */
char *backend_user(const struct backend *, const struct site *);
/* Where a new key for domain/selector goes ("/etc/dkimkeys/d_s.private");
 * the default signer's layout when b is NULL or not a signer.  Caller
 * frees. */
char *backend_key_path(const struct backend *b, const char *domain,
    const char *selector);
/* The switch text (see switch_text); NULL when the signer has none. */
char *backend_switch_text(const struct backend *, const struct site *,
    const struct backend_key_switch *);
/* The reload (or restart) command as one line for a person to type, e.g.
 * "systemctl reload opendkim" (service managers by name; the systemd form
 * when none is found under the root); caller frees. */
char *backend_reload_text(const struct backend *, const struct site *);

#endif
