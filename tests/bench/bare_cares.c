/* bare_cares.c: the bare c-ares baseline for the DNS benchmark.
 *
 * Reads "name type" lines on stdin (tests/bench/genzone.py writes them),
 * sends them with at most WINDOW queries in flight on one poll() loop
 * (ARES_OPT_SOCK_STATE_CB, ares_process_fd, ares_timeout: the way
 * core/dns/dns.c drives c-ares), and prints the wall time from the first query
 * to the last answer, queries per second and the answers by status.
 * Exit status 0 when every query got records or NODATA (genzone.py --site
 * lists the type-99 and NS lookups notspam makes, answered NODATA).
 * Links only libcares.  Build and run:
 *   cc -O2 -o /tmp/bare_cares tests/bench/bare_cares.c \
 *       $(pkg-config --cflags --libs libcares)
 *   /tmp/bare_cares --server 127.0.0.1:5353 [-n 100] < queries.txt
 */
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

struct query {
	char	*name;
	int	 type;
};

struct bench {
	ares_channel	 ch;
	struct query	*q;
	size_t		 nq;
	size_t		 next;		/* next query to send */
	size_t		 inflight;
	size_t		 done;
	size_t		 window;
	struct pollfd	 pfd[64];
	nfds_t		 npfd;
	size_t		 status[ARES_ECANCELLED + 2];
};

static const struct {
	const char	*name;
	int		 type;
} types[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 },
	{ "PTR", 12 }, { "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 },
	{ "SPF", 99 },
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ARES_OPT_SOCK_STATE_CB: keep the pollfd set in step with c-ares. */
static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct bench *b = data;
	nfds_t i;

	for (i = 0; i < b->npfd; i++)
		if (b->pfd[i].fd == fd)
			break;
	if (!readable && !writable) {
		if (i < b->npfd)
			b->pfd[i] = b->pfd[--b->npfd];
		return;
	}
	if (i == b->npfd) {
		if (b->npfd == sizeof b->pfd / sizeof b->pfd[0]) {
			fprintf(stderr, "bare_cares: too many sockets\n");
			return;
		}
		b->npfd++;
	}
	b->pfd[i].fd = fd;
	b->pfd[i].events = (short)((readable ? POLLIN : 0) |
	    (writable ? POLLOUT : 0));
}

static void
answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct bench *b = arg;

	(void)timeouts;
	(void)abuf;
	(void)alen;
	if (status < 0 || status > ARES_ECANCELLED)
		status = ARES_ECANCELLED + 1;
	b->status[status]++;
	b->inflight--;
	b->done++;
}

/* Send queries while the window has room. */
static void
fill(struct bench *b)
{
	struct query *q;

	while (b->next < b->nq && b->inflight < b->window) {
		q = &b->q[b->next++];
		b->inflight++;
		ares_query(b->ch, q->name, ns_c_in, q->type, answered, b);
	}
}

/* Read "name type" lines; returns 0, or -1 on a bad line. */
static int
read_queries(struct bench *b, FILE *f)
{
	char line[1024], name[1024], type[32];
	size_t i, size = 0;
	unsigned long lineno = 0;

	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%1023s %31s", name, type) != 2)
			goto bad;
		for (i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(types[i].name, type) == 0)
				break;
		if (i == sizeof types / sizeof types[0])
			goto bad;
		if (b->nq == size) {
			size = size ? size * 2 : 1024;
			b->q = realloc(b->q, size * sizeof *b->q);
			if (b->q == NULL)
				return -1;
		}
		b->q[b->nq].type = types[i].type;
		if ((b->q[b->nq].name = strdup(name)) == NULL)
			return -1;
		b->nq++;
	}
	return 0;
bad:
	fprintf(stderr, "bare_cares: stdin line %lu: not \"name type\"\n",
	    lineno);
	return -1;
}

/* The poll loop: until every query has an answer. */
static void
run(struct bench *b)
{
	struct timeval tv, *tp;
	nfds_t i, n;
	int ms, ready;
	ares_socket_t fds[64];
	short rev[64];

	fill(b);
	while (b->done < b->nq) {
		tp = ares_timeout(b->ch, NULL, &tv);
		ms = tp == NULL ? 1000 : (int)(tp->tv_sec * 1000 +
		    (tp->tv_usec + 999) / 1000);
		ready = poll(b->pfd, b->npfd, ms);
		if (ready == -1 && errno != EINTR) {
			perror("bare_cares: poll");
			return;
		}
		/* Copy first: processing changes the set. */
		for (i = 0, n = 0; ready > 0 && i < b->npfd; i++) {
			if (b->pfd[i].revents == 0)
				continue;
			fds[n] = b->pfd[i].fd;
			rev[n++] = b->pfd[i].revents;
		}
		for (i = 0; i < n; i++)
			ares_process_fd(b->ch, rev[i] & (POLLIN | POLLERR |
			    POLLHUP) ? fds[i] : ARES_SOCKET_BAD,
			    rev[i] & POLLOUT ? fds[i] : ARES_SOCKET_BAD);
		if (n == 0)
			ares_process_fd(b->ch, ARES_SOCKET_BAD,
			    ARES_SOCKET_BAD);
		fill(b);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: bare_cares --server IP:PORT [-n WINDOW] "
	    "[-t TIMEOUT_MS] [-r TRIES] < queries\n");
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct ares_options o;
	const char *server = NULL;
	double start, took;
	size_t i;
	int a, r, rc = 1;

	memset(&b, 0, sizeof b);
	memset(&o, 0, sizeof o);
	b.window = 100;
	o.timeout = 2000;
	o.tries = 2;
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--server") == 0 && a + 1 < argc)
			server = argv[++a];
		else if (strcmp(argv[a], "-n") == 0 && a + 1 < argc)
			b.window = strtoul(argv[++a], NULL, 10);
		else if (strcmp(argv[a], "-t") == 0 && a + 1 < argc)
			o.timeout = atoi(argv[++a]);
		else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc)
			o.tries = atoi(argv[++a]);
		else {
			usage();
			return 2;
		}
	}
	if (server == NULL || b.window == 0) {
		usage();
		return 2;
	}
	if (read_queries(&b, stdin) != 0)
		return 1;
	ares_library_init(ARES_LIB_INIT_ALL);
	o.flags = ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
	o.ednspsz = 1232;
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = &b;
	if ((r = ares_init_options(&b.ch, &o, ARES_OPT_FLAGS |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_EDNSPSZ |
	    ARES_OPT_SOCK_STATE_CB)) != ARES_SUCCESS) {
		fprintf(stderr, "bare_cares: %s\n", ares_strerror(r));
		goto done;
	}
	if ((r = ares_set_servers_ports_csv(b.ch, server)) != ARES_SUCCESS) {
		fprintf(stderr, "bare_cares: --server %s: %s\n", server,
		    ares_strerror(r));
		ares_destroy(b.ch);
		goto done;
	}
	start = now_s();
	run(&b);
	took = now_s() - start;
	printf("%zu queries, window %zu: %.3f s, %.0f queries/s\n", b.nq,
	    b.window, took, took > 0 ? (double)b.done / took : 0.0);
	printf("ok %zu nodata %zu nxdomain %zu servfail %zu timeout %zu "
	    "other %zu\n", b.status[ARES_SUCCESS], b.status[ARES_ENODATA],
	    b.status[ARES_ENOTFOUND], b.status[ARES_ESERVFAIL],
	    b.status[ARES_ETIMEOUT], b.done - b.status[ARES_SUCCESS] -
	    b.status[ARES_ENODATA] - b.status[ARES_ENOTFOUND] -
	    b.status[ARES_ESERVFAIL] - b.status[ARES_ETIMEOUT]);
	/* NODATA is an answer too: notspam's queries include the type-99
	 * SPF and NS lookups a sound zone answers with no record. */
	rc = b.done == b.status[ARES_SUCCESS] + b.status[ARES_ENODATA] ?
	    0 : 1;
	ares_destroy(b.ch);
done:
	for (i = 0; i < b.nq; i++)
		free(b.q[i].name);
	free(b.q);
	ares_library_cleanup();
	return rc;
}
