/* backend.h: one module per mail program, all behind one table.
 *
 * A backend knows where its program keeps its files (Debian/Ubuntu and
 * OpenBSD layouts, or the path from the settings file), tells whether the
 * program is present under the root, and reads its configuration into the
 * site model.  Later capabilities add planning, validation and reload here.
 * No code outside the registry branches on a program's name.
 */
#ifndef NOTSPAM_BACKEND_H
#define NOTSPAM_BACKEND_H

#include "core/site/site.h"

struct backend_ctx {
	const char		*root;		/* NULL for "/" */
	const struct settings	*settings;
};

struct backend {
	const char	*name;		/* "postfix", "opendkim", "opensmtpd", "dkimproxy" */
	const char	*role;		/* "mta" or "signer" */
	/*
	 * Is the program installed or configured under the root?  On 1, *prog
	 * is filled (strings allocated, freed by the caller via site_free once
	 * added): binary path or NULL, version or NULL, main config path.
	 */
	int	(*detect)(const struct backend_ctx *, struct site_program *prog);
	/*
	 * Read the program's configuration into the site.  Returns -1 with
	 * *cause when the main config exists but cannot be read or parsed;
	 * lesser problems (a dangling table path, a missing key file) go to
	 * site_warn() naming file and line.
	 */
	int	(*load)(const struct backend_ctx *, const struct site_program *,
		    struct site *, char **cause);
};

extern const struct backend backend_postfix;
extern const struct backend backend_opensmtpd;
extern const struct backend backend_opendkim;
extern const struct backend backend_dkimproxy;

/* NULL-terminated, MTAs first. */
extern const struct backend *const backends[];

const struct backend *backend_find(const char *name);

#endif
