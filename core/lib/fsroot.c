/* fsroot.c: site paths under --root, and bounded whole-file reads. */
#include "core/lib/fsroot.h"

#include <errno.h>
#include <fcntl.h>
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
fsroot_stat(const char *root, const char *path, struct stat *sb)
{
	char *p = fsroot_path(root, path);
	int rc = stat(p, sb);
	int saved = errno;

	free(p);
	errno = saved;
	return rc;
}

int
fsroot_lstat(const char *root, const char *path, struct stat *sb)
{
	char *p = fsroot_path(root, path);
	int rc = lstat(p, sb);
	int saved = errno;

	free(p);
	errno = saved;
	return rc;
}

int
fsroot_exists(const char *root, const char *path)
{
	struct stat sb;

	return fsroot_stat(root, path, &sb) == 0;
}

int
fsroot_read(const char *root, const char *path, size_t max, char **data,
    size_t *len, char **cause)
{
	char *host = fsroot_path(root, path), *p = NULL;
	struct stat sb;
	size_t have = 0, cap;
	ssize_t n;
	int fd = -1, rc = -1;

	if (max == 0)
		max = FSROOT_MAX_FILE;
	if ((fd = open(host, O_RDONLY | O_NONBLOCK | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			error_set(cause, "%s: no such file", path);
		else
			error_set(cause, "%s: cannot open: %s", path,
			    strerror(errno));
		goto done;
	}
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
	free(host);
	return rc;
}
