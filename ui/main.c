/* main.c: option parsing and command dispatch. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/lib/util.h"
#include "ui/app.h"
#include "ui/cli.h"

#define NOTSPAM_VERSION "0.1"

static const char usage_text[] =
"usage: notspam [--root DIR] [--resolver IP[:PORT][,...]] [--config FILE]\n"
"               [--json] [--no-color] [COMMAND [ARGS]]\n"
"\n"
"commands:\n"
"  (none)            open the console (dashboard, DNS records per domain)\n"
"  status            the dashboard as text\n"
"  records [DOMAIN]  the DNS records the domains need, as zone-file lines\n"
"  check [DOMAIN...] look each needed record up now and compare\n"
"  spf DOMAIN IP [SENDER] [--helo HOST]  evaluate SPF for one address\n"
"  keygen DOMAIN [--selector S] [--type rsa|ed25519] [--bits N] [--weak]\n"
"         [--signer NAME] [--keyfile PATH] [--import FILE]\n"
"                    make (or import) a DKIM key, safely stored\n"
"  keys [--offline]  the DKIM keys: files, owners, modes, states, published?\n"
"  keys rotate DOMAIN | switch DOMAIN SELECTOR | retire DOMAIN SELECTOR |\n"
"       revoke DOMAIN SELECTOR   key rotation, one state at a time\n"
"\n"
"options:\n"
"  --root DIR        DIR stands for / for every file read (sandbox, tests)\n"
"  --config FILE     settings file (default /etc/notspam/notspam.conf)\n"
"  --resolver LIST   DNS servers to ask (IP[:PORT], IPv6 as [::1]:53)\n"
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

/* Commands of the design contract that later versions implement. */
static const char *const later[] = {
	"setup", "apply", "doctor", "send-test", NULL
};

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "notspam: %s\n", why);
	fputs(usage_text, stderr);
	return EX_USAGE;
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

/* Parse the options and run the command; the exit status. */
static int
notspam_main(int argc, char **argv)
{
	struct cli_opts o;
	const char *v, **slot;
	char *why;
	int i, j, rest_argc = 0;
	char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
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
		else if (opt_value("--resolver", argc, argv, &i, &v))
			slot = &o.resolver;
		if (slot != NULL) {
			if (v == NULL || *v == '\0') {
				rc = usage("--root, --config and --resolver "
				    "need a value");
				free(rest);
				return rc;
			}
			*slot = v;
		} else if (strcmp(argv[i], "--json") == 0)
			o.json = 1;
		else if (strcmp(argv[i], "--no-color") == 0)
			o.no_color = 1;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			free(rest);
			return 0;
		} else if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			printf("notspam %s\n", NOTSPAM_VERSION);
			free(rest);
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
			return rc;
		} else
			rest[rest_argc++] = argv[i];
	}

	if (o.root != NULL && stat(o.root, &sb) == -1) {
		char *safe = str_sanitize(o.root, strlen(o.root));
		why = xasprintf("--root %s: %s", safe, strerror(errno));
		free(safe);
		rc = usage(why);
		free(why);
		free(rest);
		return rc;
	}
	if (rest_argc == 0)
		rc = console_run(&o);
	else if (strcmp(rest[0], "status") == 0)
		rc = cli_status(&o, rest_argc, rest);
	else if (strcmp(rest[0], "records") == 0)
		rc = cli_records(&o, rest_argc, rest);
	else if (strcmp(rest[0], "spf") == 0)
		rc = cli_spf(&o, rest_argc, rest);
	else if (strcmp(rest[0], "check") == 0)
		rc = cli_check(&o, rest_argc, rest);
	else if (strcmp(rest[0], "keygen") == 0)
		rc = cli_keygen(&o, rest_argc, rest);
	else if (strcmp(rest[0], "keys") == 0)
		rc = cli_keys(&o, rest_argc, rest);
	else {
		for (j = 0; later[j] != NULL; j++)
			if (strcmp(rest[0], later[j]) == 0)
				break;
		if (later[j] != NULL) {
			fprintf(stderr, "notspam: \"%s\" is part of the design "
			    "but not in this version yet\n", later[j]);
			rc = EX_UNAVAILABLE;
		} else {
			char *safe = str_sanitize(rest[0], strlen(rest[0]));
			why = xasprintf("unknown command \"%s\"", safe);
			free(safe);
			rc = usage(why);
			free(why);
		}
	}
	free(rest);
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
