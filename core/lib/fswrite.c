/* fswrite.c: atomic replacement of site files, state files under a lock. */
#include "core/lib/fswrite.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/fsroot.h"
#include "core/lib/util.h"

/* Temporary names tried in one directory before giving up. */
#define FW_MAX_TRIES	100
/* Longest part of the target's name kept in the temporary name. */
#define FW_TMP_BASE	200
/* Internal flag: the mode is opts->mode even when the file exists. */
#define FW_FORCE_MODE	0x100

struct fswrite_lock {
	int	 fd;
};

int
fswrite_error(char **cause, const char *what, const char *path, int err)
{
	const char *advice = NULL;

	switch (err) {
	case ENOSPC:
		advice = "the file system is full: free some space on it and "
		    "try again";
		break;
#ifdef EDQUOT
	case EDQUOT:
		advice = "the disk quota is used up: free some of it or ask "
		    "for a larger quota";
		break;
#endif
	case EROFS:
		advice = "the file system is mounted read-only: remount it "
		    "read-write or choose another place";
		break;
	case EACCES:
	case EPERM:
		advice = "run notspam as a user who may write there (root?)";
		break;
	case ENOENT:
		advice = "a directory on the way does not exist";
		break;
	case EEXIST:
		advice = "it already exists: choose another name";
		break;
	}
	if (advice == NULL)
		return error_set(cause, "cannot %s %s: %s", what, path,
		    strerror(err));
	return error_set(cause, "cannot %s %s: %s; %s", what, path,
	    strerror(err), advice);
}

int
fswrite_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fswrite_create_at(int dirfd, const char *name)
{
	int fd, saved;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0600) == -1) {
		saved = errno;
		close(fd);
		(void)unlinkat(dirfd, name, 0);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Is root the real root ("/", "" or NULL)? */
static int
fw_no_root(const char *root)
{
	return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

/* The absolute site path of path: relative ones (only without a root)
 * from the working directory.  Caller frees; NULL with *cause. */
static char *
fw_absolute(const char *root, const char *path, char **cause)
{
	char cwd[PATH_MAX];

	if (path == NULL || *path == '\0') {
		error_set(cause, "no file name given");
		return NULL;
	}
	if (path[0] == '/')
		return xstrdup(path);
	if (!fw_no_root(root)) {
		error_set(cause, "%s: give an absolute path (under --root "
		    "paths are the site's own)", path);
		return NULL;
	}
	if (getcwd(cwd, sizeof cwd) == NULL) {
		error_set(cause, "%s: cannot tell the working directory: %s",
		    path, strerror(errno));
		return NULL;
	}
	return xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

int
fswrite_resolve(const char *root, const char *path, char **resolved,
    char **cause)
{
	char *abs;
	int rc;

	*resolved = NULL;
	if ((abs = fw_absolute(root, path, cause)) == NULL)
		return -1;
	/* The one resolver (fsroot.h): links re-rooted, ".." kept inside. */
	rc = fsroot_resolve(root, abs, 1, resolved, cause);
	free(abs);
	return rc;
}

/* Split a resolved site path into its directory and last name (caller
 * frees both); -1 with *cause when there is no name ("/"). */
static int
fw_split(const char *path, const char *resolved, char **dir, char **base,
    char **cause)
{
	const char *slash = strrchr(resolved, '/');

	if (slash == NULL || slash[1] == '\0')
		return error_set(cause, "%s: not a file name", path);
	*dir = slash == resolved ? xstrdup("/") :
	    xstrndup(resolved, (size_t)(slash - resolved));
	*base = xstrdup(slash + 1);
	return 0;
}

/* Open the site directory dir under root; -1 with *cause. */
static int
fw_open_dir(const char *root, const char *dir, const char *path,
    char **cause)
{
	char *host = fsroot_path(root, dir), *what;
	int fd;

	fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(host);
	if (fd != -1)
		return fd;
	if (errno == ENOENT)
		return error_set(cause, "cannot write %s: the directory %s "
		    "does not exist", path, dir);
	what = xasprintf("open the directory %s to write", dir);
	fswrite_error(cause, what, path, errno);
	free(what);
	return -1;
}

/* Read the whole file `base` of dirfd (no symlink) into b; -1, errno. */
static int
fw_read_at(int dirfd, const char *base, struct buf *b)
{
	char chunk[8192];
	ssize_t n;
	int fd, saved;

	fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	buf_add(b, "", 0);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* Create a temporary file beside base in dirfd; its name in *tmp. */
static int
fw_tmp(int dirfd, const char *base, char **tmp)
{
	int fd, i;

	for (i = 0; i < FW_MAX_TRIES; i++) {
		*tmp = xasprintf(".%.*s.notspam-%ld-%d.tmp", FW_TMP_BASE, base,
		    (long)getpid(), i);
		if ((fd = fswrite_create_at(dirfd, *tmp)) != -1)
			return fd;
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* Give the temporary file fd the owner and mode it must end with. */
static int
fw_attrs(int fd, const struct stat *old, mode_t mode, const char *path,
    char **cause)
{
	struct stat sb;

	if (old == NULL)
		mode = mode != 0 ? mode : 0600;
	else {
		if (fstat(fd, &sb) == -1)
			return fswrite_error(cause, "write", path, errno);
		if ((sb.st_uid != old->st_uid || sb.st_gid != old->st_gid) &&
		    fchown(fd, old->st_uid, old->st_gid) == -1)
			return error_set(cause, "cannot write %s: its owner "
			    "(uid %u, gid %u) cannot be kept: %s; run notspam "
			    "as root or as that user", path,
			    (unsigned)old->st_uid, (unsigned)old->st_gid,
			    strerror(errno));
		mode = old->st_mode & 07777;
	}
	/* After fchown, which may have cleared set-id bits. */
	if (fchmod(fd, mode) == -1)
		return fswrite_error(cause, "write", path, errno);
	return 0;
}

/* Give the temporary file fd the owner and mode of opts (FSWRITE_ATTRS). */
static int
fw_attrs_set(int fd, const struct fswrite_opts *opts, const char *path,
    char **cause)
{
	if (fchown(fd, opts->uid, opts->gid) == -1)
		return error_set(cause, "cannot write %s: it cannot be given "
		    "its owner (uid %u, gid %u): %s; run notspam as root",
		    path, (unsigned)opts->uid, (unsigned)opts->gid,
		    strerror(errno));
	if (fchmod(fd, opts->mode & 07777) == -1)
		return fswrite_error(cause, "write", path, errno);
	return 0;
}

static int fw_write(const char *, const char *, const void *, size_t,
    const struct fswrite_opts *, int, char **);

/* Copy the old file (base in dirfd) to the backup site path. */
static int
fw_backup(const char *root, int dirfd, const char *base, const char *path,
    const char *backup, char **cause)
{
	struct fswrite_opts bo;
	struct buf b;
	char *why = NULL;
	int rc;

	buf_init(&b);
	if (fw_read_at(dirfd, base, &b) == -1) {
		rc = fswrite_error(cause, "read (for its backup)", path, errno);
		buf_free(&b);
		return rc;
	}
	memset(&bo, 0, sizeof bo);
	bo.mode = 0600;
	rc = fw_write(root, backup, b.data, b.len, &bo, FW_FORCE_MODE, &why);
	if (rc != 0) {
		error_set(cause, "%s was not replaced: its backup failed: %s",
		    path, why);
		free(why);
	}
	buf_free(&b);
	return rc;
}

/* Write the file: see fswrite_file().  extra: FW_FORCE_MODE. */
static int
fw_write(const char *root, const char *path, const void *data, size_t len,
    const struct fswrite_opts *opts, int extra, char **cause)
{
	struct fswrite_opts none;
	struct stat old;
	char *abs = NULL, *resolved = NULL, *dir = NULL, *base = NULL;
	char *tmp = NULL, *why = NULL;
	int dirfd = -1, fd = -1, rc = -1, have_old, noreplace, saved;

	if (opts == NULL) {
		memset(&none, 0, sizeof none);
		opts = &none;
	}
	noreplace = (opts->flags & FSWRITE_NOREPLACE) != 0;
	if (noreplace) {
		/* The name itself is not followed: only its directory. */
		if ((abs = fw_absolute(root, path, cause)) == NULL ||
		    fw_split(path, abs, &dir, &base, cause) != 0)
			goto done;
		free(abs);
		abs = dir;
		dir = NULL;
		if (fswrite_resolve(root, abs, &dir, cause) != 0)
			goto done;
	} else if (fswrite_resolve(root, path, &resolved, cause) != 0 ||
	    fw_split(path, resolved, &dir, &base, cause) != 0)
		goto done;
	if ((dirfd = fw_open_dir(root, dir, path, cause)) == -1)
		goto done;
	have_old = fstatat(dirfd, base, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (have_old && noreplace) {
		fswrite_error(cause, "create", path, EEXIST);
		goto done;
	}
	if (have_old && !S_ISREG(old.st_mode)) {
		error_set(cause, "cannot write %s: %s", path,
		    S_ISDIR(old.st_mode) ? "it is a directory" :
		    S_ISLNK(old.st_mode) ? "it became a symlink while it was "
		    "being written; check it" : "not a regular file");
		goto done;
	}
	if (have_old && opts->backup != NULL &&
	    fw_backup(root, dirfd, base, path, opts->backup, cause) != 0)
		goto done;
	if ((fd = fw_tmp(dirfd, base, &tmp)) == -1) {
		fswrite_error(cause, "write", path, errno);
		goto done;
	}
	if (fswrite_all(fd, data, len) == -1) {
		fswrite_error(cause, "write", path, errno);
		goto fail;
	}
	if (opts->flags & FSWRITE_ATTRS) {
		if (fw_attrs_set(fd, opts, path, cause) != 0)
			goto fail;
	} else if (fw_attrs(fd, have_old && !(extra & FW_FORCE_MODE) ? &old :
	    NULL, opts->mode, path, cause) != 0)
		goto fail;
	if (fsync(fd) == -1) {
		fswrite_error(cause, "write", path, errno);
		goto fail;
	}
	saved = close(fd);
	fd = -1;
	if (saved == -1) {
		fswrite_error(cause, "write", path, errno);
		goto fail;
	}
	if (noreplace) {
		if (linkat(dirfd, tmp, dirfd, base, 0) == -1) {
			fswrite_error(cause, "create", path, errno);
			goto fail;
		}
		(void)unlinkat(dirfd, tmp, 0);
	} else if (renameat(dirfd, tmp, dirfd, base) == -1) {
		fswrite_error(cause, "replace", path, errno);
		goto fail;
	}
	/* The new name is in place: a failing directory fsync (some file
	 * systems refuse it) cannot undo that, so it is not reported. */
	(void)fsync(dirfd);
	rc = 0;
	goto done;
fail:
	if (fd != -1)
		close(fd);
	fd = -1;
	(void)unlinkat(dirfd, tmp, 0);
	if (have_old && cause != NULL && *cause != NULL) {
		why = *cause;
		*cause = xasprintf("%s (the old file is unchanged)", why);
		free(why);
	}
done:
	if (fd != -1)
		close(fd);
	if (dirfd != -1)
		close(dirfd);
	free(abs);
	free(resolved);
	free(dir);
	free(base);
	free(tmp);
	return rc;
}

int
fswrite_file(const char *root, const char *path, const void *data,
    size_t len, const struct fswrite_opts *opts, char **cause)
{
	return fw_write(root, path, data, len, opts, 0, cause);
}

/* Open (creating it 0600 when missing) the lock file at host path. */
static int
fw_lock_open(const char *host)
{
	int fd;

	fd = open(host, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd != -1) {
		(void)fchmod(fd, 0600);
		return fd;
	}
	if (errno != EEXIST)
		return -1;
	return open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

struct fswrite_lock *
fswrite_lock(const char *root, const char *path, int wait_ms, char **cause)
{
	struct fswrite_lock *lk;
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	char *resolved = NULL, *lockpath, *host;
	int fd, waited = 0;

	if (fswrite_resolve(root, path, &resolved, cause) != 0)
		return NULL;
	lockpath = xasprintf("%s.lock", resolved);
	host = fsroot_path(root, lockpath);
	free(resolved);
	fd = fw_lock_open(host);
	free(host);
	if (fd == -1) {
		fswrite_error(cause, "create the lock file", lockpath, errno);
		free(lockpath);
		return NULL;
	}
	if (wait_ms <= 0)
		wait_ms = FSWRITE_LOCK_WAIT_MS;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			if (errno == EWOULDBLOCK)
				error_set(cause, "%s is held by another notspam "
				    "(waited %d ms): try again once it has "
				    "finished", lockpath, wait_ms);
			else
				error_set(cause, "cannot lock %s: %s",
				    lockpath, strerror(errno));
			close(fd);
			free(lockpath);
			return NULL;
		}
		(void)nanosleep(&pause, NULL);
		waited += 10;
	}
	free(lockpath);
	lk = xcalloc(1, sizeof *lk);
	lk->fd = fd;
	return lk;
}

void
fswrite_unlock(struct fswrite_lock *lk)
{
	if (lk == NULL)
		return;
	/* Closing the only descriptor releases the flock. */
	close(lk->fd);
	free(lk);
}

int
fswrite_update(const char *root, const char *path,
    const struct fswrite_opts *opts, fswrite_update_cb cb, void *arg,
    char **cause)
{
	struct fswrite_lock *lk;
	struct stat sb;
	struct buf out;
	char *old = NULL;
	size_t oldlen = 0;
	int rc = -1, r;

	if ((lk = fswrite_lock(root, path, 0, cause)) == NULL)
		return -1;
	buf_init(&out);
	if (fsroot_stat(root, path, &sb) == -1) {
		if (errno != ENOENT) {
			error_set(cause, "%s: cannot stat: %s", path,
			    strerror(errno));
			goto done;
		}
	} else if (fsroot_read(root, path, 0, &old, &oldlen, cause) != 0)
		goto done;
	if ((r = cb(old, oldlen, &out, arg, cause)) < 0)
		goto done;
	if (r == 0) {
		buf_add(&out, "", 0);
		if (fswrite_file(root, path, out.data, out.len, opts,
		    cause) != 0)
			goto done;
	}
	rc = 0;
done:
	fswrite_unlock(lk);
	buf_free(&out);
	free(old);
	return rc;
}
