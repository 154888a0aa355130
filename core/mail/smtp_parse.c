/* smtp_parse.c: the pure parts of the SMTP client (core/mail/smtp.h):
 * the reply parser, the queue id of a reply, dot-stuffing.  No I/O. */
#include "core/mail/smtp.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Is p (n octets) a reply code: 2..5, 0..5, 0..9? */
static int
reply_code(const char *p, size_t n)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' ||
	    p[2] < '0' || p[2] > '9')
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* 1..3 digits at *p (advanced past them); 0 when there are none or more. */
static int
enh_digits(const char **p, const char *end)
{
	size_t n = 0;

	while (*p < end && isdigit((unsigned char)**p) && n < 4) {
		(*p)++;
		n++;
	}
	return n >= 1 && n <= 3;
}

/* The RFC 3463 status code at the start of text (class.subject.detail,
 * class the reply code's first digit, then a space or the end) into enh. */
static void
reply_enh(const char *text, size_t len, int code, char *enh, size_t size)
{
	const char *p = text, *end = text + len;

	enh[0] = '\0';
	if (len < 5 || text[0] != '0' + code / 100 || text[1] != '.')
		return;
	p = text + 2;
	if (!enh_digits(&p, end) || p >= end || *p++ != '.' ||
	    !enh_digits(&p, end) || (p < end && *p != ' '))
		return;
	if ((size_t)(p - text) >= size)
		return;
	memcpy(enh, text, p - text);
	enh[p - text] = '\0';
}

/* One line's check: its length without CRLF in *n, its code, separator. */
static int
reply_line(const char *line, size_t avail, size_t *n, int *code, char *sep,
    char **cause)
{
	const char *lf;
	size_t scan = avail < SMTP_LINE_MAX ? avail : SMTP_LINE_MAX;

	if ((lf = memchr(line, '\n', scan)) == NULL) {
		if (avail >= SMTP_LINE_MAX)
			return error_set(cause, "a reply line longer than %d "
			    "octets (RFC 5321 4.5.3.1.5)", SMTP_LINE_MAX);
		return 0;
	}
	*n = lf - line;
	if (*n == 0 || line[*n - 1] != '\r')
		return error_set(cause, "a reply line ends with a bare LF, "
		    "not CRLF");
	(*n)--;
	if ((*code = reply_code(line, *n)) < 0)
		return error_set(cause, "a reply line does not start with a "
		    "reply code (2xx..5xx)");
	*sep = *n == 3 ? ' ' : line[3];
	if (*sep != ' ' && *sep != '-')
		return error_set(cause, "a reply code followed by neither a "
		    "space nor '-'");
	return 1;
}

int
smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *r,
    size_t *used, char **cause)
{
	size_t off = 0, n = 0, nlines = 0;
	int code = 0, c = 0, ret;
	char sep = '-', *line;

	/* First pass: is a whole, valid reply there? */
	while (sep == '-') {
		if (nlines == SMTP_REPLY_LINES)
			return error_set(cause, "a reply of more than %d "
			    "lines", SMTP_REPLY_LINES);
		ret = reply_line(buf + off, len - off, &n, &c, &sep, cause);
		if (ret <= 0)
			return ret;
		if (nlines > 0 && c != code)
			return error_set(cause, "the lines of one reply have "
			    "different codes (%d, %d)", code, c);
		code = c;
		nlines++;
		off += n + 2;
	}
	memset(r, 0, sizeof *r);
	strv_init(&r->shown);
	r->code = code;
	r->nlines = nlines;
	r->text = xmalloc(off + 1);
	*used = off;
	off = 0;
	while (off < *used) {
		n = (const char *)memchr(buf + off, '\n', *used - off) -
		    (buf + off) - 1;
		if (r->textlen > 0)
			r->text[r->textlen++] = '\n';
		if (n > 4) {
			memcpy(r->text + r->textlen, buf + off + 4, n - 4);
			r->textlen += n - 4;
		}
		line = str_sanitize(buf + off, n);
		strv_add(&r->shown, line);
		free(line);
		off += n + 2;
	}
	r->text[r->textlen] = '\0';
	reply_enh(r->text, strcspn(r->text, "\n"), code, r->enh,
	    sizeof r->enh);
	return 1;
}

void
smtp_reply_free(struct smtp_reply *r)
{
	free(r->text);
	strv_free(&r->shown);
	memset(r, 0, sizeof *r);
}

/* Letters, digits and . _ - from p (at most end), at most 64; NULL if none. */
static char *
queue_word(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && (isalnum((unsigned char)*q) || *q == '.' ||
	    *q == '_' || *q == '-'))
		q++;
	if (q < end && *q != ' ' && *q != ',' && *q != ')' && *q != ';')
		return NULL;
	while (q > p && q[-1] == '.')
		q--;
	if (q == p || q - p > 64)
		return NULL;
	return xstrndup(p, q - p);
}

/* Case-insensitive search of needle in the n octets at hay. */
static const char *
find_ci(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

char *
smtp_reply_queue_id(const struct smtp_reply *r)
{
	const char *text, *end, *p;
	size_t n;

	if (r->code / 100 != 2 || r->text == NULL)
		return NULL;
	/* The last line: the one Postfix and OpenSMTPD put it on. */
	text = r->text;
	end = r->text + r->textlen;
	if ((p = memrchr(text, '\n', r->textlen)) != NULL)
		text = p + 1;
	if ((p = find_ci(text, end - text, "queued as ")) != NULL)
		return queue_word(p + 10, end);
	/* OpenSMTPD: "250 2.0.0 0ab1c2d3 Message accepted for delivery". */
	n = strspn(text, "0123456789.");	/* the enhanced code */
	p = text[n] == ' ' || text[n] == ':' ? text + n : text;
	p += strspn(p, ": ");
	if (find_ci(p, end - p, " Message accepted") == p + strcspn(p, " "))
		return queue_word(p, end);
	return NULL;
}

char *
smtp_dotstuff(const char *body, size_t len, size_t *outlen)
{
	char *out = xmalloc(2 * len + 6), *o = out;
	size_t i;
	int bol = 1;

	for (i = 0; i < len; i++) {
		if (bol && body[i] == '.')
			*o++ = '.';
		bol = 0;
		if (body[i] == '\r' || body[i] == '\n') {
			if (body[i] == '\r' && i + 1 < len &&
			    body[i + 1] == '\n')
				i++;
			*o++ = '\r';
			*o++ = '\n';
			bol = 1;
		} else
			*o++ = body[i];
	}
	if (!bol) {
		*o++ = '\r';
		*o++ = '\n';
	}
	memcpy(o, ".\r\n", 3);
	o += 3;
	*o = '\0';
	*outlen = o - out;
	return out;
}
