/* keysafe.h: is a DKIM private key stored the way its signer demands?
 *
 * OpenDKIM (RequireSafeKeys, on by default) refuses a key unless the file
 * and every directory on its resolved path are owned by root or by the uid
 * it runs as, give nothing to other users (directories: not writable by
 * others), and give group read/write only when no other user is in that
 * group (members listed in the group database, or users whose primary
 * group it is).  Its messages: "<path> can be read or written by other
 * users", "<path> is in group N which has multiple users (e.g. "postfix")",
 * "<path> is not owned by the executing uid".  keysafe applies the same
 * rules to any signer (dkimproxy and filter-dkimsign are more lenient, the
 * rules are good practice for them too), adds one the signers do not check
 * until they sign: can the signer's user read the key at all (a key left
 * root:root 0600 fails at the first message, "error loading key"), and
 * refuses symlinks a user other than root controls.
 *
 * Users and groups: on "/" the system databases (getpwent, getgrgid: NSS);
 * under --root the files <root>/etc/passwd and <root>/etc/group (absent:
 * only root is known, and checks needing other names are skipped).
 *
 * Paths are site paths (see fsroot.h); messages name them as the site
 * knows them.
 */
#ifndef NOTSPAM_KEYSAFE_H
#define NOTSPAM_KEYSAFE_H

#include <stddef.h>
#include <sys/types.h>

struct site;

/* One problem with the fix, a command to run as root. */
struct keysafe_issue {
	char	*path;		/* site path of the file or directory */
	char	*problem;	/* one line, OpenDKIM's wording where it has one */
	char	*fix;		/* "chmod 0600 /etc/dkimkeys/x.private" */
};

struct keysafe {
	int			 exists;	/* the key file exists */
	char			*resolved;	/* site path, symlinks resolved;
						   NULL when it could not be */
	uid_t			 uid;		/* of the file, when it exists */
	gid_t			 gid;
	mode_t			 mode;		/* permission bits (07777) */
	char			*owner;		/* user name, or the uid as text */
	char			*group;		/* group name, or the gid as text */
	struct keysafe_issue	*issues;
	size_t			 nissues;
};

/*
 * The user a signer runs as, as its backend says (backend_user: the user
 * its configuration names, else its package's default).  site may be
 * NULL.  Caller frees; NULL for an unknown signer name.
 */
char *keysafe_signer_user(const struct site *, const char *signer);

/*
 * Resolve site path `path` under root, following only symlinks that root
 * owns inside directories only root can change (a symlink another user
 * controls could point the key anywhere).  Components that do not exist
 * yet are kept as written (a key about to be created).  Returns 0 with
 * *resolved (site path, caller frees) or -1 with *cause naming the link,
 * its owner and what to do.
 */
int keysafe_resolve(const char *root, const char *path, char **resolved,
    char **cause);

/*
 * Check the key at site path `path` for a signer running as `user` (NULL:
 * only root is trusted, as for a signer that runs as root).  Fills *ks
 * (free with keysafe_free) with what was found and every issue.  Returns 0;
 * -1 with *cause only for a path that is not absolute.  A missing file is
 * not an error: exists is 0 and its directories are still checked.
 */
int keysafe_check(const char *root, const char *path, const char *user,
    struct keysafe *ks, char **cause);
void keysafe_free(struct keysafe *);

/*
 * Make the key file itself safe: mode 0600 and, on the live system (root
 * NULL), owned by `user` and its primary group.  The file is opened with
 * O_NOFOLLOW (after keysafe_resolve) and changed through the descriptor.
 * Directories are left alone: their fixes are for the administrator (they
 * may be /etc).  Returns 0 and adds what was done to *done, or -1 with
 * *cause.
 */
struct strv;
int keysafe_fix(const char *root, const char *path, const char *user,
    struct strv *done, char **cause);

/* "0600" style text of mode & 07777 in a static buffer of the caller:
 * buf must hold at least 6 bytes; returns buf. */
char *keysafe_mode(mode_t mode, char *buf);

#endif
