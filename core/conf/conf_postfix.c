/* conf_postfix.c: Postfix main.cf and master.cf.
 *
 * Lexical rules (postconf(5), master(5), Postfix readllines()): a line whose
 * first non-blank is '#' is a comment, a line of blanks is empty, and both
 * are skipped without ending a logical line; a line starting with a space
 * or tab continues the logical line (a continuation with nothing before it
 * is refused, as Postfix warns "logical line must not start with
 * whitespace").  '#' anywhere else is text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf/conf.h"
#include "core/conf/conf_int.h"
#include "core/lib/util.h"

/* Where a byte of a joined logical line was read. */
struct pf_pos {
	size_t	line;
	size_t	off;
};

/* The logical line spanning physical lines [first, last], continuation
 * lines trimmed and joined by one space; caller frees.  With mapp, *mapp
 * gets where each byte of it was read (caller frees). */
static char *
pf_join(const struct conf_doc *doc, size_t first, size_t last,
    struct pf_pos **mapp)
{
	struct pf_pos *map = NULL;
	struct buf b;
	size_t i, n, s, k, total = 1;
	const char *t;

	buf_init(&b);
	buf_add(&b, "", 0);
	if (mapp != NULL) {
		for (i = first; i <= last; i++)
			total += doc->lines[i].len + 1;
		map = xreallocarray(NULL, total, sizeof *map);
		*mapp = map;
	}
	for (i = first; i <= last; i++) {
		if (i != first && conf_postfix_filler(&doc->lines[i]))
			continue;
		t = doc->lines[i].text;
		n = conf_line_body(&doc->lines[i]);
		s = 0;
		while (s < n && conf_isblank(t[s]))
			s++;
		while (n > s && conf_isblank(t[n - 1]))
			n--;
		if (n == s)
			continue;
		if (b.len > 0) {
			if (map != NULL)
				map[b.len] = (struct pf_pos){ i, s };
			buf_addc(&b, ' ');
		}
		for (k = s; map != NULL && k < n; k++)
			map[b.len + k - s] = (struct pf_pos){ i, k };
		buf_add(&b, t + s, n - s);
	}
	return buf_steal(&b);
}

/* Whether c may be in a parameter name: [A-Za-z0-9_.-]. */
static int
pf_namechar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* One main.cf entry "name = value" from a logical line. */
static int
pf_main_entry(struct conf_doc *doc, size_t first, size_t last,
    const char *text, char **cause)
{
	const char *eq, *p;
	char *name = NULL, *value = NULL, *safe;
	struct strv argv;
	int rc = -1;

	strv_init(&argv);
	if ((eq = strchr(text, '=')) == NULL) {
		safe = conf_snippet(text, strlen(text));
		error_set(cause, "%s:%zu: expected \"name = value\" (a line that"
		    " continues the previous one must start with a space or "
		    "tab): \"%s\"", doc->path, first + 1, safe);
		free(safe);
		goto done;
	}
	name = xstrndup(text, (size_t)(eq - text));
	str_trim(name);
	for (p = name; *p != '\0' && pf_namechar((unsigned char)*p); p++)
		;
	if (*name == '\0' || *p != '\0') {
		safe = conf_snippet(name, strlen(name));
		error_set(cause, "%s:%zu: \"%s\" is not a valid parameter name "
		    "(expected \"name = value\", a name of letters, digits and "
		    "'_')", doc->path, first + 1, safe);
		free(safe);
		goto done;
	}
	value = xstrdup(eq + 1);
	str_trim(value);
	strv_add(&argv, name);
	str_split(value, " \t", &argv);
	conf_entry_add(doc, first, last - first + 1, name, value, &argv, 0);
	rc = 0;
done:
	strv_free(&argv);
	free(name);
	free(value);
	return rc;
}

/* Record a word's [start, end) offsets in the logical line. */
static void
pf_addpos(struct buf *wpos, size_t start, size_t end)
{
	buf_add(wpos, &start, sizeof start);
	buf_add(wpos, &end, sizeof end);
}

/*
 * Split a master.cf logical line into words: blanks separate words except
 * inside "{ }" (Postfix 3.0+), which may nest.  braced[i] tells whether word
 * i was a "{ ... }" group; its braces and outer blanks are removed.  wpos
 * gets each word's start and end offsets in text (two size_t a word).
 */
static int
pf_master_words(const struct conf_doc *doc, size_t first, const char *text,
    struct strv *words, struct buf *braced, struct buf *wpos, char **cause)
{
	const char *p = text, *start, *end;
	size_t depth;
	char *w, *safe;

	for (;;) {
		while (conf_isblank(*p))
			p++;
		if (*p == '\0')
			return 0;
		start = p;
		depth = 0;
		for (; *p != '\0'; p++) {
			if (*p == '{')
				depth++;
			else if (*p == '}' && depth > 0)
				depth--;
			else if (conf_isblank(*p) && depth == 0)
				break;
		}
		if (depth > 0) {
			safe = conf_snippet(start, strlen(start));
			error_set(cause, "%s:%zu: missing '}' in \"%s\"",
			    doc->path, first + 1, safe);
			free(safe);
			return -1;
		}
		end = p;
		pf_addpos(wpos, (size_t)(start - text), (size_t)(end - text));
		if (*start != '{') {
			w = xstrndup(start, (size_t)(end - start));
			strv_add(words, w);
			free(w);
			buf_addc(braced, 0);
			continue;
		}
		/* The group's closing brace must end the word. */
		depth = 0;
		for (p = start; p < end; p++) {
			if (*p == '{')
				depth++;
			else if (*p == '}' && --depth == 0)
				break;
		}
		if (p + 1 != end) {
			safe = conf_snippet(start, (size_t)(end - start));
			error_set(cause, "%s:%zu: text after '}' in \"%s\" "
			    "(put a blank after the closing brace)", doc->path,
			    first + 1, safe);
			free(safe);
			return -1;
		}
		w = xstrndup(start + 1, (size_t)(p - start - 1));
		str_trim(w);
		strv_add(words, w);
		free(w);
		buf_addc(braced, 1);
		p = end;
	}
}

/* "name = value with spaces" from a -o group as "name=value with spaces". */
static char *
pf_master_option(const char *group)
{
	const char *eq = strchr(group, '=');
	char *name, *value, *out;

	if (eq == NULL)
		return xstrdup(group);
	name = xstrndup(group, (size_t)(eq - group));
	value = xstrdup(eq + 1);
	str_trim(name);
	str_trim(value);
	out = xasprintf("%s=%s", name, value);
	free(name);
	free(value);
	return out;
}

/* Give the last entry its words as written and where they are. */
static void
pf_master_raw(struct conf_doc *doc, const char *text,
    const struct pf_pos *map, const size_t *wpos, size_t n,
    struct strv *raw)
{
	struct conf_entry *e = &doc->entries[doc->nentries - 1];
	struct conf_span *sp;
	size_t i, s, t;
	char *w;

	e->spans = xreallocarray(NULL, n + 1, sizeof *e->spans);
	for (i = 0; i < n; i++) {
		s = wpos[2 * i];
		t = wpos[2 * i + 1];
		w = xstrndup(text + s, t - s);
		strv_add(raw, w);
		free(w);
		sp = &e->spans[i];
		sp->line = map[s].line;
		sp->off = map[s].off;
		sp->end_line = map[t - 1].line;
		sp->end_off = map[t - 1].off + 1;
	}
	conf_entry_set_raw(doc, NULL, raw);
}

/* One master.cf entry (8 fields or more) from a logical line. */
static int
pf_master_entry(struct conf_doc *doc, size_t first, size_t last,
    const char *text, const struct pf_pos *map, char **cause)
{
	struct strv words, argv, raw;
	struct buf braced, wpos;
	char *key = NULL, *value = NULL, *opt, *safe;
	const char *sp;
	size_t i;
	int rc = -1;

	strv_init(&words);
	strv_init(&argv);
	strv_init(&raw);
	buf_init(&braced);
	buf_init(&wpos);
	if (pf_master_words(doc, first, text, &words, &braced, &wpos,
	    cause) != 0)
		goto done;
	if (words.n < 8) {
		safe = conf_snippet(text, strlen(text));
		error_set(cause, "%s:%zu: a master.cf entry needs 8 fields "
		    "(service type private unpriv chroot wakeup maxproc "
		    "command), this one has %zu: \"%s\"", doc->path, first + 1,
		    words.n, safe);
		free(safe);
		goto done;
	}
	for (i = 0; i < words.n; i++) {
		if (i > 0 && braced.data[i] && strcmp(words.v[i - 1], "-o") ==
		    0 && !braced.data[i - 1]) {
			opt = pf_master_option(words.v[i]);
			strv_add(&argv, opt);
			free(opt);
		} else
			strv_add(&argv, words.v[i]);
	}
	key = xasprintf("%s/%s", argv.v[0], argv.v[1]);
	/* The value: the logical line after the service and type fields. */
	sp = text;
	for (i = 0; i < 2; i++) {
		sp += strcspn(sp, " \t");
		sp += strspn(sp, " \t");
	}
	value = xstrdup(sp);
	str_trim(value);
	conf_entry_add(doc, first, last - first + 1, key, value, &argv, 0);
	pf_master_raw(doc, text, map, (const size_t *)(void *)wpos.data,
	    words.n, &raw);
	rc = 0;
done:
	strv_free(&words);
	strv_free(&argv);
	strv_free(&raw);
	buf_free(&braced);
	buf_free(&wpos);
	free(key);
	free(value);
	return rc;
}

/* Turn the logical line [first, last] into an entry. */
static int
pf_finish(struct conf_doc *doc, size_t first, size_t last, char **cause)
{
	struct pf_pos *map = NULL;
	char *text;
	int rc;

	if (doc->grammar == CONF_POSTFIX_MASTER) {
		text = pf_join(doc, first, last, &map);
		rc = pf_master_entry(doc, first, last, text, map, cause);
	} else {
		text = pf_join(doc, first, last, NULL);
		rc = pf_main_entry(doc, first, last, text, cause);
	}
	free(map);
	free(text);
	return rc;
}

int
conf_parse_postfix(struct conf_doc *doc, char **cause)
{
	const struct conf_line *l;
	size_t i, first = 0, last = 0;
	int open = 0;

	for (i = 0; i < doc->nlines; i++) {
		l = &doc->lines[i];
		if (conf_postfix_filler(l))
			continue;
		if (conf_isblank(l->text[0])) {
			if (!open)
				return error_set(cause, "%s:%zu: this line "
				    "starts with a space or tab, so it continues"
				    " the previous line, but there is none "
				    "(remove the leading blanks)", doc->path,
				    i + 1);
			last = i;
			continue;
		}
		if (open && pf_finish(doc, first, last, cause) != 0)
			return -1;
		open = 1;
		first = last = i;
	}
	if (open && pf_finish(doc, first, last, cause) != 0)
		return -1;
	return 0;
}

/* Option forms in master.cf. */
enum pf_form {
	PF_PLAIN,	/* -o name=value */
	PF_ATTACHED,	/* -oname=value */
	PF_BRACED,	/* -o { name = value } */
};

/* One "-o name=..." of an entry: the words it spans and its form. */
struct pf_opt {
	int		dash;	/* index of "-o" (or "-oname=value") */
	int		word;	/* index of the name=value word */
	enum pf_form	form;
};

/* The overrides of name in e, in order; returns how many (up to max). */
static size_t
pf_find_options(const struct conf_entry *e, const char *name,
    struct pf_opt *out, size_t max)
{
	size_t n = 0, nlen = strlen(name);
	const char *arg;
	int i, dash;

	for (i = 8; i < e->argc; i++) {
		dash = i;
		if (strcmp(e->argv[i], "-o") == 0) {
			if (i + 1 >= e->argc)
				break;
			arg = e->argv[++i];
		} else if (strncmp(e->argv[i], "-o", 2) == 0)
			arg = e->argv[i] + 2;
		else
			continue;
		if (strncmp(arg, name, nlen) != 0 || arg[nlen] != '=')
			continue;
		if (n < max) {
			out[n].dash = dash;
			out[n].word = i;
			out[n].form = dash == i ? PF_ATTACHED :
			    e->raw_argv[i][0] == '{' ? PF_BRACED : PF_PLAIN;
		}
		n++;
	}
	return n;
}

/* Whether name = value can be written as a master.cf override. */
static int
pf_check_option(const struct conf_doc *doc, const char *name,
    const char *value, char **cause)
{
	const unsigned char *p;
	const char *q;

	for (q = name; *q != '\0' && pf_namechar((unsigned char)*q); q++)
		;
	if (*name == '\0' || *q != '\0')
		return error_set(cause, "%s: \"%s\" is not a Postfix parameter "
		    "name", doc->path, name);
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '{' || *p == '}')
			return error_set(cause, "%s: cannot set -o %s: the "
			    "value holds a brace or a control character",
			    doc->path, name);
	return 0;
}

/* The text of an override in form f ("{ }" when value has blanks). */
static char *
pf_option_text(enum pf_form f, const char *name, const char *value)
{
	int blanks = strpbrk(value, " \t") != NULL;

	if (f == PF_BRACED || (blanks && f == PF_PLAIN))
		return xasprintf("{ %s = %s }", name, value);
	if (f == PF_ATTACHED && blanks)
		return xasprintf("-o { %s = %s }", name, value);
	if (f == PF_ATTACHED)
		return xasprintf("-o%s=%s", name, value);
	return xasprintf("%s=%s", name, value);
}

/* Offset of (line, off) in the bytes of e's lines read as one string. */
static size_t
pf_stream_off(const struct conf_doc *doc, const struct conf_entry *e,
    size_t line, size_t off)
{
	size_t i, n = 0;

	for (i = e->first; i < line; i++)
		n += doc->lines[i].len;
	return n + off;
}

/*
 * Rebuild the lines of e into p: bytes marked in del[] (offsets as
 * pf_stream_off) are left out, `with` is written at offset at (SIZE_MAX:
 * nowhere).  A continuation line left with blanks only goes; comment and
 * blank lines stay as they are.
 */
static void
pf_rebuild_entry(const struct conf_doc *doc, const struct conf_entry *e,
    const char *del, size_t at, const char *with, struct conf_patch *p)
{
	const struct conf_line *l;
	struct buf out;
	size_t i, k, base = 0, body;
	int had, has, put;

	conf_patch_init(p, e->first, e->count);
	buf_init(&out);
	for (i = e->first; i < e->first + e->count; base += l->len, i++) {
		l = &doc->lines[i];
		body = conf_line_body(l);
		/* Comment lines inside the entry stay, even inside a group. */
		if (i != e->first && conf_postfix_filler(l)) {
			buf_add(&p->text, l->text, l->len);
			continue;
		}
		out.len = 0;
		buf_add(&out, "", 0);
		had = has = put = 0;
		for (k = 0; k <= body; k++) {
			if (base + k == at) {
				buf_adds(&out, with);
				put = 1;
			}
			if (k == body)
				break;
			if (!conf_isblank(l->text[k]))
				had = 1;
			if (del[base + k])
				continue;
			buf_addc(&out, l->text[k]);
			if (!conf_isblank(l->text[k]))
				has = 1;
		}
		if (i != e->first && had && !has && !put)
			continue;
		buf_add(&p->text, out.data, out.len);
		buf_add(&p->text, l->text + body, l->len - body);
	}
	buf_free(&out);
}

/* Mark the bytes of words [from, to] of e in del[]. */
static void
pf_mark_words(const struct conf_doc *doc, const struct conf_entry *e,
    int from, int to, char *del)
{
	size_t s, t;

	s = pf_stream_off(doc, e, e->spans[from].line, e->spans[from].off);
	t = pf_stream_off(doc, e, e->spans[to].end_line, e->spans[to].end_off);
	memset(del + s, 1, t - s);
}

/* Mark the blanks next to each run of deleted bytes on its line: before
 * it when text precedes it on the line, else after it. */
static void
pf_mark_blanks(const struct conf_doc *doc, const struct conf_entry *e,
    char *del)
{
	const struct conf_line *l;
	size_t i, k, j, base = 0, body, end;

	for (i = e->first; i < e->first + e->count; base += l->len, i++) {
		l = &doc->lines[i];
		body = conf_line_body(l);
		for (k = 0; k < body; k = end) {
			if (!del[base + k]) {
				end = k + 1;
				continue;
			}
			for (end = k; end < body && del[base + end]; end++)
				;
			j = k;
			while (j > 0 && conf_isblank(l->text[j - 1]))
				j--;
			if (j > 0 && !del[base + j - 1])
				memset(del + base + j, 1, k - j);
			else
				while (end < body && conf_isblank(l->text[end]))
					del[base + end++] = 1;
		}
	}
}

/* Commit p for entry idx and check that option name reads back as value
 * (NULL: gone) on the same service. */
static int
pf_commit_option(struct conf_doc *doc, struct conf_patch *p, size_t idx,
    const char *name, const char *value, char **cause)
{
	struct conf_doc *next;
	const char *got;
	char *key = xstrdup(doc->entries[idx].key);
	int ok;

	next = conf_commit(doc, p, idx, 1, 1, cause);
	conf_patch_free(p);
	if (next == NULL) {
		free(key);
		return -1;
	}
	got = conf_master_option(&next->entries[idx], name);
	ok = strcmp(next->entries[idx].key, key) == 0 && (value == NULL ?
	    got == NULL : got != NULL && strcmp(got, value) == 0);
	if (!ok) {
		error_set(cause, "%s: -o %s would not read back as set on %s; "
		    "nothing was changed", doc->path, name, key);
		conf_free(next);
	} else
		conf_adopt(doc, next);
	free(key);
	return ok ? 0 : -1;
}

/* Add "-o name=value" as a new continuation line after e's last line. */
static void
pf_add_option(const struct conf_doc *doc, const struct conf_entry *e,
    const char *name, const char *value, struct conf_patch *p)
{
	const struct conf_line *last = &doc->lines[e->first + e->count - 1];
	char *opt, *line;
	size_t indent = 0;

	if (e->count > 1)
		indent = strspn(last->text, " \t");
	if (strpbrk(value, " \t") != NULL)
		opt = xasprintf("-o { %s = %s }", name, value);
	else
		opt = xasprintf("-o %s=%s", name, value);
	if (indent > 0)
		line = xasprintf("%.*s%s", (int)indent, last->text, opt);
	else
		line = xasprintf("  %s", opt);
	conf_patch_init(p, e->first + e->count, 0);
	conf_patch_line(doc, p, line, strlen(line));
	free(line);
	free(opt);
}

int
conf_master_set_option(struct conf_doc *doc, const struct conf_entry *e,
    const char *name, const char *value, char **cause)
{
	struct conf_patch p;
	struct pf_opt opt, *opts;
	size_t idx = 0, n, at;
	char *del, *text;

	if (doc->grammar != CONF_POSTFIX_MASTER)
		return error_set(cause, "%s: not a master.cf file", doc->path);
	if (conf_entry_index(doc, e, &idx, cause) != 0 ||
	    pf_check_option(doc, name, value, cause) != 0)
		return -1;
	if ((n = pf_find_options(e, name, NULL, 0)) == 0)
		pf_add_option(doc, e, name, value, &p);
	else {
		opts = xreallocarray(NULL, n, sizeof *opts);
		pf_find_options(e, name, opts, n);
		opt = opts[n - 1];
		free(opts);
		del = xcalloc(pf_stream_off(doc, e, e->first + e->count, 0) + 1,
		    1);
		pf_mark_words(doc, e, opt.word, opt.word, del);
		at = pf_stream_off(doc, e, e->spans[opt.word].line,
		    e->spans[opt.word].off);
		text = pf_option_text(opt.form, name, value);
		pf_rebuild_entry(doc, e, del, at, text, &p);
		free(text);
		free(del);
	}
	return pf_commit_option(doc, &p, idx, name, value, cause);
}

int
conf_master_unset_option(struct conf_doc *doc, const struct conf_entry *e,
    const char *name, char **cause)
{
	struct conf_patch p;
	struct pf_opt *opts;
	size_t idx = 0, n, i;
	char *del;

	if (doc->grammar != CONF_POSTFIX_MASTER)
		return error_set(cause, "%s: not a master.cf file", doc->path);
	if (conf_entry_index(doc, e, &idx, cause) != 0 ||
	    pf_check_option(doc, name, "", cause) != 0)
		return -1;
	if ((n = pf_find_options(e, name, NULL, 0)) == 0)
		return 0;
	opts = xreallocarray(NULL, n, sizeof *opts);
	pf_find_options(e, name, opts, n);
	del = xcalloc(pf_stream_off(doc, e, e->first + e->count, 0) + 1, 1);
	for (i = 0; i < n; i++)
		pf_mark_words(doc, e, opts[i].dash, opts[i].word, del);
	pf_mark_blanks(doc, e, del);
	pf_rebuild_entry(doc, e, del, SIZE_MAX, NULL, &p);
	free(del);
	free(opts);
	if (pf_commit_option(doc, &p, idx, name, NULL, cause) != 0)
		return -1;
	return (int)n;
}

int
conf_master_set_service(struct conf_doc *doc, const char *text,
    char **cause)
{
	struct conf_doc *one;
	const struct conf_entry *e;
	char *why = NULL;
	int rc;

	if (doc->grammar != CONF_POSTFIX_MASTER)
		return error_set(cause, "%s: not a master.cf file", doc->path);
	if (conf_check_text(doc, text, cause) != 0)
		return -1;
	one = conf_parse(CONF_POSTFIX_MASTER, doc->path, text, strlen(text),
	    &why);
	if (one == NULL || one->nentries != 1) {
		rc = error_set(cause, "%s: not one master.cf service: %s",
		    doc->path, why != NULL ? why : "no entry");
		free(why);
		conf_free(one);
		return rc;
	}
	e = conf_find(doc, one->entries[0].key);
	if (e != NULL)
		rc = conf_replace(doc, e, text, cause);
	else
		rc = conf_insert(doc, NULL, 0, text, cause);
	conf_free(one);
	return rc;
}
