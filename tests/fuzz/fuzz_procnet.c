/* fuzz_procnet.c: libFuzzer target for the /proc/net line parsers of
 * core/doctor/listen.c (listen_parse_inet, listen_parse_unix).
 *
 * Every line of the input goes through the tcp, tcp6 and unix parsers.  A
 * row accepted must hold what the kernel writes: a canonical address of
 * its family and a port 1..65535 (TCP), or a path of at most 109 bytes
 * with no control byte left unescaped (unix); a row refused must say why
 * and hold nothing.  Seeds: tests/fuzz/seeds/procnet (the fixtures'
 * net/ files).  Build: make fuzz.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/doctor/listen.h"
#include "core/lib/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An accepted TCP row's invariants. */
static void
inet_check(const struct listen_sock *s, int family)
{
	char *canon;
	int f;

	if (s->address == NULL || s->port == 0 || s->port > 65535 ||
	    s->family != family || s->path != NULL)
		abort();
	if ((canon = netaddr_canon(s->address, &f)) == NULL ||
	    strcmp(canon, s->address) != 0 || f != family)
		abort();
	free(canon);
}

/* An accepted unix row's invariants. */
static void
unix_check(const struct listen_sock *s)
{
	const char *p;

	if (s->path == NULL || s->address != NULL || s->family != AF_UNIX)
		abort();
	for (p = s->path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (s->abstract != (s->path[0] == '@'))
		abort();
}

/* A refused row: a cause, nothing kept. */
static void
refused_check(const struct listen_sock *s, char *cause)
{
	if (cause == NULL || s->address != NULL || s->path != NULL)
		abort();
	free(cause);
}

static void
line_check(const char *line)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct listen_sock s;
	char *cause = NULL;
	int rc, i;

	for (i = 0; i < 2; i++) {
		rc = listen_parse_inet(line, fams[i], &s, &cause);
		if (rc == 1)
			inet_check(&s, fams[i]);
		else if (rc == -1)
			refused_check(&s, cause);
		else if (s.address != NULL || cause != NULL)
			abort();
		cause = NULL;
		listen_sock_clear(&s);
	}
	rc = listen_parse_unix(line, &s, &cause);
	if (rc == 1)
		unix_check(&s);
	else if (rc == -1)
		refused_check(&s, cause);
	else if (s.path != NULL || cause != NULL)
		abort();
	listen_sock_clear(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *next;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* A NUL ends the text, as it ends the lines listen.c reads. */
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line_check(line);
	}
	free(buf);
	return 0;
}
