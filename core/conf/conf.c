/* conf.c: configuration documents that round-trip byte for byte.
 *
 * The document is a list of physical lines (terminators kept) plus the
 * entries a grammar module (conf_postfix.c, conf_smtpd.c, conf_simple.c)
 * derives from them, and an index of the entries by key.  Every edit is a
 * patch (physical lines [first, first + count) replaced by new lines): the
 * new text is built, parsed again and compared entry by entry with the old
 * document (conf_commit) and only then replaces it, so a document is never
 * left half edited, in a state its own parser would refuse, or with other
 * statements changed than the one edited.
 *
 * Which definition wins (conf_find):
 *  main.cf, master.cf, settings, shellvars: the last (Postfix, shell).
 *  opendkim.conf: the LAST, case-insensitively.  OpenDKIM's config_load()
 *    (opendkim/config.c) prepends every item to its list ("new->cfg_next =
 *    cur; cur = new") and config_get() returns the first match walking from
 *    the head, so the last definition in the file is the one used.
 *  dkimproxy: the first (all "signature" lines are kept as entries).
 *  tables and peer lists: the first line with that key (tables compare
 *    keys exactly, peer lists case-insensitively, like host names).
 *  smtpd.conf: the first statement with that first word; for a macro name,
 *    the last definition (a later "name = value" replaces the macro).
 */
#include "core/conf/conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf/conf_int.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"

size_t
conf_line_body(const struct conf_line *l)
{
	if (l->len > 0 && l->text[l->len - 1] == '\n') {
		if (l->len > 1 && l->text[l->len - 2] == '\r')
			return l->len - 2;
		return l->len - 1;
	}
	return l->len;
}

int
conf_isblank(int c)
{
	return c == ' ' || c == '\t';
}

char *
conf_snippet(const char *s, size_t len)
{
	size_t n = len, back = 0;
	char *safe, *out;

	if (n <= CONF_SNIPPET_MAX)
		return str_sanitize(s, n);
	n = CONF_SNIPPET_MAX;
	/* Do not cut a UTF-8 sequence in two. */
	while (n > 0 && back < 3 && ((unsigned char)s[n] & 0xc0) == 0x80) {
		n--;
		back++;
	}
	safe = str_sanitize(s, n);
	out = xasprintf("%s...", safe);
	free(safe);
	return out;
}

void
conf_entry_add(struct conf_doc *doc, size_t first, size_t count,
    const char *key, const char *value, struct strv *argv, int is_macro)
{
	struct conf_entry *e;

	doc->entries = xgrow(doc->entries, doc->nentries, sizeof *doc->entries);
	e = &doc->entries[doc->nentries++];
	memset(e, 0, sizeof *e);
	e->lineno = first + 1;
	e->first = first;
	e->count = count;
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	if (argv->v == NULL)
		e->argv = xcalloc(1, sizeof *e->argv);
	else
		e->argv = argv->v;
	e->argc = (int)argv->n;
	e->is_macro = is_macro;
	e->raw_value = e->value;
	e->raw_argv = e->argv;
	e->raw_argc = e->argc;
	strv_init(argv);
}

void
conf_entry_set_raw(struct conf_doc *doc, const char *raw_value,
    struct strv *raw)
{
	struct conf_entry *e = &doc->entries[doc->nentries - 1];

	if (raw_value != NULL)
		e->raw_value = xstrdup(raw_value);
	if (raw->v == NULL)
		e->raw_argv = xcalloc(1, sizeof *e->raw_argv);
	else
		e->raw_argv = raw->v;
	e->raw_argc = (int)raw->n;
	strv_init(raw);
}

int
conf_postfix_filler(const struct conf_line *l)
{
	size_t n = conf_line_body(l), i = 0;

	while (i < n && conf_isblank(l->text[i]))
		i++;
	return i == n || l->text[i] == '#';
}

/* Split data into physical lines, terminators included. */
static void
conf_split_lines(struct conf_doc *doc, const char *data, size_t len)
{
	size_t off = 0, n, cap = 0;
	const char *nl;
	struct conf_line *l;

	while (off < len) {
		nl = memchr(data + off, '\n', len - off);
		n = nl == NULL ? len - off : (size_t)(nl - (data + off)) + 1;
		if (doc->nlines == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			doc->lines = xreallocarray(doc->lines, cap,
			    sizeof *doc->lines);
		}
		l = &doc->lines[doc->nlines++];
		l->text = xmalloc(n + 1);
		memcpy(l->text, data + off, n);
		l->text[n] = '\0';
		l->len = n;
		off += n;
	}
}

/* Index the entries by case-folded key, each chain in file order. */
static void
conf_index(struct conf_doc *doc)
{
	size_t i, head;

	doc->next_same = xreallocarray(NULL, doc->nentries + 1,
	    sizeof *doc->next_same);
	for (i = doc->nentries; i > 0; i--) {
		if (strmap_get(&doc->index, doc->entries[i - 1].key, &head))
			doc->next_same[i - 1] = head;
		else
			doc->next_same[i - 1] = SIZE_MAX;
		strmap_put(&doc->index, doc->entries[i - 1].key, i - 1);
	}
}

/* Free the lines and entries of a document, keeping the document. */
static void
conf_clear(struct conf_doc *doc)
{
	size_t i;
	int j;

	for (i = 0; i < doc->nlines; i++)
		free(doc->lines[i].text);
	free(doc->lines);
	for (i = 0; i < doc->nentries; i++) {
		struct conf_entry *e = &doc->entries[i];

		if (e->raw_value != e->value)
			free(e->raw_value);
		if (e->raw_argv != e->argv) {
			for (j = 0; j < e->raw_argc; j++)
				free(e->raw_argv[j]);
			free(e->raw_argv);
		}
		free(e->key);
		free(e->value);
		for (j = 0; j < e->argc; j++)
			free(e->argv[j]);
		free(e->argv);
		free(e->spans);
	}
	free(doc->entries);
	strmap_free(&doc->index);
	free(doc->next_same);
	doc->next_same = NULL;
	doc->lines = NULL;
	doc->nlines = 0;
	doc->entries = NULL;
	doc->nentries = 0;
	doc->old_grammar_line = 0;
}

struct conf_doc *
conf_parse(enum conf_grammar g, const char *path, const char *data,
    size_t len, char **cause)
{
	struct conf_doc *doc;
	const char *nul, *p;
	size_t lineno;
	int rc;

	doc = xcalloc(1, sizeof *doc);
	doc->grammar = g;
	doc->path = xstrdup(path != NULL ? path : "(config)");
	if (data == NULL)
		len = 0;
	if (len > 0 && (nul = memchr(data, '\0', len)) != NULL) {
		lineno = 1;
		for (p = data; p < nul; p++)
			if (*p == '\n')
				lineno++;
		error_set(cause, "%s:%zu: contains a NUL byte (binary file?)",
		    doc->path, lineno);
		goto fail;
	}
	if (len > 0)
		conf_split_lines(doc, data, len);

	switch (g) {
	case CONF_POSTFIX_MAIN:
	case CONF_POSTFIX_MASTER:
		rc = conf_parse_postfix(doc, cause);
		break;
	case CONF_SMTPD:
		rc = conf_parse_smtpd(doc, data, len, cause);
		break;
	case CONF_OPENDKIM:
	case CONF_TABLE:
	case CONF_PEERLIST:
	case CONF_DKIMPROXY:
	case CONF_SETTINGS:
	case CONF_SHELLVARS:
		rc = conf_parse_simple(doc, cause);
		break;
	default:
		rc = error_set(cause, "%s: unknown configuration grammar %d",
		    doc->path, (int)g);
		break;
	}
	if (rc != 0)
		goto fail;
	conf_index(doc);
	return doc;
fail:
	conf_free(doc);
	return NULL;
}

struct conf_doc *
conf_load(const char *root, enum conf_grammar g, const char *path,
    char **cause)
{
	struct conf_doc *doc;
	char *data = NULL;
	size_t len = 0;

	if (fsroot_read(root, path, 0, &data, &len, cause) != 0)
		return NULL;
	doc = conf_parse(g, path, data, len, cause);
	free(data);
	return doc;
}

void
conf_free(struct conf_doc *doc)
{
	if (doc == NULL)
		return;
	conf_clear(doc);
	free(doc->path);
	free(doc);
}

char *
conf_text(const struct conf_doc *doc, size_t *len)
{
	size_t i, total = 0;
	char *out, *p;

	for (i = 0; i < doc->nlines; i++)
		total += doc->lines[i].len;
	p = out = xmalloc(total + 1);
	for (i = 0; i < doc->nlines; i++) {
		memcpy(p, doc->lines[i].text, doc->lines[i].len);
		p += doc->lines[i].len;
	}
	*p = '\0';
	if (len != NULL)
		*len = total;
	return out;
}

/* Whether entry e defines key, compared the way the program does. */
static int
conf_key_match(const struct conf_doc *doc, const struct conf_entry *e,
    const char *key)
{
	switch (doc->grammar) {
	case CONF_OPENDKIM:
	case CONF_PEERLIST:
		return strcasecmp(e->key, key) == 0;
	default:
		return strcmp(e->key, key) == 0;
	}
}

const struct conf_entry *
conf_find(const struct conf_doc *doc, const char *key)
{
	const struct conf_entry *e, *found = NULL;
	size_t i;

	if (doc == NULL || key == NULL || !strmap_get(&doc->index, key, &i))
		return NULL;
	for (; i != SIZE_MAX; i = doc->next_same[i]) {
		e = &doc->entries[i];
		if (!conf_key_match(doc, e, key))
			continue;
		switch (doc->grammar) {
		case CONF_DKIMPROXY:
		case CONF_TABLE:
		case CONF_PEERLIST:
			return e;
		case CONF_SMTPD:
			if (!e->is_macro)
				return e;
			found = e;
			break;
		default:
			found = e;
			break;
		}
	}
	return found;
}

const char *
conf_get(const struct conf_doc *doc, const char *key)
{
	const struct conf_entry *e = conf_find(doc, key);

	return e == NULL ? NULL : e->value;
}

char *
conf_where(const struct conf_doc *doc, const struct conf_entry *e)
{
	return xasprintf("%s:%zu", doc->path, e->lineno);
}

const char *
conf_master_option(const struct conf_entry *e, const char *name)
{
	const char *found = NULL, *arg;
	size_t nlen = strlen(name);
	int i;

	/* Fields 0-7 are service ... command; options come after. */
	for (i = 8; i < e->argc; i++) {
		if (strcmp(e->argv[i], "-o") == 0) {
			if (i + 1 >= e->argc)
				break;
			arg = e->argv[++i];
		} else if (strncmp(e->argv[i], "-o", 2) == 0)
			arg = e->argv[i] + 2;
		else
			continue;
		if (strncmp(arg, name, nlen) == 0 && arg[nlen] == '=')
			found = arg + nlen + 1;
	}
	return found;
}

/* The file's own line ending: CRLF when most terminated lines use it. */
const char *
conf_doc_eol(const struct conf_doc *doc)
{
	size_t i, crlf = 0, lf = 0;
	const struct conf_line *l;

	for (i = 0; i < doc->nlines; i++) {
		l = &doc->lines[i];
		if (l->len > 1 && l->text[l->len - 2] == '\r' &&
		    l->text[l->len - 1] == '\n')
			crlf++;
		else if (l->len > 0 && l->text[l->len - 1] == '\n')
			lf++;
	}
	return crlf > lf ? "\r\n" : "\n";
}

/*
 * Mark the physical lines of entry e for removal: the whole statement, but
 * for Postfix files the blank and comment lines between continuation lines
 * stay (as "postconf -e" and "postconf -X" keep them).
 */
static void
conf_mark_entry(const struct conf_doc *doc, const struct conf_entry *e,
    char *drop)
{
	size_t i;
	int postfix;

	postfix = doc->grammar == CONF_POSTFIX_MAIN ||
	    doc->grammar == CONF_POSTFIX_MASTER;
	for (i = e->first; i < e->first + e->count && i < doc->nlines; i++) {
		if (postfix && i != e->first &&
		    conf_postfix_filler(&doc->lines[i]))
			continue;
		drop[i] = 1;
	}
}

/* The document's text with the lines in drop[] left out; caller frees.
 * A file without final newline whose last line goes stays without. */
static char *
conf_rebuild(const struct conf_doc *doc, const char *drop, size_t *len)
{
	const struct conf_line *l;
	struct buf b;
	size_t i;
	int unterminated = 0;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < doc->nlines; i++) {
		l = &doc->lines[i];
		if (!drop[i])
			buf_add(&b, l->text, l->len);
		else if (i == doc->nlines - 1 && conf_line_body(l) == l->len)
			unterminated = 1;
	}
	if (unterminated && b.len > 0 && b.data[b.len - 1] == '\n') {
		b.len--;
		if (b.len > 0 && b.data[b.len - 1] == '\r')
			b.len--;
		b.data[b.len] = '\0';
	}
	*len = b.len;
	return buf_steal(&b);
}

void
conf_adopt(struct conf_doc *doc, struct conf_doc *src)
{
	conf_clear(doc);
	doc->lines = src->lines;
	doc->nlines = src->nlines;
	doc->entries = src->entries;
	doc->nentries = src->nentries;
	doc->old_grammar_line = src->old_grammar_line;
	doc->index = src->index;
	doc->next_same = src->next_same;
	src->lines = NULL;
	src->nlines = 0;
	src->entries = NULL;
	src->nentries = 0;
	strmap_init(&src->index);
	src->next_same = NULL;
	conf_free(src);
}

/* Parse edited text with doc's grammar; NULL and *cause if it would not. */
static struct conf_doc *
conf_reparse(const struct conf_doc *doc, const char *text, size_t len,
    char **cause)
{
	struct conf_doc *next;
	char *why = NULL;

	next = conf_parse(doc->grammar, doc->path, text, len, &why);
	if (next == NULL) {
		error_set(cause, "%s: the edit would leave a file notspam cannot"
		    " read back (%s); nothing was changed", doc->path,
		    why != NULL ? why : "?");
		free(why);
	}
	return next;
}

static const char *
conf_grammar_name(enum conf_grammar g)
{
	switch (g) {
	case CONF_POSTFIX_MAIN:
		return "Postfix main.cf";
	case CONF_POSTFIX_MASTER:
		return "Postfix master.cf";
	case CONF_OPENDKIM:
		return "opendkim.conf";
	case CONF_TABLE:
		return "table";
	case CONF_PEERLIST:
		return "host list";
	case CONF_SMTPD:
		return "smtpd.conf";
	case CONF_DKIMPROXY:
		return "dkimproxy";
	case CONF_SETTINGS:
		return "settings";
	case CONF_SHELLVARS:
		return "shell variables";
	}
	return "unknown";
}

/* Whether every byte of s is in [A-Za-z0-9_] or in extra. */
static int
conf_name_ok(const char *s, const char *extra)
{
	const char *p;

	if (*s == '\0')
		return 0;
	for (p = s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_')
			continue;
		if (strchr(extra, *p) == NULL)
			return 0;
	}
	return 1;
}

/* Whether s is a master.cf "service/type" key. */
static int
conf_master_key_ok(const char *s)
{
	static const char *const types[] = { "inet", "unix", "unix-dgram",
	    "fifo", "pass" };
	const char *slash = strrchr(s, '/');
	size_t i;

	if (slash == NULL || slash == s ||
	    strcspn(s, " \t#") < (size_t)(slash - s))
		return 0;
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(slash + 1, types[i]) == 0)
			return 1;
	return 0;
}

/* Whether s is one word of printable bytes without '#'. */
static int
conf_word_ok(const char *s)
{
	const unsigned char *p;

	if (*s == '\0')
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '#')
			return 0;
	return 1;
}

/* Check that key can be written as a name in doc's grammar. */
static int
conf_check_key(const struct conf_doc *doc, const char *key, char **cause)
{
	char *safe;
	int ok;

	switch (doc->grammar) {
	case CONF_POSTFIX_MAIN:
	case CONF_SETTINGS:
		ok = conf_name_ok(key, ".-");
		break;
	case CONF_SHELLVARS:
		ok = conf_name_ok(key, "") && !(*key >= '0' && *key <= '9');
		break;
	case CONF_POSTFIX_MASTER:
		ok = conf_master_key_ok(key);
		break;
	case CONF_TABLE:
	case CONF_PEERLIST:
		ok = conf_word_ok(key);
		break;
	case CONF_SMTPD:
		ok = conf_name_ok(key, "-");
		break;
	default:
		ok = conf_name_ok(key, "");
		break;
	}
	if (ok)
		return 0;
	safe = conf_snippet(key, strlen(key));
	error_set(cause, "%s: \"%s\" is not a valid %s name", doc->path, safe,
	    conf_grammar_name(doc->grammar));
	free(safe);
	return -1;
}

/* Check that value can be written on one line of doc's grammar. */
static int
conf_check_value(const struct conf_doc *doc, const char *key,
    const char *value, char **cause)
{
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return error_set(cause, "%s: cannot set %s: the value "
			    "holds a control character (\\x%02x); a value must"
			    " fit on one line", doc->path, key, *p);
	}
	switch (doc->grammar) {
	case CONF_SMTPD:
		return conf_smtpd_check(doc, value, cause);
	case CONF_TABLE:
	case CONF_PEERLIST:
		if (strchr(value, '#') != NULL)
			return error_set(cause, "%s: cannot set %s: OpenDKIM "
			    "cuts a table line at '#', so the value cannot "
			    "hold one", doc->path, key);
		if (doc->grammar == CONF_PEERLIST)
			break;
		/* FALLTHROUGH */
	case CONF_OPENDKIM:
		if (strchr(value, '#') != NULL)
			return error_set(cause, "%s: cannot set %s: OpenDKIM "
			    "cuts a line at '#', so the value cannot hold one",
			    doc->path, key);
		/* FALLTHROUGH */
	case CONF_DKIMPROXY:
		if (*value == '\0')
			return error_set(cause, "%s: cannot set %s to an empty "
			    "value (remove the option instead)", doc->path,
			    key);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Where entry c's first line has its key and the blanks after it; 1 if a
 * value follows those blanks.
 */
static int
conf_entry_sep(const struct conf_doc *doc, const struct conf_entry *c,
    size_t *kstart, size_t *sep, size_t *seplen)
{
	const struct conf_line *l = &doc->lines[c->first];
	size_t n = conf_line_body(l), j = 0;

	while (j < n && conf_isblank(l->text[j]))
		j++;
	*kstart = j;
	while (j < n && !conf_isblank(l->text[j]))
		j++;
	*sep = j;
	while (j < n && conf_isblank(l->text[j]))
		j++;
	*seplen = j - *sep;
	return *seplen > 0 && j < n;
}

/*
 * The blanks to put between key and value, copied from the entry being
 * replaced or else from the last entry that has some, recomputed so that
 * the value starts in the same column (tabs: 8-column stops; at least one
 * blank); a mix of tabs and spaces, or an indented key, is copied as is.
 */
static char *
conf_separator(const struct conf_doc *doc, const struct conf_entry *e,
    const char *key, const char *dflt)
{
	const struct conf_entry *ref = NULL;
	const char *text;
	struct buf b;
	size_t i, kstart = 0, sep = 0, seplen = 0, col, target;

	if (e != NULL) {
		if (conf_entry_sep(doc, e, &kstart, &sep, &seplen))
			ref = e;
	} else {
		for (i = doc->nentries; ref == NULL && i > 0; i--) {
			if (conf_entry_sep(doc, &doc->entries[i - 1], &kstart,
			    &sep, &seplen))
				ref = &doc->entries[i - 1];
		}
	}
	if (ref == NULL)
		return xstrdup(dflt);
	text = doc->lines[ref->first].text;
	buf_init(&b);
	col = strlen(key);
	/* One blank: nothing is aligned, keep it so. */
	if (seplen == 1) {
		buf_add(&b, text + sep, 1);
		return buf_steal(&b);
	}
	if (kstart == 0 && strspn(text + sep, " ") == seplen) {
		target = sep + seplen;
		do {
			buf_addc(&b, ' ');
		} while (++col < target);
		return buf_steal(&b);
	}
	if (kstart != 0 || strspn(text + sep, "\t") < seplen) {
		buf_add(&b, text + sep, seplen);
		return buf_steal(&b);
	}
	for (target = sep, i = 0; i < seplen; i++)
		target = (target / 8 + 1) * 8;
	do {
		buf_addc(&b, '\t');
		col = (col / 8 + 1) * 8;
	} while (col < target);
	return buf_steal(&b);
}

/* Quote value for a shell assignment when it needs quoting. */
static char *
conf_shell_quote(const char *value)
{
	const char *p;
	struct buf b;
	int plain = 1;

	for (p = value; *p != '\0'; p++) {
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_./:,@%+=-", *p) != NULL)
			continue;
		/* "$NAME" stays a reference, as in the Debian file. */
		if (*p == '$' && p[1] != '\0' && (p[1] == '_' ||
		    (p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z')))
			continue;
		plain = 0;
	}
	if (plain)
		return xstrdup(value);
	buf_init(&b);
	buf_addc(&b, '"');
	for (p = value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == '`')
			buf_addc(&b, '\\');
		else if (*p == '$' && !(p[1] == '_' || (p[1] >= 'a' &&
		    p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z')))
			buf_addc(&b, '\\');
		buf_addc(&b, *p);
	}
	buf_addc(&b, '"');
	return buf_steal(&b);
}

/* Whether shell assignment e is written "export NAME=...". */
static int
conf_shell_export(const struct conf_doc *doc, const struct conf_entry *e)
{
	const char *t;

	if (e == NULL)
		return 0;
	t = doc->lines[e->first].text;
	t += strspn(t, " \t");
	return strncmp(t, "export", 6) == 0 && (t[6] == ' ' || t[6] == '\t');
}

/* master.cf: "service type value", keeping e's first line up to its
 * third field (the column layout) when there is an e. */
static char *
conf_format_master(const struct conf_doc *doc, const struct conf_entry *e,
    const char *key, const char *value)
{
	const char *slash = strrchr(key, '/');
	const struct conf_span *sp;

	if (e != NULL && e->spans != NULL && e->raw_argc > 2) {
		sp = &e->spans[2];
		if (sp->line == e->first)
			return xasprintf("%.*s%s", (int)sp->off,
			    doc->lines[e->first].text, value);
	}
	return xasprintf("%.*s %s %s", (int)(slash - key), key, slash + 1,
	    value);
}

/* The one line that defines key = value in doc's grammar; caller frees. */
static char *
conf_format(const struct conf_doc *doc, const struct conf_entry *e,
    const char *key, const char *value)
{
	const char *name = e != NULL ? e->key : key;
	char *sep, *q, *line;

	switch (doc->grammar) {
	case CONF_POSTFIX_MAIN:
	case CONF_SETTINGS:
		if (*value == '\0')
			return xasprintf("%s =", name);
		return xasprintf("%s = %s", name, value);
	case CONF_OPENDKIM:
	case CONF_DKIMPROXY:
	case CONF_TABLE:
		sep = conf_separator(doc, e, name,
		    doc->grammar == CONF_OPENDKIM ? "\t" : " ");
		line = xasprintf("%s%s%s", name, sep, value);
		free(sep);
		return line;
	case CONF_SHELLVARS:
		q = conf_shell_quote(value);
		line = xasprintf("%s%s=%s", conf_shell_export(doc, e) ?
		    "export " : "", name, q);
		free(q);
		return line;
	case CONF_PEERLIST:
		return xstrdup(e != NULL || *value != '\0' ? value : name);
	case CONF_SMTPD:
		if (e != NULL && e->is_macro)
			return xasprintf("%s = %s", name, value);
		return xasprintf("%s %s", name, value);
	case CONF_POSTFIX_MASTER:
		return conf_format_master(doc, e, key, value);
	}
	return NULL;
}

int
conf_set(struct conf_doc *doc, const char *key, const char *value,
    char **cause)
{
	const struct conf_entry *e;

	switch (doc->grammar) {
	case CONF_POSTFIX_MAIN:
	case CONF_OPENDKIM:
	case CONF_DKIMPROXY:
	case CONF_SETTINGS:
	case CONF_SHELLVARS:
		break;
	default:
		return error_set(cause, "%s: setting a value in a %s file is "
		    "not supported yet (only key = value files)", doc->path,
		    conf_grammar_name(doc->grammar));
	}
	if (conf_check_key(doc, key, cause) != 0)
		return -1;
	if ((e = conf_find(doc, key)) != NULL)
		return conf_set_entry(doc, e, value, cause);
	return conf_append(doc, key, value, cause);
}

int
conf_unset(struct conf_doc *doc, const char *key)
{
	struct conf_doc *next;
	char *drop, *text;
	size_t i, len;
	int n = 0;

	drop = xcalloc(doc->nlines + 1, 1);
	for (i = 0; i < doc->nentries; i++) {
		if (!conf_key_match(doc, &doc->entries[i], key))
			continue;
		conf_mark_entry(doc, &doc->entries[i], drop);
		n++;
	}
	if (n == 0) {
		free(drop);
		return 0;
	}
	text = conf_rebuild(doc, drop, &len);
	next = conf_reparse(doc, text, len, NULL);
	if (next == NULL)
		n = -1;
	else
		conf_adopt(doc, next);
	free(text);
	free(drop);
	return n;
}

void
conf_patch_init(struct conf_patch *p, size_t first, size_t count)
{
	p->first = first;
	p->count = count;
	buf_init(&p->text);
	buf_add(&p->text, "", 0);
}

void
conf_patch_free(struct conf_patch *p)
{
	buf_free(&p->text);
}

void
conf_patch_line(const struct conf_doc *doc, struct conf_patch *p,
    const char *body, size_t len)
{
	buf_add(&p->text, body, len);
	buf_adds(&p->text, conf_doc_eol(doc));
}

void
conf_patch_lines(const struct conf_doc *doc, struct conf_patch *p,
    const char *text)
{
	const char *nl;

	while ((nl = strchr(text, '\n')) != NULL) {
		conf_patch_line(doc, p, text, (size_t)(nl - text));
		text = nl + 1;
	}
	conf_patch_line(doc, p, text, strlen(text));
}

/* Whether the document's last line lacks a terminator. */
static int
conf_unterminated(const struct conf_doc *doc)
{
	const struct conf_line *l;

	if (doc->nlines == 0)
		return 0;
	l = &doc->lines[doc->nlines - 1];
	return conf_line_body(l) == l->len;
}

/*
 * The text of doc with patch p applied; caller frees.  A file without
 * final newline keeps it so when its last line is replaced or removed,
 * and gets one when a line is added after it.
 */
static char *
conf_patch_apply(const struct conf_doc *doc, const struct conf_patch *p,
    size_t *len)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < p->first && i < doc->nlines; i++)
		buf_add(&b, doc->lines[i].text, doc->lines[i].len);
	if (p->first >= doc->nlines && conf_unterminated(doc) &&
	    p->text.len > 0)
		buf_adds(&b, conf_doc_eol(doc));
	buf_add(&b, p->text.data, p->text.len);
	for (i = p->first + p->count; i < doc->nlines; i++)
		buf_add(&b, doc->lines[i].text, doc->lines[i].len);
	if (p->count > 0 && p->first + p->count == doc->nlines &&
	    conf_unterminated(doc) && b.len > 0 && b.data[b.len - 1] == '\n') {
		b.len--;
		if (b.len > 0 && b.data[b.len - 1] == '\r')
			b.len--;
		b.data[b.len] = '\0';
	}
	*len = b.len;
	return buf_steal(&b);
}

/* Whether b is entry a, unchanged, moved by shift lines. */
static int
conf_entry_same(const struct conf_entry *a, const struct conf_entry *b,
    long shift)
{
	int i;

	if ((long)a->first + shift != (long)b->first || a->count != b->count ||
	    a->is_macro != b->is_macro || a->raw_argc != b->raw_argc ||
	    strcmp(a->key, b->key) != 0 ||
	    strcmp(a->raw_value, b->raw_value) != 0)
		return 0;
	for (i = 0; i < a->raw_argc; i++)
		if (strcmp(a->raw_argv[i], b->raw_argv[i]) != 0)
			return 0;
	return 1;
}

struct conf_doc *
conf_commit(const struct conf_doc *doc, const struct conf_patch *p,
    size_t at, size_t removed, size_t added, char **cause)
{
	struct conf_doc *next;
	size_t i, len, tail;
	long shift;
	char *text;

	text = conf_patch_apply(doc, p, &len);
	next = conf_reparse(doc, text, len, cause);
	free(text);
	if (next == NULL)
		return NULL;
	tail = doc->nentries - at - removed;
	shift = (long)next->nlines - (long)doc->nlines;
	if (next->nentries != doc->nentries - removed + added)
		goto changed;
	for (i = 0; i < at; i++)
		if (!conf_entry_same(&doc->entries[i], &next->entries[i], 0))
			goto changed;
	for (i = 0; i < tail; i++)
		if (!conf_entry_same(&doc->entries[at + removed + i],
		    &next->entries[at + added + i], shift))
			goto changed;
	return next;
changed:
	error_set(cause, "%s: the edit would change other statements than the"
	    " one edited (the new text does not stand alone as %zu statement%s"
	    "); nothing was changed", doc->path, added, added == 1 ? "" : "s");
	conf_free(next);
	return NULL;
}

int
conf_entry_index(const struct conf_doc *doc, const struct conf_entry *e,
    size_t *idx, char **cause)
{
	if (e == NULL || doc->nentries == 0 || e < doc->entries ||
	    e >= doc->entries + doc->nentries)
		return error_set(cause, "%s: the entry to edit is not one of "
		    "this file's (was the file edited since it was looked "
		    "up?)", doc->path);
	*idx = (size_t)(e - doc->entries);
	return 0;
}

/* Whether grammar g continues a statement on lines starting with a blank. */
static int
conf_postfix_grammar(enum conf_grammar g)
{
	return g == CONF_POSTFIX_MAIN || g == CONF_POSTFIX_MASTER;
}

int
conf_check_text(const struct conf_doc *doc, const char *text, char **cause)
{
	const unsigned char *p;
	int postfix = conf_postfix_grammar(doc->grammar);

	if (*text == '\0' || conf_isblank(*text) || *text == '#')
		return error_set(cause, "%s: a statement to write must start "
		    "with its first word (not empty, a blank or '#')",
		    doc->path);
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '\n' && postfix && conf_isblank(p[1]))
			continue;
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return error_set(cause, "%s: the statement holds a "
			    "control character (\\x%02x)%s", doc->path, *p,
			    postfix ? "; a new line must start with a blank to"
			    " continue it" : "; it must fit on one line");
	}
	switch (doc->grammar) {
	case CONF_OPENDKIM:
	case CONF_TABLE:
	case CONF_PEERLIST:
		if (strchr(text, '#') != NULL)
			return error_set(cause, "%s: OpenDKIM cuts a line at "
			    "'#': the statement cannot hold one", doc->path);
		break;
	case CONF_SMTPD:
		return conf_smtpd_check(doc, text, cause);
	default:
		break;
	}
	return 0;
}

/* Add to p the lines of e that an edit of e keeps: in Postfix files the
 * comment and blank lines between its continuation lines. */
static void
conf_patch_fillers(const struct conf_doc *doc, const struct conf_entry *e,
    struct conf_patch *p)
{
	const struct conf_line *l;
	size_t i;

	if (!conf_postfix_grammar(doc->grammar))
		return;
	for (i = e->first + 1; i < e->first + e->count; i++) {
		l = &doc->lines[i];
		if (conf_postfix_filler(l))
			buf_add(&p->text, l->text, l->len);
	}
}

/* Patch the lines of entry e: its first line becomes `first` (NULL: it
 * goes) with that line's own terminator, the kept lines follow. */
static void
conf_patch_entry(const struct conf_doc *doc, const struct conf_entry *e,
    const char *first, struct conf_patch *p)
{
	const struct conf_line *l = &doc->lines[e->first];
	size_t body = conf_line_body(l);

	conf_patch_init(p, e->first, e->count);
	if (first != NULL) {
		buf_adds(&p->text, first);
		buf_add(&p->text, l->text + body, l->len - body);
	}
	conf_patch_fillers(doc, e, p);
}

/* Commit patch p replacing `removed` entries at `at` by `added`, adopt. */
static int
conf_finish(struct conf_doc *doc, struct conf_patch *p, size_t at,
    size_t removed, size_t added, char **cause)
{
	struct conf_doc *next;

	next = conf_commit(doc, p, at, removed, added, cause);
	conf_patch_free(p);
	if (next == NULL)
		return -1;
	conf_adopt(doc, next);
	return 0;
}

int
conf_insert(struct conf_doc *doc, const struct conf_entry *at, int before,
    const char *text, char **cause)
{
	struct conf_patch p;
	size_t idx = 0, line;

	if (conf_check_text(doc, text, cause) != 0)
		return -1;
	if (at == NULL) {
		idx = before ? 0 : doc->nentries;
		line = before ? 0 : doc->nlines;
	} else {
		if (conf_entry_index(doc, at, &idx, cause) != 0)
			return -1;
		line = before ? at->first : at->first + at->count;
		if (!before)
			idx++;
	}
	conf_patch_init(&p, line, 0);
	conf_patch_lines(doc, &p, text);
	return conf_finish(doc, &p, idx, 0, 1, cause);
}

int
conf_replace(struct conf_doc *doc, const struct conf_entry *e,
    const char *text, char **cause)
{
	struct conf_patch p;
	size_t idx = 0;

	if (conf_entry_index(doc, e, &idx, cause) != 0 ||
	    conf_check_text(doc, text, cause) != 0)
		return -1;
	conf_patch_init(&p, e->first, e->count);
	conf_patch_lines(doc, &p, text);
	conf_patch_fillers(doc, e, &p);
	return conf_finish(doc, &p, idx, 1, 1, cause);
}

int
conf_delete(struct conf_doc *doc, const struct conf_entry *e, char **cause)
{
	struct conf_patch p;
	size_t idx = 0;

	if (conf_entry_index(doc, e, &idx, cause) != 0)
		return -1;
	conf_patch_entry(doc, e, NULL, &p);
	return conf_finish(doc, &p, idx, 1, 0, cause);
}

int
conf_comment_out(struct conf_doc *doc, const struct conf_entry *e,
    char **cause)
{
	const struct conf_line *l;
	struct conf_patch p;
	size_t idx = 0, i;

	if (conf_entry_index(doc, e, &idx, cause) != 0)
		return -1;
	conf_patch_init(&p, e->first, e->count);
	for (i = e->first; i < e->first + e->count; i++) {
		l = &doc->lines[i];
		if (i != e->first && conf_postfix_filler(l))
			buf_add(&p.text, l->text, l->len);
		else {
			buf_addc(&p.text, '#');
			buf_add(&p.text, l->text, l->len);
		}
	}
	return conf_finish(doc, &p, idx, 1, 0, cause);
}

/* Whether the new entry reads back with the value that was set. */
static int
conf_read_back(const struct conf_doc *doc, const struct conf_entry *got,
    const char *key, const char *value, char **cause)
{
	char *safe;

	if (doc->grammar == CONF_SMTPD || strcmp(got->value, value) == 0)
		return 0;
	safe = conf_snippet(got->value, strlen(got->value));
	error_set(cause, "%s: cannot set %s: the value would read back as "
	    "\"%s\" (leading or trailing blanks, quotes or comment characters"
	    " do not survive); nothing was changed", doc->path, key, safe);
	free(safe);
	return -1;
}

/* Commit p (`added` entries at idx for `removed`), check that entry idx
 * now has key and value, adopt. */
static int
conf_finish_value(struct conf_doc *doc, struct conf_patch *p, size_t idx,
    size_t removed, const char *key, const char *value, char **cause)
{
	struct conf_doc *next;
	const struct conf_entry *got;

	next = conf_commit(doc, p, idx, removed, 1, cause);
	conf_patch_free(p);
	if (next == NULL)
		return -1;
	got = &next->entries[idx];
	if ((doc->grammar != CONF_PEERLIST && strcmp(got->key, key) != 0) ||
	    conf_read_back(doc, got, key, value, cause) != 0) {
		if (cause != NULL && *cause == NULL)
			error_set(cause, "%s: the new line does not define %s;"
			    " nothing was changed", doc->path, key);
		conf_free(next);
		return -1;
	}
	conf_adopt(doc, next);
	return 0;
}

int
conf_set_entry(struct conf_doc *doc, const struct conf_entry *e,
    const char *value, char **cause)
{
	struct conf_patch p;
	size_t idx = 0;
	char *line, *key;
	int rc;

	if (conf_entry_index(doc, e, &idx, cause) != 0 ||
	    conf_check_value(doc, e->key, value, cause) != 0)
		return -1;
	line = conf_format(doc, e, e->key, value);
	if (conf_check_text(doc, line, cause) != 0) {
		free(line);
		return -1;
	}
	conf_patch_entry(doc, e, line, &p);
	free(line);
	key = xstrdup(e->key);
	rc = conf_finish_value(doc, &p, idx, 1, key, value, cause);
	free(key);
	return rc;
}

int
conf_append(struct conf_doc *doc, const char *key, const char *value,
    char **cause)
{
	struct conf_patch p;
	char *line;

	if (value == NULL)
		value = "";
	if (conf_check_key(doc, key, cause) != 0)
		return -1;
	if (doc->grammar == CONF_PEERLIST && *value != '\0' &&
	    strcmp(value, key) != 0)
		return error_set(cause, "%s: a host list line is its entry "
		    "alone (no value)", doc->path);
	if (doc->grammar != CONF_PEERLIST &&
	    conf_check_value(doc, key, value, cause) != 0)
		return -1;
	line = conf_format(doc, NULL, key, value);
	if (conf_check_text(doc, line, cause) != 0) {
		free(line);
		return -1;
	}
	conf_patch_init(&p, doc->nlines, 0);
	conf_patch_lines(doc, &p, line);
	free(line);
	return conf_finish_value(doc, &p, doc->nentries, 0, key,
	    doc->grammar == CONF_PEERLIST ? key : value, cause);
}

int
conf_table_set(struct conf_doc *doc, const char *key, const char *value,
    char **cause)
{
	const struct conf_entry *e;

	if (doc->grammar != CONF_TABLE)
		return error_set(cause, "%s: not a table (conf_table_set)",
		    doc->path);
	if (conf_check_key(doc, key, cause) != 0)
		return -1;
	if ((e = conf_find(doc, key)) != NULL)
		return conf_set_entry(doc, e, value, cause);
	return conf_append(doc, key, value, cause);
}
