/* testview.c: the Test screen (t): the test message the guides ask for,
 * sent from the console without freezing it (core/mail/sendtest.h).  The
 * address (typed or pasted), the route (local, submission, server
 * HOST[:PORT], sendmail, direct), the live transcript (SMTP's lines, the
 * queue follow's, the test's own), then the verdict with the cause the
 * receiver's answer maps to, why, the fix and the records it asks for,
 * the mail-tester result page, and the history of earlier tests.
 *
 * The test runs on the session's loop: its callbacks only keep lines and
 * state and mark the app dirty; a timer redraws the elapsed time while it
 * runs; Esc cancels the test (sendtest_free), leaving what it showed.
 * While the screen is shown the terminal is asked for bracketed paste: the
 * markers are bound to key codes of their own (never an Escape that would
 * cancel an editor), a paste is gathered whole and becomes the address,
 * and what it holds is never taken as keys.  Typing fast loses nothing
 * either (the console drains every key at each wake-up). */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lib/loop.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "core/mail/sendtest.h"
#include "core/site/session.h"
#include "ui/app.h"
#include "ui/tui.h"

#define TV_TICK_MS	200	/* the elapsed time while a test runs */
#define TV_HISTORY_MAX	200	/* tests of the history listed */
#define TV_HANG		3	/* a wrapped transcript line's indent */
#define TV_FIELD_MAX	256	/* the address and server fields */
#define TV_PASTE_MS	2000	/* the longest a paste is waited for */

enum tv_edit {
	TV_EDIT_NONE,
	TV_EDIT_ADDR,
	TV_EDIT_SERVER,
	TV_EDIT_TIMEOUT,
	TV_EDIT_PORT,
};

/* One wrapped line of the transcript or the verdict, as drawn. */
struct tv_line {
	char		*text;
	enum tui_role	 role;
};

struct testview {
	struct app		*app;
	char			 addr[TV_FIELD_MAX];
	char			 server[TV_FIELD_MAX];
	enum sendtest_route	 route;
	int			 timeout_s;	/* each SMTP stage; 0: smtp.h's */
	unsigned		 port[SENDTEST_NROUTES]; /* local, submission:
						 * 0 the route's own */
	enum tv_edit		 edit;		/* what the line editor edits */

	struct sendtest		*t;		/* the running or last test */
	char			*sent_to;	/* its address and server, */
	char			*sent_server;	/* apart from the fields */
	int			 running;
	int			 cancelled;	/* Esc stopped the last one */
	enum sendtest_phase	 phase;
	int64_t			 t0;		/* loop_now_ms at the start */
	int64_t			 elapsed;	/* ms, once it ended */
	char			*refused;	/* why sendtest_start said no */
	struct strv		 lines;		/* the transcript, kept here so
						 * that it outlives a cancel */
	uint64_t		 tick;

	int			 top;		/* first transcript line shown */
	int			 stick;		/* follow the transcript's end */
	int			 vis;		/* rows at the last draw */
	int			 nwrapped;	/* lines at the last draw */

	int			 history;	/* the history shown instead */
	struct sendtest_hist	*hist;
	size_t			 nhist;
	char			*hist_error;
	int			 hcur, htop, hvis;

	/* Where the last draw put things, for clicks. */
	int			 addr_y, route_y;
	int			 chip_x[SENDTEST_NROUTES];
	int			 chip_w[SENDTEST_NROUTES];
	int			 body_y;

	int			 paste_on;	/* bracketed paste asked for */
	/* A paste on the screen, gathered here until its end marker: the
	 * address, up to its first line end (the rest is dropped: pasted
	 * text is never taken as keys). */
	int64_t			 pasting;	/* when it began, 0: none */
	char			 pbuf[TV_FIELD_MAX];
	size_t			 plen;
	int			 pline;		/* a line end was pasted */
};

static const char *const test_help[] = {
	"Sends a short test message to the address, shows the SMTP conversation",
	"as it happens, follows the message through the local queue to the",
	"receiver's answer, and says what that answer means: the record or the",
	"setting that causes a rejection, and the fix.  For a mail-tester",
	"address (test-xxxx@srv1.mail-tester.com) it gives the result page.",
	"",
	"Enter        send (asks the address, or the server, when missing)",
	"a            type or paste the address (a paste opens it by itself)",
	"Tab Right    next route; Shift-Tab Left: the one before (or click it)",
	"             local: SMTP to this host's MTA, 127.0.0.1 / ::1 port 25",
	"             submission: the same on port 587 with STARTTLS",
	"             server: SMTP to any HOST[:PORT]",
	"             sendmail: the sendmail program",
	"             direct: the recipient's MX on port 25 (shows whether",
	"             outbound port 25 is blocked; the receiver's own verdict)",
	"s            the server's HOST[:PORT] (chooses the server route)",
	"p            the port of the local or submission route (0: 25, 587)",
	"o            the time each SMTP stage may take, in seconds",
	"h            the history of earlier tests, newest first; Enter: one",
	"             in full, Enter again sends it again; h: the transcript",
	"v            the whole verdict in a box",
	"Up Down PgUp PgDn Home End   scroll (in the history: move)",
	"Esc          cancel the test that runs; else back",
	NULL
};

/* What each route does, in a line of 80 columns. */
static const char *const route_how[SENDTEST_NROUTES] = {
	"SMTP to the MTA here (127.0.0.1, ::1) port 25, then its log followed",
	"SMTP to the MTA here on port 587 with STARTTLS, then its log followed",
	"SMTP to the server given with s (a name: its A and AAAA)",
	"the sendmail program (-i -f FROM -- TO), then the MTA's log followed",
	"to the recipient's MX, port 25: is outbound 25 blocked? its verdict",
};

/* The key codes the terminal's bracketed paste markers come as. */
static int paste_begin, paste_end;

/* Bind ESC [ 200 ~ and ESC [ 201 ~ to key codes of their own (once):
 * codes the terminfo entry already gives them, else free ones above
 * KEY_MAX. */
static void
paste_keys(void)
{
	static const char *const seq[2] = { "\033[200~", "\033[201~" };
	int *code[2] = { &paste_begin, &paste_end };
	int i, c, k;
	char *b;

	if (paste_begin != 0)
		return;
	for (i = 0, c = KEY_MAX + 1; i < 2; i++) {
		if ((k = key_defined(seq[i])) > 0) {
			*code[i] = k;
			continue;
		}
		for (; c < KEY_MAX + 4096; c++) {
			if ((b = keybound(c, 0)) == NULL)
				break;
			free(b);
		}
		if (define_key(seq[i], c) == OK)
			*code[i] = c++;
	}
}

/* Ask the terminal for bracketed paste (on) or stop it (off). */
static void
paste_mode(struct testview *tv, int on)
{
	if (tv->paste_on == on)
		return;
	fputs(on ? "\033[?2004h" : "\033[?2004l", stdout);
	fflush(stdout);
	tv->paste_on = on;
}

/* "3.2 s", "2 min 05 s". */
static void
fmt_elapsed(int64_t ms, char *buf, size_t len)
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		snprintf(buf, len, "%lld.%lld s", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 100));
	else
		snprintf(buf, len, "%lld min %02lld s", (long long)(ms / 60000),
		    (long long)(ms % 60000 / 1000));
}

static int64_t
tv_elapsed(const struct testview *tv)
{
	return tv->running ? loop_now_ms() - tv->t0 : tv->elapsed;
}

static void
hist_clear(struct testview *tv)
{
	sendtest_hist_free(tv->hist, tv->nhist);
	tv->hist = NULL;
	tv->nhist = 0;
	free(tv->hist_error);
	tv->hist_error = NULL;
}

/* Read the history again (on entering, after a test, on h). */
static void
hist_load(struct testview *tv)
{
	hist_clear(tv);
	if (sendtest_history(tv->app->session, TV_HISTORY_MAX, &tv->hist,
	    &tv->nhist, &tv->hist_error) != 0) {
		tv->hist = NULL;
		tv->nhist = 0;
	}
	/* Shown newest first: row 0, where the cursor starts, is the last
	 * test of the file. */
	tv->hcur = tv->htop = 0;
}

static void
on_tick(void *arg)
{
	struct testview *tv = arg;

	tv->tick = 0;
	tv->app->dirty = 1;
	if (tv->running)
		tv->tick = loop_timer_add(tv->app->loop, TV_TICK_MS, on_tick,
		    tv);
}

static void
tick_stop(struct testview *tv)
{
	if (tv->tick != 0)
		loop_timer_cancel(tv->app->loop, tv->tick);
	tv->tick = 0;
}

/* A transcript line (escaped by the core). */
static void
on_line(const char *line, void *arg)
{
	struct testview *tv = arg;

	strv_add(&tv->lines, line);
	tv->app->dirty = 1;
}

static void
on_phase(enum sendtest_phase p, void *arg)
{
	struct testview *tv = arg;

	tv->phase = p;
	tv->app->dirty = 1;
}

/* The test ended: keep it for its result until the next one. */
static void
on_done(struct sendtest *t, void *arg)
{
	struct testview *tv = arg;
	const struct sendtest_result *r = sendtest_result(t);

	tv->t = t;
	tv->running = 0;
	tv->phase = SENDTEST_DONE;
	tv->elapsed = loop_now_ms() - tv->t0;
	tick_stop(tv);
	hist_load(tv);
	app_message(tv->app, "test %s: %s", sendtest_verdict_name(r->verdict),
	    r->summary != NULL ? r->summary : "v shows the verdict");
}

/* Forget the last test (its result and transcript). */
static void
test_drop(struct testview *tv)
{
	tick_stop(tv);
	sendtest_free(tv->t);
	tv->t = NULL;
	tv->running = tv->cancelled = 0;
	free(tv->sent_to);
	free(tv->sent_server);
	tv->sent_to = tv->sent_server = NULL;
	free(tv->refused);
	tv->refused = NULL;
	strv_free(&tv->lines);
	strv_init(&tv->lines);
	tv->top = 0;
	tv->stick = 1;
}

/* Esc while a test runs: stop it where it is, keep what it showed. */
static void
test_cancel(struct testview *tv)
{
	char el[32];

	tv->elapsed = loop_now_ms() - tv->t0;
	tick_stop(tv);
	sendtest_free(tv->t);
	tv->t = NULL;
	tv->running = 0;
	tv->cancelled = 1;
	fmt_elapsed(tv->elapsed, el, sizeof el);
	strv_addf(&tv->lines, "* cancelled after %s (Esc)", el);
	app_message(tv->app, "test cancelled after %s", el);
}

static void edit_open(struct testview *, enum tv_edit);

/* Enter: send, once the route has what it needs. */
static void
test_send(struct app *app, struct testview *tv)
{
	struct sendtest_opts o;
	struct sendtest *t;
	char el[32];

	if (tv->running) {
		fmt_elapsed(tv_elapsed(tv), el, sizeof el);
		app_message(app, "a test is %s (%s): one at a time; Esc cancels "
		    "it", sendtest_phase_name(tv->phase), el);
		return;
	}
	if (tv->addr[0] == '\0') {
		edit_open(tv, TV_EDIT_ADDR);
		return;
	}
	if (tv->route == SENDTEST_SERVER && tv->server[0] == '\0') {
		edit_open(tv, TV_EDIT_SERVER);
		return;
	}
	test_drop(tv);
	memset(&o, 0, sizeof o);
	o.route = tv->route;
	/* The fields can be edited while the test runs: it has copies. */
	o.to = tv->sent_to = xstrdup(tv->addr);
	if (tv->route == SENDTEST_SERVER)
		o.server = tv->sent_server = xstrdup(tv->server);
	if (tv->route == SENDTEST_LOCAL || tv->route == SENDTEST_SUBMISSION)
		o.port = tv->port[tv->route];
	o.timeout_ms = tv->timeout_s * 1000;
	o.on_line = on_line;
	o.on_phase = on_phase;
	o.on_done = on_done;
	o.arg = tv;
	tv->phase = tv->route == SENDTEST_SERVER ||
	    tv->route == SENDTEST_DIRECT ? SENDTEST_RESOLVING :
	    SENDTEST_SENDING;
	tv->t0 = loop_now_ms();
	tv->running = 1;
	tv->history = 0;
	t = sendtest_start(app->session, &o, &tv->refused);
	if (t == NULL) {
		tv->running = 0;
		tv->elapsed = 0;
		if (tv->refused == NULL)
			tv->refused = xstrdup("the test could not start");
		app_message(app, "not sent: %s", tv->refused);
		return;
	}
	tv->t = t;
	if (tv->running) {
		tv->phase = sendtest_phase(t);
		tv->tick = loop_timer_add(app->loop, TV_TICK_MS, on_tick, tv);
	}
}

/* The line editor is done (text NULL: Esc). */
static void
edit_done(struct app *app, void *state, const char *text)
{
	struct testview *tv = state;
	enum tv_edit e = tv->edit;
	char *s, *end;
	long n;

	tv->edit = TV_EDIT_NONE;
	if (text == NULL)
		return;
	s = xstrdup(text);
	str_trim(s);
	switch (e) {
	case TV_EDIT_ADDR:
		/* A pasted "<addr>" or "mailto:addr" is the address. */
		if (str_casestartswith(s, "mailto:"))
			memmove(s, s + 7, strlen(s + 7) + 1);
		if (s[0] == '<' && s[strlen(s) - 1] == '>') {
			s[strlen(s) - 1] = '\0';
			memmove(s, s + 1, strlen(s));
		}
		snprintf(tv->addr, sizeof tv->addr, "%s", s);
		break;
	case TV_EDIT_SERVER:
		snprintf(tv->server, sizeof tv->server, "%s", s);
		if (s[0] != '\0')
			tv->route = SENDTEST_SERVER;
		break;
	case TV_EDIT_PORT:
		n = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || n < 0 || n > 65535)
			app_message(app, "%s: not a port (1 to 65535, 0: the "
			    "route's own)", s);
		else
			tv->port[tv->route] = (unsigned)n;
		break;
	case TV_EDIT_TIMEOUT:
		n = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || n < 0 || n > 3600)
			app_message(app, "%s: not a number of seconds from 0 "
			    "(RFC 5321's times) to 3600", s);
		else
			tv->timeout_s = (int)n;
		break;
	default:
		break;
	}
	free(s);
}

static void
edit_open(struct testview *tv, enum tv_edit e)
{
	char num[16], prompt[64];

	tv->edit = e;
	switch (e) {
	case TV_EDIT_ADDR:
		app_input(tv->app, "To: ", tv->addr, edit_done, tv);
		break;
	case TV_EDIT_SERVER:
		app_input(tv->app, "server HOST[:PORT]: ", tv->server,
		    edit_done, tv);
		break;
	case TV_EDIT_PORT:
		if (tv->route != SENDTEST_LOCAL &&
		    tv->route != SENDTEST_SUBMISSION) {
			tv->edit = TV_EDIT_NONE;
			app_message(tv->app, tv->route == SENDTEST_SERVER ?
			    "the server's port goes with it: s, HOST:PORT" :
			    "the %s route has no port to set",
			    sendtest_route_name(tv->route));
			break;
		}
		snprintf(num, sizeof num, "%u", tv->port[tv->route]);
		snprintf(prompt, sizeof prompt, "%s port (0: %s): ",
		    sendtest_route_name(tv->route), tv->route ==
		    SENDTEST_LOCAL ? "25" : "587");
		app_input(tv->app, prompt, num, edit_done, tv);
		break;
	case TV_EDIT_TIMEOUT:
		snprintf(num, sizeof num, "%d", tv->timeout_s);
		app_input(tv->app, "each SMTP stage may take (seconds, 0: "
		    "RFC 5321's): ", num, edit_done, tv);
		break;
	default:
		tv->edit = TV_EDIT_NONE;
		break;
	}
}

static void *
test_enter(struct app *app, const void *arg)
{
	struct testview *tv = xcalloc(1, sizeof *tv);

	(void)arg;
	tv->app = app;
	tv->route = SENDTEST_LOCAL;
	tv->stick = 1;
	strv_init(&tv->lines);
	paste_keys();
	paste_mode(tv, 1);
	hist_load(tv);
	return tv;
}

static void
test_leave(struct app *app, void *state)
{
	struct testview *tv = state;

	(void)app;
	paste_mode(tv, 0);
	tick_stop(tv);
	sendtest_free(tv->t);
	free(tv->sent_to);
	free(tv->sent_server);
	strv_free(&tv->lines);
	hist_clear(tv);
	free(tv->refused);
	free(tv);
}

static void
add_line(struct tv_line **v, size_t *n, enum tui_role role, const char *text)
{
	*v = xgrow(*v, *n, sizeof **v);
	(*v)[*n].text = xstrdup(text);
	(*v)[*n].role = role;
	(*n)++;
}

/* A paragraph wrapped to width as textwrap() does with flags, its later
 * lines under the text after label. */
static void
add_wrapped(struct tv_line **v, size_t *n, int width, enum tui_role role,
    const char *label, const char *text, int flags)
{
	struct strv w;
	char *s = xasprintf("%s%s", label, text);
	size_t i;

	strv_init(&w);
	tui_wrap(s, width, tui_width(label), flags, &w);
	for (i = 0; i < w.n; i++)
		add_line(v, n, role, w.v[i]);
	strv_free(&w);
	free(s);
}

static void
add_para(struct tv_line **v, size_t *n, int width, enum tui_role role,
    const char *label, const char *text)
{
	add_wrapped(v, n, width, role, label, text, 0);
}

/* A text of several lines ('\n' between: a multi-line reply), each a
 * paragraph; the label on the first, blanks as wide before the others. */
static void
add_lines(struct tv_line **v, size_t *n, int width, enum tui_role role,
    const char *label, const char *text)
{
	struct strv l;
	char *blank = xasprintf("%*s", tui_width(label), "");
	size_t i;

	strv_init(&l);
	str_split(text, "\n", &l);
	for (i = 0; i < l.n; i++)
		add_para(v, n, width, role, i == 0 ? label : blank, l.v[i]);
	strv_free(&l);
	free(blank);
}

static void
lines_free(struct tv_line *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

static enum tui_role
verdict_role(enum sendtest_verdict v)
{
	switch (v) {
	case SENDTEST_ACCEPTED:
		return ROLE_OK;
	case SENDTEST_DEFERRED:
		return ROLE_WARN;
	default:
		return ROLE_FAIL;
	}
}

/* The width of the widest blank-separated word of text. */
static int
longest_word(const char *text)
{
	struct strv w;
	size_t i;
	int max = 0, n;

	strv_init(&w);
	str_split(text, " ", &w);
	for (i = 0; i < w.n; i++)
		if ((n = tui_width(w.v[i])) > max)
			max = n;
	strv_free(&w);
	return max;
}

/* The verdict's word and its role for the header line: NULL when there
 * is none (nothing sent yet, or the test still runs). */
static const char *
verdict_word(const struct testview *tv, enum tui_role *role)
{
	enum sendtest_verdict v;

	*role = ROLE_FAIL;
	if (tv->refused != NULL)
		return "not sent";
	*role = ROLE_WARN;
	if (tv->cancelled)
		return "cancelled";
	if (tv->t == NULL || tv->running)
		return NULL;
	v = sendtest_result(tv->t)->verdict;
	*role = verdict_role(v);
	return sendtest_verdict_name(v);
}

/* The server's reply, its last line followed by who said it and, for a
 * failure, its class: "250 2.0.0 queued as 1  (127.0.0.1:2525)". */
static char *
reply_text(const struct sendtest_result *r)
{
	if (r->server == NULL && r->fail == NULL)
		return xstrdup(r->reply);
	return xasprintf("%s  (%s%s%s)", r->reply, r->server != NULL ?
	    r->server : "", r->server != NULL && r->fail != NULL ? ", " : "",
	    r->fail != NULL ? r->fail : "");
}

/* The verdict as lines of width columns, under its header: the cause
 * the answer maps to, the fix, the records, the summary, why, the page,
 * the receiver's answer, the reply, the queue id and what the follow
 * saw. */
static void
verdict_lines(struct testview *tv, int width, struct tv_line **v, size_t *n)
{
	const struct sendtest_result *r;
	size_t i;
	char *s;

	*v = NULL;
	*n = 0;
	if (tv->refused != NULL) {
		add_para(v, n, width, ROLE_FAIL, "", tv->refused);
		return;
	}
	if (tv->cancelled) {
		add_para(v, n, width, ROLE_NORMAL, "", "the test was stopped "
		    "(Esc): the transcript shows all that is known");
		return;
	}
	if (tv->t == NULL || tv->running)
		return;
	r = sendtest_result(tv->t);
	/* What to do first (the panel may not have room for all): the
	 * cause and its fix, then what happened, why, the page, then the
	 * replies (the transcript has them too). */
	if (r->cause_title != NULL) {
		s = xasprintf("%s%s%s%s", r->cause_title, r->cause_id != NULL ?
		    " [" : "", r->cause_id != NULL ? r->cause_id : "",
		    r->cause_id != NULL ? "]" : "");
		add_para(v, n, width, ROLE_HEADER, "cause: ", s);
		free(s);
	}
	if (r->fix != NULL)
		add_para(v, n, width, ROLE_NORMAL, "fix: ", r->fix);
	/* A record whose name is longer than a line (an ip6.arpa PTR) is
	 * broken where the line is full, not first after its type. */
	for (i = 0; i < r->records.n; i++)
		add_wrapped(v, n, width, ROLE_NORMAL, i == 0 ? "records: " :
		    "         ", r->records.v[i], longest_word(r->records.v[i]) >
		    width - 9 ? TEXTWRAP_ANY : 0);
	if (r->summary != NULL)
		add_para(v, n, width, verdict_role(r->verdict), "", r->summary);
	if (r->explain != NULL)
		add_para(v, n, width, ROLE_NORMAL, "why: ", r->explain);
	if (r->mailtester_url != NULL)
		add_para(v, n, width, ROLE_OK, "result page: ",
		    r->mailtester_url);
	if (r->remote_reply != NULL)
		add_lines(v, n, width, verdict_role(r->verdict),
		    "receiver: ", r->remote_reply);
	/* The reply, unless the summary quotes it already. */
	if (r->reply != NULL && (r->summary == NULL || strchr(r->reply, '\n') !=
	    NULL || strstr(r->summary, r->reply) == NULL)) {
		s = reply_text(r);
		add_lines(v, n, width, ROLE_NORMAL, "reply: ", s);
		free(s);
	}
	if (r->queue_id != NULL) {
		s = xasprintf("%s%s%s", r->queue_id, r->follow != NULL ?
		    ", followed in the log: " : "", r->follow != NULL ?
		    r->follow : "");
		add_para(v, n, width, ROLE_NORMAL, "queue id: ", s);
		free(s);
	}
	if (r->relay != NULL)
		add_para(v, n, width, ROLE_DIM, "relay: ", r->relay);
}

/* The role of a transcript line by what it is: the server's errors
 * stand out, the test's own notes are dim. */
static enum tui_role
line_role(const char *l)
{
	if (str_startswith(l, "S: 4"))
		return ROLE_WARN;
	if (str_startswith(l, "S: 5"))
		return ROLE_FAIL;
	if (str_startswith(l, "* "))
		return ROLE_DIM;
	return ROLE_NORMAL;
}

/* The title: the phase and the time it has taken. */
static void
draw_title(struct testview *tv, int cols)
{
	const struct sendtest_result *r;
	char el[32];

	tui_fill(0, 0, cols, ROLE_TITLE);
	fmt_elapsed(tv_elapsed(tv), el, sizeof el);
	if (tv->running) {
		r = tv->t != NULL ? sendtest_result(tv->t) : NULL;
		if (tv->phase == SENDTEST_FOLLOWING && r != NULL &&
		    r->queue_id != NULL)
			tui_putf(0, 0, cols, ROLE_TITLE, " Test message  "
			    "following %s in the log  %s  Esc cancels",
			    r->queue_id, el);
		else
			tui_putf(0, 0, cols, ROLE_TITLE, " Test message  %s  %s"
			    "  Esc cancels", sendtest_phase_name(tv->phase), el);
	} else if (tv->cancelled)
		tui_putf(0, 0, cols, ROLE_TITLE, " Test message  cancelled "
		    "after %s", el);
	else if (tv->t != NULL)
		tui_putf(0, 0, cols, ROLE_TITLE, " Test message  done: %s in "
		    "%s", sendtest_verdict_name(sendtest_result(tv->t)->verdict),
		    el);
	else
		tui_put(0, 0, cols, ROLE_TITLE, " Test message");
}

/* A route as the Route line shows it: "[server 127.0.0.1:2525]" when
 * chosen (the brackets say it without colour), " local " else. */
static char *
route_chip(const struct testview *tv, enum sendtest_route r)
{
	int sel = r == tv->route;

	if (r == SENDTEST_SERVER && tv->server[0] != '\0')
		return xasprintf("%s%s %s%s", sel ? "[" : " ",
		    sendtest_route_name(r), tv->server, sel ? "]" : " ");
	if (tv->port[r] != 0)
		return xasprintf("%s%s :%u%s", sel ? "[" : " ",
		    sendtest_route_name(r), tv->port[r], sel ? "]" : " ");
	return xasprintf("%s%s%s", sel ? "[" : " ", sendtest_route_name(r),
	    sel ? "]" : " ");
}

/* To, Route and How; returns the next free row. */
static int
draw_fields(struct app *app, struct testview *tv, int cols)
{
	const char *addr = tv->addr;
	char *url, *chip[SENDTEST_NROUTES];
	int i, w, x, y = 1, editing = app->input.active && app->input.state ==
	    tv;

	tv->addr_y = y;
	tui_put(y, 1, 7, ROLE_HEADER, "To");
	if (editing && tv->edit == TV_EDIT_ADDR) {
		/* Its end shows, where the typing goes. */
		const char *p = app->input.buf;
		size_t n;
		while (*p != '\0' && tui_width(p) > cols - 10) {
			n = utf8_seqlen((const unsigned char *)p, strlen(p));
			p += n > 0 ? n : 1;
		}
		x = 8 + tui_put(y, 8, cols - 10, ROLE_NORMAL, p);
		tui_put(y, x, 1, ROLE_CURSOR, " ");
		addr = app->input.buf;
	} else if (tv->pasting != 0)
		tui_put(y, 8, cols - 9, ROLE_NORMAL, tv->pbuf);
	else if (addr[0] == '\0')
		tui_put(y, 8, cols - 9, ROLE_DIM, "(none: a or Enter to type "
		    "or paste one)");
	else
		tui_put(y, 8, cols - 9, ROLE_NORMAL, addr);
	y++;
	tv->route_y = y;
	tui_put(y, 1, 7, ROLE_HEADER, "Route");
	for (i = 0, w = 0; i < SENDTEST_NROUTES; i++) {
		chip[i] = route_chip(tv, (enum sendtest_route)i);
		w += tui_width(chip[i]) + 1;
	}
	if (8 + w > cols - 1) {
		/* Too narrow for all: the chosen one, and where it is. */
		for (i = 0; i < SENDTEST_NROUTES; i++)
			tv->chip_w[i] = 0;
		tv->chip_x[tv->route] = 8;
		tv->chip_w[tv->route] = x = tui_put(y, 8, cols - 9,
		    ROLE_CURSOR, chip[tv->route]);
		tui_putf(y, 9 + x, cols - 10 - x, ROLE_DIM, "%d of %d, Tab",
		    (int)tv->route + 1, SENDTEST_NROUTES);
	}
	for (i = 0, x = 8; 8 + w <= cols - 1 && i < SENDTEST_NROUTES; i++) {
		int sel = (enum sendtest_route)i == tv->route;
		tv->chip_x[i] = x;
		tv->chip_w[i] = tui_put(y, x, cols - 1 - x, sel ? ROLE_CURSOR :
		    ROLE_NORMAL, chip[i]);
		x += tv->chip_w[i] + 1;
	}
	for (i = 0; i < SENDTEST_NROUTES; i++)
		free(chip[i]);
	y++;
	tui_put(y++, 8, cols - 9, ROLE_DIM, route_how[tv->route]);
	if (tv->timeout_s > 0)
		tui_putf(y++, 8, cols - 9, ROLE_DIM, "each SMTP stage %d s at "
		    "most (o)", tv->timeout_s);
	if ((url = sendtest_mailtester_url(addr)) != NULL) {
		tui_put(y, 1, 7, ROLE_HEADER, "Page");
		tui_put(y, 8, cols - 9, ROLE_NORMAL, url);
		free(url);
		y++;
	}
	return y;
}

/* The history, newest first, in rows y .. y + h - 1. */
static void
draw_history(struct testview *tv, int y, int h, int cols)
{
	const struct sendtest_hist *e;
	char when[32], *s;
	struct tm tm;
	int i, n = (int)tv->nhist;

	s = xasprintf(" History  %d test%s%s%s", n, n == 1 ? "" : "s",
	    n > 0 ? "  Enter: one in full" : "", "  h: the transcript");
	tui_fill(y, 0, cols, ROLE_HEADER);
	tui_put(y, 0, cols, ROLE_HEADER, s);
	free(s);
	y++, h--;
	tv->body_y = y;
	tv->hvis = h > 1 ? h : 1;
	if (tv->hist_error != NULL) {
		tui_putf(y, 1, cols - 2, ROLE_FAIL, "the history cannot be "
		    "read: %s", tv->hist_error);
		return;
	}
	if (n == 0) {
		tui_put(y, 1, cols - 2, ROLE_DIM, "no test yet: each test "
		    "sent here or by notspam send-test is kept");
		return;
	}
	list_fix(&tv->hcur, &tv->htop, n, tv->hvis);
	for (i = tv->htop; i < n && i < tv->htop + tv->hvis; i++, y++) {
		int sel = i == tv->hcur;
		enum tui_role r = sel ? ROLE_CURSOR : ROLE_NORMAL;

		e = &tv->hist[n - 1 - i];
		if (localtime_r(&e->time, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(when, sizeof when, "?");
		if (sel)
			tui_fill(y, 0, cols, ROLE_CURSOR);
		tui_put(y, 1, 16, r, when);
		tui_put(y, 18, 11, sel ? r : e->verdict != NULL &&
		    strcmp(e->verdict, "accepted") == 0 ? ROLE_OK : ROLE_WARN,
		    e->verdict != NULL ? e->verdict : "?");
		tui_put(y, 30, 10, r, e->route != NULL ? e->route : "?");
		s = xasprintf("%s  %s", e->to != NULL ? e->to : "?",
		    e->summary != NULL ? e->summary : "");
		tui_put(y, 41, cols - 42, r, s);
		free(s);
	}
}

/* The transcript wrapped to cols (the screen's margins taken off). */
static void
transcript_wrap(const struct testview *tv, int cols, struct tv_line **v,
    size_t *n)
{
	struct strv w;
	size_t i, j;

	*v = NULL;
	*n = 0;
	for (i = 0; i < tv->lines.n; i++) {
		strv_init(&w);
		tui_wrap(tv->lines.v[i], cols - 2, TV_HANG, 0, &w);
		for (j = 0; j < w.n; j++)
			add_line(v, n, line_role(tv->lines.v[i]), w.v[j]);
		strv_free(&w);
	}
}

/* The transcript's lines v in rows y .. y + h - 1, scrolled. */
static void
draw_transcript(struct testview *tv, const struct tv_line *v, size_t n,
    int y, int h, int cols)
{
	int k;
	char *s;

	tv->vis = h - 1 > 1 ? h - 1 : 1;
	tv->nwrapped = (int)n;
	if (tv->stick || tv->top > (int)n - tv->vis)
		tv->top = (int)n - tv->vis;
	if (tv->top < 0)
		tv->top = 0;
	if (n == 0)
		s = xstrdup(" Transcript");
	else if ((int)n <= tv->vis)
		s = xasprintf(" Transcript  %zu line%s", n, n == 1 ? "" : "s");
	else
		s = xasprintf(" Transcript  lines %d-%d of %zu  %s PgUp PgDn "
		    "scroll", tv->top + 1, tv->top + tv->vis, n, tui_utf8() ?
		    "\xe2\x86\x91\xe2\x86\x93" : "Up Down");
	tui_fill(y, 0, cols, ROLE_HEADER);
	tui_put(y, 0, cols, ROLE_HEADER, s);
	free(s);
	y++;
	tv->body_y = y;
	if (n == 0 && !tv->running)
		tui_put(y, 1, cols - 2, ROLE_DIM, "Enter sends; the SMTP "
		    "conversation and the queue's log lines come here");
	for (k = 0; k < tv->vis && k < h - 1 && tv->top + k < (int)n; k++)
		tui_put(y + k, 1, cols - 2, v[tv->top + k].role,
		    v[tv->top + k].text);
}

static void
test_draw(struct app *app, void *state, int rows, int cols)
{
	struct testview *tv = state;
	struct tv_line *v, *tl;
	enum tui_role role;
	const char *word;
	char el[32];
	size_t nv, nt, i;
	int x, y, body, vh, room;

	/* The keys that do something now. */
	if (tv->history)
		app->keyline = " Enter one in full  Up Down move  h transcript  "
		    "a To  Tab route  ? help  Esc back";
	else if (tv->running)
		app->keyline = " Esc cancel the test  h history  Up Down PgUp "
		    "PgDn scroll  ? help";
	draw_title(tv, cols);
	y = draw_fields(app, tv, cols) + 1;
	body = rows - y;
	if (tv->history) {
		draw_history(tv, y, body, cols);
		return;
	}
	verdict_lines(tv, cols - 2, &v, &nv);
	transcript_wrap(tv, cols, &tl, &nt);
	word = verdict_word(tv, &role);
	/* The verdict below the transcript: all of it when it fits in two
	 * thirds of the room or in what the transcript leaves, else as much
	 * as does (v shows the rest; the transcript scrolls). */
	vh = word != NULL ? (int)nv + 1 : 0;
	room = body - (int)nt - 1;
	if (room < body * 2 / 3)
		room = body * 2 / 3;
	if (vh > room && vh > 2)
		vh = room > 2 ? room : 2;
	draw_transcript(tv, tl, nt, y, body - vh, cols);
	lines_free(tl, nt);
	if (vh > 0) {
		y = rows - vh;
		fmt_elapsed(tv->elapsed, el, sizeof el);
		tui_fill(y, 0, cols, ROLE_HEADER);
		x = tui_put(y, 0, cols, ROLE_HEADER, " Verdict  ");
		x += tui_put(y, x, cols - x, role, word);
		tui_putf(y, x, cols - x, ROLE_HEADER, "  after %s%s", el,
		    (int)nv > vh - 1 ? "  (v: all of it)" : "");
		for (i = 0; i < nv && (int)i < vh - 1; i++)
			tui_put(y + 1 + (int)i, 1, cols - 2, v[i].role,
			    v[i].text);
	}
	lines_free(v, nv);
}

/* A multi-line text in the box: a paragraph a line, as add_lines. */
static void
dialog_lines(struct app *app, const char *label, const char *text)
{
	struct strv l;
	char *blank = xasprintf("%*s", tui_width(label), "");
	size_t i;

	strv_init(&l);
	str_split(text, "\n", &l);
	for (i = 0; i < l.n; i++)
		app_dialog_label(app, i == 0 ? label : blank, 0, l.v[i]);
	strv_free(&l);
	free(blank);
}

/* v: the verdict in a box, where it can scroll. */
static void
verdict_box(struct app *app, struct testview *tv)
{
	const struct sendtest_result *r;
	size_t i;
	char *s;

	if (tv->refused != NULL || tv->cancelled) {
		app_dialog(app, "verdict");
		app_dialog_label(app, tv->refused ? "not sent: " :
		    "cancelled: ", 0, tv->refused ? tv->refused :
		    "the test was stopped (Esc)");
		return;
	}
	if (tv->t == NULL || tv->running) {
		app_message(app, tv->running ? "no verdict yet: the test is %s" :
		    "no verdict yet: Enter sends a test%s", tv->running ?
		    sendtest_phase_name(tv->phase) : "");
		return;
	}
	r = sendtest_result(tv->t);
	app_dialog(app, sendtest_verdict_name(r->verdict));
	if (r->summary != NULL)
		app_dialog_add(app, 0, 0, r->summary);
	app_dialog_add(app, 0, 0, "");
	s = xasprintf("%s -> %s, %s%s%s", r->from ? r->from : "?",
	    r->to ? r->to : "?", sendtest_route_name(r->route),
	    r->server ? " " : "", r->server ? r->server : "");
	app_dialog_label(app, "sent: ", 0, s);
	free(s);
	if (r->message_id != NULL)
		app_dialog_label(app, "message-id: ", TEXTWRAP_ANY,
		    r->message_id);
	if (r->reply != NULL)
		dialog_lines(app, "reply: ", r->reply);
	if (r->queue_id != NULL)
		app_dialog_label(app, "queue id: ", 0, r->queue_id);
	if (r->follow != NULL)
		app_dialog_label(app, "followed: ", 0, r->follow);
	if (r->remote_reply != NULL)
		dialog_lines(app, "receiver: ", r->remote_reply);
	if (r->relay != NULL)
		app_dialog_label(app, "relay: ", 0, r->relay);
	if (r->cause_title != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "cause: ", 0, r->cause_title);
	}
	if (r->explain != NULL)
		app_dialog_label(app, "why: ", 0, r->explain);
	if (r->fix != NULL)
		app_dialog_label(app, "fix: ", 0, r->fix);
	for (i = 0; i < r->records.n; i++)
		app_dialog_label(app, i == 0 ? "records: " : "         ",
		    TEXTWRAP_ANY, r->records.v[i]);
	if (r->mailtester_url != NULL) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_label(app, "result page: ", TEXTWRAP_ANY,
		    r->mailtester_url);
	}
}

/* Enter in a history test's box: send it again (arg: "route address"),
 * to the server set now for a server test. */
static void
hist_again(struct app *app, const char *arg)
{
	struct testview *tv;
	const char *sp = strchr(arg, ' ');
	char *route;
	int r;

	if (app->depth == 0 || app->stack[app->depth - 1].screen !=
	    &screen_test || sp == NULL)
		return;
	tv = app->stack[app->depth - 1].state;
	if (tv->running) {
		test_send(app, tv);	/* says why not */
		return;
	}
	route = xstrndup(arg, (size_t)(sp - arg));
	if ((r = sendtest_route_from_name(route)) >= 0)
		tv->route = (enum sendtest_route)r;
	free(route);
	snprintf(tv->addr, sizeof tv->addr, "%s", sp + 1);
	tv->history = 0;
	test_send(app, tv);
}

/* Enter on a test of the history: all of it; Enter again sends it. */
static void
hist_box(struct app *app, const struct sendtest_hist *e)
{
	char *again;

	char when[64];
	struct tm tm;

	if (localtime_r(&e->time, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(when, sizeof when, "?");
	app_dialog(app, e->verdict != NULL ? e->verdict : "test");
	app_dialog_label(app, "when: ", 0, when);
	app_dialog_label(app, "to: ", 0, e->to != NULL ? e->to : "?");
	app_dialog_label(app, "route: ", 0, e->route != NULL ? e->route : "?");
	if (e->queue_id != NULL && e->queue_id[0] != '\0')
		app_dialog_label(app, "queue id: ", 0, e->queue_id);
	if (e->remote_reply != NULL && e->remote_reply[0] != '\0')
		dialog_lines(app, "receiver: ", e->remote_reply);
	if (e->summary != NULL && e->summary[0] != '\0')
		app_dialog_label(app, "summary: ", 0, e->summary);
	if (e->to != NULL && e->route != NULL &&
	    sendtest_route_from_name(e->route) >= 0) {
		app_dialog_add(app, 0, 0, "");
		app_dialog_add(app, 0, 0, "Enter sends this test again");
		again = xasprintf("%s %s", e->route, e->to);
		app_dialog_enter(app, hist_again, again);
		free(again);
	}
}

/* A click: the address field, a route, a test of the history. */
static void
test_click(struct testview *tv)
{
	MEVENT ev;
	int i;

	if (getmouse(&ev) != OK)
		return;
	if (ev.y == tv->addr_y) {
		edit_open(tv, TV_EDIT_ADDR);
		return;
	}
	if (ev.y == tv->route_y) {
		for (i = 0; i < SENDTEST_NROUTES; i++)
			if (tv->chip_w[i] > 0 && ev.x >= tv->chip_x[i] &&
			    ev.x < tv->chip_x[i] + tv->chip_w[i])
				tv->route = (enum sendtest_route)i;
		return;
	}
	if (tv->history && ev.y >= tv->body_y && ev.y < tv->body_y +
	    tv->hvis && tv->htop + ev.y - tv->body_y < (int)tv->nhist)
		tv->hcur = tv->htop + ev.y - tv->body_y;
}

/* Up Down PgUp PgDn Home End on the transcript: list_key's moves, with
 * the first line shown as the cursor over the tops there can be. */
static int
scroll_key(struct testview *tv, int key)
{
	int max = tv->nwrapped - tv->vis, top = 0;

	if (!list_key(key, &tv->top, &top, max > 0 ? max + 1 : 1, tv->vis))
		return 0;
	/* At the end again: follow what comes. */
	tv->stick = tv->top >= max;
	return 1;
}

/* The paste's keys: 1 when key was one (or its end), 0 for a key of
 * the screen's own. */
static int
paste_key(struct testview *tv, int key)
{
	if (key == paste_begin && key != 0) {
		tv->pasting = loop_now_ms();
		tv->plen = 0;
		tv->pbuf[0] = '\0';
		tv->pline = 0;
		return 1;
	}
	if (tv->pasting == 0)
		return key == paste_end && key != 0;
	/* The end, or (its marker lost) a key long after the start: the
	 * paste is the address; taken as it is when a line end came with
	 * it (as Enter), else in the editor to be checked. */
	if ((key == paste_end && key != 0) ||
	    loop_now_ms() - tv->pasting > TV_PASTE_MS) {
		tv->pasting = 0;
		if (tv->pline) {
			tv->edit = TV_EDIT_ADDR;
			edit_done(tv->app, tv, tv->pbuf);
		} else {
			snprintf(tv->addr, sizeof tv->addr, "%s", tv->pbuf);
			edit_open(tv, TV_EDIT_ADDR);
		}
		return key == paste_end;
	}
	if (key == '\r' || key == '\n' || key == KEY_ENTER)
		tv->pline = 1;
	else if (!tv->pline && key >= 0x20 && key < 0x100 && key != 0x7f &&
	    tv->plen + 1 < sizeof tv->pbuf) {
		tv->pbuf[tv->plen++] = (char)key;
		tv->pbuf[tv->plen] = '\0';
	}
	return 1;
}

static int
test_key(struct app *app, void *state, int key)
{
	struct testview *tv = state;

	if (paste_key(tv, key))
		return KEY_HANDLED;
	switch (key) {
	case 27:
	case 'q':
	case KEY_BACKSPACE:
		if (!tv->running)
			return 0;	/* back */
		test_cancel(tv);
		return KEY_HANDLED;
	case '\r':
	case '\n':
	case KEY_ENTER:
		if (tv->history && tv->nhist > 0)
			hist_box(app, &tv->hist[tv->nhist - 1 -
			    (size_t)tv->hcur]);
		else
			test_send(app, tv);
		return KEY_HANDLED;
	case 'a':
		edit_open(tv, TV_EDIT_ADDR);
		return KEY_HANDLED;
	case 's':
		edit_open(tv, TV_EDIT_SERVER);
		return KEY_HANDLED;
	case 'o':
		edit_open(tv, TV_EDIT_TIMEOUT);
		return KEY_HANDLED;
	case 'p':
		edit_open(tv, TV_EDIT_PORT);
		return KEY_HANDLED;
	case '\t':
	case KEY_RIGHT:
		tv->route = (tv->route + 1) % SENDTEST_NROUTES;
		return KEY_HANDLED;
	case KEY_BTAB:
	case KEY_LEFT:
		tv->route = (tv->route + SENDTEST_NROUTES - 1) %
		    SENDTEST_NROUTES;
		return KEY_HANDLED;
	case 'h':
		tv->history = !tv->history;
		if (tv->history)
			hist_load(tv);
		return KEY_HANDLED;
	case 'v':
		verdict_box(app, tv);
		return KEY_HANDLED;
	case KEY_MOUSE:
		test_click(tv);
		return KEY_HANDLED;
	}
	if (tv->history)
		return list_key(key, &tv->hcur, &tv->htop, (int)tv->nhist,
		    tv->hvis) ? KEY_HANDLED : 0;
	return scroll_key(tv, key) ? KEY_HANDLED : 0;
}

const struct screen screen_test = {
	"test", test_enter, test_draw, test_key, test_leave,
	" Enter send  a To  Tab route  s server  h history  v verdict  ? help  "
	"Esc back",
	test_help
};
