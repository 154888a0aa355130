/* dns.h: asynchronous DNS lookups on c-ares, driven by core/loop.
 *
 * c-ares 1.18 (Debian 12): sockets reach the loop through
 * ARES_OPT_SOCK_STATE_CB, are served with ares_process_fd(), and the loop's
 * timer follows ares_timeout().  No ares_fds/select, no threads.
 *
 * Answers are parsed from the raw DNS message by core/dns/dns_parse.h (not
 * by the ares_parse_* helpers), so every record keeps its TTL, TXT records
 * keep their character-strings apart, and the result tells NXDOMAIN,
 * NODATA, SERVFAIL, REFUSED and timeout apart.  Queries beyond the window
 * wait in a FIFO queue: sending thousands at once overflows UDP buffers.
 */
#ifndef NOTSPAM_DNS_H
#define NOTSPAM_DNS_H

#include <stddef.h>

struct loop;
struct dns;
struct zone_set;

/* Record types used (the numbers are the DNS ones). */
#define DNS_T_A		1
#define DNS_T_NS	2
#define DNS_T_CNAME	5
#define DNS_T_SOA	6
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_SPF	99

enum dns_status {
	DNS_OK,		/* NOERROR with at least one record of the type */
	DNS_NODATA,	/* NOERROR, the name exists, no record of the type */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_SERVFAIL,
	DNS_REFUSED,
	DNS_TIMEOUT,	/* no answer after every try */
	DNS_ERROR,	/* anything else: FORMERR, malformed answer, no server */
};

/* One record of the answer section matching the question (CNAMEs followed
 * by the resolver are skipped; the owner is the question's name). */
struct dns_rr {
	int		 type;
	unsigned	 ttl;
	/*
	 * A/AAAA: the address in canonical text; MX, PTR, NS, CNAME: the host
	 * name in lower case without the final dot ("." for the root, as in a
	 * null MX); TXT/SPF: the character-strings joined with nothing between
	 * them (may hold any byte but NUL is kept as is: use len).
	 */
	char		*text;
	size_t		 len;		/* bytes in text */
	int		 pref;		/* MX preference */
	char		**strings;	/* TXT/SPF: each character-string */
	size_t		*lens;		/* their lengths */
	size_t		 nstrings;
};

struct dns_answer {
	enum dns_status	 status;
	const char	*name;		/* the name asked */
	int		 type;		/* the type asked */
	struct dns_rr	*rrs;
	size_t		 nrrs;
	unsigned	 neg_ttl;	/* NXDOMAIN/NODATA: SOA minimum (RFC 2308), else 0 */
	int		 aa;		/* authoritative answer bit */
	int		 tcp;		/* the answer came over TCP (truncation) */
	const char	*error;		/* for DNS_ERROR/TIMEOUT/...: a readable cause */
	/*
	 * Who is to blame: sent is 1 when the query went out (0: a name that
	 * cannot be asked, refused here, or cancelled before it was sent);
	 * replied is 1 when the server sent a message back, whatever it held
	 * (FORMERR, NOTIMP, a malformed packet, a CNAME loop are replies: the
	 * resolver is there, only this answer is bad).
	 */
	int		 sent;
	int		 replied;
	char		*error_text;	/* owned text a->error may point at
					   (dns_answer_clear frees it) */
};

/* Called exactly once per query, from the loop; the answer is only valid
 * during the call. */
typedef void (*dns_cb)(const struct dns_answer *, void *arg);

struct dns_opts {
	/* "IP[:PORT][,...]" with IPv6 as "[::1]:5353"; NULL: /etc/resolv.conf */
	const char	*servers;
	int		 timeout_ms;	/* per try; 0: 2000 */
	int		 tries;		/* 0: 2 */
	int		 window;	/* queries in flight at most; 0: 100 */
	int		 norecurse;	/* ask without RD (authoritative servers) */
	/*
	 * Zone-file mode (core/dns/zone.h): every lookup is answered from
	 * these zones, from the loop as the network's answers are, and
	 * servers is only the name dns_servers() gives ("zone files" when
	 * NULL).  Borrowed: it must outlive the resolver.  Code that makes
	 * resolvers of its own beside one in zone mode (the checks, for the
	 * authoritative nameservers) passes dns_zones() on: in zone mode the
	 * files are the authoritative data.
	 */
	const struct zone_set *zones;
};

/* A resolver on the loop; NULL with *cause when the server list is bad or
 * c-ares cannot start. */
struct dns *dns_new(struct loop *, const struct dns_opts *, char **cause);

/* Cancel what is pending (each callback runs with DNS_ERROR "cancelled")
 * and free. */
void dns_free(struct dns *);

/* Queue a lookup; cb runs later from the loop, never from inside this call.
 * A name that cannot be asked as it is (core/lib/dnsname.h
 * dnsname_query_ok: a backslash, a control byte, a label over 63 bytes) is
 * never sent, nor rewritten into another name: cb gets DNS_ERROR "... is
 * not a valid domain name" with sent 0. */
void dns_query(struct dns *, const char *name, int type, dns_cb cb,
    void *arg);

/* Queries queued or in flight. */
size_t dns_pending(const struct dns *);

/* The servers in use, as text ("127.0.0.1:5353"); owned by the resolver. */
const char *dns_servers(const struct dns *);

/* Does the resolver answer from zone files (struct dns_opts zones)? */
int dns_zone_mode(const struct dns *);
/* Its zones (borrowed), or NULL when it asks the network. */
const struct zone_set *dns_zones(const struct dns *);

/* "NXDOMAIN", "timeout", ... for messages. */
const char *dns_status_name(enum dns_status);

/*
 * Check a server list as struct dns_opts servers takes it ("IP[:PORT]" or
 * "[IPv6]:PORT", comma-separated), without starting anything: 0, or -1
 * with *cause (caller frees) naming the first bad entry (escaped, at most
 * 40 bytes of it quoted), why it is wrong and what to give instead.  An
 * empty list or an empty entry ("192.0.2.1,") is bad.
 */
int dns_servers_check(const char *list, char **cause);

#endif
