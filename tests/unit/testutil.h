/* testutil.h: shared helpers for the cmocka unit tests.
 *
 * Tests run from the repository root (make check does so); fixtures live
 * under tests/fixtures/.  Output is TAP (CMOCKA_MESSAGE_OUTPUT=TAP is set by
 * tests/run.sh) so that the runner can count every case.
 */
#ifndef NOTSPAM_TESTUTIL_H
#define NOTSPAM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Read a whole file (host path) or fail the test; caller frees. */
static inline char *
test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, size = 0, got;

	if (f == NULL)
		fail_msg("cannot open fixture %s", path);
	for (;;) {
		if (n + 4096 + 1 > size) {
			size = size ? size * 2 : 65536;
			p = realloc(p, size);
			assert_non_null(p);
		}
		got = fread(p + n, 1, size - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

/* Run a command line through the shell (tests only; fixed strings). */
static inline char *
test_run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *p = NULL;
	size_t n = 0, size = 0, got;

	if (f == NULL)
		fail_msg("cannot run %s", cmd);
	for (;;) {
		if (n + 4096 + 1 > size) {
			size = size ? size * 2 : 65536;
			p = realloc(p, size);
			assert_non_null(p);
		}
		got = fread(p + n, 1, size - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	pclose(f);
	p[n] = '\0';
	return p;
}

#endif
