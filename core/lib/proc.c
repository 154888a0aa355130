/* proc.c: run a program with argv (no shell), bounded output and time. */
#include "core/lib/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/util.h"

extern char **environ;

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: wire stdin to /dev/null, stdout+stderr to fd, exec. */
static void
proc_child(const char *const argv[], int fd)
{
	int null = open("/dev/null", O_RDONLY);

	if (null != -1) {
		dup2(null, 0);
		close(null);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	execve(argv[0], (char *const *)argv, environ);
	_exit(127);
}

int
proc_run(const char *const argv[], int timeout_ms, size_t max, char **out,
    int *status, char **cause)
{
	int fds[2], wstatus, rc = -1, timed_out = 0;
	pid_t pid;
	struct buf b;
	char chunk[4096];
	long deadline = now_ms() + timeout_ms;
	ssize_t n;

	buf_init(&b);
	if (argv[0] == NULL || argv[0][0] != '/')
		return error_set(cause, "proc_run: %s is not an absolute path",
		    argv[0] ? argv[0] : "(null)");
	if (pipe(fds) == -1)
		return error_set(cause, "pipe: %s", strerror(errno));
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return error_set(cause, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		proc_child(argv, fds[1]);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		long left = deadline - now_ms();

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = read(fds[0], chunk, sizeof chunk);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		if (b.len < max)
			buf_add(&b, chunk, (size_t)n > max - b.len ?
			    max - b.len : (size_t)n);
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
		;
	if (timed_out) {
		error_set(cause, "%s: no answer within %d ms, stopped it",
		    argv[0], timeout_ms);
		goto done;
	}
	if (WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
	else
		*status = 128 + WTERMSIG(wstatus);
	*out = buf_steal(&b);
	rc = 0;
done:
	buf_free(&b);
	return rc;
}
