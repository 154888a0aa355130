/* opensmtpd_plan.c: the OpenSMTPD side of a plan (smtpd.conf, 6.4+).
 *
 * With filter-dkimsign: its filter statement before the first listen
 * line, and "filter NAME" on the listeners outbound mail comes in
 * through (the local socket, the loopback, authenticated submission;
 * never a public listener without auth, whose mail the filter would sign
 * too).  With dkimproxy (the smtpd.conf(5) and OpenBSD guide wiring):
 *   listen on lo0 port 10028 tag DKIM      (lo0 on OpenBSD; the relay
 *                                           address on Linux, where
 *                                           Debian's smtpd refuses lo0)
 *   action "relay" relay
 *   action "dkimproxy" relay host smtp://127.0.0.1:10027
 *   match tag DKIM for any action "relay"  (before the untagged matches)
 *   match ... action "dkimproxy"           (what went to "relay" before)
 * Then the HELO of the outbound relay action (the PTR name), and the
 * IPv6 fallback ("src" on that action), offered unless asked for.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/apply/plan.h"
#include "core/conf/conf.h"
#include "core/lib/fsroot.h"
#include "core/lib/util.h"
#include "backends/backend.h"
#include "backends/common.h"

#define SMP_TAG		"DKIM"
#define SMP_PROXY	"dkimproxy"
#define SMP_RELAY	"relay"

struct smp {
	struct plan_ctx		*pc;
	const struct site	*site;
	struct plan_want	*w;
	struct plan_file	*conf;
	int			 lo_fix;	/* "listen on localhost" must
						 * become "listen on lo" */
};

#define SMP_LO_WHY	"smtpd resolves localhost, and with /etc/hosts " \
	"naming it for 127.0.0.1 and ::1 glibc gives 127.0.0.1 twice: smtpd " \
	"binds it twice and does not start (Address already in use; " \
	"OpenSMTPD issue #1075); the loopback interface lo listens on the " \
	"same addresses once"

/* The words of an entry after its first, as written, word i replaced by
 * with (NULL: kept), extra appended (NULL: none); caller frees. */
static char *
smp_words(const struct conf_entry *e, int i, const char *with,
    const char *extra)
{
	struct buf b;
	int j;

	buf_init(&b);
	for (j = 1; j < e->raw_argc; j++)
		buf_printf(&b, "%s%s", j > 1 ? " " : "", j == i && with != NULL ?
		    with : e->raw_argv[j]);
	if (extra != NULL)
		buf_printf(&b, "%s%s", b.len > 0 ? " " : "", extra);
	buf_add(&b, "", 0);
	return buf_steal(&b);
}

/* The index of word w in e's words (tokens, quotes removed), or -1. */
static int
smp_word(const struct conf_entry *e, const char *w)
{
	int i;

	for (i = 1; i < e->argc; i++)
		if (strcmp(e->argv[i], w) == 0)
			return i;
	return -1;
}

/* Top-level statements only (no macro), of a kind. */
static int
smp_is(const struct conf_entry *e, const char *kind)
{
	return !e->is_macro && e->key != NULL && strcmp(e->key, kind) == 0;
}

/* The first (or last) statement of a kind, or NULL. */
static const struct conf_entry *
smp_first(const struct smp *o, const char *kind, int last)
{
	const struct conf_entry *found = NULL;
	size_t i;

	for (i = 0; i < o->conf->doc->nentries; i++)
		if (smp_is(&o->conf->doc->entries[i], kind)) {
			found = &o->conf->doc->entries[i];
			if (!last)
				break;
		}
	return found;
}

/* Is this the OpenBSD layout (lo0 is the loopback there)? */
static int
smp_openbsd(const struct smp *o)
{
	const struct conf_entry *e;
	size_t i;
	int j;

	if (fsroot_exists(o->site->root, "/usr/sbin/rcctl"))
		return 1;
	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (smp_is(e, "listen") && (j = smp_word(e, "on")) >= 0 &&
		    j + 1 < e->argc && strcmp(e->argv[j + 1], "lo0") == 0)
			return 1;
	}
	return strcmp(o->conf->path, "/etc/mail/smtpd.conf") == 0 &&
	    !fsroot_exists(o->site->root, "/etc/debian_version");
}

/* ---- listen on localhost, on Linux ---- */

/* Does /etc/hosts name localhost on an IPv6 line as well as an IPv4 one
 * (Debian's stock file: "127.0.0.1 localhost", "::1 localhost ...")? */
static int
smp_hosts_twice(const struct smp *o)
{
	struct strv words;
	char *data = NULL, *line, *next, *cause = NULL;
	size_t len, i;
	int v4 = 0, v6 = 0;

	if (fsroot_read(o->site->root, "/etc/hosts", 0, &data, &len,
	    &cause) != 0) {
		free(cause);
		return 0;
	}
	for (line = data; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		strv_init(&words);
		str_split(line, " \t", &words);
		for (i = 1; i < words.n; i++)
			if (strcasecmp(words.v[i], "localhost") == 0) {
				if (strchr(words.v[0], ':') != NULL)
					v6 = 1;
				else
					v4 = 1;
			}
		strv_free(&words);
	}
	free(data);
	return v4 && v6;
}

/*
 * "listen on localhost" on Linux: smtpd resolves the name, and glibc,
 * reading Debian's stock /etc/hosts, gives 127.0.0.1 twice (once for the
 * ::1 line): smtpd binds 127.0.0.1:25 twice and does not start ("pony
 * express: listen: Address already in use", OpenSMTPD issue #1075,
 * Debian bug #976194), though smtpd -n says "configuration OK".  The
 * interface lo listens on the same addresses, once each.
 */
/* The index of the "localhost" word of a listen line to rewrite as lo,
 * or -1. */
static int
smp_lo_word(const struct smp *o, const struct conf_entry *e)
{
	int j;

	if (!o->lo_fix || !smp_is(e, "listen") || (j = smp_word(e, "on")) < 0 ||
	    j + 1 >= e->argc || strcasecmp(e->argv[j + 1], "localhost") != 0)
		return -1;
	return j + 1;
}

/* The listen lines on localhost no other edit rewrote. */
static void
smp_localhost(struct smp *o)
{
	const struct conf_entry *e;
	char *value;
	size_t i;
	int j;

	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if ((j = smp_lo_word(o, e)) < 0)
			continue;
		value = smp_words(e, j, "lo", NULL);
		plan_set_entry(o->conf, e, value, "%s", SMP_LO_WHY);
		free(value);
	}
}

/* ---- filter-dkimsign ---- */

/* Does a listen line take outbound mail: the socket, a loopback listener
 * without a tag (a tagged one is a signer's way back), or "auth"? */
static int
smp_outbound_listen(const struct conf_entry *e)
{
	int i = smp_word(e, "on");

	if (i < 0 || i + 1 >= e->argc)
		return 0;
	if (strcmp(e->argv[i + 1], "socket") == 0)
		return 1;
	if (smp_word(e, "tag") >= 0)
		return 0;
	return bk_is_loopback(e->argv[i + 1]) || smp_word(e, "auth") >= 0;
}

/* Does the listen line use the filter (alone or in a { } list)? */
static int
smp_uses_filter(const struct conf_entry *e, const char *name)
{
	int i = smp_word(e, "filter");

	for (; i >= 0 && i + 1 < e->argc; i++) {
		if (strcmp(e->argv[i + 1], name) == 0)
			return 1;
		if (strcmp(e->argv[i + 1], "{") != 0 &&
		    strcmp(e->argv[i + 1], ",") != 0 && i > smp_word(e,
		    "filter"))
			break;
	}
	return 0;
}

/* The filter statement, defined before the first listen line. */
static void
smp_filter_statement(struct smp *o)
{
	const struct conf_entry *e = NULL;
	char *value, *text;
	size_t i;

	value = xasprintf("\"%s\" %s", o->w->filter_name, o->w->filter_text);
	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (smp_is(e, "filter") && e->argc > 1 &&
		    strcmp(e->argv[1], o->w->filter_name) == 0)
			break;
		e = NULL;
	}
	if (e != NULL) {
		if (strcmp(e->raw_value, value) != 0)
			plan_set_entry(o->conf, e, value, "filter-dkimsign signs "
			    "every domain (-d), with the key and selector given");
	} else {
		text = xasprintf("filter %s", value);
		plan_insert(o->conf, smp_first(o, "listen", 0), 1, text,
		    "filter-dkimsign signs the mail of every domain (one -d "
		    "each); smtpd starts it as the filter \"%s\"",
		    o->w->filter_name);
		free(text);
	}
	free(value);
}

/*
 * What the probe after the restart dials: the first loopback TCP
 * listener that hands its mail to the filter (smtpd runs filter-dkimsign
 * as its child and does not serve without it), its port or 25.
 */
static void
smp_filter_probe(struct smp *o)
{
	const struct conf_entry *e;
	const char *on, *port;
	char *text, *cause = NULL;
	size_t i;
	int j, p;

	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (!smp_is(e, "listen") || (j = smp_word(e, "on")) < 0 ||
		    j + 1 >= e->argc || !bk_is_loopback(e->argv[j + 1]) ||
		    !smp_uses_filter(e, o->w->filter_name))
			continue;
		on = e->argv[j + 1];
		if (strcasecmp(on, "lo") == 0 || strcasecmp(on, "lo0") == 0 ||
		    strcasecmp(on, "localhost") == 0)
			on = "127.0.0.1";
		p = smp_word(e, "port");
		port = p >= 0 && p + 1 < e->argc ? e->argv[p + 1] : "25";
		text = xasprintf(strchr(on, ':') != NULL ? "[%s]:%s" : "%s:%s",
		    on, port);
		sockspec_free(&o->w->listener);
		if (sockspec_parse(SOCKSPEC_HOSTPORT, text, &o->w->listener,
		    &cause) != 0)
			free(cause);
		free(text);
		return;
	}
}

static void
smp_filter(struct smp *o)
{
	const struct conf_entry *e;
	char *extra, *value, *text;
	size_t i;
	int socket = 0, j, lo;

	smp_filter_statement(o);
	extra = xasprintf("filter \"%s\"", o->w->filter_name);
	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (!smp_is(e, "listen") || !smp_outbound_listen(e))
			continue;
		j = smp_word(e, "on");
		socket |= strcmp(e->argv[j + 1], "socket") == 0;
		if (smp_uses_filter(e, o->w->filter_name))
			continue;
		if (smp_word(e, "filter") >= 0) {
			plan_note(o->pc->plan, "%s:%zu: this listener has a "
			    "filter already: add \"%s\" to it as a filter "
			    "chain yourself", o->conf->path, e->lineno,
			    o->w->filter_name);
			continue;
		}
		lo = smp_lo_word(o, e);
		value = smp_words(e, lo, lo >= 0 ? "lo" : NULL, extra);
		plan_set_entry(o->conf, e, value, "outbound mail comes in "
		    "here: filter-dkimsign signs it%s%s", lo >= 0 ? "; and " :
		    "", lo >= 0 ? SMP_LO_WHY : "");
		free(value);
	}
	if (!socket) {
		text = xasprintf("listen on socket %s", extra);
		e = smp_first(o, "listen", 0);
		plan_insert(o->conf, e, e != NULL, text, "local mail (sendmail, "
		    "cron, web apps) comes in through the socket: "
		    "filter-dkimsign signs it too");
		free(text);
	}
	free(extra);
	smp_filter_probe(o);
	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (smp_is(e, "listen") && !smp_outbound_listen(e) &&
		    smp_word(e, "tag") < 0 && smp_word(e, "auth-optional") >= 0)
			plan_note(o->pc->plan, "%s:%zu: this public listener "
			    "takes submissions with auth-optional: its mail is "
			    "not signed (signing it would sign inbound mail "
			    "too); give submission a listener with auth",
			    o->conf->path, e->lineno);
	}
}

/* ---- dkimproxy ---- */

/* The host and port of "host:port" (caller frees *host). */
static void
smp_hostport(const char *hp, char **host, const char **port)
{
	const char *c = strrchr(hp, ':');

	*host = c != NULL ? xstrndup(hp, (size_t)(c - hp)) :
	    xstrdup("127.0.0.1");
	*port = c != NULL ? c + 1 : hp;
}

/* The tag of the listener dkimproxy hands mail back to (added when
 * missing); caller frees. */
static char *
smp_return_listen(struct smp *o)
{
	const struct conf_entry *e;
	char *host, *text, *tag = NULL;
	const char *port;
	size_t i;
	int j, p;

	smp_hostport(o->w->proxy_relay, &host, &port);
	for (i = 0; i < o->conf->doc->nentries && tag == NULL; i++) {
		e = &o->conf->doc->entries[i];
		if (!smp_is(e, "listen") || (j = smp_word(e, "on")) < 0 ||
		    j + 1 >= e->argc || !bk_is_loopback(e->argv[j + 1]) ||
		    (p = smp_word(e, "port")) < 0 || p + 1 >= e->argc ||
		    strcmp(e->argv[p + 1], port) != 0 ||
		    (p = smp_word(e, "tag")) < 0 || p + 1 >= e->argc)
			continue;
		tag = xstrdup(e->argv[p + 1]);
	}
	if (tag == NULL) {
		tag = xstrdup(SMP_TAG);
		text = xasprintf("listen on %s port %s tag %s", smp_openbsd(o) ?
		    "lo0" : host, port, tag);
		plan_insert(o->conf, smp_first(o, "listen", 1), 0, text,
		    "dkimproxy hands the signed mail back here (its relay "
		    "%s), tagged %s so it is relayed, not signed again%s",
		    o->w->proxy_relay, tag, smp_openbsd(o) ? "" : "; on Linux "
		    "the loopback address (smtpd refuses OpenBSD's lo0)");
		free(text);
	}
	free(host);
	return tag;
}

/* An action relaying to host (NULL: the plain outbound relay, no host);
 * its name, or NULL. */
static const char *
smp_action(const struct smp *o, const char *host)
{
	const struct conf_entry *e;
	size_t i;
	int h;

	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (!smp_is(e, "action") || e->argc < 3 ||
		    strcmp(e->argv[2], "relay") != 0)
			continue;
		h = smp_word(e, "host");
		if (host == NULL ? h < 0 && smp_word(e, "backup") < 0 :
		    h >= 0 && h + 1 < e->argc && strstr(e->argv[h + 1],
		    host) != NULL)
			return e->argv[1];
	}
	return NULL;
}

/* The outbound relay action and the one to dkimproxy; added when
 * missing.  Copies in *relay and *proxy (caller frees). */
static void
smp_actions(struct smp *o, char **relay, char **proxy)
{
	const struct conf_entry *at;
	const char *r, *p;
	char *text;

	if ((r = smp_action(o, NULL)) == NULL) {
		at = smp_first(o, "action", 1);
		plan_insert(o->conf, at != NULL ? at : smp_first(o, "match", 0),
		    at == NULL, "action \"" SMP_RELAY "\" relay", "the way out: "
		    "signed mail is relayed to its destination");
		r = SMP_RELAY;
	}
	*relay = xstrdup(r);
	if ((p = smp_action(o, o->w->proxy_listen)) == NULL) {
		text = xasprintf("action \"%s\" relay host smtp://%s", SMP_PROXY,
		    o->w->proxy_listen);
		at = smp_first(o, "action", 1);
		plan_insert(o->conf, at != NULL ? at : smp_first(o, "match", 0),
		    at == NULL, text, "outbound mail is relayed to dkimproxy "
		    "at %s to be signed", o->w->proxy_listen);
		free(text);
		p = SMP_PROXY;
	}
	*proxy = xstrdup(p);
}

/* The entry index of the first match that relays outbound mail through
 * action name, untagged; or nentries. */
static size_t
smp_first_match(const struct smp *o, const char *name)
{
	const struct conf_entry *e;
	size_t i;
	int a;

	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (smp_is(e, "match") && smp_word(e, "tag") < 0 &&
		    (a = smp_word(e, "action")) >= 0 && a + 1 < e->argc &&
		    strcmp(e->argv[a + 1], name) == 0)
			return i;
	}
	return o->conf->doc->nentries;
}

/* Matches that went to relay go to dkimproxy; the tagged match first. */
static void
smp_matches(struct smp *o, const char *tag, const char *relay,
    const char *proxy)
{
	const struct conf_entry *e;
	char *value, *text, *q;
	size_t i, first, back = (size_t)-1;
	int a, t;

	q = xasprintf("\"%s\"", proxy);
	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (!smp_is(e, "match") || smp_word(e, "tag") >= 0 ||
		    (a = smp_word(e, "action")) < 0 || a + 1 >= e->argc ||
		    strcmp(e->argv[a + 1], relay) != 0)
			continue;
		value = smp_words(e, a + 1, q, NULL);
		plan_set_entry(o->conf, e, value, "outbound mail goes through "
		    "dkimproxy to be signed (it went to \"%s\" unsigned)",
		    relay);
		free(value);
	}
	free(q);
	first = smp_first_match(o, proxy);
	for (i = 0; i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (smp_is(e, "match") && (t = smp_word(e, "tag")) >= 0 &&
		    t + 1 < e->argc && strcmp(e->argv[t + 1], tag) == 0 &&
		    (a = smp_word(e, "action")) >= 0 && a + 1 < e->argc &&
		    strcmp(e->argv[a + 1], relay) == 0) {
			back = i;
			break;
		}
	}
	if (back != (size_t)-1 && back < first)
		return;
	if (back != (size_t)-1)
		plan_delete(o->conf, &o->conf->doc->entries[back], "moved "
		    "before the matches that send mail to dkimproxy: the first "
		    "match wins");
	first = smp_first_match(o, proxy);
	text = xasprintf("match tag %s for any action \"%s\"", tag, relay);
	plan_insert(o->conf, first < o->conf->doc->nentries ?
	    &o->conf->doc->entries[first] : NULL, first <
	    o->conf->doc->nentries, text, "mail back from dkimproxy (tag %s) "
	    "is signed: relay it; before the matches that send mail to "
	    "dkimproxy, or it would loop", tag);
	free(text);
}

static void
smp_proxy(struct smp *o)
{
	char *tag, *relay, *proxy;

	tag = smp_return_listen(o);
	smp_actions(o, &relay, &proxy);
	smp_matches(o, tag, relay, proxy);
	free(tag);
	free(relay);
	free(proxy);
}

/* ---- HELO and IPv6 ---- */

/* The outbound relay action (the plain relay), or NULL. */
static const struct conf_entry *
smp_out_action(const struct smp *o)
{
	const char *name = smp_action(o, NULL);
	const struct conf_entry *e;
	size_t i;

	for (i = 0; name != NULL && i < o->conf->doc->nentries; i++) {
		e = &o->conf->doc->entries[i];
		if (smp_is(e, "action") && e->argc > 1 &&
		    strcmp(e->argv[1], name) == 0)
			return e;
	}
	return NULL;
}

/* Give the outbound action option word its value (added or replaced). */
static void
smp_action_option(struct smp *o, const char *word, const char *value,
    const char *reason)
{
	const struct conf_entry *e = smp_out_action(o);
	char *v, *extra;
	int i;

	if (e == NULL)
		return;
	i = smp_word(e, word);
	if (i >= 0 && i + 1 < e->argc && strcmp(e->argv[i + 1], value) == 0)
		return;
	extra = xasprintf("%s %s", word, value);
	v = i >= 0 && i + 1 < e->argc ? smp_words(e, i + 1, value, NULL) :
	    smp_words(e, -1, NULL, extra);
	plan_set_entry(o->conf, e, v, "%s", reason);
	free(v);
	free(extra);
}

static void
smp_helo(struct smp *o)
{
	const char *now = site_helo(o->site);
	char *why;

	if (o->w->helo == NULL || (now != NULL &&
	    strcasecmp(now, o->w->helo) == 0))
		return;
	why = xasprintf("receivers compare the HELO name with the PTR name of "
	    "the sending address: the PTR of %s names %s%s%s", o->w->helo_why,
	    o->w->helo, now != NULL ? "; replaces " : "", now != NULL ? now :
	    "");
	smp_action_option(o, "helo", o->w->helo, why);
	free(why);
}

static void
smp_ipv6(struct smp *o)
{
	const struct conf_entry *e = smp_out_action(o);
	const char *v4 = o->site->ipv4.n > 0 ? o->site->ipv4.v[0] : NULL;
	char *why, *what;

	if (!o->w->v6_offer || e == NULL || smp_word(e, "src") >= 0)
		return;
	why = xasprintf("%s has no PTR record, and Gmail refuses mail over "
	    "IPv6 from an address without one (550-5.7.1 ... IPv6 sending "
	    "guidelines); until the provider sets the PTR", o->w->v6_why);
	if (o->w->v6 == PLAN_V6_IPV4 && v4 != NULL) {
		what = xasprintf("%s, smtpd sends from %s (ipv6_fallback = "
		    "ipv4 in notspam.conf)", why, v4);
		smp_action_option(o, "src", v4, what);
		free(what);
	} else if (o->w->v6 == PLAN_V6_BIND && o->w->bind6 != NULL) {
		what = xasprintf("%s, smtpd sends from %s, which has one "
		    "(ipv6_fallback = bind in notspam.conf)", why, o->w->bind6);
		smp_action_option(o, "src", o->w->bind6, what);
		free(what);
	} else if (v4 != NULL) {
		what = xasprintf("action \"%s\" relay ... src %s", e->argv[1],
		    v4);
		plan_offer(o->pc->plan, &backend_opensmtpd, what,
		    "ipv6_fallback = ipv4", "%s, smtpd can send from the IPv4 "
		    "address only", why);
		free(what);
	}
	free(why);
}

/* smtpd -n -f FILE; it opens the tables the file names, so not under
 * --root. */
static void
smp_check(struct smp *o, const struct site_program *prog)
{
	struct strv argv;

	strv_init(&argv);
	backend_validate_argv(&backend_opensmtpd, o->pc->bctx, prog, &argv);
	if (argv.n > 0)
		plan_check(o->pc->plan, &backend_opensmtpd,
		    (const char *const *)argv.v, argv.n - 1, 0, 1);
	strv_free(&argv);
}

int
opensmtpd_plan(struct plan_ctx *pc)
{
	const struct site_program *prog = site_program(pc->site,
	    backend_opensmtpd.name);
	struct smp o;
	char *cause = NULL;

	if (pc->probe || prog == NULL || prog->config == NULL)
		return -1;
	memset(&o, 0, sizeof o);
	o.pc = pc;
	o.site = pc->site;
	o.w = pc->want;
	if (o.w->hook == PLAN_HOOK_MILTER) {
		plan_none(pc->plan, "opensmtpd + %s: OpenSMTPD hands no mail to "
		    "milters; use filter-dkimsign or dkimproxy",
		    o.w->signer->name);
		return -1;
	}
	if ((o.conf = plan_file(pc, &backend_opensmtpd, CONF_SMTPD,
	    prog->config, 0644, &cause)) == NULL) {
		plan_none(pc->plan, "opensmtpd: %s; fix it first", cause);
		free(cause);
		return -1;
	}
	o.lo_fix = !smp_openbsd(&o) && smp_hosts_twice(&o);
	if (o.w->hook == PLAN_HOOK_FILTER)
		smp_filter(&o);
	else if (o.w->hook == PLAN_HOOK_PROXY)
		smp_proxy(&o);
	smp_localhost(&o);
	smp_helo(&o);
	smp_ipv6(&o);
	smp_check(&o, prog);
	return 0;
}
