/* doctor.c: findings from the configuration (see doctor.h). */
#include "core/doctor/doctor.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/keys/keys.h"
#include "core/lib/fsroot.h"
#include "core/lib/json.h"
#include "core/lib/sockspec.h"
#include "core/site/site.h"

struct doctor_finding *
doctor_add(struct doctor *d, const char *id, enum doctor_sev sev,
    const char *explain, const char *fix, const char *fmt, ...)
{
	struct doctor_finding *f;
	va_list ap;

	d->v = xgrow(d->v, d->n, sizeof *d->v);
	f = &d->v[d->n++];
	memset(f, 0, sizeof *f);
	f->id = id;
	f->sev = sev;
	va_start(ap, fmt);
	f->title = xvasprintf(fmt, ap);
	va_end(ap);
	f->explain = explain != NULL ? xstrdup(explain) : NULL;
	f->fix = fix != NULL ? xstrdup(fix) : NULL;
	strv_init(&f->evidence);
	strv_init(&f->also);
	strv_init(&f->fix_files);
	strv_init(&f->fix_commands);
	return f;
}

void
doctor_evidence(struct doctor_finding *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strv_add(&f->evidence, s);
	free(s);
}

/* A "file:line" source split; 0, or -1 when it names no line. */
static int
doc_source(const char *source, char **file, size_t *line)
{
	const char *colon;
	char *end;
	unsigned long v;

	if (source == NULL || (colon = strrchr(source, ':')) == NULL ||
	    colon == source)
		return -1;
	v = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || v == 0)
		return -1;
	*file = xstrndup(source, (size_t)(colon - source));
	*line = v;
	return 0;
}

void
doctor_where(struct doctor_finding *f, const char *source)
{
	if (f->file == NULL)
		doc_source(source, &f->file, &f->line);
}

void
doctor_where_also(struct doctor_finding *f, const char *source)
{
	char *file;
	size_t line;

	if (doc_source(source, &file, &line) != 0)
		return;
	free(file);
	if (strv_find(&f->also, source) == -1)
		strv_add(&f->also, source);
}

void
doctor_act(struct doctor_finding *f, struct plan_fix *fx)
{
	if (f->act == NULL)
		f->act = fx;
	else
		plan_fix_free(fx);
}

struct doctor_finding *
doctor_find(struct doctor *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->v[i].id, id) == 0)
			return &d->v[i];
	return NULL;
}

static void
doctor_finding_free(struct doctor_finding *f)
{
	free(f->title);
	strv_free(&f->evidence);
	free(f->explain);
	free(f->fix);
	free(f->file);
	strv_free(&f->also);
	plan_fix_free(f->act);
	strv_free(&f->fix_files);
	strv_free(&f->fix_commands);
}

void
doctor_free(struct doctor *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		doctor_finding_free(&d->v[i]);
	free(d->v);
	strv_free(&d->notes);
	free(d->changed_file);
	free(d);
}

const char *
doctor_sev_name(enum doctor_sev s)
{
	switch (s) {
	case DOCTOR_FAIL:
		return "FAIL";
	case DOCTOR_WARN:
		return "WARN";
	default:
		return "NOTE";
	}
}

void
doctor_sort(struct doctor *d)
{
	struct doctor_finding t;
	size_t i, j;

	/* Insertion sort: stable, and the lists are short. */
	for (i = 1; i < d->n; i++)
		for (j = i; j > 0 && d->v[j - 1].sev > d->v[j].sev; j--) {
			t = d->v[j - 1];
			d->v[j - 1] = d->v[j];
			d->v[j] = t;
		}
}

int
doctor_status(const struct doctor *d)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].sev == DOCTOR_FAIL)
			return 2;
		if (d->v[i].sev == DOCTOR_WARN)
			rc = 1;
	}
	return rc;
}

void
doctor_json(struct json *j, const struct doctor *d)
{
	const struct doctor_finding *f;
	size_t i, k;

	json_array_begin(j, "findings");
	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		json_object_begin(j, NULL);
		json_string(j, "id", f->id);
		json_string(j, "severity", doctor_sev_name(f->sev));
		json_string(j, "title", f->title);
		json_array_begin(j, "evidence");
		for (k = 0; k < f->evidence.n; k++)
			json_string(j, NULL, f->evidence.v[k]);
		json_array_end(j);
		json_string(j, "explanation", f->explain);
		json_string(j, "fix", f->fix);
		json_string(j, "file", f->file);
		json_int(j, "line", (long long)f->line);
		json_array_begin(j, "also");
		for (k = 0; k < f->also.n; k++)
			json_string(j, NULL, f->also.v[k]);
		json_array_end(j);
		json_bool(j, "apply_fixes", f->fixable);
		json_array_begin(j, "apply_files");
		for (k = 0; k < f->fix_files.n; k++)
			json_string(j, NULL, f->fix_files.v[k]);
		json_array_end(j);
		json_array_begin(j, "apply_commands");
		for (k = 0; k < f->fix_commands.n; k++)
			json_string(j, NULL, f->fix_commands.v[k]);
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "notes");
	for (i = 0; i < d->notes.n; i++)
		json_string(j, NULL, d->notes.v[i]);
	json_array_end(j);
}

/* ---- The configuration's causes ---- */

/* A Postfix milter hop: "postfix smtpd", "postfix cleanup" or a master.cf
 * service's override. */
static int
doc_is_milter(const struct site_link *l)
{
	return strcmp(l->kind, "milter") == 0 &&
	    strncmp(l->from, "postfix", 7) == 0;
}

/* Is a fact of Postfix set to value? */
static int
doc_fact_is(const struct site *site, const char *name, const char *value,
    const struct site_fact **out)
{
	const struct site_fact *f = site_fact(site, "postfix", name);

	*out = f;
	return f != NULL && f->value != NULL && strcmp(f->value, value) == 0;
}

/* The cause of a milter hop that does not carry mail. */
static const char *
doc_hop_cause(const struct site_link *l, const struct site_link *to)
{
	if (l->reach_why != NULL && l->reach != NULL)
		return "milter-chroot";
	if (to != NULL && l->sock.transport != SOCKSPEC_NONE &&
	    l->sock.port != 0 && l->sock.port == to->sock.port &&
	    l->sock.family != AF_UNIX && to->sock.family != AF_UNIX)
		return "milter-family";
	return "milter-endpoint";
}

static const char *const doc_explain_hop =
    "Postfix connects to the milter for every message; when nothing "
    "answers there it logs \"connect to Milter service ...\" and applies "
    "milter_default_action: the mail is held (tempfail) or, with accept, "
    "leaves unsigned, and receivers then judge it without DKIM.";

static const char *const doc_explain_family =
    "libmilter's inet:PORT@localhost binds 127.0.0.1 only (inet is IPv4); "
    "Postfix's inet:[::1]:PORT dials IPv6 only, so the connection is "
    "refused although both name the same port.";

static const char *const doc_explain_chroot =
    "A chrooted smtpd or cleanup (master.cf chroot column y) sees the file "
    "system from the queue directory: a socket path outside it does not "
    "exist there, and the connect fails with No such file or directory.";

/* Evidence: "file:line: the line as written" (its key and value), or
 * what instead when the line is not known. */
static void
doc_line(struct doctor_finding *f, const char *source,
    const struct site_loc *loc, const char *what)
{
	const struct conf_entry *e = site_loc_conf_entry(loc);

	if (e != NULL && e->key != NULL && e->raw_value != NULL)
		doctor_evidence(f, "%s: %s%s%s", source != NULL ? source :
		    "default", e->key, loc->doc != NULL &&
		    (loc->doc->grammar == CONF_POSTFIX_MAIN ||
		    loc->doc->grammar == CONF_SETTINGS) ? " = " : " ",
		    e->raw_value);
	else
		doctor_evidence(f, "%s: %s", source != NULL ? source :
		    "default", what);
}

/* Evidence: where program (or, for "?", any signer) listens. */
static void
doc_listeners(struct doctor_finding *f, const struct site *site,
    const char *program)
{
	const struct site_link *l;
	const char *owner;
	size_t i;

	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (strcmp(l->kind, "listen") != 0)
			continue;
		owner = site_listen_owner(l);
		if (strcmp(program, "?") != 0 ? strcmp(owner, program) != 0 :
		    strncmp(owner, "postfix", 7) == 0)
			continue;
		doc_line(f, l->source, &l->loc, l->address);
		doctor_where_also(f, l->source);
	}
}

/* B, C, D: each milter hop with a problem. */
static void
doc_hops(struct doctor *d, const struct site *site)
{
	const struct site_link *l, *to;
	struct doctor_finding *f;
	const char *id;
	size_t i;

	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (!doc_is_milter(l) || l->problem == NULL)
			continue;
		to = l->listener != SITE_NOLINK && l->listener < site->nlinks ?
		    &site->links[l->listener] : NULL;
		id = doc_hop_cause(l, to);
		f = doctor_add(d, id, DOCTOR_FAIL,
		    strcmp(id, "milter-family") == 0 ? doc_explain_family :
		    strcmp(id, "milter-chroot") == 0 ? doc_explain_chroot :
		    doc_explain_hop,
		    "make Postfix dial where the signer listens (notspam apply "
		    "plans the one address both sides agree on)",
		    "%s dials %s: %s", l->from, l->address, l->problem);
		doc_line(f, l->source, &l->loc, l->address);
		if (l->reach != NULL && l->reach_why != NULL)
			doctor_evidence(f, "the socket it opens: %s (%s)",
			    l->reach, l->reach_why);
		if (to != NULL) {
			doc_line(f, to->source, &to->loc, to->address);
			doctor_where_also(f, to->source);
		} else
			doc_listeners(f, site, l->to);
		doctor_where(f, l->source);
	}
}

/* Does any milter hop carry no mail? */
static int
doc_hop_broken(const struct site *site)
{
	size_t i;

	for (i = 0; i < site->nlinks; i++)
		if (doc_is_milter(&site->links[i]) &&
		    site->links[i].problem != NULL)
			return 1;
	return 0;
}

/* Does Postfix hand mail to a milter at all? */
static int
doc_has_milter(const struct site *site)
{
	size_t i;

	for (i = 0; i < site->nlinks; i++)
		if (doc_is_milter(&site->links[i]))
			return 1;
	return 0;
}

/* H: milter_default_action = accept. */
static void
doc_accept(struct doctor *d, const struct site *site)
{
	const struct site_fact *fa;
	struct doctor_finding *f;
	int broken;

	if (!doc_fact_is(site, "milter_default_action", "accept", &fa))
		return;
	broken = doc_hop_broken(site);
	f = doctor_add(d, "milter-accept", broken ? DOCTOR_FAIL : DOCTOR_WARN,
	    "With accept, a milter that cannot be reached costs only a "
	    "warning line in the log: the mail is delivered unsigned and "
	    "nobody notices until receivers junk or bounce it.",
	    "milter_default_action = tempfail: Postfix holds the mail and "
	    "retries until the signer answers",
	    broken ? "milter_default_action = accept while a milter hop is "
	    "broken: mail leaves unsigned, silently" :
	    "milter_default_action = accept: a signer failure would send mail "
	    "unsigned, silently");
	doctor_evidence(f, "%s: milter_default_action = accept", fa->source);
	doctor_where(f, fa->source);
}

/* I: local submissions (sendmail, pickup) and the cleanup's milters. */
static void
doc_local(struct doctor *d, const struct site *site)
{
	const struct site_link *l;
	const struct site_fact *fs, *fn;
	struct doctor_finding *f;
	size_t i;
	int smtpd = 0, cleanup = 0;

	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (!doc_is_milter(l))
			continue;
		if (strcmp(l->from, "postfix cleanup") == 0)
			cleanup = 1;
		else
			smtpd = 1;
	}
	if (!smtpd || cleanup)
		return;
	doc_fact_is(site, "smtpd_milters", "", &fs);
	doc_fact_is(site, "non_smtpd_milters", "", &fn);
	f = doctor_add(d, "milter-local", DOCTOR_WARN,
	    "Mail that does not come in over SMTP (sendmail, cron, web "
	    "applications, pickup) goes through cleanup, which uses "
	    "non_smtpd_milters: when it is empty that mail leaves unsigned.",
	    "non_smtpd_milters = $smtpd_milters",
	    "non_smtpd_milters is empty: mail from sendmail, cron and web apps "
	    "leaves unsigned");
	if (fs != NULL)
		doctor_evidence(f, "%s: smtpd_milters = %s", fs->source,
		    fs->value);
	if (fn != NULL && (fn->source == NULL ||
	    strcmp(fn->source, "default") == 0))
		doctor_evidence(f, "non_smtpd_milters is not set (Postfix's "
		    "default: empty)");
	else if (fn != NULL) {
		doctor_evidence(f, "%s: non_smtpd_milters = %s", fn->source,
		    fn->value);
		doctor_where(f, fn->source);
	}
	/* Unset (the usual case): the fix adds it to smtpd_milters' file. */
	if (fs != NULL)
		doctor_where(f, fs->source);
}

/* G: milter_protocol below 6. */
static void
doc_protocol(struct doctor *d, const struct site *site)
{
	const struct site_fact *fp = site_fact(site, "postfix",
	    "milter_protocol");
	struct doctor_finding *f;
	char *end;
	long v;

	if (fp == NULL || fp->value == NULL || !doc_has_milter(site))
		return;
	v = strtol(fp->value, &end, 10);
	if (end == fp->value || *end != '\0' || v >= 6)
		return;
	f = doctor_add(d, "milter-protocol", DOCTOR_WARN,
	    "Below protocol 6 Postfix cannot offer what OpenDKIM asks for: "
	    "libmilter logs \"does not fulfill action requirements\" and the "
	    "negotiation fails.",
	    "milter_protocol = 6",
	    "milter_protocol = %ld: OpenDKIM needs 6", v);
	doctor_evidence(f, "%s: milter_protocol = %s", fp->source, fp->value);
	doctor_where(f, fp->source);
}

/* The fix of signer as plan.h asks it: kind, path, the site's listener
 * of the signer (probed after) and whether a milter link reaches it. */
static struct plan_fix *
doc_site_act(const struct site *site, enum plan_fix_kind kind,
    const char *signer, const char *path)
{
	const struct site_link *l, *listen = NULL;
	char *mta = NULL;
	size_t i;
	int milter = 0;
	struct plan_fix *fx;

	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (strcmp(l->kind, "listen") == 0 && listen == NULL &&
		    strcmp(site_listen_owner(l), signer) == 0)
			listen = l;
		else if (strcmp(l->kind, "listen") != 0 &&
		    strcmp(l->to, signer) == 0 && mta == NULL) {
			milter = strcmp(l->kind, "milter") == 0;
			mta = xstrndup(l->from, strcspn(l->from, " "));
		}
	}
	fx = plan_fix_new(kind, signer, mta, path, listen != NULL ?
	    &listen->sock : NULL, milter);
	free(mta);
	return fx;
}

/* Is an issue of ks about the key file itself (the rest are its
 * directories, the administrator's)? */
static int
doc_key_file_issue(const struct keys_entry *e)
{
	const char *key = e->safe.resolved != NULL ? e->safe.resolved :
	    e->path;
	size_t i;

	for (i = 0; key != NULL && i < e->safe.nissues; i++)
		if (e->safe.issues[i].fix != NULL &&
		    strcmp(e->safe.issues[i].path, key) == 0)
			return 1;
	return 0;
}

/* Keys the signers use that OpenDKIM would refuse, or others can read. */
static void
doc_keys(struct doctor *d, const struct site *site)
{
	struct keys_list *l;
	const struct keys_entry *e;
	struct doctor_finding *f;
	char *cause = NULL;
	size_t i, k;

	if ((l = keys_list_new(site, &cause)) == NULL) {
		free(cause);
		return;
	}
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (!e->configured || e->safe.nissues == 0)
			continue;
		f = doctor_add(d, "key-insecure", DOCTOR_FAIL,
		    "OpenDKIM checks the key file and its directories before "
		    "it signs: a key another user can read or replace is "
		    "refused (\"key data is not secure\", then \"error "
		    "loading key\") and OpenDKIM answers tempfail, so Postfix "
		    "holds the mail (451 4.7.1) until the key is safe; other "
		    "signers sign with a key others may have copied.",
		    e->safe.issues[0].fix,
		    "%s._domainkey.%s: the key %s is not safe", e->selector,
		    e->domain, e->path != NULL ? e->path : "?");
		for (k = 0; k < e->safe.nissues; k++)
			doctor_evidence(f, "%s: %s (fix: %s)",
			    e->safe.issues[k].path, e->safe.issues[k].problem,
			    e->safe.issues[k].fix);
		if (e->source != NULL)
			doctor_evidence(f, "configured at %s", e->source);
		if (e->signer != NULL && doc_key_file_issue(e))
			doctor_act(f, doc_site_act(site, PLAN_FIX_KEY,
			    e->signer, e->safe.resolved != NULL ?
			    e->safe.resolved : e->path));
	}
	keys_list_free(l);
}

/* A content filter no signer of notspam's takes (amavisd): said, since
 * whether it signs is not seen here. */
static void
doc_filter_note(struct doctor *d, const struct site *site)
{
	const struct site_link *l;
	size_t i;

	for (i = 0; i < site->nlinks; i++) {
		l = &site->links[i];
		if (strcmp(l->kind, "content_filter") != 0 ||
		    strcmp(l->to, "?") != 0)
			continue;
		strv_addf(&d->notes, "the mail goes through the content filter "
		    "%s (%s), most likely amavisd or another signer notspam "
		    "does not read: whether it signs is not checked here",
		    l->address, l->source != NULL ? l->source : "default");
	}
}

struct doctor *
doctor_config(const struct site *site)
{
	struct doctor *d = xcalloc(1, sizeof *d);

	strv_init(&d->notes);
	if (site->unread_signer != NULL)
		strv_addf(&d->notes, "%s signs the mail (%s): notspam does "
		    "not read its configuration, so whether it signs is not "
		    "checked here", site->unread_signer,
		    site->unread_signer_source != NULL ?
		    site->unread_signer_source : "its link");
	doc_filter_note(d, site);
	doc_hops(d, site);
	doc_accept(d, site);
	doc_local(d, site);
	doc_protocol(d, site);
	doc_keys(d, site);
	if (site->root != NULL)
		strv_add(&d->notes, "--root: the configuration and logs are "
		    "read; nothing is probed (the programs are not this "
		    "root's)");
	doctor_sort(d);
	return d;
}

size_t
doctor_fix_paths(const struct doctor_finding *f, const struct plan *p,
    struct strv *paths)
{
	const struct plan_file *pf;
	char *file;
	size_t i, line, n = 0;

	if (p == NULL)
		return 0;
	if (f->file != NULL &&
	    (pf = plan_fixing(p, f->file, f->line, f->title)) != NULL) {
		n++;
		if (paths != NULL && strv_find(paths, pf->path) == -1)
			strv_add(paths, pf->path);
	}
	for (i = 0; i < f->also.n; i++) {
		if (doc_source(f->also.v[i], &file, &line) != 0)
			continue;
		pf = plan_fixing(p, file, line, NULL);
		free(file);
		if (pf == NULL)
			continue;
		n++;
		if (paths != NULL && strv_find(paths, pf->path) == -1)
			strv_add(paths, pf->path);
	}
	return n;
}

/* The files and commands of f's act as a plan of its own would have
 * them; 1 when it can be planned. */
static int
doc_act_plan(struct doctor_finding *f, const struct site *site)
{
	struct plan *p;
	char *cause = NULL, *cmd;
	size_t i;
	int ok;

	p = plan_new(site);
	if ((ok = plan_fix_add(p, f->act, &cause) == 0)) {
		for (i = 0; i < p->nfiles; i++)
			if (plan_file_changed(&p->files[i]) &&
			    strv_find(&f->fix_files, p->files[i].path) == -1)
				strv_add(&f->fix_files, p->files[i].path);
		for (i = 0; i < p->nsteps + p->nreloads; i++) {
			cmd = plan_words(i < p->nsteps ? &p->steps[i].argv :
			    &p->reloads[i - p->nsteps].argv);
			if (strv_find(&f->fix_commands, cmd) == -1)
				strv_add(&f->fix_commands, cmd);
			free(cmd);
		}
	}
	free(cause);
	plan_free(p);
	return ok;
}

void
doctor_fixable(struct doctor *d, const struct plan *p)
{
	struct doctor_finding *f;
	size_t i;

	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		strv_free(&f->fix_files);
		strv_init(&f->fix_files);
		strv_free(&f->fix_commands);
		strv_init(&f->fix_commands);
		f->fixable = doctor_fix_paths(f, p, &f->fix_files) > 0;
		if (p != NULL && f->act != NULL && doc_act_plan(f, p->site))
			f->fixable = 1;
	}
}

/* A newer change of site path `path` than d's, kept. */
static void
doc_changed_file(struct doctor *d, const struct site *site,
    const char *path)
{
	struct stat sb;
	time_t t;

	if (path == NULL || path[0] != '/' ||
	    fsroot_stat(site->root, path, &sb) != 0)
		return;
	t = sb.st_mtime > sb.st_ctime ? sb.st_mtime : sb.st_ctime;
	if (t <= d->changed)
		return;
	d->changed = t;
	free(d->changed_file);
	d->changed_file = xstrdup(path);
}

void
doctor_changed(struct doctor *d, const struct site *site)
{
	size_t i;

	for (i = 0; i < site->ndocs; i++)
		doc_changed_file(d, site, site->docs[i]->path);
	for (i = 0; i < site->paths.n; i++)
		doc_changed_file(d, site, site->paths.v[i]);
	for (i = 0; i < site->nkeys; i++)
		doc_changed_file(d, site, site->keys[i].keyfile);
}

void
doctor_keys_dns(struct doctor *d, const struct keys_list *l)
{
	const struct keys_entry *e;
	struct doctor_finding *f;
	size_t i, unknown = 0;

	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (!e->configured || e->pub.type == NULL)
			continue;
		if (e->published == KEYS_PUB_UNKNOWN ||
		    e->published == KEYS_PUB_PENDING) {
			unknown++;
			continue;
		}
		if (e->published != KEYS_PUB_NO)
			continue;
		f = doctor_add(d, "key-dns-mismatch", DOCTOR_FAIL,
		    "Receivers fetch the public key at selector._domainkey."
		    "domain and check the signature with it: when the DNS has "
		    "no record there, another key, or p= empty, every "
		    "signature made with this key fails and DMARC falls back "
		    "on SPF alone.",
		    "publish the record notspam records prints for the domain "
		    "(or switch the signer to a key the DNS has: notspam keys)",
		    "%s._domainkey.%s: the DNS does not publish the key %s "
		    "signs with", e->selector, e->domain, e->signer);
		doctor_evidence(f, "the DNS: %s", e->pub_detail != NULL ?
		    e->pub_detail : "no matching record");
		if (e->source != NULL)
			doctor_evidence(f, "configured at %s (key %s)", e->source,
			    e->path != NULL ? e->path : "?");
	}
	if (unknown > 0)
		strv_addf(&d->notes, "the DNS did not tell whether %zu key%s "
		    "the signers use %s published", unknown, unknown == 1 ?
		    "" : "s", unknown == 1 ? "is" : "are");
	doctor_sort(d);
}
