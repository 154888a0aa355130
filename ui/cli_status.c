/* cli_status.c: "notspam status", the dashboard as plain text: the same
 * data (site, services, signing path, a status per record kind per domain,
 * findings with their fixes) for scripts and terminals without curses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/check/check.h"
#include "core/dns/dns.h"
#include "core/lib/loop.h"
#include "core/site/services.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/check/summary.h"
#include "core/lib/util.h"
#include "ui/cli.h"

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
	for (i = 0; i < site->nlinks; i++) {
		const struct site_link *l = &site->links[i];
		fputs("path      ", stdout);
		cli_put(stdout, l->from);
		fputs(" -> ", stdout);
		cli_put(stdout, l->to);
		printf(" %s ", l->kind);
		cli_put(stdout, l->address ? l->address : "");
		putchar('\n');
	}
}

static void
status_table(const struct check_domain *res, size_t n)
{
	size_t i, cnt;
	int k;

	printf("\n%-28s", "domain");
	for (k = 0; k < SUM_NKINDS; k++)
		printf(" %-6s", summary_kind_name(k));
	putchar('\n');
	for (i = 0; i < n; i++) {
		printf("%-28s", res[i].domain);
		for (k = 0; k < SUM_NKINDS; k++) {
			enum check_status st = summary_kind_status(&res[i], k,
			    &cnt);
			printf(" %-6s", cnt == 0 ? "-" : st == CHECK_FAIL ?
			    "FAIL" : check_status_name(st));
		}
		putchar('\n');
	}
}

static void
status_findings(const struct check_domain *res, size_t n)
{
	struct finding *f;
	size_t nf, i;

	summary_findings(res, n, &f, &nf);
	printf("\nfindings %zu\n", nf);
	for (i = 0; i < nf; i++) {
		const struct check_item *it = f[i].item;
		printf("%-7s %s %s: ", f[i].status == CHECK_FAIL ? "FAIL" :
		    check_status_name(f[i].status), f[i].domain, it->id);
		cli_put(stdout, it->detail ? it->detail : "");
		putchar('\n');
		if (it->fix != NULL) {
			fputs("        fix: ", stdout);
			cli_put(stdout, it->fix);
			putchar('\n');
		}
	}
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
		fflush(stdout);		/* the report first, then why */
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
	struct service *svc;
	const struct check_domain *res;
	size_t nsvc, n;
	char *cause = NULL, when[64];
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
	status_site(site, svc, nsvc);
	if (site->ndomains == 0) {
		cli_error("no hosted domain: no MTA or signer configuration "
		    "names one; add \"domains = example.org\" to the settings "
		    "file");
		rc = EX_NOINPUT;
		goto done;
	}
	if ((dns = session_dns(s, NULL)) == NULL ||
	    (run = check_start(loop, dns, site, NULL, NULL, on_changed, NULL,
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
	status_table(res, n);
	status_findings(res, n);
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
	check_free(run);
	services_free(svc, nsvc);
	session_close(s);
	return rc;
}
