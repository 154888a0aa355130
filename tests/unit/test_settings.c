/* test_settings.c: notspam.conf's per-backend sections, in the older
 * one-key-per-program names and in the NAME.field form, and the reload
 * setting reaching the backend's reload command. */
#include "testutil.h"

#include <unistd.h>

#include "backends/backend.h"
#include "core/conf/settings.h"
#include "core/lib/util.h"

/* A root holding /notspam.conf with text. */
static char *
mkroot(const char *text)
{
	char *dir = xstrdup("/tmp/notspam-set.XXXXXX"), *p;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	p = xasprintf("%s/notspam.conf", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
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

/* Load text or fail; *root gets the root to remove. */
static struct settings *
load(const char *text, char **root)
{
	struct settings *s;
	char *cause = NULL;

	*root = mkroot(text);
	if ((s = settings_load(*root, "/notspam.conf", 1, &cause)) == NULL)
		fail_msg("%s", cause);
	return s;
}

/* The message of a refused file. */
static char *
refused(const char *text)
{
	char *root = mkroot(text), *cause = NULL;

	assert_null(settings_load(root, "/notspam.conf", 1, &cause));
	assert_non_null(cause);
	rmroot(root);
	return cause;
}

static void
test_legacy_keys(void **state)
{
	char *root;
	struct settings *s = load("postfix_config_dir = /srv/postfix\n"
	    "opendkim_conf = /srv/opendkim.conf\n"
	    "opendkim_default = /srv/default/opendkim\n"
	    "smtpd_conf = /srv/smtpd.conf\n"
	    "dkimproxy_conf = /srv/dkimproxy_out.conf\n"
	    "postfix_reload = /usr/sbin/postfix reload\n"
	    "opendkim_reload = /usr/sbin/service opendkim restart\n"
	    "smtpd_reload = /usr/sbin/rcctl restart smtpd\n"
	    "dkimproxy_reload = /usr/sbin/rcctl restart dkimproxy_out\n",
	    &root);
	const struct settings_backend *b;

	(void)state;
	b = settings_backend(s, "postfix");
	assert_string_equal(b->config, "/srv/postfix");
	assert_int_equal(b->reload.n, 2);
	assert_string_equal(b->reload.v[1], "reload");
	b = settings_backend(s, "opendkim");
	assert_string_equal(b->config, "/srv/opendkim.conf");
	assert_string_equal(b->default_file, "/srv/default/opendkim");
	assert_int_equal(b->reload.n, 3);
	assert_string_equal(b->reload.v[0], "/usr/sbin/service");
	assert_int_equal(b->restart.n, 0);
	b = settings_backend(s, "opensmtpd");
	assert_string_equal(b->config, "/srv/smtpd.conf");
	assert_string_equal(b->reload.v[2], "smtpd");
	b = settings_backend(s, "dkimproxy");
	assert_string_equal(b->config, "/srv/dkimproxy_out.conf");
	assert_string_equal(b->reload.v[2], "dkimproxy_out");
	assert_int_equal(s->nbackends, 4);
	settings_free(s);
	rmroot(root);
}

static void
test_section_keys(void **state)
{
	char *root;
	struct settings *s = load("opendkim.config = /srv/a.conf\n"
	    "opendkim_conf = /srv/b.conf\n"		/* the last one wins */
	    "opendkim.default = /srv/default\n"
	    "opendkim.reload = /bin/kill -HUP 12\n"
	    "opendkim.restart = /etc/rc.d/opendkim   restart\n"
	    "filter-dkimsign.restart = /usr/sbin/rcctl restart smtpd\n",
	    &root);
	const struct settings_backend *b;

	(void)state;
	b = settings_backend(s, "opendkim");
	assert_string_equal(b->config, "/srv/b.conf");
	assert_string_equal(b->default_file, "/srv/default");
	assert_int_equal(b->reload.n, 3);
	assert_int_equal(b->restart.n, 2);
	assert_string_equal(b->restart.v[1], "restart");
	assert_int_equal(settings_backend(s, "filter-dkimsign")->restart.n, 3);
	/* unset sections and NULL settings: empty, never NULL */
	b = settings_backend(s, "postfix");
	assert_non_null(b);
	assert_null(b->config);
	assert_int_equal(b->reload.n, 0);
	assert_null(settings_backend(NULL, "opendkim")->config);
	assert_null(settings_backend(s, NULL)->config);
	settings_free(s);
	rmroot(root);
}

static void
test_section_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "opendkim.config = etc/opendkim.conf\n",
		    "notspam.conf:1: opendkim.config must be an absolute path" },
		{ "opendkim_default = default\n",
		    "opendkim_default must be an absolute path" },
		{ "exim.config = /etc/exim\n", "unknown setting \"exim.config\"" },
		{ "opendkim.socket = x\n", "unknown setting \"opendkim.socket\"" },
		{ "opendkim. = x\n", "unknown setting" },
		{ "smtpd_default = /x\n", "unknown setting" },
		{ "postfix.reload = /usr/sbin/postfix\x01 reload\n",
		    "postfix.reload holds a control character" },
	};
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = refused(cases[i].text);
		if (strstr(cause, cases[i].want) == NULL)
			fail_msg("%s: got \"%s\"", cases[i].text, cause);
		free(cause);
	}
	/* the message lists the old keys and the section form */
	cause = refused("colour = blue\n");
	assert_non_null(strstr(cause, "known: public_ipv4"));
	assert_non_null(strstr(cause, "opendkim_conf"));
	assert_non_null(strstr(cause, "NAME.reload"));
	assert_non_null(strstr(cause, "dkimproxy"));
	free(cause);
}

/* opendkim_reload is honoured: it is the reload command, over systemd. */
static void
test_reload_override_used(void **state)
{
	char *root, *cmd;
	struct settings *s = load("opendkim_reload = /usr/sbin/service "
	    "opendkim force-reload\nsmtpd_reload = /usr/sbin/rcctl restart "
	    "smtpd\n", &root);
	struct backend_ctx ctx;
	struct strv argv;

	(void)state;
	cmd = xasprintf("mkdir -p %s/run/systemd/system", root);
	free(test_run(cmd));
	free(cmd);
	ctx.root = root;
	ctx.settings = s;
	strv_init(&argv);
	assert_int_equal(backend_reload_argv(&backend_opendkim, &ctx, &argv,
	    NULL), 0);
	assert_int_equal(argv.n, 3);
	assert_string_equal(argv.v[0], "/usr/sbin/service");
	assert_string_equal(argv.v[2], "force-reload");
	strv_free(&argv);
	strv_init(&argv);
	assert_int_equal(backend_reload_argv(&backend_opensmtpd, &ctx, &argv,
	    NULL), 0);
	assert_string_equal(argv.v[0], "/usr/sbin/rcctl");
	strv_free(&argv);
	/* without the setting, systemd (its directory exists) */
	ctx.settings = NULL;
	strv_init(&argv);
	assert_int_equal(backend_reload_argv(&backend_opendkim, &ctx, &argv,
	    NULL), 0);
	assert_string_equal(argv.v[1], "reload");
	assert_string_equal(argv.v[2], "opendkim");
	strv_free(&argv);
	settings_free(s);
	rmroot(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_keys),
		cmocka_unit_test(test_section_keys),
		cmocka_unit_test(test_section_errors),
		cmocka_unit_test(test_reload_override_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
