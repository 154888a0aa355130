/* dnsname.c: DNS names as text: normalized, compared, under a zone. */
#include "core/lib/dnsname.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/lib/util.h"

char *
dnsname_norm(const char *name)
{
	char *s = str_lower(xstrdup(name));
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

char *
dnsname_norm_into(const char *name, char *buf, size_t size)
{
	size_t n = strlen(name), i;

	if (n >= size)
		return NULL;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	if (n > 1 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	return buf;
}

int
dnsname_equal(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na > 1 && a[na - 1] == '.')
		na--;
	if (nb > 1 && b[nb - 1] == '.')
		nb--;
	return na == nb && strncasecmp(a, b, na) == 0;
}

int
dnsname_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);

	if (n == z)
		return strcasecmp(name, zone) == 0;
	return n > z && name[n - z - 1] == '.' &&
	    strcasecmp(name + n - z, zone) == 0;
}

/* The length of name without one final dot; 0 for "" and ".". */
static size_t
dnsname_len(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n;
}

int
dnsname_host_ok(const char *name)
{
	size_t n = dnsname_len(name), i, label = 0;
	unsigned char c;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (c == '-' && label == 0)
			return 0;
		if (c != '-' && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && name[n - 1] != '-';
}

int
dnsname_query_ok(const char *name)
{
	size_t n = dnsname_len(name), i, label = 0;
	unsigned char c;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '\\' || ++label > 63)
			return 0;
	}
	return label > 0;
}
