/* cli.h: the command-line commands (the console's twins). */
#ifndef NOTSPAM_CLI_H
#define NOTSPAM_CLI_H

#include <stdio.h>

/* sysexits values used as exit statuses. */
#define EXIT_WARN	1
#define EXIT_FAIL	2
#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_UNAVAILABLE	69
#define EX_SOFTWARE	70
#define EX_IOERR	74
#define EX_TEMPFAIL	75
/* Standard output was a pipe whose reader went away (EPIPE): the status a
 * shell reports for a program SIGPIPE stopped, 128 + 13. */
#define EXIT_PIPE	141

struct cli_opts {
	const char	*root;		/* --root, NULL for "/" */
	const char	*config;	/* --config, NULL for the default */
	const char	*resolver;	/* --resolver */
	const char *const *zones;	/* --zones, NULL-terminated, or NULL */
	int		 ns_port;	/* --ns-port (the checks' nameservers),
					   0: 53 */
	int		 json;		/* --json */
	int		 no_color;	/* --no-color */
};

struct session;
struct session_opts;

/* Untrusted text made safe for the terminal (control bytes escaped), or
 * text the core already sanitized, shown as it is: escaped once
 * (core/lib/util.h str_shown). */
void cli_put(FILE *, const char *);
/* A zone-file text: its own line breaks and tabs kept, the rest as cli_put. */
void cli_put_zone(FILE *, const char *);
/* A fix of one or more lines (a DKIM key in the zone-file form): lead
 * before the first line, indent before the others, each as cli_put_zone
 * prints it and ended with a newline, so what is printed pastes. */
void cli_put_fix(FILE *, const char *lead, const char *indent,
    const char *text);
/* Write out what stdout holds now (before a line on stderr that must come
 * after it); a failure is noted for cli_exit(), which reports it. */
void cli_flush(void);
/* A whole document (JSON) as is on stdout; a failed write is noted for
 * cli_exit(), which reports it. */
void cli_put_doc(const char *s, size_t len);
struct json;
struct site;
/* The "warnings" member of a JSON object: the site's configuration
 * warnings, then its notes on addresses (records, check, status), each an
 * object {"severity": "fail", "warn" or "note", "text": ...}. */
void cli_json_warnings(struct json *, const struct site *);
/* "notspam: <msg>" on stderr, sanitized. */
void cli_error(const char *msg);
/* The session options of the command-line options (strings borrowed). */
void cli_session_opts(const struct cli_opts *, struct session_opts *);
/* Open the session (the site read, the loop; the resolver on demand with
 * session_dns), or say why not and set *rc (EX_NOINPUT); NULL then. */
struct session *cli_session(const struct cli_opts *, int *rc);

/*
 * The end of every run: flush and close standard output and check that
 * everything written to it arrived (printf and friends only set the
 * stream's error flag; this is where it is looked at).  Returns rc when
 * all went out; EX_IOERR after one line on stderr ("notspam: cannot write
 * standard output: No space left on device") when a write failed; and,
 * quietly, EXIT_PIPE when the reader closed the pipe early (notspam
 * ignores SIGPIPE so that it sees EPIPE instead of dying mid-way, and
 * treats it as a quiet stop, as `cmd | head -1` expects).
 */
int cli_exit(int rc);

/* Each returns the process exit status. */
int cli_records(const struct cli_opts *, int argc, char **argv);
int cli_status(const struct cli_opts *, int argc, char **argv);
int cli_spf(const struct cli_opts *, int argc, char **argv);
int cli_check(const struct cli_opts *, int argc, char **argv);
int cli_keygen(const struct cli_opts *, int argc, char **argv);
int cli_keys(const struct cli_opts *, int argc, char **argv);
int cli_apply(const struct cli_opts *, int argc, char **argv);
int cli_doctor(const struct cli_opts *, int argc, char **argv);
int cli_backups(const struct cli_opts *, int argc, char **argv);
int cli_verify(const struct cli_opts *, int argc, char **argv);
int cli_sendtest(const struct cli_opts *, int argc, char **argv);

/*
 * A plan as apply shows and writes it (ui/cli_apply.c), for the commands
 * that make their own plan (keys switch).  cli_apply_show: its reasons,
 * diffs, steps, checkers and reloads as text, ending with the command
 * that writes them (writer).  cli_apply_json: the same as
 * the members of the JSON object being written.  cli_apply_commit: the
 * question on a terminal (unless yes), the transaction, then what it did
 * (as text, or as the members of j's open object when j is not NULL); it
 * returns apply's exit status for writing (see cli_apply).
 */
struct json;
struct plan;
void cli_apply_show(const struct plan *, const char *writer);
void cli_apply_json(struct json *, const struct plan *);
int cli_apply_commit(const struct cli_opts *, const struct plan *, int yes,
    int timeout_ms, struct json *j);
int cli_restore(const struct cli_opts *, int argc, char **argv);
/* One line on stderr when a transaction (apply, restore) was interrupted,
 * saying how to finish or undo it; nothing otherwise (ui/cli_backup.c). */
void cli_backup_notice(const struct cli_opts *);

#endif
