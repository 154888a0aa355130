/* logscan.h: the mail logs read back, recent lines mapped to known causes.
 *
 * The doctor's log evidence.  A scan reads the logs where this server keeps
 * them (logscan_site: Postfix's maillog_file, /var/log/mail.log,
 * /var/log/maillog, /var/log/syslog, then the systemd journal), each file
 * bounded twice: only its last max_bytes are ever read, and of those only
 * the lines of the time window: the first line of the window is found by a
 * binary search on the timestamps (probes of 4 KiB, read on up to 128 KiB
 * while no timestamp shows), so an older part is not read at all.  A 1 GB
 * log costs at most max_bytes plus the probes (one 4 KiB probe when the
 * whole bounded part is inside the window).  Every line is
 * untrusted: cut at LOGSCAN_LINE_MAX bytes, matched by plain substring
 * scans (no regular expressions: linear in the line's length), and kept
 * only through str_sanitize(), so nothing from a log reaches a terminal or
 * a JSON document raw.
 *
 * Lines understood: RFC 3164 syslog ("Dec  1 15:56:13 host tag[pid]: msg",
 * the year inferred from the scan's clock, local time), Postfix's own
 * maillog_file ("Dec 01 15:56:13 host postfix/smtpd[123]: msg"), a
 * /dev/log datagram as written without a host name, ISO 8601 / RFC 5424
 * timestamps as rsyslog's high-precision format writes them
 * ("2026-12-01T15:56:13.123456+00:00 host tag[pid]: msg", also "Z" and
 * "+0000"), and `journalctl -o json` records (one JSON object a line:
 * __REALTIME_TIMESTAMP, SYSLOG_IDENTIFIER, SYSLOG_PID or _PID, MESSAGE).
 *
 * Known lines map to a cause (enum logscan_cause, each with a stable string
 * id for the findings and --json).  Matches of the same cause, program and
 * extracted subject (endpoint, address, domain) are grouped: a count, the
 * first and last time, the last line.
 *
 * One line's program is counted once: a program already seen in the window
 * of an earlier source (mail.log before syslog, files before the journal)
 * is skipped in later ones, since rsyslog writes the same message to
 * mail.log, syslog and the journal.
 *
 * Everything a struct logscan holds is owned by it and freed by
 * logscan_free().
 */
#ifndef NOTSPAM_LOGSCAN_H
#define NOTSPAM_LOGSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/lib/util.h"

struct json;
struct site;

/* Bytes of one line looked at; the rest of a longer line is skipped. */
#define LOGSCAN_LINE_MAX	8192
/* Bytes of a line kept in a match (before escaping). */
#define LOGSCAN_LINE_SHOWN	1024
/* Default bound per source: the last 16 MiB. */
#define LOGSCAN_MAX_BYTES	(16u * 1024 * 1024)
/* Default window: the last 24 hours. */
#define LOGSCAN_WINDOW		(24 * 60 * 60)
/* Distinct groups kept; matches of further groups are only counted. */
#define LOGSCAN_MAX_GROUPS	1024

/*
 * The causes, in the order of the table in logscan_rules.c.  The comment
 * gives the id (logscan_cause_id) and the line that yields it.
 */
enum logscan_cause {
	/* Postfix could not reach a milter: "warning: connect to Milter
	 * service NAME: ERROR"; endpoint NAME as configured, detail ERROR. */
	LOGSCAN_MILTER_REFUSED,	/* milter-refused: Connection refused */
	LOGSCAN_MILTER_NOENT,	/* milter-no-socket: No such file or directory */
	LOGSCAN_MILTER_DENIED,	/* milter-denied: Permission denied */
	LOGSCAN_MILTER_TIMEOUT,	/* milter-timeout: Connection timed out */
	LOGSCAN_MILTER_NOADDR,	/* milter-no-address: Cannot assign requested
				 * address (inet_protocols, no IPv6) */
	LOGSCAN_MILTER_CONNECT,	/* milter-connect: any other error */
	/* "milter-reject: STAGE from CLIENT: 451 4.7.1 Service unavailable -
	 * try again later" (smtpd) or "...: 4.7.1 Service unavailable ..."
	 * (cleanup): the milter failed and default_action is tempfail;
	 * detail "STAGE: reply", domain the sender's. */
	LOGSCAN_MILTER_TEMPFAIL,	/* milter-tempfail */
	LOGSCAN_MILTER_REJECT,	/* milter-reject: any other milter-reject */
	/* "milter NAME: can't read SMFIC_X reply packet header: ERROR":
	 * endpoint NAME, detail "SMFIC_X: ERROR". */
	LOGSCAN_MILTER_REPLY,	/* milter-no-reply */
	/* OpenDKIM "KEY: key data is not secure: WHY": endpoint KEY, domain
	 * the key's (from "sel._domainkey.domain"), detail WHY. */
	LOGSCAN_KEY_INSECURE,	/* key-insecure */
	/* OpenDKIM "QID: error loading key 'KEY'": endpoint KEY. */
	LOGSCAN_KEY_LOAD,	/* key-load-error */
	/* OpenDKIM (LogWhy) "QID: no signing table match for 'ADDR'":
	 * domain ADDR's. */
	LOGSCAN_NO_SIGNING,	/* no-signing-match */
	/* libmilter "Unable to bind to port SPEC: ERROR": endpoint SPEC. */
	LOGSCAN_SIGNER_BIND,	/* signer-bind */
	/* libmilter "Unable to create listening socket on conn SPEC",
	 * "smfi_opensocket() failed": the signer did not start. */
	LOGSCAN_SIGNER_SOCKET,	/* signer-socket */
	/*
	 * Remote answers to outgoing mail, from Postfix's "status=bounced" or
	 * "status=deferred" lines: endpoint the relay ("host[addr]:port"),
	 * address the sending address the reply names (canonical, e.g.
	 * "2001:db8::25"), domain the recipient's, detail "550 5.7.1" (the
	 * reply code and enhanced status).
	 */
	LOGSCAN_REMOTE_IPV6_PTR,	/* remote-gmail-ipv6: "does not meet
					 * IPv6 sending guidelines regarding
					 * PTR records and authentication" */
	LOGSCAN_REMOTE_DMARC,	/* remote-dmarc-policy: "Unauthenticated email
				 * from X is not accepted due to domain's
				 * DMARC policy" */
	LOGSCAN_REMOTE_UNAUTH,	/* remote-unauthenticated: Gmail 5.7.26 "This
				 * mail is unauthenticated" / "the sender is
				 * unauthenticated", "does not have
				 * authentication information" */
	LOGSCAN_REMOTE_GMAIL_RATE,	/* remote-gmail-unsolicited: "unusual
					 * rate of unsolicited mail" */
	LOGSCAN_REMOTE_GMAIL_BULK,	/* remote-gmail-requirements: Gmail's
					 * bulk-sender requirements (4.7.27,
					 * 4.7.29, 4.7.30, 4.7.32, 4.7.40 and
					 * their 5.x.x, "requirements for bulk
					 * senders") */
	LOGSCAN_REMOTE_YAHOO_AUTH,	/* remote-yahoo-requirements: "Yahoo
					 * requires all senders to
					 * authenticate", senders.yahooinc.com */
	LOGSCAN_REMOTE_YAHOO_BLOCK,	/* remote-yahoo-blocked: "[TSS04]",
					 * "[TSS06]"... deferrals */
	LOGSCAN_REMOTE_MS_BLOCK,	/* remote-microsoft-blocklist: "part of
					 * their network is on our block list
					 * (S3150)" */
	LOGSCAN_REMOTE_MS_AUTH,	/* remote-microsoft-auth: 5.7.515 "doesn't
				 * meet the required authentication level" */
	LOGSCAN_REMOTE_SPAMHAUS,	/* remote-spamhaus-listed: "blocked
					 * using zen.spamhaus.org" */
	LOGSCAN_REMOTE_SPAMHAUS_RESOLVER,	/* remote-spamhaus-resolver: the
					 * same with "Error: open resolver":
					 * the receiver's DNS, not a listing */
	LOGSCAN_NCAUSES
};

/* A cause's stable id ("milter-refused"), and back (-1 if unknown). */
const char *logscan_cause_id(enum logscan_cause);
int logscan_cause_from_id(const char *id);
/* A short title for people ("Postfix's milter connection was refused"). */
const char *logscan_cause_title(enum logscan_cause);

/* One group of matching lines.  Every string is sanitized (str_sanitize)
 * and may be NULL when the line does not give it. */
struct logscan_match {
	enum logscan_cause cause;
	time_t	 first;		/* time of the earliest line; 0: unknown */
	time_t	 last;		/* of the latest */
	size_t	 count;		/* lines in the group */
	char	*program;	/* "postfix/smtpd", "opendkim" */
	long	 pid;		/* of the latest line; 0: none */
	char	*endpoint;	/* see enum logscan_cause */
	char	*address;	/* canonical IP address */
	char	*domain;	/* lower case */
	char	*detail;
	char	*line;		/* the latest line, at most LOGSCAN_LINE_SHOWN
				 * bytes of it (then "...") */
	char	*source;	/* the log's site path, or "journal" */
};

enum logscan_state {
	LOGSCAN_READ,		/* read (maybe nothing in the window) */
	LOGSCAN_MISSING,	/* no such file, or no journal here */
	LOGSCAN_FAILED,		/* unreadable, not a file, journalctl failed */
	LOGSCAN_SKIPPED,	/* the same file as an earlier source */
};

/* One log looked at. */
struct logscan_source {
	char			*name;	/* site path, or "journal" */
	enum logscan_state	 state;
	char			*why;	/* for MISSING/FAILED/SKIPPED, else NULL */
	uint64_t		 size;	/* file size; 0 for the journal */
	uint64_t		 bytes;	/* bytes read from it */
	size_t			 lines;	/* lines in the window */
	size_t			 matched;
};

struct logscan_opts {
	time_t	 now;		/* the scan's clock; 0: time(NULL) */
	long	 window;	/* seconds before now; 0: LOGSCAN_WINDOW;
				 * < 0: no time window */
	size_t	 max_bytes;	/* per source; 0: LOGSCAN_MAX_BYTES */
	int	 journal;	/* logscan_site asks journalctl too (only on
				 * the running system, with systemd) */
	int	 timeout_ms;	/* journalctl's limit; 0: 10 s */
};

/* Counters over the whole scan, for messages and for tests (bytes_read
 * is every byte read(2) returned, probes included). */
struct logscan_stats {
	uint64_t bytes_read;
	size_t	 lines;		/* lines seen */
	size_t	 in_window;	/* of them, inside the window */
	size_t	 matched;	/* matched a known cause */
	size_t	 cut;		/* longer than LOGSCAN_LINE_MAX */
	size_t	 duplicates;	/* skipped: program seen in an earlier source */
	size_t	 overflow;	/* matches past LOGSCAN_MAX_GROUPS groups */
};

struct logscan_int;

struct logscan {
	struct logscan_opts	 opts;		/* defaults filled in */
	time_t			 since;		/* start of the window, or 0 */
	struct logscan_match	*matches;	/* in order of first sight */
	size_t			 nmatches;
	struct logscan_source	*sources;
	size_t			 nsources;
	struct logscan_stats	 stats;
	struct logscan_int	*in;		/* private */
};

/* A scan with opts (NULL: the defaults), and its end. */
struct logscan *logscan_new(const struct logscan_opts *opts);
void logscan_free(struct logscan *);

/*
 * Read every log of the site (site->root prefixes the paths, so under
 * --root R the file R/var/log/mail.log is read): Postfix's maillog_file
 * when main.cf sets one, /var/log/mail.log, /var/log/maillog,
 * /var/log/syslog, then (opts.journal, no root, /run/systemd/system
 * present) the journal.  A log that is missing is recorded as such, not
 * an error.  Returns the number of sources read (not counting one skipped
 * as the same file as an earlier one).
 */
int logscan_site(struct logscan *, const struct site *site);

/* The log files of the site, in the order logscan_site reads them (site
 * paths, added to paths): Postfix's maillog_file when main.cf sets one,
 * /var/log/mail.log, /var/log/maillog, /var/log/syslog.  The queue
 * follow (core/mail/follow.h) reads the same ones. */
void logscan_site_files(const struct site *site, struct strv *paths);

/*
 * Read one log file, site path `path` under root (fsroot.h), bounded as
 * above.  Returns 0, or -1 with *cause (a missing file: errno ENOENT) and
 * the source recorded as missing or failed.  The same file (device and
 * inode) read twice is skipped the second time.
 */
int logscan_file(struct logscan *, const char *root, const char *path,
    char **cause);

/* Scan text already in memory (syslog lines, newline separated) as the
 * source `name`, the window applied, no byte bound. */
void logscan_text(struct logscan *, const char *name, const char *text,
    size_t len);

/*
 * The journal: logscan_journal_argv gives the argv to run (to be freed
 * with strv_free): "journalctl -o json --no-pager -q -r --facility=mail
 * --since @EPOCH", newest first so a byte bound keeps the latest lines;
 * logscan_journal_text scans its output (one JSON object a line; other
 * lines are ignored) as the source "journal"; logscan_journal runs it
 * blocking through proc_run (at most max_bytes of output, timeout_ms) when
 * /run/systemd/system exists and journalctl is found, and returns 0, or -1
 * with *cause (the source recorded as missing or failed).
 */
void logscan_journal_argv(const struct logscan *, struct strv *argv);
void logscan_journal_text(struct logscan *, const char *text, size_t len);
int logscan_journal(struct logscan *, char **cause);

/* The parts of one log line (pointers into the line; not NUL-terminated). */
struct logscan_line {
	time_t		 t;		/* 0: no timestamp understood */
	const char	*prog;		/* the tag without "[pid]" */
	size_t		 proglen;	/* 0: no tag */
	long		 pid;		/* 0: none */
	const char	*msg;		/* the message after "tag[pid]: " */
	size_t		 msglen;
};

/*
 * Split a syslog line (no newline; at most LOGSCAN_LINE_MAX bytes are
 * looked at) into its parts; now anchors the year of an RFC 3164
 * timestamp (a date more than a day ahead of now is last year's).
 * Returns 0, or -1 when the line has no timestamp (out->msg is then the
 * whole line).
 */
int logscan_parse_line(const char *line, size_t len, time_t now,
    struct logscan_line *out);

/*
 * One match as a line of text for a terminal: "2026-12-01 15:56:13
 * postfix/smtpd milter-refused inet:[::1]:12345 (x3 since 15:40:02):
 * LINE".  Every part is already sanitized; caller frees.
 */
char *logscan_match_text(const struct logscan_match *);

/*
 * The scan as a JSON object under key (NULL inside arrays): "window"
 * (since/until, seconds), "max_bytes", "sources" [{name, state, why,
 * size, bytes, lines, matched}], "matches" [{cause, title, count, first,
 * last (ISO 8601 UTC or null), program, pid, endpoint, address, domain,
 * detail, line, source}], "stats" {bytes_read, lines, in_window, matched,
 * cut, duplicates, overflow}.
 */
void logscan_json(struct json *, const char *key, const struct logscan *);

#endif
