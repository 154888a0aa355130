/* msg.h: a received message (RFC 5322) split into its header fields and
 * its body, for verification (core/mail/dkimverify.h, core/mail/verify.h).
 *
 * The input is what a mailbox or a webmail's "show original" saves: lines
 * ended by CRLF or by a bare LF (both read as one line end; the message is
 * kept with CRLF, as it travelled and as DKIM hashes it), an mbox "From "
 * line first is skipped.  A field starts with a name of printable ASCII
 * other than ':' (blanks allowed before the colon, RFC 5322 obsolete
 * syntax) and goes on over the lines that start with a blank (folding).
 * The header ends at the first empty line; a message without one is all
 * header.  Repeated fields are kept, in order.  Any byte is allowed in
 * values and body (NUL included: use the lengths).
 *
 * Limits: MSG_SIZE_MAX bytes in all, MSG_FIELDS_MAX header fields; a
 * message over either is refused (never truncated), as is a header line
 * that is not a field.
 */
#ifndef NOTSPAM_MSG_H
#define NOTSPAM_MSG_H

#include <stddef.h>

#define MSG_SIZE_MAX	(64u * 1024 * 1024)
#define MSG_FIELDS_MAX	10000

struct msg_field {
	char	*name;		/* as written, without blanks before ':' */
	char	*raw;		/* the whole field as received, folding kept,
				   every line ended by CRLF */
	size_t	 rawlen;
	char	*value;		/* after the colon, unfolded (the CRLFs of
				   the folding removed), blanks trimmed at
				   both ends */
	size_t	 valuelen;
	size_t	 line;		/* line number of its first line, from 1 */
};

struct msg {
	struct msg_field *fields;	/* in the order of the message */
	size_t		  nfields;
	char		 *body;		/* after the empty line, CRLF line
					   ends; NUL-terminated */
	size_t		  bodylen;
	int		  has_body;	/* the header ended with an empty line */
	int		  bare_lf;	/* the input had LF line ends */
};

/*
 * Parse len bytes of data.  Returns the message (free with msg_free), or
 * NULL with *cause (caller frees): too large, too many fields, or the
 * line (by number) that is neither a field, a folded line nor the empty
 * line.
 */
struct msg *msg_parse(const char *data, size_t len, char **cause);
void msg_free(struct msg *);

/*
 * Read a whole message from path ("-": standard input), at most
 * MSG_SIZE_MAX bytes.  Returns 0 with *data (caller frees, NUL-terminated)
 * and *len, or -1 with *cause naming the file (unreadable, too large:
 * "FILE is larger than 64 MiB: not a message notspam reads").
 */
int msg_read(const char *path, char **data, size_t *len, char **cause);

/* The next field named name (case-insensitive) at index *i or after, or
 * NULL; *i is left after the one returned.  Start with *i = 0. */
const struct msg_field *msg_next(const struct msg *, const char *name,
    size_t *i);
/* The number of fields named name. */
size_t msg_count(const struct msg *, const char *name);

/*
 * The domain of the address of a From value ("Alice <alice@Example.ORG>",
 * "alice@example.org (Alice)"): lower case, without a final dot.  NULL
 * (with *cause) when there is no address, or more than one (RFC 7489
 * §6.6.1: such a message has no single author domain).  Caller frees.
 */
char *msg_from_domain(const char *value, char **cause);

/* The address of a Return-Path value ("<bob@example.org>"): the text
 * between the angle brackets, or the whole trimmed value without them;
 * "" for the null sender "<>".  Caller frees. */
char *msg_return_path(const char *value);

#endif
