/* watch.c: the setup's DNS watch (watch.h): rounds of the record checks
 * on a timer, each on a resolver of its own (and in zone-file mode on the
 * files as they are now), and where each record is seen. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check/check.h"
#include "core/dns/dns.h"
#include "core/dns/zone.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/setup/watch.h"

struct watch_round;

/* One TTL lookup: the round and the row it is for. */
struct watch_ttl {
	struct watch_round	*r;
	size_t			 row;
};

/* One round: its zones, resolver and check run, then its TTL lookups. */
struct watch_round {
	struct watch		*w;
	struct zone_set		*zs;
	struct dns		*dns;
	struct check_run	*run;
	int			 checked;	/* the run is done: rows made */
	int			 dying;		/* being freed: no more work */
	struct watch_row	*rows;
	size_t			 nrows;
	struct watch_ttl	*ttls;
	size_t			 pending;	/* TTL lookups not answered */
	uint64_t		 timer;		/* the deferred step */
};

struct watch {
	struct loop		*loop;
	const struct site	*site;
	struct watch_opts	 o;
	struct watch_row	*rows;
	size_t			 nrows;
	unsigned		 rounds;
	struct watch_round	*cur;
	uint64_t		 timer;		/* the next round */
	int64_t			 next_at;	/* its time (loop_now_ms) */
	char			*error;
};

static const char *const state_names[] = {
	"pending", "missing", "wrong", "auth", "shown", "unknown",
};

const char *
watch_state_name(enum watch_state s)
{
	return (unsigned)s < sizeof state_names / sizeof state_names[0] ?
	    state_names[s] : "?";
}

/* Does this nameserver have the record (as wanted, or weak)? */
static int
view_has(const struct check_ns_view *v)
{
	return (v->state == CHECK_NS_SAME || v->state == CHECK_NS_DIFFERS) &&
	    !v->missing && (v->status == CHECK_OK || v->status == CHECK_WARN);
}

enum watch_state
watch_classify(const struct check_item *it)
{
	size_t i;
	int auth_ok = 0;

	/* A nameserver with a better verdict than the resolver's: what a
	 * cache that has not expired yet looks like (check_prop.c makes
	 * the item warn then). */
	for (i = 0; i < it->nns; i++)
		if (it->ns[i].state == CHECK_NS_DIFFERS && view_has(&it->ns[i]))
			auth_ok = 1;
	switch (it->status) {
	case CHECK_PENDING:
		return WATCH_PENDING;
	case CHECK_OK:
		return WATCH_SHOWN;
	case CHECK_WARN:
		return auth_ok ? WATCH_AUTH : WATCH_SHOWN;
	case CHECK_FAIL:
		if (auth_ok)
			return WATCH_AUTH;
		return it->found.n == 0 ? WATCH_MISSING : WATCH_WRONG;
	case CHECK_UNKNOWN:
		return auth_ok ? WATCH_AUTH : WATCH_UNKNOWN;
	}
	return WATCH_UNKNOWN;
}

static void
rows_free(struct watch_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].set);
		free(rows[i].id);
		free(rows[i].name);
		free(rows[i].type);
		free(rows[i].detail);
	}
	free(rows);
}

/* The rows of a run's results so far. */
static struct watch_row *
rows_make(const struct check_run *run, size_t *n)
{
	const struct check_domain *res;
	const struct check_item *it;
	struct watch_row *rows = NULL, *r;
	size_t nres, i, j, k;

	*n = 0;
	res = check_results(run, &nres);
	for (i = 0; i < nres; i++)
		for (j = 0; j < res[i].nitems; j++) {
			it = &res[i].items[j];
			rows = xgrow(rows, *n, sizeof *rows);
			r = &rows[(*n)++];
			memset(r, 0, sizeof *r);
			r->set = xstrdup(res[i].domain);
			r->host = res[i].host;
			r->id = xstrdup(it->id);
			r->name = xstrdup(it->name != NULL ? it->name : "");
			r->type = xstrdup(it->type != NULL ? it->type : "");
			r->status = it->status;
			r->state = watch_classify(it);
			r->detail = it->detail != NULL ? xstrdup(it->detail) :
			    NULL;
			r->nns = it->nns;
			for (k = 0; k < it->nns; k++)
				r->nns_have += view_has(&it->ns[k]);
			r->ttl = -1;
		}
	return rows;
}

/* The row of old with the same set and id (and name: "host-a" repeats
 * once per address), or NULL. */
static const struct watch_row *
row_find(const struct watch_row *old, size_t n, const struct watch_row *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (old[i].host == r->host &&
		    strcasecmp(old[i].set, r->set) == 0 &&
		    strcmp(old[i].id, r->id) == 0 &&
		    strcasecmp(old[i].name, r->name) == 0)
			return &old[i];
	return NULL;
}

/* Rows replace the watch's, keeping when each was first shown. */
static void
rows_take(struct watch *w, struct watch_row *rows, size_t n)
{
	const struct watch_row *o;
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < n; i++) {
		o = row_find(w->rows, w->nrows, &rows[i]);
		if (rows[i].state != WATCH_SHOWN)
			rows[i].since = 0;
		else if (o != NULL && o->since > 0)
			rows[i].since = o->since;
		else
			rows[i].since = now;
		/* The first round's TTLs come at its end: keep what the
		 * last rows knew meanwhile. */
		if (rows[i].ttl < 0 && o != NULL && o->state == rows[i].state)
			rows[i].ttl = o->ttl;
	}
	rows_free(w->rows, w->nrows);
	w->rows = rows;
	w->nrows = n;
}

static void
changed(struct watch *w)
{
	if (w->o.changed != NULL)
		w->o.changed(w->o.arg);
}

static void
round_free(struct watch_round *r)
{
	if (r == NULL)
		return;
	r->dying = 1;
	if (r->timer != 0)
		loop_timer_cancel(r->w->loop, r->timer);
	check_free(r->run);
	dns_free(r->dns);		/* the TTL callbacks see dying */
	zone_set_free(r->zs);
	rows_free(r->rows, r->nrows);
	free(r->ttls);
	free(r);
}

static void on_timer(void *);

/* The next round after the interval. */
static void
schedule(struct watch *w)
{
	if (w->timer != 0)
		loop_timer_cancel(w->loop, w->timer);
	w->next_at = loop_now_ms() + w->o.interval_ms;
	w->timer = loop_timer_add(w->loop, w->o.interval_ms, on_timer, w);
}

/* The round is done (from a timer: never inside its resolver's
 * callback, whose resolver this frees). */
static void
round_end(void *arg)
{
	struct watch_round *r = arg;
	struct watch *w = r->w;

	r->timer = 0;
	rows_take(w, r->rows, r->nrows);
	r->rows = NULL;
	r->nrows = 0;
	w->rounds++;
	w->cur = NULL;
	round_free(r);
	free(w->error);
	w->error = NULL;
	schedule(w);
	changed(w);
}

static void
round_defer(struct watch_round *r, loop_timer_cb cb)
{
	if (r->timer == 0)
		r->timer = loop_timer_add(r->w->loop, 0, cb, r);
}

/* The DNS type of a check item's type word, or 0. */
static int
type_number(const char *type)
{
	static const struct {
		const char	*name;
		int		 type;
	} types[] = {
		{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "MX", DNS_T_MX },
		{ "TXT", DNS_T_TXT }, { "PTR", DNS_T_PTR },
	};
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(types[i].name, type) == 0)
			return types[i].type;
	return 0;
}

static void
on_ttl(const struct dns_answer *a, void *arg)
{
	struct watch_ttl *t = arg;
	struct watch_round *r = t->r;
	struct watch_row *row;
	size_t i;
	long ttl = -1;

	if (r->dying)
		return;
	row = &r->rows[t->row];
	if (a->status == DNS_OK)
		for (i = 0; i < a->nrrs; i++)
			if (ttl < 0 || (long)a->rrs[i].ttl < ttl)
				ttl = (long)a->rrs[i].ttl;
	if ((a->status == DNS_NXDOMAIN || a->status == DNS_NODATA) &&
	    a->neg_ttl > 0)
		ttl = (long)a->neg_ttl;
	row->ttl = ttl;
	if (--r->pending == 0)
		round_defer(r, round_end);
}

/* The checks are done: one lookup per row for its TTL. */
static void
round_ttls(struct watch_round *r)
{
	size_t i, len;
	char *name;
	int type;

	r->rows = rows_make(r->run, &r->nrows);
	r->ttls = xcalloc(r->nrows + 1, sizeof *r->ttls);
	for (i = 0; i < r->nrows; i++) {
		if ((type = type_number(r->rows[i].type)) == 0 ||
		    *r->rows[i].name == '\0')
			continue;
		name = xstrdup(r->rows[i].name);
		len = strlen(name);
		if (len > 1 && name[len - 1] == '.')
			name[len - 1] = '\0';
		r->ttls[i].r = r;
		r->ttls[i].row = i;
		r->pending++;
		dns_query(r->dns, name, type, on_ttl, &r->ttls[i]);
		free(name);
	}
	if (r->pending == 0)
		round_defer(r, round_end);
}

/* The run's results changed (or a check ended). */
static void
on_check(void *arg)
{
	struct watch_round *r = arg;
	struct watch *w = r->w;
	struct watch_row *rows;
	size_t n;

	if (r->dying || r->checked)
		return;
	if (w->rounds == 0) {
		/* The first round fills in as answers arrive. */
		rows = rows_make(r->run, &n);
		rows_take(w, rows, n);
		changed(w);
	}
	if (check_done(r->run)) {
		r->checked = 1;
		round_ttls(r);
	}
}

/* A run that ended before any answer came (no record to check) is
 * looked at once from the loop. */
static void
on_first(void *arg)
{
	struct watch_round *r = arg;

	r->timer = 0;
	on_check(r);
}

/* Start a round: the zone files read again, a resolver, the checks.
 * -1 with *cause (and the watch's error set, the next round scheduled). */
static int
round_start(struct watch *w, char **cause)
{
	struct watch_round *r = xcalloc(1, sizeof *r);
	struct dns_opts dopts;
	struct check_opts co;
	char *why = NULL;
	size_t i;

	r->w = w;
	if (w->o.zones != NULL) {
		r->zs = zone_set_new();
		for (i = 0; w->o.zones[i] != NULL; i++)
			if (zone_set_load(r->zs, w->o.zones[i], &why) != 0)
				goto fail;
	}
	memset(&dopts, 0, sizeof dopts);
	dopts.servers = r->zs != NULL ? "zone files" : w->o.servers;
	dopts.zones = r->zs;
	dopts.timeout_ms = w->o.timeout_ms;
	dopts.tries = w->o.tries;
	if ((r->dns = dns_new(w->loop, &dopts, &why)) == NULL)
		goto fail;
	memset(&co, 0, sizeof co);
	co.ns_port = w->o.ns_port;
	if ((r->run = check_start(w->loop, r->dns, w->site, NULL, &co,
	    on_check, r, &why)) == NULL)
		goto fail;
	w->cur = r;
	r->timer = loop_timer_add(w->loop, 0, on_first, r);
	return 0;
fail:
	free(w->error);
	w->error = why;
	if (cause != NULL)
		*cause = xstrdup(why);
	round_free(r);
	schedule(w);
	changed(w);
	return -1;
}

static void
on_timer(void *arg)
{
	struct watch *w = arg;

	w->timer = 0;
	if (w->cur == NULL)
		(void)round_start(w, NULL);
}

struct watch *
watch_start(struct loop *loop, const struct site *site,
    const struct watch_opts *o, char **cause)
{
	struct watch *w = xcalloc(1, sizeof *w);

	w->loop = loop;
	w->site = site;
	w->o = *o;
	if (w->o.interval_ms <= 0)
		w->o.interval_ms = WATCH_INTERVAL_MS;
	if (w->o.interval_ms < WATCH_INTERVAL_MIN_MS)
		w->o.interval_ms = WATCH_INTERVAL_MIN_MS;
	if (round_start(w, cause) != 0) {
		watch_free(w);
		return NULL;
	}
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->timer != 0)
		loop_timer_cancel(w->loop, w->timer);
	round_free(w->cur);
	rows_free(w->rows, w->nrows);
	free(w->error);
	free(w);
}

const struct watch_row *
watch_rows(const struct watch *w, size_t *n)
{
	*n = w->nrows;
	return w->rows;
}

size_t
watch_shown(const struct watch *w, size_t *total)
{
	size_t i, n = 0;

	for (i = 0; i < w->nrows; i++)
		n += w->rows[i].state == WATCH_SHOWN;
	if (total != NULL)
		*total = w->nrows;
	return n;
}

unsigned
watch_rounds(const struct watch *w)
{
	return w->rounds;
}

int
watch_busy(const struct watch *w)
{
	return w->cur != NULL;
}

int64_t
watch_next_ms(const struct watch *w)
{
	int64_t left;

	if (w->cur != NULL || w->timer == 0)
		return 0;
	left = w->next_at - loop_now_ms();
	return left > 0 ? left : 0;
}

const char *
watch_error(const struct watch *w)
{
	return w->error;
}

void
watch_now(struct watch *w)
{
	if (w->cur != NULL)
		return;
	if (w->timer != 0) {
		loop_timer_cancel(w->loop, w->timer);
		w->timer = 0;
	}
	(void)round_start(w, NULL);
}
