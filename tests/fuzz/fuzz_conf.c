/* fuzz_conf.c: libFuzzer target for the core/conf documents.
 *
 * Parses the input with every grammar; whenever a parse succeeds, the
 * document must give back the input byte for byte, every entry must point
 * at lines that exist, and the lookups must not crash.  A failed parse must
 * leave a message starting with the path.  Every edit on the first and the
 * last entry either fails with the document untouched or leaves a model
 * that a fresh parse of its text reproduces; conf_diff of the texts before
 * and after must be empty exactly when they are equal.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. core/lib/util.c \
 *       core/lib/fsroot.c core/conf/conf*.c core/conf/diff.c \
 *       tests/fuzz/fuzz_conf.c -o /tmp/fuzz_conf
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf/conf.h"
#include "core/conf/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Check one parsed document against its input; abort() on a bug. */
static void
fuzz_check(const struct conf_doc *doc, const uint8_t *data, size_t len)
{
	const struct conf_entry *e;
	char *text, *where;
	size_t i, tlen;
	int j;

	text = conf_text(doc, &tlen);
	if (tlen != len || (len > 0 && memcmp(text, data, len) != 0))
		abort();
	free(text);
	for (i = 0; i < doc->nentries; i++) {
		e = &doc->entries[i];
		if (e->count == 0 || e->first + e->count > doc->nlines ||
		    e->lineno != e->first + 1 || e->key == NULL ||
		    e->value == NULL || e->argv == NULL ||
		    e->argv[e->argc] != NULL)
			abort();
		for (j = 0; j < e->argc; j++)
			if (e->argv[j] == NULL)
				abort();
		if (conf_find(doc, e->key) == NULL || e->raw_value == NULL ||
		    e->raw_argv == NULL || e->raw_argv[e->raw_argc] != NULL)
			abort();
		for (j = 0; e->spans != NULL && j < e->raw_argc; j++)
			if (e->spans[j].end_line >= doc->nlines ||
			    e->spans[j].line < e->first ||
			    e->spans[j].end_line >= e->first + e->count)
				abort();
		(void)conf_master_option(e, "content_filter");
		where = conf_where(doc, e);
		free(where);
	}
}

/* The model of doc must be what a fresh parse of its text gives. */
static void
fuzz_consistent(const struct conf_doc *doc)
{
	struct conf_doc *re;
	char *text, *cause = NULL;
	size_t len, i;

	text = conf_text(doc, &len);
	re = conf_parse(doc->grammar, doc->path, text, len, &cause);
	if (re == NULL || re->nentries != doc->nentries ||
	    re->nlines != doc->nlines)
		abort();
	for (i = 0; i < doc->nentries; i++)
		if (strcmp(re->entries[i].key, doc->entries[i].key) != 0 ||
		    strcmp(re->entries[i].value, doc->entries[i].value) != 0 ||
		    re->entries[i].first != doc->entries[i].first ||
		    re->entries[i].count != doc->entries[i].count)
			abort();
	conf_free(re);
	free(text);
}

/* Edit op on entry e of a fresh parse; check the outcome. */
static void
fuzz_edit(enum conf_grammar g, const uint8_t *data, size_t len, int op,
    int last)
{
	struct conf_doc *doc;
	const struct conf_entry *e;
	char *cause = NULL, *before, *after, *diff;
	size_t blen, alen, dlen;
	int rc = -1;

	doc = conf_parse(g, "fuzz", (const char *)data, len, NULL);
	if (doc == NULL || doc->nentries == 0) {
		conf_free(doc);
		return;
	}
	e = &doc->entries[last ? doc->nentries - 1 : 0];
	before = conf_text(doc, &blen);
	switch (op) {
	case 0:
		rc = conf_delete(doc, e, &cause);
		break;
	case 1:
		rc = conf_comment_out(doc, e, &cause);
		break;
	case 2:
		rc = conf_insert(doc, e, last, "fuzz_key v", &cause);
		break;
	case 3:
		rc = conf_set_entry(doc, e, "v", &cause);
		break;
	case 4:
		rc = conf_master_set_option(doc, e, "fuzz", "a b", &cause);
		break;
	case 5:
		rc = conf_master_unset_option(doc, e, "fuzz", &cause);
		break;
	}
	after = conf_text(doc, &alen);
	if (rc < 0) {
		if (cause == NULL || strncmp(cause, "fuzz", 4) != 0 ||
		    alen != blen || memcmp(before, after, blen) != 0)
			abort();
		free(cause);
	}
	fuzz_consistent(doc);
	diff = conf_diff_text(before, blen, after, alen, "a/f", "b/f", &dlen);
	if ((dlen == 0) != (alen == blen && memcmp(before, after, blen) == 0))
		abort();
	free(diff);
	free(before);
	free(after);
	conf_free(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const enum conf_grammar grammars[] = {
		CONF_POSTFIX_MAIN, CONF_POSTFIX_MASTER, CONF_OPENDKIM,
		CONF_TABLE, CONF_PEERLIST, CONF_SMTPD, CONF_DKIMPROXY,
		CONF_SETTINGS, CONF_SHELLVARS,
	};
	struct conf_doc *doc;
	char *cause;
	size_t g;

	for (g = 0; g < sizeof grammars / sizeof grammars[0]; g++) {
		cause = NULL;
		doc = conf_parse(grammars[g], "fuzz", (const char *)data, len,
		    &cause);
		if (doc == NULL) {
			if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0)
				abort();
			free(cause);
			continue;
		}
		fuzz_check(doc, data, len);
		/* An edit either works or leaves the document as it was. */
		if (conf_set(doc, "fuzz_key", "v", &cause) != 0)
			free(cause);
		else if (conf_get(doc, "fuzz_key") == NULL ||
		    strcmp(conf_get(doc, "fuzz_key"), "v") != 0)
			abort();
		conf_free(doc);
		/* Edits reparse the whole input: one edit, picked by the
		 * input's length, on small inputs only. */
		if (len <= 4096)
			fuzz_edit(grammars[g], data, len, (int)(len % 6),
			    (int)(len / 6 % 2));
	}
	return 0;
}
