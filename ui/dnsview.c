/* dnsview.c: the DNS records of one domain (or of the mail host: its A,
 * AAAA, PTR and HELO SPF records): each record needed, its value
 * (wrapped, as split strings and as one value), the live answer, the
 * verdict, why and the fix; 'a' adds under each record what each of the
 * zone's nameservers answers (the record under the cursor stays where it
 * is), 'e' exports the missing records to a file. */
#include <ctype.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "core/check/export.h"
#include "core/check/records.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "ui/app.h"
#include "ui/tui.h"

struct dnsview {
	char		*domain;	/* the domain, or the host's name */
	int		 host;		/* the mail host's records */
	struct record_set *sets;	/* the records wanted (for zone lines) */
	size_t		 nsets;
	int		 cur;		/* item under the cursor */
	int		 top;		/* first line shown */
	int		 drawn_cur;	/* cur at the last draw, -1 before */
	int		 cfirst, clast;	/* cur's lines at the last draw */
	int		 auth;		/* show the nameservers' views */
	int		 anchor;	/* keep cur's first line on this row at
					   the next draw, -1 none */
	int		 vis;
	int		*rowitem;	/* item drawn on each screen row, for clicks */
	int		 nrows;
};

/* One display line. */
struct dline {
	char		*text;
	enum tui_role	 role;
	int		 item;		/* the item it belongs to, -1 none */
	int		 indent;	/* 1: an item's header line */
	int		 ns;		/* a nameserver's view ('a') */
};

/* Where the lines under a header start, and the status column's width. */
#define DNS_INDENT	4
#define DNS_STATUSW	8

static const char *const dns_help[] = {
	"The records this domain (or the mail host) needs, each beside what the",
	"DNS answers now.",
	"want: the value to publish (long TXT values as split strings, and as",
	"one value for DNS web forms); live: the answers; then why and the fix.",
	"",
	"Up Down j k  move from record to record (or click one); a record",
	"             taller than the screen scrolls a line at a time first",
	"PgUp PgDn    three records at a time",
	"g G Home End the first and the last record",
	"a            under each record, what each of the zone's nameservers",
	"             answers (propagation): unreachable, the rcode, or what",
	"             it has; a again hides it",
	"e            export the missing records as a zone-file snippet",
	"Esc q Left   back to the dashboard",
	NULL
};

/* arg: the domain, or NULL for the mail host's records. */
static void *
dns_enter(struct app *app, const void *arg)
{
	struct dnsview *v = xcalloc(1, sizeof *v);

	v->host = arg == NULL;
	v->drawn_cur = -1;
	v->anchor = -1;
	if (records_build(app->site, arg, &v->sets, &v->nsets, NULL) != 0) {
		v->sets = NULL;
		v->nsets = 0;
	}
	if (!v->host)
		v->domain = xstrdup(arg);
	else if (v->nsets > 0 && v->sets[0].host)
		v->domain = xstrdup(v->sets[0].domain);
	else
		v->domain = xstrdup("(unknown)");
	return v;
}

static void
dns_leave(struct app *app, void *state)
{
	struct dnsview *v = state;

	(void)app;
	records_free(v->sets, v->nsets);
	free(v->rowitem);
	free(v->domain);
	free(v);
}

static const struct check_domain *
dns_result(struct app *app, struct dnsview *v)
{
	const struct check_domain *res;
	size_t n, i;

	res = app_results(app, &n);
	for (i = 0; i < n; i++)
		if (res[i].host == v->host &&
		    strcmp(res[i].domain, v->domain) == 0)
			return &res[i];
	return NULL;
}

/* The wanted record with this id (the first, for repeated ids), in the
 * set shown: the host's or the domain's. */
static const struct record *
dns_record(struct dnsview *v, const char *id, const char *value)
{
	const struct record_set *set = NULL;
	size_t i;

	for (i = 0; i < v->nsets && set == NULL; i++)
		if (v->sets[i].host == v->host)
			set = &v->sets[i];
	for (i = 0; set != NULL && i < set->nrecords; i++) {
		const struct record *r = &set->records[i];
		if (strcmp(r->id, id) == 0 && (value == NULL ||
		    r->value == NULL || strcmp(r->value, value) == 0))
			return r;
	}
	return NULL;
}

static void
add_line(struct dline **lines, size_t *n, const char *text, enum tui_role r,
    int item, int indent)
{
	*lines = xgrow(*lines, *n, sizeof **lines);
	(*lines)[*n].text = xstrdup(text);
	(*lines)[*n].role = r;
	(*lines)[*n].item = item;
	(*lines)[*n].indent = indent;
	(*lines)[*n].ns = 0;
	(*n)++;
}

/* Wrapped text with a label ("want: ") on its first line, its later lines
 * under the text, at DNS_INDENT: every column the screen draws. */
static void
add_wrapped(struct dline **lines, size_t *n, const char *label,
    const char *text, enum tui_role r, int item, int width, int flags)
{
	struct strv w;
	size_t i;
	char *s = xasprintf("%s%s", label, text);

	strv_init(&w);
	tui_wrap(s, width - DNS_INDENT - 1, tui_width(label), flags, &w);
	for (i = 0; i < w.n; i++)
		add_line(lines, n, w.v[i], r, item, DNS_INDENT);
	strv_free(&w);
	free(s);
}

/* Values of this item that are copied whole, broken anywhere (a key). */
static int
value_flags(const struct check_item *it)
{
	return strncmp(it->id, "dkim", 4) == 0 ? TEXTWRAP_ANY : 0;
}

/* One nameserver's view: "ns1.example.org 192.0.2.53  ok, not what the
 * resolver shows", then what it has when that differs. */
static void
add_view(struct dline **lines, size_t *n, const struct check_ns_view *nv,
    const char *label, int item, int cols)
{
	const char *word = nv->missing ? "missing" :
	    tui_status_word(nv->status);
	enum tui_role role = ROLE_NORMAL;
	size_t j;
	char *s;

	switch (nv->state) {
	case CHECK_NS_SAME:
		s = xasprintf("%s %s  %s, as through the resolver", nv->host,
		    nv->addr, word);
		role = ROLE_DIM;
		break;
	case CHECK_NS_DIFFERS:
		s = xasprintf("%s %s  %s, not what the resolver shows",
		    nv->host, nv->addr, word);
		role = tui_status_role(nv->status);
		break;
	case CHECK_NS_UNREACHABLE:
		s = xasprintf("%s %s  unreachable: %s", nv->host, nv->addr,
		    nv->reason);
		role = ROLE_UNKNOWN;
		break;
	default:
		s = xasprintf("%s %s  unknown: %s", nv->host, nv->addr,
		    nv->reason);
		role = ROLE_UNKNOWN;
		break;
	}
	add_wrapped(lines, n, label, s, role, item, cols, 0);
	free(s);
	/* What it has, one line each (cut: the record is below). */
	for (j = 0; nv->state == CHECK_NS_DIFFERS && j < nv->found.n; j++) {
		s = xasprintf("      has: %s", nv->found.v[j]);
		add_line(lines, n, s, ROLE_DIM, item, DNS_INDENT);
		free(s);
	}
}

/* What the zone's nameservers answer for the item, or why they were not
 * asked. */
static void
add_views(struct dline **lines, size_t *n, const struct check_item *it,
    int item, int cols)
{
	size_t s, from = *n;

	if (it->nns == 0)
		add_wrapped(lines, n, "ns:   ", it->ns_note != NULL ?
		    it->ns_note : it->status == CHECK_PENDING ? "(asking)" :
		    "not asked", ROLE_DIM, item, cols, 0);
	for (s = 0; s < it->nns; s++)
		add_view(lines, n, &it->ns[s], s == 0 ? "ns:   " :
		    "      ", item, cols);
	for (; from < *n; from++)
		(*lines)[from].ns = 1;
}

/* Every line of the screen for the current results. */
static struct dline *
dns_lines(struct app *app, struct dnsview *v, int cols, size_t *n)
{
	const struct check_domain *cd = dns_result(app, v);
	struct dline *lines = NULL;
	size_t i, j;
	char *s;

	*n = 0;
	if (cd == NULL) {
		add_line(&lines, n, "waiting for the first answers...",
		    ROLE_PENDING, -1, 1);
		return lines;
	}
	for (i = 0; i < cd->nitems; i++) {
		const struct check_item *it = &cd->items[i];
		const struct record *r = dns_record(v, it->id, it->expected);
		int vf = value_flags(it);

		s = xasprintf("%-5s %s", it->type, it->name);
		add_line(&lines, n, s, ROLE_HEADER, (int)i, 1);
		free(s);
		if (v->auth)		/* beside the header, in view with it */
			add_views(&lines, n, it, (int)i, cols);
		if (r != NULL && r->strings.n > 1) {
			for (j = 0; j < r->strings.n; j++) {
				s = xasprintf("\"%s\"", r->strings.v[j]);
				add_wrapped(&lines, n, j == 0 ? "want: " :
				    "      ", s, ROLE_NORMAL, (int)i, cols, vf);
				free(s);
			}
			add_wrapped(&lines, n, "one value: ", r->value,
			    ROLE_DIM, (int)i, cols, vf);
		} else if (it->expected != NULL)
			add_wrapped(&lines, n, "want: ", it->expected,
			    ROLE_NORMAL, (int)i, cols, vf);
		if (it->status == CHECK_PENDING)
			add_line(&lines, n, "    live: (asking)", ROLE_PENDING,
			    (int)i, 4);
		else if (it->found.n == 0)
			add_wrapped(&lines, n, "live: ", "(nothing)", ROLE_DIM,
			    (int)i, cols, 0);
		for (j = 0; j < it->found.n; j++)
			add_wrapped(&lines, n, "live: ", it->found.v[j],
			    ROLE_NORMAL, (int)i, cols, vf);
		if (it->detail != NULL)
			add_wrapped(&lines, n, "", it->detail,
			    tui_status_role(it->status), (int)i, cols, 0);
		if (it->fix != NULL && it->status != CHECK_OK)
			add_wrapped(&lines, n, "fix:  ", it->fix, ROLE_NORMAL,
			    (int)i, cols, 0);
		add_line(&lines, n, "", ROLE_NORMAL, (int)i, 0);
	}
	return lines;
}

static void
free_lines(struct dline *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i].text);
	free(lines);
}

/* Was this nameserver seen in this state before?  If not, it is now. */
static int
ns_seen(struct strv *seen, const struct check_ns_view *nv)
{
	size_t i;
	char *key = xasprintf("%d %s %s", (int)nv->state, nv->host, nv->addr);

	for (i = 0; i < seen->n; i++)
		if (strcmp(seen->v[i], key) == 0)
			break;
	if (i < seen->n) {
		free(key);
		return 1;
	}
	strv_add(seen, key);
	free(key);
	return 0;
}

/* The title's word on the nameservers, in at most room columns: "a:
 * nameservers differ, 2 unreachable, 1 unknown", each nameserver counted
 * once for each state, shorter when that does not fit, NULL when nothing
 * fits unless shortest (then the first word alone); "" when none was
 * asked. */
static char *
ns_summary(const struct check_domain *cd, int room, int shortest)
{
	static const char *const heads[] = { "   a: nameservers", "  a: NS" };
	struct strv seen, parts;
	struct buf b;
	size_t i, s, k, cnt[CHECK_NS_ERROR + 1] = { 0 }, any = 0;
	const char *sep;
	char *out = NULL, *all;

	strv_init(&seen);
	for (i = 0; cd != NULL && i < cd->nitems; i++)
		for (s = 0; s < cd->items[i].nns; s++, any++)
			if (!ns_seen(&seen, &cd->items[i].ns[s]))
				cnt[cd->items[i].ns[s].state]++;
	strv_free(&seen);
	if (any == 0)
		return xstrdup("");
	strv_init(&parts);
	if (cnt[CHECK_NS_DIFFERS] > 0)
		strv_add(&parts, "differ");
	else if (cnt[CHECK_NS_UNREACHABLE] + cnt[CHECK_NS_ERROR] == 0)
		strv_add(&parts, "agree");
	if (cnt[CHECK_NS_UNREACHABLE] > 0)
		strv_addf(&parts, "%zu unreachable", cnt[CHECK_NS_UNREACHABLE]);
	if (cnt[CHECK_NS_ERROR] > 0)
		strv_addf(&parts, "%zu unknown", cnt[CHECK_NS_ERROR]);
	buf_init(&b);
	for (i = 0; i < parts.n; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", parts.v[i]);
	all = buf_steal(&b);
	/* "nameservers differ", "nameservers: 2 unreachable" */
	sep = isdigit((unsigned char)parts.v[0][0]) ? ": " : " ";
	for (k = 0; k < 2 && out == NULL; k++) {
		out = xasprintf("%s%s%s", heads[k], sep, all);
		if (tui_width(out) > room) {
			free(out);
			out = NULL;
		}
	}
	if (out == NULL && !shortest) {
		free(all);
		strv_free(&parts);
		return NULL;
	}
	if (out == NULL)		/* the first part alone */
		out = xasprintf("  a: NS%s%s%s", sep, parts.v[0],
		    parts.n > 1 ? ", ..." : "");
	free(all);
	strv_free(&parts);
	return out;
}

/* Where the first line shown goes: the cursor's record into view when the
 * cursor moved (from its first line; one taller than the screen is then
 * scrolled by the keys); after 'a', the record's first line on the row it
 * had, unless its nameservers' lines (up to nslast) would fall below the
 * screen: then just high enough to show them. */
static void
dns_scroll(struct dnsview *v, int found, size_t first, size_t last,
    size_t nslast)
{
	if (found && v->anchor >= 0) {
		v->top = (int)first - v->anchor;
		if ((int)nslast >= v->top + v->vis)
			v->top = (int)nslast - v->vis + 1;
		if (v->top > (int)first)
			v->top = (int)first;
	} else if (found && v->cur != v->drawn_cur) {
		if ((int)last >= v->top + v->vis)
			v->top = (int)last - v->vis + 1;
		if ((int)first < v->top || (int)(last - first) >= v->vis)
			v->top = (int)first;
	}
	v->anchor = -1;
}

static void
dns_draw(struct app *app, void *state, int rows, int cols)
{
	struct dnsview *v = state;
	const struct check_domain *cd = dns_result(app, v);
	struct dline *lines;
	size_t n, i, first = 0, last = 0, nslast = 0;
	int y, found = 0, mw, room;
	char *mark, *nss;

	lines = dns_lines(app, v, cols, &n);
	if (cd != NULL && v->cur >= (int)cd->nitems)
		v->cur = cd->nitems > 0 ? (int)cd->nitems - 1 : 0;
	for (i = 0; i < n; i++)
		if (lines[i].item == v->cur) {
			if (!found)
				first = i;
			last = i;
			if (lines[i].ns || !found)
				nslast = i;
			found = 1;
		}
	v->vis = rows - 1;
	dns_scroll(v, found, first, last, nslast);
	v->drawn_cur = found ? v->cur : -1;
	if (v->top > (int)n - v->vis)
		v->top = (int)n - v->vis;
	if (v->top < 0)
		v->top = 0;
	v->cfirst = found ? (int)first : 0;
	v->clast = found ? (int)last : 0;
	/* Where the screen is, right-aligned; the title takes what is left. */
	mark = cd != NULL && cd->nitems > 0 && (int)n > v->vis ?
	    xasprintf(" record %d/%zu  lines %d-%d of %zu ", v->cur + 1,
	    cd->nitems, v->top + 1, v->top + v->vis < (int)n ? v->top +
	    v->vis : (int)n, n) : xstrdup("");
	mw = tui_width(mark);
	/* The nameservers' word before the line numbers. */
	room = cols - 1 - tui_width(v->domain) - (v->host ? 10 : 0) - 14;
	if ((nss = ns_summary(cd, room - mw, 0)) == NULL && *mark != '\0') {
		free(mark);
		mark = xasprintf(" record %d/%zu ", v->cur + 1, cd->nitems);
		mw = tui_width(mark);
	}
	if (nss == NULL)
		nss = ns_summary(cd, room - mw, 1);
	tui_fill(0, 0, cols, ROLE_TITLE);
	tui_putf(0, 0, cols - mw - 1, ROLE_TITLE, " %s%s  DNS records%s",
	    v->host ? "mail host " : "", v->domain, nss);
	tui_put(0, cols - mw, mw, ROLE_TITLE, mark);
	free(mark);
	free(nss);
	v->rowitem = xreallocarray(v->rowitem, (size_t)rows + 1,
	    sizeof *v->rowitem);
	v->nrows = rows;
	for (y = 0; y <= rows; y++)
		v->rowitem[y] = -1;
	for (i = (size_t)v->top, y = 1; i < n && y < rows; i++, y++) {
		const struct dline *l = &lines[i];
		int header = l->indent == 1 && l->item >= 0 && cd != NULL;
		int cursor = l->item == v->cur && l->indent == 1;

		v->rowitem[y] = l->item;
		if (cursor)
			tui_fill(y, 0, cols, ROLE_CURSOR);
		tui_put(y, l->indent, cols - l->indent - (header ?
		    DNS_STATUSW + 1 : 1), cursor ? ROLE_CURSOR : l->role,
		    l->text);
		if (header) {
			enum check_status st = cd->items[l->item].status;
			tui_put(y, cols - DNS_STATUSW, DNS_STATUSW - 1,
			    tui_status_role(st), tui_status_word(st));
		}
	}
	free_lines(lines, n);
}

static void
export_done(struct app *app, void *state, const char *text)
{
	struct dnsview *v = state;
	const struct check_domain *res;
	size_t nres;
	char *cause = NULL;
	int n;

	if (text == NULL || *text == '\0')
		return;
	res = app_results(app, &nres);
	n = export_missing(app->site, v->host ? NULL : v->domain, res, nres,
	    text, &cause);
	if (n < 0) {
		app_message(app, "export failed: %s", cause);
		free(cause);
	} else
		app_message(app, "%d record%s written to %s", n,
		    n == 1 ? "" : "s", text);
}

static int
dns_key(struct app *app, void *state, int key)
{
	struct dnsview *v = state;
	const struct check_domain *cd = dns_result(app, v);
	int n = cd != NULL ? (int)cd->nitems : 0;
	char *name;
	MEVENT ev;

	switch (key) {
	case KEY_MOUSE:
		if (getmouse(&ev) == OK && ev.y >= 0 && ev.y < v->nrows &&
		    v->rowitem != NULL && v->rowitem[ev.y] >= 0)
			v->cur = v->rowitem[ev.y];
		return KEY_HANDLED;
	case 'a':
		/* The record under the cursor stays on its row. */
		v->auth = !v->auth;
		v->anchor = v->drawn_cur == v->cur && v->cfirst >= v->top &&
		    v->cfirst < v->top + v->vis ? v->cfirst - v->top : 0;
		return KEY_HANDLED;
	case 'e':
		name = xasprintf("%s%s.missing.zone", v->host ? "host-" : "",
		    v->domain);
		app_input(app, "export missing records to file: ", name,
		    export_done, v);
		free(name);
		return KEY_HANDLED;
	case KEY_UP:
	case 'k':
		if (v->drawn_cur == v->cur && v->cfirst < v->top)
			v->top--;	/* the rest of a tall record first */
		else if (v->cur > 0)
			v->cur--;
		return KEY_HANDLED;
	case KEY_DOWN:
	case 'j':
		if (v->drawn_cur == v->cur && v->clast >= v->top + v->vis)
			v->top++;
		else if (v->cur < n - 1)
			v->cur++;
		return KEY_HANDLED;
	case KEY_HOME:
	case 'g':
		v->cur = 0;
		return KEY_HANDLED;
	case KEY_END:
	case 'G':
		v->cur = n > 0 ? n - 1 : 0;
		return KEY_HANDLED;
	case KEY_PPAGE:
		v->cur = v->cur > 3 ? v->cur - 3 : 0;
		return KEY_HANDLED;
	case KEY_NPAGE:
	case ' ':
		v->cur = v->cur + 3 < n ? v->cur + 3 : (n > 0 ? n - 1 : 0);
		return KEY_HANDLED;
	}
	return 0;
}

const struct screen screen_dns = {
	"dns", dns_enter, dns_draw, dns_key, dns_leave,
	" j/k move  a nameservers  e export  r recheck  ? help  Esc back",
	dns_help
};
