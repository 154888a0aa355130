/* dkimrec.c: DKIM key record tag-lists and their key material. */
#include "core/dns/dkimrec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/dns/taglist.h"
#include "core/lib/util.h"

/* Does the ':'-separated list hold item (blanks around items ignored)? */
static int
dkimrec_list_has(const char *list, const char *item)
{
	struct strv v;
	size_t i;
	int found = 0;

	strv_init(&v);
	str_split(list, ":", &v);
	for (i = 0; i < v.n; i++) {
		str_trim(v.v[i]);
		if (strcasecmp(v.v[i], item) == 0)
			found = 1;
	}
	strv_free(&v);
	return found;
}

static int
dkimrec_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *
dkimrec_base64(const char *s, size_t len, size_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char *buf;
	unsigned long acc = 0;
	size_t i, n = 0, chars = 0, pad = 0;
	int v;

	buf = xmalloc(len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if (taglist_blank((char)p[i]))
			continue;
		if (p[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = dkimrec_b64val(p[i])) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned long)v;
		if (++chars % 4 == 0) {
			buf[n++] = (unsigned char)(acc >> 16);
			buf[n++] = (unsigned char)(acc >> 8);
			buf[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (chars % 4) {
	case 1:
		goto bad;
	case 2:
		if (pad != 0 && pad != 2)
			goto bad;
		buf[n++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (pad != 0 && pad != 1)
			goto bad;
		buf[n++] = (unsigned char)(acc >> 10);
		buf[n++] = (unsigned char)(acc >> 2);
		break;
	default:
		if (pad != 0)
			goto bad;
	}
	*out = n;
	return buf;
bad:
	free(buf);
	*out = 0;
	return NULL;
}

/* Check and store one tag; -1 with *cause when it is wrong. */
static int
dkimrec_tag(struct dkimrec *rec, const char *name, char *value, int first,
    char **cause)
{
	unsigned char *raw;
	size_t n;
	char *safe;
	int rc = 0;

	if (strcmp(name, "v") == 0) {
		if (!first)
			return error_set(cause, "v= must be the first tag");
		if (strcmp(value, "DKIM1") != 0) {
			safe = str_sanitize(value, strlen(value));
			rc = error_set(cause, "bad version v=%s (must be"
			    " DKIM1)", safe);
			free(safe);
			return rc;
		}
		rec->v = xstrdup(value);
	} else if (strcmp(name, "k") == 0) {
		str_lower(value);
		if (strcmp(value, "rsa") != 0 && strcmp(value, "ed25519") != 0) {
			safe = str_sanitize(value, strlen(value));
			rc = error_set(cause, "unknown key type k=%s (rsa or"
			    " ed25519)", safe);
			free(safe);
			return rc;
		}
		free(rec->k);
		rec->k = xstrdup(value);
	} else if (strcmp(name, "p") == 0) {
		rec->p = xmalloc(strlen(value) + 1);
		for (n = 0; *value != '\0'; value++)
			if (!taglist_blank(*value))
				rec->p[n++] = *value;
		rec->p[n] = '\0';
		if (n > 0) {
			if ((raw = dkimrec_base64(rec->p, n, &n)) == NULL)
				return error_set(cause, "p= is not valid"
				    " base64");
			free(raw);
		}
	} else if (strcmp(name, "h") == 0) {
		if (!dkimrec_list_has(value, "sha256") &&
		    !dkimrec_list_has(value, "sha1")) {
			safe = str_sanitize(value, strlen(value));
			rc = error_set(cause, "h=%s names no known hash"
			    " algorithm (sha256)", safe);
			free(safe);
			return rc;
		}
		rec->h = xstrdup(value);
	} else if (strcmp(name, "s") == 0) {
		if (!dkimrec_list_has(value, "email") &&
		    !dkimrec_list_has(value, "*")) {
			safe = str_sanitize(value, strlen(value));
			rc = error_set(cause, "service type s=%s excludes"
			    " email (must be email or *)", safe);
			free(safe);
			return rc;
		}
		rec->s = xstrdup(value);
	} else if (strcmp(name, "t") == 0) {
		rec->testing = dkimrec_list_has(value, "y");
		rec->strict = dkimrec_list_has(value, "s");
	}
	return 0;
}

/* taglist_parse's callback: one pair of the record. */
static int
dkimrec_pair(const char *name, char *value, int index, void *arg,
    char **cause)
{
	return dkimrec_tag(arg, name, value, index == 0, cause);
}

int
dkimrec_parse(const char *text, size_t len, struct dkimrec *rec,
    char **cause)
{
	int rc = -1;

	memset(rec, 0, sizeof *rec);
	if (memchr(text, '\0', len) != NULL) {
		error_set(cause, "the record holds a NUL byte");
		goto done;
	}
	if (taglist_parse(text, text + len, TAGLIST_VALCHAR, NULL,
	    dkimrec_pair, rec, cause) != 0)
		goto done;
	if (rec->p == NULL) {
		error_set(cause, "no p= tag (the public key)");
		goto done;
	}
	if (rec->k == NULL)
		rec->k = xstrdup("rsa");
	rc = 0;
done:
	if (rc != 0)
		dkimrec_free(rec);
	return rc;
}

void
dkimrec_free(struct dkimrec *rec)
{
	if (rec == NULL)
		return;
	free(rec->v);
	free(rec->k);
	free(rec->p);
	free(rec->h);
	free(rec->s);
	memset(rec, 0, sizeof *rec);
}

/* An RSA key from DER: SubjectPublicKeyInfo, else PKCS#1 RSAPublicKey.
 * Either must use every byte. */
static EVP_PKEY *
dkimrec_rsa(const unsigned char *der, size_t len)
{
	const unsigned char *q;
	EVP_PKEY *pkey;

	if (len > LONG_MAX)
		return NULL;
	q = der;
	pkey = d2i_PUBKEY(NULL, &q, (long)len);
	if (pkey != NULL && (q != der + len || !EVP_PKEY_is_a(pkey, "RSA"))) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	if (pkey == NULL) {
		q = der;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
		if (pkey != NULL && q != der + len) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	ERR_clear_error();
	return pkey;
}

/* Decode the key of type k from base64 p: an EVP_PKEY for RSA, the raw
 * bytes for Ed25519.  -1 with *cause when it is not such a key. */
static int
dkimrec_decode(const char *k, const char *p, EVP_PKEY **pkey,
    unsigned char **raw, size_t *rawlen, char **cause)
{
	unsigned char *der;
	size_t len;

	*pkey = NULL;
	*raw = NULL;
	if (*p == '\0')
		return error_set(cause, "p= is empty: the key is revoked");
	if ((der = dkimrec_base64(p, strlen(p), &len)) == NULL)
		return error_set(cause, "p= is not valid base64");
	if (strcasecmp(k, "ed25519") == 0) {
		if (len != 32) {
			free(der);
			return error_set(cause, "an Ed25519 p= must be the 32"
			    " raw key bytes (RFC 8463), this one has %zu", len);
		}
		*raw = der;
		*rawlen = len;
		return 0;
	}
	if (strcasecmp(k, "rsa") != 0) {
		free(der);
		return error_set(cause, "unknown key type k=%s", k);
	}
	*pkey = dkimrec_rsa(der, len);
	free(der);
	if (*pkey == NULL)
		return error_set(cause, "p= does not hold an RSA public key"
		    " (neither SubjectPublicKeyInfo nor RSAPublicKey)");
	return 0;
}

int
dkimrec_key_bits(const char *k, const char *p, int *bits, char **cause)
{
	EVP_PKEY *pkey;
	unsigned char *raw;
	size_t rawlen;

	if (dkimrec_decode(k, p, &pkey, &raw, &rawlen, cause) != 0)
		return -1;
	if (pkey != NULL) {
		*bits = EVP_PKEY_get_bits(pkey);
		EVP_PKEY_free(pkey);
	} else {
		*bits = 256;
		free(raw);
	}
	return 0;
}

int
dkimrec_key_match(const char *k, const char *p, const char *local_type,
    const char *local_p, char **cause)
{
	EVP_PKEY *pkey, *lkey = NULL;
	unsigned char *raw, *lraw = NULL;
	size_t rawlen, lrawlen = 0;
	char *lcause = NULL;
	int rc = 0;

	if (dkimrec_decode(k, p, &pkey, &raw, &rawlen, cause) != 0)
		return -1;
	if (strcasecmp(k, local_type) != 0)
		goto done;
	if (dkimrec_decode(local_type, local_p, &lkey, &lraw, &lrawlen,
	    &lcause) != 0) {
		free(lcause);
		goto done;
	}
	if (pkey != NULL && lkey != NULL)
		rc = EVP_PKEY_eq(pkey, lkey) == 1;
	else if (raw != NULL && lraw != NULL)
		rc = rawlen == lrawlen && memcmp(raw, lraw, rawlen) == 0;
done:
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(lkey);
	free(raw);
	free(lraw);
	ERR_clear_error();
	return rc;
}

int
dkimrec_sha256_ok(const struct dkimrec *rec, char **cause)
{
	char *safe;

	if (rec->h == NULL || dkimrec_list_has(rec->h, "sha256"))
		return 1;
	safe = str_sanitize(rec->h, strlen(rec->h));
	error_set(cause, "h=%s excludes sha256: every rsa-sha256 or"
	    " ed25519-sha256 signature fails against this key (RFC 8301: sha1"
	    " is no longer verified)", safe);
	free(safe);
	return 0;
}

enum dkimrec_verdict
dkimrec_judge(const char *const *txt, const size_t *lens, size_t n,
    const char *local_type, const char *local_p, char **cause)
{
	struct dkimrec rec;
	enum dkimrec_verdict v = DKIMREC_USABLE;
	char *why = NULL;
	int m;

	if (n == 0) {
		error_set(cause, "no DKIM record at the selector");
		return DKIMREC_MISSING;
	}
	if (n > 1) {
		error_set(cause, "%zu TXT records at the selector: verifiers"
		    " may pick any of them", n);
		return DKIMREC_SEVERAL;
	}
	if (dkimrec_parse(txt[0], lens[0], &rec, &why) != 0) {
		error_set(cause, "the DKIM record is invalid: %s", why);
		free(why);
		return DKIMREC_INVALID;
	}
	if (*rec.p == '\0') {
		error_set(cause, "p= is empty: the key is revoked");
		v = DKIMREC_REVOKED;
	} else if (!dkimrec_sha256_ok(&rec, &why)) {
		error_set(cause, "%s", why);
		v = DKIMREC_NO_SHA256;
	} else if (local_p == NULL || local_type == NULL) {
		error_set(cause, "a key is published, the local key is"
		    " unknown");
		v = DKIMREC_LOCAL_UNKNOWN;
	} else if ((m = dkimrec_key_match(rec.k, rec.p, local_type, local_p,
	    &why)) != 1) {
		if (m < 0)
			error_set(cause, "the published key cannot be decoded:"
			    " %s", why);
		else
			error_set(cause, "the DNS publishes another key");
		v = DKIMREC_OTHER_KEY;
	}
	free(why);
	dkimrec_free(&rec);
	return v;
}
