/* apply.c: a plan through one transaction, its reloads and its probes. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/apply/apply.h"
#include "backends/backend.h"
#include "core/apply/plan.h"
#include "core/apply/probe.h"
#include "core/apply/txn.h"
#include "core/lib/fsroot.h"
#include "core/lib/loop.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

/* Output kept of a step or a reload. */
#define APPLY_RUN_OUT	(16u * 1024)
/* A step's or a reload's time limit when none is given. */
#define APPLY_RUN_MS	60000
/* How long a restarted program's old process is given to exit (or the
 * time limit, when shorter). */
#define APPLY_EXIT_MS	10000
/* Children of an old process a restart waits for, at most. */
#define APPLY_KIDS	64

struct apply_hook {
	const struct plan	*plan;
	const struct apply_opts	*opts;
	struct apply_result	*res;
};

/* Does the text look like a private key (never copied into a backup)? */
static int
apply_secret(const char *text, size_t len)
{
	const char *p;

	for (p = text; p != NULL && (size_t)(p - text) < len; p++) {
		p = memchr(p, 'P', len - (size_t)(p - text));
		if (p == NULL)
			break;
		if (len - (size_t)(p - text) >= 11 &&
		    memcmp(p, "PRIVATE KEY", 11) == 0)
			return 1;
	}
	return 0;
}

/* One plan file into the transaction. */
static int
apply_add_file(struct txn *t, const struct plan_file *f, int system,
    char **cause)
{
	struct passwd *pw;
	struct group *gr;
	char *text;
	size_t len;
	int flags = TXN_MKDIR, rc;

	text = plan_file_text(f, &len);
	if (apply_secret(f->old, f->oldlen) || apply_secret(text, len))
		flags |= TXN_SECRET;
	if (!f->exists && system && f->owner != NULL &&
	    (pw = getpwnam(f->owner)) != NULL &&
	    (gr = getgrnam(f->group != NULL ? f->group : f->owner)) != NULL)
		rc = txn_add_exact(t, f->path, f->old, f->oldlen, 0, text, len,
		    f->mode, pw->pw_uid, gr->gr_gid, flags, cause);
	else
		rc = txn_add(t, f->path, f->old, f->oldlen, f->exists, text,
		    len, f->mode, flags, cause);
	free(text);
	return rc;
}

/* The base name of a command. */
static const char *
apply_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The opendkim checker: opendkim -n -x on a copy of the staged
 * opendkim.conf whose absolute paths that are staged (a new KeyTable and
 * SigningTable) point into the stage, so it reads the planned tables. */
struct apply_odk {
	char	*exe;
	char	*path;		/* site path of opendkim.conf */
	int	 timeout_ms;
};

static char *
apply_odk_line(const char *stage, const char *line)
{
	struct buf b;
	struct stat sb;
	const char *p = line, *w;
	char *host, *word;
	size_t n;

	buf_init(&b);
	while (*p != '\0') {
		if (*p != '/' || (p != line && strchr(" \t:,", p[-1]) == NULL)) {
			buf_addc(&b, *p++);
			continue;
		}
		for (w = p; *w != '\0' && strchr(" \t,\n", *w) == NULL; w++)
			;
		n = (size_t)(w - p);
		word = xstrndup(p, n);
		host = xasprintf("%s%s", stage, word);
		if (stat(host, &sb) == 0 && S_ISREG(sb.st_mode))
			buf_adds(&b, host);
		else
			buf_adds(&b, word);
		free(host);
		free(word);
		p = w;
	}
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

static int
apply_odk_check(const char *stage, struct buf *out, void *arg)
{
	struct apply_odk *k = arg;
	char *conf, *copy, *data = NULL, *line, *next, *fixed, *o = NULL;
	char *why = NULL;
	struct buf b;
	FILE *f;
	size_t len;
	int status = 0, rc = -1;

	conf = xasprintf("%s%s", stage, k->path);
	copy = xasprintf("%s%s.notspam-check", stage, k->path);
	if (fsroot_read(NULL, conf, 0, &data, &len, &why) != 0) {
		buf_printf(out, "%s: %s\n", k->path, why);
		goto out;
	}
	buf_init(&b);
	for (line = data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		fixed = apply_odk_line(stage, line);
		buf_printf(&b, "%s\n", fixed);
		free(fixed);
	}
	if ((f = fopen(copy, "w")) == NULL || fwrite(b.data, 1, b.len, f) !=
	    b.len || fclose(f) != 0) {
		buf_printf(out, "cannot write the copy to check\n");
		buf_free(&b);
		goto out;
	}
	buf_free(&b);
	{
		const char *argv[] = { k->exe, "-n", "-x", copy, NULL };
		if (proc_run(argv, k->timeout_ms > 0 ? k->timeout_ms :
		    TXN_CHECK_MS, TXN_MAX_OUT, &o, &status, &why) != 0)
			buf_printf(out, "%s\n", why);
		else {
			buf_adds(out, o);
			rc = status == 0 ? 0 : -1;
		}
	}
	unlink(copy);
out:
	free(o);
	free(why);
	free(data);
	free(conf);
	free(copy);
	return rc;
}

static void
apply_odk_free(struct apply_odk *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(k[i].exe);
		free(k[i].path);
	}
	free(k);
}

/* The plan's checkers into the transaction; under a root, the ones that
 * read or make paths outside it are left out and named in res->skipped. */
static struct apply_odk *
apply_add_checks(struct txn *t, const struct plan *p, int system,
    const struct apply_opts *o, struct apply_result *res, size_t *nodk)
{
	const struct plan_check *c;
	struct apply_odk *odk;
	const char **argv;
	char *word, *name;
	size_t i, j;
	int flags;

	odk = xcalloc(p->nchecks + 1, sizeof *odk);
	*nodk = 0;
	for (i = 0; i < p->nchecks; i++) {
		c = &p->checks[i];
		if (c->argv.n == 0 || c->path_arg >= c->argv.n)
			continue;
		if (!system && c->outside) {
			strv_addf(&res->skipped, "%s %s: it reads or creates "
			    "paths outside --root; it runs on the real machine",
			    apply_base(c->argv.v[0]), c->argv.v[c->path_arg]);
			continue;
		}
		if (strcmp(apply_base(c->argv.v[0]), "opendkim") == 0) {
			odk[*nodk].exe = xstrdup(c->argv.v[0]);
			odk[*nodk].path = xstrdup(c->argv.v[c->path_arg]);
			odk[*nodk].timeout_ms = o->timeout_ms;
			name = xasprintf("%s -n -x %s", c->argv.v[0],
			    c->argv.v[c->path_arg]);
			txn_add_check_fn(t, name, apply_odk_check, &odk[*nodk]);
			free(name);
			(*nodk)++;
			continue;
		}
		argv = xcalloc(c->argv.n + 1, sizeof *argv);
		word = xasprintf("%s%s", TXN_STAGE, c->argv.v[c->path_arg]);
		for (j = 0; j < c->argv.n; j++)
			argv[j] = j == c->path_arg ? word : c->argv.v[j];
		flags = strcmp(apply_base(c->argv.v[0]), "postconf") == 0 ?
		    TXN_CHECK_STDERR : 0;
		txn_add_check(t, argv, flags);
		free(word);
		free(argv);
	}
	return odk;
}

/* A plan whose commands are changes of their own (doctor --fix: start a
 * signer, a key's chmod): each is an action of the transaction, run even
 * when no file changes.  Not under a root, where nothing runs. */
static void
apply_add_actions(struct txn *t, const struct plan *p, int system)
{
	char *what;
	size_t i;

	if (!system || plan_commands(p) == 0)
		return;
	for (i = 0; i < p->nsteps + p->nreloads; i++) {
		what = plan_words(i < p->nsteps ? &p->steps[i].argv :
		    &p->reloads[i - p->nsteps].argv);
		txn_add_action(t, what);
		free(what);
	}
}

/* Run argv (a step or a reload), its output in *cause on failure. */
static int
apply_run(const struct strv *av, const struct apply_opts *o,
    struct apply_result *res, char **cause)
{
	return proc_run_words(av, o->timeout_ms > 0 ? o->timeout_ms :
	    APPLY_RUN_MS, APPLY_RUN_OUT, &res->ran, cause);
}

/* The PID a PID file names, or 0. */
static pid_t
apply_pid(const char *path)
{
	char *data = NULL, *why = NULL, *end;
	size_t len;
	long v;

	if (path == NULL || fsroot_read(NULL, path, 64, &data, &len,
	    &why) != 0) {
		free(why);
		return 0;
	}
	v = strtol(data, &end, 10);
	if (end == data || (*end != '\0' && *end != '\n'))
		v = 0;
	free(data);
	return v > 1 ? (pid_t)v : 0;
}

/*
 * Does process pid run, as one of names when they are given?  On Linux's
 * /proc a zombie does not, nor a process of another name (a stale PID file
 * naming a PID reused since); without /proc, kill(2) alone says.
 */
static int
apply_alive(pid_t pid, const char *const *names)
{
	char path[64], line[512], *open, *close;
	FILE *f;
	int alive = 1;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	if (fgets(line, sizeof line, f) != NULL &&
	    (open = strchr(line, '(')) != NULL &&
	    (close = strrchr(line, ')')) != NULL && close > open &&
	    close[1] == ' ') {
		if (close[2] == 'Z')
			alive = 0;
		*close = '\0';
		for (; alive && names != NULL && *names != NULL; names++)
			if (strcmp(open + 1, *names) == 0)
				break;
		if (names != NULL && *names == NULL)
			alive = 0;
	}
	fclose(f);
	return alive;
}

/* The parent PID of pid (from /proc/PID/stat), or 0. */
static pid_t
apply_ppid(pid_t pid)
{
	char path[64], line[512], *close;
	long pp = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) != NULL &&
	    (close = strrchr(line, ')')) != NULL &&
	    sscanf(close + 1, " %*c %ld", &pp) != 1)
		pp = 0;
	fclose(f);
	return (pid_t)pp;
}

/*
 * The children of pid into kids (at most max): OpenSMTPD's smtpd is a
 * parent of several processes that hold its listening sockets and exit
 * after it, so a restart must wait for them too or the new smtpd finds
 * the port in use.  Without /proc: none.
 */
static size_t
apply_children(pid_t pid, pid_t *kids, size_t max)
{
	struct dirent *de;
	DIR *d;
	size_t n = 0;
	long v;
	char *end;

	if (pid <= 0 || (d = opendir("/proc")) == NULL)
		return 0;
	while (n < max && (de = readdir(d)) != NULL) {
		v = strtol(de->d_name, &end, 10);
		if (end == de->d_name || *end != '\0' || v <= 1)
			continue;
		if (apply_ppid((pid_t)v) == pid)
			kids[n++] = (pid_t)v;
	}
	closedir(d);
	return n;
}

/* Does any of the n processes still run (as names)? */
static int
apply_any_alive(const pid_t *v, size_t n, const char *const *names)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (apply_alive(v[i], names))
			return 1;
	return 0;
}

/*
 * A restart, r's command, then the old process gone.  A restart command
 * that returns while the old process still runs may have started nothing
 * (Debian's /etc/init.d/opensmtpd restart stops without waiting, then
 * start-stop-daemon --start finds the old smtpd in the PID file and
 * leaves it to exit): once it is gone, when no new process took its
 * place, the command runs once more.
 */
static int
apply_restart(const struct plan_reload *r, const struct apply_opts *o,
    struct apply_result *res, char **cause)
{
	const char *const *names = r->backend->procnames;
	int64_t deadline;
	pid_t old = apply_pid(r->pidfile), now, kids[APPLY_KIDS];
	size_t nkids = 0;

	if (!apply_alive(old, names))
		old = 0;
	else
		nkids = apply_children(old, kids, APPLY_KIDS);
	if (apply_run(&r->argv, o, res, cause) != 0)
		return -1;
	if (old == 0 || (!apply_alive(old, names) &&
	    !apply_any_alive(kids, nkids, names)))
		return 0;
	deadline = loop_now_ms() + (o->timeout_ms > 0 &&
	    o->timeout_ms < APPLY_EXIT_MS ? o->timeout_ms : APPLY_EXIT_MS);
	while ((apply_alive(old, names) || apply_any_alive(kids, nkids,
	    names)) && loop_now_ms() < deadline)
		usleep(50 * 1000);
	now = apply_pid(r->pidfile);
	if (now != 0 && now != old && apply_alive(now, names))
		return 0;
	return apply_run(&r->argv, o, res, cause);
}

/* The plan's reloads and restarts, in its order. */
static int
apply_reloads(const struct plan *p, const struct apply_opts *o,
    struct apply_result *res, char **cause)
{
	const struct plan_reload *r;
	size_t i;

	for (i = 0; i < p->nreloads; i++) {
		r = &p->reloads[i];
		if (r->argv.n == 0)
			return error_set(cause, "cannot %s %s: %s", r->start ?
			    "start" : r->restart ? "restart" : "reload",
			    plan_backend_name(r->backend),
			    r->why != NULL ? r->why : "no command");
		if (r->restart && r->pidfile != NULL) {
			if (apply_restart(r, o, res, cause) != 0)
				return -1;
		} else if (apply_run(&r->argv, o, res, cause) != 0)
			return -1;
	}
	return 0;
}

/* Each signing path answers. */
static int
apply_probes(const struct plan *p, const struct apply_opts *o,
    struct apply_result *res, char **cause)
{
	const struct plan_probe *pr;
	char *why = NULL;
	size_t i;

	for (i = 0; i < p->nprobes; i++) {
		pr = &p->probes[i];
		if (pr->listener.transport == SOCKSPEC_NONE)
			continue;
		if (pr->hook == PLAN_HOOK_MILTER) {
			if (probe_milter(&pr->listener, o->timeout_ms,
			    &why) != 0)
				goto fail;
			strv_addf(&res->probed, "%s answers the milter "
			    "negotiation at %s", plan_backend_name(pr->signer),
			    pr->endpoint);
			continue;
		}
		if (probe_connect(&pr->listener, o->timeout_ms, &why) != 0)
			goto fail;
		if (pr->hook == PLAN_HOOK_FILTER)
			strv_addf(&res->probed, "%s accepts connections at %s "
			    "with %s in place", plan_backend_name(pr->mta),
			    pr->endpoint, plan_backend_name(pr->signer));
		else
			strv_addf(&res->probed, "%s accepts connections at %s",
			    plan_backend_name(pr->signer), pr->endpoint);
		if (pr->relay.transport == SOCKSPEC_NONE)
			continue;
		if (probe_connect(&pr->relay, o->timeout_ms, &why) != 0)
			goto fail;
		strv_addf(&res->probed, "%s accepts the signed mail back",
		    plan_backend_name(pr->mta));
	}
	return 0;
fail:
	error_set(cause, "the signing path %s -> %s does not answer after the "
	    "reload: %s", plan_backend_name(pr->mta),
	    plan_backend_name(pr->signer), why);
	free(why);
	return -1;
}

static int
apply_after_write(struct txn *t, void *arg, char **cause)
{
	struct apply_hook *h = arg;
	size_t i;

	(void)t;
	for (i = 0; i < h->plan->nsteps; i++)
		if (apply_run(&h->plan->steps[i].argv, h->opts, h->res,
		    cause) != 0)
			return -1;
	if (apply_reloads(h->plan, h->opts, h->res, cause) != 0)
		return -1;
	return apply_probes(h->plan, h->opts, h->res, cause);
}

static int
apply_after_restore(struct txn *t, void *arg, char **cause)
{
	struct apply_hook *h = arg;

	(void)t;
	return apply_reloads(h->plan, h->opts, h->res, cause);
}

int
apply_commit(const struct plan *p, const char *root,
    const struct apply_opts *o, struct apply_result *res, char **cause)
{
	struct txn_opts to;
	struct txn_hooks hooks;
	struct apply_hook h;
	struct apply_odk *odk;
	struct txn *t;
	size_t i, nodk = 0;
	int system = fsroot_is_system(root), rc = -1;

	memset(res, 0, sizeof *res);
	txn_report_init(&res->report);
	strv_init(&res->skipped);
	strv_init(&res->ran);
	strv_init(&res->probed);
	res->no_reload = !system;
	memset(&to, 0, sizeof to);
	to.backup_base = o->backup_base;
	to.check_timeout_ms = o->timeout_ms;
	t = txn_new(system ? NULL : root, &to);
	for (i = 0; i < p->nfiles; i++)
		if (apply_add_file(t, &p->files[i], system, cause) != 0)
			goto out;
	for (i = 0; i < p->nreloads; i++)
		txn_add_service(t, plan_backend_name(p->reloads[i].backend));
	apply_add_actions(t, p, system);
	odk = apply_add_checks(t, p, system, o, res, &nodk);
	h.plan = p;
	h.opts = o;
	h.res = res;
	memset(&hooks, 0, sizeof hooks);
	if (system) {
		hooks.after_write = apply_after_write;
		hooks.after_restore = apply_after_restore;
	}
	hooks.arg = &h;
	rc = txn_commit(t, &hooks, &res->report, cause);
	txn_free(t);
	apply_odk_free(odk, nodk);
	return rc;
out:
	txn_free(t);
	return rc;
}

void
apply_result_free(struct apply_result *res)
{
	txn_report_free(&res->report);
	strv_free(&res->skipped);
	strv_free(&res->ran);
	strv_free(&res->probed);
}
