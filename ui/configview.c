/* configview.c: the Configs screen: each managed file with its state (in
 * sync, changes pending, unreadable, invalid), its edits with reasons and
 * its diff, the plan's steps, offers and "no plan" reasons; apply (in a
 * child: the screen never freezes), the backups and restore.  Also the
 * console's plan for the site, made once per site load, which the
 * dashboard asks whether apply fixes a configuration warning. */
#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply/apply.h"
#include "core/apply/backup.h"
#include "core/apply/plan.h"
#include "core/dns/dns.h"
#include "core/lib/loop.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "ui/app.h"
#include "ui/tui.h"

#define CFG_POLL_MS	100	/* how often the PTR answers are looked at */

/* The console's plan for the site (app->cfgplan). */
struct cfgplan {
	struct app	*app;
	struct dns	*dns;		/* its own, for the PTR lookups */
	struct plan_ptrs ptrs;
	uint64_t	 timer;
	struct plan	*plan;		/* NULL while the PTRs are asked */
	unsigned	 gen;		/* bumped for each new plan */
};

/* Paths the plans of this console named, so a file apply brought in sync
 * (and the plan no longer lists) keeps its row.  Kept across site loads. */
static struct strv cfg_seen;
static unsigned cfg_gen;

enum cfg_state {
	CFG_SYNC,
	CFG_PENDING,
	CFG_UNREADABLE,
	CFG_INVALID,
};

struct cfgrow {
	char			*path;
	const struct plan_file	*f;	/* NULL: not in the plan */
	enum cfg_state		 state;
	char			*detail;	/* why unreadable or invalid */
};

enum cfg_mode {
	MODE_FILES,
	MODE_DIFF,
	MODE_BACKUPS,
	MODE_CONFIRM,
};

enum cfg_job {
	JOB_NONE,
	JOB_APPLY,
	JOB_RESTORE,
};

struct configview {
	struct app		*app;
	struct cfgrow		*rows;
	size_t			 nrows;
	unsigned		 built;		/* the plan's gen the rows are of */
	int			 cur, top, vis;
	enum cfg_mode		 mode;
	enum cfg_mode		 back;		/* where the confirm box returns */
	enum cfg_job		 confirm;	/* what the box asks for */
	/* The diff of one file. */
	size_t			 drow;
	struct strv		 lines;
	enum tui_role		*roles;
	int			 dcols;		/* width the lines were made for */
	int			 dtop, dvis;
	/* The backups. */
	struct manifest		**bk;
	size_t			 nbk;
	int			 bcur, btop, bvis;
	/* The child applying or restoring. */
	struct proc		*job;
	enum cfg_job		 job_kind;
	char			*job_stamp;
	char			*open;		/* a file to open once planned */
};

static const char *const configs_help[] = {
	"Every file notspam manages: in sync, changes pending (the edits the",
	"plan makes), unreadable, or invalid (it does not parse).  Below: the",
	"steps, checkers and reloads of the plan, what it offers and what it",
	"cannot plan.",
	"",
	"Up Down j k  move            Enter  the file's edits and diff",
	"A            apply: check the files, back them up, write, reload",
	"             (under --root: written under the root, nothing reloaded)",
	"b            the backups; Enter on one restores it",
	"In the diff: Up Down PgUp PgDn Home End scroll; Esc back.",
	"Esc q Left   back",
	NULL
};

/* ---- The plan for the site. ---- */

static void
cfgplan_make(struct cfgplan *cp)
{
	struct plan_opts po;
	char *cause = NULL;
	size_t i;

	memset(&po, 0, sizeof po);
	po.ptrs = cp->dns != NULL ? &cp->ptrs : NULL;
	if ((cp->plan = plan_make(cp->app->site, &po, &cause)) == NULL) {
		cp->plan = plan_new(cp->app->site);
		plan_none(cp->plan, "%s", cause);
		free(cause);
	}
	if (cp->dns == NULL)
		plan_note(cp->plan, "the PTR names are unknown (%s): the HELO "
		    "name is left as it is", cp->app->dns_error != NULL ?
		    cp->app->dns_error : "no resolver");
	for (i = 0; i < cp->plan->nfiles; i++)
		if (strv_find(&cfg_seen, cp->plan->files[i].path) == -1)
			strv_add(&cfg_seen, cp->plan->files[i].path);
	cp->gen = ++cfg_gen;
	cp->app->dirty = 1;
}

/* Poll the PTR answers; plan once they are all in. */
static void
cfgplan_poll(void *arg)
{
	struct cfgplan *cp = arg;

	cp->timer = 0;
	if (cp->ptrs.pending > 0) {
		cp->timer = loop_timer_add(cp->app->loop, CFG_POLL_MS,
		    cfgplan_poll, cp);
		return;
	}
	cfgplan_make(cp);
}

const struct plan *
configs_plan(struct app *app)
{
	struct cfgplan *cp = app->cfgplan;
	char *cause = NULL;

	if (cp != NULL)
		return cp->plan;
	cp = app->cfgplan = xcalloc(1, sizeof *cp);
	cp->app = app;
	if (app->dns != NULL &&
	    (cp->dns = session_dns_new(app->session, &cause)) == NULL)
		free(cause);
	if (cp->dns == NULL) {
		cfgplan_make(cp);
		return cp->plan;
	}
	plan_ptrs_lookup(&cp->ptrs, cp->dns, app->site);
	cfgplan_poll(cp);
	return cp->plan;
}

void
configs_plan_drop(struct app *app)
{
	struct cfgplan *cp = app->cfgplan;

	if (cp == NULL)
		return;
	if (cp->timer != 0)
		loop_timer_cancel(app->loop, cp->timer);
	dns_free(cp->dns);
	plan_ptrs_free(&cp->ptrs);
	plan_free(cp->plan);
	free(cp);
	app->cfgplan = NULL;
}

/* Split "path:line: ..." (the warning's own file and line); 0 on none. */
static int
warning_where(const char *text, char **path, size_t *line)
{
	const char *p, *colon;
	char *end;
	unsigned long v;

	for (p = text; (colon = strchr(p, ':')) != NULL; p = colon + 1) {
		if (colon[1] < '0' || colon[1] > '9')
			continue;
		v = strtoul(colon + 1, &end, 10);
		if (*end != ':' || colon == text)
			continue;
		*path = xstrndup(text, (size_t)(colon - text));
		*line = v;
		return 1;
	}
	return 0;
}

unsigned
configs_plan_gen(struct app *app)
{
	return configs_plan(app) != NULL ? app->cfgplan->gen : 0;
}

char *
configs_fixes(struct app *app, const char *warning)
{
	const struct plan *p = configs_plan(app);
	const struct plan_file *f;
	char *path;
	size_t line;

	if (p == NULL || !warning_where(warning, &path, &line))
		return NULL;
	f = plan_fixing(p, path, line, warning);
	free(path);
	return f != NULL ? xstrdup(f->path) : NULL;
}

/* ---- The rows. ---- */

static void
rows_free(struct configview *cv)
{
	size_t i;

	for (i = 0; i < cv->nrows; i++) {
		free(cv->rows[i].path);
		free(cv->rows[i].detail);
	}
	free(cv->rows);
	cv->rows = NULL;
	cv->nrows = 0;
}

static struct cfgrow *
row_add(struct configview *cv, const char *path)
{
	struct cfgrow *r;
	size_t i;

	for (i = 0; i < cv->nrows; i++)
		if (strcmp(cv->rows[i].path, path) == 0)
			return NULL;
	cv->rows = xgrow(cv->rows, cv->nrows, sizeof *cv->rows);
	r = &cv->rows[cv->nrows++];
	memset(r, 0, sizeof *r);
	r->path = xstrdup(path);
	return r;
}

/* A file not in the plan: unreadable, invalid, else in sync. */
static void
row_probe(struct app *app, struct cfgrow *r)
{
	switch (plan_file_state(app->site, r->path, &r->detail)) {
	case PLAN_FILE_UNREADABLE:
		r->state = CFG_UNREADABLE;
		break;
	case PLAN_FILE_INVALID:
		r->state = CFG_INVALID;
		break;
	default:
		r->state = CFG_SYNC;
		break;
	}
}

/* (Re)build the rows from the plan: its files, the programs' own config
 * files, and the files earlier plans edited. */
static void
rows_build(struct configview *cv, const struct plan *p)
{
	struct app *app = cv->app;
	struct cfgrow *r;
	size_t i;

	rows_free(cv);
	for (i = 0; i < p->nfiles; i++) {
		if ((r = row_add(cv, p->files[i].path)) == NULL)
			continue;
		r->f = &p->files[i];
		r->state = plan_file_changed(r->f) ? CFG_PENDING : CFG_SYNC;
	}
	for (i = 0; i < app->site->nprograms; i++)
		if (app->site->programs[i].config != NULL &&
		    (r = row_add(cv, app->site->programs[i].config)) != NULL)
			row_probe(app, r);
	for (i = 0; i < cfg_seen.n; i++)
		if ((r = row_add(cv, cfg_seen.v[i])) != NULL)
			row_probe(app, r);
	cv->built = app->cfgplan->gen;
}

/* Pushed with a path: once the rows exist, the cursor on its row and its
 * diff open. */
static void
rows_open(struct configview *cv)
{
	size_t i;

	if (cv->open == NULL)
		return;
	for (i = 0; i < cv->nrows; i++)
		if (strcmp(cv->rows[i].path, cv->open) == 0) {
			cv->cur = (int)i;
			cv->drow = i;
			cv->dtop = 0;
			cv->dcols = 0;
			cv->mode = MODE_DIFF;
			break;
		}
	free(cv->open);
	cv->open = NULL;
}

/* ---- Enter and leave. ---- */

static void *
configs_enter(struct app *app, const void *arg)
{
	struct configview *cv = xcalloc(1, sizeof *cv);

	cv->app = app;
	if (arg != NULL)
		cv->open = xstrdup(arg);
	strv_init(&cv->lines);
	configs_plan(app);
	return cv;
}

static void
diff_free(struct configview *cv)
{
	strv_free(&cv->lines);
	strv_init(&cv->lines);
	free(cv->roles);
	cv->roles = NULL;
	cv->dcols = 0;
}

static void
configs_leave(struct app *app, void *state)
{
	struct configview *cv = state;

	(void)app;
	if (cv->job != NULL)
		proc_cancel(cv->job);
	diff_free(cv);
	rows_free(cv);
	backup_list_free(cv->bk, cv->nbk);
	free(cv->job_stamp);
	free(cv->open);
	free(cv);
}

/* ---- Drawing. ---- */

static const char *
state_word(const struct cfgrow *r, char *buf, size_t len)
{
	switch (r->state) {
	case CFG_SYNC:
		return "in sync";
	case CFG_PENDING:
		snprintf(buf, len, "changes pending (%zu edit%s)", r->f->nedits,
		    r->f->nedits == 1 ? "" : "s");
		return buf;
	case CFG_UNREADABLE:
		return "unreadable";
	case CFG_INVALID:
		return "invalid";
	}
	return "?";
}

static enum tui_role
state_role(enum cfg_state s)
{
	switch (s) {
	case CFG_SYNC:
		return ROLE_OK;
	case CFG_PENDING:
		return ROLE_WARN;
	default:
		return ROLE_FAIL;
	}
}

/* The title line, with what runs now. */
static void
draw_title(struct configview *cv, int cols, const char *what)
{
	const char *root = cv->app->site->root;

	tui_fill(0, 0, cols, ROLE_TITLE);
	tui_putf(0, 0, cols, ROLE_TITLE, " Configs  %s%s%s%s", what,
	    root != NULL ? "  --root " : "", root != NULL ? root : "",
	    cv->job == NULL ? "" : cv->job_kind == JOB_APPLY ?
	    "  applying..." : "  restoring...");
}

/* One line of the plan below the files; returns the next y. */
static int
plan_line(int y, int rows, int cols, const char *label, const char *text)
{
	if (y >= rows - 1)
		return y;
	tui_put(y, 1, 9, ROLE_HEADER, label);
	tui_put(y, 11, cols - 12, ROLE_NORMAL, text);
	return y + 1;
}

static char *
argv_line(const struct strv *argv)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < argv->n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", argv->v[i]);
	buf_addc(&b, '\0');
	return buf_steal(&b);
}

/* The plan's steps, reloads, offers, "no plan" reasons and notes. */
static void
draw_plan_rest(const struct plan *p, int y, int rows, int cols)
{
	size_t i, nfiles = plan_changed_files(p);
	char *s;

	for (i = 0; i < p->nsteps && nfiles > 0; i++) {
		s = argv_line(&p->steps[i].argv);
		y = plan_line(y, rows, cols, "step", s);
		free(s);
	}
	for (i = 0; i < p->nchecks && nfiles > 0; i++) {
		s = argv_line(&p->checks[i].argv);
		y = plan_line(y, rows, cols, "check", s);
		free(s);
	}
	for (i = 0; i < p->nreloads && nfiles > 0; i++) {
		if (p->reloads[i].argv.n > 0)
			s = argv_line(&p->reloads[i].argv);
		else
			s = xasprintf("%s %s: %s", p->reloads[i].restart ?
			    "restart" : "reload",
			    plan_backend_name(p->reloads[i].backend),
			    p->reloads[i].why);
		y = plan_line(y, rows, cols, "then", s);
		free(s);
	}
	for (i = 0; i < p->noffers; i++) {
		s = xasprintf("%s (set \"%s\" in notspam.conf): %s",
		    p->offers[i].what, p->offers[i].setting,
		    p->offers[i].reason);
		y = plan_line(y, rows, cols, "offered", s);
		free(s);
	}
	for (i = 0; i < p->none.n; i++) {
		s = xasprintf("no plan because %s", p->none.v[i]);
		y = plan_line(y, rows, cols, "no plan", s);
		free(s);
	}
	for (i = 0; i < p->notes.n; i++)
		y = plan_line(y, rows, cols, "note", p->notes.v[i]);
}

static void
draw_files(struct configview *cv, const struct plan *p, int rows, int cols)
{
	char buf[64];
	size_t i, n = plan_changed_files(p);
	int y, wp = 8, sel;

	draw_title(cv, cols, n > 0 ? "changes pending" : "in sync");
	for (i = 0; i < cv->nrows; i++)
		if (tui_width(cv->rows[i].path) > wp)
			wp = tui_width(cv->rows[i].path);
	if (wp > cols / 2)
		wp = cols / 2;
	tui_put(1, 1, wp, ROLE_HEADER, "File");
	tui_put(1, wp + 3, cols - wp - 4, ROLE_HEADER, "State");
	cv->vis = (int)cv->nrows;
	if (cv->vis > rows - 6)
		cv->vis = rows - 6;
	list_fix(&cv->cur, &cv->top, (int)cv->nrows, cv->vis);
	for (i = (size_t)cv->top, y = 2; i < cv->nrows && y < 2 + cv->vis;
	    i++, y++) {
		const struct cfgrow *r = &cv->rows[i];
		sel = (int)i == cv->cur;
		if (sel)
			tui_fill(y, 0, cols, ROLE_CURSOR);
		tui_put(y, 1, wp, sel ? ROLE_CURSOR : ROLE_NORMAL, r->path);
		tui_put(y, wp + 3, cols - wp - 4, sel ? ROLE_CURSOR :
		    state_role(r->state), state_word(r, buf, sizeof buf));
	}
	y++;
	if (n == 0 && p->none.n == 0 && y < rows - 1)
		tui_put(y++, 1, cols - 2, ROLE_OK, "nothing to do: the "
		    "configuration is what the site needs");
	else if (n > 0 && y < rows - 1)
		tui_putf(y++, 1, cols - 2, ROLE_NORMAL, "%zu file%s to change, "
		    "%zu edit%s: A applies them", n, n == 1 ? "" : "s",
		    plan_nedits(p), plan_nedits(p) == 1 ? "" : "s");
	draw_plan_rest(p, y, rows, cols);
	if (cv->nrows > 0 && cv->rows[cv->cur].detail != NULL)
		tui_put(rows - 1, 1, cols - 2, ROLE_FAIL,
		    cv->rows[cv->cur].detail);
}

/* Sorted like cli_apply's: by line, stable. */
static int
edit_cmp(const void *a, const void *b)
{
	const struct plan_edit *x = *(const struct plan_edit *const *)a;
	const struct plan_edit *y = *(const struct plan_edit *const *)b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x < y ? -1 : x > y;
}

static void
diff_add(struct configview *cv, enum tui_role role, const char *text,
    int hang)
{
	size_t first = cv->lines.n, i;

	tui_wrap(text, cv->dcols - 2, hang, 0, &cv->lines);
	if (cv->lines.n == first)
		strv_add(&cv->lines, "");
	cv->roles = xreallocarray(cv->roles, cv->lines.n, sizeof *cv->roles);
	for (i = first; i < cv->lines.n; i++)
		cv->roles[i] = role;
}

/* The role of a line of a unified diff: never the only sign (the + and -
 * stay). */
static enum tui_role
diff_role(const char *line)
{
	if (strncmp(line, "+++", 3) == 0 || strncmp(line, "---", 3) == 0)
		return ROLE_HEADER;
	if (line[0] == '+')
		return ROLE_OK;
	if (line[0] == '-')
		return ROLE_FAIL;
	if (strncmp(line, "@@", 2) == 0)
		return ROLE_DIM;
	return ROLE_NORMAL;
}

/* The lines of row r's view for this width: edits with reasons, the
 * file's warnings, the diff. */
static void
diff_build(struct configview *cv, const struct cfgrow *r, int cols)
{
	const struct plan_file *f = r->f;
	const struct plan_edit **order;
	struct strv dl;
	char *s, *diff;
	size_t i;

	diff_free(cv);
	cv->dcols = cols;
	if (f == NULL || !plan_file_changed(f)) {
		diff_add(cv, state_role(r->state), r->detail != NULL ?
		    r->detail : "in sync: the plan changes nothing here", 0);
		return;
	}
	for (i = 0; i < f->warnings.n; i++) {
		s = xasprintf("warning: %s", f->warnings.v[i]);
		diff_add(cv, ROLE_WARN, s, 9);
		free(s);
	}
	order = xcalloc(f->nedits + 1, sizeof *order);
	for (i = 0; i < f->nedits; i++)
		order[i] = &f->edits[i];
	qsort(order, f->nedits, sizeof *order, edit_cmp);
	for (i = 0; i < f->nedits; i++) {
		s = xasprintf("line %zu%s: %s", order[i]->line,
		    order[i]->before == NULL ? " (added)" :
		    order[i]->after == NULL ? " (removed)" : "",
		    order[i]->reason);
		diff_add(cv, ROLE_NORMAL, s, 2);
		free(s);
	}
	free(order);
	diff_add(cv, ROLE_NORMAL, "", 0);
	diff = plan_file_diff(f);
	strv_init(&dl);
	str_split(diff, "\n", &dl);
	for (i = 0; i < dl.n; i++)
		diff_add(cv, diff_role(dl.v[i]), dl.v[i], 1);
	strv_free(&dl);
	free(diff);
}

static void
draw_diff(struct configview *cv, int rows, int cols)
{
	const struct cfgrow *r = &cv->rows[cv->drow];
	int n, max;
	char *mark;

	if (cv->dcols != cols)
		diff_build(cv, r, cols);
	tui_fill(0, 0, cols, ROLE_TITLE);
	if (r->f != NULL)
		tui_putf(0, 0, cols, ROLE_TITLE, " %s  (%s%s, %zu change%s)",
		    r->path, plan_backend_name(r->f->backend), r->f->exists ?
		    "" : ", new file", r->f->nedits, r->f->nedits == 1 ? "" :
		    "s");
	else
		tui_putf(0, 0, cols, ROLE_TITLE, " %s", r->path);
	cv->dvis = rows - 2 > 1 ? rows - 2 : 1;
	max = (int)cv->lines.n - cv->dvis;
	if (cv->dtop > max)
		cv->dtop = max;
	if (cv->dtop < 0)
		cv->dtop = 0;
	for (n = 0; n < cv->dvis && cv->dtop + n < (int)cv->lines.n; n++)
		tui_put(1 + n, 1, cols - 2, cv->roles[cv->dtop + n],
		    cv->lines.v[cv->dtop + n]);
	mark = xasprintf("lines %d-%d of %zu  %s PgUp PgDn Home End scroll",
	    cv->lines.n > 0 ? cv->dtop + 1 : 0, cv->dtop + n, cv->lines.n,
	    tui_utf8() ? "\xe2\x86\x91\xe2\x86\x93" : "Up Down");
	tui_put(rows - 1, 1, cols - 2, ROLE_DIM, mark);
	free(mark);
}

static const char *
now_word(enum manifest_now now)
{
	switch (now) {
	case MANIFEST_NOW_AFTER:
		return "as written then";
	case MANIFEST_NOW_BEFORE:
		return "as before it";
	case MANIFEST_NOW_CHANGED:
		return "changed since";
	default:
		return "unreadable";
	}
}

static void
draw_backups(struct configview *cv, int rows, int cols)
{
	const struct manifest *m;
	size_t i;
	int y, sel;

	draw_title(cv, cols, "backups");
	tui_put(1, 1, 20, ROLE_HEADER, "Backup");
	tui_put(1, 22, 12, ROLE_HEADER, "Kind");
	tui_put(1, 35, 12, ROLE_HEADER, "State");
	tui_put(1, 48, cols - 49, ROLE_HEADER, "Files");
	if (cv->nbk == 0) {
		tui_put(2, 1, cols - 2, ROLE_NORMAL, "no backup yet: apply "
		    "makes one before it writes");
		return;
	}
	cv->bvis = (int)cv->nbk;
	if (cv->bvis > (rows - 4) / 2)
		cv->bvis = (rows - 4) / 2;
	list_fix(&cv->bcur, &cv->btop, (int)cv->nbk, cv->bvis);
	for (i = (size_t)cv->btop, y = 2; i < cv->nbk && y < 2 + cv->bvis;
	    i++, y++) {
		m = cv->bk[i];
		sel = (int)i == cv->bcur;
		if (sel)
			tui_fill(y, 0, cols, ROLE_CURSOR);
		tui_put(y, 1, 20, sel ? ROLE_CURSOR : ROLE_NORMAL, m->stamp);
		tui_put(y, 22, 12, sel ? ROLE_CURSOR : ROLE_NORMAL, m->kind);
		tui_put(y, 35, 12, sel ? ROLE_CURSOR : ROLE_NORMAL,
		    m->state != NULL ? m->state : "?");
		tui_putf(y, 48, cols - 49, sel ? ROLE_CURSOR : ROLE_NORMAL,
		    "%zu file%s", m->nfiles, m->nfiles == 1 ? "" : "s");
	}
	m = cv->bk[cv->bcur];
	y++;
	for (i = 0; i < m->nfiles && y < rows - 1; i++, y++) {
		tui_put(y, 1, cols / 2, ROLE_NORMAL, m->files[i].path);
		tui_put(y, cols / 2 + 2, cols - cols / 2 - 3,
		    m->files[i].now == MANIFEST_NOW_CHANGED ||
		    m->files[i].now == MANIFEST_NOW_UNREADABLE ? ROLE_WARN :
		    ROLE_NORMAL, now_word(m->files[i].now));
	}
}

/* The question before apply or restore, over the screen it came from. */
static void
draw_confirm(struct configview *cv, const struct plan *p, int rows, int cols)
{
	struct strv say;
	size_t i;
	int w = cols - 8 > 76 ? 76 : cols - 8, h, y, x;

	strv_init(&say);
	if (cv->confirm == JOB_APPLY) {
		strv_addf(&say, "Write these %zu file%s%s?",
		    plan_changed_files(p), plan_changed_files(p) == 1 ? "" :
		    "s", cv->app->site->root != NULL ?
		    " under --root (nothing is reloaded)" : ", then reload");
		for (i = 0; i < p->nfiles; i++)
			if (plan_file_changed(&p->files[i]))
				strv_addf(&say, "  %s (%zu edit%s)",
				    p->files[i].path, p->files[i].nedits,
				    p->files[i].nedits == 1 ? "" : "s");
		strv_add(&say, "Each is checked first and backed up.");
	} else {
		const struct manifest *m = cv->bk[cv->bcur];
		strv_addf(&say, "Restore backup %s (%s)?", m->stamp, m->kind);
		for (i = 0; i < m->nfiles; i++)
			strv_addf(&say, "  %s", m->files[i].path);
	}
	strv_add(&say, "");
	strv_add(&say, "y: yes   any other key: no");
	h = (int)say.n + 2;
	if (h > rows)
		h = rows;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	tui_box(y, x, h, w, cv->confirm == JOB_APPLY ? "apply" : "restore");
	for (i = 0; i < say.n && (int)i < h - 2; i++)
		tui_put(y + 1 + (int)i, x + 2, w - 4, i + 1 == say.n ?
		    ROLE_HEADER : ROLE_NORMAL, say.v[i]);
	strv_free(&say);
}

static void
configs_draw(struct app *app, void *state, int rows, int cols)
{
	struct configview *cv = state;
	const struct plan *p = configs_plan(app);

	if (p == NULL) {
		draw_title(cv, cols, "");
		tui_put(2, 1, cols - 2, ROLE_PENDING, "planning: asking the "
		    "PTR records of the public addresses...");
		return;
	}
	if (cv->built != app->cfgplan->gen) {
		rows_build(cv, p);
		if (cv->mode == MODE_DIFF)
			cv->dcols = 0;		/* rebuilt from the new plan */
		rows_open(cv);
	}
	switch (cv->mode) {
	case MODE_DIFF:
		if (cv->drow < cv->nrows) {
			draw_diff(cv, rows, cols);
			return;
		}
		cv->mode = MODE_FILES;
		/* FALLTHROUGH */
	case MODE_FILES:
		draw_files(cv, p, rows, cols);
		return;
	case MODE_BACKUPS:
		draw_backups(cv, rows, cols);
		return;
	case MODE_CONFIRM:
		if (cv->back == MODE_BACKUPS)
			draw_backups(cv, rows, cols);
		else
			draw_files(cv, p, rows, cols);
		draw_confirm(cv, p, rows, cols);
		return;
	}
}

/* ---- Re-reading the site. ---- */

/* The files changed: read the site again, plan again, check again. */
static void
configs_site_reload(struct app *app)
{
	struct site *s;
	char *cause = NULL;

	if ((s = site_load(app->opts->root, app->opts->config,
	    &cause)) == NULL) {
		app_message(app, "the site cannot be read again: %s", cause);
		free(cause);
		return;
	}
	configs_plan_drop(app);
	check_free(app->run);		/* it borrows the site */
	app->run = NULL;
	site_free(app->session->site);
	app->session->site = app->site = s;
	app_recheck(app);
	configs_plan(app);
}

/* ---- The children. ---- */

/* A report line by line, each line as the child writes it. */
static void
report_add(struct buf *b, const char *label, const char *text)
{
	buf_printf(b, "%s%s%s\n", label, *label != '\0' ? " " : "",
	    text != NULL ? text : "");
}

/* The child's work: apply the plan; the report goes to stdout: "ok
 * WRITTEN STAMP" or "fail", then the lines to show. */
static int
apply_child(void *arg)
{
	struct app *app = arg;
	const struct plan *p = app->cfgplan->plan;
	const struct txn_report *r;
	struct apply_opts ao;
	struct apply_result res;
	struct buf b;
	char *cause = NULL;
	size_t i;
	int rc;

	memset(&ao, 0, sizeof ao);
	rc = apply_commit(p, app->site->root, &ao, &res, &cause);
	r = &res.report;
	buf_init(&b);
	if (rc == 0)
		buf_printf(&b, "ok %zu %s\n", r->nwritten, r->stamp != NULL ?
		    r->stamp : "-");
	else
		buf_printf(&b, "fail\n");
	if (rc != 0)
		report_add(&b, "", cause);
	for (i = 0; i < r->nchecks; i++) {
		const struct txn_check_result *c = &r->checks[i];
		report_add(&b, c->failed ? "refused" : "checked", c->name);
		if (c->failed && c->out != NULL && *c->out != '\0')
			report_add(&b, "", c->out);
		if (c->failed && c->err != NULL && *c->err != '\0')
			report_add(&b, "", c->err);
	}
	for (i = 0; i < res.skipped.n; i++)
		report_add(&b, "skipped", res.skipped.v[i]);
	for (i = 0; i < res.ran.n; i++)
		report_add(&b, "ran", res.ran.v[i]);
	if (r->rolled_back)
		report_add(&b, "restored", "every file was put back as it was");
	if (r->rollback_error != NULL)
		report_add(&b, "error", r->rollback_error);
	if (r->restore_error != NULL)
		report_add(&b, "error", r->restore_error);
	if (write(STDOUT_FILENO, b.data, b.len) != (ssize_t)b.len)
		rc = -1;
	buf_free(&b);
	free(cause);
	apply_result_free(&res);
	return rc == 0 ? 0 : 1;
}

/* The child's work: restore cv->job_stamp; "ok" or "fail", then lines. */
static int
restore_child(void *arg)
{
	struct configview *cv = arg;
	struct backup_opts bo;
	struct backup_result res;
	struct buf b;
	char *cause = NULL;
	size_t i;
	int rc;

	memset(&bo, 0, sizeof bo);
	bo.root = cv->app->site->root;
	bo.settings = cv->app->site->settings;
	memset(&res, 0, sizeof res);
	rc = backup_restore(&bo, cv->job_stamp, &res, &cause);
	buf_init(&b);
	buf_printf(&b, "%s %zu %s\n", rc == 0 ? "ok" : "fail", res.nfiles,
	    res.report.stamp != NULL ? res.report.stamp : "-");
	if (rc != 0)
		report_add(&b, "", cause);
	for (i = 0; i < res.nfiles; i++)
		report_add(&b, res.files[i].action == BACKUP_RESTORED ?
		    "restored" : res.files[i].action == BACKUP_REMOVED ?
		    "removed" : res.files[i].action == BACKUP_SECRET ?
		    "left (key)" : "unchanged", res.files[i].path);
	for (i = 0; i < res.reloaded.n; i++)
		report_add(&b, "ran", res.reloaded.v[i]);
	if (write(STDOUT_FILENO, b.data, b.len) != (ssize_t)b.len)
		rc = -1;
	buf_free(&b);
	free(cause);
	backup_result_free(&res);
	return rc == 0 ? 0 : 1;
}

/* The report's lines after the first, in a box. */
static void
report_show(struct app *app, const char *title, const char *text)
{
	struct strv l;
	size_t i;

	app_dialog(app, title);
	strv_init(&l);
	str_split(text, "\n", &l);
	for (i = 0; i < l.n; i++)
		app_dialog_add(app, 2, 0, l.v[i]);
	strv_free(&l);
}

static void backups_read(struct configview *);

/* The child is done (from the loop): say what happened, read again. */
static void
job_done(struct proc_result *pr, void *arg)
{
	struct configview *cv = arg;
	struct app *app = cv->app;
	enum cfg_job kind = cv->job_kind;
	const char *rest = strchr(pr->out, '\n');
	char stamp[64] = "-";
	size_t n = 0;
	int ok;

	cv->job = NULL;
	cv->job_kind = JOB_NONE;
	ok = pr->status == 0 && sscanf(pr->out, "ok %zu %63s", &n,
	    stamp) == 2;
	rest = rest != NULL ? rest + 1 : "";
	if (!ok) {
		report_show(app, kind == JOB_APPLY ? "apply failed" :
		    "restore failed", *rest != '\0' ? rest : *pr->err != '\0' ?
		    pr->err : "the child ended without a report");
	} else if (kind == JOB_APPLY)
		app_message(app, "applied: %zu file%s written, backup %s; "
		    "b lists the backups", n, n == 1 ? "" : "s", stamp);
	else
		app_message(app, "restored %s: %zu file%s", cv->job_stamp, n,
		    n == 1 ? "" : "s");
	configs_site_reload(app);
	if (cv->mode == MODE_BACKUPS)
		backups_read(cv);
	app->dirty = 1;
}

static void
job_start(struct configview *cv, enum cfg_job kind)
{
	struct proc_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	if (kind == JOB_APPLY)
		cv->job = proc_start_fn(cv->app->loop, "apply", apply_child,
		    cv->app, &o, job_done, cv, &cause);
	else
		cv->job = proc_start_fn(cv->app->loop, "restore",
		    restore_child, cv, &o, job_done, cv, &cause);
	if (cv->job == NULL) {
		app_message(cv->app, "%s", cause);
		free(cause);
		return;
	}
	cv->job_kind = kind;
	app_message(cv->app, "%s...", kind == JOB_APPLY ? "applying" :
	    "restoring");
}

/* ---- Keys. ---- */

static void
backups_read(struct configview *cv)
{
	char *cause = NULL;

	backup_list_free(cv->bk, cv->nbk);
	cv->bk = NULL;
	cv->nbk = 0;
	if (backup_list(cv->app->site->root, NULL, &cv->bk, &cv->nbk, NULL,
	    &cause) != 0) {
		app_message(cv->app, "%s", cause);
		free(cause);
	}
	cv->bcur = cv->nbk > 0 ? (int)cv->nbk - 1 : 0;	/* the newest */
}

static int
confirm_key(struct configview *cv, int key)
{
	enum cfg_job what = cv->confirm;

	cv->mode = cv->back;
	cv->confirm = JOB_NONE;
	if (key != 'y' && key != 'Y') {
		app_message(cv->app, "nothing written");
		return KEY_HANDLED;
	}
	if (what == JOB_RESTORE) {
		free(cv->job_stamp);
		cv->job_stamp = xstrdup(cv->bk[cv->bcur]->stamp);
	}
	job_start(cv, what);
	return KEY_HANDLED;
}

static int
diff_key(struct configview *cv, int key)
{
	int page = cv->dvis > 1 ? cv->dvis - 1 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		cv->dtop--;
		break;
	case KEY_DOWN:
	case 'j':
		cv->dtop++;
		break;
	case KEY_PPAGE:
		cv->dtop -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		cv->dtop += page;
		break;
	case KEY_HOME:
	case 'g':
		cv->dtop = 0;
		break;
	case KEY_END:
	case 'G':
		cv->dtop = (int)cv->lines.n;	/* draw clamps */
		break;
	case 27:
	case 'q':
	case KEY_LEFT:
	case KEY_BACKSPACE:
		cv->mode = MODE_FILES;
		diff_free(cv);
		break;
	default:
		return 0;
	}
	return KEY_HANDLED;
}

static int
backups_key(struct configview *cv, int key)
{
	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (cv->nbk == 0)
			return KEY_HANDLED;
		if (cv->job != NULL) {
			app_message(cv->app, "wait: %s is running",
			    cv->job_kind == JOB_APPLY ? "an apply" :
			    "a restore");
			return KEY_HANDLED;
		}
		cv->back = MODE_BACKUPS;
		cv->confirm = JOB_RESTORE;
		cv->mode = MODE_CONFIRM;
		return KEY_HANDLED;
	case 27:
	case 'q':
	case KEY_LEFT:
	case KEY_BACKSPACE:
	case 'b':
		cv->mode = MODE_FILES;
		return KEY_HANDLED;
	}
	return list_key(key, &cv->bcur, &cv->btop, (int)cv->nbk, cv->bvis) ?
	    KEY_HANDLED : 0;
}

static int
configs_key(struct app *app, void *state, int key)
{
	struct configview *cv = state;
	const struct plan *p = configs_plan(app);

	switch (cv->mode) {
	case MODE_CONFIRM:
		return confirm_key(cv, key);
	case MODE_DIFF:
		if (key != 'A' && key != 'b')
			return diff_key(cv, key);
		cv->mode = MODE_FILES;		/* the list's A and b */
		diff_free(cv);
		break;
	case MODE_BACKUPS:
		return backups_key(cv, key);
	case MODE_FILES:
		break;
	}
	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (p == NULL || cv->nrows == 0)
			return KEY_HANDLED;
		cv->drow = (size_t)cv->cur;
		cv->dtop = 0;
		cv->dcols = 0;
		cv->mode = MODE_DIFF;
		return KEY_HANDLED;
	case 'A':
		if (cv->job != NULL)
			app_message(app, "wait: %s is running",
			    cv->job_kind == JOB_APPLY ? "an apply" :
			    "a restore");
		else if (p == NULL)
			app_message(app, "the plan is not made yet");
		else if (plan_changed_files(p) == 0)
			app_message(app, "nothing to apply: every file is in "
			    "sync");
		else {
			cv->back = MODE_FILES;
			cv->confirm = JOB_APPLY;
			cv->mode = MODE_CONFIRM;
		}
		return KEY_HANDLED;
	case 'b':
		backups_read(cv);
		cv->mode = MODE_BACKUPS;
		return KEY_HANDLED;
	case 27:
	case 'q':
	case KEY_LEFT:
	case KEY_BACKSPACE:
		if (cv->job != NULL) {
			app_message(app, "wait: %s is running",
			    cv->job_kind == JOB_APPLY ? "the apply" :
			    "the restore");
			return KEY_HANDLED;
		}
		return 0;
	}
	return list_key(key, &cv->cur, &cv->top, (int)cv->nrows, cv->vis) ?
	    KEY_HANDLED : 0;
}

const struct screen screen_configs = {
	"configs", configs_enter, configs_draw, configs_key, configs_leave,
	" Enter diff  A apply  b backups  ? help  Esc back",
	configs_help
};
