/* apply.h: a plan written through one transaction, then reloaded and its
 * signing path re-checked.
 *
 * apply_commit() gives every file of the plan to a transaction
 * (core/apply/txn.h) with the bytes the plan read (a file changed since is
 * refused), the planned bytes, a new file's mode (and, on the real
 * machine, its owner) and TXN_MKDIR; a key file is TXN_SECRET.  The
 * plan's checkers become the transaction's, run on the staged copies:
 * postconf -n fails on any warning; opendkim -n reads a copy of the
 * staged opendkim.conf whose paths to staged files (a new KeyTable) are
 * the staged ones.  Under a root the checkers marked outside are left
 * out (apply_result.skipped says which), no step, reload nor probe runs.
 * On the real machine, once every file is written, the after_write hook
 * runs the plan's steps (usermod, chmod), its reloads and restarts in the
 * plan's order (the signer first), then probes each signing path
 * (core/apply/probe.h): a milter must answer SMFIC_OPTNEG, a proxy's
 * ports must accept.  Any failure there has every file put back and the
 * programs reloaded again (txn does it; the cause carries the command's
 * own output).  Steps are not undone.  A plan whose commands are changes
 * of their own (plan_commands: doctor --fix starting a signer, a key's
 * chown and chmod) gives them to the transaction as actions
 * (txn_add_action), so they run, under its lock, even when no file
 * changes; nothing is then put back when one fails.
 */
#ifndef NOTSPAM_APPLY_H
#define NOTSPAM_APPLY_H

#include "core/apply/txn.h"
#include "core/lib/util.h"

struct plan;

struct apply_opts {
	const char	*backup_base;	/* NULL: MANIFEST_BASE */
	int		 timeout_ms;	/* each checker, step, reload and
					   probe; 0: their defaults */
};

struct apply_result {
	struct txn_report	 report;
	struct strv		 skipped;	/* checkers left out: why */
	struct strv		 ran;		/* steps and reloads run */
	struct strv		 probed;	/* signing paths that answered */
	int			 no_reload;	/* under a root: nothing run */
};

/* Write the plan (see above).  0, or -1 with *cause; res is filled
 * either way (apply_result_free). */
int apply_commit(const struct plan *, const char *root,
    const struct apply_opts *, struct apply_result *, char **cause);
void apply_result_free(struct apply_result *);

#endif
