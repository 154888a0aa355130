/* txn_driver.c: a test-only program linked with the core objects, that
 * commits one transaction (core/apply/txn.h) over the files it is given,
 * for tests/shell/txn.sh: the kill -9 matrix, full and read-only file
 * systems, and the timing of a commit.
 *
 *   txn_driver edit PAD FILE           the new bytes the driver writes for
 *                                      FILE (host path; "-" if none yet)
 *   txn_driver commit ROOT PAD SPEC... commit; prints the stamp, or the
 *                                      error on stderr (exit 1)
 *   txn_driver kill ROOT PAD US SPEC...
 *                                      the commit in a child, SIGKILLed
 *                                      US microseconds after it starts
 *                                      (-1: never); prints "killed US" or
 *                                      "finished US STATUS" (the time its
 *                                      commit took)
 *   txn_driver crash ROOT PAD K before|after SPEC...
 *                                      the commit in a child that SIGKILLs
 *                                      itself at its K-th durable step
 *                                      (mkdir, fsync, rename, unlink),
 *                                      before or after the call; prints
 *                                      "killed K", or "finished STEPS
 *                                      STATUS" when it has fewer steps
 *   txn_driver time ROOT PAD N SPEC... N commits, the files put back in
 *                                      between (not timed); prints the
 *                                      minimum, median and maximum in us
 *
 * SPEC is a site path under ROOT; "+PATH" is a file the commit creates.
 * New bytes: the old ones, then a marker line, then lines up to PAD more
 * bytes; a created file gets the marker and the padding only.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/apply/txn.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/util.h"

/*
 * Crash points.  Every call that changes what is durably on disk (mkdir,
 * fsync, renameat, unlink, unlinkat) is a step; with crash_at set, the
 * process SIGKILLs itself at step crash_at, before the call or after it.
 * These definitions stand for the C library's in this program only.
 */
static long crash_at, steps;
static int crash_after;

/* Count a step; die here when it is the one (before the call). */
static void
step_before(void)
{
	if (crash_at > 0 && ++steps == crash_at && !crash_after)
		kill(getpid(), SIGKILL);
}

/* The same after the call; returns rc. */
static long
step_after(long rc)
{
	if (crash_at > 0 && steps == crash_at && crash_after)
		kill(getpid(), SIGKILL);
	return rc;
}

/* Is there something at path (a call on it may change the disk)? */
static int
present(int dirfd, const char *path)
{
	struct stat sb;

	return fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A mkdir of what exists and an unlink of what does not change nothing:
 * not steps. */
int
mkdir(const char *path, mode_t mode)
{
	if (present(AT_FDCWD, path))
		return (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);
	step_before();
	return (int)step_after(syscall(SYS_mkdirat, AT_FDCWD, path, mode));
}

int
fsync(int fd)
{
	step_before();
	return (int)step_after(syscall(SYS_fsync, fd));
}

int
renameat(int od, const char *op, int nd, const char *np)
{
	step_before();
#ifdef SYS_renameat
	return (int)step_after(syscall(SYS_renameat, od, op, nd, np));
#else
	return (int)step_after(syscall(SYS_renameat2, od, op, nd, np, 0));
#endif
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	if (!present(dirfd, path))
		return (int)syscall(SYS_unlinkat, dirfd, path, flags);
	step_before();
	return (int)step_after(syscall(SYS_unlinkat, dirfd, path, flags));
}

int
unlink(const char *path)
{
	if (!present(AT_FDCWD, path))
		return (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	step_before();
	return (int)step_after(syscall(SYS_unlinkat, AT_FDCWD, path, 0));
}

/* Microseconds on the monotonic clock. */
static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The driver's new bytes for old (NULL: a created file). */
static void
edit(struct buf *b, const char *old, size_t oldlen, size_t pad)
{
	size_t start;
	int n = 0;

	buf_init(b);
	if (old != NULL)
		buf_add(b, old, oldlen);
	buf_adds(b, "# edited by txn_driver\n");
	start = b->len;
	while (b->len - start < pad)
		buf_printf(b, "# padding line %06d of the txn_driver edit\n",
		    ++n);
	buf_add(b, "", 0);
}

/* Add every SPEC to t; -1 on a failure (said on stderr). */
static int
add_all(struct txn *t, const char *root, size_t pad, int n, char **spec)
{
	struct buf nb;
	char *old = NULL, *cause = NULL;
	size_t len = 0;
	int i, create, rc;

	for (i = 0; i < n; i++) {
		const char *p = spec[i];
		if ((create = p[0] == '+'))
			p++;
		old = NULL;
		len = 0;
		if (!create && fsroot_read(root, p, 0, &old, &len, &cause) !=
		    0) {
			fprintf(stderr, "txn_driver: %s\n", cause);
			return -1;
		}
		edit(&nb, old, len, pad);
		rc = txn_add(t, p, old, len, !create, nb.data, nb.len, 0640,
		    0, &cause);
		buf_free(&nb);
		free(old);
		if (rc != 0) {
			fprintf(stderr, "txn_driver: %s\n", cause);
			return -1;
		}
	}
	return 0;
}

/* One commit; 0, or 1 with the error on stderr. */
static int
commit(const char *root, size_t pad, int n, char **spec, int quiet)
{
	struct txn_opts o;
	struct txn_report r;
	struct txn *t;
	char *cause = NULL;
	int rc = 1;

	memset(&o, 0, sizeof o);
	o.lock_wait_ms = 2000;
	t = txn_new(root, &o);
	txn_add_service(t, "postfix");
	txn_report_init(&r);
	if (add_all(t, root, pad, n, spec) == 0) {
		if (txn_commit(t, NULL, &r, &cause) != 0)
			fprintf(stderr, "txn_driver: %s\n", cause);
		else {
			if (!quiet)
				printf("%s\n", r.stamp != NULL ? r.stamp :
				    "nothing");
			rc = 0;
		}
	}
	free(cause);
	txn_report_free(&r);
	txn_free(t);
	return rc;
}

/* Wait for one byte from fd; 0, or -1 when the writer went away. */
static int
wait_byte(int fd)
{
	char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) == -1 && errno == EINTR)
		;
	return n == 1 ? 0 : -1;
}

/*
 * The commit in a child, killed us microseconds after it starts (< 0:
 * never).  The clock starts when the child says it begins (a byte on a
 * pipe), so the time a fork takes is not in the window; the end is its
 * second byte, written when the commit returned.
 */
static int
kill_run(const char *root, size_t pad, long long us, int n, char **spec)
{
	struct timespec ts;
	long long t0;
	pid_t pid;
	int status, p[2], rc;

	fflush(stdout);
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		perror("pipe or fork");
		return 1;
	}
	if (pid == 0) {
		close(p[0]);
		(void)write(p[1], "g", 1);
		rc = commit(root, pad, n, spec, 1);
		(void)write(p[1], "e", 1);
		_exit(rc);
	}
	close(p[1]);
	(void)wait_byte(p[0]);
	t0 = now_us();
	if (us >= 0) {
		ts.tv_sec = us / 1000000;
		ts.tv_nsec = (long)(us % 1000000) * 1000;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		(void)kill(pid, SIGKILL);
	}
	(void)wait_byte(p[0]);
	t0 = now_us() - t0;
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		printf("killed %lld\n", t0);
	else
		printf("finished %lld %d\n", t0,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

/*
 * The commit in a child that SIGKILLs itself at step k (before the call,
 * or after it with after set).  Prints "killed K" or, when the commit has
 * fewer steps, "finished STEPS STATUS".
 */
static int
crash_run(const char *root, size_t pad, long k, int after, int n,
    char **spec)
{
	pid_t pid;
	int status, p[2], rc;

	fflush(stdout);
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		perror("pipe or fork");
		return 1;
	}
	if (pid == 0) {
		close(p[0]);
		crash_at = k;
		crash_after = after;
		rc = commit(root, pad, n, spec, 1);
		crash_at = 0;
		(void)write(p[1], &steps, sizeof steps);
		_exit(rc);
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		printf("killed %ld\n", k);
	else {
		long got = 0;
		if (read(p[0], &got, sizeof got) != (ssize_t)sizeof got)
			got = -1;
		printf("finished %ld %d\n", got,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	close(p[0]);
	return 0;
}

/* Read the old bytes of every SPEC (to put them back between runs). */
static char **
save_all(const char *root, int n, char **spec, size_t **lens)
{
	char **v = xcalloc((size_t)n, sizeof *v), *cause = NULL;
	int i;

	*lens = xcalloc((size_t)n, sizeof **lens);
	for (i = 0; i < n; i++)
		if (spec[i][0] != '+' && fsroot_read(root, spec[i], 0, &v[i],
		    &(*lens)[i], &cause) != 0)
			fatal("%s", cause);
	return v;
}

/* Put every SPEC back as saved and drop the backups (not timed). */
static void
reset_all(const char *root, int n, char **spec, char **v, size_t *lens)
{
	char *cmd, *host, *cause = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (spec[i][0] == '+') {
			host = fsroot_path(root, spec[i] + 1);
			(void)unlink(host);
			free(host);
		} else if (fswrite_file(root, spec[i], v[i], lens[i], NULL,
		    &cause) != 0)
			fatal("%s", cause);
	}
	cmd = xasprintf("rm -rf '%s/var/backups/notspam'", root);
	if (system(cmd) != 0)
		fatal("%s failed", cmd);
	free(cmd);
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* N timed commits. */
static int
time_run(const char *root, size_t pad, int runs, int n, char **spec)
{
	long long *us = xcalloc((size_t)runs, sizeof *us), t0;
	size_t *lens;
	char **v = save_all(root, n, spec, &lens);
	int i;

	for (i = 0; i < runs; i++) {
		reset_all(root, n, spec, v, lens);
		t0 = now_us();
		if (commit(root, pad, n, spec, 1) != 0)
			return 1;
		us[i] = now_us() - t0;
	}
	reset_all(root, n, spec, v, lens);
	qsort(us, (size_t)runs, sizeof *us, cmp_ll);
	printf("min %lld median %lld max %lld\n", us[0], us[runs / 2],
	    us[runs - 1]);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(lens);
	free(us);
	return 0;
}

static int
usage(void)
{
	fputs("usage: txn_driver edit PAD FILE | commit ROOT PAD SPEC... |\n"
	    "       kill ROOT PAD US SPEC... | crash ROOT PAD K before|after "
	    "SPEC... |\n       time ROOT PAD N SPEC...\n", stderr);
	return 64;
}

int
main(int argc, char **argv)
{
	struct buf b;
	char *old = NULL, *cause = NULL;
	size_t len = 0;

	if (argc == 4 && strcmp(argv[1], "edit") == 0) {
		if (strcmp(argv[3], "-") != 0 && fsroot_read(NULL, argv[3], 0,
		    &old, &len, &cause) != 0) {
			fprintf(stderr, "txn_driver: %s\n", cause);
			return 1;
		}
		edit(&b, old, len, (size_t)atol(argv[2]));
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
		free(old);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "commit") == 0)
		return commit(argv[2], (size_t)atol(argv[3]), argc - 4,
		    argv + 4, 0);
	if (argc >= 6 && strcmp(argv[1], "kill") == 0)
		return kill_run(argv[2], (size_t)atol(argv[3]),
		    atoll(argv[4]), argc - 5, argv + 5);
	if (argc >= 7 && strcmp(argv[1], "crash") == 0 && atol(argv[4]) > 0 &&
	    (strcmp(argv[5], "before") == 0 || strcmp(argv[5], "after") == 0))
		return crash_run(argv[2], (size_t)atol(argv[3]),
		    atol(argv[4]), strcmp(argv[5], "after") == 0, argc - 6,
		    argv + 6);
	if (argc >= 6 && strcmp(argv[1], "time") == 0 && atoi(argv[4]) > 0)
		return time_run(argv[2], (size_t)atol(argv[3]), atoi(argv[4]),
		    argc - 5, argv + 5);
	return usage();
}
