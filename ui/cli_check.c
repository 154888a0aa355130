/* cli_check.c: "notspam check [DOMAIN...]": every record each domain needs,
 * compared with what the DNS answers now, as a table or as JSON; with
 * --nagios as a monitoring plugin's output (stdout only, exit 0-3), with
 * --prometheus FILE also as a node_exporter textfile written atomically
 * (core/check/monitor.h makes both). */
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>	/* mallopt */
#endif
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/check/check.h"
#include "core/check/monitor.h"
#include "core/dns/dns.h"
#include "core/lib/fswrite.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/site/path.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/lib/util.h"
#include "ui/cli.h"

/* The JSON buffer's first size: more than a domain takes as a rule. */
#define CLI_CHECK_JSON_BUF	(256 * 1024)

#define CLI_CHECK_USAGE	"usage: notspam check [--ns-port PORT] [DOMAIN...]"
/* The monitoring forms, on a line of their own after it. */
#define CLI_CHECK_USAGE_MON "notspam check [--nagios] [--prometheus FILE]" \
			" [--ns-port PORT] [DOMAIN...]"

/* The textfile's mode: node_exporter runs as a user of its own. */
#define CLI_CHECK_PROM_MODE	0644

struct cli_check {
	struct check_run	*run;
	int			 done;
	int			 nagios;	/* --nagios */
	const char		*prom;		/* --prometheus FILE */
};

/* The value of --NAME VALUE or --NAME=VALUE at argv[*i] into *out: 1
 * taken, 0 not this option, -1 a missing value. */
static int
cli_check_value(const char *name, int argc, char **argv, int *i,
    const char **out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return **out != '\0' ? 1 : -1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc || *argv[*i + 1] == '\0')
		return -1;
	*out = argv[++*i];
	return 1;
}

/* The value of --ns-port PORT or --ns-port=PORT at argv[*i] into
 * opts->ns_port: 1 taken, 0 not this option, -1 a bad or missing value
 * (why in *why). */
static int
cli_check_ns_port(int argc, char **argv, int *i, struct check_opts *opts,
    char **why)
{
	const char *v = NULL;
	char *end = NULL, *safe;
	long p = 0;
	int r;

	if ((r = cli_check_value("--ns-port", argc, argv, i, &v)) == 0)
		return 0;
	if (r == -1) {
		*why = xstrdup("--ns-port needs a port (1-65535)");
		return -1;
	}
	if (*v >= '0' && *v <= '9')
		p = strtol(v, &end, 10);
	if (p < 1 || p > 65535 || *end != '\0') {
		safe = str_sanitize(v, strlen(v));
		*why = xasprintf("--ns-port: \"%s\" is not a port (1-65535)",
		    safe);
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

/* Report a cause (freed) and return rc: on stderr; with --nagios as the
 * plugin's UNKNOWN line on stdout (a monitoring system reads nothing
 * else), status 3 whatever rc. */
static int
cli_check_error(const struct cli_check *cc, char *cause, int rc)
{
	struct buf b;

	if (cc->nagios) {
		buf_init(&b);
		monitor_nagios_unknown(&b, cause);
		cli_put_doc(b.data, b.len);
		buf_free(&b);
		free(cause);
		return MONITOR_UNKNOWN;
	}
	fputs("notspam: ", stderr);
	cli_check_safe(stderr, cause != NULL ? cause : "unknown error");
	fputc('\n', stderr);
	free(cause);
	return rc;
}

/* A usage error (why freed, or NULL): why, then the usage line; with
 * --nagios both on the plugin's UNKNOWN line. */
static int
cli_check_usage(const struct cli_check *cc, char *why)
{
	char *cause;

	if (cc->nagios) {
		cause = xasprintf("%s%susage: %s", why != NULL ? why : "",
		    why != NULL ? "; " : "", CLI_CHECK_USAGE_MON);
		free(why);
		return cli_check_error(cc, cause, EX_USAGE);
	}
	if (why != NULL)
		fprintf(stderr, "notspam: %s\n", why);
	fprintf(stderr, "%s\n       %s\n", CLI_CHECK_USAGE,
	    CLI_CHECK_USAGE_MON);
	free(why);
	return EX_USAGE;
}

/* Nanoseconds from a to b. */
static long long
cli_check_ns(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000000 +
	    (b->tv_nsec - a->tv_nsec);
}

/* Write the textfile of the run to cc->prom (a path of this machine, as
 * typed: never under --root), atomically; 0, or -1 with *cause. */
static int
cli_check_prom(const struct cli_check *cc, const struct site *site,
    struct monitor_run *mr, char **cause)
{
	struct fswrite_opts fo;
	struct path *p = path_build(site);
	struct buf b;
	int rc;

	mr->path = p;
	buf_init(&b);
	monitor_prometheus(&b, mr);
	memset(&fo, 0, sizeof fo);
	fo.mode = CLI_CHECK_PROM_MODE;
	rc = fswrite_file(NULL, cc->prom, b.data, b.len, &fo, cause);
	buf_free(&b);
	mr->path = NULL;
	path_free(p);
	return rc;
}

/* The options of the command into cc, copts and domains; 0, or the exit
 * status of a usage error (said). */
static int
cli_check_args(struct cli_check *cc, int argc, char **argv,
    struct check_opts *copts, const char **domains, size_t *ndomains)
{
	char *why = NULL, *safe;
	int a, r;

	/* Known first: a usage error is the plugin's too. */
	for (a = 1; a < argc && strcmp(argv[a], "--") != 0; a++)
		if (strcmp(argv[a], "--nagios") == 0)
			cc->nagios = 1;
	for (a = 1; a < argc; a++) {
		if ((r = cli_check_ns_port(argc, argv, &a, copts, &why)) == 1)
			continue;
		if (r == -1)
			return cli_check_usage(cc, why);
		if (strcmp(argv[a], "--nagios") == 0)
			continue;
		if ((r = cli_check_value("--prometheus", argc, argv, &a,
		    &cc->prom)) == 1)
			continue;
		if (r == -1)
			return cli_check_usage(cc, xstrdup("--prometheus needs"
			    " a file name"));
		if (strcmp(argv[a], "--") == 0) {
			while (++a < argc)
				domains[(*ndomains)++] = argv[a];
			break;
		}
		if (argv[a][0] == '-') {
			safe = str_sanitize(argv[a], strlen(argv[a]));
			why = xasprintf("check: unknown option %s", safe);
			free(safe);
			return cli_check_usage(cc, why);
		}
		domains[(*ndomains)++] = argv[a];
	}
	return 0;
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
	struct monitor_run mr;
	struct timespec t0, t1;
	struct buf b;
	const struct check_domain *ds;
	const char **domains = NULL;
	size_t sum[CHECK_UNKNOWN + 1], n, i, k, ndomains = 0;
	char *cause = NULL, *werr = NULL;
	int rc = 0, color, bad;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&cc, 0, sizeof cc);
	memset(&copts, 0, sizeof copts);
	copts.ns_port = o->ns_port;
	domains = xcalloc((size_t)argc + 1, sizeof *domains);
	if ((rc = cli_check_args(&cc, argc, argv, &copts, domains,
	    &ndomains)) != 0) {
		free(domains);
		return rc;
	}
	if (cc.nagios && o->json) {
		free(domains);
		return cli_check_usage(&cc, xstrdup("--nagios prints the"
		    " plugin's output, not JSON: leave out --json"));
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
		rc = cli_check_error(&cc, cause, EX_NOINPUT);
		goto done;
	}
	site = s->site;
	loop = s->loop;
	if (site->ndomains == 0) {
		if (!cc.nagios)
			cli_check_warnings(site);
		rc = cli_check_error(&cc, xstrdup("no hosted domain found: no"
		    " MTA or signer configuration names one; add \"domains ="
		    " example.org\" to the settings file"), EX_NOINPUT);
		goto done;
	}
	if (site->hostname == NULL) {
		if (!cc.nagios)
			cli_check_warnings(site);
		rc = cli_check_error(&cc, xstrdup("the mail host name is"
		    " unknown: set myhostname in Postfix or hostname in"
		    " smtpd.conf"), EX_NOINPUT);
		goto done;
	}
	if ((dns = session_dns(s, &bad)) == NULL) {
		rc = cli_check_error(&cc, xstrdup(s->dns_error), bad ?
		    EX_USAGE : EX_UNAVAILABLE);
		goto done;
	}
	cc.run = check_start(loop, dns, site, ndomains > 0 ? domains : NULL,
	    &copts, cli_check_changed, &cc, &cause);
	if (cc.run == NULL) {
		rc = cli_check_error(&cc, cause, EX_USAGE);
		goto done;
	}
	cc.done = check_done(cc.run);
	loop_run(loop, &cc.done);

	memset(sum, 0, sizeof sum);
	ds = check_results(cc.run, &n);
	for (i = 0; i < n; i++)
		for (k = 0; k < ds[i].nitems; k++)
			sum[ds[i].items[k].status]++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	memset(&mr, 0, sizeof mr);
	mr.ds = ds;
	mr.n = n;
	mr.resolver = dns_servers(dns);
	mr.unreachable = check_unreachable(cc.run);
	mr.warnings = &site->warnings;
	mr.duration_ns = cli_check_ns(&t0, &t1);
	clock_gettime(CLOCK_REALTIME, &mr.finished);
	/* The file first: the plugin's output says when it failed. */
	if (cc.prom != NULL && cli_check_prom(&cc, site, &mr, &werr) != 0 &&
	    werr == NULL)
		werr = xstrdup("the textfile could not be written");
	if (cc.nagios) {
		if (werr != NULL)
			rc = cli_check_error(&cc, werr, EX_IOERR);
		else {
			buf_init(&b);
			rc = monitor_nagios(&b, &mr);
			cli_put_doc(b.data, b.len);
			buf_free(&b);
		}
		check_free(cc.run);
		goto done;
	}
	if (o->json)
		cli_check_json(site, dns_servers(dns), ds, n, sum);
	else {
		cli_check_warnings(site);
		color = !o->no_color && isatty(STDOUT_FILENO);
		cli_check_text(dns_servers(dns), ds, n, sum, color);
	}
	if (mr.unreachable) {
		cli_flush();		/* the report first, then why */
		fputs("notspam: the resolver did not answer at all: check"
		    " --resolver or /etc/resolv.conf\n", stderr);
		rc = EX_TEMPFAIL;
	} else if (sum[CHECK_FAIL] > 0)
		rc = EXIT_FAIL;
	else if (sum[CHECK_WARN] > 0 || sum[CHECK_UNKNOWN] > 0 ||
	    sum[CHECK_PENDING] > 0)
		rc = EXIT_WARN;
	if (werr != NULL) {
		cli_flush();
		rc = cli_check_error(&cc, werr, EX_IOERR);
	}
	check_free(cc.run);
done:
	session_close(s);
	free(domains);
	return rc;
}
