/* smtp_driver.c: a test-only program linked with the core, that sends one
 * message with core/mail/smtp.h on a poll loop and prints the transcript
 * and the result, for tests/shell/smtp.sh (until send-test exists).
 *
 *   smtp_driver -a ADDR [-a ADDR]... -p PORT -r RCPT [-r RCPT]...
 *       [-H HELO] [-f FROM] [-b FILE] [-t auto|none|try|require]
 *       [-v default|require|report] [-C CAFILE] [-n SERVERNAME]
 *       [-u USER -P PASSFILE] [-m any|plain|login] [-T SECS] [-D SECS]
 *
 *   -b         the message (bytes as they are; default a two-line one)
 *   -T         every stage's timeout (connect, greeting, command, TLS,
 *              data), in seconds (fractions allowed)
 *   -D         the timeout of the reply after the data (default -T)
 *
 * Output: each transcript line as it comes, then
 *   result CLASS state STATE code N enh E queue ID tls 0|1 verified -1|0|1
 *       attempts N elapsed_ms N
 *   cause: ...   verify: ...   cert: ...   reply: ... (one per line)
 * Texts are printed as the core gives them (escaped, it promises).
 * Exit 0 when the message was accepted, 1 when not, 2 on bad usage.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/mail/smtp.h"

static int done;

/* Print the core's text as it is: smtp.h promises it escaped, and
 * tests/shell/smtp.sh checks that promise on this output. */
static void
put(const char *label, const char *text)
{
	if (text != NULL)
		printf("%s%s\n", label, text);
}

static void
on_line(const char *line, void *arg)
{
	(void)arg;
	put("", line);
	fflush(stdout);
}

static void
on_done(struct smtp *s, const struct smtp_result *r, void *arg)
{
	const char *p, *nl;
	char *one;

	(void)s;
	(void)arg;
	printf("result %s state %s code %d enh %s queue %s tls %d verified %d "
	    "attempts %zu elapsed_ms %lld\n", smtp_fail_name(r->fail),
	    smtp_state_name(r->state), r->code, r->enh[0] ? r->enh : "-",
	    r->queue_id ? r->queue_id : "-", r->tls, r->verified, r->attempts,
	    (long long)r->elapsed_ms);
	put("cause: ", r->cause);
	put("tls: ", r->tls_info);
	put("verify: ", r->verify);
	put("cert: ", r->cert);
	for (p = r->reply; p != NULL; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		one = xstrndup(p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		put("reply: ", one);
		free(one);
	}
	done = r->fail == SMTP_OK ? 1 : 2;
}

/* The whole of a file, or fatal. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct buf b;
	char tmp[4096];
	size_t n;

	if (f == NULL)
		fatal("cannot open %s", path);
	buf_init(&b);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	if (f != stdin)
		fclose(f);
	*len = b.len;
	return buf_steal(&b);
}

/* The index of word in names (NULL-terminated), or usage. */
static int
pick(const char *word, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(word, names[i]) == 0)
			return i;
	fprintf(stderr, "smtp_driver: unknown word %s\n", word);
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: smtp_driver -a ADDR -p PORT -r RCPT [-H HELO] "
	    "[-f FROM] [-b FILE] [-t MODE] [-v MODE] [-C CAFILE] "
	    "[-n NAME] [-u USER -P PASSFILE] [-m MECH] [-T SECS] [-D SECS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const char *const tls[] = { "auto", "none", "try", "require",
	    NULL };
	static const char *const ver[] = { "default", "require", "report",
	    NULL };
	static const char *const mech[] = { "any", "plain", "login", NULL };
	struct smtp_opts o;
	struct strv addrs, rcpts;
	struct loop *loop;
	struct smtp *s;
	char *body = NULL, *pass = NULL, *cause = NULL;
	double secs = 0, dsecs = 0;
	size_t plen;
	int c, ms;

	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof o);
	strv_init(&addrs);
	strv_init(&rcpts);
	o.helo = "driver.example";
	o.from = "driver@example.org";
	while ((c = getopt(argc, argv, "a:b:C:D:f:H:m:n:p:P:r:t:T:u:v:")) != -1) {
		switch (c) {
		case 'a': strv_add(&addrs, optarg); break;
		case 'b': body = slurp(optarg, &o.bodylen); break;
		case 'C': o.cafile = optarg; break;
		case 'D': dsecs = atof(optarg); break;
		case 'f': o.from = optarg; break;
		case 'H': o.helo = optarg; break;
		case 'm': o.auth = pick(optarg, mech); break;
		case 'n': o.servername = optarg; break;
		case 'p': o.port = (unsigned)atoi(optarg); break;
		case 'P': pass = slurp(optarg, &plen); break;
		case 'r': strv_add(&rcpts, optarg); break;
		case 't': o.tls = pick(optarg, tls); break;
		case 'T': secs = atof(optarg); break;
		case 'u': o.user = optarg; break;
		case 'v': o.verify = pick(optarg, ver); break;
		default: usage();
		}
	}
	if (pass != NULL)
		pass[strcspn(pass, "\r\n")] = '\0';
	o.pass = pass;
	if (body == NULL) {
		body = xstrdup("Subject: smtp_driver\r\n\r\nA test.\r\n");
		o.bodylen = strlen(body);
	}
	o.body = body;
	ms = (int)(secs * 1000);
	o.timeouts = (struct smtp_timeouts){ ms, ms, ms, ms, ms,
	    dsecs > 0 ? (int)(dsecs * 1000) : ms };
	o.addrs = (const char *const *)addrs.v;
	o.naddrs = addrs.n;
	o.rcpts = (const char *const *)rcpts.v;
	o.nrcpts = rcpts.n;
	o.on_line = on_line;
	o.on_done = on_done;
	loop = loop_new();
	if ((s = smtp_start(loop, &o, &cause)) == NULL) {
		fprintf(stderr, "smtp_driver: %s\n", cause);
		free(cause);
		return 2;
	}
	loop_run(loop, &done);
	smtp_free(s);
	loop_free(loop);
	strv_free(&addrs);
	strv_free(&rcpts);
	free(body);
	free(pass);
	return done == 1 ? 0 : 1;
}
