/* test_keygen.c: DKIM key generation and storage, key safety, key states.
 *
 * Keys are made in a directory under /run (root-owned 0755 parents, as
 * OpenDKIM demands) when running as root, else under /tmp; every key read
 * back with the openssl CLI.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/keys/keygen.h"
#include "core/keys/keys.h"
#include "core/keys/keysafe.h"
#include "core/keys/keystate.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

static char dir[64];

/* dir/name in a static buffer (one at a time). */
static const char *
kp(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static int
setup(void **state)
{
	(void)state;
	if (geteuid() == 0)
		snprintf(dir, sizeof dir, "/run/notspam-keygen-XXXXXX");
	else
		snprintf(dir, sizeof dir, "/tmp/notspam-keygen-XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256], *out;

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	out = test_run(cmd);
	free(out);
	return 0;
}

/* The first line openssl prints about a key file ("Private-Key: ..."). */
static char *
openssl_text(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -noout -text "
	    "2>&1 | head -n 1", path);
	return test_run(cmd);
}

/* What openssl says p= is. */
static char *
openssl_p(const char *path, int ed)
{
	char cmd[4200], *out;
	size_t len;

	snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -pubout -outform DER "
	    "2>/dev/null %s| base64 -w0", path, ed ? "| tail -c 32 " : "");
	out = test_run(cmd);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	return out;
}

static void
test_selector(void **state)
{
	static const char *const good[] = { "202611", "mail", "ed202611",
	    "a-b", "s1.example", "x", NULL };
	static const char *const bad[] = { "", "a_b", "-a", "a-", "a..b",
	    ".a", "a.", "a b", "é", "a/b", NULL };
	char *cause = NULL, long63[70], long64[70];
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_int_equal(keygen_check_selector(good[i], NULL), 0);
	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(keygen_check_selector(bad[i], &cause), -1);
		assert_non_null(strstr(cause, "selector"));
		free(cause);
		cause = NULL;
	}
	memset(long63, 'a', 63);
	long63[63] = '\0';
	memset(long64, 'a', 64);
	long64[64] = '\0';
	assert_int_equal(keygen_check_selector(long63, NULL), 0);
	assert_int_equal(keygen_check_selector(long64, &cause), -1);
	assert_non_null(strstr(cause, "63"));
	free(cause);
}

static void
test_domain(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(keygen_check_domain("example.org", NULL), 0);
	assert_int_equal(keygen_check_domain("a.b.example.org", NULL), 0);
	assert_int_equal(keygen_check_domain("example", &cause), -1);
	assert_non_null(strstr(cause, "invalid domain \"example\""));
	free(cause);
	assert_int_equal(keygen_check_domain("ex_ample.org", NULL), -1);
	assert_int_equal(keygen_check_domain("", NULL), -1);
	assert_int_equal(keygen_check_domain("a\033.org", &cause), -1);
	/* The escape byte is not echoed raw. */
	assert_null(strchr(cause, '\033'));
	free(cause);
}

static void
test_defaults(void **state)
{
	struct tm tm;
	time_t t;
	char *s;

	(void)state;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = 23;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	s = keygen_default_selector(t, "rsa");
	assert_string_equal(s, "202611");
	free(s);
	s = keygen_default_selector(t, "ed25519");
	assert_string_equal(s, "ed202611");
	free(s);
	s = keygen_default_path("opendkim", "example.org", "202611");
	assert_string_equal(s, "/etc/dkimkeys/example.org_202611.private");
	free(s);
	s = keygen_default_path("dkimproxy", "example.org", "s");
	assert_string_equal(s, "/etc/mail/dkim/example.org_s.key");
	free(s);
	s = keygen_default_path("filter-dkimsign", "example.org", "s");
	assert_string_equal(s, "/etc/mail/dkim/example.org_s.key");
	free(s);
}

static void
test_sizes(void **state)
{
	struct strv notes;
	char *cause = NULL;

	(void)state;
	strv_init(&notes);
	assert_int_equal(keygen_check_size("rsa", 0, 0, &notes, NULL), 0);
	assert_int_equal(keygen_check_size("rsa", 2048, 0, &notes, NULL), 0);
	assert_int_equal(keygen_check_size("rsa", 3072, 0, &notes, NULL), 0);
	assert_int_equal(keygen_check_size("rsa", 4096, 0, &notes, NULL), 0);
	assert_int_equal(notes.n, 0);
	assert_int_equal(keygen_check_size("rsa", 512, 1, &notes, &cause), -1);
	assert_non_null(strstr(cause, "below 1024"));
	free(cause);
	assert_int_equal(keygen_check_size("rsa", 1024, 0, &notes, &cause),
	    -1);
	assert_non_null(strstr(cause, "--weak"));
	free(cause);
	assert_int_equal(keygen_check_size("rsa", 1024, 1, &notes, NULL), 0);
	assert_int_equal(notes.n, 1);
	assert_non_null(strstr(notes.v[0], "weak"));
	assert_int_equal(keygen_check_size("rsa", 2000, 0, NULL, NULL), -1);
	assert_int_equal(keygen_check_size("rsa", 8192, 0, NULL, NULL), -1);
	assert_int_equal(keygen_check_size("ed25519", 0, 0, NULL, NULL), 0);
	assert_int_equal(keygen_check_size("ed25519", 2048, 0, NULL, NULL),
	    -1);
	assert_int_equal(keygen_check_size("dsa", 0, 0, NULL, NULL), -1);
	strv_free(&notes);
}

/* Make a key at dir/name with the blocking API; asserts success. */
static void
make(const char *name, const char *type, int bits, const char *user,
    struct keygen_result *res)
{
	struct keygen_req req;
	char *cause = NULL;
	int rc;

	memset(&req, 0, sizeof req);
	req.path = kp(name);
	req.type = type;
	req.bits = bits;
	req.user = user;
	rc = keygen_run(&req, res, &cause);
	if (rc != 0)
		fail_msg("keygen_run %s: %s", name, cause);
	free(cause);
}

static void
test_rsa_default(void **state)
{
	struct keygen_result res;
	struct stat sb;
	char *text, *p, *pem;

	(void)state;
	make("rsa.private", "rsa", 0, NULL, &res);
	assert_string_equal(res.path, kp("rsa.private"));
	assert_string_equal(res.pub.type, "rsa");
	assert_int_equal(res.pub.bits, 2048);
	assert_int_equal(res.mode, 0600);
	assert_int_equal(stat(kp("rsa.private"), &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_uid, geteuid());
	text = openssl_text(kp("rsa.private"));
	assert_non_null(strstr(text, "Private-Key: (2048 bit"));
	free(text);
	p = openssl_p(kp("rsa.private"), 0);
	assert_string_equal(res.pub.p, p);
	free(p);
	pem = test_read_file(kp("rsa.private"), NULL);
	assert_true(str_startswith(pem, "-----BEGIN PRIVATE KEY-----\n"));
	free(pem);
	keygen_result_free(&res);
}

static void
test_rsa_4096_and_ed25519(void **state)
{
	struct keygen_result res;
	char *text, *p;

	(void)state;
	make("rsa4096.private", "rsa", 4096, NULL, &res);
	assert_int_equal(res.pub.bits, 4096);
	text = openssl_text(kp("rsa4096.private"));
	assert_non_null(strstr(text, "Private-Key: (4096 bit"));
	free(text);
	keygen_result_free(&res);

	make("ed.private", "ed25519", 0, NULL, &res);
	assert_string_equal(res.pub.type, "ed25519");
	assert_int_equal(res.pub.bits, 256);
	text = openssl_text(kp("ed.private"));
	assert_non_null(strstr(text, "ED25519 Private-Key"));
	free(text);
	p = openssl_p(kp("ed.private"), 1);
	assert_string_equal(res.pub.p, p);
	free(p);
	keygen_result_free(&res);
}

/* The signer's user owns the key on the live system (root only). */
static void
test_owner(void **state)
{
	struct keygen_result res;
	struct passwd *pw;
	struct stat sb;

	(void)state;
	if (geteuid() != 0 || (pw = getpwnam("opendkim")) == NULL)
		skip();
	make("owned.private", "ed25519", 0, "opendkim", &res);
	assert_int_equal(res.uid, pw->pw_uid);
	assert_int_equal(stat(kp("owned.private"), &sb), 0);
	assert_int_equal(sb.st_uid, pw->pw_uid);
	assert_int_equal(sb.st_gid, pw->pw_gid);
	assert_int_equal(sb.st_mode & 07777, 0600);
	keygen_result_free(&res);

	/* A user that does not exist: made anyway, owned by us, noted. */
	make("nouser.private", "ed25519", 0, "no-such-user-xyz", &res);
	assert_int_equal(res.uid, 0);
	assert_true(res.notes.n > 0);
	assert_non_null(strstr(res.notes.v[0], "does not exist"));
	keygen_result_free(&res);
}

static void
test_never_overwrite(void **state)
{
	struct keygen_result res;
	struct keygen_req req;
	char *before, *after, *cause = NULL;
	size_t n1, n2;

	(void)state;
	make("once.private", "ed25519", 0, NULL, &res);
	keygen_result_free(&res);
	before = test_read_file(kp("once.private"), &n1);
	memset(&req, 0, sizeof req);
	req.path = kp("once.private");
	req.type = "ed25519";
	assert_int_equal(keygen_run(&req, &res, &cause), -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
	after = test_read_file(kp("once.private"), &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);

	/* A dangling symlink at the name is not followed or replaced. */
	{
		char *target = xstrdup(kp("target"));
		assert_int_equal(symlink(target, kp("dangling.private")), 0);
		free(target);
	}
	req.path = kp("dangling.private");
	cause = NULL;
	assert_int_equal(keygen_run(&req, &res, &cause), -1);
	free(cause);
	assert_int_equal(access(kp("target"), F_OK), -1);
}

/* What the keygen callback saw. */
struct kg_seen {
	int			 calls;
	int			 ok;
	struct keygen_result	 res;
	char			*why;
};

static void
kg_seen_cb(struct keygen_result *res, const char *why, void *arg)
{
	struct kg_seen *k = arg;

	k->calls++;
	if (res != NULL) {
		k->ok = 1;
		k->res = *res;
	} else
		k->why = xstrdup(why);
}

/* On the loop: start returns at once, the callback brings the key; and
 * cancel. */
static void
test_async(void **state)
{
	struct keygen_req req;
	struct keygen_job *job;
	struct kg_seen k;
	struct loop *loop = loop_new();
	char *cause = NULL, cmd[256], *out;

	(void)state;
	memset(&req, 0, sizeof req);
	memset(&k, 0, sizeof k);
	req.path = kp("sub/dir/async.private");
	req.type = "rsa";
	req.bits = 3072;
	job = keygen_start(loop, &req, kg_seen_cb, &k, &cause);
	assert_non_null(job);
	assert_true(keygen_pid(job) > 0);
	assert_int_equal(k.calls, 0);	/* only ever from the loop */
	assert_true(loop_busy(loop));
	loop_run(loop, &k.calls);
	assert_int_equal(k.calls, 1);
	assert_true(k.ok);
	assert_false(loop_busy(loop));
	assert_int_equal(k.res.pub.bits, 3072);
	assert_string_equal(k.res.path, kp("sub/dir/async.private"));
	/* Directories were made: the key's own 0700, the one above 0755. */
	assert_true(k.res.notes.n >= 2);
	keygen_result_free(&k.res);
	snprintf(cmd, sizeof cmd, "stat -c %%a '%s/sub' '%s/sub/dir'", dir,
	    dir);
	out = test_run(cmd);
	assert_string_equal(out, "755\n700\n");
	free(out);

	/* A failing child: the callback gets its message. */
	memset(&k, 0, sizeof k);
	req.path = kp("sub/dir/async.private");	/* exists now */
	assert_null(keygen_start(loop, &req, kg_seen_cb, &k, &cause));
	assert_non_null(strstr(cause, "never overwrites"));
	free(cause);
	cause = NULL;
	memset(&k, 0, sizeof k);
	req.path = xstrdup(kp("imp.private"));
	req.import = xstrdup(kp("no-such.pem"));
	job = keygen_start(loop, &req, kg_seen_cb, &k, &cause);
	assert_non_null(job);
	loop_run(loop, &k.calls);
	assert_int_equal(k.calls, 1);
	assert_false(k.ok);
	assert_non_null(strstr(k.why, "no such file"));
	free(k.why);
	free((char *)req.path);
	free((char *)req.import);
	req.import = NULL;

	/* Cancelled at once: no key, no temporary file, no zombie, no
	 * callback. */
	memset(&k, 0, sizeof k);
	req.path = kp("cancelled.private");
	req.bits = 4096;
	job = keygen_start(loop, &req, kg_seen_cb, &k, &cause);
	assert_non_null(job);
	keygen_cancel(job);
	assert_false(loop_busy(loop));
	assert_int_equal(k.calls, 0);
	assert_int_equal(access(kp("cancelled.private"), F_OK), -1);
	snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c tmp", dir);
	out = test_run(cmd);
	assert_string_equal(out, "0\n");
	free(out);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	loop_free(loop);
}

static void
test_import(void **state)
{
	struct keygen_req req;
	struct keygen_result res;
	char cmd[8192], *out, *cause = NULL, *p;

	(void)state;
	snprintf(cmd, sizeof cmd, "openssl genrsa -traditional -out '%s' 2048 "
	    "2>/dev/null && head -n 1 '%s'", kp("pkcs1.pem"), kp("pkcs1.pem"));
	out = test_run(cmd);
	assert_string_equal(out, "-----BEGIN RSA PRIVATE KEY-----\n");
	free(out);
	memset(&req, 0, sizeof req);
	req.path = xstrdup(kp("imported.private"));
	req.import = xstrdup(kp("pkcs1.pem"));
	assert_int_equal(keygen_run(&req, &res, &cause), 0);
	free((char *)req.import);
	free((char *)req.path);
	p = openssl_p(kp("imported.private"), 0);
	assert_string_equal(res.pub.p, p);
	free(p);
	keygen_result_free(&res);
	out = test_read_file(kp("imported.private"), NULL);
	assert_true(str_startswith(out, "-----BEGIN PRIVATE KEY-----\n"));
	free(out);

	/* Not a key: refused with dkimkey's reason, nothing written. */
	snprintf(cmd, sizeof cmd, "echo hello > '%s'", kp("junk.pem"));
	free(test_run(cmd));
	req.path = xstrdup(kp("junk.private"));
	req.import = xstrdup(kp("junk.pem"));
	assert_int_equal(keygen_run(&req, &res, &cause), -1);
	free((char *)req.import);
	free((char *)req.path);
	assert_non_null(strstr(cause, "not a PEM file"));
	free(cause);
	assert_int_equal(access(kp("junk.private"), F_OK), -1);
}

/* Symlinks: only root's, in root's directories, are followed. */
static void
test_resolve(void **state)
{
	char *res = NULL, *cause = NULL, root[256], cmd[8192];

	(void)state;
	snprintf(root, sizeof root, "%s/root", dir);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/etc/real' '%s/var' && "
	    "ln -s /etc/real '%s/etc/abs' && ln -s real '%s/etc/rel' && "
	    "ln -s ../../../../.. '%s/etc/up'", root, root, root, root, root);
	free(test_run(cmd));
	assert_int_equal(keysafe_resolve(root, "/etc/abs/k.private", &res,
	    NULL), 0);
	assert_string_equal(res, "/etc/real/k.private");
	free(res);
	assert_int_equal(keysafe_resolve(root, "/etc/rel/x/k", &res, NULL), 0);
	assert_string_equal(res, "/etc/real/x/k");
	free(res);
	/* ".." never climbs out of the root. */
	assert_int_equal(keysafe_resolve(root, "/etc/up/var", &res, NULL), 0);
	assert_string_equal(res, "/var");
	free(res);
	if (geteuid() != 0)
		return;
	snprintf(cmd, sizeof cmd, "ln -s /etc/real '%s/etc/nob' && chown -h "
	    "nobody '%s/etc/nob'", root, root);
	free(test_run(cmd));
	assert_int_equal(keysafe_resolve(root, "/etc/nob/k", &res, &cause),
	    -1);
	assert_non_null(strstr(cause, "/etc/nob is a symlink owned by uid"));
	free(cause);
}

/* The live system's rules: /tmp is refused as OpenDKIM refuses it. */
static void
test_keysafe_tmp(void **state)
{
	struct keysafe ks;
	char path[] = "/tmp/notspam-ks-XXXXXX", file[64];
	size_t i;
	int fd, found = 0, mode_found = 0;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof file, "%s/k.private", path);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	fchmod(fd, 0644);
	close(fd);
	assert_int_equal(keysafe_check(NULL, file, NULL, &ks, NULL), 0);
	assert_true(ks.exists);
	assert_int_equal(ks.mode, 0644);
	for (i = 0; i < ks.nissues; i++) {
		if (strcmp(ks.issues[i].path, "/tmp") == 0 &&
		    strstr(ks.issues[i].problem, "/tmp can be read or written "
		    "by other users") != NULL &&
		    strcmp(ks.issues[i].fix, "chmod o-w /tmp") == 0)
			found = 1;
		if (strcmp(ks.issues[i].path, file) == 0 &&
		    ks.issues[i].fix != NULL &&
		    str_startswith(ks.issues[i].fix, "chmod 0600 "))
			mode_found = 1;
	}
	assert_true(found);
	assert_true(mode_found);
	keysafe_free(&ks);
	unlink(file);
	rmdir(path);
}

static void
test_keysafe_clean(void **state)
{
	struct keygen_result res;
	struct keysafe ks;
	size_t i;

	(void)state;
	if (geteuid() != 0 || getpwnam("opendkim") == NULL)
		skip();
	make("clean.private", "ed25519", 0, "opendkim", &res);
	keygen_result_free(&res);
	assert_int_equal(keysafe_check(NULL, kp("clean.private"), "opendkim",
	    &ks, NULL), 0);
	for (i = 0; i < ks.nissues; i++)
		print_message("unexpected: %s\n", ks.issues[i].problem);
	assert_int_equal(ks.nissues, 0);
	assert_string_equal(ks.owner, "opendkim");
	keysafe_free(&ks);
	/* Root-owned 0600: opendkim could not read it. */
	assert_int_equal(chown(kp("clean.private"), 0, 0), 0);
	assert_int_equal(keysafe_check(NULL, kp("clean.private"), "opendkim",
	    &ks, NULL), 0);
	assert_int_equal(ks.nissues, 1);
	assert_non_null(strstr(ks.issues[0].problem, "cannot be read by "
	    "opendkim"));
	assert_true(str_startswith(ks.issues[0].fix, "chown opendkim:"));
	keysafe_free(&ks);
}

static void
test_signer_user(void **state)
{
	char *u;

	(void)state;
	u = keysafe_signer_user(NULL, "opendkim");
	assert_string_equal(u, "opendkim");
	free(u);
	u = keysafe_signer_user(NULL, "dkimproxy");
	assert_string_equal(u, "_dkimproxy");
	free(u);
	u = keysafe_signer_user(NULL, "filter-dkimsign");
	assert_string_equal(u, "_dkimsign");
	free(u);
	assert_null(keysafe_signer_user(NULL, "other"));
}

static void
test_state_file(void **state)
{
	struct keystate ks, back;
	struct keystate_entry *e;
	char root[256], *cause = NULL, *warn = NULL, cmd[8192], *out;

	(void)state;
	snprintf(root, sizeof root, "%s/stateroot", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(keystate_load(root, &ks, NULL, &cause), 0);
	assert_int_equal(ks.n, 0);
	keystate_set(&ks, "Example.ORG", "S1", KEYSTATE_GENERATED, 100,
	    "/etc/dkimkeys/x.private");
	keystate_set(&ks, "example.net", "202611", KEYSTATE_ACTIVE, 200, NULL);
	assert_int_equal(keystate_save(root, &ks, &cause), 0);
	assert_int_equal(keystate_load(root, &back, NULL, &cause), 0);
	assert_int_equal(back.n, 2);
	e = keystate_find(&back, "example.org", "s1");
	assert_non_null(e);
	assert_int_equal(e->state, KEYSTATE_GENERATED);
	assert_int_equal(e->since, 100);
	assert_string_equal(e->path, "/etc/dkimkeys/x.private");
	assert_null(keystate_find(&back, "example.net", "202611")->path);
	keystate_free(&back);
	snprintf(cmd, sizeof cmd, "stat -c %%a '%s/var/lib/notspam' "
	    "'%s/var/lib/notspam/keys.state'; ls -a '%s/var/lib/notspam' | "
	    "wc -l", root, root, root);
	out = test_run(cmd);
	/* ., .., keys.state and its lock file keys.state.lock. */
	assert_string_equal(out, "755\n644\n4\n");
	free(out);

	/* A bad line is skipped and reported with its number. */
	snprintf(cmd, sizeof cmd, "echo 'example.org s2 bogus 1 -' >> "
	    "'%s/var/lib/notspam/keys.state'", root);
	free(test_run(cmd));
	assert_int_equal(keystate_load(root, &back, &warn, &cause), 0);
	assert_int_equal(back.n, 2);
	assert_non_null(warn);
	assert_non_null(strstr(warn, "keys.state:5: unknown state"));
	free(warn);
	keystate_free(&back);
	keystate_free(&ks);
}

static void
test_transitions(void **state)
{
	struct keystate_entry e;

	(void)state;
	memset(&e, 0, sizeof e);
	e.state = KEYSTATE_GENERATED;
	/* Unknown DNS: nothing moves. */
	assert_int_equal(keystate_advance(&e, 0, -1, 10), 0);
	assert_int_equal(keystate_advance(&e, 0, 0, 10), 0);
	assert_int_equal(keystate_advance(&e, 0, 1, 20), 1);
	assert_int_equal(e.state, KEYSTATE_PUBLISHED);
	assert_int_equal(e.since, 20);
	assert_int_equal(keystate_advance(&e, 1, 1, 30), 1);
	assert_int_equal(e.state, KEYSTATE_ACTIVE);
	assert_int_equal(keystate_advance(&e, 1, 1, 40), 0);
	assert_int_equal(keystate_advance(&e, 0, 1, 50), 1);
	assert_int_equal(e.state, KEYSTATE_RETIRED);
	e.state = KEYSTATE_REVOKED;
	assert_int_equal(keystate_advance(&e, 1, 1, 60), 0);
	e.state = KEYSTATE_PUBLISHED;
	assert_int_equal(keystate_advance(&e, 0, 0, 70), 1);
	assert_int_equal(e.state, KEYSTATE_GENERATED);
	assert_string_equal(keystate_name(KEYSTATE_RETIRED), "retired");
}

static void
test_judge(void **state)
{
	struct keygen_result res;
	struct keys_entry e;
	const char *txt[2];
	size_t lens[2];
	char *rec, *other;

	(void)state;
	make("judge.private", "rsa", 0, NULL, &res);
	memset(&e, 0, sizeof e);
	e.pub = res.pub;
	rec = dkimkey_txt(&res.pub);
	/* Blanks inside p= as some DNS panels add them are fine. */
	other = xasprintf("v=DKIM1; k=rsa; p=%.40s %s", res.pub.p,
	    res.pub.p + 40);
	txt[0] = other;
	lens[0] = strlen(other);
	keys_judge(&e, txt, lens, 1);
	assert_int_equal(e.published, KEYS_PUB_YES);
	/* A second TXT at the selector (any kind): verifiers may take
	 * either, so check fails it and keys switch refuses. */
	txt[1] = "v=spf1 -all";
	lens[1] = strlen(txt[1]);
	keys_judge(&e, txt, lens, 2);
	assert_int_equal(e.published, KEYS_PUB_NO);
	assert_non_null(strstr(e.pub_detail, "2 TXT records"));
	txt[0] = "v=DKIM1; k=rsa; p=";
	lens[0] = strlen(txt[0]);
	keys_judge(&e, txt, lens, 1);
	assert_int_equal(e.published, KEYS_PUB_NO);
	assert_string_equal(e.pub_detail, "revoked (p= empty)");
	txt[0] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
	lens[0] = strlen(txt[0]);
	keys_judge(&e, txt, lens, 1);
	assert_int_equal(e.published, KEYS_PUB_NO);
	assert_string_equal(e.pub_detail, "the DNS publishes another key");
	free(e.pub_detail);
	free(rec);
	free(other);
	keygen_result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_rsa_default),
		cmocka_unit_test(test_rsa_4096_and_ed25519),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_never_overwrite),
		cmocka_unit_test(test_async),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_keysafe_tmp),
		cmocka_unit_test(test_keysafe_clean),
		cmocka_unit_test(test_signer_user),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_judge),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
