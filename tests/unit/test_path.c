/* test_path.c: the signing path as hops a person reads (core/site/path.h),
 * on the demo and on the corpus-shaped fixture sites (tests/fixtures/sites,
 * each naming its source). */
#include "testutil.h"

#include "core/lib/util.h"
#include "core/site/path.h"
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

/* The hop whose route is route, or a failed test. */
static const struct path_hop *
hop(const struct path *p, const char *route)
{
	size_t i;
	char *r;

	for (i = 0; i < p->nhops; i++) {
		r = path_hop_route(&p->hops[i]);
		if (strcmp(r, route) == 0) {
			free(r);
			return &p->hops[i];
		}
		free(r);
	}
	for (i = 0; i < p->nhops; i++) {
		r = path_hop_route(&p->hops[i]);
		print_message("# hop: %s\n", r);
		free(r);
	}
	fail_msg("no hop \"%s\"", route);
	return NULL;
}

/* The hop's state and detail as shown, compared with want. */
static void
state_is(const struct path_hop *h, const char *want)
{
	char *s = path_hop_state(h);

	assert_string_equal(s, want);
	free(s);
}

/* No "?" stands for a name anywhere in what a person reads. */
static void
no_question_mark(const struct path *p)
{
	size_t i;
	char *r, *s;

	for (i = 0; i < p->nhops; i++) {
		r = path_hop_route(&p->hops[i]);
		s = path_hop_state(&p->hops[i]);
		if (strchr(r, '?') != NULL || strchr(s, '?') != NULL)
			fail_msg("a \"?\" in \"%s  %s\"", r, s);
		free(r);
		free(s);
	}
}

/* The demo: the milter dials ::1, OpenDKIM listens on IPv4 only (named,
 * the listener merged into the hop); OpenSMTPD -> dkimproxy -> back to the
 * listener tagged DKIM, linked. */
static void
test_path_demo(void **state)
{
	struct site *site = load("share/demo");
	struct path *p = path_build(site);
	const struct path_hop *h;
	size_t i;

	(void)state;
	assert_int_equal(p->nhops, 4);
	h = hop(p, "postfix smtpd -> inet:[::1]:12345 -> opendkim");
	assert_int_equal(h->state, PATH_MISMATCH);
	assert_string_equal(h->kind, "milter");
	assert_string_equal(h->listen, "inet:12345@localhost");
	state_is(h, "mismatch: opendkim listens on 127.0.0.1:12345 "
	    "(IPv4 only)");
	assert_int_equal(hop(p, "postfix cleanup -> inet:[::1]:12345 -> "
	    "opendkim")->state, PATH_MISMATCH);
	h = hop(p, "opensmtpd -> 127.0.0.1:10027 -> dkimproxy");
	state_is(h, "linked");
	assert_string_equal(h->listen, "127.0.0.1:10027");
	h = hop(p, "dkimproxy -> 127.0.0.1:10028 -> opensmtpd (tag DKIM)");
	state_is(h, "linked");
	assert_string_equal(h->kind, "relay");
	assert_string_equal(h->listen, "lo0:10028 tag DKIM");
	assert_non_null(h->source);
	/* every listener is dialed: none stands alone */
	for (i = 0; i < p->nhops; i++)
		assert_non_null(p->hops[i].from);
	no_question_mark(p);
	path_free(p);
	site_free(site);
}

/* A chrooted smtpd dialing /run/opendkim/opendkim.sock opens it under the
 * queue directory: a mismatch saying which file; with OpenDKIM listening
 * there (Debian's own layout) the same hop is linked, through the chroot. */
static void
test_path_chroot(void **state)
{
	struct site *site = load(SITES "corpus-chroot");
	struct path *p = path_build(site);
	const struct path_hop *h;
	char dir[] = "/tmp/notspam-path.XXXXXX", *cmd, *root;

	(void)state;
	h = hop(p, "postfix smtpd -> unix:/run/opendkim/opendkim.sock -> "
	    "opendkim");
	state_is(h, "mismatch: it opens "
	    "/var/spool/postfix/run/opendkim/opendkim.sock; opendkim listens "
	    "on /run/opendkim/opendkim.sock");
	path_free(p);
	site_free(site);

	assert_non_null(mkdtemp(dir));
	cmd = xasprintf("cp -R " SITES "corpus-chroot/etc %s/ && sed -i "
	    "'s|^Socket.*|Socket local:/var/spool/postfix/run/opendkim/"
	    "opendkim.sock|' %s/etc/opendkim.conf", dir, dir);
	free(test_run(cmd));
	free(cmd);
	root = xstrdup(dir);
	site = load(root);
	p = path_build(site);
	h = hop(p, "postfix smtpd -> unix:/run/opendkim/opendkim.sock -> "
	    "opendkim");
	assert_int_equal(h->state, PATH_LINKED);
	assert_non_null(h->detail);
	assert_true(str_startswith(h->detail, "unix socket "
	    "/var/spool/postfix/run/opendkim/opendkim.sock (smtp/inet runs "
	    "chrooted in /var/spool/postfix"));
	path_free(p);
	site_free(site);
	cmd = xasprintf("rm -rf %s", root);
	free(test_run(cmd));
	free(cmd);
	free(root);
}

/* linode: a relative socket is taken from queue_directory, where OpenDKIM
 * listens: linked, the file named. */
static void
test_path_linode(void **state)
{
	struct site *site = load(SITES "corpus-linode");
	struct path *p = path_build(site);
	const struct path_hop *h;

	(void)state;
	h = hop(p, "postfix smtpd -> local:opendkim/opendkim.sock -> "
	    "opendkim");
	state_is(h, "linked: unix socket "
	    "/var/spool/postfix/opendkim/opendkim.sock (a relative path is "
	    "taken from queue_directory /var/spool/postfix)");
	assert_int_equal(p->nhops, 2);
	path_free(p);
	site_free(site);
}

/* The milter on 8892, OpenDKIM on 8891: no listener named (where OpenDKIM
 * listens instead), and OpenDKIM's listener on its own, idle. */
static void
test_path_port_mismatch(void **state)
{
	struct site *site = load(SITES "corpus-port-mismatch");
	struct path *p = path_build(site);
	const struct path_hop *h;

	(void)state;
	h = hop(p, "postfix smtpd -> inet:localhost:8892");
	assert_null(h->to);
	assert_null(h->listen);
	state_is(h, "no listener named: opendkim listens on 127.0.0.1:8891 "
	    "instead");
	h = hop(p, "opendkim listens on inet:8891@localhost");
	assert_null(h->from);
	assert_string_equal(h->to, "opendkim");
	assert_string_equal(h->kind, "listen");
	state_is(h, "idle: nothing hands it mail");
	no_question_mark(p);
	path_free(p);
	site_free(site);
}

/* poolp.org's 6.4 config alone: the relay to dkimproxy names nothing read
 * here; the tagged listener nothing dials. */
static void
test_path_poolp_new(void **state)
{
	struct site *site = load(SITES "corpus-poolp-new");
	struct path *p = path_build(site);

	(void)state;
	assert_int_equal(p->nhops, 2);
	state_is(hop(p, "opensmtpd -> 127.0.0.1:10027"), "no listener named");
	state_is(hop(p, "opensmtpd listens on lo0:10028 tag DKIM"),
	    "idle: nothing hands it mail");
	no_question_mark(p);
	path_free(p);
	site_free(site);
}

/* Postfix -> dkimproxy -> the master.cf listener it relays back to. */
static void
test_path_postfix_dkimproxy(void **state)
{
	struct site *site = load(SITES "corpus-postfix-dkimproxy");
	struct path *p = path_build(site);

	(void)state;
	assert_int_equal(p->nhops, 2);
	state_is(hop(p, "postfix submission/inet -> dksign:[127.0.0.1]:10027 "
	    "-> dkimproxy"), "linked");
	state_is(hop(p, "dkimproxy -> 127.0.0.1:10028 -> postfix "
	    "127.0.0.1:10028/inet"), "linked");
	path_free(p);
	site_free(site);
}

/* Filters: filter-dkimsign is run by smtpd (linked, named once though two
 * listen lines use it); rspamd and an unknown filter are not read. */
static void
test_path_filters(void **state)
{
	struct site *site = load(SITES "smtpd-dkimsign");
	struct path *p = path_build(site);

	(void)state;
	assert_int_equal(site->nlinks, 4);
	assert_int_equal(p->nhops, 2);
	state_is(hop(p, "opensmtpd -> filter dkimsign -> filter-dkimsign"),
	    "linked: opensmtpd runs it");
	state_is(hop(p, "opensmtpd -> filter rspamd -> rspamd"),
	    "unknown: notspam does not read rspamd's configuration");
	path_free(p);
	site_free(site);
	site = load(SITES "corpus-hypno-cat");
	p = path_build(site);
	state_is(hop(p, "opensmtpd -> filter senderscore"),
	    "unknown: not a signer notspam reads");
	assert_int_equal(hop(p, "opensmtpd -> filter rspamd -> rspamd")->state,
	    PATH_UNKNOWN);
	no_question_mark(p);
	path_free(p);
	site_free(site);
}

/* mailcow's rspamd milter, iRedMail's placeholder content_filter. */
static void
test_path_unknown(void **state)
{
	struct site *site = load(SITES "corpus-mailcow");
	struct path *p = path_build(site);

	(void)state;
	state_is(hop(p, "postfix smtpd -> inet:rspamd:9900 -> rspamd"),
	    "unknown: notspam does not read rspamd's configuration");
	state_is(hop(p, "postfix 127.0.0.1:10027/inet listens on "
	    "127.0.0.1:10027"), "idle: nothing hands it mail");
	path_free(p);
	site_free(site);
	site = load(SITES "corpus-iredmail");
	p = path_build(site);
	state_is(hop(p, "postfix submission/inet -> content_filter "
	    "PH_AMAVISD_CONTENT_FILTER_ORIGINATING"),
	    "unknown: not an address notspam can read");
	no_question_mark(p);
	path_free(p);
	site_free(site);
}

/* A site without links has no hops; every state has a name. */
static void
test_path_empty(void **state)
{
	struct site *site = load(SITES "empty");
	struct path *p = path_build(site);

	(void)state;
	assert_int_equal(p->nhops, 0);
	assert_null(p->hops);
	path_free(p);
	path_free(NULL);
	site_free(site);
	assert_string_equal(path_state_name(PATH_LINKED), "linked");
	assert_string_equal(path_state_name(PATH_MISMATCH), "mismatch");
	assert_string_equal(path_state_name(PATH_NO_LISTENER),
	    "no listener named");
	assert_string_equal(path_state_name(PATH_UNUSED), "idle");
	assert_string_equal(path_state_name(PATH_UNKNOWN), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_demo),
		cmocka_unit_test(test_path_chroot),
		cmocka_unit_test(test_path_linode),
		cmocka_unit_test(test_path_port_mismatch),
		cmocka_unit_test(test_path_poolp_new),
		cmocka_unit_test(test_path_postfix_dkimproxy),
		cmocka_unit_test(test_path_filters),
		cmocka_unit_test(test_path_unknown),
		cmocka_unit_test(test_path_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
