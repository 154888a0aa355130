/* fsroot.h: reading files of the site, under an optional --root prefix.
 *
 * Paths handed around notspam are the site's own absolute paths
 * ("/etc/postfix/main.cf", or a KeyTable's "/etc/dkimkeys/x.private").  The
 * root (NULL or "" for "/") is prepended only at the moment a file is opened,
 * so messages can name the path as the site knows it.
 *
 * Under a root, nothing escapes it: every path is resolved inside the root
 * before it is opened (fsroot_resolve: symlinks followed one component at a
 * time, an absolute link target taken under the root, ".." never above the
 * root's "/", as chroot(2) would see them), and the last component is then
 * opened with O_NOFOLLOW.  A relative path is refused under a root: the
 * site's files are never looked for in notspam's working directory (a
 * backend resolves a relative path in a config the way its daemon does,
 * before asking).  Without a root the kernel resolves paths, and a relative
 * path (a file name the user typed) is taken from the working directory.
 */
#ifndef NOTSPAM_FSROOT_H
#define NOTSPAM_FSROOT_H

#include <stddef.h>
#include <sys/stat.h>

/* Largest file fsroot_read() accepts (config files, tables, keys). */
#define FSROOT_MAX_FILE (8u * 1024 * 1024)
/* Symlinks followed in one path before it counts as a loop. */
#define FSROOT_MAX_LINKS 40

/* The host path of site path `path` under `root`, by string only (no
 * symlink is resolved: use fsroot_host for a path read from a config);
 * caller frees.  A relative `path` is returned unchanged. */
char *fsroot_path(const char *root, const char *path);

/* Is root the running system ("/", "" or NULL)? */
int fsroot_is_system(const char *root);

/*
 * Resolve the symlinks of the absolute site path `path` under `root` (the
 * real root too): the real site path into *resolved (caller frees), as
 * chroot(2) into root would see it.  follow_last 0 keeps a symlink in the
 * last component (lstat semantics).  Components that do not exist are kept
 * as written ("." and ".." are still applied).  Returns 0, or -1 with
 * *cause (naming `path`) and errno set: a relative path (EINVAL), a loop
 * of links (ELOOP), a component that is not a directory (ENOTDIR), an
 * unreadable link.
 */
int fsroot_resolve(const char *root, const char *path, int follow_last,
    char **resolved, char **cause);

/*
 * fsroot_resolve, asking link_ok about every symlink it is about to follow:
 * dir is the site path of the directory holding it, link the link's own
 * site path, lsb its lstat.  link_ok returns 0 to follow it, or -1 with
 * *cause to refuse (the whole resolve then fails, errno EPERM).  Key files
 * use it to follow only links that root owns in directories root controls.
 */
typedef int (*fsroot_link_cb)(const char *root, const char *dir,
    const char *link, const struct stat *lsb, void *arg, char **cause);
int fsroot_resolve_checked(const char *root, const char *path,
    int follow_last, fsroot_link_cb link_ok, void *arg, char **resolved,
    char **cause);

/*
 * The host path to open for site path `path`: resolved inside the root
 * (above) and prefixed with it; without a root, `path` itself (the kernel
 * resolves it).  Caller frees; NULL with *cause and errno set.
 */
char *fsroot_host(const char *root, const char *path, int follow_last,
    char **cause);

/* stat/lstat the site path (resolved as above); 0 or -1 with errno set. */
int fsroot_stat(const char *root, const char *path, struct stat *);
int fsroot_lstat(const char *root, const char *path, struct stat *);
int fsroot_exists(const char *root, const char *path);

/*
 * Read a whole regular file.  On success *data (NUL-terminated, caller frees)
 * and *len are set and 0 is returned.  Otherwise -1 and *cause names the file
 * (as the site knows it) and why: missing (and where its symlinks led, under
 * a root), a directory, not a regular file, unreadable, a relative path
 * under a root, or larger than max bytes (0 means FSROOT_MAX_FILE).  The
 * content is never quoted.
 */
int fsroot_read(const char *root, const char *path, size_t max, char **data,
    size_t *len, char **cause);

#endif
