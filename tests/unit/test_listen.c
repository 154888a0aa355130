/* test_listen.c: what really listens and what each endpoint reaches
 * (core/doctor/listen.h).
 *
 * Fixtures (tests/fixtures/proc/, see its README): stack/ and
 * stack-stopped/ are real /proc files captured by capture.sh while
 * OpenDKIM and Postfix ran in a private namespace on this kind of machine
 * (pids 23: opendkim inet:12345@localhost, 30: opendkim -p
 * local:/var/spool/postfix/opendkim/opendkim.sock, 37: opendkim
 * inet6:8892@[::1], 236: postfix master), with the site they belong to in
 * stack-root/; edge/ is made by hand: IPv4-mapped and dual-stack rows, an
 * abstract name, paths with blanks and UTF-8, a shared socket, hostile
 * and malformed lines.  Socket files cannot be committed: the tests that
 * need one bind it in a temporary root.
 */
#include "testutil.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/doctor/listen.h"
#include "core/doctor/listen_int.h"
#include "core/lib/util.h"
#include "core/site/site.h"

#define PROC	"tests/fixtures/proc/"
#define STACK	PROC "stack"
#define STOPPED	PROC "stack-stopped"
#define EDGE	PROC "edge"
#define STACKROOT PROC "stack-root"

/* The seed's Postfix: smtpd dials [::1] while OpenDKIM is IPv4 only. */
#define SEED_MILTER	"inet:[::1]:12345"

/* ---- Helpers ---- */

static void
write_file(const char *dir, const char *path, const char *text)
{
	char *p = xasprintf("%s%s", dir, path);
	FILE *f = fopen(p, "w");

	if (f == NULL)
		fail_msg("cannot write %s", p);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void
mkdirs(const char *dir, const char *path, mode_t mode)
{
	char *p = xasprintf("%s%s", dir, path), *s;

	for (s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, mode);
	chmod(p, mode);
	free(p);
}

/* Copy a fixture file into the root. */
static void
copy_file(const char *dir, const char *path)
{
	char *src = xasprintf(STACKROOT "%s", path), *data;

	data = test_read_file(src, NULL);
	write_file(dir, path, data);
	free(data);
	free(src);
}

/*
 * A site root like stack-root with main.cf's smtpd_milters and
 * inet_protocols given, smtpd and cleanup chrooted or not, and OpenDKIM's
 * config (NULL: stack-root's, pid file of pid 23); passwd and group with
 * postfix and opendkim, and the test's own group (gid of the files it
 * makes) holding `member`.  Caller removes it with rmroot.
 */
static char *
mkroot(const char *milters, const char *protocols, int chrooted,
    const char *odconf, const char *member)
{
	char tmpl[] = "/tmp/test_listen.XXXXXX", *dir, *text;

	if ((dir = mkdtemp(tmpl)) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	dir = xstrdup(dir);
	chmod(dir, 0755);
	mkdirs(dir, "/etc/postfix", 0755);
	mkdirs(dir, "/run/opendkim", 0755);
	mkdirs(dir, "/var/spool/postfix/opendkim", 0755);
	text = xasprintf("compatibility_level = 3.6\n"
	    "inet_interfaces = loopback-only\ninet_protocols = %s\n"
	    "mydestination =\nsmtpd_milters = %s\n"
	    "non_smtpd_milters = $smtpd_milters\n", protocols, milters);
	write_file(dir, "/etc/postfix/main.cf", text);
	free(text);
	text = xasprintf("smtp inet n - %s - - smtpd\n"
	    "cleanup unix n - %s - 0 cleanup\n", chrooted ? "y" : "n",
	    chrooted ? "y" : "n");
	write_file(dir, "/etc/postfix/master.cf", text);
	free(text);
	if (odconf != NULL)
		write_file(dir, "/etc/opendkim.conf", odconf);
	else
		copy_file(dir, "/etc/opendkim.conf");
	copy_file(dir, "/run/opendkim/opendkim.pid");
	copy_file(dir, "/run/opendkim/od2.pid");
	write_file(dir, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n"
	    "postfix:x:102:105::/var/spool/postfix:/usr/sbin/nologin\n"
	    "opendkim:x:104:108::/run/opendkim:/usr/sbin/nologin\n");
	text = xasprintf("postfix:x:105:\nopendkim:x:108:postfix\n"
	    "tester:x:%lu:%s\n", (unsigned long)getegid(), member);
	write_file(dir, "/etc/group", text);
	free(text);
	return dir;
}

static void
rmroot(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir), *out;

	out = test_run(cmd);
	free(out);
	free(cmd);
	free(dir);
}

/* A socket file (nobody listening once it is closed) at dir + path. */
static void
mksock(const char *dir, const char *path, mode_t mode)
{
	struct sockaddr_un un;
	int fd;

	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof un.sun_path, "%s%s", dir, path);
	unlink(un.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (bind(fd, (struct sockaddr *)&un, sizeof un) != 0)
		fail_msg("bind %s: %s", un.sun_path, strerror(errno));
	close(fd);
	chmod(un.sun_path, mode);
}

static struct site *
load(const char *root)
{
	struct site *site;
	char *cause = NULL;

	if ((site = site_load(root, NULL, &cause)) == NULL)
		fail_msg("site_load(%s): %s", root, cause);
	return site;
}

/* The endpoint dialled by `from`, or a failed test. */
static const struct listen_endpoint *
endpoint(const struct listen_report *r, const char *from)
{
	size_t i;

	for (i = 0; i < r->nendpoints; i++)
		if (strcmp(r->endpoints[i].from, from) == 0)
			return &r->endpoints[i];
	for (i = 0; i < r->nendpoints; i++)
		print_message("# endpoint %s %s\n", r->endpoints[i].from,
		    r->endpoints[i].address);
	fail_msg("no endpoint from %s", from);
	return NULL;
}

/* The verdict of ep is state/cause, and its detail holds want. */
static void
verdict(const struct listen_endpoint *ep, enum listen_state state,
    enum listen_cause cause, const char *want)
{
	if (ep->state != state || ep->cause != cause ||
	    (want != NULL && (ep->detail == NULL ||
	    strstr(ep->detail, want) == NULL)))
		fail_msg("%s %s: got %s / %s: %s; wanted %s / %s: ...%s...",
		    ep->from, ep->address, listen_state_name(ep->state),
		    listen_cause_name(ep->cause), ep->detail ? ep->detail :
		    "(none)", listen_state_name(state),
		    listen_cause_name(cause), want ? want : "");
}

/* The row of table t at where ("127.0.0.1:12345", a path), or NULL. */
static const struct listen_sock *
row(const struct listen_table *t, const char *where)
{
	size_t i;
	char *w;

	for (i = 0; i < t->n; i++) {
		w = listen_sock_where(&t->v[i]);
		if (strcmp(w, where) == 0) {
			free(w);
			return &t->v[i];
		}
		free(w);
	}
	return NULL;
}

/* The report of a root made by mkroot, read from proc fixture procdir. */
static struct listen_report *
report(const char *root, const char *procdir, struct site **site)
{
	*site = load(root);
	return listen_report_new(*site, procdir);
}

/* ---- Parsing ---- */

static void
test_parse_inet(void **state)
{
	static const char *const bad[] = {
		/* bad hex in the port */
		"   3: 0100007F:ZZZZ 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000     0        0 5004 1",
		/* port 0 */
		"   4: 0100007F:0000 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000     0        0 5005 1",
		/* fields missing */
		"   5: 0100007F:1F90 00000000:0000 0A 00000000:00000000",
		/* a trailing word */
		"   6: 0100007F:1F91 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000     0        0 5006 1 evil",
		/* a tab */
		"   7: 0100007F:1F92\t00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000     0        0 5007 1",
		/* no TCP state */
		"   8: 0100007F:1F93 00000000:0000 FF 00000000:00000000 "
		    "00:00000000 00000000     0        0 5008 1",
		/* 7 hex digits */
		"   9: 100007F:1F94 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000     0        0 5009 1",
		/* a uid beyond 32 bits */
		"  10: 0100007F:1F95 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000 99999999999 0 5010 1",
		/* no row number */
		"0100007F:1F95 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000 0 0 5010 1",
		/* an escape */
		"   1: 0100007F:1F95 00000000:0000 0A 00000000:00000000 "
		    "00:00000000 00000000 0 0 5010 1 \x1b[2J",
		"",
	};
	struct listen_sock s;
	char *cause = NULL, *big;
	size_t i;

	(void)state;
	assert_int_equal(listen_parse_inet("  sl  local_address rem_address "
	    "  st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
	    "inode", AF_INET, &s, &cause), 0);
	/* From stack/net/tcp: OpenDKIM's inet:12345@localhost. */
	assert_int_equal(listen_parse_inet("   1: 0100007F:3039 00000000:0000 "
	    "0A 00000000:00000000 00:00000000 00000000   104        0 "
	    "2746825 1 0000000000000000 100 0 0 10 0", AF_INET, &s, &cause),
	    1);
	assert_string_equal(s.address, "127.0.0.1");
	assert_int_equal(s.port, 12345);
	assert_int_equal(s.uid, 104);
	assert_int_equal(s.inode, 2746825);
	listen_sock_clear(&s);
	/* An established connection is no listener. */
	assert_int_equal(listen_parse_inet("   2: 0100007F:3039 "
	    "0100007F:D431 01 00000000:00000000 00:00000000 00000000   104 "
	    "       0 5003 1 0000000000000000 20 4 30 10 -1", AF_INET, &s,
	    &cause), 0);
	/* tcp6: ::1, and an IPv4-mapped address. */
	assert_int_equal(listen_parse_inet("   0: "
	    "00000000000000000000000001000000:22BC "
	    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
	    "00:00000000 00000000   104        0 2747528 1", AF_INET6, &s,
	    &cause), 1);
	assert_string_equal(s.address, "::1");
	assert_int_equal(s.port, 8892);
	listen_sock_clear(&s);
	assert_int_equal(listen_parse_inet("   2: "
	    "0000000000000000FFFF00000100007F:272B "
	    "00000000000000000000000000000000:0000 0A 00000000:00000000 "
	    "00:00000000 00000000     0        0 6003 1", AF_INET6, &s,
	    &cause), 1);
	assert_string_equal(s.address, "::ffff:127.0.0.1");
	listen_sock_clear(&s);
	/* An IPv4 row in tcp6's format, and the reverse, are refused. */
	assert_int_equal(listen_parse_inet("   1: 0100007F:3039 00000000:0000 "
	    "0A 00000000:00000000 00:00000000 00000000 0 0 1 1", AF_INET6, &s,
	    &cause), -1);
	free(cause);
	cause = NULL;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (listen_parse_inet(bad[i], AF_INET, &s, &cause) != -1)
			fail_msg("accepted bad line %zu: %s", i, bad[i]);
		assert_non_null(cause);
		assert_null(s.address);
		free(cause);
		cause = NULL;
	}
	big = xmalloc(LISTEN_LINE_MAX + 10);
	memset(big, '0', LISTEN_LINE_MAX + 9);
	big[LISTEN_LINE_MAX + 9] = '\0';
	assert_int_equal(listen_parse_inet(big, AF_INET, &s, &cause), -1);
	assert_non_null(strstr(cause, "at most"));
	free(cause);
	free(big);
}

static void
test_parse_unix(void **state)
{
	static const char *const bad[] = {
		"0000000000000000: 0000000G 00000000 00010000 0001 01  7007 /x",
		"0000000000000000: 00000002 00000000 00010000 0001 01 /noinode",
		"0000000000000000: 00000002 00000000 00010000 0001 01  7008  /x",
		".sock",
		"0000000000000000: 00000002 00000000 00010000 01 01  7008 /x",
		"0000000000000000: 00000002 00000000 00010000 0001 01  7008 /\x1b",
	};
	struct listen_sock s;
	char *cause = NULL;
	size_t i;

	(void)state;
	assert_int_equal(listen_parse_unix("Num       RefCount Protocol Flags "
	    "   Type St Inode Path", &s, &cause), 0);
	/* From stack/net/unix. */
	assert_int_equal(listen_parse_unix("00000000e2a1d1b8: 00000002 00000000"
	    " 00010000 0001 01 2747520 /var/spool/postfix/opendkim/"
	    "opendkim.sock", &s, &cause), 1);
	assert_string_equal(s.path,
	    "/var/spool/postfix/opendkim/opendkim.sock");
	assert_int_equal(s.inode, 2747520);
	assert_false(s.abstract);
	listen_sock_clear(&s);
	assert_int_equal(listen_parse_unix("0000000000000000: 00000002 "
	    "00000000 00010000 0001 01  7001 @opendkim-abstract", &s, &cause),
	    1);
	assert_true(s.abstract);
	assert_string_equal(s.path, "@opendkim-abstract");
	listen_sock_clear(&s);
	assert_int_equal(listen_parse_unix("0000000000000000: 00000002 "
	    "00000000 00010000 0001 01  7002 /run/with space/x.sock", &s,
	    &cause), 1);
	assert_string_equal(s.path, "/run/with space/x.sock");
	listen_sock_clear(&s);
	/* A datagram socket and an unnamed listener are not listeners. */
	assert_int_equal(listen_parse_unix("0000000000000000: 00000002 "
	    "00000000 00000000 0002 01  7003 /run/dgram.sock", &s, &cause), 0);
	assert_int_equal(listen_parse_unix("0000000000000000: 00000002 "
	    "00000000 00010000 0001 01  7004", &s, &cause), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (listen_parse_unix(bad[i], &s, &cause) != -1)
			fail_msg("accepted bad line %zu: %s", i, bad[i]);
		assert_null(s.path);
		free(cause);
		cause = NULL;
	}
}

/* ---- Tables ---- */

static void
test_table_stack(void **state)
{
	struct listen_table *t = listen_table_read(STACK);
	const struct listen_sock *s;

	(void)state;
	assert_true(t->proc);
	assert_true(t->owners);
	assert_int_equal(t->rejected, 0);
	assert_false(t->bindv6only);
	assert_non_null(s = row(t, "127.0.0.1:12345"));
	assert_int_equal(s->pid, 23);
	assert_string_equal(s->comm, "opendkim");
	assert_int_equal(s->uid, 104);
	/* The seed's case: no IPv6 row on 12345. */
	assert_null(row(t, "[::1]:12345"));
	assert_null(row(t, "[::]:12345"));
	assert_non_null(s = row(t, "[::1]:8892"));
	assert_int_equal(s->pid, 37);
	assert_non_null(s = row(t,
	    "/var/spool/postfix/opendkim/opendkim.sock"));
	assert_int_equal(s->pid, 30);
	/* Postfix binds relative to queue_directory, its cwd. */
	assert_non_null(s = row(t, "/var/spool/postfix/private/smtp"));
	assert_string_equal(s->path, "private/smtp");
	assert_int_equal(s->pid, 236);
	assert_string_equal(s->comm, "master");
	assert_int_equal(s->uid, 0);
	assert_non_null(row(t, "127.0.0.1:2525"));
	assert_non_null(row(t, "[::1]:2525"));
	listen_table_free(t);
}

static void
test_table_edge(void **state)
{
	struct listen_table *t = listen_table_read(EDGE);
	const struct listen_sock *s;

	(void)state;
	assert_true(t->proc);
	/* 11 rows listen; 8 tcp, 3 tcp6 and 4 unix lines are refused. */
	assert_int_equal(t->n, 11);
	assert_int_equal(t->rejected, 15);
	assert_non_null(strstr(t->rejected_why, "net/tcp line 5: "));
	assert_non_null(s = row(t, "0.0.0.0:8891"));
	assert_string_equal(s->comm, "python3");
	/* A hostile comm is kept escaped. */
	assert_non_null(s = row(t, "127.0.0.2:9000"));
	assert_string_equal(s->comm, "\\x1b[31mevil");
	/* A socket two processes hold: the lower pid owns it. */
	assert_non_null(s = row(t, "[::1]:12345"));
	assert_int_equal(s->pid, 100);
	assert_non_null(row(t, "[::]:8893"));
	assert_non_null(row(t, "[::ffff:127.0.0.1]:10027"));
	assert_non_null(s = row(t, "@opendkim-abstract"));
	assert_true(s->abstract);
	assert_int_equal(s->pid, 100);
	assert_non_null(row(t, "/run/with space/x.sock"));
	assert_non_null(row(t, "/run/seqpacket.sock"));
	assert_non_null(row(t, "/run/caf\xc3\xa9.sock"));
	/* A path with a newline: its first half stays a row, unowned. */
	assert_non_null(s = row(t, "/run/forged"));
	assert_int_equal(s->pid, 0);
	assert_null(row(t, "/run/dgram.sock"));
	assert_null(row(t, "/run/badhex.sock"));
	assert_null(row(t, "/run/twoblanks.sock"));
	assert_non_null(row(t, "/var/spool/postfix/private/relative"));
	listen_table_free(t);
}

static void
test_table_none(void **state)
{
	struct listen_table *t = listen_table_read(PROC "no-such-proc");

	(void)state;
	assert_false(t->proc);
	assert_int_equal(t->n, 0);
	listen_table_free(t);
}

/* ---- Processes ---- */

static void
test_processes(void **state)
{
	static const char *const od[] = { "opendkim", NULL };
	char *v;

	(void)state;
	v = listen_cmdline_option(STACK, 30, "-p");
	assert_string_equal(v, "local:/var/spool/postfix/opendkim/"
	    "opendkim.sock");
	free(v);
	assert_null(listen_cmdline_option(STACK, 23, "-p"));
	assert_null(listen_cmdline_option(STACK, 99999, "-p"));
	/* "-pVALUE", and nothing after "--". */
	v = listen_cmdline_option(EDGE, 400, "-p");
	assert_string_equal(v, "inet:9999@localhost");
	free(v);
	v = listen_cmdline_option(EDGE, 100, "-x");
	assert_string_equal(v, "/etc/opendkim.conf");
	free(v);
	assert_true(listen_pid_is(STACK, 30, od));
	assert_false(listen_pid_is(STACK, 236, od));
	assert_false(listen_pid_is(STACK, 99999, od));
	/* Its exe names it when its comm does not. */
	assert_true(listen_pid_is(EDGE, 600, od));
	assert_int_equal(listen_pid_find(STACK, od), 23);
	assert_int_equal(listen_pid_find(STOPPED, od), 0);
	/* The machine's own /proc (NULL): this test itself. */
	if (access("/proc/self/comm", R_OK) == 0) {
		static const char *const me[] = { "test_listen", NULL };
		long pid;

		assert_true(listen_pid_is(NULL, (long)getpid(), me));
		assert_false(listen_pid_is(NULL, (long)getpid(), od));
		pid = listen_pid_find(NULL, me);
		assert_true(pid > 0 && pid <= (long)getpid());
	}
}

static void
test_cred(void **state)
{
	struct listen_cred c;
	char *root = mkroot(SEED_MILTER, "all", 0, NULL, "postfix");

	(void)state;
	assert_int_equal(listen_cred_get(root, "postfix", &c), 0);
	assert_int_equal(c.uid, 102);
	assert_int_equal(c.gid, 105);
	assert_true(listen_cred_in(&c, 108));	/* opendkim's group */
	assert_true(listen_cred_in(&c, getegid()));
	assert_false(listen_cred_in(&c, 4242));
	assert_int_equal(listen_cred_get(root, "nobody-here", &c), -1);
	rmroot(root);
}

/* ---- Endpoints ---- */

/* The seed: Postfix dials [::1]:12345, OpenDKIM listens on 127.0.0.1. */
static void
test_seed(void **state)
{
	struct site *site;
	struct listen_report *r = report(STACKROOT, STACK, &site);
	const struct listen_endpoint *ep;

	(void)state;
	assert_false(r->live);
	assert_int_equal(r->nsigners, 1);
	assert_int_equal(r->signers[0].state, SVC_RUNNING);
	assert_int_equal(r->signers[0].pid, 23);
	assert_string_equal(r->signers[0].socket, "inet:12345@localhost");
	assert_string_equal(r->signers[0].socket_source,
	    "/etc/opendkim.conf:6");
	assert_int_equal(r->signers[0].listening, 1);
	ep = endpoint(r, "postfix smtpd");
	verdict(ep, LISTEN_REFUSED, LISTEN_CAUSE_FAMILY, "nothing listens on "
	    "[::1]:12345; opendkim (pid 23, uid 104) listens on "
	    "127.0.0.1:12345 only (IPv4)");
	assert_int_equal(ep->pid, 23);
	assert_string_equal(ep->user, "postfix");
	ep = endpoint(r, "postfix cleanup");
	verdict(ep, LISTEN_REFUSED, LISTEN_CAUSE_FAMILY, NULL);
	listen_report_free(r);
	site_free(site);
}

/* The same site with OpenDKIM stopped (killed: its pid file stays). */
static void
test_stopped(void **state)
{
	struct site *site;
	struct listen_report *r = report(STACKROOT, STOPPED, &site);

	(void)state;
	assert_int_equal(r->signers[0].state, SVC_STOPPED);
	assert_string_equal(r->signers[0].how, "no live process behind "
	    "/run/opendkim/opendkim.pid");
	verdict(endpoint(r, "postfix smtpd"), LISTEN_REFUSED,
	    LISTEN_CAUSE_STOPPED, "opendkim is not running");
	listen_report_free(r);
	site_free(site);
}

/* A stale pid file: the scan finds the site's OpenDKIM by its name and
 * config file, and no other instance counts. */
static void
test_scan(void **state)
{
	struct site *site;
	struct listen_report *r;
	char *root;

	(void)state;
	root = mkroot(SEED_MILTER, "all", 0, "PidFile /run/opendkim/gone.pid\n"
	    "Socket inet:12345@localhost\n", "");
	r = report(root, STACK, &site);
	assert_int_equal(r->signers[0].state, SVC_RUNNING);
	assert_int_equal(r->signers[0].pid, 23);
	assert_string_equal(r->signers[0].how, "pid 23, found by its name in "
	    STACK " (no live process behind /run/opendkim/gone.pid)");
	listen_report_free(r);
	site_free(site);

	/* The site's OpenDKIM reads od9.conf: pids 23, 30 and 37 run with
	 * other files, so it is stopped, and the first of them named. */
	mkdirs(root, "/etc/notspam", 0755);
	mkdirs(root, "/etc/opendkim", 0755);
	write_file(root, "/etc/notspam/notspam.conf",
	    "opendkim_conf = /etc/opendkim/od9.conf\n");
	write_file(root, "/etc/opendkim/od9.conf", "PidFile "
	    "/run/opendkim/gone.pid\nSocket inet:12345@localhost\n");
	r = report(root, STACK, &site);
	assert_int_equal(r->signers[0].state, SVC_STOPPED);
	assert_string_equal(r->signers[0].how, "no live process behind "
	    "/run/opendkim/gone.pid; another opendkim (pid 23) runs with -x "
	    "/etc/opendkim.conf");
	listen_report_free(r);
	site_free(site);
	rmroot(root);
}

static void
test_tcp_causes(void **state)
{
	struct site *site;
	struct listen_report *r;
	char *root;

	(void)state;
	/* A port OpenDKIM does not listen on. */
	root = mkroot("inet:127.0.0.1:8891", "all", 0, NULL, "");
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_REFUSED,
	    LISTEN_CAUSE_PORT, "opendkim (pid 23) listens on "
	    "127.0.0.1:12345, not on port 8891");
	listen_report_free(r);
	site_free(site);
	rmroot(root);

	/* Fixed the way the reference says: inet:127.0.0.1:12345, and
	 * inet:localhost:12345 (127.0.0.1 answers). */
	root = mkroot("inet:127.0.0.1:12345, inet:localhost:12345", "all", 0,
	    NULL, "");
	r = report(root, STACK, &site);
	assert_int_equal(r->nendpoints, 4);
	verdict(&r->endpoints[0], LISTEN_LISTENING, LISTEN_CAUSE_NONE,
	    "opendkim (pid 23, uid 104) listens on 127.0.0.1:12345");
	verdict(&r->endpoints[1], LISTEN_LISTENING, LISTEN_CAUSE_NONE,
	    "taking 127.0.0.1:12345 or [::1]:12345");
	listen_report_free(r);
	site_free(site);
	rmroot(root);

	/* inet_protocols = ipv4: [::1] is no address to dial at all. */
	root = mkroot(SEED_MILTER, "ipv4", 0, NULL, "");
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_NOADDR,
	    LISTEN_CAUSE_PROTOCOLS, "inet_protocols = ipv4 (/etc/postfix/"
	    "main.cf:3) leaves no address of inet:[::1]:12345 to dial");
	listen_report_free(r);
	site_free(site);
	rmroot(root);

	/* ... and localhost:8892 reaches only 127.0.0.1, while OpenDKIM
	 * (pid 37) listens on [::1]:8892. */
	root = mkroot("inet:localhost:8892", "ipv4", 0, NULL, "");
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_REFUSED,
	    LISTEN_CAUSE_PROTOCOLS, "opendkim (pid 37, uid 104) listens on "
	    "[::1]:8892, but inet_protocols = ipv4 (/etc/postfix/main.cf:3) "
	    "leaves IPv6 out");
	listen_report_free(r);
	site_free(site);
	rmroot(root);

	/* TCP dialled while the signer (pid 30, -p) listens on a file. */
	root = mkroot("inet:127.0.0.1:8891", "all", 0, "PidFile "
	    "/run/opendkim/od2.pid\nSocket inet:8891@localhost\n", "");
	r = report(root, STACK, &site);
	assert_string_equal(r->signers[0].socket,
	    "local:/var/spool/postfix/opendkim/opendkim.sock");
	assert_string_equal(r->signers[0].socket_source,
	    STACK "/30/cmdline -p");
	assert_int_equal(r->signers[0].listening, 1);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_REFUSED,
	    LISTEN_CAUSE_TRANSPORT, "opendkim (pid 30) listens on the socket "
	    "file /var/spool/postfix/opendkim/opendkim.sock, not on TCP");
	listen_report_free(r);
	site_free(site);
	rmroot(root);
}

static void
test_unix(void **state)
{
	static const char *od2 = "PidFile /run/opendkim/od2.pid\n"
	    "Socket inet:8891@localhost\n";
	static const char *sock = "/var/spool/postfix/opendkim/opendkim.sock";
	struct site *site;
	struct listen_report *r;
	const struct listen_endpoint *ep;
	char *root, *p;

	(void)state;
	/* Debian's layout: relative to queue_directory, chrooted smtpd. */
	root = mkroot("unix:opendkim/opendkim.sock", "all", 1, od2,
	    "postfix");
	mksock(root, sock, 0770);
	r = report(root, STACK, &site);
	ep = endpoint(r, "postfix smtpd");
	assert_string_equal(ep->path, sock);
	assert_string_equal(ep->workdir, "/var/spool/postfix");
	verdict(ep, LISTEN_LISTENING, LISTEN_CAUSE_NONE, "opendkim (pid 30, "
	    "uid 104) listens on /var/spool/postfix/opendkim/opendkim.sock");
	listen_report_free(r);
	site_free(site);

	/* The socket's group without postfix in it. */
	rmroot(root);
	root = mkroot("unix:opendkim/opendkim.sock", "all", 1, od2, "");
	mksock(root, sock, 0770);
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_DENIED,
	    LISTEN_CAUSE_MODE, "postfix may not write the socket "
	    "/var/spool/postfix/opendkim/opendkim.sock (srwxrwx--- ");
	assert_non_null(strstr(endpoint(r, "postfix smtpd")->detail,
	    "not in its group"));
	listen_report_free(r);
	site_free(site);

	/* A parent postfix cannot search (mode 0700, not its own). */
	p = xasprintf("%s/var/spool/postfix/opendkim", root);
	chmod(p, 0700);
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_DENIED,
	    LISTEN_CAUSE_MODE, "postfix cannot search "
	    "/var/spool/postfix/opendkim (drwx------ ");
	listen_report_free(r);
	site_free(site);
	chmod(p, 0755);
	free(p);

	/* The socket file left behind by a stopped OpenDKIM. */
	r = report(root, STOPPED, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_DENIED,
	    LISTEN_CAUSE_MODE, NULL);
	listen_report_free(r);
	site_free(site);
	mksock(root, sock, 0777);
	r = report(root, STOPPED, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_REFUSED,
	    LISTEN_CAUSE_STOPPED, "is a socket file nobody listens on "
	    "(srwxrwxrwx ");
	listen_report_free(r);
	site_free(site);

	/* A regular file where the socket should be. */
	p = xasprintf("%s%s", root, sock);
	unlink(p);
	write_file(root, sock, "not a socket\n");
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_REFUSED,
	    LISTEN_CAUSE_NOT_SOCKET, "is not a socket (-rw-");
	listen_report_free(r);
	site_free(site);
	unlink(p);
	free(p);

	/* No file at all, while OpenDKIM (pid 30) still listens in /proc:
	 * another path than it listens on. */
	rmroot(root);
	root = mkroot("unix:/run/opendkim/opendkim.sock", "all", 0, od2, "");
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_NOFILE,
	    LISTEN_CAUSE_PATH, "/run/opendkim/opendkim.sock does not exist; "
	    "opendkim (pid 30) listens on "
	    "/var/spool/postfix/opendkim/opendkim.sock instead");
	listen_report_free(r);
	site_free(site);
	rmroot(root);

	/* A file dialled, OpenDKIM (pid 23) on TCP. */
	root = mkroot("unix:/run/opendkim/opendkim.sock", "all", 0, NULL, "");
	r = report(root, STACK, &site);
	verdict(endpoint(r, "postfix smtpd"), LISTEN_NOFILE,
	    LISTEN_CAUSE_TRANSPORT, "opendkim (pid 23) listens on TCP "
	    "127.0.0.1:12345, not on a socket file");
	listen_report_free(r);
	site_free(site);
	rmroot(root);
}

/* D: the full path written while smtpd runs chrooted. */
static void
test_chroot(void **state)
{
	static const char *od2 = "PidFile /run/opendkim/od2.pid\n"
	    "Socket inet:8891@localhost\n";
	struct site *site;
	struct listen_report *r;
	const struct listen_endpoint *ep;
	char *root;

	(void)state;
	root = mkroot("unix:/var/spool/postfix/opendkim/opendkim.sock",
	    "all", 1, od2, "postfix");
	mksock(root, "/var/spool/postfix/opendkim/opendkim.sock", 0770);
	r = report(root, STACK, &site);
	ep = endpoint(r, "postfix smtpd");
	assert_string_equal(ep->chroot, "/var/spool/postfix");
	assert_string_equal(ep->path, "/var/spool/postfix/var/spool/postfix/"
	    "opendkim/opendkim.sock");
	verdict(ep, LISTEN_NOFILE, LISTEN_CAUSE_CHROOT, "/var/spool/postfix/"
	    "var does not exist; postfix smtpd runs chrooted in "
	    "/var/spool/postfix and opens /var/spool/postfix/var/spool/"
	    "postfix/opendkim/opendkim.sock there, while opendkim (pid 30, "
	    "uid 104) listens on /var/spool/postfix/opendkim/opendkim.sock "
	    "outside the chroot");
	listen_report_free(r);
	site_free(site);
	rmroot(root);
}

/* Dual-stack and IPv4-mapped listeners, bindv6only, another program. */
static void
test_edge_match(void **state)
{
	struct listen_report *r = xcalloc(1, sizeof *r);
	struct listen_table *t = listen_table_read(EDGE);
	struct listen_endpoint *ep;
	char *cause = NULL;

	(void)state;
	r->table = t;
	ep = listen_report_add(r, "postfix smtpd", "milter",
	    "inet:127.0.0.1:8893", SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	verdict(ep, LISTEN_LISTENING, LISTEN_CAUSE_NONE, "listens on "
	    "[::]:8893 (taking 127.0.0.1:8893)");
	t->bindv6only = 1;
	listen_report_match(r, ep);
	verdict(ep, LISTEN_REFUSED, LISTEN_CAUSE_FAMILY, NULL);
	t->bindv6only = 0;
	ep = listen_report_add(r, "dkimproxy", "relay", "inet:127.0.0.1:10027",
	    SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	verdict(ep, LISTEN_LISTENING, LISTEN_CAUSE_NONE,
	    "[::ffff:127.0.0.1]:10027");
	ep = listen_report_add(r, "postfix smtpd", "milter",
	    "inet:[::1]:8891", SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	verdict(ep, LISTEN_REFUSED, LISTEN_CAUSE_FAMILY, "python3 (pid 200, "
	    "uid 1000) listens on 0.0.0.0:8891 only (IPv4)");
	ep = listen_report_add(r, "postfix smtpd", "milter",
	    "inet:127.0.0.1:8891", SOCKSPEC_POSTFIX, &cause);
	ep->to = xstrdup("opendkim");
	listen_report_match(r, ep);
	verdict(ep, LISTEN_LISTENING, LISTEN_CAUSE_OTHER, "python3 (pid 200, "
	    "uid 1000), not opendkim, listens on 0.0.0.0:8891");
	ep = listen_report_add(r, "postfix smtpd", "milter",
	    "inet:127.0.0.3:9000", SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	verdict(ep, LISTEN_REFUSED, LISTEN_CAUSE_ADDRESS, "127.0.0.2:9000");
	ep = listen_report_add(r, "postfix smtpd", "milter",
	    "inet:mail.example.org:9000", SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	verdict(ep, LISTEN_UNKNOWN, LISTEN_CAUSE_NONE, "not resolved here");
	assert_null(listen_report_add(r, "x", "milter", "tcp:1.2.3.4:5",
	    SOCKSPEC_POSTFIX, &cause));
	assert_non_null(cause);
	free(cause);
	listen_report_free(r);
}

/* Under --root without a proc directory: nothing read, no probe. */
static void
test_root_unprobed(void **state)
{
	struct site *site = load(STACKROOT);
	struct listen_report *r = listen_report_new(site, NULL);
	char *cause = NULL;

	(void)state;
	assert_null(r->table);
	assert_false(r->live);
	assert_non_null(strstr(r->note, "--root names a sandbox"));
	verdict(endpoint(r, "postfix smtpd"), LISTEN_UNKNOWN,
	    LISTEN_CAUSE_NONE, "probes run only on the real machine");
	assert_int_equal(r->signers[0].state, SVC_UNKNOWN);
	assert_int_equal(listen_probe(r, 1, &cause), -1);
	assert_non_null(strstr(cause, "--root"));
	free(cause);
	listen_report_free(r);
	site_free(site);

	/* No /proc at all: said, and nothing guessed. */
	site = load(STACKROOT);
	r = listen_report_new(site, PROC "no-such-proc");
	assert_non_null(strstr(r->note, "no-such-proc here: connect probes "
	    "only"));
	verdict(endpoint(r, "postfix smtpd"), LISTEN_UNKNOWN,
	    LISTEN_CAUSE_NONE, "only a connect probe tells");
	assert_int_equal(r->signers[0].state, SVC_UNKNOWN);
	listen_report_free(r);
	site_free(site);
}

/* ---- Probes on this machine ---- */

/* A TCP listener on 127.0.0.1 that never answers; its port. */
static int
tcp_listener(unsigned *port)
{
	struct sockaddr_in in;
	socklen_t len = sizeof in;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&in, 0, sizeof in);
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&in, sizeof in), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&in, &len), 0);
	*port = ntohs(in.sin_port);
	return fd;
}

static void
test_probe_live(void **state)
{
	struct site site;
	struct listen_report *r;
	struct listen_endpoint *ep;
	char *cause = NULL, *a;
	unsigned port;
	int fd = tcp_listener(&port);

	(void)state;
	memset(&site, 0, sizeof site);
	r = listen_report_new(&site, NULL);
	assert_true(r->live);
	a = xasprintf("inet:127.0.0.1:%u", port);
	ep = listen_report_add(r, "test", "content_filter", a,
	    SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	if (r->table->proc) {
		verdict(ep, LISTEN_LISTENING, LISTEN_CAUSE_NONE, NULL);
		assert_int_equal(ep->pid, getpid());
	}
	ep = listen_report_add(r, "test", "milter", a, SOCKSPEC_POSTFIX,
	    &cause);
	listen_report_match(r, ep);
	free(a);
	a = xasprintf("inet:[::1]:%u", port);
	ep = listen_report_add(r, "test", "milter", a, SOCKSPEC_POSTFIX,
	    &cause);
	listen_report_match(r, ep);
	free(a);
	ep = listen_report_add(r, "test", "milter",
	    "unix:/nonexistent/notspam-test.sock", SOCKSPEC_POSTFIX, &cause);
	listen_report_match(r, ep);
	assert_int_equal(listen_probe(r, 1, &cause), 0);
	assert_true(r->probed);
	/* Connected; not a milter (it never answers); [::1]: nothing. */
	verdict(&r->endpoints[0], LISTEN_LISTENING, LISTEN_CAUSE_NONE, NULL);
	assert_non_null(strstr(r->endpoints[0].probe, "accepted a "
	    "connection"));
	verdict(&r->endpoints[1], LISTEN_MILTER_FAILED, LISTEN_CAUSE_OTHER,
	    "gave no milter negotiation reply");
	assert_true(r->endpoints[2].state == LISTEN_REFUSED ||
	    r->endpoints[2].state == LISTEN_NOADDR);
	assert_true(r->endpoints[2].probed);
	verdict(&r->endpoints[3], LISTEN_NOFILE, LISTEN_CAUSE_NONE,
	    "/nonexistent does not exist");
	assert_non_null(strstr(r->endpoints[3].probe, "connect to "
	    "unix:/nonexistent/notspam-test.sock: No such file or directory"));
	listen_report_free(r);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_inet),
		cmocka_unit_test(test_parse_unix),
		cmocka_unit_test(test_table_stack),
		cmocka_unit_test(test_table_edge),
		cmocka_unit_test(test_table_none),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_cred),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_tcp_causes),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_chroot),
		cmocka_unit_test(test_edge_match),
		cmocka_unit_test(test_root_unprobed),
		cmocka_unit_test(test_probe_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
