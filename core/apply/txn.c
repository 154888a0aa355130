/* txn.c: the transaction engine: its files, the backup, the commit and
 * the rollback (the stage and the checkers: txn_check.c). */
#include "core/apply/txn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "core/apply/manifest.h"
#include "core/apply/txn_int.h"
#include "core/lib/fsroot.h"
#include "core/lib/fswrite.h"
#include "core/lib/util.h"

/* Bytes a manifest line and a journal take, for the room estimate. */
#define TXN_MANIFEST_LINE	1024

/* The signals held while files are being replaced. */
static const int txn_held[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };

static void txn_sync_parent(const char *, const char *);

struct txn *
txn_new(const char *root, const struct txn_opts *opts)
{
	struct txn *t = xcalloc(1, sizeof *t);
	const char *tmp = getenv("TMPDIR");

	t->root = root != NULL && !fsroot_is_system(root) ? xstrdup(root) :
	    NULL;
	t->base = xstrdup(opts != NULL && opts->backup_base != NULL ?
	    opts->backup_base : MANIFEST_BASE);
	if (opts != NULL && opts->stage_dir != NULL)
		t->stage_parent = xstrdup(opts->stage_dir);
	else
		t->stage_parent = xstrdup(tmp != NULL && tmp[0] == '/' ? tmp :
		    "/tmp");
	t->kind = xstrdup(opts != NULL && opts->kind != NULL ? opts->kind :
	    "apply");
	t->check_ms = opts != NULL && opts->check_timeout_ms > 0 ?
	    opts->check_timeout_ms : TXN_CHECK_MS;
	t->lock_ms = opts != NULL && opts->lock_wait_ms > 0 ?
	    opts->lock_wait_ms : TXN_LOCK_MS;
	t->max_out = opts != NULL && opts->max_out > 0 ? opts->max_out :
	    TXN_MAX_OUT;
	strv_init(&t->services);
	strv_init(&t->actions);
	strv_init(&t->newdirs);
	t->stage_fd = -1;
	return t;
}

void
txn_free(struct txn *t)
{
	size_t i;

	if (t == NULL)
		return;
	txn_unstage(t);
	for (i = 0; i < t->nfiles; i++) {
		free(t->files[i].path);
		free(t->files[i].target);
		free(t->files[i].old);
		free(t->files[i].new);
		free(t->files[i].undo);
	}
	free(t->files);
	for (i = 0; i < t->nchecks; i++) {
		free(t->checks[i].name);
		strv_free(&t->checks[i].argv);
	}
	free(t->checks);
	strv_free(&t->services);
	strv_free(&t->actions);
	strv_free(&t->newdirs);
	free(t->root);
	free(t->base);
	free(t->stage_parent);
	free(t->kind);
	free(t->restores);
	free(t->stamp);
	free(t->dir);
	free(t->jdone);
	free(t->jback);
	free(t);
}

/* A copy of len bytes (NUL-terminated), or NULL for NULL. */
static char *
txn_bytes(const void *p, size_t len)
{
	char *c;

	if (p == NULL)
		return NULL;
	c = xmalloc(len + 1);
	memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* Check path and find where it leads; -1 when it cannot be added. */
static int
txn_target(struct txn *t, const char *path, char **target, char **cause)
{
	size_t i;

	if (path == NULL || path[0] != '/')
		return error_set(cause, "%s: not an absolute site path",
		    path != NULL ? path : "(null)");
	if (fswrite_resolve(t->root, path, target, cause) != 0)
		return -1;
	for (i = 0; i < t->nfiles; i++) {
		if (strcmp(t->files[i].path, path) == 0 ||
		    strcmp(t->files[i].target, *target) == 0) {
			error_set(cause, "%s is in the transaction twice (as "
			    "%s)", path, t->files[i].path);
			free(*target);
			*target = NULL;
			return -1;
		}
	}
	return 0;
}

/* The common part of txn_add and txn_add_exact. */
static struct txn_file *
txn_add_file(struct txn *t, const char *path, const void *old, size_t oldlen,
    int old_exists, const void *new, size_t newlen, int flags, char **cause)
{
	struct txn_file *f;
	char *target = NULL;

	if (txn_target(t, path, &target, cause) != 0)
		return NULL;
	t->files = xgrow(t->files, t->nfiles, sizeof *t->files);
	f = &t->files[t->nfiles++];
	f->path = xstrdup(path);
	f->target = target;
	f->old_exists = old_exists != 0;
	f->old = txn_bytes(old_exists ? (old != NULL ? old : "") : NULL,
	    oldlen);
	f->oldlen = old_exists ? oldlen : 0;
	f->new = txn_bytes(new, newlen);
	f->newlen = new != NULL ? newlen : 0;
	f->flags = flags;
	if (f->new == NULL)
		f->context = !f->old_exists;
	else
		f->context = f->old_exists && f->oldlen == f->newlen &&
		    memcmp(f->old, f->new, f->newlen) == 0;
	/* A file whose old bytes were never given is not checked: context. */
	return f;
}

int
txn_add(struct txn *t, const char *path, const void *old, size_t oldlen,
    int old_exists, const void *new, size_t newlen, mode_t new_mode,
    int flags, char **cause)
{
	struct txn_file *f;

	f = txn_add_file(t, path, old, oldlen, old_exists, new, newlen, flags,
	    cause);
	if (f == NULL)
		return -1;
	f->new_mode = new_mode != 0 ? new_mode & 07777 : 0644;
	return 0;
}

int
txn_add_exact(struct txn *t, const char *path, const void *old,
    size_t oldlen, int old_exists, const void *new, size_t newlen,
    mode_t mode, uid_t uid, gid_t gid, int flags, char **cause)
{
	struct txn_file *f;

	f = txn_add_file(t, path, old, oldlen, old_exists, new, newlen, flags,
	    cause);
	if (f == NULL)
		return -1;
	f->exact = 1;
	f->new_mode = f->mode = mode & 07777;
	f->uid = uid;
	f->gid = gid;
	return 0;
}

int
txn_add_context(struct txn *t, const char *path, char **cause)
{
	char *data = NULL;
	size_t len;
	int rc;

	if (fsroot_read(t->root, path, 0, &data, &len, cause) != 0)
		return -1;
	rc = txn_add(t, path, data, len, 1, data, len, 0, 0, cause);
	free(data);
	return rc;
}

void
txn_add_service(struct txn *t, const char *name)
{
	if (strv_find(&t->services, name) == -1)
		strv_add(&t->services, name);
}

void
txn_add_action(struct txn *t, const char *what)
{
	strv_add(&t->actions, what);
}

void
txn_set_restores(struct txn *t, const char *stamp)
{
	free(t->restores);
	t->restores = xstrdup(stamp);
}

const char *
txn_root(const struct txn *t)
{
	return t->root;
}

const char *
txn_stamp(const struct txn *t)
{
	return t->stamp;
}

const char *
txn_backup_base(const struct txn *t)
{
	return t->base;
}

void
txn_report_init(struct txn_report *r)
{
	memset(r, 0, sizeof *r);
}

void
txn_report_free(struct txn_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nchecks; i++) {
		free(r->checks[i].name);
		free(r->checks[i].out);
		free(r->checks[i].err);
	}
	free(r->checks);
	free(r->stamp);
	free(r->backup_dir);
	free(r->rollback_error);
	free(r->restore_error);
	txn_report_init(r);
}

/*
 * Commit.
 */

/* Files the commit changes. */
static size_t
txn_nchanged(const struct txn *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->nfiles; i++)
		if (!t->files[i].context)
			n++;
	return n;
}

/* Read the file again and refuse when it is not what the plan read; its
 * stat (owner, mode) into f->cur and its target found again. */
static int
txn_verify(struct txn *t, struct txn_file *f, char **cause)
{
	char *data = NULL, *target = NULL;
	size_t len = 0;
	int exists = 1, same;

	memset(&f->cur, 0, sizeof f->cur);
	if (fsroot_stat(t->root, f->path, &f->cur) == -1) {
		if (errno != ENOENT)
			return error_set(cause, "cannot read %s: %s; nothing "
			    "was written", f->path, strerror(errno));
		exists = 0;
	}
	if (exists && !S_ISREG(f->cur.st_mode))
		return error_set(cause, "%s is not a regular file now; "
		    "nothing was written", f->path);
	if (exists != f->old_exists)
		return error_set(cause, "%s was %s since the plan was made: "
		    "make the plan again (nothing was written)", f->path,
		    exists ? "created" : "removed");
	if (exists) {
		if (fsroot_read(t->root, f->path, 0, &data, &len, cause) != 0)
			return -1;
		same = len == f->oldlen && memcmp(data, f->old, len) == 0;
		free(data);
		if (!same)
			return error_set(cause, "%s changed on disk since the "
			    "plan was made: make the plan again (nothing was "
			    "written)", f->path);
	}
	if (fswrite_resolve(t->root, f->path, &target, cause) != 0)
		return -1;
	free(f->target);
	f->target = target;
	return 0;
}

/* One file system the commit writes on, and what it needs there. */
struct txn_fs {
	dev_t			 dev;
	struct statvfs		 vfs;
	const char		*path;	/* a site path on it, for messages */
	unsigned long long	 blocks;
	unsigned long long	 reserve;	/* the rollback copies */
	unsigned long long	 inodes;
};

/* Blocks of bsize that len bytes take, plus one (metadata, rounding). */
static unsigned long long
txn_blocks(size_t len, unsigned long bsize)
{
	return (len + bsize - 1) / bsize + 1;
}

/* The entry of the file system holding host directory dir (site path
 * `path` for messages); -1 with *cause: missing, not writable, read-only. */
static int
txn_fs_of(struct txn_fs **fss, size_t *nfs, const char *host,
    const char *path, struct txn_fs **out, char **cause)
{
	struct stat sb;
	struct statvfs vfs;
	size_t i;

	if (stat(host, &sb) == -1 || !S_ISDIR(sb.st_mode))
		return error_set(cause, "cannot write %s: the directory it "
		    "goes in does not exist; nothing was changed", path);
	if (statvfs(host, &vfs) == -1)
		return fswrite_error(cause, "write", path, errno);
	if (vfs.f_flag & ST_RDONLY)
		return fswrite_error(cause, "write", path, EROFS);
	if (faccessat(AT_FDCWD, host, W_OK | X_OK, AT_EACCESS) == -1)
		return fswrite_error(cause, "write", path, errno);
	for (i = 0; i < *nfs; i++)
		if ((*fss)[i].dev == sb.st_dev) {
			*out = &(*fss)[i];
			return 0;
		}
	*fss = xgrow(*fss, *nfs, sizeof **fss);
	*out = &(*fss)[(*nfs)++];
	(*out)->dev = sb.st_dev;
	(*out)->vfs = vfs;
	(*out)->path = path;
	return 0;
}

/* The block size of a file system entry. */
static unsigned long
txn_bsize(const struct txn_fs *fs)
{
	unsigned long b = fs->vfs.f_frsize != 0 ? fs->vfs.f_frsize :
	    fs->vfs.f_bsize;

	return b != 0 ? b : 4096;
}

/* Is there room on every file system?  -1 with *cause when not. */
static int
txn_fs_room(const struct txn_fs *fss, size_t nfs, char **cause)
{
	unsigned long long freeb, need;
	size_t i;

	for (i = 0; i < nfs; i++) {
		const struct txn_fs *fs = &fss[i];
		freeb = geteuid() == 0 ? fs->vfs.f_bfree : fs->vfs.f_bavail;
		need = fs->blocks + fs->reserve;
		if (need > freeb) {
			unsigned long bs = txn_bsize(fs);
			return error_set(cause, "cannot write %s: No space left "
			    "on device: its file system has %llu KiB free, the "
			    "change needs about %llu KiB (the new files, the "
			    "backups and room to put them back); free some "
			    "space and try again; nothing was changed",
			    fs->path, freeb * bs / 1024, need * bs / 1024);
		}
		if (fs->vfs.f_files != 0 && fs->inodes >
		    (unsigned long long)fs->vfs.f_ffree)
			return error_set(cause, "cannot write %s: its file "
			    "system has no free inodes left (%llu needed); "
			    "nothing was changed", fs->path, fs->inodes);
	}
	return 0;
}

void
txn_sweep(const char *root, const char *path)
{
	struct dirent *de;
	char *target = NULL, *dir, *host, *prefix, *end;
	const char *base;
	size_t n, len;
	long pid;
	DIR *d;

	if (fswrite_resolve(root, path, &target, NULL) != 0)
		return;
	base = strrchr(target, '/') + 1;
	dir = txn_dirname(target);
	host = fsroot_path(root, dir);
	prefix = xasprintf(".%s.notspam-", base);
	n = strlen(prefix);
	if ((d = opendir(host)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			if (strncmp(de->d_name, prefix, n) != 0 || len < n + 4 ||
			    strcmp(de->d_name + len - 4, ".tmp") != 0)
				continue;
			pid = strtol(de->d_name + n, &end, 10);
			if (end == de->d_name + n || *end != '-' || pid <= 0 ||
			    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
				continue;
			(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	free(prefix);
	free(host);
	free(dir);
	free(target);
}

/*
 * The directory f goes in, as a host path; with TXN_MKDIR, its nearest
 * ancestor that exists, the missing ones added to t->newdirs (outermost
 * first).  Caller frees.
 */
static char *
txn_fs_dir(struct txn *t, const struct txn_file *f)
{
	struct strv missing;
	struct stat sb;
	char *dir = txn_dirname(f->target), *host, *up;
	size_t i;

	host = fsroot_path(t->root, dir);
	strv_init(&missing);
	while ((f->flags & TXN_MKDIR) && strcmp(dir, "/") != 0 &&
	    lstat(host, &sb) == -1 && errno == ENOENT) {
		strv_add(&missing, dir);
		up = txn_dirname(dir);
		free(dir);
		free(host);
		dir = up;
		host = fsroot_path(t->root, dir);
	}
	for (i = missing.n; i-- > 0;)
		if (strv_find(&t->newdirs, missing.v[i]) == -1)
			strv_add(&t->newdirs, missing.v[i]);
	strv_free(&missing);
	free(dir);
	return host;
}

/* Before anything is written: every target directory writable on a
 * read-write file system with room for the files, their backups and a
 * rollback. */
static int
txn_prepare(struct txn *t, char **cause)
{
	struct txn_fs *fss = NULL, *fs;
	size_t nfs = 0, i, nfiles = 0;
	unsigned long long copies = 0;
	char *host;
	int rc = 0;

	for (i = 0; i < t->nfiles && rc == 0; i++) {
		const struct txn_file *f = &t->files[i];
		if (f->context)
			continue;
		txn_sweep(t->root, f->target);
		host = txn_fs_dir(t, f);
		rc = txn_fs_of(&fss, &nfs, host, f->path, &fs, cause);
		if (rc == 0) {
			unsigned long bs = txn_bsize(fs);
			fs->blocks += txn_blocks(f->newlen, bs) + 1;
			if (f->old_exists)
				fs->reserve += txn_blocks(f->oldlen, bs);
			fs->inodes += 3;
			if (f->old_exists && !(f->flags & TXN_SECRET))
				copies += f->oldlen + 1;
			nfiles++;
		}
		free(host);
	}
	if (rc == 0) {
		host = fsroot_host(t->root, t->base, 1, cause);
		rc = host == NULL ? -1 :
		    txn_fs_of(&fss, &nfs, host, t->base, &fs, cause);
		if (rc == 0) {
			unsigned long bs = txn_bsize(fs);
			/* The copies, the manifest, the journal and the
			 * two written ahead (txn_reserve_journal). */
			fs->blocks += copies / bs + 2 * nfiles +
			    txn_blocks(nfiles * TXN_MANIFEST_LINE, bs) + 6;
			fs->inodes += 2 * nfiles + 6;
		}
		free(host);
	}
	if (rc == 0)
		rc = txn_fs_room(fss, nfs, cause);
	free(fss);
	return rc;
}

/* Remove the journal of the backup directory: without one, the backup
 * is that of a commit that replaced nothing (the next commit removes it). */
static void
txn_unjournal(struct txn *t)
{
	char *journal = xasprintf("%s/journal", t->dir);
	char *host = fsroot_path(t->root, journal);

	if (unlink(host) == 0)
		txn_sync_parent(t->root, journal);
	free(host);
	free(journal);
}

/* Remove the backup directory of a commit that stopped before it replaced
 * anything: its journal first, so that a kill half-way through leaves a
 * backup without one, never an in-progress one with copies missing. */
static void
txn_backup_drop(struct txn *t, struct txn_report *r)
{
	char *host;

	if (t->dir == NULL)
		return;
	txn_unjournal(t);
	if ((host = fsroot_host(t->root, t->dir, 0, NULL)) != NULL) {
		(void)nftw(host, txn_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(host);
	}
	free(r->stamp);
	free(r->backup_dir);
	r->stamp = r->backup_dir = NULL;
}

/* The manifest record of file f. */
static void
txn_record(const struct txn *t, const struct txn_file *f,
    struct manifest_file *rec)
{
	memset(rec, 0, sizeof *rec);
	rec->path = f->path;
	rec->target = f->target;
	rec->existed = f->old_exists;
	rec->secret = (f->flags & TXN_SECRET) != 0;
	if (f->old_exists) {
		rec->mode = f->cur.st_mode & 07777;
		rec->uid = f->cur.st_uid;
		rec->gid = f->cur.st_gid;
		manifest_sha256(f->old, f->oldlen, rec->before);
	} else {
		rec->mode = f->new_mode;
		rec->uid = f->exact ? f->uid : geteuid();
		rec->gid = f->exact ? f->gid : getegid();
	}
	if (f->new != NULL)
		manifest_sha256(f->new, f->newlen, rec->after);
	(void)t;
}

/* Keep the old bytes of f in the backup directory; its copy's name
 * (relative to the directory) into rec->copy. */
static int
txn_copy(struct txn *t, const struct txn_file *f, struct manifest_file *rec,
    char **cause)
{
	struct fswrite_opts o;
	char *copy, *dir;
	int rc;

	if (!f->old_exists || (f->flags & TXN_SECRET))
		return 0;
	rec->copy = xasprintf("files%s", f->path);
	copy = xasprintf("%s/%s", t->dir, rec->copy);
	dir = txn_dirname(copy);
	memset(&o, 0, sizeof o);
	o.mode = 0600;
	rc = manifest_mkdirs(t->root, dir, 0700, 0700, cause);
	if (rc == 0)
		rc = fswrite_file(t->root, copy, f->old, f->oldlen, &o, cause);
	free(dir);
	free(copy);
	return rc;
}

/* The backup directory: old files, manifest, journal "in-progress". */
static int
txn_backup(struct txn *t, struct txn_report *r, char **cause)
{
	struct manifest *m;
	struct manifest_file rec;
	struct fswrite_opts o;
	char *text, *path;
	size_t i;
	int rc = 0;

	if (manifest_create(t->root, t->base, time(NULL), &t->stamp, &t->dir,
	    cause) != 0)
		return -1;
	r->stamp = xstrdup(t->stamp);
	r->backup_dir = xstrdup(t->dir);
	m = xcalloc(1, sizeof *m);
	strv_init(&m->services);
	m->stamp = xstrdup(t->stamp);
	m->kind = xstrdup(t->kind);
	m->restores = t->restores != NULL ? xstrdup(t->restores) : NULL;
	for (i = 0; i < t->services.n; i++)
		strv_add(&m->services, t->services.v[i]);
	strv_init(&m->dirs);
	for (i = 0; i < t->newdirs.n; i++)
		strv_add(&m->dirs, t->newdirs.v[i]);
	for (i = 0; i < t->nfiles && rc == 0; i++) {
		if (t->files[i].context)
			continue;
		txn_record(t, &t->files[i], &rec);
		rc = txn_copy(t, &t->files[i], &rec, cause);
		if (rc == 0)
			manifest_add_file(m, &rec);
		free(rec.copy);
	}
	if (rc == 0) {
		text = manifest_format(m);
		path = xasprintf("%s/manifest", t->dir);
		memset(&o, 0, sizeof o);
		o.mode = 0600;
		rc = fswrite_file(t->root, path, text, strlen(text), &o,
		    cause);
		free(path);
		free(text);
	}
	manifest_free(m);
	if (rc == 0)
		rc = manifest_journal(t->root, t->dir, MANIFEST_IN_PROGRESS,
		    NULL, cause);
	if (rc != 0) {
		char *why = cause != NULL ? *cause : NULL;
		txn_backup_drop(t, r);
		if (cause != NULL) {
			*cause = xasprintf("the backup could not be made: %s; "
			    "nothing was changed", why);
			free(why);
		}
	}
	return rc;
}

/* fsync the directory holding site path p (errors ignored: the entry
 * is made either way). */
static void
txn_sync_parent(const char *root, const char *p)
{
	char *dir = txn_dirname(p), *host = fsroot_path(root, dir);
	int fd;

	if ((fd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(host);
	free(dir);
}

/* Remove the file at target (site path `path` for messages), then sync
 * its directory. */
static int
txn_remove(struct txn *t, const char *target, const char *path,
    char **cause)
{
	char *host = fsroot_path(t->root, target);

	if (unlink(host) == -1 && errno != ENOENT) {
		free(host);
		return fswrite_error(cause, "remove", path, errno);
	}
	free(host);
	txn_sync_parent(t->root, target);
	return 0;
}

/* Write the new bytes of f (or remove it). */
static int
txn_write(struct txn *t, const struct txn_file *f, char **cause)
{
	struct fswrite_opts o;

	if (f->new == NULL)
		return txn_remove(t, f->target, f->path, cause);
	memset(&o, 0, sizeof o);
	o.mode = f->new_mode;
	if (f->exact) {
		o.flags = FSWRITE_ATTRS;
		o.mode = f->mode;
		o.uid = f->uid;
		o.gid = f->gid;
	}
	return fswrite_file(t->root, f->path, f->new, f->newlen, &o, cause);
}

/*
 * Write the temporary file `name` in host directory dir: data, then the
 * owner and mode of sb (NULL: this user's, 0600), fsync()ed; its host path
 * into *out (also when it fails, once made: the caller removes it).  0, or
 * -1 with errno set.
 */
static int
txn_tmp_file(const char *dir, const char *name, const void *data, size_t len,
    const struct stat *sb, char **out)
{
	int dfd, fd, rc = -1, saved;

	*out = NULL;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((fd = fswrite_create_at(dfd, name)) == -1) {
		saved = errno;
		close(dfd);
		errno = saved;
		return -1;
	}
	*out = xasprintf("%s/%s", dir, name);
	if (fswrite_all(fd, data, len) == 0 && (sb == NULL ||
	    (fchown(fd, sb->st_uid, sb->st_gid) == 0 &&
	    fchmod(fd, sb->st_mode & 07777) == 0)) && fsync(fd) == 0)
		rc = 0;
	saved = errno;
	if (close(fd) == -1 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	close(dfd);
	errno = saved;
	return rc;
}

/*
 * The rollback copy of f: its old bytes, owner and mode in a temporary file
 * beside it (".NAME.notspam-PID-undo.tmp", removed by txn_sweep once this
 * process is gone), made before the first rename.  Putting f back is then
 * a rename, which needs no room: a file system that fills up while the
 * files are written cannot stop the rollback.
 */
static int
txn_reserve(struct txn *t, struct txn_file *f, char **cause)
{
	char *dir, *host, *name;
	int rc = 0;

	if (!f->old_exists)
		return 0;
	dir = txn_dirname(f->target);
	host = fsroot_path(t->root, dir);
	name = xasprintf(".%s.notspam-%ld-undo.tmp",
	    strrchr(f->target, '/') + 1, (long)getpid());
	/* A name too long for the directory: put back by a write. */
	if (txn_tmp_file(host, name, f->old, f->oldlen, &f->cur,
	    &f->undo) != 0 && errno != ENAMETOOLONG)
		rc = fswrite_error(cause, "keep the rollback copy of", f->path,
		    errno);
	free(name);
	free(host);
	free(dir);
	return rc;
}

/* The journal the commit ends with, written ahead like the rollback
 * copies, so that it too is only renamed into place at the end. */
static int
txn_reserve_journal(struct txn *t, const char *state, char **out,
    char **cause)
{
	char *host = fsroot_path(t->root, t->dir), *name, *text, *journal;
	int rc = 0;

	name = xasprintf(".journal.notspam-%ld-%s.tmp", (long)getpid(), state);
	text = xasprintf("%s\n", state);
	if (txn_tmp_file(host, name, text, strlen(text), NULL, out) != 0) {
		journal = xasprintf("%s/journal", t->dir);
		rc = fswrite_error(cause, "write", journal, errno);
		free(journal);
	}
	free(text);
	free(name);
	free(host);
	return rc;
}

/* Write the final journal: the one written ahead renamed into place,
 * else (none, or the rename failed) written now. */
static int
txn_journal_end(struct txn *t, const char *state)
{
	char **mine = strcmp(state, MANIFEST_DONE) == 0 ? &t->jdone :
	    &t->jback;
	char *journal = xasprintf("%s/journal", t->dir), *host;
	int rc = -1;

	host = fsroot_path(t->root, journal);
	if (*mine != NULL && rename(*mine, host) == 0) {
		txn_sync_parent(t->root, journal);
		free(*mine);
		*mine = NULL;
		rc = 0;
	}
	free(host);
	free(journal);
	if (rc != 0)
		rc = manifest_journal(t->root, t->dir, state, NULL, NULL);
	return rc;
}

/* Remove the rollback copies and journals written ahead that are left
 * (not renamed into place). */
static void
txn_unreserve(struct txn *t)
{
	char **j[] = { &t->jdone, &t->jback };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (*j[i] == NULL)
			continue;
		(void)unlink(*j[i]);
		free(*j[i]);
		*j[i] = NULL;
	}
	for (i = 0; i < t->nfiles; i++) {
		if (t->files[i].undo == NULL)
			continue;
		(void)unlink(t->files[i].undo);
		free(t->files[i].undo);
		t->files[i].undo = NULL;
	}
}

/* Every changed file's rollback copy and the final journals; -1 with
 * *cause (nothing was replaced yet). */
static int
txn_reserve_all(struct txn *t, char **cause)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		if (!t->files[i].context &&
		    txn_reserve(t, &t->files[i], cause) != 0)
			return -1;
	if (txn_reserve_journal(t, MANIFEST_DONE, &t->jdone, cause) != 0 ||
	    txn_reserve_journal(t, MANIFEST_ROLLED_BACK, &t->jback,
	    cause) != 0)
		return -1;
	return 0;
}

/* Put f back as it was: its old bytes, owner and mode, or no file. */
static int
txn_put_back(struct txn *t, struct txn_file *f, char **cause)
{
	struct fswrite_opts o;
	char *host;
	int rc;

	if (!f->old_exists)
		return txn_remove(t, f->target, f->path, cause);
	if (f->undo != NULL) {
		host = fsroot_path(t->root, f->target);
		rc = rename(f->undo, host);
		free(host);
		if (rc == 0) {
			free(f->undo);
			f->undo = NULL;
			txn_sync_parent(t->root, f->target);
			return 0;
		}
	}
	memset(&o, 0, sizeof o);
	o.flags = FSWRITE_ATTRS;
	o.mode = f->cur.st_mode & 07777;
	o.uid = f->cur.st_uid;
	o.gid = f->cur.st_gid;
	return fswrite_file(t->root, f->path, f->old, f->oldlen, &o, cause);
}

/* Make the directories the files need (TXN_MKDIR), outermost first. */
static int
txn_mkdirs(struct txn *t, char **cause)
{
	char *host;
	int rc = 0;

	for (; t->nmade < t->newdirs.n; t->nmade++) {
		host = fsroot_path(t->root, t->newdirs.v[t->nmade]);
		if (mkdir(host, 0755) == -1 && errno != EEXIST)
			rc = fswrite_error(cause, "make the directory",
			    t->newdirs.v[t->nmade], errno);
		else
			(void)chmod(host, 0755);
		free(host);
		if (rc != 0)
			return -1;
		txn_sync_parent(t->root, t->newdirs.v[t->nmade]);
	}
	return 0;
}

/* Remove the directories txn_mkdirs made, innermost first, when empty. */
static void
txn_rmdirs(struct txn *t)
{
	char *host;

	while (t->nmade > 0) {
		t->nmade--;
		host = fsroot_path(t->root, t->newdirs.v[t->nmade]);
		if (rmdir(host) == 0)
			txn_sync_parent(t->root, t->newdirs.v[t->nmade]);
		free(host);
	}
}

/* Put every written file back, last first; then after_restore. */
static void
txn_rollback(struct txn *t, const struct txn_hooks *h,
    struct txn_report *r)
{
	struct buf errs;
	char *why = NULL;
	size_t i;

	buf_init(&errs);
	for (i = t->nfiles; i-- > 0;) {
		if (!t->files[i].written)
			continue;
		if (txn_put_back(t, &t->files[i], &why) != 0) {
			buf_printf(&errs, "%s%s", errs.len > 0 ? "; " : "",
			    why);
			free(why);
			why = NULL;
		} else
			t->files[i].written = 0;
	}
	txn_rmdirs(t);
	if (errs.len == 0) {
		r->rolled_back = 1;
		/* When even the journal cannot be written, the backup loses
		 * it: one of a commit that replaced nothing. */
		if (txn_journal_end(t, MANIFEST_ROLLED_BACK) != 0)
			txn_unjournal(t);
	} else {
		buf_add(&errs, "", 0);
		r->rollback_error = buf_steal(&errs);
	}
	buf_free(&errs);
	txn_unreserve(t);
	if (h != NULL && h->after_restore != NULL &&
	    h->after_restore(t, h->arg, &why) != 0) {
		r->restore_error = why != NULL ? why : xstrdup("it failed");
		why = NULL;
	}
	free(why);
}

/* The cause of a failure after the first write: what happened, then
 * whether everything was put back. */
static void
txn_failed(struct txn *t, const struct txn_report *r, char *what,
    char **cause)
{
	if (r->rollback_error == NULL)
		error_set(cause, "%s; every file was put back as it was%s%s",
		    what, r->restore_error != NULL ? ", but the reload after "
		    "it failed: " : "", r->restore_error != NULL ?
		    r->restore_error : "");
	else
		error_set(cause, "%s; and these could not be put back: %s; "
		    "their old bytes are in %s: \"notspam restore %s\" puts "
		    "them back", what, r->rollback_error, t->dir, t->stamp);
	free(what);
}

/* The interrupted transactions (not restores) whose every file is now as
 * they wanted it, into stamps: a later commit (or an empty one) finishes
 * them. */
static void
txn_finished(struct txn *t, struct strv *done)
{
	struct strv stamps;
	struct manifest *m;
	char *state;
	size_t i, k;
	int all;

	strv_init(&stamps);
	(void)manifest_list(t->root, t->base, &stamps, NULL);
	for (i = 0; i < stamps.n; i++) {
		if (t->stamp != NULL && strcmp(stamps.v[i], t->stamp) == 0)
			continue;
		state = manifest_state(t->root, t->base, stamps.v[i]);
		all = state != NULL &&
		    strcmp(state, MANIFEST_IN_PROGRESS) == 0 &&
		    manifest_read(t->root, t->base, stamps.v[i], &m,
		    NULL) == 0;
		free(state);
		if (!all)
			continue;
		all = strcmp(m->kind, "restore") != 0;
		for (k = 0; all && k < m->nfiles; k++) {
			manifest_now(t->root, &m->files[k]);
			all = m->files[k].now == MANIFEST_NOW_AFTER;
		}
		/* What it left beside its files (a rollback copy, a file
		 * being written) goes with it. */
		for (k = 0; all && k < m->nfiles; k++)
			txn_sweep(t->root, m->files[k].path);
		if (all)
			strv_add(done, m->dir);
		manifest_free(m);
	}
	strv_free(&stamps);
}

/*
 * Remove the backup directories that have no journal: commits stopped
 * while they made their backup, before any file was replaced (the journal
 * comes first).  Under the lock, so none is being made now.
 */
static void
txn_drop_incomplete(struct txn *t)
{
	struct strv stamps;
	char *state, *dir, *host;
	size_t i;

	strv_init(&stamps);
	(void)manifest_list(t->root, t->base, &stamps, NULL);
	for (i = 0; i < stamps.n; i++) {
		if ((state = manifest_state(t->root, t->base,
		    stamps.v[i])) != NULL) {
			free(state);
			continue;
		}
		dir = xasprintf("%s/%s", t->base, stamps.v[i]);
		if ((host = fsroot_host(t->root, dir, 0, NULL)) != NULL)
			(void)nftw(host, txn_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		free(host);
		free(dir);
	}
	strv_free(&stamps);
}

/* Mark them done. */
static void
txn_finish(struct txn *t, const struct strv *dirs)
{
	char *note, *journal;
	size_t i;

	note = t->stamp != NULL ? xasprintf("finished by %s", t->stamp) :
	    xstrdup("finished by a later apply");
	for (i = 0; i < dirs->n; i++) {
		/* The temporary journal a commit killed while it wrote its
		 * journal left there. */
		journal = xasprintf("%s/journal", dirs->v[i]);
		txn_sweep(t->root, journal);
		free(journal);
		(void)manifest_journal(t->root, dirs->v[i], MANIFEST_DONE,
		    note, NULL);
	}
	free(note);
}

/* Hold (or release) the signals that would stop a commit half-way. */
static void
txn_hold(int hold, sigset_t *saved)
{
	sigset_t set;
	size_t i;

	if (!hold) {
		(void)sigprocmask(SIG_SETMASK, saved, NULL);
		return;
	}
	sigemptyset(&set);
	for (i = 0; i < sizeof txn_held / sizeof txn_held[0]; i++)
		sigaddset(&set, txn_held[i]);
	(void)sigprocmask(SIG_BLOCK, &set, saved);
}

/* Write every changed file, then the hook; put all back on a failure.
 * Called with the backup made and the signals held. */
static int
txn_apply(struct txn *t, const struct txn_hooks *h, struct txn_report *r,
    char **cause)
{
	struct strv done;
	char *why = NULL;
	size_t i;

	strv_init(&done);
	if (txn_reserve_all(t, &why) != 0) {
		r->failure = TXN_FAIL_PREPARE;
		txn_unreserve(t);
		txn_backup_drop(t, r);
		error_set(cause, "%s; nothing was changed", why);
		free(why);
		return -1;
	}
	if (txn_mkdirs(t, &why) != 0) {
		r->failure = TXN_FAIL_WRITE;
		txn_rollback(t, h, r);
		txn_failed(t, r, why, cause);
		return -1;
	}
	for (i = 0; i < t->nfiles; i++) {
		struct txn_file *f = &t->files[i];
		if (f->context)
			continue;
		if (txn_write(t, f, &why) != 0) {
			r->failure = TXN_FAIL_WRITE;
			txn_rollback(t, h, r);
			txn_failed(t, r, why, cause);
			return -1;
		}
		f->written = 1;
		r->nwritten++;
	}
	if (h != NULL && h->after_write != NULL &&
	    h->after_write(t, h->arg, &why) != 0) {
		r->failure = TXN_FAIL_HOOK;
		txn_rollback(t, h, r);
		txn_failed(t, r, why != NULL ? why : xstrdup("the reload "
		    "failed"), cause);
		return -1;
	}
	(void)txn_journal_end(t, MANIFEST_DONE);
	txn_unreserve(t);
	txn_finished(t, &done);
	txn_finish(t, &done);
	strv_free(&done);
	return 0;
}

/*
 * A commit with nothing to change: an interrupted transaction whose files
 * all have their new bytes may still owe its reload; run the hook for it,
 * then mark it done.
 */
static int
txn_commit_empty(struct txn *t, const struct txn_hooks *h,
    struct txn_report *r, char **cause)
{
	struct fswrite_lock *lk;
	struct strv done;
	char *lockpath, *why = NULL;
	int rc = 0;

	strv_init(&done);
	txn_finished(t, &done);
	if (done.n == 0) {
		strv_free(&done);
		return 0;
	}
	lockpath = xasprintf("%s/txn", t->base);
	lk = fswrite_lock(t->root, lockpath, t->lock_ms, cause);
	free(lockpath);
	if (lk == NULL) {
		r->failure = TXN_FAIL_LOCK;
		strv_free(&done);
		return -1;
	}
	if (h != NULL && h->after_write != NULL &&
	    h->after_write(t, h->arg, &why) != 0) {
		r->failure = TXN_FAIL_HOOK;
		error_set(cause, "%s (for the interrupted %s: its files "
		    "are written, the reload failed)", why != NULL ? why :
		    "the reload failed", done.v[0]);
		free(why);
		rc = -1;
	} else
		txn_finish(t, &done);
	fswrite_unlock(lk);
	strv_free(&done);
	return rc;
}

/* The backup base made and its lock taken; NULL with *cause and
 * r->failure (TXN_FAIL_PREPARE, TXN_FAIL_LOCK). */
static struct fswrite_lock *
txn_lock_base(struct txn *t, struct txn_report *r, char **cause)
{
	struct fswrite_lock *lk;
	char *lockpath;

	r->failure = TXN_FAIL_PREPARE;
	if (manifest_mkdirs(t->root, t->base, 0755, 0700, cause) != 0)
		return NULL;
	lockpath = xasprintf("%s/txn", t->base);
	lk = fswrite_lock(t->root, lockpath, t->lock_ms, cause);
	free(lockpath);
	if (lk == NULL)
		r->failure = TXN_FAIL_LOCK;
	return lk;
}

/*
 * A commit whose change is commands only (txn_add_action): the hook runs
 * them under the lock; nothing was written, so a failure puts nothing
 * back and reloads nothing.  An interrupted transaction that owed its
 * reload is finished too (the hook's reloads are its).
 */
static int
txn_commit_actions(struct txn *t, const struct txn_hooks *h,
    struct txn_report *r, char **cause)
{
	struct fswrite_lock *lk;
	struct strv done;
	sigset_t saved;
	char *why = NULL;
	int rc = 0;

	if ((lk = txn_lock_base(t, r, cause)) == NULL)
		return -1;
	r->failure = TXN_OK;
	strv_init(&done);
	txn_finished(t, &done);
	txn_hold(1, &saved);
	if (h != NULL && h->after_write != NULL &&
	    h->after_write(t, h->arg, &why) != 0) {
		r->failure = TXN_FAIL_HOOK;
		error_set(cause, "%s; no file was changed", why != NULL ? why :
		    "a command failed");
		free(why);
		rc = -1;
	} else if (done.n > 0)
		txn_finish(t, &done);
	txn_hold(0, &saved);
	fswrite_unlock(lk);
	strv_free(&done);
	return rc;
}

int
txn_commit(struct txn *t, const struct txn_hooks *h, struct txn_report *r,
    char **cause)
{
	struct fswrite_lock *lk;
	sigset_t saved;
	size_t i;
	int rc;

	if (t->committed)
		return error_set(cause, "this transaction was committed "
		    "already");
	t->committed = 1;
	r->failure = TXN_OK;
	if ((r->nchanged = txn_nchanged(t)) == 0)
		return t->actions.n > 0 ? txn_commit_actions(t, h, r, cause) :
		    txn_commit_empty(t, h, r, cause);
	if (!t->checked && t->nchecks > 0 && (rc = txn_check(t, r,
	    cause)) != 0) {
		/* 1: a checker refused; -1: the stage could not be made (a
		 * full or read-only $TMPDIR), which changed nothing either. */
		if (r->failure == TXN_OK)
			r->failure = rc > 0 ? TXN_FAIL_CHECK : TXN_FAIL_PREPARE;
		return -1;
	}
	if ((lk = txn_lock_base(t, r, cause)) == NULL)
		return -1;
	txn_drop_incomplete(t);
	rc = 0;
	for (i = 0; i < t->nfiles && rc == 0; i++)
		if (!t->files[i].context &&
		    (rc = txn_verify(t, &t->files[i], cause)) != 0)
			r->failure = TXN_FAIL_CHANGED;
	if (rc == 0)
		rc = txn_prepare(t, cause);
	if (rc == 0)
		rc = txn_backup(t, r, cause);
	if (rc == 0) {
		r->failure = TXN_OK;
		txn_hold(1, &saved);
		rc = txn_apply(t, h, r, cause);
		txn_hold(0, &saved);
	}
	fswrite_unlock(lk);
	return rc;
}
