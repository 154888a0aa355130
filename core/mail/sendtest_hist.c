/* sendtest_hist.c: the history of the tests read back (sendtest.h
 * sendtest_history): SENDTEST_HISTORY under the site's root, one flat JSON
 * object a line as core/mail/sendtest.c writes it.  The file is
 * untrusted like any other: a line that is not such an object, or not a
 * test, is skipped; every string kept is escaped again for display
 * (str_shown), whatever its JSON escapes decode to. */
#include "core/mail/sendtest.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/fsroot.h"
#include "core/site/session.h"
#include "core/site/site.h"

/* The site root of the session, or NULL. */
static const char *
hj_root(const struct session *s)
{
	return s->site != NULL ? s->site->root : NULL;
}

/* Append code point c as UTF-8 (U+FFFD for a surrogate or beyond). */
static void
hj_utf8(struct buf *b, unsigned long c)
{
	if (c >= 0xd800 && c <= 0xdfff)
		c = 0xfffd;
	if (c < 0x80)
		buf_addc(b, (char)c);
	else if (c < 0x800) {
		buf_addc(b, (char)(0xc0 | (c >> 6)));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_addc(b, (char)(0xe0 | (c >> 12)));
		buf_addc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | (c >> 18)));
		buf_addc(b, (char)(0x80 | ((c >> 12) & 0x3f)));
		buf_addc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		buf_addc(b, (char)(0x80 | (c & 0x3f)));
	}
}

static const char *
hj_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Four hex digits at p, or -1. */
static long
hj_hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++, p++) {
		v <<= 4;
		if (*p >= '0' && *p <= '9')
			v |= *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v |= *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v |= *p - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The JSON string at p ('"') decoded into out; the position after it,
 * or NULL when it is malformed. */
static const char *
hj_string(const char *p, const char *end, struct buf *out)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	const char *e;
	long c, lo;

	if (p >= end || *p++ != '"')
		return NULL;
	while (p < end && *p != '"') {
		if (*p != '\\') {
			buf_addc(out, *p++);
			continue;
		}
		if (++p >= end)
			return NULL;
		if (*p == 'u') {
			if ((c = hj_hex4(p + 1, end)) < 0)
				return NULL;
			p += 5;
			if (c >= 0xd800 && c <= 0xdbff && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    (lo = hj_hex4(p + 2, end)) >= 0xdc00 &&
			    lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			hj_utf8(out, (unsigned long)c);
			continue;
		}
		if ((e = strchr(esc, *p)) == NULL || *p == '\0')
			return NULL;
		buf_addc(out, val[e - esc]);
		p++;
	}
	return p < end ? p + 1 : NULL;
}

/* The field of h named key, or NULL for one not kept. */
static char **
hj_slot(struct sendtest_hist *h, const char *key)
{
	if (strcmp(key, "to") == 0)
		return &h->to;
	if (strcmp(key, "route") == 0)
		return &h->route;
	if (strcmp(key, "verdict") == 0)
		return &h->verdict;
	if (strcmp(key, "queue_id") == 0)
		return &h->queue_id;
	if (strcmp(key, "remote_reply") == 0)
		return &h->remote_reply;
	if (strcmp(key, "summary") == 0)
		return &h->summary;
	return NULL;
}

/* One line of the history (a flat JSON object) into h; -1 when it is not
 * a test (h then holds what was read: free it). */
static int
hj_line(const char *p, const char *end, struct sendtest_hist *h)
{
	struct buf key, val;
	char **slot;
	const char *q;
	long long t;
	int rc = -1, neg;

	buf_init(&key);
	buf_init(&val);
	p = hj_ws(p, end);
	if (p >= end || *p++ != '{')
		goto done;
	for (;;) {
		p = hj_ws(p, end);
		if (p < end && *p == '}')
			break;
		key.len = 0;
		val.len = 0;
		if ((p = hj_string(p, end, &key)) == NULL)
			goto done;
		buf_addc(&key, '\0');
		p = hj_ws(p, end);
		if (p >= end || *p++ != ':')
			goto done;
		p = hj_ws(p, end);
		if (p < end && *p == '"') {
			if ((p = hj_string(p, end, &val)) == NULL)
				goto done;
			if ((slot = hj_slot(h, key.data)) != NULL) {
				free(*slot);
				*slot = str_shown(val.data, val.len);
			}
		} else if (p < end && (*p == '-' || (*p >= '0' && *p <= '9'))) {
			neg = *p == '-';
			p += neg;
			for (t = 0, q = p; p < end && *p >= '0' && *p <= '9';
			    p++)
				if (t < LLONG_MAX / 10)
					t = t * 10 + (*p - '0');
			if (p == q)
				goto done;
			if (strcmp(key.data, "time") == 0)
				h->time = (time_t)(neg ? -t : t);
		} else {
			for (q = p; p < end && *p >= 'a' && *p <= 'z'; p++)
				;
			if (!((p - q == 4 && (strncmp(q, "null", 4) == 0 ||
			    strncmp(q, "true", 4) == 0)) || (p - q == 5 &&
			    strncmp(q, "false", 5) == 0)))
				goto done;
		}
		p = hj_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		goto done;
	}
	rc = h->to != NULL && h->verdict != NULL && h->time > 0 ? 0 : -1;
done:
	buf_free(&key);
	buf_free(&val);
	return rc;
}

static void
hj_clear(struct sendtest_hist *h)
{
	free(h->to);
	free(h->route);
	free(h->verdict);
	free(h->queue_id);
	free(h->remote_reply);
	free(h->summary);
	memset(h, 0, sizeof *h);
}

int
sendtest_history(const struct session *s, size_t max,
    struct sendtest_hist **vp, size_t *np, char **cause)
{
	struct sendtest_hist *v = NULL, h;
	const char *p, *nl, *end;
	char *data;
	size_t len, n = 0;

	*vp = NULL;
	*np = 0;
	if (fsroot_read(hj_root(s), SENDTEST_HISTORY, 0, &data, &len,
	    cause) != 0) {
		if (!fsroot_exists(hj_root(s), SENDTEST_HISTORY)) {
			free(*cause);
			*cause = NULL;
			return 0;
		}
		return -1;
	}
	end = data + len;
	for (p = data; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		memset(&h, 0, sizeof h);
		if (hj_line(p, nl, &h) != 0) {
			hj_clear(&h);
			continue;
		}
		v = xgrow(v, n, sizeof *v);
		v[n++] = h;
	}
	free(data);
	if (max > 0 && n > max) {
		for (len = 0; len < n - max; len++)
			hj_clear(&v[len]);
		memmove(v, v + (n - max), max * sizeof *v);
		n = max;
	}
	*vp = v;
	*np = n;
	return 0;
}

void
sendtest_hist_free(struct sendtest_hist *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		hj_clear(&v[i]);
	free(v);
}
