/* keystate.c: the rotation state file. */
#include "core/keys/keystate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lib/fsroot.h"
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

int
keystate_load(const char *root, struct keystate *ks, char **warn,
    char **cause)
{
	char *data = NULL, *p, *line;
	const char *why;
	size_t len, n = 0;

	memset(ks, 0, sizeof *ks);
	if (warn != NULL)
		*warn = NULL;
	if (!fsroot_exists(root, KEYSTATE_PATH))
		return 0;
	if (fsroot_read(root, KEYSTATE_PATH, 0, &data, &len, cause) != 0)
		return -1;
	p = data;
	while ((line = strsep(&p, "\n")) != NULL) {
		n++;
		if (ks_line(ks, line, &why) == -1 && warn != NULL &&
		    *warn == NULL)
			*warn = xasprintf("%s:%zu: %s; line ignored",
			    KEYSTATE_PATH, n, why);
	}
	free(data);
	return 0;
}

/* mkdir -p the state directory, 0755; -1 with *cause. */
static int
ks_mkdir(const char *root, char **cause)
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
			return error_set(cause, "cannot create %s: %s",
			    dirs[i], strerror(errno));
	}
	return 0;
}

int
keystate_save(const char *root, const struct keystate *ks, char **cause)
{
	struct buf b;
	char *host = NULL, *tmp = NULL, *dir = NULL;
	size_t i, off;
	ssize_t w;
	int fd = -1, dfd, rc = -1;

	if (ks_mkdir(root, cause) != 0)
		return -1;
	buf_init(&b);
	buf_adds(&b, "# notspam DKIM key states: DOMAIN SELECTOR STATE "
	    "SINCE PATH\n# written by notspam; see notspam(1), \"keys\"\n");
	for (i = 0; i < ks->n; i++)
		buf_printf(&b, "%s %s %s %lld %s\n", ks->v[i].domain,
		    ks->v[i].selector, keystate_name(ks->v[i].state),
		    ks->v[i].since, ks->v[i].path != NULL ? ks->v[i].path :
		    "-");
	host = fsroot_path(root, KEYSTATE_PATH);
	tmp = xasprintf("%s.tmp-%ld", host, (long)getpid());
	dir = fsroot_path(root, KEYSTATE_DIR);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		error_set(cause, "cannot write %s: %s", KEYSTATE_PATH,
		    strerror(errno));
		goto done;
	}
	for (off = 0; off < b.len; off += (size_t)w) {
		w = write(fd, b.data + off, b.len - off);
		if (w == -1 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
	if (off != b.len || fchmod(fd, 0644) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1) {
		fd = -1;
		error_set(cause, "cannot write %s: %s", KEYSTATE_PATH,
		    strerror(errno));
		(void)unlink(tmp);
		goto done;
	}
	fd = -1;
	if (rename(tmp, host) == -1) {
		error_set(cause, "cannot replace %s: %s", KEYSTATE_PATH,
		    strerror(errno));
		(void)unlink(tmp);
		goto done;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
done:
	if (fd != -1) {
		close(fd);
		(void)unlink(tmp);
	}
	buf_free(&b);
	free(host);
	free(tmp);
	free(dir);
	return rc;
}

void
keystate_free(struct keystate *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->v[i].domain);
		free(ks->v[i].selector);
		free(ks->v[i].path);
	}
	free(ks->v);
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
