/* fuzz_conf.c: libFuzzer target for the core/conf documents.
 *
 * Parses the input with every grammar; whenever a parse succeeds, the
 * document must give back the input byte for byte, every entry must point
 * at lines that exist, and the lookups must not crash.  A failed parse must
 * leave a message starting with the path.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. core/lib/util.c \
 *       core/lib/fsroot.c core/conf/conf*.c tests/fuzz/fuzz_conf.c -o /tmp/fuzz_conf
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf/conf.h"

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
		if (conf_find(doc, e->key) == NULL)
			abort();
		(void)conf_master_option(e, "content_filter");
		where = conf_where(doc, e);
		free(where);
	}
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
	}
	return 0;
}
