/* compose.c: the test message (compose.h). */
#include "core/mail/compose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/lib/dnsname.h"
#include "core/lib/util.h"

/* Quoted-printable lines: RFC 2045 6.7 (5), at most 76 characters. */
#define QP_LINE		76
/* Where the body's paragraphs are wrapped. */
#define BODY_WIDTH	72

/* RFC 5322 atext, and '.' between atoms. */
static int
compose_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* "..." with the address escaped, cut at 60 octets, for messages. */
static char *
compose_quoted(const char *addr)
{
	size_t n = strlen(addr);
	char *safe, *q;

	safe = str_sanitize(addr, n > 60 ? 60 : n);
	q = xasprintf("\"%s%s\"", safe, n > 60 ? "..." : "");
	free(safe);
	return q;
}

/* error_set with the quoted address as the first word. */
static int
compose_bad(char **cause, const char *addr, const char *why)
{
	char *q = compose_quoted(addr);

	error_set(cause, "%s is not an address notspam sends to or from: %s",
	    q, why);
	free(q);
	return -1;
}

int
compose_addr_check(const char *addr, char **cause)
{
	const char *at, *p;
	size_t n;

	if (addr == NULL || *addr == '\0')
		return error_set(cause, "no address given");
	n = strlen(addr);
	for (p = addr; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			return compose_bad(cause, addr, "it holds a line "
			    "break");
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return compose_bad(cause, addr, "it holds a control "
			    "character");
		if ((unsigned char)*p >= 0x80)
			return compose_bad(cause, addr, "it holds non-ASCII "
			    "characters (internationalized addresses are not "
			    "sent)");
		if (*p == ' ')
			return compose_bad(cause, addr, "it holds a blank");
	}
	if (n > COMPOSE_ADDR_MAX)
		return compose_bad(cause, addr, "longer than 254 octets");
	if ((at = strchr(addr, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return compose_bad(cause, addr, "it needs exactly one '@' "
		    "(user@example.org)");
	if (at == addr || at - addr > 64)
		return compose_bad(cause, addr, "the part before '@' must be "
		    "1 to 64 characters");
	if (addr[0] == '.' || at[-1] == '.' || strstr(addr, "..") != NULL)
		return compose_bad(cause, addr, "a '.' starts or ends the part "
		    "before '@', or two follow each other");
	for (p = addr; p < at; p++)
		if (*p != '.' && !compose_atext((unsigned char)*p))
			return compose_bad(cause, addr, "the part before '@' "
			    "holds a character that would need quoting");
	if (at[1] == '\0' || at[strlen(at) - 1] == '.' ||
	    !dnsname_host_ok(at + 1) || strchr(at + 1, '.') == NULL)
		return compose_bad(cause, addr, "the part after '@' is not a "
		    "host name with a dot (example.org)");
	return 0;
}

char *
compose_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return str_lower(xstrdup(at != NULL ? at + 1 : addr));
}

void
compose_date(time_t t, char *buf, size_t size)
{
	static const char *const day[7] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long off, aoff;

	if (localtime_r(&t, &tm) == NULL) {
		gmtime_r(&t, &tm);
		tm.tm_gmtoff = 0;
	}
	off = tm.tm_gmtoff / 60;
	aoff = off < 0 ? -off : off;
	snprintf(buf, size, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    day[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', aoff / 60, aoff % 60);
}

/*
 * A header field "Name: value" folded (RFC 5322 2.2.3) before a blank
 * wherever a line would pass COMPOSE_FOLD_AT, appended to b with CRLF.
 * A word that would make a line longer than COMPOSE_LINE_MAX: -1.
 */
static int
compose_field(struct buf *b, const char *name, const char *value)
{
	char *text = xasprintf("%s: %s", name, value);
	const char *p = text, *sp, *brk;

	while (strlen(p) > COMPOSE_FOLD_AT) {
		/* The last blank by the fold column, else the first after. */
		brk = NULL;
		/* Never between the colon and the value's first word. */
		for (sp = p == text ? p + strlen(name) + 2 : p + 1;
		    *sp != '\0' &&
		    ((size_t)(sp - p) <= COMPOSE_FOLD_AT || brk == NULL); sp++)
			if (*sp == ' ')
				brk = sp;
		if (brk == NULL)
			break;
		if ((size_t)(brk - p) > COMPOSE_LINE_MAX) {
			free(text);
			return -1;
		}
		buf_add(b, p, (size_t)(brk - p));
		buf_add(b, "\r\n", 2);
		p = brk;	/* the blank starts the continuation */
	}
	if (strlen(p) > COMPOSE_LINE_MAX) {
		free(text);
		return -1;
	}
	buf_adds(b, p);
	buf_add(b, "\r\n", 2);
	free(text);
	return 0;
}

/* One line of text (no line end) quoted-printable (RFC 2045 6.7) into b:
 * '=', controls and 8-bit octets as =XX, a blank before the line end too,
 * soft breaks ("=" CRLF) keeping each line within QP_LINE. */
static void
compose_qp_line(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[4];
	size_t i, col = 0, w;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '=' || c < 0x20 || c >= 0x7f ||
		    ((c == ' ' || c == '\t') && i + 1 == n)) {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			w = 3;
		} else {
			enc[0] = (char)c;
			w = 1;
		}
		/* A soft break's '=' ends a line: 75 before it, 76 for the
		 * line's last octet. */
		if (col + w > (i + 1 < n ? QP_LINE - 1 : QP_LINE)) {
			buf_add(b, "=\r\n", 3);
			col = 0;
		}
		buf_add(b, enc, w);
		col += w;
	}
	buf_add(b, "\r\n", 2);
}

/*
 * Text broken into lines of at most BODY_WIDTH octets at blanks ('\n'
 * always breaks), each quoted-printable into b.  A word longer than a
 * line (a long host name) keeps a line of its own, whole: quoted-
 * printable's soft breaks fold it without changing the text.
 */
static void
compose_wrap(struct buf *b, const char *text)
{
	const char *p = text, *line, *sp, *last;

	while (*p != '\0') {
		line = p;
		last = NULL;
		for (sp = p; *sp != '\0' && *sp != '\n'; sp++) {
			if (*sp != ' ')
				continue;
			if (sp - line > BODY_WIDTH && last != NULL)
				break;
			last = sp;
			if (sp - line > BODY_WIDTH)
				break;
		}
		if ((*sp == '\0' || *sp == '\n') && sp - line <= BODY_WIDTH)
			last = sp;
		else if (last == NULL)
			last = sp;
		compose_qp_line(b, line, (size_t)(last - line));
		p = last;
		if (*p == ' ' || *p == '\n')
			p++;
	}
}

/* The body's text, wrapped and quoted-printable, into b. */
static void
compose_body(struct buf *b, const struct compose_opts *o, const char *host,
    const char *date, const char *domain)
{
	struct buf t;
	char *text;

	buf_init(&t);
	buf_printf(&t, "This is a test message from notspam, sent from %s%s%s "
	    "on %s to %s.", host, o->route != NULL ? " " : "",
	    o->route != NULL ? o->route : "", date, o->to);
	buf_adds(&t, "\n\nIt checks that mail from ");
	buf_adds(&t, domain);
	buf_adds(&t, " reaches its receiver and passes its authentication "
	    "checks (SPF, DKIM and DMARC). It needs no reply and can be "
	    "deleted.\n");
	text = buf_steal(&t);
	compose_wrap(b, text);
	free(text);
}

int
compose_message(const struct compose_opts *o, struct compose *c,
    char **cause)
{
	unsigned char rnd[16];
	char date[64], hex[sizeof rnd * 2 + 1], *domain, *subject;
	const char *host;
	struct buf b;
	size_t i;
	int bad = 0;

	memset(c, 0, sizeof *c);
	if (compose_addr_check(o->from, cause) != 0 ||
	    compose_addr_check(o->to, cause) != 0)
		return -1;
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return error_set(cause, "OpenSSL gave no random bytes for the "
		    "Message-ID");
	for (i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	domain = compose_addr_domain(o->from);
	host = o->hostname != NULL && dnsname_host_ok(o->hostname) &&
	    o->hostname[strlen(o->hostname) - 1] != '.' ? o->hostname : domain;
	compose_date(o->date != 0 ? o->date : time(NULL), date, sizeof date);
	c->date = xstrdup(date);
	c->message_id = xasprintf("<%s@%s>", hex, host);
	subject = xasprintf("notspam test message from %s", domain);
	buf_init(&b);
	bad |= compose_field(&b, "From", o->from);
	bad |= compose_field(&b, "To", o->to);
	bad |= compose_field(&b, "Subject", subject);
	bad |= compose_field(&b, "Date", date);
	bad |= compose_field(&b, "Message-ID", c->message_id);
	bad |= compose_field(&b, "MIME-Version", "1.0");
	bad |= compose_field(&b, "Content-Type", "text/plain; charset=UTF-8");
	bad |= compose_field(&b, "Content-Transfer-Encoding",
	    "quoted-printable");
	bad |= compose_field(&b, "Auto-Submitted", "auto-generated");
	buf_add(&b, "\r\n", 2);
	compose_body(&b, o, host, date, domain);
	free(subject);
	free(domain);
	if (bad) {
		buf_free(&b);
		compose_free(c);
		return error_set(cause, "a header line would pass %d octets",
		    COMPOSE_LINE_MAX);
	}
	c->len = b.len;
	c->data = buf_steal(&b);
	return 0;
}

void
compose_free(struct compose *c)
{
	free(c->data);
	free(c->message_id);
	free(c->date);
	memset(c, 0, sizeof *c);
}
