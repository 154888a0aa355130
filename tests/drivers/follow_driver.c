/* follow_driver.c: a test-only program linked with the core, for
 * tests/shell/follow_real.sh: the site's logs marked (core/mail/follow.h),
 * one message submitted over SMTP to the local MTA (core/mail/smtp.h),
 * its queue id followed on a poll loop to the receiver's answer, and that
 * answer classified (core/doctor/remote.h) for the site.
 *
 *   follow_driver [-R ROOT] [-a ADDR] [-p PORT] -f FROM -r RCPT
 *       [-s SUBJECT] [-T FOLLOW_MS] [-q QID]
 *
 *   -a, -p     where to submit (default 127.0.0.1 port 25)
 *   -q         follow this queue id by hand instead (no submission, no
 *              mark: the last FOLLOW_BACK bytes of each log are read)
 *   -T         the follow's time limit in milliseconds (default 120000)
 *
 * Output, one item a line, texts as the core gives them (escaped, it
 * promises):
 *   submit OK|CLASS CODE queue QID      (-q: "submit none queue QID")
 *   line TEXT                           each line of the message, as seen
 *   status NAME, rcpt, relay, dsn, reply, sending_addr, bounce_qid, why
 *   elapsed_ms N                        from the follow's start to its end
 *   cause ID | cause none, record TEXT  the reply classified
 * Exit 0 when the follow ended (any status), 1 when the submission
 * failed, 2 on bad usage or a site that cannot be read.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/doctor/remote.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/mail/follow.h"
#include "core/mail/smtp.h"
#include "core/site/site.h"

struct drv {
	struct loop		*loop;
	struct site		*site;
	struct follow_mark	*mark;
	struct follow		*follow;
	const char		*rcpt;
	const char		*from_domain;
	int			 follow_ms;
	int64_t			 started;
	int			 done;		/* 1 followed, 2 not submitted */
};

static void
put(const char *label, const char *text)
{
	if (text != NULL)
		printf("%s %s\n", label, text);
}

static void
on_line(const char *line, void *arg)
{
	(void)arg;
	put("line", line);
	fflush(stdout);
}

static void
on_followed(struct follow *f, const struct follow_result *r, void *arg)
{
	struct drv *d = arg;
	struct remote_verdict v;
	size_t i;

	(void)f;
	put("status", follow_status_name(r->status));
	put("rcpt", r->rcpt);
	put("relay", r->relay);
	put("dsn", r->dsn);
	put("reply", r->reply);
	put("sending_addr", r->sending_addr);
	put("bounce_qid", r->bounce_qid);
	put("why", r->why);
	printf("elapsed_ms %lld\n", (long long)(loop_now_ms() - d->started));
	if (r->reply != NULL) {
		remote_classify(r->reply, strlen(r->reply), d->from_domain,
		    d->site, &v);
		put("cause", v.id != NULL ? v.id : "none");
		for (i = 0; i < v.records.n; i++)
			put("record", v.records.v[i]);
		remote_verdict_free(&v);
	}
	fflush(stdout);
	d->done = 1;
}

/* Follow qid from mark (NULL: by hand). */
static void
follow(struct drv *d, const char *qid)
{
	struct follow_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.queue_id = qid;
	o.rcpt = d->rcpt;
	o.timeout_ms = d->follow_ms;
	o.poll_ms = 100;
	o.on_line = on_line;
	o.on_done = on_followed;
	o.arg = d;
	d->started = loop_now_ms();
	if ((d->follow = follow_start(d->loop, d->site, d->mark, &o,
	    &cause)) == NULL) {
		printf("follow_start: %s\n", cause);
		free(cause);
		d->done = 2;
	}
}

static void
on_sent(struct smtp *s, const struct smtp_result *r, void *arg)
{
	struct drv *d = arg;

	(void)s;
	printf("submit %s %d queue %s\n", smtp_fail_name(r->fail), r->code,
	    r->queue_id != NULL ? r->queue_id : "-");
	if (r->fail != SMTP_OK || r->queue_id == NULL) {
		put("cause:", r->cause);
		put("reply:", r->reply);
		d->done = 2;
		return;
	}
	fflush(stdout);
	follow(d, r->queue_id);
}

static void
usage(void)
{
	fprintf(stderr, "usage: follow_driver [-R ROOT] [-a ADDR] [-p PORT] "
	    "-f FROM -r RCPT [-s SUBJECT] [-T FOLLOW_MS] [-q QID]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct smtp_opts o;
	struct smtp *s = NULL;
	struct drv d;
	const char *root = NULL, *addr = "127.0.0.1", *from = NULL;
	const char *subject = "follow_driver", *qid = NULL, *at;
	const char *addrs[1], *rcpts[1];
	char *cause = NULL, *body;
	int c;

	signal(SIGPIPE, SIG_IGN);
	memset(&d, 0, sizeof d);
	memset(&o, 0, sizeof o);
	o.port = 25;
	d.follow_ms = 120000;
	while ((c = getopt(argc, argv, "a:f:p:q:r:R:s:T:")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'f': from = optarg; break;
		case 'p': o.port = (unsigned)atoi(optarg); break;
		case 'q': qid = optarg; break;
		case 'r': d.rcpt = optarg; break;
		case 'R': root = optarg; break;
		case 's': subject = optarg; break;
		case 'T': d.follow_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (d.rcpt == NULL || (from == NULL && qid == NULL))
		usage();
	if (from != NULL && (at = strrchr(from, '@')) != NULL)
		d.from_domain = at + 1;
	if ((d.site = site_load(root, NULL, &cause)) == NULL) {
		fprintf(stderr, "follow_driver: %s\n", cause);
		free(cause);
		return 2;
	}
	d.loop = loop_new();
	body = xasprintf("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
	    "Message-ID: <%lld.follow@example.com>\r\n\r\nA message "
	    "followed through the queue.\r\n", from != NULL ? from : "",
	    d.rcpt, subject, (long long)loop_now_ms());
	if (qid != NULL) {
		printf("submit none 0 queue %s\n", qid);
		follow(&d, qid);
	} else {
		d.mark = follow_mark(d.site);
		addrs[0] = addr;
		rcpts[0] = d.rcpt;
		o.addrs = addrs;
		o.naddrs = 1;
		o.helo = "localhost";
		o.tls = SMTP_TLS_NONE;
		o.from = from;
		o.rcpts = rcpts;
		o.nrcpts = 1;
		o.body = body;
		o.bodylen = strlen(body);
		o.timeouts = (struct smtp_timeouts){ 10000, 10000, 10000,
		    10000, 10000, 10000 };
		o.on_done = on_sent;
		o.arg = &d;
		if ((s = smtp_start(d.loop, &o, &cause)) == NULL) {
			fprintf(stderr, "follow_driver: %s\n", cause);
			free(cause);
			return 2;
		}
	}
	loop_run(d.loop, &d.done);
	smtp_free(s);
	follow_free(d.follow);
	follow_mark_free(d.mark);
	loop_free(d.loop);
	site_free(d.site);
	free(body);
	return d.done == 1 ? 0 : d.done == 2 ? 1 : 2;
}
