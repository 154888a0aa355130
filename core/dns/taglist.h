/* taglist.h: tag=value lists (RFC 6376 section 3.2), the syntax of DKIM key
 * records and of DMARC records alike: "tag=value" pairs separated by ';',
 * blanks around tags and values ignored, empty segments allowed. */
#ifndef NOTSPAM_TAGLIST_H
#define NOTSPAM_TAGLIST_H

#include <stddef.h>

#define TAGLIST_FOLD	0x1	/* tag names are case-insensitive (DMARC):
				   passed and compared in lower case */
#define TAGLIST_VALCHAR	0x2	/* values must be VALCHARs or blanks (DKIM) */

/* One pair: index counts pairs from 0.  Returns 0, or -1 with *cause. */
typedef int (*taglist_cb)(const char *name, char *value, int index,
    void *arg, char **cause);

/*
 * Walk the list from s to end (no NUL inside), calling cb for each pair in
 * order.  A segment that is not a pair, a bad tag name
 * (ALPHA *(ALPHA / DIGIT / "_")), a tag given twice (or one of the
 * NULL-terminated `seen` names, which the caller has already read), or a
 * bad value byte stops the walk with -1 and *cause saying which.
 */
int taglist_parse(const char *s, const char *end, int flags,
    const char *const *seen, taglist_cb cb, void *arg, char **cause);

/* Is c a blank between tags (space, tab, CR, LF)? */
int taglist_blank(char c);

/* The text from s to e without blanks at both ends; caller frees. */
char *taglist_trimmed(const char *s, const char *e);

#endif
