/* listen_int.h: shared by listen.c, listen_match.c and listen_probe.c. */
#ifndef NOTSPAM_LISTEN_INT_H
#define NOTSPAM_LISTEN_INT_H

#include <sys/types.h>

#include "core/doctor/listen.h"

/* Groups of a user looked at, at most. */
#define LISTEN_MAX_GROUPS	256

/* A user's credentials, as the kernel checks them. */
struct listen_cred {
	uid_t	 uid;
	gid_t	 gid;
	gid_t	 groups[LISTEN_MAX_GROUPS];
	int	 ngroups;
};

/* The credentials of user: under root, from root's /etc/passwd and
 * /etc/group; on "/" (NULL), from the system's databases.  0, or -1 when
 * the user is unknown. */
int listen_cred_get(const char *root, const char *user,
    struct listen_cred *);
/* Is gid one of cred's groups (its primary one included)? */
int listen_cred_in(const struct listen_cred *, gid_t);

/* Is the signer listening on its socket: sets sg->listening and
 * sg->detail from table (listen_match.c). */
void listen_signer_check(const struct listen_table *, struct listen_signer *);

/* The proc directory as a person reads it: "/proc" for NULL. */
const char *listen_procdir(const char *procdir);

#endif
