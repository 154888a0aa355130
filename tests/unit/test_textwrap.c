/* test_textwrap.c: the text layout of the console (core/lib/textwrap):
 * nothing dropped but the blanks at word breaks, no line wider than asked,
 * base64 given back whole when the lines are joined, cuts that show. */
#include "testutil.h"

#include <locale.h>

#include "core/lib/textwrap.h"
#include "core/lib/util.h"

/* The lines of textwrap(text, width, hang, flags) joined by "|". */
static char *
wrapped(const char *text, int width, int hang, int flags)
{
	struct strv out;
	struct buf b;
	size_t i;

	strv_init(&out);
	textwrap(text, width, hang, flags, &out);
	buf_init(&b);
	for (i = 0; i < out.n; i++) {
		assert_true(textwrap_width(out.v[i]) <=
		    (width > hang ? width : hang + 1));
		buf_printf(&b, "%s%s", i ? "|" : "", out.v[i]);
	}
	strv_free(&out);
	return buf_steal(&b);
}

static void
wraps_as(const char *text, int width, int hang, int flags, const char *want)
{
	char *got = wrapped(text, width, hang, flags);

	assert_string_equal(got, want);
	free(got);
}

static void
test_words(void **state)
{
	(void)state;
	wraps_as("publish the key of the file: here", 12, 0, 0,
	    "publish the|key of the|file: here");
	wraps_as("fix: publish the key", 12, 5, 0,
	    "fix: publish|     the key");
	wraps_as("fix: publish the key", 10, 5, 0,
	    "fix:|     publi|     sh|     the|     key");
	wraps_as("aaa bbb", 3, 0, 0, "aaa|bbb");
	wraps_as("short", 80, 4, 0, "short");
	wraps_as("", 10, 0, 0, "");
	wraps_as("one\n\ntwo", 10, 2, 0, "one|  |  two");
	/* A word longer than a line is broken where the line is full. */
	wraps_as("p=ABCDEFGHIJ", 5, 0, 0, "p=ABC|DEFGH|IJ");
	wraps_as("x p=ABCDEFGHIJ", 5, 1, 0, "x| p=AB| CDEF| GHIJ");
	/* A width below the hang still makes progress. */
	wraps_as("abcdef", 2, 3, 0, "abcd|   e|   f");
}

/* With TEXTWRAP_ANY the lines, without their hang, join to the text. */
static void
joins_back(const char *text, int width, int hang)
{
	struct strv out;
	struct buf b;
	size_t i;

	strv_init(&out);
	textwrap(text, width, hang, TEXTWRAP_ANY, &out);
	buf_init(&b);
	for (i = 0; i < out.n; i++) {
		size_t len = strlen(out.v[i]);
		assert_true(textwrap_width(out.v[i]) <= width);
		assert_true(len > 0);
		assert_true(out.v[i][len - 1] != ' ');	/* terminals drop it */
		if (i > 0) {
			assert_true(len > (size_t)hang);
			assert_memory_equal(out.v[i], "          ", (size_t)hang);
		}
		buf_printf(&b, "%s", out.v[i] + (i > 0 ? hang : 0));
	}
	assert_string_equal(b.data, text);
	buf_free(&b);
	strv_free(&out);
}

static void
test_any(void **state)
{
	static const char key[] = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEF"
	    "AAOCAQ8AMIIBCgKCAQEAn2bOVijqi+w6IW8UwcPTRW2G8EyFcSl+mgM6iyKmtWp"
	    "bJDn50i/ElSPqf2GA+Rph3W4smyHdy2vwGPsa0GVgASfnO3f8dRdpFLxevOATx";
	int w, h;

	(void)state;
	wraps_as("v=DKIM1; k=rsa", 8, 0, TEXTWRAP_ANY, "v=DKIM1;| k=rsa");
	wraps_as("ab  cd", 3, 0, TEXTWRAP_ANY, "ab|  c|d");
	for (w = 4; w <= 200; w += 7)
		for (h = 0; h <= 3 && h < w - 1; h++)
			joins_back(key, w, h);
}

static void
test_utf8(void **state)
{
	(void)state;
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		skip();
	assert_int_equal(textwrap_width("\xe2\x80\xa6"), 1);	/* … */
	assert_int_equal(textwrap_width("\xe6\x97\xa5x"), 3);	/* wide */
	/* A character is never split. */
	wraps_as("\xc3\xa9\xc3\xa9\xc3\xa9", 2, 0, TEXTWRAP_ANY,
	    "\xc3\xa9\xc3\xa9|\xc3\xa9");
	wraps_as("\xe6\x97\xa5\xe6\x97\xa5", 3, 0, 0,
	    "\xe6\x97\xa5|\xe6\x97\xa5");
	setlocale(LC_CTYPE, "C");
	assert_int_equal(textwrap_width("\xe2\x80\xa6"), 3);
}

static void
cut_is(const char *text, int width, const char *ell, const char *want)
{
	char *got = textwrap_cut(text, width, ell);

	assert_string_equal(got, want);
	free(got);
}

static void
test_cut(void **state)
{
	(void)state;
	/* Never a shorter value that looks like another one. */
	cut_is("127.0.0.1:5353", 12, "...", "127.0.0.1...");
	cut_is("127.0.0.1:5353", 14, "...", "127.0.0.1:5353");
	cut_is("12345", 4, "...", "1...");
	cut_is("12345", 2, "...", "..");
	cut_is("12345", 0, "...", "");
	cut_is("", 0, "...", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
