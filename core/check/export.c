/* export.c: missing records as a zone-file snippet, written with fswrite. */
#include "core/check/export.h"

#include <stdlib.h>
#include <string.h>

#include "core/check/check.h"
#include "core/check/records.h"
#include "core/lib/fswrite.h"
#include "core/site/site.h"
#include "core/lib/util.h"

/* The check of this id in the results, or NULL. */
static const struct check_item *
item_of(const struct check_domain *results, const char *id)
{
	size_t i;

	for (i = 0; results != NULL && i < results->nitems; i++)
		if (strcmp(results->items[i].id, id) == 0)
			return &results->items[i];
	return NULL;
}

/* Is record r needed still?  Every record when there are no results; else
 * those whose check is not ok.  The DMARC report authorization has no
 * check of its own: it is needed when DMARC is not ok; and a DMARC record
 * whose only fault is that authorization is already right. */
static int
needed(const struct check_domain *results, const struct record *r)
{
	const struct check_item *it;

	if (results == NULL)
		return 1;
	if (strcmp(r->id, "dmarc-report") == 0)
		return (it = item_of(results, "dmarc")) == NULL ||
		    it->status != CHECK_OK;
	if ((it = item_of(results, r->id)) == NULL)
		return 1;
	if (it->status == CHECK_OK)
		return 0;
	if (strcmp(r->id, "dmarc") == 0 && it->fix != NULL &&
	    strstr(it->fix, "._report._dmarc.") != NULL &&
	    strstr(it->fix, r->name) == NULL)
		return 0;
	return 1;
}

int
export_missing(const struct site *site, const char *domain,
    const struct check_domain *results, const char *path, char **cause)
{
	struct record_set *sets = NULL;
	struct buf b;
	size_t n = 0, i;
	char *zone, *safe;
	struct fswrite_opts o;
	int count = 0, rc = -1;

	buf_init(&b);
	if (records_build(site, domain, &sets, &n, cause) != 0)
		return -1;
	buf_printf(&b, "; records %s still needs, written by notspam\n",
	    domain);
	for (i = 0; n > 0 && i < sets[0].nrecords; i++) {
		const struct record *r = &sets[0].records[i];
		if (!needed(results, r))
			continue;
		if (r->error != NULL || r->value == NULL) {
			safe = str_sanitize(r->error ? r->error : "?",
			    strlen(r->error ? r->error : "?"));
			buf_printf(&b, "; %s: not computed: %s\n", r->id, safe);
			free(safe);
			continue;
		}
		zone = records_zone_line(r);
		if (strcmp(r->type, "PTR") == 0)
			buf_printf(&b, "; in the reverse zone of the address "
			    "owner (ask your provider):\n; %s\n", zone);
		else if (strcmp(r->id, "dmarc-report") == 0)
			/* Another zone's record: a comment here, so the
			 * snippet still loads as this domain's zone. */
			buf_printf(&b, "; in the zone of the report domain "
			    "(add it there):\n; %s\n", zone);
		else {
			buf_printf(&b, "%s\n", zone);
			count++;
		}
		free(zone);
	}
	memset(&o, 0, sizeof o);
	o.mode = 0644;
	o.flags = FSWRITE_NOREPLACE;
	if (fswrite_file(NULL, path, b.data, b.len, &o, cause) != 0)
		goto done;
	rc = count;
done:
	buf_free(&b);
	records_free(sets, n);
	return rc;
}
