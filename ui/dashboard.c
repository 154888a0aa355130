/* dashboard.c: the home screen: a row per domain with a status per record
 * kind, the services and the signing path, and the findings, worst first. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dns/dns.h"
#include "core/check/summary.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "ui/app.h"
#include "ui/tui.h"

#define DASH_COLW	8	/* a status column: "unknown" and a blank */

/* A row of the findings: a check's finding, or (item NULL) the site's
 * configuration warning number warn, with the status its severity gives. */
struct dash_row {
	enum check_status	 status;
	const char		*domain;	/* NULL for a warning */
	const struct check_item	*item;
	size_t			 warn;
	size_t			 seq;		/* warnings, then findings */
};

struct dash {
	int	 focus;		/* 0 domains, 1 findings */
	int	 dcur, dtop, dvis, dy;	/* domain list: cursor, top, rows, y */
	int	 fcur, ftop, fvis, fy;	/* findings list */
	char	*filter;	/* findings filter, NULL for none */
};

static const char *const dash_help[] = {
	"The dashboard: a row per hosted domain, a column per record kind,",
	"filled in as the DNS answers (\xe2\x80\xa6 or .. while pending).",
	"",
	"Up Down j k  move in the focused list      Tab  switch list",
	"Enter        domain: its DNS records; finding: detail and fix",
	"d            the DNS records of the selected domain (or finding's)",
	"Findings are the checks that are not ok and the configuration's",
	"warnings (file:line first; FAIL when mail leaves unsigned or is not",
	"handed over). A resolver that never answered is one line at the top",
	"instead of an unknown finding for each check.",
	"K            the DKIM keys: make, rotate, publish, fix permissions",
	"/            filter the findings (empty: all)",
	"mouse        click a row to select it",
	NULL
};

static void *
dash_enter(struct app *app, const void *arg)
{
	(void)app;
	(void)arg;
	return xcalloc(1, sizeof(struct dash));
}

static void
dash_leave(struct app *app, void *state)
{
	struct dash *d = state;

	(void)app;
	free(d->filter);
	free(d);
}

/* Worst first (fail, unknown, warn); the configuration's warnings first
 * within a status, then the checks in result order. */
static int
dash_row_cmp(const void *a, const void *b)
{
	const struct dash_row *x = a, *y = b;
	int rx = summary_rank(x->status), ry = summary_rank(y->status);

	if (rx != ry)
		return ry - rx;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Does the row hold the filter text (a warning: its text, or the filter
 * is part of the word "config" it is shown with; a finding: the domain,
 * the check id or the detail)? */
static int
dash_row_match(const struct app *app, const struct dash_row *r,
    const char *filter)
{
	const struct check_item *it = r->item;

	if (it == NULL)
		return strstr(app->site->warnings.v[r->warn], filter) != NULL ||
		    strstr("config", filter) != NULL;
	return strstr(r->domain, filter) != NULL ||
	    strstr(it->id, filter) != NULL ||
	    (it->detail != NULL && strstr(it->detail, filter) != NULL);
}

/*
 * The findings after the filter: the configuration's warnings and the
 * checks that are not ok, worst first.  When the resolver never answered
 * the unknown checks are left out (the banner stands for them), counted in
 * *nunknown (may be NULL).  Caller frees.
 */
static struct dash_row *
dash_findings(struct app *app, struct dash *d, size_t *n, size_t *nunknown)
{
	const struct check_domain *res;
	const struct site *site = app->site;
	struct finding *f;
	struct dash_row *rows;
	size_t nres, nf, i, k = 0, skipped = 0;
	int down = app->run != NULL && check_unreachable(app->run);

	res = app_results(app, &nres);
	summary_findings(res, nres, &f, &nf);
	rows = xcalloc(site->warnings.n + nf + 1, sizeof *rows);
	for (i = 0; i < site->warnings.n; i++, k++) {
		rows[k].status = site_warning_severity(site, i) ==
		    SITE_SEV_FAIL ? CHECK_FAIL : CHECK_WARN;
		rows[k].warn = i;
		rows[k].seq = k;
	}
	for (i = 0; i < nf; i++) {
		if (down && f[i].status == CHECK_UNKNOWN) {
			skipped++;
			continue;
		}
		rows[k].status = f[i].status;
		rows[k].domain = f[i].domain;
		rows[k].item = f[i].item;
		rows[k].seq = k;
		k++;
	}
	free(f);
	qsort(rows, k, sizeof *rows, dash_row_cmp);
	*n = 0;
	for (i = 0; i < k; i++)
		if (d->filter == NULL || dash_row_match(app, &rows[i],
		    d->filter))
			rows[(*n)++] = rows[i];
	if (nunknown != NULL)
		*nunknown = skipped;
	return rows;
}

/* The title bar: host, programs, resolver. */
static void
draw_title(struct app *app, int cols)
{
	struct buf b;
	size_t i;
	char *s, *r;
	int rw;

	buf_init(&b);
	buf_printf(&b, " notspam  %s  ", app->site->hostname ?
	    app->site->hostname : "(no host name)");
	for (i = 0; i < app->site->nprograms; i++) {
		const char *v = app->site->programs[i].version;
		/* The upstream version: "3.7.11-0+deb12u1" shows as 3.7.11. */
		int vlen = v != NULL ? (int)strcspn(v, "-~+") : 0;
		buf_printf(&b, "%s%s%s%.*s", i > 0 ? " + " : "",
		    app->site->programs[i].name, vlen > 0 ? " " : "", vlen,
		    vlen > 0 ? v : "");
	}
	s = buf_steal(&b);
	/* The resolver whole (a cut address is another address) unless it
	 * would take more than half the line; then it ends in an ellipsis. */
	/* Zone-file mode (the demo) names its zones: "zones:demo-zones". */
	r = xasprintf(app->dns != NULL && dns_zone_mode(app->dns) ? " %s " :
	    " resolver %s ", app->dns != NULL ? dns_servers(app->dns) :
	    "none");
	rw = tui_width(r);
	if (rw > cols / 2)
		rw = cols / 2;
	tui_fill(0, 0, cols, ROLE_TITLE);
	tui_put(0, 0, cols - rw - 1, ROLE_TITLE, s);
	tui_put(0, cols - rw, rw, ROLE_TITLE, r);
	free(r);
	free(s);
}

/* Where the status columns start: after the longest domain name, within
 * what the line leaves. */
static int
domain_col(struct app *app, int cols)
{
	size_t i;
	int w = 6, max = cols - 2 - SUM_NKINDS * DASH_COLW;

	for (i = 0; i < app->site->ndomains; i++)
		if (tui_width(app->site->domains[i].name) > w)
			w = tui_width(app->site->domains[i].name);
	if (w > max)
		w = max;
	if (w < 6)
		w = 6;
	return w + 2;
}

static void
draw_domains(struct app *app, struct dash *d, int y, int rows, int cols)
{
	const struct check_domain *res;
	size_t nres, i;
	int k, x;

	int dx = domain_col(app, cols);

	res = app_results(app, &nres);
	tui_put(y, 0, cols, ROLE_HEADER, " Domain");
	for (k = 0; k < SUM_NKINDS; k++)
		tui_put(y, dx + k * DASH_COLW, DASH_COLW, ROLE_HEADER,
		    summary_kind_name(k));
	d->dy = y + 1;
	d->dvis = rows;
	list_fix(&d->dcur, &d->dtop, (int)app->site->ndomains, d->dvis);
	for (i = (size_t)d->dtop; i < app->site->ndomains &&
	    (int)i < d->dtop + rows; i++) {
		const char *name = app->site->domains[i].name;
		int row = d->dy + (int)i - d->dtop;
		const struct check_domain *cd = NULL;
		size_t j;

		for (j = 0; j < nres; j++)
			if (strcmp(res[j].domain, name) == 0)
				cd = &res[j];
		if (d->focus == 0 && (int)i == d->dcur)
			tui_fill(row, 0, dx - 1, ROLE_CURSOR);
		tui_put(row, 1, dx - 2, d->focus == 0 && (int)i == d->dcur ?
		    ROLE_CURSOR : ROLE_NORMAL, name);
		for (k = 0, x = dx; k < SUM_NKINDS; k++, x += DASH_COLW) {
			size_t cnt = 0;
			enum check_status st = CHECK_PENDING;
			if (cd != NULL)
				st = summary_kind_status(cd, k, &cnt);
			if (cd != NULL && cnt == 0)
				tui_put(row, x, DASH_COLW - 1, ROLE_DIM, "-");
			else
				tui_put(row, x, DASH_COLW - 1,
				    tui_status_role(st),
				    tui_status_word(st));
		}
	}
}

static void
draw_services(struct app *app, int y, int rows, int cols)
{
	size_t i;
	int half = cols / 2 - 1;

	tui_put(y, 0, half, ROLE_HEADER, " Services");
	tui_put(y, half + 1, cols - half - 1, ROLE_HEADER, "Signing path");
	for (i = 0; i < app->nsvc && (int)i < rows; i++) {
		const struct service *s = &app->svc[i];
		int n = tui_putf(y + 1 + (int)i, 1, 10, ROLE_NORMAL, "%-10s",
		    s->program);
		n += tui_put(y + 1 + (int)i, 1 + n, 9, s->state ==
		    SVC_RUNNING ? ROLE_OK : s->state == SVC_STOPPED ?
		    ROLE_FAIL : ROLE_DIM, services_state_name(s->state));
		tui_put(y + 1 + (int)i, 12 + 9, half - 21, ROLE_DIM,
		    s->detail ? s->detail : "");
	}
	for (i = 0; i < app->site->nlinks && (int)i < rows; i++) {
		const struct site_link *l = &app->site->links[i];
		tui_putf(y + 1 + (int)i, half + 1, cols - half - 1,
		    ROLE_NORMAL, "%s -> %s %s %s", l->from, l->to, l->kind,
		    l->address ? l->address : "");
	}
}

/* One row of the findings list. */
static void
draw_row(struct app *app, const struct dash_row *r, int row, int cols,
    int cursor)
{
	const struct check_item *it = r->item;
	enum tui_role role = cursor ? ROLE_CURSOR : ROLE_NORMAL;
	char *where, *problem, *fix;
	const char *base;

	if (cursor)
		tui_fill(row, 0, cols, ROLE_CURSOR);
	tui_put(row, 1, 7, tui_status_role(r->status),
	    tui_status_word(r->status));
	if (it == NULL) {
		/* "config postfix/main.cf:58: problem": the file under
		 * /etc, as a finding's domain; the path and fix in the box. */
		site_warning_parts(app->site->warnings.v[r->warn], &where,
		    &problem, &fix);
		base = where;
		if (base != NULL && str_startswith(base, "/etc/"))
			base += 5;
		tui_putf(row, 9, cols - 10, role, "config%s%s: %s",
		    base != NULL ? " " : "", base != NULL ? base : "", problem);
		free(where);
		free(problem);
		free(fix);
	} else
		tui_putf(row, 9, cols - 10, role, "%s %s: %s", r->domain,
		    it->id, it->detail ? it->detail : "");
}

static void
draw_findings(struct app *app, struct dash *d, int y, int rows, int cols)
{
	struct dash_row *f;
	size_t n, i, unknown;
	char when[32] = "";
	int focus = d->focus == 1;

	f = dash_findings(app, d, &n, &unknown);
	if (app->last_check != 0)
		strftime(when, sizeof when, "last check %H:%M:%S",
		    localtime(&app->last_check));
	else if (app->run != NULL)
		snprintf(when, sizeof when, "checking %c",
		    "|/-\\"[app->tick % 4]);
	if (unknown > 0 && d->filter == NULL)
		tui_putf(y, 0, cols, ROLE_HEADER, " Findings %zu (and %zu "
		    "unknown: see the top line)", n, unknown);
	else
		tui_putf(y, 0, cols, ROLE_HEADER, " Findings %zu%s%s%s", n,
		    d->filter ? " (filter: " : "", d->filter ? d->filter : "",
		    d->filter ? ")" : "");
	tui_put(y, cols - (int)strlen(when) - 1, (int)strlen(when), ROLE_DIM,
	    when);
	d->fy = y + 1;
	d->fvis = rows;
	list_fix(&d->fcur, &d->ftop, (int)n, d->fvis);
	if (n == 0 && d->filter != NULL)
		tui_putf(d->fy, 1, cols - 1, ROLE_WARN, "no finding matches "
		    "\"%s\": / changes the filter, an empty one shows all",
		    d->filter);
	else if (n == 0 && unknown > 0)
		tui_put(d->fy, 1, cols - 1, ROLE_UNKNOWN, "nothing else to "
		    "show until the resolver answers: r checks again");
	else if (n == 0 && app->run != NULL && check_done(app->run))
		tui_put(d->fy, 1, cols - 1, ROLE_OK, "nothing to fix: every "
		    "record receivers look at is right");
	for (i = (size_t)d->ftop; i < n && (int)i < d->ftop + rows; i++)
		draw_row(app, &f[i], d->fy + (int)i - d->ftop, cols,
		    focus && (int)i == d->fcur);
	free(f);
}

static void
dash_draw(struct app *app, void *state, int rows, int cols)
{
	struct dash *d = state;
	int ndom = (int)app->site->ndomains, nsvc, drows, srows, y;
	char *banner;

	draw_title(app, cols);
	nsvc = (int)(app->nsvc > app->site->nlinks ? app->nsvc :
	    app->site->nlinks);
	drows = ndom < 1 ? 1 : ndom;
	if (drows > rows / 3)
		drows = rows / 3;
	srows = nsvc > rows / 4 ? rows / 4 : nsvc;
	y = 1;
	/* A resolver that never answered: one line for every unknown. */
	if (app->run != NULL &&
	    (banner = check_unreachable_line(app->run)) != NULL) {
		tui_fill(y, 0, cols, ROLE_FAIL);
		tui_put(y++, 1, cols - 2, ROLE_FAIL, banner);
		free(banner);
	}
	if (ndom == 0)
		tui_put(2, 1, cols - 2, ROLE_WARN, "no hosted domain: no MTA "
		    "or signer configuration names one (see notspam(1))");
	draw_domains(app, d, y, drows, cols);
	y += drows + 2;
	draw_services(app, y, srows, cols);
	y += srows + 2;
	if (app->dns == NULL && app->dns_error != NULL)
		tui_putf(y - 1, 1, cols - 2, ROLE_FAIL, "resolver: %s",
		    app->dns_error);
	draw_findings(app, d, y, rows - y - 1, cols);
}

/* Whether values of this item are copied whole (a key: base64). */
static int
item_flags(const struct check_item *it)
{
	return strncmp(it->id, "dkim", 4) == 0 ? TEXTWRAP_ANY : 0;
}

/* Enter on a finding: its detail and fix in a box. */
static void
show_finding(struct app *app, const char *domain, const struct check_item *it)
{
	char *s;
	size_t i;

	app_dialog(app, it->id);
	s = xasprintf("%s  %s %s  %s", tui_status_word(it->status), it->type,
	    it->name, domain);
	app_dialog_add(app, 2, 0, s);
	free(s);
	app_dialog_add(app, 0, 0, "");
	app_dialog_add(app, 0, 0, it->detail ? it->detail : "");
	if (it->expected != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "want: ", item_flags(it), it->expected);
	}
	for (i = 0; i < it->found.n; i++)
		app_dialog_label(app, "live: ", item_flags(it), it->found.v[i]);
	if (it->fix != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "fix: ", 0, it->fix);
	}
}

/* Enter on a configuration warning: where, the problem and the fix. */
static void
show_warning(struct app *app, const struct dash_row *r)
{
	char *where, *problem, *fix, *s;

	site_warning_parts(app->site->warnings.v[r->warn], &where, &problem,
	    &fix);
	app_dialog(app, "configuration");
	s = xasprintf("%s  %s", tui_status_word(r->status), where != NULL ?
	    where : "(no file)");
	app_dialog_add(app, 2, 0, s);
	free(s);
	app_dialog_add(app, 0, 0, "");
	app_dialog_add(app, 0, 0, problem);
	if (fix != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "fix: ", 0, fix);
	}
	free(where);
	free(problem);
	free(fix);
}

static void
filter_done(struct app *app, void *state, const char *text)
{
	struct dash *d = state;

	(void)app;
	if (text == NULL)
		return;
	free(d->filter);
	d->filter = *text != '\0' ? xstrdup(text) : NULL;
	d->fcur = d->ftop = 0;
}

static int
dash_key(struct app *app, void *state, int key)
{
	struct dash *d = state;
	struct dash_row *f;
	size_t n;
	MEVENT ev;

	switch (key) {
	case '\t':
		d->focus = !d->focus;
		return KEY_HANDLED;
	case '/':
		app_input(app, "filter findings: ", d->filter, filter_done, d);
		return KEY_HANDLED;
	case 'K':
		app_push(app, &screen_keys, NULL);
		return KEY_HANDLED;
	case 'd':
		/* The domain of what is selected: a finding's, or the row's. */
		f = d->focus == 1 ? dash_findings(app, d, &n, NULL) : NULL;
		if (f != NULL && d->fcur >= 0 && (size_t)d->fcur < n &&
		    f[d->fcur].domain == NULL)
			app_message(app, "a configuration warning belongs to no"
			    " domain: Enter shows its file, line and fix");
		else if (f != NULL && d->fcur >= 0 && (size_t)d->fcur < n)
			app_push(app, &screen_dns, f[d->fcur].domain);
		else if (app->site->ndomains > 0)
			app_push(app, &screen_dns,
			    app->site->domains[d->dcur].name);
		free(f);
		return KEY_HANDLED;
	case KEY_MOUSE:
		if (getmouse(&ev) != OK)
			return KEY_HANDLED;
		if (ev.y >= d->dy && ev.y < d->dy + d->dvis &&
		    d->dtop + ev.y - d->dy < (int)app->site->ndomains) {
			d->focus = 0;
			d->dcur = d->dtop + ev.y - d->dy;
		} else if (ev.y >= d->fy && ev.y < d->fy + d->fvis) {
			d->focus = 1;
			d->fcur = d->ftop + ev.y - d->fy;
		}
		return KEY_HANDLED;
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (d->focus == 0) {
			if (app->site->ndomains > 0)
				app_push(app, &screen_dns,
				    app->site->domains[d->dcur].name);
			return KEY_HANDLED;
		}
		f = dash_findings(app, d, &n, NULL);
		if (d->fcur >= 0 && (size_t)d->fcur < n &&
		    f[d->fcur].item == NULL)
			show_warning(app, &f[d->fcur]);
		else if (d->fcur >= 0 && (size_t)d->fcur < n)
			show_finding(app, f[d->fcur].domain, f[d->fcur].item);
		free(f);
		return KEY_HANDLED;
	}
	if (d->focus == 0)
		return list_key(key, &d->dcur, &d->dtop,
		    (int)app->site->ndomains, d->dvis) ? KEY_HANDLED : 0;
	f = dash_findings(app, d, &n, NULL);
	free(f);
	return list_key(key, &d->fcur, &d->ftop, (int)n, d->fvis) ?
	    KEY_HANDLED : 0;
}

const struct screen screen_dashboard = {
	"dashboard", dash_enter, dash_draw, dash_key, dash_leave,
	" Enter open  d DNS  K keys  Tab switch  / filter  r recheck  ? help  q quit",
	dash_help
};
