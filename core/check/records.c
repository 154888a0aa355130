/* records.c: the DNS records of a site: the mail host's, then each hosted
 * domain's. */
#include "core/check/records.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/keys/dkimkey.h"
#include "core/lib/util.h"

#define RECORDS_DEFAULT_POLICY "quarantine"

/* Append an empty record to set; the pointer is valid until the next add. */
static struct record *
rec_add(struct record_set *set, const char *id, const char *name,
    const char *type)
{
	struct record *r;

	set->records = xgrow(set->records, set->nrecords, sizeof *set->records);
	r = &set->records[set->nrecords++];
	memset(r, 0, sizeof *r);
	r->id = xstrdup(id);
	r->name = xstrdup(name);
	r->type = xstrdup(type);
	strv_init(&r->strings);
	return r;
}

/* Set the value of r (and for TXT its character-strings). */
static void
rec_value(struct record *r, const char *value)
{
	free(r->value);
	r->value = xstrdup(value);
	strv_free(&r->strings);
	if (strcmp(r->type, "TXT") == 0)
		records_split_txt(value, &r->strings);
}

/* "name." in lower case from a name with or without the final dot. */
static char *
rec_fqdn(const char *name)
{
	size_t len = strlen(name);

	while (len > 0 && name[len - 1] == '.')
		len--;
	return str_lower(xasprintf("%.*s.", (int)len, name));
}

/* The canonical text of an address of family af, or NULL if it is not one. */
static char *
rec_canon(int af, const char *addr)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];

	if (inet_pton(af, addr, bin) != 1)
		return NULL;
	if (inet_ntop(af, bin, text, sizeof text) == NULL)
		return NULL;
	return xstrdup(text);
}

/* The canonical public addresses of the site of family af. */
static void
rec_addresses(const struct site *site, int af, struct strv *out)
{
	const struct strv *in = af == AF_INET ? &site->ipv4 : &site->ipv6;
	char *canon;
	size_t i;

	for (i = 0; i < in->n; i++) {
		if ((canon = rec_canon(af, in->v[i])) == NULL)
			continue;
		strv_add_unique(out, canon);
		free(canon);
	}
}

char *
records_reverse_name(const char *addr)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[sizeof(struct in6_addr)];
	char name[16 * 4 + sizeof "ip6.arpa."], *p = name;
	int i;

	if (addr == NULL)
		return NULL;
	if (inet_pton(AF_INET, addr, b) == 1)
		return xasprintf("%u.%u.%u.%u.in-addr.arpa.", b[3], b[2], b[1],
		    b[0]);
	if (inet_pton(AF_INET6, addr, b) != 1)
		return NULL;
	for (i = 15; i >= 0; i--) {
		*p++ = hex[b[i] & 0xf];
		*p++ = '.';
		*p++ = hex[b[i] >> 4];
		*p++ = '.';
	}
	memcpy(p, "ip6.arpa.", sizeof "ip6.arpa.");
	return xstrdup(name);
}

/* Is c a UTF-8 continuation byte? */
static int
rec_utf8_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

void
records_split_txt(const char *text, struct strv *out)
{
	size_t len = strlen(text), off = 0, n;
	char *chunk;

	if (len == 0) {
		strv_add(out, "");
		return;
	}
	while (off < len) {
		n = len - off;
		if (n > 255) {
			/* Cut before the sequence that would straddle the
			 * limit; a longer run of continuation bytes is not
			 * UTF-8 and is cut at 255. */
			n = 255;
			while (n > 252 && rec_utf8_cont(text[off + n]))
				n--;
			if (rec_utf8_cont(text[off + n]))
				n = 255;
		}
		chunk = xstrndup(text + off, n);
		strv_add(out, chunk);
		free(chunk);
		off += n;
	}
}

/* Append s as a quoted zone-file character-string. */
static void
rec_quote(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)*p);
		} else if (*p < 0x20 || *p > 0x7e)
			buf_printf(b, "\\%03u", *p);
		else
			buf_addc(b, (char)*p);
	}
	buf_addc(b, '"');
}

char *
records_zone_line(const struct record *r)
{
	struct buf b;
	struct strv split;
	const struct strv *sv = &r->strings;
	char *safe;
	size_t i;

	buf_init(&b);
	if (r->value == NULL) {
		safe = str_sanitize(r->error != NULL ? r->error : "unknown",
		    strlen(r->error != NULL ? r->error : "unknown"));
		buf_printf(&b, "; %s %s: not computed: %s", r->name, r->type,
		    safe);
		free(safe);
		return buf_steal(&b);
	}
	buf_printf(&b, "%s %d IN %s ", r->name, RECORDS_TTL, r->type);
	if (strcmp(r->type, "TXT") != 0) {
		buf_adds(&b, r->value);
		return buf_steal(&b);
	}
	strv_init(&split);
	if (sv->n == 0) {
		records_split_txt(r->value, &split);
		sv = &split;
	}
	if (sv->n == 1)
		rec_quote(&b, sv->v[0]);
	else {
		buf_adds(&b, "( ");
		for (i = 0; i < sv->n; i++) {
			if (i > 0)
				buf_adds(&b, "\n\t");
			rec_quote(&b, sv->v[i]);
		}
		buf_adds(&b, " )");
	}
	strv_free(&split);
	return buf_steal(&b);
}

/* The SPF text authorizing the addresses, or a:hostname without any. */
static char *
rec_spf_value(const struct strv *v4, const struct strv *v6,
    const char *host)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_adds(&b, "v=spf1");
	for (i = 0; i < v4->n; i++)
		buf_printf(&b, " ip4:%s", v4->v[i]);
	for (i = 0; i < v6->n; i++)
		buf_printf(&b, " ip6:%s", v6->v[i]);
	if (v4->n == 0 && v6->n == 0)
		buf_printf(&b, " a:%s", host);
	buf_adds(&b, " -all");
	return buf_steal(&b);
}

/* The addresses the SPF record covers, for why: "192.0.2.25, 2001:db8::25". */
static char *
rec_spf_why(const struct strv *v4, const struct strv *v6)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < v4->n; i++)
		buf_printf(&b, "%s%s", b.len ? ", " : "", v4->v[i]);
	for (i = 0; i < v6->n; i++)
		buf_printf(&b, "%s%s", b.len ? ", " : "", v6->v[i]);
	return buf_steal(&b);
}

/* The domain of the first address of a DMARC rua list, or NULL. */
static char *
rec_rua_domain(const char *rua)
{
	const char *at, *end;

	if ((at = strchr(rua, '@')) == NULL)
		return NULL;
	at++;
	end = at + strcspn(at, ",!; \t");
	if (end == at)
		return NULL;
	return str_lower(xstrndup(at, (size_t)(end - at)));
}

/* Does name equal domain or lie under it? */
static int
rec_under(const char *name, const char *domain)
{
	size_t nlen = strlen(name), dlen = strlen(domain);

	if (nlen == dlen)
		return strcasecmp(name, domain) == 0;
	return nlen > dlen && name[nlen - dlen - 1] == '.' &&
	    strcasecmp(name + nlen - dlen, domain) == 0;
}

/* Does a signer notspam does not read (rspamd) take the mail of a domain
 * notspam knows no key for?  Then whether it is signed is unknown. */
static int
rec_unread_signer(const struct site *site, const char *domain)
{
	size_t i;

	if (site->unread_signer == NULL)
		return 0;
	for (i = 0; i < site->nkeys; i++)
		if (strcasecmp(site->keys[i].domain, domain) == 0)
			return 0;
	return 1;
}

static void
rec_dmarc(const struct site *site, const char *domain, struct record_set *set)
{
	const struct settings *st = site->settings;
	const char *policy = RECORDS_DEFAULT_POLICY, *rua = NULL;
	struct record *r;
	struct buf why;
	char *name, *value, *ruav = NULL, *ruadom = NULL, *report = NULL;
	int unread = 0;

	if (st != NULL && st->dmarc_policy != NULL && *st->dmarc_policy != '\0')
		policy = st->dmarc_policy;
	else if ((unread = rec_unread_signer(site, domain)) != 0)
		policy = "none";
	if (st != NULL && st->dmarc_rua != NULL && *st->dmarc_rua != '\0')
		rua = st->dmarc_rua;
	if (rua != NULL && strchr(rua, ':') == NULL)
		ruav = xasprintf("mailto:%s", rua);
	else if (rua != NULL)
		ruav = xstrdup(rua);

	name = xasprintf("_dmarc.%s.", domain);
	if (ruav != NULL)
		value = xasprintf("v=DMARC1; p=%s; rua=%s", policy, ruav);
	else
		value = xasprintf("v=DMARC1; p=%s", policy);

	buf_init(&why);
	if (unread)
		buf_printf(&why, "DMARC policy p=none for a start: %s%s%s%s"
		    " signs, and notspam does not read its configuration, so"
		    " whether this domain's mail carries an aligned DKIM"
		    " signature is unknown; raise p= to quarantine once"
		    " received messages (or the aggregate reports) show"
		    " dkim=pass", site->unread_signer,
		    site->unread_signer_source != NULL ? " (" : "",
		    site->unread_signer_source != NULL ?
		    site->unread_signer_source : "",
		    site->unread_signer_source != NULL ? ")" : "");
	else
		buf_printf(&why, "DMARC policy p=%s (%s) for mail failing both"
		    " aligned SPF and DKIM", policy,
		    st != NULL && st->dmarc_policy != NULL ? "dmarc_policy in"
		    " the settings" : "the default: protects the domain"
		    " without the outright rejection of p=reject");
	if (ruav == NULL)
		buf_adds(&why, "; no aggregate reports: set dmarc_rua ="
		    " mailto:<a mailbox that exists> in notspam.conf to add"
		    " rua=");
	else {
		buf_printf(&why, "; aggregate reports to %s", ruav);
		ruadom = rec_rua_domain(ruav);
		if (ruadom != NULL && !rec_under(domain, ruadom) &&
		    !rec_under(ruadom, domain)) {
			buf_printf(&why, "; %s must authorize them with the"
			    " record below", ruadom);
			report = xasprintf("%s._report._dmarc.%s.", domain,
			    ruadom);
		}
	}
	r = rec_add(set, "dmarc", name, "TXT");
	rec_value(r, value);
	r->why = buf_steal(&why);
	if (report != NULL) {
		/* RFC 7489 §7.1: the report domain says it takes them. */
		r = rec_add(set, "dmarc-report", report, "TXT");
		rec_value(r, "v=DMARC1");
		r->why = xasprintf("in the zone of %s (another domain):"
		    " authorizes aggregate reports about %s to %s; without it"
		    " receivers send none", ruadom, domain, ruav);
		free(report);
	}
	free(ruadom);
	free(ruav);
	free(value);
	free(name);
}

/* Public keys already derived during one records_build(), by key file: a
 * site signing many domains with one key decodes it once. */
struct rec_keys {
	struct rec_key {
		char		*path;
		struct dkim_pub	 pub;	/* type NULL when it failed */
		char		*error;
	}		*v;
	size_t		 n;
	/* The site's keys by domain: the first key of each domain, then
	 * next[] in site order (SIZE_MAX ends a chain). */
	struct strmap	 first;
	size_t		*next;
};

/* The public key of path, derived now or earlier in this build. */
static const struct rec_key *
rec_key_get(const struct site *site, struct rec_keys *keys, const char *path)
{
	struct rec_key *e;
	size_t i;

	for (i = 0; i < keys->n; i++)
		if (strcmp(keys->v[i].path, path) == 0)
			return &keys->v[i];
	keys->v = xgrow(keys->v, keys->n, sizeof *keys->v);
	e = &keys->v[keys->n++];
	memset(e, 0, sizeof *e);
	e->path = xstrdup(path);
	if (dkimkey_load(site->root, path, &e->pub, &e->error) != 0)
		memset(&e->pub, 0, sizeof e->pub);
	return e;
}

/* Chain the site's keys by domain, keeping the site's order. */
static void
rec_keys_index(const struct site *site, struct rec_keys *keys)
{
	size_t i, head;

	strmap_init(&keys->first);
	keys->next = xcalloc(site->nkeys + 1, sizeof *keys->next);
	for (i = site->nkeys; i > 0; i--) {
		const struct site_key *k = &site->keys[i - 1];
		if (k->domain == NULL || k->selector == NULL) {
			keys->next[i - 1] = SIZE_MAX;
			continue;
		}
		keys->next[i - 1] = strmap_get(&keys->first, k->domain,
		    &head) ? head : SIZE_MAX;
		strmap_put(&keys->first, k->domain, i - 1);
	}
}

static void
rec_keys_free(struct rec_keys *keys)
{
	size_t i;

	strmap_free(&keys->first);
	free(keys->next);
	for (i = 0; i < keys->n; i++) {
		free(keys->v[i].path);
		free(keys->v[i].error);
		if (keys->v[i].pub.type != NULL)
			dkimkey_free(&keys->v[i].pub);
	}
	free(keys->v);
}

/* The earlier key of the same domain and selector as keys[i], or NULL. */
static const struct site_key *
rec_key_seen(const struct site *site, const struct rec_keys *keys, size_t i)
{
	const struct site_key *k = &site->keys[i], *o;
	size_t j;

	if (!strmap_get(&keys->first, k->domain, &j))
		return NULL;
	for (; j != SIZE_MAX && j < i; j = keys->next[j]) {
		o = &site->keys[j];
		if (strcasecmp(o->selector, k->selector) == 0)
			return o;
	}
	return NULL;
}

/* Fill the DKIM record r from the key k. */
static void
rec_dkim_key(const struct site *site, struct rec_keys *keys,
    const struct site_key *k, struct record *r)
{
	const struct rec_key *e;
	const struct dkim_pub *pub;
	char *value;
	const char *sep = k->signer != NULL ? ", signer " : "";
	const char *signer = k->signer != NULL ? k->signer : "";

	if (k->keyfile == NULL) {
		r->error = xstrdup("no key file is configured for this"
		    " selector");
		goto done;
	}
	e = rec_key_get(site, keys, k->keyfile);
	if (e->pub.type == NULL) {
		r->error = xstrdup(e->error != NULL ? e->error : "unreadable");
		goto done;
	}
	pub = &e->pub;
	value = dkimkey_txt(pub);
	rec_value(r, value);
	free(value);
	if (strcmp(pub->type, "rsa") == 0)
		r->why = xasprintf("DKIM public key (RSA %d bits) of %s%s%s",
		    pub->bits, k->keyfile, sep, signer);
	else
		r->why = xasprintf("DKIM public key (%s, RFC 8463) of %s%s%s",
		    pub->type, k->keyfile, sep, signer);
done:
	if (r->why == NULL)
		r->why = xasprintf("DKIM public key of selector %s; fix the"
		    " key file to compute it", k->selector);
}

/*
 * One DKIM record per configured selector of domain.  A selector configured
 * twice with the same file (two signers, two table lines) is one record;
 * with another file, the later one is a record in error (one name can
 * publish one key).
 */
static void
rec_dkim(const struct site *site, struct rec_keys *keys, const char *domain,
    struct record_set *set)
{
	const struct site_key *k, *seen;
	struct record *r;
	char *id, *name;
	size_t i;

	if (!strmap_get(&keys->first, domain, &i))
		return;
	for (; i != SIZE_MAX; i = keys->next[i]) {
		k = &site->keys[i];
		seen = rec_key_seen(site, keys, i);
		if (seen != NULL && seen->keyfile != NULL &&
		    k->keyfile != NULL && strcmp(seen->keyfile,
		    k->keyfile) == 0)
			continue;
		id = xasprintf("dkim:%s", k->selector);
		name = xasprintf("%s._domainkey.%s.", k->selector, domain);
		r = rec_add(set, id, name, "TXT");
		if (seen != NULL) {
			r->error = xasprintf("selector %s is configured with"
			    " two key files (%s and %s); one name publishes"
			    " one key", k->selector, seen->keyfile != NULL ?
			    seen->keyfile : "none", k->keyfile != NULL ?
			    k->keyfile : "none");
			r->why = xasprintf("DKIM public key of selector %s",
			    k->selector);
		} else
			rec_dkim_key(site, keys, k, r);
		free(name);
		free(id);
	}
}

/* MX of a domain that receives mail here. */
static void
rec_mx(const struct site_domain *d, const char *name, const char *host,
    struct record_set *set)
{
	struct record *r;
	char *value;

	r = rec_add(set, "mx", name, "MX");
	r->why = xasprintf("%s receives mail on this server: the MX names the"
	    " mail host", d->name);
	if (host == NULL) {
		r->error = xstrdup("the mail hostname is unknown (set the MTA's"
		    " hostname)");
		return;
	}
	value = xasprintf("10 %s", host);
	rec_value(r, value);
	free(value);
}

/* The SPF value of the site's addresses (a:<hostname> without any, the
 * hostname bare), shared by the domains' SPF and the HELO name's. */
static char *
rec_spf_text(const char *host, const struct strv *v4, const struct strv *v6)
{
	char *bare = NULL, *value;

	/* SPF domain-specs are written without the final dot. */
	if (host != NULL)
		bare = xstrndup(host, strlen(host) - 1);
	value = rec_spf_value(v4, v6, bare != NULL ? bare : "");
	free(bare);
	return value;
}

/* The host set: A and AAAA of the mail host, the PTR of every address
 * (naming the HELO name), and SPF of the HELO name (HELO identity). */
static void
rec_host(const char *host, const char *helo, const struct strv *v4,
    const struct strv *v6, struct record_set *set)
{
	struct record *r;
	const char *a;
	char *id, *rev, *value;
	size_t i;

	set->host = 1;
	set->domain = xstrndup(helo, strlen(helo) - 1);
	for (i = 0; host != NULL && i < v4->n; i++) {
		r = rec_add(set, "host-a", host, "A");
		rec_value(r, v4->v[i]);
		r->why = xasprintf("public IPv4 address %zu of %zu of the mail"
		    " host (MX target, EHLO name); one record for every hosted"
		    " domain", i + 1, v4->n);
	}
	for (i = 0; host != NULL && i < v6->n; i++) {
		r = rec_add(set, "host-aaaa", host, "AAAA");
		rec_value(r, v6->v[i]);
		r->why = xasprintf("public IPv6 address %zu of %zu of the mail"
		    " host (MX target, EHLO name); one record for every hosted"
		    " domain", i + 1, v6->n);
	}
	for (i = 0; i < v4->n + v6->n; i++) {
		a = i < v4->n ? v4->v[i] : v6->v[i - v4->n];
		id = xasprintf("ptr:%s", a);
		rev = records_reverse_name(a);
		r = rec_add(set, id, rev, "PTR");
		r->why = xasprintf("reverse DNS of %s must name the EHLO"
		    " hostname; set by whoever owns the address (the hosting"
		    " provider), not in a domain's zone", a);
		rec_value(r, helo);
		free(rev);
		free(id);
	}
	value = rec_spf_text(host, v4, v6);
	r = rec_add(set, "spf-helo", helo, "TXT");
	rec_value(r, value);
	r->why = xasprintf("SPF of the EHLO name %s, checked by receivers on"
	    " the HELO identity; one record shared by every hosted domain",
	    set->domain);
	free(value);
}

/* SPF of the domain. */
static void
rec_spf(const char *name, const char *host, const struct strv *v4,
    const struct strv *v6, struct record_set *set)
{
	struct record *r;
	char *value, *addrs;

	value = rec_spf_text(host, v4, v6);
	r = rec_add(set, "spf", name, "TXT");
	if (v4->n + v6->n > 0) {
		rec_value(r, value);
		addrs = rec_spf_why(v4, v6);
		r->why = xasprintf("SPF authorizing exactly this server's"
		    " public addresses (%s) as ip4:/ip6: terms: no DNS"
		    " lookups, no dependence on MX or A records; -all fails"
		    " every other sender", addrs);
		free(addrs);
	} else if (host != NULL) {
		rec_value(r, value);
		r->why = xasprintf("SPF authorizing what %.*s resolves to: the"
		    " public addresses are unknown; set public_ipv4 and"
		    " public_ipv6 in notspam.conf to list them explicitly",
		    (int)strlen(host) - 1, host);
	} else {
		r->error = xstrdup("neither the public addresses nor the mail"
		    " hostname are known");
		r->why = xstrdup("SPF of the domain");
	}
	free(value);
}

/* The records of one domain, in the order of the ids in records.h. */
static void
rec_domain(const struct site *site, struct rec_keys *keys,
    const struct site_domain *d, const char *host, const struct strv *v4,
    const struct strv *v6, struct record_set *set)
{
	char *name = rec_fqdn(d->name);

	set->domain = xstrdup(d->name);
	if (d->receives)
		rec_mx(d, name, host, set);
	rec_spf(name, host, v4, v6, set);
	rec_dkim(site, keys, d->name, set);
	rec_dmarc(site, d->name, set);
	free(name);
}

int
records_build(const struct site *site, const char *domain,
    struct record_set **out, size_t *nout, char **cause)
{
	struct record_set *sets = NULL;
	struct rec_keys keys;
	struct strv v4, v6;
	struct buf hosted;
	char *want = NULL, *host = NULL, *helo = NULL, *safe;
	size_t i, n = 0;
	int found = 0;

	memset(&keys, 0, sizeof keys);
	*out = NULL;
	*nout = 0;
	if (domain != NULL) {
		want = rec_fqdn(domain);
		want[strlen(want) - 1] = '\0';
		for (i = 0; i < site->ndomains; i++)
			if (strcasecmp(site->domains[i].name, want) == 0)
				found = 1;
		if (!found) {
			buf_init(&hosted);
			for (i = 0; i < site->ndomains; i++)
				buf_printf(&hosted, "%s%s", i ? ", " : "",
				    site->domains[i].name);
			safe = str_sanitize(want, strlen(want));
			error_set(cause, "%s is not a hosted domain here"
			    " (hosted: %s)", safe,
			    hosted.len ? hosted.data : "none");
			buf_free(&hosted);
			free(safe);
			free(want);
			return -1;
		}
	}

	rec_keys_index(site, &keys);
	strv_init(&v4);
	strv_init(&v6);
	rec_addresses(site, AF_INET, &v4);
	rec_addresses(site, AF_INET6, &v6);
	if (site->hostname != NULL && *site->hostname != '\0')
		host = rec_fqdn(site->hostname);
	if (site_helo(site) != NULL && *site_helo(site) != '\0')
		helo = rec_fqdn(site_helo(site));
	else if (host != NULL)
		helo = xstrdup(host);

	sets = xcalloc(site->ndomains + 1, sizeof *sets);
	if (helo != NULL)
		rec_host(host, helo, &v4, &v6, &sets[n++]);
	for (i = 0; i < site->ndomains; i++) {
		if (want != NULL &&
		    strcasecmp(site->domains[i].name, want) != 0)
			continue;
		rec_domain(site, &keys, &site->domains[i], host, &v4, &v6,
		    &sets[n++]);
	}
	if (n == 0) {
		free(sets);
		sets = NULL;
	}
	*out = sets;
	*nout = n;
	rec_keys_free(&keys);
	free(host);
	free(helo);
	free(want);
	strv_free(&v4);
	strv_free(&v6);
	return 0;
}

void
records_free(struct record_set *sets, size_t n)
{
	struct record *r;
	size_t i, j;

	if (sets == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < sets[i].nrecords; j++) {
			r = &sets[i].records[j];
			free(r->id);
			free(r->name);
			free(r->type);
			free(r->value);
			strv_free(&r->strings);
			free(r->why);
			free(r->error);
		}
		free(sets[i].records);
		free(sets[i].domain);
	}
	free(sets);
}
