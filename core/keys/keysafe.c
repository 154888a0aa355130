/* keysafe.c: OpenDKIM's safe-key rules, applied to a key path. */
#include "core/keys/keysafe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/lib/fsroot.h"
#include "core/site/site.h"
#include "core/lib/util.h"

struct ks_user {
	char	*name;
	uid_t	 uid;
	gid_t	 gid;
};

struct ks_group {
	char		*name;
	gid_t		 gid;
	struct strv	 members;
};

/* The user and group databases, read once per check. */
struct ks_db {
	struct ks_user	*users;
	size_t		 nusers;
	struct ks_group	*groups;
	size_t		 ngroups;
};

/* Is root the live system? */
static int
ks_live(const char *root)
{
	return root == NULL || *root == '\0' || strcmp(root, "/") == 0;
}

static void
ks_add_user(struct ks_db *db, const char *name, uid_t uid, gid_t gid)
{
	struct ks_user *u;

	db->users = xgrow(db->users, db->nusers, sizeof *db->users);
	u = &db->users[db->nusers++];
	u->name = xstrdup(name);
	u->uid = uid;
	u->gid = gid;
}

static struct ks_group *
ks_add_group(struct ks_db *db, const char *name, gid_t gid)
{
	struct ks_group *g;

	db->groups = xgrow(db->groups, db->ngroups, sizeof *db->groups);
	g = &db->groups[db->ngroups++];
	g->name = xstrdup(name);
	g->gid = gid;
	strv_init(&g->members);
	return g;
}

/* Parse a decimal id; -1 if it is not one. */
static long long
ks_id(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > (long long)UINT_MAX)
		return -1;
	return v;
}

/* Read <root>/etc/passwd and <root>/etc/group (either may be missing). */
static void
ks_db_files(struct ks_db *db, const char *root)
{
	struct strv lines, f;
	struct ks_group *g;
	char *data;
	size_t len, i;
	long long uid, gid;

	strv_init(&lines);
	if (fsroot_read(root, "/etc/passwd", 0, &data, &len, NULL) == 0) {
		str_split(data, "\n", &lines);
		free(data);
	}
	for (i = 0; i < lines.n; i++) {
		strv_init(&f);
		str_split(lines.v[i], ":", &f);
		if (f.n >= 4 && (uid = ks_id(f.v[2])) >= 0 &&
		    (gid = ks_id(f.v[3])) >= 0)
			ks_add_user(db, f.v[0], (uid_t)uid, (gid_t)gid);
		strv_free(&f);
	}
	strv_free(&lines);
	if (fsroot_read(root, "/etc/group", 0, &data, &len, NULL) == 0) {
		str_split(data, "\n", &lines);
		free(data);
	}
	for (i = 0; i < lines.n; i++) {
		/* name:x:gid:members (members may be empty: no str_split). */
		char *line = xstrdup(lines.v[i]), *p = line, *name, *pw, *id;

		name = strsep(&p, ":");
		pw = strsep(&p, ":");
		id = strsep(&p, ":");
		if (name != NULL && pw != NULL && id != NULL &&
		    (gid = ks_id(id)) >= 0) {
			g = ks_add_group(db, name, (gid_t)gid);
			if (p != NULL)
				str_split(p, ", \r", &g->members);
		}
		free(line);
	}
	strv_free(&lines);
}

/* Read the live system's databases (NSS included). */
static void
ks_db_live(struct ks_db *db)
{
	struct passwd *pw;
	struct group *gr;
	struct ks_group *g;
	size_t i;

	setpwent();
	while ((pw = getpwent()) != NULL)
		ks_add_user(db, pw->pw_name, pw->pw_uid, pw->pw_gid);
	endpwent();
	setgrent();
	while ((gr = getgrent()) != NULL) {
		g = ks_add_group(db, gr->gr_name, gr->gr_gid);
		for (i = 0; gr->gr_mem != NULL && gr->gr_mem[i] != NULL; i++)
			strv_add(&g->members, gr->gr_mem[i]);
	}
	endgrent();
}

static void
ks_db_free(struct ks_db *db)
{
	size_t i;

	for (i = 0; i < db->nusers; i++)
		free(db->users[i].name);
	for (i = 0; i < db->ngroups; i++) {
		free(db->groups[i].name);
		strv_free(&db->groups[i].members);
	}
	free(db->users);
	free(db->groups);
}

static const struct ks_user *
ks_user_name(const struct ks_db *db, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < db->nusers; i++)
		if (strcmp(db->users[i].name, name) == 0)
			return &db->users[i];
	return NULL;
}

static const struct ks_user *
ks_user_uid(const struct ks_db *db, uid_t uid)
{
	size_t i;

	for (i = 0; i < db->nusers; i++)
		if (db->users[i].uid == uid)
			return &db->users[i];
	return NULL;
}

static const struct ks_group *
ks_group_gid(const struct ks_db *db, gid_t gid)
{
	size_t i;

	for (i = 0; i < db->ngroups; i++)
		if (db->groups[i].gid == gid)
			return &db->groups[i];
	return NULL;
}

/* The user name of uid, or the number; caller frees. */
static char *
ks_uname(const struct ks_db *db, uid_t uid)
{
	const struct ks_user *u = ks_user_uid(db, uid);

	if (u != NULL)
		return xstrdup(u->name);
	if (uid == 0)
		return xstrdup("root");
	return xasprintf("%u", (unsigned)uid);
}

static char *
ks_gname(const struct ks_db *db, gid_t gid)
{
	const struct ks_group *g = ks_group_gid(db, gid);

	if (g != NULL)
		return xstrdup(g->name);
	if (gid == 0)
		return xstrdup("root");
	return xasprintf("%u", (unsigned)gid);
}

/*
 * Another user in group gid than root and `self`: its name (borrowed), ""
 * if there is none, NULL when the group is unknown (not gid 0).
 */
static const char *
ks_group_other(const struct ks_db *db, gid_t gid, const char *self)
{
	const struct ks_group *g = ks_group_gid(db, gid);
	size_t i;

	for (i = 0; g != NULL && i < g->members.n; i++) {
		if (strcmp(g->members.v[i], "root") == 0 ||
		    (self != NULL && strcmp(g->members.v[i], self) == 0))
			continue;
		return g->members.v[i];
	}
	for (i = 0; i < db->nusers; i++) {
		if (db->users[i].gid != gid || db->users[i].uid == 0 ||
		    (self != NULL && strcmp(db->users[i].name, self) == 0))
			continue;
		return db->users[i].name;
	}
	if (g == NULL && gid != 0)
		return NULL;
	return "";
}

/* Is user u in group gid (primary or listed)? */
static int
ks_in_group(const struct ks_db *db, const struct ks_user *u, gid_t gid)
{
	const struct ks_group *g;

	if (u->gid == gid)
		return 1;
	if ((g = ks_group_gid(db, gid)) == NULL)
		return 0;
	return strv_find(&g->members, u->name) != -1;
}

char *
keysafe_mode(mode_t mode, char *buf)
{
	snprintf(buf, 6, "%04o", (unsigned)(mode & 07777));
	return buf;
}

char *
keysafe_signer_user(const struct site *site, const char *signer)
{
	return backend_user(backend_signer(signer), site);
}

/* May a symlink at site path `link` (its directory `dir`) be followed? */
static int
ks_link_ok(const char *root, const char *dir, const char *link,
    const struct stat *lsb, void *arg, char **cause)
{
	struct stat dsb;
	const char *d = *dir == '\0' ? "/" : dir;

	(void)arg;
	if (lsb->st_uid != 0)
		return error_set(cause, "%s is a symlink owned by uid %u, not "
		    "root: that user can point the key anywhere; use the real "
		    "path, or replace the link with one root owns", link,
		    (unsigned)lsb->st_uid);
	if (fsroot_stat(root, d, &dsb) == -1)
		return error_set(cause, "%s: cannot stat: %s", d,
		    strerror(errno));
	if (dsb.st_uid != 0 || (dsb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return error_set(cause, "%s is a symlink in %s, which a user "
		    "other than root can change (owner uid %u, mode %04o): "
		    "use the real path", link, d, (unsigned)dsb.st_uid,
		    (unsigned)(dsb.st_mode & 07777));
	return 0;
}

int
keysafe_resolve(const char *root, const char *path, char **resolved,
    char **cause)
{
	if (path == NULL || path[0] != '/')
		return error_set(cause, "%s: not an absolute path",
		    path != NULL ? path : "(none)");
	return fsroot_resolve_checked(root, path, 1, ks_link_ok, NULL,
	    resolved, cause);
}

static void
ks_issue(struct keysafe *ks, const char *path, char *problem, char *fix)
{
	struct keysafe_issue *i;

	ks->issues = xgrow(ks->issues, ks->nissues, sizeof *ks->issues);
	i = &ks->issues[ks->nissues++];
	i->path = xstrdup(path);
	i->problem = problem;
	i->fix = fix;
}

/* "user:group" to chown to: the signer's, else root's; caller frees. */
static char *
ks_owner_spec(const struct ks_db *db, const struct ks_user *signer)
{
	char *g, *s;

	if (signer == NULL)
		return xstrdup("root:root");
	g = ks_gname(db, signer->gid);
	s = xasprintf("%s:%s", signer->name, g);
	free(g);
	return s;
}

/* Rules for the key file itself. */
static void
ks_file(struct keysafe *ks, const struct ks_db *db, const char *path,
    const struct stat *sb, const struct ks_user *signer)
{
	const char *other;
	char *spec = ks_owner_spec(db, signer);
	int readable;

	if (!S_ISREG(sb->st_mode)) {
		ks_issue(ks, path, xasprintf("%s is not a regular file", path),
		    NULL);
		goto done;
	}
	if (sb->st_uid != 0 && (signer == NULL || sb->st_uid != signer->uid))
		ks_issue(ks, path, xasprintf("%s is not owned by the executing "
		    "uid (owner %s; the signer runs as %s)", path, ks->owner,
		    signer != NULL ? signer->name : "root"),
		    xasprintf("chown %s %s", spec, path));
	if ((sb->st_mode & S_IRWXO) != 0)
		ks_issue(ks, path, xasprintf("%s can be read or written by "
		    "other users (mode %04o)", path,
		    (unsigned)(sb->st_mode & 07777)),
		    xasprintf("chmod 0600 %s", path));
	if ((sb->st_mode & (S_IRGRP | S_IWGRP)) != 0) {
		other = ks_group_other(db, sb->st_gid,
		    signer != NULL ? signer->name : NULL);
		if (other == NULL)
			ks_issue(ks, path, xasprintf("%s is readable by group "
			    "%s, whose members notspam cannot list", path,
			    ks->group), xasprintf("chmod 0600 %s", path));
		else if (*other != '\0')
			ks_issue(ks, path, xasprintf("%s is in group %u which "
			    "has multiple users (e.g. \"%s\")", path,
			    (unsigned)sb->st_gid, other),
			    xasprintf("chmod 0600 %s", path));
	}
	if (signer != NULL && signer->uid != 0 && sb->st_uid != signer->uid) {
		readable = (sb->st_mode & S_IROTH) != 0 ||
		    ((sb->st_mode & S_IRGRP) != 0 &&
		    ks_in_group(db, signer, sb->st_gid));
		if (!readable)
			ks_issue(ks, path, xasprintf("%s cannot be read by %s, "
			    "the user the signer runs as (owner %s, mode %04o): "
			    "signing fails with \"error loading key\"", path,
			    signer->name, ks->owner,
			    (unsigned)(sb->st_mode & 07777)),
			    xasprintf("chown %s %s", spec, path));
	}
done:
	free(spec);
}

/* Rules for a directory on the key's path; `keydir` for its own. */
static void
ks_dir(struct keysafe *ks, const struct ks_db *db, const char *dir,
    const struct stat *sb, const struct ks_user *signer, int keydir)
{
	const char *other;
	char *owner = ks_uname(db, sb->st_uid), *spec;
	int enter;

	if (sb->st_uid != 0 && (signer == NULL || sb->st_uid != signer->uid))
		ks_issue(ks, dir, xasprintf("%s is not owned by the executing "
		    "uid (owner %s)", dir, owner),
		    xasprintf("chown root:root %s", dir));
	if ((sb->st_mode & S_IWOTH) != 0)
		ks_issue(ks, dir, xasprintf("%s can be read or written by "
		    "other users (mode %04o)", dir,
		    (unsigned)(sb->st_mode & 07777)),
		    xasprintf("chmod o-w %s", dir));
	if ((sb->st_mode & S_IWGRP) != 0) {
		other = ks_group_other(db, sb->st_gid,
		    signer != NULL ? signer->name : NULL);
		if (other == NULL || *other != '\0') {
			if (other == NULL)
				other = "unknown";
			ks_issue(ks, dir, xasprintf("%s is in group %u which "
			    "has multiple users (e.g. \"%s\") and is group "
			    "writable", dir, (unsigned)sb->st_gid, other),
			    xasprintf("chmod g-w %s", dir));
		}
	}
	if (signer != NULL && signer->uid != 0) {
		if (sb->st_uid == signer->uid)
			enter = (sb->st_mode & S_IXUSR) != 0;
		else if (ks_in_group(db, signer, sb->st_gid))
			enter = (sb->st_mode & S_IXGRP) != 0;
		else
			enter = (sb->st_mode & S_IXOTH) != 0;
		if (!enter) {
			spec = ks_owner_spec(db, signer);
			ks_issue(ks, dir, xasprintf("%s cannot enter %s (owner "
			    "%s, mode %04o), so the signer cannot read the key",
			    signer->name, dir, owner,
			    (unsigned)(sb->st_mode & 07777)),
			    keydir ? xasprintf("chown %s %s", spec, dir) :
			    xasprintf("chmod a+x %s", dir));
			free(spec);
		}
	}
	free(owner);
}

int
keysafe_check(const char *root, const char *path, const char *user,
    struct keysafe *ks, char **cause)
{
	struct ks_db db;
	const struct ks_user *signer = NULL;
	struct stat sb;
	char *why = NULL, *dir, *slash;
	int keydir = 1;

	memset(ks, 0, sizeof *ks);
	if (path == NULL || path[0] != '/')
		return error_set(cause, "%s: the key path must be absolute",
		    path != NULL ? path : "(none)");
	memset(&db, 0, sizeof db);
	if (ks_live(root))
		ks_db_live(&db);
	else
		ks_db_files(&db, root);
	if (user != NULL && (signer = ks_user_name(&db, user)) == NULL &&
	    ks_live(root))
		ks_issue(ks, path, xasprintf("user %s (the signer's) does not "
		    "exist: is the signer installed?", user), NULL);
	if (keysafe_resolve(root, path, &ks->resolved, &why) != 0) {
		ks_issue(ks, path, why, NULL);
		if (fsroot_lstat(root, path, &sb) == 0)
			ks->exists = 1;
		goto done;
	}
	if (fsroot_stat(root, ks->resolved, &sb) == 0) {
		ks->exists = 1;
		ks->uid = sb.st_uid;
		ks->gid = sb.st_gid;
		ks->mode = sb.st_mode & 07777;
		ks->owner = ks_uname(&db, sb.st_uid);
		ks->group = ks_gname(&db, sb.st_gid);
		ks_file(ks, &db, ks->resolved, &sb, signer);
	}
	dir = xstrdup(ks->resolved);
	for (;;) {
		if ((slash = strrchr(dir, '/')) == NULL)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (fsroot_stat(root, dir, &sb) == 0 && S_ISDIR(sb.st_mode))
			ks_dir(ks, &db, dir, &sb, signer, keydir);
		keydir = 0;
		if (strcmp(dir, "/") == 0)
			break;
	}
	free(dir);
done:
	ks_db_free(&db);
	return 0;
}

void
keysafe_free(struct keysafe *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->nissues; i++) {
		free(ks->issues[i].path);
		free(ks->issues[i].problem);
		free(ks->issues[i].fix);
	}
	free(ks->issues);
	free(ks->resolved);
	free(ks->owner);
	free(ks->group);
	memset(ks, 0, sizeof *ks);
}

int
keysafe_fix(const char *root, const char *path, const char *user,
    struct strv *done, char **cause)
{
	char *resolved = NULL, *host = NULL;
	struct passwd *pw = NULL;
	struct stat sb;
	int fd = -1, rc = -1;

	if (keysafe_resolve(root, path, &resolved, cause) != 0)
		return -1;
	host = fsroot_path(root, resolved);
	if ((fd = open(host, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) ==
	    -1) {
		error_set(cause, "%s: cannot open: %s", resolved,
		    strerror(errno));
		goto done;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		error_set(cause, "%s: not a regular file", resolved);
		goto done;
	}
	if (root == NULL && user != NULL) {
		if ((pw = getpwnam(user)) == NULL) {
			error_set(cause, "%s: user %s does not exist on this "
			    "system; is the signer installed?", resolved, user);
			goto done;
		}
		if ((sb.st_uid != pw->pw_uid || sb.st_gid != pw->pw_gid) &&
		    fchown(fd, pw->pw_uid, pw->pw_gid) == -1) {
			error_set(cause, "%s: chown %s: %s", resolved, user,
			    strerror(errno));
			goto done;
		}
		if (sb.st_uid != pw->pw_uid || sb.st_gid != pw->pw_gid)
			strv_addf(done, "chown %s:%u %s", user,
			    (unsigned)pw->pw_gid, resolved);
	}
	if ((sb.st_mode & 07777) != 0600) {
		if (fchmod(fd, 0600) == -1) {
			error_set(cause, "%s: chmod 0600: %s", resolved,
			    strerror(errno));
			goto done;
		}
		strv_addf(done, "chmod 0600 %s", resolved);
	}
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	free(host);
	free(resolved);
	return rc;
}
