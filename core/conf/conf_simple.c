/* conf_simple.c: the one-line-per-entry grammars.
 *
 *  opendkim.conf  OpenDKIM config_load(): the line is cut at the first '#'
 *                 or CR anywhere; "Key value", leading blanks skipped, the
 *                 value is the rest with outer blanks trimmed.  A key with no
 *                 value (OpenDKIM refuses it: "required value missing") is
 *                 kept with value "" so that notspam can point at it.
 *  tables, peer   OpenDKIM file datasets (KeyTable, SigningTable, refile:,
 *  lists          InternalHosts...): '#' starts a comment anywhere in the
 *                 line, as OpenDKIM's file dataset reader cuts it there; no
 *                 continuation lines.  Tables: key = first field, value = the
 *                 rest; peer lists: the whole trimmed line.
 *  dkimproxy      Net::Server-style config: a comment is a line whose first
 *                 non-blank is '#' ('#' after text is value text, e.g. in
 *                 a signature's options); "option value".
 *  settings       "key = value", '#' comment lines, no continuations.
 *  shellvars      NAME=value, "export NAME=value", single and double quotes
 *                 and backslashes as sh(1) reads them, no expansion ("$X"
 *                 stays as written), '#' comments; anything else (commands,
 *                 several words) is refused since notspam cannot run it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/conf/conf.h"
#include "core/conf/conf_int.h"
#include "core/lib/util.h"

/* Key and value of a "key value" text: blanks separate, value trimmed. */
static void
simple_keyvalue(struct conf_doc *doc, size_t i, const char *text,
    size_t n)
{
	struct strv argv;
	size_t s = 0, k;
	char *key, *value;

	while (s < n && conf_isblank(text[s]))
		s++;
	while (n > s && (conf_isblank(text[n - 1]) || text[n - 1] == '\r'))
		n--;
	if (s == n)
		return;
	k = s;
	while (k < n && !conf_isblank(text[k]))
		k++;
	key = xstrndup(text + s, k - s);
	while (k < n && conf_isblank(text[k]))
		k++;
	value = xstrndup(text + k, n - k);
	strv_init(&argv);
	strv_add(&argv, key);
	str_split(value, " \t", &argv);
	conf_entry_add(doc, i, 1, key, value, &argv, 0);
	free(key);
	free(value);
}

/* Whether c may be in a notspam setting name. */
static int
simple_namechar(int c, int dots)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' ||
	    (dots && (c == '.' || c == '-'));
}

/* A settings line "key = value". */
static int
simple_setting(struct conf_doc *doc, size_t i, const char *text, size_t n,
    char **cause)
{
	struct strv argv;
	const char *eq;
	char *key, *value, *safe;
	size_t j;

	eq = memchr(text, '=', n);
	if (eq == NULL) {
		safe = conf_snippet(text, n);
		error_set(cause, "%s:%zu: expected \"key = value\" (or a '#' "
		    "comment line): \"%s\"", doc->path, i + 1, safe);
		free(safe);
		return -1;
	}
	key = xstrndup(text, (size_t)(eq - text));
	str_trim(key);
	for (j = 0; key[j] != '\0' && simple_namechar(key[j], 1); j++)
		;
	if (key[0] == '\0' || key[j] != '\0') {
		safe = conf_snippet(key, strlen(key));
		error_set(cause, "%s:%zu: \"%s\" is not a valid setting name "
		    "(letters, digits, '_', '.', '-')", doc->path, i + 1, safe);
		free(safe);
		free(key);
		return -1;
	}
	value = xstrndup(eq + 1, n - (size_t)(eq + 1 - text));
	str_trim(value);
	strv_init(&argv);
	strv_add(&argv, key);
	str_split(value, " \t", &argv);
	conf_entry_add(doc, i, 1, key, value, &argv, 0);
	free(key);
	free(value);
	return 0;
}

/*
 * The shell word at text[*j] (quotes and backslashes resolved, no
 * expansion) into out; 0, or -1 on an unterminated quote or a trailing
 * backslash (a continuation notspam does not follow).  Stops at a
 * blank, ';', '&', '|', '<', '>', '(', ')' or the end.
 */
static int
simple_shell_word(const char *text, size_t n, size_t *j, struct buf *out)
{
	size_t k = *j;
	char q;

	while (k < n && !conf_isblank(text[k]) &&
	    strchr(";&|<>()", text[k]) == NULL) {
		if (text[k] == '\'') {
			for (k++; k < n && text[k] != '\''; k++)
				buf_addc(out, text[k]);
			if (k == n)
				return -1;
			k++;
		} else if (text[k] == '"') {
			q = '"';
			for (k++; k < n && text[k] != q; k++) {
				if (text[k] == '\\' && k + 1 < n &&
				    strchr("$`\"\\", text[k + 1]) != NULL)
					k++;
				buf_addc(out, text[k]);
			}
			if (k == n)
				return -1;
			k++;
		} else if (text[k] == '\\') {
			if (k + 1 == n)
				return -1;
			buf_addc(out, text[k + 1]);
			k += 2;
		} else
			buf_addc(out, text[k++]);
	}
	*j = k;
	return 0;
}

/* A shell assignment line: [export] NAME=value [# comment]. */
static int
simple_shellvar(struct conf_doc *doc, size_t i, const char *text, size_t n,
    char **cause)
{
	struct strv argv;
	struct buf value;
	size_t j = 0, k;
	char *name = NULL, *safe;
	int rc = -1;

	buf_init(&value);
	buf_add(&value, "", 0);
	strv_init(&argv);
	while (j < n && conf_isblank(text[j]))
		j++;
	if (n - j > 7 && strncmp(text + j, "export", 6) == 0 &&
	    conf_isblank(text[j + 6])) {
		j += 6;
		while (j < n && conf_isblank(text[j]))
			j++;
	}
	k = j;
	while (k < n && simple_namechar((unsigned char)text[k], 0))
		k++;
	if (k == j || k == n || text[k] != '=' ||
	    (text[j] >= '0' && text[j] <= '9'))
		goto bad;
	name = xstrndup(text + j, k - j);
	k++;
	if (simple_shell_word(text, n, &k, &value) != 0) {
		error_set(cause, "%s:%zu: unterminated quote (or a trailing "
		    "backslash) in the value of %s: close it on the same line",
		    doc->path, i + 1, name);
		goto done;
	}
	while (k < n && (conf_isblank(text[k]) || text[k] == '\r'))
		k++;
	if (k < n && text[k] != '#')
		goto bad;
	strv_add(&argv, name);
	strv_add(&argv, value.data);
	conf_entry_add(doc, i, 1, name, value.data, &argv, 0);
	rc = 0;
	goto done;
bad:
	safe = conf_snippet(text, n);
	error_set(cause, "%s:%zu: expected NAME=value (notspam reads only "
	    "plain variable assignments; quote values with blanks): \"%s\"",
	    doc->path, i + 1, safe);
	free(safe);
done:
	strv_free(&argv);
	buf_free(&value);
	free(name);
	return rc;
}

int
conf_parse_simple(struct conf_doc *doc, char **cause)
{
	const struct conf_line *l;
	struct strv argv;
	const char *t;
	size_t i, n, s, cut;
	char *entry;

	for (i = 0; i < doc->nlines; i++) {
		l = &doc->lines[i];
		t = l->text;
		n = conf_line_body(l);
		s = 0;
		while (s < n && (conf_isblank(t[s]) || t[s] == '\r'))
			s++;
		switch (doc->grammar) {
		case CONF_OPENDKIM:
			cut = strcspn(t, "#\r");
			simple_keyvalue(doc, i, t, cut < n ? cut : n);
			break;
		case CONF_TABLE:
			cut = strcspn(t, "#");
			simple_keyvalue(doc, i, t, cut < n ? cut : n);
			break;
		case CONF_PEERLIST:
			cut = strcspn(t, "#");
			entry = xstrndup(t, cut < n ? cut : n);
			str_trim(entry);
			if (*entry != '\0') {
				strv_init(&argv);
				strv_add(&argv, entry);
				conf_entry_add(doc, i, 1, entry, entry, &argv,
				    0);
			}
			free(entry);
			break;
		case CONF_DKIMPROXY:
			if (s < n && t[s] != '#')
				simple_keyvalue(doc, i, t, n);
			break;
		case CONF_SETTINGS:
			if (s < n && t[s] != '#' &&
			    simple_setting(doc, i, t + s, n - s, cause) != 0)
				return -1;
			break;
		case CONF_SHELLVARS:
			if (s < n && t[s] != '#' &&
			    simple_shellvar(doc, i, t + s, n - s, cause) != 0)
				return -1;
			break;
		default:
			return error_set(cause, "%s: not a one-line grammar",
			    doc->path);
		}
	}
	return 0;
}
