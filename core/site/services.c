/* services.c: running state of the site's programs (pid files, /proc). */
#include "core/site/services.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/fsroot.h"
#include "core/site/site.h"
#include "core/lib/util.h"

/* Where each program keeps its pid file, and its process names. */
static const struct {
	const char	*program;
	const char	*fact_program;	/* fact naming the pid file ... */
	const char	*fact;		/* ... or NULL */
	const char	*fallback;	/* pid file when no fact says */
	const char	*comm[3];	/* /proc/<pid>/comm values */
} known[] = {
	{ "postfix", "postfix", "queue_directory", "/var/spool/postfix",
	    { "master", NULL } },
	{ "opensmtpd", NULL, NULL, "/var/run/smtpd.pid", { "smtpd", NULL } },
	{ "opendkim", "opendkim", "PidFile", "/run/opendkim/opendkim.pid",
	    { "opendkim", NULL } },
	{ "dkimproxy", "dkimproxy", "pidfile", NULL,
	    { "dkimproxy.out", "perl", NULL } },
};

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

/* Scan /proc for a process with one of the names; its pid or 0. */
static long
proc_scan(const char *const *comm)
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
		if (pid > 1 && comm[0] != NULL && pid_is(pid, comm))
			found = pid;
	}
	closedir(d);
	return found;
}

static void
probe_one(const struct site *site, const char *program, struct service *s)
{
	const struct site_fact *f;
	char *pidfile = NULL;
	size_t i;
	long pid = 0;

	s->program = xstrdup(program);
	if (site->root != NULL) {
		s->detail = xstrdup("not probed: --root names a sandbox, not "
		    "this machine");
		return;
	}
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(known[i].program, program) == 0)
			break;
	if (i == sizeof known / sizeof known[0]) {
		s->detail = xstrdup("no probe for this program");
		return;
	}
	f = known[i].fact == NULL ? NULL :
	    site_fact(site, known[i].fact_program, known[i].fact);
	if (strcmp(program, "postfix") == 0)
		pidfile = xasprintf("%s/pid/master.pid", f != NULL &&
		    f->value[0] == '/' ? f->value : known[i].fallback);
	else if (f != NULL && f->value[0] == '/')
		pidfile = xstrdup(f->value);
	else if (known[i].fallback != NULL)
		pidfile = xstrdup(known[i].fallback);
	if (pidfile != NULL && (pid = pidfile_read(pidfile)) != 0 &&
	    pid_is(pid, known[i].comm)) {
		s->state = SVC_RUNNING;
		s->pid = pid;
		s->detail = xasprintf("pid %ld from %s", pid, pidfile);
	} else if ((pid = proc_scan(known[i].comm)) != 0 &&
	    strcmp(known[i].comm[0], "master") != 0) {
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
