/* dkimsign_plan.c: the filter-dkimsign side of a plan.
 *
 * filter-dkimsign has no file of its own: OpenSMTPD starts it from a
 * "filter NAME proc-exec "filter-dkimsign -d ... -s ... -k ..." user U
 * group G" statement.  This plan works out that statement (one -d per
 * domain, the key and selector, the other options of an existing command
 * kept) and hands it to OpenSMTPD's plan, which writes it and the listen
 * lines that use it.  filter-dkimsign takes one key and one selector for
 * all its domains: that key is published under every domain, and the plan
 * says so.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

#define DKS_NAME	"dkimsign"

/* Where the OpenSMTPD packages install it. */
static const char *const dks_binaries[] = {
	"/usr/libexec/opensmtpd/filter-dkimsign",	/* Debian */
	"/usr/local/libexec/smtpd/filter-dkimsign",	/* OpenBSD ports */
	"/usr/lib/opensmtpd/filter-dkimsign",
	NULL
};

struct dks {
	struct plan_ctx		*pc;
	struct plan_want	*w;
	const struct conf_entry	*filter;	/* the filter statement now */
	struct strv		 words;		/* its command's words */
	const char		*user;
	const char		*group;
};

/* Is filter-dkimsign installed or configured here? */
static int
dks_present(const struct plan_ctx *pc)
{
	size_t i;
	char *b;

	for (i = 0; i < pc->site->nkeys; i++)
		if (strcmp(pc->site->keys[i].signer, backend_dkimsign.name) == 0)
			return 1;
	if ((b = bk_first_existing(pc->site->root, dks_binaries)) != NULL) {
		free(b);
		return 1;
	}
	return 0;
}

const struct conf_entry *
dkimsign_filter_find(const struct conf_doc *doc)
{
	const struct conf_entry *e;
	const char *cmd, *base;
	size_t i, n;

	for (i = 0; i < doc->nentries; i++) {
		e = &doc->entries[i];
		if (e->is_macro || e->key == NULL ||
		    strcmp(e->key, "filter") != 0 || e->argc < 4 ||
		    strcmp(e->argv[2], "proc-exec") != 0)
			continue;
		cmd = e->argv[3];
		n = strcspn(cmd, " \t");
		base = cmd + n;
		while (base > cmd && base[-1] != '/')
			base--;
		if ((size_t)(cmd + n - base) == 15 &&
		    strncmp(base, "filter-dkimsign", 15) == 0)
			return e;
	}
	return NULL;
}

/* The filter statement, its command's words, user and group. */
static void
dks_find(struct dks *o, const struct conf_doc *doc)
{
	const struct conf_entry *e;
	int j;

	if ((e = dkimsign_filter_find(doc)) == NULL)
		return;
	o->filter = e;
	str_split(e->argv[3], " \t", &o->words);
	for (j = 4; j + 1 < e->argc; j++) {
		if (strcmp(e->argv[j], "user") == 0)
			o->user = e->argv[j + 1];
		else if (strcmp(e->argv[j], "group") == 0)
			o->group = e->argv[j + 1];
	}
}

/* The one key: the configured one that works, else the first domain's. */
static const struct plan_key *
dks_key(const struct dks *o, const char **domain)
{
	const struct plan_key *k;
	size_t i, j;

	for (i = 0; i < o->w->ndomains; i++)
		for (j = 0; j < o->w->domains[i].nkeys; j++) {
			k = &o->w->domains[i].keys[j];
			if (k->configured && k->type != NULL) {
				*domain = o->w->domains[i].name;
				return k;
			}
		}
	for (i = 0; i < o->w->ndomains; i++)
		if ((k = plan_domain_key(&o->w->domains[i])) != NULL &&
		    k->type != NULL) {
			*domain = o->w->domains[i].name;
			return k;
		}
	return NULL;
}

/* The command: the program and its other options kept, one -d per
 * domain, -s and -k. */
static char *
dks_command(const struct dks *o, const struct plan_key *k)
{
	struct buf b;
	size_t i;
	char opt;

	buf_init(&b);
	buf_adds(&b, o->words.n > 0 ? o->words.v[0] : "filter-dkimsign");
	for (i = 1; i < o->words.n; i++) {
		opt = o->words.v[i][0] == '-' ? o->words.v[i][1] : '\0';
		if (opt == 'd' || opt == 's' || opt == 'k') {
			if (o->words.v[i][2] == '\0')
				i++;	/* its argument */
			continue;
		}
		buf_printf(&b, " %s", o->words.v[i]);
	}
	for (i = 0; i < o->w->ndomains; i++)
		buf_printf(&b, " -d %s", o->w->domains[i].name);
	buf_printf(&b, " -s %s -k %s", k->selector, k->path);
	return buf_steal(&b);
}

/* The key readable by the filter's user only. */
static void
dks_key_steps(struct dks *o, const struct plan_key *k, const char *user,
    const char *group)
{
	struct stat sb;
	char *owner;

	if (fsroot_stat(o->pc->site->root, k->path, &sb) == 0 &&
	    k->configured && (sb.st_mode & 077) == 0)
		return;
	owner = xasprintf("%s:%s", user, group);
	{
		const char *chown[] = { "chown", owner, k->path, NULL };
		const char *chmod[] = { "chmod", "0400", k->path, NULL };
		plan_step(o->pc->plan, &backend_opensmtpd, chown, "the key is "
		    "read by filter-dkimsign's user %s, and by nobody else",
		    user);
		plan_step(o->pc->plan, &backend_opensmtpd, chmod, "the key is "
		    "read by filter-dkimsign's user %s, and by nobody else",
		    user);
	}
	free(owner);
}

int
dkimsign_plan(struct plan_ctx *pc)
{
	const struct site_program *mta = site_program(pc->site,
	    backend_opensmtpd.name);
	const struct conf_doc *doc;
	const struct plan_key *k;
	const char *kdom = NULL;
	struct dks o;
	char *cmd;
	size_t i;

	if (pc->want->mta != &backend_opensmtpd) {
		if (!pc->probe)
			plan_none(pc->plan, "%s + filter-dkimsign: it is an "
			    "OpenSMTPD filter; use OpenDKIM or dkimproxy",
			    pc->want->mta->name);
		return -1;
	}
	if (pc->probe)
		return dks_present(pc) ? 0 : -1;
	if (plan_need_domains(pc) != 0)
		return -1;
	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.w = pc->want;
	strv_init(&o.words);
	if (mta != NULL && mta->config != NULL &&
	    (doc = site_doc(pc->site, mta->config)) != NULL)
		dks_find(&o, doc);
	if ((k = dks_key(&o, &kdom)) == NULL) {
		plan_none(pc->plan, "filter-dkimsign: no domain has a key: make "
		    "one (notspam keygen %s --signer filter-dkimsign) and plan "
		    "again", o.w->domains[0].name);
		strv_free(&o.words);
		return -1;
	}
	cmd = dks_command(&o, k);
	o.w->hook = PLAN_HOOK_FILTER;
	o.w->filter_name = xstrdup(o.filter != NULL ? o.filter->argv[1] :
	    DKS_NAME);
	o.w->filter_text = xasprintf("proc-exec \"%s\" user %s group %s", cmd,
	    o.user != NULL ? o.user : backend_dkimsign.user,
	    o.group != NULL ? o.group : backend_dkimsign.user);
	dks_key_steps(&o, k, o.user != NULL ? o.user : backend_dkimsign.user,
	    o.group != NULL ? o.group : backend_dkimsign.user);
	if (o.w->ndomains > 1) {
		struct buf b;

		buf_init(&b);
		for (i = 0; i < o.w->ndomains; i++)
			buf_printf(&b, "%s%s", i > 0 ? ", " : "",
			    o.w->domains[i].name);
		plan_note(pc->plan, "filter-dkimsign signs every domain with "
		    "one key, %s's selector %s (%s): publish that record under "
		    "every domain (%s); notspam records prints them", kdom,
		    k->selector, k->path, b.data);
		buf_free(&b);
	}
	free(cmd);
	strv_free(&o.words);
	return 0;
}
