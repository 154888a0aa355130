/* textwrap.c: measure, break and cut text in terminal columns. */
#include "core/lib/textwrap.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/lib/util.h"

/* Bytes of the character at s, its columns into *w. */
static size_t
char_len(const char *s, int *w)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;
	int cw;

	*w = 1;
	if (MB_CUR_MAX == 1 || (unsigned char)*s < 0x80)
		return 1;
	memset(&st, 0, sizeof st);
	n = mbrtowc(&wc, s, strnlen(s, MB_CUR_MAX), &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
		return 1;
	cw = wcwidth(wc);
	*w = cw < 0 ? 1 : cw;
	return n;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

int
textwrap_width(const char *text)
{
	int w, total = 0;

	while (*text != '\0') {
		text += char_len(text, &w);
		total += w;
	}
	return total;
}

/* Append hang blanks and the bytes [p, e) to out. */
static void
add_line(struct strv *out, int hang, const char *p, const char *e)
{
	char *line = xmalloc((size_t)hang + (size_t)(e - p) + 1);

	memset(line, ' ', (size_t)hang);
	memcpy(line + hang, p, (size_t)(e - p));
	line[(size_t)hang + (size_t)(e - p)] = '\0';
	strv_add(out, line);
	free(line);
}

void
textwrap(const char *text, int width, int hang, int flags, struct strv *out)
{
	const char *p = text, *q, *brk, *next, *last_blank;
	int first = 1, avail, w, cw;
	size_t n;

	if (hang < 0)
		hang = 0;
	if (width < hang + 1)
		width = hang + 1;
	for (;;) {
		avail = first ? width : width - hang;
		/* The longest prefix that fits, and its last blank. */
		q = p;
		w = 0;
		last_blank = NULL;
		while (*q != '\0' && *q != '\n') {
			n = char_len(q, &cw);
			if (w + cw > avail)
				break;
			if (blank(*q))
				last_blank = q;
			w += cw;
			q += n;
		}
		if (*q == '\0' || *q == '\n') {
			brk = next = q;
		} else if (flags & TEXTWRAP_ANY) {
			/* Full: no blank at the end of the line. */
			brk = q;
			while (brk > p && blank(brk[-1]))
				brk--;
			if (brk == p)
				brk = q;
			next = brk;
		} else {
			brk = blank(*q) || last_blank == NULL ||
			    last_blank == p ? q : last_blank;
			next = brk;
			while (blank(*next))
				next++;
			while (brk > p && blank(brk[-1]))
				brk--;
		}
		if (next == p && *p != '\0' && *p != '\n')
			next = brk = p + char_len(p, &cw);	/* too wide */
		add_line(out, first ? 0 : hang, p, brk);
		first = 0;
		p = next;
		if (*p == '\n')
			p++;
		else if (*p == '\0')
			break;
		if (*p == '\0' && p[-1] == '\n')
			break;
	}
}

char *
textwrap_cut(const char *text, int width, const char *ellipsis)
{
	const char *p = text;
	int w = 0, cw, room;
	size_t n;

	if (width < 0)
		width = 0;
	if (textwrap_width(text) <= width)
		return xstrdup(text);
	room = width - textwrap_width(ellipsis);
	if (room < 0) {
		/* Not even the ellipsis fits: as much of it as does. */
		for (p = ellipsis; *p != '\0'; p += n) {
			n = char_len(p, &cw);
			if (w + cw > width)
				break;
			w += cw;
		}
		return xstrndup(ellipsis, (size_t)(p - ellipsis));
	}
	while (*p != '\0') {
		n = char_len(p, &cw);
		if (w + cw > room)
			break;
		w += cw;
		p += n;
	}
	return xasprintf("%.*s%s", (int)(p - text), text, ellipsis);
}
