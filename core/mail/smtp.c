/* smtp.c: the SMTP client's state machine on the poll loop (smtp.h).
 *
 * One socket, one stage timer.  A state is entered with smtp_enter (which
 * arms the state's timeout); a command is queued with smtp_cmd; the fd
 * callback writes what is queued, then reads and parses replies, each
 * dispatched to the handler of the current state (smtp_states[]).  An
 * ending closes the socket at once and reports from a zero-delay timer, so
 * no handler ever runs on a freed session.
 */
#include "core/mail/smtp.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/lib/loop.h"

#define SMTP_IN_MAX	(SMTP_LINE_MAX * SMTP_REPLY_LINES)

/* Which timeout a state waits with. */
enum smtp_slot {
	SLOT_NONE = -1,
	SLOT_CONNECT,
	SLOT_GREETING,
	SLOT_COMMAND,
	SLOT_TLS,
	SLOT_DATA,
	SLOT_DATAEND,
	SLOT_N
};

static const int smtp_default_ms[SLOT_N] = {
	30000, 300000, 300000, 60000, 180000, 600000
};

struct smtp {
	struct loop		*loop;
	smtp_line_cb		 on_line;
	smtp_done_cb		 on_done;
	void			*arg;

	struct strv		 addrs;
	unsigned		 port;
	char			*helo;
	char			*servername;
	char			*cafile;
	char			*user;
	char			*pass;
	char			*from;
	struct strv		 rcpts;
	char			*payload;	/* dot-stuffed, with "." */
	size_t			 paylen;
	enum smtp_tls		 tls_mode;
	int			 verify_req;
	enum smtp_auth		 auth;
	int			 tmo[SLOT_N];

	enum smtp_state		 state;
	size_t			 ai;		/* next address to try */
	int			 fd;
	uint64_t		 timer;
	int64_t			 started;
	SSL_CTX			*ctx;
	SSL			*ssl;
	short			 want;		/* OpenSSL's wish, or 0 */

	char			*in;		/* SMTP_IN_MAX octets */
	size_t			 inlen;
	struct buf		 out;
	size_t			 outoff;

	size_t			 ri;		/* next recipient */
	int			 x_starttls;
	int			 x_plain;
	int			 x_login;
	int			 login;		/* AUTH LOGIN under way */
	struct buf		 tried;		/* the failed attempts */

	struct smtp_result	 res;
	struct strv		 log;
	int			 finished;
};

static void smtp_on_greeting(struct smtp *, const struct smtp_reply *);
static void smtp_on_ehlo(struct smtp *, const struct smtp_reply *);
static void smtp_on_helo(struct smtp *, const struct smtp_reply *);
static void smtp_on_starttls(struct smtp *, const struct smtp_reply *);
static void smtp_on_auth(struct smtp *, const struct smtp_reply *);
static void smtp_on_mail(struct smtp *, const struct smtp_reply *);
static void smtp_on_rcpt(struct smtp *, const struct smtp_reply *);
static void smtp_on_data(struct smtp *, const struct smtp_reply *);
static void smtp_on_body(struct smtp *, const struct smtp_reply *);
static void smtp_on_quit(struct smtp *, const struct smtp_reply *);

/* Each state: its name, its timeout and the handler of its replies. */
static const struct {
	const char	*name;
	enum smtp_slot	 slot;
	void		(*reply)(struct smtp *, const struct smtp_reply *);
} smtp_states[SMTP_NSTATES] = {
	[SMTP_INIT] =		{ "INIT", SLOT_NONE, NULL },
	[SMTP_CONNECT] =	{ "CONNECT", SLOT_CONNECT, NULL },
	[SMTP_GREETING] =	{ "GREETING", SLOT_GREETING, smtp_on_greeting },
	[SMTP_EHLO] =		{ "EHLO", SLOT_COMMAND, smtp_on_ehlo },
	[SMTP_HELO] =		{ "HELO", SLOT_COMMAND, smtp_on_helo },
	[SMTP_STARTTLS] =	{ "STARTTLS", SLOT_COMMAND, smtp_on_starttls },
	[SMTP_TLS] =		{ "TLS", SLOT_TLS, NULL },
	[SMTP_AUTH] =		{ "AUTH", SLOT_COMMAND, smtp_on_auth },
	[SMTP_AUTH_USER] =	{ "AUTH_USER", SLOT_COMMAND, smtp_on_auth },
	[SMTP_AUTH_PASS] =	{ "AUTH_PASS", SLOT_COMMAND, smtp_on_auth },
	[SMTP_MAIL] =		{ "MAIL", SLOT_COMMAND, smtp_on_mail },
	[SMTP_RCPT] =		{ "RCPT", SLOT_COMMAND, smtp_on_rcpt },
	[SMTP_DATA] =		{ "DATA", SLOT_COMMAND, smtp_on_data },
	[SMTP_BODY] =		{ "BODY", SLOT_DATA, smtp_on_body },
	[SMTP_QUIT] =		{ "QUIT", SLOT_COMMAND, smtp_on_quit },
	[SMTP_DONE] =		{ "DONE", SLOT_NONE, NULL },
};

static const char *const smtp_fail_names[SMTP_NFAILS] = {
	"OK", "CONNECT", "TLS", "PROTOCOL", "REJECTED", "TIMEOUT"
};

const char *
smtp_state_name(enum smtp_state st)
{
	if ((unsigned)st >= SMTP_NSTATES || smtp_states[st].name == NULL)
		return "?";
	return smtp_states[st].name;
}

const char *
smtp_fail_name(enum smtp_fail f)
{
	if ((unsigned)f >= SMTP_NFAILS)
		return "?";
	return smtp_fail_names[f];
}

static void smtp_log(struct smtp *, const char *, ...) PRINTFLIKE(2, 3);
static void smtp_fail(struct smtp *, enum smtp_fail, const struct smtp_reply *,
    const char *, ...) PRINTFLIKE(4, 5);
static void smtp_cmd(struct smtp *, enum smtp_state, const char *,
    const char *, ...) PRINTFLIKE(4, 5);
static void smtp_io(int, short, void *);
static void smtp_timeout(void *);
static void smtp_connect_next(struct smtp *);
static void smtp_after_ehlo(struct smtp *);

/* Add a transcript line (text already safe) and tell the caller. */
static void
smtp_log(struct smtp *s, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(&s->log, line);
	if (s->on_line != NULL)
		s->on_line(line, s->arg);
	free(line);
}

/* Close the connection (TLS first), leaving the loop's watch. */
static void
smtp_close(struct smtp *s)
{
	if (s->ssl != NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd != -1) {
		loop_fd_set(s->loop, s->fd, 0, NULL, NULL);
		close(s->fd);
		s->fd = -1;
	}
	s->want = 0;
	s->inlen = 0;
	s->outoff = s->out.len = 0;
}

static void
smtp_report(void *arg)
{
	struct smtp *s = arg;

	s->timer = 0;
	if (s->on_done != NULL)
		s->on_done(s, &s->res, s->arg);
}

/* End the session: result set, socket closed, the report on its way. */
static void
smtp_finish(struct smtp *s)
{
	smtp_close(s);
	loop_timer_cancel(s->loop, s->timer);
	s->res.elapsed_ms = loop_now_ms() - s->started;
	if (s->res.fail == SMTP_OK)
		s->res.state = SMTP_DONE;
	s->state = SMTP_DONE;
	s->finished = 1;
	s->timer = loop_timer_add(s->loop, 0, smtp_report, s);
}

/* Join a reply's escaped lines with '\n'. */
static char *
smtp_reply_text(const struct smtp_reply *r)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < r->shown.n; i++) {
		if (i > 0)
			buf_addc(&b, '\n');
		buf_adds(&b, r->shown.v[i]);
	}
	return buf_steal(&b);
}

/* Fail with class f in the current state; r (may be NULL) is the reply
 * that made it fail, else the partial text received is kept. */
static void
smtp_fail(struct smtp *s, enum smtp_fail f, const struct smtp_reply *r,
    const char *fmt, ...)
{
	va_list ap;
	size_t n;
	char *c;

	if (s->finished)
		return;
	s->res.fail = f;
	s->res.state = s->state;
	free(s->res.reply);
	s->res.reply = NULL;
	if (r != NULL) {
		s->res.code = r->code;
		memcpy(s->res.enh, r->enh, sizeof s->res.enh);
		s->res.reply = smtp_reply_text(r);
	} else {
		s->res.code = 0;
		s->res.enh[0] = '\0';
		n = s->inlen < SMTP_LINE_MAX ? s->inlen : SMTP_LINE_MAX;
		if (n > 0) {
			s->res.reply = str_sanitize(s->in, n);
			smtp_log(s, "S: %s (%zu octets, no complete reply)",
			    s->res.reply, s->inlen);
		}
	}
	free(s->res.cause);
	va_start(ap, fmt);
	c = xvasprintf(fmt, ap);
	va_end(ap);
	s->res.cause = str_shown(c, strlen(c));
	free(c);
	smtp_log(s, "* %s failure in %s: %s", smtp_fail_name(f),
	    smtp_state_name(s->state), s->res.cause);
	smtp_finish(s);
}

/* Enter a state: its timeout armed afresh. */
static void
smtp_enter(struct smtp *s, enum smtp_state st)
{
	enum smtp_slot slot = smtp_states[st].slot;

	s->state = st;
	loop_timer_cancel(s->loop, s->timer);
	s->timer = 0;
	if (slot != SLOT_NONE)
		s->timer = loop_timer_add(s->loop, s->tmo[slot], smtp_timeout,
		    s);
}

/* Watch the socket for what comes next. */
static void
smtp_watch(struct smtp *s)
{
	short ev;

	if (s->fd == -1 || s->finished)
		return;
	if (s->want != 0)
		ev = s->want;
	else if (s->state == SMTP_CONNECT || s->outoff < s->out.len)
		ev = POLLOUT;
	else
		ev = POLLIN;
	loop_fd_set(s->loop, s->fd, ev, smtp_io, s);
}

/* Enter st and queue a command line; shown (NULL: the line) goes to the
 * transcript instead of secrets. */
static void
smtp_cmd(struct smtp *s, enum smtp_state st, const char *shown,
    const char *fmt, ...)
{
	va_list ap;
	char *line, *safe;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	smtp_enter(s, st);
	buf_adds(&s->out, line);
	buf_add(&s->out, "\r\n", 2);
	safe = str_sanitize(shown != NULL ? shown : line,
	    strlen(shown != NULL ? shown : line));
	smtp_log(s, "C: %s", safe);
	free(safe);
	OPENSSL_cleanse(line, strlen(line));
	free(line);
	smtp_watch(s);
}

/* The OpenSSL error queue as one line (and emptied). */
static char *
smtp_ssl_error(void)
{
	char b[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return xstrdup("no error detail");
	ERR_error_string_n(e, b, sizeof b);
	ERR_clear_error();
	return xstrdup(b);
}

/*
 * Map an OpenSSL result to the loop: 1 would block (s->want set), 0 the
 * peer closed, -1 an error (*err set, caller frees).
 */
static int
smtp_ssl_want(struct smtp *s, int ret, char **err)
{
	switch (SSL_get_error(s->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		s->want = POLLIN;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		s->want = POLLOUT;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == 0 || errno == EPIPE || errno == ECONNRESET)
				return 0;
			*err = xstrdup(strerror(errno));
			return -1;
		}
		/* FALLTHROUGH */
	default:
		*err = smtp_ssl_error();
		return -1;
	}
}

/* Read into p: octets, 0 at EOF, -1 would block, -2 error (*err). */
static ssize_t
smtp_recv(struct smtp *s, char *p, size_t n, char **err)
{
	ssize_t r;
	int w;

	if (s->ssl != NULL) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_read(s->ssl, p, (int)n)) > 0)
			return r;
		w = smtp_ssl_want(s, (int)r, err);
		return w == 1 ? -1 : w == 0 ? 0 : -2;
	}
	if ((r = read(s->fd, p, n)) >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -1;
	if (errno == ECONNRESET)
		return 0;
	*err = xstrdup(strerror(errno));
	return -2;
}

/* Write from p: octets, -1 would block, -2 error or closed (*err). */
static ssize_t
smtp_send(struct smtp *s, const char *p, size_t n, char **err)
{
	ssize_t r;
	int w;

	if (s->ssl != NULL) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_write(s->ssl, p, n > 65536 ? 65536 : (int)n)) > 0)
			return r;
		w = smtp_ssl_want(s, (int)r, err);
		if (w == 0)
			*err = xstrdup("the server closed the connection");
		return w == 1 ? -1 : -2;
	}
	if ((r = send(s->fd, p, n, MSG_NOSIGNAL)) >= 0)
		return r;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -1;
	*err = xstrdup(strerror(errno));
	return -2;
}

/* Write what is queued; 0 when it is all out or the socket is full, -1
 * when the session ended. */
static int
smtp_flush(struct smtp *s)
{
	ssize_t n;
	char *err = NULL;

	while (s->outoff < s->out.len) {
		n = smtp_send(s, s->out.data + s->outoff,
		    s->out.len - s->outoff, &err);
		if (n == -1)
			return 0;
		if (n == -2) {
			smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "writing %s "
			    "to %s: %s", smtp_state_name(s->state),
			    s->res.peer, err);
			free(err);
			return -1;
		}
		s->outoff += n;
	}
	OPENSSL_cleanse(s->out.data, s->out.len);
	s->out.len = s->outoff = 0;
	if (s->state == SMTP_BODY) {
		/* The message is out: now the wait for its verdict. */
		loop_timer_cancel(s->loop, s->timer);
		s->timer = loop_timer_add(s->loop, s->tmo[SLOT_DATAEND],
		    smtp_timeout, s);
	}
	return 0;
}

/* Parse and dispatch every whole reply in the input while the state
 * waits for one; -1 when the session ended. */
static int
smtp_replies(struct smtp *s)
{
	struct smtp_reply r;
	size_t used, i;
	char *cause = NULL;
	int ret;

	while (!s->finished && s->outoff == s->out.len &&
	    smtp_states[s->state].reply != NULL && s->inlen > 0) {
		ret = smtp_reply_parse(s->in, s->inlen, &r, &used, &cause);
		if (ret == 0)
			return 0;
		if (ret < 0) {
			smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "%s (in reply "
			    "to %s)", cause, smtp_state_name(s->state));
			free(cause);
			return -1;
		}
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
		for (i = 0; i < r.shown.n; i++)
			smtp_log(s, "S: %s", r.shown.v[i]);
		if (s->state != SMTP_QUIT) {
			/* The verdict is the reply to the data, not QUIT's. */
			s->res.code = r.code;
			memcpy(s->res.enh, r.enh, sizeof s->res.enh);
		}
		smtp_states[s->state].reply(s, &r);
		smtp_reply_free(&r);
	}
	return s->finished ? -1 : 0;
}

/* What the state was waiting for when the connection closed. */
static void
smtp_closed(struct smtp *s)
{
	if (s->state == SMTP_QUIT) {
		smtp_finish(s);
		return;
	}
	smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "the server closed the "
	    "connection %s%s", s->inlen > 0 ? "in the middle of a reply to " :
	    "before replying to ", smtp_state_name(s->state));
}

/* Read what the socket has and handle the replies in it. */
static void
smtp_fill(struct smtp *s)
{
	ssize_t n;
	char *err = NULL;

	while (!s->finished && s->outoff == s->out.len &&
	    smtp_states[s->state].reply != NULL) {
		if (s->inlen == SMTP_IN_MAX) {
			smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "a reply over "
			    "%d octets", SMTP_IN_MAX);
			return;
		}
		n = smtp_recv(s, s->in + s->inlen, SMTP_IN_MAX - s->inlen,
		    &err);
		if (n == -1)
			return;
		if (n == -2) {
			smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "reading the "
			    "reply to %s: %s", smtp_state_name(s->state), err);
			free(err);
			return;
		}
		if (n == 0) {
			smtp_closed(s);
			return;
		}
		s->inlen += n;
		if (smtp_replies(s) != 0)
			return;
	}
}

/* TCP connect finished (or not) on the current address. */
static void
smtp_connected(struct smtp *s)
{
	int err = 0;
	socklen_t len = sizeof err;
	const char *addr = s->addrs.v[s->ai - 1];

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		smtp_log(s, "* connect to %s port %u: %s", addr, s->port,
		    strerror(err));
		buf_printf(&s->tried, "%s%s: %s", s->tried.len ? "; " : "",
		    addr, strerror(err));
		smtp_close(s);
		smtp_connect_next(s);
		return;
	}
	free(s->res.peer);
	s->res.peer = xstrdup(addr);
	smtp_log(s, "* connected to %s port %u", addr, s->port);
	smtp_enter(s, SMTP_GREETING);
	smtp_watch(s);
}

/* Verify result, names and protocol of the finished handshake. */
static void
smtp_tls_report(struct smtp *s)
{
	X509 *cert = SSL_get1_peer_certificate(s->ssl);
	long vr = SSL_get_verify_result(s->ssl);
	char subj[256], iss[256], *a, *b;

	s->res.tls = 1;
	s->res.tls_info = xasprintf("%s %s", SSL_get_version(s->ssl),
	    SSL_get_cipher_name(s->ssl));
	if (cert == NULL) {
		s->res.verified = 0;
		s->res.verify = xstrdup("the server sent no certificate");
	} else {
		s->res.verified = vr == X509_V_OK;
		s->res.verify = xstrdup(vr == X509_V_OK ? "ok" :
		    X509_verify_cert_error_string(vr));
		X509_NAME_oneline(X509_get_subject_name(cert), subj,
		    sizeof subj);
		X509_NAME_oneline(X509_get_issuer_name(cert), iss, sizeof iss);
		a = str_sanitize(subj, strlen(subj));
		b = str_sanitize(iss, strlen(iss));
		s->res.cert = xasprintf("subject %s issuer %s", a, b);
		free(a);
		free(b);
		X509_free(cert);
	}
	smtp_log(s, "* TLS %s; certificate %s", s->res.tls_info,
	    s->res.cert != NULL ? s->res.cert : "none");
	smtp_log(s, "* certificate %s%s%s%s", s->res.verified ? "verified" :
	    "NOT verified: ", s->res.verified ? "" : s->res.verify,
	    s->res.verified || s->verify_req ? "" : " (reported only: "
	    "verification is not required here)",
	    s->servername != NULL ? "" : " (name checked: the address)");
}

/* Drive the handshake; on success EHLO again over TLS. */
static void
smtp_handshake(struct smtp *s)
{
	char *err = NULL;
	int r, w;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(s->ssl)) != 1) {
		if ((w = smtp_ssl_want(s, r, &err)) == 1) {
			smtp_watch(s);
			return;
		}
		smtp_fail(s, SMTP_FAIL_TLS, NULL, "the TLS handshake with %s "
		    "failed: %s", s->res.peer, w == 0 ? "the server closed "
		    "the connection" : err);
		free(err);
		return;
	}
	s->want = 0;
	smtp_tls_report(s);
	if (!s->res.verified && s->verify_req) {
		smtp_fail(s, SMTP_FAIL_TLS, NULL, "the certificate of %s is "
		    "not verified (%s) and verification is required",
		    s->servername != NULL ? s->servername : s->res.peer,
		    s->res.verify);
		return;
	}
	s->x_starttls = s->x_plain = s->x_login = 0;
	smtp_cmd(s, SMTP_EHLO, NULL, "EHLO %s", s->helo);
}

/* Set up OpenSSL on the connected socket and start the handshake. */
static void
smtp_tls_start(struct smtp *s)
{
	unsigned char bin[16];
	int lit;

	if ((s->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION) ||
	    (s->cafile != NULL ?
	    !SSL_CTX_load_verify_locations(s->ctx, s->cafile, NULL) :
	    !SSL_CTX_set_default_verify_paths(s->ctx)) ||
	    (s->ssl = SSL_new(s->ctx)) == NULL ||
	    !SSL_set_fd(s->ssl, s->fd)) {
		char *err = smtp_ssl_error();

		smtp_fail(s, SMTP_FAIL_TLS, NULL, "cannot set up TLS%s%s: %s",
		    s->cafile != NULL ? " with the CA file " : "",
		    s->cafile != NULL ? s->cafile : "", err);
		free(err);
		return;
	}
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
	SSL_set_mode(s->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	lit = s->servername != NULL &&
	    (inet_pton(AF_INET, s->servername, bin) == 1 ||
	    inet_pton(AF_INET6, s->servername, bin) == 1);
	if (s->servername != NULL && !lit) {
		SSL_set_tlsext_host_name(s->ssl, s->servername);
		SSL_set1_host(s->ssl, s->servername);
	} else
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl),
		    lit ? s->servername : s->res.peer);
	SSL_set_connect_state(s->ssl);
	smtp_enter(s, SMTP_TLS);
	smtp_handshake(s);
}

static void
smtp_io(int fd, short revents, void *arg)
{
	struct smtp *s = arg;

	(void)fd;
	(void)revents;
	if (s->finished)
		return;
	if (s->state == SMTP_CONNECT) {
		smtp_connected(s);
		return;
	}
	if (s->state == SMTP_TLS) {
		smtp_handshake(s);
		return;
	}
	s->want = 0;
	if (s->outoff < s->out.len) {
		if (smtp_flush(s) != 0)
			return;
		/* A reply may already be waiting, read or inside OpenSSL. */
		if (s->outoff == s->out.len) {
			if (smtp_replies(s) != 0)
				return;
			if (s->ssl != NULL && SSL_pending(s->ssl) > 0)
				smtp_fill(s);
		}
	} else
		smtp_fill(s);
	smtp_watch(s);
}

static void
smtp_timeout(void *arg)
{
	struct smtp *s = arg;
	enum smtp_slot slot = smtp_states[s->state].slot;
	int ms = slot != SLOT_NONE ? s->tmo[slot] : 0;

	s->timer = 0;
	if (s->state == SMTP_CONNECT) {
		smtp_log(s, "* connect to %s port %u: no answer within %d ms",
		    s->addrs.v[s->ai - 1], s->port, ms);
		buf_printf(&s->tried, "%s%s: timed out", s->tried.len ? "; " :
		    "", s->addrs.v[s->ai - 1]);
		smtp_close(s);
		smtp_connect_next(s);
		return;
	}
	if (s->state == SMTP_QUIT) {
		smtp_finish(s);
		return;
	}
	if (s->state == SMTP_BODY && s->outoff == s->out.len)
		ms = s->tmo[SLOT_DATAEND];
	smtp_fail(s, SMTP_FAIL_TIMEOUT, NULL, "%s within %d ms%s",
	    s->state == SMTP_TLS ? "no TLS handshake" :
	    s->state == SMTP_BODY && s->outoff < s->out.len ?
	    "the server did not take the message" : "no complete reply", ms,
	    s->inlen > 0 ? " (the reply so far is kept)" : "");
}

/* Start a connect to the next address, or fail when none is left. */
static void
smtp_connect_next(struct smtp *s)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	const char *addr;

	while (s->ai < s->addrs.n) {
		addr = s->addrs.v[s->ai++];
		s->res.attempts++;
		memset(&ss, 0, sizeof ss);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(s->port);
			len = sizeof *sin;
		} else {
			inet_pton(AF_INET6, addr, &sin6->sin6_addr);
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(s->port);
			len = sizeof *sin6;
		}
		smtp_log(s, "* trying %s port %u", addr, s->port);
		s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (s->fd != -1 && (connect(s->fd, (struct sockaddr *)&ss,
		    len) == 0 || errno == EINPROGRESS)) {
			smtp_enter(s, SMTP_CONNECT);
			smtp_watch(s);
			return;
		}
		smtp_log(s, "* connect to %s port %u: %s", addr, s->port,
		    strerror(errno));
		buf_printf(&s->tried, "%s%s: %s", s->tried.len ? "; " : "",
		    addr, strerror(errno));
		if (s->fd != -1)
			close(s->fd);
		s->fd = -1;
	}
	s->state = SMTP_CONNECT;
	smtp_fail(s, SMTP_FAIL_CONNECT, NULL, "no connection to port %u "
	    "(%s)", s->port, s->tried.len > 0 ? s->tried.data : "no address");
}

static void
smtp_begin(void *arg)
{
	struct smtp *s = arg;

	s->timer = 0;
	smtp_connect_next(s);
}

/* Is the reply's code the one wanted (2xx: any 2xx)?  If not, fail:
 * REJECTED for 4xx and 5xx, PROTOCOL for anything else. */
static int
smtp_expect(struct smtp *s, const struct smtp_reply *r, int want,
    const char *what)
{
	if (want < 300 ? r->code / 100 == 2 : r->code == want)
		return 0;
	if (r->code >= 400)
		smtp_fail(s, SMTP_FAIL_REJECTED, r, "%s rejected with %d%s%s",
		    what, r->code, r->enh[0] != '\0' ? " " : "", r->enh);
	else
		smtp_fail(s, SMTP_FAIL_PROTOCOL, r, "%d in reply to %s, "
		    "expected %d", r->code, smtp_state_name(s->state), want);
	return -1;
}

static void
smtp_on_greeting(struct smtp *s, const struct smtp_reply *r)
{
	if (smtp_expect(s, r, 220, "the connection") == 0)
		smtp_cmd(s, SMTP_EHLO, NULL, "EHLO %s", s->helo);
}

/* The extensions of an EHLO reply that matter here. */
static void
smtp_extensions(struct smtp *s, const struct smtp_reply *r)
{
	struct strv w;
	const char *line = r->text, *nl;
	char *one;
	size_t i;

	s->x_starttls = s->x_plain = s->x_login = 0;
	for (; line != NULL; line = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		one = xstrndup(line, nl != NULL ? (size_t)(nl - line) :
		    strlen(line));
		strv_init(&w);
		str_split(one, " =", &w);
		if (w.n > 0 && strcasecmp(w.v[0], "STARTTLS") == 0)
			s->x_starttls = 1;
		for (i = 1; w.n > 0 && strcasecmp(w.v[0], "AUTH") == 0 &&
		    i < w.n; i++) {
			if (strcasecmp(w.v[i], "PLAIN") == 0)
				s->x_plain = 1;
			if (strcasecmp(w.v[i], "LOGIN") == 0)
				s->x_login = 1;
		}
		strv_free(&w);
		free(one);
	}
}

static void
smtp_on_ehlo(struct smtp *s, const struct smtp_reply *r)
{
	if (r->code == 500 || r->code == 502) {
		/* EHLO not recognized (RFC 5321 4.1.4): HELO, no extensions. */
		s->x_starttls = s->x_plain = s->x_login = 0;
		smtp_cmd(s, SMTP_HELO, NULL, "HELO %s", s->helo);
		return;
	}
	if (smtp_expect(s, r, 250, "EHLO") == 0) {
		smtp_extensions(s, r);
		smtp_after_ehlo(s);
	}
}

static void
smtp_on_helo(struct smtp *s, const struct smtp_reply *r)
{
	if (smtp_expect(s, r, 250, "HELO") == 0)
		smtp_after_ehlo(s);
}

static void
smtp_on_starttls(struct smtp *s, const struct smtp_reply *r)
{
	if (r->code != 220 && s->tls_mode == SMTP_TLS_TRY && s->user == NULL) {
		smtp_log(s, "* STARTTLS refused: going on without TLS");
		s->x_starttls = 0;
		s->tls_mode = SMTP_TLS_NONE;
		smtp_after_ehlo(s);
		return;
	}
	if (r->code != 220) {
		smtp_fail(s, r->code >= 400 ? SMTP_FAIL_TLS :
		    SMTP_FAIL_PROTOCOL, r, "STARTTLS refused with %d", r->code);
		return;
	}
	if (s->inlen > 0) {
		/* Bytes sent before the handshake would be taken as if they
		 * came over TLS (CVE-2011-0411's command injection). */
		smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "the server sent data "
		    "after its STARTTLS reply, before the TLS handshake");
		return;
	}
	smtp_tls_start(s);
}

/* Base64 of n octets; caller frees (and wipes). */
static char *
smtp_b64(const char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p,
	    (int)n);
	return out;
}

/* AUTH PLAIN with its initial response, or AUTH LOGIN. */
static void
smtp_auth_start(struct smtp *s)
{
	size_t ul = strlen(s->user), pl = strlen(s->pass);
	char *raw, *b;
	int plain = s->auth != SMTP_AUTH_LOGIN && s->x_plain;

	if (!plain && (s->auth == SMTP_AUTH_PLAIN || !s->x_login)) {
		smtp_fail(s, SMTP_FAIL_PROTOCOL, NULL, "the server does not "
		    "offer AUTH %s", s->auth == SMTP_AUTH_ANY ?
		    "PLAIN or LOGIN" : s->auth == SMTP_AUTH_PLAIN ? "PLAIN" :
		    "LOGIN");
		return;
	}
	if (!plain) {
		s->login = 1;
		smtp_cmd(s, SMTP_AUTH, NULL, "AUTH LOGIN");
		return;
	}
	raw = xmalloc(ul + pl + 2);
	raw[0] = '\0';
	memcpy(raw + 1, s->user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, s->pass, pl);
	b = smtp_b64(raw, ul + pl + 2);
	smtp_cmd(s, SMTP_AUTH, "AUTH PLAIN ******** (credentials hidden)",
	    "AUTH PLAIN %s", b);
	OPENSSL_cleanse(raw, ul + pl + 2);
	OPENSSL_cleanse(b, strlen(b));
	free(raw);
	free(b);
}

static void
smtp_mail(struct smtp *s)
{
	smtp_cmd(s, SMTP_MAIL, NULL, "MAIL FROM:<%s>", s->from);
}

/* After EHLO (or HELO): STARTTLS, AUTH or MAIL, as the options say. */
static void
smtp_after_ehlo(struct smtp *s)
{
	if (!s->res.tls && s->tls_mode != SMTP_TLS_NONE) {
		if (s->x_starttls) {
			smtp_cmd(s, SMTP_STARTTLS, NULL, "STARTTLS");
			return;
		}
		if (s->tls_mode == SMTP_TLS_REQUIRE) {
			smtp_fail(s, SMTP_FAIL_TLS, NULL, "%s does not offer "
			    "STARTTLS and TLS is required", s->res.peer);
			return;
		}
	}
	if (s->user == NULL) {
		smtp_mail(s);
		return;
	}
	if (!s->res.tls) {
		smtp_fail(s, SMTP_FAIL_TLS, NULL, "AUTH refused without TLS: "
		    "the password is never sent in the clear (%s)",
		    s->tls_mode == SMTP_TLS_NONE ? "TLS is off" :
		    "the server does not offer STARTTLS");
		return;
	}
	smtp_auth_start(s);
}

/* AUTH PLAIN's 235, or AUTH LOGIN's 334 / 334 / 235. */
static void
smtp_on_auth(struct smtp *s, const struct smtp_reply *r)
{
	char *b;

	if (s->login && s->state != SMTP_AUTH_PASS && r->code == 334) {
		b = s->state == SMTP_AUTH ? smtp_b64(s->user, strlen(s->user)) :
		    smtp_b64(s->pass, strlen(s->pass));
		smtp_cmd(s, s->state == SMTP_AUTH ? SMTP_AUTH_USER :
		    SMTP_AUTH_PASS, s->state == SMTP_AUTH ?
		    "******** (user name hidden)" : "******** (password hidden)",
		    "%s", b);
		OPENSSL_cleanse(b, strlen(b));
		free(b);
		return;
	}
	if (smtp_expect(s, r, 235, "AUTH") == 0)
		smtp_mail(s);
}

static void
smtp_on_mail(struct smtp *s, const struct smtp_reply *r)
{
	if (smtp_expect(s, r, 250, "MAIL FROM") == 0) {
		s->ri = 0;
		smtp_cmd(s, SMTP_RCPT, NULL, "RCPT TO:<%s>", s->rcpts.v[s->ri]);
	}
}

static void
smtp_on_rcpt(struct smtp *s, const struct smtp_reply *r)
{
	char what[80];

	snprintf(what, sizeof what, "RCPT TO (recipient %zu)", s->ri + 1);
	if (smtp_expect(s, r, 250, what) != 0)
		return;
	if (++s->ri < s->rcpts.n)
		smtp_cmd(s, SMTP_RCPT, NULL, "RCPT TO:<%s>", s->rcpts.v[s->ri]);
	else
		smtp_cmd(s, SMTP_DATA, NULL, "DATA");
}

static void
smtp_on_data(struct smtp *s, const struct smtp_reply *r)
{
	if (smtp_expect(s, r, 354, "DATA") != 0)
		return;
	smtp_enter(s, SMTP_BODY);
	buf_add(&s->out, s->payload, s->paylen);
	smtp_log(s, "C: (the message: %zu octets, dot-stuffed)", s->paylen - 3);
	smtp_log(s, "C: .");
	smtp_watch(s);
}

static void
smtp_on_body(struct smtp *s, const struct smtp_reply *r)
{
	if (smtp_expect(s, r, 250, "the message") != 0)
		return;
	s->res.fail = SMTP_OK;
	free(s->res.reply);
	s->res.reply = smtp_reply_text(r);
	free(s->res.queue_id);
	s->res.queue_id = smtp_reply_queue_id(r);
	free(s->res.cause);
	s->res.cause = xasprintf("accepted by %s%s%s", s->res.peer,
	    s->res.queue_id != NULL ? ", queue id " : "",
	    s->res.queue_id != NULL ? s->res.queue_id : "");
	smtp_cmd(s, SMTP_QUIT, NULL, "QUIT");
}

static void
smtp_on_quit(struct smtp *s, const struct smtp_reply *r)
{
	(void)r;
	smtp_finish(s);
}

/* Text fit for a command: printable, no space, no angle bracket. */
static int
smtp_word_ok(const char *s, int empty_ok)
{
	if (s == NULL || (*s == '\0' && !empty_ok))
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '<' ||
		    *s == '>')
			return 0;
	return 1;
}

/* The options' checks; 0 or -1 with *cause. */
static int
smtp_opts_check(const struct smtp_opts *o, char **cause)
{
	unsigned char bin[16];
	size_t i;

	if (o->naddrs == 0)
		return error_set(cause, "no address to connect to");
	for (i = 0; i < o->naddrs; i++)
		if (o->addrs[i] == NULL ||
		    (inet_pton(AF_INET, o->addrs[i], bin) != 1 &&
		    inet_pton(AF_INET6, o->addrs[i], bin) != 1))
			return error_set(cause, "not a numeric IPv4 or IPv6 "
			    "address: %s", o->addrs[i] == NULL ? "(null)" :
			    o->addrs[i]);
	if (o->port == 0 || o->port > 65535)
		return error_set(cause, "port %u is not 1..65535", o->port);
	if (!smtp_word_ok(o->helo, 0))
		return error_set(cause, "the HELO name is empty or holds a "
		    "space or a control character");
	if (!smtp_word_ok(o->from, 1))
		return error_set(cause, "the sender holds a space, an angle "
		    "bracket or a control character");
	if (o->nrcpts == 0)
		return error_set(cause, "no recipient");
	for (i = 0; i < o->nrcpts; i++)
		if (!smtp_word_ok(o->rcpts[i], 0))
			return error_set(cause, "recipient %zu is empty or "
			    "holds a space, an angle bracket or a control "
			    "character", i + 1);
	if (o->user != NULL && (!smtp_word_ok(o->user, 0) || o->pass == NULL))
		return error_set(cause, "AUTH needs a user name without "
		    "spaces or controls, and a password");
	if (o->servername != NULL && !smtp_word_ok(o->servername, 0))
		return error_set(cause, "the TLS server name holds a space or "
		    "a control character");
	return 0;
}

struct smtp *
smtp_start(struct loop *loop, const struct smtp_opts *o, char **cause)
{
	struct smtp *s;
	const struct smtp_timeouts *t = &o->timeouts;
	const int ms[SLOT_N] = { t->connect_ms, t->greeting_ms, t->command_ms,
	    t->tls_ms, t->data_ms, t->dataend_ms };
	size_t i;

	if (smtp_opts_check(o, cause) != 0)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->on_line = o->on_line;
	s->on_done = o->on_done;
	s->arg = o->arg;
	strv_init(&s->addrs);
	strv_init(&s->rcpts);
	strv_init(&s->log);
	buf_init(&s->out);
	buf_init(&s->tried);
	for (i = 0; i < o->naddrs; i++)
		strv_add(&s->addrs, o->addrs[i]);
	for (i = 0; i < o->nrcpts; i++)
		strv_add(&s->rcpts, o->rcpts[i]);
	s->port = o->port;
	s->helo = xstrdup(o->helo);
	s->from = xstrdup(o->from);
	s->servername = o->servername ? xstrdup(o->servername) : NULL;
	s->cafile = o->cafile ? xstrdup(o->cafile) : NULL;
	s->user = o->user ? xstrdup(o->user) : NULL;
	s->pass = o->user ? xstrdup(o->pass) : NULL;
	s->auth = o->auth;
	s->tls_mode = o->tls;
	if (s->tls_mode == SMTP_TLS_AUTO)
		s->tls_mode = s->user != NULL || s->port != 25 ?
		    SMTP_TLS_REQUIRE : SMTP_TLS_TRY;
	s->verify_req = o->verify == SMTP_VERIFY_REQUIRE ||
	    (o->verify == SMTP_VERIFY_DEFAULT && s->port != 25);
	for (i = 0; i < SLOT_N; i++)
		s->tmo[i] = ms[i] > 0 ? ms[i] : smtp_default_ms[i];
	s->payload = smtp_dotstuff(o->body != NULL ? o->body : "",
	    o->body != NULL ? o->bodylen : 0, &s->paylen);
	s->in = xmalloc(SMTP_IN_MAX);
	s->fd = -1;
	s->res.verified = -1;
	s->started = loop_now_ms();
	s->timer = loop_timer_add(loop, 0, smtp_begin, s);
	return s;
}

void
smtp_free(struct smtp *s)
{
	if (s == NULL)
		return;
	smtp_close(s);
	loop_timer_cancel(s->loop, s->timer);
	if (s->ctx != NULL)
		SSL_CTX_free(s->ctx);
	if (s->pass != NULL) {
		OPENSSL_cleanse(s->pass, strlen(s->pass));
		free(s->pass);
	}
	OPENSSL_cleanse(s->out.data, s->out.len);
	strv_free(&s->addrs);
	strv_free(&s->rcpts);
	strv_free(&s->log);
	buf_free(&s->out);
	buf_free(&s->tried);
	free(s->helo);
	free(s->from);
	free(s->servername);
	free(s->cafile);
	free(s->user);
	free(s->payload);
	free(s->in);
	free(s->res.reply);
	free(s->res.cause);
	free(s->res.queue_id);
	free(s->res.peer);
	free(s->res.tls_info);
	free(s->res.verify);
	free(s->res.cert);
	free(s);
}

enum smtp_state
smtp_state(const struct smtp *s)
{
	return s->state;
}

const struct smtp_result *
smtp_result(const struct smtp *s)
{
	return &s->res;
}

const struct strv *
smtp_transcript(const struct smtp *s)
{
	return &s->log;
}
