/* test_txn.c: the transaction engine (core/apply/txn.h), its backups
 * (core/apply/manifest.h) and restore (core/apply/backup.h), on roots made
 * in temporary directories as --root makes them: commit, refusal of a file
 * changed since the plan, rollback on a failing reload hook and on a
 * failing write, checkers on staged copies, symlinks kept, restore of
 * exact bytes, owner and mode, backups 0700 without key files, the
 * manifest, the interrupted-transaction notice, and (as root, in a private
 * mount namespace) full and read-only file systems.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/apply/backup.h"
#include "core/apply/manifest.h"
#include "core/apply/txn.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

static char root[64];

/*
 * Test hook: the nth rename onto a file named fail_name fails with EIO
 * (fswrite renames every file it writes, its backups' copies included).
 * This program's definition stands for the C library's.
 */
static const char *fail_name;
static int fail_nth, fail_seen;

int
renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	if (fail_name != NULL && strcmp(newpath, fail_name) == 0 &&
	    ++fail_seen == fail_nth) {
		errno = EIO;
		return -1;
	}
#ifdef SYS_renameat
	return (int)syscall(SYS_renameat, olddirfd, oldpath, newdirfd,
	    newpath);
#else
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd,
	    newpath, 0);
#endif
}

/* The host path of site path p under the root (two at a time). */
static const char *
rp(const char *p)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s%s", root, p);
	return buf[i];
}

/* Run a shell command line, every %s in it replaced by arg. */
static void
sh(const char *tmpl, const char *arg)
{
	struct buf b;
	const char *hit;

	buf_init(&b);
	while ((hit = strstr(tmpl, "%s")) != NULL) {
		buf_add(&b, tmpl, (size_t)(hit - tmpl));
		buf_adds(&b, arg);
		tmpl = hit + 2;
	}
	buf_adds(&b, tmpl);
	buf_add(&b, "", 0);
	free(test_run(b.data));
	buf_free(&b);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/notspam-txn-XXXXXX");
	if (mkdtemp(root) == NULL || chmod(root, 0755) != 0)
		return -1;
	sh("mkdir -p '%s/etc/mail' '%s/var/backups' '%s/srv'", root);
	fail_name = NULL;
	fail_nth = fail_seen = 0;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sh("umount '%s'/mnt* '%s/var/backups/notspam' 2>/dev/null; "
	    "rm -rf '%s'", root);
	return 0;
}

/* Write site file p with text, mode, owner. */
static void
put(const char *p, const char *text, mode_t mode, uid_t uid, gid_t gid)
{
	FILE *f = fopen(rp(p), "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(rp(p), mode), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(rp(p), uid, gid), 0);
}

/* Site file p's bytes (caller frees). */
static char *
get(const char *p)
{
	return test_read_file(rp(p), NULL);
}

static void
assert_file(const char *p, const char *text)
{
	char *got = get(p);

	assert_string_equal(got, text);
	free(got);
}

/* Mode and, as root, owner of site file p. */
static void
assert_attrs(const char *p, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat sb;

	assert_int_equal(lstat(rp(p), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, mode);
	if (geteuid() == 0) {
		assert_int_equal(sb.st_uid, uid);
		assert_int_equal(sb.st_gid, gid);
	}
}

/* Add p to t: from what it holds now (or nothing) to text. */
static void
add(struct txn *t, const char *p, const char *text, int flags)
{
	char *old = NULL, *cause = NULL;
	size_t len = 0;
	int exists = fsroot_exists(root, p);

	/* As notspam reads it: links followed under the root. */
	if (exists && fsroot_read(root, p, 0, &old, &len, &cause) != 0)
		fail_msg("read %s: %s", p, cause);
	if (txn_add(t, p, old, len, exists, text, strlen(text), 0640, flags,
	    &cause) != 0)
		fail_msg("txn_add %s: %s", p, cause);
	free(old);
}

/* The stamps under the root's backup base. */
static size_t
nbackups(void)
{
	struct strv v;
	size_t n;

	strv_init(&v);
	assert_int_equal(manifest_list(root, MANIFEST_BASE, &v, NULL), 0);
	n = v.n;
	strv_free(&v);
	return n;
}

static struct txn *
txn_here(void)
{
	struct txn_opts o;

	memset(&o, 0, sizeof o);
	o.check_timeout_ms = 5000;
	o.lock_wait_ms = 200;
	return txn_new(root, &o);
}

/* Three files: two edited (modes and owners of their own), one new. */
static void
three(struct txn *t)
{
	put("/etc/a.conf", "a old\n", 0640, 4242, 4343);
	put("/etc/mail/b.conf", "b old\n", 0604, 0, 4343);
	add(t, "/etc/a.conf", "a new\n", 0);
	add(t, "/etc/mail/b.conf", "b new\nmore\n", 0);
	add(t, "/etc/c.conf", "c new\n", 0);
}

static void
assert_three_old(void)
{
	assert_file("/etc/a.conf", "a old\n");
	assert_attrs("/etc/a.conf", 0640, 4242, 4343);
	assert_file("/etc/mail/b.conf", "b old\n");
	assert_attrs("/etc/mail/b.conf", 0604, 0, 4343);
	assert_int_equal(access(rp("/etc/c.conf"), F_OK), -1);
}

/* A commit: new bytes, owners and modes kept, a new file with its mode;
 * the backup 0700 with copies 0600, the manifest and the journal done. */
static void
test_commit(void **state)
{
	struct txn_report r;
	struct manifest *m = NULL;
	struct stat sb;
	char *cause = NULL, sha[MANIFEST_SHA_LEN];
	struct txn *t = txn_here();

	(void)state;
	three(t);
	txn_add_service(t, "postfix");
	txn_report_init(&r);
	if (txn_commit(t, NULL, &r, &cause) != 0)
		fail_msg("commit: %s", cause);
	assert_int_equal(r.nchanged, 3);
	assert_int_equal(r.nwritten, 3);
	assert_file("/etc/a.conf", "a new\n");
	assert_attrs("/etc/a.conf", 0640, 4242, 4343);
	assert_file("/etc/mail/b.conf", "b new\nmore\n");
	assert_attrs("/etc/mail/b.conf", 0604, 0, 4343);
	assert_file("/etc/c.conf", "c new\n");
	assert_attrs("/etc/c.conf", 0640, geteuid(), getegid());
	assert_non_null(r.stamp);
	assert_true(manifest_stamp_ok(r.stamp));
	assert_int_equal(stat(rp(r.backup_dir), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(rp(MANIFEST_BASE), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	assert_int_equal(manifest_read(root, MANIFEST_BASE, r.stamp, &m,
	    &cause), 0);
	assert_string_equal(m->kind, "apply");
	assert_string_equal(m->state, MANIFEST_DONE);
	assert_int_equal(m->services.n, 1);
	assert_string_equal(m->services.v[0], "postfix");
	assert_int_equal(m->nfiles, 3);
	assert_string_equal(m->files[0].path, "/etc/a.conf");
	assert_true(m->files[0].existed);
	assert_int_equal(m->files[0].mode, 0640);
	if (geteuid() == 0) {
		assert_int_equal(m->files[0].uid, 4242);
		assert_int_equal(m->files[0].gid, 4343);
	}
	manifest_sha256("a old\n", 6, sha);
	assert_string_equal(m->files[0].before, sha);
	manifest_sha256("a new\n", 6, sha);
	assert_string_equal(m->files[0].after, sha);
	assert_string_equal(m->files[0].copy, "files/etc/a.conf");
	assert_false(m->files[2].existed);
	assert_string_equal(m->files[2].before, "");
	assert_null(m->files[2].copy);
	manifest_free(m);

	/* The old bytes, 0600, in directories 0700. */
	{
		char p[512];
		snprintf(p, sizeof p, "%s/files/etc/mail/b.conf",
		    r.backup_dir);
		assert_file(p, "b old\n");
		assert_attrs(p, 0600, geteuid(), getegid());
		snprintf(p, sizeof p, "%s/files/etc/mail", r.backup_dir);
		assert_int_equal(stat(rp(p), &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0700);
		snprintf(p, sizeof p, "%s/journal", r.backup_dir);
		assert_file(p, "done\n");
	}
	txn_report_free(&r);
	txn_free(t);
}

/* A file changed since the plan read it: refused, named, nothing written
 * and no backup made. */
static void
test_refuse_changed(void **state)
{
	struct txn_report r;
	char *cause = NULL;
	struct txn *t = txn_here();

	(void)state;
	three(t);
	put("/etc/mail/b.conf", "b edited by hand\n", 0604, 0, 4343);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_CHANGED);
	assert_non_null(strstr(cause, "/etc/mail/b.conf changed on disk since "
	    "the plan"));
	free(cause);
	assert_file("/etc/a.conf", "a old\n");
	assert_file("/etc/mail/b.conf", "b edited by hand\n");
	assert_int_equal(access(rp("/etc/c.conf"), F_OK), -1);
	assert_int_equal(nbackups(), 0);
	txn_report_free(&r);
	txn_free(t);

	/* A file created since a plan that saw none is refused too. */
	t = txn_here();
	add(t, "/etc/d.conf", "d\n", 0);
	put("/etc/d.conf", "someone else's\n", 0644, 0, 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_non_null(strstr(cause, "/etc/d.conf was created since"));
	free(cause);
	assert_file("/etc/d.conf", "someone else's\n");
	txn_report_free(&r);
	txn_free(t);
}

/* The hooks of the rollback test: after_write fails, after_restore
 * counts its calls and sees the files already back. */
static int hook_restores;

static int
hook_fail(struct txn *t, void *arg, char **cause)
{
	(void)arg;
	assert_file("/etc/a.conf", "a new\n");
	assert_non_null(txn_stamp(t));
	return error_set(cause, "postfix reload: fatal: bad config line 3");
}

static int
hook_restore(struct txn *t, void *arg, char **cause)
{
	(void)t;
	(void)arg;
	(void)cause;
	assert_file("/etc/a.conf", "a old\n");
	hook_restores++;
	return 0;
}

/* A failing reload hook puts every file back: bytes, owner, mode; the
 * new file removed; after_restore run; the journal rolled-back. */
static void
test_rollback_hook(void **state)
{
	struct txn_hooks h = { hook_fail, hook_restore, NULL };
	struct txn_report r;
	char *cause = NULL, *state_s;
	struct txn *t = txn_here();

	(void)state;
	three(t);
	hook_restores = 0;
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &h, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_HOOK);
	assert_int_equal(r.nwritten, 3);
	assert_true(r.rolled_back);
	assert_null(r.rollback_error);
	assert_int_equal(hook_restores, 1);
	assert_non_null(strstr(cause, "fatal: bad config line 3"));
	assert_non_null(strstr(cause, "every file was put back"));
	free(cause);
	assert_three_old();
	state_s = manifest_state(root, MANIFEST_BASE, r.stamp);
	assert_string_equal(state_s, MANIFEST_ROLLED_BACK);
	free(state_s);
	txn_report_free(&r);
	txn_free(t);
}

/* A write that fails half-way (the second file's rename) puts the first
 * back. */
static void
test_rollback_write(void **state)
{
	struct txn_report r;
	char *cause = NULL;
	struct txn *t = txn_here();

	(void)state;
	three(t);
	/* The first rename onto b.conf is its backup copy, the second the
	 * file itself. */
	fail_name = "b.conf";
	fail_nth = 2;
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	fail_name = NULL;
	assert_int_equal(fail_seen, 2);
	assert_int_equal(r.failure, TXN_FAIL_WRITE);
	assert_int_equal(r.nwritten, 1);
	assert_true(r.rolled_back);
	assert_non_null(strstr(cause, "/etc/mail/b.conf"));
	assert_non_null(strstr(cause, "Input/output error"));
	free(cause);
	assert_three_old();
	txn_report_free(&r);
	txn_free(t);
}

/* A checker that refuses: its output and status come back, the stage
 * path is cut out of it, nothing is written and no backup made. */
static void
test_check_refuses(void **state)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "cat @STAGE@/etc/a.conf; echo \"bad @STAGE@/etc/a.conf\" >&2; "
	    "exit 3", NULL };
	struct txn_report r;
	char *cause = NULL;
	struct txn *t = txn_here();

	(void)state;
	three(t);
	txn_add_check(t, argv, 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_CHECK);
	assert_non_null(strstr(cause, "exit status 3"));
	assert_non_null(strstr(cause, "nothing was written"));
	free(cause);
	assert_int_equal(r.nchecks, 1);
	assert_true(r.checks[0].failed);
	assert_int_equal(r.checks[0].status, 3);
	assert_string_equal(r.checks[0].out, "a new\n");	/* the edit */
	assert_string_equal(r.checks[0].err, "bad /etc/a.conf\n");
	assert_three_old();
	assert_int_equal(nbackups(), 0);
	txn_report_free(&r);
	txn_free(t);
}

/* Warnings on stderr fail a TXN_CHECK_STDERR checker; a passing checker
 * sees the staged files (0700 stage, modes kept, context files too, no
 * key file) and lets the commit go on; the stage is gone afterwards. */
static void
test_check_stage(void **state)
{
	static const char *const warn[] = { "/bin/sh", "-c",
	    "echo 'postconf: warning: unused parameter' >&2", NULL };
	static const char *const look[] = { "/bin/sh", "-c",
	    "cd @STAGE@ && stat -c '%a %n' . etc/a.conf etc/mail/b.conf "
	    "etc/ctx.conf && cat etc/ctx.conf && ! test -e etc/key", NULL };
	struct txn_report r;
	char *cause = NULL, *stage;
	struct stat sb;
	struct txn *t = txn_here();

	(void)state;
	three(t);
	put("/etc/ctx.conf", "context\n", 0644, 0, 0);
	assert_int_equal(txn_add_context(t, "/etc/ctx.conf", &cause), 0);
	add(t, "/etc/key", "-----BEGIN PRIVATE KEY-----\n", TXN_SECRET);
	txn_add_check(t, warn, TXN_CHECK_STDERR);
	txn_report_init(&r);
	assert_int_equal(txn_check(t, &r, &cause), 1);
	assert_non_null(strstr(cause, "warnings on stderr"));
	free(cause);
	cause = NULL;
	txn_report_free(&r);
	txn_free(t);

	t = txn_here();
	three(t);
	assert_int_equal(txn_add_context(t, "/etc/ctx.conf", &cause), 0);
	add(t, "/etc/key", "-----BEGIN PRIVATE KEY-----\n", TXN_SECRET);
	txn_add_check(t, look, 0);
	txn_report_init(&r);
	if (txn_check(t, &r, &cause) != 0)
		fail_msg("check: %s / %s", cause, r.checks[0].err);
	assert_string_equal(r.checks[0].out, "700 .\n640 etc/a.conf\n"
	    "604 etc/mail/b.conf\n644 etc/ctx.conf\ncontext\n");
	stage = txn_stage_path(t, "/etc/a.conf");
	assert_non_null(stage);
	assert_int_equal(stat(stage, &sb), 0);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), 0);
	assert_int_equal(r.nchecks, 1);		/* not run twice */
	assert_file("/etc/a.conf", "a new\n");
	assert_file("/etc/ctx.conf", "context\n");
	txn_report_free(&r);
	txn_free(t);
	assert_int_equal(stat(stage, &sb), -1);
	free(stage);
}

/* A checker past its time limit is stopped and fails. */
static void
test_check_timeout(void **state)
{
	static const char *const argv[] = { "/bin/sleep", "10", NULL };
	struct txn_opts o;
	struct txn_report r;
	char *cause = NULL;
	struct txn *t;

	(void)state;
	memset(&o, 0, sizeof o);
	o.check_timeout_ms = 200;
	t = txn_new(root, &o);
	add(t, "/etc/a.conf", "x\n", 0);
	txn_add_check(t, argv, 0);
	txn_report_init(&r);
	assert_int_equal(txn_check(t, &r, &cause), 1);
	assert_true(r.checks[0].timed_out);
	assert_non_null(strstr(cause, "no answer within 200 ms"));
	free(cause);
	txn_report_free(&r);
	txn_free(t);
}

/* An in-process checker (dkimproxy's grammar), run from the caller's loop
 * (txn_check_start): the callback comes from the loop, not before. */
static int
fn_check(const char *stage, struct buf *out, void *arg)
{
	char p[4096];

	(void)arg;
	snprintf(p, sizeof p, "%s/etc/a.conf", stage);
	buf_printf(out, "%s: no 'domain' line", p);
	return -1;
}

static void
on_checked(struct txn *t, int result, char *cause, void *arg)
{
	int *done = arg;

	(void)t;
	assert_int_equal(result, 1);
	assert_non_null(strstr(cause, "dkimproxy grammar"));
	free(cause);
	*done = 1;
}

static void
test_check_loop(void **state)
{
	struct loop *loop = loop_new();
	struct txn_report r;
	char *cause = NULL;
	int done = 0;
	struct txn *t = txn_here();

	(void)state;
	add(t, "/etc/a.conf", "x\n", 0);
	txn_add_check_fn(t, "dkimproxy grammar", fn_check, NULL);
	txn_report_init(&r);
	assert_int_equal(txn_check_start(t, loop, &r, on_checked, &done,
	    &cause), 0);
	assert_int_equal(done, 0);
	loop_run(loop, &done);
	assert_int_equal(done, 1);
	assert_string_equal(r.checks[0].out, "/etc/a.conf: no 'domain' line");
	txn_report_free(&r);
	txn_free(t);
	loop_free(loop);
}

/* A config that is a symlink (relative, and absolute under the root) is
 * edited at its target; the links stay links; the manifest names both. */
static void
test_symlink(void **state)
{
	struct txn_report r;
	struct manifest *m;
	struct stat sb;
	char *cause = NULL, link[256];
	ssize_t n;
	struct txn *t = txn_here();

	(void)state;
	put("/srv/real.conf", "real old\n", 0640, 0, 0);
	put("/srv/abs.conf", "abs old\n", 0600, 0, 0);
	assert_int_equal(symlink("../srv/real.conf", rp("/etc/a.conf")), 0);
	assert_int_equal(symlink("/srv/abs.conf", rp("/etc/b.conf")), 0);
	add(t, "/etc/a.conf", "real new\n", 0);
	add(t, "/etc/b.conf", "abs new\n", 0);
	/* The same file again through its real name is refused. */
	assert_int_equal(txn_add(t, "/srv/real.conf", "", 0, 1, "x", 1, 0, 0,
	    &cause), -1);
	assert_non_null(strstr(cause, "twice"));
	free(cause);
	txn_report_init(&r);
	if (txn_commit(t, NULL, &r, &cause) != 0)
		fail_msg("commit: %s", cause);
	assert_int_equal(lstat(rp("/etc/a.conf"), &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	n = readlink(rp("/etc/a.conf"), link, sizeof link - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "../srv/real.conf");
	assert_int_equal(lstat(rp("/etc/b.conf"), &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_file("/srv/real.conf", "real new\n");
	assert_attrs("/srv/real.conf", 0640, 0, 0);
	assert_file("/srv/abs.conf", "abs new\n");
	assert_int_equal(manifest_read(root, MANIFEST_BASE, r.stamp, &m,
	    &cause), 0);
	assert_string_equal(m->files[0].path, "/etc/a.conf");
	assert_string_equal(m->files[0].target, "/srv/real.conf");
	assert_string_equal(m->files[1].target, "/srv/abs.conf");
	manifest_free(m);
	txn_report_free(&r);
	txn_free(t);
}

/* Commit three files, then the test's own function. */
static char *
commit_three(void)
{
	struct txn_report r;
	char *cause = NULL, *stamp;
	struct txn *t = txn_here();

	three(t);
	txn_report_init(&r);
	if (txn_commit(t, NULL, &r, &cause) != 0)
		fail_msg("commit: %s", cause);
	stamp = xstrdup(r.stamp);
	txn_report_free(&r);
	txn_free(t);
	return stamp;
}

static void
restore_opts(struct backup_opts *o, int force)
{
	memset(o, 0, sizeof *o);
	o->root = root;
	o->force = force;
	o->lock_wait_ms = 200;
}

/* Restore: exact bytes, owner and mode back (a mode changed since is
 * put back too), the created file removed, a backup of its own, the
 * restored backup marked; then the restore undone by its own backup. */
static void
test_restore(void **state)
{
	struct backup_opts o;
	struct backup_result res;
	struct manifest *m;
	char *stamp, *cause = NULL, *newest;

	(void)state;
	stamp = commit_three();
	assert_int_equal(chmod(rp("/etc/a.conf"), 0666), 0);
	restore_opts(&o, 0);
	newest = backup_newest(root, NULL);
	assert_string_equal(newest, stamp);
	free(newest);
	if (backup_restore(&o, NULL, &res, &cause) != 0)
		fail_msg("restore: %s", cause);
	assert_string_equal(res.stamp, stamp);
	assert_true(res.no_reload);
	assert_int_equal(res.reloaded.n, 0);
	assert_int_equal(res.nfiles, 3);
	assert_int_equal(res.files[0].action, BACKUP_RESTORED);
	assert_int_equal(res.files[2].action, BACKUP_REMOVED);
	assert_three_old();
	assert_non_null(res.report.stamp);
	assert_int_equal(manifest_read(root, MANIFEST_BASE, stamp, &m, &cause),
	    0);
	assert_string_equal(m->state, MANIFEST_RESTORED);
	assert_non_null(strstr(m->note, res.report.stamp));
	manifest_free(m);
	assert_int_equal(manifest_read(root, MANIFEST_BASE, res.report.stamp,
	    &m, &cause), 0);
	assert_string_equal(m->kind, "restore");
	assert_string_equal(m->restores, stamp);
	assert_int_equal(m->files[0].mode, 0666);	/* as it was then */
	manifest_free(m);

	/* A bare restore now has nothing newer than... the apply, restored:
	 * none.  The restore's own backup undoes it. */
	newest = backup_newest(root, NULL);
	assert_null(newest);
	{
		char *undo = xstrdup(res.report.stamp);
		backup_result_free(&res);
		assert_int_equal(backup_restore(&o, undo, &res, &cause), 0);
		free(undo);
	}
	assert_file("/etc/a.conf", "a new\n");
	assert_attrs("/etc/a.conf", 0666, 4242, 4343);
	assert_file("/etc/c.conf", "c new\n");
	backup_result_free(&res);
	free(stamp);
}

/* A file changed since the apply: restore refuses naming it and writes
 * nothing; --force restores it (and keeps what it replaced). */
static void
test_restore_changed(void **state)
{
	struct backup_opts o;
	struct backup_result res;
	char *stamp, *cause = NULL;

	(void)state;
	stamp = commit_three();
	put("/etc/mail/b.conf", "edited after the apply\n", 0604, 0, 4343);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, stamp, &res, &cause), -1);
	assert_int_equal(res.failure, BACKUP_REFUSED);
	assert_non_null(strstr(cause, "/etc/mail/b.conf"));
	assert_non_null(strstr(cause, "--force"));
	free(cause);
	backup_result_free(&res);
	assert_file("/etc/a.conf", "a new\n");
	assert_file("/etc/c.conf", "c new\n");

	restore_opts(&o, 1);
	assert_int_equal(backup_restore(&o, stamp, &res, &cause), 0);
	assert_true(res.files[1].forced);
	assert_three_old();
	backup_result_free(&res);

	/* A stamp that is not one, and one that does not exist. */
	assert_int_equal(backup_restore(&o, "../../etc", &res, &cause), -1);
	assert_int_equal(res.failure, BACKUP_NOT_FOUND);
	free(cause);
	backup_result_free(&res);
	assert_int_equal(backup_restore(&o, "20000101T000000Z", &res, &cause),
	    -1);
	assert_int_equal(res.failure, BACKUP_NOT_FOUND);
	free(cause);
	backup_result_free(&res);
	free(stamp);
}

/* A backup directory someone else may write is not trusted: neither
 * restored from nor written into. */
static void
test_untrusted(void **state)
{
	struct backup_opts o;
	struct backup_result res;
	struct txn_report r;
	char *stamp, *cause = NULL;
	struct txn *t;

	(void)state;
	stamp = commit_three();
	assert_int_equal(chmod(rp(MANIFEST_BASE), 0777), 0);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, stamp, &res, &cause), -1);
	assert_non_null(strstr(cause, "is not trusted"));
	free(cause);
	backup_result_free(&res);
	assert_file("/etc/a.conf", "a new\n");
	t = txn_here();
	add(t, "/etc/a.conf", "a newer\n", 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_non_null(strstr(cause, MANIFEST_BASE " is not trusted"));
	free(cause);
	assert_file("/etc/a.conf", "a new\n");
	txn_report_free(&r);
	txn_free(t);
	free(stamp);
}

/* A damaged backup copy is refused, nothing written. */
static void
test_restore_damaged(void **state)
{
	struct backup_opts o;
	struct backup_result res;
	char *stamp, *cause = NULL, p[512];

	(void)state;
	stamp = commit_three();
	snprintf(p, sizeof p, "%s/%s/files/etc/a.conf", MANIFEST_BASE, stamp);
	put(p, "tampered\n", 0600, 0, 0);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, stamp, &res, &cause), -1);
	assert_int_equal(res.failure, BACKUP_DAMAGED);
	assert_non_null(strstr(cause, "SHA-256"));
	free(cause);
	backup_result_free(&res);
	assert_file("/etc/a.conf", "a new\n");
	assert_file("/etc/mail/b.conf", "b new\nmore\n");
	free(stamp);
}

/* nftw: fail when a file of the backup holds the key's bytes. */
static int
no_key(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && sb->st_size > 0) {
		char *data = test_read_file(p, NULL);
		int bad = strstr(data, "PRIVATE KEY") != NULL;
		free(data);
		if (bad)
			fail_msg("%s holds the key", p);
	}
	if (type == FTW_D && (sb->st_mode & 077) != 0)
		fail_msg("%s is mode %o", p, (unsigned)(sb->st_mode & 07777));
	return 0;
}

/* A key file (TXN_SECRET) is written but never copied into the backup;
 * its hashes are recorded; restore leaves it. */
static void
test_secret(void **state)
{
	struct txn_report r;
	struct backup_opts o;
	struct backup_result res;
	struct manifest *m;
	char *cause = NULL, dir[512];
	struct txn *t = txn_here();

	(void)state;
	put("/etc/mail/key", "-----BEGIN PRIVATE KEY----- old\n", 0600, 0, 0);
	put("/etc/a.conf", "a\n", 0644, 0, 0);
	add(t, "/etc/mail/key", "-----BEGIN PRIVATE KEY----- new\n",
	    TXN_SECRET);
	add(t, "/etc/a.conf", "b\n", 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), 0);
	assert_file("/etc/mail/key", "-----BEGIN PRIVATE KEY----- new\n");
	snprintf(dir, sizeof dir, "%s", rp(r.backup_dir));
	assert_int_equal(nftw(dir, no_key, 8, FTW_PHYS), 0);
	assert_int_equal(manifest_read(root, MANIFEST_BASE, r.stamp, &m,
	    &cause), 0);
	assert_true(m->files[0].secret);
	assert_null(m->files[0].copy);
	assert_int_equal(strlen(m->files[0].before), 64);
	manifest_free(m);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, r.stamp, &res, &cause), 0);
	assert_int_equal(res.files[0].action, BACKUP_SECRET);
	assert_file("/etc/mail/key", "-----BEGIN PRIVATE KEY----- new\n");
	assert_file("/etc/a.conf", "a\n");
	backup_result_free(&res);
	txn_report_free(&r);
	txn_free(t);
}

/* The manifest's text round-trips odd paths (space, '%', newline, a
 * leading '-'); a line that does not parse is named with its number. */
static void
test_manifest(void **state)
{
	struct manifest m, *back;
	struct manifest_file f;
	char stamp[] = "20261201T133000Z-12", kind[] = "apply";
	char path[] = "/etc/odd name%\n-x", target[] = "/etc/-t";
	char copy[] = "files/etc/odd name%\n-x";
	char *text, *cause = NULL, p[512];

	(void)state;
	memset(&m, 0, sizeof m);
	strv_init(&m.services);
	m.stamp = stamp;
	m.kind = kind;
	memset(&f, 0, sizeof f);
	f.path = path;
	f.target = target;
	f.existed = 1;
	f.mode = 0640;
	f.uid = 7;
	f.gid = 8;
	manifest_sha256("x", 1, f.before);
	f.copy = copy;
	m.files = &f;
	m.nfiles = 1;
	text = manifest_format(&m);
	assert_non_null(strstr(text, "path=/etc/odd%20name%25%0A-x "));
	assert_non_null(strstr(text, " after=- "));
	assert_true(manifest_stamp_ok(m.stamp));
	assert_false(manifest_stamp_ok("20261201T133000Z-0"));
	assert_false(manifest_stamp_ok("../20261201T133000Z"));
	assert_true(manifest_stamp_cmp("20261201T133000Z-9",
	    "20261201T133000Z-10") < 0);
	assert_true(manifest_stamp_cmp("20261201T133000Z",
	    "20261201T133000Z-2") < 0);
	snprintf(p, sizeof p, "%s%s/%s", root, MANIFEST_BASE, m.stamp);
	sh("mkdir -p '%s'", p);
	snprintf(p, sizeof p, "%s%s/%s/manifest", root, MANIFEST_BASE, m.stamp);
	{
		FILE *fp = fopen(p, "w");
		fputs(text, fp);
		fclose(fp);
	}
	assert_int_equal(manifest_read(root, MANIFEST_BASE, m.stamp, &back,
	    &cause), 0);
	assert_string_equal(back->files[0].path, f.path);
	assert_string_equal(back->files[0].target, f.target);
	assert_string_equal(back->files[0].copy, f.copy);
	assert_int_equal(back->files[0].mode, 0640);
	assert_int_equal(back->files[0].uid, 7);
	assert_string_equal(back->files[0].before, f.before);
	assert_string_equal(back->files[0].after, "");
	assert_null(back->state);
	manifest_free(back);
	{
		FILE *fp = fopen(p, "a");
		fputs("file path=relative existed=0\n", fp);
		fclose(fp);
	}
	assert_int_equal(manifest_read(root, MANIFEST_BASE, m.stamp, &back,
	    &cause), -1);
	assert_non_null(strstr(cause, "/manifest:5: not a notspam backup "
	    "manifest line"));
	free(cause);
	free(text);
}

/* The hook of the interrupted commit: the process dies by SIGKILL right
 * after the files were written. */
static int
hook_die(struct txn *t, void *arg, char **cause)
{
	(void)t;
	(void)arg;
	(void)cause;
	kill(getpid(), SIGKILL);
	return 0;
}

static int reloads;

static int
hook_fail_any(struct txn *t, void *arg, char **cause)
{
	(void)t;
	(void)arg;
	return error_set(cause, "reload failed");
}

static int
hook_count(struct txn *t, void *arg, char **cause)
{
	(void)t;
	(void)arg;
	(void)cause;
	reloads++;
	return 0;
}

/* Run three() with hook_die in a child; its stamp. */
static char *
interrupted_three(void)
{
	struct strv v;
	char *stamp;
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		struct txn_hooks h = { hook_die, NULL, NULL };
		struct txn_report r;
		struct txn *t = txn_here();
		three(t);
		txn_report_init(&r);
		(void)txn_commit(t, &h, &r, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	strv_init(&v);
	assert_int_equal(manifest_list(root, MANIFEST_BASE, &v, NULL), 0);
	assert_int_equal(v.n, 1);
	stamp = xstrdup(v.v[0]);
	strv_free(&v);
	return stamp;
}

/* Killed after its writes: the journal in-progress, the notice says so
 * and how to finish or undo it; restore undoes it; an empty commit
 * finishes another one (its missed reload run). */
static void
test_interrupted(void **state)
{
	struct manifest **v;
	struct backup_opts o;
	struct backup_result res;
	struct txn_hooks h = { hook_count, NULL, NULL };
	struct txn_report r;
	size_t n;
	char *stamp, *notice, *cause = NULL, *st;
	struct txn *t;

	(void)state;
	stamp = interrupted_three();
	assert_file("/etc/a.conf", "a new\n");
	assert_int_equal(backup_pending(root, NULL, &v, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->stamp, stamp);
	backup_list_free(v, n);
	notice = backup_notice(root, NULL, "--root R ");
	assert_non_null(notice);
	assert_non_null(strstr(notice, "was interrupted (3 of 3 files "
	    "written)"));
	assert_non_null(strstr(notice, "\"notspam --root R apply\""));
	assert_non_null(strstr(notice, "restore "));
	assert_non_null(strstr(notice, stamp));
	free(notice);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, NULL, &res, &cause), 0);
	assert_three_old();
	backup_result_free(&res);
	assert_null(backup_notice(root, NULL, ""));
	free(stamp);

	/* Again; this time a commit with nothing to change finishes it. */
	sh("rm -rf '%s/var/backups/notspam' '%s/etc/c.conf'", root);
	stamp = interrupted_three();
	t = txn_here();
	assert_int_equal(txn_add_context(t, "/etc/a.conf", &cause), 0);
	reloads = 0;
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &h, &r, &cause), 0);
	assert_int_equal(reloads, 1);
	assert_null(r.stamp);
	st = manifest_state(root, MANIFEST_BASE, stamp);
	assert_string_equal(st, MANIFEST_DONE);
	free(st);
	assert_null(backup_notice(root, NULL, ""));
	txn_report_free(&r);
	txn_free(t);
	free(stamp);
}

/* A restore killed after its writes: the notice says how to finish it
 * (restore the apply again) or undo it; finishing it marks both. */
static void
test_interrupted_restore(void **state)
{
	struct backup_opts o;
	struct backup_result res;
	struct strv v;
	char *apply, *notice, *cause = NULL, *st, *want;
	pid_t pid;
	int status;

	(void)state;
	apply = commit_three();
	if ((pid = fork()) == 0) {
		struct txn_opts to;
		struct txn_hooks h = { hook_die, NULL, NULL };
		struct txn_report r;
		struct txn *t;
		memset(&to, 0, sizeof to);
		to.kind = "restore";
		t = txn_new(root, &to);
		txn_set_restores(t, apply);
		(void)txn_add(t, "/etc/a.conf", "a new\n", 6, 1, "a old\n", 6,
		    0, 0, NULL);
		(void)txn_add(t, "/etc/c.conf", "c new\n", 6, 1, NULL, 0, 0, 0,
		    NULL);
		txn_report_init(&r);
		(void)txn_commit(t, &h, &r, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	strv_init(&v);
	assert_int_equal(manifest_list(root, MANIFEST_BASE, &v, NULL), 0);
	assert_int_equal(v.n, 2);
	notice = backup_notice(root, NULL, "");
	assert_non_null(notice);
	want = xasprintf("the restore of %s (backup %s) was interrupted (2 of "
	    "2 files written): run \"notspam restore %s\" to finish it, or "
	    "\"notspam restore %s\" to undo it", apply, v.v[1], apply, v.v[1]);
	assert_string_equal(notice, want);
	free(want);
	free(notice);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, apply, &res, &cause), 0);
	assert_three_old();
	backup_result_free(&res);
	assert_null(backup_notice(root, NULL, ""));
	st = manifest_state(root, MANIFEST_BASE, apply);
	assert_string_equal(st, MANIFEST_RESTORED);
	free(st);
	st = manifest_state(root, MANIFEST_BASE, v.v[1]);
	assert_string_equal(st, MANIFEST_DONE);
	free(st);
	strv_free(&v);
	free(apply);
}

/* TXN_MKDIR: the missing directories made (and recorded), removed again
 * by a rollback and by a restore; without it, a refusal naming the
 * file. */
static void
test_mkdir(void **state)
{
	struct txn_hooks h = { hook_count, NULL, NULL };
	struct txn_hooks hf = { hook_fail_any, NULL, NULL };
	struct txn_report r;
	struct backup_opts o;
	struct backup_result res;
	struct manifest *m;
	struct stat sb;
	char *cause = NULL;
	struct txn *t;

	(void)state;
	t = txn_here();
	add(t, "/etc/opendkim/keys/key.table", "k\n", 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_non_null(strstr(cause, "cannot write /etc/opendkim/keys/"
	    "key.table: the directory it goes in does not exist"));
	free(cause);
	txn_report_free(&r);
	txn_free(t);

	/* A failing hook: the file and both directories gone again. */
	t = txn_here();
	add(t, "/etc/opendkim/keys/key.table", "k\n", TXN_MKDIR);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &hf, &r, &cause), -1);
	free(cause);
	assert_true(r.rolled_back);
	assert_int_equal(access(rp("/etc/opendkim"), F_OK), -1);
	txn_report_free(&r);
	txn_free(t);

	t = txn_here();
	add(t, "/etc/opendkim/keys/key.table", "k\n", TXN_MKDIR);
	add(t, "/etc/opendkim/signing.table", "s\n", TXN_MKDIR);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &h, &r, &cause), 0);
	assert_file("/etc/opendkim/keys/key.table", "k\n");
	assert_int_equal(stat(rp("/etc/opendkim/keys"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(manifest_read(root, MANIFEST_BASE, r.stamp, &m,
	    &cause), 0);
	assert_int_equal(m->dirs.n, 2);
	assert_string_equal(m->dirs.v[0], "/etc/opendkim");
	assert_string_equal(m->dirs.v[1], "/etc/opendkim/keys");
	manifest_free(m);
	restore_opts(&o, 0);
	assert_int_equal(backup_restore(&o, r.stamp, &res, &cause), 0);
	assert_int_equal(access(rp("/etc/opendkim"), F_OK), -1);
	/* Its undo makes them again. */
	{
		char *undo = xstrdup(res.report.stamp);
		backup_result_free(&res);
		assert_int_equal(backup_restore(&o, undo, &res, &cause), 0);
		free(undo);
	}
	assert_file("/etc/opendkim/keys/key.table", "k\n");
	backup_result_free(&res);
	txn_report_free(&r);
	txn_free(t);
}

/* A backup directory a commit killed while it made its backup (no
 * journal, no manifest yet): listed as incomplete, not a warning, and
 * removed by the next commit. */
static void
test_incomplete(void **state)
{
	struct manifest **v;
	struct strv warnings;
	char *stamp, *cause = NULL, p[512];
	size_t n;

	(void)state;
	snprintf(p, sizeof p, "%s%s/20260101T000000Z/files/etc", root,
	    MANIFEST_BASE);
	sh("mkdir -p '%s' && chmod -R 700 '%s/..'", p);
	snprintf(p, sizeof p, "%s%s", root, MANIFEST_BASE);
	sh("chmod 700 '%s'", p);
	strv_init(&warnings);
	assert_int_equal(backup_list(root, NULL, &v, &n, &warnings, &cause),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(warnings.n, 0);
	assert_string_equal(v[0]->stamp, "20260101T000000Z");
	assert_null(v[0]->state);
	assert_int_equal(v[0]->nfiles, 0);
	backup_list_free(v, n);
	strv_free(&warnings);
	assert_null(backup_notice(root, NULL, ""));
	stamp = commit_three();
	assert_int_equal(nbackups(), 1);
	free(stamp);
}

/* Another transaction holding the lock: refused after the wait. */
static void
test_lock_held(void **state)
{
	struct fswrite_lock *lk;
	struct txn_report r;
	char *cause = NULL;
	struct txn *t = txn_here();

	(void)state;
	three(t);
	assert_int_equal(manifest_mkdirs(root, MANIFEST_BASE, 0755, 0700, &cause),
	    0);
	lk = fswrite_lock(root, MANIFEST_BASE "/txn", 0, &cause);
	assert_non_null(lk);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_LOCK);
	assert_non_null(strstr(cause, "held by another notspam"));
	free(cause);
	fswrite_unlock(lk);
	assert_three_old();
	txn_report_free(&r);
	txn_free(t);
}

/* As root: a private mount namespace, so the tmpfs mounts below leak to
 * no one.  0, or -1 (the test is skipped). */
static int
private_mounts(void)
{
	static int done = -2;

	if (done == -2)
		done = geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 ?
		    0 : -1;
	return done;
}

/* A tmpfs of kb KiB at the root's site directory d. */
static int
tmpfs_at(const char *d, int kb, unsigned long flags)
{
	char opts[32];

	snprintf(opts, sizeof opts, "size=%dk", kb);
	return mount("tmpfs", rp(d), "tmpfs", flags, opts);
}

/* A full file system: a clear refusal before anything is written, both
 * when the configs' file system and when the backups' is full. */
static void
test_enospc(void **state)
{
	struct txn_report r;
	char *cause = NULL, *big;
	size_t len = 256 * 1024;
	struct txn *t;

	(void)state;
	if (private_mounts() != 0)
		skip();
	sh("mkdir -p '%s/mnt' '%s/var/backups/notspam'", root);
	assert_int_equal(tmpfs_at("/mnt", 64, 0), 0);
	put("/mnt/a.conf", "a old\n", 0640, 0, 0);
	put("/etc/a.conf", "e old\n", 0640, 0, 0);
	big = xmalloc(len + 1);
	memset(big, 'x', len);
	big[len] = '\0';
	t = txn_here();
	add(t, "/etc/a.conf", "e new\n", 0);
	add(t, "/mnt/a.conf", big, 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_PREPARE);
	assert_non_null(strstr(cause, "cannot write /mnt/a.conf: No space "
	    "left on device"));
	assert_non_null(strstr(cause, "nothing was changed"));
	free(cause);
	assert_file("/mnt/a.conf", "a old\n");
	assert_file("/etc/a.conf", "e old\n");
	assert_int_equal(nbackups(), 0);
	txn_report_free(&r);
	txn_free(t);

	/* The backups' file system full: the same. */
	assert_int_equal(tmpfs_at(MANIFEST_BASE, 16, 0), 0);
	put("/etc/big.conf", big, 0644, 0, 0);
	t = txn_here();
	add(t, "/etc/big.conf", "small\n", 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_non_null(strstr(cause, "cannot write " MANIFEST_BASE ": No "
	    "space left on device"));
	free(cause);
	assert_file("/etc/big.conf", big);
	txn_report_free(&r);
	txn_free(t);
	free(big);
	sh("umount '%s/var/backups/notspam'", root);
}

/* A read-only file system: refused by name, nothing changed. */
static void
test_readonly(void **state)
{
	struct txn_report r;
	char *cause = NULL;
	struct txn *t;

	(void)state;
	if (private_mounts() != 0)
		skip();
	sh("mkdir -p '%s/mnt'", root);
	assert_int_equal(tmpfs_at("/mnt", 64, 0), 0);
	put("/mnt/a.conf", "a old\n", 0640, 0, 0);
	assert_int_equal(mount(NULL, rp("/mnt"), NULL, MS_REMOUNT | MS_RDONLY,
	    NULL), 0);
	put("/etc/a.conf", "e old\n", 0640, 0, 0);
	t = txn_here();
	add(t, "/etc/a.conf", "e new\n", 0);
	add(t, "/mnt/a.conf", "a new\n", 0);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_PREPARE);
	assert_non_null(strstr(cause, "/mnt/a.conf: Read-only file system"));
	assert_non_null(strstr(cause, "remount it read-write"));
	free(cause);
	assert_file("/mnt/a.conf", "a old\n");
	assert_file("/etc/a.conf", "e old\n");
	assert_int_equal(nbackups(), 0);
	txn_report_free(&r);
	txn_free(t);
}

/* A commit removes the temporary files a killed one left beside its
 * files, never those of a process still running. */
static void
test_sweep(void **state)
{
	struct txn_report r;
	char *cause = NULL, dead[128], live[128], other[128];
	struct txn *t = txn_here();
	pid_t pid;
	int status;

	(void)state;
	/* A pid that surely ran and ended: a child's, reaped. */
	if ((pid = fork()) == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(dead, sizeof dead, "/etc/.a.conf.notspam-%ld-0.tmp",
	    (long)pid);
	snprintf(live, sizeof live, "/etc/.a.conf.notspam-%ld-0.tmp",
	    (long)getpid());
	snprintf(other, sizeof other, "/etc/.z.conf.notspam-%ld-0.tmp",
	    (long)pid);
	put(dead, "half\n", 0600, 0, 0);
	put(live, "being written\n", 0600, 0, 0);
	put(other, "not ours\n", 0600, 0, 0);
	three(t);
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, NULL, &r, &cause), 0);
	assert_int_equal(access(rp(dead), F_OK), -1);
	assert_int_equal(access(rp(live), F_OK), 0);
	assert_int_equal(access(rp(other), F_OK), 0);
	txn_report_free(&r);
	txn_free(t);
}

/* FSWRITE_ATTRS: the given owner and mode, existing file or not. */
static void
test_fswrite_attrs(void **state)
{
	struct fswrite_opts o;
	char *cause = NULL;

	(void)state;
	put("/etc/a.conf", "x\n", 0644, 0, 0);
	memset(&o, 0, sizeof o);
	o.flags = FSWRITE_ATTRS;
	o.mode = 0604;
	o.uid = geteuid() == 0 ? 4242 : geteuid();
	o.gid = geteuid() == 0 ? 4343 : getegid();
	assert_int_equal(fswrite_file(root, "/etc/a.conf", "y\n", 2, &o,
	    &cause), 0);
	assert_attrs("/etc/a.conf", 0604, 4242, 4343);
	assert_int_equal(fswrite_file(root, "/etc/n.conf", "y\n", 2, &o,
	    &cause), 0);
	assert_attrs("/etc/n.conf", 0604, 4242, 4343);
}

/* A change of commands only (txn_add_action, doctor --fix starting a
 * signer): the hook runs with no file to write and no backup made; when
 * it fails, nothing is put back nor reloaded again.  Without actions an
 * empty commit runs no hook. */
static void
test_actions(void **state)
{
	struct txn_hooks h = { hook_count, hook_restore, NULL };
	struct txn_hooks hf = { hook_fail_any, hook_restore, NULL };
	struct txn_report r;
	char *cause = NULL;
	struct txn *t;

	(void)state;
	reloads = hook_restores = 0;
	t = txn_here();
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &h, &r, &cause), 0);
	assert_int_equal(reloads, 0);
	txn_report_free(&r);
	txn_free(t);

	t = txn_here();
	txn_add_action(t, "/etc/init.d/opendkim start");
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &h, &r, &cause), 0);
	assert_int_equal(reloads, 1);
	assert_int_equal(r.nchanged, 0);
	assert_null(r.stamp);
	assert_int_equal(nbackups(), 0);
	txn_report_free(&r);
	txn_free(t);

	t = txn_here();
	txn_add_action(t, "chmod 0600 /etc/dkimkeys/a.private");
	txn_report_init(&r);
	assert_int_equal(txn_commit(t, &hf, &r, &cause), -1);
	assert_int_equal(r.failure, TXN_FAIL_HOOK);
	assert_false(r.rolled_back);
	assert_int_equal(hook_restores, 0);
	assert_non_null(strstr(cause, "reload failed; no file was changed"));
	free(cause);
	assert_int_equal(nbackups(), 0);
	txn_report_free(&r);
	txn_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_changed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_hook, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_write, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_stage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_loop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_changed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restore_damaged, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_untrusted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_interrupted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_restore,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incomplete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fswrite_attrs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
