/* sendtest.h: the test message the guides ask for, sent on the poll loop
 * and followed to the receiver's answer.
 *
 * One test: the message made (core/mail/compose.h: From a hosted domain,
 * To the address, Date, Message-ID at the host name, Subject, a short
 * text/plain UTF-8 body), then sent by one route:
 *   LOCAL       SMTP to the local MTA: 127.0.0.1 then ::1, port 25
 *   SUBMISSION  the same on port 587 (STARTTLS required, AUTH when given)
 *   SERVER      SMTP to any HOST[:PORT] (a name is resolved A and AAAA,
 *               both families tried in order)
 *   SENDMAIL    the sendmail program (argv: sendmail -i -f FROM -- TO,
 *               the message on its standard input; never a shell)
 *   DIRECT      the recipient domain's MX hosts (by preference, each
 *               resolved A and AAAA; the domain itself when it has no MX),
 *               port 25: says whether outbound port 25 is blocked, and the
 *               receiver's verdict is in the transcript itself
 * After a LOCAL, SUBMISSION or SENDMAIL submission the queue id is
 * followed in the MTA's log (core/mail/follow.h) until the receiver's
 * answer, and a rejection is mapped to its cause and fix
 * (core/doctor/remote.h).  Each test ends as one line in the history
 * (SENDTEST_HISTORY under the site's root).
 *
 * Nothing blocks: DNS, SMTP, the sendmail child and the follow are on the
 * session's loop, and the progress arrives through callbacks, so the
 * console's Test screen (t) and `notspam send-test` run the same code.
 */
#ifndef NOTSPAM_SENDTEST_H
#define NOTSPAM_SENDTEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/lib/util.h"

struct session;
struct json;
struct sendtest;

#define SENDTEST_HISTORY	"/var/lib/notspam/tests.jsonl"

enum sendtest_route {
	SENDTEST_LOCAL,
	SENDTEST_SUBMISSION,
	SENDTEST_SERVER,
	SENDTEST_SENDMAIL,
	SENDTEST_DIRECT,
	SENDTEST_NROUTES
};

/* "local", "submission", "server", "sendmail", "direct", and back (-1). */
const char *sendtest_route_name(enum sendtest_route);
int sendtest_route_from_name(const char *);

/* Where a test is. */
enum sendtest_phase {
	SENDTEST_RESOLVING,	/* MX / A / AAAA lookups (SERVER, DIRECT) */
	SENDTEST_SENDING,	/* the SMTP session or the sendmail child */
	SENDTEST_FOLLOWING,	/* the queue id followed in the log */
	SENDTEST_DONE,
};
const char *sendtest_phase_name(enum sendtest_phase);

/* How it ended; the exit status of `notspam send-test` is the number. */
enum sendtest_verdict {
	SENDTEST_ACCEPTED = 0,	/* the receiver took it (its 250, or
				 * status=sent in the follow) */
	SENDTEST_DEFERRED = 1,	/* a 4xx, or status=deferred; or queued
				 * locally and the follow's time ran out */
	SENDTEST_REJECTED = 2,	/* a 5xx, or status=bounced */
	SENDTEST_UNREACHABLE = 75, /* no server could be reached */
};
const char *sendtest_verdict_name(enum sendtest_verdict);

struct sendtest_opts {
	enum sendtest_route	 route;
	const char		*to;		/* the address (required) */
	const char		*from;		/* the From and envelope
						 * address; NULL: postmaster@
						 * from_domain */
	const char		*from_domain;	/* NULL: the site's first
						 * hosted domain */
	const char		*server;	/* SERVER: "HOST[:PORT]",
						 * "[v6]:PORT" */
	unsigned		 port;		/* 0: the route's own */
	const char		*user;		/* AUTH (over TLS only) */
	const char		*pass;		/* wiped by sendtest_free */
	const char		*sendmail;	/* NULL: the site's sendmail
						 * (/usr/sbin/sendmail) */
	const char		*cafile;	/* NULL: the system store */
	int			 no_verify;	/* report the certificate only */
	int			 no_follow;	/* do not follow the queue id */
	int			 timeout_ms;	/* each SMTP stage; 0: smtp.h's */
	int			 follow_ms;	/* the follow; 0: 120 s */
	unsigned		 direct_port;	/* DIRECT's port; 0: 25 (tests) */
	const char		*history;	/* site path; NULL:
						 * SENDTEST_HISTORY; "": none */
	void	(*on_line)(const char *line, void *arg); /* transcript
						 * line, escaped */
	void	(*on_phase)(enum sendtest_phase, void *arg);
	void	(*on_done)(struct sendtest *, void *arg); /* may free it */
	void			*arg;
};

/* The outcome (and the progress so far); strings escaped, owned by the
 * test, NULL when not known. */
struct sendtest_result {
	enum sendtest_verdict	 verdict;
	enum sendtest_route	 route;
	time_t			 started;
	int64_t			 elapsed_ms;
	char			*from;
	char			*to;
	char			*message_id;
	char			*server;	/* "127.0.0.1:25", the MX
						 * used, "sendmail" */
	char			*fail;		/* smtp_fail_name, or NULL */
	int			 code;		/* the last SMTP reply's */
	char			 enh[12];
	char			*reply;		/* the server's reply text */
	char			*queue_id;
	char			*follow;	/* follow_status_name, NULL:
						 * not followed */
	char			*remote_reply;	/* the receiver's answer the
						 * MTA logged */
	char			*relay;		/* the MTA's relay for it */
	char			*cause_id;	/* remote.h, NULL: none */
	char			*cause_title;
	char			*explain;
	char			*fix;
	struct strv		 records;	/* the records it asks for */
	char			*mailtester_url; /* for a mail-tester address */
	char			*summary;	/* one line for people */
};

/*
 * Start a test on the session's loop.  Returns it, or NULL with *cause
 * (an address that is not one, no hosted domain and no --from, a route
 * missing what it needs: SERVER without server, AUTH on LOCAL).
 */
struct sendtest *sendtest_start(struct session *, const struct sendtest_opts *,
    char **cause);
void sendtest_free(struct sendtest *);
enum sendtest_phase sendtest_phase(const struct sendtest *);
const struct sendtest_result *sendtest_result(const struct sendtest *);
/* Every transcript line so far (SMTP's, the follow's, the test's own
 * "* ..." lines), escaped. */
const struct strv *sendtest_transcript(const struct sendtest *);

/* The result as the members of the JSON object being written: verdict,
 * route, from, to, message_id, server, fail, code, enh, reply, queue_id,
 * follow, remote_reply, relay, cause {id, title, explain, fix, records},
 * mailtester_url, elapsed_ms, transcript []. */
void sendtest_json(struct json *, const struct sendtest *);

/* The mail-tester result page of an address ("test-abc123@srv1.mail-
 * tester.com" -> "https://www.mail-tester.com/test-abc123"), or NULL for
 * another address.  Caller frees. */
char *sendtest_mailtester_url(const char *addr);

/* One test of the history (a line of tests.jsonl). */
struct sendtest_hist {
	time_t	 time;
	char	*to;
	char	*route;
	char	*verdict;
	char	*queue_id;
	char	*remote_reply;
	char	*summary;
};
/* The last max (0: all) tests of the history, newest last.  Returns 0
 * (none kept is not an error), -1 with *cause for a file that cannot be
 * read; a line that is not a test is skipped. */
int sendtest_history(const struct session *, size_t max,
    struct sendtest_hist **v, size_t *n, char **cause);
void sendtest_hist_free(struct sendtest_hist *, size_t n);

#endif
