/* cli_doctor.c: "notspam doctor [--fix ID|all] [--dry-run | --yes]
 * [--timeout SECONDS]": why mail leaves unsigned or is refused, as
 * findings grouped by severity (core/doctor/doctor.h), or one JSON
 * object; with --fix, the edits of apply's plan that fix those findings
 * (only those files) and the changes no configuration line makes (a
 * signer started, a key's chown and chmod, a socket's umask and group:
 * plan_fix_add), shown and written and run through apply's transaction,
 * then the doctor again, saying whether each is fixed.
 *
 * Exit status: 0 no finding, 1 warnings, 2 failures (as check); with
 * --fix, the status of the doctor after the write (0 when fixed), or
 * apply's status when the write failed; 64 usage, or --fix with neither a
 * terminal nor --yes (nor --dry-run); 66 the site cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply/plan.h"
#include "core/doctor/doctor.h"
#include "core/doctor/listen.h"
#include "core/keys/keys.h"
#include "core/lib/loop.h"
#include "core/lib/json.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/lib/util.h"
#include "ui/cli.h"

static const char doctor_usage[] =
    "usage: notspam [--root DIR] [--json] doctor [--fix ID|all] "
    "[--dry-run | --yes] [--timeout SECONDS]\n";

struct doctor_args {
	const char	*fix;		/* an id, "all", or NULL */
	int		 dry_run;
	int		 yes;
	int		 timeout_ms;
};

/* SECONDS into milliseconds; -1 when not 1..3600. */
static int
doctor_seconds(const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (end == v || *end != '\0' || n < 1 || n > 3600)
		return -1;
	return (int)n * 1000;
}

static int
doctor_args(int argc, char **argv, struct doctor_args *a)
{
	int i;

	memset(a, 0, sizeof *a);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fix") == 0 && i + 1 < argc &&
		    argv[i + 1][0] != '-')
			a->fix = argv[++i];
		else if (strcmp(argv[i], "--dry-run") == 0)
			a->dry_run = 1;
		else if (strcmp(argv[i], "--yes") == 0)
			a->yes = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		    (a->timeout_ms = doctor_seconds(argv[i + 1])) > 0)
			i++;
		else {
			char *safe = str_sanitize(argv[i], strlen(argv[i]));
			fprintf(stderr, "notspam: doctor: unexpected \"%s\"\n",
			    safe);
			free(safe);
			fputs(doctor_usage, stderr);
			return -1;
		}
	}
	if (a->fix == NULL && (a->dry_run || a->yes)) {
		fputs("notspam: doctor: --dry-run and --yes go with --fix\n",
		    stderr);
		return -1;
	}
	return 0;
}

/* What listens and what the probes see, on this machine only (NULL under
 * --root, where the programs are not the root's). */
static struct listen_report *
doctor_probe_now(const struct site *site, int timeout_ms)
{
	struct listen_report *r;
	char *cause = NULL;

	if (site->root != NULL)
		return NULL;
	r = listen_report_new(site, NULL);
	if (listen_probe(r, timeout_ms > 0 ? (timeout_ms + 999) / 1000 : 0,
	    &cause) != 0) {
		free(r->note);
		r->note = xasprintf("the probes did not run: %s", cause);
		free(cause);
	}
	return r;
}

/* keys_probe's answers: done once the last is in. */
struct doctor_wait {
	const struct keys_list	*l;
	int			 done;
};

static void
doctor_dns_changed(void *arg)
{
	struct doctor_wait *w = arg;

	w->done = keys_probe_done(w->l);
}

/* The keys the signers use, asked of the DNS: a record that does not
 * publish them is a finding; no resolver, a note. */
static void
doctor_dns(struct session *s, struct doctor *d)
{
	struct keys_list *l;
	struct doctor_wait w;
	struct dns *dns;
	char *cause = NULL;

	if ((l = keys_list_new(s->site, &cause)) == NULL) {
		free(cause);
		return;
	}
	if ((dns = session_dns(s, NULL)) == NULL)
		strv_addf(&d->notes, "the DNS was not asked whether the keys "
		    "are published: %s", s->dns_error != NULL ? s->dns_error :
		    "no resolver");
	else if (l->n > 0) {
		w.l = l;
		w.done = 0;
		keys_probe(l, dns, doctor_dns_changed, &w);
		loop_run(s->loop, &w.done);
		doctor_keys_dns(d, l);
	}
	keys_list_free(l);
}

/* The plan the fixes come from (no PTR lookups: the doctor's fixes are
 * not the HELO name's). */
static struct plan *
doctor_plan(const struct site *site)
{
	struct plan_opts po;
	char *cause = NULL;
	struct plan *p;

	memset(&po, 0, sizeof po);
	if ((p = plan_make(site, &po, &cause)) == NULL)
		free(cause);
	return p;
}

static void
doctor_text(const struct doctor *d)
{
	const struct doctor_finding *f;
	size_t i, k, nf = 0, nw = 0;

	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		nf += f->sev == DOCTOR_FAIL;
		nw += f->sev == DOCTOR_WARN;
		printf("%s  %s: ", doctor_sev_name(f->sev), f->id);
		cli_put(stdout, f->title);
		putchar('\n');
		for (k = 0; k < f->evidence.n; k++) {
			fputs("  seen     ", stdout);
			cli_put(stdout, f->evidence.v[k]);
			putchar('\n');
		}
		if (f->explain != NULL) {
			fputs("  why      ", stdout);
			cli_put(stdout, f->explain);
			putchar('\n');
		}
		if (f->fix != NULL) {
			fputs("  fix      ", stdout);
			cli_put(stdout, f->fix);
			putchar('\n');
		}
		if (f->fixable)
			printf("  apply    notspam doctor --fix %s\n", f->id);
	}
	for (i = 0; i < d->notes.n; i++) {
		fputs("note     ", stdout);
		cli_put(stdout, d->notes.v[i]);
		putchar('\n');
	}
	if (d->n == 0)
		printf("doctor: no finding%s\n", d->notes.n > 0 ? " (see the "
		    "notes)" : ": the signing path is configured to carry "
		    "every message");
	else
		printf("doctor: %zu failure%s, %zu warning%s\n", nf,
		    nf == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
}

static void
doctor_json_doc(const struct doctor *d)
{
	struct json j;
	char *doc;

	json_init(&j);
	json_object_begin(&j, NULL);
	doctor_json(&j, d);
	json_object_end(&j);
	doc = json_finish(&j);
	cli_put_doc(doc, strlen(doc));
	free(doc);
}

/* Does --fix which name f? */
static int
doctor_named(const struct doctor_finding *f, const char *which)
{
	return strcmp(which, "all") == 0 || strcmp(which, f->id) == 0;
}

/* The plan of the findings --fix names: the files of apply's plan that
 * fix them (both sides of a milter hop: the signer's Socket too), then
 * the changes no configuration line makes (start the signer, a key's
 * owner and mode, a socket's access: plan_fix_add) added to it;
 * 0, or -1 after saying why not (no such finding, none fixable). */
static int
doctor_fix_files(const struct doctor *d, struct plan *p, const char *which)
{
	const struct doctor_finding *f;
	struct strv paths;
	size_t i, named = 0, acts = 0;
	char *msg, *cause;

	strv_init(&paths);
	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		if (!doctor_named(f, which))
			continue;
		named++;
		doctor_fix_paths(f, p, &paths);
	}
	plan_keep_files(p, &paths);
	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		if (!doctor_named(f, which) || f->act == NULL || !f->fixable)
			continue;
		cause = NULL;
		if (plan_fix_add(p, f->act, &cause) == 0)
			acts++;
		else {
			plan_note(p, "%s: %s", f->id, cause);
			free(cause);
		}
	}
	if (paths.n > 0 || acts > 0) {
		strv_free(&paths);
		return 0;
	}
	strv_free(&paths);
	if (named == 0 && strcmp(which, "all") != 0) {
		char *safe = str_sanitize(which, strlen(which));
		msg = xasprintf("doctor --fix %s: no such finding here (notspam "
		    "doctor lists them)", safe);
		free(safe);
	} else
		msg = xasprintf("doctor --fix %s: apply's plan has no edit that "
		    "fixes %s; see the finding's fix", which, named == 1 ?
		    "it" : "them");
	cli_error(msg);
	free(msg);
	return -1;
}

/* Each finding --fix named: gone from after, or still there. */
static int
doctor_verdict(const struct doctor *before, const struct doctor *after,
    const char *which)
{
	const struct doctor_finding *f, *g;
	size_t i, left = 0;
	int named;

	for (i = 0; i < before->n; i++) {
		f = &before->v[i];
		named = doctor_named(f, which);
		/* A note of the same id is history (a log line from before
		 * the fix), not the cause still there. */
		g = doctor_find((struct doctor *)after, f->id);
		if (g != NULL && (g->sev != DOCTOR_NOTE || f->sev ==
		    DOCTOR_NOTE)) {
			if (!named)
				continue;
			printf("still    %s: ", f->id);
			left++;
		} else
			printf("%-9s%s: ", named ? "fixed" : "also", f->id);
		cli_put(stdout, f->title);
		if (!named)
			fputs(" (an edit of the same file fixed it)", stdout);
		putchar('\n');
	}
	return left;
}

/* --fix: plan, show, write, then the doctor again. */
static int
doctor_fix(const struct cli_opts *o, const struct doctor_args *a,
    struct session *s, struct doctor *d, struct plan *p)
{
	struct session *s2;
	struct listen_report *r;
	struct doctor *after;
	struct plan *p2;
	char *writer;
	int rc;

	if (doctor_fix_files(d, p, a->fix) != 0)
		return EXIT_FAIL;
	writer = xasprintf("notspam doctor --fix %s --yes", a->fix);
	cli_apply_show(p, writer);
	free(writer);
	if (a->dry_run)
		return plan_changed_files(p) > 0 || plan_commands(p) > 0 ?
		    EXIT_WARN : 0;
	if (!a->yes && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fputs("notspam: doctor: not a terminal: add --yes to write the "
		    "fix, or --dry-run to see it\n", stderr);
		return EX_USAGE;
	}
	if ((rc = cli_apply_commit(o, p, a->yes, a->timeout_ms, NULL)) != 0)
		return rc;
	(void)s;
	if ((s2 = cli_session(o, &rc)) == NULL)
		return rc;
	p2 = doctor_plan(s2->site);
	r = doctor_probe_now(s2->site, a->timeout_ms);
	after = doctor_make(s2->site, p2, r, 1);
	listen_report_free(r);
	rc = doctor_verdict(d, after, a->fix) > 0 ? doctor_status(after) : 0;
	doctor_free(after);
	plan_free(p2);
	session_close(s2);
	return rc;
}

int
cli_doctor(const struct cli_opts *o, int argc, char **argv)
{
	struct doctor_args a;
	struct session *s;
	struct listen_report *r;
	struct doctor *d;
	struct plan *p;
	int rc = 0;

	if (doctor_args(argc, argv, &a) != 0)
		return EX_USAGE;
	if (a.fix != NULL && o->json) {
		fputs("notspam: doctor --fix: --json is not supported; use "
		    "--fix without it, or doctor --json to list\n", stderr);
		return EX_USAGE;
	}
	if ((s = cli_session(o, &rc)) == NULL)
		return rc;
	p = doctor_plan(s->site);
	r = doctor_probe_now(s->site, a.timeout_ms);
	d = doctor_make(s->site, p, r, 1);
	listen_report_free(r);
	doctor_dns(s, d);
	if (a.fix != NULL) {
		rc = p != NULL ? doctor_fix(o, &a, s, d, p) : EXIT_FAIL;
	} else {
		if (o->json)
			doctor_json_doc(d);
		else
			doctor_text(d);
		rc = doctor_status(d);
	}
	doctor_free(d);
	plan_free(p);
	session_close(s);
	return rc;
}
