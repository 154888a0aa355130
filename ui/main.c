/* main.c: option parsing and command dispatch. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/dns/dns.h"
#include "core/lib/util.h"
#include "ui/app.h"
#include "ui/cli.h"

#define NOTSPAM_VERSION "0.1"

/* A command: its word, what runs it, and its line(s) in --help. */
struct command {
	const char	*name;		/* NULL: no command word (the console) */
	int		(*run)(const struct cli_opts *, int argc, char **argv);
	const char	*usage;		/* its arguments; "\n" continues them
					   on the next line */
	const char	*help;		/* one line */
	int		 later;		/* designed, not in this version */
};

static int
run_console(const struct cli_opts *o, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return console_run(o);
}

/*
 * Every command, in the order --help lists them; a command with several
 * forms has a row for each (the first one runs it).  The commands of the
 * design contract that later versions implement stay here, marked later:
 * they are known words, not typing mistakes, and are not listed.
 */
static const struct command commands[] = {
	{ NULL, run_console, "",
	    "open the console (dashboard, DNS records per domain)", 0 },
	{ "status", cli_status, "", "the dashboard as text", 0 },
	{ "records", cli_records, "[DOMAIN]",
	    "the DNS records the domains need, as zone-file lines", 0 },
	{ "check", cli_check, "[DOMAIN...] [--ns-port PORT] [--nagios]\n"
	    "[--prometheus FILE]",
	    "look each needed record up now and compare", 0 },
	{ "spf", cli_spf, "DOMAIN IP [SENDER] [--helo HOST]",
	    "evaluate SPF for one address", 0 },
	{ "keygen", cli_keygen, "DOMAIN [--selector S] [--type rsa|ed25519] "
	    "[--bits N] [--weak]\n[--signer NAME] [--keyfile PATH] "
	    "[--import FILE]", "make (or import) a DKIM key, safely stored",
	    0 },
	{ "keys", cli_keys, "[--offline]",
	    "the DKIM keys: files, owners, modes, states, published?", 0 },
	{ "keys", cli_keys, "rotate DOMAIN | switch DOMAIN SELECTOR [--dry-run "
	    "| --yes] |\nretire DOMAIN SELECTOR | revoke DOMAIN SELECTOR",
	    "key rotation, a state at a time (switch writes as apply)",
	    0 },
	{ "backups", cli_backups, "",
	    "what apply and restore replaced, and how each file is now", 0 },
	{ "restore", cli_restore, "[STAMP] [--force]",
	    "put a backup's files back (the newest apply's by default)", 0 },
	{ "setup", cli_setup, "[--watch-interval SECONDS]",
	    "the guided setup, in the console (resumes where it was)", 0 },
	{ "apply", cli_apply, "[--dry-run | --yes] [--only BACKEND] "
	    "[--timeout SECONDS]",
	    "the config changes needed: written, or shown (--dry-run)",
	    0 },
	{ "doctor", cli_doctor, "[--fix ID|all [--dry-run | --yes]]",
	    "why mail leaves unsigned; --fix writes apply's fix", 0 },
	{ "verify", cli_verify, "[FILE|-] [--ip ADDR --helo NAME --mail-from "
	    "ADDR]", "DKIM, SPF and DMARC of a received message", 0 },
	{ "send-test", cli_sendtest, "ADDRESS [--submission | --server "
	    "HOST[:PORT] | --sendmail [PATH]\n| --direct] [--from ADDR] "
	    "[--auth USER [--password-file FILE]]\n[--cafile FILE] "
	    "[--no-verify] [--no-follow] [--timeout S]\n[--follow-timeout S] "
	    "[--port PORT]",
	    "send a test message, follow it to the receiver's answer", 0 },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The column the one-line help starts in. */
#define HELP_COL	20

static const char usage_head[] =
"usage: notspam [--root DIR] [--resolver IP[:PORT][,...] | --zones PATH]...\n"
"               [--config FILE] [--ns-port PORT] [--json] [--no-color]\n"
"               [COMMAND [ARGS]]\n"
"\n"
"commands:\n";

static const char usage_tail[] =
"\n"
"options:\n"
"  --root DIR        DIR stands for / for every file read (sandbox, tests)\n"
"  --config FILE     settings file (default /etc/notspam/notspam.conf)\n"
"  --resolver LIST   DNS servers to ask (IP[:PORT], IPv6 as [::1]:53)\n"
"  --zones PATH      answer every lookup from this zone file, or the *.zone\n"
"                    files of this directory, instead of the DNS (repeat\n"
"                    it for more; only the zones given are known)\n"
"  --ns-port PORT    ask the zones' nameservers on PORT, not 53 (tests)\n"
"  --json            one JSON object on standard output\n"
"  --no-color        no colour in output\n"
"  -h, --help        this text\n"
"  -V, --version     the version\n"
"\n"
"exit status: 0 all ok, 1 warnings, 2 failures, 64 and up when the command\n"
"could not run (64 usage, 66 unreadable configuration, 69 not in this\n"
"version, 73 a key could not be stored, 74 output could not be written,\n"
"75 resolver unreachable; 141 the reader of the output went away).\n"
"See notspam(1).\n";

/* One command's rows of --help: the name and its arguments, continued
 * under the arguments, then the help at HELP_COL (on the same line when
 * there is room). */
static void
usage_command(FILE *f, const struct command *c)
{
	const char *name = c->name != NULL ? c->name : "(none)";
	const char *u = c->usage, *nl;
	int n, indent = 2 + (int)strlen(name) + 1;

	n = fprintf(f, "  %s%s", name, *u != '\0' ? " " : "");
	while ((nl = strchr(u, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - u), u, indent, "");
		u = nl + 1;
		n = HELP_COL + 1;	/* a continued usage: help below */
	}
	n += fprintf(f, "%s", u);
	if (n < HELP_COL)
		fprintf(f, "%*s%s\n", HELP_COL - n, "", c->help);
	else
		fprintf(f, "\n%*s%s\n", HELP_COL, "", c->help);
}

/* The whole usage text, the commands from the table. */
static void
usage_print(FILE *f)
{
	size_t i;

	fputs(usage_head, f);
	for (i = 0; i < NCOMMANDS; i++)
		if (!commands[i].later)
			usage_command(f, &commands[i]);
	fputs(usage_tail, f);
}

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "notspam: %s\n", why);
	usage_print(stderr);
	return EX_USAGE;
}

/* The command named word (NULL: the console), or NULL. */
static const struct command *
command_find(const char *word)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		if (word == NULL ? commands[i].name == NULL :
		    commands[i].name != NULL &&
		    strcmp(commands[i].name, word) == 0)
			return &commands[i];
	}
	return NULL;
}

/* Take the value of an option given as "--opt VALUE" or "--opt=VALUE". */
static int
opt_value(const char *name, int argc, char **argv, int *i, const char **out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		*out = NULL;
		return 1;
	}
	*out = argv[++*i];
	return 1;
}

/* A port, 1-65535, or -1. */
static int
opt_port(const char *v)
{
	char *end = NULL;
	long p = 0;

	if (v != NULL && *v >= '0' && *v <= '9')
		p = strtol(v, &end, 10);
	return p >= 1 && p <= 65535 && *end == '\0' ? (int)p : -1;
}

/* Parse the options and run the command; the exit status. */
static int
notspam_main(int argc, char **argv)
{
	struct cli_opts o;
	const struct command *cmd;
	const char *v, **slot;
	char *why;
	int i, rest_argc = 0, nzones = 0;
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
	const char **zones = xcalloc((size_t)argc + 1, sizeof *zones);
	int rc;
	struct stat sb;

	memset(&o, 0, sizeof o);
	if (getenv("NO_COLOR") != NULL && *getenv("NO_COLOR") != '\0')
		o.no_color = 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				rest[rest_argc++] = argv[i];
			break;
		}
		slot = NULL;
		if (opt_value("--root", argc, argv, &i, &v))
			slot = &o.root;
		else if (opt_value("--config", argc, argv, &i, &v))
			slot = &o.config;
		else if (opt_value("--resolver", argc, argv, &i, &v)) {
			/* Refused here, for every command alike, even one
			 * that asks no DNS (records, keygen). */
			if (dns_servers_check(v, &why) != 0) {
				cli_error(why);
				free(why);
				free(rest);
				free(zones);
				return EX_USAGE;
			}
			slot = &o.resolver;
		} else if (opt_value("--zones", argc, argv, &i, &v))
			slot = &zones[nzones++];
		else if (rest_argc == 0 &&
		    opt_value("--ns-port", argc, argv, &i, &v)) {
			/* Before the command word; check takes its own. */
			if ((o.ns_port = opt_port(v)) == -1) {
				rc = usage("--ns-port needs a port (1-65535)");
				free(rest);
				free(zones);
				return rc;
			}
			continue;
		}
		if (slot != NULL) {
			if (v == NULL || *v == '\0') {
				rc = usage("--root, --config, --resolver and "
				    "--zones need a value");
				free(rest);
				free(zones);
				return rc;
			}
			*slot = v;
		} else if (strcmp(argv[i], "--json") == 0)
			o.json = 1;
		else if (strcmp(argv[i], "--no-color") == 0)
			o.no_color = 1;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage_print(stdout);
			free(rest);
			free(zones);
			return 0;
		} else if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("notspam %s\n", NOTSPAM_VERSION);
			free(rest);
			free(zones);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' &&
		    rest_argc > 0) {
			/* After the command word: the command's own option. */
			rest[rest_argc++] = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			char *safe = str_sanitize(argv[i], strlen(argv[i]));
			why = xasprintf("unknown option %s", safe);
			free(safe);
			rc = usage(why);
			free(why);
			free(rest);
			free(zones);
			return rc;
		} else
			rest[rest_argc++] = argv[i];
	}

	if (nzones > 0 && o.resolver != NULL) {
		rc = usage("--zones and --resolver exclude each other: zone "
		    "files answer every lookup, no resolver is asked");
		free(rest);
		free(zones);
		return rc;
	}
	if (nzones > 0)
		o.zones = zones;
	if (o.root != NULL && stat(o.root, &sb) == -1) {
		char *safe = str_sanitize(o.root, strlen(o.root));
		why = xasprintf("--root %s: %s", safe, strerror(errno));
		free(safe);
		rc = usage(why);
		free(why);
		free(rest);
		free(zones);
		return rc;
	}
	if ((cmd = command_find(rest_argc == 0 ? NULL : rest[0])) == NULL) {
		char *safe = str_sanitize(rest[0], strlen(rest[0]));
		why = xasprintf("unknown command \"%s\"", safe);
		free(safe);
		rc = usage(why);
		free(why);
	} else if (cmd->later) {
		fprintf(stderr, "notspam: \"%s\" is part of the design but not "
		    "in this version yet\n", cmd->name);
		rc = EX_UNAVAILABLE;
	} else {
		/* An interrupted apply is said on every run but the console
		 * (its screen would hide it) and the backup commands. */
		if (cmd->name != NULL && cmd->run != cli_backups &&
		    cmd->run != cli_restore)
			cli_backup_notice(&o);
		rc = cmd->run(&o, rest_argc, rest);
	}
	free(rest);
	free(zones);
	return rc;
}

int
main(int argc, char **argv)
{
	/* A closed pipe is an EPIPE write error, seen and handled by
	 * cli_exit(), not a signal that stops the program mid-way.  Children
	 * get SIGPIPE back (core/lib/proc.c). */
	signal(SIGPIPE, SIG_IGN);
	return cli_exit(notspam_main(argc, argv));
}
