/* check_rules.c: what each live check decides from the DNS answers, per
 * the rules of the design (SPF, DKIM, DMARC, MX, A/AAAA, PTR, blocklists).
 *
 * Every rule may run many times (once per arriving answer, once per view):
 * it only reads cached results and records notes, found values and fixes
 * into the evaluation.  Text from the DNS reaches notes raw; check.c
 * sanitizes the whole detail line when it commits it.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check/check_int.h"
#include "core/dns/dkimrec.h"
#include "core/dns/dmarc.h"
#include "core/lib/dnsname.h"
#include "core/lib/fsroot.h"
#include "core/lib/netaddr.h"

/* RFC 7208 §3.4: a record over 450 bytes may not fit a UDP answer with
 * other records; over 512 is asking for truncation. */
#define SPF_INFO_LEN	450
#define SPF_WARN_LEN	512

/* The record's zone line as a fix; nothing when it has no value. */
static void
fix_record(struct check_ev *ev, const struct record *r)
{
	char *line;

	if (r == NULL || r->value == NULL)
		return;
	line = records_zone_line(r);
	check_fix(ev, line);
	free(line);
}

/* A fix line of a change followed by the record to publish. */
static void
fix_change(struct check_ev *ev, const char *change, const struct record *r)
{
	char *line, *fix;

	if (r == NULL || r->value == NULL) {
		check_fix(ev, change);
		return;
	}
	line = records_zone_line(r);
	fix = xasprintf("%s:\n%s", change, line);
	check_fix(ev, fix);
	free(fix);
	free(line);
}

/* Is the TXT record an SPF record ("v=spf1" then a space or its end)? */
static int
is_spf(const struct check_rr *rr)
{
	return rr->len >= 6 && strncasecmp(rr->text, "v=spf1", 6) == 0 &&
	    (rr->len == 6 || rr->text[6] == ' ');
}

/* Are two texts the same address (canonical forms compared)? */
static int
same_addr(const char *a, const char *b)
{
	char *ca = netaddr_canon(a, NULL), *cb = netaddr_canon(b, NULL);
	int same = ca != NULL && cb != NULL && strcmp(ca, cb) == 0;

	free(ca);
	free(cb);
	return same;
}

/* Does the answer hold the address? */
static int
has_addr(const struct check_q *q, const char *addr)
{
	size_t i;

	for (i = 0; q != NULL && i < q->nrrs; i++)
		if (same_addr(q->rrs[i].text, addr))
			return 1;
	return 0;
}

/* Is addr one of the server's public addresses? */
static int
is_ours(const struct site *site, const char *addr)
{
	size_t i;

	for (i = 0; i < site->ipv4.n; i++)
		if (same_addr(site->ipv4.v[i], addr))
			return 1;
	for (i = 0; i < site->ipv6.n; i++)
		if (same_addr(site->ipv6.v[i], addr))
			return 1;
	return 0;
}

/* The server's public addresses as "a, b". */
static char *
our_addrs(const struct site *site)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < site->ipv4.n; i++)
		buf_printf(&b, "%s%s", b.len ? ", " : "", site->ipv4.v[i]);
	for (i = 0; i < site->ipv6.n; i++)
		buf_printf(&b, "%s%s", b.len ? ", " : "", site->ipv6.v[i]);
	if (b.len == 0)
		buf_adds(&b, "none known");
	return buf_steal(&b);
}

/* The owner name of a record without the final dot; caller frees. */
static char *
owner(const struct record *r)
{
	size_t n = strlen(r->name);

	if (n > 1 && r->name[n - 1] == '.')
		n--;
	return xstrndup(r->name, n);
}

/* MX: present, not null, each host with an address, one of them ours. */
static void
rule_mx(struct check_ev *ev, struct check_work *w)
{
	const struct record *r = w->recs[0];
	const struct check_q *q, *qa, *q6;
	struct buf hosts, addrs;
	char *mine;
	size_t i, j;
	int ans, sa, s6, ours = 0, n = 0;

	if ((q = check_get(ev, ev->domain, DNS_T_MX)) == NULL)
		return;
	if ((ans = check_answer(ev, q)) < 0)
		return;
	if (ans == 0 && q->status == DNS_NXDOMAIN) {
		check_note(ev, CHECK_FAIL, "%s does not exist in the DNS"
		    " (NXDOMAIN): register and delegate it, then publish its"
		    " records; until then mail for it bounces", ev->domain);
		fix_record(ev, r);
		return;
	}
	if (ans == 0) {
		check_note(ev, CHECK_FAIL, "no MX record at %s: senders fall"
		    " back to its A record or bounce", ev->domain);
		fix_record(ev, r);
		return;
	}
	for (i = 0; i < q->nrrs; i++) {
		char *t = xasprintf("%d %s", q->rrs[i].pref, q->rrs[i].text);
		check_found(ev, t, strlen(t));
		free(t);
	}
	if (q->nrrs == 1 && strcmp(q->rrs[0].text, ".") == 0) {
		check_note(ev, CHECK_FAIL, "null MX (0 .): %s announces that"
		    " it accepts no mail, yet this server receives mail for it",
		    ev->domain);
		fix_change(ev, "replace the null MX with", r);
		return;
	}
	buf_init(&hosts);
	buf_init(&addrs);
	for (i = 0; i < q->nrrs; i++) {
		if (strcmp(q->rrs[i].text, ".") == 0)
			continue;
		if (!dnsname_host_ok(q->rrs[i].text)) {
			/* Never asked: the resolver would ask another name. */
			check_note(ev, CHECK_FAIL, "MX host %s is not a valid"
			    " host name: senders cannot deliver to it",
			    q->rrs[i].text);
			fix_change(ev, "point the MX at this server", r);
			continue;
		}
		qa = check_get(ev, q->rrs[i].text, DNS_T_A);
		q6 = check_get(ev, q->rrs[i].text, DNS_T_AAAA);
		if (qa == NULL || q6 == NULL)
			continue;
		buf_printf(&hosts, "%s%d %s", hosts.len ? ", " : "",
		    q->rrs[i].pref, q->rrs[i].text);
		sa = check_answer(ev, qa);
		s6 = check_answer(ev, q6);
		if (sa == 0 && s6 == 0) {
			check_note(ev, CHECK_FAIL, "MX host %s has no A or"
			    " AAAA record: mail cannot reach it",
			    q->rrs[i].text);
			fix_change(ev, "point the MX at this server", r);
		}
		for (j = 0; sa > 0 && j < qa->nrrs; j++, n++) {
			buf_printf(&addrs, "%s%s", addrs.len ? ", " : "",
			    qa->rrs[j].text);
			ours |= is_ours(ev->site, qa->rrs[j].text);
		}
		for (j = 0; s6 > 0 && j < q6->nrrs; j++, n++) {
			buf_printf(&addrs, "%s%s", addrs.len ? ", " : "",
			    q6->rrs[j].text);
			ours |= is_ours(ev->site, q6->rrs[j].text);
		}
	}
	if (ev->pending)
		goto done;
	mine = our_addrs(ev->site);
	if (ev->site->ipv4.n + ev->site->ipv6.n == 0)
		check_note(ev, CHECK_OK, "MX %s (%s); this server's public"
		    " addresses are unknown, so not compared", hosts.data,
		    addrs.len ? addrs.data : "no address");
	else if (n > 0 && !ours) {
		check_note(ev, CHECK_FAIL, "the MX hosts (%s) resolve to %s;"
		    " none is this server (%s), which receives mail for %s",
		    hosts.data, addrs.data, mine, ev->domain);
		fix_change(ev, "point the MX at this server", r);
	} else if (n > 0)
		check_note(ev, CHECK_OK, "MX %s (%s) reaches this server",
		    hosts.data, addrs.data);
	free(mine);
done:
	buf_free(&hosts);
	buf_free(&addrs);
}

/* A/AAAA of the mail hostname: every public address present. */
static void
rule_host(struct check_ev *ev, struct check_work *w, int type)
{
	const struct check_q *q;
	struct buf missing, extra;
	size_t i, k;
	int ans;

	if (ev->host == NULL) {
		check_note(ev, CHECK_UNKNOWN, "the mail hostname is unknown");
		return;
	}
	if ((q = check_get(ev, ev->host, type)) == NULL)
		return;
	if ((ans = check_answer(ev, q)) < 0)
		return;
	for (i = 0; ans > 0 && i < q->nrrs; i++)
		check_found(ev, q->rrs[i].text, q->rrs[i].len);
	buf_init(&missing);
	buf_init(&extra);
	for (k = 0; k < w->nrecs; k++) {
		if (w->recs[k]->value == NULL || has_addr(q, w->recs[k]->value))
			continue;
		buf_printf(&missing, "%s%s", missing.len ? ", " : "",
		    w->recs[k]->value);
		fix_record(ev, w->recs[k]);
	}
	for (i = 0; ans > 0 && i < q->nrrs; i++)
		if (!is_ours(ev->site, q->rrs[i].text))
			buf_printf(&extra, "%s%s", extra.len ? ", " : "",
			    q->rrs[i].text);
	if (ans == 0)
		check_note(ev, CHECK_FAIL, "no %s record for %s: it must hold"
		    " %s", check_type_name(type), ev->host, missing.data);
	else if (missing.len > 0)
		check_note(ev, CHECK_FAIL, "%s %s lacks %s", ev->host,
		    check_type_name(type), missing.data);
	else
		check_note(ev, CHECK_OK, "%s %s holds every public address",
		    ev->host, check_type_name(type));
	if (extra.len > 0)
		check_note(ev, CHECK_OK, "also %s, not a public address of"
		    " this server", extra.data);
	buf_free(&missing);
	buf_free(&extra);
}

/* PTR of one address: present, the EHLO name, forward-confirmed. */
static void
rule_ptr(struct check_ev *ev, struct check_work *w)
{
	const struct record *r = w->recs[0];
	const struct check_q *q, *fq;
	const char *name = NULL, *fam;
	char *rev, *fix;
	size_t i;
	int ans, af = AF_INET, type;

	free(netaddr_canon(w->addr, &af));
	type = af == AF_INET6 ? DNS_T_AAAA : DNS_T_A;
	fam = af == AF_INET6 ? "AAAA" : "A";
	if (ev->hosts_note != NULL) {
		check_note(ev, CHECK_FAIL, "%s", ev->hosts_note);
		fix = xasprintf("edit /etc/hosts: map %s to %s, not to"
		    " loopback", ev->host, w->addr);
		check_fix(ev, fix);
		free(fix);
	}
	if (r->value == NULL || ev->host == NULL) {
		check_note(ev, CHECK_UNKNOWN, "cannot check: %s",
		    r->error != NULL ? r->error : "no mail hostname");
		return;
	}
	rev = owner(r);
	q = check_get(ev, rev, DNS_T_PTR);
	free(rev);
	if (q == NULL || (ans = check_answer(ev, q)) < 0)
		return;
	if (ans == 0) {
		check_note(ev, CHECK_FAIL, "no PTR record for %s: receivers"
		    " distrust mail from addresses without reverse DNS; the"
		    " owner of the address (usually the hosting provider) sets"
		    " it", w->addr);
		fix_record(ev, r);
		return;
	}
	for (i = 0; i < q->nrrs; i++) {
		check_found(ev, q->rrs[i].text, q->rrs[i].len);
		if (name == NULL && dnsname_equal(q->rrs[i].text, ev->host))
			name = q->rrs[i].text;
	}
	if (name == NULL) {
		name = q->rrs[0].text;
		if (!dnsname_host_ok(name)) {
			/* Not forward-confirmed: never asked. */
			check_note(ev, CHECK_FAIL, "the PTR of %s names %s, not"
			    " a valid host name (the MTA says %s in EHLO)",
			    w->addr, name, ev->host);
			fix_record(ev, r);
			return;
		}
		check_note(ev, CHECK_FAIL, "the PTR of %s names %s, not %s,"
		    " the name the MTA says in EHLO", w->addr, name, ev->host);
		fix_record(ev, r);
	}
	if ((fq = check_get(ev, name, type)) == NULL ||
	    (ans = check_answer(ev, fq)) < 0)
		return;
	if (!has_addr(fq, w->addr)) {
		check_note(ev, CHECK_FAIL, "%s has %s%s%s, not %s: the PTR is"
		    " not forward-confirmed", name, ans == 0 ? "no " : "", fam,
		    ans == 0 ? " record" : " records for other addresses",
		    w->addr);
		fix = xasprintf("%s. %d IN %s %s", name, RECORDS_TTL, fam,
		    w->addr);
		check_fix(ev, fix);
		free(fix);
	} else if (dnsname_equal(name, ev->host))
		check_note(ev, CHECK_OK, "%s -> %s -> %s: forward-confirmed",
		    w->addr, name, w->addr);
}

/* The lookup counts of an evaluation, "example.org 2 (5 in all), ...". */
static char *
spf_counts(const struct check_spf *s)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < s->ncounts; i++)
		buf_printf(&b, "%s%s%s %d (%d in all)", i ? ", " : "",
		    s->counts[i].depth > 0 ? "> " : "", s->counts[i].domain,
		    s->counts[i].lookups, s->counts[i].total);
	if (b.len == 0)
		buf_printf(&b, "%d", s->lookups);
	return buf_steal(&b);
}

/* Judge one check_host() result for the address. */
static void
spf_judge(struct check_ev *ev, const struct check_spf *s, const char *who,
    const struct record *r)
{
	int v6 = strchr(s->ip, ':') != NULL;

	if (s->result == SPF_PASS) {
		check_note(ev, CHECK_OK, "%s: pass%s", s->ip, who);
		return;
	}
	if (s->result == SPF_TEMPERROR) {
		check_note(ev, CHECK_UNKNOWN, "could not tell: %s: temperror"
		    " (%s)", s->ip, s->explanation != NULL ? s->explanation :
		    "DNS error");
		return;
	}
	check_note(ev, CHECK_FAIL, "%s: %s%s%s%s%s%s", s->ip,
	    spf_result_name(s->result), who,
	    s->matched != NULL ? " (matched " : "",
	    s->matched != NULL ? s->matched : "",
	    s->matched != NULL ? ")" : "",
	    v6 ? ": Gmail bounces mail over IPv6 from an address SPF does not"
	    " authorize" : "");
	if (s->explanation != NULL && s->result == SPF_PERMERROR)
		check_note(ev, CHECK_FAIL, "%s", s->explanation);
	fix_record(ev, r);
}

/* The record-level SPF rules on the one v=spf1 record. */
static void
spf_record(struct check_ev *ev, const struct check_rr *rr,
    const struct record *r)
{
	char *cause = NULL;
	int flags = 0;

	if (rr->longest > 255) {
		check_note(ev, CHECK_FAIL, "a character-string of %zu bytes:"
		    " over 255 is malformed", rr->longest);
		fix_record(ev, r);
	}
	if (rr->len > SPF_WARN_LEN) {
		check_note(ev, CHECK_WARN, "the record is %zu bytes, over %d:"
		    " answers may be truncated (RFC 7208 §3.4)", rr->len,
		    SPF_WARN_LEN);
		fix_change(ev, "shorten the record, for instance to", r);
	} else if (rr->len > SPF_INFO_LEN)
		check_note(ev, CHECK_OK, "the record is %zu bytes (over %d,"
		    " still fine)", rr->len, SPF_INFO_LEN);
	if (spf_lint(rr->text, rr->len, &flags, &cause) != 0) {
		check_note(ev, CHECK_FAIL, "syntax: %s", cause != NULL ?
		    cause : "does not parse");
		free(cause);
		fix_record(ev, r);
		return;
	}
	if (flags & SPF_HAS_PTR)
		check_note(ev, CHECK_WARN, "uses the ptr mechanism (RFC 7208"
		    " §5.5: SHOULD NOT; slow and unreliable)");
	if (flags & SPF_ALL_PASS)
		check_note(ev, CHECK_WARN, "+all authorizes every host on the"
		    " Internet");
	if (flags & SPF_ALL_NEUTRAL)
		check_note(ev, CHECK_WARN, "?all says nothing about other"
		    " hosts");
	if (flags & SPF_NO_ALL)
		check_note(ev, CHECK_WARN, "no all and no redirect: other"
		    " hosts get neutral");
	if (flags & SPF_TERMS_AFTER_ALL)
		check_note(ev, CHECK_WARN, "terms after all are never"
		    " evaluated");
	if (flags & (SPF_HAS_PTR | SPF_ALL_PASS | SPF_ALL_NEUTRAL |
	    SPF_NO_ALL | SPF_TERMS_AFTER_ALL))
		fix_record(ev, r);
}

/* SPF of the domain: one record, sound, passing every address. */
static void
rule_spf(struct check_ev *ev, struct check_work *w)
{
	const struct record *r = w->recs[0];
	const struct site *site = ev->site;
	const struct check_q *q, *q99;
	const struct check_spf **s;
	const struct check_rr *rr = NULL;
	char *sender, *counts;
	const char *addr, *helo = ev->host != NULL ? ev->host : ev->domain;
	size_t i, n = 0, naddr;
	int ans, nspf = 0, shown = 0;

	naddr = site->ipv4.n + site->ipv6.n;
	s = xcalloc(naddr, sizeof *s);
	sender = xasprintf("postmaster@%s", ev->domain);
	for (i = 0; i < naddr; i++) {
		addr = i < site->ipv4.n ? site->ipv4.v[i] :
		    site->ipv6.v[i - site->ipv4.n];
		s[n++] = check_spf(ev, ev->domain, addr, sender, helo);
	}
	free(sender);
	q = check_get(ev, ev->domain, DNS_T_TXT);
	/* The deprecated type 99 only through the resolver: a nameserver's
	 * view is asked for what decides, not for this warning. */
	q99 = NULL;
	if (ev->view == CHECK_VIEW_RESOLVER)
		q99 = check_get(ev, ev->domain, DNS_T_SPF);
	if (ev->pending)
		goto done;
	if (q99 != NULL && q99->status == DNS_OK && q99->nrrs > 0)
		check_note(ev, CHECK_WARN, "a type-99 SPF record is published:"
		    " deprecated (RFC 7208 §3.1), delete it and keep the TXT");
	if ((ans = check_answer(ev, q)) < 0)
		goto done;
	for (i = 0; ans > 0 && i < q->nrrs; i++) {
		if (!is_spf(&q->rrs[i]))
			continue;
		check_found(ev, q->rrs[i].text, q->rrs[i].len);
		rr = &q->rrs[i];
		nspf++;
	}
	if (nspf == 0) {
		check_note(ev, CHECK_FAIL, "no SPF record (v=spf1 TXT) at %s",
		    ev->domain);
		fix_record(ev, r);
		goto done;
	}
	if (nspf > 1) {
		check_note(ev, CHECK_FAIL, "%d SPF records at %s: receivers"
		    " answer permerror and ignore them all (RFC 7208 §4.5)",
		    nspf, ev->domain);
		fix_change(ev, "keep one v=spf1 TXT record, this one", r);
		goto done;
	}
	spf_record(ev, rr, r);
	if (naddr == 0)
		check_note(ev, CHECK_UNKNOWN, "this server's public addresses"
		    " are unknown: set public_ipv4/public_ipv6 in notspam.conf");
	for (i = 0; i < n; i++) {
		spf_judge(ev, s[i], "", r);
		if (s[i]->lookups > 10 || s[i]->void_lookups > 2) {
			counts = spf_counts(s[i]);
			if (s[i]->lookups > 10)
				check_note(ev, CHECK_FAIL, "%d DNS lookups,"
				    " over the limit of 10: %s", s[i]->lookups,
				    counts);
			if (s[i]->void_lookups > 2)
				check_note(ev, CHECK_FAIL, "%d void lookups,"
				    " over the limit of 2",
				    s[i]->void_lookups);
			free(counts);
			fix_record(ev, r);
			shown = 1;
		} else if (!shown && s[i]->lookups > 0) {
			counts = spf_counts(s[i]);
			check_note(ev, CHECK_OK, "DNS lookups: %s", counts);
			free(counts);
			shown = 1;
		}
	}
done:
	free(s);
}

/* SPF of the HELO name: every address passes. */
static void
rule_spf_helo(struct check_ev *ev, struct check_work *w)
{
	const struct site *site = ev->site;
	const struct check_spf *s;
	const struct check_q *q;
	char *sender, *who;
	const char *addr;
	size_t i;

	if (ev->host == NULL) {
		check_note(ev, CHECK_UNKNOWN, "the mail hostname is unknown");
		return;
	}
	/* What is published there, shown as found (the evaluation below
	 * reads the same answer from the run's cache). */
	q = check_get(ev, ev->host, DNS_T_TXT);
	if (q != NULL && !ev->pending && q->status == DNS_OK &&
	    check_answer(ev, q) > 0)
		for (i = 0; i < q->nrrs; i++)
			if (is_spf(&q->rrs[i]))
				check_found(ev, q->rrs[i].text,
				    q->rrs[i].len);
	sender = xasprintf("postmaster@%s", ev->host);
	who = xasprintf(" for HELO %s", ev->host);
	for (i = 0; i < site->ipv4.n + site->ipv6.n; i++) {
		addr = i < site->ipv4.n ? site->ipv4.v[i] :
		    site->ipv6.v[i - site->ipv4.n];
		if ((s = check_spf(ev, ev->host, addr, sender,
		    ev->host)) == NULL)
			continue;
		if (s->result == SPF_NONE) {
			check_note(ev, CHECK_FAIL, "no SPF record at %s: HELO"
			    " checks of %s get none", ev->host, addr);
			fix_record(ev, w->recs[0]);
		} else
			spf_judge(ev, s, who, w->recs[0]);
	}
	free(sender);
	free(who);
}

/* Key file permissions: OpenDKIM refuses keys others can read. */
static void
dkim_perms(struct check_ev *ev, const struct check_work *w)
{
	char *fix;

	/* The file's mode is read once for the run, with the key. */
	if (w->key == NULL || w->key->keyfile == NULL || w->key_stat != 0)
		return;
	if ((w->key_mode & (S_IRWXG | S_IRWXO)) == 0)
		return;
	check_note(ev, CHECK_WARN, "%s is readable by group or others (mode"
	    " %04o): OpenDKIM refuses such keys", w->key->keyfile,
	    w->key_mode & 07777);
	fix = xasprintf("chmod 600 %s", w->key->keyfile);
	check_fix(ev, fix);
	free(fix);
}

/* The key of a parsed record against the local key, and its size. */
static void
dkim_key(struct check_ev *ev, const struct check_work *w,
    const struct dkimrec *dk)
{
	const struct record *r = w->recs[0];
	const char *file = w->key != NULL ? w->key->keyfile : "the key file";
	char *cause = NULL;
	int bits = 0, m;

	/* The same text as the local key: the same key, no decoding. */
	if (w->pub != NULL && strcmp(dk->k, w->pub->type) == 0 &&
	    strcmp(dk->p, w->pub->p) == 0) {
		bits = w->pub->bits;
		check_note(ev, CHECK_OK, "the key matches %s (%s, %d bits)",
		    file, dk->k, bits);
		goto size;
	}
	if (dkimrec_key_bits(dk->k, dk->p, &bits, &cause) != 0) {
		check_note(ev, CHECK_FAIL, "%s", cause);
		free(cause);
		fix_record(ev, r);
		return;
	}
	if (w->pub == NULL)
		check_note(ev, CHECK_FAIL, "cannot compare with the local key:"
		    " %s", w->key_error != NULL ? w->key_error : "not loaded");
	else if ((m = dkimrec_key_match(dk->k, dk->p, w->pub->type, w->pub->p,
	    &cause)) <= 0) {
		check_note(ev, CHECK_FAIL, "the DNS publishes a different key"
		    " than %s", file);
		free(cause);
		fix_change(ev, "publish the key of the file", r);
	} else
		check_note(ev, CHECK_OK, "the key matches %s (%s, %d bits)",
		    file, dk->k, bits);
size:
	if (strcmp(dk->k, "rsa") == 0 && bits < 1024) {
		check_note(ev, CHECK_FAIL, "an RSA key of %d bits: verifiers"
		    " ignore keys under 1024 bits (RFC 8301)", bits);
		check_fix(ev, "make a 2048-bit key (openssl genpkey -algorithm"
		    " RSA -pkeyopt rsa_keygen_bits:2048), publish it under a"
		    " new selector, then switch the signer to it");
	} else if (strcmp(dk->k, "rsa") == 0 && bits < 2048) {
		check_note(ev, CHECK_WARN, "an RSA key of %d bits: 2048 is the"
		    " norm now", bits);
		check_fix(ev, "make a 2048-bit key (openssl genpkey -algorithm"
		    " RSA -pkeyopt rsa_keygen_bits:2048), publish it under a"
		    " new selector, then switch the signer to it");
	}
}

/* DKIM: one record, valid, the local key, strong enough, not testing. */
static void
rule_dkim(struct check_ev *ev, struct check_work *w)
{
	const struct record *r = w->recs[0];
	const struct check_q *q;
	struct dkimrec dk;
	char *name, *cause = NULL;
	size_t i;
	int ans;

	dkim_perms(ev, w);
	for (i = 0; i < w->nrecs; i++)
		if (w->recs[i]->error != NULL && w->recs[i]->value == NULL)
			check_note(ev, CHECK_FAIL, "%s", w->recs[i]->error);
	name = owner(r);
	q = check_get(ev, name, DNS_T_TXT);
	if (q == NULL || (ans = check_answer(ev, q)) < 0)
		goto done;
	if (ans == 0) {
		check_note(ev, CHECK_FAIL, "no DKIM record at %s: verifiers"
		    " fail every signature of this selector", name);
		fix_record(ev, r);
		goto done;
	}
	for (i = 0; i < q->nrrs; i++)
		check_found(ev, q->rrs[i].text, q->rrs[i].len);
	if (q->nrrs > 1) {
		check_note(ev, CHECK_FAIL, "%zu TXT records at %s: verifiers"
		    " may pick any of them", q->nrrs, name);
		fix_change(ev, "keep one TXT record at the name, this one", r);
		goto done;
	}
	if (dkimrec_parse(q->rrs[0].text, q->rrs[0].len, &dk, &cause) != 0) {
		check_note(ev, CHECK_FAIL, "the DKIM record is invalid: %s",
		    cause);
		free(cause);
		fix_record(ev, r);
		goto done;
	}
	if (*dk.p == '\0') {
		check_note(ev, CHECK_FAIL, "p= is empty: the key is revoked,"
		    " verifiers fail every signature");
		fix_change(ev, "publish the current key", r);
	} else
		dkim_key(ev, w, &dk);
	if (!dkimrec_sha256_ok(&dk, &cause)) {
		check_note(ev, CHECK_FAIL, "%s", cause);
		free(cause);
		fix_change(ev, "drop h= or list sha256 in it", r);
	}
	if (dk.testing) {
		check_note(ev, CHECK_WARN, "t=y: testing mode, verifiers may"
		    " treat signatures as absent");
		fix_change(ev, "drop t=y", r);
	}
	dkimrec_free(&dk);
done:
	free(name);
}

/* The one DMARC record among the TXT answer; -1 unknown, 0 none, 1
 * found (*rr), 2 several (noted).  SPF records there are noted. */
static int
dmarc_find(struct check_ev *ev, const struct check_q *q,
    const struct check_rr **rr, const struct record *r)
{
	size_t i;
	int ans, n = 0;

	if ((ans = check_answer(ev, q)) <= 0)
		return ans;
	for (i = 0; i < q->nrrs; i++) {
		if (is_spf(&q->rrs[i])) {
			check_found(ev, q->rrs[i].text, q->rrs[i].len);
			check_note(ev, CHECK_FAIL, "an SPF record at %s: SPF"
			    " belongs at the domain itself", q->name);
			fix_change(ev, "delete the v=spf1 TXT record at the"
			    " name; publish", r);
		}
		if (!dmarc_is_record(q->rrs[i].text, q->rrs[i].len))
			continue;
		check_found(ev, q->rrs[i].text, q->rrs[i].len);
		*rr = &q->rrs[i];
		n++;
	}
	if (n > 1) {
		check_note(ev, CHECK_FAIL, "%d DMARC records at %s: receivers"
		    " ignore them all", n, q->name);
		fix_change(ev, "keep one DMARC record, this one", r);
		return 2;
	}
	return n;
}

/* A rua address in another organization: its authorization record. */
static void
dmarc_external(struct check_ev *ev, const char *domain, const char *org,
    const struct dmarc_uri *u)
{
	const struct check_q *q;
	char *name, *ruaorg, *fix;
	size_t i;
	int ans, ok = 0;

	if (u->domain == NULL)
		return;
	ruaorg = dmarc_org_domain(u->domain);
	if (strcmp(u->domain, domain) == 0 || strcmp(u->domain, org) == 0 ||
	    strcmp(ruaorg, org) == 0) {
		free(ruaorg);
		return;
	}
	free(ruaorg);
	if (!dnsname_host_ok(u->domain)) {
		check_note(ev, CHECK_FAIL, "reports to %s cannot be sent: %s"
		    " is not a valid host name", u->address, u->domain);
		return;
	}
	name = xasprintf("%s._report._dmarc.%s", domain, u->domain);
	if ((q = check_get(ev, name, DNS_T_TXT)) == NULL ||
	    (ans = check_answer(ev, q)) < 0)
		goto done;
	for (i = 0; ans > 0 && i < q->nrrs; i++)
		if (q->rrs[i].len >= 8 &&
		    strncmp(q->rrs[i].text, "v=DMARC1", 8) == 0)
			ok = 1;
	if (ok) {
		check_note(ev, CHECK_OK, "%s accepts reports for %s",
		    u->domain, domain);
		goto done;
	}
	check_note(ev, CHECK_FAIL, "reports to %s are not authorized: %s"
	    " must publish %s TXT \"v=DMARC1\"; receivers send nothing"
	    " there without it", u->address, u->domain, name);
	fix = xasprintf("%s. %d IN TXT \"v=DMARC1\"", name, RECORDS_TTL);
	check_fix(ev, fix);
	free(fix);
done:
	free(name);
}

/* The DMARC record text with tag set to value (appended when absent), or
 * removed when value is NULL; tags rejoined with "; ".  Caller frees. */
static char *
dmarc_edit(const char *text, const char *tag, const char *value)
{
	struct strv parts;
	struct buf b;
	size_t i, n = strlen(tag);
	int done = 0;
	char *t;

	strv_init(&parts);
	str_split(text, ";", &parts);
	buf_init(&b);
	for (i = 0; i < parts.n; i++) {
		t = str_trim(parts.v[i]);
		if (*t == '\0')
			continue;
		if (strncasecmp(t, tag, n) == 0 && (t[n] == '=' || t[n] == ' ' ||
		    t[n] == '\t')) {
			if (value == NULL || done)
				continue;
			buf_printf(&b, "%s%s=%s", b.len ? "; " : "", tag, value);
			done = 1;
			continue;
		}
		buf_printf(&b, "%s%s", b.len ? "; " : "", t);
	}
	if (!done && value != NULL)
		buf_printf(&b, "%s%s=%s", b.len ? "; " : "", tag, value);
	strv_free(&parts);
	return buf_steal(&b);
}

/* Replace *text with its edit. */
static void
dmarc_apply(char **text, const char *tag, const char *value)
{
	char *edited = dmarc_edit(*text, tag, value);

	free(*text);
	*text = edited;
}

/* The fix "lead:" (none when NULL) and the record of text at r's name. */
static void
dmarc_fix_record(struct check_ev *ev, const struct record *r,
    const char *lead, const char *text)
{
	struct record tmp;
	char *line, *fix;

	memset(&tmp, 0, sizeof tmp);
	tmp.name = r->name;
	tmp.type = r->type;
	tmp.value = xstrdup(text);
	strv_init(&tmp.strings);
	records_split_txt(text, &tmp.strings);
	line = records_zone_line(&tmp);
	if (lead != NULL)
		fix = xasprintf("%s:\n%s", lead, line);
	else
		fix = xstrdup(line);
	check_fix(ev, fix);
	free(fix);
	free(line);
	free(tmp.value);
	strv_free(&tmp.strings);
}

/* The policy a p=none should become: the settings', else quarantine. */
static const char *
dmarc_policy(const struct site *site)
{
	const struct settings *st = site->settings;

	if (st != NULL && st->dmarc_policy != NULL &&
	    strcmp(st->dmarc_policy, "none") != 0)
		return st->dmarc_policy;
	return "quarantine";
}

/*
 * Why advice on the DMARC policy is held back for the domain, or NULL.
 * It is when a signer notspam does not read (rspamd) takes the mail and
 * notspam knows no key of the domain: a policy stricter than p=none is
 * safe only once mail carries an aligned DKIM signature (forwarding breaks
 * SPF), and nothing here can tell whether it does.  A dmarc_policy in the
 * settings is the user's own decision and is followed.  Caller frees.
 */
static char *
dmarc_unread(const struct check_ev *ev)
{
	const struct site *site = ev->site;
	const struct settings *st = site->settings;
	const struct check_dstate *ds = &ev->run->ds[ev->who.dom];
	size_t i;

	if (site->unread_signer == NULL)
		return NULL;
	for (i = 0; i < ds->nwork; i++)
		if (ds->work[i].kind == CHECK_K_DKIM)
			return NULL;	/* a key notspam reads signs */
	if (st != NULL && st->dmarc_policy != NULL &&
	    strcmp(st->dmarc_policy, "none") != 0)
		return NULL;
	return xasprintf("whether mail is signed is unknown because %s%s%s%s"
	    " signs, and notspam does not read %s's configuration",
	    site->unread_signer, site->unread_signer_source != NULL ? " (" :
	    "", site->unread_signer_source != NULL ?
	    site->unread_signer_source : "", site->unread_signer_source !=
	    NULL ? ")" : "", site->unread_signer);
}

/* The fix of a tag=none held back (dmarc_unread): what to confirm first. */
static void
dmarc_hold_fix(struct check_ev *ev, const char *tag, const char *signer)
{
	char *fix;

	fix = xasprintf("keep %s=none until mail from %s carries a valid DKIM"
	    " signature of %s (check %s's DKIM signing settings): the"
	    " Authentication-Results header of a message sent to a mailbox"
	    " elsewhere shows dkim=pass header.d=%s, or the aggregate reports"
	    " show DKIM passing; then %s%s", tag, ev->domain, ev->domain,
	    signer, ev->domain, strcmp(tag, "p") == 0 ? "set p=" :
	    "drop sp= (subdomains then take p=)", strcmp(tag, "p") == 0 ?
	    dmarc_policy(ev->site) : "");
	check_fix(ev, fix);
	free(fix);
}

/* A tag=none, p= or sp= (which the fix removes), said as label: the
 * advice to tighten it, or why not yet. */
static void
dmarc_none(struct check_ev *ev, const char *label, const char *tag,
    const char *what, const char *unread, char **text, int *edit)
{
	check_note(ev, CHECK_WARN, "%s=none: %s", label, what);
	if (unread == NULL) {
		dmarc_apply(text, tag, strcmp(tag, "p") == 0 ?
		    dmarc_policy(ev->site) : NULL);
		*edit = 1;
		return;
	}
	check_note(ev, CHECK_WARN, "%s=none is the right start for now: %s",
	    label, unread);
	dmarc_hold_fix(ev, label, ev->site->unread_signer);
}

/*
 * The policy rules of a parsed DMARC record found at at (the domain or,
 * inherited, its organizational domain).  The fix of the domain's own
 * record is that record edited; an inherited one is replaced by the
 * domain's own.
 */
static void
dmarc_rules(struct check_ev *ev, const struct dmarc_rec *dm,
    const struct check_rr *rr, const char *at, int inherited,
    const struct record *r)
{
	const struct settings *st = ev->site->settings;
	const char *p = dm->p != NULL ? dm->p : "none";
	char *org = dmarc_org_domain(at), *text, *rua;
	char *unread = dmarc_unread(ev);
	size_t i;
	int edit = 0;

	text = xstrndup(rr->text, rr->len);
	if (inherited && dm->sp != NULL)
		p = dm->sp;
	if (strcmp(p, "none") == 0)
		dmarc_none(ev, inherited && dm->sp != NULL ? "sp" : "p", "p",
		    "monitoring only, receivers apply no policy", unread, &text,
		    &edit);
	else {
		check_note(ev, CHECK_OK, "policy %s", p);
		if (unread != NULL)
			check_note(ev, CHECK_OK, "p=%s counts on DKIM"
			    " signatures for forwarded mail: %s", p, unread);
	}
	if (!inherited && dm->sp != NULL && strcmp(dm->sp, "none") == 0)
		dmarc_none(ev, "sp", "sp", "subdomains are monitored only",
		    unread, &text, &edit);
	if (dm->nrua == 0) {
		check_note(ev, CHECK_WARN, "no rua=: no aggregate reports, so"
		    " failures go unseen");
		if (st != NULL && st->dmarc_rua != NULL) {
			dmarc_apply(&text, "rua", st->dmarc_rua);
			edit = 1;
		} else
			check_fix(ev, "add rua=mailto:<a mailbox you read> to"
			    " the DMARC record (and dmarc_rua to notspam.conf)");
	} else if (dm->nrua > 2) {
		check_note(ev, CHECK_WARN, "%zu rua addresses: receivers may"
		    " send to the first two only", dm->nrua);
		rua = xasprintf("%s,%s", dm->rua[0].uri, dm->rua[1].uri);
		dmarc_apply(&text, "rua", rua);
		free(rua);
		edit = 1;
	} else
		check_note(ev, CHECK_OK, "aggregate reports to %s%s%s",
		    dm->rua[0].uri, dm->nrua > 1 ? ", " : "",
		    dm->nrua > 1 ? dm->rua[1].uri : "");
	if (dm->pct >= 0 || dm->rf != NULL || dm->ri >= 0) {
		check_note(ev, CHECK_WARN, "%s%s%s: dropped by the newer DMARC"
		    " specification", dm->pct >= 0 ? "pct= " : "",
		    dm->rf != NULL ? "rf= " : "", dm->ri >= 0 ? "ri= " : "");
		dmarc_apply(&text, "pct", NULL);
		dmarc_apply(&text, "rf", NULL);
		dmarc_apply(&text, "ri", NULL);
		edit = 1;
	}
	if (edit && inherited)
		fix_change(ev, "publish the domain's own record", r);
	else if (edit)
		dmarc_fix_record(ev, r, "change the record to", text);
	for (i = 0; i < dm->nrua; i++)
		dmarc_external(ev, at, org, &dm->rua[i]);
	free(unread);
	free(text);
	free(org);
}

/* No DMARC record: publish the one of records.h; with the policy held
 * back (dmarc_unread), the same record with p=none for a start. */
static void
dmarc_missing(struct check_ev *ev, const char *name, const struct record *r)
{
	char *unread = dmarc_unread(ev), *text;

	if (unread == NULL || r == NULL || r->value == NULL) {
		check_note(ev, CHECK_FAIL, "no DMARC record at %s", name);
		fix_record(ev, r);
		free(unread);
		return;
	}
	check_note(ev, CHECK_FAIL, "no DMARC record at %s; publish p=none for"
	    " a start: %s", name, unread);
	text = dmarc_edit(r->value, "p", "none");
	dmarc_fix_record(ev, r, NULL, text);
	dmarc_hold_fix(ev, "p", ev->site->unread_signer);
	free(text);
	free(unread);
}

/* DMARC: one valid record at _dmarc (or the organizational domain's). */
static void
rule_dmarc(struct check_ev *ev, struct check_work *w)
{
	const struct record *r = w->recs[0];
	const struct check_q *q, *qroot, *qorg = NULL;
	const struct check_rr *rr = NULL;
	struct dmarc_rec dm;
	char *name, *org, *orgname = NULL, *cause = NULL;
	const char *at = ev->domain;
	size_t i;
	int n, inherited = 0;

	org = dmarc_org_domain(ev->domain);
	name = xasprintf("_dmarc.%s", ev->domain);
	q = check_get(ev, name, DNS_T_TXT);
	qroot = check_get(ev, ev->domain, DNS_T_TXT);
	if (q == NULL || qroot == NULL)
		goto done;
	for (i = 0; qroot->status == DNS_OK && i < qroot->nrrs; i++) {
		if (!dmarc_is_record(qroot->rrs[i].text, qroot->rrs[i].len))
			continue;
		check_note(ev, CHECK_WARN, "a DMARC record at %s itself:"
		    " receivers only read _dmarc.%s", ev->domain, ev->domain);
		fix_change(ev, "delete the v=DMARC1 TXT record at the domain;"
		    " publish", r);
		break;
	}
	if ((n = dmarc_find(ev, q, &rr, r)) < 0 || n > 1)
		goto done;
	/* No record: the organizational domain's applies (RFC 7489 §6.6.3;
	 * the last two labels stand in for the Public Suffix List). */
	if (n == 0 && strcmp(org, ev->domain) != 0) {
		orgname = xasprintf("_dmarc.%s", org);
		if ((qorg = check_get(ev, orgname, DNS_T_TXT)) == NULL)
			goto done;
		if ((n = dmarc_find(ev, qorg, &rr, r)) < 0 || n > 1)
			goto done;
		inherited = n == 1;
		at = org;
	}
	if (n == 0) {
		dmarc_missing(ev, name, r);
		goto done;
	}
	if (inherited)
		check_note(ev, CHECK_OK, "no record at %s: the one of the"
		    " organizational domain %s applies", name, org);
	if (dmarc_parse(rr->text, rr->len, &dm, &cause) != 0) {
		check_note(ev, CHECK_FAIL, "the DMARC record at _dmarc.%s is"
		    " invalid: %s", at, cause);
		free(cause);
		fix_record(ev, r);
		goto done;
	}
	dmarc_rules(ev, &dm, rr, at, inherited, r);
	dmarc_free(&dm);
done:
	free(orgname);
	free(name);
	free(org);
}

/* At most this many bytes of a listing's TXT record are quoted. */
#define DNSBL_TXT_SHOWN	200

/* The addresses of a cached A answer, sorted (dnsbl_sort); caller frees
 * the array, not the texts. */
static const char **
bl_addrs(const struct check_q *q)
{
	const char **v;
	size_t i;

	v = xcalloc(q->nrrs + 1, sizeof *v);
	for (i = 0; i < q->nrrs; i++)
		v[i] = q->rrs[i].text;
	dnsbl_sort(v, q->nrrs);
	return v;
}

/* dnsbl_judge() of a cached A answer. */
static enum dnsbl_verdict
bl_judge(const struct dnsbl_list *l, const struct check_q *q, char **why)
{
	const char **v = bl_addrs(q);
	enum dnsbl_verdict verdict;

	verdict = dnsbl_judge(l, q->status, v, q->nrrs, why);
	free(v);
	return verdict;
}

/* The fix of an answer that was no answer: the resolver's way round the
 * list's refusal (no_answer: a timeout or SERVFAIL, try again). */
static void
bl_fix_unknown(struct check_ev *ev, const struct dnsbl_list *l,
    int no_answer)
{
	const char *hint = dnsbl_refusal_hint(l);
	char *fix;

	if (no_answer)
		fix = xasprintf("check again later; if it lasts, %s does not"
		    " answer through this resolver: ask through one that"
		    " queries the lists' own servers (unbound on this host)",
		    l->shown);
	else
		fix = xasprintf("ask through a resolver that queries the lists'"
		    " own servers (unbound on this host, as --resolver or in"
		    " /etc/resolv.conf)%s%s", hint != NULL ? "; " : "",
		    hint != NULL ? hint : "");
	check_fix(ev, fix);
	free(fix);
}

/* A listing's TXT records, quoted (escaped) after the codes, and kept as
 * found. */
static void
bl_txt(struct check_ev *ev, const struct check_q *qx, struct buf *b)
{
	char *safe;
	size_t i, n;

	for (i = 0; qx != NULL && qx->status == DNS_OK && i < qx->nrrs; i++) {
		check_found(ev, qx->rrs[i].text, qx->rrs[i].len);
		n = qx->rrs[i].len < DNSBL_TXT_SHOWN ? qx->rrs[i].len :
		    DNSBL_TXT_SHOWN;
		safe = check_sanitize(qx->rrs[i].text, n);
		buf_printf(b, "; TXT \"%s\"%s", safe, n < qx->rrs[i].len ?
		    "..." : "");
		free(safe);
	}
}

/* A listing (codes: what they mean), unless the list lists everything. */
static void
bl_listed(struct check_ev *ev, struct check_work *w, const struct check_q *q,
    const char *codes)
{
	const struct dnsbl_list *l = w->bl;
	const struct check_q *qn, *qx;
	const char *delist = dnsbl_delist(l), **addrs;
	struct buf b;
	char *fix;
	size_t i;

	qn = check_get(ev, l->untest, DNS_T_A);
	qx = check_get(ev, w->bl_name, DNS_T_TXT);
	if (qn == NULL || qx == NULL)
		return;
	if (bl_judge(l, qn, NULL) == DNSBL_LISTED) {
		check_note(ev, CHECK_UNKNOWN, "could not tell: %s lists"
		    " everything, even %s, which no list may hold (RFC 5782"
		    " §5): it is probably shut down", l->label,
		    l->untest_entry);
		fix = xasprintf("remove %s from the %s setting", l->shown,
		    l->kind == DNSBL_IP ? "blocklists" : "domain_blocklists");
		check_fix(ev, fix);
		free(fix);
		return;
	}
	addrs = bl_addrs(q);
	for (i = 0; i < q->nrrs; i++)
		check_found(ev, addrs[i], strlen(addrs[i]));
	free(addrs);
	buf_init(&b);
	buf_printf(&b, "%s is listed on %s: %s", w->addr, l->label, codes);
	bl_txt(ev, qx, &b);
	buf_printf(&b, "; receivers that use the list refuse or junk %s",
	    l->kind == DNSBL_IP ? "mail from the address" :
	    "mail that names the domain");
	check_note(ev, CHECK_FAIL, "%s", b.data);
	buf_free(&b);
	fix = xasprintf("%s%s%s", dnsbl_howto(l), delist != NULL ?
	    ": " : "", delist != NULL ? delist : "");
	check_fix(ev, fix);
	free(fix);
}

/*
 * A blocklist: the address or domain is not listed, and the list answers
 * through this resolver (its test entry is listed; core/check/dnsbl.h).
 * Error codes, answers outside 127/8 and no answer are unknown, never a
 * listing; the list's zone may hold a key, so only shown names are said.
 */
static void
rule_dnsbl(struct check_ev *ev, struct check_work *w)
{
	const struct dnsbl_list *l = w->bl;
	const struct check_q *q, *qt;
	char *why = NULL;

	q = check_get(ev, w->bl_name, DNS_T_A);
	qt = check_get(ev, l->test, DNS_T_A);
	if (q == NULL || qt == NULL)
		return;
	switch (bl_judge(l, q, &why)) {
	case DNSBL_UNKNOWN:
		check_note(ev, CHECK_UNKNOWN, "could not tell whether %s is"
		    " listed on %s: %s", w->addr, l->label, why);
		bl_fix_unknown(ev, l, q->status != DNS_OK);
		break;
	case DNSBL_LISTED:
		bl_listed(ev, w, q, why);
		break;
	case DNSBL_NOT_LISTED:
		free(why);
		why = NULL;
		switch (bl_judge(l, qt, &why)) {
		case DNSBL_LISTED:
			check_note(ev, CHECK_OK, "%s is not listed on %s",
			    w->addr, l->label);
			break;
		case DNSBL_NOT_LISTED:
			check_note(ev, CHECK_UNKNOWN, "could not tell: %s does"
			    " not list its test entry %s through the resolver"
			    " (%s), so its \"not listed\" for %s means"
			    " nothing", l->label, l->test_entry,
			    dns_status_name(qt->status), w->addr);
			bl_fix_unknown(ev, l, 0);
			break;
		case DNSBL_UNKNOWN:
			check_note(ev, CHECK_UNKNOWN, "could not tell: the test"
			    " entry %s of %s got %s", l->test_entry, l->label,
			    why);
			bl_fix_unknown(ev, l, qt->status != DNS_OK);
			break;
		}
		break;
	}
	free(why);
}

void
check_rule(struct check_ev *ev, struct check_work *w)
{
	switch (w->kind) {
	case CHECK_K_MX:
		rule_mx(ev, w);
		break;
	case CHECK_K_HOST_A:
		rule_host(ev, w, DNS_T_A);
		break;
	case CHECK_K_HOST_AAAA:
		rule_host(ev, w, DNS_T_AAAA);
		break;
	case CHECK_K_PTR:
		rule_ptr(ev, w);
		break;
	case CHECK_K_SPF:
		rule_spf(ev, w);
		break;
	case CHECK_K_SPF_HELO:
		rule_spf_helo(ev, w);
		break;
	case CHECK_K_DKIM:
		rule_dkim(ev, w);
		break;
	case CHECK_K_DMARC:
		rule_dmarc(ev, w);
		break;
	case CHECK_K_DNSBL:
		rule_dnsbl(ev, w);
		break;
	}
}
