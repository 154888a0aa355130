/* remote.c: the one table of remote answers, and the reply matched to it.
 *
 * A receiver's reply reaches notspam three ways: quoted in a Postfix log
 * line ("status=bounced (host H[A] said: 550-5.7.1 ... 550 5.7.1 ...
 * (in reply to end of DATA command))", the lines of a multi-line reply
 * joined by blanks), as an SMTP session's own reply (the lines apart,
 * '\n' between them, as core/mail/smtp.h gives result->reply), or as the
 * queue follow's reply (core/mail/follow.h).  All three go through
 * remote_words(): the reply's words in lower case without the codes that
 * begin its lines, so one set of plain substring scans (linear in the
 * reply) decides the cause wherever the reply came from.
 */
#include "core/doctor/remote.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check/records.h"
#include "core/doctor/logscan.h"
#include "core/lib/netaddr.h"
#include "core/lib/util.h"
#include "core/site/site.h"

/* What the receiver asks for, besides its words: the records named in a
 * verdict (remote_records). */
#define ASK_PTR		0x01	/* the sending address's PTR */
#define ASK_SPF		0x02	/* SPF of the From domain allowing it */
#define ASK_DKIM	0x04	/* a signature d= the From domain */
#define ASK_DMARC	0x08	/* a DMARC record, SPF or DKIM aligned */
#define ASK_MSDELIST	0x10	/* Microsoft's delisting form */
#define ASK_SPAMHAUS	0x20	/* Spamhaus's lookup and removal */
#define ASK_YAHOO	0x40	/* Yahoo's sender pages */

/* What a remote answer means and what to do about it. */
static const struct {
	enum logscan_cause	 cause;
	int			 asks;
	const char		*explain;
	const char		*fix;
} remote_table[] = {
	{ LOGSCAN_REMOTE_IPV6_PTR, ASK_PTR | ASK_SPF | ASK_DKIM,
	  "Gmail accepts mail over IPv6 only from an address whose PTR "
	  "record names a host that resolves back to it, and only when the "
	  "mail passes SPF or DKIM for the sender's domain.",
	  "give the sending IPv6 address a PTR record (your provider's "
	  "panel) matching the HELO name, cover it in SPF, and sign; or "
	  "send over IPv4 (smtp_address_preference = ipv4, offered by "
	  "notspam apply)" },
	{ LOGSCAN_REMOTE_DMARC, ASK_SPF | ASK_DKIM | ASK_DMARC,
	  "The receiver applied the sender domain's DMARC policy: the mail "
	  "passed neither SPF nor DKIM aligned with the From domain.",
	  "sign with d= the From domain (notspam keys, apply) and publish "
	  "the records notspam records prints" },
	{ LOGSCAN_REMOTE_UNAUTH, ASK_SPF | ASK_DKIM,
	  "Gmail (5.7.26) refuses mail that passes neither SPF nor DKIM.",
	  "publish SPF for the sending addresses and sign every domain "
	  "(notspam check shows what is missing)" },
	{ LOGSCAN_REMOTE_GMAIL_RATE, ASK_SPF | ASK_DKIM | ASK_DMARC,
	  "Gmail limits senders whose mail its users mark as spam or whose "
	  "authentication is weak.",
	  "make SPF, DKIM and DMARC pass (notspam check), then send less "
	  "until the reputation recovers" },
	{ LOGSCAN_REMOTE_GMAIL_BULK, ASK_PTR | ASK_SPF | ASK_DKIM | ASK_DMARC,
	  "Gmail's sender requirements: SPF and DKIM, DMARC for bulk "
	  "senders, a PTR record, TLS.",
	  "notspam check lists each record; notspam doctor the signing" },
	{ LOGSCAN_REMOTE_YAHOO_AUTH, ASK_SPF | ASK_DKIM | ASK_YAHOO,
	  "Yahoo requires SPF or DKIM to pass (DMARC for bulk senders).",
	  "publish SPF and sign (notspam check)" },
	{ LOGSCAN_REMOTE_YAHOO_BLOCK, ASK_SPF | ASK_DKIM | ASK_YAHOO,
	  "Yahoo deferred the mail for the sending address's reputation "
	  "(TSS codes).",
	  "make authentication pass, check blocklists, and retry later" },
	{ LOGSCAN_REMOTE_MS_BLOCK, ASK_MSDELIST | ASK_SPF | ASK_DKIM |
	  ASK_DMARC,
	  "Microsoft (Outlook, Hotmail) lists the sending address on its own "
	  "block list (S3150).",
	  "ask for delisting at https://sender.office.com after making "
	  "SPF, DKIM and DMARC pass" },
	{ LOGSCAN_REMOTE_MS_AUTH, ASK_SPF | ASK_DKIM | ASK_DMARC,
	  "Microsoft (5.7.515) requires SPF, DKIM and DMARC to pass for "
	  "high-volume senders.",
	  "publish SPF and DMARC and sign (notspam check)" },
	{ LOGSCAN_REMOTE_SPAMHAUS, ASK_SPAMHAUS,
	  "The receiver refuses senders listed by Spamhaus (zen: SBL, XBL "
	  "or PBL; the PBL lists dynamic and residential ranges).",
	  "look the address up at https://check.spamhaus.org and follow "
	  "its removal steps; a PBL listing needs a relay or a static "
	  "address" },
	{ LOGSCAN_REMOTE_SPAMHAUS_RESOLVER, 0,
	  "The receiver's own DNS resolver is refused by Spamhaus (an open "
	  "or public resolver): not a listing of this server.",
	  "nothing to fix here; the receiver must fix its resolver" },
};

/* The table's row of a cause, or -1. */
static int
remote_row(int cause)
{
	size_t i;

	for (i = 0; i < sizeof remote_table / sizeof remote_table[0]; i++)
		if ((int)remote_table[i].cause == cause)
			return (int)i;
	return -1;
}

const char *
remote_explain(int cause)
{
	int r = remote_row(cause);

	return r < 0 ? NULL : remote_table[r].explain;
}

const char *
remote_fix(int cause)
{
	int r = remote_row(cause);

	return r < 0 ? NULL : remote_table[r].fix;
}

/* memmem for a NUL-terminated needle. */
static const char *
find(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle));
}

/* Is c a blank between the words of a reply (a log joins its lines with
 * blanks, a session keeps '\n' between them)? */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Is [p, p + n) an enhanced status code "d.ddd.ddd"? */
static int
is_enhanced(const char *p, size_t n)
{
	size_t i, parts = 2, digits = 0;

	if (n < 5 || n > 9 || (p[0] < '2' || p[0] > '5') || p[1] != '.')
		return 0;
	for (i = 2; i < n; i++) {
		if (p[i] == '.') {
			if (digits == 0)
				return 0;
			parts++;
			digits = 0;
		} else if (isdigit((unsigned char)p[i]) && digits < 3)
			digits++;
		else
			return 0;
	}
	return parts == 3 && digits > 0;
}

/* Is [p, p + n) a reply code "ddd"? */
static int
is_code(const char *p, size_t n)
{
	return n == 3 && p[0] >= '2' && p[0] <= '5' &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]);
}

/* Keep the first reply code (at c) and its enhanced status [e, e + n). */
static void
set_code(struct remote_verdict *v, const char *c, const char *e, size_t n)
{
	if (v->code != 0)
		return;
	v->code = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
	if (n > 0 && n < sizeof v->enh) {
		memcpy(v->enh, e, n);
		v->enh[n] = '\0';
	}
}

/*
 * The reply's words in lower case, one blank between them, without the
 * "550-5.7.1" / "550 5.7.1" that begin each line of a multi-line reply
 * (Postfix joins the lines with blanks), nor a bare "550" / "550-" at the
 * start of a line, so a phrase split across lines still matches.  v->code
 * and v->enh get the first reply code and enhanced status.  OpenSMTPD
 * logs a reply's later lines with "550-" cut and, for a status of more
 * than one digit a part, the status glued to the word before
 * ("risk to the5.7.26 sender"): that status at a word's end is dropped.
 */
static char *
remote_words(const char *p, const char *end, struct remote_verdict *v)
{
	struct buf b;
	const char *w, *next;
	size_t n, m;
	int bol = 1;

	buf_init(&b);
	while (p < end) {
		while (p < end && is_blank(*p)) {
			if (*p == '\n')
				bol = 1;
			p++;
		}
		for (w = p; p < end && !is_blank(*p); p++)
			;
		if ((n = p - w) == 0)
			break;
		if (n >= 4 && is_code(w, 3) && w[3] == '-' &&
		    (is_enhanced(w + 4, n - 4) || (bol && n == 4))) {
			set_code(v, w, w + 4, n == 4 ? 0 : n - 4);
			bol = 0;
			continue;
		}
		if (bol && n > 4 && is_code(w, 3) && w[3] == '-') {
			/* "550-text" at a line's start: the code, then a word */
			set_code(v, w, NULL, 0);
			w += 4;
			n -= 4;
		} else if (is_code(w, n)) {
			for (next = p; next < end && is_blank(*next) &&
			    *next != '\n'; next++)
				;
			for (m = 0; next + m < end && !is_blank(next[m]); m++)
				;
			if (is_enhanced(next, m)) {
				set_code(v, w, next, m);
				p = next + m;
				bol = 0;
				continue;
			}
			if (bol) {
				set_code(v, w, NULL, 0);
				bol = 0;
				continue;
			}
		}
		bol = 0;
		m = strlen(v->enh);
		if (m >= 5 && n > m && memcmp(w + n - m, v->enh, m) == 0 &&
		    !isdigit((unsigned char)w[n - m - 1]) && w[n - m - 1] != '.')
			n -= m;
		if (b.len > 0)
			buf_addc(&b, ' ');
		buf_add(&b, w, n);
	}
	return str_lower(buf_steal(&b));
}

/* Is the enhanced status one of Gmail's bulk-sender requirement codes? */
static int
gmail_bulk_code(const char *enh)
{
	static const char *const codes[] = { "7.27", "7.29", "7.30", "7.32",
	    "7.40", NULL };
	size_t i;

	if ((enh[0] != '4' && enh[0] != '5') || enh[1] != '.')
		return 0;
	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(enh + 2, codes[i]) == 0)
			return 1;
	return 0;
}

/* Which remote cause do the reply's words (remote_words) give, or -1. */
static int
remote_cause(const char *w, const char *enh)
{
	size_t n = strlen(w);
	int gsmtp = find(w, n, "gsmtp") != NULL ||
	    find(w, n, "google.com") != NULL;

	if (find(w, n, "ipv6 sending guidelines") != NULL)
		return LOGSCAN_REMOTE_IPV6_PTR;
	if (find(w, n, "spamhaus") != NULL)
		return find(w, n, "open resolver") != NULL ||
		    find(w, n, "/returnc/") != NULL ?
		    LOGSCAN_REMOTE_SPAMHAUS_RESOLVER : LOGSCAN_REMOTE_SPAMHAUS;
	if (find(w, n, "part of their network is on our block list")
	    != NULL || find(w, n, "(s3150)") != NULL ||
	    find(w, n, "(s3140)") != NULL)
		return LOGSCAN_REMOTE_MS_BLOCK;
	if (strcmp(enh, "5.7.515") == 0 ||
	    find(w, n, "required authentication level") != NULL)
		return LOGSCAN_REMOTE_MS_AUTH;
	if (find(w, n, "yahoo requires") != NULL ||
	    find(w, n, "senders.yahooinc.com") != NULL)
		return LOGSCAN_REMOTE_YAHOO_AUTH;
	if (find(w, n, "[tss0") != NULL)
		return LOGSCAN_REMOTE_YAHOO_BLOCK;
	if (find(w, n, "dmarc policy") != NULL ||
	    find(w, n, "dmarcrejection") != NULL)
		return LOGSCAN_REMOTE_DMARC;
	if (find(w, n, "unsolicited mail") != NULL && gsmtp)
		return LOGSCAN_REMOTE_GMAIL_RATE;
	if (find(w, n, "this mail is unauthenticated") != NULL ||
	    find(w, n, "sender is unauthenticated") != NULL ||
	    find(w, n, "does not have authentication information")
	    != NULL || (gsmtp && (strcmp(enh, "5.7.26") == 0 ||
	    strcmp(enh, "4.7.26") == 0)))
		return LOGSCAN_REMOTE_UNAUTH;
	if (find(w, n, "requirements for bulk senders") != NULL ||
	    find(w, n, "bulk email senders to") != NULL ||
	    (gsmtp && gmail_bulk_code(enh)))
		return LOGSCAN_REMOTE_GMAIL_BULK;
	return -1;
}

/* The canonical address in [p, p + n) ("IPv6:" before it allowed, as in
 * an address literal), or NULL. */
static char *
canon_span(const char *p, size_t n)
{
	char buf[64];

	if (n > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof buf)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return netaddr_canon(buf, NULL);
}

/* The sending address a reply names: the first bracketed IP literal
 * ("[2001:db8::25]", "[192.0.2.25       1]"), else the word after "with
 * ip " or "messages from ". */
static char *
reply_address(const char *p, const char *end)
{
	static const char *const after[] = { "with ip: ", "with ip ",
	    "messages from ", NULL };
	const char *q, *s;
	char *a;
	size_t n, i;

	for (q = p; (q = memchr(q, '[', end - q)) != NULL; q++) {
		s = q + 1;
		for (n = 0; s + n < end && n < 54 && s[n] != ']' &&
		    !is_blank(s[n]); n++)
			;
		if ((a = canon_span(s, n)) != NULL)
			return a;
	}
	for (i = 0; after[i] != NULL; i++) {
		if ((s = find(p, end - p, after[i])) == NULL)
			continue;
		s += strlen(after[i]);
		for (n = 0; s + n < end && n < 48 && !is_blank(s[n]) &&
		    s[n] != ';' && s[n] != ',' && s[n] != ']'; n++)
			;
		if (n > 0 && s[n - 1] == '.')
			n--;
		if ((a = canon_span(s, n)) != NULL)
			return a;
	}
	return NULL;
}

void
remote_reply_span(const char *text, size_t len, size_t *off, size_t *n)
{
	static const char *const said[] = { " said: ",
	    " refused to talk to me: ", NULL };
	const char *end = text + len, *r = NULL, *f;
	size_t i;

	*off = 0;
	*n = len;
	for (i = 0; said[i] != NULL && r == NULL; i++)
		if ((r = find(text, len, said[i])) != NULL)
			r += strlen(said[i]);
	if (r == NULL)
		return;
	if ((f = find(r, end - r, " (in reply to ")) != NULL)
		end = f;
	else if (end > r && end[-1] == ')')
		end--;
	*off = r - text;
	*n = end - r;
}

/* The records to check for the cause, in the words of remote.h. */
static void
remote_records(struct remote_verdict *v, int asks, const char *from_domain,
    const struct site *site)
{
	const char *helo = site != NULL ? site_helo(site) : NULL;
	const char *a = v->sending_addr, *sel = NULL;
	char *rev;
	size_t i;
	int v6 = a != NULL && strchr(a, ':') != NULL;

	if ((asks & ASK_PTR) && a != NULL && (rev = records_reverse_name(a))
	    != NULL) {
		if (helo != NULL)
			strv_addf(&v->records, "PTR  %s -> %s%s", rev, helo,
			    helo[strlen(helo) - 1] == '.' ? "" : ".");
		else
			strv_addf(&v->records, "PTR  %s -> this server's HELO "
			    "name (and its %s record back to %s)", rev,
			    v6 ? "AAAA" : "A", a);
		free(rev);
	}
	if ((asks & ASK_SPF) && from_domain != NULL) {
		if (a != NULL)
			strv_addf(&v->records, "SPF  %s must allow %s:%s",
			    from_domain, v6 ? "ip6" : "ip4", a);
		else
			strv_addf(&v->records, "SPF  %s must allow the "
			    "sending address", from_domain);
	}
	if ((asks & ASK_DKIM) && from_domain != NULL) {
		for (i = 0; site != NULL && i < site->nkeys && sel == NULL;
		    i++)
			if (strcasecmp(site->keys[i].domain, from_domain) == 0)
				sel = site->keys[i].selector;
		if (sel != NULL)
			strv_addf(&v->records, "DKIM %s._domainkey.%s TXT "
			    "published, the mail signed d=%s", sel,
			    from_domain, from_domain);
		else
			strv_addf(&v->records, "DKIM the mail signed d=%s (no "
			    "key for %s is configured here: notspam keygen "
			    "%s)", from_domain, from_domain, from_domain);
	}
	if ((asks & ASK_DMARC) && from_domain != NULL)
		strv_addf(&v->records, "DMARC _dmarc.%s TXT \"v=DMARC1; "
		    "p=...\", with SPF or DKIM passing aligned with %s",
		    from_domain, from_domain);
	if (asks & ASK_MSDELIST)
		strv_addf(&v->records, "DELIST %s at https://sender.office.com "
		    "(Microsoft's delisting form)", a != NULL ? a :
		    "the sending address");
	if (asks & ASK_SPAMHAUS)
		strv_addf(&v->records, "DELIST %s at https://check.spamhaus.org "
		    "(the lookup names the list and its removal steps)",
		    a != NULL ? a : "the sending address");
	if (asks & ASK_YAHOO)
		strv_add(&v->records, "SEE  https://senders.yahooinc.com "
		    "(Yahoo's sender requirements and error codes)");
}

int
remote_classify(const char *reply, size_t len, const char *from_domain,
    const struct site *site, struct remote_verdict *v)
{
	const char *p, *end;
	size_t off, n;
	char *w;
	int row;

	memset(v, 0, sizeof *v);
	v->cause = -1;
	strv_init(&v->records);
	if (reply == NULL)
		return -1;
	if (len > LOGSCAN_LINE_MAX)
		len = LOGSCAN_LINE_MAX;
	remote_reply_span(reply, len, &off, &n);
	p = reply + off;
	end = p + n;
	w = remote_words(p, end, v);
	v->cause = remote_cause(w, v->enh);
	free(w);
	if (v->code != 0)
		v->sending_addr = reply_address(p, end);
	if (v->cause < 0)
		return -1;
	v->id = logscan_cause_id(v->cause);
	v->title = logscan_cause_title(v->cause);
	if ((row = remote_row(v->cause)) >= 0) {
		v->explain = remote_table[row].explain;
		v->fix = remote_table[row].fix;
		remote_records(v, remote_table[row].asks, from_domain, site);
	}
	return v->cause;
}

void
remote_verdict_free(struct remote_verdict *v)
{
	if (v == NULL)
		return;
	free(v->sending_addr);
	strv_free(&v->records);
	memset(v, 0, sizeof *v);
	v->cause = -1;
}
