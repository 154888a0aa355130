/* cli_keys.c: "notspam keygen" and "notspam keys": DKIM keys made, stored
 * safely, listed and rotated.
 *
 *   keygen DOMAIN [--selector S] [--type rsa|ed25519] [--bits N] [--weak]
 *          [--signer NAME] [--keyfile PATH]
 *          [--import FILE]
 *   keys [--offline]                       the list (with --json: JSON)
 *   keys rotate DOMAIN [keygen options]    a new key for a new selector
 *   keys switch DOMAIN SELECTOR [--dry-run | --yes] [--timeout S]
 *                                          the config change, once published,
 *                                          written as apply writes
 *   keys retire DOMAIN SELECTOR            the signer no longer uses it
 *   keys revoke DOMAIN SELECTOR            publish p= empty
 *
 * Exit status: 0 done; 1 done with warnings (unsafe files, state not
 * saved, DNS unknown; switch --dry-run: changes pending, or the question
 * answered no); 2 failures (switch refused while unpublished, or its
 * change refused or put back by the transaction, an
 * active key not published or unreadable); 64 usage (bad domain, selector,
 * type or size); 66 site unreadable; 73 the key could not be made or
 * stored (exists, unsafe symlink, bad import); 75 the DNS could not be
 * asked when it had to be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/apply/plan.h"
#include "core/lib/json.h"
#include "core/keys/keygen.h"
#include "core/keys/keylife.h"
#include "core/keys/keys.h"
#include "core/keys/keysafe.h"
#include "core/keys/keystate.h"
#include "core/lib/loop.h"
#include "core/check/records.h"
#include "core/site/session.h"
#include "core/site/site.h"
#include "core/lib/textwrap.h"
#include "core/lib/util.h"
#include "ui/cli.h"

#define EX_CANTCREAT	73

/* Take "--name VALUE" or "--name=VALUE" at argv[*i]: 1 taken, 0 not this
 * option, -1 missing value. */
static int
ck_opt(const char *name, int argc, char **argv, int *i, const char **out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return **out == '\0' ? -1 : 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

/* Parse keygen options from argv[first..]; positional words go to pos.
 * Returns 0 or EX_USAGE after a message. */
static int
ck_kg_args(int argc, char **argv, int first, struct keys_gen_opts *k,
    const char **pos, int maxpos, int *npos)
{
	static const char *const names[] = { "--selector", "--type", "--bits",
	    "--signer", "--keyfile", "--import", NULL };
	const char **slots[6], *bits = NULL, *v;
	char *end, *msg;
	int i, j, r;

	slots[0] = &k->selector;
	slots[1] = &k->type;
	slots[2] = &bits;
	slots[3] = &k->signer;
	slots[4] = &k->keyfile;
	slots[5] = &k->import;
	*npos = 0;
	for (i = first; i < argc; i++) {
		for (j = 0, r = 0; names[j] != NULL; j++)
			if ((r = ck_opt(names[j], argc, argv, &i, &v)) != 0)
				break;
		if (r == -1) {
			msg = xasprintf("%s needs a value", names[j]);
			cli_error(msg);
			free(msg);
			return EX_USAGE;
		}
		if (r == 1) {
			*slots[j] = v;
			continue;
		}
		if (strcmp(argv[i], "--weak") == 0)
			k->weak = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			msg = xasprintf("unknown option %s", argv[i]);
			cli_error(msg);
			free(msg);
			return EX_USAGE;
		} else if (*npos < maxpos)
			pos[(*npos)++] = argv[i];
		else {
			msg = xasprintf("unexpected argument \"%s\"", argv[i]);
			cli_error(msg);
			free(msg);
			return EX_USAGE;
		}
	}
	if (bits != NULL) {
		long b = strtol(bits, &end, 10);
		if (*end != '\0' || end == bits || b <= 0 || b > 65536) {
			msg = xasprintf("--bits %s: a number such as 2048", bits);
			cli_error(msg);
			free(msg);
			return EX_USAGE;
		}
		k->bits = (int)b;
	}
	return 0;
}

/* The DKIM record for pub as a struct record (free with ck_record_free). */
static void
ck_record(struct record *r, const char *domain, const char *selector,
    const char *txt)
{
	memset(r, 0, sizeof *r);
	r->id = xasprintf("dkim:%s", selector);
	r->name = keys_record_name(domain, selector);
	r->type = xstrdup("TXT");
	r->value = xstrdup(txt);
	strv_init(&r->strings);
	records_split_txt(txt, &r->strings);
}

static void
ck_record_free(struct record *r)
{
	free(r->id);
	free(r->name);
	free(r->type);
	free(r->value);
	strv_free(&r->strings);
	free(r->why);
	free(r->error);
}

/*
 * The keys table fits CK_COLS columns: the columns of ck_widths (bits
 * right-aligned), then the key file's path on a line of its own, indented.
 * A value wider than its column goes on as far as it needs and the row
 * continues on the next line at the next column (as df(1) does with long
 * device names); a value wider than the rest of the line is broken where
 * the line is full, so nothing is cut and the pieces join back.
 */
#define CK_COLS		100
#define CK_NCELLS	9
#define CK_BITS		3
static const int ck_widths[CK_NCELLS] = { 20, 10, 8, 5, 10, 10, 9, 10, 5 };

/* Print shown (terminal-safe) text from column start (the cursor is
 * there), broken at the line's end (at blanks unless flags has
 * TEXTWRAP_ANY), later lines hang blanks further in; returns the column
 * after its last character. */
static int
ck_put_at(const char *shown, int start, int hang, int flags)
{
	struct strv lines;
	size_t i;
	int col;

	strv_init(&lines);
	textwrap(shown, CK_COLS - start, hang, flags, &lines);
	for (i = 0; i < lines.n; i++) {
		if (i > 0)
			printf("\n%*s", start, "");
		fputs(lines.v[i], stdout);
	}
	col = start + textwrap_width(lines.v[lines.n - 1]);
	strv_free(&lines);
	return col;
}

/* Untrusted text after label, indent columns in, within CK_COLS. */
static void
ck_say(int indent, const char *label, const char *text)
{
	char *shown = str_shown(text, strlen(text));
	char *line = xasprintf("%s%s", label, shown);

	printf("%*s", indent, "");
	ck_put_at(line, indent, 2, 0);
	putchar('\n');
	free(line);
	free(shown);
}

/* Print the issues of a safety check; returns how many. */
static size_t
ck_issues(const struct keysafe *ks, int indent)
{
	size_t i;

	for (i = 0; i < ks->nissues; i++) {
		ck_say(indent, "warning: ", ks->issues[i].problem);
		if (ks->issues[i].fix != NULL)
			ck_say(indent + 2, "fix: ", ks->issues[i].fix);
	}
	return ks->nissues;
}

static void
ck_json_issues(struct json *j, const struct keysafe *ks)
{
	size_t i;

	json_array_begin(j, "issues");
	for (i = 0; i < ks->nissues; i++) {
		json_object_begin(j, NULL);
		json_string(j, "path", ks->issues[i].path);
		json_string(j, "problem", ks->issues[i].problem);
		json_string(j, "fix", ks->issues[i].fix);
		json_object_end(j);
	}
	json_array_end(j);
}

/* Text output of a made key. */
static void
ck_made_text(const struct keys_gen *g, const struct record *r, int rotate)
{
	const struct keygen_result *res = &g->res;
	const struct keysafe *ks = &g->safe;
	const struct strv *notes = &g->notes;
	char mode[8], *zone;
	size_t i;

	printf("key       ");
	cli_put(stdout, res->path);
	printf("\ntype      %s %d\n", res->pub.type, res->pub.bits);
	printf("owner     %s:%s %s\n", ks->owner != NULL ? ks->owner : "?",
	    ks->group != NULL ? ks->group : "?",
	    keysafe_mode(res->mode, mode));
	printf("selector  %s (%s)\nstate     generated\n", g->selector,
	    g->domain);
	for (i = 0; i < notes->n; i++) {
		printf("note      ");
		cli_put(stdout, notes->v[i]);
		putchar('\n');
	}
	ck_issues(ks, 0);
	printf("\n; publish this record");
	if (r->strings.n > 1)
		printf(" (%zu strings of at most 255 bytes: a %d-bit key does "
		    "not fit in one; most DNS hosts join them, some web forms "
		    "want the single value below)", r->strings.n,
		    res->pub.bits);
	printf(":\n");
	zone = records_zone_line(r);
	cli_put_zone(stdout, zone);
	free(zone);
	putchar('\n');
	if (r->strings.n > 1) {
		fputs("; as one value (DNS web forms): ", stdout);
		cli_put(stdout, r->value);
		putchar('\n');
	}
	printf("\n; then, once the DNS shows it (switching earlier breaks "
	    "every signature):\n;   notspam keys switch %s %s\n", g->domain,
	    g->selector);
	if (rotate)
		printf("; the current key stays active until then; afterwards "
		    "it is retired and stays published for %d days\n",
		    KEYSTATE_GRACE_DAYS);
	if (strcmp(res->pub.type, "ed25519") == 0)
		printf("; Ed25519 (RFC 8463) is not verified by many receivers "
		    "yet: keep an RSA key beside it\n");
	else if (!rotate)
		printf("; optional: an Ed25519 key beside it: notspam keygen "
		    "%s --type ed25519\n", g->domain);
}

static void
ck_made_json(const struct keys_gen *g, const struct record *r)
{
	const struct keygen_result *res = &g->res;
	const struct keysafe *ks = &g->safe;
	const struct strv *notes = &g->notes;
	struct json j;
	char mode[8], *out;
	size_t i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "domain", g->domain);
	json_string(&j, "selector", g->selector);
	json_string(&j, "type", res->pub.type);
	json_int(&j, "bits", res->pub.bits);
	json_string(&j, "path", res->path);
	json_string(&j, "owner", ks->owner);
	json_string(&j, "group", ks->group);
	json_string(&j, "mode", keysafe_mode(res->mode, mode));
	json_string(&j, "state", "generated");
	json_object_begin(&j, "record");
	json_string(&j, "name", r->name);
	json_string(&j, "type", "TXT");
	json_string(&j, "value", r->value);
	json_array_begin(&j, "strings");
	for (i = 0; i < r->strings.n; i++)
		json_string(&j, NULL, r->strings.v[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_array_begin(&j, "notes");
	for (i = 0; i < notes->n; i++)
		json_string(&j, NULL, notes->v[i]);
	json_array_end(&j);
	ck_json_issues(&j, ks);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
}

/* Make (or import) one key and record it (keylife); the exit status. */
static int
ck_make(const struct cli_opts *o, const struct site *site,
    const struct keys_gen_opts *k, int rotate)
{
	struct keys_gen g;
	struct record r;
	char *cause = NULL, *txt;
	int rc = 0;

	switch (keys_gen_prepare(site, k, time(NULL), &g, &cause)) {
	case KEYS_OK:
		break;
	case KEYS_ESTATE:
		rc = EX_NOINPUT;
		goto fail;
	case KEYS_ETAKEN:
		rc = EX_CANTCREAT;
		goto fail;
	default:
		rc = EX_USAGE;
		goto fail;
	}
	switch (keys_generate(&g, &cause)) {
	case KEYS_OK:
		break;
	case KEYS_ESAVE:
		rc = EXIT_WARN;
		break;
	default:
		rc = EX_CANTCREAT;
		goto fail;
	}
	if (g.safe.nissues > 0)
		rc = EXIT_WARN;
	txt = dkimkey_txt(&g.res.pub);
	ck_record(&r, g.domain, g.selector, txt);
	free(txt);
	if (o->json)
		ck_made_json(&g, &r);
	else
		ck_made_text(&g, &r, rotate);
	ck_record_free(&r);
	keys_gen_free(&g);
	return rc;
fail:
	cli_error(cause);
	free(cause);
	keys_gen_free(&g);
	return rc;
}

/* Validate and lower-case the domain argument; NULL after a message. */
static char *
ck_domain(const char *arg)
{
	char *d, *cause = NULL;
	size_t len;

	d = str_lower(xstrdup(arg));
	len = strlen(d);
	if (len > 1 && d[len - 1] == '.')
		d[len - 1] = '\0';
	if (keygen_check_domain(d, &cause) != 0) {
		cli_error(cause);
		free(cause);
		free(d);
		return NULL;
	}
	return d;
}

int
cli_keygen(const struct cli_opts *o, int argc, char **argv)
{
	struct keys_gen_opts k;
	struct session *s;
	const char *pos[1];
	char *domain;
	int npos, rc = 0;

	memset(&k, 0, sizeof k);
	if ((rc = ck_kg_args(argc, argv, 1, &k, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1) {
		fputs("usage: notspam keygen DOMAIN [--selector S] [--type "
		    "rsa|ed25519] [--bits N] [--weak] [--signer NAME] "
		    "[--keyfile PATH] [--import FILE]\n", stderr);
		return EX_USAGE;
	}
	if ((domain = ck_domain(pos[0])) == NULL)
		return EX_USAGE;
	k.domain = domain;
	if ((s = cli_session(o, &rc)) != NULL) {
		rc = ck_make(o, s->site, &k, 0);
		session_close(s);
	}
	free(domain);
	return rc;
}

/* Wakes the loop's owner when the probe finishes. */
struct ck_probe {
	struct keys_list	*list;
	int			 done;
};

static void
ck_probe_changed(void *arg)
{
	struct ck_probe *p = arg;

	p->done = keys_probe_done(p->list);
}

/* Ask the DNS about every key on the session's resolver; -1 (entries stay
 * unknown) with *cause when no resolver could be set up. */
static int
ck_probe(struct session *s, struct keys_list *l, char **cause)
{
	struct dns *dns;
	struct ck_probe p;

	if (l->n == 0)
		return 0;
	if ((dns = session_dns(s, NULL)) == NULL) {
		*cause = xstrdup(s->dns_error);
		return -1;
	}
	p.list = l;
	p.done = 0;
	keys_probe(l, dns, ck_probe_changed, &p);
	loop_run(s->loop, &p.done);
	return 0;
}

/* "2026-11-23" for an epoch time, or "-". */
static void
ck_date(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%d", &tm);
}

/* A revoked key whose file was deleted: the expected end, not a problem. */
static int
ck_gone(const struct keys_entry *e)
{
	return e->state == KEYSTATE_REVOKED && !e->safe.exists;
}

/* Advice for an entry (what to do next), or NULL; sets *bad (2 fail,
 * 1 warn). */
static char *
ck_advice(const struct keys_entry *e, long long now, int *bad)
{
	long long days = (now - e->since) / 86400;

	if (e->error != NULL && e->configured) {
		*bad = 2;
		return xasprintf("FAIL: %s", e->error);
	}
	if (e->configured && e->published == KEYS_PUB_NO) {
		*bad = 2;
		return xasprintf("FAIL: the signer uses it but the DNS does "
		    "not publish it (%s): every signature fails; publish it "
		    "(notspam records %s)", e->pub_detail != NULL ?
		    e->pub_detail : "no record", e->domain);
	}
	if (e->state == KEYSTATE_REVOKED && e->configured) {
		*bad = 2;
		return xstrdup("FAIL: revoked, but the signer still uses it: "
		    "switch to another key");
	}
	switch (e->state) {
	case KEYSTATE_GENERATED:
		if (e->published == KEYS_PUB_YES)
			return xasprintf("published: switch with: notspam keys "
			    "switch %s %s", e->domain, e->selector);
		return xasprintf("publish its record, then: notspam keys switch "
		    "%s %s", e->domain, e->selector);
	case KEYSTATE_PUBLISHED:
		return xasprintf("switch with: notspam keys switch %s %s",
		    e->domain, e->selector);
	case KEYSTATE_RETIRED:
		if (days >= KEYSTATE_GRACE_DAYS)
			return xasprintf("retired %lld days ago: revoke with: "
			    "notspam keys revoke %s %s", days, e->domain,
			    e->selector);
		return xasprintf("retired: keep it published until the %d-day "
		    "grace period ends", KEYSTATE_GRACE_DAYS);
	case KEYSTATE_REVOKED:
		if (e->published == KEYS_PUB_YES) {
			if (*bad < 1)
				*bad = 1;
			return xasprintf("revoked but still published: publish "
			    "\"v=DKIM1; k=%s; p=\" instead", e->pub.type !=
			    NULL ? e->pub.type : "rsa");
		}
		return NULL;
	case KEYSTATE_ACTIVE:
		break;
	}
	return NULL;
}

/* One row of the keys table: cells (raw text) at their columns. */
static void
ck_row(const char *const cells[CK_NCELLS])
{
	char *shown;
	int i, start = 0, col = 0, w, pad;

	for (i = 0; i < CK_NCELLS; i++) {
		shown = str_shown(cells[i], strlen(cells[i]));
		w = textwrap_width(shown);
		if (i > 0 && col >= start) {
			putchar('\n');
			col = 0;
		}
		pad = i == CK_BITS && w < ck_widths[i] ? ck_widths[i] - w : 0;
		printf("%*s", start + pad - col, "");
		col = ck_put_at(shown, start + pad, 0, TEXTWRAP_ANY);
		start += ck_widths[i] + 1;
		free(shown);
	}
	putchar('\n');
}

/* The key file's line under its row: indented, broken where full. */
static void
ck_path_line(const char *path)
{
	char *shown = str_shown(path, strlen(path));

	fputs("  ", stdout);
	ck_put_at(shown, 2, 2, TEXTWRAP_ANY);
	putchar('\n');
	free(shown);
}

static void
ck_table(const struct keys_list *l)
{
	static const char *const head[CK_NCELLS] = { "domain", "selector",
	    "type", "bits", "state", "since", "published", "owner", "mode" };
	const char *cells[CK_NCELLS];
	char mode[8], date[16], bits[16];
	size_t i;

	ck_row(head);
	ck_path_line("path");
	for (i = 0; i < l->n; i++) {
		const struct keys_entry *e = &l->v[i];
		ck_date(e->since, date, sizeof date);
		snprintf(bits, sizeof bits, "%d", e->pub.bits);
		cells[0] = e->domain;
		cells[1] = e->selector;
		cells[2] = e->pub.type != NULL ? e->pub.type : "?";
		cells[3] = bits;
		cells[4] = keystate_name(e->state);
		cells[5] = date;
		cells[6] = keys_pub_name(e->published);
		cells[7] = e->safe.owner != NULL ? e->safe.owner : "-";
		cells[8] = e->safe.exists ? keysafe_mode(e->safe.mode, mode) :
		    "-";
		ck_row(cells);
		ck_path_line(e->path != NULL ? e->path : "-");
	}
}

/* What to know and do about one key, under the table, within CK_COLS. */
static void
ck_detail(const struct keys_entry *e, int offline, const char *adv, int *rc)
{
	char *line;

	line = xasprintf("%s._domainkey.%s (%s):", e->selector, e->domain,
	    e->signer);
	putchar('\n');
	ck_say(0, "", line);
	free(line);
	if (e->published == KEYS_PUB_UNKNOWN && !offline) {
		line = xasprintf("unknown%s%s%s", e->pub_detail != NULL ?
		    " (" : "", e->pub_detail != NULL ? e->pub_detail : "",
		    e->pub_detail != NULL ? ")" : "");
		ck_say(2, "published: ", line);
		free(line);
		if (*rc < EXIT_WARN)
			*rc = EXIT_WARN;
	} else if (e->published == KEYS_PUB_NO && e->pub_detail) {
		line = xasprintf("no (%s)", e->pub_detail);
		ck_say(2, "published: ", line);
		free(line);
	}
	if (e->error != NULL && !e->configured && !ck_gone(e)) {
		ck_say(2, "warning: ", e->error);
		if (*rc < EXIT_WARN)
			*rc = EXIT_WARN;
	}
	if (ck_issues(&e->safe, 2) > 0 && *rc < EXIT_WARN)
		*rc = EXIT_WARN;
	if (adv != NULL)
		ck_say(2, "", adv);
}

static void
ck_list_text(const struct keys_list *l, long long now, int offline, int *rc)
{
	char *adv;
	size_t i;
	int bad;

	if (l->n == 0) {
		printf("no DKIM key: the signer names none and notspam made "
		    "none; make one with: notspam keygen DOMAIN\n");
		return;
	}
	ck_table(l);
	for (i = 0; i < l->n; i++) {
		const struct keys_entry *e = &l->v[i];
		bad = 0;
		adv = ck_advice(e, now, &bad);
		if (adv == NULL && e->safe.nissues == 0 && (e->error == NULL ||
		    e->configured || ck_gone(e)) && (offline ||
		    e->published != KEYS_PUB_UNKNOWN))
			continue;
		ck_detail(e, offline, adv, rc);
		if (bad > *rc)
			*rc = bad;
		free(adv);
	}
}

static void
ck_list_json(const struct keys_list *l, const struct strv *warnings,
    long long now, int offline, int *rc)
{
	struct json j;
	char mode[8], *out, *adv;
	size_t i;
	int bad;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "keys");
	for (i = 0; i < l->n; i++) {
		const struct keys_entry *e = &l->v[i];
		json_object_begin(&j, NULL);
		json_string(&j, "domain", e->domain);
		json_string(&j, "selector", e->selector);
		json_string(&j, "type", e->pub.type);
		if (e->pub.type != NULL)
			json_int(&j, "bits", e->pub.bits);
		else
			json_string(&j, "bits", NULL);
		json_string(&j, "path", e->path);
		json_string(&j, "owner", e->safe.owner);
		json_string(&j, "group", e->safe.group);
		json_string(&j, "mode", e->safe.exists ?
		    keysafe_mode(e->safe.mode, mode) : NULL);
		json_string(&j, "state", keystate_name(e->state));
		json_int(&j, "since", e->since);
		json_string(&j, "published", keys_pub_name(e->published));
		json_string(&j, "published_detail", e->pub_detail);
		json_string(&j, "signer", e->signer);
		json_bool(&j, "configured", e->configured);
		json_string(&j, "source", e->source);
		json_string(&j, "error", e->error);
		ck_json_issues(&j, &e->safe);
		bad = 0;
		adv = ck_advice(e, now, &bad);
		json_string(&j, "advice", adv);
		free(adv);
		if (e->safe.nissues > 0 || (!offline &&
		    e->published == KEYS_PUB_UNKNOWN) ||
		    (e->error != NULL && !e->configured && !ck_gone(e)))
			if (bad < EXIT_WARN)
				bad = EXIT_WARN;
		if (bad > *rc)
			*rc = bad;
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "warnings");
	for (i = 0; i < warnings->n; i++)
		json_string(&j, NULL, warnings->v[i]);
	json_array_end(&j);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
}

/* Open the session and the key list; NULL with *rc set after a message. */
static struct keys_list *
ck_list(const struct cli_opts *o, struct session **sp, int *rc)
{
	struct keys_list *l;
	char *cause = NULL;

	if ((*sp = cli_session(o, rc)) == NULL)
		return NULL;
	if ((l = keys_list_new((*sp)->site, &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		session_close(*sp);
		*sp = NULL;
		*rc = EX_NOINPUT;
	}
	return l;
}

/* Advance and save states; notes problems in warnings. */
static int
ck_advance(struct keys_list *l, struct strv *warnings)
{
	char *cause = NULL;

	if (keys_settle(l, (long long)time(NULL), &cause) < 0) {
		strv_addf(warnings, "key states not saved: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* "keys" with no subcommand: the list. */
static int
ck_keys_list(const struct cli_opts *o, int offline)
{
	struct session *s;
	struct keys_list *l;
	struct strv warnings;
	char *cause = NULL;
	size_t i;
	int rc = 0;

	if ((l = ck_list(o, &s, &rc)) == NULL)
		return rc;
	strv_init(&warnings);
	if (l->warning != NULL)
		strv_add(&warnings, l->warning);
	if (offline) {
		for (i = 0; i < l->n; i++) {
			l->v[i].published = KEYS_PUB_UNKNOWN;
			l->v[i].pub_detail = xstrdup("not asked (--offline)");
		}
	} else if (ck_probe(s, l, &cause) != 0) {
		strv_addf(&warnings, "no DNS: %s", cause);
		free(cause);
	}
	if (ck_advance(l, &warnings) != 0)
		rc = EXIT_WARN;
	if (o->json)
		ck_list_json(l, &warnings, (long long)time(NULL), offline,
		    &rc);
	else {
		for (i = 0; i < warnings.n; i++) {
			fputs("notspam: warning: ", stderr);
			cli_put(stderr, warnings.v[i]);
			fputc('\n', stderr);
		}
		ck_list_text(l, (long long)time(NULL), offline, &rc);
	}
	if (warnings.n > 0 && rc < EXIT_WARN)
		rc = EXIT_WARN;
	strv_free(&warnings);
	keys_list_free(l);
	session_close(s);
	return rc;
}

/* A retire or revoke refused for the key in use: the core's reason and
 * the command that helps. */
static void
ck_refused(char *cause, const struct keys_entry *e)
{
	char *msg = xasprintf("%s (notspam keys rotate %s)", cause, e->domain);

	cli_error(msg);
	free(msg);
	free(cause);
}

/* After a retire or revoke was printed: the state file's write. */
static int
ck_saved(char *cause)
{
	if (cause == NULL)
		return 0;
	cli_error(cause);
	free(cause);
	return EX_CANTCREAT;
}

/* "keys rotate DOMAIN [keygen options]". */
static int
ck_rotate(const struct cli_opts *o, int argc, char **argv)
{
	struct keys_gen_opts k;
	struct session *s;
	struct keys_list *l;
	const struct keys_entry *cur;
	const char *pos[1];
	char *domain;
	int npos, rc = 0;

	memset(&k, 0, sizeof k);
	if ((rc = ck_kg_args(argc, argv, 2, &k, pos, 1, &npos)) != 0)
		return rc;
	if (npos != 1) {
		fputs("usage: notspam keys rotate DOMAIN [--selector S] "
		    "[--type rsa|ed25519] [--bits N] [--keyfile PATH]\n",
		    stderr);
		return EX_USAGE;
	}
	if ((domain = ck_domain(pos[0])) == NULL)
		return EX_USAGE;
	k.domain = domain;
	if ((l = ck_list(o, &s, &rc)) == NULL) {
		free(domain);
		return rc;
	}
	if ((cur = keys_rotate_opts(l, &k)) != NULL) {
		if (!o->json) {
			printf("rotating %s selector %s (%s %d) -> new "
			    "selector\n\n", domain, cur->selector,
			    cur->pub.type, cur->pub.bits);
		}
	} else if (!o->json)
		printf("no active key for %s: making its first one\n\n",
		    domain);
	rc = ck_make(o, s->site, &k, cur != NULL);
	keys_list_free(l);
	session_close(s);
	free(domain);
	return rc;
}

/* keys switch's own options: how its change is written. */
struct ck_write {
	const struct cli_opts *o;
	int		 dry_run;
	int		 yes;
	int		 timeout_ms;
};

/* What keys switch, retire or revoke found or did, for --json. */
struct ck_outcome {
	const char	*action;	/* "switch", "retire", "revoke" */
	const struct ck_write *w;	/* switch: how to write plan */
	struct plan	*plan;		/* switch: its change, or NULL */
	int		 done;		/* switchable now / state recorded */
	const char	*detail;	/* why not, or what comes next */
	char		*zone;		/* a record to publish, or NULL */
	long long	 until;		/* retired: keep publishing until */
	int		 early;		/* revoked within the grace period */
};

/* The outcome as one JSON object on standard output; a switch's change
 * is written there with --yes (without it, --json is a dry run).  rc, or
 * the status of that write. */
static int
ck_outcome_json(const struct keys_entry *e, struct ck_outcome *oc,
    const struct strv *warnings, int rc)
{
	struct json j;
	char *out;
	size_t i;

	json_init(&j);
	json_object_begin(&j, NULL);
	json_string(&j, "action", oc->action);
	json_string(&j, "domain", e->domain);
	json_string(&j, "selector", e->selector);
	json_string(&j, "signer", e->signer);
	json_string(&j, "path", e->path);
	json_bool(&j, "done", oc->done);
	json_string(&j, "state", keystate_name(e->state));
	json_string(&j, "published", keys_pub_name(e->published));
	json_string(&j, "published_detail", e->pub_detail);
	json_string(&j, "detail", oc->detail);
	json_string(&j, "record", oc->zone);
	if (oc->plan != NULL) {
		json_object_begin(&j, "plan");
		cli_apply_json(&j, oc->plan);
		json_object_end(&j);
		if (!oc->w->dry_run && oc->w->yes) {
			json_object_begin(&j, "result");
			rc = cli_apply_commit(oc->w->o, oc->plan, 1,
			    oc->w->timeout_ms, &j);
			json_object_end(&j);
		}
	}
	if (oc->until > 0)
		json_int(&j, "publish_until", oc->until);
	if (strcmp(oc->action, "revoke") == 0)
		json_bool(&j, "within_grace", oc->early);
	json_array_begin(&j, "warnings");
	for (i = 0; warnings != NULL && i < warnings->n; i++)
		json_string(&j, NULL, warnings->v[i]);
	json_array_end(&j);
	json_object_end(&j);
	out = json_finish(&j);
	cli_put_doc(out, strlen(out));
	free(out);
	free(oc->zone);
	return rc;
}

/* "keys switch": the configuration change, once the DNS shows the key. */
static int
ck_switch(struct session *s, struct keys_list *l, struct keys_entry *e,
    struct strv *warnings, struct ck_outcome *oc)
{
	struct record r;
	struct plan *p;
	enum keys_switch v;
	char *cause = NULL, *txt, *zone, *msg;
	int rc = 0;

	v = keys_switch_verdict(e);
	if (v == KEYS_SWITCH_ALREADY) {
		oc->detail = "already in use";
		if (oc->action == NULL)
			printf("%s._domainkey.%s is already in use by %s "
			    "(%s)\n", e->selector, e->domain, e->signer,
			    e->source != NULL ? e->source : "config");
		goto save;
	}
	if (v == KEYS_SWITCH_UNREADABLE) {
		cli_error(e->error);
		return EXIT_FAIL;
	}
	if (ck_probe(s, l, &cause) != 0) {
		msg = xasprintf("not switched: the DNS cannot be asked (%s); "
		    "switch only once it shows the key", cause);
		cli_error(msg);
		free(msg);
		free(cause);
		return EX_TEMPFAIL;
	}
	v = keys_switch_verdict(e);
	if (v != KEYS_SWITCH_GO) {
		txt = dkimkey_txt(&e->pub);
		ck_record(&r, e->domain, e->selector, txt);
		free(txt);
		zone = records_zone_line(&r);
		ck_record_free(&r);
		rc = v == KEYS_SWITCH_UNPUBLISHED ? EXIT_FAIL : EX_TEMPFAIL;
		if (oc->action != NULL) {
			oc->detail = v == KEYS_SWITCH_UNPUBLISHED ?
			    "not published yet: publish the record first" :
			    "could not tell whether it is published";
			oc->zone = zone;
			goto save;
		}
		if (v == KEYS_SWITCH_UNPUBLISHED)
			msg = xasprintf("not switched: %s._domainkey.%s is "
			    "not published yet (%s); mail signed with it would "
			    "fail.  Publish:", e->selector, e->domain,
			    e->pub_detail != NULL ? e->pub_detail : "?");
		else
			msg = xasprintf("not switched: could not tell whether "
			    "%s._domainkey.%s is published (%s); try again "
			    "when the DNS answers.  It must show:", e->selector,
			    e->domain, e->pub_detail != NULL ? e->pub_detail :
			    "no answer");
		cli_error(msg);
		cli_put_zone(stderr, zone);
		fputc('\n', stderr);
		free(msg);
		free(zone);
		goto save;
	}
	if ((p = plan_key_switch(s->site, l, e, &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (p->none.n > 0 && plan_changed_files(p) == 0)
		rc = EXIT_FAIL;
	if (oc->action != NULL) {
		oc->done = rc == 0;
		oc->detail = rc != 0 ? "the signer's configuration cannot be "
		    "switched by notspam: see plan.none" : oc->w->yes &&
		    !oc->w->dry_run ? "published: result says what the "
		    "transaction did; once written, notspam sees it active "
		    "and the key it replaces retired" : "published: notspam "
		    "keys switch --yes writes this change";
		oc->plan = p;
		goto save;
	}
	if (!oc->w->dry_run && !oc->w->yes && (!isatty(STDIN_FILENO) ||
	    !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "notspam: keys switch: %s._domainkey.%s is "
		    "published, and this is not a terminal: add --yes to write "
		    "the change, or --dry-run to see it\n", e->selector,
		    e->domain);
		plan_free(p);
		return EX_USAGE;
	}
	printf("%s._domainkey.%s is published: switch %s to it.\n",
	    e->selector, e->domain, e->signer);
	cli_apply_show(p, oc->w->dry_run ? "notspam keys switch --yes" :
	    "notspam keys switch");
	if (rc == 0 && oc->w->dry_run)
		rc = plan_changed_files(p) > 0 ? EXIT_WARN : 0;
	else if (rc == 0) {
		rc = cli_apply_commit(oc->w->o, p, oc->w->yes,
		    oc->w->timeout_ms, NULL);
		if (rc == 0)
			printf("notspam now sees it active (notspam keys) and "
			    "the key it replaces retired.\n");
	}
	plan_free(p);
save:
	if (ck_advance(l, warnings) != 0 && rc == 0)
		rc = EXIT_WARN;
	return rc;
}

/* "keys retire": refused for the key the signer uses. */
static int
ck_retire(struct keys_list *l, struct keys_entry *e, long long now,
    struct ck_outcome *oc)
{
	char *cause = NULL, date[16];

	switch (keys_retire(l, e, now, &cause)) {
	case KEYS_EREFUSED:
		ck_refused(cause, e);
		return EXIT_FAIL;
	case KEYS_OK:
	case KEYS_ESAVE:
		break;
	default:
		cli_error(cause);
		free(cause);
		return EX_SOFTWARE;
	}
	if (oc->action != NULL) {
		oc->done = cause == NULL;
		oc->until = now + KEYSTATE_GRACE_DAYS * 86400LL;
		oc->detail = "keep its record published until publish_until, "
		    "then revoke it";
		return ck_saved(cause);
	}
	ck_date(now + KEYSTATE_GRACE_DAYS * 86400LL, date, sizeof date);
	printf("%s._domainkey.%s retired: keep its record published until %s, "
	    "then: notspam keys revoke %s %s\n", e->selector, e->domain, date,
	    e->domain, e->selector);
	return ck_saved(cause);
}

/* "keys revoke": the p= empty record to publish. */
static int
ck_revoke(struct keys_list *l, struct keys_entry *e, long long now,
    struct ck_outcome *oc)
{
	struct keys_revoked rv;
	struct record r;
	char *cause = NULL, *zone;
	int rc;

	switch (keys_revoke(l, e, now, &rv, &cause)) {
	case KEYS_EREFUSED:
		ck_refused(cause, e);
		return EXIT_FAIL;
	case KEYS_OK:
	case KEYS_ESAVE:
		break;
	default:
		cli_error(cause);
		free(cause);
		return EX_SOFTWARE;
	}
	ck_record(&r, e->domain, e->selector, rv.record);
	zone = records_zone_line(&r);
	ck_record_free(&r);
	if (oc->action != NULL) {
		oc->done = cause == NULL;
		oc->early = rv.early;
		oc->zone = zone;
		oc->detail = "publish this record instead of the key (p= empty "
		    "tells verifiers it is withdrawn), then delete the private "
		    "key";
		keys_revoked_free(&rv);
		return ck_saved(cause);
	}
	if (rv.early)
		printf("note: retired less than %d days ago: mail still in "
		    "transit may fail verification\n", KEYSTATE_GRACE_DAYS);
	printf("%s._domainkey.%s revoked.  Publish instead of its key (p= "
	    "empty tells verifiers it is withdrawn):\n", e->selector,
	    e->domain);
	cli_put_zone(stdout, zone);
	putchar('\n');
	free(zone);
	if (e->path != NULL) {
		printf("then delete the private key: rm ");
		cli_put(stdout, e->path);
		putchar('\n');
	}
	keys_revoked_free(&rv);
	rc = ck_saved(cause);
	return rc;
}

/* SECONDS of --timeout into milliseconds; -1 when not 1..3600. */
static int
ck_seconds(const char *v)
{
	char *end;
	long n;

	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < 1 || n > 3600)
		return -1;
	return (int)n * 1000;
}

/* DOMAIN SELECTOR, and for switch how to write its change: --dry-run,
 * --yes (needed without a terminal, as for apply; with --json, leaving it
 * out is a dry run), --timeout.  -1 after the usage message. */
static int
ck_write_args(const struct cli_opts *o, const char *verb, int argc,
    char **argv, struct ck_write *w)
{
	int i, sw = strcmp(verb, "switch") == 0;

	memset(w, 0, sizeof *w);
	w->o = o;
	for (i = 4; sw && i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			w->dry_run = 1;
		else if (strcmp(argv[i], "--yes") == 0)
			w->yes = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		    (w->timeout_ms = ck_seconds(argv[i + 1])) > 0)
			i++;
		else
			break;
	}
	if (argc < 4 || i < argc || argv[2][0] == '-' || argv[3][0] == '-') {
		fprintf(stderr, "usage: notspam keys %s DOMAIN SELECTOR%s\n",
		    verb, sw ? " [--dry-run | --yes] [--timeout SECONDS]" : "");
		return -1;
	}
	if (sw && o->json && !w->yes)
		w->dry_run = 1;
	return 0;
}

/* "keys switch|retire|revoke DOMAIN SELECTOR". */
static int
ck_transition(const struct cli_opts *o, const char *verb, int argc,
    char **argv)
{
	struct session *s;
	struct keys_list *l;
	struct keys_entry *e;
	struct strv warnings;
	struct ck_outcome oc;
	struct ck_write w;
	char *domain, *cause = NULL;
	long long now = (long long)time(NULL);
	int rc = 0;
	size_t i;

	if (ck_write_args(o, verb, argc, argv, &w) != 0)
		return EX_USAGE;
	if ((domain = ck_domain(argv[2])) == NULL)
		return EX_USAGE;
	if (keygen_check_selector(argv[3], &cause) != 0) {
		cli_error(cause);
		free(cause);
		free(domain);
		return EX_USAGE;
	}
	if ((l = ck_list(o, &s, &rc)) == NULL) {
		free(domain);
		return rc;
	}
	strv_init(&warnings);
	if ((e = keys_lookup(l, domain, argv[3], &cause)) == NULL) {
		cli_error(cause);
		free(cause);
		rc = EX_USAGE;
	} else {
		/* With --json the outcome is one object (action set). */
		memset(&oc, 0, sizeof oc);
		oc.w = &w;
		if (o->json)
			oc.action = verb;
		if (strcmp(verb, "switch") == 0)
			rc = ck_switch(s, l, e, &warnings, &oc);
		else if (strcmp(verb, "retire") == 0)
			rc = ck_retire(l, e, now, &oc);
		else
			rc = ck_revoke(l, e, now, &oc);
		if (o->json && (rc == 0 || rc == EXIT_WARN ||
		    oc.zone != NULL || oc.detail != NULL))
			rc = ck_outcome_json(e, &oc, &warnings, rc);
		else
			free(oc.zone);
		plan_free(oc.plan);
		for (i = 0; !o->json && i < warnings.n; i++)
			cli_error(warnings.v[i]);
	}
	strv_free(&warnings);
	keys_list_free(l);
	session_close(s);
	free(domain);
	return rc;
}

int
cli_keys(const struct cli_opts *o, int argc, char **argv)
{
	int i, offline = 0;

	if (argc >= 2 && strcmp(argv[1], "rotate") == 0)
		return ck_rotate(o, argc, argv);
	if (argc >= 2 && (strcmp(argv[1], "switch") == 0 ||
	    strcmp(argv[1], "retire") == 0 || strcmp(argv[1], "revoke") == 0))
		return ck_transition(o, argv[1], argc, argv);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--offline") == 0)
			offline = 1;
		else {
			fputs("usage: notspam keys [--offline]\n"
			    "       notspam keys rotate DOMAIN [--selector S] "
			    "[--type T] [--bits N]\n"
			    "       notspam keys switch DOMAIN SELECTOR "
			    "[--dry-run | --yes]\n"
			    "       notspam keys retire|revoke DOMAIN "
			    "SELECTOR\n", stderr);
			return EX_USAGE;
		}
	}
	return ck_keys_list(o, offline);
}
