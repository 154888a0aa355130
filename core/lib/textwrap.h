/* textwrap.h: the one text layout of every screen and popup: measure text
 * in terminal columns, break it into lines (at blanks, or anywhere for
 * base64), with a hanging indent, and cut it with a visible ellipsis.
 * Pure: no curses, no I/O; widths follow the current locale (LC_CTYPE). */
#ifndef NOTSPAM_TEXTWRAP_H
#define NOTSPAM_TEXTWRAP_H

struct strv;

/* Break anywhere, blanks kept: for base64 and other values that must be
 * copied back whole. */
#define TEXTWRAP_ANY	0x1

/* Columns text takes on a terminal: one per byte outside a UTF-8 locale;
 * in one, wcwidth() of each character, and one for a byte that does not
 * decode or a character that does not print. */
int textwrap_width(const char *text);

/*
 * Break text into lines of at most width columns and append them to out
 * (copies): the first line as it is, every later line after hang blanks
 * (counted in width).  A newline always breaks.  By default lines break at
 * a blank, which is dropped, and a word longer than a line is broken where
 * the line is full.  With TEXTWRAP_ANY lines break where they are full and
 * nothing is dropped: a line never ends in a blank (terminals drop those;
 * the blank starts the next line instead), so the lines without their hang
 * joined give text back.  At least one line is appended; a width below
 * hang + 1 is taken as hang + 1.
 */
void textwrap(const char *text, int width, int hang, int flags,
    struct strv *out);

/* Text in at most width columns: a copy of it when it fits, else its
 * longest prefix that fits with ellipsis after it (which counts), or as
 * much of the ellipsis as fits.  Caller frees. */
char *textwrap_cut(const char *text, int width, const char *ellipsis);

#endif
