/* json.h: a small streaming JSON writer for --json output.
 *
 * Strings are escaped so that the output is valid UTF-8 JSON and safe on a
 * terminal: control characters (C0, DEL, C1) become \u00XX, the invisible
 * controls that reorder or break text (bidirectional embeddings, overrides,
 * isolates and marks, U+2028/U+2029: core/lib/util.h utf8_invisible) become
 * \uXXXX, invalid UTF-8 bytes become U+FFFD.  Keys are NULL inside arrays
 * and at the top level.
 */
#ifndef NOTSPAM_JSON_H
#define NOTSPAM_JSON_H

#include "core/lib/util.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct buf	b;
	int		depth;
	int		count[JSON_MAX_DEPTH];	/* members written per level */
};

void json_init(struct json *);
void json_object_begin(struct json *, const char *key);
void json_object_end(struct json *);
void json_array_begin(struct json *, const char *key);
void json_array_end(struct json *);
void json_string(struct json *, const char *key, const char *value); /* NULL -> null */
void json_int(struct json *, const char *key, long long value);
void json_bool(struct json *, const char *key, int value);
/* The document with a final newline; caller frees; resets the writer. */
char *json_finish(struct json *);

/* Append s as a JSON string literal (with quotes) to b. */
void json_escape(struct buf *b, const char *s);

#endif
