/* settings.h: notspam's own settings file (/etc/notspam/notspam.conf).
 *
 * Only what cannot be derived from the MTA's and signer's files:
 *   public_ipv4 = 192.0.2.25 ...        public IPv4 addresses (override detection)
 *   public_ipv6 = 2001:db8::25 ...      public IPv6 addresses (override detection)
 *   domains = example.org example.net   extra hosted domains
 *   dmarc_rua = mailto:dmarc@example.org   DMARC aggregate report address
 *   dmarc_policy = none|quarantine|reject  policy of the suggested DMARC record
 *   NAME.config = /path                 a program's config (Postfix: its
 *                                       directory), NAME a backend name
 *   NAME.default = /path                its defaults file (OpenDKIM's
 *                                       /etc/default/opendkim)
 *   NAME.reload = argv words            how to reload it (no shell)
 *   NAME.restart = argv words           how to restart it (no shell)
 *   signer = NAME                       the signer apply wires when the
 *                                       MTA has none (a signer backend)
 *   milter_socket = inet|unix           the milter endpoint apply plans
 *                                       (default: keep one that works,
 *                                       else TCP on 127.0.0.1)
 *   milter_default_action = ACTION      what Postfix does when the milter
 *                                       fails (default: tempfail when it
 *                                       is accept)
 *   ipv6_fallback = ipv4|bind           apply's answer to an IPv6 address
 *                                       without PTR (default: offered only)
 *   trusted_relays = 192.0.2.0/24 ...   the receiver's own relays (addresses
 *                                       or CIDR prefixes): verify takes the
 *                                       connecting address from the first
 *                                       Received hop outside them
 *   blocklists = zen.spamhaus.org ...   the IP blocklists (DNSBL zones) the
 *                                       checks ask for each public address
 *                                       ("+ipv6" after a zone: for IPv6
 *                                       addresses too; "none": no list;
 *                                       unset: core/check/dnsbl.h's
 *                                       defaults)
 *   domain_blocklists = dbl.spamhaus.org  the domain blocklists asked for
 *                                       each hosted domain and the HELO
 *                                       name (same forms)
 * The older one-key-per-program names still work, as aliases of the
 * section keys; each backend names its own (backends/backend.h):
 *   postfix_config_dir, opendkim_conf, opendkim_default, smtpd_conf,
 *   dkimproxy_conf, postfix_reload, opendkim_reload, smtpd_reload,
 *   dkimproxy_reload.
 * "key = value" lines, '#' comments.  A missing file is not an error.
 */
#ifndef NOTSPAM_SETTINGS_H
#define NOTSPAM_SETTINGS_H

#include "core/lib/util.h"

#define SETTINGS_DEFAULT_PATH "/etc/notspam/notspam.conf"

struct settings {
	char		*path;		/* the file read, NULL if none existed */
	int		 have_ipv4;	/* public_ipv4 was set (even empty) */
	int		 have_ipv6;
	struct strv	 public_ipv4;	/* canonical text form */
	struct strv	 public_ipv6;	/* canonical (RFC 5952) form */
	struct strv	 domains;	/* lower case */
	char		*dmarc_rua;	/* NULL if unset */
	char		*dmarc_policy;	/* NULL if unset */
	char		*signer;	/* apply: backend name, or NULL */
	int		 milter_socket;	/* apply: 0 unset, 1 inet, 2 unix */
	char		*milter_default_action;	/* apply: NULL if unset */
	char		*ipv6_fallback;	/* apply: "ipv4", "bind" or NULL */
	struct strv	 trusted_relays; /* verify: canonical addresses and
					   "address/length" prefixes */
	int		 have_blocklists;	/* blocklists was set (even
						   empty, or none) */
	struct strv	 blocklists;	/* zones as dnsbl_entry_check()
					   keeps them */
	int		 have_domain_blocklists;
	struct strv	 domain_blocklists;
	struct settings_backend *backends;	/* sections set, file order */
	size_t		 nbackends;
};

/* The settings section of one backend; unset fields NULL or empty. */
struct settings_backend {
	char		*name;		/* backend name */
	char		*config;	/* config file (Postfix: directory) */
	char		*default_file;	/* defaults file (OpenDKIM) */
	struct strv	 reload;	/* argv words; n == 0 when unset */
	struct strv	 restart;
};

/* The section of backend `name`: never NULL (an empty section when the
 * file sets nothing for it, or s is NULL).  Borrowed from s. */
const struct settings_backend *settings_backend(const struct settings *s,
    const char *name);

/*
 * Read the settings file at site path `path` (NULL: the default) under root.
 * A missing default file yields empty settings; a missing file named
 * explicitly (explicit != 0) is an error.  Unknown keys, bad addresses,
 * bad domains and bad policies are errors naming "path:line".  Returns NULL
 * and sets *cause on error.
 */
struct settings *settings_load(const char *root, const char *path,
    int explicit, char **cause);
void settings_free(struct settings *);

#endif
