/* keystate.c: the rotation state file. */
#include "core/keys/keystate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/site/site.h"
#include "core/lib/util.h"

#define KEYSTATE_DIR "/var/lib/notspam"

static const char *const ks_names[] = {
	"generated", "published", "active", "retired", "revoked"
};

const char *
keystate_name(enum keystate_state st)
{
	if ((size_t)st >= sizeof ks_names / sizeof ks_names[0])
		return "unknown";
	return ks_names[st];
}

int
keystate_parse(const char *word, enum keystate_state *st)
{
	size_t i;

	for (i = 0; i < sizeof ks_names / sizeof ks_names[0]; i++) {
		if (strcmp(word, ks_names[i]) == 0) {
			*st = (enum keystate_state)i;
			return 0;
		}
	}
	return -1;
}

struct keystate_entry *
keystate_find(const struct keystate *ks, const char *domain,
    const char *selector)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcasecmp(ks->v[i].domain, domain) == 0 &&
		    strcasecmp(ks->v[i].selector, selector) == 0)
			return &ks->v[i];
	return NULL;
}

struct keystate_entry *
keystate_set(struct keystate *ks, const char *domain, const char *selector,
    enum keystate_state st, long long since, const char *path)
{
	struct keystate_entry *e;

	if ((e = keystate_find(ks, domain, selector)) == NULL) {
		ks->v = xgrow(ks->v, ks->n, sizeof *ks->v);
		e = &ks->v[ks->n++];
		memset(e, 0, sizeof *e);
		e->domain = str_lower(xstrdup(domain));
		e->selector = str_lower(xstrdup(selector));
	}
	e->state = st;
	e->since = since;
	if (path != NULL) {
		free(e->path);
		e->path = xstrdup(path);
	}
	return e;
}

/* Parse one line; 0, 1 for blank/comment, -1 with *why. */
static int
ks_line(struct keystate *ks, char *line, const char **why)
{
	char *f[4], *p = line, *end;
	enum keystate_state st;
	long long since;
	size_t i;

	str_trim(line);
	if (*line == '\0' || *line == '#')
		return 1;
	for (i = 0; i < 4; i++) {
		if ((f[i] = strsep(&p, " ")) == NULL || *f[i] == '\0') {
			*why = "expected DOMAIN SELECTOR STATE SINCE PATH";
			return -1;
		}
	}
	if (!site_valid_domain(f[0], 0) || !site_valid_domain(f[1], 1)) {
		*why = "invalid domain or selector";
		return -1;
	}
	if (keystate_parse(f[2], &st) != 0) {
		*why = "unknown state (generated, published, active, retired, "
		    "revoked)";
		return -1;
	}
	errno = 0;
	since = strtoll(f[3], &end, 10);
	if (errno != 0 || *end != '\0' || since < 0) {
		*why = "SINCE is not a number of seconds";
		return -1;
	}
	if (p != NULL && (*p == '\0' || strcmp(p, "-") == 0))
		p = NULL;
	if (p != NULL && *p != '/') {
		*why = "PATH must be absolute";
		return -1;
	}
	keystate_set(ks, f[0], f[1], st, since, p);
	return 0;
}

/* Parse the text of a state file into ks (appending); the first bad line
 * goes to *warn when warn is not NULL. */
static void
ks_parse_text(struct keystate *ks, char *data, char **warn)
{
	char *p = data, *line;
	const char *why;
	size_t n = 0;

	while ((line = strsep(&p, "\n")) != NULL) {
		n++;
		if (ks_line(ks, line, &why) == -1 && warn != NULL &&
		    *warn == NULL)
			*warn = xasprintf("%s:%zu: %s; line ignored",
			    KEYSTATE_PATH, n, why);
	}
}

/* Free an array of n entries. */
static void
ks_free_entries(struct keystate_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].domain);
		free(v[i].selector);
		free(v[i].path);
	}
	free(v);
}

/* Remember the entries as they are now as the base of the next save. */
static void
ks_snapshot(struct keystate *ks)
{
	size_t i;

	ks_free_entries(ks->base, ks->nbase);
	ks->base = ks->n > 0 ? xreallocarray(NULL, ks->n, sizeof *ks->base) :
	    NULL;
	for (i = 0; i < ks->n; i++) {
		ks->base[i] = ks->v[i];
		ks->base[i].domain = xstrdup(ks->v[i].domain);
		ks->base[i].selector = xstrdup(ks->v[i].selector);
		ks->base[i].path = ks->v[i].path != NULL ?
		    xstrdup(ks->v[i].path) : NULL;
	}
	ks->nbase = ks->n;
}

int
keystate_load(const char *root, struct keystate *ks, char **warn,
    char **cause)
{
	char *data = NULL;
	size_t len;

	memset(ks, 0, sizeof *ks);
	if (warn != NULL)
		*warn = NULL;
	if (!fsroot_exists(root, KEYSTATE_PATH))
		return 0;
	if (fsroot_read(root, KEYSTATE_PATH, 0, &data, &len, cause) != 0)
		return -1;
	ks_parse_text(ks, data, warn);
	free(data);
	ks_snapshot(ks);
	return 0;
}

int
keystate_mkdir(const char *root, char **cause)
{
	static const char *const dirs[] = { "/var", "/var/lib", KEYSTATE_DIR };
	char *host;
	size_t i;
	int rc;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		host = fsroot_path(root, dirs[i]);
		rc = mkdir(host, 0755);
		if (rc == 0)
			(void)chmod(host, 0755);
		free(host);
		if (rc == -1 && errno != EEXIST)
			return fswrite_error(cause, "create", dirs[i], errno);
	}
	return 0;
}

/* The text of the state file. */
static void
ks_text(const struct keystate *ks, struct buf *b)
{
	size_t i;

	buf_adds(b, "# notspam DKIM key states: DOMAIN SELECTOR STATE "
	    "SINCE PATH\n# written by notspam; see notspam(1), \"keys\"\n");
	for (i = 0; i < ks->n; i++)
		buf_printf(b, "%s %s %s %lld %s\n", ks->v[i].domain,
		    ks->v[i].selector, keystate_name(ks->v[i].state),
		    ks->v[i].since, ks->v[i].path != NULL ? ks->v[i].path :
		    "-");
}

/* Has entry e changed from what was loaded (b, NULL when it is new)? */
static int
ks_changed(const struct keystate_entry *e, const struct keystate_entry *b)
{
	if (b == NULL)
		return 1;
	if (e->state != b->state || e->since != b->since)
		return 1;
	if (e->path == NULL || b->path == NULL)
		return e->path != b->path;
	return strcmp(e->path, b->path) != 0;
}

/* The base entry of domain/selector, or NULL. */
static const struct keystate_entry *
ks_base_find(const struct keystate *ks, const char *domain,
    const char *selector)
{
	struct keystate b;

	b.v = ks->base;
	b.n = ks->nbase;
	return keystate_find(&b, domain, selector);
}

/* What keystate_save does under the lock: the file as it is now, with our
 * changes set in it. */
struct ks_merge {
	struct keystate		*ks;
	struct keystate		 now;
};

static int
ks_merge_cb(const char *old, size_t oldlen, struct buf *out, void *arg,
    char **cause)
{
	struct ks_merge *m = arg;
	struct keystate_entry *e;
	char *copy;
	size_t i;

	(void)cause;
	memset(&m->now, 0, sizeof m->now);
	if (old != NULL) {
		copy = xstrndup(old, oldlen);
		ks_parse_text(&m->now, copy, NULL);
		free(copy);
	}
	for (i = 0; i < m->ks->n; i++) {
		e = &m->ks->v[i];
		if (ks_changed(e, ks_base_find(m->ks, e->domain, e->selector)))
			keystate_set(&m->now, e->domain, e->selector, e->state,
			    e->since, e->path);
	}
	ks_text(&m->now, out);
	return 0;
}

/* The options every state file write uses: a new file is 0644. */
static void
ks_opts(struct fswrite_opts *o)
{
	memset(o, 0, sizeof *o);
	o->mode = 0644;
}

int
keystate_save(const char *root, struct keystate *ks, char **cause)
{
	struct fswrite_opts o;
	struct ks_merge m;

	if (keystate_mkdir(root, cause) != 0)
		return -1;
	ks_opts(&o);
	memset(&m, 0, sizeof m);
	m.ks = ks;
	if (fswrite_update(root, KEYSTATE_PATH, &o, ks_merge_cb, &m,
	    cause) != 0) {
		keystate_free(&m.now);
		return -1;
	}
	/* Our entries as written are what the next save compares with
	 * (entries of others stay out of memory: this is not a reload). */
	keystate_free(&m.now);
	ks_snapshot(ks);
	return 0;
}

struct ks_update {
	keystate_update_cb	 cb;
	void			*arg;
};

static int
ks_update_cb(const char *old, size_t oldlen, struct buf *out, void *arg,
    char **cause)
{
	struct ks_update *u = arg;
	struct keystate now;
	char *copy;
	int rc;

	memset(&now, 0, sizeof now);
	if (old != NULL) {
		copy = xstrndup(old, oldlen);
		ks_parse_text(&now, copy, NULL);
		free(copy);
	}
	if ((rc = u->cb(&now, u->arg, cause)) == 0)
		ks_text(&now, out);
	keystate_free(&now);
	return rc;
}

int
keystate_update(const char *root, keystate_update_cb cb, void *arg,
    char **cause)
{
	struct fswrite_opts o;
	struct ks_update u;

	if (keystate_mkdir(root, cause) != 0)
		return -1;
	ks_opts(&o);
	u.cb = cb;
	u.arg = arg;
	return fswrite_update(root, KEYSTATE_PATH, &o, ks_update_cb, &u,
	    cause);
}

void
keystate_free(struct keystate *ks)
{
	if (ks == NULL)
		return;
	ks_free_entries(ks->v, ks->n);
	ks_free_entries(ks->base, ks->nbase);
	memset(ks, 0, sizeof *ks);
}

int
keystate_advance(struct keystate_entry *e, int configured, int published,
    long long now)
{
	enum keystate_state to = e->state;

	switch (e->state) {
	case KEYSTATE_GENERATED:
		if (configured)
			to = KEYSTATE_ACTIVE;
		else if (published == 1)
			to = KEYSTATE_PUBLISHED;
		break;
	case KEYSTATE_PUBLISHED:
		if (configured)
			to = KEYSTATE_ACTIVE;
		else if (published == 0)
			to = KEYSTATE_GENERATED;
		break;
	case KEYSTATE_ACTIVE:
		if (!configured)
			to = KEYSTATE_RETIRED;
		break;
	case KEYSTATE_RETIRED:
		if (configured)
			to = KEYSTATE_ACTIVE;
		break;
	case KEYSTATE_REVOKED:
		break;
	}
	if (to == e->state)
		return 0;
	e->state = to;
	e->since = now;
	return 1;
}
