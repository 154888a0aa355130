/* keyswitch_plan.c: "keys switch" as plan edits for the signers whose key
 * is a setting rather than a table line: dkimproxy (selector and keyfile,
 * or the domain's sender_map line) and filter-dkimsign (the -s and -k of
 * its command in smtpd.conf).  OpenDKIM's is in opendkim_plan.c, beside
 * the table code it shares.  Each plans the key change only, with the
 * program's checker when it has one. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

/* The sender_map line of a domain signed with its own key. */
static char *
ks_map_value(const struct backend_key_switch *sw)
{
	return xasprintf("dkim(c=relaxed,a=rsa-sha256,d=%s,s=%s,key=%s)",
	    sw->domain,
	    sw->selector, sw->path);
}

/* Does the global key sign a domain of the "domain" list other than
 * sw's one that has no sender_map line of its own? */
static int
ks_global_shared(const struct plan_file *conf, const struct plan_file *sm,
    const char *domain)
{
	const char *v = conf_get(conf->doc, "domain");
	struct strv list;
	size_t i;
	int shared = 0;

	if (v == NULL || v[0] == '/')
		return v != NULL;	/* a file of domains: assume shared */
	strv_init(&list);
	str_split(v, ", \t", &list);
	for (i = 0; i < list.n && !shared; i++)
		shared = strcasecmp(list.v[i], domain) != 0 &&
		    (sm == NULL || conf_find(sm->doc, list.v[i]) == NULL);
	strv_free(&list);
	return shared;
}

/* The sender_map named by dkimproxy_out.conf (or a new one beside it when
 * create is set); NULL when there is none, or after plan_none. */
static struct plan_file *
ks_sender_map(struct plan_ctx *pc, struct plan_file *conf, int create,
    int *failed)
{
	const char *v = conf_get(conf->doc, "sender_map");
	struct plan_file *sm;
	char *path, *dir, *slash, *cause = NULL;

	*failed = 0;
	if (v == NULL && !create)
		return NULL;
	if (v != NULL)
		path = bk_daemon_path("/", v);
	else {
		dir = xstrdup(conf->path);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		path = xasprintf("%s/dkimproxy_sender_map", dir);
		free(dir);
		plan_set(conf, "sender_map", path, "the domains sign with "
		    "different keys: the sender map names each domain's key");
	}
	if ((sm = plan_file(pc, &backend_dkimproxy, CONF_TABLE, path, 0644,
	    &cause)) == NULL) {
		plan_none(pc->plan, "dkimproxy: %s; fix it first", cause);
		free(cause);
		*failed = 1;
	}
	free(path);
	return sm;
}

int
dkimproxy_switch_plan(struct plan_ctx *pc, const struct backend_key_switch *sw)
{
	const struct site_program *prog = site_program(pc->site,
	    backend_dkimproxy.name);
	const struct conf_entry *e;
	struct plan_file *conf, *sm;
	char *cause = NULL, *val;
	int failed;

	if (prog == NULL || prog->config == NULL) {
		plan_none(pc->plan, "dkimproxy: not installed here (no "
		    "dkimproxy_out.conf)");
		return -1;
	}
	if ((conf = plan_file(pc, &backend_dkimproxy, CONF_DKIMPROXY,
	    prog->config, 0644, &cause)) == NULL) {
		plan_none(pc->plan, "dkimproxy: %s; fix it first", cause);
		free(cause);
		return -1;
	}
	sm = ks_sender_map(pc, conf, 0, &failed);
	if (failed)
		return -1;
	val = ks_map_value(sw);
	if (sm != NULL && (e = conf_find(sm->doc, sw->domain)) != NULL) {
		if (strcmp(e->value, val) != 0)
			plan_set_entry(sm, e, val, "%s is signed with its new "
			    "key (selector %s, %s); replaces %s%s", sw->domain,
			    sw->selector, sw->path, e->value,
			    strstr(e->value, "domainkeys") != NULL ? " (and "
			    "its DomainKeys signature, which receivers no "
			    "longer check)" : "");
	} else if (ks_global_shared(conf, sm, sw->domain)) {
		if ((sm = ks_sender_map(pc, conf, 1, &failed)) == NULL) {
			free(val);
			return -1;
		}
		plan_append(sm, sw->domain, val, "%s is signed with its new key "
		    "(selector %s, %s); the other domains keep the key of "
		    "selector and keyfile", sw->domain, sw->selector, sw->path);
	} else {
		plan_set(conf, "selector", sw->selector, "dkimproxy signs %s "
		    "with the new key's selector %s", sw->domain, sw->selector);
		plan_set(conf, "keyfile", sw->path, "the new key of %s "
		    "(selector %s)", sw->domain, sw->selector);
	}
	free(val);
	return 0;
}

/* cmd with its -s and -k (joined or separate) given sw's key. */
static char *
ks_dkimsign_command(const char *cmd, const struct backend_key_switch *sw)
{
	struct strv w;
	struct buf b;
	size_t i;
	char opt;

	strv_init(&w);
	str_split(cmd, " \t", &w);
	buf_init(&b);
	for (i = 0; i < w.n; i++) {
		opt = w.v[i][0] == '-' ? w.v[i][1] : '\0';
		if (i > 0 && (opt == 's' || opt == 'k')) {
			if (w.v[i][2] == '\0')
				i++;	/* its argument */
			continue;
		}
		buf_printf(&b, "%s%s", i > 0 ? " " : "", w.v[i]);
	}
	buf_printf(&b, " -s %s -k %s", sw->selector, sw->path);
	strv_free(&w);
	return buf_steal(&b);
}

/* The -d options of a filter-dkimsign command. */
static size_t
ks_count_domains(const char *cmd)
{
	struct strv w;
	size_t i, n = 0;

	strv_init(&w);
	str_split(cmd, " \t", &w);
	for (i = 1; i < w.n; i++)
		n += strncmp(w.v[i], "-d", 2) == 0;
	strv_free(&w);
	return n;
}

/* The key readable by the filter's user only. */
static void
ks_dkimsign_key(struct plan_ctx *pc, const struct conf_entry *e,
    const struct backend_key_switch *sw)
{
	const char *user = backend_dkimsign.user, *group = NULL;
	char *owner;
	int i;

	for (i = 4; i + 1 < e->argc; i++) {
		if (strcmp(e->argv[i], "user") == 0)
			user = e->argv[i + 1];
		else if (strcmp(e->argv[i], "group") == 0)
			group = e->argv[i + 1];
	}
	owner = xasprintf("%s:%s", user, group != NULL ? group : user);
	plan_key_owner(pc->plan, &backend_opensmtpd, owner, "0400", sw->path,
	    "the new key is read by filter-dkimsign's user %s, and by nobody "
	    "else", user);
	free(owner);
}

int
dkimsign_switch_plan(struct plan_ctx *pc, const struct backend_key_switch *sw)
{
	const struct site_program *prog = site_program(pc->site,
	    backend_opensmtpd.name);
	const struct conf_entry *e;
	struct plan_file *f;
	struct strv argv;
	const char *cmd = NULL, *at;
	char *cause = NULL, *ncmd, *value;
	size_t n;

	if (prog == NULL || prog->config == NULL) {
		plan_none(pc->plan, "filter-dkimsign: no smtpd.conf here");
		return -1;
	}
	if ((f = plan_file(pc, &backend_opensmtpd, CONF_SMTPD, prog->config,
	    0644, &cause)) == NULL) {
		plan_none(pc->plan, "opensmtpd: %s; fix it first", cause);
		free(cause);
		return -1;
	}
	if ((e = dkimsign_filter_find(f->doc)) == NULL ||
	    (at = strstr(e->raw_value, (cmd = e->argv[3]))) == NULL) {
		plan_none(pc->plan, "filter-dkimsign: %s has no filter "
		    "statement running it: notspam apply plans one", f->path);
		return -1;
	}
	ncmd = ks_dkimsign_command(cmd, sw);
	n = (size_t)(at - e->raw_value);
	value = xasprintf("%.*s%s%s", (int)n, e->raw_value, ncmd,
	    at + strlen(cmd));
	ks_dkimsign_key(pc, e, sw);
	if (ks_count_domains(cmd) > 1)
		plan_note(pc->plan, "filter-dkimsign signs every domain of its "
		    "-d options with this one key: publish %s's record under "
		    "each of them (notspam records)", sw->selector);
	/* e and cmd point into the document: invalid after the edit. */
	if (strcmp(value, e->raw_value) != 0)
		plan_set_entry(f, e, value, "filter-dkimsign signs with the new "
		    "key: selector %s, %s", sw->selector, sw->path);
	free(ncmd);
	free(value);
	strv_init(&argv);
	backend_validate_argv(&backend_opensmtpd, pc->bctx, prog, &argv);
	if (argv.n > 0)
		plan_check(pc->plan, &backend_opensmtpd,
		    (const char *const *)argv.v, argv.n - 1, 0, 1);
	strv_free(&argv);
	return 0;
}
