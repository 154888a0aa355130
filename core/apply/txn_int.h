/* txn_int.h: what the parts of the transaction engine share (txn.c:
 * files, backup, commit; txn_check.c: stage and checkers).  Not for other
 * modules: they use txn.h. */
#ifndef NOTSPAM_TXN_INT_H
#define NOTSPAM_TXN_INT_H

#include <stddef.h>
#include <sys/stat.h>

#include "core/apply/txn.h"
#include "core/lib/util.h"

struct FTW;

struct txn_file {
	char		*path;		/* site path, as given */
	char		*target;	/* where its links lead */
	char		*old;
	size_t		 oldlen;
	int		 old_exists;
	char		*new;		/* NULL: remove the file */
	size_t		 newlen;
	mode_t		 new_mode;	/* a created file's mode */
	int		 exact;		/* end with mode, uid, gid below */
	mode_t		 mode;
	uid_t		 uid;
	gid_t		 gid;
	int		 flags;
	int		 context;	/* nothing to write */
	struct stat	 cur;		/* the old file, at commit */
	char		*undo;		/* host path of its rollback copy
					   (txn_reserve), or NULL */
	int		 written;
};

struct txn_check {
	char		*name;
	struct strv	 argv;
	int		 flags;
	txn_check_fn	 fn;
	void		*arg;
};

struct txn {
	char		*root;
	char		*base;
	char		*stage_parent;
	char		*kind;
	char		*restores;
	int		 check_ms;
	int		 lock_ms;
	size_t		 max_out;
	struct txn_file	*files;
	size_t		 nfiles;
	struct txn_check *checks;
	size_t		 nchecks;
	struct strv	 services;
	struct strv	 actions;	/* txn_add_action */
	struct strv	 newdirs;	/* TXN_MKDIR: to make, outermost first */
	size_t		 nmade;		/* how many of them were made */
	char		*stage;		/* host path, once made */
	int		 stage_fd;	/* it, open and flock()ed while it is
					   in use; -1 */
	int		 checked;	/* every checker passed */
	int		 committed;
	char		*stamp;
	char		*dir;		/* site path of the backup */
	char		*jdone;		/* host paths of its last journals, */
	char		*jback;		/*  written ahead (txn_reserve_all) */
	/* A check run in progress. */
	struct loop	*loop;
	struct txn_report *report;
	size_t		 next;
	txn_check_cb	 cb;
	void		*cb_arg;
};

/* The directory part of site path p ("/" for "/x"); caller frees. */
char *txn_dirname(const char *p);
/* nftw callback removing what it is given (a tree, deepest first). */
int txn_rm_one(const char *, const struct stat *, int, struct FTW *);
/* Remove the stage directory, if any. */
void txn_unstage(struct txn *);

#endif
