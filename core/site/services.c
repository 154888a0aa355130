/* services.c: running state of the site's programs (pid files, /proc). */
#include "core/site/services.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "core/lib/fsroot.h"
#include "core/site/site.h"
#include "core/lib/proc.h"
#include "core/lib/util.h"

const char *
services_state_name(enum svc_state s)
{
	switch (s) {
	case SVC_RUNNING:
		return "running";
	case SVC_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

/* Does process pid exist with one of the names? */
static int
pid_is(long pid, const char *const *comm)
{
	char path[64], name[64];
	FILE *f;
	size_t i;
	int match = 0;

	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	if ((f = fopen(path, "r")) == NULL)
		return kill((pid_t)pid, 0) == 0 || errno == EPERM;
	if (fgets(name, sizeof name, f) != NULL) {
		name[strcspn(name, "\n")] = '\0';
		for (i = 0; comm[i] != NULL && !match; i++)
			match = strcmp(name, comm[i]) == 0;
	}
	fclose(f);
	return match;
}

/* The pid in a pid file (Postfix pads it with blanks), or 0. */
static long
pidfile_read(const char *path)
{
	char *data, *end;
	size_t len;
	long pid;

	if (fsroot_read(NULL, path, 4096, &data, &len, NULL) != 0)
		return 0;
	pid = strtol(data + strspn(data, " \t"), &end, 10);
	if (end == data || pid <= 1)
		pid = 0;
	free(data);
	return pid;
}

/*
 * Does pid run with config?  Its command line's config option (opendkim
 * -x FILE) must name it; a process naming none runs the default, taken to
 * be the site's.  Another instance of the program (another test's, another
 * namespace's) is not the site's.
 */
static int
pid_config(long pid, const struct backend *b, const char *config)
{
	char path[64], *data, *p, *end;
	size_t len, ol;
	int same = 1;

	if (b->config_option == NULL || config == NULL)
		return 1;
	snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
	if (fsroot_read(NULL, path, 256 * 1024, &data, &len, NULL) != 0)
		return 1;
	ol = strlen(b->config_option);
	end = data + len;
	for (p = data + strnlen(data, len) + 1; p < end; p += strlen(p) + 1)
		if (strcmp(p, b->config_option) == 0 && p + ol + 1 < end)
			same = strcmp(p + ol + 1, config) == 0;
		else if (strncmp(p, b->config_option, ol) == 0 && p[ol] != '\0')
			same = strcmp(p + ol, config) == 0;
	free(data);
	return same;
}

/* Scan /proc for a process of b with one of its names running with
 * config; its pid or 0. */
static long
proc_scan(const struct backend *b, const char *config)
{
	DIR *d;
	struct dirent *e;
	long pid, found = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (found == 0 && (e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = strtol(e->d_name, NULL, 10);
		if (pid > 1 && b->procnames[0] != NULL &&
		    pid_is(pid, b->procnames) && proc_same_pidns(NULL, pid) &&
		    pid_config(pid, b, config))
			found = pid;
	}
	closedir(d);
	return found;
}

/* The state of one program, from what its backend knows: the pid file
 * first, else a /proc scan for its process names where that is safe. */
static void
probe_one(const struct site *site, const char *program, struct service *s)
{
	const struct backend *b = backend_find(program);
	char *pidfile;
	long pid = 0;

	s->program = xstrdup(program);
	if (site->root != NULL) {
		s->detail = xstrdup("not probed: --root names a sandbox, not "
		    "this machine");
		return;
	}
	if (b == NULL || b->procnames == NULL) {
		s->detail = xstrdup("no probe for this program");
		return;
	}
	pidfile = backend_pidfile(b, site);
	if (pidfile != NULL && (pid = pidfile_read(pidfile)) != 0 &&
	    pid_is(pid, b->procnames)) {
		s->state = SVC_RUNNING;
		s->pid = pid;
		s->detail = xasprintf("pid %ld from %s", pid, pidfile);
	} else if (b->proc_scan && (pid = proc_scan(b, site_program(site,
	    program) != NULL ? site_program(site, program)->config :
	    NULL)) != 0) {
		s->state = SVC_RUNNING;
		s->pid = pid;
		s->detail = xasprintf("pid %ld (no valid pid file%s%s)", pid,
		    pidfile != NULL ? " at " : "", pidfile ? pidfile : "");
	} else {
		s->state = SVC_STOPPED;
		s->detail = pidfile != NULL ? xasprintf("no live process "
		    "behind %s", pidfile) : xstrdup("no such process");
	}
	free(pidfile);
}

void
services_probe(const struct site *site, struct service **out, size_t *n)
{
	size_t i;

	*out = xcalloc(site->nprograms + 1, sizeof **out);
	*n = site->nprograms;
	for (i = 0; i < site->nprograms; i++)
		probe_one(site, site->programs[i].name, &(*out)[i]);
}

void
services_free(struct service *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].program);
		free(v[i].detail);
	}
	free(v);
}
