/* verify.c: DKIM, SPF and DMARC of a received message, together. */
#include "core/mail/verify.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/dns/dmarc.h"
#include "core/dns/dns.h"
#include "core/lib/netaddr.h"
#include "core/mail/dkimverify.h"
#include "core/mail/msg.h"

/* Does ip fall in the prefix "addr/len" (or equal "addr")? */
static int
verify_in_prefix(const char *ip, const char *entry)
{
	unsigned char a[16], b[16];
	const char *slash = strchr(entry, '/');
	char *base = xstrndup(entry, slash != NULL ?
	    (size_t)(slash - entry) : strlen(entry));
	int fam = strchr(base, ':') != NULL ? AF_INET6 : AF_INET;
	int bits = fam == AF_INET ? 32 : 128, len = bits, ok;

	if (slash != NULL)
		len = atoi(slash + 1);
	ok = inet_pton(fam, base, a) == 1 && inet_pton(fam, ip, b) == 1 &&
	    len >= 0 && len <= bits;
	free(base);
	if (!ok)
		return 0;
	if (len / 8 > 0 && memcmp(a, b, (size_t)len / 8) != 0)
		return 0;
	if (len % 8 == 0)
		return 1;
	return ((a[len / 8] ^ b[len / 8]) & (0xff00 >> (len % 8))) == 0;
}

int
verify_trusted(const char *ip, const struct strv *trusted)
{
	size_t i;

	if (strcmp(ip, "::1") == 0 || strncmp(ip, "127.", 4) == 0)
		return 1;
	for (i = 0; trusted != NULL && i < trusted->n; i++)
		if (verify_in_prefix(ip, trusted->v[i]))
			return 1;
	return 0;
}

/* The address of the first "[...]" in the from clause of a Received
 * value (canonical, caller frees), or NULL. */
static char *
verify_received_ip(const char *from)
{
	const char *p = from, *e, *by = strstr(from, " by ");
	char *inner, *canon;

	while ((p = strchr(p, '[')) != NULL && (by == NULL || p < by)) {
		if ((e = strchr(++p, ']')) == NULL)
			break;
		inner = xstrndup(p, (size_t)(e - p));
		canon = netaddr_canon(strncasecmp(inner, "IPv6:", 5) == 0 ?
		    inner + 5 : inner, NULL);
		free(inner);
		if (canon != NULL)
			return canon;
		p = e;
	}
	return NULL;
}

/* The HELO of a from clause: the word after "from", or Exim's helo=. */
static char *
verify_received_helo(const char *from)
{
	const char *p = from + 5, *h = strstr(from, "helo=");
	size_t n;

	if (h != NULL && (*p == '[' || *p == '('))
		p = h + 5;
	n = strcspn(p, " \t()[];");
	return n > 0 ? xstrndup(p, n) : NULL;
}

int
verify_hop(const struct msg *m, const struct strv *trusted, char **ip,
    char **helo, size_t *line)
{
	const struct msg_field *f;
	size_t i = 0;
	char *addr;

	while ((f = msg_next(m, "Received", &i)) != NULL) {
		if (strncasecmp(f->value, "from ", 5) != 0 ||
		    (addr = verify_received_ip(f->value)) == NULL)
			continue;
		if (verify_trusted(addr, trusted)) {
			free(addr);
			continue;
		}
		*ip = addr;
		*helo = verify_received_helo(f->value);
		*line = f->line;
		return 0;
	}
	return -1;
}

/* Read the Public Suffix List into v->psl (rules as written, "*.x" and
 * "!x" included); quietly nothing when it cannot be read. */
static void
verify_psl_load(struct verify *v)
{
	const char *path = v->opts.psl != NULL ? v->opts.psl :
	    VERIFY_PSL_PATH;
	char line[512];
	FILE *f;
	size_t n;

	v->psl_loaded = 1;
	if (*path == '\0' || (f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		n = strcspn(line, " \t\r\n");
		line[n] = '\0';
		if (n == 0 || (line[0] == '/' && line[1] == '/'))
			continue;
		strmap_put(&v->psl, str_lower(line), 1);
	}
	fclose(f);
}

/* The public suffix of name under the list's rules (a pointer into
 * name), the implied "*" rule when none matches. */
static const char *
verify_psl_suffix(const struct strmap *psl, const char *name)
{
	const char *s = name, *dot;
	char *key;
	size_t val;
	int hit;

	for (; s != NULL; s = (dot = strchr(s, '.')) != NULL ? dot + 1 :
	    NULL) {
		key = xasprintf("!%s", s);
		hit = strmap_get(psl, key, &val);
		free(key);
		if (hit)
			return (dot = strchr(s, '.')) != NULL ? dot + 1 : s;
		if (strmap_get(psl, s, &val))
			return s;
		if ((dot = strchr(s, '.')) != NULL) {
			key = xasprintf("*.%s", dot + 1);
			hit = strmap_get(psl, key, &val);
			free(key);
			if (hit)
				return s;
		}
		if (strchr(s, '.') == NULL)
			return s;
	}
	return name;
}

char *
verify_org_domain(struct verify *v, const char *name)
{
	const char *suffix, *p;
	char *lower, *org;

	if (!v->psl_loaded)
		verify_psl_load(v);
	if (v->psl.n == 0)
		return dmarc_org_domain(name);
	lower = str_lower(xstrdup(name));
	suffix = verify_psl_suffix(&v->psl, lower);
	if (suffix == lower) {
		/* The name is a public suffix itself. */
		return lower;
	}
	/* One label more than the suffix. */
	for (p = suffix - 1; p > lower && p[-1] != '.'; p--)
		;
	org = xstrdup(p);
	free(lower);
	return org;
}

struct verify *
verify_new(const struct msg *m, const struct verify_opts *opts)
{
	struct verify *v = xcalloc(1, sizeof *v);
	const struct msg_field *f;
	size_t i = 0;

	v->msg = m;
	v->opts = *opts;
	strmap_init(&v->psl);
	v->spf_result = "none";
	v->dmarc_result = "none";
	v->dkim = dkim_set_new(m, opts->now);
	if (msg_count(m, "From") != 1)
		v->from_error = xasprintf("the message has %zu From fields, "
		    "DMARC needs exactly one", msg_count(m, "From"));
	else {
		f = msg_next(m, "From", &i);
		v->from_domain = msg_from_domain(f->value, &v->from_error);
	}
	i = 0;
	while (i < m->nfields) {
		f = &m->fields[i++];
		if (strcasecmp(f->name, "Authentication-Results") != 0 &&
		    strcasecmp(f->name, "ARC-Authentication-Results") != 0)
			continue;
		v->ars = xgrow(v->ars, v->nars, sizeof *v->ars);
		v->ars[v->nars].name = xstrdup(f->name);
		v->ars[v->nars].value = xstrdup(f->value);
		for (char *t = v->ars[v->nars].value; *t != '\0'; t++)
			if (*t == '\t')
				*t = ' ';
		v->nars++;
	}
	return v;
}

void
verify_free(struct verify *v)
{
	size_t i;

	if (v == NULL)
		return;
	dkim_set_free(v->dkim);
	free(v->from_domain);
	free(v->from_error);
	free(v->ip);
	free(v->helo);
	free(v->mail_from);
	free(v->spf_domain);
	free(v->hop);
	free(v->spf_reason);
	free(v->dmarc_reason);
	free(v->dmarc_record);
	free(v->dmarc_at);
	free(v->org_domain);
	free(v->policy);
	for (i = 0; i < v->nars; i++) {
		free(v->ars[i].name);
		free(v->ars[i].value);
		free(v->ars[i].dkim);
		free(v->ars[i].spf);
		free(v->ars[i].dmarc);
		free(v->ars[i].arc);
	}
	free(v->ars);
	strmap_free(&v->psl);
	free(v);
}

/* Take the "method=result" words of an Authentication-Results value
 * (comments skipped), each method's results joined by blanks. */
static void
verify_ar_parse(struct verify_ar *ar)
{
	static const char *const methods[] = { "dkim", "spf", "dmarc", "arc" };
	char **slots[4];
	const char *p = ar->value, *w, *eq;
	size_t k, n;
	int depth = 0;

	slots[0] = &ar->dkim;
	slots[1] = &ar->spf;
	slots[2] = &ar->dmarc;
	slots[3] = &ar->arc;
	while (*p != '\0') {
		if (*p == '(' || (*p == ')' && depth > 0)) {
			depth += *p++ == '(' ? 1 : -1;
			continue;
		}
		if (depth > 0 || *p == ' ' || *p == '\t' || *p == ';') {
			p++;
			continue;
		}
		w = p;
		n = strcspn(p, " \t;(");
		p += n;
		if ((eq = memchr(w, '=', n)) == NULL)
			continue;
		for (k = 0; k < 4; k++) {
			if ((size_t)(eq - w) != strlen(methods[k]) ||
			    strncasecmp(w, methods[k], (size_t)(eq - w)) != 0)
				continue;
			if (*slots[k] == NULL)
				*slots[k] = xstrndup(eq + 1, n - (size_t)(eq +
				    1 - w));
			else {
				char *j = xasprintf("%s %.*s", *slots[k],
				    (int)(n - (size_t)(eq + 1 - w)), eq + 1);
				free(*slots[k]);
				*slots[k] = j;
			}
		}
	}
}

/* Are a and b aligned (RFC 7489 3.1)? */
static int
verify_aligned(struct verify *v, const char *a, const char *b, int strict)
{
	char *oa, *ob;
	int rc;

	if (a == NULL || b == NULL)
		return 0;
	if (strcasecmp(a, b) == 0)
		return 1;
	if (strict)
		return 0;
	oa = verify_org_domain(v, a);
	ob = verify_org_domain(v, b);
	rc = strcasecmp(oa, ob) == 0;
	free(oa);
	free(ob);
	return rc;
}

/* The verdict once every answer is in. */
static void
verify_judge(struct verify *v)
{
	struct dkim_sig *sig;
	size_t i;
	int has_record = v->dmarc_record != NULL;

	for (i = 0; i < v->nars; i++)
		verify_ar_parse(&v->ars[i]);
	for (i = 0; i < v->dkim->nsigs; i++) {
		sig = &v->dkim->sigs[i];
		if (sig->result == DKIM_PASS && !v->dkim_aligned &&
		    verify_aligned(v, sig->d, v->from_domain,
		    v->adkim_strict)) {
			v->dkim_aligned = 1;
			v->aligned_d = sig->d;
		}
	}
	v->spf_aligned = strcmp(v->spf_result, "pass") == 0 &&
	    verify_aligned(v, v->spf_domain, v->from_domain, v->aspf_strict);
	if (v->from_domain == NULL) {
		v->dmarc_result = "permerror";
		free(v->dmarc_reason);
		v->dmarc_reason = xstrdup(v->from_error);
	} else if (has_record) {
		v->dmarc_result = v->dkim_aligned || v->spf_aligned ? "pass" :
		    "fail";
		free(v->dmarc_reason);
		v->dmarc_reason = xstrdup(v->dkim_aligned || v->spf_aligned ?
		    "an aligned identifier passed" : "neither DKIM nor SPF "
		    "passed aligned with the From domain");
	}
	if (v->policy == NULL)
		v->policy = xstrdup("none");
}

/* One part is done: the verdict when it was the last. */
static void
verify_step(struct verify *v)
{
	if (--v->pending > 0)
		return;
	verify_judge(v);
	v->done(v, v->arg);
}

static void
verify_dkim_done(struct dkim_set *set, void *arg)
{
	(void)set;
	verify_step(arg);
}

static void
verify_spf_done(const struct spf_outcome *o, void *arg)
{
	struct verify *v = arg;

	v->spf_result = spf_result_name(o->result);
	v->spf_reason = xstrdup(o->explanation != NULL ? o->explanation :
	    "");
	verify_step(v);
}

/* Where SPF looks and for what (options, Received, Return-Path); 0 to
 * check, -1 when there is no address to check. */
static int
verify_spf_setup(struct verify *v)
{
	const struct msg_field *f;
	const char *at;
	size_t i = 0;

	if (v->opts.ip != NULL) {
		v->ip = netaddr_canon(v->opts.ip, NULL);
		v->helo = v->opts.helo != NULL ? xstrdup(v->opts.helo) : NULL;
	} else if (verify_hop(v->msg, v->opts.trusted, &v->ip, &v->helo,
	    &v->hop_line) == 0) {
		for (i = 0; i < v->msg->nfields; i++)
			if (v->msg->fields[i].line == v->hop_line)
				v->hop = xstrdup(v->msg->fields[i].value);
		for (char *t = v->hop; t != NULL && *t != '\0'; t++)
			if (*t == '\t')
				*t = ' ';
		if (v->opts.helo != NULL) {
			free(v->helo);
			v->helo = xstrdup(v->opts.helo);
		}
	}
	i = 0;
	if (v->opts.mail_from != NULL)
		v->mail_from = xstrdup(v->opts.mail_from);
	else if ((f = msg_next(v->msg, "Return-Path", &i)) != NULL)
		v->mail_from = msg_return_path(f->value);
	if (v->mail_from != NULL && (at = strrchr(v->mail_from, '@')) != NULL)
		v->spf_domain = str_lower(xstrdup(at + 1));
	else if (v->helo != NULL)
		v->spf_domain = str_lower(xstrdup(v->helo));
	if (v->ip == NULL) {
		v->spf_reason = xstrdup(v->opts.ip != NULL ? "--ip is not an "
		    "IP address" : "no Received field names the connecting "
		    "address outside the trusted relays: give --ip");
		return -1;
	}
	if (v->spf_domain == NULL) {
		v->spf_reason = xstrdup("no MAIL FROM (Return-Path) and no "
		    "HELO: give --mail-from");
		return -1;
	}
	return 0;
}

static void verify_dmarc_answer(const struct dns_answer *, void *);

/* Ask the DMARC record of domain. */
static void
verify_dmarc_ask(struct verify *v, const char *domain)
{
	char *name = xasprintf("_dmarc.%s", domain);

	free(v->dmarc_at);
	v->dmarc_at = xstrdup(domain);
	dns_query(v->dns, name, DNS_T_TXT, verify_dmarc_answer, v);
	free(name);
}

/* Take the one DMARC record of an answer: 1 taken, 0 none there. */
static int
verify_dmarc_take(struct verify *v, const struct dns_answer *a)
{
	struct dmarc_rec rec;
	const struct dns_rr *rr = NULL;
	char *cause = NULL;
	size_t i, n = 0;

	for (i = 0; i < a->nrrs; i++)
		if (dmarc_is_record(a->rrs[i].text, a->rrs[i].len)) {
			rr = &a->rrs[i];
			n++;
		}
	if (n == 0)
		return 0;
	if (n > 1) {
		v->dmarc_reason = xasprintf("_dmarc.%s has %zu DMARC records:"
		    " receivers apply none", v->dmarc_at, n);
		return 1;
	}
	if (dmarc_parse(rr->text, rr->len, &rec, &cause) != 0) {
		v->dmarc_result = "permerror";
		v->dmarc_reason = xasprintf("the record at _dmarc.%s: %s",
		    v->dmarc_at, cause);
		free(cause);
		return 1;
	}
	v->dmarc_record = xstrndup(rr->text, rr->len);
	v->adkim_strict = rec.adkim != NULL && strcmp(rec.adkim, "s") == 0;
	v->aspf_strict = rec.aspf != NULL && strcmp(rec.aspf, "s") == 0;
	if (strcasecmp(v->dmarc_at, v->from_domain) != 0 && rec.sp != NULL)
		v->policy = xstrdup(rec.sp);
	else
		v->policy = xstrdup(rec.p != NULL ? rec.p : "none");
	dmarc_free(&rec);
	return 1;
}

static void
verify_dmarc_answer(const struct dns_answer *a, void *arg)
{
	struct verify *v = arg;

	if (a->status != DNS_OK && a->status != DNS_NODATA &&
	    a->status != DNS_NXDOMAIN) {
		v->dmarc_result = "temperror";
		v->dmarc_reason = xasprintf("the lookup of _dmarc.%s failed: "
		    "%s", v->dmarc_at, a->error != NULL ? a->error :
		    dns_status_name(a->status));
	} else if (!verify_dmarc_take(v, a) &&
	    strcasecmp(v->dmarc_at, v->org_domain) != 0) {
		verify_dmarc_ask(v, v->org_domain);
		return;
	} else if (v->dmarc_record == NULL && v->dmarc_reason == NULL)
		v->dmarc_reason = xasprintf("no DMARC record at _dmarc.%s%s%s",
		    v->from_domain, strcasecmp(v->from_domain,
		    v->org_domain) != 0 ? " nor at _dmarc." : "",
		    strcasecmp(v->from_domain, v->org_domain) != 0 ?
		    v->org_domain : "");
	verify_step(v);
}

void
verify_start(struct verify *v, struct dns *dns,
    void (*done)(struct verify *, void *), void *arg)
{
	struct spf_request req;

	v->dns = dns;
	v->done = done;
	v->arg = arg;
	v->pending = 1;		/* this function's own step, below */
	if (dkim_verify(v->dkim, dns, verify_dkim_done, v) > 0)
		v->pending++;
	if (verify_spf_setup(v) == 0) {
		memset(&req, 0, sizeof req);
		req.domain = v->spf_domain;
		req.ip = v->ip;
		req.sender = v->mail_from != NULL && *v->mail_from != '\0' ?
		    v->mail_from : NULL;
		req.helo = v->helo;
		v->pending++;
		spf_check(dns, &req, verify_spf_done, v);
	}
	if (v->from_domain != NULL) {
		v->org_domain = verify_org_domain(v, v->from_domain);
		v->pending++;
		verify_dmarc_ask(v, v->from_domain);
	}
	verify_step(v);
}

int
verify_status(const struct verify *v)
{
	int n = v->dkim_aligned + v->spf_aligned;

	if (strcmp(v->dmarc_result, "pass") == 0)
		return n == 2 ? 0 : 1;
	if (strcmp(v->dmarc_result, "none") == 0 && v->from_domain != NULL &&
	    n > 0)
		return 1;
	return 2;
}
