/* dkimkey.c: the DNS half of a DKIM private key, with OpenSSL 3 EVP. */
#include "core/keys/dkimkey.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/lib/fsroot.h"
#include "core/lib/util.h"

/* A key file is a few kilobytes; anything much larger is the wrong file. */
#define DKIMKEY_MAX_FILE (256u * 1024)

/* PEM password callback: never prompt, remember that a password was wanted. */
static int
dkimkey_nopass(char *buf, int size, int rwflag, void *arg)
{
	int *asked = arg;

	(void)buf;
	(void)size;
	(void)rwflag;
	*asked = 1;
	return -1;
}

/* Does the len bytes at p contain s? */
static int
dkimkey_has(const char *p, size_t len, const char *s)
{
	return memmem(p, len, s, strlen(s)) != NULL;
}

/* Base64 of n bytes, one line, no newlines; caller frees. */
static char *
dkimkey_base64(const unsigned char *in, size_t n)
{
	char *out;

	out = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Why PEM_read_bio_PrivateKey found no key in the text: a message. */
static int
dkimkey_why_not(const char *pem, size_t len, const char *name, int asked,
    char **cause)
{
	if (asked ||
	    dkimkey_has(pem, len, "-----BEGIN ENCRYPTED PRIVATE KEY") ||
	    dkimkey_has(pem, len, "Proc-Type: 4,ENCRYPTED"))
		return error_set(cause, "%s: is encrypted; DKIM signers need an"
		    " unencrypted key", name);
	if (!dkimkey_has(pem, len, "-----BEGIN "))
		return error_set(cause, "%s: not a PEM file (expected a"
		    " \"-----BEGIN PRIVATE KEY-----\" block)", name);
	if (!dkimkey_has(pem, len, "PRIVATE KEY-----")) {
		if (dkimkey_has(pem, len, "-----BEGIN CERTIFICATE") ||
		    dkimkey_has(pem, len, "-----BEGIN TRUSTED CERTIFICATE"))
			return error_set(cause, "%s: is a certificate, not a"
			    " private key", name);
		if (dkimkey_has(pem, len, "PUBLIC KEY-----"))
			return error_set(cause, "%s: is a public key; the"
			    " signer's private key file is needed", name);
		return error_set(cause, "%s: no PEM private key in the file",
		    name);
	}
	return error_set(cause, "%s: cannot read the PEM private key (damaged"
	    " or truncated?)", name);
}

/* Fill pub from an RSA key: p= is the DER SubjectPublicKeyInfo. */
static int
dkimkey_rsa(EVP_PKEY *pkey, const char *name, struct dkim_pub *pub,
    char **cause)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_PUBKEY(pkey, &der)) <= 0)
		return error_set(cause, "%s: cannot encode the RSA public key",
		    name);
	pub->type = xstrdup("rsa");
	pub->bits = EVP_PKEY_get_bits(pkey);
	pub->p = dkimkey_base64(der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}

/* Fill pub from an Ed25519 key: p= is the raw 32-byte key (RFC 8463). */
static int
dkimkey_ed25519(EVP_PKEY *pkey, const char *name, struct dkim_pub *pub,
    char **cause)
{
	unsigned char raw[32];
	size_t n = sizeof raw;

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 || n != sizeof raw)
		return error_set(cause, "%s: cannot get the Ed25519 public key",
		    name);
	pub->type = xstrdup("ed25519");
	pub->bits = 256;
	pub->p = dkimkey_base64(raw, n);
	return 0;
}

int
dkimkey_from_pem(const char *pem, size_t len, const char *name,
    struct dkim_pub *pub, char **cause)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	const char *type;
	int asked = 0, rc = -1;

	memset(pub, 0, sizeof *pub);
	if (name == NULL)
		name = "key";
	ERR_clear_error();
	if (len == 0) {
		error_set(cause, "%s: is empty; expected a PEM private key",
		    name);
		goto done;
	}
	if (len > INT_MAX) {
		error_set(cause, "%s: too large for a key file", name);
		goto done;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		fatal("BIO_new_mem_buf failed");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, dkimkey_nopass, &asked);
	if (pkey == NULL) {
		dkimkey_why_not(pem, len, name, asked, cause);
		goto done;
	}
	if (EVP_PKEY_is_a(pkey, "RSA"))
		rc = dkimkey_rsa(pkey, name, pub, cause);
	else if (EVP_PKEY_is_a(pkey, "ED25519"))
		rc = dkimkey_ed25519(pkey, name, pub, cause);
	else {
		if ((type = EVP_PKEY_get0_type_name(pkey)) == NULL)
			type = OBJ_nid2sn(EVP_PKEY_get_base_id(pkey));
		if (type == NULL)
			type = "unknown";
		error_set(cause, "%s: unsupported key type %s; DKIM keys are"
		    " RSA or Ed25519", name, type);
	}
	if (rc != 0)
		dkimkey_free(pub);
done:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int
dkimkey_load(const char *root, const char *path, struct dkim_pub *pub,
    char **cause)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(pub, 0, sizeof *pub);
	if (fsroot_read(root, path, DKIMKEY_MAX_FILE, &data, &len, cause) != 0)
		return -1;
	rc = dkimkey_from_pem(data, len, path, pub, cause);
	OPENSSL_cleanse(data, len);
	free(data);
	return rc;
}

char *
dkimkey_txt(const struct dkim_pub *pub)
{
	return xasprintf("v=DKIM1; k=%s; p=%s", pub->type, pub->p);
}

void
dkimkey_free(struct dkim_pub *pub)
{
	if (pub == NULL)
		return;
	free(pub->type);
	free(pub->p);
	memset(pub, 0, sizeof *pub);
}
