/* loop.c: one poll() loop for file descriptors and timers. */
#include "core/lib/loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lib/util.h"

/* One watched file descriptor; gen tells a new registration of a reused fd
 * number from the one poll() reported on. */
struct loop_fd {
	int		 fd;
	short		 events;
	loop_fd_cb	 cb;
	void		*arg;
	uint64_t	 gen;
};

/* One timer in the heap, ordered by (when, id): ids grow, so timers added
 * while due ones run come after them. */
struct loop_timer {
	int64_t		 when;
	uint64_t	 id;
	loop_timer_cb	 cb;
	void		*arg;
};

struct loop {
	struct loop_fd		*fds;
	size_t			 nfds;
	size_t			 fdsize;
	uint64_t		 fdgen;

	struct pollfd		*pfds;		/* the set poll() last saw */
	uint64_t		*pgens;
	size_t			 psize;

	struct loop_timer	*heap;
	size_t			 ntimers;
	size_t			 tsize;
	uint64_t		 next_id;

	int			 running;	/* inside loop_once */
};

int64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);

	l->next_id = 1;
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	free(l->fds);
	free(l->pfds);
	free(l->pgens);
	free(l->heap);
	free(l);
}

static struct loop_fd *
loop_fd_find(struct loop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd)
			return &l->fds[i];
	return NULL;
}

void
loop_fd_set(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg)
{
	struct loop_fd *f = loop_fd_find(l, fd);

	if (events == 0 || cb == NULL) {
		if (f != NULL)
			*f = l->fds[--l->nfds];
		return;
	}
	if (f == NULL) {
		if (l->nfds == l->fdsize) {
			l->fdsize = l->fdsize ? l->fdsize * 2 : 16;
			l->fds = xreallocarray(l->fds, l->fdsize,
			    sizeof *l->fds);
		}
		f = &l->fds[l->nfds++];
		f->fd = fd;
		f->gen = ++l->fdgen;
	}
	f->events = events;
	f->cb = cb;
	f->arg = arg;
}

/* Is timer a due before timer b? */
static int
timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->when != b->when)
		return a->when < b->when;
	return a->id < b->id;
}

static void
timer_swap(struct loop *l, size_t i, size_t j)
{
	struct loop_timer t = l->heap[i];

	l->heap[i] = l->heap[j];
	l->heap[j] = t;
}

static void
timer_up(struct loop *l, size_t i)
{
	while (i > 0 && timer_before(&l->heap[i], &l->heap[(i - 1) / 2])) {
		timer_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
timer_down(struct loop *l, size_t i)
{
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= l->ntimers)
			break;
		if (c + 1 < l->ntimers &&
		    timer_before(&l->heap[c + 1], &l->heap[c]))
			c++;
		if (!timer_before(&l->heap[c], &l->heap[i]))
			break;
		timer_swap(l, i, c);
		i = c;
	}
}

/* Take the timer at heap index i out, keeping the heap ordered. */
static void
timer_remove_at(struct loop *l, size_t i)
{
	l->ntimers--;
	if (i == l->ntimers)
		return;
	l->heap[i] = l->heap[l->ntimers];
	timer_up(l, i);
	timer_down(l, i);
}

uint64_t
loop_timer_add(struct loop *l, int ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t;
	uint64_t id;

	if (l->ntimers == l->tsize) {
		l->tsize = l->tsize ? l->tsize * 2 : 16;
		l->heap = xreallocarray(l->heap, l->tsize, sizeof *l->heap);
	}
	t = &l->heap[l->ntimers];
	t->when = loop_now_ms() + (ms > 0 ? ms : 0);
	t->id = id = l->next_id++;
	t->cb = cb;
	t->arg = arg;
	timer_up(l, l->ntimers++);	/* moves entries: t is stale after */
	return id;
}

void
loop_timer_cancel(struct loop *l, uint64_t id)
{
	size_t i;

	if (id == 0)
		return;
	for (i = 0; i < l->ntimers; i++) {
		if (l->heap[i].id == id) {
			timer_remove_at(l, i);
			return;
		}
	}
}

int
loop_busy(const struct loop *l)
{
	return l->nfds > 0 || l->ntimers > 0;
}

/* Copy the registrations into the pollfd array; returns how many. */
static size_t
loop_fill(struct loop *l)
{
	size_t i;

	if (l->psize < l->nfds) {
		l->psize = l->fdsize;
		l->pfds = xreallocarray(l->pfds, l->psize, sizeof *l->pfds);
		l->pgens = xreallocarray(l->pgens, l->psize,
		    sizeof *l->pgens);
	}
	for (i = 0; i < l->nfds; i++) {
		l->pfds[i].fd = l->fds[i].fd;
		l->pfds[i].events = l->fds[i].events;
		l->pfds[i].revents = 0;
		l->pgens[i] = l->fds[i].gen;
	}
	return l->nfds;
}

/*
 * Run the callbacks of ready fds.  A callback may remove or replace any
 * registration, so each one is looked up again and skipped unless it is
 * the very registration poll() reported on and still wants the events.
 */
static int
loop_dispatch_fds(struct loop *l, size_t n)
{
	struct loop_fd *f;
	size_t i;
	short ev;
	int ran = 0;

	for (i = 0; i < n; i++) {
		if (l->pfds[i].revents == 0)
			continue;
		f = loop_fd_find(l, l->pfds[i].fd);
		if (f == NULL || f->gen != l->pgens[i])
			continue;
		ev = l->pfds[i].revents &
		    (f->events | POLLERR | POLLHUP | POLLNVAL);
		if (ev == 0)
			continue;
		f->cb(f->fd, ev, f->arg);
		ran++;
	}
	return ran;
}

/* Run the timers due by now and added before this pass began. */
static int
loop_dispatch_timers(struct loop *l)
{
	struct loop_timer t;
	uint64_t last = l->next_id;
	int64_t now = loop_now_ms();
	int ran = 0;

	while (l->ntimers > 0 && l->heap[0].when <= now &&
	    l->heap[0].id < last) {
		t = l->heap[0];
		timer_remove_at(l, 0);
		t.cb(t.arg);
		ran++;
	}
	return ran;
}

int
loop_once(struct loop *l, int max_ms)
{
	size_t n;
	int64_t wait = max_ms, due;
	int ready, ran;

	if (l->running)
		return -1;	/* called from a callback: a bug */
	if (!loop_busy(l) && max_ms < 0)
		return 0;
	if (l->ntimers > 0) {
		due = l->heap[0].when - loop_now_ms();
		if (due < 0)
			due = 0;
		if (wait < 0 || due < wait)
			wait = due;
	}
	if (wait > 86400000)
		wait = 86400000;
	n = loop_fill(l);
	ready = poll(l->pfds, (nfds_t)n, (int)wait);
	if (ready == -1) {
		if (errno != EINTR)
			return -1;
		ready = 0;
	}
	l->running = 1;
	ran = ready > 0 ? loop_dispatch_fds(l, n) : 0;
	ran += loop_dispatch_timers(l);
	l->running = 0;
	return ran;
}

void
loop_run(struct loop *l, const int *done)
{
	while ((done == NULL || !*done) && loop_busy(l)) {
		if (loop_once(l, -1) == -1)
			break;
	}
}
