/* fsroot.h: reading files of the site, under an optional --root prefix.
 *
 * Paths handed around notspam are the site's own absolute paths
 * ("/etc/postfix/main.cf", or a KeyTable's "/etc/dkimkeys/x.private").  The
 * root (NULL or "" for "/") is prepended only at the moment a file is opened,
 * so messages can name the path as the site knows it.
 */
#ifndef NOTSPAM_FSROOT_H
#define NOTSPAM_FSROOT_H

#include <stddef.h>
#include <sys/stat.h>

/* Largest file fsroot_read() accepts (config files, tables, keys). */
#define FSROOT_MAX_FILE (8u * 1024 * 1024)

/* The host path of site path `path` under `root`; caller frees.  A relative
 * `path` is returned unchanged (relative to the working directory). */
char *fsroot_path(const char *root, const char *path);

/* stat/lstat the site path; 0 or -1 with errno set. */
int fsroot_stat(const char *root, const char *path, struct stat *);
int fsroot_lstat(const char *root, const char *path, struct stat *);
int fsroot_exists(const char *root, const char *path);

/*
 * Read a whole regular file.  On success *data (NUL-terminated, caller frees)
 * and *len are set and 0 is returned.  Otherwise -1 and *cause names the file
 * (as the site knows it) and why: missing, a directory, not a regular file,
 * unreadable, or larger than max bytes (0 means FSROOT_MAX_FILE).
 */
int fsroot_read(const char *root, const char *path, size_t max, char **data,
    size_t *len, char **cause);

#endif
