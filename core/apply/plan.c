/* plan.c: the generic part of a plan: files, recorded edits, diffs, the
 * pairs of MTA and signer, and the wanted state they share. */
#include "core/apply/plan.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "backends/backend.h"
#include "core/check/records.h"
#include "core/conf/diff.h"
#include "core/conf/settings.h"
#include "core/dns/dns.h"
#include "core/keys/keys.h"
#include "core/lib/fsroot.h"
#include "core/site/site.h"

/* Lines at the top of a file searched for a configuration-management
 * header. */
#define PLAN_HEADER_LINES	20

/* The milter_default_action apply wants when it finds accept. */
#define PLAN_DEFAULT_ACTION	"tempfail"

struct plan *
plan_new(const struct site *site)
{
	struct plan *p = xcalloc(1, sizeof *p);

	p->site = site;
	strv_init(&p->none);
	strv_init(&p->notes);
	return p;
}

static void
plan_file_free(struct plan_file *f)
{
	size_t i;

	for (i = 0; i < f->nedits; i++) {
		free(f->edits[i].before);
		free(f->edits[i].after);
		free(f->edits[i].reason);
	}
	free(f->edits);
	free(f->path);
	free(f->old);
	free(f->owner);
	free(f->group);
	free(f->origin);
	free(f->by);
	strv_free(&f->warnings);
	conf_free(f->doc);
}

void
plan_free(struct plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nfiles; i++)
		plan_file_free(&p->files[i]);
	free(p->files);
	for (i = 0; i < p->nsteps; i++) {
		strv_free(&p->steps[i].argv);
		free(p->steps[i].reason);
	}
	free(p->steps);
	for (i = 0; i < p->nchecks; i++)
		strv_free(&p->checks[i].argv);
	free(p->checks);
	for (i = 0; i < p->nreloads; i++) {
		strv_free(&p->reloads[i].argv);
		free(p->reloads[i].why);
		free(p->reloads[i].pidfile);
	}
	free(p->reloads);
	for (i = 0; i < p->noffers; i++) {
		free(p->offers[i].what);
		free(p->offers[i].setting);
		free(p->offers[i].reason);
	}
	free(p->offers);
	for (i = 0; i < p->nprobes; i++) {
		free(p->probes[i].endpoint);
		sockspec_free(&p->probes[i].listener);
		sockspec_free(&p->probes[i].relay);
	}
	free(p->probes);
	strv_free(&p->none);
	strv_free(&p->notes);
	free(p->only);
	free(p);
}

/* ---- Files ---- */

/* Does a comment line at the top say a configuration-management tool
 * writes the file?  The tool's name, or NULL. */
static const char *
plan_managed_by(const char *text, size_t len)
{
	static const char *const tools[] = { "ansible", "puppet", "salt",
	    "chef", NULL };
	const char *p = text, *end = text + len, *nl;
	char *line;
	size_t i, n;
	const char *found = NULL;

	for (n = 0; p < end && n < PLAN_HEADER_LINES && found == NULL; n++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		line = xstrndup(p, nl != NULL ? (size_t)(nl - p) :
		    (size_t)(end - p));
		p = nl != NULL ? nl + 1 : end;
		str_lower(line);
		if (line[strspn(line, " \t")] == '#' &&
		    (strstr(line, "managed") != NULL ||
		    strstr(line, "generated") != NULL ||
		    strstr(line, "do not edit") != NULL)) {
			for (i = 0; tools[i] != NULL; i++)
				if (strstr(line, tools[i]) != NULL)
					found = tools[i];
		}
		free(line);
	}
	return found;
}

/* A new file entry of the plan. */
static struct plan_file *
plan_file_add(struct plan *p, const struct backend *b, const char *path)
{
	struct plan_file *f;

	p->files = xgrow(p->files, p->nfiles, sizeof *p->files);
	f = &p->files[p->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->backend = b;
	strv_init(&f->warnings);
	return f;
}

/* Give each line of f's document its line number as read. */
static void
plan_file_origins(struct plan_file *f)
{
	size_t i;

	f->norigin = f->doc->nlines;
	f->origin = xcalloc(f->norigin + 1, sizeof *f->origin);
	f->by = xcalloc(f->norigin + 1, sizeof *f->by);
	for (i = 0; i < f->norigin; i++)
		f->origin[i] = f->exists ? i + 1 : 0;
}

struct plan_file *
plan_file(struct plan_ctx *pc, const struct backend *b, enum conf_grammar g,
    const char *path, mode_t mode, char **cause)
{
	struct plan *p = pc->plan;
	const struct conf_doc *kept;
	struct plan_file *f;
	struct conf_doc *doc;
	struct stat sb;
	const char *tool;
	char *text = NULL;
	size_t i, len = 0;

	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	kept = site_doc(pc->site, path);
	if (kept != NULL && kept->grammar == g)
		text = conf_text(kept, &len);
	else if (fsroot_exists(pc->site->root, path)) {
		if (fsroot_read(pc->site->root, path, 0, &text, &len,
		    cause) != 0)
			return NULL;
	}
	doc = conf_parse(g, path, text != NULL ? text : "", len, cause);
	if (doc == NULL) {
		free(text);
		return NULL;
	}
	f = plan_file_add(p, b, path);
	f->doc = doc;
	f->exists = text != NULL;
	f->old = text != NULL ? text : xstrdup("");
	f->oldlen = len;
	f->mode = mode;
	if (f->exists && fsroot_stat(pc->site->root, path, &sb) == 0)
		f->mode = sb.st_mode & 07777;
	plan_file_origins(f);
	if (f->exists && (tool = plan_managed_by(f->old, f->oldlen)) != NULL)
		strv_addf(&f->warnings, "%s says it is managed by %s: the next "
		    "%s run may undo these edits; make them in %s too", path,
		    tool, tool, tool);
	return f;
}

const char *
plan_backend_name(const struct backend *b)
{
	return b != NULL ? b->name : "?";
}

int
plan_file_changed(const struct plan_file *f)
{
	char *t;
	size_t len;
	int changed;

	t = conf_text(f->doc, &len);
	changed = !f->exists || len != f->oldlen ||
	    memcmp(t, f->old, len) != 0;
	free(t);
	return changed && (f->exists || len > 0);
}

char *
plan_file_text(const struct plan_file *f, size_t *len)
{
	return conf_text(f->doc, len);
}

char *
plan_file_diff(const struct plan_file *f)
{
	char *t, *a, *b, *d;
	size_t len;

	if (!plan_file_changed(f))
		return xstrdup("");
	t = conf_text(f->doc, &len);
	a = f->exists ? xasprintf("a%s", f->path) : xstrdup("/dev/null");
	b = xasprintf("b%s", f->path);
	d = conf_diff_text(f->old, f->oldlen, t, len, a, b, NULL);
	free(a);
	free(b);
	free(t);
	return d;
}

size_t
plan_changed_files(const struct plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nfiles; i++)
		n += plan_file_changed(&p->files[i]);
	return n;
}

size_t
plan_nedits(const struct plan *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nfiles; i++)
		n += p->files[i].nedits;
	return n;
}

/* ---- Recorded edits ---- */

/* The lines of a document before an edit. */
struct plan_snap {
	char	**line;
	size_t	 *len;
	size_t	  n;
};

static void
plan_snap_take(const struct conf_doc *doc, struct plan_snap *s)
{
	size_t i;

	s->n = doc->nlines;
	s->line = xcalloc(s->n + 1, sizeof *s->line);
	s->len = xcalloc(s->n + 1, sizeof *s->len);
	for (i = 0; i < s->n; i++) {
		s->line[i] = xstrndup(doc->lines[i].text, doc->lines[i].len);
		s->len[i] = doc->lines[i].len;
	}
}

static void
plan_snap_free(struct plan_snap *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->line[i]);
	free(s->line);
	free(s->len);
}

/* Lines [from, to) joined by "\n", terminators dropped; NULL when none. */
static char *
plan_join(char *const *line, const size_t *len, size_t from, size_t to)
{
	struct buf b;
	size_t i, n;

	if (from >= to)
		return NULL;
	buf_init(&b);
	for (i = from; i < to; i++) {
		n = len[i];
		if (n > 0 && line[i][n - 1] == '\n')
			n--;
		if (n > 0 && line[i][n - 1] == '\r')
			n--;
		if (i > from)
			buf_addc(&b, '\n');
		buf_add(&b, line[i], n);
	}
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

/* The line as read at or after planned index k (one past the last line
 * as read when none). */
static size_t
plan_origin_at(const struct plan_file *f, const size_t *origin, size_t n,
    size_t k)
{
	size_t i, last = 0;

	for (i = k; i < n; i++)
		if (origin[i] != 0)
			return origin[i];
	for (i = 0; i < n; i++)
		if (origin[i] > last)
			last = origin[i];
	return f->exists ? last + 1 : 1;
}

/* The edit that added every line in [from, to) (its number, 1-based), or
 * 0 when some line is not one edit's. */
static size_t
plan_owner_of(const struct plan_file *f, size_t from, size_t to)
{
	size_t i, owner = 0;

	for (i = from; i < to; i++) {
		if (f->by[i] == 0 || (owner != 0 && f->by[i] != owner))
			return 0;
		owner = f->by[i];
	}
	return owner;
}

/*
 * Record what an edit changed: the lines between the common prefix and
 * suffix of the snapshot and the document now (conf.h edits are local).
 * Each planned line keeps its line number as read (origin, 0 for a new
 * one) and the edit that wrote it (owner), so that a later edit of lines
 * an earlier one wrote is merged into it.
 */
static void
plan_record(struct plan_file *f, const struct plan_snap *s, char *reason)
{
	const struct conf_doc *d = f->doc;
	struct plan_edit *e;
	char **nl;
	size_t *nlen, *norigin, *nowner, p = 0, suf = 0, i, k, owner;
	size_t nnew = d->nlines;

	while (p < s->n && p < nnew && s->len[p] == d->lines[p].len &&
	    memcmp(s->line[p], d->lines[p].text, s->len[p]) == 0)
		p++;
	while (suf < s->n - p && suf < nnew - p &&
	    s->len[s->n - 1 - suf] == d->lines[nnew - 1 - suf].len &&
	    memcmp(s->line[s->n - 1 - suf], d->lines[nnew - 1 - suf].text,
	    d->lines[nnew - 1 - suf].len) == 0)
		suf++;
	if (p == s->n && p == nnew) {
		free(reason);
		return;		/* the same bytes */
	}
	owner = p < s->n - suf ? plan_owner_of(f, p, s->n - suf) : 0;
	/* Lines added right after those of the edit before, for the same
	 * reason (a list growing by several entries), are that edit. */
	if (owner == 0 && p == s->n - suf && p > 0 && f->by[p - 1] != 0 &&
	    f->by[p - 1] == f->nedits &&
	    strcmp(f->edits[f->nedits - 1].reason, reason) == 0)
		owner = f->nedits;
	if (owner != 0) {
		e = &f->edits[owner - 1];
		free(reason);
	} else {
		f->edits = xgrow(f->edits, f->nedits, sizeof *f->edits);
		e = &f->edits[f->nedits++];
		memset(e, 0, sizeof *e);
		e->line = plan_origin_at(f, f->origin, f->norigin, p);
		e->before = plan_join(s->line, s->len, p, s->n - suf);
		e->reason = reason;
		owner = f->nedits;
	}
	norigin = xcalloc(nnew + 1, sizeof *norigin);
	nowner = xcalloc(nnew + 1, sizeof *nowner);
	for (i = 0; i < p; i++) {
		norigin[i] = f->origin[i];
		nowner[i] = f->by[i];
	}
	/* A replaced line stands for the line it replaces. */
	for (i = p; i < nnew - suf; i++) {
		nowner[i] = owner;
		if (p + (i - p) < s->n - suf)
			norigin[i] = f->origin[i];
	}
	for (i = 0; i < suf; i++) {
		norigin[nnew - suf + i] = f->origin[s->n - suf + i];
		nowner[nnew - suf + i] = f->by[s->n - suf + i];
	}
	free(f->origin);
	free(f->by);
	f->origin = norigin;
	f->by = nowner;
	f->norigin = nnew;

	/* The edit's planned lines, wherever its earlier ones are. */
	nl = xcalloc(nnew + 1, sizeof *nl);
	nlen = xcalloc(nnew + 1, sizeof *nlen);
	for (i = 0; i < nnew; i++) {
		nl[i] = d->lines[i].text;
		nlen[i] = d->lines[i].len;
	}
	for (k = 0; k < nnew && nowner[k] != owner; k++)
		;
	for (i = k; i < nnew && nowner[i] == owner; i++)
		;
	free(e->after);
	e->after = plan_join(nl, nlen, k, i);
	free(nl);
	free(nlen);
}

/* The planned line numbers of f's edits once every edit is made (a later
 * addition above moves them down); a removal's is the line after it. */
static void
plan_file_renumber(struct plan_file *f)
{
	size_t i, k;

	for (k = 0; k < f->nedits; k++) {
		for (i = 0; i < f->norigin; i++)
			if (f->by[i] == k + 1)
				break;
		if (i == f->norigin)
			for (i = 0; i < f->norigin; i++)
				if (f->origin[i] >= f->edits[k].line)
					break;
		f->edits[k].new_line = i + 1;
	}
}

/* The end of every recorded edit: the record, or the refusal noted. */
static int
plan_edit_end(struct plan_file *f, struct plan_snap *snap, int rc,
    char *why, char *reason)
{
	if (rc != 0) {
		strv_addf(&f->warnings, "%s: cannot plan this edit: %s (%s)",
		    f->path, why != NULL ? why : "refused", reason);
		free(why);
		free(reason);
		plan_snap_free(snap);
		return -1;
	}
	plan_record(f, snap, reason);
	plan_file_renumber(f);
	plan_snap_free(snap);
	return 0;
}

int
plan_set(struct plan_file *f, const char *key, const char *value,
    const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_set(f->doc, key, value, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_set_entry(struct plan_file *f, const struct conf_entry *e,
    const char *value, const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_set_entry(f->doc, e, value, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_append(struct plan_file *f, const char *key, const char *value,
    const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_append(f->doc, key, value, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_insert(struct plan_file *f, const struct conf_entry *at, int before,
    const char *text, const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_insert(f->doc, at, before, text, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_delete(struct plan_file *f, const struct conf_entry *e,
    const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_delete(f->doc, e, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_comment_out(struct plan_file *f, const struct conf_entry *e,
    const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_comment_out(f->doc, e, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_master_service(struct plan_file *f, const char *text,
    const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_master_set_service(f->doc, text, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

int
plan_master_option(struct plan_file *f, const struct conf_entry *e,
    const char *name, const char *value, const char *fmt, ...)
{
	struct plan_snap snap;
	va_list ap;
	char *why = NULL, *reason;
	int rc;

	plan_snap_take(f->doc, &snap);
	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	rc = conf_master_set_option(f->doc, e, name, value, &why);
	return plan_edit_end(f, &snap, rc, why, reason);
}

/* ---- Reasons, notes, steps, offers, checks, reloads ---- */

void
plan_none(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(&p->none, s);
	free(s);
}

void
plan_note(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (strv_find(&p->notes, s) == -1)
		strv_add(&p->notes, s);
	free(s);
}

void
plan_step(struct plan *p, const struct backend *b, const char *const *argv,
    const char *fmt, ...)
{
	struct plan_step *st;
	va_list ap;
	size_t i, j;

	/* The same command twice is one step. */
	for (i = 0; i < p->nsteps; i++) {
		for (j = 0; argv[j] != NULL && j < p->steps[i].argv.n; j++)
			if (strcmp(argv[j], p->steps[i].argv.v[j]) != 0)
				break;
		if (argv[j] == NULL && j == p->steps[i].argv.n)
			return;
	}
	p->steps = xgrow(p->steps, p->nsteps, sizeof *p->steps);
	st = &p->steps[p->nsteps++];
	st->backend = b;
	strv_init(&st->argv);
	for (i = 0; argv[i] != NULL; i++)
		strv_add(&st->argv, argv[i]);
	va_start(ap, fmt);
	st->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

void
plan_offer(struct plan *p, const struct backend *b, const char *what,
    const char *setting, const char *fmt, ...)
{
	struct plan_offer *o;
	va_list ap;

	p->offers = xgrow(p->offers, p->noffers, sizeof *p->offers);
	o = &p->offers[p->noffers++];
	o->backend = b;
	o->what = xstrdup(what);
	o->setting = xstrdup(setting);
	va_start(ap, fmt);
	o->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

void
plan_check(struct plan *p, const struct backend *b, const char *const *argv,
    size_t path_arg, int dir, int outside)
{
	struct plan_check *c;
	size_t i, j;

	/* The same checker twice (a fix added to a plan that has it) runs
	 * once. */
	for (i = 0; i < p->nchecks; i++) {
		c = &p->checks[i];
		if (c->backend != b || c->path_arg != path_arg)
			continue;
		for (j = 0; argv[j] != NULL && j < c->argv.n; j++)
			if (strcmp(argv[j], c->argv.v[j]) != 0)
				break;
		if (argv[j] == NULL && j == c->argv.n)
			return;
	}
	p->checks = xgrow(p->checks, p->nchecks, sizeof *p->checks);
	c = &p->checks[p->nchecks++];
	c->backend = b;
	strv_init(&c->argv);
	for (i = 0; argv[i] != NULL; i++)
		strv_add(&c->argv, argv[i]);
	c->path_arg = path_arg;
	c->dir = dir;
	c->outside = outside;
}

void
plan_reload(struct plan_ctx *pc, const struct backend *b, int restart)
{
	struct plan *p = pc->plan;
	struct plan_reload *r;
	size_t i;

	for (i = 0; i < p->nreloads; i++)
		if (p->reloads[i].backend == b) {
			p->reloads[i].restart |= restart;
			return;
		}
	p->reloads = xgrow(p->reloads, p->nreloads, sizeof *p->reloads);
	r = &p->reloads[p->nreloads++];
	memset(r, 0, sizeof *r);
	r->backend = b;
	r->restart = restart;
	strv_init(&r->argv);
}

/* The commands of the reloads, once the restart wishes are known (again
 * after a fix changed them). */
static void
plan_reload_commands(struct plan *p, const struct backend_ctx *bctx,
    const struct site *site)
{
	struct plan_reload *r;
	char *why;
	size_t i;
	int rc;

	for (i = 0; i < p->nreloads; i++) {
		r = &p->reloads[i];
		strv_free(&r->argv);
		strv_init(&r->argv);
		free(r->why);
		r->why = NULL;
		free(r->pidfile);
		r->pidfile = NULL;
		why = NULL;
		r->restart |= r->backend->restart_only | r->start;
		if (r->start)
			rc = backend_start_argv(r->backend, bctx, &r->argv,
			    &why);
		else if (r->restart)
			rc = backend_restart_argv(r->backend, bctx, &r->argv,
			    &why);
		else
			rc = backend_reload_argv(r->backend, bctx, &r->argv,
			    &why);
		if (rc != 0)
			r->why = why;
		else
			free(why);
		if (r->restart)
			r->pidfile = backend_pidfile(r->backend, site);
	}
}

/* ---- PTR lookups ---- */

struct plan_ptr_q {
	struct plan_ptrs	*ptrs;
	size_t			 i;
};

static void
plan_ptr_answer(const struct dns_answer *a, void *arg)
{
	struct plan_ptr_q *q = arg;
	struct plan_ptr *r = &q->ptrs->v[q->i];
	size_t i;

	if (a->status == DNS_OK) {
		for (i = 0; i < a->nrrs && r->name == NULL; i++)
			if (a->rrs[i].type == DNS_T_PTR &&
			    site_valid_domain(a->rrs[i].text, 0))
				r->name = xstrdup(a->rrs[i].text);
		r->status = r->name != NULL ? PLAN_PTR_NAME : PLAN_PTR_NONE;
	} else if (a->status == DNS_NXDOMAIN || a->status == DNS_NODATA)
		r->status = PLAN_PTR_NONE;
	q->ptrs->pending--;
	free(q);
}

static void
plan_ptrs_add(struct plan_ptrs *ptrs, const char *addr, int family)
{
	ptrs->v = xgrow(ptrs->v, ptrs->n, sizeof *ptrs->v);
	memset(&ptrs->v[ptrs->n], 0, sizeof ptrs->v[ptrs->n]);
	ptrs->v[ptrs->n].addr = xstrdup(addr);
	ptrs->v[ptrs->n].family = family;
	ptrs->n++;
}

void
plan_ptrs_lookup(struct plan_ptrs *ptrs, struct dns *dns,
    const struct site *site)
{
	struct plan_ptr_q *q;
	char *name;
	size_t i, first = ptrs->n;

	for (i = 0; i < site->ipv4.n; i++)
		plan_ptrs_add(ptrs, site->ipv4.v[i], AF_INET);
	for (i = 0; i < site->ipv6.n; i++)
		plan_ptrs_add(ptrs, site->ipv6.v[i], AF_INET6);
	for (i = first; i < ptrs->n; i++) {
		if ((name = records_reverse_name(ptrs->v[i].addr)) == NULL)
			continue;
		q = xcalloc(1, sizeof *q);
		q->ptrs = ptrs;
		q->i = i;
		ptrs->pending++;
		dns_query(dns, name, DNS_T_PTR, plan_ptr_answer, q);
		free(name);
	}
}

void
plan_ptrs_free(struct plan_ptrs *ptrs)
{
	size_t i;

	for (i = 0; i < ptrs->n; i++) {
		free(ptrs->v[i].addr);
		free(ptrs->v[i].name);
	}
	free(ptrs->v);
	memset(ptrs, 0, sizeof *ptrs);
}

/* ---- Facts of the site ---- */

const char *
plan_fact(const struct site *site, const char *program, const char *name,
    int explicit)
{
	const struct site_fact *f = site_fact(site, program, name);

	if (f == NULL || f->value == NULL || strcmp(f->value, "unset") == 0)
		return NULL;
	if (explicit && (f->source == NULL || strcmp(f->source, "default") == 0))
		return NULL;
	return f->value;
}

/* The fields of the line of a colon file (/etc/group, /etc/passwd) whose
 * first field is name, or 0 fields. */
static void
plan_colon_line(const char *data, const char *name, struct strv *out)
{
	const char *p = data, *nl;
	size_t n = strlen(name);
	char *line, *q, *c;

	for (; *p != '\0'; p = nl != NULL ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (strncmp(p, name, n) != 0 || p[n] != ':')
			continue;
		line = xstrndup(p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		for (q = line; (c = strchr(q, ':')) != NULL; q = c + 1) {
			*c = '\0';
			strv_add(out, q);
		}
		strv_add(out, q);
		free(line);
		return;
	}
}

int
plan_user_in_group(const struct site *site, const char *user,
    const char *group)
{
	struct strv g, pw, members;
	char *data = NULL;
	size_t len, i;
	int rc = 0;

	if (fsroot_read(site->root, "/etc/group", 0, &data, &len, NULL) != 0)
		return -1;
	strv_init(&g);
	strv_init(&pw);
	strv_init(&members);
	plan_colon_line(data, group, &g);
	free(data);
	if (g.n >= 4) {
		str_split(g.v[3], ",", &members);
		for (i = 0; i < members.n; i++)
			if (strcmp(members.v[i], user) == 0)
				rc = 1;
	}
	if (rc == 0 && g.n >= 3 && fsroot_read(site->root, "/etc/passwd", 0,
	    &data, &len, NULL) == 0) {
		plan_colon_line(data, user, &pw);
		free(data);
		if (pw.n >= 4 && strcmp(pw.v[3], g.v[2]) == 0)
			rc = 1;
	}
	strv_free(&g);
	strv_free(&pw);
	strv_free(&members);
	return rc;
}

/* ---- The wanted state ---- */

const struct plan_domain *
plan_want_domain(const struct plan_want *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->ndomains; i++)
		if (strcasecmp(w->domains[i].name, name) == 0)
			return &w->domains[i];
	return NULL;
}

const struct plan_key *
plan_domain_key(const struct plan_domain *d)
{
	size_t i;

	for (i = 0; i < d->nkeys; i++)
		if (d->keys[i].configured && d->keys[i].path != NULL &&
		    d->keys[i].type != NULL)
			return &d->keys[i];
	if (d->fresh != NULL)
		return d->fresh;
	return d->nkeys > 0 ? &d->keys[0] : NULL;
}

static void
plan_key_fill(struct plan_key *k, const struct keys_entry *e,
    const char *selector, const char *path)
{
	memset(k, 0, sizeof *k);
	k->selector = xstrdup(selector);
	k->path = path != NULL ? xstrdup(path) : NULL;
	if (e != NULL) {
		k->type = e->pub.type != NULL ? xstrdup(e->pub.type) : NULL;
		k->published = e->state == KEYSTATE_PUBLISHED ||
		    e->state == KEYSTATE_ACTIVE || e->published == KEYS_PUB_YES;
	}
}

static void
plan_key_free(struct plan_key *k)
{
	free(k->selector);
	free(k->path);
	free(k->type);
}

/* Does a domain's source name one of the pair's programs (its first word:
 * "postfix mydestination (main.cf:34)"), or the settings file? */
static int
plan_domain_ours(const struct site_domain *d, const struct plan_want *w,
    size_t nmta)
{
	const char *s;
	size_t i, n;

	if (nmta <= 1)
		return 1;
	for (i = 0; i < d->sources.n; i++) {
		s = d->sources.v[i];
		n = strcspn(s, " ");
		if ((strlen(w->mta->name) == n &&
		    strncmp(s, w->mta->name, n) == 0) ||
		    (w->signer != NULL && strlen(w->signer->name) == n &&
		    strncmp(s, w->signer->name, n) == 0) ||
		    str_startswith(s, "notspam.conf"))
			return 1;
	}
	return 0;
}

/* The pair's domains with their keys: the signer's configured ones, and
 * the newest state-file key not in use (published first). */
static void
plan_want_domains(struct plan_want *w, const struct site *site,
    const struct keys_list *kl, size_t nmta)
{
	const struct site_domain *sd;
	const struct keys_entry *e, *best;
	struct plan_domain *d;
	size_t i, j;

	for (i = 0; i < site->ndomains; i++) {
		sd = &site->domains[i];
		if (!plan_domain_ours(sd, w, nmta))
			continue;
		w->domains = xgrow(w->domains, w->ndomains,
		    sizeof *w->domains);
		d = &w->domains[w->ndomains++];
		memset(d, 0, sizeof *d);
		d->name = xstrdup(sd->name);
		for (j = 0; j < site->nkeys; j++) {
			const struct site_key *k = &site->keys[j];
			if (w->signer == NULL ||
			    strcmp(k->signer, w->signer->name) != 0 ||
			    strcmp(k->domain, sd->name) != 0)
				continue;
			d->keys = xgrow(d->keys, d->nkeys, sizeof *d->keys);
			e = kl != NULL ? keys_find(kl, k->domain, k->selector) :
			    NULL;
			plan_key_fill(&d->keys[d->nkeys], e, k->selector,
			    k->keyfile);
			d->keys[d->nkeys++].configured = 1;
		}
		best = NULL;
		for (j = 0; kl != NULL && j < kl->n; j++) {
			e = &kl->v[j];
			if (e->configured || e->path == NULL ||
			    e->pub.type == NULL ||
			    strcmp(e->domain, sd->name) != 0 ||
			    (e->state != KEYSTATE_GENERATED &&
			    e->state != KEYSTATE_PUBLISHED))
				continue;
			if (best == NULL || (e->state == KEYSTATE_PUBLISHED &&
			    best->state != KEYSTATE_PUBLISHED) ||
			    (e->state == best->state && e->since > best->since))
				best = e;
		}
		if (best != NULL) {
			d->fresh = xcalloc(1, sizeof *d->fresh);
			plan_key_fill(d->fresh, best, best->selector,
			    best->path);
		}
	}
}

/* The HELO name the PTR records give, and the IPv6 fallback's facts. */
static void
plan_want_ptrs(struct plan_want *w, struct plan *p,
    const struct plan_ptrs *ptrs)
{
	const struct plan_ptr *r;
	const char *name = NULL;
	struct buf why, v6;
	size_t i;
	int differ = 0;

	w->ptrs = ptrs;
	if (ptrs == NULL)
		return;
	buf_init(&why);
	buf_init(&v6);
	for (i = 0; i < ptrs->n; i++) {
		r = &ptrs->v[i];
		if (r->status == PLAN_PTR_NONE && r->family == AF_INET6) {
			buf_printf(&v6, "%s%s", v6.len > 0 ? ", " : "",
			    r->addr);
			w->v6_offer = 1;
		}
		if (r->status != PLAN_PTR_NAME)
			continue;
		if (r->family == AF_INET6 && w->bind6 == NULL)
			w->bind6 = r->addr;
		if (name != NULL && strcasecmp(name, r->name) != 0)
			differ = 1;
		if (name == NULL)
			name = r->name;
		buf_printf(&why, "%s%s", why.len > 0 ? ", " : "", r->addr);
	}
	if (differ)
		plan_note(p, "the PTR records of the public addresses name "
		    "different hosts: the HELO name is left as it is; make "
		    "them name the mail host (your provider sets them)");
	else if (name != NULL) {
		w->helo = name;
		w->helo_why = buf_steal(&why);
	}
	if (w->v6_offer)
		w->v6_why = buf_steal(&v6);
	buf_free(&why);
	buf_free(&v6);
}

static void
plan_want_init(struct plan_want *w, const struct site *site,
    const struct backend *mta, const struct backend *signer)
{
	const struct settings *s = site->settings;

	memset(w, 0, sizeof *w);
	w->mta = mta;
	w->signer = signer;
	w->unix_socket = s->milter_socket == 0 ? -1 :
	    s->milter_socket == 2;
	w->default_action = s->milter_default_action;
	w->v6 = s->ipv6_fallback == NULL ? PLAN_V6_OFF :
	    strcmp(s->ipv6_fallback, "ipv4") == 0 ? PLAN_V6_IPV4 :
	    PLAN_V6_BIND;
}

static void
plan_want_free(struct plan_want *w)
{
	size_t i, j;

	for (i = 0; i < w->ndomains; i++) {
		for (j = 0; j < w->domains[i].nkeys; j++)
			plan_key_free(&w->domains[i].keys[j]);
		free(w->domains[i].keys);
		if (w->domains[i].fresh != NULL)
			plan_key_free(w->domains[i].fresh);
		free(w->domains[i].fresh);
		free(w->domains[i].name);
	}
	free(w->domains);
	free(w->helo_why);
	free(w->v6_why);
	free(w->milter);
	sockspec_free(&w->listener);
	free(w->socket_group);
	free(w->proxy_listen);
	free(w->proxy_relay);
	free(w->filter_name);
	free(w->filter_text);
}

/* ---- Pairs ---- */

/* Is the link's client end the program named mta ("postfix smtpd")? */
static int
plan_link_from(const struct site_link *l, const char *mta)
{
	size_t n = strlen(mta);

	return strncmp(l->from, mta, n) == 0 &&
	    (l->from[n] == '\0' || l->from[n] == ' ');
}

/* The signer mta hands mail to now, or NULL. */
static const struct backend *
plan_linked_signer(const struct site *site, const char *mta)
{
	const struct backend *b;
	size_t i;

	for (i = 0; i < site->nlinks; i++) {
		if (strcmp(site->links[i].kind, "listen") == 0 ||
		    !plan_link_from(&site->links[i], mta))
			continue;
		if ((b = backend_signer(site->links[i].to)) != NULL)
			return b;
	}
	for (i = 0; i < site->nkeys; i++)
		if ((b = backend_signer(site->keys[i].signer)) != NULL &&
		    b->detect == NULL)
			return b;	/* configured inside the MTA's file */
	return NULL;
}

/* Is signer b the linked signer of another MTA of the site? */
static int
plan_signer_taken(const struct site *site, const struct backend *b,
    const char *mta)
{
	size_t i;

	for (i = 0; i < site->nprograms; i++)
		if (strcmp(site->programs[i].role, "mta") == 0 &&
		    strcmp(site->programs[i].name, mta) != 0 &&
		    plan_linked_signer(site, site->programs[i].name) == b)
			return 1;
	return 0;
}

/* Can signer b serve the pair's MTA here (its plan op in probe mode)? */
static int
plan_probe(struct plan_ctx *pc, const struct backend *b)
{
	int rc;

	if (b == NULL || b->plan == NULL)
		return 0;
	pc->want->signer = b;
	pc->probe = 1;
	rc = b->plan(pc);
	pc->probe = 0;
	pc->want->signer = NULL;
	return rc == 0;
}

/* The signer of a pair: linked, named by the settings, detected and free,
 * or installed. */
static const struct backend *
plan_pick_signer(struct plan_ctx *pc, const char *mta)
{
	const struct site *site = pc->site;
	const struct backend *b;
	size_t i;

	if ((b = plan_linked_signer(site, mta)) != NULL)
		return b;
	if (site->settings->signer != NULL)
		return backend_signer(site->settings->signer);
	for (i = 0; i < site->nprograms; i++) {
		b = backend_signer(site->programs[i].name);
		if (b != NULL && !plan_signer_taken(site, b, mta) &&
		    plan_probe(pc, b))
			return b;
	}
	for (i = 0; backends[i] != NULL; i++)
		if (backends[i]->role == BACKEND_SIGNER &&
		    site_program(site, backends[i]->name) == NULL &&
		    plan_probe(pc, backends[i]))
			return backends[i];
	return NULL;
}

/* A content filter of the MTA that is no signer notspam reads (amavisd):
 * its link, or NULL. */
static const struct site_link *
plan_foreign_filter(const struct site *site, const char *mta)
{
	size_t i;

	for (i = 0; i < site->nlinks; i++)
		if (strcmp(site->links[i].kind, "content_filter") == 0 &&
		    plan_link_from(&site->links[i], mta) &&
		    backend_signer(site->links[i].to) == NULL)
			return &site->links[i];
	return NULL;
}

/* Plan one MTA and its signer. */
/* The signing path of a planned pair, to re-check after the reload. */
static void
plan_probe_add(struct plan *p, const struct plan_want *w)
{
	struct plan_probe *pr;
	char *cause = NULL;

	if (w->hook != PLAN_HOOK_MILTER && w->hook != PLAN_HOOK_PROXY &&
	    w->hook != PLAN_HOOK_FILTER)
		return;
	if (w->hook != PLAN_HOOK_PROXY &&
	    w->listener.transport == SOCKSPEC_NONE)
		return;
	if (w->hook == PLAN_HOOK_PROXY && w->proxy_listen == NULL)
		return;
	p->probes = xgrow(p->probes, p->nprobes, sizeof *p->probes);
	pr = &p->probes[p->nprobes++];
	memset(pr, 0, sizeof *pr);
	pr->mta = w->mta;
	pr->signer = w->signer;
	pr->hook = w->hook;
	if (w->hook == PLAN_HOOK_MILTER) {
		pr->endpoint = xstrdup(w->milter != NULL ? w->milter :
		    "the milter");
		sockspec_copy(&pr->listener, &w->listener);
		return;
	}
	if (w->hook == PLAN_HOOK_FILTER) {
		pr->endpoint = xasprintf(strchr(w->listener.address != NULL ?
		    w->listener.address : "", ':') != NULL ? "[%s]:%u" :
		    "%s:%u", w->listener.address != NULL ?
		    w->listener.address : "", w->listener.port);
		sockspec_copy(&pr->listener, &w->listener);
		return;
	}
	pr->endpoint = xstrdup(w->proxy_listen);
	if (sockspec_parse(SOCKSPEC_HOSTPORT, w->proxy_listen, &pr->listener,
	    &cause) != 0)
		free(cause);
	cause = NULL;
	if (w->proxy_relay != NULL && sockspec_parse(SOCKSPEC_HOSTPORT,
	    w->proxy_relay, &pr->relay, &cause) != 0)
		free(cause);
}

static void
plan_pair(struct plan_ctx *pc, const struct backend *mta, size_t nmta,
    const struct keys_list *kl, const struct plan_ptrs *ptrs)
{
	const struct site *site = pc->site;
	const struct site_link *ff;
	const struct backend *signer;
	struct plan_want w;
	char *names;

	plan_want_init(&w, site, mta, NULL);
	pc->want = &w;
	signer = plan_pick_signer(pc, mta->name);
	w.signer = signer;
	if (site->unread_signer != NULL) {
		plan_none(pc->plan, "%s: %s signs the mail (%s), and notspam "
		    "does not manage it: no plan, and no second signer is "
		    "added beside it", mta->name, site->unread_signer,
		    site->unread_signer_source != NULL ?
		    site->unread_signer_source : "its link");
		goto done;
	}
	ff = plan_foreign_filter(site, mta->name);
	if (ff != NULL && plan_linked_signer(site, mta->name) == NULL) {
		plan_none(pc->plan, "%s: the mail goes through the content "
		    "filter %s (%s), most likely a signer such as amavisd that "
		    "notspam does not manage: no plan, and no second signer is "
		    "added beside it", mta->name, ff->address, ff->source !=
		    NULL ? ff->source : "default");
		goto done;
	}
	if (signer == NULL || signer->plan == NULL) {
		names = backend_signer_names();
		plan_none(pc->plan, "%s: no DKIM signer is configured or "
		    "installed for it: install one (%s) or name it with "
		    "\"signer = NAME\" in notspam.conf", mta->name, names);
		free(names);
		goto done;
	}
	plan_want_domains(&w, site, kl, nmta);
	plan_want_ptrs(&w, pc->plan, ptrs);
	if (signer->plan(pc) != 0)
		goto done;
	if (mta->plan != NULL)
		mta->plan(pc);
	plan_probe_add(pc->plan, &w);
done:
	pc->want = NULL;
	plan_want_free(&w);
}

int
plan_need_domains(struct plan_ctx *pc)
{
	if (pc->want->ndomains > 0)
		return 0;
	plan_none(pc->plan, "%s + %s: no hosted domain is known: list them in "
	    "notspam.conf `domains`", pc->want->mta->name,
	    pc->want->signer->name);
	return -1;
}

/* Leave out what --only does not name, and say what that leaves. */
static void
plan_keep_only(struct plan *p, const char *only)
{
	size_t i, j, dropped = 0;

	for (i = j = 0; i < p->nfiles; i++) {
		if (strcmp(p->files[i].backend->name, only) == 0) {
			p->files[j++] = p->files[i];
			continue;
		}
		dropped += plan_file_changed(&p->files[i]);
		plan_file_free(&p->files[i]);
	}
	p->nfiles = j;
	for (i = j = 0; i < p->nsteps; i++) {
		if (strcmp(p->steps[i].backend->name, only) == 0) {
			p->steps[j++] = p->steps[i];
			continue;
		}
		strv_free(&p->steps[i].argv);
		free(p->steps[i].reason);
	}
	p->nsteps = j;
	for (i = j = 0; i < p->nchecks; i++) {
		if (strcmp(p->checks[i].backend->name, only) == 0) {
			p->checks[j++] = p->checks[i];
			continue;
		}
		strv_free(&p->checks[i].argv);
	}
	p->nchecks = j;
	for (i = j = 0; i < p->nreloads; i++) {
		if (strcmp(p->reloads[i].backend->name, only) == 0) {
			p->reloads[j++] = p->reloads[i];
			continue;
		}
		strv_free(&p->reloads[i].argv);
		free(p->reloads[i].why);
	}
	p->nreloads = j;
	if (dropped > 0)
		plan_note(p, "--only %s leaves out %zu other file%s this plan "
		    "changes: the two sides must agree, so plan those too", only,
		    dropped, dropped == 1 ? "" : "s");
}

/* Is b the backend of a file the plan keeps? */
static int
plan_has_backend(const struct plan *p, const struct backend *b)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].backend == b)
			return 1;
	return 0;
}

/* Is f a file to keep: one of paths, or an unchanged file of a program
 * one of them belongs to (its checkers read it: postconf -n reads
 * master.cf beside main.cf)? */
static int
plan_keeps(const struct plan *p, const struct strv *paths,
    const struct plan_file *f)
{
	size_t i;

	if (strv_find(paths, f->path) != -1)
		return 1;
	if (plan_file_changed(f))
		return 0;
	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].backend == f->backend &&
		    strv_find(paths, p->files[i].path) != -1)
			return 1;
	return 0;
}

/* Does the signer of pr listen now where pr probes (the site's listen
 * link of it)? */
static int
plan_probe_current(const struct plan *p, const struct plan_probe *pr)
{
	const struct site_link *l;
	size_t i;

	for (i = 0; i < p->site->nlinks; i++) {
		l = &p->site->links[i];
		if (strcmp(l->kind, "listen") == 0 &&
		    strcmp(site_listen_owner(l), pr->signer->name) == 0 &&
		    sockspec_equal(&l->sock, &pr->listener))
			return 1;
	}
	return 0;
}

/* The probes of a plan some of whose changed files went (dropped: their
 * backends, NULL-terminated): a signer whose files are not all written
 * may not listen where the plan would have it; its probe stays only when
 * it listens there now. */
static void
plan_keep_probes(struct plan *p, const struct backend **dropped)
{
	struct plan_probe *pr;
	size_t i, j, k;
	int gone;

	for (i = j = 0; i < p->nprobes; i++) {
		pr = &p->probes[i];
		for (gone = 0, k = 0; dropped[k] != NULL && !gone; k++)
			gone = dropped[k] == pr->signer;
		if (!gone || plan_probe_current(p, pr)) {
			p->probes[j++] = *pr;
			continue;
		}
		free(pr->endpoint);
		sockspec_free(&pr->listener);
		sockspec_free(&pr->relay);
	}
	p->nprobes = j;
}

void
plan_keep_files(struct plan *p, const struct strv *paths)
{
	const struct backend **dropped;
	char *keep;
	size_t i, j, nd = 0;

	keep = xcalloc(p->nfiles + 1, 1);
	dropped = xcalloc(p->nfiles + 1, sizeof *dropped);
	for (i = 0; i < p->nfiles; i++)
		keep[i] = (char)plan_keeps(p, paths, &p->files[i]);
	for (i = j = 0; i < p->nfiles; i++) {
		if (keep[i]) {
			p->files[j++] = p->files[i];
			continue;
		}
		if (plan_file_changed(&p->files[i]))
			dropped[nd++] = p->files[i].backend;
		plan_file_free(&p->files[i]);
	}
	free(keep);
	p->nfiles = j;
	for (i = j = 0; i < p->nsteps; i++) {
		if (plan_has_backend(p, p->steps[i].backend)) {
			p->steps[j++] = p->steps[i];
			continue;
		}
		strv_free(&p->steps[i].argv);
		free(p->steps[i].reason);
	}
	p->nsteps = j;
	for (i = j = 0; i < p->nchecks; i++) {
		if (plan_has_backend(p, p->checks[i].backend)) {
			p->checks[j++] = p->checks[i];
			continue;
		}
		strv_free(&p->checks[i].argv);
	}
	p->nchecks = j;
	for (i = j = 0; i < p->nreloads; i++) {
		if (plan_has_backend(p, p->reloads[i].backend)) {
			p->reloads[j++] = p->reloads[i];
			continue;
		}
		strv_free(&p->reloads[i].argv);
		free(p->reloads[i].why);
		free(p->reloads[i].pidfile);
	}
	p->nreloads = j;
	plan_keep_probes(p, dropped);
	free(dropped);
	for (i = 0; i < p->noffers; i++) {
		free(p->offers[i].what);
		free(p->offers[i].setting);
		free(p->offers[i].reason);
	}
	p->noffers = 0;
}

/* Checkers run only for programs whose files change. */
static void
plan_checks_changed(struct plan *p)
{
	size_t i, j, k;
	int changed;

	for (i = k = 0; i < p->nchecks; i++) {
		for (changed = 0, j = 0; j < p->nfiles && !changed; j++)
			changed = p->files[j].backend == p->checks[i].backend &&
			    plan_file_changed(&p->files[j]);
		if (changed)
			p->checks[k++] = p->checks[i];
		else
			strv_free(&p->checks[i].argv);
	}
	p->nchecks = k;
}

/* Every program with a changed file re-reads it. */
static void
plan_reload_changed(struct plan_ctx *pc)
{
	const struct backend *b;
	size_t i;

	for (i = 0; i < pc->plan->nfiles; i++) {
		if (!plan_file_changed(&pc->plan->files[i]))
			continue;
		b = pc->plan->files[i].backend;
		if (b->unit != NULL || b->native_reload != NULL ||
		    b->initscript != NULL)
			plan_reload(pc, b, 0);
	}
}

struct plan *
plan_make(const struct site *site, const struct plan_opts *opts,
    char **cause)
{
	struct plan *p;
	struct plan_ctx pc;
	struct backend_ctx bctx;
	struct keys_list *kl;
	const struct backend *b;
	char *why = NULL;
	size_t i, nmta = 0;

	if (opts->only != NULL && backend_find(opts->only) == NULL) {
		struct buf names;
		char *safe = str_sanitize(opts->only, strlen(opts->only));

		buf_init(&names);
		for (i = 0; backends[i] != NULL; i++)
			buf_printf(&names, "%s%s", i > 0 ? ", " : "",
			    backends[i]->name);
		error_set(cause, "--only %s: no such program; name one of %s",
		    safe, names.data);
		buf_free(&names);
		free(safe);
		return NULL;
	}
	p = plan_new(site);
	p->only = opts->only != NULL ? xstrdup(opts->only) : NULL;
	bctx.root = site->root;
	bctx.settings = site->settings;
	memset(&pc, 0, sizeof pc);
	pc.bctx = &bctx;
	pc.site = site;
	pc.plan = p;
	if ((kl = keys_list_new(site, &why)) == NULL) {
		plan_note(p, "the key state file cannot be read (%s): only the "
		    "keys the signer uses now are planned", why);
		free(why);
	}
	for (i = 0; i < site->nprograms; i++)
		nmta += strcmp(site->programs[i].role, "mta") == 0;
	for (i = 0; i < site->nprograms; i++) {
		if (strcmp(site->programs[i].role, "mta") != 0 ||
		    (b = backend_find(site->programs[i].name)) == NULL)
			continue;
		plan_pair(&pc, b, nmta, kl, opts->ptrs);
	}
	if (nmta == 0)
		plan_none(p, "no MTA (Postfix or OpenSMTPD) is configured here");
	keys_list_free(kl);
	plan_reload_changed(&pc);
	if (p->only != NULL)
		plan_keep_only(p, p->only);
	plan_checks_changed(p);
	plan_reload_commands(p, &bctx, site);
	return p;
}

/* The number of lines of an edit's before ("" and NULL: 1). */
static size_t
plan_edit_span(const struct plan_edit *e)
{
	const char *s = e->before;
	size_t n = 1;

	while (s != NULL && (s = strchr(s, '\n')) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* Does text (the warning, or the line it is about) name the setting an
 * edit writes (the first word of its after, up to a blank or '='), as a
 * whole word: "non_smtpd_milters = $smtpd_milters" names smtpd_milters? */
static int
plan_edit_names(const struct plan_edit *e, const char *text)
{
	const char *s;
	size_t n;

	if (e->after == NULL)
		return 0;
	n = strcspn(e->after, " \t=\n");
	if (n < 4)
		return 0;	/* too short to tell a setting from a word */
	for (s = text; *s != '\0'; s++) {
		if (strncmp(s, e->after, n) != 0)
			continue;
		if ((s == text || !(isalnum((unsigned char)s[-1]) ||
		    s[-1] == '_')) && !(isalnum((unsigned char)s[n]) ||
		    s[n] == '_'))
			return 1;
	}
	return 0;
}

/* Line n (1-based) of the file as read, or NULL; caller frees. */
static char *
plan_file_line(const struct plan_file *f, size_t n)
{
	const char *s = f->old, *end = f->old + f->oldlen, *nl;

	while (s < end && n > 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			return NULL;
		s = nl + 1;
		n--;
	}
	if (s >= end || n != 1)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	return xstrndup(s, nl != NULL ? (size_t)(nl - s) : (size_t)(end - s));
}

const struct plan_file *
plan_fixing(const struct plan *p, const char *path, size_t line,
    const char *text)
{
	const struct plan_file *f;
	const struct plan_edit *e;
	char *at;
	size_t i, k;
	int hit;

	for (i = 0; i < p->nfiles; i++) {
		f = &p->files[i];
		if (strcmp(f->path, path) != 0 || !plan_file_changed(f))
			continue;
		at = plan_file_line(f, line);
		for (k = 0, hit = 0; k < f->nedits && !hit; k++) {
			e = &f->edits[k];
			hit = (line >= e->line && line < e->line +
			    plan_edit_span(e)) || (text != NULL &&
			    plan_edit_names(e, text)) || (at != NULL &&
			    plan_edit_names(e, at));
		}
		free(at);
		if (hit)
			return f;
	}
	return NULL;
}

struct plan *
plan_key_switch(const struct site *site, const struct keys_list *kl,
    const struct keys_entry *e, char **cause)
{
	const struct backend *b = keys_switch_backend(e);
	struct backend_key_switch sw;
	struct backend_key_ref *refs;
	struct backend_ctx bctx;
	struct plan_ctx pc;
	struct plan *p;

	if (b->switch_plan == NULL) {
		error_set(cause, "%s: notspam cannot switch its keys; change "
		    "its configuration by hand", b->name);
		return NULL;
	}
	if (e->path == NULL) {
		error_set(cause, "%s._domainkey.%s: its key file is not known",
		    e->selector, e->domain);
		return NULL;
	}
	p = plan_new(site);
	bctx.root = site->root;
	bctx.settings = site->settings;
	memset(&pc, 0, sizeof pc);
	pc.bctx = &bctx;
	pc.site = site;
	pc.plan = p;
	refs = keys_switch_make(site, kl, e, &sw);
	b->switch_plan(&pc, &sw);
	free(refs);
	plan_reload_changed(&pc);
	plan_checks_changed(p);
	plan_reload_commands(p, &bctx, site);
	return p;
}

enum plan_file_state
plan_file_state(const struct site *site, const char *path, char **detail)
{
	char *data = NULL, *cause = NULL, *pfx;
	enum plan_file_state st = PLAN_FILE_SYNC;
	size_t len, i;

	*detail = NULL;
	if (fsroot_read(site->root, path, 0, &data, &len, &cause) != 0) {
		*detail = cause;
		return PLAN_FILE_UNREADABLE;
	}
	free(data);
	if (site_doc(site, path) != NULL)
		return PLAN_FILE_SYNC;
	pfx = xasprintf("%s:", path);
	for (i = 0; i < site->warnings.n; i++)
		if (str_startswith(site->warnings.v[i], pfx)) {
			st = PLAN_FILE_INVALID;
			*detail = xstrdup(site->warnings.v[i]);
			break;
		}
	free(pfx);
	return st;
}

/* ---- doctor --fix: changes no configuration line causes ---- */

struct plan_fix *
plan_fix_new(enum plan_fix_kind kind, const char *signer, const char *mta,
    const char *path, const struct sockspec *listener, int milter)
{
	struct plan_fix *fx = xcalloc(1, sizeof *fx);

	fx->kind = kind;
	fx->signer = xstrdup(signer != NULL ? signer : "");
	fx->mta = mta != NULL ? xstrdup(mta) : NULL;
	fx->path = path != NULL ? xstrdup(path) : NULL;
	if (listener != NULL)
		sockspec_copy(&fx->listener, listener);
	fx->milter = milter;
	return fx;
}

void
plan_fix_free(struct plan_fix *fx)
{
	if (fx == NULL)
		return;
	free(fx->signer);
	free(fx->mta);
	free(fx->path);
	sockspec_free(&fx->listener);
	free(fx);
}

char *
plan_words(const struct strv *argv)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < argv->n; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", argv->v[i]);
	return buf_steal(&b);
}

size_t
plan_commands(const struct plan *p)
{
	return p->nfixes > 0 ? p->nsteps + p->nreloads : 0;
}

void
plan_key_owner(struct plan *p, const struct backend *b, const char *owner,
    const char *mode, const char *path, const char *fmt, ...)
{
	const char *chown[] = { "chown", owner, path, NULL };
	const char *chmod[] = { "chmod", mode, path, NULL };
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	plan_step(p, b, chown, "%s", why);
	plan_step(p, b, chmod, "%s", why);
	free(why);
}

/* The name of the group of gid (text) in the /etc/group text data, or
 * NULL; caller frees. */
static char *
plan_group_name(const char *data, const char *gid)
{
	const char *p, *nl, *c1, *c2, *c3;
	size_t n = strlen(gid);

	/* name:password:gid:members */
	for (p = data; *p != '\0'; p = nl != NULL ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if ((c1 = strchr(p, ':')) == NULL || c1 == p ||
		    (nl != NULL && c1 > nl) ||
		    (c2 = strchr(c1 + 1, ':')) == NULL ||
		    (nl != NULL && c2 > nl) ||
		    (c3 = strchr(c2 + 1, ':')) == NULL ||
		    (nl != NULL && c3 > nl))
			continue;
		if ((size_t)(c3 - c2 - 1) == n && strncmp(c2 + 1, gid, n) == 0)
			return xstrndup(p, (size_t)(c1 - p));
	}
	return NULL;
}

/* The name of user's primary group in the root's /etc/passwd and
 * /etc/group; the user's own name when they do not say.  Caller frees. */
static char *
plan_user_group(const struct site *site, const char *user)
{
	struct strv pw;
	char *data = NULL, *name = NULL;
	size_t len;

	strv_init(&pw);
	if (fsroot_read(site->root, "/etc/passwd", 0, &data, &len,
	    NULL) == 0) {
		plan_colon_line(data, user, &pw);
		free(data);
	}
	if (pw.n >= 4 && fsroot_read(site->root, "/etc/group", 0, &data,
	    &len, NULL) == 0) {
		name = plan_group_name(data, pw.v[3]);
		free(data);
	}
	strv_free(&pw);
	return name != NULL ? name : xstrdup(user);
}

/* The MTA a fix names, else the site's first. */
static const struct backend *
plan_fix_mta(const struct site *site, const char *name)
{
	const struct backend *b;
	size_t i;

	if (name != NULL && (b = backend_find(name)) != NULL &&
	    b->role == BACKEND_MTA)
		return b;
	for (i = 0; i < site->nprograms; i++)
		if (strcmp(site->programs[i].role, "mta") == 0 &&
		    (b = backend_find(site->programs[i].name)) != NULL)
			return b;
	return NULL;
}

/* The signing path of a fix, probed after the restart (once). */
static void
plan_fix_probe(struct plan *p, const struct backend *b,
    const struct backend *mta, const struct plan_fix *fx)
{
	struct plan_probe *pr;
	size_t i;

	if (fx->listener.transport == SOCKSPEC_NONE || mta == NULL)
		return;
	for (i = 0; i < p->nprobes; i++)
		if (p->probes[i].signer == b &&
		    sockspec_equal(&p->probes[i].listener, &fx->listener))
			return;
	p->probes = xgrow(p->probes, p->nprobes, sizeof *p->probes);
	pr = &p->probes[p->nprobes++];
	memset(pr, 0, sizeof *pr);
	pr->mta = mta;
	pr->signer = b;
	pr->hook = fx->milter ? PLAN_HOOK_MILTER : PLAN_HOOK_PROXY;
	pr->endpoint = sockspec_format(&fx->listener);
	sockspec_copy(&pr->listener, &fx->listener);
}

/* The steps of PLAN_FIX_KEY: the key read by b's user only. */
static int
plan_fix_key(struct plan *p, const struct backend *b, const char *path,
    char **cause)
{
	char *user, *group, *owner;

	if (path == NULL || path[0] != '/')
		return error_set(cause, "%s: the key file is not known",
		    b->name);
	if ((user = backend_user(b, p->site)) == NULL)
		return error_set(cause, "%s: the user it runs as is not known",
		    b->name);
	group = plan_user_group(p->site, user);
	owner = xasprintf("%s:%s", user, group);
	plan_key_owner(p, b, owner, "0600", path, "the key is read by %s's "
	    "user %s, and by nobody else: a key others may read or replace "
	    "is refused (OpenDKIM: \"key data is not secure\") or may have "
	    "been copied", b->name, user);
	free(owner);
	free(group);
	free(user);
	return 0;
}

/* Is there a command for b's restart (or start)?  0, or -1 with *cause. */
static int
plan_fix_can_restart(const struct backend *b, const struct backend_ctx *bctx,
    int start, char **cause)
{
	struct strv argv;
	int rc;

	strv_init(&argv);
	rc = start ? backend_start_argv(b, bctx, &argv, cause) :
	    backend_restart_argv(b, bctx, &argv, cause);
	strv_free(&argv);
	return rc;
}

/* The "no plan" reasons added since n, as *cause, and gone from p. */
static void
plan_fix_none(struct plan *p, size_t n, const char *who, char **cause)
{
	if (p->none.n > n)
		error_set(cause, "%s", p->none.v[p->none.n - 1]);
	else
		error_set(cause, "%s: notspam cannot plan this fix", who);
	while (p->none.n > n)
		free(p->none.v[--p->none.n]);
}

int
plan_fix_add(struct plan *p, const struct plan_fix *fx, char **cause)
{
	const struct backend *b = backend_signer(fx->signer), *mta;
	struct backend_ctx bctx;
	struct plan_ctx pc;
	size_t i, nnone = p->none.n;

	if (b == NULL) {
		char *safe = str_sanitize(fx->signer, strlen(fx->signer));
		error_set(cause, "%s: no signer of that name", safe);
		free(safe);
		return -1;
	}
	mta = plan_fix_mta(p->site, fx->mta);
	bctx.root = p->site->root;
	bctx.settings = p->site->settings;
	memset(&pc, 0, sizeof pc);
	pc.bctx = &bctx;
	pc.site = p->site;
	pc.plan = p;
	if (plan_fix_can_restart(b, &bctx, fx->kind == PLAN_FIX_START,
	    cause) != 0)
		return -1;
	switch (fx->kind) {
	case PLAN_FIX_START:
		break;
	case PLAN_FIX_KEY:
		if (plan_fix_key(p, b, fx->path, cause) != 0)
			return -1;
		break;
	case PLAN_FIX_SOCKET:
		if (b->socket_fix == NULL)
			return error_set(cause, "%s: notspam cannot change who "
			    "may use its socket", b->name);
		if (mta == NULL)
			return error_set(cause, "no MTA here hands mail to %s",
			    b->name);
		if (plan_fix_can_restart(mta, &bctx, 0, cause) != 0)
			return -1;
		if (fx->path == NULL || b->socket_fix(&pc, mta,
		    fx->path) != 0) {
			plan_fix_none(p, nnone, b->name, cause);
			return -1;
		}
		break;
	}
	plan_reload(&pc, b, 1);
	for (i = 0; fx->kind == PLAN_FIX_START && i < p->nreloads; i++)
		if (p->reloads[i].backend == b)
			p->reloads[i].start = 1;
	plan_fix_probe(p, b, mta, fx);
	plan_reload_changed(&pc);
	plan_reload_commands(p, &bctx, p->site);
	p->nfixes++;
	return 0;
}
