/* test_diff.c: core/conf/diff.c against GNU diff -u, run live.
 *
 * Each case writes the two texts to a temporary directory, runs
 * `diff -u --label ... --label ...` on them and wants conf_diff's output
 * byte for byte.  The texts are fixtures edited with the conf_* edits, the
 * line ending and final newline variants, and generated large files.
 */
#include "testutil.h"

#include <unistd.h>

#include "core/conf/conf.h"
#include "core/conf/diff.h"

#define FIX "tests/fixtures/conf/"

static char tmpdir[] = "/tmp/test_diff.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof path, "%s/a", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/b", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void
write_file(const char *name, const char *data, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* conf_diff_text(a, b) must be what diff -u prints for them. */
static void
assert_like_diff(const char *a, size_t alen, const char *b, size_t blen,
    const char *aname, const char *bname)
{
	char cmd[512], *want, *got;
	size_t len;

	write_file("a", a, alen);
	write_file("b", b, blen);
	snprintf(cmd, sizeof cmd, "diff -u --label '%s' --label '%s' %s/a "
	    "%s/b", aname, bname, tmpdir, tmpdir);
	want = test_run(cmd);
	got = conf_diff_text(a, alen, b, blen, aname, bname, &len);
	assert_int_equal(len, strlen(got));
	if (strcmp(got, want) != 0)
		fail_msg("differs from diff -u:\n--- got\n%s--- want\n%s", got,
		    want);
	free(got);
	free(want);
}

static void
assert_like_diff_s(const char *a, const char *b)
{
	assert_like_diff(a, strlen(a), b, strlen(b), "a/x", "b/x");
}

/* conf_diff(before, after) against diff -u with the names it uses. */
static void
assert_doc_diff(const struct conf_doc *before, const struct conf_doc *after)
{
	char *ta, *tb, *got, na[256], nb[256];
	size_t la, lb, len;

	ta = conf_text(before, &la);
	tb = conf_text(after, &lb);
	snprintf(na, sizeof na, "a/%s", before->path + strspn(before->path,
	    "/"));
	snprintf(nb, sizeof nb, "b/%s", after->path + strspn(after->path,
	    "/"));
	assert_like_diff(ta, la, tb, lb, na, nb);
	got = conf_diff(before, after, &len);
	if (la != lb || memcmp(ta, tb, la) != 0)
		assert_true(strncmp(got, "--- a/", 6) == 0);
	free(got);
	free(ta);
	free(tb);
}

static struct conf_doc *
load_ok(enum conf_grammar g, const char *name)
{
	char *cause = NULL, path[256];
	struct conf_doc *doc;

	snprintf(path, sizeof path, FIX "%s", name);
	doc = conf_load(NULL, g, path, &cause);
	if (doc == NULL)
		fail_msg("%s: %s", path, cause);
	return doc;
}

/* Debian's main.cf: postconf -e style edits and an appended key. */
static void
test_diff_main(void **state)
{
	struct conf_doc *a = load_ok(CONF_POSTFIX_MAIN, "main.cf.debian");
	struct conf_doc *b = load_ok(CONF_POSTFIX_MAIN, "main.cf.debian");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(b, "myhostname", "mail.example.org",
	    &cause), 0);
	assert_int_equal(conf_set(b, "smtpd_milters", "inet:127.0.0.1:8891",
	    &cause), 0);
	assert_int_equal(conf_set(b, "non_smtpd_milters", "$smtpd_milters",
	    &cause), 0);
	assert_int_equal(conf_comment_out(b, conf_find(b, "biff"), &cause),
	    0);
	assert_doc_diff(a, b);
	conf_free(a);
	conf_free(b);
}

/* master.cf: a service added, an option set in place, one removed. */
static void
test_diff_master(void **state)
{
	struct conf_doc *a = load_ok(CONF_POSTFIX_MASTER, "master.cf.dist");
	struct conf_doc *b = load_ok(CONF_POSTFIX_MASTER, "master.cf.dist");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_master_set_option(b, conf_find(b, "smtp/inet"),
	    "smtpd_milters", "inet:127.0.0.1:8891", &cause), 0);
	assert_int_equal(conf_master_set_service(b,
	    "dksign    unix  -       -       n       -       10      smtp\n"
	    "    -o smtp_send_xforward_command=yes", &cause), 0);
	assert_int_equal(conf_delete(b, conf_find(b, "relay/unix"), &cause),
	    0);
	assert_doc_diff(a, b);
	conf_free(a);
	conf_free(b);
}

/* smtpd.conf: a match moved before the first untagged one. */
static void
test_diff_smtpd(void **state)
{
	struct conf_doc *a = load_ok(CONF_SMTPD, "smtpd.conf");
	struct conf_doc *b = load_ok(CONF_SMTPD, "smtpd.conf");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_delete(b, &b->entries[15], &cause), 0);
	assert_int_equal(conf_insert(b, &b->entries[14], 1,
	    "match tag DKIM for any action \"relay\"", &cause), 0);
	assert_doc_diff(a, b);
	conf_free(a);
	conf_free(b);
}

/* CRLF lines, a file without final newline, both. */
static void
test_diff_line_endings(void **state)
{
	struct conf_doc *a = load_ok(CONF_POSTFIX_MAIN, "main-crlf.cf");
	struct conf_doc *b = load_ok(CONF_POSTFIX_MAIN, "main-crlf.cf");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(b, "smtpd_milters", "unix:/run/x.sock",
	    &cause), 0);
	assert_int_equal(conf_set(b, "inet_protocols", "ipv4", &cause), 0);
	assert_doc_diff(a, b);
	conf_free(a);
	conf_free(b);
	a = load_ok(CONF_POSTFIX_MAIN, "main-nofinal.cf");
	b = load_ok(CONF_POSTFIX_MAIN, "main-nofinal.cf");
	/* Appending gives the old last line its newline. */
	assert_int_equal(conf_set(b, "smtpd_milters", "inet:localhost:8891",
	    &cause), 0);
	assert_doc_diff(a, b);
	conf_free(b);
	/* Both last lines without newline. */
	b = load_ok(CONF_POSTFIX_MAIN, "main-nofinal.cf");
	assert_int_equal(conf_set(b, "myhostname", "other.example.org",
	    &cause), 0);
	assert_doc_diff(a, b);
	assert_doc_diff(b, a);
	conf_free(b);
	conf_free(a);
	assert_like_diff_s("a\nb", "a\nb\n");
	assert_like_diff_s("a\nb\n", "a\nb");
	assert_like_diff_s("x\r\ny\r\n", "x\ny\r\n");
}

/* Empty files, equal files, everything different. */
static void
test_diff_edges(void **state)
{
	char *got;

	(void)state;
	got = conf_diff_text("a\n", 2, "a\n", 2, "a/x", "b/x", NULL);
	assert_string_equal(got, "");
	free(got);
	assert_like_diff_s("", "");
	assert_like_diff_s("", "a\nb\n");
	assert_like_diff_s("a\nb\n", "");
	assert_like_diff_s("a\n", "b\n");
	assert_like_diff_s("a\nb\nc\n", "d\ne\n");
	assert_like_diff_s("\n\n\n", "\n\n\n\n");
	assert_like_diff_s("x\n\n\n\ny\n", "x\n\n\ny\n");
}

/* conf_diff names the files after the documents' paths. */
static void
test_diff_names(void **state)
{
	struct conf_doc *a, *b;
	char *cause = NULL, *got;

	(void)state;
	a = conf_parse(CONF_POSTFIX_MAIN, "/etc/postfix/main.cf", "a = 1\n", 6,
	    &cause);
	b = conf_parse(CONF_POSTFIX_MAIN, "/etc/postfix/main.cf", "a = 1\n", 6,
	    &cause);
	assert_non_null(a);
	assert_non_null(b);
	got = conf_diff(a, b, NULL);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(conf_set(b, "a", "2", &cause), 0);
	got = conf_diff(a, b, NULL);
	assert_string_equal(got, "--- a/etc/postfix/main.cf\n"
	    "+++ b/etc/postfix/main.cf\n@@ -1 +1 @@\n-a = 1\n+a = 2\n");
	free(got);
	conf_free(a);
	conf_free(b);
}

/* Hunks: joined when at most 6 unchanged lines part two changes. */
static void
test_diff_hunks(void **state)
{
	char a[512], b[512], *p, *q;
	int gap, i;

	(void)state;
	for (gap = 4; gap <= 9; gap++) {
		p = a;
		q = b;
		for (i = 0; i < gap + 12; i++) {
			p += sprintf(p, "line %d\n", i);
			if (i == 4 || i == 4 + gap + 1)
				q += sprintf(q, "changed %d\n", i);
			else
				q += sprintf(q, "line %d\n", i);
		}
		assert_like_diff_s(a, b);
	}
	/* A change on the first and on the last line. */
	assert_like_diff_s("1\n2\n3\n4\n5\n6\n7\n8\n9\n",
	    "0\n2\n3\n4\n5\n6\n7\n8\n10\n");
}

/* 10,000-line files: scattered edits, and a blank-heavy file. */
static void
test_diff_large(void **state)
{
	struct buf a, b;
	int i;

	(void)state;
	buf_init(&a);
	buf_init(&b);
	srandom(8);
	for (i = 0; i < 10000; i++) {
		buf_printf(&a, "parameter_%d = value %d\n", i, i);
		if (random() % 100 == 0)
			buf_printf(&b, "parameter_%d = changed\n", i);
		else if (random() % 150 != 0)
			buf_printf(&b, "parameter_%d = value %d\n", i, i);
		if (random() % 200 == 0)
			buf_printf(&b, "added_%d = yes\n", i);
	}
	assert_like_diff(a.data, a.len, b.data, b.len, "a/main.cf",
	    "b/main.cf");
	a.len = b.len = 0;
	for (i = 0; i < 10000; i++) {
		buf_adds(&a, i % 3 == 0 ? "# comment\n" : "\n");
		if (i % 500 == 7)
			buf_adds(&b, "new = 1\n");
		if (i % 700 != 5)
			buf_adds(&b, i % 3 == 0 ? "# comment\n" : "\n");
	}
	assert_like_diff(a.data, a.len, b.data, b.len, "a/main.cf",
	    "b/main.cf");
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_main),
		cmocka_unit_test(test_diff_master),
		cmocka_unit_test(test_diff_smtpd),
		cmocka_unit_test(test_diff_line_endings),
		cmocka_unit_test(test_diff_edges),
		cmocka_unit_test(test_diff_names),
		cmocka_unit_test(test_diff_hunks),
		cmocka_unit_test(test_diff_large),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
