/* doctor.h: why mail leaves unsigned or is refused, as findings a person
 * can act on.
 *
 * A finding has a stable id (the cause, e.g. "milter-family"), a
 * severity, a title, its evidence (configuration lines with file:line,
 * probe results, log lines with their time), an explanation (why the MTA
 * or the receivers behave so), the fix in words, and where the fix goes
 * (file and line: apply's plan is asked whether it edits them,
 * plan_fixing()).
 *
 * doctor_config() finds what the configuration alone shows (the causes of
 * ../shared/reference/signing-path.md section 1 that need no probe):
 *   milter-endpoint  B: the address Postfix dials is not where the signer
 *                    listens (port, path, transport), or nothing listens
 *   milter-family    C: the same port on another address family
 *                    (inet:[::1]:12345 vs inet:12345@localhost)
 *   milter-chroot    D: a unix socket path a chrooted smtpd or cleanup
 *                    looks for under the queue directory
 *   milter-accept    H: milter_default_action = accept: a failing milter
 *                    only logs a warning and the mail leaves unsigned
 *   milter-local     I: non_smtpd_milters empty (or another milter): mail
 *                    from sendmail, cron and web apps is not signed
 *   milter-protocol  G: milter_protocol below 6
 *   key-insecure     the key the signer loads is one OpenDKIM refuses
 *                    ("key data is not secure") or others can read
 * doctor_keys_dns() adds key-dns-mismatch from the DNS answers.
 * Probes (core/doctor/listen.h) and logs (core/doctor/logscan.h) add
 * their findings with doctor_add(); a probe's finding names the
 * signer's side too (its socket's line, in also).
 *
 * A fix no configuration line makes is the finding's act, a plan_fix
 * (core/apply/plan.h) that "doctor --fix" adds to apply's plan:
 * signer-not-running starts the signer, key-insecure chowns and chmods
 * the key file and restarts the signer, milter-permission has the
 * signer's backend let the MTA's user use the socket (OpenDKIM: UMask
 * 007, usermod, both restarted).
 */
#ifndef NOTSPAM_DOCTOR_H
#define NOTSPAM_DOCTOR_H

#include <stddef.h>
#include <time.h>

#include "core/lib/util.h"

struct site;
struct json;
struct plan;
struct plan_fix;

enum doctor_sev {
	DOCTOR_FAIL,		/* mail leaves unsigned, or is refused */
	DOCTOR_WARN,		/* it will when something else fails */
	DOCTOR_NOTE,
};

struct doctor_finding {
	const char	*id;		/* static: "milter-family" */
	enum doctor_sev	 sev;
	char		*title;		/* one line */
	struct strv	 evidence;	/* "main.cf:58: smtpd_milters = ..." */
	char		*explain;
	char		*fix;		/* what will change, in words */
	char		*file;		/* site path of the line to fix, or NULL */
	size_t		 line;
	struct strv	 also;		/* more "file:line" sources the fix
					 * may edit: the signer's side of a
					 * milter hop (doctor_where_also) */
	struct plan_fix	*act;		/* a fix no configuration line makes
					 * (start the signer, a key's owner
					 * and mode, a socket's access:
					 * plan.h plan_fix), or NULL; owned */
	int		 fixable;	/* apply's plan edits it, or its act
					 * can be planned (doctor_fixable) */
	struct strv	 fix_files;	/* doctor_fixable: the site paths
					 * the fix writes */
	struct strv	 fix_commands;	/* and the commands it runs (its
					 * act's steps and restarts) */
};

struct doctor {
	struct doctor_finding	*v;
	size_t			 n;
	struct strv		 notes;		/* "no /proc: connect probes
						 * only", "probes skipped under
						 * --root" */
	time_t			 changed;	/* newest change (mtime or
						 * ctime) of the site's files
						 * and keys; 0: unknown */
	char			*changed_file;	/* which one */
};

/* What the configuration of site shows (see above), sorted by severity;
 * under a root a note says nothing is probed.  Never NULL. */
struct doctor *doctor_config(const struct site *);
/* The known lines of a log scan (logscan.h) as evidence: a milter
 * connect failure joins the finding of the hop it names (a refused or
 * missing socket else signer-not-running or signer-not-listening when
 * the probes made one; or it becomes its own, e.g. "milter-refused" when
 * the configuration looks right), makes
 * milter-accept a failure (that mail left unsigned); a milter-reject
 * joins the finding of the same process's connect failure, else a key's;
 * OpenDKIM's "error loading key" joins key-insecure; a remote answer
 * becomes a finding of its own ("remote-gmail-ipv6", with the sending
 * address); then sorted again.  Local lines logged before d->changed
 * (a line of the same second counts as after it) are history: the
 * configuration or a key changed since, so a finding of their own is a
 * note saying so, and they make milter-accept no failure.  So is a
 * failed connect to an endpoint every probe of r (NULL: none) reaches
 * now ("it answers the probe now"). */
struct logscan;
struct listen_report;
void doctor_logs(struct doctor *, const struct logscan *,
    const struct listen_report *r);
/* What probes saw (listen.h): a signer not running or not listening, an
 * endpoint its client cannot reach (the cause and the errno of the
 * client's own view), a failed handshake; evidence of the hop's finding
 * when the configuration already blamed it.  Then sorted again. */
void doctor_probes(struct doctor *, const struct listen_report *);
/* The probes of r (NULL: none) on the hops of a signing path (path.h):
 * each hop the report probed gets what was seen ("handshake ok",
 * "refused") and, when it does not connect, the probe's detail as its
 * why. */
struct path;
void doctor_path_probes(struct path *, const struct listen_report *r);

/* The keys the signers use (configured entries of l, after keys_probe)
 * whose record the DNS does not publish: "key-dns-mismatch" with what the
 * DNS said; unknown answers are a note. */
struct keys_list;
void doctor_keys_dns(struct doctor *, const struct keys_list *);

/* Everything the doctor knows: doctor_config, the probes of r (NULL:
 * none), the logs of the site (logscan_site with the defaults: the last
 * 24 hours, at most 16 MiB of each log; with journal set, also the
 * systemd journal on a systemd machine, which blocks on journalctl)
 * after them, so a line joins the probe's finding, and a failed
 * connect to an endpoint every probe of which answers now is a note
 * (nor does it make milter-accept a failure), d->changed for history
 * (doctor_changed), the findings marked fixable by plan (NULL: none). */
struct doctor *doctor_make(const struct site *, const struct plan *,
    const struct listen_report *r, int journal);
/* Mark the findings whose line plan (NULL: none) edits (plan_fixing), or
 * whose act plan_fix_add can plan on the plan's site; fill their
 * fix_files and fix_commands. */
void doctor_fixable(struct doctor *, const struct plan *);
/* The site paths of the plan's files that fix f (its file:line and its
 * also lines, plan_fixing) added to paths once each; how many f has. */
size_t doctor_fix_paths(const struct doctor_finding *f, const struct plan *,
    struct strv *paths);
/* d->changed and d->changed_file: the newest mtime or ctime of the
 * documents and other files the site read and of its key files. */
void doctor_changed(struct doctor *, const struct site *);
void doctor_free(struct doctor *);

/* A finding (title: printf format), its evidence added with
 * doctor_evidence; the strings are copied.  Returns it (valid until the
 * next doctor_add). */
struct doctor_finding *doctor_add(struct doctor *, const char *id,
    enum doctor_sev, const char *explain, const char *fix,
    const char *fmt, ...) PRINTFLIKE(6, 7);
void doctor_evidence(struct doctor_finding *, const char *fmt, ...)
    PRINTFLIKE(2, 3);
/* Where the fix goes: a "file:line" source ("default" and NULL: none). */
void doctor_where(struct doctor_finding *, const char *source);
/* Another line the fix may edit (the same kind of source), once. */
void doctor_where_also(struct doctor_finding *, const char *source);
/* The fix that is no configuration line (taken: freed with f; a second
 * one is freed at once). */
void doctor_act(struct doctor_finding *, struct plan_fix *);

/* The finding with that id, or NULL. */
struct doctor_finding *doctor_find(struct doctor *, const char *id);
/* Sort by severity (fail first), keeping the order within one. */
void doctor_sort(struct doctor *);
/* The worst severity's exit status: 2 a failure, 1 a warning, else 0. */
int doctor_status(const struct doctor *);
/* "FAIL", "WARN", "NOTE". */
const char *doctor_sev_name(enum doctor_sev);

/* The findings as the members "findings" and "notes" of the JSON object
 * being written. */
void doctor_json(struct json *, const struct doctor *);

#endif
