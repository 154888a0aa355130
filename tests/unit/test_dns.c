/* test_dns.c: core/loop and core/dns.
 *
 * dns_parse on hand-built messages; the loop's timers and fds; and real
 * lookups against servers the group setup starts on free loopback ports:
 * unbound (tests/stack/unbound.sh) serving zones written here, and
 * tests/stack/fauxdns.py answering badly on purpose.  The teardown stops
 * both by PID, also when a test failed.
 */
#include "testutil.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "core/dns/dns.h"
#include "core/dns/dns_parse.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

/* ---- hand-built messages ------------------------------------------ */

struct msg {
	unsigned char	b[8192];
	size_t		n;
};

static void
m_u8(struct msg *m, unsigned v)
{
	assert_true(m->n + 1 <= sizeof m->b);
	m->b[m->n++] = (unsigned char)v;
}

static void
m_u16(struct msg *m, unsigned v)
{
	m_u8(m, v >> 8 & 0xff);
	m_u8(m, v & 0xff);
}

static void
m_u32(struct msg *m, uint32_t v)
{
	m_u16(m, v >> 16);
	m_u16(m, v & 0xffff);
}

static void
m_bytes(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof m->b);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* A name without compression ("" or "." for the root). */
static void
m_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;
	size_t n;

	while (*p != '\0' && strcmp(p, ".") != 0) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		m_u8(m, (unsigned)n);
		m_bytes(m, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	m_u8(m, 0);
}

static void
m_ptr(struct msg *m, size_t off)
{
	m_u16(m, 0xc000 | (unsigned)off);
}

/* Header (response, AA, rcode) and one question. */
static void
m_start(struct msg *m, unsigned rcode, const char *qname, int qtype,
    unsigned an, unsigned ns)
{
	m->n = 0;
	m_u16(m, 0x1234);
	m_u16(m, 0x8400 | 0x0100 | 0x0080 | rcode);
	m_u16(m, 1);
	m_u16(m, an);
	m_u16(m, ns);
	m_u16(m, 0);
	m_name(m, qname);
	m_u16(m, (unsigned)qtype);
	m_u16(m, 1);
}

/* Type, class IN, TTL and RDLENGTH after an owner name. */
static void
m_rr(struct msg *m, int type, uint32_t ttl, unsigned rdlen)
{
	m_u16(m, (unsigned)type);
	m_u16(m, 1);
	m_u32(m, ttl);
	m_u16(m, rdlen);
}

static void
m_soa(struct msg *m, uint32_t ttl, uint32_t minimum)
{
	size_t len_at;

	m_ptr(m, 12);
	m_rr(m, DNS_T_SOA, ttl, 0);
	len_at = m->n - 2;
	m_name(m, "ns.example.org");
	m_name(m, "hostmaster.example.org");
	m_u32(m, 1);
	m_u32(m, 3600);
	m_u32(m, 600);
	m_u32(m, 86400);
	m_u32(m, minimum);
	m->b[len_at] = (unsigned char)((m->n - len_at - 2) >> 8);
	m->b[len_at + 1] = (unsigned char)((m->n - len_at - 2) & 0xff);
}

static void
test_parse_a_compressed(void **state)
{
	struct msg m;
	struct dns_answer a;
	static const unsigned char ip1[4] = { 192, 0, 2, 1 };
	static const unsigned char ip2[4] = { 192, 0, 2, 2 };

	(void)state;
	m_start(&m, 0, "Mail.Example.org", DNS_T_A, 2, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_A, 300, 4);
	m_bytes(&m, ip1, 4);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_A, 0x80000000u, 4);	/* RFC 2181: read as 0 */
	m_bytes(&m, ip2, 4);
	assert_int_equal(dns_parse(m.b, m.n, "mail.example.org.", DNS_T_A,
	    &a), 0);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.aa, 1);
	assert_int_equal(a.nrrs, 2);
	assert_string_equal(a.rrs[0].text, "192.0.2.1");
	assert_int_equal(a.rrs[0].len, 9);
	assert_int_equal(a.rrs[0].ttl, 300);
	assert_string_equal(a.rrs[1].text, "192.0.2.2");
	assert_int_equal(a.rrs[1].ttl, 0);
	dns_answer_clear(&a);
	assert_null(a.rrs);
}

static void
test_parse_aaaa_mx_ptr(void **state)
{
	struct msg m;
	struct dns_answer a;
	unsigned char ip6[16];
	size_t qname_off = 12;

	(void)state;
	inet_pton(AF_INET6, "2001:db8:0:0:0:0:0:1", ip6);
	m_start(&m, 0, "example.org", DNS_T_AAAA, 1, 0);
	m_ptr(&m, qname_off);
	m_rr(&m, DNS_T_AAAA, 60, 16);
	m_bytes(&m, ip6, 16);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_AAAA, &a),
	    0);
	assert_string_equal(a.rrs[0].text, "2001:db8::1");
	dns_answer_clear(&a);

	/* MX: a compressed target in upper case, and a null MX. */
	m_start(&m, 0, "example.org", DNS_T_MX, 2, 0);
	m_ptr(&m, qname_off);
	m_rr(&m, DNS_T_MX, 60, 2 + 5 + 2);
	m_u16(&m, 10);
	m_u8(&m, 4);
	m_bytes(&m, "MAIL", 4);
	m_ptr(&m, qname_off);
	m_ptr(&m, qname_off);
	m_rr(&m, DNS_T_MX, 60, 3);
	m_u16(&m, 0);
	m_u8(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_MX, &a), 0);
	assert_int_equal(a.nrrs, 2);
	assert_int_equal(a.rrs[0].pref, 10);
	assert_string_equal(a.rrs[0].text, "mail.example.org");
	assert_int_equal(a.rrs[1].pref, 0);
	assert_string_equal(a.rrs[1].text, ".");
	dns_answer_clear(&a);

	/* PTR with the question name compressed into it. */
	m_start(&m, 0, "1.2.0.192.in-addr.arpa", DNS_T_PTR, 1, 0);
	m_ptr(&m, qname_off);
	m_rr(&m, DNS_T_PTR, 60, 18);
	m_name(&m, "mail.example.org");
	assert_int_equal(dns_parse(m.b, m.n, "1.2.0.192.in-addr.arpa",
	    DNS_T_PTR, &a), 0);
	assert_string_equal(a.rrs[0].text, "mail.example.org");
	dns_answer_clear(&a);
}

static void
test_parse_cname_chain(void **state)
{
	struct msg m;
	struct dns_answer a;
	static const unsigned char ip[4] = { 192, 0, 2, 7 };
	size_t b_off;

	(void)state;
	m_start(&m, 0, "www.example.org", DNS_T_A, 4, 0);
	/* An A for another name first: not part of the answer. */
	m_name(&m, "other.example.org");
	m_rr(&m, DNS_T_A, 60, 4);
	m_bytes(&m, ip, 4);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_CNAME, 60, 15);
	m_name(&m, "a.example.net");
	m_name(&m, "a.example.net");
	m_rr(&m, DNS_T_CNAME, 60, 15);
	b_off = m.n;
	m_name(&m, "b.example.net");
	m_ptr(&m, b_off);
	m_rr(&m, DNS_T_A, 77, 4);
	m_bytes(&m, ip, 4);
	assert_int_equal(dns_parse(m.b, m.n, "www.example.org", DNS_T_A, &a),
	    0);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.nrrs, 1);
	assert_int_equal(a.rrs[0].ttl, 77);
	assert_string_equal(a.rrs[0].text, "192.0.2.7");
	dns_answer_clear(&a);

	/* Asking for the CNAME itself gives it. */
	m.b[12 + 17] = 0;
	m.b[12 + 18] = DNS_T_CNAME;
	assert_int_equal(dns_parse(m.b, m.n, "www.example.org", DNS_T_CNAME,
	    &a), 0);
	assert_int_equal(a.nrrs, 1);
	assert_string_equal(a.rrs[0].text, "a.example.net");
	dns_answer_clear(&a);

	/* A CNAME loop ends as an error, not a hang. */
	m_start(&m, 0, "a.example.org", DNS_T_A, 2, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_CNAME, 60, 15);
	b_off = m.n;
	m_name(&m, "b.example.org");
	m_ptr(&m, b_off);
	m_rr(&m, DNS_T_CNAME, 60, 2);
	m_ptr(&m, 12);
	assert_int_equal(dns_parse(m.b, m.n, "a.example.org", DNS_T_A, &a),
	    -1);
	assert_int_equal(a.status, DNS_ERROR);
	assert_string_equal(a.error, "malformed answer: CNAME loop at"
	    " a.example.org");
	dns_answer_clear(&a);
	assert_null(a.error_text);

	/* A CNAME to a name holding an escaped byte is not followed. */
	m_start(&m, 0, "a.example.org", DNS_T_A, 2, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_CNAME, 60, 16);
	b_off = m.n;
	m_name(&m, "\033x.example.org");
	m_ptr(&m, b_off);
	m_rr(&m, DNS_T_A, 60, 4);
	m_bytes(&m, ip, 4);
	assert_int_equal(dns_parse(m.b, m.n, "a.example.org", DNS_T_A, &a),
	    -1);
	assert_int_equal(a.status, DNS_ERROR);
	assert_string_equal(a.error, "malformed answer: a CNAME points at"
	    " \\027x.example.org, not a valid domain name");
	dns_answer_clear(&a);

	/* A chain that ends without the type is NODATA. */
	m_start(&m, 0, "a.example.org", DNS_T_A, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_CNAME, 60, 15);
	m_name(&m, "b.example.org");
	assert_int_equal(dns_parse(m.b, m.n, "a.example.org", DNS_T_A, &a),
	    0);
	assert_int_equal(a.status, DNS_NODATA);
	dns_answer_clear(&a);
}

static void
test_parse_txt(void **state)
{
	struct msg m;
	struct dns_answer a;

	(void)state;
	m_start(&m, 0, "example.org", DNS_T_TXT, 3, 0);
	/* One record, three strings (one empty). */
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 3600, 8 + 1 + 5);
	m_u8(&m, 7);
	m_bytes(&m, "v=spf1 ", 7);
	m_u8(&m, 0);
	m_u8(&m, 4);
	m_bytes(&m, "-all", 4);
	/* A second record. */
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 60, 2);
	m_u8(&m, 1);
	m_u8(&m, 'x');
	/* A record of one empty string. */
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 60, 1);
	m_u8(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_TXT, &a),
	    0);
	assert_int_equal(a.nrrs, 3);
	assert_int_equal(a.rrs[0].nstrings, 3);
	assert_string_equal(a.rrs[0].strings[0], "v=spf1 ");
	assert_int_equal(a.rrs[0].lens[1], 0);
	assert_string_equal(a.rrs[0].strings[1], "");
	assert_string_equal(a.rrs[0].strings[2], "-all");
	assert_string_equal(a.rrs[0].text, "v=spf1 -all");
	assert_int_equal(a.rrs[0].len, 11);
	assert_int_equal(a.rrs[0].ttl, 3600);
	assert_string_equal(a.rrs[1].text, "x");
	assert_int_equal(a.rrs[2].nstrings, 1);
	assert_int_equal(a.rrs[2].len, 0);
	assert_string_equal(a.rrs[2].text, "");
	dns_answer_clear(&a);

	/* A NUL byte inside a string is kept: len tells. */
	m_start(&m, 0, "example.org", DNS_T_TXT, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 60, 4);
	m_u8(&m, 3);
	m_bytes(&m, "a\0b", 3);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_TXT, &a),
	    0);
	assert_int_equal(a.rrs[0].len, 3);
	assert_memory_equal(a.rrs[0].text, "a\0b", 4);
	dns_answer_clear(&a);
}

static void
test_parse_negative(void **state)
{
	struct msg m;
	struct dns_answer a;

	(void)state;
	/* NODATA: neg_ttl = min(SOA TTL, MINIMUM). */
	m_start(&m, 0, "example.org", DNS_T_TXT, 0, 1);
	m_soa(&m, 600, 300);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_TXT, &a),
	    0);
	assert_int_equal(a.status, DNS_NODATA);
	assert_int_equal(a.neg_ttl, 300);
	assert_int_equal(a.nrrs, 0);
	dns_answer_clear(&a);

	m_start(&m, 3, "nope.example.org", DNS_T_A, 0, 1);
	m_soa(&m, 60, 300);
	assert_int_equal(dns_parse(m.b, m.n, "nope.example.org", DNS_T_A, &a),
	    0);
	assert_int_equal(a.status, DNS_NXDOMAIN);
	assert_int_equal(a.neg_ttl, 60);
	dns_answer_clear(&a);

	/* No SOA: 0. */
	m_start(&m, 3, "nope.example.org", DNS_T_A, 0, 0);
	assert_int_equal(dns_parse(m.b, m.n, "nope.example.org", DNS_T_A, &a),
	    0);
	assert_int_equal(a.status, DNS_NXDOMAIN);
	assert_int_equal(a.neg_ttl, 0);
	dns_answer_clear(&a);
}

static void
test_parse_rcodes(void **state)
{
	struct msg m;
	struct dns_answer a;

	(void)state;
	m_start(&m, 2, "example.org", DNS_T_A, 0, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), 0);
	assert_int_equal(a.status, DNS_SERVFAIL);
	m_start(&m, 5, "example.org", DNS_T_A, 0, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), 0);
	assert_int_equal(a.status, DNS_REFUSED);
	m_start(&m, 1, "example.org", DNS_T_A, 0, 0);
	m.b[5] = 0;	/* FORMERR often comes without the question */
	m.n = 12;
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), 0);
	assert_int_equal(a.status, DNS_ERROR);
	assert_non_null(strstr(a.error, "FORMERR"));
	dns_answer_clear(&a);
}

/* Every strict prefix of a good message is malformed. */
static void
test_parse_truncated(void **state)
{
	struct msg m;
	struct dns_answer a;
	size_t n;

	(void)state;
	m_start(&m, 0, "example.org", DNS_T_MX, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_MX, 60, 2 + 5 + 2);
	m_u16(&m, 10);
	m_u8(&m, 4);
	m_bytes(&m, "mail", 4);
	m_ptr(&m, 12);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_MX, &a), 0);
	dns_answer_clear(&a);
	for (n = 0; n < m.n; n++) {
		assert_int_equal(dns_parse(m.b, n, "example.org", DNS_T_MX,
		    &a), -1);
		assert_int_equal(a.status, DNS_ERROR);
		assert_true(str_startswith(a.error, "malformed answer: "));
		assert_int_equal(a.nrrs, 0);
	}
	assert_int_equal(dns_parse(NULL, 0, "example.org", DNS_T_MX, &a), -1);
}

static void
test_parse_pointers(void **state)
{
	struct msg m;
	struct dns_answer a;
	size_t at;

	(void)state;
	/* A pointer to itself. */
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	at = m.n;
	m_ptr(&m, at);
	m_rr(&m, DNS_T_A, 60, 4);
	m_u32(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	assert_string_equal(a.error,
	    "malformed answer: name pointer does not point back");

	/* Two pointers pointing at each other (a forward one). */
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	at = m.n;
	m_ptr(&m, at + 2);
	m_ptr(&m, at);
	m_rr(&m, DNS_T_A, 60, 4);
	m_u32(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);

	/* Past the end, and a reserved label type (0x40). */
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	m_ptr(&m, 4000);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	m_u8(&m, 0x41);
	m_u8(&m, 0);
	m_rr(&m, DNS_T_A, 60, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	assert_string_equal(a.error, "malformed answer: unknown label type");
	/* More records announced than bytes could hold. */
	m_start(&m, 0, "example.org", DNS_T_A, 2, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_A, 60, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	assert_string_equal(a.error,
	    "malformed answer: more records than the message holds");

	/* Backward pointers chain fine: "b" + -> "a" + -> "example.org"
	 * inside the question. */
	m_start(&m, 0, "b.a.example.org", DNS_T_TXT, 2, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 60, 2);
	m_u8(&m, 1);
	m_u8(&m, 'y');
	at = m.n;
	m_u8(&m, 1);
	m_u8(&m, 'c');
	m_ptr(&m, 12 + 2);	/* "a.example.org" */
	m_rr(&m, DNS_T_TXT, 60, 2);
	m_u8(&m, 1);
	m_u8(&m, 'z');
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 60, 2);
	m_u8(&m, 1);
	m_u8(&m, 'w');
	m.b[7] = 3;
	assert_int_equal(dns_parse(m.b, m.n, "B.A.example.org.", DNS_T_TXT,
	    &a), 0);
	assert_int_equal(a.nrrs, 2);	/* c.a.example.org is not asked */
	assert_string_equal(a.rrs[0].text, "y");
	assert_string_equal(a.rrs[1].text, "w");
	dns_answer_clear(&a);
	assert_true(at > 12);
}

static void
test_parse_bad_lengths(void **state)
{
	struct msg m;
	struct dns_answer a;
	char label[70];
	int i;

	(void)state;
	/* RDLENGTH past the end. */
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_A, 60, 40);
	m_u32(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	assert_string_equal(a.error,
	    "malformed answer: record data runs past the end");

	/* An A of 5 bytes. */
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_A, 60, 5);
	m_u32(&m, 0);
	m_u8(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);

	/* A TXT string longer than its record. */
	m_start(&m, 0, "example.org", DNS_T_TXT, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_TXT, 60, 3);
	m_u8(&m, 5);
	m_bytes(&m, "abcde", 5);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_TXT, &a),
	    -1);
	assert_string_equal(a.error,
	    "malformed answer: TXT string runs past its record");

	/* An MX whose name is shorter than its RDLENGTH. */
	m_start(&m, 0, "example.org", DNS_T_MX, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_MX, 60, 6);
	m_u16(&m, 10);
	m_ptr(&m, 12);
	m_u16(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_MX, &a), -1);

	/* A name of more than 255 bytes (five 63-byte labels). */
	memset(label, 'x', 63);
	m_start(&m, 0, "example.org", DNS_T_A, 1, 0);
	for (i = 0; i < 5; i++) {
		m_u8(&m, 63);
		m_bytes(&m, label, 63);
	}
	m_u8(&m, 0);
	m_rr(&m, DNS_T_A, 60, 4);
	m_u32(&m, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	assert_string_equal(a.error,
	    "malformed answer: name longer than 255 bytes");

	/* A SOA of the wrong length in a NODATA answer. */
	m_start(&m, 0, "example.org", DNS_T_A, 0, 1);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_SOA, 60, 6);
	m_u8(&m, 0);
	m_u8(&m, 0);
	m_u32(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
}

static void
test_parse_question(void **state)
{
	struct msg m;
	struct dns_answer a;

	(void)state;
	m_start(&m, 0, "example.org", DNS_T_A, 0, 0);
	assert_int_equal(dns_parse(m.b, m.n, "example.net", DNS_T_A, &a), -1);
	assert_string_equal(a.error,
	    "malformed answer: the answer is for another question");
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_MX, &a), -1);
	m.b[2] &= 0x7f;		/* QR=0: a query */
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_A, &a), -1);
	assert_string_equal(a.error, "malformed answer: not a response");
}

/* Odd bytes in names come out escaped, never raw. */
static void
test_parse_name_escapes(void **state)
{
	struct msg m;
	struct dns_answer a;

	(void)state;
	m_start(&m, 0, "example.org", DNS_T_PTR, 1, 0);
	m_ptr(&m, 12);
	m_rr(&m, DNS_T_PTR, 60, 1 + 6 + 2);
	m_u8(&m, 6);
	m_bytes(&m, "a.b\033\\Z", 6);
	m_ptr(&m, 12);
	assert_int_equal(dns_parse(m.b, m.n, "example.org", DNS_T_PTR, &a), 0);
	assert_string_equal(a.rrs[0].text, "a\\.b\\027\\\\z.example.org");
	dns_answer_clear(&a);
}

/* ---- the loop ------------------------------------------------------ */

struct tick {
	struct loop	*loop;
	char		 order[16];
	size_t		 n;
	uint64_t	 victim;
	int		 readds;
};

static void
tick_a(void *arg)
{
	struct tick *t = arg;

	t->order[t->n++] = 'a';
}

static void
tick_b(void *arg)
{
	struct tick *t = arg;

	t->order[t->n++] = 'b';
	loop_timer_cancel(t->loop, t->victim);
}

/* Re-adds itself with 0 ms: must run once per pass, not forever. */
static void
tick_again(void *arg)
{
	struct tick *t = arg;

	if (++t->readds < 3)
		loop_timer_add(t->loop, 0, tick_again, t);
}

static void
test_loop_timers(void **state)
{
	struct tick t;
	int64_t start;

	(void)state;
	memset(&t, 0, sizeof t);
	t.loop = loop_new();
	assert_int_equal(loop_busy(t.loop), 0);
	assert_int_equal(loop_once(t.loop, -1), 0);	/* nothing: no hang */
	start = loop_now_ms();
	loop_timer_add(t.loop, 30, tick_a, &t);
	loop_timer_add(t.loop, 10, tick_b, &t);
	t.victim = loop_timer_add(t.loop, 20, tick_a, &t);
	assert_int_not_equal(t.victim, 0);
	loop_timer_add(t.loop, 5, tick_a, &t);
	loop_timer_cancel(t.loop, 12345);		/* unknown: ignored */
	loop_run(t.loop, NULL);
	assert_string_equal(t.order, "aba");
	assert_true(loop_now_ms() - start >= 30);

	loop_timer_add(t.loop, 0, tick_again, &t);
	assert_int_equal(loop_once(t.loop, 0), 1);
	assert_int_equal(t.readds, 1);
	loop_run(t.loop, NULL);
	assert_int_equal(t.readds, 3);
	loop_free(t.loop);
}

/* The id returned for a timer that sifts up the heap is its own: cancel
 * it directly (not from a callback) and exactly it does not run. */
static void
test_loop_timer_ids(void **state)
{
	struct tick t;
	uint64_t late, early;

	(void)state;
	memset(&t, 0, sizeof t);
	t.loop = loop_new();
	late = loop_timer_add(t.loop, 40, tick_b, &t);
	loop_timer_add(t.loop, 30, tick_a, &t);
	early = loop_timer_add(t.loop, 1, tick_b, &t);	/* sifts to the top */
	assert_int_not_equal(late, early);
	loop_timer_cancel(t.loop, early);
	loop_run(t.loop, NULL);
	assert_string_equal(t.order, "ab");		/* 30 ms a, 40 ms b */
	loop_free(t.loop);
}

struct fdtest {
	struct loop	*loop;
	int		 p1[2];
	int		 p2[2];
	int		 calls1;
	int		 calls2;
	int		 done;
};

static void
fd_second(int fd, short revents, void *arg)
{
	struct fdtest *f = arg;

	(void)fd;
	(void)revents;
	f->calls2++;
}

/* Removes the other fd, which poll() also reported ready. */
static void
fd_first(int fd, short revents, void *arg)
{
	struct fdtest *f = arg;

	assert_true(revents & POLLIN);
	f->calls1++;
	loop_fd_set(f->loop, fd, 0, NULL, NULL);
	loop_fd_set(f->loop, f->p2[0], 0, NULL, NULL);
	f->done = 1;
}

static void
test_loop_fd_remove(void **state)
{
	struct fdtest f;

	(void)state;
	memset(&f, 0, sizeof f);
	f.loop = loop_new();
	assert_int_equal(pipe(f.p1), 0);
	assert_int_equal(pipe(f.p2), 0);
	assert_int_equal(write(f.p1[1], "x", 1), 1);
	assert_int_equal(write(f.p2[1], "x", 1), 1);
	/* Whichever runs first removes both. */
	loop_fd_set(f.loop, f.p1[0], POLLIN, fd_first, &f);
	loop_fd_set(f.loop, f.p2[0], POLLIN, fd_first, &f);
	loop_run(f.loop, &f.done);
	assert_int_equal(f.calls1, 1);
	assert_int_equal(loop_busy(f.loop), 0);

	/* A replaced registration gets the new callback; POLLOUT not asked
	 * for is not delivered. */
	loop_fd_set(f.loop, f.p1[0], POLLIN, fd_first, &f);
	loop_fd_set(f.loop, f.p1[0], POLLIN, fd_second, &f);
	loop_fd_set(f.loop, f.p1[1], POLLIN, fd_second, &f);
	assert_int_equal(loop_once(f.loop, 100), 1);
	assert_int_equal(f.calls2, 1);
	assert_int_equal(f.calls1, 1);
	close(f.p1[0]);
	close(f.p1[1]);
	close(f.p2[0]);
	close(f.p2[1]);
	loop_free(f.loop);
}

/* ---- the servers ---------------------------------------------------- */

struct stack {
	char	 dir[64];
	int	 ubport;	/* unbound, 127.0.0.1 and ::1 */
	int	 fxport;	/* fauxdns on 127.0.0.1, mode by name */
	int	 deadport;	/* nothing listens */
	pid_t	 fxpid;
	int	 ubup;
};

/* Can a socket of this family and type bind addr:port? */
static int
port_free(int family, int type, int port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int s, ok, one = 1;

	if ((s = socket(family, type, 0)) == -1)
		return 0;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET) {
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = bind(s, (struct sockaddr *)&sin, sizeof sin) == 0;
	} else {
		memset(&sin6, 0, sizeof sin6);
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)port);
		sin6.sin6_addr = in6addr_loopback;
		ok = bind(s, (struct sockaddr *)&sin6, sizeof sin6) == 0;
	}
	close(s);
	return ok;
}

/* A high port free for UDP and TCP on 127.0.0.1 and ::1. */
static int
pick_port(int avoid1, int avoid2)
{
	int i, port;

	for (i = 0; i < 200; i++) {
		port = 20000 + (int)((getpid() * 7919u + (unsigned)i * 104729u)
		    % 40000u);
		if (port == avoid1 || port == avoid2)
			continue;
		if (port_free(AF_INET, SOCK_DGRAM, port) &&
		    port_free(AF_INET, SOCK_STREAM, port) &&
		    port_free(AF_INET6, SOCK_DGRAM, port) &&
		    port_free(AF_INET6, SOCK_STREAM, port))
			return port;
	}
	return -1;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The test zones: example.org (with 2,000 hosts for the window tests) and
 * a reverse zone whose origin comes from its file name. */
static void
write_zones(const char *dir)
{
	struct buf b;
	char *path, dkim[401];
	int i;

	memset(dkim, 'K', 400);
	dkim[400] = '\0';
	buf_init(&b);
	buf_adds(&b,
	    "$ORIGIN example.org.\n"
	    "@ 3600 IN SOA ns.example.org. hostmaster.example.org. "
	    "1 3600 600 86400 300\n"
	    "@ 3600 IN NS ns\n"
	    "ns 3600 IN A 127.0.0.1\n"
	    "@ 3600 IN MX 10 mail\n"
	    "@ 3600 IN MX 20 MAIL2.Example.ORG.\n"
	    "@ 3600 IN TXT \"v=spf1 \" \"mx \" \"-all\"\n"
	    "mail 300 IN A 192.0.2.1\n"
	    "mail 300 IN AAAA 2001:DB8:0:0::1\n"
	    "mail2 300 IN A 192.0.2.2\n"
	    "multi 3600 IN TXT \"one\"\n"
	    "multi 3600 IN TXT \"two\"\n"
	    "empty 3600 IN TXT \"\"\n"
	    "nullmx 3600 IN MX 0 .\n"
	    "www 3600 IN CNAME alias\n"
	    "alias 3600 IN CNAME mail\n");
	buf_printf(&b, "sel._domainkey 3600 IN TXT \"v=DKIM1; k=rsa; p=%.*s\" "
	    "\"%s\"\n", 230, dkim, dkim + 230);
	for (i = 0; i < 2000; i++)
		buf_printf(&b, "h%04d 3600 IN A 10.0.%d.%d\n", i, i / 256,
		    i % 256);
	path = xasprintf("%s/example.org.zone", dir);
	write_file(path, b.data);
	free(path);
	buf_free(&b);
	path = xasprintf("%s/2.0.192.in-addr.arpa.zone", dir);
	write_file(path,
	    "@ 3600 IN SOA ns.example.org. hostmaster.example.org. "
	    "1 3600 600 86400 300\n"
	    "@ 3600 IN NS ns.example.org.\n"
	    "1 3600 IN PTR mail.example.org.\n");
	free(path);
}

/* Stop a child by PID: TERM, then KILL; reap it if it is ours. */
static void
stop_pid(pid_t pid)
{
	int i;

	if (pid <= 0 || kill(pid, SIGTERM) == -1)
		return;
	for (i = 0; i < 50 && kill(pid, 0) == 0; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, WNOHANG);
}

static int
group_teardown(void **state)
{
	struct stack *st = *state;
	char *cmd, *out;

	if (st == NULL)
		return 0;
	if (st->ubup) {
		cmd = xasprintf(". tests/stack/unbound.sh && "
		    "unbound_stop %s/ub", st->dir);
		out = test_run(cmd);
		free(out);
		free(cmd);
	}
	stop_pid(st->fxpid);
	if (st->dir[0] != '\0') {
		cmd = xasprintf("rm -rf %s", st->dir);
		out = test_run(cmd);
		free(out);
		free(cmd);
	}
	free(st);
	*state = NULL;
	return 0;
}

/* Start fauxdns on 127.0.0.1:port; its PID comes from its pidfile. */
static pid_t
start_faux(const char *dir, int port)
{
	char *cmd, *pidfile, *text;
	pid_t pid = -1;
	int i;

	pidfile = xasprintf("%s/faux.pid", dir);
	cmd = xasprintf("setsid /usr/bin/python3 tests/stack/fauxdns.py "
	    "--port %d --pidfile %s </dev/null >%s/faux.log 2>&1 &", port,
	    pidfile, dir);
	if (system(cmd) != 0)
		goto done;
	for (i = 0; i < 100; i++) {
		if (access(pidfile, R_OK) == 0) {
			text = test_read_file(pidfile, NULL);
			pid = (pid_t)atoi(text);
			free(text);
			break;
		}
		usleep(50000);
	}
done:
	free(cmd);
	free(pidfile);
	return pid;
}

/* Start unbound and fauxdns; on any failure stop what started. */
static int
group_setup(void **state)
{
	struct stack *st = xcalloc(1, sizeof *st);
	char *cmd, *out = NULL, *pidfile, *text;

	*state = st;
	strcpy(st->dir, "/tmp/notspam-dns.XXXXXX");
	if (mkdtemp(st->dir) == NULL) {
		st->dir[0] = '\0';
		goto fail;
	}
	write_zones(st->dir);
	st->ubport = pick_port(0, 0);
	st->fxport = pick_port(st->ubport, 0);
	st->deadport = pick_port(st->ubport, st->fxport);
	if (st->ubport == -1 || st->fxport == -1 || st->deadport == -1)
		goto fail;
	cmd = xasprintf(". tests/stack/unbound.sh && unbound_start %s/ub %d "
	    "%s/example.org.zone %s/2.0.192.in-addr.arpa.zone 2>&1; "
	    "echo status=$?", st->dir, st->ubport, st->dir, st->dir);
	out = test_run(cmd);
	free(cmd);
	pidfile = xasprintf("%s/ub/unbound.pid", st->dir);
	if (access(pidfile, R_OK) == 0) {
		text = test_read_file(pidfile, NULL);
		st->ubup = atoi(text) > 0;
		free(text);
	}
	free(pidfile);
	if (strstr(out, "status=0") == NULL) {
		fprintf(stderr, "# unbound: %s\n", out);
		goto fail;
	}
	if ((st->fxpid = start_faux(st->dir, st->fxport)) <= 0) {
		fprintf(stderr, "# fauxdns did not start\n");
		goto fail;
	}
	free(out);
	return 0;
fail:
	free(out);
	group_teardown(state);
	return -1;
}

/* ---- live lookups --------------------------------------------------- */

/* One answer copied out of the callback. */
struct got {
	int		 calls;
	enum dns_status	 status;
	int		 tcp;
	int		 aa;
	unsigned	 neg_ttl;
	size_t		 nrrs;
	char		*text[4];	/* the first records' text */
	size_t		 len[4];
	unsigned	 ttl[4];
	int		 pref[4];
	size_t		 nstrings[4];
	size_t		 slen0[4];
	char		*error;
	int64_t		 at;
	int		 sent;
	int		 replied;
};

static void
got_cb(const struct dns_answer *a, void *arg)
{
	struct got *g = arg;
	size_t i;

	g->calls++;
	g->status = a->status;
	g->tcp = a->tcp;
	g->aa = a->aa;
	g->neg_ttl = a->neg_ttl;
	g->nrrs = a->nrrs;
	g->sent = a->sent;
	g->replied = a->replied;
	g->at = loop_now_ms();
	for (i = 0; i < a->nrrs && i < 4; i++) {
		g->text[i] = xmalloc(a->rrs[i].len + 1);
		memcpy(g->text[i], a->rrs[i].text, a->rrs[i].len + 1);
		g->len[i] = a->rrs[i].len;
		g->ttl[i] = a->rrs[i].ttl;
		g->pref[i] = a->rrs[i].pref;
		g->nstrings[i] = a->rrs[i].nstrings;
		g->slen0[i] = a->rrs[i].nstrings > 0 ? a->rrs[i].lens[0] : 0;
	}
	if (a->error != NULL)
		g->error = xstrdup(a->error);
}

static void
got_clear(struct got *g)
{
	size_t i;

	for (i = 0; i < 4; i++)
		free(g->text[i]);
	free(g->error);
	memset(g, 0, sizeof *g);
}

/* Run the loop until the resolver has nothing pending. */
static void
run_until_idle(struct loop *loop, struct dns *dns, int max_ms)
{
	int64_t end = loop_now_ms() + max_ms;

	while (dns_pending(dns) > 0 && loop_now_ms() < end)
		loop_once(loop, 50);
}

static struct dns *
resolver(struct loop *loop, const char *servers, int timeout_ms, int tries,
    int window)
{
	struct dns_opts o;
	struct dns *dns;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.servers = servers;
	o.timeout_ms = timeout_ms;
	o.tries = tries;
	o.window = window;
	dns = dns_new(loop, &o, &cause);
	if (dns == NULL)
		fail_msg("dns_new: %s", cause);
	return dns;
}

static void
test_live_records(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct got g[12];
	struct dns *dns;
	char *srv;

	memset(g, 0, sizeof g);
	srv = xasprintf("127.0.0.1:%d", st->ubport);
	dns = resolver(loop, srv, 0, 0, 0);
	assert_string_equal(dns_servers(dns), srv);
	dns_query(dns, "mail.example.org", DNS_T_A, got_cb, &g[0]);
	assert_int_equal(g[0].calls, 0);	/* never from inside */
	dns_query(dns, "mail.example.org", DNS_T_AAAA, got_cb, &g[1]);
	dns_query(dns, "example.org", DNS_T_MX, got_cb, &g[2]);
	dns_query(dns, "example.org", DNS_T_TXT, got_cb, &g[3]);
	dns_query(dns, "multi.example.org", DNS_T_TXT, got_cb, &g[4]);
	dns_query(dns, "empty.example.org", DNS_T_TXT, got_cb, &g[5]);
	dns_query(dns, "nullmx.example.org", DNS_T_MX, got_cb, &g[6]);
	dns_query(dns, "WWW.example.org.", DNS_T_A, got_cb, &g[7]);
	dns_query(dns, "mail.example.org", DNS_T_TXT, got_cb, &g[8]);
	dns_query(dns, "nope.example.org", DNS_T_A, got_cb, &g[9]);
	dns_query(dns, "1.2.0.192.in-addr.arpa", DNS_T_PTR, got_cb, &g[10]);
	dns_query(dns, "sel._domainkey.example.org", DNS_T_TXT, got_cb,
	    &g[11]);
	assert_int_equal(dns_pending(dns), 12);
	run_until_idle(loop, dns, 5000);
	assert_int_equal(dns_pending(dns), 0);

	assert_int_equal(g[0].calls, 1);
	assert_int_equal(g[0].status, DNS_OK);
	assert_string_equal(g[0].text[0], "192.0.2.1");
	assert_int_equal(g[0].ttl[0], 300);
	assert_int_equal(g[0].aa, 1);
	assert_int_equal(g[0].tcp, 0);
	assert_string_equal(g[1].text[0], "2001:db8::1");
	assert_int_equal(g[2].nrrs, 2);
	assert_true((g[2].pref[0] == 10 &&
	    strcmp(g[2].text[0], "mail.example.org") == 0 &&
	    strcmp(g[2].text[1], "mail2.example.org") == 0) ||
	    (g[2].pref[0] == 20 &&
	    strcmp(g[2].text[0], "mail2.example.org") == 0));
	assert_int_equal(g[2].ttl[0], 3600);
	assert_int_equal(g[3].nstrings[0], 3);
	assert_int_equal(g[3].slen0[0], 7);
	assert_string_equal(g[3].text[0], "v=spf1 mx -all");
	assert_int_equal(g[4].nrrs, 2);
	assert_int_equal(g[5].nrrs, 1);
	assert_int_equal(g[5].nstrings[0], 1);
	assert_int_equal(g[5].len[0], 0);
	assert_string_equal(g[6].text[0], ".");
	assert_int_equal(g[6].pref[0], 0);
	assert_int_equal(g[7].status, DNS_OK);
	assert_string_equal(g[7].text[0], "192.0.2.1");
	assert_int_equal(g[8].status, DNS_NODATA);
	assert_int_equal(g[8].neg_ttl, 300);
	assert_int_equal(g[9].status, DNS_NXDOMAIN);
	assert_int_equal(g[9].neg_ttl, 300);
	assert_string_equal(g[10].text[0], "mail.example.org");
	/* A 2048-bit-sized DKIM record: two strings, over UDP with EDNS. */
	assert_int_equal(g[11].nstrings[0], 2);
	assert_int_equal(g[11].len[0], strlen("v=DKIM1; k=rsa; p=") + 400);
	assert_int_equal(g[11].tcp, 0);
	for (size_t i = 0; i < 12; i++) {
		assert_int_equal(g[i].calls, 1);
		got_clear(&g[i]);
	}
	dns_free(dns);
	free(srv);
	assert_int_equal(loop_busy(loop), 0);
	loop_free(loop);
}

static void
test_live_add_and_ipv6(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct got g;
	struct dns *dns;
	char *srv, *cmd, *out;

	memset(&g, 0, sizeof g);
	cmd = xasprintf(". tests/stack/unbound.sh && unbound_add %s/ub "
	    "'added.example.org. 123 IN A 192.0.2.99' && echo added",
	    st->dir);
	out = test_run(cmd);
	assert_non_null(strstr(out, "added"));
	free(out);
	free(cmd);
	srv = xasprintf("[::1]:%d", st->ubport);
	dns = resolver(loop, srv, 0, 0, 0);
	assert_string_equal(dns_servers(dns), srv);
	dns_query(dns, "added.example.org", DNS_T_A, got_cb, &g);
	run_until_idle(loop, dns, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, DNS_OK);
	assert_string_equal(g.text[0], "192.0.2.99");
	assert_int_equal(g.ttl[0], 123);
	got_clear(&g);
	dns_free(dns);
	free(srv);
	loop_free(loop);
}

struct many {
	int	 answered;
	int	 ok;
	int	 wrong;
	int	 idx[2000];
};

struct many_one {
	struct many	*m;
	int		 i;
};

static void
many_cb(const struct dns_answer *a, void *arg)
{
	struct many_one *one = arg;
	char want[32];

	one->m->answered++;
	one->m->idx[one->i]++;
	snprintf(want, sizeof want, "10.0.%d.%d", one->i / 256,
	    one->i % 256);
	if (a->status == DNS_OK && a->nrrs == 1 &&
	    strcmp(a->rrs[0].text, want) == 0)
		one->m->ok++;
	else
		one->m->wrong++;
}

/* 2,000 lookups with the given window: every one answered, correctly. */
static void
run_many(struct stack *st, int window, int timeout_ms, int tries)
{
	struct loop *loop = loop_new();
	struct many *m = xcalloc(1, sizeof *m);
	struct many_one *ones = xcalloc(2000, sizeof *ones);
	struct dns *dns;
	char *srv, name[64];
	int64_t start;
	int i;

	srv = xasprintf("127.0.0.1:%d", st->ubport);
	dns = resolver(loop, srv, timeout_ms, tries, window);
	start = loop_now_ms();
	for (i = 0; i < 2000; i++) {
		ones[i].m = m;
		ones[i].i = i;
		snprintf(name, sizeof name, "h%04d.example.org", i);
		dns_query(dns, name, DNS_T_A, many_cb, &ones[i]);
	}
	run_until_idle(loop, dns, 60000);
	print_message("# window %d: 2000 lookups in %lld ms\n", window,
	    (long long)(loop_now_ms() - start));
	assert_int_equal(m->answered, 2000);
	assert_int_equal(m->ok, 2000);
	assert_int_equal(m->wrong, 0);
	for (i = 0; i < 2000; i++)
		assert_int_equal(m->idx[i], 1);
	dns_free(dns);
	free(srv);
	free(ones);
	free(m);
	loop_free(loop);
}

static void
test_live_window_100(void **state)
{
	run_many(*state, 100, 0, 0);
}

static void
test_live_window_1000(void **state)
{
	run_many(*state, 1000, 500, 4);
}

static void
test_faux_statuses(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct got g[6];
	struct dns *dns;
	char *srv, *safe;
	size_t i;

	memset(g, 0, sizeof g);
	srv = xasprintf("127.0.0.1:%d", st->fxport);
	dns = resolver(loop, srv, 500, 2, 0);
	dns_query(dns, "servfail.x.example", DNS_T_TXT, got_cb, &g[0]);
	dns_query(dns, "refused.x.example", DNS_T_TXT, got_cb, &g[1]);
	dns_query(dns, "garbage.x.example", DNS_T_TXT, got_cb, &g[2]);
	dns_query(dns, "escape.x.example", DNS_T_TXT, got_cb, &g[3]);
	dns_query(dns, "truncate.x.example", DNS_T_TXT, got_cb, &g[4]);
	dns_query(dns, "ok.x.example", DNS_T_TXT, got_cb, &g[5]);
	run_until_idle(loop, dns, 10000);
	for (i = 0; i < 6; i++)
		assert_int_equal(g[i].calls, 1);
	assert_int_equal(g[0].status, DNS_SERVFAIL);
	assert_non_null(strstr(g[0].error, "SERVFAIL"));
	assert_int_equal(g[1].status, DNS_REFUSED);
	assert_int_equal(g[2].status, DNS_ERROR);
	assert_true(str_startswith(g[2].error, "malformed answer: "));
	assert_non_null(strstr(g[2].error, srv));
	/* The escape arrives raw; showing it is the caller's job. */
	assert_int_equal(g[3].status, DNS_OK);
	assert_int_equal(g[3].len[0], 4);
	assert_memory_equal(g[3].text[0], "\033[2J", 4);
	safe = str_sanitize(g[3].text[0], g[3].len[0]);
	assert_string_equal(safe, "\\x1b[2J");
	free(safe);
	/* Truncated over UDP, the full answer over TCP. */
	assert_int_equal(g[4].status, DNS_OK);
	assert_int_equal(g[4].tcp, 1);
	assert_int_equal(g[4].nstrings[0], 3);
	assert_int_equal(g[4].slen0[0], 255);
	assert_int_equal(g[4].len[0], 765);
	assert_int_equal(g[5].status, DNS_OK);
	assert_int_equal(g[5].tcp, 0);
	assert_int_equal(g[5].ttl[0], 42);
	for (i = 0; i < 6; i++)
		got_clear(&g[i]);
	dns_free(dns);
	free(srv);
	loop_free(loop);
}

/* Bad answers are replies (the resolver is there): FORMERR, NOTIMP, a
 * malformed packet, a CNAME loop, each named; silence is not.  A name a
 * resolver would rewrite ("\\027" read as "027") is never sent. */
static void
test_faux_replies(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct got g[6];
	struct dns *dns;
	char *srv;
	size_t i;

	memset(g, 0, sizeof g);
	srv = xasprintf("127.0.0.1:%d", st->fxport);
	dns = resolver(loop, srv, 300, 1, 0);
	dns_query(dns, "formerr.x.example", DNS_T_TXT, got_cb, &g[0]);
	dns_query(dns, "notimp.x.example", DNS_T_MX, got_cb, &g[1]);
	dns_query(dns, "garbage.x.example", DNS_T_A, got_cb, &g[2]);
	dns_query(dns, "cnameloop.x.example", DNS_T_TXT, got_cb, &g[3]);
	dns_query(dns, "silent.x.example", DNS_T_TXT, got_cb, &g[4]);
	dns_query(dns, "ok.\\027[2j.x.example", DNS_T_TXT, got_cb, &g[5]);
	run_until_idle(loop, dns, 10000);
	for (i = 0; i < 6; i++)
		assert_int_equal(g[i].calls, 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(g[i].status, DNS_ERROR);
		assert_int_equal(g[i].sent, 1);
		assert_int_equal(g[i].replied, 1);
	}
	assert_non_null(strstr(g[0].error, "answered FORMERR"));
	assert_non_null(strstr(g[1].error, "answered NOTIMP"));
	assert_true(str_startswith(g[2].error, "malformed answer: "));
	assert_true(str_startswith(g[3].error, "malformed answer: CNAME loop"
	    " at cnameloop.x.example"));
	assert_int_equal(g[4].status, DNS_TIMEOUT);
	assert_int_equal(g[4].sent, 1);
	assert_int_equal(g[4].replied, 0);
	assert_int_equal(g[5].status, DNS_ERROR);
	assert_int_equal(g[5].sent, 0);
	assert_int_equal(g[5].replied, 0);
	assert_non_null(strstr(g[5].error, "is not a valid domain name"));
	for (i = 0; i < 6; i++)
		got_clear(&g[i]);
	dns_free(dns);
	free(srv);
	loop_free(loop);
}

/* EDNS (UDP size 1232) is asked, and stays on after a SERVFAIL; norecurse
 * clears RD. */
static void
test_faux_edns(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct dns_opts o;
	struct got g;
	struct dns *dns;
	char *srv, *cause = NULL;
	static const char *seq[] = { "edns", "servfail", "edns", "refused",
	    "edns", "formerr", "edns" };
	/* c-ares 1.18 drops EDNS for the whole channel after a FORMERR
	 * without OPT (an old server); SERVFAIL and REFUSED keep it. */
	static const char *want[] = { "edns=1232 rd=1", NULL,
	    "edns=1232 rd=1", NULL, "edns=1232 rd=1", NULL,
	    "edns=none rd=1" };
	char name[64];
	size_t i;

	srv = xasprintf("127.0.0.1:%d", st->fxport);
	dns = resolver(loop, srv, 500, 2, 0);
	for (i = 0; i < sizeof seq / sizeof seq[0]; i++) {
		memset(&g, 0, sizeof g);
		snprintf(name, sizeof name, "%s.x.example", seq[i]);
		dns_query(dns, name, DNS_T_TXT, got_cb, &g);
		run_until_idle(loop, dns, 5000);
		assert_int_equal(g.calls, 1);
		if (want[i] != NULL)
			assert_string_equal(g.text[0], want[i]);
		else
			assert_int_not_equal(g.status, DNS_OK);
		got_clear(&g);
	}
	dns_free(dns);

	memset(&o, 0, sizeof o);
	o.servers = srv;
	o.norecurse = 1;
	dns = dns_new(loop, &o, &cause);
	assert_non_null(dns);
	memset(&g, 0, sizeof g);
	dns_query(dns, "edns.x.example", DNS_T_TXT, got_cb, &g);
	run_until_idle(loop, dns, 5000);
	assert_string_equal(g.text[0], "edns=1232 rd=0");
	got_clear(&g);
	dns_free(dns);
	free(srv);
	loop_free(loop);
}

struct ticker {
	struct loop	*loop;
	int64_t		 last;
	int64_t		 maxgap;
	int		 n;
	int		 stop;
};

static void
ticker_cb(void *arg)
{
	struct ticker *t = arg;
	int64_t now = loop_now_ms();

	if (now - t->last > t->maxgap)
		t->maxgap = now - t->last;
	t->last = now;
	t->n++;
	if (!t->stop)
		loop_timer_add(t->loop, 20, ticker_cb, t);
}

/* A silent server: DNS_TIMEOUT after the tries, the loop ticking along.
 * c-ares doubles the per-try timeout each round over the servers, so with
 * one server the bound is timeout * (2^tries - 1). */
static void
test_faux_silent(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct ticker t;
	struct got g;
	struct dns *dns;
	char *srv;
	int64_t start, took;

	memset(&g, 0, sizeof g);
	memset(&t, 0, sizeof t);
	t.loop = loop;
	srv = xasprintf("127.0.0.1:%d", st->fxport);
	dns = resolver(loop, srv, 200, 2, 0);
	start = t.last = loop_now_ms();
	loop_timer_add(loop, 20, ticker_cb, &t);
	dns_query(dns, "silent.x.example", DNS_T_A, got_cb, &g);
	run_until_idle(loop, dns, 5000);
	t.stop = 1;
	took = g.at - start;
	print_message("# silent: timeout after %lld ms, %d ticks, max gap "
	    "%lld ms\n", (long long)took, t.n, (long long)t.maxgap);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, DNS_TIMEOUT);
	assert_non_null(strstr(g.error, srv));
	assert_true(took >= 200);
	assert_true(took <= 200 * 3 + 300);
	assert_true(t.maxgap < 100);
	assert_true(t.n >= took / 20 - 3);
	got_clear(&g);
	dns_free(dns);
	loop_run(loop, NULL);		/* the last tick */
	free(srv);
	loop_free(loop);
}

static void
test_conn_refused(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct got g;
	struct dns *dns;
	char *srv, *want;

	memset(&g, 0, sizeof g);
	srv = xasprintf("127.0.0.1:%d", st->deadport);
	dns = resolver(loop, srv, 300, 2, 0);
	dns_query(dns, "example.org", DNS_T_A, got_cb, &g);
	run_until_idle(loop, dns, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, DNS_ERROR);
	want = xasprintf("connection refused by %s", srv);
	assert_string_equal(g.error, want);
	free(want);
	got_clear(&g);
	dns_free(dns);
	free(srv);
	loop_free(loop);
}

struct cancel {
	struct dns	*dns;
	int		 calls;
	int		 cancelled;
	int		 requeue;
	int		*each;
};

struct cancel_one {
	struct cancel	*c;
	int		 i;
};

static void
cancel_cb(const struct dns_answer *a, void *arg)
{
	struct cancel_one *one = arg;
	struct cancel *c = one->c;

	c->calls++;
	c->each[one->i]++;
	if (a->status == DNS_ERROR && strcmp(a->error, "cancelled") == 0)
		c->cancelled++;
	/* A callback that asks again while the resolver goes away. */
	if (c->requeue > 0 && one->i == 0) {
		c->requeue--;
		dns_query(c->dns, "again.x.example", DNS_T_A, cancel_cb, arg);
	}
}

/* dns_free with 5 lookups in flight and 15 queued: 20 (+1) callbacks. */
static void
test_free_pending(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct cancel c;
	struct cancel_one ones[20];
	int each[20], i;
	char *srv;

	memset(&c, 0, sizeof c);
	memset(each, 0, sizeof each);
	c.each = each;
	c.requeue = 1;
	srv = xasprintf("127.0.0.1:%d", st->fxport);
	c.dns = resolver(loop, srv, 1000, 2, 5);
	for (i = 0; i < 20; i++) {
		ones[i].c = &c;
		ones[i].i = i;
		dns_query(c.dns, "silent.x.example", DNS_T_A, cancel_cb,
		    &ones[i]);
	}
	loop_once(loop, 50);
	loop_once(loop, 50);
	assert_int_equal(dns_pending(c.dns), 20);
	assert_int_equal(c.calls, 0);
	dns_free(c.dns);
	assert_int_equal(c.calls, 21);
	assert_int_equal(c.cancelled, 21);
	assert_int_equal(each[0], 2);
	for (i = 1; i < 20; i++)
		assert_int_equal(each[i], 1);
	assert_int_equal(loop_busy(loop), 0);
	free(srv);
	loop_free(loop);
}

/* The resolver freed from inside one of its callbacks. */
static void
free_in_cb(const struct dns_answer *a, void *arg)
{
	struct cancel *c = arg;

	c->calls++;
	if (a->status == DNS_ERROR && strcmp(a->error, "cancelled") == 0)
		c->cancelled++;
	else
		dns_free(c->dns);
}

static void
test_free_in_callback(void **state)
{
	struct stack *st = *state;
	struct loop *loop = loop_new();
	struct cancel c;
	char *srv;
	int i;

	memset(&c, 0, sizeof c);
	srv = xasprintf("127.0.0.1:%d", st->fxport);
	c.dns = resolver(loop, srv, 1000, 2, 0);
	dns_query(c.dns, "ok.x.example", DNS_T_TXT, free_in_cb, &c);
	for (i = 0; i < 5; i++)
		dns_query(c.dns, "silent.x.example", DNS_T_A, free_in_cb, &c);
	for (i = 0; i < 100 && c.calls < 6; i++)
		loop_once(loop, 50);
	assert_int_equal(c.calls, 6);
	assert_int_equal(c.cancelled, 5);
	assert_int_equal(loop_busy(loop), 0);
	free(srv);
	loop_free(loop);
}

static void
test_bad_input(void **state)
{
	static const char *bad[] = {
		"x", "", ",", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
		"1.2.3.4:53x", "[::1", "[::1]x", "[1.2.3.4]:53",
		"::1:53:", "1.2.3.4:+53", "localhost",
	};
	struct loop *loop = loop_new();
	struct dns_opts o;
	struct dns *dns;
	struct got g;
	char *cause, *want, label[80];
	size_t i;

	(void)state;
	memset(&o, 0, sizeof o);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		o.servers = bad[i];
		assert_null(dns_new(loop, &o, &cause));
		assert_non_null(cause);
		if (strchr(bad[i], ',') == NULL) {
			want = xasprintf("--resolver: \"%s\" is not IP[:PORT]",
			    bad[i]);
			assert_string_equal(cause, want);
			free(want);
		}
		free(cause);
	}
	o.servers = "192.0.2.1, [2001:DB8::1]:5353,::1";
	dns = dns_new(loop, &o, &cause);
	assert_non_null(dns);
	assert_string_equal(dns_servers(dns),
	    "192.0.2.1:53,[2001:db8::1]:5353,[::1]:53");

	/* A label of 70 bytes: c-ares refuses it; still one callback, later. */
	memset(&g, 0, sizeof g);
	memset(label, 'a', 70);
	strcpy(label + 70, ".org");
	dns_query(dns, label, DNS_T_A, got_cb, &g);
	assert_int_equal(g.calls, 0);
	loop_once(loop, 100);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, DNS_ERROR);
	assert_non_null(strstr(g.error, "is not a valid domain name"));
	got_clear(&g);
	dns_free(dns);

	/* NULL: the system's resolv.conf. */
	dns = dns_new(loop, NULL, &cause);
	assert_non_null(dns);
	assert_non_null(dns_servers(dns));
	dns_free(dns);
	assert_string_equal(dns_status_name(DNS_NXDOMAIN), "NXDOMAIN");
	assert_string_equal(dns_status_name(DNS_TIMEOUT), "timeout");
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_a_compressed),
		cmocka_unit_test(test_parse_aaaa_mx_ptr),
		cmocka_unit_test(test_parse_cname_chain),
		cmocka_unit_test(test_parse_txt),
		cmocka_unit_test(test_parse_negative),
		cmocka_unit_test(test_parse_rcodes),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_pointers),
		cmocka_unit_test(test_parse_bad_lengths),
		cmocka_unit_test(test_parse_question),
		cmocka_unit_test(test_parse_name_escapes),
		cmocka_unit_test(test_loop_timers),
		cmocka_unit_test(test_loop_timer_ids),
		cmocka_unit_test(test_loop_fd_remove),
		cmocka_unit_test(test_bad_input),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test(test_live_records),
		cmocka_unit_test(test_live_add_and_ipv6),
		cmocka_unit_test(test_live_window_100),
		cmocka_unit_test(test_live_window_1000),
		cmocka_unit_test(test_faux_statuses),
		cmocka_unit_test(test_faux_replies),
		cmocka_unit_test(test_faux_edns),
		cmocka_unit_test(test_faux_silent),
		cmocka_unit_test(test_conn_refused),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_free_in_callback),
	};
	int failed;

	failed = cmocka_run_group_tests_name("dns", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("dns-live", live, group_setup,
	    group_teardown);
	return failed;
}
