/* cli_setup.c: "notspam setup [--watch-interval SECONDS]": the console
 * opened on the guided setup (ui/setupview.c), whatever the site holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/util.h"
#include "ui/app.h"
#include "ui/cli.h"

/* Seconds, 1 to a day, as the watch's milliseconds; -1 for anything
 * else. */
static int
interval_ms(const char *v)
{
	char *end = NULL;
	long s = -1;

	if (v != NULL && *v >= '0' && *v <= '9')
		s = strtol(v, &end, 10);
	if (s < 1 || s > 86400 || end == NULL || *end != '\0')
		return -1;
	return (int)s * 1000;
}

static int
setup_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "notspam: %s\n", why);
	fputs("usage: notspam setup [--watch-interval SECONDS]\n", stderr);
	return EX_USAGE;
}

int
cli_setup(const struct cli_opts *o, int argc, char **argv)
{
	struct console_opts co;
	const char *v;
	int i;

	memset(&co, 0, sizeof co);
	co.setup = 1;
	for (i = 1; i < argc; i++) {
		v = NULL;
		if (strncmp(argv[i], "--watch-interval=", 17) == 0)
			v = argv[i] + 17;
		else if (strcmp(argv[i], "--watch-interval") == 0) {
			if (i + 1 >= argc)
				return setup_usage("--watch-interval needs "
				    "seconds (1-86400)");
			v = argv[++i];
		} else {
			char *safe = str_sanitize(argv[i], strlen(argv[i]));
			char *why = xasprintf("setup: unknown argument %s",
			    safe);

			free(safe);
			i = setup_usage(why);
			free(why);
			return i;
		}
		if ((co.watch_ms = interval_ms(v)) < 0)
			return setup_usage("--watch-interval needs seconds "
			    "(1-86400)");
	}
	return console_open(o, &co);
}
