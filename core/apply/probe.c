/* probe.c: a milter negotiation and a TCP connect, with a time limit. */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply/probe.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

/* Milter protocol (libmilter's mfdef.h). */
#define SMFIC_OPTNEG	'O'
#define SMFIC_QUIT	'Q'
#define SMFI_VERSION	6
#define SMFI_ACTIONS	0x1ffu		/* every action of version 6 */
#define SMFI_PROTOCOL	0x1fffffu	/* every step offered */

/* How the endpoint reads in a message. */
static char *
probe_name(const struct sockspec *ss)
{
	if (ss->family == AF_UNIX)
		return xasprintf("unix:%s", ss->path);
	if (strchr(ss->address, ':') != NULL)
		return xasprintf("[%s]:%u", ss->address, ss->port);
	return xasprintf("%s:%u", ss->address[0] != '\0' ? ss->address :
	    "127.0.0.1", ss->port);
}

/* The socket address of ss; 0, or -1 when it names no address. */
static int
probe_addr(const struct sockspec *ss, struct sockaddr_storage *sa,
    socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)sa;
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	const char *a;

	memset(sa, 0, sizeof *sa);
	if (ss->family == AF_UNIX) {
		if (ss->path == NULL || strlen(ss->path) >= sizeof un->sun_path)
			return -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, ss->path);
		*len = sizeof *un;
		return 0;
	}
	a = ss->address != NULL ? ss->address : "";
	if (ss->family == AF_INET6 || strchr(a, ':') != NULL) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(ss->port);
		if (inet_pton(AF_INET6, *a != '\0' ? a : "::1",
		    &in6->sin6_addr) != 1)
			return -1;
		*len = sizeof *in6;
		return 0;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(ss->port);
	if (strcmp(a, "localhost") == 0 || *a == '\0')
		a = "127.0.0.1";
	if (inet_pton(AF_INET, a, &in->sin_addr) != 1)
		return -1;
	*len = sizeof *in;
	return 0;
}

/* Wait for fd to be ready for events until deadline; 0, or -1 (time). */
static int
probe_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {
		if ((left = deadline - loop_now_ms()) <= 0)
			return -1;
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* One connection attempt; the socket, or -1 with errno. */
static int
probe_dial(const struct sockaddr_storage *sa, socklen_t len, int64_t deadline)
{
	socklen_t elen = sizeof(int);
	int fd, err = 0;

	if ((fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	if (probe_wait(fd, POLLOUT, deadline) != 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int
probe_dial_once(const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	struct sockaddr_storage ss;

	if (len > sizeof ss) {
		errno = EINVAL;
		return -1;
	}
	memset(&ss, 0, sizeof ss);
	memcpy(&ss, sa, len);
	return probe_dial(&ss, len, loop_now_ms() + (timeout_ms > 0 ?
	    timeout_ms : PROBE_MS));
}

/* Connect, retrying while the program starts; the socket, or -1. */
static int
probe_open(const struct sockspec *ss, int64_t deadline, char **cause)
{
	struct sockaddr_storage sa;
	socklen_t len;
	char *name = probe_name(ss);
	int fd;

	if (probe_addr(ss, &sa, &len) != 0) {
		error_set(cause, "%s: not an address notspam can dial", name);
		free(name);
		return -1;
	}
	for (;;) {
		if ((fd = probe_dial(&sa, len, deadline)) != -1)
			break;
		if (loop_now_ms() + 100 >= deadline) {
			error_set(cause, "nothing answers at %s: %s", name,
			    strerror(errno));
			break;
		}
		usleep(100 * 1000);
	}
	free(name);
	return fd;
}

/* Read exactly n bytes before the deadline; 0, or -1. */
static int
probe_read(int fd, unsigned char *p, size_t n, int64_t deadline)
{
	ssize_t got;

	while (n > 0) {
		if (probe_wait(fd, POLLIN, deadline) != 0)
			return -1;
		got = read(fd, p, n);
		if (got == 0)
			return -1;
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static void
probe_put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/* The negotiation on connected fd before the deadline; 0, or -1. */
static int
probe_optneg(int fd, const char *name, int64_t deadline, int timeout_ms,
    char **cause)
{
	unsigned char pkt[17], hdr[5], quit[5];
	uint32_t len;

	probe_put32(pkt, 13);
	pkt[4] = SMFIC_OPTNEG;
	probe_put32(pkt + 5, SMFI_VERSION);
	probe_put32(pkt + 9, SMFI_ACTIONS);
	probe_put32(pkt + 13, SMFI_PROTOCOL);
	if (probe_wait(fd, POLLOUT, deadline) != 0 ||
	    write(fd, pkt, sizeof pkt) != (ssize_t)sizeof pkt)
		return error_set(cause, "%s accepted a connection but not the "
		    "milter negotiation", name);
	if (probe_read(fd, hdr, sizeof hdr, deadline) != 0)
		return error_set(cause, "%s accepted a connection but gave no "
		    "milter negotiation reply within %d ms", name, timeout_ms);
	memcpy(&len, hdr, 4);
	len = ntohl(len);
	if (hdr[4] != SMFIC_OPTNEG || len < 13)
		return error_set(cause, "%s answered, but not as a milter "
		    "(reply '%c', %u bytes, to SMFIC_OPTNEG)", name,
		    hdr[4] >= 0x20 && hdr[4] < 0x7f ? hdr[4] : '?',
		    (unsigned)len);
	probe_put32(quit, 1);
	quit[4] = SMFIC_QUIT;
	if (write(fd, quit, sizeof quit) < 0) {
		/* The answer was the proof; the quit is a courtesy. */
	}
	return 0;
}

int
probe_negotiate(int fd, const char *name, int timeout_ms, char **cause)
{
	if (timeout_ms <= 0)
		timeout_ms = PROBE_MS;
	return probe_optneg(fd, name, loop_now_ms() + timeout_ms, timeout_ms,
	    cause);
}

int
probe_milter(const struct sockspec *ss, int timeout_ms, char **cause)
{
	int64_t deadline;
	char *name;
	int fd, rc;

	if (timeout_ms <= 0)
		timeout_ms = PROBE_MS;
	deadline = loop_now_ms() + timeout_ms;
	if ((fd = probe_open(ss, deadline, cause)) == -1)
		return -1;
	name = probe_name(ss);
	rc = probe_optneg(fd, name, deadline, timeout_ms, cause);
	free(name);
	close(fd);
	return rc;
}

int
probe_connect(const struct sockspec *ss, int timeout_ms, char **cause)
{
	int64_t deadline = loop_now_ms() + (timeout_ms > 0 ? timeout_ms :
	    PROBE_MS);
	int fd;

	if ((fd = probe_open(ss, deadline, cause)) == -1)
		return -1;
	close(fd);
	return 0;
}
