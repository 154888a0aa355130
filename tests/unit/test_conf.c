/* test_conf.c: the core/conf documents: round trips, entries, errors and edits. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf/conf.h"
#include "core/lib/util.h"

#define FIX "tests/fixtures/conf/"

/* Parse a string or fail the test. */
static struct conf_doc *
parse_ok(enum conf_grammar g, const char *s)
{
	char *cause = NULL;
	struct conf_doc *doc;

	doc = conf_parse(g, "t.conf", s, strlen(s), &cause);
	if (doc == NULL)
		fail_msg("parse failed: %s", cause);
	return doc;
}

/* Parse bytes that must be refused; returns the message (caller frees). */
static char *
parse_err(enum conf_grammar g, const char *s, size_t len)
{
	char *cause = NULL;
	struct conf_doc *doc;

	doc = conf_parse(g, "t.conf", s, len, &cause);
	if (doc != NULL) {
		conf_free(doc);
		fail_msg("parse should have failed: %.60s", s);
	}
	assert_non_null(cause);
	return cause;
}

/* The message must contain every string in the NULL-terminated list. */
static void
assert_msg(const char *msg, ...)
{
	va_list ap;
	const char *want;

	va_start(ap, msg);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(msg, want) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", msg, want);
	}
	va_end(ap);
}

/* conf_text(doc) must be exactly want (len bytes). */
static void
assert_text(const struct conf_doc *doc, const char *want, size_t len)
{
	size_t got_len;
	char *got = conf_text(doc, &got_len);

	if (got_len != len || memcmp(got, want, len) != 0)
		fail_msg("text differs:\n--- got (%zu)\n%s\n--- want (%zu)\n%s",
		    got_len, got, len, want);
	free(got);
}

/* Parse bytes and check the document gives them back unchanged. */
static void
roundtrip_bytes(enum conf_grammar g, const char *data, size_t len)
{
	char *cause = NULL;
	struct conf_doc *doc;

	doc = conf_parse(g, "t.conf", data, len, &cause);
	if (doc == NULL)
		fail_msg("parse failed: %s", cause);
	assert_text(doc, data, len);
	conf_free(doc);
}

/* The same for NUL-terminated strings. */
#define parse_err_s(g, s)		parse_err((g), (s), strlen(s))
#define assert_text_s(doc, s)		assert_text((doc), (s), strlen(s))
#define roundtrip_bytes_s(g, s)		roundtrip_bytes((g), (s), strlen(s))

/* Load a fixture with conf_load() and check the round trip. */
static struct conf_doc *
load_fixture(enum conf_grammar g, const char *name)
{
	char *cause = NULL, *path = NULL, *data;
	struct conf_doc *doc;
	size_t len;

	if (asprintf(&path, FIX "%s", name) == -1)
		fail();
	doc = conf_load(NULL, g, path, &cause);
	if (doc == NULL)
		fail_msg("%s: %s", path, cause);
	data = test_read_file(path, &len);
	assert_text(doc, data, len);
	free(data);
	free(path);
	return doc;
}

static void
roundtrip_fixture(enum conf_grammar g, const char *name)
{
	conf_free(load_fixture(g, name));
}

/* Round trips of the stock Debian files. */
static void
test_rt_main_debian(void **state)
{
	(void)state;
	roundtrip_fixture(CONF_POSTFIX_MAIN, "main.cf.debian");
}

static void
test_rt_main_dist(void **state)
{
	(void)state;
	roundtrip_fixture(CONF_POSTFIX_MAIN, "main.cf.dist");
}

static void
test_rt_master_dist(void **state)
{
	(void)state;
	roundtrip_fixture(CONF_POSTFIX_MASTER, "master.cf.dist");
}

static void
test_rt_opendkim_debian(void **state)
{
	(void)state;
	roundtrip_fixture(CONF_OPENDKIM, "opendkim.conf.debian");
}

static void
test_rt_default_opendkim(void **state)
{
	(void)state;
	roundtrip_fixture(CONF_SHELLVARS, "default-opendkim.debian");
}

/* Round trips of every hand-made fixture. */
static void
test_rt_handmade(void **state)
{
	static const struct {
		enum conf_grammar g;
		const char *name;
	} f[] = {
		{ CONF_POSTFIX_MAIN, "main-tricky.cf" },
		{ CONF_POSTFIX_MAIN, "main-crlf.cf" },
		{ CONF_POSTFIX_MAIN, "main-nofinal.cf" },
		{ CONF_POSTFIX_MASTER, "master-tricky.cf" },
		{ CONF_OPENDKIM, "opendkim.conf.tricky" },
		{ CONF_TABLE, "KeyTable" },
		{ CONF_TABLE, "SigningTable.refile" },
		{ CONF_PEERLIST, "TrustedHosts" },
		{ CONF_SMTPD, "smtpd.conf" },
		{ CONF_SMTPD, "smtpd-old.conf" },
		{ CONF_DKIMPROXY, "dkimproxy_out.conf" },
		{ CONF_SETTINGS, "notspam.conf" },
		{ CONF_SHELLVARS, "shellvars.tricky" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof f / sizeof f[0]; i++)
		roundtrip_fixture(f[i].g, f[i].name);
}

/* Mixed line endings, a lone CR, no final newline, blanks: every grammar. */
static void
test_rt_line_endings(void **state)
{
	static const char data[] =
	    "# x\r\n"
	    "a = b\n"
	    "c = d \t\r\n"
	    "\r\n"
	    "\n"
	    "e = f\rg\n"
	    "h = i";
	enum conf_grammar g;

	(void)state;
	for (g = CONF_POSTFIX_MAIN; g <= CONF_SHELLVARS; g++) {
		if (g == CONF_POSTFIX_MASTER || g == CONF_SHELLVARS ||
		    g == CONF_SMTPD)
			continue;
		roundtrip_bytes(g, data, sizeof data - 1);
	}
	roundtrip_bytes_s(CONF_SMTPD, "# x\r\nlisten on lo0\r\n\r\n"
	    "match \\\r\n for any action x\n\naction x relay");
	roundtrip_bytes_s(CONF_SHELLVARS, "A=1\r\nB=2\nC=3");
	roundtrip_bytes_s(CONF_POSTFIX_MASTER,
	    "x unix - - n - - smtp\r\n  -o a=b\n#c\r\ny unix - - n - - smtp");
}

/* An empty file and a file of blank lines are documents without entries. */
static void
test_rt_empty(void **state)
{
	enum conf_grammar g;
	struct conf_doc *doc;

	(void)state;
	for (g = CONF_POSTFIX_MAIN; g <= CONF_SHELLVARS; g++) {
		doc = parse_ok(g, "");
		assert_int_equal(doc->nlines, 0);
		assert_int_equal(doc->nentries, 0);
		assert_text_s(doc, "");
		conf_free(doc);
		roundtrip_bytes(g, "\n\n \t\n", 5);
	}
}

/* A 100 KB line round-trips and its value is kept whole. */
static void
test_rt_long_line(void **state)
{
	size_t n = 100 * 1024, i;
	char *data, *want;
	struct conf_doc *doc;
	enum conf_grammar g;

	(void)state;
	data = malloc(n + 64);
	assert_non_null(data);
	memcpy(data, "long_value = ", 13);
	for (i = 13; i < n; i++)
		data[i] = (char)('a' + i % 26);
	memcpy(data + n, "\nbiff = no\n", 12);
	for (g = CONF_POSTFIX_MAIN; g <= CONF_SHELLVARS; g++) {
		if (g == CONF_POSTFIX_MASTER || g == CONF_SMTPD ||
		    g == CONF_SHELLVARS)
			continue;
		roundtrip_bytes(g, data, n + 11);
	}
	doc = parse_ok(CONF_POSTFIX_MAIN, data);
	want = strndup(data + 13, n - 13);
	assert_string_equal(conf_get(doc, "long_value"), want);
	assert_string_equal(conf_get(doc, "biff"), "no");
	free(want);
	conf_free(doc);
	/* A long comment is fine in smtpd.conf too. */
	data[0] = '#';
	roundtrip_bytes(CONF_SMTPD, data, n + 11);
	free(data);
}

/* UTF-8 keys, values and comments survive and read back. */
static void
test_rt_utf8(void **state)
{
	static const char data[] =
	    "# Kommentar: \xc3\xa4\xc3\xb6\xc3\xbc \xe2\x9c\x93\n"
	    "smtpd_banner = \xe2\x9c\x89 post \xc3\xbc\xc3\xa4\n";
	struct conf_doc *doc;

	(void)state;
	doc = parse_ok(CONF_POSTFIX_MAIN, data);
	assert_text(doc, data, sizeof data - 1);
	assert_string_equal(conf_get(doc, "smtpd_banner"),
	    "\xe2\x9c\x89 post \xc3\xbc\xc3\xa4");
	conf_free(doc);
	roundtrip_bytes_s(CONF_SMTPD, "action \"\xc3\xbc\" relay # \xe2\x9c\x93\n");
}

/* main.cf.debian: values and line numbers. */
static void
test_main_debian_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN,
	    "main.cf.debian");
	const struct conf_entry *e;

	(void)state;
	assert_int_equal(doc->nentries, 5);
	e = conf_find(doc, "smtpd_banner");
	assert_non_null(e);
	assert_int_equal(e->lineno, 9);
	assert_int_equal(e->count, 1);
	assert_string_equal(e->value, "$myhostname ESMTP $mail_name "
	    "(Debian/GNU)");
	assert_int_equal(e->argc, 5);
	assert_string_equal(e->argv[0], "smtpd_banner");
	assert_string_equal(e->argv[4], "(Debian/GNU)");
	assert_null(e->argv[5]);
	assert_string_equal(conf_get(doc, "biff"), "no");
	assert_string_equal(conf_get(doc, "compatibility_level"), "3.6");
	assert_null(conf_get(doc, "myorigin"));
	assert_null(conf_get(doc, "delay_warning_time"));
	conf_free(doc);
}

/* main.cf.dist: a continued value, blank-only lines, empty values. */
static void
test_main_dist_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN, "main.cf.dist");
	const struct conf_entry *e;

	(void)state;
	e = conf_find(doc, "debugger_command");
	assert_non_null(e);
	assert_int_equal(e->lineno, 629);
	assert_int_equal(e->count, 3);
	assert_string_equal(e->value, "PATH=/bin:/usr/bin:/usr/local/bin:"
	    "/usr/X11R6/bin ddd $daemon_directory/$process_name $process_id "
	    "& sleep 5");
	assert_string_equal(conf_get(doc, "sendmail_path"), "");
	assert_int_equal(conf_find(doc, "sendmail_path")->argc, 1);
	assert_string_equal(conf_get(doc, "inet_protocols"), "ipv4");
	assert_string_equal(conf_get(doc, "mynetworks"), "127.0.0.0/8");
	conf_free(doc);
}

/* Continuations around comments, duplicates, '#' as text, blanks. */
static void
test_main_tricky_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN, "main-tricky.cf");
	const struct conf_entry *e;

	(void)state;
	assert_int_equal(doc->nentries, 7);
	assert_string_equal(conf_get(doc, "myhostname"), "mail.example.org");
	e = conf_find(doc, "smtpd_milters");
	assert_int_equal(e->lineno, 3);
	assert_int_equal(e->first, 2);
	assert_int_equal(e->count, 5);
	assert_string_equal(e->value,
	    "inet:127.0.0.1:8891, unix:/run/opendkim/opendkim.sock");
	/* The last definition wins. */
	e = conf_find(doc, "milter_default_action");
	assert_int_equal(e->lineno, 10);
	assert_string_equal(e->value, "tempfail");
	assert_string_equal(doc->entries[3].value, "accept");
	assert_string_equal(conf_get(doc, "smtpd_banner"),
	    "$myhostname ESMTP # not a comment");
	/* A line of blanks is empty, not a continuation. */
	assert_int_equal(conf_find(doc, "smtpd_banner")->count, 1);
	assert_string_equal(conf_get(doc, "mydestination"),
	    "localhost, \xc3\xbcmlaut.example");
	conf_free(doc);
}

/* CRLF: values do not keep the CR. */
static void
test_main_crlf_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN, "main-crlf.cf");

	(void)state;
	assert_string_equal(conf_get(doc, "myhostname"), "crlf.example.org");
	assert_string_equal(conf_get(doc, "smtpd_milters"),
	    "inet:127.0.0.1:8891, inet:127.0.0.1:8892");
	assert_string_equal(conf_get(doc, "biff"), "no");
	assert_int_equal(conf_find(doc, "biff")->lineno, 6);
	conf_free(doc);
}

/* The stock master.cf: keys, fields, the relay override. */
static void
test_master_dist_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MASTER,
	    "master.cf.dist");
	const struct conf_entry *e;

	(void)state;
	assert_int_equal(doc->nentries, 31);
	e = conf_find(doc, "smtp/inet");
	assert_non_null(e);
	assert_int_equal(e->lineno, 12);
	assert_int_equal(e->argc, 8);
	assert_string_equal(e->argv[4], "y");
	assert_string_equal(e->argv[7], "smtpd");
	e = conf_find(doc, "relay/unix");
	assert_int_equal(e->count, 2);
	assert_int_equal(e->argc, 10);
	assert_string_equal(conf_master_option(e, "syslog_name"),
	    "postfix/$service_name");
	/* The commented-out override is not part of the entry. */
	assert_null(conf_master_option(e, "smtp_helo_timeout"));
	assert_non_null(conf_find(doc, "postlog/unix-dgram"));
	assert_string_equal(conf_find(doc, "tlsmgr/unix")->argv[5], "1000?");
	assert_null(conf_find(doc, "submission/inet"));
	conf_free(doc);
}

/* Both -o forms, the last override, the last duplicate service. */
static void
test_master_tricky_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MASTER,
	    "master-tricky.cf");
	const struct conf_entry *e;

	(void)state;
	assert_int_equal(doc->nentries, 5);
	e = conf_find(doc, "submission/inet");
	assert_int_equal(e->lineno, 4);
	assert_int_equal(e->count, 6);
	assert_int_equal(e->argc, 16);
	assert_string_equal(e->argv[10], "-o");
	assert_string_equal(e->argv[11],
	    "smtpd_client_restrictions=permit_sasl_authenticated, reject");
	assert_string_equal(conf_master_option(e,
	    "smtpd_client_restrictions"), "permit_sasl_authenticated, reject");
	assert_string_equal(conf_master_option(e, "smtpd_tls_security_level"),
	    "may");
	assert_string_equal(conf_master_option(e, "syslog_name"),
	    "postfix/submission");
	assert_null(conf_master_option(e, "smtpd_tls"));
	e = conf_find(doc, "127.0.0.1:10028/inet");
	assert_string_equal(conf_master_option(e, "content_filter"), "");
	assert_string_equal(conf_master_option(e,
	    "smtpd_authorized_xforward_hosts"), "127.0.0.0/8");
	e = conf_find(doc, "dksign/unix");
	assert_string_equal(e->argv[6], "10");
	assert_string_equal(conf_master_option(e,
	    "smtp_discard_ehlo_keywords"), "8bitmime,starttls");
	/* The last smtp/inet wins: postscreen. */
	e = conf_find(doc, "smtp/inet");
	assert_int_equal(e->lineno, 17);
	assert_string_equal(e->argv[7], "postscreen");
	assert_null(conf_master_option(e, "smtpd_milters"));
	conf_free(doc);
}

/* "-oname=value" in one word also counts; options before field 8 not. */
static void
test_master_option_forms(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_POSTFIX_MASTER,
	    "-o inet n - n - - smtpd -oa=1 -o b=2 -o { c = three words }\n"
	    " -o\n");
	const struct conf_entry *e = &doc->entries[0];

	(void)state;
	assert_string_equal(e->key, "-o/inet");
	assert_string_equal(conf_master_option(e, "a"), "1");
	assert_string_equal(conf_master_option(e, "b"), "2");
	assert_string_equal(conf_master_option(e, "c"), "three words");
	assert_null(conf_master_option(e, "inet"));
	conf_free(doc);
}

/* The Debian opendkim.conf; keys are case-insensitive. */
static void
test_opendkim_debian_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_OPENDKIM,
	    "opendkim.conf.debian");
	const struct conf_entry *e;

	(void)state;
	assert_int_equal(doc->nentries, 9);
	e = conf_find(doc, "socket");
	assert_non_null(e);
	assert_string_equal(e->key, "Socket");
	assert_int_equal(e->lineno, 37);
	assert_string_equal(e->value, "local:/run/opendkim/opendkim.sock");
	assert_string_equal(conf_get(doc, "CANONICALIZATION"),
	    "relaxed/simple");
	assert_string_equal(conf_get(doc, "UMask"), "007");
	assert_null(conf_get(doc, "Domain"));
	assert_null(conf_get(doc, "InternalHosts"));
	conf_free(doc);
}

/* '#' cuts anywhere, the last definition wins, a key without value. */
static void
test_opendkim_tricky_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_OPENDKIM,
	    "opendkim.conf.tricky");
	const struct conf_entry *e;

	(void)state;
	assert_string_equal(conf_get(doc, "Syslog"), "yes");
	/* OpenDKIM's config_get() finds the last definition. */
	e = conf_find(doc, "SOCKET");
	assert_int_equal(e->lineno, 5);
	assert_string_equal(e->value, "local:/run/opendkim/opendkim.sock");
	assert_string_equal(conf_get(doc, "InternalHosts"),
	    "/etc/opendkim/TrustedHosts");
	assert_string_equal(conf_get(doc, "Mode"), "");
	assert_int_equal(conf_find(doc, "mode")->argc, 1);
	assert_string_equal(conf_get(doc, "umask"), "007");
	conf_free(doc);
}

/* /etc/default/opendkim and a file with quotes, export, duplicates. */
static void
test_shellvars_entries(void **state)
{
	struct conf_doc *doc;

	(void)state;
	doc = load_fixture(CONF_SHELLVARS, "default-opendkim.debian");
	assert_int_equal(doc->nentries, 6);
	assert_string_equal(conf_get(doc, "SOCKET"),
	    "local:$RUNDIR/opendkim.sock");
	assert_string_equal(conf_get(doc, "RUNDIR"), "/run/opendkim");
	assert_string_equal(conf_get(doc, "EXTRAAFTER"), "");
	assert_null(conf_get(doc, "DAEMON_OPTS"));
	conf_free(doc);

	doc = load_fixture(CONF_SHELLVARS, "shellvars.tricky");
	assert_string_equal(conf_get(doc, "RUNDIR"), "/run/opendkim");
	assert_string_equal(conf_get(doc, "DAEMON_OPTS"),
	    "-x /etc/opendkim.conf -v");
	assert_string_equal(conf_get(doc, "EXTRA"), "a \"quoted\" word");
	assert_string_equal(conf_get(doc, "EMPTY"), "");
	assert_string_equal(conf_get(doc, "USER"), "dkim");
	assert_int_equal(conf_find(doc, "USER")->lineno, 8);
	conf_free(doc);
}

/* KeyTable: first line of a key wins, '#' comments anywhere. */
static void
test_table_keytable(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_TABLE, "KeyTable");
	const struct conf_entry *e;

	(void)state;
	assert_int_equal(doc->nentries, 3);
	e = conf_find(doc, "mail._domainkey.example.org");
	assert_int_equal(e->lineno, 2);
	assert_string_equal(e->value,
	    "example.org:mail:/etc/dkimkeys/mail.private");
	assert_string_equal(conf_get(doc, "ed._domainkey.example.net"),
	    "example.net:ed:/etc/dkimkeys/example-net.private");
	assert_int_equal(conf_find(doc, "ed._domainkey.example.net")->argc,
	    2);
	conf_free(doc);
}

/* refile: SigningTable: wildcard keys in file order, tabs. */
static void
test_table_signingtable(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_TABLE, "SigningTable.refile");

	(void)state;
	assert_int_equal(doc->nentries, 3);
	assert_string_equal(doc->entries[0].key, "*@example.org");
	assert_string_equal(doc->entries[1].key, "*@example.net");
	assert_string_equal(doc->entries[1].value,
	    "ed._domainkey.example.net");
	assert_string_equal(doc->entries[2].key, "*");
	assert_string_equal(conf_get(doc, "*"), "mail._domainkey.example.org");
	conf_free(doc);
}

/* TrustedHosts: one entry a line, comments cut, case-insensitive. */
static void
test_peerlist_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_PEERLIST, "TrustedHosts");

	(void)state;
	assert_int_equal(doc->nentries, 6);
	assert_string_equal(doc->entries[3].key, "192.168.0.0/16");
	assert_string_equal(doc->entries[3].value, "192.168.0.0/16");
	assert_string_equal(doc->entries[5].key, "!10.0.0.1");
	assert_non_null(conf_find(doc, "LOCALHOST"));
	assert_non_null(conf_find(doc, "::1"));
	assert_null(conf_find(doc, "the office"));
	conf_free(doc);
}

/* The OpenBSD-guide smtpd.conf: macros, tables, dkimproxy wiring. */
static void
test_smtpd_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_SMTPD, "smtpd.conf");
	const struct conf_entry *e;
	size_t i;

	(void)state;
	assert_int_equal(doc->nentries, 17);
	assert_int_equal(doc->old_grammar_line, 0);
	e = &doc->entries[0];
	assert_true(e->is_macro);
	assert_string_equal(e->key, "ext_if");
	assert_string_equal(e->value, "em0");
	assert_string_equal(conf_get(doc, "mailhost"), "mail.example.org");
	/* A table whose braces span four lines. */
	e = &doc->entries[4];
	assert_string_equal(e->key, "table");
	assert_int_equal(e->lineno, 7);
	assert_int_equal(e->count, 4);
	assert_string_equal(e->value, "domains { example.org , example.net }");
	assert_int_equal(e->argc, 7);
	/* A backslash continuation and a quoted value with a blank. */
	e = &doc->entries[3];
	assert_int_equal(e->count, 2);
	assert_string_equal(e->argv[5], "s3cret pass");
	/* Macros expand; quotes go. */
	e = &doc->entries[5];
	assert_string_equal(e->value, "mail.example.org cert "
	    "/etc/ssl/mail.example.org.fullchain.pem");
	e = &doc->entries[7];
	assert_string_equal(e->key, "filter");
	assert_string_equal(e->argv[3], "filter-dkimsign -d example.org -s "
	    "mail -k /etc/mail/dkim/private.key");
	e = &doc->entries[8];
	assert_string_equal(e->value, "on em0 tls pki mail.example.org");
	e = &doc->entries[9];
	assert_string_equal(e->value, "on lo0 port 10028 tag DKIM");
	e = &doc->entries[11];
	assert_string_equal(e->argv[4], "<aliases>");
	e = &doc->entries[13];
	assert_string_equal(e->value,
	    "dkimproxy relay host smtp://127.0.0.1:10027");
	e = &doc->entries[15];
	assert_int_equal(e->lineno, 25);
	assert_string_equal(e->value, "tag DKIM for any action relay");
	e = &doc->entries[16];
	assert_string_equal(e->value, "for any action dkimproxy");
	/* conf_find gives the first statement with that word. */
	assert_int_equal(conf_find(doc, "listen")->lineno, 16);
	for (i = 2; i < doc->nentries; i++)
		assert_false(doc->entries[i].is_macro);
	conf_free(doc);
}

/* The old grammar is reported, not refused. */
/* The keywords of smtpd's lexer (OpenSMTPD's parse.y): a macro named
 * after one is a syntax error to smtpd. */
static void
test_smtpd_keyword(void **state)
{
	static const char *const yes[] = { "action", "admd", "hostname",
	    "helo-src", "port", "wrapper", "tls-require", "listen", NULL };
	static const char *const no[] = { "mailhost", "my_hostname", "Hostname",
	    "host_name", "ports", "", "zzz", "aaa", "mail_port", NULL };
	size_t i;

	(void)state;
	for (i = 0; yes[i] != NULL; i++)
		if (!conf_smtpd_keyword(yes[i]))
			fail_msg("%s is a keyword", yes[i]);
	for (i = 0; no[i] != NULL; i++)
		if (conf_smtpd_keyword(no[i]))
			fail_msg("%s is no keyword", no[i]);
}

static void
test_smtpd_old_grammar(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_SMTPD, "smtpd-old.conf");

	(void)state;
	assert_int_equal(doc->old_grammar_line, 4);
	assert_int_equal(doc->nentries, 5);
	assert_string_equal(doc->entries[3].value,
	    "from any for domain example.org deliver to mbox");
	conf_free(doc);
	doc = parse_ok(CONF_SMTPD, "reject from any for any\n");
	assert_int_equal(doc->old_grammar_line, 1);
	conf_free(doc);
}

/* Lexer details: comments in quotes, macros re-lexed, redefinition. */
static void
test_smtpd_lexer(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_SMTPD,
	    "a = \"x # not a comment\"\n"
	    "b=\"lo0 port 25\"\n"
	    "listen on $b # comment\n"
	    "m = one\n"
	    "m = two\n"
	    "action $m \"q\\\"uote\" 'single' \"$m\"\n"
	    "match !from src <t1> action \\\n"
	    "  x\n");
	const struct conf_entry *e;

	(void)state;
	assert_string_equal(conf_get(doc, "a"), "x # not a comment");
	assert_string_equal(conf_get(doc, "b"), "lo0 port 25");
	e = &doc->entries[2];
	assert_int_equal(e->argc, 5);
	assert_string_equal(e->value, "on lo0 port 25");
	assert_string_equal(conf_get(doc, "m"), "two");
	assert_int_equal(conf_find(doc, "m")->lineno, 5);
	e = &doc->entries[5];
	assert_string_equal(e->value, "two q\"uote single $m");
	e = &doc->entries[6];
	assert_int_equal(e->count, 2);
	assert_string_equal(e->argv[1], "!");
	assert_string_equal(e->argv[4], "<t1>");
	assert_string_equal(e->argv[6], "x");
	conf_free(doc);
}

/* dkimproxy: the first definition wins, signature lines all kept. */
static void
test_dkimproxy_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_DKIMPROXY,
	    "dkimproxy_out.conf");
	size_t i, n = 0;

	(void)state;
	assert_int_equal(doc->nentries, 8);
	assert_string_equal(conf_get(doc, "listen"), "127.0.0.1:10027");
	assert_string_equal(conf_get(doc, "relay"), "127.0.0.1:10028");
	assert_string_equal(conf_get(doc, "domain"), "example.org,example.net");
	assert_int_equal(conf_find(doc, "domain")->lineno, 8);
	assert_string_equal(conf_get(doc, "signature"), "dkim(c=relaxed)");
	for (i = 0; i < doc->nentries; i++)
		if (strcmp(doc->entries[i].key, "signature") == 0)
			n++;
	assert_int_equal(n, 2);
	assert_string_equal(conf_get(doc, "selector"), "selector1");
	conf_free(doc);
}

/* notspam.conf: key = value, blanks optional, the last wins. */
static void
test_settings_entries(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_SETTINGS, "notspam.conf");

	(void)state;
	assert_int_equal(doc->nentries, 4);
	assert_string_equal(conf_get(doc, "mta"), "opensmtpd");
	assert_string_equal(conf_get(doc, "signer"), "opendkim");
	assert_string_equal(conf_get(doc, "selector"), "mail");
	conf_free(doc);
}

/* conf_where names the path and the first line. */
static void
test_where(void **state)
{
	struct conf_doc *doc;
	char *cause = NULL, *w;

	(void)state;
	doc = conf_parse(CONF_POSTFIX_MAIN, "/etc/postfix/main.cf",
	    "# c\n\na = b\n  c\n", 14, &cause);
	assert_non_null(doc);
	w = conf_where(doc, conf_find(doc, "a"));
	assert_string_equal(w, "/etc/postfix/main.cf:3");
	assert_string_equal(conf_get(doc, "a"), "b c");
	free(w);
	conf_free(doc);
}

/* A NUL byte is refused with its line, in every grammar. */
static void
test_err_nul(void **state)
{
	static const char data[] = "a = b\nc = d\ne\0f\n";
	enum conf_grammar g;
	char *msg;

	(void)state;
	for (g = CONF_POSTFIX_MAIN; g <= CONF_SHELLVARS; g++) {
		msg = parse_err(g, data, sizeof data - 1);
		assert_string_equal(msg,
		    "t.conf:3: contains a NUL byte (binary file?)");
		free(msg);
	}
}

/* main.cf: a line without '=' (a continuation missing its blank). */
static void
test_err_main_no_equals(void **state)
{
	char *msg;

	(void)state;
	msg = parse_err_s(CONF_POSTFIX_MAIN,
	    "smtpd_milters = inet:127.0.0.1:8891,\n"
	    "unix:/run/opendkim/opendkim.sock\n");
	assert_msg(msg, "t.conf:2: expected \"name = value\" (a line that "
	    "continues the previous one must start with a space or tab)",
	    "unix:/run/opendkim/opendkim.sock", NULL);
	free(msg);
	msg = parse_err_s(CONF_POSTFIX_MAIN, "my name = x\n");
	assert_msg(msg, "t.conf:1: ", "not a valid parameter name", NULL);
	free(msg);
}

/* main.cf: a continuation line with nothing before it. */
static void
test_err_main_leading_continuation(void **state)
{
	char *msg;

	(void)state;
	msg = parse_err_s(CONF_POSTFIX_MAIN, "# c\n\n  biff = no\n");
	assert_msg(msg, "t.conf:3: ", "continues the previous line",
	    "remove the leading blanks", NULL);
	free(msg);
}

/* master.cf: an entry with 5 fields, an unclosed brace. */
static void
test_err_master(void **state)
{
	char *msg;

	(void)state;
	msg = parse_err_s(CONF_POSTFIX_MASTER,
	    "# x\nsmtp inet n - y\n");
	assert_msg(msg, "t.conf:2: a master.cf entry needs 8 fields",
	    "has 5", "smtp inet n - y", NULL);
	free(msg);
	msg = parse_err_s(CONF_POSTFIX_MASTER,
	    "smtp inet n - y - - smtpd\n  -o { a = b\n");
	assert_msg(msg, "t.conf:1: missing '}'", NULL);
	free(msg);
	msg = parse_err_s(CONF_POSTFIX_MASTER,
	    "smtp inet n - y - - smtpd -o {a=b}c\n");
	assert_msg(msg, "t.conf:1: text after '}'", NULL);
	free(msg);
}

/* smtpd.conf: unterminated quote, undefined macro, unclosed brace. */
static void
test_err_smtpd(void **state)
{
	char *msg;
	const char *s;

	(void)state;
	s = "listen on lo0\naction \"relay relay\n\nmatch for any\n";
	msg = parse_err(CONF_SMTPD, s, strlen(s));
	assert_msg(msg, "t.conf:2: unterminated quoted string", NULL);
	free(msg);
	s = "# x\nlisten on $ext_if\next_if = em0\n";
	msg = parse_err(CONF_SMTPD, s, strlen(s));
	assert_msg(msg, "t.conf:2: macro \"$ext_if\" is not defined", NULL);
	free(msg);
	s = "table t {\n a,\n b\n";
	msg = parse_err(CONF_SMTPD, s, strlen(s));
	assert_msg(msg, "t.conf:1: missing '}'", NULL);
	free(msg);
	s = "x = a b\n";
	msg = parse_err(CONF_SMTPD, s, strlen(s));
	assert_msg(msg, "t.conf:1: macro x needs exactly one value", NULL);
	free(msg);
}

/* settings and shellvars: lines of the wrong shape. */
static void
test_err_settings_shellvars(void **state)
{
	char *msg;

	(void)state;
	msg = parse_err_s(CONF_SETTINGS, "mta = postfix\nsigner opendkim\n");
	assert_msg(msg, "t.conf:2: expected \"key = value\"", NULL);
	free(msg);
	msg = parse_err_s(CONF_SHELLVARS, "A=1\nif [ -f x ]; then\n");
	assert_msg(msg, "t.conf:2: expected NAME=value", NULL);
	free(msg);
	msg = parse_err_s(CONF_SHELLVARS, "A=\"open\n");
	assert_msg(msg, "t.conf:1: unterminated quote", NULL);
	free(msg);
	msg = parse_err_s(CONF_SHELLVARS, "A=one two\n");
	assert_msg(msg, "t.conf:1: expected NAME=value", NULL);
	free(msg);
}

/* Quoted input in messages is sanitized and capped. */
static void
test_err_sanitized(void **state)
{
	char data[300], *msg;

	(void)state;
	memset(data, 'x', sizeof data);
	memcpy(data, "\x1b[31mred\x07", 9);
	data[sizeof data - 1] = '\n';
	msg = parse_err(CONF_POSTFIX_MAIN, data, sizeof data);
	assert_msg(msg, "t.conf:1: ", "\\x1b[31mred\\x07", "...", NULL);
	assert_null(strchr(msg, '\x1b'));
	assert_null(strchr(msg, '\x07'));
	assert_true(strlen(msg) < 250);
	free(msg);
}

/* Random bytes (fixed seed): a message with path:line, or a round trip. */
static void
test_binary_garbage(void **state)
{
	enum conf_grammar g;
	struct conf_doc *doc;
	char *data, *cause;
	size_t len, i;
	int round;

	(void)state;
	srandom(20240601);
	data = malloc(4096);
	assert_non_null(data);
	for (round = 0; round < 200; round++) {
		len = (size_t)(random() % 4096);
		for (i = 0; i < len; i++) {
			data[i] = (char)(random() & 0xff);
			/* Mostly text-like now and then, to get further. */
			if (round % 2 && data[i] == '\0')
				data[i] = '\n';
		}
		for (g = CONF_POSTFIX_MAIN; g <= CONF_SHELLVARS; g++) {
			cause = NULL;
			doc = conf_parse(g, "bin", data, len, &cause);
			if (doc == NULL) {
				assert_non_null(cause);
				assert_true(strncmp(cause, "bin:", 4) == 0);
				free(cause);
				continue;
			}
			assert_text(doc, data, len);
			conf_free(doc);
		}
	}
	free(data);
}

/* A temporary directory for conf_load tests; caller frees. */
static char *
make_tmpdir(void)
{
	char *dir = strdup("/tmp/test_conf.XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

/* conf_load refuses a 50 MB file (fsroot_read's limit). */
static void
test_load_huge(void **state)
{
	char *dir = make_tmpdir(), *path, *cause = NULL;
	struct conf_doc *doc;
	int fd;

	(void)state;
	if (asprintf(&path, "%s/main.cf", dir) == -1)
		fail();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 50L * 1024 * 1024), 0);
	close(fd);
	doc = conf_load(NULL, CONF_POSTFIX_MAIN, path, &cause);
	assert_null(doc);
	assert_msg(cause, path, "limit", NULL);
	free(cause);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* conf_load: a directory, a missing file. */
static void
test_load_errors(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_null(conf_load(NULL, CONF_POSTFIX_MAIN, "tests/fixtures/conf",
	    &cause));
	assert_msg(cause, "tests/fixtures/conf", "directory", NULL);
	free(cause);
	cause = NULL;
	assert_null(conf_load(NULL, CONF_OPENDKIM, "/nonexistent/opendkim.conf",
	    &cause));
	assert_msg(cause, "/nonexistent/opendkim.conf", "no such file", NULL);
	free(cause);
}

/* conf_load under a root: messages name the site path. */
static void
test_load_root(void **state)
{
	char *dir = make_tmpdir(), *sub = NULL, *file = NULL, *cause = NULL;
	struct conf_doc *doc;
	FILE *f;

	(void)state;
	if (asprintf(&sub, "%s/etc", dir) == -1 ||
	    asprintf(&file, "%s/etc/main.cf", dir) == -1)
		fail();
	assert_int_equal(mkdir(sub, 0700), 0);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("biff = no\nbad line\n", f);
	fclose(f);
	doc = conf_load(dir, CONF_POSTFIX_MAIN, "/etc/main.cf", &cause);
	assert_null(doc);
	assert_msg(cause, "/etc/main.cf:2: expected", NULL);
	assert_null(strstr(cause, dir));
	free(cause);
	f = fopen(file, "w");
	fputs("biff = no\n", f);
	fclose(f);
	doc = conf_load(dir, CONF_POSTFIX_MAIN, "/etc/main.cf", &cause);
	assert_non_null(doc);
	assert_string_equal(doc->path, "/etc/main.cf");
	assert_string_equal(conf_get(doc, "biff"), "no");
	conf_free(doc);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	free(file);
	free(sub);
	free(dir);
}

/* postconf -e: the effective entry becomes one line, comments stay. */
static void
test_set_main_continuation(void **state)
{
	static const char want[] =
	    "# notspam fixture: a main.cf with the tricky parts\n"
	    "myhostname = mail.example.org   \n"
	    "smtpd_milters = inet:127.0.0.1:8891\n"
	    "# a comment between continuation lines\n"
	    "\t\n"
	    "non_smtpd_milters = $smtpd_milters\n"
	    "milter_default_action = accept\n"
	    "milter_default_action = tempfail\n"
	    "smtpd_banner = $myhostname ESMTP # not a comment\n"
	    "\t \n"
	    "mydestination=localhost, \xc3\xbcmlaut.example\t\n";
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN, "main-tricky.cf");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "smtpd_milters", "inet:127.0.0.1:8891",
	    &cause), 0);
	assert_text(doc, want, sizeof want - 1);
	assert_string_equal(conf_get(doc, "smtpd_milters"),
	    "inet:127.0.0.1:8891");
	assert_int_equal(conf_find(doc, "smtpd_milters")->count, 1);
	assert_int_equal(conf_find(doc, "non_smtpd_milters")->lineno, 6);
	conf_free(doc);
}

/* Only the last of duplicate definitions changes. */
static void
test_set_main_duplicate(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_POSTFIX_MAIN,
	    "a = 1\nb = 2\na = 3\n  more\nc = 4\n");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "a", "5", &cause), 0);
	assert_text_s(doc, "a = 1\nb = 2\na = 5\nc = 4\n");
	assert_int_equal(conf_set(doc, "b", "", &cause), 0);
	assert_text_s(doc, "a = 1\nb =\na = 5\nc = 4\n");
	conf_free(doc);
}

/* A new key goes at the end; a missing final newline is added first. */
static void
test_set_main_append_nofinal(void **state)
{
	static const char want[] = "# no final newline\nbiff = no\n"
	    "myhostname = last.example.org\n"
	    "smtpd_milters = inet:localhost:8891\n";
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN,
	    "main-nofinal.cf");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "smtpd_milters", "inet:localhost:8891",
	    &cause), 0);
	assert_text(doc, want, sizeof want - 1);
	assert_int_equal(conf_find(doc, "smtpd_milters")->lineno, 4);
	conf_free(doc);
}

/* Replacing the unterminated last line keeps it unterminated. */
static void
test_set_main_replace_last(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_POSTFIX_MAIN, "a = 1\nb = 2\n c");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "b", "3", &cause), 0);
	assert_text_s(doc, "a = 1\nb = 3");
	assert_int_equal(conf_unset(doc, "b"), 1);
	assert_text_s(doc, "a = 1");
	conf_free(doc);
}

/* A CRLF file gets CRLF lines. */
static void
test_set_main_crlf(void **state)
{
	static const char want[] = "# CRLF main.cf\r\n"
	    "myhostname = crlf.example.org\r\n"
	    "smtpd_milters = unix:/run/x.sock\r\n"
	    "\r\n"
	    "biff = no\r\n"
	    "milter_default_action = accept\r\n";
	struct conf_doc *doc = load_fixture(CONF_POSTFIX_MAIN, "main-crlf.cf");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "smtpd_milters", "unix:/run/x.sock",
	    &cause), 0);
	assert_int_equal(conf_set(doc, "milter_default_action", "accept",
	    &cause), 0);
	assert_text(doc, want, sizeof want - 1);
	conf_free(doc);
}

/* Values that cannot be written leave the document untouched. */
static void
test_set_refused(void **state)
{
	static const char orig[] = "a = 1\n# c\nb = 2\n";
	struct conf_doc *doc = parse_ok(CONF_POSTFIX_MAIN, orig);
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "a", "x\ny = z", &cause), -1);
	assert_msg(cause, "t.conf: cannot set a", "control character", NULL);
	free(cause);
	cause = NULL;
	assert_int_equal(conf_set(doc, "a", "x\001", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(conf_set(doc, "a", "  padded", &cause), -1);
	assert_msg(cause, "read back", NULL);
	free(cause);
	cause = NULL;
	assert_int_equal(conf_set(doc, "bad name", "x", &cause), -1);
	assert_msg(cause, "not a valid", NULL);
	free(cause);
	assert_text(doc, orig, sizeof orig - 1);
	assert_string_equal(conf_get(doc, "a"), "1");
	assert_int_equal(doc->nentries, 2);
	conf_free(doc);
}

/* conf_unset removes every definition and its continuation lines. */
static void
test_unset_main(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_POSTFIX_MAIN,
	    "a = 1\n  x\n# keep\n  y\nb = 2\na = 3\n");

	(void)state;
	assert_int_equal(conf_unset(doc, "a"), 2);
	assert_text_s(doc, "# keep\nb = 2\n");
	assert_null(conf_get(doc, "a"));
	assert_int_equal(conf_find(doc, "b")->lineno, 2);
	assert_int_equal(conf_unset(doc, "a"), 0);
	conf_free(doc);
}

/* opendkim.conf: the line's separator is kept; '#' refused. */
static void
test_set_opendkim(void **state)
{
	static const char want[] =
	    "Syslog\t\t\tyes\n"
	    "socket\t\t\tinet:8891@localhost\n"
	    "Socket\t\t\tinet:8892@localhost\n"
	    "KeyTable\t\trefile:/etc/opendkim/KeyTable\n"
	    "SigningTable\t\trefile:/etc/opendkim/SigningTable\n";
	struct conf_doc *doc = parse_ok(CONF_OPENDKIM,
	    "Syslog\t\t\tyes\n"
	    "socket\t\t\tinet:8891@localhost\n"
	    "Socket\t\t\tlocal:/run/opendkim/opendkim.sock\n");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "SOCKET", "inet:8892@localhost",
	    &cause), 0);
	assert_int_equal(conf_set(doc, "KeyTable",
	    "refile:/etc/opendkim/KeyTable", &cause), 0);
	assert_int_equal(conf_set(doc, "SigningTable",
	    "refile:/etc/opendkim/SigningTable", &cause), 0);
	assert_text(doc, want, sizeof want - 1);
	assert_int_equal(conf_set(doc, "Socket", "inet:1#2", &cause), -1);
	assert_msg(cause, "'#'", NULL);
	free(cause);
	cause = NULL;
	assert_int_equal(conf_set(doc, "Mode", "", &cause), -1);
	free(cause);
	assert_text(doc, want, sizeof want - 1);
	assert_int_equal(conf_unset(doc, "socket"), 2);
	assert_null(conf_get(doc, "Socket"));
	conf_free(doc);
}

/* dkimproxy: "option value" with the file's spacing. */
static void
test_set_dkimproxy(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_DKIMPROXY,
	    "dkimproxy_out.conf");
	char *text, *p;
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "selector", "mail2025", &cause), 0);
	assert_int_equal(conf_set(doc, "sender_map", "/etc/dkimproxy/map",
	    &cause), 0);
	text = conf_text(doc, NULL);
	assert_non_null(strstr(text, "\nselector  mail2025\n"));
	p = strstr(text, "domain    ignored.example\nsender_map "
	    "/etc/dkimproxy/map\n");
	assert_non_null(p);
	free(text);
	/* The first domain line is the effective one. */
	assert_int_equal(conf_set(doc, "domain", "example.com", &cause), 0);
	assert_string_equal(doc->entries[2].value, "example.com");
	assert_string_equal(conf_get(doc, "domain"), "example.com");
	conf_free(doc);
}

/* Shell variables: quoted when needed, "$NAME" kept. */
static void
test_set_shellvars(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_SHELLVARS,
	    "export RUNDIR=/tmp\nSOCKET=x\n");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "RUNDIR", "/run/opendkim", &cause), 0);
	assert_int_equal(conf_set(doc, "SOCKET", "local:$RUNDIR/opendkim.sock",
	    &cause), 0);
	assert_int_equal(conf_set(doc, "DAEMON_OPTS", "-x a \"b\" $(c) `d`",
	    &cause), 0);
	assert_text_s(doc, "export RUNDIR=/run/opendkim\n"
	    "SOCKET=local:$RUNDIR/opendkim.sock\n"
	    "DAEMON_OPTS=\"-x a \\\"b\\\" \\$(c) \\`d\\`\"\n");
	assert_string_equal(conf_get(doc, "DAEMON_OPTS"), "-x a \"b\" $(c) `d`");
	assert_int_equal(conf_set(doc, "1BAD", "x", &cause), -1);
	free(cause);
	conf_free(doc);
}

/* notspam.conf settings. */
static void
test_set_settings(void **state)
{
	struct conf_doc *doc = load_fixture(CONF_SETTINGS, "notspam.conf");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_set(doc, "mta", "postfix", &cause), 0);
	assert_int_equal(conf_set(doc, "domain", "example.org", &cause), 0);
	assert_text_s(doc, "# notspam settings\nmta = postfix\nsigner=opendkim\n"
	    "  selector = mail   \nmta = postfix\ndomain = example.org\n");
	conf_free(doc);
}

/* Grammars without key = value semantics refuse conf_set. */
static void
test_set_unsupported(void **state)
{
	struct conf_doc *doc;
	char *cause = NULL, *text;
	size_t len;

	(void)state;
	doc = load_fixture(CONF_POSTFIX_MASTER, "master-tricky.cf");
	assert_int_equal(conf_set(doc, "smtp/inet", "x", &cause), -1);
	assert_msg(cause, "not supported yet", NULL);
	free(cause);
	conf_free(doc);
	doc = load_fixture(CONF_SMTPD, "smtpd.conf");
	cause = NULL;
	assert_int_equal(conf_set(doc, "listen", "on lo0", &cause), -1);
	assert_msg(cause, "not supported yet", NULL);
	free(cause);
	/* Removing a macro still in use would break the file: refused. */
	text = conf_text(doc, &len);
	assert_int_equal(conf_unset(doc, "mailhost"), -1);
	assert_text(doc, text, len);
	free(text);
	conf_free(doc);
}

/* conf_unset on a table and on master.cf. */
static void
test_unset_table_master(void **state)
{
	struct conf_doc *doc;

	(void)state;
	doc = load_fixture(CONF_TABLE, "KeyTable");
	assert_int_equal(conf_unset(doc, "mail._domainkey.example.org"), 2);
	assert_int_equal(doc->nentries, 1);
	assert_int_equal(doc->nlines, 2);
	conf_free(doc);
	doc = parse_ok(CONF_POSTFIX_MASTER,
	    "a unix - - n - - smtp\n  -o x=1\n#c\n  -o y=2\n"
	    "b unix - - n - - smtp\n");
	assert_int_equal(conf_unset(doc, "a/unix"), 1);
	assert_text_s(doc, "#c\nb unix - - n - - smtp\n");
	conf_free(doc);
}

/*
 * Growth.  The allocations a parse makes are counted through ASan's
 * malloc hook (every malloc, calloc and realloc, whose size is counted in
 * full: ASan's realloc always allocates anew), so an array that grows by
 * one element at a time shows as bytes growing with the square of the
 * input.  Documents of n and 2n statements must cost at most about twice
 * as many allocations and bytes.
 */
int __sanitizer_install_malloc_and_free_hooks(
    void (*)(const volatile void *, size_t), void (*)(const volatile void *));

static int	growth_counting;
static size_t	growth_allocs, growth_bytes;

static void
growth_malloc_hook(const volatile void *p, size_t size)
{
	(void)p;
	if (growth_counting) {
		growth_allocs++;
		growth_bytes += size;
	}
}

static void
growth_free_hook(const volatile void *p)
{
	(void)p;
}

/* The kinds of large documents measured. */
enum growth_kind {
	GROWTH_MAIN,		/* n "name = value" lines */
	GROWTH_CONTINUED,	/* one parameter on n continuation lines */
	GROWTH_ONE_LINE,	/* one parameter of n words on one line */
	GROWTH_MASTER,		/* n services with an -o line each */
	GROWTH_SMTPD,		/* n macros, then n statements using them */
	GROWTH_OPENDKIM,	/* n "Key value" lines */
	GROWTH_TABLE,		/* n table lines */
};

static const struct {
	enum growth_kind	kind;
	enum conf_grammar	g;
	const char		*name;
} growth_kinds[] = {
	{ GROWTH_MAIN, CONF_POSTFIX_MAIN, "main.cf lines" },
	{ GROWTH_CONTINUED, CONF_POSTFIX_MAIN, "main.cf continuation lines" },
	{ GROWTH_ONE_LINE, CONF_POSTFIX_MAIN, "words on one main.cf line" },
	{ GROWTH_MASTER, CONF_POSTFIX_MASTER, "master.cf services" },
	{ GROWTH_SMTPD, CONF_SMTPD, "smtpd.conf macros and uses" },
	{ GROWTH_OPENDKIM, CONF_OPENDKIM, "opendkim.conf lines" },
	{ GROWTH_TABLE, CONF_TABLE, "KeyTable lines" },
};

/* A document of kind k with n statements (or lines, or words). */
static void
growth_text(enum growth_kind k, size_t n, struct buf *b)
{
	size_t i;

	buf_init(b);
	buf_add(b, "", 0);
	if (k == GROWTH_CONTINUED)
		buf_adds(b, "virtual_alias_domains =\n");
	if (k == GROWTH_ONE_LINE)
		buf_adds(b, "virtual_alias_domains =");
	for (i = 0; i < n; i++) {
		switch (k) {
		case GROWTH_MAIN:
			buf_printf(b, "parameter_%zu = value %zu\n", i, i);
			break;
		case GROWTH_CONTINUED:
			buf_printf(b, "  d%zu.example,\n", i);
			break;
		case GROWTH_ONE_LINE:
			buf_printf(b, " d%zu.example", i);
			break;
		case GROWTH_MASTER:
			buf_printf(b, "s%zu unix - - n - - smtp\n  -o a=%zu\n",
			    i, i);
			break;
		case GROWTH_SMTPD:
			buf_printf(b, "m%zu = \"lo%zu\"\n", i, i);
			break;
		case GROWTH_OPENDKIM:
			buf_printf(b, "Key%zu\tvalue %zu\n", i, i);
			break;
		case GROWTH_TABLE:
			buf_printf(b, "s%zu._domainkey.example.org example.org:"
			    "s%zu:/k/%zu\n", i, i, i);
			break;
		}
	}
	for (i = 0; k == GROWTH_SMTPD && i < n; i++)
		buf_printf(b, "listen on $m%zu port %zu\n", i, i);
	if (k == GROWTH_ONE_LINE)
		buf_adds(b, "\n");
}

/* Parse kind k with n statements; the allocations it made. */
static void
growth_measure(size_t kind, size_t n, size_t *allocs, size_t *bytes)
{
	struct conf_doc *doc;
	struct buf b;
	char *cause = NULL;

	growth_text(growth_kinds[kind].kind, n, &b);
	growth_allocs = growth_bytes = 0;
	growth_counting = 1;
	doc = conf_parse(growth_kinds[kind].g, "big", b.data, b.len, &cause);
	growth_counting = 0;
	if (doc == NULL)
		fail_msg("%s", cause);
	*allocs = growth_allocs;
	*bytes = growth_bytes;
	assert_text(doc, b.data, b.len);
	conf_free(doc);
	buf_free(&b);
}

/* Parsing grows linearly: 2n statements cost about twice n's. */
static void
test_growth_linear(void **state)
{
	static int installed;
	size_t k, n = 3000, a1, b1, a2, b2;

	(void)state;
#ifndef __SANITIZE_ADDRESS__
	skip();
#endif
	if (!installed) {
		__sanitizer_install_malloc_and_free_hooks(growth_malloc_hook,
		    growth_free_hook);
		installed = 1;
	}
	for (k = 0; k < sizeof growth_kinds / sizeof growth_kinds[0]; k++) {
		growth_measure(k, n, &a1, &b1);
		growth_measure(k, 2 * n, &a2, &b2);
		printf("# growth: %s: %zu: %zu allocations, %zu bytes; %zu: "
		    "%zu allocations, %zu bytes\n", growth_kinds[k].name, n, a1,
		    b1, 2 * n, a2, b2);
		assert_true(a1 >= n);
		if (a2 > 2 * a1 + a1 / 10 || b2 > 2 * b1 + b1 / 4)
			fail_msg("%s: not linear: %zu -> %zu allocations, %zu "
			    "-> %zu bytes", growth_kinds[k].name, a1, a2, b1,
			    b2);
	}
}

/* The 7.9 MB main.cf of 464,000 lines the issue measured: parsed,
 * looked up key by key and edited (under ASan in a few seconds). */
static void
test_growth_464k(void **state)
{
	struct conf_doc *doc;
	const struct conf_entry *e;
	struct buf b;
	char *cause = NULL, key[32], *text;
	size_t i, n = 464000, len;

	(void)state;
	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_printf(&b, "p%06zu = v%06zu\n", i, i);
	doc = conf_parse(CONF_POSTFIX_MAIN, "main.cf", b.data, b.len, &cause);
	assert_non_null(doc);
	assert_int_equal(doc->nlines, n);
	assert_int_equal(doc->nentries, n);
	assert_text(doc, b.data, b.len);
	/* Every key: an index, not a scan of 464,000 entries a lookup. */
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "p%06zu", i);
		e = conf_find(doc, key);
		assert_non_null(e);
		assert_int_equal(e - doc->entries, i);
	}
	assert_int_equal(conf_set(doc, "p231999", "edited", &cause), 0);
	assert_int_equal(conf_set(doc, "new_key", "x", &cause), 0);
	assert_string_equal(conf_get(doc, "p231999"), "edited");
	assert_int_equal(doc->nentries, n + 1);
	text = conf_text(doc, &len);
	assert_int_equal(len, b.len + strlen("new_key = x\n") -
	    strlen("v231999") + strlen("edited"));
	free(text);
	conf_free(doc);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rt_main_debian),
		cmocka_unit_test(test_rt_main_dist),
		cmocka_unit_test(test_rt_master_dist),
		cmocka_unit_test(test_rt_opendkim_debian),
		cmocka_unit_test(test_rt_default_opendkim),
		cmocka_unit_test(test_rt_handmade),
		cmocka_unit_test(test_rt_line_endings),
		cmocka_unit_test(test_rt_empty),
		cmocka_unit_test(test_rt_long_line),
		cmocka_unit_test(test_rt_utf8),
		cmocka_unit_test(test_main_debian_entries),
		cmocka_unit_test(test_main_dist_entries),
		cmocka_unit_test(test_main_tricky_entries),
		cmocka_unit_test(test_main_crlf_entries),
		cmocka_unit_test(test_master_dist_entries),
		cmocka_unit_test(test_master_tricky_entries),
		cmocka_unit_test(test_master_option_forms),
		cmocka_unit_test(test_opendkim_debian_entries),
		cmocka_unit_test(test_opendkim_tricky_entries),
		cmocka_unit_test(test_shellvars_entries),
		cmocka_unit_test(test_table_keytable),
		cmocka_unit_test(test_table_signingtable),
		cmocka_unit_test(test_peerlist_entries),
		cmocka_unit_test(test_smtpd_entries),
		cmocka_unit_test(test_smtpd_old_grammar),
		cmocka_unit_test(test_smtpd_keyword),
		cmocka_unit_test(test_smtpd_lexer),
		cmocka_unit_test(test_dkimproxy_entries),
		cmocka_unit_test(test_settings_entries),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_err_nul),
		cmocka_unit_test(test_err_main_no_equals),
		cmocka_unit_test(test_err_main_leading_continuation),
		cmocka_unit_test(test_err_master),
		cmocka_unit_test(test_err_smtpd),
		cmocka_unit_test(test_err_settings_shellvars),
		cmocka_unit_test(test_err_sanitized),
		cmocka_unit_test(test_binary_garbage),
		cmocka_unit_test(test_load_huge),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_root),
		cmocka_unit_test(test_set_main_continuation),
		cmocka_unit_test(test_set_main_duplicate),
		cmocka_unit_test(test_set_main_append_nofinal),
		cmocka_unit_test(test_set_main_replace_last),
		cmocka_unit_test(test_set_main_crlf),
		cmocka_unit_test(test_set_refused),
		cmocka_unit_test(test_unset_main),
		cmocka_unit_test(test_set_opendkim),
		cmocka_unit_test(test_set_dkimproxy),
		cmocka_unit_test(test_set_shellvars),
		cmocka_unit_test(test_set_settings),
		cmocka_unit_test(test_set_unsupported),
		cmocka_unit_test(test_unset_table_master),
		cmocka_unit_test(test_growth_linear),
		cmocka_unit_test(test_growth_464k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
