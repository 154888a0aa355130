/* dmarc.c: DMARC policy records. */
#include "core/dns/dmarc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/dns/taglist.h"
#include "core/lib/util.h"

/* Length of the "v=DMARC1" version tag at the start of text, or 0. */
static size_t
dmarc_version_len(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && taglist_blank(text[i]))
		i++;
	if (i >= len || text[i] != 'v')
		return 0;
	i++;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (i >= len || text[i] != '=')
		return 0;
	i++;
	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (len - i < 6 || memcmp(text + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	if (i < len && text[i] != ';' && !taglist_blank(text[i]))
		return 0;
	return i;
}

int
dmarc_is_record(const char *text, size_t len)
{
	return dmarc_version_len(text, len) > 0;
}

/* Is s one of the '|'-separated words of set (case-insensitive)? */
static int
dmarc_oneof(const char *s, const char *set)
{
	size_t n = strlen(s);
	const char *p = set, *e;

	for (;;) {
		e = p + strcspn(p, "|");
		if ((size_t)(e - p) == n && strncasecmp(p, s, n) == 0)
			return 1;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

/* Is every ':'-separated item of s one of set's words? */
static int
dmarc_listof(const char *s, const char *set)
{
	struct strv v;
	size_t i;
	int ok;

	strv_init(&v);
	str_split(s, ":", &v);
	ok = v.n > 0;
	for (i = 0; i < v.n; i++)
		if (!dmarc_oneof(str_trim(v.v[i]), set))
			ok = 0;
	strv_free(&v);
	return ok;
}

/* Parse an unsigned decimal of at most max; -1 when it is not one. */
static long long
dmarc_number(const char *s, long long max)
{
	long long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
		if (n > max)
			return -1;
	}
	return n;
}

static int
dmarc_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %-decode s (RFC 3986); NULL when an escape is malformed or gives NUL. */
static char *
dmarc_unescape(const char *s)
{
	struct buf b;
	int h, l;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			buf_addc(&b, *s);
			continue;
		}
		if ((h = dmarc_hex(s[1])) < 0 || (l = dmarc_hex(s[2])) < 0 ||
		    (h == 0 && l == 0)) {
			buf_free(&b);
			return NULL;
		}
		buf_addc(&b, (char)(h * 16 + l));
		s += 2;
	}
	if (b.data == NULL)
		buf_addc(&b, '\0');
	return buf_steal(&b);
}

/* The mailto: address of u->uri into u->address / u->domain. */
static int
dmarc_mailto(struct dmarc_uri *u, const char *rest, char **cause)
{
	char *raw, *at, *safe;
	size_t n;

	raw = xstrndup(rest, strcspn(rest, "?"));
	u->address = dmarc_unescape(raw);
	free(raw);
	if (u->address == NULL || (at = strrchr(u->address, '@')) == NULL ||
	    at == u->address || at[1] == '\0' || strcspn(at + 1,
	    " \t\r\n,!;@") != strlen(at + 1)) {
		safe = str_sanitize(u->uri, strlen(u->uri));
		error_set(cause, "%s is not a mailto: address", safe);
		free(safe);
		return -1;
	}
	u->domain = str_lower(xstrdup(at + 1));
	n = strlen(u->domain);
	if (n > 1 && u->domain[n - 1] == '.')
		u->domain[n - 1] = '\0';
	return 0;
}

/* Parse one URI of a rua/ruf list ("mailto:a@b!10m"). */
static int
dmarc_uri(struct dmarc_uri *u, const char *tag, const char *text,
    char **cause)
{
	const char *bang, *s;
	char *safe;
	unsigned long long mult = 1;
	long long n;
	char *digits;

	memset(u, 0, sizeof *u);
	bang = text + strcspn(text, "!");
	u->uri = xstrndup(text, (size_t)(bang - text));
	if (*bang == '!') {
		s = bang + 1;
		digits = xstrndup(s, strspn(s, "0123456789"));
		s += strlen(digits);
		if (*s == 'k' || *s == 'K')
			mult = 1024ULL;
		else if (*s == 'm' || *s == 'M')
			mult = 1024ULL * 1024;
		else if (*s == 'g' || *s == 'G')
			mult = 1024ULL * 1024 * 1024;
		else if (*s == 't' || *s == 'T')
			mult = 1024ULL * 1024 * 1024 * 1024;
		if (mult != 1)
			s++;
		n = dmarc_number(digits, 1000000000LL);
		free(digits);
		if (n < 0 || *s != '\0') {
			safe = str_sanitize(bang, strlen(bang));
			error_set(cause, "%s=: bad size limit \"%s\" (a number"
			    " with k, m, g or t)", tag, safe);
			free(safe);
			return -1;
		}
		u->limit = (unsigned long long)n * mult;
	}
	s = u->uri;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		goto bad;
	s += strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789+.-");
	if (*s != ':')
		goto bad;
	u->scheme = str_lower(xstrndup(u->uri, (size_t)(s - u->uri)));
	if (strcmp(u->scheme, "mailto") == 0)
		return dmarc_mailto(u, s + 1, cause);
	return 0;
bad:
	safe = str_sanitize(u->uri, strlen(u->uri));
	error_set(cause, "%s=: \"%s\" is not a URI (mailto:address)", tag,
	    safe);
	free(safe);
	return -1;
}

static void
dmarc_uris_free(struct dmarc_uri *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(u[i].uri);
		free(u[i].scheme);
		free(u[i].address);
		free(u[i].domain);
	}
	free(u);
}

/* A rua/ruf list: URIs separated by commas. */
static int
dmarc_uris(const char *tag, const char *value, struct dmarc_uri **out,
    size_t *nout, char **cause)
{
	struct strv v;
	size_t i;
	int rc = 0;

	strv_init(&v);
	str_split(value, ",", &v);
	if (v.n == 0) {
		strv_free(&v);
		return error_set(cause, "%s= is empty", tag);
	}
	*out = xcalloc(v.n, sizeof **out);
	for (i = 0; i < v.n; i++) {
		if (dmarc_uri(&(*out)[i], tag, str_trim(v.v[i]), cause) != 0) {
			*nout = i + 1;
			rc = -1;
			break;
		}
		*nout = i + 1;
	}
	strv_free(&v);
	return rc;
}

/* Report a value that is not one of the allowed words. */
static int
dmarc_badvalue(const char *tag, const char *value, const char *allowed,
    char **cause)
{
	char *safe = str_sanitize(value, strlen(value));
	int rc;

	rc = error_set(cause, "%s=%s is not %s", tag, safe, allowed);
	free(safe);
	return rc;
}

/* Store a policy-like keyword tag. */
static int
dmarc_word(char **slot, const char *tag, const char *value, const char *set,
    const char *allowed, char **cause)
{
	if (!dmarc_oneof(value, set))
		return dmarc_badvalue(tag, value, allowed, cause);
	*slot = str_lower(xstrdup(value));
	return 0;
}

/* Check and store one tag (name in lower case). */
static int
dmarc_tag(struct dmarc_rec *rec, const char *name, const char *value,
    char **cause)
{
	long long n;

	if (strcmp(name, "p") == 0)
		return dmarc_word(&rec->p, name, value, "none|quarantine|reject",
		    "none, quarantine or reject", cause);
	if (strcmp(name, "sp") == 0)
		return dmarc_word(&rec->sp, name, value,
		    "none|quarantine|reject", "none, quarantine or reject",
		    cause);
	if (strcmp(name, "np") == 0)
		return dmarc_word(&rec->np, name, value,
		    "none|quarantine|reject", "none, quarantine or reject",
		    cause);
	if (strcmp(name, "adkim") == 0)
		return dmarc_word(&rec->adkim, name, value, "r|s",
		    "r or s", cause);
	if (strcmp(name, "aspf") == 0)
		return dmarc_word(&rec->aspf, name, value, "r|s", "r or s",
		    cause);
	if (strcmp(name, "fo") == 0) {
		if (!dmarc_listof(value, "0|1|d|s"))
			return dmarc_badvalue(name, value, "a ':' list of 0, 1,"
			    " d, s", cause);
		rec->fo = xstrdup(value);
	} else if (strcmp(name, "rf") == 0) {
		if (!dmarc_listof(value, "afrf|iodef"))
			return dmarc_badvalue(name, value, "afrf", cause);
		rec->rf = xstrdup(value);
	} else if (strcmp(name, "pct") == 0) {
		if ((n = dmarc_number(value, 100)) < 0)
			return dmarc_badvalue(name, value, "a number from 0 to"
			    " 100", cause);
		rec->pct = (long)n;
	} else if (strcmp(name, "ri") == 0) {
		if ((n = dmarc_number(value, 4294967295LL)) < 0)
			return dmarc_badvalue(name, value, "a number of"
			    " seconds", cause);
		rec->ri = n;
	} else if (strcmp(name, "rua") == 0)
		return dmarc_uris(name, value, &rec->rua, &rec->nrua, cause);
	else if (strcmp(name, "ruf") == 0)
		return dmarc_uris(name, value, &rec->ruf, &rec->nruf, cause);
	return 0;
}

/* taglist_parse's callback: one pair after v=DMARC1. */
static int
dmarc_pair(const char *name, char *value, int index, void *arg,
    char **cause)
{
	(void)index;
	return dmarc_tag(arg, name, value, cause);
}

int
dmarc_parse(const char *text, size_t len, struct dmarc_rec *rec,
    char **cause)
{
	static const char *const version_seen[] = { "v", NULL };
	const char *s, *end = text + len;
	size_t vlen;
	int rc = -1;

	memset(rec, 0, sizeof *rec);
	rec->pct = -1;
	rec->ri = -1;
	if (memchr(text, '\0', len) != NULL) {
		error_set(cause, "the record holds a NUL byte");
		goto done;
	}
	if ((vlen = dmarc_version_len(text, len)) == 0) {
		error_set(cause, "the record does not start with v=DMARC1");
		goto done;
	}
	s = text + vlen;
	while (s < end && taglist_blank(*s))
		s++;
	if (s < end && *s != ';') {
		error_set(cause, "v=DMARC1 must be followed by \";\"");
		goto done;
	}
	if (s < end && taglist_parse(s + 1, end, TAGLIST_FOLD, version_seen,
	    dmarc_pair, rec, cause) != 0)
		goto done;
	if (rec->p == NULL && rec->nrua == 0) {
		error_set(cause, "no p= tag (the policy)");
		goto done;
	}
	rc = 0;
done:
	if (rc != 0)
		dmarc_free(rec);
	return rc;
}

void
dmarc_free(struct dmarc_rec *rec)
{
	if (rec == NULL)
		return;
	free(rec->p);
	free(rec->sp);
	free(rec->np);
	free(rec->adkim);
	free(rec->aspf);
	free(rec->fo);
	free(rec->rf);
	dmarc_uris_free(rec->rua, rec->nrua);
	dmarc_uris_free(rec->ruf, rec->nruf);
	memset(rec, 0, sizeof *rec);
	rec->pct = -1;
	rec->ri = -1;
}

char *
dmarc_org_domain(const char *name)
{
	char *s = str_lower(xstrdup(name)), *p, *last = NULL, *prev = NULL;
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			prev = last;
			last = p;
		}
	}
	if (prev != NULL)
		memmove(s, prev + 1, strlen(prev + 1) + 1);
	return s;
}
