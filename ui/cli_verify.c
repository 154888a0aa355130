/* cli_verify.c: "notspam verify [FILE|-] [--ip ADDR] [--helo NAME]
 * [--mail-from ADDR]": the authentication of a received message judged
 * locally (core/mail/verify.h), as text with a fix for each failure, or
 * as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/conf/settings.h"
#include "core/lib/json.h"
#include "core/lib/loop.h"
#include "core/lib/netaddr.h"
#include "core/lib/textwrap.h"
#include "core/mail/dkimverify.h"
#include "core/mail/msg.h"
#include "core/mail/verify.h"
#include "core/site/session.h"
#include "core/lib/util.h"
#include "ui/cli.h"

static const char verify_usage[] =
    "usage: notspam [--resolver LIST | --zones PATH] [--json] verify "
    "[FILE|-]\n"
    "           [--ip ADDR] [--helo NAME] [--mail-from ADDR]\n";

struct verify_args {
	const char	*file;
	const char	*ip, *helo, *mail_from;
};

/* The fix of a failed DKIM signature, by its reason. */
static const char *
verify_dkim_fix(const struct dkim_sig *sig)
{
	const char *r = sig->reason;

	if (sig->result == DKIM_TEMPERROR)
		return "the key lookup failed for now: check the resolver "
		    "and the domain's nameservers, then verify again";
	if (strstr(r, "body hash") != NULL)
		return "the body changed after signing (a content filter, a "
		    "list footer or a disclaimer added after the signer): "
		    "sign last, after every filter";
	if (strstr(r, "signature did not verify") != NULL)
		return "a signed header changed after signing, or the "
		    "published key is not the signer's: compare them with "
		    "`notspam check DOMAIN`";
	if (strstr(r, "no key") != NULL)
		return "publish the selector's key: `notspam records DOMAIN` "
		    "prints the record";
	if (strstr(r, "revoked") != NULL)
		return "this selector's key was revoked: sign with the "
		    "current selector (`notspam keys`)";
	if (strstr(r, "expired") != NULL)
		return "the signature's x= was too short for the delivery: "
		    "lengthen the signer's expiry or drop it";
	if (strstr(r, "bits") != NULL)
		return "make a 2048-bit key: `notspam keys rotate DOMAIN`";
	return "the signature or its key record is malformed (see the "
	    "reason): fix the signer's settings or the published record";
}

/* The fix of an SPF result other than pass. */
static char *
verify_spf_fix(const struct verify *v)
{
	const char *r = v->spf_result, *d = v->spf_domain != NULL ?
	    v->spf_domain : "the domain";
	int v6 = v->ip != NULL && strchr(v->ip, ':') != NULL;

	if (v->ip == NULL)
		return xstrdup("give the sending server's address with --ip "
		    "(and --helo, --mail-from), or list the receiver's own "
		    "relays in trusted_relays");
	if (strcmp(r, "fail") == 0 || strcmp(r, "softfail") == 0 ||
	    strcmp(r, "neutral") == 0)
		return xasprintf("add ip%c:%s to the SPF record of %s "
		    "(`notspam records %s`), or send through a host it lists",
		    v6 ? '6' : '4', v->ip, d, d);
	if (strcmp(r, "none") == 0)
		return xasprintf("publish an SPF record for %s (`notspam "
		    "records %s`)", d, d);
	if (strcmp(r, "permerror") == 0)
		return xasprintf("the SPF record of %s is broken: see `notspam "
		    "spf %s %s`", d, d, v->ip);
	return xstrdup("the SPF lookups failed for now: verify again later");
}

/* The fix of DMARC other than pass. */
static char *
verify_dmarc_fix(const struct verify *v)
{
	const char *d = v->from_domain;

	if (d == NULL)
		return xstrdup("send with one From address");
	if (strcmp(v->dmarc_result, "none") == 0)
		return xasprintf("publish a DMARC record at _dmarc.%s "
		    "(`notspam records %s`)", d, d);
	if (strcmp(v->dmarc_result, "fail") == 0)
		return xasprintf("sign with d=%s (or a domain sharing its "
		    "organizational domain %s), or send with a MAIL FROM in "
		    "%s that SPF allows", d, v->org_domain, d);
	return xstrdup("see the reason; verify again once the record is "
	    "fixed or reachable");
}

#define VERIFY_COL	14	/* where the text of a line starts */
#define VERIFY_WIDTH	80

/* Untrusted text made safe, broken into lines that end by column 80, the
 * first after lead (VERIFY_COL columns wide), the others under it. */
static void
verify_wrapped(const char *lead, const char *text)
{
	struct strv lines;
	char *safe = str_shown(text, strlen(text));
	size_t i;

	strv_init(&lines);
	textwrap(safe, VERIFY_WIDTH - VERIFY_COL, 0, 0, &lines);
	for (i = 0; i < lines.n; i++)
		printf("%-*s%s\n", VERIFY_COL, i == 0 ? lead : "",
		    lines.v[i]);
	strv_free(&lines);
	free(safe);
}

/* "  result    text" */
static void
verify_line(const char *result, const char *text)
{
	char lead[VERIFY_COL + 1];

	snprintf(lead, sizeof lead, "  %s", result);
	verify_wrapped(lead, text);
}

static void
verify_fix(const char *fix)
{
	char *t = xasprintf("fix: %s", fix);

	verify_wrapped("", t);
	free(t);
}

static void
verify_text_dkim(const struct verify *v)
{
	const struct dkim_sig *sig;
	struct buf b;
	char *t;
	size_t i;

	puts("DKIM");
	if (v->dkim->nsigs == 0) {
		verify_line("none", "the message carries no DKIM-Signature");
		verify_fix("sign outgoing mail (`notspam doctor` says why it "
		    "leaves unsigned)");
	}
	for (i = 0; i < v->dkim->nsigs; i++) {
		sig = &v->dkim->sigs[i];
		buf_init(&b);
		buf_printf(&b, "d=%s s=%s a=%s c=%s", sig->d != NULL ?
		    sig->d : "?", sig->s != NULL ? sig->s : "?",
		    sig->a != NULL ? sig->a : "?", sig->c);
		if (sig->l >= 0)
			buf_printf(&b, " l=%lld", sig->l);
		buf_printf(&b, ": %s", sig->reason);
		t = buf_steal(&b);
		verify_line(dkim_result_name(sig->result), t);
		free(t);
		if (sig->result != DKIM_PASS)
			verify_fix(verify_dkim_fix(sig));
	}
}

static void
verify_text_spf(const struct verify *v)
{
	char *t, *fix;

	puts("SPF");
	if (v->ip == NULL || v->spf_domain == NULL)
		t = xstrdup(v->spf_reason);
	else
		t = xasprintf("%s for %s (MAIL FROM <%s>, HELO %s)%s%s", v->ip,
		    v->spf_domain, v->mail_from != NULL ? v->mail_from : "",
		    v->helo != NULL ? v->helo : "unknown",
		    v->spf_reason != NULL && *v->spf_reason != '\0' ? ": " :
		    "", v->spf_reason != NULL ? v->spf_reason : "");
	verify_line(v->spf_result, t);
	free(t);
	if (v->hop != NULL) {
		t = xasprintf("the address of the Received field at line %zu: "
		    "%.100s%s", v->hop_line, v->hop, strlen(v->hop) > 100 ?
		    "..." : "");
		verify_wrapped("", t);
		free(t);
	}
	if (strcmp(v->spf_result, "pass") != 0) {
		fix = verify_spf_fix(v);
		verify_fix(fix);
		free(fix);
	}
}

/* "DKIM (d=example.org), SPF (example.org)", or "nothing". */
static char *
verify_alignment(const struct verify *v)
{
	if (v->dkim_aligned && v->spf_aligned)
		return xasprintf("DKIM (d=%s, %s) and SPF (%s, %s)",
		    v->aligned_d, v->adkim_strict ? "strict" : "relaxed",
		    v->spf_domain, v->aspf_strict ? "strict" : "relaxed");
	if (v->dkim_aligned)
		return xasprintf("DKIM only (d=%s, %s)", v->aligned_d,
		    v->adkim_strict ? "strict" : "relaxed");
	if (v->spf_aligned)
		return xasprintf("SPF only (%s, %s)", v->spf_domain,
		    v->aspf_strict ? "strict" : "relaxed");
	return xstrdup("nothing aligned passed");
}

static void
verify_text_dmarc(const struct verify *v)
{
	char *t, *al, *fix;

	puts("DMARC");
	al = verify_alignment(v);
	if (v->from_domain == NULL)
		t = xstrdup(v->dmarc_reason);
	else
		t = xasprintf("From %s, policy %s; aligned: %s%s%s",
		    v->from_domain, v->policy, al, v->dmarc_reason != NULL ?
		    "; " : "", v->dmarc_reason != NULL ? v->dmarc_reason : "");
	verify_line(v->dmarc_result, t);
	free(t);
	free(al);
	if (v->dmarc_record != NULL) {
		t = xasprintf("record at _dmarc.%s: %s", v->dmarc_at,
		    v->dmarc_record);
		verify_wrapped("", t);
		free(t);
	}
	if (strcmp(v->dmarc_result, "pass") != 0) {
		fix = verify_dmarc_fix(v);
		verify_fix(fix);
		free(fix);
	}
}

static void
verify_text_receiver(const struct verify *v)
{
	const struct verify_ar *ar;
	char *t;
	size_t i;

	puts("The receiver's verdict");
	if (v->nars == 0)
		puts("  (no Authentication-Results field)");
	for (i = 0; i < v->nars; i++) {
		ar = &v->ars[i];
		t = xasprintf("dkim=%s spf=%s dmarc=%s%s%s",
		    ar->dkim != NULL ? ar->dkim : "-",
		    ar->spf != NULL ? ar->spf : "-",
		    ar->dmarc != NULL ? ar->dmarc : "-",
		    ar->arc != NULL ? " arc=" : "",
		    ar->arc != NULL ? ar->arc : "");
		printf("  ");
		cli_put(stdout, ar->name);
		printf(": ");
		cli_put(stdout, t);
		putchar('\n');
		free(t);
		t = xasprintf("%.300s%s", ar->value, strlen(ar->value) > 300 ?
		    "..." : "");
		verify_wrapped("", t);
		free(t);
	}
}

static void
verify_text(const struct verify *v, const char *file)
{
	fputs("Authentication of ", stdout);
	cli_put(stdout, strcmp(file, "-") == 0 ? "standard input" : file);
	if (v->from_domain != NULL) {
		fputs(" (From ", stdout);
		cli_put(stdout, v->from_domain);
		putchar(')');
	}
	puts("\n");
	verify_text_dkim(v);
	verify_text_spf(v);
	verify_text_dmarc(v);
	verify_text_receiver(v);
}

static void
verify_json_dkim(struct json *j, const struct verify *v)
{
	const struct dkim_sig *sig;
	size_t i;

	json_array_begin(j, "dkim");
	for (i = 0; i < v->dkim->nsigs; i++) {
		sig = &v->dkim->sigs[i];
		json_object_begin(j, NULL);
		json_string(j, "d", sig->d);
		json_string(j, "s", sig->s);
		json_string(j, "a", sig->a);
		json_string(j, "c", sig->c);
		if (sig->l >= 0)
			json_int(j, "l", sig->l);
		json_string(j, "result", dkim_result_name(sig->result));
		json_string(j, "reason", sig->reason);
		if (sig->key_bits > 0)
			json_int(j, "key_bits", sig->key_bits);
		json_object_end(j);
	}
	json_array_end(j);
}

static void
verify_json(const struct verify *v, int rc)
{
	struct json j;
	char *doc, *al;
	size_t i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "from_domain", v->from_domain);
	verify_json_dkim(&j, v);
	json_object_begin(&j, "spf");
	json_string(&j, "result", v->spf_result);
	json_string(&j, "ip", v->ip);
	json_string(&j, "domain", v->spf_domain);
	json_string(&j, "helo", v->helo);
	json_string(&j, "mail_from", v->mail_from);
	json_string(&j, "reason", v->spf_reason);
	json_object_end(&j);
	json_object_begin(&j, "dmarc");
	json_string(&j, "result", v->dmarc_result);
	json_string(&j, "policy", v->policy);
	al = xstrdup(v->dkim_aligned && v->spf_aligned ? "dkim spf" :
	    v->dkim_aligned ? "dkim" : v->spf_aligned ? "spf" : "none");
	json_string(&j, "alignment", al);
	free(al);
	json_string(&j, "adkim", v->adkim_strict ? "s" : "r");
	json_string(&j, "aspf", v->aspf_strict ? "s" : "r");
	json_string(&j, "record", v->dmarc_record);
	json_string(&j, "reason", v->dmarc_reason);
	json_object_end(&j);
	json_array_begin(&j, "receiver");
	for (i = 0; i < v->nars; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "field", v->ars[i].name);
		json_string(&j, "value", v->ars[i].value);
		json_string(&j, "dkim", v->ars[i].dkim);
		json_string(&j, "spf", v->ars[i].spf);
		json_string(&j, "dmarc", v->ars[i].dmarc);
		json_string(&j, "arc", v->ars[i].arc);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_int(&j, "exit", rc);
	json_object_end(&j);
	doc = json_finish(&j);
	cli_put_doc(doc, strlen(doc));
	free(doc);
}

static int
verify_bad(const char *what, const char *value)
{
	char *safe = str_sanitize(value, strlen(value));

	fprintf(stderr, "notspam: verify: %s \"%s\"\n", what, safe);
	free(safe);
	fputs(verify_usage, stderr);
	return EX_USAGE;
}

/* The command's own arguments; 0 or an exit status. */
static int
verify_parse_args(int argc, char **argv, struct verify_args *a)
{
	const char **slot;
	char *canon;
	int i;

	memset(a, 0, sizeof *a);
	for (i = 1; i < argc; i++) {
		slot = NULL;
		if (strcmp(argv[i], "--ip") == 0)
			slot = &a->ip;
		else if (strcmp(argv[i], "--helo") == 0)
			slot = &a->helo;
		else if (strcmp(argv[i], "--mail-from") == 0)
			slot = &a->mail_from;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return verify_bad("unknown option", argv[i]);
		else if (a->file != NULL)
			return verify_bad("one message at a time; extra",
			    argv[i]);
		else
			a->file = argv[i];
		if (slot != NULL) {
			if (i + 1 >= argc)
				return verify_bad("a value is needed after",
				    argv[i]);
			*slot = argv[++i];
		}
	}
	if (a->ip != NULL) {
		if ((canon = netaddr_canon(a->ip, NULL)) == NULL)
			return verify_bad("--ip is not an IP address:", a->ip);
		free(canon);
	}
	if (a->file == NULL)
		a->file = "-";
	return 0;
}

struct verify_run {
	int	done;
};

static void
verify_done(struct verify *v, void *arg)
{
	struct verify_run *r = arg;

	(void)v;
	r->done = 1;
}

/* Verify m with the session's resolver; the exit status. */
static int
verify_message(const struct cli_opts *o, const struct msg *m,
    const struct verify_args *a, const struct strv *trusted)
{
	struct verify_opts vo;
	struct verify_run r;
	struct session_opts so;
	struct session *s;
	struct verify *v;
	struct dns *dns;
	char *cause = NULL;
	int rc;

	cli_session_opts(o, &so);
	so.no_site = 1;
	if ((s = session_open(&so, &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		return EX_NOINPUT;
	}
	if ((dns = session_dns(s, NULL)) == NULL) {
		cli_error(s->dns_error != NULL ? s->dns_error :
		    "verify: cannot start the resolver");
		session_close(s);
		return EX_TEMPFAIL;
	}
	memset(&vo, 0, sizeof vo);
	vo.ip = a->ip;
	vo.helo = a->helo;
	vo.mail_from = a->mail_from;
	vo.trusted = trusted;
	vo.now = time(NULL);
	v = verify_new(m, &vo);
	r.done = 0;
	verify_start(v, dns, verify_done, &r);
	loop_run(s->loop, &r.done);
	if (!r.done) {
		verify_free(v);
		session_close(s);
		cli_error("verify: the lookups did not finish");
		return EX_SOFTWARE;
	}
	rc = verify_status(v);
	if (o->json)
		verify_json(v, rc);
	else
		verify_text(v, a->file);
	verify_free(v);
	session_close(s);
	return rc;
}

int
cli_verify(const struct cli_opts *o, int argc, char **argv)
{
	struct verify_args a;
	struct settings *set;
	struct msg *m;
	char *data, *cause = NULL, *why;
	size_t len;
	int rc;

	if ((rc = verify_parse_args(argc, argv, &a)) != 0)
		return rc;
	if ((set = settings_load(o->root, o->config, o->config != NULL,
	    &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		return EX_NOINPUT;
	}
	if (msg_read(a.file, &data, &len, &cause) != 0) {
		why = xasprintf("verify: %s", cause);
		cli_error(why);
		free(why);
		free(cause);
		settings_free(set);
		return EX_NOINPUT;
	}
	if ((m = msg_parse(data, len, &cause)) == NULL) {
		why = xasprintf("verify: %s: %s", strcmp(a.file, "-") == 0 ?
		    "standard input" : a.file, cause);
		cli_error(why);
		free(why);
		free(cause);
		free(data);
		settings_free(set);
		return EX_DATAERR;
	}
	free(data);
	rc = verify_message(o, m, &a, &set->trusted_relays);
	msg_free(m);
	settings_free(set);
	return rc;
}
