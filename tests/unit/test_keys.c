/* test_keys.c: the key lifecycle (core/keys/keylife): free selectors,
 * rotation options, the switch verdict, retire and revoke (refused for the
 * active key, recorded with the key's path), new keys recorded the same
 * way whether made blocking (the command line) or on the loop (the
 * console), and a probe's states settled and saved by the core.
 *
 * Each test runs on a copy of share/demo (its keys from `make demo-keys`)
 * in a temporary root, as tests/shell/keys.sh does.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/dns/dns.h"
#include "core/keys/keygen.h"
#include "core/keys/keylife.h"
#include "core/keys/keys.h"
#include "core/keys/keystate.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/site/site.h"

static char root[64];
static struct site *site;

static int
setup(void **state)
{
	char cmd[256], *out, *cause = NULL;

	(void)state;
	snprintf(root, sizeof root, "/tmp/notspam-keys-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(cmd, sizeof cmd, "cp -a share/demo/. '%s/' && echo ok", root);
	out = test_run(cmd);
	if (strcmp(out, "ok\n") != 0) {
		free(out);
		return -1;
	}
	free(out);
	if ((site = site_load(root, NULL, &cause)) == NULL) {
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256], *out;

	(void)state;
	site_free(site);
	site = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	out = test_run(cmd);
	free(out);
	return 0;
}

/* root/rel in a static buffer. */
static const char *
test_path(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof path, "%s/%s", root, rel);
	return path;
}

/* The state file's text (empty when there is none); caller frees. */
static char *
state_text(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "cat '%s/var/lib/notspam/keys.state' "
	    "2>/dev/null | grep -v '^#'", root);
	return test_run(cmd);
}

/* Mid-November 2026 at noon, local time: the default selector 202611. */
static time_t
november(void)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = 15;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Make the key of opts blocking, as "keygen" does; asserts it worked. */
static void
make_key(struct keys_gen *g, const char *domain, const char *selector,
    const char *type)
{
	struct keys_gen_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof o);
	o.domain = domain;
	o.selector = selector;
	o.type = type;
	if (keys_gen_prepare(site, &o, time(NULL), g, &cause) != KEYS_OK)
		fail_msg("prepare %s %s: %s", domain, selector, cause);
	if (keys_generate(g, &cause) != KEYS_OK)
		fail_msg("generate %s %s: %s", domain, selector, cause);
}

static void
test_free_selector(void **state)
{
	struct keystate ks;
	char *sel, *path, *host;
	time_t t = november();
	int fd;

	(void)state;
	memset(&ks, 0, sizeof ks);
	/* Nothing uses 202611 for example.com: the date itself. */
	sel = keys_free_selector(site, &ks, "example.com", "rsa", "opendkim",
	    t);
	assert_string_equal(sel, "202611");
	free(sel);
	sel = keys_free_selector(site, &ks, "example.com", "ed25519",
	    "opendkim", t);
	assert_string_equal(sel, "ed202611");
	free(sel);

	/* Taken in the state file. */
	keystate_set(&ks, "example.com", "202611", KEYSTATE_GENERATED, 1,
	    "/elsewhere/k.private");
	assert_non_null(strstr(keys_selector_taken(site, &ks, "example.com",
	    "202611"), "state file"));
	sel = keys_free_selector(site, &ks, "example.com", "rsa", "opendkim",
	    t);
	assert_string_equal(sel, "202611b");
	free(sel);
	keystate_free(&ks);

	/* Taken by the signer configuration: the demo's example.net key. */
	memset(&ks, 0, sizeof ks);
	assert_non_null(strstr(keys_selector_taken(site, &ks, "example.net",
	    "202611"), "key.table"));
	sel = keys_free_selector(site, &ks, "example.net", "rsa", "opendkim",
	    t);
	assert_string_equal(sel, "202611b");
	free(sel);

	/* Taken by a file at the default path (nothing else knows it). */
	path = keygen_default_path("opendkim", "example.com", "202611");
	host = xasprintf("%s%s", root, path);
	fd = open(host, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(keys_selector_taken(site, &ks, "example.com", "202611"));
	sel = keys_free_selector(site, &ks, "example.com", "rsa", "opendkim",
	    t);
	assert_string_equal(sel, "202611b");
	free(sel);
	/* And b in the state file as well: c. */
	keystate_set(&ks, "example.com", "202611b", KEYSTATE_RETIRED, 1, NULL);
	sel = keys_free_selector(site, &ks, "example.com", "rsa", "opendkim",
	    t);
	assert_string_equal(sel, "202611c");
	free(sel);
	keystate_free(&ks);
	free(host);
	free(path);
}

/* The console now gets what the command line had: a taken selector is
 * refused, a missing one is chosen free. */
static void
test_prepare(void **state)
{
	struct keys_gen_opts o;
	struct keys_gen g;
	char *cause = NULL;

	(void)state;
	memset(&o, 0, sizeof o);
	o.domain = "example.org";
	o.selector = "MAIL";
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &g, &cause),
	    KEYS_ETAKEN);
	assert_non_null(strstr(cause, "selector mail of example.org is "
	    "already in use"));
	free(cause);
	cause = NULL;
	keys_gen_free(&g);

	o.domain = "example.net";
	o.selector = NULL;
	assert_int_equal(keys_gen_prepare(site, &o, november(), &g, &cause),
	    KEYS_OK);
	assert_string_equal(g.selector, "202611b");
	assert_string_equal(g.signer, "opendkim");
	assert_string_equal(g.path, "/etc/dkimkeys/example.net_202611b.private");
	keys_gen_free(&g);

	o.selector = "a_b";
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &g, &cause),
	    KEYS_EUSAGE);
	free(cause);
	cause = NULL;
	keys_gen_free(&g);

	o.selector = "s9";
	o.signer = "sendmail";
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &g, &cause),
	    KEYS_EUSAGE);
	assert_non_null(strstr(cause, "--signer"));
	free(cause);
	keys_gen_free(&g);
}

static void
test_rotate_opts(void **state)
{
	struct keys_list *l;
	struct keys_gen_opts o;
	const struct keys_entry *cur;
	char *cause = NULL;

	(void)state;
	assert_non_null(l = keys_list_new(site, &cause));
	memset(&o, 0, sizeof o);
	o.domain = "example.org";
	assert_non_null(cur = keys_rotate_opts(l, &o));
	assert_string_equal(cur->selector, "mail");
	assert_string_equal(o.type, "rsa");
	assert_int_equal(o.bits, 2048);
	assert_string_equal(o.signer, "opendkim");
	memset(&o, 0, sizeof o);
	o.domain = "example.org";
	o.type = "ed25519";
	assert_non_null(cur = keys_rotate_opts(l, &o));
	assert_string_equal(cur->selector, "ed202611");
	assert_int_equal(o.bits, 0);
	memset(&o, 0, sizeof o);
	o.domain = "example.invalid";
	assert_null(keys_rotate_opts(l, &o));
	assert_null(o.type);
	keys_list_free(l);
}

static void
test_retire_active_refused(void **state)
{
	struct keys_list *l;
	struct keys_entry *e;
	struct keys_revoked rv;
	char *cause = NULL, *text;

	(void)state;
	assert_non_null(l = keys_list_new(site, &cause));
	assert_non_null(e = keys_lookup(l, "example.org", "mail", &cause));
	assert_true(e->configured);
	assert_int_equal(keys_retire(l, e, 1000, &cause), KEYS_EREFUSED);
	assert_non_null(strstr(cause, "mail._domainkey.example.org is still "
	    "used by opendkim"));
	free(cause);
	cause = NULL;
	assert_int_equal(keys_revoke(l, e, 1000, &rv, &cause), KEYS_EREFUSED);
	assert_null(rv.record);
	free(cause);
	cause = NULL;
	assert_int_equal(e->state, KEYSTATE_ACTIVE);
	text = state_text();
	assert_string_equal(text, "");	/* nothing written */
	free(text);
	assert_null(keys_lookup(l, "example.org", "nope", &cause));
	assert_non_null(strstr(cause, "no key nope for example.org"));
	free(cause);
	keys_list_free(l);
}

/* Retire and revoke record the key's path (the console once wrote none). */
static void
test_retire_revoke_path(void **state)
{
	struct keys_gen g;
	struct keys_list *l;
	struct keys_entry *e;
	struct keys_revoked rv;
	char *cause = NULL, *text, *want;
	long long now = (long long)time(NULL);

	(void)state;
	make_key(&g, "example.org", "old", "ed25519");
	assert_string_equal(g.path, "/etc/dkimkeys/example.org_old.private");
	keys_gen_free(&g);
	assert_non_null(l = keys_list_new(site, &cause));
	assert_non_null(e = keys_find(l, "example.org", "old"));
	assert_int_equal(keys_retire(l, e, now - 86400, &cause), KEYS_OK);
	assert_int_equal(e->state, KEYSTATE_RETIRED);
	text = state_text();
	want = xasprintf("example.org old retired %lld "
	    "/etc/dkimkeys/example.org_old.private\n", now - 86400);
	assert_string_equal(text, want);
	free(text);
	free(want);
	/* A day after retiring: within the grace period. */
	assert_int_equal(keys_revoke(l, e, now, &rv, &cause), KEYS_OK);
	assert_true(rv.early);
	assert_string_equal(rv.record, "v=DKIM1; k=ed25519; p=");
	keys_revoked_free(&rv);
	keys_list_free(l);
	text = state_text();
	want = xasprintf("example.org old revoked %lld "
	    "/etc/dkimkeys/example.org_old.private\n", now);
	assert_string_equal(text, want);
	free(text);
	free(want);
	/* Read back as the list sees it. */
	assert_non_null(l = keys_list_new(site, &cause));
	assert_non_null(e = keys_find(l, "example.org", "old"));
	assert_int_equal(e->state, KEYSTATE_REVOKED);
	assert_string_equal(e->path, "/etc/dkimkeys/example.org_old.private");
	keys_list_free(l);
}

struct made {
	int		 done;
	int		 ok;
	struct keys_gen	*g;
};

static void
on_made(struct keys_gen *g, const char *cause, void *arg)
{
	struct made *m = arg;

	m->done = 1;
	m->ok = cause == NULL && g->made && g->save_error == NULL;
	m->g = g;
}

/* "keygen" (blocking) and the console's n (on the loop) record their keys
 * the same way: keys_gen_done. */
static void
test_cli_console_same_state(void **state)
{
	struct keys_gen cli, con;
	struct keys_gen_opts o;
	struct keystate ks;
	struct loop *loop;
	struct keygen_job *job;
	struct made m;
	const struct keystate_entry *a, *b;
	char *cause = NULL, *text, *want;

	(void)state;
	make_key(&cli, "example.org", "c1", "ed25519");

	memset(&o, 0, sizeof o);
	o.domain = "example.org";
	o.selector = "c2";
	o.type = "ed25519";
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &con, &cause),
	    KEYS_OK);
	loop = loop_new();
	memset(&m, 0, sizeof m);
	assert_non_null(job = keys_generate_start(loop, &con, on_made, &m,
	    &cause));
	loop_run(loop, &m.done);
	loop_free(loop);
	assert_true(m.done);
	assert_true(m.ok);
	assert_ptr_equal(m.g, &con);

	memset(&ks, 0, sizeof ks);
	assert_int_equal(keystate_load(root, &ks, NULL, &cause), 0);
	assert_int_equal(ks.n, 2);
	assert_non_null(a = keystate_find(&ks, "example.org", "c1"));
	assert_non_null(b = keystate_find(&ks, "example.org", "c2"));
	assert_int_equal(a->state, KEYSTATE_GENERATED);
	assert_int_equal(b->state, KEYSTATE_GENERATED);
	assert_string_equal(a->path, cli.path);
	assert_string_equal(b->path, con.path);
	assert_string_equal(b->path, "/etc/dkimkeys/example.org_c2.private");
	assert_string_equal(con.res.path, con.path);
	assert_string_equal(con.res.pub.type, "ed25519");
	text = state_text();
	want = xasprintf("example.org c1 generated %lld %s\n"
	    "example.org c2 generated %lld %s\n", a->since, cli.path,
	    b->since, con.path);
	assert_string_equal(text, want);
	free(text);
	free(want);
	keystate_free(&ks);
	keys_gen_free(&cli);
	keys_gen_free(&con);

	/* The console's next try of c2 is refused like the command line's. */
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &con, &cause),
	    KEYS_ETAKEN);
	assert_non_null(strstr(cause, "notspam's key state file"));
	free(cause);
	keys_gen_free(&con);
}

static void
test_switch_verdict(void **state)
{
	struct keys_entry e;

	(void)state;
	memset(&e, 0, sizeof e);
	e.published = KEYS_PUB_UNKNOWN;
	assert_int_equal(keys_switch_verdict(&e), KEYS_SWITCH_UNKNOWN);
	e.published = KEYS_PUB_PENDING;
	assert_int_equal(keys_switch_verdict(&e), KEYS_SWITCH_UNKNOWN);
	e.published = KEYS_PUB_NO;
	assert_int_equal(keys_switch_verdict(&e), KEYS_SWITCH_UNPUBLISHED);
	e.published = KEYS_PUB_YES;
	assert_int_equal(keys_switch_verdict(&e), KEYS_SWITCH_GO);
	e.error = (char *)"unreadable";
	assert_int_equal(keys_switch_verdict(&e), KEYS_SWITCH_UNREADABLE);
	e.configured = 1;
	assert_int_equal(keys_switch_verdict(&e), KEYS_SWITCH_ALREADY);
}

/* What the DNS shows decides like check does: the key alone is published;
 * beside a second record, with h=sha1 only, or revoked it is not (keys
 * switch refuses), and the detail says why. */
static void
test_judge(void **state)
{
	struct keys_list *l;
	struct keys_entry *e = NULL;
	char *cause = NULL, *mine, *sha1, *txt[2];
	size_t i, lens[2];

	(void)state;
	assert_non_null(l = keys_list_new(site, &cause));
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].domain, "example.org") == 0 &&
		    strcmp(l->v[i].selector, "mail") == 0)
			e = &l->v[i];
	assert_non_null(e);
	assert_non_null(e->pub.p);
	e->configured = 0;	/* as a new key would be */
	mine = xasprintf("v=DKIM1; k=rsa; p=%s", e->pub.p);
	sha1 = xasprintf("v=DKIM1; k=rsa; h=sha1; p=%s", e->pub.p);

	txt[0] = mine;
	lens[0] = strlen(mine);
	keys_judge(e, (const char *const *)txt, lens, 1);
	assert_int_equal(e->published, KEYS_PUB_YES);
	assert_int_equal(keys_switch_verdict(e), KEYS_SWITCH_GO);

	txt[1] = (char *)"v=DKIM1; k=rsa; p=";
	lens[1] = strlen(txt[1]);
	keys_judge(e, (const char *const *)txt, lens, 2);
	assert_int_equal(e->published, KEYS_PUB_NO);
	assert_int_equal(keys_switch_verdict(e), KEYS_SWITCH_UNPUBLISHED);
	assert_non_null(e->pub_detail);
	assert_non_null(strstr(e->pub_detail, "2"));

	txt[0] = sha1;
	lens[0] = strlen(sha1);
	keys_judge(e, (const char *const *)txt, lens, 1);
	assert_int_equal(e->published, KEYS_PUB_NO);
	assert_non_null(strstr(e->pub_detail, "sha256"));

	txt[0] = (char *)"v=DKIM1; k=rsa; p=";
	lens[0] = strlen(txt[0]);
	keys_judge(e, (const char *const *)txt, lens, 1);
	assert_int_equal(e->published, KEYS_PUB_NO);
	assert_string_equal(e->pub_detail, "revoked (p= empty)");

	free(mine);
	free(sha1);
	keys_list_free(l);
}

/* A generated key s2 of example.org beside the demo's RSA key "mail",
 * in the state file, the key file a copy of mail's; the list. */
static struct keys_list *
switch_list(void)
{
	struct keystate ks;
	struct keys_list *l;
	char cmd[512], *out, *cause = NULL;

	snprintf(cmd, sizeof cmd, "cp '%s/etc/dkimkeys/mail.private' "
	    "'%s/etc/dkimkeys/example.org_s2.private' && echo ok", root, root);
	out = test_run(cmd);
	assert_string_equal(out, "ok\n");
	free(out);
	memset(&ks, 0, sizeof ks);
	keystate_set(&ks, "example.org", "s2", KEYSTATE_GENERATED, 1,
	    "/etc/dkimkeys/example.org_s2.private");
	assert_int_equal(keystate_save(root, &ks, &cause), 0);
	keystate_free(&ks);
	l = keys_list_new(site, &cause);
	assert_non_null(l);
	return l;
}

/* The switch text is the signer backend's: the KeyTable line to remove
 * found through the site key's location (the Ed25519 key, of another
 * type, is not replaced), and the reload its backend finds. */
static void
test_switch_text(void **state)
{
	struct keys_list *l;
	struct keys_entry *e;
	char cmd[512], *t, *out, *cause = NULL;

	(void)state;
	l = switch_list();
	assert_non_null(e = keys_find(l, "example.org", "s2"));
	assert_string_equal(e->signer, "opendkim");
	t = keys_switch_text(site, l, e);
	assert_non_null(strstr(t, "In /etc/opendkim/key.table, add:\n"
	    "\ts2._domainkey.example.org example.org:s2:"
	    "/etc/dkimkeys/example.org_s2.private\n"));
	assert_non_null(strstr(t, "In /etc/opendkim/key.table, remove line 2 "
	    "(selector mail): mail._domainkey.example.org ...\n"));
	assert_non_null(strstr(t, "In /etc/opendkim/signing.table, replace "
	    "the key name mail._domainkey.example.org with "
	    "s2._domainkey.example.org:\n\t*@example.org "
	    "s2._domainkey.example.org\n"));
	assert_null(strstr(t, "ed202611"));
	assert_non_null(strstr(t, "\nThen: systemctl reload opendkim"));
	assert_null(strstr(t, "\nThen: systemctl reload opendkim\n"));
	free(t);
	keys_list_free(l);

	/* Configured as "Example.ORG:MAIL", listed in lower case: still found;
	 * an init script under the root is the reload. */
	snprintf(cmd, sizeof cmd, "sed -i 's/^mail\\._domainkey\\.example\\.org"
	    "\texample\\.org:mail:/mail._domainkey.example.org\t"
	    "Example.ORG:MAIL:/' '%s/etc/opendkim/key.table' && mkdir -p "
	    "'%s/etc/init.d' && : >'%s/etc/init.d/opendkim' && echo ok", root,
	    root, root);
	out = test_run(cmd);
	assert_string_equal(out, "ok\n");
	free(out);
	site_free(site);
	assert_non_null(site = site_load(root, NULL, &cause));
	l = keys_list_new(site, &cause);
	assert_non_null(l);
	assert_non_null(e = keys_find(l, "example.org", "s2"));
	t = keys_switch_text(site, l, e);
	assert_non_null(strstr(t, "In /etc/opendkim/key.table, remove line 2 "
	    "(selector mail): mail._domainkey.example.org ...\n"));
	assert_non_null(strstr(t, "\nThen: /etc/init.d/opendkim reload"));
	free(t);
	keys_list_free(l);
}

/* Signers by the backend table: a name that is none is refused, naming
 * them all; a new key's path is the signer's key directory. */
static void
test_signer_names(void **state)
{
	struct keys_gen_opts o;
	struct keys_gen g;
	char *cause = NULL;

	(void)state;
	memset(&o, 0, sizeof o);
	o.domain = "example.org";
	o.selector = "s3";
	o.signer = "postfix";
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &g, &cause),
	    KEYS_EUSAGE);
	assert_string_equal(cause, "--signer: choose opendkim, dkimproxy or "
	    "filter-dkimsign");
	free(cause);
	cause = NULL;
	keys_gen_free(&g);
	o.signer = "filter-dkimsign";
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &g, &cause),
	    KEYS_OK);
	assert_string_equal(g.path, "/etc/mail/dkim/example.org_s3.key");
	assert_string_equal(g.user, "_dkimsign");
	keys_gen_free(&g);
	o.signer = NULL;
	assert_int_equal(keys_gen_prepare(site, &o, time(NULL), &g, &cause),
	    KEYS_OK);
	assert_string_equal(g.signer, "opendkim");
	assert_string_equal(g.path, "/etc/dkimkeys/example.org_s3.private");
	keys_gen_free(&g);
}

/* What the Keys screen's DNS callback once did itself: advance and save. */
static void
test_settle(void **state)
{
	struct keys_list *l;
	char *cause = NULL, *text;
	size_t i;
	int configured = 0;

	(void)state;
	assert_non_null(l = keys_list_new(site, &cause));
	for (i = 0; i < l->n; i++)
		configured += l->v[i].configured && !l->v[i].tracked;
	assert_true(configured >= 3);
	/* Every configured demo key becomes tracked, active. */
	assert_int_equal(keys_settle(l, 5000, &cause), configured);
	assert_int_equal(keys_settle(l, 6000, &cause), 0);
	keys_list_free(l);
	text = state_text();
	assert_non_null(strstr(text, "example.org mail active 5000 "
	    "/etc/dkimkeys/mail.private\n"));
	assert_non_null(strstr(text, "example.net 202611 active 5000 "));
	free(text);
}

struct watch {
	struct keys_list	*l;
	int			 done;
	int			 calls;
};

static void
on_watch(void *arg)
{
	struct watch *w = arg;

	w->calls++;
	w->done = keys_probe_done(w->l);
}

/* keys_watch: once every answer is in (here: none, nothing listens on the
 * resolver's port), the list has settled and saved its states itself;
 * after keys_probe_stop, the cancellations change nothing. */
static void
test_watch(void **state)
{
	struct dns_opts o;
	struct loop *loop;
	struct dns *dns;
	struct watch w;
	char *cause = NULL, *text;

	(void)state;
	memset(&o, 0, sizeof o);
	o.servers = "127.0.0.1:9";
	o.timeout_ms = 200;
	o.tries = 1;
	loop = loop_new();
	assert_non_null(dns = dns_new(loop, &o, &cause));
	memset(&w, 0, sizeof w);
	assert_non_null(w.l = keys_list_new(site, &cause));
	keys_watch(w.l, dns, on_watch, &w);
	assert_int_equal(w.l->settled, 0);
	loop_run(loop, &w.done);
	assert_true(w.done);
	assert_int_equal(w.calls, (int)w.l->n);
	assert_int_equal(w.l->settled, 1);
	assert_null(w.l->save_error);
	text = state_text();
	assert_non_null(strstr(text, "example.org mail active "));
	free(text);
	keys_list_free(w.l);

	/* Stopped before the resolver goes: nothing settles, nothing runs. */
	assert_int_equal(unlink(test_path("var/lib/notspam/keys.state")), 0);
	memset(&w, 0, sizeof w);
	assert_non_null(w.l = keys_list_new(site, &cause));
	keys_watch(w.l, dns, on_watch, &w);
	keys_probe_stop(w.l);
	dns_free(dns);
	assert_int_equal(w.calls, 0);
	assert_int_equal(w.l->settled, 0);
	text = state_text();
	assert_string_equal(text, "");
	free(text);
	keys_list_free(w.l);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_free_selector, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prepare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotate_opts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retire_active_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire_revoke_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cli_console_same_state,
		    setup, teardown),
		cmocka_unit_test(test_switch_verdict),
		cmocka_unit_test_setup_teardown(test_judge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_signer_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_settle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
