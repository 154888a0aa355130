/* doctor_probe.c: what really listens and what the probes saw
 * (core/doctor/listen.h) as the doctor's evidence: a signer that does not
 * run or does not listen, an endpoint the client cannot reach (with the
 * errno its own view gives), a handshake that fails; a hop the
 * configuration already blamed gets the probe as evidence, one it did not
 * becomes a finding of its own. */
#include "core/doctor/doctor.h"

#include <stdlib.h>
#include <string.h>

#include "core/apply/plan.h"
#include "core/doctor/listen.h"
#include "core/lib/util.h"
#include "core/site/path.h"

/* The finding id of an endpoint's cause. */
static const char *
doc_probe_id(const struct listen_endpoint *ep)
{
	switch (ep->cause) {
	case LISTEN_CAUSE_STOPPED:
		return "signer-not-running";
	case LISTEN_CAUSE_NOT_LISTENING:
		return "signer-not-listening";
	case LISTEN_CAUSE_FAMILY:
	case LISTEN_CAUSE_ADDRESS:
	case LISTEN_CAUSE_PROTOCOLS:
		return "milter-family";
	case LISTEN_CAUSE_CHROOT:
		return "milter-chroot";
	case LISTEN_CAUSE_MODE:
		return "milter-permission";
	case LISTEN_CAUSE_STALE:
		return "milter-stale-socket";
	case LISTEN_CAUSE_OTHER:
		return "milter-other-program";
	default:
		break;
	}
	if (ep->state == LISTEN_TIMEOUT)
		return "milter-timeout";
	if (ep->state == LISTEN_MILTER_FAILED)
		return "milter-handshake";
	return "milter-endpoint";
}

static const char *
doc_probe_explain(const char *id)
{
	if (strcmp(id, "signer-not-running") == 0)
		return "Nothing signs while the signer is down: Postfix logs "
		    "\"connect to Milter service ...\" for each message and "
		    "applies milter_default_action.";
	if (strcmp(id, "signer-not-listening") == 0)
		return "The signer runs but did not open its socket (its log "
		    "says why: \"Unable to bind to port ...\", a missing "
		    "directory, a port in use).";
	if (strcmp(id, "milter-permission") == 0)
		return "libmilter creates a unix socket under its umask; the "
		    "MTA's user must be able to write the socket and search "
		    "every directory above it, or the connect fails with "
		    "Permission denied.";
	if (strcmp(id, "milter-stale-socket") == 0)
		return "A socket file left behind by a signer that died: "
		    "connects to it are refused until the signer starts "
		    "again and replaces it.";
	if (strcmp(id, "milter-handshake") == 0)
		return "Something accepts the connection but does not speak "
		    "the milter protocol (version 6): it is not the signer.";
	if (strcmp(id, "milter-timeout") == 0)
		return "The connect did not finish in time: a firewall, or a "
		    "signer too busy to accept.";
	return "Postfix cannot reach the milter where it dials.";
}

static const char *
doc_probe_fix(const char *id, const struct listen_endpoint *ep)
{
	if (strcmp(id, "signer-not-running") == 0)
		return "start it (service opendkim start, or systemctl start "
		    "opendkim, or rcctl start opendkim) and read its log if "
		    "it stops again";
	if (strcmp(id, "signer-not-listening") == 0)
		return "restart it and read the reason in its log";
	if (strcmp(id, "milter-permission") == 0)
		return "UMask 007 in opendkim.conf and the MTA's user in the "
		    "socket's group (usermod -aG opendkim postfix), then "
		    "restart both";
	(void)ep;
	return "make Postfix dial where the signer listens (notspam apply "
	    "plans the one address both sides agree on)";
}

/* The finding of the hop dialing ep's address, or NULL. */
static struct doctor_finding *
doc_probe_hop(struct doctor *d, const struct listen_endpoint *ep)
{
	struct doctor_finding *f;
	char *needle;
	size_t i;

	needle = xasprintf("%s dials %s:", ep->from, ep->address);
	for (i = 0; i < d->n; i++) {
		f = &d->v[i];
		if (strncmp(f->title, needle, strlen(needle)) == 0) {
			free(needle);
			return f;
		}
	}
	free(needle);
	return NULL;
}

/* The signer of the report named program, or NULL. */
static const struct listen_signer *
doc_probe_signer(const struct listen_report *r, const char *program)
{
	size_t i;

	for (i = 0; program != NULL && i < r->nsigners; i++)
		if (strcmp(r->signers[i].program, program) == 0)
			return &r->signers[i];
	return NULL;
}

/* The first endpoint that dials program, or NULL. */
static const struct listen_endpoint *
doc_probe_client(const struct listen_report *r, const char *program)
{
	size_t i;

	for (i = 0; i < r->nendpoints; i++)
		if (r->endpoints[i].to != NULL &&
		    strcmp(r->endpoints[i].to, program) == 0)
			return &r->endpoints[i];
	return NULL;
}

/* The fix of the signer s (its socket probed after), for the client ep
 * (NULL: the first that dials it). */
static struct plan_fix *
doc_probe_act(const struct listen_report *r, enum plan_fix_kind kind,
    const struct listen_signer *s, const struct listen_endpoint *ep,
    const char *path)
{
	struct plan_fix *fx;
	char *mta = NULL;

	if (ep == NULL)
		ep = doc_probe_client(r, s->program);
	if (ep != NULL)
		mta = xstrndup(ep->from, strcspn(ep->from, " "));
	fx = plan_fix_new(kind, s->program, mta, path, &s->sock, ep != NULL &&
	    ep->kind != NULL && strcmp(ep->kind, "milter") == 0);
	free(mta);
	return fx;
}

/* One endpoint's verdict as an evidence line. */
static void
doc_probe_evidence(struct doctor_finding *f, const struct listen_endpoint *ep)
{
	doctor_evidence(f, "probe %s -> %s: %s%s%s", ep->from, ep->address,
	    listen_state_name(ep->state), ep->detail != NULL ? ": " : "",
	    ep->detail != NULL ? ep->detail : "");
	if (ep->probe != NULL)
		doctor_evidence(f, "probe saw: %s", ep->probe);
}

/* A signer that does not run (or does not listen): its own finding. */
static void
doc_probe_signers(struct doctor *d, const struct listen_report *r)
{
	const struct listen_signer *s;
	struct doctor_finding *f;
	size_t i;

	for (i = 0; i < r->nsigners; i++) {
		s = &r->signers[i];
		if (s->state == SVC_STOPPED) {
			f = doctor_add(d, "signer-not-running", DOCTOR_FAIL,
			    doc_probe_explain("signer-not-running"),
			    doc_probe_fix("signer-not-running", NULL),
			    "%s is not running", s->program);
		} else if (s->state == SVC_RUNNING && s->listening == 0) {
			f = doctor_add(d, "signer-not-listening", DOCTOR_FAIL,
			    doc_probe_explain("signer-not-listening"),
			    doc_probe_fix("signer-not-listening", NULL),
			    "%s runs but does not listen on %s", s->program,
			    s->socket != NULL ? s->socket : "its socket");
		} else
			continue;
		if (s->how != NULL)
			doctor_evidence(f, "%s", s->how);
		if (s->detail != NULL)
			doctor_evidence(f, "%s", s->detail);
		/* No line of its own: the fix starts it (the socket's line
		 * in also would have doctor --fix edit the signer's side of
		 * a hop without the MTA's). */
		if (s->state == SVC_STOPPED)
			doctor_act(f, doc_probe_act(r, PLAN_FIX_START, s, NULL,
			    NULL));
	}
}

/* A finding the probe of ep made: the signer's side (its socket's line,
 * in also, as a hop's finding of the configuration has it beside the
 * MTA's), and the fix of a socket its client may not use. */
static void
doc_probe_signer_side(struct doctor_finding *f, const struct listen_report *r,
    const struct listen_endpoint *ep, const char *id)
{
	const struct listen_signer *s = doc_probe_signer(r, ep->to);

	if (s == NULL)
		return;
	doctor_where_also(f, s->socket_source);
	if (strcmp(id, "milter-permission") == 0 && ep->path != NULL)
		doctor_act(f, doc_probe_act(r, PLAN_FIX_SOCKET, s, ep,
		    ep->path));
}

void
doctor_probes(struct doctor *d, const struct listen_report *r)
{
	const struct listen_endpoint *ep;
	struct doctor_finding *f;
	const char *id;
	size_t i, ok = 0;

	if (r->note != NULL)
		strv_add(&d->notes, r->note);
	doc_probe_signers(d, r);
	for (i = 0; i < r->nendpoints; i++) {
		ep = &r->endpoints[i];
		if (ep->state == LISTEN_UNKNOWN)
			continue;
		if (listen_state_ok(ep->state)) {
			ok++;
			continue;
		}
		if ((f = doc_probe_hop(d, ep)) == NULL) {
			id = doc_probe_id(ep);
			if (strcmp(id, "signer-not-running") == 0 &&
			    (f = doctor_find(d, id)) != NULL) {
				doc_probe_evidence(f, ep);
				continue;
			}
			f = doctor_add(d, id, DOCTOR_FAIL,
			    doc_probe_explain(id), doc_probe_fix(id, ep),
			    "%s dials %s: %s", ep->from, ep->address,
			    ep->detail != NULL ? ep->detail :
			    listen_state_name(ep->state));
			doctor_where(f, ep->source);
			doc_probe_signer_side(f, r, ep, id);
		}
		doc_probe_evidence(f, ep);
	}
	if (r->probed && ok > 0)
		strv_addf(&d->notes, "probed: %zu hand-over%s answer%s as "
		    "configured", ok, ok == 1 ? "" : "s", ok == 1 ? "s" : "");
	doctor_sort(d);
}

void
doctor_path_probes(struct path *p, const struct listen_report *r)
{
	const struct listen_endpoint *ep;
	struct path_hop *h;
	size_t i, k;

	for (i = 0; r != NULL && i < p->nhops; i++) {
		h = &p->hops[i];
		if (h->from == NULL || h->address == NULL)
			continue;
		for (k = 0; k < r->nendpoints; k++) {
			ep = &r->endpoints[k];
			if (ep->state == LISTEN_UNKNOWN ||
			    strcmp(ep->from, h->from) != 0 ||
			    strcmp(ep->address, h->address) != 0)
				continue;
			free(h->probe);
			h->probe = xstrdup(listen_state_name(ep->state));
			h->probe_ok = listen_state_ok(ep->state);
			if (!h->probe_ok && ep->detail != NULL) {
				free(h->detail);
				h->detail = xstrdup(ep->detail);
			}
			break;
		}
	}
}
