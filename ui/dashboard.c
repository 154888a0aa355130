/* dashboard.c: the home screen: the mail host's line (its A, AAAA, PTR and
 * HELO SPF, once), a row per domain with a status per record kind, the
 * services and the signing path, and the findings, worst first. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dns/dns.h"
#include "core/check/summary.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "core/site/path.h"
#include "core/doctor/doctor.h"
#include "ui/app.h"
#include "ui/tui.h"

#define DASH_COLW	8	/* a status column: "unknown" and a blank */

/* A row of the findings: a check's finding, or (item NULL) the site's
 * configuration warning number warn, with the status its severity gives. */
struct dash_row {
	enum check_status	 status;
	const char		*domain;	/* NULL for a warning */
	const struct check_item	*item;
	int			 host;		/* an item of the mail host's */
	size_t			 warn;
	size_t			 seq;		/* warnings, then findings */
};

struct dash {
	int	 focus;		/* 0 domains, 1 findings */
	/* The domain list: cursor (0 the mail host's row when there is one,
	 * then the domains), the first domain shown, rows, y; hy: the host
	 * row's y, or -1. */
	int	 dcur, dtop, dvis, dy, hy;
	int	 fcur, ftop, fvis, fy;	/* findings list */
	char	*filter;	/* findings filter, NULL for none */
};

static int dash_nhost(struct app *);

static const char *const dash_help[] = {
	"The dashboard: the mail host's line (A and PTR of each address, HELO",
	"SPF: one for every domain), then a row per hosted domain, a column per",
	"record kind, filled in as the DNS answers (\xe2\x80\xa6 or .. while pending).",
	"",
	"Up Down j k  move in the focused list      Tab  switch list",
	"Enter        host or domain: its DNS records; finding: detail and fix",
	"d            the DNS records of the selected row (or finding's)",
	"Findings are the checks that are not ok and the configuration's",
	"warnings (file:line first; FAIL when mail leaves unsigned or is not",
	"handed over). A resolver that never answered is one line at the top",
	"instead of an unknown finding for each check.",
	"w            the guided setup (resumes where it was left)",
	"K            the DKIM keys: make, rotate, publish, fix permissions",
	"c            configs: each file's state, the diff, apply, backups, restore",
	"t            send a test message (a mail-tester address gives a score)",
	"x            the doctor: why mail leaves unsigned, with the fix",
	"/            filter the findings (empty: all)",
	"mouse        click a row to select it",
	NULL
};

static void *
dash_enter(struct app *app, const void *arg)
{
	struct dash *d = xcalloc(1, sizeof *d);

	(void)arg;
	/* On the first domain; the mail host's row is one up. */
	d->dcur = dash_nhost(app);
	d->hy = -1;
	configs_plan(app);	/* for the findings apply fixes */
	return d;
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
		rows[k].host = f[i].host;
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

/* The mail host's name as its records name it (the HELO name, else the
 * hostname), or NULL when neither is known: then there is no host row. */
static const char *
dash_host_name(struct app *app)
{
	const char *h = site_helo(app->site);

	if (h == NULL || *h == '\0')
		h = app->site->hostname;
	return h != NULL && *h != '\0' ? h : NULL;
}

/* Rows before the domains in the list: 1 for the mail host's, or 0. */
static int
dash_nhost(struct app *app)
{
	return dash_host_name(app) != NULL;
}

/* The mail host's results, or NULL (none yet). */
static const struct check_domain *
dash_host_result(struct app *app)
{
	const struct check_domain *res;
	size_t n;

	res = app_results(app, &n);
	return n > 0 && res[0].host ? &res[0] : NULL;
}

/* Keep the list cursor on a row (host or domain) and, when it is on a
 * domain, that domain in view. */
static void
dash_fix(struct app *app, struct dash *d)
{
	int nh = dash_nhost(app), nd = (int)app->site->ndomains, dc;

	if (d->dcur >= nh + nd)
		d->dcur = nh + nd - 1;
	if (d->dcur < 0)
		d->dcur = 0;
	dc = d->dcur >= nh ? d->dcur - nh : d->dtop;
	list_fix(&dc, &d->dtop, nd, d->dvis);
}

/* Where the status columns start: after the longest domain name (or the
 * host's), within what the line leaves. */
static int
domain_col(struct app *app, int cols)
{
	size_t i;
	const char *h = dash_host_name(app);
	int w = h != NULL ? 9 : 6, max = cols - 2 - SUM_HOST_FIRST * DASH_COLW;

	for (i = 0; i < app->site->ndomains; i++)
		if (tui_width(app->site->domains[i].name) > w)
			w = tui_width(app->site->domains[i].name);
	if (h != NULL && tui_width(h) > w)
		w = tui_width(h);
	if (w > max)
		w = max;
	if (w < 6)
		w = 6;
	return w + 2;
}

/* The addresses a host column is about ("192.0.2.25 198.51.100.7"), from
 * the ptr: items of the host's results; caller frees. */
static char *
host_addrs(const struct check_domain *hr, enum summary_kind k)
{
	struct buf b;
	const char *a;
	size_t i;

	buf_init(&b);
	for (i = 0; hr != NULL && i < hr->nitems; i++) {
		if (!str_startswith(hr->items[i].id, "ptr:"))
			continue;
		a = hr->items[i].id + 4;
		if ((strchr(a, ':') != NULL) == (k == SUM_HOST6))
			buf_printf(&b, "%s%s", b.len ? " " : "", a);
	}
	return buf_steal(&b);
}

/*
 * The mail host's line, above the domain table: a header naming what each
 * column holds ("IPv4 A+PTR": the A records and the PTR of each IPv4
 * address; "IPv6 AAAA+PTR"; "HELO SPF") and the host's row.  When the line
 * has room (a wide terminal) each status is followed by the addresses it
 * covers.  Returns the rows used: 2, or 0 without a host name.
 */
static int
draw_host(struct app *app, struct dash *d, int y, int cols)
{
	const struct check_domain *hr = dash_host_result(app);
	const char *name = dash_host_name(app);
	char *addrs[SUM_NKINDS] = { NULL };
	int k, x, w[SUM_NKINDS], need, wide, dx = domain_col(app, cols);
	int cur = d->focus == 0 && d->dcur == 0;

	d->hy = -1;
	if (name == NULL)
		return 0;
	if (hr != NULL)
		name = hr->domain;
	/* Narrow: each column as wide as its label; wide: room for the
	 * addresses after the status too. */
	for (k = SUM_HOST_FIRST, need = dx; k < SUM_NKINDS; k++) {
		addrs[k] = k == SUM_HELO || k == SUM_HOST_BL ? xstrdup("") :
		    host_addrs(hr, k);
		w[k] = tui_width(summary_kind_name(k)) + 2;
		if (DASH_COLW + tui_width(addrs[k]) + 2 > w[k])
			need += DASH_COLW + tui_width(addrs[k]) + 2;
		else
			need += w[k];
	}
	wide = need <= cols;
	tui_put(y, 0, cols, ROLE_HEADER, " Mail host");
	for (k = SUM_HOST_FIRST, x = dx; k < SUM_NKINDS; k++) {
		if (wide && DASH_COLW + tui_width(addrs[k]) + 2 > w[k])
			w[k] = DASH_COLW + tui_width(addrs[k]) + 2;
		tui_put(y, x, cols - x, ROLE_HEADER, summary_kind_name(k));
		x += w[k];
	}
	d->hy = y + 1;
	if (cur)
		tui_fill(d->hy, 0, dx - 1, ROLE_CURSOR);
	tui_put(d->hy, 1, dx - 2, cur ? ROLE_CURSOR : ROLE_NORMAL, name);
	for (k = SUM_HOST_FIRST, x = dx; k < SUM_NKINDS; k++) {
		size_t cnt = 0;
		enum check_status st = CHECK_PENDING;

		if (hr != NULL)
			st = summary_kind_status(hr, k, &cnt);
		if (hr != NULL && cnt == 0)
			tui_put(d->hy, x, w[k] - 1, ROLE_DIM, "-");
		else
			tui_put(d->hy, x, w[k] - 1, tui_status_role(st),
			    tui_status_word(st));
		if (wide && *addrs[k] != '\0')
			tui_put(d->hy, x + DASH_COLW, w[k] - DASH_COLW - 1,
			    ROLE_DIM, addrs[k]);
		x += w[k];
		free(addrs[k]);
	}
	return 2;
}

static void
draw_domains(struct app *app, struct dash *d, int y, int rows, int cols)
{
	const struct check_domain *res;
	size_t nres, i;
	int k, x, nh = dash_nhost(app);

	int dx = domain_col(app, cols);

	res = app_results(app, &nres);
	tui_put(y, 0, cols, ROLE_HEADER, " Domain");
	/* The last label ("Blocklists") may run past its column. */
	for (k = 0; k < SUM_HOST_FIRST; k++)
		tui_put(y, dx + k * DASH_COLW, k == SUM_HOST_FIRST - 1 ?
		    cols - dx - k * DASH_COLW : DASH_COLW, ROLE_HEADER,
		    summary_kind_name(k));
	d->dy = y + 1;
	d->dvis = rows;
	dash_fix(app, d);
	for (i = (size_t)d->dtop; i < app->site->ndomains &&
	    (int)i < d->dtop + rows; i++) {
		const char *name = app->site->domains[i].name;
		int row = d->dy + (int)i - d->dtop;
		int cur = d->focus == 0 && (int)i + nh == d->dcur;
		const struct check_domain *cd = NULL;
		size_t j;

		for (j = 0; j < nres; j++)
			if (!res[j].host && strcmp(res[j].domain, name) == 0)
				cd = &res[j];
		if (cur)
			tui_fill(row, 0, dx - 1, ROLE_CURSOR);
		tui_put(row, 1, dx - 2, cur ? ROLE_CURSOR : ROLE_NORMAL, name);
		for (k = 0, x = dx; k < SUM_HOST_FIRST; k++, x += DASH_COLW) {
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

#define DASH_SVCW	19	/* a service: margin, program, state, blank */
#define DASH_WHYMIN	12	/* fewer columns left: why goes below */

/* The signing path of a site where no hand-over is configured. */
static const char dash_nopath[] = "none: no MTA hands mail to a signer "
    "notspam reads";

/* A hop's role: what a probe saw when one ran (ok or fail), else linked
 * ok, a mismatch fails, the rest warn. */
static enum tui_role
hop_role(const struct path_hop *h)
{
	if (h->probe != NULL)
		return h->probe_ok ? ROLE_OK : ROLE_FAIL;
	return h->state == PATH_LINKED ? ROLE_OK : h->state == PATH_MISMATCH ?
	    ROLE_FAIL : ROLE_WARN;
}

/* A hop's state word: the probe's ("handshake ok", "refused"), else the
 * configuration's ("linked", "mismatch"). */
static const char *
hop_word(const struct path_hop *h)
{
	return h->probe != NULL ? h->probe : path_state_name(h->state);
}

/* Does the hop carry mail, as probed or as configured? */
static int
hop_ok(const struct path_hop *h)
{
	return h->probe != NULL ? h->probe_ok : h->state == PATH_LINKED;
}

/* The order hops are drawn in: as read when all fit in rows, else the
 * worst first, so that no mismatch hides behind a linked hop.  Caller
 * frees. */
static size_t *
path_order(const struct path *p, int rows)
{
	static const enum path_state rank[] = { PATH_MISMATCH,
	    PATH_NO_LISTENER, PATH_UNKNOWN, PATH_UNUSED, PATH_LINKED };
	size_t *o = xcalloc(p->nhops + 1, sizeof *o), i, k, n = 0;

	if ((int)p->nhops <= rows) {
		for (i = 0; i < p->nhops; i++)
			o[i] = i;
		return o;
	}
	for (k = 0; k < sizeof rank / sizeof rank[0]; k++)
		for (i = 0; i < p->nhops; i++)
			if (p->hops[i].state == rank[k])
				o[n++] = i;
	return o;
}

/* Columns the path needs: the widest state word (*sw), and the widest
 * state, hop and why together (the words saying there is none). */
static int
path_width(const struct path *p, int *sw)
{
	size_t i;
	int w, max = p->nhops == 0 ? tui_width(dash_nopath) : 0;
	char *r;

	for (*sw = 6, i = 0; i < p->nhops; i++)
		if ((w = tui_width(hop_word(&p->hops[i]))) > *sw)
			*sw = w;
	for (i = 0; i < p->nhops; i++) {
		r = path_hop_route(&p->hops[i]);
		w = *sw + 1 + tui_width(r);
		if (p->hops[i].detail != NULL)
			w += 2 + tui_width(p->hops[i].detail);
		if (w > max)
			max = w;
		free(r);
	}
	return max;
}

/* The columns left for a hop's why after its state (sw) and hop in w. */
static int
hop_why_room(const struct path_hop *h, int w, int sw)
{
	char *r = path_hop_route(h);
	int n = tui_width(r);

	free(r);
	if (n > w - sw - 1)
		n = w - sw - 1;
	return w - sw - 1 - n - 2;
}

/* Does the why of hop h go on a row of its own when one is left: it is
 * not linked and its why does not fit beside it whole? */
static int
hop_why_below(const struct path_hop *h, int w, int sw)
{
	return !hop_ok(h) && h->detail != NULL &&
	    hop_why_room(h, w, sw) < tui_width(h->detail);
}

/* The rows the signing path fills in w columns: a hop a row, and one for
 * the why of each hop not linked that has no room on its own. */
static int
path_rows(const struct path *p, int w)
{
	size_t i;
	int sw, n = 0;

	path_width(p, &sw);
	for (i = 0; i < p->nhops; i++)
		n += 1 + hop_why_below(&p->hops[i], w, sw);
	return n;
}

/* One hop at (y, x) in w columns: its state word in a column of sw, the
 * hop (cut only to keep the state), and why after it: whole when it fits;
 * else, unless below (a row of its own is free for it), cut when at
 * least DASH_WHYMIN columns are left. */
static void
draw_hop(const struct path_hop *h, int y, int x, int w, int sw, int below)
{
	char *r = path_hop_route(h);
	int n, left = hop_why_room(h, w, sw);

	tui_put(y, x, sw, hop_role(h), hop_word(h));
	n = tui_put(y, x + sw + 1, w - sw - 1, ROLE_NORMAL, r);
	free(r);
	if (h->detail == NULL || below ||
	    (left < DASH_WHYMIN && left < tui_width(h->detail)))
		return;
	tui_put(y, x + sw + 1 + n + 2, left, hop_ok(h) ? ROLE_DIM :
	    ROLE_NORMAL, h->detail);
}

/* The signing path in rows from y, columns x to x + w: every hop with its
 * state; the why of a hop not linked on the next row when its own has no
 * room and rows are left; "... and N more" when the hops do not fit. */
static void
draw_path(const struct app *app, const struct path *p, int y, int x,
    int rows, int w)
{
	size_t *o, i, n = p->nhops;
	int sw, row = 0, spare, ind;

	path_width(p, &sw);
	if (n == 0 && app->site->nprograms > 0 && rows > 0)
		tui_put(y, x, w, ROLE_WARN, dash_nopath);
	if ((int)n > rows)
		n = rows > 0 ? (size_t)rows - 1 : 0;
	spare = rows - (int)n - ((int)p->nhops > rows);
	o = path_order(p, rows);
	for (i = 0; i < n && row < rows; i++) {
		const struct path_hop *h = &p->hops[o[i]];
		int below = spare > 0 && hop_why_below(h, w, sw);
		draw_hop(h, y + row++, x, w, sw, below);
		if (below) {
			/* under the hop, further left when that keeps it whole */
			ind = sw + 3;
			if (w - ind < tui_width(h->detail))
				ind = w - tui_width(h->detail) > 2 ?
				    w - tui_width(h->detail) : 2;
			tui_put(y + row++, x + ind, w - ind, ROLE_NORMAL,
			    h->detail);
			spare--;
		}
	}
	if (n < p->nhops)
		tui_putf(y + row, x, w, ROLE_DIM, "%s and %zu more (notspam "
		    "status)", tui_ellipsis(), p->nhops - n);
	free(o);
}

/* Where the signing path starts: after the services with their details
 * when both fit, else the path takes what it needs first (80 columns drop
 * the services' details) and the services the rest. */
static int
services_width(const struct app *app, const struct path *p, int cols)
{
	size_t i;
	int sw, pw = path_width(p, &sw), need = DASH_SVCW, w;

	for (i = 0; i < app->nsvc; i++) {
		if (app->svc[i].detail == NULL)
			continue;
		w = DASH_SVCW + tui_width(app->svc[i].detail) + 1;
		if (w > need)
			need = w;
	}
	if (need + pw <= cols)
		return need;
	return cols - pw > DASH_SVCW ? cols - pw : DASH_SVCW;
}

/* Services on the left, the signing path beside them. */
static void
draw_services(struct app *app, const struct path *p, int y, int rows,
    int cols)
{
	size_t i;
	int px = services_width(app, p, cols);

	tui_put(y, 0, px, ROLE_HEADER, " Services");
	tui_put(y, px, cols - px, ROLE_HEADER, "Signing path");
	for (i = 0; i < app->nsvc && (int)i < rows; i++) {
		const struct service *s = &app->svc[i];
		int n = tui_putf(y + 1 + (int)i, 1, 10, ROLE_NORMAL, "%-10s",
		    s->program);
		n += tui_put(y + 1 + (int)i, 1 + n, 9, s->state ==
		    SVC_RUNNING ? ROLE_OK : s->state == SVC_STOPPED ?
		    ROLE_FAIL : ROLE_DIM, services_state_name(s->state));
		if (px - DASH_SVCW - 1 >= DASH_WHYMIN)
			tui_put(y + 1 + (int)i, DASH_SVCW, px - DASH_SVCW - 1,
			    ROLE_DIM, s->detail ? s->detail : "");
	}
	draw_path(app, p, y + 1, px, rows, cols - px);
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
	struct path *p = path_build(app->site);

	doctor_path_probes(p, app->probe);
	char *banner;

	draw_title(app, cols);
	nsvc = path_rows(p, cols - services_width(app, p, cols));
	if (nsvc < (int)app->nsvc)
		nsvc = (int)app->nsvc;
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
	y += draw_host(app, d, y, cols);
	if (ndom == 0)
		tui_put(y + 1, 1, cols - 2, ROLE_WARN, "no hosted domain: no MTA "
		    "or signer configuration names one (see notspam(1))");
	draw_domains(app, d, y, drows, cols);
	y += drows + 2;
	draw_services(app, p, y, srows, cols);
	path_free(p);
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

/* Enter in the box of a warning apply can fix: the plan of its file. */
static void
open_fix(struct app *app, const char *path)
{
	app_push(app, &screen_configs, path);
}

/* Enter on a configuration warning: where, the problem and the fix. */
static void
show_warning(struct app *app, const struct dash_row *r)
{
	char *where, *problem, *fix, *s, *path;

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
	if ((path = configs_fixes(app, app->site->warnings.v[r->warn])) !=
	    NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_add(app, 0, 0, "apply can fix this: Enter shows the "
		    "plan for this file, c every file");
		app_dialog_enter(app, open_fix, path);
		free(path);
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

/* Open the DNS records of list row `row`: the mail host's (row 0 when
 * there is one) or a domain's. */
static void
dash_open(struct app *app, int row)
{
	int nh = dash_nhost(app);

	if (row < nh)
		app_push(app, &screen_dns, NULL);
	else if (row - nh < (int)app->site->ndomains)
		app_push(app, &screen_dns, app->site->domains[row - nh].name);
}

static int
dash_key(struct app *app, void *state, int key)
{
	struct dash *d = state;
	struct dash_row *f;
	size_t n;
	int nrows = dash_nhost(app) + (int)app->site->ndomains;
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
	case 'w':
		app_push(app, &screen_setup, NULL);
		return KEY_HANDLED;
	case 'c':
		app_push(app, &screen_configs, NULL);
		return KEY_HANDLED;
	case 'x':
		app_push(app, &screen_doctor, NULL);
		return KEY_HANDLED;
	case 't':
		app_push(app, &screen_test, NULL);
		return KEY_HANDLED;
	case 'd':
		/* The records of what is selected: a finding's domain (or
		 * the mail host), or the row's; a warning has none. */
		f = d->focus == 1 ? dash_findings(app, d, &n, NULL) : NULL;
		if (f != NULL && d->fcur >= 0 && (size_t)d->fcur < n &&
		    f[d->fcur].item == NULL)
			app_message(app, "a configuration warning belongs to no"
			    " domain: Enter shows its file, line and fix");
		else if (f != NULL && d->fcur >= 0 && (size_t)d->fcur < n)
			app_push(app, &screen_dns, f[d->fcur].host ? NULL :
			    f[d->fcur].domain);
		else
			dash_open(app, d->dcur);
		free(f);
		return KEY_HANDLED;
	case KEY_MOUSE:
		if (getmouse(&ev) != OK)
			return KEY_HANDLED;
		if (d->hy >= 0 && ev.y == d->hy) {
			d->focus = 0;
			d->dcur = 0;
		} else if (ev.y >= d->dy && ev.y < d->dy + d->dvis &&
		    d->dtop + ev.y - d->dy < (int)app->site->ndomains) {
			d->focus = 0;
			d->dcur = dash_nhost(app) + d->dtop + ev.y - d->dy;
		} else if (ev.y >= d->fy && ev.y < d->fy + d->fvis) {
			d->focus = 1;
			d->fcur = d->ftop + ev.y - d->fy;
		}
		return KEY_HANDLED;
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (d->focus == 0) {
			dash_open(app, d->dcur);
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
	if (d->focus == 0) {
		int top = 0;

		if (!list_key(key, &d->dcur, &top, nrows, d->dvis))
			return 0;
		dash_fix(app, d);
		return KEY_HANDLED;
	}
	f = dash_findings(app, d, &n, NULL);
	free(f);
	return list_key(key, &d->fcur, &d->ftop, (int)n, d->fvis) ?
	    KEY_HANDLED : 0;
}

const struct screen screen_dashboard = {
	"dashboard", dash_enter, dash_draw, dash_key, dash_leave,
	" Enter open  d DNS  K keys  c configs  w setup  t test  x doctor  ? help  q quit",
	dash_help
};
