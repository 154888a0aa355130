/* dkimkey.h: DKIM key material with OpenSSL.
 *
 * Reads a private key file (PEM: PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE
 * KEY" as written by opendkim-genkey, or Ed25519 PKCS#8) and derives what the
 * DNS must publish: for RSA the base64 DER SubjectPublicKeyInfo, for Ed25519
 * the base64 of the raw 32-byte public key (RFC 8463).  Private key bytes are
 * never copied into messages, logs or returned strings.
 */
#ifndef NOTSPAM_DKIMKEY_H
#define NOTSPAM_DKIMKEY_H

#include <stddef.h>

struct dkim_pub {
	char	*type;		/* "rsa" or "ed25519" (the DKIM k= tag) */
	int	 bits;		/* RSA modulus bits; 256 for Ed25519 */
	char	*p;		/* base64 public key, the DKIM p= tag */
};

/*
 * Load the private key at site path `path` under root and fill *pub.
 * Returns 0, or -1 with *cause naming the file and the problem (missing,
 * unreadable, not a PEM private key, encrypted, unsupported type) without
 * quoting any of its content.
 */
int dkimkey_load(const char *root, const char *path, struct dkim_pub *pub,
    char **cause);

/* The same from a PEM buffer (for tests and for the key generator). */
int dkimkey_from_pem(const char *pem, size_t len, const char *name,
    struct dkim_pub *pub, char **cause);

/* "v=DKIM1; k=rsa; p=MIIB..." for pub; caller frees. */
char *dkimkey_txt(const struct dkim_pub *pub);

void dkimkey_free(struct dkim_pub *pub);

#endif
