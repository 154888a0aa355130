/* fsroot.c: site paths under --root, resolved inside it; bounded reads. */
#include "core/lib/fsroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lib/util.h"

char *
fsroot_path(const char *root, const char *path)
{
	size_t rlen;

	if (root == NULL || *root == '\0' || path[0] != '/')
		return xstrdup(path);
	rlen = strlen(root);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (rlen == 1 && root[0] == '/')
		return xstrdup(path);
	return xasprintf("%.*s%s", (int)rlen, root, path);
}

int
fsroot_is_system(const char *root)
{
	return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

/* lstat of site path `path` under root, by string (no resolving). */
static int
fr_raw_lstat(const char *root, const char *path, struct stat *sb)
{
	char *host = fsroot_path(root, path);
	int rc = lstat(host, sb), saved = errno;

	free(host);
	errno = saved;
	return rc;
}

/*
 * The walk: cur holds the resolved prefix ("" for "/"), rest what is left
 * to walk.  A symlink's target replaces the component; an absolute one
 * restarts from the root's "/".  ".." drops the last resolved component,
 * and at "/" stays there.
 */
int
fsroot_resolve(const char *root, const char *path, int follow_last,
    char **resolved, char **cause)
{
	return fsroot_resolve_checked(root, path, follow_last, NULL, NULL,
	    resolved, cause);
}

int
fsroot_resolve_checked(const char *root, const char *path, int follow_last,
    fsroot_link_cb link_ok, void *arg, char **resolved, char **cause)
{
	struct buf cur;
	struct stat sb;
	char *rest, *next = NULL, *host, *nrest, target[PATH_MAX], *slash;
	const char *p, *comp;
	size_t len;
	ssize_t n;
	int links = 0, missing = 0, rc = -1, last, err;

	*resolved = NULL;
	if (path == NULL || path[0] != '/') {
		error_set(cause, "%s: not an absolute path (the site's files "
		    "are named from its \"/\")", path != NULL ? path : "");
		errno = EINVAL;
		return -1;
	}
	rest = xstrdup(path);
	buf_init(&cur);
	buf_add(&cur, "", 0);
	p = rest;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		comp = p;
		len = strcspn(p, "/");
		p += len;
		last = p[strspn(p, "/")] == '\0';
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			if ((slash = strrchr(cur.data, '/')) != NULL) {
				cur.len = (size_t)(slash - cur.data);
				cur.data[cur.len] = '\0';
			}
			continue;
		}
		free(next);
		next = xasprintf("%s/%.*s", cur.data, (int)len, comp);
		if (!missing && fr_raw_lstat(root, next, &sb) == -1) {
			if (errno != ENOENT && errno != ENOTDIR) {
				err = errno;
				error_set(cause, "%s: cannot stat %s: %s",
				    path, next, strerror(err));
				goto fail;
			}
			missing = 1;	/* the rest is kept as written */
		}
		if (missing || !S_ISLNK(sb.st_mode) || (last && !follow_last)) {
			if (!missing && !last && !S_ISDIR(sb.st_mode) &&
			    !S_ISLNK(sb.st_mode)) {
				error_set(cause, "%s: %s is not a directory",
				    path, next);
				err = ENOTDIR;
				goto fail;
			}
			buf_addc(&cur, '/');
			buf_add(&cur, comp, len);
			continue;
		}
		if (link_ok != NULL &&
		    link_ok(root, cur.len == 0 ? "/" : cur.data, next, &sb,
		    arg, cause) != 0) {
			err = EPERM;
			goto fail;
		}
		if (++links > FSROOT_MAX_LINKS) {
			error_set(cause, "%s: too many symlinks (a loop?)",
			    path);
			err = ELOOP;
			goto fail;
		}
		host = fsroot_path(root, next);
		n = readlink(host, target, sizeof target - 1);
		err = errno;
		free(host);
		if (n <= 0) {
			err = n == 0 ? ENOENT : err;
			error_set(cause, "%s: cannot read the symlink %s: %s",
			    path, next, n == 0 ? "empty" : strerror(err));
			goto fail;
		}
		target[n] = '\0';
		if (target[0] == '/') {
			cur.len = 0;
			cur.data[0] = '\0';
		}
		nrest = xasprintf("%s%s", target, p);
		free(rest);
		rest = nrest;
		p = rest;
	}
	*resolved = cur.len == 0 ? xstrdup("/") : xstrdup(cur.data);
	rc = 0;
	err = 0;
fail:
	buf_free(&cur);
	free(rest);
	free(next);
	if (rc != 0)
		errno = err;
	return rc;
}

char *
fsroot_host(const char *root, const char *path, int follow_last,
    char **cause)
{
	char *resolved, *host;

	if (fsroot_is_system(root))
		return xstrdup(path);
	if (fsroot_resolve(root, path, follow_last, &resolved, cause) != 0)
		return NULL;
	host = fsroot_path(root, resolved);
	free(resolved);
	return host;
}

/* stat (follow 1) or lstat (follow 0) of the resolved host path. */
static int
fr_stat(const char *root, const char *path, int follow, struct stat *sb)
{
	char *p;
	int rc, saved;

	if ((p = fsroot_host(root, path, follow, NULL)) == NULL)
		return -1;
	/* Under a root the resolved name is no symlink (but for a race):
	 * never let the kernel follow one out of the root. */
	rc = fsroot_is_system(root) && follow ? stat(p, sb) : lstat(p, sb);
	saved = errno;
	free(p);
	errno = saved;
	return rc;
}

int
fsroot_stat(const char *root, const char *path, struct stat *sb)
{
	return fr_stat(root, path, 1, sb);
}

int
fsroot_lstat(const char *root, const char *path, struct stat *sb)
{
	return fr_stat(root, path, 0, sb);
}

int
fsroot_exists(const char *root, const char *path)
{
	struct stat sb;

	return fsroot_stat(root, path, &sb) == 0;
}

/* Open the file for fsroot_read(); -1 with *cause. */
static int
fr_open(const char *root, const char *path, char **cause)
{
	char *host, *resolved = NULL, *why = NULL;
	int fd, flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, err;

	if (fsroot_is_system(root))
		host = xstrdup(path);
	else {
		if (fsroot_resolve(root, path, 1, &resolved, &why) != 0) {
			error_set(cause, "%s", why);
			free(why);
			return -1;
		}
		host = fsroot_path(root, resolved);
		flags |= O_NOFOLLOW;
	}
	fd = open(host, flags);
	err = errno;
	free(host);
	if (fd != -1) {
		free(resolved);
		return fd;
	}
	if (err == ENOENT && resolved != NULL && strcmp(resolved, path) != 0)
		error_set(cause, "%s: no such file (its symlinks lead to %s "
		    "inside the root)", path, resolved);
	else if (err == ENOENT)
		error_set(cause, "%s: no such file", path);
	else if (err == ELOOP && resolved != NULL)
		error_set(cause, "%s: became a symlink while it was read; "
		    "read it again", path);
	else
		error_set(cause, "%s: cannot open: %s", path, strerror(err));
	free(resolved);
	errno = err;
	return -1;
}

int
fsroot_read(const char *root, const char *path, size_t max, char **data,
    size_t *len, char **cause)
{
	char *p = NULL;
	struct stat sb;
	size_t have = 0, cap;
	ssize_t n;
	int fd = -1, rc = -1;

	if (max == 0)
		max = FSROOT_MAX_FILE;
	if ((fd = fr_open(root, path, cause)) == -1)
		goto done;
	if (fstat(fd, &sb) == -1) {
		error_set(cause, "%s: cannot stat: %s", path, strerror(errno));
		goto done;
	}
	if (S_ISDIR(sb.st_mode)) {
		error_set(cause, "%s: is a directory, expected a file", path);
		goto done;
	}
	if (!S_ISREG(sb.st_mode)) {
		error_set(cause, "%s: not a regular file", path);
		goto done;
	}
	if ((size_t)sb.st_size > max) {
		error_set(cause, "%s: %lld bytes, larger than the %zu-byte limit"
		    " (is this the right file?)", path, (long long)sb.st_size,
		    max);
		goto done;
	}
	cap = (size_t)sb.st_size + 1;
	p = xmalloc(cap);
	for (;;) {
		if (have == cap) {
			/* The file grew while we read it: stay bounded. */
			cap *= 2;
			p = xreallocarray(p, cap, 1);
		}
		n = read(fd, p + have, cap - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_set(cause, "%s: read error: %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			error_set(cause, "%s: larger than the %zu-byte limit",
			    path, max);
			goto done;
		}
	}
	if (have == cap)
		p = xreallocarray(p, cap + 1, 1);
	p[have] = '\0';
	*data = p;
	*len = have;
	p = NULL;
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	free(p);
	return rc;
}
