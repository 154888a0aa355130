/* conf_int.h: what the conf_*.c grammar modules share (not a public API).
 *
 * conf.c splits the input into physical lines and calls one grammar parser,
 * which appends entries with conf_entry_add().  Parsers return 0, or -1 with
 * *cause set to a message starting "path:line: ".
 */
#ifndef NOTSPAM_CONF_INT_H
#define NOTSPAM_CONF_INT_H

#include <stddef.h>

#include "core/conf/conf.h"
#include "core/lib/util.h"

/* Longest quoted snippet of input in a message, in bytes before escaping. */
#define CONF_SNIPPET_MAX 60

/* Length of a physical line without its terminator ("\n" or "\r\n"). */
size_t	conf_line_body(const struct conf_line *);

/* A sanitized copy of at most CONF_SNIPPET_MAX bytes of s, with "..." when
 * cut; caller frees. */
char	*conf_snippet(const char *s, size_t len);

/* Whether c is a blank (space or tab). */
int	 conf_isblank(int c);

/* Append an entry spanning lines [first, first + count).  key and value are
 * copied; argv is emptied (its strings move into the entry). */
void	 conf_entry_add(struct conf_doc *, size_t first, size_t count,
	    const char *key, const char *value, struct strv *argv,
	    int is_macro);

/* Whether a line is blank or a comment under the Postfix rules. */
int	 conf_postfix_filler(const struct conf_line *);

/* Grammar parsers. */
int	 conf_parse_postfix(struct conf_doc *, char **cause);
int	 conf_parse_smtpd(struct conf_doc *, const char *data, size_t len,
	    char **cause);
int	 conf_parse_simple(struct conf_doc *, char **cause);

#endif
