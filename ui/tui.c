/* tui.c: curses set-up, restore, and safe drawing. */
#include "ui/tui.h"

#include <curses.h>
#include <term.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "core/lib/textwrap.h"
#include "core/lib/util.h"

static int active;
static int colour;
static int utf8;

int
tui_utf8(void)
{
	return utf8;
}

int
tui_active(void)
{
	return active;
}

int
tui_rows(void)
{
	return LINES;
}

int
tui_cols(void)
{
	return COLS;
}

/* The longest prefix of TERM quoted in a message. */
#define TERM_QUOTE_MAX	40

/* What to do instead, at the end of every message about TERM. */
#define TERM_FIX "set TERM to your terminal's type (e.g. " \
	"TERM=xterm-256color), or use \"notspam status\" for the dashboard " \
	"as text"

/*
 * Whether TERM names a terminal the console can draw on (known to
 * terminfo, with cursor addressing: not "dumb" or a printing terminal),
 * asked before curses touches the screen.  0, or -1 with *cause.
 */
static int
tui_term_check(char **cause)
{
	const char *term = getenv("TERM");
	const char *cup;
	char *safe;
	size_t n;
	int err = 0, usable, rc = 0;

	if (term == NULL || *term == '\0')
		return error_set(cause, "TERM is not set, so the console cannot "
		    "tell how to draw on this terminal: %s", TERM_FIX);
	n = strlen(term);
	safe = str_sanitize(term, n > TERM_QUOTE_MAX ? TERM_QUOTE_MAX : n);
	if (setupterm(term, STDOUT_FILENO, &err) != OK) {
		if (err == -1)
			rc = error_set(cause, "TERM=%s%s: no terminfo database "
			    "found on this system: install ncurses-base, or %s",
			    safe, n > TERM_QUOTE_MAX ? "..." : "", TERM_FIX);
		else
			rc = error_set(cause, "TERM=%s%s is a terminal type "
			    "this system does not know (no terminfo entry): %s",
			    safe, n > TERM_QUOTE_MAX ? "..." : "", TERM_FIX);
		free(safe);
		return rc;
	}
	cup = tigetstr("cup");
	usable = cup != NULL && cup != (char *)-1 && tigetflag("hc") <= 0 &&
	    tigetflag("gn") <= 0;
	del_curterm(cur_term);
	if (!usable)
		rc = error_set(cause, "TERM=%s%s cannot move the cursor (a "
		    "dumb or printing terminal) and the console draws a full "
		    "screen: %s", safe, n > TERM_QUOTE_MAX ? "..." : "",
		    TERM_FIX);
	free(safe);
	return rc;
}

int
tui_init(int no_color, char **cause)
{
	const char *nc = getenv("NO_COLOR");

	setlocale(LC_ALL, "");
	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (tui_term_check(cause) != 0)
		return -1;
	if (newterm(NULL, stdout, stdin) == NULL)
		return error_set(cause, "cannot start the terminal: %s",
		    TERM_FIX);
	active = 1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	if (!no_color && (nc == NULL || *nc == '\0') && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_RED, -1);
		init_pair(4, COLOR_MAGENTA, -1);
		init_pair(5, COLOR_CYAN, -1);
		init_pair(6, COLOR_BLACK, COLOR_CYAN);
		init_pair(7, COLOR_BLUE, -1);
		colour = 1;
	}
	return 0;
}

void
tui_end(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
}

/* The curses attributes of a role. */
static attr_t
role_attr(enum tui_role r)
{
	switch (r) {
	case ROLE_OK:
		return colour ? COLOR_PAIR(1) : A_NORMAL;
	case ROLE_WARN:
		return colour ? COLOR_PAIR(2) | A_BOLD : A_BOLD;
	case ROLE_FAIL:
		return colour ? COLOR_PAIR(3) | A_BOLD : A_BOLD;
	case ROLE_UNKNOWN:
		return colour ? COLOR_PAIR(4) : A_UNDERLINE;
	case ROLE_PENDING:
		return colour ? COLOR_PAIR(5) : A_DIM;
	case ROLE_TITLE:
		return colour ? COLOR_PAIR(6) | A_BOLD : A_REVERSE;
	case ROLE_HEADER:
		return A_BOLD;
	case ROLE_CURSOR:
		return A_REVERSE;
	case ROLE_DIM:
		return colour ? COLOR_PAIR(7) : A_DIM;
	case ROLE_KEYS:
		return A_REVERSE;
	default:
		return A_NORMAL;
	}
}

/* Decode one character of text; its width (>= 0) into *w and bytes used;
 * invalid or non-printable input becomes '?'. */
static size_t
next_char(const char *s, wchar_t *wc, int *w)
{
	mbstate_t st;
	size_t n;

	if (!utf8 || (unsigned char)*s < 0x80) {
		*wc = (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ?
		    L'?' : (wchar_t)(unsigned char)*s;
		*w = 1;
		return 1;
	}
	memset(&st, 0, sizeof st);
	n = mbrtowc(wc, s, strlen(s), &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		*w = 1;
		return 1;
	}
	*w = wcwidth(*wc);
	if (*w < 0) {
		*wc = L'?';
		*w = 1;
	}
	return n;
}

/*
 * Text as the screen shows it: a tab is a blank (never the two characters
 * \t), and what is left goes through the last line of defence, which keeps
 * the core's escapes as they are (escaped once: \x1b, not \\x1b).
 */
static char *
tui_safe(const char *text)
{
	char *copy = xstrdup(text), *p, *safe;

	for (p = copy; (p = strchr(p, '\t')) != NULL; p++)
		*p = ' ';
	safe = str_shown(copy, strlen(copy));
	free(copy);
	return safe;
}

int
tui_width(const char *text)
{
	char *safe = tui_safe(text);
	int total = textwrap_width(safe);

	free(safe);
	return total;
}

const char *
tui_ellipsis(void)
{
	return utf8 ? "\xe2\x80\xa6" : "...";
}

int
tui_put(int y, int x, int width, enum tui_role r, const char *text)
{
	char *safe;
	const char *p;
	wchar_t wc;
	int w, used = 0;
	attr_t a = role_attr(r);

	if (y < 0 || y >= LINES || x >= COLS || width <= 0)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	safe = tui_safe(text);
	if (textwrap_width(safe) > width) {
		/* Cut where it shows: never a shorter value that looks whole. */
		char *cut = textwrap_cut(safe, width, tui_ellipsis());
		free(safe);
		safe = cut;
	}
	attron(a);
	move(y, x);
	for (p = safe; *p != '\0';) {
		size_t n = next_char(p, &wc, &w);
		if (used + w > width)
			break;
		if (w > 0) {
			wchar_t one[2] = { wc, 0 };
			addnwstr(one, 1);
		}
		used += w;
		p += n;
	}
	attroff(a);
	free(safe);
	return used;
}

int
tui_putf(int y, int x, int width, enum tui_role r, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	n = tui_put(y, x, width, r, s);
	free(s);
	return n;
}

void
tui_fill(int y, int x, int width, enum tui_role r)
{
	attr_t a = role_attr(r);

	if (y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	attron(a);
	mvhline(y, x, ' ', width);
	attroff(a);
}

/* A box with a title: Unicode lines in UTF-8 locales, else ASCII. */
void
tui_box(int y, int x, int h, int w, const char *title)
{
	const char *hz = utf8 ? "\xe2\x94\x80" : "-";
	const char *vt = utf8 ? "\xe2\x94\x82" : "|";
	const char *c[4] = { "+", "+", "+", "+" };
	int i;

	if (utf8) {
		c[0] = "\xe2\x94\x8c";	/* top left */
		c[1] = "\xe2\x94\x90";	/* top right */
		c[2] = "\xe2\x94\x94";	/* bottom left */
		c[3] = "\xe2\x94\x98";	/* bottom right */
	}
	for (i = 0; i < h; i++)
		tui_fill(y + i, x, w, ROLE_NORMAL);
	if (h < 2 || w < 2)
		return;
	for (i = 1; i < w - 1; i++) {
		tui_put(y, x + i, 1, ROLE_NORMAL, hz);
		tui_put(y + h - 1, x + i, 1, ROLE_NORMAL, hz);
	}
	for (i = 1; i < h - 1; i++) {
		tui_put(y + i, x, 1, ROLE_NORMAL, vt);
		tui_put(y + i, x + w - 1, 1, ROLE_NORMAL, vt);
	}
	tui_put(y, x, 1, ROLE_NORMAL, c[0]);
	tui_put(y, x + w - 1, 1, ROLE_NORMAL, c[1]);
	tui_put(y + h - 1, x, 1, ROLE_NORMAL, c[2]);
	tui_put(y + h - 1, x + w - 1, 1, ROLE_NORMAL, c[3]);
	if (title != NULL) {
		tui_put(y, x + 2, w - 4, ROLE_HEADER, " ");
		tui_put(y, x + 3, w - 6, ROLE_HEADER, title);
		tui_put(y, x + 3 + tui_width(title), 1, ROLE_HEADER, " ");
	}
}

const char *
tui_status_word(enum check_status s)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_WARN:
		return "warn";
	case CHECK_FAIL:
		return "FAIL";
	case CHECK_UNKNOWN:
		return "unknown";
	default:
		return tui_ellipsis();
	}
}

enum tui_role
tui_status_role(enum check_status s)
{
	switch (s) {
	case CHECK_OK:
		return ROLE_OK;
	case CHECK_WARN:
		return ROLE_WARN;
	case CHECK_FAIL:
		return ROLE_FAIL;
	case CHECK_UNKNOWN:
		return ROLE_UNKNOWN;
	default:
		return ROLE_PENDING;
	}
}

void
tui_wrap(const char *text, int width, int hang, int flags, struct strv *out)
{
	char *safe = tui_safe(text);

	textwrap(safe, width, hang, flags, out);
	free(safe);
}
