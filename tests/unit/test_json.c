/* test_json.c: JSON string escaping (core/lib/json) of the text that could
 * fool a reader: C0/C1 controls, invalid UTF-8, and the invisible controls
 * that reorder or break text (bidirectional overrides, isolates, marks). */
#include "testutil.h"

#include "core/lib/json.h"

/* json_escape(in) is want (with the quotes). */
static void
escape_is(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b);
	json_escape(&b, in);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

/* Every bidirectional embedding, override and isolate is escaped. */
static void
test_bidi_controls(void **state)
{
	(void)state;
	escape_is("a\xe2\x80\xaa" "b", "\"a\\u202ab\"");	/* LRE */
	escape_is("\xe2\x80\xab", "\"\\u202b\"");		/* RLE */
	escape_is("\xe2\x80\xac", "\"\\u202c\"");		/* PDF */
	escape_is("\xe2\x80\xad", "\"\\u202d\"");		/* LRO */
	escape_is("evil\xe2\x80\xae" "gro.elpmaxe",
	    "\"evil\\u202egro.elpmaxe\"");			/* RLO */
	escape_is("\xe2\x81\xa6", "\"\\u2066\"");		/* LRI */
	escape_is("\xe2\x81\xa7", "\"\\u2067\"");		/* RLI */
	escape_is("\xe2\x81\xa8", "\"\\u2068\"");		/* FSI */
	escape_is("\xe2\x81\xa9", "\"\\u2069\"");		/* PDI */
}

/* The directional marks and the line/paragraph separators too. */
static void
test_marks_separators(void **state)
{
	(void)state;
	escape_is("\xe2\x80\x8e", "\"\\u200e\"");		/* LRM */
	escape_is("\xe2\x80\x8f", "\"\\u200f\"");		/* RLM */
	escape_is("\xd8\x9c", "\"\\u061c\"");			/* ALM */
	escape_is("a\xe2\x80\xa8" "b\xe2\x80\xa9",
	    "\"a\\u2028b\\u2029\"");
}

/* Neighbours of the escaped ranges are ordinary text, kept as UTF-8. */
static void
test_neighbours_kept(void **state)
{
	(void)state;
	escape_is("\xe2\x80\x94", "\"\xe2\x80\x94\"");		/* U+2014 dash */
	escape_is("\xe2\x80\xaf", "\"\xe2\x80\xaf\"");		/* U+202F */
	escape_is("\xe2\x81\xa5", "\"\xe2\x81\xa5\"");		/* U+2065 */
	escape_is("\xe2\x81\xaa", "\"\xe2\x81\xaa\"");		/* U+206A */
	escape_is("\xe2\x80\x8d", "\"\xe2\x80\x8d\"");		/* ZWJ (emoji) */
	escape_is("\xd8\x9b", "\"\xd8\x9b\"");			/* U+061B */
	escape_is("\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\"");
}

/* C0, DEL, C1 and broken UTF-8 as before; a bidi control cut short is
 * invalid UTF-8, not a control. */
static void
test_controls_invalid(void **state)
{
	(void)state;
	escape_is("\033[2J\x7f", "\"\\u001b[2J\\u007f\"");
	escape_is("\xc2\x9b" "1m", "\"\\u009b1m\"");
	escape_is("\xe2\x80", "\"\\ufffd\\ufffd\"");
	escape_is("q\"\\\n\t", "\"q\\\"\\\\\\n\\t\"");
}

/* A whole document: members with bidi text stay valid JSON on one line. */
static void
test_document(void **state)
{
	struct json j;
	char *out;

	(void)state;
	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "domain\xe2\x80\xae", "x\xe2\x81\xa6y");
	json_object_end(&j);
	out = json_finish(&j);
	assert_string_equal(out, "{\"domain\\u202e\":\"x\\u2066y\"}\n");
	free(out);
}

/* The terminal sanitizers escape the same controls, once. */
static void
test_sanitizers(void **state)
{
	char *s;

	(void)state;
	s = str_sanitize("a\xe2\x80\xae" "b\\", 6);
	assert_string_equal(s, "a\\u202eb\\\\");
	free(s);
	s = str_shown("a\xe2\x81\xa7" "b\\x1b\033", 10);
	assert_string_equal(s, "a\\u2067b\\x1b\\x1b");
	free(s);
	/* What str_sanitize made comes out of str_shown unchanged. */
	s = str_sanitize("v=\033[2J\t\\\xe2\x80\x8f", 11);
	{
		char *t = str_shown(s, strlen(s));
		assert_string_equal(t, s);
		free(t);
	}
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidi_controls),
		cmocka_unit_test(test_marks_separators),
		cmocka_unit_test(test_neighbours_kept),
		cmocka_unit_test(test_controls_invalid),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_sanitizers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
