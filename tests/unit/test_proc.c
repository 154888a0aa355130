/* test_proc.c: children on the poll loop, with real programs: exit status,
 * both streams, signals, time limits (SIGTERM, then SIGKILL for a child
 * that ignores it), bounded output, argv never given to a shell, stdin,
 * functions run in the child, cancellation, grandchildren holding pipes.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lib/loop.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

/* What a callback saw. */
struct seen {
	int		 calls;
	int		 status;
	int		 signo;
	int		 timed_out;
	char		*out;
	size_t		 outlen;
	int		 out_cut;
	char		*err;
	int		 err_cut;
};

static void
on_done(struct proc_result *res, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->status = res->status;
	s->signo = res->signo;
	s->timed_out = res->timed_out;
	s->out = res->out;
	s->outlen = res->outlen;
	s->out_cut = res->out_cut;
	s->err = res->err;
	s->err_cut = res->err_cut;
	res->out = res->err = NULL;	/* taken */
}

static void
seen_free(struct seen *s)
{
	free(s->out);
	free(s->err);
	memset(s, 0, sizeof *s);
}

/* Run argv on a fresh loop until its callback ran; fills *s. */
static void
run(const char *const argv[], const struct proc_opts *o, struct seen *s)
{
	struct loop *loop = loop_new();
	char *cause = NULL;
	struct proc *p;

	memset(s, 0, sizeof *s);
	p = proc_start(loop, argv, o, on_done, s, &cause);
	if (p == NULL)
		fail_msg("proc_start %s: %s", argv[0], cause);
	assert_int_equal(s->calls, 0);	/* only ever from the loop */
	loop_run(loop, &s->calls);
	assert_int_equal(s->calls, 1);
	assert_false(loop_busy(loop));
	loop_free(loop);
}

/* No child of this process is left (reaped or never made). */
static void
no_child_left(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_status_and_streams(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "echo out; echo err >&2; echo more; exit 3", NULL };
	struct seen s;

	(void)state;
	run(argv, NULL, &s);
	assert_int_equal(s.status, 3);
	assert_int_equal(s.signo, 0);
	assert_false(s.timed_out);
	assert_string_equal(s.out, "out\nmore\n");
	assert_int_equal(s.outlen, 9);
	assert_string_equal(s.err, "err\n");
	seen_free(&s);
	no_child_left();
}

static void
test_merge(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "echo a; echo b >&2; echo c", NULL };
	struct proc_opts o;
	struct seen s;

	(void)state;
	memset(&o, 0, sizeof o);
	o.merge = 1;
	run(argv, &o, &s);
	assert_int_equal(s.status, 0);
	assert_string_equal(s.out, "a\nb\nc\n");
	assert_string_equal(s.err, "");
	seen_free(&s);
}

static void
test_signal_death(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c", "echo bye; kill -9 $$",
	    NULL };
	struct seen s;

	(void)state;
	run(argv, NULL, &s);
	assert_int_equal(s.signo, SIGKILL);
	assert_int_equal(s.status, 128 + SIGKILL);
	assert_false(s.timed_out);
	assert_string_equal(s.out, "bye\n");
	seen_free(&s);
	no_child_left();
}

/* Past the time limit an ordinary child dies of SIGTERM. */
static void
test_timeout_term(void **state)
{
	const char *const argv[] = { "/bin/sleep", "30", NULL };
	struct proc_opts o;
	struct seen s;

	(void)state;
	memset(&o, 0, sizeof o);
	o.timeout_ms = 100;
	o.grace_ms = 10000;
	run(argv, &o, &s);
	assert_true(s.timed_out);
	assert_int_equal(s.signo, SIGTERM);
	assert_int_equal(s.status, 128 + SIGTERM);
	seen_free(&s);
	no_child_left();
}

/* A child that ignores SIGTERM gets SIGKILL after the grace period. */
static void
test_timeout_kill(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "trap '' TERM; echo ready; while :; do sleep 0.05; done", NULL };
	struct proc_opts o;
	struct seen s;

	(void)state;
	memset(&o, 0, sizeof o);
	o.timeout_ms = 300;
	o.grace_ms = 200;
	run(argv, &o, &s);
	assert_true(s.timed_out);
	assert_int_equal(s.signo, SIGKILL);
	assert_string_equal(s.out, "ready\n");
	seen_free(&s);
	/* grace < 0: SIGKILL straight away. */
	o.grace_ms = -1;
	o.timeout_ms = 100;
	run(argv, &o, &s);
	assert_true(s.timed_out);
	assert_int_equal(s.signo, SIGKILL);
	seen_free(&s);
}

/* Output beyond the bound is read and dropped: the child never blocks. */
static void
test_output_bound(void **state)
{
	const char *const yes[] = { "/usr/bin/yes", NULL };
	const char *const lots[] = { "/bin/sh", "-c",
	    "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2; exit 4",
	    NULL };
	struct proc_opts o;
	struct seen s;

	(void)state;
	memset(&o, 0, sizeof o);
	o.max_out = 1000;
	o.timeout_ms = 300;
	run(yes, &o, &s);
	assert_true(s.timed_out);
	assert_int_equal(s.signo, SIGTERM);
	assert_int_equal(s.outlen, 1000);
	assert_int_equal(strlen(s.out), 1000);
	assert_true(s.out_cut);
	assert_true(str_startswith(s.out, "y\ny\ny\n"));
	seen_free(&s);
	/* Much more than a pipe holds, on both streams: it still exits. */
	o.timeout_ms = 20000;
	o.max_out = 100;
	run(lots, &o, &s);
	assert_false(s.timed_out);
	assert_int_equal(s.status, 4);
	assert_int_equal(s.outlen, 100);
	assert_true(s.out_cut);
	assert_true(s.err_cut);
	seen_free(&s);
}

/* Spaces and shell metacharacters in argv are plain bytes. */
static void
test_no_shell(void **state)
{
	char marker[64], a1[128], a2[256];
	const char *argv[6];
	struct seen s;
	char *want;

	(void)state;
	snprintf(marker, sizeof marker, "/tmp/notspam-proc-pwned-%ld",
	    (long)getpid());
	snprintf(a1, sizeof a1, "a  b; touch %s", marker);
	snprintf(a2, sizeof a2, "$(touch %s) `touch %s` | x > y", marker,
	    marker);
	argv[0] = "/bin/echo";
	argv[1] = a1;
	argv[2] = a2;
	argv[3] = "*";
	argv[4] = "$HOME";
	argv[5] = NULL;
	run(argv, NULL, &s);
	want = xasprintf("%s %s * $HOME\n", a1, a2);
	assert_string_equal(s.out, want);
	free(want);
	assert_int_equal(access(marker, F_OK), -1);
	seen_free(&s);
}

/* argv[0]: absolute, or looked up in PATH by us; never relative. */
static void
test_program_lookup(void **state)
{
	const char *const bare[] = { "echo", "found", NULL };
	const char *const rel[] = { "./echo", NULL };
	const char *const none[] = { "notspam-no-such-program", NULL };
	const char *const gone[] = { "/nonexistent/program", NULL };
	const char *const noexec[] = { "/etc/passwd", NULL };
	struct loop *loop = loop_new();
	struct seen s;
	char *cause = NULL, *w;

	(void)state;
	w = proc_which("sh");
	assert_non_null(w);
	assert_true(w[0] == '/');
	free(w);
	assert_null(proc_which("notspam-no-such-program"));
	assert_null(proc_which("bin/sh"));
	run(bare, NULL, &s);
	assert_string_equal(s.out, "found\n");
	seen_free(&s);
	memset(&s, 0, sizeof s);
	assert_null(proc_start(loop, rel, NULL, on_done, &s, &cause));
	assert_non_null(strstr(cause, "not an absolute path"));
	free(cause);
	assert_null(proc_start(loop, none, NULL, on_done, &s, &cause));
	assert_non_null(strstr(cause, "no such program in PATH"));
	free(cause);
	/* The exec failure comes back from the child as an error. */
	assert_null(proc_start(loop, gone, NULL, on_done, &s, &cause));
	assert_non_null(strstr(cause, "cannot run /nonexistent/program: No "
	    "such file or directory"));
	free(cause);
	assert_null(proc_start(loop, noexec, NULL, on_done, &s, &cause));
	assert_non_null(strstr(cause, "Permission denied"));
	free(cause);
	assert_int_equal(s.calls, 0);
	assert_false(loop_busy(loop));
	loop_free(loop);
	no_child_left();
}

static void
test_stdin(void **state)
{
	const char *const cat[] = { "/bin/cat", NULL };
	struct proc_opts o;
	struct seen s;
	int p[2];

	(void)state;
	run(cat, NULL, &s);		/* /dev/null: at once, nothing */
	assert_int_equal(s.status, 0);
	assert_string_equal(s.out, "");
	seen_free(&s);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "through stdin\n", 14), 14);
	close(p[1]);
	memset(&o, 0, sizeof o);
	o.stdin_fd = p[0];
	run(cat, &o, &s);
	close(p[0]);
	assert_string_equal(s.out, "through stdin\n");
	seen_free(&s);
}

static int
child_fn(void *arg)
{
	printf("from the child: %s\n", (const char *)arg);
	fflush(stdout);
	fprintf(stderr, "to stderr\n");
	return 7;
}

/* proc_start_fn: a function in the forked child, same plumbing. */
static void
test_fn(void **state)
{
	struct loop *loop = loop_new();
	struct seen s;
	char *cause = NULL, word[] = "hello";

	(void)state;
	memset(&s, 0, sizeof s);
	assert_non_null(proc_start_fn(loop, "test child", child_fn, word,
	    NULL, on_done, &s, &cause));
	loop_run(loop, &s.calls);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.status, 7);
	assert_string_equal(s.out, "from the child: hello\n");
	assert_string_equal(s.err, "to stderr\n");
	seen_free(&s);
	loop_free(loop);
	no_child_left();
}

/* Cancel: killed and reaped at once, no callback, nothing left. */
static void
test_cancel(void **state)
{
	const char *const argv[] = { "/bin/sleep", "30", NULL };
	struct loop *loop = loop_new();
	struct proc *p;
	struct seen s;
	char *cause = NULL;

	(void)state;
	memset(&s, 0, sizeof s);
	p = proc_start(loop, argv, NULL, on_done, &s, &cause);
	assert_non_null(p);
	assert_true(proc_pid(p) > 0);
	assert_true(loop_busy(loop));
	proc_cancel(p);
	assert_false(loop_busy(loop));
	assert_int_equal(loop_once(loop, 50), 0);
	assert_int_equal(s.calls, 0);
	no_child_left();
	loop_free(loop);
}

/* Several children on one loop at once, each with its own result. */
static void
test_concurrent(void **state)
{
	struct loop *loop = loop_new();
	struct seen s[5];
	char script[5][64], *cause = NULL, want[32];
	const char *argv[5][4];
	int i, all = 0;

	(void)state;
	for (i = 0; i < 5; i++) {
		memset(&s[i], 0, sizeof s[i]);
		snprintf(script[i], sizeof script[i],
		    "sleep 0.%d; echo child %d; exit %d", 5 - i, i, i);
		argv[i][0] = "/bin/sh";
		argv[i][1] = "-c";
		argv[i][2] = script[i];
		argv[i][3] = NULL;
		assert_non_null(proc_start(loop, argv[i], NULL, on_done, &s[i],
		    &cause));
	}
	while (loop_busy(loop))
		assert_true(loop_once(loop, -1) >= 0);
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof want, "child %d\n", i);
		assert_int_equal(s[i].calls, 1);
		assert_int_equal(s[i].status, i);
		assert_string_equal(s[i].out, want);
		all += s[i].calls;
		seen_free(&s[i]);
	}
	assert_int_equal(all, 5);
	loop_free(loop);
	no_child_left();
}

/* A grandchild that keeps the pipes open does not hold the result back:
 * the child is reaped by the loop's waitpid polling. */
static void
test_grandchild_holds_pipe(void **state)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "sleep 30 & echo $!; exit 5", NULL };
	struct seen s;
	pid_t gc;

	(void)state;
	run(argv, NULL, &s);
	assert_int_equal(s.status, 5);
	gc = (pid_t)atol(s.out);
	assert_true(gc > 0);
	/* Still running: the result did not wait for it. */
	assert_int_equal(kill(gc, 0), 0);
	kill(gc, SIGKILL);
	seen_free(&s);
}

/* The blocking form on its private loop keeps its contract. */
static void
test_proc_run(void **state)
{
	const char *const both[] = { "/bin/sh", "-c", "echo 1; echo 2 >&2; "
	    "echo 3; exit 2", NULL };
	const char *const slow[] = { "/bin/sh", "-c", "trap '' TERM; sleep 5",
	    NULL };
	char *out = NULL, *cause = NULL;
	int status = -1;

	(void)state;
	assert_int_equal(proc_run(both, 5000, 1024, &out, &status, &cause), 0);
	assert_int_equal(status, 2);
	assert_string_equal(out, "1\n2\n3\n");
	free(out);
	/* SIGKILL at the deadline, even for a child ignoring SIGTERM. */
	assert_int_equal(proc_run(slow, 200, 1024, &out, &status, &cause), -1);
	assert_non_null(strstr(cause, "no answer within 200 ms"));
	free(cause);
	assert_int_equal(proc_run(both, 5000, 0, &out, &status, &cause), 0);
	assert_string_equal(out, "");
	free(out);
}

/* proc_same_pidns: this process and its child share the namespace; a
 * process in a PID namespace of its own (unshare -p, as the real-daemon
 * tests and containers run their daemons) does not; a pid /proc cannot
 * tell about counts as the same. */
static void
test_same_pidns(void **state)
{
	char *out;
	long pid = 0;
	pid_t child;
	int st, i;

	(void)state;
	assert_int_equal(proc_same_pidns(NULL, (long)getpid()), 1);
	assert_int_equal(proc_same_pidns("/nonexistent", 1), 1);
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	assert_true(child > 0);
	assert_int_equal(proc_same_pidns(NULL, (long)child), 1);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	if (geteuid() != 0 || access("/usr/bin/unshare", X_OK) != 0)
		skip();
	/* The sleep's pid as this namespace sees it. */
	out = test_run("/usr/bin/unshare -p -f --mount-proc sleep 30 "
	    ">/dev/null 2>&1 & sleep 0.3; pgrep -n -x sleep");
	pid = strtol(out, NULL, 10);
	free(out);
	if (pid <= 0)
		skip();
	for (i = 0; i < 10 && proc_same_pidns(NULL, pid) == 1; i++)
		usleep(100 * 1000);
	assert_int_equal(proc_same_pidns(NULL, pid), 0);
	kill((pid_t)pid, SIGKILL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_and_streams),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_signal_death),
		cmocka_unit_test(test_timeout_term),
		cmocka_unit_test(test_timeout_kill),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_no_shell),
		cmocka_unit_test(test_program_lookup),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_fn),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_proc_run),
		cmocka_unit_test(test_same_pidns),
	};

	signal(SIGPIPE, SIG_IGN);	/* as notspam runs */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
