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

/* Give the last entry added its raw words (smtpd.conf, master.cf); raw
 * is emptied (its strings move into the entry); raw_value is copied, or
 * NULL to share the entry's value. */
void	 conf_entry_set_raw(struct conf_doc *, const char *raw_value,
	    struct strv *raw);

/* Whether a line is blank or a comment under the Postfix rules. */
int	 conf_postfix_filler(const struct conf_line *);

/*
 * An edit in the making: physical lines [first, first + count) are
 * replaced by text (whole lines, terminators included).  When first is
 * nlines (an addition at the end) and the last line has no terminator,
 * it gets one first.
 */
struct conf_patch {
	size_t		first;
	size_t		count;
	struct buf	text;
};

void	 conf_patch_init(struct conf_patch *, size_t first, size_t count);
void	 conf_patch_free(struct conf_patch *);
/* Add body plus the file's own line ending. */
void	 conf_patch_line(const struct conf_doc *, struct conf_patch *,
	    const char *body, size_t len);
/* Add text's lines ("\n"-separated) each with the file's line ending. */
void	 conf_patch_lines(const struct conf_doc *, struct conf_patch *,
	    const char *text);
/* The file's own line ending: "\r\n" when most lines use it, else "\n". */
const char *conf_doc_eol(const struct conf_doc *);

/*
 * Apply patch p to a copy of doc and parse it: entries [0, at) and those
 * after at + removed must be unchanged (moved at most), `added` new ones
 * in their place.  Returns the new document (caller adopts or frees it),
 * or NULL with *cause set.
 */
struct conf_doc *conf_commit(const struct conf_doc *, const struct conf_patch *,
	    size_t at, size_t removed, size_t added, char **cause);
/* Move the lines and entries of src into doc and free src. */
void	 conf_adopt(struct conf_doc *, struct conf_doc *src);
/* Check that text is one statement safe to write in doc's grammar. */
int	 conf_check_text(const struct conf_doc *, const char *text,
	    char **cause);
/* Index of entry e in doc, or -1 with *cause if e is not one of them. */
int	 conf_entry_index(const struct conf_doc *, const struct conf_entry *,
	    size_t *idx, char **cause);
/* smtpd.conf: check quotes, comments and continuations of statement text. */
int	 conf_smtpd_check(const struct conf_doc *, const char *text,
	    char **cause);

/* Grammar parsers. */
int	 conf_parse_postfix(struct conf_doc *, char **cause);
int	 conf_parse_smtpd(struct conf_doc *, const char *data, size_t len,
	    char **cause);
int	 conf_parse_simple(struct conf_doc *, char **cause);

#endif
