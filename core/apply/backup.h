/* backup.h: the backups the transactions left, and putting one back.
 *
 * A backup is a transaction's directory BASE/STAMP (core/apply/manifest.h).
 * backup_list reads them all and compares each file with what it is now;
 * backup_pending finds the interrupted ones (journal "in-progress": a
 * commit stopped by SIGKILL, a crash or a power cut after its first
 * rename); backup_notice is the one line every command prints about them.
 *
 * backup_restore puts a backup's files back: exact bytes (checked against
 * the manifest's SHA-256), owner and mode; a file the transaction created
 * is removed, and the directories it made (TXN_MKDIR) when they are empty
 * then; a key file (never copied) is left as it is.  It refuses,
 * naming the files, when one changed since the transaction (neither its
 * bytes before nor after), unless forced.  It is itself a transaction
 * (core/apply/txn.h) with a backup of its own (kind "restore"), so a
 * restore can be undone the same way; on success the restored backup's
 * journal says "restored by STAMP".  Then the programs the manifest names
 * are reloaded (their backend's reload, or restart, rule), never under a
 * root; a reload that fails puts the files back as they were before the
 * restore and reloads again.
 */
#ifndef NOTSPAM_BACKUP_H
#define NOTSPAM_BACKUP_H

#include <stddef.h>
#include <sys/types.h>

#include "core/apply/manifest.h"
#include "core/apply/txn.h"

/* A reload's time limit when backup_opts.reload_timeout_ms is 0. */
#define BACKUP_RELOAD_MS	60000

struct settings;

struct backup_opts {
	const char		*root;		/* NULL: "/" */
	const char		*base;		/* NULL: MANIFEST_BASE */
	const struct settings	*settings;	/* reload commands; NULL */
	int			 reload_timeout_ms;	/* each reload */
	int			 lock_wait_ms;	/* 0: TXN_LOCK_MS */
	int			 force;		/* restore changed files too */
};

/*
 * Every backup under the base, oldest first, each file's `now` set
 * (manifest_now).  A backup whose manifest cannot be read is skipped with
 * a line in warnings (NULL: dropped).  *out is an array of n manifests
 * (backup_list_free).  0, or -1 with *cause (an unreadable base).
 */
int backup_list(const char *root, const char *base, struct manifest ***out,
    size_t *n, struct strv *warnings, char **cause);
/* The same, only the interrupted ones. */
int backup_pending(const char *root, const char *base, struct manifest ***out,
    size_t *n, char **cause);
void backup_list_free(struct manifest **, size_t);

/*
 * The one-line notice about interrupted transactions, or NULL when none
 * (or the base cannot be read: a user who may not read it is told
 * nothing).  rootword is what to say before a command for this root
 * ("--root /x " or ""); caller frees.
 */
char *backup_notice(const char *root, const char *base, const char *rootword);

/* The newest backup a bare "restore" puts back: the last one not itself a
 * restore's, done or interrupted, not restored already.  Caller frees;
 * NULL when there is none. */
char *backup_newest(const char *root, const char *base);

/* What a restore did to one file. */
enum backup_action {
	BACKUP_RESTORED,	/* its old bytes, owner and mode put back */
	BACKUP_REMOVED,		/* the transaction created it */
	BACKUP_UNCHANGED,	/* it already was as before */
	BACKUP_SECRET,		/* a key file: never in a backup, left */
};

struct backup_file {
	char			*path;
	enum backup_action	 action;
	int			 forced;	/* it had changed since */
	mode_t			 mode;		/* what it has now */
	uid_t			 uid;
	gid_t			 gid;
	size_t			 len;
};

/* Why a restore failed. */
enum backup_failure {
	BACKUP_OK,
	BACKUP_NOT_FOUND,	/* no such backup, or none at all */
	BACKUP_REFUSED,		/* files changed since (force), or a backup
				   that wrote nothing (rolled back) */
	BACKUP_DAMAGED,		/* a copy is missing or not its bytes */
	BACKUP_TXN,		/* the transaction failed: report.failure */
};

struct backup_result {
	char			*stamp;		/* the backup put back */
	struct backup_file	*files;
	size_t			 nfiles;
	struct strv		 reloaded;	/* the commands run */
	int			 no_reload;	/* under a root: none run */
	enum backup_failure	 failure;
	struct txn_report	 report;	/* the restore's own backup */
};

/*
 * Put back the backup `stamp` (NULL: backup_newest).  0 (also when every
 * file already was as before: nothing written, the journal marked), or -1
 * with *cause and res->failure.  res is filled either way
 * (backup_result_free).
 */
int backup_restore(const struct backup_opts *, const char *stamp,
    struct backup_result *res, char **cause);
void backup_result_free(struct backup_result *);

/*
 * Reload (or restart) each program named in services (backend names) by
 * its backend's rule, each within opts->reload_timeout_ms; the commands
 * run are added to ran.  Never under a root (returns 0 at once).  0, or -1
 * with *cause naming the command, its status and its output.
 */
int backup_reload(const struct backup_opts *, const struct strv *services,
    struct strv *ran, char **cause);

#endif
