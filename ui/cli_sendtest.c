/* cli_sendtest.c: "notspam send-test ADDRESS [route] [options]": the test
 * message sent (core/mail/sendtest.h), the transcript shown as it comes,
 * then the verdict, the receiver's reply, its cause with the fix and the
 * records, and the mail-tester result page; or one JSON object. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "core/mail/sendtest.h"
#include "core/site/session.h"
#include "ui/cli.h"

static const char sendtest_usage[] =
    "usage: notspam [--root DIR] [--resolver LIST | --zones PATH] [--json] "
    "send-test ADDRESS\n"
    "           [--submission | --server HOST[:PORT] | --sendmail [PATH] | "
    "--direct]\n"
    "           [--from ADDR] [--auth USER] [--password-file FILE] "
    "[--cafile FILE]\n"
    "           [--no-verify] [--no-follow] [--timeout S] "
    "[--follow-timeout S] [--port PORT]\n";

/* The longest password read (a line of the file, or typed). */
#define ST_PASS_MAX	1024
#define ST_COL		13	/* where the text of a result line starts */
#define ST_WIDTH	80

struct st_args {
	struct sendtest_opts	 o;
	const char		*password_file;
	int			 nroutes;
};

struct st_run {
	int	 done;
	int	 json;
};

static int
st_bad(const char *what, const char *value)
{
	char *safe = value != NULL ? str_sanitize(value, strlen(value)) : NULL;

	if (safe != NULL)
		fprintf(stderr, "notspam: send-test: %s \"%s\"\n", what, safe);
	else
		fprintf(stderr, "notspam: send-test: %s\n", what);
	free(safe);
	fputs(sendtest_usage, stderr);
	return EX_USAGE;
}

/* Seconds (a fraction allowed: 0.5) as milliseconds; -1 when not a
 * number of 0.001 to 86400. */
static int
st_seconds(const char *s)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || v < 0.001 || v > 86400)
		return -1;
	return (int)(v * 1000 + 0.5);
}

static int
st_port_arg(const char *s)
{
	char *end;
	long p;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	p = strtol(s, &end, 10);
	return *end == '\0' && p >= 1 && p <= 65535 ? (int)p : -1;
}

/* A value option: 1 with *v set (the next word, or after '='), 0 when
 * argv[*i] is not name, -1 when the value is missing. */
static int
st_value(const char *name, int argc, char **argv, int *i, const char **v)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*v = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*v = argv[++*i];
	return 1;
}

/* The command's own arguments into a; 0 or an exit status. */
static int
st_parse(int argc, char **argv, struct st_args *a)
{
	const char *v = NULL, **slot;
	int i, r, ms, port = 0;

	memset(a, 0, sizeof *a);
	a->o.route = SENDTEST_LOCAL;
	for (i = 1; i < argc; i++) {
		slot = NULL;
		r = 0;
		if (strcmp(argv[i], "--submission") == 0) {
			a->o.route = SENDTEST_SUBMISSION;
			a->nroutes++;
			continue;
		}
		if (strcmp(argv[i], "--direct") == 0) {
			a->o.route = SENDTEST_DIRECT;
			a->nroutes++;
			continue;
		}
		if (strcmp(argv[i], "--sendmail") == 0 ||
		    strncmp(argv[i], "--sendmail=", 11) == 0) {
			a->o.route = SENDTEST_SENDMAIL;
			a->nroutes++;
			/* An optional PATH: a word with a '/' that is no
			 * address. */
			if (argv[i][10] == '=')
				a->o.sendmail = argv[i] + 11;
			else if (i + 1 < argc && strchr(argv[i + 1], '/') !=
			    NULL && strchr(argv[i + 1], '@') == NULL &&
			    argv[i + 1][0] != '-')
				a->o.sendmail = argv[++i];
			if (a->o.sendmail != NULL && *a->o.sendmail == '\0')
				return st_bad("--sendmail= needs a PATH", NULL);
			continue;
		}
		if (strcmp(argv[i], "--no-verify") == 0) {
			a->o.no_verify = 1;
			continue;
		}
		if (strcmp(argv[i], "--no-follow") == 0) {
			a->o.no_follow = 1;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0)
			continue;	/* taken by main as well */
		if ((r = st_value("--server", argc, argv, &i, &v)) != 0) {
			slot = &a->o.server;
			a->o.route = SENDTEST_SERVER;
			a->nroutes++;
		} else if ((r = st_value("--from", argc, argv, &i, &v)) != 0)
			slot = &a->o.from;
		else if ((r = st_value("--auth", argc, argv, &i, &v)) != 0)
			slot = &a->o.user;
		else if ((r = st_value("--password-file", argc, argv, &i,
		    &v)) != 0)
			slot = &a->password_file;
		else if ((r = st_value("--cafile", argc, argv, &i, &v)) != 0)
			slot = &a->o.cafile;
		else if ((r = st_value("--timeout", argc, argv, &i, &v)) != 0) {
			if (r > 0 && (ms = st_seconds(v)) < 0)
				return st_bad("--timeout needs seconds "
				    "(0.001 to 86400), not", v);
			if (r > 0)
				a->o.timeout_ms = ms;
			else
				return st_bad("a value is needed after",
				    argv[i]);
			continue;
		} else if ((r = st_value("--follow-timeout", argc, argv, &i,
		    &v)) != 0) {
			if (r > 0 && (ms = st_seconds(v)) < 0)
				return st_bad("--follow-timeout needs seconds "
				    "(0.001 to 86400), not", v);
			if (r > 0)
				a->o.follow_ms = ms;
			else
				return st_bad("a value is needed after",
				    argv[i]);
			continue;
		} else if ((r = st_value("--port", argc, argv, &i, &v)) != 0) {
			if (r > 0 && (port = st_port_arg(v)) < 0)
				return st_bad("--port needs a port (1-65535), "
				    "not", v);
			if (r < 0)
				return st_bad("a value is needed after",
				    argv[i]);
			continue;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return st_bad("unknown option", argv[i]);
		else if (a->o.to != NULL)
			return st_bad("one address at a time; extra", argv[i]);
		else
			a->o.to = argv[i];
		if (r < 0)
			return st_bad("a value is needed after", argv[i]);
		if (slot != NULL) {
			if (*v == '\0')
				return st_bad("an empty value for", argv[i]);
			*slot = v;
		}
	}
	if (a->o.to == NULL)
		return st_bad("the address to send to is missing", NULL);
	if (a->nroutes > 1)
		return st_bad("one route at a time: --submission, --server, "
		    "--sendmail or --direct", NULL);
	if (a->password_file != NULL && a->o.user == NULL)
		return st_bad("--password-file goes with --auth USER", NULL);
	if (port > 0) {
		if (a->o.route == SENDTEST_DIRECT)
			a->o.direct_port = (unsigned)port;
		else if (a->o.route == SENDTEST_LOCAL ||
		    a->o.route == SENDTEST_SUBMISSION)
			a->o.port = (unsigned)port;
		else
			return st_bad("--port is for the local, --submission "
			    "and --direct routes (--server takes HOST:PORT)",
			    NULL);
	}
	return 0;
}

/* The first line of the password file into pass; 0, or an exit status
 * after saying why (a file others can read is refused). */
static int
st_password_file(const char *path, char *pass, size_t size)
{
	struct stat sb;
	char *safe = str_sanitize(path, strlen(path));
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		fprintf(stderr, "notspam: send-test: cannot read the password "
		    "file %s: %s\n", safe, strerror(errno));
		if (fd != -1)
			close(fd);
		free(safe);
		return EX_NOINPUT;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "notspam: send-test: the password file %s is "
		    "not a regular file\n", safe);
		close(fd);
		free(safe);
		return EX_NOINPUT;
	}
	if ((sb.st_mode & 077) != 0) {
		fprintf(stderr, "notspam: send-test: the password file %s is "
		    "readable or writable by its group or others (mode %04o): "
		    "refused; make it private with `chmod 600 %s`\n", safe,
		    (unsigned)(sb.st_mode & 07777), safe);
		close(fd);
		free(safe);
		return EX_USAGE;
	}
	while (len + 1 < size && (n = read(fd, pass + len, size - 1 - len)) >
	    0)
		len += (size_t)n;
	close(fd);
	pass[len] = '\0';
	pass[strcspn(pass, "\r\n")] = '\0';
	if (*pass == '\0') {
		fprintf(stderr, "notspam: send-test: the password file %s is "
		    "empty\n", safe);
		free(safe);
		return EX_NOINPUT;
	}
	free(safe);
	return 0;
}

/* The terminal's settings while echo is off, for a signal's restore. */
static struct termios st_tty_saved;
static volatile sig_atomic_t st_tty_fd = -1;

static void
st_tty_restore(int sig)
{
	if (st_tty_fd != -1)
		tcsetattr(st_tty_fd, TCSAFLUSH, &st_tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The password asked on the terminal without echo; 0, or an exit status
 * (EX_USAGE with no terminal). */
static int
st_password_ask(const char *user, char *pass, size_t size)
{
	struct termios t;
	void (*oint)(int), (*oterm)(int);
	char *safe;
	ssize_t n;
	size_t len = 0;
	int fd;
	char c;

	if (!isatty(STDIN_FILENO) ||
	    (fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1) {
		fputs("notspam: send-test: --auth asks the password on a "
		    "terminal, and there is none: give --password-file FILE "
		    "(mode 0600)\n", stderr);
		return EX_USAGE;
	}
	if (tcgetattr(fd, &t) == -1) {
		close(fd);
		fputs("notspam: send-test: cannot turn off the echo of this "
		    "terminal: give --password-file FILE\n", stderr);
		return EX_USAGE;
	}
	safe = str_sanitize(user, strlen(user));
	dprintf(fd, "Password for %s (not shown): ", safe);
	free(safe);
	st_tty_saved = t;
	st_tty_fd = fd;
	oint = signal(SIGINT, st_tty_restore);
	oterm = signal(SIGTERM, st_tty_restore);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	tcsetattr(fd, TCSAFLUSH, &t);
	while ((n = read(fd, &c, 1)) == 1 && c != '\n' && c != '\r')
		if (len + 1 < size)
			pass[len++] = c;
	pass[len] = '\0';
	tcsetattr(fd, TCSAFLUSH, &st_tty_saved);
	st_tty_fd = -1;
	signal(SIGINT, oint);
	signal(SIGTERM, oterm);
	dprintf(fd, "\n");
	close(fd);
	c = 0;
	if (len == 0) {
		fputs("notspam: send-test: no password given\n", stderr);
		return EX_USAGE;
	}
	return 0;
}

/* A result line: lead at the left, text wrapped by column 80 under
 * ST_COL. */
static void
st_wrapped(const char *lead, const char *text)
{
	struct strv lines;
	char *safe = str_shown(text, strlen(text));
	size_t i;

	strv_init(&lines);
	textwrap(safe, ST_WIDTH - ST_COL, 0, 0, &lines);
	for (i = 0; i < lines.n; i++)
		printf("%-*s%s\n", ST_COL, i == 0 ? lead : "", lines.v[i]);
	strv_free(&lines);
	free(safe);
}

/* A reply of several lines ('\n' between), each under ST_COL. */
static void
st_lines(const char *lead, const char *text)
{
	const char *p = text, *nl;
	int first = 1;

	do {
		nl = strchr(p, '\n');
		printf("%-*s", ST_COL, first ? lead : "");
		if (nl != NULL) {
			char *l = xstrndup(p, (size_t)(nl - p));
			cli_put(stdout, l);
			free(l);
		} else
			cli_put(stdout, p);
		putchar('\n');
		first = 0;
		p = nl != NULL ? nl + 1 : NULL;
	} while (p != NULL);
}

static void
st_text(const struct sendtest *st)
{
	const struct sendtest_result *r = sendtest_result(st);
	char *t;
	size_t i;

	putchar('\n');
	t = xasprintf("%s (exit %d)", sendtest_verdict_name(r->verdict),
	    (int)r->verdict);
	st_wrapped("verdict", t);
	free(t);
	if (r->summary != NULL)
		st_wrapped("", r->summary);
	if (r->queue_id != NULL)
		st_wrapped("queue id", r->queue_id);
	if (r->remote_reply != NULL) {
		if (r->relay != NULL)
			st_wrapped("relay", r->relay);
		st_lines("reply", r->remote_reply);
	} else if (r->reply != NULL && r->verdict != SENDTEST_ACCEPTED)
		st_lines("reply", r->reply);
	if (r->cause_id != NULL) {
		t = xasprintf("%s (%s)", r->cause_title != NULL ?
		    r->cause_title : r->cause_id, r->cause_id);
		st_wrapped("cause", t);
		free(t);
		if (r->explain != NULL)
			st_wrapped("why", r->explain);
		if (r->fix != NULL)
			st_wrapped("fix", r->fix);
		/* Whole, to be copied: a PTR name is longer than a line. */
		for (i = 0; i < r->records.n; i++) {
			printf("%-*s", ST_COL, i == 0 ? "records" : "");
			cli_put(stdout, r->records.v[i]);
			putchar('\n');
		}
	}
	if (r->mailtester_url != NULL) {
		t = xasprintf("%s (the score, once the message has arrived)",
		    r->mailtester_url);
		st_wrapped("mail-tester", t);
		free(t);
	}
}

static void
st_json(const struct sendtest *st, int rc)
{
	struct json j;
	char *doc;

	json_init(&j);
	json_object_begin(&j, NULL);
	sendtest_json(&j, st);
	json_int(&j, "exit", rc);
	json_object_end(&j);
	doc = json_finish(&j);
	cli_put_doc(doc, strlen(doc));
	free(doc);
}

static void
st_on_line(const char *line, void *arg)
{
	struct st_run *run = arg;

	if (run->json)
		return;
	cli_put(stdout, line);
	putchar('\n');
	fflush(stdout);
}

static void
st_on_done(struct sendtest *st, void *arg)
{
	struct st_run *run = arg;

	(void)st;
	run->done = 1;
}

int
cli_sendtest(const struct cli_opts *o, int argc, char **argv)
{
	struct st_args a;
	struct st_run run;
	struct session *s;
	struct sendtest *st;
	char pass[ST_PASS_MAX], *cause = NULL;
	int rc;

	if ((rc = st_parse(argc, argv, &a)) != 0)
		return rc;
	pass[0] = '\0';
	if (a.o.user != NULL) {
		rc = a.password_file != NULL ?
		    st_password_file(a.password_file, pass, sizeof pass) :
		    st_password_ask(a.o.user, pass, sizeof pass);
		if (rc != 0) {
			explicit_bzero(pass, sizeof pass);
			return rc;
		}
		a.o.pass = pass;
	}
	if ((s = cli_session(o, &rc)) == NULL) {
		explicit_bzero(pass, sizeof pass);
		return rc;
	}
	memset(&run, 0, sizeof run);
	run.json = o->json;
	a.o.on_line = st_on_line;
	a.o.on_done = st_on_done;
	a.o.arg = &run;
	st = sendtest_start(s, &a.o, &cause);
	explicit_bzero(pass, sizeof pass);
	if (st == NULL) {
		rc = st_bad(cause, NULL);
		free(cause);
		session_close(s);
		return rc;
	}
	loop_run(s->loop, &run.done);
	if (!run.done) {
		cli_error("send-test: the test did not finish");
		sendtest_free(st);
		session_close(s);
		return EX_SOFTWARE;
	}
	rc = (int)sendtest_result(st)->verdict;
	if (o->json)
		st_json(st, rc);
	else
		st_text(st);
	sendtest_free(st);
	session_close(s);
	return rc;
}
