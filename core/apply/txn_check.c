/* txn_check.c: a transaction's stage and its checkers. */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/apply/manifest.h"
#include "core/apply/txn.h"
#include "core/apply/txn_int.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/loop.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

/* nftw callback: remove one entry of the stage. */
int
txn_rm_one(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		(void)rmdir(p);
	else
		(void)unlink(p);
	return 0;
}

/* Stage directories are made under the stage parent with this prefix. */
#define TXN_STAGE_PREFIX	"notspam-stage-"
/* A stage left by a process that no longer holds it is removed once it
 * is this old (seconds): a stage just made is not locked yet. */
#define TXN_STAGE_AGE		60

/* Remove the stage directory, if any. */
void
txn_unstage(struct txn *t)
{
	if (t->stage == NULL)
		return;
	(void)nftw(t->stage, txn_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t->stage);
	t->stage = NULL;
	if (t->stage_fd != -1)
		close(t->stage_fd);
	t->stage_fd = -1;
}

/*
 * Remove the stage directories under parent that killed transactions left
 * (a SIGKILL or a crash while the checkers ran leaves the edited copies
 * there): this user's, older than TXN_STAGE_AGE, and whose flock nobody
 * holds (a transaction holds its stage's until it removes it; the lock
 * goes with the process, whatever its PID namespace).
 */
static void
txn_stage_sweep(const char *parent)
{
	struct dirent *de;
	struct stat sb;
	char *host;
	time_t now = time(NULL);
	DIR *d;
	int fd;

	if ((d = opendir(parent)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, TXN_STAGE_PREFIX,
		    strlen(TXN_STAGE_PREFIX)) != 0 ||
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    -1 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
		    now - sb.st_mtime < TXN_STAGE_AGE)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			host = xasprintf("%s/%s", parent, de->d_name);
			(void)nftw(host, txn_rm_one, 16, FTW_DEPTH | FTW_PHYS);
			free(host);
		}
		close(fd);
	}
	closedir(d);
}

/* A new checker slot. */
static struct txn_check *
txn_check_slot(struct txn *t, const char *name)
{
	struct txn_check *c;

	t->checks = xgrow(t->checks, t->nchecks, sizeof *t->checks);
	c = &t->checks[t->nchecks++];
	c->name = xstrdup(name);
	strv_init(&c->argv);
	t->checked = 0;
	return c;
}

/* s with every TXN_STAGE replaced by with; caller frees. */
static char *
txn_subst(const char *s, const char *with)
{
	struct buf b;
	const char *hit;
	size_t n = strlen(TXN_STAGE);

	buf_init(&b);
	while ((hit = strstr(s, TXN_STAGE)) != NULL) {
		buf_add(&b, s, (size_t)(hit - s));
		buf_adds(&b, with);
		s = hit + n;
	}
	buf_adds(&b, s);
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

void
txn_add_check(struct txn *t, const char *const argv[], int flags)
{
	struct txn_check *c;
	struct buf name;
	char *w;
	size_t i;

	buf_init(&name);
	for (i = 0; argv[i] != NULL; i++) {
		w = txn_subst(argv[i], "");
		buf_printf(&name, "%s%s", i > 0 ? " " : "", w);
		free(w);
	}
	buf_add(&name, "", 0);
	c = txn_check_slot(t, name.data);
	buf_free(&name);
	for (i = 0; argv[i] != NULL; i++)
		strv_add(&c->argv, argv[i]);
	c->flags = flags;
}

void
txn_add_check_fn(struct txn *t, const char *name, txn_check_fn fn, void *arg)
{
	struct txn_check *c = txn_check_slot(t, name);

	c->fn = fn;
	c->arg = arg;
}

char *
txn_stage_path(const struct txn *t, const char *path)
{
	if (t->stage == NULL || path == NULL || path[0] != '/')
		return NULL;
	return xasprintf("%s%s", t->stage, path);
}

/*
 * Staging.
 */

char *
txn_dirname(const char *p)
{
	const char *slash = strrchr(p, '/');

	if (slash == NULL || slash == p)
		return xstrdup("/");
	return xstrndup(p, (size_t)(slash - p));
}

/* Stage one file: STAGE/path, with the mode it will have.  Its times are
 * set 10 s back: Postfix waits while a file it reads was modified within
 * the last second (dict_load_file: "file is being modified"), which made
 * every postconf and postfix check of a fresh stage wait 2 s. */
static int
txn_stage_file(struct txn *t, const struct txn_file *f, char **cause)
{
	struct fswrite_opts o;
	struct stat sb;
	struct timespec ts[2];
	char *dir = txn_dirname(f->path), *host;
	int rc;

	memset(&o, 0, sizeof o);
	o.mode = f->new_mode;
	if (!f->exact && f->old_exists && fsroot_stat(t->root, f->path,
	    &sb) == 0)
		o.mode = sb.st_mode & 07777;
	rc = manifest_mkdirs(t->stage, dir, 0700, 0700, cause);
	if (rc == 0)
		rc = fswrite_file(t->stage, f->path, f->new, f->newlen, &o,
		    cause);
	if (rc == 0) {
		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= 10;
		ts[1] = ts[0];
		host = xasprintf("%s%s", t->stage, f->path);
		(void)utimensat(AT_FDCWD, host, ts, AT_SYMLINK_NOFOLLOW);
		free(host);
	}
	free(dir);
	return rc;
}

/* Make the stage directory and write every edited copy into it. */
static int
txn_stage(struct txn *t, char **cause)
{
	char *why = NULL;
	size_t i;

	if (t->stage != NULL)
		return 0;
	txn_stage_sweep(t->stage_parent);
	t->stage = xasprintf("%s/" TXN_STAGE_PREFIX "XXXXXX", t->stage_parent);
	if (mkdtemp(t->stage) == NULL) {
		fswrite_error(cause, "make a staging directory in",
		    t->stage_parent, errno);
		if (cause != NULL && *cause != NULL) {
			why = *cause;
			*cause = xasprintf("%s; nothing was changed", why);
			free(why);
		}
		free(t->stage);
		t->stage = NULL;
		return -1;
	}
	t->stage_fd = open(t->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->stage_fd != -1 && flock(t->stage_fd, LOCK_EX | LOCK_NB) == -1) {
		close(t->stage_fd);
		t->stage_fd = -1;
	}
	for (i = 0; i < t->nfiles; i++) {
		const struct txn_file *f = &t->files[i];
		if (f->new == NULL || (f->flags & TXN_SECRET))
			continue;
		if (txn_stage_file(t, f, &why) != 0) {
			error_set(cause, "cannot stage the edited %s for its "
			    "check: %s; nothing was changed", f->path, why);
			free(why);
			txn_unstage(t);
			return -1;
		}
	}
	return 0;
}

/*
 * Checks.
 */

/* s with the stage directory cut out (in place). */
static void
txn_unstage_text(const struct txn *t, char *s)
{
	size_t n = strlen(t->stage);
	char *hit;

	while ((hit = strstr(s, t->stage)) != NULL)
		memmove(hit, hit + n, strlen(hit + n) + 1);
}

/* A new result slot in the report. */
static struct txn_check_result *
txn_result(struct txn *t, const struct txn_check *c)
{
	struct txn_report *r = t->report;
	struct txn_check_result *res;

	r->checks = xgrow(r->checks, r->nchecks, sizeof *r->checks);
	res = &r->checks[r->nchecks++];
	res->name = xstrdup(c->name);
	return res;
}

static void txn_check_step(void *);

/* The next checker, from the loop. */
static void
txn_check_later(struct txn *t)
{
	loop_timer_add(t->loop, 0, txn_check_step, t);
}

/* A checker program ended. */
static void
txn_check_done(struct proc_result *pr, void *arg)
{
	struct txn *t = arg;
	const struct txn_check *c = &t->checks[t->next];
	struct txn_check_result *res = txn_result(t, c);

	res->ran = 1;
	res->status = pr->status;
	res->timed_out = pr->timed_out;
	res->out = pr->out;
	res->err = pr->err;
	pr->out = pr->err = NULL;
	txn_unstage_text(t, res->out);
	txn_unstage_text(t, res->err);
	res->failed = res->status != 0 || res->timed_out ||
	    ((c->flags & TXN_CHECK_STDERR) && res->err[0] != '\0');
	t->next++;
	txn_check_later(t);
}

/* Run checker t->next; 0 when it was started, else it is done. */
static int
txn_check_run(struct txn *t)
{
	const struct txn_check *c = &t->checks[t->next];
	struct txn_check_result *res;
	struct proc_opts po;
	struct strv argv;
	struct buf out;
	char *why = NULL;
	size_t i;
	int rc;

	if (c->fn != NULL) {
		buf_init(&out);
		rc = c->fn(t->stage, &out, c->arg);
		buf_add(&out, "", 0);
		res = txn_result(t, c);
		res->ran = 1;
		res->status = rc == 0 ? 0 : 1;
		res->failed = rc != 0;
		res->out = buf_steal(&out);
		txn_unstage_text(t, res->out);
		res->err = xstrdup("");
		return -1;
	}
	strv_init(&argv);
	for (i = 0; i < c->argv.n; i++) {
		char *w = txn_subst(c->argv.v[i], t->stage);
		strv_add(&argv, w);
		free(w);
	}
	memset(&po, 0, sizeof po);
	po.timeout_ms = t->check_ms;
	po.max_out = t->max_out;
	rc = proc_start(t->loop, (const char *const *)argv.v, &po,
	    txn_check_done, t, &why) != NULL ? 0 : -1;
	strv_free(&argv);
	if (rc == 0)
		return 0;
	res = txn_result(t, c);
	res->failed = 1;
	res->status = -1;
	res->out = xstrdup("");
	res->err = why;
	return -1;
}

/* The result of the checks run: 0, or 1 with *cause naming the failed. */
static int
txn_check_verdict(struct txn *t, char **cause)
{
	const struct txn_report *r = t->report;
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < r->nchecks; i++) {
		const struct txn_check_result *res = &r->checks[i];
		if (!res->failed)
			continue;
		buf_printf(&b, "%s%s ", b.len > 0 ? ", " : "", res->name);
		if (!res->ran)
			buf_adds(&b, "(it could not be started)");
		else if (res->timed_out)
			buf_printf(&b, "(no answer within %d ms)", t->check_ms);
		else if (res->status != 0)
			buf_printf(&b, "(exit status %d)", res->status);
		else
			buf_adds(&b, "(warnings on stderr)");
	}
	if (b.len == 0) {
		buf_free(&b);
		t->checked = 1;
		return 0;
	}
	buf_add(&b, "", 0);
	error_set(cause, "the edited files were refused by %s; nothing was "
	    "written", b.data);
	buf_free(&b);
	t->report->failure = TXN_FAIL_CHECK;
	return 1;
}

/* Advance the check run: the next checker, or the end. */
static void
txn_check_step(void *arg)
{
	struct txn *t = arg;
	char *cause = NULL;
	int result;

	while (t->next < t->nchecks) {
		if (txn_check_run(t) == 0)
			return;		/* txn_check_done goes on */
		t->next++;
	}
	result = txn_check_verdict(t, &cause);
	t->loop = NULL;
	t->cb(t, result, cause, t->cb_arg);
}

int
txn_check_start(struct txn *t, struct loop *loop, struct txn_report *r,
    txn_check_cb cb, void *arg, char **cause)
{
	if (t->loop != NULL)
		return error_set(cause, "the checks are already running");
	if (txn_stage(t, cause) != 0)
		return -1;
	t->loop = loop;
	t->report = r;
	t->next = 0;
	t->cb = cb;
	t->cb_arg = arg;
	txn_check_later(t);
	return 0;
}

/* txn_check's view of the end of the run. */
struct txn_wait {
	int	 done;
	int	 result;
	char	*cause;
};

static void
txn_check_wait(struct txn *t, int result, char *cause, void *arg)
{
	struct txn_wait *w = arg;

	(void)t;
	w->done = 1;
	w->result = result;
	w->cause = cause;
}

int
txn_check(struct txn *t, struct txn_report *r, char **cause)
{
	struct txn_wait w;
	struct loop *loop = loop_new();

	memset(&w, 0, sizeof w);
	if (txn_check_start(t, loop, r, txn_check_wait, &w, cause) != 0) {
		loop_free(loop);
		return -1;
	}
	loop_run(loop, &w.done);
	loop_free(loop);
	if (!w.done) {
		t->loop = NULL;
		return error_set(cause, "the checks stopped before the end");
	}
	if (w.result != 0 && cause != NULL)
		*cause = w.cause;
	else
		free(w.cause);
	return w.result;
}
