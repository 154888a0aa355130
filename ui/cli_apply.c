/* cli_apply.c: "notspam apply [--dry-run] [--yes] [--only BACKEND]": the
 * plan of config changes the site needs, as reasons and unified diffs per
 * file, or one JSON object; without --dry-run, written through one
 * transaction (core/apply/apply.h) after a question on a terminal or with
 * --yes.  Exit codes: see cli_apply(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply/apply.h"
#include "core/apply/plan.h"
#include "core/dns/dns.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/lib/util.h"
#include "ui/cli.h"

static const char apply_usage[] =
    "usage: notspam [--root DIR] [--json] apply [--dry-run | --yes] "
    "[--only BACKEND] [--timeout SECONDS]\n";

struct apply_args {
	int		 dry_run;
	int		 yes;
	const char	*only;
	int		 timeout_ms;	/* 0: the defaults */
};

/* SECONDS of --timeout into milliseconds; -1 when not 1..3600. */
static int
apply_seconds(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 3600)
		return -1;
	return (int)v * 1000;
}

/* The command's own options; -1 after a usage message. */
static int
apply_args(int argc, char **argv, struct apply_args *a)
{
	int i;

	memset(a, 0, sizeof *a);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			a->dry_run = 1;
		else if (strcmp(argv[i], "--yes") == 0)
			a->yes = 1;
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			a->only = argv[++i];
		else if (strncmp(argv[i], "--only=", 7) == 0 &&
		    argv[i][7] != '\0')
			a->only = argv[i] + 7;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		    (a->timeout_ms = apply_seconds(argv[i + 1])) > 0)
			i++;
		else {
			char *safe = str_sanitize(argv[i], strlen(argv[i]));
			fprintf(stderr, "notspam: apply: unexpected \"%s\"\n",
			    safe);
			free(safe);
			fputs(apply_usage, stderr);
			return -1;
		}
	}
	return 0;
}

/* Ask the PTR records of the public addresses (their names decide the
 * HELO name and the IPv6 fallback); unknown when no resolver starts. */
static void
apply_ptrs(struct session *s, struct plan_ptrs *ptrs)
{
	struct dns *dns;

	memset(ptrs, 0, sizeof *ptrs);
	if ((dns = session_dns(s, NULL)) == NULL)
		return;
	plan_ptrs_lookup(ptrs, dns, s->site);
	while (ptrs->pending > 0 && loop_busy(s->loop))
		if (loop_once(s->loop, 1000) < 0)
			break;
}

/* argv as one line. */
static void
apply_put_argv(FILE *f, const struct strv *argv)
{
	size_t i;

	for (i = 0; i < argv->n; i++) {
		if (i > 0)
			fputc(' ', f);
		cli_put(f, argv->v[i]);
	}
}

/* One line: a label, then the text made safe. */
static void
apply_line(const char *label, const char *text)
{
	printf("%-9s", label);
	cli_put(stdout, text);
	putchar('\n');
}

/* Edits in the order of their lines (stable: the plan's order within a
 * line). */
static int
apply_edit_cmp(const void *a, const void *b)
{
	const struct plan_edit *x = *(const struct plan_edit *const *)a;
	const struct plan_edit *y = *(const struct plan_edit *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* A changed file: its edits' reasons, its warnings, its diff. */
static void
apply_text_file(const struct plan_file *f)
{
	const struct plan_edit *e, **order;
	char *diff;
	size_t i;

	printf("== ");
	cli_put(stdout, f->path);
	printf(" (%s%s, %zu change%s)\n", plan_backend_name(f->backend),
	    f->exists ? "" : ", new file", f->nedits, f->nedits == 1 ? "" : "s");
	for (i = 0; i < f->warnings.n; i++)
		apply_line("warning", f->warnings.v[i]);
	order = xcalloc(f->nedits + 1, sizeof *order);
	for (i = 0; i < f->nedits; i++)
		order[i] = &f->edits[i];
	qsort(order, f->nedits, sizeof *order, apply_edit_cmp);
	for (i = 0; i < f->nedits; i++) {
		e = order[i];
		printf("line %zu%s: ", e->line, e->before == NULL ? " (added)" :
		    e->after == NULL ? " (removed)" : "");
		cli_put(stdout, e->reason);
		putchar('\n');
	}
	free(order);
	diff = plan_file_diff(f);
	cli_put_zone(stdout, diff);
	free(diff);
}

void
cli_apply_show(const struct plan *p, const char *writer)
{
	size_t i, nfiles = plan_changed_files(p), ncmd = plan_commands(p);
	const char *word;

	for (i = 0; i < p->nfiles; i++) {
		if (plan_file_changed(&p->files[i]))
			apply_text_file(&p->files[i]);
		else if (p->files[i].warnings.n > 0)
			apply_line("warning", p->files[i].warnings.v[0]);
	}
	for (i = 0; i < p->nsteps && (nfiles > 0 || ncmd > 0); i++) {
		printf("%-9s", "step");
		apply_put_argv(stdout, &p->steps[i].argv);
		fputs(": ", stdout);
		cli_put(stdout, p->steps[i].reason);
		putchar('\n');
	}
	for (i = 0; i < p->nchecks && nfiles > 0; i++) {
		printf("%-9s", "check");
		apply_put_argv(stdout, &p->checks[i].argv);
		putchar('\n');
	}
	for (i = 0; i < p->nreloads; i++) {
		word = p->reloads[i].start ? "start" : p->reloads[i].restart ?
		    "restart" : "reload";
		printf("%-9s", "then");
		if (p->reloads[i].argv.n > 0)
			apply_put_argv(stdout, &p->reloads[i].argv);
		else {
			printf("%s %s: ", word, plan_backend_name(p->reloads[i].backend));
			cli_put(stdout, p->reloads[i].why);
		}
		putchar('\n');
	}
	for (i = 0; i < p->noffers; i++) {
		printf("%-9s", "offered");
		cli_put(stdout, p->offers[i].what);
		fputs(" (to apply it, set \"", stdout);
		cli_put(stdout, p->offers[i].setting);
		fputs("\" in notspam.conf): ", stdout);
		cli_put(stdout, p->offers[i].reason);
		putchar('\n');
	}
	for (i = 0; i < p->none.n; i++)
		apply_line("no plan", p->none.v[i]);
	for (i = 0; i < p->notes.n; i++)
		apply_line("note", p->notes.v[i]);
	if (nfiles == 0 && ncmd > 0)
		printf("%zu command%s to run, no file to change; %s runs "
		    "them\n", ncmd, ncmd == 1 ? "" : "s", writer);
	else if (nfiles == 0 && p->none.n > 0)
		printf("nothing to do that notspam can plan\n");
	else if (nfiles == 0)
		printf("nothing to do: the configuration is what the site "
		    "needs\n");
	else if (ncmd > 0)
		printf("%zu file%s to change, %zu edit%s, %zu command%s; %s "
		    "writes them and runs those\n", nfiles, nfiles == 1 ? "" :
		    "s", plan_nedits(p), plan_nedits(p) == 1 ? "" : "s", ncmd,
		    ncmd == 1 ? "" : "s", writer);
	else
		printf("%zu file%s to change, %zu edit%s; %s writes them\n",
		    nfiles, nfiles == 1 ? "" : "s", plan_nedits(p),
		    plan_nedits(p) == 1 ? "" : "s", writer);
}

static void
apply_json_argv(struct json *j, const char *key, const struct strv *argv)
{
	size_t i;

	json_array_begin(j, key);
	for (i = 0; i < argv->n; i++)
		json_string(j, NULL, argv->v[i]);
	json_array_end(j);
}

static void
apply_json_file(struct json *j, const struct plan_file *f)
{
	const struct plan_edit *e;
	char *diff, mode[8];
	size_t i;

	json_object_begin(j, NULL);
	json_string(j, "path", f->path);
	json_string(j, "backend", plan_backend_name(f->backend));
	json_bool(j, "new", !f->exists);
	json_bool(j, "changed", plan_file_changed(f));
	snprintf(mode, sizeof mode, "%04o", (unsigned)f->mode);
	json_string(j, "mode", mode);
	json_array_begin(j, "edits");
	for (i = 0; i < f->nedits; i++) {
		e = &f->edits[i];
		json_object_begin(j, NULL);
		json_string(j, "file", f->path);
		json_int(j, "line", (long long)e->line);
		json_int(j, "new_line", (long long)e->new_line);
		json_string(j, "before", e->before);
		json_string(j, "after", e->after);
		json_string(j, "reason", e->reason);
		json_object_end(j);
	}
	json_array_end(j);
	diff = plan_file_diff(f);
	json_string(j, "diff", diff);
	free(diff);
	json_array_begin(j, "warnings");
	for (i = 0; i < f->warnings.n; i++)
		json_string(j, NULL, f->warnings.v[i]);
	json_array_end(j);
	json_object_end(j);
}

static void
apply_json_lists(struct json *j, const struct plan *p)
{
	size_t i;

	json_array_begin(j, "steps");
	for (i = 0; i < p->nsteps; i++) {
		json_object_begin(j, NULL);
		json_string(j, "backend", plan_backend_name(p->steps[i].backend));
		apply_json_argv(j, "command", &p->steps[i].argv);
		json_string(j, "reason", p->steps[i].reason);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "checks");
	for (i = 0; i < p->nchecks; i++) {
		json_object_begin(j, NULL);
		json_string(j, "backend", plan_backend_name(p->checks[i].backend));
		apply_json_argv(j, "command", &p->checks[i].argv);
		json_int(j, "path_arg", (long long)p->checks[i].path_arg);
		json_bool(j, "directory", p->checks[i].dir);
		json_bool(j, "outside", p->checks[i].outside);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "reloads");
	for (i = 0; i < p->nreloads; i++) {
		json_object_begin(j, NULL);
		json_string(j, "backend", plan_backend_name(p->reloads[i].backend));
		apply_json_argv(j, "command", &p->reloads[i].argv);
		json_bool(j, "restart", p->reloads[i].restart);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "offers");
	for (i = 0; i < p->noffers; i++) {
		json_object_begin(j, NULL);
		json_string(j, "backend", plan_backend_name(p->offers[i].backend));
		json_string(j, "what", p->offers[i].what);
		json_string(j, "setting", p->offers[i].setting);
		json_string(j, "reason", p->offers[i].reason);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "none");
	for (i = 0; i < p->none.n; i++)
		json_string(j, NULL, p->none.v[i]);
	json_array_end(j);
	json_array_begin(j, "notes");
	for (i = 0; i < p->notes.n; i++)
		json_string(j, NULL, p->notes.v[i]);
	json_array_end(j);
}

void
cli_apply_json(struct json *j, const struct plan *p)
{
	size_t i;

	json_int(j, "changed_files", (long long)plan_changed_files(p));
	json_int(j, "edits", (long long)plan_nedits(p));
	json_array_begin(j, "files");
	for (i = 0; i < p->nfiles; i++)
		apply_json_file(j, &p->files[i]);
	json_array_end(j);
	apply_json_lists(j, p);
	cli_json_warnings(j, p->site);
}

static void
apply_json(const struct plan *p)
{
	struct json j;
	char *doc;

	json_init(&j);
	json_object_begin(&j, NULL);
	cli_apply_json(&j, p);
	json_object_end(&j);
	doc = json_finish(&j);
	cli_put_doc(doc, strlen(doc));
	free(doc);
}

/* Ask on the terminal; 1 for yes. */
static int
apply_ask(const struct plan *p)
{
	char line[64];
	size_t n = plan_changed_files(p), ncmd = plan_commands(p);

	if (n == 0)
		printf("Run %s %zu command%s? [y/N] ", ncmd == 1 ? "this" :
		    "these", ncmd, ncmd == 1 ? "" : "s");
	else
		printf("Write %s %zu file%s, then reload? [y/N] ", n == 1 ?
		    "this" : "these", n, n == 1 ? "" : "s");
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

/* One checker's result, its own output when it refused. */
static void
apply_text_check(const struct txn_check_result *c)
{
	printf("%-9s", c->failed ? "refused" : "checked");
	cli_put(stdout, c->name);
	if (c->timed_out)
		fputs(" (timed out)", stdout);
	else if (c->failed && c->ran)
		printf(" (exit %d)", c->status);
	putchar('\n');
	if (!c->failed)
		return;
	if (c->out != NULL && *c->out != '\0')
		cli_put_fix(stdout, "  ", "  ", c->out);
	if (c->err != NULL && *c->err != '\0')
		cli_put_fix(stdout, "  ", "  ", c->err);
}

static void
apply_text_result(const struct plan *p, const struct apply_result *res,
    int rc, const char *cause)
{
	const struct txn_report *r = &res->report;
	size_t i;

	for (i = 0; i < res->skipped.n; i++)
		apply_line("skipped", res->skipped.v[i]);
	for (i = 0; i < r->nchecks; i++)
		apply_text_check(&r->checks[i]);
	if (r->backup_dir != NULL)
		apply_line("backup", r->backup_dir);
	for (i = 0; i < res->ran.n; i++)
		apply_line("ran", res->ran.v[i]);
	for (i = 0; i < res->probed.n; i++)
		apply_line("answers", res->probed.v[i]);
	if (res->no_reload && rc == 0 && (r->nwritten > 0 ||
	    plan_commands(p) > 0))
		apply_line("note", "--root: nothing outside the root is touched "
		    "(no step, reload or signing-path check ran)");
	if (rc == 0 && r->nwritten == 0 && plan_commands(p) > 0) {
		printf("applied: no file changed, %zu command%s ran\n",
		    res->ran.n, res->ran.n == 1 ? "" : "s");
		return;
	}
	if (rc == 0) {
		printf("applied: %zu file%s written", r->nwritten,
		    r->nwritten == 1 ? "" : "s");
		if (r->stamp != NULL) {
			fputs("; `notspam restore ", stdout);
			cli_put(stdout, r->stamp);
			fputs("` puts them back", stdout);
		}
		putchar('\n');
		return;
	}
	if (r->rolled_back)
		apply_line("restored", "every file was put back as it was");
	if (r->rollback_error != NULL)
		apply_line("error", r->rollback_error);
	if (r->restore_error != NULL)
		apply_line("error", r->restore_error);
	cli_error(cause);
}

static void
apply_json_members(struct json *j, const struct plan *p,
    const struct apply_result *res, int rc, const char *cause)
{
	const struct txn_report *r = &res->report;
	const struct txn_check_result *c;
	size_t i;

	json_int(j, "changed_files", (long long)plan_changed_files(p));
	json_bool(j, "applied", rc == 0);
	json_string(j, "error", rc == 0 ? NULL : cause);
	json_string(j, "stamp", r->stamp);
	json_string(j, "backup", r->backup_dir);
	json_int(j, "written", (long long)r->nwritten);
	json_bool(j, "rolled_back", r->rolled_back);
	json_string(j, "rollback_error", r->rollback_error);
	json_string(j, "restore_error", r->restore_error);
	json_array_begin(j, "checks");
	for (i = 0; i < r->nchecks; i++) {
		c = &r->checks[i];
		json_object_begin(j, NULL);
		json_string(j, "command", c->name);
		json_bool(j, "failed", c->failed);
		json_int(j, "status", c->status);
		json_bool(j, "timed_out", c->timed_out);
		json_string(j, "stdout", c->out);
		json_string(j, "stderr", c->err);
		json_object_end(j);
	}
	json_array_end(j);
	apply_json_argv(j, "skipped", &res->skipped);
	apply_json_argv(j, "ran", &res->ran);
	apply_json_argv(j, "answers", &res->probed);
	json_bool(j, "reload_skipped", res->no_reload);
}

static void
apply_json_result(const struct plan *p, const struct apply_result *res,
    int rc, const char *cause)
{
	struct json j;
	char *doc;

	json_init(&j);
	json_object_begin(&j, NULL);
	apply_json_members(&j, p, res, rc, cause);
	json_object_end(&j);
	doc = json_finish(&j);
	cli_put_doc(doc, strlen(doc));
	free(doc);
}

/* The exit status of a commit that failed. */
static int
apply_status(const struct txn_report *r)
{
	if (r->rollback_error != NULL)
		return EX_SOFTWARE;
	switch (r->failure) {
	case TXN_FAIL_LOCK:
		return EX_TEMPFAIL;
	case TXN_FAIL_PREPARE:
		return EX_IOERR;
	default:
		return EXIT_FAIL;
	}
}

int
cli_apply_commit(const struct cli_opts *o, const struct plan *p, int yes,
    int timeout_ms, struct json *j)
{
	struct apply_opts ao;
	struct apply_result res;
	char *cause = NULL;
	int rc;

	if ((plan_changed_files(p) > 0 || plan_commands(p) > 0) && !yes &&
	    !apply_ask(p)) {
		if (j != NULL)
			json_bool(j, "applied", 0);
		else
			printf("nothing written\n");
		return EXIT_WARN;
	}
	memset(&ao, 0, sizeof ao);
	ao.timeout_ms = timeout_ms;
	rc = apply_commit(p, o->root, &ao, &res, &cause);
	if (j != NULL)
		apply_json_members(j, p, &res, rc, cause);
	else if (o->json)
		apply_json_result(p, &res, rc, cause);
	else if (plan_changed_files(p) > 0 || plan_commands(p) > 0 || rc != 0)
		apply_text_result(p, &res, rc, cause);
	if (rc != 0)
		rc = apply_status(&res.report);
	apply_result_free(&res);
	free(cause);
	return rc;
}

/* Write the plan: ask (or --yes), commit, say what happened. */
static int
apply_write(const struct cli_opts *o, const struct apply_args *a,
    const struct plan *p)
{
	if (!o->json)
		cli_apply_show(p, "notspam apply");
	return cli_apply_commit(o, p, a->yes, a->timeout_ms, NULL);
}

/*
 * --dry-run: 0 nothing to do, 1 changes pending.  Writing: 0 written,
 * reloaded and re-checked (or nothing to do); 1 the question answered no;
 * 2 refused or put back (a file changed since the plan, a checker, a
 * reload or a signing path that does not answer); 64 usage, or neither a
 * terminal nor --yes; 70 a file could not be put back; 74 not writable or
 * full (nothing changed); 75 another transaction holds the lock.
 */
int
cli_apply(const struct cli_opts *o, int argc, char **argv)
{
	struct apply_args a;
	struct session *s;
	struct plan_ptrs ptrs;
	struct plan_opts po;
	struct plan *p;
	char *cause = NULL;
	int rc = 0;

	if (apply_args(argc, argv, &a) != 0)
		return EX_USAGE;
	if (!a.dry_run && !a.yes && (!isatty(STDIN_FILENO) ||
	    !isatty(STDOUT_FILENO))) {
		fputs("notspam: apply: not a terminal: add --yes to write the "
		    "changes, or --dry-run to see them\n", stderr);
		return EX_USAGE;
	}
	if ((s = cli_session(o, &rc)) == NULL)
		return rc;
	apply_ptrs(s, &ptrs);
	memset(&po, 0, sizeof po);
	po.only = a.only;
	po.ptrs = s->dns != NULL ? &ptrs : NULL;
	if ((p = plan_make(s->site, &po, &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		rc = EX_USAGE;
		goto done;
	}
	if (s->dns == NULL)
		plan_note(p, "the PTR names are unknown (%s): the HELO name is "
		    "left as it is", s->dns_error != NULL ? s->dns_error :
		    "no resolver");
	if (!a.dry_run)
		rc = apply_write(o, &a, p);
	else {
		if (o->json)
			apply_json(p);
		else
			cli_apply_show(p, "notspam apply");
		rc = plan_changed_files(p) > 0 ? EXIT_WARN : 0;
	}
	plan_free(p);
done:
	session_close(s);
	plan_ptrs_free(&ptrs);
	return rc;
}
