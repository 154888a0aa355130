/* setupview.c: the guided setup (w, `notspam setup`, and the first run):
 * the step list with each step's state on the left, the step's page on
 * the right, Back and Next.  The steps are core/setup/setup.h's: what
 * runs here, identity, keys, configs, DNS, test.  Every long action runs
 * on the loop (a key in a child, the configs screen's apply in a child,
 * the DNS watch's lookups, the test's SMTP session); the progress file is
 * saved after each step and each key made, so quitting and coming back
 * resumes where it was.  Nothing but setup.state, notspam's settings file
 * and new key files is written before the Configs screen's confirmation.
 */
#include <sys/socket.h>

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/apply/plan.h"
#include "core/check/export.h"
#include "core/check/records.h"
#include "core/keys/keylife.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "core/mail/sendtest.h"
#include "core/setup/setup.h"
#include "core/setup/watch.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "ui/app.h"
#include "ui/tui.h"

#define SV_TICK_MS	250	/* the spinner and the watch's countdown */
#define SV_LEFT		22	/* the step list's width */

/* What the identity page's cursor is on. */
enum id_field {
	ID_HOST,
	ID_DOMAIN,
	ID_ADDR,
};

struct setupview {
	struct app		*app;
	struct setup_state	 st;
	enum setup_step		 page;		/* the step shown */
	const struct site	*site;		/* the site the data is of */
	unsigned		 gen;		/* and the plan generation */
	int			 spin;
	uint64_t		 tick;
	char			 keys[200];	/* the bottom line */
	/* detect */
	struct setup_detect	 det;
	int			 have_det;
	int			 ccur, ctop;	/* the stack under the cursor */
	/* identity: the answers being edited */
	int			 id_loaded;
	char			*host;
	char			*host_source;
	char			*addr_source;
	struct strv		 domains;
	struct strv		 config_domains;
	struct strv		 addrs;
	int			 icur, itop, ivis;
	int			 iedit;		/* the entry edited, -1: a new
						 * one */
	enum id_field		 ikind;
	/* keys */
	struct setup_keyrow	*rows;
	size_t			 nrows;
	int			 ed25519;
	int			 kcur, ktop, kvis;
	struct keys_gen		 gen_key;
	struct keygen_job	*job;
	size_t			 job_row;
	int			 job_all;
	size_t			 job_n, job_of;	/* this one, of how many */
	/* dns */
	struct watch		*watch;
	char			*watch_error;
	struct record_set	*sets;
	size_t			 nsets;
	int			 dcur, dtop, dvis;
	/* test */
	char			*test_to;
	char			*test_server;	/* NULL: the local MTA */
	struct sendtest		*test;
	int			 test_over;	/* its on_done ran */
	/* mouse: the step on each screen row of the list */
	int			 rowstep[64];
};

static const char *const setup_help[] = {
	"The guided setup, from a stock mail server to signed mail: what runs",
	"here, identity (host name, domains, public addresses), DKIM keys, the",
	"configs (apply's diffs, applied only after your y), the DNS records",
	"(exported, then watched until the DNS shows each), a test message.",
	"Left: each step's state (done, current, todo, blocked and why).",
	"Progress is saved after each step: leave any time, come back later.",
	"",
	"n Right      next: this step is checked, saved, and the next opens",
	"p Left       back to the step before (Left on the first: leave)",
	"1-6          open that step (a done one, or the next to do)",
	"Up Down j k  move in the page's list",
	"What runs here: r looks again (after installing what is missing)",
	"Identity:    Enter edits the line, a adds a domain or an address",
	"             d removes it",
	"Keys:        g makes the keys still missing (in the background),",
	"             E adds (or drops) an Ed25519 key beside each RSA one",
	"Configs:     Enter opens the Configs screen: diffs, A applies",
	"DNS:         e exports the records to zone files; Enter: a record's",
	"             value and what the DNS says; w looks again now",
	"Test:        a the address, s a server (else the local MTA), Enter",
	"             sends: the transcript, the verdict, mail-tester's page;",
	"             Esc cancels a test running",
	"Esc q        leave the setup (it resumes here next time)",
	NULL
};

static void sv_open(struct setupview *, enum setup_step);

/* ---- The data, again when the site changed. ---- */

static void
id_clear(struct setupview *sv)
{
	free(sv->host);
	free(sv->host_source);
	free(sv->addr_source);
	sv->host = sv->host_source = sv->addr_source = NULL;
	strv_free(&sv->domains);
	strv_free(&sv->config_domains);
	strv_free(&sv->addrs);
	strv_init(&sv->domains);
	strv_init(&sv->config_domains);
	strv_init(&sv->addrs);
	sv->id_loaded = 0;
}

/* The identity's answers from the site and the state. */
static void
id_load(struct setupview *sv)
{
	struct setup_identity id;
	size_t i;

	id_clear(sv);
	setup_identity(sv->app->site, &sv->st, &id);
	sv->host = xstrdup(id.hostname != NULL ? id.hostname : "");
	sv->host_source = xstrdup(id.hostname_source != NULL ?
	    id.hostname_source : "not found");
	sv->addr_source = xstrdup(id.addr_source != NULL ? id.addr_source :
	    "none");
	for (i = 0; i < id.domains.n; i++)
		strv_add(&sv->domains, id.domains.v[i]);
	for (i = 0; i < id.config_domains.n; i++)
		strv_add(&sv->config_domains, id.config_domains.v[i]);
	for (i = 0; i < id.ipv4.n; i++)
		strv_add(&sv->addrs, id.ipv4.v[i]);
	for (i = 0; i < id.ipv6.n; i++)
		strv_add(&sv->addrs, id.ipv6.v[i]);
	setup_identity_free(&id);
	sv->id_loaded = 1;
}

static const char *
sv_signer(struct setupview *sv)
{
	return sv->st.signer != NULL ? sv->st.signer : sv->have_det ?
	    sv->det.signer : NULL;
}

static void
rows_load(struct setupview *sv)
{
	struct setup_identity id;

	setup_keyrows_free(sv->rows, sv->nrows);
	setup_identity(sv->app->site, &sv->st, &id);
	setup_keyrows(sv->app->site, &sv->st, &id, sv_signer(sv), sv->ed25519,
	    time(NULL), &sv->rows, &sv->nrows);
	setup_identity_free(&id);
}

static void
sets_load(struct setupview *sv)
{
	records_free(sv->sets, sv->nsets);
	sv->sets = NULL;
	sv->nsets = 0;
	if (records_build(sv->app->site, NULL, &sv->sets, &sv->nsets,
	    NULL) != 0) {
		sv->sets = NULL;
		sv->nsets = 0;
	}
}

/*
 * The site was read again (an apply, the identity written) or planned
 * again: what is borrowed from it (the detection) and made from it goes.
 * Every reading of the site makes a new plan (the Configs screen drops
 * the plan with the old site), so a new plan generation stands for a new
 * site even at the old one's address.  The identity's answers are copies,
 * reread only for another site, so that edits in progress stay.
 */
static void
sv_refresh(struct setupview *sv)
{
	struct app *app = sv->app;
	unsigned gen = configs_plan_gen(app);

	if (app->site == sv->site && gen == sv->gen)
		return;
	if (sv->have_det)
		setup_detect_free(&sv->det);
	setup_detect(app->site, &sv->det);
	sv->have_det = 1;
	if (sv->ccur >= (int)sv->det.nchoices)
		sv->ccur = 0;
	if (app->site != sv->site)
		id_load(sv);
	sets_load(sv);
	rows_load(sv);
	sv->site = app->site;
	sv->gen = gen;
}

/* Read the site again after the setup wrote the settings file. */
static void
sv_site_reload(struct setupview *sv)
{
	struct app *app = sv->app;
	struct site *s;
	char *cause = NULL;

	if ((s = site_load(app->opts->root, app->opts->config,
	    &cause)) == NULL) {
		app_message(app, "the site cannot be read again: %s", cause);
		free(cause);
		return;
	}
	watch_free(sv->watch);		/* it borrows the site */
	sv->watch = NULL;
	configs_plan_drop(app);
	check_free(app->run);
	app->run = NULL;
	site_free(app->session->site);
	app->session->site = app->site = s;
	app_recheck(app);
	sv->site = NULL;
	sv_refresh(sv);
}

static void
sv_save(struct setupview *sv)
{
	char *cause = NULL;

	if (setup_state_save(sv->app->site->root, &sv->st, &cause) != 0) {
		app_message(sv->app, "progress not saved: %s", cause);
		free(cause);
	}
}

/* ---- The spinner and the countdown. ---- */

static void
on_tick(void *arg)
{
	struct setupview *sv = arg;

	sv->tick = 0;
	sv->spin++;
	sv->app->dirty = 1;
	if (sv->job != NULL || sv->watch != NULL || (sv->test != NULL &&
	    !sv->test_over))
		sv->tick = loop_timer_add(sv->app->loop, SV_TICK_MS, on_tick,
		    sv);
}

static void
tick_start(struct setupview *sv)
{
	if (sv->tick == 0)
		sv->tick = loop_timer_add(sv->app->loop, SV_TICK_MS, on_tick,
		    sv);
}

static const char *
spinner(struct setupview *sv)
{
	static const char *const utf[] = { "\xe2\xa0\x8b", "\xe2\xa0\x99",
	    "\xe2\xa0\xb9", "\xe2\xa0\xb8", "\xe2\xa0\xbc", "\xe2\xa0\xb4",
	    "\xe2\xa0\xa6", "\xe2\xa0\xa7" };
	static const char *const ascii[] = { "|", "/", "-", "\\" };

	return tui_utf8() ? utf[sv->spin % 8] : ascii[sv->spin % 4];
}

/* ---- Enter and leave. ---- */

static void *
setup_enter(struct app *app, const void *arg)
{
	struct setupview *sv = xcalloc(1, sizeof *sv);
	char *cause = NULL, *warn = NULL;
	const char *why;
	int i;

	(void)arg;
	sv->app = app;
	strv_init(&sv->domains);
	strv_init(&sv->config_domains);
	strv_init(&sv->addrs);
	if (setup_state_load(app->site->root, &sv->st, &warn, &cause) != 0) {
		app_message(app, "%s: starting afresh", cause);
		free(cause);
		setup_state_init(&sv->st);
	} else if (warn != NULL)
		app_message(app, "%s", warn);
	free(warn);
	if (sv->st.test_to != NULL)
		sv->test_to = xstrdup(sv->st.test_to);
	/* The Ed25519 choice as the keys already made say. */
	for (i = 0; i < (int)sv->st.nkeys; i++)
		if (strcmp(sv->st.keys[i].type, "ed25519") == 0)
			sv->ed25519 = 1;
	sv_refresh(sv);
	sv->page = sv->st.step;
	if (!setup_can_open(&sv->st, sv->page, &why))
		for (sv->page = SETUP_DETECT; sv->page < SETUP_TEST &&
		    sv->st.done[sv->page] > 0; sv->page++)
			;
	sv_open(sv, sv->page);
	return sv;
}

static void
setup_leave(struct app *app, void *state)
{
	struct setupview *sv = state;

	if (sv->job != NULL)
		keygen_cancel(sv->job);
	keys_gen_free(&sv->gen_key);
	watch_free(sv->watch);
	free(sv->watch_error);
	if (sv->tick != 0)
		loop_timer_cancel(app->loop, sv->tick);
	if (sv->have_det)
		setup_detect_free(&sv->det);
	id_clear(sv);
	setup_keyrows_free(sv->rows, sv->nrows);
	records_free(sv->sets, sv->nsets);
	sendtest_free(sv->test);
	free(sv->test_to);
	free(sv->test_server);
	setup_state_free(&sv->st);
	free(sv);
}

/* ---- Pages: opening one. ---- */

static void
watch_changed(void *arg)
{
	struct setupview *sv = arg;

	sv->app->dirty = 1;
}

static void
watch_begin(struct setupview *sv)
{
	struct app *app = sv->app;
	struct watch_opts o;
	char *cause = NULL;

	if (sv->watch != NULL)
		return;
	memset(&o, 0, sizeof o);
	o.interval_ms = app->watch_ms;
	o.ns_port = app->opts->ns_port;
	o.servers = app->opts->resolver;
	o.zones = app->opts->zones;
	o.timeout_ms = SESSION_DNS_TIMEOUT_MS;
	o.tries = SESSION_DNS_TRIES;
	o.changed = watch_changed;
	o.arg = sv;
	free(sv->watch_error);
	sv->watch_error = NULL;
	if ((sv->watch = watch_start(app->loop, app->site, &o,
	    &cause)) == NULL) {
		sv->watch_error = cause;
		return;
	}
	tick_start(sv);
}

/* Show a step's page; the progress file remembers it. */
static void
sv_open(struct setupview *sv, enum setup_step s)
{
	if (sv->page == SETUP_DNS && s != SETUP_DNS) {
		watch_free(sv->watch);
		sv->watch = NULL;
	}
	sv->page = s;
	if (sv->st.step != s) {
		sv->st.step = s;
		sv_save(sv);
	}
	switch (s) {
	case SETUP_IDENTITY:
		if (!sv->id_loaded)
			id_load(sv);
		break;
	case SETUP_KEYS:
		rows_load(sv);
		break;
	case SETUP_CONFIGS:
		(void)configs_plan(sv->app);	/* planning starts */
		break;
	case SETUP_DNS:
		sets_load(sv);
		watch_begin(sv);
		break;
	default:
		break;
	}
	sv->app->dirty = 1;
}

/* ---- Drawing: the frame. ---- */

enum sv_sstate {
	SS_DONE,
	SS_CURRENT,
	SS_TODO,
	SS_BLOCKED,
};

static enum sv_sstate
step_state(struct setupview *sv, enum setup_step s, const char **why)
{
	*why = NULL;
	if (s == sv->page)
		return SS_CURRENT;
	if (sv->st.done[s] > 0)
		return SS_DONE;
	return setup_can_open(&sv->st, s, why) ? SS_TODO : SS_BLOCKED;
}

static void
draw_steps(struct setupview *sv, int rows)
{
	const char *why;
	enum sv_sstate ss;
	int y = 2, s, first;

	memset(sv->rowstep, -1, sizeof sv->rowstep);
	tui_put(1, 1, SV_LEFT - 2, ROLE_HEADER, "Steps");
	for (s = 0; s < SETUP_NSTEPS && y < rows - 1; s++) {
		ss = step_state(sv, (enum setup_step)s, &why);
		if (ss == SS_CURRENT)
			tui_fill(y, 0, SV_LEFT - 1, ROLE_CURSOR);
		tui_putf(y, 1, SV_LEFT - 2, ss == SS_CURRENT ? ROLE_CURSOR :
		    ROLE_NORMAL, "%s%d %s", ss == SS_CURRENT ? ">" : " ", s + 1,
		    setup_step_title((enum setup_step)s));
		if (y < 64)
			sv->rowstep[y] = s;
		y++;
		switch (ss) {
		case SS_DONE:
			tui_put(y, 4, SV_LEFT - 5, ROLE_OK, "done");
			break;
		case SS_CURRENT:
			tui_put(y, 4, SV_LEFT - 5, ROLE_HEADER,
			    sv->st.done[s] > 0 ? "current (done)" : "current");
			break;
		case SS_TODO:
			tui_put(y, 4, SV_LEFT - 5, ROLE_DIM, "todo");
			break;
		case SS_BLOCKED:
			/* Why, in the list's numbers: the first step
			 * before it not done (why names its title). */
			for (first = 0; first < s &&
			    sv->st.done[first] > 0; first++)
				;
			tui_putf(y, 4, SV_LEFT - 5, ROLE_WARN,
			    "blocked: %d first", first + 1);
			break;
		}
		if (y < 64)
			sv->rowstep[y] = s;
		y++;
	}
	for (y = 1; y < rows; y++)
		tui_put(y, SV_LEFT - 1, 1, ROLE_DIM, tui_utf8() ?
		    "\xe2\x94\x82" : "|");
}

/* The page's area. */
struct area {
	int	x, w;		/* columns */
	int	y, bottom;	/* rows: next free, one past the last */
};

/* A line of the page; returns 1 if it was drawn. */
static int
line(struct area *a, enum tui_role role, const char *text)
{
	if (a->y >= a->bottom)
		return 0;
	tui_put(a->y++, a->x, a->w, role, text);
	return 1;
}

static void
linef(struct area *a, enum tui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
linef(struct area *a, enum tui_role role, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	line(a, role, s);
	free(s);
}

/* Text wrapped to the page with hang blanks before its later lines. */
static void
para(struct area *a, enum tui_role role, int hang, const char *text)
{
	struct strv w;
	size_t i;

	strv_init(&w);
	tui_wrap(text, a->w, hang, 0, &w);
	for (i = 0; i < w.n; i++)
		if (!line(a, role, w.v[i]))
			break;
	strv_free(&w);
}

/* A label and a value ("MTA     postfix ..."). */
static void
field(struct area *a, const char *label, enum tui_role role,
    const char *value)
{
	if (a->y >= a->bottom)
		return;
	tui_put(a->y, a->x, 10, ROLE_HEADER, label);
	tui_put(a->y, a->x + 10, a->w - 10, role, value);
	a->y++;
}

/* ---- What runs here. ---- */

static const char *
choice_word(const struct setup_choice *c)
{
	if (c->installed)
		return "installed";
	if (c->install != NULL)
		return "to install";
	return "not packaged here";
}

static void
draw_detect(struct setupview *sv, struct area *a)
{
	const struct setup_detect *d = &sv->det;
	const struct setup_choice *c;
	size_t i;
	char *s;

	field(a, "System", ROLE_NORMAL, d->os_name);
	if (d->mta != NULL) {
		s = xasprintf("%s %s", d->mta, d->mta_version != NULL ?
		    d->mta_version : "(version unknown)");
		field(a, "MTA", ROLE_OK, s);
		free(s);
		if (d->mta_config != NULL)
			field(a, "", ROLE_NORMAL, d->mta_config);
	} else
		field(a, "MTA", ROLE_FAIL, "none found");
	if (d->signer != NULL) {
		s = xasprintf("%s %s", d->signer, d->signer_version != NULL ?
		    d->signer_version : "(version unknown)");
		field(a, "Signer", ROLE_OK, s);
		free(s);
		if (d->signer_config != NULL)
			field(a, "", ROLE_NORMAL, d->signer_config);
	} else
		field(a, "Signer", ROLE_WARN, "none found: choose one below");
	a->y++;
	line(a, ROLE_HEADER, d->signer != NULL ? "The stack to set up" :
	    "Choose the stack (Up Down)");
	for (i = 0; i < d->nchoices && a->y < a->bottom; i++) {
		c = &d->choices[i];
		if ((int)i == sv->ccur)
			tui_fill(a->y, a->x, a->w, ROLE_CURSOR);
		tui_putf(a->y, a->x, a->w, (int)i == sv->ccur ? ROLE_CURSOR :
		    ROLE_NORMAL, "%s %s", (int)i == sv->ccur ? ">" : " ",
		    c->title);
		tui_put(a->y, a->x + a->w - 18, 18, (int)i == sv->ccur ?
		    ROLE_CURSOR : c->installed ? ROLE_OK : ROLE_WARN,
		    choice_word(c));
		a->y++;
	}
	if (d->nchoices > 0 && sv->ccur < (int)d->nchoices) {
		c = &d->choices[sv->ccur];
		a->y++;
		if (c->install != NULL) {
			line(a, ROLE_NORMAL, "Install it first (notspam does "
			    "not run this):");
			s = xasprintf("  %s", c->install);
			para(a, ROLE_HEADER, 4, s);
			free(s);
			line(a, ROLE_NORMAL, "then r looks again.");
		} else if (!c->installed)
			para(a, ROLE_WARN, 0, "This system has no package for "
			    "it: choose another stack.");
		else
			para(a, ROLE_OK, 0, "Everything it needs is here: n "
			    "goes on to the identity.");
	}
	for (i = 0; i < d->notes.n; i++) {
		s = xasprintf("note: %s", d->notes.v[i]);
		para(a, ROLE_DIM, 6, s);
		free(s);
	}
}

/* ---- Identity. ---- */

/* The page's entries: the host name, the domains, the addresses. */
static int
id_count(struct setupview *sv)
{
	return 1 + (int)sv->domains.n + (int)sv->addrs.n;
}

static enum id_field
id_kind(struct setupview *sv, int i, int *index)
{
	if (i == 0) {
		*index = 0;
		return ID_HOST;
	}
	if (i - 1 < (int)sv->domains.n) {
		*index = i - 1;
		return ID_DOMAIN;
	}
	*index = i - 1 - (int)sv->domains.n;
	return ID_ADDR;
}

/* Problems (and notes) of the answers as they are. */
static size_t
id_check(struct setupview *sv, struct strv *problems, struct strv *notes)
{
	return setup_identity_check(sv->host, &sv->domains, &sv->addrs,
	    problems, notes);
}

/* One entry of the identity page: its label, value and where it is
 * from. */
static void
id_entry(struct setupview *sv, int i, const char **label,
    const char **value, const char **src)
{
	static char family[16];
	enum id_field k;
	int idx, fam;
	char *c;

	k = id_kind(sv, i, &idx);
	*src = "";
	switch (k) {
	case ID_HOST:
		*label = "Host name";
		*value = *sv->host != '\0' ? sv->host : "(none)";
		break;
	case ID_DOMAIN:
		*label = idx == 0 ? "Domains" : "";
		*value = sv->domains.v[idx];
		*src = strv_find(&sv->config_domains, *value) >= 0 ?
		    "from the configs" : "added";
		break;
	case ID_ADDR:
	default:
		*label = idx == 0 ? "Addresses" : "";
		*value = sv->addrs.v[idx];
		c = netaddr_canon(*value, &fam);
		snprintf(family, sizeof family, "%s", c == NULL ?
		    "not an address" : fam == AF_INET ? "IPv4" : "IPv6");
		free(c);
		*src = family;
		break;
	}
}

/* The entries (host name, domains, addresses), the cursor's marked. */
static void
id_entries(struct setupview *sv, struct area *a)
{
	const char *label, *value, *src;
	int i, n = id_count(sv), sel, y0;

	sv->ivis = a->bottom - a->y - 6;
	if (sv->ivis < 3)
		sv->ivis = 3;
	list_fix(&sv->icur, &sv->itop, n, sv->ivis);
	y0 = a->y;
	for (i = sv->itop; i < n && a->y < y0 + sv->ivis &&
	    a->y < a->bottom; i++) {
		id_entry(sv, i, &label, &value, &src);
		sel = i == sv->icur;
		tui_put(a->y, a->x, 11, ROLE_HEADER, label);
		if (sel)
			tui_fill(a->y, a->x + 11, a->w - 11, ROLE_CURSOR);
		tui_putf(a->y, a->x + 11, a->w - 11, sel ? ROLE_CURSOR :
		    ROLE_NORMAL, "%s %s", sel ? ">" : " ", value);
		if (a->w > 50)
			tui_put(a->y, a->x + a->w - 18, 18, sel ? ROLE_CURSOR :
			    ROLE_DIM, src);
		a->y++;
	}
	if (sv->addrs.n == 0 && a->y < a->bottom) {
		tui_put(a->y, a->x, 11, ROLE_HEADER, "Addresses");
		tui_put(a->y++, a->x + 13, a->w - 13, ROLE_WARN,
		    "none: a adds one");
	}
}

static void
draw_identity(struct setupview *sv, struct area *a)
{
	const struct site *site = sv->app->site;
	struct strv problems, notes;
	size_t j;
	char *s;

	strv_init(&problems);
	strv_init(&notes);
	id_check(sv, &problems, &notes);
	id_entries(sv, a);
	s = xasprintf("host name from: %s", sv->host_source);
	para(a, ROLE_DIM, 4, s);
	free(s);
	/* The records follow the MTA's own name: notspam does not edit it. */
	if (site->hostname != NULL && *sv->host != '\0' &&
	    strcasecmp(site->hostname, sv->host) != 0) {
		s = xasprintf("the MTA calls itself %s (%s): the records "
		    "follow it; set its host name there to %s (notspam does "
		    "not edit it)", site->hostname, site->hostname_source !=
		    NULL ? site->hostname_source : "its config", sv->host);
		para(a, ROLE_WARN, 0, s);
		free(s);
	}
	s = xasprintf("addresses from: %s", sv->addr_source);
	para(a, ROLE_DIM, 4, s);
	free(s);
	a->y++;
	for (j = 0; j < problems.n; j++) {
		s = xasprintf("FAIL %s", problems.v[j]);
		para(a, ROLE_FAIL, 5, s);
		free(s);
	}
	if (problems.n == 0)
		para(a, ROLE_OK, 0, "n writes these to notspam's settings "
		    "file (the MTA's files are not touched)");
	for (j = 0; j < notes.n; j++) {
		s = xasprintf("note: %s", notes.v[j]);
		para(a, ROLE_DIM, 6, s);
		free(s);
	}
	strv_free(&problems);
	strv_free(&notes);
}

/* ---- Keys. ---- */

static void
draw_keys(struct setupview *sv, struct area *a)
{
	const struct setup_keyrow *r;
	int i, sel, y0;
	size_t todo = 0;
	char *s;
	enum tui_role role;
	const char *word;

	for (i = 0; i < (int)sv->nrows; i++)
		todo += !sv->rows[i].exists && !sv->rows[i].configured;
	if (sv->nrows == 0) {
		para(a, ROLE_WARN, 0, "No domain to make a key for: the "
		    "identity step names them.");
		return;
	}
	sv->kvis = (a->bottom - a->y - 4) / 2;
	if (sv->kvis < 1)
		sv->kvis = 1;
	list_fix(&sv->kcur, &sv->ktop, (int)sv->nrows, sv->kvis);
	y0 = a->y;
	for (i = sv->ktop; i < (int)sv->nrows && a->y + 1 < a->bottom &&
	    a->y < y0 + 2 * sv->kvis; i++) {
		r = &sv->rows[i];
		sel = i == sv->kcur;
		if (sv->job != NULL && (size_t)i == sv->job_row) {
			word = "making";
			role = ROLE_PENDING;
		} else if (r->configured) {
			word = "in use by the signer";
			role = ROLE_OK;
		} else if (r->made && r->exists) {
			word = "made";
			role = ROLE_OK;
		} else if (r->exists) {
			word = "a file is there";
			role = ROLE_WARN;
		} else {
			word = "to make";
			role = ROLE_WARN;
		}
		if (sel)
			tui_fill(a->y, a->x, a->w, ROLE_CURSOR);
		s = r->bits > 0 ? xasprintf("%s %d", r->type, r->bits) :
		    xstrdup(r->type);
		tui_putf(a->y, a->x, a->w - 22, sel ? ROLE_CURSOR :
		    ROLE_NORMAL, "%s %s  %s  %s", sel ? ">" : " ", r->domain,
		    r->selector, s);
		free(s);
		if (sv->job != NULL && (size_t)i == sv->job_row)
			tui_putf(a->y, a->x + a->w - 21, 21, sel ?
			    ROLE_CURSOR : role, "%s %s", word, spinner(sv));
		else
			tui_put(a->y, a->x + a->w - 21, 21, sel ? ROLE_CURSOR :
			    role, word);
		a->y++;
		tui_putf(a->y++, a->x + 4, a->w - 4, ROLE_DIM, "%s", r->path);
	}
	a->y++;
	if (sv->job != NULL)
		linef(a, ROLE_PENDING, "making key %zu of %zu in the "
		    "background %s", sv->job_n, sv->job_of, spinner(sv));
	else if (todo > 0)
		linef(a, ROLE_NORMAL, "g makes the %zu key%s to make (RSA "
		    "2048%s)", todo, todo == 1 ? "" : "s", sv->ed25519 ?
		    ", Ed25519" : "");
	else
		para(a, ROLE_OK, 0, "Every domain has its key: n goes on to "
		    "the configs.");
	para(a, ROLE_DIM, 0, sv->ed25519 ? "E: RSA only" :
	    "E: an Ed25519 key beside each RSA one (receivers that do not "
	    "know Ed25519 check the RSA one)");
}

/* A key is made and recorded (keys_gen_done): note it in the progress
 * file, then the next one. */
static void keys_make_next(struct setupview *);

static void
on_made(struct keys_gen *g, const char *why, void *arg)
{
	struct setupview *sv = arg;
	struct app *app = sv->app;

	sv->job = NULL;
	if (why != NULL) {
		app_message(app, "no key made: %s", why);
		sv->job_all = 0;
	} else {
		setup_key_add(&sv->st, g->domain, g->selector, g->type,
		    g->res.path);
		sv_save(sv);
		app_message(app, "%s %d key written to %s (mode %04o)%s",
		    g->res.pub.type, g->res.pub.bits, g->res.path,
		    (unsigned)g->res.mode, g->save_error != NULL ?
		    "; the key state was not saved" : "");
	}
	keys_gen_free(g);
	configs_plan_drop(app);		/* the plan wires the new key */
	rows_load(sv);
	if (sv->job_all)
		keys_make_next(sv);
	app->dirty = 1;
}

static void
keys_make_next(struct setupview *sv)
{
	struct app *app = sv->app;
	const struct setup_keyrow *r = NULL;
	struct keys_gen_opts o;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < sv->nrows; i++)
		if (!sv->rows[i].exists && !sv->rows[i].configured) {
			r = &sv->rows[i];
			break;
		}
	if (r == NULL) {
		sv->job_all = 0;
		return;
	}
	memset(&o, 0, sizeof o);
	o.domain = r->domain;
	o.selector = r->selector;
	o.type = r->type;
	o.bits = r->bits;
	o.signer = sv_signer(sv);
	o.keyfile = r->path;
	keys_gen_free(&sv->gen_key);
	if (keys_gen_prepare(app->site, &o, time(NULL), &sv->gen_key,
	    &cause) != KEYS_OK || (sv->job = keys_generate_start(app->loop,
	    &sv->gen_key, on_made, sv, &cause)) == NULL) {
		app_message(app, "%s", cause);
		free(cause);
		keys_gen_free(&sv->gen_key);
		sv->job_all = 0;
		return;
	}
	sv->job_row = i;
	sv->job_n++;
	tick_start(sv);
}

/* ---- Configs. ---- */

static void
draw_configs(struct setupview *sv, struct area *a)
{
	const struct plan *p = configs_plan(sv->app);
	size_t i, n;
	char *s;

	if (p == NULL) {
		linef(a, ROLE_PENDING, "planning: asking the PTR records of "
		    "the public addresses %s", spinner(sv));
		tick_start(sv);
		return;
	}
	n = plan_changed_files(p);
	if (n > 0) {
		linef(a, ROLE_WARN, "apply's plan: %zu file%s to change, %zu "
		    "edit%s", n, n == 1 ? "" : "s", plan_nedits(p),
		    plan_nedits(p) == 1 ? "" : "s");
		for (i = 0; i < p->nfiles; i++)
			if (plan_file_changed(&p->files[i]))
				linef(a, ROLE_NORMAL, "  %s  (%zu edit%s%s)",
				    p->files[i].path, p->files[i].nedits,
				    p->files[i].nedits == 1 ? "" : "s",
				    p->files[i].exists ? "" : ", new");
		a->y++;
		para(a, ROLE_NORMAL, 0, "Enter opens the Configs screen: each "
		    "file's diff (Enter), then A applies them: checked by the "
		    "programs' own checkers, backed up, written, reloaded. "
		    "Nothing is written before you answer y there.");
	} else
		para(a, ROLE_OK, 0, "in sync: the configuration is what the "
		    "site needs. n goes on to the DNS records.");
	a->y++;
	for (i = 0; i < p->none.n; i++) {
		s = xasprintf("no plan because %s", p->none.v[i]);
		para(a, ROLE_FAIL, 2, s);
		free(s);
	}
	for (i = 0; i < p->notes.n; i++) {
		s = xasprintf("note: %s", p->notes.v[i]);
		para(a, ROLE_DIM, 6, s);
		free(s);
	}
}

/* ---- DNS. ---- */

/* A record's label: the set or domain and what it is. */
static char *
row_label(const struct watch_row *r)
{
	if (strncmp(r->id, "ptr:", 4) == 0)
		return xasprintf("PTR %s", r->id + 4);
	if (strcmp(r->id, "host-a") == 0)
		return xasprintf("%s A", r->set);
	if (strcmp(r->id, "host-aaaa") == 0)
		return xasprintf("%s AAAA", r->set);
	if (strcmp(r->id, "spf-helo") == 0)
		return xasprintf("%s SPF (HELO)", r->set);
	if (strcmp(r->id, "mx") == 0)
		return xasprintf("%s MX", r->set);
	if (strcmp(r->id, "spf") == 0)
		return xasprintf("%s SPF", r->set);
	if (strncmp(r->id, "dkim:", 5) == 0)
		return xasprintf("%s DKIM %s", r->set, r->id + 5);
	if (strcmp(r->id, "dmarc") == 0)
		return xasprintf("%s DMARC", r->set);
	return xasprintf("%s %s", r->set, r->id);
}

/* Where the record is seen, in words, with the TTL. */
static char *
row_seen(struct setupview *sv, const struct watch_row *r,
    enum tui_role *role)
{
	char ttl[32] = "";

	if (r->ttl >= 0)
		snprintf(ttl, sizeof ttl, ", TTL %ld s", r->ttl);
	switch (r->state) {
	case WATCH_PENDING:
		*role = ROLE_PENDING;
		return xasprintf("asking %s", spinner(sv));
	case WATCH_SHOWN:
		*role = r->status == CHECK_OK ? ROLE_OK : ROLE_WARN;
		return xasprintf("%s%s", r->status == CHECK_OK ? "ok" :
		    "shown, warn", ttl);
	case WATCH_AUTH:
		*role = ROLE_WARN;
		return xasprintf("on %zu of %zu NS%s", r->nns_have, r->nns,
		    ttl);
	case WATCH_MISSING:
		*role = ROLE_FAIL;
		if (r->ttl >= 0)
			return xasprintf("missing (neg. TTL %ld s)", r->ttl);
		return xstrdup("missing");
	case WATCH_WRONG:
		*role = ROLE_FAIL;
		return xasprintf("wrong%s", ttl);
	case WATCH_UNKNOWN:
	default:
		*role = ROLE_UNKNOWN;
		return xstrdup("unknown");
	}
}

/* The value to publish for a row (the first, for "host-a"), or NULL. */
static const char *
row_value(struct setupview *sv, const struct watch_row *r)
{
	size_t i, j;

	for (i = 0; i < sv->nsets; i++) {
		if (sv->sets[i].host != r->host ||
		    strcasecmp(sv->sets[i].domain, r->set) != 0)
			continue;
		for (j = 0; j < sv->sets[i].nrecords; j++)
			if (strcmp(sv->sets[i].records[j].id, r->id) == 0)
				return sv->sets[i].records[j].value;
	}
	return NULL;
}

static void
draw_dns(struct setupview *sv, struct area *a)
{
	const struct watch_row *rows = NULL;
	size_t n = 0, shown = 0, total = 0;
	int i, sel, y0, wseen = 26;
	enum tui_role role;
	const char *value;
	char *s, *seen;

	if (sv->watch == NULL) {
		para(a, ROLE_FAIL, 0, sv->watch_error != NULL ?
		    sv->watch_error : "the watch is not running");
		para(a, ROLE_NORMAL, 0, "e still exports the records.");
		return;
	}
	rows = watch_rows(sv->watch, &n);
	shown = watch_shown(sv->watch, &total);
	if (watch_busy(sv->watch))
		linef(a, shown == total && total > 0 ? ROLE_OK : ROLE_NORMAL,
		    "%zu of %zu records shown; looking %s", shown, total,
		    spinner(sv));
	else
		linef(a, shown == total && total > 0 ? ROLE_OK : ROLE_NORMAL,
		    "%zu of %zu records shown; next look in %lld s", shown,
		    total, (long long)(watch_next_ms(sv->watch) + 999) / 1000);
	if (watch_error(sv->watch) != NULL)
		para(a, ROLE_WARN, 2, watch_error(sv->watch));
	sv->dvis = a->bottom - a->y - 3;
	if (sv->dvis < 1)
		sv->dvis = 1;
	list_fix(&sv->dcur, &sv->dtop, (int)n, sv->dvis);
	if (a->w < 50)
		wseen = a->w / 2;
	y0 = a->y;
	for (i = sv->dtop; i < (int)n && a->y < y0 + sv->dvis &&
	    a->y < a->bottom; i++) {
		sel = i == sv->dcur;
		s = row_label(&rows[i]);
		seen = row_seen(sv, &rows[i], &role);
		if (sel)
			tui_fill(a->y, a->x, a->w, ROLE_CURSOR);
		tui_putf(a->y, a->x, a->w - wseen - 1, sel ? ROLE_CURSOR :
		    ROLE_NORMAL, "%s %s", sel ? ">" : " ", s);
		/* A wide terminal has the room for the value too. */
		if (a->w >= 90 && (value = row_value(sv, &rows[i])) != NULL)
			tui_put(a->y, a->x + 31, a->w - wseen - 33, sel ?
			    ROLE_CURSOR : ROLE_DIM, value);
		tui_put(a->y, a->x + a->w - wseen, wseen, sel ? ROLE_CURSOR :
		    role, seen);
		a->y++;
		free(s);
		free(seen);
	}
	if (n == 0)
		line(a, ROLE_PENDING, "asking...");
	a->y++;
	if (shown == total && total > 0)
		para(a, ROLE_OK, 0, "The DNS shows every record: n goes on to "
		    "the test message.");
	else
		para(a, ROLE_NORMAL, 0, "e exports them as zone files to "
		    "publish; each row turns ok as the DNS shows it.");
}

/* A zone-file text in the box, a line at a time (a long TXT is several
 * strings over several lines), tabs as blanks. */
static void
dialog_zone(struct app *app, const char *text)
{
	struct strv l;
	size_t i;
	char *t;

	strv_init(&l);
	str_split(text, "\n", &l);
	for (i = 0; i < l.n; i++) {
		for (t = l.v[i]; *t != '\0'; t++)
			if (*t == '\t')
				*t = ' ';
		app_dialog_label(app, i == 0 ? "publish: " : "         ",
		    TEXTWRAP_ANY, l.v[i]);
	}
	strv_free(&l);
}

/* Enter on a record: its value, what the DNS says. */
static void
dns_show(struct setupview *sv)
{
	const struct watch_row *rows;
	const struct record *rec;
	size_t n, i, j;
	char *s;

	if (sv->watch == NULL)
		return;
	rows = watch_rows(sv->watch, &n);
	if (sv->dcur < 0 || (size_t)sv->dcur >= n)
		return;
	s = row_label(&rows[sv->dcur]);
	app_dialog(sv->app, s);
	free(s);
	app_dialog_label(sv->app, "name: ", 0, rows[sv->dcur].name);
	app_dialog_label(sv->app, "seen: ", 0,
	    watch_state_name(rows[sv->dcur].state));
	app_dialog_add(sv->app, 0, 0, "");
	/* Every record of the id ("host-a" repeats once per address). */
	for (i = 0; i < sv->nsets; i++)
		for (j = 0; j < sv->sets[i].nrecords; j++) {
			rec = &sv->sets[i].records[j];
			if (sv->sets[i].host != rows[sv->dcur].host ||
			    strcasecmp(sv->sets[i].domain,
			    rows[sv->dcur].set) != 0 ||
			    strcmp(rec->id, rows[sv->dcur].id) != 0)
				continue;
			s = records_zone_line(rec);
			dialog_zone(sv->app, s);
			free(s);
		}
	if (rows[sv->dcur].detail != NULL) {
		app_dialog_add(sv->app, 0, 0, "");
		app_dialog_label(sv->app, "DNS: ", 0, rows[sv->dcur].detail);
	}
}

/* e: each domain's records (the mail host's with them) as a zone file
 * in the directory typed. */
static void
export_done(struct app *app, void *state, const char *text)
{
	struct setupview *sv = state;
	const struct check_domain *res;
	struct buf names;
	size_t nres, i, files = 0;
	char *path, *cause = NULL;
	int n, total = 0;

	if (text == NULL || *text == '\0')
		return;
	res = app_results(app, &nres);
	buf_init(&names);
	for (i = 0; i < app->site->ndomains; i++) {
		path = xasprintf("%s/%s.missing.zone", text,
		    app->site->domains[i].name);
		n = export_missing(app->site, app->site->domains[i].name,
		    res, nres, path, &cause);
		if (n < 0) {
			app_message(app, "export failed: %s", cause);
			free(cause);
			free(path);
			buf_free(&names);
			return;
		}
		total += n;
		files++;
		buf_printf(&names, "%s%s", files > 1 ? ", " : "", path);
		free(path);
	}
	buf_addc(&names, '\0');
	(void)sv;
	if (files == 0)
		app_message(app, "no hosted domain: nothing exported");
	else
		app_message(app, "%d record%s written to %s", total,
		    total == 1 ? "" : "s", names.data);
	buf_free(&names);
}

/* ---- Test. ---- */

/* The test's progress: a line, its phase, its end (from the loop). */
static void
test_line(const char *line, void *arg)
{
	struct setupview *sv = arg;

	(void)line;
	sv->app->dirty = 1;
}

static void
test_phase(enum sendtest_phase p, void *arg)
{
	struct setupview *sv = arg;

	(void)p;
	sv->app->dirty = 1;
}

static void
test_done(struct sendtest *t, void *arg)
{
	struct setupview *sv = arg;

	(void)t;
	sv->test_over = 1;
	sv->app->dirty = 1;
}

/* Enter: the test sent, by the route chosen, on the session's loop. */
static void
test_send(struct setupview *sv)
{
	struct sendtest_opts o;
	char *cause = NULL;

	if (sv->test != NULL && !sv->test_over) {
		app_message(sv->app, "a test is %s: one at a time (Esc "
		    "cancels it)", sendtest_phase_name(sendtest_phase(sv->test)));
		return;
	}
	if (sv->test_to == NULL) {
		app_message(sv->app, "a gives the address first (a "
		    "mail-tester.com one, or yours)");
		return;
	}
	sendtest_free(sv->test);
	sv->test = NULL;
	memset(&o, 0, sizeof o);
	o.route = sv->test_server != NULL ? SENDTEST_SERVER : SENDTEST_LOCAL;
	o.server = sv->test_server;
	o.to = sv->test_to;
	o.on_line = test_line;
	o.on_phase = test_phase;
	o.on_done = test_done;
	o.arg = sv;
	sv->test_over = 0;
	if ((sv->test = sendtest_start(sv->app->session, &o, &cause)) ==
	    NULL) {
		app_message(sv->app, "not sent: %s", cause);
		free(cause);
		return;
	}
	tick_start(sv);
}

static void
test_to_done(struct app *app, void *state, const char *text)
{
	struct setupview *sv = state;
	char *t;

	if (text == NULL)
		return;
	t = xstrdup(text);
	str_trim(t);
	free(sv->test_to);
	sv->test_to = *t != '\0' ? t : NULL;
	if (sv->test_to == NULL)
		free(t);
	app->dirty = 1;
}

static void
test_server_done(struct app *app, void *state, const char *text)
{
	struct setupview *sv = state;
	char *t;

	if (text == NULL)
		return;
	t = xstrdup(text);
	str_trim(t);
	free(sv->test_server);
	sv->test_server = *t != '\0' ? t : NULL;
	if (sv->test_server == NULL)
		free(t);
	app->dirty = 1;
}

/* The outcome's lines: the verdict and the summary, mail-tester's page. */
static void
draw_test_result(struct setupview *sv, struct area *a)
{
	const struct sendtest_result *r = sendtest_result(sv->test);
	char *s;

	if (!sv->test_over) {
		linef(a, ROLE_PENDING, "%s %s", sendtest_phase_name(
		    sendtest_phase(sv->test)), spinner(sv));
		return;
	}
	field(a, "Verdict", r->verdict == SENDTEST_ACCEPTED ? ROLE_OK :
	    r->verdict == SENDTEST_DEFERRED ? ROLE_WARN : ROLE_FAIL,
	    sendtest_verdict_name(r->verdict));
	if (r->summary != NULL)
		para(a, ROLE_NORMAL, 2, r->summary);
	if (r->fix != NULL) {
		s = xasprintf("fix: %s", r->fix);
		para(a, ROLE_NORMAL, 5, s);
		free(s);
	}
	if (r->mailtester_url != NULL) {
		s = xasprintf("the result: %s", r->mailtester_url);
		para(a, ROLE_HEADER, 4, s);
		free(s);
	}
}

static void
draw_test(struct setupview *sv, struct area *a)
{
	const struct strv *tr;
	size_t i, from;
	int room;
	char *s;

	para(a, ROLE_NORMAL, 0, "A test message to a mail-tester.com address "
	    "(its page scores DKIM, SPF, DMARC, the PTR) or to any address "
	    "whose mail you read.");
	a->y++;
	field(a, "To", sv->test_to != NULL ? ROLE_NORMAL : ROLE_WARN,
	    sv->test_to != NULL ? sv->test_to : "(none: a gives it)");
	if (sv->test_server != NULL) {
		s = xasprintf("the server %s", sv->test_server);
		field(a, "Route", ROLE_NORMAL, s);
		free(s);
	} else
		field(a, "Route", ROLE_NORMAL, "the local MTA, port 25 (s: a "
		    "server instead)");
	a->y++;
	if (sv->test == NULL) {
		para(a, ROLE_DIM, 0, sv->st.done[SETUP_TEST] > 0 ? "The setup "
		    "is done; Enter sends another test." : "Enter sends it; "
		    "n once it is sent.");
		return;
	}
	draw_test_result(sv, a);
	/* The transcript's end, as much as fits. */
	tr = sendtest_transcript(sv->test);
	room = a->bottom - a->y - 1;
	if (room < 1 || tr->n == 0)
		return;
	a->y++;
	from = tr->n > (size_t)room ? tr->n - (size_t)room : 0;
	for (i = from; i < tr->n; i++)
		line(a, ROLE_DIM, tr->v[i]);
}

/* ---- The whole screen. ---- */

static void
setup_draw(struct app *app, void *state, int rows, int cols)
{
	struct setupview *sv = state;
	struct area a;
	const char *root = app->site->root;
	const char *keys;

	sv_refresh(sv);
	tui_fill(0, 0, cols, ROLE_TITLE);
	tui_putf(0, 0, cols, ROLE_TITLE, " Guided setup%s%s",
	    root != NULL ? "  --root " : "", root != NULL ? root : "");
	draw_steps(sv, rows);
	a.x = SV_LEFT + 1;
	a.w = cols - SV_LEFT - 2;
	a.y = 1;
	a.bottom = rows;
	linef(&a, ROLE_HEADER, "Step %d of %d: %s", sv->page + 1,
	    SETUP_NSTEPS, setup_step_title(sv->page));
	a.y++;
	switch (sv->page) {
	case SETUP_DETECT:
		draw_detect(sv, &a);
		keys = " n next  Up Down stack  r look again  ? help  Esc leave";
		break;
	case SETUP_IDENTITY:
		draw_identity(sv, &a);
		keys = " n next  p back  Enter edit  a add  d remove  ? help  "
		    "Esc leave";
		break;
	case SETUP_KEYS:
		draw_keys(sv, &a);
		keys = " n next  p back  g make keys  E Ed25519  ? help  "
		    "Esc leave";
		break;
	case SETUP_CONFIGS:
		draw_configs(sv, &a);
		keys = " n next  p back  Enter diffs and apply  ? help  "
		    "Esc leave";
		break;
	case SETUP_DNS:
		draw_dns(sv, &a);
		keys = " n next  p back  e export  Enter record  w look now  "
		    "? help  Esc leave";
		break;
	case SETUP_TEST:
	default:
		draw_test(sv, &a);
		keys = " n finish  p back  a To  s server  Enter send  ? help  "
		    "Esc leave";
		break;
	}
	snprintf(sv->keys, sizeof sv->keys, "%s", keys);
	app->keyline = sv->keys;
}

/* ---- Next. ---- */

/* May the page's step be left forward?  NULL, or why not (static or the
 * message set). */
static int
next_detect(struct setupview *sv)
{
	const struct setup_choice *c;
	char *cause = NULL;

	if (sv->det.nchoices == 0 || sv->ccur >= (int)sv->det.nchoices) {
		app_message(sv->app, "no stack to set up here: install a mail "
		    "server first");
		return -1;
	}
	c = &sv->det.choices[sv->ccur];
	if (!c->installed) {
		app_message(sv->app, c->install != NULL ? "install it first: "
		    "%s (then r)" : "%s is not packaged here: choose another",
		    c->install != NULL ? c->install : c->title);
		return -1;
	}
	/* No signer found: the one chosen is the one apply is to wire. */
	if (sv->det.signer == NULL && setup_settings_signer(
	    sv->app->site->root, sv->app->opts->config, c->signer,
	    &cause) != 0) {
		app_message(sv->app, "not written: %s", cause);
		free(cause);
		return -1;
	}
	free(sv->st.mta);
	free(sv->st.signer);
	sv->st.mta = xstrdup(c->mta);
	sv->st.signer = xstrdup(c->signer);
	return sv->det.signer == NULL ? 1 : 0;	/* 1: read the site again */
}

static int
next_identity(struct setupview *sv)
{
	struct app *app = sv->app;
	struct setup_identity id;
	struct strv problems;
	char *cause = NULL, *c;
	size_t i;
	int fam;

	strv_init(&problems);
	if (id_check(sv, &problems, NULL) > 0) {
		app_message(app, "first: %s", problems.v[0]);
		strv_free(&problems);
		return -1;
	}
	strv_free(&problems);
	setup_identity(app->site, &sv->st, &id);
	free(id.hostname);
	id.hostname = xstrdup(sv->host);
	strv_free(&id.domains);
	strv_free(&id.ipv4);
	strv_free(&id.ipv6);
	strv_init(&id.domains);
	strv_init(&id.ipv4);
	strv_init(&id.ipv6);
	for (i = 0; i < sv->domains.n; i++)
		strv_add_unique(&id.domains, sv->domains.v[i]);
	for (i = 0; i < sv->addrs.n; i++)
		if ((c = netaddr_canon(sv->addrs.v[i], &fam)) != NULL) {
			strv_add_unique(fam == AF_INET ? &id.ipv4 : &id.ipv6,
			    c);
			free(c);
		}
	if (setup_settings_write(app->site->root, app->opts->config, &id,
	    &cause) != 0) {
		app_message(app, "not written: %s", cause);
		free(cause);
		setup_identity_free(&id);
		return -1;
	}
	free(sv->st.hostname);
	sv->st.hostname = str_lower(xstrdup(sv->host));
	strv_free(&sv->st.domains);
	strv_free(&sv->st.addresses);
	strv_init(&sv->st.domains);
	strv_init(&sv->st.addresses);
	for (i = 0; i < id.domains.n; i++)
		strv_add_unique(&sv->st.domains, id.domains.v[i]);
	for (i = 0; i < id.ipv4.n; i++)
		strv_add_unique(&sv->st.addresses, id.ipv4.v[i]);
	for (i = 0; i < id.ipv6.n; i++)
		strv_add_unique(&sv->st.addresses, id.ipv6.v[i]);
	sv->st.have_domains = sv->st.have_addresses = 1;
	setup_identity_free(&id);
	app_message(app, "written to %s", app->opts->config != NULL ?
	    app->opts->config : SETTINGS_DEFAULT_PATH);
	return 1;		/* the site is read again */
}

static int
next_keys(struct setupview *sv)
{
	size_t i;

	if (sv->job != NULL) {
		app_message(sv->app, "wait: a key is being made");
		return -1;
	}
	for (i = 0; i < sv->nrows; i++) {
		if (sv->rows[i].configured || (sv->rows[i].made &&
		    sv->rows[i].exists))
			continue;
		app_message(sv->app, sv->rows[i].exists ? "%s is there but "
		    "not made by the setup: move it away, or use it with "
		    "notspam keygen --import" : "g makes the keys first (%s)",
		    sv->rows[i].path);
		return -1;
	}
	if (sv->nrows == 0) {
		app_message(sv->app, "no domain: the identity step names them");
		return -1;
	}
	return 0;
}

static int
next_configs(struct setupview *sv)
{
	const struct plan *p = configs_plan(sv->app);

	if (p == NULL) {
		app_message(sv->app, "wait: the plan is being made");
		return -1;
	}
	if (plan_changed_files(p) > 0) {
		app_message(sv->app, "apply first: Enter shows the diffs, A "
		    "there applies them");
		return -1;
	}
	return 0;
}

static int
next_test(struct setupview *sv)
{
	const struct sendtest_result *r;

	if (sv->test == NULL || !sv->test_over) {
		if (sv->st.done[SETUP_TEST] > 0)
			return 0;
		app_message(sv->app, sv->test != NULL ? "wait: the test is "
		    "not done" : "send a test first: a gives the address, "
		    "Enter sends it");
		return -1;
	}
	r = sendtest_result(sv->test);
	free(sv->st.test_to);
	free(sv->st.test_route);
	sv->st.test_to = xstrdup(sv->test_to);
	sv->st.test_route = xstrdup(sendtest_route_name(r->route));
	return 0;
}

static void
sv_next(struct setupview *sv)
{
	enum setup_step s = sv->page;
	int rc = 0;

	switch (s) {
	case SETUP_DETECT:
		rc = next_detect(sv);
		break;
	case SETUP_IDENTITY:
		rc = next_identity(sv);
		break;
	case SETUP_KEYS:
		rc = next_keys(sv);
		break;
	case SETUP_CONFIGS:
		rc = next_configs(sv);
		break;
	case SETUP_TEST:
		rc = next_test(sv);
		break;
	default:
		break;
	}
	if (rc < 0)
		return;
	setup_done(&sv->st, s, time(NULL));
	sv_save(sv);
	if (rc == 1)
		sv_site_reload(sv);
	if (s == SETUP_TEST) {
		app_message(sv->app, "the setup is done: the dashboard keeps "
		    "watching (w opens the setup again)");
		return;
	}
	sv_open(sv, s + 1);
}

/* ---- Keys of the pages. ---- */

static void
id_edited(struct app *app, void *state, const char *text)
{
	struct setupview *sv = state;
	struct strv *v = sv->ikind == ID_DOMAIN ? &sv->domains : &sv->addrs;
	char *t, *c;
	int fam;

	if (text == NULL)
		return;
	t = xstrdup(text);
	str_trim(t);
	if (sv->ikind == ID_HOST) {
		free(sv->host);
		sv->host = str_lower(t);
		free(sv->host_source);
		sv->host_source = xstrdup("setup");
		app->dirty = 1;
		return;
	}
	/* A new entry goes where it belongs: an address is one, and so is
	 * what was meant as one (digits and dots, or a colon), so that the
	 * check says what is wrong with it. */
	if (sv->iedit < 0) {
		sv->ikind = (c = netaddr_canon(t, &fam)) != NULL ||
		    strchr(t, ':') != NULL || t[strspn(t, "0123456789.")] ==
		    '\0' ? ID_ADDR : ID_DOMAIN;
		free(c);
		v = sv->ikind == ID_DOMAIN ? &sv->domains : &sv->addrs;
	}
	if (sv->ikind == ID_DOMAIN)
		str_lower(t);
	else if ((c = netaddr_canon(t, &fam)) != NULL) {
		free(t);
		t = c;
	}
	if (*t == '\0') {
		free(t);
		return;
	}
	if (sv->iedit < 0) {
		strv_add(v, t);
		sv->icur = sv->ikind == ID_DOMAIN ? (int)sv->domains.n :
		    1 + (int)sv->domains.n + (int)sv->addrs.n - 1;
	} else if ((size_t)sv->iedit < v->n) {
		free(v->v[sv->iedit]);
		v->v[sv->iedit] = t;
		t = NULL;
	}
	free(t);
	if (sv->ikind == ID_ADDR) {
		free(sv->addr_source);
		sv->addr_source = xstrdup("setup (edited)");
	}
	app->dirty = 1;
}

static void
strv_remove(struct strv *v, size_t i)
{
	if (i >= v->n)
		return;
	free(v->v[i]);
	memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof *v->v);
	v->n--;
}

static int
key_identity(struct setupview *sv, int key)
{
	struct app *app = sv->app;
	int idx, n = id_count(sv);
	enum id_field k = id_kind(sv, sv->icur, &idx);

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		sv->ikind = k;
		sv->iedit = idx;
		app_input(app, k == ID_HOST ? "host name: " : k == ID_DOMAIN ?
		    "domain: " : "address: ", k == ID_HOST ? sv->host :
		    k == ID_DOMAIN ? sv->domains.v[idx] : sv->addrs.v[idx],
		    id_edited, sv);
		return KEY_HANDLED;
	case 'a':
		/* A new domain or address (id_edited tells which), never
		 * the host name, whatever was edited last. */
		sv->ikind = ID_DOMAIN;
		sv->iedit = -1;
		app_input(app, "add a domain or a public address: ", "",
		    id_edited, sv);
		return KEY_HANDLED;
	case 'd':
	case KEY_DC:
		if (k == ID_HOST)
			app_message(app, "the host name is needed: Enter "
			    "edits it");
		else
			strv_remove(k == ID_DOMAIN ? &sv->domains : &sv->addrs,
			    (size_t)idx);
		return KEY_HANDLED;
	}
	return list_key(key, &sv->icur, &sv->itop, n, sv->ivis) ?
	    KEY_HANDLED : 0;
}

static int
key_keys(struct setupview *sv, int key)
{
	switch (key) {
	case 'g':
		if (sv->job != NULL) {
			app_message(sv->app, "a key is being made already");
			return KEY_HANDLED;
		}
		sv->job_all = 1;
		sv->job_n = 0;
		sv->job_of = 0;
		{
			size_t i;

			for (i = 0; i < sv->nrows; i++)
				sv->job_of += !sv->rows[i].exists &&
				    !sv->rows[i].configured;
		}
		if (sv->job_of == 0)
			app_message(sv->app, "every key is there: n goes on");
		else
			keys_make_next(sv);
		return KEY_HANDLED;
	case 'E':
		if (sv->job != NULL) {
			app_message(sv->app, "wait: a key is being made");
			return KEY_HANDLED;
		}
		sv->ed25519 = !sv->ed25519;
		rows_load(sv);
		return KEY_HANDLED;
	}
	return list_key(key, &sv->kcur, &sv->ktop, (int)sv->nrows, sv->kvis) ?
	    KEY_HANDLED : 0;
}

static int
key_dns(struct setupview *sv, int key)
{
	size_t n = 0;

	if (sv->watch != NULL)
		(void)watch_rows(sv->watch, &n);
	switch (key) {
	case 'e':
		app_input(sv->app, "export the records as zone files to the "
		    "directory: ", ".", export_done, sv);
		return KEY_HANDLED;
	case 'w':
		if (sv->watch != NULL)
			watch_now(sv->watch);
		else
			watch_begin(sv);
		return KEY_HANDLED;
	case '\r':
	case '\n':
	case KEY_ENTER:
		dns_show(sv);
		return KEY_HANDLED;
	}
	return list_key(key, &sv->dcur, &sv->dtop, (int)n, sv->dvis) ?
	    KEY_HANDLED : 0;
}

static int
key_test(struct setupview *sv, int key)
{
	switch (key) {
	case 'a':
		app_input(sv->app, "send the test to: ", sv->test_to,
		    test_to_done, sv);
		return KEY_HANDLED;
	case 's':
		app_input(sv->app, "server HOST[:PORT] (empty: the local MTA): ",
		    sv->test_server, test_server_done, sv);
		return KEY_HANDLED;
	case '\r':
	case '\n':
	case KEY_ENTER:
		test_send(sv);
		return KEY_HANDLED;
	}
	return 0;
}

/* A step chosen (a digit, a click): opened if it may be. */
static void
sv_goto(struct setupview *sv, int s)
{
	const char *why;

	if (s < 0 || s >= SETUP_NSTEPS || s == (int)sv->page)
		return;
	if (!setup_can_open(&sv->st, (enum setup_step)s, &why)) {
		app_message(sv->app, "%s: %s", setup_step_title(s), why);
		return;
	}
	sv_open(sv, (enum setup_step)s);
}

static int
setup_key(struct app *app, void *state, int key)
{
	struct setupview *sv = state;
	MEVENT ev;
	int r = 0;

	sv_refresh(sv);
	switch (key) {
	case 'n':
	case KEY_RIGHT:
		sv_next(sv);
		return KEY_HANDLED;
	case 'p':
	case KEY_LEFT:
		if (sv->page == SETUP_DETECT)
			return 0;	/* Left leaves */
		sv_open(sv, sv->page - 1);
		return KEY_HANDLED;
	case '1': case '2': case '3': case '4': case '5': case '6':
		sv_goto(sv, key - '1');
		return KEY_HANDLED;
	case KEY_MOUSE:
		if (getmouse(&ev) == OK && ev.x < SV_LEFT && ev.y >= 0 &&
		    ev.y < 64 && sv->rowstep[ev.y] >= 0)
			sv_goto(sv, sv->rowstep[ev.y]);
		return KEY_HANDLED;
	case 27:
	case 'q':
		if (sv->job != NULL) {
			app_message(app, "wait: a key is being made");
			return KEY_HANDLED;
		}
		if (sv->test != NULL && !sv->test_over) {
			sendtest_free(sv->test);	/* cancelled */
			sv->test = NULL;
			app_message(app, "the test was cancelled");
			return KEY_HANDLED;
		}
		return 0;		/* back: progress is saved */
	}
	switch (sv->page) {
	case SETUP_DETECT:
		if (key == 'r') {
			/* Look again (after an install): the site read
			 * anew. */
			sv_site_reload(sv);
			app_message(app, "looked again");
			return KEY_HANDLED;
		}
		r = list_key(key, &sv->ccur, &sv->ctop,
		    (int)sv->det.nchoices, (int)sv->det.nchoices) ?
		    KEY_HANDLED : 0;
		break;
	case SETUP_IDENTITY:
		r = key_identity(sv, key);
		break;
	case SETUP_KEYS:
		r = key_keys(sv, key);
		break;
	case SETUP_CONFIGS:
		if (key == '\r' || key == '\n' || key == KEY_ENTER) {
			app_push(app, &screen_configs, NULL);
			return KEY_HANDLED;
		}
		break;
	case SETUP_DNS:
		r = key_dns(sv, key);
		break;
	case SETUP_TEST:
		r = key_test(sv, key);
		break;
	default:
		break;
	}
	return r;
}

const struct screen screen_setup = {
	"setup", setup_enter, setup_draw, setup_key, setup_leave,
	" n next  p back  ? help  Esc leave",
	setup_help
};
