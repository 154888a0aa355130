/* logscan_journal.c: the systemd journal, read through `journalctl -o json`.
 *
 * Each output line is one JSON object; only the fields a log line needs
 * are kept (MESSAGE, SYSLOG_IDENTIFIER or _COMM, SYSLOG_PID or _PID,
 * __REALTIME_TIMESTAMP), each bounded to LOGSCAN_LINE_MAX bytes.  MESSAGE
 * may be a string or, for bytes that are not UTF-8, an array of numbers;
 * a field given several times is an array of strings (the first is kept).
 * Anything else in the output is skipped.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/doctor/logscan.h"
#include "core/doctor/logscan_int.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

struct jrec {
	struct buf	msg;
	struct buf	ident;
	struct buf	comm;
	struct buf	pid;
	struct buf	spid;
	struct buf	usec;
};

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/* Append code point c as UTF-8 (U+FFFD for a surrogate). */
static void
put_utf8(struct buf *b, unsigned long c)
{
	char u[4];

	if (c >= 0xd800 && c <= 0xdfff)
		c = 0xfffd;
	if (c < 0x80) {
		buf_addc(b, (char)c);
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		buf_add(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		buf_add(b, u, 4);
	}
}

/* Four hex digits at p, or -1. */
static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		d = p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A JSON string at p ('"'), its text appended to out (when not NULL) up
 * to max bytes; the position after it, or NULL when malformed. */
static const char *
json_str(const char *p, const char *end, struct buf *out, size_t max)
{
	static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char *e;
	long c, lo;
	char ch;

	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"'; p++) {
		ch = *p;
		if (ch == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				if ((c = hex4(p + 1, end)) < 0)
					return NULL;
				p += 4;
				if (c >= 0xd800 && c <= 0xdbff && end - p > 2 &&
				    p[1] == '\\' && p[2] == 'u' &&
				    (lo = hex4(p + 3, end)) >= 0xdc00 &&
				    lo <= 0xdfff) {
					c = 0x10000 + ((c - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
				if (out != NULL && out->len + 4 <= max)
					put_utf8(out, c);
				continue;
			}
			for (e = esc; *e != '\0' && *e != *p; e += 2)
				;
			if (*e == '\0')
				return NULL;
			ch = e[1];
		}
		if (out != NULL && out->len < max)
			buf_addc(out, ch);
	}
	return p < end ? p + 1 : NULL;
}

/* A scalar (number, true, false, null) at p: the position after it. */
static const char *
json_scalar(const char *p, const char *end, struct buf *out, size_t max)
{
	const char *s = p;

	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
		p++;
	if (p == s)
		return NULL;
	if (out != NULL && out->len + (p - s) <= max)
		buf_add(out, s, p - s);
	return p;
}

/*
 * A value at p: a string or scalar appended to out; an array of numbers
 * appended as the bytes they are; of an array of strings, the first.
 * Nested objects are not expected and make the record malformed.
 */
static const char *
json_value(const char *p, const char *end, struct buf *out, size_t max)
{
	const char *n;
	int first = 1;
	long v;

	p = skip_ws(p, end);
	if (p < end && *p == '"')
		return json_str(p, end, out, max);
	if (p >= end || *p != '[')
		return json_scalar(p, end, out, max);
	for (p++;;) {
		p = skip_ws(p, end);
		if (p < end && *p == ']')
			return p + 1;
		if (p < end && *p == '"') {
			p = json_str(p, end, first ? out : NULL, max);
			first = 0;
		} else {
			for (v = 0, n = p; p < end && *p >= '0' && *p <= '9' &&
			    v < 256; p++)
				v = v * 10 + (*p - '0');
			if (p == n || v > 255)
				return NULL;
			if (out != NULL && out->len < max)
				buf_addc(out, (char)v);
		}
		if (p == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		else if (p >= end || *p != ']')
			return NULL;
	}
}

/* The buffer a field goes into, or NULL for a field not kept. */
static struct buf *
jrec_field(struct jrec *r, const char *key)
{
	if (strcmp(key, "MESSAGE") == 0)
		return &r->msg;
	if (strcmp(key, "SYSLOG_IDENTIFIER") == 0)
		return &r->ident;
	if (strcmp(key, "_COMM") == 0)
		return &r->comm;
	if (strcmp(key, "SYSLOG_PID") == 0)
		return &r->spid;
	if (strcmp(key, "_PID") == 0)
		return &r->pid;
	if (strcmp(key, "__REALTIME_TIMESTAMP") == 0)
		return &r->usec;
	return NULL;
}

/* One record (one output line) into r; 0 or -1 when malformed. */
static int
jrec_parse(const char *p, const char *end, struct jrec *r)
{
	struct buf key;
	struct buf *f;
	int rc = -1;

	buf_init(&key);
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		goto out;
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		key.len = 0;
		buf_adds(&key, "");
		if ((p = json_str(p, end, &key, 64)) == NULL)
			goto out;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			goto out;
		f = jrec_field(r, key.data);
		if (f != NULL && f->len > 0)
			f = NULL;	/* a repeated key: keep the first */
		if ((p = json_value(p, end, f, LOGSCAN_LINE_MAX)) == NULL)
			goto out;
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		else if (p >= end || *p != '}')
			goto out;
	}
	rc = 0;
out:
	buf_free(&key);
	return rc;
}

/* A decimal number from a field, or 0. */
static long long
jrec_num(const struct buf *b)
{
	long long v = 0;
	size_t i;

	for (i = 0; i < b->len && b->data[i] >= '0' && b->data[i] <= '9' &&
	    v < 1000000000000000000LL / 10; i++)
		v = v * 10 + (b->data[i] - '0');
	return v;
}

static void
jrec_free(struct jrec *r)
{
	buf_free(&r->msg);
	buf_free(&r->ident);
	buf_free(&r->comm);
	buf_free(&r->pid);
	buf_free(&r->spid);
	buf_free(&r->usec);
}

/* One record: as a log line "IDENT[PID]: MESSAGE" to the scanner. */
static void
jrec_scan(struct logscan *ls, const char *p, const char *end)
{
	struct jrec r;
	struct logscan_line l;
	const struct buf *prog;
	struct buf text;
	size_t pre;

	memset(&r, 0, sizeof r);
	buf_init(&r.msg);
	buf_init(&r.ident);
	buf_init(&r.comm);
	buf_init(&r.pid);
	buf_init(&r.spid);
	buf_init(&r.usec);
	if (jrec_parse(p, end, &r) != 0 || r.msg.len == 0) {
		jrec_free(&r);
		return;
	}
	prog = r.ident.len > 0 ? &r.ident : &r.comm;
	memset(&l, 0, sizeof l);
	l.t = (time_t)(jrec_num(&r.usec) / 1000000);
	l.pid = (long)jrec_num(r.spid.len > 0 ? &r.spid : &r.pid);
	buf_init(&text);
	buf_add(&text, prog->data != NULL ? prog->data : "", prog->len);
	if (l.pid != 0)
		buf_printf(&text, "[%ld]", l.pid);
	buf_adds(&text, ": ");
	pre = text.len;
	buf_add(&text, r.msg.data, r.msg.len);
	l.prog = text.data;
	l.proglen = prog->len;
	l.msg = text.data + pre;
	l.msglen = r.msg.len;
	logscan_journal_line(ls, &l, text.data, text.len);
	buf_free(&text);
	jrec_free(&r);
}

void
logscan_journal_text(struct logscan *ls, const char *text, size_t len)
{
	struct logscan_source *s = logscan_journal_begin(ls);
	const char *p = text, *end = text + len, *nl;

	s->size = 0;
	s->bytes = len;
	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		jrec_scan(ls, p, nl);
		p = nl + 1;
	}
	logscan_journal_end(ls);
}

void
logscan_journal_argv(const struct logscan *ls, struct strv *argv)
{
	strv_init(argv);
	strv_add(argv, "journalctl");
	strv_add(argv, "-o");
	strv_add(argv, "json");
	strv_add(argv, "--no-pager");
	strv_add(argv, "-q");
	strv_add(argv, "-r");
	strv_add(argv, "--facility=mail");
	if (ls->since != 0) {
		strv_add(argv, "--since");
		strv_addf(argv, "@%lld", (long long)ls->since);
	}
}

int
logscan_journal(struct logscan *ls, char **cause)
{
	struct logscan_source *s;
	struct strv argv;
	struct stat sb;
	char *path, *out = NULL, *why = NULL, *first;
	int status = 0, rc = -1;

	if (stat("/run/systemd/system", &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    (path = proc_which("journalctl")) == NULL) {
		s = logscan_journal_begin(ls);
		s->state = LOGSCAN_MISSING;
		s->why = xstrdup("no systemd journal here");
		logscan_journal_end(ls);
		return error_set(cause, "no systemd journal here");
	}
	logscan_journal_argv(ls, &argv);
	free(argv.v[0]);
	argv.v[0] = path;
	if (proc_run((const char *const *)argv.v, ls->opts.timeout_ms,
	    ls->opts.max_bytes, &out, &status, &why) != 0 || status != 0) {
		if (why == NULL) {
			first = out == NULL ? xstrdup("") :
			    str_sanitize(out, strcspn(out, "\n"));
			why = xasprintf("journalctl exited %d: %s", status,
			    first);
			free(first);
		}
		s = logscan_journal_begin(ls);
		s->state = LOGSCAN_FAILED;
		s->why = xstrdup(why);
		logscan_journal_end(ls);
		error_set(cause, "%s", why);
		goto out;
	}
	ls->stats.bytes_read += strlen(out);
	logscan_journal_text(ls, out, strlen(out));
	rc = 0;
out:
	free(why);
	free(out);
	strv_free(&argv);
	return rc;
}
