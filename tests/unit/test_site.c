/* test_site.c: settings file and site assembly (hostname, addresses,
 * domains from settings), on temporary roots. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "core/conf/settings.h"
#include "core/site/site.h"
#include "core/lib/util.h"

/* Make ROOT/etc/notspam/notspam.conf (and /etc/hostname) in a new root. */
static char *
mkroot(const char *settings, const char *hostname)
{
	char *dir = xstrdup("/tmp/notspam-site.XXXXXX"), *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	p = xasprintf("mkdir -p %s/etc/notspam", dir);
	free(test_run(p));
	free(p);
	if (settings != NULL) {
		p = xasprintf("%s/etc/notspam/notspam.conf", dir);
		f = fopen(p, "w");
		fputs(settings, f);
		fclose(f);
		free(p);
	}
	if (hostname != NULL) {
		p = xasprintf("%s/etc/hostname", dir);
		f = fopen(p, "w");
		fputs(hostname, f);
		fclose(f);
		free(p);
	}
	return dir;
}

static void
rmroot(char *dir)
{
	char *p = xasprintf("rm -rf %s", dir);

	free(test_run(p));
	free(p);
	free(dir);
}

static void
test_settings_full(void **state)
{
	char *root = mkroot("# comment\n"
	    "public_ipv4 = 192.0.2.25, 198.51.100.7\n"
	    "public_ipv6 = 2001:DB8:0:0::25\n"
	    "domains = Example.ORG example.net\n"
	    "dmarc_rua = mailto:d@example.org\n"
	    "dmarc_policy = reject\n"
	    "opendkim_conf = /usr/local/etc/opendkim.conf\n", NULL);
	struct settings *s;
	char *cause = NULL;

	(void)state;
	s = settings_load(root, NULL, 0, &cause);
	assert_non_null(s);
	assert_string_equal(s->path, "/etc/notspam/notspam.conf");
	assert_true(s->have_ipv4);
	assert_int_equal(s->public_ipv4.n, 2);
	assert_string_equal(s->public_ipv4.v[1], "198.51.100.7");
	assert_string_equal(s->public_ipv6.v[0], "2001:db8::25");
	assert_string_equal(s->domains.v[0], "example.org");
	assert_string_equal(s->dmarc_rua, "mailto:d@example.org");
	assert_string_equal(s->dmarc_policy, "reject");
	assert_string_equal(settings_backend(s, "opendkim")->config,
	    "/usr/local/etc/opendkim.conf");
	assert_null(settings_backend(s, "opensmtpd")->config);
	settings_free(s);
	rmroot(root);
}

static void
test_settings_missing_default(void **state)
{
	char *root = mkroot(NULL, NULL), *cause = NULL;
	struct settings *s;

	(void)state;
	s = settings_load(root, NULL, 0, &cause);
	assert_non_null(s);
	assert_null(s->path);
	assert_false(s->have_ipv4);
	settings_free(s);
	assert_null(settings_load(root, "/etc/notspam/x.conf", 1, &cause));
	assert_string_equal(cause, "/etc/notspam/x.conf: no such file");
	free(cause);
	rmroot(root);
}

/* Each bad line gives a message with file:line and the fix. */
static void
test_settings_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "public_ipv4 = 2001:db8::1\n",
		    "notspam.conf:1: public_ipv4: \"2001:db8::1\" is not an "
		    "IPv4 address" },
		{ "\npublic_ipv6 = fe80::1%eth0\n",
		    "notspam.conf:2: public_ipv6: \"fe80::1%eth0\" is not an "
		    "IPv6 address" },
		{ "domains = exa_mple.org\n", "notspam.conf:1: domains: "
		    "\"exa_mple.org\" is not a domain name" },
		{ "domains = org\n", "is not a domain name" },
		{ "dmarc_policy = strict\n", "notspam.conf:1: dmarc_policy "
		    "must be none, quarantine or reject" },
		{ "dmarc_rua = d@example.org\n", "must be a mailto: URI" },
		{ "smtpd_conf = etc/smtpd.conf\n", "must be an absolute path" },
		{ "colour = blue\n", "notspam.conf:1: unknown setting "
		    "\"colour\"; known: public_ipv4" },
		{ "public_ipv4 192.0.2.1\n", "notspam.conf:1:" },
	};
	size_t i;
	char *root, *cause;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		root = mkroot(cases[i].text, NULL);
		cause = NULL;
		assert_null(settings_load(root, NULL, 0, &cause));
		assert_non_null(cause);
		if (strstr(cause, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\"", i, cause);
		free(cause);
		rmroot(root);
	}
}

/* An empty root: no program, hostname from /etc/hostname, domains and
 * addresses from the settings file. */
static void
test_site_settings_only(void **state)
{
	char *root = mkroot("public_ipv4 = 192.0.2.1\n"
	    "domains = example.org\n", "mx1.example.org\n");
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	assert_int_equal(site->nprograms, 0);
	assert_string_equal(site->hostname, "mx1.example.org");
	assert_string_equal(site->hostname_source, "/etc/hostname");
	assert_int_equal(site->ndomains, 1);
	assert_true(site->domains[0].receives);
	assert_int_equal(site->ipv4.n, 1);
	assert_int_equal(site->ipv6.n, 0);
	assert_string_equal(site->addr_source, "/etc/notspam/notspam.conf");
	/* No IPv6 set and none detectable under --root: said so. */
	assert_true(site->addr_notes.n >= 1);
	assert_non_null(strstr(site->addr_notes.v[site->addr_notes.n - 1],
	    "no public IPv6 address"));
	site_free(site);
	rmroot(root);
}

/* A host name without a domain is reported: receivers reject such HELOs. */
static void
test_site_short_hostname(void **state)
{
	char *root = mkroot("domains = example.org\n", "mail\n");
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	assert_string_equal(site->hostname, "mail");
	assert_int_equal(site->warnings.n, 1);
	assert_non_null(strstr(site->warnings.v[0], "/etc/hostname: the mail "
	    "host name \"mail\" is not fully qualified"));
	assert_int_equal(site_warning_severity(site, 0), SITE_SEV_FAIL);
	site_free(site);
	rmroot(root);
}

static void
test_site_builders(void **state)
{
	struct site *site = xcalloc(1, sizeof *site);

	(void)state;
	site_add_domain(site, "Example.org", 0, "a", NULL);
	site_add_domain(site, "example.ORG", 1, "b", NULL);
	site_add_domain(site, "example.org", 0, "a", NULL);
	site_add_domain(site, "example.org", 0, "A", NULL);
	assert_int_equal(site->ndomains, 1);
	assert_string_equal(site->domains[0].name, "example.org");
	assert_true(site->domains[0].receives);
	assert_int_equal(site->domains[0].sources.n, 2);
	site_add_key(site, "example.org", "s1", "/k", "opendkim", "t:1", NULL);
	site_add_key(site, "EXAMPLE.org", "s1", "/k", "opendkim", "t:2", NULL);
	assert_int_equal(site->nkeys, 1);
	assert_null(site->keys[0].loc.file);
	site_add_fact(site, "postfix", "x", "1", "main.cf:1", NULL);
	site_add_fact(site, "postfix", "x", "2", "main.cf:9", NULL);
	assert_string_equal(site_fact(site, "postfix", "x")->value, "2");
	assert_null(site_fact(site, "opendkim", "x"));
	site_warn(site, "w %d", 1);
	site_warn(site, "w %d", 1);
	site_warn(site, "W %d", 1);
	site_warn(site, "w %d", 2);
	assert_int_equal(site->warnings.n, 2);
	assert_int_equal(site_warning_severity(site, 0), SITE_SEV_WARN);
	/* Said again as a failure, a warning becomes one; never back. */
	site_fail(site, "w %d", 2);
	site_warn(site, "w %d", 2);
	site_fail(site, "f");
	assert_int_equal(site->warnings.n, 3);
	assert_int_equal(site_warning_severity(site, 0), SITE_SEV_WARN);
	assert_int_equal(site_warning_severity(site, 1), SITE_SEV_FAIL);
	assert_int_equal(site_warning_severity(site, 2), SITE_SEV_FAIL);
	assert_string_equal(site_severity_name(SITE_SEV_FAIL), "fail");
	assert_string_equal(site_severity_name(SITE_SEV_WARN), "warn");
	assert_non_null(site_domain(site, "EXAMPLE.ORG"));
	site_free(site);
}

/* A warning's parts: where, the problem, the fix; joined, the text. */
static void
test_site_warning_parts(void **state)
{
	static const struct {
		const char *text, *where, *problem, *fix;
	} t[] = {
		{ "/etc/postfix/main.cf:58: postfix smtpd dials inet:[::1]:1, "
		  "but opendkim listens on inet:1@localhost (a: b); make the "
		  "two agree (dial one; or the other)",
		  "/etc/postfix/main.cf:58", "postfix smtpd dials inet:[::1]:1, "
		  "but opendkim listens on inet:1@localhost (a: b); make the "
		  "two agree (dial one", "or the other)" },
		{ "/etc/dkimproxy_out.conf:12: DomainKeys signatures are "
		  "obsolete; remove this signature line",
		  "/etc/dkimproxy_out.conf:12", "DomainKeys signatures are "
		  "obsolete", "remove this signature line" },
		{ "default: a hop; fix", "default", "a hop", "fix" },
		{ "/etc/postfix/master.cf: missing; reinstall it",
		  "/etc/postfix/master.cf", "missing", "reinstall it" },
		{ "main.cf: no fix here", NULL, "main.cf: no fix here", NULL },
		{ "the mail host: x", NULL, "the mail host: x", NULL },
		{ "", NULL, "", NULL },
	};
	char *w, *p, *f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		site_warning_parts(t[i].text, &w, &p, &f);
		if (t[i].where == NULL)
			assert_null(w);
		else
			assert_string_equal(w, t[i].where);
		assert_string_equal(p, t[i].problem);
		if (t[i].fix == NULL)
			assert_null(f);
		else
			assert_string_equal(f, t[i].fix);
		free(w);
		free(p);
		free(f);
	}
}

static void
test_valid_domain(void **state)
{
	static const char *const good[] = { "example.org", "a.b-c.example",
	    "xn--bcher-kva.example", "1.example", NULL };
	static const char *const bad[] = { "", "org", "-a.example",
	    "a-.example", "a..example", ".example", "example.", "a_b.example",
	    "ex\033ample.org", "ex ample.org", NULL };
	char label[80], longname[300];
	int i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		assert_true(site_valid_domain(good[i], 0));
	for (i = 0; bad[i] != NULL; i++)
		if (site_valid_domain(bad[i], 0))
			fail_msg("%s should be invalid", bad[i]);
	assert_true(site_valid_domain("mail", 1));
	memset(label, 'a', 64);
	strcpy(label + 64, ".example");
	assert_false(site_valid_domain(label, 0));
	memset(longname, 'a', sizeof longname);
	for (i = 50; i < 290; i += 50)
		longname[i] = '.';
	longname[260] = '\0';
	assert_false(site_valid_domain(longname, 0));
	assert_true(site_is_localhost("localhost.localdomain"));
	assert_true(site_is_localhost("LOCALHOST.example.org"));
	assert_false(site_is_localhost("localhostx.example.org"));
}

/* The demo sandbox: hand-over addresses matched with listeners. */
static void
test_site_demo_links(void **state)
{
	struct site *site;
	char *cause = NULL;
	size_t i;
	int milter = 0, relay = 0, back = 0;

	(void)state;
	site = site_load("share/demo", NULL, &cause);
	assert_non_null(site);
	for (i = 0; i < site->nlinks; i++) {
		const struct site_link *l = &site->links[i];
		if (strcmp(l->from, "postfix smtpd") == 0 &&
		    strcmp(l->kind, "milter") == 0) {
			/* Same port, other family: still the OpenDKIM hop. */
			assert_string_equal(l->to, "opendkim");
			assert_string_equal(l->address, "inet:[::1]:12345");
			milter = 1;
		}
		if (strcmp(l->from, "opensmtpd") == 0 &&
		    strcmp(l->kind, "relay") == 0) {
			assert_string_equal(l->to, "dkimproxy");
			relay = 1;
		}
		if (strcmp(l->from, "dkimproxy") == 0 &&
		    strcmp(l->kind, "relay") == 0) {
			assert_string_equal(l->to, "opensmtpd");
			back = 1;
		}
	}
	assert_true(milter && relay && back);
	assert_string_equal(site->hostname, "mail.example.org");
	assert_int_equal(site->ipv4.n, 1);
	assert_string_equal(site->ipv6.v[0], "2001:db8::25");
	site_free(site);
}


/* Count how often *pp moved while adding: geometric growth moves an array
 * O(log n) times; growth by one element would move it up to n times. */
static void
test_site_growth_linear(void **state)
{
	struct site *site = xcalloc(1, sizeof *site);
	const void *last = NULL, *lastw = NULL, *lasts = NULL;
	size_t i, moves = 0, wmoves = 0, smoves = 0, n = 90000;
	char name[64], src[64];

	(void)state;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "d%zu.example.org", i);
		site_add_domain(site, name, 1, "postfix virtual_alias_domains "
		    "(/etc/postfix/main.cf:2)", NULL);
		if ((const void *)site->domains != last) {
			moves++;
			last = site->domains;
		}
		site_warn(site, "w %zu", i);
		if ((const void *)site->warnings.v != lastw) {
			wmoves++;
			lastw = site->warnings.v;
		}
		/* one domain named on every line of a table */
		snprintf(src, sizeof src, "postfix relay_domains (/t:%zu)", i);
		site_add_domain(site, "d0.example.org", 1, src, NULL);
		if ((const void *)site->domains[0].sources.v != lasts) {
			smoves++;
			lasts = site->domains[0].sources.v;
		}
	}
	assert_int_equal(site->ndomains, n);
	assert_int_equal(site->warnings.n, n);
	assert_int_equal(site->domains[0].sources.n, n + 1);
	/* again: nothing new */
	site_add_domain(site, "D0.example.org", 1, "postfix relay_domains "
	    "(/t:7)", NULL);
	site_warn(site, "W 7");
	assert_int_equal(site->domains[0].sources.n, n + 1);
	assert_int_equal(site->warnings.n, n);
	assert_true(moves <= 20);
	assert_true(wmoves <= 20);
	assert_true(smoves <= 20);
	site_free(site);
}

/* 90,000 virtual_alias_domains on one line of main.cf: every domain, no
 * expansion warning (the value is 1.7 MB; the limit is on recursion). */
static void
test_site_90k_domains(void **state)
{
	char *root = mkroot(NULL, NULL), *p, *cause = NULL;
	struct site *site;
	size_t i;
	FILE *f;

	(void)state;
	p = xasprintf("mkdir -p %s/etc/postfix && touch "
	    "%s/etc/postfix/master.cf", root, root);
	free(test_run(p));
	free(p);
	p = xasprintf("%s/etc/postfix/main.cf", root);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("myhostname = mail.example.org\nvirtual_alias_domains =", f);
	for (i = 0; i < 90000; i++)
		fprintf(f, " d%zu.example.org", i);
	fputs("\nrelay_domains = $virtual_alias_domains\n", f);
	fclose(f);
	free(p);
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	assert_int_equal(site->ndomains, 90000);
	assert_non_null(site_domain(site, "d89999.example.org"));
	assert_int_equal(site_domain(site, "d5.example.org")->sources.n, 2);
	for (i = 0; i < site->warnings.n; i++)
		assert_null(strstr(site->warnings.v[i], "expansion"));
	site_free(site);
	rmroot(root);
}

/* The HELO name: the first one set wins, lower-cased; without one it is
 * the hostname; the unread-signer flag keeps its first name too. */
static void
test_site_helo(void **state)
{
	char *root = mkroot("public_ipv4 = 192.0.2.25\n", "mail.example.org\n");
	struct site *site;
	char *cause = NULL;

	(void)state;
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	assert_null(site->helo);
	assert_string_equal(site_helo(site), "mail.example.org");
	site_set_helo(site, "Out.Example.ORG", "main.cf:3", NULL);
	site_set_helo(site, "other.example.org", "smtpd.conf:9", NULL);
	assert_string_equal(site_helo(site), "out.example.org");
	assert_string_equal(site->helo_source, "main.cf:3");
	assert_null(site->helo_loc.file);
	assert_string_equal(site->hostname, "mail.example.org");
	assert_null(site->unread_signer);
	site_set_unread_signer(site, "rspamd", "main.cf:7");
	site_set_unread_signer(site, "other", "main.cf:8");
	assert_string_equal(site->unread_signer, "rspamd");
	assert_string_equal(site->unread_signer_source, "main.cf:7");
	site_free(site);
	rmroot(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_full),
		cmocka_unit_test(test_settings_missing_default),
		cmocka_unit_test(test_settings_errors),
		cmocka_unit_test(test_site_settings_only),
		cmocka_unit_test(test_site_short_hostname),
		cmocka_unit_test(test_site_builders),
		cmocka_unit_test(test_valid_domain),
		cmocka_unit_test(test_site_demo_links),
		cmocka_unit_test(test_site_growth_linear),
		cmocka_unit_test(test_site_90k_domains),
		cmocka_unit_test(test_site_helo),
		cmocka_unit_test(test_site_warning_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
