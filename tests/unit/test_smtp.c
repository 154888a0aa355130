/* test_smtp.c: the SMTP client's pure parts (core/mail/smtp.h): the reply
 * parser and its RFC 5321 limits, enhanced status codes, the queue id,
 * dot-stuffing, the state and failure names, and the option checks. */
#include "testutil.h"

#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/mail/smtp.h"

/* Parse s whole: one reply taking every octet. */
static void
parse_ok(const char *s, struct smtp_reply *r)
{
	size_t used = 0;
	char *cause = NULL;
	int ret = smtp_reply_parse(s, strlen(s), r, &used, &cause);

	if (ret != 1)
		fail_msg("%s: %d %s", s, ret, cause ? cause : "");
	assert_int_equal(used, strlen(s));
}

/* Refused for good, with a message naming why. */
static void
parse_bad(const char *s, size_t len, const char *why)
{
	struct smtp_reply r;
	size_t used = 0;
	char *cause = NULL;

	assert_int_equal(smtp_reply_parse(s, len, &r, &used, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, why) == NULL)
		fail_msg("cause \"%s\" does not say \"%s\"", cause, why);
	free(cause);
}

/* Not complete yet. */
static void
parse_more(const char *s)
{
	struct smtp_reply r;
	size_t used = 0;
	char *cause = NULL;

	assert_int_equal(smtp_reply_parse(s, strlen(s), &r, &used, &cause), 0);
	assert_null(cause);
}

static void
test_reply_single(void **state)
{
	struct smtp_reply r;

	(void)state;
	parse_ok("220 mx.example.org ESMTP Postfix\r\n", &r);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.text, "mx.example.org ESMTP Postfix");
	assert_string_equal(r.enh, "");
	assert_string_equal(r.shown.v[0], "220 mx.example.org ESMTP Postfix");
	smtp_reply_free(&r);
	parse_ok("250\r\n", &r);		/* a code alone is a reply */
	assert_int_equal(r.code, 250);
	assert_string_equal(r.text, "");
	smtp_reply_free(&r);
}

static void
test_reply_multi(void **state)
{
	static const char gmail[] =
	    "550-5.7.1 [2001:db8::1] Our system has detected that\r\n"
	    "550-5.7.1 IPv6 sending guidelines regarding PTR records\r\n"
	    "550 5.7.1 Please review https://support.google.com/mail - gsmtp\r\n";
	struct smtp_reply r;
	size_t used;
	char *cause = NULL;

	(void)state;
	parse_ok(gmail, &r);
	assert_int_equal(r.code, 550);
	assert_int_equal(r.nlines, 3);
	assert_string_equal(r.enh, "5.7.1");
	assert_int_equal(r.shown.n, 3);
	assert_string_equal(r.shown.v[1], "550-5.7.1 IPv6 sending guidelines "
	    "regarding PTR records");
	assert_non_null(strstr(r.text, "\n5.7.1 IPv6 sending"));
	smtp_reply_free(&r);
	/* Two replies in a row: the first only, the rest left. */
	assert_int_equal(smtp_reply_parse("250-a\r\n250 b\r\n354 go\r\n", 22,
	    &r, &used, &cause), 1);
	assert_int_equal(used, 14);
	assert_string_equal(r.text, "a\nb");
	smtp_reply_free(&r);
	/* EHLO's continuation lines without text after the code. */
	parse_ok("250-mx\r\n250-\r\n250 SIZE\r\n", &r);
	assert_int_equal(r.nlines, 3);
	smtp_reply_free(&r);
}

static void
test_reply_incomplete(void **state)
{
	(void)state;
	parse_more("");
	parse_more("2");
	parse_more("220 hello");
	parse_more("220 hello\r");
	parse_more("250-first\r\n");
	parse_more("250-first\r\n250 sec");
}

static void
test_reply_malformed(void **state)
{
	(void)state;
	parse_bad("220 hello\n", 10, "bare LF");
	parse_bad("\n", 1, "bare LF");
	parse_bad("HTTP/1.1 400 Bad Request\r\n", 26, "reply code");
	parse_bad("120 early\r\n", 11, "reply code");
	parse_bad("600 no\r\n", 8, "reply code");
	parse_bad("260 second digit\r\n", 18, "reply code");
	parse_bad("22\r\n", 4, "reply code");
	parse_bad("220hello\r\n", 10, "neither a space");
	parse_bad("250-a\r\n550 b\r\n", 14, "different codes");
	parse_bad("250-a\r\n250 b\n", 13, "bare LF");
	/* A later line's fault is seen before the reply ends. */
	parse_bad("250-a\r\nxyz\r\n", 12, "reply code");
}

static void
test_reply_limits(void **state)
{
	struct smtp_reply r;
	struct buf b;
	char line[SMTP_LINE_MAX + 2];
	size_t i;

	(void)state;
	/* 512 octets with the CRLF: the longest line allowed. */
	memset(line, 'x', sizeof line);
	memcpy(line, "250 ", 4);
	memcpy(line + SMTP_LINE_MAX - 2, "\r\n", 3);
	parse_ok(line, &r);
	assert_int_equal(strlen(r.text), SMTP_LINE_MAX - 6);
	smtp_reply_free(&r);
	/* 513: refused, and refused before the line ends. */
	memset(line, 'x', sizeof line);
	memcpy(line, "250 ", 4);
	memcpy(line + SMTP_LINE_MAX - 1, "\r\n", 2);
	parse_bad(line, SMTP_LINE_MAX + 1, "longer than 512");
	parse_bad(line, SMTP_LINE_MAX, "longer than 512");
	parse_more("250 xxxxxxxxxxxxxxxxxxxxxxxx");
	/* SMTP_REPLY_LINES lines: fine; one more: refused. */
	buf_init(&b);
	for (i = 0; i + 1 < SMTP_REPLY_LINES; i++)
		buf_adds(&b, "250-line\r\n");
	buf_adds(&b, "250 last\r\n");
	parse_ok(b.data, &r);
	assert_int_equal(r.nlines, SMTP_REPLY_LINES);
	smtp_reply_free(&r);
	b.len -= 10;
	buf_adds(&b, "250-more\r\n");
	parse_bad(b.data, b.len, "more than 100 lines");
	/* ...even when the rest has not arrived yet. */
	parse_bad(b.data, b.len, "more than 100 lines");
	buf_free(&b);
}

static void
test_reply_bytes(void **state)
{
	static const char esc[] = "554 5.7.1 \x1b[2Jno\x07 \0nul \xff\r\n";
	struct smtp_reply r;
	size_t used;
	char *cause = NULL;

	(void)state;
	assert_int_equal(smtp_reply_parse(esc, sizeof esc - 1, &r, &used,
	    &cause), 1);
	assert_int_equal(used, sizeof esc - 1);
	assert_int_equal(r.textlen, sizeof esc - 1 - 6);
	assert_string_equal(r.shown.v[0],
	    "554 5.7.1 \\x1b[2Jno\\x07 \\x00nul \\xff");
	assert_string_equal(r.enh, "5.7.1");
	smtp_reply_free(&r);
}

static void
test_enhanced(void **state)
{
	static const struct {
		const char	*reply;
		const char	*enh;
	} t[] = {
		{ "250 2.1.0 Ok\r\n", "2.1.0" },
		{ "452 4.3.1 Insufficient system storage\r\n", "4.3.1" },
		{ "550 5.123.456 odd but valid\r\n", "5.123.456" },
		{ "550 5.7.1\r\n", "5.7.1" },
		{ "550 4.7.1 class differs\r\n", "" },
		{ "550 5.1234.1 too long\r\n", "" },
		{ "550 5.7. missing\r\n", "" },
		{ "550 5.7.1x glued\r\n", "" },
		{ "550 Requested action not taken\r\n", "" },
	};
	struct smtp_reply r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		parse_ok(t[i].reply, &r);
		if (strcmp(r.enh, t[i].enh) != 0)
			fail_msg("%s: enh \"%s\", want \"%s\"", t[i].reply,
			    r.enh, t[i].enh);
		smtp_reply_free(&r);
	}
}

static void
test_queue_id(void **state)
{
	static const struct {
		const char	*reply;
		const char	*id;
	} t[] = {
		{ "250 2.0.0 Ok: queued as 4Xk1Qz9Gh2z\r\n", "4Xk1Qz9Gh2z" },
		{ "250 Ok: QUEUED AS ABC123.\r\n", "ABC123" },
		{ "250-first\r\n250 2.0.0 Ok: queued as 9F1A\r\n", "9F1A" },
		{ "250 2.0.0 0a1b2c3d Message accepted for delivery\r\n",
		    "0a1b2c3d" },
		{ "250 2.0.0: 0a1b2c3d Message accepted for delivery\r\n",
		    "0a1b2c3d" },
		{ "250 0a1b2c3d Message accepted for delivery\r\n",
		    "0a1b2c3d" },
		{ "250 2.0.0 OK  1700000000 x12-abc.123 - gsmtp\r\n", NULL },
		{ "250 queued as \x1b[2J\r\n", NULL },
		{ "250 queued as \r\n", NULL },
		{ "550 5.7.1 queued as NOPE\r\n", NULL },
		{ "250 queued as a/b\r\n", NULL },
	};
	struct smtp_reply r;
	char *id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		parse_ok(t[i].reply, &r);
		id = smtp_reply_queue_id(&r);
		if (t[i].id == NULL ? id != NULL :
		    id == NULL || strcmp(id, t[i].id) != 0)
			fail_msg("%s: id %s, want %s", t[i].reply,
			    id ? id : "NULL", t[i].id ? t[i].id : "NULL");
		free(id);
		smtp_reply_free(&r);
	}
}

/* Dot-stuff in and compare with want (NUL-free strings). */
static void
stuffed(const char *in, const char *want)
{
	size_t n;
	char *out = smtp_dotstuff(in, strlen(in), &n);

	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
	free(out);
}

static void
test_dotstuff(void **state)
{
	size_t n;
	char *out;

	(void)state;
	stuffed("", ".\r\n");
	stuffed("a", "a\r\n.\r\n");
	stuffed("a\r\n", "a\r\n.\r\n");
	stuffed(".", "..\r\n.\r\n");
	stuffed(".\r\n", "..\r\n.\r\n");
	stuffed("a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n");
	stuffed("..x\n.y\r\n", "...x\r\n..y\r\n.\r\n");
	stuffed("a.b\n", "a.b\r\n.\r\n");		/* not at a line start */
	stuffed("lf\ncr\rcrlf\r\n\n", "lf\r\ncr\r\ncrlf\r\n\r\n.\r\n");
	stuffed("\r\r\n", "\r\n\r\n.\r\n");
	/* NUL and 8-bit bytes go through as they are. */
	out = smtp_dotstuff("a\0\xff", 3, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "a\0\xff\r\n.\r\n", 8);
	free(out);
}

static void
test_names(void **state)
{
	const char *a, *b;
	int i, j;

	(void)state;
	for (i = 0; i < SMTP_NSTATES; i++) {
		a = smtp_state_name(i);
		assert_string_not_equal(a, "?");
		for (j = 0; j < i; j++)
			assert_string_not_equal(a, smtp_state_name(j));
	}
	assert_string_equal(smtp_state_name(SMTP_EHLO), "EHLO");
	assert_string_equal(smtp_state_name(SMTP_AUTH_PASS), "AUTH_PASS");
	assert_string_equal(smtp_state_name(SMTP_DONE), "DONE");
	assert_string_equal(smtp_state_name(SMTP_NSTATES), "?");
	assert_string_equal(smtp_state_name(-1), "?");
	for (i = 0; i < SMTP_NFAILS; i++) {
		b = smtp_fail_name(i);
		assert_string_not_equal(b, "?");
	}
	assert_string_equal(smtp_fail_name(SMTP_OK), "OK");
	assert_string_equal(smtp_fail_name(SMTP_FAIL_CONNECT), "CONNECT");
	assert_string_equal(smtp_fail_name(SMTP_FAIL_TLS), "TLS");
	assert_string_equal(smtp_fail_name(SMTP_FAIL_PROTOCOL), "PROTOCOL");
	assert_string_equal(smtp_fail_name(SMTP_FAIL_REJECTED), "REJECTED");
	assert_string_equal(smtp_fail_name(SMTP_FAIL_TIMEOUT), "TIMEOUT");
	assert_string_equal(smtp_fail_name(SMTP_NFAILS), "?");
}

/* smtp_start refuses o with a message holding why. */
static void
refused(const struct smtp_opts *o, const char *why)
{
	struct loop *l = loop_new();
	char *cause = NULL;

	assert_null(smtp_start(l, o, &cause));
	assert_non_null(cause);
	if (strstr(cause, why) == NULL)
		fail_msg("cause \"%s\" does not say \"%s\"", cause, why);
	free(cause);
	loop_free(l);
}

static void
test_options(void **state)
{
	const char *addrs[] = { "127.0.0.1", "::1" };
	const char *bad[] = { "mx.example.org" };
	const char *rcpts[] = { "a@example.net" };
	const char *evil[] = { "a@example.net>\r\nRCPT TO:<b@example.net" };
	struct smtp_opts o = {
		.addrs = addrs, .naddrs = 2, .port = 25, .helo = "mx.example",
		.from = "", .rcpts = rcpts, .nrcpts = 1,
	}, x;
	struct loop *l = loop_new();
	struct smtp *s;
	char *cause = NULL;

	(void)state;
	s = smtp_start(l, &o, &cause);	/* a null sender is fine */
	assert_non_null(s);
	assert_int_equal(smtp_state(s), SMTP_INIT);
	assert_int_equal(smtp_result(s)->verified, -1);
	smtp_free(s);			/* before it ran: nothing left */
	loop_free(l);
	x = o; x.naddrs = 0; refused(&x, "no address");
	x = o; x.addrs = bad; x.naddrs = 1; refused(&x, "not a numeric");
	x = o; x.port = 0; refused(&x, "port 0");
	x = o; x.port = 65536; refused(&x, "port 65536");
	x = o; x.helo = "bad helo"; refused(&x, "HELO name");
	x = o; x.helo = ""; refused(&x, "HELO name");
	x = o; x.from = "a@b>\r\nDATA"; refused(&x, "sender");
	x = o; x.nrcpts = 0; refused(&x, "no recipient");
	x = o; x.rcpts = evil; refused(&x, "recipient 1");
	x = o; x.user = "alice"; refused(&x, "password");
	x = o; x.servername = "a\nb"; refused(&x, "server name");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_single),
		cmocka_unit_test(test_reply_multi),
		cmocka_unit_test(test_reply_incomplete),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_reply_bytes),
		cmocka_unit_test(test_enhanced),
		cmocka_unit_test(test_queue_id),
		cmocka_unit_test(test_dotstuff),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
