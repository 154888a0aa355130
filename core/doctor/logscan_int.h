/* logscan_int.h: what logscan.c and logscan_rules.c share (not an API). */
#ifndef NOTSPAM_LOGSCAN_INT_H
#define NOTSPAM_LOGSCAN_INT_H

#include <stddef.h>

#include "core/doctor/logscan.h"

/* What one line says, when it matches a known cause.  The strings are
 * raw (not yet sanitized), allocated, NULL when the line gives none. */
struct logscan_hit {
	enum logscan_cause	 cause;
	char			*endpoint;
	char			*address;	/* canonical already */
	char			*domain;	/* lower case already */
	char			*detail;
};

/* Does the message (the text after "tag[pid]: ") match a known cause?
 * 1 and *hit filled (free with logscan_hit_free), or 0. */
int logscan_rules_match(const char *msg, size_t len, struct logscan_hit *hit);
void logscan_hit_free(struct logscan_hit *);

/* memmem for the rules and the scanner: linear (glibc's two-way). */
const char *logscan_find(const char *s, size_t len, const char *needle);

/* For logscan_journal.c: a source named "journal" begun and ended, and
 * one record in it as a parsed line (raw text p, n for the match). */
struct logscan_source *logscan_journal_begin(struct logscan *);
void logscan_journal_end(struct logscan *);
void logscan_journal_line(struct logscan *, const struct logscan_line *,
    const char *p, size_t n);

#endif
