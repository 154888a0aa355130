/* conf_smtpd.c: OpenSMTPD smtpd.conf (the 6.4+ grammar).
 *
 * The lexer follows smtpd's parse.y yylex()/lgetc():
 *  - outside quotes, backslash-newline joins two lines and "\x" is x;
 *  - '#' starts a comment up to the end of the line, outside quotes;
 *  - "..." and '...' are strings; inside them a newline is dropped and
 *    "\q", "\ " and "\<tab>" give the quote, space or tab (other
 *    backslashes are kept);
 *  - "$name" at the start of an unquoted word expands macro name (defined
 *    by an earlier "name = value"; the value is lexed again, without
 *    further expansion); an undefined macro is an error;
 *  - "{ } < > ! = , ( )" are tokens of their own, words are the other
 *    printable runs (bytes >= 0x80 count as word characters);
 *  - a newline ends the statement, except inside "{ }" (tables and filter
 *    chains may span lines).
 * smtpd itself refuses words longer than its 8096-byte buffer; so does
 * this lexer, which also bounds what macro expansion can produce.
 * A CR before LF is taken as part of the line ending.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf/conf.h"
#include "core/conf/conf_int.h"
#include "core/lib/util.h"

#define SMTPD_EOF	(-1)
#define SMTPD_NONE	(-2)
#define SMTPD_MAXWORD	8096
#define SMTPD_MAXSTMT	(1024 * 1024)

/*
 * The words of smtpd.conf's grammar that smtpd's lexer takes as keywords
 * (the keyword table of parse.y's lookup(), OpenSMTPD 7.x; older releases
 * know a subset), sorted for bsearch().
 */
static const char *const smtpd_keywords[] = {
	"action", "admd", "alias", "any", "auth", "auth-optional", "backup",
	"bounce", "bypass", "ca", "cert", "chain", "chroot", "ciphers",
	"commit", "compression", "connect", "data", "data-line", "dhe",
	"disconnect", "domain", "ehlo", "encryption", "expand-only", "fcrdns",
	"filter", "for", "forward-only", "from", "group", "helo", "helo-src",
	"host", "hostname", "hostnames", "include", "inet4", "inet6", "junk",
	"key", "limit", "listen", "lmtp", "local", "mail-from", "maildir",
	"mask-src", "masquerade", "match", "max-deferred", "max-message-size",
	"mbox", "mda", "mta", "mx", "no-dsn", "no-verify", "noop", "on",
	"phase", "pki", "port", "proc", "proc-exec", "protocols", "proxy-v2",
	"queue", "quit", "rcpt-to", "rdns", "received-auth", "recipient",
	"regex", "reject", "relay", "report", "rewrite", "rset", "scheduler",
	"senders", "smtp", "smtp-in", "smtp-out", "smtps", "socket", "src",
	"srs", "sub-addr-delim", "table", "tag", "tagged", "tls",
	"tls-require", "ttl", "user", "userbase", "verify", "virtual",
	"warn-interval", "wrapper",
};

static int
smtpd_keyword_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int
conf_smtpd_keyword(const char *word)
{
	return bsearch(word, smtpd_keywords, sizeof smtpd_keywords /
	    sizeof smtpd_keywords[0], sizeof smtpd_keywords[0],
	    smtpd_keyword_cmp) != NULL;
}

/* A character source: the file, or a macro value being expanded. */
struct smtpd_src {
	const char	*p;
	size_t		 len;
	size_t		 off;
	size_t		 line;		/* index of the physical line at off */
	int		 pb;		/* pushed-back character */
	size_t		 cstart;	/* where the last character began */
	size_t		 pb_start;	/* where the pushed-back one began */
};

struct smtpd_state {
	struct conf_doc	*doc;
	struct strv	 mnames;	/* macros, in definition order */
	struct strv	 mvalues;
	struct strmap	 mindex;	/* macro name -> its last index */
	struct strv	 raw;		/* the statement's tokens as written */
	struct strv	 toks;		/* the statement's tokens */
	struct buf	 quoted;	/* one byte a token: was it quoted */
	size_t		 bytes;
	size_t		 first;		/* the statement's first line */
	int		 started;
	size_t		 depth;		/* open braces */
	size_t		 brace_line;
};

/* The next character, outside quotes (backslash rules applied). */
static int
smtpd_getc(struct smtpd_src *src)
{
	int c;

	if (src->pb != SMTPD_NONE) {
		c = src->pb;
		src->pb = SMTPD_NONE;
		src->cstart = src->pb_start;
		if (c == '\n')
			src->line++;
		return c;
	}
	for (;;) {
		src->cstart = src->off;
		if (src->off >= src->len)
			return SMTPD_EOF;
		c = (unsigned char)src->p[src->off++];
		if (c != '\\')
			break;
		if (src->off < src->len && src->p[src->off] == '\n') {
			src->off++;
			src->line++;
			continue;
		}
		if (src->off + 1 < src->len && src->p[src->off] == '\r' &&
		    src->p[src->off + 1] == '\n') {
			src->off += 2;
			src->line++;
			continue;
		}
		if (src->off >= src->len)
			return SMTPD_EOF;
		c = (unsigned char)src->p[src->off++];
		break;
	}
	if (c == '\n')
		src->line++;
	return c;
}

/* The next raw character (inside quotes). */
static int
smtpd_rawc(struct smtpd_src *src)
{
	int c;

	if (src->pb != SMTPD_NONE) {
		c = src->pb;
		src->pb = SMTPD_NONE;
		src->cstart = src->pb_start;
	} else if (src->off >= src->len)
		return SMTPD_EOF;
	else {
		src->cstart = src->off;
		c = (unsigned char)src->p[src->off++];
	}
	if (c == '\n')
		src->line++;
	return c;
}

static void
smtpd_ungetc(struct smtpd_src *src, int c)
{
	if (c == SMTPD_EOF)
		return;
	if (c == '\n')
		src->line--;
	src->pb = c;
	src->pb_start = src->cstart;
}

/* Where the next character to read begins. */
static size_t
smtpd_pos(const struct smtpd_src *src)
{
	return src->pb != SMTPD_NONE ? src->pb_start : src->off;
}

/* Keep source bytes [start, end) as the token as written, without the
 * line breaks the lexer drops (continuations, newlines in quotes). */
static void
smtpd_add_raw(struct smtpd_state *st, const struct smtpd_src *src,
    size_t start, size_t end)
{
	struct buf b;
	const char *p = src->p;
	size_t i;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = start; i < end; i++) {
		if (p[i] == '\\' && i + 1 < end && p[i + 1] == '\n')
			i++;
		else if (p[i] == '\\' && i + 2 < end && p[i + 1] == '\r' &&
		    p[i + 2] == '\n')
			i += 2;
		else if (p[i] == '\r' && i + 1 < end && p[i + 1] == '\n')
			i++;
		else if (p[i] != '\n')
			buf_addc(&b, p[i]);
	}
	strv_add(&st->raw, b.data);
	buf_free(&b);
}

/* Whether the next raw character is a newline (for CR LF). */
static int
smtpd_peek_nl(const struct smtpd_src *src)
{
	if (src->pb != SMTPD_NONE)
		return src->pb == '\n';
	return src->off < src->len && src->p[src->off] == '\n';
}

/* Whether c continues an unquoted word (parse.y allowed_in_string). */
static int
smtpd_wordc(int c)
{
	if (c >= 0x80)
		return 1;
	if (c < 0 || !(isalnum(c) || ispunct(c)))
		return 0;
	return strchr("(){}<>!=#,", c) == NULL;
}

static int
smtpd_too_long(struct smtpd_state *st, size_t line, char **cause)
{
	return error_set(cause, "%s:%zu: a word longer than %d bytes (smtpd "
	    "refuses it: \"string too long\")", st->doc->path, line + 1,
	    SMTPD_MAXWORD);
}

/* Read a quoted string; the opening quote was quotec. */
static int
smtpd_quoted(struct smtpd_state *st, struct smtpd_src *src, int quotec,
    struct buf *w, char **cause)
{
	size_t line = src->line;
	int c, next;

	for (;;) {
		c = smtpd_rawc(src);
		if (c == SMTPD_EOF)
			goto unterminated;
		if (c == '\n' || (c == '\r' && smtpd_peek_nl(src)))
			continue;
		if (c == '\\') {
			next = smtpd_rawc(src);
			if (next == SMTPD_EOF)
				goto unterminated;
			if (next == quotec || next == ' ' || next == '\t')
				c = next;
			else if (next == '\n')
				continue;
			else if (next == '\r' && smtpd_peek_nl(src)) {
				smtpd_rawc(src);
				continue;
			} else
				smtpd_ungetc(src, next);
		} else if (c == quotec)
			return 0;
		buf_addc(w, (char)c);
		if (w->len > SMTPD_MAXWORD)
			return smtpd_too_long(st, line, cause);
	}
unterminated:
	return error_set(cause, "%s:%zu: unterminated quoted string (the %c "
	    "opened here is never closed)", st->doc->path, line + 1, quotec);
}

/* Add a token to the statement. */
static int
smtpd_add(struct smtpd_state *st, const char *s, size_t len, int quoted,
    size_t line, char **cause)
{
	st->bytes += len + 1;
	if (st->bytes > SMTPD_MAXSTMT)
		return error_set(cause, "%s:%zu: statement longer than %d bytes"
		    " after macro expansion", st->doc->path, line + 1,
		    SMTPD_MAXSTMT);
	strv_add(&st->toks, s);
	buf_addc(&st->quoted, (char)quoted);
	return 0;
}

static int smtpd_token(struct smtpd_state *, struct smtpd_src *, int, int,
    char **);

/* Expand "$name": lex the macro's value as if it were written here. */
static int
smtpd_expand(struct smtpd_state *st, struct smtpd_src *src, char **cause)
{
	struct smtpd_src sub;
	struct buf name;
	const char *value = NULL;
	char *safe;
	size_t i;
	int c, rc = -1;

	buf_init(&name);
	buf_add(&name, "", 0);
	while ((c = smtpd_getc(src)) != SMTPD_EOF) {
		if (c >= 0x80 || !(isalnum(c) || c == '_')) {
			smtpd_ungetc(src, c);
			break;
		}
		buf_addc(&name, (char)c);
		if (name.len > SMTPD_MAXWORD) {
			rc = smtpd_too_long(st, src->line, cause);
			goto done;
		}
	}
	if (strmap_get(&st->mindex, name.data, &i) &&
	    strcmp(st->mnames.v[i], name.data) == 0)
		value = st->mvalues.v[i];
	/* The index folds case: a name that differs only in case. */
	for (i = st->mnames.n; value == NULL && i > 0; i--)
		if (strcmp(st->mnames.v[i - 1], name.data) == 0)
			value = st->mvalues.v[i - 1];
	if (value == NULL) {
		safe = conf_snippet(name.data, name.len);
		error_set(cause, "%s:%zu: macro \"$%s\" is not defined (define "
		    "it above its first use: %s = \"value\")", st->doc->path,
		    src->line + 1, safe, safe);
		free(safe);
		goto done;
	}
	memset(&sub, 0, sizeof sub);
	sub.p = value;
	sub.len = strlen(value);
	sub.line = src->line;
	sub.pb = SMTPD_NONE;
	while ((c = smtpd_getc(&sub)) != SMTPD_EOF) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '#')
			break;
		if (smtpd_token(st, &sub, c, 1, cause) != 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&name);
	return rc;
}

/* Read the token that starts with c. */
static int
smtpd_token(struct smtpd_state *st, struct smtpd_src *src, int c,
    int expanding, char **cause)
{
	struct buf w;
	size_t line = src->line, start = src->cstart;
	int quoted = 0, rc = -1;

	buf_init(&w);
	buf_add(&w, "", 0);
	if (c == '"' || c == '\'') {
		quoted = 1;
		if (smtpd_quoted(st, src, c, &w, cause) != 0)
			goto done;
	} else if (c == '$' && !expanding) {
		rc = smtpd_expand(st, src, cause);
		if (rc == 0)
			smtpd_add_raw(st, src, start, smtpd_pos(src));
		goto done;
	} else if (!smtpd_wordc(c)) {
		buf_addc(&w, (char)c);
		if (c == '{') {
			if (st->depth++ == 0)
				st->brace_line = line;
		} else if (c == '}' && st->depth > 0)
			st->depth--;
	} else {
		buf_addc(&w, (char)c);
		while ((c = smtpd_getc(src)) != SMTPD_EOF) {
			if (!smtpd_wordc(c)) {
				smtpd_ungetc(src, c);
				break;
			}
			buf_addc(&w, (char)c);
			if (w.len > SMTPD_MAXWORD) {
				rc = smtpd_too_long(st, line, cause);
				goto done;
			}
		}
	}
	rc = smtpd_add(st, w.data, w.len, quoted, line, cause);
	if (rc == 0 && !expanding)
		smtpd_add_raw(st, src, start, smtpd_pos(src));
done:
	buf_free(&w);
	return rc;
}

/* Whether the statement is in the pre-6.4 grammar. */
static int
smtpd_old_grammar(char **t, size_t n)
{
	size_t i;

	if (n > 1 && (strcmp(t[0], "accept") == 0 ||
	    strcmp(t[0], "reject") == 0) && (strcmp(t[1], "from") == 0 ||
	    strcmp(t[1], "for") == 0 || strcmp(t[1], "tagged") == 0 ||
	    strcmp(t[1], "sender") == 0 || strcmp(t[1], "!") == 0))
		return 1;
	for (i = 0; i + 1 < n; i++)
		if (strcmp(t[i], "deliver") == 0 && strcmp(t[i + 1], "to") == 0)
			return 1;
	return 0;
}

/* The statement's words as written ("< name >" as "<name>") and the
 * words after the first joined by one space (a macro: its value). */
static void
smtpd_raw_words(struct smtpd_state *st, int is_macro, struct strv *raw,
    struct buf *raw_value)
{
	char **t = st->raw.v, *s;
	size_t i, n = st->raw.n;

	for (i = 0; i < n; i++) {
		if (i + 2 < n && strcmp(t[i], "<") == 0 &&
		    strcmp(t[i + 2], ">") == 0) {
			s = xasprintf("<%s>", t[i + 1]);
			strv_add(raw, s);
			free(s);
			i += 2;
		} else
			strv_add(raw, t[i]);
	}
	for (i = is_macro ? 2 : 1; i < raw->n; i++) {
		if (raw_value->len > 0)
			buf_addc(raw_value, ' ');
		buf_adds(raw_value, raw->v[i]);
	}
}

/* Turn the tokens of the statement on lines [first, last] into an entry. */
static int
smtpd_finish(struct smtpd_state *st, size_t last, char **cause)
{
	struct conf_doc *doc = st->doc;
	struct strv argv, raw;
	struct buf value, raw_value;
	char **t = st->toks.v, *q = st->quoted.data, *s, *safe;
	size_t i, n = st->toks.n;
	int is_macro, rc = -1;

	strv_init(&argv);
	strv_init(&raw);
	buf_init(&value);
	buf_add(&value, "", 0);
	buf_init(&raw_value);
	buf_add(&raw_value, "", 0);
	if (n == 0) {
		rc = 0;
		goto done;
	}
	/* "< name >" is one table reference. */
	for (i = 0; i < n; i++) {
		if (i + 2 < n && strcmp(t[i], "<") == 0 && !q[i] &&
		    strcmp(t[i + 2], ">") == 0 && !q[i + 2]) {
			s = xasprintf("<%s>", t[i + 1]);
			strv_add(&argv, s);
			free(s);
			i += 2;
		} else
			strv_add(&argv, t[i]);
	}
	is_macro = n >= 2 && !q[0] && !q[1] && strcmp(t[1], "=") == 0 &&
	    smtpd_wordc((unsigned char)t[0][0]);
	if (is_macro) {
		if (n != 3) {
			safe = conf_snippet(t[0], strlen(t[0]));
			error_set(cause, "%s:%zu: macro %s needs exactly one value"
			    " (quote a value with blanks: %s = \"a b\")",
			    doc->path, st->first + 1, safe, safe);
			free(safe);
			goto done;
		}
		strmap_put(&st->mindex, t[0], st->mnames.n);
		strv_add(&st->mnames, t[0]);
		strv_add(&st->mvalues, t[2]);
		buf_adds(&value, t[2]);
	} else {
		for (i = 1; i < argv.n; i++) {
			if (i > 1)
				buf_addc(&value, ' ');
			buf_adds(&value, argv.v[i]);
		}
		if (doc->old_grammar_line == 0 && smtpd_old_grammar(t, n))
			doc->old_grammar_line = st->first + 1;
	}
	smtpd_raw_words(st, is_macro, &raw, &raw_value);
	conf_entry_add(doc, st->first, last - st->first + 1, argv.v[0],
	    value.data, &argv, is_macro);
	conf_entry_set_raw(doc, raw_value.data, &raw);
	rc = 0;
done:
	strv_free(&argv);
	strv_free(&raw);
	buf_free(&value);
	buf_free(&raw_value);
	strv_free(&st->raw);
	strv_free(&st->toks);
	buf_free(&st->quoted);
	st->bytes = 0;
	st->started = 0;
	return rc;
}

int
conf_parse_smtpd(struct conf_doc *doc, const char *data, size_t len,
    char **cause)
{
	struct smtpd_state st;
	struct smtpd_src src;
	size_t last;
	int c, rc = -1;

	memset(&st, 0, sizeof st);
	st.doc = doc;
	strv_init(&st.mnames);
	strv_init(&st.mvalues);
	strmap_init(&st.mindex);
	strv_init(&st.raw);
	strv_init(&st.toks);
	buf_init(&st.quoted);
	memset(&src, 0, sizeof src);
	src.p = data;
	src.len = len;
	src.pb = SMTPD_NONE;

	for (;;) {
		c = smtpd_getc(&src);
		if (c == ' ' || c == '\t' || c == '\r')
			continue;
		if (c == '#') {
			while ((c = smtpd_getc(&src)) != '\n' &&
			    c != SMTPD_EOF)
				;
		}
		if (c == SMTPD_EOF) {
			if (st.started && st.depth > 0) {
				error_set(cause, "%s:%zu: missing '}' (the '{' "
				    "on this line is never closed)", doc->path,
				    st.brace_line + 1);
				goto done;
			}
			if (st.started) {
				last = src.line;
				if (doc->nlines > 0 && last >= doc->nlines)
					last = doc->nlines - 1;
				if (smtpd_finish(&st, last, cause) != 0)
					goto done;
			}
			break;
		}
		if (c == '\n') {
			if (st.started && st.depth == 0 &&
			    smtpd_finish(&st, src.line - 1, cause) != 0)
				goto done;
			continue;
		}
		if (!st.started) {
			st.started = 1;
			st.first = src.line;
		}
		if (smtpd_token(&st, &src, c, 0, cause) != 0)
			goto done;
	}
	rc = 0;
done:
	strv_free(&st.mnames);
	strv_free(&st.mvalues);
	strmap_free(&st.mindex);
	strv_free(&st.raw);
	strv_free(&st.toks);
	buf_free(&st.quoted);
	return rc;
}

int
conf_smtpd_check(const struct conf_doc *doc, const char *text, char **cause)
{
	const unsigned char *p;
	int quote = 0;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return error_set(cause, "%s: the statement holds a "
			    "control character (\\x%02x); it must fit on one "
			    "line", doc->path, *p);
		if (quote != 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == '#')
			return error_set(cause, "%s: smtpd reads '#' as the "
			    "start of a comment: quote the word that holds it",
			    doc->path);
		else if (*p == '\\' && p[1] == '\0')
			return error_set(cause, "%s: a trailing backslash "
			    "would join the next line", doc->path);
	}
	if (quote != 0)
		return error_set(cause, "%s: unbalanced %c quote in the "
		    "statement", doc->path, quote);
	return 0;
}
