/* manifest.h: the backup directory of a transaction, as it is on disk.
 *
 * Every transaction (core/apply/txn.h) that replaces files leaves one
 * directory BASE/STAMP, mode 0700, under the backup base BASE (a site path
 * under the root, /var/backups/notspam by default, made 0700 when missing):
 *
 *   manifest          what the transaction changes (below); written and
 *                     fsync()ed before the first file is replaced
 *   journal           one line: the state, then an optional note
 *   files/SITE/PATH   each replaced file's old bytes, mode 0600 (a key
 *                     file, TXN_SECRET, never)
 *
 * STAMP is the UTC time the directory was made, "20261201T133000Z", with
 * "-2", "-3", ... when that second's name is taken.  Nothing else is ever
 * accepted as a stamp (no '/', no "..").
 *
 * The manifest is text, one record a line; values are %XX-escaped (every
 * byte up to space, '%', DEL and above), so a line always parses:
 *
 *   notspam-backup 1
 *   stamp 20261201T133000Z
 *   kind apply                      (apply, restore, keys-switch, ...)
 *   restores 20261130T101500Z       (a restore: the backup it put back)
 *   service postfix                 (a program to reload after a restore)
 *   mkdir /etc/opendkim             (a directory it made, outermost first)
 *   file path=/etc/postfix/main.cf target=/etc/postfix/main.cf existed=1
 *        mode=0644 uid=0 gid=0 secret=0 before=SHA256 after=SHA256
 *        copy=files/etc/postfix/main.cf          (one line)
 *
 * path is the site path as the configuration names it, target where its
 * symlinks led (the file really replaced); existed=0 with before=- is a
 * file the transaction created, after=- one it removed; mode, uid and gid
 * are the old file's (the new file's for one created); copy=- when no copy
 * was kept (a key file, a file created).
 *
 * Journal states: "in-progress" (written, fsync()ed, before the first
 * rename: a transaction found in it was interrupted), "done",
 * "rolled-back" (a failure put every file back), "restored" (a later
 * restore put its files back; the note names that restore's stamp).
 */
#ifndef NOTSPAM_MANIFEST_H
#define NOTSPAM_MANIFEST_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "core/lib/util.h"

#define MANIFEST_BASE		"/var/backups/notspam"
#define MANIFEST_IN_PROGRESS	"in-progress"
#define MANIFEST_DONE		"done"
#define MANIFEST_ROLLED_BACK	"rolled-back"
#define MANIFEST_RESTORED	"restored"
/* Hex SHA-256 plus its NUL. */
#define MANIFEST_SHA_LEN	65

/* How a file of a backup is now, compared with the manifest. */
enum manifest_now {
	MANIFEST_NOW_AFTER,	/* as the transaction left it */
	MANIFEST_NOW_BEFORE,	/* as it was before the transaction */
	MANIFEST_NOW_CHANGED,	/* neither: changed since */
	MANIFEST_NOW_UNREADABLE,
};

struct manifest_file {
	char		*path;		/* site path */
	char		*target;	/* site path its links led to */
	int		 existed;
	mode_t		 mode;
	uid_t		 uid;
	gid_t		 gid;
	int		 secret;
	char		 before[MANIFEST_SHA_LEN];	/* "" when it did not exist */
	char		 after[MANIFEST_SHA_LEN];	/* "" when removed */
	char		*copy;		/* relative to the backup dir, or NULL */
	enum manifest_now now;		/* set by manifest_now() */
};

struct manifest {
	char			*stamp;
	char			*kind;
	char			*restores;	/* or NULL */
	struct strv		 services;
	struct strv		 dirs;		/* directories it made */
	struct manifest_file	*files;
	size_t			 nfiles;
	/* Read from the directory (manifest_read), not from the text: */
	char			*dir;		/* site path of BASE/STAMP */
	char			*state;		/* journal state; NULL: none */
	char			*note;		/* the rest of its line, or NULL */
};

/* The hex SHA-256 of len bytes of data into out. */
void manifest_sha256(const void *data, size_t len, char out[MANIFEST_SHA_LEN]);

/* Is s a stamp as made above? */
int manifest_stamp_ok(const char *s);
/* Order of two stamps (oldest first): strcmp, but "-10" after "-9". */
int manifest_stamp_cmp(const char *, const char *);

/*
 * Make the directories of site path `path` under root that are missing:
 * those on the way `way`, the last one `mode`; each new one's parent is
 * fsync()ed.  0, or -1 with *cause naming the path.
 */
int manifest_mkdirs(const char *root, const char *path, mode_t way,
    mode_t mode, char **cause);

/*
 * Is the directory dir (a site path) one whose files notspam may trust:
 * this user's, writable by no one else?  A backup says which files to
 * write where; one that someone else could have written is refused.  0,
 * or -1 with *cause.
 */
int manifest_trusted(const char *root, const char *dir, char **cause);

/*
 * Make the backup directory of a new transaction under base (made 0700
 * when missing; refused when not trusted): BASE/STAMP, 0700, the stamp
 * from `now`.  *stamp and *dir
 * (its site path) are set (caller frees).  0, or -1 with *cause.
 */
int manifest_create(const char *root, const char *base, time_t now,
    char **stamp, char **dir, char **cause);

/* The manifest's text (caller frees). */
char *manifest_format(const struct manifest *);

/*
 * Read BASE/STAMP's manifest and journal.  A manifest that is missing or
 * does not parse, or a base or backup directory that is not trusted
 * (manifest_trusted), is an error naming the file; a missing journal
 * leaves state NULL (the transaction stopped before it wrote anything).
 * *out is set (manifest_free) and 0 returned, or -1 with *cause.
 */
int manifest_read(const char *root, const char *base, const char *stamp,
    struct manifest **out, char **cause);
void manifest_free(struct manifest *);

/*
 * The stamps under base, oldest first, into stamps (appended); names that
 * are not stamps are ignored.  A missing base gives none.  0, or -1 with
 * *cause (an unreadable base).
 */
int manifest_list(const char *root, const char *base, struct strv *stamps,
    char **cause);

/* The journal state of BASE/STAMP alone (caller frees), NULL when it has
 * none (or it cannot be read). */
char *manifest_state(const char *root, const char *base, const char *stamp);

/* Write the journal of the backup directory dir (a site path): the state
 * and, unless NULL, a note.  Atomic and fsync()ed (fswrite).  0 or -1. */
int manifest_journal(const char *root, const char *dir, const char *state,
    const char *note, char **cause);

/*
 * Compare the file as it is now with f's before and after bytes (by
 * SHA-256) and set f->now.  A file absent now matches a side where it did
 * not exist.
 */
void manifest_now(const char *root, struct manifest_file *f);

/* Copy a file record (strings duplicated) into the manifest's list. */
struct manifest_file *manifest_add_file(struct manifest *,
    const struct manifest_file *);

#endif
