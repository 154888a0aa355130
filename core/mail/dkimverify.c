/* dkimverify.c: DKIM-Signature verification with OpenSSL EVP. */
#include "core/mail/dkimverify.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/dns/dkimrec.h"
#include "core/dns/dns.h"
#include "core/dns/taglist.h"
#include "core/lib/util.h"
#include "core/mail/msg.h"

#define DKIM_RSA_MIN_BITS	1024

/* Decide a signature (once): result and reason. */
static void
dkim_decide(struct dkim_sig *sig, enum dkim_result r, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static void
dkim_decide(struct dkim_sig *sig, enum dkim_result r, const char *fmt, ...)
{
	va_list ap;

	if (sig->result != DKIM_PENDING)
		return;
	sig->result = r;
	va_start(ap, fmt);
	sig->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

/* A decimal tag value (at most 18 digits), or -1. */
static long long
dkim_number(const char *v)
{
	long long n = 0;
	size_t i;

	if (*v == '\0' || strlen(v) > 18)
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

/* The value with every blank removed (h=, b=, bh= may be folded). */
static char *
dkim_noblanks(const char *v)
{
	struct buf b;

	buf_init(&b);
	for (; *v != '\0'; v++)
		if (!taglist_blank(*v))
			buf_addc(&b, *v);
	return b.len > 0 ? buf_steal(&b) : xstrdup("");
}

/* c=: "header[/body]", each simple or relaxed. */
static int
dkim_tag_c(struct dkim_sig *sig, const char *v, char **cause)
{
	const char *slash = strchr(v, '/');
	size_t hl = slash != NULL ? (size_t)(slash - v) : strlen(v);
	const char *body = slash != NULL ? slash + 1 : "simple";

	if ((hl != 6 || strncmp(v, "simple", 6) != 0) &&
	    (hl != 7 || strncmp(v, "relaxed", 7) != 0))
		return error_set(cause, "c=%s: the header canonicalization "
		    "must be simple or relaxed", v);
	if (strcmp(body, "simple") != 0 && strcmp(body, "relaxed") != 0)
		return error_set(cause, "c=%s: the body canonicalization "
		    "must be simple or relaxed", v);
	sig->hdr_relaxed = hl == 7;
	sig->body_relaxed = strcmp(body, "relaxed") == 0;
	free(sig->c);
	sig->c = xasprintf("%s/%s", sig->hdr_relaxed ? "relaxed" : "simple",
	    body);
	return 0;
}

/* a=: the algorithms RFC 8301 and RFC 8463 leave. */
static int
dkim_tag_a(struct dkim_sig *sig, const char *v, char **cause)
{
	sig->a = xstrdup(v);
	if (strcmp(v, "rsa-sha256") == 0)
		return 0;
	if (strcmp(v, "ed25519-sha256") == 0) {
		sig->alg_ed25519 = 1;
		return 0;
	}
	if (strcmp(v, "rsa-sha1") == 0)
		return error_set(cause, "a=rsa-sha1 is no longer valid "
		    "(RFC 8301): sign with rsa-sha256");
	return error_set(cause, "unknown algorithm a=%s", v);
}

/* b= and bh=: base64. */
static int
dkim_tag_b64(const char *name, const char *v, unsigned char **out,
    size_t *len, char **cause)
{
	if (*v == '\0')
		return error_set(cause, "%s= is empty", name);
	if ((*out = dkimrec_base64(v, strlen(v), len)) == NULL || *len == 0)
		return error_set(cause, "%s= is not valid base64", name);
	return 0;
}

/* One tag of a DKIM-Signature (taglist_cb). */
static int
dkim_tag(const char *name, char *value, int index, void *arg, char **cause)
{
	struct dkim_sig *sig = arg;
	char *v = dkim_noblanks(value);
	int rc = 0;

	(void)index;
	if (strcmp(name, "v") == 0 && strcmp(v, "1") != 0)
		rc = error_set(cause, "v=%s: only version 1 exists", v);
	else if (strcmp(name, "a") == 0)
		rc = dkim_tag_a(sig, v, cause);
	else if (strcmp(name, "b") == 0)
		rc = dkim_tag_b64("b", v, &sig->b, &sig->blen, cause);
	else if (strcmp(name, "bh") == 0)
		rc = dkim_tag_b64("bh", v, &sig->bh, &sig->bhlen, cause);
	else if (strcmp(name, "c") == 0)
		rc = dkim_tag_c(sig, v, cause);
	else if (strcmp(name, "d") == 0)
		sig->d = str_lower(xstrdup(value));
	else if (strcmp(name, "s") == 0)
		sig->s = str_lower(xstrdup(value));
	else if (strcmp(name, "h") == 0)
		sig->h = xstrdup(v);
	else if (strcmp(name, "i") == 0)
		sig->i = xstrdup(value);
	else if (strcmp(name, "q") == 0 && strcmp(v, "dns/txt") != 0)
		rc = error_set(cause, "q=%s: only dns/txt exists", v);
	else if (strcmp(name, "l") == 0 && (sig->l = dkim_number(v)) < 0)
		rc = error_set(cause, "l=%s is not a length", v);
	else if (strcmp(name, "t") == 0 && (sig->t = dkim_number(v)) < 0)
		rc = error_set(cause, "t=%s is not a time", v);
	else if (strcmp(name, "x") == 0 && (sig->x = dkim_number(v)) < 0)
		rc = error_set(cause, "x=%s is not a time", v);
	free(v);
	return rc;
}

/* Is i= (its domain part) d= or under it? */
static int
dkim_identity_ok(const char *i, const char *d, int strict)
{
	const char *at = strrchr(i, '@');
	const char *dom = at != NULL ? at + 1 : i;
	size_t n = strlen(dom), dn = strlen(d);

	if (strcasecmp(dom, d) == 0)
		return 1;
	if (strict || n <= dn)
		return 0;
	return dom[n - dn - 1] == '.' && strcasecmp(dom + n - dn, d) == 0;
}

/* Does the colon-separated list h= name From? */
static int
dkim_h_has_from(const char *h)
{
	const char *p = h, *e;

	while (*p != '\0') {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e - p == 4 && strncasecmp(p, "from", 4) == 0)
			return 1;
		p = *e == ':' ? e + 1 : e;
	}
	return 0;
}

/* The checks of the tags together (RFC 6376 6.1.1); -1 with *cause. */
static int
dkim_sig_check(const struct dkim_sig *sig, time_t now, char **cause)
{
	static const char *const need[] = { "a", "b", "bh", "d", "h", "s" };
	const void *have[6];
	const char *p;
	size_t k;

	have[0] = sig->a;
	have[1] = sig->b;
	have[2] = sig->bh;
	have[3] = sig->d;
	have[4] = sig->h;
	have[5] = sig->s;
	for (k = 0; k < 6; k++)
		if (have[k] == NULL)
			return error_set(cause, "the tag %s= is missing",
			    need[k]);
	for (k = 0, p = sig->h; (p = strchr(p, ':')) != NULL; p++)
		if (++k >= DKIM_H_MAX)
			return error_set(cause, "h= lists more than %d names",
			    DKIM_H_MAX);
	if (!dkim_h_has_from(sig->h))
		return error_set(cause, "h= does not sign the From field");
	if (sig->i != NULL && !dkim_identity_ok(sig->i, sig->d, 0))
		return error_set(cause, "i=%s is not within d=%s", sig->i,
		    sig->d);
	if (sig->t >= 0 && sig->x >= 0 && sig->x < sig->t)
		return error_set(cause, "x= is before t=");
	if (sig->t > (long long)now + DKIM_CLOCK_SLOP)
		return error_set(cause, "t= is in the future (signed at %lld,"
		    " now %lld)", sig->t, (long long)now);
	return 0;
}

/* Read one DKIM-Signature field into sig. */
static void
dkim_sig_read(struct dkim_sig *sig, const struct msg_field *f, time_t now)
{
	static const char *const seen[] = { NULL };
	char *cause = NULL;

	sig->l = sig->t = sig->x = -1;
	sig->c = xstrdup("simple/simple");
	if (taglist_parse(f->value, f->value + strlen(f->value), 0, seen,
	    dkim_tag, sig, &cause) != 0 ||
	    dkim_sig_check(sig, now, &cause) != 0) {
		dkim_decide(sig, DKIM_PERMERROR, "%s", cause);
		free(cause);
		return;
	}
	if (sig->x >= 0 && sig->x < (long long)now)
		dkim_decide(sig, DKIM_FAIL, "the signature expired (x=%lld is "
		    "in the past)", sig->x);
}

struct dkim_set *
dkim_set_new(const struct msg *m, time_t now)
{
	struct dkim_set *set = xcalloc(1, sizeof *set);
	const struct msg_field *f;
	size_t i = 0;

	set->msg = m;
	set->now = now;
	while ((f = msg_next(m, "DKIM-Signature", &i)) != NULL) {
		set->sigs = xgrow(set->sigs, set->nsigs, sizeof *set->sigs);
		set->sigs[set->nsigs].field = i - 1;
		dkim_sig_read(&set->sigs[set->nsigs], f, now);
		set->nsigs++;
	}
	return set;
}

void
dkim_set_free(struct dkim_set *set)
{
	struct dkim_sig *sig;
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nsigs; i++) {
		sig = &set->sigs[i];
		free(sig->d);
		free(sig->s);
		free(sig->a);
		free(sig->i);
		free(sig->c);
		free(sig->h);
		free(sig->reason);
		free(sig->bh);
		free(sig->b);
	}
	free(set->sigs);
	free(set);
}

char *
dkim_sig_keyname(const struct dkim_sig *sig)
{
	if (sig->result != DKIM_PENDING)
		return NULL;
	return xasprintf("%s._domainkey.%s", sig->s, sig->d);
}

/*
 * Relaxed canonical form of a run of bytes (RFC 6376 3.4.2, 3.4.4): CRLF
 * pairs (folding) removed, runs of space and tab made one space, none at
 * the end; lead 0 also drops them at the start (a header value).
 */
static void
dkim_relax(struct buf *out, const char *p, size_t n, int lead)
{
	size_t i;
	int blank = 0, any = lead;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == ' ' || p[i] == '\t') {
			blank = 1;
			continue;
		}
		if (blank && any)
			buf_addc(out, ' ');
		blank = 0;
		any = 1;
		buf_addc(out, p[i]);
	}
}

/* One header field canonicalized into out; crlf 0 drops its line end. */
static void
dkim_canon_field(struct buf *out, const char *raw, size_t len, int relaxed,
    int crlf)
{
	const char *colon;
	size_t n, i;

	if (!relaxed) {
		buf_add(out, raw, crlf ? len : len - 2);
		return;
	}
	colon = memchr(raw, ':', len);
	n = (size_t)(colon - raw);
	while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	for (i = 0; i < n; i++)
		buf_addc(out, (char)(raw[i] >= 'A' && raw[i] <= 'Z' ?
		    raw[i] + 32 : raw[i]));
	buf_addc(out, ':');
	dkim_relax(out, colon + 1, len - (size_t)(colon + 1 - raw), 0);
	if (crlf)
		buf_add(out, "\r\n", 2);
}

/* The signature field with the value of b= emptied (the bytes after "b="
 * up to its last non-blank before ';' or the end), line end kept. */
static char *
dkim_strip_b(const char *raw, size_t len, size_t *outlen)
{
	const char *colon = memchr(raw, ':', len), *p, *end = raw + len - 2;
	const char *v, *stop, *last;
	struct buf b;

	for (p = colon + 1; p < end; ) {
		while (p < end && taglist_blank(*p))
			p++;
		v = p;
		if (p < end && *p == 'b') {
			for (v = p + 1; v < end && taglist_blank(*v); v++)
				;
			if (v < end && *v == '=') {
				v++;
				stop = memchr(v, ';', (size_t)(end - v));
				if (stop == NULL)
					stop = end;
				for (last = stop; last > v &&
				    taglist_blank(last[-1]); last--)
					;
				buf_init(&b);
				buf_add(&b, raw, (size_t)(v - raw));
				buf_add(&b, last, (size_t)(raw + len - last));
				*outlen = b.len;
				return buf_steal(&b);
			}
		}
		if ((p = memchr(v, ';', (size_t)(end - v))) == NULL)
			break;
		p++;
	}
	*outlen = len;
	return xstrndup(raw, len);
}

/* The data the signature covers: the h= fields, bottom-up per name, then
 * the signature field itself without its b= value and line end. */
static void
dkim_header_data(const struct msg *m, const struct dkim_sig *sig,
    struct buf *out)
{
	const struct msg_field *f = &m->fields[sig->field];
	unsigned char *used = xcalloc(m->nfields + 1, 1);
	const char *p = sig->h, *e;
	char *stripped;
	size_t n, j, slen;

	for (n = 0; *p != '\0' && n < DKIM_H_MAX; n++) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		for (j = m->nfields; j-- > 0; ) {
			if (used[j] || strlen(m->fields[j].name) !=
			    (size_t)(e - p) || strncasecmp(m->fields[j].name,
			    p, (size_t)(e - p)) != 0)
				continue;
			used[j] = 1;
			dkim_canon_field(out, m->fields[j].raw,
			    m->fields[j].rawlen, sig->hdr_relaxed, 1);
			break;
		}
		p = *e == ':' ? e + 1 : e;
	}
	free(used);
	stripped = dkim_strip_b(f->raw, f->rawlen, &slen);
	dkim_canon_field(out, stripped, slen, sig->hdr_relaxed, 0);
	free(stripped);
}

/* The relaxed body (RFC 6376 3.4.4) into out. */
static void
dkim_body_relaxed(const char *body, size_t len, struct buf *out)
{
	const char *p = body, *end = body + len, *nl;
	size_t keep = 0, start;

	while (p < end) {
		nl = p;
		while (nl + 1 < end && !(nl[0] == '\r' && nl[1] == '\n'))
			nl++;
		if (nl + 1 >= end)
			nl = end;
		start = out->len;
		dkim_relax(out, p, (size_t)(nl - p), 1);
		buf_add(out, "\r\n", 2);
		if (out->len - start > 2)
			keep = out->len;
		p = nl < end ? nl + 2 : end;
	}
	out->len = keep;
	if (out->data != NULL)
		out->data[keep] = '\0';
}

/* The simple body (RFC 6376 3.4.3) into out. */
static void
dkim_body_simple(const char *body, size_t len, struct buf *out)
{
	while (len >= 2 && body[len - 2] == '\r' && body[len - 1] == '\n')
		len -= 2;
	buf_add(out, body, len);
	buf_add(out, "\r\n", 2);
}

/* SHA-256 of data into md (32 bytes); 0 or -1. */
static int
dkim_sha256(const void *data, size_t len, unsigned char *md)
{
	unsigned int n = 0;

	return EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) == 1 &&
	    n == 32 ? 0 : -1;
}

/* Does bh= match the body?  1 yes, 0 no, -1 with the decision made. */
static int
dkim_body_ok(const struct msg *m, struct dkim_sig *sig)
{
	struct buf b;
	unsigned char md[32];
	size_t n;
	int rc;

	buf_init(&b);
	if (sig->body_relaxed)
		dkim_body_relaxed(m->body, m->bodylen, &b);
	else
		dkim_body_simple(m->body, m->bodylen, &b);
	n = b.len;
	if (sig->l >= 0 && (unsigned long long)sig->l > n) {
		buf_free(&b);
		dkim_decide(sig, DKIM_PERMERROR, "l=%lld is longer than the "
		    "body (%zu bytes canonicalized)", sig->l, n);
		return -1;
	}
	if (sig->l >= 0)
		n = (size_t)sig->l;
	rc = dkim_sha256(b.data != NULL ? b.data : "", n, md);
	buf_free(&b);
	if (rc != 0) {
		dkim_decide(sig, DKIM_TEMPERROR, "SHA-256 failed");
		return -1;
	}
	return sig->bhlen == 32 && memcmp(md, sig->bh, 32) == 0;
}

/* An RSA key: DER SubjectPublicKeyInfo, else PKCS#1 RSAPublicKey. */
static EVP_PKEY *
dkim_rsa_key(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	EVP_PKEY *pkey;

	if (len > LONG_MAX)
		return NULL;
	pkey = d2i_PUBKEY(NULL, &q, (long)len);
	if (pkey != NULL && !EVP_PKEY_is_a(pkey, "RSA")) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL) {
		q = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
	}
	ERR_clear_error();
	return pkey;
}

/* The public key of a record, or NULL with the decision made. */
static EVP_PKEY *
dkim_record_key(struct dkim_sig *sig, const struct dkimrec *rec)
{
	unsigned char *der;
	size_t len;
	EVP_PKEY *pkey;

	if ((der = dkimrec_base64(rec->p, strlen(rec->p), &len)) == NULL) {
		dkim_decide(sig, DKIM_PERMERROR, "the key's p= is not base64");
		return NULL;
	}
	if (sig->alg_ed25519)
		pkey = len == 32 ? EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_ED25519, NULL, der, len) : NULL;
	else
		pkey = dkim_rsa_key(der, len);
	free(der);
	ERR_clear_error();
	if (pkey == NULL)
		dkim_decide(sig, DKIM_PERMERROR, "the key's p= is not %s "
		    "public key", sig->alg_ed25519 ? "an Ed25519" : "an RSA");
	else if (!sig->alg_ed25519 &&
	    (sig->key_bits = EVP_PKEY_get_bits(pkey)) < DKIM_RSA_MIN_BITS) {
		dkim_decide(sig, DKIM_PERMERROR, "the key has %d bits, under "
		    "the %d RFC 8301 requires", sig->key_bits,
		    DKIM_RSA_MIN_BITS);
		EVP_PKEY_free(pkey);
		pkey = NULL;
	} else if (sig->alg_ed25519)
		sig->key_bits = 256;
	return pkey;
}

/* Can this record's key serve this signature?  0, or -1 decided. */
static int
dkim_record_fits(struct dkim_sig *sig, const struct dkimrec *rec)
{
	char *cause = NULL;

	sig->testing = rec->testing;
	if (*rec->p == '\0') {
		dkim_decide(sig, DKIM_PERMERROR, "key revoked (p= empty)");
		return -1;
	}
	if (strcmp(rec->k, sig->alg_ed25519 ? "ed25519" : "rsa") != 0) {
		dkim_decide(sig, DKIM_PERMERROR, "the key is k=%s, the "
		    "signature a=%s", rec->k, sig->a);
		return -1;
	}
	if (dkimrec_sha256_ok(rec, &cause) == 0) {
		dkim_decide(sig, DKIM_PERMERROR, "%s", cause);
		free(cause);
		return -1;
	}
	if (rec->s != NULL && strstr(rec->s, "email") == NULL &&
	    strstr(rec->s, "*") == NULL) {
		dkim_decide(sig, DKIM_PERMERROR, "the key's s=%s excludes "
		    "email", rec->s);
		return -1;
	}
	if (rec->strict && sig->i != NULL &&
	    !dkim_identity_ok(sig->i, sig->d, 1)) {
		dkim_decide(sig, DKIM_PERMERROR, "the key is t=s and i= is a "
		    "subdomain of d=");
		return -1;
	}
	return 0;
}

/* Verify b= over the header data with the key: 1 good, 0 bad. */
static int
dkim_signature_ok(const struct dkim_sig *sig, EVP_PKEY *pkey,
    const struct buf *data)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	int ok = 0;

	if (ctx == NULL)
		fatal("EVP_MD_CTX_new");
	if (sig->alg_ed25519) {
		/* RFC 8463: Ed25519 over the SHA-256 of the data. */
		if (dkim_sha256(data->data, data->len, md) == 0 &&
		    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
			ok = EVP_DigestVerify(ctx, sig->b, sig->blen, md,
			    sizeof md) == 1;
	} else if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig->b, sig->blen,
		    (const unsigned char *)data->data, data->len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* Decide with a parsed key record. */
static void
dkim_sig_rec(struct dkim_set *set, struct dkim_sig *sig,
    const struct dkimrec *rec)
{
	EVP_PKEY *pkey;
	struct buf data;
	int body;

	if (dkim_record_fits(sig, rec) != 0 ||
	    (pkey = dkim_record_key(sig, rec)) == NULL)
		return;
	if ((body = dkim_body_ok(set->msg, sig)) <= 0) {
		if (body == 0)
			dkim_decide(sig, DKIM_FAIL, "body hash did not verify "
			    "(the body changed after signing)");
		EVP_PKEY_free(pkey);
		return;
	}
	buf_init(&data);
	dkim_header_data(set->msg, sig, &data);
	if (dkim_signature_ok(sig, pkey, &data))
		dkim_decide(sig, DKIM_PASS, "signature verified%s",
		    sig->testing ? " (the key is in testing mode, t=y)" : "");
	else
		dkim_decide(sig, DKIM_FAIL, "signature did not verify (a "
		    "signed header changed, or another key signed)");
	buf_free(&data);
	EVP_PKEY_free(pkey);
}

void
dkim_sig_record(struct dkim_set *set, struct dkim_sig *sig, const char *txt,
    size_t len)
{
	struct dkimrec rec;
	char *cause = NULL;

	if (sig->result != DKIM_PENDING)
		return;
	if (dkimrec_parse(txt, len, &rec, &cause) != 0) {
		dkim_decide(sig, DKIM_PERMERROR, "the key record at "
		    "%s._domainkey.%s is invalid: %s", sig->s, sig->d, cause);
		free(cause);
		return;
	}
	dkim_sig_rec(set, sig, &rec);
	dkimrec_free(&rec);
}

void
dkim_sig_key(struct dkim_set *set, struct dkim_sig *sig,
    const struct dns_answer *a)
{
	struct dkimrec rec;
	size_t i;

	switch (a->status) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		dkim_decide(sig, DKIM_PERMERROR, "no key: %s has no TXT "
		    "record (%s)", a->name, dns_status_name(a->status));
		return;
	default:
		dkim_decide(sig, DKIM_TEMPERROR, "the key lookup of %s "
		    "failed: %s", a->name, a->error != NULL ? a->error :
		    dns_status_name(a->status));
		return;
	}
	/* Several records: the first one that parses (RFC 6376 3.6.2.2). */
	for (i = 0; i < a->nrrs; i++) {
		if (dkimrec_parse(a->rrs[i].text, a->rrs[i].len, &rec,
		    NULL) != 0)
			continue;
		dkim_sig_rec(set, sig, &rec);
		dkimrec_free(&rec);
		return;
	}
	if (a->nrrs > 0)
		dkim_sig_record(set, sig, a->rrs[0].text, a->rrs[0].len);
	else
		dkim_decide(sig, DKIM_PERMERROR, "no key at %s", a->name);
}

struct dkim_query {
	struct dkim_set	*set;
	struct dkim_sig	*sig;
};

static void
dkim_answer(const struct dns_answer *a, void *arg)
{
	struct dkim_query *q = arg;
	struct dkim_set *set = q->set;

	dkim_sig_key(set, q->sig, a);
	free(q);
	if (--set->pending == 0 && set->done != NULL)
		set->done(set, set->arg);
}

size_t
dkim_verify(struct dkim_set *set, struct dns *dns,
    void (*done)(struct dkim_set *, void *), void *arg)
{
	struct dkim_query *q;
	char *name;
	size_t i, n = 0;

	set->done = done;
	set->arg = arg;
	for (i = 0; i < set->nsigs; i++)
		if (set->sigs[i].result == DKIM_PENDING)
			n++;
	set->pending = n;
	for (i = 0; i < set->nsigs; i++) {
		if ((name = dkim_sig_keyname(&set->sigs[i])) == NULL)
			continue;
		q = xmalloc(sizeof *q);
		q->set = set;
		q->sig = &set->sigs[i];
		dns_query(dns, name, DNS_T_TXT, dkim_answer, q);
		free(name);
	}
	return n;
}

const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_PASS:
		return "pass";
	case DKIM_FAIL:
		return "fail";
	case DKIM_PERMERROR:
		return "permerror";
	case DKIM_TEMPERROR:
		return "temperror";
	case DKIM_PENDING:
		break;
	}
	return "none";
}
