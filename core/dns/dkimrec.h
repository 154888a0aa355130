/* dkimrec.h: DKIM key records (RFC 6376 §3.6.1, RFC 8463) as published in
 * the DNS at <selector>._domainkey.<domain>, and their key material.
 *
 * The record is a tag-list: "tag = value" separated by ";", blanks allowed
 * around tags, values and "=".  Tags: v (if present, first and "DKIM1"),
 * k (rsa, ed25519; default rsa), p (base64, blanks inside ignored; empty
 * means revoked), t (flags "y" testing and "s" strict, ':'-separated), s
 * (service types, must include "email" or "*"), h (hash algorithms), n
 * (notes).  Unknown tags are ignored as the RFC says; a tag given twice is
 * an error.
 */
#ifndef NOTSPAM_DKIMREC_H
#define NOTSPAM_DKIMREC_H

#include <stddef.h>

struct dkimrec {
	char	*v;		/* NULL when absent */
	char	*k;		/* lower case; "rsa" when absent */
	char	*p;		/* base64 without blanks; "" when revoked */
	char	*h;		/* NULL when absent */
	char	*s;		/* NULL when absent */
	int	 testing;	/* t=y */
	int	 strict;	/* t=s */
};

/*
 * Parse a record (the TXT strings joined; may hold any byte).  Returns 0 and
 * fills *rec (free with dkimrec_free), or -1 with *cause ("tag p= appears
 * twice", "unknown key type k=dsa") and *rec left empty.
 */
int dkimrec_parse(const char *text, size_t len, struct dkimrec *rec,
    char **cause);
void dkimrec_free(struct dkimrec *);

/*
 * Decode the key of a record: for k=rsa either a DER SubjectPublicKeyInfo
 * (what RFC 6376 says) or a bare PKCS#1 RSAPublicKey (what some tools
 * publish); for k=ed25519 the 32 raw bytes.  Sets *bits (RSA modulus bits,
 * 256 for Ed25519).  Returns 0, or -1 with *cause (bad base64, not a key,
 * wrong length).
 */
int dkimrec_key_bits(const char *k, const char *p, int *bits, char **cause);

/*
 * Compare the record's key with a local public key given as the DKIM p=
 * value of core/keys/dkimkey.h (base64 SPKI for "rsa", base64 raw key for
 * "ed25519"), as key material, not as text.  Returns 1 when they are the
 * same key, 0 when they differ (other key, other type), -1 with *cause when
 * the record's key cannot be decoded.
 */
int dkimrec_key_match(const char *k, const char *p, const char *local_type,
    const char *local_p, char **cause);

/*
 * Can a verifier check signatures made today against the record?  RFC 8301
 * leaves rsa-sha256 and ed25519-sha256 as the only algorithms: a record
 * whose h= lists hashes but not sha256 (h=sha1) makes every such signature
 * fail.  Returns 1 when it can, 0 with *cause (caller frees) when h=
 * excludes sha256.
 */
int dkimrec_sha256_ok(const struct dkimrec *, char **cause);

/* What the TXT records at one selector mean for signing with a local key. */
enum dkimrec_verdict {
	DKIMREC_USABLE,		/* one valid record holding the local key,
				   verifiable with sha256 */
	DKIMREC_MISSING,	/* no TXT record at all */
	DKIMREC_SEVERAL,	/* more than one TXT: verifiers may pick any */
	DKIMREC_INVALID,	/* the record does not parse */
	DKIMREC_REVOKED,	/* p= is empty */
	DKIMREC_NO_SHA256,	/* h= excludes sha256 (h=sha1 only) */
	DKIMREC_OTHER_KEY,	/* another key than the local one */
	DKIMREC_LOCAL_UNKNOWN,	/* no local key given to compare with */
};

/*
 * Judge the n TXT records (each the strings joined, lens[i] bytes) of a
 * selector against the local key (core/keys/dkimkey.h type and p=;
 * local_p NULL: unknown), as `check` does: several records, an invalid
 * one, a revoked key and h= without sha256 are each a failure before the
 * key is compared.  *cause (may be NULL) gets one line saying why when the
 * verdict is not DKIMREC_USABLE (caller frees).  For `keys switch`: switch
 * only on DKIMREC_USABLE.
 */
enum dkimrec_verdict dkimrec_judge(const char *const *txt, const size_t *lens,
    size_t n, const char *local_type, const char *local_p, char **cause);

/* Decode base64, ignoring blanks (space, tab, CR, LF); padding optional at
 * the end only.  Returns a buffer (caller frees) and its length in *out, or
 * NULL when the text is not base64. */
unsigned char *dkimrec_base64(const char *s, size_t len, size_t *out);

#endif
