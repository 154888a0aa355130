/* test_setup.c: the guided setup's data (core/setup/setup.h): the progress
 * file, the detection of what runs here, identity and the settings file,
 * the keys offered. */
#include <sys/stat.h>

#include "testutil.h"

#include "core/conf/settings.h"
#include "core/lib/util.h"
#include "core/setup/setup.h"
#include "core/site/site.h"

/* A temporary root with files: pairs of site path and content, NULL
 * ended.  Directories are made as needed. */
static char *
mkroot(const char *first, ...)
{
	char *dir = xstrdup("/tmp/notspam-setup.XXXXXX"), *p, *cmd;
	const char *path, *text;
	va_list ap;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	va_start(ap, first);
	for (path = first; path != NULL; path = va_arg(ap, const char *)) {
		text = va_arg(ap, const char *);
		p = xasprintf("%s%s", dir, path);
		cmd = xasprintf("mkdir -p \"$(dirname %s)\"", p);
		free(test_run(cmd));
		free(cmd);
		f = fopen(p, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
		free(p);
	}
	va_end(ap);
	return dir;
}

static void
rmroot(char *dir)
{
	char *p = xasprintf("rm -rf %s", dir);

	free(test_run(p));
	free(p);
	free(dir);
}

static char *
root_read(const char *root, const char *path)
{
	char *p = xasprintf("%s%s", root, path), *t = test_read_file(p, NULL);

	free(p);
	return t;
}

/* The progress file: saved, read back the same, steps and keys kept. */
static void
test_state_roundtrip(void **state)
{
	char *root = mkroot(NULL), *cause = NULL, *warn = NULL, *t1, *t2;
	struct setup_state st, back;
	const char *why;
	struct stat sb;
	char *p;

	(void)state;
	setup_state_init(&st);
	assert_int_equal(st.step, SETUP_DETECT);
	assert_true(setup_can_open(&st, SETUP_DETECT, &why));
	assert_false(setup_can_open(&st, SETUP_KEYS, &why));
	assert_string_equal(why, "finish \"What runs here\" first");
	setup_done(&st, SETUP_DETECT, 1764600000);
	assert_int_equal(st.step, SETUP_IDENTITY);
	assert_false(setup_can_open(&st, SETUP_KEYS, &why));
	assert_string_equal(why, "finish \"Identity\" first");
	setup_done(&st, SETUP_IDENTITY, 1764600100);
	assert_true(setup_can_open(&st, SETUP_KEYS, &why));
	st.mta = xstrdup("postfix");
	st.signer = xstrdup("opendkim");
	st.hostname = xstrdup("mail.example.org");
	strv_add(&st.domains, "example.org");
	strv_add(&st.domains, "example.net");
	st.have_domains = 1;
	strv_add(&st.addresses, "192.0.2.25");
	strv_add(&st.addresses, "2001:db8::25");
	st.have_addresses = 1;
	setup_key_add(&st, "Example.ORG", "202612", "rsa",
	    "/etc/dkimkeys/example.org.202612 #1.private");
	setup_key_add(&st, "example.net", "ed202612", "ed25519",
	    "/etc/dkimkeys/example.net.ed202612.private");
	/* The same domain and selector replace, not add. */
	setup_key_add(&st, "example.org", "202612", "rsa",
	    "/etc/dkimkeys/example.org.202612.private");
	assert_int_equal(st.nkeys, 2);
	st.test_to = xstrdup("test-abc123@srv1.mail-tester.com");
	st.test_route = xstrdup("local");
	assert_int_equal(setup_state_save(root, &st, &cause), 0);
	p = xasprintf("%s%s", root, SETUP_STATE_PATH);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	free(p);

	assert_int_equal(setup_state_load(root, &back, &warn, &cause), 0);
	assert_null(warn);
	assert_int_equal(back.step, SETUP_KEYS);
	assert_int_equal(back.done[SETUP_DETECT], 1764600000);
	assert_int_equal(back.done[SETUP_IDENTITY], 1764600100);
	assert_int_equal(back.done[SETUP_KEYS], 0);
	assert_string_equal(back.signer, "opendkim");
	assert_int_equal(back.domains.n, 2);
	assert_int_equal(back.addresses.n, 2);
	assert_int_equal(back.nkeys, 2);
	assert_string_equal(setup_key_find(&back, "example.org",
	    "202612")->path, "/etc/dkimkeys/example.org.202612.private");
	assert_string_equal(setup_key_find(&back, "EXAMPLE.NET",
	    "ed202612")->type, "ed25519");
	t1 = setup_state_text(&st);
	t2 = setup_state_text(&back);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	setup_state_free(&st);
	setup_state_free(&back);
	rmroot(root);
}

/* A bad line is skipped and named; the rest is kept; a missing file is
 * a fresh start. */
static void
test_state_bad_lines(void **state)
{
	char *root = mkroot(SETUP_STATE_PATH,
	    "# progress\n"
	    "version 1\n"
	    "step dns\n"
	    "done detect 1764600000\n"
	    "done keys yesterday\n"
	    "domain example.org\n"
	    "domain not_a_domain!\n"
	    "address 192.0.2.300\n"
	    "address 2001:DB8:0::25\n"
	    "key example.org 202612 rsa relative/path\n"
	    "frobnicate on\n"
	    "  \n", NULL);
	char *cause = NULL, *warn = NULL, *empty = mkroot(NULL);
	struct setup_state st;

	(void)state;
	assert_int_equal(setup_state_load(root, &st, &warn, &cause), 0);
	assert_non_null(warn);
	assert_string_equal(warn, SETUP_STATE_PATH ":5: expected \"done STEP "
	    "TIME\"; the line is ignored");
	assert_int_equal(st.step, SETUP_DNS);
	assert_int_equal(st.done[SETUP_DETECT], 1764600000);
	assert_int_equal(st.done[SETUP_KEYS], 0);
	assert_int_equal(st.domains.n, 1);
	assert_int_equal(st.addresses.n, 1);
	assert_string_equal(st.addresses.v[0], "2001:db8::25");
	assert_int_equal(st.nkeys, 0);
	free(warn);
	setup_state_free(&st);

	warn = NULL;
	assert_int_equal(setup_state_load(empty, &st, &warn, &cause), 0);
	assert_null(warn);
	assert_int_equal(st.step, SETUP_DETECT);
	setup_state_free(&st);
	rmroot(root);
	rmroot(empty);
}

/* Debian with Postfix and no signer: the three stacks offered, the
 * Postfix one first, each with what to install; dkimproxy not packaged. */
static void
test_detect_debian(void **state)
{
	char *root = mkroot(
	    "/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	    "ID=debian\n",
	    "/usr/sbin/postfix", "",
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org\n", NULL);
	struct setup_detect d;
	const struct setup_choice *c;
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_detect(site, &d);
	assert_int_equal(d.os, SETUP_OS_DEBIAN);
	assert_string_equal(d.os_name, "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(d.mta, "postfix");
	assert_null(d.signer);
	assert_int_equal(d.nchoices, 1);
	c = setup_choice_find(&d, "postfix+opendkim");
	assert_non_null(c);
	assert_false(c->installed);
	assert_true(c->packaged);
	assert_string_equal(c->install, "apt-get install opendkim "
	    "opendkim-tools");
	assert_null(setup_choice_find(&d, "opensmtpd+dkimproxy"));
	setup_detect_free(&d);
	site_free(site);
	rmroot(root);
}

/* OpenBSD with smtpd: filter-dkimsign and dkimproxy from pkg_add; with
 * dkimproxy installed it is there, nothing to install. */
static void
test_detect_openbsd(void **state)
{
	char *root = mkroot(
	    "/usr/sbin/rcctl", "",
	    "/usr/sbin/smtpd", "",
	    "/usr/local/bin/dkimproxy.out", "",
	    "/etc/mail/smtpd.conf", "listen on lo0\n"
	    "action \"local\" mbox\nmatch from local for local action "
	    "\"local\"\n", NULL);
	struct setup_detect d;
	const struct setup_choice *c;
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_detect(site, &d);
	assert_int_equal(d.os, SETUP_OS_OPENBSD);
	assert_string_equal(d.mta, "opensmtpd");
	c = setup_choice_find(&d, "opensmtpd+filter-dkimsign");
	assert_non_null(c);
	assert_string_equal(c->install, "pkg_add opensmtpd-filter-dkimsign");
	c = setup_choice_find(&d, "opensmtpd+dkimproxy");
	assert_non_null(c);
	assert_true(c->installed);
	assert_null(c->install);
	assert_null(setup_choice_find(&d, "postfix+opendkim"));
	setup_detect_free(&d);
	site_free(site);
	rmroot(root);
}

/* Nothing at all: a note says install a mail server first. */
static void
test_detect_nothing(void **state)
{
	char *root = mkroot("/etc/os-release", "ID=ubuntu\n", NULL);
	struct setup_detect d;
	struct site *site;
	char *cause = NULL;
	size_t i;
	int noted = 0;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_detect(site, &d);
	assert_int_equal(d.os, SETUP_OS_DEBIAN);
	assert_null(d.mta);
	assert_int_equal(d.nchoices, 3);
	assert_string_equal(setup_choice_find(&d, "postfix+opendkim")->install,
	    "apt-get install postfix opendkim opendkim-tools");
	assert_false(setup_choice_find(&d, "opensmtpd+dkimproxy")->packaged);
	assert_null(setup_choice_find(&d, "opensmtpd+dkimproxy")->install);
	for (i = 0; i < d.notes.n; i++)
		noted += strstr(d.notes.v[i], "no mail server found") != NULL;
	assert_int_equal(noted, 1);
	setup_detect_free(&d);
	site_free(site);
	rmroot(root);
}

/* Identity: from the site, the state's answers win; the checks. */
static void
test_identity(void **state)
{
	char *root = mkroot(
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org\n",
	    "/etc/notspam/notspam.conf", "# mine\npublic_ipv4 = 192.0.2.25\n"
	    "domains = extra.example\n", NULL);
	struct setup_identity id;
	struct setup_state st;
	struct strv probs, notes, doms, addrs;
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_state_init(&st);
	setup_identity(site, &st, &id);
	assert_string_equal(id.hostname, "mail.example.org");
	assert_int_equal(id.domains.n, 2);
	assert_int_equal(id.config_domains.n, 1);
	assert_string_equal(id.config_domains.v[0], "example.org");
	assert_int_equal(id.ipv4.n, 1);
	setup_identity_free(&id);

	st.hostname = xstrdup("mx.example.org");
	strv_add(&st.domains, "example.org");
	strv_add(&st.domains, "added.example");
	st.have_domains = 1;
	strv_add(&st.addresses, "2001:db8::25");
	st.have_addresses = 1;
	setup_identity(site, &st, &id);
	assert_string_equal(id.hostname, "mx.example.org");
	assert_string_equal(id.hostname_source, "setup");
	assert_int_equal(id.domains.n, 2);
	assert_int_equal(id.ipv4.n, 0);
	assert_int_equal(id.ipv6.n, 1);
	setup_identity_free(&id);

	strv_init(&probs);
	strv_init(&notes);
	strv_init(&doms);
	strv_init(&addrs);
	strv_add(&doms, "example.org");
	strv_add(&addrs, "192.0.2.25");
	strv_add(&addrs, "203.0.113.7");
	assert_int_equal(setup_identity_check("mail.example.org", &doms,
	    &addrs, &probs, &notes), 0);
	assert_int_equal(notes.n, 2);	/* documentation addresses */
	strv_add(&doms, "bad domain\x1b[2J");
	strv_add(&addrs, "192.0.2.300");
	assert_int_equal(setup_identity_check("localhost", &doms, &addrs,
	    &probs, NULL), 3);
	assert_non_null(strstr(probs.v[1], "\\x1b"));	/* escaped */
	assert_null(strchr(probs.v[1], '\x1b'));
	strv_free(&probs);
	strv_free(&notes);
	strv_free(&doms);
	strv_free(&addrs);
	setup_state_free(&st);
	site_free(site);
	rmroot(root);
}

/* The settings file: the identity's lines set, the rest kept byte for
 * byte, the file as it was kept once; a first file made. */
static void
test_settings_write(void **state)
{
	char *root = mkroot(
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org\n",
	    "/etc/notspam/notspam.conf", "# mine\npublic_ipv4 = 192.0.2.1\n"
	    "# keep\ndmarc_policy = reject\n", NULL);
	char *empty = mkroot(NULL);
	struct setup_identity id;
	struct setup_state st;
	struct site *site;
	char *cause = NULL, *t;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_state_init(&st);
	strv_add(&st.domains, "example.org");
	strv_add(&st.domains, "added.example");
	st.have_domains = 1;
	strv_add(&st.addresses, "192.0.2.25");
	strv_add(&st.addresses, "2001:db8::25");
	st.have_addresses = 1;
	setup_identity(site, &st, &id);
	assert_int_equal(setup_settings_write(root, NULL, &id, &cause), 0);
	t = root_read(root, "/etc/notspam/notspam.conf");
	assert_string_equal(t, "# mine\npublic_ipv4 = 192.0.2.25\n"
	    "# keep\ndmarc_policy = reject\npublic_ipv6 = 2001:db8::25\n"
	    "domains = added.example\n");
	free(t);
	t = root_read(root, "/var/lib/notspam/setup/notspam.conf.before");
	assert_string_equal(t, "# mine\npublic_ipv4 = 192.0.2.1\n"
	    "# keep\ndmarc_policy = reject\n");
	free(t);
	/* Again: the first file stays the one kept. */
	assert_int_equal(setup_settings_write(root, NULL, &id, &cause), 0);
	t = root_read(root, "/var/lib/notspam/setup/notspam.conf.before");
	assert_string_equal(t, "# mine\npublic_ipv4 = 192.0.2.1\n"
	    "# keep\ndmarc_policy = reject\n");
	free(t);
	/* The signer chosen on the detect step: a line of its own, the rest
	 * kept; NULL takes it out again. */
	{
		struct settings *set;

		assert_int_equal(setup_settings_signer(root, NULL, "dkimproxy",
		    &cause), 0);
		t = root_read(root, "/etc/notspam/notspam.conf");
		assert_string_equal(t, "# mine\npublic_ipv4 = 192.0.2.25\n"
		    "# keep\ndmarc_policy = reject\n"
		    "public_ipv6 = 2001:db8::25\ndomains = added.example\n"
		    "signer = dkimproxy\n");
		free(t);
		set = settings_load(root, NULL, 0, &cause);
		assert_non_null(set);
		assert_string_equal(set->signer, "dkimproxy");
		settings_free(set);
		assert_int_equal(setup_settings_signer(root, NULL, NULL,
		    &cause), 0);
		t = root_read(root, "/etc/notspam/notspam.conf");
		assert_null(strstr(t, "signer"));
		free(t);
		/* Refused before anything is written: a signer notspam
		 * does not know, an address that is not one. */
		assert_int_equal(setup_settings_signer(root, NULL, "bad name",
		    &cause), -1);
		assert_non_null(strstr(cause, "is not a signer"));
		free(cause);
		cause = NULL;
		strv_add(&id.ipv4, "192.0.2.300");
		assert_int_equal(setup_settings_write(root, NULL, &id, &cause),
		    -1);
		assert_non_null(strstr(cause, "192.0.2.300"));
		free(cause);
		cause = NULL;
		free(id.ipv4.v[--id.ipv4.n]);
		t = root_read(root, "/etc/notspam/notspam.conf");
		assert_null(strstr(t, "signer"));
		assert_null(strstr(t, "192.0.2.300"));
		free(t);
	}
	/* No file yet: made, nothing kept. */
	assert_int_equal(setup_settings_write(empty, NULL, &id, &cause), 0);
	t = root_read(empty, "/etc/notspam/notspam.conf");
	assert_string_equal(t, "public_ipv4 = 192.0.2.25\n"
	    "public_ipv6 = 2001:db8::25\ndomains = added.example\n");
	free(t);
	setup_identity_free(&id);
	setup_state_free(&st);
	site_free(site);
	rmroot(root);
	rmroot(empty);
}

/* The keys offered: the default selector for a new one; the state's made
 * key kept on a revisit; Ed25519 beside RSA. */
static void
test_keyrows(void **state)
{
	char *root = mkroot(
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org example.net\n", NULL);
	struct setup_identity id;
	struct setup_state st;
	struct setup_keyrow *rows;
	struct site *site;
	char *cause = NULL;
	size_t n;
	time_t now = 1764600000;	/* 2025-12-01 */

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_state_init(&st);
	setup_identity(site, &st, &id);
	setup_keyrows(site, &st, &id, "opendkim", 0, now, &rows, &n);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].domain, "example.org");
	assert_string_equal(rows[0].selector, "202512");
	assert_string_equal(rows[0].type, "rsa");
	assert_int_equal(rows[0].bits, 2048);
	assert_false(rows[0].exists);
	assert_false(rows[0].made);
	setup_keyrows_free(rows, n);

	setup_key_add(&st, "example.net", "kept", "rsa",
	    "/etc/dkimkeys/example.net.kept.private");
	setup_keyrows(site, &st, &id, "opendkim", 1, now, &rows, &n);
	assert_int_equal(n, 4);
	assert_string_equal(rows[2].selector, "kept");
	assert_true(rows[2].made);
	assert_string_equal(rows[3].type, "ed25519");
	assert_string_equal(rows[3].selector, "ed202512");
	setup_keyrows_free(rows, n);
	setup_identity_free(&id);
	setup_state_free(&st);
	site_free(site);
	rmroot(root);
}

/* A domain the setup added (the settings file's) that the signer's tables
 * name once apply wrote them is still not the MTA's: written again, the
 * settings file keeps it. */
static void
test_identity_signer_domain(void **state)
{
	char *root = mkroot(
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org\n"
	    "smtpd_milters = inet:127.0.0.1:8891\n",
	    "/etc/opendkim.conf", "KeyTable /etc/opendkim/key.table\n"
	    "SigningTable refile:/etc/opendkim/signing.table\n"
	    "Socket inet:8891@127.0.0.1\n",
	    "/etc/opendkim/key.table", "s1._domainkey.example.net "
	    "example.net:s1:/etc/dkimkeys/example.net_s1.private\n",
	    "/etc/opendkim/signing.table", "*@example.net "
	    "s1._domainkey.example.net\n",
	    "/etc/notspam/notspam.conf", "domains = example.net\n", NULL);
	struct setup_identity id;
	struct setup_state st;
	struct site *site;
	char *cause = NULL, *t;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	setup_state_init(&st);
	setup_identity(site, &st, &id);
	assert_int_equal(id.domains.n, 2);
	assert_int_equal(id.config_domains.n, 1);
	assert_string_equal(id.config_domains.v[0], "example.org");
	assert_int_equal(setup_settings_write(root, NULL, &id, &cause), 0);
	t = root_read(root, "/etc/notspam/notspam.conf");
	assert_non_null(strstr(t, "domains = example.net\n"));
	free(t);
	setup_identity_free(&id);
	setup_state_free(&st);
	site_free(site);
	rmroot(root);
}

/* The first run: nothing configured (the stock Debian root: OpenDKIM
 * installed, no key, no milter) opens the setup; a key or a milter in the
 * configs does not.  The signer whose configuration was read counts as
 * installed, wherever its program is. */
static void
test_first_run(void **state)
{
	char *milter = mkroot(
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org\n"
	    "smtpd_milters = inet:127.0.0.1:8891\n", NULL);
	char *keyed = mkroot(
	    "/etc/postfix/main.cf", "myhostname = mail.example.org\n"
	    "mydestination = example.org\n",
	    "/etc/opendkim.conf", "Domain example.org\nSelector s1\n"
	    "KeyFile /etc/dkimkeys/s1.private\n"
	    "Socket inet:8891@localhost\n", NULL);
	const struct setup_choice *c;
	struct setup_detect d;
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load("tests/fixtures/setup-deb12", NULL, &cause);
	assert_non_null(site);
	assert_true(setup_first_run(site));
	setup_detect(site, &d);
	assert_int_equal(d.os, SETUP_OS_DEBIAN);
	assert_string_equal(d.signer, "opendkim");
	assert_string_equal(d.signer_config, "/etc/opendkim.conf");
	c = setup_choice_find(&d, "postfix+opendkim");
	assert_non_null(c);
	assert_ptr_equal(c, &d.choices[0]);	/* the one here, first */
	assert_true(c->installed);
	assert_null(c->install);
	setup_detect_free(&d);
	site_free(site);

	site = site_load(milter, NULL, &cause);
	assert_non_null(site);
	assert_false(setup_first_run(site));
	site_free(site);
	site = site_load(keyed, NULL, &cause);
	assert_non_null(site);
	assert_int_equal(site->nkeys, 1);
	assert_false(setup_first_run(site));
	site_free(site);
	rmroot(milter);
	rmroot(keyed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_state_bad_lines),
		cmocka_unit_test(test_detect_debian),
		cmocka_unit_test(test_detect_openbsd),
		cmocka_unit_test(test_detect_nothing),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_settings_write),
		cmocka_unit_test(test_keyrows),
		cmocka_unit_test(test_first_run),
		cmocka_unit_test(test_identity_signer_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
