/* listen_driver.c: a test-only program linked with the core, that prints
 * what core/doctor/listen.h finds, for tests/shell/listen.sh (until the
 * doctor command exists).
 *
 *   listen_driver [-R ROOT] [-c SETTINGS] [-P PROCDIR] [-T] [-p [-t S]]
 *       [-e ADDRESS [-k KIND] [-F FROM] [-u USER] [-f 4|6|46]
 *        [-C CHROOT] [-W WORKDIR]]...
 *
 *   -R, -c     the site (as notspam's --root and --config)
 *   -P         the /proc to read (default: /proc on the real machine,
 *              nothing under -R)
 *   -T         print the listeners too
 *   -p, -t     run the active probes, each within S seconds
 *   -e         an endpoint more, in Postfix syntax, with the options that
 *              follow it: its kind (default milter), the dialling program
 *              (default "driver"), the user it dials as, its families, the
 *              chroot it dials from, the directory of a relative path
 *
 * Output, one line each, texts shown through str_shown:
 *   listener FAMILY WHERE inode N pid N comm NAME uid N
 *   signer NAME STATE pid N socket TEXT from SOURCE listening 1|0|-1
 *     how: ...   detail: ...
 *   endpoint FROM ADDRESS state=STATE cause=CAUSE pid=N comm=NAME
 *     detail: ...   probe: ...
 *   note: ...
 * Exit 0, or 1 with a message when the site or an endpoint cannot be read.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/doctor/listen.h"
#include "core/lib/util.h"
#include "core/site/site.h"

/* A line's text shown safely. */
static void
put(const char *label, const char *text)
{
	char *s;

	if (text == NULL)
		return;
	s = str_shown(text, strlen(text));
	printf("  %s: %s\n", label, s);
	free(s);
}

static const char *
fam(int f)
{
	return f == AF_INET ? "tcp" : f == AF_INET6 ? "tcp6" : "unix";
}

static void
print_table(const struct listen_table *t)
{
	const struct listen_sock *s;
	char *where;
	size_t i;

	printf("table proc=%d owners=%d rejected=%zu bindv6only=%d\n",
	    t->proc, t->owners, t->rejected, t->bindv6only);
	for (i = 0; i < t->n; i++) {
		s = &t->v[i];
		where = listen_sock_where(s);
		printf("listener %s %s inode %lu pid %ld comm %s uid %ld\n",
		    fam(s->family), where, s->inode, s->pid,
		    s->comm != NULL ? s->comm : "-", s->uid);
		free(where);
	}
}

static void
print_report(const struct listen_report *r)
{
	const struct listen_signer *sg;
	const struct listen_endpoint *ep;
	size_t i;

	for (i = 0; i < r->nsigners; i++) {
		sg = &r->signers[i];
		printf("signer %s %s pid %ld socket %s from %s listening %d\n",
		    sg->program, services_state_name(sg->state), sg->pid,
		    sg->socket != NULL ? sg->socket : "-",
		    sg->socket_source != NULL ? sg->socket_source : "-",
		    sg->listening);
		put("how", sg->how);
		put("detail", sg->detail);
	}
	for (i = 0; i < r->nendpoints; i++) {
		ep = &r->endpoints[i];
		printf("endpoint %s %s state=%s cause=%s pid=%ld comm=%s\n",
		    ep->from, ep->address, listen_state_name(ep->state),
		    listen_cause_name(ep->cause), ep->pid,
		    ep->comm != NULL ? ep->comm : "-");
		put("detail", ep->detail);
		put("probe", ep->probe);
	}
	if (r->note != NULL)
		printf("note: %s\n", r->note);
}

/* The options of the endpoint just added (-e): until the next -e. */
static int
endpoint_opt(struct listen_endpoint *ep, int ch, const char *arg)
{
	switch (ch) {
	case 'u':
		free(ep->user);
		ep->user = xstrdup(arg);
		return 0;
	case 'f':
		ep->families = (strchr(arg, '4') ? BACKEND_IPV4 : 0) |
		    (strchr(arg, '6') ? BACKEND_IPV6 : 0);
		free(ep->families_source);
		ep->families_source = xasprintf("-f %s", arg);
		return 0;
	case 'C':
		free(ep->chroot);
		ep->chroot = xstrdup(arg);
		free(ep->path);
		ep->path = xasprintf("%s%s", arg, ep->sock.path);
		return 0;
	case 'W':
		free(ep->workdir);
		ep->workdir = xstrdup(arg);
		free(ep->path);
		ep->path = xasprintf("%s/%s", arg, ep->sock.path);
		return 0;
	case 'k':
		free(ep->kind);
		ep->kind = xstrdup(arg);
		return 0;
	case 'F':
		free(ep->from);
		ep->from = xstrdup(arg);
		return 0;
	}
	return -1;
}

/* The endpoint options, in order, as getopt gave them. */
struct opt {
	int		 ch;
	const char	*arg;
};

/* The endpoints of the options, added to r. */
static int
endpoints(struct listen_report *r, const struct opt *o, size_t n)
{
	char *cause = NULL;
	size_t i, idx = 0;
	int have = 0;

	for (i = 0; i < n; i++) {
		if (o[i].ch == 'e') {
			if (have)
				listen_report_match(r, &r->endpoints[idx]);
			if (listen_report_add(r, "driver", "milter", o[i].arg,
			    SOCKSPEC_POSTFIX, &cause) == NULL) {
				fprintf(stderr, "listen_driver: %s\n", cause);
				free(cause);
				return -1;
			}
			idx = r->nendpoints - 1;
			have = 1;
			continue;
		}
		if (!have || endpoint_opt(&r->endpoints[idx], o[i].ch,
		    o[i].arg) != 0) {
			fprintf(stderr, "listen_driver: -%c before -e\n",
			    o[i].ch);
			return -1;
		}
	}
	if (have)
		listen_report_match(r, &r->endpoints[idx]);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *root = NULL, *conf = NULL, *procdir = NULL;
	struct listen_report *r;
	struct site *site;
	struct opt *o = xcalloc((size_t)argc, sizeof *o);
	char *cause = NULL;
	size_t no = 0;
	int ch, table = 0, probe = 0, timeout = 0, rc = 0;

	while ((ch = getopt(argc, argv, "R:c:P:Tpt:e:k:F:u:f:C:W:")) != -1) {
		switch (ch) {
		case 'R': root = optarg; break;
		case 'c': conf = optarg; break;
		case 'P': procdir = optarg; break;
		case 'T': table = 1; break;
		case 'p': probe = 1; break;
		case 't': timeout = atoi(optarg); break;
		case '?':
			free(o);
			return 64;
		default:
			o[no].ch = ch;
			o[no++].arg = optarg;
		}
	}
	if ((site = site_load(root, conf, &cause)) == NULL) {
		fprintf(stderr, "listen_driver: %s\n", cause);
		free(cause);
		free(o);
		return 1;
	}
	r = listen_report_new(site, procdir);
	if (endpoints(r, o, no) != 0)
		rc = 1;
	else if (probe && listen_probe(r, timeout, &cause) != 0) {
		printf("probe refused: %s\n", cause);
		free(cause);
	}
	if (rc == 0 && table && r->table != NULL)
		print_table(r->table);
	if (rc == 0)
		print_report(r);
	listen_report_free(r);
	site_free(site);
	free(o);
	return rc;
}
