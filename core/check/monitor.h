/* monitor.h: check results as monitoring systems read them.
 *
 * Two forms, built into a buffer (no I/O, no terminal code; the command
 * prints or writes them):
 *
 * - A Nagios / Icinga plugin's output, after the Monitoring Plugins
 *   development guidelines: one status line
 *     NOTSPAM CRITICAL - 2 fail, 2 warn in 22 checks of 4 domains; worst:
 *     lists.example.com dmarc | ok=18;;;0;22 warn=2;0;;0;22 ...
 *   then the long output, a line a finding (worst first: "FAIL
 *   lists.example.com dmarc: reports to ... are not authorized"), and the
 *   site's configuration warnings ("config: ..."); the state is the exit
 *   status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).  Perfdata: ok, warn,
 *   fail and unknown counts with min 0 and max the number of checks, warn
 *   and unknown with the warning range 0 and fail with the critical range
 *   0 (what makes the state), domains, and time in seconds.  No '|' is
 *   ever in the text (it would start perfdata; the long output may carry
 *   a second part of it): text gets it as \x7c, and every control byte,
 *   DEL or invalid UTF-8 byte as \xNN (str_sanitize / str_shown).  Lines
 *   are cut at MONITOR_LINE_MAX bytes, findings at MONITOR_NAGIOS_LINES.
 *
 * - A Prometheus node_exporter textfile (the text exposition format
 *   0.0.4), every family with # HELP and # TYPE, all gauges:
 *     notspam_record_status{domain,record,status} 1   one a check: its
 *         status as the label (the mail host's checks named by the host)
 *     notspam_records{status} N     checks by status (ok, warn, fail,
 *         unknown always; pending when any)
 *     notspam_domains N             hosted domains checked
 *     notspam_resolver_up 0|1       0: the resolver answered no query
 *     notspam_signing_path_ok{from,address,to,kind,state} 0|1
 *         a hop of the signing path (core/site/path.h), 1 when linked
 *     notspam_last_run_timestamp_seconds, notspam_run_duration_seconds
 *   Label values are str_shown text (valid UTF-8, no control byte) with
 *   backslash, double quote and line feed escaped as the format wants
 *   (\\, \", \n).  No sample has a timestamp (the textfile collector
 *   refuses them).  Two checks with the same domain and record (one domain
 *   named twice) are one series with the worse status.
 */
#ifndef NOTSPAM_MONITOR_H
#define NOTSPAM_MONITOR_H

#include <stddef.h>
#include <time.h>

#include "core/check/check.h"

struct buf;
struct strv;
struct path;

/* The Nagios states, as the plugin's exit statuses. */
enum monitor_state {
	MONITOR_OK = 0,
	MONITOR_WARNING = 1,
	MONITOR_CRITICAL = 2,
	MONITOR_UNKNOWN = 3,
};

/* Longest line of text (a finding, the summary before its perfdata). */
#define MONITOR_LINE_MAX	512
/* Most findings in the long output; a last line counts the others. */
#define MONITOR_NAGIOS_LINES	100

/* What a run gave, all borrowed. */
struct monitor_run {
	const struct check_domain *ds;	/* check_results(): the host's
					   first (host set), then the
					   domains' */
	size_t			 n;
	const char		*resolver;	/* dns_servers() */
	int			 unreachable;	/* check_unreachable() */
	const struct strv	*warnings;	/* the site's configuration
						   warnings, or NULL */
	const struct path	*path;		/* the signing path, or NULL */
	struct timespec		 finished;	/* when it ended (realtime) */
	long long		 duration_ns;	/* how long it took */
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *monitor_state_name(enum monitor_state);

/* UNKNOWN when the resolver answered nothing, CRITICAL for a failed
 * check, WARNING for a warning, an unknown or a pending one (an answer
 * that says nothing is no plugin error), else OK. */
enum monitor_state monitor_state(const struct monitor_run *);

/* The plugin's whole output (status line, long output) appended to b;
 * returns its state. */
enum monitor_state monitor_nagios(struct buf *b, const struct monitor_run *);

/* The output when no check could run (usage, an unreadable configuration,
 * no resolver): "NOTSPAM UNKNOWN - why" and a newline, why made safe.
 * The state is MONITOR_UNKNOWN. */
void monitor_nagios_unknown(struct buf *b, const char *why);

/* Text for a plugin's output appended to b: untrusted (raw: str_sanitize)
 * or already sanitized by the core (str_shown), '|' as \x7c. */
void monitor_nagios_text(struct buf *b, const char *s, int raw);

/*
 * One perfdata item appended to b (a blank before it unless b is empty or
 * ends in one): label=value[uom];[warn];[crit];[min];[max], trailing empty
 * fields dropped.  The label is quoted ('...') when it holds a blank, '='
 * or a quote, a quote inside doubled; a label made safe first (controls
 * escaped, '|' as \x7c).  The other fields are taken as given (NULL:
 * empty).
 */
void monitor_perfdata(struct buf *b, const char *label, const char *value,
    const char *uom, const char *warn, const char *crit, const char *min,
    const char *max);

/* The textfile appended to b. */
void monitor_prometheus(struct buf *b, const struct monitor_run *);

/* A label value appended to b, without the quotes around it: s as
 * str_shown makes it, then \\, \" and \n. */
void monitor_prom_label(struct buf *b, const char *s);

#endif
