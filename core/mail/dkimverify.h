/* dkimverify.h: DKIM signature verification (RFC 6376, RFC 8463,
 * RFC 8301), the crypto through OpenSSL EVP only.
 *
 * Every DKIM-Signature field of a message is one struct dkim_sig.  Its
 * tags are read and checked when the set is made (a signature that is
 * already wrong there is decided: permerror); each other one needs its
 * key, the TXT record at <s>._domainkey.<d>, and is decided by
 * dkim_sig_key() with the resolver's answer.  dkim_verify() asks for the
 * keys on the loop and calls back when every signature is decided.
 *
 * Algorithms rsa-sha256 and ed25519-sha256 (rsa-sha1 is refused, RFC
 * 8301); canonicalizations simple and relaxed for header and body; l=
 * (the body hashed up to l bytes, a longer l= is an error); h= read from
 * the bottom up, a name listed more often than present signing the
 * absence of the others (oversigning); x= (expired: fail) and t= (more
 * than DKIM_CLOCK_SLOP in the future: permerror); i= within d=; key
 * records read with core/dns/dkimrec.h (k= matching a=, h= allowing
 * sha256, s= email, t=s strict identity, t=y testing noted); RSA keys
 * under 1024 bits refused (RFC 8301).
 *
 * Results are the words of RFC 8601: pass; fail (the body hash or the
 * signature does not verify, the signature expired); permerror (a tag
 * missing or wrong, no key, a revoked key, a key that cannot serve);
 * temperror (the key lookup failed for now).
 */
#ifndef NOTSPAM_DKIMVERIFY_H
#define NOTSPAM_DKIMVERIFY_H

#include <stddef.h>
#include <time.h>

struct dns;
struct dns_answer;
struct msg;

#define DKIM_CLOCK_SLOP	(10 * 60)	/* seconds t= may be ahead */
#define DKIM_H_MAX	200		/* names in h= at most */

enum dkim_result {
	DKIM_PENDING,		/* waiting for its key */
	DKIM_PASS,
	DKIM_FAIL,
	DKIM_PERMERROR,
	DKIM_TEMPERROR,
};

struct dkim_sig {
	size_t		 field;		/* index of its field in the msg */
	char		*d;		/* lower case; NULL when missing */
	char		*s;
	char		*a;		/* as written */
	char		*i;		/* NULL when absent */
	char		*c;		/* "relaxed/simple", the default
					   spelled out */
	long long	 l;		/* -1 when absent */
	long long	 t, x;		/* -1 when absent */
	char		*h;		/* as written, blanks removed */
	int		 key_bits;	/* once the key was read, else 0 */
	int		 testing;	/* the key record has t=y */
	enum dkim_result result;
	char		*reason;	/* why (never NULL once decided) */
	/* private: the parsed tags */
	int		 alg_ed25519;
	int		 hdr_relaxed, body_relaxed;
	unsigned char	*bh, *b;
	size_t		 bhlen, blen;
};

struct dkim_set {
	const struct msg *msg;		/* borrowed */
	struct dkim_sig	*sigs;		/* in the order of the message */
	size_t		 nsigs;
	time_t		 now;
	size_t		 pending;
	void		(*done)(struct dkim_set *, void *);
	void		*arg;
};

/* The signatures of m (borrowed: it must outlive the set), their tags
 * read and checked as of now.  Free with dkim_set_free. */
struct dkim_set *dkim_set_new(const struct msg *m, time_t now);
void dkim_set_free(struct dkim_set *);

/* The name to ask TXT for, "<s>._domainkey.<d>" (caller frees), or NULL
 * when the signature is already decided. */
char *dkim_sig_keyname(const struct dkim_sig *);

/* Decide a pending signature with the answer to its key lookup. */
void dkim_sig_key(struct dkim_set *, struct dkim_sig *,
    const struct dns_answer *);

/*
 * Decide a pending signature with a key record given as text (tests:
 * the record as published, the TXT strings joined).
 */
void dkim_sig_record(struct dkim_set *, struct dkim_sig *, const char *txt,
    size_t len);

/*
 * Ask every pending signature's key on the resolver and call done(set,
 * arg) from the loop once all are decided.  Returns the number of lookups
 * started: 0 means nothing was pending, and done is not called.
 */
size_t dkim_verify(struct dkim_set *, struct dns *,
    void (*done)(struct dkim_set *, void *), void *arg);

/* "pass", "fail", "permerror", ... ("none" for DKIM_PENDING). */
const char *dkim_result_name(enum dkim_result);

#endif
