/* netaddr.c: address parsing and public address detection (getifaddrs). */
#include "core/lib/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

char *
netaddr_canon(const char *s, int *family)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];

	if (s == NULL || strlen(s) >= INET6_ADDRSTRLEN)
		return NULL;
	if (inet_pton(AF_INET, s, bin) == 1) {
		if (family != NULL)
			*family = AF_INET;
		inet_ntop(AF_INET, bin, text, sizeof text);
		return xstrdup(text);
	}
	if (inet_pton(AF_INET6, s, bin) == 1) {
		if (family != NULL)
			*family = AF_INET6;
		inet_ntop(AF_INET6, bin, text, sizeof text);
		return xstrdup(text);
	}
	return NULL;
}

/* Is the 32-bit host-order address inside net/len? */
static int
in4(uint32_t a, uint32_t net, int len)
{
	uint32_t mask = len == 0 ? 0 : 0xffffffffu << (32 - len);

	return (a & mask) == (net & mask);
}

static int
public4(const unsigned char *b)
{
	uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	static const struct { uint32_t net; int len; } not[] = {
		{ 0x00000000, 8 },	/* "this" network */
		{ 0x0a000000, 8 },	/* RFC 1918 */
		{ 0x64400000, 10 },	/* shared address space (CGNAT) */
		{ 0x7f000000, 8 },	/* loopback */
		{ 0xa9fe0000, 16 },	/* link-local */
		{ 0xac100000, 12 },	/* RFC 1918 */
		{ 0xc0000000, 24 },	/* IETF protocol assignments */
		{ 0xc0000200, 24 },	/* TEST-NET-1 */
		{ 0xc0a80000, 16 },	/* RFC 1918 */
		{ 0xc6120000, 15 },	/* benchmarking */
		{ 0xc6336400, 24 },	/* TEST-NET-2 */
		{ 0xcb007100, 24 },	/* TEST-NET-3 */
		{ 0xe0000000, 4 },	/* multicast */
		{ 0xf0000000, 4 },	/* reserved, broadcast */
	};
	size_t i;

	for (i = 0; i < sizeof not / sizeof not[0]; i++)
		if (in4(a, not[i].net, not[i].len))
			return 0;
	return 1;
}

static int
public6(const unsigned char *b)
{
	if ((b[0] & 0xe0) != 0x20)
		return 0;	/* outside 2000::/3: ULA, link-local, ::1 ... */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return 0;	/* 2001:db8::/32 documentation */
	return 1;
}

int
netaddr_is_public(const char *s)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, s, bin) == 1)
		return public4(bin);
	if (inet_pton(AF_INET6, s, bin) == 1)
		return public6(bin);
	return 0;
}

/* Why a non-public address is not public, for the notes. */
static const char *
netaddr_kind(const char *text, int family)
{
	if (family == AF_INET) {
		if (str_startswith(text, "127."))
			return "loopback";
		if (str_startswith(text, "169.254."))
			return "link-local";
		return "private or reserved (behind NAT?)";
	}
	if (strcmp(text, "::1") == 0)
		return "loopback";
	if (str_casestartswith(text, "fe8") || str_casestartswith(text, "fe9") ||
	    str_casestartswith(text, "fea") || str_casestartswith(text, "feb"))
		return "link-local";
	if (str_casestartswith(text, "fc") || str_casestartswith(text, "fd"))
		return "unique local (ULA)";
	return "not global unicast";
}

int
netaddr_detect(struct strv *v4, struct strv *v6, struct strv *notes,
    char **cause)
{
	struct ifaddrs *ifa, *i;
	char text[INET6_ADDRSTRLEN];
	const void *bin;
	int family;

	if (getifaddrs(&ifa) == -1)
		return error_set(cause, "cannot list network interfaces: %s",
		    strerror(errno));
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		family = i->ifa_addr->sa_family;
		if (family == AF_INET)
			bin = &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr;
		else if (family == AF_INET6)
			bin = &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(family, bin, text, sizeof text) == NULL)
			continue;
		if (family == AF_INET ? public4(bin) : public6(bin))
			strv_add_unique(family == AF_INET ? v4 : v6, text);
		else if (strcmp(text, "127.0.0.1") != 0 &&
		    strcmp(text, "::1") != 0 && !str_startswith(text, "fe80"))
			strv_addf(notes, "%s on %s is %s, not a public address",
			    text, i->ifa_name, netaddr_kind(text, family));
	}
	freeifaddrs(ifa);
	return 0;
}
