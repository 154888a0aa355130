/* cli_status.c: "notspam status", the dashboard as plain text or, with
 * --json, as one JSON object: the same data (site, services, signing path,
 * a status per record kind for the mail host and per domain, findings
 * with their fixes) for scripts and terminals without curses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/check/check.h"
#include "core/dns/dns.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/lib/textwrap.h"
#include "core/site/path.h"
#include "core/site/services.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/check/summary.h"
#include "core/lib/util.h"
#include "ui/cli.h"

#define STATUS_ROUTE_MAX	64	/* the state column starts no further */

/* The signing path, a hop a line: the route, then its state in a column
 * after the longest route (up to STATUS_ROUTE_MAX). */
static void
status_path(const struct site *site)
{
	struct path *p = path_build(site);
	char **shown = xcalloc(p->nhops + 1, sizeof *shown), *r, *st;
	int w, max = 0;
	size_t i;

	for (i = 0; i < p->nhops; i++) {
		r = path_hop_route(&p->hops[i]);
		shown[i] = str_shown(r, strlen(r));
		free(r);
		if ((w = textwrap_width(shown[i])) > max)
			max = w;
	}
	if (max > STATUS_ROUTE_MAX)
		max = STATUS_ROUTE_MAX;
	for (i = 0; i < p->nhops; i++) {
		w = textwrap_width(shown[i]);
		st = path_hop_state(&p->hops[i]);
		printf("path      %s%*s  ", shown[i], w < max ? max - w : 0, "");
		cli_put(stdout, st);
		putchar('\n');
		free(st);
		free(shown[i]);
	}
	free(shown);
	path_free(p);
}

static void
status_site(const struct site *site, const struct service *svc, size_t nsvc)
{
	size_t i;

	fputs("host      ", stdout);
	cli_put(stdout, site->hostname ? site->hostname : "(unknown)");
	putchar('\n');
	for (i = 0; i < site->nprograms; i++) {
		const struct site_program *p = &site->programs[i];
		printf("program   %-10s %-7s %s  ", p->name, p->role,
		    p->version ? p->version : "(version unknown)");
		cli_put(stdout, p->config ? p->config : "");
		putchar('\n');
	}
	for (i = 0; i < site->ipv4.n; i++)
		printf("address   %s\n", site->ipv4.v[i]);
	for (i = 0; i < site->ipv6.n; i++)
		printf("address   %s\n", site->ipv6.v[i]);
	for (i = 0; i < site->addr_notes.n; i++) {
		fputs("note      ", stdout);
		cli_put(stdout, site->addr_notes.v[i]);
		putchar('\n');
	}
	for (i = 0; i < site->nkeys; i++) {
		printf("key       %s._domainkey.%s  %s  ", site->keys[i].selector,
		    site->keys[i].domain, site->keys[i].signer);
		cli_put(stdout, site->keys[i].keyfile ? site->keys[i].keyfile : "?");
		putchar('\n');
	}
	for (i = 0; i < nsvc; i++) {
		printf("service   %-10s %-8s ", svc[i].program,
		    services_state_name(svc[i].state));
		cli_put(stdout, svc[i].detail ? svc[i].detail : "");
		putchar('\n');
	}
	status_path(site);
}

/* One line of a status table: the column labels (cd NULL: first names the
 * rows) or cd's status in each kind from `from` to `to`, each column as
 * wide as its label and at least 6 (the host's labels, words with a blank
 * inside, two blanks apart). */
static void
status_line(const struct check_domain *cd, const char *first, int from,
    int to)
{
	enum check_status st;
	size_t cnt;
	int k, w;

	printf("%-28s", cd != NULL ? cd->domain : first);
	for (k = from; k < to; k++) {
		w = (int)strlen(summary_kind_name(k));
		if (k >= SUM_HOST_FIRST && strchr(summary_kind_name(k), ' '))
			w += 2;
		if (w < 6)
			w = 6;
		if (cd == NULL) {
			printf(" %-*s", w, summary_kind_name(k));
			continue;
		}
		st = summary_kind_status(cd, k, &cnt);
		printf(" %-*s", w, cnt == 0 ? "-" : st == CHECK_FAIL ? "FAIL" :
		    check_status_name(st));
	}
	putchar('\n');
}

/* The mail host's line (its A, AAAA, PTR and HELO SPF, once), then the
 * domain table. */
static void
status_table(const struct check_domain *res, size_t n)
{
	size_t i;

	if (n > 0 && res[0].host) {
		putchar('\n');
		status_line(NULL, "mail host", SUM_HOST_FIRST, SUM_NKINDS);
		status_line(&res[0], NULL, SUM_HOST_FIRST, SUM_NKINDS);
	}
	putchar('\n');
	status_line(NULL, "domain", 0, SUM_HOST_FIRST);
	for (i = 0; i < n; i++)
		if (!res[i].host)
			status_line(&res[i], NULL, 0, SUM_HOST_FIRST);
}

/* The signing path's hops (path.h): from and to null where the text says
 * "listens on" or names no listener. */
static void
status_path_json(struct json *j, const struct site *site)
{
	struct path *p = path_build(site);
	size_t i;

	json_array_begin(j, "paths");
	for (i = 0; i < p->nhops; i++) {
		const struct path_hop *h = &p->hops[i];
		json_object_begin(j, NULL);
		json_string(j, "from", h->from);
		json_string(j, "to", h->to);
		json_string(j, "kind", h->kind);
		json_string(j, "address", h->address);
		json_string(j, "state", path_state_name(h->state));
		json_string(j, "detail", h->detail);
		json_string(j, "listener", h->listen);
		json_string(j, "source", h->source);
		json_object_end(j);
	}
	json_array_end(j);
	path_free(p);
}

/* The site, services and signing path as members of the JSON object. */
static void
status_site_json(struct json *j, const struct site *site,
    const struct service *svc, size_t nsvc)
{
	size_t i;

	json_string(j, "host", site->hostname);
	json_array_begin(j, "programs");
	for (i = 0; i < site->nprograms; i++) {
		const struct site_program *p = &site->programs[i];
		json_object_begin(j, NULL);
		json_string(j, "name", p->name);
		json_string(j, "role", p->role);
		json_string(j, "version", p->version);
		json_string(j, "config", p->config);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "addresses");
	for (i = 0; i < site->ipv4.n; i++)
		json_string(j, NULL, site->ipv4.v[i]);
	for (i = 0; i < site->ipv6.n; i++)
		json_string(j, NULL, site->ipv6.v[i]);
	json_array_end(j);
	json_array_begin(j, "keys");
	for (i = 0; i < site->nkeys; i++) {
		json_object_begin(j, NULL);
		json_string(j, "domain", site->keys[i].domain);
		json_string(j, "selector", site->keys[i].selector);
		json_string(j, "signer", site->keys[i].signer);
		json_string(j, "keyfile", site->keys[i].keyfile);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "services");
	for (i = 0; i < nsvc; i++) {
		json_object_begin(j, NULL);
		json_string(j, "program", svc[i].program);
		json_string(j, "state", services_state_name(svc[i].state));
		json_string(j, "detail", svc[i].detail);
		json_object_end(j);
	}
	json_array_end(j);
	status_path_json(j, site);
}

/* The "status" member of cd: its kinds from `from` to `to` by their JSON
 * names, null where it has nothing of that kind. */
static void
status_kinds_json(struct json *j, const struct check_domain *cd, int from,
    int to)
{
	enum check_status st;
	size_t cnt;
	int k;

	json_object_begin(j, "status");
	for (k = from; k < to; k++) {
		st = summary_kind_status(cd, k, &cnt);
		json_string(j, summary_kind_key(k), cnt == 0 ? NULL :
		    check_status_name(st));
	}
	json_object_end(j);
}

/* A status per record kind, as the tables show: the mail host's once
 * ("mail_host", null without a host name), then each domain's. */
static void
status_table_json(struct json *j, const struct check_domain *res, size_t n)
{
	size_t i;

	if (n > 0 && res[0].host) {
		json_object_begin(j, "mail_host");
		json_string(j, "name", res[0].domain);
		status_kinds_json(j, &res[0], SUM_HOST_FIRST, SUM_NKINDS);
		json_object_end(j);
	} else
		json_string(j, "mail_host", NULL);
	json_array_begin(j, "domains");
	for (i = 0; i < n; i++) {
		if (res[i].host)
			continue;
		json_object_begin(j, NULL);
		json_string(j, "domain", res[i].domain);
		status_kinds_json(j, &res[i], 0, SUM_HOST_FIRST);
		json_object_end(j);
	}
	json_array_end(j);
}

/* The rest of the JSON object: when, the resolver, every check counted by
 * status (as check --json does), and the warnings; then the document. */
static void
status_end_json(struct json *j, const struct site *site,
    const struct check_domain *res, size_t n, const char *resolver)
{
	size_t sum[CHECK_UNKNOWN + 1] = { 0 }, i, k;
	char when[32];
	time_t now = time(NULL);
	char *out;

	for (i = 0; i < n; i++)
		for (k = 0; k < res[i].nitems; k++)
			sum[res[i].items[k].status]++;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_string(j, "checked", when);
	json_string(j, "resolver", resolver);
	json_object_begin(j, "summary");
	json_int(j, "ok", (long long)sum[CHECK_OK]);
	json_int(j, "warn", (long long)sum[CHECK_WARN]);
	json_int(j, "fail", (long long)sum[CHECK_FAIL]);
	json_int(j, "unknown", (long long)sum[CHECK_UNKNOWN]);
	json_object_end(j);
	cli_json_warnings(j, site);
	json_object_end(j);
	out = json_finish(j);
	cli_put_doc(out, strlen(out));
	free(out);
}

/* One finding as a JSON object of the "findings" array. */
static void
status_finding_json(struct json *j, const struct finding *f)
{
	json_object_begin(j, NULL);
	/* A mail host's finding is named by the host, not a domain. */
	json_string(j, "domain", f->host ? NULL : f->domain);
	if (f->host)
		json_string(j, "mail_host", f->domain);
	json_string(j, "id", f->item->id);
	json_string(j, "name", f->item->name);
	json_string(j, "type", f->item->type);
	json_string(j, "status", check_status_name(f->status));
	json_string(j, "detail", f->item->detail);
	json_string(j, "fix", f->item->fix);
	json_object_end(j);
}

/* The findings, worst first, as text or (j not NULL) as the "findings"
 * array.  In text, when the resolver never answered (down), the unknown
 * ones are left out: the line above the table stands for them. */
static void
status_findings(const struct check_domain *res, size_t n, struct json *j,
    int down)
{
	struct finding *f;
	size_t nf, i, k, unknown = 0;

	summary_findings(res, n, &f, &nf);
	if (j == NULL && down) {
		for (i = k = 0; i < nf; i++)
			if (f[i].status == CHECK_UNKNOWN)
				unknown++;
			else
				f[k++] = f[i];
		nf = k;
	}
	if (j != NULL)
		json_array_begin(j, "findings");
	else if (unknown > 0)
		printf("\nfindings %zu (and %zu unknown: the resolver did not"
		    " answer)\n", nf, unknown);
	else
		printf("\nfindings %zu\n", nf);
	for (i = 0; i < nf; i++) {
		const struct check_item *it = f[i].item;
		if (j != NULL)
			status_finding_json(j, &f[i]);
		else {
			printf("%-7s %s %s: ", f[i].status == CHECK_FAIL ?
			    "FAIL" : check_status_name(f[i].status),
			    f[i].domain, it->id);
			cli_put(stdout, it->detail ? it->detail : "");
			putchar('\n');
		}
		if (j == NULL && it->fix != NULL)
			cli_put_fix(stdout, "        fix: ", "             ",
			    it->fix);
	}
	if (j != NULL)
		json_array_end(j);
	free(f);
}

/* The exit status of the run, as `check` gives it (man page, EXIT STATUS):
 * 75 when the resolver did not answer at all, 2 for a failure, 1 for a
 * warning or a check that could not tell. */
static int
status_exit(const struct check_run *run)
{
	enum check_status worst;

	if (check_unreachable(run)) {
		cli_flush();		/* the report first, then why */
		fputs("notspam: the resolver did not answer at all: check"
		    " --resolver or /etc/resolv.conf\n", stderr);
		return EX_TEMPFAIL;
	}
	worst = check_worst(run);
	if (worst == CHECK_FAIL)
		return EXIT_FAIL;
	return worst == CHECK_OK ? 0 : EXIT_WARN;
}

static void
on_changed(void *arg)
{
	(void)arg;
}

int
cli_status(const struct cli_opts *o, int argc, char **argv)
{
	struct session *s;
	struct site *site;
	struct loop *loop;
	struct dns *dns;
	struct check_run *run = NULL;
	struct check_opts co;
	struct service *svc;
	struct json j;
	const struct check_domain *res;
	size_t nsvc, n;
	char *cause = NULL, *line, when[64];
	time_t now;
	int rc;

	(void)argv;
	if (argc > 1) {
		fputs("usage: notspam status\n", stderr);
		return EX_USAGE;
	}
	if ((s = cli_session(o, &rc)) == NULL)
		return rc;
	site = s->site;
	loop = s->loop;
	services_probe(site, &svc, &nsvc);
	json_init(&j);
	if (o->json) {
		json_object_begin(&j, NULL);
		status_site_json(&j, site, svc, nsvc);
	} else
		status_site(site, svc, nsvc);
	if (site->ndomains == 0) {
		for (n = 0; !o->json && n < site->warnings.n; n++) {
			fputs("warning: ", stdout);
			cli_put(stdout, site->warnings.v[n]);
			putchar('\n');
		}
		cli_error("no hosted domain: no MTA or signer configuration "
		    "names one; add \"domains = example.org\" to the settings "
		    "file");
		rc = EX_NOINPUT;
		goto done;
	}
	memset(&co, 0, sizeof co);
	co.ns_port = o->ns_port;
	if ((dns = session_dns(s, NULL)) == NULL ||
	    (run = check_start(loop, dns, site, NULL, &co, on_changed, NULL,
	    &cause)) == NULL) {
		cli_error(dns == NULL ? s->dns_error : cause);
		free(cause);
		rc = dns == NULL ? EX_TEMPFAIL : EX_USAGE;
		goto done;
	}
	while (!check_done(run))
		if (loop_once(loop, -1) == -1)
			break;
	res = check_results(run, &n);
	if (o->json) {
		status_table_json(&j, res, n);
		status_findings(res, n, &j, 0);
		status_end_json(&j, site, res, n, dns_servers(dns));
		rc = status_exit(run);
		goto done;
	}
	if ((line = check_unreachable_line(run)) != NULL) {
		putchar('\n');		/* one line for every unknown below */
		cli_put(stdout, line);
		putchar('\n');
		free(line);
	}
	status_table(res, n);
	status_findings(res, n, NULL, check_unreachable(run));
	now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
	printf("\nlast check %s, resolver %s\n", when, dns_servers(dns));
	for (n = 0; n < site->warnings.n; n++) {
		fputs("warning: ", stdout);
		cli_put(stdout, site->warnings.v[n]);
		putchar('\n');
	}
	rc = status_exit(run);
done:
	buf_free(&j.b);		/* what was begun when the run failed */
	check_free(run);
	services_free(svc, nsvc);
	session_close(s);
	return rc;
}
