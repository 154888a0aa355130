/* test_records.c: the DNS records of a site, their splitting and zone form.
 *
 * The site is built by hand (calloc, fields filled directly) so that these
 * tests need nothing of site.c.  DKIM keys are generated at test time with
 * the openssl CLI under a mkdtemp directory used as the site's --root.
 */
#include "testutil.h"

#include <openssl/err.h>

#include "core/check/records.h"
#include "core/conf/settings.h"
#include "core/site/site.h"
#include "core/lib/util.h"

static char root[] = "/tmp/notspam-records-XXXXXX";

#define SPF "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all"
#define PTR4 "25.2.0.192.in-addr.arpa."
#define PTR6 "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2" \
	".ip6.arpa."

/* Run a command in the root; 0 if it worked. */
static int
sh(const char *cmd)
{
	char buf[8192], *out;
	int rc;

	snprintf(buf, sizeof buf, "cd '%s' && umask 077 && (%s) >/dev/null"
	    " 2>&1 && echo OK", root, cmd);
	out = test_run(buf);
	rc = strcmp(out, "OK\n") == 0 ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "setup command failed: %s\n", buf);
	free(out);
	return rc;
}

/* The p= the openssl CLI derives for site path key (ed: raw key). */
static char *
cli_p(const char *key, int ed)
{
	char cmd[4096], *out;
	size_t len;

	snprintf(cmd, sizeof cmd, "openssl pkey -in '%s%s' -pubout"
	    " -outform DER 2>/dev/null %s| base64 -w0", root, key,
	    ed ? "| tail -c 32 " : "");
	out = test_run(cmd);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	assert_true(len > 0);
	return out;
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	if (sh("mkdir -p etc/dkimkeys") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
	    " -out etc/dkimkeys/mail.private") ||
	    sh("openssl genpkey -algorithm ed25519"
	    " -out etc/dkimkeys/ed.private") ||
	    sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096"
	    " -out etc/dkimkeys/big.private") ||
	    sh("openssl genrsa -traditional -out etc/dkimkeys/old.private"
	    " 1024"))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[4096], *out;

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	out = test_run(cmd);
	free(out);
	return 0;
}

static void
add_domain(struct site *s, const char *name, int receives)
{
	struct site_domain *d;

	s->domains = xreallocarray(s->domains, s->ndomains + 1,
	    sizeof *s->domains);
	d = &s->domains[s->ndomains++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->receives = receives;
}

static void
add_key(struct site *s, const char *domain, const char *selector,
    const char *keyfile)
{
	struct site_key *k;

	s->keys = xreallocarray(s->keys, s->nkeys + 1, sizeof *s->keys);
	k = &s->keys[s->nkeys++];
	memset(k, 0, sizeof *k);
	k->domain = xstrdup(domain);
	k->selector = xstrdup(selector);
	k->keyfile = keyfile != NULL ? xstrdup(keyfile) : NULL;
	k->signer = xstrdup("opendkim");
}

/* The site of the brief: mail.example.org for example.org (receiving) and
 * example.net (sending only), one address of each family, a key each. */
static struct site *
mksite(void)
{
	struct site *s = xcalloc(1, sizeof *s);

	s->root = xstrdup(root);
	s->settings = xcalloc(1, sizeof *s->settings);
	s->settings->dmarc_rua = xstrdup("mailto:dmarc@example.org");
	s->hostname = xstrdup("mail.example.org");
	add_domain(s, "example.org", 1);
	add_domain(s, "example.net", 0);
	strv_add(&s->ipv4, "192.0.2.25");
	strv_add(&s->ipv6, "2001:db8::25");
	add_key(s, "example.org", "mail", "/etc/dkimkeys/mail.private");
	add_key(s, "example.net", "ed", "/etc/dkimkeys/ed.private");
	return s;
}

static void
freesite(struct site *s)
{
	size_t i;

	for (i = 0; i < s->ndomains; i++) {
		free(s->domains[i].name);
		strv_free(&s->domains[i].sources);
	}
	free(s->domains);
	for (i = 0; i < s->nkeys; i++) {
		free(s->keys[i].domain);
		free(s->keys[i].selector);
		free(s->keys[i].keyfile);
		free(s->keys[i].signer);
	}
	free(s->keys);
	if (s->settings != NULL) {
		free(s->settings->dmarc_rua);
		free(s->settings->dmarc_policy);
		free(s->settings);
	}
	strv_free(&s->ipv4);
	strv_free(&s->ipv6);
	free(s->hostname);
	free(s->root);
	free(s);
}

/* Build all sets, or fail. */
static struct record_set *
build(const struct site *s, const char *domain, size_t *n)
{
	struct record_set *sets;
	char *cause = NULL;

	if (records_build(s, domain, &sets, n, &cause) != 0)
		fail_msg("records_build: %s", cause);
	assert_null(cause);
	return sets;
}

/* The host set: the first, marked host, named by the HELO name; or
 * fail. */
static const struct record_set *
hostset(const struct record_set *sets, size_t n)
{
	if (n == 0 || !sets[0].host)
		fail_msg("no host set first");
	return &sets[0];
}

/* The first record with id in set, or fail. */
static const struct record *
rec(const struct record_set *set, const char *id)
{
	size_t i;

	for (i = 0; i < set->nrecords; i++)
		if (strcmp(set->records[i].id, id) == 0)
			return &set->records[i];
	fail_msg("%s: no record %s", set->domain, id);
	return NULL;
}

static size_t
count(const struct record_set *set, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < set->nrecords; i++)
		n += strcmp(set->records[i].id, id) == 0;
	return n;
}

/* How many records of set have type. */
static size_t
count_type(const struct record_set *set, const char *type)
{
	size_t i, n = 0;

	for (i = 0; i < set->nrecords; i++)
		n += strcmp(set->records[i].type, type) == 0;
	return n;
}

/* Assert a computed record's name, type and value. */
static void
check(const struct record_set *set, const char *id, const char *name,
    const char *type, const char *value)
{
	const struct record *r = rec(set, id);

	assert_string_equal(r->name, name);
	assert_string_equal(r->type, type);
	assert_null(r->error);
	assert_non_null(r->value);
	assert_string_equal(r->value, value);
	assert_non_null(r->why);
	assert_true(strlen(r->why) > 10);
	assert_null(strchr(r->why, '\n'));
}

/* The ids of set joined by spaces; caller frees. */
static char *
ids(const struct record_set *set)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < set->nrecords; i++)
		buf_printf(&b, "%s%s", i ? " " : "", set->records[i].id);
	return buf_steal(&b);
}

/* The strings of r joined. */
static char *
joined(const struct record *r)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < r->strings.n; i++) {
		assert_true(strlen(r->strings.v[i]) <= 255);
		buf_adds(&b, r->strings.v[i]);
	}
	return buf_steal(&b);
}

static void
test_sets(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	/* The mail host's set once, first, then a set per domain. */
	assert_int_equal(n, 3);
	assert_int_equal(sets[0].host, 1);
	assert_string_equal(sets[0].domain, "mail.example.org");
	assert_int_equal(sets[1].host, 0);
	assert_string_equal(sets[1].domain, "example.org");
	assert_int_equal(sets[2].host, 0);
	assert_string_equal(sets[2].domain, "example.net");
	records_free(sets, n);
	freesite(s);
}

static void
test_ids_receiving(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;
	char *got;

	(void)state;
	sets = build(s, NULL, &n);
	got = ids(&sets[1]);
	assert_string_equal(got, "mx spf dkim:mail dmarc");
	free(got);
	records_free(sets, n);
	freesite(s);
}

/* The mail host's records, in the host set and only there. */
static void
test_ids_host(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n, i, k;
	char *got;

	(void)state;
	sets = build(s, NULL, &n);
	got = ids(hostset(sets, n));
	assert_string_equal(got, "host-a host-aaaa ptr:192.0.2.25"
	    " ptr:2001:db8::25 spf-helo");
	free(got);
	for (i = 1; i < n; i++)
		for (k = 0; k < sets[i].nrecords; k++) {
			const char *id = sets[i].records[k].id;
			assert_false(strncmp(id, "host-", 5) == 0 ||
			    strncmp(id, "ptr:", 4) == 0 ||
			    strcmp(id, "spf-helo") == 0);
		}
	records_free(sets, n);
	freesite(s);
}

static void
test_ids_sending_only(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;
	char *got;

	(void)state;
	sets = build(s, NULL, &n);
	got = ids(&sets[2]);
	assert_string_equal(got, "spf dkim:ed dmarc dmarc-report");
	free(got);
	records_free(sets, n);
	freesite(s);
}

static void
test_mx(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	check(&sets[1], "mx", "example.org.", "MX", "10 mail.example.org.");
	assert_int_equal(count(&sets[2], "mx"), 0);
	records_free(sets, n);
	freesite(s);
}

static void
test_host_addresses(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record_set *h;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	h = hostset(sets, n);
	check(h, "host-a", "mail.example.org.", "A", "192.0.2.25");
	check(h, "host-aaaa", "mail.example.org.", "AAAA", "2001:db8::25");
	assert_int_equal(count(h, "host-a"), 1);
	assert_int_equal(count(h, "host-aaaa"), 1);
	assert_non_null(strstr(rec(h, "host-a")->why, "every hosted domain"));
	records_free(sets, n);
	freesite(s);
}

static void
test_ptr(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record_set *h;
	size_t n, i;

	(void)state;
	sets = build(s, NULL, &n);
	/* The host set carries the mail host's PTRs, one per address and no
	 * other; no domain's set has one. */
	h = hostset(sets, n);
	check(h, "ptr:192.0.2.25", PTR4, "PTR", "mail.example.org.");
	check(h, "ptr:2001:db8::25", PTR6, "PTR", "mail.example.org.");
	assert_int_equal(count(h, "ptr:192.0.2.25"), 1);
	assert_int_equal(count(h, "ptr:2001:db8::25"), 1);
	assert_int_equal(count_type(h, "PTR"), 2);
	for (i = 1; i < n; i++)
		assert_int_equal(count_type(&sets[i], "PTR"), 0);
	records_free(sets, n);
	freesite(s);
}

static void
test_spf(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	check(&sets[1], "spf", "example.org.", "TXT", SPF);
	check(&sets[2], "spf", "example.net.", "TXT", SPF);
	r = rec(&sets[1], "spf");
	assert_int_equal(r->strings.n, 1);
	assert_string_equal(r->strings.v[0], SPF);
	assert_non_null(strstr(r->why, "192.0.2.25, 2001:db8::25"));
	records_free(sets, n);
	freesite(s);
}

static void
test_spf_helo(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	check(hostset(sets, n), "spf-helo", "mail.example.org.", "TXT", SPF);
	assert_non_null(strstr(rec(hostset(sets, n), "spf-helo")->why,
	    "shared"));
	assert_int_equal(count(&sets[1], "spf-helo"), 0);
	assert_int_equal(count(&sets[2], "spf-helo"), 0);
	records_free(sets, n);
	freesite(s);
}

static void
test_dkim_rsa2048(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	char *p = cli_p("/etc/dkimkeys/mail.private", 0), *want, *all;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	want = xasprintf("v=DKIM1; k=rsa; p=%s", p);
	check(&sets[1], "dkim:mail", "mail._domainkey.example.org.", "TXT",
	    want);
	r = rec(&sets[1], "dkim:mail");
	assert_int_equal(r->strings.n, 2);
	assert_int_equal(strlen(r->strings.v[0]), 255);
	all = joined(r);
	assert_string_equal(all, want);
	assert_non_null(strstr(r->why, "2048"));
	free(all);
	free(want);
	free(p);
	records_free(sets, n);
	freesite(s);
}

static void
test_dkim_ed25519(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	char *p = cli_p("/etc/dkimkeys/ed.private", 1), *want;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	want = xasprintf("v=DKIM1; k=ed25519; p=%s", p);
	check(&sets[2], "dkim:ed", "ed._domainkey.example.net.", "TXT", want);
	r = rec(&sets[2], "dkim:ed");
	assert_int_equal(r->strings.n, 1);
	assert_string_equal(r->strings.v[0], want);
	assert_int_equal(count(&sets[1], "dkim:ed"), 0);
	assert_int_equal(count(&sets[2], "dkim:mail"), 0);
	free(want);
	free(p);
	records_free(sets, n);
	freesite(s);
}

static void
test_dkim_pkcs1(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	char *p = cli_p("/etc/dkimkeys/old.private", 0), *want;
	size_t n;

	(void)state;
	add_key(s, "example.org", "old", "/etc/dkimkeys/old.private");
	sets = build(s, NULL, &n);
	want = xasprintf("v=DKIM1; k=rsa; p=%s", p);
	check(&sets[1], "dkim:old", "old._domainkey.example.org.", "TXT",
	    want);
	free(want);
	free(p);
	records_free(sets, n);
	freesite(s);
}

static void
test_dkim_4096(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	char *p = cli_p("/etc/dkimkeys/big.private", 0), *want, *all;
	size_t n;

	(void)state;
	add_key(s, "example.net", "big", "/etc/dkimkeys/big.private");
	sets = build(s, "example.net", &n);
	want = xasprintf("v=DKIM1; k=rsa; p=%s", p);
	check(&sets[1], "dkim:big", "big._domainkey.example.net.", "TXT",
	    want);
	r = rec(&sets[1], "dkim:big");
	assert_int_equal(r->strings.n, 3);
	assert_int_equal(strlen(r->strings.v[0]), 255);
	assert_int_equal(strlen(r->strings.v[1]), 255);
	all = joined(r);
	assert_string_equal(all, want);
	free(all);
	free(want);
	free(p);
	records_free(sets, n);
	freesite(s);
}

static void
test_dmarc(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	sets = build(s, NULL, &n);
	check(&sets[1], "dmarc", "_dmarc.example.org.", "TXT",
	    "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org");
	check(&sets[2], "dmarc", "_dmarc.example.net.", "TXT",
	    "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org");
	/* Reports for example.net go to example.org: the record it needs,
	 * and none for example.org's own reports. */
	assert_non_null(strstr(rec(&sets[2], "dmarc")->why,
	    "example.org must authorize them"));
	check(&sets[2], "dmarc-report",
	    "example.net._report._dmarc.example.org.", "TXT", "v=DMARC1");
	assert_non_null(strstr(rec(&sets[2], "dmarc-report")->why,
	    "in the zone of example.org"));
	assert_null(strstr(rec(&sets[1], "dmarc")->why, "_report"));
	for (size_t i = 0; i < sets[1].nrecords; i++)
		assert_string_not_equal(sets[1].records[i].id, "dmarc-report");
	records_free(sets, n);
	freesite(s);
}

static void
test_dmarc_policy_no_rua(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	free(s->settings->dmarc_rua);
	s->settings->dmarc_rua = NULL;
	s->settings->dmarc_policy = xstrdup("reject");
	sets = build(s, "example.org", &n);
	check(&sets[1], "dmarc", "_dmarc.example.org.", "TXT",
	    "v=DMARC1; p=reject");
	assert_non_null(strstr(rec(&sets[1], "dmarc")->why, "dmarc_rua"));
	records_free(sets, n);
	freesite(s);
}

static void
test_dmarc_defaults(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	free(s->settings->dmarc_rua);
	free(s->settings);
	s->settings = NULL;
	sets = build(s, "example.org", &n);
	check(&sets[1], "dmarc", "_dmarc.example.org.", "TXT",
	    "v=DMARC1; p=quarantine");
	records_free(sets, n);
	freesite(s);
}

static void
test_dmarc_rua_scheme(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	free(s->settings->dmarc_rua);
	s->settings->dmarc_rua = xstrdup("reports@example.org");
	sets = build(s, "example.org", &n);
	check(&sets[1], "dmarc", "_dmarc.example.org.", "TXT",
	    "v=DMARC1; p=quarantine; rua=mailto:reports@example.org");
	records_free(sets, n);
	freesite(s);
}

static void
test_domain_filter(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	sets = build(s, "example.net", &n);
	/* The host set, then only that domain's. */
	assert_int_equal(n, 2);
	assert_int_equal(sets[0].host, 1);
	assert_string_equal(sets[1].domain, "example.net");
	assert_int_equal(count(&sets[1], "mx"), 0);
	records_free(sets, n);
	sets = build(s, "EXAMPLE.Org.", &n);
	assert_int_equal(n, 2);
	assert_string_equal(sets[1].domain, "example.org");
	check(&sets[1], "mx", "example.org.", "MX", "10 mail.example.org.");
	records_free(sets, n);
	freesite(s);
}

static void
test_unknown_domain(void **state)
{
	struct site *s = mksite();
	struct record_set *sets = (void *)1;
	size_t n = 99;
	char *cause = NULL;

	(void)state;
	assert_int_equal(records_build(s, "example.com", &sets, &n, &cause),
	    -1);
	assert_string_equal(cause, "example.com is not a hosted domain here"
	    " (hosted: example.org, example.net)");
	assert_null(sets);
	assert_int_equal(n, 0);
	free(cause);
	freesite(s);
}

static void
test_no_domains(void **state)
{
	struct site *s = xcalloc(1, sizeof *s);
	struct record_set *sets;
	size_t n;
	char *cause = NULL;

	(void)state;
	s->hostname = xstrdup("mail.example.org");
	sets = build(s, NULL, &n);
	assert_int_equal(n, 1);		/* the host set alone */
	assert_int_equal(sets[0].host, 1);
	records_free(sets, n);
	assert_int_equal(records_build(s, "example.org", &sets, &n, &cause),
	    -1);
	assert_string_equal(cause, "example.org is not a hosted domain here"
	    " (hosted: none)");
	free(cause);
	records_free(NULL, 0);
	freesite(s);
}

static void
test_missing_key(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	char *line;
	size_t n;

	(void)state;
	add_key(s, "example.org", "gone", "/etc/dkimkeys/gone.private");
	sets = build(s, NULL, &n);
	r = rec(&sets[1], "dkim:gone");
	assert_string_equal(r->name, "gone._domainkey.example.org.");
	assert_string_equal(r->type, "TXT");
	assert_null(r->value);
	assert_int_equal(r->strings.n, 0);
	assert_string_equal(r->error, "/etc/dkimkeys/gone.private: no such"
	    " file");
	assert_non_null(r->why);
	line = records_zone_line(r);
	assert_string_equal(line, "; gone._domainkey.example.org. TXT: not"
	    " computed: /etc/dkimkeys/gone.private: no such file");
	free(line);
	/* Everything else is still there. */
	assert_null(rec(&sets[1], "dkim:mail")->error);
	check(&sets[1], "spf", "example.org.", "TXT", SPF);
	assert_int_equal(sets[1].nrecords, 5);
	assert_int_equal(ERR_peek_error(), 0);
	records_free(sets, n);
	freesite(s);
}

static void
test_bad_key(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	size_t n;

	(void)state;
	/* A directory and no configured file at all. */
	add_key(s, "example.net", "dir", "/etc/dkimkeys");
	add_key(s, "example.net", "nofile", NULL);
	sets = build(s, "example.net", &n);
	r = rec(&sets[1], "dkim:dir");
	assert_null(r->value);
	assert_non_null(strstr(r->error, "is a directory"));
	r = rec(&sets[1], "dkim:nofile");
	assert_null(r->value);
	assert_non_null(r->error);
	assert_null(rec(&sets[1], "dkim:ed")->error);
	records_free(sets, n);
	freesite(s);
}

static void
test_duplicate_selector(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	size_t n;

	(void)state;
	/* The same key configured twice is one record; another file under
	 * the same selector is a conflict. */
	add_key(s, "example.org", "mail", "/etc/dkimkeys/mail.private");
	sets = build(s, "example.org", &n);
	assert_int_equal(count(&sets[1], "dkim:mail"), 1);
	records_free(sets, n);
	add_key(s, "example.org", "mail", "/etc/dkimkeys/old.private");
	sets = build(s, "example.org", &n);
	assert_int_equal(count(&sets[1], "dkim:mail"), 2);
	assert_null(sets[1].records[2].error);	/* mx spf dkim dkim dmarc */
	r = &sets[1].records[3];
	assert_string_equal(r->id, "dkim:mail");
	assert_null(r->value);
	assert_non_null(strstr(r->error, "two key files"));
	records_free(sets, n);
	freesite(s);
}

static void
test_several_addresses(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record_set *h;
	const struct record *r;
	size_t n, i, a = 0;
	char *got;

	(void)state;
	strv_add(&s->ipv4, "198.51.100.7");
	strv_add(&s->ipv6, "2001:DB8:0:0::25");	/* the same, not canonical */
	strv_add(&s->ipv4, "not-an-address");
	sets = build(s, "example.org", &n);
	h = hostset(sets, n);
	got = ids(h);
	assert_string_equal(got, "host-a host-a host-aaaa ptr:192.0.2.25"
	    " ptr:198.51.100.7 ptr:2001:db8::25 spf-helo");
	free(got);
	got = ids(&sets[1]);
	assert_string_equal(got, "mx spf dkim:mail dmarc");
	free(got);
	for (i = 0; i < h->nrecords; i++) {
		r = &h->records[i];
		if (strcmp(r->id, "host-a") != 0)
			continue;
		assert_string_equal(r->name, "mail.example.org.");
		assert_string_equal(r->value, a++ == 0 ? "192.0.2.25" :
		    "198.51.100.7");
	}
	assert_int_equal(a, 2);
	check(h, "ptr:198.51.100.7", "7.100.51.198.in-addr.arpa.",
	    "PTR", "mail.example.org.");
	check(&sets[1], "spf", "example.org.", "TXT", "v=spf1 ip4:192.0.2.25"
	    " ip4:198.51.100.7 ip6:2001:db8::25 -all");
	check(h, "spf-helo", "mail.example.org.", "TXT", "v=spf1"
	    " ip4:192.0.2.25 ip4:198.51.100.7 ip6:2001:db8::25 -all");
	records_free(sets, n);
	freesite(s);
}

static void
test_no_addresses(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;
	char *got;

	(void)state;
	strv_free(&s->ipv4);
	strv_free(&s->ipv6);
	sets = build(s, "example.org", &n);
	got = ids(hostset(sets, n));
	assert_string_equal(got, "spf-helo");
	free(got);
	got = ids(&sets[1]);
	assert_string_equal(got, "mx spf dkim:mail dmarc");
	free(got);
	check(&sets[1], "spf", "example.org.", "TXT",
	    "v=spf1 a:mail.example.org -all");
	check(hostset(sets, n), "spf-helo", "mail.example.org.", "TXT",
	    "v=spf1 a:mail.example.org -all");
	assert_non_null(strstr(rec(&sets[1], "spf")->why, "unknown"));
	records_free(sets, n);
	freesite(s);
}

static void
test_ipv4_only(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	strv_free(&s->ipv6);
	sets = build(s, "example.net", &n);
	assert_int_equal(count(hostset(sets, n), "host-a"), 1);
	assert_int_equal(count(hostset(sets, n), "host-aaaa"), 0);
	assert_int_equal(count(hostset(sets, n), "ptr:2001:db8::25"), 0);
	check(&sets[1], "spf", "example.net.", "TXT",
	    "v=spf1 ip4:192.0.2.25 -all");
	records_free(sets, n);
	freesite(s);
}

static void
test_no_hostname(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	size_t n;
	char *got;

	(void)state;
	free(s->hostname);
	s->hostname = NULL;
	/* Neither a hostname nor a HELO name: no host set (nothing to name
	 * in a PTR); the MX says why it cannot be computed. */
	sets = build(s, "example.org", &n);
	assert_int_equal(n, 1);
	assert_int_equal(sets[0].host, 0);
	got = ids(&sets[0]);
	assert_string_equal(got, "mx spf dkim:mail dmarc");
	free(got);
	r = rec(&sets[0], "mx");
	assert_null(r->value);
	assert_non_null(r->error);
	check(&sets[0], "spf", "example.org.", "TXT", SPF);
	records_free(sets, n);
	freesite(s);
}

/* A HELO name other than the hostname names the host set, its PTRs and
 * HELO SPF; the A records stay the hostname's.  With a HELO name alone the
 * host set has no A or AAAA. */
static void
test_helo_name(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record_set *h;
	size_t n;
	char *got;

	(void)state;
	s->helo = xstrdup("out.example.org");
	sets = build(s, NULL, &n);
	h = hostset(sets, n);
	assert_string_equal(h->domain, "out.example.org");
	check(h, "host-a", "mail.example.org.", "A", "192.0.2.25");
	check(h, "ptr:192.0.2.25", PTR4, "PTR", "out.example.org.");
	check(h, "spf-helo", "out.example.org.", "TXT", SPF);
	check(&sets[1], "mx", "example.org.", "MX", "10 mail.example.org.");
	records_free(sets, n);
	free(s->hostname);
	s->hostname = NULL;
	sets = build(s, NULL, &n);
	got = ids(hostset(sets, n));
	assert_string_equal(got, "ptr:192.0.2.25 ptr:2001:db8::25 spf-helo");
	free(got);
	records_free(sets, n);
	free(s->helo);
	s->helo = NULL;
	freesite(s);
}

static void
test_hostname_forms(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;

	(void)state;
	free(s->hostname);
	s->hostname = xstrdup("Mail.Example.ORG.");
	sets = build(s, "example.org", &n);
	check(&sets[1], "mx", "example.org.", "MX", "10 mail.example.org.");
	check(hostset(sets, n), "host-a", "mail.example.org.", "A",
	    "192.0.2.25");
	assert_string_equal(hostset(sets, n)->domain, "mail.example.org");
	records_free(sets, n);
	freesite(s);
}

static void
test_reverse_name(void **state)
{
	char *r;

	(void)state;
	r = records_reverse_name("192.0.2.25");
	assert_string_equal(r, PTR4);
	free(r);
	r = records_reverse_name("2001:db8::25");
	assert_string_equal(r, PTR6);
	free(r);
	r = records_reverse_name("2001:DB8:0000::0:25");
	assert_string_equal(r, PTR6);
	free(r);
	r = records_reverse_name("::1");
	assert_string_equal(r, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
	    ".0.0.0.0.0.0.0.0.0.ip6.arpa.");
	free(r);
	r = records_reverse_name("255.0.10.1");
	assert_string_equal(r, "1.10.0.255.in-addr.arpa.");
	free(r);
	assert_null(records_reverse_name("mail.example.org"));
	assert_null(records_reverse_name("192.0.2"));
	assert_null(records_reverse_name("2001:db8::25%eth0"));
	assert_null(records_reverse_name(""));
	assert_null(records_reverse_name(NULL));
}

/* Split text and return the strings (caller frees with strv_free). */
static void
split(const char *text, struct strv *sv)
{
	struct buf b;
	size_t i;

	strv_init(sv);
	records_split_txt(text, sv);
	buf_init(&b);
	for (i = 0; i < sv->n; i++) {
		assert_true(strlen(sv->v[i]) <= 255);
		buf_adds(&b, sv->v[i]);
	}
	assert_string_equal(b.data != NULL ? b.data : "", text);
	buf_free(&b);
}

static void
test_split_lengths(void **state)
{
	struct strv sv;
	char text[1024];

	(void)state;
	split("", &sv);
	assert_int_equal(sv.n, 1);
	assert_string_equal(sv.v[0], "");
	strv_free(&sv);
	split("v=spf1 -all", &sv);
	assert_int_equal(sv.n, 1);
	strv_free(&sv);
	memset(text, 'a', sizeof text);
	text[255] = '\0';
	split(text, &sv);
	assert_int_equal(sv.n, 1);
	strv_free(&sv);
	text[255] = 'a';
	text[256] = '\0';
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	assert_int_equal(strlen(sv.v[1]), 1);
	strv_free(&sv);
	text[256] = 'a';
	text[510] = '\0';
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	strv_free(&sv);
	text[510] = 'a';
	text[511] = '\0';
	split(text, &sv);
	assert_int_equal(sv.n, 3);
	strv_free(&sv);
}

static void
test_split_utf8(void **state)
{
	struct strv sv;
	char text[600];

	(void)state;
	/* "é" (2 bytes) would straddle byte 255: it moves to string 2. */
	memset(text, 'a', 254);
	strcpy(text + 254, "\xc3\xa9" "b");
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	assert_int_equal(strlen(sv.v[0]), 254);
	assert_string_equal(sv.v[1], "\xc3\xa9" "b");
	strv_free(&sv);

	/* A 4-byte sequence at bytes 253..256. */
	memset(text, 'a', 253);
	strcpy(text + 253, "\xf0\x9f\x93\xa7" "!");
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	assert_int_equal(strlen(sv.v[0]), 253);
	assert_string_equal(sv.v[1], "\xf0\x9f\x93\xa7" "!");
	strv_free(&sv);

	/* A 4-byte sequence at bytes 252..255: three bytes back. */
	memset(text, 'a', 252);
	strcpy(text + 252, "\xf0\x9f\x93\xa7" "!");
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	assert_int_equal(strlen(sv.v[0]), 252);
	assert_string_equal(sv.v[1], "\xf0\x9f\x93\xa7" "!");
	strv_free(&sv);

	/* Ending exactly at 255 is no straddle. */
	memset(text, 'a', 253);
	strcpy(text + 253, "\xc3\xa9" "c");
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	assert_int_equal(strlen(sv.v[0]), 255);
	assert_string_equal(sv.v[1], "c");
	strv_free(&sv);

	/* Not UTF-8 (a long run of continuation bytes): cut at 255. */
	memset(text, 'a', 250);
	memset(text + 250, 0x80, 10);
	text[260] = '\0';
	split(text, &sv);
	assert_int_equal(sv.n, 2);
	assert_int_equal(strlen(sv.v[0]), 255);
	strv_free(&sv);
}

/* A record by hand (zone_line tests). */
static void
mkrec(struct record *r, const char *name, const char *type,
    const char *value)
{
	memset(r, 0, sizeof *r);
	r->id = xstrdup("x");
	r->name = xstrdup(name);
	r->type = xstrdup(type);
	r->value = value != NULL ? xstrdup(value) : NULL;
	strv_init(&r->strings);
	if (value != NULL && strcmp(type, "TXT") == 0)
		records_split_txt(value, &r->strings);
}

static void
rmrec(struct record *r)
{
	free(r->id);
	free(r->name);
	free(r->type);
	free(r->value);
	free(r->error);
	free(r->why);
	strv_free(&r->strings);
}

static void
test_zone_short(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	size_t n;
	char *line;

	(void)state;
	sets = build(s, "example.org", &n);
	line = records_zone_line(rec(&sets[1], "mx"));
	assert_string_equal(line, "example.org. 3600 IN MX 10"
	    " mail.example.org.");
	free(line);
	line = records_zone_line(rec(&sets[0], "host-a"));
	assert_string_equal(line, "mail.example.org. 3600 IN A 192.0.2.25");
	free(line);
	line = records_zone_line(rec(&sets[0], "host-aaaa"));
	assert_string_equal(line, "mail.example.org. 3600 IN AAAA"
	    " 2001:db8::25");
	free(line);
	line = records_zone_line(rec(&sets[0], "ptr:2001:db8::25"));
	assert_string_equal(line, PTR6 " 3600 IN PTR mail.example.org.");
	free(line);
	line = records_zone_line(rec(&sets[1], "spf"));
	assert_string_equal(line, "example.org. 3600 IN TXT \"" SPF "\"");
	free(line);
	line = records_zone_line(rec(&sets[1], "dmarc"));
	assert_string_equal(line, "_dmarc.example.org. 3600 IN TXT"
	    " \"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org\"");
	free(line);
	records_free(sets, n);
	freesite(s);
}

static void
test_zone_split(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	size_t n;
	char *line, *want;

	(void)state;
	sets = build(s, "example.org", &n);
	r = rec(&sets[1], "dkim:mail");
	line = records_zone_line(r);
	want = xasprintf("mail._domainkey.example.org. 3600 IN TXT ( \"%.255s\""
	    "\n\t\"%s\" )", r->value, r->value + 255);
	assert_string_equal(line, want);
	assert_string_equal(r->strings.v[1], r->value + 255);
	free(want);
	free(line);
	records_free(sets, n);
	freesite(s);
}

static void
test_zone_three_strings(void **state)
{
	struct record r;
	char text[700], *line, *want;

	(void)state;
	memset(text, 'x', 600);
	text[600] = '\0';
	mkrec(&r, "t.example.org.", "TXT", text);
	line = records_zone_line(&r);
	want = xasprintf("t.example.org. 3600 IN TXT ( \"%.255s\"\n\t\"%.255s\""
	    "\n\t\"%.90s\" )", text, text, text);
	assert_string_equal(line, want);
	free(want);
	free(line);
	rmrec(&r);
}

static void
test_zone_escapes(void **state)
{
	struct record r;
	char *line;

	(void)state;
	mkrec(&r, "t.example.org.", "TXT", "say \"hi\" \\ now");
	line = records_zone_line(&r);
	assert_string_equal(line, "t.example.org. 3600 IN TXT"
	    " \"say \\\"hi\\\" \\\\ now\"");
	free(line);
	rmrec(&r);

	mkrec(&r, "t.example.org.", "TXT", "a\tb\nc\x7f" "caf\xc3\xa9;");
	line = records_zone_line(&r);
	assert_string_equal(line, "t.example.org. 3600 IN TXT"
	    " \"a\\009b\\010c\\127caf\\195\\169;\"");
	free(line);
	rmrec(&r);

	mkrec(&r, "t.example.org.", "TXT", "");
	line = records_zone_line(&r);
	assert_string_equal(line, "t.example.org. 3600 IN TXT \"\"");
	free(line);
	rmrec(&r);
}

static void
test_zone_unsplit_value(void **state)
{
	struct record r;
	char text[300], *line, *want;

	(void)state;
	/* strings left empty: the line splits the value itself. */
	memset(text, 'y', 299);
	text[299] = '\0';
	mkrec(&r, "t.example.org.", "TXT", text);
	strv_free(&r.strings);
	line = records_zone_line(&r);
	want = xasprintf("t.example.org. 3600 IN TXT ( \"%.255s\"\n\t\"%.44s\""
	    " )", text, text);
	assert_string_equal(line, want);
	free(want);
	free(line);
	rmrec(&r);
}

static void
test_zone_error_sanitized(void **state)
{
	struct record r;
	char *line;

	(void)state;
	mkrec(&r, "s._domainkey.example.org.", "TXT", NULL);
	r.error = xstrdup("bad\nline");
	line = records_zone_line(&r);
	assert_string_equal(line, "; s._domainkey.example.org. TXT: not"
	    " computed: bad\\nline");
	assert_null(strchr(line, '\n'));
	free(line);
	rmrec(&r);
}

static void
test_all_txt_strings(void **state)
{
	struct site *s = mksite();
	struct record_set *sets;
	const struct record *r;
	size_t n, i, j, ntxt = 0;
	char *all;

	(void)state;
	add_key(s, "example.org", "big", "/etc/dkimkeys/big.private");
	sets = build(s, NULL, &n);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		for (j = 0; j < sets[i].nrecords; j++) {
			r = &sets[i].records[j];
			assert_non_null(r->why);
			assert_int_equal(r->name[strlen(r->name) - 1], '.');
			if (strcmp(r->type, "TXT") != 0) {
				assert_int_equal(r->strings.n, 0);
				continue;
			}
			assert_null(r->error);
			assert_true(r->strings.n >= 1);
			all = joined(r);
			assert_string_equal(all, r->value);
			free(all);
			ntxt++;
		}
	}
	/* The host: spf-helo (once); example.org: spf, dkim:mail, dkim:big,
	 * dmarc; example.net: spf, dkim:ed, dmarc, dmarc-report. */
	assert_int_equal(ntxt, 9);
	records_free(sets, n);
	freesite(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_ids_receiving),
		cmocka_unit_test(test_ids_host),
		cmocka_unit_test(test_ids_sending_only),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_host_addresses),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_spf),
		cmocka_unit_test(test_spf_helo),
		cmocka_unit_test(test_dkim_rsa2048),
		cmocka_unit_test(test_dkim_ed25519),
		cmocka_unit_test(test_dkim_pkcs1),
		cmocka_unit_test(test_dkim_4096),
		cmocka_unit_test(test_dmarc),
		cmocka_unit_test(test_dmarc_policy_no_rua),
		cmocka_unit_test(test_dmarc_defaults),
		cmocka_unit_test(test_dmarc_rua_scheme),
		cmocka_unit_test(test_domain_filter),
		cmocka_unit_test(test_unknown_domain),
		cmocka_unit_test(test_no_domains),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_duplicate_selector),
		cmocka_unit_test(test_several_addresses),
		cmocka_unit_test(test_no_addresses),
		cmocka_unit_test(test_ipv4_only),
		cmocka_unit_test(test_no_hostname),
		cmocka_unit_test(test_helo_name),
		cmocka_unit_test(test_hostname_forms),
		cmocka_unit_test(test_reverse_name),
		cmocka_unit_test(test_split_lengths),
		cmocka_unit_test(test_split_utf8),
		cmocka_unit_test(test_zone_short),
		cmocka_unit_test(test_zone_split),
		cmocka_unit_test(test_zone_three_strings),
		cmocka_unit_test(test_zone_escapes),
		cmocka_unit_test(test_zone_unsplit_value),
		cmocka_unit_test(test_zone_error_sanitized),
		cmocka_unit_test(test_all_txt_strings),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
