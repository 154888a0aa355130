/* test_doctor_logs.c: the log's known lines as the doctor's evidence
 * (core/doctor/doctor_logs.c): which finding a line joins, and lines from
 * before the configuration changed (history) or to a milter the probes
 * reach now as notes; and what the probes' findings record (the signer's
 * side, the fix no configuration line makes).
 *
 * The lines are the ones the real Postfix 3.7 and OpenDKIM 2.11 wrote in
 * tests/shell/doctor_real.sh's namespace (Postfix's maillog_file format,
 * OpenDKIM's through the /dev/log listener, which drops the host), only
 * the pids and queue ids kept as they were.  The clock is fixed
 * (2026-12-01 16:10:00 UTC, TZ=UTC).
 */
#include "testutil.h"

#include <time.h>

#include <sys/socket.h>

#include "core/apply/plan.h"
#include "core/doctor/doctor.h"
#include "core/doctor/listen.h"
#include "core/doctor/logscan.h"
#include "core/lib/util.h"

#define NOW	((time_t)1796141400)	/* 2026-12-01 16:10:00 UTC */
#define LINE_T	(NOW - 10)		/* the lines below: 16:09:50 */

static const char seed_lines[] =
    "Dec 01 16:09:50 mail postfix/smtpd[444]: warning: connect to Milter "
    "service inet:[::1]:12345: Connection refused\n"
    "Dec 01 16:09:50 mail postfix/smtpd[444]: NOQUEUE: milter-reject: EHLO "
    "from unknown[127.0.0.1]: 451 4.7.1 Service unavailable - try again "
    "later; proto=SMTP helo=<[127.0.0.1]>\n"
    "Dec 01 16:09:50 mail postfix/smtpd[444]: NOQUEUE: milter-reject: MAIL "
    "from unknown[127.0.0.1]: 451 4.7.1 Service unavailable - try again "
    "later; from=<user@example.com> proto=ESMTP helo=<[127.0.0.1]>\n";

static const char key_lines[] =
    "Dec  1 16:09:50 opendkim[1430]: 202612._domainkey.example.com: key "
    "data is not secure: /etc/dkimkeys/example.com_202612.private is in "
    "group 4999 which has multiple users (e.g., \"postfix\")\n"
    "Dec  1 16:09:50 opendkim[1430]: 79410A9C007: error loading key "
    "'202612._domainkey.example.com'\n"
    "Dec 01 16:09:50 mail postfix/cleanup[1400]: 79410A9C007: milter-reject: "
    "END-OF-MESSAGE from unknown[127.0.0.1]: 4.7.1 Service unavailable - "
    "try again later; from=<user@example.com> to=<rcpt@receiver.example> "
    "proto=ESMTP helo=<[127.0.0.1]>\n";

static const char denied_lines[] =
    "Dec 01 16:09:50 mail postfix/smtpd[1580]: warning: connect to Milter "
    "service unix:opendkim/opendkim.sock: Permission denied\n";

static int
setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static struct doctor *
doc_new(time_t changed)
{
	struct doctor *d = xcalloc(1, sizeof *d);

	strv_init(&d->notes);
	d->changed = changed;
	if (changed != 0)
		d->changed_file = xstrdup("/etc/postfix/main.cf");
	return d;
}

/* The doctor's findings after the lines, with the probes of r (NULL:
 * none). */
static void
doc_scan_probed(struct doctor *d, const char *text,
    const struct listen_report *r)
{
	struct logscan_opts o;
	struct logscan *ls;

	memset(&o, 0, sizeof o);
	o.now = NOW;
	o.window = -1;
	ls = logscan_new(&o);
	logscan_text(ls, "mail.log", text, strlen(text));
	doctor_logs(d, ls, r);
	logscan_free(ls);
}

static void
doc_scan(struct doctor *d, const char *text)
{
	doc_scan_probed(d, text, NULL);
}

/* A report of probes that ran, with one endpoint: from dials address,
 * the probe's verdict state. */
static void
doc_report(struct listen_report *r, struct listen_endpoint *ep,
    const char *from, const char *address, enum listen_state state)
{
	memset(r, 0, sizeof *r);
	memset(ep, 0, sizeof *ep);
	ep->from = (char *)from;
	ep->address = (char *)address;
	ep->state = state;
	ep->probed = 1;
	r->endpoints = ep;
	r->nendpoints = 1;
	r->probed = 1;
	r->live = 1;
}

/* How many findings with that id. */
static size_t
doc_count(const struct doctor *d, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += strcmp(d->v[i].id, id) == 0;
	return n;
}

/* Does some evidence line of f contain s? */
static int
doc_seen(const struct doctor_finding *f, const char *s)
{
	size_t i;

	for (i = 0; i < f->evidence.n; i++)
		if (strstr(f->evidence.v[i], s) != NULL)
			return 1;
	return 0;
}

/* A refused connect and its milter-rejects join the hop's finding. */
static void
test_hop_joins(void **state)
{
	struct doctor *d = doc_new(0);
	struct doctor_finding *f;

	(void)state;
	doctor_add(d, "milter-family", DOCTOR_FAIL, NULL, NULL,
	    "postfix smtpd dials inet:[::1]:12345: opendkim listens on "
	    "127.0.0.1:12345 (IPv4 only)");
	doc_scan(d, seed_lines);
	assert_int_equal(d->n, 1);
	f = &d->v[0];
	assert_true(doc_seen(f, "milter-refused inet:[::1]:12345"));
	assert_true(doc_seen(f, "milter-reject: EHLO"));
	assert_true(doc_seen(f, "milter-reject: MAIL"));
	assert_int_equal(f->sev, DOCTOR_FAIL);
	doctor_free(d);
}

/* With no hop to join: milter-refused of its own, a failure, the
 * milter-rejects of the same smtpd with it. */
static void
test_refused_own(void **state)
{
	struct doctor *d = doc_new(0);
	struct doctor_finding *f;

	(void)state;
	doc_scan(d, seed_lines);
	assert_int_equal(d->n, 1);
	f = doctor_find(d, "milter-refused");
	assert_non_null(f);
	assert_int_equal(f->sev, DOCTOR_FAIL);
	assert_int_equal(doc_count(d, "milter-tempfail"), 0);
	assert_true(doc_seen(f, "milter-reject: MAIL"));
	assert_non_null(strstr(f->explain, "the signer was down"));
	doctor_free(d);
}

/* Logged before main.cf changed: a note that says so. */
static void
test_history(void **state)
{
	struct doctor *d = doc_new(LINE_T + 2);
	struct doctor_finding *f;

	(void)state;
	doc_scan(d, seed_lines);
	f = doctor_find(d, "milter-refused");
	assert_non_null(f);
	assert_int_equal(f->sev, DOCTOR_NOTE);
	assert_non_null(strstr(f->title, "(logged before /etc/postfix/main.cf "
	    "changed at 16:09:52)"));
	assert_int_equal(doctor_status(d), 0);
	doctor_free(d);
}

/* Logged in the second of the change, or after it: still a failure. */
static void
test_same_second(void **state)
{
	struct doctor *d = doc_new(LINE_T);

	(void)state;
	doc_scan(d, seed_lines);
	assert_int_equal(doctor_find(d, "milter-refused")->sev, DOCTOR_FAIL);
	doctor_free(d);
	d = doc_new(LINE_T - 60);
	doc_scan(d, seed_lines);
	assert_int_equal(doctor_find(d, "milter-refused")->sev, DOCTOR_FAIL);
	doctor_free(d);
}

/* milter_default_action = accept: a failure after the connect failed,
 * still a warning when that was before the configuration changed. */
static void
test_accept(void **state)
{
	struct doctor *d;
	time_t when[2] = { 0, LINE_T + 1 };
	enum doctor_sev want[2] = { DOCTOR_FAIL, DOCTOR_WARN };
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		d = doc_new(when[i]);
		doctor_add(d, "milter-accept", DOCTOR_WARN, NULL, NULL,
		    "milter_default_action = accept: a signer failure would "
		    "send mail unsigned, silently");
		doc_scan(d, seed_lines);
		assert_int_equal(doctor_find(d, "milter-accept")->sev, want[i]);
		assert_true(doc_seen(doctor_find(d, "milter-accept"),
		    "the log: 1 message left unsigned after this "
		    "(inet:[::1]:12345)"));
		doctor_free(d);
	}
}

/* OpenDKIM's refusal, its "error loading key" and cleanup's tempfail of
 * that message all join key-insecure. */
static void
test_key_joins(void **state)
{
	struct doctor *d = doc_new(0);
	struct doctor_finding *f;

	(void)state;
	doctor_add(d, "key-insecure", DOCTOR_FAIL, NULL, "chmod 0600 "
	    "/etc/dkimkeys/example.com_202612.private",
	    "202612._domainkey.example.com: the key "
	    "/etc/dkimkeys/example.com_202612.private is not safe");
	doc_scan(d, key_lines);
	assert_int_equal(d->n, 1);
	f = &d->v[0];
	assert_true(doc_seen(f, "key data is not secure"));
	assert_true(doc_seen(f, "error loading key"));
	assert_true(doc_seen(f, "END-OF-MESSAGE"));
	doctor_free(d);
}

/* Without the configuration's finding: the refusal is one, the load
 * error and the tempfail join it. */
static void
test_key_own(void **state)
{
	struct doctor *d = doc_new(0);

	(void)state;
	doc_scan(d, key_lines);
	assert_int_equal(d->n, 1);
	assert_non_null(doctor_find(d, "key-insecure"));
	assert_int_equal(doc_count(d, "milter-tempfail"), 0);
	doctor_free(d);
}

/* Permission denied: the explanation is the socket's permissions, not a
 * signer that is down. */
static void
test_denied(void **state)
{
	struct doctor *d = doc_new(0);
	struct doctor_finding *f;

	(void)state;
	doc_scan(d, denied_lines);
	f = doctor_find(d, "milter-denied");
	assert_non_null(f);
	assert_int_equal(f->sev, DOCTOR_FAIL);
	assert_non_null(strstr(f->explain, "may not open the socket"));
	assert_null(strstr(f->explain, "the signer was down"));
	assert_non_null(strstr(f->fix, "UMask 007"));
	doctor_free(d);
}

/* The probe reaches the endpoint now: the refused connect is a note,
 * and milter-accept stays a warning; a probe still refused keeps it a
 * failure. */
static void
test_answers_now(void **state)
{
	struct listen_report r;
	struct listen_endpoint ep;
	struct doctor *d;
	struct doctor_finding *f;

	(void)state;
	doc_report(&r, &ep, "postfix smtpd", "inet:[::1]:12345",
	    LISTEN_MILTER_OK);
	d = doc_new(0);
	doctor_add(d, "milter-accept", DOCTOR_WARN, NULL, NULL, "accept");
	doc_scan_probed(d, seed_lines, &r);
	f = doctor_find(d, "milter-refused");
	assert_non_null(f);
	assert_int_equal(f->sev, DOCTOR_NOTE);
	assert_non_null(strstr(f->title, "(it answers the probe now)"));
	assert_int_equal(doctor_find(d, "milter-accept")->sev, DOCTOR_WARN);
	doctor_free(d);
	doc_report(&r, &ep, "postfix smtpd", "inet:[::1]:12345",
	    LISTEN_REFUSED);
	d = doc_new(0);
	doc_scan_probed(d, seed_lines, &r);
	assert_int_equal(doctor_find(d, "milter-refused")->sev, DOCTOR_FAIL);
	doctor_free(d);
}

/* A refused connect with a signer the probes found down joins that
 * finding; Permission denied does not. */
static void
test_signer_joins(void **state)
{
	struct doctor *d = doc_new(0);

	(void)state;
	doctor_add(d, "signer-not-running", DOCTOR_FAIL, NULL, NULL,
	    "opendkim is not running");
	doc_scan(d, seed_lines);
	assert_int_equal(d->n, 1);
	assert_true(doc_seen(&d->v[0], "milter-refused inet:[::1]:12345"));
	assert_true(doc_seen(&d->v[0], "milter-reject: MAIL"));
	doc_scan(d, denied_lines);
	assert_non_null(doctor_find(d, "milter-denied"));
	doctor_free(d);
}

/* doctor_where_also: file:line sources, once each. */
static void
test_where_also(void **state)
{
	struct doctor *d = doc_new(0);
	struct doctor_finding *f;

	(void)state;
	f = doctor_add(d, "milter-chroot", DOCTOR_FAIL, NULL, NULL, "x");
	doctor_where(f, "/etc/postfix/main.cf:52");
	doctor_where_also(f, "/etc/opendkim.conf:37");
	doctor_where_also(f, "/etc/opendkim.conf:37");
	doctor_where_also(f, "default");
	doctor_where_also(f, NULL);
	assert_string_equal(f->file, "/etc/postfix/main.cf");
	assert_int_equal(f->line, 52);
	assert_int_equal(f->also.n, 1);
	assert_string_equal(f->also.v[0], "/etc/opendkim.conf:37");
	assert_int_equal(doctor_fix_paths(f, NULL, NULL), 0);
	doctor_free(d);
}

/* The probes' findings of an endpoint record the signer's side as the
 * configuration's do (its socket's file:line in also), and the fix no
 * line makes: the start of a signer that does not run, the socket of a
 * client refused Permission denied (for its MTA, the signer's listener to
 * probe). */
static void
test_probe_acts(void **state)
{
	struct listen_report r;
	struct listen_endpoint ep[2];
	struct listen_signer sg;
	struct doctor *d = doc_new(0);
	struct doctor_finding *f;
	char *cause = NULL;

	(void)state;
	memset(&r, 0, sizeof r);
	memset(ep, 0, sizeof ep);
	memset(&sg, 0, sizeof sg);
	sg.program = (char *)"opendkim";
	sg.state = SVC_STOPPED;
	sg.how = (char *)"no live process behind /run/opendkim/opendkim.pid";
	sg.socket = (char *)"local:/var/spool/postfix/opendkim/opendkim.sock";
	sg.socket_source = (char *)"/etc/opendkim.conf:37";
	assert_int_equal(sockspec_parse(SOCKSPEC_MILTER, sg.socket, &sg.sock,
	    &cause), 0);
	ep[0].from = (char *)"postfix smtpd";
	ep[0].to = (char *)"opendkim";
	ep[0].kind = (char *)"milter";
	ep[0].address = (char *)"unix:opendkim/opendkim.sock";
	ep[0].source = (char *)"/etc/postfix/main.cf:52";
	ep[0].path = (char *)"/var/spool/postfix/opendkim/opendkim.sock";
	ep[0].state = LISTEN_DENIED;
	ep[0].cause = LISTEN_CAUSE_MODE;
	ep[0].detail = (char *)"postfix may not write the socket";
	ep[0].probed = 1;
	r.signers = &sg;
	r.nsigners = 1;
	r.endpoints = ep;
	r.nendpoints = 1;
	r.probed = r.live = 1;
	doctor_probes(d, &r);

	/* A start: no line to edit, on either side. */
	assert_non_null(f = doctor_find(d, "signer-not-running"));
	assert_null(f->file);
	assert_int_equal(f->also.n, 0);
	assert_non_null(f->act);
	assert_int_equal(f->act->kind, PLAN_FIX_START);
	assert_string_equal(f->act->signer, "opendkim");
	assert_string_equal(f->act->mta, "postfix");
	assert_true(f->act->milter);
	assert_int_equal(f->act->listener.family, AF_UNIX);

	assert_non_null(f = doctor_find(d, "milter-permission"));
	assert_string_equal(f->file, "/etc/postfix/main.cf");
	assert_int_equal(f->line, 52);
	assert_int_equal(f->also.n, 1);
	assert_string_equal(f->also.v[0], "/etc/opendkim.conf:37");
	assert_non_null(f->act);
	assert_int_equal(f->act->kind, PLAN_FIX_SOCKET);
	assert_string_equal(f->act->path,
	    "/var/spool/postfix/opendkim/opendkim.sock");
	assert_string_equal(f->act->mta, "postfix");
	/* Not fixable without a plan to make it in. */
	doctor_fixable(d, NULL);
	assert_false(f->fixable);
	doctor_free(d);
	sockspec_free(&sg.sock);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hop_joins),
		cmocka_unit_test(test_refused_own),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_same_second),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_key_joins),
		cmocka_unit_test(test_key_own),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_answers_now),
		cmocka_unit_test(test_signer_joins),
		cmocka_unit_test(test_where_also),
		cmocka_unit_test(test_probe_acts),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
