/* settings.h: notspam's own settings file (/etc/notspam/notspam.conf).
 *
 * Only what cannot be derived from the MTA's and signer's files:
 *   public_ipv4 = 192.0.2.25 ...        public IPv4 addresses (override detection)
 *   public_ipv6 = 2001:db8::25 ...      public IPv6 addresses (override detection)
 *   domains = example.org example.net   extra hosted domains
 *   dmarc_rua = mailto:dmarc@example.org   DMARC aggregate report address
 *   dmarc_policy = none|quarantine|reject  policy of the suggested DMARC record
 *   postfix_config_dir, opendkim_conf, opendkim_default, smtpd_conf,
 *   dkimproxy_conf                      config paths of non-standard installs
 *   postfix_reload, opendkim_reload, smtpd_reload, dkimproxy_reload
 *                                       reload commands (argv words, no shell)
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
	char		*postfix_config_dir;
	char		*opendkim_conf;
	char		*opendkim_default;
	char		*smtpd_conf;
	char		*dkimproxy_conf;
	char		*postfix_reload;
	char		*opendkim_reload;
	char		*smtpd_reload;
	char		*dkimproxy_reload;
};

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
