/* test_watch.c: the setup's DNS watch (core/setup/watch.h): rounds of
 * the checks on a real loop in zone-file mode, records written into the
 * zone files between rounds turning their rows to "shown" with the
 * zone's TTLs, a zone file that stops loading, and where a record is seen
 * from the check's verdict and its nameservers' views. */
#include <sys/stat.h>

#include "testutil.h"

#include "core/check/check.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"
#include "core/setup/watch.h"
#include "core/site/site.h"

/* A root with a Postfix host for example.org at 192.0.2.25 and a zone
 * directory beside it (root/zones, outside the site). */
static char *
mkroot(void)
{
	char *dir = xstrdup("/tmp/notspam-watch.XXXXXX"), *cmd;

	assert_non_null(mkdtemp(dir));
	cmd = xasprintf("mkdir -p %s/etc/postfix %s/etc/notspam %s/zones && "
	    "printf 'myhostname = mail.example.org\\nmydestination = "
	    "example.org\\n' >%s/etc/postfix/main.cf && "
	    "printf 'public_ipv4 = 192.0.2.25\\npublic_ipv6 =\\n' "
	    ">%s/etc/notspam/notspam.conf", dir, dir, dir, dir, dir);
	free(test_run(cmd));
	free(cmd);
	return dir;
}

static void
rmroot(char *dir)
{
	char *p = xasprintf("rm -rf %s", dir);

	free(test_run(p));
	free(p);
	free(dir);
}

static void
zone_write(const char *root, const char *text, const char *mode)
{
	char *p = xasprintf("%s/zones/example.org.zone", root);
	FILE *f = fopen(p, mode);

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

#define SOA \
	"$ORIGIN example.org.\n$TTL 3600\n" \
	"@ IN SOA ns1 hostmaster ( 1 3600 600 1209600 120 )\n" \
	"@ IN NS ns1\nns1 IN A 192.0.2.53\n"

struct seen {
	int	changed;
};

static void
on_changed(void *arg)
{
	((struct seen *)arg)->changed++;
}

/* Run the loop until the watch has finished `rounds` rounds (10 s at
 * most). */
static void
run_rounds(struct loop *loop, struct watch *w, unsigned rounds)
{
	int64_t end = loop_now_ms() + 10000;

	while (watch_rounds(w) < rounds && loop_now_ms() < end)
		loop_once(loop, 100);
	assert_true(watch_rounds(w) >= rounds);
}

static const struct watch_row *
row(struct watch *w, const char *id)
{
	const struct watch_row *rows;
	size_t n, i;

	rows = watch_rows(w, &n);
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].id, id) == 0)
			return &rows[i];
	fail_msg("no row %s", id);
	return NULL;
}

/* Nothing published, then the records written into the zone file: the
 * next round shows them, with the zone's TTL; the absent PTR stays
 * missing (no reverse zone is loaded). */
static void
test_rounds(void **state)
{
	char *root = mkroot(), *cause = NULL, *zdir;
	const char *zones[2];
	struct watch_opts o;
	struct seen seen = { 0 };
	struct loop *loop;
	struct site *site;
	struct watch *w;
	size_t total, shown;
	time_t since;

	(void)state;
	zone_write(root, SOA, "w");
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	zdir = xasprintf("%s/zones", root);
	zones[0] = zdir;
	zones[1] = NULL;
	loop = loop_new();
	memset(&o, 0, sizeof o);
	o.interval_ms = 200;
	o.zones = zones;
	o.changed = on_changed;
	o.arg = &seen;
	w = watch_start(loop, site, &o, &cause);
	assert_non_null(w);
	assert_true(watch_busy(w));
	run_rounds(loop, w, 1);
	assert_true(seen.changed > 0);
	assert_null(watch_error(w));
	assert_int_equal(row(w, "mx")->state, WATCH_MISSING);
	assert_int_equal(row(w, "spf")->state, WATCH_MISSING);
	assert_int_equal(row(w, "host-a")->state, WATCH_MISSING);
	/* The "no record" is cached for the SOA's minimum. */
	assert_int_equal(row(w, "mx")->ttl, 120);
	assert_int_equal(row(w, "mx")->since, 0);
	assert_int_equal(row(w, "ptr:192.0.2.25")->state, WATCH_MISSING);
	assert_int_equal(watch_shown(w, &total), 0);
	assert_true(total >= 6);
	/* Between rounds: the time to the next one. */
	assert_false(watch_busy(w));
	assert_true(watch_next_ms(w) <= 200);

	zone_write(root,
	    "@ 600 IN MX 10 mail.example.org.\n"
	    "@ 600 IN TXT \"v=spf1 ip4:192.0.2.25 -all\"\n"
	    "mail 300 IN A 192.0.2.25\n"
	    "mail 300 IN TXT \"v=spf1 ip4:192.0.2.25 -all\"\n"
	    "_dmarc IN TXT \"v=DMARC1; p=quarantine\"\n", "a");
	run_rounds(loop, w, 3);
	assert_int_equal(row(w, "mx")->state, WATCH_SHOWN);
	assert_int_equal(row(w, "mx")->ttl, 600);
	assert_int_equal(row(w, "host-a")->state, WATCH_SHOWN);
	assert_int_equal(row(w, "host-a")->ttl, 300);
	assert_int_equal(row(w, "spf")->state, WATCH_SHOWN);
	assert_int_equal(row(w, "spf-helo")->state, WATCH_SHOWN);
	assert_int_equal(row(w, "dmarc")->state, WATCH_SHOWN);
	assert_int_equal(row(w, "dmarc")->ttl, 3600);
	assert_int_equal(row(w, "ptr:192.0.2.25")->state, WATCH_MISSING);
	since = row(w, "mx")->since;
	assert_true(since > 0);
	shown = watch_shown(w, &total);
	assert_int_equal(shown, total - 1);

	/* A wrong SPF: there, not the one wanted. */
	zone_write(root, SOA
	    "@ 600 IN MX 10 mail.example.org.\n"
	    "mail 300 IN A 192.0.2.25\n"
	    "@ IN TXT \"v=spf1 ip4:198.51.100.1 -all\"\n", "w");
	watch_now(w);
	run_rounds(loop, w, 4);
	assert_int_equal(row(w, "spf")->state, WATCH_WRONG);
	assert_int_equal(row(w, "mx")->state, WATCH_SHOWN);
	/* Shown since the first round that showed it. */
	assert_int_equal(row(w, "mx")->since, since);
	assert_int_equal(row(w, "spf-helo")->state, WATCH_MISSING);
	assert_int_equal(row(w, "spf-helo")->since, 0);

	/* A file that does not load: the rows stay, the error says why. */
	zone_write(root, "@ IN BOGUS (\n", "a");
	watch_now(w);
	{
		int64_t end = loop_now_ms() + 5000;

		while (watch_error(w) == NULL && loop_now_ms() < end)
			loop_once(loop, 50);
	}
	assert_non_null(watch_error(w));
	assert_non_null(strstr(watch_error(w), "example.org.zone"));
	assert_int_equal(row(w, "mx")->state, WATCH_SHOWN);
	assert_false(watch_busy(w));
	watch_free(w);
	loop_free(loop);
	site_free(site);
	free(zdir);
	rmroot(root);
}

/* A first round whose zone files do not load: no watch, the cause. */
static void
test_start_fails(void **state)
{
	char *root = mkroot(), *cause = NULL, *zdir;
	const char *zones[2];
	struct watch_opts o;
	struct loop *loop;
	struct site *site;

	(void)state;
	zone_write(root, "not a zone\n", "w");
	site = site_load(root, NULL, &cause);
	assert_non_null(site);
	zdir = xasprintf("%s/zones", root);
	zones[0] = zdir;
	zones[1] = NULL;
	loop = loop_new();
	memset(&o, 0, sizeof o);
	o.zones = zones;
	assert_null(watch_start(loop, site, &o, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "example.org.zone:1"));
	free(cause);
	assert_false(loop_busy(loop));	/* nothing left on the loop */
	loop_free(loop);
	site_free(site);
	free(zdir);
	rmroot(root);
}

static void
item_init(struct check_item *it, enum check_status st)
{
	memset(it, 0, sizeof *it);
	it->status = st;
	strv_init(&it->found);
}

/* Where a record is seen, from the verdict and the nameservers' views. */
static void
test_classify(void **state)
{
	struct check_item it;
	struct check_ns_view v[2];

	(void)state;
	memset(v, 0, sizeof v);
	strv_init(&v[0].found);
	strv_init(&v[1].found);
	item_init(&it, CHECK_PENDING);
	assert_int_equal(watch_classify(&it), WATCH_PENDING);
	item_init(&it, CHECK_OK);
	assert_int_equal(watch_classify(&it), WATCH_SHOWN);
	/* Weak but there (DMARC p=none): shown. */
	item_init(&it, CHECK_WARN);
	strv_add(&it.found, "v=DMARC1; p=none");
	assert_int_equal(watch_classify(&it), WATCH_SHOWN);
	strv_free(&it.found);
	item_init(&it, CHECK_FAIL);
	assert_int_equal(watch_classify(&it), WATCH_MISSING);
	strv_add(&it.found, "v=spf1 -all");
	assert_int_equal(watch_classify(&it), WATCH_WRONG);
	strv_free(&it.found);
	item_init(&it, CHECK_UNKNOWN);
	assert_int_equal(watch_classify(&it), WATCH_UNKNOWN);

	/* The nameservers have it, the resolver's cache not yet: the check
	 * warns (check_prop.c) with a nameserver that differs, ok. */
	item_init(&it, CHECK_WARN);
	v[0].state = CHECK_NS_DIFFERS;
	v[0].status = CHECK_OK;
	v[1].state = CHECK_NS_UNREACHABLE;
	v[1].status = CHECK_UNKNOWN;
	it.ns = v;
	it.nns = 2;
	assert_int_equal(watch_classify(&it), WATCH_AUTH);
	it.status = CHECK_FAIL;
	assert_int_equal(watch_classify(&it), WATCH_AUTH);
	/* A nameserver that has no such record does not count. */
	v[0].missing = 1;
	assert_int_equal(watch_classify(&it), WATCH_MISSING);
	/* One that agrees with the resolver's failure neither. */
	v[0].missing = 0;
	v[0].state = CHECK_NS_SAME;
	v[0].status = CHECK_FAIL;
	assert_int_equal(watch_classify(&it), WATCH_MISSING);

	assert_string_equal(watch_state_name(WATCH_AUTH), "auth");
	assert_string_equal(watch_state_name(WATCH_SHOWN), "shown");
	assert_string_equal(watch_state_name((enum watch_state)99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_start_fails),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
