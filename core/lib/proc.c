/* proc.c: child processes without a shell, on the poll loop. */
#include "core/lib/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lib/loop.h"
#include "core/lib/util.h"

extern char **environ;

/* waitpid polling: while the pipes are open (a grandchild may hold them
 * after the child is gone), and once they closed (quickly, then slower). */
#define PROC_TICK_OPEN_MS	200
#define PROC_TICK_MAX_MS	100

#define PROC_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct proc {
	struct loop	*loop;
	char		*name;		/* for messages */
	pid_t		 pid;
	int		 fd[2];		/* stdout, stderr read ends; -1 closed */
	struct buf	 b[2];
	int		 cut[2];
	size_t		 max;
	int		 grace_ms;
	int		 timed_out;
	int		 tick_ms;
	uint64_t	 t_timeout;	/* loop timer ids, 0 when not armed */
	uint64_t	 t_kill;
	uint64_t	 t_tick;
	proc_cb		 cb;
	void		*arg;
};

/* What the child runs: a program (exe, argv) or a function. */
struct proc_what {
	const char		*exe;
	const char *const	*argv;
	proc_fn			 fn;
	void			*fn_arg;
};

static void proc_tick(void *);

char *
proc_which(const char *name)
{
	const char *path = getenv("PATH"), *p, *colon;
	struct stat sb;
	char *cand;
	size_t len;

	if (name == NULL || *name == '\0')
		return NULL;
	if (strchr(name, '/') != NULL)
		return name[0] == '/' ? xstrdup(name) : NULL;
	if (path == NULL || *path == '\0')
		path = PROC_DEFAULT_PATH;
	for (p = path; *p != '\0'; p = *colon ? colon + 1 : colon) {
		colon = p + strcspn(p, ":");
		len = (size_t)(colon - p);
		if (len == 0 || p[0] != '/')
			continue;	/* "" and relative entries mean "." */
		cand = xasprintf("%.*s/%s", (int)len, p, name);
		if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return NULL;
}

/* Move fd above the standard descriptors (close-on-exec); -1 on error. */
static int
proc_fd_high(int fd)
{
	int nfd;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return nfd;
}

/* A pipe with both ends above 2 and close-on-exec; -1 with errno. */
static int
proc_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	p[0] = proc_fd_high(p[0]);
	p[1] = proc_fd_high(p[1]);
	if (p[0] == -1 || p[1] == -1) {
		if (p[0] != -1)
			close(p[0]);
		if (p[1] != -1)
			close(p[1]);
		return -1;
	}
	return 0;
}

static void
proc_close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* In the child: default signal actions (none of the parent's handlers or
 * ignored signals, SIGPIPE included), nothing blocked. */
static void
proc_child_signals(void)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM,
	    SIGALRM, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH, SIGTSTP, SIGTTIN,
	    SIGTTOU };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child: wire the descriptors, then exec or run the function. */
static void
proc_child(const struct proc_what *w, int in, int out, int err, int status)
{
	int null, saved, rc;

	proc_child_signals();
	if (in > 0)
		dup2(in, STDIN_FILENO);
	else if ((null = open("/dev/null", O_RDONLY)) != -1) {
		dup2(null, STDIN_FILENO);
		if (null != STDIN_FILENO)
			close(null);
	}
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	if (w->fn != NULL) {
		/* No exec to close them: the pipe ends go by hand. */
		close(out);
		if (err != out)
			close(err);
		util_set_fatal_hook(NULL);
		rc = w->fn(w->fn_arg);
		_exit(rc & 0xff);
	}
	execve(w->exe, (char *const *)w->argv, environ);
	saved = errno;
	(void)!write(status, &saved, sizeof saved);
	_exit(127);
}

/* Stop watching and close stream i. */
static void
proc_stream_close(struct proc *p, int i)
{
	if (p->fd[i] == -1)
		return;
	loop_fd_set(p->loop, p->fd[i], 0, NULL, NULL);
	close(p->fd[i]);
	p->fd[i] = -1;
}

/* Read what stream i has without blocking; keeps up to max bytes. */
static void
proc_drain(struct proc *p, int i)
{
	char chunk[8192];
	size_t keep;
	ssize_t n;

	while (p->fd[i] != -1) {
		n = read(p->fd[i], chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			proc_stream_close(p, i);
			return;
		}
		keep = p->b[i].len < p->max ? p->max - p->b[i].len : 0;
		if ((size_t)n > keep)
			p->cut[i] = 1;
		if (keep > 0)
			buf_add(&p->b[i], chunk, (size_t)n < keep ? (size_t)n :
			    keep);
	}
}

static void
proc_timer_cancel(struct proc *p, uint64_t *id)
{
	if (*id != 0)
		loop_timer_cancel(p->loop, *id);
	*id = 0;
}

/* Free everything of p but the child (reaped or killed by the caller). */
static void
proc_free(struct proc *p)
{
	proc_stream_close(p, 0);
	proc_stream_close(p, 1);
	proc_timer_cancel(p, &p->t_timeout);
	proc_timer_cancel(p, &p->t_kill);
	proc_timer_cancel(p, &p->t_tick);
	buf_free(&p->b[0]);
	buf_free(&p->b[1]);
	free(p->name);
	free(p);
}

/* The child is reaped with wait status st: hand the result over. */
static void
proc_finish(struct proc *p, int st)
{
	struct proc_result res;

	proc_drain(p, 0);
	proc_drain(p, 1);
	memset(&res, 0, sizeof res);
	if (WIFSIGNALED(st)) {
		res.signo = WTERMSIG(st);
		res.status = 128 + res.signo;
	} else
		res.status = WEXITSTATUS(st);
	res.timed_out = p->timed_out;
	res.outlen = p->b[0].len;
	res.out = buf_steal(&p->b[0]);
	res.out_cut = p->cut[0];
	res.errlen = p->b[1].len;
	res.err = buf_steal(&p->b[1]);
	res.err_cut = p->cut[1];
	p->cb(&res, p->arg);
	free(res.out);
	free(res.err);
	proc_free(p);
}

/* waitpid without blocking; 1 (and p is gone) once the child is reaped. */
static int
proc_try_reap(struct proc *p)
{
	pid_t r;
	int st = 0;

	while ((r = waitpid(p->pid, &st, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == 0)
		return 0;
	if (r == -1)
		st = 0xff00;	/* reaped elsewhere (ECHILD): status 255 */
	proc_finish(p, st);
	return 1;
}

/* (Re)arm the waitpid timer. */
static void
proc_tick_arm(struct proc *p)
{
	proc_timer_cancel(p, &p->t_tick);
	if (p->fd[0] != -1 || p->fd[1] != -1)
		p->tick_ms = PROC_TICK_OPEN_MS;
	p->t_tick = loop_timer_add(p->loop, p->tick_ms, proc_tick, p);
}

static void
proc_tick(void *arg)
{
	struct proc *p = arg;

	p->t_tick = 0;
	if (proc_try_reap(p))
		return;
	if (p->fd[0] == -1 && p->fd[1] == -1 && p->tick_ms < PROC_TICK_MAX_MS)
		p->tick_ms *= 2;
	proc_tick_arm(p);
}

static void
proc_on_read(int fd, short revents, void *arg)
{
	struct proc *p = arg;

	(void)revents;
	proc_drain(p, fd == p->fd[0] ? 0 : 1);
	if (p->fd[0] != -1 || p->fd[1] != -1)
		return;
	/* Both closed: the child is exiting; reap it soon. */
	if (proc_try_reap(p))
		return;
	p->tick_ms = 1;
	proc_tick_arm(p);
}

static void
proc_on_kill(void *arg)
{
	struct proc *p = arg;

	p->t_kill = 0;
	kill(p->pid, SIGKILL);
}

static void
proc_on_timeout(void *arg)
{
	struct proc *p = arg;

	p->t_timeout = 0;
	p->timed_out = 1;
	if (p->grace_ms < 0) {
		kill(p->pid, SIGKILL);
		return;
	}
	kill(p->pid, SIGTERM);
	p->t_kill = loop_timer_add(p->loop, p->grace_ms, proc_on_kill, p);
}

/* After an exec failure reported through the status pipe: reap. */
static void
proc_reap_failed(pid_t pid)
{
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

/* Fork the child of w and set up its watching; see proc_start. */
static struct proc *
proc_spawn(struct loop *loop, const char *name, const struct proc_what *w,
    const struct proc_opts *opts, proc_cb cb, void *arg, char **cause)
{
	struct proc_opts none;
	struct proc *p;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, st[2] = { -1, -1 };
	int childerr = 0, i;
	ssize_t n;
	pid_t pid;

	if (opts == NULL) {
		memset(&none, 0, sizeof none);
		opts = &none;
	}
	if (proc_pipe(out) == -1 || (!opts->merge && proc_pipe(err) == -1) ||
	    (w->fn == NULL && proc_pipe(st) == -1)) {
		error_set(cause, "%s: cannot make a pipe: %s", name,
		    strerror(errno));
		goto fail;
	}
	if (w->fn != NULL)
		fflush(NULL);	/* the child must not write it again */
	if ((pid = fork()) == -1) {
		error_set(cause, "%s: cannot fork: %s", name, strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		close(out[0]);
		if (err[0] != -1)
			close(err[0]);
		if (st[0] != -1)
			close(st[0]);
		proc_child(w, opts->stdin_fd, out[1],
		    opts->merge ? out[1] : err[1], st[1]);
	}
	close(out[1]);
	out[1] = -1;
	if (err[1] != -1)
		close(err[1]);
	err[1] = -1;
	if (st[1] != -1) {
		close(st[1]);
		st[1] = -1;
		/* EOF as soon as the exec succeeded (close-on-exec). */
		while ((n = read(st[0], &childerr, sizeof childerr)) == -1 &&
		    errno == EINTR)
			;
		close(st[0]);
		st[0] = -1;
		if (n == (ssize_t)sizeof childerr) {
			proc_reap_failed(pid);
			error_set(cause, "cannot run %s: %s", name,
			    strerror(childerr));
			goto fail;
		}
	}
	p = xcalloc(1, sizeof *p);
	p->loop = loop;
	p->name = xstrdup(name);
	p->pid = pid;
	p->fd[0] = out[0];
	p->fd[1] = err[0];
	p->max = opts->max_out != 0 ? opts->max_out : PROC_MAX_OUT;
	p->grace_ms = opts->grace_ms != 0 ? opts->grace_ms : PROC_GRACE_MS;
	p->cb = cb;
	p->arg = arg;
	buf_init(&p->b[0]);
	buf_init(&p->b[1]);
	for (i = 0; i < 2; i++) {
		if (p->fd[i] == -1)
			continue;
		(void)fcntl(p->fd[i], F_SETFL,
		    fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
		loop_fd_set(loop, p->fd[i], POLLIN, proc_on_read, p);
	}
	if (opts->timeout_ms > 0)
		p->t_timeout = loop_timer_add(loop, opts->timeout_ms,
		    proc_on_timeout, p);
	proc_tick_arm(p);
	return p;
fail:
	proc_close_pair(out);
	proc_close_pair(err);
	proc_close_pair(st);
	return NULL;
}

struct proc *
proc_start(struct loop *loop, const char *const argv[],
    const struct proc_opts *opts, proc_cb cb, void *arg, char **cause)
{
	struct proc_what w;
	struct proc *p;
	char *exe;

	if (argv == NULL || argv[0] == NULL || *argv[0] == '\0') {
		error_set(cause, "proc_start: no program given");
		return NULL;
	}
	if (strchr(argv[0], '/') != NULL && argv[0][0] != '/') {
		error_set(cause, "%s: not an absolute path", argv[0]);
		return NULL;
	}
	if ((exe = proc_which(argv[0])) == NULL) {
		error_set(cause, "%s: no such program in PATH", argv[0]);
		return NULL;
	}
	memset(&w, 0, sizeof w);
	w.exe = exe;
	w.argv = argv;
	p = proc_spawn(loop, exe, &w, opts, cb, arg, cause);
	free(exe);
	return p;
}

struct proc *
proc_start_fn(struct loop *loop, const char *name, proc_fn fn, void *fn_arg,
    const struct proc_opts *opts, proc_cb cb, void *arg, char **cause)
{
	struct proc_what w;

	memset(&w, 0, sizeof w);
	w.fn = fn;
	w.fn_arg = fn_arg;
	return proc_spawn(loop, name != NULL ? name : "child", &w, opts, cb,
	    arg, cause);
}

pid_t
proc_pid(const struct proc *p)
{
	return p->pid;
}

void
proc_cancel(struct proc *p)
{
	if (p == NULL)
		return;
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
		;
	proc_free(p);
}

/* proc_run's view of the result. */
struct proc_run_ctx {
	int		 done;
	int		 status;
	int		 timed_out;
	char		*out;
};

static void
proc_run_done(struct proc_result *res, void *arg)
{
	struct proc_run_ctx *c = arg;

	c->done = 1;
	c->status = res->status;
	c->timed_out = res->timed_out;
	c->out = res->out;
	res->out = NULL;
}

int
proc_run(const char *const argv[], int timeout_ms, size_t max, char **out,
    int *status, char **cause)
{
	struct proc_opts o;
	struct proc_run_ctx c;
	struct loop *loop;

	if (argv[0] == NULL || argv[0][0] != '/')
		return error_set(cause, "proc_run: %s is not an absolute path",
		    argv[0] ? argv[0] : "(null)");
	memset(&o, 0, sizeof o);
	o.timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	o.grace_ms = -1;	/* SIGKILL at the deadline */
	o.max_out = max > 0 ? max : 1;
	o.merge = 1;
	memset(&c, 0, sizeof c);
	loop = loop_new();
	if (proc_start(loop, argv, &o, proc_run_done, &c, cause) == NULL) {
		loop_free(loop);
		return -1;
	}
	loop_run(loop, &c.done);
	loop_free(loop);
	if (c.timed_out) {
		free(c.out);
		return error_set(cause, "%s: no answer within %d ms, stopped it",
		    argv[0], timeout_ms);
	}
	if (max == 0)
		c.out[0] = '\0';
	*status = c.status;
	*out = c.out;
	return 0;
}

int
proc_run_words(const struct strv *argv, int timeout_ms, size_t max,
    struct strv *ran, char **cause)
{
	struct buf line;
	const char **v;
	char *exe, *out = NULL, *why = NULL;
	size_t i;
	int status = 0, rc;

	buf_init(&line);
	for (i = 0; i < argv->n; i++)
		buf_printf(&line, "%s%s", i > 0 ? " " : "", argv->v[i]);
	buf_add(&line, "", 0);
	if (ran != NULL)
		strv_add(ran, line.data);
	if (argv->n == 0 || (exe = proc_which(argv->v[0])) == NULL) {
		rc = error_set(cause, "cannot run %s: no such program",
		    line.data);
		buf_free(&line);
		return rc;
	}
	v = xcalloc(argv->n + 1, sizeof *v);
	v[0] = exe;
	for (i = 1; i < argv->n; i++)
		v[i] = argv->v[i];
	rc = proc_run(v, timeout_ms, max, &out, &status, &why);
	if (rc != 0)
		error_set(cause, "%s: %s", line.data, why);
	else if (status != 0)
		rc = error_set(cause, "%s exited with status %d: %s",
		    line.data, status, str_trim(out));
	free(why);
	free(out);
	free(v);
	free(exe);
	buf_free(&line);
	return rc;
}

int
proc_same_pidns(const char *procdir, long pid)
{
	char path[4096], mine[256], theirs[256];
	ssize_t a, b;

	if (procdir == NULL)
		procdir = "/proc";
	snprintf(path, sizeof path, "%s/self/ns/pid", procdir);
	if ((a = readlink(path, mine, sizeof mine - 1)) <= 0)
		return 1;
	snprintf(path, sizeof path, "%s/%ld/ns/pid", procdir, pid);
	if ((b = readlink(path, theirs, sizeof theirs - 1)) <= 0)
		return 1;
	mine[a] = theirs[b] = '\0';
	return strcmp(mine, theirs) == 0;
}
