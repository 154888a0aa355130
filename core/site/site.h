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
#include "core/lib/sockspec.h"
#include "core/lib/util.h"

struct conf_doc;
struct conf_entry;

#define SITE_LOC_NOENTRY ((size_t)-1)

/*
 * Where something was read.  Every pointer is borrowed from the site that
 * holds the record (its kept documents, its interned paths), so a location
 * is valid for the site's lifetime.  A location never needs parsing back:
 * site_loc_format() is for messages only.
 */
struct site_loc {
	const char		*file;	/* site path; NULL: not from a file
					 * (a built-in default) */
	size_t			 line;	/* 1-based; 0: the file as a whole */
	const struct conf_doc	*doc;	/* the kept document, or NULL when
					 * the file was read otherwise */
	size_t			 entry;	/* index in doc->entries, or
					 * SITE_LOC_NOENTRY */
};

/* A DKIM key the signer is configured to use. */
struct site_key {
	char	*domain;	/* lower case, no trailing dot */
	char	*selector;
	char	*keyfile;	/* site path as configured */
	char	*signer;	/* "opendkim", "dkimproxy", "filter-dkimsign" */
	char	*source;	/* "file:line" of the configuring line, for
				 * messages: use loc to find the line */
	struct site_loc loc;
};

/* A hosted domain. */
struct site_domain {
	char		*name;		/* lower case, no trailing dot */
	int		 receives;	/* the MTA accepts mail for it (needs MX) */
	struct strv	 sources;	/* "postfix mydestination (main.cf:34)" ... */
	struct site_loc	 loc;		/* where it was first found */
};

/* One hop of the signing path: which program hands mail to which, where. */
struct site_link {
	char	*from;		/* "postfix smtpd", "postfix submission/inet", "opensmtpd" */
	char	*to;		/* "opendkim", "dkimproxy", "filter-dkimsign", "?" */
	char	*kind;		/* "milter", "content_filter", "relay", "filter", "listen" */
	char	*address;	/* as configured, e.g. "inet:[::1]:12345" */
	struct sockspec sock;	/* address parsed; transport SOCKSPEC_NONE
				 * when it is not an endpoint (a filter name)
				 * or could not be parsed */
	char	*source;	/* "file:line", for messages */
	struct site_loc loc;
	char	*reach;		/* socket file the client really opens (a
				 * Postfix chroot or queue_directory moves
				 * it), or NULL: sock.path */
	char	*reach_why;	/* why reach differs, for messages */
	size_t	 listener;	/* index in site->links of the listener
				 * this hop was resolved to (same port or
				 * socket name), or SITE_NOLINK */
	char	*problem;	/* NULL, or why this hop does not carry mail,
				 * in words that follow the hop "FROM ->
				 * ADDRESS -> TO": resolved to a listener it
				 * does not reach ("opendkim listens on
				 * 127.0.0.1:12345 (IPv4 only)"), or named
				 * by no listener while a partner listens
				 * elsewhere ("nothing listens there;
				 * opendkim listens on 127.0.0.1:8891") */
};

#define SITE_NOLINK ((size_t)-1)

/* A detected program. */
struct site_program {
	char	*name;		/* backend name: "postfix", "opendkim", ... */
	char	*role;		/* "mta" or "signer" */
	char	*binary;	/* site path of its binary, NULL if not installed */
	char	*version;	/* NULL when unknown */
	char	*config;	/* site path of its main config file */
};

/* How bad a configuration warning is.  SITE_SEV_FAIL: as configured, mail
 * is not signed, not handed over or rejected (a daemon that does not
 * start, a hop that never reaches its listener, a HELO name receivers
 * refuse); SITE_SEV_WARN: the rest (risky, obsolete, or notspam cannot
 * tell).  Decided where the warning is made (site_warn, site_fail). */
enum site_severity {
	SITE_SEV_WARN,
	SITE_SEV_FAIL,
};

/* A setting a backend read, for display and for later diagnosis. */
struct site_fact {
	char	*program;	/* "postfix" */
	char	*name;		/* "smtpd_milters", "master.cf smtpd/inet chroot" */
	char	*value;
	char	*source;	/* "file:line", or "default", for messages */
	struct site_loc loc;	/* file NULL for a default */
};

struct site {
	char			*root;		/* NULL for "/" */
	struct settings		*settings;	/* owned */
	char			*hostname;	/* mail hostname (EHLO name) */
	char			*hostname_source;
	struct site_loc		 hostname_loc;
	char			*helo;		/* outbound HELO name when the MTA
						 * sets one apart (Postfix
						 * smtp_helo_name, smtpd.conf
						 * relay helo / helo-src); NULL:
						 * the hostname */
	char			*helo_source;
	struct site_loc		 helo_loc;
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
	char			*unread_signer;	/* a signer notspam does not read
						 * (rspamd) takes the mail: whether
						 * it signs is unknown, so DMARC
						 * advice should wait; NULL: none */
	char			*unread_signer_source;
	struct strv		 warnings;	/* "file:line: problem; fix" */
	enum site_severity	*warn_sev;	/* one per warning, in order */
	struct strmap		 domain_idx;	/* name -> index in domains[] */
	struct strmap		 key_idx;	/* domain/selector/signer -> keys[] */
	struct strmap		 warn_idx;	/* warnings, for uniqueness */
	struct strmap		 dsrc_idx;	/* "domain\nsource" pairs */
	struct conf_doc		**docs;		/* every document read, owned */
	size_t			 ndocs;
	struct strmap		 doc_idx;	/* path -> first in docs[] */
	struct strv		 paths;		/* interned paths of files read
						 * without a document */
	struct strmap		 path_idx;
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
 * for optional strings and a NULL loc means "not from a file".  Domains and
 * keys must be added through them: they keep the indexes site_domain() and
 * the duplicate checks use. */
void site_set_hostname(struct site *, const char *name, const char *source,
    const struct site_loc *loc);
/* The outbound HELO name; the first one set wins (the MTA is read first). */
void site_set_helo(struct site *, const char *name, const char *source,
    const struct site_loc *loc);
/* The name receivers see in HELO: site->helo, else site->hostname (NULL
 * when neither is known).  Borrowed. */
const char *site_helo(const struct site *);
struct site_domain *site_add_domain(struct site *, const char *name,
    int receives, const char *source, const struct site_loc *loc);
void site_add_key(struct site *, const char *domain, const char *selector,
    const char *keyfile, const char *signer, const char *source,
    const struct site_loc *loc);
/* sock: the address parsed (copied), or NULL when it is no endpoint. */
void site_add_link(struct site *, const char *from, const char *to,
    const char *kind, const char *address, const struct sockspec *sock,
    const char *source, const struct site_loc *loc);
/* The socket file l's client really opens (copied), and why it is not the
 * configured path (e.g. "smtpd runs chrooted in /var/spool/postfix
 * (master.cf:12)"). */
void site_link_reach(struct site_link *l, const char *path, const char *why);
/* A signer notspam does not read takes the mail (the first one is kept). */
void site_set_unread_signer(struct site *, const char *name,
    const char *source);
struct site_program *site_add_program(struct site *, const char *name,
    const char *role, const char *binary, const char *version,
    const char *config);
void site_add_fact(struct site *, const char *program, const char *name,
    const char *value, const char *source, const struct site_loc *loc);
/* A configuration warning, "file:line: problem; fix" (once: a text said
 * again is dropped); site_fail() for one of SITE_SEV_FAIL (a text said both
 * ways keeps the worse). */
void site_warn(struct site *, const char *fmt, ...) PRINTFLIKE(2, 3);
void site_fail(struct site *, const char *fmt, ...) PRINTFLIKE(2, 3);
/* The severity of warnings.v[i]; "warn" or "fail". */
enum site_severity site_warning_severity(const struct site *, size_t i);
const char *site_severity_name(enum site_severity);
/*
 * A warning's text in its parts, for display: *where is what comes before
 * its first ": " when that is a location (a path, "path:line" or
 * "default"), else NULL; *fix what follows its last "; ", else NULL; and
 * *problem the rest.  Each is allocated (caller frees); nothing is lost:
 * where, problem and fix joined again give the text.
 */
void site_warning_parts(const char *text, char **where, char **problem,
    char **fix);

/*
 * Documents.  site_keep_doc() hands a document the backend read to the
 * site (freed by site_free), so locations pointing into it stay valid and
 * the edit planner finds it again; site_doc() is the first kept document
 * of that site path, or NULL (e.g. to re-read a KeyTable with the
 * grammar's own continuation and CRLF rules instead of splitting lines).
 */
struct conf_doc *site_keep_doc(struct site *, struct conf_doc *doc);
const struct conf_doc *site_doc(const struct site *, const char *path);

/* Locations: of an entry of a kept document; of a line of a file read
 * without a document (the path is interned by the site); the entry a
 * location names (NULL when none); and "file:line" ("file" for line 0,
 * "default" when not from a file) for messages.  Caller frees. */
struct site_loc site_loc_entry(const struct conf_doc *,
    const struct conf_entry *);
struct site_loc site_loc_file(struct site *, const char *path, size_t line);
const struct conf_entry *site_loc_conf_entry(const struct site_loc *);
char *site_loc_format(const struct site_loc *);

/* Lookups. */
const struct site_fact *site_fact(const struct site *, const char *program,
    const char *name);
const struct site_domain *site_domain(const struct site *, const char *name);
/* The key a signer is configured with, or NULL (its loc names the line). */
const struct site_key *site_key_find(const struct site *, const char *domain,
    const char *selector, const char *signer);
const struct site_program *site_program(const struct site *, const char *name);
/* The program a listen link belongs to: its from, or its to when from is
 * "?" ("?" when neither names one).  Borrowed. */
const char *site_listen_owner(const struct site_link *);

/* Is name a localhost form that is never a hosted domain ("localhost",
 * "localhost.localdomain", "localhost.<anything>", "$myhostname" left
 * unexpanded is handled by the backend)? */
int site_is_localhost(const char *name);

/* Validate a DNS domain name (LDH labels, 1..63 each, total <= 253,
 * at least one dot unless single_label_ok).  Returns 1 if valid. */
int site_valid_domain(const char *name, int single_label_ok);

#endif
