/* keyview.c: the Keys screen: per domain and selector the key's type and
 * size, file, owner and mode (unsafe ones flagged), rotation state, whether
 * the DNS publishes it; generate (in a child: the screen never freezes),
 * show the TXT value and the switch, fix the key file's permissions. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dns/dns.h"
#include "core/keys/keygen.h"
#include "core/keys/keylife.h"
#include "core/keys/keys.h"
#include "core/keys/keysafe.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "core/site/session.h"
#include "ui/app.h"
#include "ui/tui.h"

struct keyview {
	struct app		*app;
	struct keys_list	*list;
	struct dns		*dns;	/* its own: freed before the list */
	int			 cur, top, vis;
	int			 told;	/* a failed save of the states shown */
	struct keygen_job	*job;	/* a key being made */
	struct keys_gen		 gen;	/* the key the job makes */
	char			*job_domain;
	char			*job_type;
};

static const char *const keys_help[] = {
	"Every DKIM key: the signer's configured keys and those notspam made.",
	"state: generated, published (the DNS has it), active (the signer uses",
	"it), retired, revoked.  DNS: does the DNS publish this very key?",
	"",
	"Up Down j k  move (or click)    Enter  details, TXT value, the switch",
	"n            new RSA 2048 key for the selected domain (asks a selector)",
	"E            new Ed25519 key beside it (RFC 8463)",
	"f            fix the key file: mode 0600, owned by the signer's user",
	"R            retire the key (after a switch: keep it published 7 days",
	"             so mail in transit still verifies, then remove its record)",
	"Esc q Left   back",
	NULL
};

/* An answer came (the list settles its states by itself once all are in):
 * redraw, and say once when the states could not be saved. */
static void
keys_changed(void *arg)
{
	struct keyview *kv = arg;

	kv->app->dirty = 1;
	if (kv->list->settled && kv->list->save_error != NULL && !kv->told) {
		kv->told = 1;
		app_message(kv->app, "key states not saved: %s",
		    kv->list->save_error);
	}
}

/* (Re)read the keys and ask the DNS about each. */
static void
keys_reload(struct keyview *kv)
{
	char *cause = NULL;

	keys_probe_stop(kv->list);	/* cancellations must not settle */
	dns_free(kv->dns);
	kv->dns = NULL;
	keys_list_free(kv->list);
	kv->list = NULL;
	kv->told = 0;
	if ((kv->list = keys_list_new(kv->app->site, &cause)) == NULL) {
		app_message(kv->app, "%s", cause);
		free(cause);
		return;
	}
	if ((kv->dns = session_dns_new(kv->app->session, &cause)) == NULL) {
		app_message(kv->app, "no resolver: %s", cause);
		free(cause);
		return;
	}
	keys_watch(kv->list, kv->dns, keys_changed, kv);
}

static void *
keys_enter(struct app *app, const void *arg)
{
	struct keyview *kv = xcalloc(1, sizeof *kv);

	(void)arg;
	kv->app = app;
	keys_reload(kv);
	return kv;
}

static void
keys_leave(struct app *app, void *state)
{
	struct keyview *kv = state;

	(void)app;
	keygen_cancel(kv->job);
	keys_gen_free(&kv->gen);
	keys_probe_stop(kv->list);
	dns_free(kv->dns);
	keys_list_free(kv->list);
	free(kv->job_domain);
	free(kv->job_type);
	free(kv);
}

/* The columns of the table, each as wide as its widest cell. */
struct keys_cols {
	int	 sel, key, state, dns, file;	/* where each starts */
};

static int
max_width(int w, const char *text)
{
	int tw = tui_width(text);

	return tw > w ? tw : w;
}

/* "rsa 2048" or "unreadable". */
static char *
key_desc(const struct keys_entry *e)
{
	return e->pub.type != NULL ? xasprintf("%s %d", e->pub.type,
	    e->pub.bits) : xstrdup("unreadable");
}

static void
keys_columns(const struct keys_list *l, int cols, struct keys_cols *c)
{
	int wd = 6, ws = 8, wk = 3, wst = 5, wdns = 3;
	size_t i;
	char *k;

	for (i = 0; l != NULL && i < l->n; i++) {
		const struct keys_entry *e = &l->v[i];
		wd = max_width(wd, e->domain);
		ws = max_width(ws, e->selector);
		k = key_desc(e);
		wk = max_width(wk, k);
		free(k);
		wst = max_width(wst, keystate_name(e->state));
		wdns = max_width(wdns, keys_pub_name(e->published));
	}
	/* The file column keeps at least a third of the line. */
	if (wd > 24)
		wd = 24;
	if (ws > 16)
		ws = 16;
	while (1 + wd + ws + wk + wst + wdns + 5 > cols - cols / 3 && wd > 10)
		wd--;
	c->sel = 1 + wd + 1;
	c->key = c->sel + ws + 1;
	c->state = c->key + wk + 1;
	c->dns = c->state + wst + 1;
	c->file = c->dns + wdns + 1;
}

/* The file cell: owner, mode, then as much of the path as fits, its start
 * replaced by an ellipsis when it does not (the name is what tells). */
static char *
file_cell(const struct keys_entry *e, int width)
{
	char mode[8], *head, *s;
	const char *path = e->path ? e->path : "?", *p = path;
	int room;

	head = xasprintf("%s:%s %s%s ", e->safe.owner ? e->safe.owner : "?",
	    e->safe.group ? e->safe.group : "?",
	    keysafe_mode(e->safe.mode, mode),
	    e->safe.nissues > 0 ? " UNSAFE" : "");
	room = width - tui_width(head);
	if (tui_width(path) > room && room > 1) {
		room -= tui_width(tui_ellipsis());
		while (*p != '\0' && tui_width(p) > room) {
			p++;
			while (((unsigned char)*p & 0xc0) == 0x80)
				p++;
		}
		s = xasprintf("%s%s%s", head, tui_ellipsis(), p);
	} else
		s = xasprintf("%s%s", head, path);
	free(head);
	return s;
}

static void
keys_draw(struct app *app, void *state, int rows, int cols)
{
	struct keyview *kv = state;
	struct keys_cols c;
	size_t i;
	int y;
	char *s;

	(void)app;
	tui_fill(0, 0, cols, ROLE_TITLE);
	tui_putf(0, 0, cols, ROLE_TITLE, " DKIM keys  %s%s", kv->job ?
	    "making a key for " : "", kv->job ? kv->job_domain : "");
	keys_columns(kv->list, cols, &c);
	tui_put(1, 1, c.sel - 2, ROLE_HEADER, "Domain");
	tui_put(1, c.sel, c.key - c.sel - 1, ROLE_HEADER, "Selector");
	tui_put(1, c.key, c.state - c.key - 1, ROLE_HEADER, "Key");
	tui_put(1, c.state, c.dns - c.state - 1, ROLE_HEADER, "State");
	tui_put(1, c.dns, c.file - c.dns - 1, ROLE_HEADER, "DNS");
	tui_put(1, c.file, cols - c.file, ROLE_HEADER, "Owner, mode, file");
	if (kv->list == NULL)
		return;
	kv->vis = rows - 4;
	list_fix(&kv->cur, &kv->top, (int)kv->list->n, kv->vis);
	if (kv->list->n == 0)
		tui_put(2, 1, cols - 2, ROLE_WARN, "no DKIM key: n makes one "
		    "for the selected domain of the dashboard's list");
	for (i = (size_t)kv->top, y = 2; i < kv->list->n && y < rows - 2;
	    i++, y++) {
		const struct keys_entry *e = &kv->list->v[i];
		int sel = (int)i == kv->cur;
		enum tui_role r = sel ? ROLE_CURSOR : ROLE_NORMAL;
		enum check_status pub = e->published == KEYS_PUB_YES ?
		    CHECK_OK : e->published == KEYS_PUB_NO ? CHECK_FAIL :
		    e->published == KEYS_PUB_PENDING ? CHECK_PENDING :
		    CHECK_UNKNOWN;

		if (sel)
			tui_fill(y, 0, cols, ROLE_CURSOR);
		tui_put(y, 1, c.sel - 2, r, e->domain);
		tui_put(y, c.sel, c.key - c.sel - 1, r, e->selector);
		s = key_desc(e);
		tui_put(y, c.key, c.state - c.key - 1, e->pub.type != NULL ||
		    sel ? r : ROLE_FAIL, s);
		free(s);
		tui_put(y, c.state, c.dns - c.state - 1, r,
		    keystate_name(e->state));
		tui_put(y, c.dns, c.file - c.dns - 1, sel ? r :
		    tui_status_role(pub), keys_pub_name(e->published));
		s = file_cell(e, cols - c.file - 1);
		tui_put(y, c.file, cols - c.file - 1, e->safe.nissues > 0 &&
		    !sel ? ROLE_WARN : r, s);
		free(s);
	}
	/* The selected key's file in full, whatever the width. */
	if (kv->list->n > 0) {
		const struct keys_entry *e = &kv->list->v[kv->cur];
		char mode[8];
		tui_putf(rows - 1, 1, cols - 2, ROLE_DIM, "%s  %s:%s %s",
		    e->path ? e->path : "?", e->safe.owner ? e->safe.owner :
		    "?", e->safe.group ? e->safe.group : "?",
		    keysafe_mode(e->safe.mode, mode));
	}
}

/* Enter: everything about one key, with the value to publish. */
static void
keys_details(struct app *app, struct keyview *kv, const struct keys_entry *e)
{
	char *s, *name;
	size_t i;

	s = xasprintf("%s._domainkey.%s", e->selector, e->domain);
	app_dialog(app, s);
	free(s);
	s = xasprintf("%s (signer %s, user %s)", e->path ? e->path : "?",
	    e->signer ? e->signer : "?", e->user ? e->user : "?");
	app_dialog_label(app, "file: ", 0, s);
	free(s);
	s = xasprintf("%s; DNS: %s%s%s", keystate_name(e->state),
	    keys_pub_name(e->published), e->pub_detail ? " - " : "",
	    e->pub_detail ? e->pub_detail : "");
	app_dialog_label(app, "state: ", 0, s);
	free(s);
	if (e->error != NULL)
		app_dialog_add(app, 0, 0, e->error);
	if (e->pub.type != NULL) {
		char *at = keys_record_name(e->domain, e->selector);
		s = dkimkey_txt(&e->pub);
		app_dialog_add(app, 0, 0, "");
		name = xasprintf("publish at %s TXT:", at);
		free(at);
		app_dialog_add(app, 0, 0, name);
		app_dialog_add(app, 0, TEXTWRAP_ANY, s);
		free(s);
		free(name);
	}
	for (i = 0; i < e->safe.nissues; i++) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_add(app, 0, 0, e->safe.issues[i].problem);
		app_dialog_label(app, "fix: ", 0, e->safe.issues[i].fix);
	}
	if (!e->configured && e->pub.type != NULL) {
		char *t;
		s = keys_switch_text(app->site, kv->list, e);
		for (t = s; *t != '\0'; t++)
			if (*t == '\t')
				*t = ' ';	/* the screen's indent */
		app_dialog_add(app, 0, 0, "");
		app_dialog_add(app, 0, 0, e->published == KEYS_PUB_YES ?
		    "the DNS has it: switch the signer with:" :
		    "once the DNS has it, switch the signer with:");
		app_dialog_add(app, 2, 0, s);
		free(s);
		s = xasprintf("notspam keys switch %s %s --yes makes this "
		    "change, checked and with a backup", e->domain, e->selector);
		app_dialog_add(app, 0, 0, "");
		app_dialog_add(app, 0, TEXTWRAP_ANY, s);
		free(s);
	}
}

/* The child making a key is done and the key recorded (keys_gen_done);
 * the job goes after this returns. */
static void
on_made(struct keys_gen *g, const char *why, void *arg)
{
	struct keyview *kv = arg;

	kv->job = NULL;
	if (why != NULL)
		app_message(kv->app, "no key made: %s", why);
	else if (g->save_error != NULL)
		app_message(kv->app, "key made, state not saved: %s",
		    g->save_error);
	else
		app_message(kv->app, "%s %d key written to %s (mode 0600); "
		    "Enter shows the TXT to publish", g->res.pub.type,
		    g->res.pub.bits, g->res.path);
	keys_gen_free(g);
	keys_reload(kv);
}

/* The selector was typed: make the key in a child process. */
static void
selector_done(struct app *app, void *state, const char *text)
{
	struct keyview *kv = state;
	struct keys_gen_opts o;
	char *cause = NULL;

	if (text == NULL || *text == '\0')
		return;
	memset(&o, 0, sizeof o);
	o.domain = kv->job_domain;
	o.selector = text;
	o.type = kv->job_type;
	keys_gen_free(&kv->gen);
	if (keys_gen_prepare(app->site, &o, time(NULL), &kv->gen, &cause) !=
	    KEYS_OK || (kv->job = keys_generate_start(app->loop, &kv->gen,
	    on_made, kv, &cause)) == NULL) {
		app_message(app, "%s", cause);
		free(cause);
		keys_gen_free(&kv->gen);
	} else {
		app_message(app, "making a %s key for %s in the background...",
		    kv->job_type, kv->job_domain);
	}
}

/* n / E: ask the selector of a new key for the selected domain. */
static void
keys_new(struct app *app, struct keyview *kv, const char *type)
{
	static const struct keystate empty;
	const char *domain;
	char *sel, *prompt;

	if (kv->job != NULL) {
		app_message(app, "a key is being made already");
		return;
	}
	if (kv->list != NULL && kv->list->n > 0)
		domain = kv->list->v[kv->cur].domain;
	else if (app->site->ndomains > 0)
		domain = app->site->domains[0].name;
	else {
		app_message(app, "no hosted domain to make a key for");
		return;
	}
	free(kv->job_domain);
	free(kv->job_type);
	kv->job_domain = xstrdup(domain);
	kv->job_type = xstrdup(type);
	sel = keys_free_selector(app->site, kv->list != NULL ?
	    &kv->list->state : &empty, domain, type,
	    keys_site_signer(app->site, domain), time(NULL));
	prompt = xasprintf("%s key for %s, selector: ", type, domain);
	app_input(app, prompt, sel, selector_done, kv);
	free(prompt);
	free(sel);
}

static int
keys_key(struct app *app, void *state, int key)
{
	struct keyview *kv = state;
	struct keys_entry *e;
	struct strv done;
	char *cause = NULL;
	size_t i;
	MEVENT ev;
	int n = kv->list != NULL ? (int)kv->list->n : 0;

	e = n > 0 ? &kv->list->v[kv->cur] : NULL;
	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (e != NULL)
			keys_details(app, kv, e);
		return KEY_HANDLED;
	case 'n':
		keys_new(app, kv, "rsa");
		return KEY_HANDLED;
	case 'E':
		keys_new(app, kv, "ed25519");
		return KEY_HANDLED;
	case KEY_MOUSE:
		if (getmouse(&ev) == OK && ev.y >= 2 && ev.y < 2 + kv->vis &&
		    kv->top + ev.y - 2 < n)
			kv->cur = kv->top + ev.y - 2;
		return KEY_HANDLED;
	case 'R':
		if (e == NULL)
			return KEY_HANDLED;
		switch (keys_retire(kv->list, e, (long long)time(NULL),
		    &cause)) {
		case KEYS_OK:
			app_message(app, "%s._domainkey.%s retired: keep its "
			    "record %d days, then remove it", e->selector,
			    e->domain, KEYSTATE_GRACE_DAYS);
			keys_reload(kv);
			break;
		case KEYS_EREFUSED:
			app_message(app, "%s is still what the signer uses: "
			    "switch to the new key first (Enter shows how)",
			    e->selector);
			break;
		default:
			app_message(app, "not saved: %s", cause);
			break;
		}
		free(cause);
		return KEY_HANDLED;
	case 'f':
		if (e == NULL || e->path == NULL)
			return KEY_HANDLED;
		strv_init(&done);
		if (keysafe_fix(app->site->root, e->path, e->user, &done,
		    &cause) != 0) {
			app_message(app, "%s", cause);
			free(cause);
		} else if (done.n == 0)
			app_message(app, "%s already has mode 0600 and its "
			    "owner%s", e->path, e->safe.nissues > 0 ? "; the "
			    "directories' fixes are in Enter's details" : "");
		else {
			struct buf b;
			buf_init(&b);
			for (i = 0; i < done.n; i++)
				buf_printf(&b, "%s%s", i ? "; " : "done: ",
				    done.v[i]);
			app_message(app, "%s", b.data);
			buf_free(&b);
			keys_reload(kv);
		}
		strv_free(&done);
		return KEY_HANDLED;
	}
	return list_key(key, &kv->cur, &kv->top, n, kv->vis) ? KEY_HANDLED : 0;
}

const struct screen screen_keys = {
	"keys", keys_enter, keys_draw, keys_key, keys_leave,
	" Enter details  n RSA key  E Ed25519 key  f fix  R retire  ? help  Esc back",
	keys_help
};
