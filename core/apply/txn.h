/* txn.h: one transaction over the files of a change: staged, checked by
 * the daemons' own checkers, backed up, written atomically, reloaded, and
 * put back whole when any step fails.
 *
 * The plan side says what to change: for each file, the bytes the plan was
 * computed from and the bytes it wants (txn_add), the checkers to run on
 * the edited copies (txn_add_check), the programs a restore must reload
 * (txn_add_service).  Then:
 *
 *   txn_check   the edited copies are staged in a private directory (0700,
 *               under opts->stage_dir or $TMPDIR or /tmp) that mirrors their
 *               site paths (STAGE/etc/postfix/main.cf), and every checker
 *               runs on them, one after the other, without a shell
 *               (core/lib/proc.h), each with a time limit and its output
 *               kept (bounded).  Nothing of the site is touched.  The
 *               stage is locked (flock) while it is in use: one that a
 *               killed transaction left there, unlocked and older than a
 *               minute, is removed by the next one.
 *   txn_commit  (1) the checks run, when txn_check has not passed; (2)
 *               under the lock of the backup base (where the backup
 *               directories a killed commit left without a journal are
 *               removed: it had replaced nothing), every file is read
 *               again and the commit refused, naming the file, when its
 *               bytes are no longer those the plan read; (3) each target's
 *               directory must be writable, its file system not read-only
 *               and with room for the new files, their backups and a
 *               rollback, else a clear refusal and nothing changed (the
 *               temporary files a killed commit left beside them are
 *               removed); (4) the backup directory BASE/STAMP (0700,
 *               core/apply/manifest.h) gets each old file (never a
 *               TXN_SECRET one), the manifest and the journal
 *               "in-progress", all fsync()ed before the first rename,
 *               and beside each file a rollback copy of it (old bytes,
 *               owner and mode: ".NAME.notspam-PID-undo.tmp"), and the
 *               final journals, so that putting a file back and ending
 *               the journal are renames, which need no room (a file system
 *               that fills up during the commit cannot stop the rollback);
 *               when these cannot all be made, the backup is removed and
 *               nothing was changed; (5) every file is written
 *               with fswrite (atomic, owner and mode kept, a symlink at
 *               the target kept and the file it points to replaced); (6)
 *               hooks->after_write runs (the caller's reload and re-check
 *               of the signing path); (7) the journal says "done" and the
 *               rollback copies are removed.  When a write or the hook
 *               fails, every file of the transaction is put back (its
 *               rollback copy renamed back; a file the transaction created
 *               is removed), hooks->after_restore runs (reload again), the
 *               journal says "rolled-back" (when even that cannot be
 *               written, the journal is removed: a backup that replaced
 *               nothing) and the commit fails saying why.  SIGINT,
 *               SIGTERM, SIGHUP, SIGQUIT and SIGTSTP are held from the
 *               first rename to the end, so only SIGKILL or a crash can
 *               interrupt it: then every file is its old or its new bytes
 *               (fswrite renames whole files), the backup is complete, and
 *               the journal still says "in-progress" (core/apply/backup.h
 *               backup_pending finds it).
 *
 * Under a root (--root) every path, the backup base included, is under it;
 * the caller then runs no reload and leaves out the checkers that would
 * read or create files outside it.  Timeouts are options, in milliseconds.
 * Nothing here prints: messages come back in *cause and in the report.
 */
#ifndef NOTSPAM_TXN_H
#define NOTSPAM_TXN_H

#include <stddef.h>
#include <sys/types.h>

/* txn_add flags */
#define TXN_SECRET	0x1	/* a key file: never copied into a backup nor
				   staged; its hashes are still recorded */
#define TXN_MKDIR	0x2	/* make the missing directories on the way
				   (0755, this user's), recorded in the
				   manifest; removed again (when empty) by a
				   rollback and by a restore */

/* txn_add_check flags */
#define TXN_CHECK_STDERR 0x1	/* anything on stderr fails the check
				   (postconf -n prints its warnings there) */

/* The word in a checker's argv replaced by the stage directory's host
 * path: "@STAGE@/etc/postfix". */
#define TXN_STAGE	"@STAGE@"

/* Defaults of the options left 0. */
#define TXN_CHECK_MS	60000		/* each checker's time limit */
#define TXN_LOCK_MS	10000		/* wait for another transaction */
#define TXN_MAX_OUT	(64u * 1024)	/* output kept per checker stream */

struct buf;
struct loop;
struct txn;

struct txn_opts {
	const char	*backup_base;	/* site path; NULL: MANIFEST_BASE
					   (/var/backups/notspam) */
	const char	*stage_dir;	/* host directory the stage is made
					   in; NULL: $TMPDIR, else /tmp */
	const char	*kind;		/* the manifest's kind; NULL: "apply" */
	int		 check_timeout_ms;	/* 0: TXN_CHECK_MS */
	int		 lock_wait_ms;		/* 0: TXN_LOCK_MS */
	size_t		 max_out;		/* 0: TXN_MAX_OUT */
};

/* What one checker did. */
struct txn_check_result {
	char	*name;		/* its command line, for messages */
	int	 failed;	/* it refused the files (or could not run) */
	int	 ran;		/* 0: it could not be started (why in err) */
	int	 status;	/* exit status, 128 + signal */
	int	 timed_out;	/* stopped at the time limit */
	char	*out;		/* stdout, NUL-terminated, raw bytes: */
	char	*err;		/*  sanitize before showing.  The stage
				    directory's path is cut out, so the files
				    are named by their site paths */
};

/* Why txn_commit failed. */
enum txn_failure {
	TXN_OK,
	TXN_FAIL_LOCK,		/* another transaction holds the lock */
	TXN_FAIL_CHANGED,	/* a file changed since the plan read it */
	TXN_FAIL_CHECK,		/* a checker refused the edited files */
	TXN_FAIL_PREPARE,	/* not writable, read-only, full, backup
				   failed: nothing was changed */
	TXN_FAIL_WRITE,		/* a write failed: put back */
	TXN_FAIL_HOOK,		/* after_write failed: put back */
};

/* What a check or a commit did; the caller owns it (txn_report_free). */
struct txn_report {
	struct txn_check_result	*checks;
	size_t			 nchecks;
	enum txn_failure	 failure;
	char			*stamp;		/* the backup made, or NULL */
	char			*backup_dir;	/* its site path, or NULL */
	size_t			 nchanged;	/* files the commit changes */
	size_t			 nwritten;	/* written before any rollback */
	int			 rolled_back;	/* every file was put back */
	char			*rollback_error; /* files that could not be put
						    back, or NULL: then the
						    journal stays in-progress */
	char			*restore_error;	/* after_restore's *cause */
};

struct txn_hooks {
	/*
	 * After every file is written: reload, then re-check the signing
	 * path.  0, or -1 with *cause (the programs' own output) to have
	 * every file put back.  NULL: nothing to do.
	 */
	int	(*after_write)(struct txn *, void *arg, char **cause);
	/* After a rollback put every file back: reload again.  A failure
	 * lands in report->restore_error.  NULL: nothing to do. */
	int	(*after_restore)(struct txn *, void *arg, char **cause);
	void	*arg;
};

/* A new, empty transaction on files under root (NULL: "/"); opts may be
 * NULL (all defaults; strings are copied). */
struct txn *txn_new(const char *root, const struct txn_opts *opts);
/* Free it, and remove its stage directory. */
void txn_free(struct txn *);

/*
 * One file of the transaction, by its absolute site path.  old/oldlen and
 * old_exists: the bytes the plan was computed from (old_exists 0: the file
 * did not exist).  new/newlen: what it becomes; new NULL removes the file
 * (a restore's created file).  new_mode is the mode of a file that does not
 * exist yet (0: 0644); an existing file keeps its owner and mode.  New
 * bytes equal to old ones make the file context only: staged for the
 * checkers, never written nor backed up.  flags: TXN_SECRET.  The bytes
 * are copied.  0, or -1 with *cause: a relative path, the same file added
 * twice (after following symlinks), a path whose links cannot be followed.
 */
int txn_add(struct txn *, const char *path, const void *old, size_t oldlen,
    int old_exists, const void *new, size_t newlen, mode_t new_mode,
    int flags, char **cause);
/* The same, the file ending with exactly this mode and owner whether it
 * exists or not (a restore). */
int txn_add_exact(struct txn *, const char *path, const void *old,
    size_t oldlen, int old_exists, const void *new, size_t newlen,
    mode_t mode, uid_t uid, gid_t gid, int flags, char **cause);
/* A file read now and staged as it is, for the checkers only (master.cf
 * beside an edited main.cf).  0, or -1 with *cause (unreadable). */
int txn_add_context(struct txn *, const char *path, char **cause);

/*
 * A checker: argv (copied; argv[0] absolute, or a name looked up in PATH)
 * with TXN_STAGE in any word replaced by the stage directory.  It passes
 * when it exits 0 within the time limit (and, with TXN_CHECK_STDERR, says
 * nothing on stderr).
 */
void txn_add_check(struct txn *, const char *const argv[], int flags);
/*
 * A checker run in this process (a grammar with no daemon checker:
 * dkimproxy): fn gets the stage directory's host path and appends what it
 * has to say to out; it returns 0 to pass, -1 to refuse.  name labels it.
 */
typedef int (*txn_check_fn)(const char *stage, struct buf *out, void *arg);
void txn_add_check_fn(struct txn *, const char *name, txn_check_fn fn,
    void *arg);
/* A program (a backend name) that a restore of this transaction's backup
 * must reload; recorded in the manifest. */
void txn_add_service(struct txn *, const char *name);
/* A change that is a command, not a file (doctor --fix starting a
 * signer, a key's chmod), run by hooks->after_write; what (copied) names
 * it.  A commit with such actions and no file to change runs the hook
 * under the lock (no backup is made: nothing is replaced); when it fails
 * the commit fails with TXN_FAIL_HOOK and nothing is put back nor
 * reloaded.  With files to change, the commit is as always. */
void txn_add_action(struct txn *, const char *what);
/* A restore's: the stamp of the backup it puts back (the manifest's
 * "restores" line). */
void txn_set_restores(struct txn *, const char *stamp);

/* The host path of site path `path` in the stage, once staged (txn_check
 * or a commit started it), else NULL; caller frees. */
char *txn_stage_path(const struct txn *, const char *path);

/*
 * Stage the files and run every checker, blocking (a private loop).
 * Results are appended to report->checks.  Returns 0 when all passed; 1
 * when one refused (report->failure TXN_FAIL_CHECK; *cause names the
 * failed ones); -1 with *cause when the stage could not be made.
 */
int txn_check(struct txn *, struct txn_report *, char **cause);

/*
 * The same on the caller's loop (the console never freezes): returns 0
 * when started (cb then runs once, from the loop, with the same result
 * txn_check returns and *cause to free), or -1 with *cause.  The report
 * must outlive the run; the transaction must not be freed before cb.
 */
typedef void (*txn_check_cb)(struct txn *, int result, char *cause,
    void *arg);
int txn_check_start(struct txn *, struct loop *, struct txn_report *,
    txn_check_cb cb, void *arg, char **cause);

/*
 * Commit (see above).  hooks may be NULL.  0, or -1 with *cause and
 * report->failure; the report says what was done.  Once only.
 *
 * An interrupted transaction whose every file now has the bytes it wanted
 * is finished by the next commit: its journal then says "done" ("finished
 * by STAMP").  Call txn_commit even when nothing changes (every file
 * context only, or none): no backup is made, and only when such an
 * interrupted transaction exists is hooks->after_write run (the reload it
 * may have missed) before it is marked done.
 */
int txn_commit(struct txn *, const struct txn_hooks *, struct txn_report *,
    char **cause);

/* For the hooks. */
const char *txn_root(const struct txn *);	/* NULL: "/" */
const char *txn_stamp(const struct txn *);	/* once the backup exists */
const char *txn_backup_base(const struct txn *);

/*
 * Remove what a commit killed half-way left beside site path `path` (its
 * links followed): fswrite's temporary files ".NAME.notspam-PID-N.tmp" of
 * processes that no longer run.  A commit does it for its own files; a
 * restore for every file of the backup.
 */
void txn_sweep(const char *root, const char *path);

void txn_report_init(struct txn_report *);
void txn_report_free(struct txn_report *);

#endif
