/* zone.c: master-format zone files read into records kept in wire form
 * (owner and RDATA as a DNS server would send them), and response messages
 * made from those records. */
#include "core/dns/zone.h"

#include <sys/stat.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/dns/dns.h"
#include "core/lib/util.h"

#define ZONE_NAME_WIRE	255	/* RFC 1035 2.3.4 */
#define ZONE_MAX_CNAMES	16	/* hops followed in one answer */
#define ZONE_MSG_MAX	65535
#define ZONE_QUOTE_MAX	40	/* bytes of a bad token quoted in a message */
#define ZONE_T_DNAME	39	/* RFC 6672; only this file answers it */

/* One record: owner and RDATA in wire form, names in lower case. */
struct zone_rr {
	unsigned char	*owner;
	size_t		 olen;
	int		 type;		/* 0: another type, not read */
	unsigned	 ttl;
	unsigned char	*rdata;
	size_t		 rdlen;
};

/* A zone: its apex and the index of its SOA. */
struct zone_apex {
	unsigned char	*name;
	size_t		 len;
	size_t		 soa;
	char		*file;
};

struct zone_set {
	struct zone_rr	*rrs;
	size_t		 nrrs;
	size_t		 ndnames;	/* DNAMEs among them */
	struct zone_apex *zones;
	size_t		 nzones;
};

/* A token of an entry: raw text (escapes still in it) inside the file. */
struct ztok {
	const char	*s;
	size_t		 n;
	int		 quoted;
};

/* The state of reading one file. */
struct zparse {
	struct zone_set	*zs;
	const char	*file;
	const char	*p, *end;
	unsigned	 line;		/* the line p is on */
	unsigned	 eline;		/* the line the entry began on */
	struct ztok	*toks;
	size_t		 ntoks;
	int		 indented;	/* the entry begins with blank space */
	unsigned char	 origin[ZONE_NAME_WIRE];
	size_t		 olen;
	unsigned char	 owner[ZONE_NAME_WIRE];	/* the previous owner */
	size_t		 ownlen;
	int		 have_ttl;
	unsigned	 ttl;		/* $TTL or the last TTL given */
	size_t		 apex;		/* index of the file's zone, or -1 */
	size_t		 first;		/* the file's first record */
	char		**cause;
};

static const struct {
	const char	*name;
	int		 type;
} zone_types[] = {
	{ "A", DNS_T_A }, { "NS", DNS_T_NS }, { "CNAME", DNS_T_CNAME },
	{ "SOA", DNS_T_SOA }, { "PTR", DNS_T_PTR }, { "MX", DNS_T_MX },
	{ "TXT", DNS_T_TXT }, { "AAAA", DNS_T_AAAA }, { "SPF", DNS_T_SPF },
	{ "DNAME", ZONE_T_DNAME },
};

/* Types that make a name exist but are not read. */
static const char *const zone_other_types[] = {
	"AFSDB", "APL", "CAA", "CDNSKEY", "CDS", "CERT", "CSYNC", "DHCID",
	"DNSKEY", "DS", "EUI48", "EUI64", "HINFO", "HTTPS",
	"IPSECKEY", "KEY", "KX", "LOC", "MINFO", "NAPTR", "NSEC", "NSEC3",
	"NSEC3PARAM", "NULL", "OPENPGPKEY", "RP", "RRSIG", "SIG", "SMIMEA",
	"SRV", "SSHFP", "SVCB", "TLSA", "URI", "WKS", "ZONEMD",
};

/* An error at the entry's line; always -1. */
static int PRINTFLIKE(2, 3)
zerr(struct zparse *zp, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_set(zp->cause, "%s:%u: %s", zp->file, zp->eline, msg);
	free(msg);
	return -1;
}

/* A token quoted safely in a message (caller frees). */
static char *
ztok_quote(const struct ztok *t)
{
	size_t n = t->n > ZONE_QUOTE_MAX ? ZONE_QUOTE_MAX : t->n;
	char *safe = str_sanitize(t->s, n), *q;

	q = xasprintf("\"%s%s\"", safe, n < t->n ? "..." : "");
	free(safe);
	return q;
}

/* ---- reading entries ----------------------------------------------- */

static void
ztok_add(struct zparse *zp, const char *s, size_t n, int quoted)
{
	zp->toks = xgrow(zp->toks, zp->ntoks, sizeof *zp->toks);
	zp->toks[zp->ntoks].s = s;
	zp->toks[zp->ntoks].n = n;
	zp->toks[zp->ntoks].quoted = quoted;
	zp->ntoks++;
}

/* Is c a byte a zone file may not hold? */
static int
zone_badbyte(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
}

/* A quoted string from just after its '"'; 0 or -1. */
static int
entry_quoted(struct zparse *zp)
{
	const char *s = zp->p;

	while (zp->p < zp->end && *zp->p != '"') {
		if (zone_badbyte((unsigned char)*zp->p))
			return zerr(zp, "control byte \\%03u in a quoted "
			    "string", (unsigned char)*zp->p);
		if (*zp->p == '\n')
			return zerr(zp, "a quoted string is not closed on "
			    "its line (a \" is missing)");
		if (*zp->p == '\\' && zp->p + 1 < zp->end &&
		    zp->p[1] != '\n')
			zp->p++;
		zp->p++;
	}
	if (zp->p >= zp->end)
		return zerr(zp, "a quoted string is not closed (a \" is "
		    "missing)");
	ztok_add(zp, s, (size_t)(zp->p - s), 1);
	zp->p++;
	return 0;
}

/*
 * The next entry (a record or directive, over all the lines its
 * parentheses join) into zp->toks: 1, 0 at the end, -1 on an error.
 */
static int
entry_read(struct zparse *zp)
{
	const char *s, *start = zp->p;
	unsigned depth = 0, popen = 0;
	int bol = 1;

	zp->ntoks = 0;
	for (;;) {
		if (bol) {
			zp->eline = zp->line;
			zp->indented = zp->p < zp->end &&
			    (*zp->p == ' ' || *zp->p == '\t');
			bol = 0;
		}
		while (zp->p < zp->end && *zp->p != '\n') {
			if (zone_badbyte((unsigned char)*zp->p))
				return zerr(zp, "control byte \\%03u in the "
				    "file", (unsigned char)*zp->p);
			if ((size_t)(zp->p - start) > ZONE_ENTRY_MAX)
				return zerr(zp, "an entry longer than %u "
				    "bytes", ZONE_ENTRY_MAX);
			switch (*zp->p) {
			case ' ':
			case '\t':
			case '\r':
				zp->p++;
				continue;
			case ';':
				while (zp->p < zp->end && *zp->p != '\n') {
					if (zone_badbyte((unsigned char)
					    *zp->p))
						return zerr(zp, "control byte "
						    "\\%03u in a comment",
						    (unsigned char)*zp->p);
					zp->p++;
				}
				continue;
			case '(':
				if (depth++ > 0)
					return zerr(zp, "parentheses inside "
					    "parentheses");
				popen = zp->line;
				zp->p++;
				continue;
			case ')':
				if (depth == 0)
					return zerr(zp, "a ) without its (");
				depth--;
				zp->p++;
				continue;
			case '"':
				zp->p++;
				if (entry_quoted(zp) != 0)
					return -1;
				continue;
			}
			s = zp->p;
			while (zp->p < zp->end && strchr(" \t\r\n;()\"",
			    *zp->p) == NULL) {
				if (zone_badbyte((unsigned char)*zp->p))
					return zerr(zp, "control byte \\%03u "
					    "in the file", (unsigned char)*zp->p);
				if (*zp->p == '\\' && zp->p + 1 < zp->end &&
				    zp->p[1] != '\n')
					zp->p++;
				zp->p++;
			}
			ztok_add(zp, s, (size_t)(zp->p - s), 0);
			if ((size_t)(zp->p - start) > ZONE_ENTRY_MAX)
				return zerr(zp, "an entry longer than %u "
				    "bytes", ZONE_ENTRY_MAX);
		}
		if (zp->p >= zp->end) {
			if (depth > 0)
				return zerr(zp, "the ( of line %u is never "
				    "closed", popen);
			return zp->ntoks > 0;
		}
		zp->p++;	/* the newline */
		zp->line++;
		if (depth > 0) {
			if ((size_t)(zp->p - start) > ZONE_ENTRY_MAX)
				return zerr(zp, "an entry longer than %u "
				    "bytes", ZONE_ENTRY_MAX);
			continue;
		}
		if (zp->ntoks > 0)
			return 1;
		bol = 1;
		start = zp->p;	/* a blank line: the entry starts later */
	}
}

/* ---- names, numbers, strings --------------------------------------- */

/* The byte an escape at s (just after the backslash; n bytes left)
 * stands for, and how many bytes it took; -1 when it is bad. */
static int
zone_escape(const char *s, size_t n, size_t *used)
{
	unsigned v;

	if (n == 0)
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		if (n < 3 || s[1] < '0' || s[1] > '9' || s[2] < '0' ||
		    s[2] > '9')
			return -1;
		v = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
		    (unsigned)(s[2] - '0');
		if (v > 255)
			return -1;
		*used = 3;
		return (int)v;
	}
	*used = 1;
	return (unsigned char)s[0];
}

/*
 * A domain name in zone-file form into wire form (lower case) in out; a
 * relative name gets the origin.  NULL, or why it is not a name.
 */
static const char *
zone_name(const struct ztok *t, const unsigned char *origin, size_t olen,
    unsigned char *out, size_t *outlen)
{
	size_t i = 0, o = 0, lab = 0, used;
	int c, absolute = 0;

	if (t->quoted)
		return "a name cannot be quoted";
	if (t->n == 1 && t->s[0] == '@') {
		if (olen == 0)
			return "@ with no origin ($ORIGIN)";
		memcpy(out, origin, olen);
		*outlen = olen;
		return NULL;
	}
	if (t->n == 1 && t->s[0] == '.') {
		out[0] = 0;
		*outlen = 1;
		return NULL;
	}
	out[o++] = 0;	/* the first label's length */
	while (i < t->n) {
		c = (unsigned char)t->s[i++];
		if (c == '.') {
			if (out[lab] == 0)
				return "an empty label (two dots, or a dot "
				    "first)";
			if (i == t->n) {
				absolute = 1;
				break;
			}
			if (o + 1 >= ZONE_NAME_WIRE)
				return "longer than 255 bytes";
			lab = o;
			out[o++] = 0;
			continue;
		}
		if (c == '\\') {
			if ((c = zone_escape(t->s + i, t->n - i, &used)) < 0)
				return "a bad \\ escape (\\DDD is at most "
				    "\\255)";
			i += used;
		}
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (out[lab] == 63)
			return "a label longer than 63 bytes";
		if (o + 1 >= ZONE_NAME_WIRE)
			return "longer than 255 bytes";
		out[lab]++;
		out[o++] = (unsigned char)c;
	}
	if (!absolute) {
		if (olen == 0)
			return "a relative name with no origin ($ORIGIN)";
		if (o + olen > ZONE_NAME_WIRE)
			return "longer than 255 bytes with the origin";
		memcpy(out + o, origin, olen);
		o += olen;
	} else
		out[o++] = 0;
	*outlen = o;
	return NULL;
}

/* A number 0..max, or a TTL with units (1w2d3h4m5s) when units; 0/-1. */
static int
zone_number(const struct ztok *t, int units, uint32_t max, uint32_t *out)
{
	uint64_t total = 0, v;
	size_t i = 0;
	int any;

	if (t->quoted || t->n == 0)
		return -1;
	while (i < t->n) {
		for (v = 0, any = 0; i < t->n && t->s[i] >= '0' &&
		    t->s[i] <= '9'; i++, any = 1)
			if ((v = v * 10 + (uint64_t)(t->s[i] - '0')) > max)
				return -1;
		if (!any)
			return -1;
		if (i < t->n) {
			if (!units)
				return -1;
			switch (t->s[i++] | 0x20) {
			case 'w': v *= 604800; break;
			case 'd': v *= 86400; break;
			case 'h': v *= 3600; break;
			case 'm': v *= 60; break;
			case 's': break;
			default: return -1;
			}
		} else if (total > 0 && units)
			return -1;	/* "1h30": a unit is missing */
		if ((total += v) > max)
			return -1;
	}
	*out = (uint32_t)total;
	return 0;
}

/* A character-string (escapes decoded) appended to rdata; 0 or -1. */
static int
zone_string(const struct ztok *t, struct buf *rdata)
{
	unsigned char s[256];
	size_t i = 0, n = 0, used;
	int c;

	while (i < t->n) {
		c = (unsigned char)t->s[i++];
		if (c == '\\') {
			if ((c = zone_escape(t->s + i, t->n - i, &used)) < 0)
				return -1;
			i += used;
		}
		if (n == 255)
			return -1;
		s[++n] = (unsigned char)c;
	}
	s[0] = (unsigned char)n;
	buf_add(rdata, s, n + 1);
	return 0;
}

/* ---- records ------------------------------------------------------- */

/* Is name (wire) at or under zone (wire)? */
static int
wire_under(const unsigned char *name, size_t nlen, const unsigned char *zone,
    size_t zlen)
{
	size_t off = 0;

	while (off < nlen) {
		if (nlen - off == zlen && memcmp(name + off, zone, zlen) == 0)
			return 1;
		if (name[off] == 0)
			break;
		off += (size_t)name[off] + 1;
	}
	return 0;
}

static int
wire_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* The mnemonic of a type read. */
static const char *
zone_type_name(int type)
{
	size_t i;

	for (i = 0; i < sizeof zone_types / sizeof zone_types[0]; i++)
		if (zone_types[i].type == type)
			return zone_types[i].name;
	return "?";
}

/* The type a mnemonic names (0: one not read); -1 when unknown. */
static int
zone_type(const struct ztok *t)
{
	size_t i;

	if (t->quoted)
		return -1;
	for (i = 0; i < sizeof zone_types / sizeof zone_types[0]; i++)
		if (strlen(zone_types[i].name) == t->n &&
		    strncasecmp(t->s, zone_types[i].name, t->n) == 0)
			return zone_types[i].type;
	for (i = 0; i < sizeof zone_other_types / sizeof *zone_other_types;
	    i++)
		if (strlen(zone_other_types[i]) == t->n &&
		    strncasecmp(t->s, zone_other_types[i], t->n) == 0)
			return 0;
	if (t->n <= 4 || t->n > 9 || strncasecmp(t->s, "TYPE", 4) != 0)
		return -1;
	for (i = 4; i < t->n; i++)	/* TYPE65534 (RFC 3597) */
		if (t->s[i] < '0' || t->s[i] > '9')
			return -1;
	return 0;
}

/* Append a name token's wire form to rdata; 0 or -1. */
static int
rdata_name(struct zparse *zp, const struct ztok *t, struct buf *rdata)
{
	unsigned char w[ZONE_NAME_WIRE];
	const char *why;
	char *q;
	size_t n;

	if ((why = zone_name(t, zp->origin, zp->olen, w, &n)) != NULL) {
		q = ztok_quote(t);
		zerr(zp, "%s is not a domain name: %s", q, why);
		free(q);
		return -1;
	}
	buf_add(rdata, w, n);
	return 0;
}

/* Append a 16- or 32-bit number to rdata. */
static void
rdata_num(struct buf *rdata, uint32_t v, int bytes)
{
	unsigned char b[4] = { (unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v };

	buf_add(rdata, b + 4 - bytes, (size_t)bytes);
}

/* The RDATA of one record from tokens t[0..n); 0 or -1. */
static int
rdata_parse(struct zparse *zp, int type, const struct ztok *t, size_t n,
    struct buf *rdata)
{
	const char *tname = zone_type_name(type);
	unsigned char addr[16];
	uint32_t v;
	char *s, *q;
	size_t i;
	int r;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (n != 1)
			return zerr(zp, "%s takes one address", tname);
		s = xstrndup(t[0].s, t[0].n);
		r = inet_pton(type == DNS_T_A ? AF_INET : AF_INET6, s, addr);
		free(s);
		if (r != 1 || t[0].quoted) {
			q = ztok_quote(&t[0]);
			zerr(zp, "%s is not an IPv%c address", q,
			    type == DNS_T_A ? '4' : '6');
			free(q);
			return -1;
		}
		buf_add(rdata, addr, type == DNS_T_A ? 4 : 16);
		return 0;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case ZONE_T_DNAME:
		if (n != 1)
			return zerr(zp, "%s takes one host name", tname);
		return rdata_name(zp, &t[0], rdata);
	case DNS_T_MX:
		if (n != 2)
			return zerr(zp, "MX takes PREFERENCE HOST");
		if (zone_number(&t[0], 0, 65535, &v) != 0)
			return zerr(zp, "the MX preference is not a number "
			    "from 0 to 65535");
		rdata_num(rdata, v, 2);
		return rdata_name(zp, &t[1], rdata);
	case DNS_T_TXT:
	case DNS_T_SPF:
		if (n == 0)
			return zerr(zp, "%s takes at least one string", tname);
		for (i = 0; i < n; i++)
			if (zone_string(&t[i], rdata) != 0)
				return zerr(zp, "string %zu of the %s record is "
				    "longer than 255 bytes or has a bad \\ "
				    "escape: split it into \"...\" \"...\"",
				    i + 1, tname);
		if (rdata->len > 65535)
			return zerr(zp, "the %s record is longer than 65535 "
			    "bytes", tname);
		return 0;
	case DNS_T_SOA:
		if (n != 7)
			return zerr(zp, "SOA takes MNAME RNAME SERIAL REFRESH "
			    "RETRY EXPIRE MINIMUM");
		if (rdata_name(zp, &t[0], rdata) != 0 ||
		    rdata_name(zp, &t[1], rdata) != 0)
			return -1;
		for (i = 2; i < 7; i++) {
			if (zone_number(&t[i], i > 2, UINT32_MAX, &v) != 0)
				return zerr(zp, "SOA field %zu is not a "
				    "number", i + 1);
			rdata_num(rdata, v, 4);
		}
		return 0;
	}
	return 0;	/* a type not read */
}

/* Keep one record. */
static void
zone_add(struct zone_set *zs, const unsigned char *owner, size_t olen,
    int type, unsigned ttl, struct buf *rdata)
{
	struct zone_rr *rr;

	zs->rrs = xgrow(zs->rrs, zs->nrrs, sizeof *zs->rrs);
	rr = &zs->rrs[zs->nrrs++];
	rr->owner = xmalloc(olen);
	memcpy(rr->owner, owner, olen);
	rr->olen = olen;
	rr->type = type;
	if (type == ZONE_T_DNAME)
		zs->ndnames++;
	rr->ttl = ttl;
	rr->rdlen = rdata->len;
	rr->rdata = xmalloc(rdata->len > 0 ? rdata->len : 1);
	if (rdata->len > 0)
		memcpy(rr->rdata, rdata->data, rdata->len);
}

/* The wire name as text, for messages (caller frees). */
static char *
wire_text(const unsigned char *w, size_t len)
{
	struct buf b;
	size_t off = 0;
	char *safe;

	buf_init(&b);
	while (off < len && w[off] != 0) {
		safe = str_sanitize((const char *)w + off + 1, w[off]);
		buf_printf(&b, "%s.", safe);
		free(safe);
		off += (size_t)w[off] + 1;
	}
	if (b.len == 0)
		buf_addc(&b, '.');
	return buf_steal(&b);
}

/* Make the file's first record, an SOA, its zone's apex; 0 or -1. */
static int
zone_apex_add(struct zparse *zp, const unsigned char *owner, size_t olen)
{
	struct zone_set *zs = zp->zs;
	struct zone_apex *z;
	char *name;
	size_t i;

	for (i = 0; i < zs->nzones; i++) {
		if (!wire_eq(zs->zones[i].name, zs->zones[i].len, owner, olen))
			continue;
		name = wire_text(owner, olen);
		zerr(zp, "the zone %s is already loaded from %s", name,
		    zs->zones[i].file);
		free(name);
		return -1;
	}
	zs->zones = xgrow(zs->zones, zs->nzones, sizeof *zs->zones);
	z = &zs->zones[zs->nzones];
	z->name = xmalloc(olen);
	memcpy(z->name, owner, olen);
	z->len = olen;
	z->soa = zs->nrrs;
	z->file = xstrdup(zp->file);
	zp->apex = zs->nzones++;
	return 0;
}

/* A $ directive; 0 or -1. */
static int
zone_directive(struct zparse *zp)
{
	const struct ztok *t = zp->toks;
	unsigned char w[ZONE_NAME_WIRE];
	const char *why;
	uint32_t v;
	size_t n;

	if (t[0].n == 7 && strncasecmp(t[0].s, "$ORIGIN", 7) == 0) {
		if (zp->ntoks != 2)
			return zerr(zp, "$ORIGIN takes one name");
		if ((why = zone_name(&t[1], zp->origin, zp->olen, w,
		    &n)) != NULL)
			return zerr(zp, "$ORIGIN: %s", why);
		memcpy(zp->origin, w, n);
		zp->olen = n;
		return 0;
	}
	if (t[0].n == 4 && strncasecmp(t[0].s, "$TTL", 4) == 0) {
		if (zp->ntoks != 2 || zone_number(&t[1], 1, 0x7fffffff,
		    &v) != 0)
			return zerr(zp, "$TTL takes one TTL (3600, 1h)");
		zp->ttl = v;
		zp->have_ttl = 1;
		return 0;
	}
	if (t[0].n == 8 && strncasecmp(t[0].s, "$INCLUDE", 8) == 0)
		return zerr(zp, "$INCLUDE is not read: give the included file "
		    "to --zones as well (only the files named are read)");
	return zerr(zp, "unknown directive (only $ORIGIN and $TTL are read)");
}

/* One record entry; 0 or -1. */
static int
zone_record(struct zparse *zp)
{
	const struct ztok *t = zp->toks;
	unsigned char owner[ZONE_NAME_WIRE];
	const char *why;
	struct buf rdata;
	uint32_t v;
	size_t i = 0, olen, k;
	char *q, *name, *apex;
	int type, ttl_given = 0, class_given = 0, rc = -1;
	unsigned ttl = zp->ttl;

	if (!zp->indented) {
		if ((why = zone_name(&t[0], zp->origin, zp->olen, owner,
		    &olen)) != NULL) {
			q = ztok_quote(&t[0]);
			zerr(zp, "the owner %s is not a domain name: %s", q,
			    why);
			free(q);
			return -1;
		}
		i = 1;
	} else {
		if (zp->ownlen == 0)
			return zerr(zp, "a record without an owner name and "
			    "no record before it");
		memcpy(owner, zp->owner, zp->ownlen);
		olen = zp->ownlen;
	}
	for (k = 0; k < 2 && i < zp->ntoks; k++) {
		if (!ttl_given && !t[i].quoted && t[i].s[0] >= '0' &&
		    t[i].s[0] <= '9') {
			if (zone_number(&t[i], 1, 0x7fffffff, &v) != 0)
				return zerr(zp, "a bad TTL (a number of "
				    "seconds, or 1h30m)");
			ttl = v;
			ttl_given = 1;
			i++;
		} else if (!class_given && t[i].n == 2 &&
		    strncasecmp(t[i].s, "IN", 2) == 0) {
			class_given = 1;
			i++;
		} else if (!class_given && t[i].n == 2 &&
		    (strncasecmp(t[i].s, "CH", 2) == 0 ||
		    strncasecmp(t[i].s, "HS", 2) == 0 ||
		    strncasecmp(t[i].s, "CS", 2) == 0))
			return zerr(zp, "only class IN is read");
	}
	if (i >= zp->ntoks)
		return zerr(zp, "a record without a type");
	if ((type = zone_type(&t[i])) < 0) {
		q = ztok_quote(&t[i]);
		zerr(zp, "unknown record type %s", q);
		free(q);
		return -1;
	}
	if (!ttl_given && !zp->have_ttl)
		return zerr(zp, "no TTL: give $TTL at the top of the file or "
		    "one in the record");
	buf_init(&rdata);
	if (rdata_parse(zp, type, t + i + 1, zp->ntoks - i - 1,
	    &rdata) != 0)
		goto done;
	if (zp->apex == (size_t)-1) {
		if (type != DNS_T_SOA) {
			zerr(zp, "the first record of a zone file must be "
			    "its SOA");
			goto done;
		}
		if (zone_apex_add(zp, owner, olen) != 0)
			goto done;
	} else if (type == DNS_T_SOA) {
		zerr(zp, "a second SOA record: one zone per file");
		goto done;
	} else if (!wire_under(owner, olen, zp->zs->zones[zp->apex].name,
	    zp->zs->zones[zp->apex].len)) {
		name = wire_text(owner, olen);
		apex = wire_text(zp->zs->zones[zp->apex].name,
		    zp->zs->zones[zp->apex].len);
		zerr(zp, "%s is outside the zone %s", name, apex);
		free(name);
		free(apex);
		goto done;
	}
	memcpy(zp->owner, owner, olen);
	zp->ownlen = olen;
	if (ttl_given && !zp->have_ttl)
		zp->ttl = ttl;
	zone_add(zp->zs, owner, olen, type, ttl, &rdata);
	rc = 0;
done:
	buf_free(&rdata);
	return rc;
}

/* RFC 1034 3.6.2: a name with a CNAME has no other record; RFC 6672 2.4:
 * a name has at most one DNAME.  0 or -1. */
static int
zone_cname_alone(struct zparse *zp)
{
	struct zone_set *zs = zp->zs;
	size_t i, j;
	char *name;

	for (i = zp->first; i < zs->nrrs; i++) {
		if (zs->rrs[i].type != DNS_T_CNAME &&
		    zs->rrs[i].type != ZONE_T_DNAME)
			continue;
		for (j = zp->first; j < zs->nrrs; j++) {
			if (j == i || !wire_eq(zs->rrs[i].owner,
			    zs->rrs[i].olen, zs->rrs[j].owner,
			    zs->rrs[j].olen) || (zs->rrs[i].type ==
			    ZONE_T_DNAME && zs->rrs[j].type != ZONE_T_DNAME))
				continue;
			name = wire_text(zs->rrs[i].owner, zs->rrs[i].olen);
			if (zs->rrs[i].type == DNS_T_CNAME)
				error_set(zp->cause, "%s: %s has a CNAME and "
				    "other records (a CNAME must be alone at its "
				    "name)", zp->file, name);
			else
				error_set(zp->cause, "%s: %s has more than one "
				    "DNAME (a name redirects to one place)",
				    zp->file, name);
			free(name);
			return -1;
		}
	}
	return 0;
}

/* Drop the records from index first on (a file that failed). */
static void
zone_truncate(struct zone_set *zs, size_t first, size_t nzones)
{
	while (zs->nrrs > first) {
		zs->nrrs--;
		if (zs->rrs[zs->nrrs].type == ZONE_T_DNAME)
			zs->ndnames--;
		free(zs->rrs[zs->nrrs].owner);
		free(zs->rrs[zs->nrrs].rdata);
	}
	while (zs->nzones > nzones) {
		zs->nzones--;
		free(zs->zones[zs->nzones].name);
		free(zs->zones[zs->nzones].file);
	}
}

/* The initial origin of a file: its name without directory and ".zone". */
static void
zone_file_origin(struct zparse *zp)
{
	const char *base = strrchr(zp->file, '/');
	struct ztok t;
	size_t n;

	base = base != NULL ? base + 1 : zp->file;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".zone") == 0)
		n -= 5;
	t.s = base;
	t.n = n;
	t.quoted = 0;
	zp->olen = 0;
	/* Absolute: "example.org" is the name example.org. */
	if (n == 0 || zone_name(&t, (const unsigned char *)"", 1, zp->origin,
	    &zp->olen) != NULL)
		zp->olen = 0;
}

int
zone_set_parse(struct zone_set *zs, const char *file, const char *text,
    size_t len, char **cause)
{
	struct zparse zp;
	size_t nzones = zs->nzones;
	int r, rc = -1;

	memset(&zp, 0, sizeof zp);
	zp.zs = zs;
	zp.file = file;
	zp.p = text;
	zp.end = text + len;
	zp.line = 1;
	zp.apex = (size_t)-1;
	zp.first = zs->nrrs;
	zp.cause = cause;
	zone_file_origin(&zp);
	while ((r = entry_read(&zp)) == 1) {
		if (!zp.indented && !zp.toks[0].quoted &&
		    zp.toks[0].s[0] == '$')
			r = zone_directive(&zp);
		else
			r = zone_record(&zp);
		if (r != 0)
			goto done;
	}
	if (r < 0)
		goto done;
	if (zp.apex == (size_t)-1) {
		error_set(cause, "%s: no records: a zone file starts with the "
		    "zone's SOA record", file);
		goto done;
	}
	rc = zone_cname_alone(&zp);
done:
	if (rc != 0)
		zone_truncate(zs, zp.first, nzones);
	free(zp.toks);
	return rc;
}

/* ---- files --------------------------------------------------------- */

/* Read one file whole (at most ZONE_FILE_MAX bytes) and parse it. */
static int
zone_load_file(struct zone_set *zs, const char *path, char **cause)
{
	struct stat sb;
	char *text = NULL, *safe = str_sanitize(path, strlen(path));
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		error_set(cause, "%s: %s", safe, strerror(errno));
		goto done;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		error_set(cause, "%s: not a regular file", safe);
		goto done;
	}
	if ((uintmax_t)sb.st_size > ZONE_FILE_MAX) {
		error_set(cause, "%s: larger than %u bytes", safe,
		    ZONE_FILE_MAX);
		goto done;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		n = read(fd, text + len, (size_t)sb.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_set(cause, "%s: %s", safe, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	rc = zone_set_parse(zs, safe, text, len, cause);
done:
	if (fd != -1)
		close(fd);
	free(text);
	free(safe);
	return rc;
}

static int
zone_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
zone_set_load(struct zone_set *zs, const char *path, char **cause)
{
	struct dirent *de;
	struct stat sb;
	struct strv names;
	DIR *d;
	size_t i, n;
	char *file, *safe;
	int rc = 0;

	if (stat(path, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return zone_load_file(zs, path, cause);
	if ((d = opendir(path)) == NULL) {
		safe = str_sanitize(path, strlen(path));
		error_set(cause, "%s: %s", safe, strerror(errno));
		free(safe);
		return -1;
	}
	strv_init(&names);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_name[0] != '.' && n > 5 &&
		    strcmp(de->d_name + n - 5, ".zone") == 0)
			strv_add(&names, de->d_name);
	}
	closedir(d);
	if (names.n == 0) {
		safe = str_sanitize(path, strlen(path));
		rc = error_set(cause, "%s: no *.zone file in the directory",
		    safe);
		free(safe);
	} else
		qsort(names.v, names.n, sizeof *names.v, zone_name_cmp);
	for (i = 0; i < names.n && rc == 0; i++) {
		file = xasprintf("%s/%s", path, names.v[i]);
		rc = zone_load_file(zs, file, cause);
		free(file);
	}
	strv_free(&names);
	return rc;
}

struct zone_set *
zone_set_new(void)
{
	return xcalloc(1, sizeof(struct zone_set));
}

void
zone_set_free(struct zone_set *zs)
{
	if (zs == NULL)
		return;
	zone_truncate(zs, 0, 0);
	free(zs->rrs);
	free(zs->zones);
	free(zs);
}

size_t
zone_set_records(const struct zone_set *zs)
{
	return zs->nrrs;
}

size_t
zone_set_zones(const struct zone_set *zs)
{
	return zs->nzones;
}

/* ---- answers ------------------------------------------------------- */

/* A query name ("\c" stands for c, as the wire parser reads it) into wire
 * form, case kept; 0 or -1. */
static int
query_wire(const char *name, unsigned char *out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t o = 1, lab = 0;
	unsigned char c;

	out[0] = 0;
	while (*p != '\0') {
		c = *p++;
		if (c == '.') {
			if (out[lab] == 0 && !(*p == '\0' && o == 1))
				return -1;
			if (*p == '\0')
				break;
			if (o + 1 >= ZONE_NAME_WIRE)
				return -1;
			lab = o;
			out[o++] = 0;
			continue;
		}
		if (c == '\\' && *p != '\0')
			c = *p++;
		if (out[lab] == 63 || o + 1 >= ZONE_NAME_WIRE)
			return -1;
		out[lab]++;
		out[o++] = c;
	}
	if (out[lab] == 0 && o > 1)
		return -1;
	if (o > 1)
		out[o++] = 0;
	*outlen = o;
	return 0;
}

/* The loaded zone name is in (the longest apex), or NULL. */
static const struct zone_apex *
zone_of(const struct zone_set *zs, const unsigned char *name, size_t len)
{
	const struct zone_apex *best = NULL;
	size_t i;

	for (i = 0; i < zs->nzones; i++)
		if (wire_under(name, len, zs->zones[i].name, zs->zones[i].len) &&
		    (best == NULL || zs->zones[i].len > best->len))
			best = &zs->zones[i];
	return best;
}

/* Does any record own name or a name under it (an empty non-terminal)? */
static int
zone_exists(const struct zone_set *zs, const unsigned char *name, size_t len)
{
	size_t i;

	for (i = 0; i < zs->nrrs; i++)
		if (wire_under(zs->rrs[i].owner, zs->rrs[i].olen, name, len))
			return 1;
	return 0;
}

/* Append a record to the message unless it would pass the size limit. */
static int
msg_rr(struct buf *m, const unsigned char *owner, size_t olen,
    const struct zone_rr *rr)
{
	if (m->len + olen + 10 + rr->rdlen > ZONE_MSG_MAX)
		return 0;
	buf_add(m, owner, olen);
	rdata_num(m, (uint32_t)rr->type, 2);
	rdata_num(m, 1, 2);	/* IN */
	rdata_num(m, rr->ttl, 4);
	rdata_num(m, (uint32_t)rr->rdlen, 2);
	buf_add(m, rr->rdata, rr->rdlen);
	return 1;
}

/* Set a 16-bit header field of the message. */
static void
msg_set16(struct buf *m, size_t off, unsigned v)
{
	((unsigned char *)m->data)[off] = (unsigned char)(v >> 8);
	((unsigned char *)m->data)[off + 1] = (unsigned char)v;
}

/*
 * RFC 6672 3.2: the DNAME owned by a proper ancestor of name inside zone
 * z, the one nearest the apex (a DNAME hides everything under it), or
 * NULL.  Its owner is the last olen bytes of name.
 */
static const struct zone_rr *
zone_dname(const struct zone_set *zs, const struct zone_apex *z,
    const unsigned char *name, size_t len)
{
	size_t offs[ZONE_NAME_WIRE / 2], n = 0, off = 0, i, k;

	if (zs->ndnames == 0)
		return NULL;
	while (off < len && name[off] != 0) {	/* each label's start */
		offs[n++] = off;
		off += (size_t)name[off] + 1;
	}
	for (k = n; k-- > 1;) {		/* proper ancestors, apex first */
		if (len - offs[k] < z->len)
			continue;	/* above the zone */
		for (i = 0; i < zs->nrrs; i++)
			if (zs->rrs[i].type == ZONE_T_DNAME &&
			    wire_eq(zs->rrs[i].owner, zs->rrs[i].olen,
			    name + offs[k], len - offs[k]))
				return &zs->rrs[i];
	}
	return NULL;
}

/*
 * RFC 4592 3.3.1: for a name that does not exist in zone z, its source of
 * synthesis, "*." and its closest encloser (the nearest ancestor that
 * exists, an empty non-terminal included), into src.  No wildcard matches
 * a name that exists, or one under a name that exists other than by
 * this rule.
 */
static void
zone_wild_source(const struct zone_set *zs, const struct zone_apex *z,
    const unsigned char *name, size_t len, unsigned char *src, size_t *slen)
{
	size_t off = 0;

	while (name[off] != 0) {
		off += (size_t)name[off] + 1;
		if (len - off <= z->len || zone_exists(zs, name + off,
		    len - off))
			break;
	}
	src[0] = 1;
	src[1] = '*';
	memcpy(src + 2, name + off, len - off);
	*slen = len - off + 2;
}

/*
 * The CNAME a DNAME (owner the last d->olen bytes of cur) synthesizes for
 * cur into out (RFC 6672 2.2: cur's labels above the owner, then the
 * target); -1 when that is longer than a name can be (YXDOMAIN).
 */
static int
zone_dname_target(const struct zone_rr *d, const unsigned char *cur,
    size_t clen, unsigned char *out, size_t *olen)
{
	size_t keep = clen - d->olen;

	if (keep + d->rdlen > ZONE_NAME_WIRE)
		return -1;
	memmove(out, cur, keep);
	memcpy(out + keep, d->rdata, d->rdlen);
	*olen = keep + d->rdlen;
	return 0;
}

int
zone_set_answer(const struct zone_set *zs, const char *name, int type,
    unsigned char **msg, size_t *len)
{
	unsigned char q[ZONE_NAME_WIRE], cur[ZONE_NAME_WIRE];
	unsigned char at[ZONE_NAME_WIRE], next[ZONE_NAME_WIRE];
	const struct zone_apex *z;
	const struct zone_rr *rr, *cname, *dname;
	struct zone_rr synth;
	size_t qlen, clen, alen, nlen, i, an = 0, ns = 0, hops;
	unsigned rcode = 0, found;
	struct buf m;

	if (query_wire(name, q, &qlen) != 0)
		return -1;
	buf_init(&m);
	buf_add(&m, "\0\0\x84\0\0\1\0\0\0\0\0\0", 12);	/* QR AA, QD 1 */
	buf_add(&m, q, qlen);
	rdata_num(&m, (uint32_t)type, 2);
	rdata_num(&m, 1, 2);
	for (i = 0; i < qlen; i++)	/* matched in lower case */
		cur[i] = q[i] >= 'A' && q[i] <= 'Z' ? q[i] + 'a' - 'A' : q[i];
	/* Length bytes are below 64, so lowering never touched them. */
	clen = qlen;
	for (hops = 0; hops <= ZONE_MAX_CNAMES; hops++) {
		if ((z = zone_of(zs, cur, clen)) == NULL) {
			rcode = 3;
			break;
		}
		/* A DNAME above the name: its CNAME, then that name. */
		if ((dname = zone_dname(zs, z, cur, clen)) != NULL) {
			an += (unsigned)msg_rr(&m, dname->owner, dname->olen,
			    dname);
			if (zone_dname_target(dname, cur, clen, next,
			    &nlen) != 0) {
				rcode = 6;	/* YXDOMAIN */
				break;
			}
			memset(&synth, 0, sizeof synth);
			synth.type = DNS_T_CNAME;
			synth.ttl = dname->ttl;
			synth.rdata = next;
			synth.rdlen = nlen;
			an += (unsigned)msg_rr(&m, cur, clen, &synth);
			memcpy(cur, next, nlen);
			clen = nlen;
			if (type == DNS_T_CNAME)
				break;
			continue;
		}
		/* The records of the name, or of the wildcard that stands
		 * for it when it does not exist (owner: the name). */
		memcpy(at, cur, clen);
		alen = clen;
		if (!zone_exists(zs, cur, clen)) {
			zone_wild_source(zs, z, cur, clen, at, &alen);
			if (!zone_exists(zs, at, alen)) {
				rcode = 3;
				ns += (unsigned)msg_rr(&m, z->name, z->len,
				    &zs->rrs[z->soa]);
				break;
			}
		}
		cname = NULL;
		for (i = 0, found = 0; i < zs->nrrs; i++) {
			rr = &zs->rrs[i];
			if (!wire_eq(rr->owner, rr->olen, at, alen))
				continue;
			if (rr->type == type && type != 0)
				found += (unsigned)msg_rr(&m, cur, clen, rr);
			else if (rr->type == DNS_T_CNAME)
				cname = rr;
		}
		an += found;
		if (found > 0)
			break;
		if (cname == NULL || type == DNS_T_CNAME) {
			ns += (unsigned)msg_rr(&m, z->name, z->len,
			    &zs->rrs[z->soa]);
			break;	/* NODATA */
		}
		an += (unsigned)msg_rr(&m, cur, clen, cname);
		memcpy(cur, cname->rdata, cname->rdlen);
		clen = cname->rdlen;
	}
	msg_set16(&m, 2, 0x8400 | rcode);
	msg_set16(&m, 6, (unsigned)an);
	msg_set16(&m, 8, (unsigned)ns);
	*len = m.len;
	*msg = (unsigned char *)buf_steal(&m);
	return 0;
}
