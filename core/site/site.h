/* site.h: the site model, what this mail server is, read from its files.
 *
 * Built by site_load(): each detected backend (backends/backend.h) adds what
 * its program's configuration says; then the settings file and the network
 * interfaces fill in what the configs cannot say.  Everything is owned by the
 * struct site and freed by site_free().
 */
#ifndef NOTSPAM_SITE_H
#define NOTSPAM_SITE_H

#include <stddef.h>

#include "core/conf/settings.h"
#include "core/lib/util.h"

/* A DKIM key the signer is configured to use. */
struct site_key {
	char	*domain;	/* lower case, no trailing dot */
	char	*selector;
	char	*keyfile;	/* site path as configured */
	char	*signer;	/* "opendkim", "dkimproxy", "filter-dkimsign" */
	char	*source;	/* "file:line" of the configuring line */
};

/* A hosted domain. */
struct site_domain {
	char		*name;		/* lower case, no trailing dot */
	int		 receives;	/* the MTA accepts mail for it (needs MX) */
	struct strv	 sources;	/* "postfix mydestination (main.cf:34)" ... */
};

/* One hop of the signing path: which program hands mail to which, where. */
struct site_link {
	char	*from;		/* "postfix smtpd", "postfix submission/inet", "opensmtpd" */
	char	*to;		/* "opendkim", "dkimproxy", "filter-dkimsign", "?" */
	char	*kind;		/* "milter", "content_filter", "relay", "filter", "listen" */
	char	*address;	/* as configured, e.g. "inet:[::1]:12345" */
	char	*source;	/* "file:line" */
};

/* A detected program. */
struct site_program {
	char	*name;		/* backend name: "postfix", "opendkim", ... */
	char	*role;		/* "mta" or "signer" */
	char	*binary;	/* site path of its binary, NULL if not installed */
	char	*version;	/* NULL when unknown */
	char	*config;	/* site path of its main config file */
};

/* A setting a backend read, for display and for later diagnosis. */
struct site_fact {
	char	*program;	/* "postfix" */
	char	*name;		/* "smtpd_milters", "master.cf smtpd/inet chroot" */
	char	*value;
	char	*source;	/* "file:line", or "default" */
};

struct site {
	char			*root;		/* NULL for "/" */
	struct settings		*settings;	/* owned */
	char			*hostname;	/* mail hostname (EHLO name) */
	char			*hostname_source;
	struct site_domain	*domains;
	size_t			 ndomains;
	struct site_key		*keys;
	size_t			 nkeys;
	struct strv		 ipv4;		/* public addresses, canonical */
	struct strv		 ipv6;
	char			*addr_source;	/* "settings", "interfaces" */
	struct strv		 addr_notes;	/* e.g. "no public IPv6 address" */
	struct site_link	*links;
	size_t			 nlinks;
	struct site_program	*programs;
	size_t			 nprograms;
	struct site_fact	*facts;
	size_t			 nfacts;
	struct strv		 warnings;	/* "file:line: problem; fix" */
	struct strmap		 domain_idx;	/* name -> index in domains[] */
	struct strmap		 key_idx;	/* domain/selector/signer -> keys[] */
};

/*
 * Read the site under root (NULL for "/") with the settings file at
 * settings_path (NULL: the default).  Returns NULL with *cause only when the
 * site cannot be read at all (bad settings file, an MTA config that exists
 * but cannot be parsed); lesser problems land in site->warnings.
 */
struct site *site_load(const char *root, const char *settings_path,
    char **cause);
void site_free(struct site *);

/* Builders used by the backends.  All copy their arguments; NULL is allowed
 * for optional strings.  Domains and keys must be added through them: they
 * keep the indexes site_domain() and the duplicate checks use. */
void site_set_hostname(struct site *, const char *name, const char *source);
struct site_domain *site_add_domain(struct site *, const char *name,
    int receives, const char *source);
void site_add_key(struct site *, const char *domain, const char *selector,
    const char *keyfile, const char *signer, const char *source);
void site_add_link(struct site *, const char *from, const char *to,
    const char *kind, const char *address, const char *source);
struct site_program *site_add_program(struct site *, const char *name,
    const char *role, const char *binary, const char *version,
    const char *config);
void site_add_fact(struct site *, const char *program, const char *name,
    const char *value, const char *source);
void site_warn(struct site *, const char *fmt, ...) PRINTFLIKE(2, 3);

/* Lookups. */
const struct site_fact *site_fact(const struct site *, const char *program,
    const char *name);
const struct site_domain *site_domain(const struct site *, const char *name);
const struct site_program *site_program(const struct site *, const char *name);

/* Is name a localhost form that is never a hosted domain ("localhost",
 * "localhost.localdomain", "localhost.<anything>", "$myhostname" left
 * unexpanded is handled by the backend)? */
int site_is_localhost(const char *name);

/* Validate a DNS domain name (LDH labels, 1..63 each, total <= 253,
 * at least one dot unless single_label_ok).  Returns 1 if valid. */
int site_valid_domain(const char *name, int single_label_ok);

#endif
