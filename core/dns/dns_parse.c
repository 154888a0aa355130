/* dns_parse.c: DNS response messages read into struct dns_answer: names
 * (compression pointers that only point back), records of the question's
 * type after the CNAMEs inside the answer, RDATA per type, and the negative
 * TTL of RFC 2308. */
#include "core/dns/dns_parse.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/util.h"

#define DNS_MAX_CNAMES	16	/* CNAME hops followed inside one answer */
#define DNS_MAX_RRS	4096	/* records looked at in one section */
#define DNS_NAME_MAX	1024	/* presentation form, escapes included */
#define MALFORMED	"malformed answer: "

/* A record's position in the message. */
struct dns_rrpos {
	size_t		 owner;		/* offset of the owner name */
	int		 type;
	int		 class;
	unsigned	 ttl;
	size_t		 rdata;
	size_t		 rdlen;
};

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Read the (possibly compressed) name at *off into out in presentation
 * form: lower case, no final dot, "." for the root, and '.', '\\' and bytes
 * outside 0x21-0x7e escaped as \DDD or \c.  Pointers must go backwards, so
 * loops cannot happen.  *off moves past the name as stored in place.
 */
static const char *
name_read(const unsigned char *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, o = 0, wire = 1, end = 0, limit = *off;
	unsigned char c;
	unsigned n, i;
	int jumped = 0;

	for (;;) {
		if (pos >= len)
			return MALFORMED "name runs past the end";
		n = msg[pos];
		if ((n & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return MALFORMED "name pointer cut short";
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			n = (n & 0x3f) << 8 | msg[pos + 1];
			if (n >= limit)
				return MALFORMED
				    "name pointer does not point back";
			limit = pos = n;
			continue;
		}
		if ((n & 0xc0) != 0)
			return MALFORMED "unknown label type";
		pos++;
		if (n == 0)
			break;
		if (pos + n > len)
			return MALFORMED "label runs past the end";
		wire += n + 1;
		if (wire > 255)
			return MALFORMED "name longer than 255 bytes";
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < n; i++) {
			c = msg[pos + i];
			if (c >= 'A' && c <= 'Z')
				out[o++] = (char)(c - 'A' + 'a');
			else if (c == '.' || c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c < 0x21 || c > 0x7e) {
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			} else
				out[o++] = (char)c;
		}
		pos += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	*off = jumped ? end : pos;
	return NULL;
}

/*
 * The question name as name_read() prints names: lower case, no final dot,
 * '.' and '\\' inside a label and bytes outside 0x21-0x7e escaped, so that
 * a name holding a space (an SPF macro can make one) still matches its
 * answer.  Escapes in the name ("\\." and "\\c", as c-ares reads them) are
 * taken as the byte they stand for.
 */
static void
name_norm(const char *name, char *out)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t o = 0;
	unsigned char c;

	while (*p != '\0' && o + 5 < DNS_NAME_MAX) {
		c = *p++;
		if (c == '.') {		/* a label separator */
			if (*p != '\0' && o > 0)
				out[o++] = '.';
			continue;
		}
		if (c == '\\' && *p != '\0')
			c = *p++;	/* an escaped byte stands for itself */
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x21 || c > 0x7e) {
			out[o++] = '\\';
			out[o++] = (char)('0' + c / 100);
			out[o++] = (char)('0' + c / 10 % 10);
			out[o++] = (char)('0' + c % 10);
		} else
			out[o++] = (char)c;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
}

/* Read one record header (owner, type, class, TTL, RDATA bounds). */
static const char *
rr_read(const unsigned char *msg, size_t len, size_t *off,
    struct dns_rrpos *rr)
{
	char owner[DNS_NAME_MAX];
	const char *err;
	uint32_t ttl;

	rr->owner = *off;
	if ((err = name_read(msg, len, off, owner)) != NULL)
		return err;
	if (*off + 10 > len)
		return MALFORMED "record header runs past the end";
	rr->type = (int)get16(msg + *off);
	rr->class = (int)get16(msg + *off + 2);
	ttl = get32(msg + *off + 4);
	rr->ttl = ttl > 0x7fffffff ? 0 : ttl;	/* RFC 2181 8 */
	rr->rdlen = get16(msg + *off + 8);
	rr->rdata = *off + 10;
	if (rr->rdata + rr->rdlen > len)
		return MALFORMED "record data runs past the end";
	*off = rr->rdata + rr->rdlen;
	return NULL;
}

/* A host name filling the RDATA from offset start exactly. */
static const char *
rdata_name(const unsigned char *msg, size_t len, const struct dns_rrpos *rr,
    size_t start, char *out)
{
	size_t off = start;
	const char *err;

	if (start > rr->rdata + rr->rdlen)
		return MALFORMED "record data too short";
	if ((err = name_read(msg, len, &off, out)) != NULL)
		return err;
	if (off != rr->rdata + rr->rdlen)
		return MALFORMED "record data length does not match its name";
	return NULL;
}

/* Split TXT RDATA into its character-strings. */
static const char *
rdata_txt(const unsigned char *msg, const struct dns_rrpos *rr,
    struct dns_rr *out)
{
	const unsigned char *p = msg + rr->rdata;
	size_t off = 0, n, k = 0, total = 0;

	while (off < rr->rdlen) {
		n = p[off];
		if (off + 1 + n > rr->rdlen)
			return MALFORMED "TXT string runs past its record";
		off += 1 + n;
		total += n;
		k++;
	}
	out->strings = xcalloc(k, sizeof *out->strings);
	out->lens = xcalloc(k, sizeof *out->lens);
	out->text = xmalloc(total + 1);
	out->len = 0;
	for (off = 0; out->nstrings < k; out->nstrings++) {
		n = p[off];
		out->strings[out->nstrings] = xmalloc(n + 1);
		memcpy(out->strings[out->nstrings], p + off + 1, n);
		out->strings[out->nstrings][n] = '\0';
		out->lens[out->nstrings] = n;
		memcpy(out->text + out->len, p + off + 1, n);
		out->len += n;
		off += 1 + n;
	}
	out->text[out->len] = '\0';
	return NULL;
}

/* SOA RDATA as text ("mname rname serial refresh retry expire minimum"),
 * or just its MINIMUM when text is NULL. */
static const char *
rdata_soa(const unsigned char *msg, size_t len, const struct dns_rrpos *rr,
    char **text, uint32_t *minimum)
{
	char mname[DNS_NAME_MAX], rname[DNS_NAME_MAX];
	size_t off = rr->rdata, end = rr->rdata + rr->rdlen;
	const char *err;

	if ((err = name_read(msg, len, &off, mname)) != NULL ||
	    (err = name_read(msg, len, &off, rname)) != NULL)
		return err;
	if (off + 20 != end)
		return MALFORMED "SOA record of the wrong length";
	*minimum = get32(msg + off + 16);
	if (text != NULL)
		*text = xasprintf("%s %s %u %u %u %u %u", mname, rname,
		    get32(msg + off), get32(msg + off + 4),
		    get32(msg + off + 8), get32(msg + off + 12), *minimum);
	return NULL;
}

/* Decode the RDATA of a matching record into out. */
static const char *
rdata_decode(const unsigned char *msg, size_t len, const struct dns_rrpos *rr,
    struct dns_rr *out)
{
	char name[DNS_NAME_MAX], addr[INET6_ADDRSTRLEN];
	const char *err = NULL;
	uint32_t minimum;

	out->type = rr->type;
	out->ttl = rr->ttl;
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (rr->type == DNS_T_A && rr->rdlen != 4)
			return MALFORMED "A record not 4 bytes";
		if (rr->type == DNS_T_AAAA && rr->rdlen != 16)
			return MALFORMED "AAAA record not 16 bytes";
		inet_ntop(rr->type == DNS_T_A ? AF_INET : AF_INET6,
		    msg + rr->rdata, addr, sizeof addr);
		out->text = xstrdup(addr);
		break;
	case DNS_T_MX:
		if (rr->rdlen < 3)
			return MALFORMED "MX record too short";
		out->pref = (int)get16(msg + rr->rdata);
		if ((err = rdata_name(msg, len, rr, rr->rdata + 2,
		    name)) != NULL)
			return err;
		out->text = xstrdup(name);
		break;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if ((err = rdata_name(msg, len, rr, rr->rdata, name)) != NULL)
			return err;
		out->text = xstrdup(name);
		break;
	case DNS_T_TXT:
	case DNS_T_SPF:
		return rdata_txt(msg, rr, out);
	case DNS_T_SOA:
		return rdata_soa(msg, len, rr, &out->text, &minimum);
	default:
		/* Other types: the raw RDATA. */
		out->text = xmalloc(rr->rdlen + 1);
		memcpy(out->text, msg + rr->rdata, rr->rdlen);
		out->text[rr->rdlen] = '\0';
		out->len = rr->rdlen;
		return NULL;
	}
	out->len = strlen(out->text);
	return NULL;
}

/* Read a section's record headers into *rrs (caller frees). */
static const char *
section_read(const unsigned char *msg, size_t len, size_t *off, unsigned count,
    struct dns_rrpos **rrs)
{
	const char *err;
	unsigned i;

	*rrs = NULL;
	/* A record takes at least 11 bytes: no more than the rest holds. */
	if (count > DNS_MAX_RRS || count > (len - *off) / 11)
		return MALFORMED "more records than the message holds";
	if (count == 0)
		return NULL;
	*rrs = xcalloc(count, sizeof **rrs);
	for (i = 0; i < count; i++) {
		if ((err = rr_read(msg, len, off, &(*rrs)[i])) != NULL)
			return err;
	}
	return NULL;
}

/* Is the record's owner this name?  (It was read once already.) */
static int
owner_is(const unsigned char *msg, size_t len, const struct dns_rrpos *rr,
    const char *name)
{
	char owner[DNS_NAME_MAX];
	size_t off = rr->owner;

	return name_read(msg, len, &off, owner) == NULL &&
	    strcmp(owner, name) == 0;
}

/*
 * Collect the records answering (qname, type), following CNAMEs inside the
 * answer section from the question's name.
 */
static const char *
answer_collect(const unsigned char *msg, size_t len, struct dns_rrpos *an,
    unsigned ancount, const char *qname, int type, struct dns_answer *a)
{
	char cur[DNS_NAME_MAX];
	struct strv seen;
	const char *err = NULL;
	unsigned i, hops, found;

	strcpy(cur, qname);
	strv_init(&seen);
	for (hops = 0; hops <= DNS_MAX_CNAMES; hops++) {
		if (strv_find(&seen, cur) >= 0) {
			a->error_text = xasprintf(MALFORMED "CNAME loop at %s",
			    cur);
			err = a->error_text;
			goto done;
		}
		strv_add(&seen, cur);
		for (i = 0, found = 0; i < ancount; i++) {
			if (an[i].class != 1 || an[i].type != type ||
			    !owner_is(msg, len, &an[i], cur))
				continue;
			if (found++ == 0)
				a->rrs = xcalloc(ancount, sizeof *a->rrs);
			a->nrrs++;
			err = rdata_decode(msg, len, &an[i],
			    &a->rrs[a->nrrs - 1]);
			if (err != NULL)
				goto done;
		}
		if (found > 0 || type == DNS_T_CNAME)
			goto done;
		for (i = 0; i < ancount; i++) {
			if (an[i].class == 1 && an[i].type == DNS_T_CNAME &&
			    owner_is(msg, len, &an[i], cur))
				break;
		}
		if (i == ancount)
			goto done;
		if ((err = rdata_name(msg, len, &an[i], an[i].rdata,
		    cur)) != NULL)
			goto done;
		/* Escaped bytes (\DDD) are no name to follow. */
		if (strchr(cur, '\\') != NULL) {
			a->error_text = xasprintf(MALFORMED "a CNAME points at"
			    " %s, not a valid domain name", cur);
			err = a->error_text;
			goto done;
		}
	}
	err = MALFORMED "CNAME chain too long";
done:
	strv_free(&seen);
	return err;
}

/* RFC 2308: the negative TTL is min(SOA TTL, SOA MINIMUM). */
static const char *
negative_ttl(const unsigned char *msg, size_t len, struct dns_rrpos *ns,
    unsigned nscount, unsigned *neg_ttl)
{
	const char *err;
	uint32_t minimum;
	unsigned i;

	for (i = 0; i < nscount; i++) {
		if (ns[i].type != DNS_T_SOA || ns[i].class != 1)
			continue;
		if ((err = rdata_soa(msg, len, &ns[i], NULL,
		    &minimum)) != NULL)
			return err;
		*neg_ttl = ns[i].ttl < minimum ? ns[i].ttl : minimum;
		return NULL;
	}
	return NULL;
}

/* The message of an rcode other than NOERROR, NXDOMAIN, SERVFAIL, REFUSED. */
static const char *
rcode_error(unsigned rcode)
{
	switch (rcode) {
	case 1:
		return "the server answered FORMERR (format error)";
	case 4:
		return "the server answered NOTIMP (not implemented)";
	case 6:
		return "the server answered YXDOMAIN";
	case 7:
		return "the server answered YXRRSET";
	case 8:
		return "the server answered NXRRSET";
	case 9:
		return "the server answered NOTAUTH";
	case 10:
		return "the server answered NOTZONE";
	}
	return "the server answered an unknown rcode";
}

/* Map the (4-bit) rcode to a status. */
static enum dns_status
rcode_status(unsigned rcode)
{
	switch (rcode) {
	case 0:
		return DNS_OK;
	case 2:
		return DNS_SERVFAIL;
	case 3:
		return DNS_NXDOMAIN;
	case 5:
		return DNS_REFUSED;
	}
	return DNS_ERROR;
}

/* The body of dns_parse; returns NULL or what is malformed. */
static const char *
parse(const unsigned char *msg, size_t len, const char *qname, int type,
    struct dns_answer *a)
{
	struct dns_rrpos *an = NULL, *ns = NULL;
	char name[DNS_NAME_MAX];
	const char *err = NULL;
	unsigned flags, qd, ancount, nscount, i;
	size_t off = 12;

	if (len < 12)
		return MALFORMED "shorter than a header";
	flags = get16(msg + 2);
	qd = get16(msg + 4);
	ancount = get16(msg + 6);
	nscount = get16(msg + 8);
	if ((flags & 0x8000) == 0)
		return MALFORMED "not a response";
	a->aa = (flags & 0x0400) != 0;
	if (qd > 1)
		return MALFORMED "more than one question";
	for (i = 0; i < qd; i++) {
		if ((err = name_read(msg, len, &off, name)) != NULL)
			return err;
		if (off + 4 > len)
			return MALFORMED "question runs past the end";
		if (strcmp(name, qname) != 0 || (int)get16(msg + off) != type)
			return MALFORMED "the answer is for another question";
		off += 4;
	}
	a->status = rcode_status(flags & 0xf);
	if (a->status == DNS_ERROR) {
		a->error = rcode_error(flags & 0xf);
		return NULL;
	}
	if (a->status == DNS_SERVFAIL || a->status == DNS_REFUSED)
		return NULL;
	if ((err = section_read(msg, len, &off, ancount, &an)) != NULL)
		goto done;
	if (a->status == DNS_OK &&
	    (err = answer_collect(msg, len, an, ancount, qname, type,
	    a)) != NULL)
		goto done;
	if (a->status == DNS_OK && a->nrrs > 0)
		goto done;
	if (a->status == DNS_OK)
		a->status = DNS_NODATA;
	if ((err = section_read(msg, len, &off, nscount, &ns)) != NULL)
		goto done;
	err = negative_ttl(msg, len, ns, nscount, &a->neg_ttl);
done:
	free(an);
	free(ns);
	return err;
}

int
dns_parse(const unsigned char *msg, size_t len, const char *name, int type,
    struct dns_answer *a)
{
	char qname[DNS_NAME_MAX], *text;
	const char *err;

	memset(a, 0, sizeof *a);
	a->name = name;
	a->type = type;
	a->status = DNS_ERROR;
	name_norm(name, qname);
	if ((err = parse(msg, len, qname, type, a)) == NULL)
		return 0;
	text = a->error_text;	/* err may be it: kept */
	a->error_text = NULL;
	dns_answer_clear(a);
	a->error_text = text;
	a->status = DNS_ERROR;
	a->error = err;
	return -1;
}

void
dns_answer_clear(struct dns_answer *a)
{
	struct dns_rr *rr;
	size_t i, j;

	for (i = 0; i < a->nrrs; i++) {
		rr = &a->rrs[i];
		for (j = 0; j < rr->nstrings; j++)
			free(rr->strings[j]);
		free(rr->strings);
		free(rr->lens);
		free(rr->text);
	}
	free(a->rrs);
	a->rrs = NULL;
	a->nrrs = 0;
	a->neg_ttl = 0;
	free(a->error_text);
	a->error_text = NULL;
}
