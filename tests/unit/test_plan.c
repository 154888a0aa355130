/* test_plan.c: the generic plan (core/apply/plan.h): recorded edits (lines
 * as read and as planned, before, after, reason, merging), new files and
 * their diffs, configuration-management headers, group membership, and
 * plan_make on the demo with PTR answers given by hand (the HELO name, the
 * IPv6 fallback offered, --only), and doctor --fix's changes no
 * configuration line makes (plan_fix_add: start, key, socket).
 */
#include "testutil.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <unistd.h>

#include "backends/backend.h"
#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/conf/settings.h"
#include "core/site/site.h"

/* A temporary root with files (site path, contents), NULL-terminated
 * pairs; caller removes it with root_rm. */
static char *
root_make(const char *const *files)
{
	char tmpl[] = "/tmp/notspam-plan.XXXXXX", *root, *path, *cmd;
	FILE *f;
	size_t i;

	root = strdup(mkdtemp(tmpl));
	assert_non_null(root);
	for (i = 0; files[i] != NULL; i += 2) {
		cmd = xasprintf("mkdir -p \"$(dirname %s%s)\"", root, files[i]);
		free(test_run(cmd));
		free(cmd);
		path = xasprintf("%s%s", root, files[i]);
		assert_non_null(f = fopen(path, "w"));
		fputs(files[i + 1], f);
		fclose(f);
		free(path);
	}
	return root;
}

static void
root_rm(char *root)
{
	char *cmd = xasprintf("rm -rf %s", root);

	free(test_run(cmd));
	free(cmd);
	free(root);
}

/* A site read under root, a plan, a context on them. */
struct fx {
	char			*root;
	struct site		*site;
	struct plan		*plan;
	struct backend_ctx	 bctx;
	struct plan_ctx		 pc;
};

static void
fx_open(struct fx *x, const char *const *files)
{
	char *cause = NULL;

	memset(x, 0, sizeof *x);
	x->root = root_make(files);
	if ((x->site = site_load(x->root, NULL, &cause)) == NULL)
		fail_msg("site_load: %s", cause);
	x->plan = plan_new(x->site);
	x->bctx.root = x->site->root;
	x->bctx.settings = x->site->settings;
	x->pc.bctx = &x->bctx;
	x->pc.site = x->site;
	x->pc.plan = x->plan;
}

static void
fx_close(struct fx *x)
{
	plan_free(x->plan);
	site_free(x->site);
	root_rm(x->root);
}

static const char *const main_files[] = {
	"/etc/postfix/main.cf",
	"# top\n"
	"a = 1\n"
	"myhostname = x.example\n"
	"  continued\n"
	"b = 2\n",
	"/etc/postfix/master.cf", "",
	NULL
};

/* A replaced definition: its lines as read and as planned; an added one:
 * one past the last line; a second edit of the added line merged into the
 * first; the renumbering of a later edit when lines come before it. */
static void
test_record(void **state)
{
	struct fx x;
	struct plan_file *f;
	char *cause = NULL, *diff;

	(void)state;
	fx_open(&x, main_files);
	f = plan_file(&x.pc, &backend_postfix, CONF_POSTFIX_MAIN,
	    "/etc/postfix/main.cf", 0644, &cause);
	assert_non_null(f);
	assert_int_equal(f->exists, 1);
	assert_int_equal(plan_set(f, "myhostname", "y.example", "because %d",
	    1), 0);
	assert_int_equal(f->nedits, 1);
	assert_int_equal(f->edits[0].line, 3);
	assert_int_equal(f->edits[0].new_line, 3);
	assert_string_equal(f->edits[0].before,
	    "myhostname = x.example\n  continued");
	assert_string_equal(f->edits[0].after, "myhostname = y.example");
	assert_string_equal(f->edits[0].reason, "because 1");

	assert_int_equal(plan_set(f, "c", "3", "new"), 0);
	assert_int_equal(f->nedits, 2);
	assert_int_equal(f->edits[1].line, 6);	/* one past line 5 */
	assert_int_equal(f->edits[1].new_line, 5);
	assert_null(f->edits[1].before);
	assert_string_equal(f->edits[1].after, "c = 3");

	/* The same line again: one edit, as first read. */
	assert_int_equal(plan_set(f, "c", "4", "again"), 0);
	assert_int_equal(f->nedits, 2);
	assert_null(f->edits[1].before);
	assert_string_equal(f->edits[1].after, "c = 4");
	assert_string_equal(f->edits[1].reason, "new");

	/* Nothing changes: nothing recorded. */
	assert_int_equal(plan_set(f, "a", "1", "same"), 0);
	assert_int_equal(f->nedits, 2);

	/* A line inserted above moves the planned line numbers down. */
	assert_int_equal(plan_insert(f, &f->doc->entries[0], 1, "z = 0",
	    "above"), 0);
	assert_int_equal(f->nedits, 3);
	assert_int_equal(f->edits[2].line, 2);
	assert_int_equal(f->edits[0].new_line, 4);
	assert_int_equal(f->edits[1].new_line, 6);
	assert_int_equal(f->edits[0].line, 3);

	diff = plan_file_diff(f);
	assert_string_equal(diff,
	    "--- a/etc/postfix/main.cf\n"
	    "+++ b/etc/postfix/main.cf\n"
	    "@@ -1,5 +1,6 @@\n"
	    " # top\n"
	    "+z = 0\n"
	    " a = 1\n"
	    "-myhostname = x.example\n"
	    "-  continued\n"
	    "+myhostname = y.example\n"
	    " b = 2\n"
	    "+c = 4\n");
	free(diff);
	assert_int_equal(plan_file_changed(f), 1);
	assert_int_equal(plan_changed_files(x.plan), 1);
	assert_int_equal(plan_nedits(x.plan), 3);
	/* The same path is the same file. */
	assert_ptr_equal(plan_file(&x.pc, &backend_postfix, CONF_POSTFIX_MAIN,
	    "/etc/postfix/main.cf", 0644, &cause), f);
	fx_close(&x);
}

/* A removal: before and no after, the line after it as planned. */
static void
test_record_remove(void **state)
{
	struct fx x;
	struct plan_file *f;
	char *cause = NULL;

	(void)state;
	fx_open(&x, main_files);
	f = plan_file(&x.pc, &backend_postfix, CONF_POSTFIX_MAIN,
	    "/etc/postfix/main.cf", 0644, &cause);
	assert_non_null(f);
	assert_int_equal(plan_delete(f, conf_find(f->doc, "a"), "gone"), 0);
	assert_int_equal(f->nedits, 1);
	assert_int_equal(f->edits[0].line, 2);
	assert_string_equal(f->edits[0].before, "a = 1");
	assert_null(f->edits[0].after);
	assert_int_equal(f->edits[0].new_line, 2);
	/* A refused edit: -1, a warning naming the file, nothing changed. */
	assert_int_equal(plan_set(f, "bad", "x\ny", "refused"), -1);
	assert_int_equal(f->nedits, 1);
	assert_int_equal(f->warnings.n, 1);
	assert_non_null(strstr(f->warnings.v[0], "/etc/postfix/main.cf: "));
	fx_close(&x);
}

/* Several lines appended for one reason are one edit. */
static void
test_record_list(void **state)
{
	static const char *const files[] = {
		"/etc/opendkim/hosts", "127.0.0.1\n", NULL
	};
	struct fx x;
	struct plan_file *f;
	char *cause = NULL;

	(void)state;
	fx_open(&x, files);
	f = plan_file(&x.pc, &backend_opendkim, CONF_PEERLIST,
	    "/etc/opendkim/hosts", 0644, &cause);
	assert_non_null(f);
	assert_int_equal(plan_append(f, "::1", NULL, "hosts"), 0);
	assert_int_equal(plan_append(f, "10.0.0.0/8", NULL, "hosts"), 0);
	assert_int_equal(plan_append(f, "192.0.2.0/24", NULL, "other"), 0);
	assert_int_equal(f->nedits, 2);
	assert_string_equal(f->edits[0].after, "::1\n10.0.0.0/8");
	assert_int_equal(f->edits[0].line, 2);
	assert_string_equal(f->edits[1].after, "192.0.2.0/24");
	fx_close(&x);
}

/* A missing file is a new one: its mode, "--- /dev/null". */
static void
test_new_file(void **state)
{
	struct fx x;
	struct plan_file *f;
	char *cause = NULL, *diff;

	(void)state;
	fx_open(&x, main_files);
	f = plan_file(&x.pc, &backend_opendkim, CONF_TABLE,
	    "/etc/opendkim/key.table", 0640, &cause);
	assert_non_null(f);
	assert_int_equal(f->exists, 0);
	assert_int_equal(f->mode, 0640);
	assert_int_equal(plan_file_changed(f), 0);
	assert_int_equal(plan_append(f, "k", "example.org:s:/k", "new"), 0);
	assert_int_equal(f->edits[0].line, 1);
	diff = plan_file_diff(f);
	assert_string_equal(diff, "--- /dev/null\n+++ b/etc/opendkim/key.table\n"
	    "@@ -0,0 +1 @@\n+k example.org:s:/k\n");
	free(diff);
	assert_int_equal(plan_file_changed(f), 1);
	fx_close(&x);
}

/* An existing file keeps its mode; a managed one gets a warning. */
static void
test_managed(void **state)
{
	static const char *const files[] = {
		"/etc/opendkim.conf", "# Ansible managed: do not edit\n"
		"Socket inet:8891@localhost\n", NULL
	};
	struct fx x;
	struct plan_file *f;
	char *cause = NULL, *path;

	(void)state;
	fx_open(&x, files);
	path = xasprintf("%s/etc/opendkim.conf", x.root);
	assert_int_equal(chmod(path, 0600), 0);
	free(path);
	f = plan_file(&x.pc, &backend_opendkim, CONF_OPENDKIM,
	    "/etc/opendkim.conf", 0644, &cause);
	assert_non_null(f);
	assert_int_equal(f->mode, 0600);
	assert_int_equal(f->warnings.n, 1);
	assert_non_null(strstr(f->warnings.v[0], "managed by ansible"));
	fx_close(&x);
}

/*
 * Headers real configuration-management runs write (the tool's default
 * or a common template line, as found in public repositories: Ansible's
 * ansible_managed through its comment filter, Puppet module templates,
 * Salt formulas, Chef cookbook templates), and headers that are not.
 */
static void
test_managed_headers(void **state)
{
	static const struct {
		const char	*head;
		const char	*tool;	/* NULL: no warning */
	} cases[] = {
		{ "#\n# Ansible managed\n#\n", "ansible" },
		{ "# This file is managed by Puppet. DO NOT EDIT.\n", "puppet" },
		{ "## NOTICE: THIS FILE IS MANAGED BY PUPPET ##\n", "puppet" },
		{ "# THIS FILE IS MANAGED BY SALTSTACK!\n", "salt" },
		{ "#\n# This file is managed by Salt. Changes will be "
		  "overwritten!\n#\n", "salt" },
		{ "# Generated by Chef for mail.example.org\n# Local "
		  "modifications will be overwritten.\n", "chef" },
		{ "# This is a basic configuration for signing and "
		  "verifying.\n", NULL },
		{ "# managed by the postmaster, see the wiki\n", NULL },
		{ "Comment ansible managed\n", NULL },	/* not a comment */
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *files[] = { "/etc/opendkim.conf", text, NULL };
		struct fx x;
		struct plan_file *f;
		char *cause = NULL;

		snprintf(text, sizeof text, "%sSocket inet:8891@localhost\n",
		    cases[i].head);
		fx_open(&x, files);
		f = plan_file(&x.pc, &backend_opendkim, CONF_OPENDKIM,
		    "/etc/opendkim.conf", 0644, &cause);
		assert_non_null(f);
		if (cases[i].tool == NULL)
			assert_int_equal(f->warnings.n, 0);
		else {
			char *want = xasprintf("managed by %s", cases[i].tool);
			assert_int_equal(f->warnings.n, 1);
			assert_non_null(strstr(f->warnings.v[0], want));
			free(want);
		}
		fx_close(&x);
	}
}

static void
test_group(void **state)
{
	static const char *const files[] = {
		"/etc/group", "root:x:0:\nopendkim:x:120:bob,postfix\n"
		"mail:x:8:\n",
		"/etc/passwd", "postfix:x:110:8::/var/spool/postfix:/bin/false\n",
		NULL
	};
	struct fx x;

	(void)state;
	fx_open(&x, files);
	assert_int_equal(plan_user_in_group(x.site, "postfix", "opendkim"), 1);
	assert_int_equal(plan_user_in_group(x.site, "bob", "root"), 0);
	/* The primary group from /etc/passwd counts. */
	assert_int_equal(plan_user_in_group(x.site, "postfix", "mail"), 1);
	assert_int_equal(plan_user_in_group(x.site, "postfix", "nosuch"), 0);
	fx_close(&x);
	fx_open(&x, main_files);
	assert_int_equal(plan_user_in_group(x.site, "postfix", "opendkim"),
	    -1);
	fx_close(&x);
}

/* PTR answers for the demo's two addresses. */
static void
ptrs_set(struct plan_ptrs *p, const char *v4name, int v6status,
    const char *v6name)
{
	memset(p, 0, sizeof *p);
	p->n = 2;
	p->v = xcalloc(2, sizeof *p->v);
	p->v[0].addr = xstrdup("192.0.2.25");
	p->v[0].family = AF_INET;
	p->v[0].status = v4name != NULL ? PLAN_PTR_NAME : PLAN_PTR_NONE;
	p->v[0].name = v4name != NULL ? xstrdup(v4name) : NULL;
	p->v[1].addr = xstrdup("2001:db8::25");
	p->v[1].family = AF_INET6;
	p->v[1].status = v6status;
	p->v[1].name = v6name != NULL ? xstrdup(v6name) : NULL;
}

static const struct plan_file *
file_of(const struct plan *p, const char *path)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	return NULL;
}

/* The edit of f whose planned lines are after, or NULL. */
static const struct plan_edit *
edit_of(const struct plan_file *f, const char *after)
{
	size_t i;

	for (i = 0; f != NULL && i < f->nedits; i++)
		if (f->edits[i].after != NULL &&
		    strcmp(f->edits[i].after, after) == 0)
			return &f->edits[i];
	return NULL;
}

static struct site *
demo(void)
{
	struct site *site;
	char *cause = NULL;

	if ((site = site_load("share/demo", NULL, &cause)) == NULL)
		fail_msg("site_load(share/demo): %s", cause);
	return site;
}

/* The demo: the [::1] milter fixed in place, accept replaced, the HELO
 * left alone while the PTR names myhostname, the IPv6 fallback offered
 * only. */
static void
test_make_demo(void **state)
{
	struct site *site = demo();
	struct plan_ptrs ptrs;
	struct plan_opts o = { NULL, &ptrs };
	const struct plan_file *f;
	const struct plan_edit *e;
	struct plan *p;
	char *cause = NULL;

	(void)state;
	ptrs_set(&ptrs, "mail.example.org", PLAN_PTR_NONE, NULL);
	assert_non_null(p = plan_make(site, &o, &cause));
	f = file_of(p, "/etc/postfix/main.cf");
	assert_non_null(f);
	e = edit_of(f, "smtpd_milters = inet:127.0.0.1:12345");
	assert_non_null(e);
	assert_string_equal(e->before, "smtpd_milters = inet:[::1]:12345");
	assert_non_null(strstr(e->reason, "replaces inet:[::1]:12345"));
	assert_non_null(edit_of(f, "milter_default_action = tempfail"));
	assert_null(edit_of(f, "smtp_helo_name = mail.example.org"));
	assert_int_equal(p->noffers >= 1, 1);
	assert_string_equal(p->offers[0].what, "smtp_address_preference = ipv4");
	assert_string_equal(p->offers[0].setting, "ipv6_fallback = ipv4");
	assert_non_null(strstr(p->offers[0].reason, "2001:db8::25 has no PTR"));
	plan_free(p);
	plan_ptrs_free(&ptrs);

	/* The PTR names another host: the HELO follows it. */
	ptrs_set(&ptrs, "mx.example.org", PLAN_PTR_NAME, "mx.example.org");
	assert_non_null(p = plan_make(site, &o, &cause));
	e = edit_of(file_of(p, "/etc/postfix/main.cf"),
	    "smtp_helo_name = mx.example.org");
	assert_non_null(e);
	assert_non_null(strstr(e->reason, "the PTR of 192.0.2.25, "
	    "2001:db8::25 names mx.example.org; replaces mail.example.org"));
	assert_int_equal(p->noffers, 0);	/* IPv6 has its PTR */
	plan_free(p);
	plan_ptrs_free(&ptrs);

	/* The PTRs disagree: no HELO edit, a note. */
	ptrs_set(&ptrs, "a.example.org", PLAN_PTR_NAME, "b.example.org");
	assert_non_null(p = plan_make(site, &o, &cause));
	assert_null(edit_of(file_of(p, "/etc/postfix/main.cf"),
	    "smtp_helo_name = a.example.org"));
	assert_int_equal(strv_find(&p->notes, "the PTR records of the public "
	    "addresses name different hosts: the HELO name is left as it is; "
	    "make them name the mail host (your provider sets them)") != -1,
	    1);
	plan_free(p);
	plan_ptrs_free(&ptrs);

	/* No PTR answers at all: nothing offered, no HELO edit. */
	o.ptrs = NULL;
	assert_non_null(p = plan_make(site, &o, &cause));
	assert_int_equal(p->noffers, 0);
	plan_free(p);
	site_free(site);
}

/* --only: that program's files only, the rest said; a bad name refused. */
static void
test_make_only(void **state)
{
	struct site *site = demo();
	struct plan_opts o = { "opendkim", NULL };
	struct plan *p;
	char *cause = NULL;
	size_t i;

	(void)state;
	assert_non_null(p = plan_make(site, &o, &cause));
	assert_int_equal(p->nfiles > 0, 1);
	for (i = 0; i < p->nfiles; i++)
		assert_string_equal(p->files[i].backend->name, "opendkim");
	for (i = 0; i < p->nchecks; i++)
		assert_string_equal(p->checks[i].backend->name, "opendkim");
	assert_non_null(strstr(p->notes.v[p->notes.n - 1],
	    "--only opendkim leaves out"));
	plan_free(p);
	o.only = "nosuch";
	assert_null(plan_make(site, &o, &cause));
	assert_non_null(strstr(cause, "--only nosuch: no such program"));
	free(cause);
	site_free(site);
}

/* A file the plan leaves alone: in sync when it reads (and parses, or
 * no warning names it), unreadable with why, invalid with the warning. */
static void
test_file_state(void **state)
{
	struct site *site = demo();
	char *detail = NULL;

	(void)state;
	assert_int_equal(plan_file_state(site, "/etc/postfix/master.cf",
	    &detail), PLAN_FILE_SYNC);
	assert_null(detail);
	assert_int_equal(plan_file_state(site, "/etc/postfix/nosuch.cf",
	    &detail), PLAN_FILE_UNREADABLE);
	assert_non_null(detail);
	assert_non_null(strstr(detail, "nosuch.cf"));
	free(detail);
	/* A read file no document was kept of, named by a warning. */
	strv_add(&site->warnings, "/etc/mailname:1: not a host name; fix it");
	assert_int_equal(plan_file_state(site, "/etc/mailname", &detail),
	    PLAN_FILE_INVALID);
	assert_string_equal(detail, "/etc/mailname:1: not a host name; fix it");
	free(detail);
	site_free(site);
}

/* The apply settings of notspam.conf: read, and bad values refused
 * naming the line and what is allowed. */
static void
test_settings(void **state)
{
	static const char *const good[] = {
		"/etc/notspam/notspam.conf", "signer = filter-dkimsign\n"
		"milter_socket = unix\nmilter_default_action = reject\n"
		"ipv6_fallback = bind\n", NULL
	};
	static const struct {
		const char	*line;
		const char	*msg;
	} bad[] = {
		{ "signer = postfix\n", "notspam.conf:1: signer must be "
		    "opendkim, dkimproxy or filter-dkimsign" },
		{ "milter_socket = tcp\n", "milter_socket must be inet or unix" },
		{ "milter_default_action = drop\n", "must be tempfail, reject, "
		    "shutdown, quarantine or accept" },
		{ "ipv6_fallback = yes\n", "ipv6_fallback must be ipv4 or bind" },
	};
	struct settings *st;
	char *root, *cause = NULL;
	const char *files[3];
	size_t i;

	(void)state;
	root = root_make(good);
	st = settings_load(root, NULL, 0, &cause);
	assert_non_null(st);
	assert_string_equal(st->signer, "filter-dkimsign");
	assert_int_equal(st->milter_socket, 2);
	assert_string_equal(st->milter_default_action, "reject");
	assert_string_equal(st->ipv6_fallback, "bind");
	settings_free(st);
	root_rm(root);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		files[0] = "/etc/notspam/notspam.conf";
		files[1] = bad[i].line;
		files[2] = NULL;
		root = root_make(files);
		assert_null(settings_load(root, NULL, 0, &cause));
		assert_non_null(strstr(cause, bad[i].msg));
		free(cause);
		cause = NULL;
		root_rm(root);
	}
}

static void
assert_words(const struct strv *argv, const char *want)
{
	char *got = plan_words(argv);

	assert_string_equal(got, want);
	free(got);
}

/* doctor --fix signer-not-running: a start through the init script
 * (rcctl on OpenBSD, or the settings' restart command), its listener
 * probed after; none found: refused, nothing added. */
static void
test_fix_start(void **state)
{
	static const char *const files[] = {
		"/etc/opendkim.conf", "Socket inet:8891@127.0.0.1\n",
		"/etc/init.d/opendkim", "",
		"/etc/postfix/main.cf", "smtpd_milters = inet:127.0.0.1:8891\n",
		"/etc/postfix/master.cf", "",
		NULL
	};
	static const char *const bare[] = {
		"/etc/opendkim.conf", "Socket inet:8891@127.0.0.1\n", NULL
	};
	static const char *const set[] = {
		"/etc/opendkim.conf", "Socket inet:8891@127.0.0.1\n",
		"/etc/notspam/notspam.conf", "opendkim.restart = /bin/true x\n",
		NULL
	};
	static const char *const openbsd[] = {
		"/etc/opendkim.conf", "Socket inet:8891@127.0.0.1\n",
		"/usr/sbin/rcctl", "",
		NULL
	};
	struct plan_fix *fx;
	struct sockspec ss;
	struct fx x;
	char *cause = NULL;

	(void)state;
	assert_int_equal(sockspec_parse(SOCKSPEC_MILTER, "inet:8891@127.0.0.1",
	    &ss, &cause), 0);
	fx = plan_fix_new(PLAN_FIX_START, "opendkim", NULL, NULL, &ss, 1);
	fx_open(&x, files);
	assert_int_equal(plan_commands(x.plan), 0);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_int_equal(x.plan->nfixes, 1);
	assert_int_equal(x.plan->nreloads, 1);
	assert_int_equal(x.plan->reloads[0].start, 1);
	assert_words(&x.plan->reloads[0].argv, "/etc/init.d/opendkim start");
	assert_int_equal(plan_commands(x.plan), 1);
	assert_int_equal(plan_changed_files(x.plan), 0);
	/* The signing path: OpenDKIM's listener, as the milter Postfix
	 * dials; once, however often the fix is added. */
	assert_int_equal(x.plan->nprobes, 1);
	assert_int_equal(x.plan->probes[0].hook, PLAN_HOOK_MILTER);
	assert_string_equal(x.plan->probes[0].mta->name, "postfix");
	assert_string_equal(x.plan->probes[0].endpoint, "inet:127.0.0.1:8891");
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_int_equal(x.plan->nprobes, 1);
	assert_int_equal(x.plan->nreloads, 1);
	fx_close(&x);

	fx_open(&x, set);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_words(&x.plan->reloads[0].argv, "/bin/true x");
	/* No MTA here: nothing to probe the signer for. */
	assert_int_equal(x.plan->nprobes, 0);
	fx_close(&x);

	fx_open(&x, openbsd);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_words(&x.plan->reloads[0].argv, "/usr/sbin/rcctl start "
	    "opendkim");
	fx_close(&x);

	fx_open(&x, bare);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), -1);
	assert_non_null(strstr(cause, "no service manager or init script "
	    "found for opendkim: set opendkim.restart in notspam.conf"));
	free(cause);
	cause = NULL;
	assert_int_equal(x.plan->nreloads, 0);
	assert_int_equal(x.plan->nfixes, 0);
	assert_int_equal(plan_commands(x.plan), 0);
	fx_close(&x);
	plan_fix_free(fx);

	fx = plan_fix_new(PLAN_FIX_START, "postfix", NULL, NULL, NULL, 0);
	fx_open(&x, files);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), -1);
	assert_non_null(strstr(cause, "postfix: no signer of that name"));
	free(cause);
	fx_close(&x);
	plan_fix_free(fx);
	sockspec_free(&ss);
}

/* doctor --fix key-insecure: chown to the signer's user and its group (as
 * /etc/passwd and /etc/group say), chmod 0600, the signer restarted. */
static void
test_fix_key(void **state)
{
	static const char *const files[] = {
		"/etc/opendkim.conf", "UserID opendkim\n"
		"KeyFile /etc/dkimkeys/a.private\n",
		"/etc/init.d/opendkim", "",
		"/etc/passwd", "root:x:0:0::/root:/bin/sh\n"
		"opendkim:x:120:121::/run/opendkim:/usr/sbin/nologin\n",
		"/etc/group", "root:x:0:\nopendkim:x:120:\ndkim::121:\n",
		NULL
	};
	struct plan_fix *fx;
	struct fx x;
	char *cause = NULL;

	(void)state;
	fx = plan_fix_new(PLAN_FIX_KEY, "opendkim", NULL, "/etc/dkimkeys/"
	    "a.private", NULL, 0);
	fx_open(&x, files);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_int_equal(x.plan->nsteps, 2);
	/* Group 121 is "dkim" (an empty password field read right). */
	assert_words(&x.plan->steps[0].argv, "chown opendkim:dkim "
	    "/etc/dkimkeys/a.private");
	assert_words(&x.plan->steps[1].argv, "chmod 0600 "
	    "/etc/dkimkeys/a.private");
	assert_non_null(strstr(x.plan->steps[0].reason, "key data is not "
	    "secure"));
	assert_int_equal(x.plan->nreloads, 1);
	assert_int_equal(x.plan->reloads[0].restart, 1);
	assert_int_equal(x.plan->reloads[0].start, 0);
	assert_words(&x.plan->reloads[0].argv, "/etc/init.d/opendkim restart");
	assert_int_equal(plan_commands(x.plan), 3);
	fx_close(&x);
	plan_fix_free(fx);

	fx = plan_fix_new(PLAN_FIX_KEY, "opendkim", NULL, NULL, NULL, 0);
	fx_open(&x, files);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), -1);
	assert_non_null(strstr(cause, "the key file is not known"));
	free(cause);
	assert_int_equal(x.plan->nsteps, 0);
	fx_close(&x);
	plan_fix_free(fx);
}

/* doctor --fix milter-permission: opendkim.conf's UMask 007 (an edit of
 * the document, with its reason), Postfix's user into the socket's group
 * (usermod -a -G; OpenBSD's usermod -G), both restarted; a signer with no
 * such fix refused. */
static void
test_fix_socket(void **state)
{
	static const char *const files[] = {
		"/etc/opendkim.conf", "UserID opendkim\nUMask 077\n"
		"Socket local:/var/spool/postfix/opendkim/opendkim.sock\n",
		"/var/spool/postfix/opendkim/.keep", "",
		"/etc/init.d/opendkim", "",
		"/etc/init.d/postfix", "",
		"/etc/postfix/main.cf", "smtpd_milters = "
		"unix:opendkim/opendkim.sock\n",
		"/etc/postfix/master.cf", "",
		"/etc/group", "opendkim:x:121:\n",
		NULL
	};
	static const char *const openbsd[] = {
		"/etc/opendkim.conf", "UserID _opendkim\nUMask 007\n"
		"Socket local:/var/run/opendkim/opendkim.sock\n",
		"/var/run/opendkim/.keep", "",
		"/usr/sbin/rcctl", "",
		"/etc/postfix/main.cf", "smtpd_milters = "
		"unix:/var/run/opendkim/opendkim.sock\nmail_owner = _postfix\n",
		"/etc/postfix/master.cf", "",
		"/etc/group", "_opendkim:*:121:\n",
		NULL
	};
	const char *sock = "/var/spool/postfix/opendkim/opendkim.sock";
	const struct plan_file *f;
	const struct plan_edit *e;
	struct plan_fix *fx;
	struct fx x;
	char *cause = NULL;

	(void)state;
	fx = plan_fix_new(PLAN_FIX_SOCKET, "opendkim", "postfix", sock, NULL,
	    1);
	fx_open(&x, files);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_int_equal(plan_changed_files(x.plan), 1);
	assert_non_null(f = file_of(x.plan, "/etc/opendkim.conf"));
	assert_non_null(e = edit_of(f, "UMask 007"));
	assert_string_equal(e->before, "UMask 077");
	assert_non_null(strstr(e->reason, "007 lets its group (Postfix) "
	    "write to it; replaces 077"));
	assert_int_equal(x.plan->nsteps, 1);
	assert_words(&x.plan->steps[0].argv, "usermod -a -G opendkim "
	    "postfix");
	assert_int_equal(x.plan->nreloads, 2);
	assert_words(&x.plan->reloads[0].argv, "/etc/init.d/opendkim restart");
	assert_words(&x.plan->reloads[1].argv, "/etc/init.d/postfix restart");
	assert_int_equal(plan_commands(x.plan), 3);
	/* Twice (smtpd's finding and cleanup's): the same plan. */
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_int_equal(x.plan->nsteps, 1);
	assert_int_equal(x.plan->nreloads, 2);
	assert_int_equal(file_of(x.plan, "/etc/opendkim.conf")->nedits, 1);
	fx_close(&x);
	plan_fix_free(fx);

	/* OpenBSD: rcctl restarts, usermod -G adds; UMask already 007. */
	fx = plan_fix_new(PLAN_FIX_SOCKET, "opendkim", "postfix",
	    "/var/run/opendkim/opendkim.sock", NULL, 1);
	fx_open(&x, openbsd);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), 0);
	assert_int_equal(plan_changed_files(x.plan), 0);
	assert_int_equal(x.plan->nsteps, 1);
	assert_words(&x.plan->steps[0].argv, "usermod -G _opendkim _postfix");
	assert_int_equal(x.plan->nreloads, 2);
	assert_words(&x.plan->reloads[0].argv, "/usr/sbin/rcctl restart "
	    "opendkim");
	assert_words(&x.plan->reloads[1].argv, "/usr/sbin/rcctl restart "
	    "postfix");
	fx_close(&x);
	plan_fix_free(fx);

	fx = plan_fix_new(PLAN_FIX_SOCKET, "dkimproxy", "postfix", sock, NULL,
	    0);
	fx_open(&x, files);
	assert_int_equal(plan_fix_add(x.plan, fx, &cause), -1);
	assert_non_null(strstr(cause, "dkimproxy"));
	free(cause);
	assert_int_equal(x.plan->nfixes, 0);
	fx_close(&x);
	plan_fix_free(fx);
}

/* ---- dkimproxy installed, not configured (journey 2) ---- */

#define OBSD_SMTPD \
	"table aliases file:/etc/mail/aliases\n" \
	"listen on socket\n" \
	"listen on lo0\n" \
	"action \"local_mail\" mbox alias <aliases>\n" \
	"action \"outbound\" relay\n" \
	"match from local for local action \"local_mail\"\n" \
	"match from local for any action \"outbound\"\n"
#define OBSD_RC \
	"#!/bin/ksh\n\n" \
	"daemon=\"/usr/local/bin/dkimproxy.out --daemonize\"\n" \
	"daemon_flags=\"--conf_file=%s --user=_dkimproxy " \
	"--group=_dkimproxy\"\n\n. /etc/rc.d/rc.subr\n\nrc_cmd $1\n"
#define DP_EXAMPLE \
	"# specify what address/port DKIMproxy should listen on\n" \
	"listen    127.0.0.1:10027\n" \
	"relay     127.0.0.1:10028\n" \
	"domain    example.org\n" \
	"signature dkim(a=rsa-sha256,c=relaxed)\n" \
	"signature domainkeys(c=nofws)\n" \
	"keyfile   private.key\n" \
	"selector  selector1\n"

/* A root from files (site path, contents) with example.com's key s1 at
 * /etc/mail/dkim/example.com_s1.key (the demo's), generated in
 * keys.state; the plan of its site. */
static struct plan *
obsd_plan(struct fx *x, const char *const *files)
{
	struct plan_opts o = { NULL, NULL };
	struct plan *p;
	char *cmd, *cause = NULL;

	memset(x, 0, sizeof *x);
	x->root = root_make(files);
	cmd = xasprintf("mkdir -p %s/etc/mail/dkim %s/var/lib/notspam && "
	    "cp share/demo/etc/dkimkeys/mail.private "
	    "%s/etc/mail/dkim/example.com_s1.key && chmod 600 "
	    "%s/etc/mail/dkim/example.com_s1.key && echo 'example.com s1 "
	    "generated 1700000000 /etc/mail/dkim/example.com_s1.key' "
	    ">%s/var/lib/notspam/keys.state", x->root, x->root, x->root,
	    x->root, x->root);
	free(test_run(cmd));
	free(cmd);
	if ((x->site = site_load(x->root, NULL, &cause)) == NULL)
		fail_msg("site_load: %s", cause);
	assert_non_null(p = plan_make(x->site, &o, &cause));
	return p;
}

static void
obsd_close(struct fx *x, struct plan *p)
{
	plan_free(p);
	site_free(x->site);
	root_rm(x->root);
}

/* The step whose words are want, or NULL. */
static const struct plan_step *
step_of(const struct plan *p, const char *want)
{
	char *w;
	size_t i;
	int same;

	for (i = 0; i < p->nsteps; i++) {
		w = plan_words(&p->steps[i].argv);
		same = strcmp(w, want) == 0;
		free(w);
		if (same)
			return &p->steps[i];
	}
	return NULL;
}

static const struct plan_reload *
reload_of(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nreloads; i++)
		if (strcmp(plan_backend_name(p->reloads[i].backend), name) == 0)
			return &p->reloads[i];
	return NULL;
}

static int
has_note(const struct plan *p, const char *part)
{
	size_t i;

	for (i = 0; i < p->notes.n; i++)
		if (strstr(p->notes.v[i], part) != NULL)
			return 1;
	return 0;
}

/* OpenBSD, pkg_add dkimproxy, no dkimproxy_out.conf: the plan writes the
 * first one (the example's order, every line planned), wires smtpd.conf
 * the lo0 way, gives the key to the rc.d script's user, enables and
 * starts dkimproxy_out (start: it cannot be running). */
static void
test_dkimproxy_fresh(void **state)
{
	char rc[512];
	const char *files[] = {
		"/etc/mail/smtpd.conf", OBSD_SMTPD,
		"/usr/sbin/rcctl", "",
		"/usr/local/bin/dkimproxy.out", "",
		"/etc/rc.d/dkimproxy_out", rc,
		"/etc/notspam/notspam.conf", "signer = dkimproxy\n"
		"domains = example.com\n",
		NULL
	};
	const struct plan_file *f;
	const struct plan_reload *r;
	struct plan *p;
	struct fx x;
	char *text;
	size_t len;

	(void)state;
	snprintf(rc, sizeof rc, OBSD_RC, "/etc/dkimproxy_out.conf");
	p = obsd_plan(&x, files);
	assert_int_equal(p->none.n, 0);
	assert_non_null(f = file_of(p, "/etc/dkimproxy_out.conf"));
	assert_int_equal(f->exists, 0);
	assert_int_equal(f->mode, 0644);
	assert_null(f->owner);
	assert_int_equal(f->warnings.n, 0);
	text = plan_file_text(f, &len);
	assert_string_equal(text, "listen 127.0.0.1:10027\n"
	    "relay 127.0.0.1:10028\n"
	    "domain example.com\n"
	    "signature dkim(c=relaxed,a=rsa-sha256)\n"
	    "keyfile /etc/mail/dkim/example.com_s1.key\n"
	    "selector s1\n");
	free(text);
	/* One key for the one domain: no sender map. */
	assert_null(file_of(p, "/etc/dkimproxy_sender_map"));
	assert_non_null(f = file_of(p, "/etc/mail/smtpd.conf"));
	assert_non_null(edit_of(f, "listen on lo0 port 10028 tag DKIM"));
	assert_non_null(edit_of(f, "action \"dkimproxy\" relay host "
	    "smtp://127.0.0.1:10027"));
	assert_non_null(edit_of(f, "match tag DKIM for any action "
	    "\"outbound\""));
	assert_non_null(step_of(p, "chown _dkimproxy:_dkimproxy "
	    "/etc/mail/dkim/example.com_s1.key"));
	assert_non_null(step_of(p, "chmod 0600 "
	    "/etc/mail/dkim/example.com_s1.key"));
	assert_non_null(step_of(p, "/usr/sbin/rcctl enable dkimproxy_out"));
	assert_non_null(r = reload_of(p, "dkimproxy"));
	assert_int_equal(r->start, 1);
	assert_words(&r->argv, "/usr/sbin/rcctl start dkimproxy_out");
	assert_non_null(r = reload_of(p, "opensmtpd"));
	assert_int_equal(r->start, 0);
	/* The signing path probed after the start: dkimproxy's listener and
	 * smtpd's way back. */
	assert_int_equal(p->nprobes, 1);
	assert_int_equal(p->probes[0].hook, PLAN_HOOK_PROXY);
	assert_string_equal(p->probes[0].endpoint, "127.0.0.1:10027");
	assert_int_equal(p->probes[0].relay.port, 10028);
	obsd_close(&x, p);

	/* Enabled already (rc.conf.local, as rcctl enable writes it): no
	 * enable step; the rc.d script's --conf_file= is the file made. */
	{
		const char *more[] = {
			"/etc/mail/smtpd.conf", OBSD_SMTPD,
			"/usr/sbin/rcctl", "",
			"/usr/local/bin/dkimproxy.out", "",
			"/etc/rc.d/dkimproxy_out", rc,
			"/etc/rc.conf.local", "pkg_scripts=dkimproxy_out\n"
			"dkimproxy_out_flags=\n",
			"/etc/notspam/notspam.conf", "signer = dkimproxy\n"
			"domains = example.com\n",
			NULL
		};

		snprintf(rc, sizeof rc, OBSD_RC, "/etc/mail/dkimproxy_out.conf");
		p = obsd_plan(&x, more);
		assert_non_null(f = file_of(p, "/etc/mail/dkimproxy_out.conf"));
		assert_int_equal(f->exists, 0);
		assert_null(step_of(p, "/usr/sbin/rcctl enable dkimproxy_out"));
		assert_int_equal(reload_of(p, "dkimproxy")->start, 1);
		obsd_close(&x, p);
	}
}

/* Not installed at all (no dkimproxy.out, no dkimproxy_out.conf): no plan,
 * said; a source install on Linux (/usr/local/bin, no rc.d script): the
 * file goes to its prefix's etc, no rcctl, and the plan says to start it
 * at boot; no user known: no key owner step. */
static void
test_dkimproxy_absent(void **state)
{
	static const char *const none[] = {
		"/etc/mail/smtpd.conf", OBSD_SMTPD,
		"/usr/sbin/rcctl", "",
		"/etc/notspam/notspam.conf", "signer = dkimproxy\n"
		"domains = example.com\n",
		NULL
	};
	static const char *const linux_src[] = {
		"/etc/smtpd.conf", "listen on localhost\n"
		"action \"relay\" relay\nmatch from local for any action "
		"\"relay\"\n",
		"/etc/debian_version", "12.4\n",
		"/usr/local/bin/dkimproxy.out", "",
		"/etc/notspam/notspam.conf", "signer = dkimproxy\n"
		"domains = example.com\n",
		NULL
	};
	const struct plan_file *f;
	struct plan *p;
	struct fx x;

	(void)state;
	p = obsd_plan(&x, none);
	assert_int_equal(p->nfiles, 0);
	assert_int_equal(p->none.n, 1);
	assert_string_equal(p->none.v[0], "dkimproxy: not installed here (no "
	    "dkimproxy.out, no dkimproxy_out.conf)");
	obsd_close(&x, p);

	p = obsd_plan(&x, linux_src);
	assert_non_null(f = file_of(p, "/usr/local/etc/dkimproxy_out.conf"));
	assert_int_equal(f->exists, 0);
	assert_int_equal(p->nsteps, 0);
	assert_int_equal(reload_of(p, "dkimproxy")->start, 1);
	assert_int_equal(has_note(p, "/usr/local/etc/dkimproxy_out.conf is "
	    "new: have dkimproxy.out start at boot"), 1);
	/* Linux: the way back on the relay address, not lo0. */
	assert_non_null(edit_of(file_of(p, "/etc/smtpd.conf"),
	    "listen on 127.0.0.1 port 10028 tag DKIM"));
	obsd_close(&x, p);
}

/* pkg_add's @sample: the example copied as is to /etc/dkimproxy_out.conf.
 * Its placeholder domain is replaced, not kept beside the site's; the file
 * was there: a restart (rcctl enable first, as it is not enabled). */
static void
test_dkimproxy_sample(void **state)
{
	char rc[512];
	const char *files[] = {
		"/etc/mail/smtpd.conf", OBSD_SMTPD,
		"/usr/sbin/rcctl", "",
		"/usr/local/bin/dkimproxy.out", "",
		"/etc/rc.d/dkimproxy_out", rc,
		"/usr/local/share/examples/dkimproxy/dkimproxy_out.conf.example",
		DP_EXAMPLE,
		"/etc/dkimproxy_out.conf", DP_EXAMPLE,
		"/etc/notspam/notspam.conf", "signer = dkimproxy\n"
		"domains = example.com\n",
		NULL
	};
	const struct plan_file *f;
	const struct plan_edit *e;
	const struct plan_reload *r;
	struct plan *p;
	struct fx x;

	(void)state;
	snprintf(rc, sizeof rc, OBSD_RC, "/etc/dkimproxy_out.conf");
	p = obsd_plan(&x, files);
	assert_non_null(f = file_of(p, "/etc/dkimproxy_out.conf"));
	assert_int_equal(f->exists, 1);
	assert_non_null(e = edit_of(f, "domain    example.com"));
	assert_string_equal(e->before, "domain    example.org");
	assert_non_null(strstr(e->reason, "replaces example.org, the package "
	    "example's"));
	assert_non_null(edit_of(f, "keyfile   "
	    "/etc/mail/dkim/example.com_s1.key"));
	/* example.org, named by the example only, gets no note either. */
	assert_int_equal(has_note(p, "example.org"), 0);
	assert_non_null(step_of(p, "/usr/sbin/rcctl enable dkimproxy_out"));
	assert_non_null(r = reload_of(p, "dkimproxy"));
	assert_int_equal(r->start, 0);
	assert_words(&r->argv, "/usr/sbin/rcctl restart dkimproxy_out");
	obsd_close(&x, p);

	/* The same file edited by its admin (a domain of theirs): kept. */
	files[11] = DP_EXAMPLE "# mine\n";
	p = obsd_plan(&x, files);
	assert_non_null(f = file_of(p, "/etc/dkimproxy_out.conf"));
	assert_non_null(edit_of(f, "domain    example.org,example.com"));
	obsd_close(&x, p);
}

/* filter-dkimsign on the same root (pkg_add opensmtpd-filter-dkimsign):
 * the filter statement with one -d per domain before the listeners, on
 * the socket and lo0, the key given to _dkimsign 0400; no dkimproxy file
 * though dkimproxy is installed too. */
static void
test_dkimsign_openbsd(void **state)
{
	static const char *const files[] = {
		"/etc/mail/smtpd.conf", OBSD_SMTPD,
		"/usr/sbin/rcctl", "",
		"/usr/local/bin/dkimproxy.out", "",
		"/usr/local/libexec/smtpd/filter-dkimsign", "",
		"/etc/notspam/notspam.conf", "signer = filter-dkimsign\n"
		"domains = example.com example.org\n",
		NULL
	};
	const struct plan_file *f;
	struct plan *p;
	struct fx x;

	(void)state;
	p = obsd_plan(&x, files);
	assert_int_equal(p->nfiles, 1);
	assert_non_null(f = file_of(p, "/etc/mail/smtpd.conf"));
	assert_non_null(edit_of(f, "filter \"dkimsign\" proc-exec "
	    "\"filter-dkimsign -d example.com -d example.org -s s1 -k "
	    "/etc/mail/dkim/example.com_s1.key\" user _dkimsign group "
	    "_dkimsign"));
	assert_non_null(edit_of(f, "listen on socket filter \"dkimsign\""));
	assert_non_null(edit_of(f, "listen on lo0 filter \"dkimsign\""));
	assert_non_null(step_of(p, "chown _dkimsign:_dkimsign "
	    "/etc/mail/dkim/example.com_s1.key"));
	assert_non_null(step_of(p, "chmod 0400 "
	    "/etc/mail/dkim/example.com_s1.key"));
	assert_null(reload_of(p, "dkimproxy"));
	obsd_close(&x, p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_record_remove),
		cmocka_unit_test(test_record_list),
		cmocka_unit_test(test_new_file),
		cmocka_unit_test(test_managed),
		cmocka_unit_test(test_managed_headers),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_make_demo),
		cmocka_unit_test(test_make_only),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_file_state),
		cmocka_unit_test(test_fix_start),
		cmocka_unit_test(test_fix_key),
		cmocka_unit_test(test_fix_socket),
		cmocka_unit_test(test_dkimproxy_fresh),
		cmocka_unit_test(test_dkimproxy_absent),
		cmocka_unit_test(test_dkimproxy_sample),
		cmocka_unit_test(test_dkimsign_openbsd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
