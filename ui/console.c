/* console.c: the interactive console: the loop, keys, redraws, the screen
 * stack, and the overlays (help, dialog, line editor). */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dns/dns.h"
#include "core/lib/loop.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "core/setup/setup.h"
#include "core/site/session.h"
#include "core/doctor/listen.h"
#include "ui/app.h"
#include "ui/tui.h"

#define RECHECK_MS	(5 * 60 * 1000)	/* periodic recheck while open */
#define TICK_MS		250		/* spinner while answers are pending */
#define CONSOLE_MIN_COLS 40		/* the smallest terminal drawn on */
#define CONSOLE_MIN_ROWS 10

/* Signal handlers can reach nothing else: the self-pipe and ncurses' own
 * SIGWINCH handler, which ours chains to. */
static int sig_pipe[2] = { -1, -1 };
static struct sigaction old_winch;

/* Signals only write a byte; the loop reads it: a resize is then drained
 * from getch() as KEY_RESIZE, anything else quits cleanly. */
static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (sig == SIGWINCH && old_winch.sa_handler != SIG_DFL &&
	    old_winch.sa_handler != SIG_IGN && old_winch.sa_handler != NULL)
		old_winch.sa_handler(sig);
	if (sig_pipe[1] != -1) {
		ssize_t n = write(sig_pipe[1], &c, 1);
		(void)n;
	}
	errno = saved;
}

static void on_input(int, short, void *);

static void
on_sigfd(int fd, short revents, void *arg)
{
	struct app *app = arg;
	unsigned char c;

	(void)revents;
	while (read(fd, &c, 1) == 1) {
		if (c == SIGWINCH)
			on_input(STDIN_FILENO, POLLIN, app);
		else
			app->quit = 1;
	}
}

void
app_push(struct app *app, const struct screen *s, const void *arg)
{
	if (app->depth == APP_MAX_DEPTH)
		return;
	app->stack[app->depth].screen = s;
	app->stack[app->depth].state = s->enter(app, arg);
	app->depth++;
	app->dirty = 1;
}

void
app_pop(struct app *app)
{
	if (app->depth == 0)
		return;
	app->depth--;
	app->stack[app->depth].screen->leave(app,
	    app->stack[app->depth].state);
	app->dirty = 1;
}

void
app_message(struct app *app, const char *fmt, ...)
{
	va_list ap;

	free(app->message);
	va_start(ap, fmt);
	app->message = xvasprintf(fmt, ap);
	va_end(ap);
	app->dirty = 1;
}

/* Close the modal text box, if one is open. */
static void
dialog_close(struct app *app)
{
	size_t i;

	for (i = 0; i < app->ndialog; i++)
		free(app->dialog[i].text);
	free(app->dialog);
	app->dialog = NULL;
	app->ndialog = 0;
	free(app->dialog_title);
	app->dialog_title = NULL;
	app->dialog_fn = NULL;
	free(app->dialog_arg);
	app->dialog_arg = NULL;
	app->dialog_top = app->dialog_vis = app->dialog_lines = 0;
	app->dirty = 1;
}

void
app_dialog(struct app *app, const char *title)
{
	dialog_close(app);
	app->dialog_title = xstrdup(title);
}

void
app_dialog_add(struct app *app, int hang, int flags, const char *text)
{
	struct app_para *p;

	app->dialog = xgrow(app->dialog, app->ndialog, sizeof *app->dialog);
	p = &app->dialog[app->ndialog++];
	p->text = xstrdup(text);
	p->hang = hang;
	p->flags = flags;
	app->dirty = 1;
}

void
app_dialog_enter(struct app *app, void (*fn)(struct app *, const char *),
    const char *arg)
{
	app->dialog_fn = fn;
	free(app->dialog_arg);
	app->dialog_arg = xstrdup(arg);
}

void
app_dialog_label(struct app *app, const char *label, int flags,
    const char *text)
{
	char *s = xasprintf("%s%s", label, text);

	app_dialog_add(app, tui_width(label), flags, s);
	free(s);
}

void
app_input(struct app *app, const char *prompt, const char *initial,
    void (*done)(struct app *, void *, const char *), void *state)
{
	struct app_input *in = &app->input;

	in->active = 1;
	snprintf(in->prompt, sizeof in->prompt, "%s", prompt);
	snprintf(in->buf, sizeof in->buf, "%s", initial ? initial : "");
	in->len = strlen(in->buf);
	in->done = done;
	in->state = state;
	app->dirty = 1;
}

const struct check_domain *
app_results(const struct app *app, size_t *n)
{
	*n = 0;
	if (app->run == NULL)
		return NULL;
	return check_results(app->run, n);
}

static void
on_changed(void *arg)
{
	struct app *app = arg;

	app->dirty = 1;
	if (app->run != NULL && check_done(app->run) && app->last_check <
	    app->run_started)
		app->last_check = time(NULL);
	if (app->run != NULL && check_done(app->run) && app->checking) {
		/* "checking again" said until the check ends, no longer. */
		free(app->message);
		app->message = NULL;
		app->checking = 0;
	}
}

static void on_recheck(void *);

static void
on_tick(void *arg)
{
	struct app *app = arg;

	app->tick_timer = 0;
	app->tick++;
	app->dirty = 1;
	if (app->run != NULL && !check_done(app->run))
		app->tick_timer = loop_timer_add(app->loop, TICK_MS, on_tick,
		    app);
}

/* The probes of the running programs are in: they replace the last. */
static void
on_probed(struct listen_report *r, void *arg)
{
	struct app *app = arg;

	listen_report_free(app->probe);
	app->probe = r;
	app->probing = NULL;
	app->dirty = 1;
}

/* Probe what the site's programs answer, on this machine only. */
static void
app_probe(struct app *app)
{
	struct listen_report *r;
	char *cause = NULL;

	if (app->site->root != NULL || app->probing != NULL)
		return;
	r = listen_report_new(app->site, NULL);
	if (listen_probe_start(app->loop, r, 0, on_probed, app, &cause) != 0) {
		listen_report_free(r);
		free(cause);
		return;
	}
	app->probing = r;
}

void
app_recheck(struct app *app)
{
	struct check_opts co;
	char *cause = NULL;

	if (app->dns == NULL) {
		app_message(app, "no resolver: %s", app->dns_error);
		return;
	}
	memset(&co, 0, sizeof co);
	co.ns_port = app->opts->ns_port;
	check_free(app->run);
	app->run = NULL;
	app->run_started = time(NULL);
	app->run = check_start(app->loop, app->dns, app->site, NULL, &co,
	    on_changed, app, &cause);
	if (app->run == NULL) {
		app_message(app, "cannot check: %s", cause);
		free(cause);
	}
	services_free(app->svc, app->nsvc);
	services_probe(app->site, &app->svc, &app->nsvc);
	app_probe(app);
	if (app->recheck_timer != 0)
		loop_timer_cancel(app->loop, app->recheck_timer);
	app->recheck_timer = loop_timer_add(app->loop, RECHECK_MS, on_recheck,
	    app);
	if (app->tick_timer == 0)
		app->tick_timer = loop_timer_add(app->loop, TICK_MS, on_tick,
		    app);
	app->dirty = 1;
}

static void
on_recheck(void *arg)
{
	struct app *app = arg;

	app->recheck_timer = 0;
	app_recheck(app);
}

int
list_key(int key, int *cursor, int *top, int n, int visible)
{
	switch (key) {
	case KEY_UP:
	case 'k':
		(*cursor)--;
		break;
	case KEY_DOWN:
	case 'j':
		(*cursor)++;
		break;
	case KEY_PPAGE:
		*cursor -= visible > 1 ? visible - 1 : 1;
		break;
	case KEY_NPAGE:
	case ' ':
		*cursor += visible > 1 ? visible - 1 : 1;
		break;
	case KEY_HOME:
	case 'g':
		*cursor = 0;
		break;
	case KEY_END:
	case 'G':
		*cursor = n - 1;
		break;
	default:
		return 0;
	}
	list_fix(cursor, top, n, visible);
	return 1;
}

void
list_fix(int *cursor, int *top, int n, int visible)
{
	if (*cursor >= n)
		*cursor = n - 1;
	if (*cursor < 0)
		*cursor = 0;
	if (visible < 1)
		visible = 1;
	if (*cursor < *top)
		*top = *cursor;
	if (*cursor >= *top + visible)
		*top = *cursor - visible + 1;
	if (*top > n - visible)
		*top = n - visible;
	if (*top < 0)
		*top = 0;
}

/* The line editor's keys. */
static void
input_key(struct app *app, int key)
{
	struct app_input *in = &app->input;
	void (*done)(struct app *, void *, const char *) = in->done;

	if (key == 27) {
		in->active = 0;
		done(app, in->state, NULL);
	} else if (key == '\r' || key == '\n' || key == KEY_ENTER) {
		in->active = 0;
		done(app, in->state, in->buf);
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (in->len > 0) {
			in->len--;
			while (in->len > 0 &&
			    ((unsigned char)in->buf[in->len] & 0xc0) == 0x80)
				in->len--;
			in->buf[in->len] = '\0';
		}
	} else if (key == 21) {		/* ^U */
		in->len = 0;
		in->buf[0] = '\0';
	} else if (key >= 0x20 && key < 0x100 && key != 0x7f &&
	    in->len + 1 < sizeof in->buf) {
		in->buf[in->len++] = (char)key;
		in->buf[in->len] = '\0';
	}
	app->dirty = 1;
}

/* A key while the text box is open: 1 if it scrolled it, 0 to close. */
static int
dialog_key(struct app *app, int key)
{
	int page = app->dialog_vis > 1 ? app->dialog_vis - 1 : 1;
	int max = app->dialog_lines - app->dialog_vis;

	switch (key) {
	case KEY_UP:
	case 'k':
		app->dialog_top--;
		break;
	case KEY_DOWN:
	case 'j':
		app->dialog_top++;
		break;
	case KEY_PPAGE:
		app->dialog_top -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		app->dialog_top += page;
		break;
	case KEY_HOME:
	case 'g':
		app->dialog_top = 0;
		break;
	case KEY_END:
	case 'G':
		app->dialog_top = max;
		break;
	case KEY_MOUSE:
		return 1;		/* a click inside or out: keep it */
	default:
		return 0;
	}
	if (app->dialog_top > max)
		app->dialog_top = max;
	if (app->dialog_top < 0)
		app->dialog_top = 0;
	return 1;
}

/* The help of the top screen, and the keys that work everywhere. */
static void
help_open(struct app *app)
{
	const struct screen *s = app->stack[app->depth - 1].screen;
	static const char *const common[] = {
		"?  F1      this help",
		"Esc  q     back; q on the dashboard quits",
		"r          check the DNS again now",
		"In a box like this one: Up Down j k, PgUp PgDn, Home End scroll;",
		"any other key closes it.",
		NULL
	};
	int i;

	app_dialog(app, "help");
	for (i = 0; s->help != NULL && s->help[i] != NULL; i++)
		app_dialog_add(app, 0, 0, s->help[i]);
	app_dialog_add(app, 0, 0, "");
	for (i = 0; common[i] != NULL; i++)
		app_dialog_add(app, 0, 0, common[i]);
}

/* One key: overlays first, then global keys, then the top screen. */
static void
dispatch_key(struct app *app, int key)
{
	const struct screen *s;
	int r;

	if (key == KEY_RESIZE) {
		/* The terminal may have moved lines around (tmux keeps the
		 * bottom when it shrinks): repaint all of it, not the diff. */
		clearok(curscr, TRUE);
		app->dirty = 1;
		return;
	}
	if (app->input.active) {
		input_key(app, key);
		return;
	}
	free(app->message);
	app->message = NULL;
	app->checking = 0;
	if (app->dialog_title != NULL) {
		if ((key == '\r' || key == '\n' || key == KEY_ENTER) &&
		    app->dialog_fn != NULL) {
			void (*fn)(struct app *, const char *) = app->dialog_fn;
			char *arg = app->dialog_arg;

			app->dialog_arg = NULL;
			dialog_close(app);
			fn(app, arg);
			free(arg);
		} else if (!dialog_key(app, key))
			dialog_close(app);
		app->dirty = 1;
		return;
	}
	if (key == '?' || key == KEY_F(1)) {
		help_open(app);
		return;
	}
	if (key == 3) {			/* ^C when not caught as SIGINT */
		app->quit = 1;
		return;
	}
	s = app->stack[app->depth - 1].screen;
	r = s->key(app, app->stack[app->depth - 1].state, key);
	if (!(r & KEY_HANDLED)) {
		if (key == 'q' || key == 27 || key == KEY_LEFT ||
		    key == KEY_BACKSPACE) {
			/* At the top only q quits: a stray Escape (the
			 * start of a split key sequence) must not. */
			if (app->depth > 1)
				r |= KEY_BACK;
			else if (key == 'q')
				r |= KEY_QUIT;
		} else if (key == 'r') {
			app_recheck(app);
			app_message(app, "checking again");
			app->checking = 1;
		}
	}
	if (r & KEY_QUIT)
		app->quit = 1;
	else if (r & KEY_BACK)
		app_pop(app);
	app->dirty = 1;
}

/* stdin is readable: take every key there is. */
static void
on_input(int fd, short revents, void *arg)
{
	struct app *app = arg;
	int key;

	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		app->quit = 1;
		return;
	}
	while (!app->quit && (key = getch()) != ERR)
		dispatch_key(app, key);
}

/* The widest box the terminal gives a text box: all of a small one, a
 * margin on a larger one, at most DIALOG_MAX_COLS. */
#define DIALOG_MAX_COLS	160

static void
draw_dialog(struct app *app, int rows, int cols)
{
	struct strv lines;
	size_t i;
	int room = cols <= 84 ? cols : cols - 8, w = 0, h, y, x, n;
	char *mark;

	if (room > DIALOG_MAX_COLS)
		room = DIALOG_MAX_COLS;
	/* As wide as its widest paragraph, if the terminal has the room. */
	for (i = 0; i < app->ndialog; i++) {
		n = tui_width(app->dialog[i].text);
		if (n > w)
			w = n;
	}
	n = tui_width(app->dialog_title) + 8;
	w = (w > n ? w : n) + 4;
	if (w < 40)
		w = 40;
	if (w > room)
		w = room;
	strv_init(&lines);
	for (i = 0; i < app->ndialog; i++)
		tui_wrap(app->dialog[i].text, w - 4, app->dialog[i].hang,
		    app->dialog[i].flags, &lines);
	h = (int)lines.n + 3;
	if (h > rows - 1)
		h = rows - 1;
	app->dialog_vis = h - 3 > 1 ? h - 3 : 1;
	app->dialog_lines = (int)lines.n;
	if (app->dialog_top > app->dialog_lines - app->dialog_vis)
		app->dialog_top = app->dialog_lines - app->dialog_vis;
	if (app->dialog_top < 0)
		app->dialog_top = 0;
	y = (rows - h) / 2;
	x = (cols - w) / 2;
	tui_box(y, x, h, w, app->dialog_title);
	for (n = 0; n < app->dialog_vis && app->dialog_top + n <
	    (int)lines.n; n++)
		tui_put(y + 1 + n, x + 2, w - 4, ROLE_NORMAL,
		    lines.v[app->dialog_top + n]);
	if (app->dialog_lines <= app->dialog_vis)
		mark = xstrdup("any key closes");
	else
		mark = xasprintf("lines %d-%d of %d  %s PgUp PgDn scroll, "
		    "any other key closes", app->dialog_top + 1,
		    app->dialog_top + app->dialog_vis, app->dialog_lines,
		    tui_utf8() ? "\xe2\x86\x91\xe2\x86\x93" : "Up Down");
	tui_put(y + h - 2, x + 2, w - 4, ROLE_DIM, mark);
	free(mark);
	strv_free(&lines);
}

/* Whether every word of text fits in cols and the wrapped lines in rows. */
static int
too_small_fits(const char *text, int rows, int cols, struct strv *lines)
{
	struct strv words;
	size_t i;
	int ok = 1;

	strv_init(&words);
	str_split(text, " ", &words);
	for (i = 0; i < words.n && ok; i++)
		ok = tui_width(words.v[i]) <= cols;
	strv_free(&words);
	if (!ok)
		return 0;
	tui_wrap(text, cols, 0, 0, lines);
	for (i = 0; i < lines->n && ok; i++)
		ok = tui_width(lines->v[i]) <= cols;
	return ok && (int)lines->n <= rows;
}

/* A terminal below the minimum: say so in the longest words that fit. */
static void
draw_too_small(int rows, int cols)
{
	char *say[4];
	struct strv lines;
	size_t i, k;

	say[0] = xasprintf("The terminal is too small: the console needs at "
	    "least %dx%d and this one is %dx%d. Make the window larger, or "
	    "press q to quit.", CONSOLE_MIN_COLS, CONSOLE_MIN_ROWS, cols, rows);
	say[1] = xasprintf("Too small: needs %dx%d, is %dx%d. q quits.",
	    CONSOLE_MIN_COLS, CONSOLE_MIN_ROWS, cols, rows);
	say[2] = xasprintf("Too small: %dx%d needed. q quits.",
	    CONSOLE_MIN_COLS, CONSOLE_MIN_ROWS);
	say[3] = xasprintf("too small");
	strv_init(&lines);
	for (k = 0; k < 4; k++) {
		strv_free(&lines);
		strv_init(&lines);
		if (too_small_fits(say[k], rows, cols, &lines))
			break;
	}
	if (k == 4) {			/* nothing fits: the shortest, cut */
		strv_free(&lines);
		strv_init(&lines);
		strv_add(&lines, say[3]);
	}
	for (i = 0; i < lines.n && (int)i < rows; i++)
		tui_put((int)i, 0, cols, ROLE_WARN, lines.v[i]);
	strv_free(&lines);
	for (k = 0; k < 4; k++)
		free(say[k]);
}

static void
draw(struct app *app)
{
	const struct screen *s = app->stack[app->depth - 1].screen;
	int rows = tui_rows(), cols = tui_cols();

	erase();
	if (rows < CONSOLE_MIN_ROWS || cols < CONSOLE_MIN_COLS) {
		draw_too_small(rows, cols);
		refresh();
		return;
	}
	app->keyline = NULL;
	s->draw(app, app->stack[app->depth - 1].state, rows - 1, cols);
	tui_fill(rows - 1, 0, cols, ROLE_KEYS);
	if (app->input.active) {
		tui_fill(rows - 1, 0, cols, ROLE_NORMAL);
		int n = tui_put(rows - 1, 0, cols, ROLE_HEADER,
		    app->input.prompt);
		n += tui_put(rows - 1, n, cols - n, ROLE_NORMAL, app->input.buf);
		tui_put(rows - 1, n, 1, ROLE_CURSOR, " ");
	} else if (app->message != NULL)
		tui_put(rows - 1, 0, cols, ROLE_KEYS, app->message);
	else
		tui_put(rows - 1, 0, cols, ROLE_KEYS, app->keyline != NULL ?
		    app->keyline : s->keys);
	if (app->dialog_title != NULL)
		draw_dialog(app, rows, cols);
	refresh();
	app->dirty = 0;
}

/* Everything the console holds, freed on every exit path. */
static void
app_free(struct app *app)
{
	while (app->depth > 0)
		app_pop(app);
	check_free(app->run);
	services_free(app->svc, app->nsvc);
	/* A probe still running holds its report: let it end (each child
	 * has a time limit). */
	while (app->probing != NULL && loop_busy(app->loop))
		if (loop_once(app->loop, 100) < 0 && errno != EINTR)
			break;
	listen_report_free(app->probe);
	configs_plan_drop(app);
	session_close(app->session);
	free(app->message);
	dialog_close(app);
}

int
console_run(const struct cli_opts *o)
{
	return console_open(o, NULL);
}

int
console_open(const struct cli_opts *o, const struct console_opts *co)
{
	struct app app;
	struct session_opts so;
	struct sigaction sa;
	char *cause = NULL;

	memset(&app, 0, sizeof app);
	app.opts = o;
	cli_session_opts(o, &so);
	if ((app.session = session_open(&so, &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		return EX_NOINPUT;
	}
	app.site = app.session->site;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("notspam: the console needs a terminal; "
		    "\"notspam status\" prints the dashboard as text\n", stderr);
		session_close(app.session);
		return EX_USAGE;
	}
	app.loop = app.session->loop;
	if ((app.dns = session_dns(app.session, NULL)) == NULL)
		app.dns_error = app.session->dns_error;
	if (tui_init(o->no_color, &cause) != 0) {
		/* A terminal type the console cannot use is a usage error. */
		cli_error(cause);
		free(cause);
		app_free(&app);
		return EX_USAGE;
	}
	util_set_fatal_hook(tui_end);
	if (pipe(sig_pipe) == 0) {
		fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK);
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGWINCH, &sa, &old_winch);
		loop_fd_set(app.loop, sig_pipe[0], POLLIN, on_sigfd, &app);
	}
	loop_fd_set(app.loop, STDIN_FILENO, POLLIN, on_input, &app);
	app_push(&app, &screen_dashboard, NULL);
	app_recheck(&app);
	app.watch_ms = co != NULL ? co->watch_ms : 0;
	if ((co != NULL && co->setup) || setup_first_run(app.site))
		app_push(&app, &screen_setup, NULL);
	while (!app.quit) {
		if (app.dirty)
			draw(&app);
		if (loop_once(app.loop, -1) == -1 && errno != EINTR)
			break;
	}
	tui_end();
	util_set_fatal_hook(NULL);
	loop_fd_set(app.loop, STDIN_FILENO, 0, NULL, NULL);
	if (sig_pipe[0] != -1) {
		sigaction(SIGWINCH, &old_winch, NULL);
		loop_fd_set(app.loop, sig_pipe[0], 0, NULL, NULL);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
	}
	app_free(&app);
	return 0;
}
