/* test_fswrite.c: the atomic writer, its lock, and its users (keystate,
 * export): modes and owners kept, symlinks, backups, never-replace, full
 * and read-only file systems (tiny tmpfs mounts, as root), short writes and
 * EINTR, concurrent read-modify-write.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/check/export.h"
#include "core/keys/keystate.h"
#include "core/lib/fswrite.h"
#include "core/lib/util.h"
#include "core/site/site.h"

static char dir[64];

/* dir/name in one of two static buffers (two at a time). */
static const char *
tp(const char *name)
{
	static char path[2][4096];
	static int i;

	i = !i;
	snprintf(path[i], sizeof path[i], "%s/%s", dir, name);
	return path[i];
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/notspam-fswrite-XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof cmd, "umount '%s'/mnt* 2>/dev/null; rm -rf '%s'",
	    dir, dir);
	free(test_run(cmd));
	return 0;
}

/* How many names in directory d contain "notspam-" (temporary files). */
static int
tmp_count(const char *d)
{
	char cmd[4200], *out;
	int n;

	snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c 'notspam-'", d);
	out = test_run(cmd);
	n = atoi(out);
	free(out);
	return n;
}

static void
write_plain(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A new file gets the mode asked for, whatever the umask. */
static void
test_new_file(void **state)
{
	struct fswrite_opts o;
	struct stat sb;
	char *cause = NULL, *data;
	mode_t old;

	(void)state;
	memset(&o, 0, sizeof o);
	o.mode = 0640;
	old = umask(077);
	assert_int_equal(fswrite_file(NULL, tp("new.conf"), "a = 1\n", 6, &o,
	    &cause), 0);
	umask(old);
	assert_int_equal(stat(tp("new.conf"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	data = test_read_file(tp("new.conf"), NULL);
	assert_string_equal(data, "a = 1\n");
	free(data);
	assert_int_equal(tmp_count(dir), 0);
	/* No options: 0600. */
	assert_int_equal(fswrite_file(NULL, tp("plain"), "", 0, NULL, &cause),
	    0);
	assert_int_equal(stat(tp("plain"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 0);
}

/* A replaced file keeps its mode and (as root) its owner and group. */
static void
test_replace_keeps_owner_mode(void **state)
{
	struct fswrite_opts o;
	struct stat sb;
	char *cause = NULL, *data;

	(void)state;
	write_plain(tp("main.cf"), "old\n");
	assert_int_equal(chmod(tp("main.cf"), 0604), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(tp("main.cf"), 65534, 65534), 0);
	memset(&o, 0, sizeof o);
	o.mode = 0600;	/* for a new file only */
	assert_int_equal(fswrite_file(NULL, tp("main.cf"), "new content\n", 12,
	    &o, &cause), 0);
	assert_int_equal(stat(tp("main.cf"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0604);
	if (geteuid() == 0) {
		assert_int_equal(sb.st_uid, 65534);
		assert_int_equal(sb.st_gid, 65534);
	}
	data = test_read_file(tp("main.cf"), NULL);
	assert_string_equal(data, "new content\n");
	free(data);
	assert_int_equal(tmp_count(dir), 0);
}

/* Under a root; a symlink at the target is kept and its file replaced,
 * absolute link targets taken under the root. */
static void
test_symlink_target(void **state)
{
	char root[256], real[300], link1[300], link2[300], *cause = NULL;
	char *data, *res = NULL, buf[300];
	ssize_t n;

	(void)state;
	snprintf(root, sizeof root, "%s/root", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(real, sizeof real, "%s/srv", root);
	assert_int_equal(mkdir(real, 0755), 0);
	snprintf(real, sizeof real, "%s/etc", root);
	assert_int_equal(mkdir(real, 0755), 0);
	snprintf(real, sizeof real, "%s/srv/real.state", root);
	write_plain(real, "old\n");
	snprintf(link1, sizeof link1, "%s/etc/abs.state", root);
	assert_int_equal(symlink("/srv/real.state", link1), 0);
	snprintf(link2, sizeof link2, "%s/etc/rel.state", root);
	assert_int_equal(symlink("../srv/real.state", link2), 0);

	assert_int_equal(fswrite_resolve(root, "/etc/abs.state", &res,
	    &cause), 0);
	assert_string_equal(res, "/srv/real.state");
	free(res);
	assert_int_equal(fswrite_resolve(root, "/etc/rel.state", &res,
	    &cause), 0);
	assert_string_equal(res, "/srv/real.state");
	free(res);
	assert_int_equal(fswrite_resolve(root, "/etc/../etc/./none/x", &res,
	    &cause), 0);
	assert_string_equal(res, "/etc/none/x");
	free(res);

	assert_int_equal(fswrite_file(root, "/etc/abs.state", "one\n", 4, NULL,
	    &cause), 0);
	n = readlink(link1, buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "/srv/real.state");
	data = test_read_file(real, NULL);
	assert_string_equal(data, "one\n");
	free(data);
	assert_int_equal(fswrite_file(root, "/etc/rel.state", "two\n", 4, NULL,
	    &cause), 0);
	data = test_read_file(real, NULL);
	assert_string_equal(data, "two\n");
	free(data);
	/* Relative paths are the site's only without a root. */
	assert_int_equal(fswrite_file(root, "etc/x", "", 0, NULL, &cause), -1);
	assert_non_null(strstr(cause, "give an absolute path"));
	free(cause);
	cause = NULL;
	/* A loop of links. */
	snprintf(link1, sizeof link1, "%s/etc/loop", root);
	assert_int_equal(symlink("/etc/loop", link1), 0);
	assert_int_equal(fswrite_file(root, "/etc/loop", "", 0, NULL, &cause),
	    -1);
	assert_non_null(strstr(cause, "too many symlinks"));
	free(cause);
}

/* A relative path without a root is taken from the working directory. */
static void
test_relative(void **state)
{
	char cwd[4096], *cause = NULL, *data;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(fswrite_file(NULL, "rel.txt", "r\n", 2, NULL, &cause),
	    0);
	assert_int_equal(chdir(cwd), 0);
	data = test_read_file(tp("rel.txt"), NULL);
	assert_string_equal(data, "r\n");
	free(data);
}

/* The backup holds the old content, mode 0600; none for a new file. */
static void
test_backup(void **state)
{
	struct fswrite_opts o;
	struct stat sb;
	char *cause = NULL, *data, bak[300];

	(void)state;
	write_plain(tp("opendkim.conf"), "Mode sv\n");
	assert_int_equal(chmod(tp("opendkim.conf"), 0644), 0);
	snprintf(bak, sizeof bak, "%s/opendkim.conf.bak", dir);
	memset(&o, 0, sizeof o);
	o.backup = bak;
	assert_int_equal(fswrite_file(NULL, tp("opendkim.conf"), "Mode s\n", 7,
	    &o, &cause), 0);
	data = test_read_file(bak, NULL);
	assert_string_equal(data, "Mode sv\n");
	free(data);
	assert_int_equal(stat(bak, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	data = test_read_file(tp("opendkim.conf"), NULL);
	assert_string_equal(data, "Mode s\n");
	free(data);
	assert_int_equal(stat(tp("opendkim.conf"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	/* A second write replaces the backup with the newer old content. */
	assert_int_equal(fswrite_file(NULL, tp("opendkim.conf"), "Mode v\n", 7,
	    &o, &cause), 0);
	data = test_read_file(bak, NULL);
	assert_string_equal(data, "Mode s\n");
	free(data);
	/* New file: no backup made. */
	snprintf(bak, sizeof bak, "%s/fresh.bak", dir);
	o.backup = bak;
	assert_int_equal(fswrite_file(NULL, tp("fresh"), "x", 1, &o, &cause),
	    0);
	assert_int_equal(access(bak, F_OK), -1);
	/* A backup that cannot be written: the target is not touched. */
	snprintf(bak, sizeof bak, "%s/no/such/dir/x.bak", dir);
	o.backup = bak;
	assert_int_equal(fswrite_file(NULL, tp("opendkim.conf"), "Mode X\n", 7,
	    &o, &cause), -1);
	assert_non_null(strstr(cause, "was not replaced: its backup failed"));
	free(cause);
	data = test_read_file(tp("opendkim.conf"), NULL);
	assert_string_equal(data, "Mode v\n");
	free(data);
	assert_int_equal(tmp_count(dir), 0);
}

/* FSWRITE_NOREPLACE: an existing name (file or dangling link) stays. */
static void
test_noreplace(void **state)
{
	struct fswrite_opts o;
	char *cause = NULL, *data, buf[64];
	ssize_t n;

	(void)state;
	memset(&o, 0, sizeof o);
	o.flags = FSWRITE_NOREPLACE;
	o.mode = 0644;
	assert_int_equal(fswrite_file(NULL, tp("zone"), "z1\n", 3, &o, &cause),
	    0);
	assert_int_equal(fswrite_file(NULL, tp("zone"), "z2\n", 3, &o, &cause),
	    -1);
	assert_non_null(strstr(cause, "already exists: choose another name"));
	assert_non_null(strstr(cause, tp("zone")));
	free(cause);
	cause = NULL;
	data = test_read_file(tp("zone"), NULL);
	assert_string_equal(data, "z1\n");
	free(data);
	assert_int_equal(symlink("/nonexistent/target", tp("dangling")), 0);
	assert_int_equal(fswrite_file(NULL, tp("dangling"), "z\n", 2, &o,
	    &cause), -1);
	free(cause);
	n = readlink(tp("dangling"), buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "/nonexistent/target");
	assert_int_equal(access("/nonexistent/target", F_OK), -1);
	assert_int_equal(tmp_count(dir), 0);
}

/* What cannot be written is said with the path and what to do. */
static void
test_errors(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(fswrite_file(NULL, tp("missing/dir/f"), "x", 1, NULL,
	    &cause), -1);
	assert_non_null(strstr(cause, "does not exist"));
	assert_non_null(strstr(cause, tp("missing/dir/f")));
	free(cause);
	cause = NULL;
	assert_int_equal(mkdir(tp("adir"), 0755), 0);
	assert_int_equal(fswrite_file(NULL, tp("adir"), "x", 1, NULL, &cause),
	    -1);
	assert_non_null(strstr(cause, "is a directory"));
	free(cause);
	cause = NULL;
	if (geteuid() != 0) {
		assert_int_equal(mkdir(tp("ro"), 0555), 0);
		assert_int_equal(fswrite_file(NULL, tp("ro/f"), "x", 1, NULL,
		    &cause), -1);
		assert_non_null(strstr(cause, "Permission denied"));
		assert_non_null(strstr(cause, "run notspam as a user who"));
		free(cause);
	}
}

/* Mount a tmpfs of size kb at dir/name with extra options; 0 or -1. */
static int
mount_tmpfs(const char *name, int kb, int ro)
{
	char opts[64];

	if (geteuid() != 0)
		return -1;
	if (mkdir(tp(name), 0755) != 0 && errno != EEXIST)
		return -1;
	snprintf(opts, sizeof opts, "size=%dk", kb);
	return mount("tmpfs", tp(name), "tmpfs", ro ? MS_RDONLY : 0, opts);
}

/* A full file system: ENOSPC named with the path; old file intact, no
 * temporary file left. */
static void
test_full(void **state)
{
	char *big, *cause = NULL, *data;
	size_t len = 256 * 1024;

	(void)state;
	if (mount_tmpfs("mnt-full", 16, 0) != 0)
		skip();
	write_plain(tp("mnt-full/state"), "keep me\n");
	big = xmalloc(len);
	memset(big, 'x', len);
	assert_int_equal(fswrite_file(NULL, tp("mnt-full/state"), big, len,
	    NULL, &cause), -1);
	free(big);
	assert_non_null(strstr(cause, tp("mnt-full/state")));
	assert_non_null(strstr(cause, "No space left on device"));
	assert_non_null(strstr(cause, "the file system is full"));
	assert_non_null(strstr(cause, "the old file is unchanged"));
	free(cause);
	data = test_read_file(tp("mnt-full/state"), NULL);
	assert_string_equal(data, "keep me\n");
	free(data);
	assert_int_equal(tmp_count(tp("mnt-full")), 0);
}

/* A read-only file system: EROFS named with the path. */
static void
test_readonly(void **state)
{
	char *cause = NULL;

	(void)state;
	if (mount_tmpfs("mnt-ro", 16, 1) != 0)
		skip();
	assert_int_equal(fswrite_file(NULL, tp("mnt-ro/f"), "x", 1, NULL,
	    &cause), -1);
	assert_non_null(strstr(cause, tp("mnt-ro/f")));
	assert_non_null(strstr(cause, "Read-only file system"));
	assert_non_null(strstr(cause, "remount it read-write"));
	free(cause);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* fswrite_all through a pipe read slowly, with a timer interrupting the
 * writes every millisecond: every byte arrives, in order. */
static void
test_write_all_eintr(void **state)
{
	struct sigaction sa, osa;
	struct itimerval it, oit;
	size_t len = 4u * 1024 * 1024, i;
	char *data;
	int p[2], st;
	pid_t pid;

	(void)state;
	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (char)('a' + i % 23);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		char chunk[1000];
		size_t got = 0;
		ssize_t n;
		int bad = 0;

		close(p[1]);
		while ((n = read(p[0], chunk, sizeof chunk)) > 0) {
			for (i = 0; i < (size_t)n; i++)
				if (chunk[i] != (char)('a' + (got + i) % 23))
					bad = 1;
			got += (size_t)n;
			if (got % 65536 < 1000)
				usleep(200);
		}
		_exit(!bad && got == len ? 0 : 1);
	}
	close(p[0]);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;	/* no SA_RESTART: writes see EINTR */
	sigaction(SIGALRM, &sa, &osa);
	memset(&it, 0, sizeof it);
	it.it_interval.tv_usec = 1000;
	it.it_value.tv_usec = 1000;
	setitimer(ITIMER_REAL, &it, &oit);
	assert_int_equal(fswrite_all(p[1], data, len), 0);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	sigaction(SIGALRM, &osa, NULL);
	close(p[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(data);
}

/* The lock excludes a second holder until released. */
static void
test_lock(void **state)
{
	struct fswrite_lock *lk, *lk2;
	struct stat sb;
	char *cause = NULL;
	int st;
	pid_t pid;

	(void)state;
	lk = fswrite_lock(NULL, tp("locked.state"), 0, &cause);
	assert_non_null(lk);
	assert_int_equal(stat(tp("locked.state.lock"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	if ((pid = fork()) == 0) {
		char *why = NULL;
		struct fswrite_lock *l = fswrite_lock(NULL,
		    tp("locked.state"), 100, &why);
		_exit(l == NULL && why != NULL &&
		    strstr(why, "held by another notspam") != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	fswrite_unlock(lk);
	lk2 = fswrite_lock(NULL, tp("locked.state"), 100, &cause);
	assert_non_null(lk2);
	fswrite_unlock(lk2);
	fswrite_unlock(NULL);
}

/* Append one line to what is there. */
static int
append_cb(const char *old, size_t oldlen, struct buf *out, void *arg,
    char **cause)
{
	(void)cause;
	if (old != NULL)
		buf_add(out, old, oldlen);
	buf_printf(out, "%s\n", (const char *)arg);
	return 0;
}

static int
keep_cb(const char *old, size_t oldlen, struct buf *out, void *arg,
    char **cause)
{
	(void)old;
	(void)oldlen;
	(void)out;
	(void)arg;
	(void)cause;
	return 1;
}

/* Sixteen processes append at once: none is lost. */
static void
test_update_concurrent(void **state)
{
	char *data, line[32], *cause = NULL;
	int i, st, lines = 0;
	pid_t pids[16];
	const char *p;

	(void)state;
	for (i = 0; i < 16; i++) {
		if ((pids[i] = fork()) == 0) {
			snprintf(line, sizeof line, "writer %d", i);
			_exit(fswrite_update(NULL, tp("shared.state"), NULL,
			    append_cb, line, NULL) == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < 16; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	data = test_read_file(tp("shared.state"), NULL);
	for (p = data; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 16);
	for (i = 0; i < 16; i++) {
		snprintf(line, sizeof line, "writer %d\n", i);
		assert_non_null(strstr(data, line));
	}
	free(data);
	/* cb 1: the file is left as it is. */
	assert_int_equal(fswrite_update(NULL, tp("shared.state"), NULL, keep_cb,
	    NULL, &cause), 0);
	data = test_read_file(tp("shared.state"), NULL);
	assert_non_null(strstr(data, "writer 15\n"));
	free(data);
}

/* Two stale copies of keys.state each save their own change: both stay,
 * and an entry one of them did not touch keeps the other's change. */
static void
test_keystate_merge(void **state)
{
	struct keystate a, b, c;
	struct keystate_entry *e;
	char root[256], *cause = NULL;

	(void)state;
	snprintf(root, sizeof root, "%s/ksroot", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(keystate_load(root, &a, NULL, &cause), 0);
	keystate_set(&a, "example.org", "base", KEYSTATE_GENERATED, 1, "/k");
	assert_int_equal(keystate_save(root, &a, &cause), 0);
	keystate_free(&a);

	assert_int_equal(keystate_load(root, &a, NULL, &cause), 0);
	assert_int_equal(keystate_load(root, &b, NULL, &cause), 0);
	keystate_set(&a, "example.org", "a1", KEYSTATE_GENERATED, 10, NULL);
	keystate_set(&a, "example.org", "base", KEYSTATE_PUBLISHED, 11, NULL);
	assert_int_equal(keystate_save(root, &a, &cause), 0);
	keystate_set(&b, "example.org", "b1", KEYSTATE_GENERATED, 20, NULL);
	assert_int_equal(keystate_save(root, &b, &cause), 0);
	/* Saving b again changes nothing it did not change. */
	assert_int_equal(keystate_save(root, &b, &cause), 0);

	assert_int_equal(keystate_load(root, &c, NULL, &cause), 0);
	assert_int_equal(c.n, 3);
	assert_non_null(keystate_find(&c, "example.org", "a1"));
	assert_non_null(keystate_find(&c, "example.org", "b1"));
	e = keystate_find(&c, "example.org", "base");
	assert_non_null(e);
	assert_int_equal(e->state, KEYSTATE_PUBLISHED);
	assert_int_equal(e->since, 11);
	assert_string_equal(e->path, "/k");
	keystate_free(&a);
	keystate_free(&b);
	keystate_free(&c);
}

static int
ks_add_cb(struct keystate *ks, void *arg, char **cause)
{
	(void)cause;
	keystate_set(ks, "example.net", arg, KEYSTATE_RETIRED, 5, NULL);
	return 0;
}

/* keystate_update: read-modify-write in one step. */
static void
test_keystate_update(void **state)
{
	struct keystate c;
	char root[256], *cause = NULL, u1[] = "u1", u2[] = "u2";

	(void)state;
	snprintf(root, sizeof root, "%s/ksroot2", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(keystate_update(root, ks_add_cb, u1, &cause), 0);
	assert_int_equal(keystate_update(root, ks_add_cb, u2, &cause), 0);
	assert_int_equal(keystate_load(root, &c, NULL, &cause), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(keystate_find(&c, "example.net", "u2")->state,
	    KEYSTATE_RETIRED);
	keystate_free(&c);
}

/* export_missing writes a new file and refuses to replace one; a full
 * file system is reported with the path, and nothing is left. */
static void
test_export(void **state)
{
	struct site *site;
	char *cause = NULL, *data;
	int n;

	(void)state;
	site = site_load("share/demo", NULL, &cause);
	if (site == NULL)
		fail_msg("share/demo: %s", cause);
	n = export_missing(site, "example.org", NULL, 0, tp("export.zone"),
	    &cause);
	assert_true(n > 0);
	data = test_read_file(tp("export.zone"), NULL);
	assert_true(str_startswith(data, "; records example.org still needs"));
	free(data);
	assert_int_equal(export_missing(site, "example.org", NULL, 0,
	    tp("export.zone"), &cause), -1);
	assert_non_null(strstr(cause, "choose another name"));
	free(cause);
	cause = NULL;
	if (mount_tmpfs("mnt-export", 4, 0) == 0) {
		char *fill = xcalloc(1, 4096);
		FILE *f = fopen(tp("mnt-export/filler"), "w");
		assert_non_null(f);
		while (fwrite(fill, 1, 4096, f) == 4096 && fflush(f) == 0)
			;
		fclose(f);
		free(fill);
		assert_int_equal(export_missing(site, "example.org", NULL, 0,
		    tp("mnt-export/out.zone"), &cause), -1);
		assert_non_null(strstr(cause, tp("mnt-export/out.zone")));
		assert_non_null(strstr(cause, "No space left on device"));
		free(cause);
		assert_int_equal(access(tp("mnt-export/out.zone"), F_OK), -1);
		assert_int_equal(tmp_count(tp("mnt-export")), 0);
	}
	site_free(site);
}

/* How many times needle is in hay. */
static int
occurrences(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* The mail host's records go once, in their own block: before the
 * domain's in a domain's snippet (as comments where they are outside that
 * domain's zone), alone in the host's. */
static void
test_export_host(void **state)
{
	struct site *site;
	char *cause = NULL, *data;
	const char *blk = "; the mail host mail.example.org: in its zone and"
	    " in the reverse zones\n";
	int n;

	(void)state;
	site = site_load("share/demo", NULL, &cause);
	if (site == NULL)
		fail_msg("share/demo: %s", cause);
	/* example.org holds the host name: its A records load there. */
	n = export_missing(site, "example.org", NULL, 0, tp("org.zone"),
	    &cause);
	data = test_read_file(tp("org.zone"), NULL);
	assert_int_equal(occurrences(data, blk), 1);
	assert_int_equal(occurrences(data, "IN A 192.0.2.25"), 1);
	assert_non_null(strstr(data, "\nmail.example.org. 3600 IN A"
	    " 192.0.2.25\n"));
	assert_int_equal(occurrences(data, "IN PTR mail.example.org."), 2);
	assert_non_null(strstr(data, "\n; example.org\nexample.org. 3600 IN"
	    " MX"));
	assert_true(strstr(data, blk) < strstr(data, "\n; example.org\n"));
	assert_int_equal(occurrences(data, "\nexample.org. 3600 IN TXT"), 1);
	assert_true(n >= 7);	/* A AAAA spf-helo mx spf 2 dkim dmarc .. */
	free(data);
	/* example.net does not: they are comments naming the host. */
	n = export_missing(site, "example.net", NULL, 0, tp("net.zone"),
	    &cause);
	data = test_read_file(tp("net.zone"), NULL);
	assert_int_equal(occurrences(data, blk), 1);
	assert_non_null(strstr(data, "; in the zone of the mail host"
	    " mail.example.org (add it there):\n; mail.example.org. 3600 IN A"
	    " 192.0.2.25\n"));
	assert_null(strstr(data, "\nmail.example.org."));
	free(data);
	/* The host's own snippet: its records only. */
	n = export_missing(site, NULL, NULL, 0, tp("host.zone"), &cause);
	data = test_read_file(tp("host.zone"), NULL);
	assert_true(str_startswith(data, "; records the mail host"
	    " mail.example.org still needs"));
	assert_int_equal(occurrences(data, blk), 1);
	assert_non_null(strstr(data, "\nmail.example.org. 3600 IN A"
	    " 192.0.2.25\n"));
	assert_null(strstr(data, "IN MX"));
	assert_null(strstr(data, "_dmarc"));
	assert_int_equal(n, 3);		/* A, AAAA, spf-helo */
	free(data);
	site_free(site);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_file),
		cmocka_unit_test(test_replace_keeps_owner_mode),
		cmocka_unit_test(test_symlink_target),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_noreplace),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_write_all_eintr),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_update_concurrent),
		cmocka_unit_test(test_keystate_merge),
		cmocka_unit_test(test_keystate_update),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_host),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
