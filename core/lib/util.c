/* util.c: checked allocation, buffers, string vectors, sanitizing. */
#include "core/lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void (*fatal_hook)(void);

void
util_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook != NULL) {
		void (*hook)(void) = fatal_hook;
		fatal_hook = NULL;
		hook();
	}
	fputs("notspam: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(70);
}

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatal("out of memory allocating %zu bytes", size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if (SIZE_MAX / n < size)
		fatal("allocation overflow: %zu x %zu", n, size);
	if ((p = realloc(old, n * size)) == NULL)
		fatal("out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

void *
xgrow(void *v, size_t n, size_t size)
{
	size_t cap;

	/* Grow at 0, 8, 16, 32 ...: exactly where the implied capacity is full. */
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
		cap = n == 0 ? 8 : n * 2;
		if (cap < n)
			fatal("allocation overflow: %zu elements", n);
		v = xreallocarray(v, cap, size);
	}
	memset((char *)v + n * size, 0, size);
	return v;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len = strnlen(s, n);

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *p;

	if (fmt == NULL)
		fatal("xvasprintf: no format");
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatal("bad format string");
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int
error_set(char **cause, const char *fmt, ...)
{
	va_list ap;

	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	*cause = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->size = 0;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->size) {
		size_t size = b->size ? b->size : 64;
		while (size < b->len + n + 1)
			size *= 2;
		b->data = xreallocarray(b->data, size, 1);
		b->size = size;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_adds(b, s);
	free(s);
}

char *
buf_steal(struct buf *b)
{
	char *p;

	if (b->data == NULL)
		buf_add(b, "", 0);
	p = b->data;
	buf_init(b);
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
strv_init(struct strv *sv)
{
	sv->v = NULL;
	sv->n = sv->size = 0;
}

void
strv_add(struct strv *sv, const char *s)
{
	if (sv->n + 2 > sv->size) {
		sv->size = sv->size ? sv->size * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->size, sizeof *sv->v);
	}
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void
strv_addf(struct strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(sv, s);
	free(s);
}

int
strv_find(const struct strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], s) == 0)
			return (int)i;
	return -1;
}

int
strv_add_unique(struct strv *sv, const char *s)
{
	if (strv_find(sv, s) != -1)
		return 0;
	strv_add(sv, s);
	return 1;
}

static int
strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
strv_sort(struct strv *sv)
{
	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof *sv->v, strv_cmp);
}

void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strv_init(sv);
}

char *
str_trim(char *s)
{
	size_t len = strlen(s), start = 0;

	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	s[len] = '\0';
	while (s[start] == ' ' || s[start] == '\t' || s[start] == '\r' ||
	    s[start] == '\n')
		start++;
	if (start > 0)
		memmove(s, s + start, len - start + 1);
	return s;
}

char *
str_lower(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int
str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_casestartswith(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void
str_split(const char *s, const char *seps, struct strv *out)
{
	const char *p = s;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, seps);
		n = strcspn(p, seps);
		if (n > 0) {
			char *w = xstrndup(p, n);
			strv_add(out, w);
			free(w);
		}
		p += n;
	}
}

size_t
utf8_seqlen(const unsigned char *p, size_t avail)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	if (n > avail)
		return 0;
	cp = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 ||
	    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080..U+009F) can act as terminal escapes. */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return n;
}

long
utf8_invisible(const unsigned char *p, size_t n)
{
	long cp;

	if (n == 2 && p[0] == 0xd8 && p[1] == 0x9c)
		return 0x061c;			/* ARABIC LETTER MARK */
	if (n != 3 || p[0] != 0xe2 || (p[1] != 0x80 && p[1] != 0x81))
		return 0;
	cp = 0x2000 | ((long)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
	if (cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return cp;
	return 0;
}

/* str_sanitize() and str_shown(): keep_backslash for the second. */
static char *
str_escape(const char *s, size_t len, int keep_backslash)
{
	struct buf b;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	long cp;

	buf_init(&b);
	while (i < len) {
		unsigned char c = p[i];
		if (c == '\\')
			buf_adds(&b, keep_backslash ? "\\" : "\\\\");
		else if (c == '\n')
			buf_adds(&b, "\\n");
		else if (c == '\r')
			buf_adds(&b, "\\r");
		else if (c == '\t')
			buf_adds(&b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else if (c < 0x80)
			buf_addc(&b, (char)c);
		else if ((n = utf8_seqlen(p + i, len - i)) > 0) {
			if ((cp = utf8_invisible(p + i, n)) != 0)
				buf_printf(&b, "\\u%04lx", cp);
			else
				buf_add(&b, p + i, n);
			i += n;
			continue;
		} else
			buf_printf(&b, "\\x%02x", c);
		i++;
	}
	return buf_steal(&b);
}

char *
str_sanitize(const char *s, size_t len)
{
	return str_escape(s, len, 0);
}

char *
str_shown(const char *s, size_t len)
{
	return str_escape(s, len, 1);
}

/* FNV-1a over the lower-cased bytes. */
static size_t
strmap_hash(const char *key)
{
	uint64_t h = 14695981039346656037ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		h ^= (uint64_t)tolower(*p);
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

void
strmap_init(struct strmap *m)
{
	m->v = NULL;
	m->size = m->n = 0;
}

/* The slot of key, or of the empty slot where it would go. */
static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = strmap_hash(key) & (m->size - 1);

	while (m->v[i].key != NULL && strcasecmp(m->v[i].key, key) != 0)
		i = (i + 1) & (m->size - 1);
	return i;
}

int
strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	size_t i;

	if (m->size == 0)
		return 0;
	i = strmap_slot(m, key);
	if (m->v[i].key == NULL)
		return 0;
	if (val != NULL)
		*val = m->v[i].val;
	return 1;
}

void
strmap_put(struct strmap *m, const char *key, size_t val)
{
	struct strmap old = *m;
	size_t i;

	if (m->size == 0 || (m->n + 1) * 2 > m->size) {
		m->size = m->size ? m->size * 2 : 16;
		m->v = xcalloc(m->size, sizeof *m->v);
		for (i = 0; i < old.size; i++)
			if (old.v[i].key != NULL)
				m->v[strmap_slot(m, old.v[i].key)] = old.v[i];
		free(old.v);
	}
	i = strmap_slot(m, key);
	if (m->v[i].key == NULL) {
		m->v[i].key = xstrdup(key);
		m->n++;
	}
	m->v[i].val = val;
}

void
strmap_free(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->size; i++)
		free(m->v[i].key);
	free(m->v);
	strmap_init(m);
}
