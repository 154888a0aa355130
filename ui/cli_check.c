/* cli_check.c: "notspam check" (being written; answers "not in this version"). */
#include <stdio.h>

#include "cli.h"

int
cli_check(const struct cli_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fputs("notspam: \"check\" is part of the design but not in this "
	    "version yet\n", stderr);
	return EX_UNAVAILABLE;
}
