/* test_msg.c: the message parser (core/mail/msg), DKIM verification
 * against records given as text (core/mail/dkimverify) on messages dkimpy
 * signed (tests/fixtures/mail), and the parts of core/mail/verify that
 * need no DNS: the connecting hop, trusted relays, the organizational
 * domain. */
#include "testutil.h"

#include <unistd.h>

#include "core/lib/util.h"
#include "core/mail/dkimverify.h"
#include "core/mail/msg.h"
#include "core/mail/verify.h"

/* After every fixture's t=. */
#define NOW	1796200000

static struct msg *
parse_ok(const char *text)
{
	char *cause = NULL;
	struct msg *m = msg_parse(text, strlen(text), &cause);

	if (m == NULL)
		fail_msg("%s", cause);
	return m;
}

static void
test_fields(void **state)
{
	struct msg *m;
	const struct msg_field *f;
	size_t i = 0;

	(void)state;
	m = parse_ok("From foo Mon Jul  1 10:00:00 2024\n"
	    "Subject: a\n  folded\tline \nX-A: 1\r\nx-a : 2\n\nbody\nend");
	assert_int_equal(m->nfields, 3);
	assert_string_equal(m->fields[0].name, "Subject");
	assert_string_equal(m->fields[0].raw, "Subject: a\r\n  folded\tline "
	    "\r\n");
	assert_string_equal(m->fields[0].value, "a  folded\tline");
	assert_int_equal(m->fields[0].line, 2);
	assert_int_equal(msg_count(m, "X-A"), 2);
	f = msg_next(m, "x-a", &i);
	assert_string_equal(f->value, "1");
	f = msg_next(m, "X-A", &i);
	assert_string_equal(f->name, "x-a");
	assert_string_equal(f->value, "2");
	assert_null(msg_next(m, "X-A", &i));
	assert_string_equal(m->body, "body\r\nend");
	assert_int_equal(m->bodylen, 9);
	assert_true(m->bare_lf);
	assert_true(m->has_body);
	msg_free(m);

	m = parse_ok("A: 1\r\nB: 2");
	assert_int_equal(m->nfields, 2);
	assert_string_equal(m->fields[1].raw, "B: 2\r\n");
	assert_false(m->has_body);
	assert_int_equal(m->bodylen, 0);
	msg_free(m);
}

static void
test_refused(void **state)
{
	char *cause = NULL;
	static const char nul[] = "A: x\0y\r\n\r\nb\0dy";

	(void)state;
	assert_null(msg_parse("A: 1\r\nnot a field\r\n\r\n", 21, &cause));
	assert_non_null(strstr(cause, "line 2: not a header field"));
	free(cause);
	cause = NULL;
	assert_null(msg_parse(" folded first\r\n", 15, &cause));
	assert_non_null(strstr(cause, "line 1: a folded line"));
	free(cause);
	cause = NULL;
	assert_null(msg_parse("A: 1", (size_t)MSG_SIZE_MAX + 1, &cause));
	assert_non_null(strstr(cause, "larger than 64 MiB"));
	free(cause);
	/* NUL bytes: kept, lengths tell. */
	{
		struct msg *m = msg_parse(nul, sizeof nul - 1, NULL);
		assert_non_null(m);
		assert_int_equal(m->fields[0].valuelen, 3);
		assert_int_equal(m->bodylen, 4);
		msg_free(m);
	}
}

static void
test_addresses(void **state)
{
	char *d, *cause = NULL;

	(void)state;
	d = msg_from_domain("\"Doe, J\" <j@Mail.Example.ORG.> (work)", NULL);
	assert_string_equal(d, "mail.example.org");
	free(d);
	d = msg_from_domain("j@example.net (J, Doe)", NULL);
	assert_string_equal(d, "example.net");
	free(d);
	assert_null(msg_from_domain("a@example.org, b@example.net", &cause));
	assert_non_null(strstr(cause, "more than one address"));
	free(cause);
	cause = NULL;
	assert_null(msg_from_domain("undisclosed", &cause));
	free(cause);
	d = msg_return_path("<bounce@example.org>");
	assert_string_equal(d, "bounce@example.org");
	free(d);
	d = msg_return_path("<>");
	assert_string_equal(d, "");
	free(d);
}

/* Verify the fixture's signatures against key record files; the results
 * joined by blanks. */
static char *
verify_fixture(const char *name, const char *keyfile)
{
	char path[256], *data, *txt;
	struct dkim_set *set;
	struct msg *m;
	struct buf b;
	size_t len, klen, i;

	snprintf(path, sizeof path, "tests/fixtures/mail/%s", name);
	data = test_read_file(path, &len);
	assert_non_null(m = msg_parse(data, len, NULL));
	snprintf(path, sizeof path, "tests/fixtures/mail/%s", keyfile);
	txt = test_read_file(path, &klen);
	set = dkim_set_new(m, NOW);
	buf_init(&b);
	for (i = 0; i < set->nsigs; i++) {
		dkim_sig_record(set, &set->sigs[i], txt, klen - 1);
		buf_printf(&b, "%s%s", i > 0 ? " " : "",
		    dkim_result_name(set->sigs[i].result));
	}
	dkim_set_free(set);
	msg_free(m);
	free(txt);
	free(data);
	return buf_steal(&b);
}

static void
test_dkim_fixtures(void **state)
{
	static const struct {
		const char *file, *key, *want;
	} t[] = {
		{ "rsa-simple.eml", "mail.key", "pass" },
		{ "folded-relaxed.eml", "mail.key", "pass" },
		{ "l-extended.eml", "mail.key", "pass" },
		{ "ed25519.eml", "ed.key", "pass" },
		{ "ed25519.eml", "mail.key", "permerror" },	/* k=rsa */
		{ "oversigned-added.eml", "mail.key", "fail" },
		/* The same key for both: the "stale" one verifies too. */
		{ "two-one-broken.eml", "mail.key", "pass pass" },
	};
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		got = verify_fixture(t[i].file, t[i].key);
		if (strcmp(got, t[i].want) != 0)
			fail_msg("%s with %s: %s, expected %s", t[i].file,
			    t[i].key, got, t[i].want);
		free(got);
	}
}

/* One signature field on a fixed message, read as of NOW. */
static struct dkim_set *
sig_set(const char *sig, struct msg **m)
{
	char *text = xasprintf("DKIM-Signature: %s\r\nFrom: a@example.org\r\n"
	    "\r\nbody\r\n", sig);

	*m = parse_ok(text);
	free(text);
	return dkim_set_new(*m, NOW);
}

static void
test_dkim_tags(void **state)
{
	static const struct {
		const char *sig, *reason;
	} t[] = {
		{ "v=1; a=rsa-sha1; d=example.org; s=x; h=from; bh=AA==; b=AA==",
		    "rsa-sha1 is no longer valid" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; h=to; bh=AA==; b=AA==",
		    "h= does not sign the From field" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; h=from; b=AA==",
		    "bh= is missing" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; h=from; bh=AA==; "
		    "b=AA==; i=@example.net", "not within d=" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; h=from; bh=AA==; "
		    "b=AA==; x=1000", "expired" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; h=from; bh=AA==; "
		    "b=AA==; t=1896200000", "t= is in the future" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; h=from; bh=AA==; "
		    "b=AA==; c=fancy", "must be simple or relaxed" },
		{ "v=1; a=rsa-sha256; d=example.org; d=x", "appears twice" },
		{ "v=1; a=rsa-sha256; d=example.org; s=x; bh=AA==; b=AA==; "
		    "h=from:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:"
		    "a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:"
		    "a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:"
		    "a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:"
		    "a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:"
		    "a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:"
		    "a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a:a",
		    "more than 200 names" },
	};
	struct dkim_set *set;
	struct msg *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		set = sig_set(t[i].sig, &m);
		assert_int_equal(set->nsigs, 1);
		if (set->sigs[0].result == DKIM_PENDING ||
		    strstr(set->sigs[0].reason, t[i].reason) == NULL)
			fail_msg("%s: %s, expected %s", t[i].sig,
			    set->sigs[0].reason != NULL ? set->sigs[0].reason :
			    "pending", t[i].reason);
		dkim_set_free(set);
		msg_free(m);
	}
	/* A well-formed one waits for its key; a revoked key decides it. */
	set = sig_set("v=1; a=rsa-sha256; d=Example.org; s=Sel; h=from; "
	    "bh=AA==; b=AA==", &m);
	assert_int_equal(set->sigs[0].result, DKIM_PENDING);
	{
		char *name = dkim_sig_keyname(&set->sigs[0]);
		assert_string_equal(name, "sel._domainkey.example.org");
		free(name);
	}
	dkim_sig_record(set, &set->sigs[0], "v=DKIM1; p=", 11);
	assert_int_equal(set->sigs[0].result, DKIM_PERMERROR);
	assert_string_equal(set->sigs[0].reason, "key revoked (p= empty)");
	assert_null(dkim_sig_keyname(&set->sigs[0]));
	dkim_set_free(set);
	msg_free(m);
}

static void
test_hop(void **state)
{
	struct strv trusted;
	struct msg *m;
	char *ip = NULL, *helo = NULL;
	size_t line = 0;

	(void)state;
	m = parse_ok("Received: by mx.example.com with LMTP\r\n"
	    "Received: from localhost (localhost [127.0.0.1])\r\n by x\r\n"
	    "Received: from relay.example.com (relay [10.1.2.3]) by x\r\n"
	    "Received: from [192.0.2.1] (helo=out.example.org)\r\n\tby y\r\n"
	    "From: a@example.org\r\n\r\n");
	assert_int_equal(verify_hop(m, NULL, &ip, &helo, &line), 0);
	assert_string_equal(ip, "10.1.2.3");
	assert_string_equal(helo, "relay.example.com");
	assert_int_equal(line, 4);
	free(ip);
	free(helo);
	strv_init(&trusted);
	strv_add(&trusted, "10.0.0.0/8");
	assert_int_equal(verify_hop(m, &trusted, &ip, &helo, &line), 0);
	assert_string_equal(ip, "192.0.2.1");
	assert_string_equal(helo, "out.example.org");
	free(ip);
	free(helo);
	strv_add(&trusted, "192.0.2.1");
	assert_int_equal(verify_hop(m, &trusted, &ip, &helo, &line), -1);
	msg_free(m);

	strv_free(&trusted);
	strv_add(&trusted, "2001:db8::/33");
	strv_add(&trusted, "198.51.100.128/25");
	assert_true(verify_trusted("2001:db8:7fff::1", &trusted));
	assert_false(verify_trusted("2001:db8:8000::1", &trusted));
	assert_true(verify_trusted("198.51.100.200", &trusted));
	assert_false(verify_trusted("198.51.100.127", &trusted));
	assert_true(verify_trusted("::1", NULL));
	strv_free(&trusted);
}

static void
test_org_domain(void **state)
{
	struct verify_opts o;
	struct verify *v;
	struct msg *m;
	char path[] = "/tmp/notspam-psl.XXXXXX", *d;
	FILE *f;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	f = fdopen(fd, "w");
	fputs("// a test list\norg\nuk\nco.uk\n*.ck\n!www.ck\n", f);
	fclose(f);
	m = parse_ok("From: a@example.org\r\n\r\n");
	memset(&o, 0, sizeof o);
	o.psl = path;
	v = verify_new(m, &o);
	d = verify_org_domain(v, "mail.shop.example.co.uk");
	assert_string_equal(d, "example.co.uk");
	free(d);
	d = verify_org_domain(v, "a.b.example.org");
	assert_string_equal(d, "example.org");
	free(d);
	d = verify_org_domain(v, "a.b.c.ck");
	assert_string_equal(d, "b.c.ck");
	free(d);
	d = verify_org_domain(v, "a.www.ck");
	assert_string_equal(d, "www.ck");
	free(d);
	d = verify_org_domain(v, "co.uk");
	assert_string_equal(d, "co.uk");
	free(d);
	verify_free(v);
	/* Without a list: the last two labels. */
	o.psl = "";
	v = verify_new(m, &o);
	d = verify_org_domain(v, "mail.example.co.uk");
	assert_string_equal(d, "co.uk");
	free(d);
	verify_free(v);
	msg_free(m);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_dkim_fixtures),
		cmocka_unit_test(test_dkim_tags),
		cmocka_unit_test(test_hop),
		cmocka_unit_test(test_org_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
