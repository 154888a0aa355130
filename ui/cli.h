/* cli.h: the command-line commands (the console's twins). */
#ifndef NOTSPAM_CLI_H
#define NOTSPAM_CLI_H

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

/* Each returns the process exit status. */
int cli_records(const struct cli_opts *, int argc, char **argv);
int cli_status(const struct cli_opts *, int argc, char **argv);
int cli_spf(const struct cli_opts *, int argc, char **argv);
int cli_check(const struct cli_opts *, int argc, char **argv);
int cli_keygen(const struct cli_opts *, int argc, char **argv);
int cli_keys(const struct cli_opts *, int argc, char **argv);

#endif
