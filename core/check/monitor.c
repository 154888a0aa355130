/* monitor.c: check results as a Nagios plugin's output and as a Prometheus
 * textfile (see monitor.h). */
#include "core/check/monitor.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check/summary.h"
#include "core/lib/util.h"
#include "core/site/path.h"

/* The counts of a run by status, and how many domains (not the host). */
struct monitor_sum {
	size_t	 st[CHECK_UNKNOWN + 1];
	size_t	 total;
	size_t	 domains;
};

static void
monitor_count(const struct monitor_run *r, struct monitor_sum *s)
{
	size_t i, k;

	memset(s, 0, sizeof *s);
	for (i = 0; i < r->n; i++) {
		if (!r->ds[i].host)
			s->domains++;
		for (k = 0; k < r->ds[i].nitems; k++) {
			s->st[r->ds[i].items[k].status]++;
			s->total++;
		}
	}
}

const char *
monitor_state_name(enum monitor_state st)
{
	static const char *const names[] = {
		[MONITOR_OK] = "OK",
		[MONITOR_WARNING] = "WARNING",
		[MONITOR_CRITICAL] = "CRITICAL",
		[MONITOR_UNKNOWN] = "UNKNOWN",
	};

	return (unsigned)st <= MONITOR_UNKNOWN ? names[st] : "UNKNOWN";
}

static enum monitor_state
monitor_state_of(const struct monitor_run *r, const struct monitor_sum *s)
{
	if (r->unreachable)
		return MONITOR_UNKNOWN;
	if (s->st[CHECK_FAIL] > 0)
		return MONITOR_CRITICAL;
	if (s->st[CHECK_WARN] > 0 || s->st[CHECK_UNKNOWN] > 0 ||
	    s->st[CHECK_PENDING] > 0)
		return MONITOR_WARNING;
	return MONITOR_OK;
}

enum monitor_state
monitor_state(const struct monitor_run *r)
{
	struct monitor_sum s;

	monitor_count(r, &s);
	return monitor_state_of(r, &s);
}

/* Append t to b with every '|' as \x7c. */
static void
monitor_nopipe(struct buf *b, const char *t)
{
	size_t n;

	while (*t != '\0') {
		n = strcspn(t, "|");
		buf_add(b, t, n);
		t += n;
		if (*t == '|') {
			buf_adds(b, "\\x7c");
			t++;
		}
	}
}

void
monitor_nagios_text(struct buf *b, const char *s, int raw)
{
	char *t;

	if (s == NULL)
		return;
	t = raw ? str_sanitize(s, strlen(s)) : str_shown(s, strlen(s));
	monitor_nopipe(b, t);
	free(t);
}

/* Cut what was appended to b since start to MONITOR_LINE_MAX bytes, on a
 * UTF-8 character's first byte, marked by "...". */
static void
monitor_cut(struct buf *b, size_t start)
{
	size_t pos;

	if (b->len - start <= MONITOR_LINE_MAX)
		return;
	pos = start + MONITOR_LINE_MAX - 3;
	while (pos > start && ((unsigned char)b->data[pos] & 0xc0) == 0x80)
		pos--;
	b->len = pos;
	b->data[pos] = '\0';
	buf_adds(b, "...");
}

void
monitor_perfdata(struct buf *b, const char *label, const char *value,
    const char *uom, const char *warn, const char *crit, const char *min,
    const char *max)
{
	const char *f[4] = { warn, crit, min, max };
	struct buf l;
	const char *p;
	int last, i;

	if (b->len > 0 && b->data[b->len - 1] != ' ')
		buf_addc(b, ' ');
	buf_init(&l);
	monitor_nagios_text(&l, label, 1);
	if (l.len > 0 && strcspn(l.data, " '=") == l.len)
		buf_add(b, l.data, l.len);
	else {
		buf_addc(b, '\'');
		for (p = l.data != NULL ? l.data : ""; *p != '\0'; p++) {
			if (*p == '\'')
				buf_addc(b, '\'');
			buf_addc(b, *p);
		}
		buf_addc(b, '\'');
	}
	buf_free(&l);
	buf_addc(b, '=');
	buf_adds(b, value);
	if (uom != NULL)
		buf_adds(b, uom);
	for (last = 3; last >= 0 && (f[last] == NULL || *f[last] == '\0');
	    last--)
		;
	for (i = 0; i <= last; i++) {
		buf_addc(b, ';');
		if (f[i] != NULL)
			buf_adds(b, f[i]);
	}
}

/* "N name" for each status with checks, worst first, ", " between. */
static void
monitor_counts_text(struct buf *b, const struct monitor_sum *s)
{
	static const enum check_status order[] = {
		CHECK_FAIL, CHECK_UNKNOWN, CHECK_WARN, CHECK_PENDING
	};
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (s->st[order[i]] == 0)
			continue;
		buf_printf(b, "%s%zu %s", first ? "" : ", ", s->st[order[i]],
		    check_status_name(order[i]));
		first = 0;
	}
}

/* The status line's text between the state and the perfdata. */
static void
monitor_summary(struct buf *b, const struct monitor_run *r,
    const struct monitor_sum *s, enum monitor_state st,
    const struct finding *worst)
{
	const char *dom = s->domains == 1 ? "domain" : "domains";

	switch (st) {
	case MONITOR_OK:
		buf_printf(b, "%zu checks ok for %zu %s", s->total,
		    s->domains, dom);
		break;
	case MONITOR_UNKNOWN:
		buf_adds(b, "the resolver ");
		monitor_nagios_text(b, r->resolver != NULL ? r->resolver :
		    "(none)", 1);
		buf_printf(b, " did not answer: %zu of %zu checks unknown",
		    s->st[CHECK_UNKNOWN], s->total);
		break;
	case MONITOR_WARNING:
	case MONITOR_CRITICAL:
		monitor_counts_text(b, s);
		buf_printf(b, " in %zu checks of %zu %s", s->total, s->domains,
		    dom);
		if (worst != NULL) {
			buf_adds(b, "; worst: ");
			monitor_nagios_text(b, worst->domain, 1);
			buf_addc(b, ' ');
			monitor_nagios_text(b, worst->item->id, 1);
		}
		break;
	}
}

/* The perfdata of the status line. */
static void
monitor_nagios_perf(struct buf *b, const struct monitor_run *r,
    const struct monitor_sum *s)
{
	char v[32], max[32], t[48];

	snprintf(max, sizeof max, "%zu", s->total);
	snprintf(v, sizeof v, "%zu", s->st[CHECK_OK]);
	monitor_perfdata(b, "ok", v, NULL, NULL, NULL, "0", max);
	snprintf(v, sizeof v, "%zu", s->st[CHECK_WARN]);
	monitor_perfdata(b, "warn", v, NULL, "0", NULL, "0", max);
	snprintf(v, sizeof v, "%zu", s->st[CHECK_FAIL]);
	monitor_perfdata(b, "fail", v, NULL, NULL, "0", "0", max);
	snprintf(v, sizeof v, "%zu", s->st[CHECK_UNKNOWN]);
	monitor_perfdata(b, "unknown", v, NULL, "0", NULL, "0", max);
	snprintf(v, sizeof v, "%zu", s->domains);
	monitor_perfdata(b, "domains", v, NULL, NULL, NULL, "0", NULL);
	/* Integer arithmetic: no locale puts a comma in it. */
	snprintf(t, sizeof t, "%lld.%06lld", r->duration_ns / 1000000000,
	    r->duration_ns % 1000000000 / 1000);
	monitor_perfdata(b, "time", t, "s", NULL, NULL, "0", NULL);
}

/* The long output: the findings worst first (the unknown ones left out
 * when the resolver answered nothing: the status line stands for them),
 * then the configuration warnings. */
static void
monitor_long(struct buf *b, const struct monitor_run *r,
    const struct finding *f, size_t nf)
{
	size_t i, shown = 0, more = 0, start;

	if (r->unreachable) {
		start = b->len;
		buf_adds(b, "no query got an answer from ");
		monitor_nagios_text(b, r->resolver != NULL ? r->resolver :
		    "(none)", 1);
		buf_adds(b, ": check --resolver or /etc/resolv.conf");
		monitor_cut(b, start);
		buf_addc(b, '\n');
	}
	for (i = 0; i < nf; i++) {
		if (r->unreachable && f[i].status == CHECK_UNKNOWN)
			continue;
		if (shown == MONITOR_NAGIOS_LINES) {
			more++;
			continue;
		}
		start = b->len;
		buf_printf(b, "%s ", f[i].status == CHECK_FAIL ? "FAIL" :
		    f[i].status == CHECK_WARN ? "WARN" : "UNKNOWN");
		monitor_nagios_text(b, f[i].domain, 1);
		buf_addc(b, ' ');
		monitor_nagios_text(b, f[i].item->id, 1);
		buf_adds(b, ": ");
		monitor_nagios_text(b, f[i].item->detail != NULL ?
		    f[i].item->detail : "", 0);
		monitor_cut(b, start);
		buf_addc(b, '\n');
		shown++;
	}
	if (more > 0)
		buf_printf(b, "and %zu more findings: notspam status lists them"
		    " all\n", more);
	if (r->warnings == NULL)
		return;
	for (i = 0; i < r->warnings->n; i++) {
		if (i == MONITOR_NAGIOS_LINES) {
			buf_printf(b, "and %zu more configuration warnings\n",
			    r->warnings->n - i);
			break;
		}
		start = b->len;
		buf_adds(b, "config: ");
		/* As the core words them, its quotes escaped (status
		 * shows them so). */
		monitor_nagios_text(b, r->warnings->v[i], 0);
		monitor_cut(b, start);
		buf_addc(b, '\n');
	}
}

enum monitor_state
monitor_nagios(struct buf *b, const struct monitor_run *r)
{
	struct monitor_sum s;
	struct finding *f;
	enum monitor_state st;
	size_t nf, start;

	monitor_count(r, &s);
	st = monitor_state_of(r, &s);
	summary_findings(r->ds, r->n, &f, &nf);
	buf_printf(b, "NOTSPAM %s - ", monitor_state_name(st));
	start = b->len;
	monitor_summary(b, r, &s, st, nf > 0 ? &f[0] : NULL);
	monitor_cut(b, start);
	buf_adds(b, " | ");
	monitor_nagios_perf(b, r, &s);
	buf_addc(b, '\n');
	monitor_long(b, r, f, nf);
	free(f);
	return st;
}

void
monitor_nagios_unknown(struct buf *b, const char *why)
{
	size_t start;

	buf_adds(b, "NOTSPAM UNKNOWN - ");
	start = b->len;
	monitor_nagios_text(b, why != NULL ? why : "unknown error", 1);
	monitor_cut(b, start);
	buf_addc(b, '\n');
}

void
monitor_prom_label(struct buf *b, const char *s)
{
	const unsigned char *q;
	char *t, *p;

	/* Most names need nothing: printable ASCII without \ or ". */
	for (q = (const unsigned char *)s; *q >= 0x20 && *q < 0x7f &&
	    *q != '\\' && *q != '"'; q++)
		;
	if (*q == '\0') {
		buf_add(b, s, (size_t)((const char *)q - s));
		return;
	}
	t = str_shown(s, strlen(s));
	for (p = t; *p != '\0'; p++) {
		if (*p == '\\')
			buf_adds(b, "\\\\");
		else if (*p == '"')
			buf_adds(b, "\\\"");
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *p);
	}
	free(t);
}

/* A family's # HELP and # TYPE lines (help: fixed text, nothing to
 * escape). */
static void
monitor_prom_family(struct buf *b, const char *name, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A hop's series: its label set (escaped, braces included) and how bad it
 * is, the worse of one label set kept (two hops the same as labels). */
struct monitor_series {
	char	*labels;
	int	 rank;		/* 1: not linked (value 0), 0: linked */
};

struct monitor_set {
	struct monitor_series	*v;
	size_t			 n;
	struct strmap		 seen;
};

/* Add a series (labels taken), or keep the worse of it and the one with
 * the same labels: the one with the higher rank. */
static void
monitor_set_add(struct monitor_set *set, char *labels, int rank)
{
	size_t at;

	if (strmap_get(&set->seen, labels, &at)) {
		if (rank > set->v[at].rank)
			set->v[at].rank = rank;
		free(labels);
		return;
	}
	strmap_put(&set->seen, labels, set->n);
	set->v = xgrow(set->v, set->n, sizeof *set->v);
	set->v[set->n].labels = labels;
	set->v[set->n].rank = rank;
	set->n++;
}

static void
monitor_set_free(struct monitor_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i].labels);
	free(set->v);
	strmap_free(&set->seen);
}

/* One notspam_record_status line. */
static void
monitor_prom_record(struct buf *b, const char *domain, const char *id,
    enum check_status st)
{
	buf_adds(b, "notspam_record_status{domain=\"");
	monitor_prom_label(b, domain);
	buf_adds(b, "\",record=\"");
	monitor_prom_label(b, id);
	buf_adds(b, "\",status=\"");
	buf_adds(b, check_status_name(st));
	buf_adds(b, "\"} 1\n");
}

/* The worst status of check id among the results in the chain from i on
 * (next[]: the next result of the same domain), and whether a result
 * before `before` in it has the id (it was printed then). */
static enum check_status
monitor_chain_status(const struct monitor_run *r, const size_t *next,
    size_t i, const char *id, size_t before, int *printed)
{
	enum check_status worst = CHECK_OK;
	size_t k;
	int any = 0;

	*printed = 0;
	for (; i != SIZE_MAX; i = next[i])
		for (k = 0; k < r->ds[i].nitems; k++) {
			if (strcmp(r->ds[i].items[k].id, id) != 0)
				continue;
			if (i < before)
				*printed = 1;
			if (!any || summary_rank(r->ds[i].items[k].status) >
			    summary_rank(worst))
				worst = r->ds[i].items[k].status;
			any = 1;
		}
	return worst;
}

/*
 * notspam_record_status: one series a check.  A result's ids are unique
 * (check.h), so only a domain with more than one result (named twice; the
 * mail host's name a hosted domain too) needs merging: its results are
 * chained, and each id is printed once, at the first result that has it,
 * with the worst status of the chain.  O(n) for distinct domains.
 */
static void
monitor_prom_records(struct buf *b, const struct monitor_run *r)
{
	struct strmap first;
	size_t *next, *head, *tail, i, k, at;
	const struct check_item *it;
	enum check_status st;
	int printed;

	monitor_prom_family(b, "notspam_record_status", "The status of each"
	    " DNS record check of the last run: 1, with the status as the"
	    " status label (ok, warn, fail, unknown).");
	next = xcalloc(r->n + 1, sizeof *next);
	head = xcalloc(r->n + 1, sizeof *head);
	tail = xcalloc(r->n + 1, sizeof *tail);
	strmap_init(&first);
	for (i = 0; i < r->n; i++) {
		next[i] = SIZE_MAX;
		head[i] = tail[i] = i;
		if (strmap_get(&first, r->ds[i].domain, &at)) {
			next[tail[at]] = i;
			tail[at] = i;
			head[i] = at;
		} else
			strmap_put(&first, r->ds[i].domain, i);
	}
	for (i = 0; i < r->n; i++) {
		at = head[i];
		for (k = 0; k < r->ds[i].nitems; k++) {
			it = &r->ds[i].items[k];
			if (at == i && next[i] == SIZE_MAX) {
				/* Alone: as it is. */
				monitor_prom_record(b, r->ds[i].domain, it->id,
				    it->status);
				continue;
			}
			st = monitor_chain_status(r, next, at, it->id, i,
			    &printed);
			if (!printed)
				monitor_prom_record(b, r->ds[at].domain, it->id,
				    st);
		}
	}
	strmap_free(&first);
	free(next);
	free(head);
	free(tail);
}

/* notspam_signing_path_ok: one series a hop. */
static void
monitor_prom_path(struct buf *b, const struct monitor_run *r)
{
	struct monitor_set set;
	const struct path_hop *h;
	struct buf l;
	size_t i;

	memset(&set, 0, sizeof set);
	strmap_init(&set.seen);
	for (i = 0; r->path != NULL && i < r->path->nhops; i++) {
		h = &r->path->hops[i];
		buf_init(&l);
		buf_adds(&l, "{from=\"");
		monitor_prom_label(&l, h->from != NULL ? h->from : "");
		buf_adds(&l, "\",address=\"");
		monitor_prom_label(&l, h->address != NULL ? h->address : "");
		buf_adds(&l, "\",to=\"");
		monitor_prom_label(&l, h->to != NULL ? h->to : "");
		buf_adds(&l, "\",kind=\"");
		monitor_prom_label(&l, h->kind != NULL ? h->kind : "");
		buf_adds(&l, "\",state=\"");
		monitor_prom_label(&l, path_state_name(h->state));
		buf_adds(&l, "\"}");
		/* Rank: not linked (0) is worse than linked (1). */
		monitor_set_add(&set, buf_steal(&l),
		    h->state == PATH_LINKED ? 0 : 1);
	}
	monitor_prom_family(b, "notspam_signing_path_ok", "Each hop of the"
	    " DKIM signing path as the configuration says it: 1 when the"
	    " receiving program listens where the sender hands mail, else 0"
	    " (the state label says why).");
	for (i = 0; i < set.n; i++)
		buf_printf(b, "notspam_signing_path_ok%s %d\n",
		    set.v[i].labels, set.v[i].rank == 0 ? 1 : 0);
	monitor_set_free(&set);
}

void
monitor_prometheus(struct buf *b, const struct monitor_run *r)
{
	static const enum check_status order[] = {
		CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_UNKNOWN
	};
	struct monitor_sum s;
	size_t i;

	monitor_count(r, &s);
	monitor_prom_records(b, r);
	monitor_prom_family(b, "notspam_records", "DNS record checks of the"
	    " last run by status.");
	for (i = 0; i < sizeof order / sizeof order[0]; i++)
		buf_printf(b, "notspam_records{status=\"%s\"} %zu\n",
		    check_status_name(order[i]), s.st[order[i]]);
	if (s.st[CHECK_PENDING] > 0)
		buf_printf(b, "notspam_records{status=\"%s\"} %zu\n",
		    check_status_name(CHECK_PENDING), s.st[CHECK_PENDING]);
	monitor_prom_family(b, "notspam_domains", "Hosted domains checked in"
	    " the last run.");
	buf_printf(b, "notspam_domains %zu\n", s.domains);
	monitor_prom_family(b, "notspam_resolver_up", "1 when the resolver"
	    " answered queries of the last run, 0 when it answered none (every"
	    " check is then unknown).");
	buf_printf(b, "notspam_resolver_up %d\n", r->unreachable ? 0 : 1);
	monitor_prom_path(b, r);
	/* Integer arithmetic: no locale puts a comma in it. */
	monitor_prom_family(b, "notspam_last_run_timestamp_seconds", "When"
	    " the last run ended, in seconds since the Unix epoch.");
	buf_printf(b, "notspam_last_run_timestamp_seconds %lld.%03ld\n",
	    (long long)r->finished.tv_sec, r->finished.tv_nsec / 1000000);
	monitor_prom_family(b, "notspam_run_duration_seconds", "How long the"
	    " last run took, in seconds.");
	buf_printf(b, "notspam_run_duration_seconds %lld.%06lld\n",
	    r->duration_ns / 1000000000, r->duration_ns % 1000000000 / 1000);
}
