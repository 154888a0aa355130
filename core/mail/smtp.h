/* smtp.h: an SMTP client as an explicit state machine on the poll loop.
 *
 * One message to one server: connect (each given address in order, every
 * attempt reported), greeting, EHLO (HELO when EHLO is not recognized),
 * STARTTLS (OpenSSL, non-blocking: SSL_ERROR_WANT_READ / WANT_WRITE become
 * POLLIN / POLLOUT), the certificate verified against the system store or
 * a CA file and the result reported, EHLO again, AUTH PLAIN or LOGIN (only
 * over TLS: credentials are never sent in the clear), MAIL, RCPT, DATA,
 * the message dot-stuffed with CRLF line ends, QUIT.  Nothing blocks: the
 * socket and the stage timer are on the caller's loop, and the result
 * arrives through a callback.
 *
 * Everything the server sends is untrusted: a reply line over 512 octets
 * (RFC 5321 4.5.3.1.5, with its CRLF), a reply of more than
 * SMTP_REPLY_LINES lines, a line ending in a bare LF, a malformed code or
 * codes that differ between the lines of one reply end the session as a
 * PROTOCOL failure; the input buffer never grows beyond
 * SMTP_LINE_MAX * SMTP_REPLY_LINES octets.  Every server byte in the
 * transcript and in the result is escaped (str_sanitize).
 *
 * notspam ignores SIGPIPE (ui/main.c): OpenSSL writes with write(2), and a
 * server that closes while the client writes must give EPIPE, not a signal.
 */
#ifndef NOTSPAM_SMTP_H
#define NOTSPAM_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/lib/util.h"

struct loop;
struct smtp;

/* The limits of RFC 5321 the reply parser enforces. */
#define SMTP_LINE_MAX		512	/* octets of a reply line, CRLF included */
#define SMTP_REPLY_LINES	100	/* lines of one reply (ours: the RFC
					 * sets none; EHLO replies have ~20) */

/*
 * The states, in the order a session goes through them.  A session that
 * fails ends in SMTP_DONE with the stage it failed in kept in the result.
 */
enum smtp_state {
	SMTP_INIT,		/* created, the first connect not yet tried */
	SMTP_CONNECT,		/* a TCP connect in progress */
	SMTP_GREETING,		/* waiting for the 220 greeting */
	SMTP_EHLO,		/* EHLO sent (again after TLS) */
	SMTP_HELO,		/* HELO sent after EHLO was not recognized */
	SMTP_STARTTLS,		/* STARTTLS sent */
	SMTP_TLS,		/* the TLS handshake */
	SMTP_AUTH,		/* AUTH PLAIN with its response, or AUTH LOGIN */
	SMTP_AUTH_USER,		/* AUTH LOGIN: the user name sent */
	SMTP_AUTH_PASS,		/* AUTH LOGIN: the password sent */
	SMTP_MAIL,		/* MAIL FROM sent */
	SMTP_RCPT,		/* RCPT TO sent (one per recipient) */
	SMTP_DATA,		/* DATA sent, waiting for 354 */
	SMTP_BODY,		/* the message sent, waiting for its 250 */
	SMTP_QUIT,		/* QUIT sent */
	SMTP_DONE,		/* finished, accepted or not */
	SMTP_NSTATES
};

/* The name of a state ("EHLO", "AUTH_USER", ...), "?" out of range. */
const char *smtp_state_name(enum smtp_state);

/* How a session ended. */
enum smtp_fail {
	SMTP_OK,		/* the message was accepted (250 after the data) */
	SMTP_FAIL_CONNECT,	/* no address accepted a TCP connection */
	SMTP_FAIL_TLS,		/* STARTTLS missing or refused when required,
				 * the handshake failed, the certificate was
				 * not verified when required, or AUTH
				 * refused by the client without TLS */
	SMTP_FAIL_PROTOCOL,	/* the server broke the protocol: garbage, a
				 * reply over the limits, an unexpected code,
				 * the connection closed mid-session */
	SMTP_FAIL_REJECTED,	/* a 4xx or 5xx reply (code says which) */
	SMTP_FAIL_TIMEOUT,	/* no reply within the stage's timeout */
	SMTP_NFAILS
};

/* "OK", "CONNECT", "TLS", "PROTOCOL", "REJECTED", "TIMEOUT". */
const char *smtp_fail_name(enum smtp_fail);

enum smtp_tls {
	SMTP_TLS_AUTO,		/* REQUIRE for credentials or a port other
				 * than 25, else TRY */
	SMTP_TLS_NONE,		/* never STARTTLS */
	SMTP_TLS_TRY,		/* STARTTLS when offered, else go on in
				 * the clear (port 25 between MTAs) */
	SMTP_TLS_REQUIRE,	/* STARTTLS or a TLS failure */
};

enum smtp_verify {
	SMTP_VERIFY_DEFAULT,	/* REQUIRE unless the port is 25 */
	SMTP_VERIFY_REQUIRE,	/* an unverified certificate is a TLS failure */
	SMTP_VERIFY_REPORT,	/* verified and reported, the session goes on */
};

enum smtp_auth {
	SMTP_AUTH_ANY,		/* PLAIN when offered, else LOGIN */
	SMTP_AUTH_PLAIN,
	SMTP_AUTH_LOGIN,
};

/* Per-stage timeouts in milliseconds; 0 takes the RFC 5321 4.5.3.2 value
 * (connect 30 s a try, greeting 5 min, command 5 min, TLS handshake 1 min,
 * the message's bytes 3 min, the reply after the data 10 min). */
struct smtp_timeouts {
	int	connect_ms;	/* each connect attempt */
	int	greeting_ms;
	int	command_ms;	/* EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, QUIT */
	int	tls_ms;		/* the handshake */
	int	data_ms;	/* sending the message */
	int	dataend_ms;	/* the reply to the final "." */
};

struct smtp_result;

/* A transcript line as it is added ("C: EHLO ...", "S: 250 ...", "* ...");
 * the text is already escaped. */
typedef void (*smtp_line_cb)(const char *line, void *arg);
/* The session has ended (called from the loop, never from smtp_start).
 * The callback may smtp_free the session. */
typedef void (*smtp_done_cb)(struct smtp *, const struct smtp_result *,
    void *arg);

/* What to send, where and how.  smtp_start copies everything: the caller
 * may free the options when it returns. */
struct smtp_opts {
	const char *const	*addrs;		/* numeric IPv4 / IPv6, in order */
	size_t			 naddrs;
	unsigned		 port;
	const char		*helo;		/* the EHLO / HELO name */
	const char		*servername;	/* the name the certificate must
						 * hold (and SNI); NULL: the
						 * connected address */
	enum smtp_tls		 tls;
	enum smtp_verify	 verify;
	const char		*cafile;	/* PEM CAs; NULL: system store */
	const char		*user;		/* NULL: no AUTH */
	const char		*pass;
	enum smtp_auth		 auth;
	const char		*from;		/* envelope sender; "" = <> */
	const char *const	*rcpts;
	size_t			 nrcpts;
	const char		*body;		/* the message as the caller made
						 * it: bytes, any line ends */
	size_t			 bodylen;
	struct smtp_timeouts	 timeouts;
	smtp_line_cb		 on_line;	/* may be NULL */
	smtp_done_cb		 on_done;	/* may be NULL */
	void			*arg;
};

/* The outcome.  Strings are escaped for display and owned by the session
 * (valid until smtp_free). */
struct smtp_result {
	enum smtp_fail	 fail;
	enum smtp_state	 state;		/* the stage it ended in (SMTP_DONE
					 * after QUIT when accepted) */
	int		 code;		/* the last reply's code, 0: none */
	char		 enh[12];	/* its enhanced status code ("5.7.1"),
					 * or "" */
	char		*reply;		/* the server's own reply text: the
					 * failing (or accepting) reply's
					 * lines, codes included, '\n'
					 * between; what it sent of an
					 * unfinished one; NULL: none */
	char		*cause;		/* one line: what happened and where */
	char		*queue_id;	/* from "250 ... queued as ID" (also
					 * OpenSMTPD's "250 2.0.0 ID Message
					 * accepted"), NULL: none given */
	char		*peer;		/* the address connected to, or NULL */
	size_t		 attempts;	/* connect attempts made */
	int		 tls;		/* 1 when the session went over TLS */
	char		*tls_info;	/* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
	int		 verified;	/* -1 no TLS, 0 not verified, 1 ok */
	char		*verify;	/* "ok" or OpenSSL's reason, NULL: no
					 * TLS */
	char		*cert;		/* "subject ... issuer ..." or NULL */
	int64_t		 elapsed_ms;
};

/*
 * Start a session on loop.  Returns it, or NULL with *cause when the
 * options are unusable (no address or recipient, an address that is not
 * numeric, a name or address holding controls, spaces or angle brackets).
 * The connect starts from the loop.
 */
struct smtp *smtp_start(struct loop *, const struct smtp_opts *,
    char **cause);

/* Stop (no callback follows) and free; the password is wiped. */
void smtp_free(struct smtp *);

enum smtp_state smtp_state(const struct smtp *);
/* The result so far (final once on_done ran). */
const struct smtp_result *smtp_result(const struct smtp *);
/* Every transcript line, in order (owned by the session). */
const struct strv *smtp_transcript(const struct smtp *);

/* One parsed reply. */
struct smtp_reply {
	int		 code;		/* 200..559 */
	char		 enh[12];	/* enhanced status code of the first
					 * line (class = code's first digit),
					 * or "" */
	size_t		 nlines;
	char		*text;		/* raw text after each code and its
					 * separator, '\n' between lines; may
					 * hold any byte but CR and LF */
	size_t		 textlen;
	struct strv	 shown;		/* each whole line escaped */
};

/*
 * Parse one reply from the start of buf (len octets).  Returns 1 with *r
 * filled and *used set to the octets it took, 0 when the reply is not
 * complete yet (nothing filled), or -1 with *cause when the text can never
 * become a valid reply: a line over SMTP_LINE_MAX octets (known once
 * SMTP_LINE_MAX octets hold no LF), more than SMTP_REPLY_LINES lines, a
 * bare LF, a code that is not 2xx..5xx with a second digit 0..5, a
 * separator other than ' ' or '-', or lines with different codes.
 * Pure: no I/O, no state.
 */
int smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *r,
    size_t *used, char **cause);
void smtp_reply_free(struct smtp_reply *);

/* The queue id of a 250 reply after the data ("... queued as ID", or
 * OpenSMTPD's "ID Message accepted for delivery"): letters, digits and
 * . _ - only, at most 64; NULL when there is none.  Caller frees. */
char *smtp_reply_queue_id(const struct smtp_reply *);

/*
 * The DATA payload of a message: every line end made CRLF (a bare LF or
 * CR too), a '.' at the start of a line doubled, a CRLF added after a last
 * line without one, and the closing ".\r\n".  *outlen gets the length.
 * Caller frees.
 */
char *smtp_dotstuff(const char *body, size_t len, size_t *outlen);

#endif
