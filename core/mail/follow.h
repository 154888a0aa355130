/* follow.h: one message followed through the local MTA's log, from the
 * queue id its submission got to the receiver's answer.
 *
 * After a local submission ("250 2.0.0 Ok: queued as 4ZK3mT0bq5z9sLk")
 * the MTA relays the message on its own; what the receiver said is only in
 * the MTA's log: Postfix's "QID: to=<...>, relay=..., dsn=5.7.1,
 * status=bounced (host ...[...] said: 550-5.7.1 ...)", OpenSMTPD's
 * "smtp-out ... result=..." / "delivery ... result=PermFail" lines.  A
 * follow reads the logs the doctor reads (logscan_site's sources: Postfix's
 * maillog_file, /var/log/mail.log, /var/log/maillog, /var/log/syslog) from
 * the offsets they had when it started (follow_mark before the submission),
 * on the loop's timer (never blocking it), matching only the lines of that
 * queue id (and, for OpenSMTPD, of the message id its first line gives),
 * until the message's fate is known or the time limit passes.  A file that
 * is rotated or truncated meanwhile is read again from its start.  Every
 * line is untrusted: cut at LOGSCAN_LINE_MAX, kept only through
 * str_sanitize().
 */
#ifndef NOTSPAM_FOLLOW_H
#define NOTSPAM_FOLLOW_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/lib/util.h"

struct loop;
struct site;
struct follow;

enum follow_status {
	FOLLOW_WAITING,		/* nothing final seen yet */
	FOLLOW_SENT,		/* status=sent: the receiver took it (250) */
	FOLLOW_DEFERRED,	/* status=deferred (a 4xx, or no connection):
				 * the MTA will try again; final for the
				 * follow once seen (it does not wait for the
				 * retries) */
	FOLLOW_BOUNCED,		/* status=bounced, or expired: a 5xx */
	FOLLOW_TIMEOUT,		/* the limit passed with none of those */
	FOLLOW_NOLOG,		/* no log of the site could be read */
};

/* "waiting", "sent", "deferred", "bounced", "timeout", "no log". */
const char *follow_status_name(enum follow_status);

/* The offsets of the site's logs now; kept by the caller and handed to
 * follow_start so that only what comes after is read. */
struct follow_mark;
struct follow_mark *follow_mark(const struct site *);
void follow_mark_free(struct follow_mark *);

/* The outcome; strings sanitized, owned by the follow, NULL when not
 * seen. */
struct follow_result {
	enum follow_status status;
	char	*queue_id;	/* as followed */
	char	*rcpt;		/* to=<...> of the final line */
	char	*relay;		/* "gmail-smtp-in.l.google.com[2a00:...]:25" */
	char	*dsn;		/* "5.7.1" */
	char	*reply;		/* the receiver's own reply text, as the MTA
				 * logged it ("550-5.7.1 ... [the IPv6
				 * address] ...") */
	char	*sending_addr;	/* the address the reply names as ours
				 * (canonical), else NULL */
	char	*line;		/* the final log line */
	time_t	 when;		/* its time; 0: unknown */
	char	*bounce_qid;	/* Postfix: the queue id of the bounce it
				 * sent back ("sender non-delivery
				 * notification: QID") */
	struct strv lines;	/* every line of the message seen, in order
				 * (at most 200, then a last "...") */
	char	*why;		/* FOLLOW_NOLOG: each log tried and why it
				 * could not be read ("; " between) */
};

/* A line seen, already sanitized; the follow's result so far. */
typedef void (*follow_line_cb)(const char *line, void *arg);
/* Final (status other than WAITING); called from the loop, never from
 * follow_start.  The callback may follow_free the follow. */
typedef void (*follow_done_cb)(struct follow *, const struct follow_result *,
    void *arg);

struct follow_opts {
	const char	*queue_id;	/* letters, digits, . _ - (smtp.h) */
	const char	*rcpt;		/* the recipient, to pick its line among
					 * several (NULL: any) */
	int		 timeout_ms;	/* 0: 120 s */
	int		 poll_ms;	/* how often the logs are read; 0: 250 */
	follow_line_cb	 on_line;	/* may be NULL */
	follow_done_cb	 on_done;	/* may be NULL */
	void		*arg;
};

/*
 * Follow the message on loop, reading the site's logs from mark (NULL:
 * from FOLLOW_BACK bytes before their end, for a queue id given by hand).
 * Returns the follow, or NULL with *cause (a queue id that is not one).
 */
#define FOLLOW_BACK	(1024 * 1024)
struct follow *follow_start(struct loop *, const struct site *,
    const struct follow_mark *mark, const struct follow_opts *,
    char **cause);
/* Stop (no callback follows) and free. */
void follow_free(struct follow *);
const struct follow_result *follow_result(const struct follow *);

/*
 * One log line (no newline) fed by hand, as the timer does: 1 when it
 * made the result final, 0 when it was of the message but not final or
 * not of it, for the unit tests and the fuzz target.  Needs no loop:
 * follow_new gives a follow that reads nothing by itself.
 */
struct follow *follow_new(const struct follow_opts *, char **cause);
int follow_feed(struct follow *, const char *line, size_t len, time_t now);

#endif
