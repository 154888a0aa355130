/* test_dkimrec.c: DKIM key record parsing and key-material comparison.
 *
 * Keys are generated at test time with OpenSSL (nothing committed); the
 * local p= comes from core/keys/dkimkey.c as notspam computes it, the record's
 * p= is encoded here independently (SPKI, bare PKCS#1, raw Ed25519).
 */
#include "testutil.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/keys/dkimkey.h"
#include "core/dns/dkimrec.h"
#include "core/lib/util.h"

static EVP_PKEY *rsa2048, *rsa2048b, *rsa1024, *ed, *ed2;

/* Base64 of DER bytes; caller frees. */
static char *
b64(const unsigned char *der, int len)
{
	char *out = malloc((size_t)len / 3 * 4 + 5);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, der, len);
	return out;
}

/* The record p= of a key: SPKI (pkcs1 0) or RSAPublicKey (pkcs1 1) for RSA,
 * the raw 32 bytes for Ed25519. */
static char *
rec_p(EVP_PKEY *k, int pkcs1)
{
	unsigned char *der = NULL, raw[32];
	size_t n = sizeof raw;
	char *out;
	int len;

	if (EVP_PKEY_is_a(k, "ED25519")) {
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, raw, &n), 1);
		return b64(raw, (int)n);
	}
	len = pkcs1 ? i2d_PublicKey(k, &der) : i2d_PUBKEY(k, &der);
	assert_true(len > 0);
	out = b64(der, len);
	OPENSSL_free(der);
	return out;
}

/* The local key as notspam derives it from the private key PEM. */
static void
local_pub(EVP_PKEY *k, struct dkim_pub *pub)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *cause = NULL;
	long len;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	len = BIO_get_mem_data(bio, &data);
	if (dkimkey_from_pem(data, (size_t)len, "test", pub, &cause) != 0)
		fail_msg("dkimkey_from_pem: %s", cause);
	BIO_free(bio);
}

static int
setup(void **state)
{
	(void)state;
	rsa2048 = EVP_RSA_gen(2048);
	rsa2048b = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ed2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return rsa2048 && rsa2048b && rsa1024 && ed && ed2 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa2048b);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ed2);
	return 0;
}

/* Parse text and expect success. */
static void
parse_ok(const char *text, struct dkimrec *rec)
{
	char *cause = NULL;

	if (dkimrec_parse(text, strlen(text), rec, &cause) != 0)
		fail_msg("\"%s\": %s", text, cause);
	assert_null(cause);
}

/* Parse text and expect failure with a message containing want. */
static void
parse_fail(const char *text, size_t len, const char *want)
{
	struct dkimrec rec;
	char *cause = NULL;

	if (dkimrec_parse(text, len, &rec, &cause) == 0)
		fail_msg("\"%s\" parsed; expected: %s", text, want);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("\"%s\": got \"%s\", expected \"%s\"", text, cause,
		    want);
	assert_null(rec.p);
	assert_null(rec.k);
	free(cause);
}

static void
test_basic(void **state)
{
	struct dkimrec rec;

	(void)state;
	parse_ok("v=DKIM1; k=rsa; p=QUJD", &rec);
	assert_string_equal(rec.v, "DKIM1");
	assert_string_equal(rec.k, "rsa");
	assert_string_equal(rec.p, "QUJD");
	assert_false(rec.testing);
	assert_false(rec.strict);
	dkimrec_free(&rec);
	/* Defaults, trailing ';', blanks everywhere, folded p=. */
	parse_ok("  p = QU JD\r\n\t RUY= ;  ", &rec);
	assert_null(rec.v);
	assert_string_equal(rec.k, "rsa");
	assert_string_equal(rec.p, "QUJDRUY=");
	dkimrec_free(&rec);
	parse_ok("v=DKIM1;k=ED25519;p=QUJD;n=any note here;x_unknown=1", &rec);
	assert_string_equal(rec.k, "ed25519");
	dkimrec_free(&rec);
}

static void
test_flags_and_lists(void **state)
{
	struct dkimrec rec;

	(void)state;
	parse_ok("v=DKIM1; t=y; p=QUJD", &rec);
	assert_true(rec.testing);
	assert_false(rec.strict);
	dkimrec_free(&rec);
	parse_ok("t = s : y : z; p=QUJD", &rec);
	assert_true(rec.testing);
	assert_true(rec.strict);
	dkimrec_free(&rec);
	parse_ok("t=s; p=QUJD", &rec);
	assert_false(rec.testing);
	dkimrec_free(&rec);
	parse_ok("s=email; h=sha256; p=QUJD", &rec);
	assert_string_equal(rec.s, "email");
	assert_string_equal(rec.h, "sha256");
	dkimrec_free(&rec);
	parse_ok("s=*; h=sha1:sha256:other; p=QUJD", &rec);
	dkimrec_free(&rec);
	parse_ok("s=other:email; p=QUJD", &rec);
	dkimrec_free(&rec);
}

static void
test_revoked(void **state)
{
	struct dkimrec rec;
	char *cause = NULL;
	int bits = 0;

	(void)state;
	parse_ok("v=DKIM1; k=rsa; p=", &rec);
	assert_string_equal(rec.p, "");
	assert_int_equal(dkimrec_key_bits(rec.k, rec.p, &bits, &cause), -1);
	assert_non_null(strstr(cause, "revoked"));
	free(cause);
	dkimrec_free(&rec);
	parse_ok("p= ;", &rec);
	assert_string_equal(rec.p, "");
	dkimrec_free(&rec);
}

static void
test_errors(void **state)
{
	(void)state;
	parse_fail("v=DKIM1; p=QUJD; p=QUJD", 23, "tag p= appears twice");
	parse_fail("v=DKIM1; k=rsa; k=rsa; p=QUJD", 29, "tag k= appears twice");
	parse_fail("k=rsa; v=DKIM1; p=QUJD", 22, "v= must be the first tag");
	parse_fail("v=DKIM2; p=QUJD", 15, "bad version v=DKIM2");
	parse_fail("v=dkim1; p=QUJD", 15, "bad version");
	parse_fail("v=DKIM1; k=dsa; p=QUJD", 22, "unknown key type k=dsa");
	parse_fail("v=DKIM1; s=web; p=QUJD", 22, "excludes email");
	parse_fail("v=DKIM1; h=md5; p=QUJD", 22, "no known hash");
	parse_fail("v=DKIM1; k=rsa", 14, "no p= tag");
	parse_fail("", 0, "no p= tag");
	parse_fail("v=DKIM1; P=QUJD", 15, "no p= tag");	/* case-sensitive */
	parse_fail("v=DKIM1; p=QU*D", 15, "not valid base64");
	parse_fail("v=DKIM1; p=Q", 12, "not valid base64");
	parse_fail("v=DKIM1; p=QU=JD", 16, "not valid base64");
	parse_fail("v=DKIM1; garbage; p=QUJD", 24, "not a tag=value pair");
	parse_fail("v=DKIM1; 1x=2; p=QUJD", 21, "bad tag name");
	parse_fail("v=DKIM1; =2; p=QUJD", 19, "bad tag name");
	parse_fail("v=DKIM1; n=caf\xc3\xa9; p=QUJD", 24, "not allowed");
	parse_fail("v=DKIM1; n=\x1b[2J; p=QUJD", 23, "not allowed");
	parse_fail("v=DKIM1;\0 p=QUJD", 16, "NUL");
	parse_fail("v=DKIM1; k=\x1b[2J; p=QUJD", 23, "not allowed");
}

/* Error messages quote record text only sanitized. */
static void
test_errors_sanitized(void **state)
{
	struct dkimrec rec;
	char *cause = NULL;
	const char *text = "v=DKIM1; k=\\x; p=QUJD";

	(void)state;
	assert_int_equal(dkimrec_parse("v=DKIM1; \x01\x02; p=QUJD", 20, &rec,
	    &cause), -1);
	assert_null(strchr(cause, '\x01'));
	free(cause);
	cause = NULL;
	assert_int_equal(dkimrec_parse(text, strlen(text), &rec, &cause), -1);
	assert_non_null(strstr(cause, "k=\\\\x"));
	free(cause);
}

static void
test_base64(void **state)
{
	unsigned char *out;
	size_t n;

	(void)state;
	out = dkimrec_base64("QUJD", 4, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ABC", 3);
	free(out);
	out = dkimrec_base64("QUI=", 4, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "AB", 2);
	free(out);
	out = dkimrec_base64("QQ==", 4, &n);
	assert_int_equal(n, 1);
	free(out);
	out = dkimrec_base64("QQ", 2, &n);	/* padding optional */
	assert_int_equal(n, 1);
	free(out);
	out = dkimrec_base64(" Q U\r\nJ D ", 10, &n);
	assert_int_equal(n, 3);
	free(out);
	out = dkimrec_base64("", 0, &n);
	assert_non_null(out);
	assert_int_equal(n, 0);
	free(out);
	assert_null(dkimrec_base64("Q", 1, &n));
	assert_null(dkimrec_base64("QQ=", 3, &n));
	assert_null(dkimrec_base64("QUJ==", 5, &n));
	assert_null(dkimrec_base64("QUJD=", 5, &n));
	assert_null(dkimrec_base64("QU=D", 4, &n));
	assert_null(dkimrec_base64("QU-D", 4, &n));
}

static void
test_bits(void **state)
{
	char *p, *cause = NULL;
	int bits = 0;

	(void)state;
	p = rec_p(rsa2048, 0);
	assert_int_equal(dkimrec_key_bits("rsa", p, &bits, &cause), 0);
	assert_int_equal(bits, 2048);
	free(p);
	p = rec_p(rsa1024, 1);		/* bare RSAPublicKey */
	assert_int_equal(dkimrec_key_bits("rsa", p, &bits, &cause), 0);
	assert_int_equal(bits, 1024);
	free(p);
	p = rec_p(ed, 0);
	assert_int_equal(dkimrec_key_bits("ed25519", p, &bits, &cause), 0);
	assert_int_equal(bits, 256);
	/* An Ed25519 key said to be RSA is not an RSA key. */
	assert_int_equal(dkimrec_key_bits("rsa", p, &bits, &cause), -1);
	assert_non_null(strstr(cause, "RSA public key"));
	free(cause);
	cause = NULL;
	free(p);
	/* An RSA key said to be Ed25519 has the wrong length. */
	p = rec_p(rsa2048, 0);
	assert_int_equal(dkimrec_key_bits("ed25519", p, &bits, &cause), -1);
	assert_non_null(strstr(cause, "32 raw key bytes"));
	free(cause);
	cause = NULL;
	/* A truncated SPKI is not a key. */
	p[40] = '\0';
	assert_int_equal(dkimrec_key_bits("rsa", p, &bits, &cause), -1);
	free(cause);
	free(p);
}

static void
test_match_rsa(void **state)
{
	struct dkim_pub pub;
	char *p, *cause = NULL;

	(void)state;
	local_pub(rsa2048, &pub);
	assert_string_equal(pub.type, "rsa");
	p = rec_p(rsa2048, 0);
	assert_int_equal(dkimrec_key_match("rsa", p, pub.type, pub.p, &cause),
	    1);
	free(p);
	p = rec_p(rsa2048, 1);		/* PKCS#1 record, SPKI local */
	assert_int_equal(dkimrec_key_match("rsa", p, pub.type, pub.p, &cause),
	    1);
	free(p);
	p = rec_p(rsa2048b, 0);		/* another key */
	assert_int_equal(dkimrec_key_match("rsa", p, pub.type, pub.p, &cause),
	    0);
	free(p);
	p = rec_p(rsa2048b, 1);
	assert_int_equal(dkimrec_key_match("rsa", p, pub.type, pub.p, &cause),
	    0);
	free(p);
	p = rec_p(ed, 0);		/* other type */
	assert_int_equal(dkimrec_key_match("ed25519", p, pub.type, pub.p,
	    &cause), 0);
	free(p);
	assert_int_equal(dkimrec_key_match("rsa", "QUJD", pub.type, pub.p,
	    &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_null(NULL);
	dkimkey_free(&pub);
}

static void
test_match_ed25519(void **state)
{
	struct dkim_pub pub;
	char *p, *cause = NULL;

	(void)state;
	local_pub(ed, &pub);
	assert_string_equal(pub.type, "ed25519");
	p = rec_p(ed, 0);
	assert_int_equal(dkimrec_key_match("ed25519", p, pub.type, pub.p,
	    &cause), 1);
	free(p);
	p = rec_p(ed2, 0);
	assert_int_equal(dkimrec_key_match("ed25519", p, pub.type, pub.p,
	    &cause), 0);
	free(p);
	assert_null(cause);
	dkimkey_free(&pub);
}

/* The whole path: a record text as published, parsed, compared. */
static void
test_record_roundtrip(void **state)
{
	struct dkim_pub pub;
	struct dkimrec rec;
	char *txt, *cause = NULL;

	(void)state;
	local_pub(rsa1024, &pub);
	txt = dkimkey_txt(&pub);
	parse_ok(txt, &rec);
	assert_int_equal(dkimrec_key_match(rec.k, rec.p, pub.type, pub.p,
	    &cause), 1);
	dkimrec_free(&rec);
	free(txt);
	dkimkey_free(&pub);
}

/* dkimrec_judge of one or two records against pub: the verdict, and the
 * cause holds want. */
static void
judge_is(const char *a, const char *b, const struct dkim_pub *pub,
    enum dkimrec_verdict want, const char *cause_has)
{
	const char *txt[2] = { a, b };
	size_t lens[2] = { strlen(a), b != NULL ? strlen(b) : 0 };
	char *cause = NULL;
	enum dkimrec_verdict v;

	v = dkimrec_judge(txt, lens, b != NULL ? 2 : 1, pub->type, pub->p,
	    &cause);
	if (v != want)
		fail_msg("\"%s\": verdict %d, want %d (%s)", a, v, want,
		    cause != NULL ? cause : "no cause");
	if (want == DKIMREC_USABLE)
		assert_null(cause);
	else if (cause == NULL || strstr(cause, cause_has) == NULL)
		fail_msg("\"%s\": cause \"%s\" lacks \"%s\"", a,
		    cause != NULL ? cause : "(none)", cause_has);
	free(cause);
}

/* RFC 8301: h= without sha256 refuses every signature made today. */
static void
test_sha256_ok(void **state)
{
	struct dkimrec rec;
	char *cause = NULL;

	(void)state;
	parse_ok("v=DKIM1; h=sha1; p=QUJD", &rec);
	assert_int_equal(dkimrec_sha256_ok(&rec, &cause), 0);
	assert_non_null(strstr(cause, "h=sha1 excludes sha256"));
	free(cause);
	cause = NULL;
	dkimrec_free(&rec);
	parse_ok("v=DKIM1; h=sha1 : SHA256; p=QUJD", &rec);
	assert_int_equal(dkimrec_sha256_ok(&rec, &cause), 1);
	dkimrec_free(&rec);
	parse_ok("v=DKIM1; p=QUJD", &rec);	/* no h=: every hash */
	assert_int_equal(dkimrec_sha256_ok(&rec, &cause), 1);
	assert_null(cause);
	dkimrec_free(&rec);
}

/* The verdict keys switch takes: one usable record, or why not. */
static void
test_judge(void **state)
{
	struct dkim_pub pub;
	char *p, *other, *good, *sha1, *both, *bad, *cause = NULL;

	(void)state;
	local_pub(rsa2048, &pub);
	p = rec_p(rsa2048, 0);
	other = rec_p(rsa2048b, 0);
	good = xasprintf("v=DKIM1; k=rsa; p=%s", p);
	sha1 = xasprintf("v=DKIM1; k=rsa; h=sha1; p=%s", p);
	both = xasprintf("v=DKIM1; k=rsa; h=sha1:sha256; p=%s", p);
	bad = xasprintf("v=DKIM1; k=rsa; p=%s", other);
	judge_is(good, NULL, &pub, DKIMREC_USABLE, NULL);
	judge_is(both, NULL, &pub, DKIMREC_USABLE, NULL);
	judge_is(sha1, NULL, &pub, DKIMREC_NO_SHA256, "excludes sha256");
	judge_is(good, bad, &pub, DKIMREC_SEVERAL, "2 TXT records");
	judge_is(good, good, &pub, DKIMREC_SEVERAL, "2 TXT records");
	judge_is(bad, NULL, &pub, DKIMREC_OTHER_KEY, "another key");
	judge_is("v=DKIM1; p=", NULL, &pub, DKIMREC_REVOKED, "revoked");
	judge_is("v=DKIM2; p=QUJD", NULL, &pub, DKIMREC_INVALID,
	    "bad version");
	assert_int_equal(dkimrec_judge(NULL, NULL, 0, pub.type, pub.p,
	    &cause), DKIMREC_MISSING);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	{
		const char *txt[1] = { good };
		size_t lens[1] = { strlen(good) };

		assert_int_equal(dkimrec_judge(txt, lens, 1, NULL, NULL,
		    NULL), DKIMREC_LOCAL_UNKNOWN);
	}
	free(p);
	free(other);
	free(good);
	free(sha1);
	free(both);
	free(bad);
	dkimkey_free(&pub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_flags_and_lists),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_sanitized),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_match_rsa),
		cmocka_unit_test(test_match_ed25519),
		cmocka_unit_test(test_sha256_ok),
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_record_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
