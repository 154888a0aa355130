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
