/* dnsbl.c: the blocklists a run asks, their query names, and what their
 * return codes mean (each list's own documentation, summarized). */
#include "core/check/dnsbl.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/check/records.h"
#include "core/conf/settings.h"
#include "core/dns/zone.h"
#include "core/lib/dnsname.h"

/* One return code of a list: a listing, or (error) a refused query. */
struct dnsbl_code {
	const char	*addr;
	const char	*label;		/* the sub-list: "SBL", or NULL */
	const char	*meaning;
	int		 error;
};

/* A list notspam knows: how to ask it, what its codes mean, the way off. */
struct dnsbl_known {
	const char		*zone;		/* the public mirror's zone */
	const char		*dqs;		/* its DQS zone after the key,
						   or NULL */
	const char		*name;
	enum dnsbl_kind		 kind;
	int			 ipv6;		/* serves IPv6 queries */
	int			 spamhaus;	/* 127.255.255.0/24: errors */
	const char		*test;		/* the entry it must list */
	const struct dnsbl_code	*codes;		/* NULL-terminated */
	const char		*delist;
	const char		*howto;
	const char		*hint;		/* why its test entry may not
						   answer, or NULL */
};

/* Spamhaus's IP zones (ZEN and its parts: SBL, XBL, PBL), from its zone
 * and return-code documentation. */
static const struct dnsbl_code spamhaus_ip_codes[] = {
	{ "127.0.0.2", "SBL", "a spam source or spam operation (Spamhaus Block"
	    " List)", 0 },
	{ "127.0.0.3", "CSS", "low-reputation mail found by automation"
	    " (snowshoe spam)", 0 },
	{ "127.0.0.4", "XBL", "an exploited host: a bot, an open proxy or"
	    " other malware sends from the address", 0 },
	{ "127.0.0.5", "XBL", "an exploited host", 0 },
	{ "127.0.0.6", "XBL", "an exploited host", 0 },
	{ "127.0.0.7", "XBL", "an exploited host", 0 },
	{ "127.0.0.9", "DROP", "a network no one should route (hijacked or"
	    " run by criminals)", 0 },
	{ "127.0.0.10", "PBL", "the address's provider says this range does"
	    " not send mail straight to other servers", 0 },
	{ "127.0.0.11", "PBL", "Spamhaus takes the range for end-user"
	    " addresses, not mail servers", 0 },
	{ "127.0.0.30", "BCL", "a botnet command-and-control server", 0 },
	{ NULL, NULL, NULL, 0 }
};

/* Spamhaus DBL. */
static const struct dnsbl_code spamhaus_dbl_codes[] = {
	{ "127.0.1.2", "DBL", "a low-reputation domain: seen in spam", 0 },
	{ "127.0.1.4", "DBL", "a phishing domain", 0 },
	{ "127.0.1.5", "DBL", "a malware domain", 0 },
	{ "127.0.1.6", "DBL", "a botnet command-and-control domain", 0 },
	{ "127.0.1.102", "DBL", "an abused legitimate domain: compromised,"
	    " seen in spam", 0 },
	{ "127.0.1.103", "DBL", "an abused legitimate domain: a redirector or"
	    " URL shortener spammers use", 0 },
	{ "127.0.1.104", "DBL", "an abused legitimate domain used in"
	    " phishing", 0 },
	{ "127.0.1.105", "DBL", "an abused legitimate domain used by"
	    " malware", 0 },
	{ "127.0.1.106", "DBL", "an abused legitimate domain hosting botnet"
	    " command and control", 0 },
	{ "127.0.1.255", NULL, "an address was asked of a domain list, which"
	    " Spamhaus refuses", 1 },
	{ NULL, NULL, NULL, 0 }
};

/* Spamhaus's errors, in every zone: not listings (its 2019 and 2021
 * notices on return codes). */
static const struct dnsbl_code spamhaus_errors[] = {
	{ "127.255.255.250", NULL, "Spamhaus does not accept the DQS key (a"
	    " disabled key)", 1 },
	{ "127.255.255.251", NULL, "Spamhaus does not accept the DQS key", 1 },
	{ "127.255.255.252", NULL, "a typing error in the list's name: no"
	    " such Spamhaus zone", 1 },
	{ "127.255.255.254", NULL, "the query came through a public or open"
	    " resolver (or one with generic reverse DNS), which Spamhaus does"
	    " not answer", 1 },
	{ "127.255.255.255", NULL, "too many queries: the resolver is over"
	    " Spamhaus's free-use limit", 1 },
	{ NULL, NULL, NULL, 0 }
};

static const struct dnsbl_code barracuda_codes[] = {
	{ "127.0.0.2", NULL, "the Barracuda Reputation System saw spam from"
	    " the address", 0 },
	{ NULL, NULL, NULL, 0 }
};

static const struct dnsbl_code spamcop_codes[] = {
	{ "127.0.0.2", NULL, "SpamCop users or its spam traps reported mail"
	    " from the address as spam", 0 },
	{ NULL, NULL, NULL, 0 }
};

#define SPAMHAUS_DELIST	"https://check.spamhaus.org/"
#define SPAMHAUS_HOWTO	"find and stop what the listing names, then ask" \
	" Spamhaus to remove the listing"
#define SPAMHAUS_HINT	"Spamhaus answers NXDOMAIN or 127.255.255.254 to" \
	" public, open and many hosting resolvers; a free Spamhaus DQS key" \
	" (blocklists = <key>.zen.dq.spamhaus.net) works through any" \
	" resolver"

static const struct dnsbl_known known[] = {
	{ "zen.spamhaus.org", "zen.dq.spamhaus.net", "Spamhaus ZEN", DNSBL_IP,
	    1, 1, "127.0.0.2", spamhaus_ip_codes, SPAMHAUS_DELIST,
	    SPAMHAUS_HOWTO, SPAMHAUS_HINT },
	{ "sbl.spamhaus.org", "sbl.dq.spamhaus.net", "Spamhaus SBL", DNSBL_IP,
	    1, 1, "127.0.0.2", spamhaus_ip_codes, SPAMHAUS_DELIST,
	    SPAMHAUS_HOWTO, SPAMHAUS_HINT },
	{ "xbl.spamhaus.org", "xbl.dq.spamhaus.net", "Spamhaus XBL", DNSBL_IP,
	    1, 1, "127.0.0.2", spamhaus_ip_codes, SPAMHAUS_DELIST,
	    SPAMHAUS_HOWTO, SPAMHAUS_HINT },
	{ "pbl.spamhaus.org", "pbl.dq.spamhaus.net", "Spamhaus PBL", DNSBL_IP,
	    1, 1, "127.0.0.2", spamhaus_ip_codes, SPAMHAUS_DELIST,
	    SPAMHAUS_HOWTO, SPAMHAUS_HINT },
	{ "sbl-xbl.spamhaus.org", "sbl-xbl.dq.spamhaus.net",
	    "Spamhaus SBL-XBL", DNSBL_IP, 1, 1, "127.0.0.2",
	    spamhaus_ip_codes, SPAMHAUS_DELIST, SPAMHAUS_HOWTO,
	    SPAMHAUS_HINT },
	{ "dbl.spamhaus.org", "dbl.dq.spamhaus.net", "Spamhaus DBL",
	    DNSBL_DOMAIN, 0, 1, "dbltest.com", spamhaus_dbl_codes,
	    SPAMHAUS_DELIST, SPAMHAUS_HOWTO, SPAMHAUS_HINT },
	{ "b.barracudacentral.org", NULL, "Barracuda BRBL", DNSBL_IP, 0, 0,
	    "127.0.0.2", barracuda_codes, "https://www.barracudacentral.org/"
	    "lookups", "find and stop what sent the spam, then request"
	    " removal (look the address up, then follow the removal link)",
	    "Barracuda answers only resolvers registered with it (free, at"
	    " https://www.barracudacentral.org/account/register)" },
	{ "bl.spamcop.net", NULL, "SpamCop", DNSBL_IP, 0, 0, "127.0.0.2",
	    spamcop_codes, "https://www.spamcop.net/bl.shtml",
	    "find and stop what sent the reported mail: there is no removal"
	    " request, a listing ends by itself 24 hours after the last"
	    " report", NULL },
};
#define NKNOWN	(sizeof known / sizeof known[0])

/* The known list of zone, and whether it is its DQS form with a key
 * before it (*dqs). */
static const struct dnsbl_known *
dnsbl_find(const char *zone, int *dqs)
{
	const char *dot = strchr(zone, '.');
	size_t i;

	*dqs = 0;
	for (i = 0; i < NKNOWN; i++) {
		if (strcmp(zone, known[i].zone) == 0)
			return &known[i];
		if (known[i].dqs != NULL && dot != NULL &&
		    strcmp(dot + 1, known[i].dqs) == 0) {
			*dqs = 1;
			return &known[i];
		}
	}
	return NULL;
}

/* A zone name as the settings take it: a host name of two labels or more,
 * short enough for any query under it. */
static int
dnsbl_zone_ok(const char *zone)
{
	return dnsname_host_ok(zone) && strchr(zone, '.') != NULL &&
	    strlen(zone) <= DNSBL_ZONE_MAX && zone[strlen(zone) - 1] != '.';
}

int
dnsbl_entry_check(enum dnsbl_kind kind, const char *word, char **out,
    char **cause)
{
	const struct dnsbl_known *k;
	const char *setting = kind == DNSBL_IP ? "blocklists" :
	    "domain_blocklists";
	char *zone, *safe, *plus;
	size_t len;
	int ipv6 = 0, dqs, rc = 0;

	*out = NULL;
	zone = str_lower(xstrdup(word));
	if ((plus = strchr(zone, '+')) != NULL) {
		if (strcmp(plus, "+ipv6") != 0 || kind != DNSBL_IP)
			goto bad;
		*plus = '\0';
		ipv6 = 1;
	}
	len = strlen(zone);
	if (len > 1 && zone[len - 1] == '.')
		zone[len - 1] = '\0';
	if (!dnsbl_zone_ok(zone))
		goto bad;
	if ((k = dnsbl_find(zone, &dqs)) != NULL && k->kind != kind) {
		rc = error_set(cause, "%s: %s lists %s: name it in %s", setting,
		    zone, k->kind == DNSBL_IP ? "addresses" : "domains",
		    k->kind == DNSBL_IP ? "blocklists" : "domain_blocklists");
		free(zone);
		return rc;
	}
	*out = ipv6 ? xasprintf("%s+ipv6", zone) : xstrdup(zone);
	free(zone);
	return 0;
bad:
	free(zone);
	safe = str_sanitize(word, strlen(word));
	rc = error_set(cause, "%s: \"%.60s\" is not a blocklist zone; write"
	    " zone names like %s%s, separated by blanks, or none", setting,
	    safe, kind == DNSBL_IP ? "zen.spamhaus.org" : "dbl.spamhaus.org",
	    kind == DNSBL_IP ? " (bl.example.net+ipv6 to ask it for IPv6"
	    " addresses too)" : "");
	free(safe);
	return rc;
}

/* "<entry>.<zone>" for a test entry: an address reversed, or a name. */
static char *
dnsbl_join(const char *prefix, const char *zone)
{
	return xasprintf("%s.%s", prefix, zone);
}

/* Add the list of one kept word of a setting. */
static void
dnsbl_add(struct dnsbl_set *set, enum dnsbl_kind kind, const char *word)
{
	struct dnsbl_list *l;
	const struct dnsbl_known *k;
	char *entry = NULL, *plus;
	int dqs;
	size_t i;

	if (dnsbl_entry_check(kind, word, &entry, NULL) != 0)
		return;
	if ((plus = strchr(entry, '+')) != NULL)
		*plus = '\0';
	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i].zone, entry) == 0) {
			free(entry);		/* named twice */
			return;
		}
	set->v = xgrow(set->v, set->n, sizeof *set->v);
	l = &set->v[set->n++];
	memset(l, 0, sizeof *l);
	l->zone = entry;
	l->kind = kind;
	l->ipv6 = plus != NULL;
	k = dnsbl_find(entry, &dqs);
	l->known = k;
	l->secret = dqs;
	l->shown = xstrdup(dqs ? k->dqs : entry);
	if (k != NULL) {
		l->ipv6 |= k->ipv6;
		l->label = xasprintf("%s (%s)", k->name, l->shown);
	} else
		l->label = xstrdup(l->shown);
	if (kind == DNSBL_IP) {
		l->test_entry = "127.0.0.2";
		l->untest_entry = "127.0.0.1";
		l->test = dnsbl_join("2.0.0.127", entry);
		l->untest = dnsbl_join("1.0.0.127", entry);
	} else {
		/* RFC 5782 §5: TEST is listed, INVALID is not; Spamhaus DBL
		 * documents dbltest.com as its test point. */
		l->test_entry = k != NULL ? k->test : "test";
		l->untest_entry = "invalid";
		l->test = dnsbl_join(l->test_entry, entry);
		l->untest = dnsbl_join("invalid", entry);
	}
}

/* The words of one setting (or its default) as lists. */
static void
dnsbl_add_words(struct dnsbl_set *set, enum dnsbl_kind kind,
    const struct strv *words)
{
	size_t i;

	for (i = 0; i < words->n; i++)
		dnsbl_add(set, kind, words->v[i]);
}

void
dnsbl_lists(const struct settings *st, struct dnsbl_set *set)
{
	struct strv def;

	memset(set, 0, sizeof *set);
	strv_init(&def);
	if (st != NULL && st->have_blocklists)
		dnsbl_add_words(set, DNSBL_IP, &st->blocklists);
	else {
		str_split(DNSBL_DEFAULT_IP, " ", &def);
		dnsbl_add_words(set, DNSBL_IP, &def);
		strv_free(&def);
		strv_init(&def);
	}
	if (st != NULL && st->have_domain_blocklists)
		dnsbl_add_words(set, DNSBL_DOMAIN, &st->domain_blocklists);
	else {
		str_split(DNSBL_DEFAULT_DOMAIN, " ", &def);
		dnsbl_add_words(set, DNSBL_DOMAIN, &def);
	}
	strv_free(&def);
}

/* Free what one list owns. */
static void
dnsbl_list_free(struct dnsbl_list *l)
{
	free(l->zone);
	free(l->shown);
	free(l->label);
	free(l->test);
	free(l->untest);
}

void
dnsbl_set_free(struct dnsbl_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		dnsbl_list_free(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* The name under zone for target; NULL when it cannot be asked. */
static char *
dnsbl_name(const struct dnsbl_list *l, const char *zone, const char *target)
{
	char *rev, *name, *t;
	size_t n;

	if (l->kind == DNSBL_IP) {
		/* The reverse-lookup name without its in-addr.arpa. or
		 * ip6.arpa. tail: the same octets and nibbles. */
		if ((rev = records_reverse_name(target)) == NULL)
			return NULL;
		n = strlen(rev);
		n -= strchr(target, ':') == NULL ? strlen(".in-addr.arpa.") :
		    strlen(".ip6.arpa.");
		name = xasprintf("%.*s.%s", (int)n, rev, zone);
		free(rev);
		return name;
	}
	t = dnsname_norm(target);
	name = xasprintf("%s.%s", t, zone);
	free(t);
	if (strlen(name) > 253 || !dnsname_query_ok(name)) {
		free(name);
		return NULL;
	}
	return name;
}

char *
dnsbl_query_name(const struct dnsbl_list *l, const char *target)
{
	return dnsbl_name(l, l->zone, target);
}

char *
dnsbl_shown_name(const struct dnsbl_list *l, const char *target)
{
	return dnsbl_name(l, l->shown, target);
}

/* The code of list l for a (canonical text), or NULL. */
static const struct dnsbl_code *
dnsbl_code(const struct dnsbl_list *l, const char *a)
{
	const struct dnsbl_code *c;

	if (l->known == NULL)
		return NULL;
	for (c = l->known->codes; c->addr != NULL; c++)
		if (strcmp(c->addr, a) == 0)
			return c;
	if (l->known->spamhaus)
		for (c = spamhaus_errors; c->addr != NULL; c++)
			if (strcmp(c->addr, a) == 0)
				return c;
	return NULL;
}

/* Is a an IPv4 address in text (b: its bytes)? */
static int
dnsbl_v4(const char *a, unsigned char *b)
{
	return inet_pton(AF_INET, a, b) == 1;
}

/* Why a is not a listing, or NULL when it is one. */
static const char *
dnsbl_not_code(const struct dnsbl_list *l, const char *a,
    const struct dnsbl_code *c)
{
	unsigned char b[4];

	if (!dnsbl_v4(a, b))
		return "an answer that is not an IPv4 address";
	if (b[0] != 127)
		return "an answer outside 127.0.0.0/8, where no list answers"
		    " (RFC 5782): the resolver rewrites answers, or the list's"
		    " domain lapsed";
	if (c != NULL && c->error)
		return c->meaning;
	if (l->known != NULL && l->known->spamhaus && b[1] == 255 &&
	    b[2] == 255)
		return "an error code of Spamhaus's (127.255.255.0/24), not a"
		    " listing";
	if (b[1] == 0 && b[2] == 0 && b[3] == 1)
		return "127.0.0.1, which no list lists (RFC 5782 §5): lists"
		    " answer it to refuse a query";
	return NULL;
}

/* qsort: two addresses' texts in numeric order. */
static int
dnsbl_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	unsigned char bx[4], by[4];
	int vx = dnsbl_v4(x, bx), vy = dnsbl_v4(y, by);

	if (vx != vy)
		return vy - vx;		/* addresses first */
	if (!vx)
		return strcmp(x, y);
	return memcmp(bx, by, sizeof bx);
}

void
dnsbl_sort(const char **addrs, size_t n)
{
	if (n > 1)
		qsort(addrs, n, sizeof *addrs, dnsbl_cmp);
}

enum dnsbl_verdict
dnsbl_judge(const struct dnsbl_list *l, enum dns_status status,
    const char *const *addrs, size_t naddrs, char **text)
{
	const struct dnsbl_code *c;
	const char *why, *a, **sorted;
	unsigned char b4[4];
	struct buf listed, bad;
	size_t i;
	enum dnsbl_verdict v;

	if (text != NULL)
		*text = NULL;
	switch (status) {
	case DNS_OK:
		if (naddrs > 0)
			break;
		/* FALLTHROUGH */
	case DNS_NODATA:
	case DNS_NXDOMAIN:
		return DNSBL_NOT_LISTED;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
	case DNS_TIMEOUT:
	case DNS_ERROR:
		if (text != NULL)
			*text = xasprintf("no answer: %s",
			    dns_status_name(status));
		return DNSBL_UNKNOWN;
	}
	buf_init(&listed);
	buf_init(&bad);
	sorted = xcalloc(naddrs, sizeof *sorted);
	memcpy(sorted, addrs, naddrs * sizeof *sorted);
	dnsbl_sort(sorted, naddrs);
	for (i = 0; i < naddrs; i++) {
		a = sorted[i];
		c = dnsbl_code(l, a);
		if ((why = dnsbl_not_code(l, a, c)) != NULL) {
			/* Not an address: never quoted. */
			buf_printf(&bad, "%s%s: %s", bad.len ? "; " : "",
			    dnsbl_v4(a, b4) ? a : "the answer", why);
			continue;
		}
		if (c != NULL)
			buf_printf(&listed, "%s%s%s%s: %s", listed.len ? "; " :
			    "", a, c->label != NULL ? " " : "",
			    c->label != NULL ? c->label : "", c->meaning);
		else
			buf_printf(&listed, "%s%s%s", listed.len ? "; " : "",
			    a, l->known != NULL ? " (a code the list does not"
			    " document)" : "");
	}
	free(sorted);
	v = bad.len > 0 ? DNSBL_UNKNOWN : DNSBL_LISTED;
	if (text != NULL)
		*text = buf_steal(v == DNSBL_UNKNOWN ? &bad : &listed);
	buf_free(&listed);
	buf_free(&bad);
	return v;
}

const char *
dnsbl_delist(const struct dnsbl_list *l)
{
	return l->known != NULL ? l->known->delist : NULL;
}

const char *
dnsbl_howto(const struct dnsbl_list *l)
{
	if (l->known != NULL)
		return l->known->howto;
	return "find and stop what the listing names, then ask the list's"
	    " operator for removal (the TXT record of a listing often names"
	    " the page)";
}

const char *
dnsbl_refusal_hint(const struct dnsbl_list *l)
{
	return l->known != NULL ? l->known->hint : NULL;
}

int
dnsbl_zone_holds(const struct zone_set *zs, const char *name)
{
	unsigned char *msg = NULL;
	size_t len = 0;
	int holds;

	/*
	 * A name under no loaded zone is NXDOMAIN with nothing else; under
	 * one, an answer, or the zone's SOA in the authority section.
	 */
	if (zs == NULL || zone_set_answer(zs, name, DNS_T_A, &msg, &len) != 0)
		return 0;
	holds = len >= 12 && (msg[6] != 0 || msg[7] != 0 || msg[8] != 0 ||
	    msg[9] != 0);
	free(msg);
	return holds;
}

void
dnsbl_keep_held(struct dnsbl_set *set, const struct zone_set *zs)
{
	size_t i, k;

	for (i = k = 0; i < set->n; i++) {
		if (dnsbl_zone_holds(zs, set->v[i].test))
			set->v[k++] = set->v[i];
		else
			dnsbl_list_free(&set->v[i]);
	}
	set->n = k;
}
