/* doctorview.c: the Doctor screen (x): why mail leaves unsigned or is
 * refused (core/doctor/doctor.h), one row per finding with its severity
 * and id; Enter shows what was seen, why and the fix, and where apply's
 * plan fixes it, Enter again opens that file's diff on the Configs screen,
 * whose A applies it: the same preview and transaction as everywhere.
 * The keys the signers use are asked of the DNS on the console's loop
 * (key-dns-mismatch once the answers are in; the screen never waits). */
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply/plan.h"
#include "core/dns/dns.h"
#include "core/doctor/doctor.h"
#include "core/keys/keys.h"
#include "core/lib/util.h"
#include "core/site/session.h"
#include "ui/app.h"
#include "ui/tui.h"

struct doctorview {
	struct app	*app;
	struct doctor	*d;
	unsigned	 gen;		/* the plan's, when d was made */
	const struct site *site;	/* the app's, when d was made */
	const struct listen_report *probe; /* the app's probes d has */
	int		 cur, top, vis;
	/* The keys asked of the DNS: its own resolver, freed (cancelling
	 * its queries) before the list. */
	struct keys_list *keys;
	struct dns	*dns;
	char		*dns_why;	/* why the DNS is not asked, or NULL */
	int		 dns_in;	/* every answer is in, not in d yet */
	int		 dns_done;	/* and d has them */
};

static const char *const doctor_help[] = {
	"Why mail leaves unsigned or is refused, cause by cause: FAIL when it",
	"does now, WARN when it will once something else fails.  Each finding",
	"has what was seen (the configuration lines, with file and line), why",
	"the MTA or the receivers behave so, and the fix.",
	"",
	"Up Down j k  move              Enter  what was seen, why, the fix;",
	"                                      Enter again: the plan that fixes",
	"                                      it (Configs: A applies it)",
	"Esc q Left   back",
	NULL
};

static enum tui_role
sev_role(enum doctor_sev s)
{
	return s == DOCTOR_FAIL ? ROLE_FAIL : s == DOCTOR_WARN ? ROLE_WARN :
	    ROLE_NORMAL;
}

/* A DNS answer came (from the loop): the findings take them once all
 * are in; redraw. */
static void
dv_dns_answer(void *arg)
{
	struct doctorview *dv = arg;

	if (keys_probe_done(dv->keys))
		dv->dns_in = 1;
	dv->app->dirty = 1;
}

static void
dv_dns_stop(struct doctorview *dv)
{
	keys_probe_stop(dv->keys);	/* answers of a freed resolver */
	dns_free(dv->dns);
	dv->dns = NULL;
	keys_list_free(dv->keys);
	dv->keys = NULL;
	free(dv->dns_why);
	dv->dns_why = NULL;
	dv->dns_in = dv->dns_done = 0;
}

/* Ask the DNS for the keys the signers use (notspam doctor does it
 * too), on the loop. */
static void
dv_dns_start(struct doctorview *dv)
{
	char *cause = NULL;

	dv_dns_stop(dv);
	if ((dv->keys = keys_list_new(dv->app->site, &cause)) == NULL) {
		free(cause);
		return;
	}
	if (dv->keys->n == 0) {
		dv->dns_in = 1;
		return;
	}
	if (dv->app->dns == NULL || (dv->dns = session_dns_new(
	    dv->app->session, &cause)) == NULL) {
		dv->dns_why = xasprintf("the DNS was not asked whether the "
		    "keys are published: %s", cause != NULL ? cause :
		    dv->app->dns_error != NULL ? dv->app->dns_error :
		    "no resolver");
		free(cause);
		return;
	}
	keys_probe(dv->keys, dv->dns, dv_dns_answer, dv);
}

/* The findings again when the site or its plan changed (an apply), new
 * probes came in (the app probes on every recheck, r), or the DNS
 * answered. */
static void
dv_refresh(struct doctorview *dv)
{
	const struct plan *p = configs_plan(dv->app);
	unsigned gen = configs_plan_gen(dv->app);
	int site = dv->app->site != dv->site;

	if (dv->d != NULL && gen == dv->gen && !site &&
	    dv->app->probe == dv->probe && !(dv->dns_in && !dv->dns_done))
		return;
	if (dv->d == NULL || site || gen != dv->gen) {
		/* The keys may be others after an apply. */
		dv->site = dv->app->site;
		dv_dns_start(dv);
	}
	doctor_free(dv->d);
	/* Not the journal: journalctl would block the console's loop (the
	 * files are read, bounded); notspam doctor reads it. */
	dv->d = doctor_make(dv->app->site, p, dv->app->probe, 0);
	if (dv->dns_in && dv->keys != NULL) {
		doctor_keys_dns(dv->d, dv->keys);
		dv->dns_done = 1;
	} else if (dv->dns_why != NULL)
		strv_add(&dv->d->notes, dv->dns_why);
	else if (dv->keys != NULL && dv->dns != NULL)
		strv_add(&dv->d->notes, "asking the DNS whether the keys the "
		    "signers use are published");
	dv->gen = gen;
	dv->probe = dv->app->probe;
}

static void *
doctor_enter(struct app *app, const void *arg)
{
	struct doctorview *dv = xcalloc(1, sizeof *dv);

	(void)arg;
	dv->app = app;
	return dv;
}

static void
doctor_leave(struct app *app, void *state)
{
	struct doctorview *dv = state;

	(void)app;
	dv_dns_stop(dv);
	doctor_free(dv->d);
	free(dv);
}

static void
doctor_draw(struct app *app, void *state, int rows, int cols)
{
	struct doctorview *dv = state;
	const struct doctor_finding *f;
	size_t i, nf = 0, nw = 0;
	int y, sel;

	dv_refresh(dv);
	for (i = 0; i < dv->d->n; i++) {
		nf += dv->d->v[i].sev == DOCTOR_FAIL;
		nw += dv->d->v[i].sev == DOCTOR_WARN;
	}
	tui_fill(0, 0, cols, ROLE_TITLE);
	if (dv->d->n == 0)
		tui_putf(0, 0, cols, ROLE_TITLE, " Doctor  no finding%s%s",
		    app->site->root != NULL ? "  --root " : "",
		    app->site->root != NULL ? app->site->root : "");
	else
		tui_putf(0, 0, cols, ROLE_TITLE, " Doctor  %zu failure%s, %zu "
		    "warning%s%s%s", nf, nf == 1 ? "" : "s", nw, nw == 1 ? "" :
		    "s", app->site->root != NULL ? "  --root " : "",
		    app->site->root != NULL ? app->site->root : "");
	dv->vis = (int)dv->d->n;
	if (dv->vis > rows - 4 - (int)dv->d->notes.n)
		dv->vis = rows - 4 - (int)dv->d->notes.n;
	if (dv->vis < 1)
		dv->vis = 1;
	list_fix(&dv->cur, &dv->top, (int)dv->d->n, dv->vis);
	for (i = (size_t)dv->top, y = 2; i < dv->d->n && y < 2 + dv->vis;
	    i++, y++) {
		f = &dv->d->v[i];
		sel = (int)i == dv->cur;
		if (sel)
			tui_fill(y, 0, cols, ROLE_CURSOR);
		tui_put(y, 1, 5, sel ? ROLE_CURSOR : sev_role(f->sev),
		    doctor_sev_name(f->sev));
		tui_putf(y, 7, cols - 8, sel ? ROLE_CURSOR : ROLE_NORMAL,
		    "%-16s %s%s", f->id, f->fixable ? "(apply fixes it) " : "",
		    f->title);
	}
	if (dv->d->n == 0)
		tui_put(2, 1, cols - 2, ROLE_OK, dv->d->notes.n > 0 ?
		    "no finding in what notspam can read (see the notes)" :
		    "no finding: the signing path is configured to carry every "
		    "message");
	y = 3 + (dv->d->n > 0 ? dv->vis : 1);
	for (i = 0; i < dv->d->notes.n && y < rows - 1; i++, y++)
		tui_putf(y, 1, cols - 2, ROLE_DIM, "note: %s",
		    dv->d->notes.v[i]);
}

/* Enter in the box of a fixable finding: the plan of its file. */
static void
open_plan(struct app *app, const char *path)
{
	app_push(app, &screen_configs, path);
}

/* Enter on a finding: what was seen, why, the fix. */
static void
show(struct app *app, const struct doctor_finding *f)
{
	const struct plan *p = configs_plan(app);
	const struct plan_file *pf;
	char *s;
	size_t i;

	app_dialog(app, f->id);
	s = xasprintf("%s  %s", doctor_sev_name(f->sev), f->title);
	app_dialog_add(app, 2, 0, s);
	free(s);
	app_dialog_add(app, 0, 0, "");
	for (i = 0; i < f->evidence.n; i++)
		app_dialog_label(app, "seen: ", 0, f->evidence.v[i]);
	if (f->explain != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "why: ", 0, f->explain);
	}
	if (f->fix != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "fix: ", 0, f->fix);
	}
	if (p != NULL && f->file != NULL &&
	    (pf = plan_fixing(p, f->file, f->line, f->title)) != NULL) {
		app_dialog_add(app, 0, 0, "");
		s = xasprintf("apply can fix this: Enter shows the plan for %s "
		    "(A there applies it)", pf->path);
		app_dialog_add(app, 0, 0, s);
		free(s);
		app_dialog_enter(app, open_plan, pf->path);
	} else if (f->fixable && f->fix_commands.n > 0) {
		/* A start, a chmod, a group: commands the console does not
		 * run from a box; the command line runs them through the
		 * same plan and transaction. */
		app_dialog_add(app, 0, 0, "");
		s = xasprintf("apply can fix this: notspam doctor --fix %s "
		    "(a terminal, as root) writes and runs:", f->id);
		app_dialog_add(app, 0, 0, s);
		free(s);
		for (i = 0; i < f->fix_files.n; i++)
			app_dialog_label(app, "  file: ", 0, f->fix_files.v[i]);
		for (i = 0; i < f->fix_commands.n; i++)
			app_dialog_label(app, "  run: ", 0,
			    f->fix_commands.v[i]);
	}
}

static int
doctor_key(struct app *app, void *state, int key)
{
	struct doctorview *dv = state;

	if (dv->d == NULL)
		return 0;
	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (dv->cur >= 0 && (size_t)dv->cur < dv->d->n)
			show(app, &dv->d->v[dv->cur]);
		return KEY_HANDLED;
	}
	return list_key(key, &dv->cur, &dv->top, (int)dv->d->n, dv->vis) ?
	    KEY_HANDLED : 0;
}

const struct screen screen_doctor = {
	"doctor", doctor_enter, doctor_draw, doctor_key, doctor_leave,
	" Enter details and fix  ? help  Esc back",
	doctor_help
};
