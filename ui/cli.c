/* cli.c: plain-text and JSON output of the command-line commands. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lib/json.h"
#include "core/check/records.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/lib/util.h"
#include "ui/cli.h"

/*
 * The errno of the first failed write to stdout that stdio would forget: a
 * write too large for the stream's buffer goes out directly, and when it
 * fails nothing is left for the closing fflush to fail on again.  The
 * process's one standard output has one such note; cli_exit() reads it.
 */
static int out_errno;

/* Note errno after a failed write to f (stdout only). */
static void
cli_note(FILE *f)
{
	if (f == stdout && out_errno == 0)
		out_errno = errno != 0 ? errno : EIO;
}

void
cli_put(FILE *f, const char *s)
{
	char *safe = str_shown(s, strlen(s));

	if (fputs(safe, f) == EOF)
		cli_note(f);
	free(safe);
}

void
cli_flush(void)
{
	errno = 0;
	if (fflush(stdout) != 0)
		cli_note(stdout);
}

void
cli_put_doc(const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, stdout) != len)
		cli_note(stdout);
}

void
cli_put_zone(FILE *f, const char *s)
{
	const char *p;
	char *line;

	while (*s != '\0') {
		p = s + strcspn(s, "\n\t");
		line = xstrndup(s, (size_t)(p - s));
		cli_put(f, line);
		free(line);
		if (*p == '\0')
			break;
		fputc(*p, f);
		s = p + 1;
	}
}

void
cli_put_fix(FILE *f, const char *lead, const char *indent, const char *text)
{
	const char *p = text, *nl;
	char *line;

	for (;;) {
		nl = p + strcspn(p, "\n");
		line = xstrndup(p, (size_t)(nl - p));
		fputs(p == text ? lead : indent, f);
		cli_put_zone(f, line);
		fputc('\n', f);
		free(line);
		if (*nl == '\0')
			break;
		p = nl + 1;
	}
}

void
cli_json_warnings(struct json *j, const struct site *site)
{
	size_t i;

	json_array_begin(j, "warnings");
	for (i = 0; i < site->warnings.n; i++) {
		json_object_begin(j, NULL);
		json_string(j, "severity",
		    site_severity_name(site_warning_severity(site, i)));
		json_string(j, "text", site->warnings.v[i]);
		json_object_end(j);
	}
	for (i = 0; i < site->addr_notes.n; i++) {
		json_object_begin(j, NULL);
		json_string(j, "severity", "note");
		json_string(j, "text", site->addr_notes.v[i]);
		json_object_end(j);
	}
	json_array_end(j);
}

int
cli_exit(int rc)
{
	struct pollfd pfd;
	struct stat sb;
	int err = 0;

	errno = 0;
	if (fflush(stdout) != 0)
		err = errno != 0 ? errno : EIO;
	else if (ferror(stdout))
		err = out_errno != 0 ? out_errno : -1;
	if (err == -1 && fstat(STDOUT_FILENO, &sb) == 0 &&
	    S_ISFIFO(sb.st_mode)) {
		/* A write failed out of sight: a pipe without a reader says
		 * POLLERR. */
		pfd.fd = STDOUT_FILENO;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR))
			err = EPIPE;
	}
	if (fclose(stdout) != 0 && err == 0)
		err = errno != 0 ? errno : EIO;
	if (err == 0)
		return rc;
	if (err == EPIPE)
		return EXIT_PIPE;
	if (err == -1)
		fputs("notspam: cannot write standard output\n", stderr);
	else
		fprintf(stderr, "notspam: cannot write standard output: %s\n",
		    strerror(err));
	return EX_IOERR;
}

void
cli_error(const char *msg)
{
	fputs("notspam: ", stderr);
	cli_put(stderr, msg);
	fputc('\n', stderr);
}

void
cli_session_opts(const struct cli_opts *o, struct session_opts *so)
{
	memset(so, 0, sizeof *so);
	so->root = o->root;
	so->config = o->config;
	so->resolver = o->resolver;
	so->zones = o->zones;
}

struct session *
cli_session(const struct cli_opts *o, int *rc)
{
	struct session_opts so;
	struct session *s;
	char *cause = NULL;

	cli_session_opts(o, &so);
	if ((s = session_open(&so, &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		*rc = EX_NOINPUT;
	}
	return s;
}

/* Site warnings and address notes on stderr, so stdout stays clean. */
static void
cli_warnings(const struct site *site)
{
	size_t i;

	for (i = 0; i < site->warnings.n; i++) {
		fputs("notspam: warning: ", stderr);
		cli_put(stderr, site->warnings.v[i]);
		fputc('\n', stderr);
	}
	for (i = 0; i < site->addr_notes.n; i++) {
		fputs("notspam: note: ", stderr);
		cli_put(stderr, site->addr_notes.v[i]);
		fputc('\n', stderr);
	}
}

static void
records_text(const struct record_set *sets, size_t n)
{
	size_t i, j;
	char *zone;

	for (i = 0; i < n; i++) {
		/* The host's block says where it goes: those records are not
		 * a domain's (and the line is no domain name). */
		if (sets[i].host)
			printf("%s; the mail host %s: in its zone and in the"
			    " reverse zones\n", i > 0 ? "\n" : "",
			    sets[i].domain);
		else
			printf("%s; %s\n", i > 0 ? "\n" : "", sets[i].domain);
		for (j = 0; j < sets[i].nrecords; j++) {
			const struct record *r = &sets[i].records[j];
			printf("; [%s] ", r->id);
			cli_put(stdout, r->why != NULL ? r->why : "");
			putchar('\n');
			if (r->error != NULL) {
				fputs("; cannot compute: ", stdout);
				cli_put(stdout, r->error);
				putchar('\n');
				continue;
			}
			zone = records_zone_line(r);
			cli_put_zone(stdout, zone);
			putchar('\n');
			free(zone);
			if (r->strings.n > 1) {
				fputs("; as one value (DNS web forms): ",
				    stdout);
				cli_put(stdout, r->value);
				putchar('\n');
			}
		}
	}
}

/* The records of one set as a JSON "records" array member. */
static void
records_json_set(struct json *j, const struct record_set *set)
{
	size_t k, s;

	json_array_begin(j, "records");
	for (k = 0; k < set->nrecords; k++) {
		const struct record *r = &set->records[k];
		json_object_begin(j, NULL);
		json_string(j, "id", r->id);
		json_string(j, "name", r->name);
		json_string(j, "type", r->type);
		json_string(j, "value", r->value);
		json_array_begin(j, "strings");
		for (s = 0; s < r->strings.n; s++)
			json_string(j, NULL, r->strings.v[s]);
		json_array_end(j);
		json_string(j, "why", r->why);
		if (r->error != NULL)
			json_string(j, "error", r->error);
		json_object_end(j);
	}
	json_array_end(j);
}

static void
records_json(const struct site *site, const struct record_set *sets, size_t n)
{
	struct json j;
	size_t i;
	char *out;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "hostname", site->hostname);
	/* The mail host's records once, not in every domain. */
	if (n > 0 && sets[0].host) {
		json_object_begin(&j, "mail_host");
		json_string(&j, "name", sets[0].domain);
		records_json_set(&j, &sets[0]);
		json_object_end(&j);
	} else
		json_string(&j, "mail_host", NULL);
	json_array_begin(&j, "domains");
	for (i = 0; i < n; i++) {
		if (sets[i].host)
			continue;
		json_object_begin(&j, NULL);
		json_string(&j, "domain", sets[i].domain);
		records_json_set(&j, &sets[i]);
		json_object_end(&j);
	}
	json_array_end(&j);
	cli_json_warnings(&j, site);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
}

int
cli_records(const struct cli_opts *o, int argc, char **argv)
{
	struct session *s;
	struct site *site;
	struct record_set *sets = NULL;
	size_t n = 0, i, k;
	char *cause = NULL;
	int rc = 0;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fputs("usage: notspam records [DOMAIN]\n", stderr);
		return EX_USAGE;
	}
	if ((s = cli_session(o, &rc)) == NULL)
		return rc;
	site = s->site;
	if (site->ndomains == 0) {
		cli_warnings(site);	/* what was read is still worth fixing */
		fputs("notspam: no hosted domain found: no MTA or signer "
		    "configuration names one; add \"domains = example.org\" "
		    "to the settings file\n", stderr);
		session_close(s);
		return EX_NOINPUT;
	}
	if (site->hostname == NULL) {
		cli_warnings(site);
		fputs("notspam: the mail host name is unknown: set myhostname "
		    "in Postfix or hostname in smtpd.conf\n", stderr);
		session_close(s);
		return EX_NOINPUT;
	}
	if (records_build(site, argc == 2 ? argv[1] : NULL, &sets, &n,
	    &cause) != 0) {
		fputs("notspam: ", stderr);
		cli_put(stderr, cause);
		fputc('\n', stderr);
		free(cause);
		session_close(s);
		return EX_USAGE;
	}
	if (o->json)
		records_json(site, sets, n);
	else {
		cli_warnings(site);
		records_text(sets, n);
	}
	if (site->warnings.n > 0)
		rc = EXIT_WARN;
	for (i = 0; i < n; i++)
		for (k = 0; k < sets[i].nrecords; k++)
			if (sets[i].records[k].error != NULL)
				rc = EXIT_FAIL;
	records_free(sets, n);
	session_close(s);
	return rc;
}
