/* spf.c: RFC 7208 check_host(), asynchronous over core/dns.
 *
 * A record is parsed completely before it is evaluated (syntax errors
 * anywhere are a permerror, section 4.6).  An evaluation (struct spf_eval)
 * holds one frame per record met: the top one, then one per include: and
 * redirect=.  Frames run their terms in order; a term that needs DNS sends
 * its queries and returns, and the answer resumes the frame.  Only one frame
 * is active at a time, as check_host() is sequential; MX hosts and the
 * names of a PTR answer are looked up in parallel.
 *
 * Everything lives in the evaluation, which is freed once the result has
 * been delivered and every query it sent has called back.
 */
#include "core/dns/spf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "core/dns/dns.h"
#include "core/lib/dnsname.h"
#include "core/lib/util.h"

#define SPF_MAX_LOOKUPS	10	/* section 4.6.4 */
#define SPF_MAX_VOID	2
#define SPF_MAX_MX	10
#define SPF_MAX_PTR	10
#define SPF_MAX_NAME	253
#define SPF_MAX_DIGITS	128	/* transformer values beyond: all parts */

enum spf_kind {
	K_ALL,
	K_INCLUDE,
	K_A,
	K_MX,
	K_PTR,
	K_IP4,
	K_IP6,
	K_EXISTS,
	K_REDIRECT,
	K_EXP,
	K_UNKNOWN,	/* unknown modifier: ignored */
};

/* Mechanism names, in enum order up to K_EXISTS. */
static const char *const mech_names[] = {
	"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", NULL
};

struct spf_term {
	enum spf_kind	 kind;
	char		 qual;		/* '+', '-', '~' or '?' */
	char		*text;		/* the term as written */
	char		*spec;		/* domain-spec, or NULL */
	int		 cidr4;
	int		 cidr6;
	unsigned char	 addr[16];	/* ip4 (4 bytes), ip6 */
	int		 need_p;	/* the domain-spec uses %{p} */
};

struct spf_record {
	struct spf_term	*terms;
	size_t		 nterms;
	struct spf_term	*redirect;
	struct spf_term	*exp;
};

/* The connecting address: IPv4-mapped IPv6 is IPv4 (section 5). */
struct spf_ip {
	int		 v6;
	unsigned char	 a[16];
	char		 c[INET6_ADDRSTRLEN];	/* %{c} */
	char		 i[72];			/* %{i} */
};

/* The values the macros expand to. */
struct spf_env {
	const char	*s, *l, *o, *d, *i, *p, *v, *h, *c, *r, *t;
};

enum spf_how {
	HOW_TOP,
	HOW_INCLUDE,
	HOW_REDIRECT,
};

struct spf_eval;

struct spf_frame {
	struct spf_eval		*ev;
	struct spf_frame	*parent;
	enum spf_how		 how;
	char			*via;		/* "include:x" or "redirect=x" */
	char			*domain;
	int			 depth;
	size_t			 count;		/* index in ev->counts */
	struct spf_record	*rec;
	size_t			 next;		/* term being evaluated */
	size_t			 charged;	/* next + 1 once counted */
	char			*target;	/* of the pending term */

	/* mx: the hosts' address lookups */
	struct strv		 hosts;
	int			*host_state;
	size_t			 hosts_left;

	/* how it ended */
	const struct spf_term	*why_term;
	struct spf_frame	*why_frame;
	struct spf_frame	*exp_frame;
};

enum {
	HOST_PENDING,
	HOST_MATCH,
	HOST_NOMATCH,
	HOST_ERROR,
};

enum {
	PTR_IDLE,
	PTR_RUNNING,
	PTR_DONE,
};

/* The validated names of the address (section 5.5), shared by the ptr
 * mechanism and %{p}. */
struct spf_ptr {
	int			 state;
	enum dns_status		 status;	/* of the PTR query */
	struct strv		 names;		/* the first 10 */
	int			*valid;
	size_t			 left;
};

enum spf_phase {
	PH_EVAL,
	PH_EXP,
	PH_DONE,
};

struct spf_eval {
	struct dns		*dns;
	void			(*query)(void *, const char *, int, dns_cb,
				    void *);	/* or NULL: dns_query() */
	void			*query_arg;
	spf_cb			 cb;
	void			*arg;
	enum spf_phase		 phase;
	unsigned		 gen;		/* stale answers are dropped */
	size_t			 pending;
	int			 in_cb;

	struct spf_ip		 ip;
	int			 ip_ok;
	char			*domain;
	char			*sender;
	char			*local;
	char			*odomain;
	char			*helo;
	char			*receiver;
	char			 t[24];

	int			 lookups;
	int			 void_lookups;
	struct spf_count	*counts;
	size_t			 ncounts;
	struct spf_frame	**frames;
	size_t			 nframes;
	struct spf_frame	*cur;
	char			*record;
	struct spf_ptr		 ptr;

	enum spf_result		 result;
	char			*why;
	struct spf_frame	*expf;
	int			 exp_step;
	char			*exp_text;
	char			*explanation;
};

/* One query in flight. */
struct spf_q {
	struct spf_eval		*ev;
	struct spf_frame	*f;
	unsigned		 gen;
	size_t			 idx;
	void			(*fn)(struct spf_q *, const struct dns_answer *);
};

static void	frame_run(struct spf_frame *);
static void	frame_fetch(struct spf_frame *);
static void	exp_run(struct spf_eval *);
static void	eval_abort(struct spf_eval *, enum spf_result, const char *,
		    ...) PRINTFLIKE(3, 4);

const char *
spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:
		return "none";
	case SPF_NEUTRAL:
		return "neutral";
	case SPF_PASS:
		return "pass";
	case SPF_FAIL:
		return "fail";
	case SPF_SOFTFAIL:
		return "softfail";
	case SPF_TEMPERROR:
		return "temperror";
	case SPF_PERMERROR:
		return "permerror";
	}
	return "?";
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Does a TXT string start with the version "v=spf1" and a space or its end
 * (section 4.5)? */
static int
spf_version(const char *s, size_t len)
{
	if (len < 6 || strncasecmp(s, "v=spf1", 6) != 0)
		return 0;
	return len == 6 || s[6] == ' ';
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int
toplabel_ok(const char *s, size_t n)
{
	size_t i;
	int alpha = 0, dash = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '-')
			dash = 1;
		else if (!is_alnum((unsigned char)s[i]))
			return 0;
		else if (is_alpha((unsigned char)s[i]))
			alpha = 1;
	}
	if (dash)
		return is_alnum((unsigned char)s[0]) &&
		    is_alnum((unsigned char)s[n - 1]);
	return alpha;
}

/* Can this name be asked in DNS: labels of 1 to 63 bytes, 253 in all, no
 * byte a resolver would take for an escape or a control (a macro expansion
 * holding one is a name that does not exist, RFC 7208 4.3 and 5)? */
static int
name_ok(const char *name)
{
	size_t n = strlen(name), label = 0, i;

	if (n == 0 || n > SPF_MAX_NAME || !dnsname_query_ok(name))
		return 0;
	for (i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (++label > 63)
			return 0;
	}
	return label > 0;
}

/* Is the <domain> of check_host() usable (section 4.3): a multi-label name
 * whose last label is a toplabel? */
static int
domain_ok(const char *name)
{
	const char *dot;

	if (!name_ok(name) || (dot = strrchr(name, '.')) == NULL)
		return 0;
	return toplabel_ok(dot + 1, strlen(dot + 1));
}

/*
 * Check the syntax of a macro-string (section 7.1).  expl: explanation text,
 * where spaces and the c, r and t macros are allowed.  *last gets the
 * offset just past the last macro-expand (0 if none).
 */
static int
macro_check(const char *s, size_t n, int expl, size_t *last, char **cause)
{
	size_t i, j, digits;
	int c, letter;

	*last = 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == ' ' && expl)
			continue;
		if (c < 0x21 || c > 0x7e)
			return error_set(cause, "invalid character 0x%02x", c);
		if (c != '%')
			continue;
		if (i + 1 >= n)
			return error_set(cause, "'%%' at the end");
		c = s[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i++;
			*last = i + 1;
			continue;
		}
		if (c != '{')
			return error_set(cause, "'%%' followed by '%c' is not a "
			    "macro (write %%%% for a percent sign)",
			    c >= 0x21 && c <= 0x7e ? c : '?');
		j = i + 2;
		letter = j < n ? lower((unsigned char)s[j]) : 0;
		if (letter == 0 || strchr("slodiphvcrt", letter) == NULL)
			return error_set(cause, "unknown macro letter in "
			    "'%.*s'", (int)(n - i > 8 ? 8 : n - i), s + i);
		if (!expl && strchr("crt", letter) != NULL)
			return error_set(cause, "the %%{%c} macro is allowed "
			    "only in explanation text", letter);
		j++;
		digits = 0;
		while (j < n && is_digit((unsigned char)s[j])) {
			if (digits < 1000)
				digits = digits * 10 + (size_t)(s[j] - '0');
			j++;
			if (digits == 0)
				return error_set(cause, "a macro transformer "
				    "must not be zero");
		}
		if (j < n && (s[j] == 'r' || s[j] == 'R'))
			j++;
		while (j < n && strchr(".-+,/_=", s[j]) != NULL)
			j++;
		if (j >= n || s[j] != '}')
			return error_set(cause, "unterminated or malformed macro "
			    "'%.*s'", (int)(j - i > 16 ? 16 : j - i), s + i);
		i = j;
		*last = i + 1;
	}
	return 0;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel
 * [ "." ] ) / macro-expand */
static int
domain_spec_check(const char *s, size_t n, char **cause)
{
	size_t last, e, i;

	if (n == 0)
		return error_set(cause, "empty domain name");
	if (macro_check(s, n, 0, &last, cause) != 0)
		return -1;
	e = n;
	if (s[e - 1] == '.')
		e--;
	if (last > 0 && last == e)
		return 0;
	for (i = e; i > last; i--) {
		if (s[i - 1] == '.')
			break;
	}
	if (i == last || i == 0)
		return error_set(cause, "'%.*s' is not a domain name (no dot "
		    "before its last label)", (int)n, s);
	if (!toplabel_ok(s + i, e - i))
		return error_set(cause, "'%.*s' is not a domain name (bad last "
		    "label '%.*s')", (int)n, s, (int)(e - i), s + i);
	return 0;
}

/* A CIDR length: "0" or digits without a leading zero, at most max. */
static int
cidr_parse(const char *s, size_t n, int max, int *out)
{
	size_t i;
	int v = 0;

	if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Does the macro-string use %{p}? */
static int
uses_p(const char *s)
{
	const char *p;

	for (p = s; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] == '\0')
			break;
		if (p[1] == '{' && (p[2] == 'p' || p[2] == 'P'))
			return 1;
	}
	return 0;
}

/* The argument of a, mx: [ ":" domain-spec ] [ "/" n ] [ "//" n ]. */
static int
dual_cidr_parse(struct spf_term *t, const char *s, size_t n, char **cause)
{
	size_t end = n, j;

	t->cidr4 = 32;
	t->cidr6 = 128;
	for (j = end; j > 0 && is_digit((unsigned char)s[j - 1]); j--)
		;
	if (j < end && j >= 2 && s[j - 1] == '/' && s[j - 2] == '/') {
		if (cidr_parse(s + j, end - j, 128, &t->cidr6) != 0)
			return error_set(cause, "bad IPv6 prefix length");
		end = j - 2;
		for (j = end; j > 0 && is_digit((unsigned char)s[j - 1]); j--)
			;
	}
	if (j < end && j >= 1 && s[j - 1] == '/') {
		if (cidr_parse(s + j, end - j, 32, &t->cidr4) != 0)
			return error_set(cause, "bad IPv4 prefix length");
		end = j - 1;
	}
	if (end == 0)
		return 0;
	if (s[0] != ':')
		return error_set(cause, "unexpected '%.*s'", (int)end, s);
	if (domain_spec_check(s + 1, end - 1, cause) != 0)
		return -1;
	t->spec = xstrndup(s + 1, end - 1);
	return 0;
}

/* ip4:network[/n] and ip6:network[/n]. */
static int
ip_parse(struct spf_term *t, const char *s, size_t n, char **cause)
{
	const char *slash;
	char addr[64];
	size_t alen;
	int v6 = t->kind == K_IP6;

	if (n < 2 || s[0] != ':')
		return error_set(cause, "missing address");
	s++;
	n--;
	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	if (alen == 0 || alen >= sizeof addr)
		return error_set(cause, "bad address");
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, t->addr) != 1)
		return error_set(cause, "'%s' is not an %s address", addr,
		    v6 ? "IPv6" : "IPv4");
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (slash == NULL)
		return 0;
	if (cidr_parse(slash + 1, n - alen - 1, v6 ? 128 : 32,
	    v6 ? &t->cidr6 : &t->cidr4) != 0)
		return error_set(cause, "bad prefix length '%.*s'",
		    (int)(n - alen), slash);
	return 0;
}

/* A modifier: name "=" value. */
static int
modifier_parse(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t name, size_t n, char **cause)
{
	const char *v = s + name + 1;
	size_t vn = n - name - 1, last;

	if (name == 8 && strncasecmp(s, "redirect", 8) == 0) {
		if (rec->redirect != NULL)
			return error_set(cause, "redirect= appears twice");
		t->kind = K_REDIRECT;
	} else if (name == 3 && strncasecmp(s, "exp", 3) == 0) {
		if (rec->exp != NULL)
			return error_set(cause, "exp= appears twice");
		t->kind = K_EXP;
	} else {
		t->kind = K_UNKNOWN;
		return macro_check(v, vn, 1, &last, cause) == 0 &&
		    memchr(v, ' ', vn) == NULL ? 0 : -1;
	}
	if (domain_spec_check(v, vn, cause) != 0)
		return -1;
	t->spec = xstrndup(v, vn);
	t->need_p = uses_p(t->spec);
	if (t->kind == K_REDIRECT)
		rec->redirect = t;
	else
		rec->exp = t;
	return 0;
}

/* One term of a record (s is n bytes of visible ASCII). */
static int
term_parse(struct spf_record *rec, struct spf_term *t, const char *s,
    size_t n, char **cause)
{
	size_t i, m;
	int k;

	t->text = xstrndup(s, n);
	t->qual = '+';
	if (is_alpha((unsigned char)s[0])) {
		for (i = 1; i < n; i++)
			if (!is_alnum((unsigned char)s[i]) &&
			    strchr("-_.", s[i]) == NULL)
				break;
		if (i < n && s[i] == '=')
			return modifier_parse(rec, t, s, i, n, cause);
	}
	if (strchr("+-~?", s[0]) != NULL) {
		t->qual = s[0];
		s++;
		n--;
	}
	for (m = 0; m < n && s[m] != ':' && s[m] != '/'; m++)
		;
	for (k = 0; mech_names[k] != NULL; k++)
		if (strlen(mech_names[k]) == m &&
		    strncasecmp(s, mech_names[k], m) == 0)
			break;
	if (mech_names[k] == NULL || m == 0)
		return error_set(cause, "unknown mechanism '%.*s'",
		    (int)(m < n ? m + 1 : m), s);
	t->kind = (enum spf_kind)k;
	s += m;
	n -= m;
	switch (t->kind) {
	case K_ALL:
		if (n != 0)
			return error_set(cause, "'all' takes no argument");
		return 0;
	case K_INCLUDE:
	case K_EXISTS:
		if (n < 1 || s[0] != ':')
			return error_set(cause, "'%s' needs ':' and a domain",
			    mech_names[k]);
		if (domain_spec_check(s + 1, n - 1, cause) != 0)
			return -1;
		t->spec = xstrndup(s + 1, n - 1);
		break;
	case K_PTR:
		if (n > 0 && s[0] != ':')
			return error_set(cause, "'ptr' takes no prefix length");
		if (n > 0) {
			if (domain_spec_check(s + 1, n - 1, cause) != 0)
				return -1;
			t->spec = xstrndup(s + 1, n - 1);
		}
		break;
	case K_A:
	case K_MX:
		if (dual_cidr_parse(t, s, n, cause) != 0)
			return -1;
		break;
	case K_IP4:
	case K_IP6:
		return ip_parse(t, s, n, cause);
	default:
		break;
	}
	if (t->spec != NULL)
		t->need_p = uses_p(t->spec);
	return 0;
}

static void
record_free(struct spf_record *rec)
{
	size_t i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->nterms; i++) {
		free(rec->terms[i].text);
		free(rec->terms[i].spec);
	}
	free(rec->terms);
	free(rec);
}

/* Parse a record that starts with the version; NULL with *cause on a
 * syntax error anywhere in it. */
static struct spf_record *
record_parse(const char *text, size_t len, char **cause)
{
	struct spf_record *rec;
	size_t i, start, nterm = 0;
	char *why = NULL;
	int c;

	if (!spf_version(text, len)) {
		error_set(cause, "the record does not start with \"v=spf1\"");
		return NULL;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		if (c >= 0x80) {
			error_set(cause, "non-ASCII byte 0x%02x at offset %zu "
			    "(SPF records are 7-bit ASCII)", c, i);
			return NULL;
		}
		if (c != ' ' && (c < 0x21 || c == 0x7f)) {
			error_set(cause, "control character 0x%02x at offset "
			    "%zu (terms are separated by spaces only)", c, i);
			return NULL;
		}
	}
	rec = xcalloc(1, sizeof *rec);
	/* Count the terms: the array is made once. */
	for (i = 6; i < len; i++)
		if (text[i] != ' ' && (i == 6 || text[i - 1] == ' '))
			nterm++;
	if (nterm > 0)
		rec->terms = xcalloc(nterm, sizeof *rec->terms);
	nterm = 0;
	for (i = 6; i < len; ) {
		while (i < len && text[i] == ' ')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && text[i] != ' ')
			i++;
		nterm++;
		memset(&rec->terms[rec->nterms], 0, sizeof *rec->terms);
		rec->nterms++;
		if (term_parse(rec, &rec->terms[rec->nterms - 1], text + start,
		    i - start, &why) != 0) {
			error_set(cause, "%s at term %zu ('%.*s')",
			    why != NULL ? why : "syntax error", nterm,
			    (int)(i - start > 64 ? 64 : i - start),
			    text + start);
			free(why);
			record_free(rec);
			return NULL;
		}
	}
	/* Pointers into terms moved with realloc: find them again. */
	rec->redirect = rec->exp = NULL;
	for (i = 0; i < rec->nterms; i++) {
		if (rec->terms[i].kind == K_REDIRECT)
			rec->redirect = &rec->terms[i];
		else if (rec->terms[i].kind == K_EXP)
			rec->exp = &rec->terms[i];
	}
	return rec;
}

int
spf_lint(const char *text, size_t len, int *flags, char **cause)
{
	struct spf_record *rec;
	const struct spf_term *t;
	size_t i;
	int f = 0, all = 0;

	if (flags != NULL)
		*flags = 0;
	if ((rec = record_parse(text, len, cause)) == NULL)
		return -1;
	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		if (t->kind == K_EXP || t->kind == K_UNKNOWN)
			continue;
		if (all)
			f |= SPF_TERMS_AFTER_ALL;
		if (t->kind == K_REDIRECT) {
			f |= SPF_HAS_REDIRECT;
			continue;
		}
		if (t->kind == K_PTR)
			f |= SPF_HAS_PTR;
		if (t->kind == K_ALL) {
			all = 1;
			if (t->qual == '+')
				f |= SPF_ALL_PASS;
			else if (t->qual == '?')
				f |= SPF_ALL_NEUTRAL;
		}
	}
	if (!all && rec->redirect == NULL)
		f |= SPF_NO_ALL;
	record_free(rec);
	if (flags != NULL)
		*flags = f;
	return 0;
}

/* Parse <ip>; IPv4-mapped IPv6 becomes IPv4. */
static int
ip_set(struct spf_ip *ip, const char *text)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	static const char hex[] = "0123456789abcdef";
	size_t k;
	int j;

	memset(ip, 0, sizeof *ip);
	if (text == NULL)
		return -1;
	if (inet_pton(AF_INET, text, ip->a) != 1) {
		if (inet_pton(AF_INET6, text, ip->a) != 1)
			return -1;
		if (memcmp(ip->a, mapped, 12) == 0)
			memmove(ip->a, ip->a + 12, 4);
		else
			ip->v6 = 1;
	}
	inet_ntop(ip->v6 ? AF_INET6 : AF_INET, ip->a, ip->c, sizeof ip->c);
	if (!ip->v6) {
		snprintf(ip->i, sizeof ip->i, "%s", ip->c);
		return 0;
	}
	for (j = 0, k = 0; j < 16; j++) {
		ip->i[k++] = hex[ip->a[j] >> 4];
		ip->i[k++] = '.';
		ip->i[k++] = hex[ip->a[j] & 0xf];
		ip->i[k++] = j < 15 ? '.' : '\0';
	}
	return 0;
}

/* The reverse-mapping name of the address, for the PTR query. */
static char *
ip_reverse(const struct spf_ip *ip)
{
	static const char hex[] = "0123456789abcdef";
	struct buf b;
	int j;

	buf_init(&b);
	if (!ip->v6) {
		buf_printf(&b, "%u.%u.%u.%u.in-addr.arpa", ip->a[3], ip->a[2],
		    ip->a[1], ip->a[0]);
		return buf_steal(&b);
	}
	for (j = 15; j >= 0; j--)
		buf_printf(&b, "%c.%c.", hex[ip->a[j] & 0xf],
		    hex[ip->a[j] >> 4]);
	buf_adds(&b, "ip6.arpa");
	return buf_steal(&b);
}

/* Do the first bits of a and b agree? */
static int
prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (full > 0 && memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Is the address text of a DNS answer within bits of the client's? */
static int
text_match(const struct spf_ip *ip, const char *text, int bits)
{
	unsigned char a[16];

	if (inet_pton(ip->v6 ? AF_INET6 : AF_INET, text, a) != 1)
		return 0;
	return prefix_match(a, ip->a, bits);
}

/* The value of one macro letter. */
static const char *
macro_value(const struct spf_env *env, int letter)
{
	switch (letter) {
	case 's':
		return env->s;
	case 'l':
		return env->l;
	case 'o':
		return env->o;
	case 'd':
		return env->d;
	case 'i':
		return env->i;
	case 'p':
		return env->p != NULL ? env->p : "unknown";
	case 'v':
		return env->v;
	case 'h':
		return env->h;
	case 'c':
		return env->c;
	case 'r':
		return env->r;
	case 't':
		return env->t;
	}
	return "";
}

/* Split value on the delimiters, reverse, keep the last keep parts, join
 * with dots (section 7.3), URL-escaping when the letter was uppercase. */
static void
macro_transform(struct buf *out, const char *value, size_t keep, int reverse,
    const char *delims, size_t ndelims, int escape)
{
	static const char hex[] = "0123456789ABCDEF";
	struct part {
		const char	*p;
		size_t		 n;
	} *parts = NULL, tmp;
	const char *p, *q;
	size_t i, first, n = 0, j;
	char set[8];
	int c;

	for (i = 0, j = 0; i < ndelims && j < sizeof set - 1; i++)
		if (memchr(set, delims[i], j) == NULL)
			set[j++] = delims[i];
	if (j == 0)
		set[j++] = '.';
	set[j] = '\0';
	for (p = value;; p = q + 1) {
		q = p + strcspn(p, set);
		parts = xgrow(parts, n, sizeof *parts);
		parts[n].p = p;
		parts[n++].n = (size_t)(q - p);
		if (*q == '\0')
			break;
	}
	if (reverse) {
		for (i = 0; i < n / 2; i++) {
			tmp = parts[i];
			parts[i] = parts[n - 1 - i];
			parts[n - 1 - i] = tmp;
		}
	}
	first = keep > 0 && keep < n ? n - keep : 0;
	for (i = first; i < n; i++) {
		if (i > first)
			buf_addc(out, '.');
		for (j = 0; j < parts[i].n; j++) {
			c = (unsigned char)parts[i].p[j];
			if (!escape || is_alnum(c) || c == '-' || c == '.' ||
			    c == '_' || c == '~') {
				buf_addc(out, (char)c);
				continue;
			}
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 0xf]);
		}
	}
	free(parts);
}

/* Expand a macro-string whose syntax macro_check() accepted. */
static void
macro_expand(const struct spf_env *env, const char *s, struct buf *out)
{
	const char *p;
	size_t keep;
	int letter, reverse, escape;

	for (p = s; *p != '\0'; p++) {
		if (*p != '%') {
			buf_addc(out, *p);
			continue;
		}
		p++;
		if (*p == '%' || *p == '\0') {
			buf_addc(out, '%');
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '_') {
			buf_addc(out, ' ');
			continue;
		}
		if (*p == '-') {
			buf_adds(out, "%20");
			continue;
		}
		p++;			/* '{' */
		escape = *p >= 'A' && *p <= 'Z';
		letter = lower((unsigned char)*p++);
		keep = 0;
		while (is_digit((unsigned char)*p)) {
			if (keep <= SPF_MAX_DIGITS)
				keep = keep * 10 + (size_t)(*p - '0');
			p++;
		}
		if (keep > SPF_MAX_DIGITS)
			keep = 0;
		reverse = *p == 'r' || *p == 'R';
		if (reverse)
			p++;
		s = p;
		while (*p != '}' && *p != '\0')
			p++;
		macro_transform(out, macro_value(env, letter), keep, reverse,
		    s, (size_t)(p - s), escape);
		if (*p == '\0')
			break;
	}
}

/* A domain after expansion: no final dot, cut to 253 bytes by dropping
 * labels from the left (section 7.3). */
static char *
domain_finish(struct buf *b)
{
	char *s, *p;

	while (b->len > 0 && b->data[b->len - 1] == '.')
		b->data[--b->len] = '\0';
	s = buf_steal(b);
	p = s;
	while (strlen(p) > SPF_MAX_NAME && strchr(p, '.') != NULL)
		p = strchr(p, '.') + 1;
	if (p != s)
		memmove(s, p, strlen(p) + 1);
	return s;
}

char *
spf_expand(const char *text, const struct spf_request *req,
    const char *validated, int expl, char **cause)
{
	struct spf_env env;
	struct spf_ip ip;
	struct buf b;
	const char *domain;
	char *sender, *local, *o, *at, t[24];
	size_t last;

	if (macro_check(text, strlen(text), expl, &last, cause) != 0)
		return NULL;
	if (ip_set(&ip, req->ip) != 0) {
		error_set(cause, "'%s' is not an IP address",
		    req->ip != NULL ? req->ip : "");
		return NULL;
	}
	domain = req->domain != NULL ? req->domain : "";
	if (req->sender == NULL)
		sender = xasprintf("postmaster@%s", domain);
	else if ((at = strrchr(req->sender, '@')) == NULL)
		sender = xasprintf("postmaster@%s", req->sender);
	else if (at == req->sender)
		sender = xasprintf("postmaster%s", req->sender);
	else
		sender = xstrdup(req->sender);
	at = strrchr(sender, '@');
	local = xstrndup(sender, (size_t)(at - sender));
	o = at + 1;
	snprintf(t, sizeof t, "%lld", (long long)time(NULL));
	memset(&env, 0, sizeof env);
	env.s = sender;
	env.l = local;
	env.o = o;
	env.d = domain;
	env.i = ip.i;
	env.p = validated;
	env.v = ip.v6 ? "ip6" : "in-addr";
	env.h = req->helo != NULL ? req->helo : domain;
	env.c = ip.c;
	env.r = req->receiver != NULL ? req->receiver : "unknown";
	env.t = t;
	buf_init(&b);
	macro_expand(&env, text, &b);
	free(local);
	free(sender);
	if (expl)
		return buf_steal(&b);
	return domain_finish(&b);
}

/* The macro values for a frame's domain. */
static void
eval_env(struct spf_eval *ev, const char *domain, struct spf_env *env)
{
	memset(env, 0, sizeof *env);
	env->s = ev->sender;
	env->l = ev->local;
	env->o = ev->odomain;
	env->d = domain;
	env->i = ev->ip.i;
	env->v = ev->ip.v6 ? "ip6" : "in-addr";
	env->h = ev->helo;
	env->c = ev->ip.c;
	env->r = ev->receiver;
	env->t = ev->t;
	env->p = "unknown";
	if (ev->ptr.state == PTR_DONE) {
		size_t i, n = strlen(domain), len;
		const char *name, *sub = NULL, *any = NULL;

		/* The domain itself, else a subdomain, else any (7.3). */
		for (i = 0; i < ev->ptr.names.n; i++) {
			if (!ev->ptr.valid[i])
				continue;
			name = ev->ptr.names.v[i];
			len = strlen(name);
			if (strcasecmp(name, domain) == 0) {
				env->p = name;
				return;
			}
			if (sub == NULL && len > n && name[len - n - 1] == '.' &&
			    strcasecmp(name + len - n, domain) == 0)
				sub = name;
			if (any == NULL)
				any = name;
		}
		if (sub != NULL)
			env->p = sub;
		else if (any != NULL)
			env->p = any;
	}
}

/* Expand a term's domain-spec (or the frame's domain when it has none). */
static char *
frame_target(struct spf_frame *f, const char *spec)
{
	struct spf_env env;
	struct buf b;

	if (spec == NULL)
		return xstrdup(f->domain);
	eval_env(f->ev, f->domain, &env);
	buf_init(&b);
	macro_expand(&env, spec, &b);
	return domain_finish(&b);
}

/* " in D (via include:x, redirect=y)" for a frame below the top (long
 * chains shortened), "" for the top. */
static char *
frame_where(const struct spf_frame *f)
{
	const struct spf_frame *g;
	struct strv path;
	struct buf b;
	size_t i;

	buf_init(&b);
	if (f == NULL || f->parent == NULL)
		return buf_steal(&b);
	strv_init(&path);
	for (g = f; g->parent != NULL; g = g->parent)
		strv_add(&path, g->via);
	buf_printf(&b, " in %s (via ", f->domain);
	for (i = path.n; i > 0; i--) {
		if (path.n > 4 && i == path.n - 2) {
			buf_printf(&b, "... %zu more, ", path.n - 3);
			i = 2;
			continue;
		}
		buf_printf(&b, "%s%s", path.v[i - 1], i > 1 ? ", " : ")");
	}
	strv_free(&path);
	return buf_steal(&b);
}

static void
eval_free(struct spf_eval *ev)
{
	struct spf_frame *f;
	size_t i;

	for (i = 0; i < ev->nframes; i++) {
		f = ev->frames[i];
		record_free(f->rec);
		free(f->via);
		free(f->domain);
		free(f->target);
		strv_free(&f->hosts);
		free(f->host_state);
		free(f);
	}
	free(ev->frames);
	for (i = 0; i < ev->ncounts; i++)
		free(ev->counts[i].domain);
	free(ev->counts);
	strv_free(&ev->ptr.names);
	free(ev->ptr.valid);
	free(ev->domain);
	free(ev->sender);
	free(ev->local);
	free(ev->odomain);
	free(ev->helo);
	free(ev->receiver);
	free(ev->record);
	free(ev->why);
	free(ev->exp_text);
	free(ev->explanation);
	free(ev);
}

/* Hand the outcome to the caller; the evaluation is freed by query_cb once
 * nothing is pending. */
static void
eval_deliver(struct spf_eval *ev)
{
	struct spf_outcome o;
	const struct spf_frame *f;

	memset(&o, 0, sizeof o);
	o.result = ev->result;
	o.explanation = ev->explanation != NULL ? ev->explanation : ev->why;
	o.record = ev->record;
	o.lookups = ev->lookups;
	o.void_lookups = ev->void_lookups;
	o.counts = ev->counts;
	o.ncounts = ev->ncounts;
	f = ev->nframes > 0 ? ev->frames[0] : NULL;
	if (f != NULL && f->why_term != NULL && ev->result != SPF_TEMPERROR &&
	    ev->result != SPF_PERMERROR && ev->result != SPF_NONE)
		o.matched = f->why_term->text;
	ev->phase = PH_DONE;
	ev->gen++;
	ev->in_cb = 1;
	ev->cb(&o, ev->arg);
	ev->in_cb = 0;
}

/* check_host() ends with an error: no explanation lookup. */
static void
eval_abort(struct spf_eval *ev, enum spf_result r, const char *fmt, ...)
{
	va_list ap;

	if (ev->phase == PH_DONE)
		return;
	ev->result = r;
	free(ev->why);
	va_start(ap, fmt);
	ev->why = xvasprintf(fmt, ap);
	va_end(ap);
	eval_deliver(ev);
}

/* The single callback of every query: drop stale answers, free the
 * evaluation after the last one. */
static void
query_cb(const struct dns_answer *a, void *arg)
{
	struct spf_q *q = arg;
	struct spf_eval *ev = q->ev;

	ev->pending--;
	if (q->gen == ev->gen && ev->phase != PH_DONE) {
		/* dns_free(): end now, ask nothing more of a dying resolver. */
		if (a->status == DNS_ERROR && a->error != NULL &&
		    strcmp(a->error, "cancelled") == 0)
			eval_abort(ev, SPF_TEMPERROR, "the lookup of %s was "
			    "cancelled", a->name);
		else
			q->fn(q, a);
	}
	free(q);
	if (ev->phase == PH_DONE && ev->pending == 0 && !ev->in_cb)
		eval_free(ev);
}

static void
eval_query(struct spf_eval *ev, struct spf_frame *f, const char *name,
    int type, size_t idx, void (*fn)(struct spf_q *,
    const struct dns_answer *))
{
	struct spf_q *q = xcalloc(1, sizeof *q);

	q->ev = ev;
	q->f = f;
	q->gen = ev->gen;
	q->idx = idx;
	q->fn = fn;
	ev->pending++;
	if (ev->query != NULL)
		ev->query(ev->query_arg, name, type, query_cb, q);
	else
		dns_query(ev->dns, name, type, query_cb, q);
}

/* A readable cause for a failed answer. */
static const char *
answer_error(const struct dns_answer *a)
{
	if (a->error != NULL && *a->error != '\0')
		return a->error;
	return dns_status_name(a->status);
}

static int
answer_void(const struct dns_answer *a)
{
	return a->status == DNS_NXDOMAIN || a->status == DNS_NODATA;
}

static enum spf_result
qual_result(char qual)
{
	switch (qual) {
	case '-':
		return SPF_FAIL;
	case '~':
		return SPF_SOFTFAIL;
	case '?':
		return SPF_NEUTRAL;
	}
	return SPF_PASS;
}

/* The overall result is known; a fail looks up its explanation first. */
static void
eval_result(struct spf_eval *ev, enum spf_result r, struct spf_frame *top)
{
	const struct spf_frame *wf = top->why_frame;
	char *where = frame_where(wf);

	ev->result = r;
	free(ev->why);
	if (top->why_term != NULL)
		ev->why = xasprintf("matched %s%s", top->why_term->text,
		    where);
	else
		ev->why = xasprintf("no mechanism matched %s%s and there is "
		    "no redirect=: neutral by default", ev->ip.c, where);
	free(where);
	if (r != SPF_FAIL) {
		eval_deliver(ev);
		return;
	}
	ev->phase = PH_EXP;
	ev->gen++;
	ev->expf = top->exp_frame;
	exp_run(ev);
}

/* A record's evaluation is over: give the result to whoever asked. */
static void
frame_done(struct spf_frame *f, enum spf_result r, const char *none_why)
{
	struct spf_frame *p = f->parent;
	const struct spf_term *t;
	char *where;

	if (p == NULL) {
		eval_result(f->ev, r, f);
		return;
	}
	if (r == SPF_NONE) {
		where = frame_where(p);
		eval_abort(f->ev, SPF_PERMERROR, "%s: %s: the target of %s must "
		    "have an SPF record%s", f->via, none_why,
		    f->how == HOW_INCLUDE ? "include:" : "redirect=", where);
		free(where);
		return;
	}
	if (f->how == HOW_REDIRECT) {
		p->why_term = f->why_term;
		p->why_frame = f->why_frame;
		p->exp_frame = f->exp_frame;
		frame_done(p, r, NULL);
		return;
	}
	/* include: only pass matches (section 5.2). */
	t = &p->rec->terms[p->next];
	if (r == SPF_PASS) {
		p->why_term = f->why_term;
		p->why_frame = f->why_frame;
		p->exp_frame = p;
		frame_done(p, qual_result(t->qual), NULL);
		return;
	}
	p->next++;
	frame_run(p);
}

/* A mechanism matched. */
static void
frame_match(struct spf_frame *f, const struct spf_term *t)
{
	f->why_term = t;
	f->why_frame = f;
	f->exp_frame = f;
	frame_done(f, qual_result(t->qual), NULL);
}

/* The term did not match: go on with the next. */
static void
frame_next(struct spf_frame *f)
{
	free(f->target);
	f->target = NULL;
	f->next++;
	frame_run(f);
}

/* Count a DNS-querying term (section 4.6.4); 0, or -1 when over the limit
 * (the evaluation has ended). */
static int
frame_charge(struct spf_frame *f, const struct spf_term *t)
{
	struct spf_eval *ev = f->ev;
	struct spf_frame *g;
	char *where;

	if (f->charged == f->next + 1)
		return 0;
	f->charged = f->next + 1;
	ev->lookups++;
	ev->counts[f->count].lookups++;
	for (g = f; g != NULL; g = g->parent)
		ev->counts[g->count].total++;
	if (ev->lookups <= SPF_MAX_LOOKUPS)
		return 0;
	where = frame_where(f);
	eval_abort(ev, SPF_PERMERROR, "more than %d DNS lookups (the %dth "
	    "is '%s'%s%s)", SPF_MAX_LOOKUPS, ev->lookups, t->text,
	    f->parent == NULL ? " in " : "", f->parent == NULL ? f->domain :
	    where);
	free(where);
	return -1;
}

/* Count a void lookup; 0, or -1 when over the limit. */
static int
frame_void(struct spf_frame *f, const struct spf_term *t)
{
	struct spf_eval *ev = f->ev;
	char *where;

	if (++ev->void_lookups <= SPF_MAX_VOID)
		return 0;
	where = frame_where(f);
	eval_abort(ev, SPF_PERMERROR, "more than %d void lookups (%d, the "
	    "last '%s'%s%s)", SPF_MAX_VOID, ev->void_lookups,
	    t->text, f->parent == NULL ? " in " : "", f->parent == NULL ?
	    f->domain : where);
	free(where);
	return -1;
}

/* A new frame for domain under parent (NULL: the top). */
static struct spf_frame *
frame_new(struct spf_eval *ev, struct spf_frame *parent, enum spf_how how,
    const char *domain)
{
	struct spf_frame *f = xcalloc(1, sizeof *f);
	struct spf_count *c;

	f->ev = ev;
	f->parent = parent;
	f->how = how;
	f->domain = xstrdup(domain);
	f->depth = parent != NULL ? parent->depth + 1 : 0;
	if (how == HOW_INCLUDE)
		f->via = xasprintf("include:%s", domain);
	else if (how == HOW_REDIRECT)
		f->via = xasprintf("redirect=%s", domain);
	strv_init(&f->hosts);
	ev->frames = xgrow(ev->frames, ev->nframes, sizeof *ev->frames);
	ev->frames[ev->nframes++] = f;
	ev->counts = xgrow(ev->counts, ev->ncounts, sizeof *ev->counts);
	c = &ev->counts[ev->ncounts];
	memset(c, 0, sizeof *c);
	c->domain = xstrdup(domain);
	c->depth = f->depth;
	f->count = ev->ncounts++;
	return f;
}

/* The TXT records of the frame's domain arrived: select and parse. */
static void
frame_txt_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_frame *f = q->f;
	struct spf_eval *ev = f->ev;
	const struct dns_rr *rr = NULL;
	char *cause = NULL, *why, *where;
	size_t i, n = 0;

	if (f->parent == NULL && !domain_ok(f->domain)) {
		eval_abort(ev, SPF_NONE, "'%s' is not a valid domain name "
		    "(RFC 7208 4.3)", f->domain);
		return;
	}
	if (f->parent == NULL && !ev->ip_ok) {
		eval_abort(ev, SPF_PERMERROR, "'%s' is not an IP address",
		    ev->ip.c);
		return;
	}
	if (a->status == DNS_NXDOMAIN || a->status == DNS_NODATA) {
		why = xasprintf(a->status == DNS_NXDOMAIN ? "%s does not "
		    "exist" : "no SPF record at %s", f->domain);
		if (f->parent == NULL)
			eval_abort(ev, SPF_NONE, "%s", why);
		else
			frame_done(f, SPF_NONE, why);
		free(why);
		return;
	}
	if (a->status != DNS_OK) {
		where = frame_where(f);
		eval_abort(ev, SPF_TEMPERROR, "cannot look up the SPF record "
		    "of %s: %s%s", f->domain, answer_error(a), where);
		free(where);
		return;
	}
	for (i = 0; i < a->nrrs; i++) {
		if (a->rrs[i].type != DNS_T_TXT || a->rrs[i].text == NULL)
			continue;
		if (spf_version(a->rrs[i].text, a->rrs[i].len)) {
			rr = &a->rrs[i];
			n++;
		}
	}
	if (n == 0) {
		why = xasprintf("no SPF record at %s", f->domain);
		if (f->parent == NULL)
			eval_abort(ev, SPF_NONE, "%s", why);
		else
			frame_done(f, SPF_NONE, why);
		free(why);
		return;
	}
	if (f->parent == NULL && n == 1)
		ev->record = xstrndup(rr->text, rr->len);
	if (n > 1) {
		where = frame_where(f);
		eval_abort(ev, SPF_PERMERROR, "%zu SPF records at %s: there "
		    "must be exactly one (RFC 7208 4.5)%s", n, f->domain,
		    where);
		free(where);
		return;
	}
	if ((f->rec = record_parse(rr->text, rr->len, &cause)) == NULL) {
		where = frame_where(f);
		eval_abort(ev, SPF_PERMERROR, "the SPF record of %s: %s%s",
		    f->domain, cause, where);
		free(cause);
		free(where);
		return;
	}
	frame_run(f);
}

/* Look up the record of a frame. */
static void
frame_fetch(struct spf_frame *f)
{
	struct spf_eval *ev = f->ev;

	if (f->parent != NULL && !name_ok(f->domain)) {
		frame_done(f, SPF_NONE, "not a valid domain name");
		return;
	}
	/*
	 * The top frame always asks, even for a domain that check_host()
	 * rejects: the callback must come later, from the loop, and the
	 * answer tells.  A name c-ares cannot encode fails locally.
	 */
	eval_query(ev, f, f->domain, DNS_T_TXT, 0, frame_txt_cb);
}

/* a: the addresses of the target. */
static void
a_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_frame *f = q->f;
	struct spf_eval *ev = f->ev;
	const struct spf_term *t = &f->rec->terms[f->next];
	char *where;
	size_t i;

	if (answer_void(a)) {
		if (frame_void(f, t) == 0)
			frame_next(f);
		return;
	}
	if (a->status != DNS_OK) {
		where = frame_where(f);
		eval_abort(ev, SPF_TEMPERROR, "%s: looking up %s: %s%s",
		    t->text, a->name, answer_error(a), where);
		free(where);
		return;
	}
	for (i = 0; i < a->nrrs; i++) {
		if (a->rrs[i].type == (ev->ip.v6 ? DNS_T_AAAA : DNS_T_A) &&
		    text_match(&ev->ip, a->rrs[i].text,
		    ev->ip.v6 ? t->cidr6 : t->cidr4)) {
			frame_match(f, t);
			return;
		}
	}
	frame_next(f);
}

/* exists: any A record matches, whatever the address family. */
static void
exists_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_frame *f = q->f;
	const struct spf_term *t = &f->rec->terms[f->next];
	char *where;

	if (answer_void(a)) {
		if (frame_void(f, t) == 0)
			frame_next(f);
		return;
	}
	if (a->status != DNS_OK) {
		where = frame_where(f);
		eval_abort(f->ev, SPF_TEMPERROR, "%s: looking up %s: %s%s",
		    t->text, a->name, answer_error(a), where);
		free(where);
		return;
	}
	frame_match(f, t);
}

/* mx: one host's addresses arrived. */
static void
mx_host_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_frame *f = q->f;
	struct spf_eval *ev = f->ev;
	const struct spf_term *t = &f->rec->terms[f->next];
	char *where;
	size_t i;
	int st = HOST_NOMATCH;

	if (a->status == DNS_OK) {
		for (i = 0; i < a->nrrs; i++)
			if (a->rrs[i].type == (ev->ip.v6 ? DNS_T_AAAA :
			    DNS_T_A) && text_match(&ev->ip, a->rrs[i].text,
			    ev->ip.v6 ? t->cidr6 : t->cidr4))
				st = HOST_MATCH;
	} else if (!answer_void(a))
		st = HOST_ERROR;
	f->host_state[q->idx] = st;
	if (--f->hosts_left > 0)
		return;
	/* In MX order, as a sequential evaluation would have met them. */
	for (i = 0; i < f->hosts.n; i++) {
		if (f->host_state[i] == HOST_MATCH) {
			frame_match(f, t);
			return;
		}
		if (f->host_state[i] == HOST_ERROR) {
			where = frame_where(f);
			eval_abort(ev, SPF_TEMPERROR, "%s: cannot look up the "
			    "address of MX host %s%s", t->text,
			    f->hosts.v[i], where);
			free(where);
			return;
		}
	}
	frame_next(f);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_rr *x = *(const struct dns_rr *const *)a;
	const struct dns_rr *y = *(const struct dns_rr *const *)b;

	return x->pref < y->pref ? -1 : x->pref > y->pref;
}

/* mx: the MX records of the target. */
static void
mx_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_frame *f = q->f;
	struct spf_eval *ev = f->ev;
	const struct spf_term *t = &f->rec->terms[f->next];
	const struct dns_rr **mx;
	char *where;
	size_t i, n = 0;

	if (answer_void(a)) {
		if (frame_void(f, t) == 0)
			frame_next(f);
		return;
	}
	where = frame_where(f);
	if (a->status != DNS_OK) {
		eval_abort(ev, SPF_TEMPERROR, "%s: looking up MX %s: %s%s",
		    t->text, a->name, answer_error(a), where);
		free(where);
		return;
	}
	mx = xcalloc(a->nrrs, sizeof *mx);
	for (i = 0; i < a->nrrs; i++)
		if (a->rrs[i].type == DNS_T_MX && a->rrs[i].text != NULL)
			mx[n++] = &a->rrs[i];
	if (n > SPF_MAX_MX) {
		eval_abort(ev, SPF_PERMERROR, "%s: %s has %zu MX records, "
		    "more than %d (RFC 7208 4.6.4)%s", t->text, a->name, n,
		    SPF_MAX_MX, where);
		free(mx);
		free(where);
		return;
	}
	free(where);
	qsort(mx, n, sizeof *mx, mx_cmp);
	strv_free(&f->hosts);
	for (i = 0; i < n; i++)
		/* RFC 7208 asks any visible name ("foo:bar/baz"), but none
		 * holding an escaped byte (\DDD): it would be another name. */
		if (strcmp(mx[i]->text, ".") != 0 && name_ok(mx[i]->text))
			strv_add(&f->hosts, mx[i]->text);
	free(mx);
	if (f->hosts.n == 0) {
		frame_next(f);
		return;
	}
	free(f->host_state);
	f->host_state = xcalloc(f->hosts.n, sizeof *f->host_state);
	f->hosts_left = f->hosts.n;
	for (i = 0; i < f->hosts.n; i++)
		eval_query(ev, f, f->hosts.v[i], ev->ip.v6 ? DNS_T_AAAA :
		    DNS_T_A, i, mx_host_cb);
}

/* The validated names are known: resume whoever waited. */
static void
ptr_done(struct spf_eval *ev)
{
	ev->ptr.state = PTR_DONE;
	if (ev->phase == PH_EVAL)
		frame_run(ev->cur);
	else
		exp_run(ev);
}

/* One PTR name's addresses: does it lead back to the client? */
static void
ptr_a_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_eval *ev = q->ev;
	size_t i;

	if (a->status == DNS_OK)
		for (i = 0; i < a->nrrs; i++)
			if (a->rrs[i].type == (ev->ip.v6 ? DNS_T_AAAA :
			    DNS_T_A) && text_match(&ev->ip, a->rrs[i].text,
			    ev->ip.v6 ? 128 : 32))
				ev->ptr.valid[q->idx] = 1;
	if (--ev->ptr.left == 0)
		ptr_done(ev);
}

/* The PTR answer: check the first 10 names (section 5.5); errors mean no
 * names, they are not temperrors. */
static void
ptr_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_eval *ev = q->ev;
	size_t i;

	ev->ptr.status = a->status;
	if (a->status == DNS_OK)
		for (i = 0; i < a->nrrs && ev->ptr.names.n < SPF_MAX_PTR; i++)
			if (a->rrs[i].type == DNS_T_PTR &&
			    a->rrs[i].text != NULL && name_ok(a->rrs[i].text))
				strv_add(&ev->ptr.names, a->rrs[i].text);
	if (ev->ptr.names.n == 0) {
		ptr_done(ev);
		return;
	}
	ev->ptr.valid = xcalloc(ev->ptr.names.n, sizeof *ev->ptr.valid);
	ev->ptr.left = ev->ptr.names.n;
	for (i = 0; i < ev->ptr.names.n; i++)
		eval_query(ev, NULL, ev->ptr.names.v[i], ev->ip.v6 ?
		    DNS_T_AAAA : DNS_T_A, i, ptr_a_cb);
}

/* Find the validated names; the caller returns and is resumed. */
static void
ptr_start(struct spf_eval *ev)
{
	char *name;

	ev->ptr.state = PTR_RUNNING;
	name = ip_reverse(&ev->ip);
	eval_query(ev, NULL, name, DNS_T_PTR, 0, ptr_cb);
	free(name);
}

/* ptr: does a validated name end in the target? */
static int
ptr_match(struct spf_eval *ev, const char *target)
{
	size_t i, len, n = strlen(target);
	const char *name;

	for (i = 0; i < ev->ptr.names.n; i++) {
		if (!ev->ptr.valid[i])
			continue;
		name = ev->ptr.names.v[i];
		len = strlen(name);
		if (strcasecmp(name, target) == 0 || (len > n &&
		    name[len - n - 1] == '.' &&
		    strcasecmp(name + len - n, target) == 0))
			return 1;
	}
	return 0;
}

/* Start a DNS-querying term: 1 when the frame now waits (or the evaluation
 * ended), 0 when the term does not match. */
static int
term_start(struct spf_frame *f, const struct spf_term *t)
{
	struct spf_eval *ev = f->ev;
	struct spf_frame *child;

	if (frame_charge(f, t) != 0)
		return 1;
	if ((t->need_p || t->kind == K_PTR) && ev->ptr.state != PTR_DONE) {
		if (ev->ptr.state == PTR_IDLE)
			ptr_start(ev);
		return 1;
	}
	free(f->target);
	f->target = frame_target(f, t->spec);
	if (t->kind == K_INCLUDE) {
		child = frame_new(ev, f, HOW_INCLUDE, f->target);
		if (t->qual != '+') {
			free(child->via);
			child->via = xasprintf("%cinclude:%s", t->qual,
			    f->target);
		}
		frame_fetch(child);
		return 1;
	}
	if (!name_ok(f->target))
		return 0;	/* treated as a name that does not exist */
	switch (t->kind) {
	case K_A:
		eval_query(ev, f, f->target, ev->ip.v6 ? DNS_T_AAAA : DNS_T_A,
		    0, a_cb);
		return 1;
	case K_MX:
		eval_query(ev, f, f->target, DNS_T_MX, 0, mx_cb);
		return 1;
	case K_EXISTS:
		eval_query(ev, f, f->target, DNS_T_A, 0, exists_cb);
		return 1;
	case K_PTR:
		if ((ev->ptr.status == DNS_NXDOMAIN ||
		    ev->ptr.status == DNS_NODATA) && frame_void(f, t) != 0)
			return 1;
		if (ptr_match(ev, f->target)) {
			frame_match(f, t);
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

/* The end of the record: redirect=, else neutral (section 4.7). */
static void
frame_end(struct spf_frame *f)
{
	struct spf_eval *ev = f->ev;
	const struct spf_term *t = f->rec->redirect;
	struct spf_frame *child;

	if (t == NULL) {
		f->why_term = NULL;
		f->why_frame = f;
		f->exp_frame = f;
		frame_done(f, SPF_NEUTRAL, NULL);
		return;
	}
	if (frame_charge(f, t) != 0)
		return;
	if (t->need_p && ev->ptr.state != PTR_DONE) {
		if (ev->ptr.state == PTR_IDLE)
			ptr_start(ev);
		return;
	}
	free(f->target);
	f->target = frame_target(f, t->spec);
	child = frame_new(ev, f, HOW_REDIRECT, f->target);
	frame_fetch(child);
}

/* Evaluate terms from f->next until one waits for DNS or decides. */
static void
frame_run(struct spf_frame *f)
{
	struct spf_eval *ev = f->ev;
	const struct spf_term *t;
	int match;

	ev->cur = f;
	for (; f->next < f->rec->nterms; f->next++) {
		t = &f->rec->terms[f->next];
		switch (t->kind) {
		case K_ALL:
			frame_match(f, t);
			return;
		case K_IP4:
		case K_IP6:
			match = (t->kind == K_IP6) == ev->ip.v6 &&
			    prefix_match(t->addr, ev->ip.a, ev->ip.v6 ?
			    t->cidr6 : t->cidr4);
			if (match) {
				frame_match(f, t);
				return;
			}
			break;
		case K_REDIRECT:
		case K_EXP:
		case K_UNKNOWN:
			break;
		default:
			if (term_start(f, t))
				return;
			free(f->target);
			f->target = NULL;
			break;
		}
	}
	frame_end(f);
}

/* The explanation of a fail (section 6.2): any problem means the default. */
static void
exp_default(struct spf_eval *ev)
{
	free(ev->explanation);
	ev->explanation = xasprintf("%s is not allowed to send mail for %s "
	    "(%s)", ev->ip.c, ev->domain, ev->why);
	eval_deliver(ev);
}

static void
exp_txt_cb(struct spf_q *q, const struct dns_answer *a)
{
	struct spf_eval *ev = q->ev;
	const struct dns_rr *rr = NULL;
	size_t i, n = 0, last;

	if (a->status != DNS_OK) {
		exp_default(ev);
		return;
	}
	for (i = 0; i < a->nrrs; i++)
		if (a->rrs[i].type == DNS_T_TXT && a->rrs[i].text != NULL) {
			rr = &a->rrs[i];
			n++;
		}
	if (n != 1 || strlen(rr->text) != rr->len ||
	    macro_check(rr->text, rr->len, 1, &last, NULL) != 0) {
		exp_default(ev);
		return;
	}
	ev->exp_text = xstrdup(rr->text);
	ev->exp_step = 1;
	exp_run(ev);
}

/* Look up and expand the exp= of the record that failed. */
static void
exp_run(struct spf_eval *ev)
{
	struct spf_frame *f = ev->expf;
	const struct spf_term *t;
	struct spf_env env;
	struct buf b;
	char *target;

	if (f == NULL || f->rec == NULL || (t = f->rec->exp) == NULL) {
		exp_default(ev);
		return;
	}
	if (ev->exp_step == 0) {
		if (t->need_p && ev->ptr.state != PTR_DONE) {
			if (ev->ptr.state == PTR_IDLE)
				ptr_start(ev);
			return;
		}
		target = frame_target(f, t->spec);
		if (!name_ok(target)) {
			free(target);
			exp_default(ev);
			return;
		}
		eval_query(ev, f, target, DNS_T_TXT, 0, exp_txt_cb);
		free(target);
		return;
	}
	if (uses_p(ev->exp_text) && ev->ptr.state != PTR_DONE) {
		if (ev->ptr.state == PTR_IDLE)
			ptr_start(ev);
		return;
	}
	eval_env(ev, f->domain, &env);
	buf_init(&b);
	macro_expand(&env, ev->exp_text, &b);
	free(ev->explanation);
	ev->explanation = buf_steal(&b);
	eval_deliver(ev);
}

void
spf_check(struct dns *dns, const struct spf_request *req, spf_cb cb,
    void *arg)
{
	struct spf_eval *ev = xcalloc(1, sizeof *ev);
	struct spf_frame *top;
	const char *at;

	ev->dns = dns;
	ev->query = req->query;
	ev->query_arg = req->query_arg;
	ev->cb = cb;
	ev->arg = arg;
	ev->phase = PH_EVAL;
	ev->domain = xstrdup(req->domain != NULL ? req->domain : "");
	while (ev->domain[0] != '\0' &&
	    ev->domain[strlen(ev->domain) - 1] == '.' &&
	    strlen(ev->domain) > 1)
		ev->domain[strlen(ev->domain) - 1] = '\0';
	ev->ip_ok = ip_set(&ev->ip, req->ip) == 0;
	if (!ev->ip_ok)
		snprintf(ev->ip.c, sizeof ev->ip.c, "%.*s",
		    (int)sizeof ev->ip.c - 1, req->ip != NULL ? req->ip : "");
	/* Section 4.3: no local-part means "postmaster". */
	if (req->sender == NULL || *req->sender == '\0')
		ev->sender = xasprintf("postmaster@%s", ev->domain);
	else if ((at = strrchr(req->sender, '@')) == NULL)
		ev->sender = xasprintf("postmaster@%s", req->sender);
	else if (at == req->sender)
		ev->sender = xasprintf("postmaster%s", req->sender);
	else
		ev->sender = xstrdup(req->sender);
	at = strrchr(ev->sender, '@');
	ev->local = xstrndup(ev->sender, (size_t)(at - ev->sender));
	ev->odomain = xstrdup(at + 1);
	ev->helo = xstrdup(req->helo != NULL ? req->helo : ev->domain);
	ev->receiver = xstrdup(req->receiver != NULL ? req->receiver :
	    "unknown");
	snprintf(ev->t, sizeof ev->t, "%lld", (long long)time(NULL));
	top = frame_new(ev, NULL, HOW_TOP, ev->domain);
	frame_fetch(top);
}
