/* compose.h: the test message send-test sends (RFC 5322).
 *
 * A message a person and a content filter both read as what it is: From
 * an address of a hosted domain, To the address tested, Date (RFC 5322
 * 3.3, the local offset, English names whatever the locale), Message-ID
 * <random@host> (16 bytes from OpenSSL's RAND_bytes, hex), Subject,
 * MIME-Version 1.0, Content-Type text/plain; charset=UTF-8, quoted-
 * printable, Auto-Submitted: auto-generated (RFC 3834: no vacation reply
 * to the postmaster), and a short body saying what it is, from which host
 * and when, with no link and no selling words.  Every line ends in CRLF
 * and holds at most COMPOSE_LINE_MAX octets (RFC 5322 2.1.1: header
 * fields folded at blanks, the body quoted-printable with soft breaks).
 *
 * Addresses are checked before anything is made (compose_addr_check): no
 * address with a control, a blank, CR or LF, an angle bracket or a quote
 * reaches a header line or an SMTP command.
 */
#ifndef NOTSPAM_COMPOSE_H
#define NOTSPAM_COMPOSE_H

#include <stddef.h>
#include <time.h>

/* RFC 5322 2.1.1: the hard limit of a line, CRLF not counted. */
#define COMPOSE_LINE_MAX	998
/* Where header fields are folded when they can be (RFC 5322 2.1.1's 78). */
#define COMPOSE_FOLD_AT		78
/* RFC 5321 4.5.3.1.3: a path (the address) of at most 256 octets with its
 * angle brackets. */
#define COMPOSE_ADDR_MAX	254

struct compose_opts {
	const char	*from;		/* the From address (required) */
	const char	*to;		/* the To address (required) */
	const char	*hostname;	/* the host it is sent from: the
					 * Message-ID's right side and the
					 * body's; NULL or not a host name:
					 * the From domain */
	const char	*route;		/* how it is sent, for the body
					 * ("through the local MTA"); NULL:
					 * not said */
	time_t		 date;		/* 0: now */
};

struct compose {
	char	*data;			/* the whole message, CRLF lines */
	size_t	 len;
	char	*message_id;		/* "<hex@host>", as in the field */
	char	*date;			/* the Date field's value */
};

/*
 * Is addr an address notspam puts in a header and an SMTP command: one
 * '@', a local part of 1..64 printable ASCII octets other than blanks,
 * quotes, angle brackets, parentheses, commas, semicolons, colons,
 * backslashes and square brackets (no quoted local parts), a domain that
 * is a host name (core/lib/dnsname.h dnsname_host_ok), at most
 * COMPOSE_ADDR_MAX octets?  0, or -1 with *cause saying what is wrong
 * (the address quoted escaped, at most 60 octets of it).
 */
int compose_addr_check(const char *addr, char **cause);

/* The domain of a checked address, lower case.  Caller frees. */
char *compose_addr_domain(const char *addr);

/*
 * Make the message into *c (compose_free frees its members).  Returns 0,
 * or -1 with *cause: an address compose_addr_check refuses, no random
 * bytes.
 */
int compose_message(const struct compose_opts *, struct compose *c,
    char **cause);
void compose_free(struct compose *);

/* The Date value of t in local time ("Tue, 1 Dec 2026 15:56:13 +0100")
 * into buf (at least 40 octets). */
void compose_date(time_t t, char *buf, size_t size);

#endif
