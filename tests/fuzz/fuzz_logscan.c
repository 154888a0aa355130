/* fuzz_logscan.c: libFuzzer target for core/doctor/logscan*.c.
 *
 * The input is scanned twice, as syslog text and as journalctl -o json
 * output, with a fixed clock.  Whatever it holds, every group must name a
 * known cause, count at least one line, keep its times in order, and
 * carry only sanitized text (no control byte, no raw ESC) of bounded
 * length; the one-line rendering and the JSON document must be free of
 * control bytes too; a parsed line's parts must lie inside the input.
 * Seeds: tests/fuzz/seeds/logscan (from tests/fixtures/logs).
 * Build: make fuzz (build/fuzz/fuzz_logscan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/doctor/logscan.h"
#include "core/lib/json.h"
#include "core/lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Is s NULL or free of C0 controls and DEL? */
static int
clean(const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return 1;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static void
check(const struct logscan *ls)
{
	const struct logscan_match *m;
	struct json j;
	char *t;
	size_t i;

	if (ls->nmatches > LOGSCAN_MAX_GROUPS)
		abort();
	for (i = 0; i < ls->nmatches; i++) {
		m = &ls->matches[i];
		if ((unsigned)m->cause >= LOGSCAN_NCAUSES || m->count == 0 ||
		    (m->first != 0 && m->last < m->first) ||
		    logscan_cause_from_id(logscan_cause_id(m->cause)) !=
		    (int)m->cause)
			abort();
		if (!clean(m->program) || !clean(m->endpoint) ||
		    !clean(m->address) || !clean(m->domain) ||
		    !clean(m->detail) || !clean(m->line) || !clean(m->source))
			abort();
		if (m->line == NULL ||
		    strlen(m->line) > 4 * LOGSCAN_LINE_SHOWN + 3)
			abort();
		t = logscan_match_text(m);
		if (!clean(t))
			abort();
		free(t);
	}
	json_init(&j);
	logscan_json(&j, NULL, ls);
	t = json_finish(&j);
	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 && t[i] != '\n')
			abort();
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct logscan_opts o;
	struct logscan_line l;
	struct logscan *ls;
	const char *s = (const char *)data;

	memset(&o, 0, sizeof o);
	o.now = 1796141400;
	o.window = len > 0 && (data[0] & 1) ? -1 : 0;
	ls = logscan_new(&o);
	logscan_text(ls, "fuzz", s, len);
	logscan_journal_text(ls, s, len);
	check(ls);
	logscan_free(ls);

	logscan_parse_line(s, len, o.now, &l);
	if (l.msg < s || l.msg + l.msglen > s + len ||
	    (l.proglen > 0 && (l.prog < s || l.prog + l.proglen > s + len)))
		abort();
	return 0;
}
