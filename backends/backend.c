/* backend.c: the registry of backends, MTAs first, and the operations
 * every caller uses instead of knowing a program. */
#include "backends/backend.h"

#include <stdlib.h>
#include <string.h>

#include "backends/common.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"

const struct backend *const backends[] = {
	&backend_postfix,
	&backend_opensmtpd,
	&backend_opendkim,
	&backend_dkimproxy,
	&backend_dkimsign,
	NULL
};

/* Where the service managers are. */
static const char *const bk_systemctl[] = {
	"/usr/bin/systemctl", "/bin/systemctl", NULL
};
#define BK_SYSTEMD_DIR	"/run/systemd/system"
#define BK_RCCTL	"/usr/sbin/rcctl"

const struct backend *
backend_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; backends[i] != NULL; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

const char *
backend_role_name(enum backend_role role)
{
	return role == BACKEND_SIGNER ? "signer" : "mta";
}

const struct backend *
backend_signer(const char *name)
{
	const struct backend *b = backend_find(name);

	return b != NULL && b->role == BACKEND_SIGNER ? b : NULL;
}

const struct backend *
backend_default_signer(void)
{
	size_t i;

	for (i = 0; backends[i] != NULL; i++)
		if (backends[i]->role == BACKEND_SIGNER)
			return backends[i];
	return NULL;
}

char *
backend_signer_names(void)
{
	struct buf b;
	size_t i, n = 0, seen = 0;

	for (i = 0; backends[i] != NULL; i++)
		if (backends[i]->role == BACKEND_SIGNER)
			n++;
	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; backends[i] != NULL; i++) {
		if (backends[i]->role != BACKEND_SIGNER)
			continue;
		if (seen > 0)
			buf_adds(&b, seen + 1 == n ? " or " : ", ");
		buf_adds(&b, backends[i]->name);
		seen++;
	}
	return buf_steal(&b);
}

/* Add the words of a NULL-terminated list. */
static void
bk_argv_add(struct strv *argv, const char *const *words)
{
	for (; words != NULL && *words != NULL; words++)
		strv_add(argv, *words);
}

/* A copy of a settings command into argv. */
static void
bk_argv_copy(struct strv *argv, const struct strv *words)
{
	size_t i;

	for (i = 0; i < words->n; i++)
		strv_add(argv, words->v[i]);
}

/* The service manager's command for verb, or -1 when none is found. */
static int
bk_service_argv(const struct backend *b, const struct backend_ctx *ctx,
    const char *verb, struct strv *argv)
{
	char *path;
	int rc = -1;

	if (b->unit != NULL && fsroot_exists(ctx->root, BK_SYSTEMD_DIR)) {
		path = bk_first_existing(ctx->root, bk_systemctl);
		strv_add(argv, path != NULL ? path : bk_systemctl[0]);
		strv_add(argv, verb);
		strv_add(argv, b->unit);
		free(path);
		return 0;
	}
	if (b->rcname != NULL && fsroot_exists(ctx->root, BK_RCCTL)) {
		strv_add(argv, BK_RCCTL);
		strv_add(argv, verb);
		strv_add(argv, b->rcname);
		return 0;
	}
	if (b->initscript != NULL) {
		path = xasprintf("/etc/init.d/%s", b->initscript);
		if (fsroot_exists(ctx->root, path)) {
			strv_add(argv, path);
			strv_add(argv, verb);
			rc = 0;
		}
		free(path);
	}
	return rc;
}

int
backend_reload_argv(const struct backend *b, const struct backend_ctx *ctx,
    struct strv *argv, char **cause)
{
	const struct settings_backend *sb;

	if (b == NULL)
		return error_set(cause, "no such program");
	sb = settings_backend(ctx->settings, b->name);
	if (sb->reload.n > 0) {
		bk_argv_copy(argv, &sb->reload);
		return 0;
	}
	if (b->restart_only)
		return backend_restart_argv(b, ctx, argv, cause);
	if (bk_service_argv(b, ctx, "reload", argv) == 0)
		return 0;
	if (b->native_reload != NULL) {
		bk_argv_add(argv, b->native_reload);
		return 0;
	}
	return error_set(cause, "no service manager or init script found for "
	    "%s: set %s.reload in notspam.conf", b->name, b->name);
}

/* A restart, or a start of a program that does not run (verb): the
 * settings' restart command serves both (a restart of a stopped program
 * starts it), else the service manager's verb. */
static int
bk_restart_argv(const struct backend *b, const struct backend_ctx *ctx,
    const char *verb, struct strv *argv, char **cause)
{
	const struct settings_backend *sb;

	if (b == NULL)
		return error_set(cause, "no such program");
	sb = settings_backend(ctx->settings, b->name);
	if (sb->restart.n > 0) {
		bk_argv_copy(argv, &sb->restart);
		return 0;
	}
	/* A restart-only program's reload command restarts it. */
	if (b->restart_only && sb->reload.n > 0) {
		bk_argv_copy(argv, &sb->reload);
		return 0;
	}
	if (bk_service_argv(b, ctx, verb, argv) == 0)
		return 0;
	return error_set(cause, "no service manager or init script found for "
	    "%s: set %s.restart in notspam.conf", b->name, b->name);
}

int
backend_restart_argv(const struct backend *b, const struct backend_ctx *ctx,
    struct strv *argv, char **cause)
{
	return bk_restart_argv(b, ctx, "restart", argv, cause);
}

int
backend_start_argv(const struct backend *b, const struct backend_ctx *ctx,
    struct strv *argv, char **cause)
{
	return bk_restart_argv(b, ctx, "start", argv, cause);
}

void
backend_group_add_argv(const struct backend_ctx *ctx, const char *user,
    const char *group, struct strv *argv)
{
	strv_add(argv, "usermod");
	/* OpenBSD's -G adds to the groups (-S sets them); shadow's -G sets
	 * them unless -a is given. */
	if (!fsroot_exists(ctx->root, BK_RCCTL))
		strv_add(argv, "-a");
	strv_add(argv, "-G");
	strv_add(argv, group);
	strv_add(argv, user);
}

void
backend_validate_argv(const struct backend *b, const struct backend_ctx *ctx,
    const struct site_program *prog, struct strv *argv)
{
	if (b != NULL && b->validate_argv != NULL && prog != NULL &&
	    prog->config != NULL)
		b->validate_argv(ctx, prog, argv);
}

char *
backend_pidfile(const struct backend *b, const struct site *site)
{
	return b != NULL && b->pidfile != NULL ? b->pidfile(site) : NULL;
}

char *
backend_user(const struct backend *b, const struct site *site)
{
	const struct site_fact *f;
	char *u;

	if (b == NULL || b->role != BACKEND_SIGNER || b->user == NULL)
		return NULL;
	f = site != NULL && b->user_fact != NULL ?
	    site_fact(site, b->name, b->user_fact) : NULL;
	if (f != NULL && f->value != NULL && *f->value != '\0' &&
	    strcmp(f->value, "unset") != 0) {
		u = xstrdup(f->value);
		u[strcspn(u, ":")] = '\0';	/* UserID user:group */
		if (*u != '\0')
			return u;
		free(u);
	}
	return xstrdup(b->user);
}

char *
backend_client_user(const struct backend *b, const struct site *site)
{
	const struct site_fact *f;

	if (b == NULL || b->role != BACKEND_MTA || b->client_user == NULL)
		return NULL;
	f = site != NULL && b->client_user_fact != NULL ?
	    site_fact(site, b->name, b->client_user_fact) : NULL;
	if (f != NULL && f->value != NULL && *f->value != '\0' &&
	    strcmp(f->value, "unset") != 0)
		return xstrdup(f->value);
	return xstrdup(b->client_user);
}

int
backend_client_families(const struct backend *b, const struct site *site,
    char **source)
{
	char *src = NULL;
	int fam;

	if (source != NULL)
		*source = NULL;
	if (b == NULL || b->client_families == NULL || site == NULL)
		return BACKEND_IPV4 | BACKEND_IPV6;
	fam = b->client_families(site, &src);
	if (source != NULL)
		*source = src;
	else
		free(src);
	return fam;
}

char *
backend_key_path(const struct backend *b, const char *domain,
    const char *selector)
{
	if (b == NULL || b->role != BACKEND_SIGNER || b->key_dir == NULL)
		b = backend_default_signer();
	return xasprintf("%s/%s_%s%s", b->key_dir, domain, selector,
	    b->key_suffix);
}

char *
backend_switch_text(const struct backend *b, const struct site *site,
    const struct backend_key_switch *sw)
{
	if (b == NULL || b->switch_text == NULL)
		return NULL;
	return b->switch_text(site, b, sw);
}

char *
backend_reload_text(const struct backend *b, const struct site *site)
{
	struct backend_ctx ctx;
	struct strv argv;
	struct buf out;
	char *cause = NULL;
	const char *base;
	size_t i;

	ctx.root = site != NULL ? site->root : NULL;
	ctx.settings = site != NULL ? site->settings : NULL;
	strv_init(&argv);
	buf_init(&out);
	if (backend_reload_argv(b, &ctx, &argv, &cause) != 0) {
		/* Nothing found under the root: name the usual manager. */
		if (b != NULL && b->unit != NULL)
			buf_printf(&out, "systemctl %s %s", b->restart_only ?
			    "restart" : "reload", b->unit);
		else
			buf_adds(&out, cause);
		free(cause);
	}
	for (i = 0; i < argv.n; i++) {
		base = argv.v[i];
		/* A person types the service managers by name. */
		if (i == 0 && (strcmp(base, BK_RCCTL) == 0 ||
		    strcmp(base, bk_systemctl[0]) == 0 ||
		    strcmp(base, bk_systemctl[1]) == 0))
			base = strrchr(base, '/') + 1;
		buf_printf(&out, "%s%s", i > 0 ? " " : "", base);
	}
	strv_free(&argv);
	return buf_steal(&out);
}
