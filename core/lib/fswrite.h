/* fswrite.h: the one way notspam writes a file, and state files under a lock.
 *
 * Paths are site paths under a root, as in fsroot.h ("/var/lib/notspam/
 * keys.state" under --root DIR is DIR/var/lib/notspam/keys.state); messages
 * name them as the site knows them.  A relative path is allowed only without
 * a root (a file name the user typed) and is taken from the working
 * directory.
 *
 * A write is atomic: the new content goes to a temporary file in the same
 * directory (".NAME.notspam-PID-N.tmp", created with O_CREAT | O_EXCL |
 * O_NOFOLLOW, mode 0600 whatever the umask), written in full (short writes
 * and EINTR retried), given its final owner and mode, fsync()ed, then renamed
 * over the target, and the directory fsync()ed.  On any failure the temporary
 * file is removed: the target is either untouched or completely replaced.
 *
 * Symlinks: the path is resolved first by fsroot_resolve() (fsroot.h),
 * component by component, with absolute link targets taken under the root
 * and ".." never above it (so --root never escapes).  A
 * symlink at the target itself is kept: the file it points to is replaced
 * (in the link target's directory), so a state file that an administrator
 * moved elsewhere and linked back stays where it was put.  Only write in
 * directories whose owners you trust: following links is what they ask for.
 *
 * The replaced file keeps its owner, group and mode (fchown/fchmod on the
 * temporary file before the rename); a new file gets opts->mode.
 */
#ifndef NOTSPAM_FSWRITE_H
#define NOTSPAM_FSWRITE_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

/* Refuse to replace: the write fails if anything (even a dangling symlink)
 * has the name.  The final name is then not resolved, and the file is
 * linked to it (link(2)), never renamed over it. */
#define FSWRITE_NOREPLACE	0x1
/* The file ends with opts->mode (taken as is, 0 too) and opts->uid/gid
 * whether it existed or not (a restore puts back the owner and mode a
 * backup recorded); the new content has them before the rename. */
#define FSWRITE_ATTRS		0x2

/* How long fswrite_lock() waits for another process by default. */
#define FSWRITE_LOCK_WAIT_MS	10000

struct fswrite_opts {
	mode_t		 mode;		/* a new file's mode; 0: 0600 */
	/*
	 * Site path (same root) of a copy of the file about to be replaced,
	 * or NULL for none.  The copy is written atomically too, mode 0600,
	 * before the target is touched; when it cannot be made, nothing is
	 * replaced.  No copy is made when the target does not exist yet.
	 * Backups are only ever made when asked: never pass one for a key
	 * file unless a second copy of the secret is what you want.
	 */
	const char	*backup;
	int		 flags;		/* FSWRITE_NOREPLACE, FSWRITE_ATTRS */
	uid_t		 uid;		/* with FSWRITE_ATTRS: the owner */
	gid_t		 gid;
};

/*
 * Write len bytes of data as the whole content of site path `path` under
 * `root` (see above).  opts may be NULL (mode 0600, no backup, replace).
 * Returns 0, or -1 with *cause naming the path, what failed and what to do:
 * a full file system (ENOSPC), a quota (EDQUOT), a read-only file system
 * (EROFS), no permission (EACCES/EPERM), a missing directory, a target that
 * is not a regular file, an owner that cannot be kept.
 */
int fswrite_file(const char *root, const char *path, const void *data,
    size_t len, const struct fswrite_opts *opts, char **cause);

/*
 * Resolve the symlinks of site path `path` under `root` (see above): the
 * real site path into *resolved (caller frees).  Components that do not
 * exist yet are kept as written.  -1 with *cause for a loop of links, a
 * component that is not a directory, or an unreadable link.
 */
int fswrite_resolve(const char *root, const char *path, char **resolved,
    char **cause);

/*
 * The lock of a state file: an exclusive flock() on the file `path`.lock
 * beside it (created 0600 when missing and never removed, so two processes
 * can never lock two different files).  Waits up to wait_ms for another
 * holder (0: FSWRITE_LOCK_WAIT_MS), polling, without blocking signals.
 * Returns the held lock, or NULL with *cause.  Readers need no lock: every
 * write replaces the file whole, so a reader sees the old or the new one.
 */
struct fswrite_lock;
struct fswrite_lock *fswrite_lock(const char *root, const char *path,
    int wait_ms, char **cause);
/* Release and free the lock (NULL is ignored). */
void fswrite_unlock(struct fswrite_lock *);

/*
 * A state file's read-modify-write under its lock.  cb gets the content as
 * it is now (old is NULL and oldlen 0 when the file does not exist; else
 * NUL-terminated, at most 8 MiB) and appends the new content to out; it
 * returns 0 to write it, 1 to leave the file as it is, or -1 with *cause to
 * stop.  The file is then written as fswrite_file() does.  The lock is held
 * from before the read until after the rename.  Returns 0 (also when cb
 * returned 1), or -1 with *cause.
 */
typedef int (*fswrite_update_cb)(const char *old, size_t oldlen,
    struct buf *out, void *arg, char **cause);
int fswrite_update(const char *root, const char *path,
    const struct fswrite_opts *opts, fswrite_update_cb cb, void *arg,
    char **cause);

/*
 * Building blocks for writers with their own rules (keygen's never-
 * overwrite link, made in a child from an O_NOFOLLOW directory walk):
 */
/* Write all of data to fd, retrying short writes and EINTR; 0, or -1 with
 * errno set (ENOSPC for a write that makes no progress). */
int fswrite_all(int fd, const void *data, size_t len);
/* Create `name` in directory dirfd for writing: O_CREAT | O_EXCL |
 * O_NOFOLLOW | O_CLOEXEC, then fchmod to 0600 (umask-proof).  A descriptor,
 * or -1 with errno set (the name is removed again when fchmod fails). */
int fswrite_create_at(int dirfd, const char *name);
/* Set *cause to "cannot WHAT PATH: <errno text>; <what to do>" for the
 * errno values above (plain strerror for the others); returns -1. */
int fswrite_error(char **cause, const char *what, const char *path, int err);

#endif
