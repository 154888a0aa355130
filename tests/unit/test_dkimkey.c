/* test_dkimkey.c: DKIM public keys from private key files.
 *
 * Keys are generated at test time with the openssl CLI in a mkdtemp
 * directory (no private key is ever committed); every p= is compared with
 * the value the CLI derives on its own.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "core/keys/dkimkey.h"
#include "core/lib/util.h"

static char tmpdir[] = "/tmp/notspam-dkimkey-XXXXXX";

/* dir/name in a static buffer (one at a time). */
static const char *
kp(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

/* Run a command in the key directory; fail the setup if it fails. */
static int
sh(const char *fmt, ...)
{
	char cmd[8192], *out;
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof cmd, "cd '%s' && umask 077 && (", tmpdir);
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof cmd - (size_t)n,
	    ") >/dev/null 2>&1 && echo OK");
	out = test_run(cmd);
	n = strcmp(out, "OK\n") == 0 ? 0 : -1;
	if (n != 0)
		fprintf(stderr, "setup command failed: %s\n", cmd);
	free(out);
	return n;
}

/* What the openssl CLI says p= is for the key file name (ed: raw key). */
static char *
cli_p(const char *name, int ed)
{
	char cmd[4096];
	char *out;
	size_t len;

	snprintf(cmd, sizeof cmd, "openssl pkey -in '%s' -pubout -outform DER"
	    " 2>/dev/null %s| base64 -w0", kp(name), ed ? "| tail -c 32 " : "");
	out = test_run(cmd);
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	assert_true(len > 0);
	return out;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
	    " -out rsa2048.pem") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024"
	    " -out rsa1024.pem") ||
	    sh("openssl genrsa -traditional -out pkcs1.pem 2048") ||
	    sh("openssl genpkey -algorithm ed25519 -out ed.pem") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024"
	    " -aes256 -pass pass:x -out enc8.pem") ||
	    sh("openssl genrsa -traditional -aes256 -passout pass:x"
	    " -out enc1.pem 1024") ||
	    sh("openssl genpkey -algorithm EC -pkeyopt"
	    " ec_paramgen_curve:P-256 -out ec.pem") ||
	    sh("openssl genpkey -algorithm ed448 -out ed448.pem") ||
	    sh("openssl genpkey -algorithm RSA-PSS -pkeyopt"
	    " rsa_keygen_bits:1024 -out pss.pem") ||
	    sh("openssl pkey -in rsa1024.pem -pubout -out pub.pem") ||
	    sh("openssl req -x509 -new -key ed.pem -subj /CN=mail.example.org"
	    " -days 1 -out cert.pem") ||
	    sh("printf 'this is not a key SECRETGARBAGE\\n' > garbage.pem") ||
	    sh(": > empty.pem") ||
	    sh("mkdir adir") ||
	    sh("head -c 300 rsa2048.pem > trunc.pem") ||
	    sh("sed 's/$/\\r/' rsa2048.pem > crlf.pem") ||
	    sh("{ echo '# made by hand'; echo; cat ed.pem; } > comment.pem") ||
	    sh("head -c 300000 /dev/zero | tr '\\0' A > big.pem") ||
	    sh("mkdir -p root/etc/dkimkeys && cp rsa2048.pem"
	    " root/etc/dkimkeys/x.private"))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[4096], *out;

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	out = test_run(cmd);
	free(out);
	return 0;
}

/* Load name from the key directory and expect success. */
static void
load_ok(const char *name, struct dkim_pub *pub)
{
	char *cause = NULL;

	if (dkimkey_load(NULL, kp(name), pub, &cause) != 0)
		fail_msg("%s: %s", name, cause);
	assert_null(cause);
	assert_int_equal(ERR_peek_error(), 0);
}

/* Load name and expect failure with a message containing want; the message
 * names the file and quotes none of its lines. */
static void
load_fail(const char *name, const char *want)
{
	struct dkim_pub pub;
	char *cause = NULL, *data, *line, *save = NULL;
	size_t len;
	struct stat sb;

	memset(&pub, 0xa5, sizeof pub);
	assert_int_equal(dkimkey_load(NULL, kp(name), &pub, &cause), -1);
	assert_non_null(cause);
	assert_null(pub.type);
	assert_null(pub.p);
	assert_int_equal(ERR_peek_error(), 0);
	if (strstr(cause, want) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", name, cause, want);
	if (strstr(cause, kp(name)) == NULL)
		fail_msg("%s: \"%s\" does not name the file", name, cause);
	if (stat(kp(name), &sb) == 0 && S_ISREG(sb.st_mode)) {
		data = test_read_file(kp(name), &len);
		for (line = strtok_r(data, "\r\n", &save); line != NULL;
		    line = strtok_r(NULL, "\r\n", &save)) {
			if (line[0] == '-' || strchr(line, ':') != NULL ||
			    strlen(line) < 12)
				continue;
			line[12] = '\0';
			if (strstr(cause, line) != NULL)
				fail_msg("%s: message quotes the key: %s",
				    name, cause);
		}
		free(data);
	}
	free(cause);
}

static void
test_rsa2048_pkcs8(void **state)
{
	struct dkim_pub pub;
	char *want = cli_p("rsa2048.pem", 0);

	(void)state;
	load_ok("rsa2048.pem", &pub);
	assert_string_equal(pub.type, "rsa");
	assert_int_equal(pub.bits, 2048);
	assert_string_equal(pub.p, want);
	assert_int_equal(strlen(pub.p), 392);
	assert_true(str_startswith(pub.p, "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"));
	dkimkey_free(&pub);
	free(want);
}

static void
test_rsa1024(void **state)
{
	struct dkim_pub pub;
	char *want = cli_p("rsa1024.pem", 0);

	(void)state;
	load_ok("rsa1024.pem", &pub);
	assert_string_equal(pub.type, "rsa");
	assert_int_equal(pub.bits, 1024);
	assert_string_equal(pub.p, want);
	assert_int_equal(strlen(pub.p), 216);
	dkimkey_free(&pub);
	free(want);
}

static void
test_rsa_pkcs1(void **state)
{
	struct dkim_pub pub;
	char *want = cli_p("pkcs1.pem", 0), *data;

	(void)state;
	data = test_read_file(kp("pkcs1.pem"), NULL);
	assert_true(str_startswith(data, "-----BEGIN RSA PRIVATE KEY-----"));
	free(data);
	load_ok("pkcs1.pem", &pub);
	assert_string_equal(pub.type, "rsa");
	assert_int_equal(pub.bits, 2048);
	assert_string_equal(pub.p, want);
	dkimkey_free(&pub);
	free(want);
}

static void
test_ed25519(void **state)
{
	struct dkim_pub pub;
	char *want = cli_p("ed.pem", 1);

	(void)state;
	load_ok("ed.pem", &pub);
	assert_string_equal(pub.type, "ed25519");
	assert_int_equal(pub.bits, 256);
	assert_string_equal(pub.p, want);
	assert_int_equal(strlen(pub.p), 44);
	dkimkey_free(&pub);
	free(want);
}

static void
test_txt_rsa(void **state)
{
	struct dkim_pub pub;
	char *txt, *want;

	(void)state;
	load_ok("rsa1024.pem", &pub);
	txt = dkimkey_txt(&pub);
	want = xasprintf("v=DKIM1; k=rsa; p=%s", pub.p);
	assert_string_equal(txt, want);
	free(want);
	free(txt);
	dkimkey_free(&pub);
}

static void
test_txt_ed25519(void **state)
{
	struct dkim_pub pub;
	char *txt, *want, *p = cli_p("ed.pem", 1);

	(void)state;
	load_ok("ed.pem", &pub);
	txt = dkimkey_txt(&pub);
	want = xasprintf("v=DKIM1; k=ed25519; p=%s", p);
	assert_string_equal(txt, want);
	free(want);
	free(txt);
	free(p);
	dkimkey_free(&pub);
}

static void
test_encrypted_pkcs8(void **state)
{
	(void)state;
	load_fail("enc8.pem", "is encrypted; DKIM signers need an unencrypted"
	    " key");
}

static void
test_encrypted_pkcs1(void **state)
{
	(void)state;
	load_fail("enc1.pem", "is encrypted; DKIM signers need an unencrypted"
	    " key");
}

static void
test_garbage(void **state)
{
	struct dkim_pub pub;
	char *cause = NULL;

	(void)state;
	load_fail("garbage.pem", "not a PEM file");
	assert_int_equal(dkimkey_load(NULL, kp("garbage.pem"), &pub, &cause),
	    -1);
	assert_null(strstr(cause, "SECRETGARBAGE"));
	free(cause);
}

static void
test_empty(void **state)
{
	(void)state;
	load_fail("empty.pem", "is empty");
}

static void
test_directory(void **state)
{
	(void)state;
	load_fail("adir", "is a directory");
}

static void
test_missing(void **state)
{
	(void)state;
	load_fail("nosuch.pem", "no such file");
}

static void
test_certificate(void **state)
{
	(void)state;
	load_fail("cert.pem", "is a certificate, not a private key");
}

static void
test_public_key(void **state)
{
	(void)state;
	load_fail("pub.pem", "is a public key");
}

static void
test_ec_key(void **state)
{
	(void)state;
	load_fail("ec.pem", "unsupported key type EC; DKIM keys are RSA or"
	    " Ed25519");
}

static void
test_ed448_key(void **state)
{
	(void)state;
	load_fail("ed448.pem", "unsupported key type ED448");
}

static void
test_rsa_pss_key(void **state)
{
	(void)state;
	load_fail("pss.pem", "unsupported key type RSA-PSS");
}

static void
test_truncated(void **state)
{
	(void)state;
	load_fail("trunc.pem", "cannot read the PEM private key");
}

static void
test_too_big(void **state)
{
	(void)state;
	load_fail("big.pem", "limit");
}

static void
test_crlf(void **state)
{
	struct dkim_pub pub;
	char *want = cli_p("rsa2048.pem", 0);

	(void)state;
	load_ok("crlf.pem", &pub);
	assert_string_equal(pub.p, want);
	dkimkey_free(&pub);
	free(want);
}

static void
test_leading_text(void **state)
{
	struct dkim_pub pub;
	char *want = cli_p("ed.pem", 1);

	(void)state;
	load_ok("comment.pem", &pub);
	assert_string_equal(pub.p, want);
	dkimkey_free(&pub);
	free(want);
}

static void
test_root(void **state)
{
	struct dkim_pub pub;
	char *cause = NULL, *want = cli_p("rsa2048.pem", 0);
	char root[4096], rootslash[4096];

	(void)state;
	snprintf(root, sizeof root, "%s/root", tmpdir);
	snprintf(rootslash, sizeof rootslash, "%s/root/", tmpdir);
	assert_int_equal(dkimkey_load(root, "/etc/dkimkeys/x.private", &pub,
	    &cause), 0);
	assert_string_equal(pub.p, want);
	assert_int_equal(pub.bits, 2048);
	dkimkey_free(&pub);
	assert_int_equal(dkimkey_load(rootslash, "/etc/dkimkeys/x.private",
	    &pub, &cause), 0);
	assert_string_equal(pub.p, want);
	dkimkey_free(&pub);
	free(want);

	/* Errors name the site path, not the host path. */
	assert_int_equal(dkimkey_load(root, "/etc/dkimkeys/y.private", &pub,
	    &cause), -1);
	assert_string_equal(cause, "/etc/dkimkeys/y.private: no such file");
	free(cause);
}

static void
test_from_pem(void **state)
{
	struct dkim_pub pub;
	char *cause = NULL, *data, *want = cli_p("ed.pem", 1);
	size_t len;

	(void)state;
	data = test_read_file(kp("ed.pem"), &len);
	assert_int_equal(dkimkey_from_pem(data, len, "buffer", &pub, &cause),
	    0);
	assert_string_equal(pub.type, "ed25519");
	assert_string_equal(pub.p, want);
	dkimkey_free(&pub);

	/* Not NUL-terminated: only len bytes are read. */
	data[len - 1] = 'X';
	assert_int_equal(dkimkey_from_pem(data, len - 1, "buffer", &pub,
	    &cause), 0);
	assert_string_equal(pub.p, want);
	dkimkey_free(&pub);

	/* The name given is the one errors use. */
	assert_int_equal(dkimkey_from_pem(data, 20, "the-key", &pub, &cause),
	    -1);
	assert_true(str_startswith(cause, "the-key: "));
	free(cause);
	assert_int_equal(dkimkey_from_pem("", 0, NULL, &pub, &cause), -1);
	assert_string_equal(cause, "key: is empty; expected a PEM private key");
	free(cause);
	free(data);
	free(want);
}

static void
test_null_cause(void **state)
{
	struct dkim_pub pub;

	(void)state;
	assert_int_equal(dkimkey_load(NULL, kp("garbage.pem"), &pub, NULL), -1);
	assert_int_equal(dkimkey_load(NULL, kp("nosuch.pem"), &pub, NULL), -1);
	assert_int_equal(dkimkey_load(NULL, kp("enc8.pem"), &pub, NULL), -1);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_free_twice(void **state)
{
	struct dkim_pub pub;

	(void)state;
	load_ok("ed.pem", &pub);
	dkimkey_free(&pub);
	assert_null(pub.p);
	assert_null(pub.type);
	dkimkey_free(&pub);
	dkimkey_free(NULL);
}

static void
test_same_key_formats_agree(void **state)
{
	struct dkim_pub a, b;
	char *cause = NULL;

	(void)state;
	/* PKCS#1 and its PKCS#8 conversion are one key. */
	assert_int_equal(sh("openssl pkey -in pkcs1.pem -out pkcs1to8.pem"), 0);
	load_ok("pkcs1.pem", &a);
	assert_int_equal(dkimkey_load(NULL, kp("pkcs1to8.pem"), &b, &cause), 0);
	assert_string_equal(a.p, b.p);
	assert_int_equal(a.bits, b.bits);
	dkimkey_free(&a);
	dkimkey_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsa2048_pkcs8),
		cmocka_unit_test(test_rsa1024),
		cmocka_unit_test(test_rsa_pkcs1),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_txt_rsa),
		cmocka_unit_test(test_txt_ed25519),
		cmocka_unit_test(test_encrypted_pkcs8),
		cmocka_unit_test(test_encrypted_pkcs1),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_certificate),
		cmocka_unit_test(test_public_key),
		cmocka_unit_test(test_ec_key),
		cmocka_unit_test(test_ed448_key),
		cmocka_unit_test(test_rsa_pss_key),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_leading_text),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_from_pem),
		cmocka_unit_test(test_null_cause),
		cmocka_unit_test(test_free_twice),
		cmocka_unit_test(test_same_key_formats_agree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
