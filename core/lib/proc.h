/* proc.h: running child processes without a shell, on the poll loop.
 *
 * argv is passed to execve() as is: no shell, no word splitting, no
 * globbing, so no user string can become a command.  argv[0] is an absolute
 * path, or a bare name that proc_which() looks up in PATH (never execvp).
 *
 * proc_start() runs a child on the loop (core/lib/loop.h): its stdout and
 * stderr come back through non-blocking pipes watched by the loop, each
 * kept up to a bound (the rest is read and dropped, so the child never
 * blocks on a full pipe); a time limit sends SIGTERM, then SIGKILL after a
 * grace period; the child is reaped with waitpid(WNOHANG) once its pipes
 * close (polled by a loop timer: no SIGCHLD handler, no global state), and
 * the exit callback gets the status and both streams.  proc_start_fn() does
 * the same for a function run in the forked child instead of a program.
 *
 * The blocking proc_run() is for code that runs no loop (detection at
 * start-up); it runs the same machinery on a private loop.
 *
 * Children start with SIGPIPE back at its default action (notspam itself
 * ignores it to report EPIPE), in the parent's process group.
 */
#ifndef NOTSPAM_PROC_H
#define NOTSPAM_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct loop;

/* Bytes kept of each stream when proc_opts.max_out is 0. */
#define PROC_MAX_OUT	(64u * 1024)
/* Time between SIGTERM and SIGKILL when proc_opts.grace_ms is 0. */
#define PROC_GRACE_MS	2000

struct proc_opts {
	int	 stdin_fd;	/* the child's stdin (the parent keeps its
				   copy open); 0 or -1: /dev/null.  The
				   parent's own stdin is never passed */
	int	 timeout_ms;	/* SIGTERM after this long; 0: no limit */
	int	 grace_ms;	/* then SIGKILL after this long; 0:
				   PROC_GRACE_MS; < 0: SIGKILL at once */
	size_t	 max_out;	/* bytes kept of each stream; 0: PROC_MAX_OUT */
	int	 merge;		/* stderr goes into stdout (one stream, in
				   the order written); err stays empty */
};

struct proc_result {
	int	 status;	/* exit status, or 128 + the signal */
	int	 signo;		/* the signal that ended it, or 0 */
	int	 timed_out;	/* it outlived timeout_ms and was stopped */
	char	*out;		/* stdout, NUL-terminated (never NULL) */
	size_t	 outlen;
	int	 out_cut;	/* more than max_out bytes came: dropped */
	char	*err;		/* stderr, likewise */
	size_t	 errlen;
	int	 err_cut;
};

/*
 * Called once, from the loop, when the child has been reaped.  The callback
 * may take res->out and res->err (set them to NULL; then it frees them);
 * the rest is freed after it returns, and the proc handle with it: the
 * handle must not be used (nor cancelled) from the callback on.
 */
typedef void (*proc_cb)(struct proc_result *res, void *arg);

/* A function run in the forked child; its return value is the exit status
 * (0..255).  stdout and stderr are the capture pipes. */
typedef int (*proc_fn)(void *arg);

struct proc;

/*
 * Start argv (see above; opts may be NULL for the defaults) on loop.
 * Returns the handle, or NULL with *cause: argv[0] not found, not
 * absolute, or the exec failed (the child reports its errno through a
 * close-on-exec pipe before proc_start returns), or pipe/fork failed.
 * Nothing is called back when it returns NULL.
 */
struct proc *proc_start(struct loop *, const char *const argv[],
    const struct proc_opts *, proc_cb, void *arg, char **cause);

/*
 * The same with fn(fn_arg) run in the forked child instead of a program:
 * for work that must not block the loop yet needs this process's memory
 * (key generation).  The child keeps copies of every descriptor the parent
 * had; it leaves with _exit() (no atexit handlers, no stdio flush: buffered
 * stdio output is flushed by proc_start_fn before the fork) and never runs
 * the fatal hook of the parent.  name labels the child in messages.
 */
struct proc *proc_start_fn(struct loop *, const char *name, proc_fn fn,
    void *fn_arg, const struct proc_opts *, proc_cb, void *arg,
    char **cause);

pid_t proc_pid(const struct proc *);

/* Stop at once: SIGKILL, reap, close the pipes, free; no callback. */
void proc_cancel(struct proc *);

/*
 * The absolute path of program `name` as execvp would find it, but looked
 * up here: in $PATH (or "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
 * /sbin:/bin" when unset), only absolute directories, the first regular
 * executable file.  A name with a '/' is returned as is when absolute.
 * Caller frees; NULL when not found.
 */
char *proc_which(const char *name);

/*
 * Run argv[0] (an absolute path) with argv, stdin from /dev/null, and collect
 * stdout and stderr together (at most max bytes, the rest discarded) into
 * *out (NUL-terminated, caller frees).  Kill it after timeout_ms.  *status
 * gets the exit status (128+signal if killed).  Returns 0 when it ran, -1
 * with *cause when it could not be started or timed out.  Blocks: only for
 * code that runs no loop.
 */
int proc_run(const char *const argv[], int timeout_ms, size_t max, char **out,
    int *status, char **cause);

/*
 * Is process pid in this process's PID namespace?  0 when procdir/PID/
 * ns/pid names another namespace than procdir/self/ns/pid (a container's,
 * a test's private namespace: its daemons, though /proc shows them, are
 * not this machine's and read another /etc); 1 otherwise, also when it
 * cannot be told (no /proc, no permission, a captured /proc without ns).
 * procdir NULL: "/proc".
 */
int proc_same_pidns(const char *procdir, long pid);

struct strv;

/*
 * Run a command given as words (argv->v[0] a program name, looked up with
 * proc_which) through proc_run.  The words joined by blanks are appended
 * to ran (when not NULL).  Returns 0 when it ran and exited 0; -1 with
 * *cause naming the command and saying why (not found, could not start
 * or timed out, or its exit status and output).  Blocks, as proc_run.
 */
int proc_run_words(const struct strv *argv, int timeout_ms, size_t max,
    struct strv *ran, char **cause);

#endif
