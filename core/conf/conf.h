/* conf.h: configuration documents that round-trip byte for byte.
 *
 * A document keeps every physical line of the file exactly as read (its
 * terminator too: "\n", "\r\n" or none on a last line without newline), so
 * conf_text() of an unedited document is byte-identical to the input, always.
 * On top of the lines sits a list of entries, one per logical statement, in
 * file order, each pointing back at the physical lines it spans; edits
 * replace only those lines (the edit functions at the end of this header:
 * set, append, insert before or after, replace, delete and comment out an
 * entry in every grammar; master.cf services and their -o options; table
 * lines).  diff.h prints a unified diff of two documents.
 *
 * Parsing, lookups and memory grow linearly with the file: a 464,000-line
 * main.cf parses in well under a second in the release build.
 *
 * Grammars (facts in the project's notes on the signing path):
 *  CONF_POSTFIX_MAIN    main.cf: "name = value"; a line whose first non-blank
 *                       is '#' is a comment; a line starting with a blank
 *                       continues the previous logical line (blank and comment
 *                       lines in between do not end it); '#' elsewhere is text;
 *                       the last definition wins.
 *  CONF_POSTFIX_MASTER  master.cf: same lexical rules; 8 fields (service, type,
 *                       private, unpriv, chroot, wakeup, maxproc, command +
 *                       args); "-o name=value" and "-o { name = value }".
 *  CONF_OPENDKIM        opendkim.conf: "Key value"; '#' truncates the line
 *                       anywhere; no continuations; keys case-insensitive.
 *  CONF_TABLE           OpenDKIM KeyTable / SigningTable (also refile:) and
 *                       Postfix map sources: "key value..."; '#' comments.
 *  CONF_PEERLIST        OpenDKIM host lists (InternalHosts, TrustedHosts...):
 *                       one entry a line; '#' comments.
 *  CONF_SMTPD           OpenSMTPD smtpd.conf (6.4+ grammar): '#' to end of
 *                       line anywhere outside quotes; trailing '\' continues;
 *                       "quoted strings"; macros "name = value" and $name;
 *                       the old "accept/reject ... deliver to" grammar is
 *                       detected and reported.
 *  CONF_DKIMPROXY       dkimproxy_out.conf and its sender_map: "option value";
 *                       '#' comments.
 *  CONF_SETTINGS        notspam.conf: "key = value"; '#' comments at line start.
 *  CONF_SHELLVARS       /etc/default/opendkim: NAME=value, NAME="value",
 *                       NAME='value'; '#' comments.
 */
#ifndef NOTSPAM_CONF_H
#define NOTSPAM_CONF_H

#include <stddef.h>

#include "core/lib/util.h"

enum conf_grammar {
	CONF_POSTFIX_MAIN,
	CONF_POSTFIX_MASTER,
	CONF_OPENDKIM,
	CONF_TABLE,
	CONF_PEERLIST,
	CONF_SMTPD,
	CONF_DKIMPROXY,
	CONF_SETTINGS,
	CONF_SHELLVARS,
};

/* One physical line, terminator included (len counts it). */
struct conf_line {
	char	*text;
	size_t	 len;
};

/* Where a word is written: from line[line] byte off to line[end_line]
 * byte end_off (exclusive); line numbers are indexes into lines[]. */
struct conf_span {
	size_t	line;
	size_t	off;
	size_t	end_line;
	size_t	end_off;
};

/* One logical statement. */
struct conf_entry {
	size_t	  lineno;	/* 1-based number of its first physical line */
	size_t	  first;	/* index of its first physical line in lines[] */
	size_t	  count;	/* physical lines spanned, interleaved comments included */
	/*
	 * key: main.cf/settings/shellvars: the parameter name; opendkim.conf and
	 * dkimproxy: the key as written (compare case-insensitively where the
	 * program does); master.cf: "service/type" (e.g. "submission/inet");
	 * tables: the first field; peer lists: the entry; smtpd.conf: the first
	 * word of the statement ("listen", "action", "match", "table", "pki",
	 * "filter", ... or the macro name for a macro definition).
	 */
	char	 *key;
	/*
	 * value: the rest of the logical line: continuation lines joined by one
	 * space, comments removed where the grammar says so, outer blanks
	 * trimmed, shell quotes removed for CONF_SHELLVARS.  For smtpd.conf, the
	 * statement after the first word, macros expanded.
	 */
	char	 *value;
	/*
	 * argv: the words of the statement.  master.cf: the fields, then the
	 * command's arguments; a "-o { name = value }" group is normalised to
	 * the two words "-o" and "name=value".  smtpd.conf: tokens with quotes
	 * removed and macros expanded; "{", "}", "," and "=" inside tables are
	 * their own tokens.  Others: blank-separated words of key and value.
	 */
	char	**argv;
	int	  argc;
	int	  is_macro;	/* smtpd.conf: a macro definition */
	/*
	 * raw_value, raw_argv: the statement as written.  smtpd.conf: the
	 * tokens with quotes and macro references kept ("$lan_addr",
	 * "\"relay\"", "<aliases>"), raw_value their words after the first
	 * joined by one space.  master.cf: raw_argv holds the words as written
	 * ("{ name = value }" stays one word with its braces).  Elsewhere they
	 * are value and argv themselves.  Owned by the entry; never free them.
	 */
	char	 *raw_value;
	char	**raw_argv;
	int	  raw_argc;
	/* master.cf: where each word of raw_argv (= argv) is written, for
	 * rewriting a "-o" option in place; NULL for the other grammars. */
	struct conf_span *spans;
};

struct conf_doc {
	enum conf_grammar	 grammar;
	char			*path;		/* as the site knows it */
	struct conf_line	*lines;
	size_t			 nlines;
	struct conf_entry	*entries;
	size_t			 nentries;
	size_t			 old_grammar_line; /* smtpd.conf: first pre-6.4 line, else 0 */
	/* Private to conf.c: key (case-folded) -> first entry, and the next
	 * entry with the same folded key (SIZE_MAX at the end). */
	struct strmap		 index;
	size_t			*next_same;
};

/*
 * Parse data (len bytes, may hold anything) as grammar g.  path names the file
 * in messages.  Returns NULL and sets *cause on input the program itself
 * would reject or that notspam cannot represent safely: a NUL byte, a line
 * without the grammar's shape ("main.cf:12: expected \"name = value\" ..."),
 * an unterminated quote, a continuation with nothing before it.  Every
 * message starts with "path:line: " and says what to fix.
 */
struct conf_doc *conf_parse(enum conf_grammar g, const char *path,
    const char *data, size_t len, char **cause);

/* Read site path `path` under root (see fsroot.h) and parse it. */
struct conf_doc *conf_load(const char *root, enum conf_grammar g,
    const char *path, char **cause);

void conf_free(struct conf_doc *);

/* The document's bytes: the original file unless it was edited.  Caller
 * frees; *len gets the byte count (the text may hold no NUL). */
char *conf_text(const struct conf_doc *, size_t *len);

/*
 * The entry the program itself uses for key, or NULL (an index makes it
 * O(1) plus the number of definitions of key): main.cf, settings and
 * shellvars: the last definition; opendkim.conf (case-insensitive): the last
 * (OpenDKIM's config_get() finds the last definition, see conf.c);
 * dkimproxy: the first; master.cf: the last "service/type"; tables: the
 * first line with that key.
 */
const struct conf_entry *conf_find(const struct conf_doc *, const char *key);

/* The value of conf_find(), or NULL. */
const char *conf_get(const struct conf_doc *, const char *key);

/* "path:lineno" of an entry, for messages and sources; caller frees. */
char *conf_where(const struct conf_doc *, const struct conf_entry *);

/* Is word a keyword of smtpd.conf's grammar (OpenSMTPD's parse.y, up to
 * 7.x)?  smtpd's lexer turns such a word into its keyword token, so a
 * macro named after one ("hostname = ...") is a syntax error to smtpd and
 * its $name is then not defined.  Case-sensitive, as smtpd is. */
int conf_smtpd_keyword(const char *word);

/*
 * master.cf: the value of a "-o name=value" override in the entry (the last
 * one wins, as in Postfix), or NULL.
 */
const char *conf_master_option(const struct conf_entry *, const char *name);

/*
 * Edit a key = value document (main.cf, opendkim.conf, dkimproxy, settings,
 * shellvars) the way "postconf -e" does: the effective definition becomes
 * one line in that grammar's style, its continuation lines go, comments
 * between them stay; other definitions of the key stay untouched (main.cf:
 * they are overridden; a warning is not this function's job); a key not yet
 * defined is appended at the end (a final newline is added to the last line
 * first if it had none, in the file's own line ending).  The value is checked
 * against the grammar (no newline, NUL or control bytes; no '#' in
 * opendkim.conf) and -1 with *cause is returned, document untouched, when it
 * cannot be written safely.
 */
int conf_set(struct conf_doc *, const char *key, const char *value,
    char **cause);

/* Remove every definition of key (with their continuation lines).  Returns
 * the number of definitions removed. */
int conf_unset(struct conf_doc *, const char *key);

/*
 * Edits for every grammar.  Common contract:
 *  - An entry argument must point into doc->entries.  A successful edit
 *    replaces doc->lines and doc->entries: every pointer into them is
 *    invalid afterwards (look the entry up again by key or index).
 *  - The edit builds the new text, parses it again and checks that only
 *    the entries it meant to change changed: every other entry keeps its
 *    key, raw value and words (it may only move down or up), and every
 *    byte outside the edited statement is kept.  Otherwise, and on input
 *    that cannot be written safely (newline, NUL or control bytes, '#'
 *    where the grammar cuts the line, unbalanced quotes in smtpd.conf),
 *    -1 is returned with *cause set (caller frees) and the document is
 *    untouched.
 *  - New lines use the file's own line ending; a file without a final
 *    newline gets one before a line added after its last line.
 *  - "text" is one statement exactly as it will be written, without line
 *    terminator.  For main.cf and master.cf it may span several lines
 *    joined by "\n", each after the first starting with a blank.
 */

/* Insert statement text before (before != 0) or after entry at; at NULL
 * means the start (before) or the end (after) of the file.  Returns 0. */
int conf_insert(struct conf_doc *, const struct conf_entry *at, int before,
    const char *text, char **cause);

/* Replace the statement of entry e (all its lines; Postfix files keep the
 * comment lines between its continuation lines) by text.  Returns 0. */
int conf_replace(struct conf_doc *, const struct conf_entry *e,
    const char *text, char **cause);

/* Remove entry e (Postfix files keep the comment lines between its
 * continuation lines).  Returns 0. */
int conf_delete(struct conf_doc *, const struct conf_entry *e,
    char **cause);

/* Comment entry e out: "#" before each of its lines that is not already
 * blank or a comment.  Returns 0. */
int conf_comment_out(struct conf_doc *, const struct conf_entry *e,
    char **cause);

/*
 * Give entry e the value `value`, keeping its key as written and the
 * separator after it (one line, as conf_set writes it).  Value syntax:
 * conf_set's for key = value files; a table's value after the key; a
 * peer list's whole entry; master.cf's fields after service and type;
 * smtpd.conf's statement after its first word, as written (quotes and
 * "$macro" kept).  Returns 0.
 */
int conf_set_entry(struct conf_doc *, const struct conf_entry *e,
    const char *value, char **cause);

/*
 * Add a new definition "key value" at the end of the file, in the
 * grammar's style, whether or not key is defined already (a table line,
 * a dkimproxy signature, a smtpd.conf statement; master.cf: key is
 * "service/type").  A peer list takes value NULL or "".  Returns 0.
 */
int conf_append(struct conf_doc *, const char *key, const char *value,
    char **cause);

/* Tables: set the value of key's first line, or append "key value" when
 * the key has no line.  Returns 0. */
int conf_table_set(struct conf_doc *, const char *key, const char *value,
    char **cause);

/*
 * master.cf: add or replace a whole service.  text is the entry as
 * written ("dksign unix - - n - 10 smtp\n  -o smtp_send_xforward_command=yes");
 * it replaces the last entry with its service/type, or goes at the end.
 * Returns 0.
 */
int conf_master_set_service(struct conf_doc *, const char *text,
    char **cause);

/*
 * master.cf: set "-o name=value" on service e.  The last override of name
 * is rewritten in place, keeping its form ("-o name=value", "-oname=value"
 * or "-o { name = value }"; a value with blanks needs the brace form and
 * gets it); without one, a continuation line "-o name=value" is added
 * after the service's last line, indented like its other continuation
 * lines.  value may be "" (an empty override) but holds no brace or
 * control byte.  Returns 0.
 */
int conf_master_set_option(struct conf_doc *, const struct conf_entry *e,
    const char *name, const char *value, char **cause);

/* master.cf: remove every "-o name=..." of service e (a continuation line
 * left empty goes too).  Returns the number removed (0: nothing changed). */
int conf_master_unset_option(struct conf_doc *, const struct conf_entry *e,
    const char *name, char **cause);

#endif
