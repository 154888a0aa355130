/* taglist.c: the tag=value list walker shared by DKIM and DMARC. */
#include "core/dns/taglist.h"

#include <stdlib.h>
#include <string.h>

#include "core/lib/util.h"

int
taglist_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char *
taglist_trimmed(const char *s, const char *e)
{
	while (s < e && taglist_blank(*s))
		s++;
	while (e > s && taglist_blank(e[-1]))
		e--;
	return xstrndup(s, (size_t)(e - s));
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is name a tag-name (ALPHA *(ALPHA / DIGIT / "_"))? */
static int
tagname_ok(const char *name)
{
	const char *p;

	if (!is_alpha(*name))
		return 0;
	for (p = name + 1; *p != '\0'; p++)
		if (!is_alpha(*p) && !(*p >= '0' && *p <= '9') && *p != '_')
			return 0;
	return 1;
}

/* Is every byte of the value a VALCHAR (%x21-3A, %x3C-7E) or a blank? */
static int
valchars_ok(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (!taglist_blank((char)*p) && (*p < 0x21 || *p > 0x7e ||
		    *p == ';'))
			return 0;
	return 1;
}

int
taglist_parse(const char *s, const char *end, int flags,
    const char *const *seen, taglist_cb cb, void *arg, char **cause)
{
	struct strv names;
	const char *semi, *eq;
	char *name = NULL, *value = NULL, *safe;
	int rc = -1, index = 0;
	size_t i;

	strv_init(&names);
	for (i = 0; seen != NULL && seen[i] != NULL; i++)
		strv_add(&names, seen[i]);
	while (s < end) {
		if ((semi = memchr(s, ';', (size_t)(end - s))) == NULL)
			semi = end;
		if ((eq = memchr(s, '=', (size_t)(semi - s))) == NULL) {
			value = taglist_trimmed(s, semi);
			if (*value != '\0') {
				safe = str_sanitize(value, strlen(value));
				error_set(cause, "\"%s\" is not a tag=value"
				    " pair", safe);
				free(safe);
				goto done;
			}
			free(value);
			value = NULL;
			s = semi + (semi < end);
			continue;
		}
		name = taglist_trimmed(s, eq);
		if (flags & TAGLIST_FOLD)
			str_lower(name);
		value = taglist_trimmed(eq + 1, semi);
		if (!tagname_ok(name)) {
			safe = str_sanitize(name, strlen(name));
			error_set(cause, "bad tag name \"%s\"", safe);
			free(safe);
			goto done;
		}
		/* Names are compared exactly (folded first when asked). */
		for (i = 0; i < names.n; i++)
			if (strcmp(names.v[i], name) == 0)
				break;
		if (i < names.n) {
			error_set(cause, "tag %s= appears twice", name);
			goto done;
		}
		strv_add(&names, name);
		if ((flags & TAGLIST_VALCHAR) && !valchars_ok(value)) {
			error_set(cause, "tag %s= holds a byte not allowed in"
			    " a tag value", name);
			goto done;
		}
		if (cb(name, value, index++, arg, cause) != 0)
			goto done;
		free(name);
		free(value);
		name = value = NULL;
		s = semi + (semi < end);
	}
	rc = 0;
done:
	free(name);
	free(value);
	strv_free(&names);
	return rc;
}
