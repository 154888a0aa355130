/* cli_check.c: "notspam check [DOMAIN...]": every record each domain needs,
 * compared with what the DNS answers now, as a table or as JSON. */
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>	/* mallopt */
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check/check.h"
#include "core/dns/dns.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/lib/util.h"
#include "ui/cli.h"

/* The JSON buffer's first size: more than a domain takes as a rule. */
#define CLI_CHECK_JSON_BUF	(256 * 1024)

#define CLI_CHECK_USAGE	"usage: notspam check [--ns-port PORT] [DOMAIN...]\n"

struct cli_check {
	struct check_run	*run;
	int			 done;
};

/* The value of --ns-port PORT or --ns-port=PORT at argv[*i] into
 * opts->ns_port: 1 taken, 0 not this option, -1 a bad or missing value
 * (said on stderr). */
static int
cli_check_ns_port(int argc, char **argv, int *i, struct check_opts *opts)
{
	const char *v = NULL;
	char *end = NULL, *safe;
	long p = 0;

	if (strncmp(argv[*i], "--ns-port=", 10) == 0)
		v = argv[*i] + 10;
	else if (strcmp(argv[*i], "--ns-port") != 0)
		return 0;
	else if (*i + 1 < argc)
		v = argv[++*i];
	if (v == NULL) {
		fputs("notspam: --ns-port needs a port (1-65535)\n", stderr);
		return -1;
	}
	if (*v >= '0' && *v <= '9')
		p = strtol(v, &end, 10);
	if (p < 1 || p > 65535 || *end != '\0') {
		safe = str_sanitize(v, strlen(v));
		fprintf(stderr, "notspam: --ns-port: \"%s\" is not a port"
		    " (1-65535)\n", safe);
		free(safe);
		return -1;
	}
	opts->ns_port = (int)p;
	return 1;
}

/* Called from the loop when results change: only note whether all are in. */
static void
cli_check_changed(void *arg)
{
	struct cli_check *cc = arg;

	if (cc->run != NULL)
		cc->done = check_done(cc->run);
}

/* Print untrusted text made safe for the terminal. */
static void
cli_check_safe(FILE *f, const char *s)
{
	char *safe = str_sanitize(s, strlen(s));

	fputs(safe, f);
	free(safe);
}

/* Print text already made safe, escaping any control byte left (the core
 * sanitizes; this is the last line of defence), tabs kept. */
static void
cli_check_put(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* The status word, readable without colour; coloured on a terminal. */
static void
cli_check_status(enum check_status st, int color)
{
	const char *word = check_status_name(st), *on = "";

	switch (st) {
	case CHECK_OK:
		on = "\033[32m";
		break;
	case CHECK_WARN:
		word = "WARN";
		on = "\033[33m";
		break;
	case CHECK_FAIL:
		word = "FAIL";
		on = "\033[31m";
		break;
	case CHECK_UNKNOWN:
		word = "UNKNOWN";
		on = "\033[35m";
		break;
	case CHECK_PENDING:
		break;
	}
	if (color && *on != '\0')
		printf("%s%-8s\033[0m", on, word);
	else
		printf("%-8s", word);
}

/* Print a multi-line fix, each line indented under the row. */
static void
cli_check_fix(const char *fix)
{
	const char *p = fix, *nl;
	char *line;
	int first = 1;

	while (*p != '\0') {
		nl = p + strcspn(p, "\n");
		line = xstrndup(p, (size_t)(nl - p));
		fputs(first ? "             fix: " : "                  ", stdout);
		cli_check_put(stdout, line);
		putchar('\n');
		free(line);
		first = 0;
		if (*nl == '\0')
			break;
		p = nl + 1;
	}
}

static void
cli_check_text(const char *resolver, const struct check_domain *ds, size_t n,
    const size_t *sum, int color)
{
	const struct check_item *it;
	size_t i, k;

	fputs("resolver ", stdout);
	cli_check_safe(stdout, resolver);
	putchar('\n');
	for (i = 0; i < n; i++) {
		/* The mail host's checks once, named so (no domain name). */
		fputs(ds[i].host ? "\nmail host " : "\n", stdout);
		cli_check_safe(stdout, ds[i].domain);
		putchar('\n');
		for (k = 0; k < ds[i].nitems; k++) {
			it = &ds[i].items[k];
			fputs("  ", stdout);
			cli_check_status(it->status, color);
			putchar(' ');
			cli_check_safe(stdout, it->id);
			printf("%*s ", strlen(it->id) < 18 ?
			    (int)(18 - strlen(it->id)) : 0, "");
			cli_check_put(stdout, it->detail != NULL ?
			    it->detail : "");
			putchar('\n');
			if (it->fix != NULL && (it->status == CHECK_FAIL ||
			    it->status == CHECK_WARN))
				cli_check_fix(it->fix);
		}
		for (k = 0; k < ds[i].authority.n; k++) {
			fputs(k == 0 ? "  authority: " : "             ", stdout);
			cli_check_put(stdout, ds[i].authority.v[k]);
			putchar('\n');
		}
	}
	printf("\n%zu ok, %zu warn, %zu fail, %zu unknown\n", sum[CHECK_OK],
	    sum[CHECK_WARN], sum[CHECK_FAIL], sum[CHECK_UNKNOWN]);
}

/* Write out what the JSON writer holds so far and empty its buffer: the
 * document goes out a domain at a time, never whole in memory. */
static void
cli_check_json_flush(struct json *j)
{
	/* The buffer is kept for the next domain. */
	if (j->b.len > 0)
		cli_put_doc(j->b.data, j->b.len);
	j->b.len = 0;
	if (j->b.data != NULL)
		j->b.data[0] = '\0';
}

/* The checks and authority lines of one result as JSON members. */
static void
cli_check_json_checks(struct json *j, const struct check_domain *cd)
{
	const struct check_item *it;
	size_t k, f;

	json_array_begin(j, "checks");
	for (k = 0; k < cd->nitems; k++) {
		it = &cd->items[k];
		json_object_begin(j, NULL);
		json_string(j, "id", it->id);
		json_string(j, "name", it->name);
		json_string(j, "type", it->type);
		json_string(j, "status", check_status_name(it->status));
		json_string(j, "expected", it->expected);
		json_array_begin(j, "found");
		for (f = 0; f < it->found.n; f++)
			json_string(j, NULL, it->found.v[f]);
		json_array_end(j);
		json_string(j, "detail", it->detail);
		json_string(j, "fix", it->fix);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "authority");
	for (f = 0; f < cd->authority.n; f++)
		json_string(j, NULL, cd->authority.v[f]);
	json_array_end(j);
}

static void
cli_check_json(const struct site *site, const char *resolver,
    const struct check_domain *ds, size_t n, const size_t *sum)
{
	struct json j;
	size_t i;
	char *out;

	json_init(&j);
	/* Room for any usual domain from the start: the buffer is not grown
	 * step by step through the heap the checks have left. */
	j.b.size = CLI_CHECK_JSON_BUF;
	j.b.data = xmalloc(j.b.size);
	j.b.data[0] = '\0';
	json_object_begin(&j, NULL);
	json_string(&j, "resolver", resolver);
	/* The mail host's checks once, before the domains'. */
	if (n > 0 && ds[0].host) {
		json_object_begin(&j, "mail_host");
		json_string(&j, "name", ds[0].domain);
		cli_check_json_checks(&j, &ds[0]);
		json_object_end(&j);
	} else
		json_string(&j, "mail_host", NULL);
	json_array_begin(&j, "domains");
	for (i = 0; i < n; i++) {
		if (ds[i].host)
			continue;
		json_object_begin(&j, NULL);
		json_string(&j, "domain", ds[i].domain);
		cli_check_json_checks(&j, &ds[i]);
		json_object_end(&j);
		cli_check_json_flush(&j);
	}
	json_array_end(&j);
	json_object_begin(&j, "summary");
	json_int(&j, "ok", (long long)sum[CHECK_OK]);
	json_int(&j, "warn", (long long)sum[CHECK_WARN]);
	json_int(&j, "fail", (long long)sum[CHECK_FAIL]);
	json_int(&j, "unknown", (long long)sum[CHECK_UNKNOWN]);
	json_object_end(&j);
	cli_json_warnings(&j, site);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
}

/* Site warnings on stderr, so stdout stays clean. */
static void
cli_check_warnings(const struct site *site)
{
	size_t i;

	for (i = 0; i < site->warnings.n; i++) {
		fputs("notspam: warning: ", stderr);
		cli_check_safe(stderr, site->warnings.v[i]);
		fputc('\n', stderr);
	}
}

/* Report a cause on stderr; returns rc. */
static int
cli_check_error(char *cause, int rc)
{
	fputs("notspam: ", stderr);
	cli_check_safe(stderr, cause != NULL ? cause : "unknown error");
	fputc('\n', stderr);
	free(cause);
	return rc;
}

int
cli_check(const struct cli_opts *o, int argc, char **argv)
{
	struct cli_check cc;
	struct session_opts so;
	struct session *s = NULL;
	struct site *site;
	struct loop *loop;
	struct dns *dns;
	struct check_opts copts;
	const struct check_domain *ds;
	const char **domains = NULL;
	size_t sum[CHECK_UNKNOWN + 1], n, i, k, ndomains = 0;
	char *cause = NULL;
	int rc = 0, color, a, r, bad;

	memset(&copts, 0, sizeof copts);
	copts.ns_port = o->ns_port;
	domains = xcalloc((size_t)argc + 1, sizeof *domains);
	for (a = 1; a < argc; a++) {
		if ((r = cli_check_ns_port(argc, argv, &a, &copts)) == 1)
			continue;
		if (r == -1 || argv[a][0] == '-') {
			fputs(CLI_CHECK_USAGE, stderr);
			free(domains);
			return EX_USAGE;
		}
		domains[ndomains++] = argv[a];
	}
#ifdef M_MXFAST
	/*
	 * A run makes and frees many small objects; glibc's fast bins would
	 * hold them until a larger request sweeps them all (a pause that
	 * grows with the number of domains): free them into the bins at once.
	 */
	mallopt(M_MXFAST, 0);
#endif
	cli_session_opts(o, &so);
	if ((s = session_open(&so, &cause)) == NULL) {
		rc = cli_check_error(cause, EX_NOINPUT);
		goto done;
	}
	site = s->site;
	loop = s->loop;
	if (site->ndomains == 0) {
		cli_check_warnings(site);
		rc = cli_check_error(xstrdup("no hosted domain found: no MTA"
		    " or signer configuration names one; add \"domains ="
		    " example.org\" to the settings file"), EX_NOINPUT);
		goto done;
	}
	if (site->hostname == NULL) {
		cli_check_warnings(site);
		rc = cli_check_error(xstrdup("the mail host name is unknown:"
		    " set myhostname in Postfix or hostname in smtpd.conf"),
		    EX_NOINPUT);
		goto done;
	}
	if ((dns = session_dns(s, &bad)) == NULL) {
		rc = cli_check_error(xstrdup(s->dns_error), bad ? EX_USAGE :
		    EX_UNAVAILABLE);
		goto done;
	}
	memset(&cc, 0, sizeof cc);
	cc.run = check_start(loop, dns, site, ndomains > 0 ? domains : NULL,
	    &copts, cli_check_changed, &cc, &cause);
	if (cc.run == NULL) {
		rc = cli_check_error(cause, EX_USAGE);
		goto done;
	}
	cc.done = check_done(cc.run);
	loop_run(loop, &cc.done);

	memset(sum, 0, sizeof sum);
	ds = check_results(cc.run, &n);
	for (i = 0; i < n; i++)
		for (k = 0; k < ds[i].nitems; k++)
			sum[ds[i].items[k].status]++;
	if (o->json)
		cli_check_json(site, dns_servers(dns), ds, n, sum);
	else {
		cli_check_warnings(site);
		color = !o->no_color && isatty(STDOUT_FILENO);
		cli_check_text(dns_servers(dns), ds, n, sum, color);
	}
	if (check_unreachable(cc.run)) {
		fputs("notspam: the resolver did not answer at all: check"
		    " --resolver or /etc/resolv.conf\n", stderr);
		rc = EX_TEMPFAIL;
	} else if (sum[CHECK_FAIL] > 0)
		rc = EXIT_FAIL;
	else if (sum[CHECK_WARN] > 0 || sum[CHECK_UNKNOWN] > 0 ||
	    sum[CHECK_PENDING] > 0)
		rc = EXIT_WARN;
	check_free(cc.run);
done:
	session_close(s);
	free(domains);
	return rc;
}
