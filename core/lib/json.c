/* json.c: streaming JSON writer with terminal-safe string escaping. */
#include "core/lib/json.h"

#include <string.h>

void
json_init(struct json *j)
{
	buf_init(&j->b);
	j->depth = 0;
	j->count[0] = 0;
}

/* Comma and key before a member. */
static void
json_member(struct json *j, const char *key)
{
	if (j->count[j->depth]++ > 0)
		buf_addc(&j->b, ',');
	if (key != NULL) {
		json_escape(&j->b, key);
		buf_addc(&j->b, ':');
	}
}

static void
json_open(struct json *j, const char *key, char c)
{
	json_member(j, key);
	buf_addc(&j->b, c);
	if (j->depth + 1 >= JSON_MAX_DEPTH)
		fatal("json: nesting deeper than %d", JSON_MAX_DEPTH);
	j->count[++j->depth] = 0;
}

void
json_object_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void
json_object_end(struct json *j)
{
	buf_addc(&j->b, '}');
	j->depth--;
}

void
json_array_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void
json_array_end(struct json *j)
{
	buf_addc(&j->b, ']');
	j->depth--;
}

void
json_string(struct json *j, const char *key, const char *value)
{
	json_member(j, key);
	if (value == NULL)
		buf_adds(&j->b, "null");
	else
		json_escape(&j->b, value);
}

void
json_int(struct json *j, const char *key, long long value)
{
	json_member(j, key);
	buf_printf(&j->b, "%lld", value);
}

void
json_bool(struct json *j, const char *key, int value)
{
	json_member(j, key);
	buf_adds(&j->b, value ? "true" : "false");
}

char *
json_finish(struct json *j)
{
	buf_addc(&j->b, '\n');
	return buf_steal(&j->b);
}

void
json_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	buf_addc(b, '"');
	while (*p != '\0') {
		size_t run = 0;

		/* Plain printable ASCII goes in whole runs. */
		while (p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
		    p[run] != '\\')
			run++;
		if (run > 0) {
			buf_add(b, p, run);
			p += run;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)*p++);
		} else if (*p == '\n') {
			buf_adds(b, "\\n");
			p++;
		} else if (*p == '\t') {
			buf_adds(b, "\\t");
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			buf_addc(b, (char)*p++);
		} else if ((n = utf8_seqlen(p, 4)) > 0) {	/* stops at the NUL */
			long cp = utf8_invisible(p, n);

			if (cp != 0)
				buf_printf(b, "\\u%04lx", cp);
			else
				buf_add(b, p, n);
			p += n;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_printf(b, "\\u%04x", p[1]);
			p += 2;
		} else {
			buf_adds(b, "\\ufffd");
			p++;
		}
	}
	buf_addc(b, '"');
}
