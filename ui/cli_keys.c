/* cli_keys.c: "notspam keygen" and "notspam keys" (being written; they
 * answer "not in this version"). */
#include <stdio.h>

#include "cli.h"

int
cli_keygen(const struct cli_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fputs("notspam: \"keygen\" is part of the design but not in this "
	    "version yet\n", stderr);
	return EX_UNAVAILABLE;
}

int
cli_keys(const struct cli_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fputs("notspam: \"keys\" is part of the design but not in this "
	    "version yet\n", stderr);
	return EX_UNAVAILABLE;
}
