/* test_confedit.c: edits of the core/conf documents, for every grammar.
 *
 * Every edit is checked three ways: the exact bytes of the result, that a
 * fresh parse of those bytes gives the same entries as the edited model,
 * and, for the edits that must be refused, that the document did not
 * change.  Each grammar's edits run on the file as written (LF), as CRLF,
 * without final newline, and as CRLF without final newline.
 */
#include "testutil.h"

#include "core/conf/conf.h"

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

/* Load a fixture or fail the test. */
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

static void
assert_same_words(char **a, int na, char **b, int nb)
{
	int i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
	assert_null(a[na]);
	assert_null(b[nb]);
}

/* The edited model must be what a fresh parse of its text gives. */
static void
assert_consistent(const struct conf_doc *doc)
{
	const struct conf_entry *e, *f;
	struct conf_doc *re;
	char *text, *cause = NULL;
	size_t len, i;

	text = conf_text(doc, &len);
	re = conf_parse(doc->grammar, doc->path, text, len, &cause);
	if (re == NULL)
		fail_msg("edited text does not parse: %s", cause);
	assert_int_equal(re->nlines, doc->nlines);
	assert_int_equal(re->nentries, doc->nentries);
	for (i = 0; i < doc->nentries; i++) {
		e = &doc->entries[i];
		f = &re->entries[i];
		assert_int_equal(e->lineno, f->lineno);
		assert_int_equal(e->first, f->first);
		assert_int_equal(e->count, f->count);
		assert_int_equal(e->is_macro, f->is_macro);
		assert_string_equal(e->key, f->key);
		assert_string_equal(e->value, f->value);
		assert_string_equal(e->raw_value, f->raw_value);
		assert_same_words(e->argv, e->argc, f->argv, f->argc);
		assert_same_words(e->raw_argv, e->raw_argc, f->raw_argv,
		    f->raw_argc);
		assert_int_equal(e->spans == NULL, f->spans == NULL);
		if (e->spans != NULL)
			assert_memory_equal(e->spans, f->spans,
			    (size_t)e->raw_argc * sizeof *e->spans);
		assert_true(conf_find(doc, e->key) - doc->entries ==
		    conf_find(re, e->key) - re->entries);
	}
	conf_free(re);
	free(text);
}

/* conf_text(doc) must be want; the model must be consistent. */
static void
assert_text(const struct conf_doc *doc, const char *want)
{
	size_t len;
	char *got = conf_text(doc, &len);

	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("text differs:\n--- got\n%s\n--- want\n%s", got, want);
	free(got);
	assert_consistent(doc);
}

/* s with every "\n" made "\r\n"; caller frees. */
static char *
crlf(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;

	assert_non_null(out);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			*p++ = '\r';
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

/* s without its last line ending (in place); returns s. */
static char *
nofinal(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n > 0 && s[n - 1] == '\r')
		s[--n] = '\0';
	return s;
}

/* One grammar's edits on entry idx of base and what each must give. */
struct edit_case {
	enum conf_grammar	 g;
	const char		*base;
	size_t			 idx;
	const char		*set, *want_set;
	const char		*akey, *aval, *want_append;
	const char		*want_delete;
	const char		*want_comment;
	const char		*ins, *want_before, *want_end;
	const char		*rep, *want_replace;
};

enum edit_op {
	OP_SET, OP_APPEND, OP_DELETE, OP_COMMENT, OP_BEFORE, OP_END,
	OP_REPLACE, OP_COUNT
};

/* Run op on a fresh parse of base; returns the document. */
static struct conf_doc *
edit_run(const struct edit_case *c, enum edit_op op, const char *base)
{
	struct conf_doc *doc = parse_ok(c->g, base);
	const struct conf_entry *e = &doc->entries[c->idx];
	char *cause = NULL;
	int rc = -1;

	switch (op) {
	case OP_SET:
		rc = conf_set_entry(doc, e, c->set, &cause);
		break;
	case OP_APPEND:
		rc = conf_append(doc, c->akey, c->aval, &cause);
		break;
	case OP_DELETE:
		rc = conf_delete(doc, e, &cause);
		break;
	case OP_COMMENT:
		rc = conf_comment_out(doc, e, &cause);
		break;
	case OP_BEFORE:
		rc = conf_insert(doc, e, 1, c->ins, &cause);
		break;
	case OP_END:
		rc = conf_insert(doc, &doc->entries[doc->nentries - 1], 0,
		    c->ins, &cause);
		break;
	case OP_REPLACE:
		rc = conf_replace(doc, e, c->rep, &cause);
		break;
	case OP_COUNT:
		break;
	}
	if (rc != 0)
		fail_msg("op %d on grammar %d: %s", (int)op, (int)c->g, cause);
	return doc;
}

/* The expected text of op in a variant (CRLF, no final newline). */
static char *
edit_want(const struct edit_case *c, enum edit_op op, int cr, int nf)
{
	const char *w[OP_COUNT] = { c->want_set, c->want_append,
	    c->want_delete, c->want_comment, c->want_before, c->want_end,
	    c->want_replace };
	char *s = cr ? crlf(w[op]) : strdup(w[op]);

	/* Adding after the last line gives the file its final newline. */
	if (nf && op != OP_APPEND && op != OP_END)
		nofinal(s);
	return s;
}

/* Every edit of c, in the four line-ending variants. */
static void
edit_case_run(const struct edit_case *c)
{
	struct conf_doc *doc;
	char *base, *want;
	int v, op;

	for (v = 0; v < 4; v++) {
		base = v & 1 ? crlf(c->base) : strdup(c->base);
		if (v & 2)
			nofinal(base);
		for (op = 0; op < OP_COUNT; op++) {
			doc = edit_run(c, (enum edit_op)op, base);
			want = edit_want(c, (enum edit_op)op, v & 1, v & 2);
			assert_text(doc, want);
			free(want);
			conf_free(doc);
		}
		free(base);
	}
}

static void
test_edit_main(void **state)
{
	static const struct edit_case c = {
		.g = CONF_POSTFIX_MAIN,
		.base = "# main\nmyhostname = a.example\n"
		    "smtpd_milters = inet:127.0.0.1:8891\n# between\n"
		    "  inet:127.0.0.1:8892\nbiff = no\n",
		.idx = 1,
		.set = "unix:/run/x.sock",
		.want_set = "# main\nmyhostname = a.example\n"
		    "smtpd_milters = unix:/run/x.sock\n# between\nbiff = no\n",
		.akey = "milter_default_action", .aval = "accept",
		.want_append = "# main\nmyhostname = a.example\n"
		    "smtpd_milters = inet:127.0.0.1:8891\n# between\n"
		    "  inet:127.0.0.1:8892\nbiff = no\n"
		    "milter_default_action = accept\n",
		.want_delete = "# main\nmyhostname = a.example\n# between\n"
		    "biff = no\n",
		.want_comment = "# main\nmyhostname = a.example\n"
		    "#smtpd_milters = inet:127.0.0.1:8891\n# between\n"
		    "#  inet:127.0.0.1:8892\nbiff = no\n",
		.ins = "non_smtpd_milters = $smtpd_milters\n  $other",
		.want_before = "# main\nmyhostname = a.example\n"
		    "non_smtpd_milters = $smtpd_milters\n  $other\n"
		    "smtpd_milters = inet:127.0.0.1:8891\n# between\n"
		    "  inet:127.0.0.1:8892\nbiff = no\n",
		.want_end = "# main\nmyhostname = a.example\n"
		    "smtpd_milters = inet:127.0.0.1:8891\n# between\n"
		    "  inet:127.0.0.1:8892\nbiff = no\n"
		    "non_smtpd_milters = $smtpd_milters\n  $other\n",
		.rep = "smtpd_milters = inet:[::1]:8891",
		.want_replace = "# main\nmyhostname = a.example\n"
		    "smtpd_milters = inet:[::1]:8891\n# between\nbiff = no\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_master(void **state)
{
	static const struct edit_case c = {
		.g = CONF_POSTFIX_MASTER,
		.base = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "submission inet n       -       y       -       -       smtpd\n"
		    "  -o syslog_name=postfix/submission\n"
		    "pickup    unix  n       -       y       60      1       pickup\n",
		.idx = 1,
		.set = "n       -       n       -       -       smtpd",
		.want_set = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "submission inet n       -       n       -       -       smtpd\n"
		    "pickup    unix  n       -       y       60      1       pickup\n",
		.akey = "dksign/unix", .aval = "-       -       n       -       10      smtp",
		.want_append = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "submission inet n       -       y       -       -       smtpd\n"
		    "  -o syslog_name=postfix/submission\n"
		    "pickup    unix  n       -       y       60      1       pickup\n"
		    "dksign unix -       -       n       -       10      smtp\n",
		.want_delete = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "pickup    unix  n       -       y       60      1       pickup\n",
		.want_comment = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "#submission inet n       -       y       -       -       smtpd\n"
		    "#  -o syslog_name=postfix/submission\n"
		    "pickup    unix  n       -       y       60      1       pickup\n",
		.ins = "submissions inet n - y - - smtpd\n"
		    "  -o smtpd_tls_wrappermode=yes",
		.want_before = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "submissions inet n - y - - smtpd\n"
		    "  -o smtpd_tls_wrappermode=yes\n"
		    "submission inet n       -       y       -       -       smtpd\n"
		    "  -o syslog_name=postfix/submission\n"
		    "pickup    unix  n       -       y       60      1       pickup\n",
		.want_end = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "submission inet n       -       y       -       -       smtpd\n"
		    "  -o syslog_name=postfix/submission\n"
		    "pickup    unix  n       -       y       60      1       pickup\n"
		    "submissions inet n - y - - smtpd\n"
		    "  -o smtpd_tls_wrappermode=yes\n",
		.rep = "submission inet n - y - - smtpd -o x=y",
		.want_replace = "# master\n"
		    "smtp      inet  n       -       y       -       -       smtpd\n"
		    "submission inet n - y - - smtpd -o x=y\n"
		    "pickup    unix  n       -       y       60      1       pickup\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_opendkim(void **state)
{
	static const struct edit_case c = {
		.g = CONF_OPENDKIM,
		.base = "# opendkim\nSyslog\t\t\tyes\nSocket\t\t\tinet:8891@localhost"
		    "  # the milter\nUMask\t\t\t007\n",
		.idx = 1,
		.set = "local:/run/opendkim/opendkim.sock",
		.want_set = "# opendkim\nSyslog\t\t\tyes\n"
		    "Socket\t\t\tlocal:/run/opendkim/opendkim.sock\n"
		    "UMask\t\t\t007\n",
		.akey = "KeyTable", .aval = "refile:/etc/opendkim/KeyTable",
		.want_append = "# opendkim\nSyslog\t\t\tyes\n"
		    "Socket\t\t\tinet:8891@localhost  # the milter\n"
		    "UMask\t\t\t007\nKeyTable\t\trefile:/etc/opendkim/KeyTable\n",
		.want_delete = "# opendkim\nSyslog\t\t\tyes\nUMask\t\t\t007\n",
		.want_comment = "# opendkim\nSyslog\t\t\tyes\n"
		    "#Socket\t\t\tinet:8891@localhost  # the milter\n"
		    "UMask\t\t\t007\n",
		.ins = "Mode\tsv",
		.want_before = "# opendkim\nSyslog\t\t\tyes\nMode\tsv\n"
		    "Socket\t\t\tinet:8891@localhost  # the milter\n"
		    "UMask\t\t\t007\n",
		.want_end = "# opendkim\nSyslog\t\t\tyes\n"
		    "Socket\t\t\tinet:8891@localhost  # the milter\n"
		    "UMask\t\t\t007\nMode\tsv\n",
		.rep = "Socket inet6:8891@[::1]",
		.want_replace = "# opendkim\nSyslog\t\t\tyes\n"
		    "Socket inet6:8891@[::1]\nUMask\t\t\t007\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_table(void **state)
{
	static const struct edit_case c = {
		.g = CONF_TABLE,
		.base = "# KeyTable\n"
		    "mail._domainkey.example.org example.org:mail:/k/mail.private\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n",
		.idx = 0,
		.set = "example.org:mail:/k/new.private",
		.want_set = "# KeyTable\n"
		    "mail._domainkey.example.org example.org:mail:/k/new.private\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n",
		.akey = "s2._domainkey.example.net", .aval = "example.net:s2:/k/s2",
		.want_append = "# KeyTable\n"
		    "mail._domainkey.example.org example.org:mail:/k/mail.private\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n"
		    "s2._domainkey.example.net example.net:s2:/k/s2\n",
		.want_delete = "# KeyTable\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n",
		.want_comment = "# KeyTable\n"
		    "#mail._domainkey.example.org example.org:mail:/k/mail.private\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n",
		.ins = "a._domainkey.example.com example.com:a:/k/a",
		.want_before = "# KeyTable\n"
		    "a._domainkey.example.com example.com:a:/k/a\n"
		    "mail._domainkey.example.org example.org:mail:/k/mail.private\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n",
		.want_end = "# KeyTable\n"
		    "mail._domainkey.example.org example.org:mail:/k/mail.private\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n"
		    "a._domainkey.example.com example.com:a:/k/a\n",
		.rep = "mail._domainkey.example.org\texample.org:mail:/k/m",
		.want_replace = "# KeyTable\n"
		    "mail._domainkey.example.org\texample.org:mail:/k/m\n"
		    "old._domainkey.example.org example.org:old:/k/old.private\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_peerlist(void **state)
{
	static const struct edit_case c = {
		.g = CONF_PEERLIST,
		.base = "# hosts\n127.0.0.1\n::1   # loopback\n192.0.2.0/24\n",
		.idx = 1,
		.set = "localhost",
		.want_set = "# hosts\n127.0.0.1\nlocalhost\n192.0.2.0/24\n",
		.akey = "10.0.0.0/8", .aval = NULL,
		.want_append = "# hosts\n127.0.0.1\n::1   # loopback\n"
		    "192.0.2.0/24\n10.0.0.0/8\n",
		.want_delete = "# hosts\n127.0.0.1\n192.0.2.0/24\n",
		.want_comment = "# hosts\n127.0.0.1\n#::1   # loopback\n"
		    "192.0.2.0/24\n",
		.ins = "!192.0.2.5",
		.want_before = "# hosts\n127.0.0.1\n!192.0.2.5\n::1   # loopback\n"
		    "192.0.2.0/24\n",
		.want_end = "# hosts\n127.0.0.1\n::1   # loopback\n192.0.2.0/24\n"
		    "!192.0.2.5\n",
		.rep = "::1/128",
		.want_replace = "# hosts\n127.0.0.1\n::1/128\n192.0.2.0/24\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_smtpd(void **state)
{
	static const struct edit_case c = {
		.g = CONF_SMTPD,
		.base = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "listen on $lan_addr \\\n  port 25 # mx\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n",
		.idx = 1,
		.set = "on $lan_addr port 587",
		.want_set = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "listen on $lan_addr port 587\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n",
		.akey = "match", .aval = "for local action \"relay\"",
		.want_append = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "listen on $lan_addr \\\n  port 25 # mx\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n"
		    "match for local action \"relay\"\n",
		.want_delete = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n",
		.want_comment = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "#listen on $lan_addr \\\n#  port 25 # mx\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n",
		.ins = "listen on lo0 port 10028 tag DKIM",
		.want_before = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "listen on lo0 port 10028 tag DKIM\n"
		    "listen on $lan_addr \\\n  port 25 # mx\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n",
		.want_end = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "listen on $lan_addr \\\n  port 25 # mx\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n"
		    "listen on lo0 port 10028 tag DKIM\n",
		.rep = "listen on $lan_addr port 25 filter \"dkimsign\"",
		.want_replace = "# smtpd\nlan_addr = \"192.0.2.1\"\n"
		    "listen on $lan_addr port 25 filter \"dkimsign\"\n"
		    "action \"relay\" relay\nmatch from any for any action \"relay\"\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_dkimproxy(void **state)
{
	static const struct edit_case c = {
		.g = CONF_DKIMPROXY,
		.base = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "relay     127.0.0.1:10028\ndomain    example.org\n",
		.idx = 1,
		.set = "127.0.0.1:10029",
		.want_set = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "relay     127.0.0.1:10029\ndomain    example.org\n",
		.akey = "signature", .aval = "dkim(c=relaxed)",
		.want_append = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "relay     127.0.0.1:10028\ndomain    example.org\n"
		    "signature dkim(c=relaxed)\n",
		.want_delete = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "domain    example.org\n",
		.want_comment = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "#relay     127.0.0.1:10028\ndomain    example.org\n",
		.ins = "keyfile   /etc/dkimproxy/private.key",
		.want_before = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "keyfile   /etc/dkimproxy/private.key\n"
		    "relay     127.0.0.1:10028\ndomain    example.org\n",
		.want_end = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "relay     127.0.0.1:10028\ndomain    example.org\n"
		    "keyfile   /etc/dkimproxy/private.key\n",
		.rep = "relay 127.0.0.1:25",
		.want_replace = "# dkimproxy\nlisten    127.0.0.1:10027\n"
		    "relay 127.0.0.1:25\ndomain    example.org\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_settings(void **state)
{
	static const struct edit_case c = {
		.g = CONF_SETTINGS,
		.base = "# notspam\nmta = postfix\nsigner = opendkim\n"
		    "selector = mail\n",
		.idx = 1,
		.set = "dkimproxy",
		.want_set = "# notspam\nmta = postfix\nsigner = dkimproxy\n"
		    "selector = mail\n",
		.akey = "domain", .aval = "example.org",
		.want_append = "# notspam\nmta = postfix\nsigner = opendkim\n"
		    "selector = mail\ndomain = example.org\n",
		.want_delete = "# notspam\nmta = postfix\nselector = mail\n",
		.want_comment = "# notspam\nmta = postfix\n#signer = opendkim\n"
		    "selector = mail\n",
		.ins = "public_ipv4 = 203.0.113.9",
		.want_before = "# notspam\nmta = postfix\n"
		    "public_ipv4 = 203.0.113.9\nsigner = opendkim\n"
		    "selector = mail\n",
		.want_end = "# notspam\nmta = postfix\nsigner = opendkim\n"
		    "selector = mail\npublic_ipv4 = 203.0.113.9\n",
		.rep = "signer=opendkim",
		.want_replace = "# notspam\nmta = postfix\nsigner=opendkim\n"
		    "selector = mail\n",
	};

	(void)state;
	edit_case_run(&c);
}

static void
test_edit_shellvars(void **state)
{
	static const struct edit_case c = {
		.g = CONF_SHELLVARS,
		.base = "# default\nRUNDIR=/run/opendkim\n"
		    "SOCKET=\"local:$RUNDIR/opendkim.sock\"\nUSER=opendkim\n",
		.idx = 1,
		.set = "inet:8891@localhost",
		.want_set = "# default\nRUNDIR=/run/opendkim\n"
		    "SOCKET=inet:8891@localhost\nUSER=opendkim\n",
		.akey = "PIDFILE", .aval = "$RUNDIR/$NAME.pid",
		.want_append = "# default\nRUNDIR=/run/opendkim\n"
		    "SOCKET=\"local:$RUNDIR/opendkim.sock\"\nUSER=opendkim\n"
		    "PIDFILE=$RUNDIR/$NAME.pid\n",
		.want_delete = "# default\nRUNDIR=/run/opendkim\nUSER=opendkim\n",
		.want_comment = "# default\nRUNDIR=/run/opendkim\n"
		    "#SOCKET=\"local:$RUNDIR/opendkim.sock\"\nUSER=opendkim\n",
		.ins = "export NAME=opendkim",
		.want_before = "# default\nRUNDIR=/run/opendkim\n"
		    "export NAME=opendkim\n"
		    "SOCKET=\"local:$RUNDIR/opendkim.sock\"\nUSER=opendkim\n",
		.want_end = "# default\nRUNDIR=/run/opendkim\n"
		    "SOCKET=\"local:$RUNDIR/opendkim.sock\"\nUSER=opendkim\n"
		    "export NAME=opendkim\n",
		.rep = "SOCKET='local:/run/x.sock'",
		.want_replace = "# default\nRUNDIR=/run/opendkim\n"
		    "SOCKET='local:/run/x.sock'\nUSER=opendkim\n",
	};

	(void)state;
	edit_case_run(&c);
}

/* Editing the unterminated last line keeps the file without newline;
 * deleting it too; adding after it gives it one. */
static void
test_edit_last_line(void **state)
{
	struct conf_doc *doc;
	char *cause = NULL;

	(void)state;
	doc = parse_ok(CONF_OPENDKIM, "Syslog yes\r\nMode sv");
	assert_int_equal(conf_set_entry(doc, &doc->entries[1], "s", &cause), 0);
	assert_text(doc, "Syslog yes\r\nMode s");
	assert_int_equal(conf_comment_out(doc, &doc->entries[1], &cause), 0);
	assert_text(doc, "Syslog yes\r\n#Mode s");
	assert_int_equal(conf_insert(doc, &doc->entries[0], 0, "Mode v",
	    &cause), 0);
	assert_text(doc, "Syslog yes\r\nMode v\r\n#Mode s");
	conf_free(doc);
	doc = parse_ok(CONF_SMTPD, "a = 1\nlisten on lo0");
	assert_int_equal(conf_delete(doc, &doc->entries[1], &cause), 0);
	assert_text(doc, "a = 1");
	assert_int_equal(conf_replace(doc, &doc->entries[0], "a = \"2 3\"",
	    &cause), 0);
	assert_text(doc, "a = \"2 3\"");
	assert_int_equal(conf_append(doc, "listen", "on $a", &cause), 0);
	assert_text(doc, "a = \"2 3\"\nlisten on $a\n");
	assert_string_equal(doc->entries[1].value, "on 2 3");
	assert_string_equal(doc->entries[1].raw_value, "on $a");
	conf_free(doc);
	/* An empty file and insertion at the start. */
	doc = parse_ok(CONF_TABLE, "");
	assert_int_equal(conf_insert(doc, NULL, 1, "k v", &cause), 0);
	assert_int_equal(conf_insert(doc, NULL, 1, "j w", &cause), 0);
	assert_text(doc, "j w\nk v\n");
	conf_free(doc);
}

/* A refused edit: -1, a message naming the file, the document as it was. */
static void
assert_refused(const struct conf_doc *doc, int rc, char **causep,
    const char *want)
{
	char *cause = *causep;

	if (rc != -1)
		fail_msg("edit should have been refused (%s)", want);
	assert_non_null(cause);
	assert_true(strncmp(cause, doc->path, strlen(doc->path)) == 0);
	if (want != NULL && strstr(cause, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", cause, want);
	free(cause);
	*causep = NULL;
}

/* Hostile input in every grammar: refused, nothing changed. */
static void
test_edit_refused_all(void **state)
{
	static const struct {
		enum conf_grammar	 g;
		const char		*base;
	} docs[] = {
		{ CONF_POSTFIX_MAIN, "a = 1\nb = 2\n" },
		{ CONF_POSTFIX_MASTER, "a unix - - n - - smtp\n"
		    "b unix - - n - - smtp\n" },
		{ CONF_OPENDKIM, "Mode sv\nSyslog yes\n" },
		{ CONF_TABLE, "k1 v1\nk2 v2\n" },
		{ CONF_PEERLIST, "127.0.0.1\n::1\n" },
		{ CONF_SMTPD, "m = x\nlisten on $m\n" },
		{ CONF_DKIMPROXY, "listen 127.0.0.1:1\nrelay 127.0.0.1:2\n" },
		{ CONF_SETTINGS, "mta = postfix\nsigner = opendkim\n" },
		{ CONF_SHELLVARS, "A=1\nB=2\n" },
	};
	static const char *const bad_values[] = { "x\ny", "x\001", "x\r",
	    "x\x7f" };
	static const char *const bad_texts[] = { "", " a 1", "\ta 1",
	    "# comment", "x\001y", "a 1\nb 2", "a 1\r" };
	struct conf_doc *doc;
	char *before, *after, *cause;
	size_t i, j, blen, alen;
	int rc;

	(void)state;
	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		doc = parse_ok(docs[i].g, docs[i].base);
		before = conf_text(doc, &blen);
		for (j = 0; j < sizeof bad_values / sizeof bad_values[0]; j++) {
			cause = NULL;
			rc = conf_set_entry(doc, &doc->entries[0],
			    bad_values[j], &cause);
			assert_refused(doc, rc, &cause, NULL);
			cause = NULL;
			rc = conf_append(doc, "k", bad_values[j], &cause);
			assert_refused(doc, rc, &cause, NULL);
		}
		for (j = 0; j < sizeof bad_texts / sizeof bad_texts[0]; j++) {
			cause = NULL;
			rc = conf_insert(doc, &doc->entries[0], 1,
			    bad_texts[j], &cause);
			assert_refused(doc, rc, &cause, NULL);
			cause = NULL;
			rc = conf_replace(doc, &doc->entries[1], bad_texts[j],
			    &cause);
			assert_refused(doc, rc, &cause, NULL);
		}
		cause = NULL;
		rc = conf_append(doc, "bad key", "v", &cause);
		assert_refused(doc, rc, &cause, "not a valid");
		after = conf_text(doc, &alen);
		assert_int_equal(alen, blen);
		assert_memory_equal(after, before, blen);
		assert_int_equal(doc->nentries, 2);
		assert_consistent(doc);
		free(after);
		free(before);
		conf_free(doc);
	}
}

/* Grammar-specific hostile input. */
static void
test_edit_refused_grammar(void **state)
{
	struct conf_doc *doc, *other;
	char *cause = NULL;

	(void)state;
	doc = parse_ok(CONF_OPENDKIM, "Mode sv\n");
	assert_refused(doc, conf_set_entry(doc, &doc->entries[0], "s#v",
	    &cause), &cause, "'#'");
	cause = NULL;
	assert_refused(doc, conf_insert(doc, NULL, 0, "Socket x#y", &cause),
	    &cause, "'#'");
	cause = NULL;
	/* An entry of another document. */
	other = parse_ok(CONF_OPENDKIM, "Mode sv\n");
	assert_refused(doc, conf_delete(doc, &other->entries[0], &cause),
	    &cause, "not one of this file's");
	conf_free(other);
	assert_text(doc, "Mode sv\n");
	conf_free(doc);

	doc = parse_ok(CONF_TABLE, "k v\n");
	cause = NULL;
	assert_refused(doc, conf_table_set(doc, "k", "a#b", &cause), &cause,
	    "'#'");
	cause = NULL;
	assert_refused(doc, conf_table_set(doc, "k", "", &cause), &cause,
	    "empty");
	cause = NULL;
	assert_refused(doc, conf_table_set(doc, "k#", "v", &cause), &cause,
	    "not a valid");
	assert_text(doc, "k v\n");
	conf_free(doc);

	doc = parse_ok(CONF_SMTPD, "m = x\nlisten on $m\n");
	cause = NULL;
	assert_refused(doc, conf_set_entry(doc, &doc->entries[1],
	    "on \"lo0", &cause), &cause, "quote");
	cause = NULL;
	assert_refused(doc, conf_set_entry(doc, &doc->entries[1],
	    "on lo0 # x", &cause), &cause, "comment");
	cause = NULL;
	assert_refused(doc, conf_set_entry(doc, &doc->entries[1],
	    "on lo0 \\", &cause), &cause, "backslash");
	cause = NULL;
	assert_refused(doc, conf_append(doc, "listen", "on $undefined",
	    &cause), &cause, "not defined");
	/* The macro is still used: deleting it would break the file. */
	cause = NULL;
	assert_refused(doc, conf_delete(doc, &doc->entries[0], &cause),
	    &cause, "nothing was changed");
	cause = NULL;
	assert_refused(doc, conf_comment_out(doc, &doc->entries[0], &cause),
	    &cause, "nothing was changed");
	/* Text that would close the statement early and start another. */
	cause = NULL;
	assert_refused(doc, conf_insert(doc, NULL, 0, "table t { a, b",
	    &cause), &cause, NULL);
	assert_text(doc, "m = x\nlisten on $m\n");
	conf_free(doc);

	doc = parse_ok(CONF_POSTFIX_MAIN, "a = 1\n");
	cause = NULL;
	assert_refused(doc, conf_set_entry(doc, &doc->entries[0], " x",
	    &cause), &cause, "read back");
	cause = NULL;
	/* A continuation in the text would join the next statement. */
	assert_refused(doc, conf_insert(doc, NULL, 1, "b = 2\nc", &cause),
	    &cause, NULL);
	cause = NULL;
	assert_refused(doc, conf_insert(doc, NULL, 1, "not a setting",
	    &cause), &cause, "expected");
	assert_text(doc, "a = 1\n");
	conf_free(doc);

	doc = parse_ok(CONF_PEERLIST, "::1\n");
	cause = NULL;
	assert_refused(doc, conf_append(doc, "10.0.0.1", "x", &cause),
	    &cause, "no value");
	conf_free(doc);
}

/* smtpd.conf keeps values as written, the expansion beside them. */
static void
test_smtpd_raw(void **state)
{
	struct conf_doc *doc = load_ok(CONF_SMTPD, "smtpd.conf");
	const struct conf_entry *e;
	char *cause = NULL, *text;

	(void)state;
	e = &doc->entries[5];
	assert_string_equal(e->key, "pki");
	assert_string_equal(e->argv[1], "mail.example.org");
	assert_string_equal(e->raw_argv[1], "$mailhost");
	assert_string_equal(e->raw_value,
	    "$mailhost cert \"/etc/ssl/mail.example.org.fullchain.pem\"");
	e = &doc->entries[1];
	assert_true(e->is_macro);
	assert_string_equal(e->raw_value, "mail.example.org");
	assert_string_equal(doc->entries[0].raw_value, "\"em0\"");
	e = &doc->entries[11];
	assert_string_equal(e->raw_argv[1], "\"local\"");
	assert_string_equal(e->raw_argv[4], "<aliases>");
	/* The backslash-continued table: its words without the break. */
	e = &doc->entries[3];
	assert_string_equal(e->raw_value,
	    "secrets { relayuser = \"s3cret pass\" , other = x }");
	/* A new value with a macro is written as given, not inlined. */
	e = &doc->entries[8];
	assert_int_equal(conf_set_entry(doc, e,
	    "on $ext_if port 25 tls pki $mailhost", &cause), 0);
	text = conf_text(doc, NULL);
	assert_non_null(strstr(text,
	    "\nlisten on $ext_if port 25 tls pki $mailhost\n"));
	free(text);
	assert_string_equal(doc->entries[8].value,
	    "on em0 port 25 tls pki mail.example.org");
	assert_consistent(doc);
	/* A macro's new value changes the statements that use it. */
	assert_int_equal(conf_set_entry(doc, &doc->entries[0], "\"em1\"",
	    &cause), 0);
	assert_string_equal(doc->entries[8].value,
	    "on em1 port 25 tls pki mail.example.org");
	assert_consistent(doc);
	conf_free(doc);
}

/* The first untagged "match" of e's file, or NULL. */
static const struct conf_entry *
first_untagged_match(const struct conf_doc *doc)
{
	const struct conf_entry *e;
	size_t i;
	int j, tagged;

	for (i = 0; i < doc->nentries; i++) {
		e = &doc->entries[i];
		if (strcmp(e->key, "match") != 0)
			continue;
		for (tagged = 0, j = 1; j < e->raw_argc; j++)
			if (strcmp(e->raw_argv[j], "tag") == 0)
				tagged = 1;
		if (!tagged)
			return e;
	}
	return NULL;
}

/* The dkimproxy wiring: "match tag DKIM" must precede the untagged
 * match that sends mail to dkimproxy. */
static void
test_smtpd_match_order(void **state)
{
	struct conf_doc *doc = load_ok(CONF_SMTPD, "smtpd.conf");
	const struct conf_entry *e;
	char *cause = NULL, *text;
	size_t n;

	(void)state;
	e = &doc->entries[15];
	assert_string_equal(e->raw_value, "tag DKIM for any action \"relay\"");
	assert_int_equal(conf_delete(doc, e, &cause), 0);
	n = doc->nentries;
	e = first_untagged_match(doc);
	assert_non_null(e);
	assert_int_equal(conf_insert(doc, e, 1,
	    "match tag DKIM for any action \"relay\"", &cause), 0);
	assert_int_equal(doc->nentries, n + 1);
	text = conf_text(doc, NULL);
	/* Before the first untagged match, that is before the "local" one. */
	assert_non_null(strstr(text, "\nmatch tag DKIM for any action "
	    "\"relay\"\nmatch from any for domain <domains> action "
	    "\"local\"\nmatch for any action dkimproxy\n"));
	free(text);
	assert_consistent(doc);
	conf_free(doc);
	/* The poolp.org file: insert before its last match instead. */
	doc = load_ok(CONF_SMTPD, "edit/smtpd-poolp.conf");
	e = &doc->entries[doc->nentries - 1];
	assert_string_equal(e->raw_value, "for any action act06");
	assert_int_equal(conf_insert(doc, e, 1,
	    "match tag DKIM for any action \"relay\"", &cause), 0);
	assert_string_equal(doc->entries[doc->nentries - 2].value,
	    "tag DKIM for any action relay");
	assert_consistent(doc);
	conf_free(doc);
}

/* The text of service key in doc, its lines joined; caller frees. */
static char *
service_text(const struct conf_doc *doc, const char *key)
{
	const struct conf_entry *e = conf_find(doc, key);
	size_t i, n = 0;
	char *out;

	assert_non_null(e);
	for (i = e->first; i < e->first + e->count; i++)
		n += doc->lines[i].len;
	out = malloc(n + 1);
	assert_non_null(out);
	for (n = 0, i = e->first; i < e->first + e->count; i++) {
		memcpy(out + n, doc->lines[i].text, doc->lines[i].len);
		n += doc->lines[i].len;
	}
	out[n] = '\0';
	return out;
}

static void
assert_service(const struct conf_doc *doc, const char *key, const char *want)
{
	char *got = service_text(doc, key);

	if (strcmp(got, want) != 0)
		fail_msg("service %s:\n--- got\n%s--- want\n%s", key, got, want);
	free(got);
	assert_consistent(doc);
}

/* master.cf: -o options rewritten in place, in the form they have. */
static void
test_master_set_option(void **state)
{
	struct conf_doc *doc = load_ok(CONF_POSTFIX_MASTER, "master-tricky.cf");
	const struct conf_entry *e;
	char *cause = NULL;

	(void)state;
	/* Spans point at the words as written. */
	e = conf_find(doc, "submission/inet");
	assert_string_equal(e->raw_argv[11],
	    "{ smtpd_client_restrictions = permit_sasl_authenticated, reject }");
	assert_int_equal(e->spans[11].line, 6);
	assert_int_equal(e->spans[11].off, 5);
	/* "-o name=value" */
	assert_int_equal(conf_master_set_option(doc, e, "syslog_name",
	    "postfix/sub", &cause), 0);
	/* "-o { name = value }" keeps its braces. */
	e = conf_find(doc, "submission/inet");
	assert_int_equal(conf_master_set_option(doc, e,
	    "smtpd_client_restrictions", "permit_mynetworks, reject", &cause),
	    0);
	/* The last of two overrides changes, in its own (brace) form. */
	e = conf_find(doc, "submission/inet");
	assert_int_equal(conf_master_set_option(doc, e,
	    "smtpd_tls_security_level", "may", &cause), 0);
	assert_service(doc, "submission/inet",
	    "submission inet n       -       y       -       -       smtpd\n"
	    "  -o syslog_name=postfix/sub\n"
	    "# a comment inside the entry\n"
	    "  -o { smtpd_client_restrictions = permit_mynetworks, reject }\n"
	    "  -o smtpd_tls_security_level=encrypt\n"
	    "  -o { smtpd_tls_security_level = may }\n");
	assert_string_equal(conf_master_option(conf_find(doc,
	    "submission/inet"), "smtpd_tls_security_level"), "may");
	/* A value with blanks needs the braces. */
	e = conf_find(doc, "dksign/unix");
	assert_int_equal(conf_master_set_option(doc, e,
	    "smtp_discard_ehlo_keywords", "8bitmime, starttls", &cause), 0);
	/* A new option: a continuation line indented like the others. */
	e = conf_find(doc, "dksign/unix");
	assert_int_equal(conf_master_set_option(doc, e, "smtp_helo_name",
	    "signer.example", &cause), 0);
	assert_service(doc, "dksign/unix",
	    "dksign    unix  -       -       n       -       10      smtp\n"
	    "    -o smtp_send_xforward_command=yes\n"
	    "    -o { smtp_discard_ehlo_keywords = 8bitmime, starttls }\n"
	    "    -o smtp_helo_name=signer.example\n");
	/* An empty override. */
	e = conf_find(doc, "127.0.0.1:10028/inet");
	assert_int_equal(conf_master_set_option(doc, e, "content_filter", "",
	    &cause), 0);
	assert_string_equal(conf_master_option(conf_find(doc,
	    "127.0.0.1:10028/inet"), "content_filter"), "");
	/* The last line of the file, a one-line service. */
	e = conf_find(doc, "smtp/inet");
	assert_string_equal(e->argv[7], "postscreen");
	assert_int_equal(conf_master_set_option(doc, e, "smtpd_milters",
	    "inet:127.0.0.1:8891", &cause), 0);
	assert_service(doc, "smtp/inet",
	    "smtp      inet  n       -       y       -       1       postscreen\n"
	    "  -o smtpd_milters=inet:127.0.0.1:8891\n");
	/* Refused: braces, control bytes, a bad name. */
	e = conf_find(doc, "smtp/inet");
	assert_refused(doc, conf_master_set_option(doc, e, "x", "a}b",
	    &cause), &cause, "brace");
	cause = NULL;
	assert_refused(doc, conf_master_set_option(doc, e, "x", "a\nb",
	    &cause), &cause, "control");
	cause = NULL;
	assert_refused(doc, conf_master_set_option(doc, e, "x y", "1",
	    &cause), &cause, "parameter name");
	conf_free(doc);
}

/* "-oname=value" and options on the service's own line. */
static void
test_master_option_inline(void **state)
{
	struct conf_doc *doc = parse_ok(CONF_POSTFIX_MASTER,
	    "a unix - - n - - smtp -ox=1 -o y=2\r\n"
	    "b unix - - n - - smtp\r\n");
	char *cause = NULL;

	(void)state;
	assert_int_equal(conf_master_set_option(doc, &doc->entries[0], "x",
	    "3", &cause), 0);
	assert_text(doc, "a unix - - n - - smtp -ox=3 -o y=2\r\n"
	    "b unix - - n - - smtp\r\n");
	assert_int_equal(conf_master_set_option(doc, &doc->entries[0], "x",
	    "4 5", &cause), 0);
	assert_text(doc, "a unix - - n - - smtp -o { x = 4 5 } -o y=2\r\n"
	    "b unix - - n - - smtp\r\n");
	assert_int_equal(conf_master_unset_option(doc, &doc->entries[0], "x",
	    &cause), 1);
	assert_text(doc, "a unix - - n - - smtp -o y=2\r\n"
	    "b unix - - n - - smtp\r\n");
	assert_int_equal(conf_master_unset_option(doc, &doc->entries[0], "y",
	    &cause), 1);
	assert_text(doc, "a unix - - n - - smtp\r\nb unix - - n - - smtp\r\n");
	assert_int_equal(conf_master_unset_option(doc, &doc->entries[0], "y",
	    &cause), 0);
	conf_free(doc);
	/* A brace group over two lines: rewritten on one, removed whole. */
	doc = parse_ok(CONF_POSTFIX_MASTER, "a unix - - n - - smtp\n"
	    "  -o { x =\n# c\n    1 2 }\n  -o y=2\n  -o x=0 -o z=1\n");
	assert_string_equal(doc->entries[0].raw_argv[9], "{ x = 1 2 }");
	assert_int_equal(conf_master_set_option(doc, &doc->entries[0], "x",
	    "3", &cause), 0);
	assert_text(doc, "a unix - - n - - smtp\n  -o { x =\n# c\n    1 2 }\n"
	    "  -o y=2\n  -o x=3 -o z=1\n");
	assert_int_equal(conf_master_unset_option(doc, &doc->entries[0], "x",
	    &cause), 2);
	assert_text(doc, "a unix - - n - - smtp\n# c\n  -o y=2\n  -o z=1\n");
	conf_free(doc);
	doc = parse_ok(CONF_POSTFIX_MASTER, "a unix - - n - - smtp\n"
	    "  -o { x =\n    1 2 } -o y=2\n");
	assert_int_equal(conf_master_set_option(doc, &doc->entries[0], "x",
	    "3", &cause), 0);
	/* What followed the group on its last line stays on that line. */
	assert_text(doc, "a unix - - n - - smtp\n  -o { x = 3 }\n -o y=2\n");
	conf_free(doc);
}

/* master.cf: options removed with their line; services added, replaced
 * and removed. */
static void
test_master_services(void **state)
{
	struct conf_doc *doc = load_ok(CONF_POSTFIX_MASTER,
	    "edit/master-miab.cf");
	const struct conf_entry *e;
	char *cause = NULL;
	size_t n;

	(void)state;
	e = conf_find(doc, "submission/inet");
	assert_int_equal(e->lineno, 21);
	assert_string_equal(conf_master_option(e, "smtpd_milters"),
	    "inet:127.0.0.1:8891");
	assert_int_equal(conf_master_unset_option(doc, e, "smtpd_milters",
	    &cause), 1);
	assert_service(doc, "submission/inet",
	    "submission inet n       -       -       -       -       smtpd\n"
	    "\t  -o smtpd_sasl_auth_enable=yes\n"
	    "\t  -o syslog_name=postfix/submission\n"
	    "\t  -o smtpd_tls_security_level=encrypt\n"
	    "\t  -o cleanup_service_name=authclean\n");
	assert_non_null(conf_master_option(conf_find(doc, "smtps/inet"),
	    "smtpd_milters"));
	n = doc->nentries;
	assert_int_equal(conf_master_set_service(doc,
	    "dksign    unix  -       -       n       -       10      smtp\n"
	    "    -o smtp_send_xforward_command=yes", &cause), 0);
	assert_int_equal(doc->nentries, n + 1);
	assert_int_equal(conf_master_set_service(doc,
	    "dksign    unix  -       -       n       -       4       smtp",
	    &cause), 0);
	assert_int_equal(doc->nentries, n + 1);
	assert_service(doc, "dksign/unix",
	    "dksign    unix  -       -       n       -       4       smtp\n");
	assert_int_equal(conf_delete(doc, conf_find(doc, "dksign/unix"),
	    &cause), 0);
	assert_null(conf_find(doc, "dksign/unix"));
	assert_int_equal(doc->nentries, n);
	assert_refused(doc, conf_master_set_service(doc,
	    "dksign unix - - n - smtp", &cause), &cause, "8 fields");
	cause = NULL;
	assert_refused(doc, conf_master_set_service(doc,
	    "a unix - - n - - smtp\nb unix - - n - - smtp", &cause), &cause,
	    NULL);
	assert_consistent(doc);
	conf_free(doc);
}

/* Tables: set a key's value, add a key, remove one. */
static void
test_table_edits(void **state)
{
	struct conf_doc *doc = load_ok(CONF_TABLE, "edit/KeyTable-miab");
	char *cause = NULL, *text;

	(void)state;
	assert_int_equal(conf_table_set(doc, "example.com",
	    "example.com:mail2025:/home/user-data/mail/dkim/mail2025.private",
	    &cause), 0);
	assert_int_equal(conf_table_set(doc, "example.net",
	    "example.net:mail:/home/user-data/mail/dkim/net.private", &cause),
	    0);
	assert_int_equal(conf_delete(doc, conf_find(doc, "www.example.com"),
	    &cause), 0);
	text = conf_text(doc, NULL);
	assert_non_null(strstr(text, "\nbox.example.com box.example.com:mail:"
	    "/home/user-data/mail/dkim/mail.private\nexample.com example.com:"
	    "mail2025:/home/user-data/mail/dkim/mail2025.private\n"
	    "example.net example.net:mail:/home/user-data/mail/dkim/"
	    "net.private\n"));
	assert_null(strstr(text, "www."));
	free(text);
	assert_consistent(doc);
	conf_free(doc);
	doc = parse_ok(CONF_OPENDKIM, "Mode sv\n");
	assert_refused(doc, conf_table_set(doc, "Mode", "s", &cause), &cause,
	    "not a table");
	conf_free(doc);
}

/* A dkimproxy file from the corpus: several signature lines. */
static void
test_dkimproxy_signatures(void **state)
{
	struct conf_doc *doc = load_ok(CONF_DKIMPROXY,
	    "edit/dkimproxy_out.conf");
	const struct conf_entry *e;
	char *cause = NULL;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < doc->nentries; i++) {
		e = &doc->entries[i];
		if (strcmp(e->key, "signature") == 0 &&
		    strncmp(e->value, "domainkeys", 10) == 0) {
			assert_int_equal(conf_comment_out(doc, e, &cause), 0);
			break;
		}
	}
	assert_int_equal(conf_append(doc, "signature",
	    "dkim(c=relaxed,a=rsa-sha256)", &cause), 0);
	for (i = 0; i < doc->nentries; i++)
		n += strcmp(doc->entries[i].key, "signature") == 0;
	assert_int_equal(n, 2);
	assert_consistent(doc);
	conf_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edit_main),
		cmocka_unit_test(test_edit_master),
		cmocka_unit_test(test_edit_opendkim),
		cmocka_unit_test(test_edit_table),
		cmocka_unit_test(test_edit_peerlist),
		cmocka_unit_test(test_edit_smtpd),
		cmocka_unit_test(test_edit_dkimproxy),
		cmocka_unit_test(test_edit_settings),
		cmocka_unit_test(test_edit_shellvars),
		cmocka_unit_test(test_edit_last_line),
		cmocka_unit_test(test_edit_refused_all),
		cmocka_unit_test(test_edit_refused_grammar),
		cmocka_unit_test(test_smtpd_raw),
		cmocka_unit_test(test_smtpd_match_order),
		cmocka_unit_test(test_master_set_option),
		cmocka_unit_test(test_master_option_inline),
		cmocka_unit_test(test_master_services),
		cmocka_unit_test(test_table_edits),
		cmocka_unit_test(test_dkimproxy_signatures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
