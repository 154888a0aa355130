/* services.h: are the site's programs running?  From pid files and /proc.
 *
 * Only meaningful for the live system: under --root the processes of this
 * machine are not the sandbox's, and every state is SVC_UNKNOWN.
 */
#ifndef NOTSPAM_SERVICES_H
#define NOTSPAM_SERVICES_H

#include <stddef.h>

struct site;

enum svc_state {
	SVC_UNKNOWN,
	SVC_RUNNING,
	SVC_STOPPED,
};

struct service {
	char		*program;	/* "postfix", "opendkim", ... */
	enum svc_state	 state;
	long		 pid;		/* 0 when not known */
	char		*detail;	/* "pid 812 from /run/opendkim/opendkim.pid" */
};

/* One entry per program of the site, in the site's order.  Caller frees
 * with services_free. */
void services_probe(const struct site *, struct service **out, size_t *n);
void services_free(struct service *, size_t);

const char *services_state_name(enum svc_state);	/* "running", ... */

#endif
