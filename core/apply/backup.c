/* backup.c: listing backups, the interrupted-transaction notice, restore. */
#include "core/apply/backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/lib/fsroot.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

/* Output of a failed reload kept in the message. */
#define BACKUP_RELOAD_OUT	4096

/* The base to use. */
static const char *
backup_base(const char *base)
{
	return base != NULL ? base : MANIFEST_BASE;
}

/*
 * A backup directory without a journal, whose manifest cannot be read: a
 * commit stopped while it made its backup, before it wrote any file.  A
 * placeholder entry (no files, state NULL) to list it by, or NULL when it has a
 * journal (then the unreadable manifest is a real problem).
 */
static struct manifest *
backup_incomplete(const char *root, const char *base, const char *stamp)
{
	struct manifest *m;
	char *state = manifest_state(root, base, stamp);

	if (state != NULL) {
		free(state);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	strv_init(&m->services);
	strv_init(&m->dirs);
	m->stamp = xstrdup(stamp);
	m->kind = xstrdup("transaction");
	m->dir = xasprintf("%s/%s", strcmp(base, "/") == 0 ? "" : base, stamp);
	return m;
}

/* The backups under base, oldest first; with only_pending, those whose
 * journal says in-progress (the others' manifests are not even read). */
static int
backup_read(const char *root, const char *base, int only_pending,
    struct manifest ***out, size_t *n, struct strv *warnings, char **cause)
{
	struct strv stamps;
	struct manifest *m;
	char *why = NULL, *state;
	size_t i, k;

	*out = NULL;
	*n = 0;
	base = backup_base(base);
	strv_init(&stamps);
	if (manifest_list(root, base, &stamps, cause) != 0)
		return -1;
	for (i = 0; i < stamps.n; i++) {
		if (only_pending) {
			state = manifest_state(root, base, stamps.v[i]);
			k = state != NULL &&
			    strcmp(state, MANIFEST_IN_PROGRESS) == 0;
			free(state);
			if (!k)
				continue;
		}
		if (manifest_read(root, base, stamps.v[i], &m, &why) != 0) {
			m = backup_incomplete(root, base, stamps.v[i]);
			if (m == NULL && warnings != NULL)
				strv_add(warnings, why);
			free(why);
			why = NULL;
			if (m == NULL || only_pending) {
				manifest_free(m);
				continue;
			}
		}
		for (k = 0; k < m->nfiles; k++)
			manifest_now(root, &m->files[k]);
		*out = xgrow(*out, *n, sizeof **out);
		(*out)[(*n)++] = m;
	}
	strv_free(&stamps);
	return 0;
}

int
backup_list(const char *root, const char *base, struct manifest ***out,
    size_t *n, struct strv *warnings, char **cause)
{
	return backup_read(root, base, 0, out, n, warnings, cause);
}

void
backup_list_free(struct manifest **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		manifest_free(v[i]);
	free(v);
}

int
backup_pending(const char *root, const char *base, struct manifest ***out,
    size_t *n, char **cause)
{
	return backup_read(root, base, 1, out, n, NULL, cause);
}

/* Files of m as the transaction left them. */
static size_t
backup_nafter(const struct manifest *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nfiles; i++)
		if (m->files[i].now == MANIFEST_NOW_AFTER)
			n++;
	return n;
}

char *
backup_notice(const char *root, const char *base, const char *rootword)
{
	struct manifest **v, *m;
	struct buf b;
	size_t n;

	if (backup_pending(root, base, &v, &n, NULL) != 0 || n == 0)
		return NULL;
	m = v[n - 1];
	buf_init(&b);
	if (rootword == NULL)
		rootword = "";
	if (strcmp(m->kind, "restore") == 0 && m->restores != NULL)
		buf_printf(&b, "the restore of %s (backup %s) was interrupted "
		    "(%zu of %zu files written): run \"notspam %srestore %s\" "
		    "to finish it, or \"notspam %srestore %s\" to undo it",
		    m->restores, m->stamp, backup_nafter(m), m->nfiles,
		    rootword, m->restores, rootword, m->stamp);
	else
		buf_printf(&b, "the %s of %s was interrupted (%zu of %zu "
		    "files written): run \"notspam %s%s\" to finish it, or "
		    "\"notspam %srestore %s\" to put the files back", m->kind,
		    m->stamp, backup_nafter(m), m->nfiles, rootword,
		    strcmp(m->kind, "apply") == 0 ? "apply" : m->kind,
		    rootword, m->stamp);
	if (n > 1)
		buf_printf(&b, " (%zu more interrupted: notspam %sbackups)",
		    n - 1, rootword);
	buf_add(&b, "", 0);
	backup_list_free(v, n);
	return buf_steal(&b);
}

/* May a bare restore put m back? */
static int
backup_restorable(const struct manifest *m)
{
	return m->state != NULL && strcmp(m->kind, "restore") != 0 &&
	    (strcmp(m->state, MANIFEST_DONE) == 0 ||
	    strcmp(m->state, MANIFEST_IN_PROGRESS) == 0);
}

char *
backup_newest(const char *root, const char *base)
{
	struct manifest **v;
	char *stamp = NULL;
	size_t n, i;

	if (backup_list(root, base, &v, &n, NULL, NULL) != 0)
		return NULL;
	for (i = n; i-- > 0 && stamp == NULL;)
		if (backup_restorable(v[i]))
			stamp = xstrdup(v[i]->stamp);
	backup_list_free(v, n);
	return stamp;
}

void
backup_result_free(struct backup_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nfiles; i++)
		free(res->files[i].path);
	free(res->files);
	free(res->stamp);
	strv_free(&res->reloaded);
	txn_report_free(&res->report);
	memset(res, 0, sizeof *res);
}

/* One reload: run argv, refuse a failure with its output. */
static int
backup_run(const struct backup_opts *o, const struct strv *argv,
    struct strv *ran, char **cause)
{
	return proc_run_words(argv, o->reload_timeout_ms > 0 ?
	    o->reload_timeout_ms : BACKUP_RELOAD_MS, BACKUP_RELOAD_OUT, ran,
	    cause);
}

int
backup_reload(const struct backup_opts *o, const struct strv *services,
    struct strv *ran, char **cause)
{
	struct backend_ctx ctx;
	struct strv argv;
	size_t i;
	int rc = 0;

	if (!fsroot_is_system(o->root))
		return 0;
	ctx.root = NULL;
	ctx.settings = o->settings;
	for (i = 0; i < services->n && rc == 0; i++) {
		strv_init(&argv);
		rc = backend_reload_argv(backend_find(services->v[i]), &ctx,
		    &argv, cause);
		if (rc == 0)
			rc = backup_run(o, &argv, ran, cause);
		strv_free(&argv);
	}
	return rc;
}

/* The restore transaction's hooks: reload the manifest's programs. */
struct backup_hook {
	const struct backup_opts	*opts;
	const struct manifest		*m;
	struct backup_result		*res;
};

static int
backup_after_write(struct txn *t, void *arg, char **cause)
{
	struct backup_hook *h = arg;

	(void)t;
	return backup_reload(h->opts, &h->m->services, &h->res->reloaded,
	    cause);
}

static int
backup_after_restore(struct txn *t, void *arg, char **cause)
{
	struct backup_hook *h = arg;
	struct strv again;
	int rc;

	(void)t;
	strv_init(&again);
	rc = backup_reload(h->opts, &h->m->services, &again, cause);
	strv_free(&again);
	return rc;
}

/* A result line for file f of the backup. */
static struct backup_file *
backup_file_add(struct backup_result *res, const struct manifest_file *f,
    enum backup_action action)
{
	struct backup_file *bf;

	res->files = xgrow(res->files, res->nfiles, sizeof *res->files);
	bf = &res->files[res->nfiles++];
	bf->path = xstrdup(f->path);
	bf->action = action;
	bf->mode = f->mode;
	bf->uid = f->uid;
	bf->gid = f->gid;
	return bf;
}

/* The files that changed since the transaction, as one list; NULL none. */
static char *
backup_changed(const struct manifest *m)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		if (f->secret || (f->now != MANIFEST_NOW_CHANGED &&
		    f->now != MANIFEST_NOW_UNREADABLE))
			continue;
		buf_printf(&b, "%s%s%s", b.len > 0 ? ", " : "", f->path,
		    f->now == MANIFEST_NOW_UNREADABLE ? " (unreadable)" : "");
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

/* The old bytes of f from the backup, checked against the manifest. */
static int
backup_copy(const struct backup_opts *o, const struct manifest *m,
    const struct manifest_file *f, char **data, size_t *len, char **cause)
{
	char sha[MANIFEST_SHA_LEN], *path, *why = NULL;

	if (f->copy == NULL)
		return error_set(cause, "%s: the backup %s keeps no copy of it",
		    f->path, m->stamp);
	path = xasprintf("%s/%s", m->dir, f->copy);
	if (fsroot_read(o->root, path, 0, data, len, &why) != 0) {
		error_set(cause, "the backup copy of %s is missing or "
		    "unreadable: %s", f->path, why);
		free(why);
		free(path);
		return -1;
	}
	manifest_sha256(*data, *len, sha);
	if (strcmp(sha, f->before) != 0) {
		error_set(cause, "the backup copy %s is not the bytes its "
		    "manifest recorded (SHA-256 differs): it was damaged or "
		    "edited; nothing was written", path);
		free(path);
		free(*data);
		*data = NULL;
		return -1;
	}
	free(path);
	return 0;
}

/* Add file f to the restore transaction t: from what it is now to its
 * old bytes (or no file), with its old owner and mode. */
static int
backup_add(const struct backup_opts *o, const struct manifest *m,
    const struct manifest_file *f, struct txn *t, struct backup_result *res,
    char **cause)
{
	struct backup_file *bf;
	char *cur = NULL, *old = NULL, *why = NULL;
	size_t curlen = 0, oldlen = 0;
	int cur_exists = fsroot_exists(o->root, f->path), rc;

	if (f->existed && backup_copy(o, m, f, &old, &oldlen, cause) != 0) {
		res->failure = BACKUP_DAMAGED;
		return -1;
	}
	if (cur_exists && fsroot_read(o->root, f->path, 0, &cur, &curlen,
	    &why) != 0) {
		error_set(cause, "%s", why);
		free(why);
		free(old);
		res->failure = BACKUP_REFUSED;
		return -1;
	}
	rc = txn_add_exact(t, f->path, cur, curlen, cur_exists,
	    f->existed ? (old != NULL ? old : "") : NULL, oldlen, f->mode,
	    f->uid, f->gid, TXN_MKDIR, cause);
	if (rc == 0) {
		bf = backup_file_add(res, f, f->existed ? BACKUP_RESTORED :
		    BACKUP_REMOVED);
		bf->forced = f->now != MANIFEST_NOW_AFTER;
		bf->len = oldlen;
	} else
		res->failure = BACKUP_REFUSED;
	free(cur);
	free(old);
	return rc;
}

/* Find and read the backup to restore. */
static int
backup_open(const struct backup_opts *o, const char *stamp,
    struct manifest **out, struct backup_result *res, char **cause)
{
	const char *base = backup_base(o->base);
	char *newest = NULL, *journal;
	size_t i;
	int rc;

	res->failure = BACKUP_NOT_FOUND;
	if (stamp == NULL && (stamp = newest = backup_newest(o->root,
	    base)) == NULL)
		return error_set(cause, "no backup to restore in %s", base);
	rc = manifest_read(o->root, base, stamp, out, cause);
	free(newest);
	if (rc != 0)
		return -1;
	res->stamp = xstrdup((*out)->stamp);
	if ((*out)->state == NULL ||
	    strcmp((*out)->state, MANIFEST_ROLLED_BACK) == 0) {
		res->failure = BACKUP_REFUSED;
		return error_set(cause, "the %s of %s %s: there is nothing to "
		    "restore", (*out)->kind, (*out)->stamp,
		    (*out)->state == NULL ? "stopped before it wrote anything" :
		    "failed and its files were put back then");
	}
	for (i = 0; i < (*out)->nfiles; i++) {
		txn_sweep(o->root, (*out)->files[i].path);
		manifest_now(o->root, &(*out)->files[i]);
	}
	/* And the temporary journal of a commit killed as it wrote it. */
	journal = xasprintf("%s/journal", (*out)->dir);
	txn_sweep(o->root, journal);
	free(journal);
	res->failure = BACKUP_OK;
	return 0;
}

/* Build the restore transaction of m; the number of files it changes. */
static int
backup_plan(const struct backup_opts *o, const struct manifest *m,
    struct txn *t, struct backup_result *res, char **cause)
{
	size_t i;
	int n = 0;

	for (i = 0; i < m->nfiles; i++) {
		const struct manifest_file *f = &m->files[i];
		if (f->secret)
			backup_file_add(res, f, BACKUP_SECRET);
		else if (f->now == MANIFEST_NOW_BEFORE)
			backup_file_add(res, f, BACKUP_UNCHANGED);
		else if (backup_add(o, m, f, t, res, cause) != 0)
			return -1;
		else
			n++;
	}
	for (i = 0; i < m->services.n; i++)
		txn_add_service(t, m->services.v[i]);
	return n;
}

/* Remove the directories the transaction of m made, innermost first,
 * those that are empty now (its created files are gone). */
static void
backup_rmdirs(const struct backup_opts *o, const struct manifest *m)
{
	char *host;
	size_t i;

	for (i = m->dirs.n; i-- > 0;) {
		host = fsroot_path(o->root, m->dirs.v[i]);
		(void)rmdir(host);
		free(host);
	}
}

/* Mark done the interrupted restores of m: this restore (by, or NULL when
 * it had nothing left to change) finished them. */
static void
backup_finish_restores(const struct backup_opts *o, const struct manifest *m,
    const char *by)
{
	struct manifest **v;
	char *note;
	size_t n, i;

	if (backup_pending(o->root, o->base, &v, &n, NULL) != 0)
		return;
	note = by != NULL ? xasprintf("finished by %s", by) :
	    xstrdup("finished by a later restore");
	for (i = 0; i < n; i++)
		if (strcmp(v[i]->kind, "restore") == 0 &&
		    v[i]->restores != NULL &&
		    strcmp(v[i]->restores, m->stamp) == 0 &&
		    (by == NULL || strcmp(v[i]->stamp, by) != 0))
			(void)manifest_journal(o->root, v[i]->dir,
			    MANIFEST_DONE, note, NULL);
	free(note);
	backup_list_free(v, n);
}

int
backup_restore(const struct backup_opts *o, const char *stamp,
    struct backup_result *res, char **cause)
{
	struct manifest *m = NULL;
	struct txn_opts to;
	struct txn_hooks hooks;
	struct backup_hook hk;
	struct txn *t;
	char *changed, *note;
	int n, rc = -1;

	memset(res, 0, sizeof *res);
	strv_init(&res->reloaded);
	txn_report_init(&res->report);
	res->no_reload = !fsroot_is_system(o->root);
	if (backup_open(o, stamp, &m, res, cause) != 0)
		goto done;
	if (!o->force && (changed = backup_changed(m)) != NULL) {
		res->failure = BACKUP_REFUSED;
		error_set(cause, "changed since the %s of %s (neither the bytes "
		    "it wrote nor those it replaced): %s; \"restore --force\" "
		    "puts the backup back anyway; nothing was written", m->kind,
		    m->stamp, changed);
		free(changed);
		goto done;
	}
	memset(&to, 0, sizeof to);
	to.backup_base = backup_base(o->base);
	to.kind = "restore";
	to.lock_wait_ms = o->lock_wait_ms;
	t = txn_new(o->root, &to);
	txn_set_restores(t, m->stamp);
	if ((n = backup_plan(o, m, t, res, cause)) < 0) {
		txn_free(t);
		goto done;
	}
	hk.opts = o;
	hk.m = m;
	hk.res = res;
	hooks.after_write = backup_after_write;
	hooks.after_restore = backup_after_restore;
	hooks.arg = &hk;
	if (n > 0 && txn_commit(t, &hooks, &res->report, cause) != 0) {
		res->failure = BACKUP_TXN;
		txn_free(t);
		goto done;
	}
	backup_rmdirs(o, m);
	if (n > 0 || strcmp(m->state, MANIFEST_RESTORED) != 0) {
		note = n > 0 ? xasprintf("by %s", txn_stamp(t)) :
		    xstrdup("(every file already was as before)");
		(void)manifest_journal(o->root, m->dir, MANIFEST_RESTORED,
		    note, NULL);
		free(note);
	}
	backup_finish_restores(o, m, n > 0 ? txn_stamp(t) : NULL);
	txn_free(t);
	rc = 0;
done:
	manifest_free(m);
	return rc;
}
