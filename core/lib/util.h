/* util.h: checked allocation, string helpers and string vectors.
 *
 * Every x* allocator calls fatal() when memory runs out; callers never test
 * for NULL.  fatal() is for bugs and out-of-memory only: it runs the hook set
 * with util_set_fatal_hook() (the console restores the terminal there) and
 * exits with status 70 (EX_SOFTWARE).
 */
#ifndef NOTSPAM_UTIL_H
#define NOTSPAM_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTFLIKE(a, b)
#define NORETURN
#endif

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
/*
 * Make room for element n (0-based) of an array of n elements of size bytes
 * that only ever grows through xgrow (it may shrink by lowering n): the
 * capacity is implied by n (the next power of two, at least 8), so growing
 * by one element at a time costs O(log n) reallocations, not n.  The new
 * element is zeroed.  Returns the (possibly moved) array.
 */
void *xgrow(void *v, size_t n, size_t size);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) PRINTFLIKE(1, 2);
char *xvasprintf(const char *, va_list) PRINTFLIKE(1, 0);
void fatal(const char *, ...) PRINTFLIKE(1, 2) NORETURN;
void util_set_fatal_hook(void (*)(void));

/* Set *cause (if cause is not NULL) to a newly allocated message; returns -1
 * so that error paths read "return error_set(cause, ...)". */
int error_set(char **cause, const char *, ...) PRINTFLIKE(2, 3);

/* A growable byte buffer; data is always NUL-terminated. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};
void buf_init(struct buf *);
void buf_add(struct buf *, const void *, size_t);
void buf_adds(struct buf *, const char *);
void buf_addc(struct buf *, char);
void buf_printf(struct buf *, const char *, ...) PRINTFLIKE(2, 3);
char *buf_steal(struct buf *); /* returns data (caller frees), resets buf */
void buf_free(struct buf *);

/* A NULL-terminated vector of owned strings. */
struct strv {
	char	**v;
	size_t	  n;
	size_t	  size;
};
void strv_init(struct strv *);
void strv_add(struct strv *, const char *);          /* copies */
void strv_addf(struct strv *, const char *, ...) PRINTFLIKE(2, 3);
int strv_add_unique(struct strv *, const char *);    /* 1 if added; case-insensitive */
int strv_find(const struct strv *, const char *);    /* index or -1; case-insensitive */
void strv_sort(struct strv *);
void strv_free(struct strv *);

/*
 * A map from strings to indexes, compared case-insensitively (ASCII), for
 * the sets that grow with the number of domains: membership in O(1)
 * instead of a scan.  Keys are copied.
 */
struct strmap {
	struct strmap_ent {
		char	*key;
		size_t	 val;
	}		*v;
	size_t		 size;	/* slots, a power of two, or 0 */
	size_t		 n;
};
void strmap_init(struct strmap *);
/* 1 and *val set if key is there, else 0. */
int strmap_get(const struct strmap *, const char *key, size_t *val);
/* Add key -> val, or replace the value of an existing key. */
void strmap_put(struct strmap *, const char *key, size_t val);
void strmap_free(struct strmap *);

/* Trim blanks (space, tab, CR, LF) in place at both ends; returns s. */
char *str_trim(char *s);
/* Lower-case an ASCII string in place; returns s. */
char *str_lower(char *s);
int str_startswith(const char *s, const char *prefix);
int str_casestartswith(const char *s, const char *prefix);
/* Split s on any char of seps (runs count once); empty fields dropped. */
void str_split(const char *s, const char *seps, struct strv *out);

/* Length of the valid UTF-8 sequence at p (at most avail bytes), or 0 when
 * it is invalid, overlong, a surrogate or a C1 control (U+0080..U+009F,
 * which terminals can take as escapes). */
size_t utf8_seqlen(const unsigned char *p, size_t avail);

/*
 * The code point of the n-byte UTF-8 sequence at p (n from utf8_seqlen)
 * when it is an invisible control that reorders or breaks the text shown
 * around it, else 0: the bidirectional embeddings, overrides and isolates
 * (U+202A..U+202E, U+2066..U+2069), the directional marks (U+200E, U+200F,
 * U+061C) and the line and paragraph separators (U+2028, U+2029).  Text
 * shown on a terminal or written as JSON escapes them as it escapes C0/C1.
 */
long utf8_invisible(const unsigned char *p, size_t n);

/*
 * Make untrusted text safe for a terminal or a one-line message: control
 * bytes become \xNN (\n, \r, \t shown as \n, \r, \t), DEL and invalid UTF-8
 * become \xNN, invisible controls (utf8_invisible) \uXXXX, backslash
 * becomes \\.  Other valid UTF-8 is kept.  Caller frees.
 */
char *str_sanitize(const char *s, size_t len);

/*
 * The last line of defence before text reaches a terminal, for text that
 * may already have been through str_sanitize (the core escapes what it
 * quotes): the same escapes except that a backslash is kept as it is, so
 * sanitized text comes out unchanged (escaped once, never "\\x1b") and
 * raw text still cannot move the cursor, change colours or reorder what
 * follows.  Caller frees.
 */
char *str_shown(const char *s, size_t len);

#endif
