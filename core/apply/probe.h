/* probe.h: is the signing path answering after a reload?
 *
 * After apply wrote the files and the programs re-read them, the MTA dials
 * the signer at the planned endpoint.  probe_milter() proves that a milter
 * answers there: it connects (retrying while the signer is still starting,
 * until the time limit) and makes the negotiation an MTA opens with
 * (SMFIC_OPTNEG, protocol version 6); only an SMFIC_OPTNEG reply counts.
 * probe_connect() proves that something accepts connections at a TCP
 * endpoint (a proxy's listener, the MTA's re-injection port).  A host
 * address "" (every address) is dialled at the loopback of its family.
 * Nothing here prints; the cause says what answered, or did not.
 */
#ifndef NOTSPAM_PROBE_H
#define NOTSPAM_PROBE_H

#include <sys/socket.h>

#include "core/lib/sockspec.h"

/* A probe's time limit when 0 is given, in milliseconds. */
#define PROBE_MS	10000

/* 0: a milter answered the negotiation; -1 with *cause. */
int probe_milter(const struct sockspec *, int timeout_ms, char **cause);
/* 0: the endpoint accepted a connection; -1 with *cause. */
int probe_connect(const struct sockspec *, int timeout_ms, char **cause);

/*
 * The parts, for probes that choose their own addresses (the doctor's):
 * one non-blocking connection attempt to sa, no retry, within timeout_ms
 * (0: PROBE_MS): the connected socket (non-blocking, close-on-exec;
 * caller closes), or -1 with errno (ETIMEDOUT when the time ran out).
 */
int probe_dial_once(const struct sockaddr *sa, socklen_t len, int timeout_ms);
/* The milter negotiation on a connected socket (left open): 0 when an
 * SMFIC_OPTNEG reply came, else -1 with *cause naming the peer as name. */
int probe_negotiate(int fd, const char *name, int timeout_ms, char **cause);

#endif
