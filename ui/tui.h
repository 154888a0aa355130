/* tui.h: the terminal: ncurses set-up and restore, colours with a
 * monochrome fallback, and clipped, sanitized, wide-character drawing.
 * The only ui/ module that includes curses.h besides the screens. */
#ifndef NOTSPAM_TUI_H
#define NOTSPAM_TUI_H

#include "core/check/check.h"

/* Attributes by role (colour when available, else mono equivalents). */
enum tui_role {
	ROLE_NORMAL,
	ROLE_OK,
	ROLE_WARN,
	ROLE_FAIL,
	ROLE_UNKNOWN,
	ROLE_PENDING,
	ROLE_TITLE,
	ROLE_HEADER,
	ROLE_CURSOR,
	ROLE_DIM,
	ROLE_KEYS,
};

/* Start curses on the terminal; colour unless no_color, NO_COLOR or a
 * terminal without colours.  Returns 0, or -1 with *cause when the
 * terminal cannot be drawn on (TERM unset, unknown to terminfo, or without
 * cursor addressing: "dumb"); the screen is left untouched then. */
int tui_init(int no_color, char **cause);
/* Restore the terminal (safe to call twice, from fatal paths too). */
void tui_end(void);
int tui_active(void);

int tui_utf8(void);		/* the locale is UTF-8 */
int tui_rows(void);
int tui_cols(void);

/* Draw text at (y, x), at most width columns, in the role's attributes,
 * with control characters escaped (once: text the core sanitized is drawn
 * as it is), a tab drawn as a blank and wide characters measured; text
 * wider than that ends in tui_ellipsis(), never cut silently.  Returns
 * the columns used. */
int tui_put(int y, int x, int width, enum tui_role, const char *text);
/* The same with printf formatting. */
int tui_putf(int y, int x, int width, enum tui_role, const char *, ...)
    __attribute__((format(printf, 5, 6)));
/* Fill the rest of a line from x with blanks in the role. */
void tui_fill(int y, int x, int width, enum tui_role);
/* A box with a title. */
void tui_box(int y, int x, int h, int w, const char *title);

/* Display width of text as tui_put would draw it. */
int tui_width(const char *text);

/* What ends a cut text: "…" in a UTF-8 locale, else "...". */
const char *tui_ellipsis(void);

/* Status word and role: "ok", "warn", "FAIL", "unknown", "…" / "..."
 * (pending); at most 7 columns. */
const char *tui_status_word(enum check_status);
enum tui_role tui_status_role(enum check_status);

/* Text as the screen shows it (escaped as tui_put does) broken into lines
 * of at most width columns by textwrap() (core/lib/textwrap.h: hang,
 * TEXTWRAP_ANY), appended to out; caller frees with strv_free. */
struct strv;
void tui_wrap(const char *text, int width, int hang, int flags,
    struct strv *out);

#endif
