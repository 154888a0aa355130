/* test_backends.c: what each backend reads into the site model.
 *
 * Every case loads a fixture root (share/demo or tests/fixtures/sites/<name>)
 * through site_load() and checks the programs, domains, keys, links, facts
 * and warnings field by field.
 */
#include "testutil.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include "backends/backend.h"
#include "backends/common.h"
#include "core/conf/conf.h"
#include "core/conf/settings.h"
#include "core/lib/fsroot.h"
#include "core/site/site.h"

#define SITES "tests/fixtures/sites/"

static struct site *
load(const char *root)
{
	struct site *site;
	char *cause = NULL;

	site = site_load(root, NULL, &cause);
	if (site == NULL)
		fail_msg("site_load(%s): %s", root, cause);
	return site;
}

static const char *
fact(const struct site *site, const char *prog, const char *name)
{
	const struct site_fact *f = site_fact(site, prog, name);

	return f != NULL ? f->value : NULL;
}

static const char *
fact_source(const struct site *site, const char *prog, const char *name)
{
	const struct site_fact *f = site_fact(site, prog, name);

	return f != NULL ? f->source : NULL;
}

/* The warning holding both substrings (b may be NULL), or NULL. */
static const char *
warning(const struct site *site, const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < site->warnings.n; i++)
		if (strstr(site->warnings.v[i], a) != NULL &&
		    (b == NULL || strstr(site->warnings.v[i], b) != NULL))
			return site->warnings.v[i];
	return NULL;
}

static const struct site_link *
link_find(const struct site *site, const char *from, const char *kind,
    const char *address)
{
	size_t i;

	for (i = 0; i < site->nlinks; i++)
		if (strcmp(site->links[i].from, from) == 0 &&
		    strcmp(site->links[i].kind, kind) == 0 &&
		    strcmp(site->links[i].address, address) == 0)
			return &site->links[i];
	return NULL;
}

static size_t
link_count(const struct site *site, const char *from)
{
	size_t i, n = 0;

	for (i = 0; i < site->nlinks; i++)
		if (strcmp(site->links[i].from, from) == 0)
			n++;
	return n;
}

static const struct site_key *
key_find(const struct site *site, const char *domain, const char *selector,
    const char *signer)
{
	size_t i;

	for (i = 0; i < site->nkeys; i++)
		if (strcmp(site->keys[i].domain, domain) == 0 &&
		    strcmp(site->keys[i].selector, selector) == 0 &&
		    strcmp(site->keys[i].signer, signer) == 0)
			return &site->keys[i];
	return NULL;
}

static int
has_source(const struct site_domain *d, const char *source)
{
	return d != NULL && strv_find(&d->sources, source) != -1;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* ---- the registry ---- */

static void
test_registry_order(void **state)
{
	(void)state;
	assert_ptr_equal(backends[0], &backend_postfix);
	assert_ptr_equal(backends[1], &backend_opensmtpd);
	assert_ptr_equal(backends[2], &backend_opendkim);
	assert_ptr_equal(backends[3], &backend_dkimproxy);
	assert_ptr_equal(backends[4], &backend_dkimsign);
	assert_null(backends[5]);
	assert_int_equal(backends[0]->role, BACKEND_MTA);
	assert_int_equal(backends[1]->role, BACKEND_MTA);
	assert_int_equal(backends[2]->role, BACKEND_SIGNER);
	assert_int_equal(backends[3]->role, BACKEND_SIGNER);
	assert_int_equal(backends[4]->role, BACKEND_SIGNER);
	assert_string_equal(backend_role_name(BACKEND_MTA), "mta");
	assert_string_equal(backend_role_name(BACKEND_SIGNER), "signer");
}

static void
test_registry_find(void **state)
{
	(void)state;
	assert_ptr_equal(backend_find("postfix"), &backend_postfix);
	assert_ptr_equal(backend_find("opensmtpd"), &backend_opensmtpd);
	assert_ptr_equal(backend_find("opendkim"), &backend_opendkim);
	assert_ptr_equal(backend_find("dkimproxy"), &backend_dkimproxy);
	assert_ptr_equal(backend_find("filter-dkimsign"), &backend_dkimsign);
	assert_null(backend_find("exim"));
	assert_null(backend_find("Postfix"));
	assert_null(backend_find(NULL));
}

static void
test_detect_empty_root(void **state)
{
	struct backend_ctx ctx = { SITES "empty", NULL };
	struct site_program prog;
	size_t i;

	(void)state;
	for (i = 0; backends[i] != NULL; i++) {
		memset(&prog, 0, sizeof prog);
		if (backends[i]->detect == NULL)
			continue;	/* found by another backend */
		assert_int_equal(backends[i]->detect(&ctx, &prog), 0);
		assert_null(prog.name);
		assert_null(prog.config);
	}
}

static void
test_empty_site(void **state)
{
	struct site *site = load(SITES "empty");

	(void)state;
	assert_int_equal(site->nprograms, 0);
	assert_int_equal(site->nfacts, 0);
	assert_int_equal(site->nkeys, 0);
	assert_int_equal(site->nlinks, 0);
	site_free(site);
}

/* Calling a backend directly: a missing main.cf is a load error. */
static void
test_load_missing_config(void **state)
{
	struct backend_ctx ctx = { SITES "empty", NULL };
	struct site_program prog;
	struct site *site = xcalloc(1, sizeof *site);
	char *cause = NULL;

	(void)state;
	memset(&prog, 0, sizeof prog);
	prog.config = (char *)"/etc/postfix/main.cf";
	assert_int_equal(backend_postfix.load(&ctx, &prog, site, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/etc/postfix/main.cf"));
	free(cause);
	cause = NULL;
	prog.config = (char *)"/etc/mail/smtpd.conf";
	assert_int_equal(backend_opensmtpd.load(&ctx, &prog, site, &cause),
	    -1);
	assert_non_null(strstr(cause, "/etc/mail/smtpd.conf"));
	free(cause);
	site_free(site);
}

/* The backends themselves leave the far end of a hand-over as "?". */
static void
test_raw_links(void **state)
{
	struct backend_ctx ctx = { "share/demo", NULL };
	struct site_program prog;
	struct site *site = xcalloc(1, sizeof *site);
	char *cause = NULL;
	const struct site_link *l;

	(void)state;
	memset(&prog, 0, sizeof prog);
	prog.config = (char *)"/etc/postfix/main.cf";
	assert_int_equal(backend_postfix.load(&ctx, &prog, site, &cause), 0);
	prog.config = (char *)"/etc/mail/smtpd.conf";
	assert_int_equal(backend_opensmtpd.load(&ctx, &prog, site, &cause), 0);
	prog.config = (char *)"/etc/dkimproxy_out.conf";
	assert_int_equal(backend_dkimproxy.load(&ctx, &prog, site, &cause), 0);
	l = link_find(site, "postfix smtpd", "milter", "inet:[::1]:12345");
	assert_non_null(l);
	assert_string_equal(l->to, "?");
	l = link_find(site, "opensmtpd", "relay", "127.0.0.1:10027");
	assert_non_null(l);
	assert_string_equal(l->to, "?");
	l = link_find(site, "?", "listen", "lo0:10028 tag DKIM");
	assert_non_null(l);
	assert_string_equal(l->to, "opensmtpd");
	l = link_find(site, "dkimproxy", "relay", "127.0.0.1:10028");
	assert_non_null(l);
	assert_string_equal(l->to, "?");
	assert_int_equal(site->nlinks, 6);
	/* the first MTA sets the host name */
	assert_string_equal(site->hostname, "mail.example.org");
	assert_string_equal(site->hostname_source, "/etc/postfix/main.cf:39");
	site_free(site);
}

/* ---- share/demo: Debian Postfix + OpenDKIM, OpenBSD smtpd + dkimproxy ---- */

static void
test_demo_programs(void **state)
{
	struct site *site = load("share/demo");
	const struct site_program *p;

	(void)state;
	assert_int_equal(site->nprograms, 4);
	assert_string_equal(site->programs[0].name, "postfix");
	assert_string_equal(site->programs[1].name, "opensmtpd");
	assert_string_equal(site->programs[2].name, "opendkim");
	assert_string_equal(site->programs[3].name, "dkimproxy");
	p = site_program(site, "postfix");
	assert_string_equal(p->role, "mta");
	assert_string_equal(p->config, "/etc/postfix/main.cf");
	assert_string_equal(p->version, "3.7.11-0+deb12u1");
	assert_null(p->binary);
	p = site_program(site, "opendkim");
	assert_string_equal(p->role, "signer");
	assert_string_equal(p->config, "/etc/opendkim.conf");
	assert_string_equal(p->version, "2.11.0~beta2-8+deb12u1");
	p = site_program(site, "opensmtpd");
	assert_string_equal(p->config, "/etc/mail/smtpd.conf");
	assert_null(p->version);
	p = site_program(site, "dkimproxy");
	assert_string_equal(p->config, "/etc/dkimproxy_out.conf");
	site_free(site);
}

static void
test_demo_hostname(void **state)
{
	struct site *site = load("share/demo");

	(void)state;
	assert_string_equal(site->hostname, "mail.example.org");
	assert_string_equal(site->hostname_source, "/etc/postfix/main.cf:39");
	assert_string_equal(fact(site, "postfix", "mydomain"), "example.org");
	assert_string_equal(fact_source(site, "postfix", "mydomain"),
	    "default");
	site_free(site);
}

static void
test_demo_postfix_facts(void **state)
{
	struct site *site = load("share/demo");

	(void)state;
	assert_string_equal(fact(site, "postfix", "smtpd_milters"),
	    "inet:[::1]:12345");
	assert_string_equal(fact_source(site, "postfix", "smtpd_milters"),
	    "/etc/postfix/main.cf:58");
	/* non_smtpd_milters = $smtpd_milters, expanded */
	assert_string_equal(fact(site, "postfix", "non_smtpd_milters"),
	    "inet:[::1]:12345");
	assert_string_equal(fact(site, "postfix", "milter_default_action"),
	    "accept");
	assert_string_equal(fact(site, "postfix", "milter_protocol"), "6");
	assert_string_equal(fact(site, "postfix", "inet_protocols"), "all");
	assert_string_equal(fact(site, "postfix", "queue_directory"),
	    "/var/spool/postfix");
	assert_string_equal(fact_source(site, "postfix", "queue_directory"),
	    "default");
	assert_string_equal(fact(site, "postfix", "mail_owner"), "postfix");
	assert_string_equal(fact(site, "postfix", "compatibility_level"),
	    "3.6");
	assert_string_equal(fact_source(site, "postfix",
	    "compatibility_level"), "/etc/postfix/main.cf:22");
	assert_string_equal(fact(site, "postfix", "content_filter"), "");
	assert_string_equal(fact(site, "postfix", "mydestination"),
	    "mail.example.org, example.org, mail.example.org, "
	    "localhost.example.org, localhost");
	site_free(site);
}

static void
test_demo_postfix_domains(void **state)
{
	struct site *site = load("share/demo");
	const struct site_domain *d;

	(void)state;
	d = site_domain(site, "example.org");
	assert_non_null(d);
	assert_int_equal(d->receives, 1);
	assert_true(has_source(d, "postfix mydestination "
	    "(/etc/postfix/main.cf:43)"));
	d = site_domain(site, "example.net");
	assert_non_null(d);
	assert_int_equal(d->receives, 1);
	assert_true(has_source(d, "postfix virtual_alias_domains "
	    "(/etc/postfix/main.cf:52)"));
	/* The host name and the localhost forms are not mail domains. */
	assert_null(site_domain(site, "mail.example.org"));
	assert_null(site_domain(site, "localhost.example.org"));
	assert_null(site_domain(site, "localhost"));
	site_free(site);
}

static void
test_demo_master_cf(void **state)
{
	struct site *site = load("share/demo");

	(void)state;
	assert_string_equal(fact(site, "postfix", "master.cf smtp/inet chroot"),
	    "y");
	assert_string_equal(fact_source(site, "postfix",
	    "master.cf smtp/inet chroot"), "/etc/postfix/master.cf:12");
	assert_string_equal(fact(site, "postfix",
	    "master.cf smtp/inet command"), "smtpd");
	assert_string_equal(fact(site, "postfix",
	    "master.cf submission/inet chroot"), "y");
	assert_string_equal(fact(site, "postfix",
	    "master.cf submission/inet -o syslog_name"), "postfix/submission");
	assert_string_equal(fact(site, "postfix",
	    "master.cf submission/inet -o smtpd_client_restrictions"),
	    "permit_sasl_authenticated, reject");
	assert_string_equal(fact(site, "postfix",
	    "master.cf cleanup/unix chroot"), "y");
	/* Services that do not touch the signing path are not listed. */
	assert_null(fact(site, "postfix", "master.cf pickup/unix chroot"));
	assert_null(fact(site, "postfix", "master.cf smtp/unix chroot"));
	site_free(site);
}

static void
test_demo_links(void **state)
{
	struct site *site = load("share/demo");
	const struct site_link *l;

	(void)state;
	/* the "to" ends are the resolver's (site.c); see test_raw_links */
	l = link_find(site, "postfix smtpd", "milter", "inet:[::1]:12345");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/postfix/main.cf:58");
	l = link_find(site, "postfix cleanup", "milter", "inet:[::1]:12345");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/postfix/main.cf:59");
	l = link_find(site, "opendkim", "listen", "inet:12345@localhost");
	assert_non_null(l);
	assert_string_equal(l->to, "opendkim");
	assert_string_equal(l->source, "/etc/opendkim.conf:38");
	l = link_find(site, "opensmtpd", "relay", "127.0.0.1:10027");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/mail/smtpd.conf:26");
	l = link_find(site, "?", "listen", "lo0:10028 tag DKIM");
	assert_non_null(l);
	assert_string_equal(l->to, "opensmtpd");
	assert_string_equal(l->source, "/etc/mail/smtpd.conf:22");
	l = link_find(site, "dkimproxy", "listen", "127.0.0.1:10027");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/dkimproxy_out.conf:2");
	l = link_find(site, "dkimproxy", "relay", "127.0.0.1:10028");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/dkimproxy_out.conf:5");
	site_free(site);
}

static void
test_demo_opendkim_keys(void **state)
{
	struct site *site = load("share/demo");
	const struct site_key *k;
	const struct site_domain *d;

	(void)state;
	k = key_find(site, "example.org", "mail", "opendkim");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkimkeys/mail.private");
	assert_string_equal(k->source, "/etc/opendkim/key.table:2");
	k = key_find(site, "example.org", "ed202611", "opendkim");
	assert_non_null(k);
	assert_string_equal(k->keyfile,
	    "/etc/dkimkeys/example-org-ed25519.private");
	assert_string_equal(k->source, "/etc/opendkim/key.table:3");
	k = key_find(site, "example.net", "202611", "opendkim");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkimkeys/example-net.private");
	d = site_domain(site, "example.net");
	assert_true(has_source(d, "opendkim KeyTable "
	    "(/etc/opendkim/key.table:4)"));
	/* Every KeyTable key is used by the SigningTable. */
	assert_null(warning(site, "is not used by the SigningTable", NULL));
	/* The keys come from `make demo-keys`: a missing one is a warning. */
	if (fsroot_exists("share/demo", "/etc/dkimkeys/mail.private"))
		assert_null(warning(site, "/etc/opendkim/key.table:2",
		    "does not exist"));
	else
		assert_non_null(warning(site, "/etc/opendkim/key.table:2: key "
		    "file /etc/dkimkeys/mail.private does not exist", NULL));
	site_free(site);
}

static void
test_demo_opendkim_facts(void **state)
{
	struct site *site = load("share/demo");

	(void)state;
	assert_string_equal(fact(site, "opendkim", "Socket"),
	    "inet:12345@localhost");
	assert_string_equal(fact(site, "opendkim", "InternalHosts"),
	    "127.0.0.1, ::1, localhost");
	assert_string_equal(fact_source(site, "opendkim", "InternalHosts"),
	    "/etc/opendkim.conf:48");
	assert_string_equal(fact(site, "opendkim", "UMask"), "007");
	assert_string_equal(fact(site, "opendkim", "MultipleSignatures"),
	    "yes");
	assert_string_equal(fact(site, "opendkim", "Mode"), "sv");
	assert_string_equal(fact_source(site, "opendkim", "Mode"), "default");
	assert_string_equal(fact(site, "opendkim", "default SOCKET"),
	    "local:/run/opendkim/opendkim.sock");
	assert_string_equal(fact_source(site, "opendkim", "default SOCKET"),
	    "/etc/default/opendkim:20");
	/* Debian 12's unit ignores /etc/default/opendkim. */
	assert_string_equal(fact(site, "opendkim", "socket"),
	    "inet:12345@localhost");
	assert_non_null(warning(site, "/etc/default/opendkim:20: SOCKET=local:"
	    "/run/opendkim/opendkim.sock is not the socket", "Debian 12"));
	site_free(site);
}

static void
test_demo_opensmtpd(void **state)
{
	struct site *site = load("share/demo");
	const struct site_domain *d;

	(void)state;
	d = site_domain(site, "lists.example.com");
	assert_non_null(d);
	assert_int_equal(d->receives, 1);
	assert_true(has_source(d, "opensmtpd table domains "
	    "(/etc/mail/smtpd.conf:11)"));
	assert_string_equal(fact(site, "opensmtpd", "listen 4 port"), "10028");
	assert_string_equal(fact(site, "opensmtpd", "listen 4 tag"), "DKIM");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 port"),
	    "submission");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 auth"), "auth");
	assert_string_equal(fact(site, "opensmtpd", "listen 2 hostname"),
	    "mail.example.org");
	assert_string_equal(fact(site, "opensmtpd", "action dkimproxy"),
	    "relay host smtp://127.0.0.1:10027");
	assert_string_equal(fact(site, "opensmtpd", "match 3"),
	    "tag DKIM for any action relay");
	assert_string_equal(fact_source(site, "opensmtpd", "match 3"),
	    "/etc/mail/smtpd.conf:30");
	/* The tag match comes first: no loop. */
	assert_null(warning(site, "mail loop", NULL));
	site_free(site);
}

static void
test_demo_dkimproxy(void **state)
{
	struct site *site = load("share/demo");
	const struct site_key *k;
	const struct site_domain *d;

	(void)state;
	k = key_find(site, "example.com", "obsd", "dkimproxy");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/mail/dkim/example.com.key");
	assert_string_equal(k->source, "/etc/dkimproxy_out.conf:8");
	assert_non_null(key_find(site, "lists.example.com", "obsd",
	    "dkimproxy"));
	d = site_domain(site, "example.com");
	assert_true(has_source(d, "dkimproxy domain "
	    "(/etc/dkimproxy_out.conf:8)"));
	assert_string_equal(fact(site, "dkimproxy", "selector"), "obsd");
	assert_string_equal(fact(site, "dkimproxy", "signature"),
	    "domainkeys(c=nofws)");
	assert_non_null(warning(site, "/etc/dkimproxy_out.conf:12: DomainKeys",
	    "obsolete"));
	site_free(site);
}

/* ---- Postfix: virtual hosting, maps, expansion, master.cf ---- */

static void
test_pf_virtual_program(void **state)
{
	struct site *site = load(SITES "postfix-virtual");
	const struct site_program *p = site_program(site, "postfix");

	(void)state;
	assert_int_equal(site->nprograms, 1);
	assert_string_equal(p->binary, "/usr/sbin/postconf");
	assert_string_equal(p->version, "3.5.25-0+deb11u1");
	/* The removed opendkim package left a stanza: not detected. */
	assert_null(site_program(site, "opendkim"));
	site_free(site);
}

static void
test_pf_default_hostname(void **state)
{
	struct site *site = load(SITES "postfix-virtual");

	(void)state;
	/* /etc/hostname "mx1" + "." + main.cf's mydomain */
	assert_string_equal(site->hostname, "mx1.example.com");
	assert_string_equal(fact(site, "postfix", "myhostname"),
	    "mx1.example.com");
	assert_string_equal(fact_source(site, "postfix", "myhostname"),
	    "default (/etc/hostname + .example.com)");
	assert_string_equal(fact(site, "postfix", "myorigin"),
	    "mx1.example.com");
	site_free(site);
}

static void
test_pf_expansion(void **state)
{
	struct site *site = load(SITES "postfix-virtual");
	const struct site_domain *d;

	(void)state;
	assert_string_equal(fact(site, "postfix", "mydestination"),
	    "mx1.example.com, localhost.example.com, localhost, example.com, "
	    "backup.example.org, sub.example.com");
	/* ${unset:value} and ${set?{v1}:{v2}} */
	d = site_domain(site, "backup.example.org");
	assert_non_null(d);
	assert_true(has_source(d, "postfix mydestination "
	    "(/etc/postfix/main.cf:4)"));
	assert_non_null(site_domain(site, "sub.example.com"));
	assert_null(site_domain(site, "never.example.com"));
	assert_null(site_domain(site, "mx1.example.com"));
	/* $$ is a literal dollar */
	assert_string_equal(fact(site, "postfix", "milter_default_action"),
	    "$literal");
	/* ${set?value} */
	assert_string_equal(fact(site, "postfix", "relay_domains"),
	    "texthash:/etc/postfix/relay");
	site_free(site);
}

static void
test_pf_map_domains(void **state)
{
	struct site *site = load(SITES "postfix-virtual");
	const struct site_domain *d;

	(void)state;
	d = site_domain(site, "example.net");
	assert_non_null(d);
	assert_int_equal(d->receives, 1);
	assert_true(has_source(d, "postfix virtual_mailbox_domains "
	    "(/etc/postfix/vdomains:2)"));
	/* "Example.ORG." is lower-cased, its trailing dot dropped */
	d = site_domain(site, "example.org");
	assert_non_null(d);
	assert_string_equal(d->name, "example.org");
	assert_true(has_source(d, "postfix virtual_mailbox_domains "
	    "(/etc/postfix/vdomains:3)"));
	/* proxy:lmdb: reads the same source file */
	assert_non_null(site_domain(site, "mailbox.example.com"));
	d = site_domain(site, "relay.example.org");
	assert_non_null(d);
	assert_true(has_source(d, "postfix relay_domains "
	    "(/etc/postfix/relay:1)"));
	/* user@domain and .domain keys never match a domain lookup */
	assert_null(site_domain(site, "example.info"));
	assert_null(site_domain(site, "sub.example.net"));
	assert_non_null(warning(site, "/etc/postfix/main.cf:9: "
	    "virtual_alias_domains uses regexp:/etc/postfix/valias.regexp",
	    "notspam.conf `domains`"));
	site_free(site);
}

static void
test_pf_milter_groups(void **state)
{
	struct site *site = load(SITES "postfix-virtual");
	const struct site_link *l;

	(void)state;
	/* "{ inet:..., default_action=accept }": the first word */
	l = link_find(site, "postfix smtpd", "milter", "inet:127.0.0.1:8891");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/postfix/main.cf:13");
	assert_non_null(link_find(site, "postfix smtpd", "milter",
	    "unix:opendkim/opendkim.sock"));
	assert_non_null(link_find(site, "postfix cleanup", "milter",
	    "inet:127.0.0.1:8891"));
	assert_non_null(link_find(site, "postfix cleanup", "milter",
	    "unix:opendkim/opendkim.sock"));
	assert_int_equal(link_count(site, "postfix smtpd"), 2);
	l = link_find(site, "postfix", "content_filter",
	    "amavis:[127.0.0.1]:10024");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/postfix/main.cf:17");
	site_free(site);
}

static void
test_pf_master_overrides(void **state)
{
	struct site *site = load(SITES "postfix-virtual");
	const struct site_link *l;

	(void)state;
	/* The later smtp/inet line wins; "-" means y below level 1. */
	assert_string_equal(fact(site, "postfix", "master.cf smtp/inet command"),
	    "smtpd -v");
	assert_string_equal(fact(site, "postfix", "master.cf smtp/inet chroot"),
	    "y");
	assert_string_equal(fact_source(site, "postfix",
	    "master.cf smtp/inet chroot"), "/etc/postfix/master.cf:3");
	assert_string_equal(fact(site, "postfix",
	    "master.cf submission/inet -o syslog_name"),
	    "postfix/submission");
	l = link_find(site, "postfix submission/inet", "milter",
	    "inet:localhost:8892");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/postfix/master.cf:4");
	assert_non_null(link_find(site, "postfix submission/inet",
	    "content_filter", "dksign:[127.0.0.1]:10027"));
	/* The re-injection service clears both: no link from it. */
	assert_string_equal(fact(site, "postfix",
	    "master.cf 127.0.0.1:10028/inet -o content_filter"), "");
	assert_string_equal(fact(site, "postfix",
	    "master.cf 127.0.0.1:10028/inet chroot"), "n");
	assert_int_equal(link_count(site, "postfix 127.0.0.1:10028/inet"), 0);
	assert_string_equal(fact(site, "postfix",
	    "master.cf cleanup/unix chroot"), "y");
	assert_null(fact(site, "postfix", "master.cf dksign/unix command"));
	site_free(site);
}

static void
test_pf_short_hostname(void **state)
{
	struct site *site = load(SITES "postfix-short-host");

	(void)state;
	assert_string_equal(site->hostname, "mail.localdomain");
	assert_string_equal(fact(site, "postfix", "mydomain"), "localdomain");
	assert_non_null(warning(site, "/etc/postfix/main.cf: myhostname is not "
	    "set", "mail.localdomain"));
	/* Default mydestination holds only the host and localhost forms. */
	assert_int_equal(site->ndomains, 0);
	site_free(site);
}

static void
test_pf_bad_lists(void **state)
{
	struct site *site = load(SITES "postfix-short-host");

	(void)state;
	assert_non_null(warning(site, "/etc/postfix/main.cf:5: milter list",
	    "without its \"}\""));
	assert_non_null(warning(site, "/etc/postfix/master.cf: missing", NULL));
	assert_non_null(warning(site, "deeper than 20 levels", NULL));
	assert_string_equal(fact(site, "postfix", "myorigin"), "");
	assert_int_equal(link_count(site, "postfix smtpd"), 0);
	site_free(site);
}

static void
test_pf_expansion_bomb(void **state)
{
	struct site *site = load(SITES "postfix-bomb");

	(void)state;
	/* 10^15 references: cut short, reported, the rest still read */
	assert_non_null(warning(site, "/etc/postfix/main.cf: parameter "
	    "expansion goes deeper than 20 levels or grows too large", NULL));
	assert_true(has_source(site_domain(site, "example.org"),
	    "postfix mydestination (/etc/postfix/main.cf:19)"));
	/* a /file element: one domain a line */
	assert_true(has_source(site_domain(site, "file.example.org"),
	    "postfix mydestination (/etc/postfix/more-domains:2)"));
	assert_true(strlen(fact(site, "postfix", "mydestination")) <
	    2 * 1024 * 1024);
	assert_string_equal(fact(site, "postfix", "queue_directory"),
	    "/var/spool/postfix");
	assert_string_equal(fact(site, "postfix", "master.cf smtp/inet chroot"),
	    "y");
	site_free(site);
}

/* ---- OpenDKIM ---- */

static void
test_od_single_key(void **state)
{
	struct site *site = load(SITES "opendkim-single");
	const struct site_program *p = site_program(site, "opendkim");
	const struct site_key *k;
	const struct site_domain *d;

	(void)state;
	assert_string_equal(p->config, "/etc/mail/opendkim.conf");
	assert_string_equal(p->binary, "/usr/local/sbin/opendkim");
	assert_string_equal(p->version, "2.10.3p4");	/* /var/db/pkg */
	k = key_find(site, "example.com", "s1", "opendkim");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkimkeys/s1.private");
	assert_string_equal(k->source, "/etc/mail/opendkim.conf:2");
	assert_non_null(key_find(site, "example.net", "s1", "opendkim"));
	d = site_domain(site, "example.net");
	assert_non_null(d);
	assert_int_equal(d->receives, 0);
	assert_true(has_source(d, "opendkim Domain "
	    "(/etc/mail/opendkim.conf:2)"));
	assert_null(warning(site, "does not exist", NULL));
	site_free(site);
}

static void
test_od_single_facts(void **state)
{
	struct site *site = load(SITES "opendkim-single");

	(void)state;
	/* '#' truncates the line anywhere */
	assert_string_equal(fact(site, "opendkim", "Socket"),
	    "local:/var/run/opendkim/opendkim.sock");
	assert_string_equal(fact(site, "opendkim", "socket"),
	    "local:/var/run/opendkim/opendkim.sock");
	assert_non_null(link_find(site, "opendkim", "listen",
	    "local:/var/run/opendkim/opendkim.sock"));
	assert_string_equal(fact(site, "opendkim", "InternalHosts"),
	    "127.0.0.1, ::1");
	assert_string_equal(fact(site, "opendkim", "Mode"), "s");
	assert_string_equal(fact(site, "opendkim", "UserID"),
	    "_opendkim:_opendkim");
	assert_string_equal(fact(site, "opendkim", "Selector"), "s1");
	assert_null(fact(site, "opendkim", "KeyTable"));
	assert_null(fact(site, "opendkim", "default SOCKET"));
	site_free(site);
}

static void
test_od_debian_default(void **state)
{
	struct site *site = load(SITES "opendkim-debian-default");
	const struct site_link *l;

	(void)state;
	/* ${RUNDIR} and $NAME (the init script's "opendkim") expanded */
	assert_string_equal(fact(site, "opendkim", "default SOCKET"),
	    "local:/var/spool/postfix/run/opendkim/opendkim.sock");
	assert_string_equal(fact_source(site, "opendkim", "default SOCKET"),
	    "/etc/default/opendkim:2");
	/* The generated override passes -p $SOCKET: it wins. */
	assert_string_equal(fact(site, "opendkim", "socket"),
	    "local:/var/spool/postfix/run/opendkim/opendkim.sock");
	assert_string_equal(fact_source(site, "opendkim", "socket"),
	    "/etc/systemd/system/opendkim.service.d/override.conf:3");
	l = link_find(site, "opendkim", "listen",
	    "local:/var/spool/postfix/run/opendkim/opendkim.sock");
	assert_non_null(l);
	assert_null(warning(site, "is not the socket", NULL));
	assert_null(warning(site, "Socket is not set", NULL));
	assert_string_equal(fact(site, "opendkim", "InternalHosts"),
	    "127.0.0.1, 10.0.0.0/8");
	site_free(site);
}

static void
test_od_table_checks(void **state)
{
	struct site *site = load(SITES "opendkim-debian-default");

	(void)state;
	assert_non_null(key_find(site, "example.org", "a", "opendkim"));
	assert_non_null(key_find(site, "example.net", "b", "opendkim"));
	assert_non_null(warning(site, "/etc/opendkim/signing.table:1: "
	    "\"*@example.org\" is a wildcard", "refile:"));
	assert_non_null(warning(site, "/etc/opendkim/signing.table:2: key "
	    "\"c\" is not in the KeyTable", NULL));
	assert_non_null(warning(site, "/etc/opendkim/key.table:2: key \"b\" "
	    "is not used by the SigningTable", NULL));
	assert_null(warning(site, "key \"a\" is not used", NULL));
	site_free(site);
}

static void
test_od_sysv_default(void **state)
{
	struct site *site = load(SITES "opendkim-sysv");

	(void)state;
	/* No unit, an init script: /etc/default/opendkim's SOCKET is used. */
	assert_string_equal(fact(site, "opendkim", "socket"), "inet:54321");
	assert_string_equal(fact_source(site, "opendkim", "socket"),
	    "/etc/default/opendkim:1");
	assert_string_equal(fact(site, "opendkim", "Socket"),
	    "inet:8891@localhost");
	assert_null(warning(site, "is not the socket", NULL));
	/* Mode v: verifying only, no key is expected. */
	assert_null(warning(site, "signs nothing", NULL));
	site_free(site);
}

static void
test_od_no_socket(void **state)
{
	struct site *site = load(SITES "opendkim-nosocket");

	(void)state;
	assert_string_equal(fact(site, "opendkim", "socket"), "unset");
	assert_non_null(warning(site, "/etc/opendkim.conf: Socket is not set",
	    "Socket inet:8891@localhost"));
	assert_non_null(warning(site, "/etc/opendkim.conf: no KeyTable and no "
	    "KeyFile", NULL));
	assert_int_equal(link_count(site, "opendkim"), 0);
	site_free(site);
}

static void
test_od_dangling_key(void **state)
{
	struct site *site = load(SITES "opendkim-dangling");
	const struct site_key *k;

	(void)state;
	k = key_find(site, "example.org", "gone", "opendkim");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkimkeys/x.private");
	assert_non_null(warning(site, "/etc/opendkim/key.table:2: key file "
	    "/etc/dkimkeys/x.private does not exist", "fix the path"));
	assert_null(warning(site, "/etc/opendkim/key.table:1:",
	    "does not exist"));
	assert_non_null(key_find(site, "example.org", "ok", "opendkim"));
	site_free(site);
}

static void
test_od_bad_lines(void **state)
{
	struct site *site = load(SITES "opendkim-dangling");

	(void)state;
	assert_non_null(warning(site, "/etc/opendkim/key.table:3: domain "
	    "\"%\"", "notspam.conf `domains`"));
	assert_null(key_find(site, "%", "wild", "opendkim"));
	assert_non_null(warning(site, "/etc/opendkim/key.table:4: key "
	    "\"broken\" needs", NULL));
	assert_non_null(warning(site, "/etc/opendkim/key.table:5: domain "
	    "\"example..org\" is not a valid domain name", NULL));
	assert_non_null(warning(site, "/etc/opendkim/key.table:6: selector "
	    "\"s_1\"", NULL));
	assert_null(key_find(site, "example.org", "s_1", "opendkim"));
	assert_non_null(warning(site, "/etc/opendkim.conf:4: InternalHosts: "
	    "/etc/opendkim/missing.hosts", NULL));
	assert_string_equal(fact(site, "opendkim", "socket"),
	    "inet6:12345@[::1]");
	assert_int_equal(site->nkeys, 2);
	site_free(site);
}

static void
test_od_broken_config(void **state)
{
	struct site *site = load(SITES "opendkim-broken");

	(void)state;
	/* A signer that cannot be parsed is reported, not fatal. */
	assert_non_null(site_program(site, "opendkim"));
	assert_non_null(warning(site, "/etc/opendkim.conf:", "will not start"));
	assert_int_equal(site->nkeys, 0);
	site_free(site);
}

/* ---- OpenSMTPD ---- */

static void
test_sm_dkimsign_keys(void **state)
{
	struct site *site = load(SITES "smtpd-dkimsign");
	const struct site_key *k;
	const struct site_domain *d;

	(void)state;
	k = key_find(site, "example.org", "2024", "filter-dkimsign");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/mail/dkim/private.key");
	assert_string_equal(k->source, "/etc/mail/smtpd.conf:5");
	/* -dexample.com (joined) and -D file */
	assert_non_null(key_find(site, "example.com", "2024",
	    "filter-dkimsign"));
	assert_non_null(key_find(site, "example.net", "2024",
	    "filter-dkimsign"));
	d = site_domain(site, "example.com");
	assert_non_null(d);
	assert_int_equal(d->receives, 0);
	assert_true(has_source(d, "filter-dkimsign (/etc/mail/smtpd.conf:5)"));
	d = site_domain(site, "example.net");
	assert_true(has_source(d, "filter-dkimsign (/etc/mail/dkim/domains:2)"));
	assert_null(warning(site, "/etc/mail/smtpd.conf:5:", NULL));
	site_free(site);
}

static void
test_sm_filter_links(void **state)
{
	struct site *site = load(SITES "smtpd-dkimsign");
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < site->nlinks; i++) {
		const struct site_link *l = &site->links[i];
		if (strcmp(l->kind, "filter") != 0 ||
		    strcmp(l->to, "filter-dkimsign") != 0)
			continue;
		assert_string_equal(l->from, "opensmtpd");
		assert_string_equal(l->address, "dkimsign");
		/* a filter name is no endpoint */
		assert_int_equal(l->sock.transport, SOCKSPEC_NONE);
		n++;
		/* listen on socket (line 9), and via chain "both" (line 10) */
		assert_true(strcmp(l->source, "/etc/mail/smtpd.conf:9") == 0 ||
		    strcmp(l->source, "/etc/mail/smtpd.conf:10") == 0);
	}
	assert_int_equal(n, 2);
	/* filter-rspamd signs, with keys notspam does not read */
	assert_string_equal(link_find(site, "opensmtpd", "filter", "rspamd")->to,
	    "rspamd");
	assert_string_equal(site->unread_signer, "rspamd");
	assert_non_null(warning(site, "/etc/mail/smtpd.conf:7: filter unused "
	    "signs mail, but no listen line uses it", NULL));
	assert_non_null(warning(site, "/etc/mail/smtpd.conf:7: key file "
	    "/etc/mail/dkim/none.key does not exist", NULL));
	site_free(site);
}

static void
test_sm_domains(void **state)
{
	struct site *site = load(SITES "smtpd-dkimsign");
	const struct site_domain *d;

	(void)state;
	d = site_domain(site, "mail.example.net");
	assert_non_null(d);
	assert_int_equal(d->receives, 1);
	assert_true(has_source(d, "opensmtpd table vdomains "
	    "(/etc/mail/vdomains:3)"));
	assert_int_equal(site_domain(site, "example.org")->receives, 1);
	/* inline table: keys of "k = v" and plain entries */
	d = site_domain(site, "example.info");
	assert_non_null(d);
	assert_true(has_source(d, "opensmtpd table inline "
	    "(/etc/mail/smtpd.conf:3)"));
	assert_non_null(site_domain(site, "example.biz"));
	d = site_domain(site, "example.coop");
	assert_non_null(d);
	assert_true(has_source(d, "opensmtpd match (/etc/mail/smtpd.conf:17)"));
	/* relayed, not hosted */
	assert_null(site_domain(site, "relayed.example.org"));
	assert_non_null(warning(site, "/etc/mail/smtpd.conf:4: the domains of "
	    "table <remote> cannot be listed", NULL));
	site_free(site);
}

static void
test_sm_program_and_listen(void **state)
{
	struct site *site = load(SITES "smtpd-dkimsign");
	const struct site_program *p = site_program(site, "opensmtpd");

	(void)state;
	assert_string_equal(p->binary, "/usr/sbin/smtpd");
	assert_string_equal(p->version, "7.0.0-3");
	assert_string_equal(site->hostname, "mx.example.org");
	assert_string_equal(site->hostname_source, "/etc/mail/mailname");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 interface"),
	    "eth0");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 port"), "465");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 tls"), "smtps");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 auth"),
	    "auth-optional");
	assert_string_equal(fact(site, "opensmtpd", "listen 3 filter"),
	    "rspamd");
	assert_string_equal(fact(site, "opensmtpd", "listen 1 interface"),
	    "socket");
	assert_string_equal(fact(site, "opensmtpd", "action lmtp"),
	    "lmtp /run/dovecot/lmtp rcpt-to");
	assert_string_equal(fact_source(site, "opensmtpd", "match 6"),
	    "/etc/mail/smtpd.conf:20");
	site_free(site);
}

static void
test_sm_old_grammar(void **state)
{
	char *cause = NULL;
	struct site *site;

	(void)state;
	site = site_load(SITES "smtpd-old-grammar", NULL, &cause);
	assert_null(site);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/etc/mail/smtpd.conf:4: this smtpd.conf "
	    "uses the grammar from before OpenSMTPD 6.4"));
	assert_non_null(strstr(cause, "match ... action"));
	free(cause);
}

/* A macro named after a smtpd.conf keyword (the demo's "hostname" before
 * issue 9): smtpd -n rejects it; notspam reads on and says so, at the line
 * of the definition, and not of a macro that is no keyword. */
static void
test_sm_keyword_macro(void **state)
{
	struct site *site = load(SITES "smtpd-keyword-macro");

	(void)state;
	assert_non_null(warning(site, "/etc/mail/smtpd.conf:6: the macro"
	    " hostname is named after the smtpd.conf keyword \"hostname\"",
	    "rename the macro"));
	assert_non_null(warning(site, "/etc/mail/smtpd.conf:34: the macro"
	    " port is named after", "every $port as not defined"));
	assert_null(warning(site, "mail_port", NULL));
	/* read on with the value, as before */
	assert_string_equal(site->hostname, "mail.example.org");
	site_free(site);
}

static void
test_sm_loop(void **state)
{
	struct site *site = load(SITES "smtpd-loop");
	const struct site_link *l;

	(void)state;
	assert_string_equal(site_program(site, "opensmtpd")->config,
	    "/etc/smtpd.conf");
	l = link_find(site, "opensmtpd", "relay", "[::1]:10027");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/smtpd.conf:6");
	/* a relay to a remote host is not a signer hand-off */
	assert_null(link_find(site, "opensmtpd", "relay", "mx.example.net:25"));
	l = link_find(site, "?", "listen", "127.0.0.1:10028 tag SIGNED");
	assert_non_null(l);
	assert_string_equal(l->source, "/etc/smtpd.conf:3");
	/* line 9 needs auth (re-injected mail has none); line 10 loops */
	assert_non_null(warning(site, "/etc/smtpd.conf:10: mail tagged SIGNED",
	    "mail loop"));
	assert_null(warning(site, "/etc/smtpd.conf:9:", NULL));
	/* a chain that contains itself ends */
	assert_string_equal(fact(site, "opensmtpd", "listen 3 filter"),
	    "self");
	site_free(site);
}

/* ---- dkimproxy ---- */

static void
test_dp_sender_map(void **state)
{
	struct site *site = load(SITES "dkimproxy-sendermap");
	const struct site_key *k;

	(void)state;
	k = key_find(site, "example.org", "sel1", "dkimproxy");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkim/k1");
	assert_string_equal(k->source, "/etc/dkimproxy/sender_map:2");
	/* sender address: its domain; s= overrides, global keyfile */
	k = key_find(site, "example.net", "sel2", "dkimproxy");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkim/default.key");
	/* d= overrides the domain */
	k = key_find(site, "other.example", "fromsig", "dkimproxy");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkim/k2");
	assert_non_null(warning(site, "/etc/dkimproxy/sender_map:4: key file "
	    "/etc/dkim/k2 does not exist", NULL));
	assert_int_equal(site_domain(site, "other.example")->receives, 0);
	site_free(site);
}

static void
test_dp_domain_file(void **state)
{
	struct site *site = load(SITES "dkimproxy-sendermap");
	const struct site_program *p = site_program(site, "dkimproxy");
	const struct site_key *k;

	(void)state;
	assert_string_equal(p->config, "/etc/dkimproxy/dkimproxy_out.conf");
	assert_string_equal(p->binary, "/usr/local/bin/dkimproxy.out");
	assert_string_equal(p->version, "1.4.1p5");
	/* domains from the file; signature dkim(s=...) beats selector */
	k = key_find(site, "example.edu", "fromsig", "dkimproxy");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkim/default.key");
	assert_string_equal(k->source, "/etc/dkimproxy/domains:3");
	assert_null(key_find(site, "example.edu", "global", "dkimproxy"));
	assert_string_equal(fact(site, "dkimproxy", "sender_map"),
	    "/etc/dkimproxy/sender_map");
	assert_string_equal(fact(site, "dkimproxy", "signature"),
	    "dkim(c=relaxed,s=fromsig)");
	assert_non_null(link_find(site, "dkimproxy", "listen",
	    "127.0.0.1:10027"));
	/* The sender map decides for example.com (domainkeys only, no
	 * DKIM): dkimproxy never signs it with the global key. */
	assert_null(key_find(site, "example.com", "fromsig", "dkimproxy"));
	assert_int_equal(site->nkeys, 4);
	site_free(site);
}

/* ---- hostile input, settings overrides ---- */

static void
test_hostile_sanitized(void **state)
{
	struct site *site = load(SITES "hostile");
	size_t i;

	(void)state;
	for (i = 0; i < site->warnings.n; i++)
		assert_false(has_control(site->warnings.v[i]));
	for (i = 0; i < site->nfacts; i++) {
		assert_false(has_control(site->facts[i].name));
		assert_false(has_control(site->facts[i].value));
	}
	for (i = 0; i < site->nlinks; i++)
		assert_false(has_control(site->links[i].address));
	for (i = 0; i < site->ndomains; i++)
		assert_true(site_valid_domain(site->domains[i].name, 0));
	assert_non_null(link_find(site, "postfix smtpd", "milter",
	    "inet:127.0.0.1:8891\\x1b]0;x\\x07"));
	site_free(site);
}

static void
test_hostile_domains(void **state)
{
	struct site *site = load(SITES "hostile");

	(void)state;
	assert_non_null(site_domain(site, "good.example.org"));
	assert_non_null(site_domain(site, "ok.example.net"));
	assert_non_null(warning(site, "/etc/postfix/main.cf:2: mydestination "
	    "\"ev\\x1b[31mil.example.org\" is not a valid domain name", NULL));
	/* the 300-character label is cut in the message, after 60 bytes */
	assert_non_null(warning(site, "/etc/postfix/main.cf:2: mydestination "
	    "\"aaaa", "aaaa\xe2\x80\xa6\" is not a valid"));
	assert_null(warning(site, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa", NULL));
	assert_non_null(warning(site, "/etc/postfix/vdomains:2: "
	    "virtual_alias_domains \"bad\\x01.example.net\"", NULL));
	assert_non_null(warning(site, "bad_name.example.org", NULL));
	assert_int_equal(site->ndomains, 3);
	site_free(site);
}

static void
test_hostile_keys(void **state)
{
	struct site *site = load(SITES "hostile");

	(void)state;
	assert_int_equal(site->nkeys, 0);
	assert_non_null(warning(site, "/etc/opendkim/key.table:1: domain "
	    "\"ex\\x1b[0mample.com\"", NULL));
	assert_non_null(warning(site, "/etc/opendkim/key.table:2: key file "
	    "path \"/etc/dkim\\x1bkeys/k.private\" holds control characters",
	    NULL));
	assert_non_null(warning(site, "/etc/opendkim/key.table:3: key file "
	    "path \"/etc/dkimkeys/k\\\\x.private\"", "rename the file"));
	assert_non_null(warning(site, "/etc/opendkim/key.table:4: key file "
	    "path \"/etc/dkimkeys/\\xff.private\"", NULL));
	site_free(site);
}

static void
test_settings_paths(void **state)
{
	struct site *site = load(SITES "settings-paths");

	(void)state;
	assert_int_equal(site->nprograms, 2);
	assert_string_equal(site_program(site, "postfix")->config,
	    "/srv/pf/main.cf");
	assert_string_equal(site_program(site, "opendkim")->config,
	    "/srv/dkim/opendkim.conf");
	/* overrides that do not exist: not detected */
	assert_null(site_program(site, "opensmtpd"));
	assert_null(site_program(site, "dkimproxy"));
	assert_true(has_source(site_domain(site, "example.org"),
	    "postfix mydestination (/srv/pf/main.cf:2)"));
	assert_string_equal(fact(site, "opendkim", "default SOCKET"),
	    "inet:8892@localhost");
	assert_string_equal(fact_source(site, "opendkim", "default SOCKET"),
	    "/srv/dkim/default:1");
	assert_non_null(warning(site, "/srv/pf/master.cf: missing", NULL));
	site_free(site);
}


/* ---- what the backends answer about their programs ---- */

/* A new empty root with the given files (site paths) created. */
static char *
mkroot(const char *const *files)
{
	char *dir = xstrdup("/tmp/notspam-be.XXXXXX"), *cmd;
	size_t i;

	assert_non_null(mkdtemp(dir));
	for (i = 0; files != NULL && files[i] != NULL; i++) {
		cmd = xasprintf("mkdir -p \"$(dirname %s%s)\" && touch %s%s",
		    dir, files[i], dir, files[i]);
		free(test_run(cmd));
		free(cmd);
	}
	return dir;
}

static void
rmroot(char *dir)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	free(test_run(cmd));
	free(cmd);
	free(dir);
}

/* The argv joined by blanks, or "ERR: cause". */
static char *
argv_text(const struct strv *argv)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < argv->n; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", argv->v[i]);
	return buf_steal(&b);
}

static char *
reload_of(const struct backend *b, const char *root, int restart)
{
	struct backend_ctx ctx = { root, NULL };
	struct strv argv;
	char *cause = NULL, *t;
	int rc;

	strv_init(&argv);
	rc = restart ? backend_restart_argv(b, &ctx, &argv, &cause) :
	    backend_reload_argv(b, &ctx, &argv, &cause);
	if (rc != 0) {
		assert_int_equal(argv.n, 0);
		t = xasprintf("ERR: %s", cause);
		free(cause);
	} else
		t = argv_text(&argv);
	strv_free(&argv);
	return t;
}

static void
expect_reload(const struct backend *b, const char *root, int restart,
    const char *want)
{
	char *t = reload_of(b, root, restart);

	if (strncmp(want, "ERR:", 4) == 0)
		assert_true(strncmp(t, want, strlen(want)) == 0);
	else
		assert_string_equal(t, want);
	free(t);
}

/* systemd only when /run/systemd/system exists; rcctl; init scripts. */
static void
test_service_commands(void **state)
{
	static const char *const systemd[] = { "/run/systemd/system/x",
	    "/etc/init.d/opendkim", NULL };
	static const char *const sysv[] = { "/etc/init.d/opendkim",
	    "/etc/init.d/opensmtpd", NULL };
	static const char *const obsd[] = { "/usr/sbin/rcctl", NULL };
	char *root;

	(void)state;
	root = mkroot(systemd);
	expect_reload(&backend_opendkim, root, 0,
	    "/usr/bin/systemctl reload opendkim");
	expect_reload(&backend_opendkim, root, 1,
	    "/usr/bin/systemctl restart opendkim");
	/* smtpd re-reads its config only when restarted */
	expect_reload(&backend_opensmtpd, root, 0,
	    "/usr/bin/systemctl restart opensmtpd");
	rmroot(root);

	root = mkroot(sysv);
	expect_reload(&backend_opendkim, root, 0,
	    "/etc/init.d/opendkim reload");
	expect_reload(&backend_opensmtpd, root, 0,
	    "/etc/init.d/opensmtpd restart");
	/* no init script: Postfix's own command, nothing for dkimproxy */
	expect_reload(&backend_postfix, root, 0, "/usr/sbin/postfix reload");
	expect_reload(&backend_dkimproxy, root, 0, "ERR: no service manager");
	expect_reload(&backend_dkimproxy, root, 1, "ERR: no service manager");
	rmroot(root);

	root = mkroot(obsd);
	expect_reload(&backend_opensmtpd, root, 0, "/usr/sbin/rcctl restart "
	    "smtpd");
	expect_reload(&backend_dkimproxy, root, 0, "/usr/sbin/rcctl restart "
	    "dkimproxy_out");
	expect_reload(&backend_opendkim, root, 0, "/usr/sbin/rcctl reload "
	    "opendkim");
	rmroot(root);

	root = mkroot(NULL);
	expect_reload(&backend_opendkim, root, 0, "ERR: no service manager "
	    "or init script found for opendkim: set opendkim.reload");
	expect_reload(&backend_dkimsign, root, 0, "ERR:");
	rmroot(root);
	expect_reload(NULL, NULL, 0, "ERR: no such program");
}

/* The *_reload settings win over every service manager. */
static void
test_service_settings_override(void **state)
{
	static const char *const systemd[] = { "/run/systemd/system/x", NULL };
	char *root = mkroot(systemd), *path, *t;
	struct settings *set;
	struct backend_ctx ctx;
	struct strv argv;
	char *cause = NULL;
	FILE *f;

	(void)state;
	path = xasprintf("%s/notspam.conf", root);
	f = fopen(path, "w");
	fputs("opendkim_reload = /usr/sbin/service opendkim restart\n"
	    "dkimproxy.restart = /usr/local/bin/dkp restart\n", f);
	fclose(f);
	set = settings_load(root, "/notspam.conf", 1, &cause);
	assert_non_null(set);
	ctx.root = root;
	ctx.settings = set;
	strv_init(&argv);
	assert_int_equal(backend_reload_argv(&backend_opendkim, &ctx, &argv,
	    NULL), 0);
	t = argv_text(&argv);
	assert_string_equal(t, "/usr/sbin/service opendkim restart");
	free(t);
	strv_free(&argv);
	/* a restart-only program reloads by its restart command */
	strv_init(&argv);
	assert_int_equal(backend_reload_argv(&backend_dkimproxy, &ctx, &argv,
	    NULL), 0);
	t = argv_text(&argv);
	assert_string_equal(t, "/usr/local/bin/dkp restart");
	free(t);
	strv_free(&argv);
	strv_init(&argv);
	assert_int_equal(backend_reload_argv(&backend_postfix, &ctx, &argv,
	    NULL), 0);
	t = argv_text(&argv);
	assert_string_equal(t, "/usr/bin/systemctl reload postfix");
	free(t);
	strv_free(&argv);
	settings_free(set);
	free(path);
	rmroot(root);
}

/* postfix -c DIR check, opendkim -n -x FILE, smtpd -n -f FILE, none. */
static void
test_validate_commands(void **state)
{
	struct site *site = load("share/demo");
	struct backend_ctx ctx = { "share/demo", site->settings };
	struct strv argv;
	size_t i;
	char *t;
	static const struct {
		const char	*name;
		const char	*want;
	} cases[] = {
		{ "postfix", "/usr/sbin/postfix -c /etc/postfix check" },
		{ "opendkim", "-n -x /etc/opendkim.conf" },
		{ "opensmtpd", "-n -f /etc/mail/smtpd.conf" },
		{ "dkimproxy", "" },
	};

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		strv_init(&argv);
		backend_validate_argv(backend_find(cases[i].name), &ctx,
		    site_program(site, cases[i].name), &argv);
		t = argv_text(&argv);
		if (*cases[i].want == '\0')
			assert_string_equal(t, "");
		else {
			assert_non_null(strstr(t, cases[i].want));
			assert_true(argv.v[0][0] == '/');
		}
		free(t);
		strv_free(&argv);
	}
	site_free(site);
}

/* Users, key paths, pid files and signer names come from the table. */
static void
test_signer_facts(void **state)
{
	struct site *site = load("share/demo");
	char *s;

	(void)state;
	s = backend_user(&backend_opendkim, site);
	assert_string_equal(s, "opendkim");
	free(s);
	s = backend_user(&backend_dkimproxy, NULL);
	assert_string_equal(s, "_dkimproxy");
	free(s);
	s = backend_user(&backend_dkimsign, site);
	assert_string_equal(s, "_dkimsign");
	free(s);
	assert_null(backend_user(&backend_postfix, site));
	assert_null(backend_user(NULL, site));
	s = backend_key_path(&backend_opendkim, "example.org", "s1");
	assert_string_equal(s, "/etc/dkimkeys/example.org_s1.private");
	free(s);
	s = backend_key_path(&backend_dkimproxy, "example.org", "s1");
	assert_string_equal(s, "/etc/mail/dkim/example.org_s1.key");
	free(s);
	s = backend_key_path(&backend_dkimsign, "example.org", "s1");
	assert_string_equal(s, "/etc/mail/dkim/example.org_s1.key");
	free(s);
	s = backend_key_path(NULL, "example.org", "s1");
	assert_string_equal(s, "/etc/dkimkeys/example.org_s1.private");
	free(s);
	assert_ptr_equal(backend_default_signer(), &backend_opendkim);
	assert_ptr_equal(backend_signer("dkimproxy"), &backend_dkimproxy);
	assert_null(backend_signer("postfix"));
	assert_null(backend_signer("nobody"));
	s = backend_signer_names();
	assert_string_equal(s, "opendkim, dkimproxy or filter-dkimsign");
	free(s);
	s = backend_pidfile(&backend_opendkim, site);
	assert_string_equal(s, "/run/opendkim/opendkim.pid");
	free(s);
	s = backend_pidfile(&backend_postfix, site);
	assert_string_equal(s, "/var/spool/postfix/pid/master.pid");
	free(s);
	s = backend_pidfile(&backend_opensmtpd, site);
	assert_string_equal(s, "/var/run/smtpd.pid");
	free(s);
	assert_null(backend_pidfile(&backend_dkimsign, site));
	site_free(site);
}

/* The switch text names the KeyTable line to remove, found through the
 * kept document, not by re-reading the file. */
static void
test_switch_text(void **state)
{
	struct site *site = load("share/demo");
	const struct site_key *k = key_find(site, "example.org", "mail",
	    "opendkim");
	struct backend_key_ref ref;
	struct backend_key_switch sw;
	char *t;

	(void)state;
	assert_non_null(k);
	ref.selector = k->selector;
	ref.path = k->keyfile;
	ref.loc = &k->loc;
	ref.source = k->source;
	sw.domain = "example.org";
	sw.selector = "s2";
	sw.path = "/etc/dkimkeys/example.org_s2.private";
	sw.replaced = &ref;
	sw.nreplaced = 1;
	t = backend_switch_text(&backend_opendkim, site, &sw);
	assert_non_null(strstr(t, "In /etc/opendkim/key.table, add:\n"
	    "\ts2._domainkey.example.org example.org:s2:"
	    "/etc/dkimkeys/example.org_s2.private\n"));
	assert_non_null(strstr(t, "In /etc/opendkim/key.table, remove line 2 "
	    "(selector mail): mail._domainkey.example.org ...\n"));
	assert_non_null(strstr(t, "In /etc/opendkim/signing.table, replace "
	    "the key name mail._domainkey.example.org with "
	    "s2._domainkey.example.org:\n\t*@example.org "
	    "s2._domainkey.example.org\n"));
	/* no service manager in the demo: the common one is named */
	assert_non_null(strstr(t, "\nThen: systemctl reload opendkim"));
	free(t);
	t = backend_switch_text(&backend_dkimproxy, site, &sw);
	assert_non_null(strstr(t, "In /etc/dkimproxy_out.conf, set:\n"
	    "\tselector\ts2\n"));
	free(t);
	t = backend_switch_text(&backend_dkimsign, site, &sw);
	assert_non_null(strstr(t, "In /etc/mail/smtpd.conf, the "
	    "filter-dkimsign command of the \"dkimsign\" filter:\n"
	    "\tfilter-dkimsign -d example.org -s s2 -k "
	    "/etc/dkimkeys/example.org_s2.private\n(replacing -s mail -k "
	    "/etc/dkimkeys/mail.private, /etc/opendkim/key.table:2)\n"));
	assert_non_null(strstr(t, "Then: systemctl restart opensmtpd"));
	free(t);
	assert_null(backend_switch_text(&backend_postfix, site, &sw));
	site_free(site);
}

/* Locations point into documents the site keeps. */
static void
test_locations(void **state)
{
	struct site *site = load("share/demo");
	const struct site_key *k = key_find(site, "example.org", "mail",
	    "opendkim");
	const struct conf_entry *e;
	const struct site_fact *f;
	const struct site_link *l, *m;
	char *t;

	(void)state;
	assert_non_null(k);
	assert_ptr_equal(site_key_find(site, "EXAMPLE.org", "mail",
	    "opendkim"), k);
	assert_null(site_key_find(site, "example.org", "mail", "dkimproxy"));
	assert_string_equal(k->loc.file, "/etc/opendkim/key.table");
	assert_int_equal(k->loc.line, 2);
	assert_ptr_equal(k->loc.doc, site_doc(site,
	    "/etc/opendkim/key.table"));
	e = site_loc_conf_entry(&k->loc);
	assert_non_null(e);
	assert_string_equal(e->key, "mail._domainkey.example.org");
	t = site_loc_format(&k->loc);
	assert_string_equal(t, k->source);
	free(t);
	f = site_fact(site, "opendkim", "Mode");
	assert_non_null(f);
	if (strcmp(f->source, "default") == 0)
		assert_null(f->loc.file);
	f = site_fact(site, "postfix", "smtpd_milters");
	t = site_loc_format(&f->loc);
	assert_string_equal(t, f->source);
	free(t);
	assert_non_null(site_loc_conf_entry(&f->loc));
	assert_string_equal(site_loc_conf_entry(&f->loc)->key,
	    "smtpd_milters");
	assert_non_null(site_doc(site, "/etc/postfix/master.cf"));
	assert_null(site_doc(site, "/etc/nothing"));
	/* links carry their endpoint, parsed once */
	l = link_find(site, "postfix smtpd", "milter", "inet:[::1]:12345");
	assert_non_null(l);
	assert_int_equal(l->sock.transport, SOCKSPEC_INET);
	assert_int_equal(l->sock.port, 12345);
	assert_string_equal(l->sock.address, "::1");
	t = site_loc_format(&l->loc);
	assert_string_equal(t, l->source);
	free(t);
	m = link_find(site, "opendkim", "listen", "inet:12345@localhost");
	assert_non_null(m);
	assert_int_equal(m->sock.family, AF_INET);
	/* linked by port, yet ::1 does not reach an IPv4-only listener */
	assert_string_equal(l->to, "opendkim");
	assert_true(sockspec_matches(&l->sock, &m->sock, SOCKSPEC_MATCH_PORT));
	assert_false(sockspec_matches(&l->sock, &m->sock,
	    SOCKSPEC_MATCH_REACH));
	/* ... which is named, not silence (issue 9 section 2) */
	assert_non_null(l->problem);
	assert_non_null(warning(site, "postfix smtpd dials inet:[::1]:12345, "
	    "but opendkim listens on inet:12345@localhost", "IPv4 only"));
	site_free(site);
}

/* ---- included files, relative paths, hostile paths (issue 9) ---- */

/* Does any warning or fact value hold s? */
static int
site_mentions(const struct site *site, const char *s)
{
	size_t i;

	for (i = 0; i < site->warnings.n; i++)
		if (strstr(site->warnings.v[i], s) != NULL)
			return 1;
	for (i = 0; i < site->nfacts; i++)
		if (strstr(site->facts[i].value, s) != NULL ||
		    strstr(site->facts[i].source, s) != NULL)
			return 1;
	return 0;
}

static void
test_od_include(void **state)
{
	struct site *site = load(SITES "opendkim-include");
	const struct site_key *k;

	(void)state;
	k = key_find(site, "inc.example", "mail", "opendkim");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/etc/dkimkeys/inc.private");
	assert_string_equal(k->source, "/etc/opendkim/key.table:2");
	assert_string_equal(k->loc.file, "/etc/opendkim/key.table");
	assert_string_equal(fact_source(site, "opendkim", "KeyTable"),
	    "/etc/opendkim/signing.conf:3");
	/* The nested include's definition is the last one: it wins. */
	assert_string_equal(fact(site, "opendkim", "Canonicalization"),
	    "relaxed/relaxed");
	assert_string_equal(fact_source(site, "opendkim", "Canonicalization"),
	    "/etc/opendkim/more.conf:2");
	assert_string_equal(fact(site, "opendkim", "socket"),
	    "local:/run/opendkim/opendkim.sock");
	assert_null(warning(site, "signs nothing", NULL));
	assert_null(warning(site, "not used by the SigningTable", NULL));
	assert_non_null(site_doc(site, "/etc/opendkim/signing.conf"));
	site_free(site);
}

static void
test_od_include_loop(void **state)
{
	struct site *site = load(SITES "opendkim-include-loop");

	(void)state;
	/* The loop, reported at the line that closes it. */
	assert_non_null(warning(site, "/etc/opendkim/b.conf:2: Include "
	    "etc/opendkim/a.conf leads back", "include loop"));
	assert_non_null(warning(site, "/etc/opendkim/b.conf:2: Include "
	    "etc/opendkim/a.conf is a relative path", "so it is "
	    "/etc/opendkim/a.conf"));
	assert_non_null(warning(site, "/etc/opendkim/d9.conf:2: Include "
	    "/etc/opendkim/d10.conf is nested more than 10", NULL));
	assert_non_null(warning(site, "/etc/opendkim.conf:6: Include: "
	    "/etc/opendkim/missing.conf: no such file", NULL));
	/* What was read before the loop still counts. */
	assert_string_equal(fact_source(site, "opendkim", "UMask"),
	    "/etc/opendkim/a.conf:2");
	site_free(site);
}

static void
test_sm_include(void **state)
{
	struct site *site = load(SITES "smtpd-include");
	const struct site_domain *d;

	(void)state;
	d = site_domain(site, "inc.example");
	assert_non_null(d);
	assert_int_equal(d->receives, 1);
	assert_true(has_source(d, "opensmtpd match (/etc/mail/domains.conf:4)"));
	assert_string_equal(d->loc.file, "/etc/mail/domains.conf");
	assert_non_null(site_domain(site, "table1.example"));
	assert_non_null(site_domain(site, "table2.example"));
	assert_non_null(warning(site, "/etc/mail/domains.conf:6: include "
	    "/etc/mail/smtpd.conf leads back", "include loop"));
	site_free(site);
}

static void
test_dp_relative_keyfile(void **state)
{
	struct site *site;
	const struct site_key *k;
	char *cwdkey = NULL;
	int fd;

	(void)state;
	/* A private.key in notspam's working directory is not the site's. */
	if (access("private.key", F_OK) != 0) {
		cwdkey = xstrdup("private.key");
		fd = open(cwdkey, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd != -1);
		close(fd);
	}
	site = load(SITES "dkimproxy-relative");
	k = key_find(site, "example.org", "selector1", "dkimproxy");
	assert_non_null(k);
	assert_string_equal(k->keyfile, "/private.key");
	assert_non_null(warning(site, "/etc/dkimproxy_out.conf:19: keyfile "
	    "private.key is a relative path", "so it is /private.key"));
	assert_null(warning(site, "does not exist", NULL));
	site_free(site);
	if (cwdkey != NULL) {
		unlink(cwdkey);
		free(cwdkey);
	}
}

static void
test_masked_passwords(void **state)
{
	struct site *site = load(SITES "opendkim-dsn");
	char *m;

	(void)state;
	assert_false(site_mentions(site, "S3cretPassw0rd"));
	assert_non_null(warning(site, "dsn:mysql://easymail:***@localhost",
	    NULL));
	assert_string_equal(fact(site, "opendkim", "SigningTable"),
	    "dsn:pgsql://opendkim:***@5432+127.0.0.1/modoboa/table=dkim"
	    "?keycol=domain_name?datacol=id");
	site_free(site);
	m = bk_mask_secrets("ldap://cn=x:p@ss@h/ and mysql://u@h/ x://:@y");
	assert_string_equal(m, "ldap://cn=x:***@h/ and mysql://u@h/ x://:@y");
	free(m);
}

static void
test_quote_bounded(void **state)
{
	char *q, long_[200];

	(void)state;
	memset(long_, 'a', sizeof long_ - 1);
	long_[sizeof long_ - 1] = '\0';
	q = bk_quote(long_);
	assert_int_equal(strlen(q), BK_QUOTE_MAX + 3);
	assert_string_equal(q + BK_QUOTE_MAX, "\xe2\x80\xa6");
	free(q);
	/* Escapes are never cut in the middle. */
	memset(long_, '\033', 40);
	long_[40] = '\0';
	q = bk_quote(long_);
	assert_int_equal(strlen(q), 15 * 4 + 3);
	assert_false(has_control(q));
	free(q);
	q = bk_quote("short \xff");
	assert_string_equal(q, "short \\xff");
	free(q);
}

/* `table fd file:/srv/domains`, /srv/domains a symlink to a secret file
 * outside the root: nothing of the secret reaches a message. */
static void
test_symlink_secret(void **state)
{
	char top[] = "/tmp/notspam-secret.XXXXXX", *p, *secret, *cmd;
	struct site *site;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(top));
	secret = xasprintf("%s/shadow", top);
	fd = open(secret, O_WRONLY | O_CREAT, 0600);
	assert_true(fd != -1);
	assert_true(write(fd, "root:$6$notspamtestsecret$x:1::\n", 32) == 32);
	close(fd);
	p = xasprintf("mkdir -p %s/root/etc/mail %s/root/srv && printf '%%s\\n' "
	    "'table fd file:/srv/domains' 'action \"l\" mbox' "
	    "'match from any for domain <fd> action \"l\"' "
	    ">%s/root/etc/mail/smtpd.conf && ln -s %s %s/root/srv/domains",
	    top, top, top, secret, top);
	assert_int_equal(system(p), 0);
	free(p);
	p = xasprintf("%s/root", top);
	site = load(p);
	assert_false(site_mentions(site, "notspamtestsecret"));
	assert_false(site_mentions(site, "root:"));
	assert_non_null(warning(site, "/etc/mail/smtpd.conf:1", "no such file"));
	site_free(site);
	free(p);
	cmd = xasprintf("rm -rf %s", top);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(secret);
}

/* Corpus shapes (issue 9 section 2): fixtures copied from ../shared/corpus,
 * each naming its source in its header. */
#define CORPUS SITES "corpus-"

/* modoboa: no hosted domain, yet what was read is warned (masked). */
static void
test_corpus_no_domain_warnings(void **state)
{
	struct site *site = load(CORPUS "modoboa");
	size_t i;

	(void)state;
	assert_int_equal(site->ndomains, 0);
	assert_non_null(warning(site, "/etc/postfix/main.cf:80: "
	    "virtual_mailbox_domains uses pgsql:", NULL));
	assert_non_null(warning(site, "/etc/opendkim.conf:24: KeyTable "
	    "dsn:pgsql://opendkim:***@", NULL));
	for (i = 0; i < site->warnings.n; i++)
		assert_null(strstr(site->warnings.v[i], "secret"));
	site_free(site);
	site = load(CORPUS "iredmail");
	assert_int_equal(site->ndomains, 0);
	assert_non_null(warning(site, "myhostname \"PH_HOSTNAME\" is not a "
	    "fully qualified", NULL));
	site_free(site);
}

/* The HELO name: smtpd.conf relay helo, relay helo-src <table>, Postfix
 * smtp_helo_name; the hostname (MX target) stays what it was. */
static void
test_corpus_helo(void **state)
{
	struct site *site = load(CORPUS "hypno-cat");

	(void)state;
	assert_string_equal(site->helo, "mail.hypno.cat");
	assert_string_equal(site->helo_source, "/etc/mail/smtpd.conf:28");
	assert_string_equal(site_helo(site), "mail.hypno.cat");
	assert_string_equal(site->hostname, "hypno.cat");
	site_free(site);
	site = load(CORPUS "poolp-new");
	assert_string_equal(site_helo(site), "mx1.poolp.org");
	assert_string_equal(site->helo_source, "/etc/mail/smtpd.conf:29");
	assert_string_equal(site->hostname, "mail.poolp.org");
	site_free(site);
	site = load(CORPUS "helo-postfix");
	assert_string_equal(site_helo(site), "out.example.net");
	assert_string_equal(site->hostname, "mail.example.com");
	assert_string_equal(fact(site, "postfix", "smtp_helo_name"),
	    "out.example.net");
	site_free(site);
	/* without one, the HELO name is the hostname */
	site = load(CORPUS "linode");
	assert_null(site->helo);
	assert_string_equal(site_helo(site), site->hostname);
	site_free(site);
}

/* The HELO name where the MTA takes it for the mail it sends: master.cf
 * "-o smtp_helo_name" on the service of default_transport (over main.cf's
 * smtp_helo_name; another service's is not used), and an OpenSMTPD
 * helo-src table in a file, read inside the root. */
static void
test_helo_out(void **state)
{
	struct site *site = load(SITES "postfix-helo-master");

	(void)state;
	assert_string_equal(site_helo(site), "out.example.org");
	assert_string_equal(site->helo_source, "/etc/postfix/master.cf:6");
	assert_string_equal(fact(site, "postfix",
	    "master.cf smtp/unix -o smtp_helo_name"), "out.example.org");
	assert_null(warning(site, "smtp_helo_name", NULL));
	site_free(site);
	site = load(SITES "postfix-helo-relay");
	assert_string_equal(site_helo(site), "relay.example.org");
	assert_string_equal(site->helo_source, "/etc/postfix/master.cf:8");
	site_free(site);
	site = load(SITES "smtpd-helo-file");
	assert_string_equal(site_helo(site), "mx-out.example.org");
	assert_string_equal(site->helo_source, "/etc/mail/helos:2");
	assert_string_equal(site->hostname, "mail.example.org");
	site_free(site);
}

/* A chrooted smtpd/cleanup dialling unix:/run/opendkim/opendkim.sock
 * opens a file under queue_directory: a broken link, named. */
static void
test_corpus_chroot(void **state)
{
	struct site *site = load(CORPUS "chroot");
	const struct site_link *l;

	(void)state;
	l = link_find(site, "postfix smtpd", "milter",
	    "unix:/run/opendkim/opendkim.sock");
	assert_non_null(l);
	assert_string_equal(l->reach,
	    "/var/spool/postfix/run/opendkim/opendkim.sock");
	assert_non_null(l->problem);
	assert_non_null(warning(site, "/etc/postfix/main.cf:54: postfix smtpd "
	    "hands mail to unix:/run/opendkim/opendkim.sock, which is the file "
	    "/var/spool/postfix/run/opendkim/opendkim.sock", "master.cf:14"));
	assert_non_null(warning(site, "/etc/postfix/main.cf:55: postfix "
	    "cleanup", "cleanup/unix runs chrooted"));
	site_free(site);
	/* linode: relative to queue_directory, where OpenDKIM listens */
	site = load(CORPUS "linode");
	l = link_find(site, "postfix smtpd", "milter",
	    "local:opendkim/opendkim.sock");
	assert_non_null(l);
	assert_string_equal(l->to, "opendkim");
	assert_string_equal(l->reach,
	    "/var/spool/postfix/opendkim/opendkim.sock");
	assert_null(l->problem);
	assert_null(warning(site, "hands mail", NULL));
	site_free(site);
}

/* Problems named: port mismatch, a signer no MTA uses, rspamd. */
static void
test_corpus_problems(void **state)
{
	struct site *site = load(CORPUS "port-mismatch");
	const struct site_link *l;

	(void)state;
	l = link_find(site, "postfix smtpd", "milter", "inet:localhost:8892");
	assert_non_null(l);
	assert_string_equal(l->to, "?");
	assert_non_null(warning(site, "/etc/postfix/main.cf:51: postfix smtpd "
	    "hands mail to inet:localhost:8892, where nothing listens; "
	    "opendkim listens on inet:8891@localhost (/etc/opendkim.conf:15)",
	    NULL));
	site_free(site);
	site = load(CORPUS "opendkim-sample");
	assert_non_null(warning(site, "/etc/opendkim.conf: opendkim has 1 key "
	    "but no MTA hands it mail", NULL));
	site_free(site);
	site = load(CORPUS "mailcow");
	l = link_find(site, "postfix smtpd", "milter", "inet:rspamd:9900");
	assert_non_null(l);
	assert_string_equal(l->to, "rspamd");
	assert_string_equal(site->unread_signer, "rspamd");
	assert_non_null(warning(site, "/etc/postfix/main.cf:145: the milter "
	    "inet:rspamd:9900 is rspamd, a signer notspam does not read",
	    "DMARC"));
	site_free(site);
	site = load(CORPUS "hypno-cat");
	assert_string_equal(site->unread_signer, "rspamd");
	assert_string_equal(link_find(site, "opensmtpd", "filter",
	    "rspamd")->to, "rspamd");
	site_free(site);
	/* no rspamd, no flag */
	site = load(CORPUS "linode");
	assert_null(site->unread_signer);
	site_free(site);
}

/* dkimproxy's relay goes back to the master.cf listener it names. */
static void
test_corpus_dkimproxy_relay(void **state)
{
	struct site *site = load(CORPUS "postfix-dkimproxy");
	const struct site_link *l;

	(void)state;
	l = link_find(site, "dkimproxy", "relay", "127.0.0.1:10028");
	assert_non_null(l);
	assert_string_equal(l->to, "postfix 127.0.0.1:10028/inet");
	assert_null(l->problem);
	assert_non_null(link_find(site, "?", "listen", "127.0.0.1:10028"));
	assert_string_equal(link_find(site, "postfix submission/inet",
	    "content_filter", "dksign:[127.0.0.1]:10027")->to, "dkimproxy");
	site_free(site);
}

/* opendkim.conf.sample: the missing key at KeyFile (line 250), not at
 * Domain (165); the placeholder Socket inet:port@localhost is named. */
static void
test_corpus_keyfile_socket(void **state)
{
	struct site *site = load(CORPUS "opendkim-sample");

	(void)state;
	assert_non_null(warning(site, "/etc/opendkim.conf:250: key file "
	    "/var/db/dkim/example.private does not exist", NULL));
	assert_null(warning(site, "/etc/opendkim.conf:165: key file", NULL));
	assert_non_null(warning(site, "/etc/opendkim.conf:663: Socket: "
	    "\"port\" is not a port", "OpenDKIM does not start"));
	site_free(site);
	/* a Socket that parses is not flagged */
	site = load(CORPUS "port-mismatch");
	assert_null(warning(site, "Socket:", NULL));
	site_free(site);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_order),
		cmocka_unit_test(test_registry_find),
		cmocka_unit_test(test_detect_empty_root),
		cmocka_unit_test(test_empty_site),
		cmocka_unit_test(test_load_missing_config),
		cmocka_unit_test(test_raw_links),
		cmocka_unit_test(test_demo_programs),
		cmocka_unit_test(test_demo_hostname),
		cmocka_unit_test(test_demo_postfix_facts),
		cmocka_unit_test(test_demo_postfix_domains),
		cmocka_unit_test(test_demo_master_cf),
		cmocka_unit_test(test_demo_links),
		cmocka_unit_test(test_demo_opendkim_keys),
		cmocka_unit_test(test_demo_opendkim_facts),
		cmocka_unit_test(test_demo_opensmtpd),
		cmocka_unit_test(test_demo_dkimproxy),
		cmocka_unit_test(test_pf_virtual_program),
		cmocka_unit_test(test_pf_default_hostname),
		cmocka_unit_test(test_pf_expansion),
		cmocka_unit_test(test_pf_map_domains),
		cmocka_unit_test(test_pf_milter_groups),
		cmocka_unit_test(test_pf_master_overrides),
		cmocka_unit_test(test_pf_short_hostname),
		cmocka_unit_test(test_pf_bad_lists),
		cmocka_unit_test(test_pf_expansion_bomb),
		cmocka_unit_test(test_od_single_key),
		cmocka_unit_test(test_od_single_facts),
		cmocka_unit_test(test_od_debian_default),
		cmocka_unit_test(test_od_table_checks),
		cmocka_unit_test(test_od_sysv_default),
		cmocka_unit_test(test_od_no_socket),
		cmocka_unit_test(test_od_dangling_key),
		cmocka_unit_test(test_od_bad_lines),
		cmocka_unit_test(test_od_broken_config),
		cmocka_unit_test(test_sm_dkimsign_keys),
		cmocka_unit_test(test_sm_filter_links),
		cmocka_unit_test(test_sm_domains),
		cmocka_unit_test(test_sm_program_and_listen),
		cmocka_unit_test(test_sm_old_grammar),
		cmocka_unit_test(test_sm_loop),
		cmocka_unit_test(test_sm_keyword_macro),
		cmocka_unit_test(test_dp_sender_map),
		cmocka_unit_test(test_dp_domain_file),
		cmocka_unit_test(test_hostile_sanitized),
		cmocka_unit_test(test_hostile_domains),
		cmocka_unit_test(test_hostile_keys),
		cmocka_unit_test(test_settings_paths),
		cmocka_unit_test(test_service_commands),
		cmocka_unit_test(test_service_settings_override),
		cmocka_unit_test(test_validate_commands),
		cmocka_unit_test(test_signer_facts),
		cmocka_unit_test(test_switch_text),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_od_include),
		cmocka_unit_test(test_od_include_loop),
		cmocka_unit_test(test_sm_include),
		cmocka_unit_test(test_dp_relative_keyfile),
		cmocka_unit_test(test_masked_passwords),
		cmocka_unit_test(test_quote_bounded),
		cmocka_unit_test(test_symlink_secret),
		cmocka_unit_test(test_corpus_no_domain_warnings),
		cmocka_unit_test(test_corpus_helo),
		cmocka_unit_test(test_helo_out),
		cmocka_unit_test(test_corpus_chroot),
		cmocka_unit_test(test_corpus_problems),
		cmocka_unit_test(test_corpus_dkimproxy_relay),
		cmocka_unit_test(test_corpus_keyfile_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
