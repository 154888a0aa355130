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
#define EX_TEMPFAIL	75

struct cli_opts {
	const char	*root;		/* --root, NULL for "/" */
	const char	*config;	/* --config, NULL for the default */
	const char	*resolver;	/* --resolver */
	int		 json;		/* --json */
	int		 no_color;	/* --no-color */
};

struct site;

/* Untrusted text made safe for the terminal (control bytes escaped). */
void cli_put(FILE *, const char *);
/* A zone-file text: its own line breaks and tabs kept, the rest as cli_put. */
void cli_put_zone(FILE *, const char *);
/* "notspam: <msg>" on stderr, sanitized. */
void cli_error(const char *msg);
/* Load the site, or say why not and set *rc (EX_NOINPUT); NULL then. */
struct site *cli_load_site(const struct cli_opts *, int *rc);

/* Each returns the process exit status. */
int cli_records(const struct cli_opts *, int argc, char **argv);
int cli_status(const struct cli_opts *, int argc, char **argv);
int cli_spf(const struct cli_opts *, int argc, char **argv);
int cli_check(const struct cli_opts *, int argc, char **argv);
int cli_keygen(const struct cli_opts *, int argc, char **argv);
int cli_keys(const struct cli_opts *, int argc, char **argv);

#endif
