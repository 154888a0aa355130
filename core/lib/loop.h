/* loop.h: the one poll() loop every asynchronous part uses.
 *
 * One thread.  File descriptors (terminal, c-ares sockets, SMTP socket,
 * child pipes) and timers are registered here; callbacks update state and
 * never block.  The console and the command-line commands both run it.
 */
#ifndef NOTSPAM_LOOP_H
#define NOTSPAM_LOOP_H

#include <stdint.h>

struct loop;

/* events: POLLIN / POLLOUT bits from <poll.h>; revents as poll() set them. */
typedef void (*loop_fd_cb)(int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *);

/*
 * Watch fd for events (POLLIN|POLLOUT); events 0 stops watching it.  One
 * registration per fd: a second call replaces callback and events.
 */
void loop_fd_set(struct loop *, int fd, short events, loop_fd_cb, void *arg);

/* Call cb once after ms milliseconds; returns an id for loop_timer_cancel
 * (never 0). */
uint64_t loop_timer_add(struct loop *, int ms, loop_timer_cb, void *arg);
void loop_timer_cancel(struct loop *, uint64_t id);

/* Milliseconds on a monotonic clock. */
int64_t loop_now_ms(void);

/*
 * Wait up to max_ms (-1: until something happens) and dispatch what is
 * ready: fds first, then due timers.  Returns the number of callbacks run,
 * or -1 on a poll() error other than EINTR.
 */
int loop_once(struct loop *, int max_ms);

/* Run until *done becomes non-zero or nothing is left to wait for. */
void loop_run(struct loop *, const int *done);

/* Is anything registered (an fd or a timer)? */
int loop_busy(const struct loop *);

#endif
