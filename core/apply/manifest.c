/* manifest.c: backup directories, their manifest and journal. */
#include "core/apply/manifest.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"

/* Stamps tried in one second before giving up. */
#define MF_MAX_COUNTER	999
/* "20261201T133000Z" */
#define MF_STAMP_LEN	16

void
manifest_sha256(const void *data, size_t len, char out[MANIFEST_SHA_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		fatal("EVP_Digest(sha256) failed");
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* n decimal digits at s? */
static int
mf_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int
manifest_stamp_ok(const char *s)
{
	size_t n;

	if (s == NULL || strlen(s) < MF_STAMP_LEN || !mf_digits(s, 8) ||
	    s[8] != 'T' || !mf_digits(s + 9, 6) || s[15] != 'Z')
		return 0;
	s += MF_STAMP_LEN;
	if (*s == '\0')
		return 1;
	n = strlen(s + 1);
	return s[0] == '-' && n >= 1 && n <= 3 && s[1] != '0' &&
	    mf_digits(s + 1, n);
}

/* The counter of a stamp: 1 without one. */
static long
mf_counter(const char *s)
{
	return strlen(s) > MF_STAMP_LEN ? strtol(s + MF_STAMP_LEN + 1, NULL,
	    10) : 1;
}

int
manifest_stamp_cmp(const char *a, const char *b)
{
	int c = strncmp(a, b, MF_STAMP_LEN);
	long ca, cb;

	if (c != 0)
		return c;
	ca = mf_counter(a);
	cb = mf_counter(b);
	return ca < cb ? -1 : ca > cb;
}

/* fsync the host directory dir (errors ignored: some file systems refuse
 * it, and the entry is made either way). */
static void
mf_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* The host directory holding host path p, synced. */
static void
mf_sync_parent(const char *p)
{
	char *d = xstrdup(p), *slash = strrchr(d, '/');

	if (slash != NULL) {
		if (slash == d)
			slash[1] = '\0';
		else
			*slash = '\0';
		mf_sync_dir(d);
	}
	free(d);
}

/* mkdir one host directory; 1 made, 0 it was there, -1 with errno. */
static int
mf_mkdir(const char *host, mode_t mode)
{
	struct stat sb;

	if (mkdir(host, mode) == 0) {
		/* mkdir's mode passes through the umask. */
		if (chmod(host, mode) == -1)
			return -1;
		mf_sync_parent(host);
		return 1;
	}
	if (errno != EEXIST)
		return -1;
	if (stat(host, &sb) == -1)
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
manifest_mkdirs(const char *root, const char *path, mode_t way,
    mode_t mode, char **cause)
{
	char *resolved = NULL, *sub, *host, *p;
	int rc = 0;

	if (fsroot_resolve(root, path, 1, &resolved, cause) != 0)
		return -1;
	for (p = resolved + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		sub = xstrndup(resolved, (size_t)(p - resolved));
		host = fsroot_path(root, sub);
		if (mf_mkdir(host, *p == '\0' ? mode : way) == -1)
			rc = fswrite_error(cause, "make the directory", sub,
			    errno);
		free(host);
		free(sub);
		if (*p == '\0')
			break;
	}
	free(resolved);
	return rc;
}

int
manifest_trusted(const char *root, const char *dir, char **cause)
{
	struct stat sb;
	char *host = fsroot_host(root, dir, 1, cause);
	int rc;

	if (host == NULL)
		return -1;
	rc = stat(host, &sb);
	free(host);
	if (rc == -1)
		return fswrite_error(cause, "read", dir, errno);
	if (!S_ISDIR(sb.st_mode))
		return error_set(cause, "%s is not a directory", dir);
	if (sb.st_uid != geteuid() || (sb.st_mode & 022) != 0)
		return error_set(cause, "%s is not trusted: it belongs to uid "
		    "%u, mode %04o (it must be this user's and writable by no "
		    "one else, as notspam makes it); fix its owner and mode",
		    dir, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777));
	return 0;
}

int
manifest_create(const char *root, const char *base, time_t now,
    char **stamp, char **dir, char **cause)
{
	struct tm tm;
	char when[32], *resolved = NULL, *host;
	int i;

	*stamp = *dir = NULL;
	if (manifest_mkdirs(root, base, 0755, 0700, cause) != 0 ||
	    manifest_trusted(root, base, cause) != 0 ||
	    fsroot_resolve(root, base, 1, &resolved, cause) != 0)
		return -1;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm) == 0)
		fatal("cannot format the time %lld", (long long)now);
	for (i = 1; i <= MF_MAX_COUNTER; i++) {
		*stamp = i == 1 ? xstrdup(when) : xasprintf("%s-%d", when, i);
		*dir = xasprintf("%s/%s", strcmp(resolved, "/") == 0 ? "" :
		    resolved, *stamp);
		host = fsroot_path(root, *dir);
		if (mkdir(host, 0700) == 0 && chmod(host, 0700) == 0) {
			mf_sync_parent(host);
			free(host);
			free(resolved);
			return 0;
		}
		free(host);
		if (errno != EEXIST) {
			fswrite_error(cause, "make the backup directory", *dir,
			    errno);
			break;
		}
		free(*stamp);
		free(*dir);
		*stamp = *dir = NULL;
	}
	if (i > MF_MAX_COUNTER)
		error_set(cause, "%s: no free backup name for %s (%d taken)",
		    base, when, MF_MAX_COUNTER);
	free(*stamp);
	free(*dir);
	*stamp = *dir = NULL;
	free(resolved);
	return -1;
}

/* Append value to b, %XX-escaped (see manifest.h). */
static void
mf_escape(struct buf *b, const char *value)
{
	const unsigned char *p;

	if (value == NULL || *value == '\0') {
		buf_addc(b, '-');
		return;
	}
	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p <= ' ' || *p == '%' || *p >= 0x7f ||
		    (p == (const unsigned char *)value && *p == '-'))
			buf_printf(b, "%%%02X", *p);
		else
			buf_addc(b, (char)*p);
	}
}

/* The value of an escaped field; "-" is NULL.  Caller frees. */
static char *
mf_unescape(const char *s, size_t n)
{
	struct buf b;
	unsigned int c;
	size_t i;

	if (n == 1 && s[0] == '-')
		return NULL;
	buf_init(&b);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2]) &&
		    sscanf(s + i + 1, "%2x", &c) == 1 && c != 0) {
			buf_addc(&b, (char)c);
			i += 2;
		} else
			buf_addc(&b, s[i]);
	}
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

/* One "file" line of the manifest into b. */
static void
mf_format_file(struct buf *b, const struct manifest_file *f)
{
	buf_adds(b, "file path=");
	mf_escape(b, f->path);
	buf_adds(b, " target=");
	mf_escape(b, f->target);
	buf_printf(b, " existed=%d mode=%04o uid=%u gid=%u secret=%d before=",
	    f->existed ? 1 : 0, (unsigned)(f->mode & 07777),
	    (unsigned)f->uid, (unsigned)f->gid, f->secret ? 1 : 0);
	mf_escape(b, f->before);
	buf_adds(b, " after=");
	mf_escape(b, f->after);
	buf_adds(b, " copy=");
	mf_escape(b, f->copy);
	buf_addc(b, '\n');
}

char *
manifest_format(const struct manifest *m)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_adds(&b, "notspam-backup 1\nstamp ");
	mf_escape(&b, m->stamp);
	buf_adds(&b, "\nkind ");
	mf_escape(&b, m->kind != NULL ? m->kind : "apply");
	buf_addc(&b, '\n');
	if (m->restores != NULL) {
		buf_adds(&b, "restores ");
		mf_escape(&b, m->restores);
		buf_addc(&b, '\n');
	}
	for (i = 0; i < m->services.n; i++) {
		buf_adds(&b, "service ");
		mf_escape(&b, m->services.v[i]);
		buf_addc(&b, '\n');
	}
	for (i = 0; i < m->dirs.n; i++) {
		buf_adds(&b, "mkdir ");
		mf_escape(&b, m->dirs.v[i]);
		buf_addc(&b, '\n');
	}
	for (i = 0; i < m->nfiles; i++)
		mf_format_file(&b, &m->files[i]);
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

struct manifest_file *
manifest_add_file(struct manifest *m, const struct manifest_file *f)
{
	struct manifest_file *n;

	m->files = xgrow(m->files, m->nfiles, sizeof *m->files);
	n = &m->files[m->nfiles++];
	*n = *f;
	n->path = xstrdup(f->path);
	n->target = xstrdup(f->target != NULL ? f->target : f->path);
	n->copy = f->copy != NULL ? xstrdup(f->copy) : NULL;
	return n;
}

/* A hash field: 64 hex digits, or absent ("-"). */
static int
mf_set_sha(char dst[MANIFEST_SHA_LEN], const char *v)
{
	size_t i;

	dst[0] = '\0';
	if (v == NULL)
		return 0;
	if (strlen(v) != MANIFEST_SHA_LEN - 1)
		return -1;
	for (i = 0; v[i] != '\0'; i++)
		if (!isxdigit((unsigned char)v[i]))
			return -1;
	memcpy(dst, v, MANIFEST_SHA_LEN);
	return 0;
}

/* An unsigned decimal (or octal, base 8) field into *out; -1 if bad. */
static int
mf_number(const char *v, int base, unsigned long *out)
{
	char *end;

	if (v == NULL || !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	*out = strtoul(v, &end, base);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* Set one key=value field of a file record; -1 when it is bad. */
static int
mf_file_field(struct manifest_file *f, const char *key, size_t klen,
    char *v)
{
	unsigned long n;
	int rc = 0;

	if (klen == 4 && strncmp(key, "path", 4) == 0 && v != NULL &&
	    v[0] == '/') {
		free(f->path);
		f->path = v;
		return 0;
	}
	if (klen == 6 && strncmp(key, "target", 6) == 0 && v != NULL &&
	    v[0] == '/') {
		free(f->target);
		f->target = v;
		return 0;
	}
	if (klen == 4 && strncmp(key, "copy", 4) == 0) {
		if (v != NULL && (v[0] == '/' || strstr(v, "..") != NULL))
			rc = -1;
		else {
			free(f->copy);
			f->copy = v;
			return 0;
		}
	} else if (klen == 6 && strncmp(key, "before", 6) == 0)
		rc = mf_set_sha(f->before, v);
	else if (klen == 5 && strncmp(key, "after", 5) == 0)
		rc = mf_set_sha(f->after, v);
	else if (klen == 4 && strncmp(key, "mode", 4) == 0) {
		rc = mf_number(v, 8, &n);
		f->mode = (mode_t)(n & 07777);
	} else if (klen == 3 && strncmp(key, "uid", 3) == 0) {
		rc = mf_number(v, 10, &n);
		f->uid = (uid_t)n;
	} else if (klen == 3 && strncmp(key, "gid", 3) == 0) {
		rc = mf_number(v, 10, &n);
		f->gid = (gid_t)n;
	} else if (klen == 7 && strncmp(key, "existed", 7) == 0) {
		rc = mf_number(v, 10, &n);
		f->existed = n != 0;
	} else if (klen == 6 && strncmp(key, "secret", 6) == 0) {
		rc = mf_number(v, 10, &n);
		f->secret = n != 0;
	} else if ((klen == 4 && strncmp(key, "path", 4) == 0) ||
	    (klen == 6 && strncmp(key, "target", 6) == 0))
		rc = -1;	/* not absolute */
	/* Unknown fields are a later version's: ignored. */
	free(v);
	return rc;
}

/* Parse the fields of a "file" line (after the word). */
static int
mf_parse_file(struct manifest *m, const char *s)
{
	struct manifest_file f;
	const char *eq, *end;
	int rc = 0;

	memset(&f, 0, sizeof f);
	while (*s != '\0' && rc == 0) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		end = s + strcspn(s, " ");
		eq = memchr(s, '=', (size_t)(end - s));
		if (eq == NULL)
			rc = -1;
		else
			rc = mf_file_field(&f, s, (size_t)(eq - s),
			    mf_unescape(eq + 1, (size_t)(end - eq - 1)));
		s = end;
	}
	if (rc == 0 && (f.path == NULL || (f.existed && f.before[0] == '\0') ||
	    (!f.existed && f.before[0] != '\0')))
		rc = -1;
	if (rc == 0) {
		if (f.target == NULL)
			f.target = xstrdup(f.path);
		m->files = xgrow(m->files, m->nfiles, sizeof *m->files);
		m->files[m->nfiles++] = f;
		return 0;
	}
	free(f.path);
	free(f.target);
	free(f.copy);
	return -1;
}

/* Parse one manifest line (NUL-terminated, no newline). */
static int
mf_parse_line(struct manifest *m, const char *line, int lineno)
{
	const char *sp = strchr(line, ' ');
	const char *v = sp != NULL ? sp + 1 : "";
	size_t klen = sp != NULL ? (size_t)(sp - line) : strlen(line);
	char **slot = NULL;

	if (lineno == 1)
		return strcmp(line, "notspam-backup 1") == 0 ? 0 : -1;
	if (klen == 4 && strncmp(line, "file", 4) == 0)
		return mf_parse_file(m, v);
	if (klen == 5 && strncmp(line, "stamp", 5) == 0)
		slot = &m->stamp;
	else if (klen == 4 && strncmp(line, "kind", 4) == 0)
		slot = &m->kind;
	else if (klen == 8 && strncmp(line, "restores", 8) == 0)
		slot = &m->restores;
	else if ((klen == 7 && strncmp(line, "service", 7) == 0) ||
	    (klen == 5 && strncmp(line, "mkdir", 5) == 0)) {
		char *name = mf_unescape(v, strlen(v));
		if (klen == 5 && (name == NULL || name[0] != '/')) {
			free(name);
			return -1;
		}
		if (name != NULL)
			strv_add(klen == 5 ? &m->dirs : &m->services, name);
		free(name);
		return 0;
	}
	if (slot == NULL)
		return 0;	/* a later version's record */
	free(*slot);
	*slot = mf_unescape(v, strlen(v));
	return 0;
}

/* Parse a manifest's text into m; -1 with *cause naming path:line. */
static int
mf_parse(struct manifest *m, const char *text, const char *path,
    char **cause)
{
	const char *p = text, *nl;
	char *line;
	int lineno = 0, rc;

	while (*p != '\0') {
		nl = p + strcspn(p, "\n");
		line = xstrndup(p, (size_t)(nl - p));
		rc = mf_parse_line(m, line, ++lineno);
		free(line);
		if (rc != 0)
			return error_set(cause, "%s:%d: not a notspam backup "
			    "manifest line", path, lineno);
		p = *nl == '\0' ? nl : nl + 1;
	}
	if (lineno == 0)
		return error_set(cause, "%s: empty: not a notspam backup "
		    "manifest", path);
	if (m->stamp == NULL || !manifest_stamp_ok(m->stamp))
		return error_set(cause, "%s: no stamp line", path);
	if (m->kind == NULL)
		m->kind = xstrdup("apply");
	return 0;
}

/* Read the journal of m->dir into m->state and m->note. */
static void
mf_read_journal(const char *root, struct manifest *m)
{
	char *path = xasprintf("%s/journal", m->dir), *data = NULL, *why = NULL;
	size_t len, n;

	if (fsroot_read(root, path, 4096, &data, &len, &why) == 0) {
		data[strcspn(data, "\n")] = '\0';
		n = strcspn(data, " ");
		m->state = xstrndup(data, n);
		if (data[n] == ' ' && data[n + 1] != '\0')
			m->note = xstrdup(data + n + 1);
	}
	free(why);
	free(data);
	free(path);
}

char *
manifest_state(const char *root, const char *base, const char *stamp)
{
	struct manifest m;
	char *state;

	if (!manifest_stamp_ok(stamp))
		return NULL;
	memset(&m, 0, sizeof m);
	m.dir = xasprintf("%s/%s", strcmp(base, "/") == 0 ? "" : base, stamp);
	mf_read_journal(root, &m);
	state = m.state;
	free(m.dir);
	free(m.note);
	return state;
}

int
manifest_read(const char *root, const char *base, const char *stamp,
    struct manifest **out, char **cause)
{
	struct manifest *m;
	char *path, *data = NULL;
	size_t len;

	*out = NULL;
	if (!manifest_stamp_ok(stamp))
		return error_set(cause, "%s: not a backup stamp (they look "
		    "like 20261201T133000Z)", stamp);
	m = xcalloc(1, sizeof *m);
	strv_init(&m->services);
	strv_init(&m->dirs);
	m->dir = xasprintf("%s/%s", strcmp(base, "/") == 0 ? "" : base, stamp);
	path = xasprintf("%s/manifest", m->dir);
	if (manifest_trusted(root, base, cause) != 0 ||
	    manifest_trusted(root, m->dir, cause) != 0 ||
	    fsroot_read(root, path, 0, &data, &len, cause) != 0 ||
	    mf_parse(m, data, path, cause) != 0) {
		free(data);
		free(path);
		manifest_free(m);
		return -1;
	}
	free(data);
	free(path);
	if (strcmp(m->stamp, stamp) != 0) {
		error_set(cause, "%s/manifest: it says stamp %s", m->dir,
		    m->stamp);
		manifest_free(m);
		return -1;
	}
	mf_read_journal(root, m);
	*out = m;
	return 0;
}

void
manifest_free(struct manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].target);
		free(m->files[i].copy);
	}
	free(m->files);
	free(m->stamp);
	free(m->kind);
	free(m->restores);
	strv_free(&m->services);
	strv_free(&m->dirs);
	free(m->dir);
	free(m->state);
	free(m->note);
	free(m);
}

static int
mf_stamp_qcmp(const void *a, const void *b)
{
	return manifest_stamp_cmp(*(char *const *)a, *(char *const *)b);
}

int
manifest_list(const char *root, const char *base, struct strv *stamps,
    char **cause)
{
	struct dirent *de;
	DIR *d;
	char *host, *why = NULL;
	size_t first = stamps->n;

	if ((host = fsroot_host(root, base, 1, &why)) == NULL) {
		if (errno == ENOENT) {
			free(why);
			return 0;
		}
		if (cause != NULL)
			*cause = why;
		else
			free(why);
		return -1;
	}
	d = opendir(host);
	free(host);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return fswrite_error(cause, "read the backup directory", base,
		    errno);
	}
	while ((de = readdir(d)) != NULL)
		if (manifest_stamp_ok(de->d_name))
			strv_add(stamps, de->d_name);
	closedir(d);
	if (stamps->n > first)
		qsort(stamps->v + first, stamps->n - first, sizeof *stamps->v,
		    mf_stamp_qcmp);
	return 0;
}

int
manifest_journal(const char *root, const char *dir, const char *state,
    const char *note, char **cause)
{
	struct fswrite_opts o;
	char *path = xasprintf("%s/journal", dir), *text;
	int rc;

	memset(&o, 0, sizeof o);
	o.mode = 0600;
	text = note != NULL ? xasprintf("%s %s\n", state, note) :
	    xasprintf("%s\n", state);
	rc = fswrite_file(root, path, text, strlen(text), &o, cause);
	free(text);
	free(path);
	return rc;
}

void
manifest_now(const char *root, struct manifest_file *f)
{
	char sha[MANIFEST_SHA_LEN], *data = NULL, *why = NULL;
	struct stat sb;
	size_t len;

	if (fsroot_stat(root, f->path, &sb) == -1) {
		if (errno != ENOENT)
			f->now = MANIFEST_NOW_UNREADABLE;
		else if (f->after[0] == '\0')
			f->now = MANIFEST_NOW_AFTER;
		else if (f->before[0] == '\0')
			f->now = MANIFEST_NOW_BEFORE;
		else
			f->now = MANIFEST_NOW_CHANGED;
		return;
	}
	if (fsroot_read(root, f->path, 0, &data, &len, &why) != 0) {
		f->now = MANIFEST_NOW_UNREADABLE;
		free(why);
		return;
	}
	manifest_sha256(data, len, sha);
	free(data);
	if (strcmp(sha, f->after) == 0)
		f->now = MANIFEST_NOW_AFTER;
	else if (strcmp(sha, f->before) == 0)
		f->now = MANIFEST_NOW_BEFORE;
	else
		f->now = MANIFEST_NOW_CHANGED;
}
