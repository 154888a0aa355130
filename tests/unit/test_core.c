/* test_core.c: util, json, netaddr, fsroot, proc, and the check of
 * --resolver lists (core/dns dns_servers_check). */
#include "testutil.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dns/dns.h"
#include "core/lib/fsroot.h"
#include "core/lib/json.h"
#include "core/lib/netaddr.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

static void
test_sanitize_controls(void **state)
{
	char *s = str_sanitize("a\033[2Jb\n\tc\\", 10);

	(void)state;
	assert_string_equal(s, "a\\x1b[2Jb\\n\\tc\\\\");
	free(s);
}

static void
test_sanitize_utf8(void **state)
{
	/* Valid UTF-8 kept; a lone continuation byte, a C1 control (U+009B,
	 * the 8-bit CSI) and an overlong form are escaped. */
	const char in[] = "caf\xc3\xa9 \x80 \xc2\x9b \xc0\xaf";
	char *s = str_sanitize(in, sizeof in - 1);

	(void)state;
	assert_string_equal(s, "caf\xc3\xa9 \\x80 \\xc2\\x9b \\xc0\\xaf");
	free(s);
}

static void
test_sanitize_nul(void **state)
{
	char *s = str_sanitize("a\0b", 3);

	(void)state;
	assert_string_equal(s, "a\\x00b");
	free(s);
}

static void
test_strv_split_unique(void **state)
{
	struct strv sv;

	(void)state;
	strv_init(&sv);
	str_split("  a, b,,c  ", " ,", &sv);
	assert_int_equal(sv.n, 3);
	assert_string_equal(sv.v[2], "c");
	assert_null(sv.v[3]);
	assert_int_equal(strv_add_unique(&sv, "B"), 0);
	assert_int_equal(strv_add_unique(&sv, "d"), 1);
	assert_int_equal(strv_find(&sv, "D"), 3);
	strv_free(&sv);
}

static void
test_strmap(void **state)
{
	struct strmap m;
	size_t v = 0, i;
	char key[32];

	(void)state;
	strmap_init(&m);
	assert_int_equal(strmap_get(&m, "a", &v), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "D%04zu.Example", i);
		strmap_put(&m, key, i);
	}
	assert_int_equal(m.n, 1000);
	assert_int_equal(strmap_get(&m, "d0500.example", &v), 1);
	assert_int_equal(v, 500);
	strmap_put(&m, "D0500.EXAMPLE", 7);	/* same key: value replaced */
	assert_int_equal(m.n, 1000);
	assert_int_equal(strmap_get(&m, "d0500.example", &v), 1);
	assert_int_equal(v, 7);
	assert_int_equal(strmap_get(&m, "d1000.example", &v), 0);
	strmap_free(&m);
	assert_int_equal(strmap_get(&m, "d0001.example", &v), 0);
}

static void
test_trim_lower(void **state)
{
	char s[] = " \tMiXeD \r\n";

	(void)state;
	assert_string_equal(str_lower(str_trim(s)), "mixed");
}

static void
test_json_escape(void **state)
{
	struct json j;
	char *out;

	(void)state;
	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "a", "q\"b\\\033[2J\x7f\xff\xc2\x9b\xc3\xa9");
	json_string(&j, "n", NULL);
	json_array_begin(&j, "v");
	json_int(&j, NULL, -3);
	json_bool(&j, NULL, 1);
	json_array_end(&j);
	json_object_end(&j);
	out = json_finish(&j);
	assert_string_equal(out, "{\"a\":\"q\\\"b\\\\\\u001b[2J\\u007f\\ufffd"
	    "\\u009b\xc3\xa9\",\"n\":null,\"v\":[-3,true]}\n");
	free(out);
}

static void
test_netaddr_canon(void **state)
{
	char *s;
	int fam;

	(void)state;
	s = netaddr_canon("2001:0DB8:0000:0000:0000:0000:0000:0025", &fam);
	assert_string_equal(s, "2001:db8::25");
	assert_int_equal(fam, AF_INET6);
	free(s);
	s = netaddr_canon("192.0.2.25", &fam);
	assert_string_equal(s, "192.0.2.25");
	assert_int_equal(fam, AF_INET);
	free(s);
	assert_null(netaddr_canon("192.0.2.256", NULL));
	assert_null(netaddr_canon("mail.example.org", NULL));
	assert_null(netaddr_canon("", NULL));
}

static void
test_netaddr_public(void **state)
{
	static const char *const yes[] = { "8.8.8.8", "203.0.114.1",
	    "2a01:4f8::1", "2600::", NULL };
	static const char *const no[] = { "10.1.2.3", "172.16.0.1",
	    "172.31.255.255", "192.168.1.1", "100.64.0.1", "127.0.0.1",
	    "169.254.1.1", "192.0.2.25", "198.51.100.1", "203.0.113.5",
	    "224.0.0.1", "255.255.255.255", "0.1.2.3", "::1", "fe80::1",
	    "fd00::1", "fc00::1", "2001:db8::25", "::ffff:8.8.8.8",
	    "ff02::1", "::", NULL };
	int i;

	(void)state;
	for (i = 0; yes[i] != NULL; i++)
		if (!netaddr_is_public(yes[i]))
			fail_msg("%s should be public", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		if (netaddr_is_public(no[i]))
			fail_msg("%s should not be public", no[i]);
	assert_int_equal(netaddr_is_public("172.32.0.1"), 1);
}

static void
test_netaddr_detect(void **state)
{
	struct strv v4, v6, notes;
	size_t i;

	(void)state;
	strv_init(&v4);
	strv_init(&v6);
	strv_init(&notes);
	assert_int_equal(netaddr_detect(&v4, &v6, &notes, NULL), 0);
	/* Whatever this machine has, only public addresses are kept. */
	for (i = 0; i < v4.n; i++)
		assert_true(netaddr_is_public(v4.v[i]));
	for (i = 0; i < v6.n; i++)
		assert_true(netaddr_is_public(v6.v[i]));
	assert_int_equal(strv_find(&v4, "127.0.0.1"), -1);
	strv_free(&v4);
	strv_free(&v6);
	strv_free(&notes);
}

static void
test_fsroot_path(void **state)
{
	char *p;

	(void)state;
	p = fsroot_path("/tmp/r/", "/etc/x");
	assert_string_equal(p, "/tmp/r/etc/x");
	free(p);
	p = fsroot_path(NULL, "/etc/x");
	assert_string_equal(p, "/etc/x");
	free(p);
	p = fsroot_path("/", "/etc/x");
	assert_string_equal(p, "/etc/x");
	free(p);
}

static void
test_fsroot_read(void **state)
{
	char dir[] = "/tmp/notspam-fsroot.XXXXXX", *path, *data, *cause = NULL;
	size_t len;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/etc", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
	path = xasprintf("%s/etc/f", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, "a\0b", 3), 3);
	close(fd);
	assert_int_equal(fsroot_read(dir, "/etc/f", 0, &data, &len, &cause), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\0b", 4);
	free(data);
	/* Too big for the limit given. */
	assert_int_equal(fsroot_read(dir, "/etc/f", 2, &data, &len, &cause),
	    -1);
	assert_non_null(strstr(cause, "/etc/f: 3 bytes, larger than"));
	free(cause);
	/* A directory, and a missing file: named as the site knows them. */
	assert_int_equal(fsroot_read(dir, "/etc", 0, &data, &len, &cause), -1);
	assert_string_equal(cause, "/etc: is a directory, expected a file");
	free(cause);
	assert_int_equal(fsroot_read(dir, "/etc/none", 0, &data, &len,
	    &cause), -1);
	assert_string_equal(cause, "/etc/none: no such file");
	free(cause);
	unlink(path);
	free(path);
	path = xasprintf("%s/etc", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

static void
test_fsroot_fifo(void **state)
{
	char dir[] = "/tmp/notspam-fifo.XXXXXX", *path, *data, *cause = NULL;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* A FIFO must not block the reader. */
	assert_int_equal(fsroot_read(NULL, path, 0, &data, &len, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	unlink(path);
	free(path);
	rmdir(dir);
}

static void
test_proc_run(void **state)
{
	const char *const echo[] = { "/bin/sh", "-c", "echo out; echo err >&2;"
	    " exit 3", NULL };
	const char *const sleepy[] = { "/bin/sleep", "5", NULL };
	const char *const rel[] = { "sh", NULL };
	char *out = NULL, *cause = NULL;
	int status = -1;

	(void)state;
	assert_int_equal(proc_run(echo, 2000, 1024, &out, &status, &cause), 0);
	assert_int_equal(status, 3);
	assert_string_equal(out, "out\nerr\n");
	free(out);
	assert_int_equal(proc_run(sleepy, 200, 1024, &out, &status, &cause),
	    -1);
	assert_non_null(strstr(cause, "no answer within 200 ms"));
	free(cause);
	assert_int_equal(proc_run(rel, 200, 1024, &out, &status, &cause), -1);
	assert_non_null(strstr(cause, "not an absolute path"));
	free(cause);
}

static void
test_proc_output_bounded(void **state)
{
	const char *const big[] = { "/bin/sh", "-c",
	    "head -c 100000 /dev/zero | tr '\\0' x", NULL };
	char *out = NULL;
	int status = -1;

	(void)state;
	assert_int_equal(proc_run(big, 5000, 1000, &out, &status, NULL), 0);
	assert_int_equal(strlen(out), 1000);
	assert_int_equal(status, 0);
	free(out);
}

/* dns_servers_check(list) refuses it, and the message holds want. */
static void
servers_bad(const char *list, const char *want)
{
	char *cause = NULL;

	assert_int_equal(dns_servers_check(list, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want, cause);
	/* One line, and always the fix. */
	assert_null(strchr(cause, '\n'));
	assert_non_null(strstr(cause, "--resolver 192.0.2.1"));
	free(cause);
}

static void
test_servers_check(void **state)
{
	char *cause = NULL, big[10001];
	size_t len;

	(void)state;
	assert_int_equal(dns_servers_check("127.0.0.1", &cause), 0);
	assert_int_equal(dns_servers_check("127.0.0.1:5353, [::1]:53,::1",
	    &cause), 0);
	assert_null(cause);
	servers_bad("bogus", "\"bogus\": not an IPv4 or IPv6 address");
	servers_bad("1.2.3.4:99999", "port is not a number from 1 to 65535");
	servers_bad("1.2.3.4:0", "port is not a number");
	servers_bad("[::1", "no closing ]");
	servers_bad("::1:53:x", "in brackets");
	servers_bad("", "needs a value");
	servers_bad(NULL, "needs a value");
	servers_bad("1.2.3.4,", "\"1.2.3.4,\": an empty entry");
	servers_bad("1.2.3.4,,5.6.7.8", "empty entry");
	/* Escaped (once) and bounded. */
	servers_bad("1.2.3.4\033[2J", "\"1.2.3.4\\x1b[2J\"");
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(dns_servers_check(big, &cause), -1);
	len = strlen(cause);
	assert_true(len < 200);
	assert_non_null(strstr(cause, "1111\"...:"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_controls),
		cmocka_unit_test(test_sanitize_utf8),
		cmocka_unit_test(test_sanitize_nul),
		cmocka_unit_test(test_strv_split_unique),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_trim_lower),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_netaddr_canon),
		cmocka_unit_test(test_netaddr_public),
		cmocka_unit_test(test_netaddr_detect),
		cmocka_unit_test(test_fsroot_path),
		cmocka_unit_test(test_fsroot_read),
		cmocka_unit_test(test_fsroot_fifo),
		cmocka_unit_test(test_proc_run),
		cmocka_unit_test(test_proc_output_bounded),
		cmocka_unit_test(test_servers_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
