/* cli_spf.c: "notspam spf" (being written; answers "not in this version"). */
#include <stdio.h>

#include "cli.h"

int
cli_spf(const struct cli_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fputs("notspam: \"spf\" is part of the design but not in this "
	    "version yet\n", stderr);
	return EX_UNAVAILABLE;
}
