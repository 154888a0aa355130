/* cli_backup.c: notspam backups, notspam restore, and the notice about an
 * interrupted transaction every command prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply/backup.h"
#include "core/conf/settings.h"
#include "core/lib/json.h"
#include "core/lib/util.h"
#include "ui/cli.h"

/* The journal state as a person reads it; caller frees. */
static char *
backup_state_text(const struct manifest *m)
{
	const char *s = m->state;

	if (s == NULL)
		return xstrdup("incomplete (it stopped before writing "
		    "anything)");
	if (strcmp(s, MANIFEST_IN_PROGRESS) == 0)
		s = "interrupted";
	else if (strcmp(s, MANIFEST_ROLLED_BACK) == 0)
		s = "failed, put back";
	if (m->note != NULL)
		return xasprintf("%s %s", s, m->note);
	return xstrdup(s);
}

/* How a file is now, in words. */
static const char *
backup_now_text(const struct manifest_file *f)
{
	switch (f->now) {
	case MANIFEST_NOW_AFTER:
		return f->after[0] == '\0' ? "removed" : "written";
	case MANIFEST_NOW_BEFORE:
		return "as before";
	case MANIFEST_NOW_CHANGED:
		return "changed since";
	case MANIFEST_NOW_UNREADABLE:
		break;
	}
	return "unreadable";
}

/* The same for JSON. */
static const char *
backup_now_word(enum manifest_now now)
{
	switch (now) {
	case MANIFEST_NOW_AFTER:
		return "after";
	case MANIFEST_NOW_BEFORE:
		return "before";
	case MANIFEST_NOW_CHANGED:
		return "changed";
	case MANIFEST_NOW_UNREADABLE:
		break;
	}
	return "unreadable";
}

static void
backups_text(const char *base, struct manifest **v, size_t n)
{
	size_t i, k;
	char *state;

	if (n == 0) {
		fputs("no backups in ", stdout);
		cli_put(stdout, base);
		putchar('\n');
		return;
	}
	for (i = 0; i < n; i++) {
		state = backup_state_text(v[i]);
		cli_put(stdout, v[i]->stamp);
		putchar(' ');
		cli_put(stdout, v[i]->kind);
		if (v[i]->restores != NULL) {
			fputs(" of ", stdout);
			cli_put(stdout, v[i]->restores);
		}
		fputs(": ", stdout);
		cli_put(stdout, state);
		printf(", %zu file%s, in ", v[i]->nfiles,
		    v[i]->nfiles == 1 ? "" : "s");
		cli_put(stdout, v[i]->dir);
		putchar('\n');
		free(state);
		for (k = 0; k < v[i]->nfiles; k++) {
			const struct manifest_file *f = &v[i]->files[k];
			printf("    %-14s", backup_now_text(f));
			cli_put(stdout, f->path);
			if (!f->existed)
				fputs(" (created)", stdout);
			if (f->secret)
				fputs(" (a key file: not copied)", stdout);
			putchar('\n');
		}
	}
}

/* One file of a manifest as a JSON object. */
static void
backup_json_file(struct json *j, const struct manifest_file *f)
{
	char mode[8];

	snprintf(mode, sizeof mode, "%04o", (unsigned)(f->mode & 07777));
	json_object_begin(j, NULL);
	json_string(j, "path", f->path);
	json_string(j, "target", f->target);
	json_bool(j, "existed", f->existed);
	json_string(j, "mode", mode);
	json_int(j, "uid", (long long)f->uid);
	json_int(j, "gid", (long long)f->gid);
	json_bool(j, "secret", f->secret);
	json_string(j, "sha256_before", f->before[0] != '\0' ? f->before :
	    NULL);
	json_string(j, "sha256_after", f->after[0] != '\0' ? f->after : NULL);
	json_string(j, "now", backup_now_word(f->now));
	json_object_end(j);
}

static void
backups_json(const char *base, struct manifest **v, size_t n,
    const struct strv *warnings)
{
	struct json j;
	size_t i, k;
	char *out;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "base", base);
	json_array_begin(&j, "backups");
	for (i = 0; i < n; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "stamp", v[i]->stamp);
		json_string(&j, "kind", v[i]->kind);
		json_string(&j, "restores", v[i]->restores);
		json_string(&j, "state", v[i]->state);
		json_string(&j, "note", v[i]->note);
		json_string(&j, "dir", v[i]->dir);
		json_array_begin(&j, "services");
		for (k = 0; k < v[i]->services.n; k++)
			json_string(&j, NULL, v[i]->services.v[k]);
		json_array_end(&j);
		json_array_begin(&j, "files");
		for (k = 0; k < v[i]->nfiles; k++)
			backup_json_file(&j, &v[i]->files[k]);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "warnings");
	for (i = 0; i < warnings->n; i++)
		json_string(&j, NULL, warnings->v[i]);
	json_array_end(&j);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
}

int
cli_backups(const struct cli_opts *o, int argc, char **argv)
{
	struct manifest **v;
	struct strv warnings;
	char *cause = NULL;
	size_t n, i;

	(void)argv;
	if (argc > 1) {
		fputs("usage: notspam backups\n", stderr);
		return EX_USAGE;
	}
	strv_init(&warnings);
	if (backup_list(o->root, NULL, &v, &n, &warnings, &cause) != 0) {
		cli_error(cause);
		free(cause);
		return EX_NOINPUT;
	}
	if (o->json)
		backups_json(MANIFEST_BASE, v, n, &warnings);
	else {
		for (i = 0; i < warnings.n; i++) {
			fputs("notspam: warning: ", stderr);
			cli_put(stderr, warnings.v[i]);
			fputc('\n', stderr);
		}
		backups_text(MANIFEST_BASE, v, n);
	}
	backup_list_free(v, n);
	i = warnings.n;
	strv_free(&warnings);
	return i > 0 ? EXIT_WARN : 0;
}

/* The action on a file, in words and for JSON. */
static const char *
restore_word(enum backup_action a, int json)
{
	switch (a) {
	case BACKUP_RESTORED:
		return "restored";
	case BACKUP_REMOVED:
		return "removed";
	case BACKUP_UNCHANGED:
		return "unchanged";
	case BACKUP_SECRET:
		break;
	}
	return json ? "secret" : "left";
}

static void
restore_text(const struct backup_result *res)
{
	size_t i;

	for (i = 0; i < res->nfiles; i++) {
		const struct backup_file *f = &res->files[i];
		printf("%s ", restore_word(f->action, 0));
		cli_put(stdout, f->path);
		if (f->action == BACKUP_RESTORED)
			printf(" (mode %04o, uid %u, gid %u, %zu bytes)",
			    (unsigned)f->mode, (unsigned)f->uid,
			    (unsigned)f->gid, f->len);
		else if (f->action == BACKUP_REMOVED)
			fputs(" (the transaction created it)", stdout);
		else if (f->action == BACKUP_UNCHANGED)
			fputs(" (it already was as before)", stdout);
		else
			fputs(" (a key file: never kept in backups)", stdout);
		if (f->forced)
			fputs(" (--force: it had changed since)", stdout);
		putchar('\n');
	}
	if (res->report.stamp != NULL) {
		fputs("the files as they were before this restore: ", stdout);
		cli_put(stdout, res->report.backup_dir);
		fputs(" (\"notspam restore ", stdout);
		cli_put(stdout, res->report.stamp);
		fputs("\" undoes it)\n", stdout);
	}
	for (i = 0; i < res->reloaded.n; i++) {
		fputs("reloaded: ", stdout);
		cli_put(stdout, res->reloaded.v[i]);
		putchar('\n');
	}
	if (res->no_reload && res->report.stamp != NULL)
		fputs("not reloaded: --root (nothing outside the root is "
		    "touched)\n", stdout);
}

static void
restore_json(const struct backup_result *res)
{
	struct json j;
	char mode[8], *out;
	size_t i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "restored", res->stamp);
	json_string(&j, "backup", res->report.stamp);
	json_string(&j, "backup_dir", res->report.backup_dir);
	json_array_begin(&j, "files");
	for (i = 0; i < res->nfiles; i++) {
		const struct backup_file *f = &res->files[i];
		snprintf(mode, sizeof mode, "%04o", (unsigned)f->mode);
		json_object_begin(&j, NULL);
		json_string(&j, "path", f->path);
		json_string(&j, "action", restore_word(f->action, 1));
		json_bool(&j, "forced", f->forced);
		if (f->action == BACKUP_RESTORED) {
			json_string(&j, "mode", mode);
			json_int(&j, "uid", (long long)f->uid);
			json_int(&j, "gid", (long long)f->gid);
			json_int(&j, "bytes", (long long)f->len);
		}
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "reloaded");
	for (i = 0; i < res->reloaded.n; i++)
		json_string(&j, NULL, res->reloaded.v[i]);
	json_array_end(&j);
	json_bool(&j, "reload_skipped", res->no_reload);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
}

/* The exit status of a failed restore. */
static int
restore_status(const struct backup_result *res)
{
	switch (res->failure) {
	case BACKUP_OK:
		return 0;
	case BACKUP_NOT_FOUND:
		return EX_NOINPUT;
	case BACKUP_REFUSED:
	case BACKUP_DAMAGED:
		return EX_DATAERR;
	case BACKUP_TXN:
		break;
	}
	switch (res->report.failure) {
	case TXN_FAIL_LOCK:
		return EX_TEMPFAIL;
	case TXN_FAIL_CHANGED:
	case TXN_FAIL_CHECK:
		return EX_DATAERR;
	case TXN_FAIL_HOOK:
		return EXIT_FAIL;
	default:
		break;
	}
	return EX_IOERR;
}

/* Parse restore's arguments; -1 on a usage error. */
static int
restore_args(int argc, char **argv, const char **stamp, int *force)
{
	int i;

	*stamp = NULL;
	*force = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			*force = 1;
		else if (argv[i][0] != '-' && *stamp == NULL)
			*stamp = argv[i];
		else
			return -1;
	}
	return 0;
}

int
cli_restore(const struct cli_opts *o, int argc, char **argv)
{
	struct backup_opts bo;
	struct backup_result res;
	struct settings *settings = NULL;
	const char *stamp;
	char *cause = NULL;
	int force, rc;

	if (restore_args(argc, argv, &stamp, &force) != 0) {
		fputs("usage: notspam restore [STAMP] [--force]\n", stderr);
		return EX_USAGE;
	}
	/* The reload commands of the settings; the site itself is not read
	 * (a restore must work when the configuration is broken). */
	if ((settings = settings_load(o->root, o->config, o->config != NULL,
	    &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		return EX_NOINPUT;
	}
	memset(&bo, 0, sizeof bo);
	bo.root = o->root;
	bo.settings = settings;
	bo.force = force;
	if (backup_restore(&bo, stamp, &res, &cause) != 0) {
		cli_error(cause);
		free(cause);
		rc = restore_status(&res);
	} else {
		if (o->json)
			restore_json(&res);
		else
			restore_text(&res);
		rc = 0;
	}
	backup_result_free(&res);
	settings_free(settings);
	return rc;
}

void
cli_backup_notice(const struct cli_opts *o)
{
	char *word = NULL, *line;

	if (o->root != NULL) {
		char *safe = str_sanitize(o->root, strlen(o->root));
		word = xasprintf("--root %s ", safe);
		free(safe);
	}
	line = backup_notice(o->root, NULL, word != NULL ? word : "");
	if (line != NULL)
		cli_error(line);
	free(line);
	free(word);
}
