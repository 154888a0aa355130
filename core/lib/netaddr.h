/* netaddr.h: IP address text forms and the server's public addresses. */
#ifndef NOTSPAM_NETADDR_H
#define NOTSPAM_NETADDR_H

#include "core/lib/util.h"

/* The canonical text of an IPv4 or IPv6 address (RFC 5952 for IPv6), or
 * NULL if s is not one.  *family (if not NULL) gets AF_INET or AF_INET6.
 * Caller frees. */
char *netaddr_canon(const char *s, int *family);

/*
 * Is this address usable as a public sending address?  IPv4: not private
 * (RFC 1918), shared (100.64/10), loopback, link-local, documentation,
 * benchmarking, multicast or reserved.  IPv6: inside 2000::/3 and not the
 * documentation prefix 2001:db8::/32 (so ULA, link-local, loopback,
 * v4-mapped and multicast are not).  s must be canonical or parseable.
 */
int netaddr_is_public(const char *s);

/*
 * Collect the global unicast addresses of the network interfaces into v4 and
 * v6 (canonical, unique).  Addresses seen but not public are described in
 * notes ("10.0.0.5 on eth0 is private: behind NAT? set public_ipv4").
 * Returns 0, or -1 with *cause if the interfaces cannot be listed.
 */
int netaddr_detect(struct strv *v4, struct strv *v6, struct strv *notes,
    char **cause);

#endif
