/* diff.h: unified diffs of configuration documents.
 *
 * The output is what `diff -u --label NAME1 --label NAME2 FILE1 FILE2`
 * (GNU diffutils) prints: "--- NAME1" and "+++ NAME2" headers, hunks
 * "@@ -l,n +l,n @@" with 3 lines of context (",n" left out when n is 1;
 * an empty range written "l,0" with l the line before it), lines as in
 * the files (CRLF kept) and "\ No newline at end of file" after a last
 * line without terminator.  Lines are compared byte for byte, terminator
 * included.  The algorithm is Myers' O((N+M)D) with linear space on
 * hashed lines, after the common prefix and suffix are set aside.
 */
#ifndef NOTSPAM_DIFF_H
#define NOTSPAM_DIFF_H

#include <stddef.h>

#include "core/conf/conf.h"

/* Lines of context around each change, as diff -u. */
#define CONF_DIFF_CONTEXT 3

/*
 * The unified diff turning text a (alen bytes) into text b, with names
 * aname and bname in the headers.  Returns "" when the texts are equal,
 * else the diff; caller frees.  *len (if not NULL) gets its length.
 */
char *conf_diff_text(const char *a, size_t alen, const char *b, size_t blen,
    const char *aname, const char *bname, size_t *len);

/*
 * The unified diff of two documents (usually a document before and after
 * edits), named "a/PATH" and "b/PATH" after each document's path without
 * its leading '/', as git and most patches do.  Caller frees.
 */
char *conf_diff(const struct conf_doc *a, const struct conf_doc *b,
    size_t *len);

#endif
