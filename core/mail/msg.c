/* msg.c: a received message split into header fields and body. */
#include "core/mail/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/lib/util.h"

/* One input line: start, length without its line end. */
struct msg_line {
	const char	*p;
	size_t		 len;
	int		 lf;	/* ended by a line end (not the end of input) */
	int		 bare;	/* that end was a bare LF */
};

/* The line at *off, moving *off past it; 0 at the end of the data. */
static int
msg_getline(const char *data, size_t len, size_t *off, struct msg_line *l)
{
	const char *nl;

	if (*off >= len)
		return 0;
	l->p = data + *off;
	nl = memchr(l->p, '\n', len - *off);
	if (nl == NULL) {
		l->len = len - *off;
		l->lf = l->bare = 0;
		*off = len;
		return 1;
	}
	l->len = (size_t)(nl - l->p);
	*off += l->len + 1;
	l->lf = 1;
	l->bare = 1;
	if (l->len > 0 && l->p[l->len - 1] == '\r') {
		l->len--;
		l->bare = 0;
	}
	return 1;
}

/* The length of the field name at the start of a line (printable ASCII
 * but ':'), then blanks, then ':'; 0 when the line is not a field. */
static size_t
msg_name_len(const struct msg_line *l, size_t *colon)
{
	size_t i = 0, n;

	while (i < l->len && l->p[i] > 0x20 && l->p[i] < 0x7f &&
	    l->p[i] != ':')
		i++;
	n = i;
	while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
		i++;
	if (n == 0 || i >= l->len || l->p[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* Unfold a field's raw text after the colon and trim it. */
static void
msg_field_value(struct msg_field *f, size_t colon)
{
	struct buf b;
	size_t i, start, end;

	buf_init(&b);
	for (i = colon + 1; i < f->rawlen; i++) {
		if (f->raw[i] == '\r' && i + 1 < f->rawlen &&
		    f->raw[i + 1] == '\n') {
			i++;
			continue;
		}
		buf_addc(&b, f->raw[i]);
	}
	start = 0;
	end = b.len;
	while (start < end && (b.data[start] == ' ' || b.data[start] == '\t'))
		start++;
	while (end > start && (b.data[end - 1] == ' ' ||
	    b.data[end - 1] == '\t'))
		end--;
	f->value = xmalloc(end - start + 1);
	if (end > start)	/* an empty value: b.data may be NULL */
		memcpy(f->value, b.data + start, end - start);
	f->value[end - start] = '\0';
	f->valuelen = end - start;
	buf_free(&b);
}

/* Close the field being gathered in raw (if any). */
static void
msg_field_end(struct msg *m, struct buf *raw, size_t colon)
{
	struct msg_field *f;

	if (m->nfields == 0 || m->fields[m->nfields - 1].raw != NULL)
		return;
	f = &m->fields[m->nfields - 1];
	f->rawlen = raw->len;
	f->raw = buf_steal(raw);
	msg_field_value(f, colon);
}

/* The body from off on, every line end made CRLF. */
static void
msg_body(struct msg *m, const char *data, size_t len, size_t off)
{
	struct msg_line l;
	struct buf b;

	buf_init(&b);
	while (msg_getline(data, len, &off, &l)) {
		buf_add(&b, l.p, l.len);
		if (l.lf)
			buf_add(&b, "\r\n", 2);
		if (l.bare)
			m->bare_lf = 1;
	}
	m->bodylen = b.len;
	m->body = b.len > 0 ? buf_steal(&b) : xstrdup("");
	buf_free(&b);
}

/* Take one header line: a new field or the folding of the last one. */
static int
msg_header_line(struct msg *m, struct buf *raw, const struct msg_line *l,
    size_t lineno, size_t *colon, char **cause)
{
	size_t n, c;

	if (l->p[0] == ' ' || l->p[0] == '\t') {
		if (m->nfields == 0)
			return error_set(cause, "line %zu: a folded line "
			    "before any header field", lineno);
	} else if ((n = msg_name_len(l, &c)) == 0)
		return error_set(cause, "line %zu: not a header field (no "
		    "\"Name:\" at its start) before the empty line that "
		    "ends the header", lineno);
	else {
		msg_field_end(m, raw, *colon);
		if (m->nfields >= MSG_FIELDS_MAX)
			return error_set(cause, "more than %d header fields: "
			    "not a message notspam reads", MSG_FIELDS_MAX);
		m->fields = xgrow(m->fields, m->nfields, sizeof *m->fields);
		m->fields[m->nfields].name = xstrndup(l->p, n);
		m->fields[m->nfields].line = lineno;
		m->nfields++;
		*colon = c;
	}
	buf_add(raw, l->p, l->len);
	buf_add(raw, "\r\n", 2);
	return 0;
}

struct msg *
msg_parse(const char *data, size_t len, char **cause)
{
	struct msg *m;
	struct msg_line l;
	struct buf raw;
	size_t off = 0, lineno = 0, colon = 0;

	if (len > MSG_SIZE_MAX) {
		error_set(cause, "the message is larger than %u MiB: not a "
		    "message notspam reads", MSG_SIZE_MAX / 1024 / 1024);
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	buf_init(&raw);
	while (msg_getline(data, len, &off, &l)) {
		lineno++;
		if (l.bare)
			m->bare_lf = 1;
		if (lineno == 1 && l.len >= 5 && memcmp(l.p, "From ", 5) == 0)
			continue;	/* the mbox separator */
		if (l.len == 0) {
			m->has_body = l.lf;
			break;
		}
		if (msg_header_line(m, &raw, &l, lineno, &colon, cause) != 0) {
			buf_free(&raw);
			msg_free(m);
			return NULL;
		}
	}
	msg_field_end(m, &raw, colon);
	buf_free(&raw);
	msg_body(m, data, len, off);
	return m;
}

void
msg_free(struct msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].raw);
		free(m->fields[i].value);
	}
	free(m->fields);
	free(m->body);
	free(m);
}

int
msg_read(const char *path, char **data, size_t *len, char **cause)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;
	int fd, is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "standard input" : path;

	if (is_stdin)
		fd = 0;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error_set(cause, "%s: %s", path, strerror(errno));
	buf_init(&b);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len + (size_t)n > MSG_SIZE_MAX) {
			n = -2;
			break;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	if (!is_stdin)
		close(fd);
	if (n < 0) {
		if (n == -2)
			error_set(cause, "%s is larger than %u MiB: not a "
			    "message notspam reads", name,
			    MSG_SIZE_MAX / 1024 / 1024);
		else
			error_set(cause, "%s: %s", name, strerror(errno));
		buf_free(&b);
		return -1;
	}
	*len = b.len;
	*data = b.len > 0 ? buf_steal(&b) : xstrdup("");
	buf_free(&b);
	return 0;
}

const struct msg_field *
msg_next(const struct msg *m, const char *name, size_t *i)
{
	while (*i < m->nfields) {
		if (strcasecmp(m->fields[(*i)++].name, name) == 0)
			return &m->fields[*i - 1];
	}
	return NULL;
}

size_t
msg_count(const struct msg *m, const char *name)
{
	size_t i = 0, n = 0;

	while (msg_next(m, name, &i) != NULL)
		n++;
	return n;
}

/* Skip a comment "(...)" (nested, with quoted pairs) at s; returns the
 * position after it. */
static const char *
msg_skip_comment(const char *s)
{
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return s;
}

/* Skip a quoted string at s (on its opening quote). */
static const char *
msg_skip_quoted(const char *s)
{
	for (s++; *s != '\0' && *s != '"'; s++)
		if (*s == '\\' && s[1] != '\0')
			s++;
	return *s == '"' ? s + 1 : s;
}

/*
 * The addr-spec of an address list with exactly one address, comments and
 * display names dropped, into b; -1 when there are several (a comma at the
 * top level) or none.
 */
static int
msg_one_address(const char *s, struct buf *b)
{
	struct buf bare;
	const char *lt = NULL;
	int rc = 0;

	buf_init(&bare);
	while (*s != '\0' && rc == 0) {
		if (*s == '(')
			s = msg_skip_comment(s);
		else if (*s == '"') {
			const char *q = msg_skip_quoted(s);
			buf_add(&bare, s, (size_t)(q - s));
			s = q;
		} else if (*s == '<' && lt == NULL) {
			lt = s + 1;
			while (*s != '\0' && *s != '>')
				s++;
			buf_add(b, lt, (size_t)(s - lt));
			if (*s == '>')
				s++;
		} else if (*s == ',' || *s == ';')
			rc = -1;
		else {
			if (*s != ' ' && *s != '\t')
				buf_addc(&bare, *s);
			s++;
		}
	}
	if (lt == NULL && rc == 0)
		buf_add(b, bare.data != NULL ? bare.data : "", bare.len);
	buf_free(&bare);
	return rc;
}

char *
msg_from_domain(const char *value, char **cause)
{
	struct buf b;
	const char *at;
	char *d;
	size_t n;

	buf_init(&b);
	if (msg_one_address(value, &b) != 0) {
		buf_free(&b);
		error_set(cause, "From holds more than one address: no single "
		    "author domain (RFC 7489 6.6.1)");
		return NULL;
	}
	if (b.len == 0 || (at = strrchr(b.data, '@')) == NULL ||
	    at[1] == '\0') {
		buf_free(&b);
		error_set(cause, "From holds no address with a domain");
		return NULL;
	}
	d = xstrdup(at + 1);
	buf_free(&b);
	n = strlen(d);
	while (n > 0 && (d[n - 1] == '.' || d[n - 1] == ' '))
		d[--n] = '\0';
	return str_lower(d);
}

char *
msg_return_path(const char *value)
{
	struct buf b;
	char *s;

	buf_init(&b);
	if (msg_one_address(value, &b) != 0 || b.len == 0) {
		buf_free(&b);
		return xstrdup("");
	}
	s = buf_steal(&b);
	return str_trim(s);
}
